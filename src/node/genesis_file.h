// genesis.json: the chain configuration a data directory was created with, kept beside the data
// so restarts and `honeycomb verify` rebuild exactly the same genesis block.
//
//   {"chainId": 1337, "gasLimit": "0x1c9c380", "baseFee": "0x3b9aca00", "timestamp": "0x...",
//    "alloc": {"0xf39F...": {"balance": "0x21e19e0c9bab2400000"}}}
#pragma once

#include <filesystem>

#include "chain/chain.h"

namespace hc::node {

Status write_genesis_file(const std::filesystem::path& path, const chain::ChainConfig& config);
// The configuration, with the development chain's governance (dev_governance) attached.
Result<chain::ChainConfig> read_genesis_file(const std::filesystem::path& path);

// The development chain's governance: permission mode open, no organisations, the default
// policies. It follows from the rest of the configuration, so the file does not hold it.
governance::GovernanceState dev_governance(const chain::ChainConfig& config);

}  // namespace hc::node
