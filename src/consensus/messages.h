// The messages replicas exchange, and their strict, bounded wire encoding:
//   rlp([kind, body]) with kind 1 proposal, 2 vote, 3 timeout, 4 sync, 5 block request,
//   6 block response. Malformed input of any kind is an Errc::decode error, never a crash.
#pragma once

#include <optional>
#include <variant>
#include <vector>

#include "consensus/types.h"

namespace hc::consensus {

// A leader's block for its round. The block carries its own QC and, after a timeout, the TC.
struct Proposal {
    Block block;
    bool operator==(const Proposal&) const = default;
};

// Broadcast on a local timeout. high_tc lets a replica one round behind catch up.
struct TimeoutMsg {
    Timeout timeout;
    std::optional<TimeoutCert> high_tc;
    bool operator==(const TimeoutMsg&) const = default;
};

// The sender's highest certificates: the answer to a peer stuck in an older round, and what a
// leader that formed a QC but has nothing to propose broadcasts so that others commit.
struct SyncInfo {
    QuorumCert high_qc;
    std::optional<TimeoutCert> high_tc;
    bool operator==(const SyncInfo&) const = default;
};

// Asks for block_id and up to max_blocks-1 of its ancestors (at most kMaxFetchBlocks).
struct BlockRequest {
    BlockId block_id;
    uint32_t max_blocks = 1;
    bool operator==(const BlockRequest&) const = default;
};

// The requested block first, then its ancestors, newest to oldest.
struct BlockResponse {
    std::vector<Block> blocks;  // at most kMaxFetchBlocks
    bool operator==(const BlockResponse&) const = default;
};

using Message = std::variant<Proposal, Vote, TimeoutMsg, SyncInfo, BlockRequest, BlockResponse>;

Bytes encode_message(const Message& message);
// Strict: non-canonical RLP, an unknown kind, wrong field counts or sizes, more than the bounds in
// types.h, and trailing bytes are errors.
Result<Message> decode_message(BytesView in);

}  // namespace hc::consensus
