// What one worker thread owns besides its event loop: its server connection pools, its
// router (round-robin position, weighted credits), the number of transactions it runs on
// each node (for least-outstanding balancing) and a SQL classifier built from the config.
#pragma once

#include <vector>

#include "proxy/router.hpp"
#include "proxy/server_pool.hpp"
#include "proxy/sql_classifier.hpp"

namespace pgrelay::proxy {

struct worker_context {
    worker_context(asio::any_io_executor executor, const classifier_options& options,
                   std::size_t node_count)
        : pools(std::move(executor)), classifier(options), loads(node_count) {}

    server_pools pools;
    router route;
    sql_classifier classifier;
    std::vector<node_load> loads;  // by node index
};

}  // namespace pgrelay::proxy
