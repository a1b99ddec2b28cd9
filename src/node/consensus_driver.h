// Runs a consensus::Replica for a node: feeds it messages and timers on one thread, carries out
// its actions (persist before sending, send through a PeerLink, execute committed blocks through
// the Chain), supplies its payload from the transaction pool, gossips locally submitted
// transactions in batches, and catches up by block sync when the node is behind.
//
// Wire frames between nodes start with a kind byte:
//   0x01 consensus message (consensus::encode_message)
//   0x02 transaction batch: rlp([raw tx, ...])
//   0x03 sync request: rlp([first height, max records])
//   0x04 sync response: rlp([record, ...]), records as stored by the chain (see below)
// A peer whose frame does not decode is disconnected with the reason; the node carries on.
//
// Ledger block n is the execution of the n-th committed consensus block (empty ones included,
// which exist only where liveness needs them). Its header's extra data is the consensus block id,
// and the chain stores beside it the record rlp([block, commit proof or ""]); the last block of
// each commit carries the proof, so any stored range ending at a proof can be checked by a
// syncing node against the committee alone.
//
// Epochs. On a consortium chain the committee is the node set its governance names
// (node/epoch.h). A vote that changes the set takes effect at an epoch boundary: the block E whose
// execution starts the new epoch. E is the last block of the old committee; blocks it committed
// together with E but above it are discarded (their transactions go back to the pool), and the
// new committee starts from a genesis block of its own at height E. E's record is
// rlp([block, proof, [following block, ...]]): the proof of the commit that included E, and the
// blocks that link E to the block the proof is for (none when E was the last of its commit), so
// that a syncing node can check E against the old committee. Sync responses end at such a record,
// and a syncing node executes nothing past a block that changed its epoch. A node not in the
// current set follows the chain by sync without voting, and starts voting at the boundary that
// adds it. The safety state and the uncommitted blocks of epoch e > 0 live in dir/epoch-e.
//
// Threads: on_frame() and submit paths may be called from any thread; everything else runs on
// the driver's thread, except executing committed blocks once started: the last block of a
// commit is executed and stored on a thread of its own (the executor), so that the next round's
// proposal, votes and durable files overlap its execution. The next commit waits for it first,
// as does anything that reads the executed head (sync, epoch switches); a proposal passes over
// the transactions of a block still executing as it does those of its uncommitted ancestors.
// Without the thread (run_until_idle) blocks execute in line.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <variant>

#include "chain/chain.h"
#include "consensus/replica.h"
#include "txpool/txpool.h"

namespace hc::node {

using consensus::ValidatorIndex;
// A node's id on the network, the same in every epoch (node/epoch.h derives it from the node's
// name); a validator index is its place in one epoch's committee.
using PeerId = uint32_t;

// Where frames to other nodes go: the P2P transport, or an in-process network in tests.
class PeerLink {
  public:
    virtual ~PeerLink() = default;
    virtual void send(PeerId to, Bytes frame) = 0;
    // Drops the connection to a peer that sent something invalid.
    virtual void disconnect(PeerId peer, const std::string& why) = 0;
};

struct ConsensusSettings {
    uint64_t base_timeout_ms = 1000;
    uint64_t max_timeout_ms = 30'000;
    size_t max_block_txs = 5000;
    size_t gossip_batch_txs = 256;     // a batch leaves when this full...
    uint64_t gossip_interval_ms = 20;  // ...or this old
    uint64_t sync_interval_ms = 1000;  // how often a node asks a peer whether it is behind
    uint32_t sync_batch = 64;          // records per sync response
};

struct ValidatorInfo {
    crypto::PublicKey consensus_key;  // P-256
    Address coinbase;                 // receives the fees of the blocks it proposes
    PeerId peer = 0;                  // where its frames go
};

// The coinbase of a validator: the last 20 bytes of keccak256 of its public key without the
// 0x04 prefix, as Ethereum derives addresses.
Address validator_address(const crypto::PublicKey& key);

// A stored consensus record (see above), decoded.
struct ConsensusRecord {
    consensus::Block block;
    std::optional<consensus::CommitProof> proof;
    // Set for the last block of an epoch: the blocks from it to the one the proof is for.
    std::optional<std::vector<consensus::Block>> following;
};
Result<ConsensusRecord> decode_consensus_record(BytesView raw);

class ConsensusDriver final : public consensus::PayloadSource {
  public:
    // A committee fixed for the chain's life (the development chain, tests); validator i is
    // peer i. REQUIRES: chain, pool, signer and link (null when the committee has one member)
    // outlive the driver. dir holds the safety state and the blocks above the committed tip;
    // empty keeps them in memory, which is only safe for a chain that is itself in memory.
    ConsensusDriver(chain::Chain& chain, txpool::TxPool& pool, consensus::Committee committee,
                    ValidatorIndex self, std::vector<ValidatorInfo> validators,
                    consensus::Signer& signer, PeerLink* link, std::filesystem::path dir,
                    ConsensusSettings settings);
    // A consortium node: the committee is the one the chain's governance names, epoch by epoch,
    // and this node is the member called `name` (or a follower while the set does not name it),
    // signing with `key`. open() fails when the set names it with another consensus key.
    // REQUIRES: chain, pool and link outlive the driver; dir is not empty.
    ConsensusDriver(chain::Chain& chain, txpool::TxPool& pool, std::string name,
                    crypto::PrivateKey key, PeerLink& link, std::filesystem::path dir,
                    ConsensusSettings settings);
    ~ConsensusDriver();

    // Loads the persisted safety state and blocks (fresh ones on first start) and builds the
    // replica on the chain's committed tip. Fails on unreadable or inconsistent state.
    Status open();
    void start();
    void stop();

    // A frame from peer `from` (authenticated by the transport). Any thread.
    void on_frame(PeerId from, Bytes frame);
    // Transactions were admitted to the pool locally (RPC): gossip them, and maybe propose.
    void on_local_transactions(std::vector<Hash32> hashes);

    // Called after each block is committed and executed, on the driver's or the executor's
    // thread, never on both at once.
    void on_block(std::function<void(const chain::CommittedBlock&)> listener);

    consensus::Round round() const noexcept { return round_.load(std::memory_order_relaxed); }
    uint64_t epoch() const noexcept { return epoch_number_.load(std::memory_order_relaxed); }
    // Whether this node votes in the current epoch (false: it follows by sync).
    bool voting() const noexcept { return voting_.load(std::memory_order_relaxed); }

    // Handles every queued event, and every timer already due, on the caller's thread, without
    // waiting for later timers: for a committee of one driven without the thread (tests, tools).
    // REQUIRES: not started.
    Status run_until_idle();

    // consensus::PayloadSource (driver thread)
    bool has_pending() override;
    consensus::NewPayload take_payload(std::span<const consensus::HashedPayload> exclude) override;
    bool valid(const consensus::HashedPayload& payload,
               std::span<const consensus::HashedPayload> exclude) override;

  private:
    struct FrameEvent {
        PeerId from;
        Bytes frame;
    };
    // One epoch's committee and this node's place in it.
    struct Epoch {
        consensus::Committee committee;
        std::optional<ValidatorIndex> self;  // none: a follower
        std::vector<ValidatorInfo> validators;
        std::map<PeerId, ValidatorIndex> index_of;
        std::unique_ptr<consensus::Signer> own_signer;  // governed epochs
        consensus::Signer* signer = nullptr;
    };
    struct LocalTxEvent {
        std::vector<Hash32> hashes;
    };
    // A payload's transactions decoded, hashed and with their senders: each block's are worked
    // out once per node (when proposing it, or checking it for a vote), not again to execute it.
    struct Prepared {
        std::vector<chain::BlockTx> txs;
        uint64_t order = 0;  // when it was prepared: the oldest go first past kMaxPrepared
    };
    static constexpr size_t kMaxPrepared = 16;
    // A committed block made ready on the driver thread, to be executed and stored on either.
    struct Execution {
        consensus::BlockHeader header;  // the payload is in txs
        Bytes record;
        std::vector<chain::BlockTx> txs;
        Address coinbase;
        std::filesystem::path file;  // its consensus block file, removed once it is stored
        uint64_t epoch = 0;          // the committee's epoch it was committed in
    };
    // The executor finished a block: its transactions left the pool, which may leave nothing
    // to propose, or something (has_pending() passes over a block still executing).
    struct ExecutedEvent {};
    using Event = std::variant<FrameEvent, LocalTxEvent, ExecutedEvent>;

    void loop();
    uint64_t next_wakeup_ms() const;
    void on_tick(uint64_t now_ms);
    void handle(Event event, uint64_t now_ms);
    void handle_frame(PeerId from, const Bytes& frame, uint64_t now_ms);
    void apply(std::vector<consensus::Action> actions);
    Status persist(const consensus::Persist& p);
    Status commit(const consensus::Commit& c);
    // Executes one committed block and stores its record. Returns true when the block started a
    // new epoch (the caller then executes nothing after it and calls switch_epoch()).
    // REQUIRES: no execution in flight (finish_executions()).
    Result<bool> execute(const consensus::Block& block, Bytes record);
    // Hands the block to the executor. REQUIRES: as execute(), and the block is not the last of
    // an epoch.
    Status execute_later(const consensus::Block& block, Bytes record);
    // The block's transactions (prepared, or decoded now) and what executing it needs from the
    // driver's state; nothing when the ledger already has it. Driver thread.
    Result<std::optional<Execution>> ready(const consensus::Block& block, Bytes record);
    // Executes and stores a ready block: execute()'s result. Either thread.
    Result<bool> run(Execution& e);
    void execution_loop();
    // Waits until the executor is idle; its first failure, if any.
    Status finish_executions();
    void flush_gossip(uint64_t now_ms, bool force);
    void request_sync(uint64_t now_ms);
    void serve_sync(PeerId from, BytesView body);
    void apply_sync(PeerId from, BytesView body);
    Status load_epoch();
    // load_epoch(), then the epoch's directory made and earlier epochs' state removed.
    Status enter_epoch();
    Status switch_epoch(const std::vector<consensus::Block>& discarded, uint64_t now_ms);
    Status rebuild_replica();
    void readmit(const std::vector<consensus::Block>& above);
    Status load_blocks_above(const consensus::Block& tip,
                             std::vector<consensus::Block>& above) const;
    std::filesystem::path epoch_dir() const;
    Status remove_other_epochs();
    void send_frame(ValidatorIndex to, uint8_t kind, Bytes body);
    void send_to_peer(PeerId to, uint8_t kind, Bytes body);
    void send_to_committee(uint8_t kind, const Bytes& body);
    void fail(const Error& e);
    // Keeps txs as the prepared form of the payload hashing to payload_hash.
    void keep_prepared(const Hash32& payload_hash, std::vector<chain::BlockTx> txs);
    // The prepared form of a payload: kept, or decoded now (and kept). Null when the payload
    // does not decode, repeats a transaction, holds one whose checks or signer fail, or
    // asks for more gas than a block has.
    const Prepared* prepared(BytesView payload, const Hash32& payload_hash);
    // The hashes of the transactions in `payloads` (the uncommitted blocks a new one extends).
    std::unordered_set<Hash32> hashes_in(std::span<const consensus::HashedPayload> payloads);
    Result<consensus::Block> committed_tip() const;
    bool is_boundary(uint64_t height) const;

    chain::Chain& chain_;
    txpool::TxPool& pool_;
    std::optional<std::string> name_;        // governed: this node's name in the node set
    std::optional<crypto::PrivateKey> key_;  // governed: its consensus key
    Epoch epoch_;
    PeerLink* link_;
    std::filesystem::path dir_;
    ConsensusSettings settings_;
    uint64_t generation_ = 0;  // bumped by each epoch switch: stale actions are dropped
    // Set once the boundary block is executed, until the action list that committed it is done:
    // the blocks to discard.
    std::optional<std::vector<consensus::Block>> pending_switch_;
    std::vector<std::function<void(const chain::CommittedBlock&)>> listeners_;

    std::unordered_map<Hash32, Prepared> prepared_;  // by payload hash
    uint64_t prepared_order_ = 0;

    std::unique_ptr<consensus::Replica> replica_;
    uint64_t timer_deadline_ = 0;  // 0: none
    std::atomic<consensus::Round> round_{0};
    std::atomic<uint64_t> epoch_number_{0};
    std::atomic<bool> voting_{false};

    // Gossip: hashes admitted locally, not yet sent.
    std::vector<Hash32> gossip_;
    uint64_t gossip_since_ms_ = 0;
    uint64_t next_sync_ms_ = 0;
    uint32_t sync_peer_ = 0;

    std::thread executor_;
    std::mutex exec_mu_;  // the executor's fields below
    std::condition_variable exec_wake_, exec_idle_;
    std::optional<Execution> exec_next_;
    bool exec_running_ = false;
    bool exec_stopping_ = false;
    Status exec_failure_;
    std::unordered_set<Hash32> executing_;  // the transactions of exec_next_ and the running one

    std::mutex mu_;  // events_, stopping_
    std::condition_variable wake_;
    std::deque<Event> events_;
    bool stopping_ = false;
    Status failure_;  // the first error that stopped the driver
    std::thread thread_;
};

}  // namespace hc::node
