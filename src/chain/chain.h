// The ledger of one node: blocks, receipts, indexes and the world state, committed block by
// block in single atomic, synced writes to a KvStore.
//
// Storage layout (columns of storage::KvStore):
//   headers             block hash -> encode_header
//   bodies              block hash -> encode_body (the transactions)
//   receipts            block hash -> rlp([[receipt, meta, sender], ...])
//   index_block_hash    block hash -> 8-byte big-endian number
//   index_block_number  8-byte big-endian number -> block hash
//   index_tx_hash       tx hash -> rlp([block hash, number, index])
//   state, code         flat state records (state/world_state.h)
//   meta                "genesis" -> genesis hash, "head" -> head block hash
//   consensus           8-byte big-endian number -> the consensus record of the block (opaque
//                       here: what the consensus layer needs to prove the block was committed)
// A block is visible only once its write returned: readers see the previous head until then.
//
// Thread-safe: any number of readers run alongside one writer (commit_block).
#pragma once

#include <functional>
#include <memory>
#include <shared_mutex>

#include "chain/transaction_processor.h"
#include "evm/interpreter.h"
#include "governance/state.h"
#include "ledger/block.h"
#include "state/world_state.h"
#include "storage/kv_store.h"

namespace hc::chain {

struct GenesisAccount {
    Address address;
    uint256 balance;
};

// Accounts a genesis names by count instead of listing them (a state of realistic size for
// measurements, without a genesis file of a million entries): account i lives at
// generated_account(i) and holds `balance`.
struct GeneratedAccounts {
    uint64_t count = 0;
    uint256 balance;
};
// The last 20 bytes of keccak256("honeycomb generated account" || 8-byte big-endian i).
Address generated_account(uint64_t i);

// Everything that determines the genesis block, and with it the chain's identity.
struct ChainConfig {
    uint64_t chain_id = 1337;
    uint64_t gas_limit = 30'000'000;  // per block
    uint256 base_fee;                 // the minimum gas price, constant; 0 runs the chain free
    uint64_t genesis_timestamp = 0;
    std::vector<GenesisAccount> alloc;
    GeneratedAccounts generated;  // in addition to alloc
    // A consortium's identity (its organisations and validators): the genesis block's extra data
    // when set, so two consortia never share a genesis; otherwise the extra data is the chain id.
    std::optional<Hash32> consortium_id;
    // The consortium's initial governance (organisations, members, policies, node set), kept in
    // the state of the Governance system contract (chain/governance_store.h). Absent: no system
    // contracts, no permissions.
    std::optional<governance::GovernanceState> governance;
};

// A transaction ready for a block: decoded, stateless checks passed, sender recovered.
struct BlockTx {
    Transaction tx;
    Hash32 hash;
    Address sender;
};

// What the block producer adds to a block besides its transactions.
struct BlockOrigin {
    Bytes extra_data;        // the header's extra data (at most kMaxExtraDataSize bytes)
    Bytes consensus_record;  // stored with the block in the same write; empty: none
};

struct TxLocation {
    Hash32 block_hash;
    uint64_t block_number = 0;
    uint32_t index = 0;
};

// What a block's transactions produced, index by index.
struct BlockReceipts {
    std::vector<Receipt> receipts;
    std::vector<ReceiptMeta> metas;
    std::vector<Address> senders;
};

// One transaction of a block with its receipt (eth_getTransactionReceipt).
struct TransactionReceipt {
    Transaction tx;
    Receipt receipt;
    ReceiptMeta meta;
    Address sender;
    uint32_t first_log_index = 0;  // the block-wide index of its first log
};

struct CommittedBlock {
    Block block;
    Hash32 hash;
    std::vector<Hash32> tx_hashes;
    BlockReceipts receipts;
    std::vector<std::pair<Hash32, Error>> rejected;  // transactions left out, and why
};

// The result of running transactions on a state without committing them.
struct BlockExecution {
    state::StateDiff diff;
    std::vector<BlockTx> included;
    BlockReceipts receipts;
    std::vector<std::pair<Hash32, Error>> rejected;
    uint64_t gas_used = 0;
    Bloom bloom;
};

// Executes txs in order on base with the EVM, leaving out (and listing in `rejected`) each one
// that is invalid at its turn. Shared by block production and replay so both run the same rules.
// Runs on a thread with a deep stack (evm/deep_stack.h); fails only if that cannot start or
// block.block_hash reported a failed read through `read_error`.
// REQUIRES: block.fee_policy is the chain's (pay_all_to_coinbase).
Result<BlockExecution> execute_block(const state::StateReader& base, const BlockContext& block,
                                     const std::vector<BlockTx>& txs,
                                     evm::AnalysisCache* cache = nullptr);

// A message executed without a transaction or a block (eth_call, eth_estimateGas). Absent
// fields take Ethereum clients' defaults.
struct CallRequest {
    std::optional<Address> from;       // the zero address
    std::optional<Address> to;         // absent: contract creation with data as init code
    std::optional<uint64_t> gas;       // the block gas limit (also the most a call may use)
    std::optional<uint256> gas_price;  // zero: no fee, so no balance is needed for gas
    uint256 value;
    Bytes data;
    std::vector<AccessListEntry> access_list;
};

// The result of eth_estimateGas: the smallest gas limit with which the request succeeds, or the
// outcome of running it with the most gas it may have, when it fails even then.
struct GasEstimate {
    std::optional<uint64_t> gas;
    TxOutcome failure;  // when gas is unset
};

// One log with where it came from, as eth_getLogs reports it.
struct LogEntry {
    Log log;
    uint64_t block_number = 0;
    Hash32 block_hash;
    Hash32 tx_hash;
    uint32_t tx_index = 0;
    uint32_t log_index = 0;  // position among all logs of the block
};

// An eth_getLogs query over committed blocks [from, to]. An empty address list matches any
// address; topics[i] empty matches any topic at position i, otherwise one of its values.
struct LogFilter {
    uint64_t from = 0;
    uint64_t to = 0;
    std::vector<Address> addresses;
    std::vector<std::vector<Hash32>> topics;
};
bool log_matches(const LogFilter& filter, const Log& log);

class Chain {
  public:
    // Opens the chain kept in store, writing the genesis block if the store is empty. Fails if the
    // store holds another chain (a different genesis) or its state does not hash to the head
    // block's state root.
    static Result<std::unique_ptr<Chain>> open(std::unique_ptr<storage::KvStore> store,
                                               ChainConfig config);

    const ChainConfig& config() const noexcept { return config_; }
    const Hash32& genesis_hash() const noexcept { return genesis_hash_; }
    BlockHeader head() const;
    Hash32 head_hash() const;
    uint64_t head_number() const;

    Result<std::optional<Hash32>> hash_by_number(uint64_t number) const;
    Result<std::optional<BlockHeader>> header(const Hash32& block_hash) const;
    Result<std::optional<std::vector<Transaction>>> body(const Hash32& block_hash) const;
    // The body as stored: encode_body of the block's transactions (body_transaction_hashes lists
    // their hashes without decoding them).
    Result<std::optional<Bytes>> body_encoding(const Hash32& block_hash) const;
    Result<std::optional<BlockReceipts>> receipts(const Hash32& block_hash) const;
    // The transaction at `at` with its receipt, decoding only that transaction and receipt (the
    // receipts before it are read for their log counts only): a receipt lookup costs the same
    // in a block of 5,000 transactions as in a block of one. Empty when the block is unknown.
    Result<std::optional<TransactionReceipt>> transaction_receipt(const TxLocation& at) const;
    Result<std::optional<TxLocation>> find_transaction(const Hash32& tx_hash) const;

    // The account (a default one if absent), storage and code after block `number`.
    Result<state::Account> account_at(const Address& address, uint64_t number) const;
    Result<uint256> storage_at(const Address& address, const Hash32& slot, uint64_t number) const;
    Result<Bytes> code_at(const Address& address, uint64_t number) const;
    // The latest account (a default one if absent). While a block is being written this is already
    // the state after it, a moment before head() moves to it: the pool's admission reads it and
    // need not wait for the block's storage write (the reads that pair a state with a block,
    // account_at and the rest, wait instead).
    state::Account account(const Address& address) const;
    // The governance state after the head block (null on a chain without governance). A snapshot:
    // it stays valid, and unchanged, while later blocks commit.
    std::shared_ptr<const governance::GovernanceState> governance() const;
    // The gas limit of the next block: the governance's block parameter when there is one (votes
    // change it), else the configuration's.
    uint64_t gas_limit() const;

    // Runs fn on the latest state and head under the read lock.
    void read_state(
        const std::function<void(const state::WorldState&, const BlockHeader&)>& fn) const;

    // Logs of committed blocks matching filter, at most max_results of them (more is an error
    // telling the caller to narrow the range). REQUIRES: filter.from <= filter.to.
    Result<std::vector<LogEntry>> logs(const LogFilter& filter, size_t max_results) const;

    // Executes txs on top of the head (leaving out invalid ones), and commits the block in one
    // atomic write, synced to stable storage before returning (readers may see the block
    // between its write and the end of that sync: the disk wait does not hold them up). Readers
    // are locked out only while the state switches over; the write itself holds up only the reads
    // that pair a state with a block (account_at, storage_at, code_at, call, estimate_gas,
    // read_state), and head() moves once the block's records are in the store. The block's
    // timestamp is `timestamp`, or the parent's if that is later. origin's extra data goes into the
    // header and its consensus record is stored with the block.
    Result<CommittedBlock> commit_block(const std::vector<BlockTx>& txs, uint64_t timestamp,
                                        const Address& proposer, const BlockOrigin& origin = {});

    // The consensus record stored with block `number`, if any.
    Result<std::optional<Bytes>> consensus_record(uint64_t number) const;

    // Executes request on the state after block `number` (at most the head), in the context of
    // that block, and throws the changes away. An invalid request (gas below the intrinsic gas,
    // a balance short of value + gas * price, ...) is an error in Ethereum's wording; a failed
    // execution is an outcome with status false and the revert data as output.
    Result<TxOutcome> call(const CallRequest& request, uint64_t number) const;

    // Binary-searches the gas limit request needs on the state after block `number`: the result
    // succeeds, and one gas less would fail (the 63/64 rule and refunds make it more than the
    // gas used). Errors as call().
    Result<GasEstimate> estimate_gas(const CallRequest& request, uint64_t number) const;

    // Replays every block from genesis on a fresh state and checks that each stored header's state
    // root, receipts root, transactions root, gas used and bloom, and the stored receipts, come out
    // the same, and that the final state equals the stored one.
    Status verify() const;

  private:
    Chain() = default;
    // The execution context of block `header`. BLOCKHASH reads the number index; a failed read
    // is kept in *read_error.
    BlockContext context_of(const BlockHeader& header, Status* read_error) const;
    // Re-reads governance_ from the latest state. REQUIRES: the write lock, or no readers yet.
    Status load_governance();
    // gas_limit(). REQUIRES: the lock, shared or exclusive.
    uint64_t gas_limit_locked() const;
    Result<std::optional<BlockHeader>> read_header(const Hash32& block_hash) const;
    // Runs fn on the state after block `number` and that block's header, under the read locks.
    Status with_state_at(
        uint64_t number,
        const std::function<Status(const state::StateReader&, const BlockHeader&)>& fn) const;

    // Lock order: switching_mu_, then mu_. commit_block holds switching_mu_ exclusively from the
    // state's switch-over until head_ has moved (the block's records written between), and the
    // readers that pair state_ with a block hold it shared: they never see the state after a block
    // whose history records are not in the store yet. mu_ guards state_, head_ and governance_;
    // its exclusive holds are short (the switch-over, then moving the head).
    mutable std::shared_mutex switching_mu_;
    mutable std::shared_mutex mu_;
    std::unique_ptr<storage::KvStore> store_;
    ChainConfig config_;
    state::WorldState state_;
    BlockHeader head_;
    Hash32 head_hash_;
    Hash32 genesis_hash_;
    mutable evm::AnalysisCache analyses_;  // JUMPDEST analyses by code hash, for every execution
    std::shared_ptr<const governance::GovernanceState> governance_;  // after the head
};

// The genesis block of config, and the state diff that funds its accounts.
std::pair<BlockHeader, state::StateDiff> make_genesis(const ChainConfig& config);

}  // namespace hc::chain
