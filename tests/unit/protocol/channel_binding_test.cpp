// gs2 header parsing, the channel-binding decision table (every flag x offered x selected)
// and tls-server-end-point data of certificates signed with each hash (RFC 5929 4.1).
#include "protocol/channel_binding.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

namespace pgrelay::protocol::scram {
namespace {

TEST(Gs2Header, ParsesEachFlag) {
    auto n = parse_gs2_header("n,,n=,r=abc");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->flag, cbind_flag::none);
    EXPECT_EQ(n->length, 3U);
    EXPECT_TRUE(n->authzid.empty());

    auto y = parse_gs2_header("y,,n=,r=abc");
    ASSERT_TRUE(y);
    EXPECT_EQ(y->flag, cbind_flag::unannounced);

    auto p = parse_gs2_header("p=tls-server-end-point,,n=,r=abc");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->flag, cbind_flag::required);
    EXPECT_EQ(p->cbind_name, "tls-server-end-point");
    EXPECT_EQ(p->length, std::string_view("p=tls-server-end-point,,").size());

    auto empty_name = parse_gs2_header("p=,,");
    ASSERT_TRUE(empty_name);
    EXPECT_EQ(empty_name->cbind_name, "");

    auto authz = parse_gs2_header("n,a=bob,n=,r=x");
    ASSERT_TRUE(authz);
    EXPECT_EQ(authz->authzid, "a=bob");
    EXPECT_EQ(authz->length, 8U);
}

TEST(Gs2Header, RejectsMalformed) {
    for (std::string_view bad :
         {"", "n", "n,", "y", "p=x,", ",,", "x,,", "N,,", "yes,,", "p,,", "np,,", " n,,"}) {
        EXPECT_FALSE(parse_gs2_header(bad)) << '"' << bad << '"';
    }
}

TEST(ChannelBindingCheck, EveryCombination) {
    const gs2_header n{cbind_flag::none, {}, {}, 3};
    const gs2_header y{cbind_flag::unannounced, {}, {}, 3};
    const gs2_header p{cbind_flag::required, tls_server_end_point, {}, 24};
    const gs2_header p_other{cbind_flag::required, "tls-unique", {}, 14};
    struct row {
        const gs2_header* header;
        bool offered;
        bool selected;
        cbind_check expected;
    };
    const row rows[] = {
        {&n, false, false, cbind_check::ok},
        {&n, true, false, cbind_check::ok},
        {&n, true, true, cbind_check::plus_without_p},
        {&n, false, true, cbind_check::plus_without_p},
        {&y, false, false, cbind_check::ok},
        {&y, true, false, cbind_check::downgrade},
        {&y, true, true, cbind_check::plus_without_p},
        {&y, false, true, cbind_check::plus_without_p},
        {&p, false, false, cbind_check::not_offered},
        {&p, false, true, cbind_check::not_offered},
        {&p, true, false, cbind_check::p_without_plus},
        {&p, true, true, cbind_check::ok},
        {&p_other, true, true, cbind_check::unsupported_type},
        {&p_other, true, false, cbind_check::p_without_plus},
        {&p_other, false, false, cbind_check::not_offered},
    };
    for (const row& r : rows) {
        EXPECT_EQ(check_channel_binding(*r.header, r.offered, r.selected), r.expected)
            << static_cast<int>(r.header->flag) << r.header->cbind_name << " offered=" << r.offered
            << " selected=" << r.selected;
    }
}

// ---- tls-server-end-point ---------------------------------------------------------------

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using x509_ptr = std::unique_ptr<X509, decltype(&X509_free)>;

pkey_ptr make_key(const char* type) {
    return pkey_ptr(type == nullptr ? EVP_RSA_gen(2048) : EVP_PKEY_Q_keygen(nullptr, nullptr, type),
                    &EVP_PKEY_free);
}

// A self-signed certificate signed with `md` (nullptr for Ed25519), as DER.
std::vector<std::uint8_t> make_certificate(EVP_PKEY* key, const EVP_MD* md, x509_ptr* out) {
    x509_ptr cert(X509_new(), &X509_free);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("pgrelay"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    EXPECT_GT(X509_sign(cert.get(), key, md), 0);
    unsigned char* der = nullptr;
    const int len = i2d_X509(cert.get(), &der);
    std::vector<std::uint8_t> bytes(der, der + len);
    OPENSSL_free(der);
    if (out) *out = std::move(cert);
    return bytes;
}

std::vector<std::uint8_t> digest(X509* cert, const EVP_MD* md) {
    std::vector<std::uint8_t> h(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    X509_digest(cert, md, h.data(), &len);
    h.resize(len);
    return h;
}

TEST(ServerEndPoint, HashFollowsTheSignatureAlgorithm) {
    auto rsa = make_key(nullptr);
    ASSERT_TRUE(rsa);
    struct row {
        const EVP_MD* signed_with;
        const EVP_MD* expected;
    };
    // MD5 and SHA-1 become SHA-256; the others are used as they are.
    for (const row& r : {row{EVP_sha1(), EVP_sha256()}, row{EVP_md5(), EVP_sha256()},
                         row{EVP_sha224(), EVP_sha224()}, row{EVP_sha256(), EVP_sha256()},
                         row{EVP_sha384(), EVP_sha384()}, row{EVP_sha512(), EVP_sha512()}}) {
        x509_ptr cert(nullptr, &X509_free);
        const auto der = make_certificate(rsa.get(), r.signed_with, &cert);
        const auto hash = server_end_point_hash(der);
        ASSERT_TRUE(hash) << EVP_MD_get0_name(r.signed_with);
        EXPECT_EQ(*hash, digest(cert.get(), r.expected)) << EVP_MD_get0_name(r.signed_with);
    }
}

TEST(ServerEndPoint, EcdsaCertificates) {
    auto ec = pkey_ptr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), &EVP_PKEY_free);
    ASSERT_TRUE(ec);
    x509_ptr cert(nullptr, &X509_free);
    const auto der = make_certificate(ec.get(), EVP_sha384(), &cert);
    const auto hash = server_end_point_hash(der);
    ASSERT_TRUE(hash);
    EXPECT_EQ(hash->size(), 48U);
    EXPECT_EQ(*hash, digest(cert.get(), EVP_sha384()));
}

TEST(ServerEndPoint, NoSingleHashMeansNoBinding) {
    auto ed = make_key("ED25519");
    ASSERT_TRUE(ed);
    const auto der = make_certificate(ed.get(), nullptr, nullptr);
    EXPECT_FALSE(server_end_point_hash(der));
}

TEST(ServerEndPoint, GarbageAndTrailingBytes) {
    EXPECT_FALSE(server_end_point_hash({}));
    const std::vector<std::uint8_t> junk{0x30, 0x03, 0x02, 0x01, 0x01};
    EXPECT_FALSE(server_end_point_hash(junk));
    auto rsa = make_key(nullptr);
    auto der = make_certificate(rsa.get(), EVP_sha256(), nullptr);
    EXPECT_TRUE(server_end_point_hash(der));
    der.push_back(0);
    EXPECT_FALSE(server_end_point_hash(der));
    der.pop_back();
    der.resize(der.size() / 2);
    EXPECT_FALSE(server_end_point_hash(der));
}

}  // namespace
}  // namespace pgrelay::protocol::scram
