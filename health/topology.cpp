// The topology state machine (see topology.hpp): per-node liveness with rise/fall, primary
// election by timeline with fencing and split-brain detection, standby readability with lag
// hysteresis, lag time from the primary's own LSN history, and the events between two
// decisions. Pure: no I/O, no clock, no logging; never throws on probe content.
#include "health/topology.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <utility>

namespace pgrelay::health {

struct topology_tracker::node_memory {
    enum class liveness : std::uint8_t { unknown, up, down, starting };
    // What the node's last standby sample said, judged at the time it arrived.
    struct standby_facts {
        bool lag_known = false;  // a primary LSN history to compare with
        std::uint64_t lag_bytes = 0;
        std::chrono::milliseconds lag_time{0};
        bool streaming = false;        // WAL receiver status "streaming"
        bool advancing = false;        // replay moved within max_lag_time
        bool caught_up = false;        // replayed everything the primary (or its receiver) has
        bool paused = false;           // pg_is_wal_replay_paused()
        bool replay_known = false;     // pg_last_wal_replay_lsn() not null
        std::uint64_t unreplayed = 0;  // received but not replayed yet
        std::string receiver_status;
    };

    liveness live = liveness::unknown;
    int ok_run = 0;                     // consecutive successes
    int fail_run = 0;                   // consecutive failures (57P03 excluded)
    std::string failure_text;           // the last failure, formatted; empty after a success
    std::optional<node_sample> sample;  // the last successful sample

    // Sticky fence: set when it claims primary below the highest timeline or as a split-brain
    // newcomer; cleared when seen in recovery (or promoted above every timeline seen).
    bool fenced = false;
    std::string split_with;  // fenced as a split-brain newcomer: the node it collided with

    bool removed = false;  // removed by a reload: down for good, never observed again

    // Standby judgement (hysteresis); reset whenever the node is not an up standby on the
    // reference timeline, so the next sample judges it afresh.
    bool judged = false;
    bool fresh = false;
    int bad_run = 0;   // consecutive bad samples while fresh
    int good_run = 0;  // consecutive samples within the readmit bounds while stale
    standby_facts facts;
    std::optional<lsn> last_replay;
    std::optional<steady_clock::time_point> replay_advanced_at;

    void reset_judgement() {
        judged = false;
        fresh = false;
        bad_run = 0;
        good_run = 0;
    }
};

namespace {

constexpr std::size_t max_history_points = 1 << 16;

int at_least_one(int v) {
    return v < 1 ? 1 : v;
}
int bump(int v) {
    return v < INT_MAX ? v + 1 : v;
}

std::string format_bytes(std::uint64_t b) {
    char buf[48];
    if (b < 1024) {
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
        return buf;
    }
    static constexpr const char* units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
    double v = static_cast<double>(b) / 1024.0;
    std::size_t u = 0;
    while (v >= 1024.0 && u + 1 < std::size(units)) {
        v /= 1024.0;
        ++u;
    }
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

std::string format_duration(std::chrono::milliseconds d) {
    char buf[48];
    long long ms = d.count() < 0 ? 0 : static_cast<long long>(d.count());
    if (ms < 1000) {
        std::snprintf(buf, sizeof buf, "%lld ms", ms);
    } else {
        std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
    }
    return buf;
}

std::string lag_text(bool known, std::uint64_t bytes, std::chrono::milliseconds time) {
    if (!known) return "lag unknown (no primary LSN sampled yet)";
    return "lag " + format_bytes(bytes) + " / " + format_duration(time);
}

// Probe error texts come from the network (libpq messages end in newlines and tabs): one
// line, printable, bounded.
std::string clean_detail(std::string_view in) {
    constexpr std::size_t max_len = 200;
    std::string out;
    out.reserve(std::min(in.size(), max_len + 8));
    bool space = false;
    for (char c : in) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f || c == ' ') {
            space = !out.empty();
            continue;
        }
        if (space) out.push_back(' ');
        space = false;
        out.push_back(c);
        if (out.size() > max_len) break;
    }
    if (out.size() > max_len) {
        // cut before out[n], never inside a UTF-8 sequence
        std::size_t n = max_len;
        while (n > 0 && (static_cast<unsigned char>(out[n]) & 0xC0) == 0x80) {
            --n;
        }
        out.resize(n);
        out += "...";
    }
    return out;
}

std::string failure_text(probe_failure f, std::string_view detail) {
    std::string out(to_string(f));
    std::string d = clean_detail(detail);
    if (!d.empty()) out += ": " + d;
    return out;
}

std::string not_streaming_text(const std::string& receiver_status) {
    if (receiver_status.empty()) return "not streaming (no WAL receiver)";
    return "not streaming (WAL receiver " + clean_detail(receiver_status) + ")";
}

}  // namespace

// ---- to_string ---------------------------------------------------------------------------

std::string_view to_string(node_role r) {
    switch (r) {
        case node_role::unknown:
            return "unknown";
        case node_role::primary:
            return "primary";
        case node_role::standby:
            return "standby";
    }
    return "unknown";
}

std::string_view to_string(node_state s) {
    switch (s) {
        case node_state::unknown:
            return "unknown";
        case node_state::up:
            return "up";
        case node_state::down:
            return "down";
        case node_state::starting:
            return "starting";
        case node_state::fenced:
            return "fenced";
        case node_state::stale:
            return "stale";
    }
    return "unknown";
}

std::string_view to_string(event_kind k) {
    switch (k) {
        case event_kind::node_up:
            return "node_up";
        case event_kind::node_down:
            return "node_down";
        case event_kind::promotion_seen:
            return "promotion_seen";
        case event_kind::primary_lost:
            return "primary_lost";
        case event_kind::fenced:
            return "fenced";
        case event_kind::unfenced:
            return "unfenced";
        case event_kind::standby_stale:
            return "standby_stale";
        case event_kind::standby_fresh:
            return "standby_fresh";
        case event_kind::split_brain:
            return "split_brain";
    }
    return "unknown";
}

// ---- life cycle --------------------------------------------------------------------------

topology_tracker::topology_tracker(std::vector<std::string> node_names, tracker_settings settings)
    : settings_(settings), memory_(node_names.size()) {
    topology_.nodes.resize(node_names.size());
    for (std::size_t i = 0; i < node_names.size(); ++i) {
        topology_.nodes[i].name = std::move(node_names[i]);
        topology_.nodes[i].reason = "not probed yet";
    }
}

topology_tracker::~topology_tracker() = default;
topology_tracker::topology_tracker(const topology_tracker&) = default;
topology_tracker::topology_tracker(topology_tracker&&) noexcept = default;
topology_tracker& topology_tracker::operator=(const topology_tracker&) = default;
topology_tracker& topology_tracker::operator=(topology_tracker&&) noexcept = default;

// ---- one observation ---------------------------------------------------------------------

std::vector<topology_event> topology_tracker::observe(std::size_t node, const probe_result& result,
                                                      steady_clock::time_point now) {
    if (node >= memory_.size() || memory_[node].removed) return {};

    const topology before = topology_;
    const std::vector<bool> fenced_before = fence_flags();

    const bool sampled = result.failure == probe_failure::none && result.sample;
    record(node, result, now);
    elect();
    if (topology_.primary && history_owner_ != topology_.primary) {
        history_.clear();  // another node's LSNs say nothing about this one's lag
        history_owner_ = topology_.primary;
    }
    const node_memory& m = memory_[node];
    if (sampled && topology_.primary == node && m.sample->current_lsn) {
        record_primary_lsn(node, *m.sample->current_lsn, now);
    }
    if (sampled && m.sample->in_recovery) judge_standby(node, now);
    derive();
    return events_since(before, fenced_before);
}

std::vector<bool> topology_tracker::fence_flags() const {
    std::vector<bool> flags(memory_.size());
    for (std::size_t i = 0; i < memory_.size(); ++i)
        flags[i] = memory_[i].fenced;
    return flags;
}

std::size_t topology_tracker::add_node(std::string name) {
    node_status st;
    st.name = std::move(name);
    st.reason = "not probed yet";
    topology_.nodes.push_back(std::move(st));
    memory_.emplace_back();
    return memory_.size() - 1;
}

std::vector<topology_event> topology_tracker::remove_node(std::size_t node) {
    if (node >= memory_.size() || memory_[node].removed) return {};
    const topology before = topology_;
    const std::vector<bool> fenced_before = fence_flags();
    node_memory& m = memory_[node];
    m = node_memory{};
    m.removed = true;
    m.live = node_memory::liveness::down;
    if (history_owner_ == node) {
        history_.clear();
        history_owner_.reset();
    }
    elect();
    derive();
    return events_since(before, fenced_before);
}

std::vector<topology_event> topology_tracker::events_since(const topology& before,
                                                           const std::vector<bool>& fenced_before) {
    // ---- events, in the order documented on event_kind
    std::vector<topology_event> events;
    const auto& nodes = topology_.nodes;
    std::vector<bool> mentioned(nodes.size());
    auto emit = [&](event_kind k, std::size_t i, std::string reason) {
        events.push_back(topology_event{k, nodes[i].name, std::move(reason)});
        mentioned[i] = true;
    };
    auto answering = [](node_state s) { return s != node_state::unknown && s != node_state::down; };

    for (std::size_t i = 0; i < nodes.size(); ++i) {
        node_state was = before.nodes[i].state, is = nodes[i].state;
        if (is == node_state::down && was != node_state::down) {
            emit(event_kind::node_down, i, nodes[i].reason);
        }
        if (!answering(was) && answering(is)) emit(event_kind::node_up, i, nodes[i].reason);
    }
    if (before.primary != topology_.primary) {
        if (topology_.primary) {
            std::size_t p = *topology_.primary;
            std::string why = "primary on timeline " + std::to_string(topology_.primary_timeline);
            if (before.primary) {
                why += " (was " + nodes[*before.primary].name + " on timeline " +
                       std::to_string(before.primary_timeline) + ")";
            }
            emit(event_kind::promotion_seen, p, std::move(why));
        } else if (before.primary) {
            std::size_t p = *before.primary;
            std::string why = nodes[p].reason;
            if (nodes[p].state != node_state::down && nodes[p].role == node_role::standby) {
                why = "now in recovery: " + why;
            }
            emit(event_kind::primary_lost, p, std::move(why));
        }
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (fenced_before[i] && !memory_[i].fenced) {
            emit(event_kind::unfenced, i,
                 (memory_[i].sample && memory_[i].sample->in_recovery ? "in recovery on timeline "
                                                                      : "primary on timeline ") +
                     std::to_string(nodes[i].timeline));
        }
    }
    std::optional<std::size_t> newcomer;  // a fenced claimant on the top timeline
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (nodes[i].state == node_state::fenced && before.nodes[i].state != node_state::fenced) {
            emit(event_kind::fenced, i, nodes[i].reason);
        }
        if (!newcomer && nodes[i].state == node_state::fenced && memory_[i].sample &&
            memory_[i].sample->timeline >= topology_.primary_timeline) {
            newcomer = i;
        }
    }
    if (topology_.split_brain && !before.split_brain && newcomer) {
        emit(event_kind::split_brain, *newcomer, fence_reason(memory_[*newcomer]));
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const auto &was = before.nodes[i], &is = nodes[i];
        if (was.readable && !is.readable) {
            if (topology_.primary != i) emit(event_kind::standby_stale, i, is.reason);
        } else if (!was.readable && is.readable) {
            emit(event_kind::standby_fresh, i, is.reason);
        } else if (was.state != is.state && !mentioned[i]) {
            // Any other state change with no event of its own is an unreadable node changing
            // why (stale or fenced <-> starting: restarting, 57P03).
            emit(event_kind::standby_stale, i, is.reason);
        }
    }

    // ---- generation: only routing decisions
    bool changed =
        before.primary != topology_.primary || before.split_brain != topology_.split_brain;
    for (std::size_t i = 0; i < nodes.size() && !changed; ++i) {
        changed = before.nodes[i].state != nodes[i].state ||
                  before.nodes[i].readable != nodes[i].readable;
    }
    if (changed) topology_.generation = before.generation + 1;
    return events;
}

// Liveness (rise/fall/57P03), the node's status fields, fence clearing, highest timeline.
void topology_tracker::record(std::size_t i, const probe_result& r, steady_clock::time_point now) {
    using liveness = node_memory::liveness;
    node_memory& m = memory_[i];
    node_status& st = topology_.nodes[i];
    st.last_check = now;

    if (r.failure == probe_failure::none && r.sample) {
        m.fail_run = 0;
        m.ok_run = bump(m.ok_run);
        m.failure_text.clear();
        st.last_error.clear();
        if (m.live != liveness::down || m.ok_run >= at_least_one(settings_.rise)) {
            m.live = liveness::up;
        }
        m.sample = *r.sample;
        const node_sample& s = *m.sample;
        st.role = s.in_recovery ? node_role::standby : node_role::primary;
        st.timeline = s.effective_timeline();
        st.current_lsn = s.current_lsn;
        st.receive_lsn = s.receive_lsn;
        st.replay_lsn = s.replay_lsn;
        st.streaming = s.receiver_status == "streaming";
        st.replay_paused = s.replay_paused;
        st.upstream.clear();
        if (!s.upstream_host.empty()) {
            st.upstream = clean_detail(s.upstream_host);
            if (s.upstream_port > 0) st.upstream += ":" + std::to_string(s.upstream_port);
        }
        st.server_version = s.server_version;
        if (!s.in_recovery) {
            st.lag_bytes = 0;
            st.lag_time = std::chrono::milliseconds{0};
            m.last_replay.reset();
            m.replay_advanced_at.reset();
        }

        if (s.in_recovery) {
            m.fenced = false;
            m.split_with.clear();
        } else if (m.live == liveness::up && s.timeline > topology_.primary_timeline) {
            // a claim above every timeline seen: a promotion (it went through recovery)
            topology_.primary_timeline = s.timeline;
            m.fenced = false;
            m.split_with.clear();
        }
        return;
    }

    const probe_failure f =
        r.failure == probe_failure::none ? probe_failure::query_failed : r.failure;
    m.failure_text = failure_text(f, r.failure == probe_failure::none && r.detail.empty()
                                         ? std::string_view("probe returned no sample")
                                         : std::string_view(r.detail));
    st.last_error = m.failure_text;
    m.ok_run = 0;
    if (f == probe_failure::starting_up) {
        m.fail_run = 0;
        m.live = liveness::starting;
    } else {
        m.fail_run = bump(m.fail_run);
        if (m.fail_run >= at_least_one(settings_.fall)) m.live = liveness::down;
    }
}

// The primary: the up node not in recovery on the highest timeline; fences the others.
void topology_tracker::elect() {
    using liveness = node_memory::liveness;
    const std::uint32_t top = topology_.primary_timeline;
    auto claims = [&](const node_memory& m) {
        return m.live == liveness::up && m.sample && !m.sample->in_recovery;
    };

    std::vector<std::size_t> candidates;
    std::size_t claimants_on_top = 0;
    for (std::size_t i = 0; i < memory_.size(); ++i) {
        node_memory& m = memory_[i];
        if (!claims(m)) continue;
        if (m.sample->timeline < top) {
            if (!m.fenced) {
                m.fenced = true;
                m.split_with.clear();
            }
            continue;
        }
        ++claimants_on_top;
        if (!m.fenced) candidates.push_back(i);
    }

    const std::optional<std::size_t> previous = topology_.primary;
    std::optional<std::size_t> next;
    if (previous &&
        std::find(candidates.begin(), candidates.end(), *previous) != candidates.end()) {
        next = previous;
    } else if (candidates.size() == 1) {
        next = candidates.front();
    }
    // Everyone else claiming primary on the top timeline is a split-brain newcomer. With no
    // known primary among several candidates (not reachable one observation at a time, kept
    // for safety) nobody is primary.
    for (std::size_t c : candidates) {
        if (next && c == *next) continue;
        node_memory& m = memory_[c];
        m.fenced = true;
        std::size_t other =
            next ? *next : (c == candidates.front() ? candidates.back() : candidates.front());
        m.split_with = topology_.nodes[other].name;
    }
    // A node fenced earlier (lower timeline) now claiming the top one collides with the primary.
    for (std::size_t i = 0; i < memory_.size(); ++i) {
        node_memory& m = memory_[i];
        if (claims(m) && m.fenced && m.split_with.empty() && m.sample->timeline >= top && next &&
            *next != i) {
            m.split_with = topology_.nodes[*next].name;
        }
    }
    topology_.primary = next;
    topology_.split_brain = claimants_on_top >= 2;
}

void topology_tracker::record_primary_lsn(std::size_t node, lsn position,
                                          steady_clock::time_point now) {
    if (history_owner_ != node || history_.empty() || position < history_.back().position) {
        history_.clear();
        history_owner_ = node;
        history_.push_back({now, position});
    } else if (position > history_.back().position) {
        history_.push_back({now, position});
    }
    // Keep one point at or before the horizon, so a standby stuck below every kept point
    // still shows at least the history length as lag.
    const auto horizon = now - settings_.lsn_history;
    while (history_.size() >= 2 && history_[1].at <= horizon) {
        history_.pop_front();
    }
    while (history_.size() > max_history_points) {
        history_.pop_front();
    }
}

// Facts from a standby's own sample (lags, streaming, progress) and its hysteresis.
void topology_tracker::judge_standby(std::size_t i, steady_clock::time_point now) {
    using liveness = node_memory::liveness;
    node_memory& m = memory_[i];
    node_status& st = topology_.nodes[i];
    const node_sample& s = *m.sample;

    const lag_limits lim = settings_.limits_for(i);
    node_memory::standby_facts f;
    f.paused = s.replay_paused;
    f.streaming = s.receiver_status == "streaming";
    f.receiver_status = s.receiver_status;
    f.replay_known = s.replay_lsn.has_value();
    if (s.replay_lsn) {
        if (m.last_replay && *s.replay_lsn > *m.last_replay) m.replay_advanced_at = now;
        m.last_replay = s.replay_lsn;
    }
    f.advancing = m.replay_advanced_at && now - *m.replay_advanced_at <= lim.max_time;
    if (s.receive_lsn && s.replay_lsn) f.unreplayed = bytes_behind(*s.receive_lsn, *s.replay_lsn);

    if (s.replay_lsn && !history_.empty() && history_owner_ != i) {
        f.lag_known = true;
        f.lag_bytes = bytes_behind(history_.back().position, *s.replay_lsn);
        auto oldest_unreplayed =
            std::upper_bound(history_.begin(), history_.end(), *s.replay_lsn,
                             [](lsn l, const lsn_point& p) { return l < p.position; });
        if (oldest_unreplayed != history_.end() && now > oldest_unreplayed->at) {
            f.lag_time =
                std::chrono::duration_cast<std::chrono::milliseconds>(now - oldest_unreplayed->at);
        }
        f.caught_up = f.lag_bytes == 0;
    } else {
        // Lag unknown: counted as 0, but it must have replayed all it received.
        f.caught_up = s.replay_lsn && s.receive_lsn && *s.replay_lsn >= *s.receive_lsn;
    }
    m.facts = f;
    st.lag_bytes = f.lag_bytes;
    st.lag_time = f.lag_time;

    if (m.live != liveness::up || s.effective_timeline() != reference_timeline()) {
        m.reset_judgement();
        return;
    }
    const bool bad = f.paused || !f.replay_known || (f.lag_known && f.lag_bytes > lim.max_bytes) ||
                     (f.lag_known && f.lag_time > lim.max_time) ||
                     !(f.streaming || f.advancing || f.caught_up);
    const bool within_readmit =
        !bad && f.lag_bytes <= lim.readmit_bytes && f.lag_time <= lim.readmit_time;
    if (!m.judged) {
        m.judged = true;
        m.fresh = !bad;
        m.bad_run = bad ? 1 : 0;
        m.good_run = within_readmit ? 1 : 0;
        return;
    }
    if (!topology_.primary) return;  // no primary: readability frozen
    // A primary failing its checks explains a lost WAL stream: a standby whose only fault is
    // not streaming keeps its judgement until the primary answers again or is declared down
    // (then readability is frozen), so reads go on while the primary dies.
    const bool only_stream_lost =
        !f.paused && f.replay_known &&
        !(f.lag_known && (f.lag_bytes > lim.max_bytes || f.lag_time > lim.max_time));
    if (bad && only_stream_lost && memory_[*topology_.primary].fail_run > 0) return;
    if (m.fresh) {
        m.bad_run = bad ? bump(m.bad_run) : 0;
        if (m.bad_run >= at_least_one(settings_.stale_samples)) {
            m.fresh = false;
            m.good_run = 0;
        }
    } else {
        m.good_run = within_readmit ? bump(m.good_run) : 0;
        if (m.good_run >= at_least_one(settings_.readmit_samples)) {
            m.fresh = true;
            m.bad_run = 0;
        }
    }
}

// The highest primary timeline seen; before any primary, the highest standby timeline.
std::uint32_t topology_tracker::reference_timeline() const {
    if (topology_.primary_timeline > 0) return topology_.primary_timeline;
    std::uint32_t top = 0;
    for (const node_memory& m : memory_) {
        if (m.live == node_memory::liveness::up && m.sample && m.sample->in_recovery) {
            top = std::max(top, m.sample->effective_timeline());
        }
    }
    return top;
}

std::string topology_tracker::fence_reason(const node_memory& m) const {
    const std::uint32_t top = topology_.primary_timeline;
    const std::uint32_t tl = m.sample ? m.sample->timeline : 0;
    if (tl < top) {
        return "claims primary on timeline " + std::to_string(tl) + " < " + std::to_string(top);
    }
    std::string out = "split brain: also primary on timeline " + std::to_string(top);
    if (!m.split_with.empty()) out += ": " + m.split_with;
    return out;
}

// Why a judged standby on the right timeline is (not) readable, most useful first.
std::string topology_tracker::standby_reason(std::size_t node, const node_memory& m) const {
    const auto& f = m.facts;
    const auto& cfg = settings_;
    const lag_limits lim = settings_.limits_for(node);
    std::vector<std::string> problems;
    if (f.paused) problems.emplace_back("replay paused");
    if (!f.replay_known) problems.emplace_back("replay position unknown");
    bool lagging = false;
    if (f.lag_known && f.lag_bytes > lim.max_bytes) {
        problems.push_back("replay lag " + format_bytes(f.lag_bytes) + " > max " +
                           format_bytes(lim.max_bytes));
        lagging = true;
    }
    if (f.lag_known && f.lag_time > lim.max_time) {
        problems.push_back("replay lag " + format_duration(f.lag_time) + " > max " +
                           format_duration(lim.max_time));
        lagging = true;
    }
    if (lagging && f.unreplayed > 0) {
        problems.push_back(format_bytes(f.unreplayed) + " received but not replayed");
    }
    if (!(f.streaming || f.advancing || f.caught_up)) {
        problems.push_back(not_streaming_text(f.receiver_status));
    }
    std::string joined;
    for (const auto& p : problems) {
        joined += (joined.empty() ? "" : "; ") + p;
    }

    std::string mode = f.streaming   ? "streaming"
                       : f.advancing ? "log shipping"
                                     : "not streaming, caught up";
    std::string healthy = mode + ", " + lag_text(f.lag_known, f.lag_bytes, f.lag_time);

    if (m.fresh) {
        if (!topology_.primary) {
            return (joined.empty() ? healthy : joined) + "; no primary: readability kept";
        }
        if (joined.empty()) return healthy;
        return joined + " (bad sample " + std::to_string(m.bad_run) + " of " +
               std::to_string(at_least_one(cfg.stale_samples)) + ")";
    }
    if (!joined.empty()) return joined;
    if (f.lag_bytes > lim.readmit_bytes) {
        return "catching up: replay lag " + format_bytes(f.lag_bytes) + " > readmit " +
               format_bytes(lim.readmit_bytes);
    }
    if (f.lag_time > lim.readmit_time) {
        return "catching up: replay lag " + format_duration(f.lag_time) + " > readmit " +
               format_duration(lim.readmit_time);
    }
    return "catching up: " + std::to_string(m.good_run) + " of " +
           std::to_string(at_least_one(cfg.readmit_samples)) + " good samples, " +
           lag_text(f.lag_known, f.lag_bytes, f.lag_time);
}

// Each node's state, readability and reason from the memories and the election.
void topology_tracker::derive() {
    using liveness = node_memory::liveness;
    const std::uint32_t ref = reference_timeline();
    const std::uint32_t top = topology_.primary_timeline;
    for (std::size_t i = 0; i < memory_.size(); ++i) {
        node_memory& m = memory_[i];
        node_status& st = topology_.nodes[i];
        bool judged_standby = false;
        st.readable = false;
        const std::string failing = m.failure_text;
        const int fall = at_least_one(settings_.fall);

        if (m.removed) {
            st.state = node_state::down;
            st.reason = "removed from the configuration";
            st.last_error.clear();
            m.reset_judgement();
            continue;
        }
        if (m.live == liveness::unknown || (m.live == liveness::up && !m.sample)) {
            st.state = node_state::unknown;
            st.reason = m.fail_run > 0 ? failing + " (" + std::to_string(m.fail_run) + " of " +
                                             std::to_string(fall) + " failures)"
                                       : "not probed yet";
        } else if (m.live == liveness::down) {
            st.state = node_state::down;
            if (m.ok_run > 0) {
                st.reason = "recovering: " + std::to_string(m.ok_run) + " of " +
                            std::to_string(at_least_one(settings_.rise)) + " successful probes";
            } else {
                st.reason = std::to_string(m.fail_run) + " consecutive probe failure" +
                            (m.fail_run == 1 ? "" : "s");
                if (!failing.empty()) st.reason += " (last: " + failing + ")";
            }
        } else if (m.live == liveness::starting) {
            st.state = node_state::starting;
            st.reason = std::string(to_string(probe_failure::starting_up));
        } else if (topology_.primary == i) {
            st.state = node_state::up;
            st.reason = "primary on timeline " + std::to_string(top);
            if (topology_.split_brain) {
                std::string others;
                for (std::size_t j = 0; j < memory_.size(); ++j) {
                    const node_memory& o = memory_[j];
                    if (j != i && o.live == liveness::up && o.sample && !o.sample->in_recovery &&
                        o.sample->timeline == top) {
                        others += (others.empty() ? "" : ", ") + topology_.nodes[j].name;
                    }
                }
                st.reason += "; split brain: also primary on timeline " + std::to_string(top) +
                             ": " + others;
            }
        } else if (!m.sample->in_recovery) {
            st.state = node_state::fenced;  // every claimant but the primary is fenced
            m.fenced = true;
            st.reason = fence_reason(m);
        } else {
            const std::uint32_t tl = m.sample->effective_timeline();
            if (tl != ref) {
                st.state = node_state::stale;
                st.reason = "timeline " + std::to_string(tl) +
                            (top > 0 ? ", primary is on " : ", other standbys are on ") +
                            std::to_string(ref);
            } else if (!m.judged) {
                st.state = node_state::stale;
                st.reason = "waiting for a sample on timeline " + std::to_string(tl);
                judged_standby = true;  // keep waiting for its own next sample
            } else {
                judged_standby = true;
                st.state = m.fresh ? node_state::up : node_state::stale;
                st.readable = m.fresh;
                st.reason = standby_reason(i, m);
            }
        }
        if (m.live == liveness::up && m.fail_run > 0) {
            st.reason += "; last probe failed (" + std::to_string(m.fail_run) + " of " +
                         std::to_string(fall) + "): " + failing;
        }
        if (!judged_standby) m.reset_judgement();
    }
}

}  // namespace pgrelay::health
