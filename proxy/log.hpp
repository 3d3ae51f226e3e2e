// Process-wide logging: one line per event on stderr (logfmt, or JSON when chosen), with a
// level filter and the context fields (client id, user, db, node) the caller passes.
// Thread-safe; lines are written whole; each message text is limited to a burst per second,
// the rest counted and reported, so a connection storm cannot flood the disk. Passwords are
// never passed here. Line formats: log_line.hpp.
#pragma once

#include <atomic>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "proxy/log_line.hpp"

namespace pgrelay::proxy {

class logger {
  public:
    static void set_level(log_severity level) { level_.store(static_cast<int>(level)); }
    static bool enabled(log_severity level) { return static_cast<int>(level) >= level_.load(); }
    // logfmt until set otherwise; may change at any time, each line uses one format.
    static void set_format(log_format format) { format_.store(format); }
    static log_format format() { return format_.load(); }
    // Lines of one message text allowed per second before the rest are suppressed.
    static constexpr int burst_per_second = 20;
    // `rate_limited = false` for the rare lines that must never be dropped (topology events).
    static void write(log_severity level, std::string_view message,
                      std::initializer_list<log_field> fields = {}, bool rate_limited = true);

  private:
    static inline std::atomic<int> level_{static_cast<int>(log_severity::info)};
    static inline std::atomic<log_format> format_{log_format::logfmt};
};

// Debug lines are never rate-limited: an operator turns them on to see every event.
inline void log_debug(std::string_view msg, std::initializer_list<log_field> f = {}) {
    if (logger::enabled(log_severity::debug)) logger::write(log_severity::debug, msg, f, false);
}
inline void log_info(std::string_view msg, std::initializer_list<log_field> f = {}) {
    if (logger::enabled(log_severity::info)) logger::write(log_severity::info, msg, f);
}
inline void log_warning(std::string_view msg, std::initializer_list<log_field> f = {}) {
    if (logger::enabled(log_severity::warning)) logger::write(log_severity::warning, msg, f);
}
inline void log_error(std::string_view msg, std::initializer_list<log_field> f = {}) {
    if (logger::enabled(log_severity::error)) logger::write(log_severity::error, msg, f);
}

}  // namespace pgrelay::proxy
