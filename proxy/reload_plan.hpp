// What a reload changes: the keys whose effective values differ between the running and the
// newly loaded configuration, and which of them only a restart can apply (the listeners,
// the worker count, the list of nodes). Pure: the proxy applies the plan's config as it is.
#pragma once

#include <string>
#include <vector>

#include "proxy/config.hpp"

namespace pgrelay::proxy {

struct reload_plan {
    config next;  // the loaded config with the restart-only keys kept at their running values
    std::vector<std::string> changed;        // keys as `describe` names them, in its order
    std::vector<std::string> needs_restart;  // the changed keys that were kept
};

// Keys (as `describe` names them) that a running pgrelay cannot change. The node list is
// a case of its own: weights and lag limits change, names, hosts, ports and the count do not.
bool needs_restart(std::string_view key);

// Same nodes in the same order (names, hosts, ports).
bool same_node_list(const config& a, const config& b);

reload_plan plan_reload(const config& running, config loaded);

// What a reload did, for the console and the log.
struct reload_outcome {
    bool ok = false;
    std::string error;  // why the new configuration was refused (the running one stays)
    std::vector<std::string> changed;
    std::vector<std::string> needs_restart;
};

}  // namespace pgrelay::proxy
