#include "evm/bn254.h"

#include <openssl/bn.h>

#include <cstring>
#include <vector>

namespace hc::evm::bn254 {
namespace {

__extension__ typedef unsigned __int128 u128;

// The base field modulus p, little-endian 64-bit limbs.
constexpr uint64_t kP[4] = {0x3c208c16d87cfd47ull, 0x97816a916871ca8dull, 0xb85045b68181585dull,
                            0x30644e72e131a029ull};
// The group order r.
constexpr uint64_t kR[4] = {0x43e1f593f0000001ull, 0x2833e84879b97091ull, 0xb85045b68181585dull,
                            0x30644e72e131a029ull};

// -p^-1 mod 2^64.
constexpr uint64_t compute_inv() {
    uint64_t inv = 1;
    for (int i = 0; i < 7; ++i)
        inv *= 2 - kP[0] * inv;
    return ~inv + 1;
}
constexpr uint64_t kInv = compute_inv();

constexpr bool geq_p(const uint64_t a[4]) {
    for (int i = 3; i >= 0; --i) {
        if (a[i] != kP[i]) return a[i] > kP[i];
    }
    return true;
}

constexpr void sub_p(uint64_t a[4]) {
    uint64_t borrow = 0;
    for (int i = 0; i < 4; ++i) {
        u128 d = static_cast<u128>(a[i]) - kP[i] - borrow;
        a[i] = static_cast<uint64_t>(d);
        borrow = static_cast<uint64_t>(d >> 64) & 1;
    }
}

struct Limbs {
    uint64_t v[4];
};

// 2^512 mod p, for conversion into Montgomery form.
constexpr Limbs compute_r2() {
    Limbs x{{1, 0, 0, 0}};
    for (int k = 0; k < 512; ++k) {
        uint64_t carry = 0;
        for (int i = 0; i < 4; ++i) {
            uint64_t nc = x.v[i] >> 63;
            x.v[i] = (x.v[i] << 1) | carry;
            carry = nc;
        }
        if (carry || geq_p(x.v)) sub_p(x.v);
    }
    return x;
}
constexpr Limbs kR2 = compute_r2();

struct Fp {
    uint64_t l[4] = {0, 0, 0, 0};  // Montgomery form

    static Fp mont_mul(const uint64_t a[4], const uint64_t b[4]) {
        uint64_t t[6] = {0, 0, 0, 0, 0, 0};
        for (int i = 0; i < 4; ++i) {
            uint64_t carry = 0;
            for (int j = 0; j < 4; ++j) {
                u128 s = static_cast<u128>(a[j]) * b[i] + t[j] + carry;
                t[j] = static_cast<uint64_t>(s);
                carry = static_cast<uint64_t>(s >> 64);
            }
            u128 s = static_cast<u128>(t[4]) + carry;
            t[4] = static_cast<uint64_t>(s);
            t[5] = static_cast<uint64_t>(s >> 64);
            const uint64_t m = t[0] * kInv;
            s = static_cast<u128>(m) * kP[0] + t[0];
            carry = static_cast<uint64_t>(s >> 64);
            for (int j = 1; j < 4; ++j) {
                s = static_cast<u128>(m) * kP[j] + t[j] + carry;
                t[j - 1] = static_cast<uint64_t>(s);
                carry = static_cast<uint64_t>(s >> 64);
            }
            s = static_cast<u128>(t[4]) + carry;
            t[3] = static_cast<uint64_t>(s);
            t[4] = t[5] + static_cast<uint64_t>(s >> 64);
        }
        Fp r;
        std::memcpy(r.l, t, sizeof r.l);
        if (t[4] != 0 || geq_p(r.l)) sub_p(r.l);
        return r;
    }

    static Fp zero() { return {}; }
    static Fp from_u64(uint64_t v) {
        uint64_t raw[4] = {v, 0, 0, 0};
        return mont_mul(raw, kR2.v);
    }
    static Fp one() { return from_u64(1); }

    // Big-endian 32 bytes; nullopt when the value is >= p.
    static std::optional<Fp> from_be(const uint8_t* p) {
        uint64_t raw[4];
        for (int i = 0; i < 4; ++i) {
            uint64_t w = 0;
            for (int j = 0; j < 8; ++j)
                w = (w << 8) | p[(3 - i) * 8 + j];
            raw[i] = w;
        }
        if (geq_p(raw)) return std::nullopt;
        return mont_mul(raw, kR2.v);
    }
    void to_be(uint8_t* p) const {
        const uint64_t one_raw[4] = {1, 0, 0, 0};
        Fp n = mont_mul(l, one_raw);
        for (int i = 0; i < 4; ++i) {
            for (int j = 0; j < 8; ++j)
                p[(3 - i) * 8 + j] = static_cast<uint8_t>(n.l[i] >> (56 - 8 * j));
        }
    }

    bool is_zero() const { return (l[0] | l[1] | l[2] | l[3]) == 0; }
    friend bool operator==(const Fp& a, const Fp& b) {
        return std::memcmp(a.l, b.l, sizeof a.l) == 0;
    }
    friend Fp operator+(const Fp& a, const Fp& b) {
        Fp r;
        uint64_t carry = 0;
        for (int i = 0; i < 4; ++i) {
            u128 s = static_cast<u128>(a.l[i]) + b.l[i] + carry;
            r.l[i] = static_cast<uint64_t>(s);
            carry = static_cast<uint64_t>(s >> 64);
        }
        if (carry || geq_p(r.l)) sub_p(r.l);
        return r;
    }
    friend Fp operator-(const Fp& a, const Fp& b) {
        Fp r;
        uint64_t borrow = 0;
        for (int i = 0; i < 4; ++i) {
            u128 d = static_cast<u128>(a.l[i]) - b.l[i] - borrow;
            r.l[i] = static_cast<uint64_t>(d);
            borrow = static_cast<uint64_t>(d >> 64) & 1;
        }
        if (borrow) {
            uint64_t carry = 0;
            for (int i = 0; i < 4; ++i) {
                u128 s = static_cast<u128>(r.l[i]) + kP[i] + carry;
                r.l[i] = static_cast<uint64_t>(s);
                carry = static_cast<uint64_t>(s >> 64);
            }
        }
        return r;
    }
    Fp operator-() const { return zero() - *this; }
    friend Fp operator*(const Fp& a, const Fp& b) { return mont_mul(a.l, b.l); }

    // The inverse by the binary extended Euclidean algorithm (variable time; nothing secret
    // passes through here). The stored value is aR, whose plain inverse (aR)^-1 is turned into
    // the Montgomery form a^-1 R by a Montgomery multiplication with R^3. Zero maps to zero.
    Fp inverse() const {
        if (is_zero()) return zero();
        uint64_t u[4], v[4], x1[4] = {1, 0, 0, 0}, x2[4] = {0, 0, 0, 0};
        std::memcpy(u, l, sizeof u);
        std::memcpy(v, kP, sizeof v);
        auto is_one = [](const uint64_t a[4]) { return a[0] == 1 && (a[1] | a[2] | a[3]) == 0; };
        auto halve = [](uint64_t a[4]) {
            for (int i = 0; i < 3; ++i)
                a[i] = (a[i] >> 1) | (a[i + 1] << 63);
            a[3] >>= 1;
        };
        // x <- x / 2 mod p, for x < p.
        auto halve_mod = [&halve](uint64_t x[4]) {
            if (x[0] & 1) {
                uint64_t carry = 0;
                for (int i = 0; i < 4; ++i) {
                    u128 s = static_cast<u128>(x[i]) + kP[i] + carry;
                    x[i] = static_cast<uint64_t>(s);
                    carry = static_cast<uint64_t>(s >> 64);
                }
            }
            halve(x);  // x + p < 2^255, so no carry is lost
        };
        auto geq = [](const uint64_t a[4], const uint64_t b[4]) {
            for (int i = 3; i >= 0; --i) {
                if (a[i] != b[i]) return a[i] > b[i];
            }
            return true;
        };
        auto sub = [](uint64_t a[4], const uint64_t b[4]) {  // a -= b, REQUIRES a >= b
            uint64_t borrow = 0;
            for (int i = 0; i < 4; ++i) {
                u128 d = static_cast<u128>(a[i]) - b[i] - borrow;
                a[i] = static_cast<uint64_t>(d);
                borrow = static_cast<uint64_t>(d >> 64) & 1;
            }
        };
        auto sub_mod = [&](uint64_t a[4], const uint64_t b[4]) {  // a = a - b mod p
            if (geq(a, b)) {
                sub(a, b);
            } else {
                uint64_t t[4];
                std::memcpy(t, kP, sizeof t);
                sub(t, b);
                uint64_t carry = 0;
                for (int i = 0; i < 4; ++i) {
                    u128 s = static_cast<u128>(a[i]) + t[i] + carry;
                    a[i] = static_cast<uint64_t>(s);
                    carry = static_cast<uint64_t>(s >> 64);
                }
            }
        };
        while (!is_one(u) && !is_one(v)) {
            while ((u[0] & 1) == 0) {
                halve(u);
                halve_mod(x1);
            }
            while ((v[0] & 1) == 0) {
                halve(v);
                halve_mod(x2);
            }
            if (geq(u, v)) {
                sub(u, v);
                sub_mod(x1, x2);
            } else {
                sub(v, u);
                sub_mod(x2, x1);
            }
        }
        const uint64_t* plain = is_one(u) ? x1 : x2;
        static const Fp r3 = mont_mul(kR2.v, kR2.v);
        return mont_mul(plain, r3.l);
    }
};

struct Fp2 {
    Fp a, b;  // a + b*u, u^2 = -1

    static Fp2 zero() { return {}; }
    static Fp2 one() { return {Fp::one(), Fp::zero()}; }
    bool is_zero() const { return a.is_zero() && b.is_zero(); }
    friend bool operator==(const Fp2& x, const Fp2& y) { return x.a == y.a && x.b == y.b; }
    friend Fp2 operator+(const Fp2& x, const Fp2& y) { return {x.a + y.a, x.b + y.b}; }
    friend Fp2 operator-(const Fp2& x, const Fp2& y) { return {x.a - y.a, x.b - y.b}; }
    Fp2 operator-() const { return {-a, -b}; }
    friend Fp2 operator*(const Fp2& x, const Fp2& y) {
        const Fp aa = x.a * y.a, bb = x.b * y.b;
        const Fp cross = (x.a + x.b) * (y.a + y.b) - aa - bb;
        return {aa - bb, cross};
    }
    friend Fp2 operator*(const Fp2& x, const Fp& s) { return {x.a * s, x.b * s}; }
    Fp2 conj() const { return {a, -b}; }
    Fp2 inverse() const {
        const Fp n = (a * a + b * b).inverse();
        return {a * n, -(b * n)};
    }
    // Times xi = 9 + u.
    Fp2 mul_xi() const {
        const Fp a2 = a + a, a4 = a2 + a2, a8 = a4 + a4;
        const Fp b2 = b + b, b4 = b2 + b2, b8 = b4 + b4;
        return {a8 + a - b, a + b8 + b};
    }
};

struct Fp6 {
    Fp2 c0, c1, c2;  // c0 + c1*v + c2*v^2, v^3 = xi

    friend Fp6 operator+(const Fp6& x, const Fp6& y) {
        return {x.c0 + y.c0, x.c1 + y.c1, x.c2 + y.c2};
    }
    friend Fp6 operator-(const Fp6& x, const Fp6& y) {
        return {x.c0 - y.c0, x.c1 - y.c1, x.c2 - y.c2};
    }
    friend Fp6 operator*(const Fp6& x, const Fp6& y) {
        const Fp2 r0 = x.c0 * y.c0 + (x.c1 * y.c2 + x.c2 * y.c1).mul_xi();
        const Fp2 r1 = x.c0 * y.c1 + x.c1 * y.c0 + (x.c2 * y.c2).mul_xi();
        const Fp2 r2 = x.c0 * y.c2 + x.c1 * y.c1 + x.c2 * y.c0;
        return {r0, r1, r2};
    }
    // Times v.
    Fp6 mul_v() const { return {c2.mul_xi(), c0, c1}; }
    Fp6 operator-() const { return {-c0, -c1, -c2}; }
    Fp6 inverse() const {
        const Fp2 t0 = c0 * c0 - (c1 * c2).mul_xi();
        const Fp2 t1 = (c2 * c2).mul_xi() - c0 * c1;
        const Fp2 t2 = c1 * c1 - c0 * c2;
        const Fp2 d = (c0 * t0 + (c2 * t1 + c1 * t2).mul_xi()).inverse();
        return {t0 * d, t1 * d, t2 * d};
    }
    friend bool operator==(const Fp6& x, const Fp6& y) {
        return x.c0 == y.c0 && x.c1 == y.c1 && x.c2 == y.c2;
    }
};

struct Fp12 {
    Fp6 c0, c1;  // c0 + c1*w, w^2 = v

    static Fp12 one() { return {{Fp2::one(), Fp2::zero(), Fp2::zero()}, {}}; }
    friend Fp12 operator*(const Fp12& x, const Fp12& y) {
        const Fp6 t0 = x.c0 * y.c0, t1 = x.c1 * y.c1;
        const Fp6 cross = (x.c0 + x.c1) * (y.c0 + y.c1) - t0 - t1;
        return {t0 + t1.mul_v(), cross};
    }
    friend bool operator==(const Fp12& x, const Fp12& y) { return x.c0 == y.c0 && x.c1 == y.c1; }
    // x^(p^6), the conjugate over Fp6 (w^(p^6) = -w).
    Fp12 conj() const { return {c0, -c1}; }
    Fp12 inverse() const {
        const Fp6 d = (c0 * c0 - (c1 * c1).mul_v()).inverse();
        return {c0 * d, -(c1 * d)};
    }
};

// x^(p^2): the coefficient of w^k (in Fp2, fixed by the p^2-power map) is multiplied by
// gamma[k] = xi^(k (p^2 - 1) / 6).
Fp12 frobenius2(const Fp12& x, const Fp2 gamma[6]) {
    return {{x.c0.c0, x.c0.c1 * gamma[2], x.c0.c2 * gamma[4]},
            {x.c1.c0 * gamma[1], x.c1.c1 * gamma[3], x.c1.c2 * gamma[5]}};
}

// Curve points in Jacobian coordinates (x/z^2, y/z^3); z = 0 is the point at infinity.
template <class F>
struct Jac {
    F x, y, z;
};

template <class F>
struct Aff {
    F x, y;
    bool inf = true;
};

template <class F>
Jac<F> jac_double(const Jac<F>& p) {
    if (p.z.is_zero()) return p;
    const F a = p.x * p.x, b = p.y * p.y, c = b * b;
    F d = (p.x + b) * (p.x + b) - a - c;
    d = d + d;
    const F e = a + a + a, f = e * e;
    const F x3 = f - d - d;
    F c8 = c + c;
    c8 = c8 + c8;
    c8 = c8 + c8;
    const F y3 = e * (d - x3) - c8;
    F z3 = p.y * p.z;
    z3 = z3 + z3;
    return {x3, y3, z3};
}

template <class F>
Jac<F> jac_add(const Jac<F>& p, const Jac<F>& q) {
    if (p.z.is_zero()) return q;
    if (q.z.is_zero()) return p;
    const F z1z1 = p.z * p.z, z2z2 = q.z * q.z;
    const F u1 = p.x * z2z2, u2 = q.x * z1z1;
    const F s1 = p.y * q.z * z2z2, s2 = q.y * p.z * z1z1;
    const F h = u2 - u1;
    F r = s2 - s1;
    if (h.is_zero()) {
        if (r.is_zero()) return jac_double(p);
        return {F::one(), F::one(), F::zero()};
    }
    const F h2 = h + h, i = h2 * h2, j = h * i;
    r = r + r;
    const F v = u1 * i;
    const F x3 = r * r - j - v - v;
    F s1j = s1 * j;
    s1j = s1j + s1j;
    const F y3 = r * (v - x3) - s1j;
    const F zs = p.z + q.z;
    const F z3 = (zs * zs - z1z1 - z2z2) * h;
    return {x3, y3, z3};
}

template <class F>
Jac<F> to_jac(const Aff<F>& a) {
    if (a.inf) return {F::one(), F::one(), F::zero()};
    return {a.x, a.y, F::one()};
}

template <class F>
Aff<F> to_aff(const Jac<F>& p) {
    if (p.z.is_zero()) return {};
    const F zi = p.z.inverse(), zi2 = zi * zi;
    return {p.x * zi2, p.y * zi2 * zi, false};
}

// Scalar as big-endian 32 bytes.
template <class F>
Jac<F> jac_mul(const Jac<F>& p, const uint8_t* scalar) {
    Jac<F> acc{F::one(), F::one(), F::zero()};
    for (int i = 0; i < 32; ++i) {
        for (int b = 7; b >= 0; --b) {
            acc = jac_double(acc);
            if ((scalar[i] >> b) & 1) acc = jac_add(acc, p);
        }
    }
    return acc;
}

Fp curve_b() {
    return Fp::from_u64(3);
}
// b / xi for the twist.
const Fp2& twist_b() {
    static const Fp2 b =
        Fp2{Fp::from_u64(3), Fp::zero()} * Fp2{Fp::from_u64(9), Fp::one()}.inverse();
    return b;
}

std::optional<Aff<Fp>> read_g1(const uint8_t* p) {
    auto x = Fp::from_be(p);
    auto y = Fp::from_be(p + 32);
    if (!x || !y) return std::nullopt;
    if (x->is_zero() && y->is_zero()) return Aff<Fp>{};
    if (!(*y * *y == *x * *x * *x + curve_b())) return std::nullopt;
    return Aff<Fp>{*x, *y, false};
}

void write_g1(const Aff<Fp>& a, uint8_t* out) {
    if (a.inf) {
        std::memset(out, 0, 64);
        return;
    }
    a.x.to_be(out);
    a.y.to_be(out + 32);
}

constexpr uint8_t kOrderBe[32] = {0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45,
                                  0xb6, 0x81, 0x81, 0x58, 0x5d, 0x28, 0x33, 0xe8, 0x48, 0x79, 0xb9,
                                  0x70, 0x91, 0x43, 0xe1, 0xf5, 0x93, 0xf0, 0x00, 0x00, 0x01};

std::optional<Aff<Fp2>> read_g2(const uint8_t* p) {
    auto xi = Fp::from_be(p), xr = Fp::from_be(p + 32);
    auto yi = Fp::from_be(p + 64), yr = Fp::from_be(p + 96);
    if (!xi || !xr || !yi || !yr) return std::nullopt;
    const Fp2 x{*xr, *xi}, y{*yr, *yi};
    if (x.is_zero() && y.is_zero()) return Aff<Fp2>{};
    if (!(y * y == x * x * x + twist_b())) return std::nullopt;
    // The twist has a large cofactor: only points of order r are valid inputs (EIP-197).
    const Aff<Fp2> q{x, y, false};
    if (!jac_mul(to_jac(q), kOrderBe).z.is_zero()) return std::nullopt;
    return q;
}

// The Frobenius endomorphism carried to the twist: (x, y) -> (conj(x) * g2, conj(y) * g3) with
// g2 = xi^((p-1)/3), g3 = xi^((p-1)/2).
struct FrobeniusConstants {
    Fp2 g2, g3;
};

Fp2 fp2_pow(const Fp2& base, const BIGNUM* e) {
    Fp2 r = Fp2::one();
    for (int i = BN_num_bits(e) - 1; i >= 0; --i) {
        r = r * r;
        if (BN_is_bit_set(e, i)) r = r * base;
    }
    return r;
}

BIGNUM* bn_from_limbs(const uint64_t limbs[4]) {
    uint8_t be[32];
    for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 8; ++j)
            be[(3 - i) * 8 + j] = static_cast<uint8_t>(limbs[i] >> (56 - 8 * j));
    }
    return BN_bin2bn(be, 32, nullptr);
}

struct Constants {
    bool ok = false;
    FrobeniusConstants frob;
    Fp2 gamma2[6];                     // for frobenius2
    std::vector<bool> final_exp_bits;  // (p^4 - p^2 + 1) / r, most significant first
};

const Constants& constants() {
    static const Constants c = [] {
        Constants k;
        BN_CTX* ctx = BN_CTX_new();
        BIGNUM* p = bn_from_limbs(kP);
        BIGNUM* r = bn_from_limbs(kR);
        BIGNUM* e = BN_new();
        BIGNUM* rem = BN_new();
        BIGNUM* three = BN_new();
        BIGNUM* two = BN_new();
        BIGNUM* six = BN_new();
        if (ctx && p && r && e && rem && three && two && six && BN_set_word(three, 3) &&
            BN_set_word(two, 2) && BN_set_word(six, 6)) {
            const Fp2 xi{Fp::from_u64(9), Fp::one()};
            bool ok = true;
            // (p - 1) / 3 and (p - 1) / 2
            ok = ok && BN_sub(e, p, BN_value_one()) && BN_div(e, rem, e, three, ctx);
            if (ok) k.frob.g2 = fp2_pow(xi, e);
            ok = ok && BN_sub(e, p, BN_value_one()) && BN_div(e, rem, e, two, ctx);
            if (ok) k.frob.g3 = fp2_pow(xi, e);
            // (p^2 - 1) / 6
            ok = ok && BN_sqr(e, p, ctx) && BN_sub(e, e, BN_value_one()) &&
                 BN_div(e, rem, e, six, ctx) && BN_is_zero(rem);
            if (ok) {
                k.gamma2[0] = Fp2::one();
                k.gamma2[1] = fp2_pow(xi, e);
                for (int i = 2; i < 6; ++i)
                    k.gamma2[i] = k.gamma2[i - 1] * k.gamma2[1];
            }
            // (p^4 - p^2 + 1) / r, the hard part of the final exponent (p^12 - 1) / r.
            ok = ok && BN_sqr(e, p, ctx) && BN_sqr(rem, e, ctx) && BN_sub(e, rem, e) &&
                 BN_add(e, e, BN_value_one()) && BN_div(e, rem, e, r, ctx) && BN_is_zero(rem);
            if (ok) {
                for (int i = BN_num_bits(e) - 1; i >= 0; --i) {
                    k.final_exp_bits.push_back(BN_is_bit_set(e, i) != 0);
                }
            }
            k.ok = ok;
        }
        BN_free(p);
        BN_free(r);
        BN_free(e);
        BN_free(rem);
        BN_free(three);
        BN_free(two);
        BN_free(six);
        BN_CTX_free(ctx);
        return k;
    }();
    return c;
}

Aff<Fp2> frobenius(const Aff<Fp2>& q, const FrobeniusConstants& k) {
    if (q.inf) return q;
    return {q.x.conj() * k.g2, q.y.conj() * k.g3, false};
}

// The line through T with slope lambda (on the twist), evaluated at P after untwisting
// (x, y) -> (x w^2, y w^3): yP - lambda xP w + (lambda xT - yT) w^3.
Fp12 line(const Fp2& lambda, const Aff<Fp2>& t, const Aff<Fp>& p) {
    Fp12 l;
    l.c0 = {Fp2{p.y, Fp::zero()}, Fp2::zero(), Fp2::zero()};
    l.c1 = {-(lambda * p.x), lambda * t.x - t.y, Fp2::zero()};
    return l;
}

// T <- T + Q (or 2T when Q == T), multiplying f by the line through them at P. Vertical lines
// lie in Fp6 and vanish in the final exponentiation, so they are skipped.
void step(Aff<Fp2>& t, const Aff<Fp2>& q, const Aff<Fp>& p, Fp12& f) {
    if (t.inf) {
        t = q;
        return;
    }
    if (q.inf) return;
    Fp2 lambda;
    if (t.x == q.x) {
        if (!(t.y == q.y) || t.y.is_zero()) {
            t = {};  // vertical line
            return;
        }
        const Fp2 x2 = t.x * t.x;
        lambda = (x2 + x2 + x2) * (t.y + t.y).inverse();
    } else {
        lambda = (q.y - t.y) * (q.x - t.x).inverse();
    }
    f = f * line(lambda, t, p);
    const Fp2 x3 = lambda * lambda - t.x - q.x;
    const Fp2 y3 = lambda * (t.x - x3) - t.y;
    t = {x3, y3, false};
}

// 6u + 2 for the BN parameter u = 4965661367192848881.
constexpr u128 kAteLoop = static_cast<u128>(4965661367192848881ull) * 6 + 2;

Fp12 miller_loop(const Aff<Fp>& p, const Aff<Fp2>& q, const FrobeniusConstants& k) {
    Fp12 f = Fp12::one();
    Aff<Fp2> t = q;
    int top = 127;
    while (!((kAteLoop >> top) & 1))
        --top;
    for (int i = top - 1; i >= 0; --i) {
        f = f * f;
        step(t, t, p, f);
        if ((kAteLoop >> i) & 1) step(t, q, p, f);
    }
    const Aff<Fp2> q1 = frobenius(q, k);
    Aff<Fp2> q2 = frobenius(q1, k);
    q2.y = -q2.y;
    step(t, q1, p, f);
    step(t, q2, p, f);
    return f;
}

}  // namespace

std::optional<G1Bytes> g1_add(BytesView input) noexcept {
    if (input.size() != 128) return std::nullopt;
    auto a = read_g1(input.data());
    auto b = read_g1(input.data() + 64);
    if (!a || !b) return std::nullopt;
    G1Bytes out;
    write_g1(to_aff(jac_add(to_jac(*a), to_jac(*b))), out.data());
    return out;
}

std::optional<G1Bytes> g1_mul(BytesView input) noexcept {
    if (input.size() != 96) return std::nullopt;
    auto a = read_g1(input.data());
    if (!a) return std::nullopt;
    G1Bytes out;
    write_g1(to_aff(jac_mul(to_jac(*a), input.data() + 64)), out.data());
    return out;
}

PairingResult pairing_check(BytesView input) noexcept {
    if (input.size() % 192 != 0) return PairingResult::invalid_input;
    const Constants& k = constants();
    if (!k.ok) return PairingResult::internal_error;
    Fp12 f = Fp12::one();
    for (size_t off = 0; off < input.size(); off += 192) {
        auto p = read_g1(input.data() + off);
        auto q = read_g2(input.data() + off + 64);
        if (!p || !q) return PairingResult::invalid_input;
        if (p->inf || q->inf) continue;
        f = f * miller_loop(*p, *q, k.frob);
    }
    // Final exponentiation by (p^12 - 1) / r = (p^6 - 1) (p^2 + 1) (p^4 - p^2 + 1) / r.
    // f is non-zero: every Miller-loop factor is a line with a non-zero constant term yP.
    f = f.conj() * f.inverse();
    f = frobenius2(f, k.gamma2) * f;
    Fp12 r = Fp12::one();
    for (bool bit : k.final_exp_bits) {
        r = r * r;
        if (bit) r = r * f;
    }
    return r == Fp12::one() ? PairingResult::one : PairingResult::not_one;
}

}  // namespace hc::evm::bn254
