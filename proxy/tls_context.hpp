// The TLS contexts built from [tls]: towards clients (certificate, key, optional CA for
// client certificates, our certificate's channel-binding data) and towards each node (the
// server_tls mode and the CA to verify with). TLS 1.2 at least. The loaders are pure (files
// in, contexts or an error out): a reload can call them again and swap what sessions pick up.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proxy/config.hpp"

namespace pgrelay::proxy {

struct client_tls_context {
    explicit client_tls_context(boost::asio::ssl::context ctx) : ssl(std::move(ctx)) {}

    boost::asio::ssl::context ssl;
    // tls-server-end-point data of our certificate (SCRAM-SHA-256-PLUS); empty when the
    // certificate's signature has no single hash, and then PLUS is not offered.
    std::vector<std::uint8_t> end_point;
};

struct client_tls_result {
    std::shared_ptr<client_tls_context> context;  // null when client_tls = disable, or on error
    std::string error;                            // "tls.KEY: problem (OpenSSL reason)"

    [[nodiscard]] bool ok() const { return error.empty(); }
};

[[nodiscard]] client_tls_result load_client_tls(const config& cfg);

// One node's TLS: the mode and, unless disable, the context its connections are made with
// (the chain is verified against the CA for verify-ca and verify-full; the host name is
// checked per connection).
struct server_tls_context {
    server_tls_mode mode = server_tls_mode::disable;
    std::shared_ptr<boost::asio::ssl::context> ssl;
};

struct server_tls_result {
    std::vector<server_tls_context> nodes;  // one per config node, in order
    std::string error;                      // "tls.server_tls_ca_file: ..." or "nodes[i]...."

    [[nodiscard]] bool ok() const { return error.empty(); }
};

[[nodiscard]] server_tls_result load_server_tls(const config& cfg);

// Both directions, as sessions use them; a reload swaps the whole value.
struct tls_contexts {
    std::shared_ptr<client_tls_context> client;  // null when client_tls = disable
    std::vector<server_tls_context> servers;     // indexed like config::nodes
};

struct tls_load_result {
    std::shared_ptr<const tls_contexts> value;  // null on error
    std::string error;

    [[nodiscard]] bool ok() const { return error.empty(); }
};

// Reads every certificate, key and CA file that `cfg` names, now.
[[nodiscard]] tls_load_result load_tls(const config& cfg);

}  // namespace pgrelay::proxy
