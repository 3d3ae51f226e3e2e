// One client connection from accept to close; see client_session.hpp and session.hpp.
#include "proxy/client_session.hpp"

#include "proxy/session.hpp"

namespace pgrelay::proxy {

asio::awaitable<void> run_client_session(tcp::socket socket, proxy_state& state,
                                         worker_context& worker) {
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    client_session session(std::move(socket), state, worker);
    co_await session.run();
}

}  // namespace pgrelay::proxy
