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

protocol::result_set pools_view(const runtime_view& v, const config& cfg) {
    protocol::result_set rs;
    rs.columns = {
        {"database", pg_type::text},  {"user", pg_type::text},       {"node", pg_type::text},
        {"cl_active", pg_type::int8}, {"cl_waiting", pg_type::int8}, {"sv_active", pg_type::int8},
        {"sv_idle", pg_type::int8},   {"sv_login", pg_type::int8},   {"pool_size", pg_type::int8},
        {"maxwait", pg_type::int8},   {"maxwait_us", pg_type::int8}, {"pool_mode", pg_type::text}};
    const auto count = [](std::size_t n) { return number(static_cast<std::int64_t>(n)); };
    for (const pool_row& p : v.pools) {
        const auto wait_us =
            std::chrono::duration_cast<std::chrono::microseconds>(p.longest_wait).count();
        rs.rows.push_back({text(p.database), text(p.user), text(p.node), count(p.clients_active),
                           count(p.clients_waiting), count(p.servers_active), count(p.servers_idle),
                           count(p.servers_opening), count(p.max_size), number(wait_us / 1000000),
                           number(wait_us % 1000000),
                           text(to_string(cfg.pool_mode_for(p.database)))});
    }
    return rs;
}

protocol::result_set clients_view(const runtime_view& v) {
    protocol::result_set rs;
    rs.columns = {{"id", pg_type::int8},
                  {"user", pg_type::text},
                  {"database", pg_type::text},
                  {"state", pg_type::text},
                  {"addr", pg_type::text},
                  {"port", pg_type::int4},
                  {"tls", pg_type::boolean},
                  {"connect_time", pg_type::timestamptz},
                  {"request_time", pg_type::timestamptz},
                  {"wait", pg_type::int8},
                  {"wait_us", pg_type::int8},
                  {"node", pg_type::text},
                  {"server_id", pg_type::int8},
                  {"pinned", pg_type::text},
                  {"pool_mode", pg_type::text},
                  {"application_name", pg_type::text}};
    for (const client_row& c : v.clients) {
        const auto wait_us =
            std::chrono::duration_cast<std::chrono::microseconds>(c.waiting_for).count();
        rs.rows.push_back({number(static_cast<std::int64_t>(c.id)), text(c.user), text(c.database),
                           text(c.state), text(c.address), number(c.port),
                           protocol::bool_text(c.tls), protocol::timestamptz_text(c.connected),
                           protocol::timestamptz_text(c.last_request), number(wait_us / 1000000),
                           number(wait_us % 1000000), c.node.empty() ? cell{} : text(c.node),
                           c.server_id ? number(static_cast<std::int64_t>(c.server_id)) : cell{},
                           c.pinned.empty() ? cell{} : text(c.pinned), text(c.pool_mode),
                           text(c.application_name)});
    }
    return rs;
}

protocol::result_set servers_view(const runtime_view& v) {
    protocol::result_set rs;
    rs.columns = {{"id", pg_type::int8},       {"user", pg_type::text},
                  {"database", pg_type::text}, {"node", pg_type::text},
                  {"state", pg_type::text},    {"addr", pg_type::text},
                  {"port", pg_type::int4},     {"backend_pid", pg_type::int4},
                  {"tls", pg_type::boolean},   {"connect_time", pg_type::timestamptz},
                  {"client_id", pg_type::int8}};
    for (const server_row& s : v.servers) {
        rs.rows.push_back({number(static_cast<std::int64_t>(s.id)), text(s.user), text(s.database),
                           text(s.node), text(s.state), text(s.address), number(s.port),
                           number(s.backend_pid), protocol::bool_text(s.tls),
                           protocol::timestamptz_text(s.connected),
                           s.client_id ? number(static_cast<std::int64_t>(s.client_id)) : cell{}});
    }
    return rs;
}

protocol::result_set stats_view(const std::vector<database_totals>& totals) {
    protocol::result_set rs;
    rs.columns = {{"database", pg_type::text},
                  {"total_xact_count", pg_type::int8},
                  {"total_query_count", pg_type::int8},
                  {"primary_xact_count", pg_type::int8},
                  {"standby_xact_count", pg_type::int8},
                  {"primary_query_count", pg_type::int8},
                  {"standby_query_count", pg_type::int8},
                  {"total_received", pg_type::int8},
                  {"total_sent", pg_type::int8},
                  {"total_xact_time", pg_type::int8},
                  {"total_query_time", pg_type::int8},
                  {"total_wait_time", pg_type::int8},
                  {"avg_xact_time", pg_type::int8},
                  {"avg_query_time", pg_type::int8},
                  {"total_errors", pg_type::int8},
                  {"conflict_retries", pg_type::int8}};
    const auto n = [](std::uint64_t v) { return number(static_cast<std::int64_t>(v)); };
    const auto average = [](std::uint64_t total, std::uint64_t count) {
        return count == 0 ? std::uint64_t{0} : total / count;
    };
    const auto primary = static_cast<std::size_t>(traffic_route::primary);
    const auto standby = static_cast<std::size_t>(traffic_route::standby);
    for (const database_totals& t : totals) {
        rs.rows.push_back(
            {text(t.database), n(t.total_transactions()), n(t.total_queries()),
             n(t.transactions[primary]), n(t.transactions[standby]), n(t.queries[primary]),
             n(t.queries[standby]), n(t.bytes_received), n(t.bytes_sent), n(t.transaction_us),
             n(t.query_us), n(t.wait_us), n(average(t.transaction_us, t.total_transactions())),
             n(average(t.query_us, t.total_queries())), n(t.errors), n(t.conflict_retries)});
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
