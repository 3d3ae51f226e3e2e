// Standard base64 encoder and strict decoder (RFC 4648 section 4). Pure functions, no
// allocation beyond the result, never throws on bad input.
#include "protocol/base64.hpp"

#include <array>

namespace pgrelay::protocol::base64 {
namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr int8_t invalid = -1;

constexpr std::array<int8_t, 256> make_reverse_table() {
    std::array<int8_t, 256> table{};
    for (auto& v : table) {
        v = invalid;
    }
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
    }
    return table;
}

constexpr std::array<int8_t, 256> reverse = make_reverse_table();

}  // namespace

std::string encode(std::span<const uint8_t> data) {
    std::string out;
    out.reserve(encoded_size(data.size()));
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
        out.push_back(alphabet[(v >> 18) & 0x3f]);
        out.push_back(alphabet[(v >> 12) & 0x3f]);
        out.push_back(alphabet[(v >> 6) & 0x3f]);
        out.push_back(alphabet[v & 0x3f]);
    }
    const std::size_t rest = data.size() - i;
    if (rest == 1) {
        const uint32_t v = uint32_t{data[i]} << 16;
        out.push_back(alphabet[(v >> 18) & 0x3f]);
        out.push_back(alphabet[(v >> 12) & 0x3f]);
        out.append("==");
    } else if (rest == 2) {
        const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
        out.push_back(alphabet[(v >> 18) & 0x3f]);
        out.push_back(alphabet[(v >> 12) & 0x3f]);
        out.push_back(alphabet[(v >> 6) & 0x3f]);
        out.push_back('=');
    }
    return out;
}

std::string encode(std::string_view data) {
    return encode(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

std::optional<std::vector<uint8_t>> decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=') {
        padding = (text[text.size() - 2] == '=') ? 2 : 1;
    }
    std::vector<uint8_t> out;
    out.reserve(text.size() / 4 * 3 - padding);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        const std::size_t pad_here = last ? padding : 0;
        uint32_t v = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            if (j >= 4 - pad_here) {
                v <<= 6;  // a '=' checked below; contributes zero bits
                continue;
            }
            const int8_t d = reverse[static_cast<unsigned char>(text[i + j])];
            if (d == invalid) return std::nullopt;  // also rejects '=' in the middle
            v = (v << 6) | static_cast<uint32_t>(d);
        }
        out.push_back(static_cast<uint8_t>(v >> 16));
        if (pad_here == 2) {
            if ((v & 0xffff) != 0) return std::nullopt;  // non-canonical pad bits
            break;
        }
        out.push_back(static_cast<uint8_t>(v >> 8));
        if (pad_here == 1) {
            if ((v & 0xff) != 0) return std::nullopt;
            break;
        }
        out.push_back(static_cast<uint8_t>(v));
    }
    return out;
}

}  // namespace pgrelay::protocol::base64
