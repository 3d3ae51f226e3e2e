// Session rules not covered elsewhere: client_idle_timeout ends an idle client with 57P05
// (but not one inside a transaction), and a StartupMessage asking for protocol 3.1 or
// unknown `_pq_.` options gets NegotiateProtocolVersion, then authentication as usual.
#include <gtest/gtest.h>

#include <thread>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/raw_client.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

TEST(relay_session, idle_client_is_closed_with_57P05) {
    PGRELAY_IT_REQUIRE_RELAY();
    pgrelay_process relay;
    ASSERT_TRUE(relay.start({.client_idle_timeout = 0.5}));
    pg_conn idle = connect_or_fail(alice_login(relay.port()));
    pg_conn busy = connect_or_fail(alice_login(relay.port()));
    ASSERT_TRUE(idle && busy);
    ASSERT_TRUE(exec_ok(busy.get(), "BEGIN"));
    std::this_thread::sleep_for(1200ms);

    PGresult* res = PQexec(idle.get(), "SELECT 1");
    const std::string message = PQerrorMessage(idle.get());
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const bool failed = PQresultStatus(res) != PGRES_TUPLES_OK;
    PQclear(res);
    EXPECT_TRUE(failed) << "an idle client outlived client_idle_timeout";
    EXPECT_TRUE((state != nullptr && std::string(state) == "57P05") ||
                message.find("idle-session timeout") != std::string::npos)
        << message;

    // Inside a transaction the client is not idle in this sense: it keeps its session.
    EXPECT_EQ(query_value(busy.get(), "SELECT 41 + 1"), "42");
    EXPECT_TRUE(exec_ok(busy.get(), "COMMIT"));

    // Nor is a client waiting for a slow statement outside a transaction.
    pg_conn slow = connect_or_fail(alice_login(relay.port()));
    ASSERT_TRUE(slow);
    EXPECT_EQ(query_value(slow.get(), "SELECT pg_sleep(1.2)::text"), "");
    EXPECT_TRUE(relay.running()) << "pgrelay " << relay.exit_description();
}

TEST(relay_session, newer_minor_version_and_unknown_options_get_negotiate_protocol_version) {
    PGRELAY_IT_REQUIRE_RELAY();
    pgrelay_process relay;
    ASSERT_TRUE(relay.start());
    raw_client c;
    ASSERT_TRUE(c.connect(relay.port()));
    // Protocol 3.1 (0x00030001) with one protocol option pgrelay does not know.
    ASSERT_TRUE(c.send(
        startup_packet({{"user", "alice"}, {"database", "app"}, {"_pq_.made_up", "1"}}, 196609)));
    backend_message m;
    ASSERT_TRUE(c.read_message(m, 5s));
    ASSERT_EQ(m.type, 'v') << "expected NegotiateProtocolVersion";
    ASSERT_GE(m.body.size(), 8u);
    auto be = [&](std::size_t at) {
        return (static_cast<std::uint32_t>(static_cast<unsigned char>(m.body[at])) << 24) |
               (static_cast<std::uint32_t>(static_cast<unsigned char>(m.body[at + 1])) << 16) |
               (static_cast<std::uint32_t>(static_cast<unsigned char>(m.body[at + 2])) << 8) |
               static_cast<std::uint32_t>(static_cast<unsigned char>(m.body[at + 3]));
    };
    EXPECT_EQ(be(0), 0u) << "newest minor version supported";
    EXPECT_EQ(be(4), 1u) << "number of unrecognized options";
    EXPECT_EQ(m.body.substr(8), std::string("_pq_.made_up") + '\0');
    ASSERT_TRUE(c.read_message(m, 5s));
    EXPECT_EQ(m.type, 'R');
    EXPECT_EQ(auth_code(m), 10) << "SASL authentication follows, on protocol 3.0";
}

}  // namespace
}  // namespace pgrelay::it
