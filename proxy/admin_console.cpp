// The admin console's connections and commands; see admin_console.hpp.
#include "proxy/admin_console.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <memory>
#include <random>

#include "protocol/extended_query.hpp"
#include "protocol/messages.hpp"
#include "protocol/result_set.hpp"
#include "protocol/sqlstate.hpp"
#include "proxy/admin_command.hpp"
#include "proxy/admin_views.hpp"
#include "proxy/client_auth.hpp"
#include "proxy/log.hpp"
#include "proxy/startup_reader.hpp"
#include "proxy/switchover.hpp"

namespace pgrelay::proxy {

namespace {

namespace sql = protocol::sqlstate;

constexpr std::string_view console_database = "pgrelay";
constexpr std::string_view config_file_error = "F0000";
constexpr std::chrono::milliseconds default_switchover_timeout{30000};
// After the promotion there is no going back: the checker gets at least this long to see it.
constexpr std::chrono::milliseconds min_confirm_timeout{30000};
bool switchover_running = false;  // the console runs on the main thread only

struct command_error {
    std::string_view sqlstate;
    std::string message;
};

class admin_connection {
  public:
    admin_connection(tcp::socket socket, proxy_state& state, admin_operations operations)
        : socket_(std::move(socket)), state_(state), operations_(std::move(operations)) {}

    asio::awaitable<void> run() {
        // Not `if (co_await log_in())`: with a co_await after it, GCC 12 crashes at resumption.
        const bool in = co_await log_in();
        if (in) co_await serve();
        co_await socket_.close();
    }

  private:
    // True once the operator is in; otherwise the connection was refused or closed.
    asio::awaitable<bool> log_in() {
        auto r = co_await read_startup_packet(socket_, buffer_, state_.tls.load()->client);
        if (r.error) co_await fatal(r.error->sqlstate, r.error->message);
        if (!r.packet || r.packet->kind != protocol::startup_kind::startup) co_return false;
        const auto& startup = r.packet->startup;
        user_ = startup.user;
        const auto cfg = state_.configuration.load();
        const auto users = state_.users.load();
        auto auth = co_await authenticate_client(socket_, buffer_, cfg->auth, startup.user,
                                                 users->find(startup.user));
        if (!auth.ok) {
            log_info("admin console login failed",
                     {{"user", startup.user}, {"sqlstate", std::string(auth.sqlstate)}});
            co_await fatal(auth.sqlstate, auth.message);
            co_return false;
        }
        const auto& allowed = cfg->admin.users;
        if (std::find(allowed.begin(), allowed.end(), startup.user) == allowed.end()) {
            log_warning("admin console refused a user not in admin.users", {{"user", user_}});
            co_await fatal(sql::invalid_authorization_specification,
                           "user \"" + startup.user +
                               "\" may not use the admin console (it is not in admin.users)");
            co_return false;
        }
        if (startup.database != console_database) {
            co_await fatal(
                sql::invalid_catalog_name,
                "the admin console's database is \"pgrelay\", not \"" + startup.database + "\"");
            co_return false;
        }
        protocol::bytes out;
        protocol::write_auth_ok(out);
        for (const auto& [name, value] :
             {std::pair<std::string_view, std::string_view>{"server_version", "15.0"},
              {"server_encoding", "UTF8"},
              {"client_encoding", "UTF8"},
              {"DateStyle", "ISO, MDY"},
              {"integer_datetimes", "on"},
              {"standard_conforming_strings", "on"},
              {"application_name", "pgrelay admin console"}})
            protocol::write_parameter_status(out, name, value);
        std::random_device random;
        protocol::write_backend_key_data(
            out, {static_cast<std::int32_t>(random()), static_cast<std::int32_t>(random())});
        protocol::write_ready_for_query(out, 'I');
        if (co_await write_all(socket_, out)) co_return false;
        log_info("admin console login", {{"user", user_}});
        co_return true;
    }

    asio::awaitable<void> serve() {
        bool skip_until_sync = false;
        while (true) {
            auto r = co_await read_message(socket_, buffer_);
            if (r.error != packet_error::none) co_return;
            const char type = r.message.type;
            protocol::bytes out;
            if (type == protocol::fe::terminate) co_return;
            if (type == protocol::fe::query) {
                protocol::byte_reader reader(r.message.body());
                const std::string text(reader.cstring());
                buffer_.consume(r.message.raw.size());
                co_await answer(text, out);
                protocol::write_ready_for_query(out, 'I');
            } else if (type == protocol::fe::sync) {
                buffer_.consume(r.message.raw.size());
                skip_until_sync = false;
                protocol::write_ready_for_query(out, 'I');
            } else {
                buffer_.consume(r.message.raw.size());
                if (!skip_until_sync) {
                    protocol::write_report(
                        out, {protocol::severity::error, sql::feature_not_supported,
                              "the admin console speaks the simple query protocol only"});
                    skip_until_sync = type != protocol::fe::flush;
                }
            }
            if (!out.empty() && co_await write_all(socket_, out)) co_return;
        }
    }

    asio::awaitable<void> answer(const std::string& text, protocol::bytes& out) {
        const auto parsed = parse_admin_command(text);
        if (parsed.status == admin_parse_status::empty) {
            protocol::write_empty_query_response(out);
            co_return;
        }
        if (!parsed.ok()) {
            protocol::write_report(out, {protocol::severity::error,
                                         parsed.error.sqlstate,
                                         parsed.error.message,
                                         {},
                                         parsed.error.hint});
            co_return;
        }
        log_info("admin command", {{"user", user_}, {"command", text}});
        // (No co_await inside execute's switch: GCC 12 miscompiles that in coroutines.)
        if (parsed.command.kind == admin_command_kind::pause) co_await pause();
        if (parsed.command.kind == admin_command_kind::switchover) {
            co_await switchover(parsed.command, out);
            co_return;
        }
        if (parsed.command.kind == admin_command_kind::reload) {
            reload(out);
            co_return;
        }
        if (needs_runtime_view(parsed.command.kind)) {
            const runtime_view view = co_await operations_.runtime();
            protocol::write_result_set(out, runtime_answer(parsed.command.kind, view));
            co_return;
        }
        command_error error;
        auto rs = execute(parsed.command, error);
        if (!rs) {
            protocol::write_report(out, {protocol::severity::error, error.sqlstate, error.message});
            co_return;
        }
        protocol::write_result_set(out, *rs);
    }

    static bool needs_runtime_view(admin_command_kind kind) {
        return kind == admin_command_kind::show_pools || kind == admin_command_kind::show_clients ||
               kind == admin_command_kind::show_servers;
    }

    protocol::result_set runtime_answer(admin_command_kind kind, const runtime_view& view) {
        if (kind == admin_command_kind::show_clients) return clients_view(view);
        if (kind == admin_command_kind::show_servers) return servers_view(view);
        return pools_view(view, *state_.configuration.load());
    }

    std::optional<protocol::result_set> execute(const admin_command& c, command_error& error) {
        const auto cfg = state_.configuration.load();
        const auto done = [&c] {
            protocol::result_set rs;
            rs.command_tag = std::string(command_tag(c.kind));
            return rs;
        };
        switch (c.kind) {
            case admin_command_kind::show_help:
                return help_view();
            case admin_command_kind::show_version:
                return version_view();
            case admin_command_kind::show_config:
                return config_view(*cfg);
            case admin_command_kind::show_events:
                return events_view(state_.events.recent());
            case admin_command_kind::show_stats:
                return stats_view(state_.traffic.totals());
            case admin_command_kind::show_nodes: {
                const auto topology = state_.topology->load();
                return nodes_view(topology ? *topology : health::topology{}, *cfg,
                                  *state_.control.load(), state_.in_flight(cfg->nodes.size()),
                                  std::chrono::steady_clock::now());
            }
            case admin_command_kind::pause:  // answered once pause() is done
                return done();
            case admin_command_kind::resume:
                update_control([](control_state& s) { s.paused = false; });
                log_info("resumed", {{"user", user_}});
                return done();
            case admin_command_kind::disable_node:
            case admin_command_kind::enable_node: {
                const auto node = cfg->node_index(c.node);
                if (!node) {
                    error = {sql::undefined_object,
                             "no node named \"" + c.node + "\" (nodes: " + cfg->node_names() + ")"};
                    return std::nullopt;
                }
                const bool disable = c.kind == admin_command_kind::disable_node;
                update_control([&](control_state& s) {
                    s.disabled.resize(cfg->nodes.size(), false);
                    s.disabled[*node] = disable;
                });
                log_info(disable ? "node disabled" : "node enabled",
                         {{"user", user_}, {"node", c.node}});
                return done();
            }
            case admin_command_kind::shutdown:
                log_info("shutdown requested", {{"user", user_}});
                operations_.shutdown();
                return done();
            default:
                error = {sql::feature_not_supported,
                         std::string(to_string(c.kind)) + " is not available yet"};
                return std::nullopt;
        }
    }

    // RELOAD: as SIGHUP. A refused file is an error (F0000, the running configuration stays);
    // changes that need a restart come as a WARNING before the command tag.
    void reload(protocol::bytes& out) {
        const auto outcome = operations_.reload();
        if (!outcome.ok) {
            protocol::write_report(
                out, {protocol::severity::error, config_file_error,
                      "reload refused, the running configuration stays: " + outcome.error});
            return;
        }
        if (!outcome.needs_restart.empty()) {
            std::string keys;
            for (const auto& k : outcome.needs_restart)
                keys += (keys.empty() ? "" : ", ") + k;
            protocol::write_report(out, {protocol::severity::warning, config_file_error,
                                         "not applied, these need a restart: " + keys});
        }
        std::string changed;
        for (const auto& k : outcome.changed)
            changed += (changed.empty() ? "" : ", ") + k;
        protocol::write_report(out, {protocol::severity::notice, "00000",
                                     "configuration reloaded; changed: " +
                                         (changed.empty() ? std::string("nothing") : changed)});
        protocol::result_set done;
        done.command_tag = "RELOAD";
        protocol::write_result_set(out, done);
    }

    // SWITCHOVER TO node [TIMEOUT s]: one at a time; answers with the steps it took.
    asio::awaitable<void> switchover(const admin_command& c, protocol::bytes& out) {
        const auto cfg = state_.configuration.load();
        const auto topology = state_.topology->load();
        auto plan = plan_switchover(*topology, *cfg, *state_.control.load(), c.node);
        if (auto* refusal = std::get_if<switchover_refusal>(&plan)) {
            protocol::write_report(out, {protocol::severity::error, refusal->sqlstate,
                                         "cannot switch over: " + refusal->message});
            co_return;
        }
        if (switchover_running || operations_.checker == nullptr) {
            protocol::write_report(
                out, {protocol::severity::error, "55006", "a switchover is already running"});
            co_return;
        }
        switchover_running = true;
        const auto timeout = c.timeout.value_or(default_switchover_timeout);
        auto report =
            co_await run_switchover(state_, *operations_.checker, std::get<switchover_plan>(plan),
                                    timeout, std::max(timeout, min_confirm_timeout));
        switchover_running = false;
        const std::string steps = switchover_steps_text(report);
        if (!report.ok) {
            protocol::write_report(
                out, {protocol::severity::error, report.sqlstate, report.error, steps});
            co_return;
        }
        protocol::write_result_set(out, switchover_view(report));
    }

    // Holds new transactions, then waits until none runs.
    asio::awaitable<void> pause() {
        update_control([](control_state& s) { s.paused = true; });
        log_info("pausing: waiting for running transactions",
                 {{"user", user_}, {"running", std::to_string(state_.busy_sessions.load())}});
        auto ex = co_await asio::this_coro::executor;
        while (state_.busy_sessions.load() > 0) {
            asio::steady_timer tick(ex, std::chrono::milliseconds(10));
            co_await tick.async_wait(use_nothrow);
            if (!state_.control.load()->paused) co_return;  // resumed meanwhile
        }
        log_info("paused", {{"user", user_}});
    }

    template <typename Change>
    void update_control(Change change) {
        auto next = std::make_shared<control_state>(*state_.control.load());
        change(*next);
        state_.control.publish(std::move(next));
    }

    asio::awaitable<void> fatal(std::string_view code, const std::string& message) {
        protocol::bytes out;
        protocol::write_report(out, {protocol::severity::fatal, code, message});
        co_await write_all(socket_, out);
    }

    peer_stream socket_;
    wire_buffer buffer_;
    proxy_state& state_;
    admin_operations operations_;
    std::string user_;
};

}  // namespace

asio::awaitable<void> run_admin_console(tcp::acceptor& acceptor, proxy_state& state,
                                        admin_operations operations) {
    auto ex = co_await asio::this_coro::executor;
    while (acceptor.is_open()) {
        auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) {
            log_error("admin console accept failed", {{"error", ec.message()}});
            asio::steady_timer pause(ex, std::chrono::milliseconds(100));
            co_await pause.async_wait(use_nothrow);
            continue;
        }
        auto connection = std::make_shared<admin_connection>(std::move(socket), state, operations);
        asio::co_spawn(
            ex, [connection]() -> asio::awaitable<void> { co_await connection->run(); },
            asio::detached);
    }
}

}  // namespace pgrelay::proxy
