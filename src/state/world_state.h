// The committed world state: every account, its storage and code, with Ethereum's
// Merkle-Patricia state root kept up to date incrementally.
//
// The whole state lives in memory (accounts, storage, code, and the tries over them); the store
// holds flat records from which open() rebuilds it. Each block's changes are one StateDiff:
// apply() updates the tries along the touched paths only, and persist() adds the flat records,
// plus the values they replaced (for reads at past blocks), to the block's atomic write batch.
// See docs/architecture.md for the layout and its costs.
//
// Not internally synchronised: the chain serialises writers against readers.
#pragma once

#include <memory>
#include <unordered_map>

#include "state/account.h"
#include "state/state_reader.h"
#include "storage/kv_store.h"
#include "trie/trie.h"

namespace hc::state {

class WorldState final : public StateReader {
  public:
    WorldState() = default;
    WorldState(WorldState&&) noexcept = default;
    WorldState& operator=(WorldState&&) noexcept = default;

    // Rebuilds the state from the flat records in the store (empty store: empty state).
    static Result<WorldState> open(const storage::KvStore& store);

    // StateReader
    std::optional<Account> account(const Address& address) const override;
    uint256 storage(const Address& address, const Hash32& slot) const override;
    size_t storage_size(const Address& address) const override;
    BytesView code(const Hash32& code_hash) const override;
    size_t account_count() const noexcept { return accounts_.size(); }

    // Applies diff and returns its reverse: the previous value of everything diff touched.
    // REQUIRES: diff has no storage writes for an account it deletes.
    StateDiff apply(const StateDiff& diff);
    // The state root: keccak of the root of the secure trie of encode_account values.
    Hash32 root() noexcept { return account_trie_.root(); }
    // The storage root of one account (kEmptyTrieRoot if it has no storage or does not exist).
    Hash32 storage_root(const Address& address);

    // Adds to batch the new code of diff, the flat records of everything `reverse` (as apply
    // returned it for diff) names at their current values, and the reverse values as the history
    // of block `block_number`.
    void persist(const StateDiff& diff, const StateDiff& reverse, uint64_t block_number,
                 storage::WriteBatch& batch) const;

    // Every account in address order, for tests and chain verification.
    std::map<Address, Account> accounts() const;

  private:
    struct Storage {
        std::unordered_map<Hash32, uint256> slots;
        trie::SecureTrie trie;
    };
    struct Entry {
        Account account;
        // Null while the account holds no slot: most accounts never do, and an empty map and
        // trie would cost about 100 bytes each of a million accounts (docs/performance.md).
        std::unique_ptr<Storage> storage;
    };
    void set_slot(Entry& entry, const Hash32& slot, const uint256& value);
    void update_account_leaf(const Address& address, Entry& entry);

    std::unordered_map<Address, std::unique_ptr<Entry>> accounts_;
    std::unordered_map<Hash32, Bytes> code_;
    trie::SecureTrie account_trie_;
};

// The state as of the end of block `block`, read through the history persist() records on top of
// the latest state. A failed store read makes the value read look absent (or zero) and is kept in
// status(): check it after use, and discard what was computed if it is an error.
// A block above head, the block latest is at, makes every read an error.
// REQUIRES: store and latest outlive the reader and do not change while it is in use (hold the
// chain's read lock).
class HistoricalState final : public StateReader {
  public:
    HistoricalState(const storage::KvStore& store, const WorldState& latest, uint64_t block,
                    uint64_t head)
        : store_(store), latest_(latest), block_(block), head_(head) {}

    std::optional<Account> account(const Address& address) const override;
    uint256 storage(const Address& address, const Hash32& slot) const override;
    size_t storage_size(const Address& address) const override;
    // Code is never removed from the latest state, so it has every code hash a past block had.
    BytesView code(const Hash32& code_hash) const override { return latest_.code(code_hash); }

    const Status& status() const noexcept { return status_; }

  private:
    template <typename T>
    T keep_error(Result<T> r, T fallback) const;

    const storage::KvStore& store_;
    const WorldState& latest_;
    uint64_t block_;
    uint64_t head_;
    mutable Status status_;
};

// Reads at a past block, from the history persist() records. `head` is the latest committed block
// number; a block above it is an error.
Result<std::optional<Account>> account_at(const storage::KvStore& store, const WorldState& state,
                                          const Address& address, uint64_t block, uint64_t head);
Result<uint256> storage_at(const storage::KvStore& store, const WorldState& state,
                           const Address& address, const Hash32& slot, uint64_t block,
                           uint64_t head);

}  // namespace hc::state
