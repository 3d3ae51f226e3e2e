// The configuration and users as one load; see config_loader.hpp.
#include "proxy/config_loader.hpp"

#include "protocol/scram.hpp"
#include "proxy/log.hpp"
#include "proxy/users_file.hpp"

namespace pgrelay::proxy {

loaded_configuration load_configuration(const config_source& source) {
    loaded_configuration out;
    auto loaded = load_effective_config(source.file, source.env, source.cwd);
    out.applied = std::move(loaded.applied);
    out.ignored = std::move(loaded.ignored);
    if (!loaded.result.ok()) {
        out.error = "invalid configuration:\n" + loaded.result.error;
        return out;
    }
    const config& settings = *loaded.result.value;
    auto users = loaded.inline_users ? parse_inline_users(*loaded.inline_users)
                                     : load_users_file(settings.users_file);
    out.users_source =
        loaded.inline_users ? std::string("PGRELAY_USERS") : settings.users_file.string();
    if (!users.ok()) {
        out.error = std::string("invalid ") +
                    (loaded.inline_users ? "PGRELAY_USERS" : "users file") + ":\n" + users.error;
        return out;
    }
    for (const auto& [name, entry] : *users.value) {
        if (entry.kind == secret_kind::scram && !protocol::scram::parse_secret(entry.secret)) {
            out.error = "invalid users:\n" + out.users_source + ": user \"" + name +
                        "\": malformed SCRAM-SHA-256 secret";
            return out;
        }
    }
    auto tls = load_tls(settings);
    if (!tls.ok()) {
        out.error = "invalid TLS settings:\n" + tls.error;
        return out;
    }
    out.tls = std::move(tls.value);
    out.user_count = users.value->size();
    out.users = std::make_shared<const user_directory>(*users.value);
    out.cfg = std::make_shared<const config>(std::move(*loaded.result.value));
    return out;
}

void apply_log_settings(const config& cfg) {
    auto severity = log_severity::info;
    switch (cfg.level) {
        case log_level::debug:
            severity = log_severity::debug;
            break;
        case log_level::info:
            severity = log_severity::info;
            break;
        case log_level::warning:
            severity = log_severity::warning;
            break;
        case log_level::error:
            severity = log_severity::error;
            break;
    }
    logger::set_level(severity);
    logger::set_format(cfg.log_output);
}

}  // namespace pgrelay::proxy
