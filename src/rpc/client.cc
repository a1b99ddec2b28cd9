#include "rpc/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cassert>
#include <charconv>
#include <cstdio>
#include <thread>

#include "common/uint256.h"

namespace hc::rpc {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using json = nlohmann::json;

namespace {

constexpr std::string_view kRpcErrorPrefix = "JSON-RPC error ";
constexpr size_t kMaxReplyBytes = 256 * 1024 * 1024;

// The result of one response object, or the error it carries.
Result<json> decode_response(const json& response) {
    if (!response.is_object())
        return make_error(Errc::decode,
                          "JSON-RPC response is not an object: " + response.dump().substr(0, 200));
    if (auto it = response.find("error"); it != response.end()) {
        const json& e = *it;
        int code = 0;
        std::string message;
        if (e.is_object()) {
            if (auto c = e.find("code"); c != e.end() && c->is_number_integer())
                code = c->get<int>();
            if (auto m = e.find("message"); m != e.end() && m->is_string())
                message = m->get<std::string>();
        }
        return make_error(Errc::invalid_argument,
                          std::string(kRpcErrorPrefix) + std::to_string(code) + ": " + message);
    }
    if (auto it = response.find("result"); it != response.end()) return *it;
    return make_error(Errc::decode, "JSON-RPC response has neither result nor error: " +
                                        response.dump().substr(0, 200));
}

json make_request(std::string_view method, json params, uint64_t id) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

// The answers to a batch of `count` requests with ids first_id.., in id order.
Result<std::vector<Result<json>>> decode_batch(const json& reply, size_t count, uint64_t first_id) {
    if (reply.is_object()) {  // one error for the whole batch
        auto single = decode_response(reply);
        if (!single) return single.error();
        return make_error(Errc::decode, "batch answered with a single result");
    }
    if (!reply.is_array())
        return make_error(Errc::decode,
                          "batch reply is not an array: " + reply.dump().substr(0, 200));
    std::vector<std::optional<Result<json>>> slots(count);
    for (const json& response : reply) {
        const json* id =
            response.is_object() && response.contains("id") ? &response["id"] : nullptr;
        if (!id || !id->is_number_unsigned() || id->get<uint64_t>() < first_id ||
            id->get<uint64_t>() - first_id >= count)
            return make_error(Errc::decode,
                              "batch reply with an unknown id: " + response.dump().substr(0, 200));
        auto& slot = slots[id->get<uint64_t>() - first_id];
        if (slot)
            return make_error(Errc::decode, "batch reply answers id " + id->dump() + " twice");
        slot = decode_response(response);
    }
    std::vector<Result<json>> out;
    out.reserve(count);
    for (size_t i = 0; i < slots.size(); ++i) {
        if (!slots[i])
            return make_error(Errc::decode, "batch reply has no answer for request " +
                                                std::to_string(i) + " (id " +
                                                std::to_string(first_id + i) + ")");
        out.push_back(std::move(*slots[i]));
    }
    return out;
}

}  // namespace

std::string batch_body(const std::vector<Request>& requests, uint64_t first_id) {
    json body = json::array();
    for (size_t i = 0; i < requests.size(); ++i)
        body.push_back(make_request(requests[i].method, requests[i].params, first_id + i));
    return body.dump();
}

std::string host_port(const Endpoint& e) {
    const bool v6 = e.host.find(':') != std::string::npos;
    return (v6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port);
}

bool is_transport_error(const Error& error) {
    return error.code == Errc::io;
}

std::optional<int> rpc_error_code(const Error& error) {
    if (error.code != Errc::invalid_argument) return std::nullopt;
    std::string_view m = error.message;
    if (!m.starts_with(kRpcErrorPrefix)) return std::nullopt;
    m.remove_prefix(kRpcErrorPrefix.size());
    int code = 0;
    auto [end, ec] = std::from_chars(m.data(), m.data() + m.size(), code);
    if (ec != std::errc() || end == m.data()) return std::nullopt;
    return code;
}

Result<Endpoint> parse_http_url(std::string_view url) {
    std::string_view rest = url;
    if (rest.starts_with("http://")) rest.remove_prefix(7);
    while (rest.ends_with('/'))
        rest.remove_suffix(1);
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size() ||
        rest.find('/') != std::string_view::npos)
        return make_error(Errc::invalid_argument,
                          "expected http://host:port, got \"" + std::string(url) + "\"");
    Endpoint e;
    e.host = std::string(rest.substr(0, colon));
    if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']')
        e.host = e.host.substr(1, e.host.size() - 2);
    const std::string_view port = rest.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
        return make_error(Errc::invalid_argument,
                          "bad port in \"" + std::string(url) + "\": expected 1 to 65535");
    e.port = static_cast<uint16_t>(value);
    return e;
}

Result<uint64_t> quantity_u64(const json& value) {
    if (!value.is_string())
        return make_error(Errc::decode, "expected a hex quantity, got " + value.dump());
    const auto& text = value.get_ref<const std::string&>();
    if (!text.starts_with("0x"))
        return make_error(Errc::decode, "expected a hex quantity, got \"" + text + "\"");
    auto v = uint256::from_string(text);
    if (!v) return make_error(Errc::decode, "bad quantity \"" + text + "\": " + v.error().message);
    if (!v->fits_uint64())
        return make_error(Errc::decode, "quantity " + text + " does not fit in 64 bits");
    return v->low64();
}

std::string quantity_hex(uint64_t n) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(n));
    return buf;
}

// ---- Client ----

struct Client::Impl {
    Endpoint endpoint;
    std::chrono::milliseconds timeout;
    Transport transport;
    net::io_context ioc;
    // A fresh stream per connection, so nothing of a failed one carries over. HTTP uses only its
    // TCP layer (tcp()).
    std::optional<websocket::stream<beast::tcp_stream>> stream;
    beast::flat_buffer buffer;
    bool connected = false;
    uint64_t next_id = 1;

    Impl(Endpoint e, std::chrono::milliseconds t, Transport tr)
        : endpoint(std::move(e)), timeout(t), transport(tr) {}

    beast::tcp_stream& tcp() { return stream->next_layer(); }

    // Runs the one asynchronous operation just started (and its timer) to completion. The
    // operations are asynchronous only so that tcp_stream's deadline applies to them.
    void run() {
        ioc.restart();
        ioc.run();
    }

    void close() {
        if (stream) {
            beast::error_code ignored;
            tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
            tcp().close();
            stream.reset();
        }
        buffer.clear();
        connected = false;
    }

    Error io_error(const std::string& what, const beast::error_code& ec) {
        close();
        return make_error(Errc::io, what + " " + host_port(endpoint) + ": " + ec.message());
    }

    Status connect() {
        if (connected) return {};
        stream.emplace(ioc);
        beast::error_code ec;
        tcp::resolver resolver(ioc);
        auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
        if (ec) return io_error("cannot resolve", ec);
        beast::error_code result = net::error::would_block;
        tcp().expires_after(timeout);
        tcp().async_connect(results,
                            [&](const beast::error_code& e, const tcp::endpoint&) { result = e; });
        run();
        if (result) return io_error("cannot connect to", result);
        tcp().socket().set_option(tcp::no_delay(true), ec);
        if (transport == Transport::ws) {
            stream->read_message_max(kMaxReplyBytes);
            result = net::error::would_block;
            tcp().expires_after(timeout);
            stream->async_handshake(host_port(endpoint), "/",
                                    [&](const beast::error_code& e) { result = e; });
            run();
            if (result) return io_error("no WebSocket handshake with", result);
            stream->text(true);
        }
        connected = true;
        return {};
    }

    // Sends one request body and returns the reply, decoded as JSON.
    Result<json> exchange(std::string_view body) {
        HC_TRY(connect());
        return transport == Transport::ws ? exchange_ws(body) : exchange_http(body);
    }

    Result<json> parse_reply(std::string_view text) {
        json reply = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
        if (reply.is_discarded())
            return make_error(Errc::decode, "reply from " + host_port(endpoint) + " is not JSON: " +
                                                std::string(text.substr(0, 200)));
        return reply;
    }

    Result<json> exchange_http(std::string_view body) {
        // span_body sends the caller's bytes without copying them.
        http::request<http::span_body<const char>> req{http::verb::post, "/", 11};
        req.set(http::field::host, host_port(endpoint));
        req.set(http::field::content_type, "application/json");
        req.keep_alive(true);
        req.body() = {body.data(), body.size()};
        req.prepare_payload();

        beast::error_code result = net::error::would_block;
        tcp().expires_after(timeout);
        http::async_write(tcp(), req, [&](const beast::error_code& e, size_t) { result = e; });
        run();
        if (result) return io_error("cannot send to", result);

        http::response_parser<http::string_body> parser;
        parser.body_limit(kMaxReplyBytes);
        result = net::error::would_block;
        tcp().expires_after(timeout);
        http::async_read(tcp(), buffer, parser,
                         [&](const beast::error_code& e, size_t) { result = e; });
        run();
        if (result) return io_error("no reply from", result);
        tcp().expires_never();

        http::response<http::string_body> res = parser.release();
        if (!res.keep_alive()) close();
        if (res.result() != http::status::ok) {
            // The server's own refusals (413, 503, ...) carry a JSON-RPC error body: pass it on.
            json reply = json::parse(res.body(), nullptr, /*allow_exceptions=*/false);
            if (reply.is_object() && reply.contains("error")) return reply;
            return make_error(Errc::io, "HTTP " + std::to_string(res.result_int()) + " from " +
                                            host_port(endpoint) + ": " + res.body().substr(0, 200));
        }
        return parse_reply(res.body());
    }

    Result<json> exchange_ws(std::string_view body) {
        beast::error_code result = net::error::would_block;
        tcp().expires_after(timeout);
        stream->async_write(net::buffer(body.data(), body.size()),
                            [&](const beast::error_code& e, size_t) { result = e; });
        run();
        if (result) return io_error("cannot send to", result);

        buffer.clear();
        result = net::error::would_block;
        tcp().expires_after(timeout);
        stream->async_read(buffer, [&](const beast::error_code& e, size_t) { result = e; });
        run();
        if (result) return io_error("no reply from", result);
        tcp().expires_never();
        auto reply = parse_reply(
            std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size()));
        buffer.clear();
        return reply;
    }
};

Client::Client(Endpoint endpoint, std::chrono::milliseconds timeout, Transport transport)
    : impl_(std::make_unique<Impl>(std::move(endpoint), timeout, transport)) {}

Client::~Client() {
    impl_->close();
}

Status Client::connect() {
    return impl_->connect();
}
void Client::disconnect() {
    impl_->close();
}
bool Client::connected() const {
    return impl_->connected;
}
const Endpoint& Client::endpoint() const {
    return impl_->endpoint;
}

Result<json> Client::call(std::string_view method, json params) {
    json request = make_request(method, std::move(params), impl_->next_id++);
    HC_ASSIGN_OR_RETURN(json reply, impl_->exchange(request.dump()));
    return decode_response(reply);
}

Result<std::vector<Result<json>>> Client::batch(const std::vector<Request>& requests) {
    assert(!requests.empty());
    const uint64_t first_id = impl_->next_id;
    impl_->next_id += requests.size();
    return batch_raw(batch_body(requests, first_id), requests.size(), first_id);
}

Result<std::vector<Result<json>>> Client::batch_raw(std::string_view body, size_t count,
                                                    uint64_t first_id) {
    assert(count > 0);
    HC_ASSIGN_OR_RETURN(json reply, impl_->exchange(body));
    return decode_batch(reply, count, first_id);
}

Result<json> Client::call_retrying(std::string_view method, json params,
                                   std::chrono::milliseconds patience,
                                   std::chrono::milliseconds pause) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    for (;;) {
        auto r = call(method, params);
        if (r || !is_transport_error(r.error())) return r;
        if (std::chrono::steady_clock::now() + pause > deadline) return r;
        std::this_thread::sleep_for(pause);
    }
}

}  // namespace hc::rpc
