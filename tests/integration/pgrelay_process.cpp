// Starting and stopping the real pgrelay binary (PGRELAY_BINARY) for a test, with its
// config in a scratch directory and its stderr in a file that is printed on test failure.
#include "tests/integration/pgrelay_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "tests/integration/cluster_environment.hpp"
#include "tests/integration/subprocess.hpp"

namespace pgrelay::it {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string toml_number(double value) {
    std::ostringstream s;
    s << value;
    std::string text = s.str();
    if (text.find_first_of(".e") == std::string::npos) text += ".0";
    return text;
}

bool port_accepts(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> relay_options::default_users() {
    return {{"postgres", "postgres"},
            {"alice", "alice-secret"},
            {"bob", "bob-secret"},
            {"trusty", "trusty-secret"}};
}

std::string pgrelay_binary() {
    const char* env = std::getenv("PGRELAY_IT_BINARY");
    return env != nullptr && *env != '\0' ? env : PGRELAY_BINARY;
}

std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        if (fd >= 0) ::close(fd);
        return 0;
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

long peak_rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

fs::path make_scratch_dir(const std::string& prefix) {
    static std::atomic<int> counter{0};
    fs::path dir = run_dir() / (prefix + "-" + std::to_string(++counter));
    fs::create_directories(dir);
    return dir;
}

void write_relay_config(const fs::path& dir, const relay_options& options, std::uint16_t port) {
    {
        std::ofstream users(dir / "users.txt");
        for (const auto& [user, secret] : options.users) {
            users << '"' << user << "\" \"" << secret << "\"\n";
        }
    }
    std::ofstream toml(dir / "pgrelay.toml");
    toml << "# written by the pgrelay integration tests\n"
         << "[general]\n"
         << "workers = " << options.workers << "\n"
         << "max_client_conn = " << options.max_client_conn << "\n"
         << "client_login_timeout = " << toml_number(options.client_login_timeout) << "\n"
         << "client_idle_timeout = " << toml_number(options.client_idle_timeout) << "\n"
         << "server_connect_timeout = " << toml_number(options.server_connect_timeout) << "\n"
         << "log_level = \"" << options.log_level << "\"\n"
         << "shutdown_timeout = " << toml_number(options.shutdown_timeout) << "\n\n"
         << "[listen]\naddress = \"127.0.0.1\"\nport = " << port << "\n"
         << "reuse_port = " << (options.reuse_port ? "true" : "false") << "\n\n"
         << "[auth]\nmethod = \"" << options.auth_method << "\"\nusers_file = \"users.txt\"\n\n"
         << "[health]\nuser = \"" << options.health_user << "\"\npassword = \""
         << options.health_password << "\"\ninterval = " << toml_number(options.health_interval)
         << "\n";
    if (options.health_max_lag_bytes)
        toml << "max_lag_bytes = " << *options.health_max_lag_bytes << "\n";
    if (options.health_max_lag_ms) toml << "max_lag_ms = " << *options.health_max_lag_ms << "\n";
    toml << "\n[pool]\npool_mode = \"" << options.pool_mode
         << "\"\ndefault_pool_size = " << options.pool_size
         << "\nmin_pool_size = " << options.min_pool_size
         << "\nserver_idle_timeout = " << toml_number(options.server_idle_timeout)
         << "\nquery_wait_timeout = " << toml_number(options.query_wait_timeout)
         << "\nprimary_wait_timeout = " << toml_number(options.primary_wait_timeout) << "\n"
         << "\n[routing]\nmode = \"" << options.routing << "\"\nprimary_reads = \""
         << options.primary_reads << "\"\nbalance = \"" << options.balance
         << "\"\nretry_recovery_conflicts = "
         << (options.retry_recovery_conflicts ? "true" : "false") << "\n";
    if (options.admin_port != 0) {
        toml << "\n[admin]\nport = " << options.admin_port << "\nusers = [";
        for (std::size_t i = 0; i < options.admin_users.size(); ++i)
            toml << (i ? ", " : "") << '"' << options.admin_users[i] << '"';
        toml << "]\n";
    }
    if (!options.extra_toml.empty()) toml << "\n" << options.extra_toml << "\n";
    std::vector<relay_node> nodes = options.nodes;
    if (nodes.empty()) nodes.push_back({.name = "primary", .port = cluster().primary_port});
    for (const auto& node : nodes) {
        toml << "\n[[nodes]]\nname = \"" << node.name << "\"\nhost = \"" << node.host
             << "\"\nport = " << node.port << "\nweight = " << node.weight << "\n";
    }
}

std::vector<relay_node> all_cluster_nodes() {
    const auto& c = cluster();
    std::vector<relay_node> nodes{{.name = "primary", .port = c.primary_port}};
    for (std::size_t i = 0; i < c.standby_ports.size(); ++i)
        nodes.push_back({.name = "standby" + std::to_string(i + 1), .port = c.standby_ports[i]});
    return nodes;
}

pgrelay_process::~pgrelay_process() {
    if (pid_ > 0) stop();
    if (::testing::Test::HasFailure()) dump_stderr();
}

void pgrelay_process::dump_stderr() const {
    if (dir_.empty()) return;
    std::cerr << "----- pgrelay stderr (" << (dir_ / "stderr.log").string() << ") -----\n"
              << stderr_text() << "----- end of pgrelay stderr -----\n";
}

::testing::AssertionResult pgrelay_process::start(const relay_options& options) {
    if (direct_mode()) {
        port_ = cluster().primary_port;
        return ::testing::AssertionSuccess();
    }
    dir_ = make_scratch_dir("pgrelay");
    port_ = options.port != 0 ? options.port : free_port();
    if (port_ == 0) return ::testing::AssertionFailure() << "no free port";
    write_relay_config(dir_, options, port_);
    return launch({pgrelay_binary(), "--config", config_path().string()}, {});
}

::testing::AssertionResult pgrelay_process::start_with_environment(
    std::vector<std::pair<std::string, std::string>> env) {
    if (direct_mode()) {
        port_ = cluster().primary_port;
        return ::testing::AssertionSuccess();
    }
    dir_ = make_scratch_dir("pgrelay-env");
    port_ = free_port();
    if (port_ == 0) return ::testing::AssertionFailure() << "no free port";
    env.emplace_back("PGRELAY_LISTEN_PORT", std::to_string(port_));
    return launch({pgrelay_binary()}, env);
}

::testing::AssertionResult pgrelay_process::launch(
    const std::vector<std::string>& args,
    const std::vector<std::pair<std::string, std::string>>& env) {
    const std::string& binary = args.front();
    if (::access(binary.c_str(), X_OK) != 0) {
        stop_requested_ = true;
        return ::testing::AssertionFailure()
               << "no pgrelay binary at " << binary << " (" << std::strerror(errno)
               << "): build the pgrelay target";
    }
    exec_image image(args, env);
    std::string log = (dir_ / "stderr.log").string();
    int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0)
        return ::testing::AssertionFailure() << "open " << log << ": " << std::strerror(errno);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        int devnull = ::open("/dev/null", O_RDWR);
        ::dup2(devnull, 0);
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
        ::signal(SIGPIPE, SIG_DFL);
        ::execve(image.path.c_str(), image.argv.data(), image.envp.data());
        const char msg[] = "integration tests: exec of the pgrelay binary failed\n";
        (void)!::write(2, msg, sizeof msg - 1);
        ::_exit(127);
    }
    ::close(log_fd);
    if (pid < 0) return ::testing::AssertionFailure() << "fork: " << std::strerror(errno);
    pid_ = pid;
    register_child_pid(pid);

    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!running()) {
            stop_requested_ = true;  // reported here, not again as a crash
            return ::testing::AssertionFailure()
                   << "pgrelay " << exit_description() << " before accepting connections; stderr:\n"
                   << stderr_text();
        }
        if (port_accepts(port_)) return ::testing::AssertionSuccess();
        std::this_thread::sleep_for(20ms);
    }
    return ::testing::AssertionFailure()
           << "pgrelay did not accept connections on port " << port_ << " within 10 s; stderr:\n"
           << stderr_text();
}

bool pgrelay_process::running() {
    if (pid_ <= 0 || wait_status_) return false;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        wait_status_ = status;
        unregister_child_pid(pid_);
        return false;
    }
    return r == 0;
}

void pgrelay_process::send_signal(int signo) {
    if (pid_ > 0 && running()) {
        stop_requested_ = true;
        ::kill(pid_, signo);
    }
}

std::optional<int> pgrelay_process::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    if (running() || !wait_status_) return std::nullopt;
    if (WIFEXITED(*wait_status_)) return WEXITSTATUS(*wait_status_);
    return -WTERMSIG(*wait_status_);
}

int pgrelay_process::stop(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return 0;
    if (!stop_requested_ && !running()) {
        ADD_FAILURE() << "pgrelay (pid " << pid_ << ") " << exit_description()
                      << " during the test";
    }
    stop_requested_ = true;
    if (running()) {
        ::kill(pid_, SIGTERM);
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (running() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(10ms);
        }
        if (running()) {
            std::cerr << "[pgrelay] pid " << pid_ << " ignored SIGTERM for " << timeout.count()
                      << " ms; sending SIGKILL\n";
            ::kill(pid_, SIGKILL);
            int status = 0;
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
            wait_status_ = status;
            unregister_child_pid(pid_);
        }
    }
    if (!wait_status_) return 0;
    if (WIFEXITED(*wait_status_)) return WEXITSTATUS(*wait_status_);
    return -WTERMSIG(*wait_status_);
}

std::string pgrelay_process::exit_description() const {
    if (!wait_status_) return "still running";
    if (WIFEXITED(*wait_status_))
        return "exited with code " + std::to_string(WEXITSTATUS(*wait_status_));
    if (WIFSIGNALED(*wait_status_))
        return "killed by signal " + std::to_string(WTERMSIG(*wait_status_));
    return "ended";
}

std::string pgrelay_process::stderr_text() const {
    std::ifstream in(dir_ / "stderr.log");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace pgrelay::it
