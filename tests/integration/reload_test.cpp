// Reloading the configuration without a restart, by SIGHUP and by the console's RELOAD: a
// lower max_lag_bytes takes effect while pgbench runs (0 failed transactions; a private
// cluster whose standby applies commits late), users and
// passwords change without dropping connected clients, nodes are added and removed, an
// invalid file changes nothing and names the key, and keys that need a restart say so.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "tests/integration/node_routing.hpp"
#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/private_cluster.hpp"
#include "tests/integration/private_relay.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

class Reload : public ::testing::Test {
  protected:
    void SetUp() override { PGRELAY_IT_REQUIRE_RELAY(); }

    void start(relay_options o) {
        o.nodes = all_cluster_nodes();
        o.admin_port = free_port();
        o.admin_users = {"postgres"};
        options_ = o;
        ASSERT_TRUE(relay_.start(o));
        ASSERT_TRUE(wait_for_topology(relay_));
    }

    // Rewrites the config file (same port) with `o`.
    void rewrite(const relay_options& o) { write_relay_config(relay_.dir(), o, relay_.port()); }

    void sighup() { ASSERT_EQ(::kill(relay_.pid(), SIGHUP), 0); }

    login console() const {
        login who = superuser_login(options_.admin_port);
        who.dbname = "pgrelay";
        return who;
    }

    std::string config_value(const std::string& key) {
        pg_conn admin = connect_or_fail(console());
        if (!admin) return "<no console>";
        pg_result r(PQexec(admin.get(), "SHOW CONFIG"));
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            if (key == PQgetvalue(r.get(), i, 0)) return PQgetvalue(r.get(), i, 1);
        }
        return "<no key " + key + ">";
    }

    std::string node_state(const std::string& node) {
        pg_conn admin = connect_or_fail(console());
        if (!admin) return "<no console>";
        pg_result r(PQexec(admin.get(), "SHOW NODES"));
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            if (node == PQgetvalue(r.get(), i, 0))
                return PQgetvalue(r.get(), i, PQfnumber(r.get(), "state"));
        }
        return "<no node " + node + ">";
    }

    bool stderr_has(const std::string& text, std::chrono::milliseconds wait = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + wait;
        while (std::chrono::steady_clock::now() < deadline) {
            if (relay_.stderr_text().find(text) != std::string::npos) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

    pgrelay_process relay_;
    relay_options options_;
};

TEST_F(Reload, lower_max_lag_bytes_takes_effect_while_pgbench_runs) {
    // A private cluster whose standby applies commits an hour late: it lags in bytes while it
    // streams (a paused replay would be stale whatever the bounds).
    private_cluster pc;
    ASSERT_TRUE(pc.start("reload", 1));
    pg_conn s1 = connect_or_fail(superuser_login(pc.standby_port(1)));
    pg_conn p = connect_or_fail(superuser_login(pc.primary_port()));
    ASSERT_TRUE(s1 && p);
    ASSERT_TRUE(exec_ok(s1.get(), "ALTER SYSTEM SET recovery_min_apply_delay = '1h'"));
    ASSERT_TRUE(exec_ok(s1.get(), "SELECT pg_reload_conf()"));
    relay_options o = private_relay_options(pc);
    o.health_interval = 0.5;
    o.health_max_lag_bytes = std::uint64_t{1} << 30;
    o.health_max_lag_ms = 3600000;
    o.admin_port = free_port();
    o.admin_users = {"postgres"};
    options_ = o;
    ASSERT_TRUE(relay_.start(o));
    ASSERT_TRUE(exec_ok(p.get(), "CREATE TABLE reload_lag_t (v int)"));
    ASSERT_TRUE(exec_ok(p.get(), "INSERT INTO reload_lag_t SELECT generate_series(1, 1000)"));
    std::string state;
    for (int i = 0; i < 50 && state != "up"; ++i) {
        std::this_thread::sleep_for(100ms);
        state = node_state("standby1");
    }
    ASSERT_EQ(state, "up") << "standby1 should be readable within 1 GB of lag";

    const auto script = make_scratch_dir("reload-bench") / "read.sql";
    std::ofstream(script) << "SELECT count(*) FROM pg_class;\n";
    command_result bench;
    std::jthread runner([&] {
        bench = run_pgbench(alice_login(relay_.port()),
                            {"-n", "-c", "4", "-j", "2", "-T", "4", "-f", script.string()}, 60s);
    });
    std::this_thread::sleep_for(1s);
    relay_options lower = options_;
    lower.health_max_lag_bytes = 1;
    rewrite(lower);
    sighup();
    EXPECT_TRUE(stderr_has("configuration reloaded"));
    for (int i = 0; i < 40 && state != "stale"; ++i) {
        std::this_thread::sleep_for(100ms);
        state = node_state("standby1");
    }
    EXPECT_EQ(state, "stale") << "the lower max_lag_bytes did not take effect";
    EXPECT_EQ(config_value("health.max_lag_bytes"), "1");
    runner.join();
    EXPECT_TRUE(bench.ok()) << bench.describe();
    EXPECT_NE(bench.out.find("number of failed transactions: 0 "), std::string::npos) << bench.out;
}

TEST_F(Reload, an_invalid_file_keeps_the_running_configuration_and_names_the_key) {
    start({});
    pg_conn admin = connect_or_fail(console());
    pg_conn app = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(admin && app);
    relay_options bad = options_;
    bad.pool_size = 0;
    rewrite(bad);
    pg_result r(PQexec(admin.get(), "RELOAD"));
    EXPECT_EQ(sqlstate(r.get()), "F0000");
    const std::string message = PQresultErrorMessage(r.get());
    EXPECT_NE(message.find("default_pool_size"), std::string::npos) << message;
    sighup();
    EXPECT_TRUE(stderr_has("reload refused"));
    EXPECT_EQ(config_value("pool.default_pool_size"), "20");
    EXPECT_EQ(query_value(app.get(), "SELECT 6 * 7"), "42");
    EXPECT_TRUE(relay_.running());
}

TEST_F(Reload, users_and_passwords_change_without_dropping_connected_clients) {
    start({});
    login bob_login = alice_login(relay_.port());
    bob_login.user = "bob";
    bob_login.password = "bob-secret";
    pg_conn bob = connect_or_fail(bob_login);
    ASSERT_TRUE(bob);
    relay_options next = options_;
    next.users = {{"postgres", "postgres"}, {"alice", "alice-secret"}, {"trusty", "new-secret"}};
    next.log_level = "debug";
    rewrite(next);
    pg_conn admin = connect_or_fail(console());
    ASSERT_TRUE(admin);
    pg_result r(PQexec(admin.get(), "RELOAD"));
    EXPECT_EQ(PQresultStatus(r.get()), PGRES_COMMAND_OK) << PQresultErrorMessage(r.get());
    EXPECT_STREQ(PQcmdStatus(r.get()), "RELOAD");

    // bob, removed, keeps his session but cannot log in again.
    EXPECT_EQ(query_value(bob.get(), "SELECT current_user::text"), "bob");
    auto bob_again = try_connect(bob_login);
    EXPECT_FALSE(bob_again.ok());
    // trusty's password changed: the old one is refused, the new one works.
    login trusty = alice_login(relay_.port());
    trusty.user = "trusty";
    trusty.password = "trusty-secret";
    auto old_password = try_connect(trusty);
    EXPECT_EQ(old_password.sqlstate, "28P01") << old_password.error;
    trusty.password = "new-secret";
    auto new_password = try_connect(trusty);
    EXPECT_TRUE(new_password.ok()) << new_password.error;
    // The log level changed to debug.
    EXPECT_TRUE(stderr_has("level=debug"));
}

TEST_F(Reload, nodes_are_added_and_removed_without_dropping_clients) {
    relay_options o;
    const auto all = all_cluster_nodes();
    o.nodes = {all[0], all[1]};  // primary and standby1
    o.admin_port = free_port();
    o.admin_users = {"postgres"};
    options_ = o;
    ASSERT_TRUE(relay_.start(o));
    pg_conn c = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(c);
    ASSERT_TRUE(wait_for_reads_on(c.get(), {"standby1"}));
    ASSERT_TRUE(exec_ok(c.get(), "BEGIN"));  // a transaction open across both reloads
    ASSERT_TRUE(exec_ok(c.get(), "SELECT 1"));

    relay_options added = options_;
    added.nodes = all;  // standby2 joins
    rewrite(added);
    sighup();
    EXPECT_TRUE(stderr_has("node added"));
    pg_conn d = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(d);
    EXPECT_TRUE(wait_for_reads_on(d.get(), {"standby2"}));

    relay_options removed = options_;
    removed.nodes = {all[0], all[2]};  // standby1 leaves
    rewrite(removed);
    sighup();
    EXPECT_TRUE(stderr_has("node removed"));
    std::this_thread::sleep_for(200ms);
    const auto reads = tally(d.get(), 20);
    EXPECT_EQ(reads.count("standby1"), 0u) << describe(reads);
    EXPECT_EQ(node_state("standby1"), "<no node standby1>");
    EXPECT_EQ(node_state("standby2"), "up");
    // The client whose transaction ran across both reloads goes on.
    EXPECT_TRUE(exec_ok(c.get(), "SELECT 2"));
    EXPECT_TRUE(exec_ok(c.get(), "COMMIT"));
    EXPECT_EQ(query_value(c.get(), "SELECT 'still here'"), "still here");
}

TEST_F(Reload, keys_that_need_a_restart_say_so_and_keep_their_value) {
    start({});
    relay_options next = options_;
    next.workers = 3;
    next.query_wait_timeout = 7;
    rewrite(next);
    pg_conn admin = connect_or_fail(console());
    ASSERT_TRUE(admin);
    std::string notices;
    PQsetNoticeProcessor(
        admin.get(),
        [](void* arg, const char* message) { *static_cast<std::string*>(arg) += message; },
        &notices);
    pg_result r(PQexec(admin.get(), "RELOAD"));
    EXPECT_EQ(PQresultStatus(r.get()), PGRES_COMMAND_OK) << PQresultErrorMessage(r.get());
    EXPECT_NE(notices.find("need a restart: general.workers"), std::string::npos) << notices;
    EXPECT_NE(notices.find("pool.query_wait_timeout"), std::string::npos) << notices;
    EXPECT_EQ(config_value("general.workers"), "2");
    EXPECT_EQ(config_value("pool.query_wait_timeout"), "7");
}

}  // namespace
}  // namespace pgrelay::it
