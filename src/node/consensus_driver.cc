#include "node/consensus_driver.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "codec/rlp.h"
#include "common/durable_file.h"
#include "common/keccak.h"
#include "common/log.h"

namespace hc::node {

namespace fs = std::filesystem;
using consensus::Action;
using consensus::Block;
using consensus::BlockId;
using consensus::Broadcast;
using consensus::Commit;
using consensus::CommitProof;
using consensus::Committee;
using consensus::Config;
using consensus::Evidence;
using consensus::kMaxMessageSize;
using consensus::kMaxPayloadSize;
using consensus::Persist;
using consensus::Replica;
using consensus::SafetyState;
using consensus::Send;
using consensus::SetTimer;
using consensus::Signer;

namespace {

constexpr uint8_t kConsensusFrame = 0x01;
constexpr uint8_t kTxBatchFrame = 0x02;
constexpr uint8_t kSyncRequestFrame = 0x03;
constexpr uint8_t kSyncResponseFrame = 0x04;
constexpr size_t kMaxSyncBatch = 256;

uint64_t wall_ms() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

Error corrupt(const std::string& what) {
    return make_error(Errc::decode, "consensus state: " + what);
}

Bytes encode_record(const Block& block, const CommitProof* proof) {
    rlp::Encoder e;
    e.begin_list().add(consensus::encode(block));
    if (proof)
        e.add(consensus::encode(*proof));
    else
        e.add(BytesView{});
    e.end_list();
    return e.take();
}

struct Record {
    Block block;
    std::optional<CommitProof> proof;
};

Result<Record> decode_record(BytesView raw) {
    auto list = rlp::decode_list(raw, 2, 1);
    if (!list) return make_error(Errc::decode, "consensus record: " + list.error().message);
    BytesView block_bytes, proof_bytes;
    HC_TRY(rlp::read_field(list->next_string(), "consensus record", "block", block_bytes));
    HC_TRY(rlp::read_field(list->next_string(), "consensus record", "proof", proof_bytes));
    Record r;
    HC_ASSIGN_OR_RETURN(r.block, consensus::decode_block(block_bytes));
    if (!proof_bytes.empty()) {
        HC_ASSIGN_OR_RETURN(CommitProof proof, consensus::decode_commit_proof(proof_bytes));
        r.proof = std::move(proof);
    }
    return r;
}

// The raw transactions of a payload: rlp([raw tx, ...]).
Result<std::vector<BytesView>> payload_transactions(BytesView payload) {
    std::vector<BytesView> out;
    if (payload.empty()) return out;
    auto item = rlp::decode(payload);
    if (!item) return make_error(Errc::decode, "payload: " + item.error().message);
    auto list = rlp::ListReader::open(*item);
    if (!list) return make_error(Errc::decode, "payload: " + list.error().message);
    while (!list->done()) {
        auto tx = list->next_string();
        if (!tx) return make_error(Errc::decode, "payload: " + tx.error().message);
        out.push_back(*tx);
    }
    return out;
}

Bytes encode_payload(const std::vector<BytesView>& txs) {
    if (txs.empty()) return {};
    rlp::Encoder e;
    e.begin_list();
    for (BytesView t : txs)
        e.add(t);
    e.end_list();
    return e.take();
}

std::string block_file_name(const Block& b) {
    return std::to_string(b.header.height) + "-" + b.id().hex().substr(2, 16) + ".block";
}

}  // namespace

Address validator_address(const crypto::PublicKey& key) {
    BytesView point = key.bytes;
    if (point.size() == 65) point = point.subspan(1);
    const Hash32 h = keccak256(point);
    Address a;
    std::copy(h.bytes.end() - 20, h.bytes.end(), a.bytes.begin());
    return a;
}

ConsensusDriver::ConsensusDriver(chain::Chain& chain, txpool::TxPool& pool, Committee committee,
                                 ValidatorIndex self, std::vector<ValidatorInfo> validators,
                                 Signer& signer, PeerLink* link, fs::path dir,
                                 ConsensusSettings settings)
    : chain_(chain),
      pool_(pool),
      committee_(committee),
      self_(self),
      validators_(std::move(validators)),
      signer_(signer),
      link_(link),
      dir_(std::move(dir)),
      settings_(settings) {}

ConsensusDriver::~ConsensusDriver() {
    stop();
}

void ConsensusDriver::on_block(std::function<void(const chain::CommittedBlock&)> listener) {
    listeners_.push_back(std::move(listener));
}

Result<Block> ConsensusDriver::committed_tip() const {
    const uint64_t head = chain_.head_number();
    if (head == 0) return consensus::genesis_block(committee_);
    HC_ASSIGN_OR_RETURN(auto raw, chain_.consensus_record(head));
    if (!raw)
        return corrupt("ledger block " + std::to_string(head) +
                       " has no consensus record: this data directory was not written by a "
                       "consensus node");
    HC_ASSIGN_OR_RETURN(Record r, decode_record(*raw));
    return r.block;
}

Status ConsensusDriver::load_blocks_above(const Block& tip, std::vector<Block>& above) const {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_ / "blocks", ec)) {
        if (entry.path().extension() != ".block") {
            // A temporary left by a write that a crash cut short: the block it held was never
            // stored, nor voted for (the safety file is written after it), so it goes.
            std::error_code ignored;
            if (entry.path().extension() == ".tmp") fs::remove(entry.path(), ignored);
            continue;
        }
        HC_ASSIGN_OR_RETURN(auto raw, read_file(entry.path(), kMaxMessageSize));
        if (!raw) continue;
        auto b = consensus::decode_block(*raw);
        if (!b) return corrupt(entry.path().filename().string() + ": " + b.error().message);
        if (b->header.height > tip.header.height) {
            above.push_back(std::move(*b));
        } else {
            std::error_code ignored;
            fs::remove(entry.path(), ignored);  // committed: the chain has it
        }
    }
    if (ec)
        return make_error(Errc::io,
                          "cannot list " + (dir_ / "blocks").string() + ": " + ec.message());
    return {};
}

void ConsensusDriver::readmit(const std::vector<Block>& above) {
    // What stored blocks above the committed tip carry may yet commit; back in the pool, it
    // counts in the pending nonce clients ask for after a restart, so they do not reuse those
    // nonces for other transactions. Proposals exclude what an uncommitted ancestor carries, and
    // a commit removes it from the pool, so nothing is included twice. The pool orders each
    // sender's transactions by nonce itself.
    for (const Block& b : above)
        if (auto raws = payload_transactions(b.payload))
            for (BytesView raw : *raws)
                (void)pool_.add(raw);  // committed, stale or invalid ones are just skipped
}

Status ConsensusDriver::rebuild_replica() {
    HC_ASSIGN_OR_RETURN(Block tip, committed_tip());
    SafetyState safety =
        replica_ ? replica_->safety_state() : consensus::initial_safety_state(committee_);
    std::vector<Block> above;
    if (!dir_.empty()) {
        if (!replica_) {
            HC_ASSIGN_OR_RETURN(auto saved, read_file(dir_ / "safety"));
            if (saved) {
                auto decoded = consensus::decode_safety_state(*saved);
                if (!decoded) return corrupt("safety file: " + decoded.error().message);
                safety = std::move(*decoded);
            }
        }
        HC_TRY(load_blocks_above(tip, above));
        if (!replica_) readmit(above);
    }
    Config config;
    config.committee = committee_;
    config.self = self_;
    config.base_timeout_ms = settings_.base_timeout_ms;
    config.max_timeout_ms = settings_.max_timeout_ms;
    replica_ = std::make_unique<Replica>(config, signer_, *this, std::move(safety), std::move(tip),
                                         std::move(above));
    return {};
}

Status ConsensusDriver::open() {
    if (!dir_.empty()) {
        std::error_code ec;
        fs::create_directories(dir_ / "blocks", ec);
        if (ec)
            return make_error(Errc::io,
                              "cannot create " + (dir_ / "blocks").string() + ": " + ec.message());
    }
    HC_TRY(rebuild_replica());
    apply(replica_->start(wall_ms()));
    return failure_;
}

void ConsensusDriver::start() {
    std::lock_guard lock(mu_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { loop(); });
}

void ConsensusDriver::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void ConsensusDriver::on_frame(ValidatorIndex from, Bytes frame) {
    {
        std::lock_guard lock(mu_);
        events_.push_back(FrameEvent{from, std::move(frame)});
    }
    wake_.notify_one();
}

void ConsensusDriver::on_local_transaction(const Hash32& hash) {
    {
        std::lock_guard lock(mu_);
        events_.push_back(LocalTxEvent{hash});
    }
    wake_.notify_one();
}

uint64_t ConsensusDriver::next_wakeup_ms() const {
    uint64_t next = next_sync_ms_;
    if (timer_deadline_ != 0) next = std::min(next, timer_deadline_);
    if (!gossip_.empty()) next = std::min(next, gossip_since_ms_ + settings_.gossip_interval_ms);
    return next;
}

void ConsensusDriver::on_tick(uint64_t now_ms) {
    if (timer_deadline_ != 0 && now_ms >= timer_deadline_) {
        timer_deadline_ = 0;
        apply(replica_->on_timeout(now_ms));
    }
    flush_gossip(now_ms, false);
    if (now_ms >= next_sync_ms_) request_sync(now_ms);
}

void ConsensusDriver::loop() {
    for (;;) {
        std::deque<Event> batch;
        {
            std::unique_lock lock(mu_);
            const uint64_t now = wall_ms();
            const uint64_t next = next_wakeup_ms();
            if (events_.empty() && !stopping_ && next > now)
                wake_.wait_for(lock, std::chrono::milliseconds(next - now),
                               [&] { return stopping_ || !events_.empty(); });
            if (stopping_ || !failure_) return;
            batch.swap(events_);
        }
        for (Event& e : batch)
            handle(std::move(e), wall_ms());
        on_tick(wall_ms());
    }
}

Status ConsensusDriver::run_until_idle() {
    for (;;) {
        std::deque<Event> batch;
        {
            std::lock_guard lock(mu_);
            batch.swap(events_);
        }
        const uint64_t now = wall_ms();
        const bool timer_due = timer_deadline_ != 0 && timer_deadline_ <= now;
        if (batch.empty() && !timer_due) break;
        for (Event& e : batch)
            handle(std::move(e), now);
        if (timer_due) {
            timer_deadline_ = 0;
            apply(replica_->on_timeout(now));
        }
        HC_TRY(failure_);
    }
    flush_gossip(wall_ms(), true);
    return failure_;
}

void ConsensusDriver::handle(Event event, uint64_t now_ms) {
    if (!failure_) return;
    if (auto* f = std::get_if<FrameEvent>(&event)) return handle_frame(f->from, f->frame, now_ms);
    const Hash32& hash = std::get<LocalTxEvent>(event).hash;
    if (gossip_.empty()) gossip_since_ms_ = now_ms;
    gossip_.push_back(hash);
    flush_gossip(now_ms, false);
    apply(replica_->on_payload_available(now_ms));
}

void ConsensusDriver::send_frame(ValidatorIndex to, uint8_t kind, Bytes body) {
    if (!link_) return;
    body.insert(body.begin(), kind);
    link_->send(to, std::move(body));
}

void ConsensusDriver::handle_frame(ValidatorIndex from, const Bytes& frame, uint64_t now_ms) {
    if (from >= committee_.size || from == self_) return;
    auto reject = [&](const std::string& why) {
        log::warn("consensus", "invalid frame", {{"peer", from}, {"reason", why}});
        if (link_) link_->disconnect(from, why);
    };
    if (frame.empty()) return reject("empty frame");
    const BytesView body = BytesView(frame).subspan(1);
    switch (frame[0]) {
        case kConsensusFrame: {
            auto message = consensus::decode_message(body);
            if (!message) return reject(message.error().message);
            return apply(replica_->on_message(from, *message, now_ms));
        }
        case kTxBatchFrame: {
            auto txs = payload_transactions(body);
            if (!txs) return reject(txs.error().message);
            bool added = false;
            for (BytesView raw : *txs)
                added |= pool_.add(raw).ok();  // known, stale or invalid ones are just skipped
            if (added) apply(replica_->on_payload_available(now_ms));
            return;
        }
        case kSyncRequestFrame:
            return serve_sync(from, body);
        case kSyncResponseFrame:
            return apply_sync(from, body);
        default:
            return reject("unknown frame kind " + std::to_string(frame[0]));
    }
}

void ConsensusDriver::flush_gossip(uint64_t now_ms, bool force) {
    if (gossip_.empty()) return;
    if (!force && gossip_.size() < settings_.gossip_batch_txs &&
        now_ms < gossip_since_ms_ + settings_.gossip_interval_ms)
        return;
    std::vector<Bytes> raws;
    for (const Hash32& h : gossip_)
        if (auto p = pool_.get(h)) raws.push_back(std::move(p->raw));
    gossip_.clear();
    if (raws.empty() || !link_) return;
    std::vector<BytesView> views(raws.begin(), raws.end());
    Bytes body = encode_payload(views);
    body.insert(body.begin(), kTxBatchFrame);
    link_->broadcast(std::move(body));
}

void ConsensusDriver::apply(std::vector<Action> actions) {
    for (Action& action : actions) {
        if (!failure_) return;
        if (auto* p = std::get_if<Persist>(&action)) {
            if (Status s = persist(*p); !s) fail(s.error());
        } else if (auto* s = std::get_if<Send>(&action)) {
            send_frame(s->to, kConsensusFrame, consensus::encode_message(s->message));
        } else if (auto* b = std::get_if<Broadcast>(&action)) {
            if (!link_) continue;
            Bytes body = consensus::encode_message(b->message);
            body.insert(body.begin(), kConsensusFrame);
            link_->broadcast(std::move(body));
        } else if (auto* c = std::get_if<Commit>(&action)) {
            if (Status st = commit(*c); !st) fail(st.error());
        } else if (auto* t = std::get_if<SetTimer>(&action)) {
            timer_deadline_ = t->deadline_ms;
        } else if (auto* e = std::get_if<Evidence>(&action)) {
            log::warn("consensus", "equivocation",
                      {{"offender", e->offender}, {"round", e->round}});
            if (dir_.empty()) continue;
            const fs::path path =
                dir_ / ("evidence-" + std::to_string(e->round) + "-" + std::to_string(e->offender));
            rlp::Encoder enc;
            enc.begin_list()
                .add(consensus::encode_message(e->first))
                .add(consensus::encode_message(e->second));
            enc.end_list();
            if (Status s = write_file_durably(path, enc.take(), 0644); !s)
                log::error("consensus", "cannot keep evidence", {{"error", s.error().message}});
        }
    }
    round_.store(replica_->current_round(), std::memory_order_relaxed);
}

Status ConsensusDriver::persist(const Persist& p) {
    if (dir_.empty()) return {};  // in memory: a test's node, or a chain that is not kept
    // Blocks first: the safety state may refer to them (its high QC).
    for (const Block& b : p.blocks)
        HC_TRY(write_file_durably(dir_ / "blocks" / block_file_name(b), consensus::encode(b)));
    return write_file_durably(dir_ / "safety", consensus::encode(p.state));
}

Status ConsensusDriver::commit(const Commit& c) {
    for (size_t i = 0; i < c.blocks.size(); ++i) {
        const bool last = i + 1 == c.blocks.size();
        HC_TRY(execute(c.blocks[i], last ? &c.proof : nullptr));
    }
    return {};
}

Status ConsensusDriver::execute(const Block& block, const CommitProof* proof) {
    const uint64_t head = chain_.head_number();
    if (block.header.height <= head) return {};  // already executed (block sync got there first)
    if (block.header.height != head + 1)
        return make_error(Errc::internal,
                          "committed block at height " + std::to_string(block.header.height) +
                              " does not follow the ledger head " + std::to_string(head));
    std::vector<chain::BlockTx> txs;
    auto raws = payload_transactions(block.payload);
    if (!raws) return raws.error();  // valid() accepted it, so this is a bug
    for (BytesView raw : *raws) {
        auto tx = decode_transaction(raw);
        if (!tx) continue;
        const Hash32 hash = transaction_hash(*tx);
        std::optional<Address> sender;
        if (auto pooled = pool_.get(hash)) sender = pooled->sender;
        if (!sender) {
            auto recovered = validate_transaction(*tx, committee_.chain_id);
            if (!recovered) continue;
            sender = *recovered;
        }
        txs.push_back({std::move(*tx), hash, *sender});
    }
    chain::BlockOrigin origin;
    const BlockId id = block.id();
    origin.extra_data.assign(id.bytes.begin(), id.bytes.end());
    origin.consensus_record = encode_record(block, proof);
    const Address coinbase = block.header.author < validators_.size()
                                 ? validators_[block.header.author].coinbase
                                 : Address{};
    HC_ASSIGN_OR_RETURN(
        chain::CommittedBlock committed,
        chain_.commit_block(txs, block.header.timestamp_ms / 1000, coinbase, origin));
    for (const auto& [hash, error] : committed.rejected)
        if ((error.code == Errc::unsupported || error.code == Errc::permission_denied) &&
            pool_.remove(hash))
            log::warn("node", "dropped transaction",
                      {{"hash", hash.hex()}, {"reason", error.message}});
    pool_.on_block_committed();
    if (!dir_.empty()) {
        std::error_code ec;
        fs::remove(dir_ / "blocks" / block_file_name(block), ec);
    }
    log::debug("consensus", "committed",
               {{"height", block.header.height},
                {"round", block.header.round},
                {"txs", committed.block.transactions.size()}});
    for (const auto& listener : listeners_)
        listener(committed);
    return {};
}

void ConsensusDriver::request_sync(uint64_t now_ms) {
    next_sync_ms_ = now_ms + settings_.sync_interval_ms;
    if (!link_ || committee_.size < 2) return;
    sync_peer_ = (sync_peer_ + 1) % committee_.size;
    if (sync_peer_ == self_) sync_peer_ = (sync_peer_ + 1) % committee_.size;
    rlp::Encoder e;
    e.begin_list().add(chain_.head_number() + 1).add(uint64_t{settings_.sync_batch}).end_list();
    send_frame(sync_peer_, kSyncRequestFrame, e.take());
}

void ConsensusDriver::serve_sync(ValidatorIndex from, BytesView body) {
    auto list = rlp::decode_list(body, 2, 1);
    uint64_t first = 0, max = 0;
    if (!list || !rlp::read_field(list->next_uint64(), "sync request", "first", first) ||
        !rlp::read_field(list->next_uint64(), "sync request", "max", max) || first == 0) {
        log::warn("consensus", "invalid frame", {{"peer", from}, {"reason", "bad sync request"}});
        if (link_) link_->disconnect(from, "malformed sync request");
        return;
    }
    max = std::min<uint64_t>(max, kMaxSyncBatch);
    const uint64_t head = chain_.head_number();
    if (first > head) return;
    // Records up to the last one that carries a commit proof: only such a range can be checked.
    std::vector<Bytes> records;
    size_t proven = 0;
    for (uint64_t n = first;
         n <= head && (records.size() < max || proven == 0) && records.size() < 4 * kMaxSyncBatch;
         ++n) {
        auto raw = chain_.consensus_record(n);
        if (!raw || !*raw) break;
        auto r = decode_record(**raw);
        if (!r) break;
        records.push_back(std::move(**raw));
        if (r->proof) proven = records.size();
    }
    records.resize(proven);
    if (records.empty()) return;
    rlp::Encoder e;
    e.begin_list();
    for (const Bytes& r : records)
        e.add(r);
    e.end_list();
    send_frame(from, kSyncResponseFrame, e.take());
}

void ConsensusDriver::apply_sync(ValidatorIndex from, BytesView body) {
    auto reject = [&](const std::string& why) {
        log::warn("consensus", "invalid sync response", {{"peer", from}, {"reason", why}});
        if (link_) link_->disconnect(from, "invalid sync response: " + why);
    };
    auto item = rlp::decode(body);
    if (!item) return reject(item.error().message);
    auto list = rlp::ListReader::open(*item);
    if (!list) return reject(list.error().message);
    std::vector<Record> records;
    while (!list->done()) {
        auto raw = list->next_string();
        if (!raw) return reject(raw.error().message);
        auto r = decode_record(*raw);
        if (!r) return reject(r.error().message);
        records.push_back(std::move(*r));
        if (records.size() > 4 * kMaxSyncBatch) return reject("too many records");
    }
    if (records.empty() || !records.back().proof) return reject("no commit proof at the end");
    auto tip = committed_tip();
    if (!tip) return fail(tip.error());
    // Skip what we already have, then the rest must link to our tip, block by block.
    size_t start = 0;
    while (start < records.size() && records[start].block.header.height <= tip->header.height)
        ++start;
    if (start == records.size()) return;  // nothing new (a commit raced the response)
    BlockId parent = tip->id();
    uint64_t height = tip->header.height;
    for (size_t i = start; i < records.size(); ++i) {
        const Block& b = records[i].block;
        if (b.header.parent_id != parent || b.header.height != height + 1)
            return reject("block at height " + std::to_string(b.header.height) +
                          " does not link to the local chain");
        if (b.header.payload_hash != keccak256(b.payload))
            return reject("payload does not match its hash");
        parent = b.id();
        height = b.header.height;
    }
    auto proven = consensus::verify_commit_proof(*records.back().proof, committee_, signer_);
    if (!proven) return reject("commit proof: " + proven.error().message);
    if (*proven != parent) return reject("commit proof is for another block");
    for (size_t i = start; i < records.size(); ++i) {
        const CommitProof* proof = records[i].proof ? &*records[i].proof : nullptr;
        if (Status s = execute(records[i].block, proof); !s) return fail(s.error());
    }
    log::info("consensus", "synced", {{"peer", from}, {"height", chain_.head_number()}});
    if (Status s = rebuild_replica(); !s) return fail(s.error());
    apply(replica_->start(wall_ms()));
    next_sync_ms_ = 0;  // there may be more
}

void ConsensusDriver::fail(const Error& e) {
    log::error("consensus", "stopped", {{"error", e.to_string()}});
    if (failure_) failure_ = e;
}

bool ConsensusDriver::has_pending() {
    return pool_.pending_count() > 0;
}

Bytes ConsensusDriver::take_payload(std::span<const BytesView> exclude) {
    std::set<Hash32> taken;
    for (BytesView payload : exclude) {
        auto raws = payload_transactions(payload);
        if (!raws) continue;
        for (BytesView raw : *raws)
            taken.insert(keccak256(raw));
    }
    const uint64_t gas_limit = chain_.gas_limit();
    auto pending = pool_.pending_block(gas_limit, settings_.max_block_txs + taken.size());
    std::vector<BytesView> chosen;
    size_t bytes = 0;
    for (const auto& p : pending) {
        if (chosen.size() == settings_.max_block_txs) break;
        if (taken.count(p.hash)) continue;
        if (bytes + p.raw.size() + 16 > kMaxPayloadSize) break;
        bytes += p.raw.size() + 16;
        chosen.push_back(p.raw);
    }
    // pending holds the bytes chosen points into until the encoding is done.
    return encode_payload(chosen);
}

bool ConsensusDriver::valid(BytesView payload, std::span<const BytesView> exclude) {
    if (payload.size() > kMaxPayloadSize) return false;
    auto raws = payload_transactions(payload);
    if (!raws) return false;
    if (!payload.empty() && raws->empty()) return false;  // canonical: empty payload is ""
    if (raws->size() > settings_.max_block_txs) return false;
    std::set<Hash32> seen;
    for (BytesView p : exclude)
        if (auto r = payload_transactions(p))
            for (BytesView raw : *r)
                seen.insert(keccak256(raw));
    uint64_t gas = 0;
    const uint64_t gas_limit = chain_.gas_limit();
    for (BytesView raw : *raws) {
        auto tx = decode_transaction(raw);
        if (!tx) return false;
        if (!seen.insert(transaction_hash(*tx)).second) return false;  // repeated
        if (!pool_.contains(transaction_hash(*tx)) &&
            !validate_transaction(*tx, committee_.chain_id))
            return false;
        gas += tx->gas_limit;
        if (gas > gas_limit) return false;
    }
    return true;
}

}  // namespace hc::node
