// Parsing the users file, line by line, in PgBouncer's auth_file format: two double-quoted
// fields per line, secrets classified by shape. Problems are reported as "file:line: problem"
// and never quote a secret.
#include "proxy/users_file.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <system_error>
#include <utility>

#include "proxy/text_file.hpp"

namespace pgrelay::proxy {
namespace {

constexpr std::string_view scram_prefix = "SCRAM-SHA-256$";

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_base64(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '+' || c == '/' || c == '=';
    });
}

// SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey> (PostgreSQL's pg_authid form,
// RFC 5803), checked for shape only: a positive iteration count and three base64 fields.
bool is_well_formed_scram(std::string_view secret) {
    std::string_view rest = secret.substr(scram_prefix.size());
    const auto colon1 = rest.find(':');
    const auto dollar = rest.find('$');
    if (colon1 == std::string_view::npos || dollar == std::string_view::npos || dollar < colon1) {
        return false;
    }
    const std::string_view iterations = rest.substr(0, colon1);
    const std::string_view salt = rest.substr(colon1 + 1, dollar - colon1 - 1);
    const std::string_view keys = rest.substr(dollar + 1);
    const auto colon2 = keys.find(':');
    if (colon2 == std::string_view::npos) return false;
    const std::string_view stored_key = keys.substr(0, colon2);
    const std::string_view server_key = keys.substr(colon2 + 1);
    if (iterations.empty() || iterations.size() > 9 ||
        !std::all_of(iterations.begin(), iterations.end(),
                     [](char c) { return c >= '0' && c <= '9'; }) ||
        std::all_of(iterations.begin(), iterations.end(), [](char c) { return c == '0'; })) {
        return false;
    }
    return is_base64(salt) && is_base64(stored_key) && is_base64(server_key);
}

// A user name in messages: quoted, with control characters shown as '?'.
std::string quote_name(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
    }
    out += '"';
    return out;
}

// Reads a double-quoted field starting at line[pos] == '"'. On success stores the unescaped
// text in `out`, moves `pos` past the closing quote and returns true.
bool read_quoted(std::string_view line, size_t& pos, std::string& out) {
    out.clear();
    for (size_t i = pos + 1; i < line.size(); ++i) {
        if (line[i] != '"') {
            out += line[i];
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
            out += '"';
            ++i;
        } else {
            pos = i + 1;
            return true;
        }
    }
    return false;
}

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

size_t skip_blanks(std::string_view line, size_t pos) {
    while (pos < line.size() && is_blank(line[pos])) {
        ++pos;
    }
    return pos;
}

}  // namespace

secret_kind classify_secret(std::string_view secret) {
    if (secret.size() == 35 && secret.substr(0, 3) == "md5" &&
        std::all_of(secret.begin() + 3, secret.end(), is_hex)) {
        return secret_kind::md5;
    }
    if (secret.substr(0, scram_prefix.size()) == scram_prefix) return secret_kind::scram;
    return secret_kind::plain;
}

std::string to_string(secret_kind kind) {
    switch (kind) {
        case secret_kind::plain:
            return "plain";
        case secret_kind::md5:
            return "md5";
        case secret_kind::scram:
            return "scram";
    }
    return "unknown";
}

users_result parse_users(std::string_view text, std::string_view source_name) {
    user_map users;
    std::unordered_map<std::string, size_t> first_line;  // user name -> line it was defined on
    std::string errors;
    auto fail = [&](size_t line_no, std::string_view problem) {
        if (!errors.empty()) errors += '\n';
        errors += source_name;
        errors += ':';
        errors += std::to_string(line_no);
        errors += ": ";
        errors += problem;
    };

    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
    size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        const size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

        size_t pos = skip_blanks(line, 0);
        if (pos == line.size() || line[pos] == '#' || line[pos] == ';') continue;
        if (line[pos] != '"') {
            fail(line_no, "expected a double-quoted user name");
            continue;
        }
        std::string name;
        if (!read_quoted(line, pos, name)) {
            fail(line_no, "unterminated quoted user name");
            continue;
        }
        if (name.empty()) {
            fail(line_no, "empty user name");
            continue;
        }
        pos = skip_blanks(line, pos);
        if (pos == line.size()) {
            fail(line_no, "missing secret for user " + quote_name(name));
            continue;
        }
        if (line[pos] != '"') {
            fail(line_no, "expected a double-quoted secret after user " + quote_name(name));
            continue;
        }
        std::string secret;
        if (!read_quoted(line, pos, secret)) {
            fail(line_no, "unterminated quoted secret for user " + quote_name(name));
            continue;
        }
        // PgBouncer ignores the rest of the line; so do we.
        const secret_kind kind = classify_secret(secret);
        if (kind == secret_kind::scram && !is_well_formed_scram(secret)) {
            fail(line_no, "malformed SCRAM secret for user " + quote_name(name) +
                              " (expected SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:"
                              "<serverkey>)");
            continue;
        }
        if (auto it = first_line.find(name); it != first_line.end()) {
            fail(line_no, "duplicate user " + quote_name(name) + " (first defined on line " +
                              std::to_string(it->second) + ")");
            continue;
        }
        first_line.emplace(name, line_no);
        users.emplace(name, user_entry{name, std::move(secret), kind});
    }

    if (!errors.empty()) return {std::nullopt, std::move(errors)};
    return {std::move(users), {}};
}

users_result load_users_file(const std::filesystem::path& path) {
    const std::string name = path.string();
    auto file = read_text_file(path);
    if (!file.text) return {std::nullopt, std::move(file.error)};
    const std::string& text = *file.text;
    return parse_users(text, name);
}

}  // namespace pgrelay::proxy
