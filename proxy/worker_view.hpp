// One worker's runtime view (its pools, idle connections, sessions and the connections they
// hold), built on the worker's own thread; and the view of all workers, gathered from the
// main thread by running that on each worker in turn.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <string>
#include <vector>

#include "proxy/runtime_view.hpp"
#include "proxy/worker_context.hpp"

namespace pgrelay::proxy {

// On `w`'s thread only. `node_names` by node index.
[[nodiscard]] runtime_view describe_worker(worker_context& w,
                                           const std::vector<std::string>& node_names);

struct worker_handle {
    boost::asio::io_context* context = nullptr;  // the worker's event loop
    worker_context* resources = nullptr;         // used on that loop only
};

// Every worker's view, merged (merge_views).
boost::asio::awaitable<runtime_view> gather_runtime_view(std::vector<worker_handle> workers,
                                                         std::vector<std::string> node_names);

}  // namespace pgrelay::proxy
