// MD5 password hashing and salted-response verification for AuthenticationMD5Password,
// computed with OpenSSL 3 EVP (libcrypto only). Comparisons are constant-time.
#include "protocol/md5_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>

namespace pgrelay::protocol::md5 {
namespace {

constexpr std::string_view prefix = "md5";
constexpr std::size_t hex_length = 32;

// "md5" + lowercase hex of md5(a || b).
std::string md5_hex(std::string_view a, std::string_view b) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1 &&
                    EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
                    EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
                    EVP_DigestFinal_ex(ctx, digest, &len) == 1 && len == 16;
    EVP_MD_CTX_free(ctx);
    if (!ok) throw std::runtime_error("libcrypto failed to compute MD5");
    constexpr std::string_view digits = "0123456789abcdef";
    std::string out(prefix);
    out.reserve(prefix.size() + hex_length);
    for (unsigned int i = 0; i < len; ++i) {
        out.push_back(digits[digest[i] >> 4]);
        out.push_back(digits[digest[i] & 0x0f]);
    }
    return out;
}

}  // namespace

std::string password_hash(std::string_view password, std::string_view user) {
    return md5_hex(password, user);
}

bool is_md5_hash(std::string_view text) noexcept {
    if (text.size() != prefix.size() + hex_length || !text.starts_with(prefix)) return false;
    for (char c : text.substr(prefix.size())) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

std::string salted_response(std::string_view stored_md5_hash, std::array<uint8_t, 4> salt) {
    if (!is_md5_hash(stored_md5_hash)) return {};
    return md5_hex(stored_md5_hash.substr(prefix.size()),
                   std::string_view(reinterpret_cast<const char*>(salt.data()), salt.size()));
}

bool verify(std::string_view stored_md5_hash, std::array<uint8_t, 4> salt,
            std::string_view client_response) {
    const std::string expected = salted_response(stored_md5_hash, salt);
    if (expected.empty() || client_response.size() != expected.size()) return false;
    return CRYPTO_memcmp(expected.data(), client_response.data(), expected.size()) == 0;
}

}  // namespace pgrelay::protocol::md5
