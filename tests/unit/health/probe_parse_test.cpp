// The pure parts of the health probe: pg_stat_replication rows and connect-error classes.
#include <gtest/gtest.h>

#include "health/probe.hpp"

namespace pgrelay::health {
namespace {

TEST(parse_replicas, empty_text_has_no_rows) {
    EXPECT_TRUE(parse_replicas("").empty());
}

TEST(parse_replicas, parses_each_row_and_field) {
    auto rows = parse_replicas(
        "standby1\t127.0.0.1\tstreaming\t0/3000148\t0/3000148\t0/3000100\t0/3000060\n"
        "walreceiver\t\tcatchup\t0/5\t\t\t");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].application_name, "standby1");
    EXPECT_EQ(rows[0].client_addr, "127.0.0.1");
    EXPECT_EQ(rows[0].state, "streaming");
    EXPECT_EQ(rows[0].sent_lsn->value, 0x3000148u);
    EXPECT_EQ(rows[0].flush_lsn->value, 0x3000100u);
    EXPECT_EQ(rows[0].replay_lsn->value, 0x3000060u);
    EXPECT_EQ(rows[1].client_addr, "");
    EXPECT_EQ(rows[1].state, "catchup");
    EXPECT_EQ(rows[1].sent_lsn->value, 5u);
    EXPECT_FALSE(rows[1].write_lsn.has_value());
    EXPECT_FALSE(rows[1].replay_lsn.has_value());
}

TEST(parse_replicas, skips_rows_with_the_wrong_number_of_fields) {
    auto rows = parse_replicas("a\tb\n\nx\t1\tstreaming\t0/1\t0/1\t0/1\t0/1");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].application_name, "x");
}

struct classify_case {
    const char* message;
    probe_failure expected;
};

class classify : public ::testing::TestWithParam<classify_case> {};

TEST_P(classify, libpq_messages) {
    EXPECT_EQ(classify_connect_error(GetParam().message), GetParam().expected)
        << GetParam().message;
}

INSTANTIATE_TEST_SUITE_P(
    messages, classify,
    ::testing::Values(
        classify_case{
            "connection to server at \"127.0.0.1\", port 5999 failed: Connection refused\n"
            "\tIs the server running on that host and accepting TCP/IP connections?",
            probe_failure::connect_refused},
        classify_case{
            "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  the database "
            "system is starting up",
            probe_failure::starting_up},
        classify_case{"FATAL:  the database system is not accepting connections\nDETAIL:  Hot "
                      "standby mode is disabled.",
                      probe_failure::starting_up},
        classify_case{"FATAL:  the database system is not yet accepting connections",
                      probe_failure::starting_up},
        classify_case{"FATAL:  the database system is shutting down", probe_failure::starting_up},
        classify_case{"FATAL:  password authentication failed for user \"postgres\"",
                      probe_failure::auth_failed},
        classify_case{"FATAL:  no pg_hba.conf entry for host \"127.0.0.1\", user \"x\"",
                      probe_failure::auth_failed},
        classify_case{"FATAL:  role \"nobody\" does not exist", probe_failure::auth_failed},
        classify_case{"server closed the connection unexpectedly", probe_failure::connection_lost},
        classify_case{"could not translate host name \"nowhere\" to address",
                      probe_failure::connect_refused}));

TEST(probe_sql, asks_for_every_column_the_sample_needs) {
    std::string sql = probe_sql;
    for (const char* f : {"pg_is_in_recovery()", "pg_control_checkpoint()", "pg_current_wal_lsn()",
                          "pg_last_wal_receive_lsn()", "pg_last_wal_replay_lsn()",
                          "pg_last_xact_replay_timestamp()", "pg_is_wal_replay_paused()",
                          "server_version_num", "pg_stat_wal_receiver", "pg_stat_replication"}) {
        EXPECT_NE(sql.find(f), std::string::npos) << f;
    }
}

}  // namespace
}  // namespace pgrelay::health
