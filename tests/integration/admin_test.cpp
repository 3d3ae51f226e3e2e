// The admin console through psql and libpq: SHOW commands answer real result sets whose values
// follow the cluster (a standby whose replay is paused shows stale), users not in admin.users
// are refused (28000), unknown commands get 42601, PAUSE waits for running transactions and
// holds new ones until RESUME, DISABLE NODE drains a standby with no client error, and
// SHUTDOWN stops pgrelay like SIGTERM.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "tests/integration/node_routing.hpp"
#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

class Admin : public ::testing::Test {
  protected:
    void SetUp() override { PGRELAY_IT_REQUIRE_RELAY(); }

    void start(relay_options o = {}) {
        o.nodes = all_cluster_nodes();
        o.admin_port = free_port();
        o.admin_users = {"postgres"};
        ASSERT_TRUE(relay_.start(o));
        admin_port_ = o.admin_port;
        ASSERT_TRUE(wait_for_topology(relay_));
    }

    login console(const std::string& user = "postgres", const std::string& password = "postgres") {
        login who = superuser_login(admin_port_);
        who.user = user;
        who.password = password;
        who.dbname = "pgrelay";
        return who;
    }

    // The value of `column` in the row whose first column is `key`.
    static std::string cell(PGresult* r, const std::string& key, const std::string& column) {
        const int c = PQfnumber(r, column.c_str());
        if (c < 0) return "<no column " + column + ">";
        for (int i = 0; i < PQntuples(r); ++i) {
            if (key == PQgetvalue(r, i, 0)) return PQgetvalue(r, i, c);
        }
        return "<no row " + key + ">";
    }

    pgrelay_process relay_;
    std::uint16_t admin_port_ = 0;
};

TEST_F(Admin, show_commands_answer_result_sets_that_follow_the_cluster) {
    relay_options o;
    o.health_max_lag_bytes = 1;  // any replay lag makes a standby stale
    start(o);
    pg_conn admin = connect_or_fail(console());
    ASSERT_TRUE(admin);
    pg_result nodes(PQexec(admin.get(), "show nodes;"));
    ASSERT_EQ(PQresultStatus(nodes.get()), PGRES_TUPLES_OK) << PQerrorMessage(admin.get());
    const std::vector<std::string> columns = {
        "name",     "host",       "port",        "role",         "timeline",     "state",
        "readable", "reason",     "current_lsn", "received_lsn", "replayed_lsn", "lag_bytes",
        "lag_ms",   "last_check", "in_flight",   "generation"};
    ASSERT_EQ(PQnfields(nodes.get()), static_cast<int>(columns.size()));
    for (std::size_t i = 0; i < columns.size(); ++i)
        EXPECT_EQ(PQfname(nodes.get(), static_cast<int>(i)), columns[i]);
    EXPECT_EQ(PQftype(nodes.get(), PQfnumber(nodes.get(), "port")), 23u);  // int4
    EXPECT_EQ(PQntuples(nodes.get()), 3);
    EXPECT_EQ(cell(nodes.get(), "primary", "role"), "primary");
    EXPECT_EQ(cell(nodes.get(), "primary", "state"), "up");
    EXPECT_EQ(cell(nodes.get(), "standby1", "readable"), "t");
    EXPECT_EQ(cell(nodes.get(), "standby2", "port"), std::to_string(cluster().standby_ports[1]));

    for (const char* command : {"SHOW HELP", "SHOW VERSION", "SHOW CONFIG", "SHOW EVENTS"}) {
        pg_result r(PQexec(admin.get(), command));
        EXPECT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << command;
        EXPECT_GT(PQntuples(r.get()), 0) << command;
    }
    pg_result config(PQexec(admin.get(), "SHOW CONFIG"));
    EXPECT_EQ(cell(config.get(), "admin.users", "value"), "[\"postgres\"]");
    EXPECT_EQ(cell(config.get(), "health.max_lag_bytes", "value"), "1");
    pg_result events(PQexec(admin.get(), "SHOW EVENTS"));
    EXPECT_EQ(PQfname(events.get(), 1), std::string("event"));

    // Replay paused on standby1 while the primary writes: its row turns stale.
    pg_conn s1 = connect_or_fail(superuser_app_login(cluster().standby_ports[0]));
    pg_conn p = connect_or_fail(superuser_app_login(cluster().primary_port));
    ASSERT_TRUE(s1 && p);
    ASSERT_TRUE(exec_ok(s1.get(), "SELECT pg_wal_replay_pause()"));
    std::string state;
    for (int i = 0; i < 60 && state != "stale"; ++i) {
        exec_ok(p.get(),
                "CREATE TABLE IF NOT EXISTS admin_lag_t (v int); "
                "INSERT INTO admin_lag_t VALUES (1)");
        std::this_thread::sleep_for(50ms);
        pg_result r(PQexec(admin.get(), "SHOW NODES"));
        state = cell(r.get(), "standby1", "state");
    }
    EXPECT_TRUE(exec_ok(s1.get(), "SELECT pg_wal_replay_resume()"));
    EXPECT_EQ(state, "stale") << "standby1 never showed stale with its replay paused";
}

TEST_F(Admin, refuses_other_users_and_unknown_commands) {
    start();
    auto alice = try_connect(console("alice", "alice-secret"));
    EXPECT_FALSE(alice.ok());
    EXPECT_EQ(alice.sqlstate, "28000") << alice.error;
    auto wrong = try_connect(console("postgres", "wrong"));
    EXPECT_EQ(wrong.sqlstate, "28P01") << wrong.error;
    pg_conn admin = connect_or_fail(console());
    ASSERT_TRUE(admin);
    pg_result r(PQexec(admin.get(), "SHOW TABLES"));
    EXPECT_EQ(sqlstate(r.get()), "42601");
    EXPECT_NE(std::string(PQresultErrorMessage(r.get())).find("NODES"), std::string::npos);
    pg_result u(PQexec(admin.get(), "VACUUM"));
    EXPECT_EQ(sqlstate(u.get()), "42601");
    EXPECT_NE(std::string(PQresultErrorMessage(u.get())).find("SHOW NODES"), std::string::npos)
        << PQresultErrorMessage(u.get());
    EXPECT_TRUE(exec_fails_with(admin.get(), "DISABLE NODE nosuchnode", "42704"));
    // psql prints what the console answers.
    auto out = run_psql(console(), {"-c", "SHOW VERSION"});
    EXPECT_TRUE(out.ok()) << out.describe();
    EXPECT_NE(out.out.find("pgrelay "), std::string::npos) << out.out;
}

TEST_F(Admin, pause_waits_for_running_transactions_and_holds_new_ones_until_resume) {
    start();
    pg_conn admin = connect_or_fail(console());
    pg_conn busy = connect_or_fail(alice_login(relay_.port()));
    pg_conn late = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(admin && busy && late);
    ASSERT_TRUE(exec_ok(busy.get(), "BEGIN"));
    ASSERT_TRUE(exec_ok(busy.get(), "/* pgrelay:primary */ SELECT 1"));
    auto paused = std::async(std::launch::async, [&] { return exec_ok(admin.get(), "PAUSE"); });
    EXPECT_EQ(paused.wait_for(400ms), std::future_status::timeout)
        << "PAUSE returned while a transaction was running";
    ASSERT_TRUE(exec_ok(busy.get(), "COMMIT"));
    ASSERT_EQ(paused.wait_for(5s), std::future_status::ready) << "PAUSE never returned";
    EXPECT_TRUE(paused.get());
    // A new transaction waits while paused, then runs.
    ASSERT_EQ(PQsendQuery(late.get(), "SELECT 42"), 1);
    std::this_thread::sleep_for(400ms);
    ASSERT_EQ(PQconsumeInput(late.get()), 1);
    EXPECT_EQ(PQisBusy(late.get()), 1) << "a transaction started during PAUSE";
    pg_conn admin2 = connect_or_fail(console());
    ASSERT_TRUE(exec_ok(admin2.get(), "RESUME"));
    bool timed_out = false;
    pg_result r = get_result_until(late.get(), std::chrono::steady_clock::now() + 5s, &timed_out);
    ASSERT_FALSE(timed_out);
    EXPECT_STREQ(PQgetvalue(r.get(), 0, 0), "42");
}

TEST_F(Admin, disable_node_drains_a_standby_without_client_errors) {
    start();
    pg_conn admin = connect_or_fail(console());
    pg_conn c = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(admin && c);
    ASSERT_TRUE(wait_for_reads_on(c.get(), {"standby1", "standby2"}));
    const auto script = make_scratch_dir("admin-drain") / "read.sql";
    std::ofstream(script) << "SELECT count(*) FROM pg_class;\n";
    command_result bench;
    std::jthread runner([&] {
        bench = run_pgbench(alice_login(relay_.port()),
                            {"-n", "-c", "4", "-j", "2", "-T", "3", "-f", script.string()}, 60s);
    });
    std::this_thread::sleep_for(500ms);
    ASSERT_TRUE(exec_ok(admin.get(), "DISABLE NODE standby1"));
    std::this_thread::sleep_for(300ms);
    const auto reads = tally(c.get(), 20);
    EXPECT_EQ(reads.count("standby1"), 0u) << describe(reads);
    pg_result nodes(PQexec(admin.get(), "SHOW NODES"));
    const std::string state = cell(nodes.get(), "standby1", "state");
    EXPECT_TRUE(state == "disabled" || state == "draining") << state;
    runner.join();
    EXPECT_TRUE(bench.ok()) << bench.describe();
    EXPECT_NE(bench.out.find("number of failed transactions: 0 "), std::string::npos) << bench.out;
    ASSERT_TRUE(exec_ok(admin.get(), "ENABLE NODE standby1"));
    EXPECT_TRUE(wait_for_reads_on(c.get(), {"standby1"}));
}

TEST_F(Admin, shutdown_stops_pgrelay_like_sigterm) {
    start();
    pg_conn admin = connect_or_fail(console());
    ASSERT_TRUE(admin);
    relay_.send_signal(0);  // the exit below is expected
    pg_result r(PQexec(admin.get(), "SHUTDOWN"));
    const auto code = relay_.wait_exit(5s);
    ASSERT_TRUE(code.has_value()) << "pgrelay still runs after SHUTDOWN";
    EXPECT_EQ(*code, 0);
}

}  // namespace
}  // namespace pgrelay::it
