#include "chain/chain.h"

#include <algorithm>
#include <mutex>

#include "chain/governance_store.h"
#include "codec/rlp.h"
#include "common/keccak.h"
#include "evm/deep_stack.h"
#include "governance/actions.h"
#include "governance/system_contracts.h"
#include "state/overlay.h"

namespace hc::chain {

namespace {

using storage::Column;

const Bytes kGenesisKey = {'g', 'e', 'n', 'e', 's', 'i', 's'};
const Bytes kHeadKey = {'h', 'e', 'a', 'd'};

Bytes be64(uint64_t v) {
    Bytes out(8);
    for (int i = 7; i >= 0; --i, v >>= 8)
        out[i] = static_cast<uint8_t>(v);
    return out;
}

Error corrupt(std::string message) {
    return make_error(Errc::decode, "chain store: " + std::move(message));
}

Bytes encode_receipts(const BlockReceipts& r) {
    rlp::Encoder e;
    e.begin_list();
    for (size_t i = 0; i < r.receipts.size(); ++i) {
        e.begin_list()
            .add(encode_receipt(r.receipts[i]))
            .add_raw(encode_receipt_meta(r.metas[i]))
            .add(r.senders[i].view())
            .end_list();
    }
    e.end_list();
    return e.take();
}

// One stored entry: rlp([receipt, meta, sender]), as its three raw parts.
struct ReceiptEntry {
    BytesView receipt;
    BytesView meta;
    BytesView sender;
};

Result<ReceiptEntry> next_receipt_entry(rlp::ListReader& list) {
    auto entry = rlp::expect_fields(list.next_list(), 3);
    if (!entry) return corrupt("receipts: " + entry.error().message);
    auto receipt_bytes = entry->next_string();
    auto meta_item = entry->next();
    auto sender_bytes = entry->next_string();
    if (!receipt_bytes || !meta_item || !sender_bytes) return corrupt("receipts: malformed entry");
    return ReceiptEntry{*receipt_bytes, meta_item->encoded, *sender_bytes};
}

Result<Address> entry_sender(const ReceiptEntry& e) {
    auto sender = Address::from_view(e.sender);
    if (!sender) return corrupt("receipts: sender must be 20 bytes");
    return *sender;
}

Result<BlockReceipts> decode_receipts(BytesView raw) {
    auto item = rlp::decode(raw);
    if (!item) return corrupt("receipts: " + item.error().message);
    auto list = rlp::ListReader::open(*item);
    if (!list) return corrupt("receipts: " + list.error().message);
    BlockReceipts out;
    while (!list->done()) {
        HC_ASSIGN_OR_RETURN(ReceiptEntry e, next_receipt_entry(*list));
        HC_ASSIGN_OR_RETURN(Receipt receipt, decode_receipt(e.receipt));
        HC_ASSIGN_OR_RETURN(ReceiptMeta meta, decode_receipt_meta(e.meta));
        HC_ASSIGN_OR_RETURN(Address sender, entry_sender(e));
        out.receipts.push_back(std::move(receipt));
        out.metas.push_back(meta);
        out.senders.push_back(sender);
    }
    return out;
}

Bytes encode_location(const TxLocation& loc) {
    rlp::Encoder e;
    e.begin_list().add(loc.block_hash.view()).add(loc.block_number).add(uint64_t{loc.index});
    e.end_list();
    return e.take();
}

Result<TxLocation> decode_location(BytesView raw) {
    auto list = rlp::decode_list(raw, 3, 1);
    if (!list) return corrupt("tx index: " + list.error().message);
    TxLocation loc;
    BytesView hash;
    uint64_t index = 0;
    HC_TRY(rlp::read_field(list->next_string(), "tx index", "blockHash", hash));
    HC_TRY(rlp::read_field(list->next_uint64(), "tx index", "number", loc.block_number));
    HC_TRY(rlp::read_field(list->next_uint64(), "tx index", "index", index));
    auto h = Hash32::from_view(hash);
    if (!h || index > UINT32_MAX) return corrupt("tx index: malformed entry");
    loc.block_hash = *h;
    loc.index = static_cast<uint32_t>(index);
    return loc;
}

}  // namespace

bool log_matches(const LogFilter& filter, const Log& log) {
    if (!filter.addresses.empty() && std::find(filter.addresses.begin(), filter.addresses.end(),
                                               log.address) == filter.addresses.end())
        return false;
    for (size_t i = 0; i < filter.topics.size(); ++i) {
        const auto& wanted = filter.topics[i];
        if (wanted.empty()) continue;
        if (i >= log.topics.size()) return false;
        if (std::find(wanted.begin(), wanted.end(), log.topics[i]) == wanted.end()) return false;
    }
    return true;
}

Address generated_account(uint64_t i) {
    static constexpr std::string_view kTag = "honeycomb generated account";
    Bytes preimage(kTag.begin(), kTag.end());
    const Bytes n = be64(i);
    preimage.insert(preimage.end(), n.begin(), n.end());
    const Hash32 h = keccak256(preimage);
    Address a;
    std::copy(h.bytes.end() - 20, h.bytes.end(), a.bytes.begin());
    return a;
}

std::pair<BlockHeader, state::StateDiff> make_genesis(const ChainConfig& config) {
    state::StateDiff diff;
    for (uint64_t i = 0; i < config.generated.count; ++i) {
        state::Account acc;
        acc.balance = config.generated.balance;
        diff.accounts[generated_account(i)] = acc;
    }
    for (const auto& a : config.alloc) {  // listed accounts win over generated ones
        state::Account acc;
        acc.balance = a.balance;
        diff.accounts[a.address] = acc;
    }
    if (config.governance) add_governance_to_genesis(diff, *config.governance);
    state::WorldState ws;
    ws.apply(diff);
    BlockHeader h;
    h.number = 0;
    h.state_root = ws.root();
    h.transactions_root = kEmptyTrieRoot;
    h.receipts_root = kEmptyTrieRoot;
    h.gas_limit = config.gas_limit;
    h.timestamp = config.genesis_timestamp;
    h.base_fee_per_gas = config.base_fee;
    // The chain id is part of the genesis so that two chains never share a genesis hash.
    h.extra_data = config.consortium_id ? Bytes(config.consortium_id->bytes.begin(),
                                                config.consortium_id->bytes.end())
                                        : be64(config.chain_id);
    return {h, diff};
}

Result<BlockExecution> execute_block(const state::StateReader& base, const BlockContext& block,
                                     const std::vector<BlockTx>& txs, evm::AnalysisCache* cache) {
    BlockExecution out;
    Status failed;
    HC_TRY(evm::run_with_deep_stack([&] {
        state::StateOverlay overlay(base);
        auto gov = read_governance(overlay);
        if (!gov) {
            failed = gov.error();
            return;
        }
        BlockContext env = block;
        if (*gov) {
            // A node set decided earlier takes over at its epoch boundary, in the state of the
            // boundary block itself, so every node switches at the same height.
            if (governance::activate_pending_nodes(**gov, block.number))
                write_governance(overlay, **gov);
            env.governance = &**gov;
        }
        for (const BlockTx& t : txs) {
            if (env.governance &&
                env.governance->mode == governance::PermissionMode::permissioned) {
                const bool to_code = t.tx.to && !overlay.code(*t.tx.to).empty();
                if (Status allowed = governance::check_transaction_permission(
                        *env.governance, t.sender, t.tx.to, t.tx.data, to_code);
                    !allowed) {
                    out.rejected.emplace_back(t.hash, allowed.error());
                    continue;
                }
            }
            auto outcome = process_transaction(overlay, t.tx, t.sender, env, out.gas_used, cache);
            if (!outcome) {
                out.rejected.emplace_back(t.hash, outcome.error());
                continue;
            }
            // Every change a system contract makes emits an event: only then is the governance
            // state (and with it membership and frozen contracts) read again.
            const bool governance_changed =
                env.governance &&
                std::any_of(outcome->logs.begin(), outcome->logs.end(),
                            [](const Log& l) { return governance::is_system_contract(l.address); });
            out.gas_used += outcome->gas_used;
            Receipt receipt;
            receipt.type = t.tx.type;
            receipt.status = outcome->status;
            receipt.cumulative_gas_used = out.gas_used;
            receipt.logs = std::move(outcome->logs);
            receipt.bloom = bloom_of(receipt.logs);
            out.bloom.merge(receipt.bloom);
            out.receipts.receipts.push_back(std::move(receipt));
            out.receipts.metas.push_back({outcome->gas_used, outcome->contract_address});
            out.receipts.senders.push_back(t.sender);
            out.included.push_back(t);
            if (governance_changed) {
                auto reread = read_governance(overlay);
                if (!reread || !*reread) {
                    failed = reread ? make_error(Errc::internal, "governance state vanished")
                                    : reread.error();
                    return;
                }
                *gov = std::move(*reread);
                env.governance = &**gov;
            }
        }
        out.diff = overlay.diff();
    }));
    HC_TRY(failed);
    return out;
}

Result<std::unique_ptr<Chain>> Chain::open(std::unique_ptr<storage::KvStore> store,
                                           ChainConfig config) {
    std::unique_ptr<Chain> chain(new Chain());
    chain->store_ = std::move(store);
    chain->config_ = std::move(config);
    auto [genesis, genesis_diff] = make_genesis(chain->config_);
    chain->genesis_hash_ = genesis.hash();
    storage::KvStore& kv = *chain->store_;

    HC_ASSIGN_OR_RETURN(auto stored_genesis, kv.get(Column::meta, kGenesisKey));
    if (!stored_genesis) {
        // A new chain: genesis block, its state and its indexes in one write.
        state::WorldState ws;
        state::StateDiff reverse = ws.apply(genesis_diff);
        storage::WriteBatch batch;
        ws.persist(genesis_diff, reverse, 0, batch);
        const Hash32& h = chain->genesis_hash_;
        batch.put(Column::headers, h.view(), encode_header(genesis));
        batch.put(Column::bodies, h.view(), encode_body({}));
        batch.put(Column::receipts, h.view(), encode_receipts({}));
        batch.put(Column::index_block_hash, h.view(), be64(0));
        batch.put(Column::index_block_number, be64(0), h.view());
        batch.put(Column::meta, kGenesisKey, h.view());
        batch.put(Column::meta, kHeadKey, h.view());
        HC_TRY(kv.write(batch, true));
    } else if (*stored_genesis !=
               Bytes(chain->genesis_hash_.bytes.begin(), chain->genesis_hash_.bytes.end())) {
        return make_error(Errc::invalid_argument,
                          "the store holds another chain: its genesis is " +
                              to_hex(*stored_genesis) + " but this configuration (chain id " +
                              std::to_string(chain->config_.chain_id) +
                              ", gas limit, minimum gas price, funded accounts) gives " +
                              chain->genesis_hash_.hex() +
                              "; use the settings it was created with, or another data directory");
    }

    HC_ASSIGN_OR_RETURN(auto head_hash, kv.get(Column::meta, kHeadKey));
    if (!head_hash) return corrupt("no head block recorded");
    auto hh = Hash32::from_view(*head_hash);
    if (!hh) return corrupt("head block hash must be 32 bytes");
    HC_ASSIGN_OR_RETURN(auto head, chain->read_header(*hh));
    if (!head) return corrupt("head block " + hh->hex() + " is missing");
    chain->head_ = std::move(*head);
    chain->head_hash_ = *hh;

    HC_ASSIGN_OR_RETURN(chain->state_, state::WorldState::open(kv));
    if (chain->state_.root() != chain->head_.state_root)
        return corrupt("the stored state hashes to " + chain->state_.root().hex() +
                       " but head block " + std::to_string(chain->head_.number) +
                       " commits to state root " + chain->head_.state_root.hex());
    HC_TRY(chain->load_governance());
    return chain;
}

Status Chain::load_governance() {
    HC_ASSIGN_OR_RETURN(auto g, read_governance(state_));
    governance_ = g ? std::make_shared<const governance::GovernanceState>(std::move(*g)) : nullptr;
    return {};
}

uint64_t Chain::gas_limit() const {
    std::shared_lock lock(mu_);
    return gas_limit_locked();
}

uint64_t Chain::gas_limit_locked() const {
    return governance_ ? governance_->params.gas_limit : config_.gas_limit;
}

std::shared_ptr<const governance::GovernanceState> Chain::governance() const {
    std::shared_lock lock(mu_);
    return governance_;
}

BlockHeader Chain::head() const {
    std::shared_lock lock(mu_);
    return head_;
}

Hash32 Chain::head_hash() const {
    std::shared_lock lock(mu_);
    return head_hash_;
}

uint64_t Chain::head_number() const {
    std::shared_lock lock(mu_);
    return head_.number;
}

namespace {

// The number index entry, whether or not the block is visible yet.
Result<std::optional<Hash32>> indexed_hash(const storage::KvStore& store, uint64_t number) {
    HC_ASSIGN_OR_RETURN(auto raw, store.get(Column::index_block_number, be64(number)));
    if (!raw) return std::optional<Hash32>{};
    auto h = Hash32::from_view(*raw);
    if (!h) return corrupt("block number index entry must be 32 bytes");
    return std::optional<Hash32>(*h);
}

}  // namespace

Result<std::optional<Hash32>> Chain::hash_by_number(uint64_t number) const {
    HC_ASSIGN_OR_RETURN(auto h, indexed_hash(*store_, number));
    // Blocks are visible only up to the head, even while a newer one is being written.
    if (number > head_number()) return std::optional<Hash32>{};
    return h;
}

Result<std::optional<BlockHeader>> Chain::read_header(const Hash32& block_hash) const {
    HC_ASSIGN_OR_RETURN(auto raw, store_->get(Column::headers, block_hash.view()));
    if (!raw) return std::optional<BlockHeader>{};
    HC_ASSIGN_OR_RETURN(BlockHeader h, decode_header(*raw));
    return std::optional<BlockHeader>(std::move(h));
}

Result<std::optional<BlockHeader>> Chain::header(const Hash32& block_hash) const {
    HC_ASSIGN_OR_RETURN(auto h, read_header(block_hash));
    if (h && h->number > head_number()) return std::optional<BlockHeader>{};
    return h;
}

Result<std::optional<Bytes>> Chain::body_encoding(const Hash32& block_hash) const {
    return store_->get(Column::bodies, block_hash.view());
}

Result<std::optional<std::vector<Transaction>>> Chain::body(const Hash32& block_hash) const {
    HC_ASSIGN_OR_RETURN(auto raw, body_encoding(block_hash));
    if (!raw) return std::optional<std::vector<Transaction>>{};
    HC_ASSIGN_OR_RETURN(auto txs, decode_body(*raw));
    return std::optional<std::vector<Transaction>>(std::move(txs));
}

Result<std::optional<BlockReceipts>> Chain::receipts(const Hash32& block_hash) const {
    HC_ASSIGN_OR_RETURN(auto raw, store_->get(Column::receipts, block_hash.view()));
    if (!raw) return std::optional<BlockReceipts>{};
    HC_ASSIGN_OR_RETURN(auto r, decode_receipts(*raw));
    return std::optional<BlockReceipts>(std::move(r));
}

Result<std::optional<TransactionReceipt>> Chain::transaction_receipt(const TxLocation& at) const {
    HC_ASSIGN_OR_RETURN(auto body, store_->get(Column::bodies, at.block_hash.view()));
    HC_ASSIGN_OR_RETURN(auto raw, store_->get(Column::receipts, at.block_hash.view()));
    if (!body || !raw) return std::optional<TransactionReceipt>{};
    TransactionReceipt out;
    HC_ASSIGN_OR_RETURN(out.tx, decode_body_transaction(*body, at.index));
    auto item = rlp::decode(*raw);
    if (!item) return corrupt("receipts: " + item.error().message);
    auto list = rlp::ListReader::open(*item);
    if (!list) return corrupt("receipts: " + list.error().message);
    for (uint32_t i = 0;; ++i) {
        if (list->done())
            return corrupt("block " + at.block_hash.hex() + " has no receipt " +
                           std::to_string(at.index));
        HC_ASSIGN_OR_RETURN(ReceiptEntry e, next_receipt_entry(*list));
        if (i < at.index) {
            HC_ASSIGN_OR_RETURN(size_t logs, receipt_log_count(e.receipt));
            out.first_log_index += static_cast<uint32_t>(logs);
            continue;
        }
        HC_ASSIGN_OR_RETURN(out.receipt, decode_receipt(e.receipt));
        HC_ASSIGN_OR_RETURN(out.meta, decode_receipt_meta(e.meta));
        HC_ASSIGN_OR_RETURN(out.sender, entry_sender(e));
        return std::optional<TransactionReceipt>(std::move(out));
    }
}

Result<std::optional<TxLocation>> Chain::find_transaction(const Hash32& tx_hash) const {
    HC_ASSIGN_OR_RETURN(auto raw, store_->get(Column::index_tx_hash, tx_hash.view()));
    if (!raw) return std::optional<TxLocation>{};
    HC_ASSIGN_OR_RETURN(TxLocation loc, decode_location(*raw));
    if (loc.block_number > head_number()) return std::optional<TxLocation>{};
    return std::optional<TxLocation>(loc);
}

Result<state::Account> Chain::account_at(const Address& address, uint64_t number) const {
    std::shared_lock switching(switching_mu_);
    std::shared_lock lock(mu_);
    HC_ASSIGN_OR_RETURN(auto a, state::account_at(*store_, state_, address, number, head_.number));
    return a.value_or(state::Account{});
}

Result<uint256> Chain::storage_at(const Address& address, const Hash32& slot,
                                  uint64_t number) const {
    std::shared_lock switching(switching_mu_);
    std::shared_lock lock(mu_);
    return state::storage_at(*store_, state_, address, slot, number, head_.number);
}

Result<Bytes> Chain::code_at(const Address& address, uint64_t number) const {
    std::shared_lock switching(switching_mu_);
    std::shared_lock lock(mu_);
    HC_ASSIGN_OR_RETURN(auto a, state::account_at(*store_, state_, address, number, head_.number));
    if (!a || !a->has_code()) return Bytes{};
    BytesView code = state_.code(a->code_hash);
    return Bytes(code.begin(), code.end());
}

state::Account Chain::account(const Address& address) const {
    std::shared_lock lock(mu_);
    return state_.account(address).value_or(state::Account{});
}

void Chain::read_state(
    const std::function<void(const state::WorldState&, const BlockHeader&)>& fn) const {
    std::shared_lock switching(switching_mu_);
    std::shared_lock lock(mu_);
    fn(state_, head_);
}

Result<std::vector<LogEntry>> Chain::logs(const LogFilter& filter, size_t max_results) const {
    std::vector<LogEntry> out;
    const uint64_t to = std::min(filter.to, head_number());
    for (uint64_t n = filter.from; n <= to; ++n) {
        HC_ASSIGN_OR_RETURN(auto hash, hash_by_number(n));
        if (!hash) break;
        HC_ASSIGN_OR_RETURN(auto header, read_header(*hash));
        if (!header) return corrupt("block " + std::to_string(n) + " is indexed but missing");
        // The bloom rules out most blocks without reading their receipts.
        bool maybe = filter.addresses.empty();
        for (const Address& a : filter.addresses)
            maybe |= header->logs_bloom.contains(a.view());
        for (const auto& alternatives : filter.topics) {
            if (!maybe || alternatives.empty()) continue;
            bool any = false;
            for (const Hash32& t : alternatives)
                any |= header->logs_bloom.contains(t.view());
            maybe = any;
        }
        if (!maybe || header->logs_bloom.is_zero()) continue;
        HC_ASSIGN_OR_RETURN(auto receipts, this->receipts(*hash));
        HC_ASSIGN_OR_RETURN(auto txs, body(*hash));
        if (!receipts || !txs || txs->size() != receipts->receipts.size())
            return corrupt("block " + std::to_string(n) + " has missing or mismatched receipts");
        uint32_t log_index = 0;
        for (size_t i = 0; i < receipts->receipts.size(); ++i) {
            for (const Log& log : receipts->receipts[i].logs) {
                if (log_matches(filter, log)) {
                    if (out.size() == max_results)
                        return make_error(Errc::invalid_argument,
                                          "query returned more than " +
                                              std::to_string(max_results) +
                                              " results; narrow the block range or the filter");
                    out.push_back(LogEntry{log, n, *hash, transaction_hash((*txs)[i]),
                                           static_cast<uint32_t>(i), log_index});
                }
                ++log_index;
            }
        }
    }
    return out;
}

BlockContext Chain::context_of(const BlockHeader& header, Status* read_error) const {
    BlockContext block;
    block.number = header.number;
    block.timestamp = header.timestamp;
    block.gas_limit = header.gas_limit;
    block.coinbase = header.proposer;
    block.base_fee = header.base_fee_per_gas;
    block.chain_id = config_.chain_id;
    // No randomness beacon: PREVRANDAO is zero, and contracts must not use it for randomness.
    block.prev_randao = 0;
    block.fee_policy = FeePolicy::pay_all_to_coinbase;
    // BLOCKHASH asks only for blocks below this one, which the index has.
    block.block_hash = [this, read_error](uint64_t number) {
        auto h = indexed_hash(*store_, number);
        if (!h) {
            if (*read_error) *read_error = h.error();
            return Hash32{};
        }
        return h->value_or(Hash32{});
    };
    return block;
}

Status Chain::with_state_at(
    uint64_t number,
    const std::function<Status(const state::StateReader&, const BlockHeader&)>& fn) const {
    std::shared_lock switching(switching_mu_);
    std::shared_lock lock(mu_);
    if (number > head_.number)
        return make_error(Errc::not_found, "block " + std::to_string(number) +
                                               " is beyond the head block " +
                                               std::to_string(head_.number));
    if (number == head_.number) return fn(state_, head_);
    HC_ASSIGN_OR_RETURN(auto hash, indexed_hash(*store_, number));
    if (!hash)
        return make_error(Errc::decode, "chain store: block " + std::to_string(number) +
                                            " is below the head but not indexed");
    HC_ASSIGN_OR_RETURN(auto header, read_header(*hash));
    if (!header)
        return make_error(Errc::decode,
                          "chain store: header of block " + std::to_string(number) + " is missing");
    state::HistoricalState past(*store_, state_, number, head_.number);
    Status done = fn(past, *header);
    HC_TRY(past.status());
    return done;
}

namespace {

BlockHeader header_for(const BlockContext& env, const Hash32& parent_hash, const BlockExecution& ex,
                       const Hash32& state_root) {
    BlockHeader h;
    h.parent_hash = parent_hash;
    h.proposer = env.coinbase;
    h.state_root = state_root;
    std::vector<Transaction> txs;
    txs.reserve(ex.included.size());
    for (const auto& t : ex.included)
        txs.push_back(t.tx);
    h.transactions_root = transactions_root(txs);
    h.receipts_root = receipts_root(ex.receipts.receipts);
    h.logs_bloom = ex.bloom;
    h.number = env.number;
    h.gas_limit = env.gas_limit;
    h.gas_used = ex.gas_used;
    h.timestamp = env.timestamp;
    h.base_fee_per_gas = env.base_fee;
    return h;
}

}  // namespace

Result<std::optional<Bytes>> Chain::consensus_record(uint64_t number) const {
    if (number > head_number()) return std::optional<Bytes>{};
    return store_->get(Column::consensus, be64(number));
}

Result<CommittedBlock> Chain::commit_block(const std::vector<BlockTx>& txs, uint64_t timestamp,
                                           const Address& proposer, const BlockOrigin& origin) {
    if (origin.extra_data.size() > kMaxExtraDataSize)
        return make_error(Errc::invalid_argument, "extra data of " +
                                                      std::to_string(origin.extra_data.size()) +
                                                      " bytes; a header holds at most " +
                                                      std::to_string(kMaxExtraDataSize));
    // Execution only reads the state, so readers keep running; the one writer is serialised by
    // the caller (one sealing thread), and the exclusive lock below covers the switch-over.
    BlockContext env;
    BlockExecution ex;
    Hash32 parent_hash;
    {
        std::shared_lock lock(mu_);
        BlockHeader next;
        next.number = head_.number + 1;
        next.timestamp = std::max(timestamp, head_.timestamp);
        next.gas_limit = gas_limit_locked();
        next.proposer = proposer;
        next.base_fee_per_gas = config_.base_fee;
        Status read_error;
        env = context_of(next, &read_error);
        parent_hash = head_hash_;
        HC_ASSIGN_OR_RETURN(ex, execute_block(state_, env, txs, &analyses_));
        HC_TRY(read_error);
    }

    CommittedBlock out;
    for (const auto& t : ex.included) {
        out.block.transactions.push_back(t.tx);
        out.tx_hashes.push_back(t.hash);
    }
    // Built before readers are locked out: none of this depends on the state root (the
    // transactions and receipts tries included).
    out.block.header = header_for(env, parent_hash, ex, Hash32{});
    out.block.header.extra_data = origin.extra_data;
    Bytes body = encode_body(out.block.transactions);
    Bytes receipts = encode_receipts(ex.receipts);

    storage::WriteBatch batch;
    state::StateDiff reverse;
    std::unique_lock switching(switching_mu_);
    {
        // Every reader waits while the state switches over (no disk access in here).
        std::unique_lock lock(mu_);
        if (head_hash_ != parent_hash)
            return make_error(Errc::internal, "commit_block called concurrently: the head moved");
        reverse = state_.apply(ex.diff);
        out.block.header.state_root = state_.root();
    }
    out.hash = out.block.header.hash();
    out.receipts = std::move(ex.receipts);
    out.rejected = std::move(ex.rejected);
    // The state after the block is readable from here (the pool's admission reads it); head_
    // still names the parent, so the block's records are invisible until head_ moves below.
    state_.persist(ex.diff, reverse, env.number, batch);
    const Hash32& h = out.hash;
    batch.put(Column::headers, h.view(), encode_header(out.block.header));
    batch.put(Column::bodies, h.view(), body);
    batch.put(Column::receipts, h.view(), receipts);
    batch.put(Column::index_block_hash, h.view(), be64(env.number));
    batch.put(Column::index_block_number, be64(env.number), h.view());
    for (size_t i = 0; i < out.tx_hashes.size(); ++i)
        batch.put(Column::index_tx_hash, out.tx_hashes[i].view(),
                  encode_location({h, env.number, static_cast<uint32_t>(i)}));
    if (!origin.consensus_record.empty())
        batch.put(Column::consensus, be64(env.number), origin.consensus_record);
    batch.put(Column::meta, kHeadKey, h.view());
    const Status written = store_->write(batch, false);
    {
        std::unique_lock lock(mu_);
        if (!written) {
            state_.apply(reverse);  // the block never happened
            return written.error();
        }
        head_ = out.block.header;
        head_hash_ = h;
        if (governance_) {
            auto key = ex.diff.storage.lower_bound({governance::governance_address(), Hash32{}});
            if (key != ex.diff.storage.end() &&
                key->first.first == governance::governance_address())
                if (Status s = load_governance(); !s)
                    return make_error(Errc::internal,
                                      "block " + std::to_string(env.number) +
                                          " stored a governance state that does not decode: " +
                                          s.error().message);
        }
    }
    switching.unlock();
    // Durable before the caller learns of the commit. Readers may already have seen the block:
    // if the machine fails before this returns, the consensus layer still holds the block (it
    // forgets it only after commit_block) and commits it again after the restart.
    HC_TRY(store_->sync());
    return out;
}

Status Chain::verify() const {
    auto [genesis, genesis_diff] = make_genesis(config_);
    state::WorldState ws;
    ws.apply(genesis_diff);
    const uint64_t head = head_number();
    Hash32 parent = genesis_hash_;
    for (uint64_t n = 1; n <= head; ++n) {
        auto fail = [&](const std::string& what) {
            return make_error(Errc::internal, "replay of block " + std::to_string(n) + ": " + what);
        };
        HC_ASSIGN_OR_RETURN(auto hash, hash_by_number(n));
        if (!hash) return fail("not in the number index");
        HC_ASSIGN_OR_RETURN(auto header, header(*hash));
        HC_ASSIGN_OR_RETURN(auto txs, body(*hash));
        HC_ASSIGN_OR_RETURN(auto stored_receipts, receipts(*hash));
        if (!header || !txs || !stored_receipts) return fail("header, body or receipts missing");
        if (header->parent_hash != parent) return fail("parent hash does not link to block n-1");
        std::vector<BlockTx> block_txs;
        for (const Transaction& tx : *txs) {
            auto sender = validate_transaction(tx, config_.chain_id);
            if (!sender) return fail("transaction invalid: " + sender.error().message);
            block_txs.push_back({tx, transaction_hash(tx), *sender});
        }
        Status read_error;
        BlockContext env = context_of(*header, &read_error);
        HC_ASSIGN_OR_RETURN(BlockExecution ex, execute_block(ws, env, block_txs, &analyses_));
        HC_TRY(read_error);
        if (!ex.rejected.empty())
            return fail("transaction " + ex.rejected[0].first.hex() +
                        " is invalid on replay: " + ex.rejected[0].second.message);
        ws.apply(ex.diff);
        BlockHeader expected = header_for(env, parent, ex, ws.root());
        expected.extra_data = header->extra_data;
        if (expected.state_root != header->state_root)
            return fail("state root " + expected.state_root.hex() + " differs from stored " +
                        header->state_root.hex());
        if (expected != *header) return fail("recomputed header differs from the stored one");
        if (ex.receipts.receipts != stored_receipts->receipts ||
            ex.receipts.metas != stored_receipts->metas ||
            ex.receipts.senders != stored_receipts->senders)
            return fail("recomputed receipts differ from the stored ones");
        parent = *hash;
    }
    std::shared_lock lock(mu_);
    if (ws.accounts() != state_.accounts() || ws.root() != head_.state_root)
        return make_error(Errc::internal, "replayed state differs from the stored state at block " +
                                              std::to_string(head));
    return {};
}

}  // namespace hc::chain
