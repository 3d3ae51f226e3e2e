// Views (parse a body into values) and builders (append a message) for the typed messages
// pgrelay reads or writes itself: authentication, ParameterStatus, BackendKeyData,
// ReadyForQuery, ErrorResponse/NoticeResponse. PostgreSQL docs 55.7 "Message Formats".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/byte_io.hpp"

namespace pgrelay::protocol {

// Message type bytes, by direction (fe = frontend/client, be = backend/server).
namespace be {
inline constexpr char authentication = 'R';
inline constexpr char backend_key_data = 'K';
inline constexpr char parameter_status = 'S';
inline constexpr char ready_for_query = 'Z';
inline constexpr char error_response = 'E';
inline constexpr char notice_response = 'N';
inline constexpr char negotiate_protocol_version = 'v';
}  // namespace be
namespace fe {
inline constexpr char password = 'p';  // also SASLInitialResponse, SASLResponse, GSSResponse
inline constexpr char query = 'Q';
inline constexpr char terminate = 'X';
inline constexpr char sync = 'S';
}  // namespace fe

// AuthenticationXXX request codes.
enum class auth_code : std::int32_t {
    ok = 0,
    kerberos_v5 = 2,
    cleartext_password = 3,
    md5_password = 5,
    gss = 7,
    gss_continue = 8,
    sspi = 9,
    sasl = 10,
    sasl_continue = 11,
    sasl_final = 12,
};

struct auth_request {
    auth_code code = auth_code::ok;
    std::array<std::uint8_t, 4> md5_salt{};  // md5_password
    std::vector<std::string> mechanisms;     // sasl
    std::string data;                        // sasl_continue, sasl_final
};
std::optional<auth_request> parse_auth_request(byte_view body);

struct parameter_status {
    std::string_view name;
    std::string_view value;
};
std::optional<parameter_status> parse_parameter_status(byte_view body);

struct backend_key {
    std::int32_t process_id = 0;
    std::int32_t secret_key = 0;
};
std::optional<backend_key> parse_backend_key_data(byte_view body);

// ErrorResponse / NoticeResponse fields (PostgreSQL docs 55.8).
struct error_fields {
    std::string severity;  // V (non-localized) when present, else S
    std::string sqlstate;  // C
    std::string message;   // M
    std::string detail;    // D
    std::string hint;      // H
};
std::optional<error_fields> parse_error_fields(byte_view body);

// SASLInitialResponse body: mechanism name, then Int32 length (-1: none) and data.
struct sasl_initial_response {
    std::string_view mechanism;
    std::string_view data;
};
std::optional<sasl_initial_response> parse_sasl_initial_response(byte_view body);
// PasswordMessage body: one String.
std::optional<std::string_view> parse_password_message(byte_view body);

// Builders. Each appends one message to out.
void write_auth_ok(bytes& out);
void write_auth_cleartext(bytes& out);
void write_auth_md5(bytes& out, std::array<std::uint8_t, 4> salt);
void write_auth_sasl(bytes& out, const std::vector<std::string_view>& mechanisms);
void write_auth_sasl_continue(bytes& out, std::string_view data);
void write_auth_sasl_final(bytes& out, std::string_view data);
void write_parameter_status(bytes& out, std::string_view name, std::string_view value);
void write_backend_key_data(bytes& out, backend_key key);
void write_ready_for_query(bytes& out, char status);
void write_password_message(bytes& out, std::string_view password);
void write_sasl_initial_response(bytes& out, std::string_view mechanism, std::string_view data);
void write_sasl_response(bytes& out, std::string_view data);
void write_terminate(bytes& out);
void write_query(bytes& out, std::string_view sql);

enum class severity : std::uint8_t { error, fatal, panic, warning, notice, debug, info, log };
std::string_view to_string(severity s);

// ErrorResponse (error, fatal, panic) or NoticeResponse (the others), with the fields
// PostgreSQL always sends (S, V, C, M) and detail/hint when not empty.
struct report {
    severity level = severity::error;
    std::string_view sqlstate;
    std::string_view message;
    std::string_view detail = {};
    std::string_view hint = {};
};
void write_report(bytes& out, const report& r);

}  // namespace pgrelay::protocol
