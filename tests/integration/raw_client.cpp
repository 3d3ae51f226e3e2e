// The raw socket client: blocking connect, MSG_NOSIGNAL sends, poll()-bounded reads, the
// frontend packet builders and the backend message parser used by the malformed-input tests.
#include "tests/integration/raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace pgrelay::it {

raw_client::~raw_client() {
    close();
}

::testing::AssertionResult raw_client::connect(std::uint16_t port) {
    close();
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return ::testing::AssertionFailure() << "socket: " << std::strerror(errno);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        return ::testing::AssertionFailure()
               << "connect to port " << port << ": " << std::strerror(errno);
    }
    return ::testing::AssertionSuccess();
}

bool raw_client::send(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

read_outcome raw_client::read_at_least(std::size_t count, std::chrono::milliseconds timeout) {
    read_outcome outcome;
    outcome.end = read_end::still_open;
    outcome.data = std::move(pending_);
    pending_.clear();
    auto start = std::chrono::steady_clock::now();
    auto deadline = start + timeout;
    char buf[65536];
    while (outcome.data.size() < count) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            outcome.end = read_end::still_open;
            break;
        }
        pollfd pfd{fd_, POLLIN, 0};
        int rc = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (rc < 0 && errno == EINTR) continue;
        if (rc == 0) continue;
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n > 0) {
            outcome.data.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        outcome.end = n == 0 ? read_end::closed : read_end::reset;
        break;
    }
    outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    return outcome;
}

read_outcome raw_client::read_until_close(std::chrono::milliseconds timeout) {
    return read_at_least(static_cast<std::size_t>(-1), timeout);
}

bool raw_client::read_message(backend_message& out, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        std::string rest;
        auto messages = parse_backend_messages(pending_, &rest);
        if (!messages.empty()) {
            out = std::move(messages.front());
            std::size_t used = 5 + out.body.size();
            pending_.erase(0, used);
            return true;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        auto more = read_at_least(pending_.size() + 1, left);
        pending_ = std::move(more.data);
        if (more.end != read_end::still_open) {
            messages = parse_backend_messages(pending_, &rest);
            if (messages.empty()) return false;
        }
    }
}

void raw_client::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    pending_.clear();
}

std::string be32(std::uint32_t value) {
    std::uint32_t n = htonl(value);
    return std::string(reinterpret_cast<const char*>(&n), 4);
}

std::string startup_packet(const std::vector<std::pair<std::string, std::string>>& params,
                           std::uint32_t protocol) {
    std::string body = be32(protocol);
    for (const auto& [k, v] : params) {
        body += k;
        body += '\0';
        body += v;
        body += '\0';
    }
    body += '\0';
    return be32(static_cast<std::uint32_t>(body.size() + 4)) + body;
}

std::string ssl_request() {
    return be32(8) + be32(80877103);
}

std::string gssenc_request() {
    return be32(8) + be32(80877104);
}

std::string typed_message(char type, std::string_view body) {
    return std::string(1, type) + be32(static_cast<std::uint32_t>(body.size() + 4)) +
           std::string(body);
}

std::vector<backend_message> parse_backend_messages(std::string_view data, std::string* rest) {
    std::vector<backend_message> messages;
    while (data.size() >= 5) {
        std::uint32_t len;
        std::memcpy(&len, data.data() + 1, 4);
        len = ntohl(len);
        if (len < 4 || data.size() < 1 + static_cast<std::size_t>(len)) break;
        messages.push_back({data[0], std::string(data.substr(5, len - 4))});
        data.remove_prefix(1 + len);
    }
    if (rest != nullptr) *rest = std::string(data);
    return messages;
}

std::map<char, std::string> error_fields(std::string_view body) {
    std::map<char, std::string> fields;
    while (!body.empty() && body[0] != '\0') {
        char code = body[0];
        auto end = body.find('\0', 1);
        if (end == std::string_view::npos) break;
        fields[code] = std::string(body.substr(1, end - 1));
        body.remove_prefix(end + 1);
    }
    return fields;
}

int auth_code(const backend_message& message) {
    if (message.type != 'R' || message.body.size() < 4) return -1;
    std::uint32_t code;
    std::memcpy(&code, message.body.data(), 4);
    return static_cast<int>(ntohl(code));
}

std::string describe(const read_outcome& outcome) {
    std::ostringstream s;
    s << (outcome.end == read_end::closed  ? "closed"
          : outcome.end == read_end::reset ? "reset"
                                           : "still open (timed out)")
      << " after " << outcome.elapsed.count() << " ms, " << outcome.data.size() << " bytes back";
    std::string rest;
    for (const auto& m : parse_backend_messages(outcome.data, &rest)) {
        s << "; '" << m.type << "'";
        if (m.type == 'E' || m.type == 'N') {
            auto f = error_fields(m.body);
            s << " " << f['S'] << " " << f['C'] << " \"" << f['M'] << "\"";
        } else if (m.type == 'R') {
            s << " auth code " << auth_code(m);
        }
    }
    if (!rest.empty()) s << "; " << rest.size() << " unparsable bytes";
    return s.str();
}

::testing::AssertionResult is_clean_rejection(const read_outcome& outcome,
                                              const std::vector<std::string>& allowed_classes) {
    if (outcome.end == read_end::still_open) {
        return ::testing::AssertionFailure() << "connection not closed: " << describe(outcome);
    }
    std::string rest;
    auto messages = parse_backend_messages(outcome.data, &rest);
    if (!rest.empty()) {
        return ::testing::AssertionFailure() << "garbage in the reply: " << describe(outcome);
    }
    for (const auto& m : messages) {
        if (m.type == 'N') continue;
        if (m.type != 'E') {
            return ::testing::AssertionFailure()
                   << "unexpected message '" << m.type << "' in the reply: " << describe(outcome);
        }
        auto fields = error_fields(m.body);
        const std::string& code = fields['C'];
        bool allowed = false;
        for (const auto& cls : allowed_classes)
            allowed = allowed || code.rfind(cls, 0) == 0;
        if (code.size() != 5 || !allowed || fields['M'].empty() || fields['S'].empty()) {
            return ::testing::AssertionFailure()
                   << "unexpected ErrorResponse: " << describe(outcome);
        }
    }
    return ::testing::AssertionSuccess() << describe(outcome);
}

}  // namespace pgrelay::it
