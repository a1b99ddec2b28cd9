#include "rpc/server.h"

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace hc::rpc {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using beast::error_code;

namespace {

// How long a connection being closed may keep sending before it is cut (see linger_close).
constexpr auto kLingerTime = std::chrono::seconds(3);
constexpr size_t kHeaderLimit = 16 * 1024;
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

std::string_view sv(beast::string_view s) {
    return {s.data(), s.size()};
}

bool iequals(std::string_view a, std::string_view b) {
    return beast::iequals(beast::string_view(a.data(), a.size()),
                          beast::string_view(b.data(), b.size()));
}

// The state every connection of one server shares.
struct Shared {
    Shared(ServerConfig c, const Dispatcher& d) : config(std::move(c)), dispatcher(d) {}

    const ServerConfig config;
    const Dispatcher& dispatcher;
    std::atomic<size_t> connections{0};
    // Guards posting to the io_context from threads outside it (Session::send): once stop() has
    // set open to false under the exclusive lock, nothing more is posted and the io_context may
    // be destroyed.
    std::shared_mutex post_mu;
    bool open = true;

    void log(std::string_view line) const noexcept {
        if (!config.logger) return;
        try {
            config.logger(line);
        } catch (...) {
        }
    }

    // The value for Access-Control-Allow-Origin for a request from origin, or "" when that origin
    // is not allowed (or there is none).
    std::string cors_origin(std::string_view origin) const {
        if (origin.empty()) return {};
        for (const auto& allowed : config.cors_origins) {
            if (allowed == "*") return "*";
            if (iequals(allowed, origin)) return std::string(origin);
        }
        return {};
    }
};

// One counted place among Limits::max_connections, held by a connection for its lifetime and
// handed from the HTTP connection to the WebSocket one on upgrade.
class Slot {
  public:
    explicit Slot(Shared* shared) : shared_(shared) {
        if (shared_ != nullptr) shared_->connections.fetch_add(1);
    }
    Slot(Slot&& other) noexcept : shared_(std::exchange(other.shared_, nullptr)) {}
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
        if (shared_ != nullptr) shared_->connections.fetch_sub(1);
    }

  private:
    Shared* shared_;
};

std::string error_body(const RpcError& error) {
    nlohmann::json j = {{"jsonrpc", "2.0"}, {"id", nullptr}, {"error", to_json(error)}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// "application/json; charset=utf-8" -> true. Media types are case-insensitive.
bool is_json_media_type(std::string_view value) {
    value = value.substr(0, value.find(';'));
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    return iequals(value, "application/json") || iequals(value, "application/json-rpc") ||
           iequals(value, "application/jsonrequest");
}

// Errors in the HTTP syntax of a request (as opposed to the connection ending or timing out).
bool is_http_syntax_error(const error_code& ec) {
    return ec.category() == make_error_code(http::error::bad_method).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
}

std::string shortened(std::string_view s) {
    return s.size() <= 100 ? std::string(s) : std::string(s.substr(0, 100)) + "...";
}

class WsConnection : public Session, public std::enable_shared_from_this<WsConnection> {
  public:
    WsConnection(tcp::socket&& socket, Shared& shared, Slot slot)
        : Session(shared.config.limits.max_subscriptions_per_connection),
          ws_(std::move(socket)),
          executor_(ws_.get_executor()),
          shared_(shared),
          slot_(std::move(slot)) {}
    ~WsConnection() override { close_session(); }

    bool is_websocket() const override { return true; }

    bool send(std::string text) override {
        std::shared_lock lock(shared_.post_mu);
        if (!shared_.open || closed()) return false;
        auto self = weak_from_this().lock();  // empty once the connection is being destroyed
        if (!self) return false;
        net::post(executor_, [self = std::move(self), text = std::move(text)]() mutable {
            self->enqueue(std::move(text));
        });
        return true;
    }

    void start(http::request<http::string_body> request) {
        upgrade_request_ = std::move(request);
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = shared_.config.request_timeout;
        timeouts.idle_timeout = shared_.config.idle_timeout;
        timeouts.keep_alive_pings = true;
        ws_.set_option(timeouts);
        ws_.read_message_max(shared_.config.limits.max_body_bytes);
        ws_.async_accept(upgrade_request_, [self = shared_from_this()](error_code ec) {
            if (ec) return self->finish();
            self->read();
        });
    }

  private:
    void read() {
        ws_.async_read(buffer_,
                       [self = shared_from_this()](error_code ec, size_t) { self->on_read(ec); });
    }

    void on_read(error_code ec) {
        // Over max_body_bytes, Beast has already closed with code 1009 (message too big).
        if (ec) return finish();
        std::string_view message(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        std::string reply = shared_.dispatcher.handle(message, *this);
        buffer_.consume(buffer_.size());
        if (!reply.empty()) enqueue(std::move(reply));
        if (!finished_) read();
    }

    // On the strand. Replies and pushes share one queue, so they leave in the order queued.
    void enqueue(std::string text) {
        if (finished_) return;
        pending_bytes_ += text.size();
        if (pending_bytes_ > shared_.config.limits.max_pending_bytes) {
            shared_.log("rpc: closing WebSocket connection " + std::to_string(id()) +
                        ": client is not reading its messages (over " +
                        std::to_string(shared_.config.limits.max_pending_bytes) +
                        " bytes pending)");
            return finish();
        }
        queue_.push_back(std::move(text));
        if (queue_.size() == 1) write_front();
    }

    void write_front() {
        ws_.text(true);
        ws_.async_write(net::buffer(queue_.front()),
                        [self = shared_from_this()](error_code ec, size_t) {
                            if (ec) return self->finish();
                            self->pending_bytes_ -= self->queue_.front().size();
                            self->queue_.pop_front();
                            if (!self->queue_.empty()) self->write_front();
                        });
    }

    // Ends the connection: runs the on_close callbacks and closes the socket, which cancels any
    // operation still pending.
    void finish() {
        if (finished_) return;
        finished_ = true;
        close_session();
        error_code ignored;
        beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(ws_).close();
    }

    websocket::stream<beast::tcp_stream> ws_;
    net::any_io_executor executor_;  // the connection's strand
    Shared& shared_;
    Slot slot_;
    http::request<http::string_body> upgrade_request_;
    beast::flat_buffer buffer_;
    std::deque<std::string> queue_;  // front() is being written
    size_t pending_bytes_ = 0;
    bool finished_ = false;
};

class HttpConnection : public Session, public std::enable_shared_from_this<HttpConnection> {
  public:
    using Response = http::response<http::string_body>;

    HttpConnection(tcp::socket&& socket, Shared& shared, Slot slot)
        : Session(shared.config.limits.max_subscriptions_per_connection),
          stream_(std::move(socket)),
          shared_(shared),
          slot_(std::move(slot)) {}
    ~HttpConnection() override { close_session(); }

    bool is_websocket() const override { return false; }
    bool send(std::string) override { return false; }

    void start() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
    }

    // Answers a connection over the limit with 503 and closes it.
    void refuse() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            auto limit = self->shared_.config.limits.max_connections;
            self->write(self->error_response(http::status::service_unavailable,
                                             limit_exceeded("too many connections (limit " +
                                                            std::to_string(limit) + ")")),
                        true);
        });
    }

  private:
    void read_header() {
        parser_.emplace();
        parser_->header_limit(kHeaderLimit);
        // The parser also checks a Content-Length against this as soon as it reads it.
        parser_->body_limit(shared_.config.limits.max_body_bytes);
        cors_origin_.clear();
        stream_.expires_after(shared_.config.idle_timeout);
        http::async_read_header(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](error_code ec, size_t) { self->on_header(ec); });
    }

    void on_header(error_code ec) {
        if (ec == http::error::body_limit) return refuse_body();
        if (ec == http::error::header_limit) {
            return write(error_response(http::status::request_header_fields_too_large,
                                        invalid_request("request header over " +
                                                        std::to_string(kHeaderLimit) + " bytes")),
                         true);
        }
        if (ec && is_http_syntax_error(ec)) {
            return write(error_response(http::status::bad_request,
                                        invalid_request("malformed HTTP request: " + ec.message())),
                         true);
        }
        if (ec) return close();

        const auto& request = parser_->get();
        version_ = request.version();
        cors_origin_ = shared_.cors_origin(sv(request[http::field::origin]));
        // Whatever we answer without reading the body, we must close after: the unread body
        // would otherwise be taken for the next request.
        const bool close_after = !request.keep_alive() || !parser_->is_done();

        if (websocket::is_upgrade(request)) return upgrade();
        if (request.method() == http::verb::options) return preflight(close_after);
        if (request.method() == http::verb::get && request.target() == "/metrics" &&
            shared_.config.metrics) {
            Response res = response(http::status::ok, shared_.config.metrics());
            res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            return write(std::move(res), close_after);
        }
        if (request.method() != http::verb::post) {
            Response res = error_response(
                http::status::method_not_allowed,
                invalid_request("JSON-RPC over HTTP takes POST requests (or a WebSocket upgrade)"));
            res.set(http::field::allow, "POST, OPTIONS");
            return write(std::move(res), close_after);
        }
        if (!is_json_media_type(sv(request[http::field::content_type]))) {
            return write(error_response(http::status::unsupported_media_type,
                                        invalid_request("Content-Type must be application/json")),
                         close_after);
        }
        if (beast::iequals(request[http::field::expect], "100-continue") && !parser_->is_done()) {
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            stream_.expires_after(shared_.config.request_timeout);
            return net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                                    [self = shared_from_this()](error_code ec, size_t) {
                                        if (ec) return self->close();
                                        self->read_body();
                                    });
        }
        read_body();
    }

    void read_body() {
        stream_.expires_after(shared_.config.request_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](error_code ec, size_t) { self->on_body(ec); });
    }

    void on_body(error_code ec) {
        if (ec == http::error::body_limit) return refuse_body();
        if (ec) return close();
        const auto& request = parser_->get();
        write(response(http::status::ok, shared_.dispatcher.handle(request.body(), *this)),
              !request.keep_alive());
    }

    void refuse_body() {
        write(error_response(
                  http::status::payload_too_large,
                  limit_exceeded("request body exceeds the limit of " +
                                 std::to_string(shared_.config.limits.max_body_bytes) + " bytes")),
              true);
    }

    void preflight(bool close_after) {
        Response res{http::status::no_content, version_};
        res.set(http::field::allow, "POST, OPTIONS");
        if (!cors_origin_.empty()) {
            set_cors(res);
            res.set(http::field::access_control_allow_methods, "POST, OPTIONS");
            res.set(http::field::access_control_allow_headers, "Content-Type");
            res.set(http::field::access_control_max_age, "600");
        }
        write(std::move(res), close_after);
    }

    void upgrade() {
        const auto& request = parser_->get();
        auto origin = sv(request[http::field::origin]);
        if (!origin.empty() && cors_origin_.empty()) {
            return write(error_response(http::status::forbidden,
                                        invalid_request("WebSocket connections from origin " +
                                                        shortened(origin) + " are not allowed")),
                         true);
        }
        if (!parser_->is_done()) {
            return write(error_response(http::status::bad_request,
                                        invalid_request("a WebSocket upgrade has no body")),
                         true);
        }
        stream_.expires_never();
        auto ws =
            std::make_shared<WsConnection>(stream_.release_socket(), shared_, std::move(slot_));
        ws->start(parser_->release());
    }

    Response response(http::status status, std::string body) {
        Response res{status, version_};
        res.set(http::field::content_type, "application/json");
        set_cors(res);
        res.body() = std::move(body);
        return res;
    }
    Response error_response(http::status status, const RpcError& error) {
        return response(status, error_body(error));
    }
    void set_cors(Response& res) const {
        if (cors_origin_.empty()) return;
        res.set(http::field::access_control_allow_origin, cors_origin_);
        if (cors_origin_ != "*") res.set(http::field::vary, "Origin");
    }

    void write(Response res, bool close_after) {
        res.keep_alive(!close_after);
        res.prepare_payload();
        response_ = std::move(res);
        stream_.expires_after(shared_.config.request_timeout);
        http::async_write(stream_, response_,
                          [self = shared_from_this(), close_after](error_code ec, size_t) {
                              if (ec) return self->close();
                              if (close_after) return self->linger_close();
                              self->read_header();
                          });
    }

    // Closes after a response the client may still be sending into (a refused body, a refused
    // connection): closing at once with unread input makes the kernel send a reset, which can
    // destroy the response before the client reads it. So: stop sending, and discard input until
    // the client closes too or kLingerTime passes.
    void linger_close() {
        error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        if (ec) return close();
        drain_buffer_.resize(16 * 1024);
        stream_.expires_after(kLingerTime);
        drain();
    }
    void drain() {
        stream_.async_read_some(net::buffer(drain_buffer_),
                                [self = shared_from_this()](error_code ec, size_t) {
                                    if (ec) return self->close();
                                    self->drain();
                                });
    }

    void close() {
        error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.close();
        close_session();
    }

    beast::tcp_stream stream_;
    Shared& shared_;
    Slot slot_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    Response response_;
    unsigned version_ = 11;
    std::string cors_origin_;  // Access-Control-Allow-Origin for the current request, or ""
    std::vector<char> drain_buffer_;
};

class Listener {
  public:
    Listener(net::io_context& ioc, Shared& shared)
        : ioc_(ioc),
          acceptor_(net::make_strand(ioc)),
          retry_timer_(acceptor_.get_executor()),
          shared_(shared) {}

    Status open(const tcp::endpoint& endpoint) {
        error_code ec;
        auto where = [&] {
            return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
        };
        acceptor_.open(endpoint.protocol(), ec);
        if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
        if (!ec) acceptor_.bind(endpoint, ec);
        if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
        if (ec) return make_error(Errc::io, "cannot listen on " + where() + ": " + ec.message());
        return {};
    }

    uint16_t port() const {
        error_code ec;
        auto endpoint = acceptor_.local_endpoint(ec);
        return ec ? 0 : endpoint.port();
    }

    void start() {
        net::dispatch(acceptor_.get_executor(), [this] { accept(); });
    }

  private:
    // The handlers capture `this`: the Listener outlives every handler that runs, because
    // Server::stop() joins the threads before destroying it.
    void accept() {
        acceptor_.async_accept(net::make_strand(ioc_), [this](error_code ec, tcp::socket socket) {
            on_accept(ec, std::move(socket));
        });
    }

    void on_accept(error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted) return;
        if (ec) {
            // Out of file descriptors, most likely: wait rather than spin.
            shared_.log("rpc: accept failed: " + ec.message());
            retry_timer_.expires_after(kAcceptRetryDelay);
            retry_timer_.async_wait([this](error_code ec) {
                if (!ec) accept();
            });
            return;
        }
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (shared_.connections.load() >= shared_.config.limits.max_connections) {
            std::make_shared<HttpConnection>(std::move(socket), shared_, Slot(nullptr))->refuse();
        } else {
            std::make_shared<HttpConnection>(std::move(socket), shared_, Slot(&shared_))->start();
        }
        accept();
    }

    net::io_context& ioc_;
    tcp::acceptor acceptor_;
    net::steady_timer retry_timer_;
    Shared& shared_;
};

}  // namespace

struct Server::Impl {
    Impl(ServerConfig config, const Dispatcher& dispatcher)
        : shared(std::move(config), dispatcher),
          ioc(std::in_place, static_cast<int>(std::max<size_t>(shared.config.threads, 1))) {}

    ~Impl() { shutdown(); }

    Shared shared;
    std::optional<net::io_context> ioc;  // reset by shutdown(), destroying every connection
    std::unique_ptr<Listener> listener;
    std::vector<std::thread> threads;
    uint16_t port = 0;
    std::mutex stop_mu;
    bool stopped = false;

    void shutdown() {
        std::lock_guard lock(stop_mu);
        if (stopped) return;
        stopped = true;
        ioc->stop();
        for (auto& thread : threads)
            thread.join();
        threads.clear();
        {
            std::unique_lock post_lock(shared.post_mu);
            shared.open = false;
        }
        listener.reset();
        ioc.reset();  // destroys the pending handlers, and with them every connection
    }

    void run() noexcept {
        if (shared.config.thread_niceness != 0) {
            // PRIO_PROCESS with a thread id sets that thread's nice value on Linux.
            const auto self = static_cast<id_t>(::gettid());
            errno = 0;
            const int now = getpriority(PRIO_PROCESS, self);
            if ((now == -1 && errno != 0) ||
                setpriority(PRIO_PROCESS, self, now + shared.config.thread_niceness) != 0)
                shared.log(std::string("rpc: cannot change a server thread's nice value: ") +
                           std::strerror(errno));
        }
        for (;;) {
            try {
                ioc->run();
                return;
            } catch (const std::exception& e) {
                shared.log(std::string("rpc: exception in a server thread: ") + e.what());
            } catch (...) {
                shared.log("rpc: unknown exception in a server thread");
            }
        }
    }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
    stop();
}

Result<std::unique_ptr<Server>> Server::start(ServerConfig config, const Dispatcher& dispatcher) {
    try {
        auto impl = std::make_unique<Impl>(std::move(config), dispatcher);
        const ServerConfig& cfg = impl->shared.config;
        // Numeric addresses only (and "localhost"): no name lookup on the way up.
        error_code ec;
        auto address =
            net::ip::make_address(cfg.address == "localhost" ? "127.0.0.1" : cfg.address, ec);
        if (ec) {
            return make_error(Errc::invalid_argument, "invalid RPC listen address '" + cfg.address +
                                                          "': expected an IPv4 or IPv6 address");
        }
        impl->listener = std::make_unique<Listener>(*impl->ioc, impl->shared);
        HC_TRY(impl->listener->open(tcp::endpoint(address, cfg.port)));
        impl->port = impl->listener->port();
        impl->listener->start();
        size_t threads = std::max<size_t>(cfg.threads, 1);
        auto* raw = impl.get();
        for (size_t i = 0; i < threads; ++i)
            impl->threads.emplace_back([raw] { raw->run(); });
        return std::unique_ptr<Server>(new Server(std::move(impl)));
    } catch (const std::exception& e) {
        return make_error(Errc::internal, std::string("cannot start the RPC server: ") + e.what());
    }
}

uint16_t Server::port() const {
    return impl_->port;
}

size_t Server::connection_count() const {
    return impl_->shared.connections.load();
}

void Server::stop() {
    impl_->shutdown();
}

}  // namespace hc::rpc
