#include "trie/trie.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "codec/rlp.h"
#include "common/keccak.h"

namespace hc::trie {
namespace {

Bytes hex(std::string_view h) {
    return *from_hex(h);
}
Bytes str(std::string_view s) {
    return to_bytes(s);
}
Hash32 hash(std::string_view h) {
    return *Hash32::from_hex(h);
}
// The value a get() found, copied so it compares with ==; "<absent>" when there is none.
Bytes val(std::optional<BytesView> v) {
    return v ? Bytes(v->begin(), v->end()) : str("<absent>");
}

Hash32 rebuilt_root(const std::map<Bytes, Bytes>& m) {
    Trie t;
    for (const auto& [k, v] : m)
        t.put(k, v);
    return t.root();
}

// An independent reference: the root computed straight from the definition (Yellow Paper
// appendix D, the function c(I, i)) over a sorted key set, sharing no code with Trie.
using NibbleKv = std::vector<std::pair<Bytes, const Bytes*>>;  // key as nibbles, value

Bytes ref_hp(const Bytes& nibbles, size_t from, size_t to, bool leaf) {
    Bytes out;
    const size_t n = to - from;
    uint8_t flag = static_cast<uint8_t>((leaf ? 2 : 0) + (n % 2));
    size_t i = from;
    if (n % 2)
        out.push_back(static_cast<uint8_t>(flag << 4 | nibbles[i++]));
    else
        out.push_back(static_cast<uint8_t>(flag << 4));
    for (; i < to; i += 2)
        out.push_back(static_cast<uint8_t>(nibbles[i] << 4 | nibbles[i + 1]));
    return out;
}

Bytes ref_encode(const NibbleKv& kv, size_t lo, size_t hi, size_t depth);

Bytes ref_child(const NibbleKv& kv, size_t lo, size_t hi, size_t depth) {
    if (lo == hi) return rlp::encode_string({});
    Bytes enc = ref_encode(kv, lo, hi, depth);
    if (enc.size() < 32) return enc;
    return rlp::encode_string(keccak256(enc));
}

// Encodes the node for the sorted entries [lo, hi), all sharing their first `depth` nibbles.
Bytes ref_encode(const NibbleKv& kv, size_t lo, size_t hi, size_t depth) {
    rlp::Encoder e;
    if (hi - lo == 1) {
        const Bytes& k = kv[lo].first;
        e.begin_list().add(ref_hp(k, depth, k.size(), true)).add(*kv[lo].second).end_list();
        return e.take();
    }
    // Longest prefix shared by all: sorted, so the first and last entries decide it.
    const Bytes& a = kv[lo].first;
    const Bytes& b = kv[hi - 1].first;
    size_t cp = depth;
    while (cp < a.size() && cp < b.size() && a[cp] == b[cp])
        ++cp;
    if (cp > depth) {
        e.begin_list()
            .add(ref_hp(a, depth, cp, false))
            .add_raw(ref_child(kv, lo, hi, cp))
            .end_list();
        return e.take();
    }
    e.begin_list();
    size_t i = lo;
    Bytes value;
    if (kv[i].first.size() == depth) value = *kv[i++].second;  // sorts first
    for (uint8_t nib = 0; nib < 16; ++nib) {
        size_t j = i;
        while (j < hi && kv[j].first[depth] == nib)
            ++j;
        e.add_raw(ref_child(kv, i, j, depth + 1));
        i = j;
    }
    e.add(value).end_list();
    return e.take();
}

Hash32 reference_root(const std::map<Bytes, Bytes>& m) {
    if (m.empty()) return kEmptyTrieRoot;
    NibbleKv kv;
    for (const auto& [k, v] : m) {
        Bytes n;
        for (uint8_t b : k) {
            n.push_back(b >> 4);
            n.push_back(b & 0x0f);
        }
        kv.emplace_back(std::move(n), &v);
    }
    return keccak256(ref_encode(kv, 0, kv.size(), 0));
}

TEST(Trie, EmptyRootIsKeccakOfRlpEmptyString) {
    // keccak256(0x80), the empty-trie root of every Ethereum client.
    EXPECT_EQ(kEmptyTrieRoot,
              hash("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"));
    Trie t;
    EXPECT_TRUE(t.empty());
    EXPECT_EQ(t.root(), kEmptyTrieRoot);
    EXPECT_EQ(trie_root({}), kEmptyTrieRoot);
    EXPECT_EQ(ordered_trie_root({}), kEmptyTrieRoot);
    EXPECT_FALSE(t.get(str("x")).has_value());
    EXPECT_FALSE(t.erase(str("x")));
    SecureTrie s;
    EXPECT_EQ(s.root(), kEmptyTrieRoot);
}

TEST(Trie, SingleKeyIsOneLeafHashedEvenWhenSmall) {
    // "do" -> nibbles 6,4,6,f: an even leaf path, hex-prefix 0x20 0x64 0x6f.
    // Node = RLP([0x20646f, "verb"]) = c9 83 20646f 84 76657262 (10 bytes: embedded size,
    // but the root is always hashed).
    Trie t;
    t.put(str("do"), str("verb"));
    EXPECT_EQ(t.size(), 1u);
    EXPECT_EQ(t.root(), keccak256(hex("c98320646f8476657262")));

    // An odd leaf path: key 0x0 is impossible with byte keys, but an empty key gives an empty
    // path, hex-prefix 0x20, encoded as itself.
    Trie e;
    e.put({}, str("v"));
    EXPECT_EQ(e.root(), keccak256(hex("c22076")));
    EXPECT_EQ(val(e.get({})), str("v"));
}

TEST(Trie, YellowPaperExample) {
    // The ethereum wiki "Patricia Tree" example; also TrieTests/trieanyorder.json "puppy".
    const Hash32 want = hash("0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84");
    Trie t;
    t.put(str("do"), str("verb"));
    t.put(str("dog"), str("puppy"));
    t.put(str("doge"), str("coin"));
    t.put(str("horse"), str("stallion"));
    EXPECT_EQ(t.root(), want);
    EXPECT_EQ(t.size(), 4u);
    EXPECT_EQ(val(t.get(str("dog"))), str("puppy"));
    EXPECT_EQ(val(t.get(str("do"))), str("verb"));
    EXPECT_FALSE(t.get(str("d")).has_value());
    EXPECT_FALSE(t.get(str("dogs")).has_value());
    EXPECT_FALSE(t.get(str("horses")).has_value());

    std::map<Bytes, Bytes> m{{str("do"), str("verb")},
                             {str("dog"), str("puppy")},
                             {str("doge"), str("coin")},
                             {str("horse"), str("stallion")}};
    EXPECT_EQ(trie_root(m), want);
    EXPECT_EQ(reference_root(m), want);  // the reference itself is right

    // Other known roots from TrieTests/trieanyorder.json.
    EXPECT_EQ(trie_root({{str("doe"), str("reindeer")},
                         {str("dog"), str("puppy")},
                         {str("dogglesworth"), str("cat")}}),
              hash("0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3"));
    EXPECT_EQ(trie_root({{str("foo"), str("bar")}, {str("food"), str("bass")}}),
              hash("0x17beaa1648bafa633cda809c90c04af50fc8aed3cb40d16efbddee6fdf63c4c3"));
}

TEST(Trie, UpdatesAndEmptyValueDeletes) {
    Trie t;
    t.put(str("key"), str("one"));
    const Hash32 one = t.root();
    t.put(str("key"), str("two"));
    EXPECT_EQ(t.size(), 1u);
    EXPECT_NE(t.root(), one);
    t.put(str("key"), str("one"));
    EXPECT_EQ(t.root(), one);
    t.put(str("key"), {});
    EXPECT_TRUE(t.empty());
    EXPECT_EQ(t.root(), kEmptyTrieRoot);
}

TEST(Trie, DeletingInReverseReturnsThroughEveryEarlierRoot) {
    // Keys chosen to build branch values, extensions split at every position, and embedded nodes.
    const std::vector<std::pair<std::string, std::string>> kv = {{"do", "verb"},
                                                                 {"dog", "puppy"},
                                                                 {"doge", "coin"},
                                                                 {"horse", "stallion"},
                                                                 {"d", "x"},
                                                                 {"", "root-value"},
                                                                 {"dogs", "many"},
                                                                 {"doe", "reindeer"},
                                                                 {"dogglesworth", "c"},
                                                                 {"h", "y"},
                                                                 {"horses", "herd"},
                                                                 {"a", "b"}};
    Trie t;
    std::vector<Hash32> roots{t.root()};
    for (const auto& [k, v] : kv) {
        t.put(str(k), str(v));
        roots.push_back(t.root());
    }
    EXPECT_EQ(t.size(), kv.size());
    for (size_t i = kv.size(); i-- > 0;) {
        EXPECT_TRUE(t.erase(str(kv[i].first))) << kv[i].first;
        EXPECT_EQ(t.root(), roots[i]) << "after erasing " << kv[i].first;
    }
    EXPECT_TRUE(t.empty());

    // Deleting in forward order matches rebuilding from what is left.
    for (const auto& [k, v] : kv)
        t.put(str(k), str(v));
    std::map<Bytes, Bytes> left;
    for (const auto& [k, v] : kv)
        left[str(k)] = str(v);
    for (const auto& [k, v] : kv) {
        t.erase(str(k));
        left.erase(str(k));
        EXPECT_EQ(t.root(), rebuilt_root(left)) << "after erasing " << k;
    }
}

TEST(Trie, ErasingAnAbsentKeyChangesNothing) {
    Trie t;
    t.put(str("dog"), str("puppy"));
    t.put(str("doge"), str("coin"));
    const Hash32 r = t.root();
    for (const char* k : {"do", "d", "dogs", "doge1", "cat", ""}) {
        EXPECT_FALSE(t.erase(str(k))) << k;
    }
    EXPECT_EQ(t.size(), 2u);
    EXPECT_EQ(t.root(), r);
}

TEST(Trie, OrderedTrieRootKeysByRlpIndex) {
    std::vector<Bytes> values;
    for (int i = 0; i < 300; ++i)
        values.push_back(str("value-" + std::to_string(i)));
    std::map<Bytes, Bytes> m;
    for (size_t i = 0; i < values.size(); ++i) {
        Bytes k;
        rlp::append_uint(k, static_cast<uint64_t>(i));
        m[k] = values[i];
    }
    EXPECT_EQ(ordered_trie_root(values), trie_root(m));

    // One value: a single leaf at key rlp(0) = 0x80 (nibbles 8,0; hex-prefix 0x20 0x80).
    // Node = RLP([0x2080, 0xaa]) = c5 82 2080 81 aa... with value 0xaa encoded as 81aa.
    std::vector<Bytes> one{hex("aa")};
    EXPECT_EQ(ordered_trie_root(one), keccak256(hex("c5822080"
                                                    "81aa")));
}

TEST(Trie, SecureTrieHashesKeys) {
    SecureTrie s;
    Trie plain;
    for (const char* k : {"do", "dog", "doge", "horse"}) {
        s.put(str(k), str(std::string(k) + "-value"));
        plain.put(keccak256(str(k)), str(std::string(k) + "-value"));
    }
    EXPECT_EQ(s.root(), plain.root());
    EXPECT_EQ(val(s.get(str("dog"))), str("dog-value"));
    EXPECT_TRUE(s.erase(str("dog")));
    EXPECT_FALSE(s.get(str("dog")).has_value());
    EXPECT_EQ(s.size(), 3u);
    // Also TrieTests/trieanyorder_secureTrie.json "puppy".
    SecureTrie p;
    p.put(str("do"), str("verb"));
    p.put(str("horse"), str("stallion"));
    p.put(str("doge"), str("coin"));
    p.put(str("dog"), str("puppy"));
    EXPECT_EQ(p.root(), hash("0x29b235a58c3c25ab83010c327d5932bcf05324b7d6b1185e650798034783ca9d"));
}

// Keys from a small alphabet and a few lengths so prefixes, branch values and long shared paths
// all occur; plus 32-byte keys as in the secure tries.
Bytes random_key(std::mt19937_64& rng) {
    std::uniform_int_distribution<int> kind(0, 3);
    if (kind(rng) == 0) {
        Bytes k(32);
        for (auto& b : k)
            b = static_cast<uint8_t>(rng());
        return k;
    }
    std::uniform_int_distribution<int> len(0, 5);
    const uint8_t alphabet[] = {0x00, 0x01, 0x10, 0x11, 0xf0, 0xff};
    std::uniform_int_distribution<int> pick(0, 5);
    Bytes k(static_cast<size_t>(len(rng)));
    for (auto& b : k)
        b = alphabet[pick(rng)];
    return k;
}

Bytes random_value(std::mt19937_64& rng) {
    // Short values make embedded (< 32 byte) nodes; long ones force hashing.
    std::uniform_int_distribution<int> len(1, 40);
    Bytes v(static_cast<size_t>(len(rng)));
    for (auto& b : v)
        b = static_cast<uint8_t>(rng());
    return v;
}

TEST(Trie, RandomOperationsMatchARebuiltTrie) {
    for (uint64_t seed : {1u, 2u, 3u, 42u}) {
        std::mt19937_64 rng(seed);
        Trie t;
        std::map<Bytes, Bytes> model;
        std::vector<Bytes> known;  // keys ever inserted, to pick updates and deletes from
        for (int op = 0; op < 3000; ++op) {
            const int r = static_cast<int>(rng() % 10);
            if (r < 5 || known.empty()) {
                Bytes k = random_key(rng), v = random_value(rng);
                t.put(k, v);
                model[k] = v;
                known.push_back(k);
            } else if (r < 7) {
                const Bytes& k = known[rng() % known.size()];
                Bytes v = random_value(rng);
                t.put(k, v);
                model[k] = v;
            } else {
                const Bytes& k = known[rng() % known.size()];
                EXPECT_EQ(t.erase(k), model.erase(k) == 1);
            }
            // Hash at irregular points so some nodes are cached and others dirty.
            if (rng() % 7 == 0) (void)t.root();
            if (op % 250 == 249) {
                ASSERT_EQ(t.root(), rebuilt_root(model)) << "seed " << seed << " op " << op;
                ASSERT_EQ(t.root(), reference_root(model)) << "seed " << seed << " op " << op;
                ASSERT_EQ(t.size(), model.size());
            }
        }
        ASSERT_EQ(t.root(), rebuilt_root(model)) << "seed " << seed;
        for (const auto& k : known) {
            auto got = t.get(k);
            auto it = model.find(k);
            ASSERT_EQ(got.has_value(), it != model.end());
            if (got) {
                EXPECT_EQ(val(got), it->second);
            }
        }
        // Ordered iteration agrees with the model's order.
        for (int i = 0; i < 300; ++i) {
            Bytes probe = random_key(rng);
            auto after = model.upper_bound(probe);
            auto next = t.next_key(probe);
            ASSERT_EQ(next.has_value(), after != model.end()) << to_hex(probe);
            if (next) {
                EXPECT_EQ(*next, after->first);
            }
            auto at = model.lower_bound(probe);
            auto prev = t.prev_key(probe);
            ASSERT_EQ(prev.has_value(), at != model.begin()) << to_hex(probe);
            if (prev) {
                EXPECT_EQ(*prev, std::prev(at)->first);
            }
        }
        // Deleting everything returns to the empty root.
        for (const auto& [k, v] : std::map<Bytes, Bytes>(model))
            EXPECT_TRUE(t.erase(k));
        EXPECT_EQ(t.root(), kEmptyTrieRoot);
        EXPECT_TRUE(t.empty());
    }
}

TEST(Trie, OrderedIterationWalksAllKeys) {
    Trie t;
    std::vector<std::string> keys = {"", "a", "ab", "abc", "b", "ba", "cat", "doge", "wallace"};
    for (const auto& k : keys)
        t.put(str(k), str("v"));
    // Forward from the empty key.
    std::vector<std::string> seen;
    std::optional<Bytes> k = Bytes{};
    EXPECT_TRUE(t.get({}).has_value());
    seen.push_back("");
    while ((k = t.next_key(*k)))
        seen.emplace_back(k->begin(), k->end());
    EXPECT_EQ(seen, keys);
    // Backward from past the end.
    std::vector<std::string> back;
    k = str("zzz");
    while ((k = t.prev_key(*k)))
        back.emplace_back(k->begin(), k->end());
    std::vector<std::string> rev(keys.rbegin(), keys.rend());
    EXPECT_EQ(back, rev);
}

// ---- Proofs ----

void expect_proves(Trie& t, BytesView key) {
    const Hash32 root = t.root();
    auto proof = t.prove(key);
    auto got = verify_proof(root, key, proof);
    ASSERT_TRUE(got.ok()) << to_hex(key) << ": " << got.error().to_string();
    auto want = t.get(key);
    ASSERT_EQ(got->has_value(), want.has_value()) << to_hex(key);
    if (want) {
        EXPECT_EQ(**got, val(want));
    }
}

TEST(TrieProof, PresentAndAbsentKeys) {
    Trie t;
    t.put(str("do"), str("verb"));
    t.put(str("dog"), str("puppy"));
    t.put(str("doge"), str("coin"));
    t.put(str("horse"), str("stallion"));
    // Present: a branch value ("do"), leaves under embedded and hashed nodes.
    for (const char* k : {"do", "dog", "doge", "horse"})
        expect_proves(t, str(k));
    // Absent: ends inside an extension ("d"), empty branch slot ("dx"), leaf mismatch
    // ("horsf"), beyond a leaf ("doges"), no key at a branch ("dog" has one; "" has none).
    for (const char* k : {"d", "dx", "horsf", "doges", "", "z", "hors"}) {
        expect_proves(t, str(k));
        auto proof = t.prove(str(k));
        auto got = verify_proof(t.root(), str(k), proof);
        ASSERT_TRUE(got.ok());
        EXPECT_FALSE(got->has_value()) << k;
    }
    auto v = verify_proof(t.root(), str("doge"), t.prove(str("doge")));
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(**v, str("coin"));
}

TEST(TrieProof, RejectsTamperedTruncatedPaddedAndWrongRoot) {
    Trie t;
    std::mt19937_64 rng(7);
    for (int i = 0; i < 200; ++i) {
        Bytes k(32);
        for (auto& b : k)
            b = static_cast<uint8_t>(rng());
        t.put(k, random_value(rng));
        if (i == 100) t.put(str("target"), Bytes(40, 0xab));
    }
    const Hash32 root = t.root();
    const Bytes key = str("target");
    auto proof = t.prove(key);
    ASSERT_GE(proof.size(), 2u);
    ASSERT_TRUE(verify_proof(root, key, proof).ok());

    // Any flipped bit in any node breaks the hash chain.
    for (size_t i = 0; i < proof.size(); ++i) {
        auto bad = proof;
        bad[i][bad[i].size() / 2] ^= 0x01;
        EXPECT_FALSE(verify_proof(root, key, bad).ok()) << "tampered node " << i;
    }
    // Changing the value in the last node is caught too.
    {
        auto bad = proof;
        Bytes& last = bad.back();
        last[last.size() - 1] ^= 0xff;
        EXPECT_FALSE(verify_proof(root, key, bad).ok());
    }
    // Missing the last node: incomplete.
    {
        auto bad = proof;
        bad.pop_back();
        auto r = verify_proof(root, key, bad);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
    }
    // An extra node: rejected rather than ignored.
    {
        auto bad = proof;
        bad.push_back(proof.front());
        EXPECT_FALSE(verify_proof(root, key, bad).ok());
    }
    // Out of order.
    {
        auto bad = proof;
        std::swap(bad[0], bad[1]);
        EXPECT_FALSE(verify_proof(root, key, bad).ok());
    }
    // Another root; an empty proof for a non-empty root; garbage bytes.
    Hash32 other = root;
    other[0] ^= 1;
    EXPECT_FALSE(verify_proof(other, key, proof).ok());
    EXPECT_FALSE(verify_proof(root, key, {}).ok());
    std::vector<Bytes> junk{hex("ff")};
    EXPECT_FALSE(verify_proof(keccak256(junk[0]), key, junk).ok());
    // A proof for one key does not prove another key's value.
    auto wrong = verify_proof(root, str("targe"), proof);
    if (wrong.ok()) {
        EXPECT_FALSE(wrong->has_value());
    }
}

TEST(TrieProof, RandomTriesProveEveryKeyAndSomeAbsentOnes) {
    std::mt19937_64 rng(99);
    Trie t;
    std::vector<Bytes> keys;
    for (int i = 0; i < 400; ++i) {
        Bytes k = random_key(rng);
        t.put(k, random_value(rng));
        keys.push_back(k);
    }
    for (const auto& k : keys)
        expect_proves(t, k);
    for (int i = 0; i < 200; ++i)
        expect_proves(t, random_key(rng));
}

TEST(TrieProof, EmptyAndSingleNodeTries) {
    Trie t;
    EXPECT_TRUE(t.prove(str("a")).empty());
    auto r = verify_proof(kEmptyTrieRoot, str("a"), {});
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value());
    // A root node under 32 bytes is still listed, and checked by its hash.
    t.put(str("a"), str("b"));
    auto proof = t.prove(str("a"));
    ASSERT_EQ(proof.size(), 1u);
    EXPECT_LT(proof[0].size(), 32u);
    auto v = verify_proof(t.root(), str("a"), proof);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(**v, str("b"));
    auto absent = verify_proof(t.root(), str("c"), t.prove(str("c")));
    ASSERT_TRUE(absent.ok());
    EXPECT_FALSE(absent->has_value());
}

TEST(TrieProof, SecureTrieProofsUseHashedKeys) {
    SecureTrie s;
    for (int i = 0; i < 50; ++i)
        s.put(str("account" + std::to_string(i)), str("balance"));
    auto proof = s.prove(str("account7"));
    auto v = verify_proof(s.root(), keccak256(str("account7")), proof);
    ASSERT_TRUE(v.ok()) << v.error().to_string();
    EXPECT_EQ(**v, str("balance"));
    auto none = verify_proof(s.root(), keccak256(str("nobody")), s.prove(str("nobody")));
    ASSERT_TRUE(none.ok()) << none.error().to_string();
    EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace hc::trie
