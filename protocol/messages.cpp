// Message views and builders; see messages.hpp.
#include "protocol/messages.hpp"

namespace pgrelay::protocol {

std::optional<auth_request> parse_auth_request(byte_view body) {
    byte_reader r(body);
    auth_request a;
    a.code = static_cast<auth_code>(r.i32());
    if (r.failed()) return std::nullopt;
    switch (a.code) {
        case auth_code::md5_password: {
            auto salt = r.take(4);
            if (r.failed()) return std::nullopt;
            std::copy(salt.begin(), salt.end(), a.md5_salt.begin());
            break;
        }
        case auth_code::sasl:
            // Mechanism names, ended by an empty one.
            while (true) {
                auto m = r.cstring();
                if (r.failed()) return std::nullopt;
                if (m.empty()) break;
                a.mechanisms.emplace_back(m);
            }
            if (!r.at_end()) return std::nullopt;
            break;
        case auth_code::sasl_continue:
        case auth_code::sasl_final:
            a.data = std::string(as_chars(r.rest()));
            break;
        default:
            break;
    }
    return a;
}

std::optional<parameter_status> parse_parameter_status(byte_view body) {
    byte_reader r(body);
    parameter_status p;
    p.name = r.cstring();
    p.value = r.cstring();
    if (r.failed() || !r.at_end()) return std::nullopt;
    return p;
}

std::optional<backend_key> parse_backend_key_data(byte_view body) {
    byte_reader r(body);
    backend_key k;
    k.process_id = r.i32();
    k.secret_key = r.i32();
    if (r.failed() || !r.at_end()) return std::nullopt;
    return k;
}

std::optional<error_fields> parse_error_fields(byte_view body) {
    byte_reader r(body);
    error_fields e;
    while (true) {
        auto code = r.u8();
        if (r.failed()) return std::nullopt;
        if (code == 0) {
            if (!r.at_end()) return std::nullopt;
            break;
        }
        auto value = r.cstring();
        if (r.failed()) return std::nullopt;
        switch (code) {
            case 'S':
                if (e.severity.empty()) e.severity = value;
                break;
            case 'V':
                e.severity = value;
                break;
            case 'C':
                e.sqlstate = value;
                break;
            case 'M':
                e.message = value;
                break;
            case 'D':
                e.detail = value;
                break;
            case 'H':
                e.hint = value;
                break;
            default:
                break;
        }
    }
    return e;
}

std::optional<sasl_initial_response> parse_sasl_initial_response(byte_view body) {
    byte_reader r(body);
    sasl_initial_response s;
    s.mechanism = r.cstring();
    auto len = r.i32();
    if (r.failed() || len < -1) return std::nullopt;
    if (len >= 0) {
        s.data = as_chars(r.take(static_cast<std::size_t>(len)));
        if (r.failed()) return std::nullopt;
    }
    if (!r.at_end()) return std::nullopt;
    return s;
}

std::optional<std::string_view> parse_password_message(byte_view body) {
    byte_reader r(body);
    auto s = r.cstring();
    if (r.failed() || !r.at_end()) return std::nullopt;
    return s;
}

namespace {
void write_auth(bytes& out, auth_code code) {
    message_writer(out, be::authentication).i32(static_cast<std::int32_t>(code));
}
}  // namespace

void write_auth_ok(bytes& out) {
    write_auth(out, auth_code::ok);
}
void write_auth_cleartext(bytes& out) {
    write_auth(out, auth_code::cleartext_password);
}

void write_auth_md5(bytes& out, std::array<std::uint8_t, 4> salt) {
    message_writer(out, be::authentication)
        .i32(static_cast<std::int32_t>(auth_code::md5_password))
        .raw(byte_view(salt));
}

void write_auth_sasl(bytes& out, const std::vector<std::string_view>& mechanisms) {
    message_writer w(out, be::authentication);
    w.i32(static_cast<std::int32_t>(auth_code::sasl));
    for (auto m : mechanisms)
        w.cstring(m);
    w.u8(0);
}

void write_auth_sasl_continue(bytes& out, std::string_view data) {
    message_writer(out, be::authentication)
        .i32(static_cast<std::int32_t>(auth_code::sasl_continue))
        .raw(data);
}

void write_auth_sasl_final(bytes& out, std::string_view data) {
    message_writer(out, be::authentication)
        .i32(static_cast<std::int32_t>(auth_code::sasl_final))
        .raw(data);
}

void write_parameter_status(bytes& out, std::string_view name, std::string_view value) {
    message_writer(out, be::parameter_status).cstring(name).cstring(value);
}

void write_backend_key_data(bytes& out, backend_key key) {
    message_writer(out, be::backend_key_data).i32(key.process_id).i32(key.secret_key);
}

void write_ready_for_query(bytes& out, char status) {
    message_writer(out, be::ready_for_query).u8(static_cast<std::uint8_t>(status));
}

void write_password_message(bytes& out, std::string_view password) {
    message_writer(out, fe::password).cstring(password);
}

void write_sasl_initial_response(bytes& out, std::string_view mechanism, std::string_view data) {
    message_writer(out, fe::password)
        .cstring(mechanism)
        .i32(static_cast<std::int32_t>(data.size()))
        .raw(data);
}

void write_sasl_response(bytes& out, std::string_view data) {
    message_writer(out, fe::password).raw(data);
}

void write_terminate(bytes& out) {
    message_writer(out, fe::terminate);
}

void write_query(bytes& out, std::string_view sql) {
    message_writer(out, fe::query).cstring(sql);
}

std::string_view to_string(severity s) {
    switch (s) {
        case severity::error:
            return "ERROR";
        case severity::fatal:
            return "FATAL";
        case severity::panic:
            return "PANIC";
        case severity::warning:
            return "WARNING";
        case severity::notice:
            return "NOTICE";
        case severity::debug:
            return "DEBUG";
        case severity::info:
            return "INFO";
        case severity::log:
            return "LOG";
    }
    return "ERROR";
}

void write_report(bytes& out, const report& r) {
    const bool is_error =
        r.level == severity::error || r.level == severity::fatal || r.level == severity::panic;
    message_writer w(out, is_error ? be::error_response : be::notice_response);
    const auto sev = to_string(r.level);
    w.u8('S')
        .cstring(sev)
        .u8('V')
        .cstring(sev)
        .u8('C')
        .cstring(r.sqlstate)
        .u8('M')
        .cstring(r.message);
    if (!r.detail.empty()) w.u8('D').cstring(r.detail);
    if (!r.hint.empty()) w.u8('H').cstring(r.hint);
    w.u8(0);
}

}  // namespace pgrelay::protocol
