// Session objects in SQL text; see session_objects.hpp.
#include "proxy/session_objects.hpp"

#include <array>

#include "proxy/sql_lexer.hpp"

namespace pgrelay::proxy {

namespace {

bool is_name(const token& t) {
    return t.is(token_kind::identifier) || t.is(token_kind::quoted_identifier);
}

// Skips to the parenthesis that closes one already read; returns the tokens' depth at the end
// (0 when found).
void skip_parenthesized(sql_lexer& lex) {
    int depth = 1;
    for (token t = lex.next_significant(); !t.is(token_kind::end); t = lex.next_significant()) {
        if (t.is(token_kind::open_paren)) ++depth;
        if (t.is(token_kind::close_paren) && --depth == 0) return;
    }
}

bool is_temp_schema(std::string_view schema) {
    return schema == "pg_temp" || schema.starts_with("pg_temp_");
}

}  // namespace

std::vector<advisory_call> advisory_calls(std::string_view sql) {
    std::vector<advisory_call> calls;
    bool maybe = false;  // the common case costs one scan
    for (std::size_t i = 0; i + 8 <= sql.size() && !maybe; ++i)
        maybe = istarts_with(sql.substr(i), "advisory");
    if (!maybe) return calls;
    sql_lexer lex(sql);
    for (token t = lex.next_significant(); !t.is(token_kind::end); t = lex.next_significant()) {
        if (!is_name(t)) continue;
        std::string name = identifier_value(t.text);
        if (!name.starts_with("pg_") || name.find("advisory") == std::string::npos) continue;
        sql_lexer ahead = lex;
        if (!ahead.next_significant().is(token_kind::open_paren)) continue;
        lex = ahead;
        std::string key;
        bool literal = true;
        for (token a = lex.next_significant(); !a.is(token_kind::end); a = lex.next_significant()) {
            if (a.is(token_kind::close_paren)) break;
            if (a.is(token_kind::open_paren)) {
                literal = false;
                skip_parenthesized(lex);
            } else if (a.is(token_kind::number) || a.is(token_kind::comma) ||
                       (a.is(token_kind::op) && a.text == "-")) {
                key += a.text;
            } else {
                literal = false;
            }
        }
        calls.push_back({std::move(name), literal ? std::optional(key) : std::nullopt});
    }
    return calls;
}

bool is_session_advisory_lock(std::string_view function) {
    return function == "pg_advisory_lock" || function == "pg_advisory_lock_shared" ||
           function == "pg_try_advisory_lock" || function == "pg_try_advisory_lock_shared";
}

std::vector<std::string> dropped_objects(std::string_view sql) {
    std::vector<std::string> names;
    sql_lexer lex(sql);
    if (!lex.next_significant().is_keyword("drop")) return names;
    token t = lex.next_significant();
    constexpr std::array<std::string_view, 9> single = {
        "table", "view", "sequence", "index", "type", "domain", "function", "procedure", "routine"};
    bool known = false;
    for (const auto word : single)
        known = known || t.is_keyword(word);
    if (t.is_keyword("materialized") || t.is_keyword("foreign")) {
        t = lex.next_significant();  // VIEW / TABLE
        known = t.is_keyword("view") || t.is_keyword("table");
    }
    if (!known) return names;
    t = lex.next_significant();
    if (t.is_keyword("concurrently")) t = lex.next_significant();
    if (t.is_keyword("if")) {
        lex.next_significant();  // EXISTS
        t = lex.next_significant();
    }
    while (is_name(t)) {
        std::vector<std::string> parts{identifier_value(t.text)};
        t = lex.next_significant();
        while (t.is(token_kind::dot)) {
            t = lex.next_significant();
            if (!is_name(t)) return names;
            parts.push_back(identifier_value(t.text));
            t = lex.next_significant();
        }
        if (t.is(token_kind::open_paren)) {  // a routine's argument types
            skip_parenthesized(lex);
            t = lex.next_significant();
        }
        if (parts.size() == 1 || (parts.size() == 2 && is_temp_schema(parts[0])))
            names.push_back(parts.back());
        if (!t.is(token_kind::comma)) break;
        t = lex.next_significant();
    }
    return names;
}

std::string last_name_part(std::string_view written) {
    sql_lexer lex(written);
    std::string last;
    for (token t = lex.next_significant(); !t.is(token_kind::end); t = lex.next_significant()) {
        if (is_name(t)) last = identifier_value(t.text);
    }
    return last;
}

bool drops_on_commit(std::string_view sql) {
    sql_lexer lex(sql);
    int matched = 0;  // of ON COMMIT DROP
    for (token t = lex.next_significant(); !t.is(token_kind::end); t = lex.next_significant()) {
        if (matched == 2 && t.is_keyword("drop")) return true;
        if (matched == 1 && t.is_keyword("commit")) {
            matched = 2;
        } else {
            matched = t.is_keyword("on") ? 1 : 0;
        }
    }
    return false;
}

bool do_block_may_change_session(std::string_view sql) {
    sql_lexer outer(sql);
    if (!outer.next_significant().is_keyword("do")) return false;
    std::optional<std::string> body;
    for (token t = outer.next_significant(); !t.is(token_kind::end); t = outer.next_significant()) {
        if (t.is(token_kind::string) || t.is(token_kind::dollar_string)) {
            body = string_literal_value(t);
            break;
        }
    }
    if (!body) return true;  // no body we can read: when in doubt
    constexpr std::array<std::string_view, 14> words = {
        "temp",    "temporary", "set_config",    "listen",  "prepare",  "hold",    "load",
        "execute", "role",      "authorization", "discard", "unlisten", "pg_temp", "reset"};
    sql_lexer lex(*body);
    bool statement_start = true;
    for (token t = lex.next_significant(); !t.is(token_kind::end); t = lex.next_significant()) {
        if (is_name(t)) {
            const std::string word = identifier_value(t.text);
            for (const auto w : words) {
                if (word == w) return true;
            }
            if (word.find("advisory") != std::string::npos) return true;
            if (statement_start && word == "set") return true;
        }
        statement_start = t.is(token_kind::semicolon) || t.is_keyword("begin") ||
                          t.is_keyword("then") || t.is_keyword("else") || t.is_keyword("loop");
    }
    return false;
}

}  // namespace pgrelay::proxy
