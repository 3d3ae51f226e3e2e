// Incremental framing of typed protocol messages; see framer.hpp.
#include "protocol/framer.hpp"

#include <algorithm>

namespace pgrelay::protocol {

frame frame_scanner::next(byte_view input) {
    frame f;
    if (stream_left_ != 0) {
        if (input.empty()) return f;
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(stream_left_, input.size()));
        stream_left_ -= n;
        f.status = frame_status::chunk;
        f.type = stream_type_;
        f.length = stream_length_;
        f.raw = input.first(n);
        f.last = stream_left_ == 0;
        return f;
    }
    if (input.size() < 5) return f;

    f.type = static_cast<char>(input[0]);
    f.length = load_be32(input.data() + 1);
    if (f.length < 4 || f.length > max_message_length) {
        f.status = frame_status::bad_length;
        return f;
    }
    const std::uint64_t total = std::uint64_t{f.length} + 1;
    if (input.size() >= total) {
        f.status = frame_status::message;
        f.raw = input.first(static_cast<std::size_t>(total));
        return f;
    }
    if (total <= max_whole_) return f;  // fits the buffer: wait for all of it

    f.status = frame_status::chunk;
    f.raw = input;
    f.first = true;
    stream_left_ = total - input.size();
    stream_type_ = f.type;
    stream_length_ = f.length;
    return f;
}

}  // namespace pgrelay::protocol
