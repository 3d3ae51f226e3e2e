// Where statements ran; see node_routing.hpp.
#include "tests/integration/node_routing.hpp"

#include <sstream>
#include <thread>

#include "tests/integration/cluster_environment.hpp"

namespace pgrelay::it {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

std::string primary_port() {
    return std::to_string(cluster().primary_port);
}
std::string standby_port(std::size_t i) {  // 1 or 2
    return std::to_string(cluster().standby_ports.at(i - 1));
}
std::string node_of(const std::string& port) {
    if (port == primary_port()) return "primary";
    for (std::size_t i = 1; i <= cluster().standby_ports.size(); ++i) {
        if (port == standby_port(i)) return "standby" + std::to_string(i);
    }
    return "?" + port;
}

// The superuser on the app database of one node, bypassing pgrelay.
login superuser_app_login(std::uint16_t port) {
    login l = superuser_login(port);
    l.dbname = "app";
    return l;
}

// Polls `sql` directly on `port` (superuser, app) until it returns `want`; the last value.
std::string wait_direct_value(std::uint16_t port, const std::string& sql, const std::string& want,
                              milliseconds wait) {
    const auto deadline = steady::now() + wait;
    std::string last;
    while (true) {
        auto outcome = try_connect(superuser_app_login(port), 2s);
        last = outcome.ok() ? query_value(outcome.conn.get(), sql) : "<" + outcome.error + ">";
        if (last == want || steady::now() >= deadline) return last;
        std::this_thread::sleep_for(20ms);
    }
}

// Waits until `sql` gives `want` on both standbys (replication of a table or its rows).
::testing::AssertionResult wait_on_standbys(const std::string& sql, const std::string& want) {
    for (std::size_t i = 1; i <= cluster().standby_ports.size(); ++i) {
        auto got = wait_direct_value(cluster().standby_ports[i - 1], sql, want);
        if (got != want) {
            return ::testing::AssertionFailure() << "standby" << i << " never replayed: \"" << sql
                                                 << "\" gave " << got << ", want " << want;
        }
    }
    return ::testing::AssertionSuccess();
}

// Counts of where `n` runs of `sql` (one value: a port) landed, by node name.
std::map<std::string, int> tally(PGconn* conn, int n, const std::string& sql,
                                 std::vector<std::string>* order) {
    std::map<std::string, int> counts;
    for (int i = 0; i < n; ++i) {
        auto node = node_of(query_value(conn, sql));
        ++counts[node];
        if (order != nullptr) order->push_back(node);
    }
    return counts;
}

std::string describe(const std::map<std::string, int>& counts) {
    std::ostringstream s;
    s << "{";
    const char* sep = "";
    for (const auto& [node, n] : counts) {
        s << sep << node << ": " << n;
        sep = ", ";
    }
    s << "}";
    return s.str();
}

// Runs single reads until every node of `must_see` has served one, or `wait` passes: pgrelay
// needs a moment after its start until its health checker has seen the standbys.
::testing::AssertionResult wait_for_reads_on(PGconn* conn, const std::set<std::string>& must_see,
                                             milliseconds wait) {
    const auto deadline = steady::now() + wait;
    std::map<std::string, int> seen;
    std::string last;
    while (true) {
        last = query_value(conn, port_sql);
        ++seen[node_of(last)];
        bool all = true;
        for (const auto& node : must_see)
            all = all && seen.count(node) > 0;
        if (all) return ::testing::AssertionSuccess();
        if (steady::now() >= deadline) {
            return ::testing::AssertionFailure()
                   << "reads never reached every node wanted within " << wait.count()
                   << " ms; reads landed on " << describe(seen) << ", last value " << last;
        }
        std::this_thread::sleep_for(20ms);
    }
}

// True once pgrelay's log has a topology event `kind` for `node`.

bool has_event(const pgrelay_process& relay, const std::string& kind, const std::string& node) {
    std::istringstream in(relay.stderr_text());
    std::string line;
    while (std::getline(in, line)) {
        if (line.find("msg=\"topology event\"") == std::string::npos) continue;
        if (line.find(" event=" + kind + " ") == std::string::npos) continue;
        const auto at = line.find(" node=" + node);
        if (at == std::string::npos) continue;
        const auto end = at + 6 + node.size();
        if (end == line.size() || line[end] == ' ') return true;
    }
    return false;
}

// Waits until pgrelay's health checker has reported the primary and both standbys readable.
::testing::AssertionResult wait_for_topology(const pgrelay_process& relay,
                                             std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    const std::vector<std::pair<std::string, std::string>> settled = {
        {"promotion_seen", "primary"},
        {"standby_fresh", "standby1"},
        {"standby_fresh", "standby2"}};
    while (true) {
        std::string missing;
        for (const auto& [kind, node] : settled) {
            if (!has_event(relay, kind, node)) missing += " " + kind + "/" + node;
        }
        if (missing.empty()) return ::testing::AssertionSuccess();
        if (std::chrono::steady_clock::now() >= deadline) {
            return ::testing::AssertionFailure()
                   << "pgrelay did not report the cluster within " << wait.count()
                   << " ms; missing topology events:" << missing;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace pgrelay::it
