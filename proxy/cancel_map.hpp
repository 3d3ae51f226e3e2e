// Cancel keys: each client gets a BackendKeyData minted by pgrelay, never a server's real
// key. A CancelRequest carrying a minted key is forwarded to the server the client is on,
// with that server's key. Shared by all workers; lookups take a short lock.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "protocol/messages.hpp"

namespace pgrelay::proxy {

struct cancel_target {
    std::string host;
    std::uint16_t port = 0;
    protocol::backend_key server_key;
};

class cancel_map {
  public:
    // Mints a unique key for a new client (no target until it has a server).
    protocol::backend_key mint();
    void set_target(protocol::backend_key client_key, cancel_target target);
    void clear_target(protocol::backend_key client_key);
    void forget(protocol::backend_key client_key);
    // The server to cancel on, or nothing for an unknown key or a client without a server.
    std::optional<cancel_target> find(protocol::backend_key client_key) const;
    std::size_t size() const;

  private:
    static std::uint64_t index(protocol::backend_key k) {
        return (std::uint64_t{static_cast<std::uint32_t>(k.process_id)} << 32) |
               static_cast<std::uint32_t>(k.secret_key);
    }

    mutable std::mutex mutex_;
    std::int32_t next_pid_ = 1;
    std::unordered_map<std::uint64_t, std::optional<cancel_target>> entries_;
};

}  // namespace pgrelay::proxy
