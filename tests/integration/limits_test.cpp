// pgrelay at its limits: a server it cannot reach (08006), more clients than max_client_conn
// (53300), and 64 MB messages in both directions, which must pass while pgrelay's peak RSS
// stays far below the message size (it streams what it does not need to inspect).
#include <gtest/gtest.h>

#include <iostream>
#include <thread>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

TEST(relay_limits, unreachable_server_gives_08006) {
    PGRELAY_IT_REQUIRE_RELAY();
    std::uint16_t closed_port = free_port();  // nothing listens there
    pgrelay_process relay;
    ASSERT_TRUE(relay.start(
        {.nodes = {{.name = "gone", .port = closed_port}}, .server_connect_timeout = 2}));
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto outcome = try_connect(alice_login(relay.port()));
        EXPECT_FALSE(outcome.ok());
        EXPECT_EQ(outcome.sqlstate, "08006") << outcome.error;
        EXPECT_LT(outcome.elapsed.count(), 4000) << "a refused connection is not a timeout";
    }
    EXPECT_TRUE(relay.running()) << "pgrelay " << relay.exit_description();
}

TEST(relay_limits, max_client_conn_exceeded_gives_53300) {
    PGRELAY_IT_REQUIRE_RELAY();
    pgrelay_process relay;
    ASSERT_TRUE(relay.start({.max_client_conn = 3}));
    std::vector<pg_conn> held;
    for (int i = 0; i < 3; ++i) {
        // The readiness probe of start() may count for a moment; allow it to be noticed.
        auto outcome = try_connect(alice_login(relay.port()));
        for (int retry = 0; !outcome.ok() && outcome.sqlstate == "53300" && retry < 20; ++retry) {
            std::this_thread::sleep_for(50ms);
            outcome = try_connect(alice_login(relay.port()));
        }
        EXPECT_TRUE(outcome.ok()) << outcome.error;
        held.push_back(std::move(outcome.conn));
        ASSERT_TRUE(held.back()) << "client " << i + 1 << " of 3";
        EXPECT_EQ(query_value(held.back().get(), "SELECT 1"), "1");
    }
    auto fourth = try_connect(alice_login(relay.port()));
    EXPECT_FALSE(fourth.ok());
    EXPECT_EQ(fourth.sqlstate, "53300") << fourth.error;

    // A slot frees up when a client leaves.
    held.pop_back();
    bool admitted = false;
    std::string last_error;
    for (auto deadline = std::chrono::steady_clock::now() + 3s;
         !admitted && std::chrono::steady_clock::now() < deadline;) {
        auto again = try_connect(alice_login(relay.port()));
        admitted = again.ok();
        if (!admitted) {
            last_error = again.error;
            std::this_thread::sleep_for(50ms);
        }
    }
    EXPECT_TRUE(admitted) << "no client admitted after one left: " << last_error;
    for (auto& c : held)
        EXPECT_EQ(query_value(c.get(), "SELECT 'held ok'"), "held ok");
}

// A deterministic, poorly compressible text value of `size` bytes.
std::string big_text(std::size_t size, unsigned seed) {
    std::string s(size, 'a');
    std::uint32_t state = seed;
    for (auto& c : s) {
        state = state * 1664525u + 1013904223u;
        c = static_cast<char>('a' + (state >> 24) % 26);
    }
    return s;
}

class relay_large : public ::testing::Test {
  protected:
    static constexpr std::size_t message_size = 64 << 20;

    void SetUp() override {
        ASSERT_TRUE(relay_.start());
        conn_ = connect_or_fail(alice_login(relay_.port()));
        ASSERT_TRUE(conn_);
        ASSERT_TRUE(exec_ok(conn_.get(), "DROP TABLE IF EXISTS big_t"));
        ASSERT_TRUE(exec_ok(conn_.get(), "CREATE TABLE big_t (id int PRIMARY KEY, v text)"));
        // Stored as is: no compression work for the server.
        ASSERT_TRUE(exec_ok(conn_.get(), "ALTER TABLE big_t ALTER v SET STORAGE EXTERNAL"));
        if (!direct_mode()) baseline_kib_ = peak_rss_kib(relay_.pid());
    }
    void TearDown() override {
        if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) {
            PQclear(PQexec(conn_.get(), "DROP TABLE IF EXISTS big_t"));
        }
    }

    // The value of row `id` must be `expected`, checked on the server and after a round trip.
    void expect_row(int id, const std::string& expected) {
        std::string where = " FROM big_t WHERE id = " + std::to_string(id);
        EXPECT_EQ(query_value(conn_.get(), "SELECT length(v)" + where),
                  std::to_string(expected.size()));
        EXPECT_EQ(query_value(conn_.get(), "SELECT md5(v)" + where), md5_hex(expected));
        std::string back = query_value(conn_.get(), "SELECT v" + where);  // one 64 MB DataRow
        EXPECT_EQ(back.size(), expected.size());
        EXPECT_TRUE(back == expected) << "row " << id << " came back different";
    }

    void expect_bounded_memory(const char* what) {
        if (direct_mode()) return;
        ASSERT_TRUE(relay_.running()) << "pgrelay " << relay_.exit_description();
        long peak = peak_rss_kib(relay_.pid());
        std::cerr << "[large] " << what << ": pgrelay VmHWM " << peak << " KiB (at start "
                  << baseline_kib_ << " KiB), message " << (message_size >> 10) << " KiB\n";
        ::testing::Test::RecordProperty(std::string("vmhwm_kib_") + what, std::to_string(peak));
        EXPECT_GT(peak, 0);
        // Holding one whole message would add 64 MB; streaming adds a few buffers.
        EXPECT_LT(peak - baseline_kib_, static_cast<long>(message_size >> 10) / 4)
            << "pgrelay's peak RSS grew by " << (peak - baseline_kib_)
            << " KiB while relaying a 64 MB message: it buffers whole messages";
#if !defined(__SANITIZE_ADDRESS__)  // ASan's shadow memory alone exceeds this bound
        EXPECT_LT(peak, static_cast<long>(message_size >> 10) / 2)
            << "pgrelay's peak RSS is not well under the 64 MB message size";
#endif
    }

    pgrelay_process relay_;
    pg_conn conn_;
    long baseline_kib_ = 0;
};

TEST_F(relay_large, bind_parameter_and_data_row_of_64_mb) {
    const std::string value = big_text(message_size, 1);
    const char* params[] = {value.c_str()};
    int lengths[] = {static_cast<int>(value.size())};
    pg_result r(PQexecParams(conn_.get(), "INSERT INTO big_t VALUES (1, $1)", 1, nullptr, params,
                             lengths, nullptr, 0));
    ASSERT_EQ(PQresultStatus(r.get()), PGRES_COMMAND_OK) << PQerrorMessage(conn_.get());
    expect_row(1, value);
    expect_bounded_memory("bind");
}

TEST_F(relay_large, copy_row_of_64_mb) {
    const std::string value = big_text(message_size, 2);
    pg_result start(PQexec(conn_.get(), "COPY big_t (id, v) FROM STDIN"));
    ASSERT_EQ(PQresultStatus(start.get()), PGRES_COPY_IN) << PQerrorMessage(conn_.get());
    std::string row = "2\t" + value + "\n";
    // One CopyData message for the whole row.
    ASSERT_EQ(PQputCopyData(conn_.get(), row.data(), static_cast<int>(row.size())), 1);
    ASSERT_EQ(PQputCopyEnd(conn_.get(), nullptr), 1);
    bool timed_out = false;
    pg_result done =
        get_result_until(conn_.get(), std::chrono::steady_clock::now() + 60s, &timed_out);
    ASSERT_FALSE(timed_out);
    ASSERT_EQ(PQresultStatus(done.get()), PGRES_COMMAND_OK) << PQerrorMessage(conn_.get());
    while (pg_result more{PQgetResult(conn_.get())}) {
    }
    expect_row(2, value);

    // And back out as one CopyData message.
    pg_result out(PQexec(conn_.get(), "COPY (SELECT v FROM big_t WHERE id = 2) TO STDOUT"));
    ASSERT_EQ(PQresultStatus(out.get()), PGRES_COPY_OUT) << PQerrorMessage(conn_.get());
    char* buf = nullptr;
    int n = PQgetCopyData(conn_.get(), &buf, 0);
    ASSERT_EQ(n, static_cast<int>(value.size() + 1));
    EXPECT_TRUE(std::string(buf, value.size()) == value);
    PQfreemem(buf);
    EXPECT_EQ(PQgetCopyData(conn_.get(), &buf, 0), -1);
    pg_result out_done(PQgetResult(conn_.get()));
    EXPECT_EQ(PQresultStatus(out_done.get()), PGRES_COMMAND_OK);
    expect_bounded_memory("copy");
}

TEST_F(relay_large, simple_query_of_64_mb) {
    // pgrelay looks at Query messages to route them; it must still pass a 64 MB one.
    const std::string value = big_text(message_size, 3);
    pg_result r(PQexec(conn_.get(), ("INSERT INTO big_t VALUES (3, '" + value + "')").c_str()));
    ASSERT_EQ(PQresultStatus(r.get()), PGRES_COMMAND_OK) << PQerrorMessage(conn_.get());
    expect_row(3, value);
    if (!direct_mode()) {
        std::cerr << "[large] simple query: pgrelay VmHWM " << peak_rss_kib(relay_.pid())
                  << " KiB (informational)\n";
    }
}

}  // namespace
}  // namespace pgrelay::it
