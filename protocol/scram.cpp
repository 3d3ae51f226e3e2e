// SCRAM-SHA-256 secrets, SASLprep (partial, see scram.hpp), and the server and client
// exchanges. Message syntax follows RFC 5802 section 7 with PostgreSQL's restrictions
// (protocol docs "SCRAM-SHA-256 Authentication"). Crypto is OpenSSL 3 libcrypto.
#include "protocol/scram.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <stdexcept>
#include <utility>

#include "protocol/base64.hpp"
#include "protocol/channel_binding.hpp"

namespace pgrelay::protocol::scram {
namespace {

using key = std::array<uint8_t, 32>;
using bytes = std::span<const uint8_t>;

constexpr std::string_view secret_prefix = "SCRAM-SHA-256$";
// The only gs2 header this client sends: no channel binding, client does not support it.
constexpr std::string_view client_gs2_header = "n,,";

bytes as_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

[[noreturn]] void crypto_failure(const char* what) {
    throw std::runtime_error(std::string("libcrypto failed: ") + what);
}

key sha256(bytes data) {
    key out{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
        len != out.size()) {
        crypto_failure("SHA-256");
    }
    return out;
}

key hmac(bytes k, bytes data) {
    key out{};
    unsigned int len = 0;
    static const uint8_t empty = 0;
    const uint8_t* d = data.empty() ? &empty : data.data();
    const uint8_t* kp = k.empty() ? &empty : k.data();
    if (HMAC(EVP_sha256(), kp, static_cast<int>(k.size()), d, data.size(), out.data(), &len) ==
            nullptr ||
        len != out.size()) {
        crypto_failure("HMAC-SHA-256");
    }
    return out;
}

key hmac(bytes k, std::string_view data) {
    return hmac(k, as_bytes(data));
}

key salted_password(std::string_view prepared_password, bytes salt, int iterations) {
    key out{};
    static const char empty_pw = 0;
    static const uint8_t empty_salt = 0;
    const char* pw = prepared_password.empty() ? &empty_pw : prepared_password.data();
    const uint8_t* s = salt.empty() ? &empty_salt : salt.data();
    if (PKCS5_PBKDF2_HMAC(pw, static_cast<int>(prepared_password.size()), s,
                          static_cast<int>(salt.size()), iterations, EVP_sha256(),
                          static_cast<int>(out.size()), out.data()) != 1) {
        crypto_failure("PBKDF2-HMAC-SHA-256");
    }
    return out;
}

key xor_keys(const key& a, const key& b) {
    key out{};
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = a[i] ^ b[i];
    }
    return out;
}

bool equal_ct(const key& a, const key& b) {
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::vector<uint8_t> random_bytes(std::size_t n) {
    std::vector<uint8_t> out(n);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) crypto_failure("RAND_bytes");
    return out;
}

std::string random_nonce() {
    return base64::encode(random_bytes(nonce_random_bytes));
}

// RFC 5802 "printable": %x21-2B / %x2D-7E (visible ASCII except ',').
bool is_printable(std::string_view s) {
    for (char c : s) {
        if (c < 0x21 || c > 0x7e || c == ',') return false;
    }
    return true;
}

// Splits on ',' keeping empty fields ("a,,b" -> "a", "", "b").
std::vector<std::string_view> split_fields(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = s.find(',', start);
        if (comma == std::string_view::npos) {
            out.push_back(s.substr(start));
            return out;
        }
        out.push_back(s.substr(start, comma - start));
        start = comma + 1;
    }
}

// attr-val = ALPHA "=" value (RFC 5802 section 7).
bool is_attribute(std::string_view field) {
    if (field.size() < 2 || field[1] != '=') return false;
    const char c = field[0];
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The value of `field` if it is the attribute `name`.
std::optional<std::string_view> attribute(std::string_view field, char name) {
    if (!is_attribute(field) || field[0] != name) return std::nullopt;
    return field.substr(2);
}

std::optional<key> decode_key(std::string_view b64) {
    auto decoded = base64::decode(b64);
    if (!decoded || decoded->size() != key{}.size()) return std::nullopt;
    key out{};
    std::copy(decoded->begin(), decoded->end(), out.begin());
    return out;
}

// Plain decimal 1..INT_MAX, no sign, no spaces.
std::optional<int> parse_iterations(std::string_view s) {
    if (s.empty() || s.size() > 10) return std::nullopt;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    long long v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || v < 1 || v > INT_MAX) {
        return std::nullopt;
    }
    return static_cast<int>(v);
}

// saslname: ',' -> "=2C", '=' -> "=3D" (RFC 5802 section 5.1).
std::string escape_saslname(std::string_view user) {
    std::string out;
    for (char c : user) {
        if (c == ',') {
            out += "=2C";
        } else if (c == '=') {
            out += "=3D";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

// --- SASLprep helpers -------------------------------------------------------------------

struct code_range {
    char32_t first;
    char32_t last;
};

template <std::size_t N>
bool in_table(char32_t c, const code_range (&table)[N]) {
    for (const auto& r : table) {
        if (c >= r.first && c <= r.last) return true;
    }
    return false;
}

// RFC 3454 C.1.2: non-ASCII space characters, mapped to U+0020.
constexpr code_range non_ascii_spaces[] = {{0x00A0, 0x00A0}, {0x1680, 0x1680}, {0x2000, 0x200B},
                                           {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}};

// RFC 3454 B.1: commonly mapped to nothing.
constexpr code_range mapped_to_nothing[] = {{0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x1806, 0x1806},
                                            {0x180B, 0x180D}, {0x200B, 0x200D}, {0x2060, 0x2060},
                                            {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF}};

// RFC 4013 section 2.3 prohibited output: RFC 3454 C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7,
// C.8, C.9 (C.1.2 cannot occur after mapping).
constexpr code_range prohibited[] = {
    // C.2.1 ASCII control characters
    {0x0000, 0x001F},
    {0x007F, 0x007F},
    // C.2.2 non-ASCII control characters
    {0x0080, 0x009F},
    {0x06DD, 0x06DD},
    {0x070F, 0x070F},
    {0x180E, 0x180E},
    {0x200C, 0x200D},
    {0x2028, 0x2029},
    {0x2060, 0x2063},
    {0xFEFF, 0xFEFF},
    {0xFFF9, 0xFFFC},
    {0x1D173, 0x1D17A},
    // C.3 private use
    {0xE000, 0xF8FF},
    {0xF0000, 0xFFFFD},
    {0x100000, 0x10FFFD},
    // C.4 non-character code points (xFFFE-xFFFF of every plane are handled in code)
    {0xFDD0, 0xFDEF},
    // C.5 surrogates (never produced by the strict UTF-8 decoder, listed for completeness)
    {0xD800, 0xDFFF},
    // C.6 inappropriate for plain text
    {0xFFF9, 0xFFFD},
    // C.7 inappropriate for canonical representation
    {0x2FF0, 0x2FFB},
    // C.8 change display properties or deprecated
    {0x0340, 0x0341},
    {0x200E, 0x200F},
    {0x202A, 0x202E},
    {0x206A, 0x206F},
    // C.9 tagging characters
    {0xE0001, 0xE0001},
    {0xE0020, 0xE007F},
};

bool is_prohibited(char32_t c) {
    if ((c & 0xFFFE) == 0xFFFE) return true;  // C.4: U+xxFFFE and U+xxFFFF
    return in_table(c, prohibited);
}

// Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
std::optional<std::u32string> decode_utf8(std::string_view s) {
    std::u32string out;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        char32_t c = 0;
        char32_t min = 0;
        if (b0 < 0x80) {
            len = 1;
            c = b0;
        } else if ((b0 & 0xE0) == 0xC0) {
            len = 2;
            c = b0 & 0x1F;
            min = 0x80;
        } else if ((b0 & 0xF0) == 0xE0) {
            len = 3;
            c = b0 & 0x0F;
            min = 0x800;
        } else if ((b0 & 0xF8) == 0xF0) {
            len = 4;
            c = b0 & 0x07;
            min = 0x10000;
        } else {
            return std::nullopt;
        }
        if (s.size() - i < len) return std::nullopt;
        for (std::size_t j = 1; j < len; ++j) {
            const auto b = static_cast<unsigned char>(s[i + j]);
            if ((b & 0xC0) != 0x80) return std::nullopt;
            c = (c << 6) | (b & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return std::nullopt;
        out.push_back(c);
        i += len;
    }
    return out;
}

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

}  // namespace

// --- secrets ------------------------------------------------------------------------------

std::string saslprep(std::string_view password) {
    bool ascii = true;
    for (char c : password) {
        if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
    }
    if (ascii) return std::string(password);

    const auto code_points = decode_utf8(password);
    if (!code_points) return std::string(password);  // not UTF-8: raw bytes

    std::u32string mapped;
    mapped.reserve(code_points->size());
    for (char32_t c : *code_points) {
        // C.1.2 is checked first: U+200B is in both tables and becomes a space.
        if (in_table(c, non_ascii_spaces)) {
            mapped.push_back(U' ');
        } else if (!in_table(c, mapped_to_nothing)) {
            mapped.push_back(c);
        }
    }
    // (NFKC normalisation would go here; not implemented, see scram.hpp.)
    if (mapped.empty()) return std::string(password);  // PostgreSQL: prohibited -> raw
    for (char32_t c : mapped) {
        if (is_prohibited(c)) return std::string(password);
    }
    std::string out;
    out.reserve(password.size());
    for (char32_t c : mapped) {
        append_utf8(out, c);
    }
    return out;
}

std::optional<secret> parse_secret(std::string_view text) {
    if (!text.starts_with(secret_prefix)) return std::nullopt;
    text.remove_prefix(secret_prefix.size());
    // <iter>:<salt>$<StoredKey>:<ServerKey>
    const std::size_t dollar = text.find('$');
    if (dollar == std::string_view::npos) return std::nullopt;
    const std::string_view left = text.substr(0, dollar);
    const std::string_view right = text.substr(dollar + 1);
    const std::size_t colon_left = left.find(':');
    const std::size_t colon_right = right.find(':');
    if (colon_left == std::string_view::npos || colon_right == std::string_view::npos) {
        return std::nullopt;
    }
    const auto iterations = parse_iterations(left.substr(0, colon_left));
    auto salt = base64::decode(left.substr(colon_left + 1));
    const auto stored_key = decode_key(right.substr(0, colon_right));
    const auto server_key = decode_key(right.substr(colon_right + 1));
    if (!iterations || !salt || salt->empty() || !stored_key || !server_key) {
        return std::nullopt;
    }
    return secret{*iterations, std::move(*salt), *stored_key, *server_key};
}

std::string format_secret(const secret& s) {
    std::string out(secret_prefix);
    out += std::to_string(s.iterations);
    out += ':';
    out += base64::encode(s.salt);
    out += '$';
    out += base64::encode(s.stored_key);
    out += ':';
    out += base64::encode(s.server_key);
    return out;
}

bool is_scram_secret(std::string_view text) {
    return parse_secret(text).has_value();
}

secret make_secret(std::string_view password, std::span<const uint8_t> salt, int iterations) {
    if (iterations < 1) throw std::invalid_argument("SCRAM iterations must be at least 1");
    const std::string prepared = saslprep(password);
    key salted = salted_password(prepared, salt, iterations);
    const key client_key = hmac(salted, "Client Key");
    secret s;
    s.iterations = iterations;
    s.salt.assign(salt.begin(), salt.end());
    s.stored_key = sha256(client_key);
    s.server_key = hmac(salted, "Server Key");
    OPENSSL_cleanse(salted.data(), salted.size());
    return s;
}

secret make_secret(std::string_view password, int iterations) {
    const auto salt = random_bytes(default_salt_length);
    return make_secret(password, salt, iterations);
}

std::array<uint8_t, 32> make_mock_key() {
    const auto r = random_bytes(32);
    std::array<uint8_t, 32> out{};
    std::copy(r.begin(), r.end(), out.begin());
    return out;
}

// --- server_exchange ----------------------------------------------------------------------

server_exchange::server_exchange(secret stored, std::string server_nonce)
    : server_exchange(std::move(stored), std::move(server_nonce), false) {}

server_exchange::server_exchange(secret stored, std::string server_nonce, bool doomed)
    : secret_(std::move(stored)),
      doomed_(doomed),
      server_nonce_(server_nonce.empty() ? random_nonce() : std::move(server_nonce)) {}

server_exchange server_exchange::mock(std::string_view user, std::span<const uint8_t> mock_key,
                                      int iterations, std::string server_nonce) {
    if (iterations < 1) throw std::invalid_argument("SCRAM iterations must be at least 1");
    // Distinct labels so salt and keys are independent; all stable for one (key, user).
    auto derive = [&](std::string_view label) {
        std::string data(label);
        data.push_back('\0');
        data.append(user);
        return hmac(mock_key, data);
    };
    secret s;
    s.iterations = iterations;
    const key salt = derive("salt");
    s.salt.assign(salt.begin(), salt.begin() + default_salt_length);
    s.stored_key = derive("stored key");
    s.server_key = derive("server key");
    return server_exchange(std::move(s), std::move(server_nonce), true);
}

result server_exchange::fail(error_code code, std::string detail) {
    state_ = state::failed;
    return result{code, {}, std::move(detail)};
}

void server_exchange::bind_channel(std::vector<uint8_t> end_point, bool plus_selected) {
    end_point_ = std::move(end_point);
    plus_selected_ = plus_selected;
}

result server_exchange::handle_client_first(std::string_view msg) {
    if (state_ != state::expect_client_first) {
        if (state_ != state::succeeded) state_ = state::failed;
        return {error_code::out_of_order, {}, "client-first-message not expected now"};
    }
    if (msg.empty()) return fail(error_code::malformed_message, "empty client-first-message");
    if (msg.find('\0') != std::string_view::npos) {
        return fail(error_code::malformed_message, "NUL byte in client-first-message");
    }

    // gs2-header = gs2-cbind-flag "," [authzid] ","
    const auto gs2 = parse_gs2_header(msg);
    if (!gs2) {
        const std::size_t comma1 = msg.find(',');
        const bool truncated =
            comma1 == std::string_view::npos || msg.find(',', comma1 + 1) == std::string_view::npos;
        return fail(error_code::malformed_message,
                    truncated ? "truncated gs2 header" : "invalid gs2 channel binding flag");
    }
    switch (check_channel_binding(*gs2, !end_point_.empty(), plus_selected_)) {
        case cbind_check::ok:
            break;
        case cbind_check::downgrade:
            return fail(error_code::malformed_message,
                        "client thinks channel binding is not offered, but it is");
        case cbind_check::plus_without_p:
            return fail(error_code::malformed_message,
                        "the client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not "
                        "include channel binding data");
        case cbind_check::p_without_plus:
            return fail(error_code::malformed_message,
                        "the client selected SCRAM-SHA-256 without channel binding, but the SCRAM "
                        "message includes channel binding data");
        case cbind_check::not_offered:
            return fail(error_code::unsupported,
                        "channel binding (SCRAM-SHA-256-PLUS) is not supported");
        case cbind_check::unsupported_type:
            return fail(error_code::unsupported, "unsupported channel binding type");
    }
    const std::string_view authzid = gs2->authzid;
    const std::size_t comma2 = gs2->length - 1;
    if (!authzid.empty()) {
        if (attribute(authzid, 'a')) {
            return fail(error_code::unsupported, "authorization identity is not supported");
        }
        return fail(error_code::malformed_message, "invalid gs2 authzid");
    }
    bound_ = gs2->flag == cbind_flag::required;
    gs2_header_ = std::string(msg.substr(0, comma2 + 1));

    // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
    const std::string_view bare = msg.substr(comma2 + 1);
    const auto fields = split_fields(bare);
    if (attribute(fields[0], 'm')) {
        return fail(error_code::unsupported, "mandatory SCRAM extension is not supported");
    }
    if (fields.size() < 2 || !attribute(fields[0], 'n')) {
        return fail(error_code::malformed_message, "missing username attribute");
    }
    const auto client_nonce = attribute(fields[1], 'r');
    if (!client_nonce) return fail(error_code::malformed_message, "missing nonce attribute");
    if (client_nonce->empty() || !is_printable(*client_nonce)) {
        return fail(error_code::malformed_message, "invalid client nonce");
    }
    for (std::size_t i = 2; i < fields.size(); ++i) {
        if (!is_attribute(fields[i])) {
            return fail(error_code::malformed_message, "malformed extension attribute");
        }
    }

    client_first_bare_ = std::string(bare);
    nonce_ = std::string(*client_nonce) + server_nonce_;
    server_first_ = "r=" + nonce_ + ",s=" + base64::encode(secret_.salt) +
                    ",i=" + std::to_string(secret_.iterations);
    state_ = state::expect_client_final;
    return {error_code::none, server_first_, {}};
}

result server_exchange::handle_client_final(std::string_view msg) {
    if (state_ != state::expect_client_final) {
        if (state_ != state::succeeded) state_ = state::failed;
        return {error_code::out_of_order, {}, "client-final-message not expected now"};
    }
    if (msg.empty()) return fail(error_code::malformed_message, "empty client-final-message");
    if (msg.find('\0') != std::string_view::npos) {
        return fail(error_code::malformed_message, "NUL byte in client-final-message");
    }

    // client-final-message = "c=" cbind "," "r=" nonce ["," extensions] "," "p=" proof
    const auto fields = split_fields(msg);
    const auto cbind = attribute(fields[0], 'c');
    if (!cbind) return fail(error_code::malformed_message, "missing channel binding attribute");
    const auto cbind_input = base64::decode(*cbind);
    if (!cbind_input) {
        return fail(error_code::malformed_message, "channel binding attribute is not base64");
    }
    std::vector<uint8_t> expected(gs2_header_.begin(), gs2_header_.end());
    if (bound_) expected.insert(expected.end(), end_point_.begin(), end_point_.end());
    if (*cbind_input != expected) {
        return fail(error_code::malformed_message, "channel binding check failed");
    }
    if (fields.size() < 3) return fail(error_code::malformed_message, "missing proof attribute");
    const auto nonce = attribute(fields[1], 'r');
    if (!nonce) return fail(error_code::malformed_message, "missing nonce attribute");
    if (*nonce != nonce_) return fail(error_code::malformed_message, "nonce does not match");
    for (std::size_t i = 2; i + 1 < fields.size(); ++i) {
        if (!is_attribute(fields[i]) || fields[i][0] == 'p') {
            return fail(error_code::malformed_message, "malformed extension attribute");
        }
    }
    const std::string_view proof_field = fields.back();
    const auto proof_b64 = attribute(proof_field, 'p');
    if (!proof_b64) return fail(error_code::malformed_message, "missing proof attribute");
    const auto proof = decode_key(*proof_b64);
    if (!proof) return fail(error_code::malformed_message, "malformed client proof");

    // AuthMessage = client-first-message-bare "," server-first-message ","
    //               client-final-message-without-proof
    const std::string_view without_proof = msg.substr(0, msg.size() - proof_field.size() - 1);
    std::string auth_message = client_first_bare_;
    auth_message += ',';
    auth_message += server_first_;
    auth_message += ',';
    auth_message += without_proof;

    const key client_signature = hmac(secret_.stored_key, auth_message);
    const key client_key = xor_keys(*proof, client_signature);
    const bool proof_ok = equal_ct(sha256(client_key), secret_.stored_key);
    const key server_signature = hmac(secret_.server_key, auth_message);
    if (!proof_ok || doomed_) return fail(error_code::wrong_password, "password does not match");

    client_key_ = client_key;
    state_ = state::succeeded;
    return {error_code::none, "v=" + base64::encode(server_signature), {}};
}

std::optional<client_keys> server_exchange::recovered_keys() const {
    if (state_ != state::succeeded) return std::nullopt;
    return client_keys{client_key_, secret_.server_key};
}

// --- client_exchange ----------------------------------------------------------------------

client_exchange::client_exchange(std::string_view password, client_options options)
    : client_exchange(saslprep(password), std::nullopt, std::move(options)) {}

client_exchange::client_exchange(const client_keys& keys, client_options options)
    : client_exchange(std::nullopt, keys, std::move(options)) {}

client_exchange::client_exchange(std::optional<std::string> password,
                                 std::optional<client_keys> keys, client_options options)
    : password_(std::move(password)),
      keys_(keys),
      client_nonce_(options.nonce.empty() ? random_nonce() : std::move(options.nonce)),
      client_first_bare_("n=" + escape_saslname(options.user) + ",r=" + client_nonce_) {}

std::string client_exchange::client_first_message() {
    if (state_ == state::initial) state_ = state::expect_server_first;
    return std::string(client_gs2_header) + client_first_bare_;
}

result client_exchange::fail(error_code code, std::string detail) {
    state_ = state::failed;
    return result{code, {}, std::move(detail)};
}

result client_exchange::handle_server_first(std::string_view msg) {
    if (state_ != state::expect_server_first) {
        if (state_ != state::succeeded) state_ = state::failed;
        return {error_code::out_of_order, {}, "server-first-message not expected now"};
    }
    if (msg.empty()) return fail(error_code::malformed_message, "empty server-first-message");
    if (msg.find('\0') != std::string_view::npos) {
        return fail(error_code::malformed_message, "NUL byte in server-first-message");
    }

    // server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count
    //                        ["," extensions]
    const auto fields = split_fields(msg);
    if (attribute(fields[0], 'm')) {
        return fail(error_code::unsupported, "mandatory SCRAM extension is not supported");
    }
    const auto nonce = attribute(fields[0], 'r');
    if (!nonce) return fail(error_code::malformed_message, "missing nonce attribute");
    if (!nonce->starts_with(client_nonce_) || nonce->size() == client_nonce_.size() ||
        !is_printable(*nonce)) {
        return fail(error_code::malformed_message, "server nonce does not extend ours");
    }
    if (fields.size() < 3) {
        return fail(error_code::malformed_message, "missing salt or iteration count");
    }
    const auto salt_b64 = attribute(fields[1], 's');
    if (!salt_b64) return fail(error_code::malformed_message, "missing salt attribute");
    const auto salt = base64::decode(*salt_b64);
    if (!salt || salt->empty()) return fail(error_code::malformed_message, "malformed salt");
    const auto iterations_text = attribute(fields[2], 'i');
    if (!iterations_text) {
        return fail(error_code::malformed_message, "missing iteration count attribute");
    }
    const auto iterations = parse_iterations(*iterations_text);
    if (!iterations) return fail(error_code::malformed_message, "invalid iteration count");
    if (*iterations > max_client_iterations) {
        return fail(error_code::unsupported, "iteration count " + std::to_string(*iterations) +
                                                 " above the limit of " +
                                                 std::to_string(max_client_iterations));
    }
    for (std::size_t i = 3; i < fields.size(); ++i) {
        if (!is_attribute(fields[i])) {
            return fail(error_code::malformed_message, "malformed extension attribute");
        }
    }

    key client_key{};
    key server_key{};
    if (keys_) {
        client_key = keys_->client_key;
        server_key = keys_->server_key;
    } else {
        key salted = salted_password(*password_, *salt, *iterations);
        client_key = hmac(salted, "Client Key");
        server_key = hmac(salted, "Server Key");
        OPENSSL_cleanse(salted.data(), salted.size());
    }

    std::string final_message = "c=" + base64::encode(client_gs2_header) + ",r=";
    final_message += *nonce;
    std::string auth_message = client_first_bare_;
    auth_message += ',';
    auth_message += msg;
    auth_message += ',';
    auth_message += final_message;

    const key client_signature = hmac(sha256(client_key), auth_message);
    const key proof = xor_keys(client_key, client_signature);
    expected_server_signature_ = hmac(server_key, auth_message);
    OPENSSL_cleanse(client_key.data(), client_key.size());

    final_message += ",p=";
    final_message += base64::encode(proof);
    state_ = state::expect_server_final;
    return {error_code::none, std::move(final_message), {}};
}

bool client_exchange::verify_server_final(std::string_view msg) {
    if (state_ != state::expect_server_final) {
        if (state_ != state::succeeded) state_ = state::failed;
        return false;
    }
    state_ = state::failed;
    if (msg.find('\0') != std::string_view::npos) return false;
    // server-final-message = (server-error / verifier) ["," extensions]
    const auto fields = split_fields(msg);
    for (std::size_t i = 1; i < fields.size(); ++i) {
        if (!is_attribute(fields[i])) return false;
    }
    if (const auto error = attribute(fields[0], 'e')) {
        server_error_ = std::string(*error);
        return false;
    }
    const auto verifier = attribute(fields[0], 'v');
    if (!verifier) return false;
    const auto signature = decode_key(*verifier);
    if (!signature || !equal_ct(*signature, expected_server_signature_)) return false;
    state_ = state::succeeded;
    return true;
}

}  // namespace pgrelay::protocol::scram
