// The real pgrelay under a pretend systemd: NOTIFY_SOCKET names a datagram socket this test
// bound; pgrelay must send READY=1 once its port accepts connections, RELOADING=1 then READY=1
// around a reload (SIGHUP), and STOPPING=1 when SIGTERM arrives, then exit 0.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "tests/integration/pgrelay_process.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

class service_notify : public ::testing::Test {
  protected:
    void SetUp() override { PGRELAY_IT_REQUIRE_RELAY(); }
};

// The next datagram on fd, or "<none>" after `timeout`.
std::string next_message(int fd, std::chrono::milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return "<none>";
    char buf[512];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n < 0 ? "<error>" : std::string(buf, static_cast<size_t>(n));
}

TEST_F(service_notify, ready_when_listening_reloading_on_sighup_stopping_on_sigterm) {
    const auto path = make_scratch_dir("notify") / "notify.sock";
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path.string().size(), sizeof addr.sun_path);
    std::strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
        << std::strerror(errno);

    const auto& c = cluster();
    pgrelay_process relay;
    ASSERT_TRUE(relay.start_with_environment(
        {{"NOTIFY_SOCKET", path.string()},
         {"PGRELAY_NODES", "127.0.0.1:" + std::to_string(c.primary_port)},
         {"PGRELAY_USERS", "postgres:postgres"}}));
    // start() returned once the port accepted: READY=1 must be there already (or at once).
    EXPECT_EQ(next_message(fd, 2s), "READY=1");
    // A reload (SIGHUP, as systemctl reload sends) is framed by RELOADING=1 and READY=1.
    ASSERT_EQ(::kill(relay.pid(), SIGHUP), 0);
    EXPECT_EQ(next_message(fd, 2s).rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0U);
    EXPECT_EQ(next_message(fd, 2s), "READY=1");
    EXPECT_EQ(relay.stop(), 0) << relay.exit_description();
    EXPECT_EQ(next_message(fd, 2s), "STOPPING=1");
    EXPECT_EQ(next_message(fd, 200ms), "<none>");
    ::close(fd);
}

}  // namespace
}  // namespace pgrelay::it
