// A test's own PostgreSQL cluster (scripts/cluster.sh: primary + N streaming standbys) for
// tests that change the topology (pause replay, promote, stop nodes) and so must not touch
// the shared one. It lives directly under run_dir(), where the shared cluster's teardown
// (normal exit, signals, guardian, next run's leftover sweep) destroys it too; the object
// destroys it itself when it goes away. Nodes are stopped and started with pg_ctl as the
// server user (`postgres` when running as root), as scripts/cluster.sh does.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/integration/cluster_environment.hpp"

namespace pgrelay::it {

class private_cluster {
  public:
    private_cluster() = default;
    private_cluster(const private_cluster&) = delete;
    private_cluster& operator=(const private_cluster&) = delete;
    ~private_cluster() { destroy(); }

    // Creates and starts a cluster in a fresh directory run_dir()/<prefix>-N.
    ::testing::AssertionResult start(const std::string& prefix, int standbys = 2);

    // `cluster.sh start` again: starts the nodes that are stopped (ports unchanged unless
    // taken meanwhile: checked) and waits until every standby streams.
    ::testing::AssertionResult restart_stopped_nodes();

    // Stops and removes the cluster; idempotent.
    void destroy() noexcept;

    bool started() const { return !info_.dir.empty(); }
    const cluster_info& info() const { return info_; }
    std::uint16_t primary_port() const { return info_.primary_port; }
    std::uint16_t standby_port(int i) const { return info_.standby_ports.at(i - 1); }  // 1-based

    // The port of "primary", "standby1", ... (0 if unknown).
    std::uint16_t port_of(const std::string& node) const;
    std::filesystem::path data_dir(const std::string& node) const { return info_.dir / node; }

    // pg_ctl -m <mode> -w stop / -w start of one node, as the server user.
    ::testing::AssertionResult stop_node(const std::string& node, const std::string& mode = "fast");
    ::testing::AssertionResult start_node(const std::string& node);

  private:
    ::testing::AssertionResult read_env();

    cluster_info info_;
};

}  // namespace pgrelay::it
