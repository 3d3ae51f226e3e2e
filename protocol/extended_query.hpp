// Views and builders for the extended-query messages pgrelay looks into or writes itself
// (PostgreSQL docs 55.7): Parse, Bind, Describe, Close, Execute, Sync, and the small
// backend replies it answers locally (ParseComplete, CloseComplete, CommandComplete).
// Views point into the message body; a malformed body gives nothing, never a throw.
#pragma once

#include <optional>
#include <string_view>

#include "protocol/byte_io.hpp"

namespace pgrelay::protocol {

namespace fe {
inline constexpr char parse = 'P';
inline constexpr char bind = 'B';
inline constexpr char describe = 'D';
inline constexpr char execute = 'E';
inline constexpr char close = 'C';
inline constexpr char flush = 'H';
inline constexpr char function_call = 'F';
inline constexpr char copy_data = 'd';
inline constexpr char copy_done = 'c';
inline constexpr char copy_fail = 'f';
}  // namespace fe

namespace be {
inline constexpr char parse_complete = '1';
inline constexpr char bind_complete = '2';
inline constexpr char close_complete = '3';
inline constexpr char command_complete = 'C';
inline constexpr char data_row = 'D';
inline constexpr char row_description = 'T';
inline constexpr char no_data = 'n';
inline constexpr char empty_query = 'I';
inline constexpr char portal_suspended = 's';
inline constexpr char notification_response = 'A';
}  // namespace be

struct parse_view {
    std::string_view name;  // statement name; empty for the unnamed statement
    std::string_view query;
    byte_view parameter_types;  // Int16 count and the Int32 OIDs, as sent
};
std::optional<parse_view> parse_parse(byte_view body);

// The head of a Bind: the portal and statement names; the rest (formats, values) as is.
struct bind_view {
    std::string_view portal;
    std::string_view statement;
    std::size_t rest_offset = 0;  // where the parameter formats start in the body
};
std::optional<bind_view> parse_bind_head(byte_view body);

// Describe and Close: 'S' (statement) or 'P' (portal) and the name.
struct target_view {
    char kind = 'S';
    std::string_view name;
};
std::optional<target_view> parse_target(byte_view body);

// Execute: the portal name.
std::optional<std::string_view> parse_execute(byte_view body);

void write_parse(bytes& out, std::string_view name, std::string_view query,
                 byte_view parameter_types);
// The Bind header (type, length, portal, statement) for a Bind whose body, after the
// statement name, is `rest_size` bytes; the caller appends those bytes.
void write_bind_head(bytes& out, std::string_view portal, std::string_view statement,
                     std::size_t rest_size);
// A Bind of a statement that takes no parameters, results in text.
void write_bind_without_parameters(bytes& out, std::string_view portal, std::string_view statement);
void write_execute(bytes& out, std::string_view portal, std::int32_t max_rows);
void write_describe(bytes& out, char kind, std::string_view name);
void write_close(bytes& out, char kind, std::string_view name);
void write_sync(bytes& out);
void write_parse_complete(bytes& out);
void write_close_complete(bytes& out);
void write_command_complete(bytes& out, std::string_view tag);

// The tag of a CommandComplete body ("SELECT 1", "COMMIT").
std::optional<std::string_view> parse_command_complete(byte_view body);

}  // namespace pgrelay::protocol
