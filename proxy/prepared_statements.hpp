// Named prepared statements across server connections: each client statement gets a
// server-side name derived from its text and parameter types, so every client preparing
// the same statement shares one server statement, and pgrelay prepares it on whichever
// server connection a transaction lands on. Also holds the statement's classification.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "protocol/byte_io.hpp"
#include "proxy/sql_classifier.hpp"

namespace pgrelay::proxy {

struct prepared_statement {
    prepared_statement(std::string_view query, protocol::byte_view parameter_types,
                       const sql_classifier& classifier, lexer_options lexing);
    prepared_statement(const prepared_statement&) = delete;
    prepared_statement& operator=(const prepared_statement&) = delete;

    std::string sql;
    protocol::bytes parameter_types;  // as in the Parse message
    std::string server_name;          // "pgrelay_" + 16 hex digits
    protocol::bytes parse_message;    // Parse under server_name, ready to send
    query_info info;                  // points into `sql`

    bool same_statement(const prepared_statement& other) const {
        return sql == other.sql && parameter_types == other.parameter_types;
    }
};

using statement_ptr = std::shared_ptr<const prepared_statement>;

// Looked up by the string_view names found in messages, without copying them.
struct name_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};
using statement_map = std::unordered_map<std::string, statement_ptr, name_hash, std::equal_to<>>;

// The server-side name for a statement: stable for equal text and parameter types.
std::string server_statement_name(std::string_view query, protocol::byte_view parameter_types);

}  // namespace pgrelay::proxy
