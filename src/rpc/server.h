// The JSON-RPC server: HTTP/1.1 and WebSocket on one port (Boost.Beast), both handing each
// request body or text message to a Dispatcher.
//
// HTTP: POST with Content-Type application/json (also application/json-rpc and
// application/jsonrequest; parameters such as charset are ignored) on any path; keep-alive and
// pipelining; "Expect: 100-continue" is honoured. JSON-RPC errors travel with status 200; the
// transport answers with its own status and a JSON-RPC error body:
//   413  body over Limits::max_body_bytes (-32005), then the connection is closed
//   415  other or missing content type
//   405  GET that is not a WebSocket upgrade (or GET /metrics, when served), and any other method
//   503  more than Limits::max_connections open connections (-32005), then closed
//   400  a request that is not HTTP
//   403  WebSocket upgrade from a browser Origin not in cors_origins
// OPTIONS answers CORS preflights with 204. GET /metrics answers with ServerConfig::metrics(),
// Prometheus text format, when that is set.
//
// WebSocket: upgrade (GET) on any path. Each text or binary message is dispatched and the reply
// sent as text; Session::send pushes notifications, queued per connection and written in order.
// A send() made by a method while it runs is delivered after that method's reply (a client thus
// learns a subscription's id before its first notification).
// A message over max_body_bytes closes the connection with close code 1009 (message too big).
// An idle connection is pinged; one that stops answering is closed after idle_timeout. A client
// that lets more than Limits::max_pending_bytes of output pile up unsent is disconnected.
//
// Methods run on the server's threads: a slow method holds up its own connection and one of
// `threads` workers. Exceptions never leave the server's threads; they are reported to the
// logger.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "rpc/jsonrpc.h"

namespace hc::rpc {

struct ServerConfig {
    std::string address = "127.0.0.1";  // an IPv4 or IPv6 address, or "localhost"
    uint16_t port = 8545;               // 0 picks a free port; see Server::port()
    // 0 counts as 1. More than the cores: methods block on the node's locks (the pool's, and
    // the chain's while a block is switched in), and the others keep the cores busy meanwhile
    // (docs/performance.md: about 10 % more transactions admitted with 4 than with 2 on 2 cores).
    size_t threads = 4;
    // Added to each server thread's nice value (Linux keeps one per thread). Under a load that
    // outruns the node, the threads that commit blocks (and so empty the pool) then come before
    // the admissions that fill it: with 3, W1 on one node measured 19,200-20,100 tx/s with a p50
    // of 117-130 ms against 17,400-19,800 tx/s and 330-560 ms at 0 (docs/performance.md).
    int thread_niceness = 3;
    // Transport limits: max_body_bytes, max_connections, max_subscriptions_per_connection,
    // max_pending_bytes. (Batch size and JSON depth are the Dispatcher's own Limits.)
    Limits limits;
    // Origins allowed to call from a browser: CORS headers on HTTP, and the Origin check of
    // WebSocket upgrades. Empty: no CORS headers, and browser WebSocket upgrades (which carry an
    // Origin) are refused; "*": any origin. Clients that send no Origin are always served.
    std::vector<std::string> cors_origins;
    // An HTTP connection waiting for its next request is closed after idle_timeout; the header
    // of a request must also arrive within it, and its body within request_timeout (so a client
    // trickling bytes cannot hold a connection forever). WebSocket: see above.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
    std::chrono::milliseconds request_timeout = std::chrono::seconds(30);
    // When set, GET /metrics answers with what it returns (Prometheus text exposition format).
    // Called on a server thread.
    std::function<std::string()> metrics;
    // Receives one line per noteworthy event (accept failure, exception caught). Default: silent.
    std::function<void(std::string_view)> logger;
};

class Server {
  public:
    // Binds, listens and starts the worker threads. Fails with Errc::invalid_argument for an
    // address that is not one, and Errc::io when the port cannot be bound.
    // REQUIRES: dispatcher outlives the server and is not modified while it runs.
    static Result<std::unique_ptr<Server>> start(ServerConfig config, const Dispatcher& dispatcher);

    ~Server();  // stop()
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // The bound port (the chosen one when configured with 0).
    uint16_t port() const;

    // Stops accepting, closes every connection and joins the worker threads. Returns promptly even
    // with connections open (in-flight replies are dropped; a method already running is waited
    // for). Every session's on_close callbacks have run when it returns. Idempotent.
    // REQUIRES: not called from a method or an on_close callback.
    void stop();

    // Open HTTP and WebSocket connections (those refused with 503 are not counted).
    size_t connection_count() const;

  private:
    struct Impl;
    explicit Server(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace hc::rpc
