#include "common/bytes.h"

#include <gtest/gtest.h>

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
