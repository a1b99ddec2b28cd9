// Signatures for consortium identities: ECDSA over P-256, Ed25519, and SM2. (secp256k1, the
// Ethereum transaction scheme with public-key recovery, is in crypto/secp256k1.h.)
//
// Every encoding is fixed-length raw bytes, so keys and signatures can be stored, compared and
// RLP-encoded as plain byte strings without ASN.1:
//
//   private key  32 bytes.  P-256, SM2: the big-endian scalar d with 1 <= d < n
//                           (SM2 also requires d != n-1, as GB/T 32918.1 does).
//                           Ed25519: the 32-byte seed of RFC 8032.
//   public key   P-256, SM2: 65 bytes, uncompressed SEC1 point 0x04 || x || y.
//                Ed25519: the 32-byte encoding of RFC 8032.
//   signature    64 bytes.  P-256, SM2: r || s, each 32 bytes big-endian, 1 <= r, s < n.
//                           Ed25519: R || S of RFC 8032.
//
// What is signed is always the message itself; the digest belongs to the scheme:
//   P-256    ECDSA with SHA-256 over the message (what JOSE calls ES256).
//   Ed25519  pure Ed25519 (RFC 8032), no prehash.
//   SM2      SM3 over Z_A || message (GB/T 32918.2), with Z_A computed from the signer's public
//            key and the default user ID "1234567812345678" (GM/T 0009).
//
// P-256 signing is randomised (OpenSSL's default nonce), so two signatures of one message
// differ; Ed25519 is deterministic. ECDSA signatures are malleable ((r, s) and (r, n-s) both
// verify): never use P-256 signature bytes as an identifier.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include <openssl/types.h>

#include "common/bytes.h"
#include "common/error.h"
#include "common/fixed_bytes.h"

namespace hc::crypto {

enum class SigAlgo : uint8_t { p256, ed25519, sm2 };

// "p256", "ed25519", "sm2": the names used in configuration files and messages.
const char* sig_algo_name(SigAlgo algo) noexcept;
Result<SigAlgo> parse_sig_algo(std::string_view name);

inline constexpr size_t kPrivateKeySize = 32;
inline constexpr size_t kSignatureSize = 64;
inline constexpr size_t public_key_size(SigAlgo algo) noexcept {
    return algo == SigAlgo::ed25519 ? 32 : 65;
}

// The SM2 user ID used for every SM2 signature here (GM/T 0009's default).
inline constexpr std::string_view kSm2DefaultId = "1234567812345678";

// A public key as its encoding (see the table above). A plain value: a PublicKey built by hand
// may hold anything, and verify() rejects it cleanly; from_bytes() checks it up front.
struct PublicKey {
    SigAlgo algo = SigAlgo::ed25519;
    Bytes bytes;

    // Checks the length and, for P-256 and SM2, that the point is on the curve. (Ed25519
    // encodings are only checked for length here; an undecodable one fails verify().)
    static Result<PublicKey> from_bytes(SigAlgo algo, BytesView encoded);

    bool operator==(const PublicKey&) const = default;
};

// A private key. Move-only; the secret is wiped when the key is destroyed.
class PrivateKey {
  public:
    // A fresh key from OpenSSL's private random generator.
    static Result<PrivateKey> generate(SigAlgo algo);
    // From the 32-byte raw form (see the table above). Rejects out-of-range scalars.
    static Result<PrivateKey> from_bytes(SigAlgo algo, BytesView raw);

    PrivateKey(PrivateKey&& other) noexcept;
    PrivateKey& operator=(PrivateKey&& other) noexcept;
    PrivateKey(const PrivateKey&) = delete;
    PrivateKey& operator=(const PrivateKey&) = delete;
    ~PrivateKey();

    SigAlgo algo() const noexcept { return algo_; }
    const PublicKey& public_key() const noexcept { return public_key_; }
    // The 32-byte raw form: secret material, handle with care.
    const FixedBytes<kPrivateKeySize>& raw() const noexcept { return raw_; }

    // The OpenSSL key, for code in this module (e.g. X.509 signing). Null only after a move.
    EVP_PKEY* pkey() const noexcept { return pkey_.get(); }

  private:
    struct PkeyDeleter {
        void operator()(EVP_PKEY* p) const noexcept;
    };

    PrivateKey(SigAlgo algo, std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey, BytesView raw,
               PublicKey public_key) noexcept;

    SigAlgo algo_;
    std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey_;
    FixedBytes<kPrivateKeySize> raw_;
    PublicKey public_key_;
};

// Signs message with the scheme of key.algo(); returns kSignatureSize bytes.
Result<Bytes> sign(const PrivateKey& key, BytesView message);

// OK when signature is a valid signature of message under key. Any malformed input (wrong
// lengths, a point off the curve, r or s out of range, an unknown algorithm) is an error, never
// a crash: Errc::invalid_argument for inputs that cannot be a key or signature at all,
// Errc::crypto for a well-formed signature that does not verify.
Status verify(const PublicKey& key, BytesView message, BytesView signature) noexcept;

}  // namespace hc::crypto
