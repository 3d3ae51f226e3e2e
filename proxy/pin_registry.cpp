// Pinned-client counts; see pin_registry.hpp.
#include "proxy/pin_registry.hpp"

namespace pgrelay::proxy {

bool pin_registry::try_pin(std::size_t node, std::string_view database, std::uint32_t limit) {
    std::lock_guard lock(mutex_);
    auto& count = counts_[{node, std::string(database)}];
    if (count >= limit) return false;
    ++count;
    return true;
}

void pin_registry::pin(std::size_t node, std::string_view database) {
    std::lock_guard lock(mutex_);
    ++counts_[{node, std::string(database)}];
}

void pin_registry::unpin(std::size_t node, std::string_view database) {
    std::lock_guard lock(mutex_);
    auto it = counts_.find({node, std::string(database)});
    if (it == counts_.end()) return;
    if (--it->second == 0) counts_.erase(it);
}

std::uint32_t pin_registry::pinned(std::size_t node, std::string_view database) const {
    std::lock_guard lock(mutex_);
    auto it = counts_.find({node, std::string(database)});
    return it == counts_.end() ? 0 : it->second;
}

std::uint64_t pin_registry::total() const {
    std::lock_guard lock(mutex_);
    std::uint64_t sum = 0;
    for (const auto& [k, n] : counts_)
        sum += n;
    return sum;
}

}  // namespace pgrelay::proxy
