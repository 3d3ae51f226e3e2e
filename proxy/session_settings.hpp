// A client's session state under transaction pooling: what its startup parameters, the SETs and
// the SQL PREPAREs that took effect amount to, as SQL pgrelay can replay on any server connection
// the client leases, and the session objects that tie it to one server connection instead
// (temporary objects, LISTEN, WITH HOLD cursors, advisory locks, LOAD). Pure; fed by the relay as
// statements are sent and acknowledged; never throws on client input.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/sql_classifier.hpp"

namespace pgrelay::proxy {

// One setting as pgrelay replays it: the parameter name (lowercased, as statement_info::name)
// and the statement that gives it its value, e.g. {"search_path", "SET search_path TO public"}.
struct setting {
    std::string name;
    std::string sql;
    friend bool operator==(const setting&, const setting&) = default;
};

class session_settings {
  public:
    // The client's startup parameters (name, value pairs as sent). "user", "database",
    // "replication" (and protocol extensions, "_pq_.*") are ignored; "options" is split
    // PostgreSQL's way (whitespace separates, backslash escapes the next character) into
    // "-c name=value", "-cname=value" and "--name=value" items, each a setting, applied before
    // the other parameters as PostgreSQL does; any other options item (or an empty or NUL-bearing
    // name, a NUL in a value) makes this return false with `error` explaining (the caller refuses
    // the login). Names are lowercased; "-" in option names becomes "_". Each becomes
    // SET name = '<value, single quotes doubled>' (E'...' when the value holds a backslash; the
    // name's dotted parts double-quoted unless plain lowercase identifiers that are not reserved
    // words), except list parameters whose SET would quote the whole value as one element
    // (search_path, temp_tablespaces, *_preload_libraries): SELECT set_config('name', '<value>',
    // false). These are the baseline: RESET name / RESET ALL / DISCARD ALL return to them, not
    // to the server default. On success the session starts over from the baseline.
    bool set_baseline(const std::vector<std::pair<std::string, std::string>>& parameters,
                      std::string& error);

    // A statement is about to be sent to the server. Session advisory locks (taken even when
    // the statement fails afterwards, and kept whatever becomes of the transaction) and LOAD
    // count from here: when in doubt, pin.
    void statement_sent(const statement_info& s);

    // The server completed one statement (CommandComplete) with this tag ("SET", "COMMIT",
    // "ROLLBACK", ...). `s` is the classifier's statement_info for it. SET / RESET / RESET ALL /
    // DISCARD ALL / set_config(..., false) / SET SESSION CHARACTERISTICS (one setting per mode
    // given: default_transaction_read_only, _isolation, _deferrable) wait until their transaction
    // commits: COMMIT (tag "COMMIT"), PREPARE TRANSACTION (which keeps SETs like a commit), or
    // ReadyForQuery 'I' with no error since the previous ReadyForQuery; ROLLBACK, a COMMIT that
    // answers "ROLLBACK", ROLLBACK TO SAVEPOINT and a failed implicit transaction drop them.
    // SET LOCAL, set_config(..., true) and the transaction_* parameters end with their
    // transaction and are ignored. A new session authorization ends SET ROLE.
    // Session objects follow the same rule: CREATE TEMP (not ON COMMIT DROP), LISTEN, DECLARE
    // ... WITH HOLD hold the client's server from their commit; DROP of a held temporary object
    // (unqualified or pg_temp.), DISCARD TEMP, UNLISTEN, CLOSE let go at theirs. Advisory unlocks
    // (literal keys, or pg_advisory_unlock_all) let go at once, as PostgreSQL releases them. SQL
    // PREPARE and DEALLOCATE take effect at once too (prepared statements are not transactional).
    // DISCARD ALL lets go of everything but LOAD.
    void statement_done(const statement_info& s, std::string_view command_tag);
    // The server reported an ErrorResponse.
    void error();
    // ReadyForQuery with transaction status 'I', 'T' or 'E'.
    void ready(char status);

    // The settings in effect for the client now (committed), in the order they were first
    // set (a later SET of the same name replaces its sql in place). Includes the baseline.
    const std::vector<setting>& current() const { return current_; }
    // True once something happened whose effect cannot be replayed (set_config whose name, value
    // or is_local is not a literal, unless is_local is literally true; SET ... FROM CURRENT; a SET
    // of a parameter whose value we cannot represent). The relay then pins the client to its
    // server. Like any other effect it counts once its transaction commits; it then stays.
    bool unknown() const { return unknown_; }
    // True when the client ran RESET ALL or DISCARD ALL that took effect since the last
    // call of take_server_reset(): the server connection then holds server defaults, not
    // the client's baseline (except that RESET ALL, as in PostgreSQL, leaves role and
    // session_authorization as they were). Returns and clears the flag.
    bool take_server_reset();

    // The client's SQL-prepared statements: name (as identifier_value folds it) and the PREPARE
    // statement as written, in the order prepared. Replayed on each server it leases.
    const std::vector<setting>& prepared() const { return prepared_; }

    // True while something ties the client to its server connection: a held session object
    // (above) or session state pgrelay cannot replay (unknown()).
    bool pinned() const { return !held_.empty() || unknown_; }
    // What pins it, for messages: "temporary object t", "LISTEN jobs", "WITH HOLD cursor c",
    // "session advisory lock 1", "LOAD 'x'", "DO block", or "session state pgrelay cannot
    // replay". Empty when not pinned.
    std::string pinned_by() const;

    // SQL that brings the server back to the client's startup values after `s` (RESET name,
    // RESET ALL, DISCARD ALL) reset them to the server's defaults; run right after `s` on the
    // same connection, in the same transaction. Empty when nothing of the baseline is reset.
    std::string baseline_restore_sql(const statement_info& s) const;

  private:
    enum class op_kind : unsigned char {
        assign,       // name = sql
        reset,        // RESET name: back to the baseline, or gone
        reset_all,    // RESET ALL
        discard_all,  // DISCARD ALL
        unknown,      // an effect we cannot replay
        savepoint,    // a marker: name is the savepoint's
        hold,         // a session object appears: name is its description
        let_go,       // a session object goes: name is its description
        let_go_all,   // every session object whose description starts with name goes
    };
    struct op {
        op_kind kind = op_kind::assign;
        std::string name;
        std::string sql;
    };

    void push(op_kind kind, std::string name = {}, std::string sql = {});
    void push_set_config(const statement_info& s);
    void push_session_characteristics(const statement_info& s);
    void apply_pending();
    void apply(const op& o);
    void assign(std::string_view name, std::string_view sql);
    void remove(std::string_view name);
    void release_savepoint(std::string_view name);
    void rollback_to_savepoint(std::string_view name);
    void push_session_objects(const statement_info& s);
    void let_go(std::string_view description);
    void let_go_all(std::string_view prefix);

    std::vector<setting> baseline_;
    std::vector<setting> current_;
    std::vector<op> pending_;  // effects (and savepoint markers) not committed yet, in order
    std::vector<setting> prepared_;
    std::vector<std::string> held_;  // session objects on the server, one entry each
    bool error_since_ready_ = false;
    bool unknown_ = false;
    bool server_reset_ = false;
};

// SQL that moves a server connection whose SQL-prepared statements are `applied` to `wanted`:
// DEALLOCATE of each applied name not wanted as it is, then each wanted PREPARE the server lacks.
std::string reconcile_prepared_sql(std::span<const setting> applied,
                                   std::span<const setting> wanted);

// A statement that fails on the server with this SQLSTATE and message (a DO block raising it), so
// that the server's transaction state follows the error as the client sees it.
std::string raise_error_sql(std::string_view sqlstate, std::string_view message);

// SQL (statements separated by "; ") that moves a server connection whose settings are
// `applied` to `wanted`: first "RESET name" for every name in `applied` absent from `wanted`
// (role -> "RESET ROLE", session_authorization -> "RESET SESSION AUTHORIZATION"), then the
// sql of every `wanted` setting whose sql differs from `applied`'s for that name (or is
// absent), in `wanted` order. Changing the session authorization also ends any SET ROLE on the
// server, so when session_authorization is set or reset, a wanted role is set again after it.
// Empty when nothing differs.
std::string reconcile_sql(std::span<const setting> applied, std::span<const setting> wanted);

// Why a statement pins the client to its server connection in transaction mode (its
// effect lives on that connection and cannot be replayed), or nothing. "When in doubt,
// pin": create_temp ("temporary object"), listen ("LISTEN"), declare_cursor with_hold
// ("WITH HOLD cursor"), load ("LOAD"), a DO block whose body may change session state ("DO
// block": it names temporary objects, set_config, SET, advisory locks, LISTEN, PREPARE, cursors,
// LOAD, roles or dynamic SQL), a statement of any kind whose
// text calls pg_advisory_lock / pg_advisory_lock_shared / pg_try_advisory_lock /
// pg_try_advisory_lock_shared (session-level, not the _xact_ variants; case-insensitive, not
// inside strings or comments) ("session advisory lock"), and a set_config whose arguments are
// not all literal ("set_config with computed arguments").
std::optional<std::string_view> pin_reason(const statement_info& s);

}  // namespace pgrelay::proxy
