// What operators and signals decide about the running proxy, as one immutable snapshot that
// every session reads: PAUSE, nodes disabled for new transactions, and a shutdown in progress
// (and when running transactions are cut). Published through a snapshot_cell in proxy_state.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

namespace pgrelay::proxy {

struct control_state {
    // PAUSE: no transaction starts until RESUME; running ones go on.
    bool paused = false;
    // DISABLE NODE: no new transaction goes there (running ones finish), by node index.
    std::vector<bool> disabled;
    // SIGTERM: idle clients are ended now, the others once their transaction is over, and
    // whatever still runs at `cut_at` is ended then (57P01).
    bool shutting_down = false;
    std::chrono::steady_clock::time_point cut_at{};

    bool is_disabled(std::size_t node) const { return node < disabled.size() && disabled[node]; }
    bool any_disabled() const {
        for (const bool d : disabled) {
            if (d) return true;
        }
        return false;
    }
};

}  // namespace pgrelay::proxy
