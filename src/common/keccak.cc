#include "common/keccak.h"

#include <bit>
#include <cstring>

namespace hc {

namespace {

constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

// Keccak-f[1600]. Each round is written out lane by lane (theta, rho+pi, chi, iota over the 5x5
// lanes, indexed x + 5y) so the compiler keeps the state in registers; a loop over (x, y) with
// modular indices ran about twice as slow. Generated from the specification's rho offsets and
// pi mapping B[y][2x+3y] = rot(A[x][y] ^ D[x], r[x][y]).
//
// GCC builds a second copy for x86-64-v3 (AVX2, BMI1/2: `andn` for chi's ~b & c, `rorx` for the
// rotations) and the loader picks it on a CPU that has them: 25 % faster on this project's
// machine (crypto_bench, docs/performance.md); the portable copy runs everywhere else.
// Not under ThreadSanitizer: the loader runs the clone's resolver before the sanitizer's runtime
// is set up, and the instrumented resolver crashes every binary at load.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("default", "arch=x86-64-v3")))
#endif
void keccak_f1600(uint64_t a[25]) noexcept {
    for (int round = 0; round < 24; ++round) {
        const uint64_t c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];
        const uint64_t c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];
        const uint64_t c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];
        const uint64_t c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];
        const uint64_t c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];
        const uint64_t d0 = c4 ^ std::rotl(c1, 1);
        const uint64_t d1 = c0 ^ std::rotl(c2, 1);
        const uint64_t d2 = c1 ^ std::rotl(c3, 1);
        const uint64_t d3 = c2 ^ std::rotl(c4, 1);
        const uint64_t d4 = c3 ^ std::rotl(c0, 1);
        const uint64_t b0 = a[0] ^ d0;
        const uint64_t b1 = std::rotl(a[6] ^ d1, 44);
        const uint64_t b2 = std::rotl(a[12] ^ d2, 43);
        const uint64_t b3 = std::rotl(a[18] ^ d3, 21);
        const uint64_t b4 = std::rotl(a[24] ^ d4, 14);
        const uint64_t b5 = std::rotl(a[3] ^ d3, 28);
        const uint64_t b6 = std::rotl(a[9] ^ d4, 20);
        const uint64_t b7 = std::rotl(a[10] ^ d0, 3);
        const uint64_t b8 = std::rotl(a[16] ^ d1, 45);
        const uint64_t b9 = std::rotl(a[22] ^ d2, 61);
        const uint64_t b10 = std::rotl(a[1] ^ d1, 1);
        const uint64_t b11 = std::rotl(a[7] ^ d2, 6);
        const uint64_t b12 = std::rotl(a[13] ^ d3, 25);
        const uint64_t b13 = std::rotl(a[19] ^ d4, 8);
        const uint64_t b14 = std::rotl(a[20] ^ d0, 18);
        const uint64_t b15 = std::rotl(a[4] ^ d4, 27);
        const uint64_t b16 = std::rotl(a[5] ^ d0, 36);
        const uint64_t b17 = std::rotl(a[11] ^ d1, 10);
        const uint64_t b18 = std::rotl(a[17] ^ d2, 15);
        const uint64_t b19 = std::rotl(a[23] ^ d3, 56);
        const uint64_t b20 = std::rotl(a[2] ^ d2, 62);
        const uint64_t b21 = std::rotl(a[8] ^ d3, 55);
        const uint64_t b22 = std::rotl(a[14] ^ d4, 39);
        const uint64_t b23 = std::rotl(a[15] ^ d0, 41);
        const uint64_t b24 = std::rotl(a[21] ^ d1, 2);
        a[0] = b0 ^ (~b1 & b2);
        a[1] = b1 ^ (~b2 & b3);
        a[2] = b2 ^ (~b3 & b4);
        a[3] = b3 ^ (~b4 & b0);
        a[4] = b4 ^ (~b0 & b1);
        a[5] = b5 ^ (~b6 & b7);
        a[6] = b6 ^ (~b7 & b8);
        a[7] = b7 ^ (~b8 & b9);
        a[8] = b8 ^ (~b9 & b5);
        a[9] = b9 ^ (~b5 & b6);
        a[10] = b10 ^ (~b11 & b12);
        a[11] = b11 ^ (~b12 & b13);
        a[12] = b12 ^ (~b13 & b14);
        a[13] = b13 ^ (~b14 & b10);
        a[14] = b14 ^ (~b10 & b11);
        a[15] = b15 ^ (~b16 & b17);
        a[16] = b16 ^ (~b17 & b18);
        a[17] = b17 ^ (~b18 & b19);
        a[18] = b18 ^ (~b19 & b15);
        a[19] = b19 ^ (~b15 & b16);
        a[20] = b20 ^ (~b21 & b22);
        a[21] = b21 ^ (~b22 & b23);
        a[22] = b22 ^ (~b23 & b24);
        a[23] = b23 ^ (~b24 & b20);
        a[24] = b24 ^ (~b20 & b21);
        a[0] ^= kRoundConstants[round];
    }
}

inline uint64_t load_le64(const uint8_t* p) noexcept {
    uint64_t v;
    std::memcpy(&v, p, 8);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    return v;
}

}  // namespace

Hash32 keccak256(BytesView data) noexcept {
    constexpr size_t kRate = 136;  // 1600 - 2*256 bits
    uint64_t state[25] = {};
    const uint8_t* p = data.data();
    size_t len = data.size();
    while (len >= kRate) {
        for (size_t i = 0; i < kRate / 8; ++i)
            state[i] ^= load_le64(p + 8 * i);
        keccak_f1600(state);
        p += kRate;
        len -= kRate;
    }
    uint8_t block[kRate] = {};
    if (len) std::memcpy(block, p, len);
    block[len] ^= 0x01;  // Keccak padding (SHA3 would use 0x06)
    block[kRate - 1] ^= 0x80;
    for (size_t i = 0; i < kRate / 8; ++i)
        state[i] ^= load_le64(block + 8 * i);
    keccak_f1600(state);

    Hash32 out;
    for (size_t i = 0; i < 4; ++i) {
        uint64_t v = state[i];
        if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
        std::memcpy(out.data() + 8 * i, &v, 8);
    }
    return out;
}

const Hash32 kEmptyKeccak = keccak256({});
const Hash32 kEmptyTrieRoot = keccak256(BytesView{reinterpret_cast<const uint8_t*>("\x80"), 1});

}  // namespace hc
