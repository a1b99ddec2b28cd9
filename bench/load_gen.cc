// load_gen: end-to-end transfer throughput and latency of a node, measured from outside over
// JSON-RPC the way a wallet or a benchmark tool (Caliper, say) sees it.
//
//   1. Starts `honeycomb dev` on a temporary data directory (or uses the node at --rpc).
//   2. Setup: funds --accounts fresh accounts from the development accounts and waits for those
//      transfers to commit.
//   3. Presigns --txs transfers (1 wei each, from every fresh account in turn, in nonce order).
//   4. Submits them with eth_sendRawTransaction in JSON-RPC batches of --batch over --connections
//      keep-alive HTTP connections, while a tracker polls the head and reads each new block's
//      transaction hashes.
//   5. Prints committed tx/s (first submit to the block that commits the last transaction, as the
//      client observed it) and the latency of each transaction (its batch was sent -> the client
//      saw the block that holds it): p50 and p99.
//
// Client-observed times include the tracker's polling interval (a few milliseconds) and RPC
// round trips. The node and this client share the machine's cores.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "common/keccak.h"
#include "common/uint256.h"
#include "crypto/secp256k1.h"
#include "ledger/transaction.h"
#include "node/dev_accounts.h"
#include "rpc/client.h"
#include "support/child_process.h"

#ifndef HC_HONEYCOMB_BIN
#define HC_HONEYCOMB_BIN "honeycomb"
#endif

namespace {

using namespace hc;
using namespace hc::testing;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
namespace fs = std::filesystem;

struct Options {
    uint64_t txs = 20000;
    size_t accounts = 200;
    size_t batch = 100;
    size_t connections = 4;
    std::string node_bin;
    std::string rpc;
    bool keep_data = false;
    std::vector<std::string> node_args;
    uint64_t timeout_s = 300;
};

// The node this run started, killed if the run dies.
std::atomic<pid_t> g_node_pid{-1};

[[noreturn]] void die(const std::string& message) {
    std::fprintf(stderr, "load_gen: %s\n", message.c_str());
    if (pid_t pid = g_node_pid.load(); pid > 0) ::kill(pid, SIGKILL);
    std::exit(1);
}

template <typename T>
T or_die(Result<T> r, const std::string& what) {
    if (!r) die(what + ": " + r.error().to_string());
    return std::move(*r);
}

double seconds_since(Clock::time_point t0, Clock::time_point t) {
    return std::chrono::duration<double>(t - t0).count();
}

uint256 parse_u256(const json& j, const std::string& what) {
    if (!j.is_string()) die(what + ": expected a quantity, got " + j.dump());
    return or_die(uint256::from_string(j.get<std::string>()), what);
}

struct Account {
    Hash32 key;
    Address address;
    uint64_t nonce = 0;  // next nonce to use
};

struct Signed {
    std::string raw;   // 0x-hex of the encoding
    std::string hash;  // 0x-hex
};

// Calls in batches of `size`, each answer required to succeed.
std::vector<json> batched(rpc::Client& client, const std::vector<rpc::Request>& requests,
                          size_t size) {
    std::vector<json> out;
    out.reserve(requests.size());
    for (size_t at = 0; at < requests.size(); at += size) {
        std::vector<rpc::Request> chunk(requests.begin() + at,
                                        requests.begin() + std::min(requests.size(), at + size));
        auto r = or_die(client.batch(chunk), chunk.front().method + " batch");
        for (size_t i = 0; i < r.size(); ++i)
            out.push_back(or_die(std::move(r[i]),
                                 chunk[i].method + " " + chunk[i].params.dump().substr(0, 80)));
    }
    return out;
}

Signed sign_transfer(const Account& from, uint64_t nonce, const Address& to, const uint256& value,
                     uint64_t chain_id, const uint256& fee_cap) {
    Transaction tx;
    tx.type = TxType::dynamic_fee;
    tx.chain_id = chain_id;
    tx.nonce = nonce;
    tx.max_fee_per_gas = fee_cap;
    tx.max_priority_fee_per_gas = 0;
    tx.gas_limit = 21000;
    tx.to = to;
    tx.value = value;
    if (!sign_transaction(tx, from.key)) die("cannot sign a transaction");
    return {to_hex(encode_transaction(tx)), transaction_hash(tx).hex()};
}

// Waits until every hash has a receipt; dies after timeout.
void wait_for_receipts(rpc::Client& client, std::vector<std::string> hashes, size_t batch,
                       std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!hashes.empty()) {
        std::vector<rpc::Request> requests;
        for (const auto& h : hashes)
            requests.push_back({"eth_getTransactionReceipt", json::array({h})});
        auto receipts = batched(client, requests, batch);
        std::vector<std::string> left;
        for (size_t i = 0; i < hashes.size(); ++i) {
            if (receipts[i].is_null())
                left.push_back(hashes[i]);
            else if (receipts[i].value("status", json()) != json("0x1"))
                die("setup transfer " + hashes[i] + " failed: " + receipts[i].dump());
        }
        hashes = std::move(left);
        if (hashes.empty()) break;
        if (Clock::now() > deadline)
            die(std::to_string(hashes.size()) + " setup transfers not committed after " +
                std::to_string(timeout.count()) + " s, e.g. " + hashes.front());
        std::this_thread::sleep_for(milliseconds(50));
    }
}

// Sends signed transactions in batches; returns their hashes as the node reported them.
std::vector<std::string> submit_all(rpc::Client& client, const std::vector<Signed>& txs,
                                    size_t batch) {
    std::vector<rpc::Request> requests;
    for (const auto& t : txs)
        requests.push_back({"eth_sendRawTransaction", json::array({t.raw})});
    std::vector<std::string> hashes;
    for (const json& h : batched(client, requests, batch))
        hashes.push_back(h.get<std::string>());
    return hashes;
}

bool retryable(const Error& e) {
    return e.message.find("txpool is full") != std::string::npos ||
           e.message.find("too many pending") != std::string::npos;
}

int run(const Options& o) {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    if (o.accounts == 0 || o.txs == 0 || o.batch == 0 || o.connections == 0)
        die("--txs, --accounts, --batch and --connections must be positive");

    // ---- The node ----
    std::unique_ptr<DevNode> node;
    fs::path work_dir;
    rpc::Endpoint endpoint;
    if (o.rpc.empty()) {
        std::string tmpl = (fs::temp_directory_path() / "hc-load-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) die("cannot create a temporary directory");
        work_dir = tmpl;
        DevNodeConfig config;
        config.binary =
            o.node_bin.empty() ? honeycomb_binary(HC_HONEYCOMB_BIN) : fs::path(o.node_bin);
        config.data_dir = work_dir / "data";
        config.log_path = work_dir / "node.log";
        const uint64_t pool = std::max<uint64_t>(8192, o.txs + o.accounts + 1024);
        // A pool that holds the whole load, unless the caller chose a size.
        if (std::find(o.node_args.begin(), o.node_args.end(), "--txpool-capacity") ==
            o.node_args.end()) {
            config.extra_args.push_back("--txpool-capacity");
            config.extra_args.push_back(std::to_string(pool));
        }
        config.extra_args.insert(config.extra_args.end(), o.node_args.begin(), o.node_args.end());
        node = or_die(DevNode::start(config), "starting honeycomb dev");
        endpoint = node->endpoint();
        g_node_pid = node->pid();
        std::string args;
        for (const auto& a : config.extra_args)
            args += " " + a;
        std::printf("node: %s dev at %s (pid %d), data in %s,%s\n", config.binary.c_str(),
                    node->url().c_str(), node->pid(), config.data_dir.c_str(), args.c_str());
    } else {
        endpoint = or_die(rpc::parse_http_url(o.rpc), "--rpc");
        std::printf("node: %s (already running)\n", o.rpc.c_str());
    }
    std::fflush(stdout);

    rpc::Client ctl(endpoint, std::chrono::seconds(60));
    // A node started just before (make bench-network) may still be opening its port.
    const uint64_t chain_id =
        or_die(rpc::quantity_u64(
                   or_die(ctl.call_retrying("eth_chainId", json::array(), std::chrono::seconds(60),
                                            std::chrono::milliseconds(100)),
                          "eth_chainId")),
               "eth_chainId");
    const uint256 base_fee =
        parse_u256(or_die(ctl.call("eth_gasPrice"), "eth_gasPrice"), "eth_gasPrice");
    const uint256 fee_cap = base_fee;  // the base fee is constant; no tip
    const uint256 cost = uint256(21000) * fee_cap + uint256(1);

    // ---- Accounts: fresh keys, each funded for its share of the transfers ----
    std::vector<Account> accounts(o.accounts);
    for (size_t i = 0; i < accounts.size(); ++i) {
        accounts[i].key = keccak256(as_bytes("honeycomb load_gen account " + std::to_string(i)));
        accounts[i].address = or_die(crypto::secp256k1_address(accounts[i].key), "account key");
    }
    std::vector<uint64_t> share(o.accounts, o.txs / o.accounts);
    for (size_t i = 0; i < o.txs % o.accounts; ++i)
        ++share[i];

    auto pending_nonces = [&](const std::vector<Address>& who) {
        std::vector<rpc::Request> requests;
        for (const auto& a : who)
            requests.push_back({"eth_getTransactionCount", json::array({a.hex(), "pending"})});
        std::vector<uint64_t> out;
        for (const json& n : batched(ctl, requests, o.batch))
            out.push_back(or_die(rpc::quantity_u64(n), "nonce"));
        return out;
    };

    const auto setup_start = Clock::now();
    std::vector<Account> dev(node::kDevAccounts.size());
    {
        std::vector<Address> who;
        for (size_t i = 0; i < dev.size(); ++i) {
            dev[i].key = node::dev_key(i);
            dev[i].address = node::dev_address(i);
            who.push_back(dev[i].address);
        }
        auto nonces = pending_nonces(who);
        for (size_t i = 0; i < dev.size(); ++i)
            dev[i].nonce = nonces[i];
    }
    std::vector<rpc::Request> balance_requests;
    for (const auto& a : accounts)
        balance_requests.push_back({"eth_getBalance", json::array({a.address.hex(), "latest"})});
    const std::vector<json> balances = batched(ctl, balance_requests, o.batch);
    std::vector<Signed> funding;
    size_t funded = 0;
    for (size_t i = 0; i < accounts.size(); ++i) {
        const uint256 need = cost * uint256(share[i] + 1);
        const uint256 have = parse_u256(balances[i], "eth_getBalance");
        if (have >= need) continue;
        Account& from = dev[funded % dev.size()];
        funding.push_back(sign_transfer(from, from.nonce++, accounts[i].address, need - have,
                                        chain_id, fee_cap * uint256(2)));
        ++funded;
        // A sender may hold 256 transactions in the pool: send in waves well below that.
        if (funding.size() == dev.size() * 200) {
            wait_for_receipts(ctl, submit_all(ctl, funding, o.batch), o.batch,
                              std::chrono::seconds(300));
            funding.clear();
        }
    }
    if (!funding.empty())
        wait_for_receipts(ctl, submit_all(ctl, funding, o.batch), o.batch,
                          std::chrono::seconds(300));
    {
        std::vector<Address> who;
        for (const auto& a : accounts)
            who.push_back(a.address);
        auto nonces = pending_nonces(who);
        for (size_t i = 0; i < accounts.size(); ++i)
            accounts[i].nonce = nonces[i];
    }
    std::printf("setup: funded %zu of %zu accounts in %.2f s\n", funded, accounts.size(),
                seconds_since(setup_start, Clock::now()));

    // ---- Presign, interleaving accounts so every batch spreads over many senders ----
    const auto sign_start = Clock::now();
    struct Slot {
        size_t account;
        uint64_t nonce;
    };
    std::vector<Slot> order;
    order.reserve(o.txs);
    for (uint64_t k = 0; order.size() < o.txs; ++k)
        for (size_t a = 0; a < accounts.size(); ++a)
            if (k < share[a]) order.push_back({a, accounts[a].nonce + k});
    std::vector<Signed> txs(order.size());
    {
        std::vector<std::thread> signers;
        for (unsigned t = 0; t < cores; ++t)
            signers.emplace_back([&, t] {
                for (size_t i = t; i < order.size(); i += cores) {
                    const size_t a = order[i].account;
                    txs[i] = sign_transfer(accounts[a], order[i].nonce,
                                           accounts[(a + 1) % accounts.size()].address, 1, chain_id,
                                           fee_cap);
                }
            });
        for (auto& t : signers)
            t.join();
    }
    std::unordered_map<std::string, size_t> index;
    index.reserve(txs.size() * 2);
    for (size_t i = 0; i < txs.size(); ++i)
        index.emplace(txs[i].hash, i);
    std::printf("presigned %zu transfers from %zu accounts in %.2f s\n", txs.size(),
                accounts.size(), seconds_since(sign_start, Clock::now()));
    std::fflush(stdout);

    // ---- Submit and track ----
    const uint64_t start_block =
        or_die(rpc::quantity_u64(or_die(ctl.call("eth_blockNumber"), "eth_blockNumber")), "head");
    const size_t batches = (txs.size() + o.batch - 1) / o.batch;
    std::vector<Clock::time_point> submitted(txs.size());
    std::vector<Clock::time_point> committed(txs.size());
    std::vector<char> is_committed(txs.size(), 0);
    std::atomic<size_t> next_batch{0};
    std::atomic<size_t> rejected{0}, retries{0};
    std::atomic<bool> submit_done{false};
    std::mutex reject_mu;
    std::string first_rejection;
    const auto t0 = Clock::now();
    Clock::time_point last_submit = t0;
    std::mutex last_submit_mu;

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
                    const auto now = Clock::now();
                    for (size_t i = b * o.batch; i < std::min(txs.size(), (b + 1) * o.batch); ++i) {
                        ids.push_back(i);
                        submitted[i] = now;
                    }
                }
                std::vector<rpc::Request> requests;
                for (size_t i : ids)
                    requests.push_back({"eth_sendRawTransaction", json::array({txs[i].raw})});
                auto r = client.batch(requests);
                if (!r) {
                    if (!rpc::is_transport_error(r.error()))
                        die("submit: " + r.error().to_string());
                    retries += ids.size();
                    retry = ids;
                    continue;
                }
                for (size_t k = 0; k < ids.size(); ++k) {
                    const auto& answer = (*r)[k];
                    if (answer || answer.error().message.find("already known") != std::string::npos)
                        continue;
                    if (retryable(answer.error())) {
                        ++retries;
                        retry.push_back(ids[k]);
                        continue;
                    }
                    ++rejected;
                    std::lock_guard lock(reject_mu);
                    if (first_rejection.empty()) first_rejection = answer.error().message;
                }
                std::lock_guard lock(last_submit_mu);
                last_submit = std::max(last_submit, Clock::now());
            }
        });

    size_t seen = 0, blocks_with_ours = 0, max_in_block = 0;
    uint64_t last_block = start_block;
    std::thread tracker([&] {
        rpc::Client client(endpoint, std::chrono::seconds(60));
        auto last_progress = Clock::now();
        for (;;) {
            const auto head = or_die(rpc::quantity_u64(or_die(client.call("eth_blockNumber"),
                                                              "tracker: eth_blockNumber")),
                                     "head");
            const auto now = Clock::now();
            if (head > last_block) {
                std::vector<rpc::Request> requests;
                for (uint64_t n = last_block + 1; n <= head; ++n)
                    requests.push_back(
                        {"eth_getBlockByNumber", json::array({rpc::quantity_hex(n), false})});
                for (const json& block : batched(client, requests, o.batch)) {
                    size_t ours = 0;
                    for (const json& h : block.value("transactions", json::array())) {
                        auto it = index.find(h.get<std::string>());
                        if (it == index.end() || is_committed[it->second]) continue;
                        is_committed[it->second] = 1;
                        committed[it->second] = now;
                        ++ours;
                    }
                    if (ours) {
                        ++blocks_with_ours;
                        max_in_block = std::max(max_in_block, ours);
                        seen += ours;
                        last_progress = now;
                    }
                }
                last_block = head;
            }
            if (submit_done && seen + rejected >= txs.size()) return;
            if (submit_done && now - last_progress > std::chrono::seconds(o.timeout_s)) {
                std::fprintf(stderr, "load_gen: nothing committed for %" PRIu64 " s; giving up\n",
                             o.timeout_s);
                return;
            }
            std::this_thread::sleep_for(milliseconds(2));
        }
    });
    for (auto& t : submitters)
        t.join();
    submit_done = true;
    tracker.join();

    // ---- Summary ----
    std::vector<double> latency_ms;
    Clock::time_point last_commit = t0;
    for (size_t i = 0; i < txs.size(); ++i) {
        if (!is_committed[i]) continue;
        latency_ms.push_back(
            std::chrono::duration<double, std::milli>(committed[i] - submitted[i]).count());
        last_commit = std::max(last_commit, committed[i]);
    }
    std::sort(latency_ms.begin(), latency_ms.end());
    auto pct = [&](double p) {
        if (latency_ms.empty()) return 0.0;
        return latency_ms[std::min(latency_ms.size() - 1,
                                   static_cast<size_t>(p * latency_ms.size()))];
    };
    const double duration = seconds_since(t0, last_commit);
    const double submit_s = seconds_since(t0, last_submit);
    std::printf("\n== load_gen: %" PRIu64
                " transfers, %zu accounts, batch %zu, %zu connections, %u cores ==\n",
                o.txs, o.accounts, o.batch, o.connections, cores);
    std::printf(
        "  committed        %zu of %zu (rejected %zu, resent after pool-full/transport %zu)\n",
        latency_ms.size(), txs.size(), rejected.load(), retries.load());
    if (!first_rejection.empty()) std::printf("  first rejection  %s\n", first_rejection.c_str());
    std::printf("  duration         %.3f s (first submit -> last commit observed)\n", duration);
    std::printf("  committed tx/s   %.1f\n", duration > 0 ? latency_ms.size() / duration : 0.0);
    std::printf("  submit phase     %.3f s (%.1f tx/s accepted)\n", submit_s,
                submit_s > 0 ? txs.size() / submit_s : 0.0);
    std::printf("  latency p50      %.1f ms\n", pct(0.50));
    std::printf("  latency p99      %.1f ms\n", pct(0.99));
    std::printf("  latency max      %.1f ms\n", latency_ms.empty() ? 0.0 : latency_ms.back());
    std::printf("  blocks           %zu with these txs (avg %.1f txs/block, max %zu); head %" PRIu64
                " -> %" PRIu64 "\n",
                blocks_with_ours,
                blocks_with_ours ? double(latency_ms.size()) / blocks_with_ours : 0.0, max_in_block,
                start_block, last_block);
    std::fflush(stdout);

    int rc = latency_ms.size() == txs.size() ? 0 : 1;
    if (node) {
        g_node_pid = -1;
        auto st = node->stop(std::chrono::seconds(60));
        if (!st || *st != 0) {
            std::fprintf(stderr, "load_gen: node did not stop cleanly: %s\n",
                         st ? describe_exit(*st).c_str() : st.error().to_string().c_str());
            rc = 1;
        }
        if (o.keep_data) {
            std::printf("data kept in %s (node log: node.log)\n", work_dir.c_str());
        } else {
            std::error_code ec;
            fs::remove_all(work_dir, ec);
        }
    }
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"Transfer load against honeycomb over JSON-RPC: committed tx/s and latency"};
    app.add_option("--txs", o.txs, "Transfers to send")->capture_default_str();
    app.add_option("--accounts", o.accounts, "Fresh sender accounts (funded in a setup phase)")
        ->capture_default_str();
    app.add_option("--batch", o.batch, "Requests per JSON-RPC batch")->capture_default_str();
    app.add_option("--connections", o.connections, "Concurrent keep-alive HTTP connections")
        ->capture_default_str();
    app.add_option("--node-bin", o.node_bin,
                   "honeycomb binary to start (default: $HONEYCOMB_BIN, else the build's own)");
    app.add_option("--rpc", o.rpc,
                   "Use the node at this URL (http://host:port) instead of starting one");
    app.add_flag("--keep-data", o.keep_data, "Keep the started node's data directory and log");
    app.add_option("--node-arg", o.node_args,
                   "Extra argument for the started node (repeat), e.g. --node-arg=--rpc-threads "
                   "--node-arg=4");
    app.add_option("--timeout", o.timeout_s, "Give up after this many seconds without a commit")
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return run(o);
}
