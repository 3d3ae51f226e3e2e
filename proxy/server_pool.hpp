// The server connections of one worker thread, pooled per (node, database, user): idle
// connections ready for reuse, a bound on how many exist, a queue of transactions waiting
// for one, and the upkeep (idle timeout, lifetime, nodes that lost their role). Per worker:
// a connection belongs to its worker's event loop, so nothing here needs a lock.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "proxy/runtime_view.hpp"
#include "proxy/server_connection.hpp"
#include "proxy/session_settings.hpp"

namespace pgrelay::proxy {

struct prepared_statement;

// A server connection with what pgrelay knows of its session.
struct pooled_server {
    explicit pooled_server(server_link l) : link(std::move(l)) {}
    server_link link;
    std::size_t node = 0;
    std::uint64_t id = 0;
    std::vector<setting> applied;  // the settings pgrelay has put in effect on it
    bool applied_known = true;     // false: RESET ALL before applying anything
    // SQL-prepared statements of the client that used it last (name, PREPARE text).
    std::vector<setting> sql_prepared;
    bool sql_prepared_known = true;  // false: DEALLOCATE ALL before preparing anything
    // ParameterStatus values as the server last reported them.
    std::map<std::string, std::string, std::less<>> reported;
    // Statements prepared on it, by server-side name.
    std::unordered_map<std::string, std::shared_ptr<const prepared_statement>> prepared;
    std::chrono::steady_clock::time_point created = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point released = created;
};

using server_ptr = std::unique_ptr<pooled_server>;

struct pool_key {
    std::size_t node = 0;
    std::string database;
    std::string user;
    friend bool operator<(const pool_key& a, const pool_key& b) {
        return std::tie(a.node, a.database, a.user) < std::tie(b.node, b.database, b.user);
    }
};

struct pool_limits {
    std::size_t max_size = 20;  // this worker's share
    std::size_t min_size = 0;
    std::chrono::milliseconds idle_timeout{0};  // 0 = off
    std::chrono::milliseconds lifetime{0};      // 0 = off
    std::chrono::milliseconds wait_timeout{0};  // 0 = wait forever
    std::chrono::milliseconds connect_timeout{5000};
};

struct acquire_failure {
    std::string_view sqlstate;
    std::string message;
    protocol::bytes server_error;  // the server's own ErrorResponse, when it refused the login
};

using acquire_result = std::variant<server_ptr, acquire_failure>;

// Counts for SHOW POOLS and the tests, per pool.
struct pool_counts {
    std::size_t idle = 0;
    std::size_t total = 0;  // idle + in use + opening
    std::size_t waiting = 0;
};

class server_pools {
  public:
    explicit server_pools(asio::any_io_executor executor) : executor_(std::move(executor)) {}

    // An idle connection of the pool (checked for life first), a new one when the pool has
    // room, or the first one released while waiting up to limits.wait_timeout.
    asio::awaitable<acquire_result> acquire(const pool_key& key, const server_endpoint& endpoint,
                                            const server_login& login, const pool_limits& limits);

    // Gives a connection back: pooled when `reusable` (idle, protocol state known), closed
    // otherwise. A waiting transaction gets it (or the room it leaves) first.
    void release(const pool_key& key, server_ptr server, bool reusable);

    // Closes idle connections past their idle timeout or lifetime (keeping min_size) and
    // every idle connection to a node in `closing_nodes`.
    void prune(const std::vector<bool>& closing_nodes);

    // Opens connections for pools below their min_size (one at a time, with the login of
    // the pool's last client), except to nodes in `closing_nodes`.
    asio::awaitable<void> fill_to_minimum(const std::vector<bool>& closing_nodes);

    pool_counts counts(const pool_key& key) const;

    // Every pool (counts, longest wait) and its idle connections, for SHOW POOLS and SHOW
    // SERVERS; `node_names` by node index. Clients and leased connections are the sessions'.
    void describe(runtime_view& out, const std::vector<std::string>& node_names);

  private:
    struct waiter {
        explicit waiter(asio::any_io_executor ex) : timer(std::move(ex)) {}
        asio::steady_timer timer;
        std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
        server_ptr handed;      // a released connection, given directly
        bool may_open = false;  // a connection closed: room to open one
    };
    struct pool {
        std::deque<server_ptr> idle;  // most recently released at the back
        std::size_t total = 0;
        std::size_t max_size = 1;
        pool_limits limits;
        std::list<waiter*> waiters;
        // How the last client reached this pool's server: what min_size openings use.
        std::optional<server_endpoint> endpoint;
        std::optional<server_login> login;
    };

    void wake_one(pool& p);

    asio::any_io_executor executor_;
    std::map<pool_key, pool> pools_;
};

// The connection's id, server address, backend pid and TLS; the caller adds the rest.
server_row describe_server(pooled_server& s, std::chrono::system_clock::time_point connected);

// True when an idle server connection is still usable: nothing to read (no EOF, no
// unexpected message such as a FATAL sent while idle).
bool idle_connection_alive(tcp::socket& socket);

}  // namespace pgrelay::proxy
