#include "cli/init.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "crypto/cert_issuer.h"
#include "crypto/secp256k1.h"
#include "governance/actions.h"
#include "node/consortium_config.h"
#include "node/dev_accounts.h"
#include "support/temp_dir.h"

namespace hc::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1'800'000'000;

unsigned file_mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
}

InitOptions options(const fs::path& out, uint64_t orgs, uint64_t nodes_per_org) {
    InitOptions o;
    o.orgs = orgs;
    o.nodes_per_org = nodes_per_org;
    o.out = out;
    o.base_port = 40300;
    o.rpc_port = 48545;
    o.chain_id = 777;
    o.now = kNow;
    return o;
}

std::string init_error(const InitOptions& o) {
    auto r = run_init(o);
    return r.ok() ? std::string("(succeeded)") : r.error().message;
}

TEST(Init, GeneratesANetworkThatLoadsBack) {
    testing::TempDir dir;
    const fs::path out = dir.path() / "net";
    auto summary = run_init(options(out, 2, 2));
    ASSERT_TRUE(summary.ok()) << summary.error().to_string();
    ASSERT_EQ(summary->nodes.size(), 4u);
    EXPECT_EQ(summary->genesis, out / "genesis.json");

    auto genesis = node::load_consortium_genesis(out / "genesis.json");
    ASSERT_TRUE(genesis.ok()) << genesis.error().to_string();
    EXPECT_EQ(genesis->chain_id, 777u);
    EXPECT_EQ(genesis->timestamp, static_cast<uint64_t>(kNow));
    EXPECT_EQ(summary->consortium_id, node::consortium_id(*genesis));
    ASSERT_EQ(genesis->organisations.size(), 2u);
    ASSERT_EQ(genesis->validators.size(), 4u);
    const char* names[] = {"org1-node1", "org1-node2", "org2-node1", "org2-node2"};
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(genesis->validators[i].name, names[i]);
        EXPECT_EQ(genesis->validators[i].p2p_address.to_string(),
                  "127.0.0.1:" + std::to_string(40300 + i));
    }

    // Each organisation's first admin: its certificate and key on disk, enrolled and funded.
    for (const char* org : {"org1", "org2"}) {
        const auto dir = fs::path(summary->out) / "orgs" / org;
        auto key = crypto::read_member_key(dir / "admin.key");
        ASSERT_TRUE(key) << key.error().to_string();
        std::ifstream pem_file(dir / "admin.pem");
        const std::string pem((std::istreambuf_iterator<char>(pem_file)), {});
        auto ca = crypto::Certificate::from_der(genesis->organisation(org)->ca_cert_der);
        ASSERT_TRUE(ca);
        auto info = crypto::verify_member_certificate(
            BytesView(reinterpret_cast<const uint8_t*>(pem.data()), pem.size()), std::span(&*ca, 1),
            static_cast<int64_t>(genesis->timestamp));
        ASSERT_TRUE(info) << info.error().to_string();
        EXPECT_EQ(info->role, "admin");
        EXPECT_EQ(info->address, crypto::secp256k1_address(*key).value());
        auto member =
            std::find_if(genesis->governance.members.begin(), genesis->governance.members.end(),
                         [&](const node::GenesisMember& m) { return m.address == info->address; });
        ASSERT_NE(member, genesis->governance.members.end());
        EXPECT_EQ(member->organisation, org);
        EXPECT_EQ(member->role, governance::Role::admin);
    }
    EXPECT_EQ(genesis->governance.permission_mode, governance::PermissionMode::permissioned);
    // The development accounts are clients, spread over the organisations.
    EXPECT_EQ(genesis->governance.members.size(), 2 + node::kDevAccounts.size());

    // The ten development accounts, 10000 ether each, and the two admins.
    ASSERT_EQ(genesis->alloc.size(), node::kDevAccounts.size() + 2);
    for (const auto& dev : node::kDevAccounts) {
        auto it = std::find_if(genesis->alloc.begin(), genesis->alloc.end(), [&](const auto& a) {
            return a.address == *parse_address(dev.address);
        });
        ASSERT_NE(it, genesis->alloc.end()) << dev.address;
        EXPECT_EQ(it->balance.to_dec(), "10000000000000000000000");
    }

    // Each organisation's CA on disk is the one in the genesis; its key is private.
    auto cas = node::organisation_cas(*genesis);
    ASSERT_TRUE(cas.ok());
    for (size_t o = 0; o < 2; ++o) {
        const fs::path org_dir = out / "orgs" / ("org" + std::to_string(o + 1));
        auto ca = crypto::read_certificate_pem(org_dir / "ca.pem");
        ASSERT_TRUE(ca.ok()) << ca.error().to_string();
        EXPECT_EQ(ca->der(), genesis->organisations[o].ca_cert_der);
        auto ca_key = crypto::read_private_key_pem(org_dir / "ca.key");
        ASSERT_TRUE(ca_key.ok()) << ca_key.error().to_string();
        EXPECT_TRUE(crypto::check_key_matches(*ca, *ca_key).ok());
        EXPECT_EQ(file_mode(org_dir / "ca.key"), 0600u);
    }

    for (size_t i = 0; i < 4; ++i) {
        const InitNode& n = summary->nodes[i];
        EXPECT_EQ(n.name, names[i]);
        EXPECT_EQ(n.node_json, out / "nodes" / names[i] / "node.json");
        EXPECT_EQ(n.rpc_address, "127.0.0.1:" + std::to_string(48545 + i));
        EXPECT_EQ(file_mode(n.dir / "tls.key"), 0600u);
        EXPECT_EQ(file_mode(n.dir / "consensus.key"), 0600u);

        // Everything the node runs from loads and cross-checks: it is validator i, its
        // consensus key is the one in the genesis, its certificate chains to its own CA.
        auto id = node::load_node_identity(n.node_json, kNow);
        ASSERT_TRUE(id.ok()) << id.error().to_string();
        EXPECT_EQ(id->validator_index, i);
        EXPECT_EQ(id->consensus_key.public_key(), genesis->validators[i].consensus_key);
        EXPECT_EQ(id->config.data_dir, n.dir / "data");
        EXPECT_EQ(id->config.genesis, out / "genesis.json");
        EXPECT_EQ(id->config.p2p_listen.to_string(), n.p2p_address);
        ASSERT_EQ(id->config.peers.size(), 3u);
        for (const auto& peer : id->config.peers) {
            EXPECT_NE(peer.name, n.name);
            auto k = genesis->validator_index(peer.name);
            ASSERT_TRUE(k.has_value());
            EXPECT_EQ(peer.address, genesis->validators[*k].p2p_address);
        }
        const size_t own_org = i / 2, other_org = 1 - own_org;
        EXPECT_EQ(crypto::subject_organisation(id->tls_cert), "org" + std::to_string(own_org + 1));
        EXPECT_TRUE(
            crypto::verify_chain(id->tls_cert, {}, std::span(&(*cas)[own_org], 1), kNow).ok());
        EXPECT_FALSE(
            crypto::verify_chain(id->tls_cert, {}, std::span(&(*cas)[other_org], 1), kNow).ok());
    }

    // The consensus key of one node signs what another node verifies with the genesis key.
    auto signer = crypto::read_consensus_key(summary->nodes[3].dir / "consensus.key");
    ASSERT_TRUE(signer.ok());
    const Bytes vote = to_bytes("vote");
    auto sig = crypto::sign(*signer, vote);
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(crypto::verify(genesis->validators[3].consensus_key, vote, *sig).ok());
    EXPECT_FALSE(crypto::verify(genesis->validators[2].consensus_key, vote, *sig).ok());

    const std::string text = format_init_summary(*summary);
    EXPECT_THAT(text, HasSubstr("org2-node2"));
    EXPECT_THAT(text, HasSubstr("127.0.0.1:40303"));
    EXPECT_THAT(text, HasSubstr("127.0.0.1:48548"));
    EXPECT_THAT(text, HasSubstr("nodes/org1-node1/node.json"));
}

TEST(Init, LoadingCatchesSwappedKeys) {
    testing::TempDir dir;
    const fs::path out = dir.path() / "net";
    auto summary = run_init(options(out, 1, 2));
    ASSERT_TRUE(summary.ok()) << summary.error().to_string();
    const fs::path a = summary->nodes[0].dir, b = summary->nodes[1].dir;
    fs::copy_file(b / "consensus.key", a / "consensus.key", fs::copy_options::overwrite_existing);
    auto id = node::load_node_identity(a / "node.json", kNow);
    ASSERT_FALSE(id.ok());
    EXPECT_THAT(id.error().message, HasSubstr("is not the consensus key that"));

    // A fresh network, then a certificate that is not the node's key's.
    auto again = run_init([&] {
        auto o = options(out, 1, 2);
        o.force = true;
        return o;
    }());
    ASSERT_TRUE(again.ok());
    fs::copy_file(b / "tls.pem", a / "tls.pem", fs::copy_options::overwrite_existing);
    id = node::load_node_identity(a / "node.json", kNow);
    ASSERT_FALSE(id.ok());
    EXPECT_THAT(id.error().message, HasSubstr("does not belong to"));
}

JoinOptions join_options(const fs::path& genesis, const fs::path& out) {
    JoinOptions o;
    o.genesis = genesis;
    o.org = "org3";
    o.org_name = "Org Three";
    o.out = out;
    o.nodes = 2;
    o.base_port = 41300;
    o.rpc_port = 49545;
    o.now = kNow;
    return o;
}

TEST(Join, PreparesAnOrganisationWhoseNodesLoadAgainstTheConsortium) {
    testing::TempDir dir;
    ASSERT_TRUE(run_init(options(dir.path() / "net", 2, 1)).ok());
    const fs::path genesis_path = dir.path() / "net" / "genesis.json";
    auto joined = run_join(join_options(genesis_path, dir.path() / "org3"));
    ASSERT_TRUE(joined.ok()) << joined.error().to_string();
    ASSERT_EQ(joined->nodes.size(), 2u);
    EXPECT_EQ(joined->nodes[1].name, "org3-node2");
    EXPECT_EQ(joined->nodes[1].p2p_address, "127.0.0.1:41301");
    EXPECT_EQ(joined->nodes[1].rpc_address, "127.0.0.1:49546");
    const fs::path org_dir = dir.path() / "org3" / "orgs" / "org3";
    EXPECT_EQ(file_mode(org_dir / "ca.key"), 0600u);
    EXPECT_EQ(file_mode(org_dir / "admin.key"), 0600u);

    // The actions parse as governance actions, carrying the CA and the node's consensus key.
    ASSERT_EQ(joined->actions.size(), 3u);
    auto text = [](const fs::path& p) {
        std::ifstream in(p);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    auto add_org = governance::parse_action(text(joined->actions[0]));
    ASSERT_TRUE(add_org.ok()) << add_org.error().to_string();
    auto* org = std::get_if<governance::AddOrg>(&*add_org);
    ASSERT_NE(org, nullptr);
    EXPECT_EQ(org->org.id, "org3");
    EXPECT_EQ(org->org.name, "Org Three");
    auto ca = crypto::read_certificate_pem(org_dir / "ca.pem");
    ASSERT_TRUE(ca.ok());
    ASSERT_EQ(org->org.ca_certs.size(), 1u);
    EXPECT_EQ(org->org.ca_certs[0], ca->der());

    for (size_t k = 0; k < 2; ++k) {
        const InitNode& n = joined->nodes[k];
        // The node loads as one a vote adds later: no genesis index, its own CA trusted besides
        // the genesis ones, the genesis nodes and its sibling as peers.
        auto id = node::load_node_identity(n.node_json, kNow);
        ASSERT_TRUE(id.ok()) << id.error().to_string();
        EXPECT_FALSE(id->validator_index.has_value());
        EXPECT_EQ(id->config.genesis, genesis_path);
        ASSERT_EQ(id->trusted_cas.size(), 3u);
        EXPECT_EQ(id->trusted_cas[2].der(), ca->der());
        EXPECT_EQ(crypto::subject_organisation(id->tls_cert), "org3");
        ASSERT_EQ(id->config.peers.size(), 3u);
        EXPECT_EQ(id->config.peers[0].name, "org1-node1");
        EXPECT_EQ(id->config.peers[2].name, k == 0 ? "org3-node2" : "org3-node1");

        auto add_node = governance::parse_action(text(joined->actions[1 + k]));
        ASSERT_TRUE(add_node.ok()) << add_node.error().to_string();
        auto* node = std::get_if<governance::AddNode>(&*add_node);
        ASSERT_NE(node, nullptr);
        EXPECT_EQ(node->node.name, n.name);
        EXPECT_EQ(node->node.org, "org3");
        EXPECT_EQ(node->node.consensus_key, id->consensus_key.public_key().bytes);
        EXPECT_EQ(node->node.p2p_address, n.p2p_address);
    }

    // Without org_ca the node's organisation has no CA to check its certificate against; with
    // another organisation's, the certificate does not verify.
    const fs::path node_json = joined->nodes[0].node_json;
    auto config = node::load_node_config(node_json);
    ASSERT_TRUE(config.ok());
    config->org_ca.reset();
    ASSERT_TRUE(node::save_node_config(node_json, *config).ok());
    auto id = node::load_node_identity(node_json, kNow);
    ASSERT_FALSE(id.ok());
    EXPECT_THAT(id.error().message, HasSubstr("set \"org_ca\""));
    EXPECT_THAT(id.error().message, HasSubstr("\"org3\" is not in it"));
    config->org_ca = dir.path() / "net" / "orgs" / "org1" / "ca.pem";
    ASSERT_TRUE(node::save_node_config(node_json, *config).ok());
    id = node::load_node_identity(node_json, kNow);
    ASSERT_FALSE(id.ok());
    EXPECT_THAT(id.error().message,
                HasSubstr("does not verify against the CA of organisation org3"));
}

TEST(Join, RefusesWhatWouldClashWithoutWritingAnything) {
    testing::TempDir dir;
    ASSERT_TRUE(run_init(options(dir.path() / "net", 2, 1)).ok());
    const fs::path genesis = dir.path() / "net" / "genesis.json";
    auto error = [&](auto change) {
        JoinOptions o = join_options(genesis, dir.path() / "out");
        change(o);
        auto r = run_join(o);
        EXPECT_FALSE(fs::exists(dir.path() / "out"));
        return r.ok() ? std::string("(succeeded)") : r.error().message;
    };
    EXPECT_THAT(error([](JoinOptions& o) { o.org = "org2"; }), HasSubstr("already in"));
    EXPECT_THAT(error([](JoinOptions& o) { o.org = "bad name!"; }), HasSubstr("name"));
    EXPECT_THAT(error([&](JoinOptions& o) { o.genesis = dir.path() / "missing.json"; }),
                HasSubstr("missing.json"));
    EXPECT_THAT(error([](JoinOptions& o) { o.rpc_port = o.base_port + 1; }), HasSubstr("overlap"));
    EXPECT_THAT(error([](JoinOptions& o) { o.nodes = 0; }), HasSubstr("--nodes"));
    fs::create_directories(dir.path() / "full");
    std::ofstream(dir.path() / "full" / "x") << "x";
    JoinOptions o = join_options(genesis, dir.path() / "full");
    auto r = run_join(o);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error().message, HasSubstr("is not empty"));
}

TEST(Init, RefusesANonEmptyDirectoryWithoutForce) {
    testing::TempDir dir;
    const fs::path out = dir.path() / "net";
    ASSERT_TRUE(run_init(options(out, 2, 2)).ok());
    std::ofstream(out / "notes.txt") << "keep me";

    EXPECT_THAT(init_error(options(out, 1, 1)), HasSubstr("is not empty; pass --force"));
    EXPECT_TRUE(fs::exists(out / "nodes" / "org2-node2"));

    InitOptions o = options(out, 1, 1);
    o.force = true;
    auto summary = run_init(o);
    ASSERT_TRUE(summary.ok()) << summary.error().to_string();
    EXPECT_EQ(summary->nodes.size(), 1u);
    // The old network is gone, files that are not init's stay.
    EXPECT_FALSE(fs::exists(out / "nodes" / "org2-node2"));
    EXPECT_FALSE(fs::exists(out / "orgs" / "org2"));
    EXPECT_TRUE(fs::exists(out / "notes.txt"));
    auto id = node::load_node_identity(summary->nodes[0].node_json, kNow);
    ASSERT_TRUE(id.ok()) << id.error().to_string();
    EXPECT_TRUE(id->config.peers.empty());
}

TEST(Init, RejectsBadOptionsWithoutWritingAnything) {
    testing::TempDir dir;
    const fs::path out = dir.path() / "net";
    auto with = [&](auto edit) {
        InitOptions o = options(out, 2, 2);
        edit(o);
        return init_error(o);
    };
    EXPECT_EQ(with([](InitOptions& o) { o.orgs = 0; }), "--orgs must be at least 1");
    EXPECT_EQ(with([](InitOptions& o) { o.nodes_per_org = 0; }),
              "--nodes-per-org must be at least 1");
    EXPECT_THAT(with([](InitOptions& o) { o.orgs = 129; }), HasSubstr("must be at most 256"));
    EXPECT_THAT(with([](InitOptions& o) { o.base_port = 65534; }),
                HasSubstr("--base-port 65534 gives ports 65534..65537 for 4 nodes"));
    EXPECT_THAT(with([](InitOptions& o) { o.base_port = 0; }), HasSubstr("--base-port 0"));
    EXPECT_THAT(with([](InitOptions& o) { o.rpc_port = 70000; }), HasSubstr("--rpc-port 70000"));
    EXPECT_THAT(with([](InitOptions& o) { o.rpc_port = o.base_port + 2; }), HasSubstr("overlap"));
    EXPECT_THAT(with([](InitOptions& o) { o.host = "not a host"; }),
                HasSubstr("--host \"not a host\" is neither"));
    EXPECT_THAT(with([](InitOptions& o) { o.chain_id = 0; }), HasSubstr("--chain-id"));
    EXPECT_THAT(with([](InitOptions& o) { o.min_gas_price = "lots"; }),
                HasSubstr("--min-gas-price"));
    EXPECT_THAT(with([](InitOptions& o) { o.out.clear(); }), HasSubstr("--out is required"));
    EXPECT_FALSE(fs::exists(out));

    std::ofstream(dir.path() / "file") << "x";
    InitOptions o = options(dir.path() / "file", 1, 1);
    EXPECT_THAT(init_error(o), HasSubstr("exists and is not a directory"));
}

TEST(Init, HostGoesIntoAddressesAndCertificates) {
    testing::TempDir dir;
    InitOptions o = options(dir.path() / "net", 1, 1);
    o.host = "10.20.30.40";
    auto summary = run_init(o);
    ASSERT_TRUE(summary.ok()) << summary.error().to_string();
    EXPECT_EQ(summary->nodes[0].p2p_address, "10.20.30.40:40300");
    EXPECT_EQ(summary->nodes[0].rpc_address, "10.20.30.40:48545");
    auto cert = crypto::read_certificate_pem(summary->nodes[0].dir / "tls.pem");
    ASSERT_TRUE(cert.ok());
    EXPECT_EQ(X509_check_ip_asc(cert->native(), "10.20.30.40", 0), 1);
    EXPECT_EQ(X509_check_ip_asc(cert->native(), "127.0.0.1", 0), 1);
}

TEST(Init, OpenMakesAChainAnyoneMayUse) {
    testing::TempDir dir;
    InitOptions o = options(dir.path() / "net", 1, 1);
    auto closed = run_init(o);
    ASSERT_TRUE(closed.ok());
    auto genesis = node::load_consortium_genesis(closed->genesis);
    ASSERT_TRUE(genesis.ok());
    EXPECT_EQ(genesis->governance.permission_mode, governance::PermissionMode::permissioned);
    o.open = true;
    o.force = true;
    auto open = run_init(o);
    ASSERT_TRUE(open.ok());
    genesis = node::load_consortium_genesis(open->genesis);
    ASSERT_TRUE(genesis.ok());
    EXPECT_EQ(genesis->governance.permission_mode, governance::PermissionMode::open);
}

TEST(Init, CommandLineFillsTheOptions) {
    CLI::App app;
    InitOptions o;
    CLI::App* cmd = add_init_command(app, o);
    app.parse(
        "init --orgs 3 --nodes-per-org 2 --out some/dir --base-port 31000 --chain-id 99 "
        "--host node.example --force --open",
        false);
    EXPECT_TRUE(cmd->parsed());
    EXPECT_EQ(o.orgs, 3u);
    EXPECT_EQ(o.nodes_per_org, 2u);
    EXPECT_EQ(o.out, fs::path("some/dir"));
    EXPECT_EQ(o.base_port, 31000u);
    EXPECT_EQ(o.rpc_port, 8545u);
    EXPECT_EQ(o.chain_id, 99u);
    EXPECT_EQ(o.host, "node.example");
    EXPECT_TRUE(o.force);
    EXPECT_TRUE(o.open);

    CLI::App app2;
    InitOptions o2;
    add_init_command(app2, o2);
    EXPECT_THROW(app2.parse("init --out x", false), CLI::RequiredError);
}

}  // namespace
}  // namespace hc::cli
