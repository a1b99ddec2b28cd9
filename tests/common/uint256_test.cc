#include "common/uint256.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <unordered_set>
#include <vector>

namespace hc {
namespace {

// Expected values marked "python3" were computed independently with Python's arbitrary-precision
// integers, e.g. python3 -c 'print((2**256-1)**2 % 12345)'.

uint256 U(std::string_view text) {
    auto r = uint256::from_string(text);
    EXPECT_TRUE(r.ok()) << text << ": " << r.error().to_string();
    return r.ok() ? *r : uint256{};
}

const uint256 kMax = uint256::max();
const uint256 kIntMin = uint256{1} << 255;  // -2^255
const uint256 kMinusOne = kMax;

// ---- A deliberately simple reference: 32-bit limbs, schoolbook multiply, bitwise division ----
namespace ref {

using Limbs = std::vector<uint32_t>;  // least significant first

Limbs from(const uint256& x) {
    Limbs out(8);
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<uint32_t>(x.words[i / 2] >> (32 * (i % 2)));
    return out;
}

uint256 to(const Limbs& x) {  // keeps the low 256 bits
    uint256 out;
    for (size_t i = 0; i < 8 && i < x.size(); ++i)
        out.words[i / 2] |= uint64_t{x[i]} << (32 * (i % 2));
    return out;
}

bool high_is_zero(const Limbs& x) {
    for (size_t i = 8; i < x.size(); ++i)
        if (x[i]) return false;
    return true;
}

Limbs mul(const Limbs& a, const Limbs& b) {
    Limbs out(a.size() + b.size(), 0);
    for (size_t i = 0; i < a.size(); ++i) {
        uint64_t carry = 0;
        for (size_t j = 0; j < b.size(); ++j) {
            uint64_t t = uint64_t{a[i]} * b[j] + out[i + j] + carry;
            out[i + j] = static_cast<uint32_t>(t);
            carry = t >> 32;
        }
        out[i + b.size()] = static_cast<uint32_t>(carry);
    }
    return out;
}

Limbs add(const Limbs& a, const Limbs& b) {  // same size; one extra limb for the carry
    Limbs out(a.size() + 1, 0);
    uint64_t carry = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        uint64_t t = uint64_t{a[i]} + b[i] + carry;
        out[i] = static_cast<uint32_t>(t);
        carry = t >> 32;
    }
    out[a.size()] = static_cast<uint32_t>(carry);
    return out;
}

bool geq(const Limbs& a, const Limbs& b) {  // same size
    for (size_t i = a.size(); i-- > 0;)
        if (a[i] != b[i]) return a[i] > b[i];
    return true;
}

void sub_in_place(Limbs& a, const Limbs& b) {  // same size, a >= b
    int64_t borrow = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        int64_t t = int64_t{a[i]} - b[i] - borrow;
        borrow = t < 0;
        a[i] = static_cast<uint32_t>(t + (borrow << 32));
    }
}

// Restoring binary long division, one bit at a time. REQUIRES: d != 0.
void divmod(const Limbs& n, const Limbs& d, Limbs* q, Limbs* r) {
    Limbs dd = d;
    dd.push_back(0);
    Limbs rem(dd.size(), 0);
    q->assign(n.size(), 0);
    for (size_t bit = 32 * n.size(); bit-- > 0;) {
        for (size_t i = rem.size(); i-- > 1;)
            rem[i] = (rem[i] << 1) | (rem[i - 1] >> 31);
        rem[0] = (rem[0] << 1) | ((n[bit / 32] >> (bit % 32)) & 1);
        if (geq(rem, dd)) {
            sub_in_place(rem, dd);
            (*q)[bit / 32] |= uint32_t{1} << (bit % 32);
        }
    }
    rem.pop_back();
    *r = rem;
}

}  // namespace ref

// ---- Basic representation ----

TEST(Uint256, ConstructorsAndLimbs) {
    uint256 x{1, 2, 3, 4};  // most significant limb first
    EXPECT_EQ(x.words[0], 4u);
    EXPECT_EQ(x.words[3], 1u);
    EXPECT_TRUE(uint256{}.is_zero());
    EXPECT_TRUE(uint256{7}.fits_uint64());
    EXPECT_FALSE(x.fits_uint64());
    EXPECT_EQ(kMax.bit_length(), 256u);
    EXPECT_EQ(uint256{1}.bit_length(), 1u);
    EXPECT_EQ(uint256{}.bit_length(), 0u);
    EXPECT_EQ((uint256{1} << 64).byte_length(), 9u);
}

TEST(Uint256, BigEndianLoadStore) {
    uint8_t buf[32];
    for (int i = 0; i < 32; ++i)
        buf[i] = static_cast<uint8_t>(i + 1);
    uint256 x = uint256::load_be32(buf);
    EXPECT_EQ(x, U("0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"));
    uint8_t back[32];
    x.store_be32(back);
    EXPECT_EQ(0, std::memcmp(buf, back, 32));
    auto be = x.to_be();
    EXPECT_EQ(0, std::memcmp(buf, be.data(), 32));
    EXPECT_EQ(*uint256::from_be(BytesView(buf, 32)), x);
    EXPECT_EQ(uint256{0x1234}.to_be_trimmed(), (Bytes{0x12, 0x34}));
}

// ---- Addition, subtraction, multiplication ----

TEST(Uint256, AddSubWrap) {
    EXPECT_EQ(kMax + 1, uint256{});
    EXPECT_EQ(uint256{} - 1, kMax);
    EXPECT_EQ(-uint256{1}, kMax);
    EXPECT_EQ(-uint256{}, uint256{});
    EXPECT_EQ(-kIntMin, kIntMin);
    // Carry across every limb.
    EXPECT_EQ(uint256(0, ~0ull, ~0ull, ~0ull) + 1, uint256(1, 0, 0, 0));
    EXPECT_EQ(uint256(1, 0, 0, 0) - 1, uint256(0, ~0ull, ~0ull, ~0ull));
    uint256 x = 5;
    EXPECT_EQ(x++, uint256{5});
    EXPECT_EQ(x, uint256{6});
    EXPECT_EQ(--x, uint256{5});
    x += kMax;
    EXPECT_EQ(x, uint256{4});
    x -= 5;
    EXPECT_EQ(x, kMax);
}

TEST(Uint256, OverflowChecks) {
    uint256 out;
    EXPECT_FALSE(add_overflow(kMax - 1, 1, &out));
    EXPECT_EQ(out, kMax);
    EXPECT_TRUE(add_overflow(kMax, 1, &out));
    EXPECT_EQ(out, uint256{});
    EXPECT_TRUE(add_overflow(kMax, kMax, &out));
    EXPECT_EQ(out, kMax - 1);

    EXPECT_FALSE(sub_underflow(5, 5, &out));
    EXPECT_EQ(out, uint256{});
    EXPECT_TRUE(sub_underflow(4, 5, &out));
    EXPECT_EQ(out, kMax);

    // gas * price style checks.
    EXPECT_FALSE(mul_overflow(uint256{1} << 128, (uint256{1} << 128) - 1, &out));
    EXPECT_EQ(out, kMax - ((uint256{1} << 128) - 1));  // 2^256 - 2^128
    EXPECT_TRUE(mul_overflow(uint256{1} << 128, uint256{1} << 128, &out));
    EXPECT_EQ(out, uint256{});
    EXPECT_TRUE(mul_overflow(kMax, 2, &out));
    EXPECT_EQ(out, kMax - 1);
    EXPECT_FALSE(mul_overflow(kMax, 1, &out));
    EXPECT_EQ(out, kMax);
    EXPECT_FALSE(mul_overflow(kMax, 0, &out));
    EXPECT_EQ(out, uint256{});
    // Only the top limb of the product overflows by one bit.
    EXPECT_TRUE(mul_overflow(kIntMin, 2, &out));
    EXPECT_FALSE(mul_overflow(uint256{1} << 254, 2, &out));
}

TEST(Uint256, MulWraps) {
    EXPECT_EQ(kMax * kMax, uint256{1});  // (-1)^2
    EXPECT_EQ(kMax * 2, kMax - 1);
    EXPECT_EQ((uint256{1} << 128) * (uint256{1} << 128), uint256{});
    EXPECT_EQ(uint256{~0ull} * uint256{~0ull}, uint256(0, 0, ~0ull - 1, 1));
    // python3: hex(a*b % 2**256)
    const uint256 a = U("0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    const uint256 b = U("0xfedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
    EXPECT_EQ(a * b, U("0x8c4150419dedb98668e87db10b145554458fab20783af1222236d88fe5618cf0"));
    uint256 c = a;
    c *= b;
    EXPECT_EQ(c, b * a);
}

// ---- Division ----

TEST(Uint256, DivisionByZeroIsZero) {
    EXPECT_EQ(uint256{5} / 0, uint256{});
    EXPECT_EQ(uint256{5} % 0, uint256{});
    EXPECT_EQ(kMax / 0, uint256{});
    EXPECT_EQ(kMax % 0, uint256{});
    EXPECT_EQ(uint256{} / 0, uint256{});
    auto qr = divrem(kMax, 0);
    EXPECT_EQ(qr.quot, uint256{});
    EXPECT_EQ(qr.rem, uint256{});
}

TEST(Uint256, DivisionKnownValues) {
    EXPECT_EQ(uint256{7} / 2, uint256{3});
    EXPECT_EQ(uint256{7} % 2, uint256{1});
    EXPECT_EQ(kMax / kMax, uint256{1});
    EXPECT_EQ(kMax % kMax, uint256{});
    EXPECT_EQ(kMax / 1, kMax);
    EXPECT_EQ(uint256{3} / kMax, uint256{});
    EXPECT_EQ(uint256{3} % kMax, uint256{3});
    EXPECT_EQ(kMax / 2, kIntMin - 1);
    EXPECT_EQ(kMax / (uint256{1} << 128), (uint256{1} << 128) - 1);
    EXPECT_EQ(kMax % (uint256{1} << 128), (uint256{1} << 128) - 1);
    // python3: hex(b // a), hex(b % a), hex(b // 0x1234567), hex(b % 0x1234567)
    const uint256 a = U("0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    const uint256 b = U("0xfedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
    EXPECT_EQ(b / a, uint256{0xe0});
    EXPECT_EQ(b % a, U("0xf000000000000000f000000000000000f000000000000000f0"));
    EXPECT_EQ(b / 0x1234567, U("0xe0000069e000320bd017a7955b2e359908d755552dc7554393374cf095"));
    EXPECT_EQ(b % 0x1234567, uint256{0x283d1d});
    uint256 c = b;
    c /= 0x1234567;
    c %= 1000;
    EXPECT_EQ(c, (b / 0x1234567) % 1000);
}

TEST(Uint256, DivisionReciprocals) {
    // reciprocal_2by1 against a plain 128-bit division.
    std::mt19937_64 rng(7);
    std::vector<uint64_t> ds = {uint64_t{1} << 63, (uint64_t{1} << 63) + 1, ~0ull, ~0ull - 1,
                                0xc000000000000000ull};
    for (int i = 0; i < 2000; ++i)
        ds.push_back(rng() | (uint64_t{1} << 63));
    for (uint64_t d : ds) {
        detail::uint128 want = ~detail::uint128{0} / d - (detail::uint128{1} << 64);
        ASSERT_EQ(detail::reciprocal_2by1(d), static_cast<uint64_t>(want)) << d;
    }
    // reciprocal_3by2 against the bitwise reference dividing 2^192 - 1.
    ref::Limbs all_ones(6, ~0u);
    std::vector<std::pair<uint64_t, uint64_t>> pairs = {
        {uint64_t{1} << 63, 0},
        {uint64_t{1} << 63, ~0ull},
        {~0ull, ~0ull},
        {~0ull, 0},
        {~0ull, 1},
        {(uint64_t{1} << 63) + 1, uint64_t{1} << 63}};
    for (int i = 0; i < 500; ++i)
        pairs.push_back({rng() | (uint64_t{1} << 63), rng()});
    for (auto [d1, d0] : pairs) {
        ref::Limbs d = {static_cast<uint32_t>(d0), static_cast<uint32_t>(d0 >> 32),
                        static_cast<uint32_t>(d1), static_cast<uint32_t>(d1 >> 32)};
        ref::Limbs q, r;
        ref::divmod(all_ones, d, &q, &r);
        // q lies in [2^64, 2^65): drop the 2^64.
        ASSERT_EQ(q[2], 1u);
        const uint64_t want = uint64_t{q[0]} | (uint64_t{q[1]} << 32);
        ASSERT_EQ(detail::reciprocal_3by2(d1, d0), want) << std::hex << d1 << " " << d0;
    }
}

// Operands skewed towards the shapes that reach the rare branches of Knuth's algorithm D:
// limbs that are all ones, all zeros or just the top bit, and every possible limb count.
uint256 random_operand(std::mt19937_64& rng) {
    uint256 x;
    const int limbs = static_cast<int>(rng() % 5);  // 0..4 significant limbs
    for (int i = 0; i < limbs; ++i) {
        switch (rng() % 6) {
            case 0:
                x.words[i] = ~0ull;
                break;
            case 1:
                x.words[i] = 0;
                break;
            case 2:
                x.words[i] = uint64_t{1} << 63;
                break;
            case 3:
                x.words[i] = rng() >> (rng() % 64);
                break;
            default:
                x.words[i] = rng();
        }
    }
    if (rng() % 8 == 0) x = x >> (rng() % 256);
    return x;
}

TEST(Uint256, DifferentialAgainstReference) {
    std::mt19937_64 rng(0x5eed2560);  // fixed seed: reproducible
    for (int iter = 0; iter < 6000; ++iter) {
        uint256 a = random_operand(rng), b = random_operand(rng);
        if (iter % 7 == 0) b = a - (rng() % 3);                    // quotient near 1
        if (iter % 11 == 0) a = b * (rng() % 1000) + (rng() % 3);  // near-exact multiples
        SCOPED_TRACE(testing::Message() << "a=" << a << " b=" << b);
        const ref::Limbs ra = ref::from(a), rb = ref::from(b);

        ASSERT_EQ(a * b, ref::to(ref::mul(ra, rb)));
        uint256 prod;
        ASSERT_EQ(mul_overflow(a, b, &prod), !ref::high_is_zero(ref::mul(ra, rb)));

        if (b.is_zero()) {
            ASSERT_EQ(a / b, uint256{});
            ASSERT_EQ(a % b, uint256{});
            continue;
        }
        ref::Limbs q, r;
        ref::divmod(ra, rb, &q, &r);
        ASSERT_EQ(a / b, ref::to(q));
        ASSERT_EQ(a % b, ref::to(r));

        // mulmod and addmod with an independent modulus: the full 512/257-bit intermediate.
        const uint256 m = random_operand(rng);
        if (!m.is_zero()) {
            const ref::Limbs rm = ref::from(m);
            ref::divmod(ref::mul(ra, rb), rm, &q, &r);
            ASSERT_EQ(mulmod(a, b, m), ref::to(r)) << "m=" << m;
            ref::divmod(ref::add(ra, rb), rm, &q, &r);
            ASSERT_EQ(addmod(a, b, m), ref::to(r)) << "m=" << m;
        }
    }
}

// ---- Signed division ----

struct SignedCase {
    int64_t a, b, div, mod;
};

class SignedDivision : public testing::TestWithParam<SignedCase> {};

uint256 S(int64_t v) {
    return v < 0 ? -uint256{static_cast<uint64_t>(-v)} : uint256{static_cast<uint64_t>(v)};
}

TEST_P(SignedDivision, MatchesTruncatingDivision) {
    const SignedCase& c = GetParam();
    EXPECT_EQ(sdiv(S(c.a), S(c.b)), S(c.div));
    EXPECT_EQ(smod(S(c.a), S(c.b)), S(c.mod));
}

// EVM SDIV truncates toward zero; SMOD takes the sign of the dividend (Yellow Paper, appendix H).
INSTANTIATE_TEST_SUITE_P(Uint256, SignedDivision,
                         testing::Values(SignedCase{7, 2, 3, 1}, SignedCase{-7, 2, -3, -1},
                                         SignedCase{7, -2, -3, 1}, SignedCase{-7, -2, 3, -1},
                                         SignedCase{6, -3, -2, 0}, SignedCase{-1, 1, -1, 0},
                                         SignedCase{0, -5, 0, 0}, SignedCase{5, 0, 0, 0},
                                         SignedCase{-5, 0, 0, 0}, SignedCase{-1, -1, 1, 0},
                                         SignedCase{1, -7, 0, 1}, SignedCase{-1, 7, 0, -1}));

TEST(Uint256, SignedDivisionExtremes) {
    EXPECT_EQ(sdiv(kIntMin, kMinusOne), kIntMin);  // the one overflowing quotient wraps
    EXPECT_EQ(smod(kIntMin, kMinusOne), uint256{});
    EXPECT_EQ(sdiv(kIntMin, 1), kIntMin);
    EXPECT_EQ(sdiv(kIntMin, kIntMin), uint256{1});
    EXPECT_EQ(sdiv(kIntMin, 2), -(uint256{1} << 254));
    EXPECT_EQ(smod(kIntMin, 3), -uint256{2});          // -2^255 = -(3 * k) - 2
    EXPECT_EQ(sdiv(kIntMin - 1, kIntMin), uint256{});  // INT_MAX / INT_MIN
    EXPECT_EQ(smod(kIntMin - 1, kIntMin), kIntMin - 1);
    EXPECT_EQ(sdiv(kIntMin, 0), uint256{});
    EXPECT_EQ(smod(kIntMin, 0), uint256{});
}

// ---- Exponentiation ----

TEST(Uint256, Exp) {
    EXPECT_EQ(exp(0, 0), uint256{1});
    EXPECT_EQ(exp(0, 1), uint256{});
    EXPECT_EQ(exp(0, kMax), uint256{});
    EXPECT_EQ(exp(kMax, 0), uint256{1});
    EXPECT_EQ(exp(1, kMax), uint256{1});
    EXPECT_EQ(exp(2, 255), kIntMin);
    EXPECT_EQ(exp(2, 256), uint256{});
    EXPECT_EQ(exp(2, kMax), uint256{});
    EXPECT_EQ(exp(10, 18), uint256{1000000000000000000ull});
    EXPECT_EQ(exp(kMax, kMax), kMax);            // (-1)^odd
    EXPECT_EQ(exp(kMax, kMax - 1), uint256{1});  // (-1)^even
    EXPECT_EQ(exp(3, 5), uint256{243});
    // python3: hex(pow(3, 1000, 2**256)), hex(pow(7, 2**256-1, 2**256))
    EXPECT_EQ(exp(3, 1000),
              U("0xce065bd2a048f32939dc42ec08348318c4940c56f7867dbe5616937bd3b85b21"));
    EXPECT_EQ(exp(7, kMax),
              U("0x6db6db6db6db6db6db6db6db6db6db6db6db6db6db6db6db6db6db6db6db6db7"));
}

// ---- addmod / mulmod ----

TEST(Uint256, AddModMulMod) {
    EXPECT_EQ(addmod(5, 6, 0), uint256{});
    EXPECT_EQ(mulmod(5, 6, 0), uint256{});
    EXPECT_EQ(addmod(5, 6, 7), uint256{4});
    EXPECT_EQ(mulmod(5, 6, 7), uint256{2});
    EXPECT_EQ(addmod(5, 6, 1), uint256{});
    // Sums and products that exceed 2^256 before reduction. python3:
    //   (2**256-1)*2 % 12345 == 2715, (2**256-1)**2 % 12345 == 315
    EXPECT_EQ(addmod(kMax, kMax, 12345), uint256{2715});
    EXPECT_EQ(mulmod(kMax, kMax, 12345), uint256{315});
    EXPECT_EQ(addmod(kMax, 1, kMax), uint256{1});
    EXPECT_EQ(addmod(kMax, kMax, kMax), uint256{});
    EXPECT_EQ(addmod(kMax - 1, kMax - 1, kMax), kMax - 2);  // fast path with a carry
    EXPECT_EQ(mulmod(kMax, kMax, kMax), uint256{});
    // python3: (2**256-1)**2 % (2**255+1) == 9
    EXPECT_EQ(mulmod(kMax, kMax, kIntMin + 1), uint256{9});
    // python3: p = 2**255-19; (p-1)**2 % p == 1
    const uint256 p = kIntMin - 19;
    EXPECT_EQ(mulmod(p - 1, p - 1, p), uint256{1});
    // python3: hex(a*b % m), hex((a+b) % m)
    const uint256 a = U("0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    const uint256 b = U("0xfedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
    const uint256 m = U("0x1000000000000000000000000000000000000000000000000000000000000007");
    EXPECT_EQ(mulmod(a, b, m),
              U("0xd63eff5b97f8c96732efe24e78a5274d8fa0c54159518533ec51a83439fde70"));
    EXPECT_EQ(addmod(a, b, m),
              U("0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff96"));
}

// ---- Bitwise and shifts ----

TEST(Uint256, Bitwise) {
    const uint256 a = U("0xff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00");
    const uint256 b = U("0x0ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff0");
    EXPECT_EQ(a & b, U("0x0f000f000f000f000f000f000f000f000f000f000f000f000f000f000f000f00"));
    EXPECT_EQ(a | b, U("0xfff0fff0fff0fff0fff0fff0fff0fff0fff0fff0fff0fff0fff0fff0fff0fff0"));
    EXPECT_EQ(a ^ b, U("0xf0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0"));
    EXPECT_EQ(~a, U("0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff"));
    EXPECT_EQ(~uint256{}, kMax);
    uint256 c = a;
    c &= b;
    c |= 1;
    c ^= 1;
    EXPECT_EQ(c, a & b);
}

struct ShiftCase {
    std::string value;
    uint64_t shift;
    std::string shl, shr, sar;
};

class Shifts : public testing::TestWithParam<ShiftCase> {};

TEST_P(Shifts, MatchEip145) {
    const ShiftCase& c = GetParam();
    const uint256 v = U(c.value);
    EXPECT_EQ(v << c.shift, U(c.shl));
    EXPECT_EQ(v >> c.shift, U(c.shr));
    EXPECT_EQ(sar(v, c.shift), U(c.sar));
    // The same through a 256-bit shift amount, as the EVM stack supplies it.
    EXPECT_EQ(v << uint256{c.shift}, U(c.shl));
    EXPECT_EQ(v >> uint256{c.shift}, U(c.shr));
    EXPECT_EQ(sar(v, uint256{c.shift}), U(c.sar));
}

constexpr const char* kOnes = "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
constexpr const char* kTop = "0x8000000000000000000000000000000000000000000000000000000000000000";
constexpr const char* kMaxPos =
    "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

// The SHL, SHR and SAR test cases listed in EIP-145 (https://eips.ethereum.org/EIPS/eip-145),
// each with the results of all three shifts; plus shifts by 64-bit boundaries and huge amounts.
INSTANTIATE_TEST_SUITE_P(
    Uint256, Shifts,
    testing::Values(
        ShiftCase{"0x1", 0, "0x1", "0x1", "0x1"}, ShiftCase{"0x1", 1, "0x2", "0x0", "0x0"},
        ShiftCase{"0x1", 255, kTop, "0x0", "0x0"}, ShiftCase{"0x1", 256, "0x0", "0x0", "0x0"},
        ShiftCase{"0x1", 257, "0x0", "0x0", "0x0"}, ShiftCase{kOnes, 0, kOnes, kOnes, kOnes},
        ShiftCase{kOnes, 1, "0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe",
                  kMaxPos, kOnes},
        ShiftCase{kOnes, 255, kTop, "0x1", kOnes}, ShiftCase{kOnes, 256, "0x0", "0x0", kOnes},
        ShiftCase{"0x0", 1, "0x0", "0x0", "0x0"},
        ShiftCase{kMaxPos, 1, "0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe",
                  "0x3fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                  "0x3fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
        ShiftCase{kTop, 1, "0x0",
                  "0x4000000000000000000000000000000000000000000000000000000000000000",
                  "0xc000000000000000000000000000000000000000000000000000000000000000"},
        ShiftCase{kTop, 255, "0x0", "0x1", kOnes}, ShiftCase{kTop, 256, "0x0", "0x0", kOnes},
        ShiftCase{kTop, 257, "0x0", "0x0", kOnes},
        ShiftCase{"0x4000000000000000000000000000000000000000000000000000000000000000", 254, "0x0",
                  "0x1", "0x1"},
        ShiftCase{kMaxPos, 248, "0xff" + std::string(62, '0'), "0x7f", "0x7f"},
        ShiftCase{kMaxPos, 254, "0xc" + std::string(63, '0'), "0x1", "0x1"},
        ShiftCase{kMaxPos, 255, kTop, "0x0", "0x0"}, ShiftCase{kMaxPos, 256, "0x0", "0x0", "0x0"},
        // Limb boundaries.
        ShiftCase{"0x123456789abcdef0", 64, "0x123456789abcdef00000000000000000", "0x0", "0x0"},
        ShiftCase{"0x123456789abcdef0fedcba9876543210", 64,
                  "0x123456789abcdef0fedcba98765432100000000000000000", "0x123456789abcdef0",
                  "0x123456789abcdef0"},
        ShiftCase{"0x123456789abcdef0fedcba9876543210", 68,
                  "0x123456789abcdef0fedcba987654321000000000000000000", "0x123456789abcdef",
                  "0x123456789abcdef"},
        ShiftCase{kOnes, 192, "0xffffffffffffffff000000000000000000000000000000000000000000000000",
                  "0xffffffffffffffff", kOnes},
        // python3: hex(2**255 >> 130), hex((2**255 - 2**256) >> 130 & (2**256 - 1))
        ShiftCase{kTop, 130, "0x0", "0x20000000000000000000000000000000",
                  "0xffffffffffffffffffffffffffffffffe0000000000000000000000000000000"},
        ShiftCase{kOnes, ~0ull, "0x0", "0x0", kOnes}));

TEST(Uint256, ShiftByHugeUint256) {
    const uint256 huge = uint256{1} << 64;  // does not fit 64 bits
    EXPECT_EQ(kMax << huge, uint256{});
    EXPECT_EQ(kMax >> huge, uint256{});
    EXPECT_EQ(sar(kMax, huge), kMax);
    EXPECT_EQ(sar(U(kMaxPos), huge), uint256{});
    EXPECT_EQ(sar(kIntMin, kMax), kMax);
    uint256 x = 1;
    x <<= 200;
    x >>= 199;
    EXPECT_EQ(x, uint256{2});
}

// ---- BYTE and SIGNEXTEND ----

TEST(Uint256, ByteAt) {
    const uint256 x = U("0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
    for (uint64_t i = 0; i < 32; ++i)
        EXPECT_EQ(byte_at(i, x), uint256{i + 1}) << i;
    EXPECT_EQ(byte_at(32, x), uint256{});
    EXPECT_EQ(byte_at(~0ull, x), uint256{});
    EXPECT_EQ(byte_at(uint256{1} << 64, x), uint256{});  // a huge index, not index 0
    EXPECT_EQ(byte_at(31, 0xff), uint256{0xff});
    EXPECT_EQ(byte_at(30, 0xff), uint256{});
}

TEST(Uint256, SignExtend) {
    EXPECT_EQ(signextend(0, 0xff), kMax);
    EXPECT_EQ(signextend(0, 0x7f), uint256{0x7f});
    EXPECT_EQ(signextend(0, 0x12ff), kMax);  // bits above byte 0 are replaced
    EXPECT_EQ(signextend(0, 0x127f), uint256{0x7f});
    EXPECT_EQ(signextend(1, 0x8000), kMax - 0x7fff);
    EXPECT_EQ(signextend(7, 0x80ull << 56),
              U("0xffffffffffffffffffffffffffffffffffffffffffffffff8000000000000000"));
    EXPECT_EQ(signextend(8, uint256{0x80} << 64), kMax << 71);
    EXPECT_EQ(signextend(8, (uint256{0x7f} << 64) | (uint256{1} << 200) | 5),
              (uint256{0x7f} << 64) | 5);
    EXPECT_EQ(signextend(30, kMax >> 8), kMax);
    EXPECT_EQ(signextend(30, U("0xff7f" + std::string(60, 'f'))), kMax >> 9);
    // b >= 31 leaves x unchanged, including huge b.
    const uint256 x = U("0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fff");
    EXPECT_EQ(signextend(31, x), x);
    EXPECT_EQ(signextend(32, x), x);
    EXPECT_EQ(signextend(kMax, x), x);
    EXPECT_EQ(signextend(uint256{1} << 64, x), x);  // a huge b, not b == 0
    EXPECT_EQ(signextend(0, x), kMax);
}

// ---- Comparisons ----

TEST(Uint256, UnsignedComparisons) {
    const uint256 small = 1, big = uint256{1} << 200;
    EXPECT_TRUE(small < big);
    EXPECT_TRUE(small <= big);
    EXPECT_FALSE(small > big);
    EXPECT_TRUE(big > small);
    EXPECT_TRUE(big >= big);
    EXPECT_TRUE(big <= big);
    EXPECT_FALSE(big < big);
    EXPECT_TRUE(big != small);
    EXPECT_TRUE(uint256(1, 0, 0, 0) > uint256(0, ~0ull, ~0ull, ~0ull));
    EXPECT_TRUE(uint256(0, 0, 0, 2) > uint256(0, 0, 0, 1));
    EXPECT_TRUE(uint256(5, 0, 0, 1) < uint256(5, 0, 0, 2));
    EXPECT_EQ(small <=> big, std::strong_ordering::less);
    EXPECT_EQ(big <=> big, std::strong_ordering::equal);
    EXPECT_EQ(kMax <=> big, std::strong_ordering::greater);
    EXPECT_TRUE(kMax == kMax);
    EXPECT_TRUE(uint256{} == 0);
}

TEST(Uint256, SignedComparisons) {
    EXPECT_TRUE(is_negative(kMinusOne));
    EXPECT_TRUE(is_negative(kIntMin));
    EXPECT_FALSE(is_negative(kIntMin - 1));
    EXPECT_FALSE(is_negative(0));
    EXPECT_TRUE(slt(kMinusOne, 0));
    EXPECT_FALSE(slt(0, kMinusOne));
    EXPECT_TRUE(sgt(0, kMinusOne));
    EXPECT_TRUE(slt(kIntMin, kMinusOne));
    EXPECT_TRUE(slt(kIntMin, kIntMin - 1));  // INT_MIN < INT_MAX
    EXPECT_TRUE(sgt(kIntMin - 1, kIntMin));
    EXPECT_TRUE(slt(1, 2));
    EXPECT_FALSE(slt(2, 2));
    EXPECT_FALSE(sgt(2, 2));
    EXPECT_TRUE(slt(-uint256{3}, -uint256{2}));
    EXPECT_FALSE(slt(-uint256{2}, -uint256{3}));
}

// ---- Text ----

TEST(Uint256, StringRoundTrips) {
    const std::vector<uint256> values = {0,
                                         1,
                                         9,
                                         10,
                                         0xff,
                                         ~0ull,
                                         uint256{1} << 64,
                                         kIntMin,
                                         kMax,
                                         U("0x0102030405060708090a0b0c0d0e0f10")};
    for (const uint256& v : values) {
        EXPECT_EQ(U(v.to_hex()), v) << v.to_hex();
        EXPECT_EQ(U(v.to_dec()), v) << v.to_dec();
    }
    EXPECT_EQ(uint256{}.to_hex(), "0x0");
    EXPECT_EQ(uint256{}.to_dec(), "0");
    EXPECT_EQ(uint256{0xabc}.to_hex(), "0xabc");
    EXPECT_EQ(kMax.to_hex(), kOnes);
    EXPECT_EQ(kMax.to_dec(),
              "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    EXPECT_EQ(kIntMin.to_dec(),
              "57896044618658097711785492504343953926634992332820282019728792003956564819968");
    // 10^19 and neighbours: the decimal chunk boundary.
    EXPECT_EQ(uint256{10000000000000000000ull}.to_dec(), "10000000000000000000");
    EXPECT_EQ(uint256{9999999999999999999ull}.to_dec(), "9999999999999999999");
    EXPECT_EQ((uint256{10000000000000000000ull} * 10000000000000000000ull).to_dec(),
              "100000000000000000000000000000000000000");
    std::ostringstream os;
    os << uint256{255};
    EXPECT_EQ(os.str(), "0xff");
}

TEST(Uint256, StringParsing) {
    EXPECT_EQ(U("0"), uint256{});
    EXPECT_EQ(U("0x0"), uint256{});
    EXPECT_EQ(U("0x00000"), uint256{});
    EXPECT_EQ(U("0XaBcD"), uint256{0xabcd});
    EXPECT_EQ(U("000123"), uint256{123});
    EXPECT_EQ(U("18446744073709551616"), uint256{1} << 64);
    // Leading zeros do not count towards the 64-digit limit.
    EXPECT_EQ(U("0x" + std::string(100, '0') + std::string(64, 'f')), kMax);
    EXPECT_EQ(U(std::string(100, '0') +
                "115792089237316195423570985008687907853269984665640564039457584007913129639935"),
              kMax);
    EXPECT_EQ(U("0x1" + std::string(63, '0')), uint256{1} << 252);
}

TEST(Uint256, StringRejections) {
    const std::vector<std::string> bad = {
        "",
        "0x",
        "0X",
        "x12",
        "-1",
        "+1",
        " 1",
        "1 ",
        "12a",
        "0x12g",
        "0x 1",
        "0x-1",
        "1.5",
        "1e3",
        std::string("1\0", 2),
        "0x1" + std::string(64, '0'),  // 2^256
        "0x" + std::string(65, 'f'),
        // 2^256 and the largest 78-digit number.
        "115792089237316195423570985008687907853269984665640564039457584007913129639936",
        std::string(78, '9'),
        std::string(200, '9'),
    };
    for (const std::string& text : bad) {
        auto r = uint256::from_string(text);
        ASSERT_FALSE(r.ok()) << "accepted \"" << text << "\"";
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
        EXPECT_FALSE(r.error().message.empty());
    }
    EXPECT_NE(uint256::from_string("0x12g").error().message.find("'g'"), std::string::npos);
    EXPECT_NE(uint256::from_string(std::string(78, '9')).error().message.find("2^256"),
              std::string::npos);
}

TEST(Uint256, HashUsesEveryLimb) {
    // Small values in each limb position: a hash that ignored a limb would collide here.
    std::unordered_set<size_t> hashes;
    std::unordered_set<uint256> values;
    for (uint64_t i = 1; i <= 1000; ++i) {
        for (int limb = 0; limb < 4; ++limb) {
            uint256 v;
            v.words[limb] = i;
            hashes.insert(std::hash<uint256>{}(v));
            values.insert(v);
        }
    }
    EXPECT_EQ(hashes.size(), 4000u);
    EXPECT_EQ(values.size(), 4000u);
    EXPECT_EQ(values.count(uint256{1} << 64), 1u);
}

TEST(Uint256, ConstexprUsable) {
    static_assert(uint256{2} + 3 == uint256{5});
    static_assert(uint256{6} * 7 == uint256{42});
    static_assert((uint256{1} << 255 >> 255) == uint256{1});
    static_assert(slt(uint256::max(), 0));
    static_assert(signextend(0, 0x80) == uint256::max() - 0x7f);
    SUCCEED();
}

}  // namespace
}  // namespace hc
