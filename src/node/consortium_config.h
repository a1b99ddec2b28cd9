// The two files a consortium node runs from.
//
// genesis.json: what every member agrees on before block 0, identical on every node.
//
//   {
//     "chain_id": 1337,
//     "block_gas_limit": 30000000,
//     "min_gas_price": "1000000000",            // wei; the constant base fee (0: free)
//     "timestamp": 1767225600,                  // genesis block time, Unix seconds
//     "alloc": {"0xf39F...2266": {"balance": "10000000000000000000000"}},
//     "organisations": [{"name": "org1", "ca_cert": "-----BEGIN CERTIFICATE-----\n..."}],
//     "validators": [{"name": "org1-node1", "organisation": "org1",
//                     "consensus_public_key": "0x04...", "p2p_address": "127.0.0.1:30300"}],
//     "governance": {                           // optional, and so is each field
//       "permission_mode": "permissioned",      // or "open" (anyone may transact)
//       "members": [{"address": "0x...", "organisation": "org1", "role": "admin"}],
//       "policies": {"deploy_contract": "ANY roles=admin,client"},   // governance/policy.h
//       "proposal_lifetime_s": 604800, "epoch_blocks": 20
//     }
//   }
//
// The validators are the consensus node set in index order (validator i is index i in votes and
// quorum certificates). Amounts (min_gas_price, balance) are strings, decimal or 0x-hex, since
// JSON tools lose precision above 2^53; JSON integers are accepted too.
//
// node.json: one node's local settings; paths in it are relative to the file's directory.
//
//   {
//     "name": "org1-node1",                     // must be a validator of the genesis
//     "genesis": "../../genesis.json",
//     "data_dir": "data",
//     "p2p_listen": "127.0.0.1:30300",
//     "rpc_address": "127.0.0.1:8545",
//     "peers": [{"name": "org2-node1", "address": "127.0.0.1:30301"}],
//     "tls_cert": "tls.pem", "tls_key": "tls.key",
//     "consensus_key": "consensus.key",
//     "log_level": "info",                      // trace | debug | info | warn | error
//     "tuning": {"max_block_txs": 5000, "batch_size": 500,       // optional, each field too
//                "batch_interval_ms": 20,
//                "round_timeout_ms": 1000, "max_round_timeout_ms": 60000}
//   }
//
// Both parsers are strict: unknown fields, duplicate keys, wrong types and bad values are
// errors naming the field's path, e.g.
//   "genesis.json: validators[2].consensus_public_key: expected 65-byte hex P-256 public key
//    (0x04 || x || y): ...".
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/chain.h"
#include "common/error.h"
#include "common/log.h"
#include "crypto/signature.h"
#include "crypto/x509.h"
#include "governance/state.h"

namespace hc::node {

// Files larger than these are refused before parsing.
inline constexpr size_t kMaxGenesisFileSize = 16 * 1024 * 1024;
inline constexpr size_t kMaxNodeConfigFileSize = 1024 * 1024;

// "host:port": an IPv4 literal, a bracketed IPv6 literal ("[::1]:30300") or a DNS name, and a
// port 1-65535.
struct NetAddress {
    std::string host;  // without brackets
    uint16_t port = 0;

    std::string to_string() const;  // brackets around IPv6 hosts
    bool operator==(const NetAddress&) const = default;
};
Result<NetAddress> parse_net_address(std::string_view text);

// Organisation and node names: 1-60 characters of [A-Za-z0-9._-], starting with a letter or
// digit. They become certificate subjects and directory names, so nothing else is allowed.
inline constexpr size_t kMaxMemberNameSize = 60;
Status check_member_name(std::string_view name);

struct Organisation {
    std::string name;
    Bytes ca_cert_der;  // a self-signed CA certificate (the file holds it as PEM)

    bool operator==(const Organisation&) const = default;
};

struct Validator {
    std::string name;
    std::string organisation;         // the name of one of the genesis organisations
    crypto::PublicKey consensus_key;  // P-256, 65-byte uncompressed SEC1
    NetAddress p2p_address;

    bool operator==(const Validator&) const = default;
};

struct GenesisMember {
    Address address;
    std::string organisation;
    governance::Role role = governance::Role::client;
    bool operator==(const GenesisMember&) const = default;
};

// The initial governance: who may transact and who decides. The organisations and the node set
// come from the genesis's own lists.
struct GenesisGovernance {
    governance::PermissionMode permission_mode = governance::PermissionMode::permissioned;
    std::vector<GenesisMember> members;
    governance::PolicySet policies;  // the defaults, with what the file sets
    uint64_t proposal_lifetime_s = governance::BlockParams{}.proposal_lifetime_s;
    uint64_t epoch_blocks = governance::BlockParams{}.epoch_blocks;
    bool operator==(const GenesisGovernance& o) const {
        return permission_mode == o.permission_mode && members == o.members &&
               policies.rules() == o.policies.rules() &&
               proposal_lifetime_s == o.proposal_lifetime_s && epoch_blocks == o.epoch_blocks;
    }
};

struct ConsortiumGenesis {
    uint64_t chain_id = 0;
    uint64_t block_gas_limit = 0;
    uint256 min_gas_price;  // the constant base fee
    uint64_t timestamp = 0;
    std::vector<chain::GenesisAccount> alloc;  // sorted by address when parsed
    std::vector<Organisation> organisations;
    std::vector<Validator> validators;  // in consensus index order
    GenesisGovernance governance;

    // The alloc compares as a set (its order has no meaning); everything else in order.
    bool operator==(const ConsortiumGenesis&) const;

    // Index of the validator called `name`, if any.
    std::optional<size_t> validator_index(std::string_view name) const;
    const Organisation* organisation(std::string_view name) const;
};

// Parses and validates a genesis document. `source` names it in messages (a file name).
// Besides each field's own rules: at least one organisation and one validator; organisation
// names, CA certificates, validator names, consensus keys, p2p addresses and alloc addresses
// are each unique; every CA certificate is a self-signed CA allowed to sign certificates.
Result<ConsortiumGenesis> parse_consortium_genesis(std::string_view json_text,
                                                   std::string_view source = "genesis.json");
// The JSON text (2-space indented, ending in a newline). Parsing it gives `genesis` back.
std::string consortium_genesis_to_json(const ConsortiumGenesis& genesis);
Result<ConsortiumGenesis> load_consortium_genesis(const std::filesystem::path& path);
// Atomic (temporary file + rename); mode 0644, it holds nothing secret.
Status save_consortium_genesis(const std::filesystem::path& path, const ConsortiumGenesis& genesis);

// The organisations' CA certificates, parsed, in genesis order.
Result<std::vector<crypto::Certificate>> organisation_cas(const ConsortiumGenesis& genesis);

// The chain part of the genesis, consortium_id included: what chain::make_genesis builds block 0
// from.
chain::ChainConfig to_chain_config(const ConsortiumGenesis& genesis);
// The governance state block 0 starts with: the organisations, the validators as the node set,
// the members, policies and parameters of the governance section.
governance::GovernanceState initial_governance(const ConsortiumGenesis& genesis);

// The consortium's identity: keccak256 of the RLP list
//   ["honeycomb consortium v1", chain_id, block_gas_limit, min_gas_price, timestamp,
//    [[address, balance] ... sorted by address],
//    [[name, ca_cert_der] ... in genesis order],
//    [[name, organisation, consensus_key, p2p_address.to_string()] ... in index order],
//    governance::encode_state(initial_governance(genesis))]
// Every field of the genesis is in it, so two nodes agree on the id exactly when they agree on
// the whole genesis, CA certificates, validator set and governance included. It is the extra data
// of the genesis block (to_chain_config), so the genesis hash pins all of it.
Hash32 consortium_id(const ConsortiumGenesis& genesis);

struct Peer {
    std::string name;  // a validator of the genesis, not this node
    NetAddress address;

    bool operator==(const Peer&) const = default;
};

// Optional performance settings; block_gas_limit is in the genesis since all nodes must agree.
struct NodeTuning {
    uint64_t max_block_txs = 5000;          // transactions per proposed block, 1..1000000
    uint64_t batch_size = 500;              // transactions per gossip batch, 1..100000
    uint64_t batch_interval_ms = 20;        // or fewer once the first is this old, 1..10000
    uint64_t round_timeout_ms = 1000;       // the pacemaker's first round timeout, 10..600000
    uint64_t max_round_timeout_ms = 60000;  // its exponential back-off cap, >= round_timeout_ms

    bool operator==(const NodeTuning&) const = default;
};

struct ConsortiumNodeConfig {
    std::string name;
    // Paths are absolute once loaded when the file's own path was absolute; otherwise they are
    // relative to the current directory, as the file's path itself was.
    std::filesystem::path genesis;
    std::filesystem::path data_dir;
    NetAddress p2p_listen;
    NetAddress rpc_address;
    std::vector<Peer> peers;
    std::filesystem::path tls_cert;
    std::filesystem::path tls_key;
    std::filesystem::path consensus_key;
    // The CA certificate of the node's organisation, for an organisation that joined after the
    // genesis (which then does not list its CA). Optional.
    std::optional<std::filesystem::path> org_ca;
    log::Level log_level = log::Level::info;  // log::parse_level names
    NodeTuning tuning;

    bool operator==(const ConsortiumNodeConfig&) const = default;
};

// Parses and validates node.json text; relative paths are resolved against base_dir.
// Checks the file on its own (peer names unique and not the node itself, addresses valid);
// check_node_in_genesis() checks it against the genesis.
Result<ConsortiumNodeConfig> parse_node_config(std::string_view json_text,
                                               const std::filesystem::path& base_dir,
                                               std::string_view source = "node.json");
// Paths under base_dir are written relative to it, so a directory of configs can be moved.
std::string node_config_to_json(const ConsortiumNodeConfig& config,
                                const std::filesystem::path& base_dir);
Result<ConsortiumNodeConfig> load_node_config(const std::filesystem::path& path);
Status save_node_config(const std::filesystem::path& path, const ConsortiumNodeConfig& config);

// The node is a validator of the genesis and every peer is another one.
Status check_node_in_genesis(const ConsortiumNodeConfig& config, const ConsortiumGenesis& genesis);

// Everything a node needs from its files to join the network, cross-checked.
struct NodeIdentity {
    ConsortiumNodeConfig config;
    ConsortiumGenesis genesis;
    std::optional<size_t> validator_index;  // none: a node added by a vote after the genesis
    crypto::PrivateKey consensus_key;
    crypto::Certificate tls_cert;
    crypto::PrivateKey tls_key;
    // Every genesis organisation's CA in genesis order, then org_ca when it is another.
    std::vector<crypto::Certificate> trusted_cas;
};

// Loads node.json, its genesis, its keys and its TLS certificate, and checks that they fit: its
// TLS key is its certificate's, and the certificate was issued to it (CN = the node's name) by
// its own organisation's CA and is valid at `now_unix`. For a validator of the genesis, also
// check_node_in_genesis and that its consensus key is the one the genesis lists. Any other node
// is one a vote adds later: its organisation is its certificate's O, whose CA is the genesis's
// or org_ca's.
Result<NodeIdentity> load_node_identity(const std::filesystem::path& node_json, int64_t now_unix);

}  // namespace hc::node
