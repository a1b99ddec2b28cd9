// Issuing the certificates and keys a consortium runs on: one self-signed CA per organisation,
// and for each of its nodes a TLS certificate (for mutual TLS between nodes) issued by that CA.
// Everything is ECDSA P-256 with SHA-256, so every TLS 1.3 stack and `openssl` can read it.
//
//   organisation CA   subject O=<org>, CN=<org> CA; basicConstraints critical CA:TRUE,
//                     pathlen:0 (it issues node certificates only, never another CA);
//                     keyUsage critical keyCertSign, cRLSign; subjectKeyIdentifier.
//   node certificate  subject O=<org>, CN=<node>; issuer the organisation CA;
//                     basicConstraints critical CA:FALSE; keyUsage critical digitalSignature;
//                     extendedKeyUsage serverAuth, clientAuth (a node is both ends of a link);
//                     subjectAltName DNS:localhost, IP:127.0.0.1 and every given host;
//                     subject and authority key identifiers.
//   member certificate  subject O=<org>, OU=<role>, CN=<name>, role "client" or "admin";
//                     issuer the organisation CA; a secp256k1 key (the member's Ethereum
//                     account); basicConstraints critical CA:FALSE; keyUsage critical
//                     digitalSignature; extendedKeyUsage clientAuth; subject and authority key
//                     identifiers. (Signed by the CA with ECDSA P-256 like the others.)
// Serial numbers are 127 random bits, positive (RFC 5280 §4.1.2.2, CA/B Forum's >= 64 bits).
//
// Files:
//   certificates      PEM ("CERTIFICATE").
//   private keys      unencrypted PKCS#8 PEM ("PRIVATE KEY"), what `openssl pkey` reads.
//   consensus keys    one line "0x" + 64 hex digits: the raw 32-byte P-256 scalar, as
//                     crypto::PrivateKey::from_bytes takes it (see consensus_key_to_text).
//   member keys       the same line, holding the raw 32-byte secp256k1 scalar: what Ethereum
//                     wallets import (ethers.js `new Wallet(key)`).
// Key files are written with mode 0600 from the moment they exist.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/address.h"
#include "common/error.h"
#include "common/fixed_bytes.h"
#include "crypto/signature.h"
#include "crypto/x509.h"

namespace hc::crypto {

// Longest organisation name: the CA's common name "<org> CA" must fit X.509's 64-character
// limit on common names (RFC 5280 ub-common-name).
inline constexpr size_t kMaxOrganisationNameSize = 61;
inline constexpr size_t kMaxNodeNameSize = 64;
// A member's name is its certificate's common name (RFC 5280 ub-common-name).
inline constexpr size_t kMaxMemberCommonNameSize = 64;

// The roles a member certificate's OU may name.
inline constexpr std::string_view kMemberRoleClient = "client";
inline constexpr std::string_view kMemberRoleAdmin = "admin";

// A certificate with its private key.
struct KeyedCertificate {
    Certificate cert;
    PrivateKey key;
};

struct CaSpec {
    std::string organisation;  // 1..kMaxOrganisationNameSize printable characters
    int64_t not_before = 0;    // Unix seconds
    int64_t not_after = 0;     // REQUIRES: > not_before
};

struct NodeCertSpec {
    std::string organisation;  // must equal the CA's organisation (the subject's O)
    std::string node_name;     // 1..kMaxNodeNameSize printable characters
    // Host names or IP literals (IPv4 or IPv6) the node is reached by, added to
    // subjectAltName after DNS:localhost and IP:127.0.0.1. Duplicates are dropped.
    std::vector<std::string> hosts;
    int64_t not_before = 0;
    int64_t not_after = 0;  // REQUIRES: > not_before and no later than the CA's notAfter
};

// A fresh self-signed organisation CA with a new P-256 key.
Result<KeyedCertificate> create_organisation_ca(const CaSpec& spec);

// A node certificate with a new P-256 key, issued by `ca` (which must be a CA certificate
// allowed to sign certificates, whose public key is ca_key's).
Result<KeyedCertificate> issue_node_certificate(const Certificate& ca, const PrivateKey& ca_key,
                                                const NodeCertSpec& spec);

struct MemberCertSpec {
    std::string organisation;  // must equal the CA's organisation (the subject's O)
    std::string role;          // kMemberRoleClient or kMemberRoleAdmin (the subject's OU)
    std::string name;          // the subject's CN: 1..kMaxMemberCommonNameSize printable characters
    int64_t not_before = 0;
    int64_t not_after = 0;  // REQUIRES: > not_before and no later than the CA's notAfter
};

// A member certificate with its secp256k1 private key. Move-only; the key is wiped when
// destroyed.
struct KeyedMemberCertificate {
    Certificate cert;
    // The raw 32-byte big-endian scalar, as secp256k1_sign and Ethereum wallets take it.
    Hash32 private_key;

    KeyedMemberCertificate(Certificate c, const Hash32& key)
        : cert(std::move(c)), private_key(key) {}
    KeyedMemberCertificate(KeyedMemberCertificate&&) noexcept = default;
    KeyedMemberCertificate& operator=(KeyedMemberCertificate&&) noexcept = default;
    ~KeyedMemberCertificate();
};

// What a verified member certificate says.
struct MemberCertificateInfo {
    std::string organisation;  // subject O, equal to the issuing CA's O
    std::string role;          // subject OU: kMemberRoleClient or kMemberRoleAdmin
    std::string name;          // subject CN
    Address address;           // the Ethereum address of the certified secp256k1 key
    int64_t not_before = 0;    // Unix seconds
    int64_t not_after = 0;
    Hash32 fingerprint;  // keccak256 of the certificate's DER encoding
};

// A member certificate with a new secp256k1 key, issued by `ca` (a CA certificate allowed to
// sign certificates, whose public key is ca_key's).
Result<KeyedMemberCertificate> issue_member_certificate(const Certificate& ca,
                                                        const PrivateKey& ca_key,
                                                        const MemberCertSpec& spec);

// Checks that `cert_der_or_pem` (DER, or text holding one "CERTIFICATE" PEM block) is a member
// certificate issued by one of `org_cas` and valid at now_unix: it chains to one of them, is not
// a CA, has keyUsage digitalSignature, certifies a secp256k1 key, and its subject has exactly
// one O (the issuing CA's), one OU ("client" or "admin") and one CN. Depends only on its inputs,
// so every node reaches the same answer (it runs in block execution). Errors say which check
// failed, with the dates for a certificate outside its validity.
Result<MemberCertificateInfo> verify_member_certificate(BytesView cert_der_or_pem,
                                                        std::span<const Certificate> org_cas,
                                                        int64_t now_unix);

// Whether `cert` can serve as an organisation's CA: self-signed (its own signature verifies, at
// its start time: whether it has expired depends on when it is used), cA=TRUE, and allowed to
// sign certificates. Errors say which check failed.
Status check_organisation_ca(const Certificate& cert);

// A certificate subject's organisation (O) and common name (CN), "" when absent.
std::string subject_organisation(const Certificate& cert);
std::string subject_common_name(const Certificate& cert);

// An IPv4 literal ("10.0.0.5") or IPv6 literal ("::1", brackets allowed).
bool is_ip_literal(std::string_view host);
// A DNS host name: labels of 1-63 letters, digits and '-' (not at either end) joined by '.',
// at most 253 characters, and not all digits and dots (that would be a mistyped IPv4 address).
bool is_dns_name(std::string_view host);

// OK when `key` is the private key of `cert` (their public keys are equal).
Status check_key_matches(const Certificate& cert, const PrivateKey& key);

// PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), unencrypted. P-256 keys only.
Result<std::string> private_key_to_pem(const PrivateKey& key);
// Reads one PKCS#8 (or SEC1 "EC PRIVATE KEY") PEM block holding a P-256 key. Encrypted keys
// and keys of other algorithms are rejected with a message saying so.
Result<PrivateKey> private_key_from_pem(std::string_view pem);

// The consensus key file's text: "0x" + 64 lower-case hex digits + "\n".
std::string consensus_key_to_text(const PrivateKey& key);
// Reads a consensus key: 64 hex digits with or without "0x" (surrounding whitespace ignored),
// or a PKCS#8 PEM P-256 key (so a key made with `openssl genpkey` works too).
Result<PrivateKey> consensus_key_from_text(std::string_view text);

// The member key file's text: "0x" + 64 lower-case hex digits + "\n".
std::string member_key_to_text(const Hash32& key);
// Reads a member key: 64 hex digits with or without "0x" (surrounding whitespace ignored), a
// valid secp256k1 secret (not zero, below the curve order).
Result<Hash32> member_key_from_text(std::string_view text);

// Writes `contents` to `path` with write_file_durably at mode 0600, so the secret is never
// readable by others and never half-written.
Status write_private_file(const std::filesystem::path& path, std::string_view contents);
// Reads a whole file of at most max_size bytes (read_file); a missing file is Errc::not_found.
Result<std::string> read_small_file(const std::filesystem::path& path, size_t max_size);

// File helpers on top of the text forms above.
Status write_consensus_key(const std::filesystem::path& path, const PrivateKey& key);
Result<PrivateKey> read_consensus_key(const std::filesystem::path& path);
Status write_member_key(const std::filesystem::path& path, const Hash32& key);
Result<Hash32> read_member_key(const std::filesystem::path& path);
Status write_private_key_pem(const std::filesystem::path& path, const PrivateKey& key);
Result<PrivateKey> read_private_key_pem(const std::filesystem::path& path);
Result<Certificate> read_certificate_pem(const std::filesystem::path& path);

}  // namespace hc::crypto
