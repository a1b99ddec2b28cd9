#include "state/world_state.h"

#include <gtest/gtest.h>

#include "codec/rlp.h"
#include "common/keccak.h"
#include "state/overlay.h"
#include "storage/memory_store.h"

namespace hc::state {
namespace {

Address addr(uint8_t n) {
    Address a;
    a.bytes[19] = n;
    return a;
}
Hash32 slot(uint8_t n) {
    Hash32 h;
    h.bytes[31] = n;
    return h;
}

// The root computed independently: a secure trie of Ethereum account encodings, each with the
// root of its own secure storage trie.
Hash32 reference_root(const std::map<Address, Account>& accounts,
                      const std::map<StorageKey, uint256>& storage) {
    std::map<Bytes, Bytes> top;
    for (const auto& [a, acc] : accounts) {
        std::map<Bytes, Bytes> slots;
        for (const auto& [key, value] : storage) {
            if (key.first != a || value.is_zero()) continue;
            Bytes v;
            rlp::append_string(v, value.to_be_trimmed());
            Hash32 hashed_slot = keccak256(key.second.view());
            slots[Bytes(hashed_slot.bytes.begin(), hashed_slot.bytes.end())] = v;
        }
        Hash32 k = keccak256(a.view());
        top[Bytes(k.bytes.begin(), k.bytes.end())] = encode_account(acc, trie::trie_root(slots));
    }
    return trie::trie_root(top);
}

TEST(Account, EncodingRoundTrips) {
    Account a{7, uint256(123456789), keccak256(Bytes{1, 2, 3})};
    Hash32 root = keccak256(Bytes{9});
    auto d = decode_account(encode_account(a, root));
    ASSERT_TRUE(d) << d.error().to_string();
    EXPECT_EQ(d->account, a);
    EXPECT_EQ(d->storage_root, root);
    EXPECT_FALSE(decode_account(Bytes{0xc0}));
}

TEST(WorldState, EmptyStateHasEmptyTrieRoot) {
    WorldState ws;
    EXPECT_EQ(ws.root(), kEmptyTrieRoot);
}

TEST(WorldState, RootMatchesAnIndependentlyBuiltTrie) {
    WorldState ws;
    StateDiff d;
    d.accounts[addr(1)] = Account{1, uint256(100), kEmptyCodeHash};
    d.accounts[addr(2)] = Account{0, uint256(5), kEmptyCodeHash};
    d.storage[{addr(2), slot(1)}] = uint256(42);
    d.storage[{addr(2), slot(2)}] = uint256(7);
    ws.apply(d);
    std::map<StorageKey, uint256> storage(d.storage.begin(), d.storage.end());
    EXPECT_EQ(ws.root(), reference_root(ws.accounts(), storage));
    EXPECT_NE(ws.storage_root(addr(2)), kEmptyTrieRoot);
    EXPECT_EQ(ws.storage_root(addr(1)), kEmptyTrieRoot);
}

TEST(WorldState, RootChangesExactlyWhenStateChanges) {
    WorldState ws;
    StateDiff genesis;
    genesis.accounts[addr(1)] = Account{0, uint256(1000), kEmptyCodeHash};
    ws.apply(genesis);
    Hash32 r0 = ws.root();

    // Writing the same values again changes nothing.
    ws.apply(genesis);
    EXPECT_EQ(ws.root(), r0);

    StateDiff bump;
    bump.accounts[addr(1)] = Account{0, uint256(1001), kEmptyCodeHash};
    StateDiff reverse = ws.apply(bump);
    Hash32 r1 = ws.root();
    EXPECT_NE(r1, r0);

    // A storage write changes the root too, and erasing it restores the old root.
    StateDiff store;
    store.storage[{addr(1), slot(3)}] = uint256(1);
    StateDiff store_reverse = ws.apply(store);
    EXPECT_NE(ws.root(), r1);
    ws.apply(store_reverse);
    EXPECT_EQ(ws.root(), r1);

    ws.apply(reverse);
    EXPECT_EQ(ws.root(), r0);
    EXPECT_EQ(ws.account(addr(1))->balance, uint256(1000));
}

TEST(WorldState, AnAccountsStorageComesWithItsFirstSlotAndGoesWithItsLast) {
    WorldState ws;
    StateDiff create;
    create.accounts[addr(1)] = Account{1, uint256(1), kEmptyCodeHash};
    ws.apply(create);
    const Hash32 without_slots = ws.root();
    EXPECT_EQ(ws.storage_root(addr(1)), kEmptyTrieRoot);
    EXPECT_EQ(ws.storage_size(addr(1)), 0u);

    StateDiff two;
    two.storage[{addr(1), slot(1)}] = uint256(11);
    two.storage[{addr(1), slot(2)}] = uint256(22);
    ws.apply(two);
    EXPECT_EQ(ws.storage_size(addr(1)), 2u);
    EXPECT_NE(ws.storage_root(addr(1)), kEmptyTrieRoot);
    EXPECT_EQ(ws.root(), reference_root({{addr(1), Account{1, uint256(1), kEmptyCodeHash}}},
                                        {{{addr(1), slot(1)}, uint256(11)},
                                         {{addr(1), slot(2)}, uint256(22)}}));

    StateDiff one_left;
    one_left.storage[{addr(1), slot(1)}] = uint256{};
    StateDiff reverse = ws.apply(one_left);
    EXPECT_EQ(ws.storage_size(addr(1)), 1u);
    StateDiff none_left;
    none_left.storage[{addr(1), slot(2)}] = uint256{};
    ws.apply(none_left);
    EXPECT_EQ(ws.storage_size(addr(1)), 0u);
    EXPECT_EQ(ws.storage(addr(1), slot(2)), uint256{});
    EXPECT_EQ(ws.storage_root(addr(1)), kEmptyTrieRoot);
    EXPECT_EQ(ws.root(), without_slots);

    // Clearing a slot the account never had changes nothing; a slot can come back.
    StateDiff absent;
    absent.storage[{addr(1), slot(9)}] = uint256{};
    ws.apply(absent);
    EXPECT_EQ(ws.root(), without_slots);
    ws.apply(reverse);  // slot 1 = 11 again
    EXPECT_EQ(ws.storage(addr(1), slot(1)), uint256(11));
    EXPECT_EQ(ws.storage_size(addr(1)), 1u);
}

TEST(WorldState, ReverseOfDeletionRestoresStorage) {
    WorldState ws;
    StateDiff d;
    d.accounts[addr(1)] = Account{1, uint256(1), kEmptyCodeHash};
    d.storage[{addr(1), slot(1)}] = uint256(11);
    ws.apply(d);
    Hash32 before = ws.root();

    StateDiff del;
    del.accounts[addr(1)] = std::nullopt;
    StateDiff reverse = ws.apply(del);
    EXPECT_FALSE(ws.account(addr(1)));
    EXPECT_EQ(ws.storage(addr(1), slot(1)), uint256{});
    EXPECT_EQ(ws.root(), kEmptyTrieRoot);

    ws.apply(reverse);
    EXPECT_EQ(ws.root(), before);
    EXPECT_EQ(ws.storage(addr(1), slot(1)), uint256(11));
}

TEST(WorldState, PersistedStateReopensWithTheSameRootAndHistory) {
    storage::MemoryStore store;
    WorldState ws;
    // Block 0: two accounts and code; block 1: a transfer and a storage write; block 2: a delete.
    StateDiff b0;
    b0.accounts[addr(1)] = Account{0, uint256(100), kEmptyCodeHash};
    Bytes code{0x60, 0x00};
    b0.code[keccak256(code)] = code;
    b0.accounts[addr(2)] = Account{1, uint256(0), keccak256(code)};
    StateDiff b1;
    b1.accounts[addr(1)] = Account{1, uint256(60), kEmptyCodeHash};
    b1.accounts[addr(3)] = Account{0, uint256(40), kEmptyCodeHash};
    b1.storage[{addr(2), slot(5)}] = uint256(99);
    StateDiff b2;
    b2.accounts[addr(3)] = std::nullopt;

    std::vector<Hash32> roots;
    uint64_t n = 0;
    for (const StateDiff* d : {&b0, &b1, &b2}) {
        StateDiff reverse = ws.apply(*d);
        storage::WriteBatch batch;
        ws.persist(*d, reverse, n++, batch);
        ASSERT_TRUE(store.write(batch, true));
        roots.push_back(ws.root());
    }
    EXPECT_EQ(std::set<Hash32>(roots.begin(), roots.end()).size(), 3u);

    auto reopened = WorldState::open(store);
    ASSERT_TRUE(reopened) << reopened.error().to_string();
    EXPECT_EQ(reopened->root(), roots[2]);
    EXPECT_EQ(reopened->accounts(), ws.accounts());
    EXPECT_EQ(Bytes(reopened->code(keccak256(code)).begin(), reopened->code(keccak256(code)).end()),
              code);
    EXPECT_EQ(reopened->storage(addr(2), slot(5)), uint256(99));

    // Reads at past blocks.
    auto a1_at0 = account_at(store, *reopened, addr(1), 0, 2);
    ASSERT_TRUE(a1_at0);
    EXPECT_EQ((*a1_at0)->balance, uint256(100));
    auto a3_at1 = account_at(store, *reopened, addr(3), 1, 2);
    ASSERT_TRUE(a3_at1 && *a3_at1);
    EXPECT_EQ((*a3_at1)->balance, uint256(40));
    auto a3_at0 = account_at(store, *reopened, addr(3), 0, 2);
    ASSERT_TRUE(a3_at0);
    EXPECT_FALSE(*a3_at0);
    auto a3_at2 = account_at(store, *reopened, addr(3), 2, 2);
    ASSERT_TRUE(a3_at2);
    EXPECT_FALSE(*a3_at2);
    auto s_at0 = storage_at(store, *reopened, addr(2), slot(5), 0, 2);
    ASSERT_TRUE(s_at0);
    EXPECT_EQ(*s_at0, uint256{});
    auto s_at1 = storage_at(store, *reopened, addr(2), slot(5), 1, 2);
    ASSERT_TRUE(s_at1);
    EXPECT_EQ(*s_at1, uint256(99));
    auto beyond = account_at(store, *reopened, addr(1), 3, 2);
    ASSERT_FALSE(beyond);
    EXPECT_NE(beyond.error().message.find("beyond the head block 2"), std::string::npos);
}

TEST(HistoricalState, ReadsAccountsStorageAndSlotCountsAsOfAPastBlock) {
    storage::MemoryStore store;
    WorldState ws;
    Bytes code{0x60, 0x00};
    const Hash32 code_hash = keccak256(code);
    // Block 0: slots 1 and 2; block 1: slot 1 cleared, slot 3 set; block 2: slot 2 cleared, slot
    // 3 changed, slot 4 set, and a balance change.
    StateDiff b0;
    b0.code[code_hash] = code;
    b0.accounts[addr(2)] = Account{1, uint256(10), code_hash};
    b0.storage[{addr(2), slot(1)}] = uint256(11);
    b0.storage[{addr(2), slot(2)}] = uint256(22);
    StateDiff b1;
    b1.storage[{addr(2), slot(1)}] = uint256(0);
    b1.storage[{addr(2), slot(3)}] = uint256(7);
    StateDiff b2;
    b2.accounts[addr(2)] = Account{1, uint256(30), code_hash};
    b2.storage[{addr(2), slot(2)}] = uint256(0);
    b2.storage[{addr(2), slot(3)}] = uint256(8);
    b2.storage[{addr(2), slot(4)}] = uint256(1);
    uint64_t n = 0;
    for (const StateDiff* d : {&b0, &b1, &b2}) {
        StateDiff reverse = ws.apply(*d);
        storage::WriteBatch batch;
        ws.persist(*d, reverse, n++, batch);
        ASSERT_TRUE(store.write(batch, true));
    }

    const size_t expected_sizes[] = {2, 2, 2};  // {1,2}, {2,3}, {3,4}
    const uint256 expected_slot3[] = {0, 7, 8};
    for (uint64_t block = 0; block <= 2; ++block) {
        HistoricalState past(store, ws, block, 2);
        EXPECT_EQ(past.storage_size(addr(2)), expected_sizes[block]) << "block " << block;
        EXPECT_EQ(past.storage(addr(2), slot(3)), expected_slot3[block]) << "block " << block;
        EXPECT_TRUE(past.status());
    }
    HistoricalState at0(store, ws, 0, 2);
    EXPECT_EQ(at0.account(addr(2))->balance, uint256(10));
    EXPECT_EQ(at0.storage(addr(2), slot(1)), uint256(11));
    EXPECT_EQ(at0.code(code_hash).size(), code.size());
    EXPECT_FALSE(at0.account(addr(9)).has_value());

    // An overlay runs on the past state as on the latest.
    StateOverlay overlay(at0);
    EXPECT_EQ(overlay.balance(addr(2)), uint256(10));
    overlay.set_storage(addr(2), slot(1), 0);
    overlay.set_storage(addr(2), slot(2), 0);
    EXPECT_FALSE(overlay.has_storage(addr(2)));
    StateOverlay latest(ws);
    latest.set_storage(addr(2), slot(1), 0);
    latest.set_storage(addr(2), slot(2), 0);
    EXPECT_TRUE(latest.has_storage(addr(2)));  // slots 3 and 4 are set now

    // A read past the head is kept as the reader's error.
    HistoricalState beyond(store, ws, 5, 2);
    EXPECT_FALSE(beyond.account(addr(2)).has_value());
    ASSERT_FALSE(beyond.status());
    EXPECT_NE(beyond.status().error().message.find("beyond the head block 2"), std::string::npos);
}

TEST(WorldState, OpenRejectsCorruptRecords) {
    storage::MemoryStore store;
    Bytes key{'a'};
    key.resize(21, 0x11);
    ASSERT_TRUE(store.put(storage::Column::state, key, Bytes{0x01, 0x02}));
    auto ws = WorldState::open(store);
    ASSERT_FALSE(ws);
    EXPECT_NE(ws.error().message.find("state record"), std::string::npos);
}

TEST(StateOverlay, ReadsThroughAndDiffsOnlyChanges) {
    WorldState ws;
    StateDiff g;
    g.accounts[addr(1)] = Account{0, uint256(100), kEmptyCodeHash};
    g.storage[{addr(1), slot(1)}] = uint256(5);
    ws.apply(g);

    StateOverlay o(ws);
    EXPECT_EQ(o.balance(addr(1)), uint256(100));
    EXPECT_EQ(o.storage(addr(1), slot(1)), uint256(5));
    EXPECT_FALSE(o.exists(addr(2)));
    o.sub_balance(addr(1), uint256(30));
    o.add_balance(addr(2), uint256(30));
    o.set_nonce(addr(1), 1);
    o.set_storage(addr(1), slot(1), uint256(5));  // same as base: no change
    StateDiff d = o.diff();
    EXPECT_EQ(d.accounts.size(), 2u);
    EXPECT_TRUE(d.storage.empty());
    EXPECT_EQ(d.accounts.at(addr(2))->balance, uint256(30));
    // The base is untouched until the diff is applied.
    EXPECT_EQ(ws.account(addr(1))->balance, uint256(100));
}

TEST(StateOverlay, RevertUndoesEverythingSinceTheSnapshot) {
    WorldState ws;
    StateOverlay o(ws);
    o.add_balance(addr(1), uint256(10));
    size_t snap = o.snapshot();
    o.add_balance(addr(1), uint256(5));
    o.set_storage(addr(1), slot(1), uint256(9));
    o.set_code(addr(2), Bytes{0x00});
    size_t inner = o.snapshot();
    o.delete_account(addr(1));
    EXPECT_FALSE(o.exists(addr(1)));
    o.revert_to(inner);
    EXPECT_EQ(o.storage(addr(1), slot(1)), uint256(9));
    EXPECT_EQ(o.balance(addr(1)), uint256(15));
    o.revert_to(snap);
    EXPECT_EQ(o.balance(addr(1)), uint256(10));
    EXPECT_EQ(o.storage(addr(1), slot(1)), uint256{});
    EXPECT_FALSE(o.exists(addr(2)));
    StateDiff d = o.diff();
    EXPECT_EQ(d.accounts.size(), 1u);
    EXPECT_TRUE(d.code.empty());
    EXPECT_TRUE(d.storage.empty());
}

TEST(StateOverlay, DeleteAndRecreateDropsOldStorage) {
    WorldState ws;
    StateDiff g;
    g.accounts[addr(1)] = Account{1, uint256(1), kEmptyCodeHash};
    g.storage[{addr(1), slot(1)}] = uint256(5);
    g.storage[{addr(1), slot(2)}] = uint256(6);
    ws.apply(g);

    StateOverlay o(ws);
    o.delete_account(addr(1));
    EXPECT_EQ(o.storage(addr(1), slot(1)), uint256{});
    o.put_account(addr(1), Account{0, uint256(2), kEmptyCodeHash});
    o.set_storage(addr(1), slot(2), uint256(6));
    EXPECT_EQ(o.storage(addr(1), slot(1)), uint256{});
    ws.apply(o.diff());
    EXPECT_EQ(ws.storage(addr(1), slot(1)), uint256{});
    EXPECT_EQ(ws.storage(addr(1), slot(2)), uint256(6));
    EXPECT_EQ(ws.account(addr(1))->balance, uint256(2));
}

}  // namespace
}  // namespace hc::state
