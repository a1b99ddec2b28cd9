// A writable view over a committed state (the latest WorldState or a HistoricalState) for executing
// transactions: reads fall through to the base, writes stay in the overlay, and
// snapshot()/revert_to() undo writes (a failed call, an invalid transaction). diff() hands the net
// change to WorldState::apply when the block commits.
#pragma once

#include <vector>

#include "state/account.h"
#include "state/world_state.h"

namespace hc::state {

class StateOverlay {
  public:
    // REQUIRES: base outlives the overlay and does not change while it is in use.
    explicit StateOverlay(const StateReader& base) : base_(base) {}

    std::optional<Account> account(const Address& address) const;
    bool exists(const Address& address) const { return account(address).has_value(); }
    uint64_t nonce(const Address& address) const;
    uint256 balance(const Address& address) const;
    uint256 storage(const Address& address, const Hash32& slot) const;
    BytesView code(const Address& address) const;
    // Whether the account has any non-zero storage slot.
    bool has_storage(const Address& address) const;

    // Creates the account if needed.
    void put_account(const Address& address, const Account& account);
    // Removes the account and all of its storage.
    void delete_account(const Address& address);
    void set_storage(const Address& address, const Hash32& slot, const uint256& value);
    // Stores code and points the account (created if needed) at it.
    void set_code(const Address& address, Bytes code);
    void add_balance(const Address& address, const uint256& amount);
    // REQUIRES: balance(address) >= amount.
    void sub_balance(const Address& address, const uint256& amount);
    void set_nonce(const Address& address, uint64_t nonce);

    // A point to return to; revert_to undoes every write made since. Snapshots nest.
    size_t snapshot() const noexcept { return journal_.size(); }
    // REQUIRES: id came from snapshot() and no revert_to went below it since.
    void revert_to(size_t id);

    // The net change against the base.
    StateDiff diff() const;

  private:
    // One undo record: the overlay's entry for a key before a write (absent or a value).
    struct Undo {
        enum class Kind : uint8_t { account, slot, cleared, code } kind;
        Address address;
        Hash32 key;  // slot or code hash
        bool had_entry = false;
        std::optional<Account> account;
        uint256 value;
    };
    void journal_account(const Address& address);
    void journal_slot(const Address& address, const Hash32& slot);
    bool storage_dropped(const Address& address) const;

    const StateReader& base_;
    std::map<Address, std::optional<Account>> accounts_;
    std::set<Address> cleared_;
    std::map<StorageKey, uint256> storage_;
    std::map<Hash32, Bytes> code_;
    std::vector<Undo> journal_;
};

}  // namespace hc::state
