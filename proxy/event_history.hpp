// The recent topology events (promotions, fencing, nodes down, standbys stale or fresh), with
// wall-clock time, for SHOW EVENTS. A bounded ring shared by the health checker's thread
// (writer) and the admin console (reader).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
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
        events_.push_back(std::move(e));
        while (events_.size() > capacity_)
            events_.pop_front();
    }

    // Oldest first.
    std::vector<recorded_event> recent() const {
        std::lock_guard lock(mutex_);
        return {events_.begin(), events_.end()};
    }

  private:
    mutable std::mutex mutex_;
    std::deque<recorded_event> events_;
    std::size_t capacity_;
};

}  // namespace pgrelay::proxy
