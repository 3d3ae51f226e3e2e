// Rendering /metrics from the running state; see metrics_source.hpp.
#include "proxy/metrics_source.hpp"

#include "proxy/metrics_view.hpp"

namespace pgrelay::proxy {

boost::asio::awaitable<std::string> render_metrics(
    proxy_state& state, const std::function<boost::asio::awaitable<runtime_view>()>& runtime,
    std::chrono::system_clock::time_point started) {
    metrics_input in;
    in.runtime = co_await runtime();
    const auto cfg = state.configuration.load();  // kept alive while `in` points into it
    in.cfg = cfg.get();
    if (state.topology != nullptr) {
        if (auto t = state.topology->load()) in.topology = *t;
    }
    in.control = *state.control.load();
    in.in_flight = state.in_flight(cfg->nodes.size());
    in.traffic = state.traffic.totals();
    in.errors_by_class = state.traffic.errors_by_class();
    in.query_time = state.traffic.query_time();
    in.transaction_time = state.traffic.transaction_time();
    in.wait_time = state.traffic.wait_time();
    in.events = state.events.totals();
    in.failovers = state.events.failovers();
    in.conflict_retries = state.conflict_retries.load(std::memory_order_relaxed);
    in.pinned_clients = state.pins.total();
    in.started = started;
    co_return write_prometheus(collect_metrics(in));
}

}  // namespace pgrelay::proxy
