// The tokenizer: one token per call, scanning bytes with explicit bounds checks so that a
// truncated or hostile query ends in an unterminated token, never in a read past the end.
// Rules and their corner cases follow PostgreSQL's src/backend/parser/scan.l.
#include "proxy/sql_lexer.hpp"

#include <array>
#include <cstdint>

namespace pgrelay::proxy {
namespace {

// Character classes, one table lookup per byte (scan.l's space, ident_start, ident_cont,
// op_chars; high-bit bytes are identifier characters).
enum : std::uint8_t {
    space_class = 1,
    ident_start_class = 2,
    digit_class = 4,
    dollar_class = 8,
    op_class = 16,
};

constexpr auto char_classes = [] {
    std::array<std::uint8_t, 256> t{};
    // scan.l: space [ \t\n\r\f\v] (\v since PostgreSQL 16; harmless before)
    for (const char c : std::string_view(" \t\n\r\f\v"))
        t[static_cast<unsigned char>(c)] = space_class;
    for (int c = 'a'; c <= 'z'; ++c)
        t[c] = ident_start_class;
    for (int c = 'A'; c <= 'Z'; ++c)
        t[c] = ident_start_class;
    for (int c = 0x80; c <= 0xFF; ++c)
        t[c] = ident_start_class;
    t['_'] = ident_start_class;
    for (int c = '0'; c <= '9'; ++c)
        t[c] = digit_class;
    t['$'] = dollar_class;
    // scan.l: op_chars [\~\!\@\#\^\&\|\`\?\+\-\*\/\%\<\>\=]
    for (const char c : std::string_view("~!@#^&|`?+-*/%<>="))
        t[static_cast<unsigned char>(c)] = op_class;
    return t;
}();

constexpr bool in_class(unsigned char c, std::uint8_t classes) {
    return (char_classes[c] & classes) != 0;
}
constexpr bool is_space(unsigned char c) {
    return in_class(c, space_class);
}
constexpr bool is_digit(unsigned char c) {
    return in_class(c, digit_class);
}
constexpr bool is_ident_start(unsigned char c) {
    return in_class(c, ident_start_class);
}
constexpr bool is_ident_cont(unsigned char c) {
    return in_class(c, ident_start_class | digit_class | dollar_class);
}
constexpr bool is_dollar_tag_cont(unsigned char c) {
    return in_class(c, ident_start_class | digit_class);
}
constexpr bool is_op_char(unsigned char c) {
    return in_class(c, op_class);
}
constexpr bool is_hex(unsigned char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr int hex_value(unsigned char c) {
    if (is_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Reads exactly `digits` hex digits at body[i...]; false if there are not that many.
bool read_hex(std::string_view body, std::size_t i, std::size_t digits, std::uint32_t& out) {
    if (body.size() < i + digits) return false;
    out = 0;
    for (std::size_t k = 0; k < digits; ++k) {
        const auto c = static_cast<unsigned char>(body[i + k]);
        if (!is_hex(c)) return false;
        out = out * 16 + static_cast<std::uint32_t>(hex_value(c));
    }
    return true;
}

constexpr bool is_high_surrogate(std::uint32_t cp) {
    return cp >= 0xD800 && cp <= 0xDBFF;
}
constexpr bool is_low_surrogate(std::uint32_t cp) {
    return cp >= 0xDC00 && cp <= 0xDFFF;
}

// Appends a code point, pairing surrogates the way PostgreSQL does for E'' and U&'' strings.
bool append_code_point(std::string& out, std::uint32_t cp, std::uint32_t& pending_high) {
    if (pending_high != 0) {
        if (!is_low_surrogate(cp)) return false;
        append_utf8(out, 0x10000 + ((pending_high - 0xD800) << 10) + (cp - 0xDC00));
        pending_high = 0;
        return true;
    }
    if (is_high_surrogate(cp)) {
        pending_high = cp;
        return true;
    }
    if (is_low_surrogate(cp) || cp > 0x10FFFF) return false;
    append_utf8(out, cp);
    return true;
}

// Backslash escapes of E'' strings (docs 4.1.2.2): \b \f \n \r \t, \o \oo \ooo, \xh \xhh,
// \uXXXX, \UXXXXXXXX, and \c for any other c. `i` points at the backslash.
bool decode_backslash(std::string_view body, std::size_t& i, std::string& out,
                      std::uint32_t& pending_high) {
    if (i + 1 >= body.size()) return false;
    const auto c = static_cast<unsigned char>(body[i + 1]);
    i += 2;
    if (pending_high != 0 && c != 'u' && c != 'U') return false;
    switch (c) {
        case 'b':
            out += '\b';
            return true;
        case 'f':
            out += '\f';
            return true;
        case 'n':
            out += '\n';
            return true;
        case 'r':
            out += '\r';
            return true;
        case 't':
            out += '\t';
            return true;
        case 'x':
            if (i < body.size() && is_hex(static_cast<unsigned char>(body[i]))) {
                int v = hex_value(static_cast<unsigned char>(body[i++]));
                if (i < body.size() && is_hex(static_cast<unsigned char>(body[i]))) {
                    v = v * 16 + hex_value(static_cast<unsigned char>(body[i++]));
                }
                out += static_cast<char>(v);
            } else {
                out += 'x';
            }
            return true;
        case 'u':
        case 'U': {
            const std::size_t digits = c == 'u' ? 4 : 8;
            std::uint32_t cp = 0;
            if (!read_hex(body, i, digits, cp)) return false;
            i += digits;
            return append_code_point(out, cp, pending_high);
        }
        default:
            break;
    }
    if (c >= '0' && c <= '7') {
        int v = c - '0';
        for (int k = 0; k < 2 && i < body.size() && body[i] >= '0' && body[i] <= '7'; ++k) {
            v = v * 8 + (body[i++] - '0');
        }
        out += static_cast<char>(v & 0xFF);
        return true;
    }
    out += static_cast<char>(c);
    return true;
}

// Unicode escapes of U&'' strings (docs 4.1.2.3) with the default escape character.
bool decode_unicode_escape(std::string_view body, std::size_t& i, std::string& out,
                           std::uint32_t& pending_high) {
    if (i + 1 >= body.size()) return false;
    if (body[i + 1] == '\\') {
        if (pending_high != 0) return false;
        out += '\\';
        i += 2;
        return true;
    }
    std::uint32_t cp = 0;
    if (body[i + 1] == '+') {
        if (!read_hex(body, i + 2, 6, cp)) return false;
        i += 8;
    } else {
        if (!read_hex(body, i + 1, 4, cp)) return false;
        i += 5;
    }
    return append_code_point(out, cp, pending_high);
}

}  // namespace

bool iequals(std::string_view text, std::string_view lower) noexcept {
    if (text.size() != lower.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (ascii_lower(text[i]) != lower[i]) return false;
    }
    return true;
}

bool istarts_with(std::string_view text, std::string_view lower) noexcept {
    return text.size() >= lower.size() && iequals(text.substr(0, lower.size()), lower);
}

bool token::is_keyword(std::string_view lower) const noexcept {
    return kind == token_kind::identifier && iequals(text, lower);
}

token sql_lexer::make(token_kind kind, std::size_t start, std::size_t end, bool unterminated) {
    pos_ = end;
    return token{kind, unterminated, sql_.substr(start, end - start)};
}

// A quoted run starting at `body` (just past the opening quote). `doubling`: two quotes stand
// for one; `backslash`: a backslash escapes the next byte (E'' strings).
token sql_lexer::quoted(token_kind kind, std::size_t start, std::size_t body, char quote,
                        bool backslash, bool doubling) {
    const std::size_t n = sql_.size();
    std::size_t i = body;
    while (i < n) {
        const char c = sql_[i];
        if (backslash && c == '\\') {
            i = i + 2 < n ? i + 2 : n;
            continue;
        }
        if (c == quote) {
            if (doubling && i + 1 < n && sql_[i + 1] == quote) {
                i += 2;
                continue;
            }
            return make(kind, start, i + 1);
        }
        ++i;
    }
    return make(kind, start, n, true);
}

// At '$': a parameter ($1), a dollar-quoted string ($$...$$, $tag$...$tag$), or a lone '$'.
token sql_lexer::dollar(std::size_t start) {
    const std::size_t n = sql_.size();
    std::size_t i = start + 1;
    if (i < n && is_digit(static_cast<unsigned char>(sql_[i]))) {
        while (i < n && is_digit(static_cast<unsigned char>(sql_[i])))
            ++i;
        return make(token_kind::parameter, start, i);
    }
    if (i < n && is_ident_start(static_cast<unsigned char>(sql_[i]))) {
        ++i;
        while (i < n && is_dollar_tag_cont(static_cast<unsigned char>(sql_[i])))
            ++i;
    }
    if (i >= n || sql_[i] != '$') return make(token_kind::other, start, start + 1);
    const std::string_view tag = sql_.substr(start, i + 1 - start);
    const std::size_t close = sql_.find(tag, i + 1);
    if (close == std::string_view::npos) return make(token_kind::dollar_string, start, n, true);
    return make(token_kind::dollar_string, start, close + tag.size());
}

// scan.l: decinteger, hexinteger/octinteger/bininteger, numeric and real, with '_' separators.
token sql_lexer::number(std::size_t start) {
    const std::size_t n = sql_.size();
    auto at = [&](std::size_t k) -> unsigned char {
        return k < n ? static_cast<unsigned char>(sql_[k]) : 0;
    };
    auto digits = [&](std::size_t k, auto&& ok) {
        // (_?digit)* after a first digit at k-1
        while (true) {
            if (ok(at(k))) {
                ++k;
            } else if (at(k) == '_' && ok(at(k + 1))) {
                k += 2;
            } else {
                return k;
            }
        }
    };
    auto dec = [](unsigned char c) { return is_digit(c); };
    std::size_t i = start;
    if (at(i) == '0') {
        const unsigned char p =
            static_cast<unsigned char>(ascii_lower(static_cast<char>(at(i + 1))));
        auto radix_digit = [p](unsigned char c) {
            if (p == 'x') return is_hex(c);
            if (p == 'o') return c >= '0' && c <= '7';
            return c == '0' || c == '1';
        };
        if (p == 'x' || p == 'o' || p == 'b') {
            std::size_t k = i + 2;
            if (at(k) == '_') ++k;
            if (radix_digit(at(k)))
                return make(token_kind::number, start, digits(k + 1, radix_digit));
        }
    }
    if (at(i) != '.') i = digits(i + 1, dec);
    if (at(i) == '.' && at(i + 1) != '.') {
        ++i;
        if (is_digit(at(i))) i = digits(i + 1, dec);
    }
    if (at(i) == 'e' || at(i) == 'E') {
        std::size_t k = i + 1;
        if (at(k) == '+' || at(k) == '-') ++k;
        if (is_digit(at(k))) i = digits(k + 1, dec);
    }
    return make(token_kind::number, start, i);
}

token sql_lexer::operator_run(std::size_t start) {
    const std::size_t n = sql_.size();
    std::size_t i = start;
    while (i < n && is_op_char(static_cast<unsigned char>(sql_[i]))) {
        if (i > start && i + 1 < n &&
            ((sql_[i] == '-' && sql_[i + 1] == '-') || (sql_[i] == '/' && sql_[i + 1] == '*'))) {
            break;  // a comment starts inside the run
        }
        ++i;
    }
    // scan.l: a multi-character operator cannot end in + or - unless it contains one of
    // ~ ! @ # ^ & | ` ? %, so that "a=-1" reads as "a", "=", "-", "1".
    std::size_t len = i - start;
    if (len > 1 && (sql_[start + len - 1] == '+' || sql_[start + len - 1] == '-')) {
        const bool special =
            sql_.substr(start, len - 1).find_first_of("~!@#^&|`?%") != std::string_view::npos;
        if (!special) {
            do {
                --len;
            } while (len > 1 && (sql_[start + len - 1] == '+' || sql_[start + len - 1] == '-'));
        }
    }
    return make(token_kind::op, start, start + len);
}

token sql_lexer::next() noexcept {
    const std::size_t n = sql_.size();
    while (pos_ < n && is_space(static_cast<unsigned char>(sql_[pos_])))
        ++pos_;
    if (pos_ >= n) return token{token_kind::end, false, sql_.substr(n, 0)};
    const std::size_t start = pos_;
    const auto c = static_cast<unsigned char>(sql_[start]);
    const unsigned char c1 = start + 1 < n ? static_cast<unsigned char>(sql_[start + 1]) : 0;
    const unsigned char c2 = start + 2 < n ? static_cast<unsigned char>(sql_[start + 2]) : 0;

    switch (c) {
        case '-':
            if (c1 == '-') {
                std::size_t i = start + 2;
                while (i < n && sql_[i] != '\n' && sql_[i] != '\r')
                    ++i;
                return make(token_kind::line_comment, start, i);
            }
            return operator_run(start);
        case '/':
            if (c1 == '*') {
                std::size_t depth = 1;
                std::size_t i = start + 2;
                while (i < n) {
                    if (sql_[i] == '/' && i + 1 < n && sql_[i + 1] == '*') {
                        ++depth;
                        i += 2;
                    } else if (sql_[i] == '*' && i + 1 < n && sql_[i + 1] == '/') {
                        i += 2;
                        if (--depth == 0) return make(token_kind::block_comment, start, i);
                    } else {
                        ++i;
                    }
                }
                return make(token_kind::block_comment, start, n, true);
            }
            return operator_run(start);
        case '\'':
            return quoted(token_kind::string, start, start + 1, '\'', backslash_in_plain_strings_,
                          true);
        case '"':
            return quoted(token_kind::quoted_identifier, start, start + 1, '"', false, true);
        case '$':
            return dollar(start);
        case '(':
            return make(token_kind::open_paren, start, start + 1);
        case ')':
            return make(token_kind::close_paren, start, start + 1);
        case ',':
            return make(token_kind::comma, start, start + 1);
        case ';':
            return make(token_kind::semicolon, start, start + 1);
        case '[':
        case ']':
            return make(token_kind::punctuation, start, start + 1);
        case ':':
            return make(token_kind::punctuation, start, start + (c1 == ':' || c1 == '=' ? 2 : 1));
        case '.':
            if (is_digit(c1)) return number(start);
            if (c1 == '.') return make(token_kind::punctuation, start, start + 2);
            return make(token_kind::dot, start, start + 1);
        default:
            break;
    }
    if (is_digit(c)) return number(start);
    if (is_ident_start(c)) {
        // Prefixed strings: the prefix must touch the quote (docs 4.1.2.2 - 4.1.2.5).
        switch (c) {
            case 'e':
            case 'E':
                if (c1 == '\'') {
                    return quoted(token_kind::string, start, start + 2, '\'', true, true);
                }
                break;
            case 'n':
            case 'N':
                if (c1 == '\'') {
                    return quoted(token_kind::string, start, start + 2, '\'',
                                  backslash_in_plain_strings_, true);
                }
                break;
            case 'b':
            case 'B':
            case 'x':
            case 'X':
                if (c1 == '\'') {
                    return quoted(token_kind::string, start, start + 2, '\'', false, false);
                }
                break;
            case 'u':
            case 'U':
                if (c1 == '&' && c2 == '\'') {
                    return quoted(token_kind::string, start, start + 3, '\'', false, true);
                }
                if (c1 == '&' && c2 == '"') {
                    return quoted(token_kind::quoted_identifier, start, start + 3, '"', false,
                                  true);
                }
                break;
            default:
                break;
        }
        std::size_t i = start + 1;
        while (i < n && is_ident_cont(static_cast<unsigned char>(sql_[i])))
            ++i;
        return make(token_kind::identifier, start, i);
    }
    if (is_op_char(c)) return operator_run(start);
    return make(token_kind::other, start, start + 1);
}

token sql_lexer::next_significant() noexcept {
    token t = next();
    while (t.is_comment())
        t = next();
    return t;
}

std::optional<std::string> string_literal_value(const token& t, lexer_options options) {
    if (t.unterminated) return std::nullopt;
    const std::string_view text = t.text;
    if (t.kind == token_kind::dollar_string) {
        const std::size_t tag_end = text.find('$', 1);
        if (tag_end == std::string_view::npos) return std::nullopt;
        const std::size_t tag = tag_end + 1;
        if (text.size() < 2 * tag) return std::nullopt;
        return std::string(text.substr(tag, text.size() - 2 * tag));
    }
    if (t.kind != token_kind::string || text.size() < 2) return std::nullopt;

    enum class style { plain, backslash, unicode, bits };
    style s = options.standard_conforming_strings ? style::plain : style::backslash;
    std::size_t prefix = 0;
    switch (text[0]) {
        case '\'':
            break;
        case 'e':
        case 'E':
            s = style::backslash;
            prefix = 1;
            break;
        case 'n':
        case 'N':
            prefix = 1;
            break;
        case 'b':
        case 'B':
        case 'x':
        case 'X':
            s = style::bits;
            prefix = 1;
            break;
        case 'u':
        case 'U':
            s = style::unicode;
            prefix = 2;
            break;
        default:
            return std::nullopt;
    }
    if (text.size() < prefix + 2) return std::nullopt;
    const std::string_view body = text.substr(prefix + 1, text.size() - prefix - 2);
    if (s == style::bits) return std::string(body);

    std::string out;
    out.reserve(body.size());
    std::uint32_t pending_high = 0;
    for (std::size_t i = 0; i < body.size();) {
        const char c = body[i];
        if (c == '\'' && i + 1 < body.size() && body[i + 1] == '\'') {
            if (pending_high != 0) return std::nullopt;
            out += '\'';
            i += 2;
        } else if (c == '\\' && s == style::backslash) {
            if (!decode_backslash(body, i, out, pending_high)) return std::nullopt;
        } else if (c == '\\' && s == style::unicode) {
            if (!decode_unicode_escape(body, i, out, pending_high)) return std::nullopt;
        } else {
            if (pending_high != 0) return std::nullopt;
            out += c;
            ++i;
        }
    }
    if (pending_high != 0) return std::nullopt;
    return out;
}

std::string identifier_value(std::string_view written) {
    std::size_t open = std::string_view::npos;
    if (!written.empty() && written[0] == '"') {
        open = 1;
    } else if (written.size() >= 3 && (written[0] == 'u' || written[0] == 'U') &&
               written[1] == '&' && written[2] == '"') {
        open = 3;
    }
    if (open == std::string_view::npos) {
        std::string out(written);
        for (char& c : out)
            c = ascii_lower(c);
        return out;
    }
    std::string_view body = written.substr(open);
    if (!body.empty() && body.back() == '"') body.remove_suffix(1);
    std::string out;
    out.reserve(body.size());
    for (std::size_t i = 0; i < body.size(); ++i) {
        out += body[i];
        if (body[i] == '"' && i + 1 < body.size() && body[i + 1] == '"') ++i;
    }
    return out;
}

}  // namespace pgrelay::proxy
