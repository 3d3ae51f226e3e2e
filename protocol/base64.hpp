// Standard base64 (RFC 4648 section 4, with '=' padding) as used by SCRAM messages and
// PostgreSQL SCRAM secrets. Decoding is strict: no whitespace, no missing padding, no
// characters outside the alphabet, no non-zero pad bits; bad input yields std::nullopt.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pgrelay::protocol::base64 {

// Length of the encoding of n bytes (always a multiple of 4).
constexpr std::size_t encoded_size(std::size_t n) noexcept {
    return (n + 2) / 3 * 4;
}

std::string encode(std::span<const uint8_t> data);
std::string encode(std::string_view data);

// Returns the decoded bytes, or std::nullopt when `text` is not canonical padded base64.
// The empty string decodes to an empty vector.
std::optional<std::vector<uint8_t>> decode(std::string_view text);

}  // namespace pgrelay::protocol::base64
