// SCRAM channel binding over TLS: the gs2 header a client sends first (RFC 5802 section 7)
// and the "tls-server-end-point" binding data (RFC 5929 section 4.1), the only channel
// binding type PostgreSQL supports. Pure: bytes in, values out; peer input never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace pgrelay::protocol::scram {

inline constexpr std::string_view plus_mechanism_name = "SCRAM-SHA-256-PLUS";
inline constexpr std::string_view tls_server_end_point = "tls-server-end-point";

// The gs2-cbind-flag of a client-first-message.
enum class cbind_flag {
    none,         // "n": the client does not support channel binding
    unannounced,  // "y": the client supports it but thinks the server does not
    required,     // "p=<name>": the client uses channel binding of type <name>
};

struct gs2_header {
    cbind_flag flag = cbind_flag::none;
    std::string_view cbind_name;  // for `required`: the channel binding type
    std::string_view authzid;     // the text between the two commas (empty: none)
    std::size_t length = 0;       // the header's length, both commas included
};

// Splits "n,," / "y,," / "p=<name>,," (and a possible "a=<authzid>" between the commas)
// off the start of a client-first-message. Nothing when there is no second comma or the
// flag is none of n, y, p=<name> (any name, even empty: check_channel_binding judges it).
std::optional<gs2_header> parse_gs2_header(std::string_view client_first);

// What the server decides about a client's gs2 header (PostgreSQL's rules, auth-scram.c):
// `offered` says SCRAM-SHA-256-PLUS was offered (the connection is TLS), `plus_selected`
// that the client chose it.
enum class cbind_check {
    ok,                // go on; bind the channel when the flag is `required`
    downgrade,         // "y" although PLUS was offered: a possible downgrade attack
    plus_without_p,    // PLUS selected but no channel binding in the header
    p_without_plus,    // channel binding in the header but plain SCRAM-SHA-256 selected
    not_offered,       // "p=" on a connection without TLS
    unsupported_type,  // "p=" with a type other than tls-server-end-point
};
cbind_check check_channel_binding(const gs2_header& header, bool offered, bool plus_selected);

// The tls-server-end-point binding data of a DER certificate: its hash with the hash
// function of its signature algorithm, SHA-256 when that is MD5 or SHA-1. Nothing when the
// certificate does not parse or its signature has no single hash function (Ed25519, ...).
std::optional<std::vector<std::uint8_t>> server_end_point_hash(
    std::span<const std::uint8_t> der_certificate);

}  // namespace pgrelay::protocol::scram
