// Big-endian reading and writing of protocol fields (Int16, Int32, String, Byte-n), the
// building blocks of every message view and builder. A reader never reads past its span:
// a short or malformed field sets its failed flag instead of throwing.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pgrelay::protocol {

using bytes = std::vector<std::uint8_t>;
using byte_view = std::span<const std::uint8_t>;

inline std::uint32_t load_be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}
inline std::uint16_t load_be16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

inline byte_view as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(byte_view b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Sequential reader over a message body. Every accessor returns a neutral value and sets
// failed() once the body is too short or a String lacks its terminator.
class byte_reader {
  public:
    explicit byte_reader(byte_view data) : data_(data) {}

    std::uint8_t u8() {
        if (!need(1)) return 0;
        return data_[pos_++];
    }
    std::int16_t i16() {
        if (!need(2)) return 0;
        auto v = load_be16(data_.data() + pos_);
        pos_ += 2;
        return static_cast<std::int16_t>(v);
    }
    std::int32_t i32() {
        if (!need(4)) return 0;
        auto v = load_be32(data_.data() + pos_);
        pos_ += 4;
        return static_cast<std::int32_t>(v);
    }
    // A NUL-terminated String; the terminator is consumed, not returned.
    std::string_view cstring() {
        if (failed_ || pos_ == data_.size()) {
            failed_ = true;
            return {};
        }
        const void* end = std::memchr(data_.data() + pos_, 0, data_.size() - pos_);
        if (end == nullptr) {
            failed_ = true;
            return {};
        }
        auto len =
            static_cast<std::size_t>(static_cast<const std::uint8_t*>(end) - data_.data()) - pos_;
        std::string_view s(reinterpret_cast<const char*>(data_.data() + pos_), len);
        pos_ += len + 1;
        return s;
    }
    byte_view take(std::size_t n) {
        if (!need(n)) return {};
        byte_view v = data_.subspan(pos_, n);
        pos_ += n;
        return v;
    }
    byte_view rest() {
        byte_view v = data_.subspan(pos_);
        pos_ = data_.size();
        return v;
    }

    bool failed() const { return failed_; }
    bool at_end() const { return pos_ == data_.size(); }
    std::size_t remaining() const { return data_.size() - pos_; }

  private:
    bool need(std::size_t n) {
        if (failed_ || data_.size() - pos_ < n) {
            failed_ = true;
            return false;
        }
        return true;
    }

    byte_view data_;
    std::size_t pos_ = 0;
    bool failed_ = false;
};

// Appends one message to a byte vector: type byte (none for startup packets), a length
// placeholder patched by finish(), then fields.
class message_writer {
  public:
    // type == 0 writes an untyped (startup-phase) packet.
    explicit message_writer(bytes& out, char type) : out_(out) {
        if (type != 0) out_.push_back(static_cast<std::uint8_t>(type));
        length_at_ = out_.size();
        out_.resize(out_.size() + 4);
    }
    message_writer(const message_writer&) = delete;
    message_writer& operator=(const message_writer&) = delete;
    ~message_writer() { finish(); }

    message_writer& u8(std::uint8_t v) {
        out_.push_back(v);
        return *this;
    }
    message_writer& i16(std::int16_t v) {
        out_.push_back(static_cast<std::uint8_t>(static_cast<std::uint16_t>(v) >> 8));
        out_.push_back(static_cast<std::uint8_t>(v));
        return *this;
    }
    message_writer& i32(std::int32_t v) {
        std::uint8_t b[4];
        store_be32(b, static_cast<std::uint32_t>(v));
        out_.insert(out_.end(), b, b + 4);
        return *this;
    }
    message_writer& cstring(std::string_view s) {
        out_.insert(out_.end(), s.begin(), s.end());
        out_.push_back(0);
        return *this;
    }
    message_writer& raw(byte_view b) {
        out_.insert(out_.end(), b.begin(), b.end());
        return *this;
    }
    message_writer& raw(std::string_view s) { return raw(as_bytes(s)); }

    void finish() {
        if (finished_) return;
        finished_ = true;
        store_be32(out_.data() + length_at_, static_cast<std::uint32_t>(out_.size() - length_at_));
    }

  private:
    bytes& out_;
    std::size_t length_at_;
    bool finished_ = false;
};

}  // namespace pgrelay::protocol
