// The transaction pool: admits signed transactions submitted over RPC, keeps them ordered per
// sender by nonce, and hands the executable ones to the block producer.
//
// Every transaction in the pool is either
//   pending: its nonce continues the sender's contiguous run starting at the account nonce, so it
//            can go into the next block; or
//   queued:  a nonce gap separates it from that run; it waits until the gap is filled.
//
// Admission errors carry the wording of Ethereum clients as the start of their message
// ("nonce too low", "replacement transaction underpriced", ...), because wallets such as ethers.js
// recognise errors by matching those phrases.
//
// Balance policy (like geth): a sender's pooled transactions must be affordable together. A new
// transaction is admitted only if the account balance covers the summed cost
// (value + gas_limit * fee cap) of all the sender's pooled transactions plus its own (a replaced
// transaction's cost is not counted). This is stricter than a per-transaction check, so one
// account cannot fill the pool with transactions it could never pay for.
//
// Thread safety: every public method may be called concurrently. State is guarded by one internal
// mutex; the AccountReader is called without that mutex held, and so is the listener.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/address.h"
#include "common/uint256.h"
#include "ledger/transaction.h"
#include "txpool/sender_cache.h"

namespace hc::txpool {

struct AccountState {
    uint64_t nonce = 0;
    uint256 balance;
};

// Read access to the latest committed state, implemented by the chain.
// Must be thread-safe. The pool calls it without holding its own lock.
class AccountReader {
  public:
    virtual ~AccountReader() = default;
    // An account that does not exist reads as nonce 0, balance 0.
    virtual AccountState account(const Address& address) const = 0;
    // Whether the consortium lets `sender` send `tx` (membership and policies); the error is
    // the rejection the client sees. Everything is allowed unless the chain says otherwise.
    virtual Status permits(const Transaction& tx, const Address& sender) const {
        (void)tx;
        (void)sender;
        return {};
    }
};

struct Config {
    uint64_t chain_id = 1337;
    uint64_t block_gas_limit = 30'000'000;
    // Constant base fee of the chain (may be 0). A transaction's fee cap, and the gas price it
    // effectively pays (min(fee cap, base fee + tip cap)), must reach max(base_fee, min_gas_price).
    uint256 base_fee;
    uint256 min_gas_price;  // may be 0: consortium chains often run free
    // A replacement needs its fee cap and its tip cap each >= old * (100 + bump) / 100.
    uint32_t price_bump_percent = 10;
    size_t capacity = 8192;         // most transactions in the pool, pending and queued together
    size_t max_per_sender = 256;    // most transactions one sender may hold, pending and queued
    uint64_t max_nonce_gap = 1024;  // nonce > account nonce + this is "nonce too high"
};

struct PooledTx {
    Transaction tx;
    Hash32 hash;
    Address sender;
    Bytes raw;             // the encoding as submitted
    uint64_t arrival = 0;  // admission order, unique within one pool
};

class TxPool {
  public:
    // REQUIRES: state outlives the pool.
    TxPool(Config config, const AccountReader& state);

    TxPool(const TxPool&) = delete;
    TxPool& operator=(const TxPool&) = delete;

    // Full admission of one encoded transaction; returns its hash. Errors (code invalid_argument,
    // or unsupported for an unknown type) start with the Ethereum client wording:
    //   "oversized data", "transaction type not supported", "invalid transaction: ..." (does not
    //   decode), "invalid chain id", "invalid sender", "intrinsic gas too low" (and the other
    //   stateless checks of validate_transaction, with its own wording), "already known",
    //   "exceeds block gas limit", "transaction underpriced", "nonce too low", "nonce too high",
    //   "replacement transaction underpriced", "account has too many pending transactions",
    //   "insufficient funds for gas * price + value: address 0x.. have X want Y", "txpool is full".
    // A transaction with the nonce of one already pooled for the same sender replaces it if both
    // its fee cap and its tip cap are bumped by price_bump_percent.
    // When the pool is full, the cheapest evictable transaction makes room: first the cheapest
    // queued tail (a sender's highest-nonce transaction, when queued), otherwise the cheapest
    // pending tail. Only tails are evicted, so no other transaction loses its place in a run.
    // "Cheapest" compares the effective tip, then the fee cap; the newest goes first on a tie.
    // The newcomer must pay strictly more than the transaction it evicts, and never evicts its
    // own sender's lower nonce. Legacy transactions without EIP-155 replay protection are
    // admitted, as validate_transaction allows them.
    Result<Hash32> add(BytesView raw);
    // add() for each of `raws`, in order, with add()'s outcome for each. The checks and signer
    // recoveries run without the pool lock and the admissions under one hold of it, so a batch
    // (an RPC batch, a gossiped frame) costs one lock rather than one per transaction. A later
    // transaction of the batch sees the earlier ones pooled (a sender's next nonce is admitted).
    std::vector<Result<Hash32>> add_batch(std::span<const BytesView> raws);

    // Executable transactions for the next block, in execution order, without removing them.
    // For each sender, its pending run in nonce order; across senders, the highest effective tip
    // (min(tip cap, fee cap - base fee)) first, ties by arrival. A transaction whose gas_limit no
    // longer fits in max_gas is skipped together with the rest of its sender's run, and filling
    // continues with other senders; filling stops once less than 21,000 gas is left (no
    // transaction asks for less). At most max_count transactions. O(n log n) for the n taken (and
    // the heads skipped): each sender's first pending transaction is kept in order as the pool
    // changes, so a block does not visit every sender.
    // Transactions in `skip` (those of the uncommitted blocks the next one extends, which stay
    // pooled until their block commits) are passed over without taking room, and their sender's
    // run goes on after them: otherwise a block after a full one would be left the room its
    // parent's transactions took.
    // A transaction that does not fit in the gas left is passed over with its sender's later
    // ones; after 64 such in a row that would fit an empty block, the block is done (they lead
    // the next one), so that filling a block costs O(block), not O(senders), when the gas left
    // fits none of them.
    // Uses the account nonces of the last on_block_committed (or admission), so call
    // on_block_committed after each block commits.
    std::vector<PooledTx> pending_block(uint64_t max_gas, size_t max_count,
                                        const std::unordered_set<Hash32>& skip = {}) const;

    // After a block commits: reads every pooled sender's account, drops transactions whose nonce
    // is below the account nonce, drops the transactions the sender can no longer pay for (from
    // the first one in nonce order whose cumulative cost exceeds the balance, to the end), and
    // promotes queued transactions whose gap has closed.
    void on_block_committed();
    // The same for the pooled senders among `senders` only: pass the senders of the block's
    // transactions. Only a sender's own transaction raises its nonce or lowers its balance (a
    // contract cannot take ether from an account), so the other pooled senders' transactions
    // stay valid; reading their accounts after every block would cost O(pool) per block.
    void on_block_committed(std::span<const Address> senders);

    // The next nonce the sender should use (eth_getTransactionCount with "pending"): the account
    // nonce plus the length of the contiguous run of pooled transactions starting there.
    uint64_t pending_nonce(const Address& sender) const;

    // Drops one transaction (a block left it out for good); the sender's later nonces wait in the
    // queue for the gap to close. Returns whether it was pooled.
    bool remove(const Hash32& hash);

    std::optional<PooledTx> get(const Hash32& hash) const;
    // The encodings of those of `hashes` still pooled, in order, under one lock (gossip).
    std::vector<Bytes> raws(std::span<const Hash32> hashes) const;
    // The recovered sender of a pooled transaction, without copying the transaction.
    std::optional<Address> sender(const Hash32& hash) const;

    // The stateless checks of validate_transaction on tx, whose hash is `hash`, recovering the
    // signer only when neither the pool nor its cache of recent recoveries knows it: a node
    // recovers each transaction once, whether it first sees it submitted, gossiped, proposed
    // or in a block to execute. Errors as validate_transaction's.
    Result<Address> checked_sender(const Transaction& tx, const Hash32& hash);
    bool contains(const Hash32& hash) const;

    size_t size() const;
    size_t pending_count() const;
    size_t queued_count() const;

    // Called with the hash of each newly admitted transaction (replacements included), outside
    // the pool lock, on the thread that called add. Feeds newPendingTransactions subscriptions.
    // Pass an empty function to remove the listener; a call already under way on another thread
    // may still reach the previous one. The listener may call back into the pool.
    void set_listener(std::function<void(const Hash32&)> on_new);

  private:
    struct Entry {
        PooledTx ptx;
        uint256 fee_cap;
        uint256 tip_cap;
        uint256 effective_tip;  // min(tip cap, fee cap - base fee)
        uint256 cost;           // value + gas_limit * fee cap
    };
    // Highest effective tip first; among equals the oldest first (block order).
    struct HeadOrder {
        bool operator()(const Entry* a, const Entry* b) const;
    };
    // Cheapest first; among equals the newest first (it is evicted before older ones).
    struct EvictOrder {
        bool operator()(const Entry* a, const Entry* b) const;
    };
    struct Sender {
        uint64_t base_nonce = 0;  // account nonce at the last sync
        std::map<uint64_t, Entry> txs;
        size_t pending = 0;  // length of the run txs[base_nonce], txs[base_nonce + 1], ...
        uint256 total_cost;  // sum of cost over txs
        const Entry* tracked_tail = nullptr;  // the entry in queued_tails_ or pending_tails_
        bool tail_pending = false;
        const Entry* tracked_head = nullptr;  // txs[base_nonce] in heads_, while pending > 0
    };
    using SenderMap = std::unordered_map<Address, Sender>;

    // A decoded submission on its way in; sender is set by check_candidate.
    struct Candidate {
        Transaction tx;
        Hash32 hash;
        Address sender;
        BytesView raw;
    };
    // The size limit and the decoding, with add()'s errors.
    Result<Candidate> decode_candidate(BytesView raw) const;
    // The checks that need no pool state: stateless validity, the signer (recovered once),
    // the consortium's permission, the gas limit and the price floor.
    Status check_candidate(Candidate& c);
    // REQUIRES: mu_ held.
    Result<Hash32> admit(Transaction tx, BytesView raw, const Hash32& hash, const Address& sender,
                         const AccountState& account);
    // Drops what the account state makes stale or unaffordable, and recounts the pending run.
    // Erases the sender when nothing is left; returns false then.
    bool sync_sender(SenderMap::iterator it, const AccountState& account);
    // Evicts one transaction to make room for `incoming`; false if it pays too little.
    bool evict_for(const Entry& incoming);
    void remove_entry(Sender& s, std::map<uint64_t, Entry>::iterator e);
    void recount(Sender& s);
    // Takes the sender's tail (for eviction) and head (for blocks) out of the ordered sets before
    // its transactions change, and puts them back after (with its pending run recounted).
    void untrack(Sender& s);
    void track(Sender& s);
    void erase_if_empty(SenderMap::iterator it);
    // The sender from the cache of recent recoveries, or recovered (and cached).
    Result<Address> recover_once(const Transaction& tx, const Hash32& hash);
    // Bumps epoch_; when `only` is set, the pooled senders among them, otherwise all.
    void sync_after_commit(std::optional<std::span<const Address>> only);

    const Config config_;
    const AccountReader& state_;
    SenderCache recovered_;

    mutable std::mutex mu_;
    SenderMap senders_;
    std::unordered_map<Hash32, const Entry*> by_hash_;
    std::set<const Entry*, EvictOrder> queued_tails_;
    std::set<const Entry*, EvictOrder> pending_tails_;
    std::set<const Entry*, HeadOrder> heads_;  // each sender's first pending transaction
    size_t pending_total_ = 0;
    uint64_t next_arrival_ = 0;
    // Bumped when on_block_committed starts, so that an admission that read the account before a
    // commit and locks after that point reads the account again. Written under mu_.
    std::atomic<uint64_t> epoch_{0};
    std::function<void(const Hash32&)> listener_;
};

}  // namespace hc::txpool
