// Where the governance state lives: the storage of the Governance system contract's account, so
// the state root commits to it, history and proofs cover it, and replay rebuilds it.
//
// Layout: slot 0 holds the length of encode_state(); slots 1..k hold its bytes, 32 per slot (the
// last one zero-padded). The system accounts carry nonce 1 and the one-byte code 0xfe, so they
// are never "empty" (EIP-161) and eth_getCode shows that something lives there.
#pragma once

#include <optional>

#include "common/error.h"
#include "governance/state.h"
#include "state/account.h"
#include "state/overlay.h"
#include "state/state_reader.h"

namespace hc::chain {

// The governance state in `state`; nullopt for a chain without one.
Result<std::optional<governance::GovernanceState>> read_governance(const state::StateReader& state);
Result<std::optional<governance::GovernanceState>> read_governance(
    const state::StateOverlay& state);

// Replaces the stored governance state.
void write_governance(state::StateOverlay& state, const governance::GovernanceState& governance);

// Adds the system accounts and the initial governance state to a genesis diff.
void add_governance_to_genesis(state::StateDiff& diff,
                               const governance::GovernanceState& governance);

}  // namespace hc::chain
