// Routing a transaction, leasing and giving back its server, and the topology watch; see
// session.hpp.
#include "proxy/session.hpp"

namespace pgrelay::proxy {

std::shared_ptr<const health::topology> client_session::current_topology() const {
    thread_local health::snapshot_cell<health::topology>::reader reader;
    return state_.topology->read(reader);
}

const control_state& client_session::control() const {
    thread_local health::snapshot_cell<control_state>::reader reader;
    return *state_.control.read(reader);
}

void client_session::refresh_config() {
    thread_local health::snapshot_cell<config>::reader reader;
    const auto& now = state_.configuration.read(reader);
    if (now == cfg_) return;
    cfg_ = now;  // the pool mode and routing mode stay as at login
    router_settings_ = routing_settings();
    pool_limits_ = session_pool_limits();
}

std::string client_session::node_name(std::size_t node) const {
    return node < cfg_->nodes.size() ? cfg_->nodes[node].name : "?";
}

std::string client_session::primary_absence_reason() const {
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

router_settings client_session::routing_settings() const {
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

asio::awaitable<client_session::lease_result> client_session::lease(
    route_request request, std::optional<std::size_t> exclude, std::chrono::milliseconds wait) {
    auto& cell = *state_.topology;
    const auto deadline = clock::now() + wait;
    const auto& settings = router_settings_;
    std::vector<node_load> loads;
    std::vector<bool> unreachable(cfg_->nodes.size(), false);
    std::string last_error;
    while (true) {
        refresh_config();  // a reload may have added the node the topology now offers
        const auto changes = cell.changes();
        auto t = current_topology();
        if (worker_.loads.size() < t->nodes.size()) worker_.loads.resize(t->nodes.size());
        if (unreachable.size() < t->nodes.size()) unreachable.resize(t->nodes.size(), false);
        std::span<const node_load> use = worker_.loads;
        const control_state& operators = control();
        const bool operator_disabled = operators.any_disabled();
        if (exclude || !last_error.empty() || operator_disabled) {
            loads = worker_.loads;
            for (std::size_t i = 0; i < loads.size(); ++i)
                loads[i].disabled = loads[i].disabled || unreachable[i] || exclude == i ||
                                    (operator_disabled && operators.is_disabled(i));
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
            co_return lease_result{false,
                                   sql::connection_failure,
                                   "no readable standby for a read (routing.primary_reads = "
                                   "never): " +
                                       primary_absence_reason(),
                                   {}};
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

bool client_session::node_unavailable(const lease_result& r) {
    if (r.server_error.empty()) return r.sqlstate == sql::connection_failure;
    auto fields = protocol::parse_error_fields(protocol::byte_view(r.server_error).subspan(5));
    return fields && fields->sqlstate.starts_with("57P");
}

asio::awaitable<client_session::lease_result> client_session::lease_on(route_decision decision) {
    const auto& node = cfg_->nodes[decision.node];
    const auto tls = state_.tls.load();  // a reload publishes it before the config
    const server_endpoint endpoint{node.name, node.host, node.port, tls->servers.at(decision.node)};
    const pool_key key{decision.node, startup_.database, startup_.user};
    const auto& limits = pool_limits_;
    waiting_since_ = clock::now();
    auto got = co_await worker_.pools.acquire(key, endpoint, login_, limits);
    note_waited(clock::now() - *waiting_since_);
    waiting_since_.reset();
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
    log_debug("server leased", {{"client", id_},
                                {"node", node.name},
                                {"server_pid", std::to_string(current_->link.key.process_id)}});
    lease_key_ = key;
    lease_on_primary_ = decision.on_primary;
    lease_broken_ = false;
    lease_unknown_ = false;
    release_requested_ = false;
    server_status_ = 'I';
    tracker_.clear();
    rfq_outstanding_ = 0;
    restore_pending_ = false;
    held_ready_.clear();
    ++worker_.loads[decision.node].outstanding;
    if (state_.leases) state_.leases[decision.node].fetch_add(1, std::memory_order_relaxed);
    if (have_key_) set_cancel_target();
    s2c_wake_.cancel();
    co_return lease_result{true, {}, {}, {}};
}

pool_limits client_session::session_pool_limits() const {
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

void client_session::set_cancel_target() {
    if (!current_) {
        state_.cancels.clear_target(client_key_);
        return;
    }
    const auto& node = cfg_->nodes[current_->node];
    state_.cancels.set_target(client_key_, {node.host, node.port, current_->link.key});
}

void client_session::drop_server(bool reusable) {
    if (!current_) return;
    auto& load = worker_.loads[current_->node].outstanding;
    if (load > 0) --load;
    if (state_.leases) state_.leases[current_->node].fetch_sub(1, std::memory_order_relaxed);
    reusable = reusable && !lease_broken_ && !lease_unknown_ && current_->link.buffer.empty() &&
               tracker_.idle() && server_status_ == 'I';
    // What the client's own statements left on the connection: its settings as they stand
    // (a RESET or RESET ALL seen during the lease has already marked them unknown).
    log_debug("server released", {{"client", id_},
                                  {"node", node_name(current_->node)},
                                  {"server_pid", std::to_string(current_->link.key.process_id)},
                                  {"reusable", reusable ? "true" : "false"}});
    if (reusable && !settings_.unknown()) current_->applied = settings_.current();
    if (reusable) current_->sql_prepared = settings_.prepared();
    worker_.pools.release(lease_key_, std::move(current_), reusable);
    current_.reset();
    tags_.clear();
    portals_.clear();
    if (have_key_) state_.cancels.clear_target(client_key_);
    c2s_wake_.cancel();
}

bool client_session::releasable() const {
    return current_ && mode_ == pool_mode::transaction && !pinned_ && tracker_.idle() &&
           server_status_ == 'I' && !c2s_writing_ && !retrying_ && !lease_broken_ &&
           !lease_unknown_;
}

void client_session::prepare_leased_server(protocol::bytes& to_server, protocol::bytes& to_client) {
    auto& s = *current_;
    std::string text =
        reconcile_sql(s.applied_known ? s.applied : std::vector<setting>{}, settings_.current());
    if (!s.applied_known) text = text.empty() ? "RESET ALL" : "RESET ALL; " + text;
    bool hidden = false;
    if (!text.empty()) {
        protocol::write_query(to_server, text);
        tracker_.push({request_kind::query, true, 0});
        s.applied = settings_.current();
        s.applied_known = true;
        hidden = true;
    }
    // SQL-prepared statements in a query of their own: one that fails cannot undo the SETs.
    std::string prepares = reconcile_prepared_sql(
        s.sql_prepared_known ? s.sql_prepared : std::vector<setting>{}, settings_.prepared());
    if (!s.sql_prepared_known) {
        // DEALLOCATE ALL drops pgrelay's protocol-level statements too.
        prepares = prepares.empty() ? "DEALLOCATE ALL" : "DEALLOCATE ALL; " + prepares;
        s.prepared.clear();
    }
    if (!prepares.empty()) {
        protocol::write_query(to_server, prepares);
        tracker_.push({request_kind::query, true, 0});
        s.sql_prepared = settings_.prepared();
        s.sql_prepared_known = true;
        hidden = true;
    }
    // What the hidden queries report reaches the client when they are done.
    report_pending_ = true;
    if (!hidden) report_parameters(to_client);
}

void client_session::report_parameters(protocol::bytes& out) {
    if (!report_pending_ || !current_) return;
    report_pending_ = false;
    for (const auto& [name, value] : current_->reported) {
        auto it = client_view_.find(name);
        if (it != client_view_.end() && it->second == value) continue;
        protocol::write_parameter_status(out, name, value);
        client_view_[name] = value;
    }
}

void client_session::settle_pin() {
    if (mode_ != pool_mode::transaction || !current_) return;
    if (settings_.pinned()) {
        if (!pinned_) {
            state_.pins.pin(current_->node, startup_.database);
            pin_node_ = current_->node;
        }
        pinned_ = settings_.pinned_by();
    } else if (pinned_) {
        log_debug("client unpinned", {{"client", id_}, {"was", *pinned_}});
        unpin();
    }
}

void client_session::unpin() {
    if (!pinned_) return;
    state_.pins.unpin(pin_node_, startup_.database);
    pinned_.reset();
}

asio::awaitable<session_outcome> client_session::relay() {
    using namespace asio::experimental::awaitable_operators;
    auto r =
        co_await (client_to_server() || server_to_client() || watch_topology() || watch_control());
    co_return std::visit([](auto o) { return o; }, r);
}

asio::awaitable<void> client_session::wait_while_paused() {
    auto& cell = state_.control;
    while (true) {
        const auto changes = cell.changes();
        const control_state& now = control();
        if (!now.paused || now.shutting_down) co_return;
        co_await cell.wait_change(changes);
    }
}

void client_session::update_busy() {
    const bool busy = !session_idle();
    if (busy == busy_) return;
    busy_ = busy;
    state_.busy_sessions.fetch_add(busy ? 1 : -1, std::memory_order_relaxed);
}

asio::awaitable<session_outcome> client_session::watch_control() {
    auto& cell = state_.control;
    while (true) {
        const auto changes = cell.changes();
        const auto control = cell.load();
        if (!control || !control->shutting_down) {
            co_await cell.wait_change(changes);
            continue;
        }
        if (session_idle() && !client_write_pending_) co_return session_outcome::shutdown;
        if (clock::now() >= control->cut_at) co_return session_outcome::shutdown;
        // A transaction is running: look again shortly (its end is not signalled here).
        asio::steady_timer tick(co_await asio::this_coro::executor, std::chrono::milliseconds(20));
        co_await tick.async_wait(use_nothrow);
    }
}

asio::awaitable<session_outcome> client_session::watch_topology() {
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

void client_session::break_lease(std::string_view code, std::string message) {
    if (!current_ || lease_broken_) return;
    lease_broken_ = true;
    broken_code_ = code;
    broken_message_ = std::move(message);
    error_code ignored;
    current_->link.socket.socket().cancel(ignored);
    current_->link.socket.socket().close(ignored);
    s2c_wake_.cancel();
}

asio::awaitable<void> client_session::wait_for_server_side() {
    while (retrying_ || (current_ && lease_broken_))
        co_await c2s_wake_.async_wait(use_nothrow);
}

}  // namespace pgrelay::proxy
