// Unit tests of the /metrics families (proxy/metrics_view.hpp) as Prometheus text: node
// gauges with the state and role as 0/1 enumerations, retired nodes left out, disabled nodes
// not readable, pools and clients by state, traffic counters by database and route, errors by
// class, the histograms, topology counters and build info; every family named once.
#include "proxy/metrics_view.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

namespace pgrelay::proxy {
namespace {

using namespace std::chrono_literals;
using health::node_role;
using health::node_state;

struct fixture {
    config cfg;
    metrics_input in;

    fixture() {
        cfg.nodes = {{.name = "pg1", .host = "10.0.0.1", .port = 5432},
                     {.name = "old", .host = "10.0.0.9", .port = 5432, .retired = true},
                     {.name = "pg2", .host = "10.0.0.2", .port = 5432},
                     {.name = "pg3", .host = "10.0.0.3", .port = 5432}};
        in.cfg = &cfg;
        in.topology.generation = 9;
        in.topology.primary = 0;
        in.topology.primary_timeline = 3;
        health::node_status p;
        p.state = node_state::up;
        p.role = node_role::primary;
        p.timeline = 3;
        health::node_status retired;
        health::node_status s2;
        s2.state = node_state::stale;
        s2.role = node_role::standby;
        s2.timeline = 3;
        s2.lag_bytes = 4096;
        s2.lag_time = 1500ms;
        health::node_status s3;
        s3.state = node_state::up;
        s3.role = node_role::standby;
        s3.readable = true;
        s3.timeline = 3;
        in.topology.nodes = {p, retired, s2, s3};
        in.control.disabled = {false, false, false, true};
        in.in_flight = {4, 0, 0, 1};
        database_totals t;
        t.database = "app";
        t.transactions = {7, 11};
        t.queries = {8, 12};
        t.bytes_received = 300;
        t.bytes_sent = 5000;
        in.traffic = {t};
        in.errors_by_class = {{"42", 3}, {"57", 1}};
        histogram h(std::vector<double>{0.001, 0.01});
        h.observe(0.002);
        in.query_time = h.snapshot();
        in.transaction_time = h.snapshot();
        in.wait_time = histogram(std::vector<double>{0.001}).snapshot();
        in.events = {{"promotion_seen", 2}, {"fenced", 1}};
        in.failovers = 1;
        in.conflict_retries = 5;
        in.pinned_clients = 2;
        pool_row pool;
        pool.database = "app";
        pool.user = "alice";
        pool.node = "pg1";
        pool.clients_active = 3;
        pool.clients_waiting = 1;
        pool.servers_active = 3;
        pool.servers_idle = 2;
        pool.max_size = 20;
        pool.longest_wait = 250ms;
        in.runtime.pools = {pool};
        in.runtime.clients = {client_row{.id = 1, .state = "active"},
                              client_row{.id = 2, .state = "idle"},
                              client_row{.id = 3, .state = "idle"}};
        in.started = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    }

    std::string text() const { return write_prometheus(collect_metrics(in)); }
};

bool has_line(const std::string& text, const std::string& line) {
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) {
        if (l == line) return true;
    }
    return false;
}

#define EXPECT_LINE(text, line) EXPECT_TRUE(has_line(text, line)) << "missing: " << line

TEST(MetricsView, NodeGauges) {
    const auto t = fixture().text();
    EXPECT_LINE(t, "pgrelay_node_up{node=\"pg1\"} 1");
    EXPECT_LINE(t, "pgrelay_node_primary{node=\"pg1\"} 1");
    EXPECT_LINE(t, "pgrelay_node_primary{node=\"pg2\"} 0");
    EXPECT_LINE(t, "pgrelay_node_state{node=\"pg2\",state=\"stale\"} 1");
    EXPECT_LINE(t, "pgrelay_node_state{node=\"pg2\",state=\"up\"} 0");
    EXPECT_LINE(t, "pgrelay_node_role{node=\"pg2\",role=\"standby\"} 1");
    EXPECT_LINE(t, "pgrelay_node_role{node=\"pg2\",role=\"primary\"} 0");
    EXPECT_LINE(t, "pgrelay_node_readable{node=\"pg2\"} 0");
    EXPECT_LINE(t, "pgrelay_node_replay_lag_bytes{node=\"pg2\"} 4096");
    EXPECT_LINE(t, "pgrelay_node_replay_lag_seconds{node=\"pg2\"} 1.5");
    EXPECT_LINE(t, "pgrelay_node_timeline{node=\"pg1\"} 3");
    EXPECT_LINE(t, "pgrelay_node_transactions_in_flight{node=\"pg1\"} 4");
    // pg3 is readable by the topology but disabled by an operator.
    EXPECT_LINE(t, "pgrelay_node_readable{node=\"pg3\"} 0");
    EXPECT_LINE(t, "pgrelay_node_disabled{node=\"pg3\"} 1");
    EXPECT_EQ(t.find("node=\"old\""), std::string::npos) << "a retired node is not shown";
}

TEST(MetricsView, EveryStateAndRoleOfANodeIsListed) {
    const auto t = fixture().text();
    for (const char* state : {"unknown", "up", "down", "starting", "fenced", "stale"}) {
        EXPECT_NE(t.find("pgrelay_node_state{node=\"pg1\",state=\"" + std::string(state) + "\"}"),
                  std::string::npos)
            << state;
    }
    for (const char* role : {"unknown", "primary", "standby"}) {
        EXPECT_NE(t.find("pgrelay_node_role{node=\"pg1\",role=\"" + std::string(role) + "\"}"),
                  std::string::npos)
            << role;
    }
}

TEST(MetricsView, TopologyCounters) {
    fixture f;
    f.in.topology.nodes[2].state = node_state::fenced;
    const auto t = f.text();
    EXPECT_LINE(t, "pgrelay_topology_generation 9");
    EXPECT_LINE(t, "pgrelay_primary_timeline 3");
    EXPECT_LINE(t, "pgrelay_split_brain 0");
    EXPECT_LINE(t, "pgrelay_fenced_nodes 1");
    EXPECT_LINE(t, "pgrelay_failovers_total 1");
    EXPECT_LINE(t, "pgrelay_topology_events_total{event=\"promotion_seen\"} 2");
    EXPECT_LINE(t, "pgrelay_paused 0");
    EXPECT_LINE(t, "# TYPE pgrelay_failovers_total counter");
}

TEST(MetricsView, PoolsAndClients) {
    const auto t = fixture().text();
    EXPECT_LINE(t,
                "pgrelay_pool_clients{database=\"app\",user=\"alice\",node=\"pg1\",state="
                "\"active\"} 3");
    EXPECT_LINE(t,
                "pgrelay_pool_clients{database=\"app\",user=\"alice\",node=\"pg1\",state="
                "\"waiting\"} 1");
    EXPECT_LINE(t,
                "pgrelay_pool_servers{database=\"app\",user=\"alice\",node=\"pg1\",state="
                "\"idle\"} 2");
    EXPECT_LINE(t, "pgrelay_pool_size{database=\"app\",user=\"alice\",node=\"pg1\"} 20");
    EXPECT_LINE(t,
                "pgrelay_pool_max_wait_seconds{database=\"app\",user=\"alice\",node=\"pg1\"} "
                "0.25");
    EXPECT_LINE(t, "pgrelay_clients{state=\"idle\"} 2");
    EXPECT_LINE(t, "pgrelay_clients{state=\"active\"} 1");
    EXPECT_LINE(t, "pgrelay_clients{state=\"waiting\"} 0");
    EXPECT_LINE(t, "pgrelay_clients_pinned 2");
    EXPECT_LINE(t, "pgrelay_clients_max 1000");
}

TEST(MetricsView, TrafficByRouteErrorsAndHistograms) {
    const auto t = fixture().text();
    EXPECT_LINE(t, "pgrelay_transactions_total{database=\"app\",route=\"primary\"} 7");
    EXPECT_LINE(t, "pgrelay_transactions_total{database=\"app\",route=\"standby\"} 11");
    EXPECT_LINE(t, "pgrelay_queries_total{database=\"app\",route=\"standby\"} 12");
    EXPECT_LINE(t, "pgrelay_client_received_bytes_total{database=\"app\"} 300");
    EXPECT_LINE(t, "pgrelay_client_sent_bytes_total{database=\"app\"} 5000");
    EXPECT_LINE(t, "pgrelay_errors_total{class=\"42\"} 3");
    EXPECT_LINE(t, "pgrelay_conflict_retries_total 5");
    EXPECT_LINE(t, "# TYPE pgrelay_query_duration_seconds histogram");
    EXPECT_LINE(t, "pgrelay_query_duration_seconds_bucket{le=\"0.01\"} 1");
    EXPECT_LINE(t, "pgrelay_query_duration_seconds_count 1");
    EXPECT_LINE(t, "pgrelay_transaction_duration_seconds_count 1");
    EXPECT_LINE(t, "pgrelay_pool_wait_duration_seconds_count 0");
}

TEST(MetricsView, BuildInfoAndStartTime) {
    const auto t = fixture().text();
    EXPECT_LINE(t, "pgrelay_build_info{version=\"" PGRELAY_VERSION "\"} 1");
    EXPECT_LINE(t, "pgrelay_start_time_seconds 1700000000");
}

TEST(MetricsView, EachFamilyOnceWithHelpAndType) {
    const auto families = collect_metrics(fixture().in);
    std::set<std::string> seen;
    for (const auto& f : families) {
        EXPECT_TRUE(seen.insert(f.name).second) << "twice: " << f.name;
        EXPECT_EQ(f.name.rfind("pgrelay_", 0), 0u) << f.name;
        EXPECT_FALSE(f.help.empty()) << f.name;
    }
}

TEST(MetricsView, WithoutConfigOnlyTheGlobalFamilies) {
    fixture f;
    f.in.cfg = nullptr;
    const auto t = f.text();
    EXPECT_EQ(t.find("pgrelay_node_up"), std::string::npos);
    EXPECT_LINE(t, "pgrelay_topology_generation 9");
}

}  // namespace
}  // namespace pgrelay::proxy
