// SQL classification for routing: decides, for the text of a Query or Parse message, whether
// each statement may run on a hot standby, and extracts what transaction routing and session-state
// tracking need (BEGIN modes, SET/RESET, prepared statements, cursors, LISTEN, temp objects,
// pgrelay route hints). Lexer-level, no parser; pure; never throws on client input.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/sql_lexer.hpp"

namespace pgrelay::proxy {

// Where a statement may run. The question answered is "would a hot standby execute it?", not
// "does it belong to a writing transaction": BEGIN, COMMIT and SET are `read`; the router places
// transactions with the transaction-control fields below.
enum class route_class : std::uint8_t {
    read,   // a standby can run it
    write,  // needs the primary: a standby would refuse it, or we cannot tell
};

// A client's explicit choice: a leading /* pgrelay:primary */ comment, or SET pgrelay.route.
enum class route_preference : std::uint8_t {
    automatic,  // classify ('auto')
    primary,
    standby,
};

// Transaction access mode requested by BEGIN / START TRANSACTION / SET TRANSACTION / SET SESSION
// CHARACTERISTICS, or the value given to (default_)transaction_read_only.
enum class access_mode : std::uint8_t {
    unspecified,  // not mentioned (or, for a RESET, back to the server default)
    read_only,
    read_write,
};

enum class isolation_level : std::uint8_t {
    unspecified,
    read_uncommitted,
    read_committed,
    repeatable_read,
    serializable,  // a hot standby refuses it ("cannot use serializable mode in a hot standby")
};

enum class discard_target : std::uint8_t { none, all, plans, sequences, temp };

enum class statement_kind : std::uint8_t {
    // Plain statements: `route` says where they may run.
    select,  // SELECT / VALUES / TABLE / WITH ... SELECT, also SELECT INTO (a write)
    insert,  // INSERT, or WITH ... INSERT (likewise below)
    update,
    delete_,
    merge,
    copy_from,  // COPY ... FROM (write)
    copy_to,    // COPY ... TO (read unless its query writes)
    explain,  // EXPLAIN [ANALYZE] stmt: read, or the inner statement's route when ANALYZE is given
    show,     // SHOW name | ALL: name (lowercased), all
    fetch,    // FETCH / MOVE on a cursor
    other,    // everything else: DDL, CALL, DO, VACUUM, NOTIFY, LOCK, unknown words (write)

    // Transaction control: access, isolation, and_chain, object (savepoint name, gid).
    begin,                        // BEGIN / START TRANSACTION [modes]
    commit,                       // COMMIT / END [AND [NO] CHAIN]
    rollback,                     // ROLLBACK / ABORT [AND [NO] CHAIN]
    savepoint,                    // SAVEPOINT name
    release_savepoint,            // RELEASE [SAVEPOINT] name
    rollback_to_savepoint,        // ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] name (not an end)
    prepare_transaction,          // PREPARE TRANSACTION 'gid' (write)
    commit_prepared,              // COMMIT PREPARED 'gid' (write)
    rollback_prepared,            // ROLLBACK PREPARED 'gid' (write)
    set_transaction,              // SET TRANSACTION modes | SNAPSHOT 'id' (this transaction)
    set_session_characteristics,  // SET SESSION CHARACTERISTICS AS TRANSACTION modes (default)
    set_constraints,              // SET CONSTRAINTS ... (transaction-scoped, nothing to track)

    // Session state: name, value, is_local, object, all, with_hold, discard.
    set,             // SET [SESSION|LOCAL] name {=|TO} value, and the special forms
    reset,           // RESET name, and SET name TO DEFAULT
    reset_all,       // RESET ALL
    set_config,      // SELECT ... set_config(name, value, is_local) ...
    discard,         // DISCARD ALL | PLANS | SEQUENCES | TEMP | TEMPORARY
    listen,          // LISTEN channel (write: standbys refuse it)
    unlisten,        // UNLISTEN channel | * (write)
    prepare,         // PREPARE name [(types)] AS stmt: route of stmt
    execute,         // EXECUTE name [(args)]: write (the statement is unknown here)
    deallocate,      // DEALLOCATE [PREPARE] name | ALL
    declare_cursor,  // DECLARE name ... CURSOR [WITH[OUT] HOLD] FOR query: route of query
    close_cursor,    // CLOSE name | ALL
    create_temp,     // CREATE TEMP TABLE/VIEW/SEQUENCE, SELECT INTO TEMP, CREATE ... pg_temp.x
    load,            // LOAD 'file'

    // Handled by pgrelay itself, never forwarded.
    set_route,    // SET [SESSION|LOCAL] pgrelay.route {=|TO} 'primary'|'standby'|'auto'
    reset_route,  // RESET pgrelay.route, SET pgrelay.route TO DEFAULT
};

// One statement of a query. Fields not listed for a statement's kind keep their defaults. Views
// point into the classified SQL text, which must outlive this value.
struct statement_info {
    statement_kind kind = statement_kind::other;
    route_class route = route_class::write;
    // The statement as written, from its first to its last token (comments around it and the
    // ';' excluded).
    std::string_view text;

    // begin, set_transaction, set_session_characteristics; and set/reset/set_config of
    // default_transaction_read_only or transaction_read_only (access) and of
    // default_transaction_isolation or transaction_isolation (isolation). Last mode given wins.
    access_mode access = access_mode::unspecified;
    isolation_level isolation = isolation_level::unspecified;
    bool and_chain = false;  // commit, rollback: AND CHAIN

    // set, reset, show, set_config: the parameter name, lowercased, quotes removed, parts
    // joined with '.' ("search_path", "myext.setting"). Special forms are given their parameter
    // names: SET ROLE -> "role", SET SESSION AUTHORIZATION -> "session_authorization", SET TIME
    // ZONE -> "timezone", SET NAMES -> "client_encoding", SET SCHEMA -> "search_path", SET XML
    // OPTION -> "xmloption"; RESET TRANSACTION ISOLATION LEVEL -> "transaction_isolation".
    // set_config: the first call's name when it is a string literal (empty otherwise).
    std::string name;
    // set: the value as written, up to the end of the statement ("'$user', public", "'UTC'",
    // "on", "FROM CURRENT"). set_config: the first call's second argument as written when it is
    // a literal ("'v'", "E'v\\n'"), empty otherwise.
    std::string_view value;
    // set, reset: SET LOCAL. set_config: the first call's third argument is true.
    bool is_local = false;
    // show: SHOW ALL. deallocate, close_cursor: ALL. unlisten: *.
    bool all = false;
    // As written (quotes kept; identifier_value() folds it): savepoint (savepoint,
    // release_savepoint, rollback_to_savepoint), gid literal (prepare_transaction,
    // commit_prepared, rollback_prepared), snapshot id literal (set_transaction), prepared
    // statement (prepare, execute, deallocate), cursor (declare_cursor, close_cursor), channel
    // (listen, unlisten), file literal (load), object name (create_temp; may be qualified; empty
    // when not found).
    std::string_view object;
    bool with_hold = false;                         // declare_cursor: WITH HOLD
    discard_target discard = discard_target::none;  // discard
    std::optional<route_preference> route_setting;  // set_route: nothing for an unknown value
    // set_config: how many set_config calls the statement makes, and whether every one of them
    // has literal name and value and a constant is_local. With more than one call, or to get
    // them all, use find_set_config_calls(text).
    std::uint16_t set_config_calls = 0;
    bool set_config_args_known = false;
};

// Statements in order; the first few live inline, so a typical query allocates nothing.
class statement_list {
  public:
    static constexpr std::size_t inline_capacity = 4;

    class const_iterator {
      public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = statement_info;
        using difference_type = std::ptrdiff_t;
        using pointer = const statement_info*;
        using reference = const statement_info&;

        const_iterator() = default;
        reference operator*() const { return (*list_)[index_]; }
        pointer operator->() const { return &(*list_)[index_]; }
        const_iterator& operator++() {
            ++index_;
            return *this;
        }
        const_iterator operator++(int) {
            const_iterator old = *this;
            ++index_;
            return old;
        }
        bool operator==(const const_iterator& o) const { return index_ == o.index_; }

      private:
        friend class statement_list;
        const_iterator(const statement_list* list, std::size_t index)
            : list_(list), index_(index) {}
        const statement_list* list_ = nullptr;
        std::size_t index_ = 0;
    };

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const statement_info& operator[](std::size_t i) const {
        return i < inline_capacity ? inline_[i] : overflow_[i - inline_capacity];
    }
    statement_info& operator[](std::size_t i) {
        return i < inline_capacity ? inline_[i] : overflow_[i - inline_capacity];
    }
    const statement_info& front() const { return (*this)[0]; }
    const statement_info& back() const { return (*this)[size_ - 1]; }
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, size_}; }

    statement_info& push_back(statement_info s);

  private:
    std::array<statement_info, inline_capacity> inline_{};
    std::vector<statement_info> overflow_;
    std::size_t size_ = 0;
};

struct query_info {
    // write if any statement is write; read for no statement at all (empty, only comments or
    // semicolons). A hint does not change it: the router weighs the two.
    route_class route = route_class::read;
    // A leading /* pgrelay:primary|standby|auto */ or -- pgrelay:... comment: it must be the
    // query's first token (whitespace before it allowed); case-insensitive, blanks trimmed.
    std::optional<route_preference> hint;
    statement_list statements;

    bool multiple() const { return statements.size() > 1; }
};

struct classifier_options {
    // Functions that write (or must run on the primary) besides the built-in ones. Matched
    // case-insensitively on a name followed by '(' (quoted names too). "f" matches f(...) under
    // any schema; "s.f" matches s.f(...) and unqualified f(...) (the search path may find it),
    // not other_schema.f(...).
    std::vector<std::string> writing_functions;
};

// One set_config(name, value, is_local) call, for find_set_config_calls().
struct set_config_call {
    std::optional<std::string> name;  // lowercased, when the first argument is a string literal
    std::string_view value;           // the second argument as written, when a single literal
    bool value_known = false;
    std::optional<bool> is_local;  // when the third argument is a boolean constant
};

class sql_classifier {
  public:
    explicit sql_classifier(const classifier_options& options = {});

    // Classifies a Query message's text (one or more statements separated by ';') or a Parse
    // message's text. `lexing` carries the session's standard_conforming_strings.
    query_info classify(std::string_view sql, lexer_options lexing = {}) const;

  private:
    struct function_name {
        std::string schema;  // lowercased; empty: any schema
        std::string name;    // lowercased
    };
    class scanner;  // one pass over a query: splits statements, collects per-statement facts
    bool is_configured_writer(std::string_view schema, std::string_view name) const noexcept;

    std::vector<function_name> writing_functions_;
};

// Convenience for one-off use: builds a classifier from `options` on every call.
query_info classify_query(std::string_view sql, const classifier_options& options = {},
                          lexer_options lexing = {});

// Every set_config(...) call in `sql`, in order.
std::vector<set_config_call> find_set_config_calls(std::string_view sql, lexer_options lexing = {});

// Built-in functions that must run on the primary: sequence functions (nextval, setval, currval,
// lastval), advisory locks (pg_advisory*, pg_try_advisory*), transaction ids (txid_current,
// pg_current_xact_id), pg_notify, large-object writers (lo_create, lo_creat, lo_import,
// lo_unlink, lo_put, lo_from_bytea, lowrite, lo_truncate, lo_truncate64), and WAL writers
// (pg_switch_wal, pg_create_restore_point, pg_logical_emit_message). `name` unqualified.
bool is_builtin_writing_function(std::string_view name) noexcept;

std::string_view to_string(statement_kind kind) noexcept;
std::string_view to_string(route_class route) noexcept;
std::string_view to_string(route_preference preference) noexcept;
std::string_view to_string(access_mode mode) noexcept;
std::string_view to_string(isolation_level level) noexcept;
std::string_view to_string(discard_target target) noexcept;

}  // namespace pgrelay::proxy
