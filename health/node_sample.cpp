// Names of probe failures, as they appear at the start of node reasons and log lines
// (e.g. "connect refused: <libpq message>", "starting up (57P03)").
#include "health/node_sample.hpp"

namespace pgrelay::health {

std::string_view to_string(probe_failure f) {
    switch (f) {
        case probe_failure::none:
            return "none";
        case probe_failure::connect_refused:
            return "connect refused";
        case probe_failure::connect_timeout:
            return "connect timeout";
        case probe_failure::auth_failed:
            return "auth failed";
        case probe_failure::starting_up:
            return "starting up (57P03)";
        case probe_failure::query_timeout:
            return "query timeout";
        case probe_failure::query_failed:
            return "query failed";
        case probe_failure::connection_lost:
            return "connection lost";
    }
    return "unknown failure";
}

}  // namespace pgrelay::health
