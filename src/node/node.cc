#include "node/node.h"

#include <cstdio>

#include "storage/memory_store.h"
#include "storage/rocks_store.h"

namespace hc::node {

namespace {

// The pool's view of the latest committed state.
class ChainAccounts final : public txpool::AccountReader {
  public:
    explicit ChainAccounts(const chain::Chain& chain) : chain_(chain) {}
    txpool::AccountState account(const Address& address) const override {
        state::Account a = chain_.account(address);
        return {a.nonce, a.balance};
    }

  private:
    const chain::Chain& chain_;
};

uint64_t unix_seconds() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

}  // namespace

Result<std::unique_ptr<Node>> Node::open(NodeConfig config) {
    std::unique_ptr<Node> node(new Node());
    std::unique_ptr<storage::KvStore> store;
    if (config.data_dir.empty()) {
        store = std::make_unique<storage::MemoryStore>();
    } else {
        std::error_code ec;
        std::filesystem::create_directories(config.data_dir, ec);
        if (ec)
            return make_error(Errc::io, "cannot create the data directory " +
                                            config.data_dir.string() + ": " + ec.message());
        HC_ASSIGN_OR_RETURN(auto rocks, storage::RocksStore::open(config.data_dir / "chain"));
        store = std::move(rocks);
    }
    config.pool.chain_id = config.chain.chain_id;
    config.pool.block_gas_limit = config.chain.gas_limit;
    config.pool.base_fee = config.chain.base_fee;
    if (config.pool.min_gas_price < config.chain.base_fee)
        config.pool.min_gas_price = config.chain.base_fee;
    HC_ASSIGN_OR_RETURN(node->chain_, chain::Chain::open(std::move(store), config.chain));
    node->config_ = std::move(config);
    node->accounts_ = std::make_unique<ChainAccounts>(*node->chain_);
    node->pool_ = std::make_unique<txpool::TxPool>(node->config_.pool, *node->accounts_);
    Node* self = node.get();
    node->metrics_.gauge("hc_block_height", "Number of the latest committed block",
                         [self] { return double(self->chain_->head_number()); });
    node->metrics_.gauge("hc_txpool_transactions", "Transactions in the pool (pending and queued)",
                         [self] { return double(self->pool_->size()); });
    node->committed_txs_ = &node->metrics_.counter("hc_committed_transactions_total",
                                                   "Transactions included in committed blocks");
    node->commit_latency_ = &node->metrics_.histogram(
        "hc_commit_latency_seconds",
        "Time from a transaction's admission at this node to the commit of its block",
        latency_buckets());
    if (node->config_.consensus) {
        const ConsensusSetup& c = *node->config_.consensus;
        const std::filesystem::path dir = node->config_.data_dir.empty()
                                              ? std::filesystem::path()
                                              : node->config_.data_dir / "consensus";
        if (dir.empty())
            return make_error(Errc::invalid_argument,
                              "a consensus node needs a data directory for its safety state");
        node->driver_ =
            std::make_unique<ConsensusDriver>(*node->chain_, *node->pool_, c.committee, c.self,
                                              c.validators, *c.signer, c.link, dir, c.settings);
        HC_TRY(node->driver_->open());
        node->driver_->on_block([self](const chain::CommittedBlock& block) {
            self->observe_commit(block);
            for (const auto& listener : self->block_listeners_)
                listener(block);
        });
    }
    node->pool_->set_listener([self](const Hash32& hash) {
        for (const auto& listener : self->pending_listeners_)
            listener(hash);
        {
            std::lock_guard lock(self->mu_);
            self->work_ = true;
        }
        self->wake_.notify_one();
    });
    return node;
}

Node::~Node() {
    stop();
}

Result<Hash32> Node::submit_raw_transaction(BytesView raw) {
    HC_ASSIGN_OR_RETURN(Hash32 hash, pool_->add(raw));
    {
        std::lock_guard lock(admitted_mu_);
        admitted_.emplace(hash, std::chrono::steady_clock::now());
    }
    // Only what clients submit here is gossiped: what peers gossiped they sent to everyone.
    if (driver_) driver_->on_local_transaction(hash);
    return hash;
}

void Node::observe_commit(const chain::CommittedBlock& block) {
    committed_txs_->add(block.tx_hashes.size());
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(admitted_mu_);
    for (const Hash32& h : block.tx_hashes) {
        auto it = admitted_.find(h);
        if (it == admitted_.end()) continue;
        commit_latency_->observe(std::chrono::duration<double>(now - it->second).count());
        admitted_.erase(it);
    }
    // Forget what left the pool without being committed (replaced, dropped, evicted).
    std::erase_if(admitted_, [&](const auto& entry) { return !pool_->contains(entry.first); });
}

void Node::on_pending_transaction(std::function<void(const Hash32&)> listener) {
    pending_listeners_.push_back(std::move(listener));
}

void Node::on_block(std::function<void(const chain::CommittedBlock&)> listener) {
    block_listeners_.push_back(std::move(listener));
}

Result<chain::CommittedBlock> Node::seal(bool allow_empty) {
    std::vector<txpool::PooledTx> pending =
        pool_->pending_block(config_.chain.gas_limit, config_.seal.max_block_txs);
    if (pending.empty() && !allow_empty) return make_error(Errc::not_found, "nothing to seal");
    std::vector<chain::BlockTx> txs;
    txs.reserve(pending.size());
    for (auto& p : pending)
        txs.push_back({std::move(p.tx), p.hash, p.sender});
    HC_ASSIGN_OR_RETURN(chain::CommittedBlock block,
                        chain_->commit_block(txs, unix_seconds(), config_.seal.proposer));
    // A transaction the chain cannot execute at all would otherwise be offered again every block.
    for (const auto& [hash, error] : block.rejected) {
        if (error.code != Errc::unsupported || !pool_->remove(hash)) continue;
        std::fprintf(stderr, "honeycomb: dropped transaction %s: %s\n", hash.hex().c_str(),
                     error.message.c_str());
    }
    pool_->on_block_committed();
    observe_commit(block);
    for (const auto& listener : block_listeners_)
        listener(block);
    return block;
}

Result<chain::CommittedBlock> Node::seal_now() {
    if (driver_) return make_error(Errc::unsupported, "seal_now: blocks come from consensus here");
    return seal(true);
}

void Node::start() {
    if (driver_) return driver_->start();
    std::lock_guard lock(mu_);
    if (sealer_.joinable()) return;
    stopping_ = false;
    sealer_ = std::thread([this] { seal_loop(); });
}

void Node::stop() {
    if (driver_) driver_->stop();
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (sealer_.joinable()) sealer_.join();
}

void Node::seal_loop() {
    using Clock = std::chrono::steady_clock;
    Clock::time_point last_block = Clock::now();
    const auto interval = config_.seal.max_interval;
    for (;;) {
        bool heartbeat = false;
        {
            std::unique_lock lock(mu_);
            auto ready = [&] { return stopping_ || work_ || pool_->pending_count() > 0; };
            if (interval.count() > 0)
                heartbeat = !wake_.wait_until(lock, last_block + interval, ready);
            else
                wake_.wait(lock, ready);
            if (stopping_) return;
            work_ = false;
        }
        auto block = seal(heartbeat);
        if (block) {
            last_block = Clock::now();
        } else if (block.error().code != Errc::not_found) {
            // A failed write leaves the chain at its previous head; retrying is all a single node
            // can do, and the operator must see why.
            std::fprintf(stderr, "honeycomb: sealing failed: %s\n",
                         block.error().to_string().c_str());
            std::unique_lock lock(mu_);
            wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
        }
    }
}

}  // namespace hc::node
