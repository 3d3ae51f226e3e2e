// The running proxy: N worker threads, each an io_context running client sessions as
// coroutines, and a listener that hands each accepted socket to the next worker. Stops on
// SIGTERM or SIGINT.
#pragma once

#include <memory>

#include "proxy/proxy_state.hpp"

namespace pgrelay::proxy {

// Runs until a stop signal; returns the process exit code.
int run_proxy(std::shared_ptr<const config> cfg, std::shared_ptr<const user_directory> users);

}  // namespace pgrelay::proxy
