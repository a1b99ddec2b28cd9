// The demo's failures: each is an error saying what to do, within its bounds, never a hang. (The
// demo's success against a real network is tests/integration/demo_test.cc.)
#include "cli/demo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "rpc/client.h"
#include "rpc/server.h"

namespace hc::cli {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A JSON-RPC server that answers eth_chainId with `chain_id` and nothing else.
struct FakeNode {
    explicit FakeNode(uint64_t chain_id) {
        dispatcher.add("eth_chainId", [chain_id](const json&, rpc::Session&) -> rpc::MethodResult {
            return json(rpc::quantity_hex(chain_id));
        });
        rpc::ServerConfig config;
        config.port = 0;
        auto started = rpc::Server::start(config, dispatcher);
        EXPECT_TRUE(started) << started.error().to_string();
        if (started) server = std::move(*started);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }

    rpc::Dispatcher dispatcher;
    std::unique_ptr<rpc::Server> server;
};

// A port nothing listens on: a server's, once it has stopped.
std::string dead_url() {
    FakeNode gone(1);
    return gone.url();
}

TEST(Demo, NeedsANode) {
    auto r = run_demo(DemoOptions{});
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("at least one node"));
}

TEST(Demo, RejectsABadUrl) {
    DemoOptions o;
    o.rpc_urls = {"http://127.0.0.1"};
    auto r = run_demo(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_THAT(r.error().message, HasSubstr("expected http://host:port"));
}

TEST(Demo, ANodeThatNeverAnswersFailsWithinTheReadyTimeout) {
    DemoOptions o;
    o.rpc_urls = {dead_url()};
    o.names = {"org1-node1"};
    o.chain_id = 1337;
    o.ready_timeout = 500ms;
    const auto start = std::chrono::steady_clock::now();
    auto r = run_demo(o);
    ASSERT_FALSE(r);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_EQ(r.error().code, Errc::io);
    EXPECT_THAT(r.error().message, HasSubstr("org1-node1 did not answer JSON-RPC within 0.5 s"));
    EXPECT_THAT(r.error().message, HasSubstr("log"));
}

TEST(Demo, ANodeOfAnotherChainIsNamed) {
    FakeNode ours(1337), theirs(5);
    DemoOptions o;
    o.rpc_urls = {ours.url(), theirs.url()};
    o.names = {"org1-node1", "org2-node1"};
    o.chain_id = 1337;
    auto r = run_demo(o);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message,
                HasSubstr("org2-node1 reports chain id 5, but this network's is 1337"));
}

TEST(Demo, NamesMustMatchTheUrls) {
    DemoOptions o;
    o.rpc_urls = {"http://127.0.0.1:1", "http://127.0.0.1:2"};
    o.names = {"org1-node1"};
    auto r = run_demo(o);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("1 names for 2 nodes"));
}

TEST(Demo, StopsWhenCancelled) {
    std::atomic<bool> cancel = false;
    DemoOptions o;
    o.rpc_urls = {dead_url()};
    o.chain_id = 1337;
    o.ready_timeout = 60s;
    o.cancel = &cancel;
    std::thread stopper([&] {
        std::this_thread::sleep_for(200ms);
        cancel = true;
    });
    const auto start = std::chrono::steady_clock::now();
    auto r = run_demo(o);
    stopper.join();
    ASSERT_FALSE(r);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_THAT(r.error().message, HasSubstr("interrupted"));
}

// Past the chain-id check the fake node answers nothing else, so the demo's first real step
// fails with the node's own error, named, rather than crashing on a missing answer.
TEST(Demo, ANodesRefusalIsReportedWithTheNodeAndMethod) {
    FakeNode node(1337);
    DemoOptions o;
    o.rpc_urls = {node.url()};
    o.names = {"org1-node1"};
    o.chain_id = 1337;
    std::vector<std::string> printed;
    o.print = [&](const std::string& line) { printed.push_back(line); };
    auto r = run_demo(o);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("org1-node1 eth_getBalance: JSON-RPC error -32601"));
    ASSERT_FALSE(printed.empty());
    EXPECT_EQ(printed[0], "1 node(s) answer JSON-RPC, chain id 1337");
}

}  // namespace
}  // namespace hc::cli
