// Minted cancel keys and their servers; see cancel_map.hpp.
#include "proxy/cancel_map.hpp"

#include <openssl/rand.h>

#include <cstring>

namespace pgrelay::proxy {

protocol::backend_key cancel_map::mint() {
    std::lock_guard lock(mutex_);
    while (true) {
        protocol::backend_key k;
        k.process_id = next_pid_;
        next_pid_ = next_pid_ == INT32_MAX ? 1 : next_pid_ + 1;
        std::uint32_t secret = 0;
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&secret), sizeof secret) != 1) {
            // RAND_bytes fails only when the entropy source is gone; a counter-mixed fallback
            // keeps keys distinct, which is all the map needs.
            secret = static_cast<std::uint32_t>(k.process_id) * 2654435761u;
        }
        std::memcpy(&k.secret_key, &secret, sizeof secret);
        if (entries_.try_emplace(index(k)).second) return k;
    }
}

void cancel_map::set_target(protocol::backend_key client_key, cancel_target target) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(index(client_key));
    if (it != entries_.end()) it->second = std::move(target);
}

void cancel_map::clear_target(protocol::backend_key client_key) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(index(client_key));
    if (it != entries_.end()) it->second.reset();
}

void cancel_map::forget(protocol::backend_key client_key) {
    std::lock_guard lock(mutex_);
    entries_.erase(index(client_key));
}

std::optional<cancel_target> cancel_map::find(protocol::backend_key client_key) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(index(client_key));
    if (it == entries_.end()) return std::nullopt;
    return it->second;
}

std::size_t cancel_map::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace pgrelay::proxy
