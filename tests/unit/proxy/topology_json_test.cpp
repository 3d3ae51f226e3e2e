// The /topology JSON: the document's shape with SHOW NODES rows (a primary and a standby, and a
// node not checked yet whose unknown values are null), the cell types (numbers, booleans,
// strings, null), and string escaping (quotes, backslashes, control characters).
#include "proxy/topology_json.hpp"

#include <gtest/gtest.h>

#include "proxy/admin_views.hpp"
#include "tests/unit/proxy/sample_topology.hpp"

namespace pgrelay::proxy {
namespace {

using health::node_role;
using health::node_state;
using protocol::pg_type;
using clock = std::chrono::steady_clock;

std::string rows_json(const protocol::result_set& rs) {
    std::string out;
    append_rows_json(out, rs);
    return out;
}

protocol::result_set one_text_cell(std::string text) {
    protocol::result_set rs;
    rs.columns = {{"v", pg_type::text}};
    rs.rows = {{std::move(text)}};
    return rs;
}

TEST(TopologyJson, PrimaryStandbyAndAnUncheckedNode) {
    config cfg;
    cfg.nodes = {{.name = "pg1", .host = "10.0.0.1", .port = 5432},
                 {.name = "pg2", .host = "10.0.0.2", .port = 5433},
                 {.name = "pg3", .host = "10.0.0.3", .port = 5434}};
    const auto now = clock::now();
    const health::topology t = sample::primary_and_standby(now);  // pg3: not in it yet
    const auto json = topology_json(t, nodes_view(t, cfg, {}, {3, 0, 0}, now));
    EXPECT_EQ(json,
              "{\"generation\":7,\"primary\":\"pg1\",\"nodes\":["
              "{\"name\":\"pg1\",\"host\":\"10.0.0.1\",\"port\":5432,\"role\":\"primary\","
              "\"timeline\":2,\"state\":\"up\",\"readable\":false,"
              "\"reason\":\"primary on timeline 2\",\"current_lsn\":\"0/3000060\","
              "\"received_lsn\":null,\"replayed_lsn\":null,\"lag_bytes\":0,\"lag_ms\":0,"
              "\"last_check\":0.5,\"in_flight\":3,\"generation\":7},"
              "{\"name\":\"pg2\",\"host\":\"10.0.0.2\",\"port\":5433,\"role\":\"standby\","
              "\"timeline\":2,\"state\":\"up\",\"readable\":true,"
              "\"reason\":\"streaming, lag 96 B / 12 ms\",\"current_lsn\":null,"
              "\"received_lsn\":\"0/3000000\",\"replayed_lsn\":\"0/3000000\","
              "\"lag_bytes\":96,\"lag_ms\":12,\"last_check\":0,\"in_flight\":0,"
              "\"generation\":7},"
              "{\"name\":\"pg3\",\"host\":\"10.0.0.3\",\"port\":5434,\"role\":\"unknown\","
              "\"timeline\":null,\"state\":\"unknown\",\"readable\":false,\"reason\":\"\","
              "\"current_lsn\":null,\"received_lsn\":null,\"replayed_lsn\":null,"
              "\"lag_bytes\":null,\"lag_ms\":null,\"last_check\":null,\"in_flight\":0,"
              "\"generation\":7}]}\n");
}

TEST(TopologyJson, NoPrimaryIsNullAndNoNodesAnEmptyArray) {
    health::topology t;
    t.generation = 3;
    EXPECT_EQ(topology_json(t, protocol::result_set{}),
              "{\"generation\":3,\"primary\":null,\"nodes\":[]}\n");
}

TEST(TopologyJson, PrimaryNameIsEscaped) {
    health::topology t;
    health::node_status p;
    p.name = "a\"b";
    t.nodes = {p};
    t.primary = 0;
    EXPECT_EQ(topology_json(t, {}), "{\"generation\":0,\"primary\":\"a\\\"b\",\"nodes\":[]}\n");
}

TEST(TopologyJson, StringsAreEscaped) {
    EXPECT_EQ(rows_json(one_text_cell("say \"hi\"")), "[{\"v\":\"say \\\"hi\\\"\"}]");
    EXPECT_EQ(rows_json(one_text_cell("C:\\pg\\data")), "[{\"v\":\"C:\\\\pg\\\\data\"}]");
    EXPECT_EQ(rows_json(one_text_cell("a\nb\tc\rd")), "[{\"v\":\"a\\nb\\tc\\rd\"}]");
    EXPECT_EQ(rows_json(one_text_cell(std::string("\x01\x1f\0z", 4))),
              "[{\"v\":\"\\u0001\\u001f\\u0000z\"}]");
    EXPECT_EQ(rows_json(one_text_cell("caf\xc3\xa9")), "[{\"v\":\"caf\xc3\xa9\"}]");
    EXPECT_EQ(rows_json(one_text_cell("bad \xff")), "[{\"v\":\"bad \xef\xbf\xbd\"}]");
}

TEST(TopologyJson, ColumnNamesAreEscapedToo) {
    protocol::result_set rs;
    rs.columns = {{"we\"ird", pg_type::int4}};
    rs.rows = {{"1"}};
    EXPECT_EQ(rows_json(rs), "[{\"we\\\"ird\":1}]");
}

TEST(TopologyJson, CellsByColumnType) {
    protocol::result_set rs;
    rs.columns = {{"i", pg_type::int4},    {"l", pg_type::int8},        {"f", pg_type::float8},
                  {"b", pg_type::boolean}, {"t", pg_type::timestamptz}, {"s", pg_type::text}};
    rs.rows = {{"-5", "9007199254740993", "1.5e+20", "t", "2024-01-02 03:04:05+00", "x"},
               {std::nullopt, std::nullopt, std::nullopt, "f", std::nullopt, std::nullopt}};
    EXPECT_EQ(rows_json(rs),
              "[{\"i\":-5,\"l\":9007199254740993,\"f\":1.5e+20,\"b\":true,"
              "\"t\":\"2024-01-02 03:04:05+00\",\"s\":\"x\"},"
              "{\"i\":null,\"l\":null,\"f\":null,\"b\":false,\"t\":null,\"s\":null}]");
}

// What JSON cannot say becomes null rather than an invalid document.
TEST(TopologyJson, NonNumbersInNumberColumnsAreNull) {
    protocol::result_set rs;
    rs.columns = {{"f", pg_type::float8}};
    for (const char* text : {"NaN", "Infinity", "-Infinity", "", "-", "1.", ".5", "1e", "0x10"}) {
        rs.rows = {{std::string(text)}};
        EXPECT_EQ(rows_json(rs), "[{\"f\":null}]") << text;
    }
    rs.columns = {{"b", pg_type::boolean}};
    rs.rows = {{"yes"}};
    EXPECT_EQ(rows_json(rs), "[{\"b\":null}]");
}

// A row shorter than the columns (never nodes_view's output) gets null for the rest.
TEST(TopologyJson, ShortRowsArePaddedWithNull) {
    protocol::result_set rs;
    rs.columns = {{"a", pg_type::text}, {"b", pg_type::text}};
    rs.rows = {{"x"}};
    EXPECT_EQ(rows_json(rs), "[{\"a\":\"x\",\"b\":null}]");
}

}  // namespace
}  // namespace pgrelay::proxy
