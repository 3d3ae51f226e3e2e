// The admin console: operators connect with psql to [admin] address:port, database "pgrelay",
// as a user listed in admin.users (authenticated against the users file like every client),
// and type commands (SHOW NODES, PAUSE, DISABLE NODE ...) answered with real result sets.
// Runs on the main thread beside the health checker, never on a worker: it cannot block
// the data path.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>

#include "proxy/proxy_state.hpp"
#include "proxy/wire.hpp"

namespace pgrelay::proxy {

// Accepts console connections until the acceptor closes. `request_shutdown` is what the
// SHUTDOWN command does (as SIGTERM).
asio::awaitable<void> run_admin_console(tcp::acceptor& acceptor, proxy_state& state,
                                        std::function<void()> request_shutdown);

}  // namespace pgrelay::proxy
