// The running proxy: N worker threads, each an io_context running client sessions as
// coroutines, and a listener that hands each accepted socket to the next worker. Stops on
// SIGTERM or SIGINT; reloads its configuration on SIGHUP.
#pragma once

#include <memory>

#include "proxy/config_loader.hpp"
#include "proxy/proxy_state.hpp"

namespace pgrelay::proxy {

// Runs until a stop signal; returns the process exit code. `source` is read again on SIGHUP
// and RELOAD; `loaded` is what was loaded from it at the start.
int run_proxy(config_source source, loaded_configuration loaded);

}  // namespace pgrelay::proxy
