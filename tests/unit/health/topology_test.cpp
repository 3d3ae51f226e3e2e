// Table-driven tests of the topology state machine (health/topology.hpp). A scenario is a list
// of (time, node, probe result) steps fed to one tracker, with the facts and events expected
// after chosen steps; invariants (one primary, readable only for up standbys, generation bumped
// exactly on routing changes, an event for every bump) are checked after every step.
#include "health/topology.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace pgrelay::health {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using enum event_kind;

constexpr std::uint64_t mib = 1024 * 1024;
constexpr std::uint64_t base = 1024 * mib;  // a WAL position far from zero

constexpr node_state s_unknown = node_state::unknown;
constexpr node_state s_up = node_state::up;
constexpr node_state s_down = node_state::down;
constexpr node_state s_starting = node_state::starting;
constexpr node_state s_fenced = node_state::fenced;
constexpr node_state s_stale = node_state::stale;

// ---- probe result builders ---------------------------------------------------------------

probe_result primary(std::uint32_t timeline, std::uint64_t current) {
    node_sample s;
    s.in_recovery = false;
    s.timeline = timeline;
    s.current_lsn = lsn{current};
    s.server_version = 160004;
    return {s, probe_failure::none, ""};
}

// A standby on `timeline` that replayed up to `replay`, has received `receive` (default: the
// same) and whose WAL receiver reports `receiver` ("" = no pg_stat_wal_receiver row).
probe_result standby(std::uint32_t timeline, std::uint64_t replay,
                     std::string receiver = "streaming",
                     std::optional<std::uint64_t> receive = std::nullopt) {
    node_sample s;
    s.in_recovery = true;
    s.timeline = timeline;
    if (!receiver.empty()) {
        s.received_tli = timeline;
        s.upstream_host = "10.0.0.1";
        s.upstream_port = 5432;
    }
    s.receiver_status = std::move(receiver);
    s.replay_lsn = lsn{replay};
    s.receive_lsn = lsn{receive.value_or(replay)};
    s.server_version = 160004;
    return {s, probe_failure::none, ""};
}

probe_result paused(probe_result r) {
    r.sample->replay_paused = true;
    return r;
}

probe_result fail(probe_failure f = probe_failure::connect_refused,
                  std::string detail = "Connection refused") {
    return {std::nullopt, f, std::move(detail)};
}

probe_result starting() {
    return {std::nullopt, probe_failure::starting_up, "the database system is starting up"};
}

// ---- expectations ------------------------------------------------------------------------

struct ev {
    event_kind kind;
    std::string node;
    std::string reason_has{};  // substring of the event's reason
};
using evs = std::vector<ev>;

struct node_is {
    std::string node;
    std::optional<node_state> state{};
    std::optional<bool> readable{};
    std::string reason_has{};  // substring of the node's reason
    std::optional<std::uint64_t> lag_bytes{};
    std::optional<milliseconds> lag_time{};
};

struct expect {
    std::optional<std::string> primary{};  // node name, or "-" for no primary
    std::optional<bool> bumped{};          // generation changed by this step
    std::optional<evs> events{};           // exactly these, in this order
    std::vector<node_is> nodes{};
    std::optional<bool> split_brain{};
    std::optional<std::uint32_t> timeline{};  // topology::primary_timeline
    std::optional<int> readable_count{};
};

struct step {
    milliseconds at;
    std::string node;
    probe_result probe;
    expect then{};
};

struct scenario {
    std::string name;
    std::vector<step> steps;
    tracker_settings settings{};
    std::vector<std::string> nodes{"pg1", "pg2", "pg3"};
};

std::ostream& operator<<(std::ostream& os, const scenario& s) {
    return os << s.name;
}

std::vector<step> join(std::initializer_list<std::vector<step>> parts) {
    std::vector<step> out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

// pg1 primary on timeline 1 at `at`, pg2 and pg3 streaming and caught up.
std::vector<step> boot(std::uint64_t position = 1000, milliseconds at = 0ms) {
    return {{at, "pg1", primary(1, position)},
            {at, "pg2", standby(1, position)},
            {at, "pg3", standby(1, position)}};
}

// n failures of `node`, one second apart from `from`, expecting `last` after the last one.
std::vector<step> failures(const std::string& node, int n, milliseconds from, expect last = {}) {
    std::vector<step> out;
    for (int i = 0; i < n; ++i) {
        out.push_back({from + milliseconds(1000 * i), node, fail(), i + 1 == n ? last : expect{}});
    }
    return out;
}

std::string describe(const std::vector<topology_event>& events) {
    std::ostringstream os;
    for (const auto& e : events)
        os << "\n  " << to_string(e.kind) << " " << e.node << ": " << e.reason;
    return events.empty() ? std::string(" (none)") : os.str();
}

// Invariants that hold after every observation, whatever the input.
void check_invariants(const topology& before, const topology& t,
                      const std::vector<topology_event>& events) {
    if (t.primary) {
        ASSERT_LT(*t.primary, t.nodes.size());
        const auto& p = t.nodes[*t.primary];
        EXPECT_EQ(p.state, s_up) << p.name;
        EXPECT_EQ(p.role, node_role::primary) << p.name;
        EXPECT_FALSE(p.readable) << p.name;
        EXPECT_EQ(p.timeline, t.primary_timeline) << p.name;
    }
    for (std::size_t i = 0; i < t.nodes.size(); ++i) {
        const auto& n = t.nodes[i];
        EXPECT_FALSE(n.reason.empty()) << n.name;
        if (n.readable) {
            EXPECT_EQ(n.state, s_up) << n.name;
            EXPECT_EQ(n.role, node_role::standby) << n.name;
        }
        if (n.state == s_up && n.role == node_role::primary) {
            EXPECT_EQ(t.primary, std::optional<std::size_t>(i)) << n.name << " up primary";
        }
    }
    EXPECT_GE(t.primary_timeline, before.primary_timeline);
    bool node_or_primary_changed = before.primary != t.primary;
    for (std::size_t i = 0; i < t.nodes.size(); ++i) {
        node_or_primary_changed = node_or_primary_changed ||
                                  before.nodes[i].state != t.nodes[i].state ||
                                  before.nodes[i].readable != t.nodes[i].readable;
    }
    const bool routing_changed = node_or_primary_changed || before.split_brain != t.split_brain;
    EXPECT_EQ(t.generation, before.generation + (routing_changed ? 1 : 0));
    if (before.split_brain != t.split_brain && t.split_brain) {
        EXPECT_TRUE(std::any_of(events.begin(), events.end(),
                                [](const topology_event& e) { return e.kind == split_brain; }));
    }
    if (node_or_primary_changed) {
        std::ostringstream diff;
        for (std::size_t i = 0; i < t.nodes.size(); ++i) {
            diff << "\n  " << t.nodes[i].name << ": " << to_string(before.nodes[i].state)
                 << (before.nodes[i].readable ? "+r" : "") << " -> " << to_string(t.nodes[i].state)
                 << (t.nodes[i].readable ? "+r" : "") << " (" << t.nodes[i].reason << ")";
        }
        EXPECT_FALSE(events.empty())
            << "a routing change without an event:" << diff.str() << "\n  split "
            << before.split_brain << " -> " << t.split_brain;
    }
    for (const auto& e : events) {
        EXPECT_FALSE(e.reason.empty()) << to_string(e.kind);
        EXPECT_TRUE(std::any_of(t.nodes.begin(), t.nodes.end(),
                                [&](const node_status& n) { return n.name == e.node; }));
    }
}

void check(const expect& x, const topology& before, const topology& t,
           const std::vector<topology_event>& events) {
    auto index = [&](const std::string& name) -> const node_status* {
        for (const auto& n : t.nodes) {
            if (n.name == name) return &n;
        }
        ADD_FAILURE() << "no node " << name;
        return nullptr;
    };
    if (x.primary) {
        if (*x.primary == "-") {
            EXPECT_FALSE(t.primary.has_value()) << "primary is " << t.primary_node()->name;
        } else {
            ASSERT_TRUE(t.primary.has_value()) << "no primary, expected " << *x.primary;
            EXPECT_EQ(t.nodes[*t.primary].name, *x.primary);
        }
    }
    if (x.bumped) {
        EXPECT_EQ(t.generation != before.generation, *x.bumped) << "generation";
    }
    if (x.split_brain) {
        EXPECT_EQ(t.split_brain, *x.split_brain) << "split_brain";
    }
    if (x.timeline) {
        EXPECT_EQ(t.primary_timeline, *x.timeline) << "primary_timeline";
    }
    if (x.readable_count) {
        EXPECT_EQ(std::count_if(t.nodes.begin(), t.nodes.end(),
                                [](const node_status& n) { return n.readable; }),
                  *x.readable_count);
    }
    if (x.events) {
        bool same = x.events->size() == events.size();
        for (std::size_t i = 0; same && i < events.size(); ++i) {
            const ev& want = (*x.events)[i];
            same = want.kind == events[i].kind && want.node == events[i].node &&
                   events[i].reason.find(want.reason_has) != std::string::npos;
        }
        std::ostringstream want;
        for (const auto& e : *x.events) {
            want << "\n  " << to_string(e.kind) << " " << e.node << ": *" << e.reason_has << "*";
        }
        EXPECT_TRUE(same) << "events:" << describe(events) << "\nexpected:" << want.str();
    }
    for (const node_is& n : x.nodes) {
        const node_status* s = index(n.node);
        if (!s) continue;
        if (n.state) {
            EXPECT_EQ(to_string(s->state), to_string(*n.state)) << n.node << ": " << s->reason;
        }
        if (n.readable) {
            EXPECT_EQ(s->readable, *n.readable) << n.node << ": " << s->reason;
        }
        if (!n.reason_has.empty()) {
            EXPECT_NE(s->reason.find(n.reason_has), std::string::npos)
                << n.node << " reason \"" << s->reason << "\" lacks \"" << n.reason_has << "\"";
        }
        if (n.lag_bytes) {
            EXPECT_EQ(s->lag_bytes, *n.lag_bytes) << n.node;
        }
        if (n.lag_time) {
            EXPECT_EQ(s->lag_time.count(), n.lag_time->count()) << n.node;
        }
    }
}

// ---- the scenarios -----------------------------------------------------------------------

std::vector<scenario> scenarios() {
    std::vector<scenario> all;

    all.push_back(
        {"first_contact",
         {
             {0s,
              "pg1",
              primary(1, 1000),
              {.primary = "pg1",
               .bumped = true,
               .events = evs{{node_up, "pg1", "primary on timeline 1"},
                             {promotion_seen, "pg1", "primary on timeline 1"}},
               .nodes = {{"pg1", s_up, false, "primary on timeline 1"},
                         {"pg2", s_unknown, false, "not probed yet"},
                         {"pg3", s_unknown, false, "not probed yet"}},
               .timeline = 1}},
             {0s,
              "pg2",
              standby(1, 1000),
              {.bumped = true,
               .events = evs{{node_up, "pg2", "streaming, lag 0 B / 0 ms"},
                             {standby_fresh, "pg2", "streaming, lag 0 B / 0 ms"}},
               .nodes = {{"pg2", s_up, true, "streaming, lag 0 B / 0 ms", 0, 0ms}},
               .readable_count = 1}},
             // a node never reached: unknown until `fall` failures, then down
             {0s,
              "pg3",
              fail(probe_failure::connect_timeout, "timeout expired"),
              {.bumped = false,
               .events = evs{},
               .nodes = {{"pg3", s_unknown, false,
                          "connect timeout: timeout expired (1 of 3 failures)"}}}},
             {1s,
              "pg3",
              fail(probe_failure::connect_timeout, "timeout expired"),
              {.events = evs{}, .nodes = {{"pg3", s_unknown}}}},
             {2s,
              "pg3",
              fail(probe_failure::connect_timeout, "timeout expired"),
              {.bumped = true,
               .events = evs{{node_down, "pg3",
                              "3 consecutive probe failures (last: connect timeout: "
                              "timeout expired)"}},
               .nodes = {{"pg3", s_down, false}}}},
             // down: `rise` successes needed
             {3s,
              "pg3",
              standby(1, 1000),
              {.bumped = false,
               .events = evs{},
               .nodes = {{"pg3", s_down, false, "recovering: 1 of 2 successful probes"}}}},
             {4s,
              "pg3",
              standby(1, 1000),
              {.bumped = true,
               .events = evs{{node_up, "pg3"}, {standby_fresh, "pg3"}},
               .nodes = {{"pg3", s_up, true}},
               .readable_count = 2}},
         }});

    all.push_back(
        {"unknown_up_on_first_success_despite_failures",
         {
             {0s, "pg2", fail(), {.nodes = {{"pg2", s_unknown}}}},
             {1s, "pg2", fail(), {.nodes = {{"pg2", s_unknown}}}},
             {2s,
              "pg2",
              standby(1, 1000),
              {.events = evs{{node_up, "pg2"}, {standby_fresh, "pg2"}},
               .nodes = {{"pg2", s_up, true, "lag unknown"}}}},
             {3s, "pg3", standby(1, 1000), {.nodes = {{"pg3", s_up, true}, {"pg1", s_unknown}}}},
         }});

    all.push_back(
        {"clean_promotion",
         join({boot(),
               failures("pg1", 2, 1s,
                        {.primary = "pg1",
                         .bumped = false,
                         .events = evs{},
                         .nodes = {{"pg1", s_up, false,
                                    "primary on timeline 1; last probe failed (2 of 3): connect "
                                    "refused: Connection refused"}}}),
               {
                   {3s,
                    "pg1",
                    fail(),
                    {.primary = "-",
                     .bumped = true,
                     .events = evs{{node_down, "pg1", "3 consecutive probe failures"},
                                   {primary_lost, "pg1", "3 consecutive probe failures"}},
                     .nodes = {{"pg1", s_down}, {"pg2", s_up, true}, {"pg3", s_up, true}}}},
                   {4s,
                    "pg2",
                    primary(2, 2000),
                    {.primary = "pg2",
                     .bumped = true,
                     .events = evs{{promotion_seen, "pg2", "primary on timeline 2"},
                                   {standby_stale, "pg3", "timeline 1, primary is on 2"}},
                     .nodes = {{"pg2", s_up, false, "primary on timeline 2"},
                               {"pg3", s_stale, false, "timeline 1, primary is on 2"}},
                     .timeline = 2,
                     .readable_count = 0}},
                   // pg3 still on the old timeline: excluded, nothing new to say
                   {5s,
                    "pg3",
                    standby(1, 1000),
                    {.bumped = false,
                     .events = evs{},
                     .nodes = {{"pg3", s_stale, false, "timeline 1, primary is on 2"}}}},
                   // re-pointed at pg2: judged afresh on timeline 2
                   {6s,
                    "pg3",
                    standby(2, 2000),
                    {.bumped = true,
                     .events = evs{{standby_fresh, "pg3", "streaming, lag 0 B / 0 ms"}},
                     .nodes = {{"pg3", s_up, true}},
                     .readable_count = 1}},
               }})});

    all.push_back(
        {"promotion_fences_the_live_old_primary",
         join({boot(),
               {
                   {1s,
                    "pg2",
                    primary(2, 2000),
                    {.primary = "pg2",
                     .bumped = true,
                     .events = evs{{promotion_seen, "pg2",
                                    "primary on timeline 2 (was pg1 on timeline 1)"},
                                   {fenced, "pg1", "claims primary on timeline 1 < 2"},
                                   {standby_stale, "pg3", "timeline 1, primary is on 2"}},
                     .nodes = {{"pg1", s_fenced, false, "claims primary on timeline 1 < 2"}}}},
                   {2s,
                    "pg1",
                    primary(1, 1500),
                    {.primary = "pg2",
                     .bumped = false,
                     .events = evs{},
                     .nodes = {{"pg1", s_fenced}}}},
                   // restarted as a standby: 57P03 while it recovers, still no traffic
                   {3s,
                    "pg1",
                    starting(),
                    {.bumped = true,
                     .events = evs{{standby_stale, "pg1", "starting up (57P03)"}},
                     .nodes = {{"pg1", s_starting, false, "starting up (57P03)"}}}},
                   {4s,
                    "pg1",
                    standby(2, 2000),
                    {.events = evs{{unfenced, "pg1", "in recovery on timeline 2"},
                                   {standby_fresh, "pg1", "streaming, lag 0 B / 0 ms"}},
                     .nodes = {{"pg1", s_up, true}}}},
               }})});

    all.push_back(
        {"old_primary_back_on_old_timeline_then_rejoins",
         join({boot(),
               failures("pg1", 3, 1s, {.primary = "-"}),
               {
                   {4s, "pg2", primary(2, 2000), {.primary = "pg2"}},
                   {4s, "pg3", standby(2, 2000), {.nodes = {{"pg3", s_up, true}}}},
                   // back on the old timeline: rise, then fenced (a higher timeline appeared)
                   {5s,
                    "pg1",
                    primary(1, 1500),
                    {.bumped = false,
                     .events = evs{},
                     .nodes = {{"pg1", s_down, false, "recovering: 1 of 2"}}}},
                   {6s,
                    "pg1",
                    primary(1, 1500),
                    {.primary = "pg2",
                     .bumped = true,
                     .events = evs{{node_up, "pg1", "claims primary on timeline 1 < 2"},
                                   {fenced, "pg1", "claims primary on timeline 1 < 2"}},
                     .nodes = {{"pg1", s_fenced, false, "claims primary on timeline 1 < 2"}},
                     .split_brain = false}},
                   // rewound and restarted as a standby of pg2, receiver not up yet
                   {7s,
                    "pg1",
                    standby(2, 1900, ""),
                    {.bumped = true,
                     .events = evs{{unfenced, "pg1", "in recovery on timeline 2"}},
                     .nodes = {{"pg1", s_stale, false, "not streaming (no WAL receiver)", 100,
                                3000ms}}}},
                   {8s,
                    "pg1",
                    standby(2, 2000),
                    {.bumped = false,
                     .events = evs{},
                     .nodes = {{"pg1", s_stale, false, "catching up: 1 of 3 good samples"}}}},
                   {9s,
                    "pg1",
                    standby(2, 2000),
                    {.events = evs{}, .nodes = {{"pg1", s_stale, false, "2 of 3"}}}},
                   {10s,
                    "pg1",
                    standby(2, 2000),
                    {.bumped = true,
                     .events = evs{{standby_fresh, "pg1", "streaming, lag 0 B / 0 ms"}},
                     .nodes = {{"pg1", s_up, true}},
                     .readable_count = 2}},
               }})});

    all.push_back(
        {"receiver_timeline_beats_checkpoint_timeline",
         join({boot(),
               {
                   {1s, "pg2", primary(2, 2000), {.primary = "pg2"}},
                   // pg3 replays timeline 2 but its last restartpoint is still on timeline 1
                   {2s,
                    "pg3",
                    [] {
                        auto r = standby(2, 2000);
                        r.sample->timeline = 1;
                        return r;
                    }(),
                    {.events = evs{{standby_fresh, "pg3"}}, .nodes = {{"pg3", s_up, true}}}},
               }})});

    all.push_back(
        {"lag_spike_and_recovery_with_hysteresis",
         join({boot(base),
               {
                   {1s, "pg1", primary(1, base + 20 * mib)},
                   {1s,
                    "pg2",
                    standby(1, base),
                    {.bumped = false,
                     .events = evs{},
                     .nodes = {{"pg2", s_up, true,
                                "replay lag 20.0 MB > max 16.0 MB (bad sample 1 of 2)", 20 * mib,
                                0ms}}}},
                   {2s,
                    "pg2",
                    standby(1, base),
                    {.bumped = true,
                     .events = evs{{standby_stale, "pg2", "replay lag 20.0 MB > max 16.0 MB"}},
                     .nodes = {{"pg2", s_stale, false, "", 20 * mib, 1000ms}}}},
                   // under max but above the readmit bound: still stale
                   {3s,
                    "pg2",
                    standby(1, base + 8 * mib),
                    {.bumped = false,
                     .nodes = {{"pg2", s_stale, false,
                                "catching up: replay lag 12.0 MB > readmit 8.0 MB"}}}},
                   // oscillating between the readmit bound and max: never readmitted
                   {3100ms,
                    "pg2",
                    standby(1, base + 16 * mib),
                    {.nodes = {{"pg2", s_stale, false, "1 of 3 good samples"}}}},
                   {3200ms,
                    "pg2",
                    standby(1, base + 8 * mib),
                    {.events = evs{}, .nodes = {{"pg2", s_stale}}}},
                   {3300ms,
                    "pg2",
                    standby(1, base + 16 * mib),
                    {.nodes = {{"pg2", s_stale, false, "1 of 3 good samples"}}}},
                   {3400ms,
                    "pg2",
                    standby(1, base + 8 * mib),
                    {.events = evs{}, .nodes = {{"pg2", s_stale}}}},
                   // readmit_samples good ones in a row
                   {3500ms,
                    "pg2",
                    standby(1, base + 16 * mib),
                    {.events = evs{}, .nodes = {{"pg2", s_stale}}}},
                   {3600ms,
                    "pg2",
                    standby(1, base + 16 * mib),
                    {.events = evs{}, .nodes = {{"pg2", s_stale}}}},
                   {3700ms,
                    "pg2",
                    standby(1, base + 16 * mib),
                    {.bumped = true,
                     .events = evs{{standby_fresh, "pg2"}},
                     .nodes = {{"pg2", s_up, true, "streaming, lag 4.0 MB / 2.7 s", 4 * mib,
                                2700ms}}}},
                   // fresh again: the same oscillation under max does not flap
                   {3800ms,
                    "pg2",
                    standby(1, base + 8 * mib),
                    {.bumped = false,
                     .events = evs{},
                     .nodes = {{"pg2", s_up, true, "lag 12.0 MB"}}}},
                   {3900ms, "pg2", standby(1, base + 16 * mib), {.bumped = false, .events = evs{}}},
                   {4000ms, "pg2", standby(1, base + 8 * mib), {.bumped = false, .events = evs{}}},
                   {4100ms,
                    "pg2",
                    standby(1, base + 16 * mib),
                    {.bumped = false, .events = evs{}, .nodes = {{"pg2", s_up, true}}}},
               }})});

    all.push_back(
        {"one_bad_sample_marks_nothing_stale",
         join(
             {boot(base),
              {
                  // a bulk load: the primary jumps, every standby is briefly behind
                  {1s, "pg1", primary(1, base + 64 * mib)},
                  {1s,
                   "pg2",
                   standby(1, base),
                   {.bumped = false, .events = evs{}, .nodes = {{"pg2", s_up, true}}}},
                  {1s,
                   "pg3",
                   standby(1, base),
                   {.bumped = false,
                    .events = evs{},
                    .nodes = {{"pg3", s_up, true}},
                    .readable_count = 2}},
                  {2s, "pg2", standby(1, base + 64 * mib), {.bumped = false, .events = evs{}}},
                  {2s, "pg3", standby(1, base + 64 * mib), {.bumped = false, .events = evs{}}},
                  // bad runs were reset by the good samples: one more bad one is still one
                  {3s, "pg1", primary(1, base + 128 * mib)},
                  {3s,
                   "pg2",
                   standby(1, base + 64 * mib),
                   {.bumped = false,
                    .events = evs{},
                    .nodes = {{"pg2", s_up, true, "bad sample 1 of 2"}}}},
                  {4s,
                   "pg2",
                   standby(1, base + 128 * mib),
                   {.bumped = false, .events = evs{}, .nodes = {{"pg2", s_up, true, "streaming"}}}},
              }})});

    all.push_back(
        {"lag_time_from_primary_lsn_history",
         {
             {0s, "pg1", primary(1, 100)},
             {1s, "pg1", primary(1, 200)},
             {2s, "pg1", primary(1, 300)},
             // replayed 150: the oldest unreplayed sample is 200 @ 1 s
             {3s,
              "pg2",
              standby(1, 150),
              {.nodes = {{"pg2", s_up, true, "streaming, lag 150 B / 2.0 s", 150, 2000ms}}}},
             {3500ms, "pg3", standby(1, 99), {.nodes = {{"pg3", s_up, true, "", 201, 3500ms}}}},
             {3500ms, "pg3", standby(1, 300), {.nodes = {{"pg3", s_up, true, "", 0, 0ms}}}},
             // stuck at 150 while the primary's 200 ages past max_lag_time
             {13300ms,
              "pg2",
              standby(1, 150),
              {.bumped = false,
               .nodes = {{"pg2", s_up, true, "replay lag 12.3 s > max 10.0 s (bad sample 1 of 2)",
                          150, 12300ms}}}},
             {14300ms,
              "pg2",
              standby(1, 150),
              {.bumped = true,
               .events = evs{{standby_stale, "pg2", "replay lag 13.3 s > max 10.0 s"}},
               .nodes = {{"pg2", s_stale, false}}}},
         }});

    all.push_back({"standby_ahead_of_the_last_primary_sample_has_no_lag",
                   {
                       {0s, "pg1", primary(1, 100)},
                       {1s,
                        "pg2",
                        standby(1, 150),
                        {.nodes = {{"pg2", s_up, true, "streaming, lag 0 B / 0 ms", 0, 0ms}}}},
                   }});

    all.push_back(
        {"idle_primary_makes_no_lag",
         join({boot(5000),
               {
                   {60s, "pg1", primary(1, 5000)},
                   {60s, "pg2", standby(1, 5000), {.bumped = false, .events = evs{}}},
                   {300s, "pg1", primary(1, 5000)},
                   {300s, "pg2", standby(1, 5000), {.bumped = false, .events = evs{}}},
                   {900s, "pg1", primary(1, 5000)},  // past lsn_history: the point is kept
                   {900s,
                    "pg2",
                    standby(1, 5000),
                    {.bumped = false,
                     .events = evs{},
                     .nodes = {{"pg2", s_up, true, "streaming, lag 0 B / 0 ms", 0, 0ms}}}},
                   // but a standby behind an idle primary does age
                   {900s,
                    "pg3",
                    standby(1, 4000),
                    {.bumped = false, .nodes = {{"pg3", s_up, true, "", 1000, 900000ms}}}},
                   {901s,
                    "pg3",
                    standby(1, 4000),
                    {.bumped = true,
                     .events = evs{{standby_stale, "pg3", "replay lag 901.0 s > max 10.0 s"}},
                     .nodes = {{"pg3", s_stale, false}}}},
               }})});

    all.push_back(
        {"starting_57P03_is_alive_not_down",
         {
             {0s, "pg1", primary(1, 1000)},
             {0s, "pg2", standby(1, 1000)},
             // first contact refused with 57P03: it answers, it is not readable
             {0s,
              "pg3",
              starting(),
              {.bumped = true,
               .events = evs{{node_up, "pg3", "starting up (57P03)"}},
               .nodes = {{"pg3", s_starting, false, "starting up (57P03)"}}}},
             {1s,
              "pg2",
              starting(),
              {.bumped = true,
               .events = evs{{standby_stale, "pg2", "starting up (57P03)"}},
               .nodes = {{"pg2", s_starting, false, "starting up (57P03)"}},
               .readable_count = 0}},
             // never down, however long it lasts
             {2s, "pg2", starting(), {.bumped = false, .events = evs{}}},
             {3s, "pg2", starting(), {.bumped = false, .events = evs{}}},
             {4s, "pg2", starting(), {.events = evs{}, .nodes = {{"pg2", s_starting}}}},
             // accepting connections again: up at once
             {5s,
              "pg2",
              standby(1, 1000),
              {.events = evs{{standby_fresh, "pg2"}}, .nodes = {{"pg2", s_up, true}}}},
             {6s,
              "pg3",
              standby(1, 1000),
              {.events = evs{{standby_fresh, "pg3"}}, .nodes = {{"pg3", s_up, true}}}},
             // the primary shutting down (57P03) is no longer primary
             {7s,
              "pg1",
              starting(),
              {.primary = "-",
               .events = evs{{primary_lost, "pg1", "starting up (57P03)"}},
               .nodes = {{"pg1", s_starting}, {"pg2", s_up, true}, {"pg3", s_up, true}}}},
             {8s, "pg1", fail(), {.events = evs{}}},
             {9s, "pg1", fail(), {.events = evs{}}},
             {10s,
              "pg1",
              fail(),
              {.events = evs{{node_down, "pg1", "3 consecutive probe failures"}},
               .nodes = {{"pg1", s_down}}}},
             // back up after a restart: primary again on the same timeline
             {11s, "pg1", primary(1, 1000), {.primary = "-"}},
             {12s,
              "pg1",
              primary(1, 1000),
              {.primary = "pg1",
               .events = evs{{node_up, "pg1"}, {promotion_seen, "pg1", "primary on timeline 1"}}}},
         }});

    all.push_back(
        {"flapping_node_stays_up_then_rises",
         join(
             {boot(),
              {
                  {1s,
                   "pg2",
                   fail(),
                   {.bumped = false,
                    .events = evs{},
                    .nodes = {{"pg2", s_up, true, "last probe failed (1 of 3): connect refused"}}}},
                  {2s,
                   "pg2",
                   standby(1, 1000),
                   {.bumped = false, .events = evs{}, .nodes = {{"pg2", s_up, true, "streaming"}}}},
                  {3s, "pg2", fail(), {.bumped = false, .events = evs{}}},
                  {4s,
                   "pg2",
                   fail(),
                   {.bumped = false, .events = evs{}, .nodes = {{"pg2", s_up, true, "(2 of 3)"}}}},
                  {5s, "pg2", standby(1, 1000), {.bumped = false, .events = evs{}}},
                  {6s, "pg2", fail(), {.bumped = false, .events = evs{}}},
                  {7s,
                   "pg2",
                   standby(1, 1000),
                   {.bumped = false, .events = evs{}, .nodes = {{"pg2", s_up, true}}}},
                  {8s, "pg2", fail()},
                  {9s, "pg2", fail()},
                  {10s,
                   "pg2",
                   fail(),
                   {.bumped = true,
                    .events = evs{{node_down, "pg2", "3 consecutive probe failures"},
                                  {standby_stale, "pg2", "3 consecutive probe failures"}},
                    .nodes = {{"pg2", s_down, false}}}},
                  {11s,
                   "pg2",
                   standby(1, 1000),
                   {.bumped = false, .events = evs{}, .nodes = {{"pg2", s_down}}}},
                  {12s,
                   "pg2",
                   fail(),
                   {.bumped = false,
                    .events = evs{},
                    .nodes = {{"pg2", s_down, false, "1 consecutive probe failure (last"}}}},
                  {13s,
                   "pg2",
                   standby(1, 1000),
                   {.events = evs{}, .nodes = {{"pg2", s_down, false, "1 of 2"}}}},
                  {14s,
                   "pg2",
                   standby(1, 1000),
                   {.bumped = true,
                    .events = evs{{node_up, "pg2"}, {standby_fresh, "pg2"}},
                    .nodes = {{"pg2", s_up, true}}}},
              }})});

    all.push_back(
        {"all_standbys_stale_primary_stays",
         join({boot(base),
               {
                   {1s, "pg1", primary(1, base + 40 * mib)},
                   {1s, "pg2", standby(1, base)},
                   {1s, "pg3", standby(1, base), {.readable_count = 2}},
                   {2s, "pg2", standby(1, base + mib), {.events = evs{{standby_stale, "pg2"}}}},
                   {2s,
                    "pg3",
                    standby(1, base + mib),
                    {.primary = "pg1",
                     .events = evs{{standby_stale, "pg3", "replay lag 39.0 MB > max 16.0 MB"}},
                     .nodes = {{"pg1", s_up, false, "primary on timeline 1"}},
                     .readable_count = 0}},
                   {3s,
                    "pg1",
                    primary(1, base + 41 * mib),
                    {.primary = "pg1", .bumped = false, .events = evs{}, .readable_count = 0}},
               }})});

    all.push_back(
        {"primary_down_without_replacement",
         join({boot(),
               {
                   {1s,
                    "pg1",
                    fail(),
                    {.primary = "pg1", .bumped = false, .events = evs{}, .nodes = {{"pg1", s_up}}}},
                   {2s, "pg1", fail(), {.primary = "pg1", .bumped = false, .events = evs{}}},
                   {3s,
                    "pg1",
                    fail(),
                    {.primary = "-",
                     .bumped = true,
                     .events = evs{{node_down, "pg1"},
                                   {primary_lost, "pg1", "3 consecutive probe failures"}},
                     .timeline = 1,
                     .readable_count = 2}},
                   // receivers lost their upstream; readability is kept
                   {4s,
                    "pg2",
                    standby(1, 1000, ""),
                    {.bumped = false,
                     .events = evs{},
                     .nodes = {{"pg2", s_up, true, "no primary: readability kept"}}}},
                   {20s,
                    "pg3",
                    standby(1, 900, "waiting"),
                    {.bumped = false,
                     .events = evs{},
                     .nodes = {{"pg3", s_up, true, "no primary: readability kept", 100, 20000ms}}}},
                   // a standby on another timeline is still excluded
                   {21s,
                    "pg3",
                    standby(2, 1000),
                    {.events = evs{{standby_stale, "pg3", "timeline 2, primary is on 1"}}}},
                   {22s, "pg1", primary(1, 1000), {.primary = "-", .events = evs{}}},
                   {23s,
                    "pg1",
                    primary(1, 1000),
                    {.primary = "pg1",
                     .events =
                         evs{{node_up, "pg1"}, {promotion_seen, "pg1", "primary on timeline 1"}},
                     .readable_count = 1}},
               }})});

    all.push_back(
        {"split_brain_on_one_timeline",
         join({boot(),
               {
                   {1s,
                    "pg3",
                    primary(1, 1200),
                    {.primary = "pg1",
                     .bumped = true,
                     .events =
                         evs{{fenced, "pg3", "split brain: also primary on timeline 1: pg1"},
                             {split_brain, "pg3", "split brain: also primary on timeline 1: pg1"},
                             {standby_stale, "pg3"}},
                     .nodes = {{"pg1", s_up, false, "split brain: also primary on timeline 1: pg3"},
                               {"pg3", s_fenced, false}},
                     .split_brain = true}},
                   {2s,
                    "pg1",
                    primary(1, 1300),
                    {.primary = "pg1", .bumped = false, .events = evs{}, .split_brain = true}},
                   // the known primary goes: the newcomer is not a replacement
                   {3s, "pg1", fail()},
                   {4s, "pg1", fail()},
                   {5s,
                    "pg1",
                    fail(),
                    {.primary = "-",
                     .events = evs{{node_down, "pg1"}, {primary_lost, "pg1"}},
                     .nodes = {{"pg3", s_fenced, false,
                                "split brain: also primary on timeline 1: pg1"}},
                     .split_brain = false}},
                   {6s,
                    "pg3",
                    primary(1, 1400),
                    {.primary = "-",
                     .bumped = false,
                     .events = evs{},
                     .nodes = {{"pg3", s_fenced}}}},
                   // the known primary back: primary again, the split brain again
                   {7s, "pg1", primary(1, 1300)},
                   {8s,
                    "pg1",
                    primary(1, 1300),
                    {.primary = "pg1",
                     .events = evs{{node_up, "pg1"},
                                   {promotion_seen, "pg1"},
                                   {split_brain, "pg3", "also primary on timeline 1: pg1"}},
                     .split_brain = true}},
                   // re-cloned as a standby: unfenced, split brain over
                   {9s,
                    "pg3",
                    standby(1, 1300),
                    {.primary = "pg1",
                     .events = evs{{unfenced, "pg3", "in recovery on timeline 1"},
                                   {standby_fresh, "pg3"}},
                     .nodes = {{"pg3", s_up, true}},
                     .split_brain = false}},
               }})});

    all.push_back(
        {"generation_unchanged_on_pure_lag_updates",
         join({boot(base),
               {
                   {1s, "pg1", primary(1, base + mib), {.bumped = false}},
                   {1s,
                    "pg2",
                    standby(1, base + 512 * 1024),
                    {.bumped = false,
                     .events = evs{},
                     .nodes = {{"pg2", s_up, true, "lag 512.0 kB / 0 ms", 512 * 1024, 0ms}}}},
                   {2s, "pg1", primary(1, base + 3 * mib), {.bumped = false, .events = evs{}}},
                   {2500ms,
                    "pg2",
                    standby(1, base + mib),
                    {.bumped = false,
                     .events = evs{},
                     .nodes = {{"pg2", s_up, true, "", 2 * mib, 500ms}}}},
                   {3s,
                    "pg3",
                    standby(1, base + 3 * mib),
                    {.bumped = false, .events = evs{}, .nodes = {{"pg3", s_up, true, "", 0, 0ms}}}},
               }})});

    all.push_back(
        {"replay_paused_and_not_streaming",
         join(
             {boot(),
              {
                  {1s,
                   "pg2",
                   paused(standby(1, 1000)),
                   {.bumped = false,
                    .nodes = {{"pg2", s_up, true, "replay paused (bad sample 1 of 2)"}}}},
                  {2s,
                   "pg2",
                   paused(standby(1, 1000)),
                   {.events = evs{{standby_stale, "pg2", "replay paused"}}}},
                  // no receiver row, and behind: not readable
                  {3s, "pg1", primary(1, 2000)},
                  {3s,
                   "pg3",
                   standby(1, 1000, ""),
                   {.nodes = {{"pg3", s_up, true,
                               "not streaming (no WAL receiver) (bad sample 1 of 2)"}}}},
                  {4s,
                   "pg3",
                   standby(1, 1000, "waiting"),
                   {.events = evs{{standby_stale, "pg3", "not streaming (WAL receiver waiting)"}}}},
              }})});

    // The primary dying takes the WAL streams with it: standbys that are otherwise fine keep
    // serving reads while the primary fails its checks, and after it is declared down.
    all.push_back(
        {"standbys_stay_readable_while_the_primary_fails",
         {
             {0s, "pg1", primary(1, 1000)},
             {0s, "pg2", standby(1, 1000)},
             {0s, "pg3", standby(1, 1000)},
             {500ms, "pg1", primary(1, 1500)},
             {1s, "pg1", fail()},
             {1s, "pg2", standby(1, 1000, ""), {.events = evs{}, .nodes = {{"pg2", s_up, true}}}},
             {2s, "pg2", standby(1, 1000, ""), {.events = evs{}}},
             {2s, "pg1", fail()},
             {3s, "pg1", fail(), {.primary = "-"}},
             {4s,
              "pg2",
              standby(1, 1000, ""),
              {.events = evs{}, .nodes = {{"pg2", s_up, true, "no primary: readability kept"}}}},
             // Paused replay is a fault of its own, whatever the primary does.
             {4s, "pg1", primary(1, 1500)},
             {4s, "pg1", primary(1, 1500)},
             {5s, "pg1", fail()},
             {5s, "pg3", paused(standby(1, 1000, ""))},
             {6s,
              "pg3",
              paused(standby(1, 1000, "")),
              {.events = evs{{standby_stale, "pg3", "replay paused"}}}},
         }});

    all.push_back({"log_shipping_standby_judged_by_progress",
                   {
                       {0s, "pg1", primary(1, 1000)},
                       {1s, "pg1", primary(1, 2000)},
                       // first contact: no receiver, behind, no progress seen yet
                       {1s,
                        "pg2",
                        standby(1, 1000, ""),
                        {.events = evs{{node_up, "pg2", "not streaming (no WAL receiver)"}},
                         .nodes = {{"pg2", s_stale, false}}}},
                       {2s,
                        "pg2",
                        standby(1, 1500, ""),
                        {.nodes = {{"pg2", s_stale, false, "1 of 3 good samples"}}}},
                       {3s, "pg2", standby(1, 1800, "")},
                       {4s,
                        "pg2",
                        standby(1, 1900, ""),
                        {.events = evs{{standby_fresh, "pg2", "log shipping, lag 100 B / 3.0 s"}}}},
                       // replay has not moved for longer than max_lag_time
                       {16s,
                        "pg2",
                        standby(1, 1900, ""),
                        {.nodes = {{"pg2", s_up, true, "bad sample 1 of 2"}}}},
                   }});

    all.push_back(
        {"standby_before_any_primary",
         {
             {0s,
              "pg2",
              standby(1, 1000),
              {.primary = "-", .nodes = {{"pg2", s_up, true, "streaming, lag unknown"}}}},
             // no receiver and not caught up with what it received
             {0s,
              "pg3",
              standby(1, 900, "", 1000),
              {.nodes = {{"pg3", s_stale, false, "not streaming (no WAL receiver)"}}}},
             {1s,
              "pg1",
              primary(1, 1000),
              {.primary = "pg1", .events = evs{{node_up, "pg1"}, {promotion_seen, "pg1"}}}},
         }});

    all.push_back(
        {"standby_timelines_compared_among_themselves_before_any_primary",
         {
             {0s, "pg2", standby(2, 1000), {.nodes = {{"pg2", s_up, true}}}},
             {0s,
              "pg3",
              standby(1, 1000),
              {.nodes = {{"pg3", s_stale, false, "timeline 1, other standbys are on 2"}}}},
         }});

    return all;
}

class topology_scenario : public ::testing::TestWithParam<scenario> {};

TEST_P(topology_scenario, matches_the_table) {
    const scenario& sc = GetParam();
    topology_tracker tracker(sc.nodes, sc.settings);
    for (std::size_t k = 0; k < sc.steps.size(); ++k) {
        const step& s = sc.steps[k];
        SCOPED_TRACE("step " + std::to_string(k) + ": " + s.node + " at " +
                     std::to_string(s.at.count()) + " ms");
        auto it = std::find(sc.nodes.begin(), sc.nodes.end(), s.node);
        ASSERT_NE(it, sc.nodes.end()) << s.node;
        const topology before = tracker.current();
        auto events = tracker.observe(static_cast<std::size_t>(it - sc.nodes.begin()), s.probe,
                                      steady_clock::time_point{} + s.at);
        check_invariants(before, tracker.current(), events);
        check(s.then, before, tracker.current(), events);
        if (::testing::Test::HasFailure()) {
            ADD_FAILURE() << "after step " << k << " events:" << describe(events);
            return;
        }
    }
}

std::string scenario_name(const ::testing::TestParamInfo<scenario>& p) {
    return p.param.name;
}

INSTANTIATE_TEST_SUITE_P(scenarios, topology_scenario, ::testing::ValuesIn(scenarios()),
                         scenario_name);

// ---- the rest: hostile input, names, value semantics -------------------------------------

TEST(topology_tracker, ignores_an_index_out_of_range) {
    topology_tracker t({"pg1"}, {});
    EXPECT_TRUE(t.observe(1, primary(1, 1), {}).empty());
    EXPECT_TRUE(t.observe(static_cast<std::size_t>(-1), primary(1, 1), {}).empty());
    EXPECT_EQ(t.current().generation, 0u);
    EXPECT_EQ(t.current().nodes[0].state, s_unknown);
}

TEST(topology_tracker, adds_a_node_at_the_end_unknown_until_observed) {
    topology_tracker t({"pg1", "pg2"}, {});
    const steady_clock::time_point t0{};
    t.observe(0, primary(1, base), t0);
    t.observe(1, standby(1, base), t0);
    const auto generation = t.current().generation;
    EXPECT_EQ(t.add_node("pg3"), 2u);
    ASSERT_EQ(t.current().nodes.size(), 3u);
    EXPECT_EQ(t.current().nodes[2].name, "pg3");
    EXPECT_EQ(t.current().nodes[2].state, s_unknown);
    EXPECT_EQ(t.current().generation, generation);
    const auto events = t.observe(2, standby(1, base), t0 + 1s);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events[0].kind, node_up);
    EXPECT_TRUE(t.current().nodes[2].readable);
    EXPECT_EQ(t.current().primary, 0u);
}

TEST(topology_tracker, a_removed_node_is_down_for_good_and_loses_the_primary_role) {
    topology_tracker t({"pg1", "pg2", "pg3"}, {});
    const steady_clock::time_point t0{};
    t.observe(0, primary(1, base), t0);
    t.observe(1, standby(1, base), t0);
    t.observe(2, standby(1, base), t0);
    const auto generation = t.current().generation;

    auto events = t.remove_node(1);  // a standby
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].kind, node_down);
    EXPECT_EQ(events[0].node, "pg2");
    EXPECT_EQ(events[0].reason, "removed from the configuration");
    EXPECT_EQ(events[1].kind, standby_stale);
    EXPECT_EQ(t.current().nodes[1].state, s_down);
    EXPECT_FALSE(t.current().nodes[1].readable);
    EXPECT_GT(t.current().generation, generation);
    // Its observations no longer count.
    EXPECT_TRUE(t.observe(1, standby(1, base), t0 + 1s).empty());
    EXPECT_EQ(t.current().nodes[1].state, s_down);
    EXPECT_TRUE(t.remove_node(1).empty());

    events = t.remove_node(0);  // the primary
    ASSERT_GE(events.size(), 2u);
    EXPECT_EQ(events[0].kind, node_down);
    EXPECT_EQ(events[1].kind, primary_lost);
    EXPECT_FALSE(t.current().primary.has_value());
    EXPECT_TRUE(t.observe(0, primary(1, base + mib), t0 + 1s).empty());
    EXPECT_FALSE(t.current().primary.has_value());
    // The remaining standby keeps serving reads (no primary: readability kept).
    EXPECT_TRUE(t.current().nodes[2].readable);
    EXPECT_TRUE(t.remove_node(7).empty());
}

TEST(topology_tracker, treats_contradictory_results_as_failures) {
    topology_tracker t({"pg1"}, {.fall = 1});
    probe_result both = primary(1, 1);
    both.failure = probe_failure::query_timeout;
    both.detail = "canceling statement due to statement timeout";
    t.observe(0, both, {});
    EXPECT_EQ(t.current().nodes[0].state, s_down);
    EXPECT_EQ(t.current().nodes[0].last_error,
              "query timeout: canceling statement due to statement timeout");

    topology_tracker u({"pg1"}, {.fall = 1});
    u.observe(0, probe_result{}, {});
    EXPECT_EQ(u.current().nodes[0].state, s_down);
    EXPECT_EQ(u.current().nodes[0].last_error, "query failed: probe returned no sample");
}

TEST(topology_tracker, cleans_probe_error_text) {
    topology_tracker t({"pg1"}, {});
    std::string detail =
        "connection to server at \"10.0.0.9\", port 5432 failed: Connection refused\n\tIs the "
        "server running on that host and accepting TCP/IP connections?\n";
    detail += std::string(1000, 'x');
    detail += '\0';
    t.observe(0, fail(probe_failure::connect_refused, detail), {});
    const auto& n = t.current().nodes[0];
    EXPECT_EQ(n.last_error.find('\n'), std::string::npos);
    EXPECT_EQ(n.last_error.find('\t'), std::string::npos);
    EXPECT_EQ(n.last_error.find('\0'), std::string::npos);
    EXPECT_LT(n.last_error.size(), 260u);
    EXPECT_EQ(n.last_error.rfind("connect refused: connection to server at", 0), 0u)
        << n.last_error;
    EXPECT_NE(n.last_error.find("failed: Connection refused Is the server"), std::string::npos);
}

TEST(topology_tracker, never_cuts_a_utf8_character) {
    for (std::size_t pad = 0; pad < 4; ++pad) {
        topology_tracker t({"pg1"}, {});
        std::string detail(pad, 'x');
        for (int i = 0; i < 200; ++i)
            detail += "\xC3\xA9";  // é
        t.observe(0, fail(probe_failure::auth_failed, detail), {});
        const std::string& e = t.current().nodes[0].last_error;
        ASSERT_GE(e.size(), 4u);
        std::string body = e.substr(0, e.size() - 3);  // without "..."
        EXPECT_EQ(e.substr(e.size() - 3), "...");
        EXPECT_NE(static_cast<unsigned char>(body.back()), 0xC3u) << pad;
    }
}

TEST(topology_tracker, clamps_nonsensical_settings) {
    tracker_settings s;
    s.rise = 0;
    s.fall = -5;
    s.stale_samples = 0;
    s.readmit_samples = -1;
    topology_tracker t({"pg1", "pg2"}, s);
    t.observe(0, fail(), {});
    EXPECT_EQ(t.current().nodes[0].state, s_down);  // fall counts as 1
    t.observe(0, primary(1, 100), {});
    EXPECT_EQ(t.current().nodes[0].state, s_up);  // rise counts as 1
    t.observe(1, standby(1, 100), {});
    EXPECT_TRUE(t.current().nodes[1].readable);
    t.observe(1, paused(standby(1, 100)), {});
    EXPECT_FALSE(t.current().nodes[1].readable);  // stale_samples counts as 1
    t.observe(1, standby(1, 100), {});
    EXPECT_TRUE(t.current().nodes[1].readable);  // readmit_samples counts as 1
}

TEST(topology_tracker, copies_and_moves) {
    topology_tracker a({"pg1", "pg2"}, {});
    a.observe(0, primary(1, 100), {});
    topology_tracker b = a;
    topology_tracker c = std::move(a);
    b.observe(1, standby(1, 100), {});
    EXPECT_TRUE(b.current().nodes[1].readable);
    EXPECT_EQ(c.current().nodes[1].state, s_unknown);
    c = b;
    EXPECT_TRUE(c.current().nodes[1].readable);
}

TEST(topology_tracker, reports_upstream_and_positions) {
    topology_tracker t({"pg1", "pg2"}, {});
    t.observe(1, standby(3, 0x16B374D848ull), {});
    const auto& n = t.current().nodes[1];
    EXPECT_EQ(n.role, node_role::standby);
    EXPECT_EQ(n.timeline, 3u);
    EXPECT_EQ(n.upstream, "10.0.0.1:5432");
    EXPECT_TRUE(n.streaming);
    EXPECT_EQ(n.server_version, 160004);
    ASSERT_TRUE(n.replay_lsn);
    EXPECT_EQ(format_lsn(*n.replay_lsn), "16/B374D848");
    ASSERT_TRUE(n.last_check);
}

TEST(topology_names, are_stable) {
    EXPECT_EQ(to_string(node_role::primary), "primary");
    EXPECT_EQ(to_string(node_role::standby), "standby");
    EXPECT_EQ(to_string(node_role::unknown), "unknown");
    EXPECT_EQ(to_string(s_unknown), "unknown");
    EXPECT_EQ(to_string(s_up), "up");
    EXPECT_EQ(to_string(s_down), "down");
    EXPECT_EQ(to_string(s_starting), "starting");
    EXPECT_EQ(to_string(s_fenced), "fenced");
    EXPECT_EQ(to_string(s_stale), "stale");
    EXPECT_EQ(to_string(node_up), "node_up");
    EXPECT_EQ(to_string(node_down), "node_down");
    EXPECT_EQ(to_string(promotion_seen), "promotion_seen");
    EXPECT_EQ(to_string(primary_lost), "primary_lost");
    EXPECT_EQ(to_string(fenced), "fenced");
    EXPECT_EQ(to_string(unfenced), "unfenced");
    EXPECT_EQ(to_string(standby_stale), "standby_stale");
    EXPECT_EQ(to_string(standby_fresh), "standby_fresh");
    EXPECT_EQ(to_string(split_brain), "split_brain");
    EXPECT_EQ(to_string(probe_failure::none), "none");
    EXPECT_EQ(to_string(probe_failure::connect_refused), "connect refused");
    EXPECT_EQ(to_string(probe_failure::connect_timeout), "connect timeout");
    EXPECT_EQ(to_string(probe_failure::auth_failed), "auth failed");
    EXPECT_EQ(to_string(probe_failure::starting_up), "starting up (57P03)");
    EXPECT_EQ(to_string(probe_failure::query_timeout), "query timeout");
    EXPECT_EQ(to_string(probe_failure::query_failed), "query failed");
    EXPECT_EQ(to_string(probe_failure::connection_lost), "connection lost");
    EXPECT_EQ(to_string(static_cast<node_state>(200)), "unknown");
    EXPECT_EQ(to_string(static_cast<probe_failure>(200)), "unknown failure");
}

// Random probe results (any role, timeline, position, failure, time order) never throw and
// never break an invariant.
TEST(topology_tracker, survives_random_input) {
    std::mt19937_64 rng(20240611);
    for (int round = 0; round < 40; ++round) {
        tracker_settings s;
        s.rise = static_cast<int>(rng() % 4);
        s.fall = static_cast<int>(rng() % 4);
        s.stale_samples = static_cast<int>(rng() % 3);
        s.readmit_samples = static_cast<int>(rng() % 4);
        s.max_lag_bytes = rng() % 4096;
        s.readmit_lag_bytes = rng() % 4096;
        s.max_lag_time = milliseconds(rng() % 5000);
        s.lsn_history = milliseconds(rng() % 20000);
        topology_tracker t({"a", "b", "c", "d"}, s);
        auto now = steady_clock::time_point{} + 1h;
        for (int i = 0; i < 400; ++i) {
            probe_result r;
            switch (rng() % 5) {
                case 0:
                    r = fail(static_cast<probe_failure>(rng() % 9), std::string(rng() % 3, '\n'));
                    break;
                case 1:
                    r = primary(static_cast<std::uint32_t>(rng() % 4), rng() % 10000);
                    break;
                default: {
                    static const char* statuses[] = {"streaming", "", "waiting", "starting"};
                    r = standby(static_cast<std::uint32_t>(rng() % 4), rng() % 10000,
                                statuses[rng() % 4], rng() % 10000);
                    if (rng() % 4 == 0) r.sample->replay_lsn.reset();
                    if (rng() % 4 == 0) r.sample->received_tli.reset();
                    if (rng() % 8 == 0) r.sample->replay_paused = true;
                    if (rng() % 8 == 0) r.failure = probe_failure::connection_lost;
                }
            }
            if (rng() % 10 == 0 && r.sample) r.sample->current_lsn.reset();
            now += milliseconds(static_cast<long>(rng() % 3000) - 200);  // sometimes backwards
            const topology before = t.current();
            auto events = t.observe(rng() % 5, r, now);  // 4: out of range
            check_invariants(before, t.current(), events);
            if (::testing::Test::HasFailure()) {
                ADD_FAILURE() << "round " << round << " step " << i << describe(events);
                return;
            }
        }
    }
}

}  // namespace
}  // namespace pgrelay::health

namespace pgrelay::health {
namespace {

// Per-node lag bounds: the same lag makes one standby stale and leaves the other readable.
TEST(topology_per_node_limits, override_applies_to_its_node_only) {
    tracker_settings s;
    s.max_lag_bytes = 1000;
    s.readmit_lag_bytes = 500;
    s.stale_samples = 1;
    s.per_node = {std::nullopt,
                  lag_limits{100000, std::chrono::seconds(10), 50000, std::chrono::seconds(5)},
                  std::nullopt};
    topology_tracker t({"p", "tolerant", "strict"}, s);
    const auto t0 = steady_clock::time_point{} + std::chrono::hours(1);
    t.observe(0, primary(1, 10000), t0);
    t.observe(1, standby(1, 10000), t0);
    t.observe(2, standby(1, 10000), t0);
    ASSERT_TRUE(t.current().nodes[1].readable);
    ASSERT_TRUE(t.current().nodes[2].readable);

    const auto t1 = t0 + std::chrono::milliseconds(100);
    t.observe(0, primary(1, 15000), t1);  // 5000 bytes ahead of both standbys
    t.observe(1, standby(1, 10000), t1);
    t.observe(2, standby(1, 10000), t1);
    EXPECT_TRUE(t.current().nodes[1].readable) << t.current().nodes[1].reason;
    EXPECT_FALSE(t.current().nodes[2].readable);
    EXPECT_NE(t.current().nodes[2].reason.find("> max"), std::string::npos)
        << t.current().nodes[2].reason;
}

TEST(topology_per_node_limits, limits_for_falls_back_to_the_global_bounds) {
    tracker_settings s;
    s.per_node = {std::nullopt};
    EXPECT_EQ(s.limits_for(0).max_bytes, s.max_lag_bytes);
    EXPECT_EQ(s.limits_for(7).max_time, s.max_lag_time);
    s.per_node = {lag_limits{1, std::chrono::milliseconds(2), 3, std::chrono::milliseconds(4)}};
    EXPECT_EQ(s.limits_for(0).max_bytes, 1u);
    EXPECT_EQ(s.limits_for(0).readmit_time.count(), 4);
}

}  // namespace
}  // namespace pgrelay::health
