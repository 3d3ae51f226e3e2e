// systemd's service notification protocol (sd_notify(3)) without libsystemd: one datagram
// per state change ("READY=1", "RELOADING=1", "STOPPING=1") to the AF_UNIX socket named by
// $NOTIFY_SOCKET (a leading '@' names an abstract socket). Does nothing when it is unset.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace pgrelay::proxy {

// "RELOADING=1\nMONOTONIC_USEC=<usec>", as systemd wants it before a reload (Type=notify-reload
// and Type=notify alike); `monotonic` is CLOCK_MONOTONIC now.
[[nodiscard]] std::string reloading_message(std::chrono::microseconds monotonic);

// Sends `message` as one datagram to `socket_path` ("/run/systemd/notify" or "@abstract").
// Returns an empty string on success, else what failed ("connect: No such file ...").
[[nodiscard]] std::string send_notification(std::string_view socket_path, std::string_view message);

// The notifications pgrelay sends over its life. Errors are returned for logging, never
// fatal: a service manager that cannot be told is not a reason to stop serving.
class service_notifier {
  public:
    explicit service_notifier(std::string socket_path) : path_(std::move(socket_path)) {}

    // From $NOTIFY_SOCKET (empty when unset: every call is then a no-op).
    [[nodiscard]] static service_notifier from_environment();

    [[nodiscard]] bool enabled() const { return !path_.empty(); }
    std::string ready() { return send("READY=1"); }        // listeners are up
    std::string stopping() { return send("STOPPING=1"); }  // shutdown has begun
    std::string reloading();  // RELOADING=1 with MONOTONIC_USEC; send ready() when done

  private:
    std::string send(std::string_view message);
    std::string path_;
};

}  // namespace pgrelay::proxy
