// Parallel block execution with Block-STM (Gelashvili et al., "Block-STM: Scaling Blockchain
// Execution by Turning Ordering Curse to a Performance Blessing", 2022): transactions run
// optimistically on worker threads against a multi-version memory, every read is validated
// against the versions written by lower-indexed transactions, and a transaction whose reads went
// stale runs again. The committed result equals running the block in order, so it is the same as
// execute_block's, field by field.
//
// What plain reads and writes of state cannot express makes the block run sequentially through
// execute_block instead (ParallelStats says which path ran, and why):
//   - the fee: every transaction credits the coinbase. It is kept as a per-transaction delta added
//     in order at the end, which is exact only while no transaction observes the coinbase in any
//     other way. So a block falls back if the coinbase sends or receives a transaction, has code,
//     exists while empty (EIP-161 would delete it depending on earlier fees), or if any executed
//     code could reach another account by address (BALANCE, EXTCODE*, CALL family, CREATE,
//     CREATE2, SELFDESTRUCT);
//   - the block gas limit: a transaction's validity depends on the gas earlier ones used, so the
//     block falls back if the sum of the gas limits exceeds it;
//   - governance: a transaction to a system contract (and a node set activating at this height)
//     changes the rules for the transactions after it, so the block falls back.
#pragma once

#include <functional>
#include <string>

#include "chain/chain.h"

namespace hc::chain {

struct ParallelStats {
    bool parallel = false;        // true: Block-STM ran; false: execute_block ran instead
    std::string fallback_reason;  // why it did not, when parallel is false
    uint64_t executions = 0;      // transaction incarnations run (at least the block's size)
    uint64_t aborts = 0;  // incarnations thrown away: stale reads or reads of an unfinished write
};

// Called by a worker just before it runs an incarnation of the transaction at index txn. Which
// worker runs what, and when, is up to the threads' timing; a test that needs one interleaving
// (a transaction running before an earlier one it conflicts with has written) holds a worker
// here. REQUIRES: safe to call from several threads at once.
using BeforeExecution = std::function<void(uint32_t txn)>;

// execute_block on `threads` worker threads (each on a deep stack), with the same result.
// Fails where execute_block fails, and if threads is 0.
Result<BlockExecution> execute_block_parallel(const state::StateReader& base,
                                              const BlockContext& block,
                                              const std::vector<BlockTx>& txs, unsigned threads,
                                              evm::AnalysisCache* cache = nullptr,
                                              ParallelStats* stats = nullptr,
                                              const BeforeExecution& before_execution = {});

}  // namespace hc::chain
