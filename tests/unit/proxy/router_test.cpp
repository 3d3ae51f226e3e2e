// Router decisions for every mode, hint, primary_reads policy and topology shape, and the
// balancing policies' distributions.
#include "proxy/router.hpp"

#include <gtest/gtest.h>

#include <map>

namespace pgrelay::proxy {
namespace {

using health::node_role;
using health::node_state;

// A topology of named nodes: 'P' primary, 'S' readable standby, 's' stale standby,
// 'F' fenced, 'D' down.
health::topology topo(std::string_view shape) {
    health::topology t;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        health::node_status n;
        n.name = "n" + std::to_string(i);
        switch (shape[i]) {
            case 'P':
                n.role = node_role::primary;
                n.state = node_state::up;
                t.primary = i;
                break;
            case 'S':
                n.role = node_role::standby;
                n.state = node_state::up;
                n.readable = true;
                break;
            case 's':
                n.role = node_role::standby;
                n.state = node_state::stale;
                break;
            case 'F':
                n.role = node_role::primary;
                n.state = node_state::fenced;
                break;
            default:
                n.state = node_state::down;
                break;
        }
        t.nodes.push_back(n);
    }
    return t;
}

struct route_case {
    const char* name;
    const char* shape;
    routing_mode mode;
    primary_reads reads;
    bool needs_primary;
    std::optional<route_preference> hint;
    route_verdict verdict;
    // Allowed nodes for a `node` verdict (any of them).
    std::vector<std::size_t> nodes;
};

class route_table : public ::testing::TestWithParam<route_case> {};

TEST_P(route_table, decides) {
    const auto& c = GetParam();
    router r;
    router_settings s;
    s.mode = c.mode;
    s.primary_reads_policy = c.reads;
    auto t = topo(c.shape);
    for (int round = 0; round < 6; ++round) {
        auto d = r.route(t, {c.needs_primary, c.hint}, s, {});
        ASSERT_EQ(d.verdict, c.verdict) << c.name << ": " << to_string(d.verdict);
        if (d.verdict == route_verdict::node) {
            EXPECT_NE(std::find(c.nodes.begin(), c.nodes.end(), d.node), c.nodes.end())
                << c.name << ": chose n" << d.node;
            EXPECT_EQ(d.on_primary, t.primary && *t.primary == d.node) << c.name;
        }
    }
}

constexpr auto A = routing_mode::automatic;
constexpr auto PM = routing_mode::primary;
constexpr auto SM = routing_mode::standby;
constexpr auto never = primary_reads::never;
constexpr auto fallback = primary_reads::fallback;
constexpr auto always = primary_reads::always;
constexpr auto hp = route_preference::primary;
constexpr auto hs = route_preference::standby;
constexpr auto node = route_verdict::node;
constexpr auto wait = route_verdict::wait_for_primary;
constexpr auto none = route_verdict::no_standby;

INSTANTIATE_TEST_SUITE_P(
    cases, route_table,
    ::testing::Values(
        // auto: writes to the primary, reads to readable standbys
        route_case{"auto write", "PSS", A, fallback, true, {}, node, {0}},
        route_case{"auto read", "PSS", A, fallback, false, {}, node, {1, 2}},
        route_case{"auto read skips stale", "PsS", A, fallback, false, {}, node, {2}},
        route_case{"auto read skips down", "PDS", A, fallback, false, {}, node, {2}},
        route_case{"auto read, all stale, fallback", "Pss", A, fallback, false, {}, node, {0}},
        route_case{"auto read, all stale, never", "Pss", A, never, false, {}, none, {}},
        route_case{"auto read, always includes primary", "PS", A, always, false, {}, node, {0, 1}},
        route_case{"auto read, primary only, always", "P", A, always, false, {}, node, {0}},
        route_case{"auto write, no primary", "DSS", A, fallback, true, {}, wait, {}},
        route_case{"auto read, no primary, standbys", "DSS", A, fallback, false, {}, node, {1, 2}},
        route_case{"auto read, nothing readable", "Dss", A, fallback, false, {}, wait, {}},
        route_case{"auto write, fenced old primary", "FPS", A, fallback, true, {}, node, {1}},
        route_case{"auto read never on fenced", "FPs", A, always, false, {}, node, {1}},
        // hints
        route_case{"primary hint on a read", "PSS", A, fallback, false, hp, node, {0}},
        route_case{"standby hint cannot move a write", "PSS", A, fallback, true, hs, node, {0}},
        route_case{"standby hint on a read", "PSS", A, fallback, false, hs, node, {1, 2}},
        route_case{"standby hint in primary mode", "PSS", PM, fallback, false, hs, node, {1, 2}},
        // primary mode
        route_case{"primary mode read", "PSS", PM, fallback, false, {}, node, {0}},
        route_case{"primary mode write", "PSS", PM, fallback, true, {}, node, {0}},
        route_case{"primary mode, no primary", "DSS", PM, fallback, false, {}, wait, {}},
        // standby mode
        route_case{"standby mode read", "PSS", SM, fallback, false, {}, node, {1, 2}},
        route_case{
            "standby mode write stays on standbys", "PSS", SM, fallback, true, {}, node, {1, 2}},
        route_case{"standby mode, none fresh, fallback", "Pss", SM, fallback, false, {}, node, {0}},
        route_case{"standby mode, none fresh, never", "Pss", SM, never, false, {}, none, {}},
        route_case{"standby mode, primary hint", "PSS", SM, never, false, hp, node, {0}}),
    [](const auto& param_info) {
        std::string n = param_info.param.name;
        for (auto& ch : n)
            if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
        return n;
    });

TEST(router, disabled_nodes_get_nothing) {
    router r;
    auto t = topo("PSS");
    std::vector<node_load> loads(3);
    loads[1].disabled = true;
    for (int i = 0; i < 20; ++i) {
        auto d = r.route(t, {false, {}}, {}, loads);
        ASSERT_EQ(d.verdict, route_verdict::node);
        EXPECT_EQ(d.node, 2u);
    }
    loads[0].disabled = true;  // a disabled primary: writes wait
    EXPECT_EQ(r.route(t, {true, {}}, {}, loads).verdict, route_verdict::wait_for_primary);
}

TEST(router, least_outstanding_prefers_the_idlest_and_rotates_ties) {
    router r;
    auto t = topo("PSSS");
    std::vector<node_load> loads(4);
    loads[1].outstanding = 5;
    loads[2].outstanding = 1;
    loads[3].outstanding = 3;
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(r.route(t, {false, {}}, {}, loads).node, 2u);
    loads[1].outstanding = loads[2].outstanding = loads[3].outstanding = 2;
    std::map<std::size_t, int> seen;
    for (int i = 0; i < 30; ++i)
        ++seen[r.route(t, {false, {}}, {}, loads).node];
    EXPECT_EQ(seen.size(), 3u);
    for (auto [n, count] : seen)
        EXPECT_EQ(count, 10) << "n" << n;
}

TEST(router, round_robin_cycles_over_readable_standbys) {
    router r;
    router_settings s;
    s.balance = balance_policy::round_robin;
    auto t = topo("PSsSS");
    std::map<std::size_t, int> seen;
    for (int i = 0; i < 30; ++i)
        ++seen[r.route(t, {false, {}}, s, {}).node];
    EXPECT_EQ(seen, (std::map<std::size_t, int>{{1, 10}, {3, 10}, {4, 10}}));
}

TEST(router, weighted_follows_the_weights_smoothly) {
    router r;
    router_settings s;
    s.balance = balance_policy::weighted;
    s.weights = {1, 3, 1, 0};
    auto t = topo("PSSS");
    std::map<std::size_t, int> seen;
    std::size_t longest_run = 0, run = 0, last = 99;
    for (int i = 0; i < 400; ++i) {
        auto n = r.route(t, {false, {}}, s, {}).node;
        ++seen[n];
        run = n == last ? run + 1 : 1;
        longest_run = std::max(longest_run, run);
        last = n;
    }
    EXPECT_EQ(seen, (std::map<std::size_t, int>{{1, 300}, {2, 100}}));  // weight 0: never
    EXPECT_LE(longest_run, 3u) << "smooth: no long bursts on the heavy node";
}

}  // namespace
}  // namespace pgrelay::proxy
