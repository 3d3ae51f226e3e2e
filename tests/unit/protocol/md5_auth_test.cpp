// Unit tests for protocol/md5_auth: PostgreSQL's stored md5 form and the salted response
// of AuthenticationMD5Password, against values computed independently with md5sum and a
// hash stored by a real PostgreSQL 15.
#include "protocol/md5_auth.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pgrelay::protocol {
namespace {

// printf '%s' secretalice | md5sum
constexpr std::string_view alice_hash = "md54a0a68b43b6cd5cf266fa02f196e2371";

TEST(Md5Auth, PasswordHashKnownValues) {
    EXPECT_EQ(md5::password_hash("secret", "alice"), alice_hash);
    // Stored by PostgreSQL 15: SET password_encryption='md5'; CREATE ROLE dave PASSWORD 'secret'
    EXPECT_EQ(md5::password_hash("secret", "dave"), "md5d054392f985a267df752bb2b16be2f2f");
    // printf '%s' pencilpostgres | md5sum
    EXPECT_EQ(md5::password_hash("pencil", "postgres"), "md54c21b325d75177d5e9b9789a50ab0c9c");
    // md5 of the empty string
    EXPECT_EQ(md5::password_hash("", ""), "md5d41d8cd98f00b204e9800998ecf8427e");
}

TEST(Md5Auth, PasswordHashIsOrderSensitiveConcatenation) {
    // password + user, so ("secreta", "lice") collides with ("secret", "alice") by design.
    EXPECT_EQ(md5::password_hash("secreta", "lice"), alice_hash);
    EXPECT_NE(md5::password_hash("alice", "secret"), alice_hash);
}

TEST(Md5Auth, IsMd5Hash) {
    EXPECT_TRUE(md5::is_md5_hash(alice_hash));
    EXPECT_TRUE(md5::is_md5_hash(md5::password_hash("x", "y")));
    EXPECT_FALSE(md5::is_md5_hash(""));
    EXPECT_FALSE(md5::is_md5_hash("md5"));
    EXPECT_FALSE(md5::is_md5_hash("4a0a68b43b6cd5cf266fa02f196e2371"));      // no prefix
    EXPECT_FALSE(md5::is_md5_hash("md54a0a68b43b6cd5cf266fa02f196e237"));    // 31 digits
    EXPECT_FALSE(md5::is_md5_hash("md54a0a68b43b6cd5cf266fa02f196e23711"));  // 33 digits
    EXPECT_FALSE(md5::is_md5_hash("md54A0A68B43B6CD5CF266FA02F196E2371"));   // uppercase
    EXPECT_FALSE(md5::is_md5_hash("MD54a0a68b43b6cd5cf266fa02f196e2371"));
    EXPECT_FALSE(md5::is_md5_hash("md54a0a68b43b6cd5cf266fa02f196e237g"));
    EXPECT_FALSE(md5::is_md5_hash("md5 4a0a68b43b6cd5cf266fa02f196e237"));
    EXPECT_FALSE(md5::is_md5_hash(std::string_view("md54a0a68b43b6cd5cf266fa02f196e237\0", 35)));
    EXPECT_FALSE(md5::is_md5_hash("SCRAM-SHA-256$4096:abc$def:ghi"));
}

TEST(Md5Auth, SaltedResponseKnownValues) {
    // printf '4a0a68b43b6cd5cf266fa02f196e2371\x01\x02\x03\x04' | md5sum
    EXPECT_EQ(md5::salted_response(alice_hash, {1, 2, 3, 4}),
              "md598a0412b9c31436fc53776e863350083");
    // printf 'd054392f985a267df752bb2b16be2f2f\xde\xad\x00\xef' | md5sum (a NUL in the salt)
    EXPECT_EQ(md5::salted_response("md5d054392f985a267df752bb2b16be2f2f", {0xde, 0xad, 0x00, 0xef}),
              "md54c862a20b27e95a3b8d9e447957d9ad5");
}

TEST(Md5Auth, SaltedResponseOfInvalidStoredHashIsEmpty) {
    EXPECT_EQ(md5::salted_response("", {1, 2, 3, 4}), "");
    EXPECT_EQ(md5::salted_response("secret", {1, 2, 3, 4}), "");
    EXPECT_EQ(md5::salted_response("md54A0A68B43B6CD5CF266FA02F196E2371", {1, 2, 3, 4}), "");
}

TEST(Md5Auth, VerifyAcceptsTheRightResponse) {
    const std::array<uint8_t, 4> salt{0x10, 0x20, 0x30, 0x40};
    const std::string stored = md5::password_hash("secret", "alice");
    const std::string response = md5::salted_response(stored, salt);
    EXPECT_TRUE(md5::verify(stored, salt, response));
    EXPECT_TRUE(md5::verify(alice_hash, {1, 2, 3, 4}, "md598a0412b9c31436fc53776e863350083"));
}

TEST(Md5Auth, VerifyRejectsWrongResponses) {
    const std::array<uint8_t, 4> salt{1, 2, 3, 4};
    const std::string good = "md598a0412b9c31436fc53776e863350083";
    EXPECT_FALSE(md5::verify(alice_hash, {1, 2, 3, 5}, good));  // other salt
    EXPECT_FALSE(md5::verify(md5::password_hash("wrong", "alice"), salt, good));
    EXPECT_FALSE(md5::verify(alice_hash, salt, ""));
    EXPECT_FALSE(md5::verify(alice_hash, salt, "md5"));
    EXPECT_FALSE(md5::verify(alice_hash, salt, good.substr(0, 34)));
    EXPECT_FALSE(md5::verify(alice_hash, salt, good + "0"));
    EXPECT_FALSE(md5::verify(alice_hash, salt, std::string(good) + '\0'));
    EXPECT_FALSE(md5::verify(alice_hash, salt, "MD598A0412B9C31436FC53776E863350083"));
    EXPECT_FALSE(md5::verify(alice_hash, salt, alice_hash));  // replaying the stored hash
    EXPECT_FALSE(md5::verify(alice_hash, salt, "secret"));    // the clear-text password
    for (std::size_t i = 0; i < good.size(); ++i) {
        std::string flipped = good;
        flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
        EXPECT_FALSE(md5::verify(alice_hash, salt, flipped)) << i;
    }
}

TEST(Md5Auth, VerifyWithInvalidStoredHashFails) {
    const std::array<uint8_t, 4> salt{1, 2, 3, 4};
    EXPECT_FALSE(md5::verify("", salt, ""));
    EXPECT_FALSE(md5::verify("secret", salt, "md598a0412b9c31436fc53776e863350083"));
    // A SCRAM secret cannot serve MD5 authentication.
    EXPECT_FALSE(md5::verify("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$a:b", salt, ""));
}

}  // namespace
}  // namespace pgrelay::protocol
