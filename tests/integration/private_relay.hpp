// What the tests on a private cluster share (failover, switchover, reload): pgrelay options
// for all of its nodes, starting pgrelay until it routes reads to a standby, and polling a
// value on one node directly.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/private_cluster.hpp"

namespace pgrelay::it {

// Nodes primary, standby1..N of `pc`; transaction mode, auto routing, checks every 0.2 s,
// writes wait up to 10 s for a primary.
relay_options private_relay_options(const private_cluster& pc);

// Starts pgrelay and waits (10 s) until a read through it lands on a standby.
::testing::AssertionResult start_until_standby_reads(pgrelay_process& relay,
                                                     const relay_options& o);

// Polls `sql` directly on `port` (superuser) until it returns `want`.
bool wait_value(std::uint16_t port, const std::string& sql, const std::string& want,
                std::chrono::milliseconds wait = std::chrono::seconds(10));

}  // namespace pgrelay::it
