#include "common/bytes.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "common/fixed_bytes.h"

namespace hc {
namespace {

TEST(Hex, RoundTrip) {
    Bytes b = {0x00, 0x01, 0xab, 0xff};
    EXPECT_EQ(to_hex(b), "0x0001abff");
    EXPECT_EQ(to_hex(b, false), "0001abff");
    EXPECT_EQ(*from_hex("0x0001abff"), b);
    EXPECT_EQ(*from_hex("0001ABFF"), b);
    EXPECT_EQ(*from_hex("0X0001aBfF"), b);
    EXPECT_TRUE(from_hex("")->empty());
    EXPECT_TRUE(from_hex("0x")->empty());
    EXPECT_EQ(to_hex({}), "0x");
}

TEST(Hex, RejectsMalformedInputWithReason) {
    auto odd = from_hex("0xabc");
    ASSERT_FALSE(odd);
    EXPECT_EQ(odd.error().code, Errc::invalid_argument);
    EXPECT_NE(odd.error().message.find("odd"), std::string::npos);
    auto bad = from_hex("0x12zz");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("position 2"), std::string::npos);
    EXPECT_FALSE(from_hex("0xg0"));
    EXPECT_FALSE(from_hex(" 00"));
}

TEST(FixedBytes, LengthIsChecked) {
    EXPECT_TRUE(Hash32::from_hex("0x" + std::string(64, 'a')));
    EXPECT_FALSE(Hash32::from_hex("0x" + std::string(62, 'a')));
    EXPECT_FALSE(Hash32::from_hex("0x" + std::string(66, 'a')));
    Hash32 zero;
    EXPECT_TRUE(zero.is_zero());
    Hash32 one = *Hash32::from_hex("0x" + std::string(63, '0') + "1");
    EXPECT_FALSE(one.is_zero());
    EXPECT_LT(zero, one);
    EXPECT_EQ(one.hex(), "0x" + std::string(63, '0') + "1");
    EXPECT_NE(std::hash<Hash32>{}(zero),
              std::hash<Hash32>{}(*Hash32::from_hex("0x" + std::string(64, 'f'))));
}

// The word-at-a-time order is memcmp's byte order: checked for every length the tree uses and an
// odd one, on pairs that differ in one byte at every position (each way), and on random pairs.
template <size_t N>
void expect_memcmp_order() {
    auto memcmp_order = [](const FixedBytes<N>& a, const FixedBytes<N>& b) {
        const int c = std::memcmp(a.data(), b.data(), N);
        return c < 0   ? std::strong_ordering::less
               : c > 0 ? std::strong_ordering::greater
                       : std::strong_ordering::equal;
    };
    std::mt19937_64 rng(N);
    for (size_t at = 0; at < N; ++at)
        for (uint8_t low : {uint8_t{0x00}, uint8_t{0x7f}, uint8_t{0x80}, uint8_t{0xfe}}) {
            FixedBytes<N> a, b;
            for (size_t i = 0; i < N; ++i)
                a.bytes[i] = b.bytes[i] = static_cast<uint8_t>(rng());
            a.bytes[at] = low;
            b.bytes[at] = static_cast<uint8_t>(low + 1);
            ASSERT_EQ(a <=> b, std::strong_ordering::less) << "N " << N << " at " << at;
            ASSERT_EQ(b <=> a, std::strong_ordering::greater) << "N " << N << " at " << at;
            ASSERT_EQ(a <=> a, std::strong_ordering::equal);
            ASSERT_TRUE(a == a);
            ASSERT_FALSE(a == b);
        }
    for (int k = 0; k < 10000; ++k) {
        FixedBytes<N> a, b;
        for (size_t i = 0; i < N; ++i) {
            a.bytes[i] = static_cast<uint8_t>(rng() % 3);  // small values: long equal prefixes
            b.bytes[i] = static_cast<uint8_t>(rng() % 3);
        }
        ASSERT_EQ(a <=> b, memcmp_order(a, b));
        ASSERT_EQ(a == b, memcmp_order(a, b) == 0);
    }
}

TEST(FixedBytes, OrderIsMemcmpOrder) {
    expect_memcmp_order<20>();
    expect_memcmp_order<32>();
    expect_memcmp_order<13>();
    expect_memcmp_order<8>();
}

TEST(Error, ResultCarriesValueOrError) {
    Result<int> ok = 5;
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, 5);
    Result<int> bad = make_error(Errc::not_found, "block 7 is not stored");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::not_found);
    EXPECT_EQ(bad.error().to_string(), "not found: block 7 is not stored");
    Status s;
    EXPECT_TRUE(s);
    Status f = make_error(Errc::io, "disk full");
    EXPECT_FALSE(f);
    EXPECT_EQ(f.error().message, "disk full");
}

Status fails_then_propagates() {
    HC_TRY(Status(make_error(Errc::decode, "inner")));
    return {};
}
Result<int> assigns() {
    HC_ASSIGN_OR_RETURN(int v, Result<int>(41));
    return v + 1;
}

TEST(Error, Macros) {
    auto s = fails_then_propagates();
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message, "inner");
    EXPECT_EQ(*assigns(), 42);
}

}  // namespace
}  // namespace hc
