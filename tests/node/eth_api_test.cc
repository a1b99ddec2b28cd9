#include "node/eth_api.h"

#include <gtest/gtest.h>

#include "common/keccak.h"
#include "crypto/secp256k1.h"
#include "node/dev_accounts.h"

namespace hc::node {
namespace {

using nlohmann::json;

constexpr uint64_t kChainId = 1337;

Bytes word(uint64_t v) {
    const auto be = uint256(v).to_be();
    return Bytes(be.begin(), be.end());
}
std::string word_hex(uint64_t v) {
    return to_hex(word(v));
}
uint64_t parse_u64(const std::string& quantity) {
    return uint256::from_string(quantity)->low64();
}

// Code that copies the `n` bytes after its 10-byte prefix to memory and ends with them:
// RETURN (init code deploying them) or REVERT.
Bytes with_payload(const Bytes& payload, uint8_t end) {
    const auto n = static_cast<uint8_t>(payload.size());
    Bytes code = {0x60, n, 0x60, 10, 0x5f, 0x39, 0x60, n, 0x5f, end};
    for (uint8_t b : payload)
        code.push_back(b);
    return code;
}
Bytes init_code(const Bytes& runtime) {
    return with_payload(runtime, 0xf3);
}

// Solidity's revert payload for require(false, "nope"): Error(string).
Bytes error_nope() {
    Bytes out = {0x08, 0xc3, 0x79, 0xa0};
    for (uint64_t w : {32, 4})
        for (uint8_t b : word(w))
            out.push_back(b);
    Bytes text(32, 0);
    std::copy_n("nope", 4, text.begin());
    out.insert(out.end(), text.begin(), text.end());
    return out;
}

// No calldata: returns slot 0. A word v != 0: stores it in slot 0 and logs it (LOG1). A zero
// word: jumps to a tail that reverts with error_nope().
Bytes store_code() {
    Bytes code = {
        0x36, 0x15, 0x60, 0x18, 0x57,              // if calldatasize == 0 goto get
        0x5f, 0x35, 0x80, 0x15, 0x60, 0x21, 0x57,  // v = calldata[0]; if v == 0 goto rev
        0x80, 0x5f, 0x55,                          // sstore(0, v)
        0x5f, 0x52, 0x60, 0xaa, 0x60, 0x20, 0x5f, 0xa1, 0x00,  // mstore(0, v); log1(0, 32, 0xaa)
        0x5b, 0x5f, 0x54, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3,  // get: return sload(0)
        0x5b,                                                  // rev: the payload is copied
    };                                                         // from offset 34 + 10
    Bytes tail = with_payload(error_nope(), 0xfd);
    tail[3] = 34 + 10;
    code.insert(code.end(), tail.begin(), tail.end());
    return code;
}
const Bytes kStore = store_code();

// An in-memory node with the dev accounts funded and the API on a dispatcher.
class EthApiTest : public ::testing::Test {
  protected:
    void SetUp() override {
        NodeConfig config;
        config.chain.chain_id = kChainId;
        config.chain.base_fee = uint256(1'000'000'000);
        for (size_t i = 0; i < kDevAccounts.size(); ++i)
            config.chain.alloc.push_back({dev_address(i), uint256(1'000'000'000'000'000'000ull)});
        config.coinbase.bytes[0] = 0xcb;
        auto n = Node::open(config);
        ASSERT_TRUE(n) << n.error().to_string();
        node_ = std::move(*n);
        node_->on_block([this](const chain::CommittedBlock& b) { committed_.push_back(b); });
        api_ = std::make_unique<EthApi>(*node_, EthApiConfig{});
        api_->register_methods(dispatcher_);
    }

    // Runs the node's consensus (a committee of one) on this thread until what is pending is
    // committed; the blocks committed meanwhile, the last one holding what was pending.
    std::vector<chain::CommittedBlock> commit_pending() {
        const size_t before = committed_.size();
        EXPECT_TRUE(node_->run_until_idle());
        return {committed_.begin() + static_cast<std::ptrdiff_t>(before), committed_.end()};
    }

    // One call; returns the whole response object.
    json call(const std::string& method, json params, rpc::Session* session = nullptr) {
        json req = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
        std::string out = dispatcher_.handle(req.dump(), session ? *session : http_);
        return json::parse(out);
    }
    json result(const std::string& method, json params) {
        json r = call(method, params);
        EXPECT_TRUE(r.contains("result")) << method << ": " << r.dump();
        return r.value("result", json());
    }

    std::string raw_transfer(size_t from, const Address& to, uint64_t nonce, uint256 value,
                             uint64_t gas = 21000) {
        Transaction tx;
        tx.type = TxType::dynamic_fee;
        tx.chain_id = kChainId;
        tx.nonce = nonce;
        tx.gas_limit = gas;
        tx.to = to;
        tx.value = value;
        tx.max_fee_per_gas = uint256(2'000'000'000);
        EXPECT_TRUE(sign_transaction(tx, dev_key(from)));
        return to_hex(encode_transaction(tx));
    }

    std::string raw_tx(size_t from, std::optional<Address> to, uint64_t nonce, Bytes data,
                       uint64_t gas) {
        Transaction tx;
        tx.type = TxType::dynamic_fee;
        tx.chain_id = kChainId;
        tx.nonce = nonce;
        tx.gas_limit = gas;
        tx.to = to;
        tx.data = std::move(data);
        tx.max_fee_per_gas = uint256(2'000'000'000);
        EXPECT_TRUE(sign_transaction(tx, dev_key(from)));
        return to_hex(encode_transaction(tx));
    }

    // Deploys runtime from dev account `from` (nonce 0) in a block of its own; its address.
    std::string deploy_contract(size_t from, const Bytes& runtime) {
        json sent = call("eth_sendRawTransaction",
                         {raw_tx(from, std::nullopt, 0, init_code(runtime), 200'000)});
        EXPECT_TRUE(sent.contains("result")) << sent.dump();
        EXPECT_FALSE(commit_pending().empty());
        json receipt = result("eth_getTransactionReceipt", {sent["result"]});
        EXPECT_EQ(receipt["status"], "0x1");
        EXPECT_NE(result("eth_getCode", {receipt["contractAddress"], "latest"}), "0x");
        return receipt.value("contractAddress", "");
    }

    std::unique_ptr<Node> node_;
    std::vector<chain::CommittedBlock> committed_;
    std::unique_ptr<EthApi> api_;
    rpc::Dispatcher dispatcher_;
    rpc::LocalSession http_{false};
};

TEST_F(EthApiTest, ChainIdentityAndStaticAnswers) {
    EXPECT_EQ(result("eth_chainId", json::array()), "0x539");
    EXPECT_EQ(result("net_version", json::array()), "1337");
    EXPECT_EQ(result("eth_blockNumber", json::array()), "0x0");
    EXPECT_EQ(result("eth_syncing", json::array()), false);
    EXPECT_EQ(result("eth_accounts", json::array()), json::array());
    EXPECT_EQ(result("net_listening", json::array()), true);
    EXPECT_EQ(result("net_peerCount", json::array()), "0x0");
    EXPECT_EQ(result("eth_gasPrice", json::array()), "0x3b9aca00");
    EXPECT_EQ(result("eth_maxPriorityFeePerGas", json::array()), "0x0");
    EXPECT_EQ(result("web3_sha3", {"0x"}),
              "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    EXPECT_EQ(result("web3_clientVersion", json::array()), "honeycomb");
}

// eth_getBlockReceipts reads a block's receipts once; each must be what eth_getTransactionReceipt
// answers for that transaction, log indices running on across the block, a failed call included.
TEST_F(EthApiTest, BlockReceiptsAreTheTransactionsReceiptsInBlockOrder) {
    const std::string store = deploy_contract(0, kStore);
    const Address contract = *parse_address(store);
    Address to;
    to.bytes[0] = 0x42;
    std::vector<std::string> raw = {
        raw_tx(1, contract, 0, word(5), 100'000),   // logs
        raw_transfer(2, to, 0, uint256(7)),         // no log
        raw_tx(3, contract, 0, word(9), 100'000),   // logs: index 1 of the block
        raw_tx(4, contract, 0, word(0), 100'000),   // reverts
        raw_tx(5, contract, 0, word(11), 100'000),  // logs: index 2
    };
    for (const std::string& r : raw)
        ASSERT_TRUE(call("eth_sendRawTransaction", {r}).contains("result"));
    auto blocks = commit_pending();
    ASSERT_FALSE(blocks.empty());
    ASSERT_EQ(blocks.back().block.transactions.size(), raw.size());
    const std::string number = uint256(blocks.back().block.header.number).to_hex();

    json all = result("eth_getBlockReceipts", {number});
    ASSERT_EQ(all.size(), raw.size());
    std::vector<uint64_t> log_indices;
    size_t failed = 0;
    for (size_t i = 0; i < raw.size(); ++i) {
        const json& r = all[i];
        EXPECT_EQ(r, result("eth_getTransactionReceipt", {r["transactionHash"]})) << i;
        EXPECT_EQ(r["transactionHash"], blocks.back().tx_hashes[i].hex());
        for (const json& log : r["logs"])
            log_indices.push_back(parse_u64(log["logIndex"]));
        failed += r["status"] == "0x0";
    }
    EXPECT_EQ(log_indices, (std::vector<uint64_t>{0, 1, 2}));
    EXPECT_EQ(failed, 1u);
    EXPECT_TRUE(result("eth_getBlockReceipts", {"0xffff"}).is_null());
}

TEST_F(EthApiTest, TransferFlowsThroughPoolBlockAndQueries) {
    Address to;
    to.bytes[0] = 0x42;
    json sent = call("eth_sendRawTransaction", {raw_transfer(0, to, 0, uint256(1000))});
    ASSERT_TRUE(sent.contains("result")) << sent.dump();
    const std::string hash = sent["result"];

    // Pending: visible by hash without a block, and in the pending nonce only.
    json pending = result("eth_getTransactionByHash", {hash});
    EXPECT_TRUE(pending["blockHash"].is_null());
    EXPECT_EQ(pending["from"], kDevAccounts[0].address);
    EXPECT_EQ(result("eth_getTransactionCount", {kDevAccounts[0].address, "pending"}), "0x1");
    EXPECT_EQ(result("eth_getTransactionCount", {kDevAccounts[0].address, "latest"}), "0x0");
    EXPECT_TRUE(result("eth_getTransactionReceipt", {hash}).is_null());

    auto blocks = commit_pending();
    ASSERT_EQ(blocks.size(), 1u);  // the first block of the chain
    const auto* block = &blocks.back();
    ASSERT_EQ(block->block.transactions.size(), 1u);

    json receipt = result("eth_getTransactionReceipt", {hash});
    EXPECT_EQ(receipt["status"], "0x1");
    EXPECT_EQ(receipt["gasUsed"], "0x5208");
    EXPECT_EQ(receipt["cumulativeGasUsed"], "0x5208");
    EXPECT_EQ(receipt["effectiveGasPrice"], "0x3b9aca00");
    EXPECT_EQ(receipt["blockNumber"], "0x1");
    EXPECT_EQ(receipt["blockHash"], block->hash.hex());
    EXPECT_EQ(receipt["from"], kDevAccounts[0].address);
    EXPECT_EQ(receipt["to"], to_checksum_address(to));
    EXPECT_TRUE(receipt["contractAddress"].is_null());
    EXPECT_EQ(receipt["type"], "0x2");

    json mined = result("eth_getTransactionByHash", {hash});
    EXPECT_EQ(mined["blockNumber"], "0x1");
    EXPECT_EQ(mined["transactionIndex"], "0x0");
    EXPECT_EQ(mined["gasPrice"], "0x3b9aca00");  // effective price once mined

    EXPECT_EQ(result("eth_getBalance", {to_checksum_address(to), "latest"}), "0x3e8");
    EXPECT_EQ(result("eth_getBalance", {to_checksum_address(to), "0x0"}), "0x0");
    EXPECT_EQ(result("eth_getBalance", {to_checksum_address(to), "earliest"}), "0x0");
    EXPECT_EQ(result("eth_getBalance", {to_checksum_address(to), "safe"}), "0x3e8");
    EXPECT_EQ(result("eth_getBalance", {to_checksum_address(to), "finalized"}), "0x3e8");
    EXPECT_EQ(
        result("eth_getBalance", {to_checksum_address(to), {{"blockHash", block->hash.hex()}}}),
        "0x3e8");
    EXPECT_EQ(result("eth_getTransactionCount", {kDevAccounts[0].address, "latest"}), "0x1");

    json by_number = result("eth_getBlockByNumber", {"latest", false});
    EXPECT_EQ(by_number["hash"], block->hash.hex());
    EXPECT_EQ(by_number["transactions"], json::array({hash}));
    EXPECT_EQ(by_number["miner"], to_checksum_address(node_->config().coinbase));
    json full = result("eth_getBlockByHash", {block->hash.hex(), true});
    ASSERT_EQ(full["transactions"].size(), 1u);
    EXPECT_EQ(full["transactions"][0]["hash"], hash);
    EXPECT_EQ(full["parentHash"], node_->chain().genesis_hash().hex());
    EXPECT_EQ(result("eth_getBlockTransactionCountByNumber", {"0x1"}), "0x1");
    EXPECT_EQ(result("eth_getBlockTransactionCountByHash", {block->hash.hex()}), "0x1");
    EXPECT_EQ(result("eth_getTransactionByBlockNumberAndIndex", {"0x1", "0x0"})["hash"], hash);
    EXPECT_TRUE(result("eth_getBlockByNumber", {"0x9", false}).is_null());
    EXPECT_TRUE(result("eth_getTransactionByHash", {Hash32{}.hex()}).is_null());
}

TEST_F(EthApiTest, CommitCertificatesNameTheirSigners) {
    Address to;
    to.bytes[19] = 0x42;
    ASSERT_TRUE(
        call("eth_sendRawTransaction", {raw_transfer(0, to, 0, uint256(5))}).contains("result"));
    commit_pending();
    const uint64_t head = node_->chain().head_number();
    ASSERT_GE(head, 1u);
    // A committee of one: validator 0 signs every certificate; a commit proves every block it
    // includes, so block 1's certificate is stored with it or a later block.
    json cert = result("honeycomb_commitCertificate", {"0x1"});
    EXPECT_EQ(cert["block"], 1);
    EXPECT_GE(cert["provenAtBlock"].get<uint64_t>(), 1u);
    EXPECT_LE(cert["provenAtBlock"].get<uint64_t>(), head);
    EXPECT_EQ(cert["signers"], json::array({0}));
    EXPECT_FALSE(cert.contains("signerNames"));  // no governance node set to name them

    json genesis = call("honeycomb_commitCertificate", {"0x0"});
    ASSERT_TRUE(genesis.contains("error")) << genesis.dump();
    EXPECT_NE(genesis["error"]["message"].get<std::string>().find("has no commit certificate"),
              std::string::npos);
    json future = call("honeycomb_commitCertificate", {"0x99"});
    ASSERT_TRUE(future.contains("error")) << future.dump();
    json bad = call("honeycomb_commitCertificate", {"one"});
    ASSERT_TRUE(bad.contains("error")) << bad.dump();
    EXPECT_EQ(bad["error"]["code"], -32602);
}

TEST_F(EthApiTest, ABatchOfRawTransactionsIsAnsweredPerTransactionAndCommitted) {
    Address to;
    to.bytes[0] = 7;
    const std::string first = raw_transfer(1, to, 0, uint256(3));
    json batch = json::array();
    auto add = [&](json id, json params) {
        batch.push_back({{"jsonrpc", "2.0"},
                         {"id", id},
                         {"method", "eth_sendRawTransaction"},
                         {"params", params}});
    };
    add(1, {first});
    add(2, {"0x1234"});
    add(3, {raw_transfer(1, to, 1, uint256(4))});
    batch.push_back({{"jsonrpc", "2.0"}, {"id", 4}, {"method", "eth_chainId"}});
    add(5, {42});
    add(6, {first});
    add(7, {raw_transfer(2, to, 0, uint256(5))});
    const json out = json::parse(dispatcher_.handle(batch.dump(), http_));
    ASSERT_TRUE(out.is_array()) << out.dump();
    ASSERT_EQ(out.size(), 7u) << out.dump();
    for (size_t i = 0; i < out.size(); ++i)
        EXPECT_EQ(out[i]["id"], i + 1) << out.dump();
    EXPECT_EQ(out[0]["result"], keccak256(*from_hex(first)).hex());
    EXPECT_EQ(out[1]["error"]["code"], rpc::kTransactionRejected);
    EXPECT_TRUE(out[2].contains("result")) << out[2].dump();
    EXPECT_TRUE(out[3].contains("result")) << out[3].dump();
    EXPECT_EQ(out[4]["error"]["code"], rpc::kInvalidParams) << out[4].dump();
    EXPECT_EQ(out[5]["error"]["message"], "already known");
    EXPECT_TRUE(out[6].contains("result")) << out[6].dump();

    const auto blocks = commit_pending();
    size_t committed = 0;
    for (const auto& b : blocks)
        committed += b.tx_hashes.size();
    EXPECT_EQ(committed, 3u);
    EXPECT_EQ(result("eth_getBalance", {to_checksum_address(to), "latest"}), "0xc");
}

TEST_F(EthApiTest, RejectionsCarryEthereumWordingAndCodes) {
    Address to;
    to.bytes[0] = 1;
    ASSERT_TRUE(
        call("eth_sendRawTransaction", {raw_transfer(1, to, 0, uint256(1))}).contains("result"));
    json dup = call("eth_sendRawTransaction", {raw_transfer(1, to, 0, uint256(1))});
    EXPECT_EQ(dup["error"]["code"], rpc::kTransactionRejected);
    EXPECT_EQ(dup["error"]["message"], "already known");

    json poor = call("eth_sendRawTransaction",
                     {raw_transfer(2, to, 0, uint256(1'000'000'000'000'000'000ull))});
    EXPECT_EQ(poor["error"]["code"], rpc::kTransactionRejected);
    EXPECT_EQ(poor["error"]["message"].get<std::string>().rfind(
                  "insufficient funds for gas * price + value", 0),
              0u);

    json garbage = call("eth_sendRawTransaction", {"0x1234"});
    EXPECT_EQ(garbage["error"]["code"], rpc::kTransactionRejected);
    EXPECT_EQ(
        garbage["error"]["message"].get<std::string>().rfind("transaction type not supported", 0),
        0u);

    // Init code over the EIP-3860 limit.
    json huge = call("eth_sendRawTransaction",
                     {raw_tx(3, std::nullopt, 0, Bytes(kMaxInitcodeSize + 1, 0), 10'000'000)});
    EXPECT_EQ(huge["error"]["code"], rpc::kTransactionRejected);
    EXPECT_EQ(huge["error"]["message"].get<std::string>().rfind("max initcode size exceeded", 0),
              0u)
        << huge.dump();

    json wrong_type = call("eth_getBalance", {42, "latest"});
    EXPECT_EQ(wrong_type["error"]["code"], rpc::kInvalidParams);
    json missing = call("eth_getBalance", json::array());
    EXPECT_EQ(missing["error"]["code"], rpc::kInvalidParams);
    json future = call("eth_getBalance", {kDevAccounts[0].address, "0x99"});
    EXPECT_EQ(future["error"]["code"], rpc::kResourceNotFound);
    json bad_tag = call("eth_getBalance", {kDevAccounts[0].address, "newest"});
    EXPECT_EQ(bad_tag["error"]["code"], rpc::kInvalidParams);
    json no_keys = call("eth_sendTransaction", {{{"from", kDevAccounts[0].address}}});
    EXPECT_EQ(no_keys["error"]["code"], rpc::kMethodNotSupported);
}

TEST_F(EthApiTest, CallAndEstimateRunTheEvm) {
    Address fresh;
    fresh.bytes[19] = 0x77;
    json transfer = {
        {"from", kDevAccounts[0].address}, {"to", to_checksum_address(fresh)}, {"value", "0x1"}};
    EXPECT_EQ(result("eth_estimateGas", {transfer}), "0x5208");
    EXPECT_EQ(result("eth_call", {transfer, "latest"}), "0x");
    json with_data = transfer;
    with_data["data"] = "0x0001";
    EXPECT_EQ(result("eth_estimateGas", {with_data}), uint256(21000 + 4 + 16).to_hex());

    json broke = {
        {"from", to_checksum_address(fresh)}, {"to", kDevAccounts[0].address}, {"value", "0x1"}};
    json e = call("eth_estimateGas", {broke});
    ASSERT_TRUE(e.contains("error"));
    EXPECT_EQ(e["error"]["code"], rpc::kInvalidInput);
    EXPECT_NE(e["error"]["message"].get<std::string>().find("insufficient funds"),
              std::string::npos);

    // Init code PUSH1 0, deploying empty code: 53000 + 16 + 4 calldata + 2 initcode word + 3.
    json deploy = {{"from", kDevAccounts[0].address}, {"data", "0x6000"}};
    EXPECT_EQ(result("eth_estimateGas", {deploy}), uint256(53025).to_hex());

    // A contract that stores a word, logs it, and reverts with Error("nope") on zero.
    const std::string store = deploy_contract(0, kStore);
    json set = {{"from", kDevAccounts[1].address}, {"to", store}, {"data", word_hex(5)}};
    const std::string gas = result("eth_estimateGas", {set});
    json sent = call("eth_sendRawTransaction",
                     {raw_tx(1, *parse_address(store), 0, word(5), parse_u64(gas))});
    ASSERT_TRUE(sent.contains("result")) << sent.dump();
    ASSERT_FALSE(commit_pending().empty());
    json receipt = result("eth_getTransactionReceipt", {sent["result"]});
    EXPECT_EQ(receipt["status"], "0x1");
    ASSERT_EQ(receipt["logs"].size(), 1u);
    EXPECT_EQ(receipt["logs"][0]["address"], store);
    EXPECT_EQ(receipt["logs"][0]["data"], word_hex(5));
    EXPECT_EQ(result("eth_getStorageAt", {store, "0x0", "latest"}), word_hex(5));
    json logs = result("eth_getLogs", {{{"fromBlock", "0x0"}, {"address", store}}});
    ASSERT_EQ(logs.size(), 1u);
    EXPECT_EQ(logs[0]["transactionHash"], sent["result"]);

    // eth_call reads the latest state and older ones.
    json get = {{"to", store}};
    const std::string latest = uint256(node_->chain().head_number()).to_hex();
    const std::string before = uint256(node_->chain().head_number() - 1).to_hex();
    EXPECT_EQ(result("eth_call", {get, "latest"}), word_hex(5));
    EXPECT_EQ(result("eth_call", {get, latest}), word_hex(5));
    EXPECT_EQ(result("eth_call", {get, before}), word_hex(0));

    // A revert: code 3, the reason decoded into the message, the raw data as `data`.
    json zero = {{"to", store}, {"data", word_hex(0)}};
    for (const char* method : {"eth_call", "eth_estimateGas"}) {
        json reverted = call(method, {zero, "latest"});
        ASSERT_TRUE(reverted.contains("error")) << method << ": " << reverted.dump();
        EXPECT_EQ(reverted["error"]["code"], rpc::kExecutionReverted);
        EXPECT_EQ(reverted["error"]["message"], "execution reverted: nope");
        EXPECT_EQ(reverted["error"]["data"], to_hex(error_nope()));
    }
    // Other failures name themselves.
    json starved = call("eth_call", {{{"to", store}, {"data", word_hex(6)}, {"gas", "0x5300"}}});
    EXPECT_EQ(starved["error"]["code"], rpc::kInvalidInput);
    EXPECT_EQ(starved["error"]["message"], "execution failed: out of gas");
}

TEST_F(EthApiTest, FiltersReportChangesSinceTheLastPoll) {
    std::string blocks = result("eth_newBlockFilter", json::array());
    std::string pending = result("eth_newPendingTransactionFilter", json::array());
    std::string logs = result("eth_newFilter", {json::object()});
    EXPECT_EQ(result("eth_getFilterChanges", {blocks}), json::array());

    Address to;
    to.bytes[0] = 9;
    std::string hash = result("eth_sendRawTransaction", {raw_transfer(0, to, 0, uint256(5))});
    EXPECT_EQ(result("eth_getFilterChanges", {pending}), json::array({hash}));
    EXPECT_EQ(result("eth_getFilterChanges", {pending}), json::array());
    json hashes = json::array();
    for (const auto& b : commit_pending())
        hashes.push_back(b.hash.hex());
    to.bytes[0] = 10;
    result("eth_sendRawTransaction", {raw_transfer(0, to, 1, uint256(5))});
    for (const auto& b : commit_pending())
        hashes.push_back(b.hash.hex());
    ASSERT_EQ(hashes.size(), 3u);  // the first, then the empty one that committed it, and the next
    EXPECT_EQ(result("eth_getFilterChanges", {blocks}), hashes);
    EXPECT_EQ(result("eth_getFilterChanges", {blocks}), json::array());
    // Transfers emit no logs.
    EXPECT_EQ(result("eth_getFilterChanges", {logs}), json::array());
    EXPECT_EQ(result("eth_getFilterLogs", {logs}), json::array());
    EXPECT_EQ(result("eth_getLogs", {{{"fromBlock", "earliest"}, {"toBlock", "latest"}}}),
              json::array());

    EXPECT_EQ(result("eth_uninstallFilter", {blocks}), true);
    EXPECT_EQ(result("eth_uninstallFilter", {blocks}), false);
    json gone = call("eth_getFilterChanges", {blocks});
    EXPECT_EQ(gone["error"]["message"], "filter not found");

    json inverted = call("eth_getLogs", {{{"fromBlock", "0x2"}, {"toBlock", "0x1"}}});
    EXPECT_EQ(inverted["error"]["code"], rpc::kInvalidParams);
    json bad_topic = call("eth_getLogs", {{{"topics", {"0x12"}}}});
    EXPECT_EQ(bad_topic["error"]["code"], rpc::kInvalidParams);
}

TEST_F(EthApiTest, FilterCountIsLimited) {
    EthApiConfig small;
    small.max_filters = 2;
    EthApi api(*node_, small);
    rpc::Dispatcher d;
    api.register_methods(d);
    json req = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "eth_newBlockFilter"}};
    for (int i = 0; i < 2; ++i)
        EXPECT_TRUE(json::parse(d.handle(req.dump(), http_)).contains("result"));
    json over = json::parse(d.handle(req.dump(), http_));
    EXPECT_EQ(over["error"]["code"], rpc::kLimitExceeded);
}

TEST_F(EthApiTest, SubscriptionsPushOverWebSocketAndEndWithTheConnection) {
    rpc::LocalSession ws(true, 2);
    json over_http = call("eth_subscribe", {"newHeads"});
    EXPECT_EQ(over_http["error"]["code"], rpc::kMethodNotSupported);

    std::string heads = call("eth_subscribe", {"newHeads"}, &ws)["result"];
    std::string txs = call("eth_subscribe", {"newPendingTransactions"}, &ws)["result"];
    json third = call("eth_subscribe", {"logs", json::object()}, &ws);
    EXPECT_EQ(third["error"]["code"], rpc::kLimitExceeded);
    json unknown = call("eth_subscribe", {"syncing"}, &ws);
    EXPECT_EQ(unknown["error"]["code"], rpc::kInvalidParams);

    Address to;
    to.bytes[0] = 3;
    std::string hash = result("eth_sendRawTransaction", {raw_transfer(0, to, 0, uint256(5))});
    auto blocks = commit_pending();
    ASSERT_EQ(blocks.size(), 1u);
    const auto* block = &blocks.back();
    auto sent = ws.sent();
    ASSERT_EQ(sent.size(), 2u);
    json pending_note = json::parse(sent[0]);
    EXPECT_EQ(pending_note["method"], "eth_subscription");
    EXPECT_EQ(pending_note["params"]["subscription"], txs);
    EXPECT_EQ(pending_note["params"]["result"], hash);
    json head_note = json::parse(sent[1]);
    EXPECT_EQ(head_note["params"]["subscription"], heads);
    EXPECT_EQ(head_note["params"]["result"]["hash"], block->hash.hex());
    EXPECT_EQ(head_note["params"]["result"]["number"], "0x1");

    EXPECT_EQ(call("eth_unsubscribe", {txs}, &ws)["result"], true);
    EXPECT_EQ(call("eth_unsubscribe", {txs}, &ws)["result"], false);
    // Another connection cannot cancel it.
    rpc::LocalSession other(true);
    EXPECT_EQ(call("eth_unsubscribe", {heads}, &other)["result"], false);

    ws.close();
    ASSERT_TRUE(result("eth_sendRawTransaction", {raw_transfer(0, to, 1, uint256(5))}).is_string());
    ASSERT_FALSE(commit_pending().empty());
    EXPECT_EQ(ws.sent().size(), 2u);  // nothing more after the connection closed
}

TEST_F(EthApiTest, FeeHistoryCoversTheRequestedBlocks) {
    Address to;
    to.bytes[0] = 5;
    ASSERT_TRUE(
        call("eth_sendRawTransaction", {raw_transfer(0, to, 0, uint256(1))}).contains("result"));
    ASSERT_EQ(commit_pending().size(), 1u);
    json h = result("eth_feeHistory", {"0x4", "latest", {25, 75}});
    EXPECT_EQ(h["oldestBlock"], "0x0");  // only two blocks exist
    EXPECT_EQ(h["baseFeePerGas"].size(), 3u);
    EXPECT_EQ(h["gasUsedRatio"].size(), 2u);
    EXPECT_EQ(h["gasUsedRatio"][1].get<double>(), 21000.0 / 30'000'000);
    ASSERT_EQ(h["reward"].size(), 2u);
    // Block 1's one transaction tipped min(2 gwei - 1 gwei, 0) = 0.
    EXPECT_EQ(h["reward"][1], json::array({"0x0", "0x0"}));
    json bad = call("eth_feeHistory", {"0x1", "latest", {80, 20}});
    EXPECT_EQ(bad["error"]["code"], rpc::kInvalidParams);
}

TEST_F(EthApiTest, StorageAndCodeOfPlainAccountsAreEmpty) {
    EXPECT_EQ(result("eth_getCode", {kDevAccounts[0].address, "latest"}), "0x");
    EXPECT_EQ(result("eth_getStorageAt", {kDevAccounts[0].address, "0x0", "latest"}),
              "0x0000000000000000000000000000000000000000000000000000000000000000");
}

}  // namespace
}  // namespace hc::node
