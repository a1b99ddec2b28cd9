// Transaction execution against a state overlay. Until the EVM exists this covers value
// transfers only: intrinsic gas, nonce and balance rules, and fee accounting. A transaction that
// would run code gets a clear error rather than a silent transfer.
#pragma once

#include "ledger/receipt.h"
#include "ledger/transaction.h"
#include "state/overlay.h"

namespace hc::chain {

// The block a transaction executes in.
struct BlockEnv {
    uint64_t number = 0;
    uint64_t timestamp = 0;
    uint64_t gas_limit = 0;
    Address proposer;  // receives the transaction fees
    uint256 base_fee;  // constant on a consortium chain: the configured minimum gas price
    uint64_t chain_id = 0;
};

struct ExecutedTx {
    Receipt receipt;  // cumulative_gas_used includes this transaction
    ReceiptMeta meta;
};

// What a sender pays per gas: gas_price, or for type 2 min(max fee, base fee + max priority fee).
// REQUIRES: tx.fee_cap() >= base_fee.
uint256 effective_gas_price(const Transaction& tx, const uint256& base_fee) noexcept;

// Whether executing tx needs the EVM: contract creation, a call to an account with code, or a
// call to a precompiled contract. Returns the error to give the sender, or success.
Status check_no_code_needed(const state::StateOverlay& state, const Transaction& tx);

// The state-dependent validity rules (check_transaction_state of the EVM state transition),
// checked before anything changes: nonce equal to the account's, sender without code, fee cap at
// least the base fee, gas within what the block has left, and a balance covering
// gas_limit * fee cap + value. Errors use the wording Ethereum clients match on
// ("nonce too low", "insufficient funds for gas * price + value", ...).
Status check_transaction(const state::StateOverlay& state, const Transaction& tx,
                         const Address& sender, const BlockEnv& env, uint64_t block_gas_used);

// Executes tx, whose stateless checks (validate_transaction) passed and whose sender is given.
// On success the state holds the transaction's effects: nonce + 1, value moved, gas_used *
// effective price moved from the sender to the proposer (the whole fee: nothing is burnt, so the
// total supply is constant). On error nothing changed and the transaction must not be included.
Result<ExecutedTx> execute_transaction(state::StateOverlay& state, const Transaction& tx,
                                       const Address& sender, const BlockEnv& env,
                                       uint64_t block_gas_used);

}  // namespace hc::chain
