// A connection to a client or a server: a TCP socket, upgraded to TLS after an SSLRequest
// when [tls] says so. Reads and writes branch once on the upgrade, so a plain connection pays
// one test per operation. One read and one write may be outstanding at a time, on one executor.
// The upgrade moves the socket into a TLS stream on the heap, so the whole may move later (a
// server connection goes into its pool).
#pragma once

#include <boost/asio/ssl/stream.hpp>
#include <memory>

#include "proxy/tls_context.hpp"
#include "proxy/wire.hpp"

namespace pgrelay::proxy {

class peer_stream {
  public:
    using tls_stream = asio::ssl::stream<tcp::socket>;

    explicit peer_stream(tcp::socket socket) : socket_(std::move(socket)) {}

    // The TCP socket, inside the TLS stream once upgraded.
    tcp::socket& socket() { return tls_ ? tls_->next_layer() : socket_; }
    bool is_open() const { return tls_ ? tls_->next_layer().is_open() : socket_.is_open(); }
    auto get_executor() { return socket_.get_executor(); }
    bool is_tls() const { return tls_ != nullptr; }
    // Our certificate's tls-server-end-point data; empty on a plain connection.
    const std::vector<std::uint8_t>& end_point() const;

    // The TLS handshake as a server, after answering 'S'. An error closes the connection.
    asio::awaitable<error_code> accept_tls(std::shared_ptr<client_tls_context> context);

    // The TLS handshake as a client (towards a server, after its 'S'). With `verify_host`,
    // the certificate must name `host` (a DNS name or an IP address). Returns OpenSSL's
    // reason on failure (the certificate check's own reason when that failed; the connection
    // is closed then), else "".
    asio::awaitable<std::string> connect_tls(std::shared_ptr<asio::ssl::context> context,
                                             std::string host, bool verify_host);

    // The TLS stream once upgraded, else nullptr (then the socket carries the bytes).
    tls_stream* tls() { return tls_.get(); }

    // Sends TLS close_notify (waiting briefly for nothing more), then closes the socket.
    asio::awaitable<void> close();

    // Bytes read_some and write_all moved so far (after TLS: what the peer meant to send).
    std::uint64_t bytes_received = 0;
    std::uint64_t bytes_sent = 0;

  private:
    tcp::socket socket_;                           // until the upgrade (then moved into tls_)
    std::shared_ptr<client_tls_context> context_;  // kept alive as long as the stream
    std::shared_ptr<asio::ssl::context> server_context_;
    std::unique_ptr<tls_stream> tls_;
};

asio::awaitable<error_code> read_some(peer_stream& s, wire_buffer& buf);
asio::awaitable<error_code> write_all(peer_stream& s, protocol::byte_view data);

}  // namespace pgrelay::proxy
