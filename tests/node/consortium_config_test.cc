#include "node/consortium_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "crypto/cert_issuer.h"
#include "support/temp_dir.h"

namespace hc::node {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1'800'000'000;
constexpr int64_t kDay = 86400;

// Two organisations, four validators (two each), keys and certificates made for real.
struct Consortium {
    std::vector<crypto::KeyedCertificate> cas;
    std::vector<crypto::PrivateKey> consensus_keys;
    ConsortiumGenesis genesis;

    Consortium() {
        genesis.chain_id = 4242;
        genesis.block_gas_limit = 30'000'000;
        genesis.min_gas_price = uint256(1'000'000'000);
        genesis.timestamp = static_cast<uint64_t>(kNow);
        genesis.alloc.push_back({*parse_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
                                 *uint256::from_string("10000000000000000000000")});
        genesis.alloc.push_back(
            {*parse_address("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), uint256(7)});
        for (int o = 1; o <= 2; ++o) {
            const std::string org = "org" + std::to_string(o);
            auto ca = crypto::create_organisation_ca({org, kNow - kDay, kNow + 3650 * kDay});
            EXPECT_TRUE(ca.ok());
            genesis.organisations.push_back({org, ca->cert.der()});
            for (int k = 1; k <= 2; ++k) {
                auto key = crypto::PrivateKey::generate(crypto::SigAlgo::p256);
                EXPECT_TRUE(key.ok());
                Validator v;
                v.name = org + "-node" + std::to_string(k);
                v.organisation = org;
                v.consensus_key = key->public_key();
                v.p2p_address = {"127.0.0.1", static_cast<uint16_t>(30300 + consensus_keys.size())};
                genesis.validators.push_back(v);
                consensus_keys.push_back(std::move(*key));
            }
            cas.push_back(std::move(*ca));
        }
    }
};

std::string error_of(std::string_view text) {
    auto r = parse_consortium_genesis(text);
    return r.ok() ? std::string("(accepted)") : r.error().message;
}

// The genesis error after `edit` is applied to the JSON of a valid genesis.
std::string genesis_error(const ConsortiumGenesis& g, const std::function<void(json&)>& edit) {
    json j = json::parse(consortium_genesis_to_json(g));
    edit(j);
    return error_of(j.dump());
}

ConsortiumNodeConfig sample_node_config(const fs::path& dir) {
    ConsortiumNodeConfig c;
    c.name = "org1-node1";
    c.genesis = (dir / "genesis.json").lexically_normal();
    c.data_dir = dir / "nodes" / "org1-node1" / "data";
    c.p2p_listen = {"127.0.0.1", 30300};
    c.rpc_address = {"127.0.0.1", 8545};
    c.peers = {{"org1-node2", {"127.0.0.1", 30301}}, {"org2-node1", {"10.0.0.3", 30302}}};
    c.tls_cert = dir / "nodes" / "org1-node1" / "tls.pem";
    c.tls_key = dir / "nodes" / "org1-node1" / "tls.key";
    c.consensus_key = dir / "nodes" / "org1-node1" / "consensus.key";
    c.log_level = log::Level::debug;
    c.tuning.max_block_txs = 1234;
    c.tuning.batch_interval_ms = 7;
    return c;
}

std::string node_error(const std::function<void(json&)>& edit) {
    const fs::path base = "/cfg/nodes/org1-node1";
    json j = json::parse(node_config_to_json(sample_node_config("/cfg"), base));
    edit(j);
    auto r = parse_node_config(j.dump(), base);
    return r.ok() ? std::string("(accepted)") : r.error().message;
}

TEST(ConsortiumGenesis, JsonRoundTrip) {
    Consortium c;
    const std::string text = consortium_genesis_to_json(c.genesis);
    auto back = parse_consortium_genesis(text);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_TRUE(*back == c.genesis);
    EXPECT_EQ(consortium_genesis_to_json(*back), text);
    EXPECT_EQ(consortium_id(*back), consortium_id(c.genesis));

    // Human-readable amounts and the fields in the documented order.
    json j = json::parse(text);
    EXPECT_EQ(j["min_gas_price"], "1000000000");
    EXPECT_EQ(j["alloc"]["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"]["balance"],
              "10000000000000000000000");
    EXPECT_EQ(j["validators"][2]["p2p_address"], "127.0.0.1:30302");
    EXPECT_EQ(j["validators"][2]["consensus_public_key"].get<std::string>().size(), 2 + 130u);
    EXPECT_LT(text.find("\"chain_id\""), text.find("\"validators\""));
}

TEST(ConsortiumGenesis, FileRoundTripAndChainConfig) {
    Consortium c;
    testing::TempDir dir;
    const fs::path path = dir.path() / "genesis.json";
    ASSERT_TRUE(save_consortium_genesis(path, c.genesis).ok());
    auto back = load_consortium_genesis(path);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_TRUE(*back == c.genesis);

    chain::ChainConfig cc = to_chain_config(*back);
    EXPECT_EQ(cc.chain_id, 4242u);
    EXPECT_EQ(cc.gas_limit, 30'000'000u);
    EXPECT_EQ(cc.base_fee, uint256(1'000'000'000));
    EXPECT_EQ(cc.genesis_timestamp, static_cast<uint64_t>(kNow));
    ASSERT_EQ(cc.alloc.size(), 2u);
    // In address order: 0x7099... before 0xf39F...
    EXPECT_EQ(cc.alloc[0].balance, uint256(7));
    // The genesis block follows from the chain config alone, so equal files give equal blocks.
    EXPECT_EQ(chain::make_genesis(cc).first.hash(),
              chain::make_genesis(to_chain_config(c.genesis)).first.hash());

    auto cas = organisation_cas(*back);
    ASSERT_TRUE(cas.ok());
    ASSERT_EQ(cas->size(), 2u);
    EXPECT_EQ((*cas)[1].fingerprint(), c.cas[1].cert.fingerprint());
    EXPECT_EQ(back->validator_index("org2-node1"), 2u);
    EXPECT_FALSE(back->validator_index("org9-node1").has_value());

    auto missing = load_consortium_genesis(dir.path() / "none.json");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST(ConsortiumGenesis, IdCoversValidatorsAndCas) {
    Consortium c;
    const Hash32 id = consortium_id(c.genesis);
    auto changed = [&](const std::function<void(ConsortiumGenesis&)>& edit) {
        ConsortiumGenesis g = c.genesis;
        edit(g);
        return consortium_id(g) != id;
    };
    EXPECT_TRUE(changed([](auto& g) { g.validators[3].p2p_address.port++; }));
    EXPECT_TRUE(changed([](auto& g) { std::swap(g.validators[0], g.validators[1]); }));
    EXPECT_TRUE(changed(
        [&](auto& g) { g.validators[0].consensus_key = c.consensus_keys[3].public_key(); }));
    EXPECT_TRUE(changed([](auto& g) { g.validators.pop_back(); }));
    EXPECT_TRUE(changed([](auto& g) { g.organisations[0].ca_cert_der.back() ^= 1; }));
    EXPECT_TRUE(changed([](auto& g) { g.organisations[0].name = "orgX"; }));
    EXPECT_TRUE(changed([](auto& g) { g.chain_id++; }));
    EXPECT_TRUE(changed([](auto& g) { g.alloc[0].balance += uint256(1); }));
    // The order of alloc entries is not part of the identity (a JSON object has no order).
    EXPECT_FALSE(changed([](auto& g) { std::swap(g.alloc[0], g.alloc[1]); }));
}

TEST(ConsortiumGenesis, RejectsMissingAndUnknownFields) {
    Consortium c;
    const auto& g = c.genesis;
    EXPECT_EQ(genesis_error(g, [](json& j) { j.erase("chain_id"); }),
              "genesis.json: chain_id: missing (required)");
    EXPECT_EQ(genesis_error(g, [](json& j) { j["validators"][1].erase("p2p_address"); }),
              "genesis.json: validators[1].p2p_address: missing (required)");
    EXPECT_EQ(genesis_error(g, [](json& j) { j["organisations"][0].erase("ca_cert"); }),
              "genesis.json: organisations[0].ca_cert: missing (required)");
    // A misspelt field is reported as unknown, before it would be reported missing.
    EXPECT_THAT(genesis_error(g,
                              [](json& j) {
                                  j["chainId"] = j["chain_id"];
                                  j.erase("chain_id");
                              }),
                HasSubstr("genesis.json: chainId: unknown field (expected one of: chain_id, "));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["validators"][0]["weight"] = 1; }),
                HasSubstr("validators[0].weight: unknown field (expected one of: name, "
                          "organisation, consensus_public_key, p2p_address)"));
    EXPECT_THAT(genesis_error(g,
                              [](json& j) {
                                  j["alloc"].begin()->push_back({"nonce", 1});
                              }),
                HasSubstr(".nonce: unknown field (expected one of: balance)"));
}

TEST(ConsortiumGenesis, RejectsBadValues) {
    Consortium c;
    const auto& g = c.genesis;
    EXPECT_THAT(
        genesis_error(g, [](json& j) { j["validators"][2]["consensus_public_key"] = "0x04zz"; }),
        HasSubstr("validators[2].consensus_public_key: expected 65-byte hex P-256 public "
                  "key"));
    EXPECT_THAT(genesis_error(g,
                              [](json& j) {
                                  j["validators"][2]["consensus_public_key"] =
                                      "0x04" + std::string(62, '1');
                              }),
                HasSubstr("validators[2].consensus_public_key: expected 65-byte hex P-256 public "
                          "key"));
    // Right length, but not a point on the curve.
    EXPECT_THAT(genesis_error(g,
                              [](json& j) {
                                  j["validators"][2]["consensus_public_key"] =
                                      "0x04" + std::string(128, '0');
                              }),
                HasSubstr("validators[2].consensus_public_key: expected 65-byte hex P-256 public "
                          "key"));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["validators"][3]["p2p_address"] = "nohost"; }),
                HasSubstr("validators[3].p2p_address: expected host:port"));
    EXPECT_THAT(
        genesis_error(g, [](json& j) { j["validators"][3]["p2p_address"] = "10.0.0.1:70000"; }),
        HasSubstr("validators[3].p2p_address: expected host:port"));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["validators"][3]["p2p_address"] = 30303; }),
                HasSubstr("validators[3].p2p_address: expected a string, got a number"));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["validators"][1]["organisation"] = "org9"; }),
                HasSubstr("validators[1].organisation: no organisation \"org9\" in organisations "
                          "(have: org1, org2)"));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["validators"][1]["name"] = "bad name"; }),
                HasSubstr("validators[1].name: expected a name of 1-60 letters"));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["chain_id"] = 0; }),
                HasSubstr("chain_id: must be between 1 and"));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["chain_id"] = -5; }),
                HasSubstr("chain_id: expected a non-negative integer, got -5"));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["chain_id"] = 1.5; }),
                HasSubstr("chain_id: expected a non-negative integer, got a number"));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["block_gas_limit"] = 100; }),
                HasSubstr("block_gas_limit: must be between 21000 and"));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["min_gas_price"] = "12ab"; }),
                HasSubstr("min_gas_price: expected an amount in wei"));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["min_gas_price"] = -1; }),
                HasSubstr("min_gas_price: expected an amount in wei as a decimal or 0x-hex "
                          "string, got -1"));
    EXPECT_THAT(genesis_error(g,
                              [](json& j) {
                                  j["alloc"]["0x1234"] = {{"balance", "1"}};
                              }),
                HasSubstr("alloc.0x1234: "));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["validators"] = json::array(); }),
                HasSubstr("validators: expected a non-empty array"));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["organisations"] = json::object(); }),
                HasSubstr("organisations: expected a non-empty array"));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["organisations"][1]["ca_cert"] = "not a cert"; }),
                HasSubstr("organisations[1].ca_cert: expected a PEM CA certificate"));

    // A node certificate is not a CA.
    auto node = crypto::issue_node_certificate(c.cas[0].cert, c.cas[0].key,
                                               {"org1", "n1", {}, kNow - kDay, kNow + kDay});
    ASSERT_TRUE(node.ok());
    EXPECT_THAT(
        genesis_error(g, [&](json& j) { j["organisations"][1]["ca_cert"] = node->cert.to_pem(); }),
        HasSubstr("organisations[1].ca_cert: expected a self-signed CA certificate"));
}

TEST(ConsortiumGenesis, RejectsDuplicates) {
    Consortium c;
    const auto& g = c.genesis;
    EXPECT_THAT(genesis_error(g, [](json& j) { j["validators"][1]["name"] = "org1-node1"; }),
                HasSubstr("validators[1].name: validator \"org1-node1\" is already "
                          "validators[0]"));
    EXPECT_THAT(genesis_error(g,
                              [](json& j) {
                                  j["validators"][3]["consensus_public_key"] =
                                      j["validators"][0]["consensus_public_key"];
                              }),
                HasSubstr("validators[3].consensus_public_key: the same key as validators[0]"));
    EXPECT_THAT(
        genesis_error(
            g,
            [](json& j) { j["validators"][2]["p2p_address"] = j["validators"][1]["p2p_address"]; }),
        HasSubstr("validators[2].p2p_address: the same address as validators[1]"));
    EXPECT_THAT(genesis_error(g, [](json& j) { j["organisations"][1]["name"] = "org1"; }),
                HasSubstr("organisations[1].name: organisation \"org1\" is listed twice"));
    EXPECT_THAT(
        genesis_error(
            g,
            [](json& j) { j["organisations"][1]["ca_cert"] = j["organisations"][0]["ca_cert"]; }),
        HasSubstr("organisations[1].ca_cert: the same CA certificate as another"));
    // One account spelt two ways (checksummed and lower case).
    EXPECT_THAT(
        genesis_error(
            g,
            [](json& j) {
                j["alloc"]["0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"] = {{"balance", "1"}};
            }),
        HasSubstr("the same account as alloc."));
}

TEST(ConsortiumGenesis, RejectsMalformedJson) {
    EXPECT_THAT(error_of(""), HasSubstr("genesis.json: not valid JSON: "));
    EXPECT_THAT(error_of("{\"chain_id\": 1,"), HasSubstr("not valid JSON: parse error at line 1"));
    EXPECT_EQ(error_of("[]"), "genesis.json: expected a JSON object at the top level");
    EXPECT_EQ(error_of("{\"chain_id\": 1, \"chain_id\": 2}"),
              "genesis.json: duplicate key \"chain_id\"");
    EXPECT_EQ(error_of(std::string(kMaxGenesisFileSize + 1, ' ')),
              "genesis.json: larger than 16777216 bytes");
    EXPECT_THAT(error_of("{\"chain_id\": \"\xff\"}"), HasSubstr("not valid JSON"));
}

TEST(NetAddress, ParsesHostPort) {
    auto ok = [](std::string_view text) {
        auto a = parse_net_address(text);
        EXPECT_TRUE(a.ok()) << text << ": " << (a.ok() ? "" : a.error().message);
        return a.ok() ? *a : NetAddress{};
    };
    EXPECT_EQ(ok("127.0.0.1:30300"), (NetAddress{"127.0.0.1", 30300}));
    EXPECT_EQ(ok("[::1]:1"), (NetAddress{"::1", 1}));
    EXPECT_EQ(ok("node1.org1.example:65535"), (NetAddress{"node1.org1.example", 65535}));
    EXPECT_EQ(ok("[::1]:30300").to_string(), "[::1]:30300");
    EXPECT_EQ(ok("localhost:8545").to_string(), "localhost:8545");
    for (const char* bad :
         {"", ":80", "host:", "host:0", "host:65536", "host:+80", "host:8o", "::1:80", "[::1]80",
          "[127.0.0.1]:80", "a b:80", "999.1.1.1:80", "host:123456", "-host:80"}) {
        auto a = parse_net_address(bad);
        EXPECT_FALSE(a.ok()) << bad;
        if (!a.ok()) {
            EXPECT_THAT(a.error().message, HasSubstr("expected host:port")) << bad;
        }
    }
}

TEST(NodeConfig, RoundTripWithRelativePaths) {
    testing::TempDir dir;
    const ConsortiumNodeConfig c = sample_node_config(dir.path());
    const fs::path path = dir.path() / "nodes" / "org1-node1" / "node.json";
    fs::create_directories(path.parent_path());
    ASSERT_TRUE(save_node_config(path, c).ok());

    std::ifstream in(path);
    json j = json::parse(in);
    // Paths are written relative to the file, so the whole directory can move.
    EXPECT_EQ(j["genesis"], "../../genesis.json");
    EXPECT_EQ(j["tls_cert"], "tls.pem");
    EXPECT_EQ(j["data_dir"], "data");
    EXPECT_EQ(j["log_level"], "debug");
    EXPECT_EQ(j["tuning"]["max_block_txs"], 1234);
    EXPECT_EQ(j["tuning"]["batch_interval_ms"], 7);

    auto back = load_node_config(path);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(*back, c);

    // Relative paths resolve against the file's directory, not the working directory.
    auto moved = parse_node_config(
        R"({"name": "n1", "genesis": "../genesis.json", "data_dir": "/var/lib/hc",
            "p2p_listen": "0.0.0.0:30300", "rpc_address": "127.0.0.1:8545",
            "tls_cert": "tls.pem", "tls_key": "tls.key", "consensus_key": "keys/c.key"})",
        "/etc/honeycomb/n1");
    ASSERT_TRUE(moved.ok()) << moved.error().to_string();
    EXPECT_EQ(moved->genesis, fs::path("/etc/honeycomb/genesis.json"));
    EXPECT_EQ(moved->data_dir, fs::path("/var/lib/hc"));
    EXPECT_EQ(moved->consensus_key, fs::path("/etc/honeycomb/n1/keys/c.key"));
    // Optional fields take their defaults.
    EXPECT_TRUE(moved->peers.empty());
    EXPECT_EQ(moved->log_level, log::Level::info);
    EXPECT_EQ(moved->tuning, NodeTuning{});
}

TEST(NodeConfig, RejectsMalformedConfigs) {
    EXPECT_EQ(node_error([](json& j) { j.erase("name"); }), "node.json: name: missing (required)");
    EXPECT_EQ(node_error([](json& j) { j.erase("tls_key"); }),
              "node.json: tls_key: missing (required)");
    EXPECT_THAT(node_error([](json& j) { j["listen"] = "x"; }),
                HasSubstr("node.json: listen: unknown field (expected one of: name, genesis, "));
    EXPECT_THAT(node_error([](json& j) { j["tuning"]["gas_limit"] = 1; }),
                HasSubstr("tuning.gas_limit: unknown field"));
    EXPECT_THAT(node_error([](json& j) { j["log_level"] = "verbose"; }),
                HasSubstr("log_level: unknown log level \"verbose\": use trace, debug, info, "
                          "warn, error or off"));
    EXPECT_THAT(node_error([](json& j) { j["p2p_listen"] = "127.0.0.1"; }),
                HasSubstr("p2p_listen: expected host:port"));
    EXPECT_THAT(node_error([](json& j) { j["rpc_address"] = j["p2p_listen"]; }),
                HasSubstr("rpc_address: the same address as p2p_listen"));
    EXPECT_THAT(node_error([](json& j) { j["peers"][1]["name"] = "org1-node1"; }),
                HasSubstr("peers[1].name: a node is not its own peer"));
    EXPECT_THAT(node_error([](json& j) { j["peers"][1]["name"] = "org1-node2"; }),
                HasSubstr("peers[1].name: peer \"org1-node2\" is already peers[0]"));
    EXPECT_THAT(node_error([](json& j) { j["peers"][1]["address"] = j["peers"][0]["address"]; }),
                HasSubstr("peers[1].address: the same address as peers[0]"));
    EXPECT_THAT(node_error([](json& j) { j["peers"][0].erase("address"); }),
                HasSubstr("peers[0].address: missing (required)"));
    EXPECT_THAT(node_error([](json& j) { j["peers"] = "org2-node1"; }),
                HasSubstr("peers: expected an array"));
    EXPECT_THAT(node_error([](json& j) { j["tuning"]["max_block_txs"] = 0; }),
                HasSubstr("tuning.max_block_txs: must be between 1 and 1000000, got 0"));
    EXPECT_THAT(node_error([](json& j) { j["tuning"]["batch_interval_ms"] = 0; }),
                HasSubstr("tuning.batch_interval_ms: must be between 1 and 10000, got 0"));
    EXPECT_THAT(node_error([](json& j) {
                    j["tuning"]["round_timeout_ms"] = 5000;
                    j["tuning"]["max_round_timeout_ms"] = 1000;
                }),
                HasSubstr("tuning.max_round_timeout_ms: must be at least "
                          "tuning.round_timeout_ms (5000)"));
    EXPECT_THAT(node_error([](json& j) { j["genesis"] = ""; }),
                HasSubstr("genesis: expected a path, got an empty string"));
    EXPECT_THAT(node_error([](json& j) { j["data_dir"] = 5; }),
                HasSubstr("data_dir: expected a string, got a number"));
}

TEST(NodeConfig, MustBeAValidatorOfTheGenesis) {
    Consortium c;
    ConsortiumNodeConfig config = sample_node_config("/cfg");
    Status ok = check_node_in_genesis(config, c.genesis);
    EXPECT_TRUE(ok.ok()) << ok.error().to_string();

    config.name = "org3-node1";
    Status st = check_node_in_genesis(config, c.genesis);
    ASSERT_FALSE(st.ok());
    EXPECT_THAT(st.error().message,
                HasSubstr("node \"org3-node1\" is not a validator in /cfg/genesis.json "
                          "(validators: org1-node1, org1-node2, org2-node1, org2-node2)"));

    config = sample_node_config("/cfg");
    config.peers[1].name = "stranger";
    st = check_node_in_genesis(config, c.genesis);
    ASSERT_FALSE(st.ok());
    EXPECT_THAT(st.error().message, HasSubstr("peers[1].name: \"stranger\" is not a validator"));
}

}  // namespace
}  // namespace hc::node
