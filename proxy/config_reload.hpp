// SIGHUP and the console's RELOAD: the configuration and users loaded again from where they
// came from; a valid result replaces the running one for everything a running pgrelay can
// change (reload_plan.hpp), node slots included; an invalid one changes nothing. Main thread.
#pragma once

#include <functional>
#include <memory>

#include "health/checker.hpp"
#include "proxy/config_loader.hpp"
#include "proxy/proxy_state.hpp"
#include "proxy/reload_plan.hpp"

namespace pgrelay::proxy {

using config_ptr = std::shared_ptr<const config>;

// Publishes the new config and users, brings the health checker in line (targets, settings,
// nodes added and removed), and calls `apply_to_workers` with the new config for what each
// worker holds of it.
reload_outcome reload_configuration(const config_source& source, proxy_state& state,
                                    health::health_checker& checker,
                                    const std::function<void(config_ptr)>& apply_to_workers);

}  // namespace pgrelay::proxy
