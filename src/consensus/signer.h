// Signatures as consensus needs them, and the checks built on them.
//
// Consensus signs 32-byte digests (types.h) and checks signatures by validator index, through a
// two-method interface: the node uses P-256 keys (P256Signer below); the simulator may plug in a
// fast deterministic fake. The check functions here are what a replica applies to everything it
// receives, and what a syncing node applies to a commit proof, given only the validator set.
#pragma once

#include <vector>

#include "common/error.h"
#include "consensus/types.h"
#include "crypto/signature.h"

namespace hc::consensus {

class Verifier {
  public:
    virtual ~Verifier() = default;
    // True when sig is validator's signature of digest. Unknown validators and malformed
    // signatures are false, never a crash.
    virtual bool verify(ValidatorIndex validator, const Hash32& digest,
                        BytesView sig) const noexcept = 0;
};

class Signer : public Verifier {
  public:
    // This replica's signature of digest.
    virtual Result<Bytes> sign(const Hash32& digest) = 0;
};

// ECDSA P-256 over the digest bytes (crypto::sign hashes them again with SHA-256).
class P256Verifier : public Verifier {
  public:
    // validators[i] is validator i's P-256 public key.
    explicit P256Verifier(std::vector<crypto::PublicKey> validators)
        : validators_(std::move(validators)) {}
    bool verify(ValidatorIndex validator, const Hash32& digest,
                BytesView sig) const noexcept override;

  private:
    std::vector<crypto::PublicKey> validators_;
};

class P256Signer : public Signer {
  public:
    // REQUIRES: key.algo() == SigAlgo::p256 and key's public key is this replica's entry in
    // validators.
    P256Signer(crypto::PrivateKey key, std::vector<crypto::PublicKey> validators)
        : key_(std::move(key)), verifier_(std::move(validators)) {}
    Result<Bytes> sign(const Hash32& digest) override;
    bool verify(ValidatorIndex validator, const Hash32& digest,
                BytesView sig) const noexcept override {
        return verifier_.verify(validator, digest, sig);
    }

  private:
    crypto::PrivateKey key_;
    P256Verifier verifier_;
};

// ---- Checks (Errc::crypto for a bad signature, Errc::invalid_argument for a malformed value) ----

// The genesis QC, or at least quorum distinct validators (strictly ascending) whose signatures of
// vote_digest(round, block_id) verify.
Status verify_qc(const QuorumCert& qc, const Committee& committee, const Verifier& verifier);
// At least quorum distinct validators that signed timeout_digest(round, high_qc_round), and a
// valid high QC at least as high as every entry's, all below the TC's round.
Status verify_tc(const TimeoutCert& tc, const Committee& committee, const Verifier& verifier);
// The author's signature over the header's id (certificates inside are not checked here).
Status verify_header_signature(const BlockHeader& header, const Committee& committee,
                               const Verifier& verifier);
Status verify_vote(const Vote& vote, const Committee& committee, const Verifier& verifier);
// The signature, and the high QC it carries.
Status verify_timeout(const Timeout& timeout, const Committee& committee, const Verifier& verifier);

// Checks that `proof` shows a block committed, and returns that block's id (proof.child's
// parent): proof.qc is a valid QC over proof.child, and child.round == child.qc.round + 1 with
// child.qc certifying child.parent_id. A syncing node then checks that its blocks link up to this
// id by parent ids. The QC inside the child is not re-checked: the quorum over the child includes
// an honest validator, which voted only after checking it.
Result<BlockId> verify_commit_proof(const CommitProof& proof, const Committee& committee,
                                    const Verifier& verifier);

}  // namespace hc::consensus
