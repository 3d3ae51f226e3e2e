// Reading a connection's startup phase: StartupMessage, CancelRequest, and the SSLRequest /
// GSSENCRequest a client may send first (answered 'N': no encryption here). Shared by client
// sessions and the admin console.
#pragma once

#include <optional>

#include "protocol/startup.hpp"
#include "proxy/wire.hpp"

namespace pgrelay::proxy {

struct startup_read {
    std::optional<protocol::startup_packet> packet;  // a StartupMessage or CancelRequest
    // A packet that framed but did not parse: refuse the client with this (FATAL).
    std::optional<protocol::startup_error> error;
};

// Nothing in either field: the peer closed, sent unframeable bytes, or sent bytes after an
// SSLRequest before its answer (CVE-2021-23214); close without a word.
asio::awaitable<startup_read> read_startup_packet(tcp::socket& socket, wire_buffer& buffer);

}  // namespace pgrelay::proxy
