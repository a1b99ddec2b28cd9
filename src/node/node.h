// One node of the chain: the ledger, the transaction pool, and what orders transactions into
// blocks: either consensus among the consortium's validators (ConsensusDriver, `honeycomb node`)
// or, for the development chain, a sealing loop that commits what is pending (`honeycomb dev`).
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "chain/chain.h"
#include "node/consensus_driver.h"
#include "node/metrics.h"
#include "txpool/txpool.h"

namespace hc::node {

struct SealConfig {
    // A block is sealed as soon as transactions are pending; without any, an empty block is sealed
    // after this long so the head (and its timestamp) keeps moving. Zero: only seal for
    // transactions.
    std::chrono::milliseconds max_interval{5000};
    size_t max_block_txs = 5000;  // besides the block gas limit
    Address proposer;             // receives the fees of the blocks this node seals
};

// A validator's place in consensus.
struct ConsensusSetup {
    consensus::Committee committee;
    ValidatorIndex self = 0;
    std::vector<ValidatorInfo> validators;  // by index
    consensus::Signer* signer = nullptr;    // REQUIRES: outlives the node
    PeerLink* link = nullptr;               // null only for a committee of one
    ConsensusSettings settings;
};

struct NodeConfig {
    std::filesystem::path data_dir;  // empty: keep everything in memory (tests)
    chain::ChainConfig chain;
    txpool::Config pool;  // chain id, gas limit and base fee are taken from `chain`
    SealConfig seal;      // without consensus
    // Set: blocks come from consensus (state in data_dir/consensus), and `seal` is unused.
    std::optional<ConsensusSetup> consensus;
};

class Node {
  public:
    // Opens (or creates) the chain in config.data_dir. Does not start sealing.
    static Result<std::unique_ptr<Node>> open(NodeConfig config);
    ~Node();

    chain::Chain& chain() noexcept { return *chain_; }
    const chain::Chain& chain() const noexcept { return *chain_; }
    txpool::TxPool& pool() noexcept { return *pool_; }
    const NodeConfig& config() const noexcept { return config_; }
    // hc_block_height, hc_txpool_transactions, hc_committed_transactions_total and
    // hc_commit_latency_seconds (admission to commit, for transactions admitted here).
    const Metrics& metrics() const noexcept { return metrics_; }
    // For registering more metrics while the node is being set up (peers, consensus round).
    Metrics& metrics_registry() noexcept { return metrics_; }

    // Admits a signed transaction (the eth_sendRawTransaction path) through the pool's checks.
    Result<Hash32> submit_raw_transaction(BytesView raw);

    // Called on the sealing thread after each block is committed, in registration order.
    // REQUIRES: registered before start().
    void on_block(std::function<void(const chain::CommittedBlock&)> listener);

    // Called with the hash of each newly admitted transaction, on the admitting thread.
    // REQUIRES: registered before transactions are submitted.
    void on_pending_transaction(std::function<void(const Hash32&)> listener);

    // The consensus driver, when the node runs consensus (frames from peers go to it).
    ConsensusDriver* driver() noexcept { return driver_.get(); }

    // Starts the sealing thread (or the consensus driver); stop() (also run by the destructor)
    // finishes the block being sealed and joins it.
    void start();
    void stop();

    // Seals one block from what is pending now (an empty one if nothing is), on the caller's
    // thread. For tests and tools; REQUIRES: the sealing thread is not running, no consensus.
    Result<chain::CommittedBlock> seal_now();

  private:
    Node() = default;
    void seal_loop();
    Result<chain::CommittedBlock> seal(bool allow_empty);

    NodeConfig config_;
    std::unique_ptr<chain::Chain> chain_;
    std::unique_ptr<txpool::AccountReader> accounts_;
    std::unique_ptr<txpool::TxPool> pool_;
    std::unique_ptr<ConsensusDriver> driver_;
    std::vector<std::function<void(const chain::CommittedBlock&)>> block_listeners_;
    std::vector<std::function<void(const Hash32&)>> pending_listeners_;

    Metrics metrics_;
    Counter* committed_txs_ = nullptr;
    Histogram* commit_latency_ = nullptr;
    std::mutex admitted_mu_;
    std::unordered_map<Hash32, std::chrono::steady_clock::time_point> admitted_;
    void observe_commit(const chain::CommittedBlock& block);

    std::mutex mu_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool work_ = false;
    std::thread sealer_;
};

}  // namespace hc::node
