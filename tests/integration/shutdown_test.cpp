// Stopping pgrelay without cutting anyone off: SIGTERM closes the listener, ends idle clients
// with 57P01 at once, lets running transactions commit (up to shutdown_timeout, after which
// they are ended too) and exits 0; pgbench running through it loses no committed work; and
// with listen.reuse_port a second pgrelay on the same port takes over without a refused
// connection attempt.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "tests/integration/node_routing.hpp"
#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

class Shutdown : public ::testing::Test {
  protected:
    void SetUp() override { PGRELAY_IT_REQUIRE_RELAY(); }

    login app_superuser(std::uint16_t port) const {
        login who = superuser_login(port);
        who.dbname = "app";
        return who;
    }

    // A fresh table on the primary for this test's rows.
    void make_table(const std::string& name) {
        pg_conn p = connect_or_fail(app_superuser(cluster().primary_port));
        ASSERT_TRUE(p);
        ASSERT_TRUE(exec_ok(
            p.get(), "DROP TABLE IF EXISTS " + name + "; CREATE TABLE " + name + " (v int)"));
    }

    std::string count_on_primary(const std::string& table) {
        pg_conn p = connect_or_fail(app_superuser(cluster().primary_port));
        return p ? query_value(p.get(), "SELECT count(*)::text FROM " + table) : "no primary";
    }

    pgrelay_process relay_;
};

// "ok", or why the statement failed: "57P01" for pgrelay's shutdown message (which libpq
// reports as the connection's error when it came while the client was idle), else the error.
std::string failure_of(PGconn* conn, const std::string& sql) {
    pg_result r(PQexec(conn, sql.c_str()));
    if (PQresultStatus(r.get()) == PGRES_COMMAND_OK || PQresultStatus(r.get()) == PGRES_TUPLES_OK)
        return "ok";
    const std::string code = sqlstate(r.get());
    if (!code.empty()) return code;
    const std::string message = PQerrorMessage(conn);
    if (message.find("FATAL:  terminating connection due to administrator command") !=
        std::string::npos)
        return "57P01";
    return "closed: " + message;
}

TEST_F(Shutdown, sigterm_lets_running_transactions_commit_and_exits_0) {
    make_table("shutdown_commit_t");
    relay_options o;
    o.shutdown_timeout = 20;
    ASSERT_TRUE(relay_.start(o));
    pg_conn busy = connect_or_fail(app_superuser(relay_.port()));
    pg_conn idle = connect_or_fail(app_superuser(relay_.port()));
    ASSERT_TRUE(busy && idle);
    ASSERT_TRUE(exec_ok(busy.get(), "BEGIN"));
    ASSERT_TRUE(exec_ok(busy.get(), "INSERT INTO shutdown_commit_t VALUES (1)"));

    relay_.send_signal(SIGTERM);
    std::this_thread::sleep_for(300ms);
    // The idle client was told and let go; nobody new gets in.
    EXPECT_EQ(failure_of(idle.get(), "SELECT 1"), "57P01");
    auto late = try_connect(app_superuser(relay_.port()), 2s);
    EXPECT_FALSE(late.ok()) << "a new client was accepted during the shutdown";
    // The running transaction goes on and commits.
    EXPECT_TRUE(exec_ok(busy.get(), "INSERT INTO shutdown_commit_t VALUES (2)"));
    EXPECT_TRUE(exec_ok(busy.get(), "COMMIT"));
    const auto code = relay_.wait_exit(5s);
    ASSERT_TRUE(code.has_value()) << "pgrelay did not exit once its last transaction ended";
    EXPECT_EQ(*code, 0);
    EXPECT_EQ(count_on_primary("shutdown_commit_t"), "2");
    EXPECT_NE(failure_of(busy.get(), "SELECT 1"), "ok");
}

TEST_F(Shutdown, a_transaction_past_shutdown_timeout_is_ended_with_57P01) {
    make_table("shutdown_cut_t");
    relay_options o;
    o.shutdown_timeout = 1;
    ASSERT_TRUE(relay_.start(o));
    pg_conn busy = connect_or_fail(app_superuser(relay_.port()));
    ASSERT_TRUE(busy);
    ASSERT_TRUE(exec_ok(busy.get(), "BEGIN"));
    ASSERT_TRUE(exec_ok(busy.get(), "INSERT INTO shutdown_cut_t VALUES (1)"));
    const auto signalled = std::chrono::steady_clock::now();
    relay_.send_signal(SIGTERM);
    const auto code = relay_.wait_exit(5s);
    ASSERT_TRUE(code.has_value()) << "pgrelay still runs after shutdown_timeout";
    EXPECT_EQ(*code, 0);
    EXPECT_GE(std::chrono::steady_clock::now() - signalled, 900ms)
        << "the transaction was not given its shutdown_timeout";
    EXPECT_EQ(failure_of(busy.get(), "COMMIT"), "57P01");
    EXPECT_EQ(count_on_primary("shutdown_cut_t"), "0") << "the cut transaction was committed";
}

TEST_F(Shutdown, sigterm_during_pgbench_loses_no_committed_transaction) {
    const login direct = app_superuser(cluster().primary_port);
    auto init = run_pgbench(direct, {"-i", "-s", "1", "-q"}, 120s);
    ASSERT_TRUE(init.ok()) << init.describe();
    relay_options o;
    o.shutdown_timeout = 10;
    ASSERT_TRUE(relay_.start(o));
    command_result bench;
    std::jthread runner([&] {
        bench =
            run_pgbench(app_superuser(relay_.port()), {"-n", "-c", "4", "-j", "2", "-T", "4"}, 60s);
    });
    std::this_thread::sleep_for(1500ms);
    relay_.send_signal(SIGTERM);
    const auto code = relay_.wait_exit(8s);
    runner.join();
    ASSERT_TRUE(code.has_value()) << "pgrelay did not exit";
    EXPECT_EQ(*code, 0);
    std::cout << "[shutdown] pgbench through a pgrelay stopped by SIGTERM:\n" << bench.out;
    // Clients are let go between transactions: every transaction either committed whole or
    // never began, so TPC-B's balances add up.
    pg_conn p = connect_or_fail(direct);
    ASSERT_TRUE(p);
    EXPECT_EQ(query_value(p.get(), tpcb_balanced_sql), "true");
}

// Connections queued on the old listener when it closes move to the new one only with
// net.ipv4.tcp_migrate_req = 1 (pgrelay warns when it is 0); set for the test, then restored.
class migrate_requests {
  public:
    migrate_requests() {
        std::ifstream(path_) >> before_;
        std::ofstream(path_) << "1\n";
    }
    ~migrate_requests() {
        if (!before_.empty()) std::ofstream(path_) << before_ << "\n";
    }
    bool on() const {
        std::string now;
        std::ifstream(path_) >> now;
        return now == "1";
    }

  private:
    const char* path_ = "/proc/sys/net/ipv4/tcp_migrate_req";
    std::string before_;
};

TEST_F(Shutdown, reuse_port_hands_over_without_a_refused_connection) {
    migrate_requests migrate;
    relay_options o;
    o.reuse_port = true;
    ASSERT_TRUE(relay_.start(o));
    pgrelay_process next;
    o.port = relay_.port();
    ASSERT_TRUE(next.start(o)) << "a second pgrelay could not listen on the same port";

    std::atomic<bool> done{false};
    std::atomic<int> attempts{0};
    std::atomic<int> refused{0};
    std::string first_error;
    std::thread clients([&] {
        while (!done.load()) {
            auto c = try_connect(app_superuser(relay_.port()), 5s);
            ++attempts;
            if (!c.ok()) {
                if (refused++ == 0) first_error = c.error;
            }
        }
    });
    std::this_thread::sleep_for(500ms);
    relay_.send_signal(SIGTERM);
    const auto code = relay_.wait_exit(5s);
    std::this_thread::sleep_for(500ms);
    done = true;
    clients.join();
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0);
    EXPECT_GT(attempts.load(), 10);
    EXPECT_EQ(refused.load(), 0) << "of " << attempts.load() << " attempts; first: " << first_error
                                 << (migrate.on() ? ""
                                                  : " (net.ipv4.tcp_migrate_req could not be set "
                                                    "to 1: queued connections are reset)");
    EXPECT_EQ(next.stop(), 0);
}

}  // namespace
}  // namespace pgrelay::it
