// Log lines: logfmt shape, quoting, the JSON format switch, level filter and the per-message
// rate limit.
#include "proxy/log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace pgrelay::proxy {
namespace {

// Runs `body` with stderr redirected to a temporary file; returns what was written.
template <typename F>
std::string capture_stderr(F body) {
    std::FILE* tmp = std::tmpfile();
    const int saved = ::dup(STDERR_FILENO);
    ::dup2(::fileno(tmp), STDERR_FILENO);
    body();
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    std::rewind(tmp);
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, tmp)) > 0)
        out.append(buf, n);
    std::fclose(tmp);
    return out;
}

int count_lines(const std::string& s) {
    int n = 0;
    for (char c : s)
        n += c == '\n';
    return n;
}

TEST(log, writes_one_logfmt_line_with_quoted_values) {
    auto out = capture_stderr([] {
        log_info("client logged in", {{"client", "7"}, {"user", "al ice"}, {"db", "a\"b"}});
    });
    EXPECT_EQ(count_lines(out), 1);
    EXPECT_EQ(out.rfind("ts=", 0), 0u) << out;
    EXPECT_NE(
        out.find(" level=info msg=\"client logged in\" client=7 user=\"al ice\" db=\"a\\\"b\""),
        std::string::npos)
        << out;
}

TEST(log, level_filter_drops_lower_levels) {
    logger::set_level(log_severity::warning);
    auto out = capture_stderr([] {
        log_debug("level filter debug");
        log_info("level filter info");
        log_warning("level filter warning");
        log_error("level filter error");
    });
    logger::set_level(log_severity::info);
    EXPECT_EQ(out.find("level filter debug"), std::string::npos);
    EXPECT_EQ(out.find("level filter info"), std::string::npos);
    EXPECT_NE(out.find("level filter warning"), std::string::npos);
    EXPECT_NE(out.find("level filter error"), std::string::npos);
}

TEST(log, a_storm_of_one_message_is_rate_limited) {
    auto out = capture_stderr([] {
        for (int i = 0; i < 500; ++i)
            log_warning("storm message", {{"i", std::to_string(i)}});
    });
    // One burst per second; the loop may straddle a second boundary, so at most two bursts.
    EXPECT_GE(count_lines(out), logger::burst_per_second);
    EXPECT_LE(count_lines(out), 2 * logger::burst_per_second);
}

TEST(log, other_messages_are_not_limited_by_a_storm) {
    auto out = capture_stderr([] {
        for (int i = 0; i < 200; ++i)
            log_warning("another storm");
        log_warning("a different message");
    });
    EXPECT_NE(out.find("a different message"), std::string::npos);
}

}  // namespace
}  // namespace pgrelay::proxy

namespace pgrelay::proxy {
namespace {

TEST(log, unlimited_lines_are_never_dropped) {
    auto out = capture_stderr([] {
        for (int i = 0; i < 100; ++i) {
            logger::write(log_severity::info, "never dropped", {}, /*rate_limited=*/false);
        }
    });
    EXPECT_EQ(count_lines(out), 100);
}

}  // namespace
}  // namespace pgrelay::proxy

namespace pgrelay::proxy {
namespace {

// Restores logfmt however a test ends.
struct format_guard {
    ~format_guard() { logger::set_format(log_format::logfmt); }
};

TEST(log, format_is_logfmt_by_default) {
    EXPECT_EQ(logger::format(), log_format::logfmt);
}

TEST(log, json_format_writes_one_object_per_line) {
    format_guard guard;
    logger::set_format(log_format::json);
    EXPECT_EQ(logger::format(), log_format::json);
    auto out = capture_stderr([] {
        log_info("json line", {{"client", "7"}, {"db", "a\"b\n"}});
        log_warning("second json line");
    });
    EXPECT_EQ(count_lines(out), 2) << out;
    EXPECT_EQ(out.rfind("{\"ts\":\"", 0), 0u) << out;
    const auto first = out.substr(0, out.find('\n') + 1);
    EXPECT_NE(first.find("Z\",\"level\":\"info\",\"msg\":\"json line\",\"client\":\"7\","
                         "\"db\":\"a\\\"b\\n\"}\n"),
              std::string::npos)
        << first;
    EXPECT_NE(out.find("\"level\":\"warning\",\"msg\":\"second json line\"}\n"), std::string::npos)
        << out;
}

TEST(log, switching_back_to_logfmt_changes_nothing_in_its_lines) {
    format_guard guard;
    logger::set_format(log_format::json);
    logger::set_format(log_format::logfmt);
    auto out = capture_stderr([] { log_info("back to logfmt", {{"user", "al ice"}}); });
    EXPECT_EQ(out.rfind("ts=", 0), 0u) << out;
    EXPECT_NE(out.find(" level=info msg=\"back to logfmt\" user=\"al ice\"\n"), std::string::npos)
        << out;
}

TEST(log, json_reports_suppressed_lines_as_a_number) {
    format_guard guard;
    logger::set_format(log_format::json);
    // Fill one second's burst just after the second begins, then log again in the next
    // second: that line reports the lines dropped.
    auto out = capture_stderr([] {
        using std::chrono::system_clock;
        auto wait_for_next_second = [] {
            const auto start = system_clock::to_time_t(system_clock::now());
            while (system_clock::to_time_t(system_clock::now()) == start)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
        };
        wait_for_next_second();
        for (int i = 0; i < 2 * logger::burst_per_second; ++i)
            log_warning("json storm");
        wait_for_next_second();
        log_warning("json storm");
    });
    EXPECT_NE(out.find(",\"suppressed_before\":"), std::string::npos) << out;
    EXPECT_EQ(out.find("suppressed_before="), std::string::npos) << out;
}

}  // namespace
}  // namespace pgrelay::proxy
