// Plain or TLS connections; see peer_stream.hpp.
#include "proxy/peer_stream.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/write.hpp>

#include "proxy/timeout.hpp"

namespace pgrelay::proxy {

namespace {

asio::awaitable<void> shutdown_tls(peer_stream::tls_stream& s) {
    auto [ec] = co_await s.async_shutdown(use_nothrow);
    (void)ec;
}

}  // namespace

const std::vector<std::uint8_t>& peer_stream::end_point() const {
    static const std::vector<std::uint8_t> none;
    return tls_ && context_ ? context_->end_point : none;
}

asio::awaitable<error_code> peer_stream::accept_tls(std::shared_ptr<client_tls_context> context) {
    context_ = std::move(context);
    tls_ = std::make_unique<tls_stream>(std::move(socket_), context_->ssl);
    auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::server, use_nothrow);
    if (ec) tls_.reset();
    co_return ec;
}

asio::awaitable<std::string> peer_stream::connect_tls(std::shared_ptr<asio::ssl::context> context,
                                                      std::string host, bool verify_host) {
    server_context_ = std::move(context);
    tls_ = std::make_unique<tls_stream>(std::move(socket_), *server_context_);
    error_code not_ip;
    asio::ip::make_address(host, not_ip);
    // SNI for host names, as libpq sends it; never for an IP address (RFC 6066 3).
    if (not_ip) SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
    if (verify_host) {
        // OpenSSL checks the name during the handshake ("hostname mismatch" otherwise).
        X509_VERIFY_PARAM* param = SSL_get0_param(tls_->native_handle());
        if (not_ip) {
            SSL_set1_host(tls_->native_handle(), host.c_str());
        } else {
            X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
        }
    }
    auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, use_nothrow);
    if (!ec) co_return std::string{};
    std::string reason = ec.message();
    const long verified = SSL_get_verify_result(tls_->native_handle());
    if (verified != X509_V_OK) reason = X509_verify_cert_error_string(verified);
    tls_.reset();
    co_return reason.empty() ? std::string("TLS handshake failed") : reason;
}

asio::awaitable<void> peer_stream::close() {
    error_code ignored;
    if (tls_) {
        // close_notify goes out at once; the wait for the peer's answer is cut short.
        auto done = co_await with_timeout(shutdown_tls(*tls_), std::chrono::milliseconds(100));
        (void)done;
    }
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
}

asio::awaitable<error_code> read_some(peer_stream& s, wire_buffer& buf) {
    auto space = buf.free_space();
    if (space.empty()) co_return asio::error::no_buffer_space;
    const auto b = asio::buffer(space.data(), space.size());
    error_code ec;
    std::size_t n = 0;
    if (auto* tls = s.tls()) {
        std::tie(ec, n) = co_await tls->async_read_some(b, use_nothrow);
    } else {
        std::tie(ec, n) = co_await s.socket().async_read_some(b, use_nothrow);
    }
    if (ec) co_return ec;
    buf.commit(n);
    s.bytes_received += n;
    co_return error_code{};
}

asio::awaitable<error_code> write_all(peer_stream& s, protocol::byte_view data) {
    const auto b = asio::buffer(data.data(), data.size());
    error_code ec;
    std::size_t n = 0;
    if (auto* tls = s.tls()) {
        std::tie(ec, n) = co_await asio::async_write(*tls, b, use_nothrow);
    } else {
        std::tie(ec, n) = co_await asio::async_write(s.socket(), b, use_nothrow);
    }
    s.bytes_sent += n;
    co_return ec;
}

}  // namespace pgrelay::proxy
