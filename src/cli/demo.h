// The demo of `honeycomb up --demo`: what a client of the consortium sees, driven from outside
// over JSON-RPC (rpc/client.h) exactly as a wallet would, against nodes that are already running.
//
//   1. waits until every node answers and reports the expected chain id;
//   2. sends signed value transfers between the development accounts (node/dev_accounts.h, funded
//      by `honeycomb init`), each to a different node, waits for their receipts and prints the
//      hashes, blocks and resulting balances;
//   3. deploys the Counter contract (demo_contract/Counter.sol) through one node, calls add() on
//      it through another, reads count() back with eth_call on a third and prints the Added event
//      from the receipt's logs;
//   4. checks that every node has the same block hash and state root at the lowest head among
//      them.
//
// Every wait is bounded; a failure is an error naming the node and what to look at. The demo can
// run any number of times against the same chain: nonces and balances are read, not assumed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"

namespace hc::cli {

struct DemoOptions {
    // The nodes' JSON-RPC URLs ("http://127.0.0.1:8545"); at least one. With fewer nodes than
    // steps, the steps reuse them in turn.
    std::vector<std::string> rpc_urls;
    // What the report calls each node ("org1-node1"), in the order of rpc_urls. Empty: the URLs.
    std::vector<std::string> names;
    uint64_t chain_id = 0;  // what every node must report
    // How long the nodes may take to answer JSON-RPC at all (they may still be starting).
    std::chrono::milliseconds ready_timeout = std::chrono::seconds(60);
    // How long a transaction may take to get a receipt, and the nodes to reach a common height.
    std::chrono::milliseconds commit_timeout = std::chrono::seconds(30);
    // Each JSON-RPC request's connect, send and receive.
    std::chrono::milliseconds request_timeout = std::chrono::seconds(5);
    // When set and true, the demo stops at its next wait with an error saying so (Ctrl-C).
    const std::atomic<bool>* cancel = nullptr;
    // Receives each line of the report as it happens (no trailing newline). Default: discarded.
    std::function<void(const std::string&)> print;
};

// What the demo established, for callers that check it.
struct DemoSummary {
    std::vector<std::string> transfer_hashes;
    std::string contract_address;  // 0x-prefixed, lower case
    uint64_t counter_value = 0;    // count() after the demo's add()
    uint64_t common_height = 0;    // where every node was compared
    std::string common_hash;       // the block hash every node has there
};

// Runs the demo (see the file comment). REQUIRES nothing of the nodes beyond JSON-RPC.
Result<DemoSummary> run_demo(const DemoOptions& options);

}  // namespace hc::cli
