// Workers, listener and signals; see proxy_server.hpp.
#include "proxy/proxy_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fstream>
#include <thread>
#include <vector>

#include "health/checker.hpp"
#include "proxy/admin_console.hpp"
#include "proxy/client_session.hpp"
#include "proxy/config_reload.hpp"
#include "proxy/health_setup.hpp"
#include "proxy/http_server.hpp"
#include "proxy/log.hpp"
#include "proxy/metrics_source.hpp"
#include "proxy/service_notify.hpp"
#include "proxy/timeout.hpp"
#include "proxy/worker_view.hpp"

namespace pgrelay::proxy {

namespace {

struct worker {
    worker(const config& cfg)
        : resources(context.get_executor(), classifier_options{cfg.routing.writing_functions},
                    cfg.nodes.size()) {}
    asio::io_context context{1};
    asio::executor_work_guard<asio::io_context::executor_type> guard{context.get_executor()};
    worker_context resources;  // used only on this worker's thread
    std::thread thread;
};

// Pool upkeep on one worker: every second, and at once when the topology changes, closes
// idle connections past their idle timeout or lifetime and those to fenced or down nodes,
// and opens connections for pools below min_pool_size.
asio::awaitable<void> pool_upkeep(worker_context& w, proxy_state& state) {
    auto ex = co_await asio::this_coro::executor;
    thread_local health::snapshot_cell<health::topology>::reader reader;
    while (true) {
        const auto changes = state.topology->changes();
        auto t = state.topology->read(reader);
        std::vector<bool> closing(t->nodes.size(), false);
        for (std::size_t i = 0; i < t->nodes.size(); ++i) {
            const auto st = t->nodes[i].state;
            closing[i] = st == health::node_state::fenced || st == health::node_state::down;
        }
        w.pools.prune(closing);
        co_await w.pools.fill_to_minimum(closing);
        co_await with_timeout(state.topology->wait_change(changes), std::chrono::seconds(1));
    }
}

// After SIGTERM: stops the proxy once every client has gone (each leaves when its transaction
// is over) or, at the latest, shortly after the sessions were told to cut at `cut_at`.
asio::awaitable<void> wait_for_clients(proxy_state& state,
                                       std::chrono::steady_clock::time_point cut_at,
                                       asio::io_context& main_context) {
    auto ex = co_await asio::this_coro::executor;
    const auto give_up = cut_at + std::chrono::seconds(2);
    while (state.clients.load() > 0 && std::chrono::steady_clock::now() < give_up) {
        asio::steady_timer tick(ex, std::chrono::milliseconds(20));
        co_await tick.async_wait(use_nothrow);
    }
    log_info("all clients gone", {{"clients", std::to_string(state.clients.load())}});
    main_context.stop();
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor,
                                  std::vector<std::unique_ptr<worker>>& workers,
                                  proxy_state& state) {
    std::size_t next = 0;
    auto ex = co_await asio::this_coro::executor;
    while (acceptor.is_open()) {
        auto& w = *workers[next++ % workers.size()];
        auto [ec, socket] = co_await acceptor.async_accept(w.context, use_nothrow);
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) {
            // Out of descriptors and the like: say so, breathe, keep serving.
            log_error("accept failed", {{"error", ec.message()}});
            asio::steady_timer pause(ex, std::chrono::milliseconds(100));
            co_await pause.async_wait(use_nothrow);
            continue;
        }
        asio::co_spawn(w.context, run_client_session(std::move(socket), state, w.resources),
                       [](std::exception_ptr e) {
                           if (!e) return;
                           try {
                               std::rethrow_exception(e);
                           } catch (const std::exception& err) {
                               log_error("client session failed", {{"error", err.what()}});
                           }
                       });
    }
}

// Binds and listens on address:port (no SO_REUSEPORT): the admin console and the HTTP endpoint.
error_code open_listener(tcp::acceptor& acceptor, const std::string& address, std::uint16_t port) {
    try {
        tcp::endpoint endpoint(asio::ip::make_address(address), port);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen();
    } catch (const boost::system::system_error& e) {
        return e.code();
    }
    return {};
}

// With SO_REUSEPORT, connections still queued on a listener that closes are reset unless the
// kernel migrates them to another listener of the group (Linux 5.14+).
void warn_unless_requests_migrate() {
    std::ifstream setting("/proc/sys/net/ipv4/tcp_migrate_req");
    std::string value;
    if (!(setting >> value) || value != "0") return;
    log_warning(
        "listen.reuse_port: net.ipv4.tcp_migrate_req is 0, so connections queued on a stopping "
        "pgrelay are reset; set it to 1 (sysctl -w net.ipv4.tcp_migrate_req=1) for upgrades "
        "without a refused connection");
}

}  // namespace

int run_proxy(config_source source, loaded_configuration loaded) {
    const auto started = std::chrono::system_clock::now();
    const std::shared_ptr<const config> cfg = loaded.cfg;
    proxy_state state;
    state.configuration.publish(cfg);
    state.users.publish(std::move(loaded.users));
    state.tls.publish(std::move(loaded.tls));

    // Workers outlive the main context: its pending accept owns a socket of a worker's
    // context, destroyed with the main context.
    std::vector<std::unique_ptr<worker>> workers;
    asio::io_context main_context{1};
    tcp::acceptor acceptor(main_context);
    try {
        tcp::endpoint endpoint(asio::ip::make_address(cfg->listen_address), cfg->listen_port);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        if (cfg->listen_reuse_port) {
            // Another pgrelay may listen on the port too: start the new one, stop the old one.
            using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
            acceptor.set_option(reuse_port(true));
            warn_unless_requests_migrate();
        }
        acceptor.bind(endpoint);
        acceptor.listen(asio::socket_base::max_listen_connections);
    } catch (const boost::system::system_error& e) {
        log_error("cannot listen", {{"address", cfg->listen_address},
                                    {"port", std::to_string(cfg->listen_port)},
                                    {"error", e.code().message()}});
        return 1;
    }

    tcp::acceptor admin_acceptor(main_context);
    if (cfg->admin.port != 0) {
        if (auto ec = open_listener(admin_acceptor, cfg->admin.address, cfg->admin.port)) {
            log_error("cannot listen for the admin console",
                      {{"address", cfg->admin.address},
                       {"port", std::to_string(cfg->admin.port)},
                       {"error", ec.message()}});
            return 1;
        }
    }
    tcp::acceptor http_acceptor(main_context);
    if (cfg->http.port != 0) {
        if (auto ec = open_listener(http_acceptor, cfg->http.address, cfg->http.port)) {
            log_error("cannot listen for the HTTP endpoint",
                      {{"address", cfg->http.address},
                       {"port", std::to_string(cfg->http.port)},
                       {"error", ec.message()}});
            return 1;
        }
    }

    for (unsigned i = 0; i < cfg->workers; ++i)
        workers.push_back(std::make_unique<worker>(*cfg));

    {
        auto initial = std::make_shared<control_state>();
        initial->disabled.assign(cfg->nodes.size(), false);
        state.control.publish(std::move(initial));
    }
    state.node_slots = std::max(cfg->nodes.size(), min_node_slots);
    state.leases = std::make_unique<std::atomic<std::int64_t>[]>(state.node_slots);
    bool shutting_down = false;
    // systemd Type=notify: READY=1 once listening, STOPPING=1 on a stop signal.
    service_notifier notifier = service_notifier::from_environment();
    auto notify = [&notifier](std::string_view what, const std::string& error) {
        if (!error.empty())
            log_warning("cannot notify the service manager",
                        {{"state", std::string(what)}, {"error", error}});
    };

    // Set once the health checker exists (before any signal can be handled).
    std::function<reload_outcome()> reload;
    asio::signal_set signals(main_context, SIGINT, SIGTERM, SIGHUP);
    std::function<void(const error_code&, int)> on_signal = [&](const error_code& ec, int signo) {
        if (ec) return;
        if (signo == SIGHUP) {
            log_info("SIGHUP received: reloading the configuration");
            reload();
            signals.async_wait(on_signal);
            return;
        }
        if (!shutting_down) notify("STOPPING", notifier.stopping());
        error_code ignored;
        acceptor.close(ignored);
        admin_acceptor.close(ignored);
        if (signo == SIGINT || shutting_down) {
            log_info("stopping now", {{"signal", signo == SIGINT ? "SIGINT" : "SIGTERM"}});
            main_context.stop();
            return;
        }
        // SIGTERM: no new clients; running transactions may finish up to shutdown_timeout.
        shutting_down = true;
        const auto cut_at = std::chrono::steady_clock::now() + cfg->shutdown_timeout;
        log_info("shutting down: waiting for running transactions",
                 {{"signal", "SIGTERM"},
                  {"clients", std::to_string(state.clients.load())},
                  {"shutdown_timeout", seconds_text(cfg->shutdown_timeout)}});
        auto next = std::make_shared<control_state>(*state.control.load());
        next->shutting_down = true;
        next->cut_at = cut_at;
        state.control.publish(std::move(next));
        asio::co_spawn(main_context, wait_for_clients(state, cut_at, main_context), asio::detached);
        signals.async_wait(on_signal);  // a second signal stops at once
    };
    signals.async_wait(on_signal);

    if (cfg->health.password.empty()) {
        const auto* u = state.users.load()->find(cfg->health.user);
        if (!u || !u->password || u->password->empty())
            log_warning(
                "the health-check user has no password: set health.password or give the user a "
                "plaintext password in the users file, unless the servers trust it",
                {{"user", cfg->health.user}});
    }
    // The health checker runs on the main thread, beside the listener.
    health::health_checker checker(
        main_context.get_executor(), checked_nodes(*cfg, *state.users.load()),
        tracker_settings_from(*cfg), cfg->health.interval,
        [&state](const health::topology_event& e, const health::topology& t) {
            log_topology_event(e, t);
            state.events.record(recorded_event_of(e, t));
        });
    state.topology = &checker.snapshots();
    reload = [&] {
        notify("RELOADING", notifier.reloading());
        auto outcome = reload_configuration(source, state, checker, [&workers](auto next) {
            // Each worker's classifier is its own: rebuilt on its thread.
            for (auto& w : workers) {
                asio::post(w->context, [&resources = w->resources, next] {
                    resources.classifier =
                        sql_classifier(classifier_options{next->routing.writing_functions});
                });
            }
        });
        notify("READY", notifier.ready());
        return outcome;
    };
    // SHOW POOLS, CLIENTS, SERVERS and /metrics: what the workers hold now.
    std::function<asio::awaitable<runtime_view>()> runtime = [&] {
        std::vector<worker_handle> handles;
        for (auto& w : workers)
            handles.push_back({&w->context, &w->resources});
        std::vector<std::string> names;
        for (const auto& n : state.configuration.load()->nodes)
            names.push_back(n.name);
        return gather_runtime_view(std::move(handles), std::move(names));
    };
    checker.start();
    for (auto& w : workers) {
        asio::co_spawn(w->context, pool_upkeep(w->resources, state), asio::detached);
        w->thread = std::thread([ctx = &w->context] { ctx->run(); });
    }

    asio::co_spawn(main_context, accept_loop(acceptor, workers, state), asio::detached);
    if (admin_acceptor.is_open()) {
        asio::co_spawn(main_context,
                       run_admin_console(
                           admin_acceptor, state,
                           admin_operations{[] { ::raise(SIGTERM); }, reload, &checker, runtime}),
                       asio::detached);
    }
    // Open through a SIGTERM, so that /readyz can say "shutting down" until the end.
    if (http_acceptor.is_open()) {
        auto metrics = [&] { return render_metrics(state, runtime, started); };
        asio::co_spawn(main_context, run_http_server(http_acceptor, state, metrics),
                       asio::detached);
    }
    log_info(
        "pgrelay started",
        {{"version", PGRELAY_VERSION},
         {"listen", cfg->listen_address + ":" + std::to_string(cfg->listen_port)},
         {"workers", std::to_string(cfg->workers)},
         {"admin", cfg->admin.port != 0 ? cfg->admin.address + ":" + std::to_string(cfg->admin.port)
                                        : std::string("off")},
         {"http", cfg->http.port != 0 ? cfg->http.address + ":" + std::to_string(cfg->http.port)
                                      : std::string("off")},
         {"nodes", std::to_string(cfg->nodes.size())}});
    notify("READY", notifier.ready());
    main_context.run();

    for (auto& w : workers) {
        w->guard.reset();
        w->context.stop();
    }
    for (auto& w : workers)
        w->thread.join();
    checker.stop();
    log_info("pgrelay stopped");
    return 0;
}

}  // namespace pgrelay::proxy
