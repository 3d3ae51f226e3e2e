// Reading a whole text file (the config, the users file) with an error message that names
// the file and the problem, as the loaders report it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace pgrelay::proxy {

struct text_file_result {
    std::optional<std::string> text;
    std::string error;  // "<path>: cannot open: ...", "<path>: cannot read: is a directory"
};

text_file_result read_text_file(const std::filesystem::path& path);

}  // namespace pgrelay::proxy
