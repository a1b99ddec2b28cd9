#include "crypto/signature.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace hc::crypto {
namespace {

Bytes unhex(std::string_view h) {
    auto r = from_hex(h);
    EXPECT_TRUE(r.ok()) << h;
    return r.ok() ? *r : Bytes{};
}

Bytes concat(BytesView a, BytesView b) {
    Bytes out(a.begin(), a.end());
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

// Big-endian 32-byte a - b (for building n - s); REQUIRES a >= b.
Bytes sub_be32(BytesView a, BytesView b) {
    Bytes out(32);
    int borrow = 0;
    for (int i = 31; i >= 0; --i) {
        int d = int(a[i]) - int(b[i]) - borrow;
        borrow = d < 0;
        out[i] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
    }
    return out;
}

const char* const kP256Order = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
const char* const kSm2Order = "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123";

PrivateKey must_generate(SigAlgo algo) {
    auto key = PrivateKey::generate(algo);
    EXPECT_TRUE(key.ok()) << (key.ok() ? "" : key.error().to_string());
    return std::move(key).value();
}

Bytes must_sign(const PrivateKey& key, BytesView message) {
    auto sig = sign(key, message);
    EXPECT_TRUE(sig.ok()) << (sig.ok() ? "" : sig.error().to_string());
    return sig.ok() ? *sig : Bytes{};
}

TEST(SigAlgo, NamesRoundTrip) {
    for (SigAlgo a : {SigAlgo::p256, SigAlgo::ed25519, SigAlgo::sm2}) {
        auto parsed = parse_sig_algo(sig_algo_name(a));
        ASSERT_TRUE(parsed.ok());
        EXPECT_EQ(*parsed, a);
    }
    auto bad = parse_sig_algo("secp256k1");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, Errc::invalid_argument);
}

// ---- Properties every scheme must have ----

class SignatureTest : public ::testing::TestWithParam<SigAlgo> {};

TEST_P(SignatureTest, SignVerifyRoundTrip) {
    const PrivateKey key = must_generate(GetParam());
    EXPECT_EQ(key.algo(), GetParam());
    EXPECT_EQ(key.public_key().algo, GetParam());
    EXPECT_EQ(key.public_key().bytes.size(), public_key_size(GetParam()));
    for (std::string_view msg : {"", "hello", "a somewhat longer message that spans more bytes"}) {
        Bytes sig = must_sign(key, as_bytes(msg));
        EXPECT_EQ(sig.size(), kSignatureSize);
        Status st = verify(key.public_key(), as_bytes(msg), sig);
        EXPECT_TRUE(st.ok()) << "message \"" << msg << "\": " << st.error().to_string();
    }
}

TEST_P(SignatureTest, TamperedMessageFails) {
    const PrivateKey key = must_generate(GetParam());
    Bytes sig = must_sign(key, as_bytes("pay alice 10"));
    Status st = verify(key.public_key(), as_bytes("pay alice 11"), sig);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, Errc::crypto);
    EXPECT_FALSE(verify(key.public_key(), as_bytes(""), sig).ok());
}

TEST_P(SignatureTest, TamperedSignatureFails) {
    const PrivateKey key = must_generate(GetParam());
    const Bytes msg = to_bytes("vote for block 7");
    const Bytes sig = must_sign(key, msg);
    for (size_t i : {size_t{0}, size_t{17}, size_t{31}, size_t{32}, size_t{50}, size_t{63}}) {
        Bytes bad = sig;
        bad[i] ^= 0x01;
        EXPECT_FALSE(verify(key.public_key(), msg, bad).ok()) << "flipped byte " << i;
    }
}

TEST_P(SignatureTest, OtherKeyFails) {
    const PrivateKey key = must_generate(GetParam());
    const PrivateKey other = must_generate(GetParam());
    EXPECT_NE(key.public_key(), other.public_key());
    const Bytes sig = must_sign(key, as_bytes("m"));
    EXPECT_FALSE(verify(other.public_key(), as_bytes("m"), sig).ok());
}

TEST_P(SignatureTest, TamperedPublicKeyFails) {
    const PrivateKey key = must_generate(GetParam());
    const Bytes sig = must_sign(key, as_bytes("m"));
    PublicKey pk = key.public_key();
    pk.bytes[10] ^= 0x40;  // for the curves this is almost surely off the curve: either way, no
    EXPECT_FALSE(verify(pk, as_bytes("m"), sig).ok());
}

TEST_P(SignatureTest, PrivateKeyRawRoundTrip) {
    const PrivateKey key = must_generate(GetParam());
    auto restored = PrivateKey::from_bytes(GetParam(), key.raw());
    ASSERT_TRUE(restored.ok()) << restored.error().to_string();
    EXPECT_EQ(restored->public_key(), key.public_key());
    EXPECT_EQ(restored->raw(), key.raw());
    const Bytes sig = must_sign(*restored, as_bytes("m"));
    EXPECT_TRUE(verify(key.public_key(), as_bytes("m"), sig).ok());
}

TEST_P(SignatureTest, PublicKeyFromBytesRoundTrip) {
    const PrivateKey key = must_generate(GetParam());
    auto pk = PublicKey::from_bytes(GetParam(), key.public_key().bytes);
    ASSERT_TRUE(pk.ok()) << pk.error().to_string();
    EXPECT_EQ(*pk, key.public_key());
}

TEST_P(SignatureTest, MovedKeyStillSignsAndMovedFromFailsCleanly) {
    PrivateKey key = must_generate(GetParam());
    const PublicKey pub = key.public_key();
    PrivateKey moved = std::move(key);
    EXPECT_TRUE(verify(pub, as_bytes("m"), must_sign(moved, as_bytes("m"))).ok());
    auto sig = sign(key, as_bytes("m"));  // NOLINT(bugprone-use-after-move): on purpose
    ASSERT_FALSE(sig.ok());
    EXPECT_EQ(sig.error().code, Errc::invalid_argument);
    EXPECT_TRUE(key.raw().is_zero());  // the secret does not linger in the moved-from key
}

TEST_P(SignatureTest, WrongLengthsAreRejectedNotCrashed) {
    const PrivateKey key = must_generate(GetParam());
    const Bytes sig = must_sign(key, as_bytes("m"));
    for (size_t len : {size_t{0}, size_t{1}, size_t{63}, size_t{65}, size_t{72}, size_t{1000}}) {
        Bytes bad(len, 0x30);
        Status st = verify(key.public_key(), as_bytes("m"), bad);
        ASSERT_FALSE(st.ok());
        EXPECT_EQ(st.error().code, Errc::invalid_argument) << "signature length " << len;
    }
    for (size_t len : {size_t{0}, size_t{31}, size_t{33}, size_t{64}, size_t{66}}) {
        PublicKey pk{GetParam(), Bytes(len, 0x04)};
        Status st = verify(pk, as_bytes("m"), sig);
        ASSERT_FALSE(st.ok());
        EXPECT_EQ(st.error().code, Errc::invalid_argument) << "public key length " << len;
        EXPECT_FALSE(PublicKey::from_bytes(GetParam(), pk.bytes).ok());
    }
    for (size_t len : {size_t{0}, size_t{31}, size_t{33}, size_t{64}}) {
        auto k = PrivateKey::from_bytes(GetParam(), Bytes(len, 0x11));
        ASSERT_FALSE(k.ok());
        EXPECT_EQ(k.error().code, Errc::invalid_argument) << "private key length " << len;
    }
}

TEST_P(SignatureTest, GarbageInputsFailCleanly) {
    // Deterministic pseudo-random junk in every field.
    uint32_t state = 0x12345678u + static_cast<uint32_t>(GetParam());
    auto next = [&] {
        state = state * 1664525u + 1013904223u;
        return static_cast<uint8_t>(state >> 24);
    };
    const size_t pk_size = public_key_size(GetParam());
    for (int i = 0; i < 50; ++i) {
        PublicKey pk{GetParam(), Bytes(pk_size)};
        for (auto& b : pk.bytes)
            b = next();
        if (i % 2 == 0 && GetParam() != SigAlgo::ed25519) pk.bytes[0] = 0x04;
        Bytes sig(kSignatureSize);
        for (auto& b : sig)
            b = next();
        EXPECT_FALSE(verify(pk, as_bytes("m"), sig).ok());
    }
    EXPECT_FALSE(
        verify(PublicKey{static_cast<SigAlgo>(42), Bytes(65, 4)}, as_bytes("m"), Bytes(64, 1))
            .ok());
    EXPECT_FALSE(PrivateKey::generate(static_cast<SigAlgo>(42)).ok());
}

TEST_P(SignatureTest, ConcurrentVerification) {
    const PrivateKey key = must_generate(GetParam());
    const Bytes sig = must_sign(key, as_bytes("m"));
    int failures[2] = {0, 0};
    auto work = [&](int t) {
        for (int i = 0; i < 50; ++i)
            if (!verify(key.public_key(), as_bytes("m"), sig).ok()) ++failures[t];
    };
    std::thread a(work, 0), b(work, 1);
    a.join();
    b.join();
    EXPECT_EQ(failures[0] + failures[1], 0);
}

INSTANTIATE_TEST_SUITE_P(AllSchemes, SignatureTest,
                         ::testing::Values(SigAlgo::p256, SigAlgo::ed25519, SigAlgo::sm2),
                         [](const auto& info) { return std::string(sig_algo_name(info.param)); });

// ---- The two short-Weierstrass schemes: points, scalars and r/s ranges ----

class EcSignatureTest : public ::testing::TestWithParam<SigAlgo> {
  protected:
    Bytes order() const { return unhex(GetParam() == SigAlgo::sm2 ? kSm2Order : kP256Order); }
};

TEST_P(EcSignatureTest, PointOffTheCurveIsRejected) {
    const PrivateKey key = must_generate(GetParam());
    const Bytes sig = must_sign(key, as_bytes("m"));
    PublicKey pk = key.public_key();
    pk.bytes[64] ^= 0x01;  // change y only: (x, y+-1) is not on the curve
    auto imported = PublicKey::from_bytes(GetParam(), pk.bytes);
    ASSERT_FALSE(imported.ok());
    EXPECT_EQ(imported.error().code, Errc::invalid_argument);
    Status st = verify(pk, as_bytes("m"), sig);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, Errc::invalid_argument);
}

TEST_P(EcSignatureTest, OnlyUncompressedEncodingIsAccepted) {
    const PrivateKey key = must_generate(GetParam());
    for (uint8_t tag : {0x00, 0x02, 0x03, 0x06, 0x07}) {
        Bytes enc = key.public_key().bytes;
        enc[0] = tag;
        EXPECT_FALSE(PublicKey::from_bytes(GetParam(), enc).ok()) << "tag " << int(tag);
    }
    Bytes infinity(65, 0);
    EXPECT_FALSE(PublicKey::from_bytes(GetParam(), infinity).ok());
    infinity[0] = 0x04;
    EXPECT_FALSE(PublicKey::from_bytes(GetParam(), infinity).ok());
}

TEST_P(EcSignatureTest, OutOfRangeROrSIsRejected) {
    const PrivateKey key = must_generate(GetParam());
    const Bytes good = must_sign(key, as_bytes("m"));
    const Bytes n = order();
    const Bytes zero(32, 0), ones(32, 0xff);
    const BytesView r(good.data(), 32), s(good.data() + 32, 32);
    for (const Bytes& bad : {concat(zero, s), concat(r, zero), concat(n, s), concat(r, n),
                             concat(ones, s), concat(r, ones), Bytes(64, 0)}) {
        Status st = verify(key.public_key(), as_bytes("m"), bad);
        ASSERT_FALSE(st.ok());
        EXPECT_EQ(st.error().code, Errc::crypto);
    }
}

TEST_P(EcSignatureTest, PrivateScalarRange) {
    const Bytes n = order();
    const Bytes one = unhex("0000000000000000000000000000000000000000000000000000000000000001");
    const Bytes n_minus_1 = sub_be32(n, one);
    EXPECT_FALSE(PrivateKey::from_bytes(GetParam(), Bytes(32, 0)).ok());
    EXPECT_FALSE(PrivateKey::from_bytes(GetParam(), n).ok());
    EXPECT_FALSE(PrivateKey::from_bytes(GetParam(), Bytes(32, 0xff)).ok());
    auto k1 = PrivateKey::from_bytes(GetParam(), one);
    ASSERT_TRUE(k1.ok());
    EXPECT_TRUE(verify(k1->public_key(), as_bytes("m"), must_sign(*k1, as_bytes("m"))).ok());
    // d = n-1 is a valid ECDSA key but not an SM2 one (1 + d must be invertible mod n).
    EXPECT_EQ(PrivateKey::from_bytes(GetParam(), n_minus_1).ok(), GetParam() == SigAlgo::p256);
}

// r or s with a leading zero byte (DER drops it) or a top bit set (DER pads with 0x00): the
// raw-to-DER conversion must handle both.
TEST_P(EcSignatureTest, DerConversionEdgeCases) {
    const PrivateKey key = must_generate(GetParam());
    bool r_small = false, s_small = false, r_high = false;
    for (int i = 0; i < 4000 && !(r_small && s_small && r_high); ++i) {
        const Bytes msg = to_bytes("msg " + std::to_string(i));
        const Bytes sig = must_sign(key, msg);
        const bool rs = sig[0] == 0, ss = sig[32] == 0, rh = sig[0] >= 0x80;
        if ((rs && !r_small) || (ss && !s_small) || (rh && !r_high)) {
            ASSERT_TRUE(verify(key.public_key(), msg, sig).ok()) << to_hex(sig);
            r_small |= rs;
            s_small |= ss;
            r_high |= rh;
        }
    }
    EXPECT_TRUE(r_small && s_small && r_high);
}

INSTANTIATE_TEST_SUITE_P(Curves, EcSignatureTest, ::testing::Values(SigAlgo::p256, SigAlgo::sm2),
                         [](const auto& info) { return std::string(sig_algo_name(info.param)); });

// ---- Ed25519: RFC 8032, section 7.1, TEST 1-3 (deterministic: exact signatures) ----

TEST(Ed25519, Rfc8032Vectors) {
    struct Vector {
        const char* secret;
        const char* public_key;
        const char* message;
        const char* signature;
    };
    const Vector vectors[] = {
        {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
         "701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
        {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f36"
         "13d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
        {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
         "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
         "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f7"
         "60984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    };
    for (const auto& v : vectors) {
        auto key = PrivateKey::from_bytes(SigAlgo::ed25519, unhex(v.secret));
        ASSERT_TRUE(key.ok());
        EXPECT_EQ(to_hex(key->public_key().bytes, false), v.public_key);
        const Bytes msg = unhex(v.message);
        EXPECT_EQ(to_hex(must_sign(*key, msg), false), v.signature);
        auto pk = PublicKey::from_bytes(SigAlgo::ed25519, unhex(v.public_key));
        ASSERT_TRUE(pk.ok());
        EXPECT_TRUE(verify(*pk, msg, unhex(v.signature)).ok());
    }
}

// RFC 8032 5.1.7 requires S < L; S + L verifies under the group equation, so a lax verifier
// would accept this malleated copy of TEST 1's signature.
TEST(Ed25519, NonCanonicalSIsRejected) {
    const Bytes pk = unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    Bytes sig = unhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
        "701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    const Bytes l = unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    int carry = 0;
    for (size_t i = 0; i < 32; ++i) {
        int sum = sig[32 + i] + l[i] + carry;
        sig[32 + i] = static_cast<uint8_t>(sum);
        carry = sum >> 8;
    }
    ASSERT_EQ(carry, 0);
    EXPECT_FALSE(verify(PublicKey{SigAlgo::ed25519, pk}, {}, sig).ok());
}

// ---- P-256: RFC 6979, A.2.5 (ECDSA, 256 bits (prime field)), with SHA-256 ----
// Its nonces are deterministic but OpenSSL's are random, so the published signatures are
// checked by verification, and the key pair by derivation.

TEST(P256, Rfc6979KeyPair) {
    auto key = PrivateKey::from_bytes(
        SigAlgo::p256, unhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"));
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(to_hex(key->public_key().bytes, false),
              "04"
              "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
              "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299");
}

TEST(P256, Rfc6979SignaturesVerify) {
    auto pk = PublicKey::from_bytes(
        SigAlgo::p256, unhex("04"
                             "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
                             "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"));
    ASSERT_TRUE(pk.ok());
    const Bytes sample = unhex(
        "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
        "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
    const Bytes test = unhex(
        "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367"
        "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083");
    EXPECT_TRUE(verify(*pk, as_bytes("sample"), sample).ok());
    EXPECT_TRUE(verify(*pk, as_bytes("test"), test).ok());
    EXPECT_FALSE(verify(*pk, as_bytes("test"), sample).ok());
    EXPECT_FALSE(verify(*pk, as_bytes("sample"), test).ok());
}

// Documents the malleability warned about in signature.h: (r, n - s) verifies too.
TEST(P256, SignatureIsMalleableAsDocumented) {
    auto pk = PublicKey::from_bytes(
        SigAlgo::p256, unhex("04"
                             "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
                             "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"));
    ASSERT_TRUE(pk.ok());
    const Bytes r = unhex("efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716");
    const Bytes s = unhex("f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
    EXPECT_TRUE(verify(*pk, as_bytes("sample"), concat(r, sub_be32(unhex(kP256Order), s))).ok());
}

// ---- SM2: GB/T 32918.2-2016 Annex A / GM/T 0003.2-2012 Annex A example, on the recommended
// curve of GB/T 32918.5-2017; ID_A = "1234567812345678", M = "message digest". The same vector
// is in OpenSSL's test/sm2_internal_test.c. The standard's k is not reproducible through
// OpenSSL's random nonces, so the signature is checked by verification. ----

TEST(Sm2, StandardKeyPair) {
    auto key = PrivateKey::from_bytes(
        SigAlgo::sm2, unhex("3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"));
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(to_hex(key->public_key().bytes, false),
              "04"
              "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
              "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13");
}

TEST(Sm2, StandardSignatureVerifies) {
    auto key = PrivateKey::from_bytes(
        SigAlgo::sm2, unhex("3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"));
    ASSERT_TRUE(key.ok());
    const Bytes sig = unhex(
        "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
        "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa");
    Status st = verify(key->public_key(), as_bytes("message digest"), sig);
    EXPECT_TRUE(st.ok()) << st.error().to_string();
    EXPECT_FALSE(verify(key->public_key(), as_bytes("message digesT"), sig).ok());
    // The same (r, s) read as a P-256 signature of the same message under a P-256 key with the
    // same coordinates must not pass: the point is not on P-256, or the digest differs.
    EXPECT_FALSE(
        verify(PublicKey{SigAlgo::p256, key->public_key().bytes}, as_bytes("message digest"), sig)
            .ok());
    // Our own signatures with the standard key verify as well.
    EXPECT_TRUE(verify(key->public_key(), as_bytes("message digest"),
                       must_sign(*key, as_bytes("message digest")))
                    .ok());
}

}  // namespace
}  // namespace hc::crypto
