// Loading the whole configuration as pgrelay runs with it: the file and PGRELAY_* variables
// merged and validated, and the users (users file or PGRELAY_USERS) parsed and checked. The
// same path serves the start, `pgrelay --check` and every reload.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "proxy/config.hpp"
#include "proxy/config_env.hpp"
#include "proxy/credentials.hpp"
#include "proxy/tls_context.hpp"

namespace pgrelay::proxy {

// Where the configuration comes from: a file (empty: none) and the environment.
struct config_source {
    std::filesystem::path file;
    environment env;
    std::filesystem::path cwd;  // relative paths set by the environment resolve against it
};

struct loaded_configuration {
    std::shared_ptr<const config> cfg;  // null when `error` says why
    std::shared_ptr<const user_directory> users;
    std::shared_ptr<const tls_contexts> tls;  // certificates read at this load
    std::size_t user_count = 0;
    std::string users_source;          // the users file, or "PGRELAY_USERS"
    std::vector<std::string> applied;  // PGRELAY_* variables that set something
    std::vector<std::string> ignored;  // PGRELAY_* variables that are no setting
    // "invalid configuration:\n<problems>", "invalid users file:\n<problem>" or "invalid TLS
    // settings:\n<problem>"; empty when ok.
    std::string error;

    bool ok() const { return error.empty(); }
};

[[nodiscard]] loaded_configuration load_configuration(const config_source& source);

// The [general] log level and format, in effect for every thread from now on.
void apply_log_settings(const config& cfg);

}  // namespace pgrelay::proxy
