// Reading a connection's startup phase: StartupMessage, CancelRequest, and the SSLRequest /
// GSSENCRequest a client may send first (SSLRequest answered 'S' and the stream upgraded when
// a TLS context is given, else 'N'; GSSENCRequest always 'N'). Shared by client sessions and
// the admin console.
#pragma once

#include <optional>

#include "protocol/startup.hpp"
#include "proxy/peer_stream.hpp"

namespace pgrelay::proxy {

struct startup_read {
    std::optional<protocol::startup_packet> packet;  // a StartupMessage or CancelRequest
    // A packet that framed but did not parse: refuse the client with this (FATAL).
    std::optional<protocol::startup_error> error;
    std::string tls_error;  // the TLS handshake failed: OpenSSL's reason
};

// Nothing in either field: the peer closed, sent unframeable bytes, or sent bytes after an
// SSLRequest before its answer (CVE-2021-23214); close without a word.
// A failed TLS handshake also ends it without a word. `tls`: null means no TLS.
asio::awaitable<startup_read> read_startup_packet(peer_stream& stream, wire_buffer& buffer,
                                                  std::shared_ptr<client_tls_context> tls);

}  // namespace pgrelay::proxy
