// Transparent transaction pooling on the shared cluster: a client's session state follows it
// from server connection to server connection (settings, roles, SQL-prepared statements),
// what cannot follow pins it until it is gone (temporary tables, LISTEN, advisory locks, WITH
// HOLD cursors), max_pinned_fraction refuses a pin with 53400 instead of exhausting a pool, and
// none of one client's state is ever visible to another client of the same pool.
#include <gtest/gtest.h>
#include <poll.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/node_routing.hpp"
#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/raw_client.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

const std::string pid_sql = "SELECT pg_backend_pid()::text";

// What a client of the pool sees of the server session it runs on, in one row: its role,
// settings, and every kind of session object another client could have left behind.
const std::string probe_sql =
    "/* pgrelay:primary */ SELECT pg_backend_pid() || '|' || current_user || '|' || session_user "
    "|| '|' || current_setting('search_path') || '|' || current_setting('TimeZone') || '|' || "
    "current_setting('DateStyle') || '|' || coalesce(current_setting('myapp.tenant', true), '') "
    "|| '|' || (SELECT count(*) FROM pg_prepared_statements WHERE name NOT LIKE 'pgrelay\\_%') "
    "|| '|' || (SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()) || '|' "
    "|| (SELECT count(*) FROM pg_listening_channels()) || '|' || (SELECT count(*) FROM pg_locks "
    "WHERE locktype = 'advisory' AND pid = pg_backend_pid()) || '|' || (SELECT count(*) FROM "
    "pg_cursors)";

std::string without_pid(const std::string& probe) {
    return probe.substr(probe.find('|') + 1);
}

std::string pid_of(const std::string& probe) {
    return probe.substr(0, probe.find('|'));
}

using notify_ptr = std::unique_ptr<PGnotify, decltype(&PQfreemem)>;

notify_ptr wait_for_notify(PGconn* conn, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (PQconsumeInput(conn) == 0) return {nullptr, &PQfreemem};
        if (PGnotify* n = PQnotifies(conn)) return {n, &PQfreemem};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return {nullptr, &PQfreemem};
        pollfd pfd{PQsocket(conn), POLLIN, 0};
        ::poll(&pfd, 1, static_cast<int>(left.count()));
    }
}

// The client under test and three others, all postgres on database app, one worker, two server
// connections per node. Every transaction of the tested client is preceded by rotate(): another
// client opens a transaction on the connection the tested client used last (the only idle
// one), so the tested client's next transaction lands on the other connection; that client
// then looks at everything the tested client could have left on it.
class SessionState : public ::testing::Test {
  protected:
    void SetUp() override { PGRELAY_IT_REQUIRE_RELAY(); }

    void start(double max_pinned_fraction = 1.0) {
        relay_options o;
        o.nodes = all_cluster_nodes();
        o.workers = 1;
        o.pool_size = 2;
        o.routing = "auto";
        o.query_wait_timeout = 10;  // a client waiting for a connection fails fast
        o.extra_toml =
            "[databases.app]\nmax_pinned_fraction = " + std::to_string(max_pinned_fraction) + "\n";
        ASSERT_TRUE(relay_.start(o));
        ASSERT_TRUE(wait_for_topology(relay_));
    }

    login app_superuser(const std::string& extra = "") const {
        login who = superuser_login(relay_.port());
        who.dbname = "app";
        who.extra = extra;
        return who;
    }

    // Connects the tested client (with `extra` connection settings) and the three others; the
    // others' clean view of a session is recorded first.
    void connect_all(const std::string& extra = "") {
        for (auto& o : others_) {
            o = connect_or_fail(app_superuser("application_name=other"));
            ASSERT_TRUE(o);
        }
        clean_ = without_pid(query_value(others_[0].get(), probe_sql));
        t_ = connect_or_fail(app_superuser(extra));
        ASSERT_TRUE(t_);
        // Every transaction of the tested client goes to the primary, where the others look.
        ASSERT_TRUE(exec_ok(t_.get(), "SET pgrelay.route = primary"));
        last_pid_ = query_value(t_.get(), pid_sql);
    }

    // Another client takes the connection the tested client used last and checks that nothing
    // of the tested client's session is on it. `t_pinned`: the tested client keeps its
    // connection, so the other one is free (and the holder lets go of it first).
    void rotate(bool t_pinned = false) {
        if (t_pinned && holder_ >= 0) {
            ASSERT_TRUE(exec_ok(others_[holder_].get(), "COMMIT"));
            holder_ = -1;
        }
        const int next = next_other_;
        next_other_ = (next_other_ + 1) % 3;
        PGconn* o = others_[next].get();
        ASSERT_TRUE(exec_ok(o, "BEGIN"));
        const std::string seen = query_value(o, probe_sql);
        if (!t_pinned) {
            EXPECT_EQ(pid_of(seen), last_pid_) << "the other client did not get the tested "
                                                  "client's last connection";
        } else {
            EXPECT_NE(pid_of(seen), last_pid_) << "the pinned connection was lent out";
        }
        EXPECT_EQ(without_pid(seen), clean_) << "the tested client's session leaked";
        if (holder_ >= 0) {
            ASSERT_TRUE(exec_ok(others_[holder_].get(), "COMMIT"));
        }
        holder_ = next;
    }

    // The tested client's backend now; with `moved`, it must differ from the last one.
    void t_connection(bool moved) {
        const std::string pid = query_value(t_.get(), pid_sql);
        ASSERT_TRUE(!pid.empty() && pid.find_first_not_of("0123456789") == std::string::npos)
            << pid;
        if (moved) {
            EXPECT_NE(pid, last_pid_) << "the tested client stayed on its connection";
        } else {
            EXPECT_EQ(pid, last_pid_) << "the pinned client moved";
        }
        last_pid_ = pid;
    }

    void TearDown() override {
        if (holder_ >= 0 && others_[holder_]) exec_ok(others_[holder_].get(), "COMMIT");
    }

    pgrelay_process relay_;
    pg_conn t_;
    std::array<pg_conn, 3> others_;
    std::string clean_;
    std::string last_pid_;
    int holder_ = -1;
    int next_other_ = 0;
};

TEST_F(SessionState, set_role_follows_its_client_and_stops_what_the_role_may_not_do) {
    start();
    connect_all();
    ASSERT_TRUE(exec_ok(t_.get(), "SET ROLE bob"));
    for (int i = 0; i < 3; ++i) {
        rotate();
        EXPECT_TRUE(exec_fails_with(t_.get(), "CREATE TABLE bob_may_not (a int)", "42501"));
        EXPECT_EQ(query_value(t_.get(), "SELECT current_user"), "bob");
        t_connection(true);
    }
    ASSERT_TRUE(exec_ok(t_.get(), "RESET ROLE"));
    rotate();
    EXPECT_EQ(query_value(t_.get(), "SELECT current_user"), "postgres");
    t_connection(true);
}

TEST_F(SessionState, set_session_authorization_follows_its_client) {
    start();
    connect_all();
    ASSERT_TRUE(exec_ok(t_.get(), "SET SESSION AUTHORIZATION bob"));
    for (int i = 0; i < 2; ++i) {
        rotate();
        EXPECT_EQ(query_value(t_.get(), "SELECT session_user || ',' || current_user"), "bob,bob");
        EXPECT_TRUE(exec_fails_with(t_.get(), "CREATE TABLE bob_may_not (a int)", "42501"));
        t_connection(true);
    }
    ASSERT_TRUE(exec_ok(t_.get(), "RESET SESSION AUTHORIZATION"));
    rotate();
    EXPECT_EQ(query_value(t_.get(), "SELECT session_user"), "postgres");
}

TEST_F(SessionState, settings_and_startup_options_follow_their_client) {
    start();
    connect_all("options='-c DateStyle=SQL,DMY -c search_path=startup_path'");
    EXPECT_EQ(query_value(t_.get(), "SHOW DateStyle"), "SQL, DMY");
    EXPECT_EQ(query_value(t_.get(), "SHOW search_path"), "startup_path");
    ASSERT_TRUE(exec_ok(t_.get(), "SET search_path = app_schema, public"));
    ASSERT_TRUE(exec_ok(t_.get(), "SET TimeZone = 'Asia/Tokyo'"));
    ASSERT_TRUE(exec_ok(t_.get(), "SET DateStyle = 'German'"));
    ASSERT_TRUE(exec_ok(t_.get(), "SET myapp.tenant = 'acme'"));
    // A rolled-back SET is undone; SET LOCAL ends with its transaction.
    ASSERT_TRUE(exec_ok(t_.get(), "BEGIN; SET myapp.tenant = 'rolled_back'; ROLLBACK"));
    ASSERT_TRUE(exec_ok(t_.get(), "BEGIN; SET LOCAL TimeZone = 'UTC'; COMMIT"));
    for (int i = 0; i < 3; ++i) {
        rotate();
        EXPECT_EQ(query_value(t_.get(),
                              "SELECT current_setting('search_path') || '|' || "
                              "current_setting('TimeZone') || '|' || current_setting('DateStyle') "
                              "|| '|' || current_setting('myapp.tenant')"),
                  "app_schema, public|Asia/Tokyo|German, DMY|acme");
        t_connection(true);
    }
    // ParameterStatus: the client was told its own values, not another client's.
    EXPECT_STREQ(PQparameterStatus(t_.get(), "DateStyle"), "German, DMY");
    EXPECT_STREQ(PQparameterStatus(t_.get(), "TimeZone"), "Asia/Tokyo");
    EXPECT_STREQ(PQparameterStatus(others_[0].get(), "DateStyle"), "ISO, MDY");
    EXPECT_STREQ(PQparameterStatus(others_[0].get(), "application_name"), "other");
    // RESET goes back to the startup value, at once and on the next connection.
    ASSERT_TRUE(exec_ok(t_.get(), "RESET DateStyle"));
    EXPECT_STREQ(PQparameterStatus(t_.get(), "DateStyle"), "SQL, DMY");
    rotate();
    EXPECT_EQ(query_value(t_.get(), "SHOW DateStyle"), "SQL, DMY");
    t_connection(true);
    ASSERT_TRUE(exec_ok(t_.get(), "BEGIN; RESET DateStyle; SELECT 1"));
    EXPECT_EQ(query_value(t_.get(), "SHOW DateStyle"), "SQL, DMY") << "in the same transaction";
    ASSERT_TRUE(exec_ok(t_.get(), "COMMIT"));
    ASSERT_TRUE(exec_ok(t_.get(), "RESET ALL"));
    rotate();
    EXPECT_EQ(query_value(t_.get(),
                          "SELECT current_setting('search_path') || '|' || "
                          "current_setting('DateStyle') || '|' || "
                          "coalesce(current_setting('myapp.tenant', true), '')"),
              "startup_path|SQL, DMY|");
}

TEST_F(SessionState, a_temporary_table_pins_until_it_is_dropped) {
    start();
    connect_all();
    ASSERT_TRUE(exec_ok(t_.get(), "CREATE TEMP TABLE t_tmp (v int)"));
    t_connection(false);
    for (int i = 0; i < 3; ++i) {
        rotate(true);
        ASSERT_TRUE(exec_ok(t_.get(), "INSERT INTO t_tmp VALUES (" + std::to_string(i) + ")"));
        EXPECT_EQ(query_value(t_.get(), "SELECT count(*) FROM t_tmp"), std::to_string(i + 1));
        t_connection(false);
    }
    ASSERT_TRUE(exec_ok(t_.get(), "DROP TABLE t_tmp"));
    rotate();
    t_connection(true);
    EXPECT_TRUE(exec_fails_with(t_.get(), "SELECT * FROM t_tmp", "42P01"));
    // DISCARD TEMP unpins as well.
    ASSERT_TRUE(exec_ok(t_.get(), "CREATE TEMP TABLE t_tmp2 (v int)"));
    t_connection(false);
    rotate(true);
    ASSERT_TRUE(exec_ok(t_.get(), "DISCARD TEMP"));
    rotate();
    t_connection(true);
}

TEST_F(SessionState, listen_pins_and_receives_notifications_until_unlisten) {
    start();
    connect_all();
    ASSERT_TRUE(exec_ok(t_.get(), "LISTEN t_channel"));
    t_connection(false);
    rotate(true);
    ASSERT_TRUE(exec_ok(others_[holder_].get(), "NOTIFY t_channel, 'hello'"));
    ASSERT_TRUE(exec_ok(others_[holder_].get(), "COMMIT"));
    holder_ = -1;
    auto n = wait_for_notify(t_.get(), 10s);
    ASSERT_TRUE(n) << "the notification did not reach the listening client";
    EXPECT_STREQ(n->relname, "t_channel");
    EXPECT_STREQ(n->extra, "hello");
    t_connection(false);
    ASSERT_TRUE(exec_ok(t_.get(), "UNLISTEN *"));
    rotate();
    t_connection(true);
}

TEST_F(SessionState, a_session_advisory_lock_pins_and_is_held_for_everyone_else) {
    start();
    connect_all();
    EXPECT_EQ(query_value(t_.get(), "SELECT pg_advisory_lock(4242)::text"), "");
    t_connection(false);
    rotate(true);
    // (A transaction-level try: a session-level one would pin the other client too.)
    EXPECT_EQ(query_value(others_[holder_].get(), "SELECT pg_try_advisory_xact_lock(4242)::text"),
              "false")
        << "another client must see the lock held";
    EXPECT_EQ(query_value(t_.get(),
                          "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                          "AND pid = pg_backend_pid()"),
              "1");
    t_connection(false);
    EXPECT_EQ(query_value(t_.get(), "SELECT pg_advisory_unlock(4242)::text"), "true");
    rotate();
    t_connection(true);
    EXPECT_EQ(query_value(others_[holder_].get(), "SELECT pg_try_advisory_xact_lock(4242)::text"),
              "true");
}

TEST_F(SessionState, a_with_hold_cursor_is_fetched_across_transactions) {
    start();
    connect_all();
    ASSERT_TRUE(exec_ok(t_.get(),
                        "BEGIN; DECLARE c CURSOR WITH HOLD FOR SELECT "
                        "generate_series(1, 9) AS n; COMMIT"));
    t_connection(false);
    for (int i = 0; i < 3; ++i) {
        rotate(true);
        pg_result r(PQexec(t_.get(), "FETCH 3 FROM c"));
        ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQerrorMessage(t_.get());
        ASSERT_EQ(PQntuples(r.get()), 3);
        EXPECT_STREQ(PQgetvalue(r.get(), 0, 0), std::to_string(3 * i + 1).c_str());
        t_connection(false);
    }
    ASSERT_TRUE(exec_ok(t_.get(), "CLOSE c"));
    rotate();
    t_connection(true);
}

TEST_F(SessionState, sql_prepared_statements_follow_their_client) {
    start();
    connect_all();
    ASSERT_TRUE(exec_ok(t_.get(), "PREPARE doubled (int) AS SELECT $1 * 2"));
    for (int i = 1; i <= 3; ++i) {
        rotate();
        EXPECT_EQ(query_value(t_.get(), "EXECUTE doubled (" + std::to_string(i) + ")"),
                  std::to_string(i * 2));
        t_connection(true);
    }
    // A name another client prepares differently is its own.
    ASSERT_TRUE(exec_ok(others_[0].get(), "COMMIT"));
    if (holder_ == 0) holder_ = -1;
    ASSERT_TRUE(exec_ok(others_[0].get(), "PREPARE doubled (int) AS SELECT $1 * 3"));
    EXPECT_EQ(query_value(others_[0].get(), "EXECUTE doubled (1)"), "3");
    EXPECT_EQ(query_value(t_.get(), "EXECUTE doubled (1)"), "2");
    ASSERT_TRUE(exec_ok(others_[0].get(), "DEALLOCATE doubled"));
    ASSERT_TRUE(exec_ok(t_.get(), "DEALLOCATE doubled"));
    rotate();
    EXPECT_TRUE(exec_fails_with(t_.get(), "EXECUTE doubled (1)", "26000"));
}

TEST_F(SessionState, max_pinned_fraction_refuses_a_pin_with_53400_naming_the_statement) {
    start(0.5);  // one pinned client per node out of two connections
    pg_conn a = connect_or_fail(app_superuser());
    pg_conn b = connect_or_fail(app_superuser());
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(exec_ok(a.get(), "CREATE TEMP TABLE a_tmp (v int)"));
    pg_result r(PQexec(b.get(), "CREATE TEMP TABLE b_tmp (v int)"));
    EXPECT_EQ(sqlstate(r.get()), "53400");
    const std::string message = PQresultErrorField(r.get(), PG_DIAG_MESSAGE_PRIMARY);
    EXPECT_NE(message.find("CREATE TEMP TABLE b_tmp"), std::string::npos) << message;
    EXPECT_NE(message.find("max_pinned_fraction"), std::string::npos) << message;
    // The extended protocol is refused the same way, and the client goes on.
    pg_result e(PQexecParams(b.get(), "CREATE TEMP TABLE b_tmp (v int)", 0, nullptr, nullptr,
                             nullptr, nullptr, 0));
    EXPECT_EQ(sqlstate(e.get()), "53400");
    EXPECT_EQ(query_value(b.get(), "SELECT 1"), "1");
    EXPECT_TRUE(exec_fails_with(b.get(), "SELECT * FROM b_tmp", "42P01"));
    // Inside a transaction the refusal aborts it, as a server error would.
    ASSERT_TRUE(exec_ok(b.get(), "BEGIN"));
    EXPECT_TRUE(exec_fails_with(b.get(), "LISTEN b_channel", "53400"));
    EXPECT_TRUE(exec_fails_with(b.get(), "SELECT 1", "25P02"));
    ASSERT_TRUE(exec_ok(b.get(), "ROLLBACK"));
    // Once a lets go, b may pin.
    ASSERT_TRUE(exec_ok(a.get(), "DISCARD ALL"));
    ASSERT_TRUE(exec_ok(b.get(), "CREATE TEMP TABLE b_tmp (v int)"));
    EXPECT_EQ(query_value(b.get(), "SELECT count(*) FROM b_tmp"), "0");
}

TEST_F(SessionState, replayed_settings_apply_on_standbys_too) {
    start();
    pg_conn c = connect_or_fail(app_superuser());
    ASSERT_TRUE(c);
    ASSERT_TRUE(exec_ok(c.get(), "SET search_path = standby_schema, public"));
    ASSERT_TRUE(exec_ok(c.get(), "SET myapp.tenant = 'on_standby'"));
    ASSERT_TRUE(exec_ok(c.get(), "PREPARE on_standby AS SELECT pg_is_in_recovery()::text"));
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(query_value(c.get(),
                              "SELECT pg_is_in_recovery()::text || '|' || "
                              "current_setting('search_path') || '|' || "
                              "current_setting('myapp.tenant')"),
                  "true|standby_schema, public|on_standby");
        EXPECT_EQ(query_value(c.get(), "EXECUTE on_standby"), "true")
            << "EXECUTE goes wherever its transaction runs";
    }
}

// A driver that sends its settings as startup parameters (as pgjdbc does with
// extra_float_digits) gets them applied, as PostgreSQL would.
TEST_F(SessionState, driver_startup_parameters_are_applied) {
    relay_options o;
    o.auth_method = "trust";
    o.workers = 1;
    o.pool_size = 2;
    ASSERT_TRUE(relay_.start(o));
    raw_client jdbc;
    ASSERT_TRUE(jdbc.connect(relay_.port()));
    ASSERT_TRUE(jdbc.send(startup_packet({{"user", "alice"},
                                          {"database", "app"},
                                          {"client_encoding", "UTF8"},
                                          {"DateStyle", "ISO"},
                                          {"TimeZone", "Europe/Paris"},
                                          {"extra_float_digits", "3"},
                                          {"application_name", "PostgreSQL JDBC Driver"}})));
    backend_message m;
    std::string date_style;
    do {
        ASSERT_TRUE(jdbc.read_message(m, 10s)) << "no ReadyForQuery after login";
        ASSERT_NE(m.type, 'E') << error_fields(m.body)['M'];
    } while (m.type != 'Z');
    ASSERT_TRUE(jdbc.send(
        typed_message('Q', std::string("SELECT current_setting('extra_float_digits') || '|' || "
                                       "current_setting('TimeZone') || '|' || "
                                       "current_setting('application_name')") +
                               '\0')));
    std::string value;
    do {
        ASSERT_TRUE(jdbc.read_message(m, 10s));
        ASSERT_NE(m.type, 'E') << error_fields(m.body)['M'];
        if (m.type == 'D') value = m.body.substr(6);  // one column: count, length, bytes
    } while (m.type != 'Z');
    EXPECT_EQ(value, "3|Europe/Paris|PostgreSQL JDBC Driver");
    // An invalid startup parameter gets the server's own error.
    raw_client bad;
    ASSERT_TRUE(bad.connect(relay_.port()));
    ASSERT_TRUE(
        bad.send(startup_packet({{"user", "alice"}, {"database", "app"}, {"work_mem", "lots"}})));
    ASSERT_TRUE(bad.read_message(m, 10s));
    while (m.type != 'E' && bad.read_message(m, 10s)) {
    }
    ASSERT_EQ(m.type, 'E');
    EXPECT_EQ(error_fields(m.body)['C'], "22023");
    EXPECT_NE(error_fields(m.body)['M'].find("work_mem"), std::string::npos);
}

}  // namespace
}  // namespace pgrelay::it
