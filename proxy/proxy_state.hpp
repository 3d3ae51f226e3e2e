// State shared by every worker of one running pgrelay: the config, users and topology
// snapshots, the cancel-key map and the connection counters. Snapshots are immutable and swapped
// whole (a reload swaps the config and users); counters are atomics.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "health/snapshot_cell.hpp"
#include "health/topology.hpp"
#include "proxy/cancel_map.hpp"
#include "proxy/config.hpp"
#include "proxy/control_state.hpp"
#include "proxy/credentials.hpp"
#include "proxy/event_history.hpp"
#include "proxy/pin_registry.hpp"
#include "proxy/tls_context.hpp"
#include "proxy/traffic_stats.hpp"

namespace pgrelay::proxy {

struct proxy_state {
    // The running configuration and users, swapped whole by a reload (SIGHUP, RELOAD).
    health::snapshot_cell<config> configuration;
    health::snapshot_cell<user_directory> users;
    // [tls] towards clients and towards each node; sessions take one snapshot per use.
    health::snapshot_cell<tls_contexts> tls;
    health::snapshot_cell<health::topology>* topology = nullptr;  // published by the checker
    health::snapshot_cell<control_state> control;                 // PAUSE, disabled nodes, shutdown
    event_history events;  // recent topology events (SHOW EVENTS)
    // Sessions inside a transaction (or awaiting replies): PAUSE waits for none.
    std::atomic<std::int64_t> busy_sessions{0};
    // Server connections leased per node right now (transactions, pinned and session clients),
    // for every node slot a reload may fill.
    std::unique_ptr<std::atomic<std::int64_t>[]> leases;
    std::size_t node_slots = 0;
    cancel_map cancels;
    std::atomic<std::uint32_t> clients{
        0};  // logged-in or logging-in clients (not cancel/SSL probes)
    std::atomic<std::uint64_t> next_client_id{1};
    std::atomic<std::uint64_t> conflict_retries{0};  // reads retried after a recovery conflict
    pin_registry pins;                               // clients pinned to a server connection
    traffic_stats traffic;                           // SHOW STATS, /metrics

    // Leases per node index for the first `nodes` slots (SHOW NODES in_flight, /metrics).
    std::vector<std::int64_t> in_flight(std::size_t nodes) const {
        std::vector<std::int64_t> out(nodes, 0);
        for (std::size_t i = 0; i < nodes && i < node_slots && leases; ++i)
            out[i] = leases[i].load(std::memory_order_relaxed);
        return out;
    }
};

}  // namespace pgrelay::proxy
