#include "node/epoch.h"

namespace hc::node {

Result<EpochCommittee> epoch_committee(const chain::Chain& chain) {
    auto governance = chain.governance();
    if (!governance || governance->nodes.empty())
        return make_error(Errc::not_found,
                          "this chain's governance names no consensus nodes (a development "
                          "chain runs a committee of one)");
    EpochCommittee out;
    out.committee.chain_id = chain.config().chain_id;
    out.committee.size = static_cast<uint32_t>(governance->nodes.size());
    out.committee.epoch = governance->epoch;
    if (governance->epoch > 0) {
        const uint64_t start = governance->epoch_start_height;
        HC_ASSIGN_OR_RETURN(auto hash, chain.hash_by_number(start));
        if (!hash)
            return make_error(Errc::not_found, "epoch " + std::to_string(governance->epoch) +
                                                   " starts after block " + std::to_string(start) +
                                                   ", which the ledger does not have");
        HC_ASSIGN_OR_RETURN(auto header, chain.header(*hash));
        if (!header || header->extra_data.size() != 32)
            return make_error(Errc::decode, "block " + std::to_string(start) +
                                                " carries no consensus block id in its extra "
                                                "data: it was not committed by consensus");
        std::copy(header->extra_data.begin(), header->extra_data.end(),
                  out.committee.epoch_parent.bytes.begin());
        out.committee.start_height = start;
    }
    for (const governance::ConsensusNode& n : governance->nodes) {
        auto key = crypto::PublicKey::from_bytes(crypto::SigAlgo::p256, n.consensus_key);
        if (!key)
            return make_error(Errc::decode, "consensus node " + n.name +
                                                ": consensus key: " + key.error().message);
        out.validators.push_back({*key, validator_address(*key)});
        out.names.push_back(n.name);
    }
    return out;
}

}  // namespace hc::node
