// Reload planning: which keys changed, which of them need a restart (and keep their running
// values), and that everything else is taken from the new file.
#include "proxy/reload_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace pgrelay::proxy {
namespace {

config base() {
    config cfg;
    cfg.workers = 2;
    cfg.nodes = {{.name = "pg1", .host = "10.0.0.1"}, {.name = "pg2", .host = "10.0.0.2"}};
    return cfg;
}

TEST(PlanReload, NothingChangedNothingToDo) {
    const auto plan = plan_reload(base(), base());
    EXPECT_TRUE(plan.changed.empty());
    EXPECT_TRUE(plan.needs_restart.empty());
    EXPECT_EQ(plan.next, base());
}

TEST(PlanReload, AppliesLagPoolTimeoutsAndLogLevel) {
    auto next = base();
    next.health.max_lag_bytes = 1024;
    next.pool.size = 7;
    next.pool.query_wait_timeout = std::chrono::milliseconds(1500);
    next.client_idle_timeout = std::chrono::milliseconds(60000);
    next.level = log_level::debug;
    const auto plan = plan_reload(base(), next);
    EXPECT_EQ(plan.next, next);
    EXPECT_TRUE(plan.needs_restart.empty());
    const std::vector<std::string> changed = {"general.client_idle_timeout", "general.log_level",
                                              "health.max_lag_bytes", "pool.default_pool_size",
                                              "pool.query_wait_timeout"};
    EXPECT_EQ(plan.changed, changed);
}

TEST(PlanReload, KeepsListenersAndWorkersAndSaysTheyNeedARestart) {
    auto next = base();
    next.listen_address = "0.0.0.0";
    next.listen_port = 7432;
    next.listen_reuse_port = true;
    next.workers = 8;
    next.admin.port = 7433;
    next.admin.address = "0.0.0.0";
    next.http.port = 9187;
    next.http.address = "::";
    next.health.rise = 5;  // applied
    const auto plan = plan_reload(base(), next);
    EXPECT_EQ(plan.next.listen_address, "127.0.0.1");
    EXPECT_EQ(plan.next.listen_port, 6432);
    EXPECT_FALSE(plan.next.listen_reuse_port);
    EXPECT_EQ(plan.next.workers, 2u);
    EXPECT_EQ(plan.next.admin.port, base().admin.port);
    EXPECT_EQ(plan.next.admin.address, base().admin.address);
    EXPECT_EQ(plan.next.http.port, base().http.port);
    EXPECT_EQ(plan.next.http.address, base().http.address);
    EXPECT_EQ(plan.next.health.rise, 5);
    const std::vector<std::string> restart = {"general.workers",   "listen.address", "listen.port",
                                              "listen.reuse_port", "admin.address",  "admin.port",
                                              "http.address",      "http.port"};
    EXPECT_EQ(plan.needs_restart, restart);
    EXPECT_EQ(plan.changed.size(), restart.size() + 1);
}

TEST(PlanReload, ReadyWithoutPrimaryApplies) {
    auto next = base();
    next.http.ready_without_primary = true;
    const auto plan = plan_reload(base(), next);
    EXPECT_TRUE(plan.next.http.ready_without_primary);
    EXPECT_EQ(plan.changed, (std::vector<std::string>{"http.ready_without_primary"}));
    EXPECT_TRUE(plan.needs_restart.empty());
}

TEST(PlanReload, NodeWeightsAndLagLimitsApplyOnTheSameNodes) {
    auto next = base();
    next.nodes[1].weight = 5;
    next.nodes[1].max_lag_bytes = 4096;
    const auto plan = plan_reload(base(), next);
    EXPECT_EQ(plan.next.nodes, next.nodes);
    EXPECT_TRUE(plan.needs_restart.empty());
    const std::vector<std::string> changed = {"nodes[1].weight", "nodes[1].max_lag_bytes"};
    EXPECT_EQ(plan.changed, changed);
}

TEST(PlanReload, NodesKeepTheirSlotsRemovedOnesRetireNewOnesAppend) {
    auto next = base();
    next.nodes = {{.name = "pg3", .host = "10.0.0.3"}, {.name = "pg2", .host = "10.0.0.2"}};
    next.nodes[1].weight = 4;
    auto plan = plan_reload(base(), next);
    ASSERT_EQ(plan.next.nodes.size(), 3u);
    EXPECT_EQ(plan.next.nodes[0].name, "pg1");
    EXPECT_TRUE(plan.next.nodes[0].retired);
    EXPECT_EQ(plan.next.nodes[1].name, "pg2");  // same slot, the file's weight
    EXPECT_FALSE(plan.next.nodes[1].retired);
    EXPECT_EQ(plan.next.nodes[1].weight, 4u);
    EXPECT_EQ(plan.next.nodes[2].name, "pg3");  // appended
    EXPECT_FALSE(plan.next.nodes[2].retired);
    EXPECT_TRUE(plan.needs_restart.empty());
    EXPECT_EQ(plan.next.node_index("pg1"), std::nullopt);
    EXPECT_EQ(plan.next.node_index("pg3"), 2u);
    EXPECT_EQ(plan.next.node_names(), "pg2, pg3");
    auto has = [&](const std::string& key) {
        return std::find(plan.changed.begin(), plan.changed.end(), key) != plan.changed.end();
    };
    EXPECT_TRUE(has("nodes[1].weight"));
    EXPECT_TRUE(has("nodes[2].name"));
    EXPECT_TRUE(has("nodes[0].name"));  // gone
    EXPECT_FALSE(has("nodes[1].name"));
}

TEST(PlanReload, AMovedNodeTakesANewSlotUnderItsName) {
    auto next = base();
    next.nodes[0].port = 5433;
    const auto plan = plan_reload(base(), next);
    ASSERT_EQ(plan.next.nodes.size(), 3u);
    EXPECT_TRUE(plan.next.nodes[0].retired);
    EXPECT_EQ(plan.next.nodes[2].name, "pg1");
    EXPECT_EQ(plan.next.nodes[2].port, 5433);
    EXPECT_EQ(plan.next.node_index("pg1"), 2u);
    // A retired node that comes back takes a new slot again: retired slots are never reused.
    const auto back = plan_reload(plan.next, base());
    ASSERT_EQ(back.next.nodes.size(), 4u);
    EXPECT_EQ(back.next.node_index("pg1"), 3u);
    EXPECT_EQ(back.next.nodes[3].port, 5432);
}

TEST(PlanReload, NodeChangesBeyondTheSlotsNeedARestart) {
    auto next = base();
    next.nodes.push_back({.name = "pg3", .host = "10.0.0.3"});
    next.pool.size = 3;
    const auto plan = plan_reload(base(), next, 2);
    EXPECT_EQ(plan.next.nodes, base().nodes);
    EXPECT_EQ(plan.next.pool.size, 3u);
    ASSERT_EQ(plan.needs_restart.size(), 1u);
    EXPECT_EQ(plan.needs_restart[0], "nodes (no room for more than 2 node slots)");
}

TEST(MergeNodeSlots, MatchesByNameHostAndPort) {
    const std::vector<node_config> running = {{.name = "a", .host = "h1"},
                                              {.name = "b", .host = "h2", .retired = true},
                                              {.name = "c", .host = "h3"}};
    const std::vector<node_config> loaded = {{.name = "c", .host = "h3", .weight = 7},
                                             {.name = "b", .host = "h2"},
                                             {.name = "a", .host = "h9"}};
    const auto slots = merge_node_slots(running, loaded);
    ASSERT_EQ(slots.size(), 5u);
    EXPECT_TRUE(slots[0].retired);   // a moved to h9
    EXPECT_TRUE(slots[1].retired);   // stays retired
    EXPECT_FALSE(slots[2].retired);  // c kept, weight from the file
    EXPECT_EQ(slots[2].weight, 7u);
    EXPECT_EQ(slots[3].name, "b");  // back, in a new slot
    EXPECT_EQ(slots[4].name, "a");
    EXPECT_EQ(slots[4].host, "h9");
    const auto none = merge_node_slots(running, {});
    EXPECT_EQ(none.size(), 3u);
    for (const auto& n : none)
        EXPECT_TRUE(n.retired);
}

TEST(PlanReload, RestartKeys) {
    for (const char* k : {"listen.address", "listen.port", "listen.reuse_port", "general.workers",
                          "admin.address", "admin.port", "http.address", "http.port"})
        EXPECT_TRUE(needs_restart(k)) << k;
    for (const char* k :
         {"admin.users", "http.ready_without_primary", "general.log_level", "health.max_lag_bytes",
          "pool.default_pool_size", "auth.users_file", "routing.mode"})
        EXPECT_FALSE(needs_restart(k)) << k;
}

}  // namespace
}  // namespace pgrelay::proxy
