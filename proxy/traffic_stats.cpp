// Per-database traffic counters; see traffic_stats.hpp.
#include "proxy/traffic_stats.hpp"

namespace pgrelay::proxy {

traffic_stats::traffic_stats()
    : query_time_(default_latency_bounds()),
      wait_time_(default_latency_bounds()),
      transaction_time_(default_latency_bounds()) {}

database_counters& traffic_stats::database(std::string_view name) {
    std::lock_guard lock(mutex_);
    auto it = databases_.find(name);
    if (it == databases_.end()) {
        it = databases_.emplace(std::string(name), std::make_unique<database_counters>()).first;
    }
    return *it->second;
}

void traffic_stats::count_error(std::string_view sqlstate) {
    const std::string cls = sqlstate.size() == 5 ? std::string(sqlstate.substr(0, 2)) : "??";
    std::lock_guard lock(mutex_);
    ++error_classes_[cls];
}

std::vector<database_totals> traffic_stats::totals() const {
    const auto load = [](const std::atomic<std::uint64_t>& a) {
        return a.load(std::memory_order_relaxed);
    };
    std::lock_guard lock(mutex_);
    std::vector<database_totals> out;
    out.reserve(databases_.size());
    for (const auto& [name, c] : databases_) {
        database_totals t;
        t.database = name;
        for (std::size_t r = 0; r < 2; ++r) {
            t.transactions[r] = load(c->transactions[r]);
            t.queries[r] = load(c->queries[r]);
        }
        t.bytes_received = load(c->bytes_received);
        t.bytes_sent = load(c->bytes_sent);
        t.transaction_us = load(c->transaction_us);
        t.query_us = load(c->query_us);
        t.wait_us = load(c->wait_us);
        t.errors = load(c->errors);
        t.conflict_retries = load(c->conflict_retries);
        out.push_back(std::move(t));
    }
    return out;
}

std::map<std::string, std::uint64_t> traffic_stats::errors_by_class() const {
    std::lock_guard lock(mutex_);
    return error_classes_;
}

std::uint64_t whole_micros(std::chrono::nanoseconds d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return us > 0 ? static_cast<std::uint64_t>(us) : 0;
}

}  // namespace pgrelay::proxy
