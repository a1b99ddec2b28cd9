#include "node/node.h"

#include "consensus/signer.h"
#include "crypto/cert_issuer.h"
#include "crypto/secp256k1.h"
#include "governance/system_contracts.h"
#include "storage/memory_store.h"
#include "storage/rocks_store.h"

namespace hc::node {

namespace fs = std::filesystem;

namespace {

// The pool's view of the latest committed state.
class ChainAccounts final : public txpool::AccountReader {
  public:
    explicit ChainAccounts(const chain::Chain& chain) : chain_(chain) {}
    txpool::AccountState account(const Address& address) const override {
        state::Account a = chain_.account(address);
        return {a.nonce, a.balance};
    }
    Status permits(const Transaction& tx, const Address& sender) const override {
        auto g = chain_.governance();
        if (!g || g->mode == governance::PermissionMode::open) return {};
        const bool to_code = tx.to && chain_.account(*tx.to).has_code();
        return governance::check_transaction_permission(*g, sender, tx.to, tx.data, to_code);
    }

  private:
    const chain::Chain& chain_;
};

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
    node->metrics_.counter(
        "hc_signature_recoveries_total",
        "secp256k1 public-key recoveries by this process: about one per transaction it sees",
        [] { return double(crypto::secp256k1_recoveries()); });
    node->metrics_.gauge("hc_consensus_round", "The consensus round entered last",
                         [self] { return double(self->driver_->round()); });
    node->metrics_.gauge("hc_consensus_epoch", "The consensus epoch (node-set changes so far)",
                         [self] { return double(self->driver_->epoch()); });
    node->metrics_.gauge("hc_consensus_voting",
                         "1 while this node is in the consensus set, 0 while it follows by sync",
                         [self] { return self->driver_->voting() ? 1.0 : 0.0; });
    HC_TRY(node->open_consensus());
    node->pool_->set_listener([self](const Hash32& hash) {
        for (const auto& listener : self->pending_listeners_)
            listener(hash);
    });
    return node;
}

Node::~Node() {
    stop();
}

Result<Hash32> Node::submit_raw_transaction(BytesView raw) {
    return std::move(submit_raw_transactions(std::span<const BytesView>(&raw, 1)).front());
}

std::vector<Result<Hash32>> Node::submit_raw_transactions(std::span<const BytesView> raws) {
    std::vector<Result<Hash32>> results = pool_->add_batch(raws);
    std::vector<Hash32> admitted;
    admitted.reserve(results.size());
    for (const auto& r : results)
        if (r) admitted.push_back(*r);
    if (admitted.empty()) return results;
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(admitted_mu_);
        for (const Hash32& hash : admitted)
            admitted_.emplace(hash, now);
    }
    // Only what clients submit here is gossiped: what peers gossiped they sent to everyone.
    driver_->on_local_transactions(std::move(admitted));
    return results;
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
    // Forget what left the pool without being committed (replaced, dropped, evicted). Only once
    // such leftovers could outnumber the pool: a sweep per block would cost O(pool) per block.
    if (admitted_.size() > 2 * pool_->size() + 1024)
        std::erase_if(admitted_, [&](const auto& entry) { return !pool_->contains(entry.first); });
}

void Node::on_pending_transaction(std::function<void(const Hash32&)> listener) {
    pending_listeners_.push_back(std::move(listener));
}

void Node::on_block(std::function<void(const chain::CommittedBlock&)> listener) {
    block_listeners_.push_back(std::move(listener));
}

void Node::start() {
    driver_->start();
}

void Node::stop() {
    if (driver_) driver_->stop();
}

Status Node::run_until_idle() {
    return driver_->run_until_idle();
}

Status Node::open_consensus() {
    const fs::path dir = config_.data_dir.empty() ? fs::path() : config_.data_dir / "consensus";
    if (config_.consensus) {
        if (dir.empty())
            return make_error(
                Errc::invalid_argument,
                "a validator of a consortium needs a data directory for its safety state");
        const ConsensusSetup& c = *config_.consensus;
        HC_ASSIGN_OR_RETURN(auto key, crypto::PrivateKey::from_bytes(c.key->algo(), c.key->raw()));
        driver_ = std::make_unique<ConsensusDriver>(*chain_, *pool_, c.name, std::move(key),
                                                    *c.link, dir, config_.settings);
    } else {
        // The only validator of its own chain: a key of its own, kept with the chain.
        std::optional<crypto::PrivateKey> key;
        if (!dir.empty()) {
            std::error_code ec;
            fs::create_directories(dir, ec);
            if (ec)
                return make_error(Errc::io, "cannot create " + dir.string() + ": " + ec.message());
            const fs::path key_path = dir / "validator.key";
            if (fs::exists(key_path, ec)) {
                HC_ASSIGN_OR_RETURN(key, crypto::read_consensus_key(key_path));
            } else {
                HC_ASSIGN_OR_RETURN(key, crypto::PrivateKey::generate(crypto::SigAlgo::p256));
                HC_TRY(crypto::write_consensus_key(key_path, *key));
            }
        } else {
            HC_ASSIGN_OR_RETURN(key, crypto::PrivateKey::generate(crypto::SigAlgo::p256));
        }
        consensus::Committee committee;
        committee.chain_id = config_.chain.chain_id;
        committee.size = 1;
        std::vector<ValidatorInfo> validators = {{key->public_key(), config_.coinbase}};
        own_signer_ = std::make_unique<consensus::P256Signer>(
            std::move(*key), std::vector<crypto::PublicKey>{validators[0].consensus_key});
        driver_ =
            std::make_unique<ConsensusDriver>(*chain_, *pool_, committee, 0, std::move(validators),
                                              *own_signer_, nullptr, dir, config_.settings);
    }
    driver_->on_block([this](const chain::CommittedBlock& block) {
        observe_commit(block);
        for (const auto& listener : block_listeners_)
            listener(block);
    });
    return driver_->open();
}

}  // namespace hc::node
