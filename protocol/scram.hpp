// SCRAM-SHA-256 (RFC 5802, RFC 7677) the way PostgreSQL speaks it (protocol docs "SASL
// Authentication"): stored secrets, the server side that verifies a client, and the client
// side that authenticates to a server with a password or with keys recovered from a client.
// Sans-I/O: callers move the SASL message bodies in and out; peer input never throws.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pgrelay::protocol::scram {

// The SASL mechanism name in AuthenticationSASL / SASLInitialResponse. The channel-binding
// variant is plus_mechanism_name (channel_binding.hpp), offered over TLS only.
inline constexpr std::string_view mechanism_name = "SCRAM-SHA-256";
inline constexpr int default_iterations = 4096;  // PostgreSQL's scram_iterations default
// The most iterations a server may ask of pgrelay as a client: the key derivation runs on
// a worker thread, so a hostile or mistaken server must not stall it for seconds.
inline constexpr int max_client_iterations = 1'000'000;
inline constexpr std::size_t default_salt_length = 16;
inline constexpr std::size_t nonce_random_bytes = 18;  // base64-encoded into 24 characters

// ---------------------------------------------------------------------------------------
// Secrets: pg_authid.rolpassword "SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>"
// (base64 fields). StoredKey = H(HMAC(SaltedPassword, "Client Key")),
// ServerKey = HMAC(SaltedPassword, "Server Key"), SaltedPassword = PBKDF2-SHA-256.
// ---------------------------------------------------------------------------------------
struct secret {
    int iterations = 0;
    std::vector<uint8_t> salt;
    std::array<uint8_t, 32> stored_key{};
    std::array<uint8_t, 32> server_key{};

    friend bool operator==(const secret&, const secret&) = default;
};

// Strict parse: iterations are 1..INT_MAX in plain decimal, the salt is non-empty canonical
// base64, both keys decode to exactly 32 bytes, nothing trails. std::nullopt otherwise.
std::optional<secret> parse_secret(std::string_view text);
std::string format_secret(const secret& s);
bool is_scram_secret(std::string_view text);

// The password goes through saslprep() first, as PostgreSQL does. `iterations` must be >= 1
// (std::invalid_argument otherwise: a configuration bug, not peer input).
secret make_secret(std::string_view password, std::span<const uint8_t> salt,
                   int iterations = default_iterations);
// Same with a fresh random 16-byte salt from RAND_bytes.
secret make_secret(std::string_view password, int iterations = default_iterations);

// SASLprep (RFC 4013) with PostgreSQL's fallback: when the password is not valid UTF-8, or
// when SASLprep would prohibit it (or map it to nothing), the raw bytes are used unchanged.
// Implemented: ASCII passwords unchanged (PostgreSQL's fast path, control characters
// included); for other UTF-8, the mapping step (non-ASCII spaces, RFC 3454 C.1.2, become
// U+0020; "commonly mapped to nothing", B.1, are removed) and the prohibited-output check
// (C.2.1-C.9). NOT implemented: NFKC normalisation, the unassigned-code-point check (A.1)
// and the bidirectional check. So a non-ASCII password that is not already in NFKC (e.g.
// containing the ligature U+FB01 or fullwidth forms) or that PostgreSQL rejects only for
// A.1/bidi reasons *and* contains a mapped character hashes differently from PostgreSQL.
// Already-normalised text ("pässwörd" precomposed, "café bar", emoji) matches.
std::string saslprep(std::string_view password);

// ---------------------------------------------------------------------------------------
// Results. Every step returns a value; nothing here throws on peer input. (libcrypto
// itself failing, e.g. out of memory, throws std::runtime_error: that is not peer input.)
// ---------------------------------------------------------------------------------------

// How a step failed. A session answers malformed_message and unsupported with SQLSTATE
// 08P01 (protocol_violation) and wrong_password with 28P01 (invalid_password), as
// PostgreSQL does.
enum class error_code {
    none,               // success
    malformed_message,  // the peer's message breaks RFC 5802 syntax or PostgreSQL's rules
    unsupported,        // well-formed but asks for something not offered: channel binding
                        // ("p=") without TLS or of another type than tls-server-end-point,
                        // an authorization identity ("a="), a mandatory extension
    wrong_password,     // the client proof did not verify, or this is a mock exchange
    out_of_order,       // a method was called in the wrong state (a bug in the caller)
};

// The outcome of one step. On success `message` is the SASL payload for the peer; on
// failure `code` says why and `detail` is a short English reason without any secret.
struct result {
    error_code code = error_code::none;
    std::string message;
    std::string detail;

    bool ok() const noexcept { return code == error_code::none; }
};

// What a proxy keeps after verifying a client by SCRAM so that it can authenticate to a
// server holding the same secret without knowing the password (the PgBouncer technique):
// ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage).
struct client_keys {
    std::array<uint8_t, 32> client_key{};
    std::array<uint8_t, 32> server_key{};

    friend bool operator==(const client_keys&, const client_keys&) = default;
};

// ---------------------------------------------------------------------------------------
// Server side: the proxy verifies a connecting client.
//   handle_client_first(SASLInitialResponse data) -> AuthenticationSASLContinue data
//   handle_client_final(SASLResponse data)        -> AuthenticationSASLFinal data
// Any failure ends the exchange: later calls return out_of_order. Success is final too
// (a stray call after it returns out_of_order but leaves succeeded() and the keys intact).
// ---------------------------------------------------------------------------------------
class server_exchange {
  public:
    // Verifies a client against `stored` (from parse_secret or make_secret). `server_nonce`
    // is our half of the nonce: printable ASCII without ','; empty means 18 random bytes,
    // base64 (tests inject a fixed one).
    explicit server_exchange(secret stored, std::string server_nonce = {});

    // For a user that does not exist or has no SCRAM secret: behaves exactly like a real
    // exchange (same message shapes, a salt that is stable per user, the same work) and
    // always fails with wrong_password at the end, as PostgreSQL's "doomed" mock does. The
    // salt and keys are HMAC-SHA-256(mock_key, user): pass one random key per process
    // (make_mock_key()); with an empty key anyone can compute the mock salt and so learn
    // that the user does not exist.
    static server_exchange mock(std::string_view user, std::span<const uint8_t> mock_key,
                                int iterations = default_iterations, std::string server_nonce = {});

    // Before handle_client_first, on a TLS connection: SCRAM-SHA-256-PLUS was offered, its
    // tls-server-end-point data is `end_point` (server_end_point_hash of our certificate),
    // and `plus_selected` says whether the client chose it.
    void bind_channel(std::vector<uint8_t> end_point, bool plus_selected);

    // The client-first-message: gs2 header "n,,", "y,," or "p=tls-server-end-point,,"
    // (judged by check_channel_binding, channel_binding.hpp), then "n=<ignored>,r=<nonce>"
    // plus ignored extensions. PostgreSQL ignores the SCRAM user name (the startup packet's
    // user counts) and so do we. Returns the server-first-message "r=,s=,i=".
    result handle_client_first(std::string_view client_first);

    // The client-final-message "c=<b64 gs2 header>,r=<nonce>[,ext],p=<proof>". Success
    // returns the server-final-message "v=<ServerSignature>"; a proof that does not verify
    // (or a mock exchange) returns wrong_password; bad syntax returns malformed_message.
    result handle_client_final(std::string_view client_final);

    // After a successful handle_client_final: ClientKey recovered from the proof and the
    // secret's ServerKey, enough for a client_exchange to a server with the same secret.
    std::optional<client_keys> recovered_keys() const;

    bool succeeded() const noexcept { return state_ == state::succeeded; }

  private:
    // Life cycle: expect_client_first -> expect_client_final -> succeeded; any error -> failed.
    enum class state { expect_client_first, expect_client_final, succeeded, failed };

    server_exchange(secret stored, std::string server_nonce, bool doomed);
    result fail(error_code code, std::string detail);

    secret secret_;
    bool doomed_ = false;  // mock exchange: always fails at the end
    state state_ = state::expect_client_first;
    std::string server_nonce_;
    std::string nonce_;  // client nonce + server nonce
    // The gs2 header exactly as the client sent it; c= must be base64(gs2_header_ +
    // the binding data), the data being the tls-server-end-point bytes only with "p=".
    std::string gs2_header_;
    std::vector<uint8_t> end_point_;  // empty: SCRAM-SHA-256-PLUS not offered
    bool plus_selected_ = false;
    bool bound_ = false;  // the client's header is "p=": c= carries end_point_
    std::string client_first_bare_;
    std::string server_first_;
    std::array<uint8_t, 32> client_key_{};
};

// 32 random bytes for server_exchange::mock.
std::array<uint8_t, 32> make_mock_key();

// ---------------------------------------------------------------------------------------
// Client side: the proxy authenticates to a PostgreSQL server.
//   client_first_message()        -> SASLInitialResponse data (mechanism SCRAM-SHA-256)
//   handle_server_first(Continue) -> SASLResponse data
//   verify_server_final(Final)    -> true when the server proved it knows the secret
// ---------------------------------------------------------------------------------------
struct client_options {
    std::string user;   // sent as n=<user> (escaped); PostgreSQL ignores it, libpq sends ""
    std::string nonce;  // printable ASCII without ','; empty means 18 random bytes, base64
};

class client_exchange {
  public:
    // With the password: SaltedPassword is computed from the server's salt and iterations
    // (PBKDF2, `iterations` rounds: the server chooses the cost).
    explicit client_exchange(std::string_view password, client_options options = {});
    // With keys recovered by a server_exchange: no password and no PBKDF2 needed; the
    // server must hold the same secret the client was verified against.
    explicit client_exchange(const client_keys& keys, client_options options = {});

    // "n,,n=<user>,r=<nonce>". Always the same string for one exchange.
    std::string client_first_message();

    // Validates the server-first-message (nonce extends ours, salt is non-empty base64,
    // iterations > 0, no mandatory extension) and returns the client-final-message.
    result handle_server_first(std::string_view server_first);

    // True only for "v=<ServerSignature>" matching what the server should have computed.
    // An "e=<error>" message is a failure; its text is kept in server_error(). Answers true
    // once: any later call returns false (succeeded() stays true).
    bool verify_server_final(std::string_view server_final);

    bool succeeded() const noexcept { return state_ == state::succeeded; }
    const std::string& server_error() const noexcept { return server_error_; }

  private:
    // Life cycle: initial -> expect_server_first -> expect_server_final -> succeeded;
    // any error -> failed.
    enum class state { initial, expect_server_first, expect_server_final, succeeded, failed };

    client_exchange(std::optional<std::string> password, std::optional<client_keys> keys,
                    client_options options);
    result fail(error_code code, std::string detail);

    std::optional<std::string> password_;  // after saslprep()
    std::optional<client_keys> keys_;
    state state_ = state::initial;
    std::string client_nonce_;
    std::string client_first_bare_;
    std::array<uint8_t, 32> expected_server_signature_{};
    std::string server_error_;
};

}  // namespace pgrelay::protocol::scram
