// One client connection from accept to close; see client_session.hpp.
// Life cycle: startup -> authenticating -> login server -> relaying transactions -> ended.
// While relaying, two loops run side by side: client_to_server routes each transaction and
// leases a server for it; server_to_client forwards the replies and gives the server back
// at the end of the transaction. Only one of them writes to the client at a time: the
// server side while a server is leased, the client side (local answers) otherwise.
#include "proxy/client_session.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "protocol/extended_query.hpp"
#include "protocol/framer.hpp"
#include "protocol/messages.hpp"
#include "protocol/response_tracker.hpp"
#include "protocol/sqlstate.hpp"
#include "protocol/startup.hpp"
#include "proxy/client_auth.hpp"
#include "proxy/log.hpp"
#include "proxy/prepared_statements.hpp"
#include "proxy/server_connection.hpp"
#include "proxy/session_settings.hpp"
#include "proxy/sql_lexer.hpp"
#include "proxy/timeout.hpp"
#include "proxy/transaction_plan.hpp"

namespace pgrelay::proxy {

namespace {

namespace sql = protocol::sqlstate;
using protocol::request_kind;
using clock = std::chrono::steady_clock;

// How a session ended. The cleanup switch in client_session::finish maps each to what the
// client is told and what happens to the server connection.
enum class session_outcome : std::uint8_t {
    client_closed,       // client sent Terminate or closed its socket
    cancel_handled,      // the connection carried a CancelRequest; nothing to say
    bad_startup,         // unframeable startup bytes: close without a word, as PostgreSQL
    refused,             // FATAL with sqlstate/message (protocol version, no user, ...)
    server_refused,      // the server's own FATAL during login, relayed as it is
    login_timeout,       // client did not finish startup and authentication in time
    idle_timeout,        // client idle outside a transaction for too long
    server_closed,       // server went away and the session cannot go on without it
    protocol_violation,  // client sent an unframeable message after startup
    primary_moved,       // session-bound server lost the primary role (fenced, demoted)
};

// A Query's statements and where the server has got to in them (one CommandComplete each).
struct effects {
    statement_ptr stmt;  // extended protocol: the prepared statement executed
    std::string sql;     // simple protocol: the query text, owned here
    query_info info;     // points into sql
    std::size_t next = 0;
    const query_info& query() const { return stmt ? stmt->info : info; }
};

// What a tagged request carries for the reply side.
struct tag_info {
    std::unique_ptr<effects> fx;
    std::string parsed_statement;  // a Parse of this server-side name: forget it if it fails
    // An error naming this server-side statement is about the client's statement of the
    // other name.
    std::pair<std::string, std::string> renamed;
};

class client_session {
  public:
    client_session(tcp::socket socket, proxy_state& state, worker_context& worker)
        : client_(std::move(socket)),
          state_(state),
          worker_(worker),
          cfg_(state.cfg),
          id_(std::to_string(state.next_client_id.fetch_add(1))),
          s2c_wake_(client_.get_executor()),
          c2s_wake_(client_.get_executor()) {
        s2c_wake_.expires_at(clock::time_point::max());
        c2s_wake_.expires_at(clock::time_point::max());
    }

    asio::awaitable<void> run() {
        auto login = co_await with_timeout(login_phase(), cfg_->client_login_timeout);
        session_outcome outcome = session_outcome::login_timeout;
        if (login) outcome = *login;
        if (login && ready_) outcome = co_await relay();
        co_await finish(outcome);
    }

  private:
    // ---- startup and login -------------------------------------------------------------

    // Returns the outcome when the session ends during login; otherwise sets ready_.
    asio::awaitable<session_outcome> login_phase() {
        auto packet = co_await read_startup();
        if (!packet) co_return session_outcome::bad_startup;
        if (packet->kind == protocol::startup_kind::cancel) {
            co_await forward_cancel(packet->cancel);
            co_return session_outcome::cancel_handled;
        }
        startup_ = std::move(packet->startup);
        have_startup_ = true;

        if (state_.clients.fetch_add(1) >= cfg_->max_client_conn) {
            state_.clients.fetch_sub(1);
            co_return refuse(sql::too_many_connections,
                             "no more connections allowed (max_client_conn)");
        }
        counted_ = true;

        if (startup_.minor > protocol::protocol_minor_supported ||
            !startup_.unknown_protocol_options.empty()) {
            protocol::bytes out;
            protocol::write_negotiate_protocol_version(out, protocol::protocol_minor_supported,
                                                       startup_.unknown_protocol_options);
            if (co_await write_all(client_, out)) co_return session_outcome::client_closed;
        }

        const auto users = state_.users;  // one snapshot for the whole login
        const user_credentials* user = users->find(startup_.user);
        auto auth = co_await authenticate_client(client_, cbuf_, cfg_->auth, startup_.user, user);
        if (!auth.ok) {
            log_info("client authentication failed", {{"client", id_},
                                                      {"user", startup_.user},
                                                      {"sqlstate", std::string(auth.sqlstate)},
                                                      {"reason", auth.message}});
            co_return refuse(auth.sqlstate, auth.message);
        }
        login_ = server_login{startup_.user, startup_.database, {}, std::move(auth.credentials)};
        mode_ = cfg_->pool_mode_for(startup_.database);
        routing_ = cfg_->routing_for(startup_.database);

        std::string error;
        if (!settings_.set_baseline(startup_.parameters, error))
            co_return refuse(sql::feature_not_supported, error);
        for (const auto& s : settings_.current()) {
            if (s.name == "default_transaction_read_only") note_read_only_setting(s.sql);
        }

        // A first server: it checks the startup settings (its errors are the client's) and
        // gives the parameters the client is told about.
        route_request first{mode_ == pool_mode::session && routing_ != routing_mode::standby,
                            std::nullopt};
        auto leased = co_await lease(first, std::nullopt, cfg_->server_connect_timeout);
        if (!leased.ok && !first.needs_primary && leased.server_error.empty() &&
            cfg_->routing.primary_reads_policy == primary_reads::never) {
            first.needs_primary = true;  // no readable standby: log in on the primary
            leased = co_await lease(first, std::nullopt, cfg_->server_connect_timeout);
        }
        if (!leased.ok) {
            if (!leased.server_error.empty()) {
                refusal_bytes_ = std::move(leased.server_error);
                co_return session_outcome::server_refused;
            }
            co_return refuse(leased.sqlstate, leased.message);
        }
        if (auto refused = co_await apply_settings_at_login()) co_return *refused;

        client_key_ = state_.cancels.mint();
        have_key_ = true;
        set_cancel_target();

        protocol::bytes out;
        protocol::write_auth_ok(out);
        for (const auto& [name, value] : current_->reported) {
            protocol::write_parameter_status(out, name, value);
            client_view_[name] = value;
        }
        protocol::write_backend_key_data(out, client_key_);
        protocol::write_ready_for_query(out, 'I');
        if (co_await write_all(client_, out)) co_return session_outcome::client_closed;
        log_debug("client logged in", {{"client", id_},
                                       {"user", startup_.user},
                                       {"db", startup_.database},
                                       {"node", node_name(current_->node)},
                                       {"pool_mode", std::string(to_string(mode_))}});
        if (mode_ == pool_mode::transaction) release_server();
        ready_ = true;
        co_return session_outcome::client_closed;
    }

    // Runs the client's startup settings on the login server and reads the replies; the
    // server's error becomes the client's FATAL, as PostgreSQL reports a bad startup option.
    asio::awaitable<std::optional<session_outcome>> apply_settings_at_login() {
        auto& s = *current_;
        const std::string text = reconcile_sql(s.applied, settings_.current());
        if (text.empty()) co_return std::nullopt;
        protocol::bytes out;
        protocol::write_query(out, text);
        if (co_await write_all(s.link.socket, out)) co_return refuse_lost_server();
        std::optional<protocol::bytes> error;
        while (true) {
            auto r = co_await read_message(s.link.socket, s.link.buffer);
            if (r.error != packet_error::none) co_return refuse_lost_server();
            const auto& m = r.message;
            if (m.type == protocol::be::parameter_status) {
                if (auto p = protocol::parse_parameter_status(m.body()))
                    s.reported[std::string(p->name)] = std::string(p->value);
            } else if (m.type == protocol::be::error_response && !error) {
                auto fields = protocol::parse_error_fields(m.body());
                protocol::bytes fatal;
                protocol::write_report(fatal,
                                       {protocol::severity::fatal,
                                        fields ? std::string_view(fields->sqlstate) : sql::protocol_violation,
                                        fields ? std::string_view(fields->message) : "invalid startup parameter"});
                error = std::move(fatal);
            } else if (m.type == protocol::be::ready_for_query) {
                s.link.buffer.consume(m.raw.size());
                break;
            }
            s.link.buffer.consume(m.raw.size());
        }
        if (error) {
            refusal_bytes_ = std::move(*error);
            drop_server(false);
            co_return session_outcome::server_refused;
        }
        s.applied = settings_.current();
        s.applied_known = true;
        co_return std::nullopt;
    }

    session_outcome refuse_lost_server() {
        drop_server(false);
        return refuse(sql::connection_failure, "server closed the connection during login");
    }

    // Reads startup-phase packets, answering SSLRequest and GSSENCRequest with 'N', until a
    // StartupMessage or CancelRequest. Nothing on EOF or unframeable bytes.
    asio::awaitable<std::optional<protocol::startup_packet>> read_startup() {
        while (true) {
            auto f = protocol::scan_startup_packet(cbuf_.unconsumed());
            if (f.status == protocol::startup_frame_status::bad_length) {
                log_info("invalid length of startup packet", {{"client", id_}});
                co_return std::nullopt;
            }
            if (f.status == protocol::startup_frame_status::need_more) {
                if (co_await read_some(client_, cbuf_)) co_return std::nullopt;
                continue;
            }
            auto parsed = protocol::parse_startup_packet(f.raw);
            cbuf_.consume(f.raw.size());
            if (!parsed.packet) {
                log_info("invalid startup packet",
                         {{"client", id_}, {"reason", parsed.error.message}});
                refuse(parsed.error.sqlstate, parsed.error.message);
                co_await send_refusal();
                co_return std::nullopt;
            }
            auto kind = parsed.packet->kind;
            if (kind == protocol::startup_kind::ssl_request ||
                kind == protocol::startup_kind::gssenc_request) {
                // Bytes after an SSLRequest before our answer would be processed as if they
                // came over the encrypted channel (CVE-2021-23214): refuse them.
                if (!cbuf_.empty()) co_return std::nullopt;
                const std::uint8_t no = 'N';
                if (co_await write_all(client_, protocol::byte_view(&no, 1)))
                    co_return std::nullopt;
                continue;
            }
            co_return std::move(parsed.packet);
        }
    }

    asio::awaitable<void> forward_cancel(protocol::cancel_request req) {
        auto target = state_.cancels.find({req.process_id, req.secret_key});
        if (!target) co_return;  // unknown keys are ignored, as PostgreSQL does
        log_info("forwarding cancel request",
                 {{"client", std::to_string(req.process_id)},
                  {"server", target->host + ":" + std::to_string(target->port)}});
        co_await send_cancel(target->host, target->port, target->server_key,
                             cfg_->server_connect_timeout);
    }

    // ---- topology, routing and leases ---------------------------------------------------

    // The latest topology, read without a lock unless it changed since this worker thread
    // last looked (one reader cache per thread).
    std::shared_ptr<const health::topology> current_topology() const {
        thread_local health::snapshot_cell<health::topology>::reader reader;
        return state_.topology->read(reader);
    }

    std::string node_name(std::size_t node) const {
        return node < cfg_->nodes.size() ? cfg_->nodes[node].name : "?";
    }

    std::string primary_absence_reason() const {
        auto snapshot = current_topology();
        if (snapshot->split_brain) return "split brain (two nodes claim to be primary)";
        std::string reasons;
        for (const auto& n : snapshot->nodes) {
            if (!reasons.empty()) reasons += "; ";
            reasons += n.name + ": " + std::string(health::to_string(n.state));
            if (!n.reason.empty()) reasons += " (" + n.reason + ")";
        }
        return reasons.empty() ? "no node checked yet" : reasons;
    }

    router_settings routing_settings() const {
        router_settings s;
        s.mode = routing_;
        s.primary_reads_policy = cfg_->routing.primary_reads_policy;
        s.balance = cfg_->routing.balance;
        if (s.balance == balance_policy::weighted) {
            for (const auto& n : cfg_->nodes)
                s.weights.push_back(n.weight);
        }
        return s;
    }

    struct lease_result {
        bool ok = false;
        std::string_view sqlstate;
        std::string message;
        protocol::bytes server_error;
    };

    // Places a transaction and leases a server for it: waits for a primary up to `wait`
    // when it needs one, then for a free connection of the pool. A node that cannot be
    // reached is skipped (a read goes to another standby; a write waits, re-trying, for the
    // health checker to see the failover), so a planned switchover costs no error.
    // `exclude`: a node not to use (a conflict retry).
    asio::awaitable<lease_result> lease(route_request request,
                                        std::optional<std::size_t> exclude,
                                        std::chrono::milliseconds wait) {
        auto& cell = *state_.topology;
        const auto deadline = clock::now() + wait;
        const auto settings = routing_settings();
        std::vector<node_load> loads;
        std::vector<bool> unreachable(cfg_->nodes.size(), false);
        std::string last_error;
        while (true) {
            const auto changes = cell.changes();
            auto t = current_topology();
            std::span<const node_load> use = worker_.loads;
            if (exclude || !last_error.empty()) {
                loads = worker_.loads;
                for (std::size_t i = 0; i < loads.size(); ++i)
                    loads[i].disabled = loads[i].disabled || unreachable[i] || exclude == i;
                use = loads;
            }
            const auto decision = worker_.route.route(*t, request, settings, use);
            if (decision.verdict == route_verdict::node && decision.node < cfg_->nodes.size()) {
                auto r = co_await lease_on(decision);
                if (r.ok || !node_unavailable(r) || clock::now() >= deadline) co_return r;
                unreachable[decision.node] = true;  // try elsewhere, or wait for the checker
                last_error = std::move(r.message);
                continue;
            }
            if (decision.verdict == route_verdict::no_standby) {
                co_return lease_result{false, sql::connection_failure,
                                       "no readable standby for a read (routing.primary_reads = "
                                       "never): " + primary_absence_reason(), {}};
            }
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
            if (left.count() <= 0) {
                std::string message = "no primary server available: " + primary_absence_reason();
                if (!last_error.empty()) message += "; last attempt: " + last_error;
                co_return lease_result{false, sql::connection_failure, std::move(message), {}};
            }
            // A change of topology, or a moment to try an unreachable node again.
            co_await with_timeout(cell.wait_change(changes),
                                  std::min(left, std::chrono::milliseconds(100)));
            std::fill(unreachable.begin(), unreachable.end(), false);
        }
    }

    // The node cannot serve now (down, starting, shutting down), as opposed to refusing this
    // client (authentication, a missing database) or a full pool.
    static bool node_unavailable(const lease_result& r) {
        if (r.server_error.empty()) return r.sqlstate == sql::connection_failure;
        auto fields = protocol::parse_error_fields(protocol::byte_view(r.server_error).subspan(5));
        return fields && fields->sqlstate.starts_with("57P");
    }

    // Leases a connection to the node the router chose.
    asio::awaitable<lease_result> lease_on(route_decision decision) {
        const auto& node = cfg_->nodes[decision.node];
        const server_endpoint endpoint{node.name, node.host, node.port};
        const pool_key key{decision.node, startup_.database, startup_.user};
        const auto limits = pool_limits_now();
        auto got = co_await worker_.pools.acquire(key, endpoint, login_, limits);
        if (auto* f = std::get_if<acquire_failure>(&got)) {
            log_warning("no server connection", {{"client", id_},
                                                 {"user", startup_.user},
                                                 {"db", startup_.database},
                                                 {"node", node.name},
                                                 {"reason", f->message}});
            co_return lease_result{false, f->sqlstate, std::move(f->message),
                                   std::move(f->server_error)};
        }
        current_ = std::move(std::get<server_ptr>(got));
        lease_key_ = key;
        lease_on_primary_ = decision.on_primary;
        lease_broken_ = false;
        lease_unknown_ = false;
        release_requested_ = false;
        server_status_ = 'I';
        tracker_.clear();
        rfq_outstanding_ = 0;
        ++worker_.loads[decision.node].outstanding;
        if (have_key_) set_cancel_target();
        s2c_wake_.cancel();
        co_return lease_result{true, {}, {}, {}};
    }

    pool_limits pool_limits_now() const {
        pool_limits l;
        const std::uint32_t size = cfg_->pool_size_for(startup_.database);
        const unsigned workers = std::max(1U, cfg_->workers);
        l.max_size = std::max<std::size_t>(1, (size + workers - 1) / workers);
        l.min_size = (cfg_->pool.min_size + workers - 1) / workers;
        l.idle_timeout = cfg_->pool.server_idle_timeout;
        l.lifetime = cfg_->pool.server_lifetime;
        l.wait_timeout = cfg_->pool.query_wait_timeout;
        l.connect_timeout = cfg_->server_connect_timeout;
        return l;
    }

    void set_cancel_target() {
        if (!current_) {
            state_.cancels.clear_target(client_key_);
            return;
        }
        const auto& node = cfg_->nodes[current_->node];
        state_.cancels.set_target(client_key_, {node.host, node.port, current_->link.key});
    }

    // Gives the server back to its pool (or closes it) and forgets the lease.
    void drop_server(bool reusable) {
        if (!current_) return;
        auto& load = worker_.loads[current_->node].outstanding;
        if (load > 0) --load;
        reusable = reusable && !lease_broken_ && !lease_unknown_ && current_->link.buffer.empty() &&
                   tracker_.idle() && server_status_ == 'I';
        worker_.pools.release(lease_key_, std::move(current_), reusable);
        current_.reset();
        tags_.clear();
        portals_.clear();
        if (have_key_) state_.cancels.clear_target(client_key_);
        c2s_wake_.cancel();
    }

    void release_server() { drop_server(true); }

    // Transaction mode: the server goes back once the transaction is over and nothing is
    // outstanding (no Sync, no query), unless the client is pinned to it.
    bool releasable() const {
        return current_ && mode_ == pool_mode::transaction && !pinned_ && tracker_.idle() &&
               server_status_ == 'I' && !c2s_writing_ && !retrying_ && !lease_broken_ &&
               !lease_unknown_;
    }

    // Settings and ParameterStatus that a newly leased server must be brought to: the
    // client's settings replayed (a hidden query before the client's first message), and
    // the parameters the client has not been told yet.
    void prepare_leased_server(protocol::bytes& to_server, protocol::bytes& to_client) {
        auto& s = *current_;
        std::string text = reconcile_sql(s.applied_known ? s.applied : std::vector<setting>{},
                                         settings_.current());
        if (!s.applied_known) text = text.empty() ? "RESET ALL" : "RESET ALL; " + text;
        if (!text.empty()) {
            protocol::write_query(to_server, text);
            tracker_.push({request_kind::query, true, 0});
            ++rfq_outstanding_;
            s.applied = settings_.current();
            s.applied_known = true;
        }
        for (const auto& [name, value] : s.reported) {
            auto it = client_view_.find(name);
            if (it != client_view_.end() && it->second == value) continue;
            protocol::write_parameter_status(to_client, name, value);
            client_view_[name] = value;
        }
    }

    // ---- relay ---------------------------------------------------------------------------

    asio::awaitable<session_outcome> relay() {
        using namespace asio::experimental::awaitable_operators;
        auto r = co_await (client_to_server() || server_to_client() || watch_topology());
        co_return std::visit([](auto o) { return o; }, r);
    }

    // Ends what runs on a node that lost its role: a leased server on a fenced node, or on
    // the old primary once another node is primary. Standbys that merely turn stale keep
    // their running transactions. Idle pooled connections are the pools' business.
    asio::awaitable<session_outcome> watch_topology() {
        auto& cell = *state_.topology;
        while (true) {
            const auto changes = cell.changes();
            auto t = current_topology();
            if (current_ && !lease_broken_ && current_->node < t->nodes.size()) {
                const auto& n = t->nodes[current_->node];
                std::string why;
                if (n.state == health::node_state::fenced) {
                    why = "node \"" + n.name + "\" was fenced: " + n.reason;
                } else if (lease_on_primary_ && t->primary && *t->primary != current_->node) {
                    why = "node \"" + n.name + "\" is no longer the primary (now \"" +
                          t->nodes[*t->primary].name + "\")";
                }
                if (!why.empty()) {
                    if (mode_ == pool_mode::session || pinned_) {
                        moved_reason_ = why;
                        co_return session_outcome::primary_moved;
                    }
                    break_lease(sql::admin_shutdown,
                                "terminating transaction because the primary moved: " + why);
                }
            }
            co_await cell.wait_change(changes);
        }
    }

    // The leased server cannot go on: close it; the server side tells the client.
    void break_lease(std::string_view code, std::string message) {
        if (!current_ || lease_broken_) return;
        lease_broken_ = true;
        broken_code_ = code;
        broken_message_ = std::move(message);
        error_code ignored;
        current_->link.socket.cancel(ignored);
        current_->link.socket.close(ignored);
        s2c_wake_.cancel();
    }

    // Waits until the client side may go on: no conflict retry in progress and no broken
    // lease still being cleaned up by the server side.
    asio::awaitable<void> wait_for_server_side() {
        while (retrying_ || (current_ && lease_broken_))
            co_await c2s_wake_.async_wait(use_nothrow);
    }

    // Forwards client messages: routes at the start of each transaction, rewrites prepared
    // statement names, answers locally what needs no server.
    asio::awaitable<session_outcome> client_to_server() {
        protocol::frame_scanner scanner(cbuf_.capacity());
        while (true) {
            auto data = cbuf_.unconsumed();
            std::size_t used = 0;
            sout_.clear();
            while (true) {
                auto f = scanner.next(data.subspan(used));
                if (f.status == protocol::frame_status::need_more) break;
                if (f.status == protocol::frame_status::bad_length)
                    co_return session_outcome::protocol_violation;
                if (f.status == protocol::frame_status::message &&
                    f.type == protocol::fe::terminate) {
                    co_await flush_to_server();
                    co_return session_outcome::client_closed;
                }
                auto r = co_await handle_client_frame(f);
                if (r) co_return *r;
                used += f.raw.size();
                // Output for an earlier lease must not go to the next one.
                if (!current_ && !sout_.empty()) sout_.clear();
            }
            co_await flush_to_server();
            cbuf_.consume(used);
            if (scanner.mid_message() && !current_) {
                // The rest of a streamed message whose server went away: nothing to send it to.
                co_return session_outcome::server_closed;
            }

            if (cfg_->client_idle_timeout.count() > 0 && !scanner.mid_message() && cbuf_.empty()) {
                auto r = co_await read_or_idle_timeout();
                if (r) co_return *r;
            } else if (co_await read_some(client_, cbuf_)) {
                co_return session_outcome::client_closed;
            }
        }
    }

    asio::awaitable<void> flush_to_server() {
        if (sout_.empty() || !current_ || lease_broken_) {
            sout_.clear();
            co_return;
        }
        c2s_writing_ = true;
        auto* server = current_.get();
        auto ec = co_await write_all(server->link.socket, sout_);
        c2s_writing_ = false;
        sout_.clear();
        if (ec) {
            if (current_.get() == server)
                break_lease(sql::connection_failure, "server closed the connection unexpectedly");
            co_return;
        }
        co_await maybe_release();
    }

    // Only the server side releases (it may be using the server's buffer); when it is
    // already waiting for the server, its read is cancelled so that it looks again.
    asio::awaitable<void> maybe_release() {
        if (!releasable()) co_return;
        release_requested_ = true;
        error_code ignored;
        current_->link.socket.cancel(ignored);
        co_return;
    }

    // One client message (or one chunk of a streamed one).
    asio::awaitable<std::optional<session_outcome>> handle_client_frame(const protocol::frame& f) {
        if (f.status == protocol::frame_status::chunk) co_return co_await on_chunk(f);
        co_await wait_for_server_side();
        if (skip_until_sync_) {
            if (f.type != protocol::fe::sync) co_return std::nullopt;
            skip_until_sync_ = false;
            co_return co_await answer_locally_ready();
        }
        // (No co_await inside a switch: GCC 12 miscompiles it in coroutines.)
        std::optional<session_outcome> r;
        const char type = f.type;
        if (type == protocol::fe::query) {
            r = co_await on_query(f);
        } else if (type == protocol::fe::parse) {
            r = co_await on_parse(f);
        } else if (type == protocol::fe::bind) {
            r = co_await on_bind(f);
        } else if (type == protocol::fe::describe) {
            r = co_await on_describe(f);
        } else if (type == protocol::fe::close) {
            r = co_await on_close(f);
        } else if (type == protocol::fe::execute) {
            r = co_await on_execute(f);
        } else if (type == protocol::fe::sync) {
            if (!current_) {
                r = co_await answer_locally_ready();
            } else {
                push_and_copy(request_kind::sync, f);
            }
        } else if (type == protocol::fe::flush || type == protocol::fe::copy_data ||
                   type == protocol::fe::copy_done || type == protocol::fe::copy_fail) {
            if (current_) sout_.insert(sout_.end(), f.raw.begin(), f.raw.end());
        } else {
            // FunctionCall, or a type unknown to pgrelay: the server judges it (PostgreSQL
            // ends the session on an unknown type).
            bool have_server = current_ != nullptr;
            if (!have_server) {
                have_server = co_await start_transaction(route_request{true, route_pref_}, nullptr);
                if (have_server && !held_begin_.empty()) send_held_begin();
            }
            if (have_server) {
                if (type == protocol::fe::function_call) {
                    push_and_copy(request_kind::function_call, f);
                } else {
                    lease_unknown_ = true;  // never reused: who knows what the server did
                    sout_.insert(sout_.end(), f.raw.begin(), f.raw.end());
                }
            }
        }
        co_return r;
    }

    // A part of a message too large to hold whole (a huge query, Bind or COPY row): the
    // first part routes and is booked; a named statement's Bind is renamed in its header.
    asio::awaitable<std::optional<session_outcome>> on_chunk(const protocol::frame& f) {
        if (!f.first) {
            if (current_) sout_.insert(sout_.end(), f.raw.begin(), f.raw.end());
            co_return std::nullopt;
        }
        co_await wait_for_server_side();
        if (!current_) {
            const bool started = co_await start_transaction(route_request{true, route_pref_}, nullptr);
            if (!started) co_return session_outcome::server_closed;  // the rest has nowhere to go
            if (!held_begin_.empty()) send_held_begin();
        }
        if (!book_first_chunk(f)) sout_.insert(sout_.end(), f.raw.begin(), f.raw.end());
        co_return std::nullopt;
    }

    // Books the request a streamed message makes; true when it wrote the (renamed) chunk.
    bool book_first_chunk(const protocol::frame& f) {
        switch (f.type) {
            case protocol::fe::query:
                tracker_.push({request_kind::query, false, 0});
                ++rfq_outstanding_;
                return false;
            case protocol::fe::function_call:
                tracker_.push({request_kind::function_call, false, 0});
                ++rfq_outstanding_;
                return false;
            case protocol::fe::parse:
                // Only an unnamed statement this large is supported (see docs).
                tracker_.push({request_kind::parse, false, 0});
                return false;
            case protocol::fe::execute:
                tracker_.push({request_kind::execute, false, 0});
                return false;
            case protocol::fe::bind:
                break;
            default:
                return false;
        }
        tracker_.push({request_kind::bind, false, 0});
        const auto body = f.raw.subspan(5);
        auto bv = protocol::parse_bind_head(body);
        if (!bv || bv->statement.empty()) return false;
        auto it = statements_.find(bv->statement);
        if (it == statements_.end()) return false;
        ensure_prepared(it->second);
        portals_[std::string(bv->portal)] = it->second;
        const std::size_t rest_total = f.length - 4 - bv->rest_offset;
        protocol::write_bind_head(sout_, bv->portal, it->second->server_name, rest_total);
        sout_.insert(sout_.end(), body.begin() + static_cast<std::ptrdiff_t>(bv->rest_offset),
                     body.end());
        return true;
    }

    void push_and_copy(request_kind kind, const protocol::frame& f, std::uint32_t tag = 0) {
        tracker_.push({kind, false, tag});
        if (kind == request_kind::sync || kind == request_kind::query ||
            kind == request_kind::function_call)
            ++rfq_outstanding_;
        sout_.insert(sout_.end(), f.raw.begin(), f.raw.end());
    }

    // Starts a transaction: leases a server (primary_wait_timeout for the primary) and
    // prepares it. On failure the client is told, the message dropped (and with it, in the
    // extended protocol, everything up to the next Sync); returns false.
    // `extended`: the message that starts it belongs to the extended protocol.
    asio::awaitable<bool> start_transaction(route_request request, const protocol::frame* extended) {
        if (deferred_failure_) {
            co_await answer_error(deferred_failure_->first, deferred_failure_->second,
                                  extended != nullptr);
            deferred_failure_.reset();
            co_return false;
        }
        auto leased = co_await lease(request, std::nullopt, cfg_->pool.primary_wait_timeout);
        if (!leased.ok) {
            std::string message = leased.message;
            if (!leased.server_error.empty()) {
                auto fields = protocol::parse_error_fields(
                    protocol::byte_view(leased.server_error).subspan(5));
                if (fields) message = "server refused the connection: " + fields->message;
            }
            co_await answer_error(leased.sqlstate, message, extended != nullptr);
            co_return false;
        }
        protocol::bytes to_client;
        prepare_leased_server(sout_, to_client);
        if (!to_client.empty()) co_await write_all(client_, to_client);
        co_return true;
    }

    // Tells the client its request failed: ErrorResponse, then ReadyForQuery for a simple
    // query; for the extended protocol the rest up to Sync is skipped and Sync answered.
    asio::awaitable<void> answer_error(std::string_view code, const std::string& message,
                                       bool extended) {
        protocol::bytes out;
        protocol::write_report(out, {protocol::severity::error, code, message});
        if (!extended) {
            protocol::write_ready_for_query(out, virtual_status());
        } else {
            skip_until_sync_ = true;
        }
        co_await write_all(client_, out);
    }

    // The transaction status the client believes in while no server is leased.
    char virtual_status() const { return held_begin_.empty() ? 'I' : 'T'; }

    asio::awaitable<std::optional<session_outcome>> answer_locally_ready() {
        protocol::bytes out;
        protocol::write_ready_for_query(out, virtual_status());
        if (co_await write_all(client_, out)) co_return session_outcome::client_closed;
        co_return std::nullopt;
    }

    asio::awaitable<std::optional<session_outcome>> answer_locally(std::string_view tag,
                                                                   char status) {
        protocol::bytes out;
        protocol::write_command_complete(out, tag);
        protocol::write_ready_for_query(out, status);
        if (co_await write_all(client_, out)) co_return session_outcome::client_closed;
        co_return std::nullopt;
    }

    lexer_options lexing() const {
        auto it = client_view_.find("standard_conforming_strings");
        return {it == client_view_.end() || it->second != "off"};
    }

    void note_read_only_setting(std::string_view text) {
        // SET default_transaction_read_only = on / true / 1 / yes (quoted or not).
        auto info = worker_.classifier.classify(text, lexing());
        if (info.statements.empty()) return;
        session_read_only_ = info.statements.front().access == access_mode::read_only;
    }

    // What a transaction starting with these statements needs.
    route_request request_for(const query_info& q, bool explicit_tx, access_mode begin_access) const {
        return plan_transaction(q, explicit_tx, begin_access,
                                {routing_, route_pref_, session_read_only_});
    }

    // Session-state effects of statements about to run: pins, and the read-only default.
    void note_statements(const query_info& q) {
        for (const auto& s : q.statements) {
            if (mode_ == pool_mode::transaction && !pinned_) {
                if (auto why = pin_reason(s)) {
                    pinned_ = std::string(*why);
                    log_debug("client pinned to its server",
                              {{"client", id_}, {"reason", *pinned_}});
                }
            }
            const bool read_only_name = s.name == "default_transaction_read_only";
            if ((s.kind == statement_kind::set || s.kind == statement_kind::set_config) &&
                read_only_name && !s.is_local)
                session_read_only_ = s.access == access_mode::read_only;
            if (s.kind == statement_kind::reset && read_only_name) session_read_only_ = false;
            if (s.kind == statement_kind::set_session_characteristics &&
                s.access != access_mode::unspecified)
                session_read_only_ = s.access == access_mode::read_only;
            if (s.kind == statement_kind::discard && s.discard == discard_target::all) {
                statements_.clear();
                if (current_) current_->prepared.clear();
            }
            if (s.kind == statement_kind::deallocate && s.all && current_)
                current_->prepared.clear();
        }
    }

    std::uint32_t tag_for(std::unique_ptr<effects> fx, std::string parsed = {}) {
        const std::uint32_t tag = next_tag_++;
        if (next_tag_ == 0) next_tag_ = 1;
        tags_[tag] = tag_info{std::move(fx), std::move(parsed)};
        return tag;
    }

    // ---- simple protocol ---------------------------------------------------------------

    asio::awaitable<std::optional<session_outcome>> on_query(const protocol::frame& f) {
        protocol::byte_reader reader(f.body());
        const std::string_view text = reader.cstring();
        auto info = worker_.classifier.classify(text, lexing());

        // SET pgrelay.route is pgrelay's own setting: never forwarded.
        if (only_kinds(info, {statement_kind::set_route, statement_kind::reset_route})) {
            for (const auto& s : info.statements) {
                if (s.kind == statement_kind::reset_route) {
                    route_pref_.reset();
                } else if (!s.route_setting) {
                    co_await answer_error_now(sql::invalid_parameter_value,
                                              "invalid value for parameter \"pgrelay.route\": "
                                              "expected primary, standby or auto");
                    co_return std::nullopt;
                } else if (*s.route_setting == route_preference::automatic) {
                    route_pref_.reset();
                } else {
                    route_pref_ = *s.route_setting;
                }
            }
            if (!current_) co_return co_await answer_locally("SET", virtual_status());
            // Inside a transaction: let the server answer (a harmless placeholder setting).
        }

        if (!current_ && only_kinds(info, {statement_kind::deallocate}) &&
            deallocates_protocol_statements(info)) {
            // DEALLOCATE of statements prepared by the protocol: they are pgrelay's to forget.
            for (const auto& st : info.statements) {
                if (st.all) {
                    statements_.clear();
                } else {
                    statements_.erase(identifier_value(st.object));
                }
            }
            co_return co_await answer_locally(
                info.statements.back().all ? "DEALLOCATE ALL" : "DEALLOCATE", virtual_status());
        }
        if (!current_) {
            const bool pool_each_transaction = mode_ == pool_mode::transaction && !pinned_;
            if (pool_each_transaction && held_begin_.empty() && info.statements.size() == 1 &&
                info.statements.front().kind == statement_kind::begin) {
                // BEGIN is held back: its first statement decides where the transaction runs.
                held_begin_ = std::string(text);
                held_begin_access_ = info.statements.front().access;
                co_return co_await answer_locally("BEGIN", 'T');
            }
            if (!held_begin_.empty() &&
                only_kinds(info, {statement_kind::commit, statement_kind::rollback})) {
                held_begin_.clear();
                const bool commit = info.statements.front().kind == statement_kind::commit;
                co_return co_await answer_locally(commit ? "COMMIT" : "ROLLBACK", 'I');
            }
            const bool explicit_tx = !held_begin_.empty() || opens_transaction(info);
            auto request = request_for(info, explicit_tx, held_begin_access_);
            if (!co_await start_transaction(request, nullptr)) {
                held_begin_.clear();
                co_return std::nullopt;
            }
            if (!held_begin_.empty()) {
                send_held_begin();
            } else if (!explicit_tx && info.statements.size() == 1 &&
                       info.route == route_class::read && !lease_on_primary_ &&
                       cfg_->routing.retry_recovery_conflicts) {
                // A lone read on a standby: retried once elsewhere on a recovery conflict.
                retry_query_.assign(f.raw.begin(), f.raw.end());
                retry_armed_ = true;
            }
        }
        note_statements(info);
        std::uint32_t tag = 0;
        if (has_session_effects(info)) {
            auto fx = std::make_unique<effects>();
            fx->sql = std::string(text);
            fx->info = worker_.classifier.classify(fx->sql, lexing());
            tag = tag_for(std::move(fx));
        }
        push_and_copy(request_kind::query, f, tag);
        co_return std::nullopt;
    }

    // Every statement names a protocol-level statement of the client (or ALL while the
    // client has no SQL-prepared ones, which pin it).
    bool deallocates_protocol_statements(const query_info& q) const {
        for (const auto& st : q.statements) {
            if (st.all) {
                if (pinned_) return false;
                continue;
            }
            if (!statements_.contains(identifier_value(st.object))) return false;
        }
        return true;
    }

    asio::awaitable<void> answer_error_now(std::string_view code, std::string message) {
        protocol::bytes out;
        protocol::write_report(out, {protocol::severity::error, code, message});
        protocol::write_ready_for_query(out, virtual_status());
        co_await write_all(client_, out);
    }

    // The held BEGIN goes first, hidden: the client had its answer long ago.
    void send_held_begin() {
        auto fx = std::make_unique<effects>();
        fx->sql = held_begin_;
        fx->info = worker_.classifier.classify(fx->sql, lexing());
        const auto tag = tag_for(std::move(fx));
        protocol::write_query(sout_, held_begin_);
        tracker_.push({request_kind::query, true, tag});
        ++rfq_outstanding_;
        held_begin_.clear();
        held_begin_access_ = access_mode::unspecified;
    }

    // ---- extended protocol -------------------------------------------------------------

    // Leases a server for an extended-protocol message when none is leased (after a held
    // BEGIN, for the transaction it opened).
    asio::awaitable<bool> ensure_server(const query_info* q, const protocol::frame& f) {
        if (current_) co_return true;
        const bool held = !held_begin_.empty();
        route_request request{true, route_pref_};
        if (q) {
            request = request_for(*q, held || opens_transaction(*q), held_begin_access_);
        } else if (held && held_begin_access_ == access_mode::read_only) {
            request.needs_primary = false;
        }
        const bool started = co_await start_transaction(request, &f);
        if (!started) {
            held_begin_.clear();
            held_begin_access_ = access_mode::unspecified;
            co_return false;
        }
        if (held) send_held_begin();
        co_return true;
    }

    // Prepares the statement on the leased server when it does not have it (a hidden Parse).
    void ensure_prepared(const statement_ptr& stmt) {
        auto& prepared = current_->prepared;
        auto it = prepared.find(stmt->server_name);
        if (it != prepared.end()) {
            if (it->second->same_statement(*stmt)) return;
            // A name collision: replace the server's statement.
            protocol::write_close(sout_, 'S', stmt->server_name);
            tracker_.push({request_kind::close, true, 0});
        }
        sout_.insert(sout_.end(), stmt->parse_message.begin(), stmt->parse_message.end());
        tracker_.push({request_kind::parse, true, tag_for(nullptr, stmt->server_name)});
        prepared[stmt->server_name] = stmt;
    }

    void ensure_unnamed() {
        // The unnamed statement lives on one server only; a new lease needs it parsed again.
        if (!unnamed_ || unnamed_on_ == current_->id) return;
        protocol::write_parse(sout_, "", unnamed_->sql, unnamed_->parameter_types);
        tracker_.push({request_kind::parse, true, 0});
        unnamed_on_ = current_->id;
    }

    asio::awaitable<std::optional<session_outcome>> on_parse(const protocol::frame& f) {
        auto pv = protocol::parse_parse(f.body());
        if (!pv) {
            if (co_await ensure_server(nullptr, f)) push_and_copy(request_kind::parse, f);
            co_return std::nullopt;
        }
        auto stmt = std::make_shared<const prepared_statement>(pv->query, pv->parameter_types,
                                                               worker_.classifier, lexing());
        if (!co_await ensure_server(&stmt->info, f)) co_return std::nullopt;
        note_statements(stmt->info);
        if (pv->name.empty()) {
            unnamed_ = stmt;
            unnamed_on_ = current_->id;
            push_and_copy(request_kind::parse, f);
            co_return std::nullopt;
        }
        if (auto existing = statements_.find(pv->name); existing != statements_.end()) {
            // The name is taken: a Parse under the existing statement's server name fails
            // as PostgreSQL fails the client's (42P05), and the error is given its name.
            ensure_prepared(existing->second);
            protocol::write_parse(sout_, existing->second->server_name, pv->query,
                                  pv->parameter_types);
            const auto tag = tag_for(nullptr);
            tags_[tag].renamed = {existing->second->server_name, std::string(pv->name)};
            tracker_.push({request_kind::parse, false, tag});
            co_return std::nullopt;
        }
        statements_[std::string(pv->name)] = stmt;
        auto& prepared = current_->prepared;
        auto it = prepared.find(stmt->server_name);
        if (it != prepared.end() && it->second->same_statement(*stmt)) {
            // Already on this server: an empty statement answers the client's ParseComplete.
            protocol::write_parse(sout_, "pgrelay_noop", "", protocol::byte_view(empty_types_));
            tracker_.push({request_kind::parse, false, 0});
            protocol::write_close(sout_, 'S', "pgrelay_noop");
            tracker_.push({request_kind::close, true, 0});
            co_return std::nullopt;
        }
        if (it != prepared.end()) {
            protocol::write_close(sout_, 'S', stmt->server_name);
            tracker_.push({request_kind::close, true, 0});
        }
        sout_.insert(sout_.end(), stmt->parse_message.begin(), stmt->parse_message.end());
        tracker_.push({request_kind::parse, false, tag_for(nullptr, stmt->server_name)});
        prepared[stmt->server_name] = stmt;
        co_return std::nullopt;
    }

    asio::awaitable<std::optional<session_outcome>> on_bind(const protocol::frame& f) {
        auto bv = protocol::parse_bind_head(f.body());
        statement_ptr stmt;
        if (bv) {
            if (bv->statement.empty()) {
                stmt = unnamed_;
            } else if (auto it = statements_.find(bv->statement); it != statements_.end()) {
                stmt = it->second;
            }
        }
        if (!co_await ensure_server(stmt ? &stmt->info : nullptr, f)) co_return std::nullopt;
        if (!bv || !stmt) {
            // Unknown statement or malformed: the server gives its own error.
            push_and_copy(request_kind::bind, f);
            co_return std::nullopt;
        }
        portals_[std::string(bv->portal)] = stmt;
        if (bv->statement.empty()) {
            ensure_unnamed();
            push_and_copy(request_kind::bind, f);
            co_return std::nullopt;
        }
        ensure_prepared(stmt);
        const auto rest = f.body().subspan(bv->rest_offset);
        protocol::write_bind_head(sout_, bv->portal, stmt->server_name, rest.size());
        sout_.insert(sout_.end(), rest.begin(), rest.end());
        tracker_.push({request_kind::bind, false, 0});
        co_return std::nullopt;
    }

    asio::awaitable<std::optional<session_outcome>> on_describe(const protocol::frame& f) {
        auto tv = protocol::parse_target(f.body());
        statement_ptr stmt;
        if (tv && tv->kind == 'S') {
            if (tv->name.empty()) {
                stmt = unnamed_;
            } else if (auto it = statements_.find(tv->name); it != statements_.end()) {
                stmt = it->second;
            }
        }
        if (!co_await ensure_server(stmt ? &stmt->info : nullptr, f)) co_return std::nullopt;
        if (stmt && !tv->name.empty()) {
            ensure_prepared(stmt);
            protocol::write_describe(sout_, 'S', stmt->server_name);
            tracker_.push({request_kind::describe, false, 0});
            co_return std::nullopt;
        }
        if (stmt) ensure_unnamed();
        push_and_copy(request_kind::describe, f);
        co_return std::nullopt;
    }

    asio::awaitable<std::optional<session_outcome>> on_close(const protocol::frame& f) {
        auto tv = protocol::parse_target(f.body());
        if (tv && tv->kind == 'S' && !tv->name.empty()) statements_.erase(std::string(tv->name));
        if (tv && tv->kind == 'P') portals_.erase(std::string(tv->name));
        if (!current_) {
            if (!tv) {
                if (co_await ensure_server(nullptr, f)) push_and_copy(request_kind::close, f);
                co_return std::nullopt;
            }
            // Nothing of the client's lives on a server between transactions: answer here.
            protocol::bytes out;
            protocol::write_close_complete(out);
            if (co_await write_all(client_, out)) co_return session_outcome::client_closed;
            co_return std::nullopt;
        }
        if (tv && tv->kind == 'S' && !tv->name.empty()) {
            // The server statement stays for other clients; closing no statement answers.
            protocol::write_close(sout_, 'S', "pgrelay_none");
            tracker_.push({request_kind::close, false, 0});
            co_return std::nullopt;
        }
        push_and_copy(request_kind::close, f);
        co_return std::nullopt;
    }

    asio::awaitable<std::optional<session_outcome>> on_execute(const protocol::frame& f) {
        statement_ptr stmt;
        if (auto portal = protocol::parse_execute(f.body())) {
            if (auto it = portals_.find(*portal); it != portals_.end()) stmt = it->second;
        }
        if (!co_await ensure_server(stmt ? &stmt->info : nullptr, f)) co_return std::nullopt;
        std::uint32_t tag = 0;
        if (stmt) {
            note_statements(stmt->info);
            if (has_session_effects(stmt->info)) {
                auto fx = std::make_unique<effects>();
                fx->stmt = stmt;
                tag = tag_for(std::move(fx));
            }
        }
        push_and_copy(request_kind::execute, f, tag);
        co_return std::nullopt;
    }

    // ---- replies -----------------------------------------------------------------------

    // Forwards server replies to the client, keeping the books: which request each answers,
    // settings that took effect, parameters the client was told, the end of the transaction.
    asio::awaitable<session_outcome> server_to_client() {
        while (true) {
            if (!current_) {
                co_await s2c_wake_.async_wait(use_nothrow);
                continue;
            }
            auto r = co_await relay_lease();
            if (r) co_return *r;
        }
    }

    // Relays one lease until the server goes back to its pool or is lost.
    asio::awaitable<std::optional<session_outcome>> relay_lease() {
        auto* server = current_.get();
        auto& sbuf = server->link.buffer;
        protocol::frame_scanner scanner(sbuf.capacity());
        bool chunk_forwarded = true;
        while (true) {
            if (lease_broken_) co_return co_await lease_lost(scanner.mid_message());
            auto data = sbuf.unconsumed();
            std::size_t used = 0;
            cout_.clear();
            bool done = false;
            while (!done) {
                auto f = scanner.next(data.subspan(used));
                if (f.status == protocol::frame_status::need_more) break;
                if (f.status == protocol::frame_status::bad_length) {
                    break_lease(sql::protocol_violation, "server sent an invalid message");
                    client_mid_message_ = true;  // garbage from the server: say nothing more
                    co_return session_outcome::server_closed;
                }
                if (f.status == protocol::frame_status::chunk) {
                    if (f.first) {
                        chunk_forwarded = tracker_.on_server_message(
                                              static_cast<std::uint8_t>(f.type)).forward;
                        release_hold();
                    }
                    if (chunk_forwarded) cout_.insert(cout_.end(), f.raw.begin(), f.raw.end());
                    used += f.raw.size();
                    continue;
                }
                used += f.raw.size();
                done = on_server_message(f);
            }
            client_mid_message_ = scanner.mid_message();
            if (!cout_.empty()) {
                client_write_pending_ = true;
                if (co_await write_all(client_, cout_)) co_return session_outcome::client_closed;
                client_write_pending_ = false;
            }
            sbuf.consume(used);
            if (retry_now_) {
                retry_now_ = false;
                if (auto r = co_await retry_elsewhere()) co_return *r;
                co_return std::nullopt;
            }
            if (done) {
                if (releasable()) release_server();
                if (current_.get() != server) co_return std::nullopt;
            }
            if (lease_broken_) continue;
            if (auto ec = co_await read_some(server->link.socket, sbuf)) {
                if (release_requested_ && !lease_broken_ && ec == asio::error::operation_aborted) {
                    release_requested_ = false;
                    if (releasable()) {
                        release_server();
                        co_return std::nullopt;
                    }
                    continue;
                }
                if (!lease_broken_) {
                    broken_code_ = sql::connection_failure;
                    broken_message_ = "server closed the connection unexpectedly";
                    lease_broken_ = true;
                }
                continue;
            }
        }
    }

    // One whole server message; returns true at a ReadyForQuery that leaves nothing
    // outstanding (the point where the server may go back to its pool).
    bool on_server_message(const protocol::frame& f) {
        const auto type = static_cast<std::uint8_t>(f.type);
        if (f.type == protocol::be::parameter_status) {
            tracker_.on_server_message(type);
            auto p = protocol::parse_parameter_status(f.body());
            if (!p) return false;
            current_->reported[std::string(p->name)] = std::string(p->value);
            auto it = client_view_.find(p->name);
            if (it != client_view_.end() && it->second == p->value) return false;
            client_view_[std::string(p->name)] = std::string(p->value);
            append_to_client(f.raw);
            return false;
        }
        const bool for_retry = retry_armed_ && tracker_.head() && !tracker_.head()->hidden;
        const auto step = tracker_.on_server_message(type);
        if (for_retry && on_retry_candidate_message(f)) return false;
        if (step.error) {
            settings_.error();
            auto fields = protocol::parse_error_fields(f.body());
            if (fields && (fields->severity == "FATAL" || fields->severity == "PANIC")) {
                // The server ends its session. A pooled client keeps its own: it hears an
                // ERROR with the server's code and message, for the transaction it lost. A
                // protocol violation, or a session-bound client, ends with the server.
                if (mode_ == pool_mode::transaction && !pinned_ &&
                    fields->sqlstate != sql::protocol_violation) {
                    broken_code_ = protocol::sqlstate::connection_failure;
                    broken_message_ = fields->message;
                    broken_code_text_ = fields->sqlstate;
                    lease_broken_ = true;
                    return false;
                }
                server_said_fatal_ = true;
            }
            if (fields && step.ends_request) {
                if (auto it = tags_.find(step.finished.tag);
                    it != tags_.end() && !it->second.renamed.first.empty()) {
                    auto message = fields->message;
                    const auto& [from, to] = it->second.renamed;
                    if (auto at = message.find(from); at != std::string::npos)
                        message.replace(at, from.size(), to);
                    protocol::bytes out;
                    protocol::write_report(out, {protocol::severity::error, fields->sqlstate,
                                                 message});
                    append_to_client(out);
                    tags_.erase(it);
                    return false;
                }
            }
            if (step.ends_request || step.unexpected) {
                // A failed Parse of ours: the server does not have the statement.
                if (auto it = tags_.find(step.finished.tag); it != tags_.end()) {
                    if (!it->second.parsed_statement.empty())
                        current_->prepared.erase(it->second.parsed_statement);
                }
            }
            if (step.finished.hidden || (!step.ends_request && tracker_.head() &&
                                         tracker_.head()->hidden)) {
                current_->applied_known = false;
            }
        } else if (f.type == protocol::be::command_complete) {
            note_command_complete(f, step);
        }
        if (step.forward) append_to_client(f.raw);
        if (f.type == protocol::be::ready_for_query && f.length == 5) {
            server_status_ = static_cast<char>(f.body()[0]);
            settings_.ready(server_status_);
            if (rfq_outstanding_ > 0) --rfq_outstanding_;
            if (step.forward) {
                client_status_ = server_status_;
                idle_since_ = clock::now();
            }
            if (step.ends_request) tags_.erase(step.finished.tag);
            if (settings_.take_server_reset()) current_->applied_known = false;
            if (settings_.unknown() && mode_ == pool_mode::transaction && !pinned_)
                pinned_ = "session state pgrelay cannot replay";
            return step.idle;
        }
        if (step.ends_request && step.finished.tag != 0) tags_.erase(step.finished.tag);
        return false;
    }

    void note_command_complete(const protocol::frame& f, const protocol::reply_step& step) {
        // The request the CommandComplete belongs to: the head (a query) or the one it ended.
        const protocol::request* r = step.ends_request ? &step.finished : tracker_.head();
        if (!r || r->tag == 0) return;
        auto it = tags_.find(r->tag);
        if (it == tags_.end() || !it->second.fx) return;
        auto& fx = *it->second.fx;
        const auto& q = fx.query();
        if (fx.next >= q.statements.size()) return;
        auto tag = protocol::parse_command_complete(f.body());
        settings_.statement_done(q.statements[fx.next], tag ? *tag : std::string_view{});
        ++fx.next;
    }

    void append_to_client(protocol::byte_view raw) {
        auto& out = holding_ ? hold_ : cout_;
        out.insert(out.end(), raw.begin(), raw.end());
    }

    // ---- recovery conflicts ------------------------------------------------------------

    // While a lone read on a standby may still be retried: its RowDescription is held back
    // until a row (or the end) arrives; a recovery conflict before that restarts it
    // elsewhere. Returns true when the message was consumed here.
    bool on_retry_candidate_message(const protocol::frame& f) {
        switch (f.type) {
            case protocol::be::row_description:
                holding_ = true;
                return false;
            case protocol::be::error_response: {
                auto fields = protocol::parse_error_fields(f.body());
                if (fields && fields->sqlstate == "40001" && !retry_swallow_) {
                    retry_error_.assign(f.raw.begin(), f.raw.end());
                    retry_swallow_ = true;
                    hold_.clear();
                    holding_ = false;
                    settings_.error();
                    return true;
                }
                release_hold();
                return false;
            }
            case protocol::be::ready_for_query:
                if (retry_swallow_) {
                    server_status_ = f.length == 5 ? static_cast<char>(f.body()[0]) : 'I';
                    settings_.ready(server_status_);
                    if (rfq_outstanding_ > 0) --rfq_outstanding_;
                    retry_now_ = true;
                    retrying_ = true;
                    return true;
                }
                release_hold();
                return false;
            case protocol::be::notice_response:
                return false;
            default:
                if (retry_swallow_) return true;
                release_hold();
                return false;
        }
    }

    void release_hold() {
        if (holding_ || !hold_.empty()) {
            cout_.insert(cout_.end(), hold_.begin(), hold_.end());
            hold_.clear();
        }
        holding_ = false;
        retry_armed_ = false;
    }

    // The conflict's server goes back; the query runs once more on another node.
    asio::awaitable<std::optional<session_outcome>> retry_elsewhere() {
        const std::size_t from = current_->node;
        retry_armed_ = false;
        retry_swallow_ = false;
        log_info("retrying a read cancelled by a recovery conflict",
                 {{"client", id_}, {"node", node_name(from)}});
        state_.conflict_retries.fetch_add(1);
        release_server();
        auto leased = co_await lease(route_request{false, route_preference::standby}, from,
                                     cfg_->server_connect_timeout);
        if (!leased.ok) {
            leased = co_await lease(route_request{true, std::nullopt}, from,
                                    cfg_->server_connect_timeout);
        }
        retrying_ = false;
        c2s_wake_.cancel();
        if (!leased.ok) {
            protocol::bytes out = retry_error_;
            protocol::write_ready_for_query(out, 'I');
            if (co_await write_all(client_, out)) co_return session_outcome::client_closed;
            client_status_ = 'I';
            co_return std::nullopt;
        }
        protocol::bytes to_server;
        protocol::bytes to_client;
        prepare_leased_server(to_server, to_client);
        to_server.insert(to_server.end(), retry_query_.begin(), retry_query_.end());
        tracker_.push({request_kind::query, false, 0});
        ++rfq_outstanding_;
        if (!to_client.empty()) {
            auto ec = co_await write_all(client_, to_client);
            if (ec) co_return session_outcome::client_closed;
        }
        if (co_await write_all(current_->link.socket, to_server))
            break_lease(sql::connection_failure, "server closed the connection unexpectedly");
        co_return std::nullopt;
    }

    // ---- a lost lease ------------------------------------------------------------------

    // The leased server is gone (closed, failed, or its node lost its role). In transaction
    // mode the client hears an error for what it was waiting for and keeps its connection;
    // a session-mode or pinned client loses the session with the server.
    asio::awaitable<std::optional<session_outcome>> lease_lost(bool mid_message) {
        const std::string code =
            broken_code_text_.empty() ? std::string(broken_code_) : broken_code_text_;
        broken_code_text_.clear();
        const std::string message = broken_message_;
        log_warning("server connection lost", {{"client", id_},
                                                {"user", startup_.user},
                                                {"node", node_name(current_->node)},
                                                {"reason", message}});
        while (c2s_writing_) {
            // The client side's write to the closed socket is being aborted: let it finish
            // before the server goes away under it.
            asio::steady_timer pause(client_.get_executor(), std::chrono::milliseconds(1));
            co_await pause.async_wait(use_nothrow);
        }
        const bool waiting = rfq_outstanding_ > 0;
        const char status = client_status_;
        release_hold();
        drop_server(false);
        lease_broken_ = false;
        settings_.error();
        settings_.ready('I');
        if (mode_ == pool_mode::session || pinned_ || mid_message || client_mid_message_ ||
            server_said_fatal_) {
            client_mid_message_ = client_mid_message_ || mid_message;
            if (code == sql::admin_shutdown) {
                moved_reason_ = message;
                co_return session_outcome::primary_moved;
            }
            co_return session_outcome::server_closed;
        }
        if (!waiting) {
            // Nothing asked: a client inside a transaction hears it on its next request.
            if (status != 'I') deferred_failure_ = {code, message};
            co_return std::nullopt;
        }
        protocol::bytes out;
        protocol::write_report(out, {protocol::severity::error, code, message});
        for (std::uint32_t i = 0; i < std::max<std::uint32_t>(1, rfq_outstanding_); ++i)
            protocol::write_ready_for_query(out, 'I');
        rfq_outstanding_ = 0;
        client_status_ = 'I';
        skip_until_sync_ = false;
        if (co_await write_all(client_, out)) co_return session_outcome::client_closed;
        co_return std::nullopt;
    }

    // ---- idle timeout ------------------------------------------------------------------

    // Waits for client bytes; ends the session once the client has been idle (outside a
    // transaction, nothing awaited from the server) for client_idle_timeout. Nothing when
    // bytes arrived.
    asio::awaitable<std::optional<session_outcome>> read_or_idle_timeout() {
        const auto limit = cfg_->client_idle_timeout;
        while (true) {
            auto wait = limit;
            if (session_idle()) {
                const auto idle_for =
                    std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - idle_since_);
                if (idle_for >= limit) co_return session_outcome::idle_timeout;
                wait = limit - idle_for;
            }
            auto r = co_await with_timeout(read_some(client_, cbuf_), wait);
            if (r) {
                if (*r) co_return session_outcome::client_closed;
                co_return std::nullopt;
            }
        }
    }

    // Idle: everything sent has been answered and the client is outside a transaction.
    bool session_idle() const {
        if (!held_begin_.empty()) return false;
        if (!current_) return true;
        return tracker_.idle() && client_status_ == 'I';
    }

    // ---- the end -------------------------------------------------------------------------

    session_outcome refuse(std::string_view code, std::string message) {
        refusal_bytes_.clear();
        protocol::write_report(refusal_bytes_, {protocol::severity::fatal, code, message});
        return session_outcome::refused;
    }

    asio::awaitable<void> send_refusal() {
        if (!refusal_bytes_.empty()) co_await write_all(client_, refusal_bytes_);
        refusal_bytes_.clear();
    }

    asio::awaitable<void> tell_client(std::string_view code, std::string message) {
        refuse(code, std::move(message));
        co_await send_refusal();
    }

    // The one cleanup switch: what the client hears, and what becomes of the server.
    asio::awaitable<void> finish(session_outcome outcome) {
        switch (outcome) {
            case session_outcome::client_closed:
            case session_outcome::cancel_handled:
            case session_outcome::bad_startup:
                break;
            case session_outcome::refused:
            case session_outcome::server_refused:
                co_await send_refusal();
                break;
            case session_outcome::login_timeout:
                log_info("client login timed out", {{"client", id_}});
                if (have_startup_)
                    co_await tell_client(sql::protocol_violation,
                                         "canceling authentication due to timeout");
                break;
            case session_outcome::idle_timeout:
                log_info("client idle timeout", {{"client", id_}, {"user", startup_.user}});
                co_await tell_client(sql::idle_session_timeout,
                                     "terminating connection due to idle-session timeout");
                break;
            case session_outcome::server_closed:
                log_warning("closing session: server connection lost",
                            {{"client", id_}, {"user", startup_.user}});
                if (!server_said_fatal_ && !client_mid_message_ && !client_write_pending_)
                    co_await tell_client(sql::connection_failure,
                                         "server closed the connection unexpectedly");
                break;
            case session_outcome::primary_moved:
                log_warning("closing session: primary moved",
                            {{"client", id_}, {"user", startup_.user}, {"reason", moved_reason_}});
                // A message already half-sent to the client cannot be followed by another.
                if (!client_mid_message_ && !client_write_pending_) {
                    const std::string message =
                        "terminating connection because the primary moved: " + moved_reason_;
                    co_await tell_client(sql::admin_shutdown, message);
                }
                break;
            case session_outcome::protocol_violation:
                log_info("protocol violation from client", {{"client", id_}});
                co_await tell_client(sql::protocol_violation, "invalid message length");
                break;
        }
        // A server still leased goes back only when it is idle and the client left cleanly.
        if (current_) {
            const bool clean = outcome == session_outcome::client_closed && !pinned_;
            drop_server(clean);
        }
        if (have_key_) state_.cancels.forget(client_key_);
        if (counted_) state_.clients.fetch_sub(1);
        error_code ignored;
        client_.shutdown(tcp::socket::shutdown_both, ignored);
        client_.close(ignored);
    }

    tcp::socket client_;
    wire_buffer cbuf_;
    proxy_state& state_;
    worker_context& worker_;
    std::shared_ptr<const config> cfg_;
    std::string id_;
    protocol::startup_message startup_;
    bool have_startup_ = false;
    bool counted_ = false;
    bool ready_ = false;
    server_login login_;
    pool_mode mode_ = pool_mode::transaction;
    routing_mode routing_ = routing_mode::automatic;
    protocol::backend_key client_key_;
    bool have_key_ = false;

    // The lease: the server running the current transaction (or the session's server).
    server_ptr current_;
    pool_key lease_key_;
    bool lease_on_primary_ = false;
    bool lease_broken_ = false;  // closed under the relay; the server side cleans up
    std::string_view broken_code_ = sql::connection_failure;
    std::string broken_message_;
    std::string broken_code_text_;  // the server's own SQLSTATE for a FATAL turned into ERROR
    protocol::response_tracker tracker_;
    std::uint32_t rfq_outstanding_ = 0;  // ReadyForQuery the client still waits for
    char server_status_ = 'I';
    bool c2s_writing_ = false;
    bool release_requested_ = false;  // the client side found the lease over
    bool lease_unknown_ = false;      // a message pgrelay does not know went to the server
    asio::steady_timer s2c_wake_;  // cancelled when a lease starts or breaks
    asio::steady_timer c2s_wake_;  // cancelled when a lease ends or a retry finishes
    protocol::bytes sout_;         // client messages on their way to the server
    protocol::bytes cout_;         // server messages on their way to the client
    std::unordered_map<std::uint32_t, tag_info> tags_;
    std::uint32_t next_tag_ = 1;

    // The client's session as pgrelay keeps it across servers.
    session_settings settings_;
    std::map<std::string, std::string, std::less<>> client_view_;  // ParameterStatus sent
    statement_map statements_;  // by client name
    statement_map portals_;     // this lease's portals
    statement_ptr unnamed_;
    std::uint64_t unnamed_on_ = 0;  // the server id the unnamed statement was parsed on
    protocol::bytes empty_types_{0, 0};
    std::optional<std::string> pinned_;  // why the client keeps its server
    std::optional<route_preference> route_pref_;
    bool session_read_only_ = false;
    std::string held_begin_;  // a BEGIN not yet sent: the first statement decides the node
    access_mode held_begin_access_ = access_mode::unspecified;
    char client_status_ = 'I';
    bool skip_until_sync_ = false;
    std::optional<std::pair<std::string, std::string>> deferred_failure_;

    // Recovery-conflict retry of a lone read on a standby.
    protocol::bytes retry_query_;
    protocol::bytes retry_error_;
    protocol::bytes hold_;
    bool retry_armed_ = false;
    bool retry_swallow_ = false;
    bool retry_now_ = false;
    bool retrying_ = false;
    bool holding_ = false;

    std::string moved_reason_;
    bool client_write_pending_ = false;  // a server->client write is in progress
    clock::time_point idle_since_ = clock::now();
    bool server_said_fatal_ = false;
    bool client_mid_message_ = false;  // the client got part of a streamed message
    protocol::bytes refusal_bytes_;
};

}  // namespace

asio::awaitable<void> run_client_session(tcp::socket socket, proxy_state& state,
                                         worker_context& worker) {
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    client_session session(std::move(socket), state, worker);
    co_await session.run();
}

}  // namespace pgrelay::proxy
