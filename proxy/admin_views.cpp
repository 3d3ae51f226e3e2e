// Result sets for the admin console; see admin_views.hpp.
#include "proxy/admin_views.hpp"

#include <sstream>

#include "health/lsn.hpp"
#include "proxy/admin_command.hpp"

namespace pgrelay::proxy {

namespace {

using protocol::cell;
using protocol::pg_type;

cell text(std::string_view s) {
    return std::string(s);
}

cell number(std::int64_t n) {
    return std::to_string(n);
}

cell optional_lsn(const std::optional<health::lsn>& l) {
    if (!l) return std::nullopt;
    return health::format_lsn(*l);
}

}  // namespace

protocol::result_set help_view() {
    protocol::result_set rs;
    rs.columns = {{"command", pg_type::text}, {"description", pg_type::text}};
    for (const help_row& h : help_rows())
        rs.rows.push_back({text(h.command), text(h.description)});
    return rs;
}

protocol::result_set version_view() {
    protocol::result_set rs;
    rs.columns = {{"version", pg_type::text}};
    rs.rows.push_back({text("pgrelay " PGRELAY_VERSION)});
    return rs;
}

protocol::result_set config_view(const config& cfg) {
    protocol::result_set rs;
    rs.columns = {{"key", pg_type::text}, {"value", pg_type::text}};
    std::istringstream lines(describe(cfg));
    std::string line;
    while (std::getline(lines, line)) {
        const auto eq = line.find(" = ");
        if (eq == std::string::npos) continue;
        rs.rows.push_back({line.substr(0, eq), line.substr(eq + 3)});
    }
    return rs;
}

protocol::result_set events_view(const std::vector<recorded_event>& events) {
    protocol::result_set rs;
    rs.columns = {{"time", pg_type::timestamptz}, {"event", pg_type::text},
                  {"node", pg_type::text},        {"reason", pg_type::text},
                  {"primary", pg_type::text},     {"generation", pg_type::int8}};
    for (const recorded_event& e : events) {
        rs.rows.push_back({protocol::timestamptz_text(e.at), text(e.kind), text(e.node),
                           text(e.reason), text(e.primary),
                           number(static_cast<std::int64_t>(e.generation))});
    }
    return rs;
}

protocol::result_set nodes_view(const health::topology& t, const config& cfg,
                                const control_state& control,
                                const std::vector<std::int64_t>& in_flight,
                                std::chrono::steady_clock::time_point now) {
    protocol::result_set rs;
    rs.columns = {{"name", pg_type::text},         {"host", pg_type::text},
                  {"port", pg_type::int4},         {"role", pg_type::text},
                  {"timeline", pg_type::int8},     {"state", pg_type::text},
                  {"readable", pg_type::boolean},  {"reason", pg_type::text},
                  {"current_lsn", pg_type::text},  {"received_lsn", pg_type::text},
                  {"replayed_lsn", pg_type::text}, {"lag_bytes", pg_type::int8},
                  {"lag_ms", pg_type::int8},       {"last_check", pg_type::float8},
                  {"in_flight", pg_type::int8},    {"generation", pg_type::int8}};
    for (std::size_t i = 0; i < cfg.nodes.size(); ++i) {
        const node_config& n = cfg.nodes[i];
        if (n.retired) continue;
        const health::node_status* s = i < t.nodes.size() ? &t.nodes[i] : nullptr;
        const std::int64_t running = i < in_flight.size() ? in_flight[i] : 0;
        std::string state = s ? std::string(health::to_string(s->state)) : "unknown";
        std::string reason = s ? s->reason : "";
        bool readable = s && s->readable;
        if (control.is_disabled(i)) {
            state = running > 0 ? "draining" : "disabled";
            reason = "disabled by an operator (DISABLE NODE)" +
                     (reason.empty() ? std::string() : "; " + reason);
            readable = false;
        }
        cell last_check;
        if (s && s->last_check) {
            const double ago = std::chrono::duration<double>(now - *s->last_check).count();
            last_check = protocol::float8_text(ago < 0 ? 0 : ago);
        }
        rs.rows.push_back(
            {text(n.name), text(n.host), number(n.port),
             text(s ? health::to_string(s->role) : "unknown"),
             s && s->timeline ? number(s->timeline) : cell{}, text(state),
             protocol::bool_text(readable), text(reason), s ? optional_lsn(s->current_lsn) : cell{},
             s ? optional_lsn(s->receive_lsn) : cell{}, s ? optional_lsn(s->replay_lsn) : cell{},
             s ? number(static_cast<std::int64_t>(s->lag_bytes)) : cell{},
             s ? number(s->lag_time.count()) : cell{}, last_check, number(running),
             number(static_cast<std::int64_t>(t.generation))});
    }
    return rs;
}

protocol::result_set switchover_view(const switchover_report& report) {
    protocol::result_set rs;
    rs.command_tag = "SWITCHOVER";
    rs.columns = {{"step", pg_type::text}, {"detail", pg_type::text}, {"ms", pg_type::int8}};
    for (const switchover_step& s : report.steps)
        rs.rows.push_back({text(s.name), text(s.detail), number(s.took.count())});
    rs.rows.push_back({text("paused"), text("new transactions were held this long"),
                       number(report.paused_for.count())});
    return rs;
}

std::string switchover_steps_text(const switchover_report& report) {
    std::string out;
    for (const switchover_step& s : report.steps) {
        if (!out.empty()) out += '\n';
        out += s.name + ": " + s.detail + " (" + std::to_string(s.took.count()) + " ms)";
    }
    return out;
}

}  // namespace pgrelay::proxy
