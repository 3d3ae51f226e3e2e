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
#include "proxy/runtime_view.hpp"
#include "proxy/switchover.hpp"
#include "proxy/traffic_stats.hpp"

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

// SHOW POOLS: database, user, node, cl_active, cl_waiting, sv_active, sv_idle, sv_login,
// pool_size, maxwait (whole seconds), maxwait_us (the rest, as PgBouncer), pool_mode (of the
// database in `cfg`).
protocol::result_set pools_view(const runtime_view& v, const config& cfg);
// SHOW CLIENTS: id, user, database, state, addr, port, tls, connect_time, request_time, wait,
// wait_us, node, server_id, pinned, pool_mode, application_name.
protocol::result_set clients_view(const runtime_view& v);
// SHOW SERVERS: id, user, database, node, state, addr, port, backend_pid, tls, connect_time,
// client_id.
protocol::result_set servers_view(const runtime_view& v);
// SHOW STATS: per database, totals since the start: transactions and queries (all, then on
// the primary and on standbys), bytes received and sent, transaction, query and wait time
// with their averages (microseconds, as PgBouncer), errors, conflict retries.
protocol::result_set stats_view(const std::vector<database_totals>& totals);

// SWITCHOVER TO: step, detail, ms; one row per step taken, then "paused" with how long new
// transactions were held.
protocol::result_set switchover_view(const switchover_report& report);
// The same steps as text lines (the DETAIL of an aborted switchover).
std::string switchover_steps_text(const switchover_report& report);

}  // namespace pgrelay::proxy
