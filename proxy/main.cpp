// The pgrelay command line: --config FILE runs the proxy, --check validates the
// configuration and users file and prints the effective settings, --version, --help.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "health/checker.hpp"
#include "proxy/config.hpp"
#include "proxy/credentials.hpp"
#include "proxy/health_setup.hpp"
#include "proxy/log.hpp"
#include "proxy/proxy_server.hpp"
#include "proxy/users_file.hpp"

namespace {

constexpr const char* usage = R"(pgrelay - a replication-aware PostgreSQL connection proxy

Usage:
  pgrelay --config FILE          run the proxy
  pgrelay --check --config FILE  validate FILE and its users file, print the effective
                                 configuration, exit non-zero on error
  pgrelay --probe --config FILE  check every node once, print the topology, exit
  pgrelay --version              print the version
  pgrelay --help                 print this help

Options:
  -c, --config FILE   the TOML configuration file (see docs/configuration.md)
)";

pgrelay::proxy::log_severity to_severity(pgrelay::proxy::log_level l) {
    using pgrelay::proxy::log_level;
    using pgrelay::proxy::log_severity;
    switch (l) {
        case log_level::debug:
            return log_severity::debug;
        case log_level::info:
            return log_severity::info;
        case log_level::warning:
            return log_severity::warning;
        case log_level::error:
            return log_severity::error;
    }
    return log_severity::info;
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
        } else if ((arg == "--config" || arg == "-c") && i + 1 < argc) {
            config_path = argv[++i];
        } else if (arg.starts_with("--config=")) {
            config_path = arg.substr(std::strlen("--config="));
        } else {
            std::cerr << "pgrelay: unknown argument \"" << arg << "\"\n\n" << usage;
            return 2;
        }
    }
    if (config_path.empty()) {
        std::cerr << "pgrelay: --config FILE is required\n\n" << usage;
        return 2;
    }

    auto loaded = load_config_file(config_path);
    if (!loaded.ok()) {
        std::cerr << "pgrelay: invalid configuration:\n" << loaded.error << "\n";
        return 1;
    }
    auto users = load_users_file(loaded.value->users_file);
    if (!users.ok()) {
        std::cerr << "pgrelay: invalid users file:\n" << users.error << "\n";
        return 1;
    }
    for (const auto& [name, entry] : *users.value) {
        if (entry.kind == secret_kind::scram &&
            !pgrelay::protocol::scram::parse_secret(entry.secret)) {
            std::cerr << "pgrelay: invalid users file:\n"
                      << loaded.value->users_file.string() << ": user \"" << name
                      << "\": malformed SCRAM-SHA-256 secret\n";
            return 1;
        }
    }
    if (check) {
        std::cout << describe(*loaded.value) << "users: " << users.value->size() << " in "
                  << loaded.value->users_file.string() << "\nconfiguration OK\n";
        return 0;
    }

    logger::set_level(to_severity(loaded.value->level));
    logger::set_format(loaded.value->log_output);
    auto cfg = std::make_shared<const config>(std::move(*loaded.value));
    auto directory = std::make_shared<const user_directory>(*users.value);
    if (probe) return probe_and_print(*cfg, *directory);
    return run_proxy(cfg, directory);
}
