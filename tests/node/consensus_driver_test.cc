#include "node/consensus_driver.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "crypto/secp256k1.h"
#include "node/dev_accounts.h"
#include "storage/memory_store.h"
#include "storage/rocks_store.h"
#include "support/temp_dir.h"

namespace hc::node {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kChainId = 1337;

chain::ChainConfig chain_config() {
    chain::ChainConfig c;
    c.chain_id = kChainId;
    c.base_fee = uint256(0);
    for (size_t i = 0; i < 4; ++i)
        c.alloc.push_back({dev_address(i), uint256(1'000'000)});
    return c;
}

Bytes transfer(size_t from, uint64_t nonce, uint64_t value) {
    Transaction tx;
    tx.chain_id = kChainId;
    tx.nonce = nonce;
    tx.gas_limit = 21000;
    tx.to = dev_address(3);
    tx.value = uint256(value);
    EXPECT_TRUE(sign_transaction(tx, dev_key(from)));
    return encode_transaction(tx);
}

template <typename Pred>
bool eventually(Pred pred) {
    for (int i = 0; i < 3000; ++i) {
        if (pred()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return pred();
}

std::unique_ptr<storage::KvStore> rocks(const std::filesystem::path& path) {
    auto store = storage::RocksStore::open(path);
    EXPECT_TRUE(store) << store.error().to_string();
    return std::move(*store);
}

struct Keys {
    std::vector<crypto::PrivateKey> secrets;
    std::vector<crypto::PublicKey> publics;
    std::vector<ValidatorInfo> infos;
    explicit Keys(size_t n) {
        for (size_t i = 0; i < n; ++i) {
            auto key = crypto::PrivateKey::generate(crypto::SigAlgo::p256);
            EXPECT_TRUE(key);
            secrets.push_back(std::move(key).value());
            publics.push_back(secrets.back().public_key());
            infos.push_back({publics.back(), validator_address(publics.back())});
        }
    }
};

// One validator: its chain, pool and driver, over an in-memory store.
struct Member {
    std::unique_ptr<chain::Chain> chain;
    std::unique_ptr<txpool::AccountReader> accounts;
    std::unique_ptr<txpool::TxPool> pool;
    std::unique_ptr<consensus::P256Signer> signer;
    std::unique_ptr<ConsensusDriver> driver;
};

class ChainAccounts final : public txpool::AccountReader {
  public:
    explicit ChainAccounts(const chain::Chain& c) : chain_(c) {}
    txpool::AccountState account(const Address& a) const override {
        auto acc = chain_.account(a);
        return {acc.nonce, acc.balance};
    }

  private:
    const chain::Chain& chain_;
};

void build(Member& m, Keys& keys, size_t self, PeerLink* link, const std::filesystem::path& dir,
           std::unique_ptr<storage::KvStore> store = nullptr) {
    if (!store) store = std::make_unique<storage::MemoryStore>();
    auto chain = chain::Chain::open(std::move(store), chain_config());
    ASSERT_TRUE(chain) << chain.error().to_string();
    m.chain = std::move(*chain);
    m.accounts = std::make_unique<ChainAccounts>(*m.chain);
    txpool::Config pool_config;
    pool_config.chain_id = kChainId;
    m.pool = std::make_unique<txpool::TxPool>(pool_config, *m.accounts);
    auto secret =
        crypto::PrivateKey::from_bytes(crypto::SigAlgo::p256, keys.secrets[self].raw().view());
    ASSERT_TRUE(secret);
    m.signer = std::make_unique<consensus::P256Signer>(std::move(*secret), keys.publics);
    consensus::Committee committee;
    committee.chain_id = kChainId;
    committee.size = static_cast<uint32_t>(keys.publics.size());
    ConsensusSettings settings;
    settings.base_timeout_ms = 300;
    settings.sync_interval_ms = 100;
    m.driver = std::make_unique<ConsensusDriver>(*m.chain, *m.pool, committee,
                                                 static_cast<ValidatorIndex>(self), keys.infos,
                                                 *m.signer, link, dir, settings);
    ASSERT_TRUE(m.driver->open());
}

TEST(ConsensusDriver, SingleValidatorCommitsAndRestartsFromItsState) {
    hc::testing::TempDir dir;
    Keys keys(1);
    Member m;
    build(m, keys, 0, nullptr, dir.path() / "consensus", rocks(dir.path() / "chain"));
    auto hash = m.pool->add(transfer(0, 0, 5));
    ASSERT_TRUE(hash);
    m.driver->on_local_transaction(*hash);
    ASSERT_TRUE(m.driver->run_until_idle());
    // The transaction's block is committed by the (empty) block after it.
    ASSERT_EQ(m.chain->head_number(), 1u);
    auto loc = m.chain->find_transaction(*hash);
    ASSERT_TRUE(loc && *loc);
    EXPECT_EQ((*loc)->block_number, 1u);
    EXPECT_EQ(m.chain->account(dev_address(3)).balance, uint256(1'000'005));
    EXPECT_EQ(m.pool->size(), 0u);
    auto record = m.chain->consensus_record(1);
    ASSERT_TRUE(record && *record);
    EXPECT_EQ(m.chain->head().extra_data.size(), 32u);

    // A second transaction commits the empty block and then its own.
    auto second = m.pool->add(transfer(1, 0, 7));
    ASSERT_TRUE(second);
    m.driver->on_local_transaction(*second);
    ASSERT_TRUE(m.driver->run_until_idle());
    EXPECT_EQ(m.chain->head_number(), 3u);
    EXPECT_TRUE(m.chain->verify());

    // Restart on the same directories: the driver resumes from the stored tip and its safety
    // state, and commits more.
    m = Member{};
    build(m, keys, 0, nullptr, dir.path() / "consensus", rocks(dir.path() / "chain"));
    EXPECT_EQ(m.chain->head_number(), 3u);
    auto third = m.pool->add(transfer(2, 0, 9));
    ASSERT_TRUE(third);
    m.driver->on_local_transaction(*third);
    ASSERT_TRUE(m.driver->run_until_idle());
    EXPECT_EQ(m.chain->head_number(), 5u);
    EXPECT_EQ(m.chain->account(dev_address(3)).balance, uint256(1'000'021));
    EXPECT_TRUE(m.chain->verify());
}

// Routes frames between in-process drivers; a cut member neither sends nor receives.
class LoopbackNet {
  public:
    class Link final : public PeerLink {
      public:
        Link(LoopbackNet& net, ValidatorIndex self) : net_(net), self_(self) {}
        void send(PeerId to, Bytes frame) override { net_.deliver(self_, to, std::move(frame)); }
        void disconnect(PeerId, const std::string& why) override {
            ADD_FAILURE() << "honest peer disconnected: " << why;
        }

      private:
        LoopbackNet& net_;
        ValidatorIndex self_;
    };

    void deliver(ValidatorIndex from, ValidatorIndex to, Bytes frame) {
        if (cut[from] || cut[to]) return;
        ConsensusDriver* d = members[to];
        if (d) d->on_frame(from, std::move(frame));
    }

    std::vector<ConsensusDriver*> members;
    std::vector<std::atomic<bool>> cut = std::vector<std::atomic<bool>>(8);
};

TEST(ConsensusDriver, FourValidatorsAgreeAndALateOneCatchesUpBySync) {
    std::vector<hc::testing::TempDir> dirs(4);
    Keys keys(4);
    LoopbackNet net;
    net.members.assign(4, nullptr);
    std::vector<std::unique_ptr<LoopbackNet::Link>> links;
    std::vector<Member> members(4);
    for (size_t i = 0; i < 4; ++i) {
        links.push_back(std::make_unique<LoopbackNet::Link>(net, static_cast<ValidatorIndex>(i)));
        build(members[i], keys, i, links[i].get(), dirs[i].path());
    }
    net.cut[3] = true;  // the fourth is away at first: three of four are a quorum
    for (size_t i = 0; i < 4; ++i)
        net.members[i] = members[i].driver.get();
    for (auto& m : members)
        m.driver->start();

    for (uint64_t n = 0; n < 10; ++n) {
        auto h = members[n % 3].pool->add(transfer(n % 3, n / 3, 1));
        ASSERT_TRUE(h) << h.error().to_string();
        members[n % 3].driver->on_local_transaction(*h);
    }
    auto all_in = [&](size_t count) {
        for (size_t i = 0; i < count; ++i)
            if (members[i].chain->account(dev_address(3)).balance != uint256(1'000'010))
                return false;
        return true;
    };
    ASSERT_TRUE(eventually([&] { return all_in(3); }));
    EXPECT_EQ(members[3].chain->head_number(), 0u);

    net.cut[3] = false;  // back: it catches up by block sync
    ASSERT_TRUE(eventually([&] {
        return members[3].chain->head_number() >= members[0].chain->head_number() && all_in(4);
    }));
    for (auto& m : members)
        m.driver->stop();
    const uint64_t common = members[3].chain->head_number();
    for (size_t i = 0; i < 4; ++i) {
        auto h = members[i].chain->hash_by_number(common);
        auto h0 = members[0].chain->hash_by_number(common);
        ASSERT_TRUE(h && *h && h0 && *h0);
        EXPECT_EQ(**h, **h0) << "member " << i;
        EXPECT_TRUE(members[i].chain->verify());
    }
}

}  // namespace
}  // namespace hc::node
