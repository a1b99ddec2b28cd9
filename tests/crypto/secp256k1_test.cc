#include "crypto/secp256k1.h"

#include <gtest/gtest.h>

#include "common/keccak.h"

namespace hc::crypto {
namespace {

Hash32 scalar(uint64_t v) {
    Hash32 k;
    for (int i = 0; i < 8; ++i)
        k[31 - i] = static_cast<uint8_t>(v >> (8 * i));
    return k;
}

TEST(Secp256k1, KnownKeysGiveKnownAddresses) {
    // Private key 1 -> generator point G; key 2 -> 2G. These addresses are widely published
    // (EIP-55 casing is checked separately against the EIP's own vectors).
    EXPECT_EQ(secp256k1_address(scalar(1))->hex(), "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf");
    EXPECT_EQ(secp256k1_address(scalar(2))->hex(), "0x2b5ad5c4795c026514f8317c7a215e218dccd6cf");
    auto g = secp256k1_public_key(scalar(1));
    ASSERT_TRUE(g);
    EXPECT_EQ(to_hex({g->data(), 32}),
              "0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
}

TEST(Secp256k1, InvalidPrivateKeysAreRejected) {
    EXPECT_FALSE(secp256k1_public_key(Hash32{}));
    Hash32 n;
    auto nb = kSecp256k1N.to_be();
    std::copy(nb.begin(), nb.end(), n.bytes.begin());
    EXPECT_FALSE(secp256k1_public_key(n));
    EXPECT_FALSE(secp256k1_sign(Hash32{}, n));
}

TEST(Secp256k1, SignRecoverRoundTripIsLowS) {
    for (uint64_t k = 1; k <= 20; ++k) {
        Hash32 digest = keccak256(scalar(k * 7919));
        auto sig = secp256k1_sign(digest, scalar(k));
        ASSERT_TRUE(sig);
        EXPECT_LE(sig->s, kSecp256k1HalfN);
        auto addr = secp256k1_recover_address(digest, *sig);
        ASSERT_TRUE(addr);
        EXPECT_EQ(*addr, *secp256k1_address(scalar(k)));
        // RFC 6979: signing twice gives the same signature.
        EXPECT_EQ(*secp256k1_sign(digest, scalar(k)), *sig);
        // A different digest recovers a different key.
        Hash32 other = digest;
        other[0] ^= 1;
        auto wrong = secp256k1_recover_address(other, *sig);
        EXPECT_TRUE(!wrong || *wrong != *addr);
    }
}

TEST(Secp256k1, SignatureRangesAreEnforced) {
    Hash32 digest = keccak256(as_bytes("honeycomb"));
    auto sig = *secp256k1_sign(digest, scalar(42));
    auto with = [&](auto mutate) {
        Secp256k1Signature s = sig;
        mutate(s);
        return secp256k1_recover(digest, s);
    };
    EXPECT_FALSE(with([](auto& s) { s.r = 0; }));
    EXPECT_FALSE(with([](auto& s) { s.s = 0; }));
    EXPECT_FALSE(with([](auto& s) { s.r = kSecp256k1N; }));
    EXPECT_FALSE(with([](auto& s) { s.s = kSecp256k1N; }));
    EXPECT_FALSE(with([](auto& s) { s.y_parity = 2; }));
    // The mirrored high-s signature recovers the same key only when high s is allowed (EIP-2).
    Secp256k1Signature high = sig;
    high.s = kSecp256k1N - sig.s;
    high.y_parity ^= 1;
    auto strict = secp256k1_recover(digest, high, /*require_low_s=*/true);
    ASSERT_FALSE(strict);
    EXPECT_NE(strict.error().message.find("EIP-2"), std::string::npos);
    auto lax = secp256k1_recover(digest, high, /*require_low_s=*/false);
    ASSERT_TRUE(lax);
    EXPECT_EQ(*lax, *secp256k1_public_key(scalar(42)));
}

TEST(Secp256k1, HalfOrderIsHalfOfN) {
    EXPECT_EQ(kSecp256k1HalfN, kSecp256k1N >> 1);
}

}  // namespace
}  // namespace hc::crypto
