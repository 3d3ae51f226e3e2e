// Describing the workers; see worker_view.hpp.
#include "proxy/worker_view.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/session.hpp"

namespace pgrelay::proxy {

runtime_view describe_worker(worker_context& w, const std::vector<std::string>& node_names) {
    runtime_view v;
    w.pools.describe(v, node_names);
    const std::size_t idle_servers = v.servers.size();
    for (client_session* s : w.sessions)
        s->describe(v, node_names);
    // A connection a session holds counts in its pool as active (the pool saw it as neither
    // idle nor free: "opening" until now).
    for (std::size_t i = idle_servers; i < v.servers.size(); ++i) {
        const server_row& s = v.servers[i];
        for (pool_row& p : v.pools) {
            if (p.database != s.database || p.user != s.user || p.node != s.node) continue;
            ++p.clients_active;
            ++p.servers_active;
            if (p.servers_opening > 0) --p.servers_opening;
            break;
        }
    }
    return v;
}

boost::asio::awaitable<runtime_view> gather_runtime_view(std::vector<worker_handle> workers,
                                                         std::vector<std::string> node_names) {
    std::vector<runtime_view> views;
    views.reserve(workers.size());
    for (const worker_handle& w : workers) {
        worker_context* resources = w.resources;
        const std::vector<std::string>* names = &node_names;
        auto view = co_await boost::asio::co_spawn(
            *w.context,
            [resources, names]() -> boost::asio::awaitable<runtime_view> {
                co_return describe_worker(*resources, *names);
            },
            boost::asio::use_awaitable);
        views.push_back(std::move(view));
    }
    co_return merge_views(std::move(views));
}

}  // namespace pgrelay::proxy
