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

#include "cli/demo_contract/bench_token_code.h"
#include "codec/abi.h"
#include "common/address.h"
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
constexpr uint64_t kTokenTransferGas = 70000;
// A sender may hold 256 transactions in a Honeycomb pool: funding goes in waves well below it.
constexpr size_t kFundingWavePerFunder = 200;
// How often the tracker asks for the head. Blocks come tens of milliseconds apart or more, so
// this bounds the latency error at 10 ms while costing the shared machine a fifth of what
// polling every 2 ms did.
constexpr milliseconds kHeadPoll{10};

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

// What one transaction does; `to` unset creates a contract with `data` as init code.
struct Call {
    std::optional<Address> to;
    uint256 value;
    Bytes data;
    uint64_t gas = kTransferGas;
};

Result<Signed> sign_call(const Account& from, uint64_t nonce, const Call& call, uint64_t chain_id,
                         const uint256& fee_cap) {
    Transaction tx;
    tx.type = TxType::dynamic_fee;
    tx.chain_id = chain_id;
    tx.nonce = nonce;
    tx.max_fee_per_gas = fee_cap;
    tx.max_priority_fee_per_gas = 0;
    tx.gas_limit = call.gas;
    tx.to = call.to;
    tx.value = call.value;
    tx.data = call.data;
    if (!sign_transaction(tx, from.key))
        return make_error(Errc::crypto, "cannot sign a transaction from " + from.address.hex());
    return Signed{to_hex(encode_transaction(tx)), transaction_hash(tx).hex()};
}

Bytes token_transfer(const Address& to, const uint256& amount) {
    return abi::Encoder().add_address(to).add_uint(amount).finish(
        abi::selector("transfer(address,uint256)"));
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

// Waits until every hash has a successful receipt; returns them in order.
Result<std::vector<json>> wait_for_receipts(rpc::Client& client,
                                            const std::vector<std::string>& all, size_t batch,
                                            std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::vector<json> out(all.size());
    std::vector<size_t> hashes(all.size());
    for (size_t i = 0; i < all.size(); ++i)
        hashes[i] = i;
    while (!hashes.empty()) {
        std::vector<rpc::Request> requests;
        for (size_t h : hashes)
            requests.push_back({"eth_getTransactionReceipt", json::array({all[h]})});
        HC_ASSIGN_OR_RETURN(auto receipts, batched(client, requests, batch));
        std::vector<size_t> left;
        for (size_t i = 0; i < hashes.size(); ++i) {
            if (receipts[i].is_null())
                left.push_back(hashes[i]);
            else if (!receipts[i].is_object() || receipts[i].value("status", json()) != json("0x1"))
                return make_error(Errc::invalid_argument, "setup transaction " + all[hashes[i]] +
                                                              " failed: " + receipts[i].dump());
            else
                out[hashes[i]] = std::move(receipts[i]);
        }
        hashes = std::move(left);
        if (hashes.empty()) break;
        if (Clock::now() > deadline)
            return make_error(Errc::io, std::to_string(hashes.size()) +
                                            " setup transactions not committed after " +
                                            std::to_string(timeout.count()) + " s, e.g. " +
                                            all[hashes.front()]);
        std::this_thread::sleep_for(milliseconds(50));
    }
    return out;
}

// Sends each call from its funder (the index beside it), in waves a Honeycomb pool takes from
// one sender at a time, and waits for every receipt; returns them in order.
Result<std::vector<json>> run_setup(rpc::Client& client, std::vector<Account>& funders,
                                    const std::vector<std::pair<size_t, Call>>& calls,
                                    uint64_t chain_id, const uint256& fee_cap, size_t batch) {
    std::vector<json> receipts;
    std::vector<Signed> wave;
    std::vector<size_t> per_funder(funders.size(), 0);
    auto flush = [&]() -> Status {
        if (wave.empty()) return {};
        HC_ASSIGN_OR_RETURN(auto hashes, submit_all(client, wave, batch));
        HC_ASSIGN_OR_RETURN(auto got,
                            wait_for_receipts(client, hashes, batch, std::chrono::seconds(300)));
        receipts.insert(receipts.end(), got.begin(), got.end());
        wave.clear();
        std::fill(per_funder.begin(), per_funder.end(), 0);
        return {};
    };
    for (const auto& [f, call] : calls) {
        if (per_funder[f] == kFundingWavePerFunder) HC_TRY(flush());
        Account& from = funders[f];
        HC_ASSIGN_OR_RETURN(Signed s, sign_call(from, from.nonce, call, chain_id, fee_cap));
        ++from.nonce;
        ++per_funder[f];
        wave.push_back(std::move(s));
    }
    HC_TRY(flush());
    return receipts;
}

bool retryable(const Error& e) {
    return e.message.find("txpool is full") != std::string::npos ||
           e.message.find("too many pending") != std::string::npos;
}

Status check_options(const BenchOptions& o) {
    if (o.rpc.empty()) return bad_option("--rpc is required: the node's http://host:port");
    if (!o.transport.empty() && o.transport != "http" && o.transport != "ws")
        return bad_option("--transport must be http or ws, not \"" + o.transport + "\"");
    if (o.workload != "w1" && o.workload != "w2" && o.workload != "w3")
        return bad_option("--workload must be w1, w2 or w3");
    if (o.txs == 0 || o.accounts < 2 || o.batch == 0 || o.connections == 0 || o.nodes == 0)
        return bad_option(
            "--txs, --batch, --connections and --nodes must be positive, and "
            "--accounts at least 2");
    if (o.connections > 256) return bad_option("--connections must be at most 256");
    return {};
}

struct Target {
    rpc::Endpoint endpoint;
    rpc::Transport transport;
};

// The endpoint and transport that --rpc and --transport name.
Result<Target> resolve_target(const BenchOptions& o) {
    constexpr std::string_view kWs = "ws://";
    const bool ws_url = std::string_view(o.rpc).starts_with(kWs);
    if (ws_url && o.transport == "http")
        return bad_option("--rpc " + o.rpc + " is a WebSocket URL but --transport is http");
    auto endpoint =
        rpc::parse_http_url(ws_url ? "http://" + o.rpc.substr(kWs.size()) : std::string(o.rpc));
    if (!endpoint)
        return bad_option("--rpc: expected http://host:port or ws://host:port, got \"" + o.rpc +
                          "\" (" + endpoint.error().message + ")");
    const bool ws = o.transport == "ws" || (o.transport.empty() && ws_url);
    return Target{*endpoint, ws ? rpc::Transport::ws : rpc::Transport::http};
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

Result<size_t> read_listed_blocks(const std::vector<json>& answers, uint64_t first,
                                  const std::function<void(const std::string&)>& on_tx) {
    for (size_t k = 0; k < answers.size(); ++k) {
        const json& block = answers[k];
        if (block.is_null()) return k;
        const auto list = block.is_object() ? block.find("transactions") : block.end();
        if (!block.is_object() || list == block.end() || !list->is_array())
            return make_error(
                Errc::decode,
                "eth_getBlockByNumber of block " + std::to_string(first + k) +
                    " answered no block with a transactions list: " + block.dump().substr(0, 200));
        for (const json& h : *list) {
            if (!h.is_string())
                return make_error(Errc::decode, "block " + std::to_string(first + k) +
                                                    " lists a transaction that is not a hash: " +
                                                    h.dump().substr(0, 200));
            on_tx(h.get_ref<const std::string&>());
        }
    }
    return answers.size();
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

// The gas limit W2's transfers carry: what the endpoint estimates for the costliest of them, as a
// wallet would ask (a fixed generous limit would leave a block, which counts limits before it
// runs them, a third emptier than it need be). The costliest: to a holder that has no tokens
// yet (a zero slot set) at an address of no zero byte (the most calldata gas).
Result<uint64_t> estimate_token_transfer_gas(rpc::Client& client, const Address& token,
                                             const std::vector<Account>& accounts,
                                             const std::vector<uint64_t>& share) {
    const auto holder = std::find_if(share.begin(), share.end(), [](uint64_t s) { return s > 0; });
    if (holder == share.end()) return make_error(Errc::invalid_argument, "no account holds tokens");
    Address fresh;
    fresh.bytes.fill(0xff);
    json call = {{"from", accounts[static_cast<size_t>(holder - share.begin())].address.hex()},
                 {"to", token.hex()},
                 {"data", to_hex(token_transfer(fresh, 1))}};
    HC_ASSIGN_OR_RETURN(json estimate, client.call("eth_estimateGas", json::array({call})));
    HC_ASSIGN_OR_RETURN(const uint64_t gas, rpc::quantity_u64(estimate));
    if (gas > kTokenTransferGas)
        return make_error(Errc::invalid_argument,
                          "the endpoint estimates " + std::to_string(gas) +
                              " gas for a token transfer; the accounts are funded for " +
                              std::to_string(kTokenTransferGas));
    return gas;
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
    HC_ASSIGN_OR_RETURN(const Target target, resolve_target(o));
    report.transport = target.transport == rpc::Transport::ws ? "ws" : "http";
    rpc::Client ctl(target.endpoint, std::chrono::seconds(60), target.transport);
    HC_ASSIGN_OR_RETURN(json chain_id_json,
                        ctl.call_retrying("eth_chainId", json::array(), std::chrono::seconds(30),
                                          milliseconds(100)));
    HC_ASSIGN_OR_RETURN(const uint64_t chain_id, rpc::quantity_u64(chain_id_json));
    HC_ASSIGN_OR_RETURN(json price_json, ctl.call("eth_gasPrice"));
    HC_ASSIGN_OR_RETURN(const uint256 fee_cap, quantity_u256(price_json, "eth_gasPrice"));
    const bool erc20 = o.workload == "w2";
    // Funded for: an ERC20 transfer to a fresh holder costs about 52,000 gas. The transfers
    // themselves carry what the endpoint estimates (below).
    uint64_t tx_gas = erc20 ? kTokenTransferGas : kTransferGas;
    const uint256 cost = uint256(tx_gas) * fee_cap + uint256(erc20 ? 0 : 1);

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
    std::vector<std::pair<size_t, Call>> funding;
    for (size_t i = 0; i < accounts.size(); ++i) {
        const uint256 need = cost * uint256(share[i] + 1);
        HC_ASSIGN_OR_RETURN(const uint256 have, quantity_u256(balances[i], "eth_getBalance"));
        if (have >= need) continue;
        funding.push_back({funding.size() % funders.size(),
                           Call{accounts[i].address, need - have, {}, kTransferGas}});
    }
    HC_TRY(run_setup(ctl, funders, funding, chain_id, fee_cap * uint256(2), o.batch));
    const size_t funded = funding.size();

    // W2: deploy the token, give each funder a share, and each funder its accounts' shares.
    Address token;
    if (erc20) {
        auto init = from_hex(kBenchTokenInitCode);
        if (!init) return make_error(Errc::internal, "bad BenchToken init code");
        Bytes code = std::move(*init);
        const Bytes supply = abi::Encoder().add_uint(uint256(o.txs)).finish();
        code.insert(code.end(), supply.begin(), supply.end());
        HC_ASSIGN_OR_RETURN(auto deployed,
                            run_setup(ctl, funders, {{0, Call{std::nullopt, 0, code, 3'000'000}}},
                                      chain_id, fee_cap * uint256(2), o.batch));
        const json& address = deployed.front()["contractAddress"];
        auto parsed = address.is_string() ? parse_address(address.get<std::string>())
                                          : Result<Address>(make_error(Errc::decode, "none"));
        if (!parsed)
            return make_error(Errc::decode,
                              "the BenchToken deployment's receipt has no contract address: " +
                                  deployed.front().dump());
        token = *parsed;
        std::vector<uint64_t> per_funder(funders.size(), 0);
        for (size_t i = 0; i < accounts.size(); ++i)
            per_funder[i % funders.size()] += share[i];
        std::vector<std::pair<size_t, Call>> to_funders, to_accounts;
        for (size_t f = 1; f < funders.size(); ++f)
            if (per_funder[f])
                to_funders.push_back(
                    {0, Call{token, 0, token_transfer(funders[f].address, per_funder[f]),
                             kTokenTransferGas}});
        for (size_t i = 0; i < accounts.size(); ++i)
            if (share[i])
                to_accounts.push_back({i % funders.size(),
                                       Call{token, 0, token_transfer(accounts[i].address, share[i]),
                                            kTokenTransferGas}});
        HC_TRY(run_setup(ctl, funders, to_funders, chain_id, fee_cap * uint256(2), o.batch));
        HC_TRY(run_setup(ctl, funders, to_accounts, chain_id, fee_cap * uint256(2), o.batch));
        log << "setup: BenchToken at " << token.hex() << ", " << o.txs << " tokens handed out\n";
        HC_ASSIGN_OR_RETURN(tx_gas, estimate_token_transfer_gas(ctl, token, accounts, share));
        log << "setup: a token transfer carries " << tx_gas << " gas (eth_estimateGas)\n";
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
                    const Call call = erc20 ? Call{token, 0, token_transfer(to, 1), tx_gas}
                                            : Call{to, 1, {}, tx_gas};
                    auto s = sign_call(accounts[a], order[i].nonce, call, chain_id, fee_cap);
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
    // Batch b's text, its ids the indexes of its transactions: the submitters only send bytes.
    const size_t batches = (txs.size() + o.batch - 1) / o.batch;
    auto send_raw_body = [&](const std::vector<size_t>& ids, uint64_t first_id) {
        std::vector<rpc::Request> requests;
        requests.reserve(ids.size());
        for (size_t i : ids)
            requests.push_back({"eth_sendRawTransaction", json::array({txs[i].raw})});
        return rpc::batch_body(requests, first_id);
    };
    std::vector<std::string> bodies(batches);
    for (size_t b = 0; b < batches; ++b) {
        std::vector<size_t> ids;
        for (size_t i = b * o.batch; i < std::min(txs.size(), (b + 1) * o.batch); ++i)
            ids.push_back(i);
        bodies[b] = send_raw_body(ids, b * o.batch);
    }

    // The bound, measured while the node idles between setup and load: measured right after
    // the run, while the node was still winding down, it ranged from 12,300 to 18,800
    // recoveries/s on one machine.
    report.recoveries_per_core = measure_recoveries_per_second(1000);

    // ---- Submit and track ----
    const auto usage_start = Clock::now();
    std::vector<ProcessUsage> usage_before;
    for (int pid : o.pids) {
        HC_ASSIGN_OR_RETURN(ProcessUsage u, process_usage(pid));
        usage_before.push_back(u);
    }
    HC_ASSIGN_OR_RETURN(const ProcessUsage self_before,
                        process_usage(static_cast<int>(::getpid())));
    HC_ASSIGN_OR_RETURN(json head_json, ctl.call("eth_blockNumber"));
    HC_ASSIGN_OR_RETURN(const uint64_t start_block, rpc::quantity_u64(head_json));
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
            rpc::Client client(target.endpoint, std::chrono::seconds(60), target.transport);
            std::vector<size_t> retry;  // refused for now (pool full): sent again shortly
            std::string retry_body;
            for (;;) {
                std::vector<size_t> ids;
                std::string_view body;
                uint64_t first_id = 0;
                if (!retry.empty()) {
                    std::this_thread::sleep_for(milliseconds(20));
                    ids.swap(retry);
                    retry_body = send_raw_body(ids, 0);
                    body = retry_body;
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
                    body = bodies[b];
                    first_id = b * o.batch;
                }
                auto answers = client.batch_raw(body, ids.size(), first_id);
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
        rpc::Client client(target.endpoint, std::chrono::seconds(60), target.transport);
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
                auto read = read_listed_blocks(*blocks, last_block + 1, [&](const std::string& h) {
                    auto it = index.find(h);
                    if (it == index.end() || is_committed[it->second]) return;
                    is_committed[it->second] = 1;
                    committed[it->second] = now;
                    ++seen;
                    last_progress = now;
                });
                if (!read) return record_error(read.error());
                last_block += *read;
            }
            if (submit_done && seen + rejected >= txs.size()) return;
            if (submit_done && now - last_progress > std::chrono::seconds(o.timeout_s)) return;
            {
                std::lock_guard lock(mu);
                if (!first_error) return;
            }
            std::this_thread::sleep_for(kHeadPoll);
        }
    });
    for (auto& t : submitters)
        t.join();
    submit_done = true;
    tracker.join();
    HC_TRY(first_error);
    // CPU over the measured phase only (not the receipt check below).
    report.usage_window_s = seconds_between(usage_start, Clock::now());
    for (size_t k = 0; k < o.pids.size(); ++k) {
        HC_ASSIGN_OR_RETURN(ProcessUsage u, process_usage(o.pids[k]));
        u.cpu_seconds -= usage_before[k].cpu_seconds;
        report.processes.push_back(u);
    }
    HC_ASSIGN_OR_RETURN(const ProcessUsage self_after, process_usage(static_cast<int>(::getpid())));
    report.client_cpu_seconds = self_after.cpu_seconds - self_before.cpu_seconds;

    // The server closes connections idle for a minute, as ctl's may have been during a long run.
    ctl.disconnect();

    // ---- Receipts: a transaction in a block may still have failed (status 0) ----
    {
        std::vector<rpc::Request> requests;
        for (uint64_t n = start_block + 1; n <= last_block; ++n)
            requests.push_back({"eth_getBlockReceipts", json::array({rpc::quantity_hex(n)})});
        HC_ASSIGN_OR_RETURN(auto blocks, batched(ctl, requests, 8));
        for (const json& receipts : blocks)
            for (const json& r : receipts.is_array() ? receipts : json::array()) {
                if (!r.is_object() || !index.count(r.value("transactionHash", ""))) continue;
                if (r.value("status", json()) != json("0x1")) ++report.failed;
            }
    }

    // ---- Report ----
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
        ", %" PRIu64 " %s connections, rate %s ==\n",
        r.workload.c_str(), o.txs, o.accounts, o.batch, o.connections, r.transport.c_str(),
        o.rate ? (std::to_string(o.rate) + " tx/s").c_str() : "open");
    add("  committed       %" PRIu64 " of %" PRIu64 " (rejected %" PRIu64 ", failed %" PRIu64 ")\n",
        r.committed, r.sent, r.rejected, r.failed);
    if (!r.first_rejection.empty()) add("  first rejection %s\n", r.first_rejection.c_str());
    add("  steady tx/s     %.1f (middle 80%% of commits)\n", r.steady_tps);
    add("  overall tx/s    %.1f over %.3f s (first submit -> last commit seen)\n", r.tps,
        r.duration_s);
    add("  latency         p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms\n", r.p50_ms,
        r.p95_ms, r.p99_ms, r.max_ms);
    for (const auto& p : r.processes)
        add("  pid %-10d   cpu %.2f s (%.0f%% of a core), peak RSS %.1f MiB\n", p.pid,
            p.cpu_seconds, r.usage_window_s > 0 ? 100 * p.cpu_seconds / r.usage_window_s : 0.0,
            p.peak_rss_mib);
    add("  client          cpu %.2f s (%.0f%% of a core)\n", r.client_cpu_seconds,
        r.usage_window_s > 0 ? 100 * r.client_cpu_seconds / r.usage_window_s : 0.0);
    add("  bound           %.0f tx/s = %.0f secp256k1 recoveries/s x %u cores / %" PRIu64
        " node(s); steady is %.2f of it\n",
        r.bound_tps, r.recoveries_per_core, r.cores, o.nodes,
        r.bound_tps > 0 ? r.steady_tps / r.bound_tps : 0.0);
    return out;
}

CLI::App* add_bench_command(CLI::App& app, BenchOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "bench", "Load any Ethereum JSON-RPC endpoint: committed tx/s, latency, CPU, RSS, bound");
    cmd->add_option("--rpc", o.rpc,
                    "The node's JSON-RPC URL, http://host:port (ws://host:port: over WebSocket)")
        ->required();
    cmd->add_option("--transport", o.transport,
                    "http (batches over keep-alive HTTP) or ws (over WebSocket, same port); "
                    "default: http, or ws for a ws:// --rpc");
    cmd->add_option("--workload", o.workload,
                    "w1 (transfers), w2 (ERC20 transfers) or w3 (w1 with 10% to one hot account)")
        ->capture_default_str();
    cmd->add_option("--txs", o.txs, "Transactions to send")->capture_default_str();
    cmd->add_option("--accounts", o.accounts, "Fresh accounts (funded in a setup phase)")
        ->capture_default_str();
    cmd->add_option("--batch", o.batch, "Requests per JSON-RPC batch")->capture_default_str();
    cmd->add_option("--connections", o.connections, "Concurrent submitting connections")
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
    return report->committed == report->sent && report->failed == 0 ? 0 : 1;
}

}  // namespace hc::cli
