// Unit tests of the consensus core: the vote rule, QC and TC formation, the 2-chain commit rule,
// restart safety, equivocation evidence, strict decoding and commit proofs.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/keccak.h"
#include "consensus/replica.h"
#include "sim/fake_signer.h"

namespace hc::consensus {
namespace {

using testing::FakeSigner;

// Payload: whatever the test queued; "bad" is invalid.
class TestPayload : public PayloadSource {
  public:
    bool has_pending() override { return !queue.empty(); }
    // Every hash the replica hands over is its payload's.
    static void expect_hashes(std::span<const HashedPayload> payloads) {
        for (const HashedPayload& p : payloads)
            EXPECT_EQ(p.hash, keccak256(p.bytes));
    }
    NewPayload take_payload(std::span<const HashedPayload> exclude) override {
        expect_hashes(exclude);
        if (queue.empty()) return {{}, keccak256(Bytes{})};
        Bytes b = queue.front();
        queue.erase(queue.begin());
        const Hash32 hash = keccak256(b);
        return {std::move(b), hash};
    }
    bool valid(const HashedPayload& payload, std::span<const HashedPayload> exclude) override {
        expect_hashes(exclude);
        expect_hashes(std::span(&payload, 1));
        return Bytes(payload.bytes.begin(), payload.bytes.end()) != to_bytes("bad");
    }
    std::vector<Bytes> queue;
};

Committee committee(uint32_t n, uint64_t chain_id = 7) {
    Committee c;
    c.chain_id = chain_id;
    c.size = n;
    return c;
}

Config config(uint32_t n, ValidatorIndex self) {
    Config c;
    c.committee = committee(n);
    c.self = self;
    return c;
}

QuorumCert make_qc(const FakeSigner& s, const Committee& c, Round round, const BlockId& id) {
    QuorumCert qc{round, id, {}};
    for (ValidatorIndex i = 0; i < c.quorum(); ++i)
        qc.votes.push_back({i, s.sign_as(i, vote_digest(c, round, id))});
    return qc;
}

TimeoutCert make_tc(const FakeSigner& s, const Committee& c, Round round, const QuorumCert& high,
                    std::vector<Round> hqc_rounds) {
    TimeoutCert tc{round, high, {}};
    for (ValidatorIndex i = 0; i < hqc_rounds.size(); ++i)
        tc.entries.push_back(
            {i, hqc_rounds[i], s.sign_as(i, timeout_digest(c, round, hqc_rounds[i]))});
    return tc;
}

Block make_block(const FakeSigner& s, const Committee& c, Round round, const Block& parent,
                 const QuorumCert& qc, std::optional<TimeoutCert> tc = std::nullopt,
                 std::string payload = "tx") {
    Block b;
    b.payload = to_bytes(payload);
    BlockHeader& h = b.header;
    h.round = round;
    h.height = parent.header.height + 1;
    h.parent_id = parent.id();
    h.qc = qc;
    h.tc = std::move(tc);
    h.author = c.leader(round);
    h.timestamp_ms = parent.header.timestamp_ms + 10;
    h.payload_hash = keccak256(b.payload);
    h.signature = s.sign_as(h.author, proposal_digest(c, h.id()));
    return b;
}

template <typename T>
std::vector<T> all(const std::vector<Action>& actions) {
    std::vector<T> out;
    for (const Action& a : actions)
        if (auto* x = std::get_if<T>(&a)) out.push_back(*x);
    return out;
}
std::vector<Vote> votes_sent(const std::vector<Action>& actions) {
    std::vector<Vote> out;
    for (const Send& s : all<Send>(actions))
        if (auto* v = std::get_if<Vote>(&s.message)) out.push_back(*v);
    return out;
}

// A replica (index `self` of n) with a chain of blocks built by the test.
struct Fixture {
    explicit Fixture(uint32_t n = 4, ValidatorIndex self = 1)
        : c(committee(n)),
          signer(self, n, 0),
          replica(config(n, self), signer, payload, initial_safety_state(c), genesis_block(c)) {}
    Committee c;
    FakeSigner signer;
    TestPayload payload;
    Replica replica;
    Block genesis = genesis_block(c);
};

TEST(ConsensusCommittee, QuorumAndLeaders) {
    EXPECT_EQ(committee(1).quorum(), 1u);
    EXPECT_EQ(committee(4).max_faulty(), 1u);
    EXPECT_EQ(committee(4).quorum(), 3u);
    EXPECT_EQ(committee(7).quorum(), 5u);
    EXPECT_EQ(committee(2).quorum(), 2u);  // n - f, so two quorums always overlap
    EXPECT_EQ(committee(4).leader(5), 1u);
}

TEST(ConsensusReplica, VotesForValidProposalAndPersistsFirst) {
    Fixture fx;
    Block b1 = make_block(fx.signer, fx.c, 1, fx.genesis, genesis_qc(fx.c));
    auto actions = fx.replica.on_message(1 % 4, Proposal{b1}, 100);
    auto votes = votes_sent(actions);
    ASSERT_EQ(votes.size(), 1u);
    EXPECT_EQ(votes[0].round, 1u);
    EXPECT_EQ(votes[0].block_id, b1.id());
    // The vote goes to the next leader, after the Persist that records it.
    ASSERT_FALSE(actions.empty());
    auto* persist = std::get_if<Persist>(&actions.front());
    ASSERT_NE(persist, nullptr);
    EXPECT_EQ(persist->state.last_voted_round, 1u);
    EXPECT_EQ(all<Send>(actions)[0].to, fx.c.leader(2));
}

TEST(ConsensusEpochs, ALaterEpochStartsAboveItsParentAndNamesItselfInEverySignature) {
    Committee first = committee(4);
    Committee second = committee(4);
    second.epoch = 2;
    second.epoch_parent.bytes[0] = 0xab;
    second.start_height = 40;
    const Block genesis = genesis_block(second);
    EXPECT_EQ(genesis.header.height, 40u);
    EXPECT_NE(genesis.id(), genesis_block(first).id());
    Committee other_parent = second;
    other_parent.epoch_parent.bytes[0] = 0xac;
    EXPECT_NE(genesis_block(other_parent).id(), genesis.id());
    // The same round and block signed in two epochs are two different messages.
    EXPECT_NE(vote_digest(first, 3, genesis.id()), vote_digest(second, 3, genesis.id()));
    EXPECT_NE(timeout_digest(first, 3, 1), timeout_digest(second, 3, 1));
    EXPECT_NE(proposal_digest(first, genesis.id()), proposal_digest(second, genesis.id()));

    // A replica of the later epoch votes for a block on its genesis, at height 41...
    FakeSigner signer(1, 4, 0);
    TestPayload payload;
    Config cfg = config(4, 1);
    cfg.committee = second;
    Replica replica(cfg, signer, payload, initial_safety_state(second), genesis);
    const Block b1 = make_block(signer, second, 1, genesis, genesis_qc(second));
    EXPECT_EQ(b1.header.height, 41u);
    EXPECT_EQ(votes_sent(replica.on_message(1, Proposal{b1}, 100)).size(), 1u);
    // ...but not for one signed by its leader for the earlier epoch.
    Block stale = make_block(signer, first, 2, b1, make_qc(signer, second, 1, b1.id()));
    EXPECT_TRUE(votes_sent(replica.on_message(2, Proposal{stale}, 200)).empty());
}

TEST(ConsensusReplica, VoteRuleRejectsGapWithoutTcAndBadPayload) {
    Fixture fx;
    Block b1 = make_block(fx.signer, fx.c, 1, fx.genesis, genesis_qc(fx.c));
    (void)fx.replica.on_message(1, Proposal{b1}, 100);
    // Round 3 on a QC for round 1 with no TC for round 2: not safe to vote.
    auto qc1 = make_qc(fx.signer, fx.c, 1, b1.id());
    Block gap = make_block(fx.signer, fx.c, 3, b1, qc1);
    EXPECT_TRUE(votes_sent(fx.replica.on_message(3, Proposal{gap}, 200)).empty());

    Fixture fy;
    Block bad = make_block(fy.signer, fy.c, 1, fy.genesis, genesis_qc(fy.c), std::nullopt, "bad");
    EXPECT_TRUE(votes_sent(fy.replica.on_message(1, Proposal{bad}, 100)).empty());
}

TEST(ConsensusReplica, RejectsTimestampNotAboveParent) {
    Fixture fx;
    Block b1 = make_block(fx.signer, fx.c, 1, fx.genesis, genesis_qc(fx.c));
    (void)fx.replica.on_message(1, Proposal{b1}, 100);
    Block b2 = make_block(fx.signer, fx.c, 2, b1, make_qc(fx.signer, fx.c, 1, b1.id()));
    b2.header.timestamp_ms = b1.header.timestamp_ms;
    b2.header.signature = fx.signer.sign_as(2, proposal_digest(fx.c, b2.id()));
    EXPECT_TRUE(votes_sent(fx.replica.on_message(2, Proposal{b2}, 200)).empty());
}

TEST(ConsensusReplica, VoteRuleAfterTimeoutCertificate) {
    Fixture fx;
    Block b1 = make_block(fx.signer, fx.c, 1, fx.genesis, genesis_qc(fx.c));
    (void)fx.replica.on_message(1, Proposal{b1}, 100);
    auto qc1 = make_qc(fx.signer, fx.c, 1, b1.id());
    // Round 2 timed out; highest high QC among the timeouts is round 1.
    auto tc2 = make_tc(fx.signer, fx.c, 2, qc1, {1, 1, 0});
    Block b3 = make_block(fx.signer, fx.c, 3, b1, qc1, tc2);
    auto votes = votes_sent(fx.replica.on_message(3, Proposal{b3}, 200));
    ASSERT_EQ(votes.size(), 1u);
    EXPECT_EQ(votes[0].round, 3u);

    // A TC whose entries report a high QC above the block's QC: no vote.
    Fixture fy;
    (void)fy.replica.on_message(1, Proposal{b1}, 100);
    Block b2 = make_block(fy.signer, fy.c, 2, b1, qc1);
    (void)fy.replica.on_message(2, Proposal{b2}, 150);
    auto qc2 = make_qc(fy.signer, fy.c, 2, b2.id());
    auto tc3 = make_tc(fy.signer, fy.c, 3, qc2, {2, 1, 1});
    Block b4 = make_block(fy.signer, fy.c, 4, b1, qc1, tc3);
    EXPECT_TRUE(votes_sent(fy.replica.on_message(0, Proposal{b4}, 300)).empty());
    EXPECT_EQ(fy.replica.current_round(), 4u);
    EXPECT_EQ(fy.replica.safety_state().last_voted_round, 2u);  // no vote, not even to itself
}

TEST(ConsensusReplica, FormsQcFromQuorumOfVotes) {
    // Replica 2 leads round 2, so it collects the votes of round 1.
    Fixture fx(4, 2);
    Block b1 = make_block(fx.signer, fx.c, 1, fx.genesis, genesis_qc(fx.c));
    fx.payload.queue.push_back(to_bytes("next"));
    (void)fx.replica.on_message(1, Proposal{b1}, 100);  // its own vote goes to itself
    auto vote = [&](ValidatorIndex i) {
        return Vote{1, b1.id(), i, fx.signer.sign_as(i, vote_digest(fx.c, 1, b1.id()))};
    };
    EXPECT_TRUE(all<Broadcast>(fx.replica.on_message(0, vote(0), 110)).empty());
    EXPECT_EQ(fx.replica.current_round(), 1u);
    // A duplicate vote does not count twice.
    EXPECT_TRUE(all<Broadcast>(fx.replica.on_message(0, vote(0), 111)).empty());
    auto actions = fx.replica.on_message(3, vote(3), 120);
    EXPECT_EQ(fx.replica.current_round(), 2u);
    auto proposals = all<Broadcast>(actions);
    ASSERT_EQ(proposals.size(), 1u);
    auto* p = std::get_if<Proposal>(&proposals[0].message);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->block.header.round, 2u);
    EXPECT_EQ(p->block.header.qc.round, 1u);
    EXPECT_EQ(p->block.header.qc.votes.size(), 3u);
    EXPECT_TRUE(verify_qc(p->block.header.qc, fx.c, fx.signer));
}

TEST(ConsensusReplica, FormsTcAndAdvances) {
    Fixture fx;
    fx.payload.queue.push_back(to_bytes("work"));  // so that its own timer runs
    auto timeout = [&](ValidatorIndex i) {
        Timeout t{1, genesis_qc(fx.c), i, fx.signer.sign_as(i, timeout_digest(fx.c, 1, 0))};
        return TimeoutMsg{t, std::nullopt};
    };
    (void)fx.replica.on_message(0, timeout(0), 10);
    EXPECT_EQ(fx.replica.current_round(), 1u);
    // f+1 = 2 timeouts: it joins (broadcasts its own), which makes 3 = quorum: a TC.
    auto actions = fx.replica.on_message(2, timeout(2), 20);
    bool sent_timeout = false;
    for (const Broadcast& b : all<Broadcast>(actions))
        sent_timeout |= std::holds_alternative<TimeoutMsg>(b.message);
    EXPECT_TRUE(sent_timeout);
    EXPECT_EQ(fx.replica.current_round(), 2u);
    ASSERT_TRUE(fx.replica.safety_state().high_tc.has_value());
    EXPECT_EQ(fx.replica.safety_state().high_tc->round, 1u);
    EXPECT_TRUE(verify_tc(*fx.replica.safety_state().high_tc, fx.c, fx.signer));
    // Having timed out in round 1, it never votes there.
    EXPECT_GE(fx.replica.safety_state().last_voted_round, 1u);
}

TEST(ConsensusReplica, TwoChainCommitRule) {
    Fixture fx;
    Block b1 = make_block(fx.signer, fx.c, 1, fx.genesis, genesis_qc(fx.c));
    Block b2 = make_block(fx.signer, fx.c, 2, b1, make_qc(fx.signer, fx.c, 1, b1.id()));
    Block b3 = make_block(fx.signer, fx.c, 3, b2, make_qc(fx.signer, fx.c, 2, b2.id()));
    EXPECT_TRUE(all<Commit>(fx.replica.on_message(1, Proposal{b1}, 10)).empty());
    EXPECT_TRUE(all<Commit>(fx.replica.on_message(2, Proposal{b2}, 20)).empty());
    // b3 carries QC(b2), and b2 directly follows b1: b1 is committed.
    auto commits = all<Commit>(fx.replica.on_message(3, Proposal{b3}, 30));
    ASSERT_EQ(commits.size(), 1u);
    ASSERT_EQ(commits[0].blocks.size(), 1u);
    EXPECT_EQ(commits[0].blocks[0].id(), b1.id());
    EXPECT_EQ(fx.replica.committed_height(), 1u);
    auto proved = verify_commit_proof(commits[0].proof, fx.c, fx.signer);
    ASSERT_TRUE(proved);
    EXPECT_EQ(*proved, b1.id());
}

TEST(ConsensusReplica, NoCommitAcrossARoundGap) {
    Fixture fx;
    Block b1 = make_block(fx.signer, fx.c, 1, fx.genesis, genesis_qc(fx.c));
    auto qc1 = make_qc(fx.signer, fx.c, 1, b1.id());
    Block b3 = make_block(fx.signer, fx.c, 3, b1, qc1, make_tc(fx.signer, fx.c, 2, qc1, {1, 1, 1}));
    Block b4 = make_block(fx.signer, fx.c, 4, b3, make_qc(fx.signer, fx.c, 3, b3.id()));
    (void)fx.replica.on_message(1, Proposal{b1}, 10);
    (void)fx.replica.on_message(3, Proposal{b3}, 30);
    // QC(b3), but b3 (round 3) does not directly follow b1 (round 1): nothing commits.
    EXPECT_TRUE(all<Commit>(fx.replica.on_message(0, Proposal{b4}, 40)).empty());
    EXPECT_EQ(fx.replica.committed_height(), 0u);
}

TEST(ConsensusReplica, RestartNeverVotesTwiceInARound) {
    Fixture fx;
    Block b1 = make_block(fx.signer, fx.c, 1, fx.genesis, genesis_qc(fx.c));
    auto actions = fx.replica.on_message(1, Proposal{b1}, 10);
    ASSERT_EQ(votes_sent(actions).size(), 1u);
    auto persisted = all<Persist>(actions);
    ASSERT_EQ(persisted.size(), 1u);
    // Through the codec, as a disk would.
    auto state = decode_safety_state(encode(persisted[0].state));
    ASSERT_TRUE(state);

    TestPayload payload;
    Replica restarted(config(4, 1), fx.signer, payload, *state, genesis_block(fx.c));
    // It can do nothing more in round 1, so it times out there at once instead of after a
    // round timeout.
    auto started = restarted.start(20);
    bool timed_out = false;
    for (const Broadcast& b : all<Broadcast>(started))
        if (auto* t = std::get_if<TimeoutMsg>(&b.message)) timed_out |= t->timeout.round == 1;
    EXPECT_TRUE(timed_out);
    EXPECT_TRUE(votes_sent(restarted.on_message(1, Proposal{b1}, 30)).empty());
    Block other = make_block(fx.signer, fx.c, 1, fx.genesis, genesis_qc(fx.c), std::nullopt, "x");
    EXPECT_TRUE(votes_sent(restarted.on_message(1, Proposal{other}, 40)).empty());
}

TEST(ConsensusReplica, EquivocationEvidence) {
    Fixture fx(4, 2);
    Block a = make_block(fx.signer, fx.c, 1, fx.genesis, genesis_qc(fx.c), std::nullopt, "a");
    Block b = make_block(fx.signer, fx.c, 1, fx.genesis, genesis_qc(fx.c), std::nullopt, "b");
    (void)fx.replica.on_message(1, Proposal{a}, 10);
    auto evidence = all<Evidence>(fx.replica.on_message(1, Proposal{b}, 20));
    ASSERT_EQ(evidence.size(), 1u);
    EXPECT_EQ(evidence[0].offender, 1u);
    EXPECT_EQ(evidence[0].round, 1u);
    EXPECT_TRUE(std::holds_alternative<Proposal>(evidence[0].first));

    auto vote = [&](const Block& blk) {
        return Vote{1, blk.id(), 0, fx.signer.sign_as(0, vote_digest(fx.c, 1, blk.id()))};
    };
    (void)fx.replica.on_message(0, vote(a), 30);
    evidence = all<Evidence>(fx.replica.on_message(0, vote(b), 40));
    ASSERT_EQ(evidence.size(), 1u);
    EXPECT_EQ(evidence[0].offender, 0u);
    EXPECT_EQ(std::get<Vote>(evidence[0].second).block_id, b.id());
}

TEST(ConsensusReplica, SingleValidatorCommitsAloneAndIdles) {
    Committee c = committee(1);
    FakeSigner signer(0, 1);
    TestPayload payload;
    Replica r(config(1, 0), signer, payload, initial_safety_state(c), genesis_block(c));
    EXPECT_TRUE(r.start(0).empty());  // no work: no timer, no message
    payload.queue.push_back(to_bytes("tx1"));
    auto actions = r.on_payload_available(5);
    auto commits = all<Commit>(actions);
    ASSERT_EQ(commits.size(), 1u);
    EXPECT_EQ(commits[0].blocks.back().payload, to_bytes("tx1"));
    EXPECT_TRUE(verify_commit_proof(commits[0].proof, c, signer));
    // Persisted before anything else, including the blocks.
    ASSERT_TRUE(std::holds_alternative<Persist>(actions.front()));
    EXPECT_FALSE(std::get<Persist>(actions.front()).blocks.empty());
    // The empty block that committed tx1 is not followed by more empty blocks.
    uint64_t height = r.committed_height();
    for (auto& t : all<SetTimer>(actions))
        (void)r.on_timeout(t.deadline_ms);
    EXPECT_EQ(r.committed_height(), height);
}

// A crash after its proposal was stored but before the safety state recording its vote was:
// restarted, the replica votes for that proposal (its only one for the round) at once, rather
// than waiting a round timeout to move on.
TEST(ConsensusReplica, RestartVotesForItsOwnStoredUnvotedProposal) {
    Committee c = committee(1);
    FakeSigner signer(0, 1);
    TestPayload payload;
    Replica r(config(1, 0), signer, payload, initial_safety_state(c), genesis_block(c));
    payload.queue.push_back(to_bytes("tx1"));
    // Its first proposal, as the crashed replica made it (here it went on to commit it).
    auto first = all<Commit>(r.on_payload_available(5));
    ASSERT_EQ(first.size(), 1u);
    const Block proposal = first[0].blocks.front();
    ASSERT_EQ(proposal.header.round, 1u);
    ASSERT_EQ(proposal.payload, to_bytes("tx1"));

    // On disk: that block, and the safety state from before it.
    TestPayload after_crash;
    Replica restarted(config(1, 0), signer, after_crash, initial_safety_state(c), genesis_block(c),
                      {proposal});
    auto started = restarted.start(10);
    auto commits = all<Commit>(started);
    ASSERT_EQ(commits.size(), 1u);
    EXPECT_EQ(commits[0].blocks.back().id(), proposal.id());
    ASSERT_FALSE(all<Persist>(started).empty());
    EXPECT_GE(all<Persist>(started).front().state.last_voted_round, 1u);
}

// A driver that always has payload must still get control back after each commit.
TEST(ConsensusReplica, SingleValidatorBoundsWorkPerCall) {
    class Endless : public TestPayload {
      public:
        bool has_pending() override { return true; }
        NewPayload take_payload(std::span<const HashedPayload>) override {
            return {to_bytes("more"), keccak256(to_bytes("more"))};
        }
    };
    Committee c = committee(1);
    FakeSigner signer(0, 1);
    Endless payload;
    Replica r(config(1, 0), signer, payload, initial_safety_state(c), genesis_block(c));
    auto actions = r.on_payload_available(5);
    EXPECT_EQ(all<Commit>(actions).size(), 1u);
    auto timers = all<SetTimer>(actions);
    ASSERT_FALSE(timers.empty());
    ASSERT_EQ(timers.size(), 1u);
    EXPECT_EQ(timers.back().deadline_ms, 5u);  // come back at once, after applying the commit
    actions = r.on_timeout(5);
    EXPECT_EQ(all<Commit>(actions).size(), 1u);
    EXPECT_EQ(r.committed_height(), 2u);
}

TEST(ConsensusProof, RejectsTamperedProofs) {
    Fixture fx;
    Block b1 = make_block(fx.signer, fx.c, 1, fx.genesis, genesis_qc(fx.c));
    Block b2 = make_block(fx.signer, fx.c, 2, b1, make_qc(fx.signer, fx.c, 1, b1.id()));
    CommitProof good{b2.header, make_qc(fx.signer, fx.c, 2, b2.id())};
    auto ok = verify_commit_proof(good, fx.c, fx.signer);
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, b1.id());
    auto back = decode_commit_proof(encode(good));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, good);

    CommitProof bad_sig = good;
    bad_sig.qc.votes[1].signature[0] ^= 1;
    EXPECT_FALSE(verify_commit_proof(bad_sig, fx.c, fx.signer));
    CommitProof short_qc = good;
    short_qc.qc.votes.pop_back();
    EXPECT_FALSE(verify_commit_proof(short_qc, fx.c, fx.signer));
    CommitProof dup_signer = good;
    dup_signer.qc.votes[1] = dup_signer.qc.votes[0];
    EXPECT_FALSE(verify_commit_proof(dup_signer, fx.c, fx.signer));
    CommitProof other_child = good;
    other_child.child.timestamp_ms += 1;  // a different block than the QC certifies
    EXPECT_FALSE(verify_commit_proof(other_child, fx.c, fx.signer));
    // A child that does not directly follow its parent's round proves nothing.
    Block b3 = make_block(fx.signer, fx.c, 3, b1, make_qc(fx.signer, fx.c, 1, b1.id()));
    CommitProof gap{b3.header, make_qc(fx.signer, fx.c, 3, b3.id())};
    EXPECT_FALSE(verify_commit_proof(gap, fx.c, fx.signer));
    // Another chain's validators.
    EXPECT_FALSE(verify_commit_proof(good, committee(4, 8), fx.signer));
}

TEST(ConsensusCodec, RoundTripsEveryMessage) {
    Fixture fx;
    Block b1 = make_block(fx.signer, fx.c, 1, fx.genesis, genesis_qc(fx.c));
    auto qc1 = make_qc(fx.signer, fx.c, 1, b1.id());
    auto tc2 = make_tc(fx.signer, fx.c, 2, qc1, {1, 0, 1});
    Block b3 = make_block(fx.signer, fx.c, 3, b1, qc1, tc2);
    std::vector<Message> msgs = {
        Proposal{b3},
        Vote{3, b3.id(), 2, Bytes(32, 7)},
        TimeoutMsg{Timeout{4, qc1, 1, Bytes(32, 9)}, tc2},
        SyncInfo{qc1, std::nullopt},
        BlockRequest{b3.id(), 5},
        BlockResponse{{b3, b1}},
    };
    for (const Message& m : msgs) {
        Bytes wire = encode_message(m);
        auto back = decode_message(wire);
        ASSERT_TRUE(back) << back.error().to_string();
        EXPECT_EQ(*back, m);
        EXPECT_EQ(encode_message(*back), wire);
    }
    auto block = decode_block(encode(b3));
    ASSERT_TRUE(block);
    EXPECT_EQ(block->id(), b3.id());
    auto header = decode_header(encode(b3.header));
    ASSERT_TRUE(header);
    EXPECT_EQ(header->id(), b3.id());  // the header alone gives the id
}

TEST(ConsensusCodec, RejectsMalformedInput) {
    Fixture fx;
    Block b1 = make_block(fx.signer, fx.c, 1, fx.genesis, genesis_qc(fx.c));
    Bytes wire = encode_message(Proposal{b1});

    EXPECT_FALSE(decode_message({}));
    Bytes trailing = wire;
    trailing.push_back(0x00);
    EXPECT_FALSE(decode_message(trailing));
    Bytes truncated(wire.begin(), wire.end() - 1);
    EXPECT_FALSE(decode_message(truncated));
    // Unknown kind.
    Bytes unknown = encode_message(SyncInfo{genesis_qc(fx.c), std::nullopt});
    unknown[unknown.size() > 55 ? 2 : 1] = 0x09;
    auto u = decode_message(unknown);
    EXPECT_FALSE(u);
    // Requests outside the bound.
    EXPECT_FALSE(decode_message(encode_message(BlockRequest{b1.id(), 0})));
    EXPECT_FALSE(decode_message(encode_message(BlockRequest{b1.id(), kMaxFetchBlocks + 1})));
    // A hash of the wrong length.
    Vote v{1, b1.id(), 0, Bytes(32, 1)};
    Bytes vw = encode_message(v);
    EXPECT_TRUE(decode_message(vw));
    // Every truncation and every single-byte change is rejected or decodes cleanly: no crash.
    for (size_t i = 0; i < wire.size(); ++i) {
        (void)decode_message(BytesView(wire.data(), i));
        Bytes m = wire;
        m[i] ^= 0xa5;
        auto r = decode_message(m);
        if (r) {
            EXPECT_EQ(encode_message(*r), m);  // accepted only if canonical
        }
    }
    // A replica fed garbage-but-decodable messages neither crashes nor acts on them.
    Block forged = b1;
    forged.header.signature[0] ^= 1;
    EXPECT_TRUE(votes_sent(fx.replica.on_message(1, Proposal{forged}, 10)).empty());
    Block wrong_leader = b1;
    wrong_leader.header.author = 2;
    EXPECT_TRUE(votes_sent(fx.replica.on_message(2, Proposal{wrong_leader}, 10)).empty());
}

TEST(ConsensusSigner, P256SignsAndVerifiesCertificates) {
    std::vector<crypto::PrivateKey> keys;
    std::vector<crypto::PublicKey> pubs;
    for (int i = 0; i < 4; ++i) {
        auto k = crypto::PrivateKey::generate(crypto::SigAlgo::p256);
        ASSERT_TRUE(k);
        pubs.push_back(k->public_key());
        keys.push_back(std::move(*k));
    }
    std::vector<P256Signer> signers;
    for (auto& k : keys)
        signers.emplace_back(std::move(k), pubs);
    const Committee c = committee(4);
    const BlockId id = keccak256(to_bytes("block"));
    const Hash32 d = vote_digest(c, 5, id);
    QuorumCert qc{5, id, {}};
    for (ValidatorIndex i = 0; i < 3; ++i) {
        auto sig = signers[i].sign(d);
        ASSERT_TRUE(sig);
        EXPECT_TRUE(signers[3].verify(i, d, *sig));
        EXPECT_FALSE(signers[3].verify((i + 1) % 4, d, *sig));  // another validator's key
        EXPECT_FALSE(signers[3].verify(9, d, *sig));            // not a validator
        qc.votes.push_back({i, *sig});
    }
    P256Verifier verifier(pubs);
    EXPECT_TRUE(verify_qc(qc, c, verifier));
    qc.votes[0].signature[10] ^= 1;
    EXPECT_FALSE(verify_qc(qc, c, verifier));
    EXPECT_FALSE(verifier.verify(0, d, Bytes(3, 0)));  // malformed: false, not a crash
}

}  // namespace
}  // namespace hc::consensus
