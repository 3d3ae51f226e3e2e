// Server connection pooling through pgrelay on the shared cluster: in transaction mode
// clients share server connections, yet each keeps its own session settings and its own
// named prepared statements (also when its transactions land on different nodes); pgbench
// in prepared mode over auto routing; a transaction that waits longer than
// query_wait_timeout for a free server connection gets 53300 and the client goes on; and in
// session mode a client keeps one server connection for its whole session.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <regex>
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

const std::string pid_sql = "SELECT pg_backend_pid()::text";

class Pooling : public ::testing::Test {
  protected:
    void SetUp() override { PGRELAY_IT_REQUIRE_RELAY(); }

    // One worker, one server connection per (node, database, user), the primary only: every
    // client of this pgrelay shares the same server connection.
    static relay_options one_connection_options() {
        relay_options o;
        o.workers = 1;
        o.pool_size = 1;
        o.routing = "primary";
        return o;
    }

    pg_conn connect(const std::string& extra = "") {
        login who = alice_login(relay_.port());
        who.extra = extra;
        return connect_or_fail(who);
    }

    pgrelay_process relay_;
};

// ---- 6. session settings follow their client over a shared server connection -------------

TEST_F(Pooling, session_settings_stay_with_their_client_on_a_shared_connection) {
    ASSERT_TRUE(relay_.start(one_connection_options()));
    pg_conn a = connect();
    pg_conn b = connect();
    // c sets nothing with SET, only its startup parameter (the later application_name wins).
    pg_conn c = connect("application_name=c_startup");
    ASSERT_TRUE(a && b && c);
    const std::string default_path = query_value(c.get(), "SHOW search_path");
    ASSERT_TRUE(exec_ok(a.get(), "SET application_name = 'a_app'"));
    ASSERT_TRUE(exec_ok(a.get(), "SET search_path = a_schema, public"));
    ASSERT_TRUE(exec_ok(b.get(), "SET application_name = 'b_app'"));
    ASSERT_TRUE(exec_ok(b.get(), "SET search_path = b_schema, public"));

    std::set<std::string> pids;
    for (int round = 0; round < 10; ++round) {
        EXPECT_EQ(query_value(a.get(), "SHOW application_name"), "a_app") << "round " << round;
        EXPECT_EQ(query_value(b.get(), "SHOW application_name"), "b_app") << "round " << round;
        EXPECT_EQ(query_value(c.get(), "SHOW application_name"), "c_startup") << "round " << round;
        EXPECT_EQ(query_value(a.get(), "SHOW search_path"), "a_schema, public")
            << "round " << round;
        EXPECT_EQ(query_value(b.get(), "SHOW search_path"), "b_schema, public")
            << "round " << round;
        EXPECT_EQ(query_value(c.get(), "SHOW search_path"), default_path) << "round " << round;
        // The server sees each client's own settings too, not only SHOW.
        EXPECT_EQ(query_value(b.get(), "SELECT current_setting('application_name')"), "b_app")
            << "round " << round;
        EXPECT_EQ(query_value(a.get(),
                              "SELECT application_name FROM pg_stat_activity "
                              "WHERE pid = pg_backend_pid()"),
                  "a_app")
            << "round " << round;
        for (PGconn* conn : {a.get(), b.get(), c.get()})
            pids.insert(query_value(conn, pid_sql));
    }
    EXPECT_EQ(pids.size(), 1u)
        << "with workers = 1 and default_pool_size = 1 all three clients must share one "
           "server connection; backend pids seen: "
        << [&] {
               std::string s;
               for (const auto& p : pids)
                   s += p + " ";
               return s;
           }();

    // A SET inside a rolled back transaction does not stick; one in a committed one does.
    ASSERT_TRUE(exec_ok(a.get(), "BEGIN"));
    ASSERT_TRUE(exec_ok(a.get(), "SET application_name = 'a_rolled_back'"));
    ASSERT_TRUE(exec_ok(a.get(), "ROLLBACK"));
    EXPECT_EQ(query_value(a.get(), "SHOW application_name"), "a_app");
    EXPECT_EQ(query_value(b.get(), "SHOW application_name"), "b_app");
    ASSERT_TRUE(exec_ok(a.get(), "RESET application_name"));
    EXPECT_EQ(query_value(a.get(), "SHOW application_name"), "pgrelay-it")
        << "RESET goes back to the client's own startup value";
    EXPECT_EQ(query_value(b.get(), "SHOW application_name"), "b_app");
    EXPECT_EQ(query_value(c.get(), "SHOW application_name"), "c_startup");
}

// ---- 7. named prepared statements -----------------------------------------------------------

TEST_F(Pooling, same_statement_name_prepared_by_two_clients_on_one_connection) {
    ASSERT_TRUE(relay_.start(one_connection_options()));
    pg_conn a = connect();
    pg_conn b = connect();
    ASSERT_TRUE(a && b);
    {
        pg_result pa(PQprepare(a.get(), "s1", "SELECT 'A:' || $1::text", 1, nullptr));
        ASSERT_EQ(PQresultStatus(pa.get()), PGRES_COMMAND_OK) << PQerrorMessage(a.get());
        pg_result pb(PQprepare(b.get(), "s1", "SELECT 'B:' || ($1::int * 2)::text", 1, nullptr));
        ASSERT_EQ(PQresultStatus(pb.get()), PGRES_COMMAND_OK)
            << "the second client's s1 must not clash with the first's: "
            << PQerrorMessage(b.get());
    }
    for (int i = 0; i < 10; ++i) {
        const std::string arg = std::to_string(i);
        const char* params[] = {arg.c_str()};
        pg_result ra(PQexecPrepared(a.get(), "s1", 1, params, nullptr, nullptr, 0));
        ASSERT_EQ(PQresultStatus(ra.get()), PGRES_TUPLES_OK)
            << "client A, execution " << i << ": " << PQerrorMessage(a.get());
        EXPECT_EQ(std::string(PQgetvalue(ra.get(), 0, 0)), "A:" + arg)
            << "client A, execution " << i;
        pg_result rb(PQexecPrepared(b.get(), "s1", 1, params, nullptr, nullptr, 0));
        ASSERT_EQ(PQresultStatus(rb.get()), PGRES_TUPLES_OK)
            << "client B, execution " << i << ": " << PQerrorMessage(b.get());
        EXPECT_EQ(std::string(PQgetvalue(rb.get(), 0, 0)), "B:" + std::to_string(i * 2))
            << "client B, execution " << i;
    }
    EXPECT_EQ(query_value(a.get(), pid_sql), query_value(b.get(), pid_sql))
        << "the premise: both clients share the one server connection";
    // Describing the statement gives each client its own parameter and result shape.
    pg_result da(PQdescribePrepared(a.get(), "s1"));
    ASSERT_EQ(PQresultStatus(da.get()), PGRES_COMMAND_OK) << PQerrorMessage(a.get());
    EXPECT_EQ(PQnparams(da.get()), 1);
    EXPECT_EQ(PQnfields(da.get()), 1);
    // Deallocating A's s1 leaves B's alone.
    ASSERT_TRUE(exec_ok(a.get(), "DEALLOCATE s1"));
    const char* params[] = {"21"};
    pg_result gone(PQexecPrepared(a.get(), "s1", 1, params, nullptr, nullptr, 0));
    EXPECT_EQ(sqlstate(gone.get()), "26000") << PQerrorMessage(a.get());
    pg_result still(PQexecPrepared(b.get(), "s1", 1, params, nullptr, nullptr, 0));
    ASSERT_EQ(PQresultStatus(still.get()), PGRES_TUPLES_OK) << PQerrorMessage(b.get());
    EXPECT_EQ(std::string(PQgetvalue(still.get(), 0, 0)), "B:42");
}

TEST_F(Pooling, prepared_statement_runs_on_whichever_node_a_transaction_lands) {
    relay_options o;
    o.nodes = all_cluster_nodes();
    ASSERT_TRUE(relay_.start(o));
    pg_conn conn = connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(wait_for_reads_on(conn.get(), {"standby1", "standby2"}));

    pg_result prep(PQprepare(conn.get(), "q", "SELECT inet_server_port()::text", 0, nullptr));
    ASSERT_EQ(PQresultStatus(prep.get()), PGRES_COMMAND_OK) << PQerrorMessage(conn.get());
    std::map<std::string, int> counts;
    for (int i = 0; i < 12; ++i) {
        pg_result r(PQexecPrepared(conn.get(), "q", 0, nullptr, nullptr, nullptr, 0));
        ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK)
            << "execution " << i << " (after " << describe(counts)
            << "): " << PQerrorMessage(conn.get());
        ++counts[node_of(PQgetvalue(r.get(), 0, 0))];
    }
    EXPECT_GT(counts["standby1"], 0) << describe(counts);
    EXPECT_GT(counts["standby2"], 0) << describe(counts);
    EXPECT_EQ(counts["primary"], 0) << "a read-only prepared statement: " << describe(counts);

    // Inside an explicit transaction opened by a simple-protocol BEGIN: a read-write one
    // runs on the primary, a read-only one on a standby, and either is in effect (the
    // server reports "in transaction" after the prepared statement).
    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
    {
        pg_result r(PQexecPrepared(conn.get(), "q", 0, nullptr, nullptr, nullptr, 0));
        ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQerrorMessage(conn.get());
        EXPECT_EQ(node_of(PQgetvalue(r.get(), 0, 0)), "primary")
            << "BEGIN (simple query), then PQexecPrepared(q): a read-write transaction";
        EXPECT_EQ(PQtransactionStatus(conn.get()), PQTRANS_INTRANS)
            << "BEGIN, then PQexecPrepared(q): the transaction must still be open";
    }
    ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));
    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN READ ONLY"));
    {
        pg_result r(PQexecPrepared(conn.get(), "q", 0, nullptr, nullptr, nullptr, 0));
        ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQerrorMessage(conn.get());
        EXPECT_NE(node_of(PQgetvalue(r.get(), 0, 0)), "primary");
        EXPECT_EQ(PQtransactionStatus(conn.get()), PQTRANS_INTRANS)
            << "BEGIN READ ONLY, then PQexecPrepared(q): the transaction must still be open";
    }
    ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));

    // A prepared write goes to the primary, prepared in a transaction of its own.
    ASSERT_TRUE(exec_ok(
        conn.get(), "DROP TABLE IF EXISTS pooling_prep_t; CREATE TABLE pooling_prep_t (v int)"));
    pg_result prep_w(PQprepare(conn.get(), "w",
                               "INSERT INTO pooling_prep_t VALUES ($1::int) "
                               "RETURNING inet_server_port()::text",
                               1, nullptr));
    ASSERT_EQ(PQresultStatus(prep_w.get()), PGRES_COMMAND_OK) << PQerrorMessage(conn.get());
    for (int i = 0; i < 4; ++i) {
        const std::string arg = std::to_string(i);
        const char* params[] = {arg.c_str()};
        pg_result r(PQexecPrepared(conn.get(), "w", 1, params, nullptr, nullptr, 0));
        ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK)
            << "prepared INSERT " << i << ": " << PQerrorMessage(conn.get());
        EXPECT_EQ(node_of(PQgetvalue(r.get(), 0, 0)), "primary");
        pg_result rq(PQexecPrepared(conn.get(), "q", 0, nullptr, nullptr, nullptr, 0));
        ASSERT_EQ(PQresultStatus(rq.get()), PGRES_TUPLES_OK)
            << "read " << i << " after the prepared INSERT: " << PQerrorMessage(conn.get());
    }
    // A prepared write inside BEGIN ... ROLLBACK is rolled back.
    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
    {
        const char* params[] = {"100"};
        pg_result r(PQexecPrepared(conn.get(), "w", 1, params, nullptr, nullptr, 0));
        ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQerrorMessage(conn.get());
        EXPECT_EQ(node_of(PQgetvalue(r.get(), 0, 0)), "primary");
    }
    ASSERT_TRUE(exec_ok(conn.get(), "ROLLBACK"));
    EXPECT_EQ(
        query_value(conn.get(),
                    "/* pgrelay:primary */ SELECT count(*) FROM pooling_prep_t WHERE v = 100"),
        "0")
        << "BEGIN; PQexecPrepared(INSERT ... 100); ROLLBACK left the row behind";
    EXPECT_TRUE(exec_ok(conn.get(), "DROP TABLE pooling_prep_t"));
}

// ---- 8. pgbench in prepared mode over auto routing ------------------------------------------

// Checks one pgbench -T run: exit code 0, some transactions, none failed, no missing
// statement or relation.
::testing::AssertionResult bench_clean(const command_result& run) {
    if (!run.ok()) return ::testing::AssertionFailure() << "pgbench failed: " << run.describe();
    std::smatch m;
    static const std::regex processed_re(R"(number of transactions actually processed: (\d+))");
    if (!std::regex_search(run.out, m, processed_re) || std::stol(m[1]) == 0) {
        return ::testing::AssertionFailure() << "no transactions processed: " << run.describe();
    }
    static const std::regex failed_re(R"(number of failed transactions: (\d+))");
    if (!std::regex_search(run.out, m, failed_re)) {
        return ::testing::AssertionFailure()
               << "no 'number of failed transactions' line: " << run.describe();
    }
    if (m[1] != "0") {
        return ::testing::AssertionFailure() << m[1] << " failed transactions: " << run.describe();
    }
    if ((run.out + run.err).find("does not exist") != std::string::npos) {
        return ::testing::AssertionFailure()
               << "\"does not exist\" in the output: " << run.describe();
    }
    return ::testing::AssertionSuccess();
}

TEST_F(Pooling, pgbench_prepared_mode_over_auto_routing) {
    const auto& c = cluster();
    // Tables made by the superuser on the primary, handed to alice, replayed on both standbys.
    auto init = run_pgbench(superuser_app_login(c.primary_port), {"-i", "-s", "1", "-q"}, 120s);
    ASSERT_TRUE(init.ok()) << "pgbench -i on the primary: " << init.describe();
    {
        pg_conn primary = connect_or_fail(superuser_app_login(c.primary_port));
        ASSERT_TRUE(primary);
        ASSERT_TRUE(exec_ok(primary.get(),
                            "ALTER TABLE pgbench_accounts OWNER TO alice; "
                            "ALTER TABLE pgbench_branches OWNER TO alice; "
                            "ALTER TABLE pgbench_tellers OWNER TO alice; "
                            "ALTER TABLE pgbench_history OWNER TO alice"));
    }
    for (std::size_t i = 0; i < c.standby_ports.size(); ++i) {
        ASSERT_EQ(wait_direct_value(c.standby_ports[i],
                                    "SELECT (SELECT count(*) FROM pgbench_accounts)::text || ' ' "
                                    "|| (SELECT tableowner FROM pg_tables "
                                    "WHERE tablename = 'pgbench_history')",
                                    "100000 alice"),
                  "100000 alice")
            << "standby" << i + 1 << " never replayed the pgbench tables";
    }

    relay_options o;
    o.nodes = all_cluster_nodes();
    ASSERT_TRUE(relay_.start(o));
    {
        pg_conn conn = connect();
        ASSERT_TRUE(conn);
        ASSERT_TRUE(wait_for_reads_on(conn.get(), {"standby1", "standby2"}));
    }

    // Transactions committed in app on each standby so far (to see that reads reached them).
    const std::string commits_sql =
        "SELECT xact_commit::text FROM pg_stat_database WHERE datname = 'app'";
    std::vector<long> commits_before;
    for (auto port : c.standby_ports) {
        pg_conn s = connect_or_fail(superuser_app_login(port));
        ASSERT_TRUE(s);
        const auto v = query_value(s.get(), commits_sql);
        ASSERT_EQ(v.find_first_not_of("0123456789"), std::string::npos) << v;
        commits_before.push_back(std::stol(v));
    }

    auto select_only = run_pgbench(alice_login(relay_.port()),
                                   {"-M", "prepared", "-S", "-c", "4", "-j", "2", "-T", "3"}, 60s);
    std::cout << "[pooling] pgbench -M prepared -S:\n" << select_only.out;
    EXPECT_TRUE(bench_clean(select_only));
    // The select-only transactions ran on the standbys (their statistics are flushed about a
    // second after the pooled backends go idle).
    for (std::size_t i = 0; i < c.standby_ports.size(); ++i) {
        const auto sql = "SELECT (xact_commit > " + std::to_string(commits_before[i] + 1000) +
                         ")::text FROM pg_stat_database WHERE datname = 'app'";
        EXPECT_EQ(wait_direct_value(c.standby_ports[i], sql, "true", 15s), "true")
            << "standby" << i + 1 << " ran fewer than 1000 transactions of pgbench -S (had "
            << commits_before[i] << " before)";
    }

    auto tpcb = run_pgbench(alice_login(relay_.port()),
                            {"-M", "prepared", "-c", "8", "-j", "2", "-T", "3"}, 60s);
    std::cout << "[pooling] pgbench -M prepared -c 8 (TPC-B like):\n" << tpcb.out;
    EXPECT_TRUE(bench_clean(tpcb));
    // Clients that each carry three session settings, replayed wherever they run.
    login with_settings = alice_login(relay_.port());
    with_settings.pgoptions = "-c work_mem=8MB -c statement_timeout=60s -c search_path=public";
    // (-n: pgbench would empty pgbench_history first, and the balances below would not add up.)
    auto tpcb_settings =
        run_pgbench(with_settings, {"-n", "-M", "prepared", "-c", "8", "-j", "2", "-T", "3"}, 60s);
    std::cout << "[pooling] the same, three settings per client:\n" << tpcb_settings.out;
    EXPECT_TRUE(bench_clean(tpcb_settings));

    // The writes all reached the primary, and TPC-B's balances add up there.
    pg_conn primary = connect_or_fail(superuser_app_login(c.primary_port));
    ASSERT_TRUE(primary);
    EXPECT_EQ(query_value(primary.get(), tpcb_balanced_sql), "true");
}

// ---- 9. query_wait_timeout ------------------------------------------------------------------

TEST_F(Pooling, waiting_longer_than_query_wait_timeout_fails_with_53300) {
    auto o = one_connection_options();
    o.query_wait_timeout = 1;
    ASSERT_TRUE(relay_.start(o));
    pg_conn a = connect();
    pg_conn b = connect();
    ASSERT_TRUE(a && b);
    // Both have used the connection once, so it exists and is idle.
    ASSERT_EQ(query_value(b.get(), "SELECT 1"), "1");

    ASSERT_TRUE(exec_ok(a.get(), "BEGIN"));
    ASSERT_EQ(query_value(a.get(), "SELECT 1"), "1");  // A now holds the only connection

    ASSERT_EQ(PQsendQuery(b.get(), "SELECT 1"), 1) << PQerrorMessage(b.get());
    const auto sent = steady::now();
    bool timed_out = false;
    pg_result r = get_result_until(b.get(), sent + 10s, &timed_out);
    const auto waited = std::chrono::duration_cast<milliseconds>(steady::now() - sent).count();
    ASSERT_FALSE(timed_out) << "client B got no answer within 10 s (query_wait_timeout = 1 s)";
    ASSERT_TRUE(r) << "no result for client B: " << PQerrorMessage(b.get());
    EXPECT_EQ(PQresultStatus(r.get()), PGRES_FATAL_ERROR);
    EXPECT_EQ(sqlstate(r.get()), "53300") << PQresultErrorMessage(r.get());
    const std::string message = PQresultErrorMessage(r.get());
    EXPECT_NE(message.find("query_wait_timeout"), std::string::npos) << message;
    std::cout << "[pooling] client B refused after " << waited << " ms: " << message;
    EXPECT_GE(waited, 900) << "B must have waited about query_wait_timeout";
    EXPECT_LE(waited, 3000) << "B waited far longer than query_wait_timeout";
    while (pg_result rest{PQgetResult(b.get())}) {
        ADD_FAILURE() << "unexpected further result " << PQresStatus(PQresultStatus(rest.get()));
    }
    EXPECT_EQ(PQstatus(b.get()), CONNECTION_OK) << "B's connection must stay usable";
    EXPECT_EQ(PQtransactionStatus(b.get()), PQTRANS_IDLE);

    // A is unaffected, and once it commits B gets the connection.
    EXPECT_EQ(query_value(a.get(), "SELECT 2"), "2");
    ASSERT_TRUE(exec_ok(a.get(), "COMMIT"));
    EXPECT_EQ(query_value(b.get(), "SELECT 1"), "1") << "B's next statement on the same connection";
    EXPECT_EQ(query_value(b.get(), pid_sql), query_value(a.get(), pid_sql));
}

// ---- 10. session mode keeps one server connection per client --------------------------------

TEST_F(Pooling, session_mode_keeps_one_server_connection_per_client) {
    relay_options o;
    o.nodes = all_cluster_nodes();
    o.pool_mode = "session";
    ASSERT_TRUE(relay_.start(o));
    pg_conn conn = connect();
    pg_conn other = connect();
    ASSERT_TRUE(conn && other);
    ASSERT_TRUE(exec_ok(conn.get(),
                        "DROP TABLE IF EXISTS pooling_session_t; "
                        "CREATE TABLE pooling_session_t (v int)"));
    const std::string pid = query_value(conn.get(), pid_sql);
    const std::string port = query_value(conn.get(), port_sql);
    ASSERT_EQ(pid.find_first_not_of("0123456789"), std::string::npos) << pid;
    const std::string other_pid = query_value(other.get(), pid_sql);
    EXPECT_NE(other_pid, pid) << "in session mode two live clients cannot share a connection";

    for (int i = 0; i < 5; ++i) {
        // A read, a write, a read-only transaction and a read-write one: all on one backend.
        EXPECT_EQ(query_value(conn.get(), pid_sql), pid) << "single read " << i;
        ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
        EXPECT_EQ(query_value(conn.get(), pid_sql), pid) << "transaction " << i;
        ASSERT_TRUE(exec_ok(conn.get(), "INSERT INTO pooling_session_t VALUES (1)"));
        ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));
        ASSERT_TRUE(exec_ok(conn.get(), "BEGIN READ ONLY"));
        EXPECT_EQ(query_value(conn.get(), pid_sql), pid) << "read-only transaction " << i;
        EXPECT_EQ(query_value(conn.get(), port_sql), port) << "read-only transaction " << i;
        ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));
        // The other client's traffic in between does not take the connection away.
        EXPECT_EQ(query_value(other.get(), pid_sql), other_pid) << "other client, round " << i;
    }
    EXPECT_EQ(query_value(conn.get(), "SELECT count(*) FROM pooling_session_t"), "5");
    // Session state survives between transactions, as on a direct connection.
    ASSERT_TRUE(exec_ok(conn.get(), "CREATE TEMP TABLE pooling_tmp (v int)"));
    ASSERT_TRUE(exec_ok(conn.get(), "INSERT INTO pooling_tmp VALUES (7)"));
    EXPECT_EQ(query_value(conn.get(), "SELECT v FROM pooling_tmp"), "7");
    EXPECT_EQ(query_value(conn.get(), pid_sql), pid);
    EXPECT_TRUE(exec_ok(conn.get(), "DROP TABLE pooling_session_t"));
}

TEST_F(Pooling, transaction_mode_shares_one_connection_between_clients) {
    ASSERT_TRUE(relay_.start(one_connection_options()));
    pg_conn a = connect();
    pg_conn b = connect();
    ASSERT_TRUE(a && b);
    std::set<std::string> pids;
    for (int i = 0; i < 5; ++i) {
        pids.insert(query_value(a.get(), pid_sql));
        pids.insert(query_value(b.get(), pid_sql));
        ASSERT_TRUE(exec_ok(b.get(), "BEGIN"));
        pids.insert(query_value(b.get(), pid_sql));
        ASSERT_TRUE(exec_ok(b.get(), "COMMIT"));
    }
    std::string listed;
    for (const auto& p : pids)
        listed += p + " ";
    EXPECT_EQ(pids.size(), 1u) << "workers = 1, default_pool_size = 1, transaction mode: both "
                                  "clients must use the same backend; pids seen: "
                               << listed;
    EXPECT_EQ(listed.find("<error"), std::string::npos) << listed;
}

// ---- 11. min_pool_size and server_idle_timeout ---------------------------------------------

// Server connections of `user` on the primary (client backends), counted directly.
int server_connections_of(const std::string& user) {
    auto c = try_connect(superuser_login(cluster().primary_port), 2s);
    if (!c.ok()) return -1;
    const auto v =
        query_value(c.conn.get(), "SELECT count(*) FROM pg_stat_activity WHERE usename = '" + user +
                                      "' AND backend_type = 'client backend'");
    return v.rfind("<error", 0) == 0 ? -1 : std::stoi(v);
}

// Polls until `user` has `want` server connections on the primary; the last count.
int wait_for_connections(const std::string& user, int want, milliseconds wait) {
    const auto deadline = steady::now() + wait;
    int last = -1;
    while (steady::now() < deadline) {
        last = server_connections_of(user);
        if (last == want) break;
        std::this_thread::sleep_for(100ms);
    }
    return last;
}

login bob_login(std::uint16_t port) {
    return {.port = port, .user = "bob", .password = "bob-secret", .dbname = "app"};
}

TEST_F(Pooling, min_pool_size_opens_connections_and_idle_ones_time_out) {
    // bob is used by no other test: his server connections are this pgrelay's.
    ASSERT_EQ(wait_for_connections("bob", 0, 10s), 0) << "bob still has server connections";
    relay_options o;
    o.workers = 1;
    o.routing = "primary";
    o.pool_size = 5;
    o.min_pool_size = 3;
    o.server_idle_timeout = 1;
    ASSERT_TRUE(relay_.start(o));
    {
        pg_conn c = connect_or_fail(bob_login(relay_.port()));
        ASSERT_TRUE(c);
        EXPECT_EQ(query_value(c.get(), "SELECT 1"), "1");
    }
    // The pool exists once bob has used it: pgrelay fills it up to min_pool_size, and the
    // idle timeout does not take it below.
    EXPECT_EQ(wait_for_connections("bob", 3, 10s), 3);
    std::this_thread::sleep_for(2500ms);
    EXPECT_EQ(server_connections_of("bob"), 3) << "server_idle_timeout went below min_pool_size";
    relay_.stop();

    // Without a minimum, connections idle for server_idle_timeout are closed.
    EXPECT_EQ(wait_for_connections("bob", 0, 10s), 0);
    pgrelay_process relay2;
    o.min_pool_size = 0;
    ASSERT_TRUE(relay2.start(o));
    std::vector<pg_conn> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(connect_or_fail(bob_login(relay2.port())));
        ASSERT_TRUE(clients.back());
        ASSERT_TRUE(exec_ok(clients.back().get(), "BEGIN"));
        ASSERT_TRUE(exec_ok(clients.back().get(), "SELECT 1"));
    }
    EXPECT_EQ(server_connections_of("bob"), 3) << "three open transactions, three connections";
    for (auto& c : clients)
        ASSERT_TRUE(exec_ok(c.get(), "COMMIT"));
    const auto idle_since = steady::now();
    EXPECT_EQ(wait_for_connections("bob", 0, 10s), 0)
        << "idle connections outlived server_idle_timeout = 1 s";
    const auto waited = std::chrono::duration_cast<milliseconds>(steady::now() - idle_since);
    EXPECT_GE(waited.count(), 900) << "closed before server_idle_timeout";
    // The clients are still connected and get new server connections when they need them.
    EXPECT_EQ(query_value(clients.front().get(), "SELECT 2"), "2");
}

// ---- 12. RESET on a pooled connection -----------------------------------------------------

TEST_F(Pooling, reset_returns_to_the_clients_startup_value_in_its_next_transaction) {
    ASSERT_TRUE(relay_.start(one_connection_options()));
    pg_conn c = connect("application_name=startup_name");
    ASSERT_TRUE(c);
    EXPECT_EQ(query_value(c.get(), "SHOW application_name"), "startup_name");
    ASSERT_TRUE(exec_ok(c.get(), "SET application_name = 'changed'"));
    EXPECT_EQ(query_value(c.get(), "SHOW application_name"), "changed");
    ASSERT_TRUE(exec_ok(c.get(), "RESET application_name"));
    // Alone on its server connection: nothing else sets application_name in between.
    EXPECT_EQ(query_value(c.get(), "SHOW application_name"), "startup_name");
    EXPECT_EQ(query_value(c.get(), "SHOW application_name"), "startup_name");
}

TEST_F(Pooling, a_setting_made_alone_on_a_connection_does_not_reach_the_next_client) {
    ASSERT_TRUE(relay_.start(one_connection_options()));
    pg_conn fresh = connect();
    ASSERT_TRUE(fresh);
    const std::string default_path = query_value(fresh.get(), "SHOW search_path");
    const std::string pid = query_value(fresh.get(), pid_sql);
    pg_conn setter = connect();
    ASSERT_TRUE(setter);
    EXPECT_EQ(query_value(setter.get(), pid_sql), pid) << "not the shared connection";
    // Each SET is the setter's last statement before another client's.
    ASSERT_TRUE(exec_ok(setter.get(), "SET search_path = leaked_schema, public"));
    EXPECT_EQ(query_value(fresh.get(), "SHOW search_path"), default_path);
    ASSERT_TRUE(exec_ok(setter.get(), "SET statement_timeout = '12345ms'"));
    EXPECT_EQ(query_value(fresh.get(), "SHOW statement_timeout"), "0");
    EXPECT_EQ(query_value(setter.get(), "SHOW search_path"), "leaked_schema, public");
    EXPECT_EQ(query_value(setter.get(), "SHOW statement_timeout"), "12345ms");
    setter.reset();
    pg_conn late = connect();
    ASSERT_TRUE(late);
    EXPECT_EQ(query_value(late.get(), "SHOW search_path"), default_path);
    EXPECT_EQ(query_value(late.get(), pid_sql), pid);
}

// ---- 13. state that cannot be replayed pins the client --------------------------------------

TEST_F(Pooling, a_temporary_table_pins_its_client_to_its_connection) {
    relay_options o = one_connection_options();
    o.pool_size = 2;
    o.routing = "auto";
    ASSERT_TRUE(relay_.start(o));
    pg_conn a = connect();
    pg_conn b = connect();
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(exec_ok(a.get(), "CREATE TEMP TABLE pinned_tmp (v int)"));
    const std::string pid = query_value(a.get(), pid_sql);
    for (int i = 0; i < 5; ++i) {
        // Reads and writes of the temporary table stay on its connection (a read included:
        // the table exists nowhere else), while another client keeps working.
        ASSERT_TRUE(exec_ok(a.get(), "INSERT INTO pinned_tmp VALUES (" + std::to_string(i) + ")"));
        EXPECT_EQ(query_value(b.get(), "/* pgrelay:primary */ SELECT 1"), "1");
        EXPECT_EQ(query_value(a.get(), "SELECT count(*) FROM pinned_tmp"), std::to_string(i + 1));
        EXPECT_EQ(query_value(a.get(), pid_sql), pid);
        EXPECT_NE(query_value(b.get(), "/* pgrelay:primary */ " + pid_sql), pid)
            << "the pinned connection was lent out";
    }
}

}  // namespace
}  // namespace pgrelay::it
