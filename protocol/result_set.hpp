// A result set pgrelay answers itself (the admin console's SHOW commands and the like): its
// columns, rows in text format and command tag, and the builder that writes it as
// RowDescription, DataRow per row and CommandComplete (PostgreSQL docs 55.7). Also the text
// forms PostgreSQL gives its types, so drivers parse our cells like a server's. No I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/byte_io.hpp"

namespace pgrelay::protocol {

// The type OIDs of pg_type that our result sets use (src/include/catalog/pg_type.dat).
enum class pg_type : std::uint32_t {
    boolean = 16,
    int8 = 20,
    int4 = 23,
    text = 25,
    float8 = 701,
    timestamptz = 1184,
};

// pg_type.typlen: the fixed size of a value, -1 for variable-length types.
std::int16_t type_size(pg_type type);

struct column {
    std::string name;
    pg_type type_oid = pg_type::text;

    friend bool operator==(const column&, const column&) = default;
};

// One cell: its text form, or NULL.
using cell = std::optional<std::string>;

struct result_set {
    std::vector<column> columns;  // empty: a command without rows (PAUSE); only the tag is sent
    std::vector<std::vector<cell>> rows;
    std::string command_tag = "SHOW";  // what PostgreSQL and PgBouncer send for SHOW

    friend bool operator==(const result_set&, const result_set&) = default;
};

// Appends RowDescription (all columns in text format, no table), one DataRow per row and
// CommandComplete; with no columns, CommandComplete alone. A row shorter than the columns is
// padded with NULLs and a longer one cut, so the client always gets well-formed rows.
// ReadyForQuery is the caller's: it ends the whole Query, not one result.
void write_result_set(bytes& out, const result_set& rs);

// EmptyQueryResponse: the answer to a Query string holding no statement.
void write_empty_query_response(bytes& out);

// Text forms as PostgreSQL's output functions write them (DateStyle ISO, TimeZone UTC,
// extra_float_digits 1: shortest exact float).
std::string bool_text(bool v);      // "t", "f"
std::string float8_text(double v);  // "0.5", "1e+100", "NaN", "Infinity"
std::string timestamptz_text(
    std::chrono::system_clock::time_point t);  // "2024-01-02 03:04:05.123456+00"

}  // namespace pgrelay::protocol
