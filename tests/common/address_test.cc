#include "common/address.h"

#include <gtest/gtest.h>

#include <set>

#include "common/keccak.h"

namespace hc {
namespace {

// The test vectors listed in EIP-55 itself.
class Eip55 : public ::testing::TestWithParam<const char*> {};

TEST_P(Eip55, ChecksumMatchesTheSpecification) {
    std::string expected = GetParam();
    auto lower = expected;
    for (auto& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    lower[1] = 'x';
    auto addr = parse_address(lower);
    ASSERT_TRUE(addr);
    EXPECT_EQ(to_checksum_address(*addr), expected);
    EXPECT_TRUE(parse_address(expected));  // a correct checksum parses
}

INSTANTIATE_TEST_SUITE_P(SpecVectors, Eip55,
                         ::testing::Values("0x52908400098527886E0F7030069857D2E4169EE7",
                                           "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
                                           "0xde709f2102306220921060314715629080e2fb77",
                                           "0x27b1fdb04752bbc536007a920d24acb045561c26",
                                           "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                                           "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                                           "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
                                           "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"));

TEST(Address, MistypedChecksumIsRejected) {
    auto bad = parse_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD");  // last letter flipped
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("checksum"), std::string::npos);
    EXPECT_FALSE(parse_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae"));   // 39 digits
    EXPECT_FALSE(parse_address("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00"));  // no 0x
    EXPECT_FALSE(parse_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg"));  // bad digit
    EXPECT_TRUE(parse_address("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED"));   // all upper
}

TEST(Address, FromPublicKey) {
    // Private key 1's public key is the generator point G; its address is well known.
    auto g = from_hex(
        "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
        "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8");
    ASSERT_TRUE(g);
    EXPECT_EQ(to_checksum_address(address_from_public_key(*g)),
              "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
}

TEST(Keccak, EmptyConstants) {
    EXPECT_EQ(kEmptyKeccak.hex(),
              "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    EXPECT_EQ(kEmptyTrieRoot.hex(),
              "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
}

}  // namespace
}  // namespace hc

namespace hc {
namespace {

// Addresses that share their leading bytes (as user-chosen recipients can) must still spread
// over a hash table: every byte feeds the hash.
TEST(FixedBytesHash, UsesEveryByte) {
    std::set<size_t> hashes;
    for (uint32_t i = 0; i < 10000; ++i) {
        Address a;
        a.bytes[16] = uint8_t(i >> 24);
        a.bytes[17] = uint8_t(i >> 16);
        a.bytes[18] = uint8_t(i >> 8);
        a.bytes[19] = uint8_t(i);
        hashes.insert(std::hash<Address>{}(a));
    }
    EXPECT_EQ(hashes.size(), 10000u);
    Hash32 h;
    Hash32 g;
    g.bytes[31] = 1;
    EXPECT_NE(std::hash<Hash32>{}(h), std::hash<Hash32>{}(g));
}

}  // namespace
}  // namespace hc
