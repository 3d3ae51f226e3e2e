// The first statements of a transaction decide where it runs: what it asks of the router
// (a primary or any readable node, and the client's preference), from the classifier's
// verdict, the way the transaction was opened and the session's routing state. Also which
// statements the session bookkeeping must follow. Pure, table-tested.
#pragma once

#include <initializer_list>
#include <optional>

#include "proxy/router.hpp"
#include "proxy/sql_classifier.hpp"

namespace pgrelay::proxy {

// What of the client's session routing depends on.
struct session_routing {
    routing_mode mode = routing_mode::automatic;  // of the client's database
    std::optional<route_preference> preference;   // SET pgrelay.route
    bool default_read_only = false;               // default_transaction_read_only on
};

// The router request for a transaction whose first query is `q`. A statement that pins the
// client (pin_reason) needs the primary. `explicit_tx`: a BEGIN
// (held back, or in `q`) opened it, with `begin_access` as its access mode.
route_request plan_transaction(const query_info& q, bool explicit_tx, access_mode begin_access,
                               const session_routing& session);

// A statement of `q` opens a transaction block (BEGIN / START TRANSACTION).
bool opens_transaction(const query_info& q);

// Every statement of `q` is of one of `kinds` (and there is at least one).
bool only_kinds(const query_info& q, std::initializer_list<statement_kind> kinds);

// A statement of `q` changes session settings, SQL-prepared statements, session objects
// (temporary, LISTEN, cursors, advisory locks) or transaction state, so the session tracker
// must see it complete.
bool has_session_effects(const query_info& q);

}  // namespace pgrelay::proxy
