#include "node/node.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "node/dev_accounts.h"
#include "node/genesis_file.h"
#include "support/temp_dir.h"

namespace hc::node {
namespace {

using namespace std::chrono_literals;

Hash32 dev_key(size_t i) {
    return *Hash32::from_hex(kDevAccounts[i].private_key);
}
Address dev_address(size_t i) {
    return *parse_address(kDevAccounts[i].address);
}

NodeConfig dev_config(const std::filesystem::path& dir = {}) {
    NodeConfig c;
    c.data_dir = dir;
    c.chain.base_fee = uint256(0);
    for (size_t i = 0; i < 3; ++i)
        c.chain.alloc.push_back({dev_address(i), uint256(1'000'000)});
    return c;
}

Bytes transfer(size_t from, uint64_t nonce, uint64_t value) {
    Transaction tx;
    tx.type = TxType::legacy;
    tx.chain_id = 1337;
    tx.nonce = nonce;
    tx.gas_limit = 21000;
    tx.to = dev_address(2);
    tx.value = uint256(value);
    EXPECT_TRUE(sign_transaction(tx, dev_key(from)));
    return encode_transaction(tx);
}

// Waits (up to a generous bound, never asserting on time) until pred holds.
template <typename Pred>
bool eventually(Pred pred) {
    for (int i = 0; i < 1000; ++i) {
        if (pred()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return pred();
}

TEST(Node, DropsATransactionTheChainCannotExecute) {
    auto node = Node::open(dev_config());
    ASSERT_TRUE(node) << node.error().to_string();
    // A call into the KZG point evaluation precompile, which this chain does not implement.
    Transaction tx;
    tx.chain_id = 1337;
    tx.gas_limit = 100000;
    tx.to = Address{};
    tx.to->bytes[19] = 0x0a;
    tx.data = Bytes(192, 1);
    ASSERT_TRUE(sign_transaction(tx, dev_key(0)));
    auto hash = (*node)->submit_raw_transaction(encode_transaction(tx));
    ASSERT_TRUE(hash) << hash.error().to_string();
    auto block = (*node)->seal_now();
    ASSERT_TRUE(block);
    EXPECT_TRUE(block->block.transactions.empty());
    ASSERT_EQ(block->rejected.size(), 1u);
    EXPECT_EQ(block->rejected[0].second.code, Errc::unsupported);
    EXPECT_FALSE((*node)->pool().contains(*hash));
    // The sender's nonce is free for the next transaction.
    ASSERT_TRUE((*node)->submit_raw_transaction(transfer(0, 0, 1)));
    auto next = (*node)->seal_now();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->block.transactions.size(), 1u);
}

TEST(Node, MetricsCountCommitsAndTheirLatency) {
    auto node = Node::open(dev_config());
    ASSERT_TRUE(node) << node.error().to_string();
    ASSERT_TRUE((*node)->submit_raw_transaction(transfer(0, 0, 1)));
    ASSERT_TRUE((*node)->submit_raw_transaction(transfer(0, 1, 1)));
    std::string before = (*node)->metrics().render();
    EXPECT_NE(before.find("\nhc_txpool_transactions 2\n"), std::string::npos) << before;
    EXPECT_NE(before.find("\nhc_block_height 0\n"), std::string::npos) << before;
    ASSERT_TRUE((*node)->seal_now());
    std::string after = (*node)->metrics().render();
    EXPECT_NE(after.find("\nhc_block_height 1\n"), std::string::npos) << after;
    EXPECT_NE(after.find("\nhc_txpool_transactions 0\n"), std::string::npos) << after;
    EXPECT_NE(after.find("\nhc_committed_transactions_total 2\n"), std::string::npos) << after;
    EXPECT_NE(after.find("\nhc_commit_latency_seconds_count 2\n"), std::string::npos) << after;
}

TEST(Node, SealsPendingTransactionsWithinTheBlockSizeLimit) {
    NodeConfig config = dev_config();
    config.seal.max_block_txs = 2;
    config.seal.max_interval = 0ms;  // no empty blocks
    auto node = Node::open(config);
    ASSERT_TRUE(node) << node.error().to_string();
    std::vector<size_t> sizes;
    std::mutex mu;
    (*node)->on_block([&](const chain::CommittedBlock& b) {
        std::lock_guard lock(mu);
        sizes.push_back(b.block.transactions.size());
    });
    for (uint64_t n = 0; n < 5; ++n)
        ASSERT_TRUE((*node)->submit_raw_transaction(transfer(0, n, 1)));
    (*node)->start();
    ASSERT_TRUE(eventually([&] { return (*node)->chain().account(dev_address(0)).nonce == 5; }));
    (*node)->stop();
    std::lock_guard lock(mu);
    size_t total = 0;
    for (size_t s : sizes) {
        EXPECT_LE(s, 2u);
        EXPECT_GT(s, 0u);  // with max_interval 0, no empty blocks
        total += s;
    }
    EXPECT_EQ(total, 5u);
    EXPECT_EQ((*node)->pool().size(), 0u);
    EXPECT_EQ((*node)->chain().account(dev_address(2)).balance, uint256(1'000'000 + 5));
}

TEST(Node, SealsEmptyBlocksAfterTheMaximumInterval) {
    NodeConfig config = dev_config();
    config.seal.max_interval = 20ms;
    auto node = Node::open(config);
    ASSERT_TRUE(node);
    (*node)->start();
    EXPECT_TRUE(eventually([&] { return (*node)->chain().head_number() >= 3; }));
    (*node)->stop();
    const uint64_t stopped_at = (*node)->chain().head_number();
    std::this_thread::sleep_for(60ms);
    EXPECT_EQ((*node)->chain().head_number(), stopped_at);  // stop() really stops sealing
}

TEST(Node, RestartContinuesFromTheStoredHead) {
    hc::testing::TempDir dir;
    NodeConfig config = dev_config(dir.path());
    Hash32 head;
    {
        auto node = Node::open(config);
        ASSERT_TRUE(node) << node.error().to_string();
        ASSERT_TRUE((*node)->submit_raw_transaction(transfer(1, 0, 7)));
        auto b = (*node)->seal_now();
        ASSERT_TRUE(b);
        head = b->hash;
    }
    auto node = Node::open(config);
    ASSERT_TRUE(node) << node.error().to_string();
    EXPECT_EQ((*node)->chain().head_hash(), head);
    EXPECT_EQ((*node)->chain().account(dev_address(1)).nonce, 1u);
    // The same nonce is now too low; the next one is accepted.
    auto again = (*node)->submit_raw_transaction(transfer(1, 0, 7));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().message.rfind("nonce too low", 0), 0u);
    EXPECT_TRUE((*node)->submit_raw_transaction(transfer(1, 1, 7)));
}

TEST(GenesisFile, RoundTripsAndRejectsBadInput) {
    hc::testing::TempDir dir;
    chain::ChainConfig c;
    c.chain_id = 99;
    c.gas_limit = 1234567;
    c.base_fee = uint256(7);
    c.genesis_timestamp = 1700000000;
    c.alloc = {{dev_address(0), uint256(5)}, {dev_address(1), uint256::max()}};
    auto path = dir.path() / "genesis.json";
    ASSERT_TRUE(write_genesis_file(path, c));
    auto back = read_genesis_file(path);
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->chain_id, 99u);
    EXPECT_EQ(back->gas_limit, 1234567u);
    EXPECT_EQ(back->base_fee, uint256(7));
    EXPECT_EQ(back->genesis_timestamp, 1700000000u);
    // Same genesis block either way: the file is a faithful record of the chain's identity.
    EXPECT_EQ(chain::make_genesis(*back).first.hash(), chain::make_genesis(c).first.hash());

    std::ofstream(dir.path() / "bad.json") << "{\"chainId\": -1}";
    auto bad = read_genesis_file(dir.path() / "bad.json");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("chainId"), std::string::npos);
    EXPECT_FALSE(read_genesis_file(dir.path() / "missing.json"));
}

}  // namespace
}  // namespace hc::node
