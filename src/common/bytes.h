// Byte strings and hex: the currency of every codec, hash and signature.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace hc {

using Bytes = std::vector<uint8_t>;
using BytesView = std::span<const uint8_t>;

inline BytesView as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline Bytes to_bytes(std::string_view s) {
    return Bytes(s.begin(), s.end());
}

// The value of one hex digit (either case), or -1 if c is not one.
int hex_digit(char c) noexcept;

// Lower-case hex; with_prefix adds "0x".
std::string to_hex(BytesView data, bool with_prefix = true);

// Decodes hex with or without a "0x" prefix. Digits may be upper or lower case.
// Fails on odd length or a non-hex character, saying where.
Result<Bytes> from_hex(std::string_view hex);

}  // namespace hc
