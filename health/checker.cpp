// Check loops and publication; see checker.hpp.
#include "health/checker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>

namespace pgrelay::health {

namespace asio = boost::asio;

namespace {
std::vector<std::string> names_of(const std::vector<checked_node>& nodes) {
    std::vector<std::string> names;
    for (const auto& n : nodes)
        names.push_back(n.name);
    return names;
}
}  // namespace

health_checker::health_checker(asio::any_io_executor executor, std::vector<checked_node> nodes,
                               tracker_settings settings, std::chrono::milliseconds interval,
                               event_sink sink)
    : executor_(std::move(executor)),
      tracker_(names_of(nodes), settings),
      interval_(interval),
      sink_(std::move(sink)) {
    for (auto& n : nodes)
        probes_.push_back(std::make_unique<node_probe>(executor_, std::move(n.target)));
    removed_.assign(probes_.size(), false);
    cell_.publish(std::make_shared<const topology>(tracker_.current()));
}

health_checker::~health_checker() {
    *stopped_ = true;
}

void health_checker::start() {
    started_ = true;
    for (std::size_t i = 0; i < probes_.size(); ++i) {
        timers_.push_back(std::make_shared<asio::steady_timer>(executor_));
        asio::co_spawn(executor_, check_loop(i), asio::detached);
    }
}

std::size_t health_checker::add_node(checked_node node) {
    const std::size_t index = tracker_.add_node(node.name);
    probes_.push_back(std::make_unique<node_probe>(executor_, std::move(node.target)));
    removed_.push_back(false);
    cell_.publish(std::make_shared<const topology>(tracker_.current()), false);
    if (started_) {
        timers_.push_back(std::make_shared<asio::steady_timer>(executor_));
        asio::co_spawn(executor_, check_loop(index), asio::detached);
    }
    return index;
}

void health_checker::remove_node(std::size_t index) {
    if (index >= probes_.size() || removed_[index]) return;
    removed_[index] = true;
    const auto generation = tracker_.current().generation;
    auto events = tracker_.remove_node(index);
    cell_.publish(std::make_shared<const topology>(tracker_.current()),
                  tracker_.current().generation != generation);
    if (sink_)
        for (const auto& e : events)
            sink_(e, tracker_.current());
    if (index < timers_.size()) timers_[index]->cancel();  // its loop ends at once
}

void health_checker::reconfigure(std::vector<checked_node> nodes, tracker_settings settings,
                                 std::chrono::milliseconds interval) {
    for (std::size_t i = 0; i < nodes.size() && i < probes_.size(); ++i)
        probes_[i]->set_target(std::move(nodes[i].target));
    tracker_.set_settings(settings);
    interval_ = interval;
}

void health_checker::check_now() {
    for (auto& t : timers_)
        t->cancel();
}

void health_checker::stop() {
    *stopped_ = true;
}

void health_checker::observe(std::size_t index, const probe_result& r) {
    const auto generation = tracker_.current().generation;
    auto events = tracker_.observe(index, r, steady_clock::now());
    cell_.publish(std::make_shared<const topology>(tracker_.current()),
                  tracker_.current().generation != generation);
    if (sink_)
        for (const auto& e : events)
            sink_(e, tracker_.current());
}

asio::awaitable<void> health_checker::check_loop(std::size_t index) {
    auto stopped = stopped_;
    auto timer = timers_[index];
    auto next = steady_clock::now();
    while (!*stopped && !removed_[index]) {
        next += interval_;
        auto r = co_await probes_[index]->check();
        if (*stopped || removed_[index]) co_return;
        observe(index, r);
        const auto now = steady_clock::now();
        if (next < now) next = now;  // a slow probe: check again at once, do not pile up
        timer->expires_at(next);
        auto [woken] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
        if (woken == asio::error::operation_aborted) next = steady_clock::now();  // check_now()
    }
}

asio::awaitable<topology> health_checker::probe_once() {
    std::vector<probe_result> results(probes_.size());
    std::size_t pending = probes_.size();
    asio::steady_timer done(executor_, asio::steady_timer::time_point::max());
    for (std::size_t i = 0; i < probes_.size(); ++i) {
        asio::co_spawn(
            executor_,
            [&, i]() -> asio::awaitable<void> {
                results[i] = co_await probes_[i]->check();
                if (--pending == 0) done.cancel();
            },
            asio::detached);
    }
    if (pending > 0) co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
    // Primaries first, so standbys' lag is measured against this round's primary position.
    for (int pass = 0; pass < 2; ++pass) {
        for (std::size_t i = 0; i < results.size(); ++i) {
            const bool primary_like = results[i].sample && !results[i].sample->in_recovery;
            if ((pass == 0) == primary_like) observe(i, results[i]);
        }
    }
    co_return tracker_.current();
}

}  // namespace pgrelay::health
