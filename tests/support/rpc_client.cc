#include "support/rpc_client.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/uint256.h"

namespace hc::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using json = nlohmann::json;

namespace {

constexpr std::string_view kRpcErrorPrefix = "JSON-RPC error ";
constexpr size_t kMaxReplyBytes = 256 * 1024 * 1024;

std::string host_port(const Endpoint& e) {
    const bool v6 = e.host.find(':') != std::string::npos;
    return (v6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port);
}

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

}  // namespace

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

// ---- RpcClient ----

struct RpcClient::Impl {
    Endpoint endpoint;
    std::chrono::milliseconds timeout;
    net::io_context ioc;
    beast::tcp_stream stream{ioc};
    beast::flat_buffer buffer;
    bool connected = false;
    uint64_t next_id = 1;

    Impl(Endpoint e, std::chrono::milliseconds t) : endpoint(std::move(e)), timeout(t) {}

    // Runs the one asynchronous operation just started (and its timer) to completion. The
    // operations are asynchronous only so that tcp_stream's deadline applies to them.
    void run() {
        ioc.restart();
        ioc.run();
    }

    void close() {
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.close();
        buffer.clear();
        connected = false;
    }

    Error io_error(const std::string& what, const beast::error_code& ec) {
        close();
        return make_error(Errc::io, what + " " + host_port(endpoint) + ": " + ec.message());
    }

    Status connect() {
        if (connected) return {};
        beast::error_code ec;
        tcp::resolver resolver(ioc);
        auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
        if (ec) return io_error("cannot resolve", ec);
        beast::error_code result = net::error::would_block;
        stream.expires_after(timeout);
        stream.async_connect(results,
                             [&](const beast::error_code& e, const tcp::endpoint&) { result = e; });
        run();
        if (result) return io_error("cannot connect to", result);
        stream.socket().set_option(tcp::no_delay(true), ec);
        connected = true;
        return {};
    }

    // Sends one request body and returns the body of the reply, decoded as JSON.
    Result<json> exchange(std::string body) {
        HC_TRY(connect());
        http::request<http::string_body> req{http::verb::post, "/", 11};
        req.set(http::field::host, host_port(endpoint));
        req.set(http::field::content_type, "application/json");
        req.keep_alive(true);
        req.body() = std::move(body);
        req.prepare_payload();

        beast::error_code result = net::error::would_block;
        stream.expires_after(timeout);
        http::async_write(stream, req, [&](const beast::error_code& e, size_t) { result = e; });
        run();
        if (result) return io_error("cannot send to", result);

        http::response_parser<http::string_body> parser;
        parser.body_limit(kMaxReplyBytes);
        result = net::error::would_block;
        stream.expires_after(timeout);
        http::async_read(stream, buffer, parser,
                         [&](const beast::error_code& e, size_t) { result = e; });
        run();
        if (result) return io_error("no reply from", result);
        stream.expires_never();

        http::response<http::string_body> res = parser.release();
        if (!res.keep_alive()) close();
        json reply = json::parse(res.body(), nullptr, /*allow_exceptions=*/false);
        if (res.result() != http::status::ok) {
            // The server's own refusals (413, 503, ...) carry a JSON-RPC error body: pass it on.
            if (reply.is_object() && reply.contains("error")) return reply;
            return make_error(Errc::io, "HTTP " + std::to_string(res.result_int()) + " from " +
                                            host_port(endpoint) + ": " + res.body().substr(0, 200));
        }
        if (reply.is_discarded())
            return make_error(Errc::decode, "reply from " + host_port(endpoint) +
                                                " is not JSON: " + res.body().substr(0, 200));
        return reply;
    }
};

RpcClient::RpcClient(Endpoint endpoint, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(endpoint), timeout)) {}

RpcClient::~RpcClient() {
    impl_->close();
}

Status RpcClient::connect() {
    return impl_->connect();
}
void RpcClient::disconnect() {
    impl_->close();
}
bool RpcClient::connected() const {
    return impl_->connected;
}
const Endpoint& RpcClient::endpoint() const {
    return impl_->endpoint;
}

Result<json> RpcClient::call(std::string_view method, json params) {
    json request = make_request(method, std::move(params), impl_->next_id++);
    HC_ASSIGN_OR_RETURN(json reply, impl_->exchange(request.dump()));
    return decode_response(reply);
}

Result<std::vector<Result<json>>> RpcClient::batch(const std::vector<RpcRequest>& requests) {
    assert(!requests.empty());
    const uint64_t first_id = impl_->next_id;
    impl_->next_id += requests.size();
    json body = json::array();
    for (size_t i = 0; i < requests.size(); ++i)
        body.push_back(make_request(requests[i].method, requests[i].params, first_id + i));
    HC_ASSIGN_OR_RETURN(json reply, impl_->exchange(body.dump()));
    if (reply.is_object()) {  // one error for the whole batch
        auto single = decode_response(reply);
        if (!single) return single.error();
        return make_error(Errc::decode, "batch answered with a single result");
    }
    if (!reply.is_array())
        return make_error(Errc::decode,
                          "batch reply is not an array: " + reply.dump().substr(0, 200));
    std::vector<std::optional<Result<json>>> slots(requests.size());
    for (const json& response : reply) {
        const json* id =
            response.is_object() && response.contains("id") ? &response["id"] : nullptr;
        if (!id || !id->is_number_unsigned() || id->get<uint64_t>() < first_id ||
            id->get<uint64_t>() - first_id >= requests.size())
            return make_error(Errc::decode,
                              "batch reply with an unknown id: " + response.dump().substr(0, 200));
        auto& slot = slots[id->get<uint64_t>() - first_id];
        if (slot)
            return make_error(Errc::decode, "batch reply answers id " + id->dump() + " twice");
        slot = decode_response(response);
    }
    std::vector<Result<json>> out;
    out.reserve(requests.size());
    for (size_t i = 0; i < slots.size(); ++i) {
        if (!slots[i])
            return make_error(Errc::decode, "batch reply has no answer for request " +
                                                std::to_string(i) + " (" + requests[i].method +
                                                ")");
        out.push_back(std::move(*slots[i]));
    }
    return out;
}

Result<json> RpcClient::call_retrying(std::string_view method, json params,
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

// ---- Child processes ----

Result<uint16_t> find_free_port(const std::string& host) {
    beast::error_code ec;
    const auto address = net::ip::make_address(host, ec);
    if (ec) return make_error(Errc::invalid_argument, "not an IP address: \"" + host + "\"");
    net::io_context ioc;
    tcp::acceptor acceptor(ioc);
    acceptor.open(address.is_v4() ? tcp::v4() : tcp::v6(), ec);
    if (!ec) acceptor.bind(tcp::endpoint(address, 0), ec);
    if (ec) return make_error(Errc::io, "cannot bind a port on " + host + ": " + ec.message());
    const uint16_t port = acceptor.local_endpoint(ec).port();
    if (ec) return make_error(Errc::io, "cannot read the bound port: " + ec.message());
    return port;
}

namespace {

int decode_wait_status(int st) {
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return -WTERMSIG(st);
    return -1000;
}

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::spawn(const std::filesystem::path& binary,
                                                          const std::vector<std::string>& args,
                                                          const std::filesystem::path& log_path) {
    // Everything the child needs is prepared before fork: between fork and exec a child of a
    // multi-threaded process may only make async-signal-safe calls.
    std::vector<std::string> argv_storage;
    argv_storage.push_back(binary.string());
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0)
        return make_error(
            Errc::io, "cannot open log file " + log_path.string() + ": " + std::strerror(errno));
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int exec_pipe[2] = {-1, -1};  // reports a failed exec: closed unread when exec succeeds
    if (null_fd < 0 || ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
        const std::string why = std::strerror(errno);
        close_fd(log_fd);
        close_fd(null_fd);
        return make_error(Errc::io, "cannot prepare a child process: " + why);
    }

    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(null_fd, 0);
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
        // The exec report goes to fd 3 (close-on-exec) so every descriptor above it can go.
        if (exec_pipe[1] != 3) ::dup2(exec_pipe[1], 3);
        ::fcntl(3, F_SETFD, FD_CLOEXEC);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        ::signal(SIGTERM, SIG_DFL);
        ::signal(SIGINT, SIG_DFL);
        // Sockets and files of the parent's other threads stay with the parent.
        if (::close_range(4, ~0U, 0) != 0)
            for (int fd = 4; fd < 65536; ++fd)
                ::close(fd);
        ::execv(argv[0], argv.data());
        const int err = errno;
        [[maybe_unused]] auto n = ::write(3, &err, sizeof err);
        ::_exit(127);
    }
    const int fork_errno = errno;
    close_fd(log_fd);
    close_fd(null_fd);
    close_fd(exec_pipe[1]);
    if (pid < 0) {
        close_fd(exec_pipe[0]);
        return make_error(Errc::io, std::string("fork failed: ") + std::strerror(fork_errno));
    }
    int exec_errno = 0;
    ssize_t n;
    do {
        n = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno);
    } while (n < 0 && errno == EINTR);
    close_fd(exec_pipe[0]);
    auto child = std::unique_ptr<ChildProcess>(new ChildProcess(pid));
    if (n > 0) {
        child->wait(std::chrono::seconds(5)).ok();
        return make_error(Errc::io,
                          "cannot run " + binary.string() + ": " + std::strerror(exec_errno));
    }
    return child;
}

ChildProcess::~ChildProcess() {
    if (status_) return;
    ::kill(pid_, SIGKILL);
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
}

Status ChildProcess::signal(int sig) {
    if (status_) return {};
    if (::kill(pid_, sig) != 0)
        return make_error(Errc::io, "kill(" + std::to_string(pid_) + ", " + std::to_string(sig) +
                                        "): " + std::strerror(errno));
    return {};
}

std::optional<int> ChildProcess::poll() {
    if (status_) return status_;
    int st = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_, &st, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid_) status_ = decode_wait_status(st);
    return status_;
}

Result<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto st = poll()) return *st;
        if (std::chrono::steady_clock::now() >= deadline)
            return make_error(Errc::io, "process " + std::to_string(pid_) +
                                            " still running after " +
                                            std::to_string(timeout.count()) + " ms");
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

std::string describe_exit(int status) {
    if (status >= 0) return "exit code " + std::to_string(status);
    const int sig = -status;
    const char* name = ::strsignal(sig);
    return "killed by signal " + std::to_string(sig) + " (" + (name ? name : "?") + ")";
}

std::string read_file_tail(const std::filesystem::path& path, size_t max_bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    in.seekg(0, std::ios::end);
    const auto size = static_cast<size_t>(std::max<std::streamoff>(in.tellg(), 0));
    const size_t start = size > max_bytes ? size - max_bytes : 0;
    in.seekg(static_cast<std::streamoff>(start));
    std::string out(size - start, '\0');
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    out.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
    return out;
}

std::filesystem::path honeycomb_binary(const std::filesystem::path& fallback) {
    const char* env = std::getenv("HONEYCOMB_BIN");
    return env && *env ? std::filesystem::path(env) : fallback;
}

// ---- DevNode ----

namespace {

constexpr std::string_view kListening = "JSON-RPC listening on http://";

// The port in the node's "JSON-RPC listening on http://HOST:PORT and ws://..." line, once the
// whole line is in `log`.
std::optional<uint16_t> listening_port(const std::string& log) {
    const auto at = log.find(kListening);
    if (at == std::string::npos) return std::nullopt;
    const auto eol = log.find('\n', at);
    if (eol == std::string::npos) return std::nullopt;
    std::string_view line(log.data() + at + kListening.size(), eol - at - kListening.size());
    line = line.substr(0, line.find(' '));
    const auto colon = line.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    unsigned port = 0;
    auto [end, ec] = std::from_chars(line.data() + colon + 1, line.data() + line.size(), port);
    if (ec != std::errc() || port == 0 || port > 65535) return std::nullopt;
    return static_cast<uint16_t>(port);
}

std::string read_from(const std::filesystem::path& path, uint64_t offset) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    in.seekg(static_cast<std::streamoff>(offset));
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace

Result<std::unique_ptr<DevNode>> DevNode::start(DevNodeConfig config) {
    auto node = std::unique_ptr<DevNode>(new DevNode(std::move(config)));
    HC_TRY(node->launch());
    return node;
}

DevNode::~DevNode() = default;

std::vector<std::string> DevNode::command_args() const {
    std::vector<std::string> args = {"dev",
                                     "--data-dir",
                                     config_.data_dir.string(),
                                     "--rpc-addr",
                                     host_port({config_.host, port_}),
                                     "--quiet"};
    args.insert(args.end(), config_.extra_args.begin(), config_.extra_args.end());
    return args;
}

Status DevNode::launch() {
    const std::vector<std::string> args = command_args();
    std::error_code ec;
    const uint64_t offset = std::filesystem::exists(config_.log_path, ec)
                                ? std::filesystem::file_size(config_.log_path, ec)
                                : 0;
    HC_ASSIGN_OR_RETURN(child_, ChildProcess::spawn(config_.binary, args, config_.log_path));

    const auto deadline = std::chrono::steady_clock::now() + config_.ready_timeout;
    for (;;) {
        if (auto port = listening_port(read_from(config_.log_path, offset))) {
            port_ = *port;
            return {};
        }
        if (auto st = child_->poll())
            return make_error(Errc::io, "honeycomb dev exited (" + describe_exit(*st) +
                                            ") before listening; its log ends:\n" + log_tail());
        if (std::chrono::steady_clock::now() >= deadline) {
            child_.reset();  // SIGKILL
            return make_error(Errc::io, "honeycomb dev did not start listening within " +
                                            std::to_string(config_.ready_timeout.count()) +
                                            " ms; its log ends:\n" + log_tail());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

Status DevNode::restart() {
    assert(!running());
    return launch();
}

Status DevNode::kill() {
    if (!child_) return {};
    HC_TRY(child_->signal(SIGKILL));
    HC_ASSIGN_OR_RETURN(int st, child_->wait(std::chrono::seconds(30)));
    (void)st;
    return {};
}

Result<int> DevNode::stop(std::chrono::milliseconds timeout) {
    if (!child_) return make_error(Errc::invalid_argument, "the node was never started");
    if (auto st = child_->poll()) return *st;
    HC_TRY(child_->signal(SIGTERM));
    return child_->wait(timeout);
}

bool DevNode::running() {
    return child_ && !child_->poll();
}

std::string DevNode::url() const {
    return "http://" + host_port(endpoint());
}

pid_t DevNode::pid() const {
    return child_ ? child_->pid() : -1;
}

std::string DevNode::log_tail(size_t max_bytes) const {
    return read_file_tail(config_.log_path, max_bytes);
}

}  // namespace hc::testing
