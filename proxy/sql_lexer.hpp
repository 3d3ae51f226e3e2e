// SQL tokenizer following PostgreSQL's lexical rules (docs: "SQL Syntax > Lexical Structure"):
// whitespace, -- and nested /* */ comments, strings in every quoting style, dollar quotes, quoted
// identifiers, numbers, parameters, operators and punctuation. Pure and allocation-free: tokens
// are views into the input; unterminated or garbage input never throws and never over-reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgrelay::proxy {

enum class token_kind : std::uint8_t {
    end,                // no more input; text is empty and points at the end of the input
    identifier,         // unquoted identifier or key word: letters, digits, _ and $; compare
                        // case-insensitively (PostgreSQL folds unquoted names to lower case)
    quoted_identifier,  // "..." or U&"...", "" standing for one quote; case is kept
    string,             // '...', E'...' (backslash escapes), U&'...', B'...', X'...', N'...';
                        // '' stands for one quote in all but B'' and X''
    dollar_string,      // $$...$$ or $tag$...$tag$ (the tag follows identifier rules, no $)
    number,             // 42, 4.2, 4., .5, 1e-3, 0x1F, 0o17, 0b101, 1_000 (PG 16 forms included)
    parameter,          // $1
    op,                 // runs of + - * / < > = ~ ! @ # % ^ & | ` ? (never containing -- or /*,
                        // trailing + - trimmed as PostgreSQL does)
    open_paren,         // (
    close_paren,        // )
    comma,              // ,
    semicolon,          // ; the statement separator
    dot,                // .
    punctuation,        // [ ] : :: := ..
    line_comment,       // -- up to (not including) the end of the line
    block_comment,      // /* ... */, nesting counted
    other,              // any other single byte: control bytes, NUL, a stray \ or $, { }
};

struct token {
    token_kind kind = token_kind::end;
    // A string, quoted identifier, dollar string or block comment that ran to the end of the
    // input: the token then holds the rest of the input.
    bool unterminated = false;
    // Exactly as written: prefix, quotes and delimiters included.
    std::string_view text;

    bool is(token_kind k) const noexcept { return kind == k; }
    bool is_comment() const noexcept {
        return kind == token_kind::line_comment || kind == token_kind::block_comment;
    }
    // An unquoted identifier equal to `lower` (lowercase ASCII) ignoring ASCII case. Quoted
    // identifiers never match: "select" is a name, not a key word.
    bool is_keyword(std::string_view lower) const noexcept;
};

struct lexer_options {
    // The session's standard_conforming_strings (on by default since PostgreSQL 9.1). When off,
    // a backslash escapes the next byte in plain '...' and N'...' strings too.
    bool standard_conforming_strings = true;
};

class sql_lexer {
  public:
    explicit sql_lexer(std::string_view sql, lexer_options options = {}) noexcept
        : sql_(sql), backslash_in_plain_strings_(!options.standard_conforming_strings) {}

    // The next token, comments included, whitespace skipped. At the end: token_kind::end, again
    // on every further call.
    token next() noexcept;
    // The next token that is not a comment.
    token next_significant() noexcept;

    std::size_t offset() const noexcept { return pos_; }
    std::string_view input() const noexcept { return sql_; }

  private:
    token make(token_kind kind, std::size_t start, std::size_t end, bool unterminated = false);
    token quoted(token_kind kind, std::size_t start, std::size_t body, char quote, bool backslash,
                 bool doubling);
    token dollar(std::size_t start);
    token number(std::size_t start);
    token operator_run(std::size_t start);

    std::string_view sql_;
    std::size_t pos_ = 0;
    bool backslash_in_plain_strings_ = false;
};

constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}
// `text` equals `lower` (lowercase ASCII) ignoring ASCII case.
bool iequals(std::string_view text, std::string_view lower) noexcept;
// `text` starts with `lower` (lowercase ASCII) ignoring ASCII case.
bool istarts_with(std::string_view text, std::string_view lower) noexcept;

// The value of a string or dollar_string token with quotes removed and escapes applied: ''
// everywhere, backslash escapes in E'' (and in plain strings when standard_conforming_strings is
// off: pass the same options as to the lexer), \XXXX and \+XXXXXX in U&'' (the default escape
// character only; a UESCAPE clause is the caller's business). B'' and X'' give their digits.
// Nothing for other tokens, unterminated ones, or an invalid escape.
std::optional<std::string> string_literal_value(const token& t, lexer_options options = {});

// The name an identifier as written stands for: unquoted ones folded to lower case (ASCII), quoted
// ones unquoted with "" collapsed and case kept (U&"" escapes are left as written). Accepts
// anything; text that is not an identifier comes back as it is.
std::string identifier_value(std::string_view written);

}  // namespace pgrelay::proxy
