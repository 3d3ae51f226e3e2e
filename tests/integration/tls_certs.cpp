// Test certificates made with openssl; see tls_certs.hpp.
#include "tests/integration/tls_certs.hpp"

#include <fstream>

#include "tests/integration/cluster_environment.hpp"
#include "tests/integration/subprocess.hpp"

namespace pgrelay::it {

namespace {

// Runs openssl; false (and the reason in `error`) when it failed.
bool openssl(const std::vector<std::string>& args, const std::filesystem::path& dir,
             std::string& error) {
    std::vector<std::string> argv{"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    command_options options;
    options.cwd = dir;
    auto r = run_command(argv, options);
    if (r.ok()) return true;
    error =
        "openssl " + args.front() + " failed (is the openssl command installed?): " + r.describe();
    return false;
}

bool make_ca(const std::filesystem::path& dir, const std::string& name, std::string& error) {
    return openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key",
                    "-out", name + ".crt", "-days", "2", "-subj", "/CN=pgrelay test " + name},
                   dir, error);
}

tls_files make_all() {
    tls_files f;
    const auto dir = run_dir() / "tls";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "server.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    const bool made = make_ca(dir, "ca", f.error) && make_ca(dir, "wrong-ca", f.error) &&
                      openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
                               "-out", "server.csr", "-subj", "/CN=localhost"},
                              dir, f.error) &&
                      openssl({"x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey",
                               "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2",
                               "-sha256", "-extfile", "server.ext"},
                              dir, f.error);
    if (!made) return f;
    std::filesystem::permissions(dir / "server.key", std::filesystem::perms::owner_read |
                                                         std::filesystem::perms::owner_write);
    f.ca_cert = dir / "ca.crt";
    f.wrong_ca_cert = dir / "wrong-ca.crt";
    f.server_cert = dir / "server.crt";
    f.server_key = dir / "server.key";
    return f;
}

}  // namespace

const tls_files& test_certificates() {
    static const tls_files files = make_all();
    return files;
}

}  // namespace pgrelay::it
