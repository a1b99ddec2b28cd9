// Precompiled contracts: vectors from EIP-152, EIP-196/197, EIP-198/2565 and the Ethereum test
// suites, with their gas costs, failure cases and out-of-gas behaviour.
#include "evm/precompiles.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>

namespace hc::evm {
namespace {

Address precompile(uint8_t n) {
    Address a;
    a.data()[19] = n;
    return a;
}

Bytes hex(std::string_view s) {
    auto r = from_hex(s);
    EXPECT_TRUE(static_cast<bool>(r)) << s;
    return r ? *r : Bytes{};
}

std::string out_hex(const PrecompileOutput& o) {
    return to_hex(o.output, false);
}

constexpr int64_t kGas = 10'000'000;

// Runs with plenty of gas and checks success and the cost.
PrecompileOutput run_ok(uint8_t n, std::string_view input_hex, int64_t expected_cost) {
    const Bytes in = hex(input_hex);
    PrecompileOutput o = run_precompile(precompile(n), in, kGas);
    EXPECT_EQ(o.status, StatusCode::success);
    EXPECT_EQ(kGas - o.gas_left, expected_cost);
    // One gas short of the cost runs out of gas.
    PrecompileOutput short_gas = run_precompile(precompile(n), in, expected_cost - 1);
    if (expected_cost > 0) {
        EXPECT_EQ(short_gas.status, StatusCode::out_of_gas);
        EXPECT_EQ(short_gas.gas_left, 0);
        EXPECT_TRUE(short_gas.output.empty());
    }
    // Exactly the cost succeeds with nothing left.
    PrecompileOutput exact = run_precompile(precompile(n), in, expected_cost);
    EXPECT_EQ(exact.status, StatusCode::success);
    EXPECT_EQ(exact.gas_left, 0);
    EXPECT_EQ(exact.output, o.output);
    return o;
}

void expect_failure(uint8_t n, std::string_view input_hex) {
    const PrecompileOutput o = run_precompile(precompile(n), hex(input_hex), kGas);
    EXPECT_EQ(o.status, StatusCode::precompile_failure) << input_hex;
    EXPECT_EQ(o.gas_left, 0);
    EXPECT_TRUE(o.output.empty());
}

TEST(Precompiles, AddressRange) {
    EXPECT_FALSE(is_precompile(precompile(0)));
    for (uint8_t i = 1; i <= 9; ++i)
        EXPECT_TRUE(is_precompile(precompile(i))) << int(i);
    EXPECT_FALSE(is_precompile(precompile(0x0a)));  // KZG point evaluation: out of scope
    EXPECT_FALSE(is_precompile(precompile(0xff)));
    Address high = precompile(1);
    high.data()[0] = 1;
    EXPECT_FALSE(is_precompile(high));
    EXPECT_EQ(run_precompile(precompile(0x0a), {}, kGas).status, StatusCode::internal_error);
}

// ---- 0x01 ecrecover ----

constexpr std::string_view kEcrecoverValid =
    "18c547e4f7b0f325ad1e56f57e26c745b09a3e503d86e00e5255ff7f715d3d1c"
    "000000000000000000000000000000000000000000000000000000000000001c"
    "73b1693892219d736caba55bdb67216e485557ea6b6af75f37096c9aa6a5a75f"
    "eeb940b1d03b21e36b0e47e79769f095fe2ab855bd91e3a38756b7d75a9c4549";

TEST(Precompiles, EcrecoverValid) {
    // s here is above n/2: ecrecover, unlike transactions, has no low-s rule.
    auto o = run_ok(1, kEcrecoverValid, 3000);
    EXPECT_EQ(out_hex(o), "000000000000000000000000a94f5374fce5edbc8e2a8697c15331677e6ebf0b");
}

TEST(Precompiles, EcrecoverInvalidGivesEmptySuccess) {
    // Bad high bits of v, v = 29, r = 0, s = n, unrecoverable key.
    const std::string base(kEcrecoverValid);
    std::string high_v = base;
    high_v[64] = '1';
    std::string v29 = base;
    v29[127] = 'd';
    std::string r_zero = base;
    r_zero.replace(128, 64, std::string(64, '0'));
    std::string s_n = base;
    s_n.replace(192, 64, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    for (const std::string& in :
         {high_v, v29, r_zero, s_n,
          std::string("a8b53bdf3306a35a7103ab5504a0c9b492295564b6202b1942a84ef300107281"
                      "000000000000000000000000000000000000000000000000000000000000001b"
                      "3078356531653033663533636531386237373263636230303933666637316633"
                      "6635336635633735623734646362333161383561613862383839326234653862"
                      "1122334455667788991011121314151617181920212223242526272829303132")}) {
        auto o = run_ok(1, in, 3000);
        EXPECT_TRUE(o.output.empty()) << in;
    }
    // Short input is right-padded: v = 0 is invalid, still success.
    auto o = run_ok(1, "", 3000);
    EXPECT_TRUE(o.output.empty());
}

// ---- 0x02..0x04 hashes and identity ----

TEST(Precompiles, Sha256) {
    auto o = run_ok(2, "", 60);
    EXPECT_EQ(out_hex(o), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    o = run_ok(2, "616263", 72);
    EXPECT_EQ(out_hex(o), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    run_ok(2, std::string(66, 'a'), 60 + 12 * 2);  // 33 bytes -> 2 words
}

TEST(Precompiles, Ripemd160) {
    auto o = run_ok(3, "", 600);
    EXPECT_EQ(out_hex(o), "0000000000000000000000009c1185a5c5e9fc54612808977ee8f548b2258d31");
    o = run_ok(3, "616263", 720);
    EXPECT_EQ(out_hex(o), "0000000000000000000000008eb208f7e05d987a9b044a8e98c6b087f15a0bfc");
}

TEST(Precompiles, Identity) {
    auto o = run_ok(4, "", 15);
    EXPECT_TRUE(o.output.empty());
    const std::string data(2 * 65, 'b');
    o = run_ok(4, data, 15 + 3 * 3);
    EXPECT_EQ(o.output, hex(data));
}

TEST(Precompiles, NegativeGasIsOutOfGas) {
    EXPECT_EQ(run_precompile(precompile(4), {}, -1).status, StatusCode::out_of_gas);
}

// ---- 0x09 blake2f (EIP-152) ----

const std::string kBlakeBody =
    "48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d182e6ad7f520e511f6c3e2b8c6805"
    "9b6bbd41fbabd9831f79217e1319cde05b616263000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000003000000000000000000000000000000";

TEST(Precompiles, Blake2fVectors) {
    ASSERT_EQ(hex("0000000c" + kBlakeBody + "01").size(), 213u);
    EXPECT_EQ(
        out_hex(run_ok(9, "00000000" + kBlakeBody + "01", 0)),
        "08c9bcf367e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d282e6ad7f520e511f6c3e"
        "2b8c68059b9442be0454267ce079217e1319cde05b");
    EXPECT_EQ(
        out_hex(run_ok(9, "0000000c" + kBlakeBody + "01", 12)),
        "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5"
        "de4533cc9518d38aa8dbf1925ab92386edd4009923");
    EXPECT_EQ(
        out_hex(run_ok(9, "0000000c" + kBlakeBody + "00", 12)),
        "75ab69d3190a562c51aef8d88f1c2775876944407270c42c9844252c26d2875298743e7f6d5ea2f2d3e8d2"
        "26039cd31b4e426ac4f2d3d666a610c2116fde4735");
    EXPECT_EQ(
        out_hex(run_ok(9, "00000001" + kBlakeBody + "01", 1)),
        "b63a380cb2897d521994a85234ee2c181b5f844d2c624c002677e9703449d2fba551b3a8333bcdf5f2f7e0"
        "8993d53923de3d64fcc68c034e717b9293fed7a421");
}

TEST(Precompiles, Blake2fFailures) {
    expect_failure(9, "");
    expect_failure(9, "0000000c" + kBlakeBody);           // 212 bytes
    expect_failure(9, "0000000c" + kBlakeBody + "0100");  // 214 bytes
    expect_failure(9, "0000000c" + kBlakeBody + "02");    // bad final flag
    // Out of gas: 0xffffffff rounds.
    auto o = run_precompile(precompile(9), hex("ffffffff" + kBlakeBody + "01"), kGas);
    EXPECT_EQ(o.status, StatusCode::out_of_gas);
}

// ---- 0x05 modexp (EIP-198 format, EIP-2565 gas) ----

TEST(Precompiles, ModexpEipExamples) {
    // 3^(p-1) mod p = 1 for the secp256k1 field prime.
    EXPECT_EQ(out_hex(run_ok(5,
                             "0000000000000000000000000000000000000000000000000000000000000001"
                             "0000000000000000000000000000000000000000000000000000000000000020"
                             "0000000000000000000000000000000000000000000000000000000000000020"
                             "03"
                             "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2e"
                             "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f",
                             1360)),
              "0000000000000000000000000000000000000000000000000000000000000001");
    // Base length 0: 0^(p-1) = 0.
    EXPECT_EQ(out_hex(run_ok(5,
                             "0000000000000000000000000000000000000000000000000000000000000000"
                             "0000000000000000000000000000000000000000000000000000000000000020"
                             "0000000000000000000000000000000000000000000000000000000000000020"
                             "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2e"
                             "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f",
                             1360)),
              "0000000000000000000000000000000000000000000000000000000000000000");
}

TEST(Precompiles, ModexpNagydani) {
    const std::string mod1 =
        "e09ad9675465c53a109fac66a445c91b292d2bb2c5268addb30cd82f80fcb0033ff97c80a5fc6f39193ae969c6"
        "ede6710a6b7ac27078a06d90ef1c72e5c85fb5";
    const std::string m1 =
        "fc9e1f6beb81516545975218075ec2af118cd8798df6e08a147c60fd6095ac2bb02c2908cf4dd7c81f11c289e4"
        "bce98f3553768f392a80ce22bf5c4f4a248c6b";
    const std::string lens_1 =
        "0000000000000000000000000000000000000000000000000000000000000040"
        "0000000000000000000000000000000000000000000000000000000000000001"
        "0000000000000000000000000000000000000000000000000000000000000040";
    EXPECT_EQ(
        out_hex(run_ok(5, lens_1 + mod1 + "02" + m1, 200)),
        "60008f1614cc01dcfb6bfb09c625cf90b47d4468db81b5f8b7a39d42f332eab9b2da8f2d95311648a8f24"
        "3f4bb13cfb3d8f7f2a3c014122ebb3ed41b02783adc");
    EXPECT_EQ(
        out_hex(run_ok(5, lens_1 + mod1 + "03" + m1, 200)),
        "4834a46ba565db27903b1c720c9d593e84e4cbd6ad2e64b31885d944f68cd801f92225a8961c952ddf279"
        "7fa4701b330c85c4b363798100b921a1a22a46a7fec");
    const std::string lens_3 =
        "0000000000000000000000000000000000000000000000000000000000000040"
        "0000000000000000000000000000000000000000000000000000000000000003"
        "0000000000000000000000000000000000000000000000000000000000000040";
    EXPECT_EQ(
        out_hex(run_ok(5, lens_3 + mod1 + "010001" + m1, 341)),
        "c36d804180c35d4426b57b50c5bfcca5c01856d104564cd513b461d3c8b8409128a5573e416d0ebe38f5f"
        "736766d9dc27143e4da981dfa4d67f7dc474cbee6d2");
}

TEST(Precompiles, ModexpEdgeCases) {
    // Everything empty: 200 gas, empty output.
    EXPECT_TRUE(run_ok(5, "", 200).output.empty());
    // Modulus zero gives zeros of the modulus length; modulus one too.
    EXPECT_EQ(out_hex(run_ok(5,
                             "0000000000000000000000000000000000000000000000000000000000000001"
                             "0000000000000000000000000000000000000000000000000000000000000001"
                             "0000000000000000000000000000000000000000000000000000000000000002"
                             "0303"
                             "0000",
                             200)),
              "0000");
    EXPECT_EQ(out_hex(run_ok(5,
                             "0000000000000000000000000000000000000000000000000000000000000001"
                             "0000000000000000000000000000000000000000000000000000000000000001"
                             "0000000000000000000000000000000000000000000000000000000000000002"
                             "0303"
                             "0001",
                             200)),
              "0000");
    // Truncated input is right-padded with zeros: the 2-byte modulus has only 0x05 present, so
    // it reads as 0x0500 and the result is 2^3 mod 0x0500 = 8 (not 2^3 mod 5 = 3).
    EXPECT_EQ(out_hex(run_ok(5,
                             "0000000000000000000000000000000000000000000000000000000000000001"
                             "0000000000000000000000000000000000000000000000000000000000000001"
                             "0000000000000000000000000000000000000000000000000000000000000002"
                             "0203"
                             "05",
                             200)),
              "0008");
    // Exponent 0: result 1.
    EXPECT_EQ(out_hex(run_ok(5,
                             "0000000000000000000000000000000000000000000000000000000000000001"
                             "0000000000000000000000000000000000000000000000000000000000000001"
                             "0000000000000000000000000000000000000000000000000000000000000001"
                             "07"
                             "00"
                             "0b",
                             200)),
              "01");
}

TEST(Precompiles, ModexpHugeLengthsDoNotAllocate) {
    // Base and modulus lengths of 2^255 and 2^64+1: the cost saturates and runs out of gas.
    for (const std::string& lens :
         {std::string("8000000000000000000000000000000000000000000000000000000000000000"
                      "0000000000000000000000000000000000000000000000000000000000000001"
                      "0000000000000000000000000000000000000000000000000000000000000001"),
          std::string("0000000000000000000000000000000000000000000000000000000000000001"
                      "0000000000000000000000000000000000000000000000000000000000000001"
                      "0000000000000000000000000000000000000000000000010000000000000001"),
          std::string("0000000000000000000000000000000000000000000000000000000000000001"
                      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
                      "0000000000000000000000000000000000000000000000000000000000000001")}) {
        auto o = run_precompile(precompile(5), hex(lens + "020305"),
                                std::numeric_limits<int64_t>::max());
        EXPECT_EQ(o.status, StatusCode::out_of_gas) << lens;
    }
    // A huge exponent length with empty base and modulus costs the minimum and returns nothing.
    auto o = run_ok(5,
                    "0000000000000000000000000000000000000000000000000000000000000000"
                    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
                    "0000000000000000000000000000000000000000000000000000000000000000",
                    200);
    EXPECT_TRUE(o.output.empty());
}

TEST(Precompiles, ModexpLongExponentGas) {
    // exp_len 40: iterations = 8 * (40 - 32) + bitlen(first 32 bytes) - 1. With the head
    // 0x01 followed by zeros: bitlen = 249, so 64 + 248 = 312; mult = ceil(1/8)^2 = 1 -> 312/3 =
    // 104 -> minimum 200. With base_len 64: mult = 64, 64 * 312 / 3 = 6656.
    std::string exp = "01" + std::string(78, '0');
    const std::string lens =
        "0000000000000000000000000000000000000000000000000000000000000040"
        "0000000000000000000000000000000000000000000000000000000000000028"
        "0000000000000000000000000000000000000000000000000000000000000001";
    run_ok(5, lens + std::string(128, '0') + exp + "07", 6656);
}

// ---- 0x06 bn256 add ----

TEST(Precompiles, Bn256Add) {
    EXPECT_EQ(
        out_hex(run_ok(6,
                       "18b18acfb4c2c30276db5411368e7185b311dd124691610c5d3b74034e093dc9063c9"
                       "09c4720840cb5134cb9f59fa749755796819658d32efc0d288198f3726607c2b7f58a"
                       "84bd6145f00c9c2bc0bb1a187f20ff2c92963a88019e7c6a014eed06614e20c147e94"
                       "0f2d70da3f74c9a17df361706a4485c742bd6788478fa17d7",
                       150)),
        "2243525c5efd4b9c3d3c45ac0ca3fe4dd85e830a4ce6b65fa1eeaee202839703301d1d33be6da8e509df2"
        "1cc35964723180eed7532537db9ae5e7d48f195c915");
    // G + G = 2G.
    EXPECT_EQ(out_hex(run_ok(6,
                             "0000000000000000000000000000000000000000000000000000000000000001"
                             "0000000000000000000000000000000000000000000000000000000000000002"
                             "0000000000000000000000000000000000000000000000000000000000000001"
                             "0000000000000000000000000000000000000000000000000000000000000002",
                             150)),
              "030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd315ed738c0e0a7c92e784"
              "5f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4");
    // Empty input: infinity + infinity.
    EXPECT_EQ(out_hex(run_ok(6, "", 150)), std::string(128, '0'));
    // P + (-P) = infinity.
    EXPECT_EQ(out_hex(run_ok(6,
                             "17c139df0efee0f766bc0204762b774362e4ded88953a39ce849a8a7fa163fa901e05"
                             "59bacb160664764a357af8a9fe70baa9258e0b959273ffc5718c6d4cc7c17c139df0e"
                             "fee0f766bc0204762b774362e4ded88953a39ce849a8a7fa163fa92e83f8d734803fc"
                             "370eba25ed1f6b8768bd6d83887b87165fc2434fe11a830cb",
                             150)),
              std::string(128, '0'));
}

TEST(Precompiles, Bn256AddFailures) {
    // (1, 3) is not on the curve.
    expect_failure(6,
                   "0000000000000000000000000000000000000000000000000000000000000001"
                   "0000000000000000000000000000000000000000000000000000000000000003");
    // x = p (not reduced), equal to 0 mod p: (p, 0) is not accepted as infinity.
    expect_failure(6,
                   "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47"
                   "0000000000000000000000000000000000000000000000000000000000000000");
    // y = p + 2 encodes G unreduced.
    expect_failure(6,
                   "0000000000000000000000000000000000000000000000000000000000000001"
                   "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd49");
}

// ---- 0x07 bn256 scalar mul ----

TEST(Precompiles, Bn256ScalarMul) {
    EXPECT_EQ(
        out_hex(run_ok(7,
                       "2bd3e6d0f3b142924f5ca7b49ce5b9d54c4703d7ae5648e61d02268b1a0a9fb721611"
                       "ce0a6af85915e2f1d70300909ce2e49dfad4a4619c8390cae66cefdb2040000000000"
                       "0000000000000000000000000000000000000011138ce750fa15c2",
                       6000)),
        "070a8d6a982153cae4be29d434e8faef8a47b274a053f5a4ee2a6c9c13c31e5c031b8ce914eba3a9ffb98"
        "9f9cdd5b0f01943074bf4f0f315690ec3cec6981afc");
    // Scalar 2^256 - 1 (larger than the group order).
    EXPECT_EQ(
        out_hex(run_ok(7,
                       "1a87b0584ce92f4593d161480614f2989035225609f08058ccfa3d0f940febe31a2f3"
                       "c951f6dadcc7ee9007dff81504b0fcd6d7cf59996efdc33d92bf7f9f8f6ffffffffff"
                       "ffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                       6000)),
        "2cde5879ba6f13c0b5aa4ef627f159a3347df9722efce88a9afbb20b763b4c411aa7e43076f6aee272755"
        "a7f9b84832e71559ba0d2e0b17d5f9f01755e5b0d11");
    // Scalar 9.
    EXPECT_EQ(
        out_hex(run_ok(7,
                       "039730ea8dff1254c0fee9c0ea777d29a9c710b7e616683f194f18c43b43b869073a5"
                       "ffcc6fc7a28c30723d6e58ce577356982d65b833a5a5c15bf9024b43d980000000000"
                       "000000000000000000000000000000000000000000000000000009",
                       6000)),
        "19f75b9dd68c080a688774a6213f131e3052bd353a304a189d7a2ee367e3c2582612f545fb9fc89fde80f"
        "d81c68fc7dcb27fea5fc124eeda69433cf5c46d2d7f");
    // Scalar r: infinity. Scalar 0: infinity.
    EXPECT_EQ(out_hex(run_ok(7,
                             "0000000000000000000000000000000000000000000000000000000000000001"
                             "0000000000000000000000000000000000000000000000000000000000000002"
                             "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001",
                             6000)),
              std::string(128, '0'));
    EXPECT_EQ(out_hex(run_ok(7,
                             "0000000000000000000000000000000000000000000000000000000000000001"
                             "0000000000000000000000000000000000000000000000000000000000000002",
                             6000)),
              std::string(128, '0'));
    expect_failure(7,
                   "0000000000000000000000000000000000000000000000000000000000000001"
                   "0000000000000000000000000000000000000000000000000000000000000003"
                   "0000000000000000000000000000000000000000000000000000000000000001");
}

// ---- 0x08 bn256 pairing ----

const std::string kG1 =
    "0000000000000000000000000000000000000000000000000000000000000001"
    "0000000000000000000000000000000000000000000000000000000000000002";
const std::string kG2 =
    "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"
    "1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"
    "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b"
    "12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa";
const std::string kMinusG2 =
    "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"
    "1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"
    "275dc4a288d1afb3cbb1ac09187524c7db36395df7be3b99e673b13a075a65ec"
    "1d9befcd05a5323e6da4d435f3b617cdb3af83285c2df711ef39c01571827f9d";
const std::string kTrue = std::string(63, '0') + "1";
const std::string kFalse = std::string(64, '0');

TEST(Precompiles, Bn256PairingBasics) {
    EXPECT_EQ(out_hex(run_ok(8, "", 45000)), kTrue);
    EXPECT_EQ(out_hex(run_ok(8, kG1 + kG2, 79000)), kFalse);
    EXPECT_EQ(out_hex(run_ok(8, kG1 + kG2 + kG1 + kMinusG2, 113000)), kTrue);
    // Infinity in either slot contributes one.
    EXPECT_EQ(out_hex(run_ok(8, std::string(128, '0') + kG2, 79000)), kTrue);
    EXPECT_EQ(out_hex(run_ok(8, kG1 + std::string(256, '0'), 79000)), kTrue);
}

TEST(Precompiles, Bn256PairingJeff) {
    const std::string jeff1 =
        "1c76476f4def4bb94541d57ebba1193381ffa7aa76ada664dd31c16024c43f593034dd2920f673e204fee2811c"
        "678745fc819b55d3e9d294e45c9b03a76aef41209dd15ebff5d46c4bd888e51a93cf99a7329636c63514396b4a"
        "452003a35bf704bf11ca01483bfa8b34b43561848d28905960114c8ac04049af4b6315a416782bb8324af6cfc9"
        "3537a2ad1a445cfd0ca2a71acd7ac41fadbf933c2a51be344d120a2a4cf30c1bf9845f20c6fe39e07ea2cce61f"
        "0c9bb048165fe5e4de877550111e129f1cf1097710d41c4ac70fcdfa5ba2023c6ff1cbeac322de49d1b6df7c20"
        "32c61a830e3c17286de9462bf242fca2883585b93870a73853face6a6bf411" +
        kG2;
    EXPECT_EQ(out_hex(run_ok(8, jeff1, 113000)), kTrue);
    // jeff6: the same with a different second G1 point, which does not balance.
    const std::string jeff6 =
        "1c76476f4def4bb94541d57ebba1193381ffa7aa76ada664dd31c16024c43f593034dd2920f673e204fee2811c"
        "678745fc819b55d3e9d294e45c9b03a76aef41209dd15ebff5d46c4bd888e51a93cf99a7329636c63514396b4a"
        "452003a35bf704bf11ca01483bfa8b34b43561848d28905960114c8ac04049af4b6315a416782bb8324af6cfc9"
        "3537a2ad1a445cfd0ca2a71acd7ac41fadbf933c2a51be344d120a2a4cf30c1bf9845f20c6fe39e07ea2cce61f"
        "0c9bb048165fe5e4de877550111e129f1cf1097710d41c4ac70fcdfa5ba2023c6ff1cbeac322de49d1b6df7c10"
        "3188585e2364128fe25c70558f1560f4f9350baf3959e603cc91486e110936" +
        kG2;
    EXPECT_EQ(out_hex(run_ok(8, jeff6, 113000)), kFalse);
    // two_point_match_4 from the Ethereum test suite.
    const std::string tpm4 =
        "105456a333e6d636854f987ea7bb713dfd0ae8371a72aea313ae0c32c0bf10160cf031d41b41557f3e7e3ba0c5"
        "1bebe5da8e6ecd855ec50fc87efcdeac168bcc0476be093a6d2b4bbf907172049874af11e1b6267606e00804d3"
        "ff0037ec57fd3010c68cb50161b7d1d96bb71edfec9880171954e56871abf3d93cc94d745fa114c059d74e5b6c"
        "4ec14ae5864ebe23a71781d86c29fb8fb6cce94f70d3de7a2101b33461f39d9e887dbb100f170a2345dde3c07e"
        "256d1dfa2b657ba5cd030427" +
        kG1 +
        "1a2c3013d2ea92e13c800cde68ef56a294b883f6ac35d25f587c09b1b3c635f7290158a80cd3d66530f74dc94c"
        "94adb88f5cdb481acca997b6e60071f08a115f2f997f3dbd66a7afe07fe7862ce239edba9e05c5afff7f8a1259"
        "c9733b2dfbb929d1691530ca701b4a106054688728c9972c8512e9789e9567aae23e302ccd75";
    EXPECT_EQ(out_hex(run_ok(8, tpm4, 113000)), kTrue);
    // jeff4: three pairs. two_point_match_3: a non-generator G2 point against the generator.
    const std::string jeff4 =
        "2f2ea0b3da1e8ef11914acf8b2e1b32d99df51f5f4f206fc6b947eae860eddb6068134ddb33dc888ef446b648d"
        "72338684d678d2eb2371c61a50734d78da4b7225f83c8b6ab9de74e7da488ef02645c5a16a6652c3c71a15dc37"
        "fe3a5dcb7cb122acdedd6308e3bb230d226d16a105295f523a8a02bfc5e8bd2da135ac4c245d065bbad92e7c4e"
        "31bf3757f1fe7362a63fbfee50e7dc68da116e67d600d9bf6806d302580dc0661002994e7cd3a7f224e7ddc278"
        "02777486bf80f40e4ca3cfdb186bac5188a98c45e6016873d107f5cd131f3a3e339d0375e58bd6219347b00812"
        "2ae2b09e539e152ec5364e7e2204b03d11d3caa038bfc7cd499f8176aacbee1f39e4e4afc4bc74790a4a028aff"
        "2c3d2538731fb755edefd8cb48d6ea589b5e283f150794b6736f670d6a1033f9b46c6f5204f50813eb85c8dc4b"
        "59db1c5d39140d97ee4d2b36d99bc49974d18ecca3e7ad51011956051b464d9e27d46cc25e0764bb98575bd466"
        "d32db7b15f582b2d5c452b36aa394b789366e5e3ca5aabd415794ab061441e51d01e94640b7e3084a07e02c78c"
        "f3103c542bc5b298669f211b88da1679b0b64a63b7e0e7bfe52aae524f73a55be7fe70c7e9bfc94b4cf0da1213"
        "d2149b006137fcfb23036606f848d638d576a120ca981b5b1a5f9300b3ee2276cf730cf493cd95d64677bbb75f"
        "c42db72513a4c1e387b476d056f80aa75f21ee6226d31426322afcda621464d0611d226783262e21bb3bc86b53"
        "7e986237096df1f82dff337dd5972e32a8ad43e28a78a96a823ef1cd4debe12b6552ea5f";
    EXPECT_EQ(out_hex(run_ok(8, jeff4, 147000)), kTrue);
    const std::string tpm3 =
        "000000000000000000000000000000000000000000000000000000000000000100000000000000000000000000"
        "00000000000000000000000000000000000002203e205db4f19b37b60121b83a7333706db86431c6d835849957"
        "ed8c3928ad7927dc7234fd11d3e8c36c59277c3e6f149d5cd3cfa9a62aee49f8130962b4b3b9195e8aa5b78274"
        "63722b8c153931579d3505566b4edf48d498e185f0509de15204bb53b8977e5f92a0bc372742c4830944a59b4f"
        "e6b1c0466e2a6dad122b5d2e030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd31a"
        "76dae6d3272396d0cbe61fced2bc532edac647851e3ac53ce1cc9c7e645a83198e9393920d483a7260bfb731fb"
        "5d25f1aa493335a9e71297e485b7aef312c21800deef121f1e76426a00665e5c4479674322d4f75edadd46debd"
        "5cd992f6ed090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b12c85ea5db8c6deb"
        "4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa";
    EXPECT_EQ(out_hex(run_ok(8, tpm3, 113000)), kTrue);
}

// Bilinearity through the public interface: e(aG, H) * e((r - a)G, H) = e(rG, H) = 1, while
// e(aG, H) * e((r - a + 1)G, H) = e(G, H) != 1, for several scalars a.
TEST(Precompiles, Bn256PairingBilinearity) {
    const uint256 r =
        *uint256::from_string("0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001");
    auto g1_times = [](const uint256& k) {
        Bytes in = hex(kG1);
        const auto be = k.to_be();
        in.insert(in.end(), be.begin(), be.end());
        auto o = run_precompile(precompile(7), in, kGas);
        EXPECT_EQ(o.status, StatusCode::success);
        return to_hex(o.output, false);
    };
    for (const uint256& a : {uint256(2), uint256(12345678901234567ull),
                             uint256(0x0123456789abcdefull, 0xfedcba9876543210ull, 7, 11)}) {
        const std::string pa = g1_times(a);
        EXPECT_EQ(out_hex(run_ok(8, pa + kG2 + g1_times(r - a) + kG2, 113000)), kTrue);
        EXPECT_EQ(out_hex(run_ok(8, pa + kG2 + g1_times(r - a + 1) + kG2, 113000)), kFalse);
        // The same balance expressed by negating the G2 side instead.
        EXPECT_EQ(out_hex(run_ok(8, pa + kG2 + pa + kMinusG2, 113000)), kTrue);
    }
}

TEST(Precompiles, Bn256AddAgreesWithMul) {
    const Bytes two_g = run_precompile(precompile(6), hex(kG1 + kG1), kGas).output;
    Bytes in = two_g;
    const Bytes g = hex(kG1);
    in.insert(in.end(), g.begin(), g.end());
    const Bytes three_g = run_precompile(precompile(6), in, kGas).output;
    EXPECT_EQ(to_hex(three_g, false),
              out_hex(run_precompile(precompile(7), hex(kG1 + std::string(63, '0') + "3"), kGas)));
}

TEST(Precompiles, Bn256PairingFailures) {
    // Length not a multiple of 192 (gas is still charged by the floor of pairs first).
    expect_failure(8, kG1 + kG2 + "00");
    expect_failure(8, kG1);
    // G1 point off the curve.
    expect_failure(8,
                   "0000000000000000000000000000000000000000000000000000000000000001"
                   "0000000000000000000000000000000000000000000000000000000000000003" +
                       kG2);
    // G2 point off the curve (last byte changed).
    std::string bad_g2 = kG2;
    bad_g2.back() = 'b';
    expect_failure(8, kG1 + bad_g2);
    // G2 coordinate >= p.
    std::string big = kG2;
    big.replace(0, 64, "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47");
    expect_failure(8, kG1 + big);
    // A point on the twist but outside the order-r subgroup: x = 1 (imaginary 0, real 1) and a
    // square root y of 1 + 3/(9+u), computed offline; r * Q is not the point at infinity.
    const std::string off_subgroup =
        "0000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000001"
        "0d1271953ed9ea0836846e70a1934187998c7f790cb4d7511b7f8da82de048a4"
        "2869111d5381f072f8e2728fdb825a51aadd70e52c9830e9ab4b871c0531f1bb";
    expect_failure(8, kG1 + off_subgroup);
    expect_failure(8, std::string(128, '0') + off_subgroup);  // validated even with P = infinity
    // Out of gas with one pair.
    auto o = run_precompile(precompile(8), hex(kG1 + kG2), 78999);
    EXPECT_EQ(o.status, StatusCode::out_of_gas);
}

// Arbitrary bytes never crash or report an impossible result; gas accounting stays in range.
TEST(Precompiles, ArbitraryInputs) {
    std::mt19937_64 rng(20240601);
    for (int iter = 0; iter < 300; ++iter) {
        const uint8_t n = static_cast<uint8_t>(1 + iter % 9);
        const size_t sizes[] = {0, 1, 31, 64, 96, 128, 192, 213, 384, 500};
        Bytes in(sizes[rng() % 10]);
        for (auto& b : in)
            b = static_cast<uint8_t>(rng());
        if (n == 5 && in.size() >= 96) {
            // Keep modexp lengths small so that the arithmetic really runs.
            for (size_t i = 0; i < 96; ++i)
                in[i] = (i % 32 == 31) ? in[i] % 48 : 0;
        }
        const int64_t gas = static_cast<int64_t>(rng() % 200000);
        const PrecompileOutput o = run_precompile(precompile(n), in, gas);
        EXPECT_TRUE(o.status == StatusCode::success || o.status == StatusCode::out_of_gas ||
                    o.status == StatusCode::precompile_failure)
            << int(n);
        EXPECT_GE(o.gas_left, 0);
        EXPECT_LE(o.gas_left, gas);
        if (o.status != StatusCode::success) {
            EXPECT_EQ(o.gas_left, 0);
        }
    }
}

}  // namespace
}  // namespace hc::evm
