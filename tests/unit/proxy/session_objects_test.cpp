// Unit tests for proxy/session_objects: advisory lock calls and their literal keys, the names a
// DROP removes that could be temporary objects, ON COMMIT DROP, the last part of a qualified
// name, and DO blocks that may change session state.
#include "proxy/session_objects.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace pgrelay::proxy {
namespace {

struct advisory_case {
    std::string sql;
    std::vector<std::pair<std::string, std::optional<std::string>>> calls;
};

class AdvisoryCalls : public ::testing::TestWithParam<advisory_case> {};

TEST_P(AdvisoryCalls, Found) {
    std::vector<std::pair<std::string, std::optional<std::string>>> got;
    for (const auto& c : advisory_calls(GetParam().sql))
        got.emplace_back(c.function, c.key);
    EXPECT_EQ(got, GetParam().calls) << GetParam().sql;
}

INSTANTIATE_TEST_SUITE_P(
    Sql, AdvisoryCalls,
    ::testing::Values(
        advisory_case{"SELECT 1", {}},
        advisory_case{"SELECT pg_advisory_lock(1)", {{"pg_advisory_lock", "1"}}},
        advisory_case{"SELECT pg_advisory_lock( 1 , -2 )", {{"pg_advisory_lock", "1,-2"}}},
        advisory_case{"select PG_TRY_ADVISORY_LOCK_SHARED(7)",
                      {{"pg_try_advisory_lock_shared", "7"}}},
        advisory_case{"SELECT pg_catalog.pg_advisory_unlock(3)", {{"pg_advisory_unlock", "3"}}},
        advisory_case{"SELECT pg_advisory_lock(id) FROM t", {{"pg_advisory_lock", std::nullopt}}},
        advisory_case{"SELECT pg_advisory_lock($1)", {{"pg_advisory_lock", std::nullopt}}},
        advisory_case{"SELECT pg_advisory_lock(hashtext('x'))",
                      {{"pg_advisory_lock", std::nullopt}}},
        advisory_case{"SELECT pg_advisory_unlock_all()", {{"pg_advisory_unlock_all", ""}}},
        advisory_case{"SELECT pg_advisory_lock(1), pg_advisory_unlock(2)",
                      {{"pg_advisory_lock", "1"}, {"pg_advisory_unlock", "2"}}},
        advisory_case{"SELECT 'pg_advisory_lock(1)' -- pg_advisory_lock(2)", {}},
        advisory_case{"SELECT pg_advisory_lock FROM advisory", {}}));

TEST(SessionAdvisoryLock, OnlySessionLevelFunctions) {
    for (const char* f : {"pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock",
                          "pg_try_advisory_lock_shared"})
        EXPECT_TRUE(is_session_advisory_lock(f)) << f;
    for (const char* f : {"pg_advisory_xact_lock", "pg_try_advisory_xact_lock",
                          "pg_advisory_unlock", "pg_advisory_unlock_all"})
        EXPECT_FALSE(is_session_advisory_lock(f)) << f;
}

struct drop_case {
    std::string sql;
    std::vector<std::string> names;
};

class DroppedObjects : public ::testing::TestWithParam<drop_case> {};

TEST_P(DroppedObjects, Named) {
    EXPECT_EQ(dropped_objects(GetParam().sql), GetParam().names) << GetParam().sql;
}

INSTANTIATE_TEST_SUITE_P(
    Sql, DroppedObjects,
    ::testing::Values(drop_case{"DROP TABLE t", {"t"}},
                      drop_case{"drop table if exists a, \"B\" cascade", {"a", "B"}},
                      drop_case{"DROP TABLE pg_temp.t, pg_temp_3.u", {"t", "u"}},
                      drop_case{"DROP TABLE public.t", {}},
                      drop_case{"DROP TABLE public.t, v", {"v"}}, drop_case{"DROP VIEW v", {"v"}},
                      drop_case{"DROP MATERIALIZED VIEW m", {"m"}},
                      drop_case{"DROP FOREIGN TABLE f", {"f"}},
                      drop_case{"DROP SEQUENCE IF EXISTS s", {"s"}},
                      drop_case{"DROP INDEX CONCURRENTLY IF EXISTS i", {"i"}},
                      drop_case{"DROP FUNCTION pg_temp.f(int, text), g()", {"f", "g"}},
                      drop_case{"DROP DATABASE d", {}}, drop_case{"DROP ROLE r", {}},
                      drop_case{"SELECT 1", {}}, drop_case{"DROP", {}}));

TEST(LastNamePart, OfQualifiedNames) {
    EXPECT_EQ(last_name_part("t"), "t");
    EXPECT_EQ(last_name_part("T"), "t");
    EXPECT_EQ(last_name_part("pg_temp.\"T\""), "T");
    EXPECT_EQ(last_name_part(""), "");
}

TEST(DropsOnCommit, OnlyOnCommitDrop) {
    EXPECT_TRUE(drops_on_commit("CREATE TEMP TABLE t (a int) ON COMMIT DROP"));
    EXPECT_TRUE(drops_on_commit("create temp table t on commit drop as select 1"));
    EXPECT_FALSE(drops_on_commit("CREATE TEMP TABLE t (a int) ON COMMIT DELETE ROWS"));
    EXPECT_FALSE(drops_on_commit("CREATE TEMP TABLE t (a int) ON COMMIT PRESERVE ROWS"));
    EXPECT_FALSE(drops_on_commit("CREATE TEMP TABLE t (a int)"));
    EXPECT_FALSE(drops_on_commit("CREATE TEMP TABLE t (c text DEFAULT 'ON COMMIT DROP')"));
}

struct do_case {
    std::string sql;
    bool may_change;
};

class DoBlocks : public ::testing::TestWithParam<do_case> {};

TEST_P(DoBlocks, Judged) {
    EXPECT_EQ(do_block_may_change_session(GetParam().sql), GetParam().may_change) << GetParam().sql;
}

INSTANTIATE_TEST_SUITE_P(
    Sql, DoBlocks,
    ::testing::Values(
        do_case{"SELECT 1", false}, do_case{"DO $$BEGIN INSERT INTO t VALUES (1); END$$", false},
        do_case{"DO $$BEGIN UPDATE t SET a = 1; END$$", false},
        do_case{"DO $$DECLARE n int; BEGIN SELECT count(*) INTO n FROM t; END$$", false},
        do_case{"DO $$BEGIN CREATE TEMP TABLE x (a int); END$$", true},
        do_case{"DO $$BEGIN CREATE TEMPORARY TABLE x (a int); END$$", true},
        do_case{"DO $$BEGIN SET search_path = a; END$$", true},
        do_case{"DO $$BEGIN IF true THEN SET work_mem = '1MB'; END IF; END$$", true},
        do_case{"DO $$BEGIN RESET ALL; END$$", true},
        do_case{"DO $$BEGIN PERFORM set_config('a.b', '1', false); END$$", true},
        do_case{"DO $$BEGIN PERFORM pg_advisory_lock(1); END$$", true},
        do_case{"DO $$BEGIN LISTEN c; END$$", true},
        do_case{"DO $$BEGIN EXECUTE 'SELECT 1'; END$$", true},
        do_case{"DO $$BEGIN SET ROLE r; END$$", true},
        do_case{"DO LANGUAGE plpgsql 'BEGIN CREATE TEMP TABLE x (a int); END'", true},
        do_case{"DO $$BEGIN RAISE NOTICE 'temp'; END$$", false}, do_case{"DO", true}));

}  // namespace
}  // namespace pgrelay::proxy
