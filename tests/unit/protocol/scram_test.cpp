// Unit tests for protocol/scram: the RFC 7677 test vector on both sides, secrets made by a
// real PostgreSQL 15 (including SASLprep cases), client_exchange against server_exchange
// (password, recovered keys, mock), and malformed messages of every kind.
#include "protocol/scram.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "protocol/base64.hpp"

namespace pgrelay::protocol {
namespace {

using scram::error_code;

// --- RFC 7677 section 3 ----------------------------------------------------------------
constexpr std::string_view rfc_password = "pencil";
constexpr std::string_view rfc_client_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view rfc_server_nonce_part = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view rfc_salt = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr std::string_view rfc_client_first = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view rfc_server_first =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view rfc_client_final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view rfc_server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

std::vector<uint8_t> b64(std::string_view s) {
    auto d = base64::decode(s);
    EXPECT_TRUE(d.has_value()) << s;
    return d.value_or(std::vector<uint8_t>{});
}

// Computed once: PBKDF2 with 4096 rounds is the slow part of these tests.
const scram::secret& rfc_secret() {
    static const scram::secret s = scram::make_secret(rfc_password, b64(rfc_salt), 4096);
    return s;
}

scram::client_options rfc_client_options() {
    return {"user", std::string(rfc_client_nonce)};
}

// --- An independent SCRAM computation with libcrypto, for messages the client_exchange
// --- never produces (gs2 "y,,", extensions).
using key = std::array<uint8_t, 32>;

key test_hmac(const key& k, std::string_view data) {
    key out{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
    return out;
}

key test_sha256(const key& k) {
    key out{};
    unsigned int len = 0;
    EVP_Digest(k.data(), k.size(), out.data(), &len, EVP_sha256(), nullptr);
    return out;
}

key test_salted_password(std::string_view password, const std::vector<uint8_t>& salt,
                         int iterations) {
    key out{};
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                      static_cast<int>(salt.size()), iterations, EVP_sha256(), 32, out.data());
    return out;
}

// client-final-message-without-proof + ",p=" + proof, for `password`.
std::string test_client_final(std::string_view password, const std::vector<uint8_t>& salt,
                              int iterations, std::string_view client_first_bare,
                              std::string_view server_first, std::string_view without_proof) {
    const key salted = test_salted_password(password, salt, iterations);
    const key client_key = test_hmac(salted, "Client Key");
    const std::string auth = std::string(client_first_bare) + "," + std::string(server_first) +
                             "," + std::string(without_proof);
    const key signature = test_hmac(test_sha256(client_key), auth);
    key proof{};
    for (std::size_t i = 0; i < 32; ++i)
        proof[i] = client_key[i] ^ signature[i];
    return std::string(without_proof) + ",p=" + base64::encode(proof);
}

std::string nonce_of(std::string_view server_first) {
    // "r=<nonce>,s=..."
    return std::string(server_first.substr(2, server_first.find(',') - 2));
}

// A full client/server conversation; returns true when both sides succeeded.
struct conversation {
    scram::result server_first;
    scram::result client_final;
    scram::result server_final;
    bool client_verified = false;
};

conversation converse(scram::client_exchange& client, scram::server_exchange& server) {
    conversation c;
    c.server_first = server.handle_client_first(client.client_first_message());
    if (!c.server_first.ok()) return c;
    c.client_final = client.handle_server_first(c.server_first.message);
    if (!c.client_final.ok()) return c;
    c.server_final = server.handle_client_final(c.client_final.message);
    if (!c.server_final.ok()) return c;
    c.client_verified = client.verify_server_final(c.server_final.message);
    return c;
}

// ======================================================================================
// RFC 7677 test vector
// ======================================================================================

TEST(ScramRfc7677, ClientSide) {
    scram::client_exchange client(rfc_password, rfc_client_options());
    EXPECT_EQ(client.client_first_message(), rfc_client_first);
    const auto final_message = client.handle_server_first(rfc_server_first);
    ASSERT_TRUE(final_message.ok()) << final_message.detail;
    EXPECT_EQ(final_message.message, rfc_client_final);
    EXPECT_FALSE(client.succeeded());
    EXPECT_TRUE(client.verify_server_final(rfc_server_final));
    EXPECT_TRUE(client.succeeded());
    EXPECT_TRUE(client.server_error().empty());
}

TEST(ScramRfc7677, ServerSide) {
    scram::server_exchange server(rfc_secret(), std::string(rfc_server_nonce_part));
    const auto first = server.handle_client_first(rfc_client_first);
    ASSERT_TRUE(first.ok()) << first.detail;
    EXPECT_EQ(first.message, rfc_server_first);
    EXPECT_FALSE(server.recovered_keys().has_value());
    const auto final_message = server.handle_client_final(rfc_client_final);
    ASSERT_TRUE(final_message.ok()) << final_message.detail;
    EXPECT_EQ(final_message.message, rfc_server_final);
    EXPECT_TRUE(server.succeeded());
}

TEST(ScramRfc7677, RecoveredKeysAreTheRealKeys) {
    scram::server_exchange server(rfc_secret(), std::string(rfc_server_nonce_part));
    ASSERT_TRUE(server.handle_client_first(rfc_client_first).ok());
    ASSERT_TRUE(server.handle_client_final(rfc_client_final).ok());
    const auto keys = server.recovered_keys();
    ASSERT_TRUE(keys.has_value());
    const key salted = test_salted_password(rfc_password, b64(rfc_salt), 4096);
    EXPECT_EQ(keys->client_key, test_hmac(salted, "Client Key"));
    EXPECT_EQ(keys->server_key, test_hmac(salted, "Server Key"));
    EXPECT_EQ(test_sha256(keys->client_key), rfc_secret().stored_key);
}

TEST(ScramRfc7677, KeysModeClientProducesTheSameMessages) {
    scram::server_exchange server(rfc_secret(), std::string(rfc_server_nonce_part));
    ASSERT_TRUE(server.handle_client_first(rfc_client_first).ok());
    ASSERT_TRUE(server.handle_client_final(rfc_client_final).ok());
    scram::client_exchange client(*server.recovered_keys(), rfc_client_options());
    EXPECT_EQ(client.client_first_message(), rfc_client_first);
    const auto final_message = client.handle_server_first(rfc_server_first);
    ASSERT_TRUE(final_message.ok());
    EXPECT_EQ(final_message.message, rfc_client_final);
    EXPECT_TRUE(client.verify_server_final(rfc_server_final));
}

// ======================================================================================
// Secrets
// ======================================================================================

struct pg_secret {
    const char* what;
    std::string_view password;  // UTF-8 bytes as given to ALTER ROLE
    std::string_view rolpassword;
};

// Made by PostgreSQL 15.x (initdb -E UTF8; CREATE ROLE t PASSWORD ...; SELECT rolpassword).
const pg_secret pg15_secrets[] = {
    {"ascii", "correct horse battery staple",
     "SCRAM-SHA-256$4096:4dQL+I0SkxxZW/T4vjKXMQ==$lJBuvcrKEx5y2w9jawjcrknDfKV2Hw7Gr42fs7ZKYFY=:"
     "vpx83wyKtnRQ3d/VjAMwjqFhbjAqfqRH3K6U8AJoGD4="},
    {"ascii with backslashes", "a\\u00a0b",
     "SCRAM-SHA-256$4096:eGCwbB2zQsCqBDHOM1xX2w==$ULwLT3eXpLainCvzW3FrpG+ZiryDRVLjxAhBFAb86ps=:"
     "5j0eGkl2dsNJdt9EpNWufCqL442X1fj3xrUihPqLj7k="},
    {"precomposed umlauts (NFKC already)", "p\xc3\xa4ssw\xc3\xb6rd",
     "SCRAM-SHA-256$4096:v8zCyL1XrQiuvo8f9ntDaA==$x2f2O+uSTyiQGsTVq3/l7BYyWoUAR/tMe7GJLU47Mv4=:"
     "jCImpFxQaug8o0iMIy+TKQE7WKizveMujGIfoaEbQFw="},
    {"U+00A0 no-break space maps to space",
     "a\xc2\xa0"
     "b",
     "SCRAM-SHA-256$4096:NPaFW+RUGSzwp/wdyvsfiw==$Ul9TveV3AUl1Lh5w0XtDNkmE0lx1vASv2Vqqro8a4B0=:"
     "pn2C6KovvR6JyVW4O7OOm6EFZ95Jor8S0Q/zpDG9ax8="},
    {"U+200B zero width space maps to space (C.1.2 wins over B.1)",
     "a\xe2\x80\x8b"
     "b",
     "SCRAM-SHA-256$4096:6FmsI5PH8Y6nq/vGRFgoUA==$lp4MUfynG4r8pe2YNK4GhzXrOhw1XYppKM+0AjTEiww=:"
     "X/tXNRvTo14LtaR3fZO91hKmaGOjm8P0aSccwCyrjSg="},
    {"U+00AD soft hyphen maps to nothing", "pass\xc2\xadword",
     "SCRAM-SHA-256$4096:Dqcz2ENU6+gcjE9XSBmUPg==$FJS89dPgE3zA1BmP5DFl9lO1sA9xuElZhQGayZP3NMs=:"
     "5czAWynJhgHxf1XQ34dlwGWyy/8Ngw3W9lOEAcx7dhc="},
    {"only a soft hyphen: empty after mapping, raw bytes used", "\xc2\xad",
     "SCRAM-SHA-256$4096:cbboDM8J4TG8x+9xCbtKNA==$FSPgIGpnwrmRROVdTzrP4Jl2ZKfDwlr5NJ5WLlrGa98=:"
     "gnBKxUNJhQk3z5HGxND6eoBTlnLu3Hlpg49BzTzCu0o="},
    {"U+E000 private use is prohibited: raw bytes used", "x\xee\x80\x80y",
     "SCRAM-SHA-256$4096:ol23CsCmmETZkYKzBJgP3Q==$NXS/kuuC00tJRV50W0wAkKaRf994UFqn+Jc4Jj7kUiY=:"
     "UI0oa0fbKpZ5gRocXumtD4tUWTubA1VcPWSwikuIzus="},
    {"U+3000 ideographic space maps to space",
     "caf\xc3\xa9\xe3\x80\x80"
     "bar",
     "SCRAM-SHA-256$4096:xMhXZOWbsDTZROHE4ksamQ==$Ny2GwPEvBBMHjQkVSG67upofr2RF+rfRvCRraPqv6qo=:"
     "1ldZ0fHBPGFCeKfAzbTadUKSTGV+r9gF3Ahvkb6FFsI="},
    {"emoji (unassigned in Unicode 3.2): raw bytes", "\xf0\x9f\x98\x80smile",
     "SCRAM-SHA-256$4096:oNFUM14m8eEHa4Wbece7jQ==$6bJzZE3v+0nSwyxuojDtyZvMXLgT07x8i6k7jV3nI4E=:"
     "2RncoUffDcKCwNEeMAx7D5B0xZug2crNrUrBtC+i/s0="},
};

TEST(ScramSecret, MatchesPostgres15) {
    for (const auto& pg : pg15_secrets) {
        SCOPED_TRACE(pg.what);
        const auto parsed = scram::parse_secret(pg.rolpassword);
        ASSERT_TRUE(parsed.has_value());
        EXPECT_EQ(parsed->iterations, 4096);
        EXPECT_EQ(parsed->salt.size(), 16u);
        EXPECT_EQ(scram::format_secret(*parsed), pg.rolpassword);
        const auto made = scram::make_secret(pg.password, parsed->salt, parsed->iterations);
        EXPECT_EQ(made, *parsed);
        EXPECT_EQ(scram::format_secret(made), pg.rolpassword);
        EXPECT_TRUE(scram::is_scram_secret(pg.rolpassword));
    }
}

TEST(ScramSecret, Postgres15SecretAuthenticatesTheRightPasswordOnly) {
    const auto stored = scram::parse_secret(pg15_secrets[0].rolpassword);
    ASSERT_TRUE(stored.has_value());
    {
        scram::client_exchange client(pg15_secrets[0].password);
        scram::server_exchange server(*stored);
        const auto c = converse(client, server);
        EXPECT_TRUE(c.server_final.ok()) << c.server_final.detail;
        EXPECT_TRUE(c.client_verified);
    }
    {
        scram::client_exchange client("correct horse battery stapler");
        scram::server_exchange server(*stored);
        const auto c = converse(client, server);
        EXPECT_EQ(c.server_final.code, error_code::wrong_password);
    }
}

TEST(ScramSecret, Rfc7677SecretRoundTrips) {
    const auto s = rfc_secret();
    EXPECT_EQ(s.iterations, 4096);
    EXPECT_EQ(base64::encode(s.salt), rfc_salt);
    const auto text = scram::format_secret(s);
    EXPECT_TRUE(text.starts_with("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"));
    const auto parsed = scram::parse_secret(text);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, s);
}

TEST(ScramSecret, RandomSaltOverload) {
    const auto a = scram::make_secret("pw");
    const auto b = scram::make_secret("pw");
    EXPECT_EQ(a.iterations, scram::default_iterations);
    EXPECT_EQ(a.salt.size(), scram::default_salt_length);
    EXPECT_NE(a.salt, b.salt);
    EXPECT_NE(a.stored_key, b.stored_key);
    const auto c = scram::make_secret("pw", 10);
    EXPECT_EQ(c.iterations, 10);
    EXPECT_EQ(scram::make_secret("pw", c.salt, 10), c);
    EXPECT_EQ(scram::parse_secret(scram::format_secret(c)), c);
}

TEST(ScramSecret, IterationsMatter) {
    const auto salt = b64(rfc_salt);
    EXPECT_NE(scram::make_secret("pw", salt, 4096), scram::make_secret("pw", salt, 4097));
    EXPECT_EQ(scram::make_secret("pw", salt, 1).iterations, 1);
}

TEST(ScramSecret, BadIterationsThrowInvalidArgument) {
    const auto salt = b64(rfc_salt);
    EXPECT_THROW(scram::make_secret("pw", salt, 0), std::invalid_argument);
    EXPECT_THROW(scram::make_secret("pw", salt, -5), std::invalid_argument);
    EXPECT_THROW(scram::make_secret("pw", 0), std::invalid_argument);
}

TEST(ScramSecret, EmptyPasswordAndEmptySaltAreComputable) {
    const std::vector<uint8_t> no_salt;
    const auto s = scram::make_secret("", no_salt, 2);
    EXPECT_EQ(s, scram::make_secret("", no_salt, 2));
    // An empty salt cannot be stored, though: parse_secret refuses it.
    EXPECT_FALSE(scram::parse_secret(scram::format_secret(s)).has_value());
}

TEST(ScramSecret, ParseRejectsMalformed) {
    const std::string good(pg15_secrets[0].rolpassword);
    const std::string key44 = "lJBuvcrKEx5y2w9jawjcrknDfKV2Hw7Gr42fs7ZKYFY=";
    const std::string salt = "4dQL+I0SkxxZW/T4vjKXMQ==";
    const std::vector<std::string> bad = {
        "",
        "SCRAM-SHA-256",
        "SCRAM-SHA-256$",
        "scram-sha-256$4096:" + salt + "$" + key44 + ":" + key44,
        "SCRAM-SHA-1$4096:" + salt + "$" + key44 + ":" + key44,
        "SCRAM-SHA-256$0:" + salt + "$" + key44 + ":" + key44,
        "SCRAM-SHA-256$-1:" + salt + "$" + key44 + ":" + key44,
        "SCRAM-SHA-256$+4096:" + salt + "$" + key44 + ":" + key44,
        "SCRAM-SHA-256$ 4096:" + salt + "$" + key44 + ":" + key44,
        "SCRAM-SHA-256$4096 :" + salt + "$" + key44 + ":" + key44,
        "SCRAM-SHA-256$4096x:" + salt + "$" + key44 + ":" + key44,
        "SCRAM-SHA-256$2147483648:" + salt + "$" + key44 + ":" + key44,
        "SCRAM-SHA-256$99999999999999999999:" + salt + "$" + key44 + ":" + key44,
        "SCRAM-SHA-256$:" + salt + "$" + key44 + ":" + key44,
        "SCRAM-SHA-256$4096:$" + key44 + ":" + key44,
        "SCRAM-SHA-256$4096:***$" + key44 + ":" + key44,
        "SCRAM-SHA-256$4096" + salt + "$" + key44 + ":" + key44,
        "SCRAM-SHA-256$4096:" + salt + key44 + ":" + key44,
        "SCRAM-SHA-256$4096:" + salt + "$" + key44 + key44,
        "SCRAM-SHA-256$4096:" + salt + "$" + key44 + ":",
        "SCRAM-SHA-256$4096:" + salt + "$:" + key44,
        "SCRAM-SHA-256$4096:" + salt + "$" + key44 + ":" + key44 + "x",
        "SCRAM-SHA-256$4096:" + salt + "$" + key44 + ":" + key44 + "$",
        "SCRAM-SHA-256$4096:" + salt + "$" + key44 + ":" + key44 + ":" + key44,
        "SCRAM-SHA-256$4096:" + salt + "$" + key44 + ":" + base64::encode(std::string(31, 'k')),
        "SCRAM-SHA-256$4096:" + salt + "$" + key44 + ":" + base64::encode(std::string(33, 'k')),
        "SCRAM-SHA-256$4096:" + salt + "$" + base64::encode(std::string(31, 'k')) + ":" + key44,
        "SCRAM-SHA-256$4096:" + salt + "$" + key44 + ":" + key44 + std::string(1, '\0'),
        " " + good,
        good + "\n",
        "md54a0a68b43b6cd5cf266fa02f196e2371",
        "correct horse battery staple",
    };
    for (const auto& s : bad) {
        EXPECT_FALSE(scram::parse_secret(s).has_value()) << s;
        EXPECT_FALSE(scram::is_scram_secret(s)) << s;
    }
}

TEST(ScramSecret, EveryTruncationIsRejected) {
    const std::string_view good = pg15_secrets[0].rolpassword;
    for (std::size_t len = 0; len < good.size(); ++len) {
        EXPECT_FALSE(scram::parse_secret(good.substr(0, len)).has_value()) << len;
    }
}

TEST(ScramSecret, ParseAcceptsLargeIterationsAndOtherSaltSizes) {
    const std::string key44 = "lJBuvcrKEx5y2w9jawjcrknDfKV2Hw7Gr42fs7ZKYFY=";
    const auto s = scram::parse_secret("SCRAM-SHA-256$2147483647:AA==$" + key44 + ":" + key44);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->iterations, 2147483647);
    EXPECT_EQ(s->salt, std::vector<uint8_t>{0});
}

// ======================================================================================
// SASLprep
// ======================================================================================

TEST(ScramSaslprep, AsciiIsUnchanged) {
    EXPECT_EQ(scram::saslprep(""), "");
    EXPECT_EQ(scram::saslprep("pencil"), "pencil");
    EXPECT_EQ(scram::saslprep(" spaces  and\ttab\x7f\x01"), " spaces  and\ttab\x7f\x01");
    const std::string with_nul("a\0b", 3);
    EXPECT_EQ(scram::saslprep(with_nul), with_nul);
}

TEST(ScramSaslprep, InvalidUtf8IsUsedRaw) {
    const std::string_view invalid[] = {
        "\xff",
        "abc\xfe",
        "\xc3",
        "\xc3(",
        "\xc0\xaf",
        "\xe0\x80\xaf",
        "\xed\xa0\x80",      // overlongs, UTF-16 surrogate
        "\xf4\x90\x80\x80",  // above U+10FFFF
        "\xf8\x88\x80\x80\x80",
        "\x80",
        "\xe2\x82",
    };
    for (std::string_view s : invalid)
        EXPECT_EQ(scram::saslprep(s), s);
}

TEST(ScramSaslprep, MappingStep) {
    EXPECT_EQ(scram::saslprep("a\xc2\xa0"
                              "b"),
              "a b");
    EXPECT_EQ(scram::saslprep("a\xe2\x80\x8b"
                              "b"),
              "a b");  // U+200B
    EXPECT_EQ(scram::saslprep("a\xe3\x80\x80"
                              "b"),
              "a b");  // U+3000
    EXPECT_EQ(scram::saslprep("a\xe2\x80\x80"
                              "b"),
              "a b");  // U+2000
    EXPECT_EQ(scram::saslprep("a\xc2\xad"
                              "b"),
              "ab");  // U+00AD
    EXPECT_EQ(scram::saslprep("a\xe2\x81\xa0"
                              "b"),
              "ab");  // U+2060
    EXPECT_EQ(scram::saslprep("a\xef\xbb\xbf"
                              "b"),
              "ab");  // U+FEFF
    EXPECT_EQ(scram::saslprep("a\xef\xb8\x8f"
                              "b"),
              "ab");  // U+FE0F
    EXPECT_EQ(scram::saslprep("\xc3\xa4\xc2\xad"), "\xc3\xa4");
}

TEST(ScramSaslprep, ProhibitedOutputFallsBackToRaw) {
    const std::string_view raw[] = {
        "\xc2\xad",                  // maps to the empty string
        "\xc2\xad\xe2\x80\x8c",      // ditto (U+00AD, U+200C)
        "x\xee\x80\x80y",            // U+E000 private use
        "\xc3\xa4\x01",              // ASCII control in a non-ASCII password
        "\xc3\xa4\xc2\x85",          // U+0085 non-ASCII control
        "\xc3\xa4\xef\xbf\xbe",      // U+FFFE non-character
        "\xc3\xa4\xf0\x9f\xbf\xbf",  // U+1FFFF non-character
        "\xc3\xa4\xef\xbf\xbd",      // U+FFFD replacement character
        "\xc3\xa4\xe2\x80\x8e",      // U+200E left-to-right mark
        "\xc3\xa4\xf3\xa0\x80\x81",  // U+E0001 language tag
        "\xc3\xa4\xe2\xbf\xb0",      // U+2FF0 ideographic description
        "\xc2\xa0\xee\x80\x80",      // mapped character *and* prohibited: raw, not mapped
    };
    for (std::string_view s : raw)
        EXPECT_EQ(scram::saslprep(s), s);
}

TEST(ScramSaslprep, OrdinaryUnicodeIsUnchanged) {
    const std::string_view same[] = {"p\xc3\xa4ssw\xc3\xb6rd", "\xd0\xbf\xd0\xb0\xd1\x80",
                                     "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80smile"};
    for (std::string_view s : same)
        EXPECT_EQ(scram::saslprep(s), s);
}

// ======================================================================================
// client_exchange <-> server_exchange
// ======================================================================================

TEST(ScramExchange, RightPasswordSucceeds) {
    scram::client_exchange client("s3cret pass");
    scram::server_exchange server(scram::make_secret("s3cret pass"));
    const auto c = converse(client, server);
    ASSERT_TRUE(c.server_final.ok()) << c.server_final.detail;
    EXPECT_TRUE(c.client_verified);
    EXPECT_TRUE(client.succeeded());
    EXPECT_TRUE(server.succeeded());
    EXPECT_TRUE(server.recovered_keys().has_value());
}

TEST(ScramExchange, MessageShapes) {
    scram::client_exchange client("pw");
    const std::string first = client.client_first_message();
    EXPECT_TRUE(std::regex_match(first, std::regex(R"(n,,n=,r=[A-Za-z0-9+/]{24})"))) << first;
    EXPECT_EQ(client.client_first_message(), first);  // stable
    scram::server_exchange server(scram::make_secret("pw"));
    const auto server_first = server.handle_client_first(first);
    ASSERT_TRUE(server_first.ok());
    EXPECT_TRUE(std::regex_match(server_first.message,
                                 std::regex(R"(r=[A-Za-z0-9+/]{48},s=[A-Za-z0-9+/]{22}==,i=4096)")))
        << server_first.message;
    EXPECT_TRUE(server_first.message.starts_with("r=" + first.substr(8)));
    const auto client_final = client.handle_server_first(server_first.message);
    ASSERT_TRUE(client_final.ok());
    EXPECT_TRUE(std::regex_match(client_final.message,
                                 std::regex(R"(c=biws,r=[A-Za-z0-9+/]{48},p=[A-Za-z0-9+/]{43}=)")))
        << client_final.message;
    const auto server_final = server.handle_client_final(client_final.message);
    ASSERT_TRUE(server_final.ok());
    EXPECT_TRUE(std::regex_match(server_final.message, std::regex(R"(v=[A-Za-z0-9+/]{43}=)")));
}

TEST(ScramExchange, NoncesAreRandom) {
    scram::client_exchange a("pw");
    scram::client_exchange b("pw");
    EXPECT_NE(a.client_first_message(), b.client_first_message());
    const auto secret = scram::make_secret("pw", 1);
    scram::server_exchange s1(secret);
    scram::server_exchange s2(secret);
    EXPECT_NE(s1.handle_client_first("n,,n=,r=abc").message,
              s2.handle_client_first("n,,n=,r=abc").message);
}

TEST(ScramExchange, WrongPasswordFailsWithWrongPassword) {
    scram::client_exchange client("guess");
    scram::server_exchange server(scram::make_secret("s3cret"));
    const auto c = converse(client, server);
    ASSERT_TRUE(c.client_final.ok());
    EXPECT_EQ(c.server_final.code, error_code::wrong_password);
    EXPECT_FALSE(c.server_final.detail.empty());
    EXPECT_TRUE(c.server_final.message.empty());
    EXPECT_FALSE(server.succeeded());
    EXPECT_FALSE(server.recovered_keys().has_value());
    EXPECT_FALSE(client.succeeded());
}

TEST(ScramExchange, NearMissPasswordsFail) {
    const auto secret = scram::make_secret("Password1", 16);
    for (std::string_view guess : {"password1", "Password", "Password1 ", "Password12", ""}) {
        scram::client_exchange client(guess);
        scram::server_exchange server(secret);
        EXPECT_EQ(converse(client, server).server_final.code, error_code::wrong_password) << guess;
    }
}

TEST(ScramExchange, UsernameInClientFirstIsIgnored) {
    const auto secret = scram::make_secret("pw", 8);
    for (std::string_view user : {"", "alice", "someone,else", "a=b", "\xc3\xa4"}) {
        scram::client_exchange client("pw", {std::string(user), {}});
        scram::server_exchange server(secret);
        const auto c = converse(client, server);
        EXPECT_TRUE(c.client_verified) << user << ": " << c.server_final.detail;
    }
}

TEST(ScramExchange, UsernameIsEscaped) {
    scram::client_exchange client("pw", {"a,b=c", "nonce"});
    EXPECT_EQ(client.client_first_message(), "n,,n=a=2Cb=3Dc,r=nonce");
}

TEST(ScramExchange, KeysModeSucceedsAgainstTheSameSecret) {
    const auto secret = scram::make_secret("hunter2");
    // 1. a client authenticates to the proxy with the password
    scram::client_exchange app("hunter2");
    scram::server_exchange proxy_side(secret);
    ASSERT_TRUE(converse(app, proxy_side).client_verified);
    const auto keys = proxy_side.recovered_keys();
    ASSERT_TRUE(keys.has_value());
    // 2. the proxy authenticates to the server (which holds the same secret) with the keys,
    //    twice, with fresh nonces each time
    for (int i = 0; i < 2; ++i) {
        scram::client_exchange proxy_client(*keys);
        scram::server_exchange server(secret);
        const auto c = converse(proxy_client, server);
        EXPECT_TRUE(c.server_final.ok()) << c.server_final.detail;
        EXPECT_TRUE(c.client_verified);
        EXPECT_EQ(server.recovered_keys(), keys);
    }
}

TEST(ScramExchange, KeysModeFailsAgainstADifferentSecret) {
    // Same password, different salt: the keys are different, so this must fail.
    const auto secret = scram::make_secret("hunter2");
    scram::client_exchange app("hunter2");
    scram::server_exchange proxy_side(secret);
    ASSERT_TRUE(converse(app, proxy_side).client_verified);
    scram::client_exchange proxy_client(*proxy_side.recovered_keys());
    scram::server_exchange server(scram::make_secret("hunter2"));
    EXPECT_EQ(converse(proxy_client, server).server_final.code, error_code::wrong_password);
}

TEST(ScramExchange, ClientDetectsAServerThatDoesNotKnowTheSecret) {
    // A server with the right StoredKey (it can verify us) but a wrong ServerKey.
    auto secret = scram::make_secret("pw", 8);
    secret.server_key[0] ^= 1;
    scram::client_exchange client("pw");
    scram::server_exchange server(secret);
    const auto c = converse(client, server);
    ASSERT_TRUE(c.server_final.ok());
    EXPECT_FALSE(c.client_verified);
    EXPECT_FALSE(client.succeeded());
}

TEST(ScramExchange, NonAsciiPasswordsRoundTrip) {
    for (std::string_view pw : {"p\xc3\xa4ssw\xc3\xb6rd",
                                "a\xc2\xa0"
                                "b",
                                "\xff\xfe"}) {
        scram::client_exchange client(pw);
        scram::server_exchange server(scram::make_secret(pw, 8));
        EXPECT_TRUE(converse(client, server).client_verified);
    }
    // U+00A0 maps to a space on both sides, as PostgreSQL does.
    scram::client_exchange client("a b");
    scram::server_exchange server(
        scram::make_secret("a\xc2\xa0"
                           "b",
                           8));
    EXPECT_TRUE(converse(client, server).client_verified);
}

// --- mock ---------------------------------------------------------------------------------

TEST(ScramMock, AlwaysFailsWithWrongPassword) {
    const auto mock_key = scram::make_mock_key();
    for (std::string_view pw : {"", "pw", "anything"}) {
        scram::client_exchange client(pw);
        auto server = scram::server_exchange::mock("ghost", mock_key);
        const auto c = converse(client, server);
        ASSERT_TRUE(c.server_first.ok());
        ASSERT_TRUE(c.client_final.ok());
        EXPECT_EQ(c.server_final.code, error_code::wrong_password);
        EXPECT_FALSE(server.succeeded());
        EXPECT_FALSE(server.recovered_keys().has_value());
    }
}

TEST(ScramMock, SaltIsStablePerUserAndKeyAndLooksReal) {
    const auto key_a = scram::make_mock_key();
    const auto key_b = scram::make_mock_key();
    auto first_for = [](std::string_view user, std::span<const uint8_t> k) {
        auto s = scram::server_exchange::mock(user, k, 4096, "N");
        return s.handle_client_first("n,,n=,r=x").message;
    };
    const auto ghost_a1 = first_for("ghost", key_a);
    EXPECT_EQ(ghost_a1, first_for("ghost", key_a));
    EXPECT_NE(ghost_a1, first_for("ghost2", key_a));
    EXPECT_NE(ghost_a1, first_for("ghost", key_b));
    EXPECT_TRUE(std::regex_match(ghost_a1, std::regex(R"(r=xN,s=[A-Za-z0-9+/]{22}==,i=4096)")))
        << ghost_a1;
    auto s = scram::server_exchange::mock("ghost", key_a, 10000, "N");
    EXPECT_TRUE(s.handle_client_first("n,,n=,r=x").message.ends_with(",i=10000"));
}

TEST(ScramMock, MalformedMessagesAreStillMalformed) {
    auto server = scram::server_exchange::mock("ghost", scram::make_mock_key(), 4096, "srv");
    ASSERT_TRUE(server.handle_client_first("n,,n=,r=cli").ok());
    EXPECT_EQ(server.handle_client_final("c=biws,r=WRONG,p=" + base64::encode(key{})).code,
              error_code::malformed_message);
}

TEST(ScramMock, BadIterationsThrowInvalidArgument) {
    EXPECT_THROW(scram::server_exchange::mock("u", scram::make_mock_key(), 0),
                 std::invalid_argument);
}

// ======================================================================================
// Server side: client-first-message
// ======================================================================================

class ScramServerFirst : public ::testing::Test {
  protected:
    scram::server_exchange server_{rfc_secret(), "SRV"};
};

TEST_F(ScramServerFirst, AcceptsGs2YAndExtensions) {
    for (std::string_view msg : {"y,,n=,r=abc", "n,,n=user,r=abc,x=ext", "n,,n=,r=abc,y=,z=1"}) {
        scram::server_exchange server(rfc_secret(), "SRV");
        const auto r = server.handle_client_first(msg);
        ASSERT_TRUE(r.ok()) << msg << ": " << r.detail;
        EXPECT_TRUE(r.message.starts_with("r=abcSRV,s=")) << r.message;
    }
}

TEST_F(ScramServerFirst, GsTwoYFullExchange) {
    // A client that supports channel binding but was not offered it (libpq over TLS without
    // SCRAM-SHA-256-PLUS) sends "y,," and then c=eSws.
    const auto first = server_.handle_client_first("y,,n=,r=abc");
    ASSERT_TRUE(first.ok());
    const std::string final_message =
        test_client_final(rfc_password, b64(rfc_salt), 4096, "n=,r=abc", first.message,
                          "c=eSws,r=" + nonce_of(first.message));
    const auto r = server_.handle_client_final(final_message);
    EXPECT_TRUE(r.ok()) << r.detail;
}

TEST_F(ScramServerFirst, RejectsChannelBindingAsUnsupported) {
    for (std::string_view msg :
         {"p=tls-server-end-point,,n=,r=abc", "p=tls-unique,,n=,r=abc", "p=,,n=,r=abc"}) {
        scram::server_exchange server(rfc_secret(), "SRV");
        const auto r = server.handle_client_first(msg);
        EXPECT_EQ(r.code, error_code::unsupported) << msg;
        EXPECT_NE(r.detail.find("channel binding"), std::string::npos) << r.detail;
    }
}

TEST_F(ScramServerFirst, RejectsAuthzidAndMandatoryExtensionAsUnsupported) {
    for (std::string_view msg : {"n,a=bob,n=,r=abc", "y,a=,n=,r=abc", "n,,m=foo,n=,r=abc"}) {
        scram::server_exchange server(rfc_secret(), "SRV");
        EXPECT_EQ(server.handle_client_first(msg).code, error_code::unsupported) << msg;
    }
}

TEST_F(ScramServerFirst, RejectsMalformed) {
    const std::vector<std::string> bad = {
        "",
        "n",
        "n,",
        "n,,",
        "n,,n",
        "n,,n=",
        "n,,n=,",
        "n,,n=,r",
        "n,,n=,r=",
        "n,,n=,r=abc,",
        "n,,n=,r=abc,,x=1",
        "n,,n=,r=abc,1=x",
        "n,,n=,r=abc,xy",
        "n,,r=abc",
        "n,,n=,x=abc",
        "n,,r=abc,n=",
        "n,,n=,r=a b",
        "n,,n=,r=a\x7f",
        "n,,n=,r=\xc3\xa4",
        "n,b=x,n=,r=abc",
        "x,,n=,r=abc",
        "N,,n=,r=abc",
        "nn,,n=,r=abc",
        ",,n=,r=abc",
        ",n=,r=abc",
        "n,,n=,r=abc\n",
        std::string("n,,n=,r=ab\0c", 12),
        std::string("\0", 1),
        "garbage",
        "\xff\xfe\xfd",
        std::string(10000, ','),
        std::string(10000, 'n'),
    };
    for (const auto& msg : bad) {
        scram::server_exchange server(rfc_secret(), "SRV");
        const auto r = server.handle_client_first(msg);
        EXPECT_EQ(r.code, error_code::malformed_message) << '"' << msg << '"';
        EXPECT_TRUE(r.message.empty());
        EXPECT_FALSE(r.detail.empty());
        // The exchange is over.
        EXPECT_EQ(server.handle_client_final(rfc_client_final).code, error_code::out_of_order);
        EXPECT_FALSE(server.succeeded());
    }
}

TEST_F(ScramServerFirst, OutOfOrder) {
    EXPECT_EQ(server_.handle_client_final(rfc_client_final).code, error_code::out_of_order);
    EXPECT_EQ(server_.handle_client_first(rfc_client_first).code, error_code::out_of_order);

    scram::server_exchange server(rfc_secret(), "SRV");
    ASSERT_TRUE(server.handle_client_first(rfc_client_first).ok());
    EXPECT_EQ(server.handle_client_first(rfc_client_first).code, error_code::out_of_order);
}

// ======================================================================================
// Server side: client-final-message
// ======================================================================================

class ScramServerFinal : public ::testing::Test {
  protected:
    void SetUp() override { server_ = make_server(); }
    static std::unique_ptr<scram::server_exchange> make_server() {
        auto s = std::make_unique<scram::server_exchange>(rfc_secret(),
                                                          std::string(rfc_server_nonce_part));
        EXPECT_TRUE(s->handle_client_first(rfc_client_first).ok());
        return s;
    }
    std::unique_ptr<scram::server_exchange> server_;
};

const std::string rfc_nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const std::string rfc_proof = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";

TEST_F(ScramServerFinal, AcceptsExtensionsBeforeTheProof) {
    const std::string final_message =
        test_client_final(rfc_password, b64(rfc_salt), 4096, "n=user,r=rOprNGfwEbeRWgbNEkqO",
                          rfc_server_first, "c=biws,r=" + rfc_nonce + ",x=foo,y=");
    const auto r = server_->handle_client_final(final_message);
    EXPECT_TRUE(r.ok()) << r.detail;
}

TEST_F(ScramServerFinal, ProofIsBoundToTheWholeMessage) {
    // The RFC proof with an extension inserted no longer verifies.
    const auto r = server_->handle_client_final("c=biws,r=" + rfc_nonce + ",x=foo,p=" + rfc_proof);
    EXPECT_EQ(r.code, error_code::wrong_password);
}

TEST_F(ScramServerFinal, FlippedProofBitsAreWrongPassword) {
    for (int bit : {0, 7, 100, 255}) {
        auto proof = b64(rfc_proof);
        proof[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        auto server = make_server();
        const auto r =
            server->handle_client_final("c=biws,r=" + rfc_nonce + ",p=" + base64::encode(proof));
        EXPECT_EQ(r.code, error_code::wrong_password) << bit;
    }
}

TEST_F(ScramServerFinal, RejectsMalformed) {
    const std::string p = ",p=" + rfc_proof;
    const std::vector<std::string> bad = {
        "",
        "c=biws",
        "c=biws,r=" + rfc_nonce,
        "c=biws,r=" + rfc_nonce + ",",
        "c=biws,r=" + rfc_nonce + ",p=",
        "c=biws,r=" + rfc_nonce + ",p=!!!!",
        "c=biws,r=" + rfc_nonce + ",p=" + rfc_proof.substr(0, 40),
        "c=biws,r=" + rfc_nonce + ",p=" + base64::encode(std::string(31, 'x')),
        "c=biws,r=" + rfc_nonce + ",p=" + base64::encode(std::string(33, 'x')),
        "c=biws,r=" + rfc_nonce + ",p=" + rfc_proof + ",x=1",
        "c=biws,r=" + rfc_nonce + ",p=" + rfc_proof + ",",
        "c=biws,r=" + rfc_nonce + ",p=" + rfc_proof + p,
        "c=biws,r=" + rfc_nonce + ",,p=" + rfc_proof,
        "c=biws,r=" + rfc_nonce + ",1=x" + p,
        "c=biws,r=" + rfc_nonce + "X" + p,
        "c=biws,r=" + rfc_nonce.substr(0, rfc_nonce.size() - 1) + p,
        "c=biws,r=rOprNGfwEbeRWgbNEkqO" + p,
        "c=biws,r=" + p,
        "c=biws" + p,
        "c=biws,x=1,r=" + rfc_nonce + p,
        "r=" + rfc_nonce + ",c=biws" + p,
        "r=" + rfc_nonce + p,
        "c=eSws,r=" + rfc_nonce + p,  // "y,," but the client said "n,,"
        "c=,r=" + rfc_nonce + p,
        "c=bi,r=" + rfc_nonce + p,
        "c=biws=,r=" + rfc_nonce + p,
        "c=biwt,r=" + rfc_nonce + p,
        "c=" + base64::encode("n,,extra") + ",r=" + rfc_nonce + p,
        "C=biws,r=" + rfc_nonce + p,
        "c=biws,R=" + rfc_nonce + p,
        "c=biws,r=" + rfc_nonce + ",P=" + rfc_proof,
        std::string("c=biws,r=") + rfc_nonce + p + std::string(1, '\0'),
        std::string("c=biws\0,r=", 10) + rfc_nonce + p,
        "garbage",
        std::string(10000, ','),
        "\xff\xfe\xfd",
    };
    for (const auto& msg : bad) {
        auto server = make_server();
        const auto r = server->handle_client_final(msg);
        EXPECT_EQ(r.code, error_code::malformed_message) << '"' << msg << '"';
        EXPECT_FALSE(server->succeeded());
        EXPECT_FALSE(server->recovered_keys().has_value());
        EXPECT_EQ(server->handle_client_final(rfc_client_final).code, error_code::out_of_order);
    }
}

TEST_F(ScramServerFinal, EveryTruncationIsMalformed) {
    for (std::size_t len = 0; len < rfc_client_final.size(); ++len) {
        auto server = make_server();
        EXPECT_EQ(server->handle_client_final(rfc_client_final.substr(0, len)).code,
                  error_code::malformed_message)
            << len;
    }
}

TEST_F(ScramServerFinal, RandomMutationsNeverSucceed) {
    std::mt19937 rng(7);
    const std::string original(rfc_client_final);
    for (int i = 0; i < 3000; ++i) {
        std::string msg = original;
        const int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits; ++e) {
            const std::size_t pos = rng() % msg.size();
            switch (rng() % 3) {
                case 0:
                    msg[pos] = static_cast<char>(rng());
                    break;
                case 1:
                    msg.erase(pos, 1 + rng() % 4);
                    break;
                default:
                    msg.insert(pos, 1, static_cast<char>(rng()));
                    break;
            }
            if (msg.empty()) msg = "x";
        }
        if (msg == original) continue;
        auto server = make_server();
        const auto r = server->handle_client_final(msg);
        EXPECT_FALSE(r.ok()) << msg;
    }
}

TEST_F(ScramServerFinal, SuccessIsFinal) {
    ASSERT_TRUE(server_->handle_client_final(rfc_client_final).ok());
    EXPECT_EQ(server_->handle_client_final(rfc_client_final).code, error_code::out_of_order);
    EXPECT_EQ(server_->handle_client_first(rfc_client_first).code, error_code::out_of_order);
    EXPECT_TRUE(server_->succeeded());
    EXPECT_TRUE(server_->recovered_keys().has_value());
}

// ======================================================================================
// Client side: server-first-message and server-final-message
// ======================================================================================

std::unique_ptr<scram::client_exchange> rfc_client() {
    auto c = std::make_unique<scram::client_exchange>(rfc_password, rfc_client_options());
    c->client_first_message();
    return c;
}

// Keys mode: no PBKDF2, so thousands of iterations of a test stay fast.
std::unique_ptr<scram::client_exchange> rfc_keys_client() {
    static const scram::client_keys keys = [] {
        const key salted = test_salted_password(rfc_password, b64(rfc_salt), 4096);
        return scram::client_keys{test_hmac(salted, "Client Key"), test_hmac(salted, "Server Key")};
    }();
    auto c = std::make_unique<scram::client_exchange>(keys, rfc_client_options());
    c->client_first_message();
    return c;
}

TEST(ScramClientFirst, AcceptsExtensionsAfterIterations) {
    auto client = rfc_client();
    const auto r = client->handle_server_first(std::string(rfc_server_first) + ",x=1,y=");
    ASSERT_TRUE(r.ok()) << r.detail;
}

TEST(ScramClientFirst, RejectsMandatoryExtension) {
    auto client = rfc_client();
    EXPECT_EQ(client->handle_server_first("m=foo," + std::string(rfc_server_first)).code,
              error_code::unsupported);
}

TEST(ScramClientFirst, RejectsMalformed) {
    const std::string n = "r=" + rfc_nonce;
    const std::string s = ",s=W22ZaJ0SNY7soEsUEjb6gQ==";
    const std::vector<std::string> bad = {
        "",
        "r=",
        n,
        n + s,
        n + s + ",i=",
        n + s + ",i=0",
        n + s + ",i=-1",
        n + s + ",i=+4096",
        n + s + ",i= 4096",
        n + s + ",i=4096 ",
        n + s + ",i=4096x",
        n + s + ",i=0x10",
        n + s + ",i=2147483648",
        n + s + ",i=99999999999999999999",
        n + s + ",i=4096,",
        n + s + ",i=4096,,x=1",
        n + s + ",i=4096,1=x",
        n + ",s=,i=4096",
        n + ",s=***,i=4096",
        n + ",s=W22ZaJ0SNY7soEsUEjb6gQ,i=4096",
        n + ",i=4096" + s,
        s.substr(1) + "," + n + ",i=4096",
        n + ",i=4096",
        "r=rOprNGfwEbeRWgbNEkqO" + s + ",i=4096",       // no server part
        "r=rOprNGfwEbeRWgbNEkq" + s + ",i=4096",        // shorter than ours
        "r=XOprNGfwEbeRWgbNEkqO%hvYD" + s + ",i=4096",  // not ours
        "r=server-only" + s + ",i=4096",
        "r=rOprNGfwEbeRWgbNEkqO a" + s + ",i=4096",  // non-printable
        "r=rOprNGfwEbeRWgbNEkqO\x7f" + s + ",i=4096",
        "r=rOprNGfwEbeRWgbNEkqO\xc3\xa4" + s + ",i=4096",
        "R=" + rfc_nonce + s + ",i=4096",
        "e=other-error",
        std::string(rfc_server_first) + std::string(1, '\0'),
        "garbage",
        std::string(10000, ','),
    };
    for (const auto& msg : bad) {
        auto client = rfc_client();
        const auto r = client->handle_server_first(msg);
        EXPECT_EQ(r.code, error_code::malformed_message) << '"' << msg << '"';
        EXPECT_TRUE(r.message.empty());
        EXPECT_FALSE(r.detail.empty());
        EXPECT_FALSE(client->verify_server_final(rfc_server_final));
        EXPECT_FALSE(client->succeeded());
    }
}

TEST(ScramClientFirst, TruncationsFailUnlessTheyEndInAnIterationCount) {
    const std::regex still_valid(R"(r=.*,s=.*,i=[1-9][0-9]*)");
    for (std::size_t len = 0; len < rfc_server_first.size(); ++len) {
        const std::string msg(rfc_server_first.substr(0, len));
        auto client = rfc_keys_client();
        const auto r = client->handle_server_first(msg);
        if (std::regex_match(msg, still_valid)) {
            EXPECT_TRUE(r.ok()) << msg;
        } else {
            EXPECT_EQ(r.code, error_code::malformed_message) << msg;
        }
    }
}

TEST(ScramClientFirst, RandomMutationsNeverCrash) {
    std::mt19937 rng(11);
    const std::string original(rfc_server_first);
    for (int i = 0; i < 3000; ++i) {
        std::string msg = original;
        const std::size_t pos = rng() % msg.size();
        switch (rng() % 3) {
            case 0:
                msg[pos] = static_cast<char>(rng());
                break;
            case 1:
                msg.erase(pos, 1 + rng() % 8);
                break;
            default:
                msg.insert(pos, 1, static_cast<char>(rng()));
                break;
        }
        auto client = rfc_keys_client();
        const auto r = client->handle_server_first(msg);
        if (!r.ok()) {
            EXPECT_NE(r.code, error_code::none);
            EXPECT_FALSE(client->verify_server_final(rfc_server_final));
        }
    }
}

TEST(ScramClientFirst, OutOfOrder) {
    // handle_server_first before client_first_message
    scram::client_exchange client(rfc_password, rfc_client_options());
    EXPECT_EQ(client.handle_server_first(rfc_server_first).code, error_code::out_of_order);
    // twice
    auto twice = rfc_client();
    ASSERT_TRUE(twice->handle_server_first(rfc_server_first).ok());
    EXPECT_EQ(twice->handle_server_first(rfc_server_first).code, error_code::out_of_order);
    EXPECT_FALSE(twice->verify_server_final(rfc_server_final));
    // verify_server_final before handle_server_first
    auto early = rfc_client();
    EXPECT_FALSE(early->verify_server_final(rfc_server_final));
}

TEST(ScramClientFinal, RejectsBadServerFinal) {
    const std::vector<std::string> bad = {
        "",
        "v=",
        "v=!!!",
        "v=" + base64::encode(std::string(31, 'x')),
        "v=" + base64::encode(std::string(32, 'x')),
        "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4",
        "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
        std::string(rfc_server_final) + ",",
        std::string(rfc_server_final) + std::string(1, '\0'),
        "V=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
        "x=1," + std::string(rfc_server_final),
        "garbage",
    };
    for (const auto& msg : bad) {
        auto client = rfc_keys_client();
        ASSERT_TRUE(client->handle_server_first(rfc_server_first).ok());
        EXPECT_FALSE(client->verify_server_final(msg)) << msg;
        EXPECT_FALSE(client->succeeded());
        EXPECT_TRUE(client->server_error().empty());
    }
}

TEST(ScramClientFinal, ServerErrorIsAFailureAndIsKept) {
    auto client = rfc_keys_client();
    ASSERT_TRUE(client->handle_server_first(rfc_server_first).ok());
    EXPECT_FALSE(client->verify_server_final("e=invalid-proof"));
    EXPECT_EQ(client->server_error(), "invalid-proof");
    EXPECT_FALSE(client->succeeded());
}

TEST(ScramClientFinal, AcceptsExtensionsAfterTheVerifier) {
    auto client = rfc_keys_client();
    ASSERT_TRUE(client->handle_server_first(rfc_server_first).ok());
    EXPECT_TRUE(client->verify_server_final(std::string(rfc_server_final) + ",x=1"));
}

TEST(ScramClientFinal, SuccessIsFinal) {
    auto client = rfc_keys_client();
    ASSERT_TRUE(client->handle_server_first(rfc_server_first).ok());
    ASSERT_TRUE(client->verify_server_final(rfc_server_final));
    EXPECT_FALSE(client->verify_server_final(rfc_server_final));  // only once
    EXPECT_TRUE(client->succeeded());
}

}  // namespace
}  // namespace pgrelay::protocol

namespace pgrelay::protocol {
namespace {

// A server asking for more iterations than pgrelay allows is refused before any derivation.
TEST(ScramClient, RefusesIterationCountsAboveTheLimit) {
    const std::string base =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=";
    {
        scram::client_exchange client(rfc_password, rfc_client_options());
        client.client_first_message();
        const auto r =
            client.handle_server_first(base + std::to_string(scram::max_client_iterations + 1));
        EXPECT_EQ(r.code, scram::error_code::unsupported);
        EXPECT_NE(r.detail.find("limit"), std::string::npos) << r.detail;
    }
    {
        scram::client_exchange client(rfc_password, rfc_client_options());
        client.client_first_message();
        const auto r = client.handle_server_first(base + "2147483647");
        EXPECT_EQ(r.code, scram::error_code::unsupported);
    }
}

// ======================================================================================
// Server side over TLS: SCRAM-SHA-256-PLUS offered (bind_channel)
// ======================================================================================

class ScramServerPlus : public ::testing::Test {
  protected:
    const std::vector<uint8_t> end_point_ = b64("q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=");

    // The client-final-message of a client that sent `gs2` and binds `data`.
    std::string client_final(scram::server_exchange& server, std::string_view gs2,
                             const std::vector<uint8_t>& data, std::string* first_out = nullptr) {
        const auto first = server.handle_client_first(std::string(gs2) + "n=,r=abc");
        EXPECT_TRUE(first.ok()) << first.detail;
        if (first_out) *first_out = first.message;
        std::vector<uint8_t> cbind(gs2.begin(), gs2.end());
        cbind.insert(cbind.end(), data.begin(), data.end());
        return test_client_final(rfc_password, b64(rfc_salt), 4096, "n=,r=abc", first.message,
                                 "c=" + base64::encode(cbind) + ",r=" + nonce_of(first.message));
    }
};

TEST_F(ScramServerPlus, ChannelBoundExchangeSucceeds) {
    scram::server_exchange server(rfc_secret(), "SRV");
    server.bind_channel(end_point_, true);
    const auto r =
        server.handle_client_final(client_final(server, "p=tls-server-end-point,,", end_point_));
    EXPECT_TRUE(r.ok()) << r.detail;
    EXPECT_TRUE(server.recovered_keys().has_value());
}

TEST_F(ScramServerPlus, WrongBindingDataFails) {
    auto other = end_point_;
    other[0] ^= 1;
    for (const auto& data : {other, std::vector<uint8_t>{}}) {
        scram::server_exchange server(rfc_secret(), "SRV");
        server.bind_channel(end_point_, true);
        const auto r =
            server.handle_client_final(client_final(server, "p=tls-server-end-point,,", data));
        EXPECT_EQ(r.code, error_code::malformed_message);
        EXPECT_NE(r.detail.find("channel binding"), std::string::npos) << r.detail;
    }
}

TEST_F(ScramServerPlus, PlainScramStillWorksOverTls) {
    // A client that does not use channel binding selects SCRAM-SHA-256 with "n,,".
    scram::server_exchange server(rfc_secret(), "SRV");
    server.bind_channel(end_point_, false);
    EXPECT_TRUE(server.handle_client_final(client_final(server, "n,,", {})).ok());
}

TEST_F(ScramServerPlus, NegotiationErrors) {
    struct input {
        std::string_view first;
        bool plus_selected;
        error_code code;
    };
    for (const input& in : std::vector<input>{
             {"y,,n=,r=abc", false, error_code::malformed_message},  // downgrade
             {"n,,n=,r=abc", true, error_code::malformed_message},   // PLUS without p=
             {"y,,n=,r=abc", true, error_code::malformed_message},   // PLUS without p=
             {"p=tls-server-end-point,,n=,r=abc", false, error_code::malformed_message},
             {"p=tls-unique,,n=,r=abc", true, error_code::unsupported},
             {"p=,,n=,r=abc", true, error_code::unsupported},
         }) {
        scram::server_exchange server(rfc_secret(), "SRV");
        server.bind_channel(end_point_, in.plus_selected);
        EXPECT_EQ(server.handle_client_first(in.first).code, in.code)
            << in.first << " plus=" << in.plus_selected;
    }
}

}  // namespace
}  // namespace pgrelay::protocol
