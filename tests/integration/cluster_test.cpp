// The test cluster itself (scripts/cluster.sh), checked directly without pgrelay: a
// primary with two streaming hot standbys, and the roles and pg_hba rules the auth tests
// rely on (alice scram, bob md5, trusty trust, wrong passwords refused with 28P01).
#include <gtest/gtest.h>

#include "tests/integration/cluster_environment.hpp"
#include "tests/integration/pg_client.hpp"

namespace pgrelay::it {
namespace {

TEST(cluster, primary_with_two_streaming_hot_standbys) {
    pg_conn primary = connect_or_fail(superuser_login(cluster().primary_port));
    ASSERT_TRUE(primary);
    EXPECT_EQ(query_value(primary.get(), "SELECT pg_is_in_recovery()::text"), "false");
    EXPECT_EQ(query_value(primary.get(),
                          "SELECT string_agg(application_name || ':' || state, ',' ORDER BY 1) "
                          "FROM pg_stat_replication"),
              "standby1:streaming,standby2:streaming");
    ASSERT_EQ(cluster().standby_ports.size(), 2u);
    for (auto port : cluster().standby_ports) {
        pg_conn standby = connect_or_fail(superuser_login(port));
        ASSERT_TRUE(standby);
        EXPECT_EQ(query_value(standby.get(), "SELECT pg_is_in_recovery()::text"), "true");
        EXPECT_EQ(query_value(standby.get(), "SELECT status FROM pg_stat_wal_receiver"),
                  "streaming");
    }
}

TEST(cluster, test_roles_and_their_authentication) {
    std::uint16_t port = cluster().primary_port;
    auto alice = try_connect(alice_login(port));
    ASSERT_TRUE(alice.ok()) << alice.error;
    EXPECT_EQ(query_value(alice.conn.get(), "SELECT current_database()"), "app");
    EXPECT_EQ(query_value(alice.conn.get(),
                          "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'"),
              "alice");
    EXPECT_EQ(query_value(alice.conn.get(),
                          "SELECT rolsuper::text FROM pg_roles WHERE rolname = 'alice'"),
              "false");

    pg_conn admin = connect_or_fail(superuser_login(port));
    ASSERT_TRUE(admin);
    EXPECT_EQ(
        query_value(admin.get(),
                    "SELECT string_agg(rolname || ':' || left(rolpassword, 14), ',' ORDER BY 1) "
                    "FROM pg_authid WHERE rolname IN ('alice', 'trusty')"),
        "alice:SCRAM-SHA-256$,trusty:SCRAM-SHA-256$");
    EXPECT_EQ(query_value(admin.get(),
                          "SELECT (rolpassword = 'md5' || md5('bob-secret' || 'bob'))::text "
                          "FROM pg_authid WHERE rolname = 'bob'"),
              "true")
        << "bob's password must be stored as MD5";

    EXPECT_TRUE(try_connect({.port = port, .user = "bob", .password = "bob-secret"}).ok());
    EXPECT_TRUE(try_connect({.port = port, .user = "trusty", .password = ""}).ok());
    auto wrong = try_connect({.port = port, .user = "alice", .password = "nope", .dbname = "app"});
    EXPECT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.sqlstate, "28P01") << wrong.error;
    auto wrong_md5 = try_connect({.port = port, .user = "bob", .password = "nope"});
    EXPECT_EQ(wrong_md5.sqlstate, "28P01") << wrong_md5.error;
}

}  // namespace
}  // namespace pgrelay::it
