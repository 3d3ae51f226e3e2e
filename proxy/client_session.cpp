// One client connection from accept to close; see client_session.hpp.
// Life cycle: startup -> authenticating -> connecting server -> relaying -> ended(outcome).
#include "proxy/client_session.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include "protocol/framer.hpp"
#include "protocol/messages.hpp"
#include "protocol/sqlstate.hpp"
#include "protocol/startup.hpp"
#include "proxy/client_auth.hpp"
#include "proxy/log.hpp"
#include "proxy/server_connection.hpp"
#include "proxy/timeout.hpp"

namespace pgrelay::proxy {

namespace {

namespace sql = protocol::sqlstate;

// How a session ended. The cleanup switch in client_session::finish maps each to what the
// client is told and what happens to the server connection.
enum class session_outcome : std::uint8_t {
    client_closed,   // client sent Terminate or closed its socket
    cancel_handled,  // the connection carried a CancelRequest; nothing to say
    bad_startup,     // unframeable startup bytes: close without a word, as PostgreSQL
    refused,         // FATAL with sqlstate/message (protocol version, no user, too many clients)
    server_refused,  // the server's own FATAL during login, relayed as it is
    login_timeout,   // client did not finish startup and authentication in time
    idle_timeout,    // client idle outside a transaction for too long
    server_closed,   // server went away during relay
    protocol_violation,  // client sent an unframeable message after startup
    primary_moved,       // the session's server is no longer the primary (fenced, demoted)
};

class client_session {
  public:
    client_session(tcp::socket socket, proxy_state& state)
        : client_(std::move(socket)),
          state_(state),
          cfg_(state.cfg),
          id_(std::to_string(state.next_client_id.fetch_add(1))) {}

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

        auto primary = co_await find_primary();
        if (!primary) {
            co_return refuse(sql::connection_failure,
                             "no primary server available: " + primary_absence_reason());
        }
        const auto& node = cfg_->nodes[*primary];
        server_endpoint endpoint{node.name, node.host, node.port};
        server_login login{startup_.user, startup_.database, startup_.parameters,
                           std::move(auth.credentials)};
        auto opened = co_await open_server(endpoint, login, cfg_->server_connect_timeout);
        if (auto* f = std::get_if<server_failure>(&opened)) {
            log_warning("server login failed", {{"client", id_},
                                                {"user", startup_.user},
                                                {"db", startup_.database},
                                                {"node", node.name},
                                                {"reason", f->message}});
            if (!f->server_error.empty()) {
                refusal_bytes_ = std::move(f->server_error);
                co_return session_outcome::server_refused;
            }
            co_return refuse(f->sqlstate, f->message);
        }
        server_.emplace(std::move(std::get<server_link>(opened)));
        server_node_ = node.name;
        server_index_ = *primary;

        client_key_ = state_.cancels.mint();
        have_key_ = true;
        state_.cancels.set_target(client_key_, {node.host, node.port, server_->key});

        protocol::bytes out;
        protocol::write_auth_ok(out);
        for (const auto& [name, value] : server_->parameters)
            protocol::write_parameter_status(out, name, value);
        protocol::write_backend_key_data(out, client_key_);
        protocol::write_ready_for_query(out, server_->transaction_status);
        if (co_await write_all(client_, out)) co_return session_outcome::client_closed;
        log_debug("client logged in", {{"client", id_},
                                       {"user", startup_.user},
                                       {"db", startup_.database},
                                       {"node", node.name}});
        ready_ = true;
        co_return session_outcome::client_closed;
    }

    // The latest topology, read without a lock unless it changed since this worker thread
    // last looked (one reader cache per thread).
    std::shared_ptr<const health::topology> current_topology() const {
        thread_local health::snapshot_cell<health::topology>::reader reader;
        return state_.topology->read(reader);
    }

    // The node index of the current primary; waits for one (a check in progress, a
    // failover) up to server_connect_timeout.
    asio::awaitable<std::optional<std::size_t>> find_primary() {
        auto& cell = *state_.topology;
        const auto deadline = std::chrono::steady_clock::now() + cfg_->server_connect_timeout;
        while (true) {
            const auto changes = cell.changes();
            auto snapshot = current_topology();
            if (snapshot->primary && *snapshot->primary < cfg_->nodes.size())
                co_return snapshot->primary;
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) co_return std::nullopt;
            co_await with_timeout(cell.wait_change(changes), left);
        }
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

    // ---- relay ---------------------------------------------------------------------------

    asio::awaitable<session_outcome> relay() {
        using namespace asio::experimental::awaitable_operators;
        auto r = co_await (client_to_server() || server_to_client() || watch_primary());
        co_return std::visit([](auto o) { return o; }, r);
    }

    // Ends the session as soon as its server is fenced or another node is primary: nothing
    // more may reach a node that lost the primary role. (A primary that is merely down with
    // no replacement keeps its sessions; the relay notices a dead connection by itself.)
    asio::awaitable<session_outcome> watch_primary() {
        auto& cell = *state_.topology;
        while (true) {
            const auto changes = cell.changes();
            auto t = current_topology();
            if (server_index_ < t->nodes.size()) {
                const auto& n = t->nodes[server_index_];
                if (n.state == health::node_state::fenced) {
                    moved_reason_ = "node \"" + n.name + "\" was fenced: " + n.reason;
                    co_return session_outcome::primary_moved;
                }
                if (t->primary && *t->primary != server_index_) {
                    moved_reason_ = "node \"" + n.name + "\" is no longer the primary (now \"" +
                                    t->nodes[*t->primary].name + "\")";
                    co_return session_outcome::primary_moved;
                }
            }
            co_await cell.wait_change(changes);
        }
    }

    // Forwards client bytes to the server, whole frames at a time where they fit, streaming
    // larger ones; stops after Terminate.
    asio::awaitable<session_outcome> client_to_server() {
        protocol::frame_scanner scanner(cbuf_.capacity());
        while (true) {
            auto data = cbuf_.unconsumed();
            std::size_t ready = 0;
            bool terminate = false;
            while (!terminate) {
                auto f = scanner.next(data.subspan(ready));
                if (f.status == protocol::frame_status::need_more) break;
                if (f.status == protocol::frame_status::bad_length) {
                    co_return session_outcome::protocol_violation;
                }
                if (f.status == protocol::frame_status::message &&
                    f.type == protocol::fe::terminate)
                    terminate = true;
                else
                    ready += f.raw.size();
            }
            if (ready > 0) {
                server_busy_ = true;
                if (co_await write_all(server_->socket, data.first(ready)))
                    co_return session_outcome::server_closed;
                cbuf_.consume(ready);
            }
            if (terminate) co_return session_outcome::client_closed;

            if (cfg_->client_idle_timeout.count() > 0 && !scanner.mid_message() && cbuf_.empty()) {
                auto r = co_await read_or_idle_timeout();
                if (r) co_return *r;
            } else if (co_await read_some(client_, cbuf_)) {
                co_return session_outcome::client_closed;
            }
        }
    }

    // Waits for client bytes; ends the session once the client has been idle (outside a
    // transaction, nothing awaited from the server) for client_idle_timeout. Nothing when
    // bytes arrived.
    asio::awaitable<std::optional<session_outcome>> read_or_idle_timeout() {
        using clock = std::chrono::steady_clock;
        const auto limit = cfg_->client_idle_timeout;
        while (true) {
            auto wait = limit;
            if (session_idle()) {
                const auto idle_for = std::chrono::duration_cast<std::chrono::milliseconds>(
                    clock::now() - idle_since_);
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

    // Idle: the server answered everything sent (ReadyForQuery) outside a transaction.
    bool session_idle() const { return !server_busy_ && server_tx_status_ == 'I'; }

    // Forwards server bytes to the client, noting ReadyForQuery status and FATAL errors.
    asio::awaitable<session_outcome> server_to_client() {
        auto& sbuf = server_->buffer;
        protocol::frame_scanner scanner(sbuf.capacity());
        while (true) {
            auto data = sbuf.unconsumed();
            std::size_t ready = 0;
            while (true) {
                auto f = scanner.next(data.subspan(ready));
                if (f.status == protocol::frame_status::need_more) break;
                if (f.status == protocol::frame_status::bad_length) {
                    client_mid_message_ = true;  // garbage from the server: say nothing more
                    co_return session_outcome::server_closed;
                }
                if (f.status == protocol::frame_status::message) note_server_message(f);
                ready += f.raw.size();
            }
            if (ready > 0) {
                client_write_pending_ = true;
                if (co_await write_all(client_, data.first(ready)))
                    co_return session_outcome::client_closed;
                client_write_pending_ = false;
                sbuf.consume(ready);
            }
            // The client has part of a message when a streamed one is not finished.
            client_mid_message_ = scanner.mid_message();
            if (co_await read_some(server_->socket, sbuf)) co_return session_outcome::server_closed;
        }
    }

    void note_server_message(const protocol::frame& f) {
        if (f.type == protocol::be::ready_for_query && f.length == 5) {
            server_tx_status_ = static_cast<char>(f.body()[0]);
            server_busy_ = false;
            idle_since_ = std::chrono::steady_clock::now();
        } else if (f.type == protocol::be::error_response) {
            auto fields = protocol::parse_error_fields(f.body());
            if (fields && (fields->severity == "FATAL" || fields->severity == "PANIC"))
                server_said_fatal_ = true;
        }
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
                log_warning("server connection lost",
                            {{"client", id_}, {"user", startup_.user}, {"node", server_node_}});
                if (!server_said_fatal_ && !client_mid_message_ && !client_write_pending_)
                    co_await tell_client(sql::connection_failure,
                                         "server closed the connection unexpectedly");
                break;
            case session_outcome::primary_moved:
                log_warning("closing session: primary moved", {{"client", id_},
                                                               {"user", startup_.user},
                                                               {"node", server_node_},
                                                               {"reason", moved_reason_}});
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
        if (server_ && server_->socket.is_open()) {
            if (outcome != session_outcome::server_closed) {
                protocol::bytes bye;
                protocol::write_terminate(bye);
                co_await write_all(server_->socket, bye);
            }
            error_code ignored;
            server_->socket.close(ignored);
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
    std::shared_ptr<const config> cfg_;
    std::string id_;
    protocol::startup_message startup_;
    bool have_startup_ = false;
    bool counted_ = false;
    bool ready_ = false;
    std::optional<server_link> server_;
    std::string server_node_;
    std::size_t server_index_ = 0;
    std::string moved_reason_;
    bool client_write_pending_ = false;  // a server->client write is in progress
    protocol::backend_key client_key_;
    bool have_key_ = false;
    char server_tx_status_ = 'I';
    bool server_busy_ = false;  // client bytes forwarded since the last ReadyForQuery
    std::chrono::steady_clock::time_point idle_since_ = std::chrono::steady_clock::now();
    bool server_said_fatal_ = false;
    bool client_mid_message_ = false;  // the client got part of a streamed message
    protocol::bytes refusal_bytes_;
};

}  // namespace

asio::awaitable<void> run_client_session(tcp::socket socket, proxy_state& state) {
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    client_session session(std::move(socket), state);
    co_await session.run();
}

}  // namespace pgrelay::proxy
