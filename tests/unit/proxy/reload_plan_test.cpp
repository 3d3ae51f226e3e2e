// Reload planning: which keys changed, which of them need a restart (and keep their running
// values), and that everything else is taken from the new file.
#include "proxy/reload_plan.hpp"

#include <gtest/gtest.h>

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
    next.health.rise = 5;  // applied
    const auto plan = plan_reload(base(), next);
    EXPECT_EQ(plan.next.listen_address, "127.0.0.1");
    EXPECT_EQ(plan.next.listen_port, 6432);
    EXPECT_FALSE(plan.next.listen_reuse_port);
    EXPECT_EQ(plan.next.workers, 2u);
    EXPECT_EQ(plan.next.admin.port, base().admin.port);
    EXPECT_EQ(plan.next.admin.address, base().admin.address);
    EXPECT_EQ(plan.next.health.rise, 5);
    const std::vector<std::string> restart = {"general.workers",   "listen.address", "listen.port",
                                              "listen.reuse_port", "admin.address",  "admin.port"};
    EXPECT_EQ(plan.needs_restart, restart);
    EXPECT_EQ(plan.changed.size(), restart.size() + 1);
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

TEST(PlanReload, AddedRemovedOrMovedNodesNeedARestart) {
    auto added = base();
    added.nodes.push_back({.name = "pg3", .host = "10.0.0.3"});
    added.pool.size = 3;
    auto plan = plan_reload(base(), added);
    EXPECT_EQ(plan.next.nodes, base().nodes);
    EXPECT_EQ(plan.next.pool.size, 3u);
    ASSERT_FALSE(plan.needs_restart.empty());
    for (const auto& k : plan.needs_restart)
        EXPECT_TRUE(k.starts_with("nodes[2].")) << k;

    auto removed = base();
    removed.nodes.pop_back();
    plan = plan_reload(base(), removed);
    EXPECT_EQ(plan.next.nodes, base().nodes);
    EXPECT_FALSE(plan.needs_restart.empty());

    auto moved = base();
    moved.nodes[0].port = 5433;
    moved.nodes[1].weight = 9;  // kept too: the node list as a whole stays
    plan = plan_reload(base(), moved);
    EXPECT_EQ(plan.next.nodes, base().nodes);
    const std::vector<std::string> restart = {"nodes[0].port", "nodes[1].weight"};
    EXPECT_EQ(plan.needs_restart, restart);
}

TEST(PlanReload, SameNodeListComparesNamesHostsAndPortsInOrder) {
    auto a = base();
    auto b = base();
    EXPECT_TRUE(same_node_list(a, b));
    b.nodes[0].weight = 3;
    EXPECT_TRUE(same_node_list(a, b));
    std::swap(b.nodes[0], b.nodes[1]);
    EXPECT_FALSE(same_node_list(a, b));
    b = base();
    b.nodes[1].host = "10.0.0.9";
    EXPECT_FALSE(same_node_list(a, b));
    b = base();
    b.nodes[1].name = "pg9";
    EXPECT_FALSE(same_node_list(a, b));
}

TEST(PlanReload, RestartKeys) {
    for (const char* k : {"listen.address", "listen.port", "listen.reuse_port", "general.workers",
                          "admin.address", "admin.port"})
        EXPECT_TRUE(needs_restart(k)) << k;
    for (const char* k : {"admin.users", "general.log_level", "health.max_lag_bytes",
                          "pool.default_pool_size", "auth.users_file", "routing.mode"})
        EXPECT_FALSE(needs_restart(k)) << k;
}

}  // namespace
}  // namespace pgrelay::proxy
