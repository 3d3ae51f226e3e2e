// COPY through pgrelay with libpq's copy API: a few MB in with COPY FROM STDIN (checked on
// the server by count, total length and md5) and back out with COPY TO STDOUT (checked byte
// for byte), plus the two ways a COPY IN ends in an error, after which the session goes on.
#include <gtest/gtest.h>

#include <cstdint>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

// COPY text format rows "id\tpayload\n" of pseudo-random letters, about `bytes` in total.
std::string make_copy_data(std::size_t bytes, std::size_t* rows) {
    std::string data;
    std::uint32_t state = 12345;
    *rows = 0;
    while (data.size() < bytes) {
        ++*rows;
        data += std::to_string(*rows);
        data += '\t';
        state = state * 1103515245u + 12345u;
        std::size_t len = 50 + (state >> 16) % 400;
        for (std::size_t i = 0; i < len; ++i) {
            state = state * 1103515245u + 12345u;
            data += static_cast<char>('a' + (state >> 16) % 26);
        }
        data += '\n';
    }
    return data;
}

class relay_copy : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(relay_.start());
        conn_ = connect_or_fail(alice_login(relay_.port()));
        ASSERT_TRUE(conn_);
        ASSERT_TRUE(exec_ok(conn_.get(), "DROP TABLE IF EXISTS copy_t"));
        ASSERT_TRUE(exec_ok(conn_.get(), "CREATE TABLE copy_t (id int PRIMARY KEY, payload text)"));
    }
    void TearDown() override {
        if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) {
            PQclear(PQexec(conn_.get(), "DROP TABLE IF EXISTS copy_t"));
        }
    }

    pgrelay_process relay_;
    pg_conn conn_;
};

TEST_F(relay_copy, copy_in_and_out_of_a_few_megabytes) {
    std::size_t rows = 0;
    const std::string data = make_copy_data(4 << 20, &rows);

    pg_result start(PQexec(conn_.get(), "COPY copy_t (id, payload) FROM STDIN"));
    ASSERT_EQ(PQresultStatus(start.get()), PGRES_COPY_IN) << PQerrorMessage(conn_.get());
    // 64 KiB pieces that do not respect row boundaries, as a streaming client would send.
    for (std::size_t off = 0; off < data.size(); off += 65536) {
        std::size_t n = std::min<std::size_t>(65536, data.size() - off);
        ASSERT_EQ(PQputCopyData(conn_.get(), data.data() + off, static_cast<int>(n)), 1)
            << PQerrorMessage(conn_.get());
    }
    ASSERT_EQ(PQputCopyEnd(conn_.get(), nullptr), 1) << PQerrorMessage(conn_.get());
    bool timed_out = false;
    pg_result done =
        get_result_until(conn_.get(), std::chrono::steady_clock::now() + 30s, &timed_out);
    ASSERT_FALSE(timed_out) << "no CommandComplete for the COPY within 30 s";
    ASSERT_EQ(PQresultStatus(done.get()), PGRES_COMMAND_OK) << PQerrorMessage(conn_.get());
    EXPECT_EQ(std::string(PQcmdTuples(done.get())), std::to_string(rows));
    EXPECT_EQ(PQgetResult(conn_.get()), nullptr);

    // The server holds exactly what was sent.
    EXPECT_EQ(query_value(conn_.get(), "SELECT count(*) FROM copy_t"), std::to_string(rows));
    EXPECT_EQ(
        query_value(conn_.get(),
                    "SELECT md5(string_agg(id || E'\\t' || payload || E'\\n', '' ORDER BY id)) "
                    "FROM copy_t"),
        md5_hex(data));

    // And COPY TO STDOUT gives it back byte for byte.
    pg_result out(
        PQexec(conn_.get(), "COPY (SELECT id, payload FROM copy_t ORDER BY id) TO STDOUT"));
    ASSERT_EQ(PQresultStatus(out.get()), PGRES_COPY_OUT) << PQerrorMessage(conn_.get());
    std::string received;
    received.reserve(data.size());
    std::size_t copy_rows = 0;
    for (;;) {
        char* buf = nullptr;
        int n = PQgetCopyData(conn_.get(), &buf, 0);
        if (n < 0) break;
        received.append(buf, static_cast<std::size_t>(n));
        ++copy_rows;
        PQfreemem(buf);
    }
    pg_result out_done(PQgetResult(conn_.get()));
    ASSERT_EQ(PQresultStatus(out_done.get()), PGRES_COMMAND_OK) << PQerrorMessage(conn_.get());
    EXPECT_EQ(copy_rows, rows);
    EXPECT_EQ(received.size(), data.size());
    EXPECT_TRUE(received == data) << "COPY TO STDOUT differs from what COPY FROM STDIN sent";
    EXPECT_EQ(std::string(PQcmdTuples(out_done.get())), std::to_string(rows));
    EXPECT_EQ(query_value(conn_.get(), "SELECT 'after copy'"), "after copy");
}

TEST_F(relay_copy, bad_copy_data_fails_and_the_session_goes_on) {
    pg_result start(PQexec(conn_.get(), "COPY copy_t (id, payload) FROM STDIN"));
    ASSERT_EQ(PQresultStatus(start.get()), PGRES_COPY_IN) << PQerrorMessage(conn_.get());
    const std::string bad = "1\tfine\nnot-a-number\toops\n";
    ASSERT_EQ(PQputCopyData(conn_.get(), bad.data(), static_cast<int>(bad.size())), 1);
    ASSERT_EQ(PQputCopyEnd(conn_.get(), nullptr), 1);
    bool timed_out = false;
    pg_result done =
        get_result_until(conn_.get(), std::chrono::steady_clock::now() + 10s, &timed_out);
    ASSERT_FALSE(timed_out);
    EXPECT_EQ(PQresultStatus(done.get()), PGRES_FATAL_ERROR);
    EXPECT_EQ(sqlstate(done.get()), "22P02");
    while (pg_result more{PQgetResult(conn_.get())}) {
    }
    EXPECT_EQ(query_value(conn_.get(), "SELECT count(*) FROM copy_t"), "0");
}

TEST_F(relay_copy, client_aborted_copy_fails_and_the_session_goes_on) {
    ASSERT_TRUE(exec_ok(conn_.get(), "BEGIN"));
    pg_result start(PQexec(conn_.get(), "COPY copy_t (id, payload) FROM STDIN"));
    ASSERT_EQ(PQresultStatus(start.get()), PGRES_COPY_IN) << PQerrorMessage(conn_.get());
    const std::string rows = "1\tone\n2\ttwo\n";
    ASSERT_EQ(PQputCopyData(conn_.get(), rows.data(), static_cast<int>(rows.size())), 1);
    ASSERT_EQ(PQputCopyEnd(conn_.get(), "client changed its mind"), 1);  // CopyFail
    bool timed_out = false;
    pg_result done =
        get_result_until(conn_.get(), std::chrono::steady_clock::now() + 10s, &timed_out);
    ASSERT_FALSE(timed_out);
    EXPECT_EQ(PQresultStatus(done.get()), PGRES_FATAL_ERROR);
    EXPECT_EQ(sqlstate(done.get()), "57014");
    EXPECT_NE(std::string(PQresultErrorMessage(done.get())).find("client changed its mind"),
              std::string::npos);
    while (pg_result more{PQgetResult(conn_.get())}) {
    }
    EXPECT_EQ(PQtransactionStatus(conn_.get()), PQTRANS_INERROR);
    ASSERT_TRUE(exec_ok(conn_.get(), "ROLLBACK"));
    EXPECT_EQ(query_value(conn_.get(), "SELECT count(*) FROM copy_t"), "0");
}

}  // namespace
}  // namespace pgrelay::it
