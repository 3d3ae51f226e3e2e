// One client connection from accept to close: startup packet, client authentication, a
// server connection to the primary, then relaying every message both ways until either
// side ends. Ends in exactly one session_outcome, which decides what the client is told.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "proxy/proxy_state.hpp"
#include "proxy/wire.hpp"

namespace pgrelay::proxy {

asio::awaitable<void> run_client_session(tcp::socket socket, proxy_state& state);

}  // namespace pgrelay::proxy
