// Keccak-256 (the original Keccak padding used by Ethereum, not NIST SHA3-256).
// It lives in common because addresses (EIP-55) and every layer above hash with it.
#pragma once

#include "common/fixed_bytes.h"

namespace hc {

Hash32 keccak256(BytesView data) noexcept;

// keccak256 of the empty string and of RLP("") (the empty trie root): used across the tree.
extern const Hash32 kEmptyKeccak;
extern const Hash32 kEmptyTrieRoot;

}  // namespace hc
