// Transaction routing through pgrelay on the shared cluster (a primary and two streaming hot
// standbys): in `auto` mode single reads go to the fresh standbys and writes to the primary,
// an explicit transaction stays on one node (read-only ones on a standby), routing hints and
// the `pgrelay.route` session setting, the `primary`/`standby` modes, `primary_reads`, the
// balance policies with per-node weights, and a standby whose replay is paused leaving the
// read rotation and coming back once it replays again. Where a statement ran is read from
// inet_server_port().
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/node_routing.hpp"
#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

class Routing : public ::testing::Test {
  protected:
    void SetUp() override { PGRELAY_IT_REQUIRE_RELAY(); }

    static relay_options cluster_options() {
        relay_options o;
        o.nodes = all_cluster_nodes();
        return o;
    }

    // Starts pgrelay on the whole cluster and waits for its topology.
    void start(const relay_options& o) {
        ASSERT_TRUE(relay_.start(o));
        ASSERT_TRUE(wait_for_topology(relay_));
    }

    pg_conn connect() { return connect_or_fail(alice_login(relay_.port())); }

    pgrelay_process relay_;
};

// ---- 1. auto: reads to the standbys, writes to the primary --------------------------------

TEST_F(Routing, auto_sends_reads_to_both_standbys_and_writes_to_the_primary) {
    ASSERT_NO_FATAL_FAILURE(start(cluster_options()));
    pg_conn conn = connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(wait_for_reads_on(conn.get(), {"standby1", "standby2"}));

    std::vector<std::string> order;
    auto counts = tally(conn.get(), 20, port_sql, &order);
    std::string sequence;
    for (const auto& n : order)
        sequence += n + " ";
    EXPECT_EQ(counts["standby1"] + counts["standby2"], 20)
        << "every single SELECT must run on a standby; landed on " << describe(counts)
        << " in the order " << sequence;
    EXPECT_GT(counts["standby1"], 0) << "least_outstanding rotates ties: " << describe(counts);
    EXPECT_GT(counts["standby2"], 0) << "least_outstanding rotates ties: " << describe(counts);
    // Other read-only forms go to the standbys too.
    EXPECT_NE(node_of(query_value(conn.get(), "SHOW port")), "primary");
    EXPECT_NE(node_of(query_value(conn.get(), "VALUES (inet_server_port()::text)")), "primary");

    ASSERT_TRUE(exec_ok(conn.get(),
                        "DROP TABLE IF EXISTS routing_auto_t; "
                        "CREATE TABLE routing_auto_t (id serial PRIMARY KEY, v text)"));
    EXPECT_EQ(query_value(conn.get(),
                          "INSERT INTO routing_auto_t (v) VALUES ('one') "
                          "RETURNING inet_server_port()::text"),
              primary_port())
        << "INSERT ... RETURNING must run on the primary";
    EXPECT_EQ(query_value(conn.get(),
                          "SELECT inet_server_port()::text, nextval('routing_auto_t_id_seq')"),
              primary_port())
        << "SELECT nextval(...) writes: it must run on the primary";
    EXPECT_EQ(query_value(conn.get(),
                          "SELECT inet_server_port()::text FROM routing_auto_t WHERE id = 1 "
                          "FOR UPDATE"),
              primary_port())
        << "SELECT ... FOR UPDATE locks rows: it must run on the primary";
    // The row written on the primary is read back on a standby once replayed.
    ASSERT_TRUE(wait_on_standbys("SELECT count(*) FROM routing_auto_t", "1"));
    EXPECT_EQ(query_value(conn.get(), "SELECT v FROM routing_auto_t WHERE id = 1"), "one");
    EXPECT_TRUE(exec_ok(conn.get(), "DROP TABLE routing_auto_t"));
}

// ---- 2. explicit transactions stay on one node --------------------------------------------

TEST_F(Routing, explicit_transactions_stay_on_one_node) {
    ASSERT_NO_FATAL_FAILURE(start(cluster_options()));
    pg_conn conn = connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(wait_for_reads_on(conn.get(), {"standby1", "standby2"}));
    ASSERT_TRUE(exec_ok(conn.get(),
                        "DROP TABLE IF EXISTS routing_tx_t; CREATE TABLE routing_tx_t (v int)"));

    // A plain BEGIN is a read-write transaction: the primary, for all of it.
    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
    EXPECT_EQ(PQtransactionStatus(conn.get()), PQTRANS_INTRANS)
        << "a held-back BEGIN must still report 'in transaction'";
    EXPECT_EQ(query_value(conn.get(), port_sql), primary_port())
        << "BEGIN; SELECT: the first statement of a read-write transaction";
    EXPECT_TRUE(exec_ok(conn.get(), "INSERT INTO routing_tx_t VALUES (1)"));
    EXPECT_EQ(query_value(conn.get(), port_sql), primary_port()) << "after the INSERT";
    EXPECT_EQ(query_value(conn.get(), "SELECT count(*)::text FROM routing_tx_t"), "1")
        << "the transaction sees its own write";
    ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));
    EXPECT_EQ(PQtransactionStatus(conn.get()), PQTRANS_IDLE);

    // BEGIN READ ONLY: one standby for the whole transaction (several times, so that a
    // transaction split over both standbys would show).
    for (int round = 0; round < 4; ++round) {
        ASSERT_TRUE(exec_ok(conn.get(), "BEGIN READ ONLY"));
        const auto first = query_value(conn.get(), port_sql);
        const auto second = query_value(conn.get(), port_sql);
        const auto third = query_value(conn.get(), "SELECT inet_server_port()::text, 2");
        EXPECT_TRUE(node_of(first) == "standby1" || node_of(first) == "standby2")
            << "round " << round << ": BEGIN READ ONLY ran on " << node_of(first);
        EXPECT_EQ(second, first) << "round " << round << ": a transaction moved between nodes";
        EXPECT_EQ(third, first) << "round " << round << ": a transaction moved between nodes";
        ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));
    }

    // BEGIN; SET TRANSACTION READ ONLY as the first statement: a standby.
    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
    ASSERT_TRUE(exec_ok(conn.get(), "SET TRANSACTION READ ONLY"));
    {
        const auto port = query_value(conn.get(), port_sql);
        EXPECT_TRUE(node_of(port) == "standby1" || node_of(port) == "standby2")
            << "BEGIN; SET TRANSACTION READ ONLY; SELECT ran on " << node_of(port) << " (" << port
            << ")";
        EXPECT_EQ(query_value(conn.get(), port_sql), port);
        EXPECT_EQ(query_value(conn.get(), "SHOW transaction_read_only"), "on");
    }
    ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));

    // The session's default_transaction_read_only = on: a plain BEGIN goes to a standby.
    ASSERT_TRUE(exec_ok(conn.get(), "SET default_transaction_read_only = on"));
    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
    {
        const auto port = query_value(conn.get(), port_sql);
        EXPECT_TRUE(node_of(port) == "standby1" || node_of(port) == "standby2")
            << "SET default_transaction_read_only = on; BEGIN; SELECT ran on " << node_of(port)
            << " (" << port << ")";
        EXPECT_EQ(query_value(conn.get(), port_sql), port);
    }
    ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));
    ASSERT_TRUE(exec_ok(conn.get(), "SET default_transaction_read_only = off"));
    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
    EXPECT_EQ(query_value(conn.get(), port_sql), primary_port())
        << "default_transaction_read_only back off: BEGIN is read-write again";
    ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));

    // A held BEGIN rolled back before any statement.
    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
    EXPECT_EQ(PQtransactionStatus(conn.get()), PQTRANS_INTRANS);
    EXPECT_TRUE(exec_ok(conn.get(), "ROLLBACK"));
    EXPECT_EQ(PQtransactionStatus(conn.get()), PQTRANS_IDLE);
    // ... and a held BEGIN committed empty.
    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
    EXPECT_TRUE(exec_ok(conn.get(), "COMMIT"));
    EXPECT_EQ(PQtransactionStatus(conn.get()), PQTRANS_IDLE);
    EXPECT_EQ(query_value(conn.get(), "SELECT 'still works'"), "still works");

    EXPECT_TRUE(exec_ok(conn.get(), "DROP TABLE routing_tx_t"));
}

// ---- 3. hints and the pgrelay.route session setting -----------------------------------------

TEST_F(Routing, hints_and_the_route_setting) {
    ASSERT_NO_FATAL_FAILURE(start(cluster_options()));
    pg_conn conn = connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(wait_for_reads_on(conn.get(), {"standby1", "standby2"}));

    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(query_value(conn.get(), "/* pgrelay:primary */ SELECT inet_server_port()::text"),
                  primary_port())
            << "the primary hint";
        const auto port =
            query_value(conn.get(), "/* pgrelay:standby */ SELECT inet_server_port()::text");
        EXPECT_TRUE(node_of(port) == "standby1" || node_of(port) == "standby2")
            << "the standby hint sent a read to " << node_of(port) << " (" << port << ")";
    }
    // A standby hint cannot move a write.
    ASSERT_TRUE(exec_ok(
        conn.get(), "DROP TABLE IF EXISTS routing_hint_t; CREATE TABLE routing_hint_t (v int)"));
    EXPECT_EQ(query_value(conn.get(),
                          "/* pgrelay:standby */ INSERT INTO routing_hint_t VALUES (1) "
                          "RETURNING inet_server_port()::text"),
              primary_port())
        << "a write with a standby hint must still run on the primary";

    // The session preference, answered by pgrelay itself.
    ASSERT_TRUE(exec_ok(conn.get(), "SET pgrelay.route = 'primary'"));
    {
        auto counts = tally(conn.get(), 6);
        EXPECT_EQ(counts["primary"], 6)
            << "after SET pgrelay.route = 'primary' reads landed on " << describe(counts);
    }
    ASSERT_TRUE(exec_ok(conn.get(), "RESET pgrelay.route"));
    {
        auto counts = tally(conn.get(), 6);
        EXPECT_EQ(counts["standby1"] + counts["standby2"], 6)
            << "after RESET pgrelay.route reads landed on " << describe(counts);
    }
    ASSERT_TRUE(exec_ok(conn.get(), "SET pgrelay.route = 'primary'"));
    ASSERT_TRUE(exec_ok(conn.get(), "SET pgrelay.route = 'auto'"));
    {
        auto counts = tally(conn.get(), 4);
        EXPECT_EQ(counts["standby1"] + counts["standby2"], 4)
            << "after SET pgrelay.route = 'auto' reads landed on " << describe(counts);
    }

    // A bad value is an error of class 22, and the session goes on unchanged.
    {
        pg_result r(PQexec(conn.get(), "SET pgrelay.route = 'bogus'"));
        EXPECT_EQ(PQresultStatus(r.get()), PGRES_FATAL_ERROR)
            << "SET pgrelay.route = 'bogus' must fail";
        EXPECT_EQ(sqlstate(r.get()).substr(0, 2), "22")
            << "SQLSTATE " << sqlstate(r.get()) << ": " << PQerrorMessage(conn.get());
    }
    EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK);
    EXPECT_EQ(PQtransactionStatus(conn.get()), PQTRANS_IDLE);
    EXPECT_EQ(query_value(conn.get(), "SELECT 'still works'"), "still works");
    {
        auto counts = tally(conn.get(), 4);
        EXPECT_EQ(counts["standby1"] + counts["standby2"], 4)
            << "the failed SET must not change the preference; reads landed on "
            << describe(counts);
    }
    EXPECT_TRUE(exec_ok(conn.get(), "DROP TABLE routing_hint_t"));
}

// ---- 4. modes, primary_reads, balance policies --------------------------------------------

TEST_F(Routing, mode_primary_sends_reads_to_the_primary) {
    auto o = cluster_options();
    o.routing = "primary";
    ASSERT_NO_FATAL_FAILURE(start(o));
    pg_conn conn = connect();
    ASSERT_TRUE(conn);
    // Give the workers time to take in the topology with readable standbys.
    std::this_thread::sleep_for(300ms);
    auto counts = tally(conn.get(), 10);
    EXPECT_EQ(counts["primary"], 10) << "mode primary: reads landed on " << describe(counts);
    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN READ ONLY"));
    EXPECT_EQ(query_value(conn.get(), port_sql), primary_port()) << "mode primary: BEGIN READ ONLY";
    ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));
}

TEST_F(Routing, mode_standby_sends_reads_to_a_standby) {
    auto o = cluster_options();
    o.routing = "standby";
    ASSERT_NO_FATAL_FAILURE(start(o));
    pg_conn conn = connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(wait_for_reads_on(conn.get(), {"standby1", "standby2"}));
    auto counts = tally(conn.get(), 10);
    EXPECT_EQ(counts["standby1"] + counts["standby2"], 10)
        << "mode standby: reads landed on " << describe(counts);
    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
    {
        const auto port = query_value(conn.get(), port_sql);
        EXPECT_TRUE(node_of(port) == "standby1" || node_of(port) == "standby2")
            << "mode standby: BEGIN; SELECT ran on " << node_of(port) << " (" << port << ")";
    }
    ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));
}

TEST_F(Routing, primary_reads_always_makes_the_primary_one_more_reader) {
    auto o = cluster_options();
    o.primary_reads = "always";
    ASSERT_NO_FATAL_FAILURE(start(o));
    pg_conn conn = connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(wait_for_reads_on(conn.get(), {"standby1", "standby2"}));
    auto counts = tally(conn.get(), 30);
    EXPECT_GT(counts["primary"], 0) << "primary_reads = always: " << describe(counts);
    EXPECT_GT(counts["standby1"], 0) << "primary_reads = always: " << describe(counts);
    EXPECT_GT(counts["standby2"], 0) << "primary_reads = always: " << describe(counts);
    EXPECT_EQ(counts["primary"] + counts["standby1"] + counts["standby2"], 30) << describe(counts);
}

TEST_F(Routing, weighted_balance_gives_no_reads_to_a_weight_zero_standby) {
    auto o = cluster_options();
    o.balance = "weighted";
    o.nodes.at(2).weight = 0;  // standby2
    o.nodes.at(1).weight = 3;  // standby1
    ASSERT_NO_FATAL_FAILURE(start(o));
    pg_conn conn = connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(wait_for_reads_on(conn.get(), {"standby1"}));
    std::this_thread::sleep_for(300ms);  // the workers have the whole topology by now
    auto counts = tally(conn.get(), 20);
    EXPECT_EQ(counts["standby2"], 0) << "standby2 has weight 0: " << describe(counts);
    EXPECT_EQ(counts["standby1"], 20) << "standby1 is the only reader: " << describe(counts);
    // Transactions that need the primary still get it.
    EXPECT_EQ(query_value(conn.get(), "/* pgrelay:primary */ SELECT inet_server_port()::text"),
              primary_port());
}

TEST_F(Routing, round_robin_balance_uses_both_standbys) {
    auto o = cluster_options();
    o.balance = "round_robin";
    ASSERT_NO_FATAL_FAILURE(start(o));
    pg_conn conn = connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(wait_for_reads_on(conn.get(), {"standby1", "standby2"}));
    std::vector<std::string> order;
    auto counts = tally(conn.get(), 20, port_sql, &order);
    std::string sequence;
    for (const auto& n : order)
        sequence += n + " ";
    EXPECT_EQ(counts["standby1"] + counts["standby2"], 20) << describe(counts);
    EXPECT_GE(counts["standby1"], 5) << "round robin: " << sequence;
    EXPECT_GE(counts["standby2"], 5) << "round robin: " << sequence;
}

// ---- 5. a standby with replay paused leaves the read rotation -------------------------------

// Resumes replay on a standby of the shared cluster however the test ends, and waits until
// it has caught up with the primary so later tests find it fresh.
class replay_resumer {
  public:
    explicit replay_resumer(std::uint16_t port) : port_(port) {}
    replay_resumer(const replay_resumer&) = delete;
    replay_resumer& operator=(const replay_resumer&) = delete;
    ~replay_resumer() {
        auto conn = try_connect(superuser_login(port_), 10s);
        if (!conn.ok()) {
            std::cerr << "[routing] cannot connect to " << port_
                      << " to resume replay: " << conn.error;
            return;
        }
        auto r = query_value(conn.conn.get(), "SELECT pg_wal_replay_resume()::text");
        if (r.rfind("<error", 0) == 0) std::cerr << "[routing] pg_wal_replay_resume: " << r << "\n";
        auto primary = try_connect(superuser_login(cluster().primary_port), 10s);
        if (!primary.ok()) return;
        const auto lsn = query_value(primary.conn.get(), "SELECT pg_current_wal_lsn()::text");
        const auto caught_up = wait_direct_value(
            port_, "SELECT (pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn)::text", "true", 30s);
        if (caught_up != "true") {
            std::cerr << "[routing] standby on " << port_ << " did not catch up: " << caught_up
                      << "\n";
        }
    }

  private:
    std::uint16_t port_;
};

TEST_F(Routing, standby_with_paused_replay_leaves_and_rejoins_the_rotation) {
    auto o = cluster_options();
    // The insert below is about 500 kB of WAL; background WAL (autovacuum) stays well below.
    o.health_max_lag_bytes = 64 * 1024;
    o.health_max_lag_ms = 1000;
    o.health_interval = 0.2;
    ASSERT_NO_FATAL_FAILURE(start(o));
    pg_conn conn = connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(wait_for_reads_on(conn.get(), {"standby1", "standby2"}));

    pg_conn primary = connect_or_fail(superuser_app_login(cluster().primary_port));
    ASSERT_TRUE(primary);
    ASSERT_TRUE(exec_ok(primary.get(),
                        "DROP TABLE IF EXISTS routing_lag_t; "
                        "CREATE TABLE routing_lag_t (id int, pad text); "
                        "GRANT SELECT ON routing_lag_t TO alice"));
    ASSERT_TRUE(
        wait_on_standbys("SELECT (to_regclass('routing_lag_t') IS NOT NULL)::text", "true"));

    const std::uint16_t standby1 = cluster().standby_ports.at(0);
    pg_conn s1 = connect_or_fail(superuser_login(standby1));
    ASSERT_TRUE(s1);
    replay_resumer resume(standby1);  // from here on, replay is resumed however the test ends
    ASSERT_TRUE(exec_ok(s1.get(), "SELECT pg_wal_replay_pause()"));

    ASSERT_TRUE(exec_ok(primary.get(),
                        "INSERT INTO routing_lag_t SELECT g, repeat('x', 200) "
                        "FROM generate_series(1, 2000) AS g"));
    const auto written_at = steady::now();
    const auto lsn = query_value(primary.get(), "SELECT pg_current_wal_lsn()::text");
    // The premise: standby1 does not replay the insert; standby2 does.
    EXPECT_EQ(
        wait_direct_value(standby1,
                          "SELECT (pg_is_wal_replay_paused() AND pg_last_wal_replay_lsn() < '" +
                              lsn + "'::pg_lsn)::text",
                          "true", 5s),
        "true")
        << "standby1 should not have replayed the insert";
    EXPECT_EQ(wait_direct_value(cluster().standby_ports.at(1), "SELECT count(*) FROM routing_lag_t",
                                "2000"),
              "2000");

    // Reads stop going to standby1: 12 reads in a row elsewhere (with standby1 still in the
    // rotation every second read would land there).
    int in_a_row = 0;
    std::map<std::string, int> before_left;
    const auto deadline = steady::now() + 10s;
    while (in_a_row < 12 && steady::now() < deadline) {
        const auto node = node_of(query_value(conn.get(), port_sql));
        ++before_left[node];
        in_a_row = node == "standby1" ? 0 : in_a_row + 1;
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_GE(in_a_row, 12) << "reads still reach standby1 10 s after the write although its "
                               "replay is paused; reads: "
                            << describe(before_left);
    const auto left_ms =
        std::chrono::duration_cast<milliseconds>(steady::now() - written_at).count();
    std::cout << "[routing] standby1 out of the read rotation " << left_ms
              << " ms after the write (reads until then: " << describe(before_left) << ")\n";
    EXPECT_LE(left_ms, 5000) << "standby1 should leave the rotation within a few seconds";
    {
        auto counts = tally(conn.get(), 20);
        EXPECT_EQ(counts["standby1"], 0) << "paused standby1 got reads: " << describe(counts);
        EXPECT_EQ(counts["standby2"], 20)
            << "standby2 is fresh and should serve every read: " << describe(counts);
    }
    EXPECT_EQ(query_value(conn.get(), "SELECT count(*) FROM routing_lag_t"), "2000")
        << "a read must see the replayed rows";

    // Resumed: reads come back to standby1.
    ASSERT_TRUE(exec_ok(s1.get(), "SELECT pg_wal_replay_resume()"));
    const auto resumed_at = steady::now();
    ASSERT_TRUE(wait_for_reads_on(conn.get(), {"standby1"}, 10s))
        << "standby1 replays again but gets no reads";
    std::cout << "[routing] standby1 back in the rotation "
              << std::chrono::duration_cast<milliseconds>(steady::now() - resumed_at).count()
              << " ms after pg_wal_replay_resume()\n";
    auto counts = tally(conn.get(), 20);
    EXPECT_GT(counts["standby1"], 0) << describe(counts);
    EXPECT_GT(counts["standby2"], 0) << describe(counts);
    EXPECT_EQ(query_value(conn.get(), "/* pgrelay:standby */ SELECT count(*) FROM routing_lag_t"),
              "2000");

    EXPECT_TRUE(exec_ok(primary.get(), "DROP TABLE routing_lag_t"));
}

}  // namespace
}  // namespace pgrelay::it
