// The admin console through psql and libpq: SHOW commands answer real result sets whose values
// follow the cluster (a standby whose replay is paused shows stale), users not in admin.users
// are refused (28000), unknown commands get 42601, PAUSE waits for running transactions and
// holds new ones until RESUME, DISABLE NODE drains a standby with no client error, and
// SHUTDOWN stops pgrelay like SIGTERM.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <future>
#include <map>
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
    ASSERT_TRUE(
        exec_ok(p.get(), "DROP TABLE IF EXISTS admin_lag_t; CREATE TABLE admin_lag_t (v int)"));
    ASSERT_TRUE(exec_ok(s1.get(), "SELECT pg_wal_replay_pause()"));
    std::string state;
    for (int i = 0; i < 60 && state != "stale"; ++i) {
        exec_ok(p.get(), "INSERT INTO admin_lag_t VALUES (1)");
        std::this_thread::sleep_for(50ms);
        pg_result r(PQexec(admin.get(), "SHOW NODES"));
        state = cell(r.get(), "standby1", "state");
    }
    EXPECT_TRUE(exec_ok(s1.get(), "SELECT pg_wal_replay_resume()"));
    EXPECT_EQ(state, "stale") << "standby1 never showed stale with its replay paused";
}

// The columns of a result, in order.
std::vector<std::string> column_names(const PGresult* r) {
    std::vector<std::string> names;
    for (int i = 0; i < PQnfields(r); ++i)
        names.emplace_back(PQfname(r, i));
    return names;
}

// The rows of `r` whose `column` is `value`, as maps of column to value.
std::vector<std::map<std::string, std::string>> rows_where(const PGresult* r,
                                                           const std::string& column,
                                                           const std::string& value) {
    std::vector<std::map<std::string, std::string>> out;
    const int c = PQfnumber(r, column.c_str());
    for (int i = 0; c >= 0 && i < PQntuples(r); ++i) {
        if (value != PQgetvalue(r, i, c)) continue;
        std::map<std::string, std::string> row;
        for (int f = 0; f < PQnfields(r); ++f)
            row[PQfname(r, f)] = PQgetisnull(r, i, f) ? "<null>" : PQgetvalue(r, i, f);
        out.push_back(std::move(row));
    }
    return out;
}

long long as_number(const std::string& s) {
    try {
        return std::stoll(s);
    } catch (...) {
        return -1;
    }
}

// SHOW CLIENTS, SERVERS and POOLS show a client inside a transaction holding its server
// connection and an idle one holding none; SHOW STATS counts the traffic by route, the bytes
// and the errors.
TEST_F(Admin, clients_servers_pools_and_stats_follow_the_traffic) {
    start();
    pg_conn admin = connect_or_fail(console());
    ASSERT_TRUE(admin);
    const auto app = [&](const std::string& name) {
        login who = alice_login(relay_.port());
        who.extra = "application_name=" + name;
        return who;
    };
    pg_conn holder = connect_or_fail(app("holder"));
    pg_conn idle = connect_or_fail(app("idler"));
    ASSERT_TRUE(holder && idle);
    ASSERT_TRUE(exec_ok(holder.get(), "BEGIN; SELECT 1"));

    pg_result clients(PQexec(admin.get(), "SHOW CLIENTS"));
    ASSERT_EQ(PQresultStatus(clients.get()), PGRES_TUPLES_OK) << PQerrorMessage(admin.get());
    EXPECT_EQ(column_names(clients.get()),
              (std::vector<std::string>{"id", "user", "database", "state", "addr", "port", "tls",
                                        "connect_time", "request_time", "wait", "wait_us", "node",
                                        "server_id", "pinned", "pool_mode", "application_name"}));
    const auto held = rows_where(clients.get(), "application_name", "holder");
    const auto free = rows_where(clients.get(), "application_name", "idler");
    ASSERT_EQ(held.size(), 1U);
    ASSERT_EQ(free.size(), 1U);
    EXPECT_EQ(held[0].at("state"), "active");
    EXPECT_EQ(held[0].at("user"), "alice");
    EXPECT_EQ(held[0].at("database"), "app");
    EXPECT_EQ(held[0].at("addr"), "127.0.0.1");
    EXPECT_EQ(held[0].at("tls"), "f");
    EXPECT_EQ(held[0].at("pool_mode"), "transaction");
    EXPECT_NE(held[0].at("node"), "<null>");
    EXPECT_NE(held[0].at("server_id"), "<null>");
    EXPECT_EQ(free[0].at("state"), "idle");
    EXPECT_EQ(free[0].at("server_id"), "<null>");

    pg_result servers(PQexec(admin.get(), "SHOW SERVERS"));
    ASSERT_EQ(PQresultStatus(servers.get()), PGRES_TUPLES_OK) << PQerrorMessage(admin.get());
    EXPECT_EQ(column_names(servers.get()),
              (std::vector<std::string>{"id", "user", "database", "node", "state", "addr", "port",
                                        "backend_pid", "tls", "connect_time", "client_id"}));
    const auto leased = rows_where(servers.get(), "id", held[0].at("server_id"));
    ASSERT_EQ(leased.size(), 1U);
    EXPECT_EQ(leased[0].at("state"), "active");
    EXPECT_EQ(leased[0].at("client_id"), held[0].at("id"));
    EXPECT_EQ(leased[0].at("node"), held[0].at("node"));
    // Its backend pid is the server's own.
    EXPECT_EQ(leased[0].at("backend_pid"), query_value(holder.get(), "SELECT pg_backend_pid()"));

    pg_result pools(PQexec(admin.get(), "SHOW POOLS"));
    ASSERT_EQ(PQresultStatus(pools.get()), PGRES_TUPLES_OK) << PQerrorMessage(admin.get());
    EXPECT_EQ(column_names(pools.get()),
              (std::vector<std::string>{"database", "user", "node", "cl_active", "cl_waiting",
                                        "sv_active", "sv_idle", "sv_login", "pool_size", "maxwait",
                                        "maxwait_us", "pool_mode"}));
    bool found = false;
    for (const auto& row : rows_where(pools.get(), "node", held[0].at("node"))) {
        if (row.at("database") != "app" || row.at("user") != "alice") continue;
        found = true;
        EXPECT_EQ(row.at("cl_active"), "1");
        EXPECT_EQ(row.at("sv_active"), "1");
        EXPECT_EQ(row.at("cl_waiting"), "0");
    }
    EXPECT_TRUE(found) << "no pool app/alice on " << held[0].at("node");
    ASSERT_TRUE(exec_ok(holder.get(), "COMMIT"));

    // Traffic: reads go to standbys, writes to the primary, one error.
    const auto stats = [&] {
        pg_result r(PQexec(admin.get(), "SHOW STATS"));
        auto rows = rows_where(r.get(), "database", "app");
        return rows.empty() ? std::map<std::string, std::string>{} : rows[0];
    };
    auto before = stats();
    ASSERT_FALSE(before.empty());
    for (int i = 0; i < 10; ++i)
        ASSERT_EQ(query_value(idle.get(), "SELECT 1"), "1");
    ASSERT_TRUE(exec_ok(idle.get(), "CREATE TEMP TABLE IF NOT EXISTS admin_t (v int)"));
    pg_conn writer = connect_or_fail(app("writer"));
    ASSERT_TRUE(writer);
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(exec_ok(writer.get(), "SELECT pg_advisory_xact_lock(1)"));
    ASSERT_TRUE(exec_fails_with(writer.get(), "SELECT 1/0", "22012"));
    auto after = stats();
    const auto grew = [&](const std::string& column) {
        return as_number(after[column]) - as_number(before[column]);
    };
    EXPECT_GE(grew("standby_query_count"), 10) << "reads on standbys";
    EXPECT_GE(grew("primary_xact_count"), 5) << "writes on the primary";
    EXPECT_GE(grew("total_xact_count"), 16);
    EXPECT_GE(grew("total_errors"), 1);
    EXPECT_GT(grew("total_received"), 10 * 14);  // ten Query messages at least
    EXPECT_GT(grew("total_sent"), 0);
    EXPECT_GT(grew("total_query_time"), 0);
    EXPECT_GE(as_number(after["avg_query_time"]), 0);
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
