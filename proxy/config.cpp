// Loading and validating the TOML configuration with toml++ (exceptions stay inside: a
// toml::parse_error becomes an error value). Every problem names its key, e.g.
// "listen.port: must be an integer between 1 and 65535, got 70000"; unknown keys are errors.
#include "proxy/config.hpp"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <system_error>
#include <thread>
#include <utility>

#include "proxy/config_document.hpp"
#include "proxy/text_file.hpp"

namespace pgrelay::proxy {
namespace {

// Limits that catch typos (an extra zero) without getting in a real deployment's way.
constexpr int64_t max_workers = 1024;
constexpr int64_t max_client_conn_limit = 1'000'000;
constexpr int64_t max_timeout_seconds = 30LL * 24 * 3600;  // 30 days
constexpr int64_t max_health_count = 100;                  // health.rise, health.fall
constexpr std::chrono::milliseconds min_health_interval{10};
constexpr int64_t max_lag_ms_limit = max_timeout_seconds * 1000;
constexpr uint64_t max_byte_count = static_cast<uint64_t>(INT64_MAX);  // TOML's integer range
constexpr int64_t max_pool_size = 100'000;  // pool.default_pool_size, databases.*.pool_size
constexpr int64_t max_node_weight = 1000;

constexpr std::string_view auth_method_choices = "trust, md5 or scram-sha-256";
constexpr std::string_view client_tls_choices = "disable, allow or require";
constexpr std::string_view server_tls_choices =
    "disable, prefer, require, verify-ca or verify-full";
constexpr std::string_view log_level_choices = "debug, info, warning or error";
constexpr std::string_view log_format_choices = "logfmt or json";
constexpr std::string_view pool_mode_choices = "session or transaction";
constexpr std::string_view routing_mode_choices = "primary, standby or auto";
constexpr std::string_view primary_reads_choices = "never, fallback or always";
constexpr std::string_view balance_choices = "least_outstanding, round_robin or weighted";

// A string in TOML basic-string syntax: "..." with \" \\ and control characters escaped.
std::string quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
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
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                    std::array<char, 8> buf{};
                    std::snprintf(buf.data(), buf.size(), "\\u%04x", static_cast<unsigned>(c));
                    out += buf.data();
                } else {
                    out += c;
                }
        }
    }
    out += '"';
    return out;
}

// A key as it would be written in the file: bare when possible, quoted otherwise.
std::string format_key(std::string_view key) {
    const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
    return bare ? std::string(key) : quote(key);
}

std::string format_double(double value) {
    std::array<char, 64> buf{};
    // Fixed notation for everyday magnitudes (0.0004, not 4e-04); shortest otherwise.
    const double magnitude = std::fabs(value);
    const bool fixed = magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15);
    auto [end, ec] =
        fixed ? std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed)
              : std::to_chars(buf.data(), buf.data() + buf.size(), value);
    std::string out(buf.data(), ec == std::errc{} ? end : buf.data());
    if (out.find_first_of(".eni") == std::string::npos) out += ".0";
    return out;
}

// The value of a node for "got ..." in messages: bare for numbers (used in range errors).
std::string value_text(const toml::node& node) {
    if (auto v = node.as_integer()) return std::to_string(v->get());
    if (auto v = node.as_floating_point()) return format_double(v->get());
    if (auto v = node.as_string()) return quote(v->get());
    if (auto v = node.as_boolean()) return v->get() ? "true" : "false";
    return {};
}

// The type and value of a node for "got ..." in type errors: `string "abc"`, `a table`.
std::string typed_value_text(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::integer:
            return "integer " + value_text(node);
        case toml::node_type::floating_point:
            return "floating-point " + value_text(node);
        case toml::node_type::string:
            return "string " + value_text(node);
        case toml::node_type::boolean:
            return "boolean " + value_text(node);
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

// The type alone, for messages about secrets, whose value must never be shown: "an integer".
std::string type_text(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a floating-point number";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::table:
        case toml::node_type::array:
        case toml::node_type::date:
        case toml::node_type::time:
        case toml::node_type::date_time:
        case toml::node_type::none:
            break;
    }
    return typed_value_text(node);  // "a table", "an array", "a date"...: no value inside
}

// A byte count with a PostgreSQL memory unit, as in postgresql.conf: a non-negative decimal
// number, optional blanks, then B, kB, MB, GB or TB (case-sensitive, base 1024), e.g. "16MB",
// "512kB", "1.5GB", "64 kB". A fraction is rounded to the nearest byte, as PostgreSQL does.
// A bare number without a unit is not accepted (write an integer instead).
enum class byte_text_status { ok, malformed, too_large };

byte_text_status parse_byte_text(std::string_view text, uint64_t& out) {
    auto is_blank = [](char c) { return c == ' ' || c == '\t'; };
    auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    size_t i = 0;
    while (i < text.size() && is_blank(text[i])) {
        ++i;
    }
    const size_t int_begin = i;
    while (i < text.size() && is_digit(text[i])) {
        ++i;
    }
    const std::string_view int_part = text.substr(int_begin, i - int_begin);
    std::string_view frac_part;
    if (i < text.size() && text[i] == '.') {
        const size_t frac_begin = ++i;
        while (i < text.size() && is_digit(text[i])) {
            ++i;
        }
        frac_part = text.substr(frac_begin, i - frac_begin);
        if (frac_part.empty()) return byte_text_status::malformed;
    }
    if (int_part.empty()) return byte_text_status::malformed;
    while (i < text.size() && is_blank(text[i])) {
        ++i;
    }
    size_t unit_end = i;
    while (unit_end < text.size() && !is_blank(text[unit_end])) {
        ++unit_end;
    }
    const std::string_view unit = text.substr(i, unit_end - i);
    for (size_t j = unit_end; j < text.size(); ++j) {
        if (!is_blank(text[j])) return byte_text_status::malformed;
    }
    uint64_t multiplier = 0;
    if (unit == "B") {
        multiplier = 1;
    } else if (unit == "kB") {
        multiplier = 1ULL << 10;
    } else if (unit == "MB") {
        multiplier = 1ULL << 20;
    } else if (unit == "GB") {
        multiplier = 1ULL << 30;
    } else if (unit == "TB") {
        multiplier = 1ULL << 40;
    } else {
        return byte_text_status::malformed;
    }
    uint64_t whole = 0;
    for (char c : int_part) {
        if (whole > (max_byte_count - static_cast<uint64_t>(c - '0')) / 10) {
            return byte_text_status::too_large;
        }
        whole = whole * 10 + static_cast<uint64_t>(c - '0');
    }
    if (whole > max_byte_count / multiplier) return byte_text_status::too_large;
    uint64_t value = whole * multiplier;
    if (!frac_part.empty()) {
        const std::string fraction = "0." + std::string(frac_part);
        double f = 0;
        std::from_chars(fraction.data(), fraction.data() + fraction.size(), f);
        const auto extra = static_cast<uint64_t>(std::llround(f * static_cast<double>(multiplier)));
        if (extra > max_byte_count - value) return byte_text_status::too_large;
        value += extra;
    }
    out = value;
    return byte_text_status::ok;
}

// Milliseconds in words for messages: "one millisecond", "10 milliseconds".
std::string milliseconds_text(std::chrono::milliseconds ms) {
    return ms.count() == 1 ? "one millisecond" : std::to_string(ms.count()) + " milliseconds";
}

// Seconds as written in the file: "60", "2.5", "0.25".
std::string format_seconds(std::chrono::milliseconds ms) {
    const auto count = ms.count();
    std::string out = std::to_string(count / 1000);
    if (auto frac = count % 1000; frac != 0) {
        std::array<char, 8> buf{};
        std::snprintf(buf.data(), buf.size(), ".%03lld", static_cast<long long>(frac));
        std::string digits = buf.data();
        while (digits.back() == '0') {
            digits.pop_back();
        }
        out += digits;
    }
    return out;
}

bool is_ip_literal(const std::string& text) {
    std::array<unsigned char, 16> buf{};
    if (inet_pton(AF_INET, text.c_str(), buf.data()) == 1) return true;
    // An IPv6 literal, optionally with a zone ("fe80::1%eth0") as Asio accepts it.
    const auto percent = text.find('%');
    if (percent != std::string::npos && percent + 1 == text.size()) return false;
    const std::string address = text.substr(0, percent);
    return inet_pton(AF_INET6, address.c_str(), buf.data()) == 1;
}

bool is_valid_node_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
}

// A routing.writing_functions entry: "f" or "schema.f", each part [A-Za-z0-9_$]+.
bool is_valid_function_name(std::string_view name) {
    const auto dot = name.find('.');
    auto valid_part = [](std::string_view part) {
        return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '$';
        });
    };
    if (dot == std::string_view::npos) return valid_part(name);
    return valid_part(name.substr(0, dot)) && valid_part(name.substr(dot + 1));
}

// A list of strings in TOML syntax: [] or ["a", "b"].
std::string format_string_array(const std::vector<std::string>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) {
        if (i != 0) out += ", ";
        out += quote(items[i]);
    }
    out += ']';
    return out;
}

bool is_valid_host(std::string_view host) {
    return !host.empty() && std::none_of(host.begin(), host.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == ',';
    });
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

// Collects problems while walking the document; the walk continues after a problem so that
// one run reports them all.
class validator {
  public:
    void fail(std::string_view key, std::string_view problem) {
        if (!errors_.empty()) errors_ += '\n';
        errors_ += key;
        errors_ += ": ";
        errors_ += problem;
    }
    [[nodiscard]] bool failed() const { return !errors_.empty(); }
    [[nodiscard]] std::string take_errors() { return std::move(errors_); }

    // Reports every key of `table` not in `allowed` as "<prefix>.<key>: unknown key".
    void reject_unknown_keys(const toml::table& table, std::string_view prefix,
                             std::initializer_list<std::string_view> allowed) {
        for (auto&& [key, node] : table) {
            if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
            fail(std::string(prefix) + "." + format_key(key.str()), "unknown key");
        }
    }

    // An integer in [min, max]; nullopt (and a problem) when present but wrong.
    std::optional<int64_t> integer(const toml::table& table, std::string_view prefix,
                                   std::string_view key, int64_t min, int64_t max) {
        const toml::node* node = table.get(key);
        if (node == nullptr) return std::nullopt;
        auto value = node->as_integer();
        if (value != nullptr && value->get() >= min && value->get() <= max) return value->get();
        fail(path(prefix, key),
             "must be an integer between " + std::to_string(min) + " and " + std::to_string(max) +
                 ", got " + (value != nullptr ? value_text(*node) : typed_value_text(*node)));
        return std::nullopt;
    }

    // A duration given in seconds (integer or float), 0 (when allowed) or at least `min`
    // (at most one second).
    std::optional<std::chrono::milliseconds> seconds(
        const toml::table& table, std::string_view prefix, std::string_view key, bool allow_zero,
        std::chrono::milliseconds min = std::chrono::milliseconds{1}) {
        const toml::node* node = table.get(key);
        if (node == nullptr) return std::nullopt;
        const std::string expected =
            allow_zero ? "must be a number of seconds between 0 and " +
                             std::to_string(max_timeout_seconds) + " (0 disables)"
                       : "must be a number of seconds greater than 0 and at most " +
                             std::to_string(max_timeout_seconds);
        std::optional<int64_t> ms;
        if (auto i = node->as_integer()) {
            if (i->get() >= 0 && i->get() <= max_timeout_seconds) ms = i->get() * 1000;
        } else if (auto f = node->as_floating_point()) {
            const double s = f->get();
            if (std::isfinite(s) && s >= 0 && s <= static_cast<double>(max_timeout_seconds)) {
                ms = std::llround(s * 1000.0);
                if (s > 0 && *ms < min.count()) {
                    fail(path(prefix, key),
                         std::string(allow_zero ? "must be 0 or at least " : "must be at least ") +
                             format_seconds(min) + " (" + milliseconds_text(min) + "), got " +
                             value_text(*node));
                    return std::nullopt;
                }
            }
        } else {
            fail(path(prefix, key), expected + ", got " + typed_value_text(*node));
            return std::nullopt;
        }
        if (!ms || (*ms == 0 && !allow_zero)) {
            fail(path(prefix, key), expected + ", got " + value_text(*node));
            return std::nullopt;
        }
        return std::chrono::milliseconds{*ms};
    }

    // A string; nullopt (and a problem) when present but not a string or empty.
    std::optional<std::string> string(const toml::table& table, std::string_view prefix,
                                      std::string_view key) {
        const toml::node* node = table.get(key);
        if (node == nullptr) return std::nullopt;
        auto value = node->as_string();
        if (value == nullptr) {
            fail(path(prefix, key), "must be a string, got " + typed_value_text(*node));
            return std::nullopt;
        }
        if (value->get().empty()) {
            fail(path(prefix, key), "must not be empty");
            return std::nullopt;
        }
        return value->get();
    }

    // A non-empty string without NUL characters, handed to libpq (user and database names).
    std::optional<std::string> libpq_string(const toml::table& table, std::string_view prefix,
                                            std::string_view key) {
        auto value = string(table, prefix, key);
        if (value && value->find('\0') != std::string::npos) {
            fail(path(prefix, key), "must not contain a NUL character");
            return std::nullopt;
        }
        return value;
    }

    // A password: like libpq_string, but no problem ever shows the value, not even in part.
    std::optional<std::string> secret(const toml::table& table, std::string_view prefix,
                                      std::string_view key) {
        const toml::node* node = table.get(key);
        if (node == nullptr) return std::nullopt;
        auto value = node->as_string();
        if (value == nullptr) {
            fail(path(prefix, key), "must be a string, got " + type_text(*node));
            return std::nullopt;
        }
        if (value->get().empty()) {
            fail(path(prefix, key),
                 "must not be empty (leave the key out to use the users file's password)");
            return std::nullopt;
        }
        if (value->get().find('\0') != std::string::npos) {
            fail(path(prefix, key), "must not contain a NUL character");
            return std::nullopt;
        }
        return value->get();
    }

    // A byte count: an integer >= 0, or a string with a PostgreSQL memory unit ("16MB").
    std::optional<uint64_t> bytes(const toml::table& table, std::string_view prefix,
                                  std::string_view key) {
        const toml::node* node = table.get(key);
        if (node == nullptr) return std::nullopt;
        const std::string expected =
            "must be a number of bytes: an integer of at least 0, or a string with a unit B, kB, "
            "MB, GB or TB (base 1024) such as \"16MB\"";
        if (auto i = node->as_integer()) {
            if (i->get() >= 0) return static_cast<uint64_t>(i->get());
            fail(path(prefix, key), expected + ", got " + value_text(*node));
            return std::nullopt;
        }
        if (auto text = node->as_string()) {
            uint64_t value = 0;
            switch (parse_byte_text(text->get(), value)) {
                case byte_text_status::ok:
                    return value;
                case byte_text_status::too_large:
                    fail(path(prefix, key), "must be at most " + std::to_string(max_byte_count) +
                                                " bytes, got " + typed_value_text(*node));
                    return std::nullopt;
                case byte_text_status::malformed:
                    break;
            }
        }
        fail(path(prefix, key), expected + ", got " + typed_value_text(*node));
        return std::nullopt;
    }

    // A number (integer or float) between 0 and 1.
    std::optional<double> fraction(const toml::table& table, std::string_view prefix,
                                   std::string_view key) {
        const toml::node* node = table.get(key);
        if (node == nullptr) return std::nullopt;
        std::optional<double> value;
        if (auto i = node->as_integer()) value = static_cast<double>(i->get());
        if (auto f = node->as_floating_point()) value = f->get();
        if (value && std::isfinite(*value) && *value >= 0 && *value <= 1) return value;
        fail(path(prefix, key), "must be a number between 0 and 1, got " +
                                    (value ? value_text(*node) : typed_value_text(*node)));
        return std::nullopt;
    }

    // true or false.
    std::optional<bool> boolean(const toml::table& table, std::string_view prefix,
                                std::string_view key) {
        const toml::node* node = table.get(key);
        if (node == nullptr) return std::nullopt;
        if (auto value = node->as_boolean()) return value->get();
        fail(path(prefix, key),
             "must be a boolean (true or false), got " + typed_value_text(*node));
        return std::nullopt;
    }

    // One of a fixed set of strings, converted by `parse`.
    template <typename Enum>
    std::optional<Enum> choice(const toml::table& table, std::string_view prefix,
                               std::string_view key, std::optional<Enum> (*parse)(std::string_view),
                               std::string_view choices) {
        const toml::node* node = table.get(key);
        if (node == nullptr) return std::nullopt;
        auto value = node->as_string();
        if (value == nullptr) {
            fail(path(prefix, key),
                 "must be a string (" + std::string(choices) + "), got " + typed_value_text(*node));
            return std::nullopt;
        }
        if (auto parsed = parse(value->get())) return parsed;
        fail(path(prefix, key),
             "unknown value " + quote(value->get()) + " (expected " + std::string(choices) + ")");
        return std::nullopt;
    }

    // A section: nullptr when absent, or (with a problem) when not a table.
    const toml::table* section(const toml::table& root, std::string_view name) {
        const toml::node* node = root.get(name);
        if (node == nullptr) return nullptr;
        if (auto table = node->as_table()) return table;
        fail(name, "must be a table ([" + std::string(name) + "]), got " + typed_value_text(*node));
        return nullptr;
    }

    static std::string path(std::string_view prefix, std::string_view key) {
        return std::string(prefix) + "." + std::string(key);
    }

  private:
    std::string errors_;
};

void read_general(validator& v, const toml::table& t, config& cfg) {
    v.reject_unknown_keys(
        t, "general",
        {"workers", "max_client_conn", "client_login_timeout", "client_idle_timeout",
         "server_connect_timeout", "log_level", "log_format", "shutdown_timeout"});
    if (auto n = v.integer(t, "general", "workers", 0, max_workers)) {
        cfg.workers = static_cast<unsigned>(*n);
    }
    if (auto n = v.integer(t, "general", "max_client_conn", 1, max_client_conn_limit)) {
        cfg.max_client_conn = static_cast<uint32_t>(*n);
    }
    if (auto d = v.seconds(t, "general", "client_login_timeout", true)) {
        cfg.client_login_timeout = *d;
    }
    if (auto d = v.seconds(t, "general", "client_idle_timeout", true)) {
        cfg.client_idle_timeout = *d;
    }
    if (auto d = v.seconds(t, "general", "server_connect_timeout", false)) {
        cfg.server_connect_timeout = *d;
    }
    if (auto l = v.choice(t, "general", "log_level", &parse_log_level, log_level_choices)) {
        cfg.level = *l;
    }
    if (auto d = v.seconds(t, "general", "shutdown_timeout", true)) cfg.shutdown_timeout = *d;
    if (auto f = v.choice(t, "general", "log_format", &parse_log_format, log_format_choices)) {
        cfg.log_output = *f;
    }
}

void read_admin(validator& v, const toml::table& t, config& cfg) {
    admin_config& a = cfg.admin;
    v.reject_unknown_keys(t, "admin", {"address", "port", "users"});
    if (auto address = v.string(t, "admin", "address")) {
        if (is_ip_literal(*address)) {
            a.address = *address;
        } else {
            v.fail("admin.address",
                   "must be an IPv4 or IPv6 address such as 127.0.0.1, got " + quote(*address));
        }
    }
    if (auto n = v.integer(t, "admin", "port", 0, 65535)) a.port = static_cast<uint16_t>(*n);
    if (const toml::node* node = t.get("users")) {
        const toml::array* names = node->as_array();
        if (names == nullptr) {
            v.fail("admin.users", "must be an array of user names such as [\"admin\"], got " +
                                      typed_value_text(*node));
            return;
        }
        for (size_t i = 0; i < names->size(); ++i) {
            const auto name = (*names)[i].as_string();
            if (name == nullptr || name->get().empty()) {
                v.fail("admin.users[" + std::to_string(i) + "]",
                       "must be a user name (a non-empty string), got " +
                           typed_value_text((*names)[i]));
            } else {
                a.users.push_back(name->get());
            }
        }
    }
}

void read_http(validator& v, const toml::table& t, config& cfg) {
    http_config& h = cfg.http;
    v.reject_unknown_keys(t, "http", {"address", "port", "ready_without_primary"});
    if (auto address = v.string(t, "http", "address")) {
        if (is_ip_literal(*address)) {
            h.address = *address;
        } else {
            v.fail("http.address",
                   "must be an IPv4 or IPv6 address such as 127.0.0.1, got " + quote(*address));
        }
    }
    if (auto n = v.integer(t, "http", "port", 0, 65535)) h.port = static_cast<std::uint16_t>(*n);
    if (auto b = v.boolean(t, "http", "ready_without_primary")) h.ready_without_primary = *b;
}

void read_listen(validator& v, const toml::table& t, config& cfg) {
    v.reject_unknown_keys(t, "listen", {"address", "port", "reuse_port"});
    if (auto b = v.boolean(t, "listen", "reuse_port")) cfg.listen_reuse_port = *b;
    if (auto address = v.string(t, "listen", "address")) {
        if (is_ip_literal(*address)) {
            cfg.listen_address = *address;
        } else {
            v.fail("listen.address",
                   "must be an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or ::, got " +
                       quote(*address));
        }
    }
    if (auto n = v.integer(t, "listen", "port", 1, 65535)) {
        cfg.listen_port = static_cast<uint16_t>(*n);
    }
}

// A path from the file: relative to the file's directory (as written when that is empty).
std::filesystem::path resolve_path(const std::string& text, const std::filesystem::path& base_dir) {
    std::filesystem::path p(text);
    if (p.is_relative() && !base_dir.empty()) p = base_dir / p;
    return p.lexically_normal();
}

void read_auth(validator& v, const toml::table* t, const std::filesystem::path& base_dir,
               bool users_file_required, config& cfg) {
    if (t == nullptr) {
        if (users_file_required) v.fail("auth.users_file", "required key is missing");
        return;
    }
    v.reject_unknown_keys(*t, "auth", {"method", "users_file"});
    if (auto m = v.choice(*t, "auth", "method", &parse_auth_method, auth_method_choices)) {
        cfg.auth = *m;
    }
    if (t->get("users_file") == nullptr) {
        if (users_file_required) v.fail("auth.users_file", "required key is missing");
    } else if (auto file = v.string(*t, "auth", "users_file")) {
        cfg.users_file = resolve_path(*file, base_dir);
    }
}

void read_tls(validator& v, const toml::table& t, const std::filesystem::path& base_dir,
              config& cfg) {
    tls_config& tls = cfg.tls;
    v.reject_unknown_keys(t, "tls",
                          {"client_tls", "client_tls_cert_file", "client_tls_key_file",
                           "client_tls_ca_file", "server_tls", "server_tls_ca_file"});
    if (auto m = v.choice(t, "tls", "client_tls", &parse_client_tls_mode, client_tls_choices)) {
        tls.client_mode = *m;
    }
    auto file = [&](std::string_view key, std::filesystem::path& out) {
        if (auto text = v.string(t, "tls", key)) out = resolve_path(*text, base_dir);
    };
    file("client_tls_cert_file", tls.client_cert_file);
    file("client_tls_key_file", tls.client_key_file);
    file("client_tls_ca_file", tls.client_ca_file);
    if (auto m = v.choice(t, "tls", "server_tls", &parse_server_tls_mode, server_tls_choices)) {
        tls.server_mode = *m;
    }
    file("server_tls_ca_file", tls.server_ca_file);
    if (tls.client_mode != client_tls_mode::disable) {
        const std::string why = " (client_tls = " + quote(to_string(tls.client_mode)) + ")";
        if (tls.client_cert_file.empty() && t.get("client_tls_cert_file") == nullptr)
            v.fail("tls.client_tls_cert_file", "required key is missing" + why);
        if (tls.client_key_file.empty() && t.get("client_tls_key_file") == nullptr)
            v.fail("tls.client_tls_key_file", "required key is missing" + why);
    }
}

void read_health(validator& v, const toml::table& t, config& cfg) {
    health_config& h = cfg.health;
    v.reject_unknown_keys(t, "health",
                          {"interval", "connect_timeout", "query_timeout", "rise", "fall",
                           "max_lag_bytes", "max_lag_ms", "user", "password", "dbname"});
    if (auto d = v.seconds(t, "health", "interval", false, min_health_interval)) h.interval = *d;
    if (auto d = v.seconds(t, "health", "connect_timeout", false)) h.connect_timeout = *d;
    if (auto d = v.seconds(t, "health", "query_timeout", false)) h.query_timeout = *d;
    if (auto n = v.integer(t, "health", "rise", 1, max_health_count)) h.rise = static_cast<int>(*n);
    if (auto n = v.integer(t, "health", "fall", 1, max_health_count)) h.fall = static_cast<int>(*n);
    if (auto b = v.bytes(t, "health", "max_lag_bytes")) h.max_lag_bytes = *b;
    if (auto n = v.integer(t, "health", "max_lag_ms", 0, max_lag_ms_limit)) {
        h.max_lag = std::chrono::milliseconds{*n};
    }
    if (auto user = v.libpq_string(t, "health", "user")) h.user = *user;
    if (auto password = v.secret(t, "health", "password")) h.password = std::move(*password);
    if (auto dbname = v.libpq_string(t, "health", "dbname")) h.dbname = *dbname;
}

void read_pool(validator& v, const toml::table& t, config& cfg) {
    pool_config& p = cfg.pool;
    v.reject_unknown_keys(
        t, "pool",
        {"pool_mode", "default_pool_size", "min_pool_size", "server_idle_timeout",
         "server_lifetime", "query_wait_timeout", "primary_wait_timeout", "max_pinned_fraction"});
    if (auto m = v.choice(t, "pool", "pool_mode", &parse_pool_mode, pool_mode_choices)) {
        p.mode = *m;
    }
    bool size_ok = true;  // when wrong, min_pool_size is not compared with it
    if (t.get("default_pool_size") != nullptr) {
        if (auto n = v.integer(t, "pool", "default_pool_size", 1, max_pool_size)) {
            p.size = static_cast<std::uint32_t>(*n);
        } else {
            size_ok = false;
        }
    }
    if (auto n = v.integer(t, "pool", "min_pool_size", 0, max_pool_size); n && size_ok) {
        if (*n > static_cast<int64_t>(p.size)) {
            v.fail("pool.min_pool_size", "must be at most pool.default_pool_size (" +
                                             std::to_string(p.size) + "), got " +
                                             std::to_string(*n));
        } else {
            p.min_size = static_cast<std::uint32_t>(*n);
        }
    }
    if (auto d = v.seconds(t, "pool", "server_idle_timeout", true)) p.server_idle_timeout = *d;
    if (auto d = v.seconds(t, "pool", "server_lifetime", true)) p.server_lifetime = *d;
    if (auto d = v.seconds(t, "pool", "query_wait_timeout", true)) p.query_wait_timeout = *d;
    if (auto d = v.seconds(t, "pool", "primary_wait_timeout", true)) p.primary_wait_timeout = *d;
    if (auto f = v.fraction(t, "pool", "max_pinned_fraction")) p.max_pinned_fraction = *f;
}

void read_routing(validator& v, const toml::table& t, config& cfg) {
    routing_config& r = cfg.routing;
    v.reject_unknown_keys(
        t, "routing",
        {"mode", "primary_reads", "balance", "writing_functions", "retry_recovery_conflicts"});
    if (auto m = v.choice(t, "routing", "mode", &parse_routing_mode, routing_mode_choices)) {
        r.mode = *m;
    }
    if (auto p =
            v.choice(t, "routing", "primary_reads", &parse_primary_reads, primary_reads_choices)) {
        r.primary_reads_policy = *p;
    }
    if (auto b = v.choice(t, "routing", "balance", &parse_balance_policy, balance_choices)) {
        r.balance = *b;
    }
    if (const toml::node* node = t.get("writing_functions")) {
        if (const toml::array* names = node->as_array()) {
            for (size_t i = 0; i < names->size(); ++i) {
                const std::string key = "routing.writing_functions[" + std::to_string(i) + "]";
                const toml::node& entry = (*names)[i];
                const auto name = entry.as_string();
                if (name == nullptr) {
                    v.fail(key, "must be a string, got " + typed_value_text(entry));
                } else if (!is_valid_function_name(name->get())) {
                    v.fail(key,
                           "must be a function name such as \"f\" or \"schema.f\" (letters, "
                           "digits, '_' and '$', with at most one '.' between schema and "
                           "name), got " +
                               quote(name->get()));
                } else {
                    r.writing_functions.push_back(name->get());
                }
            }
        } else {
            v.fail("routing.writing_functions",
                   "must be an array of strings such as [\"f\", \"schema.f\"], got " +
                       typed_value_text(*node));
        }
    }
    if (auto b = v.boolean(t, "routing", "retry_recovery_conflicts")) {
        r.retry_recovery_conflicts = *b;
    }
}

void read_databases(validator& v, const toml::node* node, config& cfg) {
    if (node == nullptr) return;
    const toml::table* databases = node->as_table();
    if (databases == nullptr) {
        v.fail("databases",
               "must be a table of tables ([databases.NAME]), got " + typed_value_text(*node));
        return;
    }
    // toml++ keeps a table's keys sorted; take the databases in file order.
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (auto&& [key, value] : *databases) {
        entries.emplace_back(&key, &value);
    }
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        const auto& x = a.first->source().begin;
        const auto& y = b.first->source().begin;
        return x.line != y.line ? x.line < y.line : x.column < y.column;
    });
    for (const auto& [key, value] : entries) {
        const std::string_view name = key->str();
        const std::string prefix = "databases." + format_key(name);
        const toml::table* t = value->as_table();
        if (t == nullptr) {
            v.fail(prefix, "must be a table ([" + prefix + "]), got " + typed_value_text(*value));
            continue;
        }
        if (name.empty()) {
            v.fail(prefix, "the database name must not be empty");
            continue;
        }
        v.reject_unknown_keys(*t, prefix,
                              {"routing", "pool_mode", "pool_size", "max_pinned_fraction"});
        database_config db;
        db.name = std::string(name);
        db.routing = v.choice(*t, prefix, "routing", &parse_routing_mode, routing_mode_choices);
        db.mode = v.choice(*t, prefix, "pool_mode", &parse_pool_mode, pool_mode_choices);
        if (auto n = v.integer(*t, prefix, "pool_size", 1, max_pool_size)) {
            db.pool_size = static_cast<std::uint32_t>(*n);
        }
        db.max_pinned_fraction = v.fraction(*t, prefix, "max_pinned_fraction");
        cfg.databases.push_back(std::move(db));
    }
}

void read_nodes(validator& v, const toml::node* node, const std::filesystem::path& base_dir,
                config& cfg) {
    const toml::array* nodes = node != nullptr ? node->as_array() : nullptr;
    if (node != nullptr && nodes == nullptr) {
        v.fail("nodes", "must be an array of tables ([[nodes]]), got " + typed_value_text(*node));
        return;
    }
    if (nodes == nullptr || nodes->empty()) {
        v.fail("nodes", "at least one [[nodes]] entry is required");
        return;
    }
    for (size_t i = 0; i < nodes->size(); ++i) {
        const std::string prefix = "nodes[" + std::to_string(i) + "]";
        const toml::table* t = (*nodes)[i].as_table();
        if (t == nullptr) {
            v.fail(prefix, "must be a table, got " + typed_value_text((*nodes)[i]));
            continue;
        }
        v.reject_unknown_keys(*t, prefix,
                              {"name", "host", "port", "max_lag_bytes", "max_lag_ms", "weight",
                               "server_tls", "server_tls_ca_file"});
        node_config n;
        bool complete = true;
        if (t->get("name") == nullptr) {
            v.fail(prefix + ".name", "required key is missing");
            complete = false;
        } else if (auto name = v.string(*t, prefix, "name")) {
            if (!is_valid_node_name(*name)) {
                v.fail(prefix + ".name",
                       "may contain only letters, digits, '_', '-' and '.', got " + quote(*name));
                complete = false;
            } else {
                n.name = *name;
            }
        } else {
            complete = false;
        }
        if (t->get("host") == nullptr) {
            v.fail(prefix + ".host", "required key is missing");
            complete = false;
        } else if (auto host = v.string(*t, prefix, "host")) {
            if (host->front() == '/') {
                v.fail(prefix + ".host",
                       "Unix-domain sockets are not supported, use a host name or IP address, "
                       "got " +
                           quote(*host));
                complete = false;
            } else if (!is_valid_host(*host)) {
                v.fail(prefix + ".host",
                       "must be one host name or IP address (no spaces or commas), got " +
                           quote(*host));
                complete = false;
            } else {
                n.host = *host;
            }
        } else {
            complete = false;
        }
        if (t->get("port") != nullptr) {
            if (auto p = v.integer(*t, prefix, "port", 1, 65535)) {
                n.port = static_cast<uint16_t>(*p);
            } else {
                complete = false;
            }
        }
        if (t->get("max_lag_bytes") != nullptr) {
            if (auto b = v.bytes(*t, prefix, "max_lag_bytes")) {
                n.max_lag_bytes = *b;
            } else {
                complete = false;
            }
        }
        if (t->get("max_lag_ms") != nullptr) {
            if (auto ms = v.integer(*t, prefix, "max_lag_ms", 0, max_lag_ms_limit)) {
                n.max_lag = std::chrono::milliseconds{*ms};
            } else {
                complete = false;
            }
        }
        if (t->get("weight") != nullptr) {
            if (auto w = v.integer(*t, prefix, "weight", 0, max_node_weight)) {
                n.weight = static_cast<unsigned>(*w);
            } else {
                complete = false;
            }
        }
        if (!complete) continue;
        for (const node_config& other : cfg.nodes) {
            if (other.name == n.name) {
                v.fail(prefix + ".name", "duplicate node name " + quote(n.name));
                complete = false;
                break;
            }
        }
        for (const node_config& other : cfg.nodes) {
            if (lower(other.host) == lower(n.host) && other.port == n.port) {
                v.fail(prefix, "same host and port as node " + quote(other.name));
                complete = false;
                break;
            }
        }
        if (t->get("server_tls") != nullptr) {
            if (auto m = v.choice(*t, prefix, "server_tls", &parse_server_tls_mode,
                                  server_tls_choices)) {
                n.server_tls = *m;
            } else {
                complete = false;
            }
        }
        if (t->get("server_tls_ca_file") != nullptr) {
            if (auto text = v.string(*t, prefix, "server_tls_ca_file")) {
                n.server_ca = resolve_path(*text, base_dir);
            } else {
                complete = false;
            }
        }
        if (complete) cfg.nodes.push_back(std::move(n));
    }
}

bool verifies(server_tls_mode mode) {
    return mode == server_tls_mode::verify_ca || mode == server_tls_mode::verify_full;
}

// verify-ca and verify-full need a CA to verify with: said once for [tls], once per node that
// sets its own mode.
void check_server_tls(validator& v, const config& cfg) {
    const tls_config& tls = cfg.tls;
    const std::string global_why = " (server_tls = " + quote(to_string(tls.server_mode)) + ")";
    if (verifies(tls.server_mode) && tls.server_ca_file.empty()) {
        v.fail("tls.server_tls_ca_file", "required key is missing" + global_why);
    }
    for (std::size_t i = 0; i < cfg.nodes.size(); ++i) {
        const node_config& n = cfg.nodes[i];
        const server_tls_settings s = cfg.server_tls_for(i);
        if (n.server_tls && verifies(s.mode) && s.ca_file.empty()) {
            v.fail("nodes[" + std::to_string(i) + "].server_tls_ca_file",
                   "required key is missing (server_tls = " + quote(to_string(s.mode)) + ")");
        }
    }
}

config_result validate(const toml::table& root, const std::filesystem::path& base_dir,
                       const document_options& options) {
    validator v;
    config cfg;
    for (auto&& [key, node] : root) {
        const std::string_view k = key.str();
        if (k == "general" || k == "listen" || k == "auth" || k == "health" || k == "pool" ||
            k == "routing" || k == "admin" || k == "http" || k == "tls" || k == "databases" ||
            k == "nodes") {
            continue;
        }
        v.fail(format_key(k),
               node.is_table() || node.is_array_of_tables() ? "unknown section" : "unknown key");
    }
    if (auto t = v.section(root, "general")) read_general(v, *t, cfg);
    if (auto t = v.section(root, "listen")) read_listen(v, *t, cfg);
    // A missing [auth] is reported as a missing users_file; a mistyped one only as such.
    if (auto t = v.section(root, "auth"); t != nullptr || root.get("auth") == nullptr) {
        read_auth(v, t, base_dir, options.users_file_required, cfg);
    }
    if (auto t = v.section(root, "health")) read_health(v, *t, cfg);
    if (auto t = v.section(root, "pool")) read_pool(v, *t, cfg);
    if (auto t = v.section(root, "routing")) read_routing(v, *t, cfg);
    if (auto t = v.section(root, "admin")) read_admin(v, *t, cfg);
    if (auto t = v.section(root, "http")) read_http(v, *t, cfg);
    if (auto t = v.section(root, "tls")) read_tls(v, *t, base_dir, cfg);
    read_databases(v, root.get("databases"), cfg);
    read_nodes(v, root.get("nodes"), base_dir, cfg);
    check_server_tls(v, cfg);

    if (v.failed()) return {std::nullopt, v.take_errors()};
    if (cfg.workers == 0) cfg.workers = std::max(1U, std::thread::hardware_concurrency());
    return {std::move(cfg), {}};
}

const database_config* find_database(const std::vector<database_config>& databases,
                                     std::string_view name) {
    for (const database_config& db : databases) {
        if (db.name == name) return &db;
    }
    return nullptr;
}

std::string prefix_lines(std::string_view prefix, std::string_view text) {
    std::string out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        if (!out.empty()) out += '\n';
        out += prefix;
        out += text.substr(start, end - start);
        start = end + 1;
    }
    return out;
}

}  // namespace

routing_mode config::routing_for(std::string_view database) const {
    const database_config* db = find_database(databases, database);
    return db != nullptr && db->routing ? *db->routing : routing.mode;
}

pool_mode config::pool_mode_for(std::string_view database) const {
    const database_config* db = find_database(databases, database);
    return db != nullptr && db->mode ? *db->mode : pool.mode;
}

std::optional<std::size_t> config::node_index(std::string_view name) const {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (!nodes[i].retired && nodes[i].name == name) return i;
    }
    return std::nullopt;
}

std::string config::node_names() const {
    std::string names;
    for (const auto& n : nodes) {
        if (!n.retired) names += (names.empty() ? "" : ", ") + n.name;
    }
    return names;
}

std::uint32_t config::pool_size_for(std::string_view database) const {
    const database_config* db = find_database(databases, database);
    return db != nullptr && db->pool_size ? *db->pool_size : pool.size;
}

server_tls_settings config::server_tls_for(std::size_t node) const {
    const node_config& n = nodes.at(node);
    return {n.server_tls.value_or(tls.server_mode), n.server_ca.value_or(tls.server_ca_file)};
}

double config::max_pinned_fraction_for(std::string_view database) const {
    const database_config* db = find_database(databases, database);
    return db != nullptr && db->max_pinned_fraction ? *db->max_pinned_fraction
                                                    : pool.max_pinned_fraction;
}

std::uint32_t config::max_pinned_for(std::string_view database) const {
    return static_cast<std::uint32_t>(std::floor(
        max_pinned_fraction_for(database) * static_cast<double>(pool_size_for(database)) + 1e-9));
}

std::string format_fraction(double value) {
    return format_double(value);
}

std::optional<toml::table> parse_config_document(std::string_view toml_text, std::string& error) {
    try {
        return toml::parse(toml_text, std::string_view{});
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        error = "line " + std::to_string(where.line) + ", column " + std::to_string(where.column) +
                ": " + std::string(e.description());
        return std::nullopt;
    }
}

config_result validate_config_document(const toml::table& root,
                                       const std::filesystem::path& base_dir,
                                       const document_options& options) {
    return validate(root, base_dir, options);
}

config_result parse_config(std::string_view toml_text, const std::filesystem::path& base_dir) {
    std::string error;
    auto root = parse_config_document(toml_text, error);
    if (!root) return {std::nullopt, std::move(error)};
    return validate(*root, base_dir, {});
}

config_result load_config_file(const std::filesystem::path& path) {
    const std::string name = path.string();
    auto file = read_text_file(path);
    if (!file.text) return {std::nullopt, std::move(file.error)};
    const std::string& text = *file.text;
    std::error_code ec;

    std::filesystem::path dir = std::filesystem::absolute(path, ec).parent_path();
    if (ec) dir = path.parent_path();
    config_result result = parse_config(text, dir);
    if (!result.ok()) result.error = prefix_lines(name + ": ", result.error);
    return result;
}

std::string to_string(auth_method method) {
    switch (method) {
        case auth_method::trust:
            return "trust";
        case auth_method::md5:
            return "md5";
        case auth_method::scram_sha_256:
            return "scram-sha-256";
    }
    return "unknown";
}

std::optional<auth_method> parse_auth_method(std::string_view text) {
    if (text == "trust") return auth_method::trust;
    if (text == "md5") return auth_method::md5;
    if (text == "scram-sha-256") return auth_method::scram_sha_256;
    return std::nullopt;
}

std::string to_string(log_level level) {
    switch (level) {
        case log_level::debug:
            return "debug";
        case log_level::info:
            return "info";
        case log_level::warning:
            return "warning";
        case log_level::error:
            return "error";
    }
    return "unknown";
}

std::optional<log_level> parse_log_level(std::string_view text) {
    if (text == "debug") return log_level::debug;
    if (text == "info") return log_level::info;
    if (text == "warning") return log_level::warning;
    if (text == "error") return log_level::error;
    return std::nullopt;
}

std::string to_string(log_format format) {
    switch (format) {
        case log_format::logfmt:
            return "logfmt";
        case log_format::json:
            return "json";
    }
    return "unknown";
}

std::string to_string(client_tls_mode mode) {
    switch (mode) {
        case client_tls_mode::disable:
            return "disable";
        case client_tls_mode::allow:
            return "allow";
        case client_tls_mode::require:
            return "require";
    }
    return "disable";
}

std::optional<client_tls_mode> parse_client_tls_mode(std::string_view text) {
    if (text == "disable") return client_tls_mode::disable;
    if (text == "allow") return client_tls_mode::allow;
    if (text == "require") return client_tls_mode::require;
    return std::nullopt;
}

std::string to_string(server_tls_mode mode) {
    switch (mode) {
        case server_tls_mode::disable:
            return "disable";
        case server_tls_mode::prefer:
            return "prefer";
        case server_tls_mode::require:
            return "require";
        case server_tls_mode::verify_ca:
            return "verify-ca";
        case server_tls_mode::verify_full:
            return "verify-full";
    }
    return "disable";
}

std::optional<server_tls_mode> parse_server_tls_mode(std::string_view text) {
    if (text == "disable") return server_tls_mode::disable;
    if (text == "prefer") return server_tls_mode::prefer;
    if (text == "require") return server_tls_mode::require;
    if (text == "verify-ca") return server_tls_mode::verify_ca;
    if (text == "verify-full") return server_tls_mode::verify_full;
    return std::nullopt;
}

std::optional<log_format> parse_log_format(std::string_view text) {
    if (text == "logfmt") return log_format::logfmt;
    if (text == "json") return log_format::json;
    return std::nullopt;
}

std::string describe(const config& cfg) {
    std::string out;
    auto line = [&out](std::string_view key, std::string_view value) {
        out += key;
        out += " = ";
        out += value;
        out += '\n';
    };
    line("general.workers", std::to_string(cfg.workers));
    line("general.max_client_conn", std::to_string(cfg.max_client_conn));
    line("general.client_login_timeout", format_seconds(cfg.client_login_timeout));
    line("general.client_idle_timeout", format_seconds(cfg.client_idle_timeout));
    line("general.server_connect_timeout", format_seconds(cfg.server_connect_timeout));
    line("general.log_level", quote(to_string(cfg.level)));
    line("general.shutdown_timeout", format_seconds(cfg.shutdown_timeout));
    line("general.log_format", quote(to_string(cfg.log_output)));
    line("listen.address", quote(cfg.listen_address));
    line("listen.port", std::to_string(cfg.listen_port));
    line("listen.reuse_port", cfg.listen_reuse_port ? "true" : "false");
    line("admin.address", quote(cfg.admin.address));
    line("admin.port", std::to_string(cfg.admin.port));
    line("admin.users", format_string_array(cfg.admin.users));
    line("http.address", quote(cfg.http.address));
    line("http.port", std::to_string(cfg.http.port));
    line("http.ready_without_primary", cfg.http.ready_without_primary ? "true" : "false");
    line("auth.method", quote(to_string(cfg.auth)));
    if (!cfg.users_file.empty()) line("auth.users_file", quote(cfg.users_file.string()));
    line("tls.client_tls", quote(to_string(cfg.tls.client_mode)));
    auto file_line = [&line](std::string_view key, const std::filesystem::path& p) {
        if (!p.empty()) line(key, quote(p.string()));
    };
    file_line("tls.client_tls_cert_file", cfg.tls.client_cert_file);
    file_line("tls.client_tls_key_file", cfg.tls.client_key_file);
    file_line("tls.client_tls_ca_file", cfg.tls.client_ca_file);
    line("tls.server_tls", quote(to_string(cfg.tls.server_mode)));
    file_line("tls.server_tls_ca_file", cfg.tls.server_ca_file);
    const health_config& h = cfg.health;
    line("health.interval", format_seconds(h.interval));
    line("health.connect_timeout", format_seconds(h.connect_timeout));
    line("health.query_timeout", format_seconds(h.query_timeout));
    line("health.rise", std::to_string(h.rise));
    line("health.fall", std::to_string(h.fall));
    line("health.max_lag_bytes", std::to_string(h.max_lag_bytes));
    line("health.max_lag_ms", std::to_string(h.max_lag.count()));
    line("health.user", quote(h.user));
    if (!h.password.empty()) line("health.password", quote("********"));  // never the secret
    line("health.dbname", quote(h.dbname));
    const pool_config& p = cfg.pool;
    line("pool.pool_mode", quote(to_string(p.mode)));
    line("pool.default_pool_size", std::to_string(p.size));
    line("pool.min_pool_size", std::to_string(p.min_size));
    line("pool.server_idle_timeout", format_seconds(p.server_idle_timeout));
    line("pool.server_lifetime", format_seconds(p.server_lifetime));
    line("pool.query_wait_timeout", format_seconds(p.query_wait_timeout));
    line("pool.primary_wait_timeout", format_seconds(p.primary_wait_timeout));
    line("pool.max_pinned_fraction", format_double(p.max_pinned_fraction));
    const routing_config& r = cfg.routing;
    line("routing.mode", quote(to_string(r.mode)));
    line("routing.primary_reads", quote(to_string(r.primary_reads_policy)));
    line("routing.balance", quote(to_string(r.balance)));
    line("routing.writing_functions", format_string_array(r.writing_functions));
    line("routing.retry_recovery_conflicts", r.retry_recovery_conflicts ? "true" : "false");
    for (const database_config& db : cfg.databases) {
        const std::string prefix = "databases." + format_key(db.name);
        if (db.routing) line(prefix + ".routing", quote(to_string(*db.routing)));
        if (db.mode) line(prefix + ".pool_mode", quote(to_string(*db.mode)));
        if (db.pool_size) line(prefix + ".pool_size", std::to_string(*db.pool_size));
        if (db.max_pinned_fraction)
            line(prefix + ".max_pinned_fraction", format_double(*db.max_pinned_fraction));
    }
    for (size_t i = 0; i < cfg.nodes.size(); ++i) {
        const node_config& n = cfg.nodes[i];
        if (n.retired) continue;
        const std::string prefix = "nodes[" + std::to_string(i) + "]";
        line(prefix + ".name", quote(n.name));
        line(prefix + ".host", quote(n.host));
        line(prefix + ".port", std::to_string(n.port));
        line(prefix + ".weight", std::to_string(n.weight));
        if (n.max_lag_bytes) line(prefix + ".max_lag_bytes", std::to_string(*n.max_lag_bytes));
        if (n.max_lag) line(prefix + ".max_lag_ms", std::to_string(n.max_lag->count()));
        if (n.server_tls) line(prefix + ".server_tls", quote(to_string(*n.server_tls)));
        if (n.server_ca) line(prefix + ".server_tls_ca_file", quote(n.server_ca->string()));
    }
    return out;
}

std::string seconds_text(std::chrono::milliseconds ms) {
    return format_seconds(ms);
}

}  // namespace pgrelay::proxy
