// PostgreSQL MD5 password authentication math (protocol docs "Message Flow",
// AuthenticationMD5Password): the stored "md5..." form of a password and the salted
// response a client sends back. Pure functions; nothing here throws on peer input.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace pgrelay::protocol::md5 {

// PostgreSQL's stored form: "md5" + hex(md5(password + user)), 35 characters.
// Throws std::runtime_error only if libcrypto cannot compute MD5 (e.g. a FIPS-only provider).
std::string password_hash(std::string_view password, std::string_view user);

// True when `text` is "md5" followed by exactly 32 lowercase hex digits.
bool is_md5_hash(std::string_view text) noexcept;

// What a client puts in PasswordMessage after AuthenticationMD5Password:
// "md5" + hex(md5(hex_part_of(stored) + salt)). Returns an empty string when
// `stored_md5_hash` is not is_md5_hash().
std::string salted_response(std::string_view stored_md5_hash, std::array<uint8_t, 4> salt);

// Constant-time check of a client's PasswordMessage payload (without the trailing NUL)
// against the stored hash. False for a malformed stored hash or response.
bool verify(std::string_view stored_md5_hash, std::array<uint8_t, 4> salt,
            std::string_view client_response);

}  // namespace pgrelay::protocol::md5
