// Reload planning; see reload_plan.hpp.
#include "proxy/reload_plan.hpp"

#include <map>
#include <sstream>

namespace pgrelay::proxy {

namespace {

// key -> value, from describe's "key = value" lines, in order of appearance.
std::vector<std::pair<std::string, std::string>> settings_of(const config& cfg) {
    std::vector<std::pair<std::string, std::string>> out;
    std::istringstream lines(describe(cfg));
    std::string line;
    while (std::getline(lines, line)) {
        const auto eq = line.find(" = ");
        if (eq != std::string::npos) out.emplace_back(line.substr(0, eq), line.substr(eq + 3));
    }
    return out;
}

}  // namespace

bool needs_restart(std::string_view key) {
    return key.starts_with("listen.") || key == "general.workers" || key == "admin.address" ||
           key == "admin.port";
}

bool same_node_list(const config& a, const config& b) {
    if (a.nodes.size() != b.nodes.size()) return false;
    for (std::size_t i = 0; i < a.nodes.size(); ++i) {
        const auto& x = a.nodes[i];
        const auto& y = b.nodes[i];
        if (x.name != y.name || x.host != y.host || x.port != y.port) return false;
    }
    return true;
}

reload_plan plan_reload(const config& running, config loaded) {
    reload_plan plan;
    const auto before = settings_of(running);
    const auto after = settings_of(loaded);
    std::map<std::string, std::string, std::less<>> old_values(before.begin(), before.end());
    std::map<std::string, std::string, std::less<>> new_values(after.begin(), after.end());
    // Per-node weights and lag limits apply at once; adding, removing, renaming or moving a
    // node needs a restart (the topology, pools and counters are indexed by node).
    const bool nodes_kept = same_node_list(running, loaded);
    auto note = [&](const std::string& key) {
        plan.changed.push_back(key);
        if (needs_restart(key) || (!nodes_kept && key.starts_with("nodes[")))
            plan.needs_restart.push_back(key);
    };
    for (const auto& [key, value] : after) {
        auto it = old_values.find(key);
        if (it == old_values.end() || it->second != value) note(key);
    }
    for (const auto& [key, value] : before) {
        if (!new_values.contains(key)) note(key);  // gone (a node or database removed)
    }
    loaded.listen_address = running.listen_address;
    loaded.listen_port = running.listen_port;
    loaded.listen_reuse_port = running.listen_reuse_port;
    loaded.workers = running.workers;
    loaded.admin.address = running.admin.address;
    loaded.admin.port = running.admin.port;
    if (!nodes_kept) loaded.nodes = running.nodes;
    plan.next = std::move(loaded);
    return plan;
}

}  // namespace pgrelay::proxy
