// The pgrelay configuration: the validated, resolved settings of one TOML file, and the
// loader that turns a file (or text) into them. Pure: no logging, no I/O beyond reading the
// file, no exceptions escape. Reload = call the loader again and swap the snapshot on success.
// Reference for every key: docs/configuration.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgrelay::proxy {

// How clients prove who they are to pgrelay ([auth] method).
enum class auth_method {
    trust,          // no password asked; the user must still be in the users file
    md5,            // AuthenticationMD5Password
    scram_sha_256,  // AuthenticationSASL with SCRAM-SHA-256
};

enum class log_level { debug, info, warning, error };

// One PostgreSQL server of the cluster ([[nodes]]).
struct node_config {
    std::string name;  // unique, [A-Za-z0-9_.-]+; used in logs and metrics
    std::string host;  // host name or IP address (TCP only; no Unix-socket directories)
    uint16_t port = 5432;

    friend bool operator==(const node_config&, const node_config&) = default;
};

struct config {
    unsigned workers = 0;  // resolved: 0 in the file means hardware_concurrency() (at least 1)
    uint32_t max_client_conn = 1000;
    std::chrono::milliseconds client_login_timeout{60000};   // 0 = off
    std::chrono::milliseconds client_idle_timeout{0};        // 0 = off
    std::chrono::milliseconds server_connect_timeout{5000};  // always > 0
    log_level level = log_level::info;
    std::string listen_address = "127.0.0.1";  // an IPv4 or IPv6 literal
    uint16_t listen_port = 6432;
    auth_method auth = auth_method::scram_sha_256;
    std::filesystem::path users_file;  // resolved against the config file's directory
    std::vector<node_config> nodes;    // at least one; names unique; the first is the primary

    friend bool operator==(const config&, const config&) = default;
};

// Outcome of loading a configuration: exactly one of `value` and `error` is set.
// `error` holds one problem per line, each "key: problem" (for example
// `listen.port: must be an integer between 1 and 65535, got 70000`), or, for a TOML syntax
// error, "line L, column C: problem". load_config_file prefixes every line with "<path>: ".
// All validation problems are reported at once (a syntax error stops parsing, so it is alone).
struct config_result {
    std::optional<config> value;
    std::string error;

    [[nodiscard]] bool ok() const { return value.has_value(); }
};

// Reads and validates the file. Relative paths inside it (auth.users_file) are resolved
// against the absolute directory of `path`. Does not open the users file.
[[nodiscard]] config_result load_config_file(const std::filesystem::path& path);

// Validates TOML text. Relative auth.users_file is resolved as base_dir / users_file
// (lexically normalised); with an empty base_dir it stays as written.
[[nodiscard]] config_result parse_config(std::string_view toml_text,
                                         const std::filesystem::path& base_dir);

// The spellings used in the file: "trust", "md5", "scram-sha-256"; exact, lower case.
[[nodiscard]] std::string to_string(auth_method method);
[[nodiscard]] std::optional<auth_method> parse_auth_method(std::string_view text);

// "debug", "info", "warning", "error"; exact, lower case.
[[nodiscard]] std::string to_string(log_level level);
[[nodiscard]] std::optional<log_level> parse_log_level(std::string_view text);

// The effective configuration, one "section.key = value" line per setting in file order
// (nodes as "nodes[i].key = value"), values in TOML syntax, timeouts in seconds.
// Contains no secrets (the config holds none). Used by `pgrelay --check`.
[[nodiscard]] std::string describe(const config& cfg);

}  // namespace pgrelay::proxy
