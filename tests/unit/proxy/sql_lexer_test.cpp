// Unit tests for proxy/sql_lexer: token sequences for every lexical form (table-driven), the
// corner cases of prefixes, dollar tags, nesting and operators, unterminated constructs, NUL and
// high-bit bytes, literal decoding, identifier folding, and random input (full coverage of the
// input, no over-read under ASan).
#include "proxy/sql_lexer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace pgrelay::proxy {
namespace {

std::string_view short_name(token_kind k) {
    switch (k) {
        case token_kind::end:
            return "end";
        case token_kind::identifier:
            return "id";
        case token_kind::quoted_identifier:
            return "qid";
        case token_kind::string:
            return "str";
        case token_kind::dollar_string:
            return "dol";
        case token_kind::number:
            return "num";
        case token_kind::parameter:
            return "param";
        case token_kind::op:
            return "op";
        case token_kind::open_paren:
            return "(";
        case token_kind::close_paren:
            return ")";
        case token_kind::comma:
            return ",";
        case token_kind::semicolon:
            return ";";
        case token_kind::dot:
            return ".";
        case token_kind::punctuation:
            return "punct";
        case token_kind::line_comment:
            return "--";
        case token_kind::block_comment:
            return "/*";
        case token_kind::other:
            return "other";
    }
    return "?";
}

std::vector<token> lex_all(std::string_view sql, lexer_options o = {}) {
    std::vector<token> out;
    sql_lexer lex(sql, o);
    for (token t = lex.next(); t.kind != token_kind::end; t = lex.next())
        out.push_back(t);
    return out;
}

// "id[SELECT] num[1]"; an unterminated token is marked with '!'.
std::string describe(std::string_view sql, lexer_options o = {}) {
    std::string out;
    for (const token& t : lex_all(sql, o)) {
        if (!out.empty()) out += ' ';
        out += short_name(t.kind);
        if (t.unterminated) out += '!';
        out += '[';
        out += t.text;
        out += ']';
    }
    return out;
}

struct lex_case {
    std::string_view sql;
    std::string_view tokens;
};

const lex_case basic_cases[] = {
    {"", ""},
    {"   \t\n\r\f\v  ", ""},
    {"SELECT 1", "id[SELECT] num[1]"},
    {"  \t\n\r\f\vselect", "id[select]"},
    {"a_b$c9 _x", "id[a_b$c9] id[_x]"},
    {"a.b", "id[a] .[.] id[b]"},
    {"t.*", "id[t] .[.] op[*]"},
    {"f(a, b);", "id[f] ([(] id[a] ,[,] id[b] )[)] ;[;]"},
    {"x::int", "id[x] punct[::] id[int]"},
    {"x := 1", "id[x] punct[:=] num[1]"},
    {"a[1:2]", "id[a] punct[[] num[1] punct[:] num[2] punct[]]"},
    {"1..2", "num[1] punct[..] num[2]"},
    // comments
    {"--c\nSELECT", "--[--c] id[SELECT]"},
    {"-- c", "--[-- c]"},
    {"--c\rx", "--[--c] id[x]"},
    {"--", "--[--]"},
    {"/* a */x", "/*[/* a */] id[x]"},
    {"/**/x", "/*[/**/] id[x]"},
    {"/*/ x */y", "/*[/*/ x */] id[y]"},
    {"/* /* nested */ still */x", "/*[/* /* nested */ still */] id[x]"},
    {"/* /* */", "/*![/* /* */]"},
    {"/* unterminated", "/*![/* unterminated]"},
    {"/*", "/*![/*]"},
    {"/*/", "/*![/*/]"},
    {"a/*c*/b", "id[a] /*[/*c*/] id[b]"},
    {"a--c\nb", "id[a] --[--c] id[b]"},
    // strings
    {"'abc'", "str['abc']"},
    {"''", "str['']"},
    {"'it''s'", "str['it''s']"},
    {"''''", "str['''']"},
    {"'a' 'b'", "str['a'] str['b']"},
    {"'a\\'b'", "str['a\\'] str![b']"},  // b' opens a bit string
    {"'a\\'c'", "str['a\\'] id[c] str![']"},
    {"'abc", "str!['abc]"},
    {"'", "str![']"},
    {"'a''", "str!['a'']"},
    {"E'a\\'b'", "str[E'a\\'b']"},
    {"e'x'", "str[e'x']"},
    {"E'\\\\'", "str[E'\\\\']"},
    {"E'it''s'", "str[E'it''s']"},
    {"E'\\", "str![E'\\]"},
    {"E'abc\\'", "str![E'abc\\']"},
    {"E 'x'", "id[E] str['x']"},
    {"N'abc'", "str[N'abc']"},
    {"n'a''b'", "str[n'a''b']"},
    {"B'1010'", "str[B'1010']"},
    {"X'1F'", "str[X'1F']"},
    {"x'1'||'2'", "str[x'1'] op[||] str['2']"},
    {"b'10''01'", "str[b'10'] str['01']"},
    {"U&'d\\0061t\\+000061'", "str[U&'d\\0061t\\+000061']"},
    {"u&'it''s'", "str[u&'it''s']"},
    {"U&'\\'", "str[U&'\\']"},
    {"U&x", "id[U] op[&] id[x]"},
    {"U&\"d\\0061t\"", "qid[U&\"d\\0061t\"]"},
    {"ex'x'", "id[ex] str['x']"},
    {"Ebc'x'", "id[Ebc] str['x']"},
    // quoted identifiers
    {"\"Foo\"", "qid[\"Foo\"]"},
    {"\"a \"\"b\"\"\"", "qid[\"a \"\"b\"\"\"]"},
    {"\"\"", "qid[\"\"]"},
    {"\"unterminated", "qid![\"unterminated]"},
    {"select\"x\"", "id[select] qid[\"x\"]"},
    {"\"a\".\"b\"", "qid[\"a\"] .[.] qid[\"b\"]"},
    {"\"it's\"", "qid[\"it's\"]"},
    {"'say \"hi\"'", "str['say \"hi\"']"},
    // dollar quotes and parameters
    {"$$a$b$$", "dol[$$a$b$$]"},
    {"$$$$", "dol[$$$$]"},
    {"$$ ' \" -- /* $$", "dol[$$ ' \" -- /* $$]"},
    {"$tag$ $$ $tag$", "dol[$tag$ $$ $tag$]"},
    {"$a$x$A$y$a$", "dol[$a$x$A$y$a$]"},
    {"$_t1$x$_t1$", "dol[$_t1$x$_t1$]"},
    {"$tag$ unterminated", "dol![$tag$ unterminated]"},
    {"$$", "dol![$$]"},
    {"$1", "param[$1]"},
    {"$12, $3", "param[$12] ,[,] param[$3]"},
    {"$1a", "param[$1] id[a]"},
    {"$1tag$", "param[$1] id[tag$]"},
    {"$", "other[$]"},
    {"$ab", "other[$] id[ab]"},
    {"$a b$", "other[$] id[a] id[b$]"},
    {"a$$b$$", "id[a$$b$$]"},
    {"$1$", "param[$1] other[$]"},
    {"$é$x$é$", "dol[$é$x$é$]"},
    // numbers
    {"42", "num[42]"},
    {"4.2", "num[4.2]"},
    {"4.", "num[4.]"},
    {".5", "num[.5]"},
    {"1e10", "num[1e10]"},
    {"1.5E-3", "num[1.5E-3]"},
    {"1e+3", "num[1e+3]"},
    {"1e", "num[1] id[e]"},
    {"1ea", "num[1] id[ea]"},
    {"0x1F", "num[0x1F]"},
    {"0X_1f", "num[0X_1f]"},
    {"0o17", "num[0o17]"},
    {"0b101", "num[0b101]"},
    {"0x", "num[0] id[x]"},
    {"0b2", "num[0] id[b2]"},
    {"1_000_000", "num[1_000_000]"},
    {"1__0", "num[1] id[__0]"},
    {"1_", "num[1] id[_]"},
    {"1.2.3", "num[1.2] num[.3]"},
    // operators
    {"a<>b", "id[a] op[<>] id[b]"},
    {"a>=b", "id[a] op[>=] id[b]"},
    {"a!=b", "id[a] op[!=] id[b]"},
    {"a=-1", "id[a] op[=] op[-] num[1]"},
    {"a@-1", "id[a] op[@-] num[1]"},
    {"a*-+1", "id[a] op[*] op[-] op[+] num[1]"},
    {"1+--c", "num[1] op[+] --[--c]"},
    {"a*/*c*/b", "id[a] op[*] /*[/*c*/] id[b]"},
    {"a-/*c*/b", "id[a] op[-] /*[/*c*/] id[b]"},
    {"a||b", "id[a] op[||] id[b]"},
    {"j->>'k'", "id[j] op[->>] str['k']"},
    {"j#>'{a}'", "id[j] op[#>] str['{a}']"},
    {"x ~* 'y'", "id[x] op[~*] str['y']"},
    {"a => b", "id[a] op[=>] id[b]"},
    {"@@", "op[@@]"},
    {"`?%^&|", "op[`?%^&|]"},
    // other bytes
    {"\\", "other[\\]"},
    {"{}", "other[{] other[}]"},
    {"\x01", "other[\x01]"},
    {"é", "id[é]"},
    {"Ünïcödé_1", "id[Ünïcödé_1]"},
    {"\xff\xfe", "id[\xff\xfe]"},
};

TEST(sql_lexer, token_table) {
    for (const lex_case& c : basic_cases) {
        SCOPED_TRACE(std::string(c.sql));
        EXPECT_EQ(describe(c.sql), c.tokens);
    }
}

TEST(sql_lexer, backslash_escapes_in_plain_strings_follow_standard_conforming_strings) {
    const lexer_options off{false};
    EXPECT_EQ(describe("'a\\'b'", off), "str['a\\'b']");
    EXPECT_EQ(describe("'a\\\\' b", off), "str['a\\\\'] id[b]");
    EXPECT_EQ(describe("N'a\\'b'", off), "str[N'a\\'b']");
    EXPECT_EQ(describe("'a\\", off), "str!['a\\]");
    // U&'' and B''/X'' never take backslash escapes; E'' always does.
    EXPECT_EQ(describe("U&'a\\' b", off), "str[U&'a\\'] id[b]");
    EXPECT_EQ(describe("B'1\\' x", off), "str[B'1\\'] id[x]");
    EXPECT_EQ(describe("E'a\\'b'"), "str[E'a\\'b']");
    EXPECT_EQ(describe("'a\\'c'"), "str['a\\'] id[c] str![']");
}

TEST(sql_lexer, embedded_nul_bytes) {
    const char raw[] = "SELECT\0 1 '\0' \"\0\" -- \0\n$$\0$$";
    const std::string sql(raw, sizeof(raw) - 1);
    const auto tokens = lex_all(sql);
    ASSERT_EQ(tokens.size(), 7u);
    EXPECT_EQ(tokens[0].kind, token_kind::identifier);
    EXPECT_EQ(tokens[1].kind, token_kind::other);
    EXPECT_EQ(tokens[1].text, std::string_view("\0", 1));
    EXPECT_EQ(tokens[2].kind, token_kind::number);
    EXPECT_EQ(tokens[3].kind, token_kind::string);
    EXPECT_EQ(tokens[3].text.size(), 3u);
    EXPECT_EQ(tokens[4].kind, token_kind::quoted_identifier);
    EXPECT_EQ(tokens[5].kind, token_kind::line_comment);
    EXPECT_EQ(tokens[6].kind, token_kind::dollar_string);
    EXPECT_FALSE(tokens[6].unterminated);
}

TEST(sql_lexer, end_repeats_and_points_at_the_end) {
    const std::string_view sql = "a ";
    sql_lexer lex(sql);
    EXPECT_EQ(lex.next().text, "a");
    for (int i = 0; i < 3; ++i) {
        const token t = lex.next();
        EXPECT_EQ(t.kind, token_kind::end);
        EXPECT_TRUE(t.text.empty());
        EXPECT_EQ(t.text.data(), sql.data() + sql.size());
    }
    EXPECT_EQ(lex.offset(), sql.size());
}

TEST(sql_lexer, next_significant_skips_comments) {
    sql_lexer lex("/* a */ -- b\n x /* c */ ; -- d");
    EXPECT_EQ(lex.next_significant().text, "x");
    EXPECT_EQ(lex.next_significant().kind, token_kind::semicolon);
    EXPECT_EQ(lex.next_significant().kind, token_kind::end);
}

TEST(sql_lexer, keywords_compare_case_insensitively_and_never_in_quotes) {
    const auto tokens = lex_all("SeLeCt \"select\" 'select' $$select$$ selects");
    ASSERT_EQ(tokens.size(), 5u);
    EXPECT_TRUE(tokens[0].is_keyword("select"));
    EXPECT_FALSE(tokens[1].is_keyword("select"));
    EXPECT_FALSE(tokens[2].is_keyword("select"));
    EXPECT_FALSE(tokens[3].is_keyword("select"));
    EXPECT_FALSE(tokens[4].is_keyword("select"));
    EXPECT_TRUE(iequals("SELECT", "select"));
    EXPECT_FALSE(iequals("SELECTS", "select"));
    EXPECT_TRUE(istarts_with("PG_Advisory_Lock", "pg_advisory"));
    EXPECT_FALSE(istarts_with("pg_advis", "pg_advisory"));
    EXPECT_EQ(ascii_lower('Q'), 'q');
    EXPECT_EQ(ascii_lower('\xC9'), '\xC9');  // only ASCII is folded
}

TEST(sql_lexer, deep_nesting_and_long_tokens) {
    std::string nested;
    for (int i = 0; i < 100000; ++i)
        nested += "/*";
    for (int i = 0; i < 100000; ++i)
        nested += "*/";
    nested += "x";
    auto tokens = lex_all(nested);
    ASSERT_EQ(tokens.size(), 2u);
    EXPECT_EQ(tokens[0].kind, token_kind::block_comment);
    EXPECT_FALSE(tokens[0].unterminated);
    EXPECT_EQ(tokens[1].text, "x");

    const std::string long_ident(100000, 'a');
    tokens = lex_all(long_ident);
    ASSERT_EQ(tokens.size(), 1u);
    EXPECT_EQ(tokens[0].text.size(), long_ident.size());

    const std::string long_string = "'" + std::string(1 << 20, 'x') + "'";
    tokens = lex_all(long_string);
    ASSERT_EQ(tokens.size(), 1u);
    EXPECT_EQ(tokens[0].kind, token_kind::string);
}

struct literal_case {
    std::string_view sql;
    std::optional<std::string> value;
};

const literal_case literal_cases[] = {
    {"'abc'", "abc"},
    {"''", ""},
    {"'it''s'", "it's"},
    {"'a\\nb'", "a\\nb"},
    {"E'a\\nb'", "a\nb"},
    {"E'\\b\\f\\r\\t'", "\b\f\r\t"},
    {"E'\\x41\\101\\u0042\\U00000043'", "AABC"},
    {"E'\\x4'", "\x04"},
    {"E'\\xg'", "xg"},
    {"E'\\''", "'"},
    {"E'it''s'", "it's"},
    {"E'\\q'", "q"},
    {"E'\\\\'", "\\"},
    {"E'\\u00e9'", "\xC3\xA9"},
    {"E'\\u20AC'", "\xE2\x82\xAC"},
    {"E'\\uD83D\\uDE00'", "\xF0\x9F\x98\x80"},
    {"E'\\uD83D'", std::nullopt},
    {"E'\\uDE00'", std::nullopt},
    {"E'\\uD83Dx'", std::nullopt},
    {"E'\\u12'", std::nullopt},
    {"E'\\U00110000'", std::nullopt},
    {"N'nat'", "nat"},
    {"U&'\\0041\\+000042\\\\'", "AB\\"},
    {"U&'d\\0061t\\+000061'", "data"},
    {"U&'\\zz'", std::nullopt},
    {"U&'\\'", std::nullopt},
    {"U&'it''s'", "it's"},
    {"U&'\\D83D\\DE00'", "\xF0\x9F\x98\x80"},
    {"B'101'", "101"},
    {"X'1F'", "1F"},
    {"$$x$$", "x"},
    {"$$$$", ""},
    {"$t$a$$b$t$", "a$$b"},
    {"$t$it's$t$", "it's"},
    {"'unterminated", std::nullopt},
    {"$$unterminated", std::nullopt},
    {"ident", std::nullopt},
    {"\"quoted\"", std::nullopt},
    {"42", std::nullopt},
};

TEST(sql_lexer, string_literal_values) {
    for (const literal_case& c : literal_cases) {
        SCOPED_TRACE(std::string(c.sql));
        sql_lexer lex(c.sql);
        const token t = lex.next();
        EXPECT_EQ(string_literal_value(t), c.value);
    }
    sql_lexer lex("'a\\'b'", lexer_options{false});
    EXPECT_EQ(string_literal_value(lex.next(), lexer_options{false}), "a'b");
    EXPECT_EQ(string_literal_value(token{}), std::nullopt);
}

TEST(sql_lexer, identifier_values) {
    EXPECT_EQ(identifier_value("FooBar"), "foobar");
    EXPECT_EQ(identifier_value("foo_1$"), "foo_1$");
    EXPECT_EQ(identifier_value("\"FooBar\""), "FooBar");
    EXPECT_EQ(identifier_value("\"a\"\"b\""), "a\"b");
    EXPECT_EQ(identifier_value("\"\""), "");
    EXPECT_EQ(identifier_value("U&\"Xy\""), "Xy");
    EXPECT_EQ(identifier_value("\"unterminated"), "unterminated");
    EXPECT_EQ(identifier_value("ÉCOLE"), "École");  // ASCII folding only
    EXPECT_EQ(identifier_value(""), "");
}

// Every byte of the input is whitespace or inside exactly one token, tokens come in order, and
// the lexer always makes progress.
void check_coverage(std::string_view sql, lexer_options o) {
    sql_lexer lex(sql, o);
    std::size_t pos = 0;
    for (int guard = 0;; ++guard) {
        ASSERT_LE(guard, static_cast<int>(sql.size()) + 1) << "no progress";
        const token t = lex.next();
        const auto start = static_cast<std::size_t>(t.text.data() - sql.data());
        ASSERT_GE(start, pos);
        ASSERT_LE(start + t.text.size(), sql.size());
        for (std::size_t i = pos; i < start; ++i) {
            const char c = sql[i];
            ASSERT_TRUE(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
                << "skipped byte " << static_cast<int>(static_cast<unsigned char>(c)) << " at "
                << i;
        }
        if (t.kind == token_kind::end) {
            ASSERT_EQ(start, sql.size());
            break;
        }
        ASSERT_FALSE(t.text.empty());
        if (t.unterminated) {
            ASSERT_EQ(start + t.text.size(), sql.size());
        }
        pos = start + t.text.size();
    }
}

TEST(sql_lexer, random_input_is_fully_covered) {
    std::mt19937 rng(20240601);
    const std::string alphabet = "'\"$-/*\\eEuUbBxXnN&_aZ09.;:()[],+=<>!@#%^|`?~{} \t\n\r";
    for (int round = 0; round < 20000; ++round) {
        std::string sql;
        const std::size_t len = rng() % 64;
        for (std::size_t i = 0; i < len; ++i) {
            sql += round % 3 == 0 ? static_cast<char>(rng() & 0xFF)
                                  : alphabet[rng() % alphabet.size()];
        }
        SCOPED_TRACE(sql);
        // A copy on the heap sized exactly, so ASan catches any read past the end.
        const std::vector<char> exact(sql.begin(), sql.end());
        const std::string_view view(exact.data(), exact.size());
        check_coverage(view, lexer_options{true});
        check_coverage(view, lexer_options{false});
        if (HasFatalFailure()) return;
        for (const token& t : lex_all(view)) {
            (void)string_literal_value(t);
            (void)identifier_value(t.text);
        }
    }
}

TEST(sql_lexer, every_prefix_of_a_tricky_query_is_covered) {
    const std::string sql =
        "SELECT E'a\\'b', U&'\\0041', $t$ $$ $t$, \"q\"\"x\", /* a /* b */ c */ 1.5e-3, $1 -- x\n"
        "FROM t WHERE a <> b::int AND c ~* 'x''y' ; B'1' X'F' N'n' $$";
    for (std::size_t n = 0; n <= sql.size(); ++n) {
        const std::vector<char> exact(sql.begin(), sql.begin() + static_cast<std::ptrdiff_t>(n));
        check_coverage(std::string_view(exact.data(), exact.size()), lexer_options{});
        if (HasFatalFailure()) return;
    }
}

}  // namespace
}  // namespace pgrelay::proxy
