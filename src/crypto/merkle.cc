#include "crypto/merkle.h"

#include <cstring>
#include <string>

#include "common/keccak.h"

namespace hc::crypto {

namespace {

// RFC 6962's recursive split equals a bottom-up build in which, at each level, adjacent nodes
// are paired and an unpaired last node is carried up unchanged. Building bottom-up needs no
// recursion and visits each node once.
void next_level(std::vector<Hash32>& level) noexcept {
    const size_t n = level.size();
    size_t out = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        level[out++] = merkle_node_hash(level[i], level[i + 1]);
    if (n % 2 == 1) level[out++] = level[n - 1];
    level.resize(out);
}

std::vector<Hash32> hash_leaves(std::span<const Bytes> leaves) {
    std::vector<Hash32> out;
    out.reserve(leaves.size());
    for (const Bytes& leaf : leaves)
        out.push_back(merkle_leaf_hash(leaf));
    return out;
}

}  // namespace

Hash32 merkle_leaf_hash(BytesView data) {
    Bytes buf(data.size() + 1);
    buf[0] = 0x00;
    if (!data.empty()) std::memcpy(buf.data() + 1, data.data(), data.size());
    return keccak256(buf);
}

Hash32 merkle_node_hash(const Hash32& left, const Hash32& right) noexcept {
    uint8_t buf[1 + 2 * Hash32::size()];
    buf[0] = 0x01;
    std::memcpy(buf + 1, left.data(), Hash32::size());
    std::memcpy(buf + 1 + Hash32::size(), right.data(), Hash32::size());
    return keccak256(BytesView(buf, sizeof buf));
}

Hash32 merkle_root_from_hashes(std::span<const Hash32> leaf_hashes) {
    if (leaf_hashes.empty()) return keccak256({});
    std::vector<Hash32> level(leaf_hashes.begin(), leaf_hashes.end());
    while (level.size() > 1)
        next_level(level);
    return level[0];
}

Hash32 merkle_root(std::span<const Bytes> leaves) {
    if (leaves.empty()) return keccak256({});
    return merkle_root_from_hashes(hash_leaves(leaves));
}

Result<MerkleProof> merkle_prove_from_hashes(std::span<const Hash32> leaf_hashes, uint64_t index) {
    if (index >= leaf_hashes.size())
        return make_error(Errc::invalid_argument,
                          "leaf index " + std::to_string(index) + " is out of range for " +
                              std::to_string(leaf_hashes.size()) + " leaves");
    MerkleProof proof;
    proof.index = index;
    proof.leaf_count = leaf_hashes.size();
    std::vector<Hash32> level(leaf_hashes.begin(), leaf_hashes.end());
    uint64_t i = index;
    while (level.size() > 1) {
        const uint64_t sibling = i ^ 1;
        // No sibling: the node is carried up as is and contributes no path entry.
        if (sibling < level.size()) proof.path.push_back(level[sibling]);
        next_level(level);
        i >>= 1;
    }
    return proof;
}

Result<MerkleProof> merkle_prove(std::span<const Bytes> leaves, uint64_t index) {
    if (index >= leaves.size())
        return make_error(Errc::invalid_argument, "leaf index " + std::to_string(index) +
                                                      " is out of range for " +
                                                      std::to_string(leaves.size()) + " leaves");
    return merkle_prove_from_hashes(hash_leaves(leaves), index);
}

bool merkle_verify_hash(const Hash32& root, const Hash32& leaf_hash,
                        const MerkleProof& proof) noexcept {
    // RFC 9162 §2.1.3.2. fn walks the leaf's position up the tree, sn the last node's; when
    // fn == sn and fn is a left child, the node has no sibling at that level and is carried up.
    if (proof.index >= proof.leaf_count) return false;
    uint64_t fn = proof.index;
    uint64_t sn = proof.leaf_count - 1;
    Hash32 r = leaf_hash;
    for (const Hash32& p : proof.path) {
        if (sn == 0) return false;  // path longer than the tree is tall
        if ((fn & 1) == 1 || fn == sn) {
            r = merkle_node_hash(p, r);
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            r = merkle_node_hash(r, p);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && r == root;  // sn != 0: path too short
}

bool merkle_verify(const Hash32& root, BytesView leaf, const MerkleProof& proof) {
    return merkle_verify_hash(root, merkle_leaf_hash(leaf), proof);
}

}  // namespace hc::crypto
