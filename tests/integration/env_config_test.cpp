// pgrelay configured by the environment alone (the container way): no --config, only
// PGRELAY_* variables; it serves the shared cluster through psql and libpq, --check shows the
// merged settings with secrets masked, a bad variable stops it with the variable's name, and
// --ready tells a live listener from a dead one.
#include <gtest/gtest.h>

#include <thread>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/subprocess.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;
using env_list = std::vector<std::pair<std::string, std::string>>;

// The whole cluster as PGRELAY_NODES, users as PGRELAY_USERS, the health password too.
env_list cluster_environment() {
    std::string nodes;
    for (const auto& n : all_cluster_nodes()) {
        nodes += (nodes.empty() ? "" : ",") + n.name + "=" + n.host + ":" + std::to_string(n.port);
    }
    return {{"PGRELAY_NODES", nodes},
            {"PGRELAY_USERS", "postgres:postgres,alice:alice-secret"},
            {"PGRELAY_HEALTH_PASSWORD", "postgres"},
            {"PGRELAY_HEALTH_INTERVAL", "0.5"},
            {"PGRELAY_GENERAL_WORKERS", "2"}};
}

command_result run_pgrelay(const std::vector<std::string>& args, const env_list& env) {
    std::vector<std::string> argv = {pgrelay_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, {.env = env, .timeout = 10s});
}

class env_config : public ::testing::Test {
  protected:
    void SetUp() override { PGRELAY_IT_REQUIRE_RELAY(); }
};

TEST_F(env_config, serves_the_cluster_without_a_config_file) {
    pgrelay_process relay;
    ASSERT_TRUE(relay.start_with_environment(cluster_environment()));
    auto psql =
        run_command({"psql", "-X", "-At", "-h", "127.0.0.1", "-p", std::to_string(relay.port()),
                     "-U", "alice", "-d", "app", "-c", "SELECT 40 + 2"},
                    {.env = {{"PGPASSWORD", "alice-secret"}}, .timeout = 20s});
    EXPECT_EQ(psql.exit_code, 0) << psql.describe();
    EXPECT_EQ(psql.out, "42\n") << psql.describe();

    // All three nodes come from PGRELAY_NODES: an explicit transaction runs on the primary,
    // a lone read on a standby (auto routing, as with a file).
    pg_conn conn = connect_or_fail(alice_login(relay.port()));
    ASSERT_TRUE(conn);
    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
    EXPECT_EQ(query_value(conn.get(), "SELECT pg_is_in_recovery()::text"), "false");
    ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));
    // (Once the checker has seen the standbys fresh; until then reads fall back to the primary.)
    std::string on_standby;
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         on_standby != "true" && std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(100ms)) {
        on_standby = query_value(conn.get(), "SELECT pg_is_in_recovery()::text");
    }
    EXPECT_EQ(on_standby, "true") << "no read reached a standby from PGRELAY_NODES";

    auto ready = run_pgrelay({"--ready", "127.0.0.1:" + std::to_string(relay.port())}, {});
    EXPECT_EQ(ready.exit_code, 0) << ready.describe();
    // The bare form finds the listener through PGRELAY_LISTEN_PORT.
    auto bare = run_pgrelay({"--ready"}, {{"PGRELAY_LISTEN_PORT", std::to_string(relay.port())}});
    EXPECT_EQ(bare.exit_code, 0) << bare.describe();
    EXPECT_EQ(relay.stop(), 0) << relay.exit_description();

    auto gone = run_pgrelay({"--ready", "127.0.0.1:" + std::to_string(relay.port())}, {});
    EXPECT_EQ(gone.exit_code, 1) << gone.describe();
    EXPECT_NE(gone.err.find("is not ready"), std::string::npos) << gone.describe();
}

TEST_F(env_config, check_prints_merged_settings_with_secrets_masked) {
    env_list env = cluster_environment();
    env.emplace_back("PGRELAY_LISTEN_PORT", "6543");
    auto check = run_pgrelay({"--check"}, env);
    EXPECT_EQ(check.exit_code, 0) << check.describe();
    EXPECT_NE(check.out.find("listen.port = 6543\n"), std::string::npos) << check.describe();
    EXPECT_NE(check.out.find("nodes[0].name = \"primary\"\n"), std::string::npos)
        << check.describe();
    EXPECT_NE(check.out.find("health.password = \"********\""), std::string::npos)
        << check.describe();
    EXPECT_NE(check.out.find("users: 2 in PGRELAY_USERS"), std::string::npos) << check.describe();
    EXPECT_NE(check.out.find("environment: "), std::string::npos) << check.describe();
    EXPECT_EQ(check.out.find("alice-secret"), std::string::npos) << check.describe();
    EXPECT_EQ((check.out + check.err).find("postgres:postgres"), std::string::npos);
}

TEST_F(env_config, bad_variable_stops_it_naming_the_variable) {
    env_list env = cluster_environment();
    env.emplace_back("PGRELAY_LISTEN_PORT", "abc");
    auto run = run_pgrelay({}, env);
    EXPECT_EQ(run.exit_code, 1) << run.describe();
    EXPECT_FALSE(run.timed_out) << "pgrelay kept running with a bad variable";
    EXPECT_NE(run.err.find("PGRELAY_LISTEN_PORT (listen.port): must be an integer between 1 and "
                           "65535, got string \"abc\""),
              std::string::npos)
        << run.describe();

    env = cluster_environment();
    env[1] = {"PGRELAY_USERS", "alice"};
    auto users = run_pgrelay({}, env);
    EXPECT_EQ(users.exit_code, 1) << users.describe();
    EXPECT_NE(users.err.find("PGRELAY_USERS:1: expected user:secret"), std::string::npos)
        << users.describe();
}

TEST_F(env_config, nothing_configured_is_a_usage_error) {
    // The tests' own PGRELAY_IT_* variables (if any) are not settings.
    auto run = run_pgrelay({}, {{"PGRELAY_IT_SOMETHING", "1"}});
    EXPECT_EQ(run.exit_code, 2) << run.describe();
    EXPECT_NE(run.err.find("--config FILE or PGRELAY_*"), std::string::npos) << run.describe();
}

}  // namespace
}  // namespace pgrelay::it
