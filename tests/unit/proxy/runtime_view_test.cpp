// Unit tests of merging the workers' runtime views (proxy/runtime_view.hpp): pools of the same
// database, user and node summed, others kept apart and ordered, clients and servers by id.
#include "proxy/runtime_view.hpp"

#include <gtest/gtest.h>

namespace pgrelay::proxy {
namespace {

using namespace std::chrono_literals;

pool_row pool(std::string db, std::string user, std::size_t node, std::size_t active,
              std::size_t idle, std::chrono::milliseconds wait = 0ms) {
    pool_row p;
    p.database = std::move(db);
    p.user = std::move(user);
    p.node = "pg" + std::to_string(node + 1);
    p.node_index = node;
    p.clients_active = active;
    p.servers_active = active;
    p.servers_idle = idle;
    p.clients_waiting = wait > 0ms ? 1 : 0;
    p.servers_opening = 1;
    p.max_size = 10;
    p.longest_wait = wait;
    return p;
}

TEST(MergeViews, PoolsOfTheSameKeyAreSummed) {
    runtime_view a;
    a.pools = {pool("app", "alice", 1, 2, 1, 30ms), pool("app", "alice", 0, 1, 0)};
    runtime_view b;
    b.pools = {pool("app", "alice", 1, 3, 2, 10ms), pool("app", "bob", 0, 0, 4)};
    const auto merged = merge_views({a, b});
    ASSERT_EQ(merged.pools.size(), 3u);
    // (database, user, node index) order.
    EXPECT_EQ(merged.pools[0].node, "pg1");
    EXPECT_EQ(merged.pools[0].user, "alice");
    EXPECT_EQ(merged.pools[1].node, "pg2");
    EXPECT_EQ(merged.pools[2].user, "bob");
    const pool_row& sum = merged.pools[1];
    EXPECT_EQ(sum.clients_active, 5u);
    EXPECT_EQ(sum.servers_active, 5u);
    EXPECT_EQ(sum.servers_idle, 3u);
    EXPECT_EQ(sum.clients_waiting, 2u);
    EXPECT_EQ(sum.servers_opening, 2u);
    EXPECT_EQ(sum.max_size, 20u) << "each worker has its share of the pool";
    EXPECT_EQ(sum.longest_wait, 30ms);
    EXPECT_EQ(merged.pools[0].max_size, 10u);
}

TEST(MergeViews, ClientsAndServersInIdOrder) {
    runtime_view a;
    a.clients = {client_row{.id = 7}, client_row{.id = 2}};
    a.servers = {server_row{.id = 9}};
    runtime_view b;
    b.clients = {client_row{.id = 4}};
    b.servers = {server_row{.id = 3}, server_row{.id = 11}};
    const auto merged = merge_views({a, b});
    ASSERT_EQ(merged.clients.size(), 3u);
    EXPECT_EQ(merged.clients[0].id, 2u);
    EXPECT_EQ(merged.clients[1].id, 4u);
    EXPECT_EQ(merged.clients[2].id, 7u);
    ASSERT_EQ(merged.servers.size(), 3u);
    EXPECT_EQ(merged.servers[0].id, 3u);
    EXPECT_EQ(merged.servers[2].id, 11u);
}

TEST(MergeViews, NoWorkers) {
    const auto merged = merge_views({});
    EXPECT_TRUE(merged.clients.empty());
    EXPECT_TRUE(merged.servers.empty());
    EXPECT_TRUE(merged.pools.empty());
}

}  // namespace
}  // namespace pgrelay::proxy
