// Running programs as child processes for integration tests and load generators: a wrapper that
// starts, signals and reaps a child with its output in a log file, and one that starts, kills and
// restarts `honeycomb dev` on the same data directory and port. Drive them with rpc::Client
// (rpc/client.h).
//
// These are test tools: they run programs on this machine and favour plain, blocking code. Not
// thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "rpc/client.h"

namespace hc::testing {

// The bound port of a socket opened on host with port 0 and closed again: free a moment ago.
// Prefer letting the server pick (port 0) and reading its port back where it can say it.
Result<uint16_t> find_free_port(const std::string& host = "127.0.0.1");
// The first of `count` consecutive ports on host, in 20000..49999, none of them in use a moment
// ago: for programs that take a base port and count up from it (`honeycomb init`, `up`).
Result<uint16_t> find_free_port_range(uint16_t count, const std::string& host = "127.0.0.1");

// A program run as a child process with stdout and stderr appended to a log file. The destructor
// kills (SIGKILL) and reaps a child that is still running.
class ChildProcess {
  public:
    // Starts `binary args...`. File descriptors other than 0, 1 and 2 are not inherited.
    static Result<std::unique_ptr<ChildProcess>> spawn(const std::filesystem::path& binary,
                                                       const std::vector<std::string>& args,
                                                       const std::filesystem::path& log_path);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    // Sends a signal (no-op once the child has been reaped).
    Status signal(int sig);
    // The exit status once the child has exited, without blocking: the exit code (>= 0), or
    // minus the number of the signal that ended it. nullopt while it runs.
    std::optional<int> poll();
    // Waits up to timeout for the child to exit; same status encoding as poll(). Errc::io on
    // timeout (the child keeps running).
    Result<int> wait(std::chrono::milliseconds timeout);

  private:
    ChildProcess(pid_t pid) : pid_(pid) {}
    pid_t pid_;
    std::optional<int> status_;
};

// "exit code 3", "killed by signal 9 (Killed)": a status from ChildProcess::poll or wait.
std::string describe_exit(int status);

// The last max_bytes of a file (all of it if shorter); empty if it cannot be read.
std::string read_file_tail(const std::filesystem::path& path, size_t max_bytes = 4096);

// The honeycomb binary to test: $HONEYCOMB_BIN when set, else `fallback` (the build's own).
std::filesystem::path honeycomb_binary(const std::filesystem::path& fallback);

struct DevNodeConfig {
    std::filesystem::path binary;
    std::filesystem::path data_dir;
    std::filesystem::path log_path;  // appended to across restarts
    std::string host = "127.0.0.1";
    uint16_t port = 0;  // 0: the node picks one on its first start and keeps it on restarts
    // More `honeycomb dev` options, e.g. {"--coinbase", "0x..."}. --data-dir, --rpc-addr
    // and --quiet are added here.
    std::vector<std::string> extra_args;
    std::chrono::milliseconds ready_timeout = std::chrono::seconds(60);
};

// `honeycomb dev` as a child process that can be killed and restarted on the same data directory
// and port.
class DevNode {
  public:
    // Starts the node and waits until it prints that JSON-RPC is listening. Fails (with the end of
    // its log) if it exits first or does not get there within ready_timeout.
    static Result<std::unique_ptr<DevNode>> start(DevNodeConfig config);
    ~DevNode();  // SIGKILL if still running

    // Starts it again after kill() or stop(), with the same arguments and port.
    // REQUIRES: !running()
    Status restart();
    // SIGKILL, then reap. The data directory is left as the crash left it.
    Status kill();
    // SIGTERM, then waits for the exit; returns its status (see ChildProcess::poll).
    Result<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    bool running();

    rpc::Endpoint endpoint() const { return {config_.host, port_}; }
    std::string url() const;
    uint16_t port() const { return port_; }
    const DevNodeConfig& config() const { return config_; }
    // The arguments each start passes to config().binary (port included once known), for
    // running the same command by other means, e.g. a start interrupted on purpose.
    std::vector<std::string> command_args() const;
    pid_t pid() const;
    // The end of the node's log, for failure messages.
    std::string log_tail(size_t max_bytes = 4096) const;

  private:
    explicit DevNode(DevNodeConfig config) : config_(std::move(config)), port_(config_.port) {}
    Status launch();

    DevNodeConfig config_;
    uint16_t port_;
    std::unique_ptr<ChildProcess> child_;
};

}  // namespace hc::testing
