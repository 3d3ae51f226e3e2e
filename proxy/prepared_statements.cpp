// Prepared statements shared by name across server connections; see prepared_statements.hpp.
#include "proxy/prepared_statements.hpp"

#include <array>

#include "protocol/extended_query.hpp"

namespace pgrelay::proxy {

std::string server_statement_name(std::string_view query, protocol::byte_view parameter_types) {
    // FNV-1a, 64 bits: a collision is caught by same_statement() before reuse.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    auto mix = [&h](std::uint8_t b) {
        h ^= b;
        h *= 0x100000001b3ULL;
    };
    for (char c : query)
        mix(static_cast<std::uint8_t>(c));
    mix(0);
    for (auto b : parameter_types)
        mix(b);
    static constexpr std::array<char, 16> hex{'0', '1', '2', '3', '4', '5', '6', '7',
                                              '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    std::string name = "pgrelay_";
    for (int shift = 60; shift >= 0; shift -= 4)
        name.push_back(hex[(h >> shift) & 0xf]);
    return name;
}

prepared_statement::prepared_statement(std::string_view query, protocol::byte_view types,
                                       const sql_classifier& classifier, lexer_options lexing)
    : sql(query),
      parameter_types(types.begin(), types.end()),
      server_name(server_statement_name(query, types)) {
    protocol::write_parse(parse_message, server_name, sql, parameter_types);
    info = classifier.classify(sql, lexing);
}

}  // namespace pgrelay::proxy
