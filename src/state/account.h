// Accounts and the change sets that move the world state from one block to the next.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <utility>

#include "common/address.h"
#include "common/bytes.h"
#include "common/error.h"
#include "common/fixed_bytes.h"
#include "common/uint256.h"

namespace hc::state {

// keccak256 of empty code: the code hash of every account without code.
extern const Hash32 kEmptyCodeHash;

// An account as execution sees it. Its storage root is not here: the world state derives it from
// the account's storage.
struct Account {
    uint64_t nonce = 0;
    uint256 balance;
    Hash32 code_hash = kEmptyCodeHash;

    bool has_code() const noexcept { return code_hash != kEmptyCodeHash; }
    bool operator==(const Account&) const = default;
};

// Ethereum's account encoding, the value in the state trie: rlp([nonce, balance, storageRoot,
// codeHash]).
Bytes encode_account(const Account& account, const Hash32& storage_root);
struct StoredAccount {
    Account account;
    Hash32 storage_root;
};
Result<StoredAccount> decode_account(BytesView raw);

using StorageKey = std::pair<Address, Hash32>;  // account, slot

// What one block (or one call) changed: the new value of every account and storage slot it
// touched. Applying a diff and then the reverse diff it returns restores the state exactly.
struct StateDiff {
    // nullopt deletes the account, with all of its storage.
    std::map<Address, std::optional<Account>> accounts;
    // Accounts whose whole storage is dropped before `storage` is applied (an account deleted and
    // created again within the diff).
    std::set<Address> cleared_storage;
    // Zero erases the slot.
    std::map<StorageKey, uint256> storage;
    // New code by hash. Code is content-addressed and never deleted.
    std::map<Hash32, Bytes> code;

    bool empty() const noexcept {
        return accounts.empty() && cleared_storage.empty() && storage.empty() && code.empty();
    }
};

}  // namespace hc::state
