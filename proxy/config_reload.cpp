// Applying a reload; see config_reload.hpp.
#include "proxy/config_reload.hpp"

#include "proxy/health_setup.hpp"
#include "proxy/log.hpp"

namespace pgrelay::proxy {

namespace {

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items)
        out += (out.empty() ? "" : " ") + i;
    return out;
}

}  // namespace

reload_outcome reload_configuration(const config_source& source, proxy_state& state,
                                    health::health_checker& checker,
                                    const std::function<void(config_ptr)>& apply_to_workers) {
    reload_outcome outcome;
    auto loaded = load_configuration(source);
    if (!loaded.ok()) {
        outcome.error = loaded.error;
        log_error("reload refused: the running configuration stays", {{"error", loaded.error}});
        return outcome;
    }
    const auto running = state.configuration.load();
    auto plan = plan_reload(*running, *loaded.cfg, state.node_slots);
    auto next = std::make_shared<const config>(std::move(plan.next));
    // Certificates are read again; towards the servers, for the merged slots.
    auto tls = load_tls(*next);
    if (!tls.ok()) {
        outcome.error = "invalid TLS settings:\n" + tls.error;
        log_error("reload refused: the running configuration stays", {{"error", outcome.error}});
        return outcome;
    }
    state.tls.publish(std::move(tls.value));  // before the config that may index new slots
    state.configuration.publish(next);
    state.users.publish(loaded.users);
    apply_log_settings(*next);
    // Node slots: retired ones are no longer checked (down for good), new ones are.
    auto targets = checked_nodes(*next, *loaded.users);
    for (std::size_t i = 0; i < running->nodes.size(); ++i) {
        if (!running->nodes[i].retired && next->nodes[i].retired) {
            log_info("node removed", {{"node", running->nodes[i].name}});
            checker.remove_node(i);
        }
    }
    for (std::size_t i = running->nodes.size(); i < next->nodes.size(); ++i) {
        log_info("node added",
                 {{"node", next->nodes[i].name},
                  {"address", next->nodes[i].host + ":" + std::to_string(next->nodes[i].port)}});
        checker.add_node(targets[i]);
    }
    checker.reconfigure(std::move(targets), tracker_settings_from(*next), next->health.interval);
    apply_to_workers(next);
    outcome.ok = true;
    outcome.changed = std::move(plan.changed);
    outcome.needs_restart = std::move(plan.needs_restart);
    log_info(
        "configuration reloaded",
        {{"changed", outcome.changed.empty() ? std::string("nothing") : joined(outcome.changed)},
         {"users", std::to_string(loaded.user_count)}});
    if (!outcome.needs_restart.empty()) {
        log_warning("some changes need a restart and were not applied",
                    {{"keys", joined(outcome.needs_restart)}});
    }
    return outcome;
}

}  // namespace pgrelay::proxy
