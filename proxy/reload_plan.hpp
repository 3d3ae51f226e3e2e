// What a reload changes: the keys whose effective values differ between the running and the
// newly loaded configuration, which of them only a restart can apply (the listeners, the
// worker count), and the node slots: nodes keep their index for good, so a removed or moved
// node is retired and a new one appended. Pure: the proxy applies the plan's config as it is.
#pragma once

#include <string>
#include <vector>

#include "proxy/config.hpp"

namespace pgrelay::proxy {

struct reload_plan {
    // The loaded config with the restart-only keys kept at their running values and the nodes
    // merged into the running slots.
    config next;
    std::vector<std::string> changed;        // keys as `describe` names them, in its order
    std::vector<std::string> needs_restart;  // the changed keys that were kept
};

// Node slots a running pgrelay has room for at least (every node added or moved by a reload
// takes one); beyond them, node changes need a restart.
inline constexpr std::size_t min_node_slots = 256;

// Keys (as `describe` names them) that a running pgrelay cannot change.
bool needs_restart(std::string_view key);

// The running slots with the loaded nodes laid over them: a running node whose name, host and
// port are in the loaded list keeps its slot (its weight and lag bounds follow the file); the
// others are retired; loaded nodes without a slot are appended, in file order.
std::vector<node_config> merge_node_slots(const std::vector<node_config>& running,
                                          const std::vector<node_config>& loaded);

reload_plan plan_reload(const config& running, config loaded,
                        std::size_t slot_capacity = min_node_slots);

// What a reload did, for the console and the log.
struct reload_outcome {
    bool ok = false;
    std::string error;  // why the new configuration was refused (the running one stays)
    std::vector<std::string> changed;
    std::vector<std::string> needs_restart;
};

}  // namespace pgrelay::proxy
