// gs2 headers and tls-server-end-point channel binding data; see channel_binding.hpp.
#include "protocol/channel_binding.hpp"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <memory>

namespace pgrelay::protocol::scram {

std::optional<gs2_header> parse_gs2_header(std::string_view msg) {
    const std::size_t comma1 = msg.find(',');
    if (comma1 == std::string_view::npos) return std::nullopt;
    const std::size_t comma2 = msg.find(',', comma1 + 1);
    if (comma2 == std::string_view::npos) return std::nullopt;
    gs2_header h;
    const std::string_view flag = msg.substr(0, comma1);
    if (flag == "n") {
        h.flag = cbind_flag::none;
    } else if (flag == "y") {
        h.flag = cbind_flag::unannounced;
    } else if (flag.starts_with("p=")) {
        h.flag = cbind_flag::required;
        h.cbind_name = flag.substr(2);
    } else {
        return std::nullopt;
    }
    h.authzid = msg.substr(comma1 + 1, comma2 - comma1 - 1);
    h.length = comma2 + 1;
    return h;
}

cbind_check check_channel_binding(const gs2_header& header, bool offered, bool plus_selected) {
    switch (header.flag) {
        case cbind_flag::none:
            return plus_selected ? cbind_check::plus_without_p : cbind_check::ok;
        case cbind_flag::unannounced:
            if (plus_selected) return cbind_check::plus_without_p;
            return offered ? cbind_check::downgrade : cbind_check::ok;
        case cbind_flag::required:
            if (!offered) return cbind_check::not_offered;
            if (!plus_selected) return cbind_check::p_without_plus;
            if (header.cbind_name != tls_server_end_point) return cbind_check::unsupported_type;
            return cbind_check::ok;
    }
    return cbind_check::not_offered;
}

std::optional<std::vector<std::uint8_t>> server_end_point_hash(
    std::span<const std::uint8_t> der_certificate) {
    const unsigned char* p = der_certificate.data();
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        d2i_X509(nullptr, &p, static_cast<long>(der_certificate.size())), &X509_free);
    if (!cert || p != der_certificate.data() + der_certificate.size()) return std::nullopt;
    int md_nid = NID_undef;
    if (OBJ_find_sigid_algs(X509_get_signature_nid(cert.get()), &md_nid, nullptr) == 0)
        return std::nullopt;
    // RFC 5929 4.1: MD5 and SHA-1 are replaced by SHA-256.
    if (md_nid == NID_md5 || md_nid == NID_sha1) md_nid = NID_sha256;
    const EVP_MD* md = md_nid == NID_undef ? nullptr : EVP_get_digestbynid(md_nid);
    if (md == nullptr) return std::nullopt;
    std::vector<std::uint8_t> hash(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    if (X509_digest(cert.get(), md, hash.data(), &len) != 1) return std::nullopt;
    hash.resize(len);
    return hash;
}

}  // namespace pgrelay::protocol::scram
