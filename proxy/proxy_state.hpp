// State shared by every worker of one running pgrelay: the config, users and topology
// snapshots, the cancel-key map and the connection counters. Snapshots are immutable and swapped
// whole (reload comes later); counters are atomics.
#pragma once

#include <atomic>
#include <memory>

#include "health/snapshot_cell.hpp"
#include "health/topology.hpp"
#include "proxy/cancel_map.hpp"
#include "proxy/config.hpp"
#include "proxy/control_state.hpp"
#include "proxy/credentials.hpp"
#include "proxy/event_history.hpp"
#include "proxy/pin_registry.hpp"
#include "proxy/tls_context.hpp"

namespace pgrelay::proxy {

struct proxy_state {
    std::shared_ptr<const config> cfg;
    std::shared_ptr<const user_directory> users;
    // [tls] towards clients (load_client_tls); null when client_tls = disable. Sessions take
    // their copy at startup, so a reload may swap it.
    std::shared_ptr<client_tls_context> client_tls;
    // [tls] towards each node (load_server_tls), indexed like cfg->nodes.
    std::vector<server_tls_context> server_tls;
    health::snapshot_cell<health::topology>* topology = nullptr;  // published by the checker
    health::snapshot_cell<control_state> control;                 // PAUSE, disabled nodes, shutdown
    event_history events;  // recent topology events (SHOW EVENTS)
    // Sessions inside a transaction (or awaiting replies): PAUSE waits for none.
    std::atomic<std::int64_t> busy_sessions{0};
    // Server connections leased per node right now (transactions, pinned and session clients).
    std::unique_ptr<std::atomic<std::int64_t>[]> leases;
    cancel_map cancels;
    std::atomic<std::uint32_t> clients{
        0};  // logged-in or logging-in clients (not cancel/SSL probes)
    std::atomic<std::uint64_t> next_client_id{1};
    std::atomic<std::uint64_t> conflict_retries{0};  // reads retried after a recovery conflict
    pin_registry pins;                               // clients pinned to a server connection
};

}  // namespace pgrelay::proxy
