// The Ethereum JSON-RPC methods (web3_, net_, eth_) over a Node, with polling filters and
// WebSocket subscriptions. Formats follow the execution-apis specification, so ethers.js,
// web3.js and other Ethereum tooling work unchanged.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "node/node.h"
#include "rpc/jsonrpc.h"

namespace hc::node {

struct EthApiConfig {
    std::string client_version = "honeycomb";
    size_t max_logs = 10000;                   // results of one eth_getLogs / filter poll
    uint64_t max_log_block_range = 10000;      // blocks one eth_getLogs may scan
    size_t max_filters = 1024;                 // polling filters, node-wide
    std::chrono::seconds filter_timeout{300};  // a filter not polled for this long is removed
    size_t max_filter_backlog = 10000;         // unpolled changes kept per filter
    uint64_t max_fee_history_blocks = 1024;
};

class EthApi {
  public:
    // REQUIRES: node outlives the EthApi. Registers on node for block notifications.
    EthApi(Node& node, EthApiConfig config);
    ~EthApi();

    // Adds every method to dispatcher.
    void register_methods(rpc::Dispatcher& dispatcher);
    // The honeycomb_ methods: organisations, members, policies, proposals and the consensus set,
    // read from the governance state after the head block.
    void register_governance_methods(rpc::Dispatcher& dispatcher);

    // Feeds filters and subscriptions; called by the node after each block and for each newly
    // admitted transaction.
    void on_block(const chain::CommittedBlock& block);
    void on_pending_transaction(const Hash32& hash);

  private:
    enum class Kind : uint8_t { blocks, logs, pending };
    struct Filter {
        Kind kind;
        chain::LogFilter criteria;  // logs: from/to as given (to = max for "latest")
        bool to_latest = true;
        std::vector<nlohmann::json> changes;
        bool overflowed = false;
        std::chrono::steady_clock::time_point last_poll;
    };
    struct Subscription {
        Kind kind;
        chain::LogFilter criteria;
        rpc::Session* session;
    };

    rpc::MethodResult new_filter(Filter filter);
    rpc::MethodResult subscribe(const nlohmann::json& params, rpc::Session& session);
    void expire_filters();

    Node& node_;
    EthApiConfig config_;
    std::mutex mu_;  // filters_ and subscriptions_
    std::map<std::string, Filter> filters_;
    std::map<std::string, Subscription> subscriptions_;
    uint64_t next_id_ = 1;
};

}  // namespace hc::node
