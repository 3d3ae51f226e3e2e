// One log line as text, in either output format: logfmt (key=value, quoted when needed) or JSON
// (one object per line: ts, level, msg, then the fields; RFC 8259 strings, control bytes as
// \u00XX, invalid UTF-8 replaced by U+FFFD). Pure; the logger adds the clock and the writing.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace pgrelay::proxy {

enum class log_severity : int { debug = 0, info = 1, warning = 2, error = 3 };

enum class log_format : std::uint8_t {
    logfmt,  // ts=... level=info msg="client logged in" client=7
    json,    // {"ts":"...","level":"info","msg":"client logged in","client":"7"}
};

using log_field = std::pair<std::string_view, std::string>;

std::string_view to_string(log_severity level);  // "debug", "info", "warning", "error"

struct log_record {
    std::string_view timestamp;  // RFC 3339 UTC, as the logger makes it
    log_severity level = log_severity::info;
    std::string_view message;
    std::initializer_list<log_field> fields;  // in order; keys are plain words
    int suppressed_before = 0;  // > 0: lines of this message dropped in the last second
};

// The whole line, newline included.
[[nodiscard]] std::string format_log_line(log_format format, const log_record& record);

// Appends `text` as a JSON string, quotes included.
void append_json_string(std::string& out, std::string_view text);

}  // namespace pgrelay::proxy
