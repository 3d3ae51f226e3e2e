// Where a transaction goes from its first query: every routing mode, explicit and implicit
// transactions, access modes, session defaults, hints and the session preference.
#include "proxy/transaction_plan.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pgrelay::proxy {
namespace {

struct plan_case {
    std::string sql;
    routing_mode mode = routing_mode::automatic;
    bool held_begin = false;  // a BEGIN was held back before `sql`
    access_mode begin_access = access_mode::unspecified;
    bool default_read_only = false;
    std::optional<route_preference> preference;
    bool needs_primary;
    std::optional<route_preference> hint;
};

std::ostream& operator<<(std::ostream& os, const plan_case& c) {
    return os << c.sql;
}

class plan_table : public ::testing::TestWithParam<plan_case> {};

TEST_P(plan_table, gives_the_router_request) {
    const auto& c = GetParam();
    const auto q = classify_query(c.sql);
    const auto r = plan_transaction(q, c.held_begin || opens_transaction(q), c.begin_access,
                                    {c.mode, c.preference, c.default_read_only});
    EXPECT_EQ(r.needs_primary, c.needs_primary) << c.sql;
    EXPECT_EQ(r.hint, c.hint) << c.sql;
}

using rm = routing_mode;
using am = access_mode;
using rp = route_preference;

INSTANTIATE_TEST_SUITE_P(
    plans, plan_table,
    ::testing::Values(
        // auto, no transaction block: the classifier decides
        plan_case{.sql = "SELECT 1", .needs_primary = false},
        plan_case{.sql = "SHOW search_path", .needs_primary = false},
        plan_case{.sql = "VALUES (1), (2)", .needs_primary = false},
        plan_case{.sql = "INSERT INTO t VALUES (1)", .needs_primary = true},
        plan_case{.sql = "SELECT nextval('s')", .needs_primary = true},
        plan_case{.sql = "SELECT * FROM t FOR UPDATE", .needs_primary = true},
        plan_case{.sql = "SELECT 1; UPDATE t SET v = 1", .needs_primary = true},
        plan_case{.sql = "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
                  .needs_primary = true},
        plan_case{.sql = "", .needs_primary = false},
        // auto, transaction blocks: the access mode decides, not the statements
        plan_case{.sql = "BEGIN; SELECT 1", .needs_primary = true},
        plan_case{.sql = "SELECT 1", .held_begin = true, .needs_primary = true},
        plan_case{.sql = "BEGIN READ ONLY; SELECT 1", .needs_primary = false},
        plan_case{.sql = "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                  .needs_primary = false},
        plan_case{.sql = "SELECT 1",
                  .held_begin = true,
                  .begin_access = am::read_only,
                  .needs_primary = false},
        plan_case{.sql = "SET TRANSACTION READ ONLY", .held_begin = true, .needs_primary = false},
        plan_case{.sql = "SET TRANSACTION READ WRITE",
                  .held_begin = true,
                  .begin_access = am::read_only,
                  .needs_primary = true},
        plan_case{.sql = "SELECT 1",
                  .held_begin = true,
                  .default_read_only = true,
                  .needs_primary = false},
        plan_case{
            .sql = "BEGIN READ WRITE; SELECT 1", .default_read_only = true, .needs_primary = true},
        // the session default does not move a write outside a block
        plan_case{
            .sql = "INSERT INTO t VALUES (1)", .default_read_only = true, .needs_primary = true},
        // hints and the session preference are passed on; the query's hint wins
        plan_case{
            .sql = "/* pgrelay:primary */ SELECT 1", .needs_primary = false, .hint = rp::primary},
        plan_case{
            .sql = "/* pgrelay:standby */ SELECT 1", .needs_primary = false, .hint = rp::standby},
        plan_case{.sql = "/* pgrelay:standby */ INSERT INTO t VALUES (1)",
                  .needs_primary = true,
                  .hint = rp::standby},
        plan_case{.sql = "SELECT 1",
                  .preference = rp::primary,
                  .needs_primary = false,
                  .hint = rp::primary},
        plan_case{.sql = "/* pgrelay:standby */ SELECT 1",
                  .preference = rp::primary,
                  .needs_primary = false,
                  .hint = rp::standby},
        // primary and standby modes ignore the classifier
        plan_case{.sql = "SELECT 1", .mode = rm::primary, .needs_primary = true},
        plan_case{.sql = "BEGIN READ ONLY", .mode = rm::primary, .needs_primary = true},
        plan_case{.sql = "INSERT INTO t VALUES (1)", .mode = rm::standby, .needs_primary = false},
        plan_case{
            .sql = "SELECT 1", .mode = rm::standby, .held_begin = true, .needs_primary = false},
        plan_case{.sql = "/* pgrelay:primary */ SELECT 1",
                  .mode = rm::standby,
                  .needs_primary = false,
                  .hint = rp::primary},
        // auto: what pins the client goes to the primary, reads included
        plan_case{.sql = "SELECT pg_advisory_lock(1)", .needs_primary = true},
        plan_case{.sql = "SELECT pg_try_advisory_lock(1)", .needs_primary = true},
        plan_case{.sql = "SELECT pg_advisory_xact_lock(1)", .needs_primary = true},  // classifier
        plan_case{.sql = "DECLARE c CURSOR WITH HOLD FOR SELECT 1", .needs_primary = true},
        plan_case{.sql = "LOAD 'auto_explain'", .needs_primary = true},
        plan_case{.sql = "BEGIN READ ONLY; DECLARE c CURSOR WITH HOLD FOR SELECT 1",
                  .needs_primary = true},
        plan_case{.sql = "SELECT pg_advisory_lock(1)",
                  .held_begin = true,
                  .begin_access = am::read_only,
                  .needs_primary = true},
        plan_case{.sql = "PREPARE q AS SELECT 1", .needs_primary = false}));

struct kinds_case {
    std::string sql;
    bool opens;
    bool effects;
    bool only_set_route;
};

class kinds_table : public ::testing::TestWithParam<kinds_case> {};

TEST_P(kinds_table, are_recognised) {
    const auto& c = GetParam();
    const auto q = classify_query(c.sql);
    EXPECT_EQ(opens_transaction(q), c.opens) << c.sql;
    EXPECT_EQ(has_session_effects(q), c.effects) << c.sql;
    EXPECT_EQ(only_kinds(q, {statement_kind::set_route, statement_kind::reset_route}),
              c.only_set_route)
        << c.sql;
}

INSTANTIATE_TEST_SUITE_P(
    kinds, kinds_table,
    ::testing::Values(
        kinds_case{"SELECT 1", false, false, false}, kinds_case{"BEGIN", true, true, false},
        kinds_case{"SELECT 1; BEGIN", true, true, false}, kinds_case{"COMMIT", false, true, false},
        kinds_case{"ROLLBACK TO SAVEPOINT a", false, true, false},
        kinds_case{"SET search_path = x", false, true, false},
        kinds_case{"RESET ALL", false, true, false},
        kinds_case{"SELECT set_config('a.b', 'c', false)", false, true, false},
        kinds_case{"PREPARE q AS SELECT 1", false, true, false},
        kinds_case{"DEALLOCATE q", false, true, false}, kinds_case{"LISTEN c", false, true, false},
        kinds_case{"UNLISTEN *", false, true, false},
        kinds_case{"DECLARE c CURSOR WITH HOLD FOR SELECT 1", false, true, false},
        kinds_case{"CLOSE c", false, true, false},
        kinds_case{"CREATE TEMP TABLE t (a int)", false, true, false},
        kinds_case{"DROP TABLE t", false, true, false},
        kinds_case{"CREATE TABLE t (a int)", false, false, false},
        kinds_case{"SELECT pg_advisory_unlock(1)", false, true, false},
        kinds_case{"SELECT pg_advisory_unlock_all()", false, true, false},
        kinds_case{"DISCARD ALL", false, true, false},
        kinds_case{"SET pgrelay.route = 'primary'", false, false, true},
        kinds_case{"SET pgrelay.route = 'primary'; RESET pgrelay.route", false, false, true},
        kinds_case{"SET pgrelay.route = 'primary'; SELECT 1", false, false, false},
        kinds_case{"", false, false, false},
        kinds_case{"INSERT INTO t VALUES (1)", false, false, false}));

}  // namespace
}  // namespace pgrelay::proxy
