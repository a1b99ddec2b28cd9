// Runs a set of programs as child processes and keeps them running: `honeycomb up` uses it for
// the nodes of a local network. A program that exits on its own is restarted after an
// exponential backoff; stop() ends them all (SIGTERM, then SIGKILL after a grace period).
//
// Single-threaded: call poll() from one loop (it never blocks); events (started, exited,
// restarting) go to the on_event callback as one line each.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"

namespace hc::cli {

struct Program {
    std::string name;
    std::vector<std::string> argv;  // argv[0] is the executable's path
    std::filesystem::path log;      // stdout and stderr are appended here
};

struct SupervisorConfig {
    std::chrono::milliseconds backoff_base{500};  // doubled per restart in a row, capped:
    std::chrono::milliseconds backoff_max{10'000};
    std::chrono::milliseconds stable_after{30'000};  // running this long resets the backoff
    std::chrono::milliseconds stop_grace{15'000};    // SIGTERM to SIGKILL
    std::function<void(const std::string&)> on_event;
};

struct ProcessStatus {
    std::string name;
    pid_t pid = -1;  // -1 while not running
    int restarts = 0;
    std::string last_exit;  // "exit code 1", "signal 9", or empty
};

class Supervisor {
  public:
    Supervisor(std::vector<Program> programs, SupervisorConfig config);
    ~Supervisor();  // stop()
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    // Starts every program. Fails (after stopping any already started) if one cannot be
    // spawned: a missing executable, an unwritable log.
    Status start();
    // Reaps exited children and restarts those whose backoff has passed. Never blocks.
    void poll();
    // SIGTERM to every child, SIGKILL to those still running after stop_grace; waits for all.
    // Idempotent.
    void stop();

    std::vector<ProcessStatus> status() const;

  private:
    using Clock = std::chrono::steady_clock;
    struct Child {
        Program program;
        pid_t pid = -1;
        int restarts = 0;
        int failures_in_a_row = 0;
        Clock::time_point started;
        Clock::time_point restart_at;
        std::string last_exit;
    };
    Status spawn(Child& child);
    void event(const std::string& line) const;

    std::vector<Child> children_;
    SupervisorConfig config_;
    bool stopped_ = false;
};

// "exit code N" or "signal N" for a waitpid status.
std::string describe_exit(int wait_status);

}  // namespace hc::cli
