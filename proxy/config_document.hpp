// The TOML document under config.hpp, for loaders that build or amend the document before
// it is validated (the environment overlay, config_env.hpp): parse text into a document,
// validate a document with the same rules and messages as a file.
#pragma once

#include <toml++/toml.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/config.hpp"

namespace pgrelay::proxy {

struct document_options {
    // false when the users come from somewhere else (PGRELAY_USERS): a missing
    // auth.users_file is then no error and config::users_file stays empty.
    bool users_file_required = true;
};

// The document, or nullopt and `error` = "line L, column C: problem" for a syntax error.
[[nodiscard]] std::optional<toml::table> parse_config_document(std::string_view toml_text,
                                                               std::string& error);

// Validates a document exactly as parse_config validates text (same keys, same messages).
[[nodiscard]] config_result validate_config_document(const toml::table& root,
                                                     const std::filesystem::path& base_dir,
                                                     const document_options& options = {});

}  // namespace pgrelay::proxy
