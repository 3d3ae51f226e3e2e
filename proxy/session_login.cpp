// Startup, client authentication, the login server, and the end of a session; see session.hpp.
#include "proxy/session.hpp"
#include "proxy/startup_reader.hpp"

namespace pgrelay::proxy {

asio::awaitable<session_outcome> client_session::login_phase() {
    auto packet = co_await read_startup();
    if (!packet) co_return session_outcome::bad_startup;
    if (packet->kind == protocol::startup_kind::cancel) {
        co_await forward_cancel(packet->cancel);
        co_return session_outcome::cancel_handled;
    }
    startup_ = std::move(packet->startup);
    have_startup_ = true;
    if (cfg_->tls.client_mode == client_tls_mode::require && !client_.is_tls()) {
        // PostgreSQL's pg_hba "no encryption" refusal, in pgrelay's words.
        log_info("plain connection refused (client_tls = require)",
                 {{"client", id_}, {"user", startup_.user}});
        co_return refuse(sql::invalid_authorization_specification,
                         "pgrelay requires SSL: connect with sslmode=require");
    }

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

    const auto users = state_.users.load();  // one snapshot for the whole login
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
    // Built once per config snapshot, not per lease (refresh_config rebuilds them).
    router_settings_ = routing_settings();
    pool_limits_ = session_pool_limits();

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
    stats_ = &state_.traffic.database(startup_.database);
    co_return session_outcome::client_closed;
}

asio::awaitable<std::optional<session_outcome>> client_session::apply_settings_at_login() {
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
            protocol::write_report(
                fatal, {protocol::severity::fatal,
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

session_outcome client_session::refuse_lost_server() {
    drop_server(false);
    return refuse(sql::connection_failure, "server closed the connection during login");
}

asio::awaitable<std::optional<protocol::startup_packet>> client_session::read_startup() {
    auto tls = state_.tls.load()->client;  // one snapshot: a reload may swap it
    auto r = co_await read_startup_packet(client_, cbuf_, std::move(tls));
    if (r.error) {
        log_info("invalid startup packet", {{"client", id_}, {"reason", r.error->message}});
        refuse(r.error->sqlstate, r.error->message);
        co_await send_refusal();
    } else if (!r.tls_error.empty()) {
        log_info("TLS handshake failed", {{"client", id_}, {"reason", r.tls_error}});
    } else if (!r.packet) {
        log_debug("no startup packet (closed, or unframeable bytes)", {{"client", id_}});
    }
    co_return std::move(r.packet);
}

asio::awaitable<void> client_session::forward_cancel(protocol::cancel_request req) {
    auto target = state_.cancels.find({req.process_id, req.secret_key});
    if (!target) co_return;  // unknown keys are ignored, as PostgreSQL does
    log_info("forwarding cancel request",
             {{"client", std::to_string(req.process_id)},
              {"server", target->host + ":" + std::to_string(target->port)}});
    co_await send_cancel(target->host, target->port, target->server_key,
                         cfg_->server_connect_timeout);
}

session_outcome client_session::refuse(std::string_view code, std::string message) {
    refusal_bytes_.clear();
    protocol::write_report(refusal_bytes_, {protocol::severity::fatal, code, message});
    return session_outcome::refused;
}

asio::awaitable<void> client_session::send_refusal() {
    if (!refusal_bytes_.empty()) co_await write_all(client_, refusal_bytes_);
    refusal_bytes_.clear();
}

asio::awaitable<void> client_session::tell_client(std::string_view code, std::string message) {
    refuse(code, std::move(message));
    co_await send_refusal();
}

asio::awaitable<void> client_session::finish(session_outcome outcome) {
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
        case session_outcome::shutdown:
            log_info("closing session: pgrelay is shutting down",
                     {{"client", id_}, {"user", startup_.user}, {"db", startup_.database}});
            if (!client_mid_message_ && !client_write_pending_)
                co_await tell_client(sql::admin_shutdown,
                                     "terminating connection due to administrator command");
            break;
        case session_outcome::protocol_violation:
            log_info("protocol violation from client", {{"client", id_}});
            co_await tell_client(sql::protocol_violation, "invalid message length");
            break;
    }
    // A server still leased goes back only when it is idle and the client left cleanly.
    if (current_) {
        const bool clean =
            (outcome == session_outcome::client_closed || outcome == session_outcome::shutdown) &&
            !pinned_;
        drop_server(clean);
    }
    unpin();
    if (busy_) state_.busy_sessions.fetch_sub(1, std::memory_order_relaxed);
    busy_ = false;
    if (have_key_) state_.cancels.forget(client_key_);
    if (counted_) state_.clients.fetch_sub(1);
    flush_byte_counts();
    co_await client_.close();
}

}  // namespace pgrelay::proxy
