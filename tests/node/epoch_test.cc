#include "node/epoch.h"

#include <gtest/gtest.h>

#include "storage/memory_store.h"

namespace hc::node {
namespace {

governance::ConsensusNode node_with_new_key(const std::string& name) {
    auto key = crypto::PrivateKey::generate(crypto::SigAlgo::p256);
    EXPECT_TRUE(key);
    return {name, "org1", key->public_key().bytes, "127.0.0.1:30300"};
}

std::unique_ptr<chain::Chain> open_chain(governance::GovernanceState g) {
    chain::ChainConfig config;
    config.chain_id = 99;
    g.params.gas_limit = config.gas_limit;
    config.governance = std::move(g);
    auto chain = chain::Chain::open(std::make_unique<storage::MemoryStore>(), config);
    EXPECT_TRUE(chain) << chain.error().to_string();
    return std::move(*chain);
}

chain::BlockOrigin origin(uint8_t tag) {
    chain::BlockOrigin o;
    o.extra_data.assign(32, tag);  // a consensus block id
    return o;
}

TEST(EpochCommittee, TheGenesisSetIsEpochZero) {
    governance::GovernanceState g;
    g.nodes = {node_with_new_key("a"), node_with_new_key("b"), node_with_new_key("c"),
               node_with_new_key("d")};
    auto chain = open_chain(g);
    auto e = epoch_committee(*chain);
    ASSERT_TRUE(e) << e.error().to_string();
    EXPECT_EQ(e->committee.chain_id, 99u);
    EXPECT_EQ(e->committee.size, 4u);
    EXPECT_EQ(e->committee.epoch, 0u);
    EXPECT_EQ(e->committee.start_height, 0u);
    ASSERT_EQ(e->validators.size(), 4u);
    EXPECT_EQ(e->validators[2].consensus_key.bytes, g.nodes[2].consensus_key);
    EXPECT_EQ(e->names[3], "d");
}

TEST(EpochCommittee, AScheduledSetTakesOverAfterItsBoundaryBlock) {
    governance::GovernanceState g;
    g.nodes = {node_with_new_key("a"), node_with_new_key("b"), node_with_new_key("c"),
               node_with_new_key("d")};
    std::vector<governance::ConsensusNode> next = g.nodes;
    next.push_back(node_with_new_key("e"));
    g.pending_nodes = governance::PendingNodeSet{2, next};
    auto chain = open_chain(g);

    ASSERT_TRUE(chain->commit_block({}, 1, Address{}, origin(0x11)));
    auto before = epoch_committee(*chain);
    ASSERT_TRUE(before);
    EXPECT_EQ(before->committee.size, 4u);  // block 1: still the old set

    ASSERT_TRUE(chain->commit_block({}, 2, Address{}, origin(0x22)));
    auto after = epoch_committee(*chain);
    ASSERT_TRUE(after) << after.error().to_string();
    EXPECT_EQ(after->committee.size, 5u);
    EXPECT_EQ(after->committee.epoch, 1u);
    EXPECT_EQ(after->committee.start_height, 2u);
    EXPECT_EQ(after->committee.epoch_parent,
              Hash32(std::array<uint8_t, 32>{0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                             0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                             0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                             0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22}));
    EXPECT_EQ(after->names.back(), "e");
    // The new epoch's genesis sits on block 2, so its first block is block 3.
    EXPECT_EQ(consensus::genesis_block(after->committee).header.height, 2u);
    EXPECT_TRUE(chain->verify());
}

TEST(EpochCommittee, ChainsWithoutANodeSetHaveNone) {
    auto chain = open_chain(governance::GovernanceState{});
    auto e = epoch_committee(*chain);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, Errc::not_found);
}

}  // namespace
}  // namespace hc::node
