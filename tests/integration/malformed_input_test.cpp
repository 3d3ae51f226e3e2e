// Hostile and broken clients: malformed startup packets, a 2^31-1 length, random bytes, a
// half-sent startup packet left to the login timeout, garbage after a good login. Each must
// end in a clean close or an ErrorResponse, while a bystander libpq connection keeps working
// and pgrelay stays up.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/raw_client.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

// Startup-phase errors are connection exceptions (08xxx) or, for an unknown protocol
// version, feature_not_supported (0A000), as PostgreSQL itself answers.
const std::vector<std::string> startup_error_classes = {"08", "0A"};

class relay_malformed : public ::testing::Test {
  protected:
    void SetUp() override {
        relay_options options;
        options.client_login_timeout = login_timeout_seconds();
        ASSERT_TRUE(relay_.start(options));
        bystander_ = connect_or_fail(alice_login(relay_.port()));
        ASSERT_TRUE(bystander_);
        ASSERT_TRUE(exec_ok(bystander_.get(), "BEGIN"));  // it even holds a transaction open
    }

    virtual double login_timeout_seconds() { return 60; }

    // Sends `bytes` on a fresh connection and expects a clean rejection within `within`.
    void expect_rejected(const std::string& bytes,
                         const std::vector<std::string>& allowed = startup_error_classes) {
        raw_client raw;
        ASSERT_TRUE(raw.connect(relay_.port()));
        raw.send(bytes);  // pgrelay may close before taking everything; that is fine
        auto outcome = raw.read_until_close(5s);
        EXPECT_TRUE(is_clean_rejection(outcome, allowed));
        expect_still_serving();
    }

    void expect_still_serving() {
        if (!direct_mode()) {
            ASSERT_TRUE(relay_.running()) << "pgrelay " << relay_.exit_description();
        }
        EXPECT_EQ(query_value(bystander_.get(), "SELECT 'bystander ok'"), "bystander ok");
        EXPECT_EQ(PQtransactionStatus(bystander_.get()), PQTRANS_INTRANS);
        auto fresh = try_connect(alice_login(relay_.port()));
        EXPECT_TRUE(fresh.ok()) << "a new client cannot connect: " << fresh.error;
    }

    pgrelay_process relay_;
    pg_conn bystander_;
};

TEST_F(relay_malformed, startup_packet_without_terminator) {
    // Parameters not terminated by the final NUL: length covers "user\0alice" only.
    std::string body = be32(196608) + std::string("user\0alice", 10);
    expect_rejected(be32(static_cast<std::uint32_t>(body.size() + 4)) + body);
}

TEST_F(relay_malformed, startup_packet_with_odd_parameters) {
    // A key without a value, then the end of the packet.
    std::string body = be32(196608) + std::string("user\0alice\0database", 19);
    expect_rejected(be32(static_cast<std::uint32_t>(body.size() + 4)) + body);
}

TEST_F(relay_malformed, startup_packet_without_user) {
    // PostgreSQL answers 28000 ("no PostgreSQL user name specified").
    expect_rejected(startup_packet({{"database", "app"}}), {"08", "28"});
}

TEST_F(relay_malformed, unsupported_protocol_version) {
    raw_client raw;
    ASSERT_TRUE(raw.connect(relay_.port()));
    raw.send(startup_packet({{"user", "alice"}}, 0x00020000));  // 2.0
    auto outcome = raw.read_until_close(5s);
    // PostgreSQL answers a 2.0 client in the 2.0 format ('E', text, NUL; no length), which a
    // proxy may do too; otherwise the usual clean rejection.
    bool v2_error = outcome.end != read_end::still_open && outcome.data.size() > 2 &&
                    outcome.data[0] == 'E' && outcome.data.back() == '\0' &&
                    outcome.data.find('\0') == outcome.data.size() - 1;
    if (!v2_error) {
        EXPECT_TRUE(is_clean_rejection(outcome, startup_error_classes));
    }
    expect_still_serving();
}

TEST_F(relay_malformed, startup_length_too_small) {
    expect_rejected(be32(4) + be32(196608));
}

TEST_F(relay_malformed, startup_length_of_2_pow_31_minus_1) {
    // pgrelay must refuse at once, not wait for (or allocate) 2 GiB.
    raw_client raw;
    ASSERT_TRUE(raw.connect(relay_.port()));
    raw.send(be32(0x7fffffff) + be32(196608) + std::string("user\0alice\0\0", 12));
    auto outcome = raw.read_until_close(5s);
    EXPECT_TRUE(is_clean_rejection(outcome, startup_error_classes));
    EXPECT_LT(outcome.elapsed.count(), 2000) << describe(outcome);
    expect_still_serving();
}

TEST_F(relay_malformed, random_bytes) {
    std::mt19937 rng(20240611);
    for (int round = 0; round < 5; ++round) {
        // 16 KiB: even if the first four bytes make a plausible length, the packet is whole.
        std::string bytes(16384, '\0');
        for (auto& b : bytes)
            b = static_cast<char>(rng());
        SCOPED_TRACE("round " + std::to_string(round));
        expect_rejected(bytes);
    }
}

TEST_F(relay_malformed, typed_message_before_startup) {
    // A client that skips the startup packet and sends a Query right away.
    expect_rejected(typed_message('Q', std::string("SELECT 1", 9)));
}

TEST_F(relay_malformed, connect_and_close_at_once) {
    for (int i = 0; i < 20; ++i) {
        raw_client raw;
        ASSERT_TRUE(raw.connect(relay_.port()));
    }
    raw_client half;
    ASSERT_TRUE(half.connect(relay_.port()));
    half.send(be32(40));  // half a header, then gone
    half.close();
    expect_still_serving();
}

TEST_F(relay_malformed, garbage_after_login) {
    PGRELAY_IT_REQUIRE_RELAY();  // needs a trust instance to log in without a password
    pgrelay_process trust_relay;
    ASSERT_TRUE(trust_relay.start({.auth_method = "trust"}));
    raw_client raw;
    ASSERT_TRUE(raw.connect(trust_relay.port()));
    ASSERT_TRUE(raw.send(startup_packet({{"user", "alice"}, {"database", "app"}})));
    // Read up to ReadyForQuery.
    backend_message m;
    bool ready = false;
    while (!ready && raw.read_message(m, 5s))
        ready = m.type == 'Z';
    ASSERT_TRUE(ready) << "no ReadyForQuery after a trust login";

    // An unknown message type.
    raw.send(typed_message('!', "garbage"));
    auto outcome = raw.read_until_close(5s);
    EXPECT_TRUE(is_clean_rejection(outcome, {"08"}));

    // A Query whose length is negative as an Int32.
    ASSERT_TRUE(raw.connect(trust_relay.port()));
    ASSERT_TRUE(raw.send(startup_packet({{"user", "alice"}, {"database", "app"}})));
    ready = false;
    while (!ready && raw.read_message(m, 5s))
        ready = m.type == 'Z';
    ASSERT_TRUE(ready) << "no ReadyForQuery after a trust login";
    raw.send("Q" + be32(0xfffffff0) + "SELECT 1");
    outcome = raw.read_until_close(5s);
    EXPECT_TRUE(is_clean_rejection(outcome, {"08"}));

    ASSERT_TRUE(trust_relay.running()) << "pgrelay " << trust_relay.exit_description();
    auto fresh = try_connect({.port = trust_relay.port(), .user = "alice", .dbname = "app"});
    EXPECT_TRUE(fresh.ok()) << fresh.error;
    expect_still_serving();
}

class relay_login_timeout : public relay_malformed {
  protected:
    double login_timeout_seconds() override { return 1.0; }
};

TEST_F(relay_login_timeout, half_sent_startup_is_closed_by_the_login_timeout) {
    PGRELAY_IT_REQUIRE_RELAY();  // PostgreSQL's own authentication_timeout is 60 s
    raw_client raw;
    ASSERT_TRUE(raw.connect(relay_.port()));
    std::string packet = startup_packet({{"user", "alice"}, {"database", "app"}});
    ASSERT_TRUE(raw.send(packet.substr(0, packet.size() / 2)));
    auto outcome = raw.read_until_close(5s);
    EXPECT_TRUE(is_clean_rejection(outcome, {"08", "57"}));
    EXPECT_GE(outcome.elapsed.count(), 700)
        << "closed before the login timeout: " << describe(outcome);
    EXPECT_LE(outcome.elapsed.count(), 3000) << describe(outcome);
    expect_still_serving();
}

TEST_F(relay_login_timeout, silent_client_is_closed_by_the_login_timeout) {
    PGRELAY_IT_REQUIRE_RELAY();
    raw_client raw;
    ASSERT_TRUE(raw.connect(relay_.port()));
    auto outcome = raw.read_until_close(5s);
    EXPECT_NE(outcome.end, read_end::still_open) << describe(outcome);
    EXPECT_LE(outcome.elapsed.count(), 3000) << describe(outcome);
    expect_still_serving();
}

TEST_F(relay_login_timeout, logged_in_clients_are_not_subject_to_it) {
    PGRELAY_IT_REQUIRE_RELAY();
    std::this_thread::sleep_for(1500ms);
    EXPECT_EQ(query_value(bystander_.get(), "SELECT 'past the login timeout'"),
              "past the login timeout");
}

}  // namespace
}  // namespace pgrelay::it
