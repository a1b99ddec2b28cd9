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

// Keccak-f[1600], written out per step (theta, rho+pi, chi, iota) over the 5x5 lane state.
void keccak_f1600(uint64_t a[25]) noexcept {
    constexpr int kRho[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                              25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};
    for (int round = 0; round < 24; ++round) {
        uint64_t c[5], d[5], b[25];
        for (int x = 0; x < 5; ++x)
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        for (int x = 0; x < 5; ++x)
            d[x] = c[(x + 4) % 5] ^ std::rotl(c[(x + 1) % 5], 1);
        for (int i = 0; i < 25; ++i)
            a[i] ^= d[i % 5];
        // rho and pi: B[y][2x+3y] = rot(A[x][y], r[x][y]); lanes indexed x + 5y.
        for (int x = 0; x < 5; ++x)
            for (int y = 0; y < 5; ++y)
                b[y + 5 * ((2 * x + 3 * y) % 5)] = std::rotl(a[x + 5 * y], kRho[x + 5 * y]);
        for (int y = 0; y < 5; ++y)
            for (int x = 0; x < 5; ++x)
                a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
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
