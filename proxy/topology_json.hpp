// The /topology body: the topology snapshot as one JSON document, its nodes as the rows of
// SHOW NODES (admin_views.hpp), so the console and the HTTP endpoint show the same columns.
// Pure: strings escaped as RFC 8259 says, NULL cells (unknown values) as null.
#pragma once

#include <string>

#include "health/topology.hpp"
#include "protocol/result_set.hpp"

namespace pgrelay::proxy {

// Appends the rows of `rs` as a JSON array of objects, one member per column, named after
// it: integer and float columns as numbers (a non-finite float as null), boolean columns as
// true/false, every other column as a string, a NULL cell as null.
void append_rows_json(std::string& out, const protocol::result_set& rs);

// {"generation":N,"primary":"name" or null,"nodes":[...]} followed by a newline, the nodes
// being `nodes` (nodes_view's rows) as append_rows_json writes them.
[[nodiscard]] std::string topology_json(const health::topology& topology,
                                        const protocol::result_set& nodes);

}  // namespace pgrelay::proxy
