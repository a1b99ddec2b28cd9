// Consensus values: the committee, certificates, blocks, votes, timeouts, the safety state and
// commit proofs, with their canonical RLP encodings and signing digests.
//
// Everything here is a plain value. Every hashed or signed form is RLP (codec/rlp.h):
//   QuorumCert    rlp([round, block_id, [[signer, sig]...]])          signers strictly ascending
//   TimeoutCert   rlp([round, high_qc, [[signer, high_qc_round, sig]...]])  signers ascending
//   optional X    rlp([]) for none, rlp([X]) for some
//   BlockHeader   rlp([round, height, parent_id, qc, opt_tc, author, timestamp_ms, payload_hash,
//                      signature])
//   Block         rlp([header, payload])
//   Vote          rlp([round, block_id, voter, sig])
//   Timeout       rlp([round, high_qc, author, sig])
//   SafetyState   rlp([last_voted_round, high_qc, opt_tc, opt_timeout])
//   CommitProof   rlp([child_header, qc])
// A block's id is keccak256 of its header list without the signature, so the header alone (the
// payload enters through its keccak) is enough to recompute the id and check the author's
// signature and any certificate over it.
//
// Signing digests are keccak256 of rlp([domain tag, chain_id, ...]) so that a signature for one
// purpose or one chain is never valid for another.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/fixed_bytes.h"

namespace hc::consensus {

using Round = uint64_t;
using BlockId = Hash32;
using ValidatorIndex = uint32_t;

// Decoding bounds: anything larger is rejected before it can cost memory.
inline constexpr size_t kMaxValidators = 1024;
inline constexpr size_t kMaxSignatureSize = 128;
inline constexpr size_t kMaxPayloadSize = 4 * 1024 * 1024;
inline constexpr size_t kMaxFetchBlocks = 16;
inline constexpr size_t kMaxMessageSize = 24 * 1024 * 1024;

// The validator set as consensus sees it: indices 0..size-1 on one chain.
struct Committee {
    uint64_t chain_id = 0;
    uint32_t size = 1;
    // Epochs. A governance vote changes the validator set at an epoch boundary; the committee of
    // epoch e > 0 continues the chain after `epoch_parent`, the last block of epoch e-1, whose
    // height is `start_height`. Its genesis block sits there, and every signature names the
    // epoch, so no vote, proposal or timeout carries over from one committee to the next.
    uint64_t epoch = 0;
    BlockId epoch_parent;
    uint64_t start_height = 0;

    // f = floor((n-1)/3).
    uint32_t max_faulty() const noexcept { return (size - 1) / 3; }
    // n - f: equals 2f+1 when n = 3f+1, and for other n still makes any two quorums share at
    // least f+1 validators (one honest), which plain 2f+1 would not (n=2 or n=5).
    uint32_t quorum() const noexcept { return size - max_faulty(); }
    // Leaders rotate round-robin.
    ValidatorIndex leader(Round round) const noexcept {
        return static_cast<ValidatorIndex>(round % size);
    }
    // The id of the genesis block (round 0, height 0) that every chain starts from.
    BlockId genesis_id() const;
};

struct PartialSig {
    ValidatorIndex signer = 0;
    Bytes signature;
    bool operator==(const PartialSig&) const = default;
};

// 2f+1 (quorum) votes for one block in one round. The genesis QC is {0, genesis_id, {}}.
struct QuorumCert {
    Round round = 0;
    BlockId block_id;
    std::vector<PartialSig> votes;  // strictly ascending signers
    bool operator==(const QuorumCert&) const = default;
};

struct TimeoutCert {
    struct Entry {
        ValidatorIndex signer = 0;
        Round high_qc_round = 0;  // the signer's high QC round when it timed out
        Bytes signature;
        bool operator==(const Entry&) const = default;
    };
    Round round = 0;
    // The highest QC known to the TC's maker, at least as high as every entry's: with it, the
    // next leader can always extend a QC that the vote rule accepts.
    QuorumCert high_qc;
    std::vector<Entry> entries;  // strictly ascending signers
    Round max_high_qc_round() const noexcept;
    bool operator==(const TimeoutCert&) const = default;
};

struct BlockHeader {
    Round round = 0;
    uint64_t height = 0;
    BlockId parent_id;
    QuorumCert qc;                  // certifies the parent: qc.block_id == parent_id
    std::optional<TimeoutCert> tc;  // for round-1, when the block does not follow its QC directly
    ValidatorIndex author = 0;
    uint64_t timestamp_ms = 0;
    Hash32 payload_hash;  // keccak256(payload)
    Bytes signature;      // author's, over proposal_digest(chain_id, id())

    BlockId id() const;
    bool operator==(const BlockHeader&) const = default;
};

struct Block {
    BlockHeader header;
    Bytes payload;  // opaque to consensus: the driver's transactions
    BlockId id() const { return header.id(); }
    bool operator==(const Block&) const = default;
};

// The genesis block of a committee: round 0, height start_height, empty payload, unsigned. Its
// parent is a hash of the chain id (epoch 0) or of the chain id, epoch and epoch_parent.
Block genesis_block(const Committee& committee);
// The QC every chain starts from: {0, genesis_id, {}}.
QuorumCert genesis_qc(const Committee& committee);

struct Vote {
    Round round = 0;
    BlockId block_id;
    ValidatorIndex voter = 0;
    Bytes signature;  // over vote_digest(chain_id, round, block_id)
    bool operator==(const Vote&) const = default;
};

struct Timeout {
    Round round = 0;
    QuorumCert high_qc;
    ValidatorIndex author = 0;
    Bytes signature;  // over timeout_digest(chain_id, round, high_qc.round)
    bool operator==(const Timeout&) const = default;
};

// What a replica must keep across a crash so that it never votes or times out twice in a round
// and resumes in the round it left.
struct SafetyState {
    Round last_voted_round = 0;  // also raised by a timeout: no vote after timing out
    QuorumCert high_qc;
    std::optional<TimeoutCert> high_tc;
    std::optional<Timeout> last_timeout;  // re-sent as is, never re-signed for the same round
    bool operator==(const SafetyState&) const = default;
};

// Proves that child.parent_id was committed: 2f+1 voted for `child`, whose round directly
// follows the round of the parent it certifies (the 2-chain rule).
struct CommitProof {
    BlockHeader child;
    QuorumCert qc;  // over child
    bool operator==(const CommitProof&) const = default;
};

// ---- Digests ----
// Each names the committee's chain id and epoch.
Hash32 proposal_digest(const Committee& committee, const BlockId& id);
Hash32 vote_digest(const Committee& committee, Round round, const BlockId& id);
Hash32 timeout_digest(const Committee& committee, Round round, Round high_qc_round);

// ---- Encoding (canonical RLP) and strict, bounded decoding ----
Bytes encode(const QuorumCert& qc);
Bytes encode(const TimeoutCert& tc);
Bytes encode(const BlockHeader& header);
Bytes encode(const Block& block);
Bytes encode(const Vote& vote);
Bytes encode(const Timeout& timeout);
Bytes encode(const SafetyState& state);
Bytes encode(const CommitProof& proof);

Result<QuorumCert> decode_qc(BytesView in);
Result<TimeoutCert> decode_tc(BytesView in);
Result<BlockHeader> decode_header(BytesView in);
Result<Block> decode_block(BytesView in);
Result<Vote> decode_vote(BytesView in);
Result<Timeout> decode_timeout(BytesView in);
Result<SafetyState> decode_safety_state(BytesView in);
Result<CommitProof> decode_commit_proof(BytesView in);

}  // namespace hc::consensus
