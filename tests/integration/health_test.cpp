// The health checker and the topology on real PostgreSQL 15 clusters, through the real
// pgrelay binary: replay paused or blocked (standby_stale/standby_fresh), a standby stopped
// and started (node_down/node_up), the primary stopped (primary_lost, clients get 08006),
// a standby promoted (promotion_seen, the old primary fenced, clients follow the new
// primary), and `pgrelay --probe`. These tests change the cluster, so they run on a private
// cluster (private_cluster.hpp), never on the shared one. pgrelay checks every 200 ms; the
// topology is read from its "topology event" log lines and from where queries land.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/private_cluster.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;
using wall = std::chrono::system_clock;

// [health] as configured for every pgrelay of this file.
constexpr milliseconds interval{200};
constexpr int fall = 3;             // pgrelay's default
constexpr int rise = 2;             // pgrelay's default
constexpr int readmit_samples = 3;  // the tracker's default (not configurable)
constexpr std::uint64_t max_lag_bytes = std::uint64_t{64} * 1024;
// What a check may take beyond the interval: connecting, the probe query, scheduling on two
// shared cores.
constexpr milliseconds probe_allowance{300};
// How long to keep waiting for an event, so a late event is told from a missing one.
constexpr milliseconds patience{5000};

// ---- pgrelay's topology event log lines ---------------------------------------------------

struct topology_event {
    std::string kind, node, reason, primary, generation;
    wall::time_point at;  // the line's ts (ms resolution)
    std::string line;
};

// key=value pairs of one logfmt line; quoted values unescaped.
std::map<std::string, std::string> parse_logfmt(const std::string& line) {
    std::map<std::string, std::string> fields;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') {
            ++i;
        }
        std::size_t eq = line.find('=', i);
        if (eq == std::string::npos) break;
        std::string key = line.substr(i, eq - i);
        i = eq + 1;
        std::string value;
        if (i < line.size() && line[i] == '"') {
            for (++i; i < line.size() && line[i] != '"'; ++i) {
                if (line[i] == '\\' && i + 1 < line.size()) {
                    ++i;
                    value += line[i] == 'n' ? '\n' : line[i];
                } else {
                    value += line[i];
                }
            }
            ++i;  // the closing quote
        } else {
            std::size_t end = line.find(' ', i);
            if (end == std::string::npos) end = line.size();
            value = line.substr(i, end - i);
            i = end;
        }
        fields[key] = value;
    }
    return fields;
}

// "2026-01-02T03:04:05.678Z" (UTC); the epoch if malformed.
wall::time_point parse_ts(const std::string& ts) {
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
        return {};
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return wall::from_time_t(::timegm(&tm)) + milliseconds(ms);
}

std::vector<topology_event> topology_events(const std::string& log) {
    std::vector<topology_event> events;
    std::istringstream in(log);
    std::string line;
    while (std::getline(in, line)) {
        if (line.find("msg=\"topology event\"") == std::string::npos) continue;
        auto f = parse_logfmt(line);
        events.push_back({f["event"], f["node"], f["reason"], f["primary"], f["generation"],
                          parse_ts(f["ts"]), line});
    }
    return events;
}

long ms_between(wall::time_point from, wall::time_point to) {
    return static_cast<long>(std::chrono::duration_cast<milliseconds>(to - from).count());
}

// The topology events of one running pgrelay, read from its stderr file.
class event_log {
  public:
    explicit event_log(const pgrelay_process& relay) : relay_(relay) {}

    std::vector<topology_event> all() const { return topology_events(relay_.stderr_text()); }
    std::size_t count() const { return all().size(); }

    // The first event of `kind` for `node` at position `from` or later, waiting up to `wait`.
    std::optional<topology_event> wait_for(const std::string& kind, const std::string& node,
                                           std::size_t from = 0,
                                           milliseconds wait = patience) const {
        const auto deadline = steady::now() + wait;
        while (true) {
            auto events = all();
            for (std::size_t i = from; i < events.size(); ++i) {
                if (events[i].kind == kind && events[i].node == node) return events[i];
            }
            if (steady::now() >= deadline) return std::nullopt;
            std::this_thread::sleep_for(5ms);
        }
    }

    // Events of `kind` for `node` at `from` or later, as they are now.
    std::vector<topology_event> find(const std::string& kind, const std::string& node,
                                     std::size_t from = 0) const {
        std::vector<topology_event> out;
        auto events = all();
        for (std::size_t i = from; i < events.size(); ++i) {
            if (events[i].kind == kind && events[i].node == node) out.push_back(events[i]);
        }
        return out;
    }

    // Every topology event line so far, for failure messages.
    std::string dump() const {
        std::string out = "topology events so far:\n";
        for (const auto& e : all()) {
            out += "  " + e.line + "\n";
        }
        return out;
    }

  private:
    const pgrelay_process& relay_;
};

// ---- `pgrelay --probe` output -------------------------------------------------------------

struct probe_row {
    std::string node, address, role, tli, state, readable, current_lsn, receive_lsn, replay_lsn,
        lag_bytes, lag_ms, reason;
};

struct probe_output {
    command_result run;
    std::map<std::string, probe_row> rows;
    std::string primary_line;  // "primary: NAME  generation: N"
};

probe_output run_probe(const std::filesystem::path& config) {
    probe_output p;
    p.run = run_command({pgrelay_binary(), "--probe", "--config", config.string()},
                        {.timeout = std::chrono::seconds(30)});
    std::istringstream in(p.run.out);
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
        if (line.rfind("primary: ", 0) == 0) {
            p.primary_line = line;
            continue;
        }
        if (header) {  // the column titles
            header = false;
            continue;
        }
        std::istringstream cols(line);
        probe_row r;
        cols >> r.node >> r.address >> r.role >> r.tli >> r.state >> r.readable >> r.current_lsn >>
            r.receive_lsn >> r.replay_lsn >> r.lag_bytes >> r.lag_ms;
        std::getline(cols >> std::ws, r.reason);
        if (!r.node.empty()) p.rows[r.node] = r;
    }
    return p;
}

// ---- the fixture: one private cluster for the suite, repaired or re-created per test -----

pg_conn direct(std::uint16_t port) {
    return connect_or_fail(superuser_login(port));
}

// Polls `sql` on `port` until it returns `want` or `wait` passes; the last value otherwise.
std::string wait_value(std::uint16_t port, const std::string& sql, const std::string& want,
                       milliseconds wait = patience) {
    const auto deadline = steady::now() + wait;
    std::string last;
    while (true) {
        auto outcome = try_connect(superuser_login(port), 2s);
        last = outcome.ok() ? query_value(outcome.conn.get(), sql) : "<" + outcome.error + ">";
        if (last == want || steady::now() >= deadline) return last;
        std::this_thread::sleep_for(20ms);
    }
}

class health : public ::testing::Test {
  protected:
    static void TearDownTestSuite() { suite_cluster.reset(); }

    void SetUp() override {
        PGRELAY_IT_REQUIRE_RELAY();
        ensure_healthy_cluster();
    }

    static private_cluster& pc() { return *suite_cluster; }
    // The test is about to change the cluster for good (promotion): the next test gets a
    // fresh one.
    static void spoil_cluster() { suite_cluster_spoiled = true; }

    relay_options options() const {
        relay_options o;
        o.nodes = {{.name = "primary", .port = pc().primary_port()},
                   {.name = "standby1", .port = pc().standby_port(1)},
                   {.name = "standby2", .port = pc().standby_port(2)}};
        o.health_interval = std::chrono::duration<double>(interval).count();
        o.health_max_lag_bytes = max_lag_bytes;
        o.routing = "primary";  // where a statement runs says which node pgrelay calls primary
        return o;
    }

    // Starts pgrelay and waits until it has seen the primary and both standbys readable.
    void start_relay(pgrelay_process& relay, const relay_options& o) {
        ASSERT_TRUE(relay.start(o));
        event_log log(relay);
        const std::vector<std::pair<std::string, std::string>> settled = {
            {"promotion_seen", "primary"},
            {"standby_fresh", "standby1"},
            {"standby_fresh", "standby2"}};
        for (const auto& [kind, node] : settled) {
            ASSERT_TRUE(log.wait_for(kind, node))
                << "pgrelay never reported " << kind << " for " << node << "\n"
                << log.dump();
        }
    }

    // Which node's port a new session through pgrelay lands on.
    static std::string served_port(std::uint16_t relay_port) {
        auto outcome = try_connect(superuser_login(relay_port), 5s);
        if (!outcome.ok()) return "<" + outcome.sqlstate + " " + outcome.error + ">";
        return query_value(outcome.conn.get(),
                           "/* pgrelay:primary */ SELECT inet_server_port()::text");
    }

  private:
    // Primary writable with two streaming standbys replaying, not paused.
    static ::testing::AssertionResult healthy() {
        auto p = try_connect(superuser_login(pc().primary_port()), 2s);
        if (!p.ok()) return ::testing::AssertionFailure() << "primary: " << p.error;
        auto v = query_value(p.conn.get(),
                             "SELECT pg_is_in_recovery()::text || ' ' || "
                             "(SELECT count(*) FROM pg_stat_replication WHERE state = "
                             "'streaming')");
        if (v != "false 2") return ::testing::AssertionFailure() << "primary: " << v;
        for (int i = 1; i <= 2; ++i) {
            auto s = try_connect(superuser_login(pc().standby_port(i)), 2s);
            if (!s.ok()) return ::testing::AssertionFailure() << "standby" << i << ": " << s.error;
            v = query_value(s.conn.get(),
                            "SELECT pg_is_in_recovery()::text || ' ' || "
                            "pg_is_wal_replay_paused()::text");
            if (v == "true true") (void)exec_ok(s.conn.get(), "SELECT pg_wal_replay_resume()");
            if (v != "true false") {
                return ::testing::AssertionFailure()
                       << "standby" << i << ": in recovery, paused: " << v;
            }
        }
        return ::testing::AssertionSuccess();
    }

    static ::testing::AssertionResult healthy_within(milliseconds wait) {
        const auto deadline = steady::now() + wait;
        auto h = healthy();
        while (!h && steady::now() < deadline) {
            std::this_thread::sleep_for(50ms);
            h = healthy();
        }
        return h;
    }

    void ensure_healthy_cluster() {
        if (suite_cluster && !suite_cluster_spoiled && healthy()) return;
        // A node left stopped or paused by a failed test: repair; anything else: re-create.
        if (suite_cluster && !suite_cluster_spoiled) {
            auto restarted = suite_cluster->restart_stopped_nodes();
            auto h = restarted ? healthy_within(5s) : restarted;
            if (h) return;
            std::cerr << "[health] private cluster unhealthy, re-creating it: " << h.message()
                      << "\n";
        }
        suite_cluster.reset();
        suite_cluster_spoiled = false;
        suite_cluster = std::make_unique<private_cluster>();
        ASSERT_TRUE(suite_cluster->start("health-cluster"));
        ASSERT_TRUE(healthy_within(5s));
    }

    static inline std::unique_ptr<private_cluster> suite_cluster;
    static inline bool suite_cluster_spoiled = false;
};

std::string since(wall::time_point from, const topology_event& e) {
    return std::to_string(ms_between(from, e.at)) + " ms";
}

// ---- 1. standby_stale / standby_fresh -----------------------------------------------------

TEST_F(health, standby_stale_while_replay_paused_and_fresh_after_resume) {
    pgrelay_process relay;
    ASSERT_NO_FATAL_FAILURE(start_relay(relay, options()));
    event_log log(relay);
    pg_conn primary = direct(pc().primary_port());
    pg_conn standby1 = direct(pc().standby_port(1));
    ASSERT_TRUE(primary && standby1);
    ASSERT_TRUE(exec_ok(primary.get(), "DROP TABLE IF EXISTS health_pause"));

    const auto from = log.count();
    ASSERT_TRUE(exec_ok(standby1.get(), "SELECT pg_wal_replay_pause()"));
    const auto paused_at = wall::now();
    // About 500 kB of WAL, far above max_lag_bytes (64 kB).
    ASSERT_TRUE(exec_ok(primary.get(),
                        "CREATE TABLE health_pause (id int, pad text); "
                        "INSERT INTO health_pause SELECT g, repeat('x', 200) "
                        "FROM generate_series(1, 2000) AS g"));
    const auto committed_at = wall::now();

    auto stale = log.wait_for("standby_stale", "standby1", from);
    ASSERT_TRUE(stale) << "no standby_stale for standby1 within " << patience.count() << " ms\n"
                       << log.dump();
    const long stale_ms = ms_between(committed_at, stale->at);
    std::cout << "[health] standby1 stale " << stale_ms << " ms after the write's commit ("
              << since(paused_at, *stale) << " after the pause): " << stale->reason << "\n";
    EXPECT_LE(stale_ms, (2 * interval + probe_allowance).count()) << stale->line;
    EXPECT_NE(stale->reason.find("replay paused"), std::string::npos) << stale->line;
    EXPECT_TRUE(log.find("standby_stale", "standby2", from).empty())
        << "standby2 replays normally and must stay readable\n"
        << log.dump();

    // A one-shot probe sees the lag in bytes as well (its primary sample comes first).
    auto probe = run_probe(relay.config_path());
    ASSERT_TRUE(probe.run.ok()) << probe.run.describe();
    ASSERT_TRUE(probe.rows.count("standby1")) << probe.run.out;
    EXPECT_EQ(probe.rows["standby1"].state, "stale") << probe.run.out;
    EXPECT_EQ(probe.rows["standby1"].readable, "no") << probe.run.out;
    EXPECT_GT(std::stoull("0" + probe.rows["standby1"].lag_bytes), max_lag_bytes) << probe.run.out;
    EXPECT_NE(probe.rows["standby1"].reason.find("replay lag"), std::string::npos) << probe.run.out;

    const auto from_resume = log.count();
    ASSERT_TRUE(exec_ok(standby1.get(), "SELECT pg_wal_replay_resume()"));
    const auto resumed_at = wall::now();
    auto fresh = log.wait_for("standby_fresh", "standby1", from_resume);
    ASSERT_TRUE(fresh) << "no standby_fresh for standby1 after the resume\n" << log.dump();
    const long fresh_ms = ms_between(resumed_at, fresh->at);
    std::cout << "[health] standby1 fresh " << fresh_ms << " ms after the resume: " << fresh->reason
              << "\n";
    EXPECT_LE(fresh_ms, ((readmit_samples + 2) * interval + probe_allowance).count())
        << fresh->line;
    EXPECT_EQ(wait_value(pc().standby_port(1), "SELECT count(*) FROM health_pause", "2000"),
              "2000");
    EXPECT_TRUE(relay.running()) << relay.exit_description();
}

// Replay blocked by a lock a standby query holds (the startup process waits up to
// max_standby_streaming_delay, 30 s): received WAL piles up unreplayed, the lag in bytes
// grows while the standby says it is streaming and not paused. Lag, not the pause flag,
// must make it stale: the primary's next sample shows the new LSN, then two bad standby
// samples (stale_samples), so within 3 intervals.
TEST_F(health, standby_stale_while_replay_blocked_by_a_standby_lock) {
    pg_conn primary = direct(pc().primary_port());
    ASSERT_TRUE(primary);
    ASSERT_TRUE(exec_ok(primary.get(),
                        "DROP TABLE IF EXISTS health_lock; "
                        "CREATE TABLE health_lock (id int, pad text); "
                        "INSERT INTO health_lock VALUES (0, 'first')"));
    ASSERT_EQ(wait_value(pc().standby_port(1), "SELECT count(*) FROM health_lock", "1"), "1");

    pgrelay_process relay;
    ASSERT_NO_FATAL_FAILURE(start_relay(relay, options()));
    event_log log(relay);

    pg_conn reader = direct(pc().standby_port(1));
    ASSERT_TRUE(reader);
    ASSERT_TRUE(exec_ok(reader.get(), "BEGIN ISOLATION LEVEL REPEATABLE READ"));
    ASSERT_EQ(query_value(reader.get(), "SELECT count(*) FROM health_lock"), "1");

    const auto from = log.count();
    ASSERT_TRUE(
        exec_ok(primary.get(), "BEGIN; LOCK TABLE health_lock IN ACCESS EXCLUSIVE MODE; COMMIT"));
    ASSERT_TRUE(exec_ok(primary.get(),
                        "INSERT INTO health_lock SELECT g, repeat('x', 200) "
                        "FROM generate_series(1, 2000) AS g"));
    const auto committed_at = wall::now();

    auto stale = log.wait_for("standby_stale", "standby1", from);
    ASSERT_TRUE(stale) << "no standby_stale for standby1 while its replay is blocked\n"
                       << log.dump();
    const long stale_ms = ms_between(committed_at, stale->at);
    std::cout << "[health] standby1 (replay blocked by a lock) stale " << stale_ms
              << " ms after the write's commit: " << stale->reason << "\n";
    EXPECT_LE(stale_ms, (3 * interval + probe_allowance).count()) << stale->line;
    EXPECT_NE(stale->reason.find("replay lag"), std::string::npos) << stale->line;
    EXPECT_EQ(stale->reason.find("paused"), std::string::npos) << stale->line;
    EXPECT_TRUE(log.find("standby_stale", "standby2", from).empty())
        << "standby2 replays normally and must stay readable\n"
        << log.dump();
    {
        pg_conn s1 = direct(pc().standby_port(1));
        EXPECT_EQ(query_value(s1.get(),
                              "SELECT (pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn())::text "
                              "|| ' ' || (SELECT status FROM pg_stat_wal_receiver)"),
                  "true streaming")
            << "the test's premise: WAL received, replay blocked";
    }

    const auto from_release = log.count();
    ASSERT_TRUE(exec_ok(reader.get(), "ROLLBACK"));
    const auto released_at = wall::now();
    auto fresh = log.wait_for("standby_fresh", "standby1", from_release);
    ASSERT_TRUE(fresh) << "no standby_fresh for standby1 after the lock was released\n"
                       << log.dump();
    const long fresh_ms = ms_between(released_at, fresh->at);
    std::cout << "[health] standby1 fresh " << fresh_ms
              << " ms after the lock's release: " << fresh->reason << "\n";
    EXPECT_LE(fresh_ms, ((readmit_samples + 2) * interval + probe_allowance).count())
        << fresh->line;
    EXPECT_EQ(wait_value(pc().standby_port(1), "SELECT count(*) FROM health_lock", "2001"), "2001");
}

// ---- 3. node_down / node_up ---------------------------------------------------------------

TEST_F(health, stopped_standby_is_down_after_fall_failures_and_up_when_started) {
    pgrelay_process relay;
    ASSERT_NO_FATAL_FAILURE(start_relay(relay, options()));
    event_log log(relay);

    const auto from = log.count();
    const auto stop_begin = steady::now();
    ASSERT_TRUE(pc().stop_node("standby1", "fast"));
    const auto stopped_at = wall::now();
    const auto stop_ms =
        std::chrono::duration_cast<milliseconds>(steady::now() - stop_begin).count();

    auto down = log.wait_for("node_down", "standby1", from);
    ASSERT_TRUE(down) << "no node_down for the stopped standby1\n" << log.dump();
    const long down_ms = ms_between(stopped_at, down->at);
    std::cout << "[health] standby1 down " << down_ms
              << " ms after pg_ctl stop returned (stop took " << stop_ms << " ms): " << down->reason
              << "\n";
    EXPECT_LE(down_ms, ((fall + 1) * interval + probe_allowance).count()) << down->line;
    EXPECT_NE(down->reason.find(std::to_string(fall) + " consecutive probe failures"),
              std::string::npos)
        << down->line;
    EXPECT_FALSE(log.find("standby_stale", "standby1", from).empty())
        << "a down standby is not readable any more\n"
        << log.dump();
    EXPECT_TRUE(log.find("node_down", "primary", from).empty()) << log.dump();
    EXPECT_TRUE(log.find("node_down", "standby2", from).empty()) << log.dump();
    // Sessions go on through pgrelay meanwhile.
    EXPECT_EQ(served_port(relay.port()), std::to_string(pc().primary_port()));

    const auto from_start = log.count();
    ASSERT_TRUE(pc().start_node("standby1"));
    const auto started_at = wall::now();
    auto up = log.wait_for("node_up", "standby1", from_start);
    ASSERT_TRUE(up) << "no node_up for standby1 after it was started\n" << log.dump();
    const long up_ms = ms_between(started_at, up->at);
    std::cout << "[health] standby1 up " << up_ms
              << " ms after pg_ctl start returned: " << up->reason << "\n";
    EXPECT_LE(up_ms, ((rise + 1) * interval + probe_allowance).count()) << up->line;
    auto fresh = log.wait_for("standby_fresh", "standby1", from_start);
    EXPECT_TRUE(fresh) << "standby1 is back and streaming: readable again\n" << log.dump();
    if (fresh) {
        std::cout << "[health] standby1 readable " << since(started_at, *fresh)
                  << " after pg_ctl start returned\n";
    }
}

// ---- 4. pgrelay --probe -------------------------------------------------------------------

TEST_F(health, probe_prints_the_topology_table) {
    auto dir = make_scratch_dir("health-probe");
    write_relay_config(dir, options(), free_port());
    const auto config = dir / "pgrelay.toml";

    auto intact = run_probe(config);
    ASSERT_TRUE(intact.run.ok()) << intact.run.describe();
    std::cout << "[health] pgrelay --probe, healthy cluster:\n" << intact.run.out;
    ASSERT_EQ(intact.rows.size(), 3u) << intact.run.out;
    const std::map<std::string, std::string> roles = {
        {"primary", "primary"}, {"standby1", "standby"}, {"standby2", "standby"}};
    for (const auto& [node, role] : roles) {
        const auto& r = intact.rows[node];
        EXPECT_EQ(r.role, role) << node << "\n" << intact.run.out;
        EXPECT_EQ(r.tli, "1") << node << "\n" << intact.run.out;
        EXPECT_EQ(r.state, "up") << node << "\n" << intact.run.out;
        EXPECT_EQ(r.address, "127.0.0.1:" + std::to_string(pc().port_of(node))) << intact.run.out;
        EXPECT_EQ(r.readable, role == "standby" ? "yes" : "no") << node << "\n" << intact.run.out;
    }
    EXPECT_EQ(intact.primary_line.rfind("primary: primary ", 0), 0u) << intact.run.out;

    ASSERT_TRUE(pc().stop_node("standby2", "fast"));
    auto degraded = run_probe(config);
    ASSERT_TRUE(pc().start_node("standby2"));
    ASSERT_TRUE(degraded.run.ok()) << degraded.run.describe();
    std::cout << "[health] pgrelay --probe, standby2 stopped:\n" << degraded.run.out;
    ASSERT_EQ(degraded.rows.size(), 3u) << degraded.run.out;
    EXPECT_EQ(degraded.rows["standby2"].state, "down")
        << "a node that refuses connections must read as down\n"
        << degraded.run.out;
    EXPECT_EQ(degraded.rows["standby2"].readable, "no") << degraded.run.out;
    EXPECT_NE(degraded.rows["standby2"].reason.find("refused"), std::string::npos)
        << "the reason says why\n"
        << degraded.run.out;
    EXPECT_EQ(degraded.rows["primary"].state, "up") << degraded.run.out;
    EXPECT_EQ(degraded.rows["standby1"].state, "up") << degraded.run.out;
    EXPECT_EQ(degraded.primary_line.rfind("primary: primary ", 0), 0u) << degraded.run.out;
}

// ---- 5. primary_lost ----------------------------------------------------------------------

TEST_F(health, stopped_primary_is_lost_writes_get_08006_reads_go_on_and_it_comes_back) {
    pgrelay_process relay;
    auto o = options();
    o.server_connect_timeout = 1;
    o.primary_wait_timeout = 1;
    o.routing = "auto";  // reads may go on without a primary
    ASSERT_NO_FATAL_FAILURE(start_relay(relay, o));
    event_log log(relay);

    const auto from = log.count();
    ASSERT_TRUE(pc().stop_node("primary", "fast"));
    const auto stopped_at = wall::now();
    auto lost = log.wait_for("primary_lost", "primary", from);
    ASSERT_TRUE(lost) << "no primary_lost after the primary stopped\n" << log.dump();
    const long lost_ms = ms_between(stopped_at, lost->at);
    std::cout << "[health] primary lost " << lost_ms
              << " ms after pg_ctl stop returned: " << lost->reason << "\n";
    EXPECT_LE(lost_ms, ((fall + 1) * interval + probe_allowance).count()) << lost->line;
    EXPECT_EQ(lost->primary, "none") << lost->line;

    // Clients still log in and read (on a standby); a write waits primary_wait_timeout for
    // a primary, then fails with 08006 naming every node's state.
    auto session = try_connect(superuser_login(relay.port()), 10s);
    ASSERT_TRUE(session.ok()) << session.error;
    EXPECT_EQ(query_value(session.conn.get(), "SELECT pg_is_in_recovery()::text"), "true");
    const auto write_started = steady::now();
    pg_result refused(PQexec(session.conn.get(), "CREATE TABLE health_no_primary (v int)"));
    const auto waited =
        std::chrono::duration_cast<milliseconds>(steady::now() - write_started).count();
    const std::string error = PQresultErrorMessage(refused.get());
    EXPECT_EQ(sqlstate(refused.get()), "08006") << error;
    EXPECT_NE(error.find("no primary"), std::string::npos) << error;
    std::cout << "[health] write refused after " << waited
              << " ms (primary_wait_timeout 1 s): " << error;
    EXPECT_GE(waited, 900) << error;
    EXPECT_LE(waited, 1000 + probe_allowance.count() + 500) << error;
    // The standbys are still reported up, in the events and in the refusal's reasons.
    for (const std::string node : {"standby1", "standby2"}) {
        EXPECT_TRUE(log.find("node_down", node, from).empty()) << node << "\n" << log.dump();
        EXPECT_TRUE(log.find("standby_stale", node, from).empty()) << node << "\n" << log.dump();
        EXPECT_NE(error.find(node + ": up"), std::string::npos) << error;
    }

    // Back on the same timeline with no other claimant: primary again.
    const auto from_back = log.count();
    ASSERT_TRUE(pc().start_node("primary"));
    const auto started_at = wall::now();
    auto back = log.wait_for("promotion_seen", "primary", from_back);
    ASSERT_TRUE(back) << "no promotion_seen when the primary came back\n" << log.dump();
    std::cout << "[health] primary again " << since(started_at, *back)
              << " after pg_ctl start returned: " << back->reason << "\n";
    EXPECT_FALSE(log.find("node_up", "primary", from_back).empty()) << log.dump();
    EXPECT_EQ(served_port(relay.port()), std::to_string(pc().primary_port()));
}

// ---- 2. promotion_seen, fencing, sessions follow the new primary --------------------------

TEST_F(health, promoted_standby_becomes_primary_and_the_old_one_is_fenced) {
    pgrelay_process relay;
    ASSERT_NO_FATAL_FAILURE(start_relay(relay, options()));
    event_log log(relay);
    pg_conn old_primary = direct(pc().primary_port());
    pg_conn standby2 = direct(pc().standby_port(2));
    ASSERT_TRUE(old_primary && standby2);
    ASSERT_TRUE(exec_ok(old_primary.get(),
                        "DROP TABLE IF EXISTS health_promo; CREATE TABLE health_promo (v text)"));
    ASSERT_EQ(wait_value(pc().standby_port(2),
                         "SELECT (to_regclass('health_promo') IS NOT NULL)::text", "true"),
              "true");
    EXPECT_EQ(served_port(relay.port()), std::to_string(pc().primary_port()));
    // A session opened before the promotion, on the old primary.
    auto before = try_connect(superuser_login(relay.port()), 5s);
    ASSERT_TRUE(before.ok()) << before.error;

    spoil_cluster();
    const auto from = log.count();
    ASSERT_EQ(promote(pc().standby_port(2)), "true");
    const auto promoted_at = wall::now();

    auto promotion = log.wait_for("promotion_seen", "standby2", from);
    ASSERT_TRUE(promotion) << "no promotion_seen for standby2\n" << log.dump();
    const long promotion_ms = ms_between(promoted_at, promotion->at);
    std::cout << "[health] standby2 seen as primary " << promotion_ms
              << " ms after pg_promote() returned: " << promotion->reason << "\n";
    EXPECT_LE(promotion_ms, (2 * interval + probe_allowance).count()) << promotion->line;
    EXPECT_NE(promotion->reason.find("timeline 2"), std::string::npos) << promotion->line;
    EXPECT_EQ(promotion->primary, "standby2") << promotion->line;

    auto fenced = log.wait_for("fenced", "primary", from);
    ASSERT_TRUE(fenced) << "the old primary (still running, timeline 1) is not fenced\n"
                        << log.dump();
    std::cout << "[health] old primary fenced " << since(promoted_at, *fenced)
              << " after pg_promote() returned: " << fenced->reason << "\n";
    EXPECT_NE(fenced->reason.find("timeline 1 < 2"), std::string::npos) << fenced->line;

    auto follower = log.wait_for("standby_stale", "standby1", from);
    ASSERT_TRUE(follower) << "standby1 still follows the old primary on timeline 1\n" << log.dump();
    std::cout << "[health] standby1 not readable " << since(promoted_at, *follower)
              << " after pg_promote() returned: " << follower->reason << "\n";
    EXPECT_NE(follower->reason.find("timeline 1"), std::string::npos) << follower->line;

    // A session opened before the promotion and idle since (transaction pooling) sees no
    // error: its next write goes to the new primary (checked below with the counts).
    ASSERT_TRUE(exec_ok(before.conn.get(),
                        "INSERT INTO health_promo VALUES ('from a session opened before')"));

    // New sessions land on the new primary, and their writes go there only.
    auto session = try_connect(superuser_login(relay.port()), 5s);
    ASSERT_TRUE(session.ok()) << session.error;
    EXPECT_EQ(query_value(session.conn.get(), "SELECT inet_server_port()::text"),
              std::to_string(pc().standby_port(2)));
    EXPECT_EQ(query_value(session.conn.get(), "SELECT pg_is_in_recovery()::text"), "false");
    ASSERT_TRUE(exec_ok(session.conn.get(),
                        "INSERT INTO health_promo VALUES ('written after the promotion')"));
    EXPECT_EQ(query_value(standby2.get(), "SELECT count(*) FROM health_promo"), "2");
    EXPECT_EQ(query_value(old_primary.get(), "SELECT count(*) FROM health_promo"), "0")
        << "the write must not reach the fenced old primary";
    EXPECT_EQ(query_value(old_primary.get(), "SELECT pg_is_in_recovery()::text"), "false")
        << "the test's premise: the old primary still runs and claims primary";
}

}  // namespace
}  // namespace pgrelay::it
