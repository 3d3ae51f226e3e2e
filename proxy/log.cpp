// Log lines on stderr: clock, rate limit and one write(2) per line; see log.hpp.
#include "proxy/log.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <unordered_map>

namespace pgrelay::proxy {

namespace {

struct rate_window {
    std::int64_t second = 0;
    int lines = 0;
    int suppressed = 0;
};

// Decides whether a line of this message may be written in the current second; returns the
// number of lines suppressed in the window just closed (to report), or -1 to drop this one.
int admit(std::string_view message, std::int64_t second) {
    static std::mutex mutex;
    static std::unordered_map<std::string, rate_window> windows;
    std::lock_guard lock(mutex);
    if (windows.size() > 10000) windows.clear();  // bounded: message texts are few
    auto& w = windows[std::string(message)];
    int closed = 0;
    if (w.second != second) {
        closed = w.suppressed;
        w = {second, 0, 0};
    }
    if (w.lines >= logger::burst_per_second) {
        ++w.suppressed;
        return -1;
    }
    ++w.lines;
    return closed;
}

}  // namespace

void logger::write(log_severity level, std::string_view message,
                   std::initializer_list<log_field> fields, bool rate_limited) {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t secs = system_clock::to_time_t(now);
    const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    const int suppressed_before =
        rate_limited ? admit(message, static_cast<std::int64_t>(secs)) : 0;
    if (suppressed_before < 0) return;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char ts[64];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    const std::string line =
        format_log_line(format(), {ts, level, message, fields, suppressed_before});
    // One write(2) per line keeps lines whole across threads.
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n <= 0) break;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

}  // namespace pgrelay::proxy
