// The /metrics families, built from value snapshots (topology, config, operator controls,
// traffic totals, histograms, events, the workers' runtime view): pure, so each metric and its
// labels are unit-tested. README "Metrics" lists them all.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "health/topology.hpp"
#include "proxy/config.hpp"
#include "proxy/control_state.hpp"
#include "proxy/prometheus_text.hpp"
#include "proxy/runtime_view.hpp"
#include "proxy/traffic_stats.hpp"

namespace pgrelay::proxy {

struct metrics_input {
    health::topology topology;
    const config* cfg = nullptr;  // node names, hosts, max_client_conn
    control_state control;
    std::vector<std::int64_t> in_flight;  // transactions running per node index
    std::vector<database_totals> traffic;
    std::map<std::string, std::uint64_t> errors_by_class;
    histogram_snapshot query_time;
    histogram_snapshot transaction_time;
    histogram_snapshot wait_time;
    std::map<std::string, std::uint64_t> events;  // topology events since the start, by kind
    std::uint64_t failovers = 0;
    std::uint64_t conflict_retries = 0;
    std::uint64_t pinned_clients = 0;
    runtime_view runtime;
    std::chrono::system_clock::time_point started;
};

[[nodiscard]] std::vector<metric_family> collect_metrics(const metrics_input& in);

}  // namespace pgrelay::proxy
