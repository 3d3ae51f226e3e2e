// Client authentication per config (trust, md5, scram-sha-256) against the users file:
// the conversation with the client up to, not including, AuthenticationOk. On success it
// yields the credentials pgrelay may use to log in to servers as that user. Over TLS, SCRAM
// offers SCRAM-SHA-256-PLUS with tls-server-end-point channel binding as well.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "proxy/config.hpp"
#include "proxy/credentials.hpp"
#include "proxy/peer_stream.hpp"

namespace pgrelay::proxy {

struct client_auth_result {
    bool ok = false;
    server_credentials credentials;  // when ok
    std::string_view sqlstate;       // when !ok
    std::string message;             // when !ok
};

asio::awaitable<client_auth_result> authenticate_client(peer_stream& socket, wire_buffer& buffer,
                                                        auth_method method,
                                                        const std::string& user_name,
                                                        const user_credentials* user);

}  // namespace pgrelay::proxy
