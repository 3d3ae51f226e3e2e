// Shared setup of private-cluster tests; see private_relay.hpp.
#include "tests/integration/private_relay.hpp"

#include <thread>

#include "tests/integration/pg_client.hpp"

namespace pgrelay::it {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

relay_options private_relay_options(const private_cluster& pc) {
    relay_options o;
    o.nodes = {{.name = "primary", .port = pc.primary_port()}};
    for (std::size_t i = 1; i <= pc.info().standby_ports.size(); ++i) {
        o.nodes.push_back(
            {.name = "standby" + std::to_string(i), .port = pc.standby_port(static_cast<int>(i))});
    }
    o.health_interval = 0.2;
    o.routing = "auto";
    o.pool_mode = "transaction";
    o.primary_wait_timeout = 10;
    return o;
}

::testing::AssertionResult start_until_standby_reads(pgrelay_process& relay,
                                                     const relay_options& o) {
    if (auto started = relay.start(o); !started) return started;
    const auto deadline = steady::now() + 10s;
    while (steady::now() < deadline) {
        auto c = try_connect(superuser_login(relay.port()), 2s);
        if (c.ok() && query_value(c.conn.get(), "SELECT pg_is_in_recovery()::text") == "true")
            return ::testing::AssertionSuccess();
        std::this_thread::sleep_for(50ms);
    }
    return ::testing::AssertionFailure() << "pgrelay never routed a read to a standby";
}

bool wait_value(std::uint16_t port, const std::string& sql, const std::string& want,
                std::chrono::milliseconds wait) {
    const auto deadline = steady::now() + wait;
    while (steady::now() < deadline) {
        auto c = try_connect(superuser_login(port), 2s);
        if (c.ok() && query_value(c.conn.get(), sql) == want) return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

}  // namespace pgrelay::it
