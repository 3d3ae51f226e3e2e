// What clients did through pgrelay, counted per database for SHOW STATS and /metrics:
// transactions and queries by route (primary or standby), bytes each way, transaction, query
// and wait time, errors and conflict retries; errors also by SQLSTATE class, and latency
// histograms. Sessions add with relaxed atomics; readers take plain-value snapshots.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/prometheus_text.hpp"

namespace pgrelay::proxy {

enum class traffic_route : std::uint8_t { primary, standby };

// One database's totals at one instant (times in microseconds).
struct database_totals {
    std::string database;
    std::array<std::uint64_t, 2> transactions{};  // by traffic_route
    std::array<std::uint64_t, 2> queries{};       // by traffic_route
    std::uint64_t bytes_received = 0;             // from clients
    std::uint64_t bytes_sent = 0;                 // to clients
    std::uint64_t transaction_us = 0;
    std::uint64_t query_us = 0;
    std::uint64_t wait_us = 0;  // waiting for a server connection
    std::uint64_t errors = 0;   // ErrorResponses clients received
    std::uint64_t conflict_retries = 0;

    [[nodiscard]] std::uint64_t total_transactions() const {
        return transactions[0] + transactions[1];
    }
    [[nodiscard]] std::uint64_t total_queries() const { return queries[0] + queries[1]; }
};

// The live counters of one database; the address is stable for the life of traffic_stats.
struct database_counters {
    std::array<std::atomic<std::uint64_t>, 2> transactions{};
    std::array<std::atomic<std::uint64_t>, 2> queries{};
    std::atomic<std::uint64_t> bytes_received{0};
    std::atomic<std::uint64_t> bytes_sent{0};
    std::atomic<std::uint64_t> transaction_us{0};
    std::atomic<std::uint64_t> query_us{0};
    std::atomic<std::uint64_t> wait_us{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<std::uint64_t> conflict_retries{0};

    void add(std::atomic<std::uint64_t>& counter, std::uint64_t n) {
        counter.fetch_add(n, std::memory_order_relaxed);
    }
};

class traffic_stats {
  public:
    traffic_stats();

    // The counters of `database`, made on first use (under a lock: sessions call this once,
    // at login, and keep the reference).
    database_counters& database(std::string_view name);

    // An ErrorResponse a client received: counted by SQLSTATE class ("42", "57"; "??" for a
    // code that is not five characters).
    void count_error(std::string_view sqlstate);

    void observe_query(std::chrono::nanoseconds d) { query_time_.observe(d); }
    void observe_wait(std::chrono::nanoseconds d) { wait_time_.observe(d); }
    void observe_transaction(std::chrono::nanoseconds d) { transaction_time_.observe(d); }

    // In database name order.
    [[nodiscard]] std::vector<database_totals> totals() const;
    // By class, in class order.
    [[nodiscard]] std::map<std::string, std::uint64_t> errors_by_class() const;
    [[nodiscard]] histogram_snapshot query_time() const { return query_time_.snapshot(); }
    [[nodiscard]] histogram_snapshot wait_time() const { return wait_time_.snapshot(); }
    [[nodiscard]] histogram_snapshot transaction_time() const {
        return transaction_time_.snapshot();
    }

  private:
    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<database_counters>, std::less<>> databases_;
    std::map<std::string, std::uint64_t> error_classes_;
    histogram query_time_;
    histogram wait_time_;
    histogram transaction_time_;
};

// Microseconds of a duration, for the counters (negative counts as 0).
[[nodiscard]] std::uint64_t whole_micros(std::chrono::nanoseconds d);

}  // namespace pgrelay::proxy
