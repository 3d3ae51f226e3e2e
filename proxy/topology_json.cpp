// JSON for /topology; see topology_json.hpp.
#include "proxy/topology_json.hpp"

#include <cctype>

#include "proxy/log_line.hpp"

namespace pgrelay::proxy {

namespace {

using protocol::pg_type;

// -?digits(.digits)?([eE][+-]?digits)? (RFC 8259 section 6, leading zeros allowed: the cells
// come from our own formatting).
bool is_json_number(std::string_view text) {
    std::size_t i = 0;
    const auto digits = [&] {
        const std::size_t start = i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
            ++i;
        return i > start;
    };
    if (i < text.size() && text[i] == '-') ++i;
    if (!digits()) return false;
    if (i < text.size() && text[i] == '.') {
        ++i;
        if (!digits()) return false;
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
        if (!digits()) return false;
    }
    return i == text.size();
}

void append_cell(std::string& out, pg_type type, const protocol::cell& cell) {
    if (!cell) {
        out += "null";
        return;
    }
    switch (type) {
        case pg_type::int4:
        case pg_type::int8:
        case pg_type::float8:
            out += is_json_number(*cell) ? *cell : "null";
            return;
        case pg_type::boolean:
            out += *cell == "t" ? "true" : *cell == "f" ? "false" : "null";
            return;
        default:
            append_json_string(out, *cell);
            return;
    }
}

}  // namespace

void append_rows_json(std::string& out, const protocol::result_set& rs) {
    out += '[';
    for (std::size_t r = 0; r < rs.rows.size(); ++r) {
        if (r > 0) out += ',';
        out += '{';
        for (std::size_t c = 0; c < rs.columns.size(); ++c) {
            if (c > 0) out += ',';
            append_json_string(out, rs.columns[c].name);
            out += ':';
            const auto& row = rs.rows[r];
            append_cell(out, rs.columns[c].type_oid, c < row.size() ? row[c] : protocol::cell{});
        }
        out += '}';
    }
    out += ']';
}

std::string topology_json(const health::topology& topology, const protocol::result_set& nodes) {
    std::string out = "{\"generation\":" + std::to_string(topology.generation) + ",\"primary\":";
    if (const health::node_status* primary = topology.primary_node())
        append_json_string(out, primary->name);
    else
        out += "null";
    out += ",\"nodes\":";
    append_rows_json(out, nodes);
    out += "}\n";
    return out;
}

}  // namespace pgrelay::proxy
