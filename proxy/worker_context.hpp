// What one worker thread owns besides its event loop: its server connection pools, its
// router (round-robin position, weighted credits), the number of transactions it runs on
// each node (for least-outstanding balancing), a SQL classifier built from the config, and
// the client sessions it runs (for SHOW CLIENTS and SHOW SERVERS).
#pragma once

#include <unordered_set>
#include <vector>

#include "proxy/router.hpp"
#include "proxy/server_pool.hpp"
#include "proxy/sql_classifier.hpp"

namespace pgrelay::proxy {

class client_session;

struct worker_context {
    worker_context(asio::any_io_executor executor, const classifier_options& options,
                   std::size_t node_count)
        : pools(std::move(executor)), classifier(options), loads(node_count) {}

    server_pools pools;
    router route;
    sql_classifier classifier;
    std::vector<node_load> loads;                  // by node index
    std::unordered_set<client_session*> sessions;  // each registers itself while it lives
};

}  // namespace pgrelay::proxy
