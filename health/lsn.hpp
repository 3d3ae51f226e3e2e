// WAL positions (pg_lsn): parsing PostgreSQL's "X/Y" text form, formatting, and the byte
// distance between two positions, as pg_wal_lsn_diff computes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgrelay::health {

struct lsn {
    std::uint64_t value = 0;
    friend auto operator<=>(const lsn&, const lsn&) = default;
};

// "16/B374D848" -> lsn; nothing for anything else (empty, missing slash, non-hex, > 8 digits).
std::optional<lsn> parse_lsn(std::string_view text);
std::string format_lsn(lsn l);
// Bytes from `from` up to `to`; zero when `from` is already at or past `to`.
std::uint64_t bytes_behind(lsn to, lsn from);

}  // namespace pgrelay::health
