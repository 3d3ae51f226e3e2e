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

bool same_place(const node_config& a, const node_config& b) {
    return a.name == b.name && a.host == b.host && a.port == b.port;
}

}  // namespace

bool needs_restart(std::string_view key) {
    return key.starts_with("listen.") || key == "general.workers" || key == "admin.address" ||
           key == "admin.port" || key == "http.address" || key == "http.port";
}

std::vector<node_config> merge_node_slots(const std::vector<node_config>& running,
                                          const std::vector<node_config>& loaded) {
    std::vector<node_config> slots = running;
    std::vector<bool> placed(loaded.size(), false);
    for (node_config& slot : slots) {
        if (slot.retired) continue;
        bool kept = false;
        for (std::size_t j = 0; j < loaded.size() && !kept; ++j) {
            if (placed[j] || !same_place(slot, loaded[j])) continue;
            slot = loaded[j];  // weight and lag bounds follow the file
            placed[j] = kept = true;
        }
        if (!kept) slot.retired = true;
    }
    for (std::size_t j = 0; j < loaded.size(); ++j) {
        if (!placed[j]) slots.push_back(loaded[j]);
    }
    return slots;
}

reload_plan plan_reload(const config& running, config loaded, std::size_t slot_capacity) {
    reload_plan plan;
    auto slots = merge_node_slots(running.nodes, loaded.nodes);
    const bool nodes_fit = slots.size() <= slot_capacity;
    loaded.nodes = nodes_fit ? std::move(slots) : running.nodes;
    const auto before = settings_of(running);
    auto after = settings_of(loaded);
    std::map<std::string, std::string, std::less<>> old_values(before.begin(), before.end());
    std::map<std::string, std::string, std::less<>> new_values(after.begin(), after.end());
    auto note = [&](const std::string& key) {
        plan.changed.push_back(key);
        if (needs_restart(key)) plan.needs_restart.push_back(key);
    };
    for (const auto& [key, value] : after) {
        auto it = old_values.find(key);
        if (it == old_values.end() || it->second != value) note(key);
    }
    for (const auto& [key, value] : before) {
        if (!new_values.contains(key)) note(key);  // gone (a node or database removed)
    }
    if (!nodes_fit) {
        plan.needs_restart.push_back("nodes (no room for more than " +
                                     std::to_string(slot_capacity) + " node slots)");
    }
    loaded.listen_address = running.listen_address;
    loaded.listen_port = running.listen_port;
    loaded.listen_reuse_port = running.listen_reuse_port;
    loaded.workers = running.workers;
    loaded.admin.address = running.admin.address;
    loaded.admin.port = running.admin.port;
    loaded.http.address = running.http.address;
    loaded.http.port = running.http.port;
    plan.next = std::move(loaded);
    return plan;
}

}  // namespace pgrelay::proxy
