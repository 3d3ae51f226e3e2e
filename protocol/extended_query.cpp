// Extended-query message views and builders; see extended_query.hpp.
#include "protocol/extended_query.hpp"

#include "protocol/messages.hpp"

namespace pgrelay::protocol {

std::optional<parse_view> parse_parse(byte_view body) {
    byte_reader r(body);
    parse_view v;
    v.name = r.cstring();
    v.query = r.cstring();
    v.parameter_types = r.rest();
    if (r.failed() || v.parameter_types.size() < 2) return std::nullopt;
    const auto count = load_be16(v.parameter_types.data());
    if (v.parameter_types.size() != 2 + std::size_t{count} * 4) return std::nullopt;
    return v;
}

std::optional<bind_view> parse_bind_head(byte_view body) {
    byte_reader r(body);
    bind_view v;
    v.portal = r.cstring();
    v.statement = r.cstring();
    if (r.failed()) return std::nullopt;
    v.rest_offset = body.size() - r.remaining();
    return v;
}

std::optional<target_view> parse_target(byte_view body) {
    byte_reader r(body);
    target_view v;
    v.kind = static_cast<char>(r.u8());
    v.name = r.cstring();
    if (r.failed() || !r.at_end() || (v.kind != 'S' && v.kind != 'P')) return std::nullopt;
    return v;
}

std::optional<std::string_view> parse_execute(byte_view body) {
    byte_reader r(body);
    auto portal = r.cstring();
    r.i32();
    if (r.failed() || !r.at_end()) return std::nullopt;
    return portal;
}

void write_parse(bytes& out, std::string_view name, std::string_view query,
                 byte_view parameter_types) {
    message_writer w(out, fe::parse);
    w.cstring(name).cstring(query).raw(parameter_types);
}

void write_bind_without_parameters(bytes& out, std::string_view portal,
                                   std::string_view statement) {
    message_writer w(out, fe::bind);
    w.cstring(portal).cstring(statement).i16(0).i16(0).i16(0);
}

void write_execute(bytes& out, std::string_view portal, std::int32_t max_rows) {
    message_writer w(out, fe::execute);
    w.cstring(portal).i32(max_rows);
}

void write_bind_head(bytes& out, std::string_view portal, std::string_view statement,
                     std::size_t rest_size) {
    out.push_back(static_cast<std::uint8_t>(fe::bind));
    const std::size_t length = 4 + portal.size() + 1 + statement.size() + 1 + rest_size;
    std::uint8_t len[4];
    store_be32(len, static_cast<std::uint32_t>(length));
    out.insert(out.end(), len, len + 4);
    out.insert(out.end(), portal.begin(), portal.end());
    out.push_back(0);
    out.insert(out.end(), statement.begin(), statement.end());
    out.push_back(0);
}

void write_describe(bytes& out, char kind, std::string_view name) {
    message_writer(out, fe::describe).u8(static_cast<std::uint8_t>(kind)).cstring(name);
}

void write_close(bytes& out, char kind, std::string_view name) {
    message_writer(out, fe::close).u8(static_cast<std::uint8_t>(kind)).cstring(name);
}

void write_sync(bytes& out) {
    message_writer(out, fe::sync);
}

void write_parse_complete(bytes& out) {
    message_writer(out, be::parse_complete);
}

void write_close_complete(bytes& out) {
    message_writer(out, be::close_complete);
}

void write_command_complete(bytes& out, std::string_view tag) {
    message_writer(out, be::command_complete).cstring(tag);
}

std::optional<std::string_view> parse_command_complete(byte_view body) {
    byte_reader r(body);
    auto tag = r.cstring();
    if (r.failed()) return std::nullopt;
    return tag;
}

}  // namespace pgrelay::protocol
