// Unit tests of the admin command parser (proxy/admin_command.hpp): every command in every
// accepted spelling (case, ';', comments, quoted names, TIMEOUT forms), every rejection with its
// SQLSTATE and message, empty queries, and the help list the messages draw on.
#include "proxy/admin_command.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>

namespace pgrelay::proxy {
namespace {

using namespace std::chrono_literals;
using k = admin_command_kind;

struct accepted_case {
    std::string_view sql;
    admin_command expected;
};

const accepted_case accepted[] = {
    // Every SHOW item, several casings and terminators.
    {"SHOW HELP", {k::show_help, "", {}}},
    {"show help;", {k::show_help, "", {}}},
    {"  Show   Help  ;  ", {k::show_help, "", {}}},
    {"SHOW VERSION", {k::show_version, "", {}}},
    {"show config", {k::show_config, "", {}}},
    {"SHOW NODES;", {k::show_nodes, "", {}}},
    {"sHoW nOdEs", {k::show_nodes, "", {}}},
    {"SHOW POOLS", {k::show_pools, "", {}}},
    {"SHOW CLIENTS", {k::show_clients, "", {}}},
    {"SHOW SERVERS", {k::show_servers, "", {}}},
    {"SHOW STATS", {k::show_stats, "", {}}},
    {"SHOW EVENTS", {k::show_events, "", {}}},
    // Whitespace of every kind, comments anywhere, repeated and leading semicolons.
    {"\t\nSHOW\r\nNODES\n", {k::show_nodes, "", {}}},
    {"-- list them\nSHOW NODES", {k::show_nodes, "", {}}},
    {"SHOW /* the */ NODES /* please */;", {k::show_nodes, "", {}}},
    {"SHOW/**/NODES", {k::show_nodes, "", {}}},
    {"/* nested /* comment */ */ SHOW NODES", {k::show_nodes, "", {}}},
    {"SHOW NODES -- trailing comment", {k::show_nodes, "", {}}},
    {"SHOW NODES;;", {k::show_nodes, "", {}}},
    {"; SHOW NODES", {k::show_nodes, "", {}}},
    // Commands without arguments.
    {"PAUSE", {k::pause, "", {}}},
    {"pause;", {k::pause, "", {}}},
    {"RESUME", {k::resume, "", {}}},
    {"Reload;", {k::reload, "", {}}},
    {"SHUTDOWN", {k::shutdown, "", {}}},
    // Node names: bare (case kept), with '-', '.', digits; quoted; string literal.
    {"DISABLE NODE pg1", {k::disable_node, "pg1", {}}},
    {"disable node PG1;", {k::disable_node, "PG1", {}}},
    {"DISABLE NODE pg-1", {k::disable_node, "pg-1", {}}},
    {"DISABLE NODE db.main-2", {k::disable_node, "db.main-2", {}}},
    {"DISABLE NODE 10.0.0.1", {k::disable_node, "10.0.0.1", {}}},
    {"DISABLE NODE node_2", {k::disable_node, "node_2", {}}},
    {"DISABLE NODE \"Pg-1\"", {k::disable_node, "Pg-1", {}}},
    {"DISABLE NODE 'pg-1';", {k::disable_node, "pg-1", {}}},
    {"ENABLE NODE pg1", {k::enable_node, "pg1", {}}},
    {"enable /* c */ node /* c */ \"a.b\" -- c", {k::enable_node, "a.b", {}}},
    // SWITCHOVER with and without TIMEOUT.
    {"SWITCHOVER TO pg2", {k::switchover, "pg2", {}}},
    {"switchover to \"pg-2\";", {k::switchover, "pg-2", {}}},
    {"SWITCHOVER TO pg2 TIMEOUT 30", {k::switchover, "pg2", 30s}},
    {"SWITCHOVER TO pg2 timeout 1.5;", {k::switchover, "pg2", 1500ms}},
    {"SWITCHOVER TO pg2 TIMEOUT .25", {k::switchover, "pg2", 250ms}},
    {"SWITCHOVER TO pg2 TIMEOUT 0.001", {k::switchover, "pg2", 1ms}},
    {"SWITCHOVER TO pg2 TIMEOUT 86400", {k::switchover, "pg2", 86400s}},
    {"SWITCHOVER TO pg2 TIMEOUT 007", {k::switchover, "pg2", 7s}},
};

TEST(admin_command, accepted_forms) {
    for (const auto& c : accepted) {
        const admin_parse_result r = parse_admin_command(c.sql);
        ASSERT_EQ(r.status, admin_parse_status::command)
            << c.sql << " -> " << r.error.sqlstate << " " << r.error.message;
        EXPECT_TRUE(r.ok());
        EXPECT_EQ(r.command, c.expected) << c.sql;
    }
}

TEST(admin_command, empty_queries) {
    const std::string_view empties[] = {"",      " ",          "\n\t ",      ";",
                                        ";;  ;", "-- nothing", "/* only */", "/* a */ ; -- b"};
    for (auto sql : empties) {
        const admin_parse_result r = parse_admin_command(sql);
        EXPECT_EQ(r.status, admin_parse_status::empty) << '"' << sql << '"';
        EXPECT_FALSE(r.ok());
    }
}

struct rejected_case {
    std::string_view sql;
    std::string_view sqlstate;
    std::string_view message;  // exact
};

const rejected_case rejected[] = {
    // SHOW without or with an unknown item, or with more after it.
    {"SHOW", "42601",
     "SHOW needs an item: HELP, VERSION, CONFIG, NODES, POOLS, CLIENTS, SERVERS, STATS or "
     "EVENTS"},
    {"SHOW ;", "42601",
     "SHOW needs an item: HELP, VERSION, CONFIG, NODES, POOLS, CLIENTS, SERVERS, STATS or "
     "EVENTS"},
    {"SHOW DATABASES", "42601",
     "unknown SHOW item \"DATABASES\"; expected HELP, VERSION, CONFIG, NODES, POOLS, CLIENTS, "
     "SERVERS, STATS or EVENTS"},
    {"SHOW \"nodes\"", "42601",
     "unknown SHOW item \"\"nodes\"\"; expected HELP, VERSION, CONFIG, NODES, POOLS, CLIENTS, "
     "SERVERS, STATS or EVENTS"},
    {"SHOW NODES please", "42601", "unexpected \"please\" after SHOW NODES"},
    {"SHOW NODES, POOLS", "42601", "unexpected \",\" after SHOW NODES"},
    // Arguments where none are taken.
    {"PAUSE mydb", "42601", "PAUSE takes no arguments, got \"mydb\""},
    {"RESUME now", "42601", "RESUME takes no arguments, got \"now\""},
    {"RELOAD 1", "42601", "RELOAD takes no arguments, got \"1\""},
    {"SHUTDOWN IMMEDIATE", "42601", "SHUTDOWN takes no arguments, got \"IMMEDIATE\""},
    // DISABLE / ENABLE.
    {"DISABLE", "42601", "expected DISABLE NODE name, got nothing after DISABLE"},
    {"DISABLE pg1", "42601", "expected DISABLE NODE name, got \"pg1\" after DISABLE"},
    {"ENABLE DATABASE x", "42601", "expected ENABLE NODE name, got \"DATABASE\" after ENABLE"},
    {"DISABLE NODE", "42601", "DISABLE NODE needs a node name"},
    {"ENABLE NODE;", "42601", "ENABLE NODE needs a node name"},
    {"DISABLE NODE pg1 pg2", "42601", "unexpected \"pg2\" after DISABLE NODE"},
    {"DISABLE NODE \"pg 1\"", "22023",
     "invalid node name \"\"pg 1\"\": node names are letters, digits, '_', '.' and '-'"},
    {"DISABLE NODE $x", "22023",
     "invalid node name \"$x\": node names are letters, digits, '_', '.' and '-'"},
    {"DISABLE NODE pg$1", "22023",
     "invalid node name \"pg$1\": node names are letters, digits, '_', '.' and '-'"},
    {"DISABLE NODE ''", "22023", "node name must not be empty"},
    {"DISABLE NODE \"\"", "22023", "node name must not be empty"},
    // SWITCHOVER.
    {"SWITCHOVER", "42601", "expected SWITCHOVER TO name, got nothing after SWITCHOVER"},
    {"SWITCHOVER pg2", "42601", "expected SWITCHOVER TO name, got \"pg2\" after SWITCHOVER"},
    {"SWITCHOVER TO", "42601", "SWITCHOVER needs a node name"},
    {"SWITCHOVER TO pg2 TIMEOUT", "42601", "TIMEOUT needs a number of seconds"},
    {"SWITCHOVER TO pg2 TIMEOUT;", "42601", "TIMEOUT needs a number of seconds"},
    {"SWITCHOVER TO pg2 TIMEOUT 0", "22023",
     "TIMEOUT must be a number of seconds above 0 and at most 86400, got \"0\""},
    {"SWITCHOVER TO pg2 TIMEOUT 0.0", "22023",
     "TIMEOUT must be a number of seconds above 0 and at most 86400, got \"0.0\""},
    {"SWITCHOVER TO pg2 TIMEOUT 0.0001", "22023",
     "TIMEOUT must be a number of seconds above 0 and at most 86400, got \"0.0001\""},
    {"SWITCHOVER TO pg2 TIMEOUT -5", "22023",
     "TIMEOUT must be a number of seconds above 0 and at most 86400, got \"-5\""},
    {"SWITCHOVER TO pg2 TIMEOUT 86401", "22023",
     "TIMEOUT must be a number of seconds above 0 and at most 86400, got \"86401\""},
    {"SWITCHOVER TO pg2 TIMEOUT 1e3", "22023",
     "TIMEOUT must be a number of seconds above 0 and at most 86400, got \"1e3\""},
    {"SWITCHOVER TO pg2 TIMEOUT 0x10", "22023",
     "TIMEOUT must be a number of seconds above 0 and at most 86400, got \"0x10\""},
    {"SWITCHOVER TO pg2 TIMEOUT 10s", "22023",
     "TIMEOUT must be a number of seconds above 0 and at most 86400, got \"10s\""},
    {"SWITCHOVER TO pg2 TIMEOUT '10'", "22023",
     "TIMEOUT must be a number of seconds above 0 and at most 86400, got \"'10'\""},
    {"SWITCHOVER TO pg2 TIMEOUT 1_000", "22023",
     "TIMEOUT must be a number of seconds above 0 and at most 86400, got \"1_000\""},
    {"SWITCHOVER TO pg2 TIMEOUT 1.2.3", "22023",
     "TIMEOUT must be a number of seconds above 0 and at most 86400, got \"1.2.3\""},
    {"SWITCHOVER TO pg2 TIMEOUT 5 NOW", "42601", "unexpected \"NOW\" after SWITCHOVER"},
    {"SWITCHOVER TO pg2 WAIT 5", "42601", "unexpected \"WAIT\" after SWITCHOVER"},
    // Several statements, unterminated input.
    {"SHOW NODES; SHOW POOLS", "42601", "the admin console runs one command per query, got 2"},
    {"PAUSE;RESUME;", "42601", "the admin console runs one command per query, got 2"},
    {"DISABLE NODE 'pg1", "42601", "unterminated quoted string"},
    {"DISABLE NODE \"pg1", "42601", "unterminated quoted identifier"},
    {"SHOW NODES /* oops", "42601", "unterminated /* comment"},
    {"SHOW $$x", "42601", "unterminated dollar-quoted string"},
};

TEST(admin_command, rejected_forms) {
    for (const auto& c : rejected) {
        const admin_parse_result r = parse_admin_command(c.sql);
        ASSERT_EQ(r.status, admin_parse_status::error) << c.sql;
        EXPECT_FALSE(r.ok());
        EXPECT_EQ(r.error.sqlstate, c.sqlstate) << c.sql;
        EXPECT_EQ(r.error.message, c.message) << c.sql;
    }
}

TEST(admin_command, unknown_commands_list_every_command) {
    const std::string_view unknown[] = {
        "SELECT 1",
        "select n.nspname from pg_catalog.pg_namespace n",  // what psql's \dn sends
        "KILL pg1",
        "\"SHOW\" NODES",  // a quoted word is a name, not a key word
        "SHOWNODES",
        "BEGIN",
        "1",
    };
    for (auto sql : unknown) {
        const admin_parse_result r = parse_admin_command(sql);
        ASSERT_EQ(r.status, admin_parse_status::error) << sql;
        EXPECT_EQ(r.error.sqlstate, "42601") << sql;
        EXPECT_EQ(r.error.message.rfind("unknown admin command \"", 0), 0u) << r.error.message;
        for (const auto& row : help_rows())
            EXPECT_NE(r.error.message.find(row.command), std::string::npos) << row.command;
        EXPECT_EQ(r.error.hint, "SHOW HELP lists the commands with what they do.");
    }
    EXPECT_EQ(parse_admin_command("SELECT 1").error.message,
              "unknown admin command \"SELECT\"; commands: SHOW HELP, SHOW VERSION, SHOW CONFIG, "
              "SHOW NODES, SHOW POOLS, SHOW CLIENTS, SHOW SERVERS, SHOW STATS, SHOW EVENTS, PAUSE, "
              "RESUME, DISABLE NODE name, ENABLE NODE name, RELOAD, SHUTDOWN, SWITCHOVER TO name "
              "[TIMEOUT seconds]");
}

TEST(admin_command, echoed_text_is_cut_and_has_no_control_bytes) {
    const std::string long_word(200, 'x');
    const admin_parse_result r = parse_admin_command("SHOW " + long_word);
    ASSERT_EQ(r.status, admin_parse_status::error);
    EXPECT_NE(r.error.message.find("\"" + std::string(64, 'x') + "...\""), std::string::npos);
    EXPECT_EQ(r.error.message.find(std::string(65, 'x')), std::string::npos);

    const admin_parse_result c = parse_admin_command(std::string("PAUSE a\x01\x7f", 9));
    ASSERT_EQ(c.status, admin_parse_status::error);
    for (char ch : c.error.message)
        EXPECT_GE(static_cast<unsigned char>(ch), 0x20);
}

TEST(admin_command, argument_errors_carry_the_usage_as_hint) {
    struct row {
        std::string_view sql;
        std::string_view hint;
    };
    const row table[] = {
        {"DISABLE NODE", "The command is: DISABLE NODE name."},
        {"ENABLE x", "The command is: ENABLE NODE name."},
        {"SWITCHOVER", "The command is: SWITCHOVER TO name [TIMEOUT seconds]."},
        {"SHOW NODES x", "The command is: SHOW NODES."},
    };
    for (const auto& c : table)
        EXPECT_EQ(parse_admin_command(c.sql).error.hint, c.hint) << c.sql;
}

TEST(admin_command, names_and_tags) {
    struct row {
        admin_command_kind kind;
        std::string_view name;
        std::string_view tag;
    };
    const row table[] = {
        {k::show_help, "SHOW HELP", "SHOW"},       {k::show_version, "SHOW VERSION", "SHOW"},
        {k::show_config, "SHOW CONFIG", "SHOW"},   {k::show_nodes, "SHOW NODES", "SHOW"},
        {k::show_pools, "SHOW POOLS", "SHOW"},     {k::show_clients, "SHOW CLIENTS", "SHOW"},
        {k::show_servers, "SHOW SERVERS", "SHOW"}, {k::show_stats, "SHOW STATS", "SHOW"},
        {k::show_events, "SHOW EVENTS", "SHOW"},   {k::pause, "PAUSE", "PAUSE"},
        {k::resume, "RESUME", "RESUME"},           {k::disable_node, "DISABLE NODE", "DISABLE"},
        {k::enable_node, "ENABLE NODE", "ENABLE"}, {k::reload, "RELOAD", "RELOAD"},
        {k::shutdown, "SHUTDOWN", "SHUTDOWN"},     {k::switchover, "SWITCHOVER", "SWITCHOVER"},
    };
    for (const auto& r : table) {
        EXPECT_EQ(to_string(r.kind), r.name);
        EXPECT_EQ(command_tag(r.kind), r.tag);
    }
}

TEST(admin_command, help_rows_cover_every_command_once_and_parse) {
    const auto rows = help_rows();
    ASSERT_EQ(rows.size(), 16u);
    std::set<std::string_view> seen;
    for (const auto& row : rows) {
        EXPECT_TRUE(seen.insert(row.command).second) << row.command;
        EXPECT_FALSE(row.description.empty()) << row.command;
        EXPECT_NE(row.description.back(), '.') << row.command;
        // The usage with placeholders filled in is itself a valid command.
        std::string sql(row.command);
        if (auto p = sql.find(" [TIMEOUT seconds]"); p != std::string::npos) sql.erase(p);
        if (auto p = sql.find(" name"); p != std::string::npos) sql.replace(p, 5, " pg1");
        EXPECT_TRUE(parse_admin_command(sql).ok()) << sql;
    }
    EXPECT_EQ(rows.front().command, "SHOW HELP");
    EXPECT_EQ(rows.back().command, "SWITCHOVER TO name [TIMEOUT seconds]");
}

TEST(admin_command, random_input_never_crashes) {
    std::mt19937 rng(7);
    const std::string alphabet = "SHOWnodes PAUSE;'\"$-/*.\n\\0123x\x01\xff";
    for (int i = 0; i < 20000; ++i) {
        std::string sql;
        const int len = static_cast<int>(rng() % 24);
        for (int j = 0; j < len; ++j)
            sql += alphabet[rng() % alphabet.size()];
        const admin_parse_result r = parse_admin_command(sql);
        if (r.status == admin_parse_status::error) {
            EXPECT_TRUE(r.error.sqlstate == "42601" || r.error.sqlstate == "22023") << sql;
            EXPECT_FALSE(r.error.message.empty());
        }
    }
}

}  // namespace
}  // namespace pgrelay::proxy
