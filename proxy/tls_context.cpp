// Loading the TLS contexts towards clients and servers; see tls_context.hpp.
#include "proxy/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "protocol/channel_binding.hpp"

namespace pgrelay::proxy {

namespace {

namespace ssl = boost::asio::ssl;

std::string openssl_reason(const boost::system::error_code& ec) {
    std::string text = ec.message();
    if (const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value())))
        text = reason;
    return text;
}

std::string load_error(const std::string& key, const std::filesystem::path& file,
                       const boost::system::error_code& ec) {
    return key + ": cannot load \"" + file.string() + "\": " + openssl_reason(ec);
}

client_tls_result failed(const std::string& key, const std::filesystem::path& file,
                         const boost::system::error_code& ec) {
    return {nullptr, load_error("tls." + key, file, ec)};
}

std::vector<std::uint8_t> end_point_of(SSL_CTX* ctx) {
    X509* cert = SSL_CTX_get0_certificate(ctx);
    if (cert == nullptr) return {};
    unsigned char* der = nullptr;
    const int len = i2d_X509(cert, &der);
    if (len <= 0) return {};
    auto hash = protocol::scram::server_end_point_hash(
        std::span<const std::uint8_t>(der, static_cast<std::size_t>(len)));
    OPENSSL_free(der);
    return hash ? std::move(*hash) : std::vector<std::uint8_t>{};
}

}  // namespace

client_tls_result load_client_tls(const config& cfg) {
    const tls_config& t = cfg.tls;
    if (t.client_mode == client_tls_mode::disable) return {};
    ssl::context ctx(ssl::context::tls_server);
    boost::system::error_code ec;
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    // No session resumption, as PostgreSQL (it would need a session id context with client
    // certificates).
    SSL_CTX_set_session_cache_mode(ctx.native_handle(), SSL_SESS_CACHE_OFF);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                        ssl::context::single_dh_use,
                    ec);
    ctx.use_certificate_chain_file(t.client_cert_file.string(), ec);
    if (ec) return failed("client_tls_cert_file", t.client_cert_file, ec);
    ctx.use_private_key_file(t.client_key_file.string(), ssl::context::pem, ec);
    if (ec) return failed("client_tls_key_file", t.client_key_file, ec);
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
        ERR_clear_error();
        return {nullptr, "tls.client_tls_key_file: \"" + t.client_key_file.string() +
                             "\" does not match the certificate of tls.client_tls_cert_file"};
    }
    if (!t.client_ca_file.empty()) {
        ctx.load_verify_file(t.client_ca_file.string(), ec);
        if (ec) return failed("client_tls_ca_file", t.client_ca_file, ec);
        ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    }
    auto loaded = std::make_shared<client_tls_context>(std::move(ctx));
    loaded->end_point = end_point_of(loaded->ssl.native_handle());
    return {std::move(loaded), {}};
}

server_tls_result load_server_tls(const config& cfg) {
    server_tls_result r;
    for (std::size_t i = 0; i < cfg.nodes.size(); ++i) {
        const server_tls_settings settings = cfg.server_tls_for(i);
        server_tls_context node{settings.mode, nullptr};
        if (cfg.nodes[i].retired) {
            node.mode = server_tls_mode::disable;  // nothing connects there any more
        } else if (settings.mode != server_tls_mode::disable) {
            auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
            boost::system::error_code ec;
            SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
            const bool verify = settings.mode == server_tls_mode::verify_ca ||
                                settings.mode == server_tls_mode::verify_full;
            if (verify) {
                ctx->load_verify_file(settings.ca_file.string(), ec);
                if (ec) {
                    const std::string key = cfg.nodes[i].server_ca ? "nodes[" + std::to_string(i) +
                                                                         "].server_tls_ca_file"
                                                                   : "tls.server_tls_ca_file";
                    return {{}, load_error(key, settings.ca_file, ec)};
                }
            }
            ctx->set_verify_mode(verify ? ssl::verify_peer : ssl::verify_none, ec);
            node.ssl = std::move(ctx);
        }
        r.nodes.push_back(std::move(node));
    }
    return r;
}

tls_load_result load_tls(const config& cfg) {
    auto client = load_client_tls(cfg);
    if (!client.ok()) return {nullptr, std::move(client.error)};
    auto servers = load_server_tls(cfg);
    if (!servers.ok()) return {nullptr, std::move(servers.error)};
    return {std::make_shared<const tls_contexts>(
                tls_contexts{std::move(client.context), std::move(servers.nodes)}),
            {}};
}

}  // namespace pgrelay::proxy
