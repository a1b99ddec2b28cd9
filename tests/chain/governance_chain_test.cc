// The governance system contracts inside block execution: membership checks, enrolment and
// revocation taking effect within a block, frozen contracts, and replay.
#include <gtest/gtest.h>

#include "chain/chain.h"
#include "chain/governance_store.h"
#include "codec/abi.h"
#include "crypto/cert_issuer.h"
#include "crypto/secp256k1.h"
#include "governance/system_contracts.h"
#include "storage/memory_store.h"

namespace hc::chain {
namespace {

constexpr uint64_t kChainId = 1337;

struct Key {
    Hash32 secret;
    Address address;
};

Key key(uint8_t n) {
    Key k;
    k.secret.bytes[31] = n;
    k.secret.bytes[0] = 0x22;
    k.address = *crypto::secp256k1_address(k.secret);
    return k;
}

Address proposer() {
    Address a;
    a.bytes[0] = 0xfe;
    return a;
}

// admin(i) administers org<i> for i = 1..3; client() is a client of org1; outsider() is no one.
Key admin(int i) {
    return key(static_cast<uint8_t>(i));
}
Key client() {
    return key(20);
}
Key outsider() {
    return key(30);
}

ChainConfig permissioned_config() {
    ChainConfig c;
    c.chain_id = kChainId;
    c.gas_limit = 5'000'000;
    c.base_fee = uint256(0);
    governance::GovernanceState g;
    g.mode = governance::PermissionMode::permissioned;
    g.params.gas_limit = c.gas_limit;
    for (int i = 1; i <= 3; ++i) {
        const std::string org = "org" + std::to_string(i);
        auto ca = crypto::create_organisation_ca({org, 1'600'000'000, 2'000'000'000});
        EXPECT_TRUE(ca);
        g.orgs.push_back({org, org, {ca->cert.der()}});
        g.members[admin(i).address] = {org, governance::Role::admin, Hash32{}};
    }
    g.members[client().address] = {"org1", governance::Role::client, Hash32{}};
    for (const Key& k : {admin(1), admin(2), admin(3), client(), outsider()})
        c.alloc.push_back({k.address, uint256(1'000'000'000)});
    c.governance = std::move(g);
    return c;
}

BlockTx send(const Key& from, std::optional<Address> to, uint64_t nonce, Bytes data = {},
             uint64_t gas = 300'000) {
    Transaction tx;
    tx.type = TxType::legacy;
    tx.chain_id = kChainId;
    tx.nonce = nonce;
    tx.gas_limit = gas;
    tx.to = to;
    tx.data = std::move(data);
    EXPECT_TRUE(sign_transaction(tx, from.secret));
    return BlockTx{tx, transaction_hash(tx), from.address};
}

Bytes enrol_member(const Address& member, const std::string& org) {
    return abi::Encoder().add_address(member).add_string(org).add_string("client").finish(
        abi::selector("enrolMember(address,string,string)"));
}

Bytes propose(const std::string& action) {
    return abi::Encoder().add_string(action).finish(abi::selector("propose(string)"));
}

Bytes vote(uint64_t id) {
    return abi::Encoder().add_uint(uint256(id)).finish(abi::selector("vote(uint256)"));
}

std::unique_ptr<Chain> open_chain(const ChainConfig& config) {
    auto chain = Chain::open(std::make_unique<storage::MemoryStore>(), config);
    EXPECT_TRUE(chain) << chain.error().to_string();
    return std::move(*chain);
}

TEST(GovernanceChain, MembershipIsCheckedPerTransactionAndChangesApplyAtOnce) {
    auto chain = open_chain(permissioned_config());
    ASSERT_TRUE(chain->governance());
    EXPECT_EQ(chain->governance()->mode, governance::PermissionMode::permissioned);

    // A non-member's transfer is left out with the pool's wording; a member's goes in.
    auto first = chain->commit_block(
        {send(outsider(), client().address, 0), send(client(), outsider().address, 0)}, 1,
        proposer());
    ASSERT_TRUE(first) << first.error().to_string();
    ASSERT_EQ(first->rejected.size(), 1u);
    EXPECT_EQ(first->rejected[0].second.code, Errc::permission_denied);
    EXPECT_EQ(first->rejected[0].second.message, "sender is not a member of the consortium");
    EXPECT_EQ(first->block.transactions.size(), 1u);

    // org1's admin enrols the outsider, whose transfer later in the same block now counts.
    auto second = chain->commit_block({send(admin(1), governance::membership_address(), 0,
                                            enrol_member(outsider().address, "org1")),
                                       send(outsider(), client().address, 0)},
                                      2, proposer());
    ASSERT_TRUE(second) << second.error().to_string();
    EXPECT_TRUE(second->rejected.empty());
    ASSERT_EQ(second->receipts.receipts.size(), 2u);
    EXPECT_TRUE(second->receipts.receipts[0].status);
    ASSERT_EQ(second->receipts.receipts[0].logs.size(), 1u);
    EXPECT_EQ(second->receipts.receipts[0].logs[0].topics[0],
              abi::event_topic("MemberEnrolled(address,string,string)"));
    ASSERT_NE(chain->governance()->member(outsider().address), nullptr);

    // org2's admin may not enrol into org1: the call reverts (included, failed).
    auto third = chain->commit_block({send(admin(2), governance::membership_address(), 0,
                                           enrol_member(key(31).address, "org1"))},
                                     3, proposer());
    ASSERT_TRUE(third);
    EXPECT_FALSE(third->receipts.receipts.at(0).status);
    EXPECT_EQ(chain->governance()->member(key(31).address), nullptr);

    // Revoked, the member's next transaction in the same block is left out.
    const Bytes revoke =
        abi::Encoder().add_address(outsider().address).finish(abi::selector("revoke(address)"));
    auto fourth = chain->commit_block({send(admin(1), governance::membership_address(), 1, revoke),
                                       send(outsider(), client().address, 1)},
                                      4, proposer());
    ASSERT_TRUE(fourth);
    EXPECT_TRUE(fourth->receipts.receipts.at(0).status);
    ASSERT_EQ(fourth->rejected.size(), 1u);
    EXPECT_EQ(fourth->rejected[0].second.message, "sender is not a member of the consortium");
    EXPECT_EQ(chain->governance()->member(outsider().address), nullptr);

    // Replay from genesis rebuilds the same governance state and roots.
    EXPECT_TRUE(chain->verify());
}

TEST(GovernanceChain, AFrozenContractRevertsWithAReasonUntilAVoteUnfreezesIt) {
    auto chain = open_chain(permissioned_config());
    // A contract that returns 42: PUSH1 42 PUSH0 MSTORE PUSH1 32 PUSH0 RETURN.
    const Bytes runtime = {0x60, 42, 0x5f, 0x52, 0x60, 32, 0x5f, 0xf3};
    Bytes init = {0x60, static_cast<uint8_t>(runtime.size()), 0x60, 10,  0x5f, 0x39,
                  0x60, static_cast<uint8_t>(runtime.size()), 0x5f, 0xf3};
    init.insert(init.end(), runtime.begin(), runtime.end());
    auto deployed = chain->commit_block({send(client(), std::nullopt, 0, init)}, 1, proposer());
    ASSERT_TRUE(deployed);
    const Address contract = deployed->receipts.metas.at(0).contract_address.value();

    const std::string freeze =
        R"({"type":"freeze","contract":")" + to_checksum_address(contract) + "\"}";
    auto proposed = chain->commit_block(
        {send(admin(1), governance::governance_address(), 0, propose(freeze))}, 2, proposer());
    ASSERT_TRUE(proposed);
    ASSERT_TRUE(proposed->receipts.receipts.at(0).status);
    EXPECT_TRUE(chain->governance()->frozen.empty());  // 1 of 3 organisations so far
    auto voted = chain->commit_block(
        {send(admin(2), governance::governance_address(), 0, vote(1)), send(client(), contract, 1)},
        3, proposer());
    ASSERT_TRUE(voted);
    EXPECT_EQ(chain->governance()->frozen.count(contract), 1u);
    // The call after the vote in the same block already fails.
    EXPECT_FALSE(voted->receipts.receipts.at(1).status);

    CallRequest request;
    request.from = client().address;
    request.to = contract;
    auto frozen_call = chain->call(request, chain->head_number());
    ASSERT_TRUE(frozen_call);
    EXPECT_FALSE(frozen_call->status);
    EXPECT_EQ(abi::decode_error(frozen_call->output), governance::frozen_message(contract));

    const std::string unfreeze =
        R"({"type":"unfreeze","contract":")" + to_checksum_address(contract) + "\"}";
    ASSERT_TRUE(
        chain->commit_block({send(admin(3), governance::governance_address(), 0, propose(unfreeze)),
                             send(admin(1), governance::governance_address(), 1, vote(2))},
                            4, proposer()));
    EXPECT_TRUE(chain->governance()->frozen.empty());
    auto thawed = chain->call(request, chain->head_number());
    ASSERT_TRUE(thawed);
    EXPECT_TRUE(thawed->status);
    EXPECT_EQ(uint256::from_be(thawed->output).value(), uint256(42));
    EXPECT_TRUE(chain->verify());
}

TEST(GovernanceChain, AVotedGasLimitBindsTheNextBlock) {
    auto chain = open_chain(permissioned_config());
    EXPECT_EQ(chain->gas_limit(), 5'000'000u);
    const std::string lower = R"({"type":"set_block_params","gas_limit":4000000})";
    auto voted =
        chain->commit_block({send(admin(1), governance::governance_address(), 0, propose(lower)),
                             send(admin(2), governance::governance_address(), 0, vote(1))},
                            1, proposer());
    ASSERT_TRUE(voted);
    EXPECT_EQ(voted->block.header.gas_limit, 5'000'000u);  // decided inside this block
    EXPECT_EQ(chain->gas_limit(), 4'000'000u);
    auto next = chain->commit_block({}, 2, proposer());
    ASSERT_TRUE(next);
    EXPECT_EQ(next->block.header.gas_limit, 4'000'000u);
    EXPECT_TRUE(chain->verify());
}

TEST(GovernanceChain, SystemAccountsCarryCodeAndTheStateReadsBack) {
    const ChainConfig config = permissioned_config();
    auto chain = open_chain(config);
    EXPECT_EQ(chain->code_at(governance::governance_address(), 0).value(), Bytes{0xfe});
    EXPECT_EQ(chain->code_at(governance::membership_address(), 0).value(), Bytes{0xfe});
    std::optional<governance::GovernanceState> read;
    chain->read_state([&](const state::WorldState& ws, const BlockHeader&) {
        auto r = read_governance(ws);
        ASSERT_TRUE(r);
        read = std::move(*r);
    });
    ASSERT_TRUE(read);
    EXPECT_EQ(*read, *config.governance);
}

}  // namespace
}  // namespace hc::chain
