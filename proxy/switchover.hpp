// SWITCHOVER TO: a planned move of the primary role with no client error. The checks that
// decide whether it may start (pure), and the run itself: pause, drain, wait for the standby
// to replay the primary's WAL, pg_promote(), wait for the health checker to see the new
// primary, resume. Before the promotion every failure resumes on the old primary.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "health/checker.hpp"
#include "health/topology.hpp"
#include "proxy/config.hpp"
#include "proxy/control_state.hpp"
#include "proxy/proxy_state.hpp"

namespace pgrelay::proxy {

// The two nodes of a switchover that may start.
struct switchover_plan {
    std::size_t from = 0;  // the primary now
    std::size_t to = 0;    // the standby to promote
};

struct switchover_refusal {
    std::string_view sqlstate;
    std::string message;
};

// Whether a switchover to `target` may start: the node exists, a primary is known and up, the
// target is an up or stale standby on the primary's timeline, nothing disabled or shutting down.
// A lagging standby may start: the run waits for it to catch up, within the timeout.
std::variant<switchover_plan, switchover_refusal> plan_switchover(const health::topology& t,
                                                                  const config& cfg,
                                                                  const control_state& control,
                                                                  std::string_view target);

struct switchover_step {
    // connect, pause, drain, primary_lsn, catch_up, promote, new_primary, resume
    std::string name;
    std::string detail;  // what it saw
    std::chrono::milliseconds took{0};
};

struct switchover_report {
    bool ok = false;
    bool promoted = false;  // past the point of no return
    std::string_view sqlstate;
    std::string error;  // why it stopped (with ok == false)
    std::vector<switchover_step> steps;
    std::chrono::milliseconds paused_for{0};  // how long new transactions were held
};

// Runs a planned switchover on the calling (main) executor. `timeout` bounds everything up
// to the promotion; after it, waiting for the checker to see the new primary is bounded by
// `confirm_timeout` and the report says whether it did.
boost::asio::awaitable<switchover_report> run_switchover(proxy_state& state,
                                                         health::health_checker& checker,
                                                         switchover_plan plan,
                                                         std::chrono::milliseconds timeout,
                                                         std::chrono::milliseconds confirm_timeout);

}  // namespace pgrelay::proxy
