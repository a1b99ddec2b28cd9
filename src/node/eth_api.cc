#include "node/eth_api.h"

#include <algorithm>

#include "codec/abi.h"
#include "common/keccak.h"
#include "crypto/x509.h"
#include "governance/state.h"

namespace hc::node {

namespace {

using nlohmann::json;
using rpc::MethodResult;
using rpc::RpcError;

// ---- Encoding: QUANTITY is minimal hex ("0x0", "0x1a"), DATA is even-length hex. ----

std::string quantity(uint64_t v) {
    return uint256(v).to_hex();
}
std::string quantity(const uint256& v) {
    return v.to_hex();
}
std::string hex_data(BytesView b) {
    return to_hex(b);
}
template <size_t N>
std::string hex_data(const FixedBytes<N>& b) {
    return to_hex(b.view());
}
std::string address(const Address& a) {
    return to_checksum_address(a);
}

// ---- Decoding params: each failure names what was expected. ----

struct ParamError {
    RpcError error;
};

[[noreturn]] void bad_param(const std::string& message) {
    throw ParamError{rpc::invalid_params(message)};
}

const json& param(const json& params, size_t i, const char* name) {
    if (!params.is_array() || params.size() <= i)
        bad_param(std::string("missing value for required argument ") + std::to_string(i) + " (" +
                  name + ")");
    return params[i];
}

bool has_param(const json& params, size_t i) {
    return params.is_array() && params.size() > i && !params[i].is_null();
}

const std::string& as_string(const json& v, const char* what) {
    if (!v.is_string()) bad_param(std::string(what) + ": expected a hex string");
    return v.get_ref<const std::string&>();
}

uint256 parse_quantity(const json& v, const char* what) {
    const std::string& s = as_string(v, what);
    if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        bad_param(std::string(what) + ": hex string without 0x prefix or digits");
    if (s.size() > 2 + 64) bad_param(std::string(what) + ": hex number larger than 256 bits");
    auto r = uint256::from_string(s);
    if (!r) bad_param(std::string(what) + ": " + r.error().message);
    return *r;
}

uint64_t parse_u64(const json& v, const char* what) {
    uint256 q = parse_quantity(v, what);
    if (!q.fits_uint64()) bad_param(std::string(what) + ": hex number larger than 64 bits");
    return q.low64();
}

Bytes parse_data(const json& v, const char* what) {
    auto r = from_hex(as_string(v, what));
    if (!r) bad_param(std::string(what) + ": " + r.error().message);
    return std::move(*r);
}

Address parse_address(const json& v, const char* what) {
    auto r = hc::parse_address(as_string(v, what));
    if (!r) bad_param(std::string(what) + ": " + r.error().message);
    return *r;
}

Hash32 parse_hash(const json& v, const char* what) {
    auto r = Hash32::from_hex(as_string(v, what));
    if (!r) bad_param(std::string(what) + ": " + r.error().message);
    return *r;
}

// A 32-byte storage slot given as a quantity or as data of up to 32 bytes.
Hash32 parse_slot(const json& v) {
    Bytes raw = parse_data(v.is_string() && v.get<std::string>().size() % 2 == 1
                               ? json("0x0" + v.get<std::string>().substr(2))
                               : v,
                           "storage slot");
    if (raw.size() > 32) bad_param("storage slot: more than 32 bytes");
    Hash32 slot;
    std::copy(raw.begin(), raw.end(), slot.bytes.end() - raw.size());
    return slot;
}

[[noreturn]] void fail(RpcError e) {
    throw ParamError{std::move(e)};
}

template <typename T>
T value_or_fail(Result<T> r) {
    if (!r) fail(rpc::internal_error(r.error().to_string()));
    return std::move(*r);
}

// Runs a method body, turning thrown ParamErrors into error results.
template <typename F>
MethodResult guarded(F&& body) {
    try {
        return body();
    } catch (ParamError& e) {
        return std::move(e.error);
    }
}

// ---- Block selection ----

// The block number a tag, number or EIP-1898 object names, or an error if there is no such
// block. "pending" is the head: pending transactions are not executed ahead of sealing.
uint64_t resolve_block(const chain::Chain& chain, const json& v) {
    const uint64_t head = chain.head_number();
    if (v.is_null()) return head;
    if (v.is_object()) {
        if (v.contains("blockHash")) {
            Hash32 h = parse_hash(v["blockHash"], "blockHash");
            auto header = value_or_fail(chain.header(h));
            if (!header) fail(rpc::resource_not_found("block " + h.hex() + " not found"));
            return header->number;
        }
        if (v.contains("blockNumber")) return resolve_block(chain, v["blockNumber"]);
        bad_param("block: an object must have blockHash or blockNumber");
    }
    const std::string& s = as_string(v, "block");
    if (s == "latest" || s == "pending" || s == "safe" || s == "finalized") return head;
    if (s == "earliest") return 0;
    uint64_t n = parse_u64(v, "block number");
    if (n > head)
        fail(rpc::resource_not_found("block " + std::to_string(n) + " not found: the head is " +
                                     std::to_string(head)));
    return n;
}

// A block number for queries that return null for a missing block.
std::optional<uint64_t> block_number_or_null(const chain::Chain& chain, const json& v) {
    if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        if (s.rfind("0x", 0) == 0 || s.rfind("0X", 0) == 0) {
            uint64_t n = parse_u64(v, "block number");
            if (n > chain.head_number()) return std::nullopt;
            return n;
        }
    }
    return resolve_block(chain, v);
}

// ---- JSON shapes ----

json tx_json(const Transaction& tx, const Hash32& hash, const Address& from,
             const std::optional<chain::TxLocation>& at, const uint256& base_fee) {
    json j;
    j["hash"] = hex_data(hash);
    j["type"] = quantity(uint64_t(tx.type));
    j["nonce"] = quantity(tx.nonce);
    j["from"] = address(from);
    j["to"] = tx.to ? json(address(*tx.to)) : json(nullptr);
    j["value"] = quantity(tx.value);
    j["gas"] = quantity(tx.gas_limit);
    j["input"] = hex_data(tx.data);
    if (tx.type == TxType::dynamic_fee) {
        j["maxFeePerGas"] = quantity(tx.max_fee_per_gas);
        j["maxPriorityFeePerGas"] = quantity(tx.max_priority_fee_per_gas);
        // Mined: what was paid per gas; pending: the most it can pay.
        j["gasPrice"] =
            quantity(at ? chain::effective_gas_price(tx, base_fee) : tx.max_fee_per_gas);
    } else {
        j["gasPrice"] = quantity(tx.gas_price);
    }
    if (tx.chain_id) j["chainId"] = quantity(*tx.chain_id);
    if (tx.type != TxType::legacy) {
        json list = json::array();
        for (const auto& e : tx.access_list) {
            json keys = json::array();
            for (const auto& k : e.storage_keys)
                keys.push_back(hex_data(k));
            list.push_back({{"address", address(e.address)}, {"storageKeys", keys}});
        }
        j["accessList"] = list;
        j["yParity"] = quantity(uint64_t(tx.y_parity));
        j["v"] = quantity(uint64_t(tx.y_parity));
    } else {
        uint64_t v = tx.chain_id ? *tx.chain_id * 2 + 35 + tx.y_parity : 27u + tx.y_parity;
        j["v"] = quantity(v);
    }
    j["r"] = quantity(tx.r);
    j["s"] = quantity(tx.s);
    if (at) {
        j["blockHash"] = hex_data(at->block_hash);
        j["blockNumber"] = quantity(at->block_number);
        j["transactionIndex"] = quantity(uint64_t(at->index));
    } else {
        j["blockHash"] = nullptr;
        j["blockNumber"] = nullptr;
        j["transactionIndex"] = nullptr;
    }
    return j;
}

json log_json(const chain::LogEntry& e) {
    json topics = json::array();
    for (const auto& t : e.log.topics)
        topics.push_back(hex_data(t));
    return {{"address", address(e.log.address)},
            {"topics", topics},
            {"data", hex_data(e.log.data)},
            {"blockNumber", quantity(e.block_number)},
            {"blockHash", hex_data(e.block_hash)},
            {"transactionHash", hex_data(e.tx_hash)},
            {"transactionIndex", quantity(uint64_t(e.tx_index))},
            {"logIndex", quantity(uint64_t(e.log_index))},
            {"removed", false}};
}

// Keccak of the RLP of an empty list: the ommers hash of every block without ommers.
const Hash32& empty_ommers_hash() {
    static const Hash32 h = keccak256(Bytes{0xc0});
    return h;
}

json header_json(const BlockHeader& h, const Hash32& hash) {
    return {{"number", quantity(h.number)},
            {"hash", hex_data(hash)},
            {"parentHash", hex_data(h.parent_hash)},
            {"nonce", "0x0000000000000000"},
            {"mixHash", hex_data(Hash32{})},
            {"sha3Uncles", hex_data(empty_ommers_hash())},
            {"logsBloom", hex_data(h.logs_bloom.bits)},
            {"transactionsRoot", hex_data(h.transactions_root)},
            {"stateRoot", hex_data(h.state_root)},
            {"receiptsRoot", hex_data(h.receipts_root)},
            {"miner", address(h.proposer)},
            {"difficulty", "0x0"},
            {"totalDifficulty", "0x0"},
            {"extraData", hex_data(h.extra_data)},
            {"gasLimit", quantity(h.gas_limit)},
            {"gasUsed", quantity(h.gas_used)},
            {"timestamp", quantity(h.timestamp)},
            {"baseFeePerGas", quantity(h.base_fee_per_gas)}};
}

json block_json(const chain::Chain& chain, const Hash32& hash, bool full) {
    auto header = value_or_fail(chain.header(hash));
    if (!header) return nullptr;
    auto missing = [&] {
        return rpc::internal_error("block " + hash.hex() + " is missing its body or receipts");
    };
    auto raw_body = value_or_fail(chain.body_encoding(hash));
    if (!raw_body) fail(missing());
    // Hashed from the stored encodings: a list of hashes needs no transaction decoded.
    const std::vector<Hash32> hashes = value_or_fail(body_transaction_hashes(*raw_body));
    json j = header_json(*header, hash);
    json txs = json::array();
    if (full) {
        const std::vector<Transaction> body = value_or_fail(decode_body(*raw_body));
        auto receipts = value_or_fail(chain.receipts(hash));
        if (!receipts || receipts->senders.size() != body.size()) fail(missing());
        for (size_t i = 0; i < body.size(); ++i)
            txs.push_back(tx_json(body[i], hashes[i], receipts->senders[i],
                                  chain::TxLocation{hash, header->number, uint32_t(i)},
                                  header->base_fee_per_gas));
    } else {
        for (const Hash32& tx_hash : hashes)
            txs.push_back(hex_data(tx_hash));
    }
    j["transactions"] = txs;
    j["uncles"] = json::array();
    j["size"] = quantity(uint64_t(encode_header(*header).size() + raw_body->size()));
    return j;
}

json receipt_json(const BlockHeader& header, const chain::TransactionReceipt& found,
                  const chain::TxLocation& at) {
    const Transaction& tx = found.tx;
    const Receipt& r = found.receipt;
    const ReceiptMeta& meta = found.meta;
    Hash32 tx_hash = transaction_hash(tx);
    json logs = json::array();
    for (size_t i = 0; i < r.logs.size(); ++i)
        logs.push_back(log_json({r.logs[i], at.block_number, at.block_hash, tx_hash, at.index,
                                 uint32_t(found.first_log_index + i)}));
    return {
        {"transactionHash", hex_data(tx_hash)},
        {"transactionIndex", quantity(uint64_t(at.index))},
        {"blockHash", hex_data(at.block_hash)},
        {"blockNumber", quantity(at.block_number)},
        {"from", address(found.sender)},
        {"to", tx.to ? json(address(*tx.to)) : json(nullptr)},
        {"cumulativeGasUsed", quantity(r.cumulative_gas_used)},
        {"gasUsed", quantity(meta.gas_used)},
        {"effectiveGasPrice", quantity(chain::effective_gas_price(tx, header.base_fee_per_gas))},
        {"contractAddress",
         meta.contract_address ? json(address(*meta.contract_address)) : json(nullptr)},
        {"logs", logs},
        {"logsBloom", hex_data(r.bloom.bits)},
        {"type", quantity(uint64_t(r.type))},
        {"status", r.status ? "0x1" : "0x0"}};
}

[[noreturn]] void missing_receipts(const Hash32& block_hash) {
    fail(rpc::internal_error("block " + block_hash.hex() + " is missing receipts"));
}

json receipt_json(const chain::Chain& chain, const chain::TxLocation& at) {
    auto header = value_or_fail(chain.header(at.block_hash));
    auto found = value_or_fail(chain.transaction_receipt(at));
    if (!header || !found) missing_receipts(at.block_hash);
    return receipt_json(*header, *found, at);
}

// Every receipt of a block, decoding its body and receipts once (a lookup per transaction would
// read and walk them again for each).
json block_receipts_json(const chain::Chain& chain, const Hash32& block_hash) {
    auto header = value_or_fail(chain.header(block_hash));
    auto body = value_or_fail(chain.body(block_hash));
    auto receipts = value_or_fail(chain.receipts(block_hash));
    if (!header || !body || !receipts || receipts->receipts.size() != body->size() ||
        receipts->metas.size() != body->size() || receipts->senders.size() != body->size())
        missing_receipts(block_hash);
    json out = json::array();
    chain::TransactionReceipt one;
    for (size_t i = 0; i < body->size(); ++i) {
        one.tx = std::move((*body)[i]);
        one.receipt = std::move(receipts->receipts[i]);
        one.meta = std::move(receipts->metas[i]);
        one.sender = receipts->senders[i];
        out.push_back(receipt_json(*header, one, {block_hash, header->number, uint32_t(i)}));
        one.first_log_index += static_cast<uint32_t>(one.receipt.logs.size());
    }
    return out;
}

// eth_getLogs / eth_newFilter criteria. Block bounds are resolved against the current head.
chain::LogFilter parse_log_filter(const chain::Chain& chain, const json& v, bool* to_latest) {
    if (!v.is_object()) bad_param("filter: expected an object");
    chain::LogFilter f;
    const uint64_t head = chain.head_number();
    if (v.contains("blockHash") && !v["blockHash"].is_null()) {
        if (v.contains("fromBlock") || v.contains("toBlock"))
            bad_param("filter: blockHash cannot be combined with fromBlock/toBlock");
        Hash32 h = parse_hash(v["blockHash"], "blockHash");
        auto header = value_or_fail(chain.header(h));
        if (!header) fail(rpc::resource_not_found("block " + h.hex() + " not found"));
        f.from = f.to = header->number;
        if (to_latest) *to_latest = false;
    } else {
        auto bound = [&](const char* key, bool* latest) -> uint64_t {
            if (!v.contains(key) || v[key].is_null()) {
                if (latest) *latest = true;
                return head;
            }
            if (v[key].is_string()) {
                const std::string& s = v[key].get_ref<const std::string&>();
                if (s == "latest" || s == "pending" || s == "safe" || s == "finalized") {
                    if (latest) *latest = true;
                    return head;
                }
            }
            if (latest) *latest = false;
            uint64_t n = v[key].is_string() && v[key].get<std::string>() == "earliest"
                             ? 0
                             : parse_u64(v[key], key);
            return n;
        };
        f.from = bound("fromBlock", nullptr);
        bool latest = false;
        f.to = bound("toBlock", &latest);
        if (to_latest) *to_latest = latest;
        if (f.from > f.to && !latest)
            bad_param("filter: fromBlock " + std::to_string(f.from) + " is after toBlock " +
                      std::to_string(f.to));
    }
    if (v.contains("address") && !v["address"].is_null()) {
        const json& a = v["address"];
        if (a.is_array())
            for (const auto& x : a)
                f.addresses.push_back(parse_address(x, "address"));
        else
            f.addresses.push_back(parse_address(a, "address"));
    }
    if (v.contains("topics") && !v["topics"].is_null()) {
        const json& t = v["topics"];
        if (!t.is_array()) bad_param("topics: expected an array");
        if (t.size() > 4) bad_param("topics: at most 4 positions");
        for (const auto& pos : t) {
            std::vector<Hash32> alternatives;
            if (pos.is_array())
                for (const auto& x : pos)
                    alternatives.push_back(parse_hash(x, "topic"));
            else if (!pos.is_null())
                alternatives.push_back(parse_hash(pos, "topic"));
            f.topics.push_back(std::move(alternatives));
        }
    }
    return f;
}

// A call or estimate request: {from, to, gas, gasPrice | maxFeePerGas, value, data | input,
// accessList}. The price a call pays is gasPrice, or else maxFeePerGas.
chain::CallRequest parse_call(const json& v) {
    if (!v.is_object()) bad_param("transaction: expected an object");
    chain::CallRequest c;
    auto has = [&](const char* k) { return v.contains(k) && !v[k].is_null(); };
    if (has("from")) c.from = parse_address(v["from"], "from");
    if (has("to")) c.to = parse_address(v["to"], "to");
    if (has("gas")) c.gas = parse_u64(v["gas"], "gas");
    if (has("maxFeePerGas")) c.gas_price = parse_quantity(v["maxFeePerGas"], "maxFeePerGas");
    if (has("gasPrice")) c.gas_price = parse_quantity(v["gasPrice"], "gasPrice");
    if (has("value")) c.value = parse_quantity(v["value"], "value");
    if (has("input"))
        c.data = parse_data(v["input"], "input");
    else if (has("data"))
        c.data = parse_data(v["data"], "data");
    if (has("accessList")) {
        const json& list = v["accessList"];
        if (!list.is_array()) bad_param("accessList: expected an array");
        for (const json& e : list) {
            if (!e.is_object() || !e.contains("address"))
                bad_param("accessList: each entry needs an address");
            AccessListEntry entry;
            entry.address = parse_address(e["address"], "accessList address");
            if (e.contains("storageKeys") && !e["storageKeys"].is_null()) {
                if (!e["storageKeys"].is_array())
                    bad_param("accessList storageKeys: expected an array");
                for (const json& k : e["storageKeys"])
                    entry.storage_keys.push_back(parse_hash(k, "accessList storage key"));
            }
            c.access_list.push_back(std::move(entry));
        }
    }
    return c;
}

// The JSON-RPC error for a call that ran and failed, in geth's shape: code 3 with the revert
// data for a revert, -32000 naming the failure otherwise.
RpcError execution_error(const chain::TxOutcome& outcome) {
    if (outcome.evm_status == evm::StatusCode::revert) {
        std::string message = "execution reverted";
        if (auto reason = abi::decode_error(outcome.output)) message += ": " + *reason;
        return rpc::execution_reverted(message, hex_data(outcome.output));
    }
    return rpc::invalid_input(std::string("execution failed: ") +
                              evm::status_name(outcome.evm_status));
}

template <typename T>
T execution_value_or_fail(Result<T> r) {
    if (!r) {
        // Request errors (funds, intrinsic gas) are the caller's; store failures are ours.
        if (r.error().code == Errc::invalid_argument || r.error().code == Errc::unsupported)
            fail(rpc::invalid_input(r.error().message));
        fail(rpc::internal_error(r.error().to_string()));
    }
    return std::move(*r);
}

std::string new_id(uint64_t n) {
    Hash32 h = keccak256(uint256(n).to_be());
    return to_hex(BytesView(h.bytes.data(), 16));
}

}  // namespace

EthApi::EthApi(Node& node, EthApiConfig config) : node_(node), config_(std::move(config)) {
    node_.on_block([this](const chain::CommittedBlock& b) { on_block(b); });
    node_.on_pending_transaction([this](const Hash32& h) { on_pending_transaction(h); });
}

EthApi::~EthApi() = default;

rpc::MethodResult EthApi::new_filter(Filter filter) {
    std::lock_guard lock(mu_);
    expire_filters();
    if (filters_.size() >= config_.max_filters)
        return rpc::limit_exceeded("too many filters installed (limit " +
                                   std::to_string(config_.max_filters) +
                                   "); uninstall unused ones with eth_uninstallFilter");
    std::string id = new_id(next_id_++);
    filter.last_poll = std::chrono::steady_clock::now();
    filters_.emplace(id, std::move(filter));
    return json(id);
}

void EthApi::expire_filters() {
    const auto now = std::chrono::steady_clock::now();
    for (auto it = filters_.begin(); it != filters_.end();) {
        if (now - it->second.last_poll > config_.filter_timeout)
            it = filters_.erase(it);
        else
            ++it;
    }
}

void EthApi::on_block(const chain::CommittedBlock& block) {
    const BlockHeader& h = block.block.header;
    json head = header_json(h, block.hash);
    // Logs of this block, once, for every filter and subscription that wants logs.
    std::vector<chain::LogEntry> logs;
    uint32_t log_index = 0;
    for (size_t i = 0; i < block.receipts.receipts.size(); ++i)
        for (const Log& log : block.receipts.receipts[i].logs)
            logs.push_back(
                {log, h.number, block.hash, block.tx_hashes[i], uint32_t(i), log_index++});

    std::lock_guard lock(mu_);
    auto push = [&](Filter& f, json change) {
        if (f.changes.size() >= config_.max_filter_backlog) {
            f.overflowed = true;
            return;
        }
        f.changes.push_back(std::move(change));
    };
    for (auto& [id, f] : filters_) {
        if (f.kind == Kind::blocks) push(f, hex_data(block.hash));
        if (f.kind != Kind::logs) continue;
        for (const auto& e : logs) {
            if (e.block_number < f.criteria.from) continue;
            if (!f.to_latest && e.block_number > f.criteria.to) continue;
            if (chain::log_matches(f.criteria, e.log)) push(f, log_json(e));
        }
    }
    for (auto& [id, s] : subscriptions_) {
        if (s.kind == Kind::blocks) {
            s.session->send(rpc::make_notification("eth_subscription",
                                                   {{"subscription", id}, {"result", head}}));
        } else if (s.kind == Kind::logs) {
            for (const auto& e : logs)
                if (chain::log_matches(s.criteria, e.log))
                    s.session->send(rpc::make_notification(
                        "eth_subscription", {{"subscription", id}, {"result", log_json(e)}}));
        }
    }
}

void EthApi::on_pending_transaction(const Hash32& hash) {
    std::lock_guard lock(mu_);
    for (auto& [id, f] : filters_)
        if (f.kind == Kind::pending && f.changes.size() < config_.max_filter_backlog)
            f.changes.push_back(hex_data(hash));
    for (auto& [id, s] : subscriptions_)
        if (s.kind == Kind::pending)
            s.session->send(rpc::make_notification(
                "eth_subscription", {{"subscription", id}, {"result", hex_data(hash)}}));
}

rpc::MethodResult EthApi::subscribe(const json& params, rpc::Session& session) {
    if (!session.is_websocket())
        return rpc::method_not_supported(
            "eth_subscribe needs a WebSocket connection; over HTTP use eth_newFilter and "
            "eth_getFilterChanges");
    const std::string& what = as_string(param(params, 0, "subscription type"), "subscription");
    Subscription sub{Kind::blocks, {}, &session};
    if (what == "newHeads") {
        sub.kind = Kind::blocks;
    } else if (what == "logs") {
        sub.kind = Kind::logs;
        json criteria = has_param(params, 1) ? params[1] : json::object();
        if (!criteria.is_object()) bad_param("logs subscription: expected a filter object");
        for (const char* k : {"fromBlock", "toBlock", "blockHash"})
            if (criteria.contains(k))
                bad_param(std::string("logs subscription: ") + k +
                          " is not supported; subscriptions deliver new logs only");
        sub.criteria = parse_log_filter(node_.chain(), criteria, nullptr);
    } else if (what == "newPendingTransactions") {
        sub.kind = Kind::pending;
    } else {
        bad_param("unknown subscription type \"" + what +
                  "\"; expected newHeads, logs or newPendingTransactions");
    }
    if (!session.try_add_subscription())
        return rpc::limit_exceeded(
            "too many subscriptions on this connection; unsubscribe some first");
    std::string id;
    {
        std::lock_guard lock(mu_);
        id = new_id(next_id_++);
        subscriptions_.emplace(id, sub);
    }
    // The subscription ends with its connection.
    session.on_close([this, id] {
        std::lock_guard lock(mu_);
        subscriptions_.erase(id);
    });
    return json(id);
}

void EthApi::register_methods(rpc::Dispatcher& d) {
    Node& node = node_;
    chain::Chain& chain = node.chain();
    auto add = [&](const char* name, std::function<json(const json&)> body) {
        d.add(name, [body = std::move(body)](const json& params, rpc::Session&) -> MethodResult {
            return guarded([&]() -> MethodResult { return body(params); });
        });
    };

    add("web3_clientVersion", [this](const json&) { return json(config_.client_version); });
    add("web3_sha3", [](const json& p) {
        return json(hex_data(keccak256(parse_data(param(p, 0, "data"), "data"))));
    });
    add("net_version",
        [&chain](const json&) { return json(std::to_string(chain.config().chain_id)); });
    add("net_listening", [](const json&) { return json(true); });
    add("net_peerCount", [](const json&) { return json("0x0"); });
    add("eth_chainId", [&chain](const json&) { return json(quantity(chain.config().chain_id)); });
    add("eth_blockNumber", [&chain](const json&) { return json(quantity(chain.head_number())); });
    add("eth_syncing", [](const json&) { return json(false); });
    add("eth_accounts", [](const json&) { return json::array(); });
    add("eth_gasPrice", [&chain](const json&) { return json(quantity(chain.config().base_fee)); });
    // The whole fee goes to the proposer and blocks are not contested, so no tip is needed.
    add("eth_maxPriorityFeePerGas", [](const json&) { return json("0x0"); });
    add("eth_feeHistory", [this, &chain](const json& p) {
        uint64_t count = parse_u64(param(p, 0, "blockCount"), "blockCount");
        count = std::min(count, config_.max_fee_history_blocks);
        const uint64_t newest = resolve_block(chain, param(p, 1, "newestBlock"));
        std::vector<double> percentiles;
        if (has_param(p, 2)) {
            if (!p[2].is_array()) bad_param("rewardPercentiles: expected an array");
            for (const auto& x : p[2]) {
                if (!x.is_number()) bad_param("rewardPercentiles: expected numbers");
                double v = x.get<double>();
                if (v < 0 || v > 100 || (!percentiles.empty() && v < percentiles.back()))
                    bad_param("rewardPercentiles: must be ascending values in [0, 100]");
                percentiles.push_back(v);
            }
        }
        count = std::min(count, newest + 1);
        const uint64_t oldest = newest + 1 - count;
        json base_fees = json::array(), ratios = json::array(), rewards = json::array();
        for (uint64_t n = oldest; n <= newest && count > 0; ++n) {
            auto hash = value_or_fail(chain.hash_by_number(n));
            if (!hash) fail(rpc::internal_error("block " + std::to_string(n) + " not indexed"));
            auto header = value_or_fail(chain.header(*hash));
            if (!header) fail(rpc::internal_error("block " + std::to_string(n) + " missing"));
            base_fees.push_back(quantity(header->base_fee_per_gas));
            ratios.push_back(header->gas_limit ? double(header->gas_used) / header->gas_limit
                                               : 0.0);
            if (percentiles.empty()) continue;
            // Tips paid, weighted by gas used, as execution-apis defines the percentiles.
            auto body = value_or_fail(chain.body(*hash));
            auto receipts = value_or_fail(chain.receipts(*hash));
            std::vector<std::pair<uint256, uint64_t>> tips;
            for (size_t i = 0; body && receipts && i < body->size(); ++i)
                tips.emplace_back(chain::effective_gas_price((*body)[i], header->base_fee_per_gas) -
                                      header->base_fee_per_gas,
                                  receipts->metas[i].gas_used);
            std::sort(tips.begin(), tips.end());
            json row = json::array();
            for (double pct : percentiles) {
                if (tips.empty()) {
                    row.push_back("0x0");
                    continue;
                }
                const double threshold = header->gas_used * pct / 100.0;
                uint64_t cumulative = 0;
                uint256 tip = tips.back().first;
                for (const auto& [t, g] : tips) {
                    cumulative += g;
                    if (double(cumulative) >= threshold) {
                        tip = t;
                        break;
                    }
                }
                row.push_back(quantity(tip));
            }
            rewards.push_back(row);
        }
        // The base fee of the block after newest: constant on this chain.
        if (count > 0) base_fees.push_back(quantity(chain.config().base_fee));
        json out = {{"oldestBlock", quantity(oldest)},
                    {"baseFeePerGas", base_fees},
                    {"gasUsedRatio", ratios}};
        if (!percentiles.empty()) out["reward"] = rewards;
        return out;
    });

    add("eth_getBalance", [&chain](const json& p) {
        Address a = parse_address(param(p, 0, "address"), "address");
        uint64_t n = resolve_block(chain, has_param(p, 1) ? p[1] : json("latest"));
        return json(quantity(value_or_fail(chain.account_at(a, n)).balance));
    });
    add("eth_getTransactionCount", [&node, &chain](const json& p) {
        Address a = parse_address(param(p, 0, "address"), "address");
        if (has_param(p, 1) && p[1].is_string() && p[1].get<std::string>() == "pending")
            return json(quantity(node.pool().pending_nonce(a)));
        uint64_t n = resolve_block(chain, has_param(p, 1) ? p[1] : json("latest"));
        return json(quantity(value_or_fail(chain.account_at(a, n)).nonce));
    });
    add("eth_getCode", [&chain](const json& p) {
        Address a = parse_address(param(p, 0, "address"), "address");
        uint64_t n = resolve_block(chain, has_param(p, 1) ? p[1] : json("latest"));
        return json(hex_data(value_or_fail(chain.code_at(a, n))));
    });
    add("eth_getStorageAt", [&chain](const json& p) {
        Address a = parse_address(param(p, 0, "address"), "address");
        Hash32 slot = parse_slot(param(p, 1, "slot"));
        uint64_t n = resolve_block(chain, has_param(p, 2) ? p[2] : json("latest"));
        return json(hex_data(value_or_fail(chain.storage_at(a, slot, n)).to_be()));
    });

    // Batched: a batch's transactions reach the pool together (one lock, not one each).
    d.add_batched(
        "eth_sendRawTransaction", [&node](std::span<const json* const> params, rpc::Session&) {
            std::vector<MethodResult> out(params.size());
            std::vector<Bytes> raws;
            std::vector<size_t> slot;  // raws[k] answers out[slot[k]]
            for (size_t i = 0; i < params.size(); ++i) {
                out[i] = guarded([&]() -> MethodResult {
                    raws.push_back(parse_data(param(*params[i], 0, "transaction"), "transaction"));
                    slot.push_back(i);
                    return json();
                });
            }
            const std::vector<BytesView> views(raws.begin(), raws.end());
            std::vector<Result<Hash32>> hashes = node.submit_raw_transactions(views);
            for (size_t k = 0; k < slot.size(); ++k) {
                if (!hashes[k])
                    out[slot[k]] = rpc::transaction_rejected(hashes[k].error().message);
                else
                    out[slot[k]] = json(hex_data(*hashes[k]));
            }
            return out;
        });
    d.add("eth_sendTransaction", [](const json&, rpc::Session&) -> MethodResult {
        return rpc::method_not_supported(
            "eth_sendTransaction is not available: this node holds no keys (eth_accounts is "
            "empty); sign the transaction in the client and use eth_sendRawTransaction");
    });
    add("eth_call", [&chain](const json& p) {
        chain::CallRequest c = parse_call(param(p, 0, "transaction"));
        const uint64_t n = resolve_block(chain, has_param(p, 1) ? p[1] : json("latest"));
        chain::TxOutcome outcome = execution_value_or_fail(chain.call(c, n));
        if (!outcome.status) fail(execution_error(outcome));
        return json(hex_data(outcome.output));
    });
    add("eth_estimateGas", [&chain](const json& p) {
        chain::CallRequest c = parse_call(param(p, 0, "transaction"));
        const uint64_t n = resolve_block(chain, has_param(p, 1) ? p[1] : json("latest"));
        chain::GasEstimate estimate = execution_value_or_fail(chain.estimate_gas(c, n));
        if (!estimate.gas) {
            if (estimate.failure.evm_status == evm::StatusCode::revert)
                fail(execution_error(estimate.failure));
            fail(rpc::invalid_input(
                std::string("gas required exceeds allowance: the call fails (") +
                evm::status_name(estimate.failure.evm_status) +
                ") even with the most gas it may have (the request's gas, the block gas limit "
                "and what the sender can pay for)"));
        }
        return json(quantity(*estimate.gas));
    });

    add("eth_getBlockByHash", [&chain](const json& p) {
        Hash32 h = parse_hash(param(p, 0, "block hash"), "block hash");
        bool full = has_param(p, 1) && p[1].get<bool>();
        return block_json(chain, h, full);
    });
    add("eth_getBlockByNumber", [&chain](const json& p) {
        auto n = block_number_or_null(chain, param(p, 0, "block"));
        bool full = has_param(p, 1) && p[1].get<bool>();
        if (!n) return json(nullptr);
        auto h = value_or_fail(chain.hash_by_number(*n));
        return h ? block_json(chain, *h, full) : json(nullptr);
    });
    auto tx_count = [&chain](const Hash32& h) {
        auto body = value_or_fail(chain.body(h));
        auto header = value_or_fail(chain.header(h));
        return body && header ? json(quantity(uint64_t(body->size()))) : json(nullptr);
    };
    add("eth_getBlockTransactionCountByHash", [tx_count](const json& p) {
        return tx_count(parse_hash(param(p, 0, "block hash"), "block hash"));
    });
    add("eth_getBlockTransactionCountByNumber", [&chain, tx_count](const json& p) {
        auto n = block_number_or_null(chain, param(p, 0, "block"));
        if (!n) return json(nullptr);
        auto h = value_or_fail(chain.hash_by_number(*n));
        return h ? tx_count(*h) : json(nullptr);
    });
    auto tx_at = [&chain](const Hash32& block_hash, uint64_t index) {
        auto header = value_or_fail(chain.header(block_hash));
        auto body = value_or_fail(chain.body(block_hash));
        auto receipts = value_or_fail(chain.receipts(block_hash));
        if (!header || !body || !receipts || index >= body->size()) return json(nullptr);
        const Transaction& tx = (*body)[index];
        return tx_json(tx, transaction_hash(tx), receipts->senders[index],
                       chain::TxLocation{block_hash, header->number, uint32_t(index)},
                       header->base_fee_per_gas);
    };
    add("eth_getTransactionByBlockHashAndIndex", [tx_at](const json& p) {
        return tx_at(parse_hash(param(p, 0, "block hash"), "block hash"),
                     parse_u64(param(p, 1, "index"), "index"));
    });
    add("eth_getTransactionByBlockNumberAndIndex", [&chain, tx_at](const json& p) {
        auto n = block_number_or_null(chain, param(p, 0, "block"));
        if (!n) return json(nullptr);
        auto h = value_or_fail(chain.hash_by_number(*n));
        return h ? tx_at(*h, parse_u64(param(p, 1, "index"), "index")) : json(nullptr);
    });
    add("eth_getTransactionByHash", [&node, &chain, tx_at](const json& p) {
        Hash32 h = parse_hash(param(p, 0, "transaction hash"), "transaction hash");
        auto at = value_or_fail(chain.find_transaction(h));
        if (at) return tx_at(at->block_hash, at->index);
        if (auto pooled = node.pool().get(h))
            return tx_json(pooled->tx, pooled->hash, pooled->sender, std::nullopt,
                           chain.config().base_fee);
        return json(nullptr);
    });
    add("eth_getTransactionReceipt", [&chain](const json& p) {
        Hash32 h = parse_hash(param(p, 0, "transaction hash"), "transaction hash");
        auto at = value_or_fail(chain.find_transaction(h));
        return at ? receipt_json(chain, *at) : json(nullptr);
    });
    add("eth_getBlockReceipts", [&chain](const json& p) {
        auto n = block_number_or_null(chain, param(p, 0, "block"));
        if (!n) return json(nullptr);
        auto h = value_or_fail(chain.hash_by_number(*n));
        if (!h) return json(nullptr);
        return block_receipts_json(chain, *h);
    });

    add("eth_getLogs", [this, &chain](const json& p) {
        chain::LogFilter f = parse_log_filter(chain, param(p, 0, "filter"), nullptr);
        if (f.to > chain.head_number()) f.to = chain.head_number();
        if (f.from > f.to) return json::array();
        if (f.to - f.from >= config_.max_log_block_range)
            fail(rpc::limit_exceeded("block range of " + std::to_string(f.to - f.from + 1) +
                                     " blocks exceeds the limit of " +
                                     std::to_string(config_.max_log_block_range) +
                                     "; query a smaller range"));
        auto logs = chain.logs(f, config_.max_logs);
        if (!logs) fail(rpc::limit_exceeded(logs.error().message));
        json out = json::array();
        for (const auto& e : *logs)
            out.push_back(log_json(e));
        return out;
    });

    d.add("eth_newFilter", [this, &chain](const json& p, rpc::Session&) -> MethodResult {
        return guarded([&]() -> MethodResult {
            Filter f{Kind::logs, {}, true, {}, false, {}};
            f.criteria = parse_log_filter(chain, param(p, 0, "filter"), &f.to_latest);
            // A filter reports logs of blocks sealed after it was installed.
            f.criteria.from = std::max(f.criteria.from, chain.head_number() + 1);
            return new_filter(std::move(f));
        });
    });
    d.add("eth_newBlockFilter", [this](const json&, rpc::Session&) -> MethodResult {
        return new_filter(Filter{Kind::blocks, {}, true, {}, false, {}});
    });
    d.add("eth_newPendingTransactionFilter", [this](const json&, rpc::Session&) -> MethodResult {
        return new_filter(Filter{Kind::pending, {}, true, {}, false, {}});
    });
    d.add("eth_getFilterChanges", [this](const json& p, rpc::Session&) -> MethodResult {
        return guarded([&]() -> MethodResult {
            const std::string& id = as_string(param(p, 0, "filter id"), "filter id");
            std::lock_guard lock(mu_);
            expire_filters();
            auto it = filters_.find(id);
            if (it == filters_.end()) return rpc::invalid_input("filter not found");
            Filter& f = it->second;
            f.last_poll = std::chrono::steady_clock::now();
            if (f.overflowed) {
                f.overflowed = false;
                f.changes.clear();
                return rpc::limit_exceeded(
                    "filter fell more than " + std::to_string(config_.max_filter_backlog) +
                    " changes behind and dropped them; poll more often or use eth_getLogs");
            }
            json out = json::array();
            for (auto& c : f.changes)
                out.push_back(std::move(c));
            f.changes.clear();
            return out;
        });
    });
    d.add("eth_getFilterLogs", [this, &chain](const json& p, rpc::Session&) -> MethodResult {
        return guarded([&]() -> MethodResult {
            const std::string& id = as_string(param(p, 0, "filter id"), "filter id");
            chain::LogFilter criteria;
            {
                std::lock_guard lock(mu_);
                auto it = filters_.find(id);
                if (it == filters_.end() || it->second.kind != Kind::logs)
                    return rpc::invalid_input("filter not found");
                it->second.last_poll = std::chrono::steady_clock::now();
                criteria = it->second.criteria;
                if (it->second.to_latest) criteria.to = chain.head_number();
            }
            json out = json::array();
            if (criteria.from > criteria.to) return out;
            auto logs = chain.logs(criteria, config_.max_logs);
            if (!logs) return rpc::limit_exceeded(logs.error().message);
            for (const auto& e : *logs)
                out.push_back(log_json(e));
            return out;
        });
    });
    d.add("eth_uninstallFilter", [this](const json& p, rpc::Session&) -> MethodResult {
        return guarded([&]() -> MethodResult {
            const std::string& id = as_string(param(p, 0, "filter id"), "filter id");
            std::lock_guard lock(mu_);
            return json(filters_.erase(id) > 0);
        });
    });

    d.add("eth_subscribe", [this](const json& p, rpc::Session& session) -> MethodResult {
        return guarded([&]() -> MethodResult { return subscribe(p, session); });
    });
    d.add("eth_unsubscribe", [this](const json& p, rpc::Session& session) -> MethodResult {
        return guarded([&]() -> MethodResult {
            const std::string& id = as_string(param(p, 0, "subscription id"), "subscription id");
            std::lock_guard lock(mu_);
            auto it = subscriptions_.find(id);
            if (it == subscriptions_.end() || it->second.session != &session) return json(false);
            subscriptions_.erase(it);
            session.remove_subscription();
            return json(true);
        });
    });

    register_governance_methods(d);
}

namespace {

json nodes_json(const std::vector<governance::ConsensusNode>& nodes) {
    json out = json::array();
    for (size_t i = 0; i < nodes.size(); ++i)
        out.push_back({{"index", i},
                       {"name", nodes[i].name},
                       {"organisation", nodes[i].org},
                       {"consensusKey", to_hex(nodes[i].consensus_key)},
                       {"p2pAddress", nodes[i].p2p_address}});
    return out;
}

}  // namespace

void EthApi::register_governance_methods(rpc::Dispatcher& d) {
    chain::Chain& chain = node_.chain();
    // Every method reads one snapshot of the governance state after the head block.
    auto add = [&](const char* name, std::function<json(const governance::GovernanceState&)> body) {
        d.add(name, [&chain, body = std::move(body)](const json&, rpc::Session&) -> MethodResult {
            return guarded([&]() -> MethodResult {
                auto g = chain.governance();
                if (!g)
                    return rpc::method_not_supported(
                        "this chain has no governance (it was created without system contracts)");
                return body(*g);
            });
        });
    };
    add("honeycomb_organisations", [](const governance::GovernanceState& g) {
        json out = json::array();
        for (const auto& o : g.orgs) {
            json cas = json::array();
            for (const Bytes& der : o.ca_certs)
                if (auto c = crypto::Certificate::from_der(der)) cas.push_back(c->to_pem());
            out.push_back({{"id", o.id}, {"name", o.name}, {"caCertificates", cas}});
        }
        return out;
    });
    add("honeycomb_members", [](const governance::GovernanceState& g) {
        json out = json::array();
        for (const auto& [address, m] : g.members)
            out.push_back({{"address", to_checksum_address(address)},
                           {"organisation", m.org},
                           {"role", governance::role_name(m.role)},
                           {"certificate",
                            m.certificate.is_zero() ? json(nullptr) : json(m.certificate.hex())}});
        return out;
    });
    add("honeycomb_policies", [](const governance::GovernanceState& g) {
        json resources = json::object();
        for (const auto& [resource, rule] : g.policies.rules())
            resources[governance::resource_name(resource)] = governance::rule_to_string(rule);
        json contracts = json::object();
        for (const auto& [address, rule] : g.contract_policies)
            contracts[to_checksum_address(address)] = governance::rule_to_string(rule);
        json frozen = json::array();
        for (const Address& a : g.frozen)
            frozen.push_back(to_checksum_address(a));
        return json{{"permissionMode", governance::mode_name(g.mode)},
                    {"resources", resources},
                    {"contracts", contracts},
                    {"frozen", frozen},
                    {"blockGasLimit", g.params.gas_limit},
                    {"proposalLifetimeSeconds", g.params.proposal_lifetime_s},
                    {"epochBlocks", g.params.epoch_blocks}};
    });
    add("honeycomb_proposals", [&chain](const governance::GovernanceState& g) {
        const uint64_t now = chain.head().timestamp;
        json out = json::array();
        for (const auto& p : g.proposals) {
            json voters = json::array();
            for (const Address& v : p.voters)
                voters.push_back(to_checksum_address(v));
            const auto status = p.status == governance::ProposalStatus::open && now >= p.expires_at
                                    ? governance::ProposalStatus::expired
                                    : p.status;
            out.push_back({{"id", p.id},
                           {"action", json::parse(p.action, nullptr, false)},
                           {"proposer", to_checksum_address(p.proposer)},
                           {"createdBlock", p.created_block},
                           {"expiresAt", p.expires_at},
                           {"status", governance::status_name(status)},
                           {"voters", voters},
                           {"outcome", p.outcome}});
        }
        return out;
    });
    add("honeycomb_consensusNodes", [](const governance::GovernanceState& g) {
        json pending = nullptr;
        if (g.pending_nodes)
            pending = {{"effectiveHeight", g.pending_nodes->effective_height},
                       {"nodes", nodes_json(g.pending_nodes->nodes)}};
        return json{{"epoch", g.epoch},
                    {"epochStartHeight", g.epoch_start_height},
                    {"nodes", nodes_json(g.nodes)},
                    {"pending", pending}};
    });

    // The commit certificate that made a block final: the quorum certificate of the commit proof
    // stored with it, or with the first block after it that has one (a commit proves every block
    // it includes). Signers are validator indices of the committee of the block's epoch; their
    // names are given for the current epoch.
    d.add(
        "honeycomb_commitCertificate", [&chain](const json& params, rpc::Session&) -> MethodResult {
            return guarded([&]() -> MethodResult {
                const uint64_t number = parse_u64(param(params, 0, "block number"), "block number");
                const uint64_t head = chain.head_number();
                if (number == 0 || number > head)
                    fail(rpc::resource_not_found("block " + std::to_string(number) +
                                                 " has no commit certificate: blocks 1 to " +
                                                 std::to_string(head) + " do"));
                for (uint64_t n = number; n <= head; ++n) {
                    auto raw = value_or_fail(chain.consensus_record(n));
                    if (!raw)
                        fail(rpc::method_not_supported(
                            "block " + std::to_string(n) +
                            " has no consensus record: this chain is not run by consensus"));
                    auto record = value_or_fail(decode_consensus_record(*raw));
                    if (!record.proof) continue;
                    auto g = chain.governance();
                    const bool current = g && !g->nodes.empty() && number > g->epoch_start_height;
                    json signers = json::array(), names = json::array();
                    for (const consensus::PartialSig& sig : record.proof->qc.votes) {
                        signers.push_back(sig.signer);
                        if (current && sig.signer < g->nodes.size())
                            names.push_back(g->nodes[sig.signer].name);
                    }
                    json out = {{"block", number},
                                {"provenAtBlock", n},
                                {"round", record.proof->qc.round},
                                {"signers", signers}};
                    if (current) {
                        out["epoch"] = g->epoch;
                        out["signerNames"] = names;
                    }
                    return out;
                }
                fail(rpc::resource_not_found("block " + std::to_string(number) +
                                             " is not yet proven by a stored commit proof"));
            });
        });
}

}  // namespace hc::node
