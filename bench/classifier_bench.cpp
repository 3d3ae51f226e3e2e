// Micro-benchmarks of the SQL classifier, which runs on every Query and Parse message: a short
// SELECT, a ~1 KB SELECT full of comments and strings, a multi-statement transaction, a
// data-modifying CTE, a SET, and the lexer alone over the 1 KB query. Reported per call and in
// bytes/s.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "proxy/sql_classifier.hpp"
#include "proxy/sql_lexer.hpp"

namespace {

using pgrelay::proxy::classifier_options;
using pgrelay::proxy::query_info;
using pgrelay::proxy::sql_classifier;
using pgrelay::proxy::sql_lexer;
using pgrelay::proxy::token_kind;

constexpr std::string_view short_select = "SELECT id, name FROM users WHERE id = $1";

constexpr std::string_view typical_select =  // about 100 bytes
    "SELECT u.id, u.name, o.total FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id = $1";

const std::string& one_kb_select() {
    static const std::string sql = [] {
        std::string s =
            "/* app=shop,controller=orders,action=index */\n"
            "SELECT o.id, o.created_at, o.status, -- the order\n"
            "       c.name AS \"Customer Name\", c.email,\n"
            "       coalesce(o.note, 'n/a; nothing to say, FOR UPDATE is only text') AS note,\n"
            "       E'tab\\there', $$dollar; quoted DELETE FROM t$$,\n";
        int i = 0;
        while (s.size() < 900) {
            s += "       sum(li.qty * li.price) FILTER (WHERE li.kind = 'k" + std::to_string(i) +
                 "') AS total_" + std::to_string(i) + ", /* column " + std::to_string(i) + " */\n";
            ++i;
        }
        s += "       1 AS one\n"
             "FROM orders o JOIN customers c ON c.id = o.customer_id\n"
             "LEFT JOIN line_items li ON li.order_id = o.id\n"
             "WHERE o.created_at > now() - interval '30 days' AND o.status IN ('paid', 'sent')\n"
             "GROUP BY o.id, c.name, c.email ORDER BY o.created_at DESC LIMIT 50";
        return s;
    }();
    return sql;
}

constexpr std::string_view multi_statement =
    "BEGIN; SET LOCAL statement_timeout = '5s'; "
    "SELECT balance FROM accounts WHERE id = 42 FOR UPDATE; "
    "UPDATE accounts SET balance = balance - 10 WHERE id = 42; "
    "INSERT INTO ledger (account_id, amount) VALUES (42, -10); COMMIT";

constexpr std::string_view writing_cte =
    "WITH moved AS (DELETE FROM queue WHERE id IN (SELECT id FROM queue ORDER BY id LIMIT 10 "
    "FOR UPDATE SKIP LOCKED) RETURNING *) INSERT INTO done SELECT * FROM moved";

constexpr std::string_view set_statement = "SET search_path TO \"$user\", public, extensions";

void run(benchmark::State& state, std::string_view sql, const sql_classifier& classifier) {
    for (auto _ : state) {
        query_info q = classifier.classify(sql);
        benchmark::DoNotOptimize(q);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(sql.size()));
}

void bm_classify_short_select(benchmark::State& state) {
    run(state, short_select, sql_classifier{});
}
BENCHMARK(bm_classify_short_select);

void bm_classify_typical_select(benchmark::State& state) {
    run(state, typical_select, sql_classifier{});
}
BENCHMARK(bm_classify_typical_select);

void bm_classify_typical_select_with_function_list(benchmark::State& state) {
    classifier_options options;
    options.writing_functions = {"audit.log_event", "billing.charge", "enqueue_job",
                                 "refresh_cache", "bump_counter"};
    run(state, typical_select, sql_classifier{options});
}
BENCHMARK(bm_classify_typical_select_with_function_list);

void bm_classify_1kb_select(benchmark::State& state) {
    run(state, one_kb_select(), sql_classifier{});
}
BENCHMARK(bm_classify_1kb_select);

void bm_classify_multi_statement(benchmark::State& state) {
    run(state, multi_statement, sql_classifier{});
}
BENCHMARK(bm_classify_multi_statement);

void bm_classify_writing_cte(benchmark::State& state) {
    run(state, writing_cte, sql_classifier{});
}
BENCHMARK(bm_classify_writing_cte);

void bm_classify_set(benchmark::State& state) {
    run(state, set_statement, sql_classifier{});
}
BENCHMARK(bm_classify_set);

void bm_lex_1kb_select(benchmark::State& state) {
    const std::string& sql = one_kb_select();
    for (auto _ : state) {
        sql_lexer lex(sql);
        std::size_t tokens = 0;
        while (lex.next().kind != token_kind::end)
            ++tokens;
        benchmark::DoNotOptimize(tokens);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(sql.size()));
}
BENCHMARK(bm_lex_1kb_select);

}  // namespace
