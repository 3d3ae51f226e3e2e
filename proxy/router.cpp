// Transaction placement; see router.hpp.
#include "proxy/router.hpp"

#include <algorithm>

namespace pgrelay::proxy {

std::string_view to_string(route_verdict v) {
    switch (v) {
        case route_verdict::node:
            return "node";
        case route_verdict::wait_for_primary:
            return "wait_for_primary";
        case route_verdict::no_standby:
            return "no_standby";
    }
    return "?";
}

namespace {

bool usable(std::span<const node_load> loads, std::size_t i) {
    return i >= loads.size() || !loads[i].disabled;
}

std::uint32_t outstanding(std::span<const node_load> loads, std::size_t i) {
    return i < loads.size() ? loads[i].outstanding : 0;
}

unsigned weight(const router_settings& s, std::size_t i) {
    return i < s.weights.size() ? s.weights[i] : 1;
}

}  // namespace

route_decision router::route(const health::topology& t, const route_request& request,
                             const router_settings& settings, std::span<const node_load> loads) {
    // Which kind of node the transaction wants. In `standby` mode the application declared
    // itself read-only: a write then fails on the standby (read-only), never silently.
    bool wants_primary = true;
    switch (settings.mode) {
        case routing_mode::primary:
            wants_primary = true;
            break;
        case routing_mode::standby:
            wants_primary = false;
            break;
        case routing_mode::automatic:
            wants_primary = request.needs_primary;
            break;
    }
    if (request.hint == route_preference::primary) wants_primary = true;
    // A standby hint cannot move what needs the primary in `auto` mode.
    if (request.hint == route_preference::standby &&
        (settings.mode != routing_mode::automatic || !request.needs_primary)) {
        wants_primary = false;
    }

    constexpr std::size_t no_node = static_cast<std::size_t>(-1);
    const std::size_t primary = t.primary && usable(loads, *t.primary) ? *t.primary : no_node;
    if (wants_primary) {
        if (primary == no_node) return {route_verdict::wait_for_primary, 0, false};
        return {route_verdict::node, primary, true};
    }

    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < t.nodes.size(); ++i) {
        const auto& n = t.nodes[i];
        if (!n.readable || n.role != health::node_role::standby || !usable(loads, i)) continue;
        if (settings.balance == balance_policy::weighted && weight(settings, i) == 0) continue;
        candidates.push_back(i);
    }
    const auto policy = settings.primary_reads_policy;
    if (primary != no_node && (policy == primary_reads::always ||
                               (policy == primary_reads::fallback && candidates.empty()))) {
        candidates.push_back(primary);
    }
    if (candidates.empty()) {
        if (policy == primary_reads::never) return {route_verdict::no_standby, 0, false};
        return {route_verdict::wait_for_primary, 0, false};
    }
    const std::size_t chosen = pick(candidates, settings, loads);
    return {route_verdict::node, chosen, chosen == primary};
}

std::size_t router::pick(const std::vector<std::size_t>& candidates,
                         const router_settings& settings, std::span<const node_load> loads) {
    const std::size_t n = candidates.size();
    switch (settings.balance) {
        case balance_policy::round_robin:
            return candidates[turn_++ % n];
        case balance_policy::weighted: {
            // Smooth weighted round robin: every candidate earns its weight, the richest
            // runs the transaction and pays the total.
            std::size_t top = candidates.front();
            for (auto i : candidates) {
                if (credit_.size() <= i) credit_.resize(i + 1, 0);
            }
            std::int64_t total = 0;
            for (auto i : candidates) {
                credit_[i] += weight(settings, i);
                total += weight(settings, i);
                if (credit_[i] > credit_[top]) top = i;
            }
            credit_[top] -= total;
            return top;
        }
        case balance_policy::least_outstanding:
            break;
    }
    // Least outstanding transactions; ties rotate so equal nodes share the load.
    const std::size_t start = turn_++ % n;
    std::size_t best = candidates[start];
    for (std::size_t k = 1; k < n; ++k) {
        const std::size_t i = candidates[(start + k) % n];
        if (outstanding(loads, i) < outstanding(loads, best)) best = i;
    }
    return best;
}

}  // namespace pgrelay::proxy
