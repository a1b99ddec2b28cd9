// `honeycomb init`: everything a local consortium network needs, in one directory.
//
//   honeycomb init --orgs 2 --nodes-per-org 2 --out ./net
//
// makes, for organisations org1..orgN with nodes <org>-node1..<org>-nodeK each:
//
//   DIR/genesis.json                  organisations (CA certificates), validators (consensus
//                                     public keys, p2p addresses), the dev accounts prefunded
//   DIR/orgs/<org>/ca.pem             the organisation's self-signed CA certificate
//   DIR/orgs/<org>/ca.key             its private key (PKCS#8 PEM, mode 0600)
//   DIR/orgs/<org>/admin.pem, .key    the organisation's first admin: a member certificate and
//                                     its secp256k1 account key (mode 0600), enrolled and funded
//                                     in the genesis
//   DIR/nodes/<node>/node.json        the node's settings; paths relative to this directory
//   DIR/nodes/<node>/tls.pem          TLS certificate issued by the organisation's CA
//   DIR/nodes/<node>/tls.key          its private key (PKCS#8 PEM, mode 0600)
//   DIR/nodes/<node>/consensus.key    P-256 consensus signing key (hex, mode 0600)
//   DIR/nodes/<node>/data/            the node's data directory (created when it first runs)
//
// Validators are numbered org-major (org1-node1, org1-node2, org2-node1, ...). Validator i
// listens for peers on HOST:(BASE_PORT + i) and serves JSON-RPC on HOST:(RPC_PORT + i); every
// node lists all the others as peers. The ten development accounts of `honeycomb dev`
// (node/dev_accounts.h) get 10000 ether each, with the same public keys, and are enrolled as
// clients (account i in organisation i mod N + 1): a local network only. The chain is
// permissioned: anyone else must enrol before transacting.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/address.h"
#include "common/error.h"
#include "common/fixed_bytes.h"

namespace hc::cli {

struct InitOptions {
    uint64_t orgs = 0;           // N >= 1
    uint64_t nodes_per_org = 1;  // K >= 1
    std::filesystem::path out;
    uint64_t base_port = 30300;  // p2p ports BASE_PORT .. BASE_PORT + N*K - 1
    uint64_t rpc_port = 8545;    // RPC ports RPC_PORT .. RPC_PORT + N*K - 1
    uint64_t chain_id = 1337;
    std::string host = "127.0.0.1";  // in every address, and in each TLS certificate
    std::string min_gas_price = "1000000000";
    uint64_t block_gas_limit = 30'000'000;
    uint64_t ca_validity_days = 3650;
    uint64_t cert_validity_days = 1825;
    bool force = false;  // replace genesis.json, orgs/ and nodes/ in a non-empty DIR
    // Permission mode `open`: anyone may transact, members or not (benchmarks with fresh
    // accounts). Default: `permissioned`.
    bool open = false;
    // Genesis time and certificate start; 0 means now. Tests pin it.
    int64_t now = 0;
};

// Most nodes one init makes: the network is one consensus group with every node a peer of
// every other, which past this size wants a real deployment plan rather than a generator.
inline constexpr uint64_t kMaxInitNodes = 256;

struct InitNode {
    std::string name;
    std::string organisation;
    std::filesystem::path dir;        // DIR/nodes/<name>
    std::filesystem::path node_json;  // DIR/nodes/<name>/node.json
    std::string p2p_address;          // host:port
    std::string rpc_address;
};

struct InitSummary {
    std::filesystem::path out;
    std::filesystem::path genesis;
    Hash32 consortium_id;
    uint64_t chain_id = 0;
    std::vector<std::string> organisations;
    std::vector<InitNode> nodes;  // in validator index order
};

// Generates everything into options.out (see the file comment). Fails without writing
// anything on invalid options, or on a non-empty out directory without options.force.
Result<InitSummary> run_init(const InitOptions& options);

// What `honeycomb init` prints: the nodes, their ports and paths, and how to start them.
std::string format_init_summary(const InitSummary& summary);

// `honeycomb join`: what an organisation joining a running consortium prepares, in DIR:
//
//   honeycomb join --genesis net/genesis.json --org org5 --out ./org5
//
//   DIR/orgs/<org>/ca.pem, ca.key     its CA (the key stays with the organisation)
//   DIR/orgs/<org>/admin.pem, .key    its first admin: a member certificate and account key
//   DIR/nodes/<org>-nodeK/            each node's node.json, tls.pem, tls.key, consensus.key;
//                                     node.json points at the consortium's genesis, names the
//                                     CA as org_ca (the genesis does not list it) and the genesis
//                                     nodes as peers
//   DIR/add_org.json                  the add_org action, the CA certificate in it
//   DIR/add_node-<node>.json          one add_node action per node
struct JoinOptions {
    std::filesystem::path genesis;  // the consortium's genesis.json
    std::string org;                // the new organisation's id
    std::string org_name;           // for people; default: the id
    std::filesystem::path out;
    uint64_t nodes = 1;
    std::string host = "127.0.0.1";
    uint64_t base_port = 30400;
    uint64_t rpc_port = 8645;
    uint64_t ca_validity_days = 3650;
    uint64_t cert_validity_days = 1825;
    int64_t now = 0;  // certificate start; 0 means now
};

struct JoinSummary {
    std::filesystem::path out;
    std::string org;
    Address admin;
    std::vector<InitNode> nodes;
    std::vector<std::filesystem::path> actions;  // add_org.json, then add_node-<node>.json
};

// Fails without writing on bad options, a genesis that does not load, an organisation or node
// name the genesis has, or a non-empty out directory.
Result<JoinSummary> run_join(const JoinOptions& options);

// Registers `init` on app, filling `options` when parsed.
CLI::App* add_init_command(CLI::App& app, InitOptions& options);
// Runs it from the command line: prints the summary, or the error to stderr. Exit code.
int run_init_command(const InitOptions& options);

CLI::App* add_join_command(CLI::App& app, JoinOptions& options);
int run_join_command(const JoinOptions& options);

}  // namespace hc::cli
