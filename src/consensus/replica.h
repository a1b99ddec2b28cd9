// The consensus core: one replica of a chained BFT protocol with 2-chain commit (the Jolteon /
// DiemBFT v4 / HotStuff-2 family), as a pure, deterministic state machine.
//
// A Replica does no I/O, reads no clock, starts no thread and draws no random number. The driver
// (the node, or the simulator) feeds it events with the current time and carries out the actions
// it returns, in order:
//   Persist    make the safety state durable BEFORE carrying out any later Send or Broadcast of
//              the same list (this is what makes a restarted replica never vote twice in a round)
//   Send       one message to one validator; Broadcast: to every validator but this one
//   Commit     blocks now final, oldest first, with a proof a syncing node can check
//   SetTimer   call on_timeout() at deadline_ms (replaces any earlier timer)
//   Evidence   two conflicting messages signed by one validator: log and keep them
// The driver finishes one action list before making the next call.
//
// The protocol, in brief:
//   - Round r's leader is r mod n. It proposes a block extending its highest QC, with the TC of
//     round r-1 when that QC is not for round r-1. Everyone sends its vote to leader(r+1), which
//     forms the QC and proposes next.
//   - Vote rule: round > last voted round, and either block.round == block.qc.round + 1, or
//     block.round == tc.round + 1 and block.qc.round >= the highest high-QC round in the TC.
//   - Commit rule: a QC for B1 whose parent B0 has B1.round == B0.round + 1 commits B0 and its
//     uncommitted ancestors.
//   - Pacemaker: on a local timeout, broadcast a signed Timeout{round, high QC} and stop voting in
//     that round; f+1 timeouts make a replica join; 2f+1 form a TC that moves everyone on. The
//     timer is base * 2^k (k rounds in a row without a QC), capped.
//   - No empty blocks: a leader proposes only when the driver has payload, or when a non-empty
//     block on its branch still waits for the descendants that commit it. The timer runs only
//     while there is such work, so an idle network sends nothing.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <span>
#include <tuple>
#include <variant>
#include <vector>

#include "consensus/messages.h"
#include "consensus/signer.h"
#include "consensus/types.h"

namespace hc::consensus {

// A block's payload with its keccak256, the payload hash of the block's header (checked against
// the payload when the block arrived), so that neither side hashes a payload twice.
struct HashedPayload {
    BytesView bytes;
    Hash32 hash;
};

// A new block's payload and its keccak256.
struct NewPayload {
    Bytes bytes;
    Hash32 hash;
};

// The driver's side of payload: its transactions, batched as it sees fit.
class PayloadSource {
  public:
    virtual ~PayloadSource() = default;
    // True while the driver holds payload it has not yet seen committed.
    virtual bool has_pending() = 0;
    // Payload for a new block (possibly empty), at most kMaxPayloadSize bytes, with its hash.
    // `exclude` holds the payloads of the blocks the new block extends that the driver has not
    // yet seen committed; what they contain must not be repeated.
    virtual NewPayload take_payload(std::span<const HashedPayload> exclude) = 0;
    // Whether a proposed payload is acceptable on top of the blocks in `exclude` (as above).
    // Honest replicas vote only for valid payloads.
    virtual bool valid(const HashedPayload& payload, std::span<const HashedPayload> exclude) = 0;
};

struct Config {
    Committee committee;
    ValidatorIndex self = 0;
    uint64_t base_timeout_ms = 1000;
    uint64_t max_timeout_ms = 60'000;
    // A block stamped further than this ahead of the local clock gets no vote.
    uint64_t max_clock_skew_ms = 10'000;
    // Recently committed blocks kept in memory to answer peers' fetches; older ones are the
    // driver's block sync (see verify_commit_proof). At least 1: the committed tip.
    size_t committed_cache = 256;
    // TEST ONLY: commit on a 1-chain (a QC alone). Unsafe; it exists so that the simulator can
    // show that its checker catches a broken protocol.
    bool unsafe_one_chain_commit = false;
};

struct Send {
    ValidatorIndex to = 0;
    Message message;
};
struct Broadcast {
    Message message;
};
struct Persist {
    SafetyState state;
    // Blocks newly accepted above the committed tip. The driver keeps them (it may drop those at
    // or below its committed height) and hands them back on restart: a QC'd block may exist
    // nowhere else (always so for n = 1), and the safety rules forbid building around it.
    std::vector<Block> blocks;
};
struct Commit {
    std::vector<Block> blocks;  // oldest first; each links to the previous by parent id
    CommitProof proof;          // shows blocks.back() committed
};
struct SetTimer {
    uint64_t deadline_ms = 0;
};
// Two messages (both Proposals, or both Votes) signed by `offender` for one round.
struct Evidence {
    ValidatorIndex offender = 0;
    Round round = 0;
    Message first;
    Message second;
};
using Action = std::variant<Send, Broadcast, Persist, Commit, SetTimer, Evidence>;

// The state of a validator that has never run: nothing voted, the genesis QC.
SafetyState initial_safety_state(const Committee& committee);

class Replica {
  public:
    // `safety`: the last persisted state (initial_safety_state() on first start). `committed_tip`:
    // the last block the driver has committed (genesis_block() on first start). `blocks`: the
    // persisted blocks above it, in any order. signer and payload must outlive the replica.
    Replica(const Config& config, Signer& signer, PayloadSource& payload, SafetyState safety,
            Block committed_tip, std::vector<Block> blocks = {});

    Replica(const Replica&) = delete;
    Replica& operator=(const Replica&) = delete;

    std::vector<Action> start(uint64_t now_ms);
    // `from` is the transport-authenticated sender; messages are checked in full regardless.
    std::vector<Action> on_message(ValidatorIndex from, const Message& message, uint64_t now_ms);
    // The timer set by the last SetTimer expired (early or stale calls are harmless).
    std::vector<Action> on_timeout(uint64_t now_ms);
    // The driver got new payload (has_pending() became true).
    std::vector<Action> on_payload_available(uint64_t now_ms);

    Round current_round() const noexcept;
    const SafetyState& safety_state() const noexcept { return safety_; }
    uint64_t committed_height() const noexcept { return committed_height_; }
    const BlockId& committed_id() const noexcept { return committed_id_; }

  private:
    struct Pending {
        ValidatorIndex from;
        Block block;
        bool proposal;
    };

    template <typename F>
    std::vector<Action> run(uint64_t now_ms, F&& f);
    void handle(ValidatorIndex from, const Message& m);

    void on_proposal(ValidatorIndex from, const Block& b, bool proposal);
    void on_vote(const Vote& v);
    void on_timeout_msg(ValidatorIndex from, const TimeoutMsg& m);
    void on_sync(ValidatorIndex from, const SyncInfo& s);
    void on_block_request(ValidatorIndex from, const BlockRequest& r);
    void on_block_response(ValidatorIndex from, const BlockResponse& r);

    Status check_block(const Block& b);
    bool check_qc(const QuorumCert& qc);
    bool newer_tc(const TimeoutCert& tc) const noexcept {
        return !safety_.high_tc || tc.round > safety_.high_tc->round;
    }
    void insert_block(ValidatorIndex from, Block b, bool proposal);
    void maybe_vote(const Block& b);
    void process_qc(const QuorumCert& qc, ValidatorIndex from);
    void process_tc(const TimeoutCert& tc, ValidatorIndex from);
    void maybe_advance(bool via_tc);
    void try_commit(const QuorumCert& qc);
    void commit_chain(const BlockId& target, CommitProof proof);
    void maybe_propose();
    void resume_round();
    void local_timeout();
    void request_block(const BlockId& id, Round round_hint, ValidatorIndex peer);
    void record_proposal(const Block& b);

    bool has_work();
    bool branch_has_payload() const;
    std::vector<HashedPayload> exclude_for(const BlockId& parent) const;
    const Block* find(const BlockId& id) const;
    uint64_t timer_duration() const noexcept;
    void arm_timer();
    void send(ValidatorIndex to, Message m);
    void prune();

    const Config config_;
    Signer& signer_;
    PayloadSource& payload_;
    SafetyState safety_;

    std::map<BlockId, Block> blocks_;  // uncommitted blocks, and recent committed ones
    BlockId committed_id_;
    uint64_t committed_height_ = 0;
    Round committed_round_ = 0;
    std::deque<BlockId> committed_recent_;

    Round round_ = 0;  // the round entered last (current_round() once the call is done)
    Round last_proposed_round_ = 0;
    uint32_t streak_ = 0;     // rounds in a row entered by a TC
    uint64_t deadline_ = 0;   // of the round timer; 0: none
    uint64_t timer_set_ = 0;  // the driver's timer as last set; 0: none
    bool propose_pending_ = false;

    std::map<std::pair<Round, BlockId>, std::map<ValidatorIndex, Bytes>> votes_;
    std::map<Round, std::map<ValidatorIndex, TimeoutCert::Entry>> timeouts_;
    std::map<std::pair<Round, ValidatorIndex>, Vote> votes_seen_;
    std::map<std::pair<Round, ValidatorIndex>, Block> proposals_seen_;
    std::set<std::tuple<Round, int, ValidatorIndex>> reported_;  // (round, kind, offender)
    std::set<std::pair<Round, BlockId>> verified_qcs_;
    std::map<BlockId, std::vector<Pending>> pending_;  // by the missing parent's id
    size_t pending_count_ = 0;
    std::map<BlockId, std::pair<ValidatorIndex, Round>> missing_;  // id -> (peer, round hint)

    // Per call.
    uint64_t now_ = 0;
    std::vector<Action> out_;
    std::deque<Message> inbox_;  // messages to self, handled before the call returns
    bool dirty_ = false;
    std::vector<BlockId> new_blocks_;  // to persist
    bool committed_this_call_ = false;
    uint64_t driver_committed_height_ = 0;
};

}  // namespace hc::consensus
