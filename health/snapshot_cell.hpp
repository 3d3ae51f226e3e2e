// Publication of a read-mostly value (the topology; later the config): writers swap in a
// new immutable snapshot, readers on any thread get it without taking a lock while nothing
// changed (a per-reader cache checked against an atomic version), and coroutines can wait
// for the next publication that changed something that matters.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace pgrelay::health {

template <typename T>
class snapshot_cell {
  public:
    using pointer = std::shared_ptr<const T>;

    // A reader's private cache; one per thread or coroutine that reads often.
    struct reader {
        std::uint64_t version = 0;
        pointer value;
    };

    // Swaps in a new snapshot. `changed` says whether it differs in a way waiters care about
    // (for the topology: a routing decision); only then are waiters woken.
    void publish(pointer value, bool changed = true) {
        std::vector<std::shared_ptr<boost::asio::steady_timer>> wake;
        {
            std::lock_guard lock(mutex_);
            value_ = std::move(value);
            version_.fetch_add(1, std::memory_order_release);
            if (!changed) return;
            changes_.fetch_add(1, std::memory_order_release);
            wake.swap(waiters_);
        }
        for (auto& t : wake) {
            boost::asio::post(t->get_executor(), [t] { t->cancel(); });
        }
    }

    pointer load() const {
        std::lock_guard lock(mutex_);
        return value_;
    }

    // Lock-free unless a new snapshot was published since this reader's last call.
    const pointer& read(reader& r) const {
        const auto v = version_.load(std::memory_order_acquire);
        if (v != r.version || !r.value) {
            std::lock_guard lock(mutex_);
            r.value = value_;
            r.version = version_.load(std::memory_order_relaxed);
        }
        return r.value;
    }

    // Counts publications; a reader cache is current while this has not moved.
    std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
    // Counts publications that changed something waiters care about.
    std::uint64_t changes() const { return changes_.load(std::memory_order_acquire); }

    // Completes once changes() differs from `seen` (at once if it already does).
    boost::asio::awaitable<void> wait_change(std::uint64_t seen) {
        auto ex = co_await boost::asio::this_coro::executor;
        auto timer = std::make_shared<boost::asio::steady_timer>(ex);
        timer->expires_at(boost::asio::steady_timer::time_point::max());
        {
            std::lock_guard lock(mutex_);
            if (changes_.load(std::memory_order_relaxed) != seen) co_return;
            waiters_.push_back(timer);
        }
        co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }

  private:
    mutable std::mutex mutex_;
    pointer value_;
    std::atomic<std::uint64_t> version_{1};
    std::atomic<std::uint64_t> changes_{1};
    std::vector<std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

}  // namespace pgrelay::health
