// Server replies: the books kept per reply, recovery-conflict retries, lost leases, the idle
// timeout; see session.hpp.
#include "proxy/session.hpp"

namespace pgrelay::proxy {

asio::awaitable<session_outcome> client_session::server_to_client() {
    while (true) {
        if (!current_) {
            co_await s2c_wake_.async_wait(use_nothrow);
            continue;
        }
        auto r = co_await relay_lease();
        if (r) co_return *r;
    }
}

asio::awaitable<std::optional<session_outcome>> client_session::relay_lease() {
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
                    chunk_forwarded =
                        tracker_.on_server_message(static_cast<std::uint8_t>(f.type)).forward;
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
        update_busy();
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

bool client_session::on_server_message(const protocol::frame& f) {
    const auto type = static_cast<std::uint8_t>(f.type);
    if (f.type == protocol::be::parameter_status) {
        tracker_.on_server_message(type);
        auto p = protocol::parse_parameter_status(f.body());
        if (!p) return false;
        current_->reported[std::string(p->name)] = std::string(p->value);
        if (tracker_.head() && tracker_.head()->hidden) {
            // pgrelay's own statements: the client hears the outcome once they are done.
            report_pending_ = true;
            return false;
        }
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
        if (step.forward) note_error(fields ? std::string_view(fields->sqlstate) : "");
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
                protocol::write_report(out, {protocol::severity::error, fields->sqlstate, message});
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
        if (step.finished.hidden ||
            (!step.ends_request && tracker_.head() && tracker_.head()->hidden)) {
            current_->applied_known = false;
            current_->sql_prepared_known = false;
        }
    } else if (f.type == protocol::be::command_complete) {
        note_command_complete(f, step);
    }
    const bool is_ready = f.type == protocol::be::ready_for_query && f.length == 5;
    // The client's ReadyForQuery waits for the startup values restored after its RESET, so
    // that it has heard their ParameterStatus when its query returns.
    const bool hold_ready = is_ready && step.forward && restore_pending_;
    if (hold_ready) {
        held_ready_.assign(f.raw.begin(), f.raw.end());
        restore_pending_ = false;
    } else if (step.forward) {
        append_to_client(f.raw);
    }
    if (is_ready) {
        server_status_ = static_cast<char>(f.body()[0]);
        settings_.ready(server_status_);
        if (rfq_outstanding_ > 0 && step.forward && !hold_ready) --rfq_outstanding_;
        if (step.forward) {
            client_status_ = server_status_;
            idle_since_ = clock::now();
            if (!hold_ready) note_ready_forwarded();
        }
        if (step.ends_request) tags_.erase(step.finished.tag);
        if (settings_.take_server_reset()) current_->applied_known = false;
        if (server_status_ == 'I') settle_pin();
        if (step.ends_request && step.finished.hidden) {
            protocol::bytes out;
            report_parameters(out);
            if (!held_ready_.empty()) {
                out.insert(out.end(), held_ready_.begin(), held_ready_.end());
                held_ready_.clear();
                if (rfq_outstanding_ > 0) --rfq_outstanding_;
            }
            append_to_client(out);
        }
        return step.idle;
    }
    if (step.ends_request && step.finished.tag != 0) tags_.erase(step.finished.tag);
    return false;
}

void client_session::note_command_complete(const protocol::frame& f,
                                           const protocol::reply_step& step) {
    // The request the CommandComplete belongs to: the head (a query) or the one it ended.
    const protocol::request* r = step.ends_request ? &step.finished : tracker_.head();
    if (!r || r->tag == 0) return;
    auto it = tags_.find(r->tag);
    if (it == tags_.end() || !it->second.fx) return;
    auto& fx = *it->second.fx;
    const auto& q = fx.query();
    if (fx.next >= q.statements.size()) return;
    const auto& statement = q.statements[fx.next];
    auto tag = protocol::parse_command_complete(f.body());
    settings_.statement_done(statement, tag ? *tag : std::string_view{});
    // RESET takes the server connection back to its own startup value, which is not what
    // the books say it has: the next lease starts it afresh.
    if (statement.kind == statement_kind::reset) current_->applied_known = false;
    ++fx.next;
}

void client_session::append_to_client(protocol::byte_view raw) {
    auto& out = holding_ ? hold_ : cout_;
    out.insert(out.end(), raw.begin(), raw.end());
}

bool client_session::on_retry_candidate_message(const protocol::frame& f) {
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

void client_session::release_hold() {
    if (holding_ || !hold_.empty()) {
        cout_.insert(cout_.end(), hold_.begin(), hold_.end());
        hold_.clear();
    }
    holding_ = false;
    retry_armed_ = false;
}

asio::awaitable<std::optional<session_outcome>> client_session::retry_elsewhere() {
    const std::size_t from = current_->node;
    retry_armed_ = false;
    retry_swallow_ = false;
    log_info("retrying a read cancelled by a recovery conflict",
             {{"client", id_}, {"node", node_name(from)}});
    note_conflict_retry();
    release_server();
    auto leased = co_await lease(route_request{false, route_preference::standby}, from,
                                 cfg_->server_connect_timeout);
    if (!leased.ok) {
        leased =
            co_await lease(route_request{true, std::nullopt}, from, cfg_->server_connect_timeout);
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

asio::awaitable<std::optional<session_outcome>> client_session::lease_lost(bool mid_message) {
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
    // Requests the client still waits for; extended ones without their Sync yet mean the
    // client's coming Sync must be answered (as PostgreSQL skips to Sync after an error).
    const bool waiting = !tracker_.idle();
    const std::uint32_t ready_owed = rfq_outstanding_;
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
    for (std::uint32_t i = 0; i < ready_owed; ++i)
        protocol::write_ready_for_query(out, 'I');
    rfq_outstanding_ = 0;
    client_status_ = 'I';
    skip_until_sync_ = ready_owed == 0;
    if (co_await write_all(client_, out)) co_return session_outcome::client_closed;
    co_return std::nullopt;
}

asio::awaitable<std::optional<session_outcome>> client_session::read_or_idle_timeout() {
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

bool client_session::session_idle() const {
    if (!held_begin_.empty()) return false;
    if (!current_) return true;
    return tracker_.idle() && client_status_ == 'I';
}

}  // namespace pgrelay::proxy
