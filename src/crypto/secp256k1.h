// secp256k1 ECDSA as Ethereum uses it: recoverable signatures over 32-byte digests.
#pragma once

#include <array>

#include "common/address.h"
#include "common/fixed_bytes.h"
#include "common/uint256.h"

namespace hc::crypto {

struct Secp256k1Signature {
    uint256 r;
    uint256 s;
    uint8_t y_parity = 0;  // recovery id: 0 or 1
    bool operator==(const Secp256k1Signature&) const = default;
};

using PublicKey64 = std::array<uint8_t, 64>;  // uncompressed point x || y, without the 0x04 tag

// RFC 6979 deterministic signature; s is always in the lower half (EIP-2).
// Fails if private_key is zero or not below the curve order.
Result<Secp256k1Signature> secp256k1_sign(const Hash32& digest, const Hash32& private_key);

// Recovers the signer's public key. Rejects r or s outside [1, n-1], y_parity > 1, and, when
// require_low_s (EIP-2, every transaction since Homestead), s > n/2.
Result<PublicKey64> secp256k1_recover(const Hash32& digest, const Secp256k1Signature& sig,
                                      bool require_low_s = true);
Result<Address> secp256k1_recover_address(const Hash32& digest, const Secp256k1Signature& sig,
                                          bool require_low_s = true);
// Public-key recoveries attempted by this process so far (signatures rejected before the curve
// arithmetic, for a bad r, s or recovery id, are not counted): what a node spends most of its
// CPU on, exported as a metric and checked by the tests that a transaction is recovered once.
uint64_t secp256k1_recoveries() noexcept;

Result<PublicKey64> secp256k1_public_key(const Hash32& private_key);
inline Result<Address> secp256k1_address(const Hash32& private_key) {
    auto pk = secp256k1_public_key(private_key);
    if (!pk) return pk.error();
    return address_from_public_key(*pk);
}

// The curve order n and n/2, for callers that validate signature ranges themselves.
extern const uint256 kSecp256k1N;
extern const uint256 kSecp256k1HalfN;

}  // namespace hc::crypto
