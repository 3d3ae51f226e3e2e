// The one real PostgreSQL cluster (primary + 2 streaming standbys, scripts/cluster.sh) that
// every integration test shares, and its guaranteed teardown: at normal exit, on failure,
// on SIGINT/SIGTERM/SIGHUP, and (through a guardian process) even when the binary is killed.
// Runs of earlier interrupted test binaries are cleaned up when the next one starts.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pgrelay::it {

struct cluster_info {
    std::filesystem::path dir;  // the cluster.sh DIR
    std::uint16_t primary_port = 0;
    std::vector<std::uint16_t> standby_ports;
    std::string superuser = "postgres";
    std::string superpassword = "postgres";
};

// Valid once the environment is set up (inside any test).
const cluster_info& cluster();

// A scratch directory of this run, removed at teardown; pgrelay instances live below it.
// Every scripts/cluster.sh cluster directly below it (private_cluster.hpp) is destroyed by
// the same teardown, including the signal, guardian and leftover-run paths.
const std::filesystem::path& run_dir();

// PGRELAY_IT_DIRECT=1: the tests talk to the primary directly instead of through pgrelay
// (to check the tests themselves); tests of pgrelay-only behaviour skip.
bool direct_mode();

// pgrelay processes register here so an interrupted run kills them before teardown.
void register_child_pid(int pid);
void unregister_child_pid(int pid);

class cluster_environment : public ::testing::Environment {
  public:
    void SetUp() override;
    void TearDown() override;
};

// Stops and removes the cluster and the run directory; idempotent, async-signal-safe.
void teardown_cluster() noexcept;

}  // namespace pgrelay::it
