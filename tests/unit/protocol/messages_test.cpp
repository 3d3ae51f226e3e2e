// Unit tests of message views and builders (protocol/messages.hpp): every builder's exact
// bytes against hand-written arrays from PostgreSQL docs 55.7 "Message Formats", every view
// round-tripping its builder's output, and rejecting truncated and malformed bodies.
#include "protocol/messages.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/framer.hpp"

namespace pgrelay::protocol {
namespace {

using namespace std::string_view_literals;

// Bytes from a literal that may hold NULs ("a\0b"sv).
bytes b(std::string_view s) {
    return bytes(s.begin(), s.end());
}

bytes cat(std::initializer_list<bytes> parts) {
    bytes out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

bytes be32(std::int32_t v) {
    bytes out(4);
    store_be32(out.data(), static_cast<std::uint32_t>(v));
    return out;
}

bytes built(const std::function<void(bytes&)>& build) {
    bytes out;
    build(out);
    return out;
}

// The view a framed message gives: never a null pointer, even for an empty body
// (frame::body() of a length-4 message points just past the header). A null empty span is
// covered on its own by message_views.empty_null_body_is_rejected.
byte_view body_view(const bytes& v) {
    static const std::uint8_t sentinel = 0;
    return v.empty() ? byte_view(&sentinel, 0) : byte_view(v);
}

// The body of the single message in `message`, checked by the framer.
bytes body_of(const bytes& message, char expected_type) {
    frame_scanner s(1 << 20);
    frame f = s.next(message);
    EXPECT_EQ(f.status, frame_status::message);
    EXPECT_EQ(f.raw.size(), message.size()) << "the length field must cover the whole message";
    EXPECT_EQ(f.type, expected_type);
    if (f.status != frame_status::message) return {};
    return bytes(f.body().begin(), f.body().end());
}

// --- builders: exact bytes -----------------------------------------------------------

struct builder_row {
    const char* name;
    std::function<void(bytes&)> build;
    bytes expected;
};

const std::vector<builder_row>& builder_rows() {
    static const std::vector<builder_row> rows = {
        // AuthenticationOk: Byte1('R'), Int32(8), Int32(0).
        {"AuthenticationOk",
         [](bytes& o) { write_auth_ok(o); },
         {'R', 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00}},
        // AuthenticationCleartextPassword: Byte1('R'), Int32(8), Int32(3).
        {"AuthenticationCleartextPassword",
         [](bytes& o) { write_auth_cleartext(o); },
         {'R', 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03}},
        // AuthenticationMD5Password: Byte1('R'), Int32(12), Int32(5), Byte4 salt.
        {"AuthenticationMD5Password",
         [](bytes& o) {
             write_auth_md5(o, {0x01, 0xff, 0x00, 0x7f});
         },
         {'R', 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x05, 0x01, 0xff, 0x00, 0x7f}},
        // AuthenticationSASL: Byte1('R'), Int32 len, Int32(10), String mechanisms, Byte1(0).
        {"AuthenticationSASL",
         [](bytes& o) {
             write_auth_sasl(o, {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"});
         },
         cat({{'R', 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x0a},
              b("SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0"sv)})},
        {"AuthenticationSASL, no mechanism",
         [](bytes& o) { write_auth_sasl(o, {}); },
         {'R', 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x0a, 0x00}},
        // AuthenticationSASLContinue: Byte1('R'), Int32 len, Int32(11), Byte-n data.
        {"AuthenticationSASLContinue",
         [](bytes& o) { write_auth_sasl_continue(o, "r=abc,s=xyz,i=4096"); },
         cat({{'R', 0x00, 0x00, 0x00, 0x1a, 0x00, 0x00, 0x00, 0x0b}, b("r=abc,s=xyz,i=4096")})},
        // AuthenticationSASLFinal: Byte1('R'), Int32 len, Int32(12), Byte-n data.
        {"AuthenticationSASLFinal", [](bytes& o) { write_auth_sasl_final(o, "v=xyz"); },
         cat({{'R', 0x00, 0x00, 0x00, 0x0d, 0x00, 0x00, 0x00, 0x0c}, b("v=xyz")})},
        {"AuthenticationSASLFinal, empty",
         [](bytes& o) { write_auth_sasl_final(o, ""); },
         {'R', 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x0c}},
        // ParameterStatus: Byte1('S'), Int32 len, String name, String value.
        {"ParameterStatus", [](bytes& o) { write_parameter_status(o, "client_encoding", "UTF8"); },
         cat({{'S', 0x00, 0x00, 0x00, 0x19}, b("client_encoding\0UTF8\0"sv)})},
        {"ParameterStatus, empty value",
         [](bytes& o) { write_parameter_status(o, "x", ""); },
         {'S', 0x00, 0x00, 0x00, 0x07, 'x', 0x00, 0x00}},
        // BackendKeyData: Byte1('K'), Int32(12), Int32 process id, Int32 secret key.
        {"BackendKeyData",
         [](bytes& o) {
             write_backend_key_data(o, {0x01020304, -1});
         },
         {'K', 0x00, 0x00, 0x00, 0x0c, 0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xff}},
        // ReadyForQuery: Byte1('Z'), Int32(5), Byte1 status.
        {"ReadyForQuery I",
         [](bytes& o) { write_ready_for_query(o, 'I'); },
         {'Z', 0x00, 0x00, 0x00, 0x05, 'I'}},
        {"ReadyForQuery T",
         [](bytes& o) { write_ready_for_query(o, 'T'); },
         {'Z', 0x00, 0x00, 0x00, 0x05, 'T'}},
        {"ReadyForQuery E",
         [](bytes& o) { write_ready_for_query(o, 'E'); },
         {'Z', 0x00, 0x00, 0x00, 0x05, 'E'}},
        // PasswordMessage: Byte1('p'), Int32 len, String password.
        {"PasswordMessage", [](bytes& o) { write_password_message(o, "secret"); },
         cat({{'p', 0x00, 0x00, 0x00, 0x0b}, b("secret\0"sv)})},
        // SASLInitialResponse: Byte1('p'), Int32 len, String mechanism, Int32 data length,
        // Byte-n data.
        {"SASLInitialResponse",
         [](bytes& o) { write_sasl_initial_response(o, "SCRAM-SHA-256", "n,,n=,r=abc"); },
         cat({{'p', 0x00, 0x00, 0x00, 0x21},
              b("SCRAM-SHA-256\0"sv),
              {0x00, 0x00, 0x00, 0x0b},
              b("n,,n=,r=abc")})},
        // SASLResponse: Byte1('p'), Int32 len, Byte-n data.
        {"SASLResponse", [](bytes& o) { write_sasl_response(o, "c=biws,r=abc,p=xyz"); },
         cat({{'p', 0x00, 0x00, 0x00, 0x16}, b("c=biws,r=abc,p=xyz")})},
        // Terminate: Byte1('X'), Int32(4).
        {"Terminate", [](bytes& o) { write_terminate(o); }, {'X', 0x00, 0x00, 0x00, 0x04}},
        // Query: Byte1('Q'), Int32 len, String query.
        {"Query", [](bytes& o) { write_query(o, "select 1"); },
         cat({{'Q', 0x00, 0x00, 0x00, 0x0d}, b("select 1\0"sv)})},
        {"Query, empty", [](bytes& o) { write_query(o, ""); }, {'Q', 0x00, 0x00, 0x00, 0x05, 0x00}},
        // ErrorResponse: Byte1('E'), Int32 len, (Byte1 code, String value)*, Byte1(0).
        {"ErrorResponse",
         [](bytes& o) {
             write_report(o, {severity::error, "42P01", "boom"});
         },
         cat({{'E', 0x00, 0x00, 0x00, 0x20}, b("SERROR\0VERROR\0C42P01\0Mboom\0\0"sv)})},
        {"ErrorResponse FATAL with detail and hint",
         [](bytes& o) { write_report(o, {severity::fatal, "28P01", "boom", "d", "h"}); },
         cat({{'E', 0x00, 0x00, 0x00, 0x26}, b("SFATAL\0VFATAL\0C28P01\0Mboom\0Dd\0Hh\0\0"sv)})},
        {"ErrorResponse with hint only",
         [](bytes& o) { write_report(o, {severity::error, "08P01", "m", "", "h"}); },
         cat({{'E', 0x00, 0x00, 0x00, 0x20}, b("SERROR\0VERROR\0C08P01\0Mm\0Hh\0\0"sv)})},
        // NoticeResponse: the same layout with Byte1('N').
        {"NoticeResponse", [](bytes& o) { write_report(o, {severity::notice, "00000", "hi"}); },
         cat({{'N', 0x00, 0x00, 0x00, 0x20}, b("SNOTICE\0VNOTICE\0C00000\0Mhi\0\0"sv)})},
    };
    return rows;
}

TEST(message_builders, exact_bytes) {
    for (const auto& row : builder_rows()) {
        SCOPED_TRACE(row.name);
        EXPECT_EQ(built(row.build), row.expected);
    }
}

// Builders append: two messages written into one buffer are the two byte arrays in a row,
// and whatever was already in the buffer is untouched.
TEST(message_builders, append_to_existing_bytes) {
    const auto& rows = builder_rows();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& a = rows[i];
        const auto& c = rows[(i + 1) % rows.size()];
        SCOPED_TRACE(std::string(a.name) + " then " + c.name);
        bytes out{0xde, 0xad};
        a.build(out);
        c.build(out);
        EXPECT_EQ(out, cat({{0xde, 0xad}, a.expected, c.expected}));
    }
}

TEST(message_builders, report_type_byte_and_severity_per_level) {
    struct row {
        severity level;
        char type;
        std::string_view text;
    };
    const row rows[] = {
        {severity::error, 'E', "ERROR"},   {severity::fatal, 'E', "FATAL"},
        {severity::panic, 'E', "PANIC"},   {severity::warning, 'N', "WARNING"},
        {severity::notice, 'N', "NOTICE"}, {severity::debug, 'N', "DEBUG"},
        {severity::info, 'N', "INFO"},     {severity::log, 'N', "LOG"},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.text);
        EXPECT_EQ(to_string(r.level), r.text);
        bytes out;
        write_report(out, {r.level, "01000", "m"});
        const std::string sev(r.text);
        EXPECT_EQ(out, cat({{static_cast<std::uint8_t>(r.type), 0, 0, 0,
                             static_cast<std::uint8_t>(4 + 2 * (sev.size() + 2) + 7 + 3 + 1)},
                            b("S" + sev + '\0' + "V" + sev + '\0'),
                            b("C01000\0Mm\0\0"sv)}));
    }
    EXPECT_EQ(to_string(static_cast<severity>(200)), "ERROR");  // out of range: ERROR
}

// A long payload: the length field is big-endian in all four bytes.
TEST(message_builders, long_query_length_field) {
    const std::string sql(0x012345, 'x');
    bytes out;
    write_query(out, sql);
    ASSERT_EQ(out.size(), 1u + 4u + sql.size() + 1u);
    EXPECT_EQ(out[0], 'Q');
    EXPECT_EQ(out[1], 0x00);
    EXPECT_EQ(out[2], 0x01);
    EXPECT_EQ(out[3], 0x23);
    EXPECT_EQ(out[4], 0x4a);  // 0x012345 + 1 + 4
    EXPECT_EQ(out.back(), 0x00);
}

// --- parse_auth_request --------------------------------------------------------------

TEST(parse_auth_request, accepts_every_request_kind) {
    struct row {
        const char* name;
        bytes body;
        auth_code code;
        std::array<std::uint8_t, 4> salt;
        std::vector<std::string> mechanisms;
        std::string data;
    };
    const row rows[] = {
        {"ok", be32(0), auth_code::ok, {}, {}, ""},
        {"kerberos v5", be32(2), auth_code::kerberos_v5, {}, {}, ""},
        {"cleartext", be32(3), auth_code::cleartext_password, {}, {}, ""},
        {"md5",
         cat({be32(5), {0xaa, 0x00, 0xff, 0x01}}),
         auth_code::md5_password,
         {0xaa, 0x00, 0xff, 0x01},
         {},
         ""},
        {"gss", be32(7), auth_code::gss, {}, {}, ""},
        {"sspi", be32(9), auth_code::sspi, {}, {}, ""},
        {"sasl, one mechanism",
         cat({be32(10), b("SCRAM-SHA-256\0\0"sv)}),
         auth_code::sasl,
         {},
         {"SCRAM-SHA-256"},
         ""},
        {"sasl, two mechanisms",
         cat({be32(10), b("SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0"sv)}),
         auth_code::sasl,
         {},
         {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"},
         ""},
        {"sasl, empty list", cat({be32(10), b("\0"sv)}), auth_code::sasl, {}, {}, ""},
        {"sasl continue",
         cat({be32(11), b("r=abc,s=c2FsdA==,i=4096")}),
         auth_code::sasl_continue,
         {},
         {},
         "r=abc,s=c2FsdA==,i=4096"},
        {"sasl continue, binary data",
         cat({be32(11), b("a\0b\xff"sv)}),
         auth_code::sasl_continue,
         {},
         {},
         std::string("a\0b\xff"sv)},
        {"sasl final",
         cat({be32(12), b("v=c2lnbmF0dXJl")}),
         auth_code::sasl_final,
         {},
         {},
         "v=c2lnbmF0dXJl"},
        {"sasl final, empty", be32(12), auth_code::sasl_final, {}, {}, ""},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.name);
        auto a = parse_auth_request(body_view(r.body));
        ASSERT_TRUE(a);
        EXPECT_EQ(a->code, r.code);
        EXPECT_EQ(a->md5_salt, r.salt);
        EXPECT_EQ(a->mechanisms, r.mechanisms);
        EXPECT_EQ(a->data, r.data);
    }
}

TEST(parse_auth_request, rejects_truncated_and_malformed_bodies) {
    struct row {
        const char* name;
        bytes body;
    };
    const row rows[] = {
        {"empty", {}},
        {"one byte", {0x00}},
        {"three bytes", {0x00, 0x00, 0x00}},
        {"md5, no salt", be32(5)},
        {"md5, 1 salt byte", cat({be32(5), {0x01}})},
        {"md5, 3 salt bytes", cat({be32(5), {0x01, 0x02, 0x03}})},
        {"sasl, mechanism name not terminated", cat({be32(10), b("SCRAM-SHA-256")})},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.name);
        auto a = parse_auth_request(body_view(r.body));
        EXPECT_FALSE(a) << "accepted with " << (a ? a->mechanisms.size() : 0) << " mechanism(s)";
    }
}

// AuthenticationSASL: "a list of SASL authentication mechanisms, in the server's order of
// preference. A zero byte is required as terminator after the last authentication
// mechanism name." libpq (pg_SASL_init) reads names until the empty one and fails when
// the message ends first, so a body cut right before that zero byte is truncated.
TEST(parse_auth_request, sasl_list_needs_its_terminator) {
    struct row {
        const char* name;
        bytes body;
    };
    const row rows[] = {
        {"one name, list terminator missing", cat({be32(10), b("SCRAM-SHA-256\0"sv)})},
        {"two names, list terminator missing", cat({be32(10), b("A\0B\0"sv)})},
        {"no list at all", be32(10)},
        // The remaining-bytes loop stops one byte early and drops an unterminated name.
        {"second name of one byte, not terminated", cat({be32(10), b("A\0B"sv)})},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.name);
        auto a = parse_auth_request(body_view(r.body));
        EXPECT_FALSE(a) << "accepted with " << (a ? a->mechanisms.size() : 0) << " mechanism(s)";
    }
}

// The empty name ends the list: what follows it is never a mechanism, and no mechanism is
// ever the empty string.
TEST(parse_auth_request, sasl_list_ends_at_the_empty_name) {
    auto a = parse_auth_request(cat({be32(10), b("A\0\0B\0\0"sv)}));
    if (a) {
        EXPECT_EQ(a->mechanisms, std::vector<std::string>{"A"});
    }
}

// --- parse_parameter_status ----------------------------------------------------------

TEST(parse_parameter_status, table) {
    struct row {
        const char* name;
        bytes body;
        bool ok;
        std::string_view key, value;
    };
    const row rows[] = {
        {"usual",
         b("server_version\0"
           "16.4\0"sv),
         true, "server_version", "16.4"},
        {"empty value", b("application_name\0\0"sv), true, "application_name", ""},
        {"both empty", b("\0\0"sv), true, "", ""},
        {"value with spaces", b("DateStyle\0ISO, MDY\0"sv), true, "DateStyle", "ISO, MDY"},
        {"empty body", {}, false, "", ""},
        {"name only", b("TimeZone\0"sv), false, "", ""},
        {"name not terminated", b("TimeZone"), false, "", ""},
        {"value not terminated", b("TimeZone\0UTC"sv), false, "", ""},
        {"single NUL", b("\0"sv), false, "", ""},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.name);
        auto p = parse_parameter_status(body_view(r.body));
        ASSERT_EQ(p.has_value(), r.ok);
        if (!p) continue;
        EXPECT_EQ(p->name, r.key);
        EXPECT_EQ(p->value, r.value);
    }
}

// --- parse_backend_key_data ----------------------------------------------------------

TEST(parse_backend_key_data, table) {
    const bytes body{0x00, 0x00, 0x30, 0x39, 0x80, 0x00, 0x00, 0x00};
    auto k = parse_backend_key_data(body);
    ASSERT_TRUE(k);
    EXPECT_EQ(k->process_id, 12345);
    EXPECT_EQ(k->secret_key, -2147483647 - 1);
    for (std::size_t n = 0; n < body.size(); ++n) {
        SCOPED_TRACE(n);
        EXPECT_FALSE(parse_backend_key_data(byte_view(body).first(n)));
    }
}

// --- parse_error_fields --------------------------------------------------------------

TEST(parse_error_fields, table) {
    struct row {
        const char* name;
        bytes body;
        bool ok;
        error_fields expected;
    };
    const row rows[] = {
        {"all known fields",
         b("SERROR\0VERROR\0C23505\0Mduplicate key\0Dkey (id)=(1)\0Hfix it\0\0"sv),
         true,
         {"ERROR", "23505", "duplicate key", "key (id)=(1)", "fix it"}},
        {"localized S, V wins",
         b("SFEHLER\0VERROR\0C42601\0Msyntax\0\0"sv),
         true,
         {"ERROR", "42601", "syntax", "", ""}},
        {"V before S still wins",
         b("VFATAL\0SFATAL-LOCAL\0C57P01\0Mbye\0\0"sv),
         true,
         {"FATAL", "57P01", "bye", "", ""}},
        {"S only (before 9.6)",
         b("SWARNING\0C01000\0Mcareful\0\0"sv),
         true,
         {"WARNING", "01000", "careful", "", ""}},
        {"unknown fields skipped",
         b("SERROR\0VERROR\0C42P01\0Mno table\0P15\0Fparse_relation.c\0L1392\0Rparser\0q?\0\0"sv),
         true,
         {"ERROR", "42P01", "no table", "", ""}},
        {"no fields", b("\0"sv), true, {}},
        {"empty body", {}, false, {}},
        {"terminator missing", b("SERROR\0C42P01\0"sv), false, {}},
        {"value not terminated", b("SERROR\0C42P01"sv), false, {}},
        {"code only", b("S"), false, {}},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.name);
        auto e = parse_error_fields(body_view(r.body));
        ASSERT_EQ(e.has_value(), r.ok);
        if (!e) continue;
        EXPECT_EQ(e->severity, r.expected.severity);
        EXPECT_EQ(e->sqlstate, r.expected.sqlstate);
        EXPECT_EQ(e->message, r.expected.message);
        EXPECT_EQ(e->detail, r.expected.detail);
        EXPECT_EQ(e->hint, r.expected.hint);
    }
}

// --- parse_sasl_initial_response -----------------------------------------------------

TEST(parse_sasl_initial_response, table) {
    struct row {
        const char* name;
        bytes body;
        bool ok;
        std::string_view mechanism, data;
    };
    const row rows[] = {
        {"usual", cat({b("SCRAM-SHA-256\0"sv), be32(11), b("n,,n=,r=abc")}), true, "SCRAM-SHA-256",
         "n,,n=,r=abc"},
        {"no data (-1)", cat({b("SCRAM-SHA-256\0"sv), be32(-1)}), true, "SCRAM-SHA-256", ""},
        {"empty data (0)", cat({b("SCRAM-SHA-256\0"sv), be32(0)}), true, "SCRAM-SHA-256", ""},
        {"binary data", cat({b("X\0"sv), be32(3), {0x00, 0xff, 0x00}}), true, "X", "\0\xff\0"sv},
        {"empty body", {}, false, "", ""},
        {"mechanism not terminated", b("SCRAM-SHA-256"), false, "", ""},
        {"length missing", b("SCRAM-SHA-256\0"sv), false, "", ""},
        {"length truncated", cat({b("SCRAM-SHA-256\0"sv), {0x00, 0x00, 0x00}}), false, "", ""},
        {"data shorter than length", cat({b("SCRAM-SHA-256\0"sv), be32(12), b("n,,n=,r=abc")}),
         false, "", ""},
        {"data longer than length", cat({b("SCRAM-SHA-256\0"sv), be32(10), b("n,,n=,r=abc")}),
         false, "", ""},
        {"bytes after -1", cat({b("SCRAM-SHA-256\0"sv), be32(-1), b("x")}), false, "", ""},
        {"huge length", cat({b("SCRAM-SHA-256\0"sv), be32(0x7fffffff), b("abc")}), false, "", ""},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.name);
        auto s = parse_sasl_initial_response(body_view(r.body));
        ASSERT_EQ(s.has_value(), r.ok) << "data size " << (s ? s->data.size() : 0);
        if (!s) continue;
        EXPECT_EQ(s->mechanism, r.mechanism);
        EXPECT_EQ(s->data, r.data);
    }
}

// PostgreSQL (auth-sasl.c, CheckSASLAuth): a length of -1 means no data; any other negative
// length fails in pq_getmsgbytes with "insufficient data left in message".
TEST(parse_sasl_initial_response, negative_length_other_than_minus_one_is_rejected) {
    for (std::int32_t len : {-2, -11, -2147483647 - 1}) {
        SCOPED_TRACE(len);
        auto s = parse_sasl_initial_response(cat({b("SCRAM-SHA-256\0"sv), be32(len)}));
        EXPECT_FALSE(s) << "accepted as \"no data\"";
    }
}

// --- parse_password_message ----------------------------------------------------------

TEST(parse_password_message, table) {
    struct row {
        const char* name;
        bytes body;
        bool ok;
        std::string_view password;
    };
    const row rows[] = {
        {"usual", b("secret\0"sv), true, "secret"},
        {"md5 hash", b("md5a3556571e93b0d20722ba62be61e8c2d\0"sv), true,
         "md5a3556571e93b0d20722ba62be61e8c2d"},
        {"empty password", b("\0"sv), true, ""},
        {"empty body", {}, false, ""},
        {"not terminated", b("secret"), false, ""},
        {"bytes after the terminator", b("secret\0x"sv), false, ""},
        {"two strings", b("a\0b\0"sv), false, ""},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.name);
        auto p = parse_password_message(body_view(r.body));
        ASSERT_EQ(p.has_value(), r.ok);
        if (p) {
            EXPECT_EQ(*p, r.password);
        }
    }
}

// --- round trips, truncation and trailing bytes for every view ----------------------

// One builder call and how its body reads back. `check` returns true when the view parsed
// the body and the values equal what was written.
struct view_row {
    const char* name;
    char type;
    std::function<void(bytes&)> build;
    std::function<bool(byte_view)> check;
    std::size_t valid_prefix_from;  // shortest strict prefix the view may accept (SIZE_MAX: none)
};

const std::vector<view_row>& view_rows() {
    constexpr auto none = static_cast<std::size_t>(-1);
    static const std::vector<view_row> rows = {
        {"AuthenticationOk", 'R', [](bytes& o) { write_auth_ok(o); },
         [](byte_view v) {
             auto a = parse_auth_request(v);
             return a && a->code == auth_code::ok;
         },
         none},
        {"AuthenticationCleartextPassword", 'R', [](bytes& o) { write_auth_cleartext(o); },
         [](byte_view v) {
             auto a = parse_auth_request(v);
             return a && a->code == auth_code::cleartext_password;
         },
         none},
        {"AuthenticationMD5Password", 'R',
         [](bytes& o) {
             write_auth_md5(o, {9, 8, 7, 6});
         },
         [](byte_view v) {
             auto a = parse_auth_request(v);
             return a && a->code == auth_code::md5_password &&
                    a->md5_salt == std::array<std::uint8_t, 4>{9, 8, 7, 6};
         },
         none},
        // Truncation before the list terminator: parse_auth_request.sasl_list_needs_its_terminator.
        {"AuthenticationSASL", 'R',
         [](bytes& o) {
             write_auth_sasl(o, {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"});
         },
         [](byte_view v) {
             auto a = parse_auth_request(v);
             return a && a->code == auth_code::sasl &&
                    a->mechanisms ==
                        std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"};
         },
         0},
        // SASLContinue/Final data is "the rest": any prefix of 4 or more bytes is valid.
        {"AuthenticationSASLContinue", 'R',
         [](bytes& o) { write_auth_sasl_continue(o, "r=abc,s=xyz,i=4096"); },
         [](byte_view v) {
             auto a = parse_auth_request(v);
             return a && a->code == auth_code::sasl_continue && a->data == "r=abc,s=xyz,i=4096";
         },
         4},
        {"AuthenticationSASLFinal", 'R', [](bytes& o) { write_auth_sasl_final(o, "v=xyz"); },
         [](byte_view v) {
             auto a = parse_auth_request(v);
             return a && a->code == auth_code::sasl_final && a->data == "v=xyz";
         },
         4},
        {"ParameterStatus", 'S',
         [](bytes& o) { write_parameter_status(o, "standard_conforming_strings", "on"); },
         [](byte_view v) {
             auto p = parse_parameter_status(v);
             return p && p->name == "standard_conforming_strings" && p->value == "on";
         },
         none},
        {"BackendKeyData", 'K',
         [](bytes& o) {
             write_backend_key_data(o, {4242, -7});
         },
         [](byte_view v) {
             auto k = parse_backend_key_data(v);
             return k && k->process_id == 4242 && k->secret_key == -7;
         },
         none},
        {"ErrorResponse", 'E',
         [](bytes& o) {
             write_report(o, {severity::fatal, "53300", "too many", "detail", "hint"});
         },
         [](byte_view v) {
             auto e = parse_error_fields(v);
             return e && e->severity == "FATAL" && e->sqlstate == "53300" &&
                    e->message == "too many" && e->detail == "detail" && e->hint == "hint";
         },
         none},
        {"NoticeResponse", 'N',
         [](bytes& o) {
             write_report(o, {severity::warning, "01000", "w"});
         },
         [](byte_view v) {
             auto e = parse_error_fields(v);
             return e && e->severity == "WARNING" && e->sqlstate == "01000" && e->message == "w" &&
                    e->detail.empty() && e->hint.empty();
         },
         none},
        {"PasswordMessage", 'p', [](bytes& o) { write_password_message(o, "hunter2"); },
         [](byte_view v) {
             auto p = parse_password_message(v);
             return p && *p == "hunter2";
         },
         none},
        {"SASLInitialResponse", 'p',
         [](bytes& o) {
             write_sasl_initial_response(o, "SCRAM-SHA-256", "n,,n=,r=rOprNGfwEbeRWgbNEkqO");
         },
         [](byte_view v) {
             auto s = parse_sasl_initial_response(v);
             return s && s->mechanism == "SCRAM-SHA-256" &&
                    s->data == "n,,n=,r=rOprNGfwEbeRWgbNEkqO";
         },
         none},
        {"SASLInitialResponse, empty data", 'p',
         [](bytes& o) { write_sasl_initial_response(o, "SCRAM-SHA-256", ""); },
         [](byte_view v) {
             auto s = parse_sasl_initial_response(v);
             return s && s->mechanism == "SCRAM-SHA-256" && s->data.empty();
         },
         none},
    };
    return rows;
}

TEST(message_views, round_trip_every_builder) {
    for (const auto& row : view_rows()) {
        SCOPED_TRACE(row.name);
        const bytes body = body_of(built(row.build), row.type);
        EXPECT_TRUE(row.check(body));
    }
}

// Every strict prefix of a valid body is rejected (or, for "the rest" payloads, parsed
// into something other than what was written).
TEST(message_views, every_truncation_is_rejected) {
    for (const auto& row : view_rows()) {
        SCOPED_TRACE(row.name);
        const bytes body = body_of(built(row.build), row.type);
        for (std::size_t n = 0; n < body.size(); ++n) {
            if (n >= row.valid_prefix_from) break;
            EXPECT_FALSE(row.check(byte_view(body).first(n))) << "prefix of " << n << " bytes";
        }
    }
}

// A body with bytes after its last field is malformed: libpq reports "message contents do
// not agree with length in message type", the server's pq_getmsgend "invalid message
// format". The frontend-message views already refuse one.
TEST(message_views, frontend_views_reject_trailing_bytes) {
    struct row {
        const char* name;
        bytes body;
        std::function<bool(byte_view)> parses;
    };
    const row rows[] = {
        {"PasswordMessage + 1 byte", b("pw\0!"sv),
         [](byte_view v) { return parse_password_message(v).has_value(); }},
        {"SASLInitialResponse + 1 byte", cat({b("M\0"sv), be32(1), b("ab")}),
         [](byte_view v) { return parse_sasl_initial_response(v).has_value(); }},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.name);
        EXPECT_FALSE(r.parses(r.body));
    }
}

// The same for the backend messages of fixed layout (libpq refuses them).
TEST(message_views, backend_views_reject_trailing_bytes) {
    struct row {
        const char* name;
        bytes body;
        std::function<bool(byte_view)> parses;
    };
    const row rows[] = {
        {"BackendKeyData + 1 byte",
         {0, 0, 0, 1, 0, 0, 0, 2, 0xff},
         [](byte_view v) { return parse_backend_key_data(v).has_value(); }},
        {"ParameterStatus + 1 string", b("a\0b\0c\0"sv),
         [](byte_view v) { return parse_parameter_status(v).has_value(); }},
        {"ErrorResponse + bytes after terminator", b("SERROR\0C1\0Mm\0\0junk"sv),
         [](byte_view v) { return parse_error_fields(v).has_value(); }},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.name);
        EXPECT_FALSE(r.parses(r.body));
    }
}

// A default-constructed byte_view (null data, size 0) is an empty body like any other and
// must be rejected by every view, without undefined behaviour: byte_reader::cstring() must
// not hand the null pointer to memchr (UBSan: "null pointer passed as argument 1").
TEST(message_views, empty_null_body_is_rejected) {
    const byte_view empty{};
    ASSERT_EQ(empty.data(), nullptr);
    EXPECT_FALSE(parse_auth_request(empty));
    EXPECT_FALSE(parse_backend_key_data(empty));
    EXPECT_FALSE(parse_error_fields(empty));
    EXPECT_FALSE(parse_parameter_status(empty));
    EXPECT_FALSE(parse_sasl_initial_response(empty));
    EXPECT_FALSE(parse_password_message(empty));
}

// Random printable strings through builders and back through views.
TEST(message_views, random_round_trips) {
    std::mt19937_64 rng(99);
    auto random_string = [&](std::size_t max_len) {
        std::string s(std::uniform_int_distribution<std::size_t>(0, max_len)(rng), ' ');
        for (auto& ch : s)
            ch = static_cast<char>(std::uniform_int_distribution<int>(1, 255)(rng));
        return s;
    };
    for (int it = 0; it < 2000; ++it) {
        SCOPED_TRACE(it);
        const std::string a = random_string(40), c = random_string(300);
        {
            const bytes body =
                body_of(built([&](bytes& o) { write_parameter_status(o, a, c); }), 'S');
            auto p = parse_parameter_status(body);
            ASSERT_TRUE(p);
            EXPECT_EQ(p->name, a);
            EXPECT_EQ(p->value, c);
        }
        {
            const bytes body = body_of(built([&](bytes& o) { write_password_message(o, c); }), 'p');
            auto p = parse_password_message(body);
            ASSERT_TRUE(p);
            EXPECT_EQ(*p, c);
        }
        {
            std::string data = random_string(300);
            if (!data.empty()) data[0] = '\0';  // data may hold NULs
            const bytes body =
                body_of(built([&](bytes& o) { write_sasl_initial_response(o, a, data); }), 'p');
            auto s = parse_sasl_initial_response(body);
            ASSERT_TRUE(s);
            EXPECT_EQ(s->mechanism, a);
            EXPECT_EQ(s->data, data);
        }
        {
            const std::string state = random_string(5);
            auto e =
                parse_error_fields(body_of(built([&](bytes& o) {
                                               write_report(o, {severity::error, state, c, a, c});
                                           }),
                                           'E'));
            ASSERT_TRUE(e);
            EXPECT_EQ(e->severity, "ERROR");
            EXPECT_EQ(e->sqlstate, state);
            EXPECT_EQ(e->message, c);
            EXPECT_EQ(e->detail, a);
            EXPECT_EQ(e->hint, c);
        }
        {
            const std::int32_t pid = static_cast<std::int32_t>(rng()),
                               key = static_cast<std::int32_t>(rng());
            auto k = parse_backend_key_data(body_of(built([&](bytes& o) {
                                                        write_backend_key_data(o, {pid, key});
                                                    }),
                                                    'K'));
            ASSERT_TRUE(k);
            EXPECT_EQ(k->process_id, pid);
            EXPECT_EQ(k->secret_key, key);
        }
    }
}

// Random bodies into every view: no crash, no read outside the body (ASan), and string
// views that come back point inside the body.
TEST(message_views, random_garbage_never_crashes) {
    std::mt19937_64 rng(1234);
    std::size_t parsed = 0;
    auto inside = [](std::string_view s, const bytes& body) {
        if (s.empty()) return true;
        auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
        return p >= body.data() && p + s.size() <= body.data() + body.size();
    };
    for (int it = 0; it < 20000; ++it) {
        bytes body(std::uniform_int_distribution<std::size_t>(0, 64)(rng));
        for (auto& x : body) {
            const int r = std::uniform_int_distribution<int>(0, 9)(rng);
            x = r < 3 ? 0
                      : static_cast<std::uint8_t>(std::uniform_int_distribution<int>(0, 255)(rng));
        }
        if (body.size() >= 4 && it % 2 == 0)  // a plausible auth code
            store_be32(body.data(), static_cast<std::uint32_t>(it % 13));
        const byte_view view = body_view(body);
        if (auto a = parse_auth_request(view)) {
            ++parsed;
            for (const auto& m : a->mechanisms)
                EXPECT_LE(m.size(), body.size());
            EXPECT_LE(a->data.size(), body.size());
        }
        if (auto p = parse_parameter_status(view)) {
            ++parsed;
            EXPECT_TRUE(inside(p->name, body) && inside(p->value, body));
        }
        if (parse_backend_key_data(view)) ++parsed;
        if (auto e = parse_error_fields(view)) {
            ++parsed;
            EXPECT_LE(e->message.size(), body.size());
        }
        if (auto s = parse_sasl_initial_response(view)) {
            ++parsed;
            EXPECT_TRUE(inside(s->mechanism, body) && inside(s->data, body));
        }
        if (auto p = parse_password_message(view)) {
            ++parsed;
            EXPECT_TRUE(inside(*p, body));
        }
    }
    EXPECT_GT(parsed, 1000u);
}

}  // namespace
}  // namespace pgrelay::protocol
