#include "node/node.h"

#include "crypto/secp256k1.h"

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

// The blocks a node commits, as its listener sees them.
struct Committed {
    explicit Committed(Node& node) {
        node.on_block([this](const chain::CommittedBlock& b) {
            std::lock_guard lock(mu);
            blocks.push_back(b);
        });
    }
    std::vector<chain::CommittedBlock> take() {
        std::lock_guard lock(mu);
        return std::exchange(blocks, {});
    }
    std::mutex mu;
    std::vector<chain::CommittedBlock> blocks;
};

TEST(Node, DropsATransactionTheChainCannotExecute) {
    auto node = Node::open(dev_config());
    ASSERT_TRUE(node) << node.error().to_string();
    Committed committed(**node);
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
    ASSERT_TRUE((*node)->run_until_idle());
    auto blocks = committed.take();
    ASSERT_EQ(blocks.size(), 1u);
    EXPECT_TRUE(blocks[0].block.transactions.empty());
    ASSERT_EQ(blocks[0].rejected.size(), 1u);
    EXPECT_EQ(blocks[0].rejected[0].second.code, Errc::unsupported);
    EXPECT_FALSE((*node)->pool().contains(*hash));
    // The sender's nonce is free for the next transaction.
    ASSERT_TRUE((*node)->submit_raw_transaction(transfer(0, 0, 1)));
    ASSERT_TRUE((*node)->run_until_idle());
    blocks = committed.take();
    ASSERT_FALSE(blocks.empty());
    EXPECT_EQ(blocks.back().block.transactions.size(), 1u);
}

TEST(Node, MetricsCountCommitsAndTheirLatency) {
    auto node = Node::open(dev_config());
    ASSERT_TRUE(node) << node.error().to_string();
    ASSERT_TRUE((*node)->submit_raw_transaction(transfer(0, 0, 1)));
    ASSERT_TRUE((*node)->submit_raw_transaction(transfer(0, 1, 1)));
    std::string before = (*node)->metrics().render();
    EXPECT_NE(before.find("\nhc_txpool_transactions 2\n"), std::string::npos) << before;
    EXPECT_NE(before.find("\nhc_block_height 0\n"), std::string::npos) << before;
    ASSERT_TRUE((*node)->run_until_idle());
    std::string after = (*node)->metrics().render();
    EXPECT_NE(after.find("\nhc_block_height 1\n"), std::string::npos) << after;
    EXPECT_NE(after.find("\nhc_txpool_transactions 0\n"), std::string::npos) << after;
    EXPECT_NE(after.find("\nhc_committed_transactions_total 2\n"), std::string::npos) << after;
    EXPECT_NE(after.find("\nhc_commit_latency_seconds_count 2\n"), std::string::npos) << after;
    // Block 1 in round 1, the block that committed it in round 2, and its certificate moved the
    // replica on to round 3.
    EXPECT_NE(after.find("\nhc_consensus_round 3\n"), std::string::npos) << after;
    // The development chain's committee of one never changes: epoch 0, and this node votes.
    EXPECT_NE(after.find("\nhc_consensus_epoch 0\n"), std::string::npos) << after;
    EXPECT_NE(after.find("\nhc_consensus_voting 1\n"), std::string::npos) << after;
}

TEST(Node, EachTransactionsSignerIsRecoveredOnceFromSubmissionToCommit) {
    auto node = Node::open(dev_config());
    ASSERT_TRUE(node) << node.error().to_string();
    const uint64_t before = crypto::secp256k1_recoveries();
    constexpr uint64_t kTxs = 20;
    for (uint64_t n = 0; n < kTxs; ++n)
        ASSERT_TRUE((*node)->submit_raw_transaction(transfer(n % 2, n / 2, 1))) << n;
    // The same transaction again is "already known" before any recovery.
    EXPECT_FALSE((*node)->submit_raw_transaction(transfer(0, 0, 1)));
    ASSERT_TRUE((*node)->run_until_idle());
    ASSERT_EQ((*node)->chain().head_number(), 1u);
    ASSERT_EQ((*node)->pool().size(), 0u);
    // Admission recovered each once; proposing, voting on and executing the block did not.
    EXPECT_EQ(crypto::secp256k1_recoveries() - before, kTxs);
    const std::string metrics = (*node)->metrics().render();
    EXPECT_NE(metrics.find("\n# TYPE hc_signature_recoveries_total counter\n"), std::string::npos)
        << metrics;
}

TEST(Node, ASingleValidatorCommitsOnlyForTransactions) {
    auto node = Node::open(dev_config());
    ASSERT_TRUE(node) << node.error().to_string();
    Committed committed(**node);
    ASSERT_TRUE((*node)->run_until_idle());
    EXPECT_EQ((*node)->chain().head_number(), 0u);  // nothing pending, no block
    ASSERT_TRUE((*node)->submit_raw_transaction(transfer(0, 0, 1)));
    ASSERT_TRUE((*node)->run_until_idle());
    EXPECT_EQ((*node)->chain().head_number(), 1u);
    // The empty block that committed block 1 waits, uncommitted, for the next transaction.
    ASSERT_TRUE((*node)->run_until_idle());
    EXPECT_EQ((*node)->chain().head_number(), 1u);
    auto blocks = committed.take();
    ASSERT_EQ(blocks.size(), 1u);
    EXPECT_EQ(blocks[0].block.transactions.size(), 1u);
    // Fees go to the coinbase: the proposer of every block of a committee of one.
    EXPECT_EQ(blocks[0].block.header.proposer, (*node)->config().coinbase);
}

TEST(Node, CommitsPendingTransactionsWithinTheBlockSizeLimit) {
    NodeConfig config = dev_config();
    config.settings.max_block_txs = 2;
    config.coinbase.bytes[0] = 0xcb;
    auto node = Node::open(config);
    ASSERT_TRUE(node) << node.error().to_string();
    Committed committed(**node);
    for (uint64_t n = 0; n < 5; ++n)
        ASSERT_TRUE((*node)->submit_raw_transaction(transfer(0, n, 1)));
    (*node)->start();
    ASSERT_TRUE(eventually([&] { return (*node)->chain().account(dev_address(0)).nonce == 5; }));
    (*node)->stop();
    size_t total = 0;
    for (const auto& b : committed.take()) {
        EXPECT_LE(b.block.transactions.size(), 2u);
        // All five were pending from the start, so no block waited for more.
        EXPECT_GT(b.block.transactions.size(), 0u);
        total += b.block.transactions.size();
    }
    EXPECT_EQ(total, 5u);
    EXPECT_EQ((*node)->pool().size(), 0u);
    EXPECT_EQ((*node)->chain().account(dev_address(2)).balance, uint256(1'000'000 + 5));
}

TEST(Node, RestartContinuesFromTheStoredHeadWithTheSameValidatorKey) {
    hc::testing::TempDir dir;
    NodeConfig config = dev_config(dir.path());
    Hash32 head;
    {
        auto node = Node::open(config);
        ASSERT_TRUE(node) << node.error().to_string();
        ASSERT_TRUE((*node)->submit_raw_transaction(transfer(1, 0, 7)));
        ASSERT_TRUE((*node)->run_until_idle());
        ASSERT_EQ((*node)->chain().head_number(), 1u);
        head = (*node)->chain().head_hash();
    }
    const auto key_path = dir.path() / "consensus" / "validator.key";
    ASSERT_TRUE(std::filesystem::exists(key_path));
    EXPECT_EQ(std::filesystem::status(key_path).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto node = Node::open(config);
    ASSERT_TRUE(node) << node.error().to_string();
    EXPECT_EQ((*node)->chain().head_hash(), head);
    EXPECT_EQ((*node)->chain().account(dev_address(1)).nonce, 1u);
    // The same nonce is now too low; the next one is accepted.
    auto again = (*node)->submit_raw_transaction(transfer(1, 0, 7));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().message.rfind("nonce too low", 0), 0u);
    EXPECT_TRUE((*node)->submit_raw_transaction(transfer(1, 1, 7)));
    // The stored empty block above the head (signed with the kept key) commits first.
    ASSERT_TRUE((*node)->run_until_idle());
    EXPECT_EQ((*node)->chain().head_number(), 3u);
    EXPECT_EQ((*node)->chain().account(dev_address(1)).nonce, 2u);
    EXPECT_TRUE((*node)->chain().verify());
}

TEST(Node, ReopensPastABlockWriteThatACrashCutShort) {
    hc::testing::TempDir dir;
    NodeConfig config = dev_config(dir.path());
    {
        auto node = Node::open(config);
        ASSERT_TRUE(node) << node.error().to_string();
        ASSERT_TRUE((*node)->submit_raw_transaction(transfer(1, 0, 7)));
        ASSERT_TRUE((*node)->run_until_idle());
    }
    // kill -9 between creating a block's temporary file and writing it leaves this behind.
    const auto leftover = dir.path() / "consensus" / "blocks" / "9-aad83662ec5c05be.block.tmp";
    std::ofstream(leftover).flush();
    ASSERT_TRUE(std::filesystem::exists(leftover));
    auto node = Node::open(config);
    ASSERT_TRUE(node) << node.error().to_string();
    EXPECT_FALSE(std::filesystem::exists(leftover));
    EXPECT_TRUE((*node)->submit_raw_transaction(transfer(1, 1, 7)));
    ASSERT_TRUE((*node)->run_until_idle());
    EXPECT_EQ((*node)->chain().account(dev_address(1)).nonce, 2u);
}

TEST(GenesisFile, RoundTripsAndRejectsBadInput) {
    hc::testing::TempDir dir;
    chain::ChainConfig c;
    c.chain_id = 99;
    c.gas_limit = 1234567;
    c.base_fee = uint256(7);
    c.genesis_timestamp = 1700000000;
    c.alloc = {{dev_address(0), uint256(5)}, {dev_address(1), uint256::max()}};
    c.generated = {3, uint256(11)};
    auto path = dir.path() / "genesis.json";
    ASSERT_TRUE(write_genesis_file(path, c));
    auto back = read_genesis_file(path);
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->chain_id, 99u);
    EXPECT_EQ(back->gas_limit, 1234567u);
    EXPECT_EQ(back->base_fee, uint256(7));
    EXPECT_EQ(back->genesis_timestamp, 1700000000u);
    EXPECT_EQ(back->generated.count, 3u);
    EXPECT_EQ(back->generated.balance, uint256(11));
    // The development chain's governance is open, and follows from the rest.
    ASSERT_TRUE(back->governance);
    EXPECT_EQ(back->governance->mode, governance::PermissionMode::open);
    EXPECT_EQ(back->governance->params.gas_limit, 1234567u);
    // Same genesis block either way: the file is a faithful record of the chain's identity.
    c.governance = dev_governance(c);
    EXPECT_EQ(chain::make_genesis(*back).first.hash(), chain::make_genesis(c).first.hash());

    std::ofstream(dir.path() / "generated.json")
        << R"({"chainId": 1, "gasLimit": "0x1", "baseFee": "0x0", "timestamp": "0x0",)"
        << R"( "alloc": {}, "generatedAccounts": {"count": -3, "balance": "0x1"}})";
    auto negative = read_genesis_file(dir.path() / "generated.json");
    ASSERT_FALSE(negative);
    EXPECT_NE(negative.error().message.find("generatedAccounts"), std::string::npos);

    std::ofstream(dir.path() / "bad.json") << "{\"chainId\": -1}";
    auto bad = read_genesis_file(dir.path() / "bad.json");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("chainId"), std::string::npos);
    EXPECT_FALSE(read_genesis_file(dir.path() / "missing.json"));
}

}  // namespace
}  // namespace hc::node
