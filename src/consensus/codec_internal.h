// Encoding pieces shared by types.cc and messages.cc; not part of the module's interface.
#pragma once

#include <optional>

#include "codec/rlp.h"
#include "consensus/types.h"

namespace hc::consensus::detail {

void put_block(rlp::Encoder& e, const Block& b);
void put_vote(rlp::Encoder& e, const Vote& v);
void put_timeout(rlp::Encoder& e, const Timeout& t);
void put_qc(rlp::Encoder& e, const QuorumCert& qc);
void put_opt_tc(rlp::Encoder& e, const std::optional<TimeoutCert>& tc);

// Each reads the next item of `r` as the named value, strictly.
Result<Block> next_block(rlp::ListReader& r);
Result<Vote> next_vote(rlp::ListReader& r);
Result<Timeout> next_timeout(rlp::ListReader& r);
Result<QuorumCert> next_qc(rlp::ListReader& r);
Result<std::optional<TimeoutCert>> next_opt_tc(rlp::ListReader& r);
Result<Hash32> next_hash(rlp::ListReader& r);

}  // namespace hc::consensus::detail
