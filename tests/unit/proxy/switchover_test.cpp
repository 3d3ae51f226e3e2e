// The switchover's pure parts: whether one may start (every refusal and its SQLSTATE), and
// the steps as the console shows them (result set, and the DETAIL text of an abort).
#include "proxy/switchover.hpp"

#include <gtest/gtest.h>

#include "proxy/admin_views.hpp"

namespace pgrelay::proxy {
namespace {

using health::node_role;
using health::node_state;

config three_nodes() {
    config cfg;
    cfg.nodes = {{.name = "pg1", .host = "h1"},
                 {.name = "pg2", .host = "h2"},
                 {.name = "pg3", .host = "h3"}};
    return cfg;
}

health::topology healthy() {
    health::topology t;
    t.primary = 0;
    t.primary_timeline = 1;
    for (const char* name : {"pg1", "pg2", "pg3"}) {
        health::node_status n;
        n.name = name;
        n.state = node_state::up;
        n.role = node_role::standby;
        n.readable = true;
        n.timeline = 1;
        t.nodes.push_back(n);
    }
    t.nodes[0].role = node_role::primary;
    t.nodes[0].readable = false;
    return t;
}

// The refusal's SQLSTATE and message, or "ok from->to".
std::string verdict(const health::topology& t, const control_state& c, std::string_view target) {
    const auto cfg = three_nodes();
    auto r = plan_switchover(t, cfg, c, target);
    if (auto* p = std::get_if<switchover_plan>(&r))
        return "ok " + std::to_string(p->from) + "->" + std::to_string(p->to);
    const auto& refusal = std::get<switchover_refusal>(r);
    return std::string(refusal.sqlstate) + " " + refusal.message;
}

TEST(PlanSwitchover, AStandbyOnThePrimarysTimelineMayTakeOver) {
    EXPECT_EQ(verdict(healthy(), {}, "pg2"), "ok 0->1");
    EXPECT_EQ(verdict(healthy(), {}, "pg3"), "ok 0->2");
}

TEST(PlanSwitchover, ALaggingStandbyMayStartAndMustCatchUpInTheRun) {
    auto t = healthy();
    t.nodes[1].state = node_state::stale;
    t.nodes[1].readable = false;
    t.nodes[1].reason = "replay lag 20 MB > max 16 MB";
    EXPECT_EQ(verdict(t, {}, "pg2"), "ok 0->1");
}

TEST(PlanSwitchover, RefusesUnknownNodesNamingTheKnownOnes) {
    EXPECT_EQ(verdict(healthy(), {}, "pg9"), "42704 no node named \"pg9\" (nodes: pg1, pg2, pg3)");
    EXPECT_EQ(verdict(healthy(), {}, "PG2"), "42704 no node named \"PG2\" (nodes: pg1, pg2, pg3)");
}

TEST(PlanSwitchover, RefusesWhatCannotBeAPlannedMove) {
    auto t = healthy();
    EXPECT_EQ(verdict(t, {}, "pg1"), "55000 \"pg1\" is the primary already");

    auto none = healthy();
    none.primary.reset();
    EXPECT_EQ(verdict(none, {}, "pg2"), "55000 no primary is known and up");

    auto split = healthy();
    split.split_brain = true;
    EXPECT_EQ(verdict(split, {}, "pg2"), "55000 two nodes claim the primary role (split brain)");

    auto down = healthy();
    down.nodes[1].state = node_state::down;
    down.nodes[1].reason = "connection refused";
    EXPECT_EQ(verdict(down, {}, "pg2"), "55000 \"pg2\" is down (connection refused)");

    auto fenced = healthy();
    fenced.nodes[2].state = node_state::fenced;
    fenced.nodes[2].role = node_role::primary;
    EXPECT_EQ(verdict(fenced, {}, "pg3"), "55000 \"pg3\" is fenced, not a standby");

    auto starting = healthy();
    starting.nodes[1].state = node_state::starting;
    EXPECT_EQ(verdict(starting, {}, "pg2"), "55000 \"pg2\" is starting");

    auto other_timeline = healthy();
    other_timeline.nodes[1].timeline = 2;
    EXPECT_EQ(verdict(other_timeline, {}, "pg2"),
              "55000 \"pg2\" is on timeline 2, the primary on 1");
}

TEST(PlanSwitchover, RespectsOperatorControls) {
    control_state c;
    c.disabled = {false, true, false};
    EXPECT_EQ(verdict(healthy(), c, "pg2"), "55000 \"pg2\" is disabled");
    EXPECT_EQ(verdict(healthy(), c, "pg3"), "ok 0->2");
    c.disabled = {true, false, false};
    EXPECT_EQ(verdict(healthy(), c, "pg2"), "55000 the primary \"pg1\" is disabled");
    control_state stopping;
    stopping.shutting_down = true;
    EXPECT_EQ(verdict(healthy(), stopping, "pg2"), "55000 pgrelay is shutting down");
}

TEST(SwitchoverView, ListsEveryStepThenThePause) {
    switchover_report r;
    r.ok = true;
    r.steps = {{"pause", "new transactions wait", std::chrono::milliseconds(0)},
               {"catch_up", "\"pg2\" replayed 0/3000060", std::chrono::milliseconds(12)}};
    r.paused_for = std::chrono::milliseconds(140);
    const auto rs = switchover_view(r);
    EXPECT_EQ(rs.command_tag, "SWITCHOVER");
    ASSERT_EQ(rs.columns.size(), 3u);
    EXPECT_EQ(rs.columns[0].name, "step");
    EXPECT_EQ(rs.columns[2].name, "ms");
    EXPECT_EQ(rs.columns[2].type_oid, protocol::pg_type::int8);
    ASSERT_EQ(rs.rows.size(), 3u);
    EXPECT_EQ(rs.rows[1][0], "catch_up");
    EXPECT_EQ(rs.rows[1][2], "12");
    EXPECT_EQ(rs.rows[2][0], "paused");
    EXPECT_EQ(rs.rows[2][2], "140");
    EXPECT_EQ(switchover_steps_text(r),
              "pause: new transactions wait (0 ms)\ncatch_up: \"pg2\" replayed 0/3000060 (12 ms)");
}

}  // namespace
}  // namespace pgrelay::proxy
