// The result-set builder and text forms; see result_set.hpp. Message layouts from PostgreSQL
// docs 55.7 "Message Formats": RowDescription 'T', DataRow 'D', CommandComplete 'C',
// EmptyQueryResponse 'I'.
#include "protocol/result_set.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "protocol/extended_query.hpp"

namespace pgrelay::protocol {

std::int16_t type_size(pg_type type) {
    switch (type) {
        case pg_type::boolean:
            return 1;
        case pg_type::int4:
            return 4;
        case pg_type::int8:
        case pg_type::float8:
        case pg_type::timestamptz:
            return 8;
        case pg_type::text:
            return -1;
    }
    return -1;
}

void write_result_set(bytes& out, const result_set& rs) {
    const std::size_t width = rs.columns.size();
    if (width > 0) {
        message_writer t(out, be::row_description);
        t.i16(static_cast<std::int16_t>(width));
        for (const column& c : rs.columns) {
            t.cstring(c.name)
                .i32(0)  // table OID: not a table column
                .i16(0)  // attribute number
                .i32(static_cast<std::int32_t>(c.type_oid))
                .i16(type_size(c.type_oid))
                .i32(-1)  // type modifier
                .i16(0);  // format: text
        }
        t.finish();
        for (const auto& row : rs.rows) {
            message_writer d(out, be::data_row);
            d.i16(static_cast<std::int16_t>(width));
            for (std::size_t i = 0; i < width; ++i) {
                if (i < row.size() && row[i]) {
                    d.i32(static_cast<std::int32_t>(row[i]->size())).raw(*row[i]);
                } else {
                    d.i32(-1);  // NULL
                }
            }
        }
    }
    write_command_complete(out, rs.command_tag);
}

void write_empty_query_response(bytes& out) {
    message_writer(out, be::empty_query);
}

std::string bool_text(bool v) {
    return v ? "t" : "f";
}

std::string float8_text(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
    // float8out (utils/adt/float.c, common/d2s.c): the shortest exact digits, in fixed
    // notation for decimal exponents -4..14, otherwise as 1.5e+20 / 1e-05.
    const double magnitude = std::fabs(v);
    const bool fixed = v == 0 || (magnitude >= 1e-4 && magnitude < 1e15);
    char buf[400];  // fixed notation of a value below 1e15 with up to 17 digits after 1e-4
    auto [end, ec] = std::to_chars(
        buf, buf + sizeof buf, v, fixed ? std::chars_format::fixed : std::chars_format::scientific);
    if (ec != std::errc{}) return "NaN";  // cannot happen: the buffer holds every case
    return std::string(buf, end);
}

std::string timestamptz_text(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
    auto secs = us / 1'000'000;
    auto frac = us % 1'000'000;
    if (frac < 0) {  // before 1970: floor, not truncate
        frac += 1'000'000;
        --secs;
    }
    const std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
                          tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    std::string out(buf, static_cast<std::size_t>(n));
    if (frac != 0) {
        // PostgreSQL prints the fraction without trailing zeros.
        std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
        std::string f(buf);
        while (f.back() == '0') {
            f.pop_back();
        }
        out += f;
    }
    out += "+00";
    return out;
}

}  // namespace pgrelay::protocol
