// Config to checker: lag bounds (global and per node, readmission at half) and probe targets.
#include "proxy/health_setup.hpp"

#include <gtest/gtest.h>

namespace pgrelay::proxy {
namespace {

config parse(std::string_view toml) {
    auto r = parse_config(toml, "/etc/pgrelay");
    EXPECT_TRUE(r.ok()) << r.error;
    return r.value.value_or(config{});
}

TEST(health_setup, lag_bounds_global_and_per_node_with_half_readmission) {
    auto cfg = parse(R"(
[auth]
users_file = "users.txt"
[health]
rise = 4
fall = 5
max_lag_bytes = 1000
max_lag_ms = 800
[[nodes]]
name = "a"
host = "h1"
[[nodes]]
name = "b"
host = "h2"
max_lag_bytes = 10000
[[nodes]]
name = "c"
host = "h3"
max_lag_ms = 60
)");
    auto s = tracker_settings_from(cfg);
    EXPECT_EQ(s.rise, 4);
    EXPECT_EQ(s.fall, 5);
    EXPECT_EQ(s.max_lag_bytes, 1000u);
    EXPECT_EQ(s.readmit_lag_bytes, 500u);
    EXPECT_EQ(s.readmit_lag_time.count(), 400);
    ASSERT_EQ(s.per_node.size(), 3u);
    EXPECT_FALSE(s.per_node[0].has_value());
    EXPECT_EQ(s.limits_for(0).max_bytes, 1000u);
    EXPECT_EQ(s.limits_for(1).max_bytes, 10000u);
    EXPECT_EQ(s.limits_for(1).readmit_bytes, 5000u);
    EXPECT_EQ(s.limits_for(1).max_time.count(), 800);
    EXPECT_EQ(s.limits_for(2).max_bytes, 1000u);
    EXPECT_EQ(s.limits_for(2).max_time.count(), 60);
    EXPECT_EQ(s.limits_for(2).readmit_time.count(), 30);
}

TEST(health_setup, probe_password_from_config_or_users_file) {
    auto cfg = parse(R"(
[auth]
users_file = "users.txt"
[health]
user = "monitor"
[[nodes]]
name = "a"
host = "h1"
port = 5433
)");
    user_map users{{"monitor", {"monitor", "from-file", secret_kind::plain}}};
    auto nodes = checked_nodes(cfg, user_directory(users));
    ASSERT_EQ(nodes.size(), 1u);
    EXPECT_EQ(nodes[0].name, "a");
    EXPECT_EQ(nodes[0].target.host, "h1");
    EXPECT_EQ(nodes[0].target.port, 5433);
    EXPECT_EQ(nodes[0].target.user, "monitor");
    EXPECT_EQ(nodes[0].target.password, "from-file");
    cfg.health.password = "explicit";
    EXPECT_EQ(checked_nodes(cfg, user_directory(users))[0].target.password, "explicit");
}

}  // namespace
}  // namespace pgrelay::proxy
