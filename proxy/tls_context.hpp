// TLS towards clients: the server-side context built from [tls] (certificate, key, optional
// CA for client certificates, TLS 1.2 at least) and our certificate's channel-binding data.
// load_client_tls is pure (files in, a context or an error out): a reload can call it again
// and swap the shared_ptr that new sessions pick up.
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

}  // namespace pgrelay::proxy
