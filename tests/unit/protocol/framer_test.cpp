// Unit tests of frame_scanner (protocol/framer.hpp), modelled on Envoy's
// postgres_decoder_test: every message byte by byte, headers split at every offset, many
// messages per read, the whole/streamed boundary, bad lengths, a 1 GiB message, and
// randomized reassembly and garbage runs with fixed seeds (meant to run under ASan/UBSan).
#include "protocol/framer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

// Counts heap allocations made while a test enables counting, to prove that streaming a
// 1 GiB message allocates nothing. Every other allocation goes straight to malloc/free.
namespace {
std::atomic<bool> g_count_allocations{false};
std::atomic<std::size_t> g_allocations{0};
}  // namespace

// GCC flags free() on memory from operator new; here both sides are malloc/free.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
    if (g_count_allocations.load(std::memory_order_relaxed))
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

namespace pgrelay::protocol {
namespace {

// --- helpers -------------------------------------------------------------------------

bytes header(char type, std::uint32_t length) {
    bytes out{static_cast<std::uint8_t>(type), 0, 0, 0, 0};
    store_be32(out.data() + 1, length);
    return out;
}

// A message whose body is body_size pattern bytes (never all zeroes, so misplaced bytes
// are caught).
bytes make_message(char type, std::size_t body_size, std::uint8_t salt = 0) {
    bytes out = header(type, static_cast<std::uint32_t>(body_size + 4));
    for (std::size_t i = 0; i < body_size; ++i)
        out.push_back(static_cast<std::uint8_t>((i * 31 + salt + 7) & 0xff));
    return out;
}

bytes make_message(char type, std::string_view body) {
    bytes out = header(type, static_cast<std::uint32_t>(body.size() + 4));
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

bytes concat(const std::vector<bytes>& parts) {
    bytes out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

bytes to_bytes(byte_view v) {
    return bytes(v.begin(), v.end());
}

// One non-need_more step the scanner returned, with its bytes copied out.
struct step {
    frame_status status;
    char type;
    std::uint32_t length;
    bytes raw;
    bool first;
    bool last;
};

// Plays the caller: keeps unconsumed input in a buffer (of at most `capacity` bytes when
// capacity != 0, like a fixed connection buffer), calls next() until need_more and drops
// frame.raw from the front after each step.
class caller {
  public:
    explicit caller(std::size_t max_whole, std::size_t capacity = 0)
        : scanner_(max_whole), capacity_(capacity) {}

    // Offers data; returns how many bytes the buffer accepted (all of them when unbounded).
    std::size_t feed(byte_view data) {
        std::size_t n = data.size();
        if (capacity_ != 0) n = std::min(n, capacity_ - pending_.size());
        pending_.insert(pending_.end(), data.begin(),
                        data.begin() + static_cast<std::ptrdiff_t>(n));
        drain();
        return n;
    }

    // Feeds all of data through reads of the given sizes (cycled), as a socket would.
    void feed_in_reads(byte_view data, const std::vector<std::size_t>& read_sizes) {
        std::size_t pos = 0;
        std::size_t i = 0;
        while (pos < data.size() && !bad_) {
            std::size_t want = std::min(read_sizes[i++ % read_sizes.size()], data.size() - pos);
            std::size_t took = feed(data.subspan(pos, want));
            if (took == 0 && want != 0) {
                stuck_ = true;  // a full buffer and the scanner still wants more: deadlock
                return;
            }
            pos += took;
        }
    }

    const std::vector<step>& steps() const { return steps_; }
    const bytes& pending() const { return pending_; }
    const frame_scanner& scanner() const { return scanner_; }
    bool bad() const { return bad_; }
    bool stuck() const { return stuck_; }

    bytes reassembled() const {
        bytes out;
        for (const auto& s : steps_)
            out.insert(out.end(), s.raw.begin(), s.raw.end());
        return out;
    }

  private:
    void drain() {
        while (!bad_) {
            frame f = scanner_.next(pending_);
            if (f.status == frame_status::need_more) {
                EXPECT_TRUE(f.raw.empty());
                return;
            }
            // raw is always a prefix of the input it was given.
            if (!f.raw.empty()) {
                EXPECT_EQ(f.raw.data(), pending_.data());
            }
            ASSERT_LE(f.raw.size(), pending_.size());
            steps_.push_back({f.status, f.type, f.length, to_bytes(f.raw), f.first, f.last});
            if (f.status == frame_status::bad_length) {
                bad_ = true;
                return;
            }
            ASSERT_FALSE(f.raw.empty()) << "a message or chunk must make progress";
            pending_.erase(pending_.begin(),
                           pending_.begin() + static_cast<std::ptrdiff_t>(f.raw.size()));
        }
    }

    frame_scanner scanner_;
    std::size_t capacity_;
    bytes pending_;
    std::vector<step> steps_;
    bool bad_ = false;
    bool stuck_ = false;
};

// Checks that the steps are exactly the messages, each either whole or as a run of chunks
// with the right first/last flags, type and length. Returns the number of streamed ones.
std::size_t expect_steps_match(const std::vector<step>& steps, const std::vector<bytes>& messages,
                               std::size_t max_whole, bool bounded) {
    std::size_t si = 0;
    std::size_t streamed = 0;
    for (std::size_t mi = 0; mi < messages.size(); ++mi) {
        SCOPED_TRACE("message " + std::to_string(mi));
        const bytes& m = messages[mi];
        const char type = static_cast<char>(m[0]);
        const std::uint32_t length = load_be32(m.data() + 1);
        if (si >= steps.size()) {
            ADD_FAILURE() << "ran out of steps";
            return streamed;
        }
        if (steps[si].status == frame_status::message) {
            EXPECT_EQ(steps[si].type, type);
            EXPECT_EQ(steps[si].length, length);
            EXPECT_EQ(steps[si].raw, m);
            EXPECT_FALSE(steps[si].first);
            EXPECT_FALSE(steps[si].last);
            if (bounded) {
                EXPECT_LE(m.size(), max_whole) << "a whole message larger than max_whole";
            }
            ++si;
            continue;
        }
        if (steps[si].status != frame_status::chunk) {
            ADD_FAILURE() << "unexpected status " << static_cast<int>(steps[si].status);
            return streamed;
        }
        EXPECT_GT(m.size(), max_whole) << "a message that fits max_whole was streamed";
        ++streamed;
        bytes joined;
        bool first_chunk = true;
        while (true) {
            if (si >= steps.size()) {
                ADD_FAILURE() << "streamed message never ended";
                return streamed;
            }
            const step& s = steps[si++];
            EXPECT_EQ(s.status, frame_status::chunk);
            EXPECT_EQ(s.type, type);
            EXPECT_EQ(s.length, length);
            EXPECT_EQ(s.first, first_chunk);
            first_chunk = false;
            joined.insert(joined.end(), s.raw.begin(), s.raw.end());
            if (s.last) break;
            if (joined.size() >= m.size()) {
                ADD_FAILURE() << "chunks ran past the message without a last flag";
                return streamed;
            }
        }
        EXPECT_EQ(joined, m);
    }
    EXPECT_EQ(si, steps.size()) << "steps left over after the last message";
    return streamed;
}

// A handful of real-looking messages of both directions.
struct named_message {
    const char* name;
    bytes raw;
};

std::vector<named_message> typical_messages() {
    using namespace std::string_view_literals;
    return {
        {"Sync (empty body)", make_message('S', ""sv)},
        {"Terminate", make_message('X', ""sv)},
        {"Query", make_message('Q', "select 1\0"sv)},
        {"ReadyForQuery", make_message('Z', "I"sv)},
        {"BackendKeyData", make_message('K', "\x00\x00\x04\xd2\xde\xad\xbe\xef"sv)},
        {"ParameterStatus", make_message('S', "client_encoding\0UTF8\0"sv)},
        {"AuthenticationOk", make_message('R', "\0\0\0\0"sv)},
        {"ErrorResponse", make_message('E', "SERROR\0VERROR\0C42P01\0Mno such table\0\0"sv)},
        {"DataRow ~100 B", make_message('D', 95)},
        {"CopyData 1000 B", make_message('d', 1000)},
        {"type byte 0x00", make_message('\0', 3)},
        {"type byte 0xff", make_message('\xff', 3)},
    };
}

// --- construction --------------------------------------------------------------------

TEST(frame_scanner, max_whole_is_clamped_to_a_header) {
    struct row {
        std::size_t requested, effective;
    };
    for (auto r : {row{0, 5}, row{1, 5}, row{4, 5}, row{5, 5}, row{6, 6}, row{8192, 8192}}) {
        SCOPED_TRACE(r.requested);
        EXPECT_EQ(frame_scanner(r.requested).max_whole(), r.effective);
    }
}

TEST(frame_scanner, tiny_max_whole_still_frames_an_empty_message_whole) {
    frame_scanner s(0);
    bytes m = make_message('S', 0);
    frame f = s.next(m);
    EXPECT_EQ(f.status, frame_status::message);
    EXPECT_EQ(f.raw.size(), 5u);
}

// --- need_more -----------------------------------------------------------------------

TEST(frame_scanner, incomplete_header_needs_more) {
    bytes m = make_message('Q', 10);
    for (std::size_t n = 0; n < 5; ++n) {
        SCOPED_TRACE(n);
        frame_scanner s(8192);
        frame f = s.next(byte_view(m).first(n));
        EXPECT_EQ(f.status, frame_status::need_more);
        EXPECT_TRUE(f.raw.empty());
        EXPECT_FALSE(s.mid_message());
    }
}

TEST(frame_scanner, whole_message_fields) {
    bytes m = make_message('Q', std::string_view("select 1\0", 9));
    m.push_back('X');  // the start of the next message must not be consumed
    frame_scanner s(8192);
    frame f = s.next(m);
    ASSERT_EQ(f.status, frame_status::message);
    EXPECT_EQ(f.type, 'Q');
    EXPECT_EQ(f.length, 13u);
    EXPECT_EQ(f.raw.size(), 14u);
    EXPECT_EQ(f.raw.data(), m.data());
    EXPECT_EQ(as_chars(f.body()), std::string_view("select 1\0", 9));
    EXPECT_FALSE(f.first);
    EXPECT_FALSE(f.last);
    EXPECT_FALSE(s.mid_message());
}

// Envoy-style: every message delivered one byte per read. Each prefix must be need_more
// (nothing consumed), and the last byte must produce exactly that message.
TEST(frame_scanner, every_message_fed_byte_by_byte) {
    for (const auto& [name, m] : typical_messages()) {
        SCOPED_TRACE(name);
        frame_scanner s(8192);
        bytes pending;
        for (std::size_t i = 0; i < m.size(); ++i) {
            pending.push_back(m[i]);
            frame f = s.next(pending);
            if (i + 1 < m.size()) {
                ASSERT_EQ(f.status, frame_status::need_more) << "after " << i + 1 << " bytes";
                ASSERT_TRUE(f.raw.empty());
            } else {
                ASSERT_EQ(f.status, frame_status::message);
                EXPECT_EQ(f.type, static_cast<char>(m[0]));
                EXPECT_EQ(f.length, m.size() - 1);
                EXPECT_EQ(to_bytes(f.raw), m);
            }
        }
    }
}

// The same, through the caller model, for a stream of all typical messages: cut into two
// reads at every offset (so the header is split at every position of every message).
TEST(frame_scanner, stream_split_into_two_reads_at_every_offset) {
    std::vector<bytes> messages;
    for (const auto& nm : typical_messages())
        messages.push_back(nm.raw);
    const bytes stream = concat(messages);
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        SCOPED_TRACE("cut at " + std::to_string(cut));
        caller c(8192);
        c.feed(byte_view(stream).first(cut));
        c.feed(byte_view(stream).subspan(cut));
        EXPECT_TRUE(c.pending().empty());
        EXPECT_EQ(expect_steps_match(c.steps(), messages, 8192, true), 0u);
        if (::testing::Test::HasFailure()) break;
    }
}

TEST(frame_scanner, stream_fed_byte_by_byte_through_caller) {
    std::vector<bytes> messages;
    for (const auto& nm : typical_messages())
        messages.push_back(nm.raw);
    const bytes stream = concat(messages);
    caller c(8192);
    c.feed_in_reads(stream, {1});
    EXPECT_TRUE(c.pending().empty());
    EXPECT_EQ(expect_steps_match(c.steps(), messages, 8192, true), 0u);
}

TEST(frame_scanner, two_messages_in_one_read) {
    bytes a = make_message('Q', std::string_view("select 1\0", 9));
    bytes b = make_message('S', 0);
    bytes both = concat({a, b});
    frame_scanner s(8192);
    frame f1 = s.next(both);
    ASSERT_EQ(f1.status, frame_status::message);
    EXPECT_EQ(to_bytes(f1.raw), a);
    frame f2 = s.next(byte_view(both).subspan(f1.raw.size()));
    ASSERT_EQ(f2.status, frame_status::message);
    EXPECT_EQ(f2.type, 'S');
    EXPECT_EQ(f2.length, 4u);
    EXPECT_EQ(to_bytes(f2.raw), b);
    EXPECT_TRUE(f2.body().empty());
    frame f3 = s.next(byte_view(both).subspan(f1.raw.size() + f2.raw.size()));
    EXPECT_EQ(f3.status, frame_status::need_more);
}

TEST(frame_scanner, many_messages_in_one_read) {
    std::vector<bytes> messages;
    for (std::size_t i = 0; i < 2000; ++i)
        messages.push_back(
            make_message(static_cast<char>('A' + i % 26), i % 97, static_cast<std::uint8_t>(i)));
    const bytes stream = concat(messages);
    caller c(8192);
    c.feed(stream);
    EXPECT_TRUE(c.pending().empty());
    ASSERT_EQ(c.steps().size(), messages.size());
    expect_steps_match(c.steps(), messages, 8192, true);
}

TEST(frame_scanner, many_messages_then_a_partial_one) {
    bytes stream = concat({make_message('D', 10), make_message('D', 20), make_message('C', 30)});
    stream.pop_back();
    caller c(8192);
    c.feed(stream);
    ASSERT_EQ(c.steps().size(), 2u);
    EXPECT_EQ(c.pending().size(), 5u + 30u - 1u);  // the partial CommandComplete stays
}

// --- the whole/streamed boundary -----------------------------------------------------

// Through a fixed buffer of exactly max_whole bytes (the documented contract): a message
// of max_whole bytes comes out whole, one of max_whole + 1 bytes is streamed.
TEST(frame_scanner, max_whole_boundary_through_a_buffer_of_max_whole) {
    for (std::size_t max_whole : {5u, 6u, 9u, 64u, 100u, 8192u}) {
        SCOPED_TRACE("max_whole " + std::to_string(max_whole));
        for (std::size_t read : {std::size_t{1}, std::size_t{3}, max_whole}) {
            SCOPED_TRACE("reads of " + std::to_string(read));
            bytes fits = make_message('D', max_whole - 5);
            bytes over = make_message('D', max_whole - 4);
            ASSERT_EQ(fits.size(), max_whole);
            ASSERT_EQ(over.size(), max_whole + 1);
            std::vector<bytes> messages{fits, over, fits};

            caller c(max_whole, max_whole);
            c.feed_in_reads(concat(messages), {read});
            EXPECT_FALSE(c.stuck());
            EXPECT_TRUE(c.pending().empty());
            EXPECT_EQ(expect_steps_match(c.steps(), messages, max_whole, true), 1u);
            EXPECT_EQ(c.steps().front().status, frame_status::message);
            EXPECT_EQ(c.steps().back().status, frame_status::message);
            EXPECT_FALSE(c.scanner().mid_message());
        }
    }
}

// max_whole + 1 bytes with only the first max_whole available: a first chunk holding all
// of them, then a last chunk of one byte.
TEST(frame_scanner, message_one_over_max_whole_streams_in_two_chunks) {
    constexpr std::size_t max_whole = 64;
    bytes m = make_message('d', max_whole - 4);
    frame_scanner s(max_whole);
    frame f1 = s.next(byte_view(m).first(max_whole));
    ASSERT_EQ(f1.status, frame_status::chunk);
    EXPECT_TRUE(f1.first);
    EXPECT_FALSE(f1.last);
    EXPECT_EQ(f1.type, 'd');
    EXPECT_EQ(f1.length, max_whole - 4 + 4);
    EXPECT_EQ(f1.raw.size(), max_whole);
    EXPECT_TRUE(s.mid_message());

    EXPECT_EQ(s.next({}).status, frame_status::need_more);  // empty read mid-stream
    EXPECT_TRUE(s.mid_message());

    frame f2 = s.next(byte_view(m).subspan(max_whole));
    ASSERT_EQ(f2.status, frame_status::chunk);
    EXPECT_FALSE(f2.first);
    EXPECT_TRUE(f2.last);
    EXPECT_EQ(f2.type, 'd');
    EXPECT_EQ(f2.length, max_whole);
    EXPECT_EQ(f2.raw.size(), 1u);
    EXPECT_EQ(f2.raw[0], m.back());
    EXPECT_FALSE(s.mid_message());
}

// A message that fits max_whole is never streamed however it is cut: the scanner waits.
TEST(frame_scanner, message_of_exactly_max_whole_waits_for_all_of_it) {
    constexpr std::size_t max_whole = 64;
    bytes m = make_message('D', max_whole - 5);
    frame_scanner s(max_whole);
    for (std::size_t n = 0; n < m.size(); ++n) {
        frame f = s.next(byte_view(m).first(n));
        ASSERT_EQ(f.status, frame_status::need_more) << n;
        ASSERT_FALSE(s.mid_message());
    }
    frame f = s.next(m);
    EXPECT_EQ(f.status, frame_status::message);
    EXPECT_EQ(f.raw.size(), max_whole);
}

// Current behaviour, pinned on purpose: when a caller hands over more than max_whole bytes
// and an oversized message is already complete in them, it comes out whole. A caller whose
// buffer is exactly max_whole never sees this (see the test above).
TEST(frame_scanner, oversized_message_already_complete_in_the_input_comes_out_whole) {
    bytes m = make_message('D', 100);
    frame_scanner s(16);
    frame f = s.next(m);
    EXPECT_EQ(f.status, frame_status::message);
    EXPECT_EQ(f.raw.size(), m.size());
    EXPECT_FALSE(s.mid_message());
}

// --- streaming -----------------------------------------------------------------------

TEST(frame_scanner, streamed_chunks_concatenate_to_the_message) {
    constexpr std::size_t max_whole = 1024;
    const bytes big = make_message('d', 100000, 3);
    const bytes after = make_message('c', 0);  // CopyDone right behind it
    const std::vector<bytes> messages{big, after};
    const bytes stream = concat(messages);
    const std::vector<std::vector<std::size_t>> read_patterns{
        {1}, {2}, {5}, {6}, {7, 1}, {1000}, {1024}, {1025}, {4096}, {65536}, {3, 5000, 17}};
    for (const auto& reads : read_patterns) {
        SCOPED_TRACE("first read " + std::to_string(reads[0]));
        caller c(max_whole);
        c.feed_in_reads(stream, reads);
        EXPECT_TRUE(c.pending().empty());
        EXPECT_EQ(expect_steps_match(c.steps(), messages, max_whole, false), 1u);
        EXPECT_FALSE(c.scanner().mid_message());
        // The chunk that ends the big message never swallows the CopyDone behind it.
        EXPECT_EQ(c.steps().back().status, frame_status::message);
        EXPECT_EQ(c.steps().back().type, 'c');
    }
}

TEST(frame_scanner, mid_message_tracks_a_streamed_message) {
    constexpr std::size_t max_whole = 16;
    bytes m = make_message('d', 40);  // 45 bytes
    frame_scanner s(max_whole);
    EXPECT_FALSE(s.mid_message());
    std::size_t pos = 0;
    std::vector<std::size_t> sizes;
    while (pos < m.size()) {
        frame f = s.next(byte_view(m).subspan(pos, std::min<std::size_t>(10, m.size() - pos)));
        ASSERT_EQ(f.status, frame_status::chunk);
        pos += f.raw.size();
        sizes.push_back(f.raw.size());
        EXPECT_EQ(s.mid_message(), pos < m.size());
        EXPECT_EQ(f.last, pos == m.size());
        EXPECT_EQ(f.first, pos == f.raw.size());
    }
    EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 10, 10, 10, 5}));
}

// While streaming, the scanner does not look at content: a body full of bytes that read
// as bad headers passes through as chunks.
TEST(frame_scanner, streamed_body_content_is_not_interpreted) {
    constexpr std::size_t max_whole = 8;
    bytes m = header('d', 4 + 20);
    for (int i = 0; i < 4; ++i) {
        bytes bad = header('X', 0xffffffff);
        m.insert(m.end(), bad.begin(), bad.end());
    }
    ASSERT_EQ(m.size(), 25u);
    caller c(max_whole);
    c.feed_in_reads(m, {6});
    EXPECT_FALSE(c.bad());
    EXPECT_EQ(expect_steps_match(c.steps(), {m}, max_whole, false), 1u);
}

// --- bad lengths ---------------------------------------------------------------------

TEST(frame_scanner, bad_lengths_are_reported_as_soon_as_the_header_is_complete) {
    const std::uint32_t lengths[] = {0,          1,          2,          3,          0x40000000,
                                     0x40000001, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff};
    for (std::uint32_t length : lengths) {
        SCOPED_TRACE(length);
        bytes h = header('Q', length);
        for (std::size_t n = 0; n < 5; ++n) {
            frame_scanner s(8192);
            EXPECT_EQ(s.next(byte_view(h).first(n)).status, frame_status::need_more);
        }
        for (std::size_t extra : {0u, 1u, 100u}) {
            bytes input = h;
            input.resize(5 + extra, 0);
            frame_scanner s(8192);
            frame f = s.next(input);
            EXPECT_EQ(f.status, frame_status::bad_length);
            EXPECT_EQ(f.type, 'Q');
            EXPECT_EQ(f.length, length);
            EXPECT_TRUE(f.raw.empty());
            EXPECT_FALSE(s.mid_message());
        }
    }
}

TEST(frame_scanner, lengths_at_the_edges_of_the_valid_range) {
    // 4: an empty body, whole.
    {
        frame_scanner s(8192);
        bytes h = header('S', 4);
        frame f = s.next(h);
        EXPECT_EQ(f.status, frame_status::message);
        EXPECT_EQ(f.raw.size(), 5u);
    }
    // 0x3fffffff (max_message_length, 1 GiB - 1): valid, too large to hold, so streamed.
    {
        frame_scanner s(8192);
        bytes h = header('d', max_message_length);
        frame f = s.next(h);
        EXPECT_EQ(f.status, frame_status::chunk);
        EXPECT_TRUE(f.first);
        EXPECT_EQ(f.length, 0x3fffffffu);
        EXPECT_TRUE(s.mid_message());
    }
    EXPECT_EQ(max_message_length, 0x3fffffffu);
}

TEST(frame_scanner, bad_length_after_good_messages_in_the_same_read) {
    bytes stream =
        concat({make_message('Q', 3), make_message('S', 0), header('P', 3), make_message('S', 0)});
    caller c(8192);
    c.feed(stream);
    ASSERT_EQ(c.steps().size(), 3u);
    EXPECT_EQ(c.steps()[0].status, frame_status::message);
    EXPECT_EQ(c.steps()[1].status, frame_status::message);
    EXPECT_EQ(c.steps()[2].status, frame_status::bad_length);
    EXPECT_EQ(c.steps()[2].type, 'P');
    EXPECT_EQ(c.steps()[2].length, 3u);
    EXPECT_EQ(c.pending().size(), 10u);  // nothing of the bad message was consumed
}

TEST(frame_scanner, bad_length_header_fed_byte_by_byte) {
    bytes stream = concat({make_message('Q', 2), header('Q', 0xffffffff)});
    caller c(8192);
    c.feed_in_reads(stream, {1});
    ASSERT_EQ(c.steps().size(), 2u);
    EXPECT_EQ(c.steps()[0].status, frame_status::message);
    EXPECT_EQ(c.steps()[1].status, frame_status::bad_length);
    EXPECT_TRUE(c.bad());
}

// A 1 GiB - 1 length is legal: the scanner streams it through reads of 1 MiB without
// allocating or buffering, ends it on the exact byte, and frames what follows.
TEST(frame_scanner, one_gib_message_streams_without_allocating) {
    constexpr std::size_t mib = 1 << 20;
    const std::uint64_t total = std::uint64_t{max_message_length} + 1;  // 0x40000000 bytes
    ASSERT_EQ(total % mib, 0u);
    bytes buffer(mib + 5, 0xab);
    const bytes h = header('d', max_message_length);
    std::copy(h.begin(), h.end(), buffer.begin());
    const bytes sync = make_message('S', 0);
    std::copy(sync.begin(), sync.end(), buffer.begin() + mib);  // after the last chunk

    frame_scanner s(8192);
    std::uint64_t seen = 0;
    std::size_t chunks = 0;
    bool ok = true;
    g_allocations = 0;
    g_count_allocations = true;
    frame f = s.next(byte_view(buffer).first(mib));
    ok = ok && f.status == frame_status::chunk && f.first && !f.last && f.raw.size() == mib;
    seen += f.raw.size();
    ++chunks;
    while (ok && seen < total) {
        const bool final_read = seen + mib == total;
        // The final read carries the Sync after the message, like a real socket read.
        f = s.next(byte_view(buffer).first(final_read ? mib + 5 : mib));
        ok = f.status == frame_status::chunk && !f.first && f.raw.size() == mib &&
             f.last == final_read && f.type == 'd' && f.length == max_message_length &&
             s.mid_message() == !final_read;
        seen += f.raw.size();
        ++chunks;
    }
    frame after = s.next(byte_view(buffer).subspan(mib, 5));
    g_count_allocations = false;

    EXPECT_TRUE(ok) << "chunk " << chunks << " was wrong";
    EXPECT_EQ(seen, total);
    EXPECT_EQ(chunks, 1024u);
    EXPECT_FALSE(s.mid_message());
    EXPECT_EQ(after.status, frame_status::message);
    EXPECT_EQ(after.type, 'S');
    EXPECT_EQ(g_allocations.load(), 0u) << "the scanner allocated while streaming";
}

// --- randomized property tests -------------------------------------------------------

struct random_case {
    std::vector<bytes> messages;
    bytes stream;
    std::vector<std::size_t> reads;
    std::size_t max_whole;
};

random_case make_random_case(std::mt19937_64& rng) {
    random_case rc;
    rc.max_whole = std::uniform_int_distribution<std::size_t>(5, 300)(rng);
    const std::size_t count = std::uniform_int_distribution<std::size_t>(1, 40)(rng);
    std::uniform_int_distribution<int> byte_dist(0, 255);
    std::uniform_int_distribution<int> kind(0, 9);
    for (std::size_t i = 0; i < count; ++i) {
        std::size_t body;
        switch (kind(rng)) {
            case 0:
                body = 0;
                break;
            case 1:  // right at the boundary: max_whole - 5, max_whole - 4, max_whole - 3
                body = rc.max_whole - 5 + std::uniform_int_distribution<std::size_t>(0, 2)(rng);
                break;
            case 2:
            case 3:  // larger than max_whole: streamed (when not complete in one read)
                body =
                    std::uniform_int_distribution<std::size_t>(rc.max_whole, 4 * rc.max_whole)(rng);
                break;
            default:
                body = std::uniform_int_distribution<std::size_t>(0, rc.max_whole - 5)(rng);
        }
        bytes m = header(static_cast<char>(byte_dist(rng)), static_cast<std::uint32_t>(body + 4));
        for (std::size_t b = 0; b < body; ++b)
            m.push_back(static_cast<std::uint8_t>(byte_dist(rng)));
        rc.messages.push_back(std::move(m));
    }
    rc.stream = concat(rc.messages);
    std::size_t covered = 0;
    while (covered < rc.stream.size()) {
        std::size_t r;
        switch (kind(rng)) {
            case 0:
                r = 1;
                break;
            case 1:
                r = std::uniform_int_distribution<std::size_t>(1, 6)(rng);
                break;
            case 2:
                r = rc.stream.size();
                break;
            default:
                r = std::uniform_int_distribution<std::size_t>(1, 2 * rc.max_whole)(rng);
        }
        rc.reads.push_back(r);
        covered += r;
    }
    return rc;
}

// Random sequences of random-size messages cut into random reads: the consumed bytes are
// the input, every message boundary, type and length is right, nothing that fits is
// streamed, and a buffer of exactly max_whole never deadlocks or holds an oversized message.
TEST(frame_scanner, random_streams_reassemble_exactly) {
    std::size_t streamed_total = 0;
    std::size_t iterations = 0;
    for (std::uint64_t seed : {1u, 2u, 3u, 20240601u}) {
        std::mt19937_64 rng(seed);
        for (int it = 0; it < 1500; ++it, ++iterations) {
            SCOPED_TRACE("seed " + std::to_string(seed) + " iteration " + std::to_string(it));
            random_case rc = make_random_case(rng);
            for (bool bounded : {false, true}) {
                SCOPED_TRACE(bounded ? "buffer of max_whole" : "unbounded buffer");
                caller c(rc.max_whole, bounded ? rc.max_whole : 0);
                c.feed_in_reads(rc.stream, rc.reads);
                ASSERT_FALSE(c.stuck());
                ASSERT_FALSE(c.bad());
                ASSERT_TRUE(c.pending().empty());
                ASSERT_FALSE(c.scanner().mid_message());
                ASSERT_EQ(c.reassembled(), rc.stream);
                streamed_total += expect_steps_match(c.steps(), rc.messages, rc.max_whole, bounded);
                if (::testing::Test::HasFailure()) return;
            }
        }
    }
    EXPECT_EQ(iterations, 6000u);
    EXPECT_GT(streamed_total, 1000u) << "the generator should exercise streaming";
}

// Random garbage (pure noise, and noise with plausible small lengths) cut into random
// reads: never crashes, never reads outside the input, always makes progress, and every
// step is self-consistent. After bad_length the caller starts over one byte further.
TEST(frame_scanner, random_garbage_never_crashes) {
    std::size_t steps_seen[4] = {};
    for (std::uint64_t seed : {7u, 8u, 9u, 10u}) {
        std::mt19937_64 rng(seed);
        std::uniform_int_distribution<int> byte_dist(0, 255);
        for (int it = 0; it < 1000; ++it) {
            SCOPED_TRACE("seed " + std::to_string(seed) + " iteration " + std::to_string(it));
            const std::size_t size = std::uniform_int_distribution<std::size_t>(0, 2000)(rng);
            bytes garbage(size);
            for (auto& b : garbage)
                b = static_cast<std::uint8_t>(byte_dist(rng));
            if (it % 2 == 1) {  // plant small lengths (0..300) at random places
                for (std::size_t i = 0; i + 5 <= garbage.size(); i += 1 + byte_dist(rng) % 64)
                    store_be32(garbage.data() + i + 1, static_cast<std::uint32_t>(byte_dist(rng)) +
                                                           static_cast<std::uint32_t>(it % 45));
            }
            const std::size_t max_whole = std::uniform_int_distribution<std::size_t>(0, 200)(rng);
            frame_scanner s(max_whole);
            byte_view input(garbage);
            std::size_t available = 0;  // bytes of input "read" so far
            while (true) {
                if (available < input.size())
                    available += std::min<std::size_t>(
                        input.size() - available,
                        std::uniform_int_distribution<std::size_t>(1, 300)(rng));
                byte_view window = input.first(available);
                frame f = s.next(window);
                ++steps_seen[static_cast<int>(f.status)];
                ASSERT_LE(f.raw.size(), window.size());
                if (!f.raw.empty()) {
                    ASSERT_EQ(f.raw.data(), window.data());
                }
                switch (f.status) {
                    case frame_status::need_more:
                        ASSERT_TRUE(f.raw.empty());
                        break;
                    case frame_status::message:
                        ASSERT_GE(f.length, 4u);
                        ASSERT_LE(f.length, max_message_length);
                        ASSERT_EQ(f.raw.size(), std::size_t{f.length} + 1);
                        ASSERT_EQ(f.body().size(), std::size_t{f.length} - 4);
                        break;
                    case frame_status::chunk:
                        ASSERT_FALSE(f.raw.empty());
                        ASSERT_GE(f.length, 4u);
                        ASSERT_LE(f.length, max_message_length);
                        break;
                    case frame_status::bad_length:
                        ASSERT_TRUE(f.raw.empty());
                        ASSERT_TRUE(f.length < 4 || f.length > max_message_length);
                        s = frame_scanner(max_whole);
                        f.raw = window.first(1);  // skip a byte and try again
                        break;
                }
                if (f.status == frame_status::need_more) {
                    if (available == input.size()) break;  // all read, nothing more to do
                    continue;
                }
                input = input.subspan(f.raw.size());
                available -= f.raw.size();
            }
        }
    }
    EXPECT_GT(steps_seen[static_cast<int>(frame_status::message)], 1000u);
    EXPECT_GT(steps_seen[static_cast<int>(frame_status::chunk)], 1000u);
    EXPECT_GT(steps_seen[static_cast<int>(frame_status::bad_length)], 1000u);
}

}  // namespace
}  // namespace pgrelay::protocol
