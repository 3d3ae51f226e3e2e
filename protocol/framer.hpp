// Incremental framing of typed protocol messages (everything after the startup phase):
// a 1-byte type, an Int32 length that counts itself, then the body. Messages that fit the
// caller's buffer come out whole; larger ones come out as chunks to stream, so a 100 MB
// COPY row never has to sit in memory. Bytes in, one step out; no I/O, never throws.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol/byte_io.hpp"

namespace pgrelay::protocol {

// PostgreSQL refuses messages of 1 GB or more (PQ_LARGE_MESSAGE_LIMIT in pqcomm.c).
inline constexpr std::uint32_t max_message_length = 0x3fffffff;

enum class frame_status : std::uint8_t {
    need_more,   // not enough bytes to make progress: keep what is unconsumed, read more
    message,     // raw holds one whole message (header and body)
    chunk,       // raw holds part of a message too large to hold whole: forward it as is
    bad_length,  // the length field is below 4 or above max_message_length
};

struct frame {
    frame_status status = frame_status::need_more;
    char type = 0;             // the message type byte (for chunks: the message they belong to)
    std::uint32_t length = 0;  // the length field: body size + 4
    byte_view raw;             // the bytes this step consumed, from the front of the input
    bool first = false;        // chunk: raw starts with the message header
    bool last = false;         // chunk: raw ends the message

    byte_view body() const { return raw.subspan(5); }  // whole messages only
};

class frame_scanner {
  public:
    // Messages of up to max_whole bytes (header included) are delivered whole, so the
    // caller's buffer must hold at least max_whole bytes.
    explicit frame_scanner(std::size_t max_whole) : max_whole_(max_whole < 5 ? 5 : max_whole) {}

    // Looks at the unconsumed input and returns the next step; the caller drops
    // frame.raw.size() bytes from the front of its input before calling again.
    frame next(byte_view input);

    // True while the rest of a streamed message is still to come.
    bool mid_message() const { return stream_left_ != 0; }
    std::size_t max_whole() const { return max_whole_; }

  private:
    std::size_t max_whole_;
    std::uint64_t stream_left_ = 0;  // bytes of the current streamed message not yet seen
    char stream_type_ = 0;
    std::uint32_t stream_length_ = 0;
};

}  // namespace pgrelay::protocol
