// 20-byte account addresses with EIP-55 mixed-case checksums.
#pragma once

#include <string>
#include <string_view>

#include "common/fixed_bytes.h"

namespace hc {

using Address = FixedBytes<20>;

// "0x" + EIP-55 checksummed hex.
std::string to_checksum_address(const Address& address);

// Parses "0x" + 40 hex digits. All-lower or all-upper input is accepted as is; mixed case must
// be a valid EIP-55 checksum (a mistyped address is rejected rather than silently used).
Result<Address> parse_address(std::string_view text);

// The address of a 64-byte uncompressed public key (x || y): the last 20 bytes of its keccak.
Address address_from_public_key(BytesView public_key64);

}  // namespace hc
