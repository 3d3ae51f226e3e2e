// The admin console's command language (PgBouncer style): one Query string in, one command
// out, or the SQLSTATE and message to answer with. Case-insensitive key words, trailing ';'
// optional, whitespace and SQL comments ignored. Pure: no I/O, never throws on any input.
// Also the command list that SHOW HELP prints and the unknown-command error names.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pgrelay::proxy {

enum class admin_command_kind : std::uint8_t {
    show_help,
    show_version,
    show_config,
    show_nodes,
    show_pools,
    show_clients,
    show_servers,
    show_stats,
    show_events,
    pause,         // hold new transactions until RESUME
    resume,        // release them
    disable_node,  // DISABLE NODE name
    enable_node,   // ENABLE NODE name
    reload,        // read the configuration file again
    shutdown,      // stop after running transactions end
    switchover,    // SWITCHOVER TO name [TIMEOUT seconds]
};

// "SHOW NODES", "DISABLE NODE", "SWITCHOVER": the command as an operator writes it.
std::string_view to_string(admin_command_kind kind);
// The CommandComplete tag of a successful answer: "SHOW" for every SHOW, otherwise the first
// key word ("PAUSE", "DISABLE", "SWITCHOVER"), as PgBouncer does.
std::string_view command_tag(admin_command_kind kind);

// Longest SWITCHOVER TIMEOUT accepted, in seconds.
inline constexpr int max_switchover_timeout_seconds = 86400;

struct admin_command {
    admin_command_kind kind = admin_command_kind::show_help;
    // disable_node, enable_node, switchover: the node, exactly as it must appear in [[nodes]]
    // name. An unquoted name is taken as written (not folded to lower case: node names are
    // case-sensitive); "quoted" and 'string' forms are unquoted. Always [A-Za-z0-9_.-]+.
    std::string node;
    // switchover: TIMEOUT in milliseconds (1 ms .. max_switchover_timeout_seconds); empty
    // when not given, so the caller applies its default.
    std::optional<std::chrono::milliseconds> timeout;

    friend bool operator==(const admin_command&, const admin_command&) = default;
};

struct admin_error {
    std::string_view sqlstate;  // 42601 syntax error, 22023 invalid parameter value
    std::string message;        // one line, names the offending word
    std::string hint;           // may be empty

    friend bool operator==(const admin_error&, const admin_error&) = default;
};

enum class admin_parse_status : std::uint8_t {
    command,  // `command` holds what to do
    empty,    // no statement at all (blank, comments, ';'): answer EmptyQueryResponse
    error,    // `error` holds the ErrorResponse to send
};

struct admin_parse_result {
    admin_parse_status status = admin_parse_status::empty;
    admin_command command;  // status == command
    admin_error error;      // status == error

    [[nodiscard]] bool ok() const { return status == admin_parse_status::command; }
};

// Parses one simple-query string. Several statements ("SHOW NODES; SHOW POOLS") are an error:
// the console answers one command per Query.
[[nodiscard]] admin_parse_result parse_admin_command(std::string_view sql);

struct help_row {
    std::string_view command;      // "SWITCHOVER TO name [TIMEOUT seconds]"
    std::string_view description;  // what it does, one sentence without a final period
};
// Every command in the order SHOW HELP lists them.
[[nodiscard]] std::span<const help_row> help_rows();

}  // namespace pgrelay::proxy
