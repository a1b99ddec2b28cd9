// 256-bit unsigned integer: EVM words, balances, values, fees.
// Four 64-bit limbs, least significant first. Plain value type.
//
// All arithmetic wraps modulo 2^256 and follows EVM (Cancun) semantics where the EVM defines one:
// division and modulo by zero give zero, shifts by 256 or more give zero, signed operations read
// the word as two's complement. The cheap operations are inline and constexpr because the EVM
// interpreter runs them on every instruction; division and the modular operations live in
// uint256.cc.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace hc {

namespace detail {
__extension__ typedef unsigned __int128 uint128;
}  // namespace detail

struct uint256 {
    uint64_t words[4] = {0, 0, 0, 0};  // words[0] is the least significant limb

    constexpr uint256() noexcept = default;
    constexpr uint256(uint64_t v) noexcept : words{v, 0, 0, 0} {}  // NOLINT: implicit on purpose
    constexpr uint256(uint64_t w3, uint64_t w2, uint64_t w1, uint64_t w0) noexcept
        : words{w0, w1, w2, w3} {}

    // 2^256 - 1.
    static constexpr uint256 max() noexcept { return {~0ull, ~0ull, ~0ull, ~0ull}; }

    constexpr bool is_zero() const noexcept {
        return (words[0] | words[1] | words[2] | words[3]) == 0;
    }
    constexpr bool fits_uint64() const noexcept { return (words[1] | words[2] | words[3]) == 0; }
    constexpr uint64_t low64() const noexcept { return words[0]; }
    // Number of significant bits (0 for zero).
    unsigned bit_length() const noexcept;
    // Number of significant bytes (0 for zero): the length of to_be_trimmed().
    unsigned byte_length() const noexcept { return (bit_length() + 7) / 8; }

    friend constexpr bool operator==(const uint256&, const uint256&) noexcept = default;

    // Big-endian, at most 32 bytes (shorter input is left-padded with zeros).
    static Result<uint256> from_be(BytesView data);
    std::array<uint8_t, 32> to_be() const noexcept;
    // Big-endian without leading zero bytes (empty for zero): the RLP scalar form.
    Bytes to_be_trimmed() const;

    // Exactly 32 big-endian bytes, for EVM memory and storage words.
    // REQUIRES: p points at 32 readable (load) or writable (store) bytes.
    static uint256 load_be32(const uint8_t* p) noexcept;
    void store_be32(uint8_t* p) const noexcept;

    // Parses "0x..." hex (any number of leading zeros) or plain decimal.
    // Fails on an empty string, "0x" without digits, a bad digit, or a value above 2^256-1.
    static Result<uint256> from_string(std::string_view text);
    std::string to_hex() const;  // "0x" + minimal hex, "0x0" for zero
    std::string to_dec() const;
};

// For logging and test failure messages: prints to_hex().
std::ostream& operator<<(std::ostream& os, const uint256& v);

// ---- Carry-aware addition, subtraction and multiplication (for fee and balance checks) ----

// *out = a + b mod 2^256; returns true when the true sum exceeds 2^256-1.
constexpr bool add_overflow(const uint256& a, const uint256& b, uint256* out) noexcept {
    // The overflow builtins (rather than 128-bit sums) are what GCC and Clang turn into add/adc.
    bool carry = false;
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        uint64_t s;
        const bool c1 = __builtin_add_overflow(a.words[i], b.words[i], &s);
        const bool c2 = __builtin_add_overflow(s, uint64_t{carry}, &out->words[i]);
        carry = c1 | c2;
    }
    return carry;
}

// *out = a - b mod 2^256; returns true when b > a.
constexpr bool sub_underflow(const uint256& a, const uint256& b, uint256* out) noexcept {
    bool borrow = false;
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        uint64_t s;
        const bool b1 = __builtin_sub_overflow(a.words[i], b.words[i], &s);
        const bool b2 = __builtin_sub_overflow(s, uint64_t{borrow}, &out->words[i]);
        borrow = b1 | b2;
    }
    return borrow;
}

namespace detail {
// Full 512-bit product, least significant limb first.
constexpr void mul_wide(const uint256& a, const uint256& b, uint64_t out[8]) noexcept {
    for (int i = 0; i < 8; ++i)
        out[i] = 0;
    for (int i = 0; i < 4; ++i) {
        uint64_t carry = 0;
        for (int j = 0; j < 4; ++j) {
            uint128 t = uint128{a.words[i]} * b.words[j] + out[i + j] + carry;
            out[i + j] = static_cast<uint64_t>(t);
            carry = static_cast<uint64_t>(t >> 64);
        }
        out[i + 4] = carry;
    }
}
}  // namespace detail

// *out = a * b mod 2^256; returns true when the true product exceeds 2^256-1.
constexpr bool mul_overflow(const uint256& a, const uint256& b, uint256* out) noexcept {
    uint64_t p[8];
    detail::mul_wide(a, b, p);
    for (int i = 0; i < 4; ++i)
        out->words[i] = p[i];
    return (p[4] | p[5] | p[6] | p[7]) != 0;
}

// ---- Wrapping arithmetic ----

constexpr uint256 operator+(const uint256& a, const uint256& b) noexcept {
    uint256 r;
    add_overflow(a, b, &r);
    return r;
}
constexpr uint256 operator-(const uint256& a, const uint256& b) noexcept {
    uint256 r;
    sub_underflow(a, b, &r);
    return r;
}
constexpr uint256 operator~(const uint256& a) noexcept {
    return {~a.words[3], ~a.words[2], ~a.words[1], ~a.words[0]};
}
constexpr uint256 operator-(const uint256& a) noexcept {
    return uint256{} - a;
}

constexpr uint256 operator*(const uint256& a, const uint256& b) noexcept {
    // Schoolbook on the lower triangle only: limbs at 2^256 and above are dropped anyway.
    uint256 r;
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        uint64_t carry = 0;
#pragma GCC unroll 4
        for (int j = 0; j < 3 - i; ++j) {
            detail::uint128 t = detail::uint128{a.words[i]} * b.words[j] + r.words[i + j] + carry;
            r.words[i + j] = static_cast<uint64_t>(t);
            carry = static_cast<uint64_t>(t >> 64);
        }
        r.words[3] += a.words[i] * b.words[3 - i] + carry;
    }
    return r;
}

struct DivRem {
    uint256 quot;
    uint256 rem;
};
// Quotient and remainder together; {0, 0} when y is zero (EVM DIV/MOD).
DivRem divrem(const uint256& x, const uint256& y) noexcept;

// x / 0 == 0 (EVM DIV).
inline uint256 operator/(const uint256& x, const uint256& y) noexcept {
    if ((x.words[1] | x.words[2] | x.words[3] | y.words[1] | y.words[2] | y.words[3]) == 0)
        return y.words[0] ? x.words[0] / y.words[0] : 0;
    return divrem(x, y).quot;
}
// x % 0 == 0 (EVM MOD).
inline uint256 operator%(const uint256& x, const uint256& y) noexcept {
    if ((x.words[1] | x.words[2] | x.words[3] | y.words[1] | y.words[2] | y.words[3]) == 0)
        return y.words[0] ? x.words[0] % y.words[0] : 0;
    return divrem(x, y).rem;
}

// ---- Bitwise ----

constexpr uint256 operator&(const uint256& a, const uint256& b) noexcept {
    return {a.words[3] & b.words[3], a.words[2] & b.words[2], a.words[1] & b.words[1],
            a.words[0] & b.words[0]};
}
constexpr uint256 operator|(const uint256& a, const uint256& b) noexcept {
    return {a.words[3] | b.words[3], a.words[2] | b.words[2], a.words[1] | b.words[1],
            a.words[0] | b.words[0]};
}
constexpr uint256 operator^(const uint256& a, const uint256& b) noexcept {
    return {a.words[3] ^ b.words[3], a.words[2] ^ b.words[2], a.words[1] ^ b.words[1],
            a.words[0] ^ b.words[0]};
}

// Shifts by 256 or more give zero (EVM SHL/SHR).
constexpr uint256 operator<<(const uint256& x, uint64_t shift) noexcept {
    if (shift >= 256) return {};
    const unsigned limbs = static_cast<unsigned>(shift / 64), bits = shift % 64;
    uint256 r;
    for (unsigned i = limbs; i < 4; ++i) {
        r.words[i] = x.words[i - limbs] << bits;
        // A 64-bit shift is undefined in C++, hence the bits != 0 guard.
        if (bits != 0 && i > limbs) r.words[i] |= x.words[i - limbs - 1] >> (64 - bits);
    }
    return r;
}
constexpr uint256 operator>>(const uint256& x, uint64_t shift) noexcept {
    if (shift >= 256) return {};
    const unsigned limbs = static_cast<unsigned>(shift / 64), bits = shift % 64;
    uint256 r;
    for (unsigned i = 0; i + limbs < 4; ++i) {
        r.words[i] = x.words[i + limbs] >> bits;
        if (bits != 0 && i + limbs + 1 < 4) r.words[i] |= x.words[i + limbs + 1] << (64 - bits);
    }
    return r;
}
// A 256-bit shift amount, as the EVM stack supplies it.
constexpr uint256 operator<<(const uint256& x, const uint256& shift) noexcept {
    return shift.fits_uint64() ? x << shift.words[0] : uint256{};
}
constexpr uint256 operator>>(const uint256& x, const uint256& shift) noexcept {
    return shift.fits_uint64() ? x >> shift.words[0] : uint256{};
}

// ---- Unsigned comparison ----

constexpr bool operator<(const uint256& a, const uint256& b) noexcept {
    // The borrow out of a - b: a sub/sbb chain without a branch per limb.
    bool borrow = false;
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        uint64_t s, t;
        const bool b1 = __builtin_sub_overflow(a.words[i], b.words[i], &s);
        const bool b2 = __builtin_sub_overflow(s, uint64_t{borrow}, &t);
        borrow = b1 | b2;
    }
    return borrow;
}
constexpr bool operator>(const uint256& a, const uint256& b) noexcept {
    return b < a;
}
constexpr bool operator<=(const uint256& a, const uint256& b) noexcept {
    return !(b < a);
}
constexpr bool operator>=(const uint256& a, const uint256& b) noexcept {
    return !(a < b);
}
constexpr std::strong_ordering operator<=>(const uint256& a, const uint256& b) noexcept {
    for (int i = 3; i >= 0; --i)
        if (a.words[i] != b.words[i]) return a.words[i] <=> b.words[i];
    return std::strong_ordering::equal;
}

// ---- Compound assignment and increments ----

constexpr uint256& operator+=(uint256& a, const uint256& b) noexcept {
    return a = a + b;
}
constexpr uint256& operator-=(uint256& a, const uint256& b) noexcept {
    return a = a - b;
}
constexpr uint256& operator*=(uint256& a, const uint256& b) noexcept {
    return a = a * b;
}
inline uint256& operator/=(uint256& a, const uint256& b) noexcept {
    return a = a / b;
}
inline uint256& operator%=(uint256& a, const uint256& b) noexcept {
    return a = a % b;
}
constexpr uint256& operator&=(uint256& a, const uint256& b) noexcept {
    return a = a & b;
}
constexpr uint256& operator|=(uint256& a, const uint256& b) noexcept {
    return a = a | b;
}
constexpr uint256& operator^=(uint256& a, const uint256& b) noexcept {
    return a = a ^ b;
}
constexpr uint256& operator<<=(uint256& a, uint64_t shift) noexcept {
    return a = a << shift;
}
constexpr uint256& operator>>=(uint256& a, uint64_t shift) noexcept {
    return a = a >> shift;
}
constexpr uint256& operator++(uint256& a) noexcept {
    return a = a + 1;
}
constexpr uint256& operator--(uint256& a) noexcept {
    return a = a - 1;
}
constexpr uint256 operator++(uint256& a, int) noexcept {
    uint256 old = a;
    ++a;
    return old;
}
constexpr uint256 operator--(uint256& a, int) noexcept {
    uint256 old = a;
    --a;
    return old;
}

// ---- Signed (two's complement) operations, EVM semantics ----

constexpr bool is_negative(const uint256& x) noexcept {
    return (x.words[3] >> 63) != 0;
}

// EVM SLT / SGT: signed comparison.
constexpr bool slt(const uint256& a, const uint256& b) noexcept {
    const bool na = is_negative(a), nb = is_negative(b);
    // Same sign: two's complement order matches unsigned order.
    return na != nb ? na : a < b;
}
constexpr bool sgt(const uint256& a, const uint256& b) noexcept {
    return slt(b, a);
}

// EVM SDIV: rounds toward zero; sdiv(x, 0) == 0 and sdiv(INT_MIN, -1) == INT_MIN.
uint256 sdiv(const uint256& a, const uint256& b) noexcept;
// EVM SMOD: the result takes the sign of a; smod(x, 0) == 0.
uint256 smod(const uint256& a, const uint256& b) noexcept;

// EVM SAR: x >> shift, filling with the sign bit. Note the argument order is that of the C++
// operator (value first), not that of the EVM stack (shift first).
// A shift of 256 or more gives 0 for non-negative x and all ones for negative x.
constexpr uint256 sar(const uint256& x, uint64_t shift) noexcept {
    return is_negative(x) ? ~(~x >> shift) : x >> shift;
}
constexpr uint256 sar(const uint256& x, const uint256& shift) noexcept {
    return sar(x, shift.fits_uint64() ? shift.words[0] : uint64_t{256});
}

// EVM BYTE: byte i of x counted from the most significant end; 0 when i >= 32.
constexpr uint256 byte_at(const uint256& i, const uint256& x) noexcept {
    if (!i.fits_uint64() || i.words[0] >= 32) return {};
    const unsigned bit = static_cast<unsigned>(31 - i.words[0]) * 8;
    return (x.words[bit / 64] >> (bit % 64)) & 0xff;
}

// EVM SIGNEXTEND: extends the sign of byte b (counted from the least significant end) through
// the upper bits; x unchanged when b >= 31.
constexpr uint256 signextend(const uint256& b, const uint256& x) noexcept {
    if (!b.fits_uint64() || b.words[0] >= 31) return x;
    const unsigned sign_bit = static_cast<unsigned>(b.words[0]) * 8 + 7;
    const unsigned limb = sign_bit / 64, bit = sign_bit % 64;
    const bool negative = (x.words[limb] >> bit) & 1;
    const uint64_t low_mask = bit == 63 ? ~uint64_t{0} : (uint64_t{2} << bit) - 1;
    const uint64_t fill = negative ? ~uint64_t{0} : 0;
    uint256 r = x;
    r.words[limb] = (x.words[limb] & low_mask) | (fill & ~low_mask);
    for (unsigned i = limb + 1; i < 4; ++i)
        r.words[i] = fill;
    return r;
}

// ---- Modular arithmetic, EVM semantics ----

// EVM EXP: base^exponent mod 2^256 (0^0 == 1).
uint256 exp(const uint256& base, const uint256& exponent) noexcept;
// EVM ADDMOD: (a + b) mod m without losing the carry out of 2^256; 0 when m is zero.
uint256 addmod(const uint256& a, const uint256& b, const uint256& m) noexcept;
// EVM MULMOD: (a * b) mod m over the full 512-bit product; 0 when m is zero.
uint256 mulmod(const uint256& a, const uint256& b, const uint256& m) noexcept;

// ---- Division building blocks (Möller & Granlund, "Improved division by invariant integers",
// IEEE Trans. Computers 2011). Exposed so that tests can check them on their own. ----
namespace detail {
// floor((2^128 - 1) / d) - 2^64. REQUIRES: d has its top bit set.
uint64_t reciprocal_2by1(uint64_t d) noexcept;
// floor((2^192 - 1) / (d1:d0)) - 2^64. REQUIRES: d1 has its top bit set.
uint64_t reciprocal_3by2(uint64_t d1, uint64_t d0) noexcept;
}  // namespace detail

}  // namespace hc

template <>
struct std::hash<hc::uint256> {
    size_t operator()(const hc::uint256& v) const noexcept {
        // Values are often small or structured (counters, balances), so mix every limb.
        uint64_t h = 0x9e3779b97f4a7c15ull;
        for (uint64_t w : v.words) {
            h ^= w + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
            h *= 0xff51afd7ed558ccdull;
        }
        return static_cast<size_t>(h ^ (h >> 33));
    }
};
