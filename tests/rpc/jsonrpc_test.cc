#include "rpc/jsonrpc.h"

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace hc::rpc {
namespace {

using json = nlohmann::json;

class DispatcherTest : public ::testing::Test {
  protected:
    DispatcherTest() : DispatcherTest(Limits{}) {}
    explicit DispatcherTest(Limits limits) : dispatcher(limits) { register_methods(); }

    void register_methods() {
        dispatcher.add("echo", [](const json& params, Session&) -> MethodResult { return params; });
        dispatcher.add("count", [this](const json&, Session&) -> MethodResult { return ++calls; });
        dispatcher.add("greet", [](const json& params, Session&) -> MethodResult {
            return "hello " + params.at(0).get<std::string>();
        });
        dispatcher.add("fail", [](const json&, Session&) -> MethodResult {
            return invalid_input("no good", json{{"why", "because"}});
        });
        dispatcher.add("not_found", [](const json&, Session&) -> MethodResult {
            return resource_not_found("block 7 not found");
        });
        dispatcher.add("throws", [](const json&, Session&) -> MethodResult {
            throw std::runtime_error("disk on fire");
        });
        dispatcher.add("throws_int", [](const json&, Session&) -> MethodResult { throw 42; });
        dispatcher.add("bad_utf8", [](const json&, Session&) -> MethodResult {
            return std::string(
                "a\xff\xfe"
                "b");
        });
        dispatcher.add("session_id",
                       [](const json&, Session& s) -> MethodResult { return s.id(); });
    }

    // Handles body and parses the response, which must be valid JSON.
    json call(std::string_view body) {
        std::string out = dispatcher.handle(body, session);
        EXPECT_FALSE(out.empty()) << "no response to " << body.substr(0, 200);
        auto parsed = json::parse(out, nullptr, false);
        EXPECT_FALSE(parsed.is_discarded()) << "response is not JSON: " << out;
        return parsed;
    }

    // Asserts that response is a JSON-RPC error with code and id; returns its message.
    static std::string expect_error(const json& response, int code, const json& id = nullptr) {
        EXPECT_EQ(response.value("jsonrpc", ""), "2.0") << response;
        EXPECT_TRUE(response.contains("id")) << response;
        EXPECT_EQ(response["id"], id) << response;
        EXPECT_FALSE(response.contains("result")) << response;
        if (!response.contains("error")) {
            ADD_FAILURE() << "no error in " << response;
            return {};
        }
        EXPECT_EQ(response["error"]["code"], code) << response;
        return response["error"].value("message", "");
    }

    Dispatcher dispatcher;
    LocalSession session;
    int calls = 0;
};

TEST_F(DispatcherTest, AnswersAValidRequestExactly) {
    EXPECT_EQ(
        dispatcher.handle(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[1,"x"]})", session),
        R"({"jsonrpc":"2.0","id":1,"result":[1,"x"]})");
    EXPECT_EQ(
        dispatcher.handle(R"({"jsonrpc":"2.0","id":7,"method":"greet","params":["bob"]})", session),
        R"({"jsonrpc":"2.0","id":7,"result":"hello bob"})");
}

TEST_F(DispatcherTest, ParamsMayBeObjectAbsentOrNull) {
    EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":1}})")["result"],
              json({{"a", 1}}));
    EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"echo"})")["result"], json::array());
    EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":null})")["result"],
              json::array());
}

TEST_F(DispatcherTest, EchoesIdsAsSent) {
    auto id_text = [&](std::string_view id) {
        std::string body = R"({"jsonrpc":"2.0","method":"echo","params":[],"id":)";
        body += id;
        body += '}';
        return dispatcher.handle(body, session);
    };
    for (std::string_view id : {"0", "1", "-5", "9007199254740993", "18446744073709551615",
                                "18446744073709551616", "123456789012345678901234567890", "1.50",
                                "1e2", "-2.5E-3", "0.1", R"("abc")", R"("")", R"("a b")", "null"}) {
        EXPECT_EQ(id_text(id),
                  std::string(R"({"jsonrpc":"2.0","id":)") + std::string(id) + R"(,"result":[]})")
            << id;
    }
    // Strings come back as the same string, though escapes may be spelled differently.
    EXPECT_EQ(json::parse(id_text(R"("\u00e9\n\/")"))["id"], "\u00e9\n/");
}

TEST_F(DispatcherTest, RejectsStructuredAndBooleanIds) {
    for (std::string_view id : {"{}", R"({"a":1})", "[]", "[1]", "true", "false"}) {
        std::string body = R"({"jsonrpc":"2.0","method":"echo","id":)" + std::string(id) + "}";
        auto message = expect_error(call(body), kInvalidRequest);
        EXPECT_NE(message.find("id"), std::string::npos) << message;
    }
}

TEST_F(DispatcherTest, LastDuplicateIdWins) {
    EXPECT_EQ(call(R"({"jsonrpc":"2.0","method":"echo","id":1.5,"id":2.25})")["id"], 2.25);
    EXPECT_EQ(dispatcher.handle(R"({"jsonrpc":"2.0","method":"echo","id":1.50,"id":"x"})", session),
              R"({"jsonrpc":"2.0","id":"x","result":[]})");
}

TEST_F(DispatcherTest, MalformedJsonIsAParseError) {
    for (std::string_view body : std::initializer_list<std::string_view>{
             "", " ", "{", R"({"jsonrpc":"2.0",)", "[1,2", "{]", "nul", R"({"a":1}x)", "\"abc",
             "{\"a\":\"\xff\"}", std::string_view("\x00\x01", 2), "{'a':1}", "[1,]"}) {
        auto message = expect_error(call(body), kParseError);
        EXPECT_FALSE(message.empty());
    }
}

TEST_F(DispatcherTest, NonObjectRequestsAreInvalid) {
    for (std::string_view body : {"1", "\"x\"", "null", "true", "-3.5"}) {
        expect_error(call(body), kInvalidRequest);
    }
}

TEST_F(DispatcherTest, BadEnvelopesAreInvalidRequestsWithTheirId) {
    // Missing or wrong "jsonrpc".
    EXPECT_NE(expect_error(call(R"({"id":3,"method":"echo"})"), kInvalidRequest, 3).find("jsonrpc"),
              std::string::npos);
    expect_error(call(R"({"jsonrpc":"1.0","id":3,"method":"echo"})"), kInvalidRequest, 3);
    expect_error(call(R"({"jsonrpc":2.0,"id":3,"method":"echo"})"), kInvalidRequest, 3);
    // Missing or non-string method.
    expect_error(call(R"({"jsonrpc":"2.0","id":"a"})"), kInvalidRequest, "a");
    expect_error(call(R"({"jsonrpc":"2.0","id":"a","method":5})"), kInvalidRequest, "a");
    expect_error(call(R"({"jsonrpc":"2.0","id":"a","method":["echo"]})"), kInvalidRequest, "a");
    // Params that are neither array nor object.
    for (std::string_view params : {"\"x\"", "5", "true"}) {
        std::string body =
            R"({"jsonrpc":"2.0","id":9,"method":"echo","params":)" + std::string(params) + "}";
        auto message = expect_error(call(body), kInvalidRequest, 9);
        EXPECT_NE(message.find("params"), std::string::npos) << message;
    }
}

TEST_F(DispatcherTest, InvalidRequestsAreAnsweredEvenWithoutId) {
    expect_error(call(R"({"jsonrpc":"2.0","method":5})"), kInvalidRequest);
    expect_error(call(R"({"foo":"boo"})"), kInvalidRequest);
}

TEST_F(DispatcherTest, UnknownMethod) {
    auto message = expect_error(call(R"({"jsonrpc":"2.0","id":1,"method":"eth_nothing"})"),
                                kMethodNotFound, 1);
    EXPECT_EQ(message, "the method eth_nothing does not exist/is not available");
}

TEST_F(DispatcherTest, MethodErrorsKeepCodeMessageAndData) {
    auto response = call(R"({"jsonrpc":"2.0","id":1,"method":"fail"})");
    EXPECT_EQ(expect_error(response, kInvalidInput, 1), "no good");
    EXPECT_EQ(response["error"]["data"], json({{"why", "because"}}));

    response = call(R"({"jsonrpc":"2.0","id":1,"method":"not_found"})");
    EXPECT_EQ(expect_error(response, kResourceNotFound, 1), "block 7 not found");
    EXPECT_FALSE(response["error"].contains("data"));
}

TEST_F(DispatcherTest, ThrowingMethodsBecomeErrors) {
    // nlohmann type_error from reading a param of the wrong type.
    auto message = expect_error(call(R"({"jsonrpc":"2.0","id":1,"method":"greet","params":[5]})"),
                                kInvalidParams, 1);
    EXPECT_NE(message.find("type must be string"), std::string::npos) << message;
    EXPECT_EQ(message.find("[json.exception"), std::string::npos) << message;
    // nlohmann out_of_range from a missing param.
    expect_error(call(R"({"jsonrpc":"2.0","id":2,"method":"greet","params":[]})"), kInvalidParams,
                 2);
    // Params given as an object where an array is expected.
    expect_error(call(R"({"jsonrpc":"2.0","id":3,"method":"greet","params":{"a":1}})"),
                 kInvalidParams, 3);
    // Anything else is an internal error.
    EXPECT_EQ(
        expect_error(call(R"({"jsonrpc":"2.0","id":4,"method":"throws"})"), kInternalError, 4),
        "disk on fire");
    expect_error(call(R"({"jsonrpc":"2.0","id":5,"method":"throws_int"})"), kInternalError, 5);
}

TEST_F(DispatcherTest, InvalidUtf8InAResultIsReplacedNotThrown) {
    auto response = call(R"({"jsonrpc":"2.0","id":1,"method":"bad_utf8"})");
    ASSERT_TRUE(response.contains("result")) << response;
    EXPECT_EQ(response["result"].get<std::string>().front(), 'a');
    EXPECT_EQ(response["result"].get<std::string>().back(), 'b');
}

TEST_F(DispatcherTest, NotificationsGetNoResponseButRun) {
    EXPECT_EQ(dispatcher.handle(R"({"jsonrpc":"2.0","method":"count"})", session), "");
    EXPECT_EQ(calls, 1);
    // Not even when the method fails, throws or does not exist.
    EXPECT_EQ(dispatcher.handle(R"({"jsonrpc":"2.0","method":"throws"})", session), "");
    EXPECT_EQ(dispatcher.handle(R"({"jsonrpc":"2.0","method":"fail"})", session), "");
    EXPECT_EQ(dispatcher.handle(R"({"jsonrpc":"2.0","method":"nope"})", session), "");
    // id null is not a notification.
    EXPECT_EQ(dispatcher.handle(R"({"jsonrpc":"2.0","method":"count","id":null})", session),
              R"({"jsonrpc":"2.0","id":null,"result":2})");
}

TEST_F(DispatcherTest, BatchWithMixedResults) {
    auto response = call(R"([
        {"jsonrpc":"2.0","id":1,"method":"echo","params":[1]},
        {"jsonrpc":"2.0","method":"count"},
        {"jsonrpc":"2.0","id":"two","method":"nope"},
        1,
        {"jsonrpc":"2.0","id":3,"method":"fail"},
        {"jsonrpc":"2.0","id":4,"method":"greet","params":[7]},
        {"jsonrpc":"2.0","id":5.0,"method":"echo","params":{"k":"v"}}
    ])");
    ASSERT_TRUE(response.is_array()) << response;
    ASSERT_EQ(response.size(), 6u) << response;
    EXPECT_EQ(response[0]["id"], 1);
    EXPECT_EQ(response[0]["result"], json::array({1}));
    expect_error(response[1], kMethodNotFound, "two");
    expect_error(response[2], kInvalidRequest, nullptr);
    expect_error(response[3], kInvalidInput, 3);
    expect_error(response[4], kInvalidParams, 4);
    EXPECT_EQ(response[5]["result"], json({{"k", "v"}}));
    EXPECT_EQ(calls, 1);
}

TEST_F(DispatcherTest, BatchKeepsIdSpellingPerElement) {
    std::string out = dispatcher.handle(
        R"([{"jsonrpc":"2.0","id":1.0,"method":"echo"},{"jsonrpc":"2.0","id":2,"method":"echo"},)"
        R"({"jsonrpc":"2.0","id":3.10,"method":"echo"}])",
        session);
    EXPECT_EQ(out,
              R"([{"jsonrpc":"2.0","id":1.0,"result":[]},{"jsonrpc":"2.0","id":2,"result":[]},)"
              R"({"jsonrpc":"2.0","id":3.10,"result":[]}])");
}

TEST_F(DispatcherTest, BatchOfNotificationsGetsNoResponse) {
    EXPECT_EQ(
        dispatcher.handle(
            R"([{"jsonrpc":"2.0","method":"count"},{"jsonrpc":"2.0","method":"count"}])", session),
        "");
    EXPECT_EQ(calls, 2);
}

TEST_F(DispatcherTest, EmptyBatchIsOneInvalidRequest) {
    auto response = call("[]");
    ASSERT_TRUE(response.is_object()) << response;
    expect_error(response, kInvalidRequest);
}

TEST_F(DispatcherTest, InvalidBatchElementsAreAnsweredEach) {
    auto response = call("[1,2,3]");
    ASSERT_TRUE(response.is_array());
    ASSERT_EQ(response.size(), 3u);
    for (const auto& r : response)
        expect_error(r, kInvalidRequest);
}

class LimitedDispatcherTest : public DispatcherTest {
  protected:
    static Limits limits() {
        Limits l;
        l.max_batch = 3;
        l.max_body_bytes = 4096;
        return l;
    }
    LimitedDispatcherTest() : DispatcherTest(limits()) {}
};

TEST_F(LimitedDispatcherTest, BatchLimit) {
    std::string one = R"({"jsonrpc":"2.0","id":1,"method":"count"})";
    auto at_limit = call("[" + one + "," + one + "," + one + "]");
    ASSERT_TRUE(at_limit.is_array());
    EXPECT_EQ(at_limit.size(), 3u);

    auto over = call("[" + one + "," + one + "," + one + "," + one + "]");
    ASSERT_TRUE(over.is_object()) << over;
    auto message = expect_error(over, kLimitExceeded);
    EXPECT_NE(message.find("batch of 4"), std::string::npos) << message;
    EXPECT_NE(message.find("limit of 3"), std::string::npos) << message;
    EXPECT_EQ(calls, 3);  // nothing of the refused batch ran
}

TEST_F(LimitedDispatcherTest, BodyLimit) {
    std::string body = R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[")" +
                       std::string(5000, 'a') + R"("]})";
    auto message = expect_error(call(body), kLimitExceeded);
    EXPECT_NE(message.find("4096"), std::string::npos) << message;
}

// A request whose params nest `levels` arrays deep: total depth levels + 1.
std::string nested_request(size_t levels) {
    return R"({"jsonrpc":"2.0","id":1,"method":"echo","params":)" + std::string(levels, '[') +
           std::string(levels, ']') + "}";
}

TEST_F(DispatcherTest, DepthLimitIsExact) {
    auto ok = call(nested_request(63));  // depth 64
    EXPECT_TRUE(ok.contains("result")) << ok.dump().substr(0, 200);

    auto message = expect_error(call(nested_request(64)), kLimitExceeded);
    EXPECT_NE(message.find("nesting"), std::string::npos) << message;
    EXPECT_NE(message.find("64"), std::string::npos) << message;
}

TEST_F(DispatcherTest, MegabyteOfNestingIsRejectedWithoutCrashing) {
    const size_t n = 1 << 20;
    expect_error(call(std::string(n, '[')), kLimitExceeded);
    expect_error(call(std::string(n, '[') + std::string(n, ']')), kLimitExceeded);
    std::string objects;
    while (objects.size() < n)
        objects += R"({"a":)";
    expect_error(call(objects), kLimitExceeded);
    std::string mixed;
    while (mixed.size() < n)
        mixed += R"([{"a":)";
    expect_error(call(mixed), kLimitExceeded);
}

TEST_F(DispatcherTest, BracketsInsideStringsDoNotCount) {
    std::string body = R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[")" +
                       std::string(1000, '[') + R"(\"{{{"]})";
    auto response = call(body);
    ASSERT_TRUE(response.contains("result")) << response.dump().substr(0, 200);
    EXPECT_EQ(response["result"][0].get<std::string>().size(), 1004u);
}

TEST_F(DispatcherTest, PassesTheSession) {
    EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"session_id"})")["result"], session.id());
}

TEST_F(DispatcherTest, ConcurrentHandleCalls) {
    std::vector<std::thread> threads;
    std::atomic<int> good{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            LocalSession s;
            for (int i = 0; i < 500; ++i) {
                std::string id = std::to_string(t * 1000 + i);
                std::string out = dispatcher.handle(
                    R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"echo","params":[)" + id + "]}",
                    s);
                if (out == R"({"jsonrpc":"2.0","id":)" + id + R"(,"result":[)" + id + "]}") ++good;
            }
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(good.load(), 2000);
}

// A batched method sees a batch's requests for it in one call, and each gets its own answer.
class BatchedDispatcherTest : public DispatcherTest {
  protected:
    BatchedDispatcherTest() {
        dispatcher.add_batched("sum", [this](std::span<const json* const> params, Session&) {
            calls_of_sum.push_back(params.size());
            std::vector<MethodResult> out;
            for (const json* p : params) {
                if (!p->is_array() || p->empty() || !p->at(0).is_number_integer())
                    out.emplace_back(invalid_params("sum takes one integer"));
                else
                    out.emplace_back(json(p->at(0).get<int>() + 100));
            }
            return out;
        });
        dispatcher.add_batched("short", [](std::span<const json* const>, Session&) {
            return std::vector<MethodResult>{};  // a bug: fewer answers than requests
        });
        dispatcher.add_batched(
            "throws_batch",
            [](std::span<const json* const>, Session&) -> std::vector<MethodResult> {
                throw std::runtime_error("batch on fire");
            });
    }
    std::vector<size_t> calls_of_sum;
};

TEST_F(BatchedDispatcherTest, ABatchsRequestsForOneMethodGoInOneCallAnsweredInOrder) {
    auto response = call(R"([
        {"jsonrpc":"2.0","id":1,"method":"sum","params":[1]},
        {"jsonrpc":"2.0","id":2,"method":"count"},
        {"jsonrpc":"2.0","id":3,"method":"sum","params":["x"]},
        {"jsonrpc":"2.0","method":"sum","params":[5]},
        {"jsonrpc":"2.0","id":"four","method":"sum","params":[4]},
        {"jsonrpc":"2.0","id":5,"method":7}
    ])");
    ASSERT_TRUE(response.is_array()) << response;
    ASSERT_EQ(response.size(), 5u) << response;
    EXPECT_EQ(response[0]["id"], 1);
    EXPECT_EQ(response[0]["result"], 101);
    EXPECT_EQ(response[1]["result"], 1);
    expect_error(response[2], kInvalidParams, 3);
    EXPECT_EQ(response[3]["id"], "four");
    EXPECT_EQ(response[3]["result"], 104);
    expect_error(response[4], kInvalidRequest, 5);
    // One call for the four requests, the notification's included.
    EXPECT_EQ(calls_of_sum, std::vector<size_t>{4});
}

TEST_F(BatchedDispatcherTest, ARequestAloneIsABatchOfOne) {
    auto response = call(R"({"jsonrpc":"2.0","id":9,"method":"sum","params":[2]})");
    EXPECT_EQ(response["result"], 102) << response;
    EXPECT_EQ(calls_of_sum, std::vector<size_t>{1});
    EXPECT_TRUE(dispatcher.contains("sum"));
}

TEST_F(BatchedDispatcherTest, AFailingBatchedMethodAnswersEveryRequestWithTheError) {
    auto response = call(R"([
        {"jsonrpc":"2.0","id":1,"method":"throws_batch"},
        {"jsonrpc":"2.0","id":2,"method":"throws_batch"},
        {"jsonrpc":"2.0","id":3,"method":"short"}
    ])");
    ASSERT_EQ(response.size(), 3u) << response;
    EXPECT_EQ(expect_error(response[0], kInternalError, 1), "batch on fire");
    EXPECT_EQ(expect_error(response[1], kInternalError, 2), "batch on fire");
    EXPECT_NE(expect_error(response[2], kInternalError, 3).find("answered 0 of 1"),
              std::string::npos);
}

TEST(DispatcherRegistry, AddAndAddBatchedReplaceEachOther) {
    Dispatcher d;
    LocalSession s;
    d.add("m", [](const json&, Session&) -> MethodResult { return 1; });
    d.add_batched("m", [](std::span<const json* const> params, Session&) {
        return std::vector<MethodResult>(params.size(), json(2));
    });
    EXPECT_EQ(d.handle(R"({"jsonrpc":"2.0","id":1,"method":"m"})", s),
              R"({"jsonrpc":"2.0","id":1,"result":2})");
    d.add("m", [](const json&, Session&) -> MethodResult { return 3; });
    EXPECT_EQ(d.handle(R"([{"jsonrpc":"2.0","id":1,"method":"m"}])", s),
              R"([{"jsonrpc":"2.0","id":1,"result":3}])");
}

TEST(DispatcherRegistry, AddReplacesAndContains) {
    Dispatcher d;
    LocalSession s;
    EXPECT_FALSE(d.contains("m"));
    d.add("m", [](const json&, Session&) -> MethodResult { return 1; });
    d.add("m", [](const json&, Session&) -> MethodResult { return 2; });
    EXPECT_TRUE(d.contains("m"));
    EXPECT_EQ(d.handle(R"({"jsonrpc":"2.0","id":1,"method":"m"})", s),
              R"({"jsonrpc":"2.0","id":1,"result":2})");
}

TEST(RpcErrors, HelpersCarryEip1474Codes) {
    EXPECT_EQ(parse_error("m").code, -32700);
    EXPECT_EQ(invalid_request("m").code, -32600);
    EXPECT_EQ(method_not_found("m").code, -32601);
    EXPECT_EQ(invalid_params("m").code, -32602);
    EXPECT_EQ(internal_error("m").code, -32603);
    EXPECT_EQ(invalid_input("m").code, -32000);
    EXPECT_EQ(resource_not_found("m").code, -32001);
    EXPECT_EQ(resource_unavailable("m").code, -32002);
    EXPECT_EQ(transaction_rejected("m").code, -32003);
    EXPECT_EQ(method_not_supported("m").code, -32004);
    EXPECT_EQ(limit_exceeded("m").code, -32005);
    EXPECT_EQ(to_json(invalid_params("bad", json{1})),
              json({{"code", -32602}, {"message", "bad"}, {"data", {1}}}));
    EXPECT_EQ(to_json(invalid_params("bad")), json({{"code", -32602}, {"message", "bad"}}));
}

TEST(Notification, Format) {
    EXPECT_EQ(make_notification("eth_subscription", json{{"subscription", "0x1"}, {"result", 5}}),
              R"({"jsonrpc":"2.0","method":"eth_subscription","params":{"result":5,)"
              R"("subscription":"0x1"}})");
}

TEST(LocalSessionTest, RecordsSendsUntilClosed) {
    LocalSession s;
    EXPECT_TRUE(s.is_websocket());
    EXPECT_TRUE(s.send("a"));
    EXPECT_TRUE(s.send("b"));
    s.close();
    EXPECT_FALSE(s.send("c"));
    EXPECT_EQ(s.sent(), (std::vector<std::string>{"a", "b"}));

    LocalSession http(false);
    EXPECT_FALSE(http.is_websocket());
    EXPECT_FALSE(http.send("a"));
    EXPECT_TRUE(http.sent().empty());
}

TEST(LocalSessionTest, IdsAreUnique) {
    LocalSession a, b;
    EXPECT_NE(a.id(), b.id());
}

TEST(LocalSessionTest, OnCloseRunsOnceInOrder) {
    std::vector<int> order;
    {
        LocalSession s;
        s.on_close([&] { order.push_back(1); });
        s.on_close([&] { throw std::runtime_error("ignored"); });
        s.on_close([&] { order.push_back(2); });
        EXPECT_TRUE(order.empty());
        EXPECT_FALSE(s.closed());
        s.close();
        EXPECT_TRUE(s.closed());
        EXPECT_EQ(order, (std::vector<int>{1, 2}));
        s.close();
        EXPECT_EQ(order, (std::vector<int>{1, 2}));
        // Registered after closing: runs at once.
        s.on_close([&] { order.push_back(3); });
        EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    }  // the destructor does not run them again
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));

    int runs = 0;
    {
        LocalSession s;
        s.on_close([&] { ++runs; });
    }
    EXPECT_EQ(runs, 1);  // the destructor closes
}

TEST(LocalSessionTest, SubscriptionLimit) {
    LocalSession s(true, 2);
    EXPECT_TRUE(s.try_add_subscription());
    EXPECT_TRUE(s.try_add_subscription());
    EXPECT_FALSE(s.try_add_subscription());
    EXPECT_EQ(s.subscription_count(), 2u);
    s.remove_subscription();
    EXPECT_TRUE(s.try_add_subscription());
    s.remove_subscription();
    s.remove_subscription();
    s.remove_subscription();  // below zero: ignored
    EXPECT_EQ(s.subscription_count(), 0u);
    s.close();
    EXPECT_FALSE(s.try_add_subscription());
}

}  // namespace
}  // namespace hc::rpc
