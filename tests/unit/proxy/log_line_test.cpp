// Unit tests of log line formatting (proxy/log_line.hpp): exact logfmt and JSON lines for the
// same records, JSON string escaping of quotes, backslashes and every control byte, and the
// replacement of each kind of invalid UTF-8 while valid multi-byte text passes unchanged.
#include "proxy/log_line.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace pgrelay::proxy {
namespace {

using namespace std::string_view_literals;

std::string json(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

TEST(log_line, same_record_in_both_formats) {
    struct row {
        std::string_view name;
        log_record record;
        std::string_view logfmt;
        std::string_view json;
    };
    const row table[] = {
        {"plain",
         {"2024-01-02T03:04:05.678Z", log_severity::info, "client logged in", {}, 0},
         "ts=2024-01-02T03:04:05.678Z level=info msg=\"client logged in\"\n",
         "{\"ts\":\"2024-01-02T03:04:05.678Z\",\"level\":\"info\",\"msg\":\"client logged "
         "in\"}\n"},
        {"fields",
         {"T", log_severity::warning, "slow", {{"client", "7"}, {"user", "al ice"}}, 0},
         "ts=T level=warning msg=slow client=7 user=\"al ice\"\n",
         "{\"ts\":\"T\",\"level\":\"warning\",\"msg\":\"slow\",\"client\":\"7\",\"user\":\"al "
         "ice\"}\n"},
        {"quotes",
         {"T", log_severity::error, "bad \"db\"", {{"db", "a\"b\\c"}}, 0},
         "ts=T level=error msg=\"bad \\\"db\\\"\" db=\"a\\\"b\\\\c\"\n",
         "{\"ts\":\"T\",\"level\":\"error\",\"msg\":\"bad \\\"db\\\"\",\"db\":\"a\\\"b\\\\c\"}\n"},
        {"empty_value",
         {"T", log_severity::debug, "m", {{"node", ""}}, 0},
         "ts=T level=debug msg=m node=\"\"\n",
         "{\"ts\":\"T\",\"level\":\"debug\",\"msg\":\"m\",\"node\":\"\"}\n"},
        {"suppressed",
         {"T", log_severity::info, "storm", {{"i", "1"}}, 12},
         "ts=T level=info msg=storm i=1 suppressed_before=12\n",
         "{\"ts\":\"T\",\"level\":\"info\",\"msg\":\"storm\",\"i\":\"1\",\"suppressed_before\":12}"
         "\n"},
        {"control_bytes",
         {"T", log_severity::info, "a\nb\tc", {{"x", "\x01"}}, 0},
         "ts=T level=info msg=\"a\\nb c\" x=\" \"\n",
         "{\"ts\":\"T\",\"level\":\"info\",\"msg\":\"a\\nb\\tc\",\"x\":\"\\u0001\"}\n"},
    };
    for (const auto& r : table) {
        EXPECT_EQ(format_log_line(log_format::logfmt, r.record), r.logfmt) << r.name;
        EXPECT_EQ(format_log_line(log_format::json, r.record), r.json) << r.name;
    }
}

TEST(log_line, json_escapes_every_control_byte) {
    for (int c = 0; c < 0x20; ++c) {
        const std::string out = json(std::string(1, static_cast<char>(c)));
        std::string expected;
        switch (c) {
            case '\b':
                expected = "\"\\b\"";
                break;
            case '\f':
                expected = "\"\\f\"";
                break;
            case '\n':
                expected = "\"\\n\"";
                break;
            case '\r':
                expected = "\"\\r\"";
                break;
            case '\t':
                expected = "\"\\t\"";
                break;
            default: {
                char buf[16];
                std::snprintf(buf, sizeof buf, "\"\\u%04x\"", c);
                expected = buf;
            }
        }
        EXPECT_EQ(out, expected) << c;
    }
    EXPECT_EQ(json("\x7f"), "\"\x7f\"");  // DEL needs no escape in JSON
    EXPECT_EQ(json("a/b"), "\"a/b\"");
    EXPECT_EQ(json(""), "\"\"");
    EXPECT_EQ(json("\0x"sv), "\"\\u0000x\"");
}

TEST(log_line, json_utf8_valid_text_passes_invalid_is_replaced) {
    const std::string r = "\xEF\xBF\xBD";  // U+FFFD
    struct row {
        std::string_view name;
        std::string_view in;
        std::string out;  // without the quotes
    };
    const row table[] = {
        {"two_byte", "caf\xC3\xA9", "caf\xC3\xA9"},
        {"three_byte", "\xE2\x82\xAC", "\xE2\x82\xAC"},
        {"four_byte", "\xF0\x9F\x90\x98", "\xF0\x9F\x90\x98"},
        {"max_code_point", "\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"},
        {"lone_continuation", "a\x80z", "a" + r + "z"},
        {"two_continuations", "\x80\xBF", r + r},
        {"c0_overlong", "\xC0\xAF", r + r},
        {"c1_overlong", "\xC1\xBF", r + r},
        {"e0_overlong", "\xE0\x80\xAF", r + r + r},
        {"surrogate", "\xED\xA0\x80", r + r + r},
        {"above_max", "\xF4\x90\x80\x80", r + r + r + r},
        {"f5", "\xF5\x80", r + r},
        {"ff", "\xFF", r},
        {"truncated_at_end_2", "ab\xC3", "ab" + r},
        {"truncated_at_end_3", "\xE2\x82", r},
        {"truncated_at_end_4", "\xF0\x9F\x90", r},
        {"truncated_then_ascii", "\xE2\x82z", r + "z"},
        {"truncated_then_quote", "\xC3\"", r + "\\\""},
        {"valid_after_invalid", "\xFF\xC3\xA9", r + "\xC3\xA9"},
    };
    for (const auto& t : table)
        EXPECT_EQ(json(t.in), "\"" + t.out + "\"") << t.name;
}

TEST(log_line, severity_names) {
    EXPECT_EQ(to_string(log_severity::debug), "debug");
    EXPECT_EQ(to_string(log_severity::info), "info");
    EXPECT_EQ(to_string(log_severity::warning), "warning");
    EXPECT_EQ(to_string(log_severity::error), "error");
}

}  // namespace
}  // namespace pgrelay::proxy
