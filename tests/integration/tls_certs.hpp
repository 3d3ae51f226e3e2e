// Certificates for the TLS tests, made with the openssl command once per run under
// run_dir(): a test CA, a server certificate it signed for localhost and 127.0.0.1
// (subjectAltName), and an unrelated CA that must not verify it.
#pragma once

#include <filesystem>
#include <string>

namespace pgrelay::it {

struct tls_files {
    std::filesystem::path ca_cert;
    std::filesystem::path server_cert;
    std::filesystem::path server_key;
    std::filesystem::path wrong_ca_cert;
    std::string error;  // set when openssl failed (what it said)

    [[nodiscard]] bool ok() const { return error.empty(); }
};

// Made on first use; the same files for the rest of the run.
const tls_files& test_certificates();

}  // namespace pgrelay::it
