// Child processes for the integration tests: fork/exec with pipes, a poll() loop that feeds
// stdin and drains stdout/stderr, a deadline that kills the child's process group, and
// PR_SET_PDEATHSIG so nothing outlives the test binary.
#include "tests/integration/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace pgrelay::it {

namespace {

std::atomic<pid_t> g_foreground_child{0};

std::string path_with_pg_bin() {
    const char* path = std::getenv("PATH");
    std::string result = pg_bin_dir;
    result += ":";
    result += path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    return result;
}

void close_quietly(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

}  // namespace

std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    std::stringstream path(path_with_pg_bin());
    std::string dir;
    while (std::getline(path, dir, ':')) {
        if (dir.empty()) continue;
        std::string candidate = dir + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return name;
}

exec_image::exec_image(const std::vector<std::string>& argv_in,
                       const std::vector<std::pair<std::string, std::string>>& extra_env)
    : path(find_program(argv_in.at(0))), args(argv_in) {
    std::vector<std::pair<std::string, std::string>> overrides;
    auto set = [&overrides](const std::string& key, const std::string& value) {
        for (auto& [k, v] : overrides) {
            if (k == key) {
                v = value;
                return;
            }
        }
        overrides.emplace_back(key, value);
    };
    set("PATH", path_with_pg_bin());
    for (const auto& [k, v] : extra_env)
        set(k, v);  // a later setting of a key wins
    for (char** e = ::environ; *e != nullptr; ++e) {
        std::string entry = *e;
        std::string key = entry.substr(0, entry.find('='));
        bool overridden = false;
        for (const auto& o : overrides)
            overridden = overridden || o.first == key;
        if (!overridden) env.push_back(entry);
    }
    for (const auto& [k, v] : overrides)
        env.push_back(k + "=" + v);
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
}

pid_t foreground_child() {
    return g_foreground_child.load();
}

std::string command_result::describe() const {
    std::ostringstream s;
    if (timed_out) {
        s << "timed out (killed)";
    } else if (term_signal != 0) {
        s << "killed by signal " << term_signal;
    } else {
        s << "exit code " << exit_code;
    }
    s << "\n--- stdout ---\n" << out << "\n--- stderr ---\n" << err << "\n--------------";
    return s.str();
}

command_result run_command(const std::vector<std::string>& argv, const command_options& options) {
    command_result result;
    exec_image image(argv, options.env);
    std::string cwd = options.cwd.string();

    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
        ::pipe2(err_pipe, O_CLOEXEC) != 0) {
        result.err = std::string("pipe2: ") + std::strerror(errno);
        return result;
    }
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
        result.err = std::string("fork: ") + std::strerror(errno);
        return result;
    }
    if (pid == 0) {
        // Child: only async-signal-safe calls from here on.
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(127);
        ::signal(SIGPIPE, SIG_DFL);
        ::execve(image.path.c_str(), image.argv.data(), image.envp.data());
        const char msg[] = "exec failed\n";
        (void)!::write(2, msg, sizeof msg - 1);
        ::_exit(127);
    }
    g_foreground_child.store(pid);
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    int in_fd = in_pipe[1], out_fd = out_pipe[0], err_fd = err_pipe[0];
    ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
    std::size_t in_written = 0;
    if (options.stdin_data.empty()) close_quietly(in_fd);

    auto deadline = std::chrono::steady_clock::now() + options.timeout;
    char buf[65536];
    while (out_fd >= 0 || err_fd >= 0) {
        pollfd fds[3];
        int n = 0;
        if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
        if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
        if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            break;
        }
        int rc = ::poll(fds, n, static_cast<int>(std::min<long>(left.count(), 1000)));
        if (rc < 0 && errno != EINTR) break;
        for (int i = 0; i < n && rc > 0; ++i) {
            if (fds[i].revents == 0) continue;
            if (fds[i].fd == in_fd) {
                ssize_t w = ::write(in_fd, options.stdin_data.data() + in_written,
                                    options.stdin_data.size() - in_written);
                if (w > 0) in_written += static_cast<std::size_t>(w);
                if (w < 0 && errno != EAGAIN && errno != EINTR)
                    in_written = options.stdin_data.size();
                if (in_written >= options.stdin_data.size()) close_quietly(in_fd);
                continue;
            }
            ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
            if (r > 0) {
                (fds[i].fd == out_fd ? result.out : result.err)
                    .append(buf, static_cast<std::size_t>(r));
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                if (fds[i].fd == out_fd) {
                    close_quietly(out_fd);
                } else {
                    close_quietly(err_fd);
                }
            }
        }
    }
    close_quietly(in_fd);
    close_quietly(out_fd);
    close_quietly(err_fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    g_foreground_child.store(0);
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
    return result;
}

}  // namespace pgrelay::it
