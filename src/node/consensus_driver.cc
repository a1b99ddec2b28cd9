#include "node/consensus_driver.h"

#include <algorithm>
#include <chrono>

#include "codec/rlp.h"
#include "common/durable_file.h"
#include "common/keccak.h"
#include "common/log.h"
#include "node/epoch.h"

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

// The record of a block: rlp([block, proof or ""]), or rlp([block, proof, [block, ...]]) for the
// last block of an epoch (see the header).
Bytes encode_record(const Block& block, const CommitProof* proof,
                    const std::vector<Block>* following = nullptr) {
    rlp::Encoder e;
    e.begin_list().add(consensus::encode(block));
    if (proof)
        e.add(consensus::encode(*proof));
    else
        e.add(BytesView{});
    if (following) {
        e.begin_list();
        for (const Block& b : *following)
            e.add(consensus::encode(b));
        e.end_list();
    }
    e.end_list();
    return e.take();
}

constexpr size_t kMaxFollowing = 1024;

}  // namespace

Result<ConsensusRecord> decode_consensus_record(BytesView raw) {
    auto bad = [](const std::string& why) {
        return make_error(Errc::decode, "consensus record: " + why);
    };
    auto item = rlp::decode(raw);
    if (!item) return bad(item.error().message);
    auto list = rlp::ListReader::open(*item);
    if (!list) return bad(list.error().message);
    BytesView block_bytes, proof_bytes;
    HC_TRY(rlp::read_field(list->next_string(), "consensus record", "block", block_bytes));
    HC_TRY(rlp::read_field(list->next_string(), "consensus record", "proof", proof_bytes));
    ConsensusRecord r;
    HC_ASSIGN_OR_RETURN(r.block, consensus::decode_block(block_bytes));
    if (!proof_bytes.empty()) {
        HC_ASSIGN_OR_RETURN(CommitProof proof, consensus::decode_commit_proof(proof_bytes));
        r.proof = std::move(proof);
    }
    if (!list->done()) {
        auto following = list->next_list();
        if (!following) return bad("following blocks: " + following.error().message);
        if (!r.proof) return bad("the last block of an epoch carries no commit proof");
        r.following.emplace();
        while (!following->done()) {
            BytesView b;
            HC_TRY(rlp::read_field(following->next_string(), "consensus record", "following block",
                                   b));
            HC_ASSIGN_OR_RETURN(Block block, consensus::decode_block(b));
            r.following->push_back(std::move(block));
            if (r.following->size() > kMaxFollowing) return bad("too many following blocks");
        }
        HC_TRY(list->finish());
    }
    return r;
}

namespace {

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
    : chain_(chain), pool_(pool), link_(link), dir_(std::move(dir)), settings_(settings) {
    epoch_.committee = committee;
    epoch_.self = self;
    epoch_.validators = std::move(validators);
    for (size_t i = 0; i < epoch_.validators.size(); ++i) {
        epoch_.validators[i].peer = static_cast<PeerId>(i);
        epoch_.index_of[static_cast<PeerId>(i)] = static_cast<ValidatorIndex>(i);
    }
    epoch_.signer = &signer;
}

ConsensusDriver::ConsensusDriver(chain::Chain& chain, txpool::TxPool& pool, std::string name,
                                 crypto::PrivateKey key, PeerLink& link, fs::path dir,
                                 ConsensusSettings settings)
    : chain_(chain),
      pool_(pool),
      name_(std::move(name)),
      key_(std::move(key)),
      link_(&link),
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
    // A committee starts from its own genesis block, at the height its epoch starts after.
    if (head == epoch_.committee.start_height) return consensus::genesis_block(epoch_.committee);
    HC_ASSIGN_OR_RETURN(auto raw, chain_.consensus_record(head));
    if (!raw)
        return corrupt("ledger block " + std::to_string(head) +
                       " has no consensus record: this data directory was not written by a "
                       "consensus node");
    HC_ASSIGN_OR_RETURN(ConsensusRecord r, decode_consensus_record(*raw));
    return r.block;
}

fs::path ConsensusDriver::epoch_dir() const {
    const uint64_t e = epoch_.committee.epoch;
    return e == 0 ? dir_ : dir_ / ("epoch-" + std::to_string(e));
}

bool ConsensusDriver::is_boundary(uint64_t height) const {
    if (!name_) return false;
    auto governance = chain_.governance();
    return governance && governance->pending_nodes &&
           governance->pending_nodes->effective_height <= height;
}

Status ConsensusDriver::load_epoch() {
    if (!name_) return {};  // a fixed committee
    HC_ASSIGN_OR_RETURN(EpochCommittee ec, epoch_committee(chain_));
    Epoch e;
    e.committee = ec.committee;
    e.validators = std::move(ec.validators);
    std::vector<crypto::PublicKey> keys;
    for (size_t i = 0; i < e.validators.size(); ++i) {
        keys.push_back(e.validators[i].consensus_key);
        e.index_of[e.validators[i].peer] = static_cast<ValidatorIndex>(i);
        if (ec.names[i] != *name_) continue;
        if (e.validators[i].consensus_key != key_->public_key())
            return make_error(Errc::invalid_argument,
                              "the consortium's node set lists " + *name_ +
                                  " with another consensus key than this node's: check its "
                                  "consensus key file, or the add_node vote that named it");
        e.self = static_cast<ValidatorIndex>(i);
    }
    HC_ASSIGN_OR_RETURN(auto secret, crypto::PrivateKey::from_bytes(key_->algo(), key_->raw()));
    e.own_signer = std::make_unique<consensus::P256Signer>(std::move(secret), std::move(keys));
    e.signer = e.own_signer.get();
    epoch_ = std::move(e);
    return {};
}

Status ConsensusDriver::remove_other_epochs() {
    // What an earlier epoch left: its safety state and uncommitted blocks (epoch 0 keeps them in
    // dir_ itself). They can never be used again: the chain is past that epoch's end.
    std::vector<Block> leftover;
    std::error_code ec;
    const fs::path current = epoch_dir();
    auto clear = [&](const fs::path& d) {
        for (const auto& entry : fs::directory_iterator(d / "blocks", ec)) {
            if (entry.path().extension() == ".block")
                if (auto raw = read_file(entry.path(), kMaxMessageSize); raw && *raw)
                    if (auto b = consensus::decode_block(**raw)) leftover.push_back(std::move(*b));
            std::error_code ignored;
            fs::remove(entry.path(), ignored);
        }
        std::error_code ignored;
        fs::remove(d / "safety", ignored);
    };
    if (current != dir_) clear(dir_);
    std::vector<fs::path> stale;  // listed first: no removal while the directory is iterated
    for (const auto& entry : fs::directory_iterator(dir_, ec))
        if (entry.path().filename().string().rfind("epoch-", 0) == 0 && entry.path() != current)
            stale.push_back(entry.path());
    for (const fs::path& d : stale) {
        clear(d);
        std::error_code ignored;
        fs::remove_all(d, ignored);
    }
    readmit(leftover);
    return {};
}

Status ConsensusDriver::load_blocks_above(const Block& tip, std::vector<Block>& above) const {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(epoch_dir() / "blocks", ec)) {
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
                          "cannot list " + (epoch_dir() / "blocks").string() + ": " + ec.message());
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
    epoch_number_.store(epoch_.committee.epoch, std::memory_order_relaxed);
    voting_.store(epoch_.self.has_value(), std::memory_order_relaxed);
    if (!epoch_.self) {  // a follower: it syncs, and has no replica until an epoch names it
        replica_.reset();
        return {};
    }
    HC_ASSIGN_OR_RETURN(Block tip, committed_tip());
    SafetyState safety =
        replica_ ? replica_->safety_state() : consensus::initial_safety_state(epoch_.committee);
    std::vector<Block> above;
    if (!dir_.empty()) {
        if (!replica_) {
            HC_ASSIGN_OR_RETURN(auto saved, read_file(epoch_dir() / "safety"));
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
    config.committee = epoch_.committee;
    config.self = *epoch_.self;
    config.base_timeout_ms = settings_.base_timeout_ms;
    config.max_timeout_ms = settings_.max_timeout_ms;
    replica_ = std::make_unique<Replica>(config, *epoch_.signer, *this, std::move(safety),
                                         std::move(tip), std::move(above));
    return {};
}

Status ConsensusDriver::enter_epoch() {
    HC_TRY(load_epoch());
    if (dir_.empty()) return {};
    std::error_code ec;
    fs::create_directories(epoch_dir() / "blocks", ec);
    if (ec)
        return make_error(
            Errc::io, "cannot create " + (epoch_dir() / "blocks").string() + ": " + ec.message());
    return name_ ? remove_other_epochs() : Status{};
}

Status ConsensusDriver::open() {
    HC_TRY(enter_epoch());
    HC_TRY(rebuild_replica());
    if (replica_) apply(replica_->start(wall_ms()));
    return failure_;
}

Status ConsensusDriver::switch_epoch(const std::vector<Block>& discarded, uint64_t now_ms) {
    const uint64_t old_epoch = epoch_.committee.epoch;
    ++generation_;
    replica_.reset();
    timer_deadline_ = 0;
    readmit(discarded);
    HC_TRY(enter_epoch());
    log::info("consensus", "epoch started",
              {{"epoch", epoch_.committee.epoch},
               {"previous", old_epoch},
               {"after_block", epoch_.committee.start_height},
               {"committee", epoch_.committee.size},
               {"voting", epoch_.self.has_value()}});
    HC_TRY(rebuild_replica());
    if (replica_) apply(replica_->start(now_ms));
    return failure_;
}

void ConsensusDriver::start() {
    std::lock_guard lock(mu_);
    if (thread_.joinable()) return;
    stopping_ = false;
    exec_stopping_ = false;  // the executor is not running: no lock needed
    executor_ = std::thread([this] { execution_loop(); });
    thread_ = std::thread([this] { loop(); });
}

void ConsensusDriver::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    {
        std::lock_guard lock(exec_mu_);  // the executor stores what it was given, then ends
        exec_stopping_ = true;
    }
    exec_wake_.notify_all();
    if (executor_.joinable()) executor_.join();
}

void ConsensusDriver::on_frame(PeerId from, Bytes frame) {
    {
        std::lock_guard lock(mu_);
        events_.push_back(FrameEvent{from, std::move(frame)});
    }
    wake_.notify_one();
}

void ConsensusDriver::on_local_transactions(std::vector<Hash32> hashes) {
    if (hashes.empty()) return;
    {
        std::lock_guard lock(mu_);
        events_.push_back(LocalTxEvent{std::move(hashes)});
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
        if (replica_) apply(replica_->on_timeout(now_ms));
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
            if (replica_) apply(replica_->on_timeout(now));
        }
        HC_TRY(failure_);
    }
    flush_gossip(wall_ms(), true);
    return failure_;
}

void ConsensusDriver::handle(Event event, uint64_t now_ms) {
    if (!failure_) return;
    if (auto* f = std::get_if<FrameEvent>(&event)) return handle_frame(f->from, f->frame, now_ms);
    // Only the committee needs them; its only member needs no gossip.
    if (std::holds_alternative<LocalTxEvent>(event) && link_ &&
        epoch_.validators.size() > (epoch_.self ? 1u : 0u)) {
        const std::vector<Hash32>& hashes = std::get<LocalTxEvent>(event).hashes;
        if (gossip_.empty()) gossip_since_ms_ = now_ms;
        gossip_.insert(gossip_.end(), hashes.begin(), hashes.end());
        flush_gossip(now_ms, false);
    }
    if (replica_) apply(replica_->on_payload_available(now_ms));
}

void ConsensusDriver::send_frame(ValidatorIndex to, uint8_t kind, Bytes body) {
    if (to < epoch_.validators.size())
        send_to_peer(epoch_.validators[to].peer, kind, std::move(body));
}

void ConsensusDriver::send_to_peer(PeerId to, uint8_t kind, Bytes body) {
    if (!link_) return;
    body.insert(body.begin(), kind);
    link_->send(to, std::move(body));
}

void ConsensusDriver::send_to_committee(uint8_t kind, const Bytes& body) {
    if (!link_) return;
    Bytes frame;
    frame.reserve(body.size() + 1);
    frame.push_back(kind);
    frame.insert(frame.end(), body.begin(), body.end());
    for (size_t i = 0; i < epoch_.validators.size(); ++i)
        if (epoch_.self != i) link_->send(epoch_.validators[i].peer, frame);
}

void ConsensusDriver::handle_frame(PeerId from, const Bytes& frame, uint64_t now_ms) {
    // Consensus messages count only from this epoch's committee; a node outside it (one that is
    // joining, or was removed) may still sync and pass on transactions.
    const auto member = epoch_.index_of.find(from);
    const bool from_member = member != epoch_.index_of.end();
    if (from_member && member->second == epoch_.self) return;
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
            if (!from_member || !replica_) return;
            return apply(replica_->on_message(member->second, *message, now_ms));
        }
        case kTxBatchFrame: {
            auto txs = payload_transactions(body);
            if (!txs) return reject(txs.error().message);
            bool added = false;
            for (const auto& result : pool_.add_batch(*txs))
                added |= result.ok();  // known, stale or invalid ones are just skipped
            if (added && replica_) apply(replica_->on_payload_available(now_ms));
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
    const std::vector<Bytes> raws = pool_.raws(gossip_);
    gossip_.clear();
    if (raws.empty() || !link_) return;
    std::vector<BytesView> views(raws.begin(), raws.end());
    send_to_committee(kTxBatchFrame, encode_payload(views));
}

void ConsensusDriver::apply(std::vector<Action> actions) {
    const uint64_t generation = generation_;
    for (Action& action : actions) {
        // An epoch switch (in a Commit) ends the old replica: what it still asked for is void.
        if (!failure_ || generation != generation_) return;
        if (auto* p = std::get_if<Persist>(&action)) {
            if (Status s = persist(*p); !s) fail(s.error());
        } else if (auto* s = std::get_if<Send>(&action)) {
            send_frame(s->to, kConsensusFrame, consensus::encode_message(s->message));
        } else if (auto* b = std::get_if<Broadcast>(&action)) {
            send_to_committee(kConsensusFrame, consensus::encode_message(b->message));
        } else if (auto* c = std::get_if<Commit>(&action)) {
            if (Status st = commit(*c); !st) fail(st.error());
        } else if (auto* t = std::get_if<SetTimer>(&action)) {
            timer_deadline_ = t->deadline_ms;
        } else if (auto* e = std::get_if<Evidence>(&action)) {
            log::warn("consensus", "equivocation",
                      {{"offender", e->offender}, {"round", e->round}});
            if (dir_.empty()) continue;
            const fs::path path =
                dir_ / ("evidence-" + std::to_string(epoch_.committee.epoch) + "-" +
                        std::to_string(e->round) + "-" + std::to_string(e->offender));
            rlp::Encoder enc;
            enc.begin_list()
                .add(consensus::encode_message(e->first))
                .add(consensus::encode_message(e->second));
            enc.end_list();
            if (Status s = write_file_durably(path, enc.take(), 0644); !s)
                log::error("consensus", "cannot keep evidence", {{"error", s.error().message}});
        }
    }
    if (pending_switch_ && generation == generation_) {
        const std::vector<Block> discarded = std::move(*pending_switch_);
        pending_switch_.reset();
        if (Status s = switch_epoch(discarded, wall_ms()); !s) fail(s.error());
    }
    if (replica_) round_.store(replica_->current_round(), std::memory_order_relaxed);
}

Status ConsensusDriver::persist(const Persist& p) {
    if (dir_.empty()) return {};  // in memory: a test's node, or a chain that is not kept
    // Blocks first: the safety state may refer to them (its high QC).
    const fs::path dir = epoch_dir();
    for (const Block& b : p.blocks)
        HC_TRY(write_file_durably(dir / "blocks" / block_file_name(b), consensus::encode(b)));
    return write_file_durably(dir / "safety", consensus::encode(p.state));
}

Status ConsensusDriver::commit(const Commit& c) {
    if (pending_switch_) {  // the old committee's blocks past its last one: not executed
        pending_switch_->insert(pending_switch_->end(), c.blocks.begin(), c.blocks.end());
        return {};
    }
    // The ledger must be at the previous commit's last block: the boundary check below reads
    // its governance, and blocks execute in order.
    HC_TRY(finish_executions());
    for (size_t i = 0; i < c.blocks.size(); ++i) {
        const bool last = i + 1 == c.blocks.size();
        Bytes record;
        if (is_boundary(c.blocks[i].header.height)) {
            // The last block of the epoch: proven by this commit's proof through the blocks after
            // it, which are discarded (the next committee builds on this one instead).
            const std::vector<Block> following(c.blocks.begin() + static_cast<ptrdiff_t>(i) + 1,
                                               c.blocks.end());
            record = encode_record(c.blocks[i], &c.proof, &following);
            HC_ASSIGN_OR_RETURN(bool switched, execute(c.blocks[i], std::move(record)));
            if (switched) {
                // Switched once this action list is done: its messages (the proposal carrying
                // the QC that commits this block, votes) still go out under the old committee,
                // so its other members reach the boundary without waiting for block sync.
                pending_switch_ = following;
                return {};
            }
            continue;
        }
        record = encode_record(c.blocks[i], last ? &c.proof : nullptr);
        if (last && executor_.joinable()) {  // the ones before it were executed in line
            HC_TRY(execute_later(c.blocks[i], std::move(record)));
            continue;
        }
        HC_ASSIGN_OR_RETURN(bool switched, execute(c.blocks[i], std::move(record)));
        if (switched)  // only a boundary block starts an epoch; anything else is a bug
            return make_error(Errc::internal, "block " + std::to_string(c.blocks[i].header.height) +
                                                  " started an epoch it was not the boundary of");
    }
    return {};
}

Result<bool> ConsensusDriver::execute(const Block& block, Bytes record) {
    HC_ASSIGN_OR_RETURN(std::optional<Execution> e, ready(block, std::move(record)));
    if (!e) return false;
    return run(*e);
}

Status ConsensusDriver::execute_later(const Block& block, Bytes record) {
    HC_ASSIGN_OR_RETURN(std::optional<Execution> e, ready(block, std::move(record)));
    if (!e) return {};
    {
        std::lock_guard lock(exec_mu_);
        for (const chain::BlockTx& t : e->txs)
            executing_.insert(t.hash);
        exec_next_ = std::move(*e);
    }
    exec_wake_.notify_one();
    return {};
}

Status ConsensusDriver::finish_executions() {
    std::unique_lock lock(exec_mu_);
    exec_idle_.wait(lock, [&] { return !exec_next_ && !exec_running_; });
    return exec_failure_;
}

void ConsensusDriver::execution_loop() {
    std::unique_lock lock(exec_mu_);
    for (;;) {
        exec_wake_.wait(lock, [&] { return exec_stopping_ || exec_next_.has_value(); });
        if (!exec_next_) return;  // stopping, and everything handed over is stored
        Execution e = std::move(*exec_next_);
        exec_next_.reset();
        exec_running_ = true;
        lock.unlock();
        Result<bool> switched = run(e);
        if (switched && *switched)  // execute_later is never given an epoch's last block
            switched =
                make_error(Errc::internal, "block " + std::to_string(e.header.height) +
                                               " started an epoch it was not the boundary of");
        if (!switched)
            log::error("consensus", "executing a committed block failed",
                       {{"height", e.header.height}, {"error", switched.error().message}});
        lock.lock();
        if (!switched && exec_failure_) exec_failure_ = switched.error();
        for (const chain::BlockTx& t : e.txs)
            executing_.erase(t.hash);
        exec_running_ = false;
        exec_idle_.notify_all();
        lock.unlock();  // never both locks at once
        {
            std::lock_guard events_lock(mu_);
            events_.push_back(ExecutedEvent{});
        }
        wake_.notify_one();
        lock.lock();
    }
}

Result<std::optional<ConsensusDriver::Execution>> ConsensusDriver::ready(const Block& block,
                                                                         Bytes record) {
    const uint64_t head = chain_.head_number();
    if (block.header.height <= head)
        return std::optional<Execution>{};  // already executed (sync got there first)
    if (block.header.height != head + 1)
        return make_error(Errc::internal,
                          "committed block at height " + std::to_string(block.header.height) +
                              " does not follow the ledger head " + std::to_string(head));
    Execution e;
    // The header's payload hash was checked against the payload when the block arrived
    // (proposal or sync): hashing up to a megabyte again per block is not needed to find it.
    if (auto kept = prepared_.find(block.header.payload_hash); kept != prepared_.end()) {
        e.txs = std::move(kept->second.txs);
        prepared_.erase(kept);
    } else {  // not prepared here: it came by sync, or was proposed before a restart
        auto raws = payload_transactions(block.payload);
        if (!raws) return raws.error();  // the committee accepted it, so this is a bug
        e.txs.reserve(raws->size());
        for (BytesView raw : *raws) {
            auto tx = decode_transaction(raw);
            if (!tx) continue;
            // The decoder accepts only the canonical encoding, so this is transaction_hash(*tx).
            const Hash32 hash = keccak256(raw);
            // Recovered once: at admission, or when a peer's gossip brought it first.
            auto sender = pool_.checked_sender(*tx, hash);
            if (!sender) continue;
            e.txs.push_back({std::move(*tx), hash, *sender});
        }
    }
    e.coinbase = block.header.author < epoch_.validators.size()
                     ? epoch_.validators[block.header.author].coinbase
                     : Address{};
    if (!dir_.empty()) e.file = epoch_dir() / "blocks" / block_file_name(block);
    e.epoch = epoch_.committee.epoch;
    e.header = block.header;
    e.record = std::move(record);
    return std::optional<Execution>(std::move(e));
}

Result<bool> ConsensusDriver::run(Execution& e) {
    std::vector<Address> senders;
    senders.reserve(e.txs.size());
    for (const chain::BlockTx& t : e.txs)
        senders.push_back(t.sender);
    chain::BlockOrigin origin;
    const BlockId id = e.header.id();
    origin.extra_data.assign(id.bytes.begin(), id.bytes.end());
    origin.consensus_record = std::move(e.record);
    HC_ASSIGN_OR_RETURN(
        chain::CommittedBlock committed,
        chain_.commit_block(e.txs, e.header.timestamp_ms / 1000, e.coinbase, origin));
    for (const auto& [hash, error] : committed.rejected)
        if ((error.code == Errc::unsupported || error.code == Errc::permission_denied) &&
            pool_.remove(hash))
            log::warn("node", "dropped transaction",
                      {{"hash", hash.hex()}, {"reason", error.message}});
    pool_.on_block_committed(senders);
    if (!e.file.empty()) {
        std::error_code ec;
        fs::remove(e.file, ec);
    }
    log::debug("consensus", "committed",
               {{"height", e.header.height},
                {"round", e.header.round},
                {"txs", committed.block.transactions.size()}});
    for (const auto& listener : listeners_)
        listener(committed);
    return name_ && chain_.governance() && chain_.governance()->epoch != e.epoch;
}

void ConsensusDriver::request_sync(uint64_t now_ms) {
    next_sync_ms_ = now_ms + settings_.sync_interval_ms;
    const uint32_t n = epoch_.committee.size;
    const uint32_t others = epoch_.self ? n - 1 : n;
    if (!link_ || others == 0) return;
    sync_peer_ = (sync_peer_ + 1) % n;
    if (sync_peer_ == epoch_.self) sync_peer_ = (sync_peer_ + 1) % n;
    rlp::Encoder e;
    e.begin_list().add(chain_.head_number() + 1).add(uint64_t{settings_.sync_batch}).end_list();
    send_frame(sync_peer_, kSyncRequestFrame, e.take());
}

void ConsensusDriver::serve_sync(PeerId from, BytesView body) {
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
    // An epoch's last block ends the response: what follows it is the next committee's.
    std::vector<Bytes> records;
    size_t proven = 0;
    for (uint64_t n = first;
         n <= head && (records.size() < max || proven == 0) && records.size() < 4 * kMaxSyncBatch;
         ++n) {
        auto raw = chain_.consensus_record(n);
        if (!raw || !*raw) break;
        auto r = decode_consensus_record(**raw);
        if (!r) break;
        records.push_back(std::move(**raw));
        if (r->proof) proven = records.size();
        if (r->following) break;
    }
    records.resize(proven);
    if (records.empty()) return;
    rlp::Encoder e;
    e.begin_list();
    for (const Bytes& r : records)
        e.add(r);
    e.end_list();
    send_to_peer(from, kSyncResponseFrame, e.take());  // a follower may ask too
}

void ConsensusDriver::apply_sync(PeerId from, BytesView body) {
    auto reject = [&](const std::string& why) {
        log::warn("consensus", "invalid sync response", {{"peer", from}, {"reason", why}});
        if (link_) link_->disconnect(from, "invalid sync response: " + why);
    };
    auto item = rlp::decode(body);
    if (!item) return reject(item.error().message);
    auto list = rlp::ListReader::open(*item);
    if (!list) return reject(list.error().message);
    std::vector<ConsensusRecord> records;
    while (!list->done()) {
        auto raw = list->next_string();
        if (!raw) return reject(raw.error().message);
        auto r = decode_consensus_record(*raw);
        if (!r) return reject(r.error().message);
        records.push_back(std::move(*r));
        if (records.size() > 4 * kMaxSyncBatch) return reject("too many records");
    }
    if (records.empty() || !records.back().proof) return reject("no commit proof at the end");
    // Nothing past an epoch's last block: the next committee's blocks are checked against it.
    for (size_t i = 0; i + 1 < records.size(); ++i)
        if (records[i].following) return reject("blocks after the last block of an epoch");
    if (Status s = finish_executions(); !s) return fail(s.error());
    auto tip = committed_tip();
    if (!tip) return fail(tip.error());
    // Skip what we already have, then the rest must link to our tip, block by block, and on to
    // the block the proof is for.
    size_t start = 0;
    while (start < records.size() && records[start].block.header.height <= tip->header.height)
        ++start;
    if (start == records.size()) return;  // nothing new (a commit raced the response)
    std::vector<const Block*> chain;
    for (size_t i = start; i < records.size(); ++i)
        chain.push_back(&records[i].block);
    if (records.back().following)
        for (const Block& b : *records.back().following)
            chain.push_back(&b);
    BlockId parent = tip->id();
    uint64_t height = tip->header.height;
    for (const Block* b : chain) {
        if (b->header.parent_id != parent || b->header.height != height + 1)
            return reject("block at height " + std::to_string(b->header.height) +
                          " does not link to the local chain");
        if (b->header.payload_hash != keccak256(b->payload))
            return reject("payload does not match its hash");
        parent = b->id();
        height = b->header.height;
    }
    auto proven =
        consensus::verify_commit_proof(*records.back().proof, epoch_.committee, *epoch_.signer);
    if (!proven) return reject("commit proof: " + proven.error().message);
    if (*proven != parent) return reject("commit proof is for another block");
    for (size_t i = start; i < records.size(); ++i) {
        const ConsensusRecord& r = records[i];
        const CommitProof* proof = r.proof ? &*r.proof : nullptr;
        auto switched =
            execute(r.block, encode_record(r.block, proof, r.following ? &*r.following : nullptr));
        if (!switched) return fail(switched.error());
        if (*switched) {
            // The block ended the epoch (the proof reached it). Anything after it can only be
            // the old committee's discarded blocks: not executed.
            log::info("consensus", "synced", {{"peer", from}, {"height", chain_.head_number()}});
            if (Status s = switch_epoch({}, wall_ms()); !s) return fail(s.error());
            next_sync_ms_ = 0;
            return;
        }
    }
    log::info("consensus", "synced", {{"peer", from}, {"height", chain_.head_number()}});
    if (Status s = rebuild_replica(); !s) return fail(s.error());
    if (replica_) apply(replica_->start(wall_ms()));
    next_sync_ms_ = 0;  // there may be more
}

void ConsensusDriver::fail(const Error& e) {
    log::error("consensus", "stopped", {{"error", e.to_string()}});
    if (failure_) failure_ = e;
}

bool ConsensusDriver::has_pending() {
    // The transactions of a block still executing stay pending in the pool until it is stored.
    std::lock_guard lock(exec_mu_);
    return pool_.pending_count() > executing_.size();
}

consensus::NewPayload ConsensusDriver::take_payload(
    std::span<const consensus::HashedPayload> exclude) {
    std::unordered_set<Hash32> taken = hashes_in(exclude);
    {
        std::lock_guard lock(exec_mu_);
        taken.insert(executing_.begin(), executing_.end());
    }
    const uint64_t gas_limit = chain_.gas_limit();
    // What the blocks this one extends, or the block still executing, carry is still pooled
    // until they are executed: passed over.
    auto pending = pool_.pending_block(gas_limit, settings_.max_block_txs, taken);
    std::vector<BytesView> chosen;
    std::vector<chain::BlockTx> txs;
    size_t bytes = 0;
    for (auto& p : pending) {
        if (bytes + p.raw.size() + 16 > kMaxPayloadSize) break;
        bytes += p.raw.size() + 16;
        chosen.push_back(p.raw);
        txs.push_back({std::move(p.tx), p.hash, p.sender});
    }
    // pending holds the bytes chosen points into until the encoding is done.
    consensus::NewPayload out{encode_payload(chosen), {}};
    out.hash = keccak256(out.bytes);
    keep_prepared(out.hash, std::move(txs));
    return out;
}

bool ConsensusDriver::valid(const consensus::HashedPayload& payload,
                            std::span<const consensus::HashedPayload> exclude) {
    if (payload.bytes.size() > kMaxPayloadSize) return false;
    const Prepared* p = prepared(payload.bytes, payload.hash);
    if (!p) return false;
    if (p->txs.size() > settings_.max_block_txs) return false;
    const uint64_t gas_limit = chain_.gas_limit();
    uint64_t gas = 0;
    for (const chain::BlockTx& t : p->txs) {
        gas += t.tx.gas_limit;
        if (gas > gas_limit) return false;
    }
    if (exclude.empty()) return true;
    const std::unordered_set<Hash32> taken = hashes_in(exclude);
    for (const chain::BlockTx& t : p->txs)
        if (taken.contains(t.hash)) return false;  // repeats one of a block it extends
    return true;
}

void ConsensusDriver::keep_prepared(const Hash32& payload_hash, std::vector<chain::BlockTx> txs) {
    if (prepared_.size() >= kMaxPrepared) {
        auto oldest = std::min_element(prepared_.begin(), prepared_.end(), [](auto& a, auto& b) {
            return a.second.order < b.second.order;
        });
        prepared_.erase(oldest);
    }
    prepared_.insert_or_assign(payload_hash, Prepared{std::move(txs), ++prepared_order_});
}

const ConsensusDriver::Prepared* ConsensusDriver::prepared(BytesView payload,
                                                           const Hash32& payload_hash) {
    if (auto kept = prepared_.find(payload_hash); kept != prepared_.end()) return &kept->second;
    auto raws = payload_transactions(payload);
    if (!raws) return nullptr;
    if (!payload.empty() && raws->empty()) return nullptr;  // canonical: empty payload is ""
    if (raws->size() > settings_.max_block_txs) return nullptr;
    std::vector<chain::BlockTx> txs;
    txs.reserve(raws->size());
    std::unordered_set<Hash32> seen;
    for (BytesView raw : *raws) {
        auto tx = decode_transaction(raw);
        if (!tx) return nullptr;
        const Hash32 hash = keccak256(raw);             // canonical, so transaction_hash(*tx)
        if (!seen.insert(hash).second) return nullptr;  // repeated
        auto sender = pool_.checked_sender(*tx, hash);
        if (!sender) return nullptr;
        txs.push_back({std::move(*tx), hash, *sender});
    }
    keep_prepared(payload_hash, std::move(txs));
    return &prepared_.at(payload_hash);
}

std::unordered_set<Hash32> ConsensusDriver::hashes_in(
    std::span<const consensus::HashedPayload> payloads) {
    std::unordered_set<Hash32> out;
    for (const consensus::HashedPayload& payload : payloads) {
        if (auto kept = prepared_.find(payload.hash); kept != prepared_.end()) {
            for (const chain::BlockTx& t : kept->second.txs)
                out.insert(t.hash);
            continue;
        }
        if (auto raws = payload_transactions(payload.bytes))
            for (BytesView raw : *raws)
                out.insert(keccak256(raw));
    }
    return out;
}

}  // namespace hc::node
