// The HTTP endpoint ([http]) over plain sockets: /livez, /readyz, /topology and /metrics
// (checked by promtool; its counters move with traffic) against the shared cluster, HEAD and
// keep-alive, 404 and 405, malformed and oversized requests refused while other clients are
// served, /readyz unready without a primary (ready with ready_without_primary, applied by a
// reload) and while shutting down, `pgrelay --ready` on /readyz, and a port that cannot be
// bound stopping pgrelay.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <thread>

#include "tests/integration/node_routing.hpp"
#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/subprocess.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

struct http_answer {
    int status = 0;       // 0: no status line came
    std::string headers;  // the header lines, each ending in "\r\n"
    std::string body;
};

// The first answer in `raw` (status line, headers, then the rest as the body).
http_answer parse_answer(const std::string& raw) {
    http_answer a;
    const auto head_end = raw.find("\r\n\r\n");
    if (!raw.starts_with("HTTP/1.1 ") || head_end == std::string::npos) return a;
    a.status = std::stoi(raw.substr(9, 3));
    const auto first_line_end = raw.find("\r\n");
    a.headers = raw.substr(first_line_end + 2, head_end + 2 - (first_line_end + 2));
    a.body = raw.substr(head_end + 4);
    return a;
}

// Sends `request` as it is and reads until the server closes the connection.
std::string send_raw(std::uint16_t port, const std::string& request) {
    raw_client c;
    if (!c.connect(port)) return {};
    c.send(request);
    return c.read_until_close(5s).data;
}

http_answer http_request(std::uint16_t port, const std::string& method, const std::string& path) {
    return parse_answer(send_raw(port, method + " " + path +
                                           " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Connection: close\r\n\r\n"));
}

http_answer http_get(std::uint16_t port, const std::string& path) {
    return http_request(port, "GET", path);
}

bool has_header(const http_answer& a, const std::string& line) {
    return a.headers.find(line + "\r\n") != std::string::npos;
}

// GETs `path` until it answers `status` (the health checker needs a moment), or `wait` passes.
http_answer wait_for_status(std::uint16_t port, const std::string& path, int status,
                            std::chrono::milliseconds wait = 15s) {
    http_answer a;
    for (const auto deadline = std::chrono::steady_clock::now() + wait;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(100ms)) {
        a = http_get(port, path);
        if (a.status == status) break;
    }
    return a;
}

// The start of one node's object in /topology: its name, host, port and role, in this order.
std::string node_json(const std::string& name, std::uint16_t port, const std::string& role) {
    return "{\"name\":\"" + name + "\",\"host\":\"127.0.0.1\",\"port\":" + std::to_string(port) +
           ",\"role\":\"" + role + "\"";
}

command_result run_pgrelay(const std::vector<std::string>& args,
                           const std::vector<std::pair<std::string, std::string>>& env = {}) {
    std::vector<std::string> argv = {pgrelay_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, {.env = env, .timeout = 10s});
}

std::string readyz_url(std::uint16_t port) {
    return "http://127.0.0.1:" + std::to_string(port) + "/readyz";
}

class Http : public ::testing::Test {
  protected:
    void SetUp() override { PGRELAY_IT_REQUIRE_RELAY(); }

    // pgrelay with an [http] port (plus `http_keys` in that section) in front of `nodes`
    // (default: the whole shared cluster).
    void start(std::vector<relay_node> nodes = all_cluster_nodes(), std::string http_keys = "") {
        options_.nodes = std::move(nodes);
        http_port_ = free_port();
        http_keys_ = std::move(http_keys);
        options_.extra_toml = http_section();
        ASSERT_TRUE(relay_.start(options_));
    }

    std::string http_section() const {
        return "\n[http]\nport = " + std::to_string(http_port_) + "\n" + http_keys_;
    }

    pgrelay_process relay_;
    relay_options options_;
    std::uint16_t http_port_ = 0;
    std::string http_keys_;
};

TEST_F(Http, livez_readyz_and_topology_with_the_cluster) {
    start();
    const auto livez = http_get(http_port_, "/livez");
    EXPECT_EQ(livez.status, 200) << livez.headers;
    EXPECT_EQ(livez.body, "ok\n");
    EXPECT_TRUE(has_header(livez, "Content-Type: text/plain; charset=utf-8")) << livez.headers;

    const auto readyz = wait_for_status(http_port_, "/readyz", 200);
    EXPECT_EQ(readyz.status, 200) << readyz.body;
    EXPECT_EQ(readyz.body, "ready\n");

    ASSERT_TRUE(wait_for_topology(relay_));
    const auto topology = http_get(http_port_, "/topology");
    EXPECT_EQ(topology.status, 200);
    EXPECT_TRUE(has_header(topology, "Content-Type: application/json")) << topology.headers;
    const std::string& json = topology.body;
    EXPECT_TRUE(json.starts_with("{\"generation\":")) << json;
    EXPECT_NE(json.find("\"primary\":\"primary\""), std::string::npos) << json;
    const auto& c = cluster();
    EXPECT_NE(json.find(node_json("primary", c.primary_port, "primary")), std::string::npos)
        << json;
    EXPECT_NE(json.find(node_json("standby1", c.standby_ports[0], "standby")), std::string::npos)
        << json;
    EXPECT_NE(json.find(node_json("standby2", c.standby_ports[1], "standby")), std::string::npos)
        << json;
    EXPECT_NE(json.find("\"readable\":true"), std::string::npos) << json;
    EXPECT_TRUE(json.ends_with("]}\n")) << json;

    const auto metrics = http_get(http_port_, "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_TRUE(has_header(metrics, "Content-Type: text/plain; version=0.0.4; charset=utf-8"))
        << metrics.headers;
    EXPECT_NE(metrics.body.find("# TYPE pgrelay_"), std::string::npos) << metrics.body;
    const auto lint =
        run_command({"promtool", "check", "metrics"}, {.stdin_data = metrics.body, .timeout = 10s});
    EXPECT_EQ(lint.exit_code, 0) << "(promtool comes with the Debian package prometheus, which "
                                    "scripts/install-deps.sh installs)\n"
                                 << lint.describe() << metrics.body;

    EXPECT_NE(relay_.stderr_text().find("http=127.0.0.1:" + std::to_string(http_port_)),
              std::string::npos)
        << "the start line should name the HTTP endpoint";
}

// The value of the sample `series` (name and labels, as written) in a /metrics body; -1 when
// absent.
double sample(const std::string& body, const std::string& series) {
    const std::string prefix = series + " ";
    std::size_t at = 0;
    while ((at = body.find(prefix, at)) != std::string::npos) {
        if (at == 0 || body[at - 1] == '\n') return std::stod(body.substr(at + prefix.size()));
        at += prefix.size();
    }
    return -1;
}

TEST_F(Http, metrics_counters_move_with_traffic) {
    start();
    ASSERT_TRUE(wait_for_topology(relay_));
    pg_conn reader = connect_or_fail(alice_login(relay_.port()));
    pg_conn writer = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(reader && writer);
    ASSERT_EQ(query_value(reader.get(), "SELECT 1"), "1");
    const auto before = http_get(http_port_, "/metrics").body;
    for (int i = 0; i < 20; ++i)
        ASSERT_EQ(query_value(reader.get(), "SELECT 1"), "1");
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(exec_ok(writer.get(), "SELECT pg_advisory_xact_lock(7)"));
    ASSERT_TRUE(exec_fails_with(writer.get(), "SELECT 1/0", "22012"));
    const auto after = http_get(http_port_, "/metrics").body;
    const auto grew = [&](const std::string& series) {
        return std::max(0.0, sample(after, series)) - std::max(0.0, sample(before, series));
    };
    EXPECT_GE(grew("pgrelay_transactions_total{database=\"app\",route=\"standby\"}"), 20) << after;
    EXPECT_GE(grew("pgrelay_transactions_total{database=\"app\",route=\"primary\"}"), 5);
    EXPECT_GE(grew("pgrelay_queries_total{database=\"app\",route=\"standby\"}"), 20);
    EXPECT_GE(grew("pgrelay_errors_total{class=\"22\"}"), 1);
    EXPECT_GT(grew("pgrelay_client_received_bytes_total{database=\"app\"}"), 20 * 14);
    EXPECT_GT(grew("pgrelay_client_sent_bytes_total{database=\"app\"}"), 0);
    EXPECT_GE(grew("pgrelay_query_duration_seconds_count"), 26);
    EXPECT_GE(sample(after, "pgrelay_clients{state=\"idle\"}"), 2);
    EXPECT_EQ(sample(after, "pgrelay_node_primary{node=\"primary\"}"), 1);
    EXPECT_EQ(sample(after, "pgrelay_node_readable{node=\"standby1\"}"), 1);
    EXPECT_EQ(sample(after, "pgrelay_node_role{node=\"standby2\",role=\"standby\"}"), 1);
    EXPECT_GE(sample(after,
                     "pgrelay_pool_servers{database=\"app\",user=\"alice\",node="
                     "\"primary\",state=\"idle\"}"),
              1)
        << after;
    const auto lint =
        run_command({"promtool", "check", "metrics"}, {.stdin_data = after, .timeout = 10s});
    EXPECT_EQ(lint.exit_code, 0) << lint.describe() << after;
}

TEST_F(Http, unknown_path_is_404_and_other_methods_405) {
    start();
    EXPECT_EQ(http_get(http_port_, "/nope").status, 404);
    EXPECT_EQ(http_get(http_port_, "/").status, 404);
    const auto post = http_request(http_port_, "POST", "/readyz");
    EXPECT_EQ(post.status, 405);
    EXPECT_TRUE(has_header(post, "Allow: GET, HEAD")) << post.headers;
    EXPECT_EQ(http_request(http_port_, "DELETE", "/livez").status, 405);
    // A POST with a body is answered too.
    const auto with_body = parse_answer(send_raw(
        http_port_,
        "POST /livez HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"));
    EXPECT_EQ(with_body.status, 405);
}

TEST_F(Http, head_has_no_body_and_a_connection_serves_several_requests) {
    start();
    const auto head = http_request(http_port_, "HEAD", "/livez");
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(has_header(head, "Content-Length: 3")) << head.headers;
    EXPECT_EQ(head.body, "");

    // Two requests in one write (pipelined) on one kept-alive connection; the second closes.
    const std::string raw = send_raw(http_port_,
                                     "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"
                                     "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const auto first = parse_answer(raw);
    EXPECT_EQ(first.status, 200) << raw;
    EXPECT_TRUE(first.body.starts_with("ok\n")) << raw;
    const auto second = parse_answer(first.body.substr(3));
    EXPECT_EQ(second.status, 404) << raw;

    // One after the other on the same connection, each answer read before the next request.
    raw_client c;
    ASSERT_TRUE(c.connect(http_port_));
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(c.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"));
        const auto got = c.read_at_least(1, 5s);
        EXPECT_TRUE(got.data.starts_with("HTTP/1.1 200 ")) << got.data;
        EXPECT_EQ(got.end, read_end::still_open) << "request " << i;
    }
}

TEST_F(Http, bad_requests_are_refused_and_others_still_served) {
    start();
    // A client that connects and says nothing holds no one up.
    raw_client idle;
    ASSERT_TRUE(idle.connect(http_port_));
    ASSERT_TRUE(idle.send("GET /livez HTTP/1.1\r\nHo"));

    const auto garbage = parse_answer(send_raw(http_port_, "\x01\x02 garbage\r\n\r\n"));
    EXPECT_EQ(garbage.status, 400);
    const auto bad_version = parse_answer(send_raw(http_port_, "GET /livez HTTP/9\r\n\r\n"));
    EXPECT_EQ(bad_version.status, 400);
    const std::string big_header(20000, 'a');
    const auto too_big = parse_answer(
        send_raw(http_port_, "GET /livez HTTP/1.1\r\nX-Big: " + big_header + "\r\n\r\n"));
    EXPECT_EQ(too_big.status, 431);
    const auto big_body = parse_answer(send_raw(
        http_port_, "POST /livez HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nxx"));
    EXPECT_EQ(big_body.status, 413);

    EXPECT_EQ(http_get(http_port_, "/livez").status, 200);
    // The half-sent request is still waiting; its read deadline (10 s) closes it later.
    EXPECT_EQ(idle.read_at_least(1, 200ms).end, read_end::still_open);
}

TEST_F(Http, pgrelay_ready_checks_readyz) {
    start();
    ASSERT_EQ(wait_for_status(http_port_, "/readyz", 200).status, 200);
    const auto ready = run_pgrelay({"--ready", readyz_url(http_port_)});
    EXPECT_EQ(ready.exit_code, 0) << ready.describe();
    // The bare form finds /readyz through PGRELAY_HTTP_PORT.
    const auto bare = run_pgrelay({"--ready"}, {{"PGRELAY_HTTP_PORT", std::to_string(http_port_)}});
    EXPECT_EQ(bare.exit_code, 0) << bare.describe();
}

// Only a standby in the node list: no primary, so not ready, unless ready_without_primary,
// which a reload turns on.
TEST_F(Http, readyz_without_a_primary) {
    const auto& c = cluster();
    start({{.name = "standby1", .port = c.standby_ports[0]}});
    // Once the checker has seen the standby readable, the answer is final.
    http_answer topology;
    for (int i = 0; i < 150; ++i) {
        topology = http_get(http_port_, "/topology");
        if (topology.body.find("\"readable\":true") != std::string::npos) break;
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_NE(topology.body.find("\"readable\":true"), std::string::npos) << topology.body;
    EXPECT_NE(topology.body.find("\"primary\":null"), std::string::npos) << topology.body;
    const auto unready = http_get(http_port_, "/readyz");
    EXPECT_EQ(unready.status, 503);
    EXPECT_EQ(unready.body, "no primary known\n");
    const auto probe = run_pgrelay({"--ready", readyz_url(http_port_)});
    EXPECT_NE(probe.exit_code, 0) << probe.describe();
    EXPECT_NE(probe.err.find("503"), std::string::npos) << probe.describe();

    http_keys_ = "ready_without_primary = true\n";
    options_.extra_toml = http_section();
    write_relay_config(relay_.dir(), options_, relay_.port());
    ASSERT_EQ(::kill(relay_.pid(), SIGHUP), 0);
    const auto ready = wait_for_status(http_port_, "/readyz", 200, 5s);
    EXPECT_EQ(ready.status, 200) << ready.body;
    EXPECT_EQ(ready.body, "ready (read-only: no primary known)\n");
    EXPECT_EQ(run_pgrelay({"--ready", readyz_url(http_port_)}).exit_code, 0);
}

// After SIGTERM, while a transaction still runs, /readyz says so.
TEST_F(Http, readyz_while_shutting_down) {
    options_.shutdown_timeout = 20;
    start();
    ASSERT_EQ(wait_for_status(http_port_, "/readyz", 200).status, 200);
    pg_conn conn = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(conn);
    ASSERT_TRUE(exec_ok(conn.get(), "BEGIN"));
    ASSERT_TRUE(exec_ok(conn.get(), "SELECT 1"));
    relay_.send_signal(SIGTERM);
    const auto draining = wait_for_status(http_port_, "/readyz", 503, 5s);
    EXPECT_EQ(draining.status, 503);
    EXPECT_EQ(draining.body, "shutting down\n");
    EXPECT_EQ(http_get(http_port_, "/livez").status, 200);
    ASSERT_TRUE(exec_ok(conn.get(), "COMMIT"));
    EXPECT_EQ(relay_.wait_exit(10s), 0) << relay_.exit_description();
}

TEST_F(Http, port_in_use_stops_pgrelay) {
    // Hold a port, then ask pgrelay to serve HTTP on it.
    const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(holder, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(holder, 1), 0);
    ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    http_port_ = ntohs(addr.sin_port);
    options_.extra_toml = http_section();
    const auto dir = make_scratch_dir("http-port-in-use");
    write_relay_config(dir, options_, free_port());
    const auto run = run_pgrelay({"--config", (dir / "pgrelay.toml").string()});
    ::close(holder);
    EXPECT_EQ(run.exit_code, 1) << run.describe();
    EXPECT_NE(run.err.find("cannot listen for the HTTP endpoint"), std::string::npos)
        << run.describe();
}

}  // namespace
}  // namespace pgrelay::it
