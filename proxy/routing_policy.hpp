// The routing and pooling policies shared by the configuration and the data path: where a
// transaction may go (routing_mode, primary_reads, balance_policy) and when a server
// connection goes back to its pool (pool_mode), with their spellings in the configuration file.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pgrelay::proxy {

// Per database or listener: everything to the primary, reads to standbys, or split.
enum class routing_mode : std::uint8_t { primary, standby, automatic };
// Whether the primary also serves reads: never, only when no standby is readable, or
// always as one more candidate.
enum class primary_reads : std::uint8_t { never, fallback, always };
enum class balance_policy : std::uint8_t { least_outstanding, round_robin, weighted };
// When a client gives its server connection back: when it disconnects (session), or at the
// end of each transaction (transaction).
enum class pool_mode : std::uint8_t { session, transaction };

// The spellings used in the file; exact, lower case. The parse functions accept exactly
// what to_string returns and nothing else.
// "primary", "standby", "auto".
[[nodiscard]] std::string_view to_string(routing_mode mode) noexcept;
[[nodiscard]] std::optional<routing_mode> parse_routing_mode(std::string_view text);
// "never", "fallback", "always".
[[nodiscard]] std::string_view to_string(primary_reads policy) noexcept;
[[nodiscard]] std::optional<primary_reads> parse_primary_reads(std::string_view text);
// "least_outstanding", "round_robin", "weighted".
[[nodiscard]] std::string_view to_string(balance_policy policy) noexcept;
[[nodiscard]] std::optional<balance_policy> parse_balance_policy(std::string_view text);
// "session", "transaction".
[[nodiscard]] std::string_view to_string(pool_mode mode) noexcept;
[[nodiscard]] std::optional<pool_mode> parse_pool_mode(std::string_view text);

}  // namespace pgrelay::proxy
