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

#include "proxy/log_line.hpp"
#include "proxy/routing_policy.hpp"

namespace pgrelay::proxy {

// How clients prove who they are to pgrelay ([auth] method).
enum class auth_method {
    trust,          // no password asked; the user must still be in the users file
    md5,            // AuthenticationMD5Password
    scram_sha_256,  // AuthenticationSASL with SCRAM-SHA-256
};

enum class log_level { debug, info, warning, error };

// Whether clients may or must speak TLS to pgrelay ([tls] client_tls).
enum class client_tls_mode {
    disable,  // SSLRequest is answered 'N'
    allow,    // SSLRequest is answered 'S'; plain connections are accepted too
    require,  // SSLRequest is answered 'S'; a plain StartupMessage is refused (28000)
};

// Whether and how pgrelay (and its health checker) use TLS towards a server; the names and
// meanings of libpq's sslmode ([tls] server_tls, per node in [[nodes]]).
enum class server_tls_mode {
    disable,      // plain TCP
    prefer,       // SSLRequest; TLS when the server answers 'S', plain when 'N'
    require,      // TLS or nothing; the certificate is not checked
    verify_ca,    // TLS, the certificate chain checked against the CA file
    verify_full,  // as verify_ca, and the certificate must name the node's host
};

// What one node's connections use (the node's keys, else the [tls] ones).
struct server_tls_settings {
    server_tls_mode mode = server_tls_mode::disable;
    std::filesystem::path ca_file;  // empty: none given

    friend bool operator==(const server_tls_settings&, const server_tls_settings&) = default;
};

// One PostgreSQL server of the cluster ([[nodes]]).
struct node_config {
    std::string name;  // unique, [A-Za-z0-9_.-]+; used in logs and metrics
    std::string host;  // host name or IP address (TCP only; no Unix-socket directories)
    uint16_t port = 5432;
    // Per-node replication-lag limits for reads; empty: the [health] values apply.
    std::optional<std::uint64_t> max_lag_bytes;        // max_lag_bytes, as in [health]
    std::optional<std::chrono::milliseconds> max_lag;  // max_lag_ms, as in [health]
    // Key weight, 0..1000: this node's share of reads under [routing] balance = "weighted";
    // 0 = never gets reads by weight.
    unsigned weight = 1;
    std::optional<server_tls_mode> server_tls;       // key server_tls; unset: [tls] value
    std::optional<std::filesystem::path> server_ca;  // key server_tls_ca_file; unset: [tls]
    // Removed (or moved) by a reload: the slot stays so that node indexes never change, but
    // nothing goes there any more and it is not shown. Never set by a file.
    bool retired = false;

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

// Server connection pools ([pool]). A pool holds the server connections of one (node,
// database, user); its size is for the whole process, split evenly among the workers.
struct pool_config {
    pool_mode mode = pool_mode::transaction;  // key pool_mode
    // Key default_pool_size, 1..100000: most server connections per (node, database, user),
    // whole process.
    std::uint32_t size = 20;
    // Key min_pool_size, 0..size (a value above default_pool_size is an error): server
    // connections a pool keeps open even when they are idle.
    std::uint32_t min_size = 0;
    // Key server_idle_timeout, seconds in the file; 0 = off: a server connection unused this
    // long is closed.
    std::chrono::milliseconds server_idle_timeout{600000};
    // Key server_lifetime, seconds; 0 = off: a server connection this old is closed once it
    // is back in its pool.
    std::chrono::milliseconds server_lifetime{3600000};
    // Key query_wait_timeout, seconds; 0 = wait forever: how long a transaction waits for a
    // free server connection.
    std::chrono::milliseconds query_wait_timeout{120000};
    // Key primary_wait_timeout, seconds; 0 = fail at once: how long a write waits for a
    // primary to appear.
    std::chrono::milliseconds primary_wait_timeout{30000};
    // Key max_pinned_fraction, 0..1: the share of a node's pool (pool size for the database)
    // that clients pinned to their server connection may hold; a statement that would pin one
    // more fails (53400) instead of exhausting the pool.
    double max_pinned_fraction = 0.5;

    friend bool operator==(const pool_config&, const pool_config&) = default;
};

// Where transactions go ([routing]); [databases.NAME] may override the mode.
struct routing_config {
    routing_mode mode = routing_mode::automatic;                   // key mode
    primary_reads primary_reads_policy = primary_reads::fallback;  // key primary_reads
    balance_policy balance = balance_policy::least_outstanding;    // key balance
    // Key writing_functions: user functions that write, so a statement calling one goes to
    // the primary. Names like "f" or "schema.f": [A-Za-z0-9_$.]+ with at most one '.', in
    // file order.
    std::vector<std::string> writing_functions;
    // Key retry_recovery_conflicts: retry a lone read cancelled by a recovery conflict on a
    // standby once on another node.
    bool retry_recovery_conflicts = true;

    friend bool operator==(const routing_config&, const routing_config&) = default;
};

// The admin console ([admin]): a PostgreSQL-protocol port of its own for operators.
struct admin_config {
    std::string address = "127.0.0.1";  // key address, an IP literal
    uint16_t port = 0;                  // key port; 0 = no console
    // Key users: who may log in (authenticated like every client, against the users file).
    std::vector<std::string> users;

    friend bool operator==(const admin_config&, const admin_config&) = default;
};

// The HTTP endpoint ([http]): /livez, /readyz, /topology and /metrics on a port of its own.
struct http_config {
    std::string address = "127.0.0.1";  // key address, an IP literal
    std::uint16_t port = 0;             // key port; 0 = no HTTP endpoint
    // Key ready_without_primary: /readyz answers ready with a readable standby and no primary
    // (read-only readiness).
    bool ready_without_primary = false;

    friend bool operator==(const http_config&, const http_config&) = default;
};

// TLS towards clients ([tls]). Paths are resolved against the config file's directory.
struct tls_config {
    client_tls_mode client_mode = client_tls_mode::disable;  // key client_tls
    std::filesystem::path client_cert_file;  // key client_tls_cert_file; PEM, with any chain
    std::filesystem::path client_key_file;   // key client_tls_key_file; PEM
    // Key client_tls_ca_file, optional: when set, clients must present a certificate that
    // this CA signed.
    std::filesystem::path client_ca_file;
    // Towards the servers, unless a node says otherwise; the health checker follows it too.
    server_tls_mode server_mode = server_tls_mode::disable;  // key server_tls
    std::filesystem::path server_ca_file;  // key server_tls_ca_file; needed by verify-*

    friend bool operator==(const tls_config&, const tls_config&) = default;
};

// [databases.NAME]: overrides for clients of database NAME; unset means the global value.
struct database_config {
    std::string name;                           // the database name the client asks for; not empty
    std::optional<routing_mode> routing;        // key routing, as [routing] mode
    std::optional<pool_mode> mode;              // key pool_mode, as in [pool]
    std::optional<std::uint32_t> pool_size;     // key pool_size, 1..100000, as default_pool_size
    std::optional<double> max_pinned_fraction;  // key max_pinned_fraction, as in [pool]

    friend bool operator==(const database_config&, const database_config&) = default;
};

struct config {
    unsigned workers = 0;  // resolved: 0 in the file means hardware_concurrency() (at least 1)
    uint32_t max_client_conn = 1000;
    std::chrono::milliseconds client_login_timeout{60000};   // 0 = off
    std::chrono::milliseconds client_idle_timeout{0};        // 0 = off
    std::chrono::milliseconds server_connect_timeout{5000};  // always > 0
    log_level level = log_level::info;
    log_format log_output = log_format::logfmt;  // key log_format
    // SIGTERM: running transactions may finish for this long, then the rest are ended (57P01).
    std::chrono::milliseconds shutdown_timeout{30000};  // 0 = end them at once
    std::string listen_address = "127.0.0.1";           // an IPv4 or IPv6 literal
    uint16_t listen_port = 6432;
    // SO_REUSEPORT: another pgrelay may listen on the same port (an upgrade without refusals).
    bool listen_reuse_port = false;
    auth_method auth = auth_method::scram_sha_256;
    // Resolved against the config file's directory; empty when the users come from the
    // PGRELAY_USERS environment variable (config_env.hpp).
    std::filesystem::path users_file;
    health_config health;                    // [health]
    pool_config pool;                        // [pool]
    routing_config routing;                  // [routing]
    admin_config admin;                      // [admin]
    http_config http;                        // [http]
    tls_config tls;                          // [tls]
    std::vector<database_config> databases;  // [databases.NAME], in file order; names unique
    // At least one; names unique among those not retired; roles come from the health checker.
    // A node's index is its slot for good: a reload retires and appends, never reorders.
    std::vector<node_config> nodes;

    // The setting for clients of `database`: its [databases] override, else the global one.
    [[nodiscard]] routing_mode routing_for(std::string_view database) const;
    [[nodiscard]] pool_mode pool_mode_for(std::string_view database) const;
    [[nodiscard]] std::uint32_t pool_size_for(std::string_view database) const;
    [[nodiscard]] double max_pinned_fraction_for(std::string_view database) const;
    // TLS towards node `node` (an index into nodes).
    [[nodiscard]] server_tls_settings server_tls_for(std::size_t node) const;
    // How many clients of `database` may be pinned to connections of one node.
    [[nodiscard]] std::uint32_t max_pinned_for(std::string_view database) const;
    // The node named `name` that is not retired.
    [[nodiscard]] std::optional<std::size_t> node_index(std::string_view name) const;
    // "pg1, pg2, pg3": the names of the nodes not retired.
    [[nodiscard]] std::string node_names() const;

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

// "disable", "allow", "require"; exact, lower case.
[[nodiscard]] std::string to_string(client_tls_mode mode);
[[nodiscard]] std::optional<client_tls_mode> parse_client_tls_mode(std::string_view text);

// "disable", "prefer", "require", "verify-ca", "verify-full" (libpq's sslmode spellings).
[[nodiscard]] std::string to_string(server_tls_mode mode);
[[nodiscard]] std::optional<server_tls_mode> parse_server_tls_mode(std::string_view text);

// "debug", "info", "warning", "error"; exact, lower case.
[[nodiscard]] std::string to_string(log_level level);
[[nodiscard]] std::optional<log_level> parse_log_level(std::string_view text);

// "logfmt", "json"; exact, lower case.
[[nodiscard]] std::string to_string(log_format format);
[[nodiscard]] std::optional<log_format> parse_log_format(std::string_view text);

// The effective configuration, one "section.key = value" line per setting in file order
// (nodes as "nodes[i].key = value", database overrides as "databases.NAME.key = value"),
// values in TOML syntax, timeouts in seconds, byte counts as integers. Optional settings
// (health.password, per-node lag limits, database overrides) appear only when set. Contains no
// secrets: health.password is shown as "********". Used by `pgrelay --check`.
[[nodiscard]] std::string describe(const config& cfg);

// A duration in seconds as describe() and the file write it ("120", "0.5").
[[nodiscard]] std::string seconds_text(std::chrono::milliseconds ms);

// A number as the config writes it (0.5, 1, 0.25).
[[nodiscard]] std::string format_fraction(double value);

}  // namespace pgrelay::proxy
