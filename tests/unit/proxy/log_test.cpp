// Log lines: logfmt shape, quoting, level filter and the per-message rate limit.
#include "proxy/log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

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
