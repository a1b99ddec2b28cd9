#include "node/epoch.h"

#include <set>

#include "common/keccak.h"

namespace hc::node {

PeerId peer_id_of(std::string_view name) {
    const Hash32 h =
        keccak256(BytesView(reinterpret_cast<const uint8_t*>(name.data()), name.size()));
    return (PeerId{h.bytes[0]} << 24) | (PeerId{h.bytes[1]} << 16) | (PeerId{h.bytes[2]} << 8) |
           PeerId{h.bytes[3]};
}

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
    std::set<PeerId> ids;
    for (const governance::ConsensusNode& n : governance->nodes) {
        auto key = crypto::PublicKey::from_bytes(crypto::SigAlgo::p256, n.consensus_key);
        if (!key)
            return make_error(Errc::decode, "consensus node " + n.name +
                                                ": consensus key: " + key.error().message);
        const PeerId peer = peer_id_of(n.name);
        if (!ids.insert(peer).second)
            return make_error(Errc::invalid_argument,
                              "consensus node " + n.name +
                                  " has the network id of another node's name; rename it");
        out.validators.push_back({*key, validator_address(*key), peer});
        out.names.push_back(n.name);
    }
    return out;
}

}  // namespace hc::node
