// sd_notify(3) by hand: a SOCK_DGRAM AF_UNIX socket, connect, send one message, close.
// See service_notify.hpp.
#include "proxy/service_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace pgrelay::proxy {

std::string reloading_message(std::chrono::microseconds monotonic) {
    return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic.count());
}

std::string send_notification(std::string_view socket_path, std::string_view message) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() < 2 || socket_path.size() >= sizeof addr.sun_path ||
        (socket_path.front() != '/' && socket_path.front() != '@')) {
        return "NOTIFY_SOCKET is not an absolute path or @abstract name";
    }
    std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
    if (socket_path.front() == '@') addr.sun_path[0] = '\0';  // abstract: no trailing NUL
    const auto length =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path.size() +
                               (socket_path.front() == '@' ? 0 : 1));
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::string("socket: ") + std::strerror(errno);
    std::string error;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), length) != 0) {
        error = std::string("connect: ") + std::strerror(errno);
    } else if (::send(fd, message.data(), message.size(), MSG_NOSIGNAL) !=
               static_cast<ssize_t>(message.size())) {
        error = std::string("send: ") + std::strerror(errno);
    }
    ::close(fd);
    return error;
}

service_notifier service_notifier::from_environment() {
    const char* path = std::getenv("NOTIFY_SOCKET");
    return service_notifier(path != nullptr ? path : "");
}

std::string service_notifier::reloading() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const std::chrono::microseconds usec{static_cast<long long>(now.tv_sec) * 1'000'000 +
                                         now.tv_nsec / 1000};
    return send(reloading_message(usec));
}

std::string service_notifier::send(std::string_view message) {
    if (path_.empty()) return {};
    return send_notification(path_, message);
}

}  // namespace pgrelay::proxy
