// Log line formatting; see log_line.hpp. UTF-8 validity per Unicode 15 table 3-7; each
// maximal ill-formed subsequence becomes one U+FFFD (Unicode's "substitution of maximal
// subparts", what most decoders do).
#include "proxy/log_line.hpp"

namespace pgrelay::proxy {
namespace {

void append_logfmt_value(std::string& out, std::string_view v) {
    bool quote = v.empty();
    for (char c : v)
        if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20)
            quote = true;
    if (!quote) {
        out += v;
        return;
    }
    out += '"';
    for (char c : v) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += ' ';
        } else {
            out += c;
        }
    }
    out += '"';
}

std::string logfmt_line(const log_record& r) {
    std::string line;
    line.reserve(128);
    line += "ts=";
    line += r.timestamp;
    line += " level=";
    line += to_string(r.level);
    line += " msg=";
    append_logfmt_value(line, r.message);
    for (const auto& [k, v] : r.fields) {
        line += ' ';
        line += k;
        line += '=';
        append_logfmt_value(line, v);
    }
    if (r.suppressed_before > 0) {
        line += " suppressed_before=";
        line += std::to_string(r.suppressed_before);
    }
    line += '\n';
    return line;
}

std::string json_line(const log_record& r) {
    std::string line;
    line.reserve(160);
    line += "{\"ts\":";
    append_json_string(line, r.timestamp);
    line += ",\"level\":";
    append_json_string(line, to_string(r.level));
    line += ",\"msg\":";
    append_json_string(line, r.message);
    for (const auto& [k, v] : r.fields) {
        line += ',';
        append_json_string(line, k);
        line += ':';
        append_json_string(line, v);
    }
    if (r.suppressed_before > 0) {
        line += ",\"suppressed_before\":";
        line += std::to_string(r.suppressed_before);
    }
    line += "}\n";
    return line;
}

// The length of the well-formed UTF-8 sequence at s[i], or 0 if it is ill-formed; in that
// case `bad` is the length of its maximal ill-formed prefix (at least 1), to replace at once.
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::size_t& bad) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (b0 < 0x80) return 1;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
        if (b0 == 0xED) hi = 0x9F;  // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        if (b0 == 0xF0) lo = 0x90;  // no overlong forms
        if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
        bad = 1;  // a continuation byte, C0, C1 or F5..FF
        return 0;
    }
    for (std::size_t k = 1; k < len; ++k) {
        if (i + k >= s.size()) {
            bad = k;
            return 0;
        }
        const auto b = static_cast<unsigned char>(s[i + k]);
        const unsigned char min = k == 1 ? lo : 0x80;
        const unsigned char max = k == 1 ? hi : 0xBF;
        if (b < min || b > max) {
            bad = k;
            return 0;
        }
    }
    return len;
}

}  // namespace

std::string_view to_string(log_severity level) {
    switch (level) {
        case log_severity::debug:
            return "debug";
        case log_severity::info:
            return "info";
        case log_severity::warning:
            return "warning";
        case log_severity::error:
            return "error";
    }
    return "info";
}

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            std::size_t bad = 0;
            const std::size_t len = utf8_sequence(text, i, bad);
            if (len == 0) {
                out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
                i += bad;
            } else {
                out.append(text.substr(i, len));
                i += len;
            }
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 0xF];
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    out += '"';
}

std::string format_log_line(log_format format, const log_record& record) {
    return format == log_format::json ? json_line(record) : logfmt_line(record);
}

}  // namespace pgrelay::proxy
