// The admin command parser: the query is cut into statements with the SQL lexer, then the one
// statement is matched against the grammar below, word by word. Every way to fail names the
// word at fault and the form expected. See admin_command.hpp.
//
//   SHOW {HELP|VERSION|CONFIG|NODES|POOLS|CLIENTS|SERVERS|STATS|EVENTS}
//   PAUSE | RESUME | RELOAD | SHUTDOWN
//   {DISABLE|ENABLE} NODE name
//   SWITCHOVER TO name [TIMEOUT seconds]
#include "proxy/admin_command.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <system_error>
#include <vector>

#include "protocol/sqlstate.hpp"
#include "proxy/sql_lexer.hpp"

namespace pgrelay::proxy {
namespace {

namespace sqlstate = protocol::sqlstate;

constexpr std::array<help_row, 16> help_table{{
    {"SHOW HELP", "this list"},
    {"SHOW VERSION", "the pgrelay version"},
    {"SHOW CONFIG", "the effective configuration, one row per setting"},
    {"SHOW NODES", "each node's role, state and reason, timeline, positions and lag"},
    {"SHOW POOLS", "server connection pools per node, database and user"},
    {"SHOW CLIENTS", "client connections"},
    {"SHOW SERVERS", "server connections"},
    {"SHOW STATS", "query, transaction and routing counters"},
    {"SHOW EVENTS", "recent topology events"},
    {"PAUSE", "hold new transactions until RESUME; running ones finish"},
    {"RESUME", "let held transactions go on"},
    {"DISABLE NODE name", "send no new transactions to a node"},
    {"ENABLE NODE name", "undo DISABLE NODE"},
    {"RELOAD", "read the configuration file again"},
    {"SHUTDOWN", "stop accepting clients and exit once running transactions end"},
    {"SWITCHOVER TO name [TIMEOUT seconds]",
     "planned switch of the primary role to standby name, given at most TIMEOUT seconds"},
}};

struct show_item {
    std::string_view word;
    admin_command_kind kind;
};
constexpr std::array<show_item, 9> show_items{{
    {"help", admin_command_kind::show_help},
    {"version", admin_command_kind::show_version},
    {"config", admin_command_kind::show_config},
    {"nodes", admin_command_kind::show_nodes},
    {"pools", admin_command_kind::show_pools},
    {"clients", admin_command_kind::show_clients},
    {"servers", admin_command_kind::show_servers},
    {"stats", admin_command_kind::show_stats},
    {"events", admin_command_kind::show_events},
}};

constexpr std::string_view show_item_list =
    "HELP, VERSION, CONFIG, NODES, POOLS, CLIENTS, SERVERS, STATS or EVENTS";
constexpr std::string_view help_hint = "SHOW HELP lists the commands with what they do.";
constexpr std::size_t max_quoted_length = 64;  // of the user's text echoed in a message

// The user's text for a message, in double quotes, cut when long, control bytes as '?'.
std::string echo(std::string_view text) {
    std::string out = "\"";
    const bool cut = text.size() > max_quoted_length;
    for (char c : text.substr(0, max_quoted_length)) {
        out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
    }
    if (cut) out += "...";
    out += '"';
    return out;
}

admin_parse_result fail(std::string_view state, std::string message, std::string_view hint = {}) {
    admin_parse_result r;
    r.status = admin_parse_status::error;
    r.error = {state, std::move(message), std::string(hint)};
    return r;
}

admin_parse_result ok(admin_command_kind kind, std::string node = {},
                      std::optional<std::chrono::milliseconds> timeout = {}) {
    admin_parse_result r;
    r.status = admin_parse_status::command;
    r.command = {kind, std::move(node), timeout};
    return r;
}

std::string command_list() {
    std::string out;
    for (std::size_t i = 0; i < help_table.size(); ++i) {
        if (i > 0) out += ", ";
        out += help_table[i].command;
    }
    return out;
}

// help_table lists the commands in admin_command_kind order.
static_assert(help_table.size() == static_cast<std::size_t>(admin_command_kind::switchover) + 1);
std::string usage(admin_command_kind kind) {
    return "The command is: " + std::string(help_table[static_cast<std::size_t>(kind)].command) +
           ".";
}

bool adjacent(const token& a, const token& b) {
    return a.text.data() + a.text.size() == b.text.data();
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

std::string_view unterminated_what(token_kind k) {
    switch (k) {
        case token_kind::quoted_identifier:
            return "unterminated quoted identifier";
        case token_kind::dollar_string:
            return "unterminated dollar-quoted string";
        case token_kind::block_comment:
            return "unterminated /* comment";
        default:
            return "unterminated quoted string";
    }
}

// The significant tokens of one statement, and a cursor over them.
class words {
  public:
    explicit words(std::vector<token> tokens) : tokens_(std::move(tokens)) {}

    bool at_end() const { return pos_ >= tokens_.size(); }
    const token& peek() const { return at_end() ? end_ : tokens_[pos_]; }
    void skip() { ++pos_; }
    bool take_keyword(std::string_view lower) {
        if (!peek().is_keyword(lower)) return false;
        ++pos_;
        return true;
    }
    // The current token and every token touching it (no space or comment between), as
    // written: "pg-1", "db.main", "-5", "1e3x". Empty at the end.
    std::string_view take_run() {
        if (at_end()) return {};
        const token first = tokens_[pos_++];
        std::size_t size = first.text.size();
        const token* last = &first;
        while (!at_end() && adjacent(*last, tokens_[pos_]) && !tokens_[pos_].is(token_kind::end)) {
            size += tokens_[pos_].text.size();
            last = &tokens_[pos_++];
        }
        return {first.text.data(), size};
    }

  private:
    std::vector<token> tokens_;
    std::size_t pos_ = 0;
    token end_{};
};

// After a complete command: anything left is an error.
std::optional<admin_parse_result> trailing(words& w, admin_command_kind kind) {
    if (w.at_end()) return std::nullopt;
    return fail(sqlstate::syntax_error,
                "unexpected " + echo(w.take_run()) + " after " + std::string(to_string(kind)),
                usage(kind));
}

// A node name: quoted identifier, string literal or a bare run of name characters.
struct name_result {
    std::string name;
    std::optional<admin_parse_result> error;
};
name_result take_node_name(words& w, admin_command_kind kind) {
    if (w.at_end()) {
        return {{},
                fail(sqlstate::syntax_error,
                     std::string(to_string(kind)).append(" needs a node name"), usage(kind))};
    }
    const token t = w.peek();
    std::string name;
    std::string_view written;
    if (t.is(token_kind::quoted_identifier) && t.text.front() == '"') {
        w.skip();
        written = t.text;
        name = identifier_value(t.text);
    } else if (t.is(token_kind::string)) {
        w.skip();
        written = t.text;
        auto value = string_literal_value(t);
        if (!value) {
            return {
                {},
                fail(sqlstate::syntax_error, "invalid node name " + echo(written), usage(kind))};
        }
        name = std::move(*value);
    } else {
        written = w.take_run();
        name = std::string(written);
    }
    if (name.empty()) {
        return {
            {},
            fail(sqlstate::invalid_parameter_value, "node name must not be empty", usage(kind))};
    }
    for (char c : name) {
        if (!is_name_char(c)) {
            return {{},
                    fail(sqlstate::invalid_parameter_value,
                         "invalid node name " + echo(written) +
                             ": node names are letters, digits, '_', '.' and '-'",
                         usage(kind))};
        }
    }
    return {std::move(name), std::nullopt};
}

// TIMEOUT's value: a plain decimal number of seconds, > 0 and at most the maximum.
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text) {
    if (text.empty()) return std::nullopt;
    for (char c : text) {
        if (!((c >= '0' && c <= '9') || c == '.')) return std::nullopt;
    }
    double v = 0;
    auto [end, ec] =
        std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::fixed);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    if (!(v > 0) || v > max_switchover_timeout_seconds) return std::nullopt;
    const auto ms = std::llround(v * 1000);
    if (ms < 1) return std::nullopt;
    return std::chrono::milliseconds(ms);
}

admin_parse_result parse_statement(words& w) {
    if (w.take_keyword("show")) {
        if (w.at_end()) {
            return fail(sqlstate::syntax_error,
                        "SHOW needs an item: " + std::string(show_item_list), help_hint);
        }
        for (const auto& item : show_items) {
            if (w.take_keyword(item.word)) {
                if (auto t = trailing(w, item.kind)) return *t;
                return ok(item.kind);
            }
        }
        return fail(
            sqlstate::syntax_error,
            "unknown SHOW item " + echo(w.take_run()) + "; expected " + std::string(show_item_list),
            help_hint);
    }
    struct simple {
        std::string_view word;
        admin_command_kind kind;
    };
    constexpr simple simples[] = {{"pause", admin_command_kind::pause},
                                  {"resume", admin_command_kind::resume},
                                  {"reload", admin_command_kind::reload},
                                  {"shutdown", admin_command_kind::shutdown}};
    for (const auto& s : simples) {
        if (w.take_keyword(s.word)) {
            if (!w.at_end()) {
                return fail(sqlstate::syntax_error, std::string(to_string(s.kind)) +
                                                        " takes no arguments, got " +
                                                        echo(w.take_run()));
            }
            return ok(s.kind);
        }
    }
    for (auto kind : {admin_command_kind::disable_node, admin_command_kind::enable_node}) {
        const std::string_view verb =
            kind == admin_command_kind::disable_node ? "disable" : "enable";
        if (!w.take_keyword(verb)) continue;
        if (!w.take_keyword("node")) {
            const std::string got = w.at_end() ? "nothing" : echo(w.take_run());
            return fail(sqlstate::syntax_error,
                        "expected " + std::string(to_string(kind)) + " name, got " + got +
                            " after " + std::string(command_tag(kind)),
                        usage(kind));
        }
        auto name = take_node_name(w, kind);
        if (name.error) return *name.error;
        if (auto t = trailing(w, kind)) return *t;
        return ok(kind, std::move(name.name));
    }
    if (w.take_keyword("switchover")) {
        constexpr auto kind = admin_command_kind::switchover;
        if (!w.take_keyword("to")) {
            const std::string got = w.at_end() ? "nothing" : echo(w.take_run());
            return fail(sqlstate::syntax_error,
                        "expected SWITCHOVER TO name, got " + got + " after SWITCHOVER",
                        usage(kind));
        }
        auto name = take_node_name(w, kind);
        if (name.error) return *name.error;
        std::optional<std::chrono::milliseconds> timeout;
        if (w.take_keyword("timeout")) {
            if (w.at_end()) {
                return fail(sqlstate::syntax_error, "TIMEOUT needs a number of seconds");
            }
            const std::string_view value = w.take_run();
            timeout = parse_seconds(value);
            if (!timeout) {
                return fail(sqlstate::invalid_parameter_value,
                            "TIMEOUT must be a number of seconds above 0 and at most " +
                                std::to_string(max_switchover_timeout_seconds) + ", got " +
                                echo(value));
            }
        }
        if (auto t = trailing(w, kind)) return *t;
        return ok(kind, std::move(name.name), timeout);
    }
    return fail(sqlstate::syntax_error,
                "unknown admin command " + echo(w.take_run()) + "; commands: " + command_list(),
                std::string(help_hint));
}

}  // namespace

std::string_view to_string(admin_command_kind kind) {
    switch (kind) {
        case admin_command_kind::show_help:
            return "SHOW HELP";
        case admin_command_kind::show_version:
            return "SHOW VERSION";
        case admin_command_kind::show_config:
            return "SHOW CONFIG";
        case admin_command_kind::show_nodes:
            return "SHOW NODES";
        case admin_command_kind::show_pools:
            return "SHOW POOLS";
        case admin_command_kind::show_clients:
            return "SHOW CLIENTS";
        case admin_command_kind::show_servers:
            return "SHOW SERVERS";
        case admin_command_kind::show_stats:
            return "SHOW STATS";
        case admin_command_kind::show_events:
            return "SHOW EVENTS";
        case admin_command_kind::pause:
            return "PAUSE";
        case admin_command_kind::resume:
            return "RESUME";
        case admin_command_kind::disable_node:
            return "DISABLE NODE";
        case admin_command_kind::enable_node:
            return "ENABLE NODE";
        case admin_command_kind::reload:
            return "RELOAD";
        case admin_command_kind::shutdown:
            return "SHUTDOWN";
        case admin_command_kind::switchover:
            return "SWITCHOVER";
    }
    return "UNKNOWN";
}

std::string_view command_tag(admin_command_kind kind) {
    switch (kind) {
        case admin_command_kind::disable_node:
            return "DISABLE";
        case admin_command_kind::enable_node:
            return "ENABLE";
        default:
            break;
    }
    const std::string_view s = to_string(kind);
    return s.substr(0, s.find(' '));
}

std::span<const help_row> help_rows() {
    return help_table;
}

admin_parse_result parse_admin_command(std::string_view sql) {
    // Cut into statements at ';', dropping empty ones; refuse unterminated quotes/comments.
    std::vector<std::vector<token>> statements;
    std::vector<token> current;
    sql_lexer lexer(sql);
    for (token t = lexer.next(); !t.is(token_kind::end); t = lexer.next()) {
        if (t.unterminated) {
            return fail(sqlstate::syntax_error, std::string(unterminated_what(t.kind)));
        }
        if (t.is_comment()) continue;
        if (t.is(token_kind::semicolon)) {
            if (!current.empty()) statements.push_back(std::move(current));
            current.clear();
            continue;
        }
        current.push_back(t);
    }
    if (!current.empty()) statements.push_back(std::move(current));
    if (statements.empty()) return {};
    if (statements.size() > 1) {
        return fail(sqlstate::syntax_error,
                    "the admin console runs one command per query, got " +
                        std::to_string(statements.size()),
                    "Send the commands one at a time.");
    }
    words w(std::move(statements.front()));
    return parse_statement(w);
}

}  // namespace pgrelay::proxy
