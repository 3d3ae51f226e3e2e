// pgbench through pgrelay: `pgbench -i` (which loads with COPY and runs VACUUM), then the
// TPC-B-like workload with four clients in the extended and the prepared query modes, each
// of which must finish every transaction with none failed.
#include <gtest/gtest.h>

#include <regex>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

constexpr int clients = 4;
constexpr int transactions_per_client = 150;

// Checks a pgbench run's report: exit code 0, every transaction processed, none failed.
::testing::AssertionResult bench_succeeded(const command_result& run) {
    if (!run.ok()) return ::testing::AssertionFailure() << "pgbench failed: " << run.describe();
    std::smatch m;
    static const std::regex processed_re(
        R"(number of transactions actually processed: (\d+)/(\d+))");
    if (!std::regex_search(run.out, m, processed_re)) {
        return ::testing::AssertionFailure()
               << "no 'transactions actually processed' line: " << run.describe();
    }
    if (m[1] != m[2] || std::stoi(m[1]) != clients * transactions_per_client) {
        return ::testing::AssertionFailure()
               << "processed " << m[1] << " of " << m[2] << ": " << run.describe();
    }
    static const std::regex failed_re(R"(number of failed transactions: (\d+))");
    if (!std::regex_search(run.out, m, failed_re)) {
        return ::testing::AssertionFailure()
               << "no 'number of failed transactions' line: " << run.describe();
    }
    if (m[1] != "0") {
        return ::testing::AssertionFailure() << m[1] << " failed transactions: " << run.describe();
    }
    return ::testing::AssertionSuccess();
}

class relay_pgbench : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        relay_ = new pgrelay_process;
        ASSERT_TRUE(relay_->start());
        auto init = run_pgbench(alice_login(relay_->port()), {"-i", "-s", "1", "-q"});
        if (!init.ok() || init.err.find("done in") == std::string::npos) {
            relay_->dump_stderr();
            FAIL() << "pgbench -i failed: " << init.describe();
        }
        initialized_ = true;
    }
    static void TearDownTestSuite() {
        delete relay_;
        relay_ = nullptr;
    }
    void SetUp() override { ASSERT_TRUE(initialized_) << "pgbench -i through pgrelay failed"; }
    void TearDown() override {
        if (HasFailure() && relay_ != nullptr) relay_->dump_stderr();
    }

    // Runs the workload, then checks pgbench's report and the database: one history row per
    // transaction, and TPC-B's invariant that every balance table sums to the history's deltas.
    void run_and_check(const std::string& mode) {
        pg_conn conn = connect_or_fail(alice_login(relay_->port()));
        ASSERT_TRUE(conn);
        const std::string count_history = "SELECT count(*) FROM pgbench_history";
        std::string before_text = query_value(conn.get(), count_history);
        ASSERT_EQ(before_text.find_first_not_of("0123456789"), std::string::npos) << before_text;
        long before = std::stol(before_text);
        auto run = run_pgbench(alice_login(relay_->port()),
                               {"-M", mode, "-c", std::to_string(clients), "-j", "2", "-t",
                                std::to_string(transactions_per_client), "-n"},
                               90s);
        EXPECT_TRUE(bench_succeeded(run));
        auto after = query_value(conn.get(), count_history);
        EXPECT_EQ(after, std::to_string(before + clients * transactions_per_client));
        EXPECT_EQ(query_value(conn.get(),
                              "SELECT (SELECT sum(abalance) FROM pgbench_accounts) = "
                              "(SELECT coalesce(sum(delta), 0) FROM pgbench_history) AND "
                              "(SELECT sum(bbalance) FROM pgbench_branches) = "
                              "(SELECT coalesce(sum(delta), 0) FROM pgbench_history) AND "
                              "(SELECT sum(tbalance) FROM pgbench_tellers) = "
                              "(SELECT coalesce(sum(delta), 0) FROM pgbench_history)"),
                  "t");
    }

    static pgrelay_process* relay_;
    static bool initialized_;
};

pgrelay_process* relay_pgbench::relay_ = nullptr;
bool relay_pgbench::initialized_ = false;

TEST_F(relay_pgbench, initialized_tables_are_complete) {
    pg_conn conn = connect_or_fail(alice_login(relay_->port()));
    ASSERT_TRUE(conn);
    EXPECT_EQ(query_value(conn.get(), "SELECT count(*) FROM pgbench_accounts"), "100000");
    EXPECT_EQ(query_value(conn.get(), "SELECT count(*) FROM pgbench_branches"), "1");
}

TEST_F(relay_pgbench, extended_mode_has_no_failed_transactions) {
    run_and_check("extended");
}

TEST_F(relay_pgbench, prepared_mode_has_no_failed_transactions) {
    run_and_check("prepared");
}

}  // namespace
}  // namespace pgrelay::it
