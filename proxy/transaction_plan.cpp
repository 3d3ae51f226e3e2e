// Placing a transaction from its first statements; see transaction_plan.hpp.
#include "proxy/transaction_plan.hpp"

#include <algorithm>

#include "proxy/session_objects.hpp"
#include "proxy/session_settings.hpp"
#include "proxy/sql_lexer.hpp"

namespace pgrelay::proxy {

route_request plan_transaction(const query_info& q, bool explicit_tx, access_mode begin_access,
                               const session_routing& session) {
    route_request r;
    r.hint = q.hint ? q.hint : session.preference;
    if (session.mode != routing_mode::automatic) {
        r.needs_primary = session.mode == routing_mode::primary;
        return r;
    }
    // What pins the client goes to the primary: advisory locks must be the cluster's, and a
    // pinned client's later writes need the primary too.
    const bool pins =
        std::any_of(q.statements.begin(), q.statements.end(),
                    [](const statement_info& s) { return pin_reason(s).has_value(); });
    if (!explicit_tx) {
        r.needs_primary = q.route == route_class::write || pins;
        return r;
    }
    // A transaction block runs where its declared access mode allows: the last mode given
    // by BEGIN or SET TRANSACTION wins, then the session default.
    access_mode access = begin_access;
    for (const auto& s : q.statements) {
        if ((s.kind == statement_kind::begin || s.kind == statement_kind::set_transaction) &&
            s.access != access_mode::unspecified)
            access = s.access;
    }
    if (access == access_mode::unspecified)
        access = session.default_read_only ? access_mode::read_only : access_mode::read_write;
    r.needs_primary = access != access_mode::read_only || pins;
    return r;
}

bool opens_transaction(const query_info& q) {
    return std::any_of(q.statements.begin(), q.statements.end(),
                       [](const statement_info& s) { return s.kind == statement_kind::begin; });
}

bool only_kinds(const query_info& q, std::initializer_list<statement_kind> kinds) {
    if (q.statements.empty()) return false;
    return std::all_of(q.statements.begin(), q.statements.end(), [&](const statement_info& s) {
        return std::find(kinds.begin(), kinds.end(), s.kind) != kinds.end();
    });
}

bool has_session_effects(const query_info& q) {
    return std::any_of(q.statements.begin(), q.statements.end(), [](const statement_info& s) {
        switch (s.kind) {
            case statement_kind::set:
            case statement_kind::reset:
            case statement_kind::reset_all:
            case statement_kind::set_config:
            case statement_kind::discard:
            case statement_kind::set_session_characteristics:
            case statement_kind::begin:
            case statement_kind::commit:
            case statement_kind::rollback:
            case statement_kind::savepoint:
            case statement_kind::release_savepoint:
            case statement_kind::rollback_to_savepoint:
            case statement_kind::prepare_transaction:
            case statement_kind::prepare:
            case statement_kind::deallocate:
            case statement_kind::listen:
            case statement_kind::unlisten:
            case statement_kind::declare_cursor:
            case statement_kind::close_cursor:
            case statement_kind::create_temp:
                return true;
            case statement_kind::other:  // DROP of a temporary object
                return istarts_with(s.text, "drop") || !advisory_calls(s.text).empty();
            default:
                return !advisory_calls(s.text).empty();  // an unlock
        }
    });
}

}  // namespace pgrelay::proxy
