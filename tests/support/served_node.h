// A node of this process served over JSON-RPC on a free loopback port, for tests that drive a
// real endpoint from outside (the CLI's bench, member and gov commands). Header-only: the tests
// that use it link the node and RPC libraries already.
#pragma once

#include <memory>
#include <string>

#include "node/eth_api.h"
#include "node/node.h"
#include "rpc/server.h"

namespace hc::testing {

struct ServedNode {
    // Opens the node, starts its consensus thread and serves its API.
    Status start(node::NodeConfig config) {
        HC_ASSIGN_OR_RETURN(node, node::Node::open(std::move(config)));
        node->start();
        api = std::make_unique<node::EthApi>(*node, node::EthApiConfig{});
        api->register_methods(dispatcher);
        rpc::ServerConfig server_config;
        server_config.port = 0;
        HC_ASSIGN_OR_RETURN(server, rpc::Server::start(server_config, dispatcher));
        return {};
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }
    void stop() {
        if (server) server->stop();
        if (node) node->stop();
    }
    ~ServedNode() { stop(); }

    std::unique_ptr<node::Node> node;
    std::unique_ptr<node::EthApi> api;
    rpc::Dispatcher dispatcher;
    std::unique_ptr<rpc::Server> server;
};

}  // namespace hc::testing
