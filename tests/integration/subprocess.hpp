// Running helper programs (scripts/cluster.sh, psql, pgbench) as child processes with extra
// environment, fed stdin and with stdout/stderr captured, under a timeout. The running child
// is visible to the signal handlers so an interrupted test run can kill it before teardown.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace pgrelay::it {

// Where the PostgreSQL 15 client and server programs live; put first on every child's PATH.
inline constexpr const char* pg_bin_dir = "/usr/lib/postgresql/15/bin";

struct command_options {
    std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing) ours
    std::string stdin_data;                                // written, then stdin is closed
    std::chrono::milliseconds timeout{60000};              // then the child is killed
    std::filesystem::path cwd;                             // empty: inherit
};

struct command_result {
    int exit_code = -1;   // -1 unless the child exited normally
    int term_signal = 0;  // the signal that ended the child, if any
    bool timed_out = false;
    std::string out;
    std::string err;

    [[nodiscard]] bool ok() const { return exit_code == 0 && !timed_out; }
    // One paragraph for failure messages: how it ended, then stdout and stderr.
    [[nodiscard]] std::string describe() const;
};

// Runs argv[0] (searched on PATH with pg_bin_dir first) and waits for it.
command_result run_command(const std::vector<std::string>& argv,
                           const command_options& options = {});

// The path of `name` found on PATH with pg_bin_dir first; `name` itself if not found.
std::string find_program(const std::string& name);

// The child run_command is waiting for, or 0. Read by the signal handlers.
pid_t foreground_child();

// Argument and environment vectors built before fork(), so the child calls no allocator.
struct exec_image {
    std::string path;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::vector<char*> argv;
    std::vector<char*> envp;

    exec_image(const std::vector<std::string>& argv_in,
               const std::vector<std::pair<std::string, std::string>>& extra_env);
};

}  // namespace pgrelay::it
