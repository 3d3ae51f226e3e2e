// Starts the shared test cluster in a fresh run directory under /tmp/pgrelay-test-clusters/,
// first removing runs whose owning test binary is gone, and guarantees its teardown: normal
// TearDown/atexit, signal handlers (teardown, then re-raise), and a detached guardian process
// that destroys the cluster if this binary dies without saying goodbye (SIGKILL, crash).
#include "tests/integration/cluster_environment.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "tests/integration/subprocess.hpp"

namespace pgrelay::it {

namespace fs = std::filesystem;

namespace {

cluster_info g_cluster;
fs::path g_run_dir;

// 0: nothing to tear down, 1: a cluster may be running, 2: torn down.
std::atomic<int> g_state{0};
int g_guardian_fd = -1;  // write end of the pipe the guardian waits on

constexpr int max_children = 64;
std::atomic<int> g_children[max_children];

// The teardown command, prepared up front so signal handlers only fork/exec/wait.
std::vector<std::string> g_teardown_args;
std::vector<char*> g_teardown_argv;

fs::path clusters_root() {
    const char* env = std::getenv("PGRELAY_IT_CLUSTERS_ROOT");
    return env != nullptr && *env != '\0' ? fs::path(env) : fs::path("/tmp/pgrelay-test-clusters");
}

fs::path cluster_script() {
    return fs::path(PGRELAY_SOURCE_DIR) / "scripts" / "cluster.sh";
}

// Field 22 of /proc/PID/stat: the start time, which tells a live owner from a reused pid.
std::string process_start_time(long pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = stat.rfind(')');
    if (close == std::string::npos) return {};
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && rest >> field; ++i) {
    }
    return field;
}

// Destroys the shared cluster, then any other cluster.sh cluster directly under the run
// directory (tests' private clusters, see private_cluster.hpp), then the run directory.
std::vector<std::string> teardown_command(const fs::path& cluster_dir, const fs::path& run) {
    return {"/bin/bash",
            "-c",
            "bash \"$1\" destroy \"$2\" >/dev/null 2>&1 || bash \"$1\" destroy \"$2\"; "
            "for m in \"$3\"/*/.pgrelay-cluster; do [ -e \"$m\" ] || continue; d=${m%/*}; "
            "bash \"$1\" destroy \"$d\" >/dev/null 2>&1 || bash \"$1\" destroy \"$d\"; done; "
            "rm -rf \"$3\"",
            "pgrelay-it-teardown",
            cluster_script().string(),
            cluster_dir.string(),
            run.string()};
}

// Fork, exec and wait using only async-signal-safe calls.
void run_prepared(char* const* argv) noexcept {
    pid_t pid = ::fork();
    if (pid == 0) {
        ::execve(argv[0], argv, ::environ);
        ::_exit(127);
    }
    if (pid < 0) return;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

// Removes the runs of test binaries that are gone (killed, crashed, or machine rebooted).
void remove_stale_runs(const fs::path& root) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
        if (!entry.is_directory() || entry.path().filename().string().rfind("run-", 0) != 0)
            continue;
        std::ifstream owner(entry.path() / "owner");
        long pid = 0;
        std::string start;
        bool stale;
        if (owner >> pid >> start) {
            stale = process_start_time(pid) != start;
        } else {
            // No owner yet: a run being created right now, or one killed at its very start.
            auto age = fs::file_time_type::clock::now() - fs::last_write_time(entry.path(), ec);
            stale = age > std::chrono::minutes(1);
        }
        if (!stale) continue;
        std::cerr << "[cluster] removing leftovers of an earlier run: " << entry.path() << "\n";
        // The shared cluster and any private one (a cluster.sh marker directly below the run).
        std::vector<fs::path> clusters;
        for (const auto& sub : fs::directory_iterator(entry.path(), ec)) {
            if (fs::exists(sub.path() / ".pgrelay-cluster", ec)) clusters.push_back(sub.path());
        }
        for (const auto& dir : clusters) {
            auto result = run_command({"bash", cluster_script().string(), "destroy", dir.string()},
                                      {.timeout = std::chrono::seconds(60)});
            if (!result.ok())
                std::cerr << "[cluster] destroy failed: " << result.describe() << "\n";
        }
        fs::remove_all(entry.path(), ec);
    }
}

// A process outside our process tree that tears the cluster down when the write end of its
// pipe closes without a "done" byte, i.e. when this binary died without tearing down.
void start_guardian() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    pid_t child = ::fork();
    if (child == 0) {
        if (::fork() != 0) ::_exit(0);  // the grandchild is reparented away from us
        ::setsid();
        for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE})
            ::signal(sig, SIG_IGN);
        int devnull = ::open("/dev/null", O_RDWR);
        for (int fd = 0; fd < 3; ++fd)
            ::dup2(devnull, fd);
        for (int fd = 3; fd < 1024; ++fd) {
            if (fd != fds[0]) ::close(fd);
        }
        char c = 0;
        ssize_t n;
        while ((n = ::read(fds[0], &c, 1)) < 0 && errno == EINTR) {
        }
        if (n == 1 && c == 'd') ::_exit(0);
        run_prepared(g_teardown_argv.data());
        ::_exit(0);
    }
    ::close(fds[0]);
    if (child > 0) {
        while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    g_guardian_fd = fds[1];
}

void on_fatal_signal(int sig) {
    const char msg[] = "\n[cluster] signal received: tearing the test cluster down\n";
    (void)!::write(2, msg, sizeof msg - 1);
    teardown_cluster();
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS}) {
        ::sigaction(sig, &sa, nullptr);
    }
}

std::map<std::string, std::string> read_env_file(const fs::path& path) {
    std::map<std::string, std::string> values;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
        values[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return values;
}

}  // namespace

const cluster_info& cluster() {
    return g_cluster;
}
const fs::path& run_dir() {
    return g_run_dir;
}

bool direct_mode() {
    const char* env = std::getenv("PGRELAY_IT_DIRECT");
    return env != nullptr && std::string(env) == "1";
}

void register_child_pid(int pid) {
    for (auto& slot : g_children) {
        int expected = 0;
        if (slot.compare_exchange_strong(expected, pid)) return;
    }
}

void unregister_child_pid(int pid) {
    for (auto& slot : g_children) {
        int expected = pid;
        if (slot.compare_exchange_strong(expected, 0)) return;
    }
}

void teardown_cluster() noexcept {
    int expected = 1;
    if (!g_state.compare_exchange_strong(expected, 2)) return;
    if (pid_t child = foreground_child(); child > 0) {
        ::kill(-child, SIGKILL);
        ::kill(child, SIGKILL);
    }
    for (auto& slot : g_children) {
        if (int pid = slot.exchange(0); pid > 0) ::kill(pid, SIGKILL);
    }
    run_prepared(g_teardown_argv.data());
    if (g_guardian_fd >= 0) {
        (void)!::write(g_guardian_fd, "d", 1);
        ::close(g_guardian_fd);
        g_guardian_fd = -1;
    }
}

void cluster_environment::SetUp() {
    fs::path root = clusters_root();
    std::error_code ec;
    fs::create_directories(root, ec);
    ASSERT_FALSE(ec) << "cannot create " << root << ": " << ec.message();
    ::chmod(root.c_str(), 0755);  // the server user must traverse it
    remove_stale_runs(root);

    std::string templ = (root / "run-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr) << "mkdtemp: " << std::strerror(errno);
    g_run_dir = templ;
    ::chmod(g_run_dir.c_str(), 0755);
    {
        std::ofstream owner(g_run_dir / "owner");
        owner << ::getpid() << " " << process_start_time(::getpid()) << "\n";
    }
    g_cluster.dir = g_run_dir / "cluster";

    g_teardown_args = teardown_command(g_cluster.dir, g_run_dir);
    for (auto& a : g_teardown_args)
        g_teardown_argv.push_back(a.data());
    g_teardown_argv.push_back(nullptr);
    g_state.store(1);
    start_guardian();
    install_signal_handlers();
    std::atexit([] { teardown_cluster(); });

    auto started = std::chrono::steady_clock::now();
    auto result = run_command(
        {"bash", cluster_script().string(), "start", g_cluster.dir.string(), "--standbys", "2"},
        {.timeout = std::chrono::seconds(180)});
    ASSERT_TRUE(result.ok()) << "scripts/cluster.sh start failed: " << result.describe();
    auto env = read_env_file(g_cluster.dir / "cluster.env");
    ASSERT_TRUE(env.count("PRIMARY_PORT")) << "no PRIMARY_PORT in cluster.env";
    g_cluster.primary_port = static_cast<std::uint16_t>(std::stoi(env["PRIMARY_PORT"]));
    for (int i = 1; env.count("STANDBY" + std::to_string(i) + "_PORT"); ++i) {
        g_cluster.standby_ports.push_back(
            static_cast<std::uint16_t>(std::stoi(env["STANDBY" + std::to_string(i) + "_PORT"])));
    }
    g_cluster.superuser = env["PG_SUPERUSER"];
    g_cluster.superpassword = env["PG_SUPERPASSWORD"];
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    std::cerr << "[cluster] " << g_cluster.dir << ": primary 127.0.0.1:" << g_cluster.primary_port
              << ", " << g_cluster.standby_ports.size() << " standbys, up in " << ms.count()
              << " ms" << (direct_mode() ? " (PGRELAY_IT_DIRECT=1: tests bypass pgrelay)" : "")
              << "\n";
}

void cluster_environment::TearDown() {
    teardown_cluster();
}

}  // namespace pgrelay::it
