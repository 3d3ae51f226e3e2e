// Startup-phase packets: framing, parsing and building; see startup.hpp.
#include "protocol/startup.hpp"

#include "protocol/sqlstate.hpp"

namespace pgrelay::protocol {

startup_frame scan_startup_packet(byte_view input) {
    startup_frame f;
    if (input.size() < 4) return f;
    const std::uint32_t len = load_be32(input.data());
    if (len < 8 || len > max_startup_packet_length) {
        f.status = startup_frame_status::bad_length;
        return f;
    }
    if (input.size() < len) return f;
    f.status = startup_frame_status::packet;
    f.raw = input.first(len);
    return f;
}

const std::string* startup_message::parameter(std::string_view name) const {
    for (const auto& [k, v] : parameters)
        if (k == name) return &v;
    return nullptr;
}

namespace {

startup_parse_result fail(std::string_view code, std::string message) {
    startup_parse_result r;
    r.error = {code, std::move(message)};
    return r;
}

}  // namespace

startup_parse_result parse_startup_packet(byte_view raw) {
    if (raw.size() < 8)
        return fail(sqlstate::protocol_violation, "invalid length of startup packet");
    byte_reader r(raw.subspan(4));
    const auto code = r.i32();
    startup_parse_result result;
    startup_packet p;

    if (code == ssl_request_code || code == gssenc_request_code) {
        if (!r.at_end())
            return fail(sqlstate::protocol_violation, "invalid length of startup packet");
        p.kind =
            code == ssl_request_code ? startup_kind::ssl_request : startup_kind::gssenc_request;
        result.packet = std::move(p);
        return result;
    }
    if (code == cancel_request_code) {
        p.kind = startup_kind::cancel;
        p.cancel.process_id = r.i32();
        p.cancel.secret_key = r.i32();
        if (r.failed() || !r.at_end())
            return fail(sqlstate::protocol_violation, "invalid length of cancel request");
        result.packet = std::move(p);
        return result;
    }

    auto& m = p.startup;
    m.major = static_cast<std::uint16_t>(static_cast<std::uint32_t>(code) >> 16);
    m.minor = static_cast<std::uint16_t>(code & 0xffff);
    if (m.major != protocol_major) {
        return fail(sqlstate::feature_not_supported,
                    "unsupported frontend protocol " + std::to_string(m.major) + "." +
                        std::to_string(m.minor) + ": server supports 3.0 to 3.0");
    }
    // PostgreSQL docs 55.7: name/value String pairs, ended by an empty name, which must be
    // the last byte of the packet.
    const auto bad_layout = [] {
        return fail(sqlstate::protocol_violation,
                    "invalid startup packet layout: expected terminator as last byte");
    };
    bool have_database = false;
    while (true) {
        std::string name(r.cstring());
        if (r.failed()) return bad_layout();
        if (name.empty()) break;
        std::string value(r.cstring());
        if (r.failed()) return bad_layout();
        if (name == "user") {
            m.user = std::move(value);
        } else if (name == "database") {
            m.database = std::move(value);
            have_database = true;
        } else if (name.starts_with("_pq_.")) {
            m.unknown_protocol_options.push_back(std::move(name));
        } else {
            m.parameters.emplace_back(std::move(name), std::move(value));
        }
    }
    if (!r.at_end()) return bad_layout();
    if (m.user.empty()) {
        return fail(sqlstate::invalid_authorization_specification,
                    "no PostgreSQL user name specified in startup packet");
    }
    if (!have_database || m.database.empty()) m.database = m.user;
    result.packet = std::move(p);
    return result;
}

void write_startup_message(bytes& out,
                           const std::vector<std::pair<std::string, std::string>>& params) {
    message_writer w(out, 0);
    w.i32(static_cast<std::int32_t>((std::uint32_t{protocol_major} << 16) |
                                    protocol_minor_supported));
    for (const auto& [k, v] : params)
        w.cstring(k).cstring(v);
    w.u8(0);
}

void write_cancel_request(bytes& out, cancel_request key) {
    message_writer w(out, 0);
    w.i32(cancel_request_code).i32(key.process_id).i32(key.secret_key);
}

void write_ssl_request(bytes& out) {
    message_writer w(out, 0);
    w.i32(ssl_request_code);
}

void write_negotiate_protocol_version(bytes& out, std::int32_t newest_minor,
                                      const std::vector<std::string>& unknown_options) {
    message_writer w(out, 'v');
    w.i32(newest_minor).i32(static_cast<std::int32_t>(unknown_options.size()));
    for (const auto& o : unknown_options)
        w.cstring(o);
}

}  // namespace pgrelay::protocol
