// Merging the workers' views; see runtime_view.hpp.
#include "proxy/runtime_view.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace pgrelay::proxy {

runtime_view merge_views(std::vector<runtime_view> views) {
    runtime_view out;
    std::map<std::tuple<std::string, std::string, std::size_t>, pool_row> pools;
    for (auto& v : views) {
        std::move(v.clients.begin(), v.clients.end(), std::back_inserter(out.clients));
        std::move(v.servers.begin(), v.servers.end(), std::back_inserter(out.servers));
        for (auto& p : v.pools) {
            auto key = std::make_tuple(p.database, p.user, p.node_index);
            auto [it, fresh] = pools.try_emplace(std::move(key), p);
            if (fresh) continue;
            pool_row& sum = it->second;
            sum.clients_active += p.clients_active;
            sum.clients_waiting += p.clients_waiting;
            sum.servers_active += p.servers_active;
            sum.servers_idle += p.servers_idle;
            sum.servers_opening += p.servers_opening;
            sum.max_size += p.max_size;
            sum.longest_wait = std::max(sum.longest_wait, p.longest_wait);
        }
    }
    std::sort(out.clients.begin(), out.clients.end(),
              [](const client_row& a, const client_row& b) { return a.id < b.id; });
    std::sort(out.servers.begin(), out.servers.end(),
              [](const server_row& a, const server_row& b) { return a.id < b.id; });
    for (auto& [key, row] : pools)
        out.pools.push_back(std::move(row));
    return out;
}

}  // namespace pgrelay::proxy
