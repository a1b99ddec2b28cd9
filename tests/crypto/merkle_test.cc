#include "crypto/merkle.h"

#include <gtest/gtest.h>

#include <string>

#include "common/keccak.h"

namespace hc::crypto {
namespace {

// ---- An independent reference: RFC 6962 §2.1 written as literally as possible ----

Hash32 ref_hash(uint8_t prefix, BytesView a, BytesView b = {}) {
    Bytes buf{prefix};
    buf.insert(buf.end(), a.begin(), a.end());
    buf.insert(buf.end(), b.begin(), b.end());
    return keccak256(buf);
}

uint64_t largest_pow2_below(uint64_t n) {  // k < n <= 2k
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

// MTH(D[n]).
Hash32 ref_root(std::span<const Bytes> d) {
    if (d.empty()) return keccak256({});
    if (d.size() == 1) return ref_hash(0x00, d[0]);
    const uint64_t k = largest_pow2_below(d.size());
    return ref_hash(0x01, ref_root(d.subspan(0, k)), ref_root(d.subspan(k)));
}

// PATH(m, D[n]).
std::vector<Hash32> ref_path(uint64_t m, std::span<const Bytes> d) {
    if (d.size() <= 1) return {};
    const uint64_t k = largest_pow2_below(d.size());
    std::vector<Hash32> p;
    if (m < k) {
        p = ref_path(m, d.subspan(0, k));
        p.push_back(ref_root(d.subspan(k)));
    } else {
        p = ref_path(m - k, d.subspan(k));
        p.push_back(ref_root(d.subspan(0, k)));
    }
    return p;
}

std::vector<Bytes> make_leaves(size_t n) {
    std::vector<Bytes> out;
    for (size_t i = 0; i < n; ++i)
        out.push_back(to_bytes("leaf-" + std::to_string(i)));
    return out;
}

// ---- Roots ----

TEST(Merkle, EmptyRootIsKeccakOfEmptyString) {
    EXPECT_EQ(merkle_root({}), kEmptyKeccak);
    EXPECT_EQ(merkle_root_from_hashes({}), kEmptyKeccak);
    // c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470 (Keccak-256 of "").
    EXPECT_EQ(merkle_root({}).hex(),
              "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(Merkle, SingleLeafRootIsItsLeafHash) {
    const std::vector<Bytes> one = {to_bytes("abc")};
    EXPECT_EQ(merkle_root(one), ref_hash(0x00, one[0]));
    EXPECT_NE(merkle_root(one), keccak256(one[0]));  // the 0x00 prefix is there
    const std::vector<Bytes> empty_leaf = {Bytes{}};
    EXPECT_EQ(merkle_root(empty_leaf), keccak256(Bytes{0x00}));
}

// Known answer for three leaves, following RFC 6962's split by hand:
//   root = H(0x01 || H(0x01 || H(0x00||d0) || H(0x00||d1)) || H(0x00||d2))
// i.e. the lone third leaf is paired with the left subtree of two, never duplicated.
TEST(Merkle, ThreeLeavesKnownStructure) {
    const std::vector<Bytes> d = {to_bytes("a"), to_bytes("b"), to_bytes("c")};
    const Hash32 l0 = keccak256(Bytes{0x00, 'a'});
    const Hash32 l1 = keccak256(Bytes{0x00, 'b'});
    const Hash32 l2 = keccak256(Bytes{0x00, 'c'});
    Bytes n01{0x01};
    n01.insert(n01.end(), l0.bytes.begin(), l0.bytes.end());
    n01.insert(n01.end(), l1.bytes.begin(), l1.bytes.end());
    const Hash32 h01 = keccak256(n01);
    Bytes top{0x01};
    top.insert(top.end(), h01.bytes.begin(), h01.bytes.end());
    top.insert(top.end(), l2.bytes.begin(), l2.bytes.end());
    const Hash32 expected = keccak256(top);

    EXPECT_EQ(merkle_root(d), expected);
    EXPECT_EQ(merkle_leaf_hash(d[2]), l2);
    EXPECT_EQ(merkle_node_hash(l0, l1), h01);

    // The proof for the last leaf is just [H(a,b)]; for the first, [H(b), H(c)].
    auto p2 = merkle_prove(d, 2);
    ASSERT_TRUE(p2.ok());
    EXPECT_EQ(p2->path, std::vector<Hash32>{h01});
    auto p0 = merkle_prove(d, 0);
    ASSERT_TRUE(p0.ok());
    EXPECT_EQ(p0->path, (std::vector<Hash32>{l1, l2}));
}

TEST(Merkle, RootsMatchReferenceUpTo17) {
    for (size_t n = 0; n <= 17; ++n) {
        const auto d = make_leaves(n);
        EXPECT_EQ(merkle_root(d), ref_root(d)) << "n=" << n;
        std::vector<Hash32> hashes;
        for (const Bytes& leaf : d)
            hashes.push_back(merkle_leaf_hash(leaf));
        EXPECT_EQ(merkle_root_from_hashes(hashes), ref_root(d)) << "n=" << n;
    }
}

TEST(Merkle, OddCountIsNotDuplication) {
    // A Bitcoin-style tree would give [a,b,c] and [a,b,c,c] the same root.
    const std::vector<Bytes> three = {to_bytes("a"), to_bytes("b"), to_bytes("c")};
    const std::vector<Bytes> four = {to_bytes("a"), to_bytes("b"), to_bytes("c"), to_bytes("c")};
    EXPECT_NE(merkle_root(three), merkle_root(four));
}

TEST(Merkle, LeafCannotPoseAsInnerNode) {
    // Second preimage: presenting the two child hashes as one 64-byte leaf gives another root.
    const std::vector<Bytes> d = {to_bytes("x"), to_bytes("y")};
    Bytes joined;
    for (const Bytes& leaf : d) {
        const Hash32 h = merkle_leaf_hash(leaf);
        joined.insert(joined.end(), h.bytes.begin(), h.bytes.end());
    }
    EXPECT_NE(merkle_root(std::vector<Bytes>{joined}), merkle_root(d));
}

// ---- Proofs ----

TEST(Merkle, EveryProofVerifiesAndMatchesReferencePath) {
    for (size_t n = 1; n <= 33; ++n) {
        const auto d = make_leaves(n);
        const Hash32 root = merkle_root(d);
        for (size_t i = 0; i < n; ++i) {
            auto proof = merkle_prove(d, i);
            ASSERT_TRUE(proof.ok()) << proof.error().to_string();
            EXPECT_EQ(proof->index, i);
            EXPECT_EQ(proof->leaf_count, n);
            EXPECT_EQ(proof->path, ref_path(i, d)) << "n=" << n << " i=" << i;
            EXPECT_TRUE(merkle_verify(root, d[i], *proof)) << "n=" << n << " i=" << i;
            EXPECT_TRUE(merkle_verify_hash(root, merkle_leaf_hash(d[i]), *proof));
        }
    }
}

TEST(Merkle, ProveFromHashesMatches) {
    const auto d = make_leaves(13);
    std::vector<Hash32> hashes;
    for (const Bytes& leaf : d)
        hashes.push_back(merkle_leaf_hash(leaf));
    for (size_t i = 0; i < d.size(); ++i) {
        auto a = merkle_prove(d, i);
        auto b = merkle_prove_from_hashes(hashes, i);
        ASSERT_TRUE(a.ok() && b.ok());
        EXPECT_EQ(*a, *b);
    }
}

TEST(Merkle, ProveOutOfRangeFails) {
    auto r = merkle_prove(make_leaves(5), 5);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_EQ(r.error().message, "leaf index 5 is out of range for 5 leaves");
    EXPECT_FALSE(merkle_prove({}, 0).ok());
    EXPECT_FALSE(merkle_prove_from_hashes({}, 0).ok());
}

TEST(Merkle, TamperingRejected) {
    for (size_t n = 1; n <= 33; ++n) {
        const auto d = make_leaves(n);
        const Hash32 root = merkle_root(d);
        for (size_t i = 0; i < n; ++i) {
            const MerkleProof good = merkle_prove(d, i).value();
            const std::string at = "n=" + std::to_string(n) + " i=" + std::to_string(i);

            // Another leaf's data, or the data changed by one bit.
            if (n > 1) {
                EXPECT_FALSE(merkle_verify(root, d[(i + 1) % n], good)) << at;
            }
            Bytes flipped = d[i];
            flipped[0] ^= 0x01;
            EXPECT_FALSE(merkle_verify(root, flipped, good)) << at;
            // The raw leaf hash instead of the data (prefix confusion).
            EXPECT_FALSE(merkle_verify_hash(root, keccak256(d[i]), good)) << at;

            // Another root.
            Hash32 other_root = root;
            other_root[31] ^= 0x80;
            EXPECT_FALSE(merkle_verify(other_root, d[i], good)) << at;

            // Every other index. Leaves are distinct, so no other position fits.
            for (uint64_t j = 0; j < n + 2; ++j) {
                if (j == i) continue;
                MerkleProof p = good;
                p.index = j;
                EXPECT_FALSE(merkle_verify(root, d[i], p)) << at << " index " << j;
            }

            // Each path entry changed, removed, or an entry added or duplicated.
            for (size_t k = 0; k < good.path.size(); ++k) {
                MerkleProof p = good;
                p.path[k][k % 32] ^= 0x01;
                EXPECT_FALSE(merkle_verify(root, d[i], p)) << at << " path[" << k << "]";
                p = good;
                p.path.erase(p.path.begin() + static_cast<ptrdiff_t>(k));
                EXPECT_FALSE(merkle_verify(root, d[i], p)) << at << " drop " << k;
            }
            for (size_t k = 0; k <= good.path.size(); ++k) {
                MerkleProof p = good;
                p.path.insert(p.path.begin() + static_cast<ptrdiff_t>(k), root);
                EXPECT_FALSE(merkle_verify(root, d[i], p)) << at << " insert at " << k;
            }
            if (good.path.size() >= 2) {
                MerkleProof p = good;
                std::swap(p.path[0], p.path[1]);
                EXPECT_FALSE(merkle_verify(root, d[i], p)) << at << " swapped";
            }

            // Counts that make the path the wrong length for this index are caught by shape
            // alone (see the note in merkle.h for counts with the same shape).
            for (uint64_t m :
                 {uint64_t{0}, uint64_t{i}, uint64_t{n} * 2 + 1, uint64_t{1} << 40, ~uint64_t{0}}) {
                MerkleProof p = good;
                p.leaf_count = m;
                if (m == n) continue;
                EXPECT_FALSE(merkle_verify(root, d[i], p)) << at << " count " << m;
            }
        }
    }
}

// The sides on which PATH(m, D[n]) hashes its siblings in, bottom up (true: sibling on the
// right), following RFC 6962's recursion rather than the verifier's bit arithmetic.
std::vector<bool> ref_sides(uint64_t m, uint64_t n) {
    if (n <= 1) return {};
    const uint64_t k = largest_pow2_below(n);
    std::vector<bool> s = m < k ? ref_sides(m, k) : ref_sides(m - k, n - k);
    s.push_back(m < k);
    return s;
}

// Every wrong count is rejected unless it gives the very same path shape (same length, same
// sides at every level): then the computation is identical and only an authenticated count can
// tell them apart (see merkle.h).
TEST(Merkle, WrongCountRejectedUnlessShapeIsIdentical) {
    size_t accepted = 0, rejected = 0;
    for (uint64_t n = 1; n <= 20; ++n) {
        const auto d = make_leaves(n);
        const Hash32 root = merkle_root(d);
        for (uint64_t i = 0; i < n; ++i) {
            const MerkleProof good = merkle_prove(d, i).value();
            for (uint64_t m = 1; m <= 40; ++m) {
                if (m == n) continue;
                MerkleProof p = good;
                p.leaf_count = m;
                const bool ok = merkle_verify(root, d[i], p);
                const bool same_shape = i < m && ref_sides(i, m) == ref_sides(i, n);
                EXPECT_EQ(ok, same_shape) << "n=" << n << " i=" << i << " m=" << m;
                ok ? ++accepted : ++rejected;
            }
        }
    }
    // Both occur: same-shape counts are common (any count in the same power-of-two band for
    // leaves on the left edge), which is why leaf_count must come from an authenticated source.
    EXPECT_GT(rejected, 0u);
    EXPECT_GT(accepted, 0u);
    // The documented case: index 0 of 3 leaves has the shape of index 0 of 4.
    const auto d3 = make_leaves(3);
    MerkleProof p = merkle_prove(d3, 0).value();
    p.leaf_count = 4;
    EXPECT_TRUE(merkle_verify(merkle_root(d3), d3[0], p));
}

TEST(Merkle, DuplicateLeavesShareProofs) {
    // Not a forgery: the same data really is at both positions.
    const std::vector<Bytes> d = {to_bytes("same"), to_bytes("same")};
    MerkleProof p = merkle_prove(d, 0).value();
    p.index = 1;
    EXPECT_TRUE(merkle_verify(merkle_root(d), d[1], p));
}

TEST(Merkle, OverlongPathRejected) {
    const auto d = make_leaves(4);
    MerkleProof p = merkle_prove(d, 1).value();
    p.path.resize(100000, Hash32{});
    EXPECT_FALSE(merkle_verify(merkle_root(d), d[1], p));
}

}  // namespace
}  // namespace hc::crypto
