#include "cli/supervisor.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "support/temp_dir.h"

namespace hc::cli {
namespace {

using namespace std::chrono_literals;

Program shell(const std::string& name, const std::string& script,
              const std::filesystem::path& dir) {
    return Program{name, {"/bin/sh", "-c", script}, dir / (name + ".log")};
}

// Polls until pred holds, for at most about 20 s (a bound for slow machines, not a timing test).
template <typename Pred>
bool poll_until(Supervisor& s, Pred pred) {
    for (int i = 0; i < 2000; ++i) {
        s.poll();
        if (pred()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

std::string read_all(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(Supervisor, RestartsAProgramThatExitsAndLogsItsOutput) {
    hc::testing::TempDir dir;
    std::vector<std::string> events;
    SupervisorConfig config;
    config.backoff_base = 10ms;
    config.backoff_max = 40ms;
    config.on_event = [&](const std::string& e) { events.push_back(e); };
    Supervisor s({shell("flaky", "echo run; exit 3", dir.path()),
                  shell("steady", "exec sleep 30", dir.path())},
                 config);
    ASSERT_TRUE(s.start());
    ASSERT_TRUE(poll_until(s, [&] { return s.status()[0].restarts >= 2; }));
    auto st = s.status();
    EXPECT_EQ(st[0].last_exit, "exit code 3");
    EXPECT_GT(st[1].pid, 0);
    EXPECT_EQ(st[1].restarts, 0);
    s.stop();
    st = s.status();
    EXPECT_EQ(st[1].pid, -1);
    EXPECT_EQ(st[1].last_exit, "signal 15");
    EXPECT_NE(read_all(dir.path() / "flaky.log").find("run\nrun\n"), std::string::npos);
    bool saw_restart = false;
    for (const auto& e : events)
        saw_restart |= e.find("flaky exited (exit code 3); restarting in") != std::string::npos;
    EXPECT_TRUE(saw_restart);
}

TEST(Supervisor, KillsAProgramThatIgnoresSigtermAfterTheGracePeriod) {
    hc::testing::TempDir dir;
    SupervisorConfig config;
    config.stop_grace = 200ms;
    // The script signals readiness only after its trap is set, so SIGTERM cannot come first.
    Supervisor s(
        {shell("stubborn", "trap '' TERM; echo ready; while :; do sleep 1; done", dir.path())},
        config);
    ASSERT_TRUE(s.start());
    ASSERT_TRUE(poll_until(s, [&] {
        return read_all(dir.path() / "stubborn.log").find("ready") != std::string::npos;
    }));
    s.stop();
    EXPECT_EQ(s.status()[0].last_exit, "signal 9");
}

TEST(Supervisor, StartFailsForAMissingExecutableOrLog) {
    hc::testing::TempDir dir;
    Supervisor missing({Program{"ghost", {"/nonexistent/honeycomb"}, dir.path() / "g.log"}}, {});
    auto started = missing.start();
    ASSERT_FALSE(started);
    EXPECT_NE(started.error().message.find("/nonexistent/honeycomb"), std::string::npos);
    Supervisor no_log({Program{"x", {"/bin/true"}, dir.path() / "absent" / "x.log"}}, {});
    auto refused = no_log.start();
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("cannot open log"), std::string::npos);
}

}  // namespace
}  // namespace hc::cli
