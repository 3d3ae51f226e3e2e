// The classifier in two steps per statement: one pass over the whole query splits statements at
// top-level ';' and collects facts that can sit anywhere in a statement (writing function calls,
// FOR UPDATE, INTO, data-modifying CTE bodies, set_config calls); then the statement's leading key
// words are read again to decide its kind, route and session details.
#include "proxy/sql_classifier.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace pgrelay::proxy {
namespace {

// ---------------------------------------------------------------------------------------------
// Key words and function names the classifier looks at. Identifiers are mapped to one of these
// once, through a hash table built at compile time.

// clang-format off
enum class kw : std::uint8_t {
    none,
    abort, all, analyse, analyze, and_, as, asensitive, authorization, begin, between, binary,
    case_, chain, characteristics, close, collate, commit, committed, constraints, copy, create,
    cursor, cycle, deallocate, declare, default_, deferrable, delete_, discard, end, execute,
    exists, explain, false_, fetch, for_, from, function, global, hold, if_, ilike, in,
    insensitive, insert, into, is, isnull, isolation, key, level, like, listen, load, local,
    materialized, merge, move, names, no, not_, notnull, only, option, or_, pg_temp, plans,
    prepare, prepared, procedure, read, recursive, release, repeatable, replace, reset, role,
    rollback, savepoint, schema, scroll, search, select, sequence, sequences, serializable,
    session, set, share, show, similar, snapshot, start, table, temp, temporary, time, to,
    transaction, true_, uncommitted, unlisten, unlogged, update, using_, values, verbose, view,
    with, without, work, write, xml, zone,
    set_config,
    // Built-in writing functions: keep them last, from nextval on (is_builtin_writer).
    nextval, setval, currval, lastval, txid_current, pg_current_xact_id, pg_notify, lo_create,
    lo_creat, lo_import, lo_unlink, lo_put, lo_from_bytea, lowrite, lo_truncate, lo_truncate64,
    pg_switch_wal, pg_create_restore_point, pg_logical_emit_message,
};
// clang-format on

struct kw_entry {
    std::string_view name;
    kw id;
};

constexpr std::size_t max_kw_len = 24;

// clang-format off
constexpr auto kw_table = [] {
    auto t = std::to_array<kw_entry>({
        {"abort", kw::abort}, {"all", kw::all}, {"analyse", kw::analyse}, {"analyze", kw::analyze},
        {"and", kw::and_}, {"as", kw::as}, {"asensitive", kw::asensitive},
        {"authorization", kw::authorization}, {"begin", kw::begin}, {"between", kw::between},
        {"binary", kw::binary}, {"case", kw::case_}, {"chain", kw::chain},
        {"characteristics", kw::characteristics}, {"close", kw::close}, {"collate", kw::collate},
        {"commit", kw::commit}, {"committed", kw::committed}, {"constraints", kw::constraints},
        {"copy", kw::copy}, {"create", kw::create}, {"cursor", kw::cursor}, {"cycle", kw::cycle},
        {"deallocate", kw::deallocate}, {"declare", kw::declare}, {"default", kw::default_},
        {"deferrable", kw::deferrable}, {"delete", kw::delete_}, {"discard", kw::discard},
        {"end", kw::end}, {"execute", kw::execute}, {"exists", kw::exists},
        {"explain", kw::explain}, {"false", kw::false_}, {"fetch", kw::fetch}, {"for", kw::for_},
        {"from", kw::from}, {"function", kw::function}, {"global", kw::global}, {"hold", kw::hold},
        {"if", kw::if_}, {"ilike", kw::ilike}, {"in", kw::in}, {"insensitive", kw::insensitive},
        {"insert", kw::insert}, {"into", kw::into}, {"is", kw::is}, {"isnull", kw::isnull},
        {"isolation", kw::isolation}, {"key", kw::key}, {"level", kw::level}, {"like", kw::like},
        {"listen", kw::listen}, {"load", kw::load}, {"local", kw::local},
        {"materialized", kw::materialized}, {"merge", kw::merge}, {"move", kw::move},
        {"names", kw::names}, {"no", kw::no}, {"not", kw::not_}, {"notnull", kw::notnull},
        {"only", kw::only}, {"option", kw::option}, {"or", kw::or_}, {"pg_temp", kw::pg_temp},
        {"plans", kw::plans}, {"prepare", kw::prepare}, {"prepared", kw::prepared},
        {"procedure", kw::procedure}, {"read", kw::read}, {"recursive", kw::recursive},
        {"release", kw::release}, {"repeatable", kw::repeatable}, {"replace", kw::replace},
        {"reset", kw::reset}, {"role", kw::role}, {"rollback", kw::rollback},
        {"savepoint", kw::savepoint}, {"schema", kw::schema}, {"scroll", kw::scroll},
        {"search", kw::search}, {"select", kw::select}, {"sequence", kw::sequence},
        {"sequences", kw::sequences}, {"serializable", kw::serializable}, {"session", kw::session},
        {"set", kw::set}, {"share", kw::share}, {"show", kw::show}, {"similar", kw::similar},
        {"snapshot", kw::snapshot}, {"start", kw::start}, {"table", kw::table}, {"temp", kw::temp},
        {"temporary", kw::temporary}, {"time", kw::time}, {"to", kw::to},
        {"transaction", kw::transaction}, {"true", kw::true_}, {"uncommitted", kw::uncommitted},
        {"unlisten", kw::unlisten}, {"unlogged", kw::unlogged}, {"update", kw::update},
        {"using", kw::using_}, {"values", kw::values}, {"verbose", kw::verbose}, {"view", kw::view},
        {"with", kw::with}, {"without", kw::without}, {"work", kw::work}, {"write", kw::write},
        {"xml", kw::xml}, {"zone", kw::zone}, {"set_config", kw::set_config},
        {"nextval", kw::nextval}, {"setval", kw::setval}, {"currval", kw::currval},
        {"lastval", kw::lastval}, {"txid_current", kw::txid_current},
        {"pg_current_xact_id", kw::pg_current_xact_id}, {"pg_notify", kw::pg_notify},
        {"lo_create", kw::lo_create}, {"lo_creat", kw::lo_creat}, {"lo_import", kw::lo_import},
        {"lo_unlink", kw::lo_unlink}, {"lo_put", kw::lo_put}, {"lo_from_bytea", kw::lo_from_bytea},
        {"lowrite", kw::lowrite}, {"lo_truncate", kw::lo_truncate},
        {"lo_truncate64", kw::lo_truncate64}, {"pg_switch_wal", kw::pg_switch_wal},
        {"pg_create_restore_point", kw::pg_create_restore_point},
        {"pg_logical_emit_message", kw::pg_logical_emit_message},
    });
    std::sort(t.begin(), t.end(), [](const kw_entry& a, const kw_entry& b) {
        return a.name.size() != b.name.size() ? a.name.size() < b.name.size() : a.name < b.name;
    });
    return t;
}();
// clang-format on

static_assert(kw_table.back().name.size() <= max_kw_len);
// Every enumerator but none spelled exactly once, every spelling lowercase and distinct.
static_assert([] {
    if (kw_table.size() != static_cast<std::size_t>(kw::pg_logical_emit_message)) return false;
    std::array<bool, kw_table.size() + 1> seen{};
    for (std::size_t i = 0; i < kw_table.size(); ++i) {
        const auto id = static_cast<std::size_t>(kw_table[i].id);
        if (id == 0 || seen[id]) return false;
        seen[id] = true;
        if (i > 0 && kw_table[i].name == kw_table[i - 1].name) return false;
        for (const char c : kw_table[i].name) {
            if (c >= 'A' && c <= 'Z') return false;
        }
    }
    return true;
}());

// Open-addressing hash table over kw_table, built at compile time. The hash reads only the
// length and three bytes, so an identifier costs O(1) unless it hits an entry; most identifiers
// (column and table names) are not key words.
constexpr std::size_t kw_slots = 512;  // a power of two, under 30% full

constexpr std::size_t kw_hash(std::size_t len, char first, char second, char last) {
    std::uint32_t h = static_cast<std::uint32_t>(len) * 0x9E3779B1u;
    h ^= static_cast<unsigned char>(first) * 0x85EBCA77u;
    h ^= static_cast<unsigned char>(second) * 0xC2B2AE3Du;
    h ^= static_cast<unsigned char>(last) * 0x27D4EB2Fu;
    return (h ^ (h >> 16)) & (kw_slots - 1);
}

constexpr std::size_t kw_hash(std::string_view lower) {
    return kw_hash(lower.size(), lower[0], lower[1], lower.back());
}

constexpr auto kw_index = [] {
    std::array<std::uint8_t, kw_slots> slots{};  // 1 + index into kw_table; 0: empty
    for (std::size_t i = 0; i < kw_table.size(); ++i) {
        std::size_t slot = kw_hash(kw_table[i].name);
        while (slots[slot] != 0)
            slot = (slot + 1) & (kw_slots - 1);
        slots[slot] = static_cast<std::uint8_t>(i + 1);
    }
    return slots;
}();
static_assert(kw_table.size() < 255 && kw_table.size() * 3 < kw_slots);
// Probe sequences stay short: no key word sits more than a few slots past its hash.
static_assert([] {
    for (std::size_t slot = 0; slot < kw_slots; ++slot) {
        if (kw_index[slot] == 0) continue;
        const std::size_t home = kw_hash(kw_table[kw_index[slot] - 1].name);
        if (((slot - home) & (kw_slots - 1)) > 3) return false;
    }
    return true;
}());

constexpr kw keyword_of(std::string_view text) noexcept {
    const std::size_t len = text.size();
    if (len < 2 || len > max_kw_len) return kw::none;  // no one-letter key words
    const char first = ascii_lower(text[0]);
    const char last = ascii_lower(text[len - 1]);
    for (std::size_t slot = kw_hash(len, first, ascii_lower(text[1]), last);;
         slot = (slot + 1) & (kw_slots - 1)) {
        const std::uint8_t entry = kw_index[slot];
        if (entry == 0) return kw::none;
        const kw_entry& e = kw_table[entry - 1];
        if (e.name.size() != len || e.name[0] != first || e.name[len - 1] != last) continue;
        std::size_t i = 1;
        while (i < len && ascii_lower(text[i]) == e.name[i])
            ++i;
        if (i == len) return e.id;
    }
}

// The lookup finds every entry, in any case.
static_assert([] {
    for (const kw_entry& e : kw_table) {
        char upper[max_kw_len] = {};
        for (std::size_t i = 0; i < e.name.size(); ++i) {
            upper[i] = e.name[i] >= 'a' && e.name[i] <= 'z' ? static_cast<char>(e.name[i] - 32)
                                                            : e.name[i];
        }
        if (keyword_of(e.name) != e.id) return false;
        if (keyword_of(std::string_view(upper, e.name.size())) != e.id) return false;
    }
    return keyword_of("selec") == kw::none && keyword_of("x") == kw::none;
}());

kw keyword_of(const token& t) noexcept {
    return t.kind == token_kind::identifier ? keyword_of(t.text) : kw::none;
}

bool is_builtin_writer(kw k) noexcept {
    return k >= kw::nextval;
}

bool is_builtin_writer_name(kw k, std::string_view name) noexcept {
    return is_builtin_writer(k) || istarts_with(name, "pg_advisory") ||
           istarts_with(name, "pg_try_advisory");
}

// The name inside a quoted identifier's quotes ("" left as written), or an identifier as is.
std::string_view name_text(token_kind kind, std::string_view text) noexcept {
    if (kind != token_kind::quoted_identifier) return text;
    const std::size_t open = text.size() > 0 && text[0] == '"' ? 1 : 3;  // " or U&"
    text.remove_prefix(std::min(open, text.size()));
    if (!text.empty() && text.back() == '"') text.remove_suffix(1);
    return text;
}

bool is_literal(const token& t) noexcept {
    return (t.kind == token_kind::string || t.kind == token_kind::dollar_string) && !t.unterminated;
}

// PostgreSQL's parse_bool_with_len: a prefix of true/false/yes/no, on, of(f), 1, 0.
std::optional<bool> parse_bool_text(std::string_view v) noexcept {
    if (v.empty()) return std::nullopt;
    auto prefix_of = [&](std::string_view word) {
        return v.size() <= word.size() && iequals(v, word.substr(0, v.size()));
    };
    switch (ascii_lower(v[0])) {
        case 't':
            if (prefix_of("true")) return true;
            break;
        case 'f':
            if (prefix_of("false")) return false;
            break;
        case 'y':
            if (prefix_of("yes")) return true;
            break;
        case 'n':
            if (prefix_of("no")) return false;
            break;
        case 'o':
            if (iequals(v, "on")) return true;
            if (v.size() >= 2 && prefix_of("off")) return false;
            break;
        case '1':
            if (v.size() == 1) return true;
            break;
        case '0':
            if (v.size() == 1) return false;
            break;
        default:
            break;
    }
    return std::nullopt;
}

// The value of a setting written as one token: a key word or name (lowercased), a literal
// (decoded), or a number. Nothing for anything longer or stranger.
std::optional<std::string> single_value_text(std::string_view value, lexer_options o) {
    sql_lexer lex(value, o);
    const token t = lex.next_significant();
    if (lex.next_significant().kind != token_kind::end) return std::nullopt;
    switch (t.kind) {
        case token_kind::identifier:
            return identifier_value(t.text);
        case token_kind::number:
            return std::string(t.text);
        case token_kind::string:
        case token_kind::dollar_string:
            return string_literal_value(t, o);
        default:
            return std::nullopt;
    }
}

bool is_single_keyword(std::string_view value, kw k, lexer_options o) {
    sql_lexer lex(value, o);
    const token t = lex.next_significant();
    return keyword_of(t) == k && lex.next_significant().kind == token_kind::end;
}

// A literal's value compared with `lower` ignoring case; plain '...' strings without quotes or
// backslashes inside are compared in place.
bool literal_iequals(const token& t, std::string_view lower, lexer_options o) {
    const std::string_view text = t.text;
    if (t.kind == token_kind::string && text.size() >= 2 && text[0] == '\'') {
        const std::string_view body = text.substr(1, text.size() - 2);
        if (body.find_first_of("'\\") == std::string_view::npos) return iequals(body, lower);
    }
    const auto v = string_literal_value(t, o);
    return v && iequals(*v, lower);
}

std::optional<route_preference> parse_preference(std::string_view v) noexcept {
    if (iequals(v, "primary")) return route_preference::primary;
    if (iequals(v, "standby")) return route_preference::standby;
    if (iequals(v, "auto")) return route_preference::automatic;
    return std::nullopt;
}

isolation_level parse_isolation_text(std::string_view v) noexcept {
    if (iequals(v, "serializable")) return isolation_level::serializable;
    if (iequals(v, "repeatable read")) return isolation_level::repeatable_read;
    if (iequals(v, "read committed")) return isolation_level::read_committed;
    if (iequals(v, "read uncommitted")) return isolation_level::read_uncommitted;
    return isolation_level::unspecified;
}

std::string_view trim(std::string_view s) noexcept {
    const auto blank = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    };
    while (!s.empty() && blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && blank(s.back()))
        s.remove_suffix(1);
    return s;
}

// A routing hint comment: /* pgrelay:primary */ or -- pgrelay:standby (also pgrelay:auto).
std::optional<route_preference> parse_hint(const token& t) noexcept {
    std::string_view body = t.text;
    if (t.kind == token_kind::block_comment) {
        body.remove_prefix(2);
        if (!t.unterminated && body.size() >= 2) body.remove_suffix(2);
    } else if (t.kind == token_kind::line_comment) {
        body.remove_prefix(2);
    } else {
        return std::nullopt;
    }
    body = trim(body);
    if (!istarts_with(body, "pgrelay:")) return std::nullopt;
    return parse_preference(trim(body.substr(8)));
}

// ---------------------------------------------------------------------------------------------
// set_config(name, value, is_local) arguments: each must be a single token to be known.

struct call_args {
    token name;
    bool name_known = false;
    token value;
    bool value_known = false;
    std::optional<bool> is_local;
};

// `lex` is positioned just after the call's '('.
call_args parse_call_args(sql_lexer lex, lexer_options o) {
    call_args a;
    std::array<token, 3> first{};
    std::array<int, 3> count{};
    std::size_t arg = 0;
    std::size_t depth = 0;
    bool closed = false;
    for (token t = lex.next_significant(); t.kind != token_kind::end; t = lex.next_significant()) {
        if (t.kind == token_kind::semicolon && depth == 0) break;
        if (t.kind == token_kind::close_paren && depth == 0) {
            closed = true;
            break;
        }
        if (t.kind == token_kind::comma && depth == 0) {
            if (++arg == first.size()) break;
            continue;
        }
        if (t.kind == token_kind::open_paren) ++depth;
        if (t.kind == token_kind::close_paren) --depth;
        if (count[arg]++ == 0) first[arg] = t;
    }
    if (!closed || arg != 2) return a;  // not exactly three arguments
    if (count[0] == 1 && is_literal(first[0])) {
        a.name = first[0];
        a.name_known = true;
    }
    if (count[1] == 1 && is_literal(first[1])) {
        a.value = first[1];
        a.value_known = true;
    }
    if (count[2] == 1) {
        const kw k = keyword_of(first[2]);
        if (k == kw::true_) {
            a.is_local = true;
        } else if (k == kw::false_) {
            a.is_local = false;
        } else if (is_literal(first[2])) {
            if (const auto v = string_literal_value(first[2], o)) a.is_local = parse_bool_text(*v);
        }
    }
    return a;
}

std::string lowered_literal(const token& t, lexer_options o) {
    auto v = string_literal_value(t, o);
    if (!v) return {};
    for (char& c : *v)
        c = ascii_lower(c);
    return std::move(*v);
}

// ---------------------------------------------------------------------------------------------
// Facts gathered in the scanning pass, per statement.

struct features {
    bool writing_call = false;  // a built-in or configured writing function is called
    bool locking = false;       // FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE
    bool select_into = false;   // INTO not after INSERT or MERGE: SELECT INTO
    bool into_temp = false;     // ... INTO TEMP|TEMPORARY
    std::string_view into_object;
    bool dml_in_parens = false;  // ( INSERT INTO | ( UPDATE t | ( DELETE FROM | ( MERGE INTO
    bool pg_temp = false;        // pg_temp.name
    std::uint16_t set_config_calls = 0;
    bool set_config_unsafe = false;  // name unknown, or a transaction_* setting a standby refuses
    bool set_config_known = true;    // every call's arguments known
    call_args first_call;
};

// A cursor over one statement's significant tokens, with each identifier's key word.
class cursor {
  public:
    cursor(std::string_view text, lexer_options o)
        : lex_(text, o), end_(text.data() + text.size()), options_(o) {
        load();
    }

    const token& tok() const { return cur_; }
    kw k() const { return k_; }
    bool at_end() const { return cur_.kind == token_kind::end; }
    bool is(token_kind kind) const { return cur_.kind == kind; }
    bool is_op(std::string_view op) const { return cur_.kind == token_kind::op && cur_.text == op; }
    void advance() { load(); }
    bool accept(kw k) {
        if (k_ != k || k == kw::none) return false;
        load();
        return true;
    }
    bool accept(token_kind kind) {
        if (cur_.kind != kind) return false;
        load();
        return true;
    }
    token peek() const {
        sql_lexer l = lex_;
        return l.next_significant();
    }
    kw peek_k() const { return keyword_of(peek()); }
    // From the current token to the end of the statement.
    std::string_view rest() const {
        if (at_end()) return {};
        const char* b = cur_.text.data();
        return {b, static_cast<std::size_t>(end_ - b)};
    }
    lexer_options options() const { return options_; }

  private:
    void load() {
        cur_ = lex_.next_significant();
        k_ = keyword_of(cur_);
    }

    sql_lexer lex_;
    const char* end_;
    lexer_options options_;
    token cur_;
    kw k_ = kw::none;
};

constexpr int max_nesting = 16;  // EXPLAIN PREPARE ... chains deeper than this are "other"

void skip_parens(cursor& c) {
    std::size_t depth = 0;
    do {
        if (c.is(token_kind::open_paren)) ++depth;
        if (c.is(token_kind::close_paren)) --depth;
        c.advance();
    } while (depth > 0 && !c.at_end());
}

// Skips to the next top-level `k` (parenthesized groups skipped whole).
void skip_until(cursor& c, kw k) {
    while (!c.at_end() && c.k() != k) {
        if (c.is(token_kind::open_paren)) {
            skip_parens(c);
        } else {
            c.advance();
        }
    }
}

bool is_name(const cursor& c) {
    return c.is(token_kind::identifier) || c.is(token_kind::quoted_identifier);
}

// name or name.name...: the span as written.
std::string_view qualified_name(cursor& c) {
    if (!is_name(c)) return {};
    const char* begin = c.tok().text.data();
    const char* end = begin + c.tok().text.size();
    c.advance();
    while (c.is(token_kind::dot)) {
        c.advance();
        if (!is_name(c)) break;
        end = c.tok().text.data() + c.tok().text.size();
        c.advance();
    }
    return {begin, static_cast<std::size_t>(end - begin)};
}

// A setting name: name(.name)*, unquoted and lowercased even when quoted: PostgreSQL looks
// parameters up case-insensitively (guc.c, guc_name_compare).
std::string var_name(cursor& c) {
    std::string name;
    while (is_name(c)) {
        for (const char ch : identifier_value(c.tok().text))
            name += ascii_lower(ch);
        c.advance();
        if (!c.is(token_kind::dot)) break;
        name += '.';
        c.advance();
    }
    return name;
}

std::string_view object_name(cursor& c) {
    if (c.at_end()) return {};
    const std::string_view t = c.tok().text;
    c.advance();
    return t;
}

void classify_as_query(const features& f, statement_info& s, lexer_options o);

void classify_statement(cursor& c, const features& f, statement_info& s, int depth);

// ---------------------------------------------------------------------------------------------
// Settings: what SET / RESET / set_config of particular parameters mean for routing.

void apply_setting_semantics(statement_info& s, lexer_options o) {
    const bool is_set = s.kind == statement_kind::set || s.kind == statement_kind::set_config;
    if (s.name == "pgrelay.route" && s.kind != statement_kind::set_config) {
        if (s.kind == statement_kind::set) {
            s.kind = statement_kind::set_route;
            if (const auto v = single_value_text(s.value, o))
                s.route_setting = parse_preference(*v);
        } else {
            s.kind = statement_kind::reset_route;
        }
        s.route = route_class::read;
        return;
    }
    const bool read_only = s.name == "transaction_read_only";
    const bool isolation = s.name == "transaction_isolation";
    if (read_only || s.name == "default_transaction_read_only") {
        if (is_set) {
            if (const auto v = single_value_text(s.value, o)) {
                if (const auto b = parse_bool_text(*v)) {
                    s.access = *b ? access_mode::read_only : access_mode::read_write;
                }
            }
        }
        // A standby refuses read-write mode for its current transaction (and RESET of it).
        if (read_only && s.kind != statement_kind::set_config &&
            s.access != access_mode::read_only) {
            s.route = route_class::write;
        }
    } else if (isolation || s.name == "default_transaction_isolation") {
        if (is_set) {
            if (const auto v = single_value_text(s.value, o))
                s.isolation = parse_isolation_text(*v);
        }
        // "cannot use serializable mode in a hot standby"
        if (isolation && s.kind != statement_kind::set_config &&
            (s.isolation == isolation_level::serializable ||
             s.isolation == isolation_level::unspecified)) {
            s.route = route_class::write;
        }
    }
}

// BEGIN / START TRANSACTION / SET TRANSACTION / SET SESSION CHARACTERISTICS modes, separated by
// commas or blanks (docs: SET TRANSACTION).
void transaction_modes(cursor& c, statement_info& s) {
    while (!c.at_end()) {
        if (c.accept(token_kind::comma)) continue;
        if (c.accept(kw::isolation)) {
            c.accept(kw::level);
            if (c.accept(kw::serializable)) {
                s.isolation = isolation_level::serializable;
            } else if (c.accept(kw::repeatable)) {
                c.accept(kw::read);
                s.isolation = isolation_level::repeatable_read;
            } else if (c.accept(kw::read)) {
                if (c.accept(kw::committed)) {
                    s.isolation = isolation_level::read_committed;
                } else if (c.accept(kw::uncommitted)) {
                    s.isolation = isolation_level::read_uncommitted;
                }
            }
            continue;
        }
        if (c.accept(kw::read)) {
            if (c.accept(kw::only)) {
                s.access = access_mode::read_only;
            } else if (c.accept(kw::write)) {
                s.access = access_mode::read_write;
            }
            continue;
        }
        if (c.accept(kw::deferrable)) continue;
        if (c.accept(kw::not_)) {
            c.accept(kw::deferrable);
            continue;
        }
        break;
    }
}

// A standby refuses read-write and serializable transactions.
route_class transaction_route(const statement_info& s) {
    return s.access == access_mode::read_write || s.isolation == isolation_level::serializable
               ? route_class::write
               : route_class::read;
}

bool and_chain(cursor& c) {
    if (!c.accept(kw::and_)) return false;
    if (c.accept(kw::no)) {
        c.accept(kw::chain);
        return false;
    }
    return c.accept(kw::chain);
}

bool next_assigns(const cursor& c) {
    const token t = c.peek();
    return (t.kind == token_kind::op && t.text == "=") || keyword_of(t) == kw::to;
}

// SET [SESSION | LOCAL] ... (docs: SET, SET ROLE, SET SESSION AUTHORIZATION, SET TRANSACTION,
// SET CONSTRAINTS). `c` is on SET.
void classify_set(cursor& c, statement_info& s) {
    const lexer_options o = c.options();
    c.advance();
    s.kind = statement_kind::set;
    s.route = route_class::read;
    if (c.k() == kw::local) {
        s.is_local = true;
        c.advance();
    } else if (c.k() == kw::session) {
        const kw n = c.peek_k();
        if (n != kw::characteristics && n != kw::authorization) c.advance();
    }
    const kw next = c.peek_k();
    const bool assigns = next_assigns(c);
    auto special = [&](const char* name, bool reset_on_default, bool reset_on_local = false) {
        s.name = name;
        s.value = c.rest();
        if (s.value.empty() || (reset_on_default && is_single_keyword(s.value, kw::default_, o)) ||
            (reset_on_local && is_single_keyword(s.value, kw::local, o))) {
            s.kind = statement_kind::reset;
            s.value = {};
        }
    };
    switch (c.k()) {
        case kw::transaction:
            if (assigns) break;
            c.advance();
            s.kind = statement_kind::set_transaction;
            s.is_local = false;
            if (c.accept(kw::snapshot)) {  // must match a snapshot exported elsewhere
                s.object = object_name(c);
                s.route = route_class::write;
                return;
            }
            transaction_modes(c, s);
            s.route = transaction_route(s);
            return;
        case kw::session:
            if (next == kw::characteristics) {
                c.advance();
                c.advance();
                c.accept(kw::as);
                c.accept(kw::transaction);
                s.kind = statement_kind::set_session_characteristics;
                s.is_local = false;
                transaction_modes(c, s);
                return;  // a standby accepts any session default
            }
            if (next == kw::authorization) {
                c.advance();
                c.advance();
                special("session_authorization", true);
                return;
            }
            break;
        case kw::role:
            if (assigns) break;
            c.advance();
            special("role", false);
            return;
        case kw::time:
            if (next != kw::zone) break;
            c.advance();
            c.advance();
            special("timezone", true, true);
            return;
        case kw::names:
            if (assigns) break;
            c.advance();
            special("client_encoding", true);
            return;
        case kw::schema:
            if (assigns) break;
            c.advance();
            special("search_path", false);
            return;
        case kw::xml:
            if (next != kw::option) break;
            c.advance();
            c.advance();
            special("xmloption", false);
            return;
        case kw::constraints:
            if (assigns) break;
            s.kind = statement_kind::set_constraints;
            s.is_local = false;
            return;
        default:
            break;
    }
    s.name = var_name(c);
    if (s.name.empty()) {
        s.kind = statement_kind::other;
        s.route = route_class::write;
        return;
    }
    if (c.is_op("=") || c.k() == kw::to) c.advance();
    s.value = c.rest();  // "FROM CURRENT" stays as written
    if (is_single_keyword(s.value, kw::default_, o)) {
        s.kind = statement_kind::reset;
        s.value = {};
    }
    apply_setting_semantics(s, o);
}

// RESET name | ALL | ROLE | SESSION AUTHORIZATION | TIME ZONE | TRANSACTION ISOLATION LEVEL.
void classify_reset(cursor& c, statement_info& s) {
    c.advance();
    s.kind = statement_kind::reset;
    s.route = route_class::read;
    const kw next = c.peek_k();
    if (c.k() == kw::all && c.peek().kind == token_kind::end) {
        s.kind = statement_kind::reset_all;
        return;
    }
    if (c.k() == kw::session && next == kw::authorization) {
        s.name = "session_authorization";
    } else if (c.k() == kw::time && next == kw::zone) {
        s.name = "timezone";
    } else if (c.k() == kw::transaction && next == kw::isolation) {
        s.name = "transaction_isolation";
    } else {
        s.name = var_name(c);
    }
    if (s.name.empty()) {
        s.kind = statement_kind::other;
        s.route = route_class::write;
        return;
    }
    apply_setting_semantics(s, c.options());
}

void classify_show(cursor& c, statement_info& s) {
    c.advance();
    s.kind = statement_kind::show;
    s.route = route_class::read;
    const kw next = c.peek_k();
    if (c.k() == kw::all && c.peek().kind == token_kind::end) {
        s.all = true;
    } else if (c.k() == kw::time && next == kw::zone) {
        s.name = "timezone";
    } else if (c.k() == kw::transaction && next == kw::isolation) {
        s.name = "transaction_isolation";
    } else if (c.k() == kw::session && next == kw::authorization) {
        s.name = "session_authorization";
    } else {
        s.name = var_name(c);
    }
}

// After WITH's CTE list, or after leading parentheses: the statement proper.
void classify_main(cursor& c, const features& f, statement_info& s, int depth);

// WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (body) [SEARCH ...] [CYCLE ...], ...
// then the main statement. CTE bodies are judged by the scanning pass (a data-modifying body
// starts right after a '('); here only the main statement is found.
void classify_with(cursor& c, const features& f, statement_info& s, int depth) {
    c.advance();
    c.accept(kw::recursive);
    bool well_formed = false;
    while (!c.at_end()) {
        c.advance();  // the CTE name
        if (c.is(token_kind::open_paren)) skip_parens(c);
        if (!c.accept(kw::as)) break;
        c.accept(kw::not_);
        c.accept(kw::materialized);
        if (!c.is(token_kind::open_paren)) break;
        skip_parens(c);
        while (true) {
            if (c.accept(kw::search)) {  // SEARCH {DEPTH|BREADTH} FIRST BY cols SET col
                skip_until(c, kw::set);
            } else if (c.accept(kw::cycle)) {  // CYCLE cols SET col [TO v DEFAULT v] USING col
                skip_until(c, kw::using_);
            } else {
                break;
            }
            c.advance();
            c.advance();
        }
        if (c.accept(token_kind::comma)) continue;
        well_formed = true;
        break;
    }
    if (!well_formed) {
        s.kind = statement_kind::other;
        s.route = route_class::write;
        return;
    }
    classify_main(c, f, s, depth + 1);
}

void classify_main(cursor& c, const features& f, statement_info& s, int depth) {
    while (c.accept(token_kind::open_paren)) {
    }
    if (depth > max_nesting) {
        s.kind = statement_kind::other;
        s.route = route_class::write;
        return;
    }
    switch (c.k()) {
        case kw::select:
        case kw::values:
        case kw::table:
            classify_as_query(f, s, c.options());
            return;
        case kw::with:
            classify_with(c, f, s, depth);
            return;
        case kw::insert:
            s.kind = statement_kind::insert;
            break;
        case kw::update:
            s.kind = statement_kind::update;
            break;
        case kw::delete_:
            s.kind = statement_kind::delete_;
            break;
        case kw::merge:
            s.kind = statement_kind::merge;
            break;
        default:
            s.kind = statement_kind::other;
            break;
    }
    s.route = route_class::write;
}

route_class query_route(const features& f) {
    return f.writing_call || f.locking || f.select_into || f.dml_in_parens || f.set_config_unsafe
               ? route_class::write
               : route_class::read;
}

void classify_as_query(const features& f, statement_info& s, lexer_options o) {
    s.kind = statement_kind::select;
    s.route = query_route(f);
    if (f.into_temp) {
        s.kind = statement_kind::create_temp;
        s.object = f.into_object;
        return;
    }
    if (f.set_config_calls == 0) return;
    s.kind = statement_kind::set_config;
    s.set_config_calls = f.set_config_calls;
    s.set_config_args_known = f.set_config_known;
    const call_args& a = f.first_call;
    if (a.name_known) s.name = lowered_literal(a.name, o);
    if (a.value_known) s.value = a.value.text;
    s.is_local = a.is_local.value_or(false);
    apply_setting_semantics(s, o);
}

// EXPLAIN [ANALYZE] [VERBOSE] stmt | EXPLAIN (option [value], ...) stmt. Without ANALYZE nothing
// is executed; with it (any ANALYZE option, even ANALYZE false), the inner statement decides.
void classify_explain(cursor& c, const features& f, statement_info& s, int depth) {
    c.advance();
    bool analyze = false;
    if (c.is(token_kind::open_paren)) {
        std::size_t d = 0;
        do {
            if (c.is(token_kind::open_paren)) ++d;
            if (c.is(token_kind::close_paren)) --d;
            if (d == 1 && (c.k() == kw::analyze || c.k() == kw::analyse)) analyze = true;
            c.advance();
        } while (d > 0 && !c.at_end());
    } else {
        analyze = c.accept(kw::analyze) || c.accept(kw::analyse);
        c.accept(kw::verbose);
    }
    statement_info inner;
    classify_statement(c, f, inner, depth + 1);
    s.kind = statement_kind::explain;
    s.route = analyze ? inner.route : route_class::read;
}

// COPY table [(cols)] FROM|TO ..., COPY (query) TO ...
void classify_copy(cursor& c, const features& f, statement_info& s) {
    c.advance();
    if (c.is(token_kind::open_paren)) {
        s.kind = statement_kind::copy_to;
        s.route = query_route(f);
        return;
    }
    while (!c.at_end()) {
        if (c.is(token_kind::open_paren)) {
            skip_parens(c);
            continue;
        }
        if (c.k() == kw::from) {
            s.kind = statement_kind::copy_from;
            s.route = route_class::write;
            return;
        }
        if (c.k() == kw::to) {
            s.kind = statement_kind::copy_to;
            s.route = route_class::read;
            return;
        }
        c.advance();
    }
    s.kind = statement_kind::other;
    s.route = route_class::write;
}

// CREATE [OR REPLACE] [GLOBAL|LOCAL] {TEMP|TEMPORARY} [UNLOGGED] [RECURSIVE] {TABLE|VIEW|SEQUENCE}
// [IF NOT EXISTS] name, or any CREATE naming pg_temp.x: a temporary object. Other CREATEs: other.
void classify_create(cursor& c, const features& f, statement_info& s) {
    c.advance();
    s.route = route_class::write;
    if (c.accept(kw::or_)) c.accept(kw::replace);
    if (c.k() == kw::global || c.k() == kw::local) c.advance();
    const bool temp = c.accept(kw::temp) || c.accept(kw::temporary);
    if (!temp && !f.pg_temp) {
        s.kind = statement_kind::other;
        return;
    }
    s.kind = statement_kind::create_temp;
    c.accept(kw::unlogged);
    c.accept(kw::recursive);
    if (c.k() == kw::table || c.k() == kw::view || c.k() == kw::sequence) {
        c.advance();
        if (c.accept(kw::if_)) {
            c.accept(kw::not_);
            c.accept(kw::exists);
        }
        s.object = qualified_name(c);
    }
}

void classify_statement(cursor& c, const features& f, statement_info& s, int depth) {
    if (depth > max_nesting) {
        s.kind = statement_kind::other;
        s.route = route_class::write;
        return;
    }
    if (c.is(token_kind::open_paren)) {
        classify_main(c, f, s, depth);
        return;
    }
    switch (c.k()) {
        case kw::select:
        case kw::values:
        case kw::table:
        case kw::with:
        case kw::insert:
        case kw::update:
        case kw::delete_:
        case kw::merge:
            classify_main(c, f, s, depth);
            return;
        case kw::explain:
            classify_explain(c, f, s, depth);
            return;
        case kw::show:
            classify_show(c, s);
            return;
        case kw::set:
            classify_set(c, s);
            return;
        case kw::reset:
            classify_reset(c, s);
            return;
        case kw::begin:
            c.advance();
            if (!c.accept(kw::work)) c.accept(kw::transaction);
            s.kind = statement_kind::begin;
            transaction_modes(c, s);
            s.route = transaction_route(s);
            return;
        case kw::start:
            c.advance();
            if (!c.accept(kw::transaction)) break;
            s.kind = statement_kind::begin;
            transaction_modes(c, s);
            s.route = transaction_route(s);
            return;
        case kw::commit:
        case kw::end:
        case kw::abort:
        case kw::rollback: {
            const kw first = c.k();
            c.advance();
            if ((first == kw::commit || first == kw::rollback) && c.accept(kw::prepared)) {
                s.kind = first == kw::commit ? statement_kind::commit_prepared
                                             : statement_kind::rollback_prepared;
                s.object = object_name(c);
                s.route = route_class::write;
                return;
            }
            if (!c.accept(kw::work)) c.accept(kw::transaction);
            s.route = route_class::read;
            if (first == kw::rollback && c.accept(kw::to)) {
                c.accept(kw::savepoint);
                s.kind = statement_kind::rollback_to_savepoint;
                s.object = object_name(c);
                return;
            }
            s.kind = first == kw::commit || first == kw::end ? statement_kind::commit
                                                             : statement_kind::rollback;
            s.and_chain = and_chain(c);
            return;
        }
        case kw::savepoint:
            c.advance();
            s.kind = statement_kind::savepoint;
            s.route = route_class::read;
            s.object = object_name(c);
            return;
        case kw::release:
            c.advance();
            c.accept(kw::savepoint);
            s.kind = statement_kind::release_savepoint;
            s.route = route_class::read;
            s.object = object_name(c);
            return;
        case kw::prepare: {
            c.advance();
            if (c.k() == kw::transaction && c.peek().kind == token_kind::string) {
                c.advance();
                s.kind = statement_kind::prepare_transaction;
                s.route = route_class::write;
                s.object = object_name(c);
                return;
            }
            s.kind = statement_kind::prepare;
            s.route = route_class::write;
            s.object = object_name(c);
            if (c.is(token_kind::open_paren)) skip_parens(c);
            if (!c.accept(kw::as)) return;
            statement_info inner;
            classify_statement(c, f, inner, depth + 1);
            s.route = inner.route;
            return;
        }
        case kw::execute:
            c.advance();
            s.kind = statement_kind::execute;
            s.route = route_class::write;
            s.object = object_name(c);
            return;
        case kw::deallocate:
            c.advance();
            c.accept(kw::prepare);
            s.kind = statement_kind::deallocate;
            s.route = route_class::read;
            if (c.k() == kw::all && c.peek().kind == token_kind::end) {
                s.all = true;
            } else {
                s.object = object_name(c);
            }
            return;
        case kw::declare: {
            // DECLARE name [BINARY] [ASENSITIVE|INSENSITIVE] [[NO] SCROLL] CURSOR
            //   [{WITH|WITHOUT} HOLD] FOR query
            c.advance();
            s.kind = statement_kind::declare_cursor;
            s.route = route_class::write;
            s.object = object_name(c);
            while (!c.at_end() && c.k() != kw::cursor)
                c.advance();
            if (!c.accept(kw::cursor)) return;
            if (c.accept(kw::with)) {
                s.with_hold = c.accept(kw::hold);
            } else if (c.accept(kw::without)) {
                c.accept(kw::hold);
            }
            if (!c.accept(kw::for_)) return;
            statement_info inner;
            classify_statement(c, f, inner, depth + 1);
            s.route = inner.route;
            return;
        }
        case kw::close:
            c.advance();
            s.kind = statement_kind::close_cursor;
            s.route = route_class::read;
            if (c.k() == kw::all && c.peek().kind == token_kind::end) {
                s.all = true;
            } else {
                s.object = object_name(c);
            }
            return;
        case kw::fetch:
        case kw::move:
            s.kind = statement_kind::fetch;
            s.route = route_class::read;
            return;
        case kw::discard:
            c.advance();
            s.kind = statement_kind::discard;
            s.route = route_class::read;
            switch (c.k()) {
                case kw::all:
                    s.discard = discard_target::all;
                    break;
                case kw::plans:
                    s.discard = discard_target::plans;
                    break;
                case kw::sequences:
                    s.discard = discard_target::sequences;
                    break;
                case kw::temp:
                case kw::temporary:
                    s.discard = discard_target::temp;
                    break;
                default:
                    break;
            }
            return;
        case kw::listen:
            c.advance();
            s.kind = statement_kind::listen;
            s.route = route_class::write;
            s.object = object_name(c);
            return;
        case kw::unlisten:
            c.advance();
            s.kind = statement_kind::unlisten;
            s.route = route_class::write;
            if (c.is_op("*")) {
                s.all = true;
            } else {
                s.object = object_name(c);
            }
            return;
        case kw::load:
            c.advance();
            s.kind = statement_kind::load;
            s.route = route_class::read;
            s.object = object_name(c);
            return;
        case kw::copy:
            classify_copy(c, f, s);
            return;
        case kw::create:
            classify_create(c, f, s);
            return;
        default:
            break;
    }
    s.kind = statement_kind::other;
    s.route = route_class::write;
}

// One of the last three significant tokens seen in a statement.
struct recent {
    token_kind kind = token_kind::end;
    kw k = kw::none;
    std::string_view text;
};

bool is_name_kind(token_kind k) {
    return k == token_kind::identifier || k == token_kind::quoted_identifier;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

statement_info& statement_list::push_back(statement_info s) {
    if (size_ < inline_capacity) {
        inline_[size_] = std::move(s);
        return inline_[size_++];
    }
    overflow_.push_back(std::move(s));
    ++size_;
    return overflow_.back();
}

// The scanning pass: splits statements at ';' outside parentheses and outside the BEGIN ATOMIC
// ... END body of CREATE FUNCTION/PROCEDURE (psql's heuristic, psqlscan.l), and gathers each
// statement's features.
class sql_classifier::scanner {
  public:
    scanner(const sql_classifier& owner, std::string_view sql, lexer_options o)
        : owner_(owner), sql_(sql), options_(o) {}

    query_info run() {
        query_info q;
        sql_lexer lex(sql_, options_);
        token t = lex.next();
        if (t.is_comment()) {
            q.hint = parse_hint(t);
            t = lex.next_significant();
        }
        for (;; t = lex.next_significant()) {
            if (t.kind == token_kind::end) break;
            if (t.kind == token_kind::semicolon && depth_ == 0 && begin_depth_ == 0) {
                finish(q);
                continue;
            }
            observe(t, lex);
        }
        finish(q);
        for (const statement_info& s : q.statements) {
            if (s.route == route_class::write) q.route = route_class::write;
        }
        return q;
    }

  private:
    void observe(const token& t, const sql_lexer& lex) {
        const auto offset = static_cast<std::size_t>(t.text.data() - sql_.data());
        if (!in_statement_) {
            in_statement_ = true;
            start_ = offset;
        }
        end_ = offset + t.text.size();
        const kw k = keyword_of(t);

        switch (t.kind) {
            case token_kind::open_paren:
                if (is_name_kind(p1_.kind)) function_call(lex);
                ++depth_;
                break;
            case token_kind::close_paren:
                if (depth_ > 0) --depth_;
                break;
            case token_kind::dot:
                if (p1_.k == kw::pg_temp) f_.pg_temp = true;
                break;
            case token_kind::identifier:
                begin_atomic(k);
                break;
            default:
                break;
        }
        locking_clause(t, k);
        select_into(t, k);
        dml_in_parens(t, k);
        p3_ = p2_;
        p2_ = p1_;
        p1_ = recent{t.kind, k, t.text};
    }

    // psqlscan.l: in CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN (and CASE inside it) opens a
    // block that END closes; ';' inside does not end the statement.
    void begin_atomic(kw k) {
        if (ident_count_ < idents_.size()) idents_[ident_count_] = k;
        if (ident_count_ < 255) ++ident_count_;
        const bool routine = idents_[0] == kw::create &&
                             (idents_[1] == kw::function || idents_[1] == kw::procedure ||
                              (idents_[1] == kw::or_ && idents_[2] == kw::replace &&
                               (idents_[3] == kw::function || idents_[3] == kw::procedure)));
        if (!routine || depth_ != 0) return;
        if (k == kw::begin) {
            ++begin_depth_;
        } else if (k == kw::case_) {
            if (begin_depth_ > 0) ++begin_depth_;
        } else if (k == kw::end) {
            if (begin_depth_ > 0) --begin_depth_;
        }
    }

    // p1_ is a name and '(' follows: a function call (or a column list, a type modifier...).
    void function_call(const sql_lexer& lex) {
        const std::string_view name = name_text(p1_.kind, p1_.text);
        const kw fk = p1_.kind == token_kind::identifier ? p1_.k : keyword_of(name);
        if (fk == kw::set_config) {
            set_config_call(lex);
            return;
        }
        if (f_.writing_call) return;
        if (is_builtin_writer_name(fk, name)) {
            f_.writing_call = true;
            return;
        }
        if (owner_.writing_functions_.empty()) return;
        std::string_view schema;
        if (p2_.kind == token_kind::dot && is_name_kind(p3_.kind)) {
            schema = name_text(p3_.kind, p3_.text);
        }
        if (owner_.is_configured_writer(schema, name)) f_.writing_call = true;
    }

    void set_config_call(const sql_lexer& lex) {
        const call_args a = parse_call_args(lex, options_);
        if (f_.set_config_calls++ == 0) f_.first_call = a;
        if (!a.name_known || !a.value_known || !a.is_local) f_.set_config_known = false;
        if (!a.name_known || literal_iequals(a.name, "transaction_read_only", options_) ||
            literal_iequals(a.name, "transaction_isolation", options_)) {
            f_.set_config_unsafe = true;
        }
    }

    // FOR UPDATE | FOR NO KEY UPDATE | FOR SHARE | FOR KEY SHARE, at any depth.
    void locking_clause(const token& t, kw k) {
        int next = 0;
        if (t.kind == token_kind::identifier) {
            switch (lock_) {
                case 1:
                    if (k == kw::update || k == kw::share) f_.locking = true;
                    if (k == kw::no) next = 2;
                    if (k == kw::key) next = 3;
                    break;
                case 2:
                    if (k == kw::key) next = 4;
                    break;
                case 3:
                    if (k == kw::share) f_.locking = true;
                    break;
                case 4:
                    if (k == kw::update) f_.locking = true;
                    break;
                default:
                    break;
            }
            if (next == 0 && k == kw::for_) next = 1;
        }
        lock_ = next;
    }

    // SELECT ... INTO [TEMP|TEMPORARY|LOCAL TEMP|GLOBAL TEMP|UNLOGGED] [TABLE] name.
    void select_into(const token& t, kw k) {
        int next = 0;
        switch (into_) {
            case 1:  // after INTO
                if (k == kw::local || k == kw::global) next = 1;
                if (k == kw::temp || k == kw::temporary) {
                    f_.into_temp = true;
                    next = 2;
                }
                break;
            case 2:  // after TEMP
                if (k == kw::table) {
                    next = 3;
                    break;
                }
                [[fallthrough]];
            case 3:  // the table name
                if (is_name_kind(t.kind)) f_.into_object = t.text;
                break;
            default:
                break;
        }
        if (k == kw::into && p1_.k != kw::insert && p1_.k != kw::merge) {
            f_.select_into = true;
            next = 1;
        }
        into_ = next;
    }

    // Words that can follow a parenthesized column named "update": "(update IS NULL)".
    static constexpr std::array not_a_table = {
        kw::from, kw::as,    kw::is,      kw::and_,    kw::or_,    kw::not_,    kw::in,
        kw::like, kw::ilike, kw::between, kw::collate, kw::isnull, kw::notnull, kw::similar};

    // A data-modifying statement right after '(': a CTE body (or COPY's query). The word after
    // the key word must fit, so "(update)" as a parenthesized column does not count.
    void dml_in_parens(const token& t, kw k) {
        if (pending_dml_ != kw::none) {
            bool hit = false;
            switch (pending_dml_) {
                case kw::insert:
                case kw::merge:
                    hit = k == kw::into;
                    break;
                case kw::delete_:
                    hit = k == kw::from;
                    break;
                default:  // update: a table name (or ONLY), not an operator word
                    hit =
                        t.kind == token_kind::quoted_identifier ||
                        (t.kind == token_kind::identifier &&
                         std::find(not_a_table.begin(), not_a_table.end(), k) == not_a_table.end());
                    break;
            }
            if (hit) f_.dml_in_parens = true;
            pending_dml_ = kw::none;
        }
        if (p1_.kind == token_kind::open_paren &&
            (k == kw::insert || k == kw::update || k == kw::delete_ || k == kw::merge)) {
            pending_dml_ = k;
        }
    }

    void finish(query_info& q) {
        if (in_statement_) {
            statement_info s;
            s.text = sql_.substr(start_, end_ - start_);
            cursor c(s.text, options_);
            classify_statement(c, f_, s, 0);
            q.statements.push_back(std::move(s));
        }
        in_statement_ = false;
        depth_ = 0;
        begin_depth_ = 0;
        ident_count_ = 0;
        idents_ = {};
        lock_ = 0;
        into_ = 0;
        pending_dml_ = kw::none;
        p1_ = p2_ = p3_ = recent{};
        f_ = features{};
    }

    const sql_classifier& owner_;
    std::string_view sql_;
    lexer_options options_;

    bool in_statement_ = false;
    std::size_t start_ = 0;
    std::size_t end_ = 0;
    std::size_t depth_ = 0;
    std::size_t begin_depth_ = 0;
    std::array<kw, 4> idents_{};
    std::size_t ident_count_ = 0;
    int lock_ = 0;
    int into_ = 0;
    kw pending_dml_ = kw::none;
    recent p1_, p2_, p3_;
    features f_;
};

sql_classifier::sql_classifier(const classifier_options& options) {
    for (const std::string& entry : options.writing_functions) {
        const std::string_view e = trim(entry);
        // Split at the last '.' outside double quotes.
        std::size_t dot = std::string_view::npos;
        bool quoted = false;
        for (std::size_t i = 0; i < e.size(); ++i) {
            if (e[i] == '"') quoted = !quoted;
            if (e[i] == '.' && !quoted) dot = i;
        }
        auto fold = [](std::string_view part) {
            part = trim(part);
            if (part.size() >= 2 && part.front() == '"' && part.back() == '"') {
                part = part.substr(1, part.size() - 2);
            }
            std::string out(part);
            for (char& c : out)
                c = ascii_lower(c);
            return out;
        };
        function_name f;
        if (dot == std::string_view::npos) {
            f.name = fold(e);
        } else {
            f.schema = fold(e.substr(0, dot));
            f.name = fold(e.substr(dot + 1));
        }
        if (!f.name.empty()) writing_functions_.push_back(std::move(f));
    }
}

bool sql_classifier::is_configured_writer(std::string_view schema,
                                          std::string_view name) const noexcept {
    for (const function_name& f : writing_functions_) {
        if (!iequals(name, f.name)) continue;
        if (f.schema.empty() || schema.empty() || iequals(schema, f.schema)) return true;
    }
    return false;
}

query_info sql_classifier::classify(std::string_view sql, lexer_options lexing) const {
    return scanner(*this, sql, lexing).run();
}

query_info classify_query(std::string_view sql, const classifier_options& options,
                          lexer_options lexing) {
    return sql_classifier(options).classify(sql, lexing);
}

std::vector<set_config_call> find_set_config_calls(std::string_view sql, lexer_options lexing) {
    std::vector<set_config_call> calls;
    sql_lexer lex(sql, lexing);
    recent p1;
    for (token t = lex.next_significant(); t.kind != token_kind::end; t = lex.next_significant()) {
        if (t.kind == token_kind::open_paren && is_name_kind(p1.kind) &&
            keyword_of(name_text(p1.kind, p1.text)) == kw::set_config) {
            const call_args a = parse_call_args(lex, lexing);
            set_config_call c;
            if (a.name_known) c.name = lowered_literal(a.name, lexing);
            if (a.value_known) c.value = a.value.text;
            c.value_known = a.value_known;
            c.is_local = a.is_local;
            calls.push_back(std::move(c));
        }
        p1 = recent{t.kind, kw::none, t.text};
    }
    return calls;
}

bool is_builtin_writing_function(std::string_view name) noexcept {
    return is_builtin_writer_name(keyword_of(name), name);
}

std::string_view to_string(statement_kind kind) noexcept {
    switch (kind) {
        case statement_kind::select:
            return "select";
        case statement_kind::insert:
            return "insert";
        case statement_kind::update:
            return "update";
        case statement_kind::delete_:
            return "delete";
        case statement_kind::merge:
            return "merge";
        case statement_kind::copy_from:
            return "copy_from";
        case statement_kind::copy_to:
            return "copy_to";
        case statement_kind::explain:
            return "explain";
        case statement_kind::show:
            return "show";
        case statement_kind::fetch:
            return "fetch";
        case statement_kind::other:
            return "other";
        case statement_kind::begin:
            return "begin";
        case statement_kind::commit:
            return "commit";
        case statement_kind::rollback:
            return "rollback";
        case statement_kind::savepoint:
            return "savepoint";
        case statement_kind::release_savepoint:
            return "release_savepoint";
        case statement_kind::rollback_to_savepoint:
            return "rollback_to_savepoint";
        case statement_kind::prepare_transaction:
            return "prepare_transaction";
        case statement_kind::commit_prepared:
            return "commit_prepared";
        case statement_kind::rollback_prepared:
            return "rollback_prepared";
        case statement_kind::set_transaction:
            return "set_transaction";
        case statement_kind::set_session_characteristics:
            return "set_session_characteristics";
        case statement_kind::set_constraints:
            return "set_constraints";
        case statement_kind::set:
            return "set";
        case statement_kind::reset:
            return "reset";
        case statement_kind::reset_all:
            return "reset_all";
        case statement_kind::set_config:
            return "set_config";
        case statement_kind::discard:
            return "discard";
        case statement_kind::listen:
            return "listen";
        case statement_kind::unlisten:
            return "unlisten";
        case statement_kind::prepare:
            return "prepare";
        case statement_kind::execute:
            return "execute";
        case statement_kind::deallocate:
            return "deallocate";
        case statement_kind::declare_cursor:
            return "declare_cursor";
        case statement_kind::close_cursor:
            return "close_cursor";
        case statement_kind::create_temp:
            return "create_temp";
        case statement_kind::load:
            return "load";
        case statement_kind::set_route:
            return "set_route";
        case statement_kind::reset_route:
            return "reset_route";
    }
    return "?";
}

std::string_view to_string(route_class route) noexcept {
    return route == route_class::read ? "read" : "write";
}

std::string_view to_string(route_preference preference) noexcept {
    switch (preference) {
        case route_preference::automatic:
            return "auto";
        case route_preference::primary:
            return "primary";
        case route_preference::standby:
            return "standby";
    }
    return "?";
}

std::string_view to_string(access_mode mode) noexcept {
    switch (mode) {
        case access_mode::unspecified:
            return "unspecified";
        case access_mode::read_only:
            return "read_only";
        case access_mode::read_write:
            return "read_write";
    }
    return "?";
}

std::string_view to_string(isolation_level level) noexcept {
    switch (level) {
        case isolation_level::unspecified:
            return "unspecified";
        case isolation_level::read_uncommitted:
            return "read_uncommitted";
        case isolation_level::read_committed:
            return "read_committed";
        case isolation_level::repeatable_read:
            return "repeatable_read";
        case isolation_level::serializable:
            return "serializable";
    }
    return "?";
}

std::string_view to_string(discard_target target) noexcept {
    switch (target) {
        case discard_target::none:
            return "none";
        case discard_target::all:
            return "all";
        case discard_target::plans:
            return "plans";
        case discard_target::sequences:
            return "sequences";
        case discard_target::temp:
            return "temp";
    }
    return "?";
}

}  // namespace pgrelay::proxy
