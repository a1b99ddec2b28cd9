#include "common/uint256.h"

#include <algorithm>
#include <bit>
#include <ostream>

namespace hc {

using detail::uint128;

unsigned uint256::bit_length() const noexcept {
    for (int i = 3; i >= 0; --i)
        if (words[i]) return static_cast<unsigned>(64 * i + 64 - __builtin_clzll(words[i]));
    return 0;
}

Result<uint256> uint256::from_be(BytesView data) {
    if (data.size() > 32)
        return make_error(Errc::invalid_argument,
                          "integer of " + std::to_string(data.size()) + " bytes exceeds 256 bits");
    uint256 out;
    for (size_t i = 0; i < data.size(); ++i) {
        size_t bit_pos = 8 * (data.size() - 1 - i);
        out.words[bit_pos / 64] |= uint64_t{data[i]} << (bit_pos % 64);
    }
    return out;
}

std::array<uint8_t, 32> uint256::to_be() const noexcept {
    std::array<uint8_t, 32> out;
    store_be32(out.data());
    return out;
}

Bytes uint256::to_be_trimmed() const {
    auto full = to_be();
    return Bytes(full.end() - byte_length(), full.end());
}

uint256 uint256::load_be32(const uint8_t* p) noexcept {
    uint256 out;
    for (int i = 0; i < 4; ++i) {
        uint64_t w;
        std::memcpy(&w, p + 8 * (3 - i), 8);
        if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
        out.words[i] = w;
    }
    return out;
}

void uint256::store_be32(uint8_t* p) const noexcept {
    for (int i = 0; i < 4; ++i) {
        uint64_t w = words[i];
        if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
        std::memcpy(p + 8 * (3 - i), &w, 8);
    }
}

// ---- Division ----

namespace detail {

uint64_t reciprocal_2by1(uint64_t d) noexcept {
    // floor((2^128-1)/d) - 2^64 == floor(((2^64-1-d)*2^64 + 2^64-1) / d): a 128/64 division whose
    // quotient fits in 64 bits, because ~d < d for a normalised d.
#if defined(__x86_64__)
    uint64_t q, r;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(~uint64_t{0}), "d"(~d), "r"(d));
    return q;
#else
    return static_cast<uint64_t>(((uint128{~d} << 64) | ~uint64_t{0}) / d);
#endif
}

uint64_t reciprocal_3by2(uint64_t d1, uint64_t d0) noexcept {
    // Algorithm 6 of Möller & Granlund: refine the 2by1 reciprocal of d1 to account for d0.
    uint64_t v = reciprocal_2by1(d1);
    uint64_t p = d1 * v;
    p += d0;
    if (p < d0) {
        --v;
        if (p >= d1) {
            --v;
            p -= d1;
        }
        p -= d1;
    }
    const uint128 t = uint128{v} * d0;
    const uint64_t t1 = static_cast<uint64_t>(t >> 64), t0 = static_cast<uint64_t>(t);
    p += t1;
    if (p < t1) {
        --v;
        if (p > d1 || (p == d1 && t0 >= d0)) --v;
    }
    return v;
}

}  // namespace detail

namespace {

struct QR1 {
    uint64_t q, r;
};

// Algorithm 4 of Möller & Granlund: (u1:u0) / d with a precomputed reciprocal v.
// REQUIRES: d normalised (top bit set), u1 < d.
inline QR1 udivrem_2by1(uint64_t u1, uint64_t u0, uint64_t d, uint64_t v) noexcept {
    uint128 q = uint128{v} * u1;
    q += (uint128{u1} << 64) | u0;
    uint64_t q1 = static_cast<uint64_t>(q >> 64) + 1;
    const uint64_t q0 = static_cast<uint64_t>(q);
    uint64_t r = u0 - q1 * d;
    if (r > q0) {  // unpredictable, but cheaper than a second multiply
        --q1;
        r += d;
    }
    if (r >= d) {  // rare
        ++q1;
        r -= d;
    }
    return {q1, r};
}

struct QR2 {
    uint64_t q;
    uint128 r;
};

// Algorithm 5 of Möller & Granlund: (u2:u1:u0) / (d1:d0) with the 3by2 reciprocal v.
// REQUIRES: d1 has its top bit set, (u2:u1) < (d1:d0).
inline QR2 udivrem_3by2(uint64_t u2, uint64_t u1, uint64_t u0, uint64_t d1, uint64_t d0,
                        uint64_t v) noexcept {
    uint128 q = uint128{v} * u2;
    q += (uint128{u2} << 64) | u1;
    uint64_t q1 = static_cast<uint64_t>(q >> 64);
    const uint64_t q0 = static_cast<uint64_t>(q);
    const uint64_t r1 = u1 - q1 * d1;
    const uint128 d = (uint128{d1} << 64) | d0;
    uint128 r = ((uint128{r1} << 64) | u0) - uint128{d0} * q1 - d;
    ++q1;
    if (static_cast<uint64_t>(r >> 64) >= q0) {
        --q1;
        r += d;
    }
    if (r >= d) {  // rare
        ++q1;
        r -= d;
    }
    return {q1, r};
}

// r[0..n) -= a[0..n) * b; returns the limb borrowed out of r[n-1].
inline uint64_t submul(uint64_t* r, const uint64_t* a, int n, uint64_t b) noexcept {
    uint64_t borrow = 0;
    for (int i = 0; i < n; ++i) {
        const uint128 p = uint128{a[i]} * b + borrow;
        const uint64_t lo = static_cast<uint64_t>(p);
        borrow = static_cast<uint64_t>(p >> 64);
        const uint64_t t = r[i] - lo;
        borrow += t > r[i];
        r[i] = t;
    }
    return borrow;
}

// r[0..n) += a[0..n); the carry out is dropped (callers know it cancels a borrow).
inline void add_back(uint64_t* r, const uint64_t* a, int n) noexcept {
    uint64_t carry = 0;
    for (int i = 0; i < n; ++i) {
        const uint128 t = uint128{r[i]} + a[i] + carry;
        r[i] = static_cast<uint64_t>(t);
        carry = static_cast<uint64_t>(t >> 64);
    }
}

inline int significant_limbs(const uint64_t* x, int n) noexcept {
    while (n > 0 && x[n - 1] == 0)
        --n;
    return n;
}

// Knuth's algorithm D (TAOCP 4.3.1) with Möller-Granlund quotient estimation: x (xlen <= 8 limbs)
// divided by y. Writes xlen quotient limbs to q (unless q is null) and the remainder to *rem.
// REQUIRES: y != 0.
void divrem_limbs(const uint64_t* x, int xlen, const uint256& y, uint64_t* q,
                  uint256* rem) noexcept {
    const int n = significant_limbs(y.words, 4);
    const int m = significant_limbs(x, xlen);
    if (q != nullptr) std::fill(q, q + xlen, uint64_t{0});
    *rem = uint256{};
    if (m < n) {  // x < y
        for (int i = 0; i < m; ++i)
            rem->words[i] = x[i];
        return;
    }

    // Normalise so the divisor's top limb has its top bit set; the dividend gains one limb.
    const unsigned shift = static_cast<unsigned>(__builtin_clzll(y.words[n - 1]));
    uint64_t vn[4];
    uint64_t un[9];
    if (shift == 0) {
        for (int i = 0; i < n; ++i)
            vn[i] = y.words[i];
        for (int i = 0; i < m; ++i)
            un[i] = x[i];
        un[m] = 0;
    } else {
        for (int i = n - 1; i > 0; --i)
            vn[i] = (y.words[i] << shift) | (y.words[i - 1] >> (64 - shift));
        vn[0] = y.words[0] << shift;
        un[m] = x[m - 1] >> (64 - shift);
        for (int i = m - 1; i > 0; --i)
            un[i] = (x[i] << shift) | (x[i - 1] >> (64 - shift));
        un[0] = x[0] << shift;
    }

    if (n == 1) {
        const uint64_t d = vn[0];
        const uint64_t v = detail::reciprocal_2by1(d);
        uint64_t r = un[m];  // < d: it holds at most `shift` bits
        for (int i = m - 1; i >= 0; --i) {
            const QR1 qr = udivrem_2by1(r, un[i], d, v);
            if (q != nullptr) q[i] = qr.q;
            r = qr.r;
        }
        rem->words[0] = r >> shift;
        return;
    }

    const uint64_t d1 = vn[n - 1], d0 = vn[n - 2];
    const uint64_t v = detail::reciprocal_3by2(d1, d0);
    // Invariant: un[j+1 .. j+n] < vn, so each quotient limb fits in 64 bits.
    for (int j = m - n; j >= 0; --j) {
        const uint64_t u2 = un[j + n], u1 = un[j + n - 1], u0 = un[j + n - 2];
        uint64_t qhat;
        if (u2 == d1 && u1 == d0) {
            // The 3by2 quotient would be 2^64; the true limb is then exactly 2^64-1.
            qhat = ~uint64_t{0};
            un[j + n] = u2 - submul(un + j, vn, n, qhat);
        } else {
            const QR2 qr = udivrem_3by2(u2, u1, u0, d1, d0, v);
            qhat = qr.q;
            // The top three limbs are done; subtract qhat * (the rest of the divisor).
            const uint64_t borrow = submul(un + j, vn, n - 2, qhat);
            const uint64_t r0 = static_cast<uint64_t>(qr.r), r1 = static_cast<uint64_t>(qr.r >> 64);
            un[j + n - 2] = r0 - borrow;
            const uint64_t b1 = r0 < borrow;
            un[j + n - 1] = r1 - b1;
            if (r1 < b1) {  // qhat was one too large (rare)
                --qhat;
                add_back(un + j, vn, n);
            }
        }
        if (q != nullptr) q[j] = qhat;
    }

    for (int i = 0; i < n - 1; ++i)
        rem->words[i] = shift == 0 ? un[i] : (un[i] >> shift) | (un[i + 1] << (64 - shift));
    rem->words[n - 1] = un[n - 1] >> shift;
}

}  // namespace

DivRem divrem(const uint256& x, const uint256& y) noexcept {
    if (y.is_zero()) return {};
    if (x < y) return {uint256{}, x};
    DivRem out;
    divrem_limbs(x.words, 4, y, out.quot.words, &out.rem);
    return out;
}

uint256 sdiv(const uint256& a, const uint256& b) noexcept {
    const bool na = is_negative(a), nb = is_negative(b);
    // |INT_MIN| is INT_MIN as an unsigned value (2^255), so INT_MIN / -1 comes out as INT_MIN.
    const uint256 q = (na ? -a : a) / (nb ? -b : b);
    return na != nb ? -q : q;
}

uint256 smod(const uint256& a, const uint256& b) noexcept {
    const bool na = is_negative(a);
    const uint256 r = (na ? -a : a) % (is_negative(b) ? -b : b);
    return na ? -r : r;
}

uint256 exp(const uint256& base, const uint256& exponent) noexcept {
    uint256 result = 1;
    uint256 b = base;
    const unsigned bits = exponent.bit_length();
    for (unsigned i = 0; i < bits; ++i) {
        if ((exponent.words[i / 64] >> (i % 64)) & 1) result *= b;
        if (i + 1 < bits) b *= b;
    }
    return result;
}

uint256 addmod(const uint256& a, const uint256& b, const uint256& m) noexcept {
    if (m.is_zero()) return {};
    uint256 sum;
    const bool carry = add_overflow(a, b, &sum);
    if (a < m && b < m) {
        // The common case: the sum is below 2m, one subtraction reduces it.
        if (carry || sum >= m) sum -= m;
        return sum;
    }
    const uint64_t wide[5] = {sum.words[0], sum.words[1], sum.words[2], sum.words[3], carry};
    uint256 r;
    divrem_limbs(wide, 5, m, nullptr, &r);
    return r;
}

uint256 mulmod(const uint256& a, const uint256& b, const uint256& m) noexcept {
    if (m.is_zero()) return {};
    uint64_t wide[8];
    detail::mul_wide(a, b, wide);
    uint256 r;
    divrem_limbs(wide, 8, m, nullptr, &r);
    return r;
}

// ---- Text ----

namespace {

std::string describe_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
    static const char kHex[] = "0123456789abcdef";
    return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

}  // namespace

Result<uint256> uint256::from_string(std::string_view text) {
    if (text.empty()) return make_error(Errc::invalid_argument, "empty string is not an integer");
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        std::string_view digits = text.substr(2);
        if (digits.empty())
            return make_error(Errc::invalid_argument, "hex integer \"0x\" has no digits");
        for (size_t i = 0; i < digits.size(); ++i)
            if (hex_digit(digits[i]) < 0)
                return make_error(Errc::invalid_argument,
                                  "hex integer has invalid digit " + describe_char(digits[i]) +
                                      " at position " + std::to_string(i + 2));
        const size_t first = std::min(digits.find_first_not_of('0'), digits.size());
        digits.remove_prefix(first);
        if (digits.size() > 64)
            return make_error(Errc::invalid_argument,
                              "hex integer has " + std::to_string(digits.size()) +
                                  " significant digits; at most 64 fit in 256 bits");
        uint256 out;
        for (size_t i = 0; i < digits.size(); ++i) {
            const size_t nibble = digits.size() - 1 - i;
            out.words[nibble / 16] |= uint64_t(hex_digit(digits[i])) << (4 * (nibble % 16));
        }
        return out;
    }

    if (text[0] == '-')
        return make_error(Errc::invalid_argument,
                          "negative integer where an unsigned one is expected");
    for (size_t i = 0; i < text.size(); ++i)
        if (text[i] < '0' || text[i] > '9')
            return make_error(Errc::invalid_argument,
                              "decimal integer has invalid digit " + describe_char(text[i]) +
                                  " at position " + std::to_string(i) + " (hex needs a 0x prefix)");
    // Fold 19 digits at a time: 10^19 is the largest power of ten below 2^64.
    uint256 out;
    for (size_t pos = 0; pos < text.size();) {
        const size_t len = std::min<size_t>(19, text.size() - pos);
        uint64_t chunk = 0, scale = 1;
        for (size_t i = 0; i < len; ++i) {
            chunk = chunk * 10 + static_cast<uint64_t>(text[pos + i] - '0');
            scale *= 10;
        }
        pos += len;
        if (mul_overflow(out, scale, &out) || add_overflow(out, chunk, &out))
            return make_error(Errc::invalid_argument, "decimal integer exceeds 2^256-1 (" +
                                                          std::to_string(text.size()) + " digits)");
    }
    return out;
}

std::string uint256::to_hex() const {
    static const char kHex[] = "0123456789abcdef";
    const unsigned bits = bit_length();
    if (bits == 0) return "0x0";
    const unsigned nibbles = (bits + 3) / 4;
    std::string out(2 + nibbles, '0');
    out[1] = 'x';
    for (unsigned i = 0; i < nibbles; ++i) {
        const unsigned nibble = nibbles - 1 - i;
        out[2 + i] = kHex[(words[nibble / 16] >> (4 * (nibble % 16))) & 15];
    }
    return out;
}

std::string uint256::to_dec() const {
    if (is_zero()) return "0";
    // Peel off 19 decimal digits at a time, least significant chunk first.
    constexpr uint64_t kTen19 = 10000000000000000000ull;
    uint64_t chunks[5];
    int count = 0;
    uint256 x = *this;
    while (!x.is_zero()) {
        uint64_t r = 0;
        for (int i = 3; i >= 0; --i) {
            const uint128 cur = (uint128{r} << 64) | x.words[i];
            x.words[i] = static_cast<uint64_t>(cur / kTen19);
            r = static_cast<uint64_t>(cur % kTen19);
        }
        chunks[count++] = r;
    }
    std::string out = std::to_string(chunks[count - 1]);
    for (int i = count - 2; i >= 0; --i) {
        std::string part = std::to_string(chunks[i]);
        out.append(19 - part.size(), '0');
        out += part;
    }
    return out;
}

std::ostream& operator<<(std::ostream& os, const uint256& v) {
    return os << v.to_hex();
}

}  // namespace hc
