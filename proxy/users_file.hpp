// The users file (PgBouncer auth_file format): who may log in to pgrelay and with which
// secret. Parsing and classification only; the SCRAM/MD5 math lives in protocol/.
// Secrets never appear in error messages. Reference: docs/configuration.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pgrelay::proxy {

// What the second field of a line holds, decided by its shape alone.
enum class secret_kind {
    plain,  // a plaintext password (may be empty: such a user can log in only with trust)
    md5,    // "md5" + 32 hex digits: md5(password || user name), as in pg_authid
    scram,  // "SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>", as in pg_authid
};

struct user_entry {
    std::string name;
    std::string secret;
    secret_kind kind = secret_kind::plain;

    friend bool operator==(const user_entry&, const user_entry&) = default;
};

using user_map = std::unordered_map<std::string, user_entry>;  // keyed by user name

// Outcome of loading a users file: exactly one of `value` and `error` is set. `error` holds
// one problem per line, each "<source>:<line>: problem"; all problems are reported at once.
struct users_result {
    std::optional<user_map> value;
    std::string error;

    [[nodiscard]] bool ok() const { return value.has_value(); }
};

// Reads and parses the file; errors use the path as the source name.
[[nodiscard]] users_result load_users_file(const std::filesystem::path& path);

// Parses users file text. Format, one entry per line:
//   "name" "secret"      fields in double quotes; "" inside quotes is a literal quote
//   # comment / ; comment / blank lines are ignored (leading whitespace allowed)
// Anything after the second field is ignored, as PgBouncer does.
[[nodiscard]] users_result parse_users(std::string_view text, std::string_view source_name);

// The kind of a secret by its shape: md5 + 32 hex digits, SCRAM-SHA-256$..., else plain.
[[nodiscard]] secret_kind classify_secret(std::string_view secret);

[[nodiscard]] std::string to_string(secret_kind kind);  // "plain", "md5", "scram"

}  // namespace pgrelay::proxy
