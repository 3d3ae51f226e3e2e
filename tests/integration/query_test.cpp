// Plain query traffic through pgrelay: simple and extended protocol via libpq, psql, named
// prepared statements, pipeline mode with several Syncs in flight, an error inside a
// transaction followed by ROLLBACK, and SSLRequest being declined so sslmode=prefer works.
#include <gtest/gtest.h>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/raw_client.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

class relay_query : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_TRUE(relay_.start()); }
    pgrelay_process relay_;
};

TEST_F(relay_query, simple_query_via_libpq) {
    pg_conn conn = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(conn);
    EXPECT_EQ(query_value(conn.get(), "SELECT 40 + 2"), "42");
    EXPECT_EQ(query_value(conn.get(), "SELECT current_user || '@' || current_database()"),
              "alice@app");
    // The statement ran on the primary (pgrelay's first node).
    EXPECT_EQ(query_value(conn.get(), "SELECT inet_server_port()::text"),
              std::to_string(cluster().primary_port));
    EXPECT_EQ(query_value(conn.get(), "SELECT pg_is_in_recovery()::text"), "false");

    // Several statements in one Query message: one result each, the last one returned.
    pg_result multi(PQexec(conn.get(), "SELECT 1; SELECT 'two'; SELECT 3 AS three"));
    ASSERT_EQ(PQresultStatus(multi.get()), PGRES_TUPLES_OK) << PQerrorMessage(conn.get());
    EXPECT_STREQ(PQfname(multi.get(), 0), "three");
    EXPECT_STREQ(PQgetvalue(multi.get(), 0, 0), "3");

    // Rows and NULLs survive the trip.
    pg_result rows(PQexec(conn.get(),
                          "SELECT g, CASE WHEN g % 2 = 0 THEN NULL ELSE repeat('x', g) END "
                          "FROM generate_series(1, 1000) g"));
    ASSERT_EQ(PQresultStatus(rows.get()), PGRES_TUPLES_OK) << PQerrorMessage(conn.get());
    ASSERT_EQ(PQntuples(rows.get()), 1000);
    EXPECT_TRUE(PQgetisnull(rows.get(), 1, 1));
    EXPECT_EQ(PQgetlength(rows.get(), 998, 1), 999);

    // Extended protocol (Parse/Bind/Execute/Sync) with parameters.
    const char* params[] = {"21", "hello"};
    pg_result ext(PQexecParams(conn.get(), "SELECT $1::int * 2, upper($2)", 2, nullptr, params,
                               nullptr, nullptr, 0));
    ASSERT_EQ(PQresultStatus(ext.get()), PGRES_TUPLES_OK) << PQerrorMessage(conn.get());
    EXPECT_STREQ(PQgetvalue(ext.get(), 0, 0), "42");
    EXPECT_STREQ(PQgetvalue(ext.get(), 0, 1), "HELLO");
    EXPECT_EQ(PQtransactionStatus(conn.get()), PQTRANS_IDLE);
}

TEST_F(relay_query, psql_runs_a_script) {
    auto result =
        run_psql(alice_login(relay_.port()),
                 {"-c", "DROP TABLE IF EXISTS psql_t", "-c",
                  "CREATE TABLE psql_t (id int PRIMARY KEY, v text)", "-c",
                  "INSERT INTO psql_t SELECT g, 'v' || g FROM generate_series(1, 100) g", "-c",
                  "SELECT count(*), max(v) FROM psql_t WHERE id > 50", "-c", "DROP TABLE psql_t"});
    ASSERT_TRUE(result.ok()) << result.describe();
    EXPECT_NE(result.out.find("50|v99"), std::string::npos) << result.describe();

    auto failing = run_psql(alice_login(relay_.port()), {"-c", "SELECT 1/0"});
    EXPECT_EQ(failing.exit_code, 1) << failing.describe();
    EXPECT_NE(failing.err.find("division by zero"), std::string::npos) << failing.describe();
}

TEST_F(relay_query, error_in_transaction_then_rollback_keeps_the_connection) {
    pg_conn conn = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(conn);
    ASSERT_TRUE(exec_ok(conn.get(), "DROP TABLE IF EXISTS tx_t"));
    ASSERT_TRUE(exec_ok(conn.get(), "CREATE TABLE tx_t (id int PRIMARY KEY)"));

    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
    EXPECT_EQ(PQtransactionStatus(conn.get()), PQTRANS_INTRANS);
    ASSERT_TRUE(exec_ok(conn.get(), "INSERT INTO tx_t VALUES (1)"));
    EXPECT_TRUE(exec_fails_with(conn.get(), "SELECT 1/0", "22012"));
    EXPECT_EQ(PQtransactionStatus(conn.get()), PQTRANS_INERROR);
    EXPECT_TRUE(exec_fails_with(conn.get(), "SELECT 1", "25P02"));
    ASSERT_TRUE(exec_ok(conn.get(), "ROLLBACK"));
    EXPECT_EQ(PQtransactionStatus(conn.get()), PQTRANS_IDLE);

    EXPECT_EQ(query_value(conn.get(), "SELECT count(*) FROM tx_t"), "0");
    EXPECT_EQ(query_value(conn.get(), "SELECT 'still works'"), "still works");

    // A failing statement outside a transaction, and a duplicate key inside a committed one.
    EXPECT_TRUE(exec_fails_with(conn.get(), "SELECT * FROM no_such_table", "42P01"));
    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
    ASSERT_TRUE(exec_ok(conn.get(), "INSERT INTO tx_t VALUES (7)"));
    ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));
    EXPECT_TRUE(exec_fails_with(conn.get(), "INSERT INTO tx_t VALUES (7)", "23505"));
    EXPECT_EQ(query_value(conn.get(), "SELECT count(*) FROM tx_t"), "1");
    ASSERT_TRUE(exec_ok(conn.get(), "DROP TABLE tx_t"));
}

TEST_F(relay_query, named_prepared_statements_across_transactions) {
    pg_conn conn = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(conn);
    pg_result prep(PQprepare(conn.get(), "double_it", "SELECT $1::int * 2", 1, nullptr));
    ASSERT_EQ(PQresultStatus(prep.get()), PGRES_COMMAND_OK) << PQerrorMessage(conn.get());
    for (int i = 0; i < 20; ++i) {
        std::string arg = std::to_string(i);
        const char* params[] = {arg.c_str()};
        if (i % 5 == 0) {
            ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
        }
        pg_result r(PQexecPrepared(conn.get(), "double_it", 1, params, nullptr, nullptr, 0));
        ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK)
            << "execution " << i << ": " << PQerrorMessage(conn.get());
        EXPECT_EQ(std::string(PQgetvalue(r.get(), 0, 0)), std::to_string(i * 2));
        if (i % 5 == 4) {
            ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));
        }
    }
    pg_result dup(PQprepare(conn.get(), "double_it", "SELECT 1", 0, nullptr));
    EXPECT_EQ(sqlstate(dup.get()), "42P05") << "preparing a name twice must fail like PostgreSQL";
    ASSERT_TRUE(exec_ok(conn.get(), "DEALLOCATE double_it"));
    pg_result gone(PQexecPrepared(conn.get(), "double_it", 0, nullptr, nullptr, nullptr, 0));
    EXPECT_EQ(sqlstate(gone.get()), "26000");
}

TEST_F(relay_query, pipeline_with_several_syncs_and_an_error) {
    pg_conn conn = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(conn);
    ASSERT_EQ(PQenterPipelineMode(conn.get()), 1);
    const char* one[] = {"1"};
    ASSERT_EQ(
        PQsendQueryParams(conn.get(), "SELECT $1::int + 1", 1, nullptr, one, nullptr, nullptr, 0),
        1);
    ASSERT_EQ(PQpipelineSync(conn.get()), 1);
    ASSERT_EQ(PQsendQueryParams(conn.get(), "SELECT 1/0", 0, nullptr, nullptr, nullptr, nullptr, 0),
              1);
    ASSERT_EQ(
        PQsendQueryParams(conn.get(), "SELECT 'skipped'", 0, nullptr, nullptr, nullptr, nullptr, 0),
        1);
    ASSERT_EQ(PQpipelineSync(conn.get()), 1);
    ASSERT_EQ(
        PQsendQueryParams(conn.get(), "SELECT 'after'", 0, nullptr, nullptr, nullptr, nullptr, 0),
        1);
    ASSERT_EQ(PQpipelineSync(conn.get()), 1);
    ASSERT_EQ(PQflush(conn.get()), 0);

    // Each query yields its result then a NULL; each Sync yields PGRES_PIPELINE_SYNC.
    std::vector<std::string> seen;
    int syncs = 0;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (syncs < 3) {
        bool timed_out = false;
        pg_result r = get_result_until(conn.get(), deadline, &timed_out);
        if (timed_out) {
            seen.push_back("timed out");
            break;
        }
        if (!r) {
            if (PQstatus(conn.get()) == CONNECTION_BAD) break;
            continue;
        }
        auto status = PQresultStatus(r.get());
        if (status == PGRES_PIPELINE_SYNC) {
            ++syncs;
            seen.push_back("sync");
        } else if (status == PGRES_TUPLES_OK) {
            seen.push_back(PQgetvalue(r.get(), 0, 0));
        } else if (status == PGRES_FATAL_ERROR) {
            seen.push_back("error " + sqlstate(r.get()));
        } else if (status == PGRES_PIPELINE_ABORTED) {
            seen.push_back("aborted");
        } else {
            seen.push_back(PQresStatus(status));
        }
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"2", "sync", "error 22012", "aborted", "sync",
                                              "after", "sync"}))
        << PQerrorMessage(conn.get());
    ASSERT_EQ(PQexitPipelineMode(conn.get()), 1) << PQerrorMessage(conn.get());
    EXPECT_EQ(query_value(conn.get(), "SELECT 'idle again'"), "idle again");
}

TEST_F(relay_query, ssl_request_is_declined_and_sslmode_prefer_falls_back) {
    raw_client raw;
    ASSERT_TRUE(raw.connect(relay_.port()));
    ASSERT_TRUE(raw.send(ssl_request()));
    auto answer = raw.read_at_least(1, 5s);
    ASSERT_EQ(answer.data, "N") << describe(answer);
    // The same connection goes on with a plain startup packet.
    ASSERT_TRUE(raw.send(startup_packet({{"user", "alice"}, {"database", "app"}})));
    backend_message m;
    ASSERT_TRUE(raw.read_message(m, 5s));
    EXPECT_EQ(m.type, 'R') << "expected an authentication request after the declined SSLRequest";

    login who = alice_login(relay_.port());
    who.sslmode = "prefer";
    pg_conn conn = connect_or_fail(who);
    ASSERT_TRUE(conn);
    EXPECT_EQ(PQsslInUse(conn.get()), 0);
    EXPECT_EQ(query_value(conn.get(), "SELECT 'plain'"), "plain");
}

}  // namespace
}  // namespace pgrelay::it
