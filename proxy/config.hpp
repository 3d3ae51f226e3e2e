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
    // Per-node replication-lag limits for reads; empty: the [health] values apply.
    std::optional<std::uint64_t> max_lag_bytes;        // max_lag_bytes, as in [health]
    std::optional<std::chrono::milliseconds> max_lag;  // max_lag_ms, as in [health]

    friend bool operator==(const node_config&, const node_config&) = default;
};

// The health checker ([health]): how often and how each node is probed, when a node counts
// as down or up, and how much replication lag a standby may have and still serve reads.
struct health_config {
    std::chrono::milliseconds interval{1000};           // between probes of a node; >= 10 ms
    std::chrono::milliseconds connect_timeout{2000};    // > 0
    std::chrono::milliseconds query_timeout{2000};      // > 0
    int rise = 2;                                       // 1..100 successes: a down node is up
    int fall = 3;                                       // 1..100 failures: an up node is down
    std::uint64_t max_lag_bytes = 16ULL * 1024 * 1024;  // replay lag a readable standby may have
    std::chrono::milliseconds max_lag{10000};           // key max_lag_ms; same, in time
    std::string user = "postgres";  // the health-check role (needs pg_monitor or superuser)
    // Optional; when empty, the users file's plaintext password for `user` is used (the
    // loader does not check this). A secret: never printed.
    std::string password;
    std::string dbname = "postgres";

    friend bool operator==(const health_config&, const health_config&) = default;
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
    health_config health;              // [health]
    std::vector<node_config>
        nodes;  // at least one; names unique; roles come from the health checker

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
// (nodes as "nodes[i].key = value"), values in TOML syntax, timeouts in seconds, byte
// counts as integers. Optional settings (health.password, per-node lag limits) appear only
// when set. Contains no secrets: health.password is shown as "********". Used by
// `pgrelay --check`.
[[nodiscard]] std::string describe(const config& cfg);

}  // namespace pgrelay::proxy
