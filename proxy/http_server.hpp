// The HTTP endpoint ([http] address:port): /livez, /readyz, /topology and /metrics over
// HTTP/1.1 with keep-alive, one coroutine per connection on the main thread beside the admin
// console, never on a worker. A client is bounded in time (a deadline per request) and in
// memory (header and body limits), and the number of connections is capped.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "proxy/proxy_state.hpp"
#include "proxy/wire.hpp"

namespace pgrelay::proxy {

// Produces the /metrics body (Prometheus text, prometheus_text.hpp) when it is asked for.
using metrics_body = std::function<asio::awaitable<std::string>()>;

struct http_limits {
    // To receive a whole request (and, on a kept-alive connection, to wait for the next one).
    std::chrono::milliseconds read_timeout{10000};
    std::chrono::milliseconds write_timeout{10000};
    std::uint32_t header_limit = 8 * 1024;  // bytes of request line and headers
    std::uint64_t body_limit = 8 * 1024;    // bytes of a request body (none is needed)
    std::size_t max_connections = 128;      // more are closed at once
    // After refusing a malformed request: how long what the client still sends is read and
    // dropped before closing (so that the refusal reaches it).
    std::chrono::milliseconds linger{1000};
};

// Accepts HTTP connections until the acceptor closes.
asio::awaitable<void> run_http_server(tcp::acceptor& acceptor, proxy_state& state,
                                      metrics_body metrics, http_limits limits = {});

}  // namespace pgrelay::proxy
