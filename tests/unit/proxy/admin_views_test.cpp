// The admin console's result sets built from value snapshots: SHOW NODES (every column, the
// operator states disabled/draining, retired nodes hidden, nodes not checked yet), SHOW
// EVENTS, SHOW CONFIG and SHOW HELP.
#include "proxy/admin_views.hpp"

#include <gtest/gtest.h>

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
    health::topology t;
    t.generation = 7;
    t.primary = 0;
    health::node_status p;
    p.name = "pg1";
    p.state = node_state::up;
    p.role = node_role::primary;
    p.timeline = 2;
    p.reason = "primary on timeline 2";
    p.current_lsn = health::lsn{0x3000060};
    p.last_check = at - std::chrono::milliseconds(500);
    health::node_status s;
    s.name = "pg2";
    s.state = node_state::up;
    s.role = node_role::standby;
    s.readable = true;
    s.timeline = 2;
    s.reason = "streaming, lag 0 B / 0 ms";
    s.receive_lsn = s.replay_lsn = health::lsn{0x3000000};
    s.lag_bytes = 96;
    s.lag_time = std::chrono::milliseconds(12);
    s.last_check = at;
    t.nodes = {p, s};
    return t;
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
              "disabled by an operator (DISABLE NODE); streaming, lag 0 B / 0 ms");
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

}  // namespace
}  // namespace pgrelay::proxy
