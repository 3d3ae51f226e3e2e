// What a session counts into the traffic statistics and how it shows itself in SHOW CLIENTS
// and SHOW SERVERS; see session.hpp.
#include "proxy/session.hpp"

namespace pgrelay::proxy {

void client_session::note_request_sent() {
    const auto now = clock::now();
    if (!query_started_) query_started_ = now;
    if (!transaction_started_) transaction_started_ = now;
    last_request_at_ = std::chrono::system_clock::now();
}

void client_session::note_ready_forwarded() {
    if (stats_ == nullptr) return;
    const auto now = clock::now();
    const auto route = static_cast<std::size_t>(lease_on_primary_ ? traffic_route::primary
                                                                  : traffic_route::standby);
    stats_->add(stats_->queries[route], 1);
    if (query_started_) {
        const auto took = now - *query_started_;
        stats_->add(stats_->query_us, whole_micros(took));
        state_.traffic.observe_query(took);
    }
    // A pipelined request still to answer starts its clock now.
    query_started_.reset();
    if (rfq_outstanding_ > 0) query_started_ = now;
    if (server_status_ == 'I') {
        stats_->add(stats_->transactions[route], 1);
        if (transaction_started_) {
            const auto took = now - *transaction_started_;
            stats_->add(stats_->transaction_us, whole_micros(took));
            state_.traffic.observe_transaction(took);
        }
        transaction_started_.reset();
    }
    flush_byte_counts();
}

void client_session::note_error(std::string_view sqlstate) {
    state_.traffic.count_error(sqlstate);
    if (stats_ != nullptr) stats_->add(stats_->errors, 1);
}

void client_session::note_waited(clock::duration waited) {
    state_.traffic.observe_wait(waited);
    if (stats_ != nullptr) stats_->add(stats_->wait_us, whole_micros(waited));
}

void client_session::note_conflict_retry() {
    state_.conflict_retries.fetch_add(1, std::memory_order_relaxed);
    if (stats_ != nullptr) stats_->add(stats_->conflict_retries, 1);
}

void client_session::flush_byte_counts() {
    if (stats_ == nullptr) return;
    stats_->add(stats_->bytes_received, client_.bytes_received - bytes_in_counted_);
    stats_->add(stats_->bytes_sent, client_.bytes_sent - bytes_out_counted_);
    bytes_in_counted_ = client_.bytes_received;
    bytes_out_counted_ = client_.bytes_sent;
}

void client_session::describe(runtime_view& out, const std::vector<std::string>& node_names) {
    const auto name_of = [&](std::size_t node) {
        return node < node_names.size() ? node_names[node] : std::string();
    };
    client_row c;
    c.id = std::stoull(id_);
    c.user = startup_.user;
    c.database = startup_.database;
    if (const auto* app = startup_.parameter("application_name")) c.application_name = *app;
    c.state = !ready_ ? "login" : current_ ? "active" : waiting_since_ ? "waiting" : "idle";
    error_code ec;
    const auto remote = client_.socket().remote_endpoint(ec);
    if (!ec) {
        c.address = remote.address().to_string();
        c.port = remote.port();
    }
    c.tls = client_.is_tls();
    c.connected = connected_at_;
    c.last_request = last_request_at_;
    if (waiting_since_) {
        c.waiting_for =
            std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - *waiting_since_);
    }
    c.pinned = pinned_.value_or("");
    c.pool_mode = std::string(to_string(mode_));
    if (current_) {
        c.node = name_of(current_->node);
        c.server_id = current_->id;
        server_row s = describe_server(
            *current_, std::chrono::system_clock::now() -
                           std::chrono::duration_cast<std::chrono::system_clock::duration>(
                               clock::now() - current_->created));
        s.node = c.node;
        s.database = lease_key_.database;
        s.user = lease_key_.user;
        s.state = "active";
        s.client_id = c.id;
        out.servers.push_back(std::move(s));
    }
    out.clients.push_back(std::move(c));
}

}  // namespace pgrelay::proxy
