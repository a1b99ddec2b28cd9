// Fixed-size byte arrays: 32-byte hashes, 20-byte addresses. Plain values, ordered and hashable.
#pragma once

#include <array>
#include <bit>
#include <compare>
#include <cstring>
#include <functional>
#include <string>

#include "common/bytes.h"

namespace hc {

template <size_t N>
struct FixedBytes {
    std::array<uint8_t, N> bytes{};

    static constexpr size_t size() noexcept { return N; }
    uint8_t* data() noexcept { return bytes.data(); }
    const uint8_t* data() const noexcept { return bytes.data(); }
    BytesView view() const noexcept { return {bytes.data(), N}; }
    operator BytesView() const noexcept { return view(); }
    uint8_t& operator[](size_t i) noexcept { return bytes[i]; }
    uint8_t operator[](size_t i) const noexcept { return bytes[i]; }
    bool is_zero() const noexcept {
        for (uint8_t b : bytes)
            if (b) return false;
        return true;
    }

    bool operator==(const FixedBytes&) const = default;
    // Byte by byte, as memcmp orders them, but a word at a time: ordered maps keyed by addresses
    // and hashes compare keys on every step, and the library's version calls memcmp for each.
    friend std::strong_ordering operator<=>(const FixedBytes& a, const FixedBytes& b) noexcept {
        size_t i = 0;
        if constexpr (std::endian::native == std::endian::little) {
            for (; i + 8 <= N; i += 8) {
                uint64_t x, y;
                std::memcpy(&x, a.bytes.data() + i, 8);
                std::memcpy(&y, b.bytes.data() + i, 8);
                if (x != y) return __builtin_bswap64(x) <=> __builtin_bswap64(y);
            }
        }
        for (; i < N; ++i)
            if (a.bytes[i] != b.bytes[i]) return a.bytes[i] <=> b.bytes[i];
        return std::strong_ordering::equal;
    }

    std::string hex() const { return to_hex(view()); }

    // REQUIRES nothing: a wrong length is an error, not a truncation.
    static Result<FixedBytes> from_view(BytesView data) {
        if (data.size() != N)
            return make_error(
                Errc::invalid_argument,
                "expected " + std::to_string(N) + " bytes, got " + std::to_string(data.size()));
        FixedBytes out;
        std::memcpy(out.bytes.data(), data.data(), N);
        return out;
    }
    static Result<FixedBytes> from_hex(std::string_view hex) {
        auto raw = hc::from_hex(hex);
        if (!raw) return raw.error();
        return from_view(*raw);
    }
};

using Hash32 = FixedBytes<32>;

}  // namespace hc

namespace hc::detail {
// Per-process random seed for hashing fixed-size byte strings in hash tables.
uint64_t hash_seed() noexcept;
inline uint64_t mix64(uint64_t x) noexcept {  // the splitmix64 finaliser
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
}  // namespace hc::detail

// Every byte counts, under a per-process random seed: addresses are often chosen by users (any
// transfer creates its recipient), so a hash of only the leading bytes would let anyone fill a
// table with colliding keys.
template <size_t N>
struct std::hash<hc::FixedBytes<N>> {
    size_t operator()(const hc::FixedBytes<N>& v) const noexcept {
        uint64_t h = hc::detail::hash_seed() ^ N;
        size_t i = 0;
        for (; i + 8 <= N; i += 8) {
            uint64_t w;
            std::memcpy(&w, v.data() + i, 8);
            h = hc::detail::mix64(h ^ w);
        }
        if (i < N) {
            uint64_t w = 0;
            std::memcpy(&w, v.data() + i, N - i);
            h = hc::detail::mix64(h ^ w);
        }
        return static_cast<size_t>(h);
    }
};
