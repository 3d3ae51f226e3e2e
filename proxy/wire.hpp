// The byte buffer of one connection direction and the coroutine helpers that fill it from a
// socket and pull whole packets out of it during startup and authentication. The relay
// reads into the same buffer, so bytes received early are never lost between phases.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <vector>

#include "protocol/byte_io.hpp"
#include "protocol/framer.hpp"

namespace pgrelay::proxy {

class peer_stream;

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// Completion token: coroutine operations report errors as values.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

inline constexpr std::size_t wire_buffer_size = 32 * 1024;

class wire_buffer {
  public:
    explicit wire_buffer(std::size_t capacity = wire_buffer_size) : data_(capacity) {}

    protocol::byte_view unconsumed() const { return {data_.data() + begin_, end_ - begin_}; }
    void consume(std::size_t n) {
        begin_ += n;
        if (begin_ == end_) begin_ = end_ = 0;
    }
    // Free space at the end, after moving unconsumed bytes to the front when that helps.
    std::span<std::uint8_t> free_space() {
        if (end_ == data_.size() && begin_ > 0) {
            std::copy(data_.begin() + static_cast<std::ptrdiff_t>(begin_),
                      data_.begin() + static_cast<std::ptrdiff_t>(end_), data_.begin());
            end_ -= begin_;
            begin_ = 0;
        }
        return {data_.data() + end_, data_.size() - end_};
    }
    void commit(std::size_t n) { end_ += n; }
    std::size_t capacity() const { return data_.size(); }
    bool empty() const { return begin_ == end_; }

  private:
    std::vector<std::uint8_t> data_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

// Reads once from the socket into the buffer's free space.
asio::awaitable<error_code> read_some(tcp::socket& s, wire_buffer& buf);

// Writes all bytes.
asio::awaitable<error_code> write_all(tcp::socket& s, protocol::byte_view data);

enum class packet_error : std::uint8_t { none, closed, bad_length, too_large };

struct packet_result {
    packet_error error = packet_error::none;
    protocol::frame message;  // valid until the buffer is consumed or read again
};

// Reads until one whole typed message is buffered. Messages larger than the buffer are
// too_large here: startup and authentication never need them.
asio::awaitable<packet_result> read_message(tcp::socket& s, wire_buffer& buf);
asio::awaitable<packet_result> read_message(peer_stream& s, wire_buffer& buf);

}  // namespace pgrelay::proxy
