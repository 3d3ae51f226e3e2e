// The admin console: operators connect with psql to [admin] address:port, database "pgrelay",
// as a user listed in admin.users (authenticated against the users file like every client),
// and type commands (SHOW NODES, PAUSE, DISABLE NODE ...) answered with real result sets.
// Runs on the main thread beside the health checker, never on a worker: it cannot block
// the data path.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>

#include "health/checker.hpp"
#include "proxy/proxy_state.hpp"
#include "proxy/reload_plan.hpp"
#include "proxy/runtime_view.hpp"
#include "proxy/wire.hpp"

namespace pgrelay::proxy {

// What console commands do beyond the shared state, provided by the proxy's main loop.
struct admin_operations {
    std::function<void()> shutdown;  // SHUTDOWN: as SIGTERM
    // RELOAD: reads the configuration again (as SIGHUP).
    std::function<reload_outcome()> reload;
    // SWITCHOVER TO: the checker that watches the nodes (the switchover waits for it).
    health::health_checker* checker = nullptr;
    // SHOW POOLS, CLIENTS, SERVERS: what the workers hold now (gathered from each in turn).
    std::function<asio::awaitable<runtime_view>()> runtime;
};

// Accepts console connections until the acceptor closes.
asio::awaitable<void> run_admin_console(tcp::acceptor& acceptor, proxy_state& state,
                                        admin_operations operations);

}  // namespace pgrelay::proxy
