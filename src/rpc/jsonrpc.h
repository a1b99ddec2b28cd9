// JSON-RPC 2.0 (https://www.jsonrpc.org/specification) without any transport or blockchain
// knowledge: requests in, responses out. Methods are plain functions registered by name on a
// Dispatcher; the transport (server.h, or a test) supplies the per-connection Session.
//
// Error codes follow EIP-1474. The Dispatcher answers every malformed input with a JSON-RPC
// error and never throws: it is fed raw bytes from the network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace hc::rpc {

// EIP-1474 error codes.
// Ethereum clients' code for a reverted eth_call / eth_estimateGas, with the revert data as
// `data` (geth, execution-apis); ethers and web3 decode reasons and custom errors from it.
inline constexpr int kExecutionReverted = 3;
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kInvalidInput = -32000;
inline constexpr int kResourceNotFound = -32001;
inline constexpr int kResourceUnavailable = -32002;
inline constexpr int kTransactionRejected = -32003;
inline constexpr int kMethodNotSupported = -32004;
inline constexpr int kLimitExceeded = -32005;

// The "error" member of a response. data is omitted from the response when null.
struct RpcError {
    int code;
    std::string message;
    nlohmann::json data = nullptr;

    bool operator==(const RpcError&) const = default;
};

RpcError parse_error(std::string message);
RpcError invalid_request(std::string message);
RpcError method_not_found(std::string message);
RpcError invalid_params(std::string message, nlohmann::json data = nullptr);
RpcError internal_error(std::string message);
RpcError invalid_input(std::string message, nlohmann::json data = nullptr);
RpcError resource_not_found(std::string message);
RpcError resource_unavailable(std::string message);
RpcError transaction_rejected(std::string message, nlohmann::json data = nullptr);
RpcError method_not_supported(std::string message);
RpcError limit_exceeded(std::string message);
RpcError execution_reverted(std::string message, nlohmann::json data);

// The serialised error object: {"code":..,"message":..[,"data":..]}.
nlohmann::json to_json(const RpcError& error);

// A server-to-client notification (a request without id), serialised for Session::send:
// {"jsonrpc":"2.0","method":<method>,"params":<params>}.
std::string make_notification(std::string_view method, const nlohmann::json& params);

using MethodResult = std::variant<nlohmann::json, RpcError>;

// Bounds on what one client may make the node do. The Dispatcher applies max_body_bytes,
// max_batch and max_depth; the server applies max_body_bytes, max_connections,
// max_subscriptions_per_connection and max_pending_bytes.
struct Limits {
    size_t max_body_bytes = 5 * 1024 * 1024;  // one HTTP body or one WebSocket message
    size_t max_batch = 1000;                  // requests in one batch
    size_t max_depth = 64;                    // JSON nesting: [[1]] has depth 2
    size_t max_connections = 512;             // open HTTP and WebSocket connections
    size_t max_subscriptions_per_connection = 128;
    size_t max_pending_bytes = 16 * 1024 * 1024;  // unsent WebSocket output before disconnecting
};

// The connection a request arrived on, as seen by method code: who is asking, a way to push
// notifications later (WebSocket only), and a hook to clean up when the connection goes away.
//
// Lifetime: a Session stays valid until its on_close callbacks have returned. Code that keeps
// a Session* beyond the method call (a subscription) must drop it in an on_close callback.
// Thread safety: every method may be called from any thread.
class Session {
  public:
    virtual ~Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    virtual bool is_websocket() const = 0;
    // Unique among the sessions of one process.
    uint64_t id() const { return id_; }
    // Queues text (normally a make_notification() result) for delivery. Messages sent from one
    // thread arrive in the order sent. Returns false, dropping the text, when the connection is
    // closed or is not a WebSocket.
    virtual bool send(std::string text) = 0;

    // Registers fn to run exactly once when the connection closes, on whichever thread closes
    // it; runs fn at once on the calling thread if the session is already closed. Callbacks run
    // in registration order; an exception from one is swallowed.
    void on_close(std::function<void()> fn);
    bool closed() const;

    // Per-connection subscription count bounded by Limits::max_subscriptions_per_connection.
    // try_add_subscription() returns false (counting nothing) at the limit or once closed.
    bool try_add_subscription();
    void remove_subscription();  // does nothing at zero
    size_t subscription_count() const;

  protected:
    explicit Session(size_t max_subscriptions);
    // Marks the session closed, then runs the on_close callbacks. Idempotent. Implementations
    // call it when the connection ends, and from their destructor as a backstop.
    void close_session() noexcept;

  private:
    const uint64_t id_;
    mutable std::mutex mu_;
    std::vector<std::function<void()>> on_close_;
    size_t subscriptions_ = 0;
    size_t max_subscriptions_;
    bool closed_ = false;
};

// An in-memory Session for tests and in-process callers: send() records the text.
class LocalSession final : public Session {
  public:
    explicit LocalSession(bool websocket = true,
                          size_t max_subscriptions = Limits{}.max_subscriptions_per_connection);
    ~LocalSession() override;

    bool is_websocket() const override { return websocket_; }
    bool send(std::string text) override;

    // Everything sent so far, in order.
    std::vector<std::string> sent() const;
    // Closes the session: runs the on_close callbacks; later sends return false.
    void close() { close_session(); }

  private:
    bool websocket_;
    mutable std::mutex sent_mu_;
    std::vector<std::string> sent_;
};

// A method's params are the request's "params" array or object, or an empty array when the
// request has none (or null). A method reports failure by returning an RpcError; if it throws,
// the Dispatcher answers -32602 for nlohmann type_error/out_of_range (a param of the wrong
// shape) and -32603 for anything else, with the exception's message.
using Method = std::function<MethodResult(const nlohmann::json& params, Session& session)>;
// A method that answers many requests of one batch in one call: params[i] are the i-th one's
// params, and the answer holds one result per request, in order. For work that pays to do
// together (eth_sendRawTransaction admits a batch's transactions under one pool lock). A request
// outside a batch is a batch of one. Exceptions are mapped as for a Method, for every request.
using BatchMethod = std::function<std::vector<MethodResult>(
    std::span<const nlohmann::json* const> params, Session& session)>;

// Routes requests to methods by name. Thread safety: handle() may run concurrently on many
// threads once every add() is done; methods must then be thread-safe themselves.
class Dispatcher {
  public:
    explicit Dispatcher(Limits limits = {}) : limits_(limits) {}

    // Registers (or replaces) a method.
    // REQUIRES: no concurrent handle().
    void add(std::string name, Method method);
    // Registers (or replaces) a method that takes a batch's requests for it at once.
    // REQUIRES: no concurrent handle().
    void add_batched(std::string name, BatchMethod method);
    bool contains(std::string_view name) const;
    const Limits& limits() const { return limits_; }

    // One HTTP body or WebSocket message in, the response text out: a response object, an array
    // of them for a batch, or "" when there is nothing to answer (every request was a
    // notification, i.e. had no "id"). Never throws.
    //
    // Malformed JSON -> -32700; not an object/array, "jsonrpc" not "2.0", method not a string,
    // params not array/object/null, id not a number/string/null -> -32600; empty batch -> one
    // -32600; body longer than max_body_bytes, batch longer than max_batch, or nesting deeper
    // than max_depth -> one -32005 naming the limit (depth is checked as the parser reads each
    // bracket, so an arbitrarily deep input costs nothing and never recurses); unknown method ->
    // -32601. A batch's requests for one batched method (add_batched) run together, at the first
    // of them; JSON-RPC lets a server process a batch in any order. Ids are echoed: numbers with
    // their spelling kept (1.50 stays 1.50, 1e2 stays 1e2), strings as the same string (escapes may
    // be spelled differently). Invalid requests are answered even without an id (with id null);
    // valid notifications never are, even when the method fails.
    std::string handle(std::string_view body, Session& session) const noexcept;

  private:
    std::string handle_body(std::string_view body, Session& session) const;
    std::string handle_request(const nlohmann::json& request, const std::string* raw_id,
                               Session& session) const;
    // A request that is well formed: its id as it is echoed, its method's name and its params.
    struct Call {
        std::string id;
        bool notification = false;
        const std::string* method = nullptr;
        const nlohmann::json* params = nullptr;
    };
    // The Call in `request`, or the error response for it.
    std::variant<Call, std::string> parse_call(const nlohmann::json& request,
                                               const std::string* raw_id) const;
    MethodResult invoke(const Call& call, Session& session) const;
    // The results of the batched method `name` for each of calls (all calling it).
    std::vector<MethodResult> invoke_batched(const BatchMethod& method,
                                             std::span<const Call* const> calls,
                                             Session& session) const;
    // The response text for a call's result; "" for a notification.
    std::string respond(const Call& call, const MethodResult& result) const;

    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    Limits limits_;
    std::unordered_map<std::string, Method, Hash, std::equal_to<>> methods_;
    std::unordered_map<std::string, BatchMethod, Hash, std::equal_to<>> batched_;
};

}  // namespace hc::rpc
