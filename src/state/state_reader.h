// What execution reads from a committed state: accounts, storage and code. The latest state
// (WorldState) and the state as of a past block (HistoricalState) both provide it, so a
// StateOverlay, and with it the EVM, runs on either.
#pragma once

#include <optional>

#include "state/account.h"

namespace hc::state {

class StateReader {
  public:
    virtual ~StateReader() = default;
    virtual std::optional<Account> account(const Address& address) const = 0;
    virtual uint256 storage(const Address& address, const Hash32& slot) const = 0;
    // The number of non-zero storage slots of the account.
    virtual size_t storage_size(const Address& address) const = 0;
    // The code with this hash; empty for kEmptyCodeHash or unknown code.
    virtual BytesView code(const Hash32& code_hash) const = 0;
};

}  // namespace hc::state
