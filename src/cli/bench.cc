#include "cli/bench.h"

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "common/keccak.h"
#include "common/uint256.h"
#include "crypto/secp256k1.h"
#include "ledger/transaction.h"
#include "node/dev_accounts.h"
#include "rpc/client.h"

namespace hc::cli {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr uint64_t kTransferGas = 21000;
// A sender may hold 256 transactions in a Honeycomb pool: funding goes in waves well below it.
constexpr size_t kFundingWavePerFunder = 200;

Error bad_option(const std::string& message) {
    return make_error(Errc::invalid_argument, message);
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

struct Account {
    Hash32 key;
    Address address;
    uint64_t nonce = 0;  // the next one to use
};

struct Signed {
    std::string raw;   // 0x-hex
    std::string hash;  // 0x-hex
};

Result<uint256> quantity_u256(const json& j, const std::string& what) {
    if (!j.is_string())
        return make_error(Errc::decode, what + ": expected a quantity, got " + j.dump());
    auto v = uint256::from_string(j.get<std::string>());
    if (!v) return make_error(Errc::decode, what + ": " + v.error().message);
    return *v;
}

// Calls in batches of `size`; every answer must succeed.
Result<std::vector<json>> batched(rpc::Client& client, const std::vector<rpc::Request>& requests,
                                  size_t size) {
    std::vector<json> out;
    out.reserve(requests.size());
    for (size_t at = 0; at < requests.size(); at += size) {
        std::vector<rpc::Request> chunk(
            requests.begin() + static_cast<ptrdiff_t>(at),
            requests.begin() + static_cast<ptrdiff_t>(std::min(requests.size(), at + size)));
        auto answers = client.batch(chunk);
        if (!answers)
            return make_error(answers.error().code,
                              chunk.front().method + " batch: " + answers.error().message);
        for (size_t i = 0; i < answers->size(); ++i) {
            if (!(*answers)[i])
                return make_error((*answers)[i].error().code,
                                  chunk[i].method + " " + chunk[i].params.dump().substr(0, 80) +
                                      ": " + (*answers)[i].error().message);
            out.push_back(std::move(*(*answers)[i]));
        }
    }
    return out;
}

Result<Signed> sign_transfer(const Account& from, uint64_t nonce, const Address& to,
                             const uint256& value, uint64_t chain_id, const uint256& fee_cap) {
    Transaction tx;
    tx.type = TxType::dynamic_fee;
    tx.chain_id = chain_id;
    tx.nonce = nonce;
    tx.max_fee_per_gas = fee_cap;
    tx.max_priority_fee_per_gas = 0;
    tx.gas_limit = kTransferGas;
    tx.to = to;
    tx.value = value;
    if (!sign_transaction(tx, from.key))
        return make_error(Errc::crypto, "cannot sign a transaction from " + from.address.hex());
    return Signed{to_hex(encode_transaction(tx)), transaction_hash(tx).hex()};
}

Result<std::vector<std::string>> submit_all(rpc::Client& client, const std::vector<Signed>& txs,
                                            size_t batch) {
    std::vector<rpc::Request> requests;
    for (const auto& t : txs)
        requests.push_back({"eth_sendRawTransaction", json::array({t.raw})});
    HC_ASSIGN_OR_RETURN(auto answers, batched(client, requests, batch));
    std::vector<std::string> hashes;
    for (const json& h : answers)
        hashes.push_back(h.get<std::string>());
    return hashes;
}

// Waits until every hash has a successful receipt.
Status wait_for_receipts(rpc::Client& client, std::vector<std::string> hashes, size_t batch,
                         std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!hashes.empty()) {
        std::vector<rpc::Request> requests;
        for (const auto& h : hashes)
            requests.push_back({"eth_getTransactionReceipt", json::array({h})});
        HC_ASSIGN_OR_RETURN(auto receipts, batched(client, requests, batch));
        std::vector<std::string> left;
        for (size_t i = 0; i < hashes.size(); ++i) {
            if (receipts[i].is_null())
                left.push_back(hashes[i]);
            else if (receipts[i].value("status", json()) != json("0x1"))
                return make_error(Errc::invalid_argument,
                                  "setup transfer " + hashes[i] + " failed: " + receipts[i].dump());
        }
        hashes = std::move(left);
        if (hashes.empty()) break;
        if (Clock::now() > deadline)
            return make_error(
                Errc::io, std::to_string(hashes.size()) + " setup transfers not committed after " +
                              std::to_string(timeout.count()) + " s, e.g. " + hashes.front());
        std::this_thread::sleep_for(milliseconds(50));
    }
    return {};
}

bool retryable(const Error& e) {
    return e.message.find("txpool is full") != std::string::npos ||
           e.message.find("too many pending") != std::string::npos;
}

Status check_options(const BenchOptions& o) {
    if (o.rpc.empty()) return bad_option("--rpc is required: the node's http://host:port");
    if (o.workload == "w2")
        return make_error(Errc::unsupported,
                          "workload w2 (OpenZeppelin ERC20 transfers) is not implemented yet; "
                          "use w1 or w3");
    if (o.workload != "w1" && o.workload != "w3")
        return bad_option("--workload must be w1 or w3 (w2 is not implemented yet)");
    if (o.txs == 0 || o.accounts < 2 || o.batch == 0 || o.connections == 0 || o.nodes == 0)
        return bad_option(
            "--txs, --batch, --connections and --nodes must be positive, and "
            "--accounts at least 2");
    if (o.connections > 256) return bad_option("--connections must be at most 256");
    return {};
}

}  // namespace

double quantile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return 0;
    const double pos = q * static_cast<double>(sorted.size() - 1);
    return sorted[static_cast<size_t>(pos + 0.5)];
}

double steady_rate(const std::vector<double>& t) {
    if (t.size() < 10) return 0;
    const size_t lo = t.size() / 10, hi = t.size() - 1 - t.size() / 10;
    const double span = t[hi] - t[lo];
    return span > 0 ? static_cast<double>(hi - lo) / span : 0;
}

Result<ProcessUsage> process_usage(int pid) {
    const std::string dir = "/proc/" + std::to_string(pid);
    std::ifstream stat(dir + "/stat");
    std::string line;
    if (!stat || !std::getline(stat, line))
        return make_error(Errc::not_found, "process " + std::to_string(pid) +
                                               " is not running (no " + dir + "/stat)");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const size_t close = line.rfind(')');
    if (close == std::string::npos) return make_error(Errc::decode, "unreadable " + dir + "/stat");
    std::istringstream rest(line.substr(close + 2));
    std::vector<std::string> fields;
    for (std::string f; rest >> f;)
        fields.push_back(f);
    // utime and stime are fields 14 and 15 of the file: 12 and 13 after the name.
    if (fields.size() < 13) return make_error(Errc::decode, "short " + dir + "/stat");
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    ProcessUsage u;
    u.pid = pid;
    u.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
    std::ifstream status(dir + "/status");
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0) u.peak_rss_mib = std::stod(line.substr(6)) / 1024.0;
    return u;
}

double measure_recoveries_per_second(int ms) {
    const Hash32 key = keccak256(as_bytes(std::string("honeycomb bench bound")));
    const Hash32 digest = keccak256(as_bytes(std::string("a digest")));
    auto sig = crypto::secp256k1_sign(digest, key);
    if (!sig) return 0;
    const auto start = Clock::now();
    const auto until = start + milliseconds(ms);
    uint64_t n = 0;
    while (Clock::now() < until) {
        for (int i = 0; i < 50; ++i)
            if (crypto::secp256k1_recover(digest, *sig)) ++n;
    }
    return static_cast<double>(n) / seconds_between(start, Clock::now());
}

Result<BenchReport> run_bench(const BenchOptions& o, std::ostream& log) {
    HC_TRY(check_options(o));
    BenchReport report;
    report.workload = o.workload;
    report.cores = std::max(1u, std::thread::hardware_concurrency());
    HC_ASSIGN_OR_RETURN(rpc::Endpoint endpoint, rpc::parse_http_url(o.rpc));
    rpc::Client ctl(endpoint, std::chrono::seconds(60));
    HC_ASSIGN_OR_RETURN(json chain_id_json,
                        ctl.call_retrying("eth_chainId", json::array(), std::chrono::seconds(30),
                                          milliseconds(100)));
    HC_ASSIGN_OR_RETURN(const uint64_t chain_id, rpc::quantity_u64(chain_id_json));
    HC_ASSIGN_OR_RETURN(json price_json, ctl.call("eth_gasPrice"));
    HC_ASSIGN_OR_RETURN(const uint256 fee_cap, quantity_u256(price_json, "eth_gasPrice"));
    const uint256 cost = uint256(kTransferGas) * fee_cap + uint256(1);

    // ---- Accounts, each funded for its share ----
    std::vector<Account> accounts(o.accounts);
    for (size_t i = 0; i < accounts.size(); ++i) {
        accounts[i].key = keccak256(as_bytes(o.seed + " account " + std::to_string(i)));
        HC_ASSIGN_OR_RETURN(accounts[i].address, crypto::secp256k1_address(accounts[i].key));
    }
    std::vector<uint64_t> share(o.accounts, o.txs / o.accounts);
    for (size_t i = 0; i < o.txs % o.accounts; ++i)
        ++share[i];

    auto pending_nonces = [&](const std::vector<Account>& who) -> Result<std::vector<uint64_t>> {
        std::vector<rpc::Request> requests;
        for (const auto& a : who)
            requests.push_back(
                {"eth_getTransactionCount", json::array({a.address.hex(), "pending"})});
        HC_ASSIGN_OR_RETURN(auto answers, batched(ctl, requests, o.batch));
        std::vector<uint64_t> out;
        for (const json& n : answers) {
            HC_ASSIGN_OR_RETURN(uint64_t v, rpc::quantity_u64(n));
            out.push_back(v);
        }
        return out;
    };

    std::vector<Account> funders;
    if (o.funder_keys.empty()) {
        for (size_t i = 0; i < node::kDevAccounts.size(); ++i)
            funders.push_back({node::dev_key(i), node::dev_address(i), 0});
    } else {
        for (const std::string& hex : o.funder_keys) {
            auto raw = from_hex(hex);
            if (!raw || raw->size() != 32)
                return bad_option("--funder-key: expected 32 bytes of hex");
            Account a;
            std::copy(raw->begin(), raw->end(), a.key.bytes.begin());
            HC_ASSIGN_OR_RETURN(a.address, crypto::secp256k1_address(a.key));
            funders.push_back(a);
        }
    }
    {
        HC_ASSIGN_OR_RETURN(auto nonces, pending_nonces(funders));
        for (size_t i = 0; i < funders.size(); ++i)
            funders[i].nonce = nonces[i];
    }
    const auto setup_start = Clock::now();
    std::vector<rpc::Request> balance_requests;
    for (const auto& a : accounts)
        balance_requests.push_back({"eth_getBalance", json::array({a.address.hex(), "latest"})});
    HC_ASSIGN_OR_RETURN(auto balances, batched(ctl, balance_requests, o.batch));
    std::vector<Signed> funding;
    size_t funded = 0;
    for (size_t i = 0; i < accounts.size(); ++i) {
        const uint256 need = cost * uint256(share[i] + 1);
        HC_ASSIGN_OR_RETURN(const uint256 have, quantity_u256(balances[i], "eth_getBalance"));
        if (have >= need) continue;
        Account& from = funders[funded % funders.size()];
        HC_ASSIGN_OR_RETURN(Signed s, sign_transfer(from, from.nonce++, accounts[i].address,
                                                    need - have, chain_id, fee_cap * uint256(2)));
        funding.push_back(std::move(s));
        ++funded;
        if (funding.size() == funders.size() * kFundingWavePerFunder || i + 1 == accounts.size()) {
            HC_ASSIGN_OR_RETURN(auto hashes, submit_all(ctl, funding, o.batch));
            HC_TRY(wait_for_receipts(ctl, std::move(hashes), o.batch, std::chrono::seconds(300)));
            funding.clear();
        }
    }
    if (!funding.empty()) {
        HC_ASSIGN_OR_RETURN(auto hashes, submit_all(ctl, funding, o.batch));
        HC_TRY(wait_for_receipts(ctl, std::move(hashes), o.batch, std::chrono::seconds(300)));
    }
    {
        HC_ASSIGN_OR_RETURN(auto nonces, pending_nonces(accounts));
        for (size_t i = 0; i < accounts.size(); ++i)
            accounts[i].nonce = nonces[i];
    }
    log << "setup: funded " << funded << " of " << accounts.size() << " accounts in "
        << seconds_between(setup_start, Clock::now()) << " s\n";

    // ---- Presign, interleaving senders so every batch spreads over many of them ----
    const Address hot = [&] {
        Address a;
        const Hash32 h = keccak256(as_bytes(o.seed + " hot account"));
        std::copy(h.bytes.end() - 20, h.bytes.end(), a.bytes.begin());
        return a;
    }();
    struct Slot {
        size_t account;
        uint64_t nonce;
    };
    std::vector<Slot> order;
    order.reserve(o.txs);
    for (uint64_t k = 0; order.size() < o.txs; ++k)
        for (size_t a = 0; a < accounts.size() && order.size() < o.txs; ++a)
            if (k < share[a]) order.push_back({a, accounts[a].nonce + k});
    std::vector<Signed> txs(order.size());
    {
        const auto sign_start = Clock::now();
        std::vector<std::thread> signers;
        std::atomic<bool> sign_failed{false};
        for (unsigned t = 0; t < report.cores; ++t)
            signers.emplace_back([&, t] {
                for (size_t i = t; i < order.size(); i += report.cores) {
                    const size_t a = order[i].account;
                    const Address to = o.workload == "w3" && i % 10 == 0
                                           ? hot
                                           : accounts[(a + 1) % accounts.size()].address;
                    auto s = sign_transfer(accounts[a], order[i].nonce, to, 1, chain_id, fee_cap);
                    if (!s) {
                        sign_failed = true;
                        return;
                    }
                    txs[i] = std::move(*s);
                }
            });
        for (auto& t : signers)
            t.join();
        if (sign_failed) return make_error(Errc::crypto, "cannot sign the workload");
        log << "presigned " << txs.size() << " " << o.workload << " transactions in "
            << seconds_between(sign_start, Clock::now()) << " s\n";
    }
    std::unordered_map<std::string, size_t> index;
    index.reserve(txs.size() * 2);
    for (size_t i = 0; i < txs.size(); ++i)
        index.emplace(txs[i].hash, i);

    // ---- Submit and track ----
    std::vector<ProcessUsage> usage_before;
    for (int pid : o.pids) {
        HC_ASSIGN_OR_RETURN(ProcessUsage u, process_usage(pid));
        usage_before.push_back(u);
    }
    HC_ASSIGN_OR_RETURN(json head_json, ctl.call("eth_blockNumber"));
    HC_ASSIGN_OR_RETURN(const uint64_t start_block, rpc::quantity_u64(head_json));
    const size_t batches = (txs.size() + o.batch - 1) / o.batch;
    std::vector<Clock::time_point> submitted(txs.size()), committed(txs.size());
    std::vector<char> is_committed(txs.size(), 0);
    std::atomic<size_t> next_batch{0}, rejected{0};
    std::atomic<bool> submit_done{false};
    std::mutex mu;  // first_error, first_rejection
    Status first_error;
    std::string first_rejection;
    auto record_error = [&](const Error& e) {
        std::lock_guard lock(mu);
        if (first_error) first_error = e;
    };
    const auto t0 = Clock::now();

    std::vector<std::thread> submitters;
    for (size_t c = 0; c < o.connections; ++c)
        submitters.emplace_back([&] {
            rpc::Client client(endpoint, std::chrono::seconds(60));
            std::vector<size_t> retry;  // refused for now (pool full): sent again shortly
            for (;;) {
                std::vector<size_t> ids;
                if (!retry.empty()) {
                    std::this_thread::sleep_for(milliseconds(20));
                    ids.swap(retry);
                } else {
                    const size_t b = next_batch++;
                    if (b >= batches) break;
                    if (o.rate > 0)  // batch b leaves when the rate says its first tx is due
                        std::this_thread::sleep_until(
                            t0 + std::chrono::microseconds(b * o.batch * 1'000'000 / o.rate));
                    const auto now = Clock::now();
                    for (size_t i = b * o.batch; i < std::min(txs.size(), (b + 1) * o.batch); ++i) {
                        ids.push_back(i);
                        submitted[i] = now;
                    }
                }
                std::vector<rpc::Request> requests;
                for (size_t i : ids)
                    requests.push_back({"eth_sendRawTransaction", json::array({txs[i].raw})});
                auto answers = client.batch(requests);
                if (!answers) {
                    if (!rpc::is_transport_error(answers.error())) {
                        record_error(answers.error());
                        return;
                    }
                    retry = ids;
                    continue;
                }
                for (size_t k = 0; k < ids.size(); ++k) {
                    const auto& a = (*answers)[k];
                    if (a || a.error().message.find("already known") != std::string::npos) continue;
                    if (retryable(a.error())) {
                        retry.push_back(ids[k]);
                        continue;
                    }
                    ++rejected;
                    std::lock_guard lock(mu);
                    if (first_rejection.empty()) first_rejection = a.error().message;
                }
            }
        });

    uint64_t last_block = start_block;
    size_t seen = 0;
    std::thread tracker([&] {
        rpc::Client client(endpoint, std::chrono::seconds(60));
        auto last_progress = Clock::now();
        for (;;) {
            auto head = client.call("eth_blockNumber");
            auto head_n = head ? rpc::quantity_u64(*head) : Result<uint64_t>(head.error());
            if (!head_n) return record_error(head_n.error());
            const auto now = Clock::now();
            if (*head_n > last_block) {
                std::vector<rpc::Request> requests;
                for (uint64_t n = last_block + 1; n <= *head_n; ++n)
                    requests.push_back(
                        {"eth_getBlockByNumber", json::array({rpc::quantity_hex(n), false})});
                auto blocks = batched(client, requests, o.batch);
                if (!blocks) return record_error(blocks.error());
                for (const json& block : *blocks)
                    for (const json& h : block.value("transactions", json::array())) {
                        auto it = index.find(h.get<std::string>());
                        if (it == index.end() || is_committed[it->second]) continue;
                        is_committed[it->second] = 1;
                        committed[it->second] = now;
                        ++seen;
                        last_progress = now;
                    }
                last_block = *head_n;
            }
            if (submit_done && seen + rejected >= txs.size()) return;
            if (submit_done && now - last_progress > std::chrono::seconds(o.timeout_s)) return;
            {
                std::lock_guard lock(mu);
                if (!first_error) return;
            }
            std::this_thread::sleep_for(milliseconds(2));
        }
    });
    for (auto& t : submitters)
        t.join();
    submit_done = true;
    tracker.join();
    HC_TRY(first_error);

    // ---- Report ----
    for (size_t k = 0; k < o.pids.size(); ++k) {
        HC_ASSIGN_OR_RETURN(ProcessUsage u, process_usage(o.pids[k]));
        u.cpu_seconds -= usage_before[k].cpu_seconds;
        report.processes.push_back(u);
    }
    std::vector<double> latency_ms, commit_s;
    Clock::time_point last_commit = t0;
    for (size_t i = 0; i < txs.size(); ++i) {
        if (!is_committed[i]) continue;
        latency_ms.push_back(
            std::chrono::duration<double, std::milli>(committed[i] - submitted[i]).count());
        commit_s.push_back(seconds_between(t0, committed[i]));
        last_commit = std::max(last_commit, committed[i]);
    }
    std::sort(latency_ms.begin(), latency_ms.end());
    std::sort(commit_s.begin(), commit_s.end());
    report.sent = txs.size();
    report.committed = latency_ms.size();
    report.rejected = rejected;
    report.first_rejection = first_rejection;
    report.duration_s = seconds_between(t0, last_commit);
    report.tps =
        report.duration_s > 0 ? static_cast<double>(report.committed) / report.duration_s : 0;
    report.steady_tps = steady_rate(commit_s);
    report.p50_ms = quantile(latency_ms, 0.50);
    report.p95_ms = quantile(latency_ms, 0.95);
    report.p99_ms = quantile(latency_ms, 0.99);
    report.max_ms = latency_ms.empty() ? 0 : latency_ms.back();
    report.recoveries_per_core = measure_recoveries_per_second(300);
    report.bound_tps = report.recoveries_per_core * report.cores / static_cast<double>(o.nodes);
    return report;
}

std::string format_bench_report(const BenchReport& r, const BenchOptions& o) {
    char line[512];
    std::string out;
    auto add = [&](const char* fmt, auto... args) {
        std::snprintf(line, sizeof line, fmt, args...);
        out += line;
    };
    add("\n== honeycomb bench %s: %" PRIu64 " txs, %" PRIu64 " accounts, batch %" PRIu64
        ", %" PRIu64 " connections, rate %s ==\n",
        r.workload.c_str(), o.txs, o.accounts, o.batch, o.connections,
        o.rate ? (std::to_string(o.rate) + " tx/s").c_str() : "open");
    add("  committed       %" PRIu64 " of %" PRIu64 " (rejected %" PRIu64 ")\n", r.committed,
        r.sent, r.rejected);
    if (!r.first_rejection.empty()) add("  first rejection %s\n", r.first_rejection.c_str());
    add("  steady tx/s     %.1f (middle 80%% of commits)\n", r.steady_tps);
    add("  overall tx/s    %.1f over %.3f s (first submit -> last commit seen)\n", r.tps,
        r.duration_s);
    add("  latency         p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms\n", r.p50_ms,
        r.p95_ms, r.p99_ms, r.max_ms);
    for (const auto& p : r.processes)
        add("  pid %-10d   cpu %.2f s (%.0f%% of a core), peak RSS %.1f MiB\n", p.pid,
            p.cpu_seconds, r.duration_s > 0 ? 100 * p.cpu_seconds / r.duration_s : 0.0,
            p.peak_rss_mib);
    add("  bound           %.0f tx/s = %.0f secp256k1 recoveries/s x %u cores / %" PRIu64
        " node(s); steady is %.2f of it\n",
        r.bound_tps, r.recoveries_per_core, r.cores, o.nodes,
        r.bound_tps > 0 ? r.steady_tps / r.bound_tps : 0.0);
    return out;
}

CLI::App* add_bench_command(CLI::App& app, BenchOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "bench", "Load any Ethereum JSON-RPC endpoint: committed tx/s, latency, CPU, RSS, bound");
    cmd->add_option("--rpc", o.rpc, "The node's JSON-RPC URL, http://host:port")->required();
    cmd->add_option("--workload", o.workload, "w1 (transfers) or w3 (10% to one hot account)")
        ->capture_default_str();
    cmd->add_option("--txs", o.txs, "Transactions to send")->capture_default_str();
    cmd->add_option("--accounts", o.accounts, "Fresh accounts (funded in a setup phase)")
        ->capture_default_str();
    cmd->add_option("--batch", o.batch, "Requests per JSON-RPC batch")->capture_default_str();
    cmd->add_option("--connections", o.connections, "Concurrent keep-alive HTTP connections")
        ->capture_default_str();
    cmd->add_option("--rate", o.rate, "Transactions per second to offer; 0: as fast as taken")
        ->capture_default_str();
    cmd->add_option("--pid", o.pids, "A node process to report CPU and peak RSS of (repeat)");
    cmd->add_option("--nodes", o.nodes, "Nodes that each recover every signature (the bound)")
        ->capture_default_str();
    cmd->add_option("--funder-key", o.funder_keys,
                    "Hex key of a funded account (repeat); default: the development accounts");
    cmd->add_option("--seed", o.seed, "Derives the accounts' keys")->capture_default_str();
    cmd->add_option("--timeout", o.timeout_s, "Give up after this many seconds without a commit")
        ->capture_default_str();
    return cmd;
}

int run_bench_command(const BenchOptions& options) {
    auto report = run_bench(options, std::cout);
    if (!report) {
        std::fprintf(stderr, "honeycomb bench: %s\n", report.error().message.c_str());
        return 1;
    }
    std::fputs(format_bench_report(*report, options).c_str(), stdout);
    return report->committed == report->sent ? 0 : 1;
}

}  // namespace hc::cli
