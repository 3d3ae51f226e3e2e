// The bridge from configuration to the health checker: probe targets and tracker
// settings derived from the config and users file, the log line of each topology event,
// and the table `pgrelay --probe` prints.
#pragma once

#include <string>
#include <vector>

#include "health/checker.hpp"
#include "proxy/config.hpp"
#include "proxy/credentials.hpp"
#include "proxy/event_history.hpp"

namespace pgrelay::proxy {

std::vector<health::checked_node> checked_nodes(const config& cfg, const user_directory& users);
health::tracker_settings tracker_settings_from(const config& cfg);

void log_topology_event(const health::topology_event& e, const health::topology& t);

// The event as SHOW EVENTS lists it, stamped now.
recorded_event recorded_event_of(const health::topology_event& e, const health::topology& t);

// One row per node: name, address, role, timeline, state, readable, LSNs, lags, reason.
std::string format_topology_table(const health::topology& t, const config& cfg);

}  // namespace pgrelay::proxy
