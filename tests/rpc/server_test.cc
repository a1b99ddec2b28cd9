#include "rpc/server.h"

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace hc::rpc {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using beast::error_code;
using json = nlohmann::json;
using Response = http::response<http::string_body>;
using namespace std::chrono_literals;

// Only a guard against hangs: every client operation fails after this long.
constexpr auto kDeadline = 30s;

// Waits (generously) for cond to hold; false if it never does.
bool eventually(const std::function<bool()>& cond) {
    auto until = std::chrono::steady_clock::now() + kDeadline;
    while (!cond()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

// The clients below use asynchronous operations on a private io_context, because synchronous
// Asio calls cannot time out. This runs that io_context until `done` (set by the last handler)
// or the deadline.
void run_until(net::io_context& ioc, const bool& done) {
    ioc.restart();
    auto until = std::chrono::steady_clock::now() + kDeadline;
    while (!done) {
        if (ioc.run_one_until(until) == 0) break;
    }
    EXPECT_TRUE(done) << "client operation did not complete";
}

// A minimal HTTP/1.1 client keeping one connection open.
class HttpClient {
  public:
    explicit HttpClient(uint16_t port) {
        error_code result;
        bool done = false;
        stream_.expires_after(kDeadline);
        stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                              [&](error_code ec) {
                                  result = ec;
                                  done = true;
                              });
        run_until(ioc_, done);
        EXPECT_FALSE(result) << result.message();
    }

    static http::request<http::string_body> post_request(
        std::string body, std::string content_type = "application/json") {
        http::request<http::string_body> req{http::verb::post, "/", 11};
        req.set(http::field::host, "127.0.0.1");
        if (!content_type.empty()) req.set(http::field::content_type, content_type);
        req.body() = std::move(body);
        req.prepare_payload();
        return req;
    }

    // Sends req and reads the response; the error, if any, goes to *error (else test failure).
    Response request(http::request<http::string_body> req, error_code* error = nullptr) {
        Response res;
        error_code result;
        bool done = false;
        stream_.expires_after(kDeadline);
        http::async_write(stream_, req, [&](error_code ec, size_t) {
            if (ec) {
                result = ec;
                done = true;
                return;
            }
            stream_.expires_after(kDeadline);
            http::async_read(stream_, buffer_, res, [&](error_code ec, size_t) {
                result = ec;
                done = true;
            });
        });
        run_until(ioc_, done);
        report(result, error);
        return res;
    }

    Response post(std::string body, std::string content_type = "application/json") {
        return request(post_request(std::move(body), std::move(content_type)));
    }

    void write_raw(std::string_view data) {
        error_code result;
        bool done = false;
        stream_.expires_after(kDeadline);
        net::async_write(stream_, net::buffer(data.data(), data.size()),
                         [&](error_code ec, size_t) {
                             result = ec;
                             done = true;
                         });
        run_until(ioc_, done);
        EXPECT_FALSE(result) << result.message();
    }

    Response read_response(error_code* error = nullptr) {
        Response res;
        error_code result;
        bool done = false;
        stream_.expires_after(kDeadline);
        http::async_read(stream_, buffer_, res, [&](error_code ec, size_t) {
            result = ec;
            done = true;
        });
        run_until(ioc_, done);
        report(result, error);
        return res;
    }

    // Reads raw bytes up to and including delim.
    // REQUIRES: nothing after delim has arrived yet.
    std::string read_until(std::string_view delim) {
        error_code result;
        std::string out;
        bool done = false;
        stream_.expires_after(kDeadline);
        net::async_read_until(stream_, net::dynamic_buffer(out), std::string(delim),
                              [&](error_code ec, size_t) {
                                  result = ec;
                                  done = true;
                              });
        run_until(ioc_, done);
        EXPECT_FALSE(result) << result.message();
        return out;
    }

    // Waits for the server to close the connection; returns the error that ended the read
    // (message_size if data arrived instead).
    error_code wait_closed() {
        error_code result;
        bool done = false;
        stream_.expires_after(kDeadline);
        char byte;
        stream_.async_read_some(net::buffer(&byte, 1), [&](error_code ec, size_t) {
            result = ec ? ec : error_code(net::error::message_size);
            done = true;
        });
        run_until(ioc_, done);
        return result;
    }

  private:
    static void report(error_code result, error_code* error) {
        if (error != nullptr) {
            *error = result;
        } else {
            EXPECT_FALSE(result) << result.message();
        }
    }

    net::io_context ioc_;
    beast::tcp_stream stream_{ioc_};
    beast::flat_buffer buffer_;
};

class WsClient {
  public:
    // Connects and upgrades; the upgrade response goes to *response when given.
    WsClient(uint16_t port, std::string origin = "", websocket::response_type* response = nullptr) {
        error_code result;
        bool done = false;
        auto& tcp_layer = beast::get_lowest_layer(ws_);
        tcp_layer.expires_after(kDeadline);
        websocket::response_type res;
        tcp_layer.async_connect(
            tcp::endpoint(net::ip::make_address("127.0.0.1"), port), [&](error_code ec) {
                if (ec) {
                    result = ec;
                    done = true;
                    return;
                }
                if (!origin.empty()) {
                    ws_.set_option(
                        websocket::stream_base::decorator([origin](websocket::request_type& req) {
                            req.set(http::field::origin, origin);
                        }));
                }
                ws_.async_handshake(res, "127.0.0.1", "/", [&](error_code ec) {
                    result = ec;
                    done = true;
                });
            });
        run_until(ioc_, done);
        handshake_error_ = result;
        if (response != nullptr) *response = res;
        tcp_layer.expires_never();
        // No idle timer: it would keep the io_context busy. run_until bounds every wait.
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    }

    error_code handshake_error() const { return handshake_error_; }

    error_code write(std::string_view text) {
        error_code result;
        bool done = false;
        ws_.text(true);
        ws_.async_write(net::buffer(text.data(), text.size()), [&](error_code ec, size_t) {
            result = ec;
            done = true;
        });
        run_until(ioc_, done);
        return result;
    }

    // The next message, or nullopt when the read fails (error in *error).
    std::optional<std::string> read(error_code* error = nullptr) {
        error_code result;
        bool done = false;
        ws_.async_read(buffer_, [&](error_code ec, size_t) {
            result = ec;
            done = true;
        });
        run_until(ioc_, done);
        if (error != nullptr) *error = result;
        if (!done || result) return std::nullopt;
        std::string out = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        return out;
    }

    std::string call(std::string_view text) {
        auto ec = write(text);
        EXPECT_FALSE(ec) << ec.message();
        auto reply = read(&ec);
        EXPECT_TRUE(reply.has_value()) << ec.message();
        return reply.value_or("");
    }

    void close() {
        bool done = false;
        ws_.async_close(websocket::close_code::normal, [&](error_code) { done = true; });
        run_until(ioc_, done);
    }

    websocket::close_reason reason() const { return ws_.reason(); }

  private:
    net::io_context ioc_;
    websocket::stream<beast::tcp_stream> ws_{ioc_};
    beast::flat_buffer buffer_;
    error_code handshake_error_;
};

// Methods for the server tests. "subscribe" keeps the caller's Session so the test can push to
// it, and counts on_close callbacks.
struct Fixture {
    Dispatcher dispatcher;
    std::mutex mu;
    std::vector<Session*> subscribed;
    std::atomic<int> closes{0};

    Fixture() {
        dispatcher.add("echo", [](const json& params, Session&) -> MethodResult { return params; });
        dispatcher.add("is_ws", [](const json&, Session& s) -> MethodResult {
            return json{s.is_websocket(), s.send("pushed")};
        });
        dispatcher.add("subscribe", [this](const json&, Session& s) -> MethodResult {
            if (!s.try_add_subscription()) return limit_exceeded("too many subscriptions");
            {
                std::lock_guard lock(mu);
                subscribed.push_back(&s);
            }
            s.on_close([this, &s] {
                std::lock_guard lock(mu);
                std::erase(subscribed, &s);
                ++closes;
            });
            return "0x1";
        });
    }

    Session* only_subscriber() {
        std::lock_guard lock(mu);
        return subscribed.size() == 1 ? subscribed[0] : nullptr;
    }
    size_t subscriber_count() {
        std::lock_guard lock(mu);
        return subscribed.size();
    }
};

class ServerTest : public ::testing::Test {
  protected:
    void start(ServerConfig config = {}) {
        config.port = 0;
        config.logger = [this](std::string_view line) {
            std::lock_guard lock(log_mu);
            log.emplace_back(line);
        };
        auto started = Server::start(std::move(config), fx.dispatcher);
        ASSERT_TRUE(started.ok()) << started.error().to_string();
        server = std::move(started).value();
        ASSERT_NE(server->port(), 0);
    }

    static json error_of(const Response& res) {
        auto body = json::parse(res.body(), nullptr, false);
        EXPECT_TRUE(body.is_object()) << res.body();
        if (!body.is_object() || !body.contains("error")) return {};
        EXPECT_EQ(body["jsonrpc"], "2.0");
        EXPECT_EQ(body["id"], nullptr);
        return body["error"];
    }

    Fixture fx;
    std::mutex log_mu;
    std::vector<std::string> log;
    std::unique_ptr<Server> server;  // last: stopped before what its callbacks use goes away
};

constexpr std::string_view kEcho = R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[1]})";
constexpr std::string_view kEchoReply = R"({"jsonrpc":"2.0","id":1,"result":[1]})";

TEST_F(ServerTest, AnswersHttpPost) {
    start();
    HttpClient client(server->port());
    auto res = client.post(std::string(kEcho));
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res[http::field::content_type], "application/json");
    EXPECT_EQ(res.body(), kEchoReply);
    EXPECT_TRUE(res.keep_alive());
    EXPECT_TRUE(res[http::field::access_control_allow_origin].empty());
}

TEST_F(ServerTest, HttpSessionIsNotAWebSocket) {
    start();
    HttpClient client(server->port());
    auto res = client.post(R"({"jsonrpc":"2.0","id":1,"method":"is_ws"})");
    EXPECT_EQ(json::parse(res.body())["result"], json({false, false}));
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
    start();
    HttpClient client(server->port());
    for (int i = 0; i < 20; ++i) {
        std::string id = std::to_string(i);
        auto res = client.post(R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"echo","params":[)" +
                               id + "]}");
        ASSERT_EQ(res.result(), http::status::ok);
        EXPECT_EQ(res.body(), R"({"jsonrpc":"2.0","id":)" + id + R"(,"result":[)" + id + "]}");
    }
    EXPECT_EQ(server->connection_count(), 1u);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
    start();
    HttpClient client(server->port());
    std::string wire;
    for (int i = 0; i < 3; ++i) {
        std::string body = R"({"jsonrpc":"2.0","id":)" + std::to_string(i) + R"(,"method":"echo"})";
        wire += "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    client.write_raw(wire);
    for (int i = 0; i < 3; ++i) {
        auto res = client.read_response();
        EXPECT_EQ(json::parse(res.body())["id"], i);
    }
}

TEST_F(ServerTest, NotificationGetsAnEmptyBody) {
    start();
    HttpClient client(server->port());
    auto res = client.post(R"({"jsonrpc":"2.0","method":"echo"})");
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res.body(), "");
    EXPECT_EQ(client.post(std::string(kEcho)).body(), kEchoReply);  // connection still usable
}

TEST_F(ServerTest, JsonRpcErrorsTravelWithStatus200) {
    start();
    HttpClient client(server->port());
    auto res = client.post("{not json");
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(error_of(res)["code"], kParseError);
}

TEST_F(ServerTest, ContentTypeMustBeJson) {
    start();
    HttpClient client(server->port());
    for (std::string type : {"application/json; charset=utf-8", "Application/JSON",
                             "application/json;charset=UTF-8", "application/json-rpc"}) {
        auto res = client.post(std::string(kEcho), type);
        EXPECT_EQ(res.result(), http::status::ok) << type;
        EXPECT_EQ(res.body(), kEchoReply) << type;
    }
    for (std::string type : {"text/plain", "application/x-www-form-urlencoded", "",
                             "application/jsonx", "multipart/form-data"}) {
        HttpClient other(server->port());
        auto res = other.post(std::string(kEcho), type);
        EXPECT_EQ(res.result(), http::status::unsupported_media_type) << type;
        EXPECT_EQ(error_of(res)["code"], kInvalidRequest) << type;
    }
}

TEST_F(ServerTest, GetIsNotAllowedButKeepsTheConnection) {
    start();
    HttpClient client(server->port());
    http::request<http::string_body> get{http::verb::get, "/", 11};
    get.set(http::field::host, "x");
    auto res = client.request(get);
    EXPECT_EQ(res.result(), http::status::method_not_allowed);
    EXPECT_NE(res[http::field::allow].find("POST"), beast::string_view::npos);
    EXPECT_EQ(error_of(res)["code"], kInvalidRequest);
    EXPECT_EQ(client.post(std::string(kEcho)).body(), kEchoReply);
}

TEST_F(ServerTest, GetMetricsServesTheMetricsTextOnlyWhenConfigured) {
    ServerConfig config;
    std::atomic<int> calls{0};
    config.metrics = [&calls] {
        ++calls;
        return std::string("# TYPE hc_height gauge\nhc_height 7\n");
    };
    start(config);
    HttpClient client(server->port());
    http::request<http::string_body> get{http::verb::get, "/metrics", 11};
    get.set(http::field::host, "x");
    auto res = client.request(get);
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res.body(), "# TYPE hc_height gauge\nhc_height 7\n");
    EXPECT_NE(res[http::field::content_type].find("text/plain"), beast::string_view::npos);
    EXPECT_EQ(calls.load(), 1);
    // Other paths are still JSON-RPC only.
    http::request<http::string_body> other{http::verb::get, "/other", 11};
    other.set(http::field::host, "x");
    EXPECT_EQ(client.request(other).result(), http::status::method_not_allowed);
}

TEST_F(ServerTest, GetMetricsIsNotAllowedWithoutAProvider) {
    start();
    HttpClient client(server->port());
    http::request<http::string_body> get{http::verb::get, "/metrics", 11};
    get.set(http::field::host, "x");
    EXPECT_EQ(client.request(get).result(), http::status::method_not_allowed);
}

TEST_F(ServerTest, BodyOverTheLimitIs413) {
    ServerConfig config;
    config.limits.max_body_bytes = 1024;
    start(config);
    {
        HttpClient client(server->port());
        auto res = client.post(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[")" +
                               std::string(4096, 'a') + R"("]})");
        EXPECT_EQ(res.result(), http::status::payload_too_large);
        auto error = error_of(res);
        EXPECT_EQ(error["code"], kLimitExceeded);
        EXPECT_NE(error["message"].get<std::string>().find("1024"), std::string::npos) << error;
        EXPECT_FALSE(res.keep_alive());
        EXPECT_TRUE(client.wait_closed());
    }
    {
        // Chunked, so the size is known only while reading.
        HttpClient client(server->port());
        auto req = HttpClient::post_request(std::string(4096, ' ') + std::string(kEcho));
        req.chunked(true);
        auto res = client.request(req);
        EXPECT_EQ(res.result(), http::status::payload_too_large);
        EXPECT_EQ(error_of(res)["code"], kLimitExceeded);
    }
    {
        // Much larger than the limit (and than socket buffers).
        HttpClient client(server->port());
        auto res = client.post(std::string(8 << 20, ' '));
        EXPECT_EQ(res.result(), http::status::payload_too_large);
    }
    // Under the limit still works.
    HttpClient client(server->port());
    EXPECT_EQ(client.post(std::string(kEcho)).body(), kEchoReply);
}

TEST_F(ServerTest, ExpectContinueIsHonoured) {
    start();
    HttpClient client(server->port());
    std::string body(kEcho);
    client.write_raw(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: "
        "100-continue\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n");
    EXPECT_EQ(client.read_until("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
    client.write_raw(body);
    EXPECT_EQ(client.read_response().body(), kEchoReply);
}

TEST_F(ServerTest, MalformedHttpIs400) {
    start();
    HttpClient client(server->port());
    client.write_raw("THIS IS NOT HTTP\r\n\r\n");
    auto res = client.read_response();
    EXPECT_EQ(res.result(), http::status::bad_request);
    EXPECT_EQ(error_of(res)["code"], kInvalidRequest);
}

TEST_F(ServerTest, CorsForAllowedOrigins) {
    ServerConfig config;
    config.cors_origins = {"https://app.example"};
    start(config);
    HttpClient client(server->port());

    http::request<http::string_body> preflight{http::verb::options, "/", 11};
    preflight.set(http::field::host, "x");
    preflight.set(http::field::origin, "https://app.example");
    preflight.set(http::field::access_control_request_method, "POST");
    preflight.set(http::field::access_control_request_headers, "content-type");
    auto res = client.request(preflight);
    EXPECT_EQ(res.result(), http::status::no_content);
    EXPECT_EQ(res[http::field::access_control_allow_origin], "https://app.example");
    EXPECT_NE(res[http::field::access_control_allow_methods].find("POST"),
              beast::string_view::npos);
    EXPECT_NE(res[http::field::access_control_allow_methods].find("OPTIONS"),
              beast::string_view::npos);
    EXPECT_EQ(res[http::field::access_control_allow_headers], "Content-Type");

    auto post = HttpClient::post_request(std::string(kEcho));
    post.set(http::field::origin, "https://app.example");
    res = client.request(post);
    EXPECT_EQ(res.body(), kEchoReply);
    EXPECT_EQ(res[http::field::access_control_allow_origin], "https://app.example");

    // Another origin gets no CORS headers.
    preflight.set(http::field::origin, "https://evil.example");
    res = client.request(preflight);
    EXPECT_TRUE(res[http::field::access_control_allow_origin].empty());
    post.set(http::field::origin, "https://evil.example");
    res = client.request(post);
    EXPECT_TRUE(res[http::field::access_control_allow_origin].empty());
}

TEST_F(ServerTest, CorsWildcard) {
    ServerConfig config;
    config.cors_origins = {"*"};
    start(config);
    HttpClient client(server->port());
    auto post = HttpClient::post_request(std::string(kEcho));
    post.set(http::field::origin, "https://anything.example");
    auto res = client.request(post);
    EXPECT_EQ(res[http::field::access_control_allow_origin], "*");
}

TEST_F(ServerTest, ConnectionsOverTheLimitGet503) {
    ServerConfig config;
    config.limits.max_connections = 2;
    start(config);
    // Two connections, known to be accepted once they have been answered.
    auto a = std::make_unique<HttpClient>(server->port());
    HttpClient b(server->port());
    EXPECT_EQ(a->post(std::string(kEcho)).body(), kEchoReply);
    EXPECT_EQ(b.post(std::string(kEcho)).body(), kEchoReply);
    EXPECT_EQ(server->connection_count(), 2u);

    for (int i = 0; i < 3; ++i) {
        HttpClient c(server->port());
        error_code ec;
        auto res = c.request(HttpClient::post_request(std::string(kEcho)), &ec);
        ASSERT_FALSE(ec) << ec.message();
        EXPECT_EQ(res.result(), http::status::service_unavailable);
        auto error = error_of(res);
        EXPECT_EQ(error["code"], kLimitExceeded);
        EXPECT_EQ(error["message"], "too many connections (limit 2)");
        EXPECT_TRUE(c.wait_closed());
    }
    // A WebSocket upgrade is refused the same way.
    websocket::response_type upgrade;
    WsClient ws(server->port(), "", &upgrade);
    EXPECT_TRUE(ws.handshake_error());
    EXPECT_EQ(upgrade.result(), http::status::service_unavailable);

    // The held connections still work; closing one frees its place.
    EXPECT_EQ(b.post(std::string(kEcho)).body(), kEchoReply);
    a.reset();
    ASSERT_TRUE(eventually([&] { return server->connection_count() == 1; }));
    HttpClient d(server->port());
    EXPECT_EQ(d.post(std::string(kEcho)).body(), kEchoReply);
}

TEST_F(ServerTest, IdleConnectionsAreClosed) {
    ServerConfig config;
    config.idle_timeout = 100ms;
    start(config);
    HttpClient client(server->port());
    EXPECT_EQ(client.post(std::string(kEcho)).body(), kEchoReply);
    EXPECT_EQ(client.wait_closed(), net::error::eof);
    EXPECT_TRUE(eventually([&] { return server->connection_count() == 0; }));
}

TEST_F(ServerTest, TricklingHeadersAreCutOff) {
    ServerConfig config;
    config.idle_timeout = 200ms;
    start(config);
    HttpClient client(server->port());
    client.write_raw("POST / HTTP/1.1\r\nHost: x\r\n");  // and never the rest
    EXPECT_EQ(client.wait_closed(), net::error::eof);
}

TEST_F(ServerTest, WebSocketRequestResponse) {
    start();
    WsClient ws(server->port());
    ASSERT_FALSE(ws.handshake_error()) << ws.handshake_error().message();
    EXPECT_EQ(ws.call(kEcho), kEchoReply);
    // A notification gets no reply: the next message answers the next request.
    EXPECT_FALSE(ws.write(R"({"jsonrpc":"2.0","method":"echo"})"));
    EXPECT_EQ(
        ws.call(
            R"([{"jsonrpc":"2.0","id":2,"method":"echo"},{"jsonrpc":"2.0","id":3,"method":"nope"}])"),
        R"([{"jsonrpc":"2.0","id":2,"result":[]},{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"the method nope does not exist/is not available"}}])");
    EXPECT_EQ(json::parse(ws.call("garbage"))["error"]["code"], kParseError);
    EXPECT_EQ(server->connection_count(), 1u);
}

TEST_F(ServerTest, WebSocketSessionCanSend) {
    start();
    WsClient ws(server->port());
    ASSERT_FALSE(ws.handshake_error());
    // The method pushes "pushed" before returning; the push still follows the reply (so a
    // client learns a subscription id before the subscription's first notification).
    EXPECT_FALSE(ws.write(R"({"jsonrpc":"2.0","id":1,"method":"is_ws"})"));
    EXPECT_EQ(ws.read(), R"({"jsonrpc":"2.0","id":1,"result":[true,true]})");
    EXPECT_EQ(ws.read(), "pushed");
}

TEST_F(ServerTest, PushFromAnotherThreadArrivesInOrder) {
    start();
    WsClient ws(server->port());
    ASSERT_FALSE(ws.handshake_error());
    EXPECT_EQ(ws.call(R"({"jsonrpc":"2.0","id":1,"method":"subscribe"})"),
              R"({"jsonrpc":"2.0","id":1,"result":"0x1"})");
    Session* session = fx.only_subscriber();
    ASSERT_NE(session, nullptr);
    EXPECT_TRUE(session->is_websocket());

    constexpr int kCount = 500;
    std::thread pusher([&] {
        for (int i = 0; i < kCount; ++i) {
            EXPECT_TRUE(session->send(make_notification("eth_subscription", json{{"n", i}})));
        }
    });
    int in_order = 0;
    for (int i = 0; i < kCount; ++i) {
        auto message = ws.read();
        if (!message) break;
        auto j = json::parse(*message, nullptr, false);
        if (j.is_discarded() || j["method"] != "eth_subscription" || j["params"]["n"] != i) break;
        ++in_order;
    }
    pusher.join();
    EXPECT_EQ(in_order, kCount);
    // Requests still get their replies between pushes.
    EXPECT_EQ(ws.call(kEcho), kEchoReply);
}

TEST_F(ServerTest, SubscriptionLimitPerConnection) {
    ServerConfig config;
    config.limits.max_subscriptions_per_connection = 2;
    start(config);
    WsClient ws(server->port());
    ASSERT_FALSE(ws.handshake_error());
    std::string sub = R"({"jsonrpc":"2.0","id":1,"method":"subscribe"})";
    EXPECT_TRUE(json::parse(ws.call(sub)).contains("result"));
    EXPECT_TRUE(json::parse(ws.call(sub)).contains("result"));
    EXPECT_EQ(json::parse(ws.call(sub))["error"]["code"], kLimitExceeded);
}

TEST_F(ServerTest, OnCloseRunsOnceWhenTheClientDisconnects) {
    start();
    {
        WsClient ws(server->port());
        ASSERT_FALSE(ws.handshake_error());
        EXPECT_TRUE(json::parse(ws.call(R"({"jsonrpc":"2.0","id":1,"method":"subscribe"})"))
                        .contains("result"));
        EXPECT_TRUE(json::parse(ws.call(R"({"jsonrpc":"2.0","id":2,"method":"subscribe"})"))
                        .contains("result"));
        ws.close();
    }
    ASSERT_TRUE(eventually([&] { return fx.closes == 2; }));  // one per registered callback
    EXPECT_EQ(fx.subscriber_count(), 0u);
    ASSERT_TRUE(eventually([&] { return server->connection_count() == 0; }));
    {
        // An abrupt disconnect (no close frame) too.
        WsClient ws(server->port());
        ASSERT_FALSE(ws.handshake_error());
        EXPECT_TRUE(json::parse(ws.call(R"({"jsonrpc":"2.0","id":1,"method":"subscribe"})"))
                        .contains("result"));
    }
    ASSERT_TRUE(eventually([&] { return fx.closes == 3; }));
    server->stop();
    EXPECT_EQ(fx.closes, 3);
}

TEST_F(ServerTest, StopClosesOpenConnectionsAndRunsOnClose) {
    start();
    WsClient ws1(server->port());
    WsClient ws2(server->port());
    ASSERT_FALSE(ws1.handshake_error());
    ASSERT_FALSE(ws2.handshake_error());
    EXPECT_TRUE(json::parse(ws1.call(R"({"jsonrpc":"2.0","id":1,"method":"subscribe"})"))
                    .contains("result"));
    EXPECT_TRUE(json::parse(ws2.call(R"({"jsonrpc":"2.0","id":1,"method":"subscribe"})"))
                    .contains("result"));
    HttpClient http_client(server->port());
    EXPECT_EQ(http_client.post(std::string(kEcho)).body(), kEchoReply);
    HttpClient silent(server->port());  // connected, never sends anything
    ASSERT_TRUE(eventually([&] { return server->connection_count() == 4; }));

    // A thread pushing all the while: send() must turn false, never crash.
    std::atomic<bool> stop_pushing{false};
    std::thread pusher([&] {
        // Drops the pointer in on_close, as real subscription code must.
        while (!stop_pushing) {
            std::lock_guard lock(fx.mu);
            if (fx.subscribed.empty()) break;
            fx.subscribed[0]->send("tick");
        }
    });

    server->stop();
    EXPECT_EQ(fx.closes, 2);
    EXPECT_EQ(fx.subscriber_count(), 0u);
    EXPECT_EQ(server->connection_count(), 0u);
    stop_pushing = true;
    pusher.join();

    // The clients see their connections end.
    error_code ec;
    while (ws1.read(&ec)) {
    }
    EXPECT_TRUE(ec);
    EXPECT_TRUE(http_client.wait_closed());
    EXPECT_TRUE(silent.wait_closed());

    server->stop();  // idempotent
    EXPECT_EQ(fx.closes, 2);
}

TEST_F(ServerTest, WebSocketMessageOverTheLimitClosesWith1009) {
    ServerConfig config;
    config.limits.max_body_bytes = 1024;
    start(config);
    WsClient ws(server->port());
    ASSERT_FALSE(ws.handshake_error());
    EXPECT_EQ(ws.call(kEcho), kEchoReply);
    EXPECT_FALSE(ws.write(std::string(4096, ' ')));
    // The read ends with the close frame (or, if the server is quicker to hang up than the client
    // to answer it, an error from answering).
    EXPECT_FALSE(ws.read().has_value());
    EXPECT_EQ(ws.reason().code, websocket::close_code::too_big);
}

TEST_F(ServerTest, WebSocketOriginMustBeAllowed) {
    {
        start();  // no cors_origins: browser upgrades are refused
        websocket::response_type res;
        WsClient ws(server->port(), "https://evil.example", &res);
        EXPECT_TRUE(ws.handshake_error());
        EXPECT_EQ(res.result(), http::status::forbidden);
        WsClient no_origin(server->port());
        EXPECT_FALSE(no_origin.handshake_error());
        server->stop();
    }
    ServerConfig config;
    config.cors_origins = {"https://app.example"};
    start(config);
    WsClient ok(server->port(), "https://app.example");
    ASSERT_FALSE(ok.handshake_error()) << ok.handshake_error().message();
    EXPECT_EQ(ok.call(kEcho), kEchoReply);
    WsClient bad(server->port(), "https://evil.example");
    EXPECT_TRUE(bad.handshake_error());
}

TEST_F(ServerTest, SlowReaderIsDisconnected) {
    ServerConfig config;
    config.limits.max_pending_bytes = 256 * 1024;
    start(config);
    WsClient ws(server->port());
    ASSERT_FALSE(ws.handshake_error());
    EXPECT_TRUE(json::parse(ws.call(R"({"jsonrpc":"2.0","id":1,"method":"subscribe"})"))
                    .contains("result"));
    Session* session = fx.only_subscriber();
    ASSERT_NE(session, nullptr);
    // The client reads nothing; once the socket buffers are full, output piles up in the server.
    std::string chunk(64 * 1024, 'x');
    size_t sent = 0;
    std::thread pusher([&] {
        while (sent < (512u << 20)) {
            std::lock_guard lock(fx.mu);
            if (fx.subscribed.empty() || !fx.subscribed[0]->send(chunk)) break;
            sent += chunk.size();
        }
    });
    EXPECT_TRUE(eventually([&] { return fx.closes == 1; }));
    pusher.join();
    EXPECT_LT(sent, 512u << 20);
    bool logged = false;
    {
        std::lock_guard lock(log_mu);
        for (const auto& line : log)
            logged |= line.find("not reading") != std::string::npos;
    }
    EXPECT_TRUE(logged);
}

// Methods run on the server's threads, at the configured nice value above the process's.
TEST_F(ServerTest, ServerThreadsRunAtTheirNiceValue) {
    fx.dispatcher.add("nice", [](const json&, Session&) -> MethodResult {
        errno = 0;
        return getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    });
    errno = 0;
    const int base = getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    ASSERT_EQ(errno, 0);
    ServerConfig config;
    config.thread_niceness = 2;
    config.threads = 1;
    start(config);
    HttpClient client(server->port());
    auto res = client.post(R"({"jsonrpc":"2.0","id":1,"method":"nice","params":[]})");
    ASSERT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(json::parse(res.body())["result"], std::min(base + 2, 19)) << res.body();
}

TEST_F(ServerTest, StartFailsOnABadAddressOrABusyPort) {
    start();
    ServerConfig busy;
    auto second = [&] {
        busy.port = server->port();
        return Server::start(busy, fx.dispatcher);
    }();
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, Errc::io);
    EXPECT_NE(second.error().message.find(std::to_string(server->port())), std::string::npos)
        << second.error().message;

    ServerConfig bad;
    bad.address = "not-an-address";
    bad.port = 0;
    auto third = Server::start(bad, fx.dispatcher);
    ASSERT_FALSE(third.ok());
    EXPECT_NE(third.error().message.find("not-an-address"), std::string::npos);
}

TEST_F(ServerTest, StopWithoutConnectionsAndDestructor) {
    start();
    server->stop();
    server->stop();
    server.reset();
    ServerConfig config;
    config.threads = 0;  // counts as 1
    start(config);
    HttpClient client(server->port());
    EXPECT_EQ(client.post(std::string(kEcho)).body(), kEchoReply);
    server.reset();  // the destructor stops
}

}  // namespace
}  // namespace hc::rpc
