// Client authentication by pgrelay, one instance per [auth] method (trust, md5,
// scram-sha-256): the request the client sees, right and wrong passwords, unknown users,
// md5/SCRAM secrets in the users file, and pgrelay's own logins to the server with each of
// the methods the cluster's pg_hba.conf asks for (scram for alice, md5 for bob, trust).
#include <gtest/gtest.h>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/raw_client.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

constexpr int auth_ok = 0;
constexpr int auth_md5 = 5;
constexpr int auth_sasl = 10;

login as(std::uint16_t port, const std::string& user, const std::string& password,
         const std::string& db = "postgres") {
    return {.port = port, .user = user, .password = password, .dbname = db};
}

// The first message pgrelay answers a startup packet for `user` with.
backend_message first_reply(std::uint16_t port, const std::string& user) {
    raw_client raw;
    backend_message m;
    if (!raw.connect(port) ||
        !raw.send(startup_packet({{"user", user}, {"database", "postgres"}})) ||
        !raw.read_message(m, 5s)) {
        m.type = '?';
    }
    return m;
}

// Connects and checks who the server thinks we are.
::testing::AssertionResult logs_in(const login& who) {
    auto outcome = try_connect(who);
    if (!outcome.ok()) {
        return ::testing::AssertionFailure() << who.user << " could not log in: " << outcome.error;
    }
    std::string user = query_value(outcome.conn.get(), "SELECT current_user");
    if (user != who.user) {
        return ::testing::AssertionFailure()
               << "logged in as " << user << ", expected " << who.user;
    }
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult refused_with(const login& who, const std::string& expected) {
    auto outcome = try_connect(who);
    if (outcome.ok()) {
        return ::testing::AssertionFailure()
               << who.user << " logged in, expected SQLSTATE " << expected;
    }
    if (outcome.sqlstate != expected) {
        return ::testing::AssertionFailure()
               << who.user << " refused with SQLSTATE '" << outcome.sqlstate << "', expected "
               << expected << ": " << outcome.error;
    }
    return ::testing::AssertionSuccess();
}

constexpr const char* wrong_password = "Wr0ng-Pa55w0rd";

class relay_auth : public ::testing::Test {
  protected:
    void SetUp() override { PGRELAY_IT_REQUIRE_RELAY(); }

    // Every instance logs at debug level; no password may show up in its log.
    ::testing::AssertionResult start(relay_options options) {
        options.log_level = "debug";
        return relay_.start(options);
    }

    void TearDown() override {
        if (relay_.pid() == 0) return;
        relay_.stop();
        std::string log = relay_.stderr_text();
        for (const char* secret : {"alice-secret", "bob-secret", "trusty-secret",
                                   "not-alices-password", wrong_password}) {
            EXPECT_EQ(log.find(secret), std::string::npos)
                << "pgrelay logged a password: " << secret;
        }
    }

    pgrelay_process relay_;
};

TEST_F(relay_auth, trust) {
    ASSERT_TRUE(start({.auth_method = "trust"}));
    auto reply = first_reply(relay_.port(), "alice");
    EXPECT_EQ(reply.type, 'R');
    EXPECT_EQ(auth_code(reply), auth_ok) << "trust must not ask for a password";

    // No password from the client; pgrelay logs in to the server with the users file's.
    EXPECT_TRUE(logs_in(as(relay_.port(), "alice", "", "app")));      // server: scram
    EXPECT_TRUE(logs_in(as(relay_.port(), "bob", "")));               // server: md5
    EXPECT_TRUE(logs_in(as(relay_.port(), "trusty", "")));            // server: trust
    EXPECT_TRUE(logs_in(as(relay_.port(), "postgres", "whatever")));  // ignored

    // Users missing from the users file are refused even with trust.
    auto outcome = try_connect(as(relay_.port(), "mallory", ""));
    EXPECT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.sqlstate.substr(0, 2), "28") << outcome.error;
}

TEST_F(relay_auth, md5) {
    ASSERT_TRUE(start({.auth_method = "md5"}));
    auto reply = first_reply(relay_.port(), "alice");
    EXPECT_EQ(reply.type, 'R');
    EXPECT_EQ(auth_code(reply), auth_md5);
    EXPECT_EQ(reply.body.size(), 8u) << "AuthenticationMD5Password carries a 4-byte salt";

    EXPECT_TRUE(logs_in(as(relay_.port(), "alice", "alice-secret", "app")));
    EXPECT_TRUE(logs_in(as(relay_.port(), "bob", "bob-secret")));
    EXPECT_TRUE(logs_in(as(relay_.port(), "trusty", "trusty-secret")));
    EXPECT_TRUE(refused_with(as(relay_.port(), "alice", wrong_password, "app"), "28P01"));
    EXPECT_TRUE(refused_with(as(relay_.port(), "bob", "alice-secret"), "28P01"));
    EXPECT_TRUE(refused_with(as(relay_.port(), "mallory", "anything"), "28P01"));
    // Still serving after the failures.
    EXPECT_TRUE(logs_in(as(relay_.port(), "alice", "alice-secret", "app")));
}

TEST_F(relay_auth, scram_sha_256) {
    ASSERT_TRUE(start({.auth_method = "scram-sha-256"}));
    auto reply = first_reply(relay_.port(), "alice");
    EXPECT_EQ(reply.type, 'R');
    EXPECT_EQ(auth_code(reply), auth_sasl);
    EXPECT_NE(reply.body.find("SCRAM-SHA-256"), std::string::npos)
        << "AuthenticationSASL must offer SCRAM-SHA-256";

    EXPECT_TRUE(logs_in(as(relay_.port(), "alice", "alice-secret", "app")));
    EXPECT_TRUE(logs_in(as(relay_.port(), "bob", "bob-secret")));
    EXPECT_TRUE(logs_in(as(relay_.port(), "trusty", "trusty-secret")));
    EXPECT_TRUE(refused_with(as(relay_.port(), "alice", wrong_password, "app"), "28P01"));
    EXPECT_TRUE(refused_with(as(relay_.port(), "mallory", "anything"), "28P01"));
    EXPECT_TRUE(logs_in(as(relay_.port(), "alice", "alice-secret", "app")));
}

// The users file may hold the server's own md5 and SCRAM secrets instead of passwords.
TEST_F(relay_auth, md5_secret_in_users_file) {
    pg_conn admin = connect_or_fail(superuser_login(cluster().primary_port));
    ASSERT_TRUE(admin);
    std::string bob_secret =
        query_value(admin.get(), "SELECT rolpassword FROM pg_authid WHERE rolname = 'bob'");
    ASSERT_EQ(bob_secret.rfind("md5", 0), 0u) << bob_secret;
    ASSERT_TRUE(start({.auth_method = "md5", .users = {{"bob", bob_secret}}}));
    // The client proves the password against the hash; pgrelay logs in to the server (md5)
    // with the hash alone.
    EXPECT_TRUE(logs_in(as(relay_.port(), "bob", "bob-secret")));
    EXPECT_TRUE(refused_with(as(relay_.port(), "bob", wrong_password), "28P01"));
}

TEST_F(relay_auth, scram_secret_in_users_file) {
    pg_conn admin = connect_or_fail(superuser_login(cluster().primary_port));
    ASSERT_TRUE(admin);
    std::string trusty_secret =
        query_value(admin.get(), "SELECT rolpassword FROM pg_authid WHERE rolname = 'trusty'");
    ASSERT_EQ(trusty_secret.rfind("SCRAM-SHA-256$", 0), 0u) << trusty_secret;
    // trusty's server login is trust, so only the client side uses the secret.
    ASSERT_TRUE(start({.auth_method = "scram-sha-256", .users = {{"trusty", trusty_secret}}}));
    EXPECT_TRUE(logs_in(as(relay_.port(), "trusty", "trusty-secret")));
    EXPECT_TRUE(refused_with(as(relay_.port(), "trusty", wrong_password), "28P01"));
}

// The client knows the users file's password but the server does not accept it: the
// server's refusal reaches the client.
TEST_F(relay_auth, server_refusing_the_users_file_password) {
    ASSERT_TRUE(
        start({.auth_method = "scram-sha-256", .users = {{"alice", "not-alices-password"}}}));
    EXPECT_TRUE(refused_with(as(relay_.port(), "alice", "not-alices-password", "app"), "28P01"));
}

}  // namespace
}  // namespace pgrelay::it
