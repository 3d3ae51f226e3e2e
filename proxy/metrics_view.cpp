// The /metrics families; see metrics_view.hpp.
#include "proxy/metrics_view.hpp"

#include <array>

namespace pgrelay::proxy {

namespace {

using labels = std::vector<metric_label>;

metric_family family(std::string name, std::string help, metric_type type) {
    return metric_family{std::move(name), std::move(help), type, {}};
}

void add(metric_family& f, labels l, double value) {
    f.samples.push_back(metric_sample{std::move(l), value, {}});
}

double seconds(std::chrono::milliseconds ms) {
    return static_cast<double>(ms.count()) / 1000.0;
}

constexpr std::array node_states = {health::node_state::unknown, health::node_state::up,
                                    health::node_state::down,    health::node_state::starting,
                                    health::node_state::fenced,  health::node_state::stale};
constexpr std::array node_roles = {health::node_role::unknown, health::node_role::primary,
                                   health::node_role::standby};

void node_metrics(const metrics_input& in, std::vector<metric_family>& out) {
    auto up = family("pgrelay_node_up", "1 when the node answers the health checker.",
                     metric_type::gauge);
    auto state = family("pgrelay_node_state",
                        "1 for the node's current state (up, down, starting, fenced, stale, "
                        "unknown), 0 for the others.",
                        metric_type::gauge);
    auto role = family("pgrelay_node_role",
                       "1 for the node's role as last seen (primary, standby, unknown), 0 for "
                       "the others.",
                       metric_type::gauge);
    auto primary = family("pgrelay_node_primary",
                          "1 for the node writes go to (the current primary).", metric_type::gauge);
    auto readable =
        family("pgrelay_node_readable", "1 when the node may serve reads.", metric_type::gauge);
    auto disabled =
        family("pgrelay_node_disabled", "1 when an operator disabled the node (DISABLE NODE).",
               metric_type::gauge);
    auto lag_bytes =
        family("pgrelay_node_replay_lag_bytes",
               "WAL bytes the standby has not replayed yet (0 on a primary).", metric_type::gauge);
    auto lag_seconds =
        family("pgrelay_node_replay_lag_seconds",
               "Age of the oldest WAL the standby has not replayed yet.", metric_type::gauge);
    auto timeline =
        family("pgrelay_node_timeline", "The node's timeline as last seen.", metric_type::gauge);
    auto in_flight = family("pgrelay_node_transactions_in_flight",
                            "Transactions (and session or pinned clients) using the node now.",
                            metric_type::gauge);
    std::size_t fenced = 0;
    for (std::size_t i = 0; i < in.cfg->nodes.size(); ++i) {
        const node_config& n = in.cfg->nodes[i];
        if (n.retired) continue;
        const health::node_status* s =
            i < in.topology.nodes.size() ? &in.topology.nodes[i] : nullptr;
        const auto node_state = s ? s->state : health::node_state::unknown;
        const auto node_role = s ? s->role : health::node_role::unknown;
        const labels node{{"node", n.name}};
        const bool answers =
            node_state != health::node_state::down && node_state != health::node_state::unknown;
        add(up, node, answers ? 1 : 0);
        for (const auto st : node_states) {
            add(state, {{"node", n.name}, {"state", std::string(health::to_string(st))}},
                st == node_state ? 1 : 0);
        }
        for (const auto r : node_roles) {
            add(role, {{"node", n.name}, {"role", std::string(health::to_string(r))}},
                r == node_role ? 1 : 0);
        }
        add(primary, node, in.topology.primary == i ? 1 : 0);
        add(readable, node, s && s->readable && !in.control.is_disabled(i) ? 1 : 0);
        add(disabled, node, in.control.is_disabled(i) ? 1 : 0);
        add(lag_bytes, node, s ? static_cast<double>(s->lag_bytes) : 0);
        add(lag_seconds, node, s ? seconds(s->lag_time) : 0);
        add(timeline, node, s ? s->timeline : 0);
        add(in_flight, node, i < in.in_flight.size() ? static_cast<double>(in.in_flight[i]) : 0);
        if (node_state == health::node_state::fenced) ++fenced;
    }
    for (auto* f : {&up, &state, &role, &primary, &readable, &disabled, &lag_bytes, &lag_seconds,
                    &timeline, &in_flight})
        out.push_back(std::move(*f));
    auto fenced_nodes = family("pgrelay_fenced_nodes",
                               "Nodes fenced: claiming primary on an old timeline, no traffic.",
                               metric_type::gauge);
    add(fenced_nodes, {}, static_cast<double>(fenced));
    out.push_back(std::move(fenced_nodes));
}

void topology_metrics(const metrics_input& in, std::vector<metric_family>& out) {
    auto generation = family("pgrelay_topology_generation",
                             "Bumped whenever a routing decision changes.", metric_type::gauge);
    add(generation, {}, static_cast<double>(in.topology.generation));
    auto timeline = family("pgrelay_primary_timeline", "The highest timeline seen on a primary.",
                           metric_type::gauge);
    add(timeline, {}, in.topology.primary_timeline);
    auto split =
        family("pgrelay_split_brain", "1 while two nodes claim primary on the same timeline.",
               metric_type::gauge);
    add(split, {}, in.topology.split_brain ? 1 : 0);
    auto failovers =
        family("pgrelay_failovers", "Promotions of a node other than the primary known before.",
               metric_type::counter);
    add(failovers, {}, static_cast<double>(in.failovers));
    auto events =
        family("pgrelay_topology_events",
               "Topology events by kind (node_up, node_down, promotion_seen, primary_lost, "
               "fenced, unfenced, standby_stale, standby_fresh, split_brain).",
               metric_type::counter);
    for (const auto& [kind, n] : in.events)
        add(events, {{"event", kind}}, static_cast<double>(n));
    auto paused =
        family("pgrelay_paused", "1 while PAUSE holds new transactions.", metric_type::gauge);
    add(paused, {}, in.control.paused ? 1 : 0);
    for (auto* f : {&generation, &timeline, &split, &failovers, &events, &paused})
        out.push_back(std::move(*f));
}

void pool_metrics(const metrics_input& in, std::vector<metric_family>& out) {
    auto clients = family("pgrelay_pool_clients",
                          "Clients of a pool: holding one of its connections (active) or "
                          "waiting for one (waiting).",
                          metric_type::gauge);
    auto servers = family("pgrelay_pool_servers",
                          "Server connections of a pool: leased (active), idle, or being opened "
                          "(login).",
                          metric_type::gauge);
    auto size =
        family("pgrelay_pool_size", "Server connections a pool may open.", metric_type::gauge);
    auto wait =
        family("pgrelay_pool_max_wait_seconds",
               "How long the longest waiting client of a pool has waited.", metric_type::gauge);
    for (const pool_row& p : in.runtime.pools) {
        const auto with = [&](std::string state) {
            return labels{{"database", p.database},
                          {"user", p.user},
                          {"node", p.node},
                          {"state", std::move(state)}};
        };
        const labels pool{{"database", p.database}, {"user", p.user}, {"node", p.node}};
        add(clients, with("active"), static_cast<double>(p.clients_active));
        add(clients, with("waiting"), static_cast<double>(p.clients_waiting));
        add(servers, with("active"), static_cast<double>(p.servers_active));
        add(servers, with("idle"), static_cast<double>(p.servers_idle));
        add(servers, with("login"), static_cast<double>(p.servers_opening));
        add(size, pool, static_cast<double>(p.max_size));
        add(wait, pool, seconds(p.longest_wait));
    }
    for (auto* f : {&clients, &servers, &size, &wait})
        out.push_back(std::move(*f));

    auto connected = family("pgrelay_clients",
                            "Client connections by state: login, active (holding a server "
                            "connection), waiting (for one), idle.",
                            metric_type::gauge);
    std::map<std::string, std::size_t> by_state{
        {"login", 0}, {"active", 0}, {"waiting", 0}, {"idle", 0}};
    for (const client_row& c : in.runtime.clients)
        ++by_state[c.state];
    for (const auto& [state, n] : by_state)
        add(connected, {{"state", state}}, static_cast<double>(n));
    auto pinned = family("pgrelay_clients_pinned",
                         "Clients pinned to their server connection (temporary tables, LISTEN, "
                         "advisory locks, ...).",
                         metric_type::gauge);
    add(pinned, {}, static_cast<double>(in.pinned_clients));
    auto limit = family("pgrelay_clients_max", "max_client_conn.", metric_type::gauge);
    add(limit, {}, in.cfg->max_client_conn);
    for (auto* f : {&connected, &pinned, &limit})
        out.push_back(std::move(*f));
}

void traffic_metrics(const metrics_input& in, std::vector<metric_family>& out) {
    auto transactions = family("pgrelay_transactions",
                               "Transactions (including single statements) completed, by "
                               "database and route (primary, standby).",
                               metric_type::counter);
    auto queries = family("pgrelay_queries",
                          "Queries answered (a simple Query or an extended-protocol Sync), by "
                          "database and route.",
                          metric_type::counter);
    auto received = family("pgrelay_client_received_bytes",
                           "Bytes received from clients, by database.", metric_type::counter);
    auto sent = family("pgrelay_client_sent_bytes", "Bytes sent to clients, by database.",
                       metric_type::counter);
    for (const database_totals& t : in.traffic) {
        for (const auto route : {traffic_route::primary, traffic_route::standby}) {
            const auto r = static_cast<std::size_t>(route);
            const labels l{{"database", t.database},
                           {"route", route == traffic_route::primary ? "primary" : "standby"}};
            add(transactions, l, static_cast<double>(t.transactions[r]));
            add(queries, l, static_cast<double>(t.queries[r]));
        }
        add(received, {{"database", t.database}}, static_cast<double>(t.bytes_received));
        add(sent, {{"database", t.database}}, static_cast<double>(t.bytes_sent));
    }
    auto errors = family("pgrelay_errors",
                         "Errors sent to clients (the servers' and pgrelay's own), by SQLSTATE "
                         "class.",
                         metric_type::counter);
    for (const auto& [cls, n] : in.errors_by_class)
        add(errors, {{"class", cls}}, static_cast<double>(n));
    auto retries = family("pgrelay_conflict_retries",
                          "Reads cancelled by a recovery conflict on a standby and run again "
                          "elsewhere.",
                          metric_type::counter);
    add(retries, {}, static_cast<double>(in.conflict_retries));
    for (auto* f : {&transactions, &queries, &received, &sent, &errors, &retries})
        out.push_back(std::move(*f));

    const auto histogram_family = [&](std::string name, std::string help,
                                      const histogram_snapshot& h) {
        auto f = family(std::move(name), std::move(help), metric_type::histogram);
        f.samples.push_back(metric_sample{{}, 0, h});
        out.push_back(std::move(f));
    };
    histogram_family("pgrelay_query_duration_seconds",
                     "From a query's first message to the server until its ReadyForQuery.",
                     in.query_time);
    histogram_family("pgrelay_transaction_duration_seconds",
                     "From a transaction's first message to the server until it ended.",
                     in.transaction_time);
    histogram_family("pgrelay_pool_wait_duration_seconds",
                     "Time a transaction waited for a server connection.", in.wait_time);
}

}  // namespace

std::vector<metric_family> collect_metrics(const metrics_input& in) {
    std::vector<metric_family> out;
    auto build = family("pgrelay_build_info", "pgrelay's version; always 1.", metric_type::gauge);
    add(build, {{"version", PGRELAY_VERSION}}, 1);
    out.push_back(std::move(build));
    auto started =
        family("pgrelay_start_time_seconds",
               "When this pgrelay started, in seconds since the Unix epoch.", metric_type::gauge);
    add(started, {}, std::chrono::duration<double>(in.started.time_since_epoch()).count());
    out.push_back(std::move(started));
    if (in.cfg != nullptr) {
        node_metrics(in, out);
        pool_metrics(in, out);
    }
    topology_metrics(in, out);
    traffic_metrics(in, out);
    return out;
}

}  // namespace pgrelay::proxy
