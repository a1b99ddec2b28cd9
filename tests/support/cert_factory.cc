#include "support/cert_factory.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>

namespace hc::test {

using crypto::Certificate;
using crypto::Crl;
using crypto::ExtKeyUsage;
using crypto::KeyUsage;

void PkeyFree::operator()(EVP_PKEY* p) const noexcept {
    EVP_PKEY_free(p);
}

namespace {

struct X509Free {
    void operator()(X509* p) const noexcept { X509_free(p); }
};
struct CrlFree {
    void operator()(X509_CRL* p) const noexcept { X509_CRL_free(p); }
};
struct ExtFree {
    void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
};
struct RevokedFree {
    void operator()(X509_REVOKED* p) const noexcept { X509_REVOKED_free(p); }
};
struct AsnTimeFree {
    void operator()(ASN1_TIME* p) const noexcept { ASN1_TIME_free(p); }
};
struct AsnIntFree {
    void operator()(ASN1_INTEGER* p) const noexcept { ASN1_INTEGER_free(p); }
};

// A fixture that cannot be built is a bug in the test itself: stop at once, saying where.
void require(bool ok, const char* what) {
    if (ok) return;
    char detail[256] = "no OpenSSL error";
    if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, detail, sizeof detail);
    std::fprintf(stderr, "cert_factory: %s failed: %s\n", what, detail);
    std::abort();
}

const EVP_MD* digest_for(EVP_PKEY* key) {
    // Ed25519 hashes internally (PureEdDSA) and takes no separate digest.
    return EVP_PKEY_is_a(key, "ED25519") ? nullptr : EVP_sha256();
}

std::unique_ptr<ASN1_TIME, AsnTimeFree> asn1_time(int64_t t) {
    std::unique_ptr<ASN1_TIME, AsnTimeFree> out(ASN1_TIME_set(nullptr, static_cast<time_t>(t)));
    require(out != nullptr, "ASN1_TIME_set");
    return out;
}

void add_ext(X509* x, X509V3_CTX* ctx, int nid, const std::string& value) {
    std::unique_ptr<X509_EXTENSION, ExtFree> ext(
        X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
    require(ext != nullptr, "X509V3_EXT_conf_nid");
    require(X509_add_ext(x, ext.get(), -1) == 1, "X509_add_ext");
}

std::string ext_key_usage_conf(ExtKeyUsage eku) {
    const std::pair<ExtKeyUsage, const char*> names[] = {
        {ExtKeyUsage::server_auth, "serverAuth"},
        {ExtKeyUsage::client_auth, "clientAuth"},
        {ExtKeyUsage::code_signing, "codeSigning"},
        {ExtKeyUsage::email_protection, "emailProtection"},
        {ExtKeyUsage::time_stamping, "timeStamping"},
        {ExtKeyUsage::ocsp_signing, "OCSPSigning"},
        {ExtKeyUsage::any, "anyExtendedKeyUsage"},
    };
    std::string out;
    for (const auto& [bit, name] : names) {
        if ((eku & bit) == ExtKeyUsage::none) continue;
        if (!out.empty()) out += ',';
        out += name;
    }
    return out;
}

}  // namespace

PkeyPtr make_key(KeyKind kind) {
    EVP_PKEY* key = nullptr;
    switch (kind) {
        case KeyKind::p256:
            key = EVP_EC_gen("P-256");
            break;
        case KeyKind::secp256k1:
            key = EVP_EC_gen("secp256k1");
            break;
        case KeyKind::ed25519:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
            break;
        case KeyKind::sm2:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "SM2");
            break;
    }
    require(key != nullptr, "key generation");
    return PkeyPtr(key);
}

Certificate issue_cert(const CertSpec& spec, EVP_PKEY* subject_key, const Certificate* issuer,
                       EVP_PKEY* issuer_key) {
    std::unique_ptr<X509, X509Free> x(X509_new());
    require(x != nullptr, "X509_new");
    require(X509_set_version(x.get(), X509_VERSION_3) == 1, "X509_set_version");
    require(ASN1_INTEGER_set_uint64(X509_get_serialNumber(x.get()), spec.serial) == 1,
            "set serial");
    require(X509_set1_notBefore(x.get(), asn1_time(spec.not_before).get()) == 1, "notBefore");
    require(X509_set1_notAfter(x.get(), asn1_time(spec.not_after).get()) == 1, "notAfter");

    X509_NAME* name = X509_get_subject_name(x.get());
    for (const auto& [attr, value] : spec.subject)
        require(X509_NAME_add_entry_by_txt(name, attr.c_str(), MBSTRING_UTF8,
                                           reinterpret_cast<const unsigned char*>(value.c_str()),
                                           -1, -1, 0) == 1,
                "subject name entry");
    require(
        X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer->native()) : name) == 1,
        "issuer name");
    require(X509_set_pubkey(x.get(), subject_key) == 1, "X509_set_pubkey");

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer->native() : x.get(), x.get(), nullptr, nullptr, 0);
    if (spec.is_ca) {
        std::string bc = "critical,CA:TRUE";
        if (spec.path_len) bc += ",pathlen:" + std::to_string(*spec.path_len);
        add_ext(x.get(), &ctx, NID_basic_constraints, bc);
    } else {
        add_ext(x.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
    }
    if (spec.key_usage)
        add_ext(x.get(), &ctx, NID_key_usage,
                "critical," + crypto::key_usage_names(*spec.key_usage));
    if (spec.ext_key_usage)
        add_ext(x.get(), &ctx, NID_ext_key_usage, ext_key_usage_conf(*spec.ext_key_usage));
    add_ext(x.get(), &ctx, NID_subject_key_identifier, "hash");
    if (issuer) add_ext(x.get(), &ctx, NID_authority_key_identifier, "keyid");

    EVP_PKEY* signer = issuer ? issuer_key : subject_key;
    require(X509_sign(x.get(), signer, digest_for(signer)) > 0, "X509_sign");

    int len = i2d_X509(x.get(), nullptr);
    require(len > 0, "i2d_X509");
    Bytes der(static_cast<size_t>(len));
    unsigned char* p = der.data();
    i2d_X509(x.get(), &p);
    auto cert = Certificate::from_der(der);
    if (!cert) std::fprintf(stderr, "cert_factory: %s\n", cert.error().to_string().c_str());
    require(cert.ok(), "Certificate::from_der of a generated certificate");
    return std::move(cert).value();
}

Crl make_crl(const CrlSpec& spec, const Certificate& issuer_name_from, EVP_PKEY* signing_key) {
    std::unique_ptr<X509_CRL, CrlFree> crl(X509_CRL_new());
    require(crl != nullptr, "X509_CRL_new");
    require(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) == 1, "X509_CRL_set_version");
    require(
        X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer_name_from.native())) == 1,
        "X509_CRL_set_issuer_name");
    require(X509_CRL_set1_lastUpdate(crl.get(), asn1_time(spec.this_update).get()) == 1,
            "lastUpdate");
    if (spec.next_update)
        require(X509_CRL_set1_nextUpdate(crl.get(), asn1_time(*spec.next_update).get()) == 1,
                "nextUpdate");
    for (uint64_t serial : spec.revoked_serials) {
        std::unique_ptr<X509_REVOKED, RevokedFree> rev(X509_REVOKED_new());
        std::unique_ptr<ASN1_INTEGER, AsnIntFree> sn(ASN1_INTEGER_new());
        require(rev && sn && ASN1_INTEGER_set_uint64(sn.get(), serial) == 1, "revoked serial");
        require(X509_REVOKED_set_serialNumber(rev.get(), sn.get()) == 1, "set serial");
        require(X509_REVOKED_set_revocationDate(rev.get(), asn1_time(spec.this_update).get()) == 1,
                "revocation date");
        require(X509_CRL_add0_revoked(crl.get(), rev.get()) == 1, "X509_CRL_add0_revoked");
        rev.release();  // now owned by the CRL
    }
    require(X509_CRL_sort(crl.get()) == 1, "X509_CRL_sort");
    require(X509_CRL_sign(crl.get(), signing_key, digest_for(signing_key)) > 0, "X509_CRL_sign");

    int len = i2d_X509_CRL(crl.get(), nullptr);
    require(len > 0, "i2d_X509_CRL");
    Bytes der(static_cast<size_t>(len));
    unsigned char* p = der.data();
    i2d_X509_CRL(crl.get(), &p);
    auto out = Crl::from_der(der);
    if (!out) std::fprintf(stderr, "cert_factory: %s\n", out.error().to_string().c_str());
    require(out.ok(), "Crl::from_der of a generated CRL");
    return std::move(out).value();
}

TestPki::TestPki(int64_t now_) : now(now_) {
    root_key = make_key();
    intermediate_key = make_key();
    leaf_key = make_key();
    other_root_key = make_key();
    not_a_ca_key = make_key();
    no_cert_sign_key = make_key();

    const int64_t start = now - 30 * kDay;
    const int64_t end = now + 365 * kDay;
    auto ca_spec = [&](Name subject, uint64_t serial) {
        CertSpec s;
        s.subject = std::move(subject);
        s.serial = serial;
        s.not_before = start - 30 * kDay;
        s.not_after = end + 365 * kDay;
        s.is_ca = true;
        s.key_usage = kCaUsage;
        return s;
    };
    auto leaf_spec = [&](Name subject, uint64_t serial) {
        CertSpec s;
        s.subject = std::move(subject);
        s.serial = serial;
        s.not_before = start;
        s.not_after = end;
        s.key_usage = kLeafUsage;
        s.ext_key_usage = ExtKeyUsage::server_auth | ExtKeyUsage::client_auth;
        return s;
    };

    root = issue_cert(ca_spec({{"O", "org1"}, {"CN", "org1 root CA"}}, 1), root_key.get(), nullptr,
                      nullptr);
    intermediate = issue_cert(ca_spec({{"O", "org1"}, {"CN", "org1 intermediate CA"}}, 2),
                              intermediate_key.get(), &*root, root_key.get());
    leaf = issue_cert(leaf_spec({{"O", "org1"}, {"CN", "node1"}}, 0x1001), leaf_key.get(),
                      &*intermediate, intermediate_key.get());
    revoked_leaf = issue_cert(leaf_spec({{"O", "org1"}, {"CN", "node2"}}, 0x1002), leaf_key.get(),
                              &*intermediate, intermediate_key.get());
    direct_leaf = issue_cert(leaf_spec({{"O", "org1"}, {"CN", "node3"}}, 0x1003), leaf_key.get(),
                             &*root, root_key.get());

    CertSpec expired = leaf_spec({{"O", "org1"}, {"CN", "old node"}}, 0x1004);
    expired.not_before = now - 400 * kDay;
    expired.not_after = now - 10 * kDay;
    expired_leaf = issue_cert(expired, leaf_key.get(), &*root, root_key.get());

    CertSpec future = leaf_spec({{"O", "org1"}, {"CN", "future node"}}, 0x1005);
    future.not_before = now + 10 * kDay;
    future.not_after = now + 400 * kDay;
    future_leaf = issue_cert(future, leaf_key.get(), &*root, root_key.get());

    // An ordinary end-entity certificate whose key is then (wrongly) used to issue one.
    not_a_ca = issue_cert(leaf_spec({{"O", "org1"}, {"CN", "rogue signer"}}, 0x1006),
                          not_a_ca_key.get(), &*root, root_key.get());
    leaf_of_not_a_ca = issue_cert(leaf_spec({{"O", "org1"}, {"CN", "node4"}}, 0x2001),
                                  leaf_key.get(), &*not_a_ca, not_a_ca_key.get());

    CertSpec no_sign = ca_spec({{"O", "org1"}, {"CN", "CA without keyCertSign"}}, 3);
    no_sign.key_usage = KeyUsage::digital_signature | KeyUsage::crl_sign;
    ca_without_cert_sign = issue_cert(no_sign, no_cert_sign_key.get(), &*root, root_key.get());
    leaf_of_no_cert_sign =
        issue_cert(leaf_spec({{"O", "org1"}, {"CN", "node5"}}, 0x3001), leaf_key.get(),
                   &*ca_without_cert_sign, no_cert_sign_key.get());

    other_root = issue_cert(ca_spec({{"O", "org9"}, {"CN", "unknown CA"}}, 1), other_root_key.get(),
                            nullptr, nullptr);
    foreign_leaf = issue_cert(leaf_spec({{"O", "org9"}, {"CN", "node1"}}, 0x1001), leaf_key.get(),
                              &*other_root, other_root_key.get());

    CrlSpec revoke;
    revoke.this_update = now - kDay;
    revoke.next_update = now + 7 * kDay;
    revoke.revoked_serials = {0x1002, 0x7777};
    crl = make_crl(revoke, *intermediate, intermediate_key.get());
    forged_crl = make_crl(revoke, *intermediate, other_root_key.get());

    CrlSpec empty;
    empty.this_update = now - kDay;
    empty.next_update = now + 7 * kDay;
    root_crl = make_crl(empty, *root, root_key.get());
}

}  // namespace hc::test
