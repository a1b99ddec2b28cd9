#include "support/child_process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace hc::testing {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Result<uint16_t> find_free_port(const std::string& host) {
    boost::system::error_code ec;
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

Result<uint16_t> find_free_port_range(uint16_t count, const std::string& host) {
    boost::system::error_code ec;
    const auto address = net::ip::make_address(host, ec);
    if (ec) return make_error(Errc::invalid_argument, "not an IP address: \"" + host + "\"");
    std::mt19937 rng(std::random_device{}());
    constexpr int kAttempts = 50;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        const auto base = static_cast<uint16_t>(20000 + rng() % (30000 - count));
        bool free = true;
        for (uint16_t p = base; p < base + count && free; ++p) {
            net::io_context ioc;
            tcp::acceptor acceptor(ioc);
            acceptor.open(address.is_v4() ? tcp::v4() : tcp::v6(), ec);
            if (!ec) acceptor.bind(tcp::endpoint(address, p), ec);
            free = !ec;
        }
        if (free) return base;
    }
    return make_error(Errc::io, "no range of " + std::to_string(count) + " free ports on " + host +
                                    " after " + std::to_string(kAttempts) + " tries");
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
                                     rpc::host_port({config_.host, port_}),
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
    return "http://" + rpc::host_port(endpoint());
}

pid_t DevNode::pid() const {
    return child_ ? child_->pid() : -1;
}

std::string DevNode::log_tail(size_t max_bytes) const {
    return read_file_tail(config_.log_path, max_bytes);
}

}  // namespace hc::testing
