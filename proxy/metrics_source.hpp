// The /metrics body of a running pgrelay: the snapshots metrics_view needs, taken from the
// shared state and the workers (gathered on their threads), rendered as Prometheus text.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "proxy/proxy_state.hpp"
#include "proxy/runtime_view.hpp"

namespace pgrelay::proxy {

boost::asio::awaitable<std::string> render_metrics(
    proxy_state& state, const std::function<boost::asio::awaitable<runtime_view>()>& runtime,
    std::chrono::system_clock::time_point started);

}  // namespace pgrelay::proxy
