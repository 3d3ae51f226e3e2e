// Session settings tracking, replay SQL and pin reasons; see session_settings.hpp. Effects wait
// in a pending list (with savepoint markers) until their transaction commits, mirroring how
// PostgreSQL makes GUC changes transactional.
#include "proxy/session_settings.hpp"

#include <algorithm>

#include "proxy/session_objects.hpp"
#include "proxy/sql_lexer.hpp"

namespace pgrelay::proxy {

namespace {

constexpr std::string_view role_name = "role";
constexpr std::string_view session_authorization_name = "session_authorization";

std::string lowered(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = ascii_lower(c);
    return out;
}

// Key words a SET or RESET cannot take as a bare name part (PostgreSQL's reserved and
// type_func_name key words: ColId excludes them), each between blanks.
constexpr std::string_view reserved_words =
    " all analyse analyze and any array as asc asymmetric authorization binary both case cast "
    "check collate collation column concurrently constraint create cross current_catalog "
    "current_date current_role current_schema current_time current_timestamp current_user "
    "default deferrable desc distinct do else end except false fetch for foreign freeze from "
    "full grant group having ilike in initially inner intersect into is isnull join lateral "
    "leading left like limit localtime localtimestamp natural not notnull null offset on only "
    "or order outer overlaps placing primary references returning right select session_user "
    "similar some symmetric system_user table tablesample then to trailing true union unique "
    "user using variadic verbose when where window with ";

bool is_plain_identifier(std::string_view part) {
    if (part.empty()) return false;
    const char first = part.front();
    if (!((first >= 'a' && first <= 'z') || first == '_')) return false;
    for (const char c : part) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$'))
            return false;
    }
    return reserved_words.find(" " + std::string(part) + " ") == std::string_view::npos;
}

// A parameter name as SET/RESET take it: each dotted part bare when it can be, else quoted.
std::string quote_name(std::string_view name) {
    std::string out;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = name.find('.', start);
        const std::string_view part = name.substr(
            start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (is_plain_identifier(part)) {
            out += part;
        } else {
            out += '"';
            for (const char c : part) {
                if (c == '"') out += '"';
                out += c;
            }
            out += '"';
        }
        if (dot == std::string_view::npos) break;
        out += '.';
        start = dot + 1;
    }
    return out;
}

// A string literal that means `value` whatever standard_conforming_strings is: '...' with quotes
// doubled, or E'...' with backslashes doubled too when there are any.
std::string quote_literal(std::string_view value) {
    const bool escape = value.find('\\') != std::string_view::npos;
    std::string out = escape ? "E'" : "'";
    for (const char c : value) {
        if (c == '\'' || (escape && c == '\\')) out += c;
        out += c;
    }
    out += '\'';
    return out;
}

// Parameters PostgreSQL's SET quotes element by element (GUC_LIST_QUOTE): SET name = 'a, b' would
// make one element "a, b" of what the startup packet means as two.
bool is_list_quoted(std::string_view name) {
    return name == "search_path" || name == "temp_tablespaces" ||
           name == "local_preload_libraries" || name == "session_preload_libraries" ||
           name == "shared_preload_libraries";
}

// Parameters that only ever describe the current transaction: nothing of them survives it.
bool is_transaction_scoped(std::string_view name) {
    return name == "transaction_isolation" || name == "transaction_read_only" ||
           name == "transaction_deferrable";
}

std::string baseline_sql(std::string_view name, std::string_view value) {
    if (is_list_quoted(name)) {
        return "SELECT set_config(" + quote_literal(name) + ", " + quote_literal(value) +
               ", false)";
    }
    return "SET " + quote_name(name) + " = " + quote_literal(value);
}

void put(std::vector<setting>& list, std::string_view name, std::string_view sql) {
    for (setting& s : list) {
        if (s.name == name) {
            s.sql = sql;
            return;
        }
    }
    list.push_back({std::string(name), std::string(sql)});
}

const setting* find(std::span<const setting> list, std::string_view name) {
    for (const setting& s : list) {
        if (s.name == name) return &s;
    }
    return nullptr;
}

bool valid_name(std::string_view name, std::string& error) {
    if (name.find('\0') != std::string_view::npos) {
        error = "a startup parameter name contains a NUL byte";
        return false;
    }
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = name.find('.', start);
        const std::size_t end = dot == std::string_view::npos ? name.size() : dot;
        if (end == start) {
            error = "invalid startup parameter name \"" + std::string(name) + "\"";
            return false;
        }
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

bool add_baseline(std::vector<setting>& list, std::string_view name, std::string_view value,
                  std::string& error) {
    if (!valid_name(name, error)) return false;
    if (value.find('\0') != std::string_view::npos) {
        error = "the value of startup parameter \"" + std::string(name) + "\" contains a NUL byte";
        return false;
    }
    put(list, name, baseline_sql(name, value));
    return true;
}

bool is_c_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// PostgreSQL's pg_split_opts(): whitespace separates, a backslash takes the next byte literally.
std::vector<std::string> split_options(std::string_view options) {
    std::vector<std::string> items;
    std::size_t i = 0;
    while (true) {
        while (i < options.size() && is_c_space(options[i]))
            ++i;
        if (i == options.size()) break;
        std::string item;
        bool escaped = false;
        for (; i < options.size(); ++i) {
            const char c = options[i];
            if (is_c_space(c) && !escaped) break;
            if (!escaped && c == '\\') {
                escaped = true;
            } else {
                escaped = false;
                item += c;
            }
        }
        items.push_back(std::move(item));
    }
    return items;
}

// The "options" startup parameter: -c name=value, -cname=value and --name=value items
// (PostgreSQL's process_postgres_switches and ParseLongOption).
bool add_options(std::vector<setting>& list, std::string_view options, std::string& error) {
    const std::vector<std::string> items = split_options(options);
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string& item = items[i];
        std::string_view arg;
        std::string_view flag;
        if (item == "-c") {
            if (i + 1 == items.size()) {
                error = "\"-c\" at the end of the options startup parameter lacks name=value";
                return false;
            }
            arg = items[++i];
            flag = "-c ";
        } else if (item.starts_with("--")) {
            arg = std::string_view(item).substr(2);
            flag = "--";
        } else if (item.starts_with("-c")) {
            arg = std::string_view(item).substr(2);
            flag = "-c";
        } else {
            error = "unsupported item \"" + item +
                    "\" in the options startup parameter (pgrelay accepts -c name=value and "
                    "--name=value)";
            return false;
        }
        const std::size_t eq = arg.find('=');
        if (eq == std::string_view::npos) {
            error = "\"" + std::string(flag) + std::string(arg) +
                    "\" in the options startup parameter requires a value";
            return false;
        }
        std::string name = lowered(arg.substr(0, eq));
        std::replace(name.begin(), name.end(), '-', '_');
        if (name.empty()) {
            error = "\"" + std::string(flag) + std::string(arg) +
                    "\" in the options startup parameter lacks a name";
            return false;
        }
        if (!add_baseline(list, name, arg.substr(eq + 1), error)) return false;
    }
    return true;
}

// SET's value is FROM CURRENT (any case, comments and blanks between).
bool is_from_current(std::string_view value) {
    sql_lexer lex(value);
    return lex.next_significant().is_keyword("from") &&
           lex.next_significant().is_keyword("current") &&
           lex.next_significant().is(token_kind::end);
}

// SET SESSION CHARACTERISTICS: the last [NOT] DEFERRABLE given, if any.
std::optional<bool> deferrable_mode(std::string_view text) {
    std::optional<bool> mode;
    sql_lexer lex(text);
    bool after_not = false;
    for (token t = lex.next_significant(); !t.is(token_kind::end); t = lex.next_significant()) {
        if (t.is_keyword("deferrable")) mode = !after_not;
        after_not = t.is_keyword("not");
    }
    return mode;
}

std::string_view isolation_sql(isolation_level level) {
    switch (level) {
        case isolation_level::read_uncommitted:
            return "READ UNCOMMITTED";
        case isolation_level::read_committed:
            return "READ COMMITTED";
        case isolation_level::repeatable_read:
            return "REPEATABLE READ";
        case isolation_level::serializable:
            return "SERIALIZABLE";
        case isolation_level::unspecified:
            break;
    }
    return {};
}

std::string reset_sql(std::string_view name) {
    if (name == role_name) return "RESET ROLE";
    if (name == session_authorization_name) return "RESET SESSION AUTHORIZATION";
    return "RESET " + quote_name(name);
}

bool calls_session_advisory_lock(std::string_view text) {
    for (const advisory_call& c : advisory_calls(text)) {
        if (is_session_advisory_lock(c.function)) return true;
    }
    return false;
}

constexpr std::string_view temp_object = "temporary object ";
constexpr std::string_view listening = "LISTEN ";
constexpr std::string_view hold_cursor = "WITH HOLD cursor ";
constexpr std::string_view advisory_lock = "session advisory lock ";
constexpr std::string_view advisory_lock_shared = "session advisory lock (shared) ";
constexpr std::string_view loaded = "LOAD ";

std::string lock_description(std::string_view function, const std::optional<std::string>& key) {
    const bool shared = function.ends_with("_shared");
    return std::string(shared ? advisory_lock_shared : advisory_lock) +
           (key ? *key : std::string("(computed key)"));
}

}  // namespace

// ---------------------------------------------------------------------------------------------

bool session_settings::set_baseline(
    const std::vector<std::pair<std::string, std::string>>& parameters, std::string& error) {
    std::vector<setting> base;
    // PostgreSQL applies the options switches first, then the other parameters.
    for (const auto& [name, value] : parameters) {
        if (name == "options" && !add_options(base, value, error)) return false;
    }
    for (const auto& [name, value] : parameters) {
        if (name == "user" || name == "database" || name == "replication" || name == "options" ||
            name.starts_with("_pq_.")) {
            continue;
        }
        if (!add_baseline(base, lowered(name), value, error)) return false;
    }
    baseline_ = base;
    current_ = std::move(base);
    pending_.clear();
    error_since_ready_ = false;
    unknown_ = false;
    server_reset_ = false;
    prepared_.clear();
    held_.clear();
    return true;
}

void session_settings::statement_sent(const statement_info& s) {
    for (const advisory_call& c : advisory_calls(s.text)) {
        if (is_session_advisory_lock(c.function))
            held_.push_back(lock_description(c.function, c.key));
    }
    if (s.kind == statement_kind::load) {
        std::string what = std::string(loaded) + std::string(s.object);
        if (std::find(held_.begin(), held_.end(), what) == held_.end()) held_.push_back(what);
    }
    if (s.kind == statement_kind::other && do_block_may_change_session(s.text)) {
        if (std::find(held_.begin(), held_.end(), "DO block") == held_.end())
            held_.push_back("DO block");
    }
}

void session_settings::statement_done(const statement_info& s, std::string_view command_tag) {
    using k = statement_kind;
    push_session_objects(s);
    switch (s.kind) {
        case k::set:
            if (s.is_local || is_transaction_scoped(s.name)) return;  // ends with its transaction
            if (s.name.empty() || s.value.empty() || is_from_current(s.value)) {
                push(op_kind::unknown);
            } else {
                push(op_kind::assign, s.name, std::string(s.text));
            }
            return;
        case k::reset:
            if (s.is_local || s.name.empty() || is_transaction_scoped(s.name)) return;
            push(op_kind::reset, s.name);
            return;
        case k::reset_all:
            push(op_kind::reset_all);
            return;
        case k::discard:
            if (s.discard == discard_target::all) push(op_kind::discard_all);
            if (s.discard == discard_target::temp)
                push(op_kind::let_go_all, std::string(temp_object));
            return;
        case k::set_config:
            push_set_config(s);
            return;
        case k::set_session_characteristics:
            push_session_characteristics(s);
            return;
        case k::commit:  // "ROLLBACK" when it ended a failed transaction
            if (command_tag == "COMMIT") {
                apply_pending();
            } else {
                pending_.clear();
            }
            return;
        case k::rollback:
            pending_.clear();
            return;
        case k::prepare_transaction:
            // "PREPARE acts the same as COMMIT as far as GUC is concerned" (PostgreSQL's xact.c):
            // the session keeps the prepared transaction's SETs.
            if (command_tag == "PREPARE TRANSACTION") {
                apply_pending();
            } else {
                pending_.clear();
            }
            return;
        case k::savepoint:
            push(op_kind::savepoint, identifier_value(s.object));
            return;
        case k::release_savepoint:
            release_savepoint(identifier_value(s.object));
            return;
        case k::rollback_to_savepoint:
            rollback_to_savepoint(identifier_value(s.object));
            return;
        default:  // set_route / reset_route are pgrelay's own; the rest change no setting
            return;
    }
}

void session_settings::error() {
    error_since_ready_ = true;
}

// No flag for "a block is open" is needed: COMMIT / ROLLBACK (AND CHAIN or not) settle the
// pending list themselves, BEGIN only turns the implicit transaction's ops into the block's (as
// PostgreSQL does), an error inside a block waits for ROLLBACK [TO], and 'T' / 'E' keep
// everything pending.
void session_settings::ready(char status) {
    if (status == 'I') {
        // Whatever is still pending belongs to the implicit transaction (or to a block whose
        // end we did not see): it committed unless something failed.
        if (error_since_ready_) {
            pending_.clear();
        } else {
            apply_pending();
        }
    }
    error_since_ready_ = false;
}

bool session_settings::take_server_reset() {
    return std::exchange(server_reset_, false);
}

void session_settings::push(op_kind kind, std::string name, std::string sql) {
    pending_.push_back({kind, std::move(name), std::move(sql)});
}

void session_settings::push_set_config(const statement_info& s) {
    if (s.set_config_calls == 0) return;
    for (const set_config_call& c : find_set_config_calls(s.text)) {
        if (c.is_local.value_or(false)) continue;  // like SET LOCAL
        if (!c.name || c.name->empty() || !c.value_known || !c.is_local) {
            push(op_kind::unknown);
            continue;
        }
        if (is_transaction_scoped(*c.name)) continue;
        push(op_kind::assign, *c.name,
             "SELECT set_config(" + quote_literal(*c.name) + ", " + std::string(c.value) +
                 ", false)");
    }
}

// Each mode becomes its own setting so that a later statement giving another mode keeps it.
void session_settings::push_session_characteristics(const statement_info& s) {
    constexpr std::string_view prefix = "SET SESSION CHARACTERISTICS AS TRANSACTION ";
    if (s.access != access_mode::unspecified) {
        push(op_kind::assign, "default_transaction_read_only",
             std::string(prefix) +
                 (s.access == access_mode::read_only ? "READ ONLY" : "READ WRITE"));
    }
    if (s.isolation != isolation_level::unspecified) {
        push(op_kind::assign, "default_transaction_isolation",
             std::string(prefix) + "ISOLATION LEVEL " + std::string(isolation_sql(s.isolation)));
    }
    if (const std::optional<bool> deferrable = deferrable_mode(s.text)) {
        push(op_kind::assign, "default_transaction_deferrable",
             std::string(prefix) + (*deferrable ? "DEFERRABLE" : "NOT DEFERRABLE"));
    }
}

void session_settings::push_session_objects(const statement_info& s) {
    using k = statement_kind;
    switch (s.kind) {
        case k::create_temp:
            if (!drops_on_commit(s.text)) {
                const std::string name = last_name_part(s.object);
                push(op_kind::hold, std::string(temp_object) + (name.empty() ? "(unnamed)" : name));
            }
            break;
        case k::listen:
            push(op_kind::hold, std::string(listening) + identifier_value(s.object));
            break;
        case k::unlisten:
            if (s.all) {
                push(op_kind::let_go_all, std::string(listening));
            } else {
                push(op_kind::let_go, std::string(listening) + identifier_value(s.object));
            }
            break;
        case k::declare_cursor:
            if (s.with_hold)
                push(op_kind::hold, std::string(hold_cursor) + identifier_value(s.object));
            break;
        case k::close_cursor:
            if (s.all) {
                push(op_kind::let_go_all, std::string(hold_cursor));
            } else {
                push(op_kind::let_go, std::string(hold_cursor) + identifier_value(s.object));
            }
            break;
        case k::prepare:  // not transactional
            put(prepared_, identifier_value(s.object), s.text);
            break;
        case k::deallocate:
            if (s.all) {
                prepared_.clear();
            } else {
                const std::string name = identifier_value(s.object);
                std::erase_if(prepared_, [&](const setting& p) { return p.name == name; });
            }
            break;
        case k::other:
            for (const std::string& name : dropped_objects(s.text))
                push(op_kind::let_go, std::string(temp_object) + name);
            break;
        default:
            break;
    }
    // Unlocks take effect at once and whatever becomes of the transaction.
    for (const advisory_call& c : advisory_calls(s.text)) {
        if (c.function == "pg_advisory_unlock_all") {
            let_go_all(advisory_lock);
        } else if ((c.function == "pg_advisory_unlock" ||
                    c.function == "pg_advisory_unlock_shared") &&
                   c.key) {
            let_go(lock_description(c.function, c.key));
        }
    }
}

void session_settings::let_go(std::string_view description) {
    auto it = std::find(held_.begin(), held_.end(), description);
    if (it != held_.end()) held_.erase(it);
}

void session_settings::let_go_all(std::string_view prefix) {
    std::erase_if(held_, [&](const std::string& h) { return h.starts_with(prefix); });
}

std::string session_settings::pinned_by() const {
    if (!held_.empty()) return held_.front();
    if (unknown_) return "session state pgrelay cannot replay";
    return {};
}

std::string session_settings::baseline_restore_sql(const statement_info& s) const {
    std::string out;
    auto emit = [&](std::string_view sql) {
        if (!out.empty()) out += "; ";
        out += sql;
    };
    if (s.kind == statement_kind::reset) {
        if (s.is_local || s.name.empty() || is_transaction_scoped(s.name)) return out;
        if (const setting* b = find(baseline_, s.name)) emit(b->sql);
    } else if (s.kind == statement_kind::reset_all ||
               (s.kind == statement_kind::discard && s.discard == discard_target::all)) {
        const bool keeps_role = s.kind == statement_kind::reset_all;  // GUC_NO_RESET_ALL
        for (const setting& b : baseline_) {
            if (keeps_role && (b.name == role_name || b.name == session_authorization_name))
                continue;
            emit(b.sql);
        }
    }
    return out;
}

void session_settings::apply_pending() {
    for (const op& o : pending_)
        apply(o);
    pending_.clear();
}

void session_settings::apply(const op& o) {
    switch (o.kind) {
        case op_kind::assign:
            // A new session authorization ends any SET ROLE.
            if (o.name == session_authorization_name) remove(role_name);
            assign(o.name, o.sql);
            return;
        case op_kind::reset:
            if (o.name == session_authorization_name) remove(role_name);
            if (const setting* b = find(baseline_, o.name)) {
                assign(o.name, b->sql);
            } else {
                remove(o.name);
            }
            return;
        case op_kind::reset_all: {
            // RESET ALL leaves role and session_authorization alone (GUC_NO_RESET_ALL).
            std::vector<setting> next = baseline_;
            for (const std::string_view kept : {session_authorization_name, role_name}) {
                if (const setting* c = find(current_, kept)) {
                    put(next, kept, c->sql);
                } else {
                    std::erase_if(next, [&](const setting& s) { return s.name == kept; });
                }
            }
            current_ = std::move(next);
            server_reset_ = true;
            return;
        }
        case op_kind::discard_all:
            // DISCARD ALL also drops temporary objects, closes cursors, unlistens, releases
            // advisory locks and deallocates; a loaded library stays.
            current_ = baseline_;
            server_reset_ = true;
            unknown_ = false;
            prepared_.clear();
            std::erase_if(held_, [](const std::string& h) { return !h.starts_with(loaded); });
            return;
        case op_kind::hold:
            if (std::find(held_.begin(), held_.end(), o.name) == held_.end())
                held_.push_back(o.name);
            return;
        case op_kind::let_go:
            let_go(o.name);
            return;
        case op_kind::let_go_all:
            let_go_all(o.name);
            return;
        case op_kind::unknown:
            unknown_ = true;
            return;
        case op_kind::savepoint:
            return;
    }
}

void session_settings::assign(std::string_view name, std::string_view sql) {
    put(current_, name, sql);
}

void session_settings::remove(std::string_view name) {
    std::erase_if(current_, [&](const setting& s) { return s.name == name; });
}

// Savepoint names repeat: PostgreSQL picks the innermost one.
void session_settings::release_savepoint(std::string_view name) {
    for (std::size_t i = pending_.size(); i-- > 0;) {
        if (pending_[i].kind == op_kind::savepoint && pending_[i].name == name) {
            pending_.erase(
                std::remove_if(pending_.begin() + static_cast<std::ptrdiff_t>(i), pending_.end(),
                               [](const op& o) { return o.kind == op_kind::savepoint; }),
                pending_.end());
            return;
        }
    }
}

void session_settings::rollback_to_savepoint(std::string_view name) {
    for (std::size_t i = pending_.size(); i-- > 0;) {
        if (pending_[i].kind == op_kind::savepoint && pending_[i].name == name) {
            pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i + 1), pending_.end());
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------

std::string reconcile_sql(std::span<const setting> applied, std::span<const setting> wanted) {
    std::string out;
    auto emit = [&](std::string_view sql) {
        if (!out.empty()) out += "; ";
        out += sql;
    };
    bool authorization_changes = false;
    for (const setting& a : applied) {
        if (find(wanted, a.name) != nullptr) continue;
        emit(reset_sql(a.name));
        if (a.name == session_authorization_name) authorization_changes = true;
    }
    if (const setting* w = find(wanted, session_authorization_name)) {
        const setting* a = find(applied, session_authorization_name);
        if (a == nullptr || a->sql != w->sql) authorization_changes = true;
    }
    const setting* wanted_role = find(wanted, role_name);
    for (const setting& w : wanted) {
        if (authorization_changes && &w == wanted_role) continue;  // set again below
        const setting* a = find(applied, w.name);
        if (a == nullptr || a->sql != w.sql) emit(w.sql);
    }
    if (authorization_changes && wanted_role != nullptr) emit(wanted_role->sql);
    return out;
}

std::string reconcile_prepared_sql(std::span<const setting> applied,
                                   std::span<const setting> wanted) {
    std::string out;
    auto emit = [&](std::string_view sql) {
        if (!out.empty()) out += "; ";
        out += sql;
    };
    for (const setting& a : applied) {
        const setting* w = find(wanted, a.name);
        if (w != nullptr && w->sql == a.sql) continue;
        std::string name = "\"";
        for (const char c : a.name) {
            if (c == '"') name += '"';
            name += c;
        }
        emit("DEALLOCATE " + name + "\"");
    }
    for (const setting& w : wanted) {
        const setting* a = find(applied, w.name);
        if (a == nullptr || a->sql != w.sql) emit(w.sql);
    }
    return out;
}

std::string raise_error_sql(std::string_view sqlstate, std::string_view message) {
    constexpr std::string_view tag = "$pgrelay$";
    std::string text;  // the body must not close its own quote: "$pgrelay$" becomes "$ pgrelay$"
    for (std::size_t from = 0;;) {
        const std::size_t at = message.find(tag, from);
        text.append(message.substr(from, at == std::string_view::npos ? at : at + 1 - from));
        if (at == std::string_view::npos) break;
        text.push_back(' ');
        from = at + 1;
    }
    return "DO " + std::string(tag) +
           "BEGIN RAISE EXCEPTION USING ERRCODE = " + quote_literal(sqlstate) +
           ", MESSAGE = " + quote_literal(text) + "; END" + std::string(tag);
}

std::optional<std::string_view> pin_reason(const statement_info& s) {
    switch (s.kind) {
        case statement_kind::create_temp:
            return "temporary object";
        case statement_kind::listen:
            return "LISTEN";
        case statement_kind::declare_cursor:
            if (s.with_hold) return "WITH HOLD cursor";
            break;
        case statement_kind::load:
            return "LOAD";
        case statement_kind::other:
            if (do_block_may_change_session(s.text)) return "DO block";
            break;
        case statement_kind::set_config:
            if (!s.set_config_args_known) return "set_config with computed arguments";
            break;
        default:
            break;
    }
    if (calls_session_advisory_lock(s.text)) return "session advisory lock";
    return std::nullopt;
}

}  // namespace pgrelay::proxy
