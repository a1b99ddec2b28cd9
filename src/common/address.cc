#include "common/address.h"

#include <cctype>

#include "common/keccak.h"

namespace hc {

std::string to_checksum_address(const Address& address) {
    std::string lower = to_hex(address.view(), false);
    Hash32 h = keccak256(as_bytes(lower));
    std::string out = "0x";
    for (size_t i = 0; i < lower.size(); ++i) {
        char c = lower[i];
        int nibble = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0xf);
        out += (std::isalpha(static_cast<unsigned char>(c)) && nibble >= 8)
                   ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                   : c;
    }
    return out;
}

Result<Address> parse_address(std::string_view text) {
    if (text.size() != 42 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
        return make_error(Errc::invalid_argument,
                          "an address is 0x followed by 40 hex digits, got \"" +
                              std::string(text.substr(0, 64)) + "\"");
    auto addr = Address::from_hex(text);
    if (!addr) return addr.error();
    bool has_lower = false, has_upper = false;
    for (char c : text.substr(2)) {
        has_lower |= (c >= 'a' && c <= 'f');
        has_upper |= (c >= 'A' && c <= 'F');
    }
    if (has_lower && has_upper && to_checksum_address(*addr).substr(2) != text.substr(2))
        return make_error(Errc::invalid_argument,
                          "address " + std::string(text) +
                              " has an invalid EIP-55 checksum (mistyped? expected " +
                              to_checksum_address(*addr) + ")");
    return addr;
}

Address address_from_public_key(BytesView public_key64) {
    Hash32 h = keccak256(public_key64);
    Address out;
    std::memcpy(out.data(), h.data() + 12, 20);
    return out;
}

}  // namespace hc
