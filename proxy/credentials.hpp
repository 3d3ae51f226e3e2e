// What pgrelay knows of each user's secret, derived once from the users file: the forms a
// client can be verified with (plaintext, MD5 hash, SCRAM secret) and, per login, the
// credentials pgrelay can present to a server on that user's behalf.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "protocol/scram.hpp"
#include "proxy/users_file.hpp"

namespace pgrelay::proxy {

struct user_credentials {
    std::string name;
    std::optional<std::string> password;           // plaintext, when the file has it
    std::optional<std::string> md5_hash;           // "md5..." (from the file or the password)
    std::optional<protocol::scram::secret> scram;  // from the file or derived from the password
};

// What a server connection can authenticate with, after the client logged in.
struct server_credentials {
    std::optional<std::string> password;
    std::optional<std::string> md5_hash;
    std::optional<protocol::scram::client_keys>
        scram_keys;  // recovered from the client's SCRAM proof
};

class user_directory {
  public:
    user_directory() = default;
    explicit user_directory(const user_map& users);

    const user_credentials* find(const std::string& name) const;
    std::size_t size() const { return users_.size(); }

  private:
    std::unordered_map<std::string, user_credentials> users_;
};

// The credentials a server login may use for this user, before any client proof.
server_credentials base_server_credentials(const user_credentials& user);

}  // namespace pgrelay::proxy
