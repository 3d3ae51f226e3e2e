// Unit tests for protocol/base64: RFC 4648 vectors, round trips over every length and byte
// value, and strict rejection of everything that is not canonical padded base64.
#include "protocol/base64.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace pgrelay::protocol {
namespace {

std::vector<uint8_t> bytes_of(std::string_view s) {
    return {s.begin(), s.end()};
}

TEST(Base64, Rfc4648Vectors) {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(base64::encode(plain), encoded);
        EXPECT_EQ(base64::encode(bytes_of(plain)), encoded);
        const auto decoded = base64::decode(encoded);
        ASSERT_TRUE(decoded.has_value()) << encoded;
        EXPECT_EQ(*decoded, bytes_of(plain));
    }
}

TEST(Base64, ScramValues) {
    EXPECT_EQ(base64::encode("n,,"), "biws");
    EXPECT_EQ(base64::encode("y,,"), "eSws");
    const auto salt = base64::decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    ASSERT_TRUE(salt.has_value());
    EXPECT_EQ(salt->size(), 16u);
    EXPECT_EQ(base64::encode(*salt), "W22ZaJ0SNY7soEsUEjb6gQ==");
}

TEST(Base64, AllByteValuesRoundTrip) {
    std::vector<uint8_t> all(256);
    for (int i = 0; i < 256; ++i)
        all[i] = static_cast<uint8_t>(i);
    const std::string encoded = base64::encode(all);
    EXPECT_EQ(encoded.size(), base64::encoded_size(all.size()));
    const auto decoded = base64::decode(encoded);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, all);
}

TEST(Base64, RandomRoundTripEveryLength) {
    std::mt19937 rng(12345);
    for (std::size_t len = 0; len <= 300; ++len) {
        std::vector<uint8_t> data(len);
        for (auto& b : data)
            b = static_cast<uint8_t>(rng());
        const std::string encoded = base64::encode(data);
        ASSERT_EQ(encoded.size(), base64::encoded_size(len));
        ASSERT_EQ(encoded.size() % 4, 0u);
        const auto decoded = base64::decode(encoded);
        ASSERT_TRUE(decoded.has_value()) << len;
        ASSERT_EQ(*decoded, data) << len;
    }
}

TEST(Base64, EncodedSize) {
    EXPECT_EQ(base64::encoded_size(0), 0u);
    EXPECT_EQ(base64::encoded_size(1), 4u);
    EXPECT_EQ(base64::encoded_size(3), 4u);
    EXPECT_EQ(base64::encoded_size(4), 8u);
    EXPECT_EQ(base64::encoded_size(32), 44u);
}

TEST(Base64, EmptyDecodesToEmpty) {
    const auto decoded = base64::decode("");
    ASSERT_TRUE(decoded.has_value());
    EXPECT_TRUE(decoded->empty());
}

TEST(Base64, RejectsBadInput) {
    const std::string_view bad[] = {
        "Z",
        "Zg",
        "Zg=",
        "Zm9",
        "Zm9vY",  // length not % 4
        "Zg===",
        "====",
        "Z===",
        "=Zg=",
        "Zg==Zg==",  // padding misplaced
        "Z=g=",
        "Zm=v",
        "Zh==",
        "Zm9=",  // non-canonical bits
        "Zm9v\n",
        " Zm9v",
        "Zm 9v",
        "Zm9v\r\n",  // whitespace
        "Zm9-",
        "Zm9_",
        "Zm9*",
        "Zm9.",
        "Zm9!",  // outside alphabet
        "\xff\xfe\xfd\xfc",
        "\xc3\xa4Zm9",
    };
    for (std::string_view s : bad) {
        EXPECT_FALSE(base64::decode(s).has_value()) << '"' << s << '"';
    }
    EXPECT_FALSE(base64::decode(std::string_view("Zm\0v", 4)).has_value());
    EXPECT_FALSE(base64::decode(std::string_view("\0\0\0\0", 4)).has_value());
}

TEST(Base64, EverySingleCharacterSubstitutionIsHandled) {
    // Replace each position of a valid encoding with every byte value: decoding must
    // either fail or yield a value whose re-encoding is the input (canonical form).
    const std::string valid = base64::encode("any carnal pleas");
    for (std::size_t pos = 0; pos < valid.size(); ++pos) {
        for (int c = 0; c < 256; ++c) {
            std::string s = valid;
            s[pos] = static_cast<char>(c);
            const auto decoded = base64::decode(s);
            if (decoded) {
                EXPECT_EQ(base64::encode(*decoded), s);
            }
        }
    }
}

}  // namespace
}  // namespace pgrelay::protocol
