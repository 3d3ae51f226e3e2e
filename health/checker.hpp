// The health checker: one probe per node, each on its own check loop at the configured
// interval, feeding one topology_tracker and publishing its decision after every
// observation. Events go to a sink (the proxy logs them). Runs on one executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "health/probe.hpp"
#include "health/snapshot_cell.hpp"
#include "health/topology.hpp"

namespace pgrelay::health {

struct checked_node {
    std::string name;
    probe_target target;
};

using event_sink = std::function<void(const topology_event&, const topology&)>;

class health_checker {
  public:
    health_checker(boost::asio::any_io_executor executor, std::vector<checked_node> nodes,
                   tracker_settings settings, std::chrono::milliseconds interval, event_sink sink);
    ~health_checker();

    // Starts the check loops (one coroutine per node).
    void start();
    // A reload: new probe targets (same nodes, same order), tracker settings and interval,
    // in effect from each node's next check.
    void reconfigure(std::vector<checked_node> nodes, tracker_settings settings,
                     std::chrono::milliseconds interval);
    // A reload: a node added (appended, probed from now on; returns its index) or removed
    // (no longer probed, down for good). Indexes of the other nodes never change.
    std::size_t add_node(checked_node node);
    void remove_node(std::size_t index);
    // Checks every node at once instead of at its next interval (a switchover waiting for
    // the promoted node); a loop in the middle of a check just goes on.
    void check_now();
    // Stops the loops at their next wake-up; probes in flight finish first.
    void stop();

    snapshot_cell<topology>& snapshots() { return cell_; }
    const boost::asio::any_io_executor& executor() const { return executor_; }

    // Probes every node once, in parallel, and returns the resulting topology (for
    // `pgrelay --probe`). Does not need start().
    boost::asio::awaitable<topology> probe_once();

  private:
    boost::asio::awaitable<void> check_loop(std::size_t index);
    void observe(std::size_t index, const probe_result& r);

    boost::asio::any_io_executor executor_;
    std::vector<std::unique_ptr<node_probe>> probes_;
    std::vector<std::shared_ptr<boost::asio::steady_timer>> timers_;  // each loop's wait
    std::vector<bool> removed_;                                       // by node index
    bool started_ = false;
    topology_tracker tracker_;
    std::chrono::milliseconds interval_;
    event_sink sink_;
    snapshot_cell<topology> cell_;
    std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);
};

}  // namespace pgrelay::health
