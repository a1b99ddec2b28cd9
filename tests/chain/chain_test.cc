#include "chain/chain.h"

#include <gtest/gtest.h>

#include "codec/rlp.h"
#include "common/keccak.h"
#include "crypto/secp256k1.h"
#include "storage/memory_store.h"
#include "storage/rocks_store.h"
#include "support/temp_dir.h"

namespace hc::chain {
namespace {

constexpr uint64_t kChainId = 1337;
const uint256 kGwei = uint256(1'000'000'000);

struct Key {
    Hash32 secret;
    Address address;
};

Key key(uint8_t n) {
    Key k;
    k.secret.bytes[31] = n;
    k.secret.bytes[0] = 0x11;
    k.address = *crypto::secp256k1_address(k.secret);
    return k;
}

Address proposer() {
    Address a;
    a.bytes[0] = 0xfe;
    return a;
}

ChainConfig config_for(std::vector<Key> funded, uint256 base_fee = uint256(1'000'000'000)) {
    ChainConfig c;
    c.chain_id = kChainId;
    c.gas_limit = 1'000'000;
    c.base_fee = base_fee;
    for (const Key& k : funded)
        c.alloc.push_back({k.address, uint256(1'000'000) * kGwei * kGwei});
    return c;
}

BlockTx transfer(const Key& from, const Address& to, uint64_t nonce, uint256 value,
                 TxType type = TxType::dynamic_fee, uint256 fee_cap = uint256(2'000'000'000)) {
    Transaction tx;
    tx.type = type;
    tx.chain_id = kChainId;
    tx.nonce = nonce;
    tx.gas_limit = 21000;
    tx.to = to;
    tx.value = value;
    if (type == TxType::dynamic_fee) {
        tx.max_fee_per_gas = fee_cap;
        tx.max_priority_fee_per_gas = uint256(500'000'000);
    } else {
        tx.gas_price = fee_cap;
    }
    EXPECT_TRUE(sign_transaction(tx, from.secret));
    return BlockTx{tx, transaction_hash(tx), from.address};
}

uint256 total_balance(const Chain& chain, const std::vector<Address>& addresses) {
    uint256 sum;
    for (const Address& a : addresses)
        sum = sum + chain.account(a).balance;
    return sum;
}

std::unique_ptr<Chain> open_memory(const ChainConfig& config) {
    auto chain = Chain::open(std::make_unique<storage::MemoryStore>(), config);
    EXPECT_TRUE(chain) << chain.error().to_string();
    return std::move(*chain);
}

TEST(Executor, TransferMovesValueAndPaysTheProposer) {
    Key alice = key(1), bob = key(2);
    auto chain = open_memory(config_for({alice}));
    const uint256 start = chain->account(alice.address).balance;
    const uint256 supply = total_balance(*chain, {alice.address, bob.address, proposer()});

    auto block =
        chain->commit_block({transfer(alice, bob.address, 0, uint256(1000))}, 100, proposer());
    ASSERT_TRUE(block) << block.error().to_string();
    ASSERT_EQ(block->block.transactions.size(), 1u);
    EXPECT_TRUE(block->rejected.empty());
    // Type 2: min(max fee 2 gwei, base fee 1 gwei + tip 0.5 gwei) = 1.5 gwei per gas.
    const uint256 fee = uint256(21000) * uint256(1'500'000'000);
    EXPECT_EQ(chain->account(alice.address).balance, start - uint256(1000) - fee);
    EXPECT_EQ(chain->account(alice.address).nonce, 1u);
    EXPECT_EQ(chain->account(bob.address).balance, uint256(1000));
    EXPECT_EQ(chain->account(proposer()).balance, fee);
    EXPECT_EQ(total_balance(*chain, {alice.address, bob.address, proposer()}), supply);

    const auto& r = block->receipts;
    ASSERT_EQ(r.receipts.size(), 1u);
    EXPECT_TRUE(r.receipts[0].status);
    EXPECT_EQ(r.receipts[0].cumulative_gas_used, 21000u);
    EXPECT_EQ(r.metas[0].gas_used, 21000u);
    EXPECT_EQ(r.senders[0], alice.address);
    EXPECT_EQ(block->block.header.gas_used, 21000u);
    EXPECT_EQ(block->block.header.number, 1u);
    EXPECT_EQ(block->block.header.base_fee_per_gas, uint256(1'000'000'000));
}

TEST(Executor, ZeroMinimumGasPriceRunsFree) {
    Key alice = key(1), bob = key(2);
    auto chain = open_memory(config_for({alice}, uint256(0)));
    const uint256 start = chain->account(alice.address).balance;
    auto block = chain->commit_block(
        {transfer(alice, bob.address, 0, uint256(5), TxType::legacy, uint256(0))}, 1, proposer());
    ASSERT_TRUE(block);
    ASSERT_EQ(block->block.transactions.size(), 1u);
    EXPECT_EQ(chain->account(alice.address).balance, start - uint256(5));
    // No fee, so no empty account is created for the proposer.
    EXPECT_EQ(chain->account(proposer()).balance, uint256(0));
    bool proposer_exists = true;
    chain->read_state([&](const state::WorldState& ws, const BlockHeader&) {
        proposer_exists = ws.account(proposer()).has_value();
    });
    EXPECT_FALSE(proposer_exists);
}

TEST(Executor, InvalidTransactionsAreLeftOutWithEthereumWording) {
    Key alice = key(1), poor = key(9), bob = key(2);
    auto chain = open_memory(config_for({alice}));
    std::vector<BlockTx> txs = {
        transfer(alice, bob.address, 0, uint256(1)),
        transfer(alice, bob.address, 0, uint256(2)),                              // nonce reused
        transfer(alice, bob.address, 5, uint256(3)),                              // gap
        transfer(poor, bob.address, 0, uint256(1)),                               // no funds
        transfer(alice, bob.address, 1, uint256(1), TxType::legacy, uint256(1)),  // below base
    };
    Transaction create = txs[0].tx;
    create.to.reset();
    create.nonce = 1;
    create.gas_limit = 100000;
    ASSERT_TRUE(sign_transaction(create, alice.secret));
    txs.push_back({create, transaction_hash(create), alice.address});
    Transaction precompile = txs[0].tx;
    precompile.to = Address{};
    precompile.to->bytes[19] = 1;
    precompile.nonce = 1;
    ASSERT_TRUE(sign_transaction(precompile, alice.secret));
    txs.push_back({precompile, transaction_hash(precompile), alice.address});

    auto block = chain->commit_block(txs, 1, proposer());
    ASSERT_TRUE(block);
    EXPECT_EQ(block->block.transactions.size(), 1u);
    ASSERT_EQ(block->rejected.size(), 6u);
    auto reason = [&](size_t i) { return block->rejected[i].second.message; };
    EXPECT_EQ(reason(0).rfind("nonce too low", 0), 0u) << reason(0);
    EXPECT_EQ(reason(1).rfind("nonce too high", 0), 0u) << reason(1);
    EXPECT_EQ(reason(2).rfind("insufficient funds for gas * price + value", 0), 0u) << reason(2);
    EXPECT_EQ(reason(3).rfind("max fee per gas less than block base fee", 0), 0u) << reason(3);
    EXPECT_NE(reason(4).find("contract creation is not supported yet"), std::string::npos);
    EXPECT_EQ(block->rejected[4].second.code, Errc::unsupported);
    EXPECT_NE(reason(5).find("precompiled contract"), std::string::npos);
}

TEST(Executor, BlockGasLimitIsRespected) {
    Key alice = key(1), bob = key(2);
    auto config = config_for({alice});
    config.gas_limit = 50000;  // room for two transfers
    auto chain = open_memory(config);
    std::vector<BlockTx> txs;
    for (uint64_t n = 0; n < 3; ++n)
        txs.push_back(transfer(alice, bob.address, n, uint256(1)));
    auto block = chain->commit_block(txs, 1, proposer());
    ASSERT_TRUE(block);
    EXPECT_EQ(block->block.transactions.size(), 2u);
    ASSERT_EQ(block->rejected.size(), 1u);
    EXPECT_EQ(block->rejected[0].second.message.rfind("gas limit reached", 0), 0u);
}

TEST(Chain, GenesisFundsAccountsAndDependsOnTheChainId) {
    Key alice = key(1);
    auto a = open_memory(config_for({alice}));
    EXPECT_EQ(a->head_number(), 0u);
    EXPECT_EQ(a->head_hash(), a->genesis_hash());
    EXPECT_EQ(a->account(alice.address).balance, uint256(1'000'000) * kGwei * kGwei);
    auto other = config_for({alice});
    other.chain_id = 7;
    auto b = open_memory(other);
    EXPECT_NE(a->genesis_hash(), b->genesis_hash());
}

TEST(Chain, StateRootChangesWithStateAndBlocksAreIndexed) {
    Key alice = key(1), bob = key(2);
    auto chain = open_memory(config_for({alice}));
    const Hash32 root0 = chain->head().state_root;
    auto empty = chain->commit_block({}, 5, proposer());
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->block.header.state_root, root0);  // nothing changed
    EXPECT_EQ(empty->block.header.parent_hash, chain->genesis_hash());
    auto b2 = chain->commit_block({transfer(alice, bob.address, 0, uint256(7))}, 3, proposer());
    ASSERT_TRUE(b2);
    EXPECT_NE(b2->block.header.state_root, root0);
    EXPECT_EQ(b2->block.header.timestamp, 5u);  // never earlier than the parent

    auto h2 = chain->hash_by_number(2);
    ASSERT_TRUE(h2 && *h2);
    EXPECT_EQ(**h2, b2->hash);
    auto hdr = chain->header(b2->hash);
    ASSERT_TRUE(hdr && *hdr);
    EXPECT_EQ(**hdr, b2->block.header);
    auto body = chain->body(b2->hash);
    ASSERT_TRUE(body && *body);
    EXPECT_EQ(**body, b2->block.transactions);
    auto loc = chain->find_transaction(b2->tx_hashes[0]);
    ASSERT_TRUE(loc && *loc);
    EXPECT_EQ((*loc)->block_hash, b2->hash);
    EXPECT_EQ((*loc)->block_number, 2u);
    EXPECT_EQ((*loc)->index, 0u);
    auto rs = chain->receipts(b2->hash);
    ASSERT_TRUE(rs && *rs);
    EXPECT_EQ((*rs)->receipts, b2->receipts.receipts);
    EXPECT_EQ(b2->block.header.receipts_root, receipts_root((*rs)->receipts));
    EXPECT_EQ(b2->block.header.transactions_root, transactions_root(**body));
    auto missing = chain->hash_by_number(3);
    ASSERT_TRUE(missing);
    EXPECT_FALSE(*missing);

    // Past-block reads.
    auto bob_at1 = chain->account_at(bob.address, 1);
    ASSERT_TRUE(bob_at1);
    EXPECT_EQ(bob_at1->balance, uint256(0));
    auto bob_at2 = chain->account_at(bob.address, 2);
    ASSERT_TRUE(bob_at2);
    EXPECT_EQ(bob_at2->balance, uint256(7));
    EXPECT_FALSE(chain->account_at(bob.address, 3));
    EXPECT_TRUE(chain->verify());
}

TEST(Chain, RestartContinuesFromTheStoredHeadWithTheSameRoot) {
    hc::testing::TempDir dir;
    Key alice = key(1), bob = key(2);
    auto config = config_for({alice});
    Hash32 head_hash, root;
    {
        auto store = storage::RocksStore::open(dir.path());
        ASSERT_TRUE(store);
        auto chain = Chain::open(std::move(*store), config);
        ASSERT_TRUE(chain) << chain.error().to_string();
        for (uint64_t n = 0; n < 5; ++n) {
            auto b = (*chain)->commit_block({transfer(alice, bob.address, n, uint256(n + 1))},
                                            10 + n, proposer());
            ASSERT_TRUE(b);
        }
        head_hash = (*chain)->head_hash();
        root = (*chain)->head().state_root;
    }
    auto store = storage::RocksStore::open(dir.path());
    ASSERT_TRUE(store);
    auto chain = Chain::open(std::move(*store), config);
    ASSERT_TRUE(chain) << chain.error().to_string();
    EXPECT_EQ((*chain)->head_number(), 5u);
    EXPECT_EQ((*chain)->head_hash(), head_hash);
    EXPECT_EQ((*chain)->head().state_root, root);
    bool same_root = false;
    (*chain)->read_state([&](const state::WorldState& ws, const BlockHeader& head) {
        same_root = const_cast<state::WorldState&>(ws).root() == head.state_root;
    });
    EXPECT_TRUE(same_root);
    EXPECT_EQ((*chain)->account(bob.address).balance, uint256(15));
    EXPECT_EQ((*chain)->account(alice.address).nonce, 5u);
    Status verified = (*chain)->verify();
    EXPECT_TRUE(verified) << verified.error().to_string();
    auto next =
        (*chain)->commit_block({transfer(alice, bob.address, 5, uint256(1))}, 20, proposer());
    ASSERT_TRUE(next);
    EXPECT_EQ(next->block.header.parent_hash, head_hash);
}

TEST(Chain, RefusesAnotherChainsStore) {
    hc::testing::TempDir dir;
    Key alice = key(1);
    {
        auto store = storage::RocksStore::open(dir.path());
        ASSERT_TRUE(store);
        ASSERT_TRUE(Chain::open(std::move(*store), config_for({alice})));
    }
    auto other = config_for({alice});
    other.chain_id = 99;
    auto store = storage::RocksStore::open(dir.path());
    ASSERT_TRUE(store);
    auto chain = Chain::open(std::move(*store), other);
    ASSERT_FALSE(chain);
    EXPECT_NE(chain.error().message.find("the store holds another chain"), std::string::npos);
}

TEST(Chain, RefusesToOpenStateThatDoesNotMatchTheHead) {
    hc::testing::TempDir dir;
    Key alice = key(1), bob = key(2);
    auto config = config_for({alice});
    {
        auto store = storage::RocksStore::open(dir.path());
        ASSERT_TRUE(store);
        auto chain = Chain::open(std::move(*store), config);
        ASSERT_TRUE(chain);
        ASSERT_TRUE(
            (*chain)->commit_block({transfer(alice, bob.address, 0, uint256(1))}, 1, proposer()));
    }
    {
        // Tamper with bob's flat record, as a bad disk or a bug would.
        auto store = storage::RocksStore::open(dir.path());
        ASSERT_TRUE(store);
        Bytes bob_key{'a'};
        bob_key.insert(bob_key.end(), bob.address.bytes.begin(), bob.address.bytes.end());
        rlp::Encoder e;
        e.begin_list().add(uint64_t{0}).add(uint256(1000)).add(state::kEmptyCodeHash.view());
        e.end_list();
        ASSERT_TRUE((*store)->put(storage::Column::state, bob_key, e.take(), true));
    }
    auto store = storage::RocksStore::open(dir.path());
    ASSERT_TRUE(store);
    auto chain = Chain::open(std::move(*store), config);
    ASSERT_FALSE(chain);
    EXPECT_NE(chain.error().message.find("commits to state root"), std::string::npos)
        << chain.error().message;
}

TEST(Logs, FilterMatchesAddressesAndTopicPositions) {
    Log log;
    log.address.bytes[0] = 1;
    Hash32 t0, t1, other;
    t0.bytes[0] = 1;
    t1.bytes[0] = 2;
    other.bytes[0] = 3;
    log.topics = {t0, t1};
    LogFilter f;
    EXPECT_TRUE(log_matches(f, log));
    f.addresses = {Address{}};
    EXPECT_FALSE(log_matches(f, log));
    f.addresses.push_back(log.address);
    EXPECT_TRUE(log_matches(f, log));
    f.topics = {{}, {other, t1}};
    EXPECT_TRUE(log_matches(f, log));
    f.topics = {{t1}};
    EXPECT_FALSE(log_matches(f, log));
    f.topics = {{t0}, {t1}, {other}};  // a third topic the log does not have
    EXPECT_FALSE(log_matches(f, log));
}

}  // namespace
}  // namespace hc::chain
