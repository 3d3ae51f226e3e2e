// Minted cancel keys: unique, unknown to servers, mapped to the right server key.
#include "proxy/cancel_map.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace pgrelay::proxy {
namespace {

TEST(cancel_map, minted_keys_are_unique) {
    cancel_map m;
    std::set<std::pair<std::int32_t, std::int32_t>> seen;
    for (int i = 0; i < 10000; ++i) {
        auto k = m.mint();
        EXPECT_GT(k.process_id, 0);
        EXPECT_TRUE(seen.emplace(k.process_id, k.secret_key).second);
    }
    EXPECT_EQ(m.size(), 10000u);
}

TEST(cancel_map, finds_target_only_for_the_exact_key) {
    cancel_map m;
    auto k = m.mint();
    EXPECT_FALSE(m.find(k).has_value()) << "no server yet";
    m.set_target(k, {"10.0.0.1", 5433, {4242, 99}});
    auto t = m.find(k);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->host, "10.0.0.1");
    EXPECT_EQ(t->port, 5433);
    EXPECT_EQ(t->server_key.process_id, 4242);
    EXPECT_EQ(t->server_key.secret_key, 99);

    protocol::backend_key wrong_secret{k.process_id, k.secret_key ^ 1};
    EXPECT_FALSE(m.find(wrong_secret).has_value());
    protocol::backend_key wrong_pid{k.process_id + 1, k.secret_key};
    EXPECT_FALSE(m.find(wrong_pid).has_value());
}

TEST(cancel_map, set_target_ignores_unknown_keys) {
    cancel_map m;
    m.set_target({7, 7}, {"h", 1, {1, 1}});
    EXPECT_FALSE(m.find({7, 7}).has_value());
    EXPECT_EQ(m.size(), 0u);
}

TEST(cancel_map, clear_and_forget) {
    cancel_map m;
    auto k = m.mint();
    m.set_target(k, {"h", 1, {1, 2}});
    m.clear_target(k);
    EXPECT_FALSE(m.find(k).has_value());
    EXPECT_EQ(m.size(), 1u);
    m.forget(k);
    EXPECT_EQ(m.size(), 0u);
}

TEST(cancel_map, concurrent_minting_stays_unique) {
    cancel_map m;
    std::vector<std::vector<protocol::backend_key>> keys(4);
    std::vector<std::thread> threads;
    for (auto& v : keys)
        threads.emplace_back([&m, &v] {
            for (int i = 0; i < 2000; ++i)
                v.push_back(m.mint());
        });
    for (auto& t : threads)
        t.join();
    std::set<std::pair<std::int32_t, std::int32_t>> seen;
    for (auto& v : keys) {
        for (auto k : v) {
            EXPECT_TRUE(seen.emplace(k.process_id, k.secret_key).second);
        }
    }
    EXPECT_EQ(m.size(), 8000u);
}

}  // namespace
}  // namespace pgrelay::proxy
