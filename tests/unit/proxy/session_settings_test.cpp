// Unit tests for proxy/session_settings, table-driven and written in SQL (the real classifier
// builds each statement_info): startup baselines and options parsing, when SETs become current
// (implicit and explicit transactions, failures, savepoints, RESET, set_config, FROM CURRENT),
// reconcile_sql between two setting lists, and pin_reason for every kind that pins.
#include "proxy/session_settings.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgrelay::proxy {

void PrintTo(const setting& s, std::ostream* os) {
    *os << "{" << s.name << ": " << s.sql << "}";
}

namespace {

using params = std::vector<std::pair<std::string, std::string>>;
using settings = std::vector<setting>;

// ---- startup parameters ------------------------------------------------------------------

struct baseline_case {
    std::string name;
    params startup;
    settings expected;
};

class SessionBaseline : public ::testing::TestWithParam<baseline_case> {};

TEST_P(SessionBaseline, Parses) {
    session_settings t;
    std::string error;
    ASSERT_TRUE(t.set_baseline(GetParam().startup, error)) << error;
    EXPECT_TRUE(error.empty());
    EXPECT_EQ(t.current(), GetParam().expected);
    EXPECT_FALSE(t.unknown());
    EXPECT_FALSE(t.take_server_reset());
}

const baseline_case baseline_cases[] = {
    {"plain_parameters_in_order",
     {{"application_name", "psql"}, {"client_encoding", "UTF8"}},
     {{"application_name", "SET application_name = 'psql'"},
      {"client_encoding", "SET client_encoding = 'UTF8'"}}},
    {"names_lowercased",
     {{"DateStyle", "ISO, MDY"}},
     {{"datestyle", "SET datestyle = 'ISO, MDY'"}}},
    {"user_database_replication_and_protocol_extensions_ignored",
     {{"user", "alice"},
      {"database", "app"},
      {"replication", "database"},
      {"_pq_.compression", "on"},
      {"timezone", "UTC"}},
     {{"timezone", "SET timezone = 'UTC'"}}},
    {"single_quotes_doubled",
     {{"application_name", "it's 'quoted'"}},
     {{"application_name", "SET application_name = 'it''s ''quoted'''"}}},
    {"backslash_makes_an_e_string",
     {{"application_name", "a\\b'c"}},
     {{"application_name", "SET application_name = E'a\\\\b''c'"}}},
    {"empty_value",
     {{"application_name", ""}},
     {{"application_name", "SET application_name = ''"}}},
    {"dotted_plain_name_bare", {{"myext.mode", "x"}}, {{"myext.mode", "SET myext.mode = 'x'"}}},
    {"name_parts_quoted_when_not_plain",
     {{"MyExt.Some Thing", "1"}},
     {{"myext.some thing", "SET myext.\"some thing\" = '1'"}}},
    {"reserved_word_part_quoted",
     {{"myext.select", "1"}, {"all", "2"}},
     {{"myext.select", "SET myext.\"select\" = '1'"}, {"all", "SET \"all\" = '2'"}}},
    {"double_quote_in_name_doubled", {{"a.b\"c", "1"}}, {{"a.b\"c", "SET a.\"b\"\"c\" = '1'"}}},
    {"search_path_keeps_its_list_meaning",
     {{"search_path", "$user, public"}},
     {{"search_path", "SELECT set_config('search_path', '$user, public', false)"}}},
    {"temp_tablespaces_keeps_its_list_meaning",
     {{"temp_tablespaces", "t1,t2"}},
     {{"temp_tablespaces", "SELECT set_config('temp_tablespaces', 't1,t2', false)"}}},
    {"options_dash_c_separate",
     {{"options", "-c work_mem=64MB"}},
     {{"work_mem", "SET work_mem = '64MB'"}}},
    {"options_dash_c_attached",
     {{"options", "-cwork_mem=64MB"}},
     {{"work_mem", "SET work_mem = '64MB'"}}},
    {"options_double_dash_dashes_become_underscores",
     {{"options", "--statement-timeout=5s"}},
     {{"statement_timeout", "SET statement_timeout = '5s'"}}},
    {"options_dash_c_dashes_become_underscores",
     {{"options", "-c lock-timeout=1s"}},
     {{"lock_timeout", "SET lock_timeout = '1s'"}}},
    {"options_dashes_in_value_kept",
     {{"options", "-c application_name=a-b"}},
     {{"application_name", "SET application_name = 'a-b'"}}},
    {"options_names_lowercased",
     {{"options", "-c Work_Mem=1MB"}},
     {{"work_mem", "SET work_mem = '1MB'"}}},
    {"options_escaped_space",
     {{"options", "-c application_name=my\\ app"}},
     {{"application_name", "SET application_name = 'my app'"}}},
    {"options_escaped_backslash",
     {{"options", "-c application_name=x\\\\y"}},
     {{"application_name", "SET application_name = E'x\\\\y'"}}},
    {"options_trailing_backslash_dropped",
     {{"options", "-c application_name=x\\"}},
     {{"application_name", "SET application_name = 'x'"}}},
    {"options_quote_in_value",
     {{"options", "-c application_name=it's"}},
     {{"application_name", "SET application_name = 'it''s'"}}},
    {"options_value_holds_equals",
     {{"options", "-c myext.pair=k=v"}},
     {{"myext.pair", "SET myext.pair = 'k=v'"}}},
    {"options_empty_value",
     {{"options", "--application_name="}},
     {{"application_name", "SET application_name = ''"}}},
    {"options_blanks_and_tabs_separate",
     {{"options", "  -c a.x=1 \t--a.y=2\n -ca.z=3  "}},
     {{"a.x", "SET a.x = '1'"}, {"a.y", "SET a.y = '2'"}, {"a.z", "SET a.z = '3'"}}},
    {"options_search_path",
     {{"options", "-c search_path=app,public"}},
     {{"search_path", "SELECT set_config('search_path', 'app,public', false)"}}},
    {"empty_options", {{"options", "   "}}, {}},
    {"options_first_then_parameters_which_win",
     {{"application_name", "from_parameter"},
      {"options", "-c application_name=from_options -c work_mem=1MB"}},
     {{"application_name", "SET application_name = 'from_parameter'"},
      {"work_mem", "SET work_mem = '1MB'"}}},
    {"repeated_name_replaced_in_place",
     {{"options", "-c a.x=1 -c a.y=2 -c a.x=3"}},
     {{"a.x", "SET a.x = '3'"}, {"a.y", "SET a.y = '2'"}}},
};

INSTANTIATE_TEST_SUITE_P(Startup, SessionBaseline, ::testing::ValuesIn(baseline_cases),
                         [](const auto& test) { return test.param.name; });

struct bad_baseline_case {
    std::string name;
    params startup;
    std::string error_mentions;
};

class SessionBaselineRefused : public ::testing::TestWithParam<bad_baseline_case> {};

TEST_P(SessionBaselineRefused, Refuses) {
    session_settings t;
    std::string error;
    ASSERT_TRUE(t.set_baseline({{"application_name", "before"}}, error)) << error;
    EXPECT_FALSE(t.set_baseline(GetParam().startup, error));
    EXPECT_NE(error.find(GetParam().error_mentions), std::string::npos) << error;
    // The earlier baseline stands.
    EXPECT_EQ(t.current(), (settings{{"application_name", "SET application_name = 'before'"}}));
}

const bad_baseline_case bad_baseline_cases[] = {
    {"other_switch", {{"options", "-c a.x=1 -B 10"}}, "\"-B\""},
    {"bare_word", {{"options", "work_mem=1MB"}}, "\"work_mem=1MB\""},
    {"dash_c_at_the_end", {{"options", "-c a.x=1 -c"}}, "-c"},
    {"dash_c_without_value", {{"options", "-c work_mem"}}, "requires a value"},
    {"double_dash_without_value", {{"options", "--work_mem"}}, "requires a value"},
    {"double_dash_alone", {{"options", "--"}}, "requires a value"},
    {"empty_name", {{"options", "-c =1"}}, "lacks a name"},
    {"clustered_switches", {{"options", "-Ec a.x=1"}}, "unsupported item \"-Ec\""},
    {"empty_name_part", {{"options", "-c a..b=1"}}, "a..b"},
    {"empty_parameter_name", {{"", "x"}}, "invalid startup parameter name"},
    {"nul_in_value", {{"application_name", std::string("a\0b", 3)}}, "NUL"},
    {"nul_in_name", {{std::string("a\0b", 3), "x"}}, "NUL"},
};

INSTANTIATE_TEST_SUITE_P(Startup, SessionBaselineRefused, ::testing::ValuesIn(bad_baseline_cases),
                         [](const auto& test) { return test.param.name; });

// ---- what becomes current, and when ------------------------------------------------------

// The tag the server sends for a statement that completed.
std::string_view tag_for(statement_kind kind) {
    switch (kind) {
        case statement_kind::set:
        case statement_kind::set_session_characteristics:
        case statement_kind::set_transaction:
            return "SET";
        case statement_kind::reset:
        case statement_kind::reset_all:
            return "RESET";
        case statement_kind::discard:
            return "DISCARD";
        case statement_kind::begin:
            return "BEGIN";
        case statement_kind::commit:
            return "COMMIT";
        case statement_kind::rollback:
        case statement_kind::rollback_to_savepoint:
            return "ROLLBACK";
        case statement_kind::savepoint:
            return "SAVEPOINT";
        case statement_kind::release_savepoint:
            return "RELEASE";
        case statement_kind::prepare_transaction:
            return "PREPARE TRANSACTION";
        case statement_kind::prepare:
            return "PREPARE";
        case statement_kind::deallocate:
            return "DEALLOCATE";
        default:
            return "SELECT 1";
    }
}

// Feeds the tracker as the relay would, one step at a time:
//   "SQL"          every statement of SQL completes with its usual tag
//   "SQL => TAG"   the (single) statement completes with TAG instead
//   "!"            ErrorResponse
//   "I" "T" "E"    ReadyForQuery with that status
//   "> SQL"        every statement of SQL is sent (statement_sent), not yet completed
void run(session_settings& t, const std::vector<std::string_view>& steps) {
    for (const std::string_view step : steps) {
        if (step.starts_with("> ")) {
            const query_info q = classify_query(step.substr(2));
            for (const statement_info& s : q.statements)
                t.statement_sent(s);
            continue;
        }
        if (step == "!") {
            t.error();
            continue;
        }
        if (step == "I" || step == "T" || step == "E") {
            t.ready(step[0]);
            continue;
        }
        std::string_view sql = step;
        std::optional<std::string_view> tag;
        if (const std::size_t arrow = step.find(" => "); arrow != std::string_view::npos) {
            sql = step.substr(0, arrow);
            tag = step.substr(arrow + 4);
        }
        const query_info q = classify_query(sql);
        ASSERT_FALSE(q.statements.empty()) << step;
        for (const statement_info& s : q.statements)
            t.statement_done(s, tag.value_or(tag_for(s.kind)));
    }
}

struct script_case {
    std::string name;
    params startup;
    std::vector<std::string_view> steps;
    settings expected;
    bool unknown = false;
    bool server_reset = false;
};

class SessionScript : public ::testing::TestWithParam<script_case> {};

TEST_P(SessionScript, EndsAsExpected) {
    const script_case& c = GetParam();
    session_settings t;
    std::string error;
    ASSERT_TRUE(t.set_baseline(c.startup, error)) << error;
    run(t, c.steps);
    EXPECT_EQ(t.current(), c.expected);
    EXPECT_EQ(t.unknown(), c.unknown);
    EXPECT_EQ(t.take_server_reset(), c.server_reset);
    EXPECT_FALSE(t.take_server_reset()) << "the flag is cleared once taken";
}

// The options come first, as PostgreSQL applies them first.
const params app_baseline = {{"options", "-c work_mem=8MB"}, {"application_name", "app"}};
const setting app_name{"application_name", "SET application_name = 'app'"};
const setting app_work_mem{"work_mem", "SET work_mem = '8MB'"};

const script_case script_cases[] = {
    // Outside a transaction: the implicit transaction commits at ReadyForQuery 'I'.
    {"set_outside_a_transaction",
     {},
     {"SET search_path TO app, public", "I"},
     {{"search_path", "SET search_path TO app, public"}}},
    {"set_pending_until_ready", {}, {"SET search_path TO app"}, {}},
    {"set_text_kept_exactly_as_written",
     {},
     {"  SET   statement_timeout   =  '5s' ; ", "I"},
     {{"statement_timeout", "SET   statement_timeout   =  '5s'"}}},
    {"each_statement_of_a_query",
     {},
     {"SET a.x = 1; SELECT 1; SET a.y = 2", "I"},
     {{"a.x", "SET a.x = 1"}, {"a.y", "SET a.y = 2"}}},
    {"error_in_implicit_multi_statement_query_drops_all",
     {},
     {"SET a.x = 1; SET a.y = 2", "!", "I"},
     {}},
    {"error_counts_only_until_the_next_ready",
     {},
     {"SET a.x = 1", "!", "I", "SET a.y = 2", "I"},
     {{"a.y", "SET a.y = 2"}}},
    {"earlier_queries_survive_a_later_error",
     {},
     {"SET a.x = 1", "I", "SET a.y = 2", "!", "I"},
     {{"a.x", "SET a.x = 1"}}},
    // Explicit blocks.
    {"set_in_committed_block",
     {},
     {"BEGIN", "T", "SET work_mem = '64MB'", "T", "COMMIT", "I"},
     {{"work_mem", "SET work_mem = '64MB'"}}},
    {"set_in_open_block_not_current", {}, {"BEGIN", "T", "SET work_mem = '64MB'", "T"}, {}},
    {"set_in_rolled_back_block",
     {},
     {"BEGIN", "T", "SET work_mem = '64MB'", "T", "ROLLBACK", "I"},
     {}},
    {"set_in_aborted_block",
     {},
     {"START TRANSACTION; SET work_mem = '64MB'", "T", "ABORT", "I"},
     {}},
    {"commit_of_failed_block_answers_rollback",
     {},
     {"BEGIN; SET work_mem = '64MB'", "T", "!", "E", "COMMIT => ROLLBACK", "I"},
     {}},
    {"error_in_block_drops_nothing_by_itself",
     {},
     {"BEGIN; SET a.x = 1; SAVEPOINT s", "T", "!", "E", "ROLLBACK TO s", "T", "COMMIT", "I"},
     {{"a.x", "SET a.x = 1"}}},
    {"commit_applies_at_once_in_the_same_query",
     {},
     {"BEGIN; SET a.x = 1; COMMIT; SET a.y = 2", "!", "I"},
     {{"a.x", "SET a.x = 1"}}},
    {"statements_before_begin_join_the_block_rollback",
     {},
     {"SET a.x = 1; BEGIN", "T", "ROLLBACK", "I"},
     {}},
    {"statements_before_begin_join_the_block_commit",
     {},
     {"SET a.x = 1; BEGIN", "T", "COMMIT", "I"},
     {{"a.x", "SET a.x = 1"}}},
    {"commit_and_chain_keeps_a_block_open",
     {},
     {"BEGIN; SET a.x = 1; COMMIT AND CHAIN; SET a.y = 2", "T", "ROLLBACK", "I"},
     {{"a.x", "SET a.x = 1"}}},
    {"commit_and_chain_not_current_until_the_chain_ends",
     {},
     {"BEGIN; SET a.x = 1; COMMIT AND CHAIN; SET a.y = 2", "T"},
     {{"a.x", "SET a.x = 1"}}},
    {"rollback_and_chain",
     {},
     {"BEGIN; SET a.x = 1; ROLLBACK AND CHAIN; SET a.y = 2", "T", "COMMIT", "I"},
     {{"a.y", "SET a.y = 2"}}},
    {"ready_idle_ends_an_unseen_block",
     {},
     {"BEGIN; SET a.x = 1", "T", "I"},
     {{"a.x", "SET a.x = 1"}}},
    {"ready_idle_after_error_drops_the_block", {}, {"BEGIN; SET a.x = 1", "T", "!", "I"}, {}},
    {"prepare_transaction_keeps_sets_like_commit",
     {},
     {"BEGIN; SET a.x = 1; PREPARE TRANSACTION 'g1'", "I"},
     {{"a.x", "SET a.x = 1"}}},
    {"prepare_transaction_of_failed_block",
     {},
     {"BEGIN; SET a.x = 1", "!", "E", "PREPARE TRANSACTION 'g1' => ROLLBACK", "I"},
     {}},
    // SET LOCAL ends with its transaction.
    {"set_local_ignored", {}, {"BEGIN; SET LOCAL work_mem = '1MB'; COMMIT", "I"}, {}},
    {"set_local_leaves_the_session_value",
     {},
     {"BEGIN; SET work_mem = '2MB'; SET LOCAL work_mem = '1MB'; COMMIT", "I"},
     {{"work_mem", "SET work_mem = '2MB'"}}},
    {"set_local_to_default_ignored",
     {},
     {"SET work_mem = '2MB'", "I", "BEGIN; SET LOCAL work_mem TO DEFAULT; COMMIT", "I"},
     {{"work_mem", "SET work_mem = '2MB'"}}},
    {"transaction_scoped_parameters_ignored",
     {},
     {"SET transaction_isolation = 'serializable'; SET TRANSACTION READ ONLY; RESET "
      "transaction_read_only",
      "I"},
     {}},
    {"pgrelay_route_ignored", {}, {"SET pgrelay.route = 'primary'; RESET pgrelay.route", "I"}, {}},
    // Savepoints.
    {"rollback_to_savepoint_drops_later_ops",
     {},
     {"BEGIN; SET a.x = 1; SAVEPOINT s; SET a.y = 2; ROLLBACK TO SAVEPOINT s; COMMIT", "I"},
     {{"a.x", "SET a.x = 1"}}},
    {"rollback_to_savepoint_keeps_the_savepoint",
     {},
     {"BEGIN; SAVEPOINT s; SET a.x = 1; ROLLBACK TO s; SET a.y = 2; ROLLBACK TO s; SET a.z = 3; "
      "COMMIT",
      "I"},
     {{"a.z", "SET a.z = 3"}}},
    {"release_savepoint_keeps_ops",
     {},
     {"BEGIN; SAVEPOINT s; SET a.x = 1; RELEASE SAVEPOINT s; COMMIT", "I"},
     {{"a.x", "SET a.x = 1"}}},
    {"release_then_rollback_to_an_outer_savepoint",
     {},
     {"BEGIN; SET a.w = 0; SAVEPOINT s; SET a.x = 1; SAVEPOINT s; SET a.y = 2; RELEASE s; "
      "ROLLBACK TO s; COMMIT",
      "I"},
     {{"a.w", "SET a.w = 0"}}},
    {"release_removes_later_savepoints",
     {},
     {"BEGIN; SAVEPOINT b; SET a.x = 1; SAVEPOINT a; SAVEPOINT b; SET a.y = 2; RELEASE a; "
      "ROLLBACK TO b; COMMIT",
      "I"},
     {}},
    {"rollback_to_the_innermost_savepoint_of_a_name",
     {},
     {"BEGIN; SAVEPOINT s; SET a.x = 1; SAVEPOINT s; SET a.y = 2; ROLLBACK TO s; COMMIT", "I"},
     {{"a.x", "SET a.x = 1"}}},
    {"savepoint_names_fold_case",
     {},
     {"BEGIN; SAVEPOINT Sp; SET a.x = 1; ROLLBACK TO SAVEPOINT sp; COMMIT", "I"},
     {}},
    {"error_then_rollback_to_savepoint_keeps_earlier_ops",
     {},
     {"BEGIN; SET a.x = 1; SAVEPOINT s; SET a.y = 2", "T", "!", "E", "ROLLBACK TO SAVEPOINT s", "T",
      "COMMIT", "I"},
     {{"a.x", "SET a.x = 1"}}},
    // RESET.
    {"reset_returns_to_the_baseline",
     app_baseline,
     {"SET application_name = 'other'", "I", "RESET application_name", "I"},
     {app_work_mem, app_name}},
    {"set_to_default_returns_to_the_baseline",
     app_baseline,
     {"SET work_mem = '1GB'", "I", "SET work_mem TO DEFAULT", "I"},
     {app_work_mem, app_name}},
    {"reset_removes_a_setting_not_in_the_baseline",
     app_baseline,
     {"SET statement_timeout = '1s'", "I", "RESET statement_timeout", "I"},
     {app_work_mem, app_name}},
    {"reset_in_rolled_back_block_kept_the_value",
     {},
     {"SET statement_timeout = '1s'", "I", "BEGIN; RESET statement_timeout; ROLLBACK", "I"},
     {{"statement_timeout", "SET statement_timeout = '1s'"}}},
    {"reset_all_returns_to_the_baseline",
     app_baseline,
     {"SET application_name = 'x'; SET statement_timeout = '1s'", "I", "RESET ALL", "I"},
     {app_work_mem, app_name},
     false,
     true},
    {"reset_all_leaves_role_and_session_authorization",
     app_baseline,
     {"SET SESSION AUTHORIZATION alice", "I", "SET ROLE admin; SET work_mem = '1GB'", "I",
      "RESET ALL", "I"},
     {app_work_mem,
      app_name,
      {"session_authorization", "SET SESSION AUTHORIZATION alice"},
      {"role", "SET ROLE admin"}},
     false,
     true},
    {"discard_all_returns_to_the_baseline_role_included",
     app_baseline,
     {"SET ROLE admin; SET work_mem = '1GB'", "I", "DISCARD ALL", "I"},
     {app_work_mem, app_name},
     false,
     true},
    {"discard_plans_changes_no_setting",
     {},
     {"SET a.x = 1", "I", "DISCARD PLANS; DISCARD TEMP", "I"},
     {{"a.x", "SET a.x = 1"}}},
    {"rolled_back_reset_all_is_no_server_reset",
     {},
     {"SET a.x = 1", "I", "BEGIN; RESET ALL; ROLLBACK", "I"},
     {{"a.x", "SET a.x = 1"}}},
    {"failed_reset_all_is_no_server_reset",
     {},
     {"SET a.x = 1", "I", "RESET ALL", "!", "I"},
     {{"a.x", "SET a.x = 1"}}},
    // set_config.
    {"set_config_literal",
     {},
     {"SELECT set_config('search_path', 'app', false)", "I"},
     {{"search_path", "SELECT set_config('search_path', 'app', false)"}}},
    {"set_config_name_lowercased_value_as_written",
     {},
     {"select SET_CONFIG('MyExt.Mode', $$it's$$, FALSE)", "I"},
     {{"myext.mode", "SELECT set_config('myext.mode', $$it's$$, false)"}}},
    {"set_config_e_string_value",
     {},
     {"SELECT set_config('a.x', E'tab\\there', 'off')", "I"},
     {{"a.x", "SELECT set_config('a.x', E'tab\\there', false)"}}},
    {"set_config_every_call",
     {},
     {"SELECT set_config('a.x', '1', false), set_config('a.y', '2', false)", "I"},
     {{"a.x", "SELECT set_config('a.x', '1', false)"},
      {"a.y", "SELECT set_config('a.y', '2', false)"}}},
    {"set_config_local_ignored", {}, {"SELECT set_config('a.x', '1', true)", "I"}, {}},
    {"set_config_computed_value_unknown",
     {},
     {"SELECT set_config('a.x', current_user, false)", "I"},
     {},
     true},
    {"set_config_computed_name_unknown",
     {},
     {"SELECT set_config(name, 'v', false) FROM names", "I"},
     {},
     true},
    {"set_config_computed_is_local_unknown",
     {},
     {"SELECT set_config('a.x', 'v', flag) FROM flags", "I"},
     {},
     true},
    {"set_config_computed_local_call_ignored",
     {},
     {"SELECT set_config('a.x', now()::text, true)", "I"},
     {}},
    {"set_config_literal_call_kept_beside_a_computed_one",
     {},
     {"SELECT set_config('a.x', '1', false), set_config('a.y', $1, false)", "I"},
     {{"a.x", "SELECT set_config('a.x', '1', false)"}},
     true},
    {"rolled_back_unknown_did_not_happen",
     {},
     {"BEGIN; SELECT set_config('a.x', now()::text, false); ROLLBACK", "I"},
     {}},
    // FROM CURRENT.
    {"set_from_current_unknown", {}, {"SET work_mem FROM CURRENT", "I"}, {}, true},
    {"set_from_current_any_spelling", {}, {"set work_mem from /* c */ Current", "I"}, {}, true},
    {"set_local_from_current_ignored",
     {},
     {"BEGIN; SET LOCAL work_mem FROM CURRENT; COMMIT", "I"},
     {}},
    {"unknown_stays", {}, {"SET work_mem FROM CURRENT", "I", "RESET ALL", "I"}, {}, true, true},
    // Order and special forms.
    {"later_set_replaces_in_place",
     {},
     {"SET a.x = 1; SET a.y = 2; SET a.x = 3", "I"},
     {{"a.x", "SET a.x = 3"}, {"a.y", "SET a.y = 2"}}},
    {"baseline_first_then_new_settings",
     app_baseline,
     {"SET statement_timeout = '1s'; SET application_name = 'b'", "I"},
     {app_work_mem,
      {"application_name", "SET application_name = 'b'"},
      {"statement_timeout", "SET statement_timeout = '1s'"}}},
    {"set_again_after_reset_goes_last",
     {},
     {"SET a.x = 1; SET a.y = 2", "I", "RESET a.x", "I", "SET a.x = 3", "I"},
     {{"a.y", "SET a.y = 2"}, {"a.x", "SET a.x = 3"}}},
    {"special_forms_by_parameter_name",
     {},
     {"SET TIME ZONE 'UTC'; SET NAMES 'UTF8'; SET SCHEMA 'app'; SET XML OPTION DOCUMENT", "I"},
     {{"timezone", "SET TIME ZONE 'UTC'"},
      {"client_encoding", "SET NAMES 'UTF8'"},
      {"search_path", "SET SCHEMA 'app'"},
      {"xmloption", "SET XML OPTION DOCUMENT"}}},
    {"role_and_session_authorization_are_settings",
     {},
     {"SET SESSION AUTHORIZATION alice; SET ROLE admin", "I"},
     {{"session_authorization", "SET SESSION AUTHORIZATION alice"}, {"role", "SET ROLE admin"}}},
    {"session_authorization_ends_set_role",
     {},
     {"SET ROLE admin", "I", "SET SESSION AUTHORIZATION bob", "I"},
     {{"session_authorization", "SET SESSION AUTHORIZATION bob"}}},
    {"reset_session_authorization_ends_set_role",
     {},
     {"SET SESSION AUTHORIZATION bob; SET ROLE admin", "I", "RESET SESSION AUTHORIZATION", "I"},
     {}},
    {"reset_role", {}, {"SET ROLE admin", "I", "RESET ROLE", "I"}, {}},
    {"session_characteristics_one_setting_per_mode",
     {},
     {"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY, "
      "DEFERRABLE",
      "I"},
     {{"default_transaction_read_only", "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"},
      {"default_transaction_isolation",
       "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE"},
      {"default_transaction_deferrable", "SET SESSION CHARACTERISTICS AS TRANSACTION DEFERRABLE"}}},
    {"session_characteristics_later_mode_keeps_earlier_ones",
     {},
     {"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", "I",
      "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ NOT DEFERRABLE",
      "I"},
     {{"default_transaction_read_only", "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"},
      {"default_transaction_isolation",
       "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ"},
      {"default_transaction_deferrable",
       "SET SESSION CHARACTERISTICS AS TRANSACTION NOT DEFERRABLE"}}},
    {"session_characteristics_and_set_share_a_name",
     {},
     {"SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "I",
      "SET default_transaction_read_only = on", "I"},
     {{"default_transaction_read_only", "SET default_transaction_read_only = on"}}},
};

INSTANTIATE_TEST_SUITE_P(Scripts, SessionScript, ::testing::ValuesIn(script_cases),
                         [](const auto& test) { return test.param.name; });

TEST(SessionSettings, CurrentNeverShowsPendingOps) {
    session_settings t;
    run(t, {"SET a.x = 1", "I", "BEGIN; SET a.x = 2; SET a.y = 3", "T"});
    EXPECT_EQ(t.current(), (settings{{"a.x", "SET a.x = 1"}}));
    run(t, {"COMMIT", "I"});
    EXPECT_EQ(t.current(), (settings{{"a.x", "SET a.x = 2"}, {"a.y", "SET a.y = 3"}}));
}

TEST(SessionSettings, ServerResetReportedOncePerReset) {
    session_settings t;
    run(t, {"DISCARD ALL", "I"});
    EXPECT_TRUE(t.take_server_reset());
    EXPECT_FALSE(t.take_server_reset());
    run(t, {"RESET ALL", "I"});
    EXPECT_TRUE(t.take_server_reset());
}

TEST(SessionSettings, NewBaselineStartsOver) {
    session_settings t;
    std::string error;
    run(t, {"SET work_mem FROM CURRENT; SET a.x = 1", "I", "BEGIN; SET a.y = 2", "T"});
    ASSERT_TRUE(t.unknown());
    ASSERT_TRUE(t.set_baseline({{"application_name", "a"}}, error)) << error;
    EXPECT_FALSE(t.unknown());
    run(t, {"I"});  // the old block's op must be gone
    EXPECT_EQ(t.current(), (settings{{"application_name", "SET application_name = 'a'"}}));
}

// ---- reconcile_sql -----------------------------------------------------------------------

struct reconcile_case {
    std::string name;
    settings applied;
    settings wanted;
    std::string sql;
};

class ReconcileSql : public ::testing::TestWithParam<reconcile_case> {};

TEST_P(ReconcileSql, MovesAppliedToWanted) {
    EXPECT_EQ(reconcile_sql(GetParam().applied, GetParam().wanted), GetParam().sql);
}

const setting sa_alice{"session_authorization", "SET SESSION AUTHORIZATION alice"};
const setting sa_bob{"session_authorization", "SET SESSION AUTHORIZATION bob"};
const setting role_admin{"role", "SET ROLE admin"};
const setting x1{"a.x", "SET a.x = 1"};
const setting x2{"a.x", "SET a.x = 2"};
const setting y1{"a.y", "SET a.y = 1"};
const setting z1{"a.z", "SET a.z = 1"};

const reconcile_case reconcile_cases[] = {
    {"both_empty", {}, {}, ""},
    {"identical", {x1, y1}, {x1, y1}, ""},
    {"same_settings_other_order", {y1, x1}, {x1, y1}, ""},
    {"addition", {}, {x1}, "SET a.x = 1"},
    {"additions_in_wanted_order", {}, {y1, x1}, "SET a.y = 1; SET a.x = 1"},
    {"removal", {x1}, {}, "RESET a.x"},
    {"removal_of_role", {role_admin}, {}, "RESET ROLE"},
    {"removal_of_session_authorization", {sa_alice}, {}, "RESET SESSION AUTHORIZATION"},
    {"removal_quotes_the_name",
     {{"myext.some thing", "SET myext.\"some thing\" = '1'"}},
     {},
     "RESET myext.\"some thing\""},
    {"change", {x1}, {x2}, "SET a.x = 2"},
    {"resets_first_then_sets_in_wanted_order",
     {x1, y1, z1},
     {{"a.w", "SET a.w = 1"}, x2, z1},
     "RESET a.y; SET a.w = 1; SET a.x = 2"},
    {"resets_in_applied_order", {z1, x1, y1}, {}, "RESET a.z; RESET a.x; RESET a.y"},
    {"role_change_alone",
     {sa_alice, role_admin},
     {sa_alice, {"role", "SET ROLE dba"}},
     "SET ROLE dba"},
    {"session_authorization_change_sets_role_again",
     {sa_alice, role_admin},
     {sa_bob, role_admin},
     "SET SESSION AUTHORIZATION bob; SET ROLE admin"},
    {"session_authorization_and_role_change_sets_role_once",
     {sa_alice, role_admin},
     {sa_bob, {"role", "SET ROLE dba"}},
     "SET SESSION AUTHORIZATION bob; SET ROLE dba"},
    {"session_authorization_change_without_role",
     {sa_alice, role_admin},
     {sa_bob},
     "RESET ROLE; SET SESSION AUTHORIZATION bob"},
    {"session_authorization_reset_sets_role_again",
     {sa_alice, role_admin},
     {role_admin},
     "RESET SESSION AUTHORIZATION; SET ROLE admin"},
    {"session_authorization_added_before_role",
     {role_admin},
     {role_admin, sa_bob},
     "SET SESSION AUTHORIZATION bob; SET ROLE admin"},
};

INSTANTIATE_TEST_SUITE_P(Lists, ReconcileSql, ::testing::ValuesIn(reconcile_cases),
                         [](const auto& test) { return test.param.name; });

TEST(ReconcileSql, LeavesAClientsSettingsBehindForTheNext) {
    // Client A's settings on a connection, then client B leases it.
    session_settings a;
    session_settings b;
    std::string error;
    ASSERT_TRUE(a.set_baseline({{"application_name", "a"}}, error)) << error;
    ASSERT_TRUE(b.set_baseline({{"application_name", "b"}}, error)) << error;
    run(a, {"SET ROLE admin; SET search_path TO secret", "I"});
    EXPECT_EQ(reconcile_sql(a.current(), b.current()),
              "RESET ROLE; RESET search_path; SET application_name = 'b'");
    EXPECT_EQ(reconcile_sql(b.current(), a.current()),
              "SET application_name = 'a'; SET ROLE admin; SET search_path TO secret");
}

// ---- pin_reason --------------------------------------------------------------------------

struct pin_case {
    std::string name;
    std::string sql;
    std::optional<std::string_view> reason;
};

class PinReason : public ::testing::TestWithParam<pin_case> {};

TEST_P(PinReason, Classifies) {
    const query_info q = classify_query(GetParam().sql);
    ASSERT_EQ(q.statements.size(), 1u) << GetParam().sql;
    EXPECT_EQ(pin_reason(q.statements[0]), GetParam().reason) << GetParam().sql;
}

constexpr std::string_view advisory = "session advisory lock";

const pin_case pin_cases[] = {
    {"create_temp_table", "CREATE TEMP TABLE t (a int)", "temporary object"},
    {"select_into_temp", "SELECT * INTO TEMPORARY t FROM x", "temporary object"},
    {"listen", "LISTEN jobs", "LISTEN"},
    {"unlisten", "UNLISTEN *", std::nullopt},
    {"cursor_with_hold", "DECLARE c CURSOR WITH HOLD FOR SELECT 1", "WITH HOLD cursor"},
    {"cursor_without_hold", "DECLARE c CURSOR WITHOUT HOLD FOR SELECT 1", std::nullopt},
    {"cursor_plain", "DECLARE c CURSOR FOR SELECT 1", std::nullopt},
    {"load", "LOAD 'auto_explain'", "LOAD"},
    {"sql_prepare_is_replayed", "PREPARE q (int) AS SELECT $1", std::nullopt},
    {"do_block_creating_temp", "DO $$BEGIN CREATE TEMP TABLE t (a int); END$$", "DO block"},
    {"do_block_setting", "DO $$BEGIN SET search_path = x; END$$", "DO block"},
    {"do_block_set_config", "DO 'BEGIN PERFORM set_config(''a.b'', ''1'', false); END'",
     "DO block"},
    {"do_block_dynamic_sql", "DO $$BEGIN EXECUTE 'SELECT 1'; END$$", "DO block"},
    {"do_block_advisory", "DO $$BEGIN PERFORM pg_advisory_lock(1); END$$", "DO block"},
    {"do_block_update_set_is_harmless", "DO $$BEGIN UPDATE t SET a = 1; END$$", std::nullopt},
    {"do_block_plain", "DO $$BEGIN INSERT INTO t VALUES (1); END$$", std::nullopt},
    {"execute", "EXECUTE q (1)", std::nullopt},
    {"advisory_lock", "SELECT pg_advisory_lock(1)", advisory},
    {"advisory_lock_shared", "SELECT pg_advisory_lock_shared(1, 2)", advisory},
    {"try_advisory_lock", "SELECT pg_try_advisory_lock(42)", advisory},
    {"try_advisory_lock_shared_upper_case", "select PG_TRY_ADVISORY_LOCK_SHARED(42)", advisory},
    {"advisory_lock_schema_qualified", "SELECT pg_catalog.pg_advisory_lock(1)", advisory},
    {"advisory_lock_blank_before_paren", "SELECT pg_advisory_lock (1)", advisory},
    {"advisory_lock_comment_before_paren", "SELECT pg_advisory_lock/* x */(1)", advisory},
    {"advisory_lock_quoted_name", "SELECT \"pg_advisory_lock\"(1)", advisory},
    {"advisory_lock_in_where", "SELECT 1 FROM jobs WHERE pg_try_advisory_lock(id) LIMIT 1",
     advisory},
    {"advisory_lock_in_other_kinds", "INSERT INTO t SELECT pg_advisory_lock(1)", advisory},
    {"xact_advisory_lock", "SELECT pg_advisory_xact_lock(1)", std::nullopt},
    {"xact_advisory_lock_shared", "SELECT pg_advisory_xact_lock_shared(1)", std::nullopt},
    {"try_xact_advisory_lock", "SELECT pg_try_advisory_xact_lock(1)", std::nullopt},
    {"try_xact_advisory_lock_shared", "SELECT pg_try_advisory_xact_lock_shared(1)", std::nullopt},
    {"advisory_unlock", "SELECT pg_advisory_unlock(1)", std::nullopt},
    {"advisory_lock_in_a_string", "SELECT 'pg_advisory_lock(1)'", std::nullopt},
    {"advisory_lock_in_a_dollar_string", "SELECT $$pg_advisory_lock(1)$$", std::nullopt},
    {"advisory_lock_in_a_block_comment", "SELECT 1 /* pg_advisory_lock(1) */", std::nullopt},
    {"advisory_lock_in_a_line_comment", "SELECT 1 -- pg_advisory_lock(1)", std::nullopt},
    {"advisory_lock_as_a_column", "SELECT pg_advisory_lock FROM t", std::nullopt},
    {"advisory_lock_quoted_other_case", "SELECT \"PG_ADVISORY_LOCK\"(1)", std::nullopt},
    {"advisory_lock_prefix_only", "SELECT pg_advisory_lock_extra(1)", std::nullopt},
    {"set_config_computed", "SELECT set_config('a.x', current_user, false)",
     "set_config with computed arguments"},
    {"set_config_computed_is_local", "SELECT set_config('a.x', '1', f) FROM t",
     "set_config with computed arguments"},
    {"set_config_literal", "SELECT set_config('a.x', '1', false)", std::nullopt},
    {"set", "SET work_mem = '1MB'", std::nullopt},
    {"plain_select", "SELECT 1", std::nullopt},
    {"ddl", "CREATE TABLE t (a int)", std::nullopt},
};

INSTANTIATE_TEST_SUITE_P(Statements, PinReason, ::testing::ValuesIn(pin_cases),
                         [](const auto& test) { return test.param.name; });

// ---- session objects: pin and unpin -------------------------------------------------------

struct object_case {
    std::string name;
    std::vector<std::string_view> steps;
    std::string pinned_by;  // empty: not pinned
};

class SessionObjects : public ::testing::TestWithParam<object_case> {};

TEST_P(SessionObjects, PinAndUnpin) {
    const object_case& c = GetParam();
    session_settings t;
    std::string error;
    ASSERT_TRUE(t.set_baseline({}, error)) << error;
    run(t, c.steps);
    EXPECT_EQ(t.pinned(), !c.pinned_by.empty());
    EXPECT_EQ(t.pinned_by(), c.pinned_by);
}

const object_case object_cases[] = {
    // Temporary objects: held from their commit, until dropped or discarded.
    {"temp_table_pins", {"CREATE TEMP TABLE t (a int)", "I"}, "temporary object t"},
    {"temp_table_pending_until_commit", {"BEGIN", "T", "CREATE TEMP TABLE t (a int)", "T"}, ""},
    {"temp_table_in_committed_block",
     {"BEGIN", "T", "CREATE TEMP TABLE t (a int)", "T", "COMMIT", "I"},
     "temporary object t"},
    {"temp_table_rolled_back", {"BEGIN", "CREATE TEMP TABLE t (a int)", "ROLLBACK", "I"}, ""},
    {"temp_table_failed_implicit", {"CREATE TEMP TABLE t (a int)", "!", "I"}, ""},
    {"temp_table_on_commit_drop",
     {"BEGIN", "CREATE TEMP TABLE t (a int) ON COMMIT DROP", "COMMIT", "I"},
     ""},
    {"temp_table_dropped", {"CREATE TEMP TABLE t (a int)", "I", "DROP TABLE t", "I"}, ""},
    {"temp_table_dropped_if_exists_qualified",
     {"CREATE TEMPORARY TABLE \"T\" (a int)", "I", "DROP TABLE IF EXISTS pg_temp.\"T\"", "I"},
     ""},
    {"temp_table_drop_of_other_schema_keeps",
     {"CREATE TEMP TABLE t (a int)", "I", "DROP TABLE public.t", "I"},
     "temporary object t"},
    {"temp_table_drop_rolled_back_keeps",
     {"CREATE TEMP TABLE t (a int)", "I", "BEGIN", "DROP TABLE t", "ROLLBACK", "I"},
     "temporary object t"},
    {"temp_tables_dropped_in_one_statement",
     {"CREATE TEMP TABLE a (x int)", "CREATE TEMP TABLE b (x int)", "I", "DROP TABLE a, b", "I"},
     ""},
    {"one_of_two_temp_tables_dropped",
     {"CREATE TEMP TABLE a (x int)", "CREATE TEMP TABLE b (x int)", "I", "DROP TABLE a", "I"},
     "temporary object b"},
    {"temp_view_dropped", {"CREATE TEMP VIEW v AS SELECT 1", "I", "DROP VIEW v", "I"}, ""},
    {"temp_sequence_dropped",
     {"CREATE TEMP SEQUENCE s", "I", "DROP SEQUENCE IF EXISTS s CASCADE", "I"},
     ""},
    {"select_into_temp", {"SELECT 1 AS a INTO TEMP t", "I"}, "temporary object t"},
    {"discard_temp",
     {"CREATE TEMP TABLE a (x int)", "CREATE TEMP TABLE b (x int)", "I", "DISCARD TEMP", "I"},
     ""},
    {"discard_all", {"CREATE TEMP TABLE a (x int)", "LISTEN c", "I", "DISCARD ALL", "I"}, ""},
    // LISTEN until UNLISTEN (or *).
    {"listen", {"LISTEN jobs", "I"}, "LISTEN jobs"},
    {"listen_rolled_back", {"BEGIN", "LISTEN jobs", "ROLLBACK", "I"}, ""},
    {"unlisten_channel", {"LISTEN jobs", "I", "UNLISTEN jobs", "I"}, ""},
    {"unlisten_other_channel", {"LISTEN jobs", "I", "UNLISTEN mail", "I"}, "LISTEN jobs"},
    {"unlisten_all", {"LISTEN a", "LISTEN \"B\"", "I", "UNLISTEN *", "I"}, ""},
    {"listen_quoted_names_fold", {"LISTEN Jobs", "I", "UNLISTEN jobs", "I"}, ""},
    // WITH HOLD cursors until closed.
    {"hold_cursor",
     {"BEGIN", "DECLARE c CURSOR WITH HOLD FOR SELECT 1", "COMMIT", "I"},
     "WITH HOLD cursor c"},
    {"hold_cursor_closed", {"DECLARE c CURSOR WITH HOLD FOR SELECT 1", "I", "CLOSE c", "I"}, ""},
    {"hold_cursor_close_all",
     {"DECLARE c CURSOR WITH HOLD FOR SELECT 1", "I", "CLOSE ALL", "I"},
     ""},
    {"plain_cursor_never_pins", {"BEGIN", "DECLARE c CURSOR FOR SELECT 1", "COMMIT", "I"}, ""},
    // Session advisory locks: from the moment they are sent, whatever the outcome.
    {"advisory_lock_sent", {"> SELECT pg_advisory_lock(1)"}, "session advisory lock 1"},
    {"advisory_lock_kept_after_rollback",
     {"BEGIN", "> SELECT pg_advisory_lock(1)", "SELECT pg_advisory_lock(1)", "ROLLBACK", "I"},
     "session advisory lock 1"},
    {"advisory_lock_kept_after_error",
     {"> SELECT pg_advisory_lock(1), 1/0", "!", "I"},
     "session advisory lock 1"},
    {"advisory_unlock",
     {"> SELECT pg_advisory_lock(1)", "I", "SELECT pg_advisory_unlock(1)", "I"},
     ""},
    {"advisory_unlock_other_key",
     {"> SELECT pg_advisory_lock(1)", "I", "SELECT pg_advisory_unlock(2)", "I"},
     "session advisory lock 1"},
    {"advisory_lock_twice_needs_two_unlocks",
     {"> SELECT pg_advisory_lock(1)", "> SELECT pg_advisory_lock(1)",
      "SELECT pg_advisory_unlock(1)", "I"},
     "session advisory lock 1"},
    {"advisory_two_key_form",
     {"> SELECT pg_try_advisory_lock(1, -2)", "SELECT pg_advisory_unlock(1,-2)", "I"},
     ""},
    {"advisory_shared_is_its_own",
     {"> SELECT pg_advisory_lock_shared(5)", "SELECT pg_advisory_unlock(5)", "I"},
     "session advisory lock (shared) 5"},
    {"advisory_shared_unlock",
     {"> SELECT pg_advisory_lock_shared(5)", "SELECT pg_advisory_unlock_shared(5)", "I"},
     ""},
    {"advisory_computed_key_until_unlock_all",
     {"> SELECT pg_advisory_lock(id) FROM jobs", "SELECT pg_advisory_unlock(1)", "I"},
     "session advisory lock (computed key)"},
    {"advisory_unlock_all",
     {"> SELECT pg_advisory_lock(id) FROM jobs", "> SELECT pg_advisory_lock(1)",
      "SELECT pg_advisory_unlock_all()", "I"},
     ""},
    {"advisory_unlock_counts_even_in_a_rolled_back_block",
     {"> SELECT pg_advisory_lock(1)", "BEGIN", "SELECT pg_advisory_unlock(1)", "ROLLBACK", "I"},
     ""},
    {"xact_advisory_lock_never_pins", {"> SELECT pg_advisory_xact_lock(1)", "I"}, ""},
    {"advisory_discard_all", {"> SELECT pg_advisory_lock(1)", "DISCARD ALL", "I"}, ""},
    // LOAD stays, even through DISCARD ALL.
    {"load", {"> LOAD 'auto_explain'", "I"}, "LOAD 'auto_explain'"},
    {"load_survives_discard_all",
     {"> LOAD 'auto_explain'", "DISCARD ALL", "I"},
     "LOAD 'auto_explain'"},
    // DO blocks that may change the session: until DISCARD ALL.
    {"do_block", {"> DO $$BEGIN CREATE TEMP TABLE t (a int); END$$", "I"}, "DO block"},
    {"do_block_discarded",
     {"> DO $$BEGIN CREATE TEMP TABLE t (a int); END$$", "I", "DISCARD ALL", "I"},
     ""},
    {"harmless_do_block", {"> DO $$BEGIN INSERT INTO t VALUES (1); END$$", "I"}, ""},
    // Unknown settings pin too, until DISCARD ALL.
    {"unknown_setting",
     {"SELECT set_config('a.b', current_user, false)", "I"},
     "session state pgrelay cannot replay"},
    {"unknown_setting_discarded",
     {"SELECT set_config('a.b', current_user, false)", "I", "DISCARD ALL", "I"},
     ""},
    // Savepoints: a hold after a rolled-back savepoint is gone.
    {"temp_table_after_rolled_back_savepoint",
     {"BEGIN", "SAVEPOINT s", "CREATE TEMP TABLE t (a int)", "ROLLBACK TO SAVEPOINT s", "COMMIT",
      "I"},
     ""},
    {"first_held_names_the_pin",
     {"LISTEN jobs", "CREATE TEMP TABLE t (a int)", "I"},
     "LISTEN jobs"},
};

INSTANTIATE_TEST_SUITE_P(Scripts, SessionObjects, ::testing::ValuesIn(object_cases),
                         [](const auto& test) { return test.param.name; });

// ---- SQL-prepared statements ---------------------------------------------------------------

struct prepared_case {
    std::string name;
    std::vector<std::string_view> steps;
    settings expected;
};

class SessionPrepared : public ::testing::TestWithParam<prepared_case> {};

TEST_P(SessionPrepared, Tracks) {
    session_settings t;
    std::string error;
    ASSERT_TRUE(t.set_baseline({}, error)) << error;
    run(t, GetParam().steps);
    EXPECT_EQ(t.prepared(), GetParam().expected);
    EXPECT_FALSE(t.pinned()) << "SQL PREPARE is replayed, never pinned";
}

const setting prepared_q{"q", "PREPARE q (int) AS SELECT $1"};

const prepared_case prepared_cases[] = {
    {"prepare", {"PREPARE q (int) AS SELECT $1", "I"}, {prepared_q}},
    {"prepare_at_once", {"PREPARE q (int) AS SELECT $1"}, {prepared_q}},
    {"prepare_survives_rollback",
     {"BEGIN", "PREPARE q (int) AS SELECT $1", "ROLLBACK", "I"},
     {prepared_q}},
    {"failed_prepare_is_not_tracked", {"!", "I"}, {}},
    {"deallocate", {"PREPARE q (int) AS SELECT $1", "DEALLOCATE q", "I"}, {}},
    {"deallocate_prepare_keyword", {"PREPARE q (int) AS SELECT $1", "DEALLOCATE PREPARE q"}, {}},
    {"deallocate_other", {"PREPARE q (int) AS SELECT $1", "DEALLOCATE r"}, {prepared_q}},
    {"deallocate_all",
     {"PREPARE q (int) AS SELECT $1", "PREPARE r AS SELECT 2", "DEALLOCATE ALL"},
     {}},
    {"names_fold", {"PREPARE Q AS SELECT 1", "DEALLOCATE q"}, {}},
    {"quoted_names_keep_case", {"PREPARE \"Q\" AS SELECT 1"}, {{"Q", "PREPARE \"Q\" AS SELECT 1"}}},
    {"in_order",
     {"PREPARE b AS SELECT 2", "PREPARE a AS SELECT 1"},
     {{"b", "PREPARE b AS SELECT 2"}, {"a", "PREPARE a AS SELECT 1"}}},
    {"discard_all", {"PREPARE q (int) AS SELECT $1", "I", "DISCARD ALL", "I"}, {}},
};

INSTANTIATE_TEST_SUITE_P(Scripts, SessionPrepared, ::testing::ValuesIn(prepared_cases),
                         [](const auto& test) { return test.param.name; });

struct reconcile_prepared_case {
    std::string name;
    settings applied;
    settings wanted;
    std::string sql;
};

class ReconcilePrepared : public ::testing::TestWithParam<reconcile_prepared_case> {};

TEST_P(ReconcilePrepared, Lists) {
    EXPECT_EQ(reconcile_prepared_sql(GetParam().applied, GetParam().wanted), GetParam().sql);
}

const setting prepared_r{"r", "PREPARE r AS SELECT 2"};
const setting prepared_q_other{"q", "PREPARE q AS SELECT 'other'"};

const reconcile_prepared_case reconcile_prepared_cases[] = {
    {"nothing", {}, {}, ""},
    {"same", {prepared_q}, {prepared_q}, ""},
    {"missing_prepared", {}, {prepared_q, prepared_r}, prepared_q.sql + "; " + prepared_r.sql},
    {"leftover_deallocated", {prepared_q}, {}, "DEALLOCATE \"q\""},
    {"other_text_replaced",
     {prepared_q_other},
     {prepared_q},
     "DEALLOCATE \"q\"; " + prepared_q.sql},
    {"quotes_doubled", {{"a\"b", "PREPARE \"a\"\"b\" AS SELECT 1"}}, {}, "DEALLOCATE \"a\"\"b\""},
};

INSTANTIATE_TEST_SUITE_P(Lists, ReconcilePrepared, ::testing::ValuesIn(reconcile_prepared_cases),
                         [](const auto& test) { return test.param.name; });

// ---- RESET back to the startup values, on the same server ---------------------------------

struct restore_case {
    std::string name;
    params startup;
    std::string_view statement;
    std::string sql;
};

class BaselineRestore : public ::testing::TestWithParam<restore_case> {};

TEST_P(BaselineRestore, Sql) {
    session_settings t;
    std::string error;
    ASSERT_TRUE(t.set_baseline(GetParam().startup, error)) << error;
    const query_info q = classify_query(GetParam().statement);
    ASSERT_EQ(q.statements.size(), 1u);
    EXPECT_EQ(t.baseline_restore_sql(q.statements[0]), GetParam().sql);
}

const params date_style_startup = {{"options", "-c DateStyle=SQL,DMY -c role=reader"},
                                   {"application_name", "app"}};

const restore_case restore_cases[] = {
    {"reset_of_a_startup_value", date_style_startup, "RESET DateStyle",
     "SET datestyle = 'SQL,DMY'"},
    {"set_to_default", date_style_startup, "SET DateStyle TO DEFAULT", "SET datestyle = 'SQL,DMY'"},
    {"reset_of_another_parameter", date_style_startup, "RESET work_mem", ""},
    {"reset_local_is_nothing", date_style_startup, "SET LOCAL DateStyle TO DEFAULT", ""},
    {"reset_all_keeps_role", date_style_startup, "RESET ALL",
     "SET datestyle = 'SQL,DMY'; SET application_name = 'app'"},
    {"discard_all_restores_everything", date_style_startup, "DISCARD ALL",
     "SET datestyle = 'SQL,DMY'; SET role = 'reader'; SET application_name = 'app'"},
    {"no_baseline", {}, "RESET ALL", ""},
    {"other_statement", date_style_startup, "SELECT 1", ""},
};

INSTANTIATE_TEST_SUITE_P(Statements, BaselineRestore, ::testing::ValuesIn(restore_cases),
                         [](const auto& test) { return test.param.name; });

TEST(RaiseErrorSql, QuotesTheMessage) {
    EXPECT_EQ(raise_error_sql("53400", "it's full"),
              "DO $pgrelay$BEGIN RAISE EXCEPTION USING ERRCODE = '53400', MESSAGE = 'it''s "
              "full'; END$pgrelay$");
    // A message cannot end the dollar quote early.
    const std::string sql = raise_error_sql("53400", "x $pgrelay$ y");
    EXPECT_EQ(sql.find("$pgrelay$", 4), sql.size() - 9);
}

}  // namespace
}  // namespace pgrelay::proxy
