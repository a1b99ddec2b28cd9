// The Cancun state transition of one transaction with the EVM: validity checks against the
// state, gas purchase, execution through EvmHost, EIP-3529 refund, fee payment and the end of
// transaction clean-up (EIP-6780 destructions, EIP-161 empty accounts).
#pragma once

#include <optional>
#include <vector>

#include "chain/evm_host.h"
#include "governance/state.h"
#include "ledger/receipt.h"
#include "ledger/transaction.h"
#include "state/overlay.h"

namespace hc::chain {

// Who receives the base-fee part of the fee.
enum class FeePolicy : uint8_t {
    burn_base_fee,        // Ethereum (EIP-1559): the coinbase gets the priority fee only
    pay_all_to_coinbase,  // Honeycomb's consortium policy: nothing is burnt
};

// The block a transaction executes in, as the EVM sees it.
struct BlockContext {
    uint64_t number = 0;
    uint64_t timestamp = 0;
    uint64_t gas_limit = 0;
    Address coinbase;
    uint256 base_fee;
    uint256 prev_randao;
    uint256 blob_base_fee = 1;
    uint64_t chain_id = 1;
    BlockHashFn block_hash;  // may be empty: BLOCKHASH then yields zero
    FeePolicy fee_policy = FeePolicy::burn_base_fee;
    // The consortium's governance as of this block (frozen contracts, system contracts); null on
    // a chain without one (the state tests).
    const governance::GovernanceState* governance = nullptr;
};

struct TxOutcome {
    bool status = false;                                           // true: the execution succeeded
    evm::StatusCode evm_status = evm::StatusCode::internal_error;  // why it ended
    uint64_t gas_used = 0;                                         // after the refund
    uint64_t gas_refund = 0;  // the EIP-3529 refund taken off gas_used
    std::vector<Log> logs;
    std::optional<Address> contract_address;  // a successful creation
    Bytes output;                             // return or revert data
};

// Which state-dependent checks apply.
enum class TxChecks : uint8_t {
    transaction,  // all of them: a transaction for a block
    call,         // eth_call and eth_estimateGas: no nonce and no EIP-3607 sender checks
};

// What a sender pays per gas: gas_price, or for type 2 min(max fee, base fee + max priority fee).
// REQUIRES: tx.fee_cap() >= base_fee.
uint256 effective_gas_price(const Transaction& tx, const uint256& base_fee) noexcept;

// The EIP-4844 blob base fee for a block's excess blob gas.
uint256 blob_base_fee(uint64_t excess_blob_gas) noexcept;

// The state-dependent validity checks, in Ethereum's wording: nonce, EIP-3607 (sender has code),
// fee cap against base fee, block gas left, intrinsic gas, initcode size, and the balance for
// gas_limit * fee cap + value. Nothing is changed.
Status check_transaction_state(const state::StateOverlay& state, const Transaction& tx,
                               const Address& sender, const BlockContext& block,
                               uint64_t block_gas_used, TxChecks checks = TxChecks::transaction);

// Executes tx from sender (whose stateless checks, validate_transaction, passed). An invalid
// transaction is an error and leaves the state unchanged; a valid one, failed or not, changes
// the state and yields its outcome. cache, if given, holds code analyses across calls.
// A transaction whose execution reaches the KZG point evaluation precompile (0x0a), which is out
// of scope (no blobs on this chain), is an Errc::unsupported error and leaves the state
// unchanged.
Result<TxOutcome> process_transaction(state::StateOverlay& state, const Transaction& tx,
                                      const Address& sender, const BlockContext& block,
                                      uint64_t block_gas_used = 0,
                                      evm::AnalysisCache* cache = nullptr,
                                      TxChecks checks = TxChecks::transaction);

}  // namespace hc::chain
