// Transactions across failover, through the real pgrelay binary in transaction mode with
// auto routing, on private clusters (each test changes its cluster for good): a promotion
// while pgbench writes (errors counted, time to the first write on the new primary, nothing
// written to the fenced node), a clean switchover seen by idle clients (no error), an
// in-flight transaction ended with 57P01 on a usable connection, writes waiting for a
// primary while reads go on, and a read retried after a recovery conflict.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/private_cluster.hpp"
#include "tests/integration/private_relay.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

long ms_since(steady::time_point t) {
    return static_cast<long>(std::chrono::duration_cast<milliseconds>(steady::now() - t).count());
}

pg_conn direct(std::uint16_t port) {
    return connect_or_fail(superuser_login(port));
}

class failover : public ::testing::Test {
  protected:
    void SetUp() override {
        PGRELAY_IT_REQUIRE_RELAY();
        ASSERT_TRUE(pc_.start("failover"));
        auto p = direct(pc_.primary_port());
        ASSERT_TRUE(p);
        ASSERT_TRUE(exec_ok(p.get(),
                            "CREATE TABLE writes (id serial PRIMARY KEY, at timestamptz NOT NULL "
                            "DEFAULT clock_timestamp(), who text)"));
        for (int i = 1; i <= 2; ++i) {
            ASSERT_TRUE(wait_value(pc_.standby_port(i),
                                   "SELECT (to_regclass('writes') IS NOT NULL)::text", "true"));
        }
    }

    relay_options options() const { return private_relay_options(pc_); }

    static void start_relay(pgrelay_process& relay, const relay_options& o) {
        ASSERT_TRUE(start_until_standby_reads(relay, o));
    }

    private_cluster pc_;
};

// ---- promotion while pgbench writes --------------------------------------------------------

TEST_F(failover, promotion_during_pgbench_writes_moves_writes_and_fences_the_old_primary) {
    {
        auto init = run_pgbench(superuser_login(pc_.primary_port()), {"-i", "-s", "1", "-q"});
        ASSERT_EQ(init.exit_code, 0) << init.err;
        for (int i = 1; i <= 2; ++i) {
            ASSERT_TRUE(
                wait_value(pc_.standby_port(i), "SELECT count(*) FROM pgbench_branches", "1"));
        }
    }
    pgrelay_process relay;
    ASSERT_NO_FATAL_FAILURE(start_relay(relay, options()));

    // pgbench's default (TPC-B-like) script writes in every transaction; -T covers the
    // promotion. A client whose transaction is cut by the failover aborts; the others go on.
    auto bench = std::async(std::launch::async, [&] {
        return run_pgbench(superuser_login(relay.port()), {"-c", "4", "-j", "2", "-T", "6", "-n"},
                           60s);
    });
    // A probe writer: one INSERT every 10 ms, each on a new transaction.
    std::atomic<bool> stop{false};
    std::atomic<long> first_new_primary_write_ms{-1};
    std::atomic<int> probe_errors{0};
    steady::time_point promoted_at;
    std::atomic<bool> promoted{false};
    std::atomic<bool> writer_connected{false};
    std::jthread writer([&] {
        auto c = try_connect(superuser_login(relay.port()), 5s);
        if (!c.ok()) return;
        writer_connected = true;
        while (!stop) {
            const std::string port = query_value(
                c.conn.get(),
                "INSERT INTO writes (who) VALUES ('probe') RETURNING inet_server_port()::text");
            if (port.rfind("<error", 0) == 0) {
                ++probe_errors;
            } else if (promoted && port == std::to_string(pc_.standby_port(2)) &&
                       first_new_primary_write_ms < 0) {
                first_new_primary_write_ms = ms_since(promoted_at);
            }
            std::this_thread::sleep_for(10ms);
        }
    });
    // An early return (a failed ASSERT) stops the writer before the thread is joined.
    struct stop_writer {
        std::atomic<bool>& flag;
        ~stop_writer() { flag = true; }
    } stop_on_return{stop};

    std::this_thread::sleep_for(2s);
    auto standby2 = direct(pc_.standby_port(2));
    ASSERT_TRUE(standby2);
    promoted_at = steady::now();
    ASSERT_EQ(promote(pc_.standby_port(2)), "true");
    promoted = true;

    auto result = bench.get();
    // The probe goes on for a while after pgbench, whose clients may all have been cut.
    while (ms_since(promoted_at) < 3000)
        std::this_thread::sleep_for(50ms);
    stop = true;
    writer.join();

    ASSERT_TRUE(writer_connected);
    const std::string out = result.out + result.err;
    std::size_t aborted = 0;
    for (std::size_t at = out.find("script 0 aborted"); at != std::string::npos;
         at = out.find("script 0 aborted", at + 1))
        ++aborted;
    // Transactions in flight on the old primary when it is fenced fail (57P01); pgbench
    // aborts those clients. Nothing else may fail.
    EXPECT_LE(aborted, 4U) << out;
    std::cout << "[failover] pgbench: " << aborted << " client abort line(s), probe errors "
              << probe_errors << ", first write on the new primary " << first_new_primary_write_ms
              << " ms after pg_promote()\n";
    EXPECT_EQ(out.find("does not exist"), std::string::npos) << out;
    EXPECT_GE(first_new_primary_write_ms, 0) << "no write reached the new primary";
    EXPECT_LE(first_new_primary_write_ms, 3000);
    // At most the transactions in flight at the moment of the failover fail.
    EXPECT_LE(probe_errors, 1);

    // The old primary (still running, fenced) received nothing after the promotion was
    // seen: its newest probe row is older than the new primary's first.
    auto old_primary = direct(pc_.primary_port());
    ASSERT_TRUE(old_primary);
    ASSERT_EQ(query_value(old_primary.get(), "SELECT pg_is_in_recovery()::text"), "false")
        << "the test's premise: the old primary still runs and accepts writes";
    const std::string newest_old =
        query_value(old_primary.get(), "SELECT coalesce(max(id), 0) FROM writes");
    const std::string old_after_new = query_value(
        old_primary.get(),
        "SELECT count(*) FROM writes WHERE at >= '" +
            query_value(standby2.get(), "SELECT min(at) FROM writes WHERE id > " + newest_old) +
            "'");
    EXPECT_EQ(old_after_new, "0") << "the fenced old primary got writes after the new primary";
    EXPECT_EQ(query_value(old_primary.get(),
                          "SELECT count(*) FROM pgbench_history WHERE mtime > (SELECT "
                          "min(at) FROM writes WHERE id > " +
                              newest_old + ")"),
              "0")
        << "the fenced old primary got pgbench writes after the failover";
}

// ---- planned switchover: idle clients see nothing -------------------------------------------

TEST_F(failover, clean_switchover_is_invisible_to_idle_clients) {
    pgrelay_process relay;
    ASSERT_NO_FATAL_FAILURE(start_relay(relay, options()));
    std::vector<pg_conn> clients;
    for (int i = 0; i < 5; ++i) {
        auto c = try_connect(superuser_login(relay.port()), 5s);
        ASSERT_TRUE(c.ok()) << c.error;
        ASSERT_TRUE(exec_ok(c.conn.get(), "INSERT INTO writes (who) VALUES ('before')"));
        clients.push_back(std::move(c.conn));
    }
    // The primary stops cleanly, then standby1 is promoted (what an operator does by hand).
    ASSERT_TRUE(pc_.stop_node("primary", "fast"));
    auto standby1 = direct(pc_.standby_port(1));
    ASSERT_TRUE(standby1);
    ASSERT_EQ(promote(pc_.standby_port(1)), "true");

    int errors = 0;
    for (auto& c : clients) {
        const auto port = query_value(
            c.get(),
            "INSERT INTO writes (who) VALUES ('after') RETURNING inet_server_port()::text");
        if (port != std::to_string(pc_.standby_port(1))) {
            ++errors;
            ADD_FAILURE() << "write after the switchover: " << port;
        }
        const auto read = query_value(c.get(), "SELECT count(*) FROM writes WHERE who = 'after'");
        if (read.rfind("<error", 0) == 0) {
            ++errors;
            ADD_FAILURE() << "read after the switchover: " << read;
        }
    }
    EXPECT_EQ(errors, 0);
    EXPECT_EQ(query_value(standby1.get(), "SELECT count(*) FROM writes"), "10");
}

// ---- a transaction in flight on a fenced node ----------------------------------------------

TEST_F(failover, in_flight_transaction_ends_with_57p01_and_the_connection_stays_usable) {
    pgrelay_process relay;
    ASSERT_NO_FATAL_FAILURE(start_relay(relay, options()));
    auto busy = try_connect(superuser_login(relay.port()), 5s);
    auto idle_in_tx = try_connect(superuser_login(relay.port()), 5s);
    ASSERT_TRUE(busy.ok() && idle_in_tx.ok());
    // One transaction waits in a statement on the primary, the other sits idle in one.
    ASSERT_TRUE(exec_ok(idle_in_tx.conn.get(), "BEGIN"));
    ASSERT_TRUE(exec_ok(idle_in_tx.conn.get(), "INSERT INTO writes (who) VALUES ('idle tx')"));
    ASSERT_TRUE(exec_ok(busy.conn.get(), "BEGIN"));
    ASSERT_TRUE(exec_ok(busy.conn.get(), "INSERT INTO writes (who) VALUES ('busy tx')"));
    ASSERT_EQ(PQsendQuery(busy.conn.get(), "SELECT pg_sleep(20)"), 1);

    auto standby2 = direct(pc_.standby_port(2));
    ASSERT_TRUE(standby2);
    const auto promoted_at = steady::now();
    ASSERT_EQ(promote(pc_.standby_port(2)), "true");

    bool timed_out = false;
    auto r = get_result_until(busy.conn.get(), steady::now() + 10s, &timed_out);
    ASSERT_FALSE(timed_out) << "the in-flight statement was not ended";
    EXPECT_EQ(sqlstate(r.get()), "57P01") << PQresultErrorMessage(r.get());
    std::cout << "[failover] in-flight statement ended " << ms_since(promoted_at)
              << " ms after pg_promote(): " << PQresultErrorMessage(r.get());
    while (auto more = pg_result(PQgetResult(busy.conn.get()))) {
    }
    EXPECT_EQ(PQtransactionStatus(busy.conn.get()), PQTRANS_IDLE);
    // The same connection goes on, on the new primary.
    EXPECT_EQ(
        query_value(busy.conn.get(),
                    "INSERT INTO writes (who) VALUES ('next') RETURNING inet_server_port()::text"),
        std::to_string(pc_.standby_port(2)));

    // The idle one hears it on its next statement, then goes on too.
    std::this_thread::sleep_for(500ms);
    EXPECT_TRUE(
        exec_fails_with(idle_in_tx.conn.get(), "INSERT INTO writes (who) VALUES ('x')", "57P01"));
    EXPECT_EQ(query_value(idle_in_tx.conn.get(), "SELECT pg_is_in_recovery()::text"), "false");
    // Neither transaction committed anywhere.
    EXPECT_EQ(query_value(standby2.get(), "SELECT count(*) FROM writes WHERE who LIKE '%tx'"), "0");
    auto old_primary = direct(pc_.primary_port());
    EXPECT_EQ(query_value(old_primary.get(), "SELECT count(*) FROM writes"), "0");
}

// ---- no primary: writes wait, reads go on --------------------------------------------------

TEST_F(failover, without_a_primary_writes_wait_and_reads_go_on) {
    pgrelay_process relay;
    auto o = options();
    o.primary_wait_timeout = 2;
    ASSERT_NO_FATAL_FAILURE(start_relay(relay, o));
    auto c = try_connect(superuser_login(relay.port()), 5s);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(pc_.stop_node("primary", "immediate"));
    std::this_thread::sleep_for(1500ms);  // the checker notices (fall 3 x 200 ms)

    // Reads: standbys.
    EXPECT_EQ(query_value(c.conn.get(), "SELECT pg_is_in_recovery()::text"), "true");
    // A write waits primary_wait_timeout, then fails with 08006.
    auto started = steady::now();
    EXPECT_TRUE(exec_fails_with(c.conn.get(), "INSERT INTO writes (who) VALUES ('lost')", "08006"));
    const long waited = ms_since(started);
    std::cout << "[failover] write without a primary failed after " << waited << " ms\n";
    EXPECT_GE(waited, 1900);
    EXPECT_LE(waited, 4000);
    // A write that waits sees the promotion and succeeds.
    auto write = std::async(std::launch::async, [&] {
        return query_value(
            c.conn.get(),
            "INSERT INTO writes (who) VALUES ('waited') RETURNING inet_server_port()::text");
    });
    std::this_thread::sleep_for(500ms);
    ASSERT_EQ(promote(pc_.standby_port(1)), "true");
    EXPECT_EQ(write.get(), std::to_string(pc_.standby_port(1)));
}

// ---- recovery conflicts --------------------------------------------------------------------

TEST_F(failover, read_cancelled_by_a_recovery_conflict_is_retried_elsewhere) {
    auto primary = direct(pc_.primary_port());
    ASSERT_TRUE(primary);
    ASSERT_TRUE(exec_ok(primary.get(),
                        "CREATE TABLE conflicted (v int); INSERT INTO conflicted VALUES (1)"));
    for (int i = 1; i <= 2; ++i) {
        auto s = direct(pc_.standby_port(i));
        ASSERT_TRUE(s);
        ASSERT_TRUE(exec_ok(s.get(), "ALTER SYSTEM SET max_standby_streaming_delay = '100ms'"));
        ASSERT_TRUE(exec_ok(s.get(), "SELECT pg_reload_conf()"));
        ASSERT_TRUE(wait_value(pc_.standby_port(i), "SELECT count(*) FROM conflicted", "1"));
    }
    pgrelay_process relay;
    auto o = options();
    o.primary_reads = "never";
    ASSERT_NO_FATAL_FAILURE(start_relay(relay, o));
    auto c = try_connect(superuser_login(relay.port()), 5s);
    ASSERT_TRUE(c.ok());

    // A slow read on a standby, then a lock on the primary that its replay must take.
    ASSERT_EQ(PQsendQuery(c.conn.get(),
                          "SELECT inet_server_port(), count(*) FROM conflicted, pg_sleep(1.5)"),
              1);
    std::this_thread::sleep_for(300ms);
    ASSERT_TRUE(exec_ok(primary.get(),
                        "BEGIN; LOCK TABLE conflicted IN ACCESS EXCLUSIVE MODE; "
                        "SELECT pg_sleep(0.5); COMMIT"));
    bool timed_out = false;
    auto r = get_result_until(c.conn.get(), steady::now() + 20s, &timed_out);
    ASSERT_FALSE(timed_out);
    ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQresultErrorMessage(r.get());
    EXPECT_EQ(std::string(PQgetvalue(r.get(), 0, 1)), "1");
    while (auto more = pg_result(PQgetResult(c.conn.get()))) {
    }
    EXPECT_NE(relay.stderr_text().find("retrying a read cancelled by a recovery conflict"),
              std::string::npos)
        << "the conflict did not happen or was not retried";
    EXPECT_EQ(query_value(c.conn.get(), "SELECT 1"), "1");
}

}  // namespace
}  // namespace pgrelay::it
