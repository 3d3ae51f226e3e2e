// Per-worker server connection pools; see server_pool.hpp.
#include "proxy/server_pool.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>

#include "protocol/sqlstate.hpp"
#include "proxy/config.hpp"

namespace pgrelay::proxy {

namespace {

using clock = std::chrono::steady_clock;

void close_server(pooled_server& s) {
    auto& socket = s.link.socket.socket();
    if (!socket.is_open()) return;
    error_code ignored;
    // Best effort and non-blocking: an idle socket's send buffer is empty. Over TLS the
    // socket is just closed (Terminate would have to be encrypted, which needs a wait).
    if (!s.link.socket.is_tls()) {
        protocol::bytes bye;
        protocol::write_terminate(bye);
        socket.non_blocking(true, ignored);
        socket.send(asio::buffer(bye), 0, ignored);
    }
    socket.close(ignored);
}

bool expired(const pooled_server& s, const pool_limits& limits, clock::time_point now) {
    return limits.lifetime.count() > 0 && now - s.created >= limits.lifetime;
}

}  // namespace

bool idle_connection_alive(tcp::socket& socket) {
    if (!socket.is_open()) return false;
    std::uint8_t byte = 0;
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return false;  // EOF
    if (n > 0) return false;   // the server spoke while idle (FATAL before closing)
    return errno == EAGAIN || errno == EWOULDBLOCK;
}

namespace {

// Server connection ids are unique across workers (SHOW SERVERS lists them together).
std::uint64_t next_server_id() {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

asio::awaitable<acquire_result> server_pools::acquire(const pool_key& key,
                                                      const server_endpoint& endpoint,
                                                      const server_login& login,
                                                      const pool_limits& limits) {
    auto& p = pools_[key];
    p.limits = limits;
    p.max_size = std::max<std::size_t>(1, limits.max_size);
    if (limits.min_size > 0) {
        p.endpoint = endpoint;
        p.login = login;
    }
    const auto deadline = clock::now() + limits.wait_timeout;
    while (true) {
        while (!p.idle.empty()) {
            server_ptr s = std::move(p.idle.back());
            p.idle.pop_back();
            if (!expired(*s, limits, clock::now()) && s->link.buffer.empty() &&
                idle_connection_alive(s->link.socket.socket()))
                co_return s;
            close_server(*s);
            --p.total;
        }
        if (p.total < p.max_size) {
            ++p.total;
            auto opened = co_await open_server(endpoint, login, limits.connect_timeout);
            if (auto* f = std::get_if<server_failure>(&opened)) {
                --p.total;
                wake_one(p);
                co_return acquire_failure{f->sqlstate, std::move(f->message),
                                          std::move(f->server_error)};
            }
            auto s = std::make_unique<pooled_server>(std::move(std::get<server_link>(opened)));
            s->node = key.node;
            s->id = next_server_id();
            for (const auto& [name, value] : s->link.parameters)
                s->reported[name] = value;
            co_return s;
        }
        // Full: wait for a connection to come back (or for room to open one).
        waiter w(executor_);
        if (limits.wait_timeout.count() > 0) {
            const auto left = deadline - clock::now();
            if (left <= clock::duration::zero()) break;
            w.timer.expires_after(left);
        } else {
            w.timer.expires_at(clock::time_point::max());
        }
        auto it = p.waiters.insert(p.waiters.end(), &w);
        co_await w.timer.async_wait(use_nothrow);
        p.waiters.erase(it);
        if (w.handed) co_return std::move(w.handed);
        if (w.may_open) continue;
        break;  // the timer expired
    }
    co_return acquire_failure{
        protocol::sqlstate::too_many_connections,
        "no server connection available for database \"" + key.database + "\" user \"" + key.user +
            "\" on node \"" + endpoint.name + "\" within query_wait_timeout (" +
            seconds_text(limits.wait_timeout) + " s): all " + std::to_string(p.max_size) +
            " connections of this worker's pool are busy; raise pool.default_pool_size",
        {}};
}

void server_pools::wake_one(pool& p) {
    for (auto* w : p.waiters) {
        if (w->handed || w->may_open) continue;
        w->may_open = true;
        w->timer.cancel();
        return;
    }
}

void server_pools::release(const pool_key& key, server_ptr server, bool reusable) {
    auto& p = pools_[key];
    if (reusable && server->link.socket.is_open() && !expired(*server, p.limits, clock::now())) {
        for (auto* w : p.waiters) {
            if (w->handed || w->may_open) continue;
            w->handed = std::move(server);
            w->timer.cancel();
            return;
        }
        server->released = clock::now();
        p.idle.push_back(std::move(server));
        return;
    }
    close_server(*server);
    if (p.total > 0) --p.total;
    wake_one(p);
}

void server_pools::prune(const std::vector<bool>& closing_nodes) {
    const auto now = clock::now();
    for (auto& [key, p] : pools_) {
        const bool node_closing = key.node < closing_nodes.size() && closing_nodes[key.node];
        // Oldest released first.
        for (auto it = p.idle.begin(); it != p.idle.end();) {
            auto& s = **it;
            const bool idle_too_long = p.limits.idle_timeout.count() > 0 &&
                                       now - s.released >= p.limits.idle_timeout &&
                                       p.total > p.limits.min_size;
            if (node_closing || idle_too_long || expired(s, p.limits, now) ||
                !idle_connection_alive(s.link.socket.socket())) {
                close_server(s);
                --p.total;
                it = p.idle.erase(it);
                wake_one(p);
            } else {
                ++it;
            }
        }
    }
}

asio::awaitable<void> server_pools::fill_to_minimum(const std::vector<bool>& closing_nodes) {
    for (auto& [key, p] : pools_) {
        const bool node_closing = key.node < closing_nodes.size() && closing_nodes[key.node];
        if (node_closing || !p.login || !p.endpoint) continue;
        const auto target = std::min(p.limits.min_size, p.max_size);
        if (p.total >= target) continue;
        ++p.total;
        // Copies: the pool's login may change while this one is being opened.
        const server_endpoint endpoint = *p.endpoint;
        const server_login login = *p.login;
        auto opened = co_await open_server(endpoint, login, p.limits.connect_timeout);
        if (std::holds_alternative<server_failure>(opened)) {
            --p.total;
            wake_one(p);
            continue;
        }
        auto s = std::make_unique<pooled_server>(std::move(std::get<server_link>(opened)));
        s->node = key.node;
        s->id = next_server_id();
        for (const auto& [name, value] : s->link.parameters)
            s->reported[name] = value;
        // Handed to a waiting transaction first, like any released connection.
        release(key, std::move(s), true);
    }
}

void server_pools::describe(runtime_view& out, const std::vector<std::string>& node_names) {
    const auto now = clock::now();
    const auto wall_now = std::chrono::system_clock::now();
    for (const auto& [key, p] : pools_) {
        const std::string node = key.node < node_names.size() ? node_names[key.node] : "";
        pool_row row;
        row.database = key.database;
        row.user = key.user;
        row.node = node;
        row.node_index = key.node;
        row.clients_waiting = p.waiters.size();
        row.servers_idle = p.idle.size();
        // Leased ones are counted by the sessions that hold them; the rest is opening.
        row.servers_opening = p.total - p.idle.size();
        row.max_size = p.max_size;
        for (const waiter* w : p.waiters) {
            row.longest_wait =
                std::max(row.longest_wait,
                         std::chrono::duration_cast<std::chrono::milliseconds>(now - w->since));
        }
        out.pools.push_back(std::move(row));
        for (const auto& s : p.idle) {
            server_row r = describe_server(*s, wall_now - (now - s->created));
            r.node = node;
            r.database = key.database;
            r.user = key.user;
            r.state = "idle";
            out.servers.push_back(std::move(r));
        }
    }
}

server_row describe_server(pooled_server& s, std::chrono::system_clock::time_point connected) {
    server_row r;
    r.id = s.id;
    error_code ec;
    const auto remote = s.link.socket.socket().remote_endpoint(ec);
    if (!ec) {
        r.address = remote.address().to_string();
        r.port = remote.port();
    }
    r.backend_pid = s.link.key.process_id;
    r.tls = s.link.socket.is_tls();
    r.connected = connected;
    return r;
}

pool_counts server_pools::counts(const pool_key& key) const {
    auto it = pools_.find(key);
    if (it == pools_.end()) return {};
    return {it->second.idle.size(), it->second.total, it->second.waiters.size()};
}

}  // namespace pgrelay::proxy
