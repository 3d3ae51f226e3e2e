// The admin console's result sets built from value snapshots: SHOW NODES (every column, the
// operator states disabled/draining, retired nodes hidden, nodes not checked yet), SHOW
// EVENTS, SHOW CONFIG and SHOW HELP.
#include "proxy/admin_views.hpp"

#include <gtest/gtest.h>

#include "tests/unit/proxy/sample_topology.hpp"

namespace pgrelay::proxy {
namespace {

using health::node_role;
using health::node_state;
using protocol::pg_type;
using clock = std::chrono::steady_clock;

config two_nodes() {
    config cfg;
    cfg.nodes = {{.name = "pg1", .host = "10.0.0.1", .port = 5432},
                 {.name = "pg2", .host = "10.0.0.2", .port = 5433}};
    return cfg;
}

health::topology checked(clock::time_point at) {
    return sample::primary_and_standby(at);
}

std::string column(const protocol::result_set& rs, std::size_t row, const std::string& name) {
    for (std::size_t c = 0; c < rs.columns.size(); ++c) {
        if (rs.columns[c].name == name) return rs.rows.at(row).at(c).value_or("NULL");
    }
    return "<no column " + name + ">";
}

TEST(NodesView, OneRowPerNodeWithEveryColumn) {
    const auto now = clock::now();
    const auto rs = nodes_view(checked(now), two_nodes(), {}, {3, 1}, now);
    const std::vector<std::pair<std::string, pg_type>> columns = {
        {"name", pg_type::text},         {"host", pg_type::text},
        {"port", pg_type::int4},         {"role", pg_type::text},
        {"timeline", pg_type::int8},     {"state", pg_type::text},
        {"readable", pg_type::boolean},  {"reason", pg_type::text},
        {"current_lsn", pg_type::text},  {"received_lsn", pg_type::text},
        {"replayed_lsn", pg_type::text}, {"lag_bytes", pg_type::int8},
        {"lag_ms", pg_type::int8},       {"last_check", pg_type::float8},
        {"in_flight", pg_type::int8},    {"generation", pg_type::int8}};
    ASSERT_EQ(rs.columns.size(), columns.size());
    for (std::size_t i = 0; i < columns.size(); ++i) {
        EXPECT_EQ(rs.columns[i].name, columns[i].first);
        EXPECT_EQ(rs.columns[i].type_oid, columns[i].second) << columns[i].first;
    }
    ASSERT_EQ(rs.rows.size(), 2u);
    EXPECT_EQ(column(rs, 0, "name"), "pg1");
    EXPECT_EQ(column(rs, 0, "host"), "10.0.0.1");
    EXPECT_EQ(column(rs, 1, "port"), "5433");
    EXPECT_EQ(column(rs, 0, "role"), "primary");
    EXPECT_EQ(column(rs, 0, "timeline"), "2");
    EXPECT_EQ(column(rs, 0, "state"), "up");
    EXPECT_EQ(column(rs, 0, "readable"), "f");
    EXPECT_EQ(column(rs, 1, "readable"), "t");
    EXPECT_EQ(column(rs, 0, "current_lsn"), "0/3000060");
    EXPECT_EQ(column(rs, 0, "received_lsn"), "NULL");
    EXPECT_EQ(column(rs, 1, "replayed_lsn"), "0/3000000");
    EXPECT_EQ(column(rs, 1, "lag_bytes"), "96");
    EXPECT_EQ(column(rs, 1, "lag_ms"), "12");
    EXPECT_EQ(column(rs, 0, "last_check"), "0.5");
    EXPECT_EQ(column(rs, 1, "last_check"), "0");
    EXPECT_EQ(column(rs, 0, "in_flight"), "3");
    EXPECT_EQ(column(rs, 1, "generation"), "7");
}

TEST(NodesView, DisabledNodesDrainThenShowDisabled) {
    const auto now = clock::now();
    control_state c;
    c.disabled = {false, true};
    auto rs = nodes_view(checked(now), two_nodes(), c, {0, 2}, now);
    EXPECT_EQ(column(rs, 1, "state"), "draining");
    EXPECT_EQ(column(rs, 1, "readable"), "f");
    EXPECT_EQ(column(rs, 1, "reason"),
              "disabled by an operator (DISABLE NODE); streaming, lag 96 B / 12 ms");
    rs = nodes_view(checked(now), two_nodes(), c, {0, 0}, now);
    EXPECT_EQ(column(rs, 1, "state"), "disabled");
    EXPECT_EQ(column(rs, 0, "state"), "up");
}

TEST(NodesView, RetiredNodesAreHiddenAndUncheckedOnesUnknown) {
    const auto now = clock::now();
    auto cfg = two_nodes();
    cfg.nodes[0].retired = true;
    cfg.nodes.push_back({.name = "pg3", .host = "10.0.0.3"});
    const auto rs = nodes_view(checked(now), cfg, {}, {}, now);
    ASSERT_EQ(rs.rows.size(), 2u);
    EXPECT_EQ(column(rs, 0, "name"), "pg2");
    EXPECT_EQ(column(rs, 1, "name"), "pg3");
    EXPECT_EQ(column(rs, 1, "state"), "unknown");
    EXPECT_EQ(column(rs, 1, "role"), "unknown");
    EXPECT_EQ(column(rs, 1, "timeline"), "NULL");
    EXPECT_EQ(column(rs, 1, "last_check"), "NULL");
    EXPECT_EQ(column(rs, 1, "in_flight"), "0");
}

TEST(EventsView, OldestFirstWithTheirColumns) {
    recorded_event e;
    e.at = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50);
    e.kind = "promotion_seen";
    e.node = "pg2";
    e.reason = "primary on timeline 2";
    e.primary = "pg2";
    e.generation = 4;
    const auto rs = events_view({e});
    ASSERT_EQ(rs.columns.size(), 6u);
    EXPECT_EQ(rs.columns[0].type_oid, pg_type::timestamptz);
    ASSERT_EQ(rs.rows.size(), 1u);
    EXPECT_EQ(column(rs, 0, "event"), "promotion_seen");
    EXPECT_EQ(column(rs, 0, "reason"), "primary on timeline 2");
    EXPECT_EQ(column(rs, 0, "generation"), "4");
    EXPECT_EQ(column(rs, 0, "time").substr(0, 4), "2019");
}

TEST(ConfigView, OneRowPerKeyAsCheckPrintsIt) {
    auto cfg = two_nodes();
    cfg.health.password = "hush";
    const auto rs = config_view(cfg);
    ASSERT_EQ(rs.columns.size(), 2u);
    bool saw_nodes = false;
    for (std::size_t i = 0; i < rs.rows.size(); ++i) {
        const std::string key = *rs.rows[i][0];
        if (key == "health.password") {
            EXPECT_EQ(rs.rows[i][1], "\"********\"");
        }
        if (key == "nodes[1].port") {
            EXPECT_EQ(rs.rows[i][1], "5433");
            saw_nodes = true;
        }
    }
    EXPECT_TRUE(saw_nodes);
}

TEST(HelpView, ListsEveryCommand) {
    const auto rs = help_view();
    ASSERT_EQ(rs.columns.size(), 2u);
    std::string all;
    for (const auto& row : rs.rows)
        all += *row[0] + "\n";
    for (const char* c : {"SHOW NODES", "PAUSE", "RESUME", "RELOAD", "SHUTDOWN", "SWITCHOVER TO"})
        EXPECT_NE(all.find(c), std::string::npos) << c;
}

// ---- SHOW POOLS, CLIENTS, SERVERS, STATS ----------------------------------------------------

std::vector<std::string> names(const protocol::result_set& rs) {
    std::vector<std::string> out;
    for (const auto& c : rs.columns)
        out.push_back(c.name);
    return out;
}

runtime_view busy_view() {
    using namespace std::chrono_literals;
    runtime_view v;
    pool_row p;
    p.database = "app";
    p.user = "alice";
    p.node = "pg2";
    p.node_index = 1;
    p.clients_active = 2;
    p.clients_waiting = 1;
    p.servers_active = 2;
    p.servers_idle = 3;
    p.servers_opening = 1;
    p.max_size = 20;
    p.longest_wait = 2500ms;
    v.pools = {p};
    const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    v.clients = {client_row{.id = 5,
                            .user = "alice",
                            .database = "app",
                            .application_name = "billing",
                            .state = "active",
                            .address = "10.1.1.1",
                            .port = 40000,
                            .tls = true,
                            .connected = at,
                            .last_request = at + 5s,
                            .node = "pg2",
                            .server_id = 12,
                            .pinned = "LISTEN",
                            .pool_mode = "transaction"},
                 client_row{.id = 6,
                            .user = "bob",
                            .database = "app",
                            .state = "waiting",
                            .connected = at,
                            .last_request = at,
                            .waiting_for = 1250ms,
                            .pool_mode = "session"}};
    v.servers = {server_row{.id = 12,
                            .node = "pg2",
                            .database = "app",
                            .user = "alice",
                            .state = "active",
                            .address = "10.0.0.2",
                            .port = 5433,
                            .backend_pid = 4242,
                            .tls = false,
                            .connected = at,
                            .client_id = 5},
                 server_row{.id = 13, .node = "pg2", .state = "idle", .connected = at}};
    return v;
}

TEST(PoolsView, CountsAndTheWaitSplitAsPgBouncer) {
    auto cfg = two_nodes();
    cfg.pool.mode = pool_mode::session;
    const auto rs = pools_view(busy_view(), cfg);
    EXPECT_EQ(names(rs),
              (std::vector<std::string>{"database", "user", "node", "cl_active", "cl_waiting",
                                        "sv_active", "sv_idle", "sv_login", "pool_size", "maxwait",
                                        "maxwait_us", "pool_mode"}));
    ASSERT_EQ(rs.rows.size(), 1u);
    EXPECT_EQ(column(rs, 0, "node"), "pg2");
    EXPECT_EQ(column(rs, 0, "cl_active"), "2");
    EXPECT_EQ(column(rs, 0, "cl_waiting"), "1");
    EXPECT_EQ(column(rs, 0, "sv_active"), "2");
    EXPECT_EQ(column(rs, 0, "sv_idle"), "3");
    EXPECT_EQ(column(rs, 0, "sv_login"), "1");
    EXPECT_EQ(column(rs, 0, "pool_size"), "20");
    EXPECT_EQ(column(rs, 0, "maxwait"), "2");
    EXPECT_EQ(column(rs, 0, "maxwait_us"), "500000");
    EXPECT_EQ(column(rs, 0, "pool_mode"), "session");
}

TEST(ClientsView, OneRowPerClientWithNullsForWhatItLacks) {
    const auto rs = clients_view(busy_view());
    EXPECT_EQ(names(rs),
              (std::vector<std::string>{"id", "user", "database", "state", "addr", "port", "tls",
                                        "connect_time", "request_time", "wait", "wait_us", "node",
                                        "server_id", "pinned", "pool_mode", "application_name"}));
    ASSERT_EQ(rs.rows.size(), 2u);
    EXPECT_EQ(column(rs, 0, "id"), "5");
    EXPECT_EQ(column(rs, 0, "state"), "active");
    EXPECT_EQ(column(rs, 0, "addr"), "10.1.1.1");
    EXPECT_EQ(column(rs, 0, "port"), "40000");
    EXPECT_EQ(column(rs, 0, "tls"), "t");
    EXPECT_EQ(column(rs, 0, "connect_time"), "2023-11-14 22:13:20+00");
    EXPECT_EQ(column(rs, 0, "request_time"), "2023-11-14 22:13:25+00");
    EXPECT_EQ(column(rs, 0, "node"), "pg2");
    EXPECT_EQ(column(rs, 0, "server_id"), "12");
    EXPECT_EQ(column(rs, 0, "pinned"), "LISTEN");
    EXPECT_EQ(column(rs, 0, "application_name"), "billing");
    EXPECT_EQ(column(rs, 1, "state"), "waiting");
    EXPECT_EQ(column(rs, 1, "wait"), "1");
    EXPECT_EQ(column(rs, 1, "wait_us"), "250000");
    EXPECT_EQ(column(rs, 1, "node"), "NULL");
    EXPECT_EQ(column(rs, 1, "server_id"), "NULL");
    EXPECT_EQ(column(rs, 1, "pinned"), "NULL");
    EXPECT_EQ(column(rs, 1, "pool_mode"), "session");
}

TEST(ServersView, ActiveOnesNameTheirClient) {
    const auto rs = servers_view(busy_view());
    EXPECT_EQ(names(rs),
              (std::vector<std::string>{"id", "user", "database", "node", "state", "addr", "port",
                                        "backend_pid", "tls", "connect_time", "client_id"}));
    ASSERT_EQ(rs.rows.size(), 2u);
    EXPECT_EQ(column(rs, 0, "state"), "active");
    EXPECT_EQ(column(rs, 0, "addr"), "10.0.0.2");
    EXPECT_EQ(column(rs, 0, "port"), "5433");
    EXPECT_EQ(column(rs, 0, "backend_pid"), "4242");
    EXPECT_EQ(column(rs, 0, "tls"), "f");
    EXPECT_EQ(column(rs, 0, "client_id"), "5");
    EXPECT_EQ(column(rs, 1, "state"), "idle");
    EXPECT_EQ(column(rs, 1, "client_id"), "NULL");
}

TEST(StatsView, TotalsByRouteAndAverages) {
    database_totals t;
    t.database = "app";
    t.transactions = {6, 4};
    t.queries = {10, 20};
    t.bytes_received = 1000;
    t.bytes_sent = 9000;
    t.transaction_us = 1000;
    t.query_us = 3000;
    t.wait_us = 50;
    t.errors = 2;
    t.conflict_retries = 1;
    database_totals idle;
    idle.database = "idle";
    const auto rs = stats_view({t, idle});
    EXPECT_EQ(
        names(rs),
        (std::vector<std::string>{
            "database", "total_xact_count", "total_query_count", "primary_xact_count",
            "standby_xact_count", "primary_query_count", "standby_query_count", "total_received",
            "total_sent", "total_xact_time", "total_query_time", "total_wait_time", "avg_xact_time",
            "avg_query_time", "total_errors", "conflict_retries"}));
    ASSERT_EQ(rs.rows.size(), 2u);
    EXPECT_EQ(column(rs, 0, "total_xact_count"), "10");
    EXPECT_EQ(column(rs, 0, "total_query_count"), "30");
    EXPECT_EQ(column(rs, 0, "primary_xact_count"), "6");
    EXPECT_EQ(column(rs, 0, "standby_xact_count"), "4");
    EXPECT_EQ(column(rs, 0, "primary_query_count"), "10");
    EXPECT_EQ(column(rs, 0, "standby_query_count"), "20");
    EXPECT_EQ(column(rs, 0, "total_received"), "1000");
    EXPECT_EQ(column(rs, 0, "total_sent"), "9000");
    EXPECT_EQ(column(rs, 0, "total_wait_time"), "50");
    EXPECT_EQ(column(rs, 0, "avg_xact_time"), "100");
    EXPECT_EQ(column(rs, 0, "avg_query_time"), "100");
    EXPECT_EQ(column(rs, 0, "total_errors"), "2");
    EXPECT_EQ(column(rs, 0, "conflict_retries"), "1");
    EXPECT_EQ(column(rs, 1, "avg_xact_time"), "0") << "no division by zero";
}

}  // namespace
}  // namespace pgrelay::proxy
