// What operators and signals decide about the running proxy, as one immutable snapshot that
// every session reads: a shutdown in progress (and when running transactions are cut), later
// PAUSE and disabled nodes. Published through a snapshot_cell in proxy_state.
#pragma once

#include <chrono>
#include <vector>

namespace pgrelay::proxy {

struct control_state {
    // SIGTERM: idle clients are ended now, the others once their transaction is over, and
    // whatever still runs at `cut_at` is ended then (57P01).
    bool shutting_down = false;
    std::chrono::steady_clock::time_point cut_at{};
};

}  // namespace pgrelay::proxy
