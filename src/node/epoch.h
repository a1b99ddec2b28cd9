// The consensus committee the governance state calls for: after a vote changes the node set, the
// epoch it starts names its members, the block it continues after, and the height it starts at.
// Every node derives the same committee from the same ledger.
//
// The consensus driver of a consortium node switches to it at each epoch boundary.
#pragma once

#include <string>
#include <vector>

#include "chain/chain.h"
#include "node/consensus_driver.h"

namespace hc::node {

struct EpochCommittee {
    consensus::Committee committee;
    std::vector<ValidatorInfo> validators;  // by index
    std::vector<std::string> names;         // by index, the governance node names
};

// A node's network id: the first four bytes of keccak256(name), big-endian. It stays the same
// through epochs, while its index in the committee may change. epoch_committee() refuses a node
// set in which two names share an id.
PeerId peer_id_of(std::string_view name);

// The committee of the chain's current epoch. Errors: a chain without governance or without a
// node set (the development chain runs a committee of one instead), a consensus key that is not a
// P-256 point, two names with one peer id, or an epoch start block missing from the ledger or
// without a consensus block id in its extra data.
Result<EpochCommittee> epoch_committee(const chain::Chain& chain);

}  // namespace hc::node
