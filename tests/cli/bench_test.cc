// `honeycomb bench` against a real node (a development chain in this process, served over
// JSON-RPC on loopback), and its pieces.
#include "cli/bench.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>

#include "common/keccak.h"
#include "ledger/transaction.h"
#include "node/dev_accounts.h"
#include "support/served_node.h"

namespace hc::cli {
namespace {

using ::testing::HasSubstr;

TEST(BenchMath, QuantilesAndTheSteadyWindow) {
    EXPECT_EQ(quantile({}, 0.5), 0);
    const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    EXPECT_EQ(quantile(v, 0), 1);
    EXPECT_EQ(quantile(v, 0.5), 6);
    EXPECT_EQ(quantile(v, 1), 11);
    // Commits at 0..99 s, one a second, plus a slow tail: the steady window (10th..90th
    // percentile) sees one a second, whatever the tail.
    std::vector<double> t;
    for (int i = 0; i < 100; ++i)
        t.push_back(i);
    t.push_back(1000);
    EXPECT_NEAR(steady_rate(t), 1.0, 0.02);
    EXPECT_EQ(steady_rate({1, 2, 3}), 0);  // too few to have a middle
}

TEST(BenchMath, ProcessUsageReadsProc) {
    auto self = process_usage(static_cast<int>(::getpid()));
    ASSERT_TRUE(self) << self.error().to_string();
    EXPECT_GT(self->peak_rss_mib, 1.0);
    EXPECT_GE(self->cpu_seconds, 0.0);
    auto gone = process_usage(0x7ffffff0);
    ASSERT_FALSE(gone);
    EXPECT_THAT(gone.error().message, HasSubstr("is not running"));
    EXPECT_GT(measure_recoveries_per_second(20), 100.0);
}

// The tracker reads the blocks between its last poll and the head: an endpoint may list a head
// it does not serve yet (a null block), and one that answers something else is an error, not a
// crash of the generator.
TEST(BenchTracker, ListedBlocksStopAtTheFirstNullAndMalformedAnswersAreErrors) {
    using nlohmann::json;
    std::vector<std::string> seen;
    auto collect = [&](const std::string& h) { seen.push_back(h); };
    const json a = {{"number", "0x5"}, {"transactions", {"0xaa", "0xbb"}}};
    const json b = {{"number", "0x6"}, {"transactions", json::array()}};
    const json c = {{"number", "0x8"}, {"transactions", {"0xcc"}}};

    auto all = read_listed_blocks({a, b}, 5, collect);
    ASSERT_TRUE(all);
    EXPECT_EQ(*all, 2u);
    EXPECT_EQ(seen, (std::vector<std::string>{"0xaa", "0xbb"}));

    seen.clear();
    auto until_null = read_listed_blocks({a, json(), c}, 5, collect);
    ASSERT_TRUE(until_null);
    EXPECT_EQ(*until_null, 1u) << "a block after a null one was counted as read";
    EXPECT_EQ(seen, (std::vector<std::string>{"0xaa", "0xbb"}));

    auto not_a_block = read_listed_blocks({a, json("0x1")}, 5, collect);
    ASSERT_FALSE(not_a_block);
    EXPECT_THAT(not_a_block.error().message, HasSubstr("block 6 answered no block"));
    auto no_list = read_listed_blocks({json{{"number", "0x5"}}}, 5, collect);
    ASSERT_FALSE(no_list);
    EXPECT_THAT(no_list.error().message, HasSubstr("transactions list"));
    auto full_objects =
        read_listed_blocks({json{{"transactions", {json{{"hash", "0xaa"}}}}}}, 9, collect);
    ASSERT_FALSE(full_objects);
    EXPECT_THAT(full_objects.error().message, HasSubstr("block 9 lists a transaction that is not"));
}

class BenchAgainstANode : public ::testing::Test {
  protected:
    void SetUp() override {
        node::NodeConfig config;
        config.chain.chain_id = 1337;
        config.chain.base_fee = uint256(1'000'000'000);
        for (size_t i = 0; i < node::kDevAccounts.size(); ++i)
            config.chain.alloc.push_back(
                {node::dev_address(i), *uint256::from_string("10000000000000000000000")});
        ASSERT_TRUE(served.start(config));
        options.rpc = served.url();
        options.txs = 300;
        options.accounts = 30;
        options.batch = 50;
        options.connections = 2;
        options.pids = {static_cast<int>(::getpid())};
        options.timeout_s = 30;
    }
    hc::testing::ServedNode served;
    BenchOptions options;
};

TEST_F(BenchAgainstANode, EveryWorkloadTransactionCommitsAndIsReported) {
    for (const char* workload : {"w1", "w2", "w3"}) {
        options.workload = workload;
        options.seed = std::string("bench test ") + workload;
        std::ostringstream log;
        const uint64_t before = served.node->chain().head_number();
        auto report = run_bench(options, log);
        ASSERT_TRUE(report) << report.error().to_string();
        EXPECT_THAT(log.str(), HasSubstr("funded 30 of 30 accounts"));
        EXPECT_EQ(report->sent, 300u);
        EXPECT_EQ(report->committed, 300u) << workload;
        EXPECT_EQ(report->rejected, 0u);
        EXPECT_EQ(report->failed, 0u) << workload;
        EXPECT_GT(report->tps, 0);
        EXPECT_LE(report->p50_ms, report->p95_ms);
        EXPECT_LE(report->p95_ms, report->p99_ms);
        EXPECT_LE(report->p99_ms, report->max_ms);
        ASSERT_EQ(report->processes.size(), 1u);
        EXPECT_GT(report->processes[0].peak_rss_mib, 1.0);
        EXPECT_GT(report->bound_tps, 0);
        // The funding and the 300 transactions are on the chain: 10 accounts' worth of
        // transfers per block at most would take 30+ blocks; any growth shows they went through.
        EXPECT_GT(served.node->chain().head_number(), before);
        const std::string text = format_bench_report(*report, options);
        EXPECT_THAT(text, HasSubstr("committed       300 of 300 (rejected 0, failed 0)"));
        if (std::string(workload) == "w2") {
            EXPECT_THAT(log.str(), HasSubstr("BenchToken at"));
            // The transfers carry the estimate for the costliest one; the last ones, to holders
            // that had spent every token, still succeed (failed is 0 above).
            const std::string said = log.str();
            const std::string carries = "a token transfer carries ";
            const size_t at = said.find(carries);
            ASSERT_NE(at, std::string::npos) << said;
            const uint64_t gas = std::stoull(said.substr(at + carries.size()));
            EXPECT_GT(gas, 45'000u);
            EXPECT_LT(gas, 60'000u);
            auto head = served.node->chain().hash_by_number(served.node->chain().head_number());
            ASSERT_TRUE(head && *head);
            auto last = served.node->chain().body(**head);
            ASSERT_TRUE(last && *last && !(*last)->empty());
            for (const Transaction& tx : **last)
                EXPECT_EQ(tx.gas_limit, gas);
        }
        EXPECT_THAT(text, HasSubstr("secp256k1 recoveries/s"));
        EXPECT_EQ(report->transport, "http");
        EXPECT_THAT(text, HasSubstr("  client          cpu "));
    }
    // w3 sends every tenth transaction to one hot account: 30 of 300, one wei each.
    auto hot_balance = [&] {
        Address hot;
        const Hash32 h = keccak256(as_bytes(std::string("bench test w3 hot account")));
        std::copy(h.bytes.end() - 20, h.bytes.end(), hot.bytes.begin());
        return served.node->chain().account(hot).balance;
    };
    EXPECT_EQ(hot_balance(), uint256(30));
}

// The same load over WebSocket, named both ways: --transport ws with the http:// URL, and a
// ws:// URL alone.
TEST_F(BenchAgainstANode, WorkloadsCommitOverWebSocket) {
    struct Case {
        const char* workload;
        std::string rpc;
        const char* transport;
    };
    const Case cases[] = {
        {"w1", served.url(), "ws"},
        {"w3", "ws://127.0.0.1:" + std::to_string(served.server->port()), ""},
    };
    for (const auto& [workload, rpc, transport] : cases) {
        options.workload = workload;
        options.rpc = rpc;
        options.transport = transport;
        options.seed = std::string("bench ws test ") + workload;
        std::ostringstream log;
        auto report = run_bench(options, log);
        ASSERT_TRUE(report) << report.error().to_string();
        EXPECT_EQ(report->transport, "ws") << workload;
        EXPECT_EQ(report->committed, 300u) << workload;
        EXPECT_EQ(report->rejected, 0u) << workload;
        EXPECT_EQ(report->failed, 0u) << workload;
        // The node runs in this process too, so this is its CPU and the generator's together.
        EXPECT_GT(report->client_cpu_seconds, 0) << workload;
        const std::string text = format_bench_report(*report, options);
        EXPECT_THAT(text, HasSubstr("committed       300 of 300 (rejected 0, failed 0)"));
        EXPECT_THAT(text, HasSubstr("2 ws connections"));
        EXPECT_THAT(text, HasSubstr("  client          cpu "));
    }
}

TEST_F(BenchAgainstANode, UnusableOptionsAreErrorsThatSaySo) {
    std::ostringstream log;
    options.workload = "w9";
    auto w9 = run_bench(options, log);
    ASSERT_FALSE(w9);
    EXPECT_THAT(w9.error().message, HasSubstr("--workload must be w1, w2 or w3"));
    options.workload = "w1";
    options.accounts = 1;
    EXPECT_FALSE(run_bench(options, log));
    options.accounts = 30;
    options.transport = "smtp";
    auto smtp = run_bench(options, log);
    ASSERT_FALSE(smtp);
    EXPECT_THAT(smtp.error().message, HasSubstr("--transport must be http or ws, not \"smtp\""));
    options.transport = "http";
    options.rpc = "ws://127.0.0.1:" + std::to_string(served.server->port());
    auto contradiction = run_bench(options, log);
    ASSERT_FALSE(contradiction);
    EXPECT_THAT(contradiction.error().message,
                HasSubstr("is a WebSocket URL but --transport is http"));
    options.transport.clear();
    options.rpc = "not a url";
    auto not_url = run_bench(options, log);
    ASSERT_FALSE(not_url);
    EXPECT_THAT(not_url.error().message,
                HasSubstr("--rpc: expected http://host:port or ws://host:port, got \"not a url\""));
    options.rpc.clear();
    auto no_rpc = run_bench(options, log);
    ASSERT_FALSE(no_rpc);
    EXPECT_THAT(no_rpc.error().message, HasSubstr("--rpc is required"));
}

}  // namespace
}  // namespace hc::cli
