// Client messages: routing at the start of each transaction, prepared statements renamed, local
// answers; see session.hpp.
#include "proxy/session.hpp"

namespace pgrelay::proxy {

asio::awaitable<session_outcome> client_session::client_to_server() {
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
            if (f.status == protocol::frame_status::message && f.type == protocol::fe::terminate) {
                co_await flush_to_server();
                co_return session_outcome::client_closed;
            }
            auto r = co_await handle_client_frame(f);
            update_busy();
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

asio::awaitable<void> client_session::flush_to_server() {
    if (sout_.empty() || !current_ || lease_broken_) {
        sout_.clear();
        co_return;
    }
    c2s_writing_ = true;
    auto* server = current_.get();
    note_request_sent();
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

asio::awaitable<void> client_session::maybe_release() {
    if (!releasable()) co_return;
    release_requested_ = true;
    error_code ignored;
    current_->link.socket.socket().cancel(ignored);
    co_return;
}

asio::awaitable<std::optional<session_outcome>> client_session::handle_client_frame(
    const protocol::frame& f) {
    if (control().paused && session_idle() && !skip_until_sync_) co_await wait_while_paused();
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

asio::awaitable<std::optional<session_outcome>> client_session::on_chunk(const protocol::frame& f) {
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

bool client_session::book_first_chunk(const protocol::frame& f) {
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

void client_session::push_and_copy(request_kind kind, const protocol::frame& f, std::uint32_t tag) {
    tracker_.push({kind, false, tag});
    if (kind == request_kind::sync || kind == request_kind::query ||
        kind == request_kind::function_call)
        ++rfq_outstanding_;
    sout_.insert(sout_.end(), f.raw.begin(), f.raw.end());
}

asio::awaitable<bool> client_session::start_transaction(route_request request,
                                                        const protocol::frame* extended) {
    if (deferred_failure_) {
        co_await answer_error(deferred_failure_->first, deferred_failure_->second,
                              extended != nullptr);
        deferred_failure_.reset();
        co_return false;
    }
    refresh_config();
    auto leased = co_await lease(request, std::nullopt, cfg_->pool.primary_wait_timeout);
    if (!leased.ok) {
        std::string message = leased.message;
        if (!leased.server_error.empty()) {
            auto fields =
                protocol::parse_error_fields(protocol::byte_view(leased.server_error).subspan(5));
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

asio::awaitable<void> client_session::answer_error(std::string_view code,
                                                   const std::string& message, bool extended) {
    protocol::bytes out;
    protocol::write_report(out, {protocol::severity::error, code, message});
    note_error(code);
    if (!extended) {
        protocol::write_ready_for_query(out, virtual_status());
    } else {
        skip_until_sync_ = true;
    }
    co_await write_all(client_, out);
}

asio::awaitable<std::optional<session_outcome>> client_session::answer_locally_ready() {
    protocol::bytes out;
    protocol::write_ready_for_query(out, virtual_status());
    if (co_await write_all(client_, out)) co_return session_outcome::client_closed;
    co_return std::nullopt;
}

asio::awaitable<std::optional<session_outcome>> client_session::answer_locally(std::string_view tag,
                                                                               char status) {
    protocol::bytes out;
    protocol::write_command_complete(out, tag);
    protocol::write_ready_for_query(out, status);
    if (co_await write_all(client_, out)) co_return session_outcome::client_closed;
    co_return std::nullopt;
}

lexer_options client_session::lexing() const {
    auto it = client_view_.find("standard_conforming_strings");
    return {it == client_view_.end() || it->second != "off"};
}

void client_session::note_read_only_setting(std::string_view text) {
    // SET default_transaction_read_only = on / true / 1 / yes (quoted or not).
    auto info = worker_.classifier.classify(text, lexing());
    if (info.statements.empty()) return;
    session_read_only_ = info.statements.front().access == access_mode::read_only;
}

route_request client_session::request_for(const query_info& q, bool explicit_tx,
                                          access_mode begin_access) const {
    return plan_transaction(q, explicit_tx, begin_access,
                            {routing_, route_pref_, session_read_only_});
}

void client_session::note_statements(const query_info& q) {
    for (const auto& s : q.statements) {
        const bool read_only_name = s.name == "default_transaction_read_only";
        if ((s.kind == statement_kind::set || s.kind == statement_kind::set_config) &&
            read_only_name && !s.is_local)
            session_read_only_ = s.access == access_mode::read_only;
        if (s.kind == statement_kind::reset && read_only_name) session_read_only_ = false;
        if (s.kind == statement_kind::set_session_characteristics &&
            s.access != access_mode::unspecified)
            session_read_only_ = s.access == access_mode::read_only;
        const bool forgets_all =
            (s.kind == statement_kind::discard && s.discard == discard_target::all) ||
            (s.kind == statement_kind::deallocate && s.all);
        if (forgets_all) {
            // The server drops every prepared statement, pgrelay's shared ones included.
            statements_.clear();
            if (current_) current_->prepared.clear();
        }
    }
}

std::optional<std::string> client_session::admit_statements(const query_info& q) {
    if (mode_ == pool_mode::transaction && !pinned_ && current_) {
        for (const auto& s : q.statements) {
            const auto why = pin_reason(s);
            if (!why) continue;
            const std::uint32_t limit = cfg_->max_pinned_for(startup_.database);
            if (!state_.pins.try_pin(current_->node, startup_.database, limit)) {
                std::string text(s.text.substr(0, 80));
                if (text.size() < s.text.size()) text += "...";
                return "too many pinned clients: \"" + text +
                       "\" would pin this client to a server connection (" + std::string(*why) +
                       "); database \"" + startup_.database + "\" allows " + std::to_string(limit) +
                       " pinned client(s) per node (max_pinned_fraction " +
                       format_fraction(cfg_->max_pinned_fraction_for(startup_.database)) +
                       " of pool size " + std::to_string(cfg_->pool_size_for(startup_.database)) +
                       ") and node \"" + node_name(current_->node) + "\" has them already";
            }
            pinned_ = std::string(*why);
            pin_node_ = current_->node;
            log_debug("client pinned to its server", {{"client", id_}, {"reason", *pinned_}});
            break;
        }
    }
    for (const auto& s : q.statements)
        settings_.statement_sent(s);
    return std::nullopt;
}

void client_session::send_refusal_query(const std::string& message) {
    protocol::write_query(sout_, raise_error_sql(sql::configuration_limit_exceeded, message));
    tracker_.push({request_kind::query, false, 0});
    ++rfq_outstanding_;
    retry_armed_ = false;
}

void client_session::send_refusal_execute(const std::string& message) {
    // Through the unnamed statement and portal: the client's are re-parsed when needed.
    protocol::write_parse(sout_, "", raise_error_sql(sql::configuration_limit_exceeded, message),
                          protocol::byte_view(empty_types_));
    tracker_.push({request_kind::parse, true, 0});
    protocol::write_bind_without_parameters(sout_, "", "");
    tracker_.push({request_kind::bind, true, 0});
    protocol::write_execute(sout_, "", 0);
    tracker_.push({request_kind::execute, false, 0});
    unnamed_on_ = 0;
}

std::uint32_t client_session::tag_for(std::unique_ptr<query_effects> fx, std::string parsed) {
    const std::uint32_t tag = next_tag_++;
    if (next_tag_ == 0) next_tag_ = 1;
    tags_[tag] = request_tag{std::move(fx), std::move(parsed)};
    return tag;
}

asio::awaitable<std::optional<session_outcome>> client_session::on_query(const protocol::frame& f) {
    protocol::byte_reader reader(f.body());
    const std::string_view text = reader.cstring();
    auto info = worker_.classifier.classify(text, lexing());
    route_sql_execute(info);

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
        } else if (!explicit_tx && info.statements.size() == 1 && info.route == route_class::read &&
                   !lease_on_primary_ && cfg_->routing.retry_recovery_conflicts) {
            // A lone read on a standby: retried once elsewhere on a recovery conflict.
            retry_query_.assign(f.raw.begin(), f.raw.end());
            retry_armed_ = true;
        }
    }
    note_statements(info);
    if (auto refusal = admit_statements(info)) {
        send_refusal_query(*refusal);
        co_return std::nullopt;
    }
    std::uint32_t tag = 0;
    if (has_session_effects(info)) {
        auto fx = std::make_unique<query_effects>();
        fx->sql = std::string(text);
        fx->info = worker_.classifier.classify(fx->sql, lexing());
        tag = tag_for(std::move(fx));
    }
    push_and_copy(request_kind::query, f, tag);
    // RESET returns the server to its defaults; the client's startup values follow at once.
    std::string restore;
    for (const auto& s : info.statements) {
        const std::string sql = settings_.baseline_restore_sql(s);
        if (sql.empty()) continue;
        if (!restore.empty()) restore += "; ";
        restore += sql;
    }
    if (!restore.empty()) {
        protocol::write_query(sout_, restore);
        tracker_.push({request_kind::query, true, 0});
        restore_pending_ = true;
    }
    co_return std::nullopt;
}

void client_session::route_sql_execute(query_info& q) const {
    if (q.statements.size() != 1 || q.statements[0].kind != statement_kind::execute) return;
    const std::string name = identifier_value(q.statements[0].object);
    for (const auto& p : settings_.prepared()) {
        if (p.name != name) continue;
        const auto prepared = worker_.classifier.classify(p.sql, lexing());
        if (prepared.statements.size() == 1) {
            q.statements[0].route = prepared.statements[0].route;
            q.route = prepared.statements[0].route;
        }
        return;
    }
}

bool client_session::deallocates_protocol_statements(const query_info& q) const {
    for (const auto& st : q.statements) {
        if (st.all) {
            if (!settings_.prepared().empty()) return false;
            continue;
        }
        if (!statements_.contains(identifier_value(st.object))) return false;
    }
    return true;
}

asio::awaitable<void> client_session::answer_error_now(std::string_view code, std::string message) {
    protocol::bytes out;
    protocol::write_report(out, {protocol::severity::error, code, message});
    protocol::write_ready_for_query(out, virtual_status());
    co_await write_all(client_, out);
}

void client_session::send_held_begin() {
    auto fx = std::make_unique<query_effects>();
    fx->sql = held_begin_;
    fx->info = worker_.classifier.classify(fx->sql, lexing());
    const auto tag = tag_for(std::move(fx));
    protocol::write_query(sout_, held_begin_);
    tracker_.push({request_kind::query, true, tag});
    held_begin_.clear();
    held_begin_access_ = access_mode::unspecified;
}

asio::awaitable<bool> client_session::ensure_server(const query_info* q, const protocol::frame& f) {
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

void client_session::ensure_prepared(const statement_ptr& stmt) {
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

void client_session::ensure_unnamed() {
    // The unnamed statement lives on one server only; a new lease needs it parsed again.
    if (!unnamed_ || unnamed_on_ == current_->id) return;
    protocol::write_parse(sout_, "", unnamed_->sql, unnamed_->parameter_types);
    tracker_.push({request_kind::parse, true, 0});
    unnamed_on_ = current_->id;
}

asio::awaitable<std::optional<session_outcome>> client_session::on_parse(const protocol::frame& f) {
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
        protocol::write_parse(sout_, existing->second->server_name, pv->query, pv->parameter_types);
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

asio::awaitable<std::optional<session_outcome>> client_session::on_bind(const protocol::frame& f) {
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

asio::awaitable<std::optional<session_outcome>> client_session::on_describe(
    const protocol::frame& f) {
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

asio::awaitable<std::optional<session_outcome>> client_session::on_close(const protocol::frame& f) {
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

asio::awaitable<std::optional<session_outcome>> client_session::on_execute(
    const protocol::frame& f) {
    statement_ptr stmt;
    if (auto portal = protocol::parse_execute(f.body())) {
        if (auto it = portals_.find(*portal); it != portals_.end()) stmt = it->second;
    }
    if (!co_await ensure_server(stmt ? &stmt->info : nullptr, f)) co_return std::nullopt;
    std::uint32_t tag = 0;
    if (stmt) {
        note_statements(stmt->info);
        if (auto refusal = admit_statements(stmt->info)) {
            send_refusal_execute(*refusal);
            co_return std::nullopt;
        }
        if (has_session_effects(stmt->info)) {
            auto fx = std::make_unique<query_effects>();
            fx->stmt = stmt;
            tag = tag_for(std::move(fx));
        }
    }
    push_and_copy(request_kind::execute, f, tag);
    co_return std::nullopt;
}

}  // namespace pgrelay::proxy
