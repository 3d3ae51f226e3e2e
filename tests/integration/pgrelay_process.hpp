// One real pgrelay process for a test: writes its config and users file into a fresh
// directory, fork/execs the built binary (dying with the tests via PR_SET_PDEATHSIG), waits
// for its port, keeps its stderr in a file (printed when the test failed) and stops it.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/cluster_environment.hpp"

// Tests of pgrelay-only behaviour (its own errors, limits, config) skip in direct mode.
#define PGRELAY_IT_REQUIRE_RELAY()                                                       \
    do {                                                                                 \
        if (::pgrelay::it::direct_mode()) GTEST_SKIP() << "needs pgrelay (direct mode)"; \
    } while (0)

namespace pgrelay::it {

struct relay_node {
    std::string name;
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    unsigned weight = 1;
};

// The shared cluster's primary and both standbys as pgrelay nodes "primary", "standby1",
// "standby2".
std::vector<relay_node> all_cluster_nodes();

struct relay_options {
    std::string auth_method = "scram-sha-256";  // trust | md5 | scram-sha-256
    // users file entries (user, secret); default: postgres, alice, bob, trusty with their
    // plaintext passwords
    std::vector<std::pair<std::string, std::string>> users = default_users();
    std::vector<relay_node> nodes;  // empty: the cluster's primary only
    unsigned workers = 2;
    std::uint32_t max_client_conn = 1000;
    double client_login_timeout = 60;
    double client_idle_timeout = 0;
    double server_connect_timeout = 5;
    std::string log_level = "info";
    double shutdown_timeout = 2;  // short: the tests stop pgrelay with SIGTERM and wait 5 s
    std::uint16_t port = 0;       // 0: a free port
    bool reuse_port = false;
    // [admin]: a console port (0: none) and who may use it.
    std::uint16_t admin_port = 0;
    std::vector<std::string> admin_users;
    // [health]: the checker logs in to every node as this role; written explicitly so that
    // users files without the superuser's plaintext password still work.
    std::string health_user = "postgres";
    std::string health_password = "postgres";
    double health_interval = 0.5;
    // Optional [health] lag bounds, written only when set (pgrelay's defaults otherwise).
    std::optional<std::uint64_t> health_max_lag_bytes;
    std::optional<std::int64_t> health_max_lag_ms;
    // [pool] and [routing]
    std::string pool_mode = "transaction";  // session | transaction
    std::uint32_t pool_size = 20;
    std::uint32_t min_pool_size = 0;
    double server_idle_timeout = 600;
    double query_wait_timeout = 120;
    double primary_wait_timeout = 30;
    std::string routing = "auto";  // primary | standby | auto
    std::string primary_reads = "fallback";
    std::string balance = "least_outstanding";
    bool retry_recovery_conflicts = true;
    // Appended to the config as written (extra sections such as [databases.x]).
    std::string extra_toml;

    static std::vector<std::pair<std::string, std::string>> default_users();
};

// The pgrelay binary under test: $PGRELAY_IT_BINARY if set, else the one built alongside.
std::string pgrelay_binary();

// A free loopback TCP port (bound with port 0, then released).
std::uint16_t free_port();

// Peak resident set size (VmHWM) of a process in KiB, or -1.
long peak_rss_kib(pid_t pid);

class pgrelay_process {
  public:
    pgrelay_process() = default;
    pgrelay_process(const pgrelay_process&) = delete;
    pgrelay_process& operator=(const pgrelay_process&) = delete;
    ~pgrelay_process();

    // Writes the files, starts pgrelay and waits (up to 10 s) until its port accepts
    // connections. In direct mode nothing is started and port() is the primary's.
    ::testing::AssertionResult start(const relay_options& options = {});

    // Sends a signal (counts as a requested stop: the process may exit).
    void send_signal(int signo);
    // Waits up to `timeout` for the process to exit: its exit code, -signal if killed, nothing
    // if it still runs.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);

    // Starts pgrelay with no config file, configured by `env` (PGRELAY_* variables) plus
    // PGRELAY_LISTEN_PORT on a free port; waits as start() does.
    ::testing::AssertionResult start_with_environment(
        std::vector<std::pair<std::string, std::string>> env);

    // SIGTERM, then SIGKILL after `timeout`. Returns the exit code, or -signal if killed.
    int stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));

    // True while the process has not exited (reaps it if it has).
    bool running();

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }
    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path config_path() const { return dir_ / "pgrelay.toml"; }
    std::string stderr_text() const;
    void dump_stderr() const;  // to std::cerr, framed

    // "exited with code N" / "killed by signal N" once it has exited.
    std::string exit_description() const;

  private:
    ::testing::AssertionResult launch(const std::vector<std::string>& args,
                                      const std::vector<std::pair<std::string, std::string>>& env);

    std::filesystem::path dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = 0;
    std::optional<int> wait_status_;
    bool stop_requested_ = false;  // an exit before stop() is a crash and fails the test
};

// Writes a pgrelay config (and users file) for `options` listening on `port` into `dir`.
void write_relay_config(const std::filesystem::path& dir, const relay_options& options,
                        std::uint16_t port);

// A fresh directory under the run directory.
std::filesystem::path make_scratch_dir(const std::string& prefix);

}  // namespace pgrelay::it
