// Unit tests for proxy/config_env: every section's keys from PGRELAY_<SECTION>_<KEY>, the
// compact PGRELAY_NODES and PGRELAY_USERS forms, per-node and per-database variables, bad
// values whose errors name the variable, the environment overriding a file, variables that
// are no setting, and PGRELAY_USERS parsing.
#include "proxy/config_env.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace pgrelay::proxy {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Enough for a configuration without a file: one node and one user.
const environment minimal = {{"PGRELAY_NODES", "pg1:5432"}, {"PGRELAY_USERS", "alice:secret"}};

environment with(const environment& extra) {
    environment env = minimal;
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
}

effective_config from_env(const environment& env, std::string_view file_text = {}) {
    return parse_effective_config(file_text, "/etc/pgrelay", env, "/srv/app");
}

config loaded(const environment& env, std::string_view file_text = {}) {
    auto out = from_env(env, file_text);
    EXPECT_TRUE(out.result.ok()) << out.result.error;
    return out.result.value.value_or(config{});
}

std::string error_of(const environment& env, std::string_view file_text = {}) {
    auto out = from_env(env, file_text);
    EXPECT_FALSE(out.result.ok()) << "expected an error";
    return out.result.error;
}

TEST(config_env, minimal_environment_is_a_whole_configuration) {
    auto out = from_env(minimal);
    ASSERT_TRUE(out.result.ok()) << out.result.error;
    const config& cfg = *out.result.value;
    ASSERT_EQ(cfg.nodes.size(), 1U);
    EXPECT_EQ(cfg.nodes[0].name, "pg1");
    EXPECT_EQ(cfg.nodes[0].host, "pg1");
    EXPECT_EQ(cfg.nodes[0].port, 5432);
    EXPECT_TRUE(cfg.users_file.empty());
    ASSERT_TRUE(out.inline_users.has_value());
    EXPECT_EQ(*out.inline_users, "alice:secret");
    EXPECT_EQ(out.applied, (std::vector<std::string>{"PGRELAY_NODES", "PGRELAY_USERS"}));
    EXPECT_TRUE(out.ignored.empty());
    // Everything else keeps its default.
    config defaults = cfg;
    defaults.listen_port = 6432;
    EXPECT_EQ(cfg.listen_port, 6432);
    EXPECT_EQ(cfg.listen_address, "127.0.0.1");
    EXPECT_EQ(cfg.pool.size, 20U);
}

TEST(config_env, http_section) {
    auto cfg = loaded(with({{"PGRELAY_HTTP_ADDRESS", "0.0.0.0"},
                            {"PGRELAY_HTTP_PORT", "9187"},
                            {"PGRELAY_HTTP_READY_WITHOUT_PRIMARY", "yes"}}));
    EXPECT_EQ(cfg.http.address, "0.0.0.0");
    EXPECT_EQ(cfg.http.port, 9187);
    EXPECT_TRUE(cfg.http.ready_without_primary);
    EXPECT_FALSE(
        loaded(with({{"PGRELAY_HTTP_READY_WITHOUT_PRIMARY", "off"}})).http.ready_without_primary);
}

TEST(config_env, http_section_errors_name_the_variable) {
    EXPECT_EQ(error_of(with({{"PGRELAY_HTTP_PORT", "70000"}})),
              "PGRELAY_HTTP_PORT (http.port): must be an integer between 0 and 65535, got 70000");
    EXPECT_EQ(error_of(with({{"PGRELAY_HTTP_ADDRESS", "localhost"}})),
              "PGRELAY_HTTP_ADDRESS (http.address): must be an IPv4 or IPv6 address such as "
              "127.0.0.1, got \"localhost\"");
    EXPECT_EQ(error_of(with({{"PGRELAY_HTTP_PATH", "/x"}})),
              "PGRELAY_HTTP_PATH (http.path): unknown key");
}

TEST(config_env, general_section) {
    auto cfg = loaded(with({{"PGRELAY_GENERAL_WORKERS", "3"},
                            {"PGRELAY_GENERAL_MAX_CLIENT_CONN", "5000"},
                            {"PGRELAY_GENERAL_CLIENT_LOGIN_TIMEOUT", "2.5"},
                            {"PGRELAY_GENERAL_CLIENT_IDLE_TIMEOUT", "300"},
                            {"PGRELAY_GENERAL_SERVER_CONNECT_TIMEOUT", "0.25"},
                            {"PGRELAY_GENERAL_LOG_LEVEL", "debug"}}));
    EXPECT_EQ(cfg.workers, 3U);
    EXPECT_EQ(cfg.max_client_conn, 5000U);
    EXPECT_EQ(cfg.client_login_timeout, 2500ms);
    EXPECT_EQ(cfg.client_idle_timeout, 300s);
    EXPECT_EQ(cfg.server_connect_timeout, 250ms);
    EXPECT_EQ(cfg.level, log_level::debug);
}

TEST(config_env, listen_section) {
    auto cfg =
        loaded(with({{"PGRELAY_LISTEN_ADDRESS", "0.0.0.0"}, {"PGRELAY_LISTEN_PORT", "7000"}}));
    EXPECT_EQ(cfg.listen_address, "0.0.0.0");
    EXPECT_EQ(cfg.listen_port, 7000);
    // Blanks around a number are not part of it.
    EXPECT_EQ(loaded(with({{"PGRELAY_LISTEN_PORT", " 7001 "}})).listen_port, 7001);
}

TEST(config_env, auth_section_and_users_file) {
    auto env = environment{{"PGRELAY_NODES", "pg1"},
                           {"PGRELAY_AUTH_METHOD", "md5"},
                           {"PGRELAY_AUTH_USERS_FILE", "secrets/users.txt"}};
    auto out = from_env(env);
    ASSERT_TRUE(out.result.ok()) << out.result.error;
    EXPECT_EQ(out.result.value->auth, auth_method::md5);
    // Relative to the working directory, not to a file's directory.
    EXPECT_EQ(out.result.value->users_file, fs::path("/srv/app/secrets/users.txt"));
    EXPECT_FALSE(out.inline_users.has_value());

    auto alias = loaded({{"PGRELAY_NODES", "pg1"}, {"PGRELAY_USERS_FILE", "/run/secrets/users"}});
    EXPECT_EQ(alias.users_file, fs::path("/run/secrets/users"));

    EXPECT_EQ(error_of({{"PGRELAY_NODES", "pg1"},
                        {"PGRELAY_USERS_FILE", "/a"},
                        {"PGRELAY_AUTH_USERS_FILE", "/b"}}),
              "PGRELAY_USERS_FILE: sets auth.users_file as PGRELAY_AUTH_USERS_FILE does; set "
              "only one");
    EXPECT_EQ(
        error_of(
            {{"PGRELAY_NODES", "pg1"}, {"PGRELAY_USERS", "alice:x"}, {"PGRELAY_USERS_FILE", "/a"}}),
        "PGRELAY_USERS_FILE: set either PGRELAY_USERS or a users file, not both");
    // Without users from anywhere the file's rule applies.
    EXPECT_EQ(error_of({{"PGRELAY_NODES", "pg1"}}), "auth.users_file: required key is missing");
}

TEST(config_env, health_section) {
    auto cfg = loaded(with({{"PGRELAY_HEALTH_INTERVAL", "0.5"},
                            {"PGRELAY_HEALTH_CONNECT_TIMEOUT", "3"},
                            {"PGRELAY_HEALTH_QUERY_TIMEOUT", "4"},
                            {"PGRELAY_HEALTH_RISE", "5"},
                            {"PGRELAY_HEALTH_FALL", "6"},
                            {"PGRELAY_HEALTH_MAX_LAG_BYTES", "32MB"},
                            {"PGRELAY_HEALTH_MAX_LAG_MS", "2500"},
                            {"PGRELAY_HEALTH_USER", "monitor"},
                            {"PGRELAY_HEALTH_PASSWORD", "12345"},
                            {"PGRELAY_HEALTH_DBNAME", "ops"}}));
    EXPECT_EQ(cfg.health.interval, 500ms);
    EXPECT_EQ(cfg.health.connect_timeout, 3s);
    EXPECT_EQ(cfg.health.query_timeout, 4s);
    EXPECT_EQ(cfg.health.rise, 5);
    EXPECT_EQ(cfg.health.fall, 6);
    EXPECT_EQ(cfg.health.max_lag_bytes, 32ULL * 1024 * 1024);
    EXPECT_EQ(cfg.health.max_lag, 2500ms);
    EXPECT_EQ(cfg.health.user, "monitor");
    EXPECT_EQ(cfg.health.password, "12345");  // a string key stays a string, even all digits
    EXPECT_EQ(cfg.health.dbname, "ops");
    EXPECT_EQ(loaded(with({{"PGRELAY_HEALTH_MAX_LAG_BYTES", "1024"}})).health.max_lag_bytes, 1024U);
}

TEST(config_env, pool_section) {
    auto cfg = loaded(with({{"PGRELAY_POOL_POOL_MODE", "session"},
                            {"PGRELAY_POOL_DEFAULT_POOL_SIZE", "40"},
                            {"PGRELAY_POOL_MIN_POOL_SIZE", "4"},
                            {"PGRELAY_POOL_SERVER_IDLE_TIMEOUT", "60"},
                            {"PGRELAY_POOL_SERVER_LIFETIME", "0"},
                            {"PGRELAY_POOL_QUERY_WAIT_TIMEOUT", "1.5"},
                            {"PGRELAY_POOL_PRIMARY_WAIT_TIMEOUT", "10"}}));
    EXPECT_EQ(cfg.pool.mode, pool_mode::session);
    EXPECT_EQ(cfg.pool.size, 40U);
    EXPECT_EQ(cfg.pool.min_size, 4U);
    EXPECT_EQ(cfg.pool.server_idle_timeout, 60s);
    EXPECT_EQ(cfg.pool.server_lifetime, 0ms);
    EXPECT_EQ(cfg.pool.query_wait_timeout, 1500ms);
    EXPECT_EQ(cfg.pool.primary_wait_timeout, 10s);
}

TEST(config_env, routing_section) {
    auto cfg = loaded(with({{"PGRELAY_ROUTING_MODE", "primary"},
                            {"PGRELAY_ROUTING_PRIMARY_READS", "never"},
                            {"PGRELAY_ROUTING_BALANCE", "weighted"},
                            {"PGRELAY_ROUTING_WRITING_FUNCTIONS", " audit_log, billing.charge ,"},
                            {"PGRELAY_ROUTING_RETRY_RECOVERY_CONFLICTS", "false"}}));
    EXPECT_EQ(cfg.routing.mode, routing_mode::primary);
    EXPECT_EQ(cfg.routing.primary_reads_policy, primary_reads::never);
    EXPECT_EQ(cfg.routing.balance, balance_policy::weighted);
    EXPECT_EQ(cfg.routing.writing_functions,
              (std::vector<std::string>{"audit_log", "billing.charge"}));
    EXPECT_FALSE(cfg.routing.retry_recovery_conflicts);
}

TEST(config_env, boolean_spellings) {
    for (const char* yes : {"true", "TRUE", "yes", "On", "1"}) {
        auto cfg = loaded(with({{"PGRELAY_ROUTING_RETRY_RECOVERY_CONFLICTS", "false"}}),
                          "[routing]\nretry_recovery_conflicts = false\n");
        EXPECT_FALSE(cfg.routing.retry_recovery_conflicts);
        cfg = loaded(with({{"PGRELAY_ROUTING_RETRY_RECOVERY_CONFLICTS", yes}}),
                     "[routing]\nretry_recovery_conflicts = false\n");
        EXPECT_TRUE(cfg.routing.retry_recovery_conflicts) << yes;
    }
    for (const char* no : {"false", "False", "no", "OFF", "0"}) {
        auto cfg = loaded(with({{"PGRELAY_ROUTING_RETRY_RECOVERY_CONFLICTS", no}}));
        EXPECT_FALSE(cfg.routing.retry_recovery_conflicts) << no;
    }
}

TEST(config_env, databases_section) {
    auto cfg = loaded(with({{"PGRELAY_DATABASES_REPORTING_ROUTING", "standby"},
                            {"PGRELAY_DATABASES_REPORTING_POOL_SIZE", "50"},
                            {"PGRELAY_DATABASES_MY_APP_POOL_MODE", "session"}}));
    ASSERT_EQ(cfg.databases.size(), 2U);
    EXPECT_EQ(cfg.routing_for("reporting"), routing_mode::standby);
    EXPECT_EQ(cfg.pool_size_for("reporting"), 50U);
    EXPECT_EQ(cfg.pool_mode_for("my_app"), pool_mode::session);
    EXPECT_EQ(cfg.pool_mode_for("reporting"), pool_mode::transaction);

    // Merged into the file's table for the same database.
    auto merged = loaded(with({{"PGRELAY_DATABASES_REPORTING_POOL_SIZE", "70"}}),
                         "[databases.reporting]\nrouting = \"standby\"\npool_size = 10\n");
    EXPECT_EQ(merged.routing_for("reporting"), routing_mode::standby);
    EXPECT_EQ(merged.pool_size_for("reporting"), 70U);

    EXPECT_EQ(error_of(with({{"PGRELAY_DATABASES_REPORTING_SIZE", "5"}})),
              "PGRELAY_DATABASES_REPORTING_SIZE: expected PGRELAY_DATABASES_<NAME>_<KEY> with KEY "
              "one of ROUTING, POOL_MODE, POOL_SIZE");
    EXPECT_EQ(error_of(with({{"PGRELAY_DATABASES_REPORTING_POOL_SIZE", "0"}})),
              "PGRELAY_DATABASES_REPORTING_POOL_SIZE (databases.reporting.pool_size): must be an "
              "integer between 1 and 100000, got 0");
}

TEST(config_env, compact_nodes) {
    auto cfg = loaded(with({{"PGRELAY_NODES", "pg1:5432, pg2:5433 ,pg3,"}}));
    ASSERT_EQ(cfg.nodes.size(), 3U);
    EXPECT_EQ(cfg.nodes[0], (node_config{.name = "pg1", .host = "pg1", .port = 5432}));
    EXPECT_EQ(cfg.nodes[1], (node_config{.name = "pg2", .host = "pg2", .port = 5433}));
    EXPECT_EQ(cfg.nodes[2], (node_config{.name = "pg3", .host = "pg3", .port = 5432}));
}

TEST(config_env, compact_nodes_sharing_a_host_are_named_host_port) {
    auto cfg = loaded(with({{"PGRELAY_NODES", "127.0.0.1:5432,127.0.0.1:5433,db.example.com"}}));
    ASSERT_EQ(cfg.nodes.size(), 3U);
    EXPECT_EQ(cfg.nodes[0].name, "127.0.0.1_5432");
    EXPECT_EQ(cfg.nodes[1].name, "127.0.0.1_5433");
    EXPECT_EQ(cfg.nodes[1].port, 5433);
    EXPECT_EQ(cfg.nodes[2].name, "db.example.com");
}

TEST(config_env, compact_nodes_with_names_and_ipv6) {
    auto cfg =
        loaded(with({{"PGRELAY_NODES", "primary=10.0.0.1:5432,replica=[fd00::2]:6000,::1"}}));
    ASSERT_EQ(cfg.nodes.size(), 3U);
    EXPECT_EQ(cfg.nodes[0], (node_config{.name = "primary", .host = "10.0.0.1", .port = 5432}));
    EXPECT_EQ(cfg.nodes[1], (node_config{.name = "replica", .host = "fd00::2", .port = 6000}));
    EXPECT_EQ(cfg.nodes[2], (node_config{.name = "__1", .host = "::1", .port = 5432}));
}

TEST(config_env, compact_nodes_replace_the_files_nodes) {
    auto cfg = loaded(with({{"PGRELAY_NODES", "a:1,b:2"}}),
                      "[[nodes]]\nname = \"old\"\nhost = \"old-host\"\n");
    ASSERT_EQ(cfg.nodes.size(), 2U);
    EXPECT_EQ(cfg.nodes[0].name, "a");
    EXPECT_EQ(cfg.nodes[1].name, "b");
}

TEST(config_env, bad_compact_nodes_name_the_variable) {
    EXPECT_EQ(error_of(with({{"PGRELAY_NODES", "pg1:abc"}})),
              "PGRELAY_NODES (nodes[0].port): must be an integer between 1 and 65535, got string "
              "\"abc\"");
    EXPECT_EQ(error_of(with({{"PGRELAY_NODES", "pg1:5432,pg2:70000"}})),
              "PGRELAY_NODES (nodes[1].port): must be an integer between 1 and 65535, got 70000");
    EXPECT_EQ(error_of(with({{"PGRELAY_NODES", "x=pg1,x=pg2"}})),
              "PGRELAY_NODES (nodes[1].name): duplicate node name \"x\"");
    EXPECT_EQ(error_of(with({{"PGRELAY_NODES", "bad name=pg1"}})),
              "PGRELAY_NODES (nodes[0].name): may contain only letters, digits, '_', '-' and '.', "
              "got \"bad name\"");
    EXPECT_EQ(error_of(with({{"PGRELAY_NODES", "[::1:5432"}})),
              "PGRELAY_NODES: entry 1 \"[::1:5432\": expected [address] or [address]:port\n"
              "PGRELAY_NODES (nodes): at least one [[nodes]] entry is required");
    EXPECT_EQ(error_of(with({{"PGRELAY_NODES", "pg1:5432,pg1:5432"}})),
              "PGRELAY_NODES (nodes[1].name): duplicate node name \"pg1_5432\"\n"
              "PGRELAY_NODES (nodes[1]): same host and port as node \"pg1_5432\"");
}

TEST(config_env, per_node_variables) {
    auto cfg = loaded(with({{"PGRELAY_NODES", "pg-1.eu:5432,pg2:5433"},
                            {"PGRELAY_NODES_PG_1_EU_WEIGHT", "3"},
                            {"PGRELAY_NODES_PG2_MAX_LAG_BYTES", "1GB"},
                            {"PGRELAY_NODES_PG2_MAX_LAG_MS", "60000"},
                            {"PGRELAY_NODES_PG2_PORT", "6000"},
                            {"PGRELAY_NODES_PG2_HOST", "10.0.0.2"}}));
    ASSERT_EQ(cfg.nodes.size(), 2U);
    EXPECT_EQ(cfg.nodes[0].weight, 3U);
    EXPECT_EQ(cfg.nodes[1].max_lag_bytes, 1ULL << 30);
    EXPECT_EQ(cfg.nodes[1].max_lag, 60000ms);
    EXPECT_EQ(cfg.nodes[1].port, 6000);
    EXPECT_EQ(cfg.nodes[1].host, "10.0.0.2");
    EXPECT_EQ(cfg.nodes[1].name, "pg2");

    // Also on the file's nodes.
    auto file = loaded({{"PGRELAY_USERS", "a:b"}, {"PGRELAY_NODES_PG1_WEIGHT", "7"}},
                       "[[nodes]]\nname = \"pg1\"\nhost = \"h\"\n");
    EXPECT_EQ(file.nodes[0].weight, 7U);

    EXPECT_EQ(error_of(with({{"PGRELAY_NODES_PG9_WEIGHT", "1"}})),
              "PGRELAY_NODES_PG9_WEIGHT: no node named like \"PG9\" (nodes: pg1)");
    EXPECT_EQ(error_of(with({{"PGRELAY_NODES_PG1_COLOR", "1"}})),
              "PGRELAY_NODES_PG1_COLOR: expected PGRELAY_NODES_<NAME>_<KEY> with KEY one of "
              "HOST, PORT, WEIGHT, MAX_LAG_BYTES, MAX_LAG_MS");
    EXPECT_EQ(error_of(with({{"PGRELAY_NODES_PG1_WEIGHT", "heavy"}})),
              "PGRELAY_NODES_PG1_WEIGHT (nodes[0].weight): must be an integer between 0 and 1000, "
              "got string \"heavy\"");
    EXPECT_EQ(error_of(with({{"PGRELAY_NODES", "a-b,a.b"}, {"PGRELAY_NODES_A_B_WEIGHT", "1"}})),
              "PGRELAY_NODES_A_B_WEIGHT: more than one node has a name that reads A_B in a "
              "variable name");
}

TEST(config_env, bad_values_name_the_variable) {
    EXPECT_EQ(error_of(with({{"PGRELAY_LISTEN_PORT", "abc"}})),
              "PGRELAY_LISTEN_PORT (listen.port): must be an integer between 1 and 65535, got "
              "string \"abc\"");
    EXPECT_EQ(error_of(with({{"PGRELAY_LISTEN_PORT", "70000"}})),
              "PGRELAY_LISTEN_PORT (listen.port): must be an integer between 1 and 65535, got "
              "70000");
    EXPECT_EQ(error_of(with({{"PGRELAY_LISTEN_PORT", "-1"}})),
              "PGRELAY_LISTEN_PORT (listen.port): must be an integer between 1 and 65535, got -1");
    EXPECT_EQ(error_of(with({{"PGRELAY_LISTEN_ADDRESS", "localhost"}})),
              "PGRELAY_LISTEN_ADDRESS (listen.address): must be an IPv4 or IPv6 address such as "
              "127.0.0.1, 0.0.0.0 or ::, got \"localhost\"");
    EXPECT_EQ(error_of(with({{"PGRELAY_LISTEN_PROT", "1"}})),
              "PGRELAY_LISTEN_PROT (listen.prot): unknown key");
    EXPECT_EQ(error_of(with({{"PGRELAY_POOL_POOL_MODE", "statement"}})),
              "PGRELAY_POOL_POOL_MODE (pool.pool_mode): unknown value \"statement\" (expected "
              "session or transaction)");
    EXPECT_EQ(error_of(with({{"PGRELAY_ROUTING_RETRY_RECOVERY_CONFLICTS", "maybe"}})),
              "PGRELAY_ROUTING_RETRY_RECOVERY_CONFLICTS (routing.retry_recovery_conflicts): must "
              "be a boolean (true or false), got string \"maybe\"");
    EXPECT_EQ(error_of(with({{"PGRELAY_HEALTH_INTERVAL", "1s"}})),
              "PGRELAY_HEALTH_INTERVAL (health.interval): must be a number of seconds greater than "
              "0 and at most 2592000, got string \"1s\"");
    EXPECT_EQ(
        error_of(with({{"PGRELAY_ROUTING_WRITING_FUNCTIONS", "ok,bad(x)"}})),
        "PGRELAY_ROUTING_WRITING_FUNCTIONS (routing.writing_functions[1]): must be a function "
        "name such as \"f\" or \"schema.f\" (letters, digits, '_' and '$', with at most one "
        "'.' between schema and name), got \"bad(x)\"");
    // All problems at once.
    EXPECT_EQ(error_of(with({{"PGRELAY_LISTEN_PORT", "0"}, {"PGRELAY_GENERAL_WORKERS", "x"}})),
              "PGRELAY_GENERAL_WORKERS (general.workers): must be an integer between 0 and 1024, "
              "got string \"x\"\n"
              "PGRELAY_LISTEN_PORT (listen.port): must be an integer between 1 and 65535, got 0");
}

TEST(config_env, environment_overrides_the_file) {
    const std::string file = R"(
[listen]
port = 7000
address = "0.0.0.0"
[auth]
users_file = "users.txt"
[pool]
default_pool_size = 5
[[nodes]]
name = "pg1"
host = "db1"
)";
    auto out =
        from_env({{"PGRELAY_LISTEN_PORT", "6500"}, {"PGRELAY_POOL_DEFAULT_POOL_SIZE", "9"}}, file);
    ASSERT_TRUE(out.result.ok()) << out.result.error;
    EXPECT_EQ(out.result.value->listen_port, 6500);
    EXPECT_EQ(out.result.value->listen_address, "0.0.0.0");  // the file's, not overridden
    EXPECT_EQ(out.result.value->pool.size, 9U);
    EXPECT_EQ(out.result.value->users_file, fs::path("/etc/pgrelay/users.txt"));

    // PGRELAY_USERS replaces the file's users file.
    auto users = from_env({{"PGRELAY_USERS", "bob:pw"}}, file);
    ASSERT_TRUE(users.result.ok()) << users.result.error;
    EXPECT_TRUE(users.result.value->users_file.empty());
    EXPECT_EQ(users.inline_users, "bob:pw");

    // The file's own mistakes keep the file's key, next to the variable's.
    EXPECT_EQ(error_of({{"PGRELAY_LISTEN_PORT", "0"}}, file + "[general]\nworkers = -1\n"),
              "general.workers: must be an integer between 0 and 1024, got -1\n"
              "PGRELAY_LISTEN_PORT (listen.port): must be an integer between 1 and 65535, got 0");
    // A file's syntax error stops everything, as without the environment.
    EXPECT_EQ(error_of(minimal, "[listen\n"),
              "line 1, column 8: Error while parsing table header: expected ']', saw '\\n'");
}

TEST(config_env, load_effective_config_prefixes_file_errors_only) {
    const fs::path dir =
        fs::temp_directory_path() / ("pgrelay-config-env-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path file = dir / "pgrelay.toml";
    std::ofstream(file) << "[general]\nworkers = -1\n";
    auto out = load_effective_config(file, with({{"PGRELAY_LISTEN_PORT", "x"}}), "/");
    EXPECT_EQ(out.result.error,
              file.string() + ": general.workers: must be an integer between 0 and 1024, got -1\n" +
                  "PGRELAY_LISTEN_PORT (listen.port): must be an integer between 1 and 65535, got "
                  "string \"x\"");

    std::ofstream(file) << "[auth]\nusers_file = \"u.txt\"\n";
    auto ok = load_effective_config(file, {{"PGRELAY_NODES", "pg1"}}, "/");
    ASSERT_TRUE(ok.result.ok()) << ok.result.error;
    EXPECT_EQ(ok.result.value->users_file, dir / "u.txt");  // the file's relative path: its dir

    auto env_only = load_effective_config({}, minimal, "/");
    EXPECT_TRUE(env_only.result.ok()) << env_only.result.error;
    auto missing = load_effective_config(dir / "none.toml", minimal, "/");
    EXPECT_NE(missing.result.error.find((dir / "none.toml").string()), std::string::npos)
        << missing.result.error;
    fs::remove_all(dir);
}

TEST(config_env, empty_values_are_unset) {
    auto cfg = loaded(with({{"PGRELAY_LISTEN_PORT", ""}, {"PGRELAY_HEALTH_PASSWORD", ""}}));
    EXPECT_EQ(cfg.listen_port, 6432);
    EXPECT_TRUE(cfg.health.password.empty());
    EXPECT_FALSE(has_settings({{"PGRELAY_NODES", ""}}));
}

TEST(config_env, later_entries_win) {
    EXPECT_EQ(
        loaded(with({{"PGRELAY_LISTEN_PORT", "1"}, {"PGRELAY_LISTEN_PORT", "2"}})).listen_port, 2);
}

TEST(config_env, variables_that_are_no_setting_are_ignored) {
    auto out = from_env(with({{"PGRELAY_PORT", "1"},
                              {"PGRELAY_IT_DIRECT", "1"},
                              {"PGRELAY_ROUTING", "primary"},
                              {"PGRELAY_LISTEN_", "x"},
                              {"OTHER_LISTEN_PORT", "1"}}));
    ASSERT_TRUE(out.result.ok()) << out.result.error;
    EXPECT_EQ(out.ignored, (std::vector<std::string>{"PGRELAY_IT_DIRECT", "PGRELAY_LISTEN_",
                                                     "PGRELAY_PORT", "PGRELAY_ROUTING"}));
    EXPECT_EQ(out.result.value->routing.mode, routing_mode::automatic);
    EXPECT_FALSE(has_settings({{"PGRELAY_PORT", "1"}, {"PGRELAY_IT_DIRECT", "1"}}));
    EXPECT_TRUE(has_settings({{"PGRELAY_LISTEN_PORT", "1"}}));
    EXPECT_TRUE(has_settings({{"PGRELAY_USERS", "a:b"}}));
}

TEST(config_env, applied_lists_every_setting_variable) {
    auto out = from_env(with({{"PGRELAY_LISTEN_PORT", "7000"},
                              {"PGRELAY_DATABASES_X_ROUTING", "primary"},
                              {"PGRELAY_NODES_PG1_WEIGHT", "2"}}));
    ASSERT_TRUE(out.result.ok()) << out.result.error;
    EXPECT_EQ(out.applied, (std::vector<std::string>{"PGRELAY_DATABASES_X_ROUTING",
                                                     "PGRELAY_LISTEN_PORT", "PGRELAY_NODES",
                                                     "PGRELAY_NODES_PG1_WEIGHT", "PGRELAY_USERS"}));
}

TEST(config_env, describe_masks_a_password_from_the_environment) {
    auto cfg = loaded(with({{"PGRELAY_HEALTH_PASSWORD", "hunter2"}}));
    const std::string text = describe(cfg);
    EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
    EXPECT_NE(text.find("health.password = \"********\""), std::string::npos) << text;
    EXPECT_EQ(text.find("auth.users_file"), std::string::npos) << "no users file: " << text;
}

TEST(config_env, pgrelay_variables_reads_an_environment_block) {
    const char* block[] = {"PATH=/bin",       "PGRELAY_LISTEN_PORT=6432", "PGRELAY_USERS=a:b=c",
                           "PGRELAY_NOVALUE", "pgrelay_lower=1",          nullptr};
    EXPECT_EQ(pgrelay_variables(block),
              (environment{{"PGRELAY_LISTEN_PORT", "6432"}, {"PGRELAY_USERS", "a:b=c"}}));
    EXPECT_TRUE(pgrelay_variables(nullptr).empty());
}

// Every setting --check prints can be given back as a variable: describe() of a config that
// sets every key to a non-default value, turned into PGRELAY_* variables line by line, loads
// (with no file) into the same config. A key added to the file without its variable form
// (or with a type the environment does not convert) fails here.
TEST(config_env, every_key_round_trips_through_the_environment) {
    const std::string file = R"(
[general]
workers = 3
max_client_conn = 77
client_login_timeout = 2.5
client_idle_timeout = 30
server_connect_timeout = 4
log_level = "warning"
[listen]
address = "0.0.0.0"
port = 7001
[auth]
method = "md5"
users_file = "/run/users.txt"
[health]
interval = 0.25
connect_timeout = 3
query_timeout = 5
rise = 4
fall = 6
max_lag_bytes = 12345
max_lag_ms = 999
user = "monitor"
password = "pw"
dbname = "ops"
[pool]
pool_mode = "session"
default_pool_size = 9
min_pool_size = 2
server_idle_timeout = 11
server_lifetime = 0
query_wait_timeout = 13
primary_wait_timeout = 0.5
[routing]
mode = "standby"
primary_reads = "always"
balance = "round_robin"
writing_functions = ["f", "s.g"]
retry_recovery_conflicts = false
[admin]
address = "::1"
port = 7433
users = ["ops", "root"]
[http]
address = "0.0.0.0"
port = 9187
ready_without_primary = true
[tls]
client_tls = "allow"
client_tls_cert_file = "/etc/pgrelay/server.crt"
client_tls_key_file = "/etc/pgrelay/server.key"
client_tls_ca_file = "/etc/pgrelay/ca.crt"
server_tls = "verify-ca"
server_tls_ca_file = "/etc/pgrelay/server-ca.crt"
[databases.reporting]
routing = "primary"
pool_mode = "transaction"
pool_size = 5
[[nodes]]
name = "pg1"
host = "db1"
port = 5433
weight = 3
max_lag_bytes = 4096
max_lag_ms = 50
server_tls = "verify-full"
server_tls_ca_file = "/etc/pgrelay/pg1-ca.crt"
[[nodes]]
name = "pg-2"
host = "10.0.0.2"
)";
    auto from_file = parse_config(file, "/");
    ASSERT_TRUE(from_file.ok()) << from_file.error;
    const std::string described = describe(*from_file.value);

    environment env;
    std::map<std::string, std::map<std::string, std::string>> nodes;  // index -> key -> value
    std::istringstream lines(described);
    for (std::string line; std::getline(lines, line);) {
        const size_t eq = line.find(" = ");
        ASSERT_NE(eq, std::string::npos) << line;
        std::string key = line.substr(0, eq);
        std::string value = line.substr(eq + 3);
        if (value.front() == '"') value = value.substr(1, value.size() - 2);
        if (value.front() == '[') {  // ["f", "s.g"] -> f,s.g
            std::string list;
            for (char c : value.substr(1, value.size() - 2)) {
                if (c != '"' && c != ' ') list += c;
            }
            value = list;
        }
        if (key == "health.password") value = "pw";  // shown masked
        if (key.starts_with("nodes[")) {
            const size_t close = key.find(']');
            nodes[key.substr(6, close - 6)][key.substr(close + 2)] = value;
            continue;
        }
        std::string name = "PGRELAY_";
        for (char c : key)
            name += c == '.' ? '_' : static_cast<char>(std::toupper(c));
        env.emplace_back(name, value);
    }
    std::string compact;
    for (auto& [index, keys] : nodes) {
        compact +=
            (compact.empty() ? "" : ",") + keys["name"] + "=" + keys["host"] + ":" + keys["port"];
        std::string prefix = "PGRELAY_NODES_";
        for (char c : keys["name"])
            prefix += std::isalnum(c) ? static_cast<char>(std::toupper(c)) : '_';
        for (const auto& [key, value] : keys) {
            if (key == "name" || key == "host" || key == "port") continue;
            std::string upper_key;
            for (char c : key)
                upper_key += static_cast<char>(std::toupper(c));
            env.emplace_back(prefix + "_" + upper_key, value);
        }
    }
    env.emplace_back("PGRELAY_NODES", compact);

    auto out = parse_effective_config({}, "/", env, "/");
    ASSERT_TRUE(out.result.ok()) << out.result.error;
    EXPECT_EQ(describe(*out.result.value), described);
    EXPECT_EQ(*out.result.value, *from_file.value);
    EXPECT_TRUE(out.ignored.empty());
}

TEST(inline_users, entries_and_secret_kinds) {
    const std::string md5 = "md5" + std::string(32, 'a');
    const std::string scram =
        "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVka2V5c3RvcmVka2V5c3RvcmVrZXk=:c2VydmVya2V5";
    auto users =
        parse_inline_users("alice:secret, bob:" + md5 + ",\ncarol:" + scram + ",dave:pa:ss\"word,");
    ASSERT_TRUE(users.ok()) << users.error;
    ASSERT_EQ(users.value->size(), 4U);
    EXPECT_EQ(users.value->at("alice").secret, "secret");
    EXPECT_EQ(users.value->at("alice").kind, secret_kind::plain);
    EXPECT_EQ(users.value->at("bob").kind, secret_kind::md5);
    EXPECT_EQ(users.value->at("carol").secret, scram);
    EXPECT_EQ(users.value->at("carol").kind, secret_kind::scram);
    EXPECT_EQ(users.value->at("dave").secret, "pa:ss\"word");  // split at the first colon
}

TEST(inline_users, problems_name_the_entry_and_hide_secrets) {
    auto no_colon = parse_inline_users("alice:ok,justapassword");
    EXPECT_EQ(no_colon.error,
              "PGRELAY_USERS:2: expected user:secret (entries separated by commas)");
    auto no_name = parse_inline_users(":hidden-secret");
    EXPECT_EQ(no_name.error, "PGRELAY_USERS:1: expected user:secret (entries separated by commas)");
    auto duplicate = parse_inline_users("alice:one-secret,alice:two-secret");
    EXPECT_FALSE(duplicate.ok());
    EXPECT_NE(duplicate.error.find("PGRELAY_USERS:2: duplicate user \"alice\""), std::string::npos)
        << duplicate.error;
    for (const auto* r : {&no_colon, &no_name, &duplicate}) {
        EXPECT_EQ(r->error.find("secret\""), std::string::npos) << r->error;
        EXPECT_EQ(r->error.find("hidden"), std::string::npos) << r->error;
        EXPECT_EQ(r->error.find("one-secret"), std::string::npos) << r->error;
    }
    auto bad_scram = parse_inline_users("eve:SCRAM-SHA-256$x");
    EXPECT_FALSE(bad_scram.ok());
    EXPECT_EQ(bad_scram.error.rfind("PGRELAY_USERS:1: malformed SCRAM secret", 0), 0U)
        << bad_scram.error;
}

}  // namespace
}  // namespace pgrelay::proxy
