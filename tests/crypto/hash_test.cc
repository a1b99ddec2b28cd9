#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "common/keccak.h"

namespace hc::crypto {
namespace {

std::string hex(BytesView v) {
    return to_hex(v, false);
}

// ---- Keccak-256 (Ethereum's, with the original Keccak padding 0x01, not SHA3-256's 0x06) ----
// The empty-string and "abc" digests are those of the Keccak team's Keccak[c=512] reference
// (the same values Ethereum clients test against). The 200 x 0xa3 message is the 1600-bit
// sample message from NIST's SHA-3 example values; its Keccak-256 digest (original padding)
// is the widely published 3a57666b... and it spans two 136-byte rate blocks.

TEST(Keccak256, EmptyString) {
    EXPECT_EQ(hex(keccak256({})),
              "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    EXPECT_EQ(keccak256({}), kEmptyKeccak);
}

TEST(Keccak256, Abc) {
    EXPECT_EQ(hex(keccak256(as_bytes("abc"))),
              "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

TEST(Keccak256, MultiBlock200BytesOfA3) {
    Bytes msg(200, 0xa3);
    EXPECT_EQ(hex(keccak256(msg)),
              "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a");
}

TEST(Keccak256, DiffersFromSha3) {
    // SHA3-256("") per FIPS 202: a Keccak with the wrong padding would produce this.
    EXPECT_NE(hex(keccak256({})),
              "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
}

// ---- SHA-256: FIPS 180-2, Appendix B (B.1, B.2, B.3) ----

TEST(Sha256, Fips180OneBlockAbc) {
    EXPECT_EQ(hex(sha256(as_bytes("abc"))),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, Fips180TwoBlock448BitMessage) {
    EXPECT_EQ(hex(sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, Fips180OneMillionA) {
    Bytes msg(1'000'000, 'a');
    EXPECT_EQ(hex(sha256(msg)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, EmptyString) {
    // FIPS 180-4 SHA-256 of the empty message (NIST CAVP SHA256ShortMsg, Len = 0).
    EXPECT_EQ(hex(sha256({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// ---- RIPEMD-160: Dobbertin, Bosselaers, Preneel, "RIPEMD-160: A Strengthened Version of
// RIPEMD" (1996), Appendix B test values ----

TEST(Ripemd160, PaperVectors) {
    struct Vector {
        std::string input;
        const char* digest;
    };
    const Vector vectors[] = {
        {"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"},
        {"a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"},
        {"abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"},
        {"message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"},
        {"abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "12a053384a9c0c88e405a06c27dcf49ada62eb2b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "b0e20b6e3116640286ed3a87a5713079b21f5189"},
    };
    for (const auto& v : vectors) {
        EXPECT_EQ(hex(ripemd160(as_bytes(v.input))), v.digest) << "input \"" << v.input << "\"";
    }
    std::string eight_times;
    for (int i = 0; i < 8; ++i)
        eight_times += "1234567890";
    EXPECT_EQ(hex(ripemd160(as_bytes(eight_times))), "9b752e45573d4b39f4dbd3323cab82bf63326bfb");
    Bytes million(1'000'000, 'a');
    EXPECT_EQ(hex(ripemd160(million)), "52783243c1697bdbe16d37f97f68f08325dc1528");
}

// ---- SM3: GB/T 32905-2016, Appendix A (examples 1 and 2) ----

TEST(Sm3, GbtExample1Abc) {
    EXPECT_EQ(hex(sm3(as_bytes("abc"))),
              "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
}

TEST(Sm3, GbtExample2SixtyFourBytes) {
    std::string msg;
    for (int i = 0; i < 16; ++i)
        msg += "abcd";
    EXPECT_EQ(hex(sm3(as_bytes(msg))),
              "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
}

// The per-thread context must not carry state from one call into the next, nor between
// algorithms or threads.
TEST(Hash, RepeatedAndInterleavedCallsAgree) {
    const Hash32 a = sha256(as_bytes("abc"));
    const Hash32 s = sm3(as_bytes("abc"));
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(sha256(as_bytes("abc")), a);
        EXPECT_EQ(sm3(as_bytes("abc")), s);
        (void)ripemd160(as_bytes("xyz"));
    }
    Hash32 from_thread;
    std::thread t([&] { from_thread = sha256(as_bytes("abc")); });
    t.join();
    EXPECT_EQ(from_thread, a);
}

}  // namespace
}  // namespace hc::crypto
