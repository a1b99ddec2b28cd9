// Crash recovery of `honeycomb dev` under load.
//
// A few sender threads keep signed transfers flowing while the node is killed with SIGKILL at
// random moments and restarted on the same data directory, at least 20 times. A block is committed
// with its WAL synced before it becomes visible, so everything a client has seen committed must
// survive every crash; transactions still in the pool may be lost. Every fourth crash is
// followed by a start that is itself killed part-way through opening the chain. Afterwards the
// test checks
//   - every receipt a sender received is still there, in the same block (same hash and number);
//   - the chain is one linked chain whose transactions use each sender's nonces 0, 1, 2, ...
//     without gaps or repeats, matching the account nonces;
//   - the balances of every account involved (fees go to a fixed coinbase) add up to the genesis
//     supply exactly;
//   - the node shuts down cleanly on SIGTERM, and `honeycomb verify` replays the data directory
//     from genesis to the stored state root.
//
// Environment: HC_CRASH_SEED fixes the random kill schedule (printed on every run, so a failure
// can be replayed), HC_CRASH_RESTARTS sets the number of restarts (at least 20 by default),
// HONEYCOMB_BIN the binary under test.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

#include "common/address.h"
#include "common/uint256.h"
#include "ledger/transaction.h"
#include "node/dev_accounts.h"
#include "rpc/client.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

#ifndef HC_HONEYCOMB_BIN
#define HC_HONEYCOMB_BIN "honeycomb"
#endif

namespace hc::testing {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr uint64_t kChainId = 1337;
constexpr size_t kSenders = 4;  // dev accounts 0..3 send; 4..9 only count in the supply
constexpr size_t kRecipients = 20;
constexpr size_t kWindow = 8;  // transactions a sender has in flight at once
constexpr size_t kMinRestarts = 20;
// Receipts the senders must have seen, so the test cannot pass vacuously. A release build on two
// cores sees about 30,000.
constexpr size_t kMinConfirmed = 1000;
constexpr const char* kCoinbase = "0xc0ffee000000000000000000000000000000c0fe";
const uint256 kGwei = 1'000'000'000ull;

uint64_t env_u64(const char* name, uint64_t fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    return std::strtoull(v, nullptr, 0);
}

Address recipient(size_t i) {
    Address a;
    a[0] = 0x5a;
    a[10] = 0xbe;
    a[19] = static_cast<uint8_t>(i + 1);
    return a;
}

std::string lower(const Address& a) {
    return a.hex();
}

// Where a sender saw a transaction committed.
struct Seen {
    std::string block_hash;
    uint64_t block_number = 0;
    size_t sender = 0;
    uint64_t nonce = 0;
    int epoch = 0;  // restarts done when the receipt arrived
};

struct Shared {
    rpc::Endpoint endpoint;
    std::atomic<bool> stop{false};
    std::atomic<int> epoch{0};
    std::atomic<uint64_t> sent{0};      // admitted by the node (or unknown: transport failure)
    std::atomic<uint64_t> rejected{0};  // answered with a JSON-RPC error
    std::atomic<uint64_t> dropped{0};   // given up at a resync: lost in a crash, or never admitted
    std::atomic<uint64_t> transport_errors{0};

    std::mutex mu;
    std::unordered_map<std::string, Seen> seen;  // tx hash -> where its receipt put it
    std::vector<std::string> anomalies;          // things a sender saw that must not happen
    std::vector<std::string> rejections;         // first few rejection messages, for the log

    void anomaly(std::string what) {
        std::lock_guard lock(mu);
        if (anomalies.size() < 100) anomalies.push_back(std::move(what));
    }
};

struct Outstanding {
    std::string hash;
    uint64_t nonce;
    Clock::time_point sent_at;
};

// One dev account sending transfers in windows of kWindow: send a batch, poll its receipts until
// all are in, repeat. Any failure leads to a nonce resync from eth_getTransactionCount "pending".
class Sender {
  public:
    Sender(size_t index, Shared& shared, uint64_t seed)
        : index_(index), shared_(shared), rng_(seed), client_(shared.endpoint, milliseconds(3000)) {
        key_ = node::dev_key(index);
        address_ = node::dev_address(index);
    }

    void run() {
        while (!shared_.stop.load()) {
            if (!next_nonce_) {
                resync();
            } else if (outstanding_.empty()) {
                send_window();
            } else {
                poll_receipts();
                if (!outstanding_.empty()) std::this_thread::sleep_for(milliseconds(5));
            }
        }
        // Drain: the node is up and sealing; what is still in its pool commits shortly.
        const auto deadline = Clock::now() + std::chrono::seconds(15);
        while (!outstanding_.empty() && Clock::now() < deadline) {
            if (!next_nonce_) {
                resync();  // drops what a crash (or a refusal) took out of the pool
            } else {
                poll_receipts();
                if (!outstanding_.empty()) std::this_thread::sleep_for(milliseconds(10));
            }
        }
        if (!outstanding_.empty())
            shared_.anomaly("sender " + std::to_string(index_) + ": " +
                            std::to_string(outstanding_.size()) +
                            " admitted transactions never committed on a running node, e.g. " +
                            outstanding_.front().hash);
    }

  private:
    void transport_failure() {
        ++shared_.transport_errors;
        next_nonce_.reset();  // the node may have restarted with an empty pool
        std::this_thread::sleep_for(milliseconds(10));
    }

    void resync() {
        auto r = client_.call("eth_getTransactionCount", json::array({lower(address_), "pending"}));
        if (!r) return transport_failure();
        auto pending = rpc::quantity_u64(*r);
        if (!pending) {
            shared_.anomaly("eth_getTransactionCount answered " + r->dump());
            std::this_thread::sleep_for(milliseconds(10));
            return;
        }
        // Below the pool's next nonce: committed or still pooled, so a receipt will come. At or
        // above it: lost with the pool of a node that crashed, or never admitted.
        const auto gone = std::remove_if(outstanding_.begin(), outstanding_.end(),
                                         [&](const Outstanding& o) { return o.nonce >= *pending; });
        shared_.dropped += static_cast<uint64_t>(outstanding_.end() - gone);
        outstanding_.erase(gone, outstanding_.end());
        next_nonce_ = *pending;
    }

    void send_window() {
        std::vector<rpc::Request> requests;
        std::vector<Outstanding> batch;
        const auto now = Clock::now();
        for (size_t i = 0; i < kWindow; ++i) {
            Transaction tx;
            tx.type = TxType::dynamic_fee;
            tx.chain_id = kChainId;
            tx.nonce = *next_nonce_ + i;
            tx.max_priority_fee_per_gas = kGwei;
            tx.max_fee_per_gas = kGwei * uint256(2);
            tx.gas_limit = 21000;
            tx.to = recipient(rng_() % kRecipients);
            tx.value = uint256(1 + rng_() % 1'000'000'000'000ull);
            if (!sign_transaction(tx, key_)) {
                shared_.anomaly("cannot sign a transaction");
                shared_.stop = true;
                return;
            }
            requests.push_back(
                {"eth_sendRawTransaction", json::array({to_hex(encode_transaction(tx))})});
            batch.push_back({transaction_hash(tx).hex(), tx.nonce, now});
        }
        auto r = client_.batch(requests);
        if (!r) {
            // It may or may not have reached the node: the resync sorts that out.
            outstanding_ = std::move(batch);
            return transport_failure();
        }
        bool all_admitted = true;
        for (size_t i = 0; i < batch.size(); ++i) {
            const auto& answer = (*r)[i];
            if (answer) {
                if (*answer != json(batch[i].hash))
                    shared_.anomaly("eth_sendRawTransaction returned " + answer->dump() +
                                    " for transaction " + batch[i].hash);
                ++shared_.sent;
                outstanding_.push_back(batch[i]);
            } else {
                ++shared_.rejected;
                all_admitted = false;
                std::lock_guard lock(shared_.mu);
                if (shared_.rejections.size() < 5)
                    shared_.rejections.push_back(answer.error().message);
            }
        }
        if (all_admitted)
            *next_nonce_ += kWindow;
        else
            next_nonce_.reset();
    }

    void poll_receipts() {
        std::vector<rpc::Request> requests;
        for (const auto& o : outstanding_)
            requests.push_back({"eth_getTransactionReceipt", json::array({o.hash})});
        auto r = client_.batch(requests);
        if (!r) return transport_failure();
        const int epoch = shared_.epoch.load();
        std::vector<Outstanding> still;
        for (size_t i = 0; i < outstanding_.size(); ++i) {
            const Outstanding& o = outstanding_[i];
            const auto& answer = (*r)[i];
            if (!answer) {
                shared_.anomaly("eth_getTransactionReceipt(" + o.hash +
                                "): " + answer.error().message);
                still.push_back(o);
                continue;
            }
            if (answer->is_null()) {
                still.push_back(o);
                continue;
            }
            const json& receipt = *answer;
            auto number = rpc::quantity_u64(receipt.value("blockNumber", json()));
            if (!number || !receipt.value("blockHash", json()).is_string() ||
                receipt.value("status", json()) != json("0x1") ||
                receipt.value("transactionHash", json()) != json(o.hash)) {
                shared_.anomaly("unexpected receipt for " + o.hash + ": " + receipt.dump());
                continue;
            }
            std::lock_guard lock(shared_.mu);
            auto [it, fresh] = shared_.seen.try_emplace(
                o.hash,
                Seen{receipt["blockHash"].get<std::string>(), *number, index_, o.nonce, epoch});
            if (!fresh && (it->second.block_hash != receipt["blockHash"] ||
                           it->second.block_number != *number))
                shared_.anomaly("receipt of " + o.hash + " moved from block " +
                                std::to_string(it->second.block_number) + " to " +
                                std::to_string(*number));
        }
        outstanding_ = std::move(still);
        // A pooled transaction commits within a block or two; one waiting this long is stuck, or
        // was lost in a crash this sender did not notice.
        if (!outstanding_.empty() &&
            Clock::now() - outstanding_.front().sent_at > std::chrono::seconds(10)) {
            next_nonce_.reset();
            for (auto& o : outstanding_)
                o.sent_at = Clock::now();
        }
    }

    size_t index_;
    Shared& shared_;
    std::mt19937_64 rng_;
    rpc::Client client_;
    Hash32 key_;
    Address address_;
    std::optional<uint64_t> next_nonce_;
    std::vector<Outstanding> outstanding_;
};

// The sender threads; stops and joins them however the test leaves its scope.
class Load {
  public:
    Load(Shared& shared, uint64_t seed) : shared_(shared) {
        for (size_t i = 0; i < kSenders; ++i) {
            senders_.push_back(std::make_unique<Sender>(i, shared, seed * 31 + i));
            threads_.emplace_back([s = senders_.back().get()] { s->run(); });
        }
    }
    ~Load() { stop(); }
    void stop() {
        shared_.stop = true;
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }

  private:
    Shared& shared_;
    std::vector<std::unique_ptr<Sender>> senders_;
    std::vector<std::thread> threads_;
};

// The result of a call that must succeed on a running node.
json must(Result<json> r, const std::string& what) {
    if (!r) {
        ADD_FAILURE() << what << ": " << r.error().to_string();
        return json();
    }
    return std::move(*r);
}

// A quantity that must be one; a failure (and 0) otherwise.
uint64_t must_u64(const json& value, const std::string& what) {
    auto v = rpc::quantity_u64(value);
    if (!v) {
        ADD_FAILURE() << what << ": " << v.error().to_string();
        return 0;
    }
    return *v;
}

// Calls in batches of up to 100, the answers in request order.
std::vector<json> batched(rpc::Client& client, const std::vector<rpc::Request>& requests) {
    std::vector<json> out;
    for (size_t at = 0; at < requests.size(); at += 100) {
        std::vector<rpc::Request> chunk(requests.begin() + at,
                                        requests.begin() + std::min(requests.size(), at + 100));
        auto r = client.batch(chunk);
        if (!r) {
            ADD_FAILURE() << chunk.front().method << " batch: " << r.error().to_string();
            out.resize(requests.size());
            return out;
        }
        for (size_t i = 0; i < r->size(); ++i)
            out.push_back(must(std::move((*r)[i]), chunk[i].method + " " + chunk[i].params.dump()));
    }
    return out;
}

TEST(CrashTest, CommittedTransactionsSurviveKillNineAndReplayVerifies) {
    const uint64_t seed = env_u64("HC_CRASH_SEED", std::random_device{}());
    const size_t restarts = std::max<uint64_t>(env_u64("HC_CRASH_RESTARTS", kMinRestarts), 1);
    std::printf("crash_test: seed %" PRIu64 " (rerun with HC_CRASH_SEED=%" PRIu64
                "), %zu restarts\n",
                seed, seed, restarts);
    std::fflush(stdout);
    RecordProperty("seed", std::to_string(seed));

    TempDir dir;
    DevNodeConfig config;
    config.binary = honeycomb_binary(HC_HONEYCOMB_BIN);
    config.data_dir = dir.path() / "data";
    config.log_path = dir.path() / "node.log";
    config.extra_args = {"--coinbase", kCoinbase};
    auto started = DevNode::start(config);
    ASSERT_TRUE(started) << started.error().to_string();
    DevNode& node = **started;

    rpc::Client admin(node.endpoint(), milliseconds(5000));
    ASSERT_EQ(must(admin.call("eth_chainId"), "eth_chainId"), json("0x539"));

    Shared shared;
    shared.endpoint = node.endpoint();
    Load load(shared, seed);

    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> pause_ms(100, 700);
    std::uniform_int_distribution<int> early_kill_ms(0, 100);
    size_t interrupted_starts = 0;
    std::vector<double> restart_ms;
    uint64_t first_head = 0;
    for (size_t i = 0; i < restarts; ++i) {
        std::this_thread::sleep_for(milliseconds(pause_ms(rng)));
        // What a client saw committed just before the crash must still be there after it.
        auto before = admin.call_retrying("eth_blockNumber", json::array(), milliseconds(5000));
        ASSERT_TRUE(before) << "restart " << i << ": " << before.error().to_string() << "\n"
                            << node.log_tail();
        const uint64_t head_before = must_u64(*before, "eth_blockNumber");
        if (i == 0) first_head = head_before;

        ASSERT_TRUE(node.running()) << "the node exited by itself (seed " << seed << "):\n"
                                    << node.log_tail();
        ASSERT_TRUE(node.kill()) << "restart " << i;
        if (i % 4 == 3) {
            // Every fourth crash is followed by a start killed part-way, while it opens the
            // database and checks the head; the next start must recover from that too.
            auto early = ChildProcess::spawn(config.binary, node.command_args(), config.log_path);
            ASSERT_TRUE(early) << early.error().to_string();
            std::this_thread::sleep_for(milliseconds(early_kill_ms(rng)));
            ASSERT_TRUE((*early)->signal(SIGKILL));
            ASSERT_TRUE((*early)->wait(std::chrono::seconds(30)));
            ++interrupted_starts;
        }
        const auto t0 = Clock::now();
        auto st = node.restart();
        ASSERT_TRUE(st) << "restart " << i << " (seed " << seed << "): " << st.error().to_string();
        restart_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        shared.epoch = static_cast<int>(i + 1);

        auto after = admin.call_retrying("eth_blockNumber", json::array(), milliseconds(10000));
        ASSERT_TRUE(after) << "restart " << i << ": " << after.error().to_string() << "\n"
                           << node.log_tail();
        EXPECT_GE(must_u64(*after, "eth_blockNumber"), head_before)
            << "restart " << i << " (seed " << seed << ") came back below the head a client saw";
    }
    std::this_thread::sleep_for(milliseconds(1500));  // load on the last incarnation
    load.stop();

    {
        std::lock_guard lock(shared.mu);
        for (const auto& a : shared.anomalies)
            ADD_FAILURE() << "seed " << seed << ": " << a;
        for (const auto& r : shared.rejections)
            std::printf("crash_test: a rejection: %s\n", r.c_str());
    }

    // ---- The chain as the restarted node serves it ----
    const uint64_t head =
        must_u64(must(admin.call("eth_blockNumber"), "eth_blockNumber"), "eth_blockNumber");
    EXPECT_GT(head, first_head) << "the head did not advance across the restarts";

    std::vector<rpc::Request> block_requests;
    for (uint64_t n = 0; n <= head; ++n)
        block_requests.push_back(
            {"eth_getBlockByNumber", json::array({rpc::quantity_hex(n), true})});
    const std::vector<json> blocks = batched(admin, block_requests);
    ASSERT_EQ(blocks.size(), head + 1);

    std::vector<std::string> hash_at(head + 1);
    std::unordered_map<std::string, uint64_t> tx_block;   // tx hash -> block number
    std::map<std::string, std::vector<uint64_t>> nonces;  // sender -> nonces in chain order
    for (uint64_t n = 0; n <= head; ++n) {
        const json& b = blocks[n];
        ASSERT_TRUE(b.is_object()) << "block " << n << " missing: " << b.dump();
        hash_at[n] = b.value("hash", "");
        if (n > 0) {
            EXPECT_EQ(b.value("parentHash", ""), hash_at[n - 1])
                << "block " << n << " does not link";
        }
        for (const json& tx : b["transactions"]) {
            tx_block[tx.value("hash", "")] = n;
            nonces[tx.value("from", "")].push_back(must_u64(tx.value("nonce", json()), "nonce"));
        }
    }

    // Each sender's committed nonces are exactly 0, 1, 2, ... (no transaction lost from the
    // middle, none committed twice), and the account nonce continues after them.
    uint64_t committed = 0;
    for (size_t s = 0; s < node::kDevAccounts.size(); ++s) {
        const std::string from = to_checksum_address(node::dev_address(s));
        std::vector<uint64_t> got;
        for (const auto& [f, list] : nonces)
            if (parse_address(f) && *parse_address(f) == node::dev_address(s)) got = list;
        for (size_t k = 0; k < got.size(); ++k)
            if (got[k] != k) {
                ADD_FAILURE() << from << ": transaction " << k << " in chain order has nonce "
                              << got[k];
                break;
            }
        auto count = rpc::quantity_u64(
            must(admin.call("eth_getTransactionCount",
                            json::array({lower(node::dev_address(s)), rpc::quantity_hex(head)})),
                 "eth_getTransactionCount"));
        EXPECT_EQ(count.ok() ? *count : ~0ull, got.size()) << from << " account nonce";
        if (s >= kSenders) {
            EXPECT_TRUE(got.empty()) << from << " never sent anything";
        }
        committed += got.size();
    }
    EXPECT_EQ(committed, tx_block.size()) << "transactions from accounts that never sent";

    // Every receipt a client received is still there, in the same block.
    std::vector<std::pair<std::string, Seen>> seen(shared.seen.begin(), shared.seen.end());
    std::vector<rpc::Request> receipt_requests;
    for (const auto& [hash, where] : seen)
        receipt_requests.push_back({"eth_getTransactionReceipt", json::array({hash})});
    const std::vector<json> receipts =
        seen.empty() ? std::vector<json>{} : batched(admin, receipt_requests);
    size_t missing = 0, moved = 0;
    for (size_t i = 0; i < seen.size(); ++i) {
        const auto& [hash, where] = seen[i];
        const json& r = receipts[i];
        if (!r.is_object()) {
            if (++missing <= 5)
                ADD_FAILURE() << "receipt of " << hash << " (seen in block " << where.block_number
                              << ", epoch " << where.epoch << ") is gone";
            continue;
        }
        const bool same = r.value("blockHash", "") == where.block_hash &&
                          r.value("blockNumber", "") == rpc::quantity_hex(where.block_number) &&
                          where.block_number <= head &&
                          hash_at[where.block_number] == where.block_hash && tx_block.count(hash) &&
                          tx_block[hash] == where.block_number;
        if (!same && ++moved <= 5)
            ADD_FAILURE() << hash << " was seen in block " << where.block_number << " "
                          << where.block_hash << ", now: " << r.dump();
    }
    EXPECT_EQ(missing, 0u) << "committed transactions lost (seed " << seed << ")";
    EXPECT_EQ(moved, 0u) << "committed transactions moved (seed " << seed << ")";

    // The supply is constant: fees go to the coinbase, which is counted.
    std::vector<Address> holders;
    for (size_t s = 0; s < node::kDevAccounts.size(); ++s)
        holders.push_back(node::dev_address(s));
    for (size_t r = 0; r < kRecipients; ++r)
        holders.push_back(recipient(r));
    holders.push_back(*parse_address(kCoinbase));
    std::vector<rpc::Request> balance_requests;
    for (const auto& a : holders)
        balance_requests.push_back(
            {"eth_getBalance", json::array({lower(a), rpc::quantity_hex(head)})});
    uint256 total;
    for (const json& b : batched(admin, balance_requests)) {
        auto v = b.is_string() ? uint256::from_string(b.get<std::string>())
                               : Result<uint256>(make_error(Errc::decode, b.dump()));
        ASSERT_TRUE(v) << "balance " << b.dump();
        total = total + *v;
    }
    const uint256 genesis_supply = *uint256::from_string("10000000000000000000000") * uint256(10);
    EXPECT_EQ(total, genesis_supply) << "balances at block " << head << " do not add up";

    // Enough happened for the checks to mean something.
    std::map<int, size_t> per_epoch;
    for (const auto& [hash, where] : seen)
        ++per_epoch[where.epoch];
    EXPECT_GE(seen.size(), kMinConfirmed) << "too few receipts to prove anything";
    EXPECT_GT(per_epoch[static_cast<int>(restarts)], 0u)
        << "nothing committed after the last restart";
    EXPECT_GE(per_epoch.size(), restarts / 2) << "load did not resume after most restarts";

    double mean_restart = 0, max_restart = 0;
    for (double ms : restart_ms) {
        mean_restart += ms / restart_ms.size();
        max_restart = std::max(max_restart, ms);
    }
    std::printf("crash_test: seed %" PRIu64
                ": %zu kill -9 restarts (to listening: mean %.0f ms, max %.0f "
                "ms; %zu more starts killed part-way); %zu receipts seen by clients in %zu of %zu "
                "incarnations; %" PRIu64 " txs committed in %" PRIu64 " blocks; sent %" PRIu64
                ", rejected %" PRIu64
                ", dropped at resyncs (lost from the pool in crashes) %" PRIu64
                ", transport errors %" PRIu64 "\n",
                seed, restart_ms.size(), mean_restart, max_restart, interrupted_starts, seen.size(),
                per_epoch.size(), restarts + 1, committed, head, shared.sent.load(),
                shared.rejected.load(), shared.dropped.load(), shared.transport_errors.load());
    std::fflush(stdout);

    // ---- Clean shutdown, then replay from genesis ----
    auto exit_status = node.stop(std::chrono::seconds(30));
    ASSERT_TRUE(exit_status) << exit_status.error().to_string();
    EXPECT_EQ(*exit_status, 0) << "SIGTERM: " << describe_exit(*exit_status) << "\n"
                               << node.log_tail();

    const auto verify_log = dir.path() / "verify.log";
    auto verify = ChildProcess::spawn(
        config.binary, {"verify", "--data-dir", config.data_dir.string()}, verify_log);
    ASSERT_TRUE(verify) << verify.error().to_string();
    auto verify_status = (*verify)->wait(std::chrono::seconds(300));
    ASSERT_TRUE(verify_status) << verify_status.error().to_string();
    const std::string output = read_file_tail(verify_log);
    std::printf("crash_test: honeycomb verify: %s", output.c_str());
    EXPECT_EQ(*verify_status, 0) << describe_exit(*verify_status) << ": " << output;
    uint64_t verified = 0;
    EXPECT_EQ(std::sscanf(output.c_str(), "verified %" SCNu64 " blocks", &verified), 1) << output;
    EXPECT_GE(verified, head) << output;
}

}  // namespace
}  // namespace hc::testing
