// X.509 certificates and CRLs (via OpenSSL 3) for consortium identity: each organisation runs a
// CA, and its nodes and members hold certificates issued by it.
//
// Parsing is strict and never crashes on arbitrary input: inputs over a size cap, trailing
// bytes, non-canonical DER and certificates with malformed extensions are rejected with an
// error. Verification takes the time explicitly so that the same inputs always give the same
// answer on every node.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "common/bytes.h"
#include "common/error.h"
#include "common/fixed_bytes.h"

namespace hc::crypto {

// Largest certificate input accepted (DER or PEM text). Real certificates are 0.5-2 KiB; the
// cap bounds the work a hostile peer can make a parser do.
inline constexpr size_t kMaxCertificateSize = 64 * 1024;
// CRLs grow with the number of revoked certificates (~40 bytes each), hence a larger cap.
inline constexpr size_t kMaxCrlSize = 1024 * 1024;
// Largest PEM bundle (several certificates, e.g. a consortium's CA list).
inline constexpr size_t kMaxPemBundleSize = 1024 * 1024;

// keyUsage bits (RFC 5280 §4.2.1.3). Our own bit values, not OpenSSL's KU_* constants.
enum class KeyUsage : uint32_t {
    none = 0,
    digital_signature = 1u << 0,
    non_repudiation = 1u << 1,  // a.k.a. contentCommitment
    key_encipherment = 1u << 2,
    data_encipherment = 1u << 3,
    key_agreement = 1u << 4,
    key_cert_sign = 1u << 5,
    crl_sign = 1u << 6,
    encipher_only = 1u << 7,
    decipher_only = 1u << 8,
};
constexpr KeyUsage operator|(KeyUsage a, KeyUsage b) noexcept {
    return static_cast<KeyUsage>(static_cast<uint32_t>(a) | static_cast<uint32_t>(b));
}
constexpr KeyUsage operator&(KeyUsage a, KeyUsage b) noexcept {
    return static_cast<KeyUsage>(static_cast<uint32_t>(a) & static_cast<uint32_t>(b));
}
// True if every bit of `required` is set in `have`.
constexpr bool has_all(KeyUsage have, KeyUsage required) noexcept {
    return (have & required) == required;
}
// "digitalSignature,keyCertSign" (RFC 5280 names, in bit order); "" for none.
std::string key_usage_names(KeyUsage usage);

// extendedKeyUsage purposes (RFC 5280 §4.2.1.12) that we recognise.
enum class ExtKeyUsage : uint32_t {
    none = 0,
    server_auth = 1u << 0,
    client_auth = 1u << 1,
    code_signing = 1u << 2,
    email_protection = 1u << 3,
    time_stamping = 1u << 4,
    ocsp_signing = 1u << 5,
    any = 1u << 6,  // anyExtendedKeyUsage
};
constexpr ExtKeyUsage operator|(ExtKeyUsage a, ExtKeyUsage b) noexcept {
    return static_cast<ExtKeyUsage>(static_cast<uint32_t>(a) | static_cast<uint32_t>(b));
}
constexpr ExtKeyUsage operator&(ExtKeyUsage a, ExtKeyUsage b) noexcept {
    return static_cast<ExtKeyUsage>(static_cast<uint32_t>(a) & static_cast<uint32_t>(b));
}

enum class KeyAlgorithm { p256, secp256k1, sm2, ed25519, rsa, other };

// The certified key (a certificate's SubjectPublicKeyInfo, decoded).
struct SubjectPublicKey {
    KeyAlgorithm algorithm = KeyAlgorithm::other;
    // "P-256", "secp256k1", "SM2", "Ed25519", "RSA", or OpenSSL's name for anything else.
    std::string name;
    // EC (P-256, secp256k1, SM2): the uncompressed SEC1 point 0x04 || X || Y, even if the
    // certificate carried it compressed. Ed25519: the 32 raw bytes. Anything else: the DER
    // SubjectPublicKeyInfo. For P-256, SM2 and Ed25519 this is the encoding that
    // crypto::PublicKey (signature.h) uses, so a certificate's key can be checked against it.
    Bytes key;
};

struct X509Free {
    void operator()(X509* p) const noexcept;
};
struct X509CrlFree {
    void operator()(X509_CRL* p) const noexcept;
};

class Certificate {
  public:
    // Parses exactly one DER certificate: trailing bytes, non-canonical (BER) encodings,
    // malformed extensions or validity times, and inputs over kMaxCertificateSize fail.
    static Result<Certificate> from_der(BytesView der);
    // Parses text holding exactly one "CERTIFICATE" PEM block (text around it is ignored).
    static Result<Certificate> from_pem(std::string_view pem);
    // Parses every "CERTIFICATE" block in a bundle (up to kMaxPemBundleSize), in order. Fails on
    // none, on any other kind of block, or on any bad certificate (saying which one).
    static Result<std::vector<Certificate>> bundle_from_pem(std::string_view pem);

    Certificate(Certificate&&) noexcept = default;
    Certificate& operator=(Certificate&&) noexcept = default;
    Certificate(const Certificate&) = delete;
    Certificate& operator=(const Certificate&) = delete;

    // An independent copy.
    Certificate clone() const;

    // Distinguished names in RFC 2253 form, most specific first: "CN=node1,O=org1".
    // Non-ASCII text is kept as UTF-8 rather than hex-escaped.
    std::string subject() const;
    std::string issuer() const;
    // Serial number as lower-case hex without "0x", big-endian, even length ("01", "3a9f").
    std::string serial() const;
    // Validity period, seconds since the Unix epoch (UTC).
    int64_t not_before() const noexcept { return not_before_; }
    int64_t not_after() const noexcept { return not_after_; }
    // basicConstraints cA = TRUE.
    bool is_ca() const noexcept;
    // basicConstraints pathLenConstraint, if present.
    std::optional<int64_t> path_len() const noexcept;
    // nullopt if the certificate has no keyUsage extension (RFC 5280: then unrestricted).
    std::optional<KeyUsage> key_usage() const noexcept;
    // nullopt if the certificate has no extendedKeyUsage extension.
    std::optional<ExtKeyUsage> ext_key_usage() const noexcept;
    // Subject and issuer names are equal (a root CA, or any self-issued certificate), compared
    // as RFC 5280 §7.1 does (case-insensitive, whitespace-folded).
    bool is_self_issued() const noexcept;
    SubjectPublicKey public_key() const;
    // SHA-256 of the DER encoding (what `openssl x509 -fingerprint -sha256` prints).
    Hash32 fingerprint() const noexcept { return fingerprint_; }

    const Bytes& der() const noexcept { return der_; }
    std::string to_pem() const;

    // The OpenSSL object, borrowed (for TLS contexts). Valid while *this lives.
    X509* native() const noexcept { return x509_.get(); }

  private:
    Certificate() = default;

    std::unique_ptr<X509, X509Free> x509_;
    Bytes der_;
    Hash32 fingerprint_;
    int64_t not_before_ = 0;
    int64_t not_after_ = 0;
};

// A certificate revocation list.
class Crl {
  public:
    // Same strictness as Certificate::from_der, with the cap kMaxCrlSize.
    static Result<Crl> from_der(BytesView der);
    // Text holding exactly one "X509 CRL" PEM block.
    static Result<Crl> from_pem(std::string_view pem);

    Crl(Crl&&) noexcept = default;
    Crl& operator=(Crl&&) noexcept = default;
    Crl(const Crl&) = delete;
    Crl& operator=(const Crl&) = delete;

    std::string issuer() const;
    int64_t this_update() const noexcept { return this_update_; }
    std::optional<int64_t> next_update() const noexcept { return next_update_; }
    size_t revoked_count() const noexcept;

    // True if `cert` is listed: same serial, and issued by this CRL's issuer. Says nothing
    // about whether the CRL itself is genuine: check that with verify().
    bool is_revoked(const Certificate& cert) const noexcept;
    // Checks that `issuer` issued this CRL: the names match, the issuer may sign CRLs (cRLSign
    // if it has a keyUsage extension), and the signature verifies under its key.
    Status verify(const Certificate& issuer) const;

    const Bytes& der() const noexcept { return der_; }
    std::string to_pem() const;
    X509_CRL* native() const noexcept { return crl_.get(); }

  private:
    Crl() = default;

    std::unique_ptr<X509_CRL, X509CrlFree> crl_;
    Bytes der_;
    int64_t this_update_ = 0;
    std::optional<int64_t> next_update_;
};

// Verifies that `leaf` chains through `intermediates` (untrusted, any order) to one of
// `trusted_cas` (self-signed roots), with every certificate valid at `at_unix_time`, every
// signature correct, and every issuer a CA allowed to sign certificates (basicConstraints
// cA, and keyCertSign if it has keyUsage), within path-length limits.
// When `crls` is non-empty, the leaf is also checked for revocation: a CRL from the leaf's
// issuer must be among them, be signed by it, and be current at `at_unix_time`.
// Errors (Errc::crypto) name OpenSSL's reason, the depth (0 = leaf) and the subject:
//   "certificate has expired (depth 0, subject CN=node1,O=org1)".
Status verify_chain(const Certificate& leaf, std::span<const Certificate> intermediates,
                    std::span<const Certificate> trusted_cas, int64_t at_unix_time,
                    std::span<const Crl> crls = {});

// not_before <= at_unix_time < not_after. RFC 5280 makes notAfter itself valid too, but
// OpenSSL (and so verify_chain) treats that second as expired; both checks agree instead.
Status check_validity(const Certificate& cert, int64_t at_unix_time);

// The certificate has a keyUsage extension holding every bit of `required`. A missing
// extension fails too: every certificate our CAs issue carries one, and accepting its absence
// would let a certificate act in any role.
Status check_key_usage(const Certificate& cert, KeyUsage required);

// "2024-05-01T12:00:00Z", for messages.
std::string format_utc(int64_t unix_seconds);

}  // namespace hc::crypto
