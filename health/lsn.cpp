// pg_lsn text form and arithmetic; see lsn.hpp.
#include "health/lsn.hpp"

#include <cstdio>

namespace pgrelay::health {

namespace {
std::optional<std::uint32_t> parse_hex32(std::string_view s) {
    if (s.empty() || s.size() > 8) return std::nullopt;
    std::uint32_t v = 0;
    for (char c : s) {
        std::uint32_t d;
        if (c >= '0' && c <= '9')
            d = static_cast<std::uint32_t>(c - '0');
        else if (c >= 'A' && c <= 'F')
            d = static_cast<std::uint32_t>(c - 'A' + 10);
        else if (c >= 'a' && c <= 'f')
            d = static_cast<std::uint32_t>(c - 'a' + 10);
        else
            return std::nullopt;
        v = (v << 4) | d;
    }
    return v;
}
}  // namespace

std::optional<lsn> parse_lsn(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto hi = parse_hex32(text.substr(0, slash));
    auto lo = parse_hex32(text.substr(slash + 1));
    if (!hi || !lo) return std::nullopt;
    return lsn{(std::uint64_t{*hi} << 32) | *lo};
}

std::string format_lsn(lsn l) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(l.value >> 32),
                  static_cast<unsigned>(l.value & 0xffffffffu));
    return buf;
}

std::uint64_t bytes_behind(lsn to, lsn from) {
    return to.value > from.value ? to.value - from.value : 0;
}

}  // namespace pgrelay::health
