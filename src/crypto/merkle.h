// Binary Merkle tree with inclusion proofs that a verifier outside the chain can check.
//
// The structure is RFC 6962 §2.1 (Certificate Transparency; also RFC 9162 §2.1) with Keccak-256
// as the hash:
//   leaf hash  = keccak256(0x00 || leaf)
//   node hash  = keccak256(0x01 || left || right)
//   root(D[n]) = root(D[0:k]) and root(D[k:n]) hashed as a node, k the largest power of two < n
//   root of one leaf = its leaf hash; root of no leaves = keccak256("") (RFC 6962's MTH({})).
// The 0x00/0x01 prefixes keep a leaf from being passed off as an inner node (no second
// preimages), and odd counts are handled by the uneven split, never by duplicating a leaf.
//
// The root does not commit to the number of leaves by itself: for some (index, count) pairs a
// proof made for a tree of n leaves also fits a claimed count n' with the same path shape
// (e.g. index 0 of 3 leaves and of 4). As in Certificate Transparency, where the tree size is
// signed next to the root, a verifier must take leaf_count from an authenticated source if it
// relies on it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/fixed_bytes.h"

namespace hc::crypto {

// A proof that one leaf sits at `index` in a tree of `leaf_count` leaves: the sibling hashes
// from the leaf up to the root (RFC 6962 §2.1.1 PATH order).
struct MerkleProof {
    uint64_t index = 0;
    uint64_t leaf_count = 0;
    std::vector<Hash32> path;

    bool operator==(const MerkleProof&) const = default;
};

// keccak256(0x00 || data).
Hash32 merkle_leaf_hash(BytesView data);
// keccak256(0x01 || left || right).
Hash32 merkle_node_hash(const Hash32& left, const Hash32& right) noexcept;

Hash32 merkle_root(std::span<const Bytes> leaves);
// The same root from leaf hashes already computed with merkle_leaf_hash.
Hash32 merkle_root_from_hashes(std::span<const Hash32> leaf_hashes);

// Fails (Errc::invalid_argument) if index >= leaves.size().
Result<MerkleProof> merkle_prove(std::span<const Bytes> leaves, uint64_t index);
Result<MerkleProof> merkle_prove_from_hashes(std::span<const Hash32> leaf_hashes, uint64_t index);

// True if `proof` shows `leaf` at proof.index in the tree with `root` (RFC 9162 §2.1.3.2).
// Rejects index >= leaf_count, a path too short or too long for (index, leaf_count), and any
// change to the leaf or the path. A changed index is caught unless the tree holds the same
// leaf at both positions (then the claim is true anyway); for leaf_count see the note above.
bool merkle_verify(const Hash32& root, BytesView leaf, const MerkleProof& proof);
bool merkle_verify_hash(const Hash32& root, const Hash32& leaf_hash,
                        const MerkleProof& proof) noexcept;

}  // namespace hc::crypto
