// A test's own cluster: scripts/cluster.sh start/destroy in a directory under run_dir(),
// its ports from cluster.env, and pg_ctl stop/start of single nodes as the server user.
#include "tests/integration/private_cluster.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <map>

#include "tests/integration/subprocess.hpp"

namespace pgrelay::it {

namespace fs = std::filesystem;

namespace {

std::string cluster_script() {
    return (fs::path(PGRELAY_SOURCE_DIR) / "scripts" / "cluster.sh").string();
}

// pg_ctl runs as the server user: `postgres` when we are root (as scripts/cluster.sh does).
std::vector<std::string> as_server_user(std::vector<std::string> argv) {
    if (::geteuid() != 0) return argv;
    std::vector<std::string> out = {"runuser", "-u", "postgres", "--"};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
}

}  // namespace

::testing::AssertionResult private_cluster::read_env() {
    std::ifstream in(info_.dir / "cluster.env");
    std::map<std::string, std::string> env;
    std::string line;
    while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
        env[line.substr(0, eq)] = line.substr(eq + 1);
    }
    if (!env.count("PRIMARY_PORT")) {
        return ::testing::AssertionFailure() << "no PRIMARY_PORT in " << info_.dir / "cluster.env";
    }
    cluster_info next = info_;
    next.primary_port = static_cast<std::uint16_t>(std::stoi(env["PRIMARY_PORT"]));
    next.standby_ports.clear();
    for (int i = 1; env.count("STANDBY" + std::to_string(i) + "_PORT"); ++i) {
        next.standby_ports.push_back(
            static_cast<std::uint16_t>(std::stoi(env["STANDBY" + std::to_string(i) + "_PORT"])));
    }
    next.superuser = env["PG_SUPERUSER"];
    next.superpassword = env["PG_SUPERPASSWORD"];
    info_ = std::move(next);
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult private_cluster::start(const std::string& prefix, int standbys) {
    destroy();
    static std::atomic<int> counter{0};
    // Directly under run_dir(): the shared teardown destroys every cluster found there.
    fs::path dir = run_dir() / (prefix + "-" + std::to_string(++counter));
    auto started = std::chrono::steady_clock::now();
    auto result = run_command(
        {"bash", cluster_script(), "start", dir.string(), "--standbys", std::to_string(standbys)},
        {.timeout = std::chrono::seconds(120)});
    info_.dir = dir;  // from here on, destroy() removes it
    if (!result.ok()) {
        return ::testing::AssertionFailure()
               << "scripts/cluster.sh start " << dir << " failed: " << result.describe();
    }
    auto env = read_env();
    if (!env) return env;
    if (info_.standby_ports.size() != static_cast<std::size_t>(standbys)) {
        return ::testing::AssertionFailure()
               << "expected " << standbys << " standbys, cluster.env has "
               << info_.standby_ports.size();
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    std::cerr << "[private cluster] " << dir << ": primary 127.0.0.1:" << info_.primary_port << ", "
              << standbys << " standbys, up in " << ms.count() << " ms\n";
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult private_cluster::restart_stopped_nodes() {
    if (!started()) return ::testing::AssertionFailure() << "no private cluster";
    const cluster_info before = info_;
    auto result = run_command({"bash", cluster_script(), "start", info_.dir.string()},
                              {.timeout = std::chrono::seconds(120)});
    if (!result.ok()) {
        return ::testing::AssertionFailure()
               << "scripts/cluster.sh start " << info_.dir << " failed: " << result.describe();
    }
    auto env = read_env();
    if (!env) return env;
    if (info_.primary_port != before.primary_port || info_.standby_ports != before.standby_ports) {
        return ::testing::AssertionFailure()
               << "a node of " << info_.dir << " moved to another port on restart";
    }
    return ::testing::AssertionSuccess();
}

void private_cluster::destroy() noexcept {
    if (info_.dir.empty()) return;
    auto result = run_command({"bash", cluster_script(), "destroy", info_.dir.string()},
                              {.timeout = std::chrono::seconds(60)});
    if (!result.ok()) {
        std::cerr << "[private cluster] destroy " << info_.dir
                  << " failed (the run teardown retries): " << result.describe() << "\n";
    }
    info_ = {};
}

std::uint16_t private_cluster::port_of(const std::string& node) const {
    if (node == "primary") return info_.primary_port;
    if (node.rfind("standby", 0) == 0) {
        int i = std::atoi(node.c_str() + 7);
        if (i >= 1 && static_cast<std::size_t>(i) <= info_.standby_ports.size()) {
            return info_.standby_ports[i - 1];
        }
    }
    return 0;
}

::testing::AssertionResult private_cluster::stop_node(const std::string& node,
                                                      const std::string& mode) {
    auto result = run_command(as_server_user({find_program("pg_ctl"), "-D", data_dir(node).string(),
                                              "-m", mode, "-w", "-t", "60", "-s", "stop"}),
                              {.timeout = std::chrono::seconds(70), .cwd = "/"});
    if (!result.ok()) {
        return ::testing::AssertionFailure() << "pg_ctl stop " << node << ": " << result.describe();
    }
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult private_cluster::start_node(const std::string& node) {
    const std::string log = (info_.dir / "log" / (node + ".log")).string();
    auto result = run_command(as_server_user({find_program("pg_ctl"), "-D", data_dir(node).string(),
                                              "-l", log, "-w", "-t", "60", "-s", "start"}),
                              {.timeout = std::chrono::seconds(70), .cwd = "/"});
    if (!result.ok()) {
        return ::testing::AssertionFailure()
               << "pg_ctl start " << node << ": " << result.describe();
    }
    return ::testing::AssertionSuccess();
}

}  // namespace pgrelay::it
