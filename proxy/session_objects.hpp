// Finding the session objects a statement touches in its text, where the classifier's verdict is
// not enough: advisory lock calls and their keys, the names a DROP removes, temporary tables that
// vanish at commit, and DO blocks that may change session state. Lexer-level; pure; never throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgrelay::proxy {

// A call of a pg_*advisory* function ("pg_advisory_lock", "pg_try_advisory_lock_shared",
// "pg_advisory_unlock_all", ...), name folded, with its arguments when they are all integer
// literals, joined by "," without blanks ("1", "1,-2"). Calls are found token by token, so
// strings and comments never match.
struct advisory_call {
    std::string function;
    std::optional<std::string> key;
};
std::vector<advisory_call> advisory_calls(std::string_view sql);

// A session-level lock function (pg_advisory_lock[_shared], pg_try_advisory_lock[_shared]), as
// opposed to the _xact_ ones that end with their transaction.
bool is_session_advisory_lock(std::string_view function);

// DROP TABLE / VIEW / MATERIALIZED VIEW / SEQUENCE / INDEX / TYPE / DOMAIN / FUNCTION /
// PROCEDURE / ROUTINE / FOREIGN TABLE [CONCURRENTLY] [IF EXISTS] names: the last part of each name
// that could be a temporary object (unqualified, or in pg_temp / pg_temp_N), folded. Empty for
// any other statement.
std::vector<std::string> dropped_objects(std::string_view sql);

// The object's own name from a possibly qualified name as written ("pg_temp.\"T\"" -> "T").
std::string last_name_part(std::string_view written);

// CREATE TEMP TABLE ... ON COMMIT DROP: the table is gone when its transaction ends.
bool drops_on_commit(std::string_view sql);

// DO [LANGUAGE l] 'body': true when the body names anything that can leave session state behind
// (temporary objects, set_config, a SET or RESET statement, advisory locks, LISTEN, PREPARE,
// cursors WITH HOLD, LOAD, roles, session authorization, DISCARD, or dynamic SQL through EXECUTE,
// which could be any of these). False for other statements.
bool do_block_may_change_session(std::string_view sql);

}  // namespace pgrelay::proxy
