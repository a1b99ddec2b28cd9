// The Ethereum Merkle-Patricia trie (Yellow Paper appendix D): roots, Merkle proofs, ordering.
//
// Trie is an in-memory, incrementally hashed trie: every node caches its reference (its RLP when
// that is under 32 bytes, else its keccak256), and a mutation clears the cache only along the
// path it touched, so root() after a block's changes costs in proportion to those changes.
// Shapes are canonical: after any sequence of puts and erases the trie has exactly the nodes a
// trie built from its final contents has, so roots are independent of history.
//
// Keys are byte strings of any length; values are non-empty byte strings (an empty value means
// "absent", as in Ethereum). Recursion depth is bounded by twice the key length in nibbles;
// keys here are hashes, addresses or small RLP integers.
//
// Not safe for concurrent use; a Trie is a value owned by one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/fixed_bytes.h"

namespace hc::trie {

namespace detail {
struct Node;
struct NodeDeleter {
    void operator()(Node* n) const noexcept;
};
using NodePtr = std::unique_ptr<Node, NodeDeleter>;
}  // namespace detail

class Trie {
  public:
    Trie() = default;
    Trie(Trie&&) noexcept = default;
    Trie& operator=(Trie&&) noexcept = default;
    Trie(const Trie&) = delete;
    Trie& operator=(const Trie&) = delete;

    // Sets key to value. An empty value erases the key (Ethereum tries hold no empty values).
    void put(BytesView key, BytesView value) noexcept;
    // Removes key and collapses the nodes around it; returns whether it was present.
    bool erase(BytesView key) noexcept;
    // The value stored at key. The view is valid until the next put/erase/clear.
    std::optional<BytesView> get(BytesView key) const noexcept;

    size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    void clear() noexcept;

    // keccak256 of the root node's RLP; kEmptyTrieRoot when empty. Rehashes only the nodes changed
    // since the last call (non-const because it fills those caches).
    Hash32 root() noexcept;

    // A Merkle proof for key, as eth_getProof gives it: the RLP encodings of the nodes on the path
    // to key, root first, listing the root and each node referenced by hash (nodes under 32 bytes
    // sit inside their parent's encoding). It proves presence or absence; check it with
    // verify_proof(). Empty for an empty trie.
    std::vector<Bytes> prove(BytesView key) noexcept;

    // Ordered iteration in bytewise key order: the smallest stored key strictly greater than key,
    // and the largest strictly less. Start with get({}) and next_key({}) to visit every key.
    std::optional<Bytes> next_key(BytesView key) const noexcept;
    std::optional<Bytes> prev_key(BytesView key) const noexcept;

  private:
    detail::NodePtr root_;
    size_t size_ = 0;
    Bytes scratch_;  // encoding buffer kept between root() calls to spare allocations
};

// The secure form used for the state and storage tries: each key is replaced by keccak256(key).
// To check a proof from prove(key), call verify_proof(root, keccak256(key), proof).
class SecureTrie {
  public:
    void put(BytesView key, BytesView value) noexcept;
    bool erase(BytesView key) noexcept;
    std::optional<BytesView> get(BytesView key) const noexcept;
    size_t size() const noexcept { return trie_.size(); }
    bool empty() const noexcept { return trie_.empty(); }
    void clear() noexcept { trie_.clear(); }
    Hash32 root() noexcept { return trie_.root(); }
    std::vector<Bytes> prove(BytesView key) noexcept;
    // The underlying trie, keyed by hashes (for callers that already hold keccak256(key)).
    Trie& hashed() noexcept { return trie_; }

  private:
    Trie trie_;
};

// Checks a proof (from Trie::prove or eth_getProof, nodes in path order, root first) against
// root. Returns the value at key, nullopt if the proof shows key is absent, or an error if the
// proof is malformed, incomplete, has unused nodes, or does not hash up to root.
Result<std::optional<Bytes>> verify_proof(const Hash32& root, BytesView key,
                                          std::span<const Bytes> proof);

// One-shot roots. Entries with empty values are absent.
Hash32 trie_root(const std::map<Bytes, Bytes>& entries);
// The transactions/receipts root of a block: value i sits at key rlp(i).
Hash32 ordered_trie_root(std::span<const Bytes> values);

}  // namespace hc::trie
