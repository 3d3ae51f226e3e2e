// pg_lsn parsing, formatting and distance.
#include "health/lsn.hpp"

#include <gtest/gtest.h>

namespace pgrelay::health {
namespace {

struct parse_case {
    const char* text;
    std::optional<std::uint64_t> value;
};

class lsn_parse : public ::testing::TestWithParam<parse_case> {};

TEST_P(lsn_parse, parses_or_refuses) {
    const auto& c = GetParam();
    auto l = parse_lsn(c.text);
    ASSERT_EQ(l.has_value(), c.value.has_value()) << c.text;
    if (l) {
        EXPECT_EQ(l->value, *c.value) << c.text;
    }
}

INSTANTIATE_TEST_SUITE_P(
    cases, lsn_parse,
    ::testing::Values(parse_case{"0/0", 0}, parse_case{"0/1", 1},
                      parse_case{"16/B374D848", 0x16B374D848ull},
                      parse_case{"ffffffff/ffffffff", 0xffffffffffffffffull},
                      parse_case{"FFFFFFFF/0", 0xffffffff00000000ull}, parse_case{"", std::nullopt},
                      parse_case{"/", std::nullopt}, parse_case{"0/", std::nullopt},
                      parse_case{"/0", std::nullopt}, parse_case{"1", std::nullopt},
                      parse_case{"g/0", std::nullopt}, parse_case{"0/0/0", std::nullopt},
                      parse_case{"123456789/0", std::nullopt}, parse_case{" 0/0", std::nullopt}));

TEST(lsn, formats_like_postgresql) {
    EXPECT_EQ(format_lsn({0}), "0/0");
    EXPECT_EQ(format_lsn({0x16B374D848ull}), "16/B374D848");
    EXPECT_EQ(format_lsn({0xffffffffffffffffull}), "FFFFFFFF/FFFFFFFF");
}

TEST(lsn, round_trips) {
    for (std::uint64_t v : {0ull, 1ull, 0x100000000ull, 0x123456789abcdefull}) {
        EXPECT_EQ(parse_lsn(format_lsn({v}))->value, v);
    }
}

TEST(lsn, bytes_behind_never_negative) {
    EXPECT_EQ(bytes_behind({100}, {40}), 60u);
    EXPECT_EQ(bytes_behind({40}, {100}), 0u);
    EXPECT_EQ(bytes_behind({7}, {7}), 0u);
    EXPECT_EQ(bytes_behind({0x200000000ull}, {0x1FFFFFFFFull}), 1u);
}

}  // namespace
}  // namespace pgrelay::health
