// Where statements ran, for the routing and pooling tests: node names from ports
// (inet_server_port()), tallies of many reads, waiting until reads reach given nodes or until
// the standbys have replayed something. Direct connections go to the shared cluster's nodes.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"

namespace pgrelay::it {

inline const std::string port_sql = "SELECT inet_server_port()::text";

// "primary", "standby1", "standby2" for a port of the shared cluster; "?PORT" otherwise.
std::string node_of(const std::string& port);
std::string primary_port();
std::string standby_port(std::size_t i);  // 1 or 2

// The superuser on the app database of one node, bypassing pgrelay.
login superuser_app_login(std::uint16_t port);

// Polls `sql` directly on `port` (superuser, app) until it returns `want`; the last value.
std::string wait_direct_value(std::uint16_t port, const std::string& sql, const std::string& want,
                              std::chrono::milliseconds wait = std::chrono::seconds(30));

// Waits until `sql` gives `want` on both standbys (replication of a table or its rows).
::testing::AssertionResult wait_on_standbys(const std::string& sql, const std::string& want);

// Counts of where `n` runs of `sql` (one value: a port) landed, by node name; `order`, when
// given, receives the nodes in order.
std::map<std::string, int> tally(PGconn* conn, int n, const std::string& sql = port_sql,
                                 std::vector<std::string>* order = nullptr);

// "{primary: 3, standby1: 5}".
std::string describe(const std::map<std::string, int>& counts);

// Runs single reads until every node of `must_see` has served one, or `wait` passes: pgrelay
// needs a moment after its start until its health checker has seen the standbys.
::testing::AssertionResult wait_for_reads_on(
    PGconn* conn, const std::set<std::string>& must_see,
    std::chrono::milliseconds wait = std::chrono::seconds(15));

// pgrelay logged a topology event of this kind for this node ("standby_fresh", "standby1").
bool has_event(const pgrelay_process& relay, const std::string& kind, const std::string& node);

// Waits until pgrelay's health checker has reported the primary and both standbys readable.
::testing::AssertionResult wait_for_topology(
    const pgrelay_process& relay, std::chrono::milliseconds wait = std::chrono::seconds(15));

}  // namespace pgrelay::it
