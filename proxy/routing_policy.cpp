// Spellings of the routing and pooling policies, as written in the configuration file.
#include "proxy/routing_policy.hpp"

namespace pgrelay::proxy {

std::string_view to_string(routing_mode mode) noexcept {
    switch (mode) {
        case routing_mode::primary:
            return "primary";
        case routing_mode::standby:
            return "standby";
        case routing_mode::automatic:
            return "auto";
    }
    return "unknown";
}

std::optional<routing_mode> parse_routing_mode(std::string_view text) {
    if (text == "primary") return routing_mode::primary;
    if (text == "standby") return routing_mode::standby;
    if (text == "auto") return routing_mode::automatic;
    return std::nullopt;
}

std::string_view to_string(primary_reads policy) noexcept {
    switch (policy) {
        case primary_reads::never:
            return "never";
        case primary_reads::fallback:
            return "fallback";
        case primary_reads::always:
            return "always";
    }
    return "unknown";
}

std::optional<primary_reads> parse_primary_reads(std::string_view text) {
    if (text == "never") return primary_reads::never;
    if (text == "fallback") return primary_reads::fallback;
    if (text == "always") return primary_reads::always;
    return std::nullopt;
}

std::string_view to_string(balance_policy policy) noexcept {
    switch (policy) {
        case balance_policy::least_outstanding:
            return "least_outstanding";
        case balance_policy::round_robin:
            return "round_robin";
        case balance_policy::weighted:
            return "weighted";
    }
    return "unknown";
}

std::optional<balance_policy> parse_balance_policy(std::string_view text) {
    if (text == "least_outstanding") return balance_policy::least_outstanding;
    if (text == "round_robin") return balance_policy::round_robin;
    if (text == "weighted") return balance_policy::weighted;
    return std::nullopt;
}

std::string_view to_string(pool_mode mode) noexcept {
    switch (mode) {
        case pool_mode::session:
            return "session";
        case pool_mode::transaction:
            return "transaction";
    }
    return "unknown";
}

std::optional<pool_mode> parse_pool_mode(std::string_view text) {
    if (text == "session") return pool_mode::session;
    if (text == "transaction") return pool_mode::transaction;
    return std::nullopt;
}

}  // namespace pgrelay::proxy
