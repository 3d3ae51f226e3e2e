// Opening a server connection: TCP connect with a timeout, TLS as the node's server_tls
// says (SSLRequest, then the handshake on 'S'), StartupMessage, authentication
// as the client's user (cleartext, MD5 or SCRAM-SHA-256, as the server asks), then the
// ParameterStatus messages and BackendKeyData up to the first ReadyForQuery.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/byte_io.hpp"
#include "protocol/messages.hpp"
#include "proxy/credentials.hpp"
#include "proxy/peer_stream.hpp"

namespace pgrelay::proxy {

struct server_endpoint {
    std::string name;
    std::string host;
    std::uint16_t port = 5432;
    server_tls_context tls;  // disable: plain TCP
};

struct server_login {
    std::string user;
    std::string database;
    std::vector<std::pair<std::string, std::string>> parameters;  // the client's startup parameters
    server_credentials credentials;
};

// A logged-in server connection, idle (ReadyForQuery received).
struct server_link {
    explicit server_link(tcp::socket s) : socket(std::move(s)) {}
    peer_stream socket;
    wire_buffer buffer;  // bytes the server sent after ReadyForQuery, if any
    std::vector<std::pair<std::string, std::string>> parameters;  // ParameterStatus, in order
    protocol::backend_key key;
    char transaction_status = 'I';
};

struct server_failure {
    std::string_view sqlstate;
    std::string message;
    protocol::bytes server_error;  // the server's own ErrorResponse, to relay as it is
};

using server_open_result = std::variant<server_link, server_failure>;

asio::awaitable<server_open_result> open_server(const server_endpoint& endpoint,
                                                const server_login& login,
                                                std::chrono::milliseconds connect_timeout);

// Connects and sends a CancelRequest with the server's own key (PostgreSQL docs 55.2.8).
// Always plain TCP: PostgreSQL accepts a CancelRequest without TLS whatever its ssl setting.
asio::awaitable<void> send_cancel(const std::string& host, std::uint16_t port,
                                  protocol::backend_key key, std::chrono::milliseconds timeout);

}  // namespace pgrelay::proxy
