// Runs ethereum-tests/TrieTests: every case's "in" applied to a plain or secure trie must give
// "root"; unordered inputs are also applied in reverse and shuffled order; every final key's
// Merkle proof must verify; trietestnextprev.json checks ordered iteration (prev/next key).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/keccak.h"
#include "support/fixtures.h"
#include "trie/trie.h"

namespace hc::trie {
namespace {

using nlohmann::json;

// Fixture strings: "0x..." is hex (always, in hexEncoded files), otherwise the string's bytes;
// null is the empty value, which deletes.
Result<Bytes> fixture_bytes(const json& j, bool hex_encoded) {
    if (j.is_null()) return Bytes{};
    if (!j.is_string()) return make_error(Errc::invalid_argument, "not a string: " + j.dump());
    const auto& s = j.get_ref<const std::string&>();
    if (hex_encoded || s.starts_with("0x")) return from_hex(s);
    return to_bytes(s);
}

using Ops = std::vector<std::pair<Bytes, Bytes>>;

// The trie under test: plain or secure, over the same operations.
struct AnyTrie {
    bool secure;
    Trie plain;
    SecureTrie sec;
    void put(BytesView k, BytesView v) { secure ? sec.put(k, v) : plain.put(k, v); }
    Hash32 root() { return secure ? sec.root() : plain.root(); }
    std::optional<BytesView> get(BytesView k) const { return secure ? sec.get(k) : plain.get(k); }
    std::vector<Bytes> prove(BytesView k) { return secure ? sec.prove(k) : plain.prove(k); }
};

// Applies ops in order; returns "" on success or what went wrong.
std::string run_ops(const Ops& ops, bool secure, const Hash32& want) {
    AnyTrie t{secure, {}, {}};
    std::map<Bytes, Bytes> final_set;
    for (const auto& [k, v] : ops) {
        t.put(k, v);
        if (v.empty())
            final_set.erase(k);
        else
            final_set[k] = v;
    }
    const Hash32 got = t.root();
    if (got != want) return "root " + got.hex() + ", want " + want.hex();
    // Every remaining key reads back and proves against the root.
    for (const auto& [k, v] : final_set) {
        auto g = t.get(k);
        if (!g || !std::equal(g->begin(), g->end(), v.begin(), v.end()))
            return "get(" + to_hex(k) + ") does not return the value put";
        auto proof = t.prove(k);
        // A secure trie is keyed by keccak256(key), and so are its proofs.
        const Hash32 hk = keccak256(k);
        Bytes pk = secure ? Bytes(hk.bytes.begin(), hk.bytes.end()) : k;
        auto r = verify_proof(got, pk, proof);
        if (!r.ok()) return "proof of " + to_hex(k) + " rejected: " + r.error().to_string();
        if (!r->has_value() || **r != v) return "proof of " + to_hex(k) + " gives a wrong value";
    }
    return {};
}

void run_root_file(const std::filesystem::path& file, bool secure, test::Tally& tally) {
    const std::string fname = file.filename().string();
    std::string why;
    auto doc = test::read_json(file, &why);
    if (!doc) {
        tally.fail(fname, why);
        return;
    }
    for (const auto& [name, tc] : doc->items()) {
        const std::string id = fname + "/" + name;
        const bool hex_encoded = tc.value("hexEncoded", false);
        auto want = Hash32::from_hex(tc.value("root", std::string()));
        if (!want) {
            tally.fail(id, "bad expected root: " + want.error().to_string());
            continue;
        }
        Ops ops;
        bool ok = true;
        auto add = [&](const json& k, const json& v) {
            auto kb = fixture_bytes(k, hex_encoded);
            auto vb = fixture_bytes(v, hex_encoded);
            if (!kb || !vb) {
                tally.fail(id, "bad fixture entry " + k.dump() + ": " + v.dump());
                ok = false;
                return;
            }
            ops.emplace_back(std::move(*kb), std::move(*vb));
        };
        const json& in = tc.at("in");
        const bool ordered = in.is_array();  // a list of [key, value] applied in order
        if (ordered) {
            for (const auto& kv : in) {
                if (!ok) break;
                if (!kv.is_array() || kv.size() != 2) {
                    tally.fail(id, "bad fixture entry " + kv.dump());
                    ok = false;
                    break;
                }
                add(kv[0], kv[1]);
            }
        } else {
            for (const auto& [k, v] : in.items()) {
                if (!ok) break;
                add(json(k), v);
            }
        }
        if (!ok) continue;

        auto check = [&](const std::string& case_id, const Ops& o) {
            std::string err = run_ops(o, secure, *want);
            if (err.empty())
                tally.pass();
            else
                tally.fail(case_id, err);
        };
        check(id, ops);
        if (ordered) {
            // The root depends only on the final contents: rebuild them in reverse order.
            std::map<Bytes, Bytes> final_set;
            for (const auto& [k, v] : ops) {
                if (v.empty())
                    final_set.erase(k);
                else
                    final_set[k] = v;
            }
            Ops rebuilt(final_set.rbegin(), final_set.rend());
            check(id + " (final contents, reversed)", rebuilt);
        } else {
            // Unordered input: any insertion order must give the same root.
            Ops reversed(ops.rbegin(), ops.rend());
            check(id + " (reversed)", reversed);
            Ops shuffled = ops;
            std::mt19937_64 rng(1);
            std::shuffle(shuffled.begin(), shuffled.end(), rng);
            check(id + " (shuffled)", shuffled);
        }
    }
}

std::string show(const std::optional<Bytes>& k) {
    return k ? "\"" + std::string(k->begin(), k->end()) + "\"" : "none";
}

void run_next_prev_file(const std::filesystem::path& file, test::Tally& tally) {
    const std::string fname = file.filename().string();
    std::string why;
    auto doc = test::read_json(file, &why);
    if (!doc) {
        tally.fail(fname, why);
        return;
    }
    for (const auto& [name, tc] : doc->items()) {
        Trie t;
        for (const auto& k : tc.at("in")) {
            auto kb = fixture_bytes(k, false);
            if (kb) t.put(*kb, *kb);  // any non-empty value; keys here are non-empty
        }
        for (const auto& row : tc.at("tests")) {
            const std::string id = fname + "/" + name + "/" + row.dump();
            // [key, prev, next]; "" means there is none.
            auto key = fixture_bytes(row.at(0), false);
            auto prev = fixture_bytes(row.at(1), false);
            auto next = fixture_bytes(row.at(2), false);
            if (!key || !prev || !next) {
                tally.fail(id, "bad fixture row");
                continue;
            }
            std::optional<Bytes> want_prev, want_next;
            if (!prev->empty()) want_prev = *prev;
            if (!next->empty()) want_next = *next;
            auto got_prev = t.prev_key(*key);
            auto got_next = t.next_key(*key);
            if (got_prev != want_prev || got_next != want_next)
                tally.fail(id, "prev " + show(got_prev) + ", next " + show(got_next));
            else
                tally.pass();
        }
    }
}

TEST(TrieConformance, AllFixtures) {
    std::string why;
    auto dir = test::eth_tests_dir("TrieTests", &why);
    if (!dir) GTEST_SKIP() << why;

    test::Tally tally;
    const std::pair<const char*, bool> root_files[] = {
        {"trietest.json", false},
        {"trieanyorder.json", false},
        {"trietest_secureTrie.json", true},
        {"trieanyorder_secureTrie.json", true},
        {"hex_encoded_securetrie_test.json", true},
    };
    for (const auto& [name, secure] : root_files) {
        auto path = *dir / name;
        if (!std::filesystem::exists(path)) {
            tally.fail(name, "fixture file missing from " + dir->string());
            continue;
        }
        run_root_file(path, secure, tally);
    }
    if (auto path = *dir / "trietestnextprev.json"; std::filesystem::exists(path))
        run_next_prev_file(path, tally);
    else
        tally.fail("trietestnextprev.json", "fixture file missing from " + dir->string());

    tally.report("TrieTests");
    EXPECT_EQ(tally.failed, 0u);
    EXPECT_GT(tally.passed + tally.failed, 0u);
}

}  // namespace
}  // namespace hc::trie
