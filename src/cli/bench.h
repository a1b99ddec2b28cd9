// `honeycomb bench`: a load generator for any Ethereum JSON-RPC endpoint (a Honeycomb node,
// another client), measuring what a wallet or Caliper would see.
//
//   honeycomb bench --rpc http://127.0.0.1:8545 --workload w1 --txs 20000 --pid 1234
//
//   1. Setup: derives --accounts fresh accounts from a seed and funds each for its share from
//      the funder keys (default: the ten development accounts), waiting for the funding to
//      commit.
//   2. Presigns the workload (EIP-1559 transactions at the node's gas price):
//        w1  transfers between the accounts (account i pays account i+1)
//        w2  OpenZeppelin ERC20 transfers between the accounts: the setup deploys BenchToken
//            (cli/demo_contract/BenchToken.sol) and hands each account its share; each
//            transfer carries the endpoint's eth_estimateGas for the costliest one
//        w3  w1 with every tenth transaction paying one hot account instead: contention on a
//            single balance
//   3. Serializes each JSON-RPC batch of eth_sendRawTransaction calls once, then submits the
//      prepared batches over --connections keep-alive HTTP connections or, with --transport ws
//      (or a ws:// --rpc), WebSocket connections to the same port, at --rate transactions/s or
//      as fast as the node takes them (0), while a tracker polls the head every 10 ms and reads
//      each new block's transaction hashes. The generator shares the machine with the node it
//      measures, so the measured phase builds no JSON per request, and the tracker polls no
//      faster than latency needs (blocks take tens of milliseconds or more).
//   4. Checks every receipt (a transaction in a block may still have failed), then reports
//      committed tx/s over the steady window (the middle 80 % of the commits) and over
//      the whole run, latency from submission to the block as the client saw it (p50, p95, p99),
//      CPU and peak RSS of the --pid processes, the generator's own CPU over the same window
//      (what it took from a node on the same machine), and the signature bound: secp256k1
//      recoveries/s measured here on one core x cores / --nodes, with the result's ratio to it.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "common/error.h"

namespace hc::cli {

struct BenchOptions {
    std::string rpc;        // http://host:port, or ws://host:port (WebSocket unless --transport)
    std::string transport;  // "http" or "ws"; empty: ws for a ws:// rpc, else http
    std::string workload = "w1";
    uint64_t txs = 20000;
    uint64_t accounts = 10000;
    uint64_t batch = 100;      // requests per JSON-RPC batch
    uint64_t connections = 4;  // concurrent submitting connections
    uint64_t rate = 0;         // transactions/s; 0: open loop
    std::vector<int> pids;     // node processes whose CPU and RSS are reported (Linux /proc)
    uint64_t nodes = 1;        // nodes that each recover every signature (for the bound)
    std::vector<std::string> funder_keys;  // hex secp256k1 keys; empty: the development accounts
    std::string seed = "honeycomb bench";  // derives the accounts' keys
    uint64_t timeout_s = 120;              // give up after this long without a commit
};

struct ProcessUsage {
    int pid = 0;
    double cpu_seconds = 0;   // user + system during the measured phase
    double peak_rss_mib = 0;  // VmHWM at the end
};

struct BenchReport {
    std::string workload;
    std::string transport;  // "http" or "ws", as used
    uint64_t sent = 0;
    uint64_t committed = 0;
    uint64_t rejected = 0;
    uint64_t failed = 0;  // in a block, but with status 0
    std::string first_rejection;
    double duration_s = 0;  // first submission -> last commit observed
    double tps = 0;         // over the whole run
    double steady_tps = 0;  // over the middle 80 % of the commits
    double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
    std::vector<ProcessUsage> processes;
    double usage_window_s = 0;       // the wall time their CPU seconds were counted over
    double client_cpu_seconds = 0;   // this process's user + system over the same window
    double recoveries_per_core = 0;  // secp256k1 recoveries/s, measured here
    unsigned cores = 0;
    double bound_tps = 0;  // recoveries_per_core x cores / nodes
};

// The value at quantile q (0..1) of sorted values; 0 for none.
double quantile(const std::vector<double>& sorted, double q);
// Transactions per second between the commits at the 10th and 90th percentile of commit times
// (sorted, seconds from the start); 0 when fewer than 10 commits or no time between them.
double steady_rate(const std::vector<double>& sorted_commit_times);
// CPU seconds (user + system) and peak RSS of a live process, from /proc.
Result<ProcessUsage> process_usage(int pid);
// secp256k1 public-key recoveries per second on one thread, over about `ms` milliseconds.
double measure_recoveries_per_second(int ms);

// Reads the answers to eth_getBlockByNumber(n, false) for consecutive blocks n and calls on_tx
// with each transaction hash they list; returns how many blocks were read. It stops at the first
// null answer: an endpoint may list a head before it serves the block (asked again later). An
// answer that is not a block with a list of hashes is an error naming block first + its position.
Result<size_t> read_listed_blocks(const std::vector<nlohmann::json>& answers, uint64_t first,
                                  const std::function<void(const std::string&)>& on_tx);

// Runs the benchmark; progress lines go to `log`. Errors: bad options, an endpoint that does not
// answer, a setup transaction that fails.
Result<BenchReport> run_bench(const BenchOptions& options, std::ostream& log);
std::string format_bench_report(const BenchReport& report, const BenchOptions& options);

CLI::App* add_bench_command(CLI::App& app, BenchOptions& options);
int run_bench_command(const BenchOptions& options);

}  // namespace hc::cli
