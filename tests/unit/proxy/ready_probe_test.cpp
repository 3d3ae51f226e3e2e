// Unit tests for proxy/ready_probe: target parsing (HOST:PORT, [IPv6]:PORT, http URLs and
// mistakes), the SSLRequest bytes, reply judgement, the default target from the
// environment, and check_ready against loopback listeners that answer 'N', 'S', garbage,
// nothing, an HTTP status, or that do not exist.
#include "proxy/ready_probe.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace pgrelay::proxy {
namespace {

using namespace std::chrono_literals;

TEST(ready_target, host_and_port) {
    auto t = parse_ready_target("127.0.0.1:6432");
    ASSERT_TRUE(t.value) << t.error;
    EXPECT_EQ(t.value->kind, ready_target::protocol::postgres);
    EXPECT_EQ(t.value->host, "127.0.0.1");
    EXPECT_EQ(t.value->port, 6432);

    auto v6 = parse_ready_target("[::1]:7000");
    ASSERT_TRUE(v6.value) << v6.error;
    EXPECT_EQ(v6.value->host, "::1");
    EXPECT_EQ(v6.value->port, 7000);

    auto name = parse_ready_target("pgrelay.local:1");
    ASSERT_TRUE(name.value) << name.error;
    EXPECT_EQ(name.value->host, "pgrelay.local");
}

TEST(ready_target, http_urls) {
    auto t = parse_ready_target("http://127.0.0.1:8080/readyz");
    ASSERT_TRUE(t.value) << t.error;
    EXPECT_EQ(t.value->kind, ready_target::protocol::http);
    EXPECT_EQ(t.value->host, "127.0.0.1");
    EXPECT_EQ(t.value->port, 8080);
    EXPECT_EQ(t.value->path, "/readyz");

    auto bare = parse_ready_target("http://localhost");
    ASSERT_TRUE(bare.value) << bare.error;
    EXPECT_EQ(bare.value->port, 80);
    EXPECT_EQ(bare.value->path, "/");
}

TEST(ready_target, mistakes) {
    EXPECT_EQ(parse_ready_target("127.0.0.1").error, "missing port (expected HOST:PORT)");
    EXPECT_EQ(parse_ready_target("127.0.0.1:").error, "missing port (expected HOST:PORT)");
    EXPECT_EQ(parse_ready_target(":6432").error, "missing host");
    EXPECT_EQ(parse_ready_target("h:0").error, "port must be an integer between 1 and 65535");
    EXPECT_EQ(parse_ready_target("h:65536").error, "port must be an integer between 1 and 65535");
    EXPECT_EQ(parse_ready_target("h:64x").error, "port must be an integer between 1 and 65535");
    EXPECT_EQ(parse_ready_target("::1:6432").error, "write an IPv6 address as [address]:port");
    EXPECT_EQ(parse_ready_target("[::1:6432").error, "unclosed '[' in the address");
    EXPECT_EQ(parse_ready_target("[::1]6432").error, "expected ':' after ']'");
    EXPECT_EQ(parse_ready_target("https://h/readyz").error,
              "only HOST:PORT and http:// targets are supported");
}

TEST(ready_target, default_from_environment) {
    EXPECT_EQ(default_ready_target({}), "127.0.0.1:6432");
    EXPECT_EQ(default_ready_target({{"PGRELAY_LISTEN_PORT", "7000"}}), "127.0.0.1:7000");
    EXPECT_EQ(default_ready_target({{"PGRELAY_LISTEN_ADDRESS", "0.0.0.0"}}), "127.0.0.1:6432");
    EXPECT_EQ(default_ready_target({{"PGRELAY_LISTEN_ADDRESS", "::"}}), "[::1]:6432");
    EXPECT_EQ(default_ready_target(
                  {{"PGRELAY_LISTEN_ADDRESS", "10.1.2.3"}, {"PGRELAY_LISTEN_PORT", "1"}}),
              "10.1.2.3:1");
}

TEST(ready_target, default_is_readyz_when_the_http_endpoint_is_configured) {
    EXPECT_EQ(default_ready_target({{"PGRELAY_HTTP_PORT", "9187"}}),
              "http://127.0.0.1:9187/readyz");
    EXPECT_EQ(default_ready_target({{"PGRELAY_HTTP_ADDRESS", "0.0.0.0"},
                                    {"PGRELAY_HTTP_PORT", "9187"},
                                    {"PGRELAY_LISTEN_PORT", "7000"}}),
              "http://127.0.0.1:9187/readyz");
    EXPECT_EQ(default_ready_target({{"PGRELAY_HTTP_ADDRESS", "::"}, {"PGRELAY_HTTP_PORT", "80"}}),
              "http://[::1]:80/readyz");
    EXPECT_EQ(
        default_ready_target({{"PGRELAY_HTTP_ADDRESS", "fd00::7"}, {"PGRELAY_HTTP_PORT", "9187"}}),
        "http://[fd00::7]:9187/readyz");
    EXPECT_EQ(
        default_ready_target({{"PGRELAY_HTTP_ADDRESS", "10.1.2.3"}, {"PGRELAY_HTTP_PORT", "9187"}}),
        "http://10.1.2.3:9187/readyz");
    // The result is a target --ready accepts.
    const auto target = parse_ready_target(default_ready_target({{"PGRELAY_HTTP_PORT", "9187"}}));
    ASSERT_TRUE(target.value) << target.error;
    EXPECT_EQ(target.value->kind, ready_target::protocol::http);
    EXPECT_EQ(target.value->port, 9187);
    EXPECT_EQ(target.value->path, "/readyz");
}

// Port 0 (no HTTP endpoint), empty or an address alone: the listener is probed.
TEST(ready_target, default_is_the_listener_without_an_http_port) {
    EXPECT_EQ(default_ready_target({{"PGRELAY_HTTP_PORT", "0"}}), "127.0.0.1:6432");
    EXPECT_EQ(default_ready_target({{"PGRELAY_HTTP_PORT", "00"}}), "127.0.0.1:6432");
    EXPECT_EQ(default_ready_target({{"PGRELAY_HTTP_PORT", ""}}), "127.0.0.1:6432");
    EXPECT_EQ(default_ready_target(
                  {{"PGRELAY_HTTP_ADDRESS", "0.0.0.0"}, {"PGRELAY_LISTEN_ADDRESS", "0.0.0.0"}}),
              "127.0.0.1:6432");
    EXPECT_EQ(default_ready_target({{"PGRELAY_HTTP_PORT", "0"}, {"PGRELAY_LISTEN_PORT", "7000"}}),
              "127.0.0.1:7000");
}

TEST(ready_probe, ssl_request_bytes_and_replies) {
    EXPECT_EQ(ssl_request_packet(),
              (std::array<unsigned char, 8>{0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f}));
    EXPECT_TRUE(is_ssl_reply('N'));
    EXPECT_TRUE(is_ssl_reply('S'));
    EXPECT_FALSE(is_ssl_reply('E'));
    EXPECT_FALSE(is_ssl_reply(0));
    EXPECT_TRUE(is_http_success("HTTP/1.1 200 OK"));
    EXPECT_TRUE(is_http_success("HTTP/1.0 204"));
    EXPECT_FALSE(is_http_success("HTTP/1.1 503 Service Unavailable"));
    EXPECT_FALSE(is_http_success("HTTP/1.1 2000 OK"));
    EXPECT_FALSE(is_http_success("SSH-2.0 200"));
    EXPECT_FALSE(is_http_success(""));
}

// A loopback listener that reads what the client sends, then answers `reply` (nothing when
// empty: it just holds the connection for a while).
class one_shot_server {
  public:
    explicit one_shot_server(std::string reply) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(fd_, 1);
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this, reply = std::move(reply)] {
            const int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) return;
            char buf[256];
            const ssize_t n = ::recv(c, buf, sizeof buf, 0);
            received_.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
            if (reply.empty()) {
                std::this_thread::sleep_for(700ms);
            } else {
                (void)!::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
            }
            ::close(c);
        });
    }
    ~one_shot_server() {
        ::shutdown(fd_, SHUT_RDWR);
        thread_.join();
        ::close(fd_);
    }
    [[nodiscard]] ready_target target() const {
        return {ready_target::protocol::postgres, "127.0.0.1", port_, {}};
    }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    std::string received() {
        thread_.join();
        thread_ = std::thread([] {});
        return received_;
    }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::string received_;
};

TEST(ready_probe, ready_on_n_and_s) {
    for (const char* reply : {"N", "S"}) {
        one_shot_server server(reply);
        EXPECT_EQ(check_ready(server.target(), 2s), "") << reply;
        const std::string sent = server.received();
        const auto packet = ssl_request_packet();
        EXPECT_EQ(sent, std::string(packet.begin(), packet.end()));
    }
}

TEST(ready_probe, not_ready_on_garbage_silence_or_no_listener) {
    {
        one_shot_server server("E");
        EXPECT_EQ(check_ready(server.target(), 2s),
                  "reply: not a PostgreSQL server (answered SSLRequest with byte 69)");
    }
    {
        one_shot_server server("");
        const auto started = std::chrono::steady_clock::now();
        EXPECT_EQ(check_ready(server.target(), 300ms), "reply: timed out");
        EXPECT_LT(std::chrono::steady_clock::now() - started, 650ms);
    }
    std::uint16_t closed_port = 0;
    {
        one_shot_server server("N");
        closed_port = server.port();
        EXPECT_EQ(check_ready(server.target(), 2s), "");
    }
    EXPECT_EQ(check_ready({ready_target::protocol::postgres, "127.0.0.1", closed_port, {}}, 2s),
              "connect: Connection refused");
    EXPECT_NE(check_ready({ready_target::protocol::postgres, "no-such-host.invalid", 1, {}}, 2s)
                  .find("cannot resolve"),
              std::string::npos);
}

TEST(ready_probe, http_target) {
    {
        one_shot_server server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        ready_target t{ready_target::protocol::http, "127.0.0.1", server.port(), "/readyz"};
        EXPECT_EQ(check_ready(t, 2s), "");
        EXPECT_EQ(server.received().rfind("GET /readyz HTTP/1.1\r\nHost: 127.0.0.1:", 0), 0U);
    }
    {
        one_shot_server server("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        ready_target t{ready_target::protocol::http, "127.0.0.1", server.port(), "/readyz"};
        EXPECT_EQ(check_ready(t, 2s), "reply: HTTP/1.1 503 Service Unavailable");
    }
}

}  // namespace
}  // namespace pgrelay::proxy
