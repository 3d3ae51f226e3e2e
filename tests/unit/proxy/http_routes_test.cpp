// HTTP request routing: the four endpoints for GET and HEAD, a query string ignored, 405 for
// other methods on known paths, 404 for every other path whatever the method.
#include "proxy/http_routes.hpp"

#include <gtest/gtest.h>

namespace pgrelay::proxy {
namespace {

TEST(HttpRoutes, EndpointsForGetAndHead) {
    const std::pair<const char*, http_endpoint> paths[] = {{"/livez", http_endpoint::livez},
                                                           {"/readyz", http_endpoint::readyz},
                                                           {"/topology", http_endpoint::topology},
                                                           {"/metrics", http_endpoint::metrics}};
    for (const auto& [path, endpoint] : paths) {
        for (const char* method : {"GET", "HEAD"}) {
            const auto route = route_http_request(method, path);
            EXPECT_EQ(route.endpoint, endpoint) << method << " " << path;
            EXPECT_EQ(route.status, 200u);
        }
    }
}

TEST(HttpRoutes, QueryStringIsIgnored) {
    EXPECT_EQ(route_http_request("GET", "/readyz?verbose=1").endpoint, http_endpoint::readyz);
    EXPECT_EQ(route_http_request("GET", "/metrics?").endpoint, http_endpoint::metrics);
}

TEST(HttpRoutes, OtherMethodsOnKnownPathsAre405) {
    for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", "head"}) {
        const auto route = route_http_request(method, "/readyz");
        EXPECT_FALSE(route.endpoint) << method;
        EXPECT_EQ(route.status, 405u) << method;
    }
}

TEST(HttpRoutes, UnknownPathsAre404WhateverTheMethod) {
    for (const char* target : {"/", "", "/livez/", "/LIVEZ", "/readyz/x", "/healthz", "livez",
                               "http://localhost/livez", "/metrics#x", "*"}) {
        for (const char* method : {"GET", "POST"}) {
            const auto route = route_http_request(method, target);
            EXPECT_FALSE(route.endpoint) << method << " " << target;
            EXPECT_EQ(route.status, 404u) << method << " " << target;
        }
    }
}

}  // namespace
}  // namespace pgrelay::proxy
