// `honeycomb up --demo`, the real binary, as `make run` runs it: a 4-organisation network in a
// temporary directory on free ports. The demo must finish and say so; what it reports is then
// checked over JSON-RPC independently of its own words (the transfers' receipts on every node,
// the counter's value, the agreed block); Ctrl-C must stop everything with exit code 0.
// HONEYCOMB_BIN overrides the binary under test.
#include <gtest/gtest.h>

#include <csignal>
#include <regex>
#include <thread>

#include "rpc/client.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

#ifndef HC_HONEYCOMB_BIN
#define HC_HONEYCOMB_BIN "honeycomb"
#endif

namespace hc::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr uint16_t kNodes = 4;

// Every match of `pattern`'s first group in text.
std::vector<std::string> all_matches(const std::string& text, const std::string& pattern) {
    std::vector<std::string> out;
    const std::regex re(pattern);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
         ++it)
        out.push_back((*it)[1].str());
    return out;
}

TEST(UpDemo, RunsAgainstTheNetworkAndLeavesItUpUntilCtrlC) {
    TempDir dir;
    auto base = find_free_port_range(2 * kNodes);
    ASSERT_TRUE(base) << base.error().to_string();
    const uint16_t rpc_base = static_cast<uint16_t>(*base + kNodes);
    const auto log = dir.path() / "up.log";
    auto up = ChildProcess::spawn(
        honeycomb_binary(HC_HONEYCOMB_BIN),
        {"up", "--orgs", "4", "--dir", (dir.path() / "net").string(), "--base-port",
         std::to_string(*base), "--rpc-port", std::to_string(rpc_base), "--demo"},
        log);
    ASSERT_TRUE(up) << up.error().to_string();
    // Whatever fails below, `up` gets Ctrl-C so it stops its nodes: killed outright, it would
    // leave them running.
    struct Interrupt {
        ChildProcess& up;
        ~Interrupt() {
            if (up.poll()) return;
            (void)up.signal(SIGINT);
            (void)up.wait(std::chrono::seconds(60));
        }
    } interrupt{**up};

    // The demo's last line, or the process ending first. The bound is for slow machines.
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    for (;;) {
        out = read_file_tail(log, 1 << 20);
        if (out.find("demo finished:") != std::string::npos ||
            out.find("demo failed:") != std::string::npos)
            break;
        if (auto st = (*up)->poll())
            FAIL() << "honeycomb up ended (" << describe_exit(*st) << "):\n" << out;
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no end of the demo:\n" << out;
        std::this_thread::sleep_for(100ms);
    }
    // The line is printed whole; wait for its newline.
    std::this_thread::sleep_for(200ms);
    out = read_file_tail(log, 1 << 20);
    ASSERT_EQ(out.find("demo failed:"), std::string::npos) << out;

    const auto transfers = all_matches(out, R"(transfer \d: .* tx (0x[0-9a-f]{64}))");
    EXPECT_EQ(transfers.size(), 4u) << out;
    EXPECT_EQ(all_matches(out, R"((transfer \d committed in block \d+))").size(), 4u) << out;
    EXPECT_NE(out.find("count() read with eth_call on org4-node1"), std::string::npos) << out;
    EXPECT_NE(out.find("event Added(by=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266, amount=7, "
                       "count=7)"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("all 4 node(s) agree on block"), std::string::npos) << out;
    const auto finished = all_matches(
        out, R"(demo finished: 4 transfers committed, Counter at (0x[0-9a-f]{40}) reads 7,)");
    ASSERT_EQ(finished.size(), 1u) << out;

    // Check what the demo claimed, at each node, over JSON-RPC.
    for (uint16_t i = 0; i < kNodes; ++i) {
        rpc::Client client({"127.0.0.1", static_cast<uint16_t>(rpc_base + i)}, 5s);
        for (const auto& hash : transfers) {
            json receipt;
            for (int tries = 0; tries < 300 && receipt.is_null(); ++tries) {
                auto r = client.call("eth_getTransactionReceipt", json::array({hash}));
                ASSERT_TRUE(r) << r.error().to_string();
                receipt = *r;
                if (receipt.is_null()) std::this_thread::sleep_for(100ms);
            }
            ASSERT_TRUE(receipt.is_object()) << "node " << i << " has no receipt for " << hash;
            EXPECT_EQ(receipt["status"], "0x1") << receipt.dump();
        }
        auto count = client.call(
            "eth_call", json::array({json{{"to", finished[0]}, {"data", "0x06661abd"}}, "latest"}));
        ASSERT_TRUE(count) << count.error().to_string();
        EXPECT_EQ(*count, "0x" + std::string(63, '0') + "7") << "node " << i;
    }

    // The network is still up after the demo; Ctrl-C stops it and every node with it.
    ASSERT_FALSE((*up)->poll().has_value()) << out;
    ASSERT_TRUE((*up)->signal(SIGINT));
    auto code = (*up)->wait(60s);
    ASSERT_TRUE(code) << code.error().to_string() << "\n" << read_file_tail(log);
    EXPECT_EQ(*code, 0) << describe_exit(*code) << "\n" << read_file_tail(log);
    EXPECT_NE(read_file_tail(log).find("stopping the network"), std::string::npos);
    rpc::Client first({"127.0.0.1", rpc_base}, 2s);
    auto after = first.call("eth_blockNumber");
    ASSERT_FALSE(after) << "a node still answers after Ctrl-C";
    EXPECT_TRUE(rpc::is_transport_error(after.error())) << after.error().to_string();
}

}  // namespace
}  // namespace hc::testing
