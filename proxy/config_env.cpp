// The environment overlay: each PGRELAY_* variable becomes a typed value in the TOML
// document (PGRELAY_NODES a [[nodes]] array), the document is validated as a file is, and
// problems caused by a variable are renamed after it. See config_env.hpp.
#include "proxy/config_env.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <set>

#include "proxy/config_document.hpp"
#include "proxy/text_file.hpp"

namespace pgrelay::proxy {
namespace {

constexpr std::string_view prefix = "PGRELAY_";

// How a variable's text becomes a TOML value. Text that does not fit its kind stays a
// string, so the validator reports it with its usual message ("must be an integer ...").
enum class value_kind {
    text,     // as is
    integer,  // [+-]digits
    seconds,  // an integer or a decimal number such as 2.5
    bytes,    // an integer, or a string with a unit ("16MB")
    boolean,  // true/false, yes/no, on/off, 1/0 (any case)
    list,     // comma-separated strings
};

struct key_kind {
    std::string_view section;  // "general", ..., "databases" (any NAME), "nodes" (any node)
    std::string_view key;
    value_kind kind;
};

// Every key that is not a string. Keys not listed (strings, and unknown keys, which the
// validator rejects) are passed as text. A new key of another type must be added here (the
// round-trip test in tests/unit/proxy/config_env_test.cpp fails until it is).
constexpr key_kind key_kinds[] = {
    {"general", "workers", value_kind::integer},
    {"general", "max_client_conn", value_kind::integer},
    {"general", "client_login_timeout", value_kind::seconds},
    {"general", "client_idle_timeout", value_kind::seconds},
    {"general", "server_connect_timeout", value_kind::seconds},
    {"general", "shutdown_timeout", value_kind::seconds},
    {"listen", "port", value_kind::integer},
    {"listen", "reuse_port", value_kind::boolean},
    {"admin", "port", value_kind::integer},
    {"admin", "users", value_kind::list},
    {"http", "port", value_kind::integer},
    {"http", "ready_without_primary", value_kind::boolean},
    {"health", "interval", value_kind::seconds},
    {"health", "connect_timeout", value_kind::seconds},
    {"health", "query_timeout", value_kind::seconds},
    {"health", "rise", value_kind::integer},
    {"health", "fall", value_kind::integer},
    {"health", "max_lag_bytes", value_kind::bytes},
    {"health", "max_lag_ms", value_kind::integer},
    {"pool", "default_pool_size", value_kind::integer},
    {"pool", "min_pool_size", value_kind::integer},
    {"pool", "server_idle_timeout", value_kind::seconds},
    {"pool", "server_lifetime", value_kind::seconds},
    {"pool", "query_wait_timeout", value_kind::seconds},
    {"pool", "primary_wait_timeout", value_kind::seconds},
    {"pool", "max_pinned_fraction", value_kind::seconds},  // a number, read the same way
    {"routing", "writing_functions", value_kind::list},
    {"routing", "retry_recovery_conflicts", value_kind::boolean},
    {"databases", "pool_size", value_kind::integer},
    {"databases", "max_pinned_fraction", value_kind::seconds},
    {"nodes", "port", value_kind::integer},
    {"nodes", "weight", value_kind::integer},
    {"nodes", "max_lag_bytes", value_kind::bytes},
    {"nodes", "max_lag_ms", value_kind::integer},
};

// Sections set as PGRELAY_<SECTION>_<KEY>; [databases] and [[nodes]] have forms of their own.
// A new section of the file must be added here to be settable from the environment.
constexpr std::string_view plain_sections[] = {"general", "listen", "auth", "health", "pool",
                                               "routing", "admin",  "http", "tls"};

// Keys of PGRELAY_DATABASES_<NAME>_<KEY> and PGRELAY_NODES_<NAME>_<KEY>, longest first so
// that the suffix match is unambiguous.
constexpr std::string_view database_keys[] = {"max_pinned_fraction", "pool_mode", "pool_size",
                                              "routing"};
constexpr std::string_view node_keys[] = {
    "server_tls_ca_file", "max_lag_bytes", "max_lag_ms", "server_tls", "weight", "port", "host"};

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

std::string_view trim(std::string_view text) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!text.empty() && blank(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && blank(text.back()))
        text.remove_suffix(1);
    return text;
}

std::vector<std::string_view> split(std::string_view text, std::string_view separators) {
    std::vector<std::string_view> out;
    size_t start = 0;
    while (true) {
        const size_t end = text.find_first_of(separators, start);
        out.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
        if (end == std::string_view::npos) return out;
        start = end + 1;
    }
}

std::string in_quotes(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

bool all_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

value_kind kind_of(std::string_view section, std::string_view key) {
    for (const key_kind& k : key_kinds) {
        if (k.section == section && k.key == key) return k.kind;
    }
    return value_kind::text;
}

std::optional<int64_t> to_integer(std::string_view text) {
    std::string_view digits = text;
    if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
        digits.remove_prefix(1);
    }
    if (!all_digits(digits)) return std::nullopt;
    if (text.front() == '+') text.remove_prefix(1);
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// Sets table[key] to a typed TOML value for `text` (see value_kind).
void insert_value(toml::table& table, std::string_view key, std::string_view text,
                  value_kind kind) {
    const std::string_view t = trim(text);
    switch (kind) {
        case value_kind::text:
            break;
        case value_kind::integer:
            if (auto i = to_integer(t)) {
                table.insert_or_assign(key, *i);
                return;
            }
            break;
        case value_kind::seconds: {
            if (auto i = to_integer(t)) {
                table.insert_or_assign(key, *i);
                return;
            }
            const size_t dot = t.find('.');
            std::string_view whole = t.substr(0, dot);
            if (!whole.empty() && whole.front() == '-') whole.remove_prefix(1);
            if (dot != std::string_view::npos && all_digits(whole) &&
                all_digits(t.substr(dot + 1))) {
                double value = 0;
                std::from_chars(t.data(), t.data() + t.size(), value);
                table.insert_or_assign(key, value);
                return;
            }
            break;
        }
        case value_kind::bytes:
            if (auto i = to_integer(t); i && all_digits(t)) {
                table.insert_or_assign(key, *i);
                return;
            }
            break;
        case value_kind::boolean: {
            const std::string l = lower(t);
            if (l == "true" || l == "yes" || l == "on" || l == "1") {
                table.insert_or_assign(key, true);
                return;
            }
            if (l == "false" || l == "no" || l == "off" || l == "0") {
                table.insert_or_assign(key, false);
                return;
            }
            break;
        }
        case value_kind::list: {
            toml::array items;
            for (std::string_view item : split(text, ",")) {
                item = trim(item);
                if (!item.empty()) items.push_back(std::string(item));
            }
            table.insert_or_assign(key, std::move(items));
            return;
        }
    }
    table.insert_or_assign(key, std::string(text));
}

// A node name derived from a host: the host with characters a name may not hold as '_'.
std::string name_from_host(std::string_view host) {
    std::string out(host);
    for (char& c : out) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
        if (!ok) c = '_';
    }
    return out;
}

// A node name as it appears in a variable name: upper case, anything else than a letter or
// digit as '_' ("pg-1.eu" -> "PG_1_EU").
std::string variable_form(std::string_view name) {
    std::string out = upper(name);
    for (char& c : out) {
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) c = '_';
    }
    return out;
}

struct node_spec {
    std::string name;  // explicit (name=...) or derived
    bool named = false;
    std::string host;
    std::string port;  // empty: the default
};

// Builds the whole document change; collects problems that no validator can see.
class overlay {
  public:
    overlay(toml::table& root, const std::filesystem::path& cwd) : root_(root), cwd_(cwd) {}

    void apply(const environment& env) {
        std::map<std::string, std::string> vars;  // by name; later entries win
        for (const auto& [name, value] : env) {
            if (name.starts_with(prefix)) vars[name] = value;
        }
        // Nodes first: per-node variables refer to the node list as the environment leaves it.
        if (auto it = vars.find("PGRELAY_NODES"); it != vars.end() && !it->second.empty()) {
            set_nodes(it->first, it->second);
        }
        for (const auto& [name, value] : vars) {
            if (value.empty() || name == "PGRELAY_NODES") continue;  // empty: not set
            const std::string rest = name.substr(prefix.size());
            if (rest == "USERS") {
                inline_users_ = value;
                applied_.push_back(name);
            } else if (rest == "USERS_FILE") {
                set_key(name, "auth", "users_file", value);
            } else if (rest.starts_with("NODES_")) {
                set_node_key(name, rest.substr(std::strlen("NODES_")), value);
            } else if (rest.starts_with("DATABASES_")) {
                set_database_key(name, rest.substr(std::strlen("DATABASES_")), value);
            } else if (!set_section_key(name, rest, value)) {
                ignored_.push_back(name);
            }
        }
        if (inline_users_) {
            if (auto* auth = root_["auth"].as_table()) {
                if (auth->contains("users_file") && origins_.contains("auth.users_file")) {
                    problem(origins_["auth.users_file"] +
                            ": set either PGRELAY_USERS or a users file, not both");
                }
                auth->erase("users_file");  // the environment's users replace the file's
            }
        }
    }

    // Errors of the validator, each "key: problem", with the ones a variable caused
    // renamed to "VAR (key): problem"; others get `file_prefix`.
    [[nodiscard]] std::string rename_errors(std::string_view errors,
                                            std::string_view file_prefix) const {
        std::string out;
        for (std::string_view line : split(errors, "\n")) {
            if (!out.empty()) out += '\n';
            const size_t colon = line.find(": ");
            const std::string_view key =
                colon == std::string_view::npos ? std::string_view{} : line.substr(0, colon);
            if (auto var = origin_of(key)) {
                out += *var + " (" + std::string(key) + ")" + std::string(line.substr(colon));
            } else {
                out += std::string(file_prefix) + std::string(line);
            }
        }
        return out;
    }

    [[nodiscard]] const std::vector<std::string>& problems() const { return problems_; }
    [[nodiscard]] std::vector<std::string> applied() const { return sorted(applied_); }
    [[nodiscard]] std::vector<std::string> ignored() const { return sorted(ignored_); }
    [[nodiscard]] const std::optional<std::string>& inline_users() const { return inline_users_; }

  private:
    static std::vector<std::string> sorted(std::vector<std::string> names) {
        std::sort(names.begin(), names.end());
        names.erase(std::unique(names.begin(), names.end()), names.end());
        return names;
    }

    void problem(std::string text) { problems_.push_back(std::move(text)); }

    // The variable that set `key` or the closest enclosing key ("nodes" for
    // "nodes[1].port"), if any.
    [[nodiscard]] std::optional<std::string> origin_of(std::string_view key) const {
        std::optional<std::string> best;
        size_t best_length = 0;
        for (const auto& [path, var] : origins_) {
            if (!key.starts_with(path)) continue;
            const bool boundary =
                key.size() == path.size() || key[path.size()] == '.' || key[path.size()] == '[';
            if (boundary && path.size() >= best_length) {
                best = var;
                best_length = path.size();
            }
        }
        return best;
    }

    // The table `name` of the root, created when missing; nullptr when the file has
    // something else there (the validator reports that).
    toml::table* section(std::string_view name) {
        if (!root_.contains(name)) root_.insert(name, toml::table{});
        return root_[name].as_table();
    }

    void set_key(const std::string& var, std::string_view section_name, std::string_view key,
                 const std::string& value) {
        const std::string path = std::string(section_name) + "." + std::string(key);
        if (origins_.contains(path)) {
            problem(var + ": sets " + path + " as " + origins_[path] + " does; set only one");
            return;
        }
        toml::table* table = section(section_name);
        if (table == nullptr) return;
        std::string text = value;
        if (path == "auth.users_file") {
            std::filesystem::path p(value);
            if (p.is_relative() && !cwd_.empty()) text = (cwd_ / p).lexically_normal().string();
        }
        insert_value(*table, key, text, kind_of(section_name, key));
        origins_[path] = var;
        applied_.push_back(var);
    }

    // PGRELAY_<SECTION>_<KEY>; false when <SECTION> is no section (the variable is ignored).
    bool set_section_key(const std::string& var, std::string_view rest, const std::string& value) {
        const size_t underscore = rest.find('_');
        if (underscore == std::string_view::npos || underscore + 1 == rest.size()) return false;
        const std::string section_name = lower(rest.substr(0, underscore));
        if (std::find(std::begin(plain_sections), std::end(plain_sections), section_name) ==
            std::end(plain_sections)) {
            return false;
        }
        set_key(var, section_name, lower(rest.substr(underscore + 1)), value);
        return true;
    }

    // Splits "<NAME>_<KEY>" on the longest known key suffix; nullopt when none fits.
    template <size_t N>
    static std::optional<std::pair<std::string, std::string>> name_and_key(
        std::string_view rest, const std::string_view (&keys)[N]) {
        const std::string l = lower(rest);
        for (std::string_view key : keys) {
            const std::string suffix = "_" + std::string(key);
            if (l.size() > suffix.size() && l.ends_with(suffix)) {
                return std::pair{std::string(rest.substr(0, l.size() - suffix.size())),
                                 std::string(key)};
            }
        }
        return std::nullopt;
    }

    // PGRELAY_DATABASES_<NAME>_<KEY>: [databases.<name>] with the name in lower case.
    void set_database_key(const std::string& var, std::string_view rest, const std::string& value) {
        auto split_name = name_and_key(rest, database_keys);
        if (!split_name) {
            problem(var +
                    ": expected PGRELAY_DATABASES_<NAME>_<KEY> with KEY one of ROUTING, "
                    "POOL_MODE, POOL_SIZE");
            return;
        }
        const std::string name = lower(split_name->first);
        toml::table* databases = section("databases");
        if (databases == nullptr) return;
        if (!databases->contains(name)) databases->insert(name, toml::table{});
        toml::table* db = (*databases)[name].as_table();
        if (db == nullptr) return;
        insert_value(*db, split_name->second, value, kind_of("databases", split_name->second));
        origins_["databases." + name + "." + split_name->second] = var;
        applied_.push_back(var);
    }

    // PGRELAY_NODES_<NAME>_<KEY>: one key of the node whose name, in variable form,
    // is <NAME>.
    void set_node_key(const std::string& var, std::string_view rest, const std::string& value) {
        auto split_name = name_and_key(rest, node_keys);
        if (!split_name) {
            problem(var +
                    ": expected PGRELAY_NODES_<NAME>_<KEY> with KEY one of HOST, PORT, WEIGHT, "
                    "MAX_LAG_BYTES, MAX_LAG_MS");
            return;
        }
        toml::array* nodes = root_["nodes"].as_array();
        std::vector<std::string> names;
        std::optional<size_t> match;
        for (size_t i = 0; nodes != nullptr && i < nodes->size(); ++i) {
            const toml::table* node = (*nodes)[i].as_table();
            const auto* name = node != nullptr ? node->get_as<std::string>("name") : nullptr;
            if (name == nullptr) continue;
            names.push_back(name->get());
            if (variable_form(name->get()) != upper(split_name->first)) continue;
            if (match) {
                problem(var + ": more than one node has a name that reads " +
                        upper(split_name->first) + " in a variable name");
                return;
            }
            match = i;
        }
        if (!match) {
            std::string known;
            for (const auto& n : names)
                known += (known.empty() ? "" : ", ") + n;
            problem(var + ": no node named like " + in_quotes(split_name->first) +
                    " (nodes: " + (known.empty() ? "none" : known) + ")");
            return;
        }
        toml::table& node = *(*nodes)[*match].as_table();
        insert_value(node, split_name->second, value, kind_of("nodes", split_name->second));
        origins_["nodes[" + std::to_string(*match) + "]." + split_name->second] = var;
        applied_.push_back(var);
    }

    // PGRELAY_NODES="[name=]host[:port],...": replaces the file's [[nodes]].
    void set_nodes(const std::string& var, std::string_view value) {
        std::vector<node_spec> specs;
        size_t entry = 0;
        for (std::string_view item : split(value, ",")) {
            item = trim(item);
            if (item.empty()) continue;
            ++entry;
            node_spec spec;
            if (const size_t eq = item.find('='); eq != std::string_view::npos) {
                spec.name = std::string(trim(item.substr(0, eq)));
                spec.named = true;
                item = trim(item.substr(eq + 1));
            }
            if (item.starts_with('[')) {  // [IPv6]:port
                const size_t close = item.find(']');
                if (close == std::string_view::npos ||
                    (close + 1 < item.size() && item[close + 1] != ':')) {
                    problem(var + ": entry " + std::to_string(entry) + " " + in_quotes(item) +
                            ": expected [address] or [address]:port");
                    continue;
                }
                spec.host = std::string(item.substr(1, close - 1));
                if (close + 1 < item.size()) spec.port = std::string(item.substr(close + 2));
            } else if (std::count(item.begin(), item.end(), ':') == 1) {
                const size_t colon = item.find(':');
                spec.host = std::string(item.substr(0, colon));
                spec.port = std::string(item.substr(colon + 1));
            } else {
                spec.host = std::string(item);  // no port, or a bare IPv6 address
            }
            specs.push_back(std::move(spec));
        }
        // Derived names: the host; host_port where two entries share a host.
        std::map<std::string, int> host_count;
        for (const node_spec& s : specs) {
            if (!s.named) ++host_count[name_from_host(s.host)];
        }
        toml::array nodes;
        for (node_spec& s : specs) {
            if (!s.named) {
                s.name = name_from_host(s.host);
                if (host_count[s.name] > 1) s.name += "_" + (s.port.empty() ? "5432" : s.port);
            }
            toml::table node;
            node.insert("name", s.name);
            node.insert("host", s.host);
            if (!s.port.empty()) insert_value(node, "port", s.port, value_kind::integer);
            nodes.push_back(std::move(node));
        }
        root_.insert_or_assign("nodes", std::move(nodes));
        origins_["nodes"] = var;
        applied_.push_back(var);
    }

    toml::table& root_;
    std::filesystem::path cwd_;
    std::map<std::string, std::string> origins_;  // key path -> variable that set it
    std::vector<std::string> problems_;
    std::vector<std::string> applied_;
    std::vector<std::string> ignored_;
    std::optional<std::string> inline_users_;
};

effective_config parse_with_prefix(std::string_view toml_text,
                                   const std::filesystem::path& base_dir, const environment& env,
                                   const std::filesystem::path& cwd, std::string_view file_prefix) {
    effective_config out;
    std::string syntax_error;
    auto root = parse_config_document(toml_text, syntax_error);
    if (!root) {
        out.result.error = std::string(file_prefix) + syntax_error;
        return out;
    }
    overlay o(*root, cwd);
    o.apply(env);
    out.applied = o.applied();
    out.ignored = o.ignored();
    out.inline_users = o.inline_users();
    document_options options;
    options.users_file_required = !out.inline_users.has_value();
    out.result = validate_config_document(*root, base_dir, options);
    std::string errors;
    for (const std::string& p : o.problems())
        errors += (errors.empty() ? "" : "\n") + p;
    if (!out.result.ok()) {
        if (!errors.empty()) errors += '\n';
        errors += o.rename_errors(out.result.error, file_prefix);
    }
    if (!errors.empty()) out.result = {std::nullopt, std::move(errors)};
    return out;
}

}  // namespace

environment pgrelay_variables(const char* const* envp) {
    environment out;
    for (; envp != nullptr && *envp != nullptr; ++envp) {
        const std::string_view entry = *envp;
        const size_t eq = entry.find('=');
        if (eq == std::string_view::npos || !entry.starts_with(prefix)) continue;
        out.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return out;
}

bool has_settings(const environment& env) {
    toml::table scratch;
    overlay o(scratch, {});
    o.apply(env);
    return !o.applied().empty();
}

effective_config parse_effective_config(std::string_view toml_text,
                                        const std::filesystem::path& base_dir,
                                        const environment& env, const std::filesystem::path& cwd) {
    return parse_with_prefix(toml_text, base_dir, env, cwd, {});
}

effective_config load_effective_config(const std::filesystem::path& file, const environment& env,
                                       const std::filesystem::path& cwd) {
    if (file.empty()) return parse_with_prefix({}, cwd, env, cwd, {});
    auto text = read_text_file(file);
    if (!text.text) {
        effective_config out;
        out.result.error = std::move(text.error);
        return out;
    }
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::absolute(file, ec).parent_path();
    if (ec) dir = file.parent_path();
    return parse_with_prefix(*text.text, dir, env, cwd, file.string() + ": ");
}

users_result parse_inline_users(std::string_view value) {
    std::string text;
    std::string errors;
    size_t entry = 0;
    for (std::string_view item : split(value, ",\n")) {
        item = trim(item);
        ++entry;
        const size_t colon = item.find(':');
        if (item.empty()) {
            text += '\n';  // a blank line: keeps entry numbers equal to line numbers
            continue;
        }
        if (colon == std::string_view::npos || colon == 0) {
            if (!errors.empty()) errors += '\n';
            errors += "PGRELAY_USERS:" + std::to_string(entry) +
                      ": expected user:secret (entries separated by commas)";
            text += '\n';  // keeps entry numbers equal to line numbers
            continue;
        }
        auto field = [](std::string_view f) {
            std::string out = "\"";
            for (char c : f) {
                out += c;
                if (c == '"') out += '"';
            }
            return out + "\"";
        };
        text += field(item.substr(0, colon)) + " " + field(item.substr(colon + 1)) + "\n";
    }
    users_result parsed = parse_users(text, "PGRELAY_USERS");
    if (errors.empty()) return parsed;
    if (!parsed.ok()) errors += "\n" + parsed.error;
    return {std::nullopt, std::move(errors)};
}

}  // namespace pgrelay::proxy
