// Connection buffers and startup-phase reads; see wire.hpp.
#include "proxy/wire.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "proxy/peer_stream.hpp"

namespace pgrelay::proxy {

asio::awaitable<error_code> read_some(tcp::socket& s, wire_buffer& buf) {
    auto space = buf.free_space();
    if (space.empty()) co_return asio::error::no_buffer_space;
    auto [ec, n] =
        co_await s.async_read_some(asio::buffer(space.data(), space.size()), use_nothrow);
    if (ec) co_return ec;
    buf.commit(n);
    co_return error_code{};
}

asio::awaitable<error_code> write_all(tcp::socket& s, protocol::byte_view data) {
    auto [ec, n] =
        co_await asio::async_write(s, asio::buffer(data.data(), data.size()), use_nothrow);
    (void)n;
    co_return ec;
}

namespace {

template <typename Stream>
asio::awaitable<packet_result> read_message_from(Stream& s, wire_buffer& buf) {
    packet_result r;
    // A scanner whose whole-message limit is the buffer: anything larger is too_large.
    protocol::frame_scanner scanner(buf.capacity());
    while (true) {
        auto f = scanner.next(buf.unconsumed());
        switch (f.status) {
            case protocol::frame_status::message:
                r.message = f;
                co_return r;
            case protocol::frame_status::bad_length:
                r.error = packet_error::bad_length;
                co_return r;
            case protocol::frame_status::chunk:
                r.error = packet_error::too_large;
                co_return r;
            case protocol::frame_status::need_more:
                break;
        }
        if (auto ec = co_await read_some(s, buf)) {
            r.error = packet_error::closed;
            co_return r;
        }
    }
}

}  // namespace

asio::awaitable<packet_result> read_message(tcp::socket& s, wire_buffer& buf) {
    return read_message_from(s, buf);
}

asio::awaitable<packet_result> read_message(peer_stream& s, wire_buffer& buf) {
    return read_message_from(s, buf);
}

}  // namespace pgrelay::proxy
