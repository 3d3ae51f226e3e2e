// The recent topology events (promotions, fencing, nodes down, standbys stale or fresh), with
// wall-clock time, for SHOW EVENTS, and how many of each kind since the start (and how many
// failovers: a promotion of another node after a primary was known) for /metrics. A bounded
// ring shared by the health checker's thread (writer) and the admin console (reader).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace pgrelay::proxy {

struct recorded_event {
    std::chrono::system_clock::time_point at;
    std::string kind;  // "promotion_seen", "fenced", ...
    std::string node;
    std::string reason;
    std::string primary;  // the primary after the event, "none" without one
    std::uint64_t generation = 0;
};

class event_history {
  public:
    explicit event_history(std::size_t capacity = 200) : capacity_(capacity) {}

    void record(recorded_event e) {
        std::lock_guard lock(mutex_);
        ++totals_[e.kind];
        if (e.kind == "promotion_seen") {
            if (!last_primary_.empty() && e.node != last_primary_) ++failovers_;
            last_primary_ = e.node;
        }
        events_.push_back(std::move(e));
        while (events_.size() > capacity_)
            events_.pop_front();
    }

    // Oldest first.
    std::vector<recorded_event> recent() const {
        std::lock_guard lock(mutex_);
        return {events_.begin(), events_.end()};
    }

    // Events recorded since the start, by kind (not bounded by the ring).
    std::map<std::string, std::uint64_t> totals() const {
        std::lock_guard lock(mutex_);
        return totals_;
    }

    // Promotions of a node other than the primary known before (the first primary seen is
    // not a failover, nor is the same primary coming back).
    std::uint64_t failovers() const {
        std::lock_guard lock(mutex_);
        return failovers_;
    }

  private:
    mutable std::mutex mutex_;
    std::deque<recorded_event> events_;
    std::size_t capacity_;
    std::map<std::string, std::uint64_t> totals_;
    std::string last_primary_;
    std::uint64_t failovers_ = 0;
};

}  // namespace pgrelay::proxy
