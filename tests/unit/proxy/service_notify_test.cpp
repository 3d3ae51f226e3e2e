// Unit tests for proxy/service_notify: messages arrive as single datagrams on a bound
// AF_UNIX socket, by path and by abstract name ('@'), RELOADING carries MONOTONIC_USEC, an
// unset socket is a silent no-op, and failures are reported, not thrown.
#include "proxy/service_notify.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <string>

namespace pgrelay::proxy {
namespace {

// A datagram socket bound to `name` (a path, or "@abstract"), as systemd's notify socket.
class notify_listener {
  public:
    explicit notify_listener(std::string name) : name_(std::move(name)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, name_.data(), name_.size());
        const bool abstract = name_.front() == '@';
        if (abstract) addr.sun_path[0] = '\0';
        const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size() +
                                                   (abstract ? 0 : 1));
        if (!abstract) std::filesystem::remove(name_);
        bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), length) == 0;
    }
    ~notify_listener() {
        ::close(fd_);
        if (name_.front() == '/') std::filesystem::remove(name_);
    }
    [[nodiscard]] bool bound() const { return bound_; }

    // The next datagram, or "<none>" after a second.
    std::string next() {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 1000) != 1) return "<none>";
        char buf[1024];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        return n < 0 ? "<error>" : std::string(buf, static_cast<size_t>(n));
    }

  private:
    std::string name_;
    int fd_ = -1;
    bool bound_ = false;
};

std::string unique_name(const char* tag) {
    return std::string(tag) + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

TEST(service_notify, ready_reloading_ready_stopping_on_a_path_socket) {
    const std::string path =
        (std::filesystem::temp_directory_path() / unique_name("pgrelay-notify-")).string();
    notify_listener listener(path);
    ASSERT_TRUE(listener.bound());
    service_notifier notifier(path);
    EXPECT_TRUE(notifier.enabled());
    EXPECT_EQ(notifier.ready(), "");
    EXPECT_EQ(listener.next(), "READY=1");
    EXPECT_EQ(notifier.reloading(), "");
    const std::string reloading = listener.next();
    EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0U) << reloading;
    const auto usec = std::stoll(reloading.substr(reloading.find('=', 12) + 1));
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const long long now_usec = now.tv_sec * 1'000'000LL + now.tv_nsec / 1000;
    EXPECT_GT(usec, 0);
    EXPECT_LE(usec, now_usec);
    EXPECT_GT(usec, now_usec - 5'000'000) << "MONOTONIC_USEC is not CLOCK_MONOTONIC now";
    EXPECT_EQ(notifier.ready(), "");
    EXPECT_EQ(listener.next(), "READY=1");
    EXPECT_EQ(notifier.stopping(), "");
    EXPECT_EQ(listener.next(), "STOPPING=1");
    EXPECT_EQ(listener.next(), "<none>");
}

TEST(service_notify, abstract_socket) {
    const std::string name = "@" + unique_name("pgrelay-notify-");
    notify_listener listener(name);
    ASSERT_TRUE(listener.bound());
    EXPECT_EQ(send_notification(name, "READY=1"), "");
    EXPECT_EQ(listener.next(), "READY=1");
}

TEST(service_notify, reloading_message_format) {
    EXPECT_EQ(reloading_message(std::chrono::microseconds{1234567}),
              "RELOADING=1\nMONOTONIC_USEC=1234567");
}

TEST(service_notify, from_environment_reads_notify_socket) {
    const std::string path =
        (std::filesystem::temp_directory_path() / unique_name("pgrelay-notify-env-")).string();
    notify_listener listener(path);
    ASSERT_TRUE(listener.bound());
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
    auto notifier = service_notifier::from_environment();
    ::unsetenv("NOTIFY_SOCKET");
    EXPECT_TRUE(notifier.enabled());
    EXPECT_EQ(notifier.ready(), "");
    EXPECT_EQ(listener.next(), "READY=1");

    auto silent = service_notifier::from_environment();
    EXPECT_FALSE(silent.enabled());
    EXPECT_EQ(silent.ready(), "");  // nothing to tell, nothing failed
    EXPECT_EQ(silent.stopping(), "");
}

TEST(service_notify, failures_are_reported) {
    EXPECT_NE(send_notification("/nonexistent-dir/notify", "READY=1").find("connect"),
              std::string::npos);
    EXPECT_NE(send_notification("relative/path", "READY=1"), "");
    EXPECT_NE(send_notification("@", "READY=1"), "");
    EXPECT_NE(send_notification("/" + std::string(200, 'x'), "READY=1"), "");
}

}  // namespace
}  // namespace pgrelay::proxy
