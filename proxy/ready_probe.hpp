// `pgrelay --ready TARGET`, the container health check: is a pgrelay listener up and
// answering? A HOST:PORT target gets a PostgreSQL SSLRequest and must answer 'N' or 'S'; an
// http://HOST:PORT/PATH target (the HTTP endpoint's /readyz) must answer with a 2xx status.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgrelay::proxy {

struct ready_target {
    enum class protocol { postgres, http };
    protocol kind = protocol::postgres;
    std::string host;    // name or address; IPv6 without brackets
    std::uint16_t port;  // postgres: required; http: default 80
    std::string path;    // http only, starting with '/'
};

struct ready_target_result {
    std::optional<ready_target> value;
    std::string error;  // when value is empty: what is wrong with the text
};

// "HOST:PORT", "[IPv6]:PORT", or "http://HOST[:PORT][/PATH]".
[[nodiscard]] ready_target_result parse_ready_target(std::string_view text);

// The target of a bare `pgrelay --ready`: the HTTP endpoint's /readyz when the environment
// configures one (PGRELAY_HTTP_PORT set and not 0, PGRELAY_HTTP_ADDRESS; address default
// 127.0.0.1), else the listener (PGRELAY_LISTEN_ADDRESS, PGRELAY_LISTEN_PORT; defaults
// 127.0.0.1:6432). A wildcard address is replaced by the loopback address of its family.
// Text for parse_ready_target.
[[nodiscard]] std::string default_ready_target(
    const std::vector<std::pair<std::string, std::string>>& env);

// The 8-byte SSLRequest: length 8, code 80877103 (PostgreSQL docs, 55.2.10 SSL Session
// Encryption).
[[nodiscard]] std::array<unsigned char, 8> ssl_request_packet();

// A server's one-byte answer to SSLRequest: 'N' (no TLS) or 'S' (TLS) mean it speaks.
[[nodiscard]] bool is_ssl_reply(unsigned char reply);

// True for an HTTP status line with a 2xx code ("HTTP/1.1 200 OK").
[[nodiscard]] bool is_http_success(std::string_view status_line);

// Runs the check within `timeout` (name resolution, connect, request, reply). Returns an
// empty string when the target is ready, else why not ("connect: Connection refused").
[[nodiscard]] std::string check_ready(const ready_target& target,
                                      std::chrono::milliseconds timeout);

}  // namespace pgrelay::proxy
