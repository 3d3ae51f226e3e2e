// A bare TCP client for feeding pgrelay bytes no well-behaved driver would send (malformed
// startup packets, absurd lengths, garbage), plus builders for the few frontend packets the
// tests need and a parser for what comes back (PostgreSQL docs, 55.7 "Message Formats").
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgrelay::it {

struct backend_message {
    char type = 0;
    std::string body;  // without the type byte and length
};

// How a read ended.
enum class read_end {
    closed,      // the peer closed the connection (EOF)
    reset,       // the peer reset it (ECONNRESET), which also counts as a clean close
    still_open,  // the read stopped (enough bytes, or the time allowed ran out); still open
};

struct read_outcome {
    std::string data;
    read_end end = read_end::still_open;
    std::chrono::milliseconds elapsed{0};
};

class raw_client {
  public:
    raw_client() = default;
    raw_client(const raw_client&) = delete;
    raw_client& operator=(const raw_client&) = delete;
    ~raw_client();

    ::testing::AssertionResult connect(std::uint16_t port);

    // Sends all bytes; false if the peer already closed (EPIPE/ECONNRESET).
    bool send(std::string_view bytes);

    // Reads until the peer closes or `timeout` passes.
    read_outcome read_until_close(std::chrono::milliseconds timeout);

    // Reads until at least `count` bytes came, the peer closed, or `timeout` passed.
    read_outcome read_at_least(std::size_t count, std::chrono::milliseconds timeout);

    // Reads one whole backend message (waiting up to `timeout`); false on close/timeout.
    bool read_message(backend_message& out, std::chrono::milliseconds timeout);

    void close();
    int fd() const { return fd_; }

  private:
    int fd_ = -1;
    std::string pending_;  // bytes read but not yet returned as a message
};

// Frontend packets.
std::string startup_packet(const std::vector<std::pair<std::string, std::string>>& params,
                           std::uint32_t protocol = 196608);
std::string ssl_request();
std::string gssenc_request();
std::string typed_message(char type, std::string_view body);
std::string be32(std::uint32_t value);

// Splits bytes into backend messages; `rest` gets an incomplete or malformed tail.
std::vector<backend_message> parse_backend_messages(std::string_view data, std::string* rest);

// The fields of an ErrorResponse/NoticeResponse body, by field code ('S', 'C', 'M', ...).
std::map<char, std::string> error_fields(std::string_view body);

// For the Authentication ('R') message: its Int32 code (0 ok, 3 cleartext, 5 MD5, 10 SASL).
int auth_code(const backend_message& message);

// Passes if what came back is a clean rejection: the peer closed (or reset) the connection,
// after sending nothing or only whole ErrorResponse/NoticeResponse messages whose SQLSTATE
// starts with one of `allowed_classes` (e.g. "08", "0A").
::testing::AssertionResult is_clean_rejection(const read_outcome& outcome,
                                              const std::vector<std::string>& allowed_classes);

std::string describe(const read_outcome& outcome);

}  // namespace pgrelay::it
