// User secrets in every usable form; see credentials.hpp.
#include "proxy/credentials.hpp"

#include "protocol/md5_auth.hpp"

namespace pgrelay::proxy {

user_directory::user_directory(const user_map& users) {
    for (const auto& [name, entry] : users) {
        user_credentials c;
        c.name = name;
        switch (entry.kind) {
            case secret_kind::plain:
                c.password = entry.secret;
                // An empty password only serves trust: like PostgreSQL, never accept it.
                if (!entry.secret.empty()) {
                    c.md5_hash = protocol::md5::password_hash(entry.secret, name);
                    c.scram = protocol::scram::make_secret(entry.secret);
                }
                break;
            case secret_kind::md5:
                c.md5_hash = entry.secret;
                break;
            case secret_kind::scram:
                c.scram = protocol::scram::parse_secret(entry.secret);
                break;
        }
        users_.emplace(name, std::move(c));
    }
}

const user_credentials* user_directory::find(const std::string& name) const {
    auto it = users_.find(name);
    return it == users_.end() ? nullptr : &it->second;
}

server_credentials base_server_credentials(const user_credentials& user) {
    server_credentials s;
    s.password = user.password;
    s.md5_hash = user.md5_hash;
    return s;
}

}  // namespace pgrelay::proxy
