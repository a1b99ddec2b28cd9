#include "trie/trie.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "codec/rlp.h"
#include "common/keccak.h"

namespace hc::trie {
namespace detail {

enum class Kind : uint8_t { leaf, extension, branch };

// Paths inside nodes are stored one nibble per byte: simpler and faster to split and join than
// packed nibbles, and paths are short (at most 64 nibbles for 32-byte keys).
struct Node {
    explicit Node(Kind k) noexcept : kind(k) {}
    Kind kind;
    // The node's reference in its parent: its RLP if under 32 bytes, else its keccak256.
    // ref_len == 0 means "changed since last hashed" (no node encodes to zero bytes).
    uint8_t ref_len = 0;
    std::array<uint8_t, 32> ref;

    void mark_dirty() noexcept { ref_len = 0; }
};

struct Leaf final : Node {
    Leaf() noexcept : Node(Kind::leaf) {}
    Bytes data;  // the path nibbles, then the value: one allocation for both
    size_t path_len = 0;

    BytesView path() const noexcept { return {data.data(), path_len}; }
    BytesView value() const noexcept { return BytesView(data).subspan(path_len); }
};

struct Extension final : Node {
    Extension() noexcept : Node(Kind::extension) {}
    Bytes path;     // never empty
    NodePtr child;  // always a branch in a canonical trie
};

struct Branch final : Node {
    Branch() noexcept : Node(Kind::branch) {}
    std::array<NodePtr, 16> children;
    Bytes value;  // empty: no key ends here
};

void NodeDeleter::operator()(Node* n) const noexcept {
    switch (n->kind) {
        case Kind::leaf:
            delete static_cast<Leaf*>(n);
            break;
        case Kind::extension:
            delete static_cast<Extension*>(n);
            break;
        case Kind::branch:
            delete static_cast<Branch*>(n);
            break;
    }
}

}  // namespace detail

namespace {

using detail::Branch;
using detail::Extension;
using detail::Kind;
using detail::Leaf;
using detail::Node;
using detail::NodePtr;

// A key read as nibbles, high nibble first, without copying it.
struct Nibbles {
    BytesView key;
    size_t size() const noexcept { return key.size() * 2; }
    uint8_t operator[](size_t i) const noexcept {
        uint8_t b = key[i >> 1];
        return (i & 1) ? (b & 0x0f) : (b >> 4);
    }
};

template <typename T>
T* as(const NodePtr& p) noexcept {
    return static_cast<T*>(p.get());
}
template <typename T>
const T* as(const Node* p) noexcept {
    return static_cast<const T*>(p);
}

bool equal(BytesView a, BytesView b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Length of the common prefix of a stored nibble path and key[pos..].
size_t common_prefix(BytesView path, const Nibbles& key, size_t pos) noexcept {
    size_t n = std::min(path.size(), key.size() - pos);
    size_t i = 0;
    while (i < n && path[i] == key[pos + i])
        ++i;
    return i;
}

void append_nibbles(Bytes& out, const Nibbles& key, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i)
        out.push_back(key[i]);
}

NodePtr make_leaf(const Nibbles& key, size_t pos, BytesView value) {
    auto* leaf = new Leaf;
    leaf->data.reserve(key.size() - pos + value.size());
    append_nibbles(leaf->data, key, pos, key.size());
    leaf->path_len = leaf->data.size();
    leaf->data.insert(leaf->data.end(), value.begin(), value.end());
    return NodePtr(leaf);
}

NodePtr make_extension(Bytes path, NodePtr child) {
    auto* ext = new Extension;
    ext->path = std::move(path);
    ext->child = std::move(child);
    return NodePtr(ext);
}

// ---- Mutation ----

enum class Put { unchanged, updated, inserted };

// Puts key[pos..] -> value into the subtree at slot. REQUIRES: value is not empty.
Put insert(NodePtr& slot, const Nibbles& key, size_t pos, BytesView value) {
    if (!slot) {
        slot = make_leaf(key, pos, value);
        return Put::inserted;
    }
    const size_t rest = key.size() - pos;
    switch (slot->kind) {
        case Kind::branch: {
            auto* b = as<Branch>(slot);
            Put r;
            if (pos == key.size()) {
                if (equal(b->value, value)) return Put::unchanged;
                r = b->value.empty() ? Put::inserted : Put::updated;
                b->value.assign(value.begin(), value.end());
            } else {
                r = insert(b->children[key[pos]], key, pos + 1, value);
                if (r == Put::unchanged) return r;
            }
            b->mark_dirty();
            return r;
        }
        case Kind::extension: {
            auto* ext = as<Extension>(slot);
            const size_t plen = ext->path.size();
            const size_t c = common_prefix(ext->path, key, pos);
            if (c == plen) {
                Put r = insert(ext->child, key, pos + plen, value);
                if (r != Put::unchanged) ext->mark_dirty();
                return r;
            }
            // The key leaves the extension's path at nibble c: split there with a branch.
            NodePtr branch(new Branch);
            auto* b = as<Branch>(branch);
            const uint8_t idx = ext->path[c];
            if (plen - c - 1 > 0) {
                ext->path.erase(ext->path.begin(), ext->path.begin() + c + 1);
                ext->mark_dirty();
                b->children[idx] = std::move(slot);
            } else {
                b->children[idx] = std::move(ext->child);
                slot.reset();
            }
            if (c == rest)
                b->value.assign(value.begin(), value.end());
            else
                b->children[key[pos + c]] = make_leaf(key, pos + c + 1, value);
            if (c > 0) {
                Bytes prefix;
                append_nibbles(prefix, key, pos, pos + c);
                slot = make_extension(std::move(prefix), std::move(branch));
            } else {
                slot = std::move(branch);
            }
            return Put::inserted;
        }
        case Kind::leaf: {
            auto* leaf = as<Leaf>(slot);
            const size_t plen = leaf->path_len;
            const size_t c = common_prefix(leaf->path(), key, pos);
            if (c == plen && c == rest) {
                if (equal(leaf->value(), value)) return Put::unchanged;
                leaf->data.resize(plen);
                leaf->data.insert(leaf->data.end(), value.begin(), value.end());
                leaf->mark_dirty();
                return Put::updated;
            }
            // The two keys part at nibble c: a branch there holds both.
            NodePtr branch(new Branch);
            auto* b = as<Branch>(branch);
            if (c == plen) {
                BytesView old = leaf->value();
                b->value.assign(old.begin(), old.end());
                slot.reset();
            } else {
                const uint8_t idx = leaf->data[c];
                leaf->data.erase(leaf->data.begin(), leaf->data.begin() + c + 1);
                leaf->path_len -= c + 1;
                leaf->mark_dirty();
                b->children[idx] = std::move(slot);
            }
            if (c == rest)
                b->value.assign(value.begin(), value.end());
            else
                b->children[key[pos + c]] = make_leaf(key, pos + c + 1, value);
            if (c > 0) {
                Bytes prefix;
                append_nibbles(prefix, key, pos, pos + c);
                slot = make_extension(std::move(prefix), std::move(branch));
            } else {
                slot = std::move(branch);
            }
            return Put::inserted;
        }
    }
    return Put::unchanged;
}

// Prepends nibbles to the path of a leaf or extension.
void prepend_path(Node* n, BytesView nibbles) {
    if (n->kind == Kind::leaf) {
        auto* leaf = static_cast<Leaf*>(n);
        leaf->data.insert(leaf->data.begin(), nibbles.begin(), nibbles.end());
        leaf->path_len += nibbles.size();
    } else {
        auto* ext = static_cast<Extension*>(n);
        ext->path.insert(ext->path.begin(), nibbles.begin(), nibbles.end());
    }
    n->mark_dirty();
}

// After a removal below it, an extension whose child stopped being a branch merges with it.
void normalize_extension(NodePtr& slot) {
    auto* ext = as<Extension>(slot);
    if (!ext->child) {
        slot.reset();
        return;
    }
    if (ext->child->kind == Kind::branch) {
        ext->mark_dirty();
        return;
    }
    prepend_path(ext->child.get(), ext->path);
    slot = std::move(ext->child);  // releases the child before deleting ext
}

// After a removal in it, a branch left with one entry becomes a leaf or an extension.
void normalize_branch(NodePtr& slot) {
    auto* b = as<Branch>(slot);
    b->mark_dirty();
    int count = 0, last = -1;
    for (int i = 0; i < 16; ++i) {
        if (b->children[i]) {
            ++count;
            last = i;
        }
    }
    if (count + (b->value.empty() ? 0 : 1) >= 2) return;
    if (count == 0) {
        if (b->value.empty()) {
            slot.reset();
            return;
        }
        auto* leaf = new Leaf;
        leaf->data = std::move(b->value);
        slot.reset(leaf);
        return;
    }
    NodePtr child = std::move(b->children[last]);
    const uint8_t nibble = static_cast<uint8_t>(last);
    if (child->kind == Kind::branch) {
        slot = make_extension(Bytes{nibble}, std::move(child));
    } else {
        prepend_path(child.get(), BytesView(&nibble, 1));
        slot = std::move(child);
    }
}

bool remove(NodePtr& slot, const Nibbles& key, size_t pos) {
    if (!slot) return false;
    switch (slot->kind) {
        case Kind::leaf: {
            auto* leaf = as<Leaf>(slot);
            if (leaf->path_len != key.size() - pos) return false;
            if (common_prefix(leaf->path(), key, pos) != leaf->path_len) return false;
            slot.reset();
            return true;
        }
        case Kind::extension: {
            auto* ext = as<Extension>(slot);
            const size_t plen = ext->path.size();
            if (common_prefix(ext->path, key, pos) != plen) return false;
            if (!remove(ext->child, key, pos + plen)) return false;
            normalize_extension(slot);
            return true;
        }
        case Kind::branch: {
            auto* b = as<Branch>(slot);
            if (pos == key.size()) {
                if (b->value.empty()) return false;
                b->value.clear();
            } else {
                if (!remove(b->children[key[pos]], key, pos + 1)) return false;
            }
            normalize_branch(slot);
            return true;
        }
    }
    return false;
}

// ---- Encoding and hashing ----

// Hex-prefix encoding (Yellow Paper appendix C) of a nibble path: a flag nibble (2 for a leaf,
// +1 for odd length), a pad nibble when even, then the path packed two nibbles a byte.
size_t hp_len(size_t path_len) noexcept {
    return path_len / 2 + 1;
}

size_t hp_rlp_size(size_t path_len) noexcept {
    size_t len = hp_len(path_len);
    // A one-byte HP is 0x00..0x3f, which RLP encodes as itself.
    return len == 1 ? 1 : rlp::header_size(len) + len;
}

void append_hp(Bytes& out, BytesView path, bool leaf) {
    const size_t len = hp_len(path.size());
    if (len > 1) rlp::append_string_header(out, len);
    const bool odd = path.size() & 1;
    uint8_t first = static_cast<uint8_t>(((leaf ? 2 : 0) + (odd ? 1 : 0)) << 4);
    size_t i = 0;
    if (odd) first |= path[i++];
    out.push_back(first);
    for (; i < path.size(); i += 2)
        out.push_back(static_cast<uint8_t>(path[i] << 4 | path[i + 1]));
}

size_t ref_size(const Node* n) noexcept {
    if (!n) return 1;
    return n->ref_len == 32 ? 33 : n->ref_len;
}

void append_ref(Bytes& out, const Node* n) {
    if (!n) {
        out.push_back(0x80);
        return;
    }
    if (n->ref_len == 32) out.push_back(0x80 + 32);
    out.insert(out.end(), n->ref.begin(), n->ref.begin() + n->ref_len);
}

// Appends the node's RLP. REQUIRES: the references of its children are up to date.
void encode(const Node& n, Bytes& out) {
    switch (n.kind) {
        case Kind::leaf: {
            const auto& leaf = static_cast<const Leaf&>(n);
            rlp::append_list_header(
                out, hp_rlp_size(leaf.path_len) + rlp::encoded_string_size(leaf.value()));
            append_hp(out, leaf.path(), true);
            rlp::append_string(out, leaf.value());
            return;
        }
        case Kind::extension: {
            const auto& ext = static_cast<const Extension&>(n);
            rlp::append_list_header(out, hp_rlp_size(ext.path.size()) + ref_size(ext.child.get()));
            append_hp(out, ext.path, false);
            append_ref(out, ext.child.get());
            return;
        }
        case Kind::branch: {
            const auto& b = static_cast<const Branch&>(n);
            size_t payload = rlp::encoded_string_size(b.value);
            for (const auto& c : b.children)
                payload += ref_size(c.get());
            rlp::append_list_header(out, payload);
            for (const auto& c : b.children)
                append_ref(out, c.get());
            rlp::append_string(out, b.value);
            return;
        }
    }
}

// Brings n's cached reference (and those of its changed descendants) up to date.
void update_ref(Node& n, Bytes& scratch) {
    if (n.ref_len != 0) return;
    if (n.kind == Kind::branch) {
        for (auto& c : static_cast<Branch&>(n).children)
            if (c) update_ref(*c, scratch);
    } else if (n.kind == Kind::extension) {
        update_ref(*static_cast<Extension&>(n).child, scratch);
    }
    // Children are done with scratch before the parent uses it, so one buffer serves the walk.
    scratch.clear();
    encode(n, scratch);
    if (scratch.size() < 32) {
        std::memcpy(n.ref.data(), scratch.data(), scratch.size());
        n.ref_len = static_cast<uint8_t>(scratch.size());
    } else {
        Hash32 h = keccak256(scratch);
        std::memcpy(n.ref.data(), h.data(), 32);
        n.ref_len = 32;
    }
}

// ---- Ordered iteration ----

// Appends the nibbles of the smallest (largest when !lowest) key under n.
void extreme_key(const Node* n, Bytes& path, bool lowest) {
    while (true) {
        switch (n->kind) {
            case Kind::leaf: {
                BytesView p = as<Leaf>(n)->path();
                path.insert(path.end(), p.begin(), p.end());
                return;
            }
            case Kind::extension: {
                const auto* ext = as<Extension>(n);
                path.insert(path.end(), ext->path.begin(), ext->path.end());
                n = ext->child.get();
                break;
            }
            case Kind::branch: {
                const auto* b = as<Branch>(n);
                // A key ending at the branch is a prefix of, so smaller than, all below it.
                if (lowest && !b->value.empty()) return;
                const Node* next = nullptr;
                for (int i = 0; i < 16; ++i) {
                    int j = lowest ? i : 15 - i;
                    if (b->children[j]) {
                        next = b->children[j].get();
                        path.push_back(static_cast<uint8_t>(j));
                        break;
                    }
                }
                if (!next) return;  // only the branch's own value (largest case)
                n = next;
                break;
            }
        }
    }
}

// Finds the nearest key under n (whose path so far is `path`) strictly after key (before it
// when !forward), appending its remaining nibbles to path. Returns false if there is none.
bool seek(const Node* n, const Nibbles& key, size_t pos, Bytes& path, bool forward) {
    if (!n) return false;
    const size_t rest = key.size() - pos;
    switch (n->kind) {
        case Kind::leaf:
        case Kind::extension: {
            BytesView p =
                n->kind == Kind::leaf ? as<Leaf>(n)->path() : BytesView(as<Extension>(n)->path);
            const size_t c = common_prefix(p, key, pos);
            if (c == p.size() && n->kind == Kind::extension) {
                const size_t mark = path.size();
                path.insert(path.end(), p.begin(), p.end());
                if (seek(as<Extension>(n)->child.get(), key, pos + c, path, forward)) return true;
                path.resize(mark);
                return false;
            }
            // Compare the subtree's keys (all starting with p) with key as a whole.
            bool subtree_after;
            if (c == p.size()) {  // a leaf: equal, or a proper prefix of key (so before it)
                if (c == rest) return false;
                subtree_after = false;
            } else if (c == rest) {  // key is a proper prefix of every key here
                subtree_after = true;
            } else {
                subtree_after = p[c] > key[pos + c];
            }
            if (subtree_after != forward) return false;
            extreme_key(n, path, forward);
            return true;
        }
        case Kind::branch: {
            const auto* b = as<Branch>(n);
            if (pos == key.size()) {
                // The branch's own value equals key; every child is after it.
                if (!forward) return false;
                for (int i = 0; i < 16; ++i) {
                    if (b->children[i]) {
                        path.push_back(static_cast<uint8_t>(i));
                        extreme_key(b->children[i].get(), path, true);
                        return true;
                    }
                }
                return false;
            }
            const int k = key[pos];
            path.push_back(static_cast<uint8_t>(k));
            if (seek(b->children[k].get(), key, pos + 1, path, forward)) return true;
            path.pop_back();
            if (forward) {
                for (int i = k + 1; i < 16; ++i) {
                    if (b->children[i]) {
                        path.push_back(static_cast<uint8_t>(i));
                        extreme_key(b->children[i].get(), path, true);
                        return true;
                    }
                }
                return false;
            }
            for (int i = k - 1; i >= 0; --i) {
                if (b->children[i]) {
                    path.push_back(static_cast<uint8_t>(i));
                    extreme_key(b->children[i].get(), path, false);
                    return true;
                }
            }
            return !b->value.empty();  // the branch's key is a proper prefix of key
        }
    }
    return false;
}

Bytes nibbles_to_bytes(const Bytes& nibbles) {
    // Stored keys are whole bytes, so every complete path has an even number of nibbles.
    Bytes out(nibbles.size() / 2);
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<uint8_t>(nibbles[2 * i] << 4 | nibbles[2 * i + 1]);
    return out;
}

// ---- Proof verification ----

Error proof_error(std::string message) {
    return make_error(Errc::invalid_argument, "Merkle proof rejected: " + message);
}

// A decoded hex-prefix path: nibble i of the path, read straight from the encoded bytes.
struct HpPath {
    BytesView bytes;
    bool odd = false;
    bool leaf = false;
    size_t size() const noexcept { return (bytes.size() - 1) * 2 + (odd ? 1 : 0); }
    uint8_t operator[](size_t i) const noexcept {
        size_t j = odd ? i + 1 : i + 2;  // nibble index within bytes
        uint8_t b = bytes[j >> 1];
        return (j & 1) ? (b & 0x0f) : (b >> 4);
    }
};

Result<HpPath> decode_hp(BytesView hp) {
    if (hp.empty()) return proof_error("node has an empty hex-prefix path");
    const uint8_t flag = hp[0] >> 4;
    if (flag > 3)
        return proof_error("node path has invalid hex-prefix flag " + std::to_string(flag));
    HpPath p{hp, (flag & 1) != 0, (flag & 2) != 0};
    if (!p.odd && (hp[0] & 0x0f) != 0)
        return proof_error("node path has a non-zero hex-prefix pad nibble");
    return p;
}

}  // namespace

// ---- Trie ----

void Trie::put(BytesView key, BytesView value) noexcept {
    if (value.empty()) {
        erase(key);
        return;
    }
    if (insert(root_, Nibbles{key}, 0, value) == Put::inserted) ++size_;
}

bool Trie::erase(BytesView key) noexcept {
    if (!remove(root_, Nibbles{key}, 0)) return false;
    --size_;
    return true;
}

std::optional<BytesView> Trie::get(BytesView key) const noexcept {
    const Nibbles k{key};
    size_t pos = 0;
    const Node* n = root_.get();
    while (n) {
        switch (n->kind) {
            case Kind::leaf: {
                const auto* leaf = as<Leaf>(n);
                if (leaf->path_len != k.size() - pos ||
                    common_prefix(leaf->path(), k, pos) != leaf->path_len)
                    return std::nullopt;
                return leaf->value();
            }
            case Kind::extension: {
                const auto* ext = as<Extension>(n);
                if (common_prefix(ext->path, k, pos) != ext->path.size()) return std::nullopt;
                pos += ext->path.size();
                n = ext->child.get();
                break;
            }
            case Kind::branch: {
                const auto* b = as<Branch>(n);
                if (pos == k.size()) {
                    if (b->value.empty()) return std::nullopt;
                    return BytesView(b->value);
                }
                n = b->children[k[pos++]].get();
                break;
            }
        }
    }
    return std::nullopt;
}

void Trie::clear() noexcept {
    root_.reset();
    size_ = 0;
}

Hash32 Trie::root() noexcept {
    if (!root_) return kEmptyTrieRoot;
    update_ref(*root_, scratch_);
    Hash32 h;
    // The root is hashed even when its RLP is under 32 bytes.
    if (root_->ref_len == 32)
        std::memcpy(h.data(), root_->ref.data(), 32);
    else
        h = keccak256(BytesView(root_->ref.data(), root_->ref_len));
    return h;
}

std::vector<Bytes> Trie::prove(BytesView key) noexcept {
    std::vector<Bytes> proof;
    if (!root_) return proof;
    update_ref(*root_, scratch_);
    const Nibbles k{key};
    size_t pos = 0;
    const Node* n = root_.get();
    bool first = true;
    while (n) {
        if (first || n->ref_len == 32) {
            Bytes enc;
            encode(*n, enc);
            proof.push_back(std::move(enc));
        }
        first = false;
        if (n->kind == Kind::leaf) break;
        if (n->kind == Kind::extension) {
            const auto* ext = as<Extension>(n);
            if (common_prefix(ext->path, k, pos) != ext->path.size()) break;
            pos += ext->path.size();
            n = ext->child.get();
        } else {
            if (pos == k.size()) break;
            n = as<Branch>(n)->children[k[pos++]].get();
        }
    }
    return proof;
}

std::optional<Bytes> Trie::next_key(BytesView key) const noexcept {
    Bytes path;
    if (!seek(root_.get(), Nibbles{key}, 0, path, true)) return std::nullopt;
    return nibbles_to_bytes(path);
}

std::optional<Bytes> Trie::prev_key(BytesView key) const noexcept {
    Bytes path;
    if (!seek(root_.get(), Nibbles{key}, 0, path, false)) return std::nullopt;
    return nibbles_to_bytes(path);
}

// ---- SecureTrie ----

void SecureTrie::put(BytesView key, BytesView value) noexcept {
    trie_.put(keccak256(key), value);
}
bool SecureTrie::erase(BytesView key) noexcept {
    return trie_.erase(keccak256(key));
}
std::optional<BytesView> SecureTrie::get(BytesView key) const noexcept {
    return trie_.get(keccak256(key));
}
std::vector<Bytes> SecureTrie::prove(BytesView key) noexcept {
    return trie_.prove(keccak256(key));
}

// ---- Proof verification ----

Result<std::optional<Bytes>> verify_proof(const Hash32& root, BytesView key,
                                          std::span<const Bytes> proof) {
    using Found = std::optional<Bytes>;
    if (proof.empty()) {
        if (root == kEmptyTrieRoot) return Found{};
        return proof_error("the proof is empty but the root is not the empty-trie root");
    }
    size_t used = 0;
    // Takes the next proof node, which must hash to h.
    auto fetch = [&](BytesView h) -> Result<BytesView> {
        if (used == proof.size())
            return proof_error("it ends before reaching the key (missing node " + to_hex(h) + ")");
        BytesView enc = proof[used];
        if (!equal(keccak256(enc), h))
            return proof_error("node " + std::to_string(used) + " does not hash to " + to_hex(h) +
                               " (tampered or out of order)");
        ++used;
        return enc;
    };
    // The outcome is final only once every proof node has been used.
    auto done = [&](Found found) -> Result<Found> {
        if (used != proof.size())
            return proof_error("it has " + std::to_string(proof.size() - used) +
                               " unused node(s) after the key's path ends");
        return found;
    };

    const Nibbles k{key};
    size_t pos = 0;
    HC_ASSIGN_OR_RETURN(BytesView enc, fetch(root));
    while (true) {
        HC_ASSIGN_OR_RETURN(rlp::Item node, rlp::decode(enc));
        if (!node.is_list) {
            // Only the empty trie's root, RLP(""), is a string.
            if (node.payload.empty() && used == 1) return done(Found{});
            return proof_error("node " + std::to_string(used - 1) + " is not an RLP list");
        }
        std::array<rlp::Item, 17> items;
        size_t count = 0;
        rlp::ListReader r(node.payload);
        while (!r.done()) {
            if (count == items.size()) return proof_error("a node has more than 17 items");
            HC_ASSIGN_OR_RETURN(items[count], r.next());
            ++count;
        }
        const rlp::Item* ref = nullptr;
        if (count == 17) {
            if (pos == k.size()) {
                if (items[16].is_list) return proof_error("a branch value is a list");
                if (items[16].payload.empty()) return done(Found{});
                return done(Bytes(items[16].payload.begin(), items[16].payload.end()));
            }
            ref = &items[k[pos++]];
        } else if (count == 2) {
            if (items[0].is_list) return proof_error("a node path is a list");
            HC_ASSIGN_OR_RETURN(HpPath p, decode_hp(items[0].payload));
            size_t c = 0;
            const size_t n = std::min(p.size(), k.size() - pos);
            while (c < n && p[c] == k[pos + c])
                ++c;
            if (p.leaf) {
                if (c != p.size() || c != k.size() - pos) return done(Found{});
                if (items[1].is_list || items[1].payload.empty())
                    return proof_error("a leaf value is a list or empty");
                return done(Bytes(items[1].payload.begin(), items[1].payload.end()));
            }
            if (p.size() == 0) return proof_error("an extension has an empty path");
            if (c != p.size()) return done(Found{});
            pos += c;
            ref = &items[1];
        } else {
            return proof_error("a node has " + std::to_string(count) + " items (want 2 or 17)");
        }
        // Follow the reference: empty (absent), a hash (the next proof node) or an embedded node.
        if (ref->is_list) {
            if (ref->encoded.size() >= 32)
                return proof_error("an embedded node of 32 bytes or more should be hashed");
            enc = ref->encoded;
        } else if (ref->payload.empty()) {
            return done(Found{});
        } else if (ref->payload.size() == 32) {
            HC_ASSIGN_OR_RETURN(enc, fetch(ref->payload));
        } else {
            return proof_error("a child reference is neither empty, a hash nor a node");
        }
    }
}

// ---- One-shot roots ----

Hash32 trie_root(const std::map<Bytes, Bytes>& entries) {
    Trie t;
    for (const auto& [k, v] : entries)
        t.put(k, v);
    return t.root();
}

Hash32 ordered_trie_root(std::span<const Bytes> values) {
    Trie t;
    Bytes key;
    for (size_t i = 0; i < values.size(); ++i) {
        key.clear();
        rlp::append_uint(key, static_cast<uint64_t>(i));
        t.put(key, values[i]);
    }
    return t.root();
}

}  // namespace hc::trie
