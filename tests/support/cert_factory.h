// Builds X.509 certificates and CRLs in memory with OpenSSL's C API, for tests: no binary
// fixtures in the tree and no calls to the openssl command line tool. Failures abort the test
// (ADD_FAILURE + a fatal check), since a broken fixture makes every later assertion meaningless.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <openssl/types.h>

#include "crypto/x509.h"

namespace hc::test {

struct PkeyFree {
    void operator()(EVP_PKEY* p) const noexcept;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

enum class KeyKind { p256, secp256k1, ed25519, sm2 };

// A fresh random key pair.
PkeyPtr make_key(KeyKind kind = KeyKind::p256);

// Distinguished name as (attribute, value) pairs from the most general down, as in
// `openssl -subj "/C=CN/O=org1/CN=node1"`; its RFC 2253 form lists them reversed.
using Name = std::vector<std::pair<std::string, std::string>>;

struct CertSpec {
    Name subject;
    uint64_t serial = 1;
    int64_t not_before = 0;  // Unix seconds
    int64_t not_after = 0;
    bool is_ca = false;
    std::optional<int> path_len;                       // only with is_ca
    std::optional<crypto::KeyUsage> key_usage;         // nullopt: no keyUsage extension
    std::optional<crypto::ExtKeyUsage> ext_key_usage;  // nullopt: no extendedKeyUsage
};

// Issues a certificate for `subject_key`. With issuer == nullptr it is self-signed by
// subject_key; otherwise signed by issuer_key under issuer's subject name.
// Ed25519 signers sign without a separate digest; others use SHA-256.
crypto::Certificate issue_cert(const CertSpec& spec, EVP_PKEY* subject_key,
                               const crypto::Certificate* issuer, EVP_PKEY* issuer_key);

struct CrlSpec {
    int64_t this_update = 0;
    std::optional<int64_t> next_update;
    std::vector<uint64_t> revoked_serials;
};

// A v2 CRL naming `issuer_name` as its issuer, signed by `signing_key` (which need not be the
// issuer's: that is how a forged CRL is made).
crypto::Crl make_crl(const CrlSpec& spec, const crypto::Certificate& issuer_name_from,
                     EVP_PKEY* signing_key);

// Everything a chain test needs, all ECDSA P-256, issued around `now`:
//   root  ─► intermediate ─► leaf, revoked_leaf
//   root  ─► direct_leaf, expired_leaf, future_leaf
//   root  ─► not_a_ca (keyUsage digitalSignature only, no CA flag) ─► leaf_of_not_a_ca
//   root  ─► ca_without_cert_sign (cA=TRUE but keyUsage lacks keyCertSign) ─► leaf_of_no_cert_sign
//   other_root ─► foreign_leaf   (a CA nobody trusts)
//   crl: the intermediate's CRL revoking revoked_leaf; forged_crl: same issuer name and
//   content but signed by other_root's key; root_crl: the root's empty CRL.
struct TestPki {
    static constexpr int64_t kDay = 86400;
    int64_t now = 0;

    PkeyPtr root_key, intermediate_key, leaf_key, other_root_key, not_a_ca_key, no_cert_sign_key;
    std::optional<crypto::Certificate> root, intermediate, leaf, revoked_leaf, direct_leaf,
        expired_leaf, future_leaf, not_a_ca, leaf_of_not_a_ca, ca_without_cert_sign,
        leaf_of_no_cert_sign, other_root, foreign_leaf;
    std::optional<crypto::Crl> crl, forged_crl, root_crl;

    explicit TestPki(int64_t now);
};

// Leaf key usage used by TestPki: what a node's TLS/signing certificate carries.
inline constexpr crypto::KeyUsage kLeafUsage = crypto::KeyUsage::digital_signature;
inline constexpr crypto::KeyUsage kCaUsage =
    crypto::KeyUsage::key_cert_sign | crypto::KeyUsage::crl_sign;

}  // namespace hc::test
