// Whether this pgrelay is ready for clients (the /readyz answer): its listener is up, it is
// not shutting down, and the topology knows a primary that takes transactions, or, with
// [http] ready_without_primary, at least a readable standby. Pure: snapshots in, verdict out.
#pragma once

#include <string>

#include "health/topology.hpp"
#include "proxy/control_state.hpp"

namespace pgrelay::proxy {

struct readiness {
    bool ready = false;
    // One line: "ready", "ready (read-only: no primary known)", "no primary known",
    // "shutting down", ...
    std::string reason;
};

// The listener is taken as up (the HTTP endpoint runs beside it). A node disabled by an
// operator (DISABLE NODE) counts as absent; PAUSE does not make pgrelay unready (clients
// connect and their transactions wait).
[[nodiscard]] readiness judge_readiness(const health::topology& topology,
                                        const control_state& control, bool ready_without_primary);

}  // namespace pgrelay::proxy
