// The readiness check with plain blocking-free POSIX sockets (no Asio: it runs once and
// exits): resolve, non-blocking connect, one request, one reply, all under one deadline.
#include "proxy/ready_probe.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "protocol/startup.hpp"

namespace pgrelay::proxy {
namespace {

using clock = std::chrono::steady_clock;

std::optional<std::uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value == 0 ||
        value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

// "host:port" or "[v6]:port" into its parts; port_required false allows "host".
std::string split_host_port(std::string_view text, bool port_required, std::string& host,
                            std::optional<std::uint16_t>& port) {
    std::string_view port_text;
    if (text.starts_with('[')) {
        const size_t close = text.find(']');
        if (close == std::string_view::npos) return "unclosed '[' in the address";
        host = std::string(text.substr(1, close - 1));
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') return "expected ':' after ']'";
            port_text = text.substr(close + 2);
        }
    } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos) {
        host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
        if (host.find(':') != std::string::npos) return "write an IPv6 address as [address]:port";
    } else {
        host = std::string(text);
    }
    if (host.empty()) return "missing host";
    if (port_text.empty()) {
        if (port_required) return "missing port (expected HOST:PORT)";
        return {};
    }
    port = parse_port(port_text);
    if (!port) return "port must be an integer between 1 and 65535";
    return {};
}

int remaining_ms(clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

// Waits for `events` on fd until the deadline; an error text, or empty when ready.
std::string wait_for(int fd, short events, clock::time_point deadline, std::string_view what) {
    pollfd p{fd, events, 0};
    while (true) {
        const int n = ::poll(&p, 1, remaining_ms(deadline));
        if (n > 0) return {};
        if (n == 0) return std::string(what) + ": timed out";
        if (errno != EINTR) return std::string(what) + ": " + std::strerror(errno);
    }
}

// A connected non-blocking socket to the first address that accepts, or -1 and `error`.
int connect_to(const ready_target& target, clock::time_point deadline, std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(target.port);
    if (int rc = ::getaddrinfo(target.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
        error = "cannot resolve " + target.host + ": " + ::gai_strerror(rc);
        return -1;
    }
    int fd = -1;
    for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            error = std::string("socket: ") + std::strerror(errno);
            continue;
        }
        if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
            error = std::string("connect: ") + std::strerror(errno);
        } else if (error = wait_for(fd, POLLOUT, deadline, "connect"); error.empty()) {
            int so_error = 0;
            socklen_t len = sizeof so_error;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
            if (so_error == 0) break;
            error = std::string("connect: ") + std::strerror(so_error);
        }
        ::close(fd);
        fd = -1;
    }
    ::freeaddrinfo(found);
    return fd;
}

std::string send_all(int fd, std::string_view data, clock::time_point deadline) {
    while (!data.empty()) {
        if (auto e = wait_for(fd, POLLOUT, deadline, "send"); !e.empty()) return e;
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return std::string("send: ") + std::strerror(errno);
        }
        if (n > 0) data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

// Reads until `enough` bytes, a line end or the peer closes; an error text when nothing
// usable came.
std::string receive(int fd, std::string& out, size_t enough, clock::time_point deadline) {
    char buf[512];
    while (out.size() < enough && out.find('\n') == std::string::npos) {
        if (auto e = wait_for(fd, POLLIN, deadline, "reply"); !e.empty()) return e;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return std::string("reply: ") + std::strerror(errno);
        }
        out.append(buf, static_cast<size_t>(n));
    }
    if (out.empty()) return "reply: connection closed without an answer";
    return {};
}

// The host part of a target that reaches a server listening on `address`: a wildcard address
// is reached on the loopback address of its family; IPv6 in brackets.
std::string reachable_host(std::string address) {
    if (address == "0.0.0.0") address = "127.0.0.1";
    if (address == "::") address = "::1";
    if (address.find(':') != std::string::npos) address = "[" + address + "]";
    return address;
}

}  // namespace

ready_target_result parse_ready_target(std::string_view text) {
    ready_target target;
    std::optional<std::uint16_t> port;
    if (text.starts_with("http://")) {
        target.kind = ready_target::protocol::http;
        std::string_view rest = text.substr(std::strlen("http://"));
        const size_t slash = rest.find('/');
        target.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
        if (auto e = split_host_port(rest.substr(0, slash), false, target.host, port); !e.empty()) {
            return {std::nullopt, e};
        }
        target.port = port.value_or(80);
        return {std::move(target), {}};
    }
    if (text.find("://") != std::string_view::npos) {
        return {std::nullopt, "only HOST:PORT and http:// targets are supported"};
    }
    if (auto e = split_host_port(text, true, target.host, port); !e.empty()) {
        return {std::nullopt, e};
    }
    target.port = *port;
    return {std::move(target), {}};
}

std::array<unsigned char, 8> ssl_request_packet() {
    const auto code = static_cast<std::uint32_t>(protocol::ssl_request_code);
    return {0,
            0,
            0,
            8,
            static_cast<unsigned char>(code >> 24),
            static_cast<unsigned char>(code >> 16),
            static_cast<unsigned char>(code >> 8),
            static_cast<unsigned char>(code)};
}

std::string default_ready_target(const std::vector<std::pair<std::string, std::string>>& env) {
    std::string listen_address = "127.0.0.1";
    std::string listen_port = "6432";
    std::string http_address = "127.0.0.1";
    std::string http_port;
    for (const auto& [name, value] : env) {
        if (value.empty()) continue;  // an empty variable counts as unset, as in config_env
        if (name == "PGRELAY_LISTEN_ADDRESS") listen_address = value;
        if (name == "PGRELAY_LISTEN_PORT") listen_port = value;
        if (name == "PGRELAY_HTTP_ADDRESS") http_address = value;
        if (name == "PGRELAY_HTTP_PORT") http_port = value;
    }
    // [http] port 0 (or unset) runs no HTTP endpoint: then the listener answers.
    if (http_port.find_first_not_of('0') != std::string::npos)
        return "http://" + reachable_host(http_address) + ":" + http_port + "/readyz";
    return reachable_host(listen_address) + ":" + listen_port;
}

bool is_ssl_reply(unsigned char reply) {
    return reply == 'N' || reply == 'S';
}

bool is_http_success(std::string_view status_line) {
    // "HTTP/1.x SP 2xx": the version, one space, three digits starting with 2.
    if (!status_line.starts_with("HTTP/")) return false;
    const size_t space = status_line.find(' ');
    if (space == std::string_view::npos || status_line.size() < space + 4) return false;
    const std::string_view code = status_line.substr(space + 1, 3);
    return code[0] == '2' && code[1] >= '0' && code[1] <= '9' && code[2] >= '0' && code[2] <= '9' &&
           (status_line.size() == space + 4 || status_line[space + 4] == ' ' ||
            status_line[space + 4] == '\r');
}

std::string check_ready(const ready_target& target, std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    std::string error;
    const int fd = connect_to(target, deadline, error);
    if (fd < 0) return error;
    std::string reply;
    if (target.kind == ready_target::protocol::postgres) {
        const auto packet = ssl_request_packet();
        error =
            send_all(fd, {reinterpret_cast<const char*>(packet.data()), packet.size()}, deadline);
        if (error.empty()) error = receive(fd, reply, 1, deadline);
        if (error.empty() && !is_ssl_reply(static_cast<unsigned char>(reply[0]))) {
            error = "reply: not a PostgreSQL server (answered SSLRequest with byte " +
                    std::to_string(static_cast<unsigned char>(reply[0])) + ")";
        }
    } else {
        const std::string host =
            target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host;
        error = send_all(fd,
                         "GET " + target.path + " HTTP/1.1\r\nHost: " + host + ":" +
                             std::to_string(target.port) + "\r\nConnection: close\r\n\r\n",
                         deadline);
        if (error.empty()) error = receive(fd, reply, 64, deadline);
        const std::string status = reply.substr(0, reply.find('\r'));
        if (error.empty() && !is_http_success(status)) error = "reply: " + status;
    }
    ::close(fd);
    return error;
}

}  // namespace pgrelay::proxy
