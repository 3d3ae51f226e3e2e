// The startup phase; see startup_reader.hpp.
#include "proxy/startup_reader.hpp"

namespace pgrelay::proxy {

asio::awaitable<startup_read> read_startup_packet(peer_stream& stream, wire_buffer& buffer,
                                                  std::shared_ptr<client_tls_context> tls) {
    while (true) {
        auto f = protocol::scan_startup_packet(buffer.unconsumed());
        if (f.status == protocol::startup_frame_status::bad_length) co_return startup_read{};
        if (f.status == protocol::startup_frame_status::need_more) {
            if (co_await read_some(stream, buffer)) co_return startup_read{};
            continue;
        }
        auto parsed = protocol::parse_startup_packet(f.raw);
        buffer.consume(f.raw.size());
        if (!parsed.packet) co_return startup_read{std::nullopt, parsed.error};
        const auto kind = parsed.packet->kind;
        if (kind == protocol::startup_kind::ssl_request ||
            kind == protocol::startup_kind::gssenc_request) {
            // Bytes after an SSLRequest before our answer would be processed as if they
            // came over the encrypted channel (CVE-2021-23214): refuse them.
            if (!buffer.empty()) co_return startup_read{};
            const bool upgrade =
                kind == protocol::startup_kind::ssl_request && tls && !stream.is_tls();
            const std::uint8_t answer = upgrade ? 'S' : 'N';
            if (co_await write_all(stream, protocol::byte_view(&answer, 1)))
                co_return startup_read{};
            if (upgrade) {
                auto context = std::move(tls);
                if (auto ec = co_await stream.accept_tls(std::move(context))) {
                    startup_read failed;
                    failed.tls_error = ec.message();
                    co_return failed;
                }
            }
            continue;
        }
        co_return startup_read{std::move(parsed.packet), std::nullopt};
    }
}

}  // namespace pgrelay::proxy
