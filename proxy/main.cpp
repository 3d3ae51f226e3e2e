// The pgrelay command line: runs the proxy configured by --config FILE and/or PGRELAY_*
// environment variables; --check validates and prints the effective settings, --probe checks
// the nodes once, --ready checks a running listener (container health check), --version, --help.
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "health/checker.hpp"
#include "proxy/config.hpp"
#include "proxy/config_env.hpp"
#include "proxy/config_loader.hpp"
#include "proxy/credentials.hpp"
#include "proxy/health_setup.hpp"
#include "proxy/log.hpp"
#include "proxy/proxy_server.hpp"
#include "proxy/ready_probe.hpp"

namespace {

constexpr const char* usage = R"(pgrelay - a replication-aware PostgreSQL connection proxy

Usage:
  pgrelay [--config FILE]          run the proxy
  pgrelay --check [--config FILE]  validate the configuration and users, print the effective
                                   configuration (secrets masked), exit non-zero on error
  pgrelay --probe [--config FILE]  check every node once, print the topology, exit
  pgrelay --ready [TARGET]         exit 0 when pgrelay answers within 3 s, else 1; TARGET is
                                   HOST:PORT (a listener) or http://HOST:PORT/PATH (2xx needed)
                                   (default: http://PGRELAY_HTTP_*/readyz when PGRELAY_HTTP_PORT
                                   is set, else the PGRELAY_LISTEN_* address, else
                                   127.0.0.1:6432)
  pgrelay --version                print the version
  pgrelay --help                   print this help

Options:
  -c, --config FILE   the TOML configuration file (see docs/configuration.md)

Every setting can also come from the environment, which overrides the file:
PGRELAY_<SECTION>_<KEY> (PGRELAY_LISTEN_PORT=6432), PGRELAY_NODES="pg1:5432,pg2:5432",
PGRELAY_USERS="alice:secret,..." or PGRELAY_USERS_FILE=PATH. Without --config the
environment alone configures pgrelay.
)";

// `pgrelay --ready [TARGET]`: 0 when the listener answers, 1 (with the reason) otherwise.
int ready(const std::string& target_text) {
    auto target = pgrelay::proxy::parse_ready_target(target_text);
    if (!target.value) {
        std::cerr << "pgrelay: --ready " << target_text << ": " << target.error << "\n";
        return 1;
    }
    auto error = pgrelay::proxy::check_ready(*target.value, std::chrono::seconds(3));
    if (!error.empty()) {
        std::cerr << "pgrelay: " << target_text << " is not ready: " << error << "\n";
        return 1;
    }
    return 0;
}

// `pgrelay --probe`: one check of every node, the topology as a table.
int probe_and_print(const pgrelay::proxy::config& cfg,
                    const pgrelay::proxy::user_directory& users) {
    namespace asio = boost::asio;
    using namespace pgrelay;
    asio::io_context context;
    // One check per node: a failed check is the verdict (fall = 1), not one of `fall`.
    auto settings = proxy::tracker_settings_from(cfg);
    settings.fall = 1;
    settings.rise = 1;
    health::health_checker checker(context.get_executor(), proxy::checked_nodes(cfg, users),
                                   settings, cfg.health.interval, nullptr);
    health::topology result;
    asio::co_spawn(context, checker.probe_once(),
                   [&result](std::exception_ptr e, health::topology t) {
                       if (!e) result = std::move(t);
                   });
    context.run();
    std::cout << proxy::format_topology_table(result, cfg);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace pgrelay::proxy;
    std::string config_path;
    bool check = false;
    bool probe = false;
    std::optional<std::string> ready_target;
    const environment env = pgrelay_variables(environ);
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << usage;
            return 0;
        } else if (arg == "--version" || arg == "-V") {
            std::cout << "pgrelay " << PGRELAY_VERSION << "\n";
            return 0;
        } else if (arg == "--check") {
            check = true;
        } else if (arg == "--probe") {
            probe = true;
        } else if (arg == "--ready") {
            const bool given = i + 1 < argc && argv[i + 1][0] != '-';
            ready_target = given ? std::string(argv[++i]) : default_ready_target(env);
        } else if ((arg == "--config" || arg == "-c") && i + 1 < argc) {
            config_path = argv[++i];
        } else if (arg.starts_with("--config=")) {
            config_path = arg.substr(std::strlen("--config="));
        } else {
            std::cerr << "pgrelay: unknown argument \"" << arg << "\"\n\n" << usage;
            return 2;
        }
    }
    if (ready_target) return ready(*ready_target);
    if (config_path.empty() && !has_settings(env)) {
        std::cerr << "pgrelay: give --config FILE or PGRELAY_* environment variables\n\n" << usage;
        return 2;
    }

    std::error_code ec;
    config_source source{config_path, env, std::filesystem::current_path(ec)};
    auto loaded = load_configuration(source);
    for (const auto& name : loaded.ignored) {
        std::cerr << "pgrelay: ignoring " << name << ": not a configuration setting\n";
    }
    if (!loaded.ok()) {
        std::cerr << "pgrelay: " << loaded.error << "\n";
        return 1;
    }
    if (check) {
        std::cout << describe(*loaded.cfg) << "users: " << loaded.user_count << " in "
                  << loaded.users_source << "\n";
        if (!loaded.applied.empty()) {
            std::cout << "environment:";
            for (const auto& name : loaded.applied)
                std::cout << ' ' << name;
            std::cout << "\n";
        }
        std::cout << "configuration OK\n";
        return 0;
    }

    apply_log_settings(*loaded.cfg);
    if (probe) return probe_and_print(*loaded.cfg, *loaded.users);
    return run_proxy(std::move(source), std::move(loaded));
}
