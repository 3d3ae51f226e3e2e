// Client authentication conversations; see client_auth.hpp.
#include "proxy/client_auth.hpp"

#include <openssl/rand.h>

#include "protocol/channel_binding.hpp"
#include "protocol/md5_auth.hpp"
#include "protocol/messages.hpp"
#include "protocol/scram.hpp"
#include "protocol/sqlstate.hpp"

namespace pgrelay::proxy {

namespace {

namespace sql = protocol::sqlstate;

client_auth_result refuse(std::string_view code, std::string message) {
    client_auth_result r;
    r.sqlstate = code;
    r.message = std::move(message);
    return r;
}

client_auth_result password_failed(const std::string& user) {
    // PostgreSQL's wording, whatever the reason (unknown user included): no user probing.
    return refuse(sql::invalid_password,
                  "password authentication failed for user \"" + user + "\"");
}

client_auth_result accept(server_credentials creds) {
    client_auth_result r;
    r.ok = true;
    r.credentials = std::move(creds);
    return r;
}

// Reads the client's next PasswordMessage-family message ('p'), or nothing on EOF,
// oversize or a different type (protocol violation).
asio::awaitable<std::optional<protocol::bytes>> read_password_body(peer_stream& s,
                                                                   wire_buffer& buf) {
    auto r = co_await read_message(s, buf);
    if (r.error != packet_error::none || r.message.type != protocol::fe::password)
        co_return std::nullopt;
    auto body = r.message.body();
    protocol::bytes copy(body.begin(), body.end());
    buf.consume(r.message.raw.size());
    co_return copy;
}

const std::array<std::uint8_t, 32>& mock_key() {
    static const auto key = protocol::scram::make_mock_key();
    return key;
}

asio::awaitable<client_auth_result> md5_auth(peer_stream& s, wire_buffer& buf,
                                             const std::string& name,
                                             const user_credentials* user) {
    std::array<std::uint8_t, 4> salt{};
    RAND_bytes(salt.data(), static_cast<int>(salt.size()));
    protocol::bytes out;
    protocol::write_auth_md5(out, salt);
    if (co_await write_all(s, out)) co_return refuse(sql::connection_failure, "client closed");
    auto body = co_await read_password_body(s, buf);
    if (!body) co_return refuse(sql::protocol_violation, "expected password response");
    auto response = protocol::parse_password_message(*body);
    if (!response) co_return refuse(sql::protocol_violation, "invalid password packet");
    if (!user || !user->md5_hash || !protocol::md5::verify(*user->md5_hash, salt, *response)) {
        co_return password_failed(name);
    }
    co_return accept(base_server_credentials(*user));
}

asio::awaitable<client_auth_result> scram_auth(peer_stream& s, wire_buffer& buf,
                                               const std::string& name,
                                               const user_credentials* user) {
    // An unknown user, or one without a SCRAM-usable secret, gets the same conversation
    // and fails at the end, as PostgreSQL does.
    auto exchange = user && user->scram ? protocol::scram::server_exchange(*user->scram)
                                        : protocol::scram::server_exchange::mock(name, mock_key());
    // Over TLS, channel binding is offered first, as PostgreSQL does.
    const auto& end_point = s.end_point();
    const bool plus_offered = !end_point.empty();
    protocol::bytes out;
    if (plus_offered) {
        protocol::write_auth_sasl(
            out, {protocol::scram::plus_mechanism_name, protocol::scram::mechanism_name});
    } else {
        protocol::write_auth_sasl(out, {protocol::scram::mechanism_name});
    }
    if (co_await write_all(s, out)) co_return refuse(sql::connection_failure, "client closed");

    auto first = co_await read_password_body(s, buf);
    if (!first) co_return refuse(sql::protocol_violation, "expected SASL response");
    auto initial = protocol::parse_sasl_initial_response(*first);
    if (!initial) co_return refuse(sql::protocol_violation, "invalid SASL initial response");
    const bool plus_selected =
        plus_offered && initial->mechanism == protocol::scram::plus_mechanism_name;
    if (initial->mechanism != protocol::scram::mechanism_name && !plus_selected) {
        co_return refuse(sql::protocol_violation,
                         "client selected an invalid SASL authentication mechanism");
    }
    if (plus_offered) exchange.bind_channel(end_point, plus_selected);
    auto step = exchange.handle_client_first(initial->data);
    if (!step.ok()) {
        co_return refuse(step.code == protocol::scram::error_code::unsupported
                             ? sql::feature_not_supported
                             : sql::protocol_violation,
                         step.message);
    }
    out.clear();
    protocol::write_auth_sasl_continue(out, step.message);
    if (co_await write_all(s, out)) co_return refuse(sql::connection_failure, "client closed");

    auto final_body = co_await read_password_body(s, buf);
    if (!final_body) co_return refuse(sql::protocol_violation, "expected SASL response");
    step = exchange.handle_client_final(protocol::as_chars(*final_body));
    if (step.code == protocol::scram::error_code::wrong_password) co_return password_failed(name);
    if (!step.ok()) co_return refuse(sql::protocol_violation, step.message);

    out.clear();
    protocol::write_auth_sasl_final(out, step.message);
    if (co_await write_all(s, out)) co_return refuse(sql::connection_failure, "client closed");
    auto creds = base_server_credentials(*user);
    creds.scram_keys = exchange.recovered_keys();
    co_return accept(std::move(creds));
}

}  // namespace

asio::awaitable<client_auth_result> authenticate_client(peer_stream& socket, wire_buffer& buffer,
                                                        auth_method method,
                                                        const std::string& user_name,
                                                        const user_credentials* user) {
    switch (method) {
        case auth_method::trust:
            if (!user) {
                co_return refuse(sql::invalid_authorization_specification,
                                 "no such user: \"" + user_name + "\" is not in the users file");
            }
            co_return accept(base_server_credentials(*user));
        case auth_method::md5:
            co_return co_await md5_auth(socket, buffer, user_name, user);
        case auth_method::scram_sha_256:
            co_return co_await scram_auth(socket, buffer, user_name, user);
    }
    co_return refuse(sql::internal_error, "unknown authentication method");
}

}  // namespace pgrelay::proxy
