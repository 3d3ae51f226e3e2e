// Unit tests for proxy/config: every key and default, every validation error (exact text),
// syntax errors with positions, unknown keys and sections, users_file path resolution,
// load_config_file on real files, describe() (which never shows the health password), the
// [pool], [routing] and [databases] sections with the per-database *_for helpers, and that
// the packaged example config loads with the defaults.
#include "proxy/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace pgrelay::proxy {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// The smallest valid file: everything else takes its default.
const std::string required_keys = R"(
[auth]
users_file = "users.txt"
[[nodes]]
name = "pg1"
host = "db1"
)";

const fs::path base_dir = "/etc/pgrelay";

unsigned default_workers() {
    return std::max(1U, std::thread::hardware_concurrency());
}

node_config node(std::string name, std::string host, uint16_t port,
                 std::optional<uint64_t> max_lag_bytes = std::nullopt,
                 std::optional<std::chrono::milliseconds> max_lag = std::nullopt,
                 unsigned weight = 1) {
    node_config n;
    n.name = std::move(name);
    n.host = std::move(host);
    n.port = port;
    n.max_lag_bytes = max_lag_bytes;
    n.max_lag = max_lag;
    n.weight = weight;
    return n;
}

database_config database(std::string name, std::optional<routing_mode> routing,
                         std::optional<pool_mode> mode, std::optional<std::uint32_t> pool_size) {
    database_config d;
    d.name = std::move(name);
    d.routing = routing;
    d.mode = mode;
    d.pool_size = pool_size;
    return d;
}

config_result parse(const std::string& text) {
    return parse_config(text, base_dir);
}

// A fresh directory under the system temp dir, removed with the object.
class temp_dir {
  public:
    temp_dir() {
        static std::atomic<int> counter{0};
        path_ = fs::temp_directory_path() / ("pgrelay_config_test_" + std::to_string(getpid()) +
                                             "_" + std::to_string(counter++));
        fs::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    fs::path write(const std::string& name, const std::string& text) const {
        fs::path p = path_ / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }
    [[nodiscard]] const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

// ---------------------------------------------------------------------------------------
// Defaults

TEST(ConfigDefaults, MinimalFileTakesEveryDefault) {
    const config_result r = parse(required_keys);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_TRUE(r.error.empty());
    const config& c = *r.value;
    EXPECT_EQ(c.workers, default_workers());
    EXPECT_EQ(c.max_client_conn, 1000U);
    EXPECT_EQ(c.client_login_timeout, 60s);
    EXPECT_EQ(c.client_idle_timeout, 0ms);
    EXPECT_EQ(c.server_connect_timeout, 5s);
    EXPECT_EQ(c.level, log_level::info);
    EXPECT_EQ(c.log_output, log_format::logfmt);
    EXPECT_EQ(c.listen_address, "127.0.0.1");
    EXPECT_EQ(c.listen_port, 6432);
    EXPECT_EQ(c.auth, auth_method::scram_sha_256);
    EXPECT_EQ(c.users_file, fs::path("/etc/pgrelay/users.txt"));
    EXPECT_EQ(c.health, health_config{});
    EXPECT_EQ(c.pool, pool_config{});
    EXPECT_EQ(c.routing, routing_config{});
    EXPECT_TRUE(c.databases.empty());
    ASSERT_EQ(c.nodes.size(), 1U);
    EXPECT_EQ(c.nodes[0], node("pg1", "db1", 5432));
    EXPECT_FALSE(c.nodes[0].max_lag_bytes.has_value());
    EXPECT_FALSE(c.nodes[0].max_lag.has_value());
    EXPECT_EQ(c.nodes[0].weight, 1U);
}

TEST(ConfigDefaults, StructDefaultsMatchTheDocumentedOnes) {
    const config c;
    EXPECT_EQ(c.max_client_conn, 1000U);
    EXPECT_EQ(c.client_login_timeout, 60s);
    EXPECT_EQ(c.client_idle_timeout, 0ms);
    EXPECT_EQ(c.server_connect_timeout, 5s);
    EXPECT_EQ(c.level, log_level::info);
    EXPECT_EQ(c.log_output, log_format::logfmt);
    EXPECT_EQ(c.listen_address, "127.0.0.1");
    EXPECT_EQ(c.listen_port, 6432);
    EXPECT_EQ(c.auth, auth_method::scram_sha_256);
    EXPECT_EQ(node_config{}.port, 5432);
    EXPECT_FALSE(node_config{}.max_lag_bytes.has_value());
    EXPECT_FALSE(node_config{}.max_lag.has_value());
    const health_config h;
    EXPECT_EQ(c.health, h);
    EXPECT_EQ(h.interval, 1s);
    EXPECT_EQ(h.connect_timeout, 2s);
    EXPECT_EQ(h.query_timeout, 2s);
    EXPECT_EQ(h.rise, 2);
    EXPECT_EQ(h.fall, 3);
    EXPECT_EQ(h.max_lag_bytes, 16U * 1024 * 1024);
    EXPECT_EQ(h.max_lag, 10s);
    EXPECT_EQ(h.user, "postgres");
    EXPECT_EQ(h.password, "");
    EXPECT_EQ(h.dbname, "postgres");
    EXPECT_EQ(node_config{}.weight, 1U);
}

TEST(ConfigDefaults, PoolRoutingAndDatabaseDefaults) {
    const config c;
    const pool_config p;
    EXPECT_EQ(c.pool, p);
    EXPECT_EQ(p.mode, pool_mode::transaction);
    EXPECT_EQ(p.size, 20U);
    EXPECT_EQ(p.min_size, 0U);
    EXPECT_EQ(p.server_idle_timeout, 600s);
    EXPECT_EQ(p.server_lifetime, 3600s);
    EXPECT_EQ(p.query_wait_timeout, 120s);
    EXPECT_EQ(p.primary_wait_timeout, 30s);
    const routing_config r;
    EXPECT_EQ(c.routing, r);
    EXPECT_EQ(r.mode, routing_mode::automatic);
    EXPECT_EQ(r.primary_reads_policy, primary_reads::fallback);
    EXPECT_EQ(r.balance, balance_policy::least_outstanding);
    EXPECT_TRUE(r.writing_functions.empty());
    EXPECT_TRUE(r.retry_recovery_conflicts);
    EXPECT_TRUE(c.databases.empty());
    const database_config d;
    EXPECT_EQ(d.name, "");
    EXPECT_FALSE(d.routing.has_value());
    EXPECT_FALSE(d.mode.has_value());
    EXPECT_FALSE(d.pool_size.has_value());
    // Without [databases], every database gets the global values.
    EXPECT_EQ(c.routing_for("postgres"), routing_mode::automatic);
    EXPECT_EQ(c.pool_mode_for("postgres"), pool_mode::transaction);
    EXPECT_EQ(c.pool_size_for("postgres"), 20U);
    EXPECT_EQ(c.pool_size_for(""), 20U);
}

TEST(ConfigDefaults, EmptySectionsTakeDefaults) {
    const config_result r =
        parse("[general]\n[listen]\n[health]\n[pool]\n[routing]\n[databases]\n" + required_keys);
    ASSERT_TRUE(r.ok()) << r.error;
    config expected = *parse(required_keys).value;
    EXPECT_EQ(*r.value, expected);
}

// ---------------------------------------------------------------------------------------
// Every key, with accepted values

struct value_case {
    std::string name;
    std::string toml;  // complete file
    std::function<void(const config&)> check;
};

std::string with_required(const std::string& text) {
    return text + required_keys;
}

std::string with_auth(const std::string& auth_body) {
    return "[auth]\n" + auth_body + "\n[[nodes]]\nname = \"pg1\"\nhost = \"db1\"\n";
}

std::string with_nodes(const std::string& nodes) {
    return "[auth]\nusers_file = \"users.txt\"\n" + nodes;
}

std::string with_health(const std::string& health_body) {
    return with_required("[health]\n" + health_body + "\n");
}

std::string with_pool(const std::string& pool_body) {
    return with_required("[pool]\n" + pool_body + "\n");
}

std::string with_routing(const std::string& routing_body) {
    return with_required("[routing]\n" + routing_body + "\n");
}

// [databases.NAME] tables (or any other text) before the required keys.
std::string with_databases(const std::string& tables) {
    return with_required(tables + "\n");
}

// One node "pg1" on "db1" with extra keys (per-node overrides).
std::string with_node_keys(const std::string& node_body) {
    return with_nodes("[[nodes]]\nname = \"pg1\"\nhost = \"db1\"\n" + node_body + "\n");
}

// For `nodes = ...` written as a top-level key, which must come before any [section].
std::string with_nodes_key(const std::string& nodes_key) {
    return nodes_key + "[auth]\nusers_file = \"users.txt\"\n";
}

class ConfigValues : public ::testing::TestWithParam<value_case> {};

TEST_P(ConfigValues, Accepted) {
    const config_result r = parse(GetParam().toml);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_TRUE(r.error.empty());
    GetParam().check(*r.value);
}

const value_case value_cases[] = {
    // general.workers
    {"workers_4", with_required("[general]\nworkers = 4\n"),
     [](const config& c) { EXPECT_EQ(c.workers, 4U); }},
    {"workers_1", with_required("[general]\nworkers = 1\n"),
     [](const config& c) { EXPECT_EQ(c.workers, 1U); }},
    {"workers_1024", with_required("[general]\nworkers = 1024\n"),
     [](const config& c) { EXPECT_EQ(c.workers, 1024U); }},
    {"workers_0_means_one_per_core", with_required("[general]\nworkers = 0\n"),
     [](const config& c) { EXPECT_EQ(c.workers, default_workers()); }},
    // general.max_client_conn
    {"max_client_conn_1", with_required("[general]\nmax_client_conn = 1\n"),
     [](const config& c) { EXPECT_EQ(c.max_client_conn, 1U); }},
    {"max_client_conn_1000000", with_required("[general]\nmax_client_conn = 1_000_000\n"),
     [](const config& c) { EXPECT_EQ(c.max_client_conn, 1000000U); }},
    // general.client_login_timeout
    {"login_timeout_integer", with_required("[general]\nclient_login_timeout = 30\n"),
     [](const config& c) { EXPECT_EQ(c.client_login_timeout, 30s); }},
    {"login_timeout_float", with_required("[general]\nclient_login_timeout = 2.5\n"),
     [](const config& c) { EXPECT_EQ(c.client_login_timeout, 2500ms); }},
    {"login_timeout_zero_disables", with_required("[general]\nclient_login_timeout = 0\n"),
     [](const config& c) { EXPECT_EQ(c.client_login_timeout, 0ms); }},
    {"login_timeout_float_zero", with_required("[general]\nclient_login_timeout = 0.0\n"),
     [](const config& c) { EXPECT_EQ(c.client_login_timeout, 0ms); }},
    {"login_timeout_one_ms", with_required("[general]\nclient_login_timeout = 0.001\n"),
     [](const config& c) { EXPECT_EQ(c.client_login_timeout, 1ms); }},
    {"login_timeout_rounds_to_ms", with_required("[general]\nclient_login_timeout = 0.0016\n"),
     [](const config& c) { EXPECT_EQ(c.client_login_timeout, 2ms); }},
    {"login_timeout_max", with_required("[general]\nclient_login_timeout = 2592000\n"),
     [](const config& c) { EXPECT_EQ(c.client_login_timeout, 2592000s); }},
    // general.client_idle_timeout
    {"idle_timeout_integer", with_required("[general]\nclient_idle_timeout = 600\n"),
     [](const config& c) { EXPECT_EQ(c.client_idle_timeout, 600s); }},
    {"idle_timeout_float", with_required("[general]\nclient_idle_timeout = 0.25\n"),
     [](const config& c) { EXPECT_EQ(c.client_idle_timeout, 250ms); }},
    {"idle_timeout_zero", with_required("[general]\nclient_idle_timeout = 0\n"),
     [](const config& c) { EXPECT_EQ(c.client_idle_timeout, 0ms); }},
    // general.server_connect_timeout
    {"connect_timeout_integer", with_required("[general]\nserver_connect_timeout = 3\n"),
     [](const config& c) { EXPECT_EQ(c.server_connect_timeout, 3s); }},
    {"connect_timeout_float", with_required("[general]\nserver_connect_timeout = 0.5\n"),
     [](const config& c) { EXPECT_EQ(c.server_connect_timeout, 500ms); }},
    {"connect_timeout_one_ms", with_required("[general]\nserver_connect_timeout = 1e-3\n"),
     [](const config& c) { EXPECT_EQ(c.server_connect_timeout, 1ms); }},
    // general.log_level
    {"log_level_debug", with_required("[general]\nlog_level = \"debug\"\n"),
     [](const config& c) { EXPECT_EQ(c.level, log_level::debug); }},
    {"log_level_info", with_required("[general]\nlog_level = \"info\"\n"),
     [](const config& c) { EXPECT_EQ(c.level, log_level::info); }},
    {"log_level_warning", with_required("[general]\nlog_level = \"warning\"\n"),
     [](const config& c) { EXPECT_EQ(c.level, log_level::warning); }},
    {"log_level_error", with_required("[general]\nlog_level = 'error'\n"),
     [](const config& c) { EXPECT_EQ(c.level, log_level::error); }},
    // general.log_format
    {"log_format_logfmt", with_required("[general]\nlog_format = \"logfmt\"\n"),
     [](const config& c) { EXPECT_EQ(c.log_output, log_format::logfmt); }},
    {"log_format_json", with_required("[general]\nlog_format = \"json\"\n"),
     [](const config& c) { EXPECT_EQ(c.log_output, log_format::json); }},
    {"log_format_literal_string", with_required("[general]\nlog_format = 'json'\n"),
     [](const config& c) { EXPECT_EQ(c.log_output, log_format::json); }},
    // listen.address
    {"address_any_v4", with_required("[listen]\naddress = \"0.0.0.0\"\n"),
     [](const config& c) { EXPECT_EQ(c.listen_address, "0.0.0.0"); }},
    {"address_any_v6", with_required("[listen]\naddress = \"::\"\n"),
     [](const config& c) { EXPECT_EQ(c.listen_address, "::"); }},
    {"address_loopback_v6", with_required("[listen]\naddress = \"::1\"\n"),
     [](const config& c) { EXPECT_EQ(c.listen_address, "::1"); }},
    {"address_v6_with_zone", with_required("[listen]\naddress = \"fe80::1%eth0\"\n"),
     [](const config& c) { EXPECT_EQ(c.listen_address, "fe80::1%eth0"); }},
    {"address_v4", with_required("[listen]\naddress = \"10.1.2.3\"\n"),
     [](const config& c) { EXPECT_EQ(c.listen_address, "10.1.2.3"); }},
    // listen.port
    {"listen_port_1", with_required("[listen]\nport = 1\n"),
     [](const config& c) { EXPECT_EQ(c.listen_port, 1); }},
    {"listen_port_65535", with_required("[listen]\nport = 65535\n"),
     [](const config& c) { EXPECT_EQ(c.listen_port, 65535); }},
    {"listen_port_hex", with_required("[listen]\nport = 0x1920\n"),
     [](const config& c) { EXPECT_EQ(c.listen_port, 6432); }},
    // auth.method
    {"method_trust", with_auth("method = \"trust\"\nusers_file = \"u\""),
     [](const config& c) { EXPECT_EQ(c.auth, auth_method::trust); }},
    {"method_md5", with_auth("method = \"md5\"\nusers_file = \"u\""),
     [](const config& c) { EXPECT_EQ(c.auth, auth_method::md5); }},
    {"method_scram", with_auth("method = \"scram-sha-256\"\nusers_file = \"u\""),
     [](const config& c) { EXPECT_EQ(c.auth, auth_method::scram_sha_256); }},
    // auth.users_file path resolution against base_dir (/etc/pgrelay)
    {"users_file_relative", with_auth("users_file = \"users.txt\""),
     [](const config& c) { EXPECT_EQ(c.users_file, fs::path("/etc/pgrelay/users.txt")); }},
    {"users_file_dot_relative", with_auth("users_file = \"./users.txt\""),
     [](const config& c) { EXPECT_EQ(c.users_file, fs::path("/etc/pgrelay/users.txt")); }},
    {"users_file_subdir", with_auth("users_file = \"auth/users.txt\""),
     [](const config& c) { EXPECT_EQ(c.users_file, fs::path("/etc/pgrelay/auth/users.txt")); }},
    {"users_file_parent", with_auth("users_file = \"../secrets/users.txt\""),
     [](const config& c) { EXPECT_EQ(c.users_file, fs::path("/etc/secrets/users.txt")); }},
    {"users_file_absolute", with_auth("users_file = \"/var/lib/pgrelay/users.txt\""),
     [](const config& c) { EXPECT_EQ(c.users_file, fs::path("/var/lib/pgrelay/users.txt")); }},
    {"users_file_absolute_normalised", with_auth("users_file = \"/var/lib/../users.txt\""),
     [](const config& c) { EXPECT_EQ(c.users_file, fs::path("/var/users.txt")); }},
    // nodes
    {"node_port_default", with_nodes("[[nodes]]\nname = \"a\"\nhost = \"h\"\n"),
     [](const config& c) {
         EXPECT_EQ(c.nodes.at(0), node("a", "h", 5432));
     }},
    {"node_port_set", with_nodes("[[nodes]]\nname = \"a\"\nhost = \"h\"\nport = 5433\n"),
     [](const config& c) {
         EXPECT_EQ(c.nodes.at(0), node("a", "h", 5433));
     }},
    {"node_port_bounds",
     with_nodes("[[nodes]]\nname = \"a\"\nhost = \"h\"\nport = 1\n"
                "[[nodes]]\nname = \"b\"\nhost = \"h\"\nport = 65535\n"),
     [](const config& c) {
         EXPECT_EQ(c.nodes.at(0).port, 1);
         EXPECT_EQ(c.nodes.at(1).port, 65535);
     }},
    {"node_host_name", with_nodes("[[nodes]]\nname = \"a\"\nhost = \"db-1.example.com\"\n"),
     [](const config& c) { EXPECT_EQ(c.nodes.at(0).host, "db-1.example.com"); }},
    {"node_ipv6_host", with_nodes("[[nodes]]\nname = \"a\"\nhost = \"fd00::5\"\n"),
     [](const config& c) { EXPECT_EQ(c.nodes.at(0).host, "fd00::5"); }},
    {"node_name_characters", with_nodes("[[nodes]]\nname = \"pg-1.eu_west\"\nhost = \"h\"\n"),
     [](const config& c) { EXPECT_EQ(c.nodes.at(0).name, "pg-1.eu_west"); }},
    {"nodes_keep_file_order_first_is_primary",
     with_nodes("[[nodes]]\nname = \"primary\"\nhost = \"db1\"\n"
                "[[nodes]]\nname = \"standby1\"\nhost = \"db2\"\n"
                "[[nodes]]\nname = \"standby2\"\nhost = \"db3\"\nport = 5433\n"),
     [](const config& c) {
         ASSERT_EQ(c.nodes.size(), 3U);
         EXPECT_EQ(c.nodes[0], node("primary", "db1", 5432));
         EXPECT_EQ(c.nodes[1], node("standby1", "db2", 5432));
         EXPECT_EQ(c.nodes[2], node("standby2", "db3", 5433));
     }},
    {"nodes_same_host_other_port",
     with_nodes("[[nodes]]\nname = \"a\"\nhost = \"h\"\n"
                "[[nodes]]\nname = \"b\"\nhost = \"h\"\nport = 5433\n"),
     [](const config& c) { EXPECT_EQ(c.nodes.size(), 2U); }},
    {"nodes_inline_array",
     with_nodes_key("nodes = [{ name = \"a\", host = \"h1\" }, { name = \"b\", host = \"h2\" }]\n"),
     [](const config& c) { EXPECT_EQ(c.nodes.size(), 2U); }},
    // health.interval
    {"interval_integer", with_health("interval = 5"),
     [](const config& c) { EXPECT_EQ(c.health.interval, 5s); }},
    {"interval_tenth", with_health("interval = 0.1"),
     [](const config& c) { EXPECT_EQ(c.health.interval, 100ms); }},
    {"interval_fraction", with_health("interval = 2.5"),
     [](const config& c) { EXPECT_EQ(c.health.interval, 2500ms); }},
    {"interval_minimum", with_health("interval = 0.01"),
     [](const config& c) { EXPECT_EQ(c.health.interval, 10ms); }},
    {"interval_max", with_health("interval = 2592000"),
     [](const config& c) { EXPECT_EQ(c.health.interval, 2592000s); }},
    // health.connect_timeout
    {"health_connect_timeout_integer", with_health("connect_timeout = 3"),
     [](const config& c) { EXPECT_EQ(c.health.connect_timeout, 3s); }},
    {"health_connect_timeout_float", with_health("connect_timeout = 0.5"),
     [](const config& c) { EXPECT_EQ(c.health.connect_timeout, 500ms); }},
    {"health_connect_timeout_one_ms", with_health("connect_timeout = 0.001"),
     [](const config& c) { EXPECT_EQ(c.health.connect_timeout, 1ms); }},
    // health.query_timeout
    {"query_timeout_integer", with_health("query_timeout = 10"),
     [](const config& c) { EXPECT_EQ(c.health.query_timeout, 10s); }},
    {"query_timeout_float", with_health("query_timeout = 0.25"),
     [](const config& c) { EXPECT_EQ(c.health.query_timeout, 250ms); }},
    // health.rise, health.fall
    {"rise_1", with_health("rise = 1"), [](const config& c) { EXPECT_EQ(c.health.rise, 1); }},
    {"rise_100", with_health("rise = 100"),
     [](const config& c) { EXPECT_EQ(c.health.rise, 100); }},
    {"fall_1", with_health("fall = 1"), [](const config& c) { EXPECT_EQ(c.health.fall, 1); }},
    {"fall_100", with_health("fall = 100"),
     [](const config& c) { EXPECT_EQ(c.health.fall, 100); }},
    // health.max_lag_bytes: an integer, or a string with a PostgreSQL memory unit
    {"max_lag_bytes_zero", with_health("max_lag_bytes = 0"),
     [](const config& c) { EXPECT_EQ(c.health.max_lag_bytes, 0U); }},
    {"max_lag_bytes_integer", with_health("max_lag_bytes = 1_048_576"),
     [](const config& c) { EXPECT_EQ(c.health.max_lag_bytes, 1048576U); }},
    {"max_lag_bytes_integer_max", with_health("max_lag_bytes = 9223372036854775807"),
     [](const config& c) { EXPECT_EQ(c.health.max_lag_bytes, 9223372036854775807U); }},
    {"max_lag_bytes_B", with_health("max_lag_bytes = \"100B\""),
     [](const config& c) { EXPECT_EQ(c.health.max_lag_bytes, 100U); }},
    {"max_lag_bytes_kB", with_health("max_lag_bytes = \"512kB\""),
     [](const config& c) { EXPECT_EQ(c.health.max_lag_bytes, 524288U); }},
    {"max_lag_bytes_MB", with_health("max_lag_bytes = \"16MB\""),
     [](const config& c) { EXPECT_EQ(c.health.max_lag_bytes, 16777216U); }},
    {"max_lag_bytes_GB", with_health("max_lag_bytes = \"1GB\""),
     [](const config& c) { EXPECT_EQ(c.health.max_lag_bytes, 1073741824U); }},
    {"max_lag_bytes_TB", with_health("max_lag_bytes = '1TB'"),
     [](const config& c) { EXPECT_EQ(c.health.max_lag_bytes, 1099511627776U); }},
    {"max_lag_bytes_zero_with_unit", with_health("max_lag_bytes = \"0MB\""),
     [](const config& c) { EXPECT_EQ(c.health.max_lag_bytes, 0U); }},
    {"max_lag_bytes_fraction", with_health("max_lag_bytes = \"1.5GB\""),
     [](const config& c) { EXPECT_EQ(c.health.max_lag_bytes, 1610612736U); }},
    {"max_lag_bytes_fraction_rounds", with_health("max_lag_bytes = \"0.3kB\""),
     [](const config& c) { EXPECT_EQ(c.health.max_lag_bytes, 307U); }},
    {"max_lag_bytes_blanks", with_health("max_lag_bytes = \" 64 kB \""),
     [](const config& c) { EXPECT_EQ(c.health.max_lag_bytes, 65536U); }},
    {"max_lag_bytes_string_max", with_health("max_lag_bytes = \"8388607TB\""),
     [](const config& c) { EXPECT_EQ(c.health.max_lag_bytes, 9223370937343148032U); }},
    // health.max_lag_ms
    {"max_lag_ms_zero", with_health("max_lag_ms = 0"),
     [](const config& c) { EXPECT_EQ(c.health.max_lag, 0ms); }},
    {"max_lag_ms_value", with_health("max_lag_ms = 500"),
     [](const config& c) { EXPECT_EQ(c.health.max_lag, 500ms); }},
    {"max_lag_ms_max", with_health("max_lag_ms = 2_592_000_000"),
     [](const config& c) { EXPECT_EQ(c.health.max_lag, 2592000000ms); }},
    // health.user, health.password, health.dbname
    {"health_user", with_health("user = \"pgrelay_health\""),
     [](const config& c) { EXPECT_EQ(c.health.user, "pgrelay_health"); }},
    {"health_user_any_characters", with_health("user = \"Health Check\""),
     [](const config& c) { EXPECT_EQ(c.health.user, "Health Check"); }},
    {"health_password", with_health("password = \"s3cret \\\" pass\""),
     [](const config& c) { EXPECT_EQ(c.health.password, "s3cret \" pass"); }},
    {"health_password_absent_stays_empty", with_health("user = \"monitor\""),
     [](const config& c) { EXPECT_EQ(c.health.password, ""); }},
    {"health_dbname", with_health("dbname = \"monitoring\""),
     [](const config& c) { EXPECT_EQ(c.health.dbname, "monitoring"); }},
    {"health_inline_table",
     "health = { interval = 0.5, user = \"mon\" }\n" + required_keys,
     [](const config& c) {
         EXPECT_EQ(c.health.interval, 500ms);
         EXPECT_EQ(c.health.user, "mon");
         EXPECT_EQ(c.health.fall, 3);
     }},
    // per-node overrides
    {"node_max_lag_bytes_integer", with_node_keys("max_lag_bytes = 1024"),
     [](const config& c) {
         EXPECT_EQ(c.nodes.at(0).max_lag_bytes, std::optional<uint64_t>(1024));
         EXPECT_FALSE(c.nodes.at(0).max_lag.has_value());
     }},
    {"node_max_lag_bytes_unit", with_node_keys("max_lag_bytes = \"64MB\""),
     [](const config& c) {
         EXPECT_EQ(c.nodes.at(0).max_lag_bytes, std::optional<uint64_t>(64U * 1024 * 1024));
     }},
    {"node_max_lag_bytes_zero", with_node_keys("max_lag_bytes = 0"),
     [](const config& c) { EXPECT_EQ(c.nodes.at(0).max_lag_bytes, std::optional<uint64_t>(0)); }},
    {"node_max_lag_ms", with_node_keys("max_lag_ms = 30000"),
     [](const config& c) {
         EXPECT_EQ(c.nodes.at(0).max_lag, std::optional<std::chrono::milliseconds>(30s));
         EXPECT_FALSE(c.nodes.at(0).max_lag_bytes.has_value());
     }},
    {"node_max_lag_ms_zero", with_node_keys("max_lag_ms = 0"),
     [](const config& c) {
         EXPECT_EQ(c.nodes.at(0).max_lag, std::optional<std::chrono::milliseconds>(0ms));
     }},
    {"node_overrides_only_where_set",
     with_nodes("[[nodes]]\nname = \"a\"\nhost = \"h1\"\n"
                "[[nodes]]\nname = \"b\"\nhost = \"h2\"\nmax_lag_bytes = \"1GB\"\n"
                "max_lag_ms = 60000\n"),
     [](const config& c) {
         ASSERT_EQ(c.nodes.size(), 2U);
         EXPECT_FALSE(c.nodes[0].max_lag_bytes.has_value());
         EXPECT_FALSE(c.nodes[0].max_lag.has_value());
         EXPECT_EQ(c.nodes[1].max_lag_bytes, std::optional<uint64_t>(1073741824));
         EXPECT_EQ(c.nodes[1].max_lag, std::optional<std::chrono::milliseconds>(60s));
         EXPECT_EQ(c.health, health_config{});
     }},
    // node weight
    {"node_weight_default", with_node_keys(""),
     [](const config& c) { EXPECT_EQ(c.nodes.at(0).weight, 1U); }},
    {"node_weight_zero", with_node_keys("weight = 0"),
     [](const config& c) { EXPECT_EQ(c.nodes.at(0).weight, 0U); }},
    {"node_weight_max", with_node_keys("weight = 1000"),
     [](const config& c) { EXPECT_EQ(c.nodes.at(0).weight, 1000U); }},
    {"node_weights_per_node",
     with_nodes("[[nodes]]\nname = \"a\"\nhost = \"h1\"\nweight = 3\n"
                "[[nodes]]\nname = \"b\"\nhost = \"h2\"\n"),
     [](const config& c) {
         ASSERT_EQ(c.nodes.size(), 2U);
         EXPECT_EQ(c.nodes[0], node("a", "h1", 5432, std::nullopt, std::nullopt, 3));
         EXPECT_EQ(c.nodes[1], node("b", "h2", 5432));
     }},
    // pool.pool_mode
    {"pool_mode_session", with_pool("pool_mode = \"session\""),
     [](const config& c) { EXPECT_EQ(c.pool.mode, pool_mode::session); }},
    {"pool_mode_transaction", with_pool("pool_mode = 'transaction'"),
     [](const config& c) { EXPECT_EQ(c.pool.mode, pool_mode::transaction); }},
    // pool.default_pool_size, pool.min_pool_size
    {"default_pool_size_1", with_pool("default_pool_size = 1"),
     [](const config& c) { EXPECT_EQ(c.pool.size, 1U); }},
    {"default_pool_size_max", with_pool("default_pool_size = 100_000"),
     [](const config& c) { EXPECT_EQ(c.pool.size, 100000U); }},
    {"min_pool_size_zero", with_pool("min_pool_size = 0"),
     [](const config& c) { EXPECT_EQ(c.pool.min_size, 0U); }},
    {"min_pool_size_below_default", with_pool("min_pool_size = 5"),
     [](const config& c) {
         EXPECT_EQ(c.pool.min_size, 5U);
         EXPECT_EQ(c.pool.size, 20U);
     }},
    {"min_pool_size_equals_default", with_pool("min_pool_size = 20"),
     [](const config& c) { EXPECT_EQ(c.pool.min_size, 20U); }},
    {"min_pool_size_equals_size", with_pool("default_pool_size = 50\nmin_pool_size = 50"),
     [](const config& c) {
         EXPECT_EQ(c.pool.size, 50U);
         EXPECT_EQ(c.pool.min_size, 50U);
     }},
    {"min_pool_size_before_size_in_file", with_pool("min_pool_size = 30\ndefault_pool_size = 40"),
     [](const config& c) { EXPECT_EQ(c.pool.min_size, 30U); }},
    // pool timeouts: seconds, 0 disables
    {"server_idle_timeout", with_pool("server_idle_timeout = 30"),
     [](const config& c) { EXPECT_EQ(c.pool.server_idle_timeout, 30s); }},
    {"server_idle_timeout_zero", with_pool("server_idle_timeout = 0"),
     [](const config& c) { EXPECT_EQ(c.pool.server_idle_timeout, 0ms); }},
    {"server_lifetime_float", with_pool("server_lifetime = 1.5"),
     [](const config& c) { EXPECT_EQ(c.pool.server_lifetime, 1500ms); }},
    {"server_lifetime_zero", with_pool("server_lifetime = 0"),
     [](const config& c) { EXPECT_EQ(c.pool.server_lifetime, 0ms); }},
    {"query_wait_timeout", with_pool("query_wait_timeout = 10"),
     [](const config& c) { EXPECT_EQ(c.pool.query_wait_timeout, 10s); }},
    {"query_wait_timeout_zero_waits_forever", with_pool("query_wait_timeout = 0"),
     [](const config& c) { EXPECT_EQ(c.pool.query_wait_timeout, 0ms); }},
    {"primary_wait_timeout", with_pool("primary_wait_timeout = 0.25"),
     [](const config& c) { EXPECT_EQ(c.pool.primary_wait_timeout, 250ms); }},
    {"primary_wait_timeout_zero_fails_at_once", with_pool("primary_wait_timeout = 0"),
     [](const config& c) { EXPECT_EQ(c.pool.primary_wait_timeout, 0ms); }},
    {"shutdown_timeout", with_required("[general]\nshutdown_timeout = 2.5\n"),
     [](const config& c) { EXPECT_EQ(c.shutdown_timeout, 2500ms); }},
    {"shutdown_timeout_zero_cuts_at_once", with_required("[general]\nshutdown_timeout = 0\n"),
     [](const config& c) { EXPECT_EQ(c.shutdown_timeout, 0ms); }},
    {"admin_console", with_required("[admin]\naddress = \"::1\"\nport = 6433\nusers = [\"admin\", \"ops\"]\n"),
     [](const config& c) {
         EXPECT_EQ(c.admin.address, "::1");
         EXPECT_EQ(c.admin.port, 6433);
         EXPECT_EQ(c.admin.users, (std::vector<std::string>{"admin", "ops"}));
     }},
    {"http_defaults_off", with_required(""),
     [](const config& c) {
         EXPECT_EQ(c.http.address, "127.0.0.1");
         EXPECT_EQ(c.http.port, 0);
         EXPECT_FALSE(c.http.ready_without_primary);
     }},
    {"http_endpoint",
     with_required("[http]\naddress = \"0.0.0.0\"\nport = 9187\nready_without_primary = true\n"),
     [](const config& c) {
         EXPECT_EQ(c.http.address, "0.0.0.0");
         EXPECT_EQ(c.http.port, 9187);
         EXPECT_TRUE(c.http.ready_without_primary);
     }},
    {"http_ipv6_highest_port", with_required("[http]\naddress = \"::1\"\nport = 65535\n"),
     [](const config& c) {
         EXPECT_EQ(c.http.address, "::1");
         EXPECT_EQ(c.http.port, 65535);
     }},
    {"reuse_port", with_required("[listen]\nreuse_port = true\n"),
     [](const config& c) { EXPECT_TRUE(c.listen_reuse_port); }},
    {"client_tls_default_disable", with_required(""),
     [](const config& c) {
         EXPECT_EQ(c.tls.client_mode, client_tls_mode::disable);
         EXPECT_TRUE(c.tls.client_cert_file.empty());
     }},
    {"client_tls_require",
     with_required("[tls]\nclient_tls = \"require\"\nclient_tls_cert_file = \"server.crt\"\n"
                   "client_tls_key_file = \"/keys/server.key\"\nclient_tls_ca_file = \"ca.crt\"\n"),
     [](const config& c) {
         EXPECT_EQ(c.tls.client_mode, client_tls_mode::require);
         EXPECT_EQ(c.tls.client_cert_file, "/etc/pgrelay/server.crt");  // relative to the file
         EXPECT_EQ(c.tls.client_key_file, "/keys/server.key");
         EXPECT_EQ(c.tls.client_ca_file, "/etc/pgrelay/ca.crt");
     }},
    {"server_tls_global_and_per_node",
     "[tls]\nserver_tls = \"verify-full\"\nserver_tls_ca_file = \"ca.crt\"\n"
     "[auth]\nusers_file = \"users.txt\"\n"
     "[[nodes]]\nname = \"pg1\"\nhost = \"db1\"\n"
     "[[nodes]]\nname = \"pg2\"\nhost = \"db2\"\nserver_tls = \"prefer\"\n"
     "[[nodes]]\nname = \"pg3\"\nhost = \"db3\"\nserver_tls_ca_file = \"/other/ca.crt\"\n",
     [](const config& c) {
         EXPECT_EQ(c.tls.server_mode, server_tls_mode::verify_full);
         EXPECT_EQ(c.server_tls_for(0),
                   (server_tls_settings{server_tls_mode::verify_full, "/etc/pgrelay/ca.crt"}));
         EXPECT_EQ(c.server_tls_for(1).mode, server_tls_mode::prefer);
         EXPECT_EQ(c.server_tls_for(2),
                   (server_tls_settings{server_tls_mode::verify_full, "/other/ca.crt"}));
     }},
    {"client_tls_allow",
     with_required("[tls]\nclient_tls = \"allow\"\nclient_tls_cert_file = \"c\"\n"
                   "client_tls_key_file = \"k\"\n"),
     [](const config& c) { EXPECT_EQ(c.tls.client_mode, client_tls_mode::allow); }},
    {"max_pinned_fraction", with_pool("max_pinned_fraction = 0.25"),
     [](const config& c) {
         EXPECT_EQ(c.pool.max_pinned_fraction, 0.25);
         EXPECT_EQ(c.max_pinned_for("any"), 5u);  // of the default pool size 20
     }},
    {"max_pinned_fraction_integer_one", with_pool("max_pinned_fraction = 1"),
     [](const config& c) { EXPECT_EQ(c.max_pinned_for("any"), 20u); }},
    {"max_pinned_fraction_zero_pins_nobody", with_pool("max_pinned_fraction = 0"),
     [](const config& c) { EXPECT_EQ(c.max_pinned_for("any"), 0u); }},
    {"max_pinned_fraction_rounds_down", with_pool("default_pool_size = 3\nmax_pinned_fraction = 0.5"),
     [](const config& c) { EXPECT_EQ(c.max_pinned_for("any"), 1u); }},
    {"max_pinned_fraction_per_database",
     with_databases("[databases.app]\npool_size = 4\nmax_pinned_fraction = 0.75"),
     [](const config& c) {
         EXPECT_EQ(c.max_pinned_for("app"), 3u);
         EXPECT_EQ(c.max_pinned_for("other"), 10u);  // the default 0.5 of 20
     }},
    {"pool_timeout_max", with_pool("server_lifetime = 2592000"),
     [](const config& c) { EXPECT_EQ(c.pool.server_lifetime, 2592000s); }},
    // routing.mode
    {"routing_mode_primary", with_routing("mode = \"primary\""),
     [](const config& c) { EXPECT_EQ(c.routing.mode, routing_mode::primary); }},
    {"routing_mode_standby", with_routing("mode = \"standby\""),
     [](const config& c) { EXPECT_EQ(c.routing.mode, routing_mode::standby); }},
    {"routing_mode_auto", with_routing("mode = \"auto\""),
     [](const config& c) { EXPECT_EQ(c.routing.mode, routing_mode::automatic); }},
    // routing.primary_reads
    {"primary_reads_never", with_routing("primary_reads = \"never\""),
     [](const config& c) { EXPECT_EQ(c.routing.primary_reads_policy, primary_reads::never); }},
    {"primary_reads_fallback", with_routing("primary_reads = \"fallback\""),
     [](const config& c) { EXPECT_EQ(c.routing.primary_reads_policy, primary_reads::fallback); }},
    {"primary_reads_always", with_routing("primary_reads = \"always\""),
     [](const config& c) { EXPECT_EQ(c.routing.primary_reads_policy, primary_reads::always); }},
    // routing.balance
    {"balance_least_outstanding", with_routing("balance = \"least_outstanding\""),
     [](const config& c) { EXPECT_EQ(c.routing.balance, balance_policy::least_outstanding); }},
    {"balance_round_robin", with_routing("balance = \"round_robin\""),
     [](const config& c) { EXPECT_EQ(c.routing.balance, balance_policy::round_robin); }},
    {"balance_weighted", with_routing("balance = \"weighted\""),
     [](const config& c) { EXPECT_EQ(c.routing.balance, balance_policy::weighted); }},
    // routing.writing_functions
    {"writing_functions_empty", with_routing("writing_functions = []"),
     [](const config& c) { EXPECT_TRUE(c.routing.writing_functions.empty()); }},
    {"writing_functions_names",
     with_routing("writing_functions = [\"audit_log\", \"billing.charge\", \"f$2\", "
                  "\"S_1.Fn\", \"_x\"]"),
     [](const config& c) {
         EXPECT_EQ(c.routing.writing_functions,
                   (std::vector<std::string>{"audit_log", "billing.charge", "f$2", "S_1.Fn", "_x"}));
     }},
    {"writing_functions_multiline",
     with_routing("writing_functions = [\n  \"a\",\n  'b.c',  # comment\n]"),
     [](const config& c) {
         EXPECT_EQ(c.routing.writing_functions, (std::vector<std::string>{"a", "b.c"}));
     }},
    // routing.retry_recovery_conflicts
    {"retry_recovery_conflicts_false", with_routing("retry_recovery_conflicts = false"),
     [](const config& c) { EXPECT_FALSE(c.routing.retry_recovery_conflicts); }},
    {"retry_recovery_conflicts_true", with_routing("retry_recovery_conflicts = true"),
     [](const config& c) { EXPECT_TRUE(c.routing.retry_recovery_conflicts); }},
    // [databases.NAME]
    {"databases_empty_section", with_databases("[databases]"),
     [](const config& c) { EXPECT_TRUE(c.databases.empty()); }},
    {"database_every_override",
     with_databases("[databases.reporting]\nrouting = \"standby\"\npool_mode = \"session\"\n"
                    "pool_size = 5"),
     [](const config& c) {
         ASSERT_EQ(c.databases.size(), 1U);
         EXPECT_EQ(c.databases[0],
                   database("reporting", routing_mode::standby, pool_mode::session, 5));
     }},
    {"database_one_override", with_databases("[databases.app]\npool_size = 100000"),
     [](const config& c) {
         ASSERT_EQ(c.databases.size(), 1U);
         EXPECT_EQ(c.databases[0], database("app", std::nullopt, std::nullopt, 100000));
     }},
    {"database_without_overrides", with_databases("[databases.plain]"),
     [](const config& c) {
         ASSERT_EQ(c.databases.size(), 1U);
         EXPECT_EQ(c.databases[0], database("plain", std::nullopt, std::nullopt, std::nullopt));
     }},
    {"databases_keep_file_order",
     with_databases("[databases.zeta]\nrouting = \"primary\"\n[databases.alpha]\npool_size = 1\n"
                    "[databases.mid]\npool_mode = \"transaction\""),
     [](const config& c) {
         ASSERT_EQ(c.databases.size(), 3U);
         EXPECT_EQ(c.databases[0].name, "zeta");
         EXPECT_EQ(c.databases[1].name, "alpha");
         EXPECT_EQ(c.databases[2].name, "mid");
     }},
    {"database_any_name",
     with_databases("[databases.\"My DB.é\"]\nrouting = \"auto\"\n[databases.'a\"b']\n"),
     [](const config& c) {
         ASSERT_EQ(c.databases.size(), 2U);
         EXPECT_EQ(c.databases[0], database("My DB.é", routing_mode::automatic, std::nullopt,
                                            std::nullopt));
         EXPECT_EQ(c.databases[1].name, "a\"b");
     }},
    {"databases_inline_tables",
     "databases = { b = { pool_size = 2 }, a = { routing = \"primary\" } }\n" + required_keys,
     [](const config& c) {
         ASSERT_EQ(c.databases.size(), 2U);
         EXPECT_EQ(c.databases[0], database("b", std::nullopt, std::nullopt, 2));
         EXPECT_EQ(c.databases[1], database("a", routing_mode::primary, std::nullopt, std::nullopt));
     }},
    {"databases_dotted_keys",
     "databases.sales.pool_mode = \"session\"\ndatabases.hr.pool_size = 3\n"
     "databases.sales.pool_size = 4\n" +
         required_keys,
     [](const config& c) {
         ASSERT_EQ(c.databases.size(), 2U);
         EXPECT_EQ(c.databases[0], database("sales", std::nullopt, pool_mode::session, 4));
         EXPECT_EQ(c.databases[1], database("hr", std::nullopt, std::nullopt, 3));
     }},
    {"database_pool_size_above_global_is_fine",
     with_databases("[pool]\ndefault_pool_size = 5\nmin_pool_size = 5\n"
                    "[databases.big]\npool_size = 50"),
     [](const config& c) {
         EXPECT_EQ(c.pool.size, 5U);
         EXPECT_EQ(c.pool_size_for("big"), 50U);
     }},
    // TOML spellings that are equivalent to sections
    {"pool_inline_table", "pool = { pool_mode = \"session\", default_pool_size = 7 }\n" + required_keys,
     [](const config& c) {
         EXPECT_EQ(c.pool.mode, pool_mode::session);
         EXPECT_EQ(c.pool.size, 7U);
         EXPECT_EQ(c.pool.min_size, 0U);
     }},
    {"routing_dotted_keys", "routing.mode = \"primary\"\nrouting.balance = \"weighted\"\n" + required_keys,
     [](const config& c) {
         EXPECT_EQ(c.routing.mode, routing_mode::primary);
         EXPECT_EQ(c.routing.balance, balance_policy::weighted);
     }},
    {"dotted_keys", "general.workers = 3\nlisten.port = 7000\n" + required_keys,
     [](const config& c) {
         EXPECT_EQ(c.workers, 3U);
         EXPECT_EQ(c.listen_port, 7000);
     }},
    {"inline_table", "listen = { address = \"::1\", port = 7001 }\n" + required_keys,
     [](const config& c) {
         EXPECT_EQ(c.listen_address, "::1");
         EXPECT_EQ(c.listen_port, 7001);
     }},
    {"comments_and_crlf", "# pgrelay\r\n[general] # main\r\nworkers = 2 # two\r\n" + required_keys,
     [](const config& c) { EXPECT_EQ(c.workers, 2U); }},
};

INSTANTIATE_TEST_SUITE_P(EveryKey, ConfigValues, ::testing::ValuesIn(value_cases),
                         [](const auto& test) { return test.param.name; });

TEST(ConfigValues, EveryKeyAtOnce) {
    const config_result r = parse(R"(
[general]
workers = 3
max_client_conn = 250
client_login_timeout = 10
client_idle_timeout = 1.5
server_connect_timeout = 2
log_level = "debug"
log_format = "json"
[listen]
address = "0.0.0.0"
port = 7432
[auth]
method = "md5"
users_file = "/srv/users.txt"
[health]
interval = 0.5
connect_timeout = 1
query_timeout = 1.5
rise = 4
fall = 5
max_lag_bytes = "8MB"
max_lag_ms = 3000
user = "pgrelay_health"
password = "hunter2"
dbname = "monitoring"
[pool]
pool_mode = "session"
default_pool_size = 40
min_pool_size = 4
server_idle_timeout = 60
server_lifetime = 0
query_wait_timeout = 15.5
primary_wait_timeout = 5
[routing]
mode = "standby"
primary_reads = "always"
balance = "weighted"
writing_functions = ["audit.log_event", "bump"]
retry_recovery_conflicts = false
[databases.reporting]
routing = "standby"
pool_size = 8
[databases.billing]
routing = "primary"
pool_mode = "transaction"
[[nodes]]
name = "pg1"
host = "10.0.0.1"
port = 5433
weight = 0
[[nodes]]
name = "pg2"
host = "10.0.0.2"
max_lag_bytes = 1048576
max_lag_ms = 20000
weight = 5
)");
    ASSERT_TRUE(r.ok()) << r.error;
    config expected;
    expected.workers = 3;
    expected.max_client_conn = 250;
    expected.client_login_timeout = 10s;
    expected.client_idle_timeout = 1500ms;
    expected.server_connect_timeout = 2s;
    expected.level = log_level::debug;
    expected.log_output = log_format::json;
    expected.listen_address = "0.0.0.0";
    expected.listen_port = 7432;
    expected.auth = auth_method::md5;
    expected.users_file = "/srv/users.txt";
    expected.health.interval = 500ms;
    expected.health.connect_timeout = 1s;
    expected.health.query_timeout = 1500ms;
    expected.health.rise = 4;
    expected.health.fall = 5;
    expected.health.max_lag_bytes = 8U * 1024 * 1024;
    expected.health.max_lag = 3s;
    expected.health.user = "pgrelay_health";
    expected.health.password = "hunter2";
    expected.health.dbname = "monitoring";
    expected.pool.mode = pool_mode::session;
    expected.pool.size = 40;
    expected.pool.min_size = 4;
    expected.pool.server_idle_timeout = 60s;
    expected.pool.server_lifetime = 0ms;
    expected.pool.query_wait_timeout = 15500ms;
    expected.pool.primary_wait_timeout = 5s;
    expected.routing.mode = routing_mode::standby;
    expected.routing.primary_reads_policy = primary_reads::always;
    expected.routing.balance = balance_policy::weighted;
    expected.routing.writing_functions = {"audit.log_event", "bump"};
    expected.routing.retry_recovery_conflicts = false;
    expected.databases = {
        database("reporting", routing_mode::standby, std::nullopt, 8),
        database("billing", routing_mode::primary, pool_mode::transaction, std::nullopt)};
    expected.nodes = {node("pg1", "10.0.0.1", 5433, std::nullopt, std::nullopt, 0),
                      node("pg2", "10.0.0.2", 5432, 1048576, 20s, 5)};
    EXPECT_EQ(*r.value, expected);
}

TEST(ConfigValues, EmptyBaseDirKeepsRelativeUsersFile) {
    const config_result r = parse_config(required_keys, fs::path{});
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.value->users_file, fs::path("users.txt"));
}

TEST(ConfigValues, RelativeBaseDir) {
    const config_result r = parse_config(required_keys, fs::path("conf"));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.value->users_file, fs::path("conf/users.txt"));
}

// ---------------------------------------------------------------------------------------
// Validation errors: the exact message names the key and the problem.

struct error_case {
    std::string name;
    std::string toml;  // complete file
    std::string error;
};

class ConfigErrors : public ::testing::TestWithParam<error_case> {};

TEST_P(ConfigErrors, Rejected) {
    const config_result r = parse(GetParam().toml);
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.value.has_value());
    EXPECT_EQ(r.error, GetParam().error);
}

const error_case error_cases[] = {
    // general.workers
    {"workers_negative", with_required("[general]\nworkers = -1\n"),
     "general.workers: must be an integer between 0 and 1024, got -1"},
    {"workers_too_many", with_required("[general]\nworkers = 1025\n"),
     "general.workers: must be an integer between 0 and 1024, got 1025"},
    {"workers_string", with_required("[general]\nworkers = \"4\"\n"),
     "general.workers: must be an integer between 0 and 1024, got string \"4\""},
    {"workers_float", with_required("[general]\nworkers = 1.5\n"),
     "general.workers: must be an integer between 0 and 1024, got floating-point 1.5"},
    {"workers_float_whole", with_required("[general]\nworkers = 4.0\n"),
     "general.workers: must be an integer between 0 and 1024, got floating-point 4.0"},
    // general.max_client_conn
    {"max_client_conn_zero", with_required("[general]\nmax_client_conn = 0\n"),
     "general.max_client_conn: must be an integer between 1 and 1000000, got 0"},
    {"max_client_conn_too_big", with_required("[general]\nmax_client_conn = 1000001\n"),
     "general.max_client_conn: must be an integer between 1 and 1000000, got 1000001"},
    {"max_client_conn_bool", with_required("[general]\nmax_client_conn = true\n"),
     "general.max_client_conn: must be an integer between 1 and 1000000, got boolean true"},
    // general.client_login_timeout
    {"login_timeout_negative", with_required("[general]\nclient_login_timeout = -1\n"),
     "general.client_login_timeout: must be a number of seconds between 0 and 2592000 "
     "(0 disables), got -1"},
    {"login_timeout_too_big", with_required("[general]\nclient_login_timeout = 2592001\n"),
     "general.client_login_timeout: must be a number of seconds between 0 and 2592000 "
     "(0 disables), got 2592001"},
    {"login_timeout_string", with_required("[general]\nclient_login_timeout = \"60s\"\n"),
     "general.client_login_timeout: must be a number of seconds between 0 and 2592000 "
     "(0 disables), got string \"60s\""},
    {"login_timeout_nan", with_required("[general]\nclient_login_timeout = nan\n"),
     "general.client_login_timeout: must be a number of seconds between 0 and 2592000 "
     "(0 disables), got nan"},
    {"login_timeout_inf", with_required("[general]\nclient_login_timeout = inf\n"),
     "general.client_login_timeout: must be a number of seconds between 0 and 2592000 "
     "(0 disables), got inf"},
    {"login_timeout_below_ms", with_required("[general]\nclient_login_timeout = 0.0004\n"),
     "general.client_login_timeout: must be 0 or at least 0.001 (one millisecond), got "
     "0.0004"},
    // general.client_idle_timeout
    {"idle_timeout_negative_float", with_required("[general]\nclient_idle_timeout = -0.5\n"),
     "general.client_idle_timeout: must be a number of seconds between 0 and 2592000 "
     "(0 disables), got -0.5"},
    {"idle_timeout_array", with_required("[general]\nclient_idle_timeout = [1]\n"),
     "general.client_idle_timeout: must be a number of seconds between 0 and 2592000 "
     "(0 disables), got an array"},
    {"idle_timeout_time", with_required("[general]\nclient_idle_timeout = 00:10:00\n"),
     "general.client_idle_timeout: must be a number of seconds between 0 and 2592000 "
     "(0 disables), got a time"},
    // general.server_connect_timeout
    {"connect_timeout_zero", with_required("[general]\nserver_connect_timeout = 0\n"),
     "general.server_connect_timeout: must be a number of seconds greater than 0 and at most "
     "2592000, got 0"},
    {"connect_timeout_float_zero", with_required("[general]\nserver_connect_timeout = 0.0\n"),
     "general.server_connect_timeout: must be a number of seconds greater than 0 and at most "
     "2592000, got 0.0"},
    {"connect_timeout_negative", with_required("[general]\nserver_connect_timeout = -5\n"),
     "general.server_connect_timeout: must be a number of seconds greater than 0 and at most "
     "2592000, got -5"},
    {"connect_timeout_below_ms", with_required("[general]\nserver_connect_timeout = 0.0001\n"),
     "general.server_connect_timeout: must be at least 0.001 (one millisecond), got 0.0001"},
    {"connect_timeout_bool", with_required("[general]\nserver_connect_timeout = false\n"),
     "general.server_connect_timeout: must be a number of seconds greater than 0 and at most "
     "2592000, got boolean false"},
    // general.log_level
    {"log_level_unknown", with_required("[general]\nlog_level = \"verbose\"\n"),
     "general.log_level: unknown value \"verbose\" (expected debug, info, warning or error)"},
    {"log_level_upper_case", with_required("[general]\nlog_level = \"INFO\"\n"),
     "general.log_level: unknown value \"INFO\" (expected debug, info, warning or error)"},
    {"log_level_warn", with_required("[general]\nlog_level = \"warn\"\n"),
     "general.log_level: unknown value \"warn\" (expected debug, info, warning or error)"},
    {"log_level_integer", with_required("[general]\nlog_level = 1\n"),
     "general.log_level: must be a string (debug, info, warning or error), got integer 1"},
    // general.log_format
    {"log_format_unknown", with_required("[general]\nlog_format = \"text\"\n"),
     "general.log_format: unknown value \"text\" (expected logfmt or json)"},
    {"log_format_upper_case", with_required("[general]\nlog_format = \"JSON\"\n"),
     "general.log_format: unknown value \"JSON\" (expected logfmt or json)"},
    {"log_format_empty", with_required("[general]\nlog_format = \"\"\n"),
     "general.log_format: unknown value \"\" (expected logfmt or json)"},
    {"log_format_bool", with_required("[general]\nlog_format = true\n"),
     "general.log_format: must be a string (logfmt or json), got boolean true"},
    {"log_format_array", with_required("[general]\nlog_format = [\"json\"]\n"),
     "general.log_format: must be a string (logfmt or json), got an array"},
    // [general] itself
    {"general_unknown_key", with_required("[general]\nworkerz = 4\n"),
     "general.workerz: unknown key"},
    {"general_unknown_quoted_key", with_required("[general]\n\"max client conn\" = 4\n"),
     "general.\"max client conn\": unknown key"},
    {"general_not_a_table", with_required("general = 5\n"),
     "general: must be a table ([general]), got integer 5"},
    // listen.address
    {"address_host_name", with_required("[listen]\naddress = \"localhost\"\n"),
     "listen.address: must be an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or ::, got "
     "\"localhost\""},
    {"address_star", with_required("[listen]\naddress = \"*\"\n"),
     "listen.address: must be an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or ::, got "
     "\"*\""},
    {"address_bracketed_v6", with_required("[listen]\naddress = \"[::1]\"\n"),
     "listen.address: must be an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or ::, got "
     "\"[::1]\""},
    {"address_five_octets", with_required("[listen]\naddress = \"1.2.3.4.5\"\n"),
     "listen.address: must be an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or ::, got "
     "\"1.2.3.4.5\""},
    {"address_empty_zone", with_required("[listen]\naddress = \"fe80::1%\"\n"),
     "listen.address: must be an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or ::, got "
     "\"fe80::1%\""},
    {"address_empty", with_required("[listen]\naddress = \"\"\n"),
     "listen.address: must not be empty"},
    {"address_integer", with_required("[listen]\naddress = 127\n"),
     "listen.address: must be a string, got integer 127"},
    // listen.port
    {"listen_port_too_big", with_required("[listen]\nport = 70000\n"),
     "listen.port: must be an integer between 1 and 65535, got 70000"},
    {"listen_port_zero", with_required("[listen]\nport = 0\n"),
     "listen.port: must be an integer between 1 and 65535, got 0"},
    {"listen_port_negative", with_required("[listen]\nport = -6432\n"),
     "listen.port: must be an integer between 1 and 65535, got -6432"},
    {"listen_port_string", with_required("[listen]\nport = \"6432\"\n"),
     "listen.port: must be an integer between 1 and 65535, got string \"6432\""},
    {"listen_unknown_key", with_required("[listen]\nprot = 6432\n"), "listen.prot: unknown key"},
    {"listen_pgbouncer_spelling", with_required("[listen]\nlisten_addr = \"*\"\n"),
     "listen.listen_addr: unknown key"},
    {"listen_not_a_table", with_required("listen = [\"127.0.0.1\"]\n"),
     "listen: must be a table ([listen]), got an array"},
    // auth.method
    {"method_unknown", with_auth("method = \"plain\"\nusers_file = \"u\""),
     "auth.method: unknown value \"plain\" (expected trust, md5 or scram-sha-256)"},
    {"method_upper_case", with_auth("method = \"SCRAM-SHA-256\"\nusers_file = \"u\""),
     "auth.method: unknown value \"SCRAM-SHA-256\" (expected trust, md5 or scram-sha-256)"},
    {"method_underscore", with_auth("method = \"scram_sha_256\"\nusers_file = \"u\""),
     "auth.method: unknown value \"scram_sha_256\" (expected trust, md5 or scram-sha-256)"},
    {"method_integer", with_auth("method = 5\nusers_file = \"u\""),
     "auth.method: must be a string (trust, md5 or scram-sha-256), got integer 5"},
    // auth.users_file
    {"users_file_missing", with_auth("method = \"md5\""),
     "auth.users_file: required key is missing"},
    {"users_file_empty", with_auth("users_file = \"\""), "auth.users_file: must not be empty"},
    {"users_file_integer", with_auth("users_file = 1"),
     "auth.users_file: must be a string, got integer 1"},
    {"users_file_array", with_auth("users_file = [\"a\"]"),
     "auth.users_file: must be a string, got an array"},
    // [auth] itself
    {"auth_missing", "[[nodes]]\nname = \"pg1\"\nhost = \"db1\"\n",
     "auth.users_file: required key is missing"},
    {"auth_unknown_key", with_auth("users_file = \"u\"\npassword = \"secret\""),
     "auth.password: unknown key"},
    {"auth_not_a_table", "auth = \"md5\"\n[[nodes]]\nname = \"pg1\"\nhost = \"db1\"\n",
     "auth: must be a table ([auth]), got string \"md5\""},
    // nodes
    {"nodes_missing", "[auth]\nusers_file = \"u\"\n",
     "nodes: at least one [[nodes]] entry is required"},
    {"nodes_empty_array", with_nodes_key("nodes = []\n"),
     "nodes: at least one [[nodes]] entry is required"},
    {"nodes_single_brackets", with_nodes("[nodes]\nname = \"pg1\"\nhost = \"db1\"\n"),
     "nodes: must be an array of tables ([[nodes]]), got a table"},
    {"nodes_string", with_nodes_key("nodes = \"pg1\"\n"),
     "nodes: must be an array of tables ([[nodes]]), got string \"pg1\""},
    {"nodes_element_not_table", with_nodes_key("nodes = [1]\n"),
     "nodes[0]: must be a table, got integer 1"},
    {"node_name_missing", with_nodes("[[nodes]]\nhost = \"db1\"\n"),
     "nodes[0].name: required key is missing"},
    {"node_name_empty", with_nodes("[[nodes]]\nname = \"\"\nhost = \"db1\"\n"),
     "nodes[0].name: must not be empty"},
    {"node_name_integer", with_nodes("[[nodes]]\nname = 1\nhost = \"db1\"\n"),
     "nodes[0].name: must be a string, got integer 1"},
    {"node_name_space", with_nodes("[[nodes]]\nname = \"pg 1\"\nhost = \"db1\"\n"),
     "nodes[0].name: may contain only letters, digits, '_', '-' and '.', got \"pg 1\""},
    {"node_name_quote", with_nodes("[[nodes]]\nname = 'pg\"1'\nhost = \"db1\"\n"),
     "nodes[0].name: may contain only letters, digits, '_', '-' and '.', got \"pg\\\"1\""},
    {"node_host_missing", with_nodes("[[nodes]]\nname = \"pg1\"\n"),
     "nodes[0].host: required key is missing"},
    {"node_host_empty", with_nodes("[[nodes]]\nname = \"pg1\"\nhost = \"\"\n"),
     "nodes[0].host: must not be empty"},
    {"node_host_space", with_nodes("[[nodes]]\nname = \"pg1\"\nhost = \"db 1\"\n"),
     "nodes[0].host: must be one host name or IP address (no spaces or commas), got "
     "\"db 1\""},
    {"node_host_list", with_nodes("[[nodes]]\nname = \"pg1\"\nhost = \"db1,db2\"\n"),
     "nodes[0].host: must be one host name or IP address (no spaces or commas), got "
     "\"db1,db2\""},
    {"node_host_unix_socket",
     with_nodes("[[nodes]]\nname = \"pg1\"\nhost = \"/var/run/postgresql\"\n"),
     "nodes[0].host: Unix-domain sockets are not supported, use a host name or IP address, got "
     "\"/var/run/postgresql\""},
    {"node_port_too_big", with_nodes("[[nodes]]\nname = \"pg1\"\nhost = \"db1\"\nport = 65536\n"),
     "nodes[0].port: must be an integer between 1 and 65535, got 65536"},
    {"node_port_zero", with_nodes("[[nodes]]\nname = \"pg1\"\nhost = \"db1\"\nport = 0\n"),
     "nodes[0].port: must be an integer between 1 and 65535, got 0"},
    {"node_port_string", with_nodes("[[nodes]]\nname = \"pg1\"\nhost = \"db1\"\nport = \"5432\"\n"),
     "nodes[0].port: must be an integer between 1 and 65535, got string \"5432\""},
    {"node_unknown_key", with_nodes("[[nodes]]\nname = \"pg1\"\nhots = \"db1\"\nhost = \"db1\"\n"),
     "nodes[0].hots: unknown key"},
    {"node_duplicate_name",
     with_nodes("[[nodes]]\nname = \"pg1\"\nhost = \"db1\"\n"
                "[[nodes]]\nname = \"pg1\"\nhost = \"db2\"\n"),
     "nodes[1].name: duplicate node name \"pg1\""},
    {"node_duplicate_address",
     with_nodes("[[nodes]]\nname = \"pg1\"\nhost = \"db1\"\n"
                "[[nodes]]\nname = \"pg2\"\nhost = \"db1\"\nport = 5432\n"),
     "nodes[1]: same host and port as node \"pg1\""},
    {"node_duplicate_address_case",
     with_nodes("[[nodes]]\nname = \"pg1\"\nhost = \"DB1.example\"\n"
                "[[nodes]]\nname = \"pg2\"\nhost = \"db1.EXAMPLE\"\n"),
     "nodes[1]: same host and port as node \"pg1\""},
    {"node_error_in_third_entry",
     with_nodes("[[nodes]]\nname = \"a\"\nhost = \"h1\"\n[[nodes]]\nname = \"b\"\nhost = \"h2\"\n"
                "[[nodes]]\nname = \"c\"\nhost = \"h3\"\nport = 99999\n"),
     "nodes[2].port: must be an integer between 1 and 65535, got 99999"},
    // health.interval
    {"interval_zero", with_health("interval = 0"),
     "health.interval: must be a number of seconds greater than 0 and at most 2592000, got 0"},
    {"interval_negative", with_health("interval = -1"),
     "health.interval: must be a number of seconds greater than 0 and at most 2592000, got -1"},
    {"interval_too_big", with_health("interval = 2592001"),
     "health.interval: must be a number of seconds greater than 0 and at most 2592000, got "
     "2592001"},
    {"interval_below_minimum", with_health("interval = 0.005"),
     "health.interval: must be at least 0.01 (10 milliseconds), got 0.005"},
    {"interval_below_ms", with_health("interval = 0.0004"),
     "health.interval: must be at least 0.01 (10 milliseconds), got 0.0004"},
    {"interval_string", with_health("interval = \"1s\""),
     "health.interval: must be a number of seconds greater than 0 and at most 2592000, got "
     "string \"1s\""},
    // health.connect_timeout, health.query_timeout
    {"health_connect_timeout_zero", with_health("connect_timeout = 0"),
     "health.connect_timeout: must be a number of seconds greater than 0 and at most 2592000, "
     "got 0"},
    {"health_connect_timeout_below_ms", with_health("connect_timeout = 0.0001"),
     "health.connect_timeout: must be at least 0.001 (one millisecond), got 0.0001"},
    {"query_timeout_negative", with_health("query_timeout = -2"),
     "health.query_timeout: must be a number of seconds greater than 0 and at most 2592000, "
     "got -2"},
    {"query_timeout_bool", with_health("query_timeout = true"),
     "health.query_timeout: must be a number of seconds greater than 0 and at most 2592000, "
     "got boolean true"},
    // health.rise, health.fall
    {"rise_zero", with_health("rise = 0"),
     "health.rise: must be an integer between 1 and 100, got 0"},
    {"rise_too_big", with_health("rise = 101"),
     "health.rise: must be an integer between 1 and 100, got 101"},
    {"rise_float", with_health("rise = 2.0"),
     "health.rise: must be an integer between 1 and 100, got floating-point 2.0"},
    {"fall_zero", with_health("fall = 0"),
     "health.fall: must be an integer between 1 and 100, got 0"},
    {"fall_negative", with_health("fall = -3"),
     "health.fall: must be an integer between 1 and 100, got -3"},
    {"fall_string", with_health("fall = \"3\""),
     "health.fall: must be an integer between 1 and 100, got string \"3\""},
    // health.max_lag_bytes
    {"max_lag_bytes_negative", with_health("max_lag_bytes = -1"),
     "health.max_lag_bytes: must be a number of bytes: an integer of at least 0, or a string "
     "with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got -1"},
    {"max_lag_bytes_float", with_health("max_lag_bytes = 1.5"),
     "health.max_lag_bytes: must be a number of bytes: an integer of at least 0, or a string "
     "with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got floating-point 1.5"},
    {"max_lag_bytes_bool", with_health("max_lag_bytes = false"),
     "health.max_lag_bytes: must be a number of bytes: an integer of at least 0, or a string "
     "with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got boolean false"},
    {"max_lag_bytes_lower_case_unit", with_health("max_lag_bytes = \"16mb\""),
     "health.max_lag_bytes: must be a number of bytes: an integer of at least 0, or a string "
     "with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got string \"16mb\""},
    {"max_lag_bytes_KB", with_health("max_lag_bytes = \"512KB\""),
     "health.max_lag_bytes: must be a number of bytes: an integer of at least 0, or a string "
     "with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got string \"512KB\""},
    {"max_lag_bytes_MiB", with_health("max_lag_bytes = \"16MiB\""),
     "health.max_lag_bytes: must be a number of bytes: an integer of at least 0, or a string "
     "with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got string \"16MiB\""},
    {"max_lag_bytes_no_unit", with_health("max_lag_bytes = \"1024\""),
     "health.max_lag_bytes: must be a number of bytes: an integer of at least 0, or a string "
     "with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got string \"1024\""},
    {"max_lag_bytes_unit_only", with_health("max_lag_bytes = \"MB\""),
     "health.max_lag_bytes: must be a number of bytes: an integer of at least 0, or a string "
     "with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got string \"MB\""},
    {"max_lag_bytes_negative_string", with_health("max_lag_bytes = \"-1MB\""),
     "health.max_lag_bytes: must be a number of bytes: an integer of at least 0, or a string "
     "with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got string \"-1MB\""},
    {"max_lag_bytes_dangling_point", with_health("max_lag_bytes = \"1.MB\""),
     "health.max_lag_bytes: must be a number of bytes: an integer of at least 0, or a string "
     "with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got string \"1.MB\""},
    {"max_lag_bytes_trailing_text", with_health("max_lag_bytes = \"16MB x\""),
     "health.max_lag_bytes: must be a number of bytes: an integer of at least 0, or a string "
     "with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got string \"16MB x\""},
    {"max_lag_bytes_empty_string", with_health("max_lag_bytes = \"\""),
     "health.max_lag_bytes: must be a number of bytes: an integer of at least 0, or a string "
     "with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got string \"\""},
    {"max_lag_bytes_too_large", with_health("max_lag_bytes = \"8388608TB\""),
     "health.max_lag_bytes: must be at most 9223372036854775807 bytes, got string "
     "\"8388608TB\""},
    {"max_lag_bytes_too_many_digits", with_health("max_lag_bytes = \"99999999999999999999999B\""),
     "health.max_lag_bytes: must be at most 9223372036854775807 bytes, got string "
     "\"99999999999999999999999B\""},
    // health.max_lag_ms
    {"max_lag_ms_negative", with_health("max_lag_ms = -1"),
     "health.max_lag_ms: must be an integer between 0 and 2592000000, got -1"},
    {"max_lag_ms_too_big", with_health("max_lag_ms = 2592000001"),
     "health.max_lag_ms: must be an integer between 0 and 2592000000, got 2592000001"},
    {"max_lag_ms_float", with_health("max_lag_ms = 1.5"),
     "health.max_lag_ms: must be an integer between 0 and 2592000000, got floating-point 1.5"},
    {"max_lag_ms_string", with_health("max_lag_ms = \"10s\""),
     "health.max_lag_ms: must be an integer between 0 and 2592000000, got string \"10s\""},
    // health.user, health.dbname
    {"health_user_empty", with_health("user = \"\""), "health.user: must not be empty"},
    {"health_user_integer", with_health("user = 1"),
     "health.user: must be a string, got integer 1"},
    {"health_user_nul", with_health("user = \"pg\\u0000x\""),
     "health.user: must not contain a NUL character"},
    {"health_dbname_empty", with_health("dbname = ''"), "health.dbname: must not be empty"},
    {"health_dbname_array", with_health("dbname = [\"postgres\"]"),
     "health.dbname: must be a string, got an array"},
    {"health_dbname_nul", with_health("dbname = \"\\u0000\""),
     "health.dbname: must not contain a NUL character"},
    // health.password: problems never show the value
    {"health_password_empty", with_health("password = \"\""),
     "health.password: must not be empty (leave the key out to use the users file's password)"},
    {"health_password_integer", with_health("password = 271828"),
     "health.password: must be a string, got an integer"},
    {"health_password_float", with_health("password = 3.14159"),
     "health.password: must be a string, got a floating-point number"},
    {"health_password_bool", with_health("password = true"),
     "health.password: must be a string, got a boolean"},
    {"health_password_array", with_health("password = [\"hunter2\"]"),
     "health.password: must be a string, got an array"},
    {"health_password_nul", with_health("password = \"hun\\u0000ter2\""),
     "health.password: must not contain a NUL character"},
    // [health] itself
    {"health_unknown_key", with_health("timeout = 2"), "health.timeout: unknown key"},
    {"health_max_lag_not_ms", with_health("max_lag = 10"), "health.max_lag: unknown key"},
    {"health_node_key", with_health("host = \"db1\""), "health.host: unknown key"},
    {"health_not_a_table", with_required("health = true\n"),
     "health: must be a table ([health]), got boolean true"},
    {"health_array_of_tables", with_required("[[health]]\ninterval = 1\n"),
     "health: must be a table ([health]), got an array"},
    // per-node overrides
    {"node_max_lag_bytes_bad_unit", with_node_keys("max_lag_bytes = \"1 XB\""),
     "nodes[0].max_lag_bytes: must be a number of bytes: an integer of at least 0, or a string "
     "with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got string \"1 XB\""},
    {"node_max_lag_bytes_negative", with_node_keys("max_lag_bytes = -5"),
     "nodes[0].max_lag_bytes: must be a number of bytes: an integer of at least 0, or a string "
     "with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got -5"},
    {"node_max_lag_ms_negative", with_node_keys("max_lag_ms = -1"),
     "nodes[0].max_lag_ms: must be an integer between 0 and 2592000000, got -1"},
    {"node_max_lag_ms_float", with_node_keys("max_lag_ms = 0.5"),
     "nodes[0].max_lag_ms: must be an integer between 0 and 2592000000, got floating-point 0.5"},
    {"node_max_lag_in_seconds", with_node_keys("max_lag = 10"), "nodes[0].max_lag: unknown key"},
    {"node_other_health_key", with_node_keys("interval = 1"), "nodes[0].interval: unknown key"},
    {"node_override_error_in_second_entry",
     with_nodes("[[nodes]]\nname = \"a\"\nhost = \"h1\"\nmax_lag_ms = 5\n"
                "[[nodes]]\nname = \"b\"\nhost = \"h2\"\nmax_lag_ms = -5\n"),
     "nodes[1].max_lag_ms: must be an integer between 0 and 2592000000, got -5"},
    // nodes[i].weight
    {"node_weight_negative", with_node_keys("weight = -1"),
     "nodes[0].weight: must be an integer between 0 and 1000, got -1"},
    {"node_weight_too_big", with_node_keys("weight = 1001"),
     "nodes[0].weight: must be an integer between 0 and 1000, got 1001"},
    {"node_weight_float", with_node_keys("weight = 1.5"),
     "nodes[0].weight: must be an integer between 0 and 1000, got floating-point 1.5"},
    {"node_weight_string", with_node_keys("weight = \"2\""),
     "nodes[0].weight: must be an integer between 0 and 1000, got string \"2\""},
    // pool.pool_mode
    {"pool_mode_unknown", with_pool("pool_mode = \"x\""),
     "pool.pool_mode: unknown value \"x\" (expected session or transaction)"},
    {"pool_mode_statement", with_pool("pool_mode = \"statement\""),
     "pool.pool_mode: unknown value \"statement\" (expected session or transaction)"},
    {"pool_mode_upper_case", with_pool("pool_mode = \"Transaction\""),
     "pool.pool_mode: unknown value \"Transaction\" (expected session or transaction)"},
    {"pool_mode_integer", with_pool("pool_mode = 1"),
     "pool.pool_mode: must be a string (session or transaction), got integer 1"},
    // pool.default_pool_size
    {"default_pool_size_zero", with_pool("default_pool_size = 0"),
     "pool.default_pool_size: must be an integer between 1 and 100000, got 0"},
    {"default_pool_size_too_big", with_pool("default_pool_size = 100001"),
     "pool.default_pool_size: must be an integer between 1 and 100000, got 100001"},
    {"default_pool_size_string", with_pool("default_pool_size = \"20\""),
     "pool.default_pool_size: must be an integer between 1 and 100000, got string \"20\""},
    // pool.min_pool_size
    {"min_pool_size_negative", with_pool("min_pool_size = -1"),
     "pool.min_pool_size: must be an integer between 0 and 100000, got -1"},
    {"min_pool_size_float", with_pool("min_pool_size = 1.0"),
     "pool.min_pool_size: must be an integer between 0 and 100000, got floating-point 1.0"},
    {"min_pool_size_above_default", with_pool("min_pool_size = 21"),
     "pool.min_pool_size: must be at most pool.default_pool_size (20), got 21"},
    {"min_pool_size_above_size", with_pool("default_pool_size = 5\nmin_pool_size = 6"),
     "pool.min_pool_size: must be at most pool.default_pool_size (5), got 6"},
    {"min_pool_size_above_size_written_first",
     with_pool("min_pool_size = 11\ndefault_pool_size = 10"),
     "pool.min_pool_size: must be at most pool.default_pool_size (10), got 11"},
    {"min_pool_size_not_compared_with_a_bad_size",
     with_pool("default_pool_size = 0\nmin_pool_size = 6"),
     "pool.default_pool_size: must be an integer between 1 and 100000, got 0"},
    // pool timeouts
    {"server_idle_timeout_negative", with_pool("server_idle_timeout = -1"),
     "pool.server_idle_timeout: must be a number of seconds between 0 and 2592000 (0 disables), "
     "got -1"},
    {"server_lifetime_string", with_pool("server_lifetime = \"1h\""),
     "pool.server_lifetime: must be a number of seconds between 0 and 2592000 (0 disables), got "
     "string \"1h\""},
    {"query_wait_timeout_below_ms", with_pool("query_wait_timeout = 0.0001"),
     "pool.query_wait_timeout: must be 0 or at least 0.001 (one millisecond), got 0.0001"},
    {"primary_wait_timeout_too_big", with_pool("primary_wait_timeout = 2592001"),
     "pool.primary_wait_timeout: must be a number of seconds between 0 and 2592000 (0 disables), "
     "got 2592001"},
    {"primary_wait_timeout_bool", with_pool("primary_wait_timeout = true"),
     "pool.primary_wait_timeout: must be a number of seconds between 0 and 2592000 (0 disables), "
     "got boolean true"},
    {"admin_users_not_array", with_required("[admin]\nusers = \"admin\"\n"),
     "admin.users: must be an array of user names such as [\"admin\"], got string \"admin\""},
    {"admin_address_name", with_required("[admin]\naddress = \"localhost\"\n"),
     "admin.address: must be an IPv4 or IPv6 address such as 127.0.0.1, got \"localhost\""},
    {"admin_unknown_key", with_required("[admin]\npassword = \"x\"\n"),
     "admin.password: unknown key"},
    {"http_port_too_big", with_required("[http]\nport = 65536\n"),
     "http.port: must be an integer between 0 and 65535, got 65536"},
    {"http_port_negative", with_required("[http]\nport = -1\n"),
     "http.port: must be an integer between 0 and 65535, got -1"},
    {"http_port_string", with_required("[http]\nport = \"9187\"\n"),
     "http.port: must be an integer between 0 and 65535, got string \"9187\""},
    {"http_address_name", with_required("[http]\naddress = \"localhost\"\n"),
     "http.address: must be an IPv4 or IPv6 address such as 127.0.0.1, got \"localhost\""},
    {"http_address_star", with_required("[http]\naddress = \"*\"\n"),
     "http.address: must be an IPv4 or IPv6 address such as 127.0.0.1, got \"*\""},
    {"http_ready_without_primary_string",
     with_required("[http]\nready_without_primary = \"yes\"\n"),
     "http.ready_without_primary: must be a boolean (true or false), got string \"yes\""},
    {"http_unknown_key", with_required("[http]\npath = \"/healthz\"\n"), "http.path: unknown key"},
    {"client_tls_unknown_mode", with_required("[tls]\nclient_tls = \"prefer\"\n"),
     "tls.client_tls: unknown value \"prefer\" (expected disable, allow or require)"},
    {"client_tls_without_files", with_required("[tls]\nclient_tls = \"require\"\n"),
     "tls.client_tls_cert_file: required key is missing (client_tls = \"require\")\n"
     "tls.client_tls_key_file: required key is missing (client_tls = \"require\")"},
    {"client_tls_empty_cert",
     with_required("[tls]\nclient_tls = \"allow\"\nclient_tls_cert_file = \"\"\n"
                   "client_tls_key_file = \"k\"\n"),
     "tls.client_tls_cert_file: must not be empty"},
    {"server_tls_unknown_mode", with_required("[tls]\nserver_tls = \"verify\"\n"),
     "tls.server_tls: unknown value \"verify\" (expected disable, prefer, require, verify-ca or "
     "verify-full)"},
    {"server_tls_verify_without_ca", with_required("[tls]\nserver_tls = \"verify-ca\"\n"),
     "tls.server_tls_ca_file: required key is missing (server_tls = \"verify-ca\")"},
    {"node_server_tls_verify_without_ca",
     with_auth("users_file = \"u\"") + "[[nodes]]\nname = \"pg2\"\nhost = \"db2\"\n"
                                       "server_tls = \"verify-full\"\n",
     "nodes[1].server_tls_ca_file: required key is missing (server_tls = \"verify-full\")"},
    {"tls_unknown_key", with_required("[tls]\nsslmode = \"require\"\n"),
     "tls.sslmode: unknown key"},
    {"reuse_port_not_bool", with_required("[listen]\nreuse_port = 1\n"),
     "listen.reuse_port: must be a boolean (true or false), got integer 1"},
    {"max_pinned_fraction_above_one", with_pool("max_pinned_fraction = 1.5"),
     "pool.max_pinned_fraction: must be a number between 0 and 1, got 1.5"},
    {"max_pinned_fraction_string", with_pool("max_pinned_fraction = \"half\""),
     "pool.max_pinned_fraction: must be a number between 0 and 1, got string \"half\""},
    // [pool] itself
    {"pool_unknown_key", with_pool("max_db_connections = 10"),
     "pool.max_db_connections: unknown key"},
    {"pool_mode_key_is_pool_mode", with_pool("mode = \"session\""), "pool.mode: unknown key"},
    {"pool_size_is_per_database", with_pool("pool_size = 10"), "pool.pool_size: unknown key"},
    {"pool_not_a_table", with_required("pool = 5\n"),
     "pool: must be a table ([pool]), got integer 5"},
    // routing.mode, routing.primary_reads, routing.balance
    {"routing_mode_automatic", with_routing("mode = \"automatic\""),
     "routing.mode: unknown value \"automatic\" (expected primary, standby or auto)"},
    {"routing_mode_upper_case", with_routing("mode = \"AUTO\""),
     "routing.mode: unknown value \"AUTO\" (expected primary, standby or auto)"},
    {"routing_mode_bool", with_routing("mode = true"),
     "routing.mode: must be a string (primary, standby or auto), got boolean true"},
    {"primary_reads_unknown", with_routing("primary_reads = \"sometimes\""),
     "routing.primary_reads: unknown value \"sometimes\" (expected never, fallback or always)"},
    {"primary_reads_bool", with_routing("primary_reads = false"),
     "routing.primary_reads: must be a string (never, fallback or always), got boolean false"},
    {"balance_unknown", with_routing("balance = \"random\""),
     "routing.balance: unknown value \"random\" (expected least_outstanding, round_robin or "
     "weighted)"},
    {"balance_hyphen", with_routing("balance = \"round-robin\""),
     "routing.balance: unknown value \"round-robin\" (expected least_outstanding, round_robin "
     "or weighted)"},
    // routing.writing_functions
    {"writing_functions_string", with_routing("writing_functions = \"f\""),
     "routing.writing_functions: must be an array of strings such as [\"f\", \"schema.f\"], got "
     "string \"f\""},
    {"writing_functions_table", with_routing("writing_functions = { f = 1 }"),
     "routing.writing_functions: must be an array of strings such as [\"f\", \"schema.f\"], got "
     "a table"},
    {"writing_functions_element_integer", with_routing("writing_functions = [\"f\", 1]"),
     "routing.writing_functions[1]: must be a string, got integer 1"},
    {"writing_functions_two_dots", with_routing("writing_functions = [\"a.b.c\"]"),
     "routing.writing_functions[0]: must be a function name such as \"f\" or \"schema.f\" "
     "(letters, digits, '_' and '$', with at most one '.' between schema and name), got "
     "\"a.b.c\""},
    {"writing_functions_empty_name", with_routing("writing_functions = [\"\"]"),
     "routing.writing_functions[0]: must be a function name such as \"f\" or \"schema.f\" "
     "(letters, digits, '_' and '$', with at most one '.' between schema and name), got \"\""},
    {"writing_functions_parentheses", with_routing("writing_functions = [\"f()\"]"),
     "routing.writing_functions[0]: must be a function name such as \"f\" or \"schema.f\" "
     "(letters, digits, '_' and '$', with at most one '.' between schema and name), got "
     "\"f()\""},
    {"writing_functions_space", with_routing("writing_functions = [\"my func\"]"),
     "routing.writing_functions[0]: must be a function name such as \"f\" or \"schema.f\" "
     "(letters, digits, '_' and '$', with at most one '.' between schema and name), got "
     "\"my func\""},
    {"writing_functions_quoted_identifier", with_routing("writing_functions = ['\"F\"']"),
     "routing.writing_functions[0]: must be a function name such as \"f\" or \"schema.f\" "
     "(letters, digits, '_' and '$', with at most one '.' between schema and name), got "
     "\"\\\"F\\\"\""},
    {"writing_functions_leading_dot", with_routing("writing_functions = [\".f\"]"),
     "routing.writing_functions[0]: must be a function name such as \"f\" or \"schema.f\" "
     "(letters, digits, '_' and '$', with at most one '.' between schema and name), got "
     "\".f\""},
    {"writing_functions_trailing_dot", with_routing("writing_functions = [\"ok\", \"s.\"]"),
     "routing.writing_functions[1]: must be a function name such as \"f\" or \"schema.f\" "
     "(letters, digits, '_' and '$', with at most one '.' between schema and name), got "
     "\"s.\""},
    // routing.retry_recovery_conflicts
    {"retry_recovery_conflicts_string", with_routing("retry_recovery_conflicts = \"yes\""),
     "routing.retry_recovery_conflicts: must be a boolean (true or false), got string \"yes\""},
    {"retry_recovery_conflicts_integer", with_routing("retry_recovery_conflicts = 1"),
     "routing.retry_recovery_conflicts: must be a boolean (true or false), got integer 1"},
    // [routing] itself
    {"routing_unknown_key", with_routing("default_route = \"primary\""),
     "routing.default_route: unknown key"},
    {"routing_pool_key", with_routing("pool_mode = \"session\""), "routing.pool_mode: unknown key"},
    {"routing_not_a_table", with_required("routing = \"auto\"\n"),
     "routing: must be a table ([routing]), got string \"auto\""},
    // [databases]
    {"databases_not_a_table", with_required("databases = 1\n"),
     "databases: must be a table of tables ([databases.NAME]), got integer 1"},
    {"databases_array_of_tables", with_databases("[[databases]]\nname = \"x\""),
     "databases: must be a table of tables ([databases.NAME]), got an array"},
    {"database_not_a_table", with_databases("[databases]\nreporting = \"standby\""),
     "databases.reporting: must be a table ([databases.reporting]), got string \"standby\""},
    {"database_quoted_name_not_a_table", with_databases("[databases]\n\"my db\" = 1"),
     "databases.\"my db\": must be a table ([databases.\"my db\"]), got integer 1"},
    {"database_empty_name", with_databases("[databases.\"\"]\npool_size = 1"),
     "databases.\"\": the database name must not be empty"},
    {"database_unknown_key", with_databases("[databases.reporting]\nmax_lag = 1"),
     "databases.reporting.max_lag: unknown key"},
    {"database_mode_key_is_routing", with_databases("[databases.reporting]\nmode = \"standby\""),
     "databases.reporting.mode: unknown key"},
    {"database_routing_unknown", with_databases("[databases.reporting]\nrouting = \"read\""),
     "databases.reporting.routing: unknown value \"read\" (expected primary, standby or auto)"},
    {"database_pool_mode_unknown", with_databases("[databases.app]\npool_mode = \"statement\""),
     "databases.app.pool_mode: unknown value \"statement\" (expected session or transaction)"},
    {"database_pool_size_zero", with_databases("[databases.app]\npool_size = 0"),
     "databases.app.pool_size: must be an integer between 1 and 100000, got 0"},
    {"database_pool_size_too_big", with_databases("[databases.app]\npool_size = 100001"),
     "databases.app.pool_size: must be an integer between 1 and 100000, got 100001"},
    {"database_pool_size_string", with_databases("[databases.app]\npool_size = \"5\""),
     "databases.app.pool_size: must be an integer between 1 and 100000, got string \"5\""},
    {"database_quoted_name_in_messages", with_databases("[databases.\"my db\"]\npool_size = -1"),
     "databases.\"my db\".pool_size: must be an integer between 1 and 100000, got -1"},
    // unknown top-level keys and sections
    {"unknown_section", with_required("[generall]\nworkers = 4\n"), "generall: unknown section"},
    {"unknown_array_of_tables", with_required("[[replicas]]\nname = \"x\"\n"),
     "replicas: unknown section"},
    {"unknown_top_level_key", "workers = 4\n" + required_keys, "workers: unknown key"},
    {"pgbouncer_section", with_required("[pgbouncer]\nlisten_port = 6432\n"),
     "pgbouncer: unknown section"},
};

INSTANTIATE_TEST_SUITE_P(EveryProblem, ConfigErrors, ::testing::ValuesIn(error_cases),
                         [](const auto& test) { return test.param.name; });

TEST(ConfigErrors, AllProblemsReportedAtOnce) {
    const config_result r = parse(R"(
[general]
workers = -1
log_level = "loud"
[listen]
port = 70000
[auth]
method = "plain"
[[nodes]]
name = "pg1"
host = "db1"
[[nodes]]
name = "pg1"
host = "db2"
[extra]
)");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error,
              "extra: unknown section\n"
              "general.workers: must be an integer between 0 and 1024, got -1\n"
              "general.log_level: unknown value \"loud\" (expected debug, info, warning or "
              "error)\n"
              "listen.port: must be an integer between 1 and 65535, got 70000\n"
              "auth.method: unknown value \"plain\" (expected trust, md5 or scram-sha-256)\n"
              "auth.users_file: required key is missing\n"
              "nodes[1].name: duplicate node name \"pg1\"");
}

TEST(ConfigErrors, AllHealthProblemsReportedAtOnce) {
    const config_result r = parse(R"(
[auth]
users_file = "users.txt"
[health]
interval = 0
rise = 0
fall = 1000
max_lag_bytes = "lots"
max_lag_ms = -1
user = ""
checks = 3
[[nodes]]
name = "pg1"
host = "db1"
max_lag_bytes = -1
max_lag_ms = "1s"
)");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error,
              "health.checks: unknown key\n"
              "health.interval: must be a number of seconds greater than 0 and at most 2592000, "
              "got 0\n"
              "health.rise: must be an integer between 1 and 100, got 0\n"
              "health.fall: must be an integer between 1 and 100, got 1000\n"
              "health.max_lag_bytes: must be a number of bytes: an integer of at least 0, or a "
              "string with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got string "
              "\"lots\"\n"
              "health.max_lag_ms: must be an integer between 0 and 2592000000, got -1\n"
              "health.user: must not be empty\n"
              "nodes[0].max_lag_bytes: must be a number of bytes: an integer of at least 0, or a "
              "string with a unit B, kB, MB, GB or TB (base 1024) such as \"16MB\", got -1\n"
              "nodes[0].max_lag_ms: must be an integer between 0 and 2592000000, got string "
              "\"1s\"");
}

TEST(ConfigErrors, AllPoolRoutingAndDatabaseProblemsReportedAtOnce) {
    const config_result r = parse(R"(
[auth]
users_file = "users.txt"
[pool]
pool_mode = "statement"
default_pool_size = 10
min_pool_size = 11
server_lifetime = -1
reserve_pool_size = 5
[routing]
mode = "read-write"
writing_functions = ["ok", "a.b.c", 7]
retry_recovery_conflicts = "no"
[databases.zeta]
pool_size = 0
[databases.alpha]
routing = "standby"
pool_mode = "statement"
[[nodes]]
name = "pg1"
host = "db1"
weight = 2000
)");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error,
              "pool.reserve_pool_size: unknown key\n"
              "pool.pool_mode: unknown value \"statement\" (expected session or transaction)\n"
              "pool.min_pool_size: must be at most pool.default_pool_size (10), got 11\n"
              "pool.server_lifetime: must be a number of seconds between 0 and 2592000 "
              "(0 disables), got -1\n"
              "routing.mode: unknown value \"read-write\" (expected primary, standby or auto)\n"
              "routing.writing_functions[1]: must be a function name such as \"f\" or "
              "\"schema.f\" (letters, digits, '_' and '$', with at most one '.' between schema "
              "and name), got \"a.b.c\"\n"
              "routing.writing_functions[2]: must be a string, got integer 7\n"
              "routing.retry_recovery_conflicts: must be a boolean (true or false), got string "
              "\"no\"\n"
              "databases.zeta.pool_size: must be an integer between 1 and 100000, got 0\n"
              "databases.alpha.pool_mode: unknown value \"statement\" (expected session or "
              "transaction)\n"
              "nodes[0].weight: must be an integer between 0 and 1000, got 2000");
}

// The health password is a secret: no error message may contain it.
TEST(ConfigErrors, PasswordNeverAppearsInErrors) {
    for (const std::string value : {"\"s3cr3t-pw\"", "271828", "\"s3cr3t-\\u0000-pw\"",
                                    "[\"s3cr3t-pw\"]", "{ text = \"s3cr3t-pw\" }", "271828.5"}) {
        const config_result r =
            parse(with_health("password = " + value + "\nrise = 0\nsecret = \"s3cr3t-pw\""));
        ASSERT_FALSE(r.ok()) << value;
        EXPECT_EQ(r.error.find("271828"), std::string::npos) << r.error;
        EXPECT_EQ(r.error.find("s3cr3t"), std::string::npos) << r.error;
        EXPECT_NE(r.error.find("health.rise: "), std::string::npos) << r.error;
    }
}

TEST(ConfigErrors, UnknownKeysAreAllListed) {
    const config_result r = parse(with_required("[general]\nb_key = 1\na_key = 2\n"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error, "general.a_key: unknown key\ngeneral.b_key: unknown key");
}

TEST(ConfigErrors, ErrorsQuoteControlCharacters) {
    const config_result r = parse(with_required("[general]\nlog_level = \"in\\nfo\"\n"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error,
              "general.log_level: unknown value \"in\\nfo\" (expected debug, info, warning or "
              "error)");
}

// ---------------------------------------------------------------------------------------
// TOML syntax errors: reported with line and column, nothing else.

struct syntax_case {
    std::string name;
    std::string toml;
    std::string position;  // the message starts with this
};

class ConfigSyntax : public ::testing::TestWithParam<syntax_case> {};

TEST_P(ConfigSyntax, ReportedWithLineAndColumn) {
    const config_result r = parse(GetParam().toml);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error.rfind(GetParam().position, 0), 0U) << r.error;
    EXPECT_GT(r.error.size(), GetParam().position.size()) << "no description: " << r.error;
    EXPECT_EQ(r.error.find('\n'), std::string::npos) << r.error;
}

const syntax_case syntax_cases[] = {
    {"missing_value", "[general]\nworkers = \n", "line 2, column 11: "},
    {"duplicate_key", "[general]\nworkers = 1\nworkers = 2\n", "line 3, column "},
    {"duplicate_table", "[general]\n[general]\n", "line 2, column 1: "},
    {"unterminated_string", "[listen]\naddress = \"127.0.0.1\n", "line 2, column "},
    {"integer_overflow", "[general]\nworkers = 99999999999999999999\n", "line 2, column "},
    {"trailing_garbage", "[listen]\nport = 6432 x\n", "line 2, column 13: "},
    {"invalid_utf8", "\xff = 1\n", "line 1, column 1: "},
    {"table_after_array", "[[nodes]]\nname = \"a\"\n[nodes]\n", "line 3, column 1: "},
    {"unclosed_header", "[general\nworkers = 1\n", "line 1, column "},
    {"ini_style_comment", "; pgbouncer style\n[general]\n", "line 1, column 1: "},
};

INSTANTIATE_TEST_SUITE_P(Toml, ConfigSyntax, ::testing::ValuesIn(syntax_cases),
                         [](const auto& test) { return test.param.name; });

// ---------------------------------------------------------------------------------------
// Enum spellings

TEST(ConfigEnums, AuthMethodRoundTrip) {
    for (auto m : {auth_method::trust, auth_method::md5, auth_method::scram_sha_256}) {
        EXPECT_EQ(parse_auth_method(to_string(m)), m);
    }
    EXPECT_EQ(to_string(auth_method::trust), "trust");
    EXPECT_EQ(to_string(auth_method::md5), "md5");
    EXPECT_EQ(to_string(auth_method::scram_sha_256), "scram-sha-256");
    for (std::string_view bad : {"", "plain", "MD5", "scram", "scram-sha-256 ", "any"}) {
        EXPECT_FALSE(parse_auth_method(bad).has_value()) << bad;
    }
}

TEST(ConfigEnums, LogLevelRoundTrip) {
    for (auto l : {log_level::debug, log_level::info, log_level::warning, log_level::error}) {
        EXPECT_EQ(parse_log_level(to_string(l)), l);
    }
    EXPECT_EQ(to_string(log_level::debug), "debug");
    EXPECT_EQ(to_string(log_level::info), "info");
    EXPECT_EQ(to_string(log_level::warning), "warning");
    EXPECT_EQ(to_string(log_level::error), "error");
    for (std::string_view bad : {"", "warn", "Info", "trace", "fatal"}) {
        EXPECT_FALSE(parse_log_level(bad).has_value()) << bad;
    }
}

TEST(ConfigEnums, LogFormatRoundTrip) {
    for (auto f : {log_format::logfmt, log_format::json}) {
        EXPECT_EQ(parse_log_format(to_string(f)), f);
    }
    EXPECT_EQ(to_string(log_format::logfmt), "logfmt");
    EXPECT_EQ(to_string(log_format::json), "json");
    for (std::string_view bad : {"", "text", "JSON", "Logfmt", "json ", "ndjson"}) {
        EXPECT_FALSE(parse_log_format(bad).has_value()) << bad;
    }
}

TEST(ConfigEnums, RoutingModeRoundTrip) {
    for (auto m : {routing_mode::primary, routing_mode::standby, routing_mode::automatic}) {
        EXPECT_EQ(parse_routing_mode(to_string(m)), m);
    }
    EXPECT_EQ(to_string(routing_mode::primary), "primary");
    EXPECT_EQ(to_string(routing_mode::standby), "standby");
    EXPECT_EQ(to_string(routing_mode::automatic), "auto");
    for (std::string_view bad : {"", "automatic", "Auto", "replica", "primary ", "read"}) {
        EXPECT_FALSE(parse_routing_mode(bad).has_value()) << bad;
    }
}

TEST(ConfigEnums, PrimaryReadsRoundTrip) {
    for (auto p : {primary_reads::never, primary_reads::fallback, primary_reads::always}) {
        EXPECT_EQ(parse_primary_reads(to_string(p)), p);
    }
    EXPECT_EQ(to_string(primary_reads::never), "never");
    EXPECT_EQ(to_string(primary_reads::fallback), "fallback");
    EXPECT_EQ(to_string(primary_reads::always), "always");
    for (std::string_view bad : {"", "Never", "fall_back", "true", "no"}) {
        EXPECT_FALSE(parse_primary_reads(bad).has_value()) << bad;
    }
}

TEST(ConfigEnums, BalancePolicyRoundTrip) {
    for (auto b : {balance_policy::least_outstanding, balance_policy::round_robin,
                   balance_policy::weighted}) {
        EXPECT_EQ(parse_balance_policy(to_string(b)), b);
    }
    EXPECT_EQ(to_string(balance_policy::least_outstanding), "least_outstanding");
    EXPECT_EQ(to_string(balance_policy::round_robin), "round_robin");
    EXPECT_EQ(to_string(balance_policy::weighted), "weighted");
    for (std::string_view bad : {"", "round-robin", "least-outstanding", "Weighted", "random"}) {
        EXPECT_FALSE(parse_balance_policy(bad).has_value()) << bad;
    }
}

TEST(ConfigEnums, PoolModeRoundTrip) {
    for (auto m : {pool_mode::session, pool_mode::transaction}) {
        EXPECT_EQ(parse_pool_mode(to_string(m)), m);
    }
    EXPECT_EQ(to_string(pool_mode::session), "session");
    EXPECT_EQ(to_string(pool_mode::transaction), "transaction");
    for (std::string_view bad : {"", "statement", "Session", "txn", "transaction "}) {
        EXPECT_FALSE(parse_pool_mode(bad).has_value()) << bad;
    }
}

// ---------------------------------------------------------------------------------------
// Per-database overrides: config::routing_for, pool_mode_for, pool_size_for

TEST(ConfigDatabases, HelpersUseTheOverrideElseTheGlobalValue) {
    const config_result r = parse(with_databases(R"(
[pool]
pool_mode = "session"
default_pool_size = 30
[routing]
mode = "standby"
[databases.reporting]
routing = "auto"
pool_size = 5
[databases.billing]
routing = "primary"
pool_mode = "transaction"
[databases.plain]
)"));
    ASSERT_TRUE(r.ok()) << r.error;
    const config& c = *r.value;
    ASSERT_EQ(c.databases.size(), 3U);

    EXPECT_EQ(c.routing_for("reporting"), routing_mode::automatic);
    EXPECT_EQ(c.pool_mode_for("reporting"), pool_mode::session);  // not overridden
    EXPECT_EQ(c.pool_size_for("reporting"), 5U);

    EXPECT_EQ(c.routing_for("billing"), routing_mode::primary);
    EXPECT_EQ(c.pool_mode_for("billing"), pool_mode::transaction);
    EXPECT_EQ(c.pool_size_for("billing"), 30U);  // not overridden

    for (std::string_view global : {"plain", "other", "", "Reporting", "reporting "}) {
        EXPECT_EQ(c.routing_for(global), routing_mode::standby) << global;
        EXPECT_EQ(c.pool_mode_for(global), pool_mode::session) << global;
        EXPECT_EQ(c.pool_size_for(global), 30U) << global;
    }
}

TEST(ConfigDatabases, HelpersOnAConfigBuiltInCode) {
    config c;
    c.databases = {database("a", routing_mode::primary, std::nullopt, std::nullopt),
                   database("b", std::nullopt, pool_mode::session, 3)};
    EXPECT_EQ(c.routing_for("a"), routing_mode::primary);
    EXPECT_EQ(c.pool_mode_for("a"), pool_mode::transaction);
    EXPECT_EQ(c.pool_size_for("a"), 20U);
    EXPECT_EQ(c.routing_for("b"), routing_mode::automatic);
    EXPECT_EQ(c.pool_mode_for("b"), pool_mode::session);
    EXPECT_EQ(c.pool_size_for("b"), 3U);
    c.routing.mode = routing_mode::standby;
    c.pool.mode = pool_mode::session;
    c.pool.size = 9;
    EXPECT_EQ(c.routing_for("b"), routing_mode::standby);
    EXPECT_EQ(c.pool_mode_for("a"), pool_mode::session);
    EXPECT_EQ(c.pool_size_for("a"), 9U);
    EXPECT_EQ(c.pool_size_for("b"), 3U);
}

// ---------------------------------------------------------------------------------------
// describe()

TEST(ConfigDescribe, OneLinePerSettingInFileOrder) {
    config c;
    c.workers = 4;
    c.max_client_conn = 200;
    c.client_login_timeout = 2500ms;
    c.client_idle_timeout = 0ms;
    c.server_connect_timeout = 250ms;
    c.level = log_level::warning;
    c.log_output = log_format::json;
    c.listen_address = "::";
    c.listen_port = 7432;
    c.auth = auth_method::md5;
    c.users_file = "/etc/pgrelay/my \"users\".txt";
    c.health.interval = 100ms;
    c.health.connect_timeout = 1500ms;
    c.health.query_timeout = 3s;
    c.health.rise = 1;
    c.health.fall = 10;
    c.health.max_lag_bytes = 1024;
    c.health.max_lag = 250ms;
    c.health.user = "pgrelay health";
    c.health.password = "hunter2";
    c.health.dbname = "monitoring";
    c.pool.mode = pool_mode::session;
    c.pool.size = 40;
    c.pool.min_size = 2;
    c.pool.server_idle_timeout = 0ms;
    c.pool.server_lifetime = 1800500ms;
    c.pool.query_wait_timeout = 15s;
    c.pool.primary_wait_timeout = 250ms;
    c.routing.mode = routing_mode::standby;
    c.routing.primary_reads_policy = primary_reads::never;
    c.routing.balance = balance_policy::round_robin;
    c.routing.writing_functions = {"audit.log_event", "f$1"};
    c.routing.retry_recovery_conflicts = false;
    c.databases = {database("reporting", routing_mode::automatic, pool_mode::transaction, 5),
                   database("my db", std::nullopt, std::nullopt, 7),
                   database("quiet", std::nullopt, std::nullopt, std::nullopt),
                   database("billing", routing_mode::primary, std::nullopt, std::nullopt)};
    c.nodes = {node("pg1", "db1", 5432), node("pg2", "db2.example", 5433, 1073741824, 30s, 250)};
    EXPECT_EQ(describe(c),
              "general.workers = 4\n"
              "general.max_client_conn = 200\n"
              "general.client_login_timeout = 2.5\n"
              "general.client_idle_timeout = 0\n"
              "general.server_connect_timeout = 0.25\n"
              "general.log_level = \"warning\"\n"
              "general.shutdown_timeout = 30\n"
              "general.log_format = \"json\"\n"
              "listen.address = \"::\"\n"
              "listen.port = 7432\n"
              "listen.reuse_port = false\n"
              "admin.address = \"127.0.0.1\"\n"
              "admin.port = 0\n"
              "admin.users = []\n"
              "http.address = \"127.0.0.1\"\n"
              "http.port = 0\n"
              "http.ready_without_primary = false\n"
              "auth.method = \"md5\"\n"
              "auth.users_file = \"/etc/pgrelay/my \\\"users\\\".txt\"\n"
              "tls.client_tls = \"disable\"\n"
              "tls.server_tls = \"disable\"\n"
              "health.interval = 0.1\n"
              "health.connect_timeout = 1.5\n"
              "health.query_timeout = 3\n"
              "health.rise = 1\n"
              "health.fall = 10\n"
              "health.max_lag_bytes = 1024\n"
              "health.max_lag_ms = 250\n"
              "health.user = \"pgrelay health\"\n"
              "health.password = \"********\"\n"
              "health.dbname = \"monitoring\"\n"
              "pool.pool_mode = \"session\"\n"
              "pool.default_pool_size = 40\n"
              "pool.min_pool_size = 2\n"
              "pool.server_idle_timeout = 0\n"
              "pool.server_lifetime = 1800.5\n"
              "pool.query_wait_timeout = 15\n"
              "pool.primary_wait_timeout = 0.25\n"
              "pool.max_pinned_fraction = 0.5\n"
              "routing.mode = \"standby\"\n"
              "routing.primary_reads = \"never\"\n"
              "routing.balance = \"round_robin\"\n"
              "routing.writing_functions = [\"audit.log_event\", \"f$1\"]\n"
              "routing.retry_recovery_conflicts = false\n"
              "databases.reporting.routing = \"auto\"\n"
              "databases.reporting.pool_mode = \"transaction\"\n"
              "databases.reporting.pool_size = 5\n"
              "databases.\"my db\".pool_size = 7\n"
              "databases.billing.routing = \"primary\"\n"
              "nodes[0].name = \"pg1\"\n"
              "nodes[0].host = \"db1\"\n"
              "nodes[0].port = 5432\n"
              "nodes[0].weight = 1\n"
              "nodes[1].name = \"pg2\"\n"
              "nodes[1].host = \"db2.example\"\n"
              "nodes[1].port = 5433\n"
              "nodes[1].weight = 250\n"
              "nodes[1].max_lag_bytes = 1073741824\n"
              "nodes[1].max_lag_ms = 30000\n");
}

TEST(ConfigDescribe, DefaultsOfAMinimalFile) {
    const config_result r = parse(required_keys);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(describe(*r.value), "general.workers = " + std::to_string(default_workers()) +
                                      "\n"
                                      "general.max_client_conn = 1000\n"
                                      "general.client_login_timeout = 60\n"
                                      "general.client_idle_timeout = 0\n"
                                      "general.server_connect_timeout = 5\n"
                                      "general.log_level = \"info\"\n"
                                      "general.shutdown_timeout = 30\n"
                                      "general.log_format = \"logfmt\"\n"
                                      "listen.address = \"127.0.0.1\"\n"
                                      "listen.port = 6432\n"
                                      "listen.reuse_port = false\n"
                                      "admin.address = \"127.0.0.1\"\n"
                                      "admin.port = 0\n"
                                      "admin.users = []\n"
                                      "http.address = \"127.0.0.1\"\n"
                                      "http.port = 0\n"
                                      "http.ready_without_primary = false\n"
                                      "auth.method = \"scram-sha-256\"\n"
                                      "auth.users_file = \"/etc/pgrelay/users.txt\"\n"
                                      "tls.client_tls = \"disable\"\n"
                                      "tls.server_tls = \"disable\"\n"
                                      "health.interval = 1\n"
                                      "health.connect_timeout = 2\n"
                                      "health.query_timeout = 2\n"
                                      "health.rise = 2\n"
                                      "health.fall = 3\n"
                                      "health.max_lag_bytes = 16777216\n"
                                      "health.max_lag_ms = 10000\n"
                                      "health.user = \"postgres\"\n"
                                      "health.dbname = \"postgres\"\n"
                                      "pool.pool_mode = \"transaction\"\n"
                                      "pool.default_pool_size = 20\n"
                                      "pool.min_pool_size = 0\n"
                                      "pool.server_idle_timeout = 600\n"
                                      "pool.server_lifetime = 3600\n"
                                      "pool.query_wait_timeout = 120\n"
                                      "pool.primary_wait_timeout = 30\n"
                                      "pool.max_pinned_fraction = 0.5\n"
                                      "routing.mode = \"auto\"\n"
                                      "routing.primary_reads = \"fallback\"\n"
                                      "routing.balance = \"least_outstanding\"\n"
                                      "routing.writing_functions = []\n"
                                      "routing.retry_recovery_conflicts = true\n"
                                      "nodes[0].name = \"pg1\"\n"
                                      "nodes[0].host = \"db1\"\n"
                                      "nodes[0].port = 5432\n"
                                      "nodes[0].weight = 1\n");
}

// health.password is a secret: describe() shows that one is set, never what it is.
TEST(ConfigDescribe, PasswordIsNeverPrinted) {
    const config_result r = parse(with_health("password = \"Tr0ub4dor&3-xyzzy\""));
    ASSERT_TRUE(r.ok()) << r.error;
    ASSERT_EQ(r.value->health.password, "Tr0ub4dor&3-xyzzy");
    const std::string text = describe(*r.value);
    EXPECT_EQ(text.find("Tr0ub4dor"), std::string::npos) << text;
    EXPECT_EQ(text.find("xyzzy"), std::string::npos) << text;
    EXPECT_NE(text.find("health.password = \"********\"\n"), std::string::npos) << text;

    // Also when the password looks like something describe() prints anyway.
    config c = *r.value;
    for (const std::string password : {"postgres", "\"", "*", "pg1", "1", "\n"}) {
        c.health.password = password;
        const std::string masked = describe(c);
        EXPECT_NE(masked.find("health.password = \"********\"\n"), std::string::npos) << masked;
        EXPECT_EQ(masked.find("health.password = \"" + password + "\"\n"), std::string::npos)
            << masked;
    }
}

TEST(ConfigDescribe, UnsetPasswordAndOverridesAreLeftOut) {
    const config_result r = parse(required_keys);
    ASSERT_TRUE(r.ok()) << r.error;
    const std::string text = describe(*r.value);
    EXPECT_EQ(text.find("password"), std::string::npos) << text;
    EXPECT_EQ(text.find("nodes[0].max_lag"), std::string::npos) << text;
    EXPECT_EQ(text.find("databases"), std::string::npos) << text;
}

TEST(ConfigDescribe, DatabaseOverridesOnlyWhenSet) {
    const config_result r =
        parse(with_databases("[databases.a]\npool_size = "
                             "3\n[databases.b]\n[databases.\"c.d\"]\nrouting = \"standby\"\n"));
    ASSERT_TRUE(r.ok()) << r.error;
    const std::string text = describe(*r.value);
    const auto from = text.find("routing.retry_recovery_conflicts = true\n");
    ASSERT_NE(from, std::string::npos) << text;
    const auto to = text.find("nodes[0].name");
    EXPECT_EQ(text.substr(from, to - from),
              "routing.retry_recovery_conflicts = true\n"
              "databases.a.pool_size = 3\n"
              "databases.\"c.d\".routing = \"standby\"\n");
}

TEST(ConfigDescribe, OutputLoadsBackToTheSameConfig) {
    const config_result r = parse(with_nodes(
        "[health]\ninterval = 0.1\nmax_lag_bytes = \"1.5GB\"\nmax_lag_ms = 123\nuser = \"mon\"\n"
        "[pool]\npool_mode = \"session\"\ndefault_pool_size = 8\nmin_pool_size = 1\n"
        "query_wait_timeout = 0.5\nserver_lifetime = 0\n"
        "[routing]\nmode = \"primary\"\nbalance = \"weighted\"\nprimary_reads = \"always\"\n"
        "writing_functions = [\"s.f\", \"g\"]\nretry_recovery_conflicts = false\n"
        "[databases.\"odd name\"]\nrouting = \"standby\"\n[databases.app]\npool_mode = "
        "\"transaction\"\npool_size = 2\n"
        "[[nodes]]\nname = \"a\"\nhost = \"h1\"\nmax_lag_bytes = \"2MB\"\nweight = 7\n"
        "[[nodes]]\nname = \"b\"\nhost = \"h2\"\nmax_lag_ms = 0\nweight = 0\n"));
    ASSERT_TRUE(r.ok()) << r.error;
    // "nodes[i].key = v" is not TOML; rewrite those lines as [[nodes]] tables.
    std::string text;
    std::string current_node;
    const std::string described = describe(*r.value);
    size_t start = 0;
    while (start < described.size()) {
        const size_t end = described.find('\n', start);
        std::string line = described.substr(start, end - start);
        start = end + 1;
        if (line.rfind("nodes[", 0) == 0) {
            const std::string entry = line.substr(0, line.find(']') + 1);
            if (entry != current_node) text += "[[nodes]]\n";
            current_node = entry;
            line = line.substr(entry.size() + 1);
        }
        text += line + "\n";
    }
    const config_result again = parse(text);
    ASSERT_TRUE(again.ok()) << again.error << "\n" << text;
    EXPECT_EQ(*again.value, *r.value) << text;
}

TEST(ConfigDescribe, MillisecondPrecision) {
    config c;
    c.client_login_timeout = 1ms;
    c.client_idle_timeout = 10010ms;
    c.server_connect_timeout = 120000ms;
    const std::string text = describe(c);
    EXPECT_NE(text.find("general.client_login_timeout = 0.001\n"), std::string::npos) << text;
    EXPECT_NE(text.find("general.client_idle_timeout = 10.01\n"), std::string::npos) << text;
    EXPECT_NE(text.find("general.server_connect_timeout = 120\n"), std::string::npos) << text;
}

// ---------------------------------------------------------------------------------------
// load_config_file on real files

TEST(ConfigFile, ResolvesUsersFileAgainstTheConfigDirectory) {
    temp_dir dir;
    const fs::path file = dir.write("etc/pgrelay.toml", required_keys);
    const config_result r = load_config_file(file);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.value->users_file, (dir.path() / "etc" / "users.txt").lexically_normal());
    EXPECT_TRUE(r.value->users_file.is_absolute());
}

TEST(ConfigFile, RelativeConfigPathStillGivesAnAbsoluteUsersFile) {
    temp_dir dir;
    const fs::path file = dir.write("conf/pgrelay.toml", required_keys);
    const fs::path relative = fs::relative(file);
    ASSERT_TRUE(relative.is_relative());
    const config_result r = load_config_file(relative);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_TRUE(r.value->users_file.is_absolute()) << r.value->users_file;
    EXPECT_TRUE(fs::equivalent(r.value->users_file.parent_path(), dir.path() / "conf"));
    EXPECT_EQ(r.value->users_file.filename(), "users.txt");
}

TEST(ConfigFile, MissingFile) {
    temp_dir dir;
    const fs::path file = dir.path() / "nope.toml";
    const config_result r = load_config_file(file);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error, file.string() + ": cannot open: No such file or directory");
}

TEST(ConfigFile, Directory) {
    temp_dir dir;
    const config_result r = load_config_file(dir.path());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error, dir.path().string() + ": cannot read: is a directory");
}

TEST(ConfigFile, EveryErrorLineNamesTheFile) {
    temp_dir dir;
    const fs::path file =
        dir.write("pgrelay.toml", "[listen]\nport = 70000\nhost = \"x\"\n" + required_keys);
    const config_result r = load_config_file(file);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error, file.string() + ": listen.host: unknown key\n" + file.string() +
                           ": listen.port: must be an integer between 1 and 65535, got 70000");
}

TEST(ConfigFile, SyntaxErrorNamesFileLineAndColumn) {
    temp_dir dir;
    const fs::path file = dir.write("pgrelay.toml", "[general]\nworkers = \n");
    const config_result r = load_config_file(file);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error.rfind(file.string() + ": line 2, column 11: ", 0), 0U) << r.error;
}

TEST(ConfigFile, EmptyFileNeedsUsersFileAndNodes) {
    temp_dir dir;
    const fs::path file = dir.write("pgrelay.toml", "");
    const config_result r = load_config_file(file);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error, file.string() + ": auth.users_file: required key is missing\n" +
                           file.string() + ": nodes: at least one [[nodes]] entry is required");
}

// The packaged example must load, and must show the documented defaults.
TEST(ConfigFile, PackagedExampleLoadsWithDefaults) {
    const fs::path example =
        fs::path(__FILE__).parent_path() / "../../../packaging/pgrelay.example.toml";
    if (!fs::exists(example)) GTEST_SKIP() << "not found: " << example;
    const config_result r = load_config_file(example);
    ASSERT_TRUE(r.ok()) << r.error;
    const config& c = *r.value;
    const config defaults;
    EXPECT_EQ(c.workers, default_workers());
    EXPECT_EQ(c.max_client_conn, defaults.max_client_conn);
    EXPECT_EQ(c.client_login_timeout, defaults.client_login_timeout);
    EXPECT_EQ(c.client_idle_timeout, defaults.client_idle_timeout);
    EXPECT_EQ(c.server_connect_timeout, defaults.server_connect_timeout);
    EXPECT_EQ(c.level, defaults.level);
    EXPECT_EQ(c.log_output, defaults.log_output);
    EXPECT_EQ(c.listen_address, defaults.listen_address);
    EXPECT_EQ(c.listen_port, defaults.listen_port);
    EXPECT_EQ(c.auth, defaults.auth);
    EXPECT_EQ(c.users_file.filename(), "users.txt");
    EXPECT_EQ(c.health, defaults.health);
    EXPECT_EQ(c.pool, defaults.pool);
    EXPECT_EQ(c.routing, defaults.routing);
    EXPECT_EQ(c.databases, defaults.databases);
    EXPECT_EQ(c.admin, defaults.admin);
    EXPECT_EQ(c.http, defaults.http);
    EXPECT_GE(c.nodes.size(), 1U);
    for (const node_config& n : c.nodes) {
        EXPECT_FALSE(n.max_lag_bytes.has_value()) << n.name;
        EXPECT_FALSE(n.max_lag.has_value()) << n.name;
        EXPECT_EQ(n.weight, node_config{}.weight) << n.name;
    }
}

}  // namespace
}  // namespace pgrelay::proxy
