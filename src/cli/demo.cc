#include "cli/demo.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli/demo_contract/counter_code.h"
#include "codec/abi.h"
#include "common/address.h"
#include "common/bytes.h"
#include "common/keccak.h"
#include "common/uint256.h"
#include "ledger/transaction.h"
#include "node/dev_accounts.h"
#include "rpc/client.h"

namespace hc::cli {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kPoll{100};
constexpr size_t kTransfers = 4;
// The accounts the demo uses: the deployer of Counter, then the transfers' senders and
// recipients. Account 0 stays out of the transfers so its nonces are the contract's alone.
constexpr size_t kDeployer = 0;
constexpr size_t kFirstTransferAccount = 1;
constexpr uint64_t kAddAmount = 7;

const uint256 kEther = uint256(1'000'000'000'000'000'000ull);

std::string seconds(milliseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000.0);
    return buf;
}

// "9998.999979 ETH": whole ether and up to six decimals (truncated), for reading at a glance.
std::string format_ether(const uint256& wei) {
    const uint256 whole = wei / kEther;
    const uint64_t micro = ((wei % kEther) / uint256(1'000'000'000'000ull)).low64();
    char frac[16];
    std::snprintf(frac, sizeof frac, "%06llu", static_cast<unsigned long long>(micro));
    std::string f = frac;
    while (!f.empty() && f.back() == '0')
        f.pop_back();
    return whole.to_dec() + (f.empty() ? "" : "." + f) + " ETH";
}

std::string lower_hex(const Address& a) {
    return to_hex(a.view());
}

// A member of a JSON-RPC result object, or an error naming what lacked it.
Result<json> member(const json& object, const char* name, const std::string& what) {
    if (!object.is_object() || !object.contains(name))
        return make_error(Errc::decode,
                          what + " has no \"" + name + "\": " + object.dump().substr(0, 200));
    return object[name];
}

Result<uint64_t> quantity_member(const json& object, const char* name, const std::string& what) {
    HC_ASSIGN_OR_RETURN(json value, member(object, name, what));
    auto n = rpc::quantity_u64(value);
    if (!n) return make_error(Errc::decode, what + " \"" + name + "\": " + n.error().message);
    return *n;
}

Result<std::string> string_member(const json& object, const char* name, const std::string& what) {
    HC_ASSIGN_OR_RETURN(json value, member(object, name, what));
    if (!value.is_string())
        return make_error(Errc::decode,
                          what + " \"" + name + "\" is not a string: " + value.dump());
    return value.get<std::string>();
}

// A 32-byte ABI word (hex) as a number.
Result<uint256> abi_word(std::string_view hex, const std::string& what) {
    auto bytes = from_hex(hex);
    if (!bytes || bytes->size() != 32)
        return make_error(Errc::decode,
                          what + " is not one 32-byte ABI word: \"" + std::string(hex) + "\"");
    return uint256::from_be(*bytes);
}

struct Node {
    std::string name;
    std::unique_ptr<rpc::Client> client;
};

struct Sent {
    std::string hash;
    size_t node = 0;  // where it was submitted, and where its receipt is awaited
};

struct Receipt {
    uint64_t block = 0;
    uint64_t gas_used = 0;
    json raw;
};

class Demo {
  public:
    explicit Demo(const DemoOptions& o) : o_(o) {}

    Result<DemoSummary> run() {
        if (o_.rpc_urls.empty())
            return make_error(Errc::invalid_argument, "the demo needs at least one node's URL");
        if (!o_.names.empty() && o_.names.size() != o_.rpc_urls.size())
            return make_error(Errc::invalid_argument,
                              "the demo got " + std::to_string(o_.names.size()) + " names for " +
                                  std::to_string(o_.rpc_urls.size()) + " nodes");
        for (size_t i = 0; i < o_.rpc_urls.size(); ++i) {
            auto endpoint = rpc::parse_http_url(o_.rpc_urls[i]);
            if (!endpoint) return endpoint.error();
            nodes_.push_back({o_.names.empty() ? o_.rpc_urls[i] : o_.names[i],
                              std::make_unique<rpc::Client>(*endpoint, o_.request_timeout)});
        }
        HC_TRY(wait_ready());
        HC_TRY(transfers());
        HC_TRY(contract());
        HC_TRY(agreement());
        return summary_;
    }

  private:
    void say(const std::string& line) const {
        if (o_.print) o_.print(line);
    }

    Status check_cancelled() const {
        if (o_.cancel && o_.cancel->load()) return make_error(Errc::io, "the demo was interrupted");
        return {};
    }

    // Sleeps one poll interval, or fails if the demo was interrupted.
    Status pause() const {
        HC_TRY(check_cancelled());
        std::this_thread::sleep_for(kPoll);
        return check_cancelled();
    }

    Node& node(size_t i) { return nodes_[i % nodes_.size()]; }

    // One call; a failure says which node and method.
    Result<json> call(size_t i, std::string_view method, json params = json::array()) {
        Node& n = node(i);
        auto r = n.client->call(method, std::move(params));
        if (!r)
            return make_error(r.error().code,
                              n.name + " " + std::string(method) + ": " + r.error().message);
        return r;
    }

    Status wait_ready() {
        const auto deadline = Clock::now() + o_.ready_timeout;
        for (size_t i = 0; i < nodes_.size(); ++i) {
            for (;;) {
                auto id = nodes_[i].client->call("eth_chainId");
                if (id) {
                    auto n = rpc::quantity_u64(*id);
                    if (!n)
                        return make_error(Errc::decode,
                                          nodes_[i].name + " eth_chainId: " + n.error().message);
                    if (*n != o_.chain_id)
                        return make_error(Errc::invalid_argument,
                                          nodes_[i].name + " reports chain id " +
                                              std::to_string(*n) + ", but this network's is " +
                                              std::to_string(o_.chain_id) +
                                              ": is another chain's node listening on that port?");
                    break;
                }
                if (!rpc::is_transport_error(id.error()) || Clock::now() >= deadline)
                    return make_error(id.error().code,
                                      nodes_[i].name + " did not answer JSON-RPC within " +
                                          seconds(o_.ready_timeout) + " (" + id.error().message +
                                          "): is it running? Its log says why not.");
                HC_TRY(pause());
            }
        }
        say(std::to_string(nodes_.size()) + " node(s) answer JSON-RPC, chain id " +
            std::to_string(o_.chain_id));
        return {};
    }

    // Repeats call() on transport failures (a node restarted by its supervisor, say) until
    // `deadline`.
    Result<json> call_until(size_t i, std::string_view method, const json& params,
                            Clock::time_point deadline) {
        for (;;) {
            auto r = call(i, method, params);
            if (r || !rpc::is_transport_error(r.error()) || Clock::now() >= deadline) return r;
            HC_TRY(pause());
        }
    }

    Result<uint64_t> pending_nonce(size_t i, const Address& a) {
        HC_ASSIGN_OR_RETURN(
            json n, call(i, "eth_getTransactionCount", json::array({lower_hex(a), "pending"})));
        auto v = rpc::quantity_u64(n);
        if (!v) return make_error(Errc::decode, node(i).name + " nonce: " + v.error().message);
        return *v;
    }

    Result<uint256> balance(size_t i, const Address& a, const std::string& block) {
        HC_ASSIGN_OR_RETURN(json b, call(i, "eth_getBalance", json::array({lower_hex(a), block})));
        if (!b.is_string())
            return make_error(Errc::decode,
                              node(i).name + " balance is not a quantity: " + b.dump());
        auto v = uint256::from_string(b.get<std::string>());
        if (!v) return make_error(Errc::decode, node(i).name + " balance: " + v.error().message);
        return *v;
    }

    // Fills in the chain id and fees (a dynamic-fee transaction paying up to twice the node's gas
    // price, no tip: proposers are not bid for here), signs with the development account's key
    // and submits to node i.
    Result<Sent> send(size_t i, size_t account, Transaction tx) {
        if (gas_price_.is_zero()) {
            HC_ASSIGN_OR_RETURN(json price, call(i, "eth_gasPrice"));
            auto p =
                price.is_string()
                    ? uint256::from_string(price.get<std::string>())
                    : Result<uint256>(make_error(Errc::decode, "not a quantity: " + price.dump()));
            if (!p)
                return make_error(Errc::decode,
                                  node(i).name + " eth_gasPrice: " + p.error().message);
            gas_price_ = *p;
        }
        tx.type = TxType::dynamic_fee;
        tx.chain_id = o_.chain_id;
        tx.max_fee_per_gas = gas_price_ * uint256(2);
        tx.max_priority_fee_per_gas = uint256(0);
        HC_TRY(sign_transaction(tx, node::dev_key(account)));
        HC_ASSIGN_OR_RETURN(json hash, call(i, "eth_sendRawTransaction",
                                            json::array({to_hex(encode_transaction(tx))})));
        if (!hash.is_string())
            return make_error(Errc::decode,
                              node(i).name + " eth_sendRawTransaction answered " + hash.dump());
        return Sent{hash.get<std::string>(), i % nodes_.size()};
    }

    // Waits for the receipt at the node the transaction went to; fails if it reverted.
    Result<Receipt> wait_receipt(const Sent& sent, const std::string& what) {
        const auto deadline = Clock::now() + o_.commit_timeout;
        for (;;) {
            HC_ASSIGN_OR_RETURN(json r, call_until(sent.node, "eth_getTransactionReceipt",
                                                   json::array({sent.hash}), deadline));
            if (!r.is_null()) {
                const std::string name = "the receipt of " + what;
                Receipt out;
                out.raw = r;
                HC_ASSIGN_OR_RETURN(out.block, quantity_member(r, "blockNumber", name));
                HC_ASSIGN_OR_RETURN(out.gas_used, quantity_member(r, "gasUsed", name));
                HC_ASSIGN_OR_RETURN(uint64_t status, quantity_member(r, "status", name));
                if (status != 1)
                    return make_error(Errc::invalid_argument,
                                      what + " (" + sent.hash + ") failed in block " +
                                          std::to_string(out.block) + " (status 0: it reverted)");
                last_block_ = std::max(last_block_, out.block);
                return out;
            }
            if (Clock::now() >= deadline)
                return make_error(Errc::io, what + " (" + sent.hash + ") has no receipt at " +
                                                node(sent.node).name + " after " +
                                                seconds(o_.commit_timeout) +
                                                ": is the network committing blocks? A "
                                                "consortium needs more than two thirds of its "
                                                "nodes running; see the nodes' logs.");
            HC_TRY(pause());
        }
    }

    Result<uint64_t> head(size_t i, Clock::time_point deadline) {
        HC_ASSIGN_OR_RETURN(json n, call_until(i, "eth_blockNumber", json::array(), deadline));
        auto v = rpc::quantity_u64(n);
        if (!v)
            return make_error(Errc::decode,
                              node(i).name + " eth_blockNumber: " + v.error().message);
        return *v;
    }

    // Waits until node i has block `height`.
    Status wait_height(size_t i, uint64_t height) {
        const auto deadline = Clock::now() + o_.commit_timeout;
        for (;;) {
            HC_ASSIGN_OR_RETURN(uint64_t h, head(i, deadline));
            if (h >= height) return {};
            if (Clock::now() >= deadline)
                return make_error(Errc::io, node(i).name + " is at block " + std::to_string(h) +
                                                " and did not reach block " +
                                                std::to_string(height) + " within " +
                                                seconds(o_.commit_timeout) +
                                                ": is it connected to its peers? See its log.");
            HC_TRY(pause());
        }
    }

    Status transfers() {
        struct Transfer {
            size_t from, to;
            uint256 value;
            Sent sent;
        };
        std::vector<Transfer> list;
        std::vector<size_t> accounts;
        for (size_t k = 0; k < kTransfers; ++k) {
            const size_t from = kFirstTransferAccount + k;
            list.push_back({from, from + 1, kEther * uint256(k + 1), {}});
            accounts.push_back(from);
        }
        accounts.push_back(kFirstTransferAccount + kTransfers);

        std::vector<uint256> before;
        for (size_t a : accounts) {
            HC_ASSIGN_OR_RETURN(uint256 b, balance(0, node::dev_address(a), "latest"));
            before.push_back(b);
        }
        say("sending " + std::to_string(kTransfers) +
            " transfers between development accounts, each to a different node");
        for (size_t k = 0; k < list.size(); ++k) {
            Transfer& t = list[k];
            HC_ASSIGN_OR_RETURN(uint64_t nonce, pending_nonce(k, node::dev_address(t.from)));
            Transaction tx;
            tx.nonce = nonce;
            tx.gas_limit = 21000;
            tx.to = node::dev_address(t.to);
            tx.value = t.value;
            HC_ASSIGN_OR_RETURN(t.sent, send(k, t.from, std::move(tx)));
            say("  transfer " + std::to_string(k + 1) + ": (" + std::to_string(t.from) + ") -> (" +
                std::to_string(t.to) + ") " + format_ether(t.value) + " via " + node(k).name +
                "  tx " + t.sent.hash);
        }
        for (size_t k = 0; k < list.size(); ++k) {
            HC_ASSIGN_OR_RETURN(Receipt r,
                                wait_receipt(list[k].sent, "transfer " + std::to_string(k + 1)));
            say("  transfer " + std::to_string(k + 1) + " committed in block " +
                std::to_string(r.block) + " (gas used " + std::to_string(r.gas_used) + ")");
            summary_.transfer_hashes.push_back(list[k].sent.hash);
        }
        // Balances at the block of the last transfer, read from the first node once it has it.
        HC_TRY(wait_height(0, last_block_));
        say("balances at block " + std::to_string(last_block_) + " (on " + node(0).name +
            "), before -> after:");
        for (size_t j = 0; j < accounts.size(); ++j) {
            const Address a = node::dev_address(accounts[j]);
            HC_ASSIGN_OR_RETURN(uint256 after, balance(0, a, rpc::quantity_hex(last_block_)));
            say("  (" + std::to_string(accounts[j]) + ") " + to_checksum_address(a) + "  " +
                format_ether(before[j]) + " -> " + format_ether(after));
        }
        return {};
    }

    Status contract() {
        const Address deployer = node::dev_address(kDeployer);
        // Steps on different nodes: deploy on the second, add() on the third, read on the fourth.
        const size_t deploy_at = 1, add_at = 2, read_at = 3;
        auto code = from_hex(kCounterInitCode);
        if (!code) return make_error(Errc::internal, "the embedded Counter init code is not hex");

        HC_ASSIGN_OR_RETURN(uint64_t nonce, pending_nonce(deploy_at, deployer));
        HC_ASSIGN_OR_RETURN(
            json estimate,
            call(deploy_at, "eth_estimateGas",
                 json::array({json{{"from", lower_hex(deployer)}, {"data", to_hex(*code)}}})));
        HC_ASSIGN_OR_RETURN(uint64_t deploy_gas, rpc::quantity_u64(estimate));
        Transaction deploy;
        deploy.nonce = nonce;
        deploy.gas_limit = deploy_gas + deploy_gas / 4;  // headroom over the estimate
        deploy.data = *code;
        HC_ASSIGN_OR_RETURN(Sent deploy_sent, send(deploy_at, kDeployer, std::move(deploy)));
        say("deploying the Counter contract from (" + std::to_string(kDeployer) + ") via " +
            node(deploy_at).name + "  tx " + deploy_sent.hash);
        HC_ASSIGN_OR_RETURN(Receipt deployed, wait_receipt(deploy_sent, "the Counter deployment"));
        HC_ASSIGN_OR_RETURN(std::string address,
                            string_member(deployed.raw, "contractAddress",
                                          "the receipt of the Counter deployment"));
        auto contract_address = parse_address(address);
        if (!contract_address)
            return make_error(Errc::decode, "the deployment receipt's contractAddress \"" +
                                                address +
                                                "\": " + contract_address.error().message);
        summary_.contract_address = lower_hex(*contract_address);
        say("  Counter deployed at " + to_checksum_address(*contract_address) + " in block " +
            std::to_string(deployed.block) + " (gas used " + std::to_string(deployed.gas_used) +
            ")");

        // add(kAddAmount) from the same account: its next nonce, known here whatever the node
        // it goes to has seen yet.
        const abi::Selector add_selector = abi::selector("add(uint256)");
        Bytes add_data(add_selector.begin(), add_selector.end());
        const auto word = uint256(kAddAmount).to_be();
        add_data.insert(add_data.end(), word.begin(), word.end());
        Transaction add;
        add.nonce = nonce + 1;
        add.gas_limit = 100'000;
        add.to = *contract_address;
        add.data = add_data;
        HC_TRY(wait_height(add_at, deployed.block));
        HC_ASSIGN_OR_RETURN(Sent add_sent, send(add_at, kDeployer, std::move(add)));
        say("calling add(" + std::to_string(kAddAmount) + ") via " + node(add_at).name + "  tx " +
            add_sent.hash);
        HC_ASSIGN_OR_RETURN(Receipt added, wait_receipt(add_sent, "the add() call"));
        HC_ASSIGN_OR_RETURN(uint64_t event_count, print_added_event(added, *contract_address));

        // count() read back with eth_call on yet another node, at the block add() is in.
        HC_TRY(wait_height(read_at, added.block));
        const std::string data = to_hex(abi::selector("count()"));
        HC_ASSIGN_OR_RETURN(
            json value, call(read_at, "eth_call",
                             json::array({json{{"to", summary_.contract_address}, {"data", data}},
                                          rpc::quantity_hex(added.block)})));
        if (!value.is_string())
            return make_error(Errc::decode,
                              node(read_at).name + " eth_call answered " + value.dump());
        HC_ASSIGN_OR_RETURN(uint256 count, abi_word(value.get<std::string>(), "count()"));
        say("  count() read with eth_call on " + node(read_at).name + " at block " +
            std::to_string(added.block) + ": " + count.to_dec());
        if (count != uint256(event_count))
            return make_error(Errc::internal, "count() on " + node(read_at).name + " is " +
                                                  count.to_dec() + ", but the Added event says " +
                                                  std::to_string(event_count));
        summary_.counter_value = event_count;
        return {};
    }

    // Finds Counter's Added(address indexed by, uint256 amount, uint256 count) in the receipt,
    // prints it and returns its count.
    Result<uint64_t> print_added_event(const Receipt& r, const Address& contract) {
        const std::string topic = keccak256(as_bytes("Added(address,uint256,uint256)")).hex();
        HC_ASSIGN_OR_RETURN(json logs, member(r.raw, "logs", "the receipt of the add() call"));
        for (const json& log : logs) {
            if (!log.is_object()) continue;
            auto from = parse_address(log.value("address", ""));
            if (!from || *from != contract) continue;
            const json topics = log.value("topics", json::array());
            if (topics.size() != 2 || topics[0] != topic) continue;
            const std::string data = log.value("data", "");
            if (data.size() != 2 + 128)
                return make_error(Errc::decode, "the Added event's data is not two words: " + data);
            HC_ASSIGN_OR_RETURN(uint256 by, abi_word(topics[1].get<std::string>(), "Added.by"));
            HC_ASSIGN_OR_RETURN(uint256 amount,
                                abi_word("0x" + data.substr(2, 64), "Added.amount"));
            HC_ASSIGN_OR_RETURN(uint256 count, abi_word("0x" + data.substr(66, 64), "Added.count"));
            Address by_address;
            const auto by_word = by.to_be();
            std::copy(by_word.end() - 20, by_word.end(), by_address.bytes.begin());
            say("  event Added(by=" + to_checksum_address(by_address) +
                ", amount=" + amount.to_dec() + ", count=" + count.to_dec() + ") in block " +
                std::to_string(r.block));
            if (!count.fits_uint64())
                return make_error(Errc::decode, "the Added event's count does not fit 64 bits");
            return count.low64();
        }
        return make_error(Errc::not_found, "the add() receipt has no Added event from " +
                                               lower_hex(contract) + ": " +
                                               logs.dump().substr(0, 300));
    }

    Status agreement() {
        // Every node first reaches the demo's last block, so the comparison covers it.
        uint64_t common = UINT64_MAX;
        const auto deadline = Clock::now() + o_.commit_timeout;
        for (size_t i = 0; i < nodes_.size(); ++i) {
            HC_TRY(wait_height(i, last_block_));
            HC_ASSIGN_OR_RETURN(uint64_t h, head(i, deadline));
            common = std::min(common, h);
        }
        say("comparing every node's block " + std::to_string(common) +
            " (the lowest head among them):");
        std::string hash, root;
        bool agree = true;
        for (size_t i = 0; i < nodes_.size(); ++i) {
            HC_ASSIGN_OR_RETURN(json b, call(i, "eth_getBlockByNumber",
                                             json::array({rpc::quantity_hex(common), false})));
            const std::string what = node(i).name + "'s block " + std::to_string(common);
            HC_ASSIGN_OR_RETURN(std::string h, string_member(b, "hash", what));
            HC_ASSIGN_OR_RETURN(std::string r, string_member(b, "stateRoot", what));
            say("  " + node(i).name + "  hash " + h + "  state root " + r);
            if (i == 0) {
                hash = h;
                root = r;
            } else if (h != hash || r != root) {
                agree = false;
            }
        }
        if (!agree)
            return make_error(Errc::internal,
                              "the nodes disagree about block " + std::to_string(common) +
                                  " (see above): the consortium has forked; keep the nodes' "
                                  "data directories and logs for a bug report");
        summary_.common_height = common;
        summary_.common_hash = hash;
        say("all " + std::to_string(nodes_.size()) + " node(s) agree on block " +
            std::to_string(common));
        return {};
    }

    const DemoOptions& o_;
    std::vector<Node> nodes_;
    uint256 gas_price_;
    uint64_t last_block_ = 0;
    DemoSummary summary_;
};

}  // namespace

Result<DemoSummary> run_demo(const DemoOptions& options) {
    return Demo(options).run();
}

}  // namespace hc::cli
