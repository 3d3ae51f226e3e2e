// Where one transaction goes: the pure decision from a topology snapshot, what the
// transaction needs (the classifier's verdict and any hint), the routing settings and the
// nodes' current load. Values in, a node index (or why there is none) out.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "health/topology.hpp"
#include "proxy/routing_policy.hpp"
#include "proxy/sql_classifier.hpp"

namespace pgrelay::proxy {

struct router_settings {
    routing_mode mode = routing_mode::automatic;
    primary_reads primary_reads_policy = primary_reads::fallback;
    balance_policy balance = balance_policy::least_outstanding;
    std::vector<unsigned> weights;  // by node index, for `weighted` (absent: 1; 0 excludes)
};

// What the data path knows of each node right now (by node index).
struct node_load {
    std::uint32_t outstanding = 0;  // transactions running on it
    bool disabled = false;          // drained by the operator: no new transactions
};

struct route_request {
    bool needs_primary = true;             // a write, or a transaction not read-only
    std::optional<route_preference> hint;  // /* pgrelay:... */ or SET pgrelay.route
};

enum class route_verdict : std::uint8_t {
    node,              // run it on `node`
    wait_for_primary,  // it needs the primary and none is known: wait (or fail after a while)
    no_standby,        // a read with primary_reads = never and no readable standby
};

struct route_decision {
    route_verdict verdict = route_verdict::node;
    std::size_t node = 0;
    bool on_primary = false;
};

std::string_view to_string(route_verdict v);

// One per worker thread: it keeps the round-robin position and the weighted credits.
class router {
  public:
    route_decision route(const health::topology& t, const route_request& request,
                         const router_settings& settings, std::span<const node_load> loads);

  private:
    std::size_t pick(const std::vector<std::size_t>& candidates, const router_settings& settings,
                     std::span<const node_load> loads);

    std::uint64_t turn_ = 0;
    std::vector<std::int64_t> credit_;  // smooth weighted round robin, by node index
};

}  // namespace pgrelay::proxy
