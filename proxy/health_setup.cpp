// Config to health checker, events to logs, topology to a table; see health_setup.hpp.
#include "proxy/health_setup.hpp"

#include <algorithm>

#include "health/lsn.hpp"
#include "proxy/log.hpp"

namespace pgrelay::proxy {

std::vector<health::checked_node> checked_nodes(const config& cfg, const user_directory& users) {
    std::string password = cfg.health.password;
    if (password.empty()) {
        if (const auto* u = users.find(cfg.health.user); u && u->password) password = *u->password;
    }
    std::vector<health::checked_node> nodes;
    for (std::size_t i = 0; i < cfg.nodes.size(); ++i) {
        const node_config& n = cfg.nodes[i];
        health::probe_target t;
        t.host = n.host;
        t.port = n.port;
        t.user = cfg.health.user;
        t.password = password;
        t.dbname = cfg.health.dbname;
        t.connect_timeout = cfg.health.connect_timeout;
        t.query_timeout = cfg.health.query_timeout;
        const server_tls_settings tls = cfg.server_tls_for(i);
        t.sslmode = to_string(tls.mode);  // libpq's spellings
        // Only the verify modes get the CA: with one, libpq's "require" would verify too.
        if (tls.mode == server_tls_mode::verify_ca || tls.mode == server_tls_mode::verify_full)
            t.sslrootcert = tls.ca_file.string();
        nodes.push_back({n.name, std::move(t)});
    }
    return nodes;
}

namespace {
// Readmission bounds are half the maxima (hysteresis).
health::lag_limits limits(std::uint64_t max_bytes, std::chrono::milliseconds max_time) {
    return {max_bytes, max_time, max_bytes / 2, max_time / 2};
}
}  // namespace

health::tracker_settings tracker_settings_from(const config& cfg) {
    health::tracker_settings s;
    s.rise = cfg.health.rise;
    s.fall = cfg.health.fall;
    const auto global = limits(cfg.health.max_lag_bytes, cfg.health.max_lag);
    s.max_lag_bytes = global.max_bytes;
    s.max_lag_time = global.max_time;
    s.readmit_lag_bytes = global.readmit_bytes;
    s.readmit_lag_time = global.readmit_time;
    for (const auto& n : cfg.nodes) {
        if (n.max_lag_bytes || n.max_lag) {
            s.per_node.push_back(limits(n.max_lag_bytes.value_or(global.max_bytes),
                                        n.max_lag.value_or(global.max_time)));
        } else {
            s.per_node.emplace_back();
        }
    }
    return s;
}

recorded_event recorded_event_of(const health::topology_event& e, const health::topology& t) {
    const auto* primary = t.primary_node();
    return {std::chrono::system_clock::now(),
            std::string(health::to_string(e.kind)),
            e.node,
            e.reason,
            primary ? primary->name : "none",
            t.generation};
}

void log_topology_event(const health::topology_event& e, const health::topology& t) {
    const auto* primary = t.primary_node();
    const std::string fields_primary = primary ? primary->name : "none";
    auto level = log_severity::info;
    switch (e.kind) {
        case health::event_kind::node_down:
        case health::event_kind::standby_stale:
            level = log_severity::warning;
            break;
        case health::event_kind::primary_lost:
        case health::event_kind::fenced:
        case health::event_kind::split_brain:
            level = log_severity::error;
            break;
        default:
            break;
    }
    if (!logger::enabled(level)) return;
    logger::write(level, "topology event",
                  {{"event", std::string(health::to_string(e.kind))},
                   {"node", e.node},
                   {"reason", e.reason},
                   {"primary", fields_primary},
                   {"generation", std::to_string(t.generation)}},
                  /*rate_limited=*/false);
}

namespace {

std::string lsn_text(const std::optional<health::lsn>& l) {
    return l ? health::format_lsn(*l) : "-";
}

}  // namespace

std::string format_topology_table(const health::topology& t, const config& cfg) {
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"node", "address", "role", "tli", "state", "readable", "current_lsn",
                    "receive_lsn", "replay_lsn", "lag_bytes", "lag_ms", "reason"});
    for (std::size_t i = 0; i < t.nodes.size(); ++i) {
        const auto& n = t.nodes[i];
        const auto& c = cfg.nodes[i];
        const bool standby = n.role == health::node_role::standby;
        rows.push_back(
            {n.name, c.host + ":" + std::to_string(c.port), std::string(health::to_string(n.role)),
             n.timeline ? std::to_string(n.timeline) : "-", std::string(health::to_string(n.state)),
             n.readable ? "yes" : "no", lsn_text(n.current_lsn), lsn_text(n.receive_lsn),
             lsn_text(n.replay_lsn), standby ? std::to_string(n.lag_bytes) : "-",
             standby ? std::to_string(n.lag_time.count()) : "-", n.reason});
    }
    std::vector<std::size_t> width(rows[0].size(), 0);
    for (const auto& r : rows)
        for (std::size_t c = 0; c < r.size(); ++c)
            width[c] = std::max(width[c], r[c].size());
    std::string out;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        for (std::size_t c = 0; c < rows[i].size(); ++c) {
            out += rows[i][c];
            if (c + 1 < rows[i].size()) out.append(width[c] - rows[i][c].size() + 2, ' ');
        }
        out += '\n';
    }
    out += "primary: ";
    out += t.primary_node() ? t.primary_node()->name : "none";
    if (t.split_brain) out += "  SPLIT BRAIN";
    out += "  generation: " + std::to_string(t.generation) + "\n";
    return out;
}

}  // namespace pgrelay::proxy
