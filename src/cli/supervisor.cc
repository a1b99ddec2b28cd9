#include "cli/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace hc::cli {

std::string describe_exit(int wait_status) {
    if (WIFEXITED(wait_status)) return "exit code " + std::to_string(WEXITSTATUS(wait_status));
    if (WIFSIGNALED(wait_status)) return "signal " + std::to_string(WTERMSIG(wait_status));
    return "status " + std::to_string(wait_status);
}

Supervisor::Supervisor(std::vector<Program> programs, SupervisorConfig config)
    : config_(std::move(config)) {
    for (auto& p : programs) {
        Child c;
        c.program = std::move(p);
        children_.push_back(std::move(c));
    }
}

Supervisor::~Supervisor() {
    stop();
}

void Supervisor::event(const std::string& line) const {
    if (config_.on_event) config_.on_event(line);
}

Status Supervisor::spawn(Child& child) {
    const Program& p = child.program;
    if (p.argv.empty()) return make_error(Errc::invalid_argument, p.name + ": no command");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, p.log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addclose(&actions, 0);
    // The supervisor may block signals to wait for them; children start with none blocked and
    // default handlers, as if started from a shell.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> argv;
    for (const auto& a : p.argv)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int err = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (err != 0)
        return make_error(Errc::io,
                          p.name + ": cannot start " + p.argv[0] + ": " + std::strerror(err));
    child.pid = pid;
    child.started = Clock::now();
    event(p.name + " started (pid " + std::to_string(pid) + ", log " + p.log.string() + ")");
    return {};
}

Status Supervisor::start() {
    stopped_ = false;
    for (Child& c : children_) {
        // The log must be writable: posix_spawn reports a failed open only as the child's exit.
        const int fd = ::open(c.program.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0) {
            Error e =
                make_error(Errc::io, c.program.name + ": cannot open log " +
                                         c.program.log.string() + ": " + std::strerror(errno));
            stop();
            return e;
        }
        ::close(fd);
        if (Status s = spawn(c); !s) {
            stop();
            return s;
        }
    }
    return {};
}

void Supervisor::poll() {
    if (stopped_) return;
    const auto now = Clock::now();
    for (Child& c : children_) {
        if (c.pid > 0) {
            int status = 0;
            const pid_t r = ::waitpid(c.pid, &status, WNOHANG);
            if (r != c.pid) continue;
            c.last_exit = describe_exit(status);
            c.pid = -1;
            c.failures_in_a_row =
                now - c.started >= config_.stable_after ? 1 : c.failures_in_a_row + 1;
            auto delay = config_.backoff_base * (1 << std::min(c.failures_in_a_row - 1, 16));
            if (delay > config_.backoff_max) delay = config_.backoff_max;
            c.restart_at = now + delay;
            event(c.program.name + " exited (" + c.last_exit + "); restarting in " +
                  std::to_string(delay.count()) + " ms");
        } else if (now >= c.restart_at) {
            ++c.restarts;
            if (Status s = spawn(c); !s) {
                c.restart_at = now + config_.backoff_max;
                event(s.error().message + "; retrying in " +
                      std::to_string(config_.backoff_max.count()) + " ms");
            }
        }
    }
}

void Supervisor::stop() {
    if (stopped_) return;
    stopped_ = true;
    for (Child& c : children_)
        if (c.pid > 0) ::kill(c.pid, SIGTERM);
    const auto deadline = Clock::now() + config_.stop_grace;
    for (;;) {
        bool running = false;
        for (Child& c : children_) {
            if (c.pid <= 0) continue;
            int status = 0;
            if (::waitpid(c.pid, &status, WNOHANG) == c.pid) {
                c.last_exit = describe_exit(status);
                event(c.program.name + " stopped (" + c.last_exit + ")");
                c.pid = -1;
            } else {
                running = true;
            }
        }
        if (!running) return;
        if (Clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (Child& c : children_) {
        if (c.pid <= 0) continue;
        ::kill(c.pid, SIGKILL);
        int status = 0;
        ::waitpid(c.pid, &status, 0);
        c.last_exit = describe_exit(status);
        event(c.program.name + " did not stop within " +
              std::to_string(config_.stop_grace.count()) + " ms: killed");
        c.pid = -1;
    }
}

std::vector<ProcessStatus> Supervisor::status() const {
    std::vector<ProcessStatus> out;
    for (const Child& c : children_)
        out.push_back({c.program.name, c.pid, c.restarts, c.last_exit});
    return out;
}

}  // namespace hc::cli
