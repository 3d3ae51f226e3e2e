// Clients pinned to their server connection, counted per (node, database) across all workers,
// so that max_pinned_fraction can keep a share of every pool free for unpinned clients. Touched
// only when a client pins or unpins, never per transaction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace pgrelay::proxy {

class pin_registry {
  public:
    // Counts one more pinned client unless `limit` are pinned already; false then.
    bool try_pin(std::size_t node, std::string_view database, std::uint32_t limit);
    // Counts one more whatever the limit (a pin discovered after the fact).
    void pin(std::size_t node, std::string_view database);
    void unpin(std::size_t node, std::string_view database);
    std::uint32_t pinned(std::size_t node, std::string_view database) const;
    std::uint64_t total() const;

  private:
    using key = std::pair<std::size_t, std::string>;
    mutable std::mutex mutex_;
    std::map<key, std::uint32_t> counts_;
};

}  // namespace pgrelay::proxy
