// Micro-benchmarks of the protocol hot path: frame_scanner over a stream of small
// (DataRow-sized) messages and over one large streamed message, reported in bytes/s, and
// scan_startup_packet + parse_startup_packet on a typical psql StartupMessage.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "protocol/framer.hpp"
#include "protocol/startup.hpp"

namespace {

using pgrelay::protocol::byte_view;
using pgrelay::protocol::bytes;
using pgrelay::protocol::frame;
using pgrelay::protocol::frame_scanner;
using pgrelay::protocol::frame_status;

constexpr std::size_t buffer_size = 64 * 1024;  // a typical connection read buffer

// A 'D' message with `body` bytes of payload.
void append_message(bytes& out, char type, std::size_t body) {
    out.push_back(static_cast<std::uint8_t>(type));
    std::uint8_t len[4];
    pgrelay::protocol::store_be32(len, static_cast<std::uint32_t>(body + 4));
    out.insert(out.end(), len, len + 4);
    for (std::size_t i = 0; i < body; ++i)
        out.push_back(static_cast<std::uint8_t>(i));
}

// Frames one 64 KiB buffer of messages of state.range(0) bytes each (header included),
// as the relay loop does after each read: look at the header, hand the message on.
void bm_frame_small_messages(benchmark::State& state) {
    const auto message_size = static_cast<std::size_t>(state.range(0));
    bytes buffer;
    while (buffer.size() + message_size <= buffer_size)
        append_message(buffer, 'D', message_size - 5);
    const std::size_t messages = buffer.size() / message_size;

    for (auto _ : state) {
        frame_scanner scanner(buffer_size);
        byte_view input(buffer);
        std::size_t seen = 0;
        while (true) {
            frame f = scanner.next(input);
            if (f.status != frame_status::message) break;
            benchmark::DoNotOptimize(f.type);
            input = input.subspan(f.raw.size());
            ++seen;
        }
        if (seen != messages) state.SkipWithError("framing lost messages");
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buffer.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * messages));
}
BENCHMARK(bm_frame_small_messages)->Arg(20)->Arg(100)->Arg(1000);

// One 64 MiB CopyData message delivered through reads of state.range(0) bytes: the
// scanner streams it as chunks without touching the payload.
void bm_frame_streamed_message(benchmark::State& state) {
    const auto read_size = static_cast<std::size_t>(state.range(0));
    constexpr std::size_t total = std::size_t{64} << 20;
    bytes read_buffer(read_size, 0x5a);
    {
        bytes header;
        append_message(header, 'd', 0);
        pgrelay::protocol::store_be32(header.data() + 1, static_cast<std::uint32_t>(total - 1));
        std::copy(header.begin(), header.end(), read_buffer.begin());
    }

    for (auto _ : state) {
        frame_scanner scanner(8192);
        std::size_t seen = 0;
        bool last = false;
        while (!last) {
            const std::size_t n = std::min(read_size, total - seen);
            frame f = scanner.next(byte_view(read_buffer).first(n));
            if (f.status != frame_status::chunk) {
                state.SkipWithError("expected a chunk");
                break;
            }
            seen += f.raw.size();
            last = f.last;
        }
        benchmark::DoNotOptimize(seen);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total));
}
BENCHMARK(bm_frame_streamed_message)->Arg(8192)->Arg(64 * 1024);

// The packet psql 16 sends (user, database, application_name, client_encoding, ...).
bytes typical_startup_packet() {
    bytes out;
    pgrelay::protocol::write_startup_message(out, {{"user", "app_user"},
                                                   {"database", "orders"},
                                                   {"application_name", "psql"},
                                                   {"client_encoding", "UTF8"},
                                                   {"DateStyle", "ISO"},
                                                   {"options", "-c statement_timeout=5s"}});
    return out;
}

void bm_parse_startup_packet(benchmark::State& state) {
    const bytes packet = typical_startup_packet();
    for (auto _ : state) {
        auto f = pgrelay::protocol::scan_startup_packet(packet);
        auto r = pgrelay::protocol::parse_startup_packet(f.raw);
        if (!r.packet) state.SkipWithError("startup packet refused");
        benchmark::DoNotOptimize(r);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * packet.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(bm_parse_startup_packet);

}  // namespace
