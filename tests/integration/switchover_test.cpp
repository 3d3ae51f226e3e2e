// SWITCHOVER TO through the admin console, on private clusters: while pgbench -c 8 writes
// through pgrelay the primary moves to a standby with no failed transaction, no committed
// write lost, and nothing written to the old primary after the promotion; a switchover to a
// standby whose replay is paused aborts at its timeout and leaves everything as it was.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <iostream>
#include <string>
#include <thread>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/private_cluster.hpp"
#include "tests/integration/private_relay.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

class Switchover : public ::testing::Test {
  protected:
    void SetUp() override {
        PGRELAY_IT_REQUIRE_RELAY();
        ASSERT_TRUE(pc_.start("switchover"));
        auto init = run_pgbench(superuser_login(pc_.primary_port()), {"-i", "-s", "1", "-q"});
        ASSERT_EQ(init.exit_code, 0) << init.err;
        for (int i = 1; i <= 2; ++i)
            ASSERT_TRUE(
                wait_value(pc_.standby_port(i), "SELECT count(*) FROM pgbench_branches", "1"));
        relay_options o = private_relay_options(pc_);
        o.admin_port = free_port();
        o.admin_users = {"postgres"};
        admin_port_ = o.admin_port;
        ASSERT_TRUE(start_until_standby_reads(relay_, o));
    }

    login console() const {
        login who = superuser_login(admin_port_);
        who.dbname = "pgrelay";
        return who;
    }

    static std::string direct_value(std::uint16_t port, const std::string& sql) {
        auto c = connect_or_fail(superuser_login(port));
        return c ? query_value(c.get(), sql) : "<no connection>";
    }

    private_cluster pc_;
    pgrelay_process relay_;
    std::uint16_t admin_port_ = 0;
};

TEST_F(Switchover, moves_the_primary_under_pgbench_writes_with_no_failed_transaction) {
    auto bench = std::async(std::launch::async, [&] {
        return run_pgbench(superuser_login(relay_.port()), {"-c", "8", "-j", "2", "-T", "6", "-n"},
                           90s);
    });
    std::this_thread::sleep_for(1500ms);
    pg_conn admin = connect_or_fail(console());
    ASSERT_TRUE(admin);
    const auto started = steady::now();
    pg_result r(PQexec(admin.get(), "SWITCHOVER TO standby1 TIMEOUT 10"));
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started);
    ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQresultErrorMessage(r.get());
    // Right after the switchover: what the old primary holds must not grow any more.
    const std::string old_history =
        direct_value(pc_.primary_port(), "SELECT count(*) FROM pgbench_history");
    const std::string new_history_then =
        direct_value(pc_.standby_port(1), "SELECT count(*) FROM pgbench_history");
    std::string paused_ms;
    std::cout << "[switchover] command took " << took.count() << " ms:\n";
    for (int i = 0; i < PQntuples(r.get()); ++i) {
        std::cout << "  " << PQgetvalue(r.get(), i, 0) << ": " << PQgetvalue(r.get(), i, 1) << " ("
                  << PQgetvalue(r.get(), i, 2) << " ms)\n";
        if (std::string(PQgetvalue(r.get(), i, 0)) == "paused")
            paused_ms = PQgetvalue(r.get(), i, 2);
    }
    std::cout << "[switchover] client-visible pause: " << paused_ms << " ms\n";
    EXPECT_FALSE(paused_ms.empty());
    EXPECT_EQ(std::string(PQfname(r.get(), 0)), "step");

    const auto result = bench.get();
    EXPECT_TRUE(result.ok()) << result.describe();
    EXPECT_NE(result.out.find("number of failed transactions: 0 "), std::string::npos)
        << result.out;

    EXPECT_EQ(direct_value(pc_.standby_port(1), "SELECT pg_is_in_recovery()::text"), "false");
    EXPECT_EQ(direct_value(pc_.primary_port(), "SELECT count(*) FROM pgbench_history"), old_history)
        << "the old primary got writes after the switchover";
    const long after =
        std::stol(direct_value(pc_.standby_port(1), "SELECT count(*) FROM pgbench_history"));
    EXPECT_GT(after, std::stol(new_history_then)) << "the new primary took no writes";
    // Every acknowledged transaction is on the new primary: the TPC-B balances add up.
    EXPECT_EQ(direct_value(pc_.standby_port(1), tpcb_balanced_sql), "true");
    // Writes through pgrelay go to the new primary.
    auto c = connect_or_fail(superuser_login(relay_.port()));
    ASSERT_TRUE(c);
    EXPECT_EQ(query_value(c.get(), "/* pgrelay:primary */ SELECT inet_server_port()::text"),
              std::to_string(pc_.standby_port(1)));
    pg_result nodes(PQexec(admin.get(), "SHOW NODES"));
    ASSERT_EQ(PQresultStatus(nodes.get()), PGRES_TUPLES_OK);
    EXPECT_STREQ(PQgetvalue(nodes.get(), 0, PQfnumber(nodes.get(), "state")), "fenced");
    EXPECT_STREQ(PQgetvalue(nodes.get(), 1, PQfnumber(nodes.get(), "role")), "primary");
}

TEST_F(Switchover, to_a_standby_that_cannot_catch_up_aborts_and_changes_nothing) {
    pg_conn admin = connect_or_fail(console());
    ASSERT_TRUE(admin);
    EXPECT_TRUE(exec_fails_with(admin.get(), "SWITCHOVER TO nosuchnode", "42704"));
    EXPECT_TRUE(exec_fails_with(admin.get(), "SWITCHOVER TO primary", "55000"));

    pg_conn s1 = connect_or_fail(superuser_login(pc_.standby_port(1)));
    pg_conn p = connect_or_fail(superuser_login(pc_.primary_port()));
    ASSERT_TRUE(s1 && p);
    ASSERT_TRUE(exec_ok(s1.get(), "SELECT pg_wal_replay_pause()"));
    ASSERT_TRUE(exec_ok(p.get(), "CREATE TABLE behind (v int); INSERT INTO behind VALUES (1)"));
    pg_conn app = connect_or_fail(superuser_login(relay_.port()));
    ASSERT_TRUE(app);

    const auto started = steady::now();
    pg_result r(PQexec(admin.get(), "SWITCHOVER TO standby1 TIMEOUT 1"));
    const auto took = steady::now() - started;
    EXPECT_EQ(sqlstate(r.get()), "55000") << PQresultErrorMessage(r.get());
    const std::string message = PQresultErrorMessage(r.get());
    EXPECT_NE(message.find("did not catch up"), std::string::npos) << message;
    EXPECT_NE(message.find("replay paused"), std::string::npos) << message;
    EXPECT_LT(took, 5s);

    // Nothing changed: the primary is the primary, writes run there, nothing is paused.
    EXPECT_EQ(direct_value(pc_.standby_port(1), "SELECT pg_is_in_recovery()::text"), "true");
    EXPECT_EQ(
        query_value(app.get(), "INSERT INTO behind VALUES (2) RETURNING inet_server_port()::text"),
        std::to_string(pc_.primary_port()));
    pg_result nodes(PQexec(admin.get(), "SHOW NODES"));
    EXPECT_STREQ(PQgetvalue(nodes.get(), 0, PQfnumber(nodes.get(), "role")), "primary");
    EXPECT_STREQ(PQgetvalue(nodes.get(), 0, PQfnumber(nodes.get(), "state")), "up");
    EXPECT_TRUE(exec_ok(s1.get(), "SELECT pg_wal_replay_resume()"));
}

}  // namespace
}  // namespace pgrelay::it
