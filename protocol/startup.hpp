// The startup phase, whose packets carry no type byte: StartupMessage, SSLRequest,
// GSSENCRequest and CancelRequest (PostgreSQL docs 55.7 "Message Formats"), framed and
// parsed from a client's first bytes, plus the builders pgrelay needs to send them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/byte_io.hpp"

namespace pgrelay::protocol {

// PostgreSQL's MAX_STARTUP_PACKET_LENGTH: a longer startup packet is refused.
inline constexpr std::uint32_t max_startup_packet_length = 10000;

inline constexpr std::int32_t ssl_request_code = 80877103;     // 1234.5679
inline constexpr std::int32_t gssenc_request_code = 80877104;  // 1234.5680
inline constexpr std::int32_t cancel_request_code = 80877102;  // 1234.5678
inline constexpr std::uint16_t protocol_major = 3;
inline constexpr std::uint16_t protocol_minor_supported = 0;

enum class startup_frame_status : std::uint8_t { need_more, packet, bad_length };

struct startup_frame {
    startup_frame_status status = startup_frame_status::need_more;
    byte_view raw;  // the whole packet, length word included
};

// Frames one startup-phase packet: its length must lie in [8, 10000].
startup_frame scan_startup_packet(byte_view input);

struct startup_message {
    std::uint16_t major = 0;
    std::uint16_t minor = 0;
    std::string user;
    std::string database;  // defaults to the user name, as in PostgreSQL
    // Every other parameter, in the order sent (options, application_name, ...).
    std::vector<std::pair<std::string, std::string>> parameters;
    // Protocol options ("_pq_." prefix) pgrelay does not know; answered with
    // NegotiateProtocolVersion.
    std::vector<std::string> unknown_protocol_options;

    const std::string* parameter(std::string_view name) const;
};

struct cancel_request {
    std::int32_t process_id = 0;
    std::int32_t secret_key = 0;
};

enum class startup_kind : std::uint8_t { startup, ssl_request, gssenc_request, cancel };

struct startup_packet {
    startup_kind kind = startup_kind::startup;
    startup_message startup;  // kind == startup
    cancel_request cancel;    // kind == cancel
};

// Why a startup packet was refused, with the SQLSTATE and message PostgreSQL would send.
struct startup_error {
    std::string_view sqlstate;
    std::string message;
};

struct startup_parse_result {
    std::optional<startup_packet> packet;
    startup_error error;  // when !packet
};

// Parses a framed startup packet (raw from scan_startup_packet).
startup_parse_result parse_startup_packet(byte_view raw);

// Builders.
void write_startup_message(bytes& out,
                           const std::vector<std::pair<std::string, std::string>>& params);
void write_cancel_request(bytes& out, cancel_request key);
// SSLRequest: what pgrelay sends a server before its StartupMessage to ask for TLS.
void write_ssl_request(bytes& out);
void write_negotiate_protocol_version(bytes& out, std::int32_t newest_minor,
                                      const std::vector<std::string>& unknown_options);

}  // namespace pgrelay::protocol
