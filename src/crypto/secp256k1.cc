#include "crypto/secp256k1.h"

#include <atomic>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

namespace hc::crypto {

const uint256 kSecp256k1N{0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFFFFEULL, 0xBAAEDCE6AF48A03BULL,
                          0xBFD25E8CD0364141ULL};
const uint256 kSecp256k1HalfN{0x7FFFFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFFFFFULL, 0x5D576E7357A4501DULL,
                              0xDFE92F46681B20A0ULL};

namespace {

// One context for the process: libsecp256k1 contexts are safe to share for signing and
// verification once created, and creating one per call would dominate the cost.
const secp256k1_context* context() {
    static secp256k1_context* ctx = [] {
        secp256k1_context* c =
            secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
        return c;
    }();
    return ctx;
}

PublicKey64 serialize_uncompressed(const secp256k1_pubkey& pubkey) {
    uint8_t buf[65];
    size_t len = sizeof(buf);
    secp256k1_ec_pubkey_serialize(context(), buf, &len, &pubkey, SECP256K1_EC_UNCOMPRESSED);
    PublicKey64 out;
    std::copy(buf + 1, buf + 65, out.begin());
    return out;
}

}  // namespace

Result<Secp256k1Signature> secp256k1_sign(const Hash32& digest, const Hash32& private_key) {
    if (!secp256k1_ec_seckey_verify(context(), private_key.data()))
        return make_error(Errc::crypto,
                          "secp256k1 private key is zero or not below the curve order");
    secp256k1_ecdsa_recoverable_signature sig;
    if (!secp256k1_ecdsa_sign_recoverable(context(), &sig, digest.data(), private_key.data(),
                                          nullptr, nullptr))
        return make_error(Errc::crypto, "secp256k1 signing failed");
    uint8_t compact[64];
    int recid = 0;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), compact, &recid, &sig);
    Secp256k1Signature out;
    out.r = *uint256::from_be({compact, 32});
    out.s = *uint256::from_be({compact + 32, 32});
    out.y_parity = static_cast<uint8_t>(recid);
    return out;
}

namespace {
std::atomic<uint64_t> g_recoveries{0};
}  // namespace

uint64_t secp256k1_recoveries() noexcept {
    return g_recoveries.load(std::memory_order_relaxed);
}

Result<PublicKey64> secp256k1_recover(const Hash32& digest, const Secp256k1Signature& sig,
                                      bool require_low_s) {
    if (sig.y_parity > 1)
        return make_error(Errc::crypto, "signature recovery id must be 0 or 1, got " +
                                            std::to_string(sig.y_parity));
    if (sig.r.is_zero() || sig.r >= kSecp256k1N)
        return make_error(Errc::crypto, "signature r is zero or not below the curve order");
    if (sig.s.is_zero() || sig.s >= kSecp256k1N)
        return make_error(Errc::crypto, "signature s is zero or not below the curve order");
    if (require_low_s && sig.s > kSecp256k1HalfN)
        return make_error(Errc::crypto,
                          "signature s is in the upper half of the curve order (EIP-2)");
    g_recoveries.fetch_add(1, std::memory_order_relaxed);

    uint8_t compact[64];
    auto r = sig.r.to_be(), s = sig.s.to_be();
    std::copy(r.begin(), r.end(), compact);
    std::copy(s.begin(), s.end(), compact + 32);
    secp256k1_ecdsa_recoverable_signature rsig;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &rsig, compact,
                                                             sig.y_parity))
        return make_error(Errc::crypto, "malformed secp256k1 signature");
    secp256k1_pubkey pubkey;
    if (!secp256k1_ecdsa_recover(context(), &pubkey, &rsig, digest.data()))
        return make_error(Errc::crypto, "secp256k1 public key recovery failed (invalid signature)");
    return serialize_uncompressed(pubkey);
}

Result<Address> secp256k1_recover_address(const Hash32& digest, const Secp256k1Signature& sig,
                                          bool require_low_s) {
    auto pk = secp256k1_recover(digest, sig, require_low_s);
    if (!pk) return pk.error();
    return address_from_public_key(*pk);
}

Result<PublicKey64> secp256k1_public_key(const Hash32& private_key) {
    secp256k1_pubkey pubkey;
    if (!secp256k1_ec_pubkey_create(context(), &pubkey, private_key.data()))
        return make_error(Errc::crypto,
                          "secp256k1 private key is zero or not below the curve order");
    return serialize_uncompressed(pubkey);
}

}  // namespace hc::crypto
