// A client connection: a TCP socket, upgraded to TLS after an SSLRequest when [tls] allows.
// Reads and writes branch once on the upgrade, so a plain connection pays one test per
// operation. One read and one write may be outstanding at a time, on one executor.
#pragma once

#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <optional>

#include "proxy/tls_context.hpp"
#include "proxy/wire.hpp"

namespace pgrelay::proxy {

class client_stream {
  public:
    explicit client_stream(tcp::socket socket) : socket_(std::move(socket)) {}

    tcp::socket& socket() { return socket_; }
    auto get_executor() { return socket_.get_executor(); }
    bool is_tls() const { return tls_.has_value(); }
    // Our certificate's tls-server-end-point data; empty on a plain connection.
    const std::vector<std::uint8_t>& end_point() const;

    // The TLS handshake as a server, after answering 'S'. An error leaves the stream plain
    // (and to be closed).
    asio::awaitable<error_code> accept_tls(std::shared_ptr<client_tls_context> context);

    // The TLS stream once upgraded, else nullptr (then the socket carries the bytes).
    asio::ssl::stream<tcp::socket&>* tls() { return tls_ ? &*tls_ : nullptr; }

    // Sends TLS close_notify (waiting briefly for nothing more), then closes the socket.
    asio::awaitable<void> close();

  private:
    tcp::socket socket_;
    std::shared_ptr<client_tls_context> context_;  // kept alive as long as the stream
    std::optional<asio::ssl::stream<tcp::socket&>> tls_;
};

asio::awaitable<error_code> read_some(client_stream& s, wire_buffer& buf);
asio::awaitable<error_code> write_all(client_stream& s, protocol::byte_view data);

}  // namespace pgrelay::proxy
