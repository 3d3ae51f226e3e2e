// Unit tests for proxy/sql_classifier, table-driven: route and kind of every statement form in the
// routing rules, key words hidden in strings/comments/quotes, CTEs, writing functions (built-in
// and configured), EXPLAIN, COPY, transaction control, session-state details, hints, pgrelay.route,
// multi-statement splitting, unterminated and huge inputs, and random bytes (no crash under ASan).
#include "proxy/sql_classifier.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace pgrelay::proxy {

void PrintTo(statement_kind k, std::ostream* os) {
    *os << to_string(k);
}
void PrintTo(route_class r, std::ostream* os) {
    *os << to_string(r);
}
void PrintTo(access_mode m, std::ostream* os) {
    *os << to_string(m);
}
void PrintTo(isolation_level l, std::ostream* os) {
    *os << to_string(l);
}
void PrintTo(route_preference p, std::ostream* os) {
    *os << to_string(p);
}
void PrintTo(discard_target t, std::ostream* os) {
    *os << to_string(t);
}

namespace {

constexpr route_class R = route_class::read;
constexpr route_class W = route_class::write;
using k = statement_kind;

// One statement: its route (also the query's) and kind.
struct route_case {
    std::string_view sql;
    route_class route;
    statement_kind kind;
};

void check_routes(const std::vector<route_case>& cases, const sql_classifier& c = sql_classifier{},
                  lexer_options lexing = {}) {
    for (const route_case& rc : cases) {
        SCOPED_TRACE(std::string(rc.sql));
        const query_info q = c.classify(rc.sql, lexing);
        EXPECT_EQ(q.route, rc.route);
        ASSERT_EQ(q.statements.size(), 1u);
        EXPECT_EQ(q.statements[0].kind, rc.kind);
        EXPECT_EQ(q.statements[0].route, rc.route);
        EXPECT_FALSE(q.multiple());
    }
}

TEST(sql_classifier, reads) {
    check_routes({
        {"SELECT 1", R, k::select},
        {"select 1", R, k::select},
        {"SeLeCt 1", R, k::select},
        {"  \n\tSELECT 1  ", R, k::select},
        {"SELECT 1;", R, k::select},
        {"SELECT 1 ;  ", R, k::select},
        {"(SELECT 1)", R, k::select},
        {"((SELECT 1)) UNION (SELECT 2)", R, k::select},
        {"VALUES (1), (2)", R, k::select},
        {"values (1)", R, k::select},
        {"TABLE t", R, k::select},
        {"table public.t", R, k::select},
        {"(VALUES (1)) ORDER BY 1", R, k::select},
        {"SELECT * FROM t WHERE a = 1 ORDER BY b LIMIT 10 OFFSET 5", R, k::select},
        {"SELECT count(*), max(a) FROM t GROUP BY b HAVING count(*) > 1", R, k::select},
        {"SELECT now(), current_setting('search_path'), version()", R, k::select},
        {"SELECT pg_sleep(0.1)", R, k::select},
        {"SELECT * FROM generate_series(1, 10) g", R, k::select},
        {"SELECT txid_current_snapshot(), pg_current_xact_id_if_assigned()", R, k::select},
        {"SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()", R, k::select},
        {"SELECT lo_get(1), loread(0, 10), lo_export(1, '/tmp/x')", R, k::select},
        {"SELECT nextval FROM t", R, k::select},
        {"SELECT t.nextval, t.setval FROM t", R, k::select},
        {"SELECT pg_advisory FROM t", R, k::select},
        {"SELECT my_nextval('s'), nextval_x(1), xnextval(2)", R, k::select},
        {"SELECT a FROM t WHERE b IN (SELECT b FROM u) AND EXISTS (SELECT 1)", R, k::select},
        {"SELECT a FROM t t1 JOIN u ON (t1.a = u.a) WHERE NOT (a IS NULL)", R, k::select},
        {"SELECT substring('abc' FROM 1 FOR 2)", R, k::select},
        {"SELECT overlay('abc' PLACING 'x' FROM 1 FOR 1)", R, k::select},
        {"SELECT insert, update, delete FROM permissions", R, k::select},
        {"SELECT (update) FROM t", R, k::select},
        {"SELECT (update IS NULL), (delete), (insert + 1) FROM t", R, k::select},
        {"SELECT 1 FROM t WHERE (merge)", R, k::select},
        {"SELECT * FROM t WHERE a = $1 AND b = $2", R, k::select},
        {"SELECT 'a'::text, 1::int, x::\"MyType\"", R, k::select},
        {"SELECT j->>'k', j#>'{a,b}', a ~* 'x', a <> b, a != b FROM t", R, k::select},
        {"SELECT ARRAY[1,2][1:1], a[1] FROM t", R, k::select},
        {"SELECT * FROM t WINDOW w AS (PARTITION BY a ORDER BY b)", R, k::select},
        {"SELECT * FROM t TABLESAMPLE SYSTEM (10)", R, k::select},
        {"SELECT E'\\n', U&'\\0041', B'101', X'FF', N'n'", R, k::select},
        {"SELECT 1 AS \"into\"", R, k::select},
        {"SELECT \"for\" update FROM t", R, k::select},
        {"SHOW search_path", R, k::show},
        {"show ALL", R, k::show},
        {"SELECT 1 FROM t FOR KEY UPDATE", R, k::select},  // not a PostgreSQL locking clause
    });
}

TEST(sql_classifier, key_words_inside_strings_comments_and_quotes_do_not_count) {
    check_routes({
        {"SELECT 'insert'", R, k::select},
        {"SELECT 'DELETE FROM t'", R, k::select},
        {"SELECT 'for update'", R, k::select},
        {"SELECT 'nextval(''s'')'", R, k::select},
        {"SELECT E'\\' for update'", R, k::select},
        {"SELECT E'it\\'s' FROM t", R, k::select},
        {"SELECT U&'\\0041 FOR UPDATE'", R, k::select},
        {"SELECT N'INTO t'", R, k::select},
        {"SELECT \"update\" FROM t", R, k::select},
        {"SELECT \"insert\", \"delete\" FROM \"merge\"", R, k::select},
        {"SELECT \"nextval\" FROM t", R, k::select},
        {"SELECT \"for\" FROM t", R, k::select},
        {"SELECT \"a;b\" FROM t", R, k::select},
        {"SELECT $$ DELETE $$", R, k::select},
        {"SELECT $x$ INSERT INTO t $x$", R, k::select},
        {"SELECT $a$ $$ FOR UPDATE $$ $a$", R, k::select},
        {"SELECT $$;DELETE FROM t;$$", R, k::select},
        {"SELECT $fn$ nextval('s') $fn$", R, k::select},
        {"/* UPDATE */ SELECT 1", R, k::select},
        {"/* DELETE FROM t; */ SELECT 1", R, k::select},
        {"SELECT 1 -- for update", R, k::select},
        {"SELECT 1 /* for update */", R, k::select},
        {"SELECT 1 /* nested /* for update */ still comment */", R, k::select},
        {"-- DELETE FROM t\nSELECT 1", R, k::select},
        {"SELECT 1 -- ; DELETE FROM t", R, k::select},
        {"SELECT 1 /* ; DELETE FROM t */", R, k::select},
        {"SELECT 'it''s; DELETE FROM t'", R, k::select},
        {"SELECT * FROM t WHERE a = 'x'';DELETE FROM t;--'", R, k::select},
        {"SELECT 1 FOR /* not */ SHARE", W, k::select},
        {"SELECT nextval/* comment */('s')", W, k::select},
    });
}

TEST(sql_classifier, backslashes_follow_standard_conforming_strings) {
    const std::string_view sql = "SELECT 'a\\'; DELETE FROM t; --'";
    const sql_classifier c;
    const query_info on = c.classify(sql);
    EXPECT_EQ(on.route, W);
    EXPECT_EQ(on.statements.size(), 2u);
    const query_info off = c.classify(sql, lexer_options{false});
    EXPECT_EQ(off.route, R);
    EXPECT_EQ(off.statements.size(), 1u);
}

TEST(sql_classifier, data_modifying_statements) {
    check_routes({
        {"INSERT INTO t VALUES (1)", W, k::insert},
        {"insert into t select * from u", W, k::insert},
        {"INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING RETURNING *", W, k::insert},
        {"UPDATE t SET a = 1 WHERE b = 2", W, k::update},
        {"  update t set x=1", W, k::update},
        {"UPDATE ONLY t SET a = 1", W, k::update},
        {"DELETE FROM t", W, k::delete_},
        {"delete from t where a in (select a from u)", W, k::delete_},
        {"MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE", W, k::merge},
        {"merge into t using s on true when not matched then insert values (1)", W, k::merge},
        {"(INSERT INTO t VALUES (1))", W, k::insert},
    });
}

TEST(sql_classifier, locking_clauses_are_writes_at_any_depth) {
    check_routes({
        {"SELECT * FROM t FOR UPDATE", W, k::select},
        {"SELECT * FROM t FOR NO KEY UPDATE", W, k::select},
        {"SELECT * FROM t FOR SHARE", W, k::select},
        {"SELECT * FROM t FOR KEY SHARE", W, k::select},
        {"select * from t for update nowait", W, k::select},
        {"SELECT * FROM t FOR UPDATE OF t SKIP LOCKED", W, k::select},
        {"SELECT * FROM t FOR SHARE OF t, u", W, k::select},
        {"SELECT 1 FOR\nUPDATE", W, k::select},
        {"SELECT 1 FOR -- c\n UPDATE", W, k::select},
        {"SELECT * FROM (SELECT * FROM t FOR UPDATE) s", W, k::select},
        {"SELECT * FROM t WHERE id IN (SELECT id FROM u FOR SHARE)", W, k::select},
        {"SELECT (SELECT a FROM t LIMIT 1 FOR NO KEY UPDATE)", W, k::select},
        {"WITH x AS (SELECT * FROM t FOR UPDATE) SELECT * FROM x", W, k::select},
        {"(SELECT * FROM t FOR KEY SHARE)", W, k::select},
        {"VALUES (1) FOR UPDATE", W, k::select},
    });
}

TEST(sql_classifier, select_into_creates_a_table) {
    check_routes({
        {"SELECT * INTO t2 FROM t", W, k::select},
        {"SELECT 1 INTO x", W, k::select},
        {"SELECT * INTO UNLOGGED t2 FROM t", W, k::select},
        {"SELECT * INTO TABLE t2 FROM t", W, k::select},
        {"SELECT * INTO TEMP t2 FROM t", W, k::create_temp},
        {"select * into temporary table t2 from t", W, k::create_temp},
        {"SELECT * INTO LOCAL TEMP t2 FROM t", W, k::create_temp},
        {"WITH x AS (SELECT 1) SELECT * INTO t2 FROM x", W, k::select},
    });
    const query_info q = classify_query("SELECT a, b INTO TEMP TABLE scratch FROM t");
    EXPECT_EQ(q.statements[0].object, "scratch");
}

TEST(sql_classifier, common_table_expressions) {
    check_routes({
        {"WITH x AS (SELECT 1) SELECT * FROM x", R, k::select},
        {"with x as (select 1) select * from x", R, k::select},
        {"WITH x(a) AS (VALUES (1)) SELECT a FROM x", R, k::select},
        {"WITH x AS (SELECT 1) (SELECT * FROM x)", R, k::select},
        {"WITH x AS (SELECT 1) TABLE x", R, k::select},
        {"WITH x AS (SELECT 1) VALUES (2)", R, k::select},
        {"WITH a AS (SELECT 1), b AS (SELECT 2) SELECT * FROM a, b", R, k::select},
        {"WITH x AS MATERIALIZED (SELECT 1) SELECT * FROM x", R, k::select},
        {"WITH x AS NOT MATERIALIZED (SELECT 1) SELECT * FROM x", R, k::select},
        {"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) "
         "SELECT * FROM r",
         R, k::select},
        {"WITH a AS (WITH RECURSIVE b(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM b WHERE n < 3) "
         "SELECT * FROM b) SELECT * FROM a",
         R, k::select},
        {"WITH RECURSIVE t(id, parent) AS (SELECT id, parent FROM tree) "
         "SEARCH DEPTH FIRST BY id, parent SET ordercol SELECT * FROM t ORDER BY ordercol",
         R, k::select},
        {"WITH RECURSIVE t(id) AS (SELECT 1) CYCLE id SET is_cycle USING path SELECT * FROM t", R,
         k::select},
        {"WITH RECURSIVE t(id) AS (SELECT 1) CYCLE id SET is_cycle TO true DEFAULT false "
         "USING path SELECT * FROM t",
         R, k::select},
        {"WITH RECURSIVE t(id) AS (SELECT 1) SEARCH BREADTH FIRST BY id SET o "
         "CYCLE id SET c USING p, u AS (SELECT 2) SELECT * FROM t, u",
         R, k::select},
        {"WITH \"insert\" AS (SELECT 1) SELECT * FROM \"insert\"", R, k::select},
        {"WITH update AS (SELECT 1) SELECT * FROM update", R, k::select},
        {"WITH x AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM x", W, k::select},
        {"WITH x AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM x", W, k::select},
        {"WITH x AS (UPDATE ONLY t SET a = 1 RETURNING *) SELECT * FROM x", W, k::select},
        {"WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", W, k::select},
        {"WITH x AS (MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE RETURNING *) "
         "SELECT * FROM x",
         W, k::select},
        {"with x as (delete from t returning *) select * from x", W, k::select},
        {"WITH x AS MATERIALIZED (DELETE FROM t RETURNING 1) SELECT 1", W, k::select},
        {"WITH a AS (SELECT 1), b AS (INSERT INTO t VALUES (1) RETURNING 1) SELECT * FROM a", W,
         k::select},
        {"WITH a AS (WITH b AS (DELETE FROM t RETURNING *) SELECT * FROM b) SELECT * FROM a", W,
         k::select},
        {"WITH RECURSIVE a AS (SELECT 1), b AS (UPDATE \"T\" SET a = 1 RETURNING a) "
         "SELECT * FROM a",
         W, k::select},
        {"WITH x AS (/* c */ DELETE FROM t RETURNING *) SELECT * FROM x", W, k::select},
        {"WITH x AS (SELECT nextval('s')) SELECT * FROM x", W, k::select},
        {"WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", W, k::insert},
        {"WITH x AS (SELECT 1) UPDATE t SET a = (SELECT * FROM x)", W, k::update},
        {"WITH x AS (SELECT 1) DELETE FROM t WHERE a IN (SELECT * FROM x)", W, k::delete_},
        {"WITH x AS (SELECT 1) MERGE INTO t USING x ON true WHEN MATCHED THEN DELETE", W, k::merge},
        {"WITH RECURSIVE t(id) AS (SELECT 1) CYCLE id SET c USING p INSERT INTO u SELECT 1", W,
         k::insert},
        {"WITH x AS (SELECT 1) (WITH y AS (SELECT 2) SELECT * FROM y)", R, k::select},
        {"WITH x SELECT 1", W, k::other},
        {"WITH", W, k::other},
        {"WITH x AS", W, k::other},
        {"WITH x AS (SELECT 1)", W, k::other},
        {"WITH x AS (SELECT 1) GRANT", W, k::other},
    });
}

TEST(sql_classifier, built_in_writing_functions) {
    check_routes({
        {"SELECT nextval('s')", W, k::select},
        {"SELECT NEXTVAL('s')", W, k::select},
        {"SELECT pg_catalog.nextval('s')", W, k::select},
        {"SELECT \"nextval\"('s')", W, k::select},
        {"SELECT \"NextVal\"('s')", W, k::select},
        {"SELECT nextval ('s')", W, k::select},
        {"SELECT nextval\n('s')", W, k::select},
        {"SELECT setval('s', 1)", W, k::select},
        {"SELECT currval('s')", W, k::select},
        {"SELECT lastval()", W, k::select},
        {"SELECT * FROM t WHERE id = nextval('s')", W, k::select},
        {"SELECT (SELECT nextval('s'))", W, k::select},
        {"SELECT coalesce(nextval('s'), 0)", W, k::select},
        {"VALUES (nextval('s'))", W, k::select},
        {"SELECT * FROM nextval('s')", W, k::select},
        {"SELECT pg_advisory_lock(1)", W, k::select},
        {"SELECT pg_advisory_lock_shared(1)", W, k::select},
        {"SELECT pg_advisory_xact_lock(1, 2)", W, k::select},
        {"SELECT pg_advisory_xact_lock_shared(1)", W, k::select},
        {"SELECT pg_advisory_unlock(1)", W, k::select},
        {"SELECT pg_advisory_unlock_all()", W, k::select},
        {"SELECT pg_try_advisory_lock(1)", W, k::select},
        {"SELECT PG_TRY_ADVISORY_XACT_LOCK_SHARED(1)", W, k::select},
        {"SELECT txid_current()", W, k::select},
        {"SELECT pg_current_xact_id()", W, k::select},
        {"SELECT pg_notify('c', 'payload')", W, k::select},
        {"SELECT lo_create(0)", W, k::select},
        {"SELECT lo_creat(-1)", W, k::select},
        {"SELECT lo_import('/tmp/x')", W, k::select},
        {"SELECT lo_unlink(1)", W, k::select},
        {"SELECT lo_put(1, 0, 'x')", W, k::select},
        {"SELECT lo_from_bytea(0, 'x')", W, k::select},
        {"SELECT lowrite(0, 'x')", W, k::select},
        {"SELECT lo_truncate(0, 1)", W, k::select},
        {"SELECT lo_truncate64(0, 1)", W, k::select},
        {"SELECT pg_switch_wal()", W, k::select},
        {"SELECT pg_create_restore_point('r')", W, k::select},
        {"SELECT pg_logical_emit_message(true, 'p', 'm')", W, k::select},
        {"SELECT a FROM t ORDER BY a LIMIT (SELECT setval('s', 1))", W, k::select},
    });
    EXPECT_TRUE(is_builtin_writing_function("nextval"));
    EXPECT_TRUE(is_builtin_writing_function("PG_ADVISORY_LOCK"));
    EXPECT_TRUE(is_builtin_writing_function("pg_try_advisory_lock_shared"));
    EXPECT_FALSE(is_builtin_writing_function("set_config"));  // judged as session state
    EXPECT_FALSE(is_builtin_writing_function("now"));
    EXPECT_FALSE(is_builtin_writing_function(""));
}

TEST(sql_classifier, configured_writing_functions) {
    classifier_options o;
    o.writing_functions = {"audit_log",           "billing.charge", "\"MixedCase\"",
                           "ops.\"Refresh_All\"", "  spaced  ",     ""};
    const sql_classifier c(o);
    check_routes(
        {
            {"SELECT audit_log(1)", W, k::select},
            {"SELECT AUDIT_LOG(1)", W, k::select},
            {"SELECT public.audit_log(1)", W, k::select},
            {"SELECT \"audit_log\"(1)", W, k::select},
            {"SELECT * FROM t WHERE audit_log(a)", W, k::select},
            {"SELECT billing.charge(1)", W, k::select},
            {"SELECT BILLING.CHARGE(1)", W, k::select},
            {"SELECT \"billing\".\"charge\"(1)", W, k::select},
            {"SELECT charge(1)", W, k::select},
            {"SELECT other.charge(1)", R, k::select},
            {"SELECT mixedcase()", W, k::select},
            {"SELECT \"MixedCase\"()", W, k::select},
            {"SELECT ops.refresh_all()", W, k::select},
            {"SELECT refresh_all()", W, k::select},
            {"SELECT spaced()", W, k::select},
            {"SELECT audit_log FROM t", R, k::select},
            {"SELECT 'audit_log(1)'", R, k::select},
            {"SELECT audit_logs(1), x_audit_log(2)", R, k::select},
            {"SELECT audit_log.y(1)", R, k::select},
            {"SELECT 1 -- audit_log(1)", R, k::select},
            {"EXPLAIN SELECT audit_log(1)", R, k::explain},
            {"EXPLAIN ANALYZE SELECT audit_log(1)", W, k::explain},
        },
        c);
    // The default classifier knows none of them.
    EXPECT_EQ(classify_query("SELECT audit_log(1)").route, R);
    EXPECT_EQ(classify_query("SELECT audit_log(1)", o).route, W);
}

TEST(sql_classifier, explain) {
    check_routes({
        {"EXPLAIN SELECT 1", R, k::explain},
        {"EXPLAIN DELETE FROM t", R, k::explain},
        {"EXPLAIN INSERT INTO t VALUES (1)", R, k::explain},
        {"EXPLAIN VERBOSE DELETE FROM t", R, k::explain},
        {"EXPLAIN SELECT nextval('s')", R, k::explain},
        {"EXPLAIN SELECT * FROM t FOR UPDATE", R, k::explain},
        {"EXPLAIN EXECUTE p", R, k::explain},
        {"EXPLAIN (FORMAT JSON) DELETE FROM t", R, k::explain},
        {"EXPLAIN (COSTS off, VERBOSE) UPDATE t SET a = 1", R, k::explain},
        {"EXPLAIN (GENERIC_PLAN) SELECT $1", R, k::explain},
        {"EXPLAIN ANALYZE SELECT 1", R, k::explain},
        {"EXPLAIN (ANALYZE) SELECT 1", R, k::explain},
        {"EXPLAIN ANALYZE DELETE FROM t", W, k::explain},
        {"EXPLAIN ANALYSE DELETE FROM t", W, k::explain},
        {"explain analyze verbose update t set a = 1", W, k::explain},
        {"EXPLAIN (ANALYZE) DELETE FROM t", W, k::explain},
        {"EXPLAIN (ANALYZE, BUFFERS) DELETE FROM t", W, k::explain},
        {"EXPLAIN (BUFFERS, ANALYZE) INSERT INTO t VALUES (1)", W, k::explain},
        {"EXPLAIN (ANALYZE true) DELETE FROM t", W, k::explain},
        {"EXPLAIN (ANALYZE false) DELETE FROM t", W, k::explain},  // any ANALYZE option
        {"EXPLAIN (ANALYZE, FORMAT json) MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE", W,
         k::explain},
        {"EXPLAIN ANALYZE SELECT nextval('s')", W, k::explain},
        {"EXPLAIN ANALYZE SELECT * FROM t FOR UPDATE", W, k::explain},
        {"EXPLAIN ANALYZE WITH x AS (DELETE FROM t RETURNING 1) SELECT * FROM x", W, k::explain},
        {"EXPLAIN ANALYZE EXECUTE p", W, k::explain},
        {"EXPLAIN ANALYZE CREATE TABLE t2 AS SELECT 1", W, k::explain},
        {"EXPLAIN ANALYZE WITH x AS (SELECT 1) SELECT * FROM x", R, k::explain},
    });
}

TEST(sql_classifier, copy) {
    check_routes({
        {"COPY t FROM STDIN", W, k::copy_from},
        {"COPY t (a, b) FROM '/tmp/x' WITH (FORMAT csv)", W, k::copy_from},
        {"copy binary t from stdin", W, k::copy_from},
        {"COPY t FROM PROGRAM 'cat /tmp/x'", W, k::copy_from},
        {"COPY t TO STDOUT", R, k::copy_to},
        {"COPY t (a, b) TO STDOUT WITH (FORMAT csv, HEADER)", R, k::copy_to},
        {"COPY public.t TO PROGRAM 'gzip > /tmp/x'", R, k::copy_to},
        {"COPY \"from\" TO STDOUT", R, k::copy_to},
        {"COPY (SELECT * FROM t) TO STDOUT", R, k::copy_to},
        {"COPY (WITH x AS (SELECT 1) SELECT * FROM x) TO STDOUT", R, k::copy_to},
        {"COPY (SELECT nextval('s')) TO STDOUT", W, k::copy_to},
        {"COPY (SELECT * FROM t FOR UPDATE) TO STDOUT", W, k::copy_to},
        {"COPY (DELETE FROM t RETURNING *) TO STDOUT", W, k::copy_to},
        {"COPY (INSERT INTO t VALUES (1) RETURNING *) TO STDOUT", W, k::copy_to},
        {"COPY (UPDATE t SET a = 1 RETURNING *) TO STDOUT", W, k::copy_to},
        {"COPY (WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x) TO STDOUT", W, k::copy_to},
        {"COPY t", W, k::other},
    });
}

TEST(sql_classifier, ddl_maintenance_and_unknown_statements_are_writes) {
    check_routes({
        {"CREATE TABLE t (a int)", W, k::other},
        {"CREATE TABLE temp (a int)", W, k::other},
        {"CREATE UNLOGGED TABLE t (a int)", W, k::other},
        {"CREATE INDEX CONCURRENTLY i ON t (a)", W, k::other},
        {"CREATE VIEW v AS SELECT 1", W, k::other},
        {"CREATE TABLE t2 AS SELECT * FROM t", W, k::other},
        {"ALTER TABLE t ADD COLUMN b int", W, k::other},
        {"DROP TABLE t", W, k::other},
        {"TRUNCATE t", W, k::other},
        {"GRANT SELECT ON t TO u", W, k::other},
        {"REVOKE SELECT ON t FROM u", W, k::other},
        {"COMMENT ON TABLE t IS 'x'", W, k::other},
        {"SECURITY LABEL ON TABLE t IS 'x'", W, k::other},
        {"VACUUM t", W, k::other},
        {"VACUUM (ANALYZE) t", W, k::other},
        {"ANALYZE t", W, k::other},
        {"CLUSTER t", W, k::other},
        {"REINDEX TABLE t", W, k::other},
        {"CHECKPOINT", W, k::other},
        {"LOCK TABLE t IN ACCESS SHARE MODE", W, k::other},
        {"NOTIFY chan, 'x'", W, k::other},
        {"CALL proc(1)", W, k::other},
        {"DO $$ BEGIN PERFORM 1; END $$", W, k::other},
        {"REFRESH MATERIALIZED VIEW v", W, k::other},
        {"IMPORT FOREIGN SCHEMA s FROM SERVER x INTO y", W, k::other},
        {"REASSIGN OWNED BY a TO b", W, k::other},
        {"FOO BAR", W, k::other},
        {"SELEC 1", W, k::other},
        {"1", W, k::other},
        {"'select'", W, k::other},
        {"\"select\" 1", W, k::other},
        {"$1", W, k::other},
        {"+", W, k::other},
        {"START", W, k::other},
        {"START WORK", W, k::other},
        {"SET", W, k::other},
        {"SET = 1", W, k::other},
        {"RESET", W, k::other},
        {"$$SELECT 1$$", W, k::other},
        {"\\d t", W, k::other},
    });
}

TEST(sql_classifier, empty_queries_are_reads_without_statements) {
    for (const std::string_view sql :
         {"", " ", "\n\t\r\f\v", ";", ";;;", " ; ; ", "-- c", "-- c\n", "/* c */", "/* c */ ; -- x",
          "/* unterminated", "/* a */ /* b */", "-- a\n-- b\n;"}) {
        SCOPED_TRACE(std::string(sql));
        const query_info q = classify_query(sql);
        EXPECT_EQ(q.route, R);
        EXPECT_TRUE(q.statements.empty());
        EXPECT_FALSE(q.multiple());
        EXPECT_FALSE(q.hint.has_value());
    }
}

// ---------------------------------------------------------------------------------------------
// Transaction control

struct transaction_case {
    std::string_view sql;
    statement_kind kind;
    route_class route;
    access_mode access = access_mode::unspecified;
    isolation_level isolation = isolation_level::unspecified;
    bool and_chain = false;
    std::string_view object = {};
};

constexpr access_mode ro = access_mode::read_only;
constexpr access_mode rw = access_mode::read_write;
constexpr access_mode unspec = access_mode::unspecified;
constexpr isolation_level no_iso = isolation_level::unspecified;
constexpr isolation_level ser = isolation_level::serializable;
constexpr isolation_level rr = isolation_level::repeatable_read;
constexpr isolation_level rc = isolation_level::read_committed;
constexpr isolation_level ru = isolation_level::read_uncommitted;

const transaction_case transaction_cases[] = {
    {"BEGIN", k::begin, R},
    {"begin", k::begin, R},
    {"BEGIN WORK", k::begin, R},
    {"BEGIN TRANSACTION", k::begin, R},
    {"START TRANSACTION", k::begin, R},
    {"BEGIN READ ONLY", k::begin, R, ro},
    {"BEGIN TRANSACTION READ ONLY", k::begin, R, ro},
    {"begin read only", k::begin, R, ro},
    {"START TRANSACTION READ ONLY", k::begin, R, ro},
    {"BEGIN READ WRITE", k::begin, W, rw},
    {"START TRANSACTION READ WRITE", k::begin, W, rw},
    {"BEGIN ISOLATION LEVEL REPEATABLE READ", k::begin, R, unspec, rr},
    {"BEGIN ISOLATION LEVEL READ COMMITTED", k::begin, R, unspec, rc},
    {"BEGIN ISOLATION LEVEL READ UNCOMMITTED", k::begin, R, unspec, ru},
    {"BEGIN ISOLATION LEVEL SERIALIZABLE", k::begin, W, unspec, ser},
    {"BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE", k::begin, W, ro, ser},
    {"BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE", k::begin, W, ro, ser},
    {"BEGIN READ ONLY, ISOLATION LEVEL REPEATABLE READ", k::begin, R, ro, rr},
    {"BEGIN NOT DEFERRABLE READ ONLY", k::begin, R, ro},
    {"BEGIN READ WRITE, READ ONLY", k::begin, R, ro},
    {"START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ WRITE", k::begin, W, rw, rr},
    {"COMMIT", k::commit, R},
    {"commit", k::commit, R},
    {"COMMIT WORK", k::commit, R},
    {"COMMIT TRANSACTION", k::commit, R},
    {"END", k::commit, R},
    {"END WORK", k::commit, R},
    {"END TRANSACTION", k::commit, R},
    {"COMMIT AND CHAIN", k::commit, R, unspec, no_iso, true},
    {"COMMIT WORK AND CHAIN", k::commit, R, unspec, no_iso, true},
    {"COMMIT AND NO CHAIN", k::commit, R, unspec, no_iso, false},
    {"END AND CHAIN", k::commit, R, unspec, no_iso, true},
    {"ROLLBACK", k::rollback, R},
    {"rollback", k::rollback, R},
    {"ROLLBACK WORK", k::rollback, R},
    {"ROLLBACK TRANSACTION", k::rollback, R},
    {"ABORT", k::rollback, R},
    {"ABORT WORK", k::rollback, R},
    {"ROLLBACK AND CHAIN", k::rollback, R, unspec, no_iso, true},
    {"ABORT AND CHAIN", k::rollback, R, unspec, no_iso, true},
    {"ROLLBACK AND NO CHAIN", k::rollback, R},
    {"ROLLBACK TO SAVEPOINT a", k::rollback_to_savepoint, R, unspec, no_iso, false, "a"},
    {"ROLLBACK TO a", k::rollback_to_savepoint, R, unspec, no_iso, false, "a"},
    {"rollback to savepoint sp_1", k::rollback_to_savepoint, R, unspec, no_iso, false, "sp_1"},
    {"ROLLBACK WORK TO SAVEPOINT a", k::rollback_to_savepoint, R, unspec, no_iso, false, "a"},
    {"ROLLBACK TRANSACTION TO \"A\"", k::rollback_to_savepoint, R, unspec, no_iso, false, "\"A\""},
    {"SAVEPOINT a", k::savepoint, R, unspec, no_iso, false, "a"},
    {"savepoint \"My Point\"", k::savepoint, R, unspec, no_iso, false, "\"My Point\""},
    {"RELEASE SAVEPOINT a", k::release_savepoint, R, unspec, no_iso, false, "a"},
    {"RELEASE a", k::release_savepoint, R, unspec, no_iso, false, "a"},
    {"PREPARE TRANSACTION 'foo'", k::prepare_transaction, W, unspec, no_iso, false, "'foo'"},
    {"COMMIT PREPARED 'foo'", k::commit_prepared, W, unspec, no_iso, false, "'foo'"},
    {"ROLLBACK PREPARED 'foo'", k::rollback_prepared, W, unspec, no_iso, false, "'foo'"},
    {"SET TRANSACTION READ ONLY", k::set_transaction, R, ro},
    {"set transaction read only", k::set_transaction, R, ro},
    {"SET TRANSACTION READ WRITE", k::set_transaction, W, rw},
    {"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", k::set_transaction, W, unspec, ser},
    {"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", k::set_transaction, R, unspec, rr},
    {"SET TRANSACTION ISOLATION LEVEL READ COMMITTED, READ ONLY", k::set_transaction, R, ro, rc},
    {"SET LOCAL TRANSACTION READ ONLY", k::set_transaction, R, ro},
    {"SET SESSION TRANSACTION READ WRITE", k::set_transaction, W, rw},
    {"SET TRANSACTION SNAPSHOT '00000003-0000001B-1'", k::set_transaction, W, unspec, no_iso, false,
     "'00000003-0000001B-1'"},
    {"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", k::set_session_characteristics, R, ro},
    {"SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", k::set_session_characteristics, R,
     rw},
    {"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE",
     k::set_session_characteristics, R, unspec, ser},
    {"set session characteristics as transaction read only, isolation level repeatable read",
     k::set_session_characteristics, R, ro, rr},
    {"SET default_transaction_read_only = on", k::set, R, ro},
    {"SET default_transaction_read_only = off", k::set, R, rw},
    {"SET default_transaction_read_only TO true", k::set, R, ro},
    {"SET default_transaction_read_only TO false", k::set, R, rw},
    {"SET default_transaction_read_only = 1", k::set, R, ro},
    {"SET default_transaction_read_only = 0", k::set, R, rw},
    {"SET default_transaction_read_only = 'on'", k::set, R, ro},
    {"SET default_transaction_read_only = 'off'", k::set, R, rw},
    {"SET default_transaction_read_only = yes", k::set, R, ro},
    {"SET default_transaction_read_only = no", k::set, R, rw},
    {"SET default_transaction_read_only = t", k::set, R, ro},
    {"SET default_transaction_read_only = of", k::set, R, rw},
    {"SET DEFAULT_TRANSACTION_READ_ONLY = ON", k::set, R, ro},
    {"SET \"default_transaction_read_only\" = on", k::set, R, ro},
    {"SET SESSION default_transaction_read_only = on", k::set, R, ro},
    {"SET LOCAL default_transaction_read_only = on", k::set, R, ro},
    {"SET default_transaction_read_only = banana", k::set, R, unspec},
    {"SET default_transaction_read_only = o", k::set, R, unspec},
    {"SET default_transaction_read_only = on, off", k::set, R, unspec},
    {"RESET default_transaction_read_only", k::reset, R, unspec},
    {"SET default_transaction_read_only TO DEFAULT", k::reset, R, unspec},
    {"SET transaction_read_only = on", k::set, R, ro},
    {"SET transaction_read_only = off", k::set, W, rw},
    {"SET transaction_read_only = maybe", k::set, W, unspec},
    {"RESET transaction_read_only", k::reset, W, unspec},
    {"SET default_transaction_isolation = 'serializable'", k::set, R, unspec, ser},
    {"SET default_transaction_isolation TO 'repeatable read'", k::set, R, unspec, rr},
    {"SET transaction_isolation = 'serializable'", k::set, W, unspec, ser},
    {"SET transaction_isolation TO serializable", k::set, W, unspec, ser},
    {"SET transaction_isolation = 'repeatable read'", k::set, R, unspec, rr},
    {"SET transaction_isolation = 'READ COMMITTED'", k::set, R, unspec, rc},
    {"RESET TRANSACTION ISOLATION LEVEL", k::reset, W, unspec},
};

TEST(sql_classifier, transaction_control) {
    for (const transaction_case& tc : transaction_cases) {
        SCOPED_TRACE(std::string(tc.sql));
        const query_info q = classify_query(tc.sql);
        ASSERT_EQ(q.statements.size(), 1u);
        const statement_info& s = q.statements[0];
        EXPECT_EQ(s.kind, tc.kind);
        EXPECT_EQ(s.route, tc.route);
        EXPECT_EQ(q.route, tc.route);
        EXPECT_EQ(s.access, tc.access);
        EXPECT_EQ(s.isolation, tc.isolation);
        EXPECT_EQ(s.and_chain, tc.and_chain);
        EXPECT_EQ(s.object, tc.object);
    }
}

// ---------------------------------------------------------------------------------------------
// Session state

struct session_case {
    std::string_view sql;
    statement_kind kind;
    route_class route;
    std::string_view name = {};
    std::string_view value = {};
    bool is_local = false;
    std::string_view object = {};
    bool all = false;
};

const session_case session_cases[] = {
    {"SET search_path TO myschema, public", k::set, R, "search_path", "myschema, public"},
    {"SET search_path = \"$user\", public", k::set, R, "search_path", "\"$user\", public"},
    {"set search_path=x", k::set, R, "search_path", "x"},
    {"SET search_path TO 'a' /* c */ , b ;", k::set, R, "search_path", "'a' /* c */ , b"},
    {"SET search_path TO x -- trailing", k::set, R, "search_path", "x"},
    {"SET LOCAL search_path = x", k::set, R, "search_path", "x", true},
    {"SET SESSION search_path = x", k::set, R, "search_path", "x"},
    {"SET work_mem = '64MB'", k::set, R, "work_mem", "'64MB'"},
    {"SET statement_timeout TO 5000", k::set, R, "statement_timeout", "5000"},
    {"SET statement_timeout = -1", k::set, R, "statement_timeout", "-1"},
    {"SET \"Search_Path\" TO x", k::set, R, "search_path", "x"},
    {"SET Application_Name = 'My App'", k::set, R, "application_name", "'My App'"},
    {"SET myext.Setting = 'x'", k::set, R, "myext.setting", "'x'"},
    {"SET a.b.c = 1", k::set, R, "a.b.c", "1"},
    {"SET request.jwt.claims = '{\"a\":1}'", k::set, R, "request.jwt.claims", "'{\"a\":1}'"},
    {"SET x FROM CURRENT", k::set, R, "x", "FROM CURRENT"},
    {"SET search_path TO DEFAULT", k::reset, R, "search_path"},
    {"SET LOCAL work_mem = DEFAULT", k::reset, R, "work_mem", {}, true},
    {"SET search_path TO \"default\"", k::set, R, "search_path", "\"default\""},
    {"SET TIME ZONE 'UTC'", k::set, R, "timezone", "'UTC'"},
    {"SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE", k::set, R, "timezone",
     "INTERVAL '+02:00' HOUR TO MINUTE"},
    {"SET TIME ZONE LOCAL", k::reset, R, "timezone"},
    {"SET TIME ZONE DEFAULT", k::reset, R, "timezone"},
    {"SET LOCAL TIME ZONE 'UTC'", k::set, R, "timezone", "'UTC'", true},
    {"SET timezone = 'Europe/Paris'", k::set, R, "timezone", "'Europe/Paris'"},
    {"SET NAMES 'UTF8'", k::set, R, "client_encoding", "'UTF8'"},
    {"SET NAMES DEFAULT", k::reset, R, "client_encoding"},
    {"SET SCHEMA 'foo'", k::set, R, "search_path", "'foo'"},
    {"SET XML OPTION DOCUMENT", k::set, R, "xmloption", "DOCUMENT"},
    {"SET ROLE admin", k::set, R, "role", "admin"},
    {"SET ROLE 'admin'", k::set, R, "role", "'admin'"},
    {"SET ROLE NONE", k::set, R, "role", "NONE"},
    {"SET LOCAL ROLE x", k::set, R, "role", "x", true},
    {"SET SESSION ROLE x", k::set, R, "role", "x"},
    {"SET role = 'x'", k::set, R, "role", "'x'"},
    {"SET role TO x", k::set, R, "role", "x"},
    {"RESET ROLE", k::reset, R, "role"},
    {"SET SESSION AUTHORIZATION bob", k::set, R, "session_authorization", "bob"},
    {"SET SESSION AUTHORIZATION 'bob'", k::set, R, "session_authorization", "'bob'"},
    {"SET SESSION SESSION AUTHORIZATION bob", k::set, R, "session_authorization", "bob"},
    {"SET LOCAL SESSION AUTHORIZATION bob", k::set, R, "session_authorization", "bob", true},
    {"SET SESSION AUTHORIZATION DEFAULT", k::reset, R, "session_authorization"},
    {"RESET SESSION AUTHORIZATION", k::reset, R, "session_authorization"},
    {"RESET ALL", k::reset_all, R},
    {"reset all", k::reset_all, R},
    {"RESET search_path", k::reset, R, "search_path"},
    {"RESET \"Work_Mem\"", k::reset, R, "work_mem"},
    {"RESET myext.x", k::reset, R, "myext.x"},
    {"RESET TIME ZONE", k::reset, R, "timezone"},
    {"RESET all_the_things", k::reset, R, "all_the_things"},
    {"SET CONSTRAINTS ALL DEFERRED", k::set_constraints, R},
    {"SET CONSTRAINTS c1, c2 IMMEDIATE", k::set_constraints, R},
    {"SHOW search_path", k::show, R, "search_path"},
    {"SHOW \"Work_Mem\"", k::show, R, "work_mem"},
    {"SHOW ALL", k::show, R, {}, {}, false, {}, true},
    {"SHOW TIME ZONE", k::show, R, "timezone"},
    {"SHOW TRANSACTION ISOLATION LEVEL", k::show, R, "transaction_isolation"},
    {"SHOW SESSION AUTHORIZATION", k::show, R, "session_authorization"},
    {"SHOW pgrelay.route", k::show, R, "pgrelay.route"},
    {"DISCARD ALL", k::discard, R},
    {"LISTEN chan", k::listen, W, {}, {}, false, "chan"},
    {"listen \"Chan\"", k::listen, W, {}, {}, false, "\"Chan\""},
    {"UNLISTEN chan", k::unlisten, W, {}, {}, false, "chan"},
    {"UNLISTEN *", k::unlisten, W, {}, {}, false, {}, true},
    {"PREPARE p AS SELECT 1", k::prepare, R, {}, {}, false, "p"},
    {"PREPARE p (int) AS SELECT $1", k::prepare, R, {}, {}, false, "p"},
    {"prepare p(int, text) as insert into t values ($1, $2)", k::prepare, W, {}, {}, false, "p"},
    {"PREPARE p AS UPDATE t SET a = $1", k::prepare, W, {}, {}, false, "p"},
    {"PREPARE p AS DELETE FROM t", k::prepare, W, {}, {}, false, "p"},
    {"PREPARE p AS SELECT nextval('s')", k::prepare, W, {}, {}, false, "p"},
    {"PREPARE p AS SELECT * FROM t FOR UPDATE", k::prepare, W, {}, {}, false, "p"},
    {"PREPARE p AS WITH x AS (DELETE FROM t RETURNING 1) SELECT * FROM x",
     k::prepare,
     W,
     {},
     {},
     false,
     "p"},
    {"PREPARE p AS VALUES (1)", k::prepare, R, {}, {}, false, "p"},
    {"PREPARE \"P1\" AS TABLE t", k::prepare, R, {}, {}, false, "\"P1\""},
    {"PREPARE transaction AS SELECT 1", k::prepare, R, {}, {}, false, "transaction"},
    {"PREPARE p", k::prepare, W, {}, {}, false, "p"},
    {"EXECUTE p", k::execute, W, {}, {}, false, "p"},
    {"EXECUTE p(1, 'a')", k::execute, W, {}, {}, false, "p"},
    {"DEALLOCATE p", k::deallocate, R, {}, {}, false, "p"},
    {"DEALLOCATE PREPARE p", k::deallocate, R, {}, {}, false, "p"},
    {"DEALLOCATE ALL", k::deallocate, R, {}, {}, false, {}, true},
    {"DEALLOCATE PREPARE ALL", k::deallocate, R, {}, {}, false, {}, true},
    {"DEALLOCATE \"all\"", k::deallocate, R, {}, {}, false, "\"all\""},
    {"DECLARE c CURSOR FOR SELECT * FROM t", k::declare_cursor, R, {}, {}, false, "c"},
    {"DECLARE c CURSOR WITHOUT HOLD FOR SELECT 1", k::declare_cursor, R, {}, {}, false, "c"},
    {"DECLARE c NO SCROLL CURSOR FOR SELECT 1", k::declare_cursor, R, {}, {}, false, "c"},
    {"DECLARE c ASENSITIVE CURSOR FOR VALUES (1)", k::declare_cursor, R, {}, {}, false, "c"},
    {"DECLARE c CURSOR FOR (SELECT 1)", k::declare_cursor, R, {}, {}, false, "c"},
    {"DECLARE c CURSOR FOR WITH x AS (SELECT 1) SELECT * FROM x",
     k::declare_cursor,
     R,
     {},
     {},
     false,
     "c"},
    {"DECLARE \"Cur\" CURSOR FOR SELECT 1", k::declare_cursor, R, {}, {}, false, "\"Cur\""},
    {"DECLARE cursor CURSOR FOR SELECT 1", k::declare_cursor, R, {}, {}, false, "cursor"},
    {"DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE", k::declare_cursor, W, {}, {}, false, "c"},
    {"DECLARE c CURSOR FOR SELECT nextval('s')", k::declare_cursor, W, {}, {}, false, "c"},
    {"DECLARE c CURSOR", k::declare_cursor, W, {}, {}, false, "c"},
    {"DECLARE c", k::declare_cursor, W, {}, {}, false, "c"},
    {"CLOSE c", k::close_cursor, R, {}, {}, false, "c"},
    {"CLOSE ALL", k::close_cursor, R, {}, {}, false, {}, true},
    {"FETCH NEXT FROM c", k::fetch, R},
    {"FETCH 10 IN c", k::fetch, R},
    {"MOVE FORWARD 5 IN c", k::fetch, R},
    {"CREATE TEMP TABLE t (a int)", k::create_temp, W, {}, {}, false, "t"},
    {"CREATE TEMPORARY TABLE t (a int)", k::create_temp, W, {}, {}, false, "t"},
    {"create local temp table t (a int)", k::create_temp, W, {}, {}, false, "t"},
    {"CREATE GLOBAL TEMPORARY TABLE t (a int)", k::create_temp, W, {}, {}, false, "t"},
    {"CREATE TEMP TABLE IF NOT EXISTS t (a int)", k::create_temp, W, {}, {}, false, "t"},
    {"CREATE TEMP TABLE \"T x\" (a int)", k::create_temp, W, {}, {}, false, "\"T x\""},
    {"CREATE TEMP TABLE t AS SELECT 1", k::create_temp, W, {}, {}, false, "t"},
    {"CREATE TEMP VIEW v AS SELECT 1", k::create_temp, W, {}, {}, false, "v"},
    {"CREATE OR REPLACE TEMP VIEW v AS SELECT 1", k::create_temp, W, {}, {}, false, "v"},
    {"CREATE TEMP RECURSIVE VIEW v (n) AS SELECT 1", k::create_temp, W, {}, {}, false, "v"},
    {"CREATE TEMP SEQUENCE s", k::create_temp, W, {}, {}, false, "s"},
    {"CREATE TEMPORARY SEQUENCE IF NOT EXISTS s", k::create_temp, W, {}, {}, false, "s"},
    {"CREATE TABLE pg_temp.t (a int)", k::create_temp, W, {}, {}, false, "pg_temp.t"},
    {"CREATE VIEW pg_temp.v AS SELECT 1", k::create_temp, W, {}, {}, false, "pg_temp.v"},
    {"CREATE FUNCTION pg_temp.f() RETURNS int AS 'select 1' LANGUAGE sql", k::create_temp, W},
    {"LOAD 'auto_explain'", k::load, R, {}, {}, false, "'auto_explain'"},
};

TEST(sql_classifier, session_state) {
    for (const session_case& sc : session_cases) {
        SCOPED_TRACE(std::string(sc.sql));
        const query_info q = classify_query(sc.sql);
        ASSERT_EQ(q.statements.size(), 1u);
        const statement_info& s = q.statements[0];
        EXPECT_EQ(s.kind, sc.kind);
        EXPECT_EQ(s.route, sc.route);
        EXPECT_EQ(q.route, sc.route);
        EXPECT_EQ(s.name, sc.name);
        EXPECT_EQ(s.value, sc.value);
        EXPECT_EQ(s.is_local, sc.is_local);
        EXPECT_EQ(s.object, sc.object);
        EXPECT_EQ(s.all, sc.all);
    }
}

TEST(sql_classifier, discard_targets) {
    const std::pair<std::string_view, discard_target> cases[] = {
        {"DISCARD ALL", discard_target::all},     {"discard all", discard_target::all},
        {"DISCARD PLANS", discard_target::plans}, {"DISCARD SEQUENCES", discard_target::sequences},
        {"DISCARD TEMP", discard_target::temp},   {"DISCARD TEMPORARY", discard_target::temp},
        {"DISCARD", discard_target::none},        {"DISCARD EVERYTHING", discard_target::none},
    };
    for (const auto& [sql, target] : cases) {
        SCOPED_TRACE(std::string(sql));
        const query_info q = classify_query(sql);
        ASSERT_EQ(q.statements.size(), 1u);
        EXPECT_EQ(q.statements[0].kind, k::discard);
        EXPECT_EQ(q.statements[0].route, R);
        EXPECT_EQ(q.statements[0].discard, target);
    }
}

TEST(sql_classifier, cursor_hold) {
    const std::pair<std::string_view, bool> cases[] = {
        {"DECLARE c CURSOR WITH HOLD FOR SELECT 1", true},
        {"declare c cursor with hold for select 1", true},
        {"DECLARE c BINARY INSENSITIVE SCROLL CURSOR WITH HOLD FOR SELECT 1", true},
        {"DECLARE c NO SCROLL CURSOR WITH HOLD FOR SELECT * FROM t", true},
        {"DECLARE c CURSOR WITHOUT HOLD FOR SELECT 1", false},
        {"DECLARE c CURSOR FOR SELECT 1", false},
        {"DECLARE c CURSOR FOR SELECT 'WITH HOLD'", false},
    };
    for (const auto& [sql, hold] : cases) {
        SCOPED_TRACE(std::string(sql));
        const query_info q = classify_query(sql);
        ASSERT_EQ(q.statements.size(), 1u);
        EXPECT_EQ(q.statements[0].kind, k::declare_cursor);
        EXPECT_EQ(q.statements[0].with_hold, hold);
    }
}

struct set_config_case {
    std::string_view sql;
    route_class route;
    std::string_view name;
    std::string_view value;
    bool is_local;
    bool known;
    std::uint16_t calls = 1;
    access_mode access = access_mode::unspecified;
};

TEST(sql_classifier, set_config_calls) {
    const set_config_case cases[] = {
        {"SELECT set_config('search_path', 'x', false)", R, "search_path", "'x'", false, true},
        {"select SET_CONFIG('search_path', 'x', TRUE)", R, "search_path", "'x'", true, true},
        {"SELECT set_config('Search_Path', 'x', false)", R, "search_path", "'x'", false, true},
        {"SELECT pg_catalog.set_config('a.b', 'c', false)", R, "a.b", "'c'", false, true},
        {"SELECT \"set_config\"('a', 'b', false)", R, "a", "'b'", false, true},
        {"SELECT set_config('work_mem', '64MB', 'false')", R, "work_mem", "'64MB'", false, true},
        {"SELECT set_config('work_mem', '64MB', 'on')", R, "work_mem", "'64MB'", true, true},
        {"SELECT set_config(E'search\\_path', E'a\\tb', false)", R, "search_path", "E'a\\tb'",
         false, true},
        {"SELECT set_config($$x.y$$, $v$it's$v$, true)", R, "x.y", "$v$it's$v$", true, true},
        {"SELECT set_config('x.y', $1, true)", R, "x.y", {}, true, false},
        {"SELECT set_config('x.y', 'a' || 'b', true)", R, "x.y", {}, true, false},
        {"SELECT set_config('x.y', 'v', $3)", R, "x.y", "'v'", false, false},
        {"SELECT set_config('x.y', 'v', 1)", R, "x.y", "'v'", false, false},
        {"SELECT set_config('x.y', 'v')", W, {}, {}, false, false},
        {"SELECT set_config($1, $2, false)", W, {}, {}, false, false},
        {"SELECT set_config(current_setting('a'), 'v', false)", W, {}, "'v'", false, false},
        {"SELECT set_config('transaction_read_only', 'off', false)", W, "transaction_read_only",
         "'off'", false, true, 1, rw},
        {"SELECT set_config('TRANSACTION_ISOLATION', 'serializable', true)", W,
         "transaction_isolation", "'serializable'", true, true},
        {"SELECT set_config('default_transaction_read_only', 'on', false)", R,
         "default_transaction_read_only", "'on'", false, true, 1, ro},
        {"SELECT set_config('a', 'b', false), set_config('c', 'd', true)", R, "a", "'b'", false,
         true, 2},
        {"SELECT set_config('a', 'b', false), set_config('c', $1, true)", R, "a", "'b'", false,
         false, 2},
        {"SELECT set_config('a', 'b', false), set_config($1, 'x', true)", W, "a", "'b'", false,
         false, 2},
        {"SELECT set_config('search_path', 'x', false) FROM t FOR UPDATE", W, "search_path", "'x'",
         false, true},
        {"SELECT set_config('a', 'b', false), nextval('s')", W, "a", "'b'", false, true},
        {"SELECT count(*) FROM t WHERE set_config('a', 'b', true) IS NOT NULL", R, "a", "'b'", true,
         true},
    };
    for (const set_config_case& sc : cases) {
        SCOPED_TRACE(std::string(sc.sql));
        const query_info q = classify_query(sc.sql);
        ASSERT_EQ(q.statements.size(), 1u);
        const statement_info& s = q.statements[0];
        EXPECT_EQ(s.kind, k::set_config);
        EXPECT_EQ(s.route, sc.route);
        EXPECT_EQ(s.name, sc.name);
        EXPECT_EQ(s.value, sc.value);
        EXPECT_EQ(s.is_local, sc.is_local);
        EXPECT_EQ(s.set_config_args_known, sc.known);
        EXPECT_EQ(s.set_config_calls, sc.calls);
        EXPECT_EQ(s.access, sc.access);
    }
    // set_config is session state only in a query: elsewhere the statement keeps its kind.
    EXPECT_EQ(classify_query("INSERT INTO t SELECT set_config('a', 'b', false)").statements[0].kind,
              k::insert);
    EXPECT_EQ(classify_query("SELECT set_config FROM t").statements[0].kind, k::select);
    EXPECT_EQ(classify_query("SELECT 'set_config(1,2,3)'").statements[0].kind, k::select);
}

TEST(sql_classifier, find_set_config_calls_lists_every_call) {
    // PostgREST's per-request prelude, as sent in a Parse message.
    const std::string_view sql =
        "select set_config('search_path', $1, true), set_config('role', $2, true), "
        "set_config('request.jwt.claims', $3, true), set_config('Request.Method', 'GET', true)";
    const query_info q = classify_query(sql);
    ASSERT_EQ(q.statements.size(), 1u);
    EXPECT_EQ(q.route, R);
    EXPECT_EQ(q.statements[0].set_config_calls, 4);
    EXPECT_FALSE(q.statements[0].set_config_args_known);

    const auto calls = find_set_config_calls(sql);
    ASSERT_EQ(calls.size(), 4u);
    EXPECT_EQ(calls[0].name, "search_path");
    EXPECT_FALSE(calls[0].value_known);
    EXPECT_EQ(calls[0].is_local, true);
    EXPECT_EQ(calls[2].name, "request.jwt.claims");
    EXPECT_EQ(calls[3].name, "request.method");
    EXPECT_TRUE(calls[3].value_known);
    EXPECT_EQ(calls[3].value, "'GET'");

    const auto odd = find_set_config_calls("SELECT set_config($1, 'v', f()), 'set_config(1)'");
    ASSERT_EQ(odd.size(), 1u);
    EXPECT_FALSE(odd[0].name.has_value());
    EXPECT_EQ(odd[0].value, "'v'");
    EXPECT_FALSE(odd[0].is_local.has_value());
    EXPECT_TRUE(find_set_config_calls("SELECT 1").empty());
    EXPECT_TRUE(find_set_config_calls("set_config(").size() == 1u);
}

// ---------------------------------------------------------------------------------------------
// Hints and pgrelay.route

TEST(sql_classifier, route_hints) {
    using p = route_preference;
    const std::pair<std::string_view, std::optional<route_preference>> cases[] = {
        {"/* pgrelay:primary */ SELECT 1", p::primary},
        {"/*pgrelay:standby*/ SELECT 1", p::standby},
        {"  \n /* PGRELAY:PRIMARY */ SELECT 1", p::primary},
        {"/*\tpgrelay:standby\n*/SELECT 1", p::standby},
        {"/* pgrelay: primary */ SELECT 1", p::primary},
        {"/* pgrelay:auto */ SELECT 1", p::automatic},
        {"-- pgrelay:primary\nSELECT 1", p::primary},
        {"--pgrelay:standby\nSELECT 1", p::standby},
        {"-- pgrelay:standby   \r\nSELECT 1", p::standby},
        {"/* pgrelay:primary */", p::primary},
        {"/* pgrelay:primary", p::primary},
        {"/* pgrelay:primary */ /* pgrelay:standby */ SELECT 1", p::primary},
        {"SELECT 1 /* pgrelay:primary */", std::nullopt},
        {"/* other */ /* pgrelay:primary */ SELECT 1", std::nullopt},
        {"/* pgrelay:primaryx */ SELECT 1", std::nullopt},
        {"/* pgrelay:replica */ SELECT 1", std::nullopt},
        {"/* pgrelay:primary, app=x */ SELECT 1", std::nullopt},
        {"/* xpgrelay:primary */ SELECT 1", std::nullopt},
        {"SELECT '/* pgrelay:primary */'", std::nullopt},
        {";/* pgrelay:primary */ SELECT 1", std::nullopt},
        {"", std::nullopt},
    };
    for (const auto& [sql, hint] : cases) {
        SCOPED_TRACE(std::string(sql));
        const query_info q = classify_query(sql);
        EXPECT_EQ(q.hint, hint);
    }
    // The hint is reported next to the route, which it does not change.
    const query_info q = classify_query("/* pgrelay:standby */ INSERT INTO t VALUES (1)");
    EXPECT_EQ(q.hint, p::standby);
    EXPECT_EQ(q.route, W);
    ASSERT_EQ(q.statements.size(), 1u);
    EXPECT_EQ(q.statements[0].text, "INSERT INTO t VALUES (1)");
}

TEST(sql_classifier, pgrelay_route_setting) {
    using p = route_preference;
    struct route_setting_case {
        std::string_view sql;
        statement_kind kind;
        std::optional<route_preference> value;
        bool is_local = false;
    };
    const route_setting_case cases[] = {
        {"SET pgrelay.route = 'primary'", k::set_route, p::primary},
        {"SET pgrelay.route TO 'standby'", k::set_route, p::standby},
        {"SET pgrelay.route = 'auto'", k::set_route, p::automatic},
        {"SET pgrelay.route = primary", k::set_route, p::primary},
        {"SET pgrelay.route TO standby", k::set_route, p::standby},
        {"set PGRELAY.ROUTE = 'AUTO'", k::set_route, p::automatic},
        {"SET \"pgrelay\".\"route\" = primary", k::set_route, p::primary},
        {"SET pgrelay.route = $$standby$$", k::set_route, p::standby},
        {"SET SESSION pgrelay.route = primary", k::set_route, p::primary},
        {"SET LOCAL pgrelay.route = primary", k::set_route, p::primary, true},
        {"SET pgrelay.route TO 'bogus'", k::set_route, std::nullopt},
        {"SET pgrelay.route TO 'primary', 'standby'", k::set_route, std::nullopt},
        {"SET pgrelay.route = 1", k::set_route, std::nullopt},
        {"RESET pgrelay.route", k::reset_route, std::nullopt},
        {"SET pgrelay.route TO DEFAULT", k::reset_route, std::nullopt},
        {"SET pgrelay.routes = primary", k::set, std::nullopt},
        {"SHOW pgrelay.route", k::show, std::nullopt},
    };
    for (const route_setting_case& setting : cases) {
        SCOPED_TRACE(std::string(setting.sql));
        const query_info q = classify_query(setting.sql);
        ASSERT_EQ(q.statements.size(), 1u);
        const statement_info& s = q.statements[0];
        EXPECT_EQ(s.kind, setting.kind);
        EXPECT_EQ(s.route, R);
        EXPECT_EQ(s.route_setting, setting.value);
        EXPECT_EQ(s.is_local, setting.is_local);
    }
}

// ---------------------------------------------------------------------------------------------
// Several statements

struct multi_case {
    std::string_view sql;
    route_class route;
    std::vector<statement_kind> kinds;
};

TEST(sql_classifier, multiple_statements) {
    const multi_case cases[] = {
        {"SELECT 1; INSERT INTO t VALUES (1)", W, {k::select, k::insert}},
        {"INSERT INTO t VALUES (1); SELECT 1", W, {k::insert, k::select}},
        {"BEGIN; SELECT 1; COMMIT", R, {k::begin, k::select, k::commit}},
        {"BEGIN; UPDATE t SET a = 1; COMMIT;", W, {k::begin, k::update, k::commit}},
        {"BEGIN READ WRITE; SELECT 1; COMMIT", W, {k::begin, k::select, k::commit}},
        {"begin;select 1;end;", R, {k::begin, k::select, k::commit}},
        {"SELECT 1;SELECT 2", R, {k::select, k::select}},
        {"SELECT 1;;SELECT 2;", R, {k::select, k::select}},
        {"SET search_path = x; SELECT 1", R, {k::set, k::select}},
        {"SELECT 1; -- trailing", R, {k::select}},
        {"SELECT 1; /* trailing */ ;", R, {k::select}},
        {"INSERT INTO t VALUES (';'); SELECT ';'", W, {k::insert, k::select}},
        {"SELECT $$;$$; SELECT \";\"", R, {k::select, k::select}},
        {"SELECT 1; LISTEN c", W, {k::select, k::listen}},
        {"SET LOCAL work_mem = '1GB'; SELECT nextval('s')", W, {k::set, k::select}},
        {"SELECT 1; SELECT 2; SELECT 3; SELECT 4; SELECT 5; SELECT 6",
         R,
         {k::select, k::select, k::select, k::select, k::select, k::select}},
        {"SELECT 1; SELECT 2; SELECT 3; SELECT 4; SELECT 5; DELETE FROM t",
         W,
         {k::select, k::select, k::select, k::select, k::select, k::delete_}},
        {"SAVEPOINT a; ROLLBACK TO SAVEPOINT a; RELEASE a",
         R,
         {k::savepoint, k::rollback_to_savepoint, k::release_savepoint}},
        {"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; "
         "SELECT 3",
         W,
         {k::other, k::select}},
        {"CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); "
         "END",
         W,
         {k::other}},
        {"CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > 0 "
         "THEN 1 ELSE 0 END; END; COMMIT",
         W,
         {k::other, k::commit}},
        {"create procedure p() begin atomic select 1; begin atomic select 2; end; end; end",
         W,
         {k::other, k::commit}},
        {"CREATE FUNCTION f(begin int) RETURNS int AS 'select 1' LANGUAGE sql; COMMIT",
         W,
         {k::other, k::commit}},
        {"CREATE TABLE t (a int); BEGIN; END", W, {k::other, k::begin, k::commit}},
        // ';' inside parentheses does not split: the server rejects the whole string anyway.
        {"SELECT (1; DELETE FROM t)", R, {k::select}},
        {"SELECT 1); DELETE FROM t", W, {k::select, k::delete_}},
    };
    for (const multi_case& mc : cases) {
        SCOPED_TRACE(std::string(mc.sql));
        const query_info q = classify_query(mc.sql);
        EXPECT_EQ(q.route, mc.route);
        ASSERT_EQ(q.statements.size(), mc.kinds.size());
        for (std::size_t i = 0; i < mc.kinds.size(); ++i) {
            EXPECT_EQ(q.statements[i].kind, mc.kinds[i]) << "statement " << i;
        }
        EXPECT_EQ(q.multiple(), mc.kinds.size() > 1);
    }
}

TEST(sql_classifier, statement_texts_exclude_comments_blanks_and_separators) {
    const query_info q =
        classify_query("  /* lead */ SELECT 1 /* mid */ + 2 /* tail */ ;  -- x\n SELECT 2  ; ");
    ASSERT_EQ(q.statements.size(), 2u);
    EXPECT_EQ(q.statements[0].text, "SELECT 1 /* mid */ + 2");
    EXPECT_EQ(q.statements[1].text, "SELECT 2");

    const std::string many = [] {
        std::string s;
        for (int i = 0; i < 9; ++i)
            s += "SELECT " + std::to_string(i) + ";";
        return s;
    }();
    const query_info m = classify_query(many);
    ASSERT_EQ(m.statements.size(), 9u);
    std::size_t n = 0;
    for (const statement_info& s : m.statements) {
        EXPECT_EQ(s.text, "SELECT " + std::to_string(n));
        ++n;
    }
    EXPECT_EQ(n, 9u);
    EXPECT_EQ(m.statements.front().text, "SELECT 0");
    EXPECT_EQ(m.statements.back().text, "SELECT 8");
}

// ---------------------------------------------------------------------------------------------
// Malformed and extreme input

TEST(sql_classifier, unterminated_constructs) {
    check_routes({
        {"SELECT 'abc", R, k::select},
        {"SELECT \"abc", R, k::select},
        {"SELECT $$abc", R, k::select},
        {"SELECT $a$ x $b$", R, k::select},
        {"SELECT /* abc", R, k::select},
        {"SELECT 1 /* /* */", R, k::select},
        {"SELECT 'x; DELETE FROM t", R, k::select},
        {"SELECT E'\\", R, k::select},
        {"SELECT E'\\'; DELETE FROM t", R, k::select},
        {"SELECT U&'", R, k::select},
        {"SELECT (((", R, k::select},
        {"SELECT nextval(", W, k::select},
        {"SELECT * FROM t FOR", R, k::select},
        {"SELECT * FROM t FOR NO KEY", R, k::select},
        {"INSERT INTO t VALUES ('", W, k::insert},
        {"SET search_path = '", R, k::set},
        {"EXPLAIN (ANALYZE", W, k::explain},
        {"EXPLAIN", R, k::explain},  // executes nothing (and fails anywhere)
        {"BEGIN ISOLATION LEVEL", R, k::begin},
        {"WITH x AS (SELECT 1", W, k::other},
        {"COPY (SELECT 1", R, k::copy_to},
        {"DECLARE c CURSOR FOR", W, k::declare_cursor},
        {"PREPARE p AS", W, k::prepare},
        {"SELECT set_config('a', 'b'", W, k::set_config},
    });
    const query_info q = classify_query("SELECT 1; DELETE FROM t WHERE a = 'x");
    EXPECT_EQ(q.route, W);
    EXPECT_EQ(q.statements.size(), 2u);
}

TEST(sql_classifier, very_long_inputs) {
    {
        std::string sql = "SELECT ";
        for (int i = 0; i < 50000; ++i)
            sql += "a" + std::to_string(i) + " /* c; */, 'x;y', ";
        sql += "1 FROM t";
        const query_info q = classify_query(sql);
        EXPECT_EQ(q.route, R);
        ASSERT_EQ(q.statements.size(), 1u);
        EXPECT_EQ(q.statements[0].text.size(), sql.size());
        EXPECT_EQ(classify_query(sql + " FOR UPDATE").route, W);
    }
    {
        std::string sql;
        for (int i = 0; i < 100000; ++i)
            sql += "SELECT 1;";
        const query_info q = classify_query(sql + "SELECT nextval('s')");
        EXPECT_EQ(q.route, W);
        EXPECT_EQ(q.statements.size(), 100001u);
        EXPECT_EQ(q.statements[99999].kind, k::select);
        EXPECT_EQ(q.statements[100000].route, W);
    }
    {
        const std::string sql =
            "SELECT " + std::string(100000, '(') + "1" + std::string(100000, ')') + " FROM t";
        EXPECT_EQ(classify_query(sql).route, R);
        EXPECT_EQ(classify_query(std::string(100000, '(') + "SELECT 1").route, R);
        EXPECT_EQ(classify_query("COPY " + std::string(100000, '(') + "SELECT 1) TO STDOUT").route,
                  R);
    }
    {
        std::string sql;
        for (int i = 0; i < 10000; ++i)
            sql += "EXPLAIN ANALYZE ";
        EXPECT_EQ(classify_query(sql + "DELETE FROM t").route, W);
        std::string plain;
        for (int i = 0; i < 10000; ++i)
            plain += "EXPLAIN ";
        EXPECT_EQ(classify_query(plain + "DELETE FROM t").route, R);
        std::string prepare;
        for (int i = 0; i < 10000; ++i)
            prepare += "PREPARE p AS ";
        EXPECT_EQ(classify_query(prepare + "SELECT 1").route, W);  // nesting capped: "other"
        std::string with;
        for (int i = 0; i < 10000; ++i)
            with += "WITH x AS (SELECT 1) (";
        EXPECT_EQ(classify_query(with + "SELECT 1").route, W);
        EXPECT_EQ(classify_query("PREPARE p AS PREPARE q AS SELECT 1").route, R);
    }
    {
        const std::string sql = "SELECT '" + std::string(1 << 20, 'x') + "', $$" +
                                std::string(1 << 20, ';') + "$$, \"" + std::string(1000, 'q') +
                                "\"";
        const query_info q = classify_query(sql);
        EXPECT_EQ(q.route, R);
        EXPECT_EQ(q.statements.size(), 1u);
    }
    {
        const std::string name(10000, 'n');
        const query_info q = classify_query("SET " + name + " = 1");
        ASSERT_EQ(q.statements.size(), 1u);
        EXPECT_EQ(q.statements[0].name, name);
        EXPECT_EQ(classify_query("SELECT " + name + "(1)").route, R);
    }
}

// Invariants that hold for any input: statement texts are inside the SQL and in order, the
// query's route is the join of the statements' routes.
void check_invariants(std::string_view sql, const sql_classifier& c, lexer_options o) {
    const query_info q = c.classify(sql, o);
    bool any_write = false;
    const char* last_end = sql.data();
    for (const statement_info& s : q.statements) {
        ASSERT_FALSE(s.text.empty());
        ASSERT_GE(s.text.data(), last_end);
        ASSERT_LE(s.text.data() + s.text.size(), sql.data() + sql.size());
        last_end = s.text.data() + s.text.size();
        for (const std::string_view part : {s.value, s.object}) {
            if (part.empty()) continue;
            ASSERT_GE(part.data(), s.text.data());
            ASSERT_LE(part.data() + part.size(), s.text.data() + s.text.size());
        }
        any_write = any_write || s.route == W;
    }
    ASSERT_EQ(q.route, any_write ? W : R);
    ASSERT_EQ(q.multiple(), q.statements.size() > 1);
}

TEST(sql_classifier, random_bytes_and_fragments_never_crash) {
    classifier_options options;
    options.writing_functions = {"f", "s.g"};
    const sql_classifier c(options);
    const std::vector<std::string> fragments = {
        "SELECT",
        "INSERT",
        "INTO",
        "UPDATE",
        "DELETE",
        "FROM",
        "MERGE",
        "WITH",
        "AS",
        "(",
        ")",
        ";",
        ",",
        ".",
        "'",
        "\"",
        "$$",
        "$a$",
        "E'\\",
        "U&'",
        "--",
        "/*",
        "*/",
        "FOR",
        "SHARE",
        "KEY",
        "NO",
        "nextval(",
        "set_config(",
        "'x'",
        "true",
        "SET",
        "RESET",
        "LOCAL",
        "SESSION",
        "TO",
        "=",
        "BEGIN",
        "ATOMIC",
        "END",
        "CASE",
        "CREATE",
        "FUNCTION",
        "TEMP",
        "TABLE",
        "EXPLAIN",
        "ANALYZE",
        "PREPARE",
        "TRANSACTION",
        "DECLARE",
        "CURSOR",
        "HOLD",
        "COPY",
        "RECURSIVE",
        "SEARCH",
        "CYCLE",
        "USING",
        "pg_temp",
        "ROLLBACK",
        "PREPARED",
        "pgrelay.route",
        "/* pgrelay:primary */",
        "x",
        "1",
        " ",
        "\n",
        "\\",
        std::string(1, '\0'),
    };
    std::mt19937 rng(424242);
    for (int round = 0; round < 30000; ++round) {
        std::string sql;
        const std::size_t parts = rng() % 24;
        for (std::size_t i = 0; i < parts; ++i) {
            if (round % 4 == 0) {
                sql += static_cast<char>(rng() & 0xFF);
            } else {
                sql += fragments[rng() % fragments.size()];
                if (rng() % 2) sql += ' ';
            }
        }
        SCOPED_TRACE(sql);
        // Exactly sized heap copy: ASan reports any read past the end.
        const std::vector<char> exact(sql.begin(), sql.end());
        const std::string_view view(exact.data(), exact.size());
        check_invariants(view, c, lexer_options{true});
        check_invariants(view, c, lexer_options{false});
        (void)find_set_config_calls(view);
        if (HasFatalFailure()) return;
    }
}

TEST(sql_classifier, every_prefix_of_every_table_query_is_safe) {
    std::vector<std::string_view> corpus;
    for (const auto& tc : transaction_cases)
        corpus.push_back(tc.sql);
    for (const auto& sc : session_cases)
        corpus.push_back(sc.sql);
    corpus.push_back(
        "WITH RECURSIVE t(id) AS (SELECT 1) SEARCH BREADTH FIRST BY id SET o CYCLE id SET c "
        "USING p, u AS (DELETE FROM x RETURNING *) SELECT set_config('a', E'\\'', true) FROM t "
        "FOR NO KEY UPDATE; /* pgrelay:primary */ CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; END");
    const sql_classifier c;
    for (const std::string_view sql : corpus) {
        for (std::size_t n = 0; n <= sql.size(); ++n) {
            const std::vector<char> exact(sql.begin(),
                                          sql.begin() + static_cast<std::ptrdiff_t>(n));
            SCOPED_TRACE(std::string(exact.begin(), exact.end()));
            check_invariants(std::string_view(exact.data(), exact.size()), c, lexer_options{});
            if (HasFatalFailure()) return;
        }
    }
}

TEST(sql_classifier, names_for_logs) {
    for (int i = 0; i <= static_cast<int>(statement_kind::reset_route); ++i) {
        EXPECT_NE(to_string(static_cast<statement_kind>(i)), "?") << i;
    }
    EXPECT_EQ(to_string(statement_kind::delete_), "delete");
    EXPECT_EQ(to_string(route_class::read), "read");
    EXPECT_EQ(to_string(route_class::write), "write");
    EXPECT_EQ(to_string(route_preference::automatic), "auto");
    EXPECT_EQ(to_string(access_mode::read_only), "read_only");
    EXPECT_EQ(to_string(isolation_level::repeatable_read), "repeatable_read");
    EXPECT_EQ(to_string(discard_target::sequences), "sequences");
}

}  // namespace
}  // namespace pgrelay::proxy
