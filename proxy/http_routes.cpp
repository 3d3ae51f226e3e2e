// Request routing of the HTTP server; see http_routes.hpp.
#include "proxy/http_routes.hpp"

namespace pgrelay::proxy {

namespace {

std::optional<http_endpoint> endpoint_at(std::string_view path) {
    if (path == "/livez") return http_endpoint::livez;
    if (path == "/readyz") return http_endpoint::readyz;
    if (path == "/topology") return http_endpoint::topology;
    if (path == "/metrics") return http_endpoint::metrics;
    return std::nullopt;
}

}  // namespace

http_route route_http_request(std::string_view method, std::string_view target) {
    const auto endpoint = endpoint_at(target.substr(0, target.find('?')));
    if (!endpoint) return {std::nullopt, 404};
    if (method != "GET" && method != "HEAD") return {std::nullopt, 405};
    return {endpoint, 200};
}

}  // namespace pgrelay::proxy
