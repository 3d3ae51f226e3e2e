// The topology state machine: probe results in, one immutable decision out. Pure (no I/O,
// the clock is passed in): who is primary, which standbys may serve reads and why, which
// nodes are fenced, each node's lag in bytes and in time, and an event for every change.
// Rules: see the comments on topology_tracker, and the health section of the design notes.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "health/node_sample.hpp"

namespace pgrelay::health {

using steady_clock = std::chrono::steady_clock;

enum class node_role : std::uint8_t { unknown, primary, standby };

// What the data path may do with a node, with the first reason that applies.
enum class node_state : std::uint8_t {
    unknown,   // never probed successfully yet
    up,        // primary, or readable standby
    down,      // `fall` consecutive probe failures (or never reached)
    starting,  // refuses connections with 57P03 (warm standby, crash recovery): alive, never
               // readable
    fenced,    // claims to be primary on a timeline below the highest seen: no traffic at all
    stale,     // standby not readable: lagging, not streaming, wrong timeline
};

std::string_view to_string(node_role r);
std::string_view to_string(node_state s);

struct node_status {
    std::string name;
    node_state state = node_state::unknown;
    node_role role = node_role::unknown;  // from the last successful sample (kept while down)
    bool readable = false;                // may serve reads (true only for a fresh standby)
    std::string reason;  // why the node is in this state, e.g. "replay lag 12 MB > max 8 MB"
    std::uint32_t timeline = 0;
    std::optional<lsn> current_lsn, receive_lsn, replay_lsn;
    // Standby lags, computed when the standby's own sample arrives (0 on a primary, and 0
    // while unknown: no primary LSN sampled yet). lag_bytes: the primary's last LSN minus the
    // replay LSN; lag_time: age of the oldest unreplayed primary LSN sample.
    std::uint64_t lag_bytes = 0;
    std::chrono::milliseconds lag_time{0};
    bool streaming = false;  // WAL receiver status "streaming"
    bool replay_paused = false;
    std::string upstream;  // "host:port" of the WAL sender, when known
    int server_version = 0;
    std::optional<steady_clock::time_point> last_check;  // last probe result of any kind
    std::string last_error;  // last probe failure detail, empty after success
};

struct topology {
    std::uint64_t generation = 0;        // bumped whenever a routing decision changes
    std::optional<std::size_t> primary;  // index into nodes; empty: no primary known
    std::uint32_t primary_timeline = 0;  // highest timeline ever seen on a primary
    bool split_brain = false;            // two nodes claim primary on the same timeline
    std::vector<node_status> nodes;      // in configuration order

    const node_status* primary_node() const { return primary ? &nodes[*primary] : nullptr; }
};

// Every change of the primary, of a node's state or of its readability comes with at least one
// event (the end of a split brain has no event of its own: the node that ended it reports
// node_down, unfenced, ...). One observation may cause several
// (returned in this order: node_down/node_up, promotion_seen/primary_lost, unfenced, fenced,
// split_brain, standby_stale/standby_fresh).
enum class event_kind : std::uint8_t {
    node_up,         // a node answers again (or for the first time): leaves unknown/down,
                     // including into `starting` (57P03 is an answer, not a failure)
    node_down,       // `fall` consecutive failures (state down)
    promotion_seen,  // a new primary (higher timeline, a down primary back, or the very first
                     // primary seen: "primary on timeline N")
    primary_lost,    // the primary went down (or starting, or into recovery) and nothing
                     // replaced it
    fenced,          // a node enters state fenced: claims primary on a lower timeline, or is
                     // the newcomer in a split brain
    unfenced,        // a fenced node came back as a standby (or promoted above every timeline)
    standby_stale,   // a standby stopped being readable; also an unreadable node moving
                     // between stale/fenced and starting (e.g. restarting with 57P03)
    standby_fresh,   // a standby became readable (again)
    split_brain,     // two primaries on the highest timeline (raised once per episode)
};

std::string_view to_string(event_kind k);

struct topology_event {
    event_kind kind;
    std::string node;    // the node concerned
    std::string reason;  // human-readable, e.g. "timeline 1 < 2"
};

// The lag bounds one standby is judged by.
struct lag_limits {
    std::uint64_t max_bytes = 0;
    std::chrono::milliseconds max_time{0};
    std::uint64_t readmit_bytes = 0;
    std::chrono::milliseconds readmit_time{0};
};

struct tracker_settings {
    int rise = 2;  // consecutive successes before a down node is up again (first contact: 1)
    int fall = 3;  // consecutive failures before an up node is down
    std::uint64_t max_lag_bytes = std::uint64_t{16} * 1024 * 1024;
    std::chrono::milliseconds max_lag_time{10000};
    // Hysteresis: a stale standby is readable again only after `readmit_samples` consecutive
    // samples with lag at or below these (defaults: half the maxima).
    std::uint64_t readmit_lag_bytes = std::uint64_t{8} * 1024 * 1024;
    std::chrono::milliseconds readmit_lag_time{5000};
    int readmit_samples = 3;
    // A fresh standby turns stale only after this many consecutive bad samples, so one bad
    // sample never marks every standby stale.
    int stale_samples = 2;
    // How long the primary's LSN history is kept for lag-time estimates.
    std::chrono::milliseconds lsn_history{std::chrono::minutes(10)};
    // Per-node overrides of the lag bounds, by node index; absent: the bounds above.
    std::vector<std::optional<lag_limits>> per_node;

    lag_limits limits_for(std::size_t node) const {
        if (node < per_node.size() && per_node[node]) return *per_node[node];
        return {max_lag_bytes, max_lag_time, readmit_lag_bytes, readmit_lag_time};
    }
};

// Rules, applied on every observation:
//  - up/down: a node is down after `fall` consecutive failed probes; a down node is up again
//    after `rise` consecutive successes; the first ever success counts as up at once. A
//    57P03 failure means `starting` at once: alive, in recovery, never readable (a primary
//    answering 57P03 is no longer primary); a success after `starting` is up at once. An up
//    node that fails fewer than `fall` times keeps its state (and readability), its reason
//    saying "last probe failed (1 of 3): ...".
//  - the primary is the up node not in recovery with the highest timeline. A node that
//    claims primary on a timeline below the highest ever seen is fenced until it is seen in
//    recovery. Two nodes claiming primary on the same highest timeline: split brain; the
//    known primary stays primary, the newcomer is fenced; if neither was known, there is no
//    primary. The newcomer's fence is sticky like the timeline one (its history diverged):
//    if the known primary goes down the newcomer stays fenced and there is no primary. A
//    fence also ends when the node claims primary on a timeline above every timeline seen
//    (it was promoted, so it went through recovery). The first primary ever observed is
//    "known" at once (promotion_seen "primary on timeline N"). The primary stays primary
//    while it is failing but not yet down; once down with no replacement the topology has no
//    primary (primary_lost), never a guess. A down primary that rises again on the highest
//    timeline with no other claimant is primary again (node_up + promotion_seen).
//  - a standby is readable when up, in recovery, on the primary's timeline, not paused,
//    streaming or advancing (replay moved within max_lag_time: log shipping) or fully caught
//    up, and within max_lag_bytes and max_lag_time (after stale_samples bad samples it turns
//    stale; readmitted after readmit_samples consecutive samples within the readmit bounds).
//    A wrong timeline excludes at once. A standby judged for the first time (first contact,
//    back from down/starting, or just moved onto the primary's timeline) is readable at once
//    if that sample is good, stale at once if not. With no primary, standbys keep their
//    readability while up and on the last primary's timeline (reads go on; lag cannot grow
//    against a primary that does not write): their hysteresis is frozen.
//    Before any primary was seen, standbys are compared with the highest standby timeline,
//    and lag is unknown: counted as 0, but the standby must be streaming, advancing, or have
//    replayed all it received.
//  - lag bytes = the primary's latest LSN minus the standby's replay LSN (0 when ahead).
//    lag time = now minus the time of the oldest primary LSN sample above the standby's
//    replay LSN (0 when none): an idle primary makes no lag, and host clocks do not matter.
class topology_tracker {
  public:
    topology_tracker(std::vector<std::string> node_names, tracker_settings settings);

    // Feeds one probe result for nodes[node] taken at `now`; returns the events it caused.
    // Never throws on any probe content. A result with a failure other than `none` is a
    // failure even if a sample is attached; one with neither is a failure (query_failed). An
    // index out of range is ignored (no events, nothing changes).
    std::vector<topology_event> observe(std::size_t node, const probe_result& result,
                                        steady_clock::time_point now);

    // A node added by a reload: appended (indexes never change), unknown until observed.
    std::size_t add_node(std::string name);
    // A node removed by a reload: down for good ("removed from the configuration"), no longer
    // primary or readable, its observations ignored. Returns the events this caused.
    std::vector<topology_event> remove_node(std::size_t node);

    // The current decision, including the latest lags (a standby's lags and LSNs change with
    // each of its samples; generation only when a routing decision changes: primary, a
    // state, readability, split_brain).
    const topology& current() const { return topology_; }

    void set_settings(const tracker_settings& s) { settings_ = s; }
    const tracker_settings& settings() const { return settings_; }

    ~topology_tracker();
    topology_tracker(const topology_tracker&);
    topology_tracker(topology_tracker&&) noexcept;
    topology_tracker& operator=(const topology_tracker&);
    topology_tracker& operator=(topology_tracker&&) noexcept;

  private:
    struct node_memory;  // per-node counters and judgement, defined in topology.cpp
    struct lsn_point {
        steady_clock::time_point at;  // when the primary was first seen at `position`
        lsn position;
    };

    void record(std::size_t node, const probe_result& result, steady_clock::time_point now);
    std::vector<bool> fence_flags() const;
    // The events and generation bump for the change from `before` to now.
    std::vector<topology_event> events_since(const topology& before,
                                             const std::vector<bool>& fenced_before);
    void elect();
    void record_primary_lsn(std::size_t node, lsn position, steady_clock::time_point now);
    void judge_standby(std::size_t node, steady_clock::time_point now);
    void derive();
    std::uint32_t reference_timeline() const;
    std::string standby_reason(std::size_t node, const node_memory& m) const;
    std::string fence_reason(const node_memory& m) const;

    tracker_settings settings_;
    topology topology_;
    std::vector<node_memory> memory_;  // parallel to topology_.nodes
    // The primary's LSN history (strictly increasing positions), for lag times; reset when
    // another node becomes primary, kept while there is none.
    std::deque<lsn_point> history_;
    std::optional<std::size_t> history_owner_;
};

}  // namespace pgrelay::health
