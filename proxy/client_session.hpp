// One client connection from accept to close: startup packet, client authentication, then
// every transaction routed (primary or a fresh standby) onto a server connection leased
// from the worker's pools, its settings and prepared statements carried along, until the
// client leaves. Ends in exactly one session_outcome, which decides what the client is told.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "proxy/proxy_state.hpp"
#include "proxy/wire.hpp"
#include "proxy/worker_context.hpp"

namespace pgrelay::proxy {

asio::awaitable<void> run_client_session(tcp::socket socket, proxy_state& state,
                                         worker_context& worker);

}  // namespace pgrelay::proxy
