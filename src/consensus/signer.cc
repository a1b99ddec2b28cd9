// P-256 signing for consensus and the certificate checks (see signer.h).
#include "consensus/signer.h"

#include <string>

#include "common/keccak.h"

namespace hc::consensus {
namespace {

Error invalid(std::string message) {
    return make_error(Errc::invalid_argument, std::move(message));
}
Error bad_sig(std::string message) {
    return make_error(Errc::crypto, std::move(message));
}

}  // namespace

bool P256Verifier::verify(ValidatorIndex validator, const Hash32& digest,
                          BytesView sig) const noexcept {
    if (validator >= validators_.size()) return false;
    return crypto::verify(validators_[validator], digest.view(), sig).ok();
}

Result<Bytes> P256Signer::sign(const Hash32& digest) {
    return crypto::sign(key_, digest.view());
}

Status verify_qc(const QuorumCert& qc, const Committee& committee, const Verifier& verifier) {
    if (qc.round == 0) {
        if (qc.block_id != committee.genesis_id() || !qc.votes.empty())
            return invalid("qc: a round-0 QC must be the genesis QC");
        return {};
    }
    if (qc.votes.size() < committee.quorum())
        return invalid("qc for round " + std::to_string(qc.round) + ": " +
                       std::to_string(qc.votes.size()) + " votes, quorum is " +
                       std::to_string(committee.quorum()));
    const Hash32 digest = vote_digest(committee, qc.round, qc.block_id);
    for (size_t i = 0; i < qc.votes.size(); ++i) {
        const PartialSig& v = qc.votes[i];
        if (v.signer >= committee.size) return invalid("qc: signer is not a validator");
        if (i > 0 && v.signer <= qc.votes[i - 1].signer)
            return invalid("qc: signers are not strictly ascending");
        if (!verifier.verify(v.signer, digest, v.signature))
            return bad_sig("qc for round " + std::to_string(qc.round) + ": bad signature of " +
                           "validator " + std::to_string(v.signer));
    }
    return {};
}

Status verify_tc(const TimeoutCert& tc, const Committee& committee, const Verifier& verifier) {
    if (tc.entries.size() < committee.quorum())
        return invalid("tc for round " + std::to_string(tc.round) + ": " +
                       std::to_string(tc.entries.size()) + " timeouts, quorum is " +
                       std::to_string(committee.quorum()));
    for (size_t i = 0; i < tc.entries.size(); ++i) {
        const auto& e = tc.entries[i];
        if (e.signer >= committee.size) return invalid("tc: signer is not a validator");
        if (i > 0 && e.signer <= tc.entries[i - 1].signer)
            return invalid("tc: signers are not strictly ascending");
        if (e.high_qc_round >= tc.round) return invalid("tc: high QC round not below the round");
        if (!verifier.verify(e.signer, timeout_digest(committee, tc.round, e.high_qc_round),
                             e.signature))
            return bad_sig("tc for round " + std::to_string(tc.round) + ": bad signature of " +
                           "validator " + std::to_string(e.signer));
    }
    if (tc.high_qc.round < tc.max_high_qc_round() || tc.high_qc.round >= tc.round)
        return invalid("tc: its high QC is not the highest of its entries, below its round");
    return verify_qc(tc.high_qc, committee, verifier);
}

Status verify_header_signature(const BlockHeader& header, const Committee& committee,
                               const Verifier& verifier) {
    if (header.author >= committee.size) return invalid("block: author is not a validator");
    if (!verifier.verify(header.author, proposal_digest(committee, header.id()), header.signature))
        return bad_sig("block of round " + std::to_string(header.round) +
                       ": bad signature of its author " + std::to_string(header.author));
    return {};
}

Status verify_vote(const Vote& vote, const Committee& committee, const Verifier& verifier) {
    if (vote.voter >= committee.size) return invalid("vote: voter is not a validator");
    if (vote.round == 0) return invalid("vote: round 0 has no votes");
    if (!verifier.verify(vote.voter, vote_digest(committee, vote.round, vote.block_id),
                         vote.signature))
        return bad_sig("vote of round " + std::to_string(vote.round) + ": bad signature of " +
                       "validator " + std::to_string(vote.voter));
    return {};
}

Status verify_timeout(const Timeout& t, const Committee& committee, const Verifier& verifier) {
    if (t.author >= committee.size) return invalid("timeout: author is not a validator");
    if (t.high_qc.round >= t.round) return invalid("timeout: high QC round not below the round");
    if (!verifier.verify(t.author, timeout_digest(committee, t.round, t.high_qc.round),
                         t.signature))
        return bad_sig("timeout of round " + std::to_string(t.round) + ": bad signature of " +
                       "validator " + std::to_string(t.author));
    return verify_qc(t.high_qc, committee, verifier);
}

Result<BlockId> verify_commit_proof(const CommitProof& proof, const Committee& committee,
                                    const Verifier& verifier) {
    const BlockHeader& child = proof.child;
    if (proof.qc.round == 0 || proof.qc.block_id != child.id() || proof.qc.round != child.round)
        return invalid("commit proof: the QC does not certify the child block");
    if (child.qc.block_id != child.parent_id)
        return invalid("commit proof: the child's QC does not certify its parent");
    if (child.round != child.qc.round + 1)
        return invalid("commit proof: the child's round does not follow its parent's (round " +
                       std::to_string(child.round) + " after " + std::to_string(child.qc.round) +
                       "), so no 2-chain");
    HC_TRY(verify_qc(proof.qc, committee, verifier));
    return child.parent_id;
}

}  // namespace hc::consensus
