// The consensus core (see replica.h for the protocol and the driver's contract).
#include "consensus/replica.h"

#include <algorithm>

#include "common/keccak.h"

namespace hc::consensus {
namespace {

// Votes and timeouts further ahead than this are dropped: they cannot be useful yet, and keeping
// them would let a faulty peer fill memory.
constexpr Round kMaxRoundsAhead = 1000;
// Equivocation records and vote tallies are kept this many rounds behind the current one.
constexpr Round kKeepRounds = 64;
constexpr size_t kMaxPending = 64;
constexpr size_t kMaxRetries = 4;  // missing blocks re-requested per timer expiry
constexpr size_t kMaxResponsePayload = 8 * 1024 * 1024;

}  // namespace

SafetyState initial_safety_state(const Committee& committee) {
    SafetyState s;
    s.high_qc = genesis_qc(committee);
    return s;
}

Replica::Replica(const Config& config, Signer& signer, PayloadSource& payload, SafetyState safety,
                 Block committed_tip, std::vector<Block> blocks)
    : config_(config), signer_(signer), payload_(payload), safety_(std::move(safety)) {
    committed_id_ = committed_tip.id();
    committed_height_ = committed_tip.header.height;
    committed_round_ = committed_tip.header.round;
    committed_recent_.push_back(committed_id_);
    blocks_.emplace(committed_id_, std::move(committed_tip));
    // Our own disk: trusted, but only blocks that link to the tip are of any use.
    std::sort(blocks.begin(), blocks.end(),
              [](const Block& a, const Block& b) { return a.header.height < b.header.height; });
    for (Block& b : blocks) {
        const Block* parent = find(b.header.parent_id);
        if (!parent || b.header.height != parent->header.height + 1) continue;
        // A proposal of ours on disk must not be followed by a second one for its round.
        if (b.header.author == config_.self)
            last_proposed_round_ = std::max(last_proposed_round_, b.header.round);
        const BlockId id = b.id();
        blocks_.emplace(id, std::move(b));
    }
    round_ = current_round();
}

Round Replica::current_round() const noexcept {
    Round r = safety_.high_qc.round;
    if (safety_.high_tc) r = std::max(r, safety_.high_tc->round);
    return r + 1;
}

// ---- Entry points ----

template <typename F>
std::vector<Action> Replica::run(uint64_t now_ms, F&& f) {
    now_ = now_ms;
    out_.clear();
    dirty_ = false;
    committed_this_call_ = false;
    new_blocks_.clear();
    driver_committed_height_ = committed_height_;
    f();
    while (!inbox_.empty()) {
        Message m = std::move(inbox_.front());
        inbox_.pop_front();
        handle(config_.self, m);
    }
    arm_timer();
    // The driver holds one timer: ask for the earliest moment this replica needs it.
    const uint64_t want = propose_pending_ ? now_ : deadline_;
    if (want != 0 && want != timer_set_) {
        out_.push_back(SetTimer{want});
        timer_set_ = want;
    }
    // One Persist first covers every change of this call: it is durable before any send.
    if (dirty_ || !new_blocks_.empty()) {
        Persist p{safety_, {}};
        for (const BlockId& id : new_blocks_)
            if (const Block* b = find(id); b && b->header.height > committed_height_)
                p.blocks.push_back(*b);
        new_blocks_.clear();
        out_.insert(out_.begin(), std::move(p));
    }
    prune();
    return std::move(out_);
}

std::vector<Action> Replica::start(uint64_t now_ms) {
    return run(now_ms, [&] {
        if (!find(safety_.high_qc.block_id) && safety_.high_qc.round > committed_round_)
            request_block(safety_.high_qc.block_id, safety_.high_qc.round,
                          config_.committee.leader(current_round()));
        maybe_propose();
        resume_round();
    });
}

void Replica::resume_round() {
    const Round r = current_round();
    if (r == last_proposed_round_ && r > safety_.last_voted_round) {
        // A crash between storing its proposal and storing the safety state that records its
        // vote left the proposal unvoted. It is the only proposal of this round: vote for it
        // now, and send it again since the others may not have it.
        for (const auto& [id, b] : blocks_) {
            if (b.header.round != r || b.header.author != config_.self) continue;
            out_.push_back(Broadcast{Proposal{b}});
            maybe_vote(b);
            break;
        }
        if (safety_.last_voted_round == r) return;
    }
    // A replica restarted in a round it already voted, proposed or timed out in can do nothing
    // more there. Rather than wait out a whole round timeout, it times out at once (always
    // safe); a committee of one thus moves on to the next round straight away.
    if (r <= safety_.last_voted_round || r <= last_proposed_round_) local_timeout();
}

std::vector<Action> Replica::on_message(ValidatorIndex from, const Message& message,
                                        uint64_t now_ms) {
    return run(now_ms, [&] {
        if (from < config_.committee.size) handle(from, message);
    });
}

std::vector<Action> Replica::on_payload_available(uint64_t now_ms) {
    return run(now_ms, [&] { maybe_propose(); });
}

std::vector<Action> Replica::on_timeout(uint64_t now_ms) {
    timer_set_ = 0;  // the driver's one timer has fired
    return run(now_ms, [&] {
        if (propose_pending_) {
            propose_pending_ = false;
            maybe_propose();
        }
        if (deadline_ == 0 || now_ < deadline_) return;
        deadline_ = 0;
        // Without work, even a replica that timed out in this round goes quiet: it answers the
        // timeouts of others instead (on_timeout_msg), so an idle network stays silent.
        if (!has_work()) return;
        local_timeout();
        // Fetches may have been lost: ask other peers in turn.
        size_t retries = 0;
        for (auto& [id, peer_round] : missing_) {
            if (retries++ == kMaxRetries) break;
            ValidatorIndex peer = (peer_round.first + 1) % config_.committee.size;
            if (peer == config_.self) peer = (peer + 1) % config_.committee.size;
            peer_round.first = peer;
            if (peer != config_.self) send(peer, BlockRequest{id, kMaxFetchBlocks});
        }
        deadline_ = now_ + timer_duration();
    });
}

void Replica::handle(ValidatorIndex from, const Message& m) {
    std::visit(
        [&](const auto& msg) {
            using T = std::decay_t<decltype(msg)>;
            if constexpr (std::is_same_v<T, Proposal>) on_proposal(from, msg.block, true);
            if constexpr (std::is_same_v<T, Vote>) on_vote(msg);
            if constexpr (std::is_same_v<T, TimeoutMsg>) on_timeout_msg(from, msg);
            if constexpr (std::is_same_v<T, SyncInfo>) on_sync(from, msg);
            if constexpr (std::is_same_v<T, BlockRequest>) on_block_request(from, msg);
            if constexpr (std::is_same_v<T, BlockResponse>) on_block_response(from, msg);
        },
        m);
}

// ---- Blocks ----

bool Replica::check_qc(const QuorumCert& qc) {
    if (verified_qcs_.count({qc.round, qc.block_id})) return true;
    if (!verify_qc(qc, config_.committee, signer_)) return false;
    verified_qcs_.insert({qc.round, qc.block_id});
    return true;
}

// Everything that can be checked without the parent.
Status Replica::check_block(const Block& b) {
    const BlockHeader& h = b.header;
    const Committee& c = config_.committee;
    if (h.round == 0 || h.height == 0) return make_error(Errc::invalid_argument, "round 0 block");
    if (h.author != c.leader(h.round))
        return make_error(Errc::invalid_argument, "block author is not the round's leader");
    if (h.parent_id != h.qc.block_id || h.qc.round >= h.round)
        return make_error(Errc::invalid_argument, "block QC does not certify an earlier parent");
    if (h.tc && h.tc->round >= h.round)
        return make_error(Errc::invalid_argument, "block TC is not for an earlier round");
    if (keccak256(b.payload) != h.payload_hash)
        return make_error(Errc::invalid_argument, "block payload does not match its hash");
    HC_TRY(verify_header_signature(h, c, signer_));
    if (!check_qc(h.qc)) return make_error(Errc::crypto, "block QC does not verify");
    // The vote rule trusts the TC's entries, so only the very TC we checked may skip the check.
    if (h.tc && !(safety_.high_tc && *safety_.high_tc == *h.tc))
        HC_TRY(verify_tc(*h.tc, c, signer_));
    return {};
}

const Block* Replica::find(const BlockId& id) const {
    auto it = blocks_.find(id);
    return it == blocks_.end() ? nullptr : &it->second;
}

void Replica::record_proposal(const Block& b) {
    auto key = std::make_pair(b.header.round, b.header.author);
    auto [it, inserted] = proposals_seen_.emplace(key, b);
    if (inserted || it->second.id() == b.id()) return;
    if (!reported_.insert({key.first, 0, key.second}).second) return;
    out_.push_back(Evidence{key.second, key.first, Proposal{it->second}, Proposal{b}});
}

void Replica::on_proposal(ValidatorIndex from, const Block& b, bool proposal) {
    if (b.header.height <= committed_height_) return;
    if (const Block* known = find(b.id())) {
        if (proposal) maybe_vote(*known);  // it came first in a fetch
        return;
    }
    if (!check_block(b)) return;
    record_proposal(b);
    // The block's certificates are sync info: they may move this replica to the block's round.
    if (b.header.tc && newer_tc(*b.header.tc)) process_tc(*b.header.tc, from);
    process_qc(b.header.qc, from);
    insert_block(from, b, proposal);
}

// REQUIRES: check_block(b) passed.
void Replica::insert_block(ValidatorIndex from, Block b, bool proposal) {
    const BlockHeader& h = b.header;
    if (h.height <= committed_height_) return;
    const BlockId id = b.id();
    if (find(id)) return;
    const Block* parent = find(h.parent_id);
    if (!parent) {
        if (pending_count_ < kMaxPending) {
            pending_[h.parent_id].push_back(Pending{from, b, proposal});
            ++pending_count_;
        }
        request_block(h.parent_id, h.qc.round, from);
        return;
    }
    const BlockHeader& p = parent->header;
    if (p.round != h.qc.round || h.height != p.height + 1 || h.timestamp_ms <= p.timestamp_ms)
        return;
    blocks_.emplace(id, std::move(b));
    new_blocks_.push_back(id);
    missing_.erase(id);
    const Block& blk = blocks_.at(id);
    try_commit(blk.header.qc);
    if (safety_.high_qc.block_id == id) try_commit(safety_.high_qc);
    if (proposal) maybe_vote(blk);

    auto it = pending_.find(id);
    if (it != pending_.end()) {
        std::vector<Pending> children = std::move(it->second);
        pending_.erase(it);
        pending_count_ -= children.size();
        for (Pending& c : children)
            insert_block(c.from, std::move(c.block), c.proposal);
    }
    maybe_propose();  // a leader may have been waiting for this block
}

std::vector<HashedPayload> Replica::exclude_for(const BlockId& parent) const {
    std::vector<HashedPayload> out;
    for (const Block* b = find(parent); b && b->header.height > driver_committed_height_;
         b = find(b->header.parent_id))
        if (!b->payload.empty()) out.push_back({b->payload, b->header.payload_hash});
    return out;
}

void Replica::maybe_vote(const Block& b) {
    const BlockHeader& h = b.header;
    if (h.round != current_round() || h.round <= safety_.last_voted_round) return;
    const bool follows_qc = h.round == h.qc.round + 1;
    const bool follows_tc =
        h.tc && h.round == h.tc->round + 1 && h.qc.round >= h.tc->max_high_qc_round();
    if (!follows_qc && !follows_tc) return;
    if (h.timestamp_ms > now_ + config_.max_clock_skew_ms) return;
    auto exclude = exclude_for(h.parent_id);
    if (!payload_.valid({b.payload, h.payload_hash}, exclude)) return;

    const BlockId id = b.id();
    auto sig = signer_.sign(vote_digest(config_.committee, h.round, id));
    if (!sig) return;
    safety_.last_voted_round = h.round;
    dirty_ = true;
    send(config_.committee.leader(h.round + 1), Vote{h.round, id, config_.self, std::move(*sig)});
}

// ---- Certificates and rounds ----

// REQUIRES: qc verified.
void Replica::process_qc(const QuorumCert& qc, ValidatorIndex from) {
    if (qc.round > safety_.high_qc.round) {
        safety_.high_qc = qc;
        dirty_ = true;
    }
    if (qc.round > committed_round_ && !find(qc.block_id))
        request_block(qc.block_id, qc.round, from);
    try_commit(qc);
    maybe_advance(false);
}

// REQUIRES: tc verified.
void Replica::process_tc(const TimeoutCert& tc, ValidatorIndex from) {
    verified_qcs_.insert({tc.high_qc.round, tc.high_qc.block_id});
    if (tc.high_qc.round > safety_.high_qc.round) process_qc(tc.high_qc, from);
    if (!safety_.high_tc || tc.round > safety_.high_tc->round) {
        safety_.high_tc = tc;
        dirty_ = true;
    }
    maybe_advance(true);
}

void Replica::maybe_advance(bool via_tc) {
    const Round r = current_round();
    if (r <= round_) return;
    round_ = r;
    streak_ = via_tc ? streak_ + 1 : 0;
    deadline_ = 0;
    votes_.erase(votes_.begin(), votes_.lower_bound({r > 1 ? r - 1 : 0, BlockId{}}));
    timeouts_.erase(timeouts_.begin(), timeouts_.lower_bound(r));
    maybe_propose();
    arm_timer();
}

void Replica::try_commit(const QuorumCert& qc) {
    const Block* b1 = find(qc.block_id);
    if (!b1 || b1->header.round != qc.round) return;
    if (config_.unsafe_one_chain_commit) {
        if (b1->header.height > committed_height_)
            commit_chain(qc.block_id, CommitProof{b1->header, qc});
        return;
    }
    const Block* b0 = find(b1->header.parent_id);
    if (!b0 || b1->header.round != b0->header.round + 1) return;
    if (b0->header.height <= committed_height_) return;
    commit_chain(b1->header.parent_id, CommitProof{b1->header, qc});
}

void Replica::commit_chain(const BlockId& target, CommitProof proof) {
    std::vector<Block> chain;
    for (const Block* b = find(target); b && b->header.height > committed_height_;
         b = find(b->header.parent_id))
        chain.push_back(*b);
    if (chain.empty()) return;
    std::reverse(chain.begin(), chain.end());
    // chain.front() links to committed_id_ unless safety is broken (only the test-only 1-chain
    // rule can do that); the blocks go out regardless so that the driver's ledger, which checks
    // parent links, or the simulator's checker sees it.
    for (const Block& b : chain)
        committed_recent_.push_back(b.id());
    committed_id_ = target;
    committed_height_ = chain.back().header.height;
    committed_round_ = chain.back().header.round;
    committed_this_call_ = true;
    out_.push_back(Commit{std::move(chain), std::move(proof)});
}

// ---- Proposing ----

bool Replica::branch_has_payload() const {
    for (const Block* b = find(safety_.high_qc.block_id); b && b->header.height > committed_height_;
         b = find(b->header.parent_id))
        if (!b->payload.empty()) return true;
    return false;
}

bool Replica::has_work() {
    return !missing_.empty() || branch_has_payload() || payload_.has_pending();
}

void Replica::maybe_propose() {
    const Round r = current_round();
    const Committee& c = config_.committee;
    if (c.leader(r) != config_.self || r <= safety_.last_voted_round) return;
    if (r <= last_proposed_round_) return;
    const Block* parent = find(safety_.high_qc.block_id);
    if (!parent) return;  // fetched meanwhile; insert_block() calls back
    std::optional<TimeoutCert> tc;
    if (safety_.high_qc.round + 1 != r) {
        if (!safety_.high_tc || safety_.high_tc->round + 1 != r) return;
        if (safety_.high_qc.round < safety_.high_tc->max_high_qc_round()) return;
        tc = safety_.high_tc;
    }
    if (!branch_has_payload() && !payload_.has_pending()) return;
    if (committed_this_call_) {
        // The driver has not yet seen this call's commits, so has_pending() may count payload
        // just committed. Ask again once it has (a timer at now); this also bounds the work of
        // one call when n = 1, where each proposal commits the previous one at once.
        propose_pending_ = true;
        return;
    }
    auto exclude = exclude_for(safety_.high_qc.block_id);
    Block b;
    NewPayload payload = payload_.take_payload(exclude);
    if (payload.bytes.size() > kMaxPayloadSize) return;
    b.payload = std::move(payload.bytes);
    BlockHeader& h = b.header;
    h.round = r;
    h.height = parent->header.height + 1;
    h.parent_id = safety_.high_qc.block_id;
    h.qc = safety_.high_qc;
    h.tc = std::move(tc);
    h.author = config_.self;
    h.timestamp_ms = std::max(now_, parent->header.timestamp_ms + 1);
    h.payload_hash = payload.hash;
    auto sig = signer_.sign(proposal_digest(c, h.id()));
    if (!sig) return;
    h.signature = std::move(*sig);
    last_proposed_round_ = r;
    record_proposal(b);
    out_.push_back(Broadcast{Proposal{b}});
    insert_block(config_.self, std::move(b), true);
}

// ---- Votes ----

void Replica::on_vote(const Vote& v) {
    const Round r = current_round();
    if (v.round > r + kMaxRoundsAhead || v.round + kKeepRounds < r) return;
    if (!verify_vote(v, config_.committee, signer_)) return;
    auto key = std::make_pair(v.round, v.voter);
    auto [it, inserted] = votes_seen_.emplace(key, v);
    if (!inserted) {
        if (it->second.block_id != v.block_id && reported_.insert({v.round, 1, v.voter}).second)
            out_.push_back(Evidence{v.voter, v.round, it->second, v});
        return;
    }
    if (v.round <= safety_.high_qc.round) return;
    if (config_.committee.leader(v.round + 1) != config_.self) return;
    auto& sigs = votes_[{v.round, v.block_id}];
    sigs.emplace(v.voter, v.signature);
    if (sigs.size() < config_.committee.quorum()) return;

    QuorumCert qc{v.round, v.block_id, {}};
    for (const auto& [signer, sig] : sigs) {
        qc.votes.push_back(PartialSig{signer, sig});
        if (qc.votes.size() == config_.committee.quorum()) break;
    }
    verified_qcs_.insert({qc.round, qc.block_id});
    process_qc(qc, v.voter);
    // Without a proposal carrying it, the others would not learn of the QC (and commit).
    if (last_proposed_round_ != current_round())
        out_.push_back(Broadcast{SyncInfo{safety_.high_qc, safety_.high_tc}});
}

// ---- Timeouts ----

void Replica::local_timeout() {
    const Round r = current_round();
    if (!safety_.last_timeout || safety_.last_timeout->round != r) {
        Timeout t{r, safety_.high_qc, config_.self, {}};
        auto sig = signer_.sign(timeout_digest(config_.committee, r, t.high_qc.round));
        if (!sig) return;
        t.signature = std::move(*sig);
        safety_.last_timeout = std::move(t);
        safety_.last_voted_round = std::max(safety_.last_voted_round, r);
        dirty_ = true;
    }
    TimeoutMsg m{*safety_.last_timeout, safety_.high_tc};
    out_.push_back(Broadcast{m});
    inbox_.push_back(std::move(m));
}

void Replica::on_timeout_msg(ValidatorIndex from, const TimeoutMsg& m) {
    const Timeout& t = m.timeout;
    const Committee& c = config_.committee;
    if (t.author >= c.size || t.high_qc.round >= t.round) return;
    if (!signer_.verify(t.author, timeout_digest(c, t.round, t.high_qc.round), t.signature)) return;
    if (!check_qc(t.high_qc)) return;
    if (m.high_tc && newer_tc(*m.high_tc) && verify_tc(*m.high_tc, c, signer_))
        process_tc(*m.high_tc, from);
    process_qc(t.high_qc, from);
    const Round r = current_round();
    if (t.round < r) {
        // The sender is behind: tell it what moved us on.
        if (from != config_.self) send(from, SyncInfo{safety_.high_qc, safety_.high_tc});
        return;
    }
    if (t.round > r + kMaxRoundsAhead) return;
    auto& set = timeouts_[t.round];
    if (!set.emplace(t.author, TimeoutCert::Entry{t.author, t.high_qc.round, t.signature}).second)
        return;
    const bool timed_out = safety_.last_timeout && safety_.last_timeout->round == r;
    if (t.round == r && timed_out && from != config_.self) {
        // A newcomer to this round's timeouts may have missed ours: answer it directly, once.
        send(from, TimeoutMsg{*safety_.last_timeout, safety_.high_tc});
    }
    if (t.round == r && !timed_out && set.size() >= c.max_faulty() + 1) local_timeout();
    if (set.size() < c.quorum()) return;
    // Every entry's high QC was processed on arrival, so ours is at least as high.
    TimeoutCert tc{t.round, safety_.high_qc, {}};
    for (const auto& [signer, e] : set) {
        tc.entries.push_back(e);
        if (tc.entries.size() == c.quorum()) break;
    }
    process_tc(tc, from);
}

void Replica::on_sync(ValidatorIndex from, const SyncInfo& s) {
    if (s.high_tc && newer_tc(*s.high_tc) && verify_tc(*s.high_tc, config_.committee, signer_))
        process_tc(*s.high_tc, from);
    if (check_qc(s.high_qc)) process_qc(s.high_qc, from);
}

// ---- Fetching ----

void Replica::request_block(const BlockId& id, Round round_hint, ValidatorIndex peer) {
    if (peer == config_.self) peer = (peer + 1) % config_.committee.size;
    if (missing_.size() >= kMaxPending && !missing_.count(id)) {
        // Tracked no more (the memory bound); still asked for once.
        if (peer != config_.self) send(peer, BlockRequest{id, kMaxFetchBlocks});
        return;
    }
    auto [it, inserted] = missing_.emplace(id, std::make_pair(peer, round_hint));
    // One request per missing block per call; the timer retries lost ones.
    if (!inserted && it->second.first == peer) return;
    it->second.first = peer;
    if (peer != config_.self) send(peer, BlockRequest{id, kMaxFetchBlocks});
}

void Replica::on_block_request(ValidatorIndex from, const BlockRequest& r) {
    if (from == config_.self) return;
    BlockResponse resp;
    size_t bytes = 0;
    for (const Block* b = find(r.block_id);
         b && resp.blocks.size() < std::min<size_t>(r.max_blocks, kMaxFetchBlocks) &&
         (resp.blocks.empty() || bytes + b->payload.size() <= kMaxResponsePayload);
         b = find(b->header.parent_id)) {
        if (b->header.height == config_.committee.start_height) break;  // genesis: everyone's
        bytes += b->payload.size();
        resp.blocks.push_back(*b);
    }
    if (!resp.blocks.empty()) send(from, std::move(resp));
}

void Replica::on_block_response(ValidatorIndex from, const BlockResponse& r) {
    // Oldest first, so that each block finds its parent.
    for (auto it = r.blocks.rbegin(); it != r.blocks.rend(); ++it) {
        const Block& b = *it;
        if (b.header.height <= committed_height_ || find(b.id())) continue;
        if (!check_block(b)) continue;
        record_proposal(b);
        insert_block(from, b, false);
        if (b.header.tc && newer_tc(*b.header.tc)) process_tc(*b.header.tc, from);
        process_qc(b.header.qc, from);
    }
}

// ---- Timer, sending, pruning ----

uint64_t Replica::timer_duration() const noexcept {
    uint64_t d = config_.base_timeout_ms;
    for (uint32_t i = 0; i < streak_ && d < config_.max_timeout_ms; ++i)
        d *= 2;
    return std::min(d, config_.max_timeout_ms);
}

void Replica::arm_timer() {
    if (deadline_ != 0 || !has_work()) return;
    deadline_ = now_ + timer_duration();
}

void Replica::send(ValidatorIndex to, Message m) {
    if (to == config_.self)
        inbox_.push_back(std::move(m));
    else
        out_.push_back(Send{to, std::move(m)});
}

void Replica::prune() {
    const size_t keep = std::max<size_t>(config_.committed_cache, 1);
    while (committed_recent_.size() > keep)
        committed_recent_.pop_front();
    if (committed_this_call_) {
        std::set<BlockId> recent(committed_recent_.begin(), committed_recent_.end());
        for (auto it = blocks_.begin(); it != blocks_.end();) {
            if (it->second.header.height <= committed_height_ && !recent.count(it->first))
                it = blocks_.erase(it);
            else
                ++it;
        }
        for (auto it = pending_.begin(); it != pending_.end();) {
            auto& v = it->second;
            size_t before = v.size();
            std::erase_if(
                v, [&](const Pending& p) { return p.block.header.height <= committed_height_; });
            pending_count_ -= before - v.size();
            it = v.empty() ? pending_.erase(it) : std::next(it);
        }
        std::erase_if(missing_, [&](const auto& kv) {
            return kv.second.second <= committed_round_ || find(kv.first);
        });
        verified_qcs_.erase(verified_qcs_.begin(),
                            verified_qcs_.lower_bound({committed_round_, BlockId{}}));
    }
    const Round r = current_round();
    if (r > kKeepRounds) {
        const Round low = r - kKeepRounds;
        votes_seen_.erase(votes_seen_.begin(), votes_seen_.lower_bound({low, 0}));
        proposals_seen_.erase(proposals_seen_.begin(), proposals_seen_.lower_bound({low, 0}));
        reported_.erase(reported_.begin(), reported_.lower_bound({low, 0, 0}));
    }
}

}  // namespace hc::consensus
