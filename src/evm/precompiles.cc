#include "evm/precompiles.h"

#include <openssl/bn.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "crypto/hash.h"
#include "crypto/secp256k1.h"
#include "evm/bn254.h"

namespace hc::evm {
namespace {

__extension__ typedef unsigned __int128 u128;

// The precompile number (1..9) of a, or 0.
unsigned precompile_id(const Address& a) noexcept {
    for (size_t i = 0; i + 1 < Address::size(); ++i) {
        if (a.data()[i] != 0) return 0;
    }
    const unsigned last = a.data()[Address::size() - 1];
    return last >= 1 && last <= 9 ? last : 0;
}

PrecompileOutput out_of_gas() {
    return {StatusCode::out_of_gas, 0, {}};
}
PrecompileOutput failure() {
    return {StatusCode::precompile_failure, 0, {}};
}

// Settles a cost computed as an unsigned (possibly saturated) value against the gas given.
bool affordable(u128 cost, int64_t gas) {
    return gas >= 0 && cost <= static_cast<u128>(gas);
}

PrecompileOutput ok(int64_t gas, u128 cost, Bytes output) {
    return {StatusCode::success, gas - static_cast<int64_t>(cost), std::move(output)};
}

u128 words(size_t len) {
    return (static_cast<u128>(len) + 31) / 32;
}

// input[offset, offset + n), zero-padded past the end of input.
Bytes padded(BytesView input, size_t offset, size_t n) {
    Bytes out(n, 0);
    if (offset < input.size()) {
        const size_t avail = std::min(n, input.size() - offset);
        if (avail != 0) std::memcpy(out.data(), input.data() + offset, avail);
    }
    return out;
}

PrecompileOutput run_ecrecover(BytesView input, int64_t gas) {
    constexpr u128 kCost = 3000;
    if (!affordable(kCost, gas)) return out_of_gas();
    const Bytes in = padded(input, 0, 128);
    // v must be exactly 27 or 28 as a 32-byte word.
    for (size_t i = 32; i < 63; ++i) {
        if (in[i] != 0) return ok(gas, kCost, {});
    }
    if (in[63] != 27 && in[63] != 28) return ok(gas, kCost, {});
    Hash32 digest;
    std::memcpy(digest.data(), in.data(), 32);
    crypto::Secp256k1Signature sig;
    sig.r = uint256::load_be32(in.data() + 64);
    sig.s = uint256::load_be32(in.data() + 96);
    sig.y_parity = static_cast<uint8_t>(in[63] - 27);
    // Unlike transactions, ecrecover accepts any s in [1, n-1] (no EIP-2 low-s rule).
    auto address = crypto::secp256k1_recover_address(digest, sig, /*require_low_s=*/false);
    if (!address) return ok(gas, kCost, {});
    Bytes out(32, 0);
    std::memcpy(out.data() + 12, address->data(), Address::size());
    return ok(gas, kCost, std::move(out));
}

PrecompileOutput run_sha256(BytesView input, int64_t gas) {
    const u128 cost = 60 + 12 * words(input.size());
    if (!affordable(cost, gas)) return out_of_gas();
    const Hash32 h = crypto::sha256(input);
    return ok(gas, cost, Bytes(h.data(), h.data() + 32));
}

PrecompileOutput run_ripemd160(BytesView input, int64_t gas) {
    const u128 cost = 600 + 120 * words(input.size());
    if (!affordable(cost, gas)) return out_of_gas();
    const FixedBytes<20> h = crypto::ripemd160(input);
    Bytes out(32, 0);
    std::memcpy(out.data() + 12, h.data(), 20);
    return ok(gas, cost, std::move(out));
}

PrecompileOutput run_identity(BytesView input, int64_t gas) {
    const u128 cost = 15 + 3 * words(input.size());
    if (!affordable(cost, gas)) return out_of_gas();
    return ok(gas, cost, Bytes(input.begin(), input.end()));
}

// A 32-byte big-endian length, saturated to uint64 max.
uint64_t read_length(BytesView input, size_t offset) {
    const Bytes w = padded(input, offset, 32);
    for (size_t i = 0; i < 24; ++i) {
        if (w[i] != 0) return std::numeric_limits<uint64_t>::max();
    }
    uint64_t v = 0;
    for (size_t i = 24; i < 32; ++i)
        v = (v << 8) | w[i];
    return v;
}

uint64_t sat_add(uint64_t a, uint64_t b) {
    const uint64_t s = a + b;
    return s < a ? std::numeric_limits<uint64_t>::max() : s;
}

// input[offset, offset + n) zero-padded, where offset may be past any real input.
Bytes padded64(BytesView input, uint64_t offset, size_t n) {
    if (offset >= input.size()) return Bytes(n, 0);
    return padded(input, static_cast<size_t>(offset), n);
}

unsigned bit_length(const Bytes& be) {
    for (size_t i = 0; i < be.size(); ++i) {
        if (be[i] != 0) {
            return static_cast<unsigned>((be.size() - i - 1) * 8) +
                   (32 - static_cast<unsigned>(__builtin_clz(be[i])));
        }
    }
    return 0;
}

// EIP-2565 gas, saturating; the result is only compared with the gas available.
u128 modexp_cost(uint64_t base_len, uint64_t exp_len, uint64_t mod_len, const Bytes& exp_head) {
    const u128 max_len = std::max(base_len, mod_len);
    const u128 w = (max_len + 7) / 8;
    const u128 mult = w * w;  // w < 2^62, so no overflow
    u128 iterations;
    const unsigned head_bits = bit_length(exp_head);
    if (exp_len <= 32) {
        iterations = head_bits == 0 ? 0 : head_bits - 1;
    } else {
        iterations = static_cast<u128>(exp_len - 32) * 8 + (head_bits == 0 ? 0 : head_bits - 1);
    }
    iterations = std::max<u128>(iterations, 1);
    const u128 max = std::numeric_limits<u128>::max();
    const u128 product = mult != 0 && iterations > max / mult ? max : mult * iterations;
    return std::max<u128>(200, product / 3);
}

PrecompileOutput run_modexp(BytesView input, int64_t gas) {
    const uint64_t base_len = read_length(input, 0);
    const uint64_t exp_len = read_length(input, 32);
    const uint64_t mod_len = read_length(input, 64);
    const uint64_t exp_offset = sat_add(96, base_len);
    const Bytes exp_head =
        padded64(input, exp_offset, static_cast<size_t>(std::min<uint64_t>(exp_len, 32)));
    const u128 cost = modexp_cost(base_len, exp_len, mod_len, exp_head);
    if (!affordable(cost, gas)) return out_of_gas();
    if (mod_len == 0) return ok(gas, cost, {});
    // Affordable lengths above 4 GiB would need more than 10^16 gas (base or modulus) or 10^10
    // gas (exponent); no chain configuration supplies that, and allocating them is not an option.
    constexpr uint64_t kMaxLen = uint64_t{1} << 32;
    if (base_len > kMaxLen || exp_len > kMaxLen || mod_len > kMaxLen) return out_of_gas();

    const Bytes base = padded(input, 96, static_cast<size_t>(base_len));
    const Bytes exp = padded64(input, exp_offset, static_cast<size_t>(exp_len));
    const Bytes mod = padded64(input, sat_add(exp_offset, exp_len), static_cast<size_t>(mod_len));
    Bytes out(static_cast<size_t>(mod_len), 0);

    BN_CTX* ctx = BN_CTX_new();
    BIGNUM* b = BN_bin2bn(base.data(), static_cast<int>(base.size()), nullptr);
    BIGNUM* e = BN_bin2bn(exp.data(), static_cast<int>(exp.size()), nullptr);
    BIGNUM* m = BN_bin2bn(mod.data(), static_cast<int>(mod.size()), nullptr);
    BIGNUM* r = BN_new();
    bool good = ctx && b && e && m && r;
    if (good && !BN_is_zero(m) && !BN_is_one(m)) {
        good = BN_mod_exp(r, b, e, m, ctx) == 1 &&
               BN_bn2binpad(r, out.data(), static_cast<int>(out.size())) >= 0;
    }
    BN_free(b);
    BN_free(e);
    BN_free(m);
    BN_free(r);
    BN_CTX_free(ctx);
    // A modulus of zero or one gives all zeros. good is false only when OpenSSL cannot allocate.
    if (!good) return {StatusCode::internal_error, 0, {}};
    return ok(gas, cost, std::move(out));
}

PrecompileOutput run_bn_add(BytesView input, int64_t gas) {
    constexpr u128 kCost = 150;
    if (!affordable(kCost, gas)) return out_of_gas();
    auto r = bn254::g1_add(padded(input, 0, 128));
    if (!r) return failure();
    return ok(gas, kCost, Bytes(r->begin(), r->end()));
}

PrecompileOutput run_bn_mul(BytesView input, int64_t gas) {
    constexpr u128 kCost = 6000;
    if (!affordable(kCost, gas)) return out_of_gas();
    auto r = bn254::g1_mul(padded(input, 0, 96));
    if (!r) return failure();
    return ok(gas, kCost, Bytes(r->begin(), r->end()));
}

PrecompileOutput run_bn_pairing(BytesView input, int64_t gas) {
    const u128 cost = 45000 + static_cast<u128>(input.size() / 192) * 34000;
    if (!affordable(cost, gas)) return out_of_gas();
    if (input.size() % 192 != 0) return failure();
    const bn254::PairingResult r = bn254::pairing_check(input);
    if (r == bn254::PairingResult::invalid_input) return failure();
    if (r == bn254::PairingResult::internal_error) return {StatusCode::internal_error, 0, {}};
    Bytes out(32, 0);
    out[31] = r == bn254::PairingResult::one ? 1 : 0;
    return ok(gas, cost, std::move(out));
}

// BLAKE2b compression function F (RFC 7693, section 3.2) with a caller-chosen round count.
constexpr uint64_t kBlakeIv[8] = {
    0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull,
    0x510e527fade682d1ull, 0x9b05688c2b3e6c1full, 0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull};
constexpr uint8_t kSigma[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

uint64_t rotr(uint64_t x, unsigned n) {
    return (x >> n) | (x << (64 - n));
}

uint64_t load_le64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

void blake2b_f(uint32_t rounds, uint64_t h[8], const uint64_t m[16], const uint64_t t[2],
               bool last) {
    uint64_t v[16];
    for (int i = 0; i < 8; ++i) {
        v[i] = h[i];
        v[i + 8] = kBlakeIv[i];
    }
    v[12] ^= t[0];
    v[13] ^= t[1];
    if (last) v[14] = ~v[14];
    auto g = [&v](int a, int b, int c, int d, uint64_t x, uint64_t y) {
        v[a] = v[a] + v[b] + x;
        v[d] = rotr(v[d] ^ v[a], 32);
        v[c] = v[c] + v[d];
        v[b] = rotr(v[b] ^ v[c], 24);
        v[a] = v[a] + v[b] + y;
        v[d] = rotr(v[d] ^ v[a], 16);
        v[c] = v[c] + v[d];
        v[b] = rotr(v[b] ^ v[c], 63);
    };
    for (uint32_t r = 0; r < rounds; ++r) {
        const uint8_t* s = kSigma[r % 10];
        g(0, 4, 8, 12, m[s[0]], m[s[1]]);
        g(1, 5, 9, 13, m[s[2]], m[s[3]]);
        g(2, 6, 10, 14, m[s[4]], m[s[5]]);
        g(3, 7, 11, 15, m[s[6]], m[s[7]]);
        g(0, 5, 10, 15, m[s[8]], m[s[9]]);
        g(1, 6, 11, 12, m[s[10]], m[s[11]]);
        g(2, 7, 8, 13, m[s[12]], m[s[13]]);
        g(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; ++i)
        h[i] ^= v[i] ^ v[i + 8];
}

PrecompileOutput run_blake2f(BytesView input, int64_t gas) {
    // The length is checked before gas (EIP-152): a malformed input fails rather than runs out.
    if (input.size() != 213) return failure();
    const uint32_t rounds = (uint32_t{input[0]} << 24) | (uint32_t{input[1]} << 16) |
                            (uint32_t{input[2]} << 8) | uint32_t{input[3]};
    const u128 cost = rounds;
    if (!affordable(cost, gas)) return out_of_gas();
    const uint8_t final_flag = input[212];
    if (final_flag > 1) return failure();
    uint64_t h[8], m[16], t[2];
    for (int i = 0; i < 8; ++i)
        h[i] = load_le64(input.data() + 4 + 8 * i);
    for (int i = 0; i < 16; ++i)
        m[i] = load_le64(input.data() + 68 + 8 * i);
    t[0] = load_le64(input.data() + 196);
    t[1] = load_le64(input.data() + 204);
    blake2b_f(rounds, h, m, t, final_flag == 1);
    Bytes out(64);
    for (int i = 0; i < 8; ++i) {
        for (int j = 0; j < 8; ++j)
            out[8 * i + j] = static_cast<uint8_t>(h[i] >> (8 * j));
    }
    return ok(gas, cost, std::move(out));
}

}  // namespace

bool is_precompile(const Address& a) noexcept {
    return precompile_id(a) != 0;
}

PrecompileOutput run_precompile(const Address& a, BytesView input, int64_t gas) noexcept {
    try {
        switch (precompile_id(a)) {
            case 1:
                return run_ecrecover(input, gas);
            case 2:
                return run_sha256(input, gas);
            case 3:
                return run_ripemd160(input, gas);
            case 4:
                return run_identity(input, gas);
            case 5:
                return run_modexp(input, gas);
            case 6:
                return run_bn_add(input, gas);
            case 7:
                return run_bn_mul(input, gas);
            case 8:
                return run_bn_pairing(input, gas);
            case 9:
                return run_blake2f(input, gas);
            default:
                return {StatusCode::internal_error, 0, {}};
        }
    } catch (...) {
        // Only allocation can throw here (std::bad_alloc for an output buffer).
        return {StatusCode::internal_error, 0, {}};
    }
}

}  // namespace hc::evm
