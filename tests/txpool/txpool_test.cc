#include "txpool/txpool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_set>

#include "common/keccak.h"
#include "crypto/secp256k1.h"

namespace hc::txpool {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr uint64_t kChain = 1337;

// The committed state the chain would expose: a map behind a mutex.
class FakeState : public AccountReader {
  public:
    AccountState account(const Address& address) const override {
        std::lock_guard lock(mu_);
        ++reads_;
        auto it = accounts_.find(address);
        return it == accounts_.end() ? AccountState{} : it->second;
    }
    size_t reads() const {
        std::lock_guard lock(mu_);
        return reads_;
    }
    void set(const Address& address, uint64_t nonce, uint256 balance) {
        std::lock_guard lock(mu_);
        accounts_[address] = AccountState{nonce, balance};
    }
    // Executes one transaction's effect on the sender: nonce + 1.
    void bump_nonce(const Address& address) {
        std::lock_guard lock(mu_);
        ++accounts_[address].nonce;
    }

  private:
    mutable std::mutex mu_;
    mutable size_t reads_ = 0;
    std::map<Address, AccountState> accounts_;
};

Hash32 key(uint8_t fill) {
    Hash32 k;
    k.bytes.fill(fill);
    return k;
}
Address addr(uint8_t signer) {
    return *crypto::secp256k1_address(key(signer));
}
const Address kTo = *parse_address("0x3535353535353535353535353535353535353535");

Bytes sign(Transaction tx, uint8_t signer) {
    EXPECT_TRUE(sign_transaction(tx, key(signer)));
    return encode_transaction(tx);
}

Transaction dynamic_tx(uint64_t nonce, uint64_t fee_cap, uint64_t tip, uint64_t gas = 21000) {
    Transaction tx;
    tx.type = TxType::dynamic_fee;
    tx.chain_id = kChain;
    tx.nonce = nonce;
    tx.max_fee_per_gas = fee_cap;
    tx.max_priority_fee_per_gas = tip;
    tx.gas_limit = gas;
    tx.to = kTo;
    tx.value = 1;
    return tx;
}
Bytes dynamic(uint8_t signer, uint64_t nonce, uint64_t fee_cap, uint64_t tip,
              uint64_t gas = 21000) {
    return sign(dynamic_tx(nonce, fee_cap, tip, gas), signer);
}
Bytes legacy(uint8_t signer, uint64_t nonce, uint64_t price) {
    Transaction tx;
    tx.chain_id = kChain;
    tx.nonce = nonce;
    tx.gas_price = price;
    tx.gas_limit = 21000;
    tx.to = kTo;
    return sign(tx, signer);
}
Bytes access_list(uint8_t signer, uint64_t nonce, uint64_t price) {
    Transaction tx;
    tx.type = TxType::access_list;
    tx.chain_id = kChain;
    tx.nonce = nonce;
    tx.gas_price = price;
    tx.gas_limit = 30000;
    tx.to = kTo;
    tx.access_list = {{kTo, {Hash32{}}}};
    return sign(tx, signer);
}
Hash32 hash_of(const Bytes& raw) {
    return keccak256(raw);
}

class TxPoolTest : public ::testing::Test {
  protected:
    void SetUp() override {
        config_.chain_id = kChain;
        for (uint8_t signer = 1; signer <= 20; ++signer)
            state_.set(addr(signer), 0, kRich);
    }
    TxPool& pool() {
        if (!pool_) pool_ = std::make_unique<TxPool>(config_, state_);
        return *pool_;
    }
    // The error message of a rejected add; fails the test if it was admitted.
    std::string rejection(const Bytes& raw) {
        auto r = pool().add(raw);
        EXPECT_FALSE(r) << "admitted unexpectedly";
        return r ? std::string() : r.error().message;
    }
    void add_ok(const Bytes& raw) {
        auto r = pool().add(raw);
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(*r, hash_of(raw));
    }
    std::vector<Hash32> block_hashes(uint64_t max_gas = 30'000'000, size_t max_count = 1000) {
        std::vector<Hash32> out;
        for (const auto& p : pool().pending_block(max_gas, max_count))
            out.push_back(p.hash);
        return out;
    }

    static inline const uint256 kRich = *uint256::from_string("1000000000000000000000");
    Config config_;
    FakeState state_;
    std::unique_ptr<TxPool> pool_;
};

// ---- admission of each transaction type ----

TEST_F(TxPoolTest, AdmitsLegacyAccessListAndDynamicFeeTransactions) {
    const Bytes t0 = legacy(1, 0, 5), t1 = access_list(1, 1, 5), t2 = dynamic(1, 2, 9, 3);
    add_ok(t0);
    add_ok(t1);
    add_ok(t2);
    EXPECT_EQ(pool().size(), 3u);
    EXPECT_EQ(pool().pending_count(), 3u);
    EXPECT_EQ(pool().queued_count(), 0u);
    EXPECT_EQ(pool().pending_nonce(addr(1)), 3u);

    auto got = pool().get(hash_of(t1));
    ASSERT_TRUE(got);
    EXPECT_EQ(got->sender, addr(1));
    EXPECT_EQ(got->raw, t1);
    EXPECT_EQ(pool().sender(hash_of(t1)), addr(1));
    EXPECT_FALSE(pool().sender(Hash32{}));
    EXPECT_EQ(got->tx.type, TxType::access_list);
    EXPECT_EQ(got->tx.nonce, 1u);
    EXPECT_EQ(pool().get(hash_of(t2))->tx.type, TxType::dynamic_fee);
    EXPECT_EQ(pool().get(hash_of(t0))->tx.type, TxType::legacy);
    EXPECT_LT(pool().get(hash_of(t0))->arrival, pool().get(hash_of(t2))->arrival);
    EXPECT_FALSE(pool().get(Hash32{}));
}

// ---- every rejection wording ----

TEST_F(TxPoolTest, RejectsOversizedDataBeforeDecoding) {
    Bytes raw(kMaxTransactionSize + 1, 0x00);  // would not decode either
    EXPECT_THAT(rejection(raw), StartsWith("oversized data"));
}

TEST_F(TxPoolTest, RejectsUnsupportedType) {
    auto r = pool().add(Bytes{0x03, 0xc0});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::unsupported);
    EXPECT_THAT(r.error().message, StartsWith("transaction type not supported"));
}

TEST_F(TxPoolTest, RejectsUndecodableInput) {
    auto r = pool().add(Bytes{0xc0});  // an empty list: too few fields
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_THAT(r.error().message, StartsWith("invalid transaction: "));
    EXPECT_THAT(rejection(Bytes{}), StartsWith("invalid transaction: "));
    EXPECT_THAT(rejection(Bytes{0x82, 0x01}), StartsWith("invalid transaction: "));
}

TEST_F(TxPoolTest, RejectsWrongChainId) {
    Transaction tx = dynamic_tx(0, 10, 1);
    tx.chain_id = 1;
    EXPECT_THAT(rejection(sign(tx, 1)), StartsWith("invalid chain id"));
}

TEST_F(TxPoolTest, RejectsSignatureThatDoesNotRecover) {
    Transaction tx = dynamic_tx(0, 10, 1);
    ASSERT_TRUE(sign_transaction(tx, key(1)));
    tx.s = crypto::kSecp256k1N - tx.s;  // the high-s twin, forbidden by EIP-2
    tx.y_parity ^= 1;
    auto r = pool().add(encode_transaction(tx));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_THAT(r.error().message, StartsWith("invalid sender"));
}

TEST_F(TxPoolTest, RejectsIntrinsicGasTooLow) {
    EXPECT_THAT(rejection(dynamic(1, 0, 10, 1, 20999)), StartsWith("intrinsic gas too low"));
}

TEST_F(TxPoolTest, RejectsDuplicateAsAlreadyKnown) {
    const Bytes raw = dynamic(1, 0, 10, 1);
    add_ok(raw);
    EXPECT_THAT(rejection(raw), StartsWith("already known"));
    EXPECT_EQ(pool().size(), 1u);
}

TEST_F(TxPoolTest, RejectsNonceTooLow) {
    state_.set(addr(1), 5, kRich);
    EXPECT_THAT(rejection(dynamic(1, 4, 10, 1)), StartsWith("nonce too low"));
    add_ok(dynamic(1, 5, 10, 1));
}

TEST_F(TxPoolTest, RejectsNonceTooHigh) {
    config_.max_nonce_gap = 10;
    state_.set(addr(1), 3, kRich);
    EXPECT_THAT(rejection(dynamic(1, 14, 10, 1)), StartsWith("nonce too high"));
    add_ok(dynamic(1, 13, 10, 1));
    EXPECT_EQ(pool().queued_count(), 1u);
}

TEST_F(TxPoolTest, RejectsGasAboveBlockGasLimit) {
    config_.block_gas_limit = 100'000;
    EXPECT_THAT(rejection(dynamic(1, 0, 10, 1, 100'001)), StartsWith("exceeds block gas limit"));
    add_ok(dynamic(1, 0, 10, 1, 100'000));
}

TEST_F(TxPoolTest, RejectsFeeCapBelowBaseFeeOrMinimumPrice) {
    config_.base_fee = 10;
    config_.min_gas_price = 20;
    // Fee cap below the floor max(base fee, min gas price).
    EXPECT_THAT(rejection(legacy(1, 0, 19)), StartsWith("transaction underpriced"));
    EXPECT_THAT(rejection(dynamic(1, 0, 19, 19)), StartsWith("transaction underpriced"));
    // Fee cap high enough, but base fee + tip only reaches 15.
    EXPECT_THAT(rejection(dynamic(1, 0, 30, 5)), StartsWith("transaction underpriced"));
    add_ok(dynamic(1, 0, 30, 10));
    add_ok(legacy(1, 1, 20));
}

TEST_F(TxPoolTest, BaseFeeAloneIsTheFloorWhenMinimumPriceIsZero) {
    config_.base_fee = 7;
    EXPECT_THAT(rejection(dynamic(1, 0, 6, 0)), StartsWith("transaction underpriced"));
    add_ok(dynamic(1, 0, 7, 0));
}

TEST_F(TxPoolTest, FreeChainAcceptsZeroPrices) {
    add_ok(dynamic(1, 0, 0, 0));
    add_ok(legacy(2, 0, 0));
    EXPECT_EQ(pool().pending_count(), 2u);
}

TEST_F(TxPoolTest, RejectsInsufficientFundsWithGethWording) {
    // Cost = 21000 * 10 + value 1 = 210001.
    state_.set(addr(1), 0, 210000);
    const std::string msg = rejection(dynamic(1, 0, 10, 1));
    EXPECT_THAT(msg, StartsWith("insufficient funds for gas * price + value: address "));
    EXPECT_THAT(msg, HasSubstr(to_checksum_address(addr(1))));
    EXPECT_THAT(msg, HasSubstr("have 210000 want 210001"));
    state_.set(addr(1), 0, 210001);
    add_ok(dynamic(1, 0, 10, 1));
}

TEST_F(TxPoolTest, BalanceCoversAllOfTheSendersPooledTransactionsTogether) {
    state_.set(addr(1), 0, 2 * 210001);
    add_ok(dynamic(1, 0, 10, 1));
    add_ok(dynamic(1, 5, 10, 1));  // queued, but counted too
    const std::string msg = rejection(dynamic(1, 1, 10, 1));
    EXPECT_THAT(msg, StartsWith("insufficient funds for gas * price + value"));
    EXPECT_THAT(msg, HasSubstr("want 630003"));
    // A replacement is charged instead of the transaction it replaces, not on top of it:
    // 210001 (nonce 5) + 21000 * 11 + 1 (new nonce 0) = 441002.
    EXPECT_THAT(rejection(dynamic(1, 0, 11, 2)), StartsWith("insufficient funds"));
    state_.set(addr(1), 0, 441002);
    add_ok(dynamic(1, 0, 11, 2));
    EXPECT_EQ(pool().size(), 2u);
}

// ---- replacement ----

TEST_F(TxPoolTest, ReplacementNeedsBumpOnFeeCapAndTip) {
    const Bytes original = dynamic(1, 0, 100, 10);
    add_ok(original);
    EXPECT_THAT(rejection(dynamic(1, 0, 109, 20)),
                StartsWith("replacement transaction underpriced"));
    EXPECT_THAT(rejection(dynamic(1, 0, 200, 10)),
                StartsWith("replacement transaction underpriced"));
    EXPECT_TRUE(pool().get(hash_of(original)));

    const Bytes bumped = dynamic(1, 0, 110, 11);
    add_ok(bumped);
    EXPECT_FALSE(pool().get(hash_of(original)));
    EXPECT_TRUE(pool().get(hash_of(bumped)));
    EXPECT_EQ(pool().size(), 1u);
    EXPECT_EQ(pool().pending_count(), 1u);
    EXPECT_EQ(block_hashes(), std::vector<Hash32>{hash_of(bumped)});
}

TEST_F(TxPoolTest, LegacyReplacementBumpsGasPrice) {
    add_ok(legacy(1, 0, 1000));
    EXPECT_THAT(rejection(legacy(1, 0, 1099)), StartsWith("replacement transaction underpriced"));
    add_ok(legacy(1, 0, 1100));
    EXPECT_EQ(pool().size(), 1u);
}

TEST_F(TxPoolTest, ReplacingAQueuedTransactionKeepsItQueued) {
    add_ok(dynamic(1, 0, 10, 1));
    add_ok(dynamic(1, 2, 10, 1));
    add_ok(dynamic(1, 2, 20, 2));
    EXPECT_EQ(pool().pending_count(), 1u);
    EXPECT_EQ(pool().queued_count(), 1u);
}

// ---- queued and pending ----

TEST_F(TxPoolTest, FutureNonceIsQueuedUntilTheGapFills) {
    add_ok(dynamic(1, 0, 10, 1));
    add_ok(dynamic(1, 2, 10, 1));
    add_ok(dynamic(1, 3, 10, 1));
    EXPECT_EQ(pool().pending_count(), 1u);
    EXPECT_EQ(pool().queued_count(), 2u);
    EXPECT_EQ(pool().pending_nonce(addr(1)), 1u);
    EXPECT_EQ(block_hashes().size(), 1u);

    add_ok(dynamic(1, 1, 10, 1));
    EXPECT_EQ(pool().pending_count(), 4u);
    EXPECT_EQ(pool().queued_count(), 0u);
    EXPECT_EQ(pool().pending_nonce(addr(1)), 4u);
    auto block = pool().pending_block(30'000'000, 100);
    ASSERT_EQ(block.size(), 4u);
    for (uint64_t i = 0; i < 4; ++i)
        EXPECT_EQ(block[i].tx.nonce, i);
}

TEST_F(TxPoolTest, RemoveDropsOneTransactionAndQueuesTheSendersLaterNonces) {
    const Bytes first = dynamic(1, 0, 10, 1), second = dynamic(1, 1, 10, 1);
    const Bytes other = dynamic(2, 0, 10, 1);
    add_ok(first);
    add_ok(second);
    add_ok(other);
    EXPECT_TRUE(pool().remove(hash_of(first)));
    EXPECT_FALSE(pool().remove(hash_of(first)));
    EXPECT_FALSE(pool().contains(hash_of(first)));
    EXPECT_EQ(pool().size(), 2u);
    EXPECT_EQ(pool().queued_count(), 1u);  // nonce 1 waits for a new nonce 0
    EXPECT_EQ(block_hashes(), std::vector<Hash32>{hash_of(other)});
    EXPECT_TRUE(pool().remove(hash_of(other)));
    EXPECT_TRUE(pool().remove(hash_of(second)));
    EXPECT_EQ(pool().size(), 0u);
    EXPECT_EQ(pool().pending_count(), 0u);
    add_ok(first);  // the slot is free again
}

TEST_F(TxPoolTest, PendingNonceOfAnUnknownSenderIsTheAccountNonce) {
    state_.set(addr(2), 42, kRich);
    EXPECT_EQ(pool().pending_nonce(addr(2)), 42u);
    EXPECT_EQ(pool().pending_nonce(addr(30)), 0u);  // no account at all
    add_ok(dynamic(2, 43, 10, 1));                  // queued: does not count
    EXPECT_EQ(pool().pending_nonce(addr(2)), 42u);
}

TEST_F(TxPoolTest, PerSenderLimit) {
    config_.max_per_sender = 3;
    add_ok(dynamic(1, 0, 10, 1));
    add_ok(dynamic(1, 1, 10, 1));
    add_ok(dynamic(1, 5, 10, 1));
    EXPECT_THAT(rejection(dynamic(1, 2, 10, 1)),
                StartsWith("account has too many pending transactions"));
    add_ok(dynamic(1, 1, 20, 2));  // a replacement is still allowed
    add_ok(dynamic(2, 0, 10, 1));  // other senders are unaffected
    EXPECT_EQ(pool().size(), 4u);
}

// ---- capacity and eviction ----

TEST_F(TxPoolTest, FullPoolEvictsQueuedFirstThenCheapestPendingTail) {
    config_.capacity = 3;
    const Bytes a = dynamic(1, 0, 100, 5);
    const Bytes b = dynamic(2, 5, 100, 50);  // queued
    const Bytes c = dynamic(3, 0, 100, 1);
    add_ok(a);
    add_ok(b);
    add_ok(c);

    // Pays less than the queued b, so the cheapest pending tail (c) makes room.
    const Bytes d = dynamic(4, 0, 100, 10);
    add_ok(d);
    EXPECT_FALSE(pool().get(hash_of(c)));
    EXPECT_EQ(pool().size(), 3u);

    // Outbids the queued b: queued goes first even though pending a is cheaper.
    const Bytes e = dynamic(5, 0, 100, 60);
    add_ok(e);
    EXPECT_FALSE(pool().get(hash_of(b)));
    EXPECT_TRUE(pool().get(hash_of(a)));
    EXPECT_EQ(pool().queued_count(), 0u);

    // Pays less than everything evictable (a=5, d=10, e=60).
    EXPECT_THAT(rejection(dynamic(6, 0, 100, 3)), StartsWith("txpool is full"));
    // Equal is not enough either.
    EXPECT_THAT(rejection(dynamic(6, 0, 100, 5)), StartsWith("txpool is full"));
    EXPECT_EQ(pool().size(), 3u);
    EXPECT_TRUE(pool().get(hash_of(a)));
    EXPECT_TRUE(pool().get(hash_of(d)));
    EXPECT_TRUE(pool().get(hash_of(e)));
}

// Among equally cheap tails the newest is evicted: the older ones have waited longer.
TEST_F(TxPoolTest, AmongEquallyCheapTailsTheNewestIsEvicted) {
    config_.capacity = 3;
    const Bytes a = dynamic(1, 0, 100, 5), b = dynamic(2, 0, 100, 5), c = dynamic(3, 0, 100, 5);
    add_ok(a);
    add_ok(b);
    add_ok(c);
    add_ok(dynamic(4, 0, 100, 6));
    EXPECT_FALSE(pool().get(hash_of(c)));
    EXPECT_TRUE(pool().get(hash_of(a)));
    EXPECT_TRUE(pool().get(hash_of(b)));
    add_ok(dynamic(5, 0, 100, 6));
    EXPECT_FALSE(pool().get(hash_of(b)));
    EXPECT_TRUE(pool().get(hash_of(a)));
}

TEST_F(TxPoolTest, EvictionTakesOnlyTailsSoRunsStayContiguous) {
    config_.capacity = 4;
    const Bytes a0 = dynamic(1, 0, 100, 1);  // cheapest, but not a tail
    const Bytes a1 = dynamic(1, 1, 100, 90);
    const Bytes a2 = dynamic(1, 2, 100, 90);
    const Bytes b0 = dynamic(2, 0, 100, 50);
    for (const auto* raw : {&a0, &a1, &a2, &b0})
        add_ok(*raw);
    add_ok(dynamic(3, 0, 100, 60));
    EXPECT_FALSE(pool().get(hash_of(b0)));
    EXPECT_TRUE(pool().get(hash_of(a0)));
    EXPECT_EQ(pool().pending_count(), 4u);
    EXPECT_EQ(pool().pending_nonce(addr(1)), 3u);
}

TEST_F(TxPoolTest, NewcomerNeverEvictsItsOwnPredecessor) {
    config_.capacity = 2;
    const Bytes a0 = dynamic(1, 0, 100, 1), b0 = dynamic(2, 0, 100, 50);
    add_ok(a0);
    add_ok(b0);
    // a0 is the cheapest tail, but evicting it would leave a1 behind a gap.
    EXPECT_THAT(rejection(dynamic(1, 1, 100, 10)), StartsWith("txpool is full"));
    EXPECT_TRUE(pool().get(hash_of(a0)));
    // Another sender may evict it.
    add_ok(dynamic(3, 0, 100, 10));
    EXPECT_FALSE(pool().get(hash_of(a0)));
}

TEST_F(TxPoolTest, ReplacementNeedsNoRoomInAFullPool) {
    config_.capacity = 1;
    add_ok(dynamic(1, 0, 10, 1));
    add_ok(dynamic(1, 0, 20, 2));
    EXPECT_EQ(pool().size(), 1u);
}

TEST_F(TxPoolTest, ZeroCapacityRejectsEverything) {
    config_.capacity = 0;
    EXPECT_THAT(rejection(dynamic(1, 0, 10, 1)), StartsWith("txpool is full"));
}

// ---- after a block ----

TEST_F(TxPoolTest, BlockCommitDropsStaleNoncesAndPromotesQueued) {
    add_ok(dynamic(1, 0, 10, 1));
    add_ok(dynamic(1, 1, 10, 1));
    add_ok(dynamic(1, 3, 10, 1));
    add_ok(dynamic(1, 4, 10, 1));
    add_ok(dynamic(2, 0, 10, 1));
    EXPECT_EQ(pool().pending_count(), 3u);
    EXPECT_EQ(pool().queued_count(), 2u);

    // The block executed nonces 0..2 of sender 1 (2 came from elsewhere) and nothing of sender 2.
    state_.set(addr(1), 3, kRich);
    pool().on_block_committed();
    EXPECT_EQ(pool().size(), 3u);
    EXPECT_EQ(pool().pending_count(), 3u);
    EXPECT_EQ(pool().queued_count(), 0u);
    EXPECT_EQ(pool().pending_nonce(addr(1)), 5u);
    auto block = pool().pending_block(30'000'000, 100);
    ASSERT_EQ(block.size(), 3u);

    state_.set(addr(1), 5, kRich);
    state_.set(addr(2), 1, kRich);
    pool().on_block_committed();
    EXPECT_EQ(pool().size(), 0u);
    EXPECT_EQ(pool().pending_count(), 0u);
    EXPECT_EQ(pool().pending_nonce(addr(1)), 5u);
    EXPECT_TRUE(pool().pending_block(30'000'000, 100).empty());
}

TEST_F(TxPoolTest, ABlocksSendersAreTheOnlyAccountsReadAfterItCommits) {
    const Bytes a0 = dynamic(1, 0, 10, 1), a1 = dynamic(1, 1, 10, 1), b0 = dynamic(2, 0, 10, 1);
    add_ok(a0);
    add_ok(a1);
    add_ok(b0);
    add_ok(dynamic(3, 1, 10, 1));  // queued behind a gap
    // The block held a0 (sender 1, twice named as a block with many of its transactions would)
    // and a transaction of sender 3 from elsewhere; sender 4 is not pooled.
    state_.set(addr(1), 1, kRich);
    state_.set(addr(3), 1, kRich);
    const size_t before = state_.reads();
    const std::vector<Address> senders = {addr(1), addr(3), addr(1), addr(4)};
    pool().on_block_committed(senders);
    EXPECT_EQ(state_.reads() - before, 2u);  // senders 1 and 3, once each
    EXPECT_FALSE(pool().get(hash_of(a0)));
    EXPECT_TRUE(pool().get(hash_of(a1)));
    EXPECT_TRUE(pool().get(hash_of(b0)));
    EXPECT_EQ(pool().queued_count(), 0u);  // sender 3's gap closed
    EXPECT_EQ(pool().pending_count(), 3u);
    EXPECT_EQ(pool().pending_nonce(addr(1)), 2u);
}

TEST_F(TxPoolTest, ATransactionsSignerIsRecoveredOnceWhicheverWayItCame) {
    const Bytes raw = dynamic(1, 0, 10, 1);
    const Transaction tx = *decode_transaction(raw);
    const Hash32 hash = hash_of(raw);
    const uint64_t before = crypto::secp256k1_recoveries();
    // A proposal brought it first: recovered for the vote...
    auto proposed = pool().checked_sender(tx, hash);
    ASSERT_TRUE(proposed) << proposed.error().message;
    EXPECT_EQ(*proposed, addr(1));
    // ...and not again when its gossip arrives, while pooled, or once the block took it.
    add_ok(raw);
    EXPECT_EQ(*pool().checked_sender(tx, hash), addr(1));
    state_.set(addr(1), 1, kRich);
    pool().on_block_committed();
    EXPECT_EQ(pool().size(), 0u);
    EXPECT_EQ(*pool().checked_sender(tx, hash), addr(1));
    EXPECT_EQ(crypto::secp256k1_recoveries() - before, 1u);
    // The stateless checks still run on a known sender's transaction.
    Transaction other_chain = dynamic_tx(0, 10, 1);
    other_chain.chain_id = kChain + 1;
    const Bytes wrong = sign(other_chain, 1);
    auto refused = pool().checked_sender(*decode_transaction(wrong), hash_of(wrong));
    ASSERT_FALSE(refused);
    EXPECT_THAT(refused.error().message, HasSubstr("invalid chain id"));
}

TEST(SenderCache, ForgetsTheOldestPastItsCapacity) {
    SenderCache cache(2);
    const Hash32 a = keccak256(Bytes{1}), b = keccak256(Bytes{2}), c = keccak256(Bytes{3});
    cache.insert(a, addr(1));
    cache.insert(b, addr(2));
    cache.insert(a, addr(1));  // already known: no second entry
    EXPECT_EQ(cache.size(), 2u);
    cache.insert(c, addr(3));
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_FALSE(cache.find(a));
    EXPECT_EQ(cache.find(b), addr(2));
    EXPECT_EQ(cache.find(c), addr(3));
    SenderCache none(0);
    none.insert(a, addr(1));
    EXPECT_FALSE(none.find(a));
}

TEST_F(TxPoolTest, BlockCommitDropsWhatTheSenderCanNoLongerPay) {
    const Bytes t0 = dynamic(1, 0, 10, 1), t1 = dynamic(1, 1, 10, 1), t2 = dynamic(1, 2, 10, 1);
    add_ok(t0);
    add_ok(t1);
    add_ok(t2);
    // Each costs 210001; the balance now covers exactly two.
    state_.set(addr(1), 0, 2 * 210001);
    pool().on_block_committed();
    EXPECT_TRUE(pool().get(hash_of(t0)));
    EXPECT_TRUE(pool().get(hash_of(t1)));
    EXPECT_FALSE(pool().get(hash_of(t2)));
    EXPECT_EQ(pool().pending_count(), 2u);

    state_.set(addr(1), 0, 0);
    pool().on_block_committed();
    EXPECT_EQ(pool().size(), 0u);
}

TEST_F(TxPoolTest, ABatchGetsEachTransactionsOwnOutcomeInOrder) {
    add_ok(dynamic(3, 0, 10, 1));
    std::vector<Hash32> heard;
    pool().set_listener([&](const Hash32& h) { heard.push_back(h); });
    const Bytes a0 = dynamic(1, 0, 10, 1), a1 = dynamic(1, 1, 10, 1), b0 = dynamic(2, 0, 10, 1);
    const Bytes garbage = {0xc0};
    const Bytes known = dynamic(3, 0, 10, 1);
    Transaction other_chain = dynamic_tx(0, 10, 1);
    other_chain.chain_id = kChain + 1;
    const Bytes wrong_chain = sign(other_chain, 4);
    const std::vector<BytesView> batch = {a0, garbage, a1, known, b0, wrong_chain, a0};
    const size_t reads_before = state_.reads();
    auto results = pool().add_batch(batch);
    ASSERT_EQ(results.size(), batch.size());
    ASSERT_TRUE(results[0]) << results[0].error().message;
    EXPECT_EQ(*results[0], hash_of(a0));
    ASSERT_FALSE(results[1]);
    EXPECT_THAT(results[1].error().message, StartsWith("invalid transaction"));
    // Sender 1's next nonce sees the first one pooled.
    ASSERT_TRUE(results[2]) << results[2].error().message;
    EXPECT_EQ(*results[2], hash_of(a1));
    ASSERT_FALSE(results[3]);
    EXPECT_THAT(results[3].error().message, StartsWith("already known"));
    ASSERT_TRUE(results[4]) << results[4].error().message;
    ASSERT_FALSE(results[5]);
    EXPECT_THAT(results[5].error().message, HasSubstr("invalid chain id"));
    ASSERT_FALSE(results[6]);  // the batch's own first copy is pooled by now
    EXPECT_THAT(results[6].error().message, StartsWith("already known"));
    // One account read per sender admitted, however many of its transactions the batch holds.
    EXPECT_EQ(state_.reads() - reads_before, 2u);
    EXPECT_EQ(heard, (std::vector<Hash32>{hash_of(a0), hash_of(a1), hash_of(b0)}));
    EXPECT_EQ(pool().pending_count(), 4u);
    EXPECT_EQ(pool().pending_nonce(addr(1)), 2u);
    // Each outcome is what add() alone says of the same transaction.
    EXPECT_THAT(rejection(garbage), StartsWith("invalid transaction"));
    EXPECT_THAT(rejection(wrong_chain), HasSubstr("invalid chain id"));
    EXPECT_TRUE(pool().add_batch({}).empty());
}

TEST_F(TxPoolTest, RawsAreThePooledEncodingsInTheOrderAsked) {
    const Bytes a0 = dynamic(1, 0, 10, 1), b0 = dynamic(2, 0, 10, 1);
    add_ok(a0);
    add_ok(b0);
    const std::vector<Hash32> asked = {hash_of(b0), key(9), hash_of(a0)};
    EXPECT_EQ(pool().raws(asked), (std::vector<Bytes>{b0, a0}));
}

TEST_F(TxPoolTest, AdmissionSeesAStateThatMovedOnBeforeTheCommitCallback) {
    add_ok(dynamic(1, 0, 10, 1));
    add_ok(dynamic(1, 1, 10, 1));
    state_.set(addr(1), 1, kRich);  // committed, but on_block_committed not called yet
    EXPECT_THAT(rejection(dynamic(1, 0, 20, 2)), StartsWith("nonce too low"));
    add_ok(dynamic(1, 2, 10, 1));
    EXPECT_EQ(pool().size(), 2u);
    EXPECT_EQ(pool().pending_count(), 2u);
}

// ---- block building ----

TEST_F(TxPoolTest, PendingBlockOrdersByTipAcrossSendersAndByNonceWithin) {
    config_.base_fee = 10;
    const Bytes a0 = dynamic(1, 0, 100, 30), a1 = dynamic(1, 1, 100, 1);
    const Bytes b0 = dynamic(2, 0, 100, 20), b1 = dynamic(2, 1, 100, 25);
    const Bytes c0 = legacy(3, 0, 32);            // effective tip 32 - 10 = 22
    const Bytes d0 = dynamic(4, 0, 15, 9);        // effective tip min(9, 15 - 10) = 5
    const Bytes queued = dynamic(4, 5, 100, 99);  // not executable
    for (const auto* raw : {&a1, &b1, &a0, &b0, &c0, &d0, &queued})
        add_ok(*raw);
    const std::vector<Hash32> want = {hash_of(a0), hash_of(c0), hash_of(b0),
                                      hash_of(b1), hash_of(d0), hash_of(a1)};
    EXPECT_EQ(block_hashes(), want);
    EXPECT_EQ(pool().size(), 7u);  // nothing removed
}

TEST_F(TxPoolTest, PendingBlockBreaksTiesByArrival) {
    const Bytes x = dynamic(5, 0, 10, 3), y = dynamic(6, 0, 10, 3), z = dynamic(7, 0, 10, 3);
    add_ok(y);
    add_ok(z);
    add_ok(x);
    EXPECT_EQ(block_hashes(), (std::vector<Hash32>{hash_of(y), hash_of(z), hash_of(x)}));
}

TEST_F(TxPoolTest, PendingBlockRespectsGasAndCountLimits) {
    const Bytes big = dynamic(1, 0, 100, 90, 50'000), big_next = dynamic(1, 1, 100, 90);
    const Bytes s1 = dynamic(2, 0, 100, 10), s2 = dynamic(3, 0, 100, 5);
    for (const auto* raw : {&big, &big_next, &s1, &s2})
        add_ok(*raw);
    EXPECT_EQ(block_hashes(30'000'000, 2), (std::vector<Hash32>{hash_of(big), hash_of(big_next)}));
    // big does not fit in 45000: it and its successor are skipped, the rest fill the block.
    EXPECT_EQ(block_hashes(45'000), (std::vector<Hash32>{hash_of(s1), hash_of(s2)}));
    EXPECT_EQ(block_hashes(71'000), (std::vector<Hash32>{hash_of(big), hash_of(big_next)}));
    EXPECT_EQ(block_hashes(20'999), std::vector<Hash32>{});
    EXPECT_EQ(block_hashes(30'000'000, 0), std::vector<Hash32>{});
}

// ---- listener ----

// The order pending_block keeps incrementally (each sender's first pending transaction in the
// heads' set) is the greedy merge of the senders' runs by effective tip, then arrival, whatever
// the pool went through: admissions in any nonce order, replacements, removals, commits.
TEST_F(TxPoolTest, BlockOrderIsTheMergeOfSendersRunsAfterAnyHistory) {
    config_.capacity = 60;  // small enough that evictions happen too
    std::mt19937_64 rng(11);
    std::map<uint8_t, uint64_t> committed_nonce;
    for (int step = 0; step < 400; ++step) {
        const uint8_t signer = static_cast<uint8_t>(1 + rng() % 8);
        const uint64_t base = committed_nonce[signer];
        const int op = static_cast<int>(rng() % 10);
        if (op < 7) {  // an admission, maybe a replacement or a gap
            const uint64_t tip = 1 + rng() % 6;
            (void)pool().add(dynamic(signer, base + rng() % 6, 20 + tip * 2, tip));
        } else if (op == 7) {  // a block left one out for good
            auto all = pool().pending_block(30'000'000, 1000);
            if (!all.empty()) pool().remove(all[rng() % all.size()].hash);
        } else {  // a block took the sender's first pending transaction
            if (pool().pending_nonce(addr(signer)) == base) continue;  // it has none
            state_.set(addr(signer), base + 1, kRich);
            committed_nonce[signer] = base + 1;
            const std::vector<Address> senders = {addr(signer)};
            pool().on_block_committed(senders);
        }
        const std::vector<PooledTx> block = pool().pending_block(30'000'000, 1000);
        ASSERT_EQ(block.size(), pool().pending_count()) << "step " << step;
        // Replay: each sender's run from its account nonce on, the best head taken each time.
        std::map<Address, uint64_t> account_nonce;
        for (const auto& [signer_of, nonce] : committed_nonce)
            account_nonce[addr(signer_of)] = nonce;
        std::map<Address, std::vector<const PooledTx*>> runs;
        for (const PooledTx& p : block)
            runs[p.sender].push_back(&p);
        for (auto& [sender, run] : runs) {
            std::sort(run.begin(), run.end(),
                      [](auto* a, auto* b) { return a->tx.nonce < b->tx.nonce; });
            for (size_t i = 0; i < run.size(); ++i)
                ASSERT_EQ(run[i]->tx.nonce, account_nonce[sender] + i) << "step " << step;
        }
        std::map<Address, size_t> taken;
        for (const PooledTx& p : block) {
            const PooledTx* best = nullptr;
            for (auto& [sender, run] : runs) {
                if (taken[sender] == run.size()) continue;
                const PooledTx* head = run[taken[sender]];
                if (!best ||
                    head->tx.max_priority_fee_per_gas > best->tx.max_priority_fee_per_gas ||
                    (head->tx.max_priority_fee_per_gas == best->tx.max_priority_fee_per_gas &&
                     head->arrival < best->arrival))
                    best = head;
            }
            ASSERT_EQ(p.hash, best->hash) << "step " << step;
            ++taken[p.sender];
        }
    }
}

// The blocks a proposal extends are uncommitted, so their transactions are still pooled: passed
// over as `skip`, they take no room, and each block after a full one is full again.
TEST_F(TxPoolTest, SkippedTransactionsTakeNoRoomAndTheirSendersRunsGoOn) {
    for (uint8_t signer = 1; signer <= 3; ++signer)
        for (uint64_t nonce = 0; nonce < 4; ++nonce)
            add_ok(dynamic(signer, nonce, 20, 1 + signer));
    std::unordered_set<Hash32> in_ancestors;
    std::set<Hash32> seen;
    for (int block = 0; block < 3; ++block) {
        const auto txs = pool().pending_block(4 * 21000, 100, in_ancestors);
        ASSERT_EQ(txs.size(), 4u) << "block " << block;
        for (const PooledTx& p : txs) {
            EXPECT_TRUE(seen.insert(p.hash).second) << "repeated in block " << block;
            in_ancestors.insert(p.hash);
        }
    }
    EXPECT_TRUE(pool().pending_block(4 * 21000, 100, in_ancestors).empty());
    EXPECT_EQ(pool().pending_count(), 12u);  // nothing was removed
}

// Room a large transaction does not fit in goes to a smaller one behind it, unless 64 that do not
// fit come first: then the block is done, and the small one waits for the next block.
TEST_F(TxPoolTest, ABlockStopsLookingAfter64TransactionsInARowThatDoNotFit) {
    for (uint8_t signer = 21; signer <= 120; ++signer)
        state_.set(addr(signer), 0, kRich);
    auto fill = [&](uint8_t large_senders) {
        // One per sender, better paying first: the large ones come before the small one.
        for (uint8_t signer = 21; signer < 21 + large_senders; ++signer)
            add_ok(dynamic(signer, 0, 100, 50, 70'000));
        add_ok(dynamic(1, 0, 100, 10));
    };
    // 100,000 gas: one large transaction, then 30,000 left, which only the small one fits.
    fill(64);  // the first fits, 63 do not, then the small one
    auto with_small = pool().pending_block(100'000, 1000);
    ASSERT_EQ(with_small.size(), 2u);
    EXPECT_EQ(with_small[0].tx.gas_limit, 70'000u);
    EXPECT_EQ(with_small[1].sender, addr(1));

    pool_.reset();
    fill(66);  // the first fits, then 65 that do not: the search ends before the small one
    auto without = pool().pending_block(100'000, 1000);
    ASSERT_EQ(without.size(), 1u);
    EXPECT_EQ(without[0].tx.gas_limit, 70'000u);
    // The next block, with room again, takes the small one among the rest.
    auto next = pool().pending_block(30'000'000, 1000);
    EXPECT_EQ(next.size(), 67u);

    // Transactions too large for any block (the gas limit was lowered after they came) are not
    // misfits of this block: however many lead the order, the block still fills.
    pool_.reset();
    fill(100);
    auto under_a_lower_limit = pool().pending_block(60'000, 1000);
    ASSERT_EQ(under_a_lower_limit.size(), 1u);
    EXPECT_EQ(under_a_lower_limit[0].sender, addr(1));
}

// Skipping is the order without the skipped transactions, whatever the pool holds.
TEST_F(TxPoolTest, ABlockWithSkipsIsTheOrderWithoutThem) {
    std::mt19937_64 rng(5);
    std::map<uint8_t, uint64_t> next_nonce;
    for (int i = 0; i < 120; ++i) {
        const uint8_t signer = static_cast<uint8_t>(1 + rng() % 10);
        const uint64_t tip = 1 + rng() % 6;
        add_ok(dynamic(signer, next_nonce[signer]++, 20 + tip * 2, tip));
    }
    const std::vector<PooledTx> all = pool().pending_block(30'000'000, 1000);
    ASSERT_GT(all.size(), 20u);
    for (int trial = 0; trial < 20; ++trial) {
        std::unordered_set<Hash32> skip;
        std::vector<Hash32> expected;
        for (const PooledTx& p : all)
            if (rng() % 3 == 0)
                skip.insert(p.hash);
            else
                expected.push_back(p.hash);
        std::vector<Hash32> got;
        for (const PooledTx& p : pool().pending_block(30'000'000, 1000, skip))
            got.push_back(p.hash);
        EXPECT_EQ(got, expected) << "trial " << trial;
    }
}

TEST_F(TxPoolTest, ListenerHearsEachAdmission) {
    std::vector<Hash32> heard;
    pool().set_listener([&](const Hash32& h) { heard.push_back(h); });
    const Bytes t0 = dynamic(1, 0, 10, 1), t1 = dynamic(1, 5, 10, 1), r0 = dynamic(1, 0, 20, 2);
    add_ok(t0);
    add_ok(t1);
    EXPECT_FALSE(pool().add(t0));  // rejections are not announced
    add_ok(r0);
    EXPECT_EQ(heard, (std::vector<Hash32>{hash_of(t0), hash_of(t1), hash_of(r0)}));
    pool().set_listener({});
    add_ok(dynamic(2, 0, 10, 1));
    EXPECT_EQ(heard.size(), 3u);
}

TEST_F(TxPoolTest, ListenerMayCallBackIntoThePool) {
    size_t seen_size = 0;
    pool().set_listener([&](const Hash32& h) { seen_size = pool().get(h) ? pool().size() : 0; });
    add_ok(dynamic(1, 0, 10, 1));
    EXPECT_EQ(seen_size, 1u);
}

// ---- concurrency ----

// Adders submit out of order (so transactions queue and get promoted) while one producer builds
// blocks, "executes" them against the fake state and reports the commit. Every block must
// continue each sender's nonce exactly; at the end every transaction has been executed once.
TEST_F(TxPoolTest, ConcurrentAddersAndBlockProducer) {
    constexpr int kAdders = 4, kSendersPerAdder = 2;
    constexpr uint64_t kNonces = 40;
    std::vector<std::vector<Bytes>> work(kAdders);
    for (int a = 0; a < kAdders; ++a)
        for (int k = 0; k < kSendersPerAdder; ++k) {
            const uint8_t signer = static_cast<uint8_t>(1 + a * kSendersPerAdder + k);
            // Pairs swapped: 1, 0, 3, 2, ... so that every other one waits in the queue.
            for (uint64_t n = 0; n < kNonces; ++n)
                work[a].push_back(dynamic(signer, n ^ 1, 100, 1 + (n * 7 + signer) % 13));
        }

    std::atomic<size_t> announced{0}, admitted{0}, bad_order{0};
    pool().set_listener([&](const Hash32&) { ++announced; });
    std::atomic<int> adders_left{kAdders};
    std::vector<std::thread> threads;
    for (int a = 0; a < kAdders; ++a)
        threads.emplace_back([&, a] {
            for (const Bytes& raw : work[a]) {
                if (pool().add(raw)) ++admitted;
                // A duplicate is "already known" while pooled, "nonce too low" once executed.
                auto again = pool().add(raw);
                if (again) ++bad_order;
            }
            --adders_left;
        });
    threads.emplace_back([&] {
        for (int round = 0; round < 100'000; ++round) {
            if (adders_left == 0 && pool().size() == 0) break;
            auto block = pool().pending_block(30'000'000, 16);
            for (const auto& p : block) {
                if (p.tx.nonce != state_.account(p.sender).nonce) ++bad_order;
                state_.bump_nonce(p.sender);
            }
            pool().on_block_committed();
            if (block.empty()) std::this_thread::yield();
        }
    });
    for (auto& t : threads)
        t.join();

    const size_t total = kAdders * kSendersPerAdder * kNonces;
    EXPECT_EQ(bad_order.load(), 0u);
    EXPECT_EQ(admitted.load(), total);
    EXPECT_EQ(announced.load(), total);
    EXPECT_EQ(pool().size(), 0u);
    EXPECT_EQ(pool().pending_count(), 0u);
    EXPECT_EQ(pool().queued_count(), 0u);
    for (uint8_t signer = 1; signer <= kAdders * kSendersPerAdder; ++signer) {
        EXPECT_EQ(state_.account(addr(signer)).nonce, kNonces);
        EXPECT_EQ(pool().pending_nonce(addr(signer)), kNonces);
    }
}

}  // namespace
}  // namespace hc::txpool
