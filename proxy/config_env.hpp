// Configuration from the environment: PGRELAY_<SECTION>_<KEY> variables and the compact
// PGRELAY_NODES / PGRELAY_USERS / PGRELAY_USERS_FILE forms, laid over the TOML document
// before validation, so the file's rules apply and every problem names its variable. Pure:
// the environment is a value (a list of name/value pairs), never getenv. docs/configuration.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/config.hpp"
#include "proxy/users_file.hpp"

namespace pgrelay::proxy {

// Name/value pairs, as in a process environment. Later entries win over earlier ones.
using environment = std::vector<std::pair<std::string, std::string>>;

// The PGRELAY_* entries of a C environment block ("NAME=value" strings, null-terminated
// array, such as `environ`), in the block's order.
[[nodiscard]] environment pgrelay_variables(const char* const* envp);

// The merged configuration and what the environment contributed to it.
struct effective_config {
    config_result result;  // validated; errors one per line, env ones as "VAR (key): problem"
    std::vector<std::string> applied;  // variables that set something, sorted by name
    std::vector<std::string> ignored;  // PGRELAY_* variables that are no setting, sorted
    // PGRELAY_USERS when set: the users, in place of any users file.
    std::optional<std::string> inline_users;
};

// True when `env` holds at least one variable that is a setting (a file is then optional).
[[nodiscard]] bool has_settings(const environment& env);

// The TOML text (empty: no file) read from a file in `base_dir`, with `env` laid over it.
// Relative paths set by the environment (PGRELAY_USERS_FILE) are resolved against `cwd`.
// Errors from the file's own keys keep their key ("listen.port: ..."); the caller prefixes
// them with the file name when there is one (see load_effective_config).
[[nodiscard]] effective_config parse_effective_config(std::string_view toml_text,
                                                      const std::filesystem::path& base_dir,
                                                      const environment& env,
                                                      const std::filesystem::path& cwd);

// Reads `file` (an empty path: no file, the environment alone) and calls
// parse_effective_config; errors not caused by a variable get the "<file>: " prefix.
[[nodiscard]] effective_config load_effective_config(const std::filesystem::path& file,
                                                     const environment& env,
                                                     const std::filesystem::path& cwd);

// PGRELAY_USERS: "user:secret" entries separated by commas or newlines; the secret is
// taken as in the users file (plaintext, md5..., SCRAM-SHA-256$...). Problems read
// "PGRELAY_USERS:N: problem", N the entry's position; secrets never appear in them.
[[nodiscard]] users_result parse_inline_users(std::string_view value);

}  // namespace pgrelay::proxy
