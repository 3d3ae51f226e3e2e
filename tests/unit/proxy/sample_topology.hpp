// A checked topology for the console and JSON view tests: pg1 the primary on timeline 2 and
// pg2 a readable standby 96 bytes and 12 ms behind, checked at `at` (pg1 half a second before).
#pragma once

#include <chrono>

#include "health/topology.hpp"

namespace pgrelay::proxy::sample {

inline health::topology primary_and_standby(std::chrono::steady_clock::time_point at) {
    health::topology t;
    t.generation = 7;
    t.primary = 0;
    health::node_status p;
    p.name = "pg1";
    p.state = health::node_state::up;
    p.role = health::node_role::primary;
    p.timeline = 2;
    p.reason = "primary on timeline 2";
    p.current_lsn = health::lsn{0x3000060};
    p.last_check = at - std::chrono::milliseconds(500);
    health::node_status s;
    s.name = "pg2";
    s.state = health::node_state::up;
    s.role = health::node_role::standby;
    s.readable = true;
    s.timeline = 2;
    s.reason = "streaming, lag 96 B / 12 ms";
    s.receive_lsn = s.replay_lsn = health::lsn{0x3000000};
    s.lag_bytes = 96;
    s.lag_time = std::chrono::milliseconds(12);
    s.last_check = at;
    t.nodes = {p, s};
    return t;
}

}  // namespace pgrelay::proxy::sample
