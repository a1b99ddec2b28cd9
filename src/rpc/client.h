// A small synchronous JSON-RPC client over HTTP/1.1 keep-alive or WebSocket, for driving a node
// from outside: the demo of `honeycomb up --demo` (cli/demo.h), the integration tests and the
// load generator.
//
// It favours plain, blocking code over throughput: one request at a time per connection, each
// step bounded by a timeout. Over WebSocket each request is one text message and its answer the
// next message received (no subscriptions: a client that reads notifications needs more).
// Not thread-safe; give each thread its own Client.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace hc::rpc {

// How a failed call reads (Error::code):
//   Errc::io                the request may not have reached the node, or its answer was lost:
//                           connect, WebSocket handshake, send or receive failed or timed out, or
//                           the HTTP reply was not JSON-RPC. The connection is closed; the next
//                           call reconnects.
//   Errc::invalid_argument  the node answered with a JSON-RPC error; message is
//                           "JSON-RPC error <code>: <message>" (see rpc_error_code).
//   Errc::decode            the node answered, but not with a well-formed JSON-RPC response.
bool is_transport_error(const Error& error);
// The JSON-RPC error code of an error the node answered with; nullopt for any other error.
std::optional<int> rpc_error_code(const Error& error);

// One call of a batch.
struct Request {
    std::string method;
    nlohmann::json params = nlohmann::json::array();
};

struct Endpoint {
    std::string host;
    uint16_t port = 0;
};

// "http://127.0.0.1:8545" (a trailing "/" allowed) or "127.0.0.1:8545" -> host and port.
Result<Endpoint> parse_http_url(std::string_view url);
// "127.0.0.1:8545", "[::1]:8545": the endpoint as an HTTP Host header or URL names it.
std::string host_port(const Endpoint& endpoint);

// The text of a JSON-RPC batch of `requests`, their ids running from first_id up: prepared once
// and sent many times with Client::batch_raw.
std::string batch_body(const std::vector<Request>& requests, uint64_t first_id);

enum class Transport {
    http,  // POST / per request, on a keep-alive connection
    ws,    // one WebSocket connection (GET / upgraded), one text message per request
};

class Client {
  public:
    // Connects lazily, on the first call. timeout bounds each connect, handshake, send and
    // receive.
    explicit Client(Endpoint endpoint, std::chrono::milliseconds timeout = std::chrono::seconds(10),
                    Transport transport = Transport::http);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // One call: the "result" member, or the error (see above).
    Result<nlohmann::json> call(std::string_view method,
                                nlohmann::json params = nlohmann::json::array());

    // One HTTP request carrying a JSON-RPC batch. The outer error is a transport failure, or an
    // error the node gave for the batch as a whole (too large, say); otherwise one result per
    // request, in the order of `requests` whatever order the node answered in.
    // REQUIRES: !requests.empty()
    Result<std::vector<Result<nlohmann::json>>> batch(const std::vector<Request>& requests);

    // batch() for a body made by batch_body(requests, first_id) with `count` requests: sends the
    // prepared text as it is, so a load generator builds no JSON per request while it measures.
    // REQUIRES: count > 0
    Result<std::vector<Result<nlohmann::json>>> batch_raw(std::string_view body, size_t count,
                                                          uint64_t first_id);

    // call(), retried on transport failures (reconnecting each time, pausing `pause` between
    // tries) until it succeeds, the node answers with an error, or `patience` has passed.
    // For a node that is starting or restarting. A retried eth_sendRawTransaction may answer
    // "already known".
    Result<nlohmann::json> call_retrying(
        std::string_view method, nlohmann::json params, std::chrono::milliseconds patience,
        std::chrono::milliseconds pause = std::chrono::milliseconds(20));

    // Opens the connection now; calls do this themselves when needed.
    Status connect();
    void disconnect();
    bool connected() const;
    const Endpoint& endpoint() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// JSON-RPC quantities ("0x1a") as integers. Fail on anything else, saying what was found.
Result<uint64_t> quantity_u64(const nlohmann::json& value);
// The JSON-RPC quantity of n: "0x0", "0x1a".
std::string quantity_hex(uint64_t n);

}  // namespace hc::rpc
