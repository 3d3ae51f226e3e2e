// Which endpoint of the HTTP server answers a request, from its method and target alone:
// /livez, /readyz, /topology and /metrics for GET and HEAD; 405 (with the Allow list) for
// another method on those paths, 404 for any other path. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pgrelay::proxy {

enum class http_endpoint : std::uint8_t {
    livez,     // the process runs
    readyz,    // ready for clients (readiness.hpp)
    topology,  // the topology snapshot as JSON (topology_json.hpp)
    metrics,   // Prometheus text
};

// The methods every endpoint accepts, as an Allow header lists them.
inline constexpr std::string_view http_allowed_methods = "GET, HEAD";

struct http_route {
    std::optional<http_endpoint> endpoint;  // set: serve it (status 200 or what it decides)
    unsigned status = 200;                  // without an endpoint: 404 or 405
};

// `target` is the request target as sent ("/readyz", "/readyz?verbose"); a query is ignored.
// Methods are case-sensitive (RFC 9110 section 9.1).
[[nodiscard]] http_route route_http_request(std::string_view method, std::string_view target);

}  // namespace pgrelay::proxy
