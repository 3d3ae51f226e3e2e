// The /readyz verdict: a primary makes pgrelay ready; without one it is unready unless
// ready_without_primary is set and a standby is readable; a shutdown and disabled nodes
// weigh in; PAUSE does not.
#include "proxy/readiness.hpp"

#include <gtest/gtest.h>

namespace pgrelay::proxy {
namespace {

using health::node_role;
using health::node_state;

health::node_status node(std::string name, node_role role, node_state state, bool readable) {
    health::node_status n;
    n.name = std::move(name);
    n.role = role;
    n.state = state;
    n.readable = readable;
    return n;
}

// pg1 primary (when `with_primary`), pg2 a readable standby (when `standby_readable`), pg3 a
// stale standby.
health::topology cluster(bool with_primary, bool standby_readable) {
    health::topology t;
    t.nodes = {node("pg1", with_primary ? node_role::primary : node_role::unknown,
                    with_primary ? node_state::up : node_state::down, false),
               node("pg2", node_role::standby,
                    standby_readable ? node_state::up : node_state::stale, standby_readable),
               node("pg3", node_role::standby, node_state::stale, false)};
    if (with_primary) t.primary = 0;
    return t;
}

control_state with_disabled(std::size_t node) {
    control_state c;
    c.disabled.assign(3, false);
    c.disabled[node] = true;
    return c;
}

void expect(const readiness& r, bool ready, const std::string& reason) {
    EXPECT_EQ(r.ready, ready) << r.reason;
    EXPECT_EQ(r.reason, reason);
}

TEST(Readiness, PrimaryKnownIsReadyWithOrWithoutTheOption) {
    for (bool option : {false, true}) {
        expect(judge_readiness(cluster(true, true), {}, option), true, "ready");
        expect(judge_readiness(cluster(true, false), {}, option), true, "ready");
    }
}

TEST(Readiness, NoPrimaryIsNotReady) {
    expect(judge_readiness(cluster(false, true), {}, false), false, "no primary known");
    expect(judge_readiness(cluster(false, false), {}, false), false, "no primary known");
}

TEST(Readiness, EmptyTopologyIsNotReady) {
    expect(judge_readiness({}, {}, false), false, "no primary known");
    expect(judge_readiness({}, {}, true), false, "no primary known and no readable standby");
}

TEST(Readiness, ReadableStandbyIsEnoughWithTheOption) {
    expect(judge_readiness(cluster(false, true), {}, true), true,
           "ready (read-only: no primary known)");
    expect(judge_readiness(cluster(false, false), {}, true), false,
           "no primary known and no readable standby");
}

// A node marked readable that is not a standby (never the tracker's output) does not count.
TEST(Readiness, OnlyStandbysGiveReadOnlyReadiness) {
    auto t = cluster(false, false);
    t.nodes[0].readable = true;
    expect(judge_readiness(t, {}, true), false, "no primary known and no readable standby");
}

TEST(Readiness, ShuttingDownIsNeverReady) {
    control_state c;
    c.shutting_down = true;
    for (bool option : {false, true}) {
        expect(judge_readiness(cluster(true, true), c, option), false, "shutting down");
        expect(judge_readiness(cluster(false, true), c, option), false, "shutting down");
        expect(judge_readiness({}, c, option), false, "shutting down");
    }
}

TEST(Readiness, DisabledPrimaryCountsAsAbsent) {
    expect(judge_readiness(cluster(true, true), with_disabled(0), false), false,
           "primary pg1 is disabled by an operator");
    expect(judge_readiness(cluster(true, true), with_disabled(0), true), true,
           "ready (read-only: primary pg1 is disabled by an operator)");
    expect(judge_readiness(cluster(true, false), with_disabled(0), true), false,
           "primary pg1 is disabled by an operator and no readable standby");
}

TEST(Readiness, DisabledStandbyGivesNoReadOnlyReadiness) {
    expect(judge_readiness(cluster(false, true), with_disabled(1), true), false,
           "no primary known and no readable standby");
    // A disabled standby does not matter while the primary is there.
    expect(judge_readiness(cluster(true, true), with_disabled(1), false), true, "ready");
}

TEST(Readiness, PauseKeepsReady) {
    control_state c;
    c.paused = true;
    expect(judge_readiness(cluster(true, true), c, false), true, "ready");
    expect(judge_readiness(cluster(false, true), c, true), true,
           "ready (read-only: no primary known)");
}

// A primary index past the node list (never the tracker's output) is no primary.
TEST(Readiness, PrimaryIndexOutOfRangeIsNoPrimary) {
    auto t = cluster(false, false);
    t.primary = 7;
    expect(judge_readiness(t, {}, false), false, "no primary known");
}

}  // namespace
}  // namespace pgrelay::proxy
