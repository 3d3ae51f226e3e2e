// Plain or TLS client connections; see client_stream.hpp.
#include "proxy/client_stream.hpp"

#include <boost/asio/write.hpp>

#include "proxy/timeout.hpp"

namespace pgrelay::proxy {

namespace {

asio::awaitable<void> shutdown_tls(asio::ssl::stream<tcp::socket&>& s) {
    auto [ec] = co_await s.async_shutdown(use_nothrow);
    (void)ec;
}

}  // namespace

const std::vector<std::uint8_t>& client_stream::end_point() const {
    static const std::vector<std::uint8_t> none;
    return tls_ && context_ ? context_->end_point : none;
}

asio::awaitable<error_code> client_stream::accept_tls(std::shared_ptr<client_tls_context> context) {
    context_ = std::move(context);
    tls_.emplace(socket_, context_->ssl);
    auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::server, use_nothrow);
    if (ec) tls_.reset();
    co_return ec;
}

asio::awaitable<void> client_stream::close() {
    error_code ignored;
    if (tls_) {
        // close_notify goes out at once; the wait for the peer's answer is cut short.
        auto done = co_await with_timeout(shutdown_tls(*tls_), std::chrono::milliseconds(100));
        (void)done;
    }
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

asio::awaitable<error_code> read_some(client_stream& s, wire_buffer& buf) {
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
    co_return error_code{};
}

asio::awaitable<error_code> write_all(client_stream& s, protocol::byte_view data) {
    const auto b = asio::buffer(data.data(), data.size());
    error_code ec;
    std::size_t n = 0;
    if (auto* tls = s.tls()) {
        std::tie(ec, n) = co_await asio::async_write(*tls, b, use_nothrow);
    } else {
        std::tie(ec, n) = co_await asio::async_write(s.socket(), b, use_nothrow);
    }
    co_return ec;
}

}  // namespace pgrelay::proxy
