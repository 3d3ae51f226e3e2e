// What the workers hold right now, as plain values for SHOW CLIENTS, SHOW SERVERS, SHOW POOLS
// and /metrics: one row per client session and per server connection, and per pool the
// counts of clients and connections. Each worker describes its own (on its thread); the
// caller merges the workers' views. merge_views is pure.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pgrelay::proxy {

struct client_row {
    std::uint64_t id = 0;
    std::string user;
    std::string database;
    std::string application_name;
    // "login" (not yet logged in), "active" (holds a server connection), "waiting" (for
    // one), "idle".
    std::string state;
    std::string address;  // the client's
    std::uint16_t port = 0;
    bool tls = false;
    std::chrono::system_clock::time_point connected;
    std::chrono::system_clock::time_point last_request;  // connected until the first request
    std::chrono::milliseconds waiting_for{0};            // state waiting: for how long
    std::string node;                                    // of the server it holds, or ""
    std::uint64_t server_id = 0;                         // 0: none
    std::string pinned;                                  // why it keeps its server, or ""
    std::string pool_mode;                               // "transaction", "session"
};

struct server_row {
    std::uint64_t id = 0;
    std::string node;
    std::string database;
    std::string user;
    std::string state;  // "active" (leased by a client) or "idle"
    std::string address;
    std::uint16_t port = 0;
    std::int32_t backend_pid = 0;
    bool tls = false;
    std::chrono::system_clock::time_point connected;
    std::uint64_t client_id = 0;  // 0 when idle
};

struct pool_row {
    std::string database;
    std::string user;
    std::string node;
    std::size_t node_index = 0;
    std::size_t clients_active = 0;   // holding one of its connections
    std::size_t clients_waiting = 0;  // waiting for one
    std::size_t servers_active = 0;   // leased
    std::size_t servers_idle = 0;
    std::size_t servers_opening = 0;  // being connected or logging in
    std::size_t max_size = 0;         // summed over workers: the pool's size
    std::chrono::milliseconds longest_wait{0};
};

struct runtime_view {
    std::vector<client_row> clients;
    std::vector<server_row> servers;
    std::vector<pool_row> pools;
};

// The workers' views as one: clients and servers by id, pools of the same (database, user,
// node) summed (longest_wait the longest), in (database, user, node index) order.
[[nodiscard]] runtime_view merge_views(std::vector<runtime_view> views);

}  // namespace pgrelay::proxy
