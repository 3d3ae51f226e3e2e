// The readiness verdict; see readiness.hpp.
#include "proxy/readiness.hpp"

namespace pgrelay::proxy {

readiness judge_readiness(const health::topology& topology, const control_state& control,
                          bool ready_without_primary) {
    if (control.shutting_down) return {false, "shutting down"};
    std::string missing = "no primary known";
    if (const auto primary = topology.primary; primary && *primary < topology.nodes.size()) {
        if (!control.is_disabled(*primary)) return {true, "ready"};
        missing = "primary " + topology.nodes[*primary].name + " is disabled by an operator";
    }
    if (!ready_without_primary) return {false, missing};
    for (std::size_t i = 0; i < topology.nodes.size(); ++i) {
        const health::node_status& node = topology.nodes[i];
        if (node.readable && node.role == health::node_role::standby && !control.is_disabled(i))
            return {true, "ready (read-only: " + missing + ")"};
    }
    return {false, missing + " and no readable standby"};
}

}  // namespace pgrelay::proxy
