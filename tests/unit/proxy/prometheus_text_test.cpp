// Unit tests of the Prometheus text writer and histogram (proxy/prometheus_text.hpp): exact
// exposition text for counters, gauges and histograms with and without labels, escaping,
// name sanitizing, number forms, cumulative buckets up to +Inf, and concurrent observation.
#include "proxy/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace pgrelay::proxy {
namespace {

using namespace std::chrono_literals;

std::string text(std::vector<metric_family> families) {
    return write_prometheus(families);
}

TEST(prometheus_text, counter_and_gauge_without_labels) {
    EXPECT_EQ(text({
                  {"pgrelay_client_connections_total",
                   "Client connections accepted.",
                   metric_type::counter,
                   {{{}, 42}}},
                  {"pgrelay_clients", "Client connections open.", metric_type::gauge, {{{}, 3}}},
              }),
              "# HELP pgrelay_client_connections_total Client connections accepted.\n"
              "# TYPE pgrelay_client_connections_total counter\n"
              "pgrelay_client_connections_total 42\n"
              "# HELP pgrelay_clients Client connections open.\n"
              "# TYPE pgrelay_clients gauge\n"
              "pgrelay_clients 3\n");
}

TEST(prometheus_text, samples_with_labels_in_given_order) {
    EXPECT_EQ(text({{"pgrelay_node_up",
                     "1 when the node answers.",
                     metric_type::gauge,
                     {{{{"node", "pg1"}, {"role", "primary"}}, 1},
                      {{{"node", "pg2"}, {"role", "standby"}}, 0}}}}),
              "# HELP pgrelay_node_up 1 when the node answers.\n"
              "# TYPE pgrelay_node_up gauge\n"
              "pgrelay_node_up{node=\"pg1\",role=\"primary\"} 1\n"
              "pgrelay_node_up{node=\"pg2\",role=\"standby\"} 0\n");
}

TEST(prometheus_text, families_keep_the_order_given) {
    const std::string out = text({{"pgrelay_z", "z", metric_type::gauge, {{{}, 1}}},
                                  {"pgrelay_a", "a", metric_type::gauge, {{{}, 2}}},
                                  {"pgrelay_m", "m", metric_type::gauge, {}}});
    EXPECT_EQ(out,
              "# HELP pgrelay_z z\n# TYPE pgrelay_z gauge\npgrelay_z 1\n"
              "# HELP pgrelay_a a\n# TYPE pgrelay_a gauge\npgrelay_a 2\n"
              "# HELP pgrelay_m m\n# TYPE pgrelay_m gauge\n");
}

TEST(prometheus_text, counters_get_total_suffix_once) {
    struct row {
        std::string_view name;
        std::string_view written;
    };
    const row table[] = {
        {"pgrelay_queries", "pgrelay_queries_total"},
        {"pgrelay_queries_total", "pgrelay_queries_total"},
        {"pgrelay_total", "pgrelay_total"},
        {"total", "total_total"},  // "_total" is the suffix, not "total"
        {"_total", "_total"},
    };
    for (const auto& r : table) {
        const std::string out = text({{std::string(r.name), "h", metric_type::counter, {{{}, 1}}}});
        EXPECT_EQ(out, "# HELP " + std::string(r.written) + " h\n# TYPE " + std::string(r.written) +
                           " counter\n" + std::string(r.written) + " 1\n");
    }
    // Gauges and histograms keep their names.
    EXPECT_NE(text({{"pgrelay_x", "h", metric_type::gauge, {{{}, 1}}}}).find("pgrelay_x 1\n"),
              std::string::npos);
}

TEST(prometheus_text, label_values_and_help_are_escaped) {
    EXPECT_EQ(text({{"pgrelay_e",
                     "Line one\nback\\slash \"quotes\" stay",
                     metric_type::gauge,
                     {{{{"v", "a\\b\"c\nd"}}, 1}, {{{"v", "é ok {},="}}, 2}}}}),
              "# HELP pgrelay_e Line one\\nback\\\\slash \"quotes\" stay\n"
              "# TYPE pgrelay_e gauge\n"
              "pgrelay_e{v=\"a\\\\b\\\"c\\nd\"} 1\n"
              "pgrelay_e{v=\"é ok {},=\"} 2\n");
}

TEST(prometheus_text, names_are_sanitized) {
    struct row {
        std::string_view metric, label;
        std::string_view line;
    };
    const row table[] = {
        {"pgrelay.pool-size", "node-name", "pgrelay_pool_size{node_name=\"x\"} 1\n"},
        {"pgrelay:recorded", "a:b", "pgrelay:recorded{a_b=\"x\"} 1\n"},
        {"9lives", "1st", "_9lives{_1st=\"x\"} 1\n"},
        {"", "", "_{_=\"x\"} 1\n"},
        {"pgrelay_ünï", "ok", "pgrelay___n__{ok=\"x\"} 1\n"},
    };
    for (const auto& r : table) {
        const std::string out = text({{std::string(r.metric),
                                       "h",
                                       metric_type::gauge,
                                       {{{{std::string(r.label), "x"}}, 1}}}});
        EXPECT_NE(out.find(r.line), std::string::npos) << out;
    }
}

TEST(prometheus_text, repeated_label_names_keep_the_first) {
    EXPECT_NE(text({{"m", "h", metric_type::gauge, {{{{"a", "1"}, {"b", "2"}, {"a", "3"}}, 1}}}})
                  .find("m{a=\"1\",b=\"2\"} 1\n"),
              std::string::npos);
}

TEST(prometheus_text, number_forms) {
    struct row {
        double v;
        std::string_view written;
    };
    const row table[] = {
        {0, "0"},
        {-0.0, "0"},
        {1e6, "1000000"},
        {-42, "-42"},
        {0.0005, "0.0005"},
        {1e20, "1e+20"},
        {123456.5, "123456.5"},
        {1, "1"},
        {0.25, "0.25"},
        {1234567890123, "1234567890123"},
        {1e-9, "1e-09"},
        {-3.5, "-3.5"},
        {std::numeric_limits<double>::infinity(), "+Inf"},
        {-std::numeric_limits<double>::infinity(), "-Inf"},
        {std::numeric_limits<double>::quiet_NaN(), "NaN"},
    };
    for (const auto& r : table) {
        EXPECT_EQ(text({{"m", "h", metric_type::gauge, {{{}, r.v}}}}),
                  "# HELP m h\n# TYPE m gauge\nm " + std::string(r.written) + "\n");
    }
}

TEST(prometheus_text, histogram_buckets_are_cumulative_and_end_in_inf) {
    histogram_snapshot h{{0.001, 0.01, 0.1}, {2, 0, 3, 1}, 0.5};
    EXPECT_EQ(h.count(), 6u);
    EXPECT_EQ(text({{"pgrelay_query_duration_seconds",
                     "Query latency.",
                     metric_type::histogram,
                     {{{{"node", "pg1"}}, 0, h}}}}),
              "# HELP pgrelay_query_duration_seconds Query latency.\n"
              "# TYPE pgrelay_query_duration_seconds histogram\n"
              "pgrelay_query_duration_seconds_bucket{node=\"pg1\",le=\"0.001\"} 2\n"
              "pgrelay_query_duration_seconds_bucket{node=\"pg1\",le=\"0.01\"} 2\n"
              "pgrelay_query_duration_seconds_bucket{node=\"pg1\",le=\"0.1\"} 5\n"
              "pgrelay_query_duration_seconds_bucket{node=\"pg1\",le=\"+Inf\"} 6\n"
              "pgrelay_query_duration_seconds_sum{node=\"pg1\"} 0.5\n"
              "pgrelay_query_duration_seconds_count{node=\"pg1\"} 6\n");
}

TEST(prometheus_text, histogram_without_labels_or_bounds) {
    EXPECT_EQ(text({{"h_seconds", "h", metric_type::histogram, {{{}, 0, {{}, {4}, 2}}}}}),
              "# HELP h_seconds h\n# TYPE h_seconds histogram\n"
              "h_seconds_bucket{le=\"+Inf\"} 4\n"
              "h_seconds_sum 2\n"
              "h_seconds_count 4\n");
}

TEST(prometheus_text, histogram_drops_a_caller_le_label) {
    const std::string out =
        text({{"h_seconds", "h", metric_type::histogram, {{{{"le", "x"}}, 0, {{1}, {1, 0}, 1}}}}});
    EXPECT_EQ(out,
              "# HELP h_seconds h\n# TYPE h_seconds histogram\n"
              "h_seconds_bucket{le=\"1\"} 1\n"
              "h_seconds_bucket{le=\"+Inf\"} 1\n"
              "h_seconds_sum 1\n"
              "h_seconds_count 1\n");
}

TEST(prometheus_text, gauge_may_have_an_le_label) {
    EXPECT_NE(text({{"g", "h", metric_type::gauge, {{{{"le", "x"}}, 1}}}}).find("g{le=\"x\"} 1\n"),
              std::string::npos);
}

TEST(prometheus_text, appends_to_existing_text) {
    std::string out = "prefix\n";
    const std::vector<metric_family> f{{"g", "h", metric_type::gauge, {{{}, 1}}}};
    write_prometheus(out, f);
    EXPECT_EQ(out, "prefix\n# HELP g h\n# TYPE g gauge\ng 1\n");
}

TEST(histogram, observations_land_in_inclusive_buckets) {
    histogram h({0.001, 0.01, 0.1});
    struct row {
        double seconds;
        std::size_t bucket;
    };
    const row table[] = {
        {0, 0},    {0.0005, 0}, {0.001, 0}, {0.0011, 1}, {0.01, 1},
        {0.05, 2}, {0.1, 2},    {0.2, 3},   {1e9, 3},    {-1, 0},  // negative counts as 0
    };
    std::vector<std::uint64_t> expected(4, 0);
    for (const auto& r : table) {
        h.observe(r.seconds);
        ++expected[r.bucket];
        EXPECT_EQ(h.snapshot().bucket_counts, expected) << r.seconds;
    }
    h.observe(std::numeric_limits<double>::quiet_NaN());
    EXPECT_EQ(h.snapshot().bucket_counts, expected);
    EXPECT_EQ(h.snapshot().count(), 10u);
}

TEST(histogram, sum_in_seconds_from_microseconds) {
    histogram h({1});
    h.observe(0.25);
    h.observe(1500us);
    h.observe(2s);
    h.observe(std::chrono::nanoseconds(400));  // rounds to 0 µs
    const histogram_snapshot s = h.snapshot();
    EXPECT_DOUBLE_EQ(s.sum, 2.2515);
    EXPECT_EQ(s.bucket_counts, (std::vector<std::uint64_t>{3, 1}));
}

TEST(histogram, bounds_are_sorted_unique_and_finite) {
    histogram h({0.5, 0.1, 0.5, std::numeric_limits<double>::infinity(),
                 std::numeric_limits<double>::quiet_NaN(), 1});
    EXPECT_EQ(h.bounds(), (std::vector<double>{0.1, 0.5, 1}));
    EXPECT_EQ(h.snapshot().bucket_counts.size(), 4u);
}

TEST(histogram, default_latency_bounds_ascend) {
    const auto b = default_latency_bounds();
    ASSERT_FALSE(b.empty());
    EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
    EXPECT_EQ(std::adjacent_find(b.begin(), b.end()), b.end());
    EXPECT_EQ(b.front(), 0.0005);
    EXPECT_EQ(b.back(), 10);
}

TEST(histogram, concurrent_observers_lose_nothing) {
    histogram h(default_latency_bounds());
    constexpr int threads = 4;
    constexpr int per_thread = 20000;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&h, t] {
            for (int i = 0; i < per_thread; ++i)
                h.observe(t % 2 == 0 ? 0.002 : 3.0);  // buckets le=0.0025 and le=5
        });
    }
    for (auto& th : pool)
        th.join();
    const histogram_snapshot s = h.snapshot();
    EXPECT_EQ(s.count(), static_cast<std::uint64_t>(threads * per_thread));
    EXPECT_EQ(s.bucket_counts[2], static_cast<std::uint64_t>(2 * per_thread));
    EXPECT_EQ(s.bucket_counts[12], static_cast<std::uint64_t>(2 * per_thread));
    EXPECT_DOUBLE_EQ(s.sum, 2 * per_thread * 0.002 + 2 * per_thread * 3.0);
}

TEST(histogram, snapshot_writes_as_a_family) {
    histogram h({0.01, 0.1});
    h.observe(5ms);
    h.observe(50ms);
    h.observe(500ms);
    const std::vector<metric_family> f{
        {"pgrelay_wait_seconds", "Wait.", metric_type::histogram, {{{}, 0, h.snapshot()}}}};
    EXPECT_EQ(write_prometheus(f),
              "# HELP pgrelay_wait_seconds Wait.\n"
              "# TYPE pgrelay_wait_seconds histogram\n"
              "pgrelay_wait_seconds_bucket{le=\"0.01\"} 1\n"
              "pgrelay_wait_seconds_bucket{le=\"0.1\"} 2\n"
              "pgrelay_wait_seconds_bucket{le=\"+Inf\"} 3\n"
              "pgrelay_wait_seconds_sum 0.555\n"
              "pgrelay_wait_seconds_count 3\n");
}

}  // namespace
}  // namespace pgrelay::proxy
