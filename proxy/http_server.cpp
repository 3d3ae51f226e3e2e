// The HTTP endpoint's connections and answers; see http_server.hpp. Which endpoint answers
// comes from http_routes, /readyz's verdict from readiness, /topology's body from
// topology_json: this file only reads requests and writes responses.
#include "proxy/http_server.hpp"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <memory>

#include "proxy/admin_views.hpp"
#include "proxy/http_routes.hpp"
#include "proxy/log.hpp"
#include "proxy/prometheus_text.hpp"
#include "proxy/readiness.hpp"
#include "proxy/topology_json.hpp"

namespace pgrelay::proxy {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

constexpr std::string_view text_type = "text/plain; charset=utf-8";
constexpr std::string_view json_type = "application/json";

response make_response(http::status status, std::string_view content_type, std::string body) {
    response res{status, 11};
    res.set(http::field::server, "pgrelay/" PGRELAY_VERSION);
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-store");
    res.body() = std::move(body);
    return res;
}

response text_response(http::status status, std::string body) {
    return make_response(status, text_type, std::move(body));
}

// The answer to a request the parser refused, or nothing when the connection just ends
// (closed, reset, timed out) and there is no one to answer.
std::optional<response> refusal(const error_code& ec) {
    if (ec == http::error::header_limit) {
        return text_response(http::status::request_header_fields_too_large,
                             "request header fields too large\n");
    }
    if (ec == http::error::body_limit) {
        return text_response(http::status::payload_too_large, "payload too large\n");
    }
    if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
        return text_response(http::status::bad_request, "bad request\n");
    }
    return std::nullopt;
}

response readiness_response(proxy_state& state) {
    const auto topology = state.topology->load();
    const auto verdict =
        judge_readiness(topology ? *topology : health::topology{}, *state.control.load(),
                        state.configuration.load()->http.ready_without_primary);
    return text_response(verdict.ready ? http::status::ok : http::status::service_unavailable,
                         verdict.reason + "\n");
}

response topology_response(proxy_state& state) {
    const auto cfg = state.configuration.load();
    const auto snapshot = state.topology->load();
    const health::topology& topology = snapshot ? *snapshot : health::topology{};
    const auto nodes =
        nodes_view(topology, *cfg, *state.control.load(), state.in_flight(cfg->nodes.size()),
                   std::chrono::steady_clock::now());
    return make_response(http::status::ok, json_type, topology_json(topology, nodes));
}

asio::awaitable<response> metrics_response(const metrics_body& metrics) {
    std::string body;
    try {
        body = co_await metrics();
    } catch (const std::exception& e) {
        log_error("cannot produce the metrics", {{"error", e.what()}});
        co_return text_response(http::status::internal_server_error,
                                "cannot produce the metrics\n");
    }
    co_return make_response(http::status::ok, prometheus_content_type, std::move(body));
}

asio::awaitable<response> answer(const request& req, proxy_state& state,
                                 const metrics_body& metrics) {
    const auto route = route_http_request(req.method_string(), req.target());
    if (!route.endpoint) {
        if (route.status == 405) {
            response res = text_response(http::status::method_not_allowed, "method not allowed\n");
            res.set(http::field::allow, http_allowed_methods);
            co_return res;
        }
        co_return text_response(http::status::not_found, "not found\n");
    }
    if (*route.endpoint == http_endpoint::metrics) co_return co_await metrics_response(metrics);
    if (*route.endpoint == http_endpoint::readyz) co_return readiness_response(state);
    if (*route.endpoint == http_endpoint::topology) co_return topology_response(state);
    co_return text_response(http::status::ok, "ok\n");
}

// Reads and drops what the client still sends, until it closes or `linger` passes.
asio::awaitable<void> drain(beast::tcp_stream& stream, std::chrono::milliseconds linger) {
    std::array<char, 4096> sink;
    stream.expires_after(linger);
    while (true) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_nothrow);
        if (ec) co_return;
    }
}

// Holds one of the connections the server allows while it lives.
class connection_slot {
  public:
    explicit connection_slot(std::shared_ptr<std::size_t> open) : open_(std::move(open)) {
        ++*open_;
    }
    connection_slot(const connection_slot&) = delete;
    connection_slot& operator=(const connection_slot&) = delete;
    ~connection_slot() { --*open_; }

  private:
    std::shared_ptr<std::size_t> open_;
};

asio::awaitable<void> serve_connection(beast::tcp_stream stream, proxy_state& state,
                                       metrics_body metrics, http_limits limits,
                                       [[maybe_unused]] std::unique_ptr<connection_slot> slot) {
    beast::flat_buffer buffer;
    bool keep_alive = true;
    bool refused = false;
    while (keep_alive) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(limits.header_limit);
        parser.body_limit(limits.body_limit);
        stream.expires_after(limits.read_timeout);
        auto [read_error, read_size] =
            co_await http::async_read(stream, buffer, parser, use_nothrow);
        response res;
        bool head = false;
        if (read_error) {
            auto refusal_answer = refusal(read_error);
            if (!refusal_answer) break;
            res = std::move(*refusal_answer);
            keep_alive = false;
            refused = true;
        } else {
            const request& req = parser.get();
            res = co_await answer(req, state, metrics);
            keep_alive = req.keep_alive();
            head = req.method() == http::verb::head;
        }
        res.keep_alive(keep_alive);
        res.prepare_payload();
        if (head) res.body().clear();  // Content-Length stays that of the GET answer
        stream.expires_after(limits.write_timeout);
        auto [write_error, written] = co_await http::async_write(stream, res, use_nothrow);
        if (write_error) break;
    }
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    // After a refusal the client may still be sending; closing with unread bytes would reset
    // the connection and could destroy the answer before the client reads it.
    if (refused) co_await drain(stream, limits.linger);
    stream.close();
}

}  // namespace

asio::awaitable<void> run_http_server(tcp::acceptor& acceptor, proxy_state& state,
                                      metrics_body metrics, http_limits limits) {
    auto ex = co_await asio::this_coro::executor;
    auto open = std::make_shared<std::size_t>(0);
    while (acceptor.is_open()) {
        auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) {
            log_error("HTTP accept failed", {{"error", ec.message()}});
            asio::steady_timer pause(ex, std::chrono::milliseconds(100));
            co_await pause.async_wait(use_nothrow);
            continue;
        }
        if (*open >= limits.max_connections) {
            log_warning("HTTP connection refused: too many open",
                        {{"max", std::to_string(limits.max_connections)}});
            error_code ignored;
            socket.close(ignored);
            continue;
        }
        asio::co_spawn(ex,
                       serve_connection(beast::tcp_stream(std::move(socket)), state, metrics,
                                        limits, std::make_unique<connection_slot>(open)),
                       asio::detached);
    }
}

}  // namespace pgrelay::proxy
