// Whole-file reads with named errors; see text_file.hpp.
#include "proxy/text_file.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace pgrelay::proxy {

text_file_result read_text_file(const std::filesystem::path& path) {
    const std::string name = path.string();
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        return {std::nullopt, name + ": cannot read: is a directory"};
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(name.c_str(), "rb"),
                                                         &std::fclose);
    if (!file) return {std::nullopt, name + ": cannot open: " + std::strerror(errno)};
    std::string text;
    std::array<char, 8192> buf{};
    while (true) {
        const size_t n = std::fread(buf.data(), 1, buf.size(), file.get());
        text.append(buf.data(), n);
        if (n < buf.size()) break;
    }
    if (std::ferror(file.get()) != 0) {
        return {std::nullopt, name + ": cannot read: " + std::strerror(errno)};
    }
    return {std::move(text), {}};
}

}  // namespace pgrelay::proxy
