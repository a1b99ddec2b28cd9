// One node of the chain: the ledger, the transaction pool, and the consensus driver that orders
// transactions into blocks. A consortium node is one validator of its committee (`honeycomb
// node`); the development chain is the same consensus with a committee of one (`honeycomb dev`).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "chain/chain.h"
#include "node/consensus_driver.h"
#include "node/metrics.h"
#include "txpool/txpool.h"

namespace hc::node {

// A consortium node's place in consensus: the committee is the one its chain's governance names,
// epoch by epoch (ConsensusDriver's governed form).
struct ConsensusSetup {
    std::string name;                               // this node in the governance node set
    std::shared_ptr<const crypto::PrivateKey> key;  // its P-256 consensus key (never null)
    PeerLink* link = nullptr;                       // REQUIRES: outlives the node
};

struct NodeConfig {
    // The chain in data_dir/chain, the consensus state in data_dir/consensus. Empty: everything
    // in memory (tests).
    std::filesystem::path data_dir;
    chain::ChainConfig chain;
    txpool::Config pool;  // chain id, gas limit and base fee are taken from `chain`
    ConsensusSettings settings;
    // This node's place in the consortium. Unset: the node is the only validator of its chain, with
    // a consensus key made on first start and kept in data_dir/consensus/validator.key, and its
    // blocks' fees paid to `coinbase`.
    std::optional<ConsensusSetup> consensus;
    Address coinbase;  // without `consensus` only
};

class Node {
  public:
    // Opens (or creates) the chain in config.data_dir, and the consensus state beside it. Does
    // not start the consensus thread.
    static Result<std::unique_ptr<Node>> open(NodeConfig config);
    ~Node();

    chain::Chain& chain() noexcept { return *chain_; }
    const chain::Chain& chain() const noexcept { return *chain_; }
    txpool::TxPool& pool() noexcept { return *pool_; }
    const NodeConfig& config() const noexcept { return config_; }
    // hc_block_height, hc_consensus_round, hc_consensus_epoch, hc_consensus_voting,
    // hc_txpool_transactions,
    // hc_committed_transactions_total and hc_commit_latency_seconds (admission to commit, for
    // transactions admitted here).
    const Metrics& metrics() const noexcept { return metrics_; }
    // For registering more metrics while the node is being set up (peers).
    Metrics& metrics_registry() noexcept { return metrics_; }

    // Admits a signed transaction (the eth_sendRawTransaction path) through the pool's checks.
    Result<Hash32> submit_raw_transaction(BytesView raw);
    // The same for many at once (an RPC batch), each with its own outcome, in order: they reach
    // the pool, and the consensus thread, together.
    std::vector<Result<Hash32>> submit_raw_transactions(std::span<const BytesView> raws);

    // Called on the consensus thread after each block is committed, in registration order.
    // REQUIRES: registered before start().
    void on_block(std::function<void(const chain::CommittedBlock&)> listener);

    // Called with the hash of each newly admitted transaction, on the admitting thread.
    // REQUIRES: registered before transactions are submitted.
    void on_pending_transaction(std::function<void(const Hash32&)> listener);

    // The consensus driver (frames from peers go to it).
    ConsensusDriver& driver() noexcept { return *driver_; }

    // Starts the consensus thread; stop() (also run by the destructor) joins it.
    void start();
    void stop();

    // Handles what is queued on the caller's thread (see ConsensusDriver::run_until_idle): for a
    // single validator, every pending transaction is committed when it returns. For tests and
    // tools; REQUIRES: not started.
    Status run_until_idle();

  private:
    Node() = default;
    Status open_consensus();

    NodeConfig config_;
    std::unique_ptr<consensus::Signer> own_signer_;  // a single validator's
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
};

}  // namespace hc::node
