// Opening and authenticating server connections; see server_connection.hpp.
#include "proxy/server_connection.hpp"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>

#include "protocol/md5_auth.hpp"
#include "protocol/scram.hpp"
#include "protocol/sqlstate.hpp"
#include "protocol/startup.hpp"
#include "proxy/timeout.hpp"

namespace pgrelay::proxy {

namespace {

namespace sql = protocol::sqlstate;

server_failure failure(std::string_view code, std::string message) {
    return server_failure{code, std::move(message), {}};
}

asio::awaitable<std::variant<tcp::socket, server_failure>> connect_tcp(const server_endpoint& ep) {
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    auto [rec, endpoints] =
        co_await resolver.async_resolve(ep.host, std::to_string(ep.port), use_nothrow);
    if (rec) {
        co_return failure(sql::connection_failure,
                          "could not resolve server \"" + ep.host + "\": " + rec.message());
    }
    tcp::socket socket(ex);
    auto [cec, endpoint] = co_await asio::async_connect(socket, endpoints, use_nothrow);
    (void)endpoint;
    if (cec) {
        co_return failure(sql::connection_failure,
                          "could not connect to server \"" + ep.name + "\" at " + ep.host + ":" +
                              std::to_string(ep.port) + ": " + cec.message());
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    co_return std::move(socket);
}

std::string node_text(const server_endpoint& ep) {
    return "server \"" + ep.name + "\" at " + ep.host + ":" + std::to_string(ep.port);
}

// SSLRequest and, on 'S', the handshake (PostgreSQL docs 55.2.10). Exactly one byte is read
// before the handshake: anything the server sent after it would be unencrypted (CVE-2021-23222).
asio::awaitable<std::optional<server_failure>> start_tls(server_link& link,
                                                         const server_endpoint& ep) {
    const auto mode = ep.tls.mode;
    protocol::bytes request;
    protocol::write_ssl_request(request);
    if (auto ec = co_await write_all(link.socket, request)) {
        co_return failure(sql::connection_failure,
                          node_text(ep) + " closed the connection: " + ec.message());
    }
    std::uint8_t answer = 0;
    auto [rec, n] =
        co_await asio::async_read(link.socket.socket(), asio::buffer(&answer, 1), use_nothrow);
    (void)n;
    if (rec) {
        co_return failure(sql::connection_failure,
                          node_text(ep) + " closed the connection after SSLRequest");
    }
    const std::string why = " (server_tls = \"" + to_string(mode) + "\")";
    if (answer == 'N') {
        if (mode == server_tls_mode::prefer) co_return std::nullopt;
        co_return failure(sql::connection_failure, node_text(ep) + " does not accept TLS" + why);
    }
    if (answer != 'S') {
        co_return failure(sql::connection_failure,
                          node_text(ep) + " answered SSLRequest with an unexpected byte");
    }
    auto reason =
        co_await link.socket.connect_tls(ep.tls.ssl, ep.host, mode == server_tls_mode::verify_full);
    if (!reason.empty()) {
        co_return failure(sql::connection_failure,
                          "TLS handshake with " + node_text(ep) + " failed: " + reason + why);
    }
    co_return std::nullopt;
}

// The authentication conversation (PostgreSQL docs 55.2.1). Returns an empty failure
// message on AuthenticationOk.
class server_authenticator {
  public:
    server_authenticator(const server_login& login) : login_(login) {}

    // Answers one Authentication request; fills `reply` with what to send back.
    std::optional<server_failure> answer(const protocol::auth_request& req,
                                         protocol::bytes& reply) {
        using protocol::auth_code;
        const auto& creds = login_.credentials;
        switch (req.code) {
            case auth_code::ok:
                return std::nullopt;
            case auth_code::cleartext_password:
                if (!creds.password) return no_secret("a plaintext password");
                protocol::write_password_message(reply, *creds.password);
                return std::nullopt;
            case auth_code::md5_password: {
                std::string hash;
                if (creds.md5_hash) {
                    hash = *creds.md5_hash;
                } else if (creds.password) {
                    hash = protocol::md5::password_hash(*creds.password, login_.user);
                } else {
                    return no_secret("an MD5 password");
                }
                protocol::write_password_message(
                    reply, protocol::md5::salted_response(hash, req.md5_salt));
                return std::nullopt;
            }
            case auth_code::sasl: {
                if (std::find(req.mechanisms.begin(), req.mechanisms.end(),
                              protocol::scram::mechanism_name) == req.mechanisms.end()) {
                    return failure(sql::connection_failure,
                                   "server requested an unsupported SASL mechanism");
                }
                if (creds.password) {
                    scram_.emplace(*creds.password);
                } else if (creds.scram_keys) {
                    scram_.emplace(*creds.scram_keys);
                } else {
                    return no_secret("SCRAM-SHA-256 credentials");
                }
                protocol::write_sasl_initial_response(reply, protocol::scram::mechanism_name,
                                                      scram_->client_first_message());
                return std::nullopt;
            }
            case auth_code::sasl_continue: {
                if (!scram_) return unexpected();
                auto r = scram_->handle_server_first(req.data);
                if (!r.ok()) {
                    return failure(sql::connection_failure,
                                   "SCRAM exchange with server failed: " + r.message +
                                       (r.detail.empty() ? "" : " (" + r.detail + ")"));
                }
                protocol::write_sasl_response(reply, r.message);
                return std::nullopt;
            }
            case auth_code::sasl_final:
                if (!scram_ || !scram_->verify_server_final(req.data)) {
                    return failure(sql::connection_failure,
                                   "server's SCRAM signature did not verify");
                }
                return std::nullopt;
            default:
                return failure(sql::connection_failure,
                               "server requested an unsupported authentication method (code " +
                                   std::to_string(static_cast<int>(req.code)) + ")");
        }
    }

  private:
    server_failure no_secret(std::string_view what) {
        return failure(sql::connection_failure,
                       "server login failed: the server asks for " + std::string(what) +
                           " and pgrelay has none for user \"" + login_.user + "\"");
    }
    static server_failure unexpected() {
        return failure(sql::protocol_violation, "unexpected authentication message from server");
    }

    const server_login& login_;
    std::optional<protocol::scram::client_exchange> scram_;
};

asio::awaitable<server_open_result> open_server_unbounded(const server_endpoint& endpoint,
                                                          const server_login& login) {
    auto connected = co_await connect_tcp(endpoint);
    if (auto* f = std::get_if<server_failure>(&connected)) co_return std::move(*f);
    server_link link(std::move(std::get<tcp::socket>(connected)));
    if (endpoint.tls.mode != server_tls_mode::disable) {
        if (auto f = co_await start_tls(link, endpoint)) co_return std::move(*f);
    }

    protocol::bytes out;
    std::vector<std::pair<std::string, std::string>> params{{"user", login.user},
                                                            {"database", login.database}};
    for (const auto& p : login.parameters)
        params.push_back(p);
    protocol::write_startup_message(out, params);
    if (auto ec = co_await write_all(link.socket, out)) {
        co_return failure(sql::connection_failure, "server closed the connection: " + ec.message());
    }

    server_authenticator auth(login);
    bool authenticated = false;
    while (true) {
        auto r = co_await read_message(link.socket, link.buffer);
        if (r.error != packet_error::none) {
            co_return failure(sql::connection_failure,
                              r.error == packet_error::closed
                                  ? "server closed the connection during login"
                                  : "server sent an invalid message during login");
        }
        const auto msg = r.message;
        const auto body = msg.body();
        switch (msg.type) {
            case protocol::be::authentication: {
                auto req = protocol::parse_auth_request(body);
                if (!req || authenticated) {
                    co_return failure(sql::protocol_violation,
                                      "server sent an invalid authentication message");
                }
                out.clear();
                if (auto f = auth.answer(*req, out)) co_return std::move(*f);
                if (req->code == protocol::auth_code::ok) authenticated = true;
                if (!out.empty()) {
                    if (auto ec = co_await write_all(link.socket, out)) {
                        co_return failure(sql::connection_failure,
                                          "server closed the connection: " + ec.message());
                    }
                }
                break;
            }
            case protocol::be::error_response: {
                server_failure f;
                auto fields = protocol::parse_error_fields(body);
                f.sqlstate = sql::connection_failure;
                f.message = fields ? fields->message : "server refused the login";
                f.server_error.assign(msg.raw.begin(), msg.raw.end());
                co_return f;
            }
            case protocol::be::parameter_status: {
                auto p = protocol::parse_parameter_status(body);
                if (p) link.parameters.emplace_back(p->name, p->value);
                break;
            }
            case protocol::be::backend_key_data: {
                auto k = protocol::parse_backend_key_data(body);
                if (k) link.key = *k;
                break;
            }
            case protocol::be::ready_for_query:
                if (!authenticated) {
                    co_return failure(sql::protocol_violation,
                                      "server sent ReadyForQuery before authentication");
                }
                link.transaction_status = body.empty() ? 'I' : static_cast<char>(body[0]);
                link.buffer.consume(msg.raw.size());
                co_return std::move(link);
            default:
                // NoticeResponse and NegotiateProtocolVersion need no answer.
                break;
        }
        link.buffer.consume(msg.raw.size());
    }
}

}  // namespace

asio::awaitable<server_open_result> open_server(const server_endpoint& endpoint,
                                                const server_login& login,
                                                std::chrono::milliseconds connect_timeout) {
    auto r = co_await with_timeout(open_server_unbounded(endpoint, login), connect_timeout);
    if (!r) {
        co_return failure(sql::connection_failure, "timeout connecting to server \"" +
                                                       endpoint.name + "\" at " + endpoint.host +
                                                       ":" + std::to_string(endpoint.port));
    }
    co_return std::move(*r);
}

asio::awaitable<void> send_cancel(const std::string& host, std::uint16_t port,
                                  protocol::backend_key key, std::chrono::milliseconds timeout) {
    // A named endpoint: GCC 12 mishandles temporaries bound to references across co_await.
    const server_endpoint endpoint{host, host, port};
    auto op = [&]() -> asio::awaitable<bool> {
        auto connected = co_await connect_tcp(endpoint);
        auto* socket = std::get_if<tcp::socket>(&connected);
        if (!socket) co_return false;
        protocol::bytes out;
        protocol::write_cancel_request(out, {key.process_id, key.secret_key});
        co_await write_all(*socket, out);
        // The server closes the connection once it has the request.
        std::uint8_t byte;
        co_await socket->async_read_some(asio::buffer(&byte, 1), use_nothrow);
        co_return true;
    };
    co_await with_timeout(op(), timeout);
}

}  // namespace pgrelay::proxy
