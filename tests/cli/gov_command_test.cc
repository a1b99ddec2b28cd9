// `honeycomb member` and `honeycomb gov` against a real node of a permissioned consortium chain
// made by `init` (one process, a committee of one, served over JSON-RPC on loopback).
#include "cli/gov_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "cli/cert_command.h"
#include "cli/init.h"
#include "crypto/cert_issuer.h"
#include "crypto/secp256k1.h"
#include "ledger/transaction.h"
#include "node/consortium_config.h"
#include "node/eth_api.h"
#include "node/node.h"
#include "support/served_node.h"
#include "support/temp_dir.h"

namespace hc::cli {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class PermissionedChain : public ::testing::Test {
  protected:
    void SetUp() override {
        InitOptions init;
        init.orgs = 4;
        init.out = dir.path() / "net";
        init.base_port = 41300;
        init.rpc_port = 41545;
        auto summary = run_init(init);
        ASSERT_TRUE(summary) << summary.error().to_string();
        auto genesis = node::load_consortium_genesis(summary->genesis);
        ASSERT_TRUE(genesis) << genesis.error().to_string();
        node::NodeConfig config;
        config.chain = node::to_chain_config(*genesis);
        ASSERT_TRUE(served.start(config));
        options.rpc = served.url();
        options.timeout_s = 30;
    }
    fs::path admin_key(int org) const {
        return dir.path() / "net" / "orgs" / ("org" + std::to_string(org)) / "admin.key";
    }

    // Runs a verb; its output, or "error: <message>".
    std::string run(GovVerb verb, GovOptions o) {
        std::ostringstream out;
        if (Status st = run_gov(verb, o, out); !st) return "error: " + st.error().message;
        return out.str();
    }

    hc::testing::TempDir dir;
    hc::testing::ServedNode served;
    GovOptions options;
};

TEST_F(PermissionedChain, AVoteFreezesAContractAndEveryStepIsListed) {
    GovOptions o = options;
    o.key = admin_key(1);
    o.action = R"({"type":"freeze","contract":"0x000000000000000000000000000000000000bEEF"})";
    const std::string proposed = run(GovVerb::gov_propose, o);
    EXPECT_THAT(proposed, HasSubstr("proposal 1 made"));

    o.key = admin_key(2);
    o.id = 1;
    EXPECT_THAT(run(GovVerb::gov_vote, o), HasSubstr("still needs more votes"));  // 2 of 4
    // The same admin again: refused before anything is sent.
    EXPECT_THAT(run(GovVerb::gov_vote, o), HasSubstr("already voted for proposal 1"));
    o.key = admin_key(3);
    EXPECT_THAT(run(GovVerb::gov_vote, o), HasSubstr("was executed"));
    ASSERT_TRUE(served.node->chain().governance());
    EXPECT_EQ(served.node->chain().governance()->frozen.size(), 1u);

    const std::string listed = run(GovVerb::gov_list, options);
    EXPECT_THAT(listed, HasSubstr("#1  executed"));
    EXPECT_THAT(listed, HasSubstr("votes 3"));
}

TEST_F(PermissionedChain, AMemberEnrolsWithItsCertificateAndItsAdminRevokesIt) {
    CertIssueOptions cert;
    cert.org = "org2";
    cert.role = "client";
    cert.name = "alice";
    cert.dir = dir.path() / "net";
    std::ostringstream issued;
    ASSERT_TRUE(issue_member(cert, issued));
    const fs::path members = dir.path() / "net" / "orgs" / "org2" / "members";
    auto alice_key = crypto::read_member_key(members / "alice.key");
    ASSERT_TRUE(alice_key);
    const Address alice = crypto::secp256k1_address(*alice_key).value();

    GovOptions o = options;
    o.key = members / "alice.key";
    o.action = R"({"type":"remove_org","id":"org3"})";
    EXPECT_THAT(run(GovVerb::gov_propose, o), HasSubstr("is not a member"));

    // The chain charges gas: org2's admin funds alice with a plain transfer (a member may send
    // to anyone).
    auto admin = crypto::read_member_key(admin_key(2));
    ASSERT_TRUE(admin);
    Transaction fund;
    fund.type = TxType::legacy;
    fund.chain_id = served.node->chain().config().chain_id;
    fund.gas_limit = 21000;
    fund.gas_price = uint256(1'000'000'000);
    fund.to = alice;
    fund.value = uint256(1'000'000'000'000'000'000ull);
    ASSERT_TRUE(sign_transaction(fund, *admin));
    ASSERT_TRUE(served.node->submit_raw_transaction(encode_transaction(fund)));
    for (int i = 0; i < 500 && served.node->chain().account(alice).balance.is_zero(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_FALSE(served.node->chain().account(alice).balance.is_zero());

    o.cert = members / "alice.pem";
    EXPECT_THAT(run(GovVerb::member_enrol, o), HasSubstr("enrolled"));
    const auto* record = served.node->chain().governance()->member(alice);
    ASSERT_NE(record, nullptr);
    EXPECT_EQ(record->org, "org2");
    EXPECT_FALSE(record->certificate.is_zero());
    EXPECT_THAT(run(GovVerb::member_list, options), HasSubstr("org2  client  (certificate)"));

    GovOptions revoke = options;
    revoke.key = admin_key(2);
    revoke.address = to_checksum_address(alice);
    EXPECT_THAT(run(GovVerb::member_revoke, revoke), HasSubstr("revoked"));
    EXPECT_EQ(served.node->chain().governance()->member(alice), nullptr);
    // Revoked, alice can neither act nor come back with the same certificate.
    EXPECT_THAT(run(GovVerb::member_enrol, o), HasSubstr("this certificate was revoked"));
}

TEST_F(PermissionedChain, AdminsEnrolAndRevokeAddressesOfTheirOwnOrganisation) {
    const std::string someone = "0x00000000000000000000000000000000000c0ffe";
    GovOptions o = options;
    o.key = admin_key(1);
    o.address = someone;
    o.org = "org2";
    EXPECT_THAT(run(GovVerb::member_enrol, o), HasSubstr("may not manage the members of org2"));
    o.org = "org1";
    EXPECT_THAT(run(GovVerb::member_enrol, o), HasSubstr("as a client of org1"));
    EXPECT_THAT(run(GovVerb::member_list, options),
                HasSubstr("0x00000000000000000000000000000000000c0ffe  org1  client"));
    o.key = admin_key(2);
    EXPECT_THAT(run(GovVerb::member_revoke, o), HasSubstr("may not manage the members of org1"));
    o.key = admin_key(1);
    EXPECT_THAT(run(GovVerb::member_revoke, o), HasSubstr("revoked"));
    EXPECT_THAT(run(GovVerb::member_list, options), ::testing::Not(HasSubstr("c0ffe")));

    // Mistakes are reported before anything is sent.
    GovOptions p = options;
    p.key = dir.path() / "missing.key";
    p.action = R"({"type":"remove_org","id":"org3"})";
    EXPECT_THAT(run(GovVerb::gov_propose, p), HasSubstr("missing.key"));
    p.action = "{not json";
    EXPECT_THAT(run(GovVerb::gov_propose, p), HasSubstr("JSON"));
}

}  // namespace
}  // namespace hc::cli
