// Unit tests of the startup phase (protocol/startup.hpp): framing of untyped packets,
// parsing of StartupMessage/SSLRequest/GSSENCRequest/CancelRequest against what PostgreSQL
// does in ProcessStartupPacket, and the exact bytes of the builders (PostgreSQL docs 55.7).
#include "protocol/startup.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/sqlstate.hpp"

namespace pgrelay::protocol {
namespace {

using namespace std::string_view_literals;
using param_list = std::vector<std::pair<std::string, std::string>>;

bytes be32(std::uint32_t v) {
    bytes b(4);
    store_be32(b.data(), v);
    return b;
}

// An untyped packet: Int32 length (counting itself), Int32 code, then payload as is.
bytes packet(std::uint32_t code, std::string_view payload = {}) {
    bytes out = be32(static_cast<std::uint32_t>(8 + payload.size()));
    bytes c = be32(code);
    out.insert(out.end(), c.begin(), c.end());
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

constexpr std::uint32_t version(std::uint16_t major, std::uint16_t minor) {
    return (std::uint32_t{major} << 16) | minor;
}
constexpr std::uint32_t v3_0 = version(3, 0);

bytes to_bytes(byte_view v) {
    return bytes(v.begin(), v.end());
}

// --- scan_startup_packet -------------------------------------------------------------

TEST(scan_startup_packet, needs_the_length_word_first) {
    bytes p = packet(v3_0, "user\0u\0\0"sv);
    for (std::size_t n = 0; n < 4; ++n) {
        SCOPED_TRACE(n);
        auto f = scan_startup_packet(byte_view(p).first(n));
        EXPECT_EQ(f.status, startup_frame_status::need_more);
        EXPECT_TRUE(f.raw.empty());
    }
}

TEST(scan_startup_packet, refuses_lengths_outside_8_to_10000) {
    const std::uint32_t lengths[] = {0,     1,     4,          7,          10001,
                                     10005, 65536, 0x7fffffff, 0x80000000, 0xffffffff};
    for (std::uint32_t len : lengths) {
        SCOPED_TRACE(len);
        bytes input = be32(len);
        auto f = scan_startup_packet(input);  // decided from the length word alone
        EXPECT_EQ(f.status, startup_frame_status::bad_length);
        EXPECT_TRUE(f.raw.empty());
        input.resize(64, 0);
        EXPECT_EQ(scan_startup_packet(input).status, startup_frame_status::bad_length);
    }
}

// Lengths 8 (the smallest: a bare code), 16 (a CancelRequest) and exactly 10000 are framed,
// with need_more at every cut before the end and nothing after the packet consumed.
TEST(scan_startup_packet, frames_lengths_8_to_10000_with_need_more_at_every_cut) {
    for (std::uint32_t len : {8u, 9u, 16u, 100u, 9999u, 10000u}) {
        SCOPED_TRACE(len);
        bytes p = be32(len);
        p.resize(len, 'x');
        bytes input = p;
        input.insert(input.end(), {1, 2, 3, 4, 5, 6, 7, 8, 9});  // the next packet's bytes
        for (std::size_t n = 0; n < len; ++n) {
            auto f = scan_startup_packet(byte_view(input).first(n));
            ASSERT_EQ(f.status, startup_frame_status::need_more) << "cut at " << n;
            ASSERT_TRUE(f.raw.empty());
        }
        for (std::size_t extra : {0u, 1u, 9u}) {
            auto f = scan_startup_packet(byte_view(input).first(len + extra));
            ASSERT_EQ(f.status, startup_frame_status::packet);
            EXPECT_EQ(f.raw.data(), input.data());
            EXPECT_EQ(to_bytes(f.raw), p);
        }
    }
}

TEST(scan_startup_packet, real_startup_message_at_every_cut) {
    bytes p;
    write_startup_message(p,
                          {{"user", "alice"}, {"database", "shop"}, {"application_name", "psql"}});
    for (std::size_t n = 0; n < p.size(); ++n)
        ASSERT_EQ(scan_startup_packet(byte_view(p).first(n)).status,
                  startup_frame_status::need_more)
            << n;
    auto f = scan_startup_packet(p);
    ASSERT_EQ(f.status, startup_frame_status::packet);
    EXPECT_EQ(f.raw.size(), p.size());
    auto r = parse_startup_packet(f.raw);
    ASSERT_TRUE(r.packet);
    EXPECT_EQ(r.packet->startup.user, "alice");
}

// --- SSLRequest, GSSENCRequest, CancelRequest ----------------------------------------

TEST(parse_startup_packet, special_request_codes_from_the_docs) {
    EXPECT_EQ(ssl_request_code, 80877103);
    EXPECT_EQ(gssenc_request_code, 80877104);
    EXPECT_EQ(cancel_request_code, 80877102);
    EXPECT_EQ(static_cast<std::uint32_t>(ssl_request_code), version(1234, 5679));
    EXPECT_EQ(static_cast<std::uint32_t>(gssenc_request_code), version(1234, 5680));
    EXPECT_EQ(static_cast<std::uint32_t>(cancel_request_code), version(1234, 5678));
}

TEST(parse_startup_packet, ssl_and_gssenc_requests) {
    const bytes ssl{0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f};
    const bytes gss{0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x30};
    auto r1 = parse_startup_packet(ssl);
    ASSERT_TRUE(r1.packet);
    EXPECT_EQ(r1.packet->kind, startup_kind::ssl_request);
    auto r2 = parse_startup_packet(gss);
    ASSERT_TRUE(r2.packet);
    EXPECT_EQ(r2.packet->kind, startup_kind::gssenc_request);
}

TEST(parse_startup_packet, cancel_request) {
    struct row {
        std::int32_t pid, key;
    };
    for (auto [pid, key] :
         {row{1234, 5678}, row{0, 0}, row{-1, -559038737}, row{2147483647, -2147483647 - 1}}) {
        SCOPED_TRACE(pid);
        bytes p = {0x00, 0x00, 0x00, 0x10, 0x04, 0xd2, 0x16, 0x2e};
        bytes a = be32(static_cast<std::uint32_t>(pid)), b = be32(static_cast<std::uint32_t>(key));
        p.insert(p.end(), a.begin(), a.end());
        p.insert(p.end(), b.begin(), b.end());
        auto r = parse_startup_packet(p);
        ASSERT_TRUE(r.packet);
        EXPECT_EQ(r.packet->kind, startup_kind::cancel);
        EXPECT_EQ(r.packet->cancel.process_id, pid);
        EXPECT_EQ(r.packet->cancel.secret_key, key);
    }
}

TEST(parse_startup_packet, special_requests_with_wrong_lengths_are_protocol_violations) {
    struct row {
        const char* name;
        std::uint32_t code;
        std::size_t payload;  // bytes after the code
        std::string_view message;
    };
    const row rows[] = {
        {"SSLRequest + 1", static_cast<std::uint32_t>(ssl_request_code), 1,
         "invalid length of startup packet"},
        {"SSLRequest + 8", static_cast<std::uint32_t>(ssl_request_code), 8,
         "invalid length of startup packet"},
        {"GSSENCRequest + 4", static_cast<std::uint32_t>(gssenc_request_code), 4,
         "invalid length of startup packet"},
        {"CancelRequest, no key", static_cast<std::uint32_t>(cancel_request_code), 0,
         "invalid length of cancel request"},
        {"CancelRequest, pid only", static_cast<std::uint32_t>(cancel_request_code), 4,
         "invalid length of cancel request"},
        {"CancelRequest, 7 bytes", static_cast<std::uint32_t>(cancel_request_code), 7,
         "invalid length of cancel request"},
        {"CancelRequest, 9 bytes", static_cast<std::uint32_t>(cancel_request_code), 9,
         "invalid length of cancel request"},
        {"CancelRequest, 12 bytes", static_cast<std::uint32_t>(cancel_request_code), 12,
         "invalid length of cancel request"},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.name);
        auto result = parse_startup_packet(packet(r.code, std::string(r.payload, '\x01')));
        EXPECT_FALSE(result.packet);
        EXPECT_EQ(result.error.sqlstate, sqlstate::protocol_violation);
        EXPECT_EQ(result.error.message, r.message);
    }
}

TEST(parse_startup_packet, shorter_than_8_bytes_is_a_protocol_violation) {
    const bytes full = packet(v3_0, "user\0u\0\0"sv);
    for (std::size_t n = 0; n < 8; ++n) {
        SCOPED_TRACE(n);
        auto r = parse_startup_packet(byte_view(full).first(n));
        EXPECT_FALSE(r.packet);
        EXPECT_EQ(r.error.sqlstate, sqlstate::protocol_violation);
        EXPECT_EQ(r.error.message, "invalid length of startup packet");
    }
}

// --- StartupMessage ------------------------------------------------------------------

// PostgreSQL's ProcessStartupPacket reads name/value String pairs until an empty name,
// which must be the packet's last byte (else 08P01 "invalid startup packet layout:
// expected terminator as last byte"); no user name is 28000; a major version other than
// 3 is 0A000 "unsupported frontend protocol".

struct accepted_row {
    const char* name;
    std::uint32_t version;
    std::string_view payload;  // everything after the version, terminator included
    std::string user;
    std::string database;
    param_list parameters;
    std::vector<std::string> pq_options;
};

// clang-format off
const accepted_row accepted_rows[] = {
    {"user, database, then parameters in order", v3_0,
     "user\0alice\0database\0shop\0application_name\0psql\0client_encoding\0UTF8\0"
     "options\0-c geqo=off\0\0"sv,
     "alice", "shop",
     {{"application_name", "psql"}, {"client_encoding", "UTF8"}, {"options", "-c geqo=off"}}, {}},
    {"database before user", v3_0, "database\0shop\0user\0alice\0\0"sv, "alice", "shop", {}, {}},
    {"database defaults to user", v3_0, "user\0bob\0\0"sv, "bob", "bob", {}, {}},
    {"empty database defaults to user", v3_0, "user\0bob\0database\0\0\0"sv, "bob", "bob", {}, {}},
    {"last user wins", v3_0, "user\0a\0user\0b\0\0"sv, "b", "b", {}, {}},
    {"empty parameter value kept", v3_0, "user\0u\0application_name\0\0\0"sv, "u", "u",
     {{"application_name", ""}}, {}},
    {"bytes above 0x7f kept", v3_0, "user\0\xc3\xa9mile\0search_path\0\"a b\",c\0\0"sv,
     "\xc3\xa9mile", "\xc3\xa9mile", {{"search_path", "\"a b\",c"}}, {}},
    {"_pq_ options collected, not parameters", v3_0,
     "_pq_.compression\0on\0user\0u\0_pq_.x\0\0TimeZone\0UTC\0\0"sv, "u", "u",
     {{"TimeZone", "UTC"}}, {"_pq_.compression", "_pq_.x"}},
    {"3.1 accepted, minor recorded", version(3, 1), "user\0u\0\0"sv, "u", "u", {}, {}},
    {"3.2 accepted, minor recorded", version(3, 2), "user\0u\0database\0d\0\0"sv, "u", "d", {}, {}},
    {"3.65535 accepted", version(3, 65535), "user\0u\0\0"sv, "u", "u", {}, {}},
};
// clang-format on

TEST(parse_startup_packet, accepted_startup_messages) {
    for (const auto& row : accepted_rows) {
        SCOPED_TRACE(row.name);
        bytes p = packet(row.version, row.payload);
        auto f = scan_startup_packet(p);
        ASSERT_EQ(f.status, startup_frame_status::packet);
        auto r = parse_startup_packet(f.raw);
        ASSERT_TRUE(r.packet) << r.error.sqlstate << " " << r.error.message;
        EXPECT_EQ(r.packet->kind, startup_kind::startup);
        const auto& m = r.packet->startup;
        EXPECT_EQ(m.major, row.version >> 16);
        EXPECT_EQ(m.minor, row.version & 0xffff);
        EXPECT_EQ(m.user, row.user);
        EXPECT_EQ(m.database, row.database);
        EXPECT_EQ(m.parameters, row.parameters);
        EXPECT_EQ(m.unknown_protocol_options, row.pq_options);
    }
}

struct refused_row {
    const char* name;
    std::uint32_t version;
    std::string_view payload;
    std::string_view sqlstate;
};

constexpr std::string_view e08P01 = sqlstate::protocol_violation;
constexpr std::string_view e0A000 = sqlstate::feature_not_supported;
constexpr std::string_view e28000 = sqlstate::invalid_authorization_specification;

void expect_refused(const refused_row& row) {
    SCOPED_TRACE(row.name);
    bytes p = packet(row.version, row.payload);
    auto f = scan_startup_packet(p);
    ASSERT_EQ(f.status, startup_frame_status::packet);
    auto r = parse_startup_packet(f.raw);
    if (r.packet) {
        ADD_FAILURE() << "accepted (user \"" << r.packet->startup.user << "\", "
                      << r.packet->startup.parameters.size() << " parameter(s)); expected SQLSTATE "
                      << row.sqlstate;
        return;
    }
    EXPECT_EQ(r.error.sqlstate, row.sqlstate) << r.error.message;
    EXPECT_FALSE(r.error.message.empty());
}

TEST(parse_startup_packet, refused_startup_messages) {
    // clang-format off
    const refused_row rows[] = {
        {"no user", v3_0, "database\0shop\0\0"sv, e28000},
        {"empty user", v3_0, "user\0\0database\0shop\0\0"sv, e28000},
        {"no parameters at all", v3_0, "\0"sv, e28000},
        {"last value not terminated", v3_0, "user\0bob"sv, e08P01},
        {"name without a value", v3_0, "user\0bob\0application_name\0"sv, e08P01},
        {"bytes after the terminator", v3_0, "user\0bob\0\0junk\0"sv, e08P01},
        {"pair after the terminator", v3_0, "user\0bob\0\0a\0b\0\0"sv, e08P01},
        {"protocol 2.0", version(2, 0), "user\0u\0\0"sv, e0A000},
        {"protocol 4.0", version(4, 0), "user\0u\0\0"sv, e0A000},
        {"protocol 1.0", version(1, 0), "user\0u\0\0"sv, e0A000},
        {"protocol 0.0", version(0, 0), "user\0u\0\0"sv, e0A000},
        {"unknown request code 1234.5681", version(1234, 5681), ""sv, e0A000},
    };
    // clang-format on
    for (const auto& row : rows)
        expect_refused(row);
}

// The packet must end with the empty name that terminates the list: a last value's own
// NUL, or a name whose "value" is that terminator, is not it. PostgreSQL refuses all of
// these with 08P01 "invalid startup packet layout: expected terminator as last byte"
// (postmaster.c/backend_startup.c: `if (offset != len - 1)`).
TEST(parse_startup_packet, terminator_must_be_the_last_byte) {
    // clang-format off
    const refused_row rows[] = {
        {"packet terminator missing", v3_0, "user\0bob\0"sv, e08P01},
        {"terminator missing after several pairs", v3_0, "user\0bob\0database\0d\0"sv, e08P01},
        {"name whose value is the terminator", v3_0, "user\0bob\0x\0\0"sv, e08P01},
        {"nothing after the version", v3_0, ""sv, e08P01},
    };
    // clang-format on
    for (const auto& row : rows)
        expect_refused(row);
}

TEST(parse_startup_packet, error_messages_match_postgres) {
    struct row {
        std::uint32_t version;
        std::string_view payload;
        std::string_view message;
    };
    const row rows[] = {
        {version(2, 0), "user\0u\0\0"sv,
         "unsupported frontend protocol 2.0: server supports 3.0 to 3.0"},
        {version(4, 7), "user\0u\0\0"sv,
         "unsupported frontend protocol 4.7: server supports 3.0 to 3.0"},
        {v3_0, "database\0d\0\0"sv, "no PostgreSQL user name specified in startup packet"},
        {v3_0, "user\0u"sv, "invalid startup packet layout: expected terminator as last byte"},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.message);
        auto result = parse_startup_packet(packet(r.version, r.payload));
        ASSERT_FALSE(result.packet);
        EXPECT_EQ(result.error.message, r.message);
    }
}

TEST(parse_startup_packet, parameter_lookup) {
    auto r = parse_startup_packet(
        packet(v3_0, "user\0u\0database\0d\0application_name\0app\0DateStyle\0ISO\0\0"sv));
    ASSERT_TRUE(r.packet);
    const auto& m = r.packet->startup;
    ASSERT_NE(m.parameter("application_name"), nullptr);
    EXPECT_EQ(*m.parameter("application_name"), "app");
    ASSERT_NE(m.parameter("DateStyle"), nullptr);
    EXPECT_EQ(*m.parameter("DateStyle"), "ISO");
    EXPECT_EQ(m.parameter("datestyle"), nullptr);  // names are case-sensitive here
    EXPECT_EQ(m.parameter("user"), nullptr);       // user and database are fields
    EXPECT_EQ(m.parameter("database"), nullptr);
    EXPECT_EQ(m.parameter(""), nullptr);
}

// Garbage of every length below the maximum never crashes the parser; it either yields a
// packet or one of the SQLSTATEs PostgreSQL uses for bad startup packets.
TEST(parse_startup_packet, random_garbage_never_crashes) {
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<int> byte_dist(0, 255);
    std::size_t accepted = 0;
    for (int it = 0; it < 5000; ++it) {
        const std::size_t size = std::uniform_int_distribution<std::size_t>(0, 300)(rng);
        bytes p(size);
        for (auto& b : p)
            b = static_cast<std::uint8_t>(byte_dist(rng) % 4 == 0 ? 0 : byte_dist(rng));
        if (size >= 8) {
            // Mostly plausible codes so the parameter loop gets exercised.
            const std::uint32_t codes[] = {
                v3_0, version(3, 1), static_cast<std::uint32_t>(cancel_request_code),
                static_cast<std::uint32_t>(ssl_request_code), static_cast<std::uint32_t>(rng())};
            store_be32(p.data(), static_cast<std::uint32_t>(size));
            store_be32(p.data() + 4, codes[it % 5]);
        }
        auto f = scan_startup_packet(p);
        if (f.status != startup_frame_status::packet) continue;
        auto r = parse_startup_packet(f.raw);
        if (r.packet) {
            ++accepted;
            if (r.packet->kind == startup_kind::startup) {
                EXPECT_FALSE(r.packet->startup.user.empty());
                EXPECT_FALSE(r.packet->startup.database.empty());
            }
        } else {
            EXPECT_TRUE(r.error.sqlstate == sqlstate::protocol_violation ||
                        r.error.sqlstate == sqlstate::feature_not_supported ||
                        r.error.sqlstate == sqlstate::invalid_authorization_specification)
                << r.error.sqlstate;
        }
    }
    EXPECT_GT(accepted, 0u);
}

// --- builders ------------------------------------------------------------------------

TEST(write_startup_message, exact_bytes) {
    bytes out;
    write_startup_message(out, {{"user", "u"}, {"database", "d"}});
    const bytes expected = {0x00, 0x00, 0x00, 0x1b,                   // length 27
                            0x00, 0x03, 0x00, 0x00,                   // protocol 3.0 (196608)
                            'u',  's',  'e',  'r',  0x00, 'u', 0x00,  //
                            'd',  'a',  't',  'a',  'b',  'a', 's',
                            'e',  0x00, 'd',  0x00, 0x00};  // terminator
    EXPECT_EQ(out, expected);
}

TEST(write_startup_message, no_parameters_is_version_and_terminator) {
    bytes out;
    write_startup_message(out, {});
    EXPECT_EQ(out, (bytes{0x00, 0x00, 0x00, 0x09, 0x00, 0x03, 0x00, 0x00, 0x00}));
}

TEST(write_startup_message, round_trips_through_scan_and_parse) {
    const param_list rows[] = {
        {{"user", "alice"}},
        {{"user", "alice"}, {"database", "shop"}},
        {{"database", "shop"},
         {"user", "alice"},
         {"application_name", "pgrelay"},
         {"client_encoding", "UTF8"},
         {"options", "-c statement_timeout=5s"}},
        {{"user", "u"}, {"_pq_.a", "1"}, {"replication", "database"}, {"_pq_.b", "2"}},
        {{"user", std::string(4000, 'u')}, {"application_name", std::string(5000, 'a')}},
    };
    for (const auto& params : rows) {
        SCOPED_TRACE(params.size());
        bytes out;
        write_startup_message(out, params);
        auto f = scan_startup_packet(out);
        ASSERT_EQ(f.status, startup_frame_status::packet);
        EXPECT_EQ(f.raw.size(), out.size());
        auto r = parse_startup_packet(f.raw);
        ASSERT_TRUE(r.packet) << r.error.message;
        const auto& m = r.packet->startup;
        EXPECT_EQ(m.major, 3);
        EXPECT_EQ(m.minor, 0);
        param_list rest;
        std::vector<std::string> pq;
        std::string user, database;
        for (const auto& [k, v] : params) {
            if (k == "user")
                user = v;
            else if (k == "database")
                database = v;
            else if (k.starts_with("_pq_."))
                pq.push_back(k);
            else
                rest.emplace_back(k, v);
        }
        EXPECT_EQ(m.user, user);
        EXPECT_EQ(m.database, database.empty() ? user : database);
        EXPECT_EQ(m.parameters, rest);
        EXPECT_EQ(m.unknown_protocol_options, pq);
    }
}

TEST(write_startup_message, appends_to_existing_bytes) {
    bytes out{0xee};
    write_startup_message(out, {{"user", "u"}});
    ASSERT_EQ(out.size(), 1u + 16u);
    EXPECT_EQ(out[0], 0xee);
    EXPECT_EQ(load_be32(out.data() + 1), 16u);
}

TEST(write_cancel_request, exact_bytes) {
    bytes out;
    write_cancel_request(out, {0x01020304, -559038737});  // 0xdeadbeef
    const bytes expected = {0x00, 0x00, 0x00, 0x10, 0x04, 0xd2, 0x16, 0x2e,
                            0x01, 0x02, 0x03, 0x04, 0xde, 0xad, 0xbe, 0xef};
    EXPECT_EQ(out, expected);
    auto r = parse_startup_packet(out);
    ASSERT_TRUE(r.packet);
    EXPECT_EQ(r.packet->kind, startup_kind::cancel);
    EXPECT_EQ(r.packet->cancel.process_id, 0x01020304);
    EXPECT_EQ(r.packet->cancel.secret_key, -559038737);
}

// NegotiateProtocolVersion: Byte1('v'), Int32 length, Int32 newest minor version supported,
// Int32 number of unrecognized options, then a String per option.
TEST(write_negotiate_protocol_version, exact_bytes) {
    {
        bytes out;
        write_negotiate_protocol_version(out, 0, {"_pq_.a", "_pq_.bb"});
        const bytes expected = {'v',  0x00, 0x00, 0x00, 0x1b,             // length 27
                                0x00, 0x00, 0x00, 0x00,                   // newest minor 0
                                0x00, 0x00, 0x00, 0x02,                   // two options
                                '_',  'p',  'q',  '_',  '.',  'a', 0x00,  //
                                '_',  'p',  'q',  '_',  '.',  'b', 'b',  0x00};
        EXPECT_EQ(out, expected);
    }
    {
        bytes out;
        write_negotiate_protocol_version(out, 2, {});
        const bytes expected = {'v', 0, 0, 0, 12, 0, 0, 0, 2, 0, 0, 0, 0};
        EXPECT_EQ(out, expected);
    }
}

// The usual flow: a 3.1 client with an unknown option is answered with newest minor 0 and
// the option it sent.
TEST(write_negotiate_protocol_version, answers_a_parsed_startup_message) {
    auto r = parse_startup_packet(packet(version(3, 1), "user\0u\0_pq_.foo\0bar\0\0"sv));
    ASSERT_TRUE(r.packet);
    bytes out;
    write_negotiate_protocol_version(out, protocol_minor_supported,
                                     r.packet->startup.unknown_protocol_options);
    const bytes expected = {'v', 0, 0,   0,   21,  0,   0,   0,   0,   0,   0,
                            0,   1, '_', 'p', 'q', '_', '.', 'f', 'o', 'o', 0};
    EXPECT_EQ(out, expected);
}

}  // namespace
}  // namespace pgrelay::protocol
