// The admin console's answers as result sets, built from value snapshots (the topology, the
// operator controls, the config, the recorded events): pure, so every column is unit-tested.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "health/topology.hpp"
#include "protocol/result_set.hpp"
#include "proxy/config.hpp"
#include "proxy/control_state.hpp"
#include "proxy/event_history.hpp"
#include "proxy/switchover.hpp"

namespace pgrelay::proxy {

// SHOW HELP: command, description.
protocol::result_set help_view();
// SHOW VERSION: version.
protocol::result_set version_view();
// SHOW CONFIG: key, value (the effective configuration, secrets masked, as --check prints it).
protocol::result_set config_view(const config& cfg);
// SHOW EVENTS: time, event, node, reason, primary, generation; oldest first.
protocol::result_set events_view(const std::vector<recorded_event>& events);

// SHOW NODES: name, host, port, role, timeline, state, readable, reason, current_lsn,
// received_lsn, replayed_lsn, lag_bytes, lag_ms, last_check (seconds ago), in_flight,
// generation. state is the topology's (up, down, starting, fenced, stale, unknown), or
// "disabled" for a node an operator disabled with nothing running on it, "draining" while
// transactions still run there.
protocol::result_set nodes_view(const health::topology& t, const config& cfg,
                                const control_state& control,
                                const std::vector<std::int64_t>& in_flight,
                                std::chrono::steady_clock::time_point now);

// SWITCHOVER TO: step, detail, ms; one row per step taken, then "paused" with how long new
// transactions were held.
protocol::result_set switchover_view(const switchover_report& report);
// The same steps as text lines (the DETAIL of an aborted switchover).
std::string switchover_steps_text(const switchover_report& report);

}  // namespace pgrelay::proxy
