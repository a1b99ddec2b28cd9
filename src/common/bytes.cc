#include "common/bytes.h"

#include <random>

#include "common/fixed_bytes.h"

namespace hc {

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string to_hex(BytesView data, bool with_prefix) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(data.size() * 2 + 2);
    if (with_prefix) out += "0x";
    for (uint8_t b : data) {
        out += kDigits[b >> 4];
        out += kDigits[b & 0xf];
    }
    return out;
}

Result<Bytes> from_hex(std::string_view hex) {
    if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
    if (hex.size() % 2 != 0)
        return make_error(Errc::invalid_argument, "hex string has an odd number of digits (" +
                                                      std::to_string(hex.size()) + ")");
    Bytes out(hex.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return make_error(Errc::invalid_argument, "invalid hex character at position " +
                                                          std::to_string(2 * i + (hi < 0 ? 0 : 1)));
        out[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return out;
}

namespace detail {

uint64_t hash_seed() noexcept {
    static const uint64_t seed = [] {
        std::random_device rd;
        return (uint64_t(rd()) << 32) ^ rd();
    }();
    return seed;
}

}  // namespace detail

}  // namespace hc
