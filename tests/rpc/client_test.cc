// rpc::Client against a real rpc::Server on loopback, over HTTP and WebSocket: results, the three
// kinds of failure, batches (also prepared ones), reconnection, and the helpers for URLs and
// quantities.
#include "rpc/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "rpc/server.h"

namespace hc::rpc {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

class ClientTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dispatcher_.add("echo", [](const json& p, Session&) -> MethodResult { return p; });
        dispatcher_.add("fail", [](const json&, Session&) -> MethodResult {
            return invalid_input("no such thing");
        });
        dispatcher_.add("count",
                        [this](const json&, Session&) -> MethodResult { return json(++calls_); });
        dispatcher_.add("websocket",
                        [](const json&, Session& s) -> MethodResult { return s.is_websocket(); });
        start();
    }

    void start(uint16_t port = 0) {
        ServerConfig config;
        config.port = port;
        auto server = Server::start(config, dispatcher_);
        ASSERT_TRUE(server) << server.error().to_string();
        server_ = std::move(*server);
    }
    Endpoint endpoint() const { return {"127.0.0.1", server_->port()}; }

    Dispatcher dispatcher_;
    std::atomic<int> calls_ = 0;
    std::unique_ptr<Server> server_;
};

TEST_F(ClientTest, CallReturnsTheResultOverOneKeptAliveConnection) {
    Client client(endpoint(), 5s);
    EXPECT_FALSE(client.connected());
    auto r = client.call("echo", {1, "two"});
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(*r, json({1, "two"}));
    EXPECT_TRUE(client.connected());
    ASSERT_TRUE(client.call("echo"));
    EXPECT_EQ(server_->connection_count(), 1u);
}

TEST_F(ClientTest, ANodesErrorCarriesItsCode) {
    Client client(endpoint(), 5s);
    auto r = client.call("fail");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_EQ(r.error().message, "JSON-RPC error -32000: no such thing");
    EXPECT_EQ(rpc_error_code(r.error()), kInvalidInput);
    EXPECT_FALSE(is_transport_error(r.error()));

    auto missing = client.call("no_such_method");
    ASSERT_FALSE(missing);
    EXPECT_EQ(rpc_error_code(missing.error()), kMethodNotFound);
    // The connection survives a JSON-RPC error.
    EXPECT_TRUE(client.connected());
}

TEST_F(ClientTest, NoServerIsATransportErrorNamingTheEndpoint) {
    const Endpoint gone = endpoint();
    server_.reset();
    Client client(gone, 2s);
    auto r = client.call("echo");
    ASSERT_FALSE(r);
    EXPECT_TRUE(is_transport_error(r.error()));
    EXPECT_NE(r.error().message.find(host_port(gone)), std::string::npos) << r.error().message;
    EXPECT_EQ(rpc_error_code(r.error()), std::nullopt);
    EXPECT_FALSE(client.connected());
}

TEST_F(ClientTest, BatchAnswersInRequestOrder) {
    Client client(endpoint(), 5s);
    auto r = client.batch({{"echo", {1}}, {"fail", json::array()}, {"echo", {3}}});
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(r->size(), 3u);
    ASSERT_TRUE((*r)[0]);
    EXPECT_EQ(*(*r)[0], json({1}));
    ASSERT_FALSE((*r)[1]);
    EXPECT_EQ(rpc_error_code((*r)[1].error()), kInvalidInput);
    ASSERT_TRUE((*r)[2]);
    EXPECT_EQ(*(*r)[2], json({3}));
}

TEST_F(ClientTest, ReconnectsAfterTheServerRestarts) {
    Client client(endpoint(), 5s);
    ASSERT_TRUE(client.call("echo"));
    const uint16_t port = server_->port();
    server_.reset();
    EXPECT_FALSE(client.call("echo"));  // the old connection is gone
    ASSERT_NO_FATAL_FAILURE(start(port));
    auto r = client.call("echo", {7});
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(*r, json({7}));
}

TEST_F(ClientTest, CallRetryingWaitsForAServerThatComesUp) {
    const uint16_t port = server_->port();
    server_.reset();
    std::thread later([&] {
        std::this_thread::sleep_for(200ms);
        start(port);
    });
    Client client({"127.0.0.1", port}, 1s);
    auto r = client.call_retrying("count", json::array(), 10s);
    later.join();
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(*r, json(1));
}

TEST_F(ClientTest, CallRetryingGivesUpAfterItsPatience) {
    const Endpoint gone = endpoint();
    server_.reset();
    Client client(gone, 1s);
    const auto start = std::chrono::steady_clock::now();
    auto r = client.call_retrying("echo", json::array(), 300ms, 20ms);
    ASSERT_FALSE(r);
    EXPECT_TRUE(is_transport_error(r.error()));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(ClientTest, CallRetryingDoesNotRetryANodesError) {
    Client client(endpoint(), 5s);
    auto r = client.call_retrying("fail", json::array(), 10s);
    ASSERT_FALSE(r);
    EXPECT_EQ(rpc_error_code(r.error()), kInvalidInput);
}

TEST_F(ClientTest, APreparedBatchIsAnsweredInIdOrder) {
    Client client(endpoint(), 5s);
    const std::string body =
        batch_body({{"echo", {1}}, {"fail", json::array()}, {"echo", {3}}}, 40);
    EXPECT_EQ(json::parse(body)[0]["id"], 40);
    // The same bytes sent twice are answered twice.
    for (int round = 0; round < 2; ++round) {
        auto r = client.batch_raw(body, 3, 40);
        ASSERT_TRUE(r) << r.error().to_string();
        ASSERT_EQ(r->size(), 3u);
        EXPECT_EQ(*(*r)[0], json({1}));
        EXPECT_EQ(rpc_error_code((*r)[1].error()), kInvalidInput);
        EXPECT_EQ(*(*r)[2], json({3}));
    }
    // Ids other than the ones the caller names are the node's mistake, not a result.
    auto wrong = client.batch_raw(body, 3, 0);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, Errc::decode);
    auto missing = client.batch_raw(batch_body({{"echo", {1}}}, 0), 2, 0);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("no answer for request 1"), std::string::npos)
        << missing.error().message;
}

TEST_F(ClientTest, OverWebSocketACallIsOneMessageOnOneConnection) {
    Client client(endpoint(), 5s, Transport::ws);
    EXPECT_FALSE(client.connected());
    auto r = client.call("echo", {1, "two"});
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(*r, json({1, "two"}));
    EXPECT_TRUE(client.connected());
    auto ws = client.call("websocket");
    ASSERT_TRUE(ws) << ws.error().to_string();
    EXPECT_EQ(*ws, json(true));
    EXPECT_EQ(server_->connection_count(), 1u);
    // The HTTP client, for contrast, is not on a WebSocket.
    Client http(endpoint(), 5s);
    EXPECT_EQ(*http.call("websocket"), json(false));
}

TEST_F(ClientTest, OverWebSocketBatchesAnswerInRequestOrder) {
    Client client(endpoint(), 5s, Transport::ws);
    auto r = client.batch({{"echo", {1}}, {"fail", json::array()}, {"echo", {3}}});
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ(*(*r)[0], json({1}));
    ASSERT_FALSE((*r)[1]);
    EXPECT_EQ(rpc_error_code((*r)[1].error()), kInvalidInput);
    EXPECT_EQ(*(*r)[2], json({3}));
    auto raw = client.batch_raw(batch_body({{"echo", {5}}, {"websocket", json::array()}}, 7), 2, 7);
    ASSERT_TRUE(raw) << raw.error().to_string();
    EXPECT_EQ(*(*raw)[0], json({5}));
    EXPECT_EQ(*(*raw)[1], json(true));
}

TEST_F(ClientTest, OverWebSocketANodesErrorCarriesItsCode) {
    Client client(endpoint(), 5s, Transport::ws);
    auto r = client.call("fail");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_EQ(r.error().message, "JSON-RPC error -32000: no such thing");
    EXPECT_FALSE(is_transport_error(r.error()));
    auto missing = client.call("no_such_method");
    ASSERT_FALSE(missing);
    EXPECT_EQ(rpc_error_code(missing.error()), kMethodNotFound);
    EXPECT_TRUE(client.connected());
    EXPECT_TRUE(client.call("echo"));
}

TEST_F(ClientTest, OverWebSocketAServerGoneIsATransportErrorAndTheClientReconnects) {
    const Endpoint at = endpoint();
    Client client(at, 2s, Transport::ws);
    ASSERT_TRUE(client.call("echo"));
    server_.reset();
    auto lost = client.call("echo");  // the connection was closed under it
    ASSERT_FALSE(lost);
    EXPECT_TRUE(is_transport_error(lost.error())) << lost.error().to_string();
    EXPECT_NE(lost.error().message.find(host_port(at)), std::string::npos) << lost.error().message;
    EXPECT_FALSE(client.connected());
    auto refused = client.batch({{"echo", {1}}});  // nothing listens now
    ASSERT_FALSE(refused);
    EXPECT_TRUE(is_transport_error(refused.error())) << refused.error().to_string();
    EXPECT_EQ(rpc_error_code(refused.error()), std::nullopt);

    ASSERT_NO_FATAL_FAILURE(start(at.port));
    auto r = client.call("echo", {7});
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(*r, json({7}));
}

TEST(ParseHttpUrl, AcceptsHostAndPortWithOrWithoutScheme) {
    auto a = parse_http_url("http://127.0.0.1:8545/");
    ASSERT_TRUE(a) << a.error().to_string();
    EXPECT_EQ(a->host, "127.0.0.1");
    EXPECT_EQ(a->port, 8545);
    auto b = parse_http_url("localhost:1");
    ASSERT_TRUE(b) << b.error().to_string();
    EXPECT_EQ(b->host, "localhost");
    EXPECT_EQ(b->port, 1);
    auto v6 = parse_http_url("http://[::1]:8545");
    ASSERT_TRUE(v6) << v6.error().to_string();
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(host_port(*v6), "[::1]:8545");
}

TEST(ParseHttpUrl, RejectsWhatIsNotHostAndPort) {
    for (const char* bad : {"", "http://", "127.0.0.1", ":8545", "host:", "host:0", "host:65536",
                            "host:80x", "http://host:80/path"}) {
        auto r = parse_http_url(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, Errc::invalid_argument) << bad;
        EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
    }
}

TEST(Quantity, RoundTripsAndRejectsNonQuantities) {
    EXPECT_EQ(quantity_hex(0), "0x0");
    EXPECT_EQ(quantity_hex(26), "0x1a");
    EXPECT_EQ(quantity_hex(UINT64_MAX), "0xffffffffffffffff");
    for (uint64_t n : {uint64_t{0}, uint64_t{1}, uint64_t{1} << 40, UINT64_MAX}) {
        auto back = quantity_u64(quantity_hex(n));
        ASSERT_TRUE(back) << back.error().to_string();
        EXPECT_EQ(*back, n);
    }
    for (const json& bad : {json(26), json("26"), json("0x"), json("0xzz"),
                            json("0x10000000000000000"), json(nullptr)}) {
        auto r = quantity_u64(bad);
        ASSERT_FALSE(r) << bad.dump();
        EXPECT_EQ(r.error().code, Errc::decode) << bad.dump();
    }
}

}  // namespace
}  // namespace hc::rpc
