// Unit tests of the result-set builder (protocol/result_set.hpp): exact bytes of
// RowDescription, DataRow, CommandComplete and EmptyQueryResponse against hand-written
// messages from PostgreSQL docs 55.7, and the text forms of bool, float8 and timestamptz.
#include "protocol/result_set.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>

#include "protocol/framer.hpp"

namespace pgrelay::protocol {
namespace {

using namespace std::string_view_literals;

bytes b(std::string_view s) {
    return bytes(s.begin(), s.end());
}

bytes cat(std::initializer_list<bytes> parts) {
    bytes out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

bytes written(const result_set& rs) {
    bytes out;
    write_result_set(out, rs);
    return out;
}

// RowDescription field: name, table OID 0, attnum 0, type OID, typlen, typmod -1, format 0.
bytes field(std::string_view name, std::string_view oid_and_len) {
    return cat(
        {b(name), b("\0"sv), b("\0\0\0\0\0\0"sv), b(oid_and_len), b("\xff\xff\xff\xff\0\0"sv)});
}

TEST(result_set, one_text_column_one_row) {
    result_set rs{{{"name", pg_type::text}}, {{"alpha"}}, "SHOW"};
    const bytes expected = cat({
        // 'T', length 4+2+(5+6+4+2+4+2)=29, one field
        b("T\0\0\0\x1d\0\x01"sv),
        field("name", "\0\0\0\x19\xff\xff"sv),
        // 'D', length 4+2+4+5=15, one column of 5 bytes
        b("D\0\0\0\x0f\0\x01\0\0\0\x05"
          "alpha"sv),
        // 'C', length 4+5=9
        b("C\0\0\0\x09SHOW\0"sv),
    });
    EXPECT_EQ(written(rs), expected);
}

TEST(result_set, every_type_oid_and_size) {
    struct row {
        pg_type type;
        std::string_view oid_and_len;  // Int32 OID, Int16 typlen
    };
    const row table[] = {
        {pg_type::boolean, "\0\0\0\x10\0\x01"sv},  {pg_type::int8, "\0\0\0\x14\0\x08"sv},
        {pg_type::int4, "\0\0\0\x17\0\x04"sv},     {pg_type::text, "\0\0\0\x19\xff\xff"sv},
        {pg_type::float8, "\0\0\x02\xbd\0\x08"sv}, {pg_type::timestamptz, "\0\0\x04\xa0\0\x08"sv},
    };
    for (const auto& r : table) {
        result_set rs{{{"c", r.type}}, {}, "SHOW"};
        const bytes expected =
            cat({b("T\0\0\0\x1a\0\x01"sv), field("c", r.oid_and_len), b("C\0\0\0\x09SHOW\0"sv)});
        EXPECT_EQ(written(rs), expected) << static_cast<int>(r.type);
    }
}

TEST(result_set, nulls_empty_strings_and_several_rows) {
    result_set rs{{{"a", pg_type::int4}, {"b", pg_type::text}},
                  {{"1", std::nullopt}, {std::nullopt, ""}},
                  "SHOW"};
    const bytes expected = cat({
        b("T\0\0\0\x2e\0\x02"sv),  // 4 + 2 + 2 * ("a\0" + 18)
        field("a", "\0\0\0\x17\0\x04"sv),
        field("b", "\0\0\0\x19\xff\xff"sv),
        b("D\0\0\0\x0f\0\x02\0\0\0\x01"
          "1\xff\xff\xff\xff"sv),
        b("D\0\0\0\x0e\0\x02\xff\xff\xff\xff\0\0\0\0"sv),
        b("C\0\0\0\x09SHOW\0"sv),
    });
    EXPECT_EQ(written(rs), expected);
}

TEST(result_set, short_rows_are_padded_with_null_and_long_rows_cut) {
    result_set rs{{{"a", pg_type::text}, {"b", pg_type::text}}, {{"x"}, {"x", "y", "z"}}, "SHOW"};
    const bytes out = written(rs);
    const bytes expected_rows = cat({
        b("D\0\0\0\x0f\0\x02\0\0\0\x01x\xff\xff\xff\xff"sv),
        b("D\0\0\0\x10\0\x02\0\0\0\x01x\0\0\0\x01y"sv),
    });
    // After the RowDescription (1 + 4 + 2 + 2 * 20 bytes).
    const std::size_t t_size = 1 + 4 + 2 + 2 * 20;
    ASSERT_GT(out.size(), t_size + expected_rows.size());
    EXPECT_EQ(bytes(out.begin() + static_cast<std::ptrdiff_t>(t_size),
                    out.begin() + static_cast<std::ptrdiff_t>(t_size + expected_rows.size())),
              expected_rows);
}

TEST(result_set, no_columns_is_a_command_tag_alone) {
    result_set rs{{}, {{"ignored"}}, "PAUSE"};
    EXPECT_EQ(written(rs), b("C\0\0\0\x0aPAUSE\0"sv));
}

TEST(result_set, columns_without_rows_still_describe_them) {
    result_set rs{{{"x", pg_type::int8}}, {}, "SHOW"};
    EXPECT_EQ(written(rs), cat({b("T\0\0\0\x1a\0\x01"sv), field("x", "\0\0\0\x14\0\x08"sv),
                                b("C\0\0\0\x09SHOW\0"sv)}));
}

TEST(result_set, default_tag_is_show) {
    EXPECT_EQ(result_set{}.command_tag, "SHOW");
}

TEST(result_set, appends_after_existing_bytes_and_frames_cleanly) {
    bytes out = b("Zx"sv);
    result_set rs{{{"n", pg_type::int8}}, {{"1"}, {"22"}, {std::nullopt}}, "SHOW"};
    write_result_set(out, rs);
    EXPECT_EQ(out[0], 'Z');
    EXPECT_EQ(out[1], 'x');
    frame_scanner s(1 << 20);
    byte_view rest(out.data() + 2, out.size() - 2);
    std::string types;
    while (!rest.empty()) {
        frame f = s.next(rest);
        ASSERT_EQ(f.status, frame_status::message);
        types += f.type;
        rest = rest.subspan(f.raw.size());
    }
    EXPECT_EQ(types, "TDDDC");
}

TEST(result_set, empty_query_response) {
    bytes out;
    write_empty_query_response(out);
    EXPECT_EQ(out, b("I\0\0\0\x04"sv));
}

TEST(result_set, bool_text) {
    EXPECT_EQ(bool_text(true), "t");
    EXPECT_EQ(bool_text(false), "f");
}

TEST(result_set, float8_text) {
    struct row {
        double v;
        std::string_view text;
    };
    const row table[] = {
        {0.0, "0"},
        {0.5, "0.5"},
        {-2.25, "-2.25"},
        {0.1, "0.1"},
        {1e100, "1e+100"},
        {123456789.0, "123456789"},
        {1e6, "1000000"},
        {1e14, "100000000000000"},
        {1e15, "1e+15"},
        {1.5e20, "1.5e+20"},
        {0.0001, "0.0001"},
        {0.00001, "1e-05"},
        {-0.000012, "-1.2e-05"},
        {1.0 / 3, "0.3333333333333333"},
        {std::numeric_limits<double>::quiet_NaN(), "NaN"},
        {std::numeric_limits<double>::infinity(), "Infinity"},
        {-std::numeric_limits<double>::infinity(), "-Infinity"},
    };
    for (const auto& r : table)
        EXPECT_EQ(float8_text(r.v), r.text) << r.v;
}

TEST(result_set, timestamptz_text) {
    using namespace std::chrono;
    struct row {
        system_clock::time_point t;
        std::string_view text;
    };
    const auto base = system_clock::time_point(seconds(1704164645));  // 2024-01-02 03:04:05 UTC
    const row table[] = {
        {base, "2024-01-02 03:04:05+00"},
        {base + microseconds(123456), "2024-01-02 03:04:05.123456+00"},
        {base + milliseconds(500), "2024-01-02 03:04:05.5+00"},
        {base + microseconds(10), "2024-01-02 03:04:05.00001+00"},
        {system_clock::time_point(seconds(0)), "1970-01-01 00:00:00+00"},
        {system_clock::time_point(microseconds(-500000)), "1969-12-31 23:59:59.5+00"},
    };
    for (const auto& r : table)
        EXPECT_EQ(timestamptz_text(r.t), r.text);
}

}  // namespace
}  // namespace pgrelay::protocol
