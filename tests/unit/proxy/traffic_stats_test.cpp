// Unit tests of the traffic counters (proxy/traffic_stats.hpp) and the topology event
// totals (proxy/event_history.hpp): per-database totals, errors by SQLSTATE class, concurrent
// adds, failovers counted only for a promotion of another node.
#include "proxy/traffic_stats.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "proxy/event_history.hpp"

namespace pgrelay::proxy {
namespace {

using namespace std::chrono_literals;

constexpr auto primary = static_cast<std::size_t>(traffic_route::primary);
constexpr auto standby = static_cast<std::size_t>(traffic_route::standby);

TEST(TrafficStats, CountersPerDatabaseInNameOrder) {
    traffic_stats stats;
    auto& app = stats.database("app");
    EXPECT_EQ(&stats.database("app"), &app) << "one set of counters per database";
    auto& reports = stats.database("reports");
    app.add(app.transactions[primary], 3);
    app.add(app.queries[standby], 5);
    app.add(app.bytes_received, 100);
    app.add(app.bytes_sent, 2000);
    app.add(app.transaction_us, 30);
    app.add(app.query_us, 50);
    app.add(app.wait_us, 7);
    app.add(app.errors, 1);
    app.add(app.conflict_retries, 2);
    reports.add(reports.transactions[standby], 4);

    const auto totals = stats.totals();
    ASSERT_EQ(totals.size(), 2u);
    EXPECT_EQ(totals[0].database, "app");
    EXPECT_EQ(totals[0].transactions[primary], 3u);
    EXPECT_EQ(totals[0].transactions[standby], 0u);
    EXPECT_EQ(totals[0].queries[standby], 5u);
    EXPECT_EQ(totals[0].total_transactions(), 3u);
    EXPECT_EQ(totals[0].total_queries(), 5u);
    EXPECT_EQ(totals[0].bytes_received, 100u);
    EXPECT_EQ(totals[0].bytes_sent, 2000u);
    EXPECT_EQ(totals[0].transaction_us, 30u);
    EXPECT_EQ(totals[0].query_us, 50u);
    EXPECT_EQ(totals[0].wait_us, 7u);
    EXPECT_EQ(totals[0].errors, 1u);
    EXPECT_EQ(totals[0].conflict_retries, 2u);
    EXPECT_EQ(totals[1].database, "reports");
    EXPECT_EQ(totals[1].transactions[standby], 4u);
}

TEST(TrafficStats, NothingCountedYet) {
    traffic_stats stats;
    EXPECT_TRUE(stats.totals().empty());
    EXPECT_TRUE(stats.errors_by_class().empty());
    EXPECT_EQ(stats.query_time().count(), 0u);
}

TEST(TrafficStats, ErrorsByClass) {
    traffic_stats stats;
    stats.count_error("42601");
    stats.count_error("42P01");
    stats.count_error("57P01");
    stats.count_error("");
    stats.count_error("4260");
    const auto classes = stats.errors_by_class();
    EXPECT_EQ(classes, (std::map<std::string, std::uint64_t>{{"42", 2}, {"57", 1}, {"??", 2}}));
}

TEST(TrafficStats, HistogramsObserveDurations) {
    traffic_stats stats;
    stats.observe_query(2ms);
    stats.observe_query(3s);
    stats.observe_wait(1ms);
    stats.observe_transaction(4ms);
    EXPECT_EQ(stats.query_time().count(), 2u);
    EXPECT_NEAR(stats.query_time().sum, 3.002, 1e-9);
    EXPECT_EQ(stats.wait_time().count(), 1u);
    EXPECT_EQ(stats.transaction_time().count(), 1u);
}

TEST(TrafficStats, ConcurrentAddsAreAllCounted) {
    traffic_stats stats;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&stats] {
            auto& c = stats.database("app");
            for (int i = 0; i < 10000; ++i) {
                c.add(c.queries[primary], 1);
                stats.observe_query(1ms);
            }
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(stats.totals().at(0).queries[primary], 40000u);
    EXPECT_EQ(stats.query_time().count(), 40000u);
}

TEST(TrafficStats, WholeMicros) {
    EXPECT_EQ(whole_micros(1500ns), 1u);
    EXPECT_EQ(whole_micros(2ms), 2000u);
    EXPECT_EQ(whole_micros(-5ms), 0u);
}

recorded_event event(std::string kind, std::string node) {
    return recorded_event{
        std::chrono::system_clock::now(), std::move(kind), std::move(node), "", "", 0};
}

TEST(EventHistory, TotalsByKindOutliveTheRing) {
    event_history h(2);
    h.record(event("node_up", "pg1"));
    h.record(event("node_up", "pg2"));
    h.record(event("standby_stale", "pg2"));
    EXPECT_EQ(h.recent().size(), 2u);
    EXPECT_EQ(h.totals(),
              (std::map<std::string, std::uint64_t>{{"node_up", 2}, {"standby_stale", 1}}));
}

TEST(EventHistory, FailoversArePromotionsOfAnotherNode) {
    event_history h;
    h.record(event("promotion_seen", "pg1"));  // the first primary seen
    EXPECT_EQ(h.failovers(), 0u);
    h.record(event("primary_lost", "pg1"));
    h.record(event("promotion_seen", "pg1"));  // the same primary back
    EXPECT_EQ(h.failovers(), 0u);
    h.record(event("promotion_seen", "pg2"));  // another node promoted
    EXPECT_EQ(h.failovers(), 1u);
    h.record(event("fenced", "pg1"));
    h.record(event("promotion_seen", "pg1"));  // and back again
    EXPECT_EQ(h.failovers(), 2u);
}

}  // namespace
}  // namespace pgrelay::proxy
