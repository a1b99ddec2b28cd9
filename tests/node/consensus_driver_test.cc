#include "node/consensus_driver.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "codec/rlp.h"
#include "crypto/secp256k1.h"
#include "node/dev_accounts.h"
#include "node/epoch.h"
#include "storage/memory_store.h"
#include "storage/rocks_store.h"
#include "support/temp_dir.h"

namespace hc::node {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kChainId = 1337;

chain::ChainConfig chain_config(uint64_t gas_limit = 30'000'000) {
    chain::ChainConfig c;
    c.gas_limit = gas_limit;
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
           std::unique_ptr<storage::KvStore> store = nullptr, uint64_t gas_limit = 30'000'000) {
    if (!store) store = std::make_unique<storage::MemoryStore>();
    auto chain = chain::Chain::open(std::move(store), chain_config(gas_limit));
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
    m.driver->on_local_transactions({*hash});
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
    m.driver->on_local_transactions({*second});
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
    m.driver->on_local_transactions({*third});
    ASSERT_TRUE(m.driver->run_until_idle());
    EXPECT_EQ(m.chain->head_number(), 5u);
    EXPECT_EQ(m.chain->account(dev_address(3)).balance, uint256(1'000'021));
    EXPECT_TRUE(m.chain->verify());
}

// A block is proposed on top of its uncommitted parent, whose transactions are still pooled,
// and, on the driver's thread, while the block before is still executing: neither's
// transactions may take the new block's room, or be proposed again (execution would leave them
// out as stale).
class BlockFilling : public ::testing::TestWithParam<bool> {};

TEST_P(BlockFilling, EachBlockAfterAFullOneIsFullAgain) {
    const bool threaded = GetParam();
    Keys keys(1);
    Member m;
    build(m, keys, 0, nullptr, {}, nullptr, /*gas_limit=*/4 * 21000);
    std::vector<Hash32> hashes;
    for (size_t from = 0; from < 3; ++from)
        for (uint64_t nonce = 0; nonce < 8; ++nonce) {
            auto h = m.pool->add(transfer(from, nonce, 1));
            ASSERT_TRUE(h) << h.error().to_string();
            hashes.push_back(*h);
        }
    std::atomic<size_t> left_out{0};
    m.driver->on_block([&](const chain::CommittedBlock& b) { left_out += b.rejected.size(); });
    if (threaded) {
        m.driver->start();
        m.driver->on_local_transactions(hashes);
        ASSERT_TRUE(eventually(
            [&] { return m.chain->account(dev_address(3)).balance == uint256(1'000'024); }));
        m.driver->stop();
    } else {
        m.driver->on_local_transactions(hashes);
        ASSERT_TRUE(m.driver->run_until_idle());
    }
    EXPECT_EQ(m.chain->account(dev_address(3)).balance, uint256(1'000'024));
    EXPECT_EQ(left_out, 0u);
    std::vector<size_t> per_block;
    for (uint64_t n = 1; n <= m.chain->head_number(); ++n) {
        auto hash = m.chain->hash_by_number(n);
        ASSERT_TRUE(hash && *hash);
        auto body = m.chain->body(**hash);
        ASSERT_TRUE(body && *body);
        per_block.push_back((*body)->size());
    }
    ASSERT_GE(per_block.size(), 6u);
    EXPECT_EQ(std::vector<size_t>(per_block.begin(), per_block.begin() + 6),
              (std::vector<size_t>(6, 4)));
}

INSTANTIATE_TEST_SUITE_P(InLineAndOnThreads, BlockFilling, ::testing::Bool());

// Remembers disconnections; sends go nowhere.
class RecordingLink final : public PeerLink {
  public:
    void send(PeerId, Bytes) override {}
    void disconnect(PeerId peer, const std::string& why) override {
        std::lock_guard lock(mu_);
        disconnected_.emplace_back(peer, why);
    }
    std::vector<std::pair<PeerId, std::string>> disconnected() {
        std::lock_guard lock(mu_);
        return disconnected_;
    }

  private:
    std::mutex mu_;
    std::vector<std::pair<PeerId, std::string>> disconnected_;
};

// A gossiped batch is admitted, by the driver's thread or in line without it, and a malformed
// one disconnects its sender.
class Gossip : public ::testing::TestWithParam<bool> {};

TEST_P(Gossip, ABatchIsAdmittedAndAMalformedOneDisconnectsItsSender) {
    const bool threaded = GetParam();
    Keys keys(2);
    Member m;
    RecordingLink link;
    build(m, keys, 0, &link, {});
    if (threaded) m.driver->start();
    rlp::Encoder e;
    e.begin_list().add(transfer(1, 0, 5)).add(transfer(2, 0, 5)).add(transfer(1, 1, 5)).end_list();
    Bytes batch = e.take();
    batch.insert(batch.begin(), 0x02);
    m.driver->on_frame(1, batch);
    m.driver->on_frame(1, Bytes{0x02, 0xc1});  // a list header with its content missing
    if (threaded) {
        ASSERT_TRUE(eventually([&] { return !link.disconnected().empty(); }));
        m.driver->stop();
    } else {
        ASSERT_TRUE(m.driver->run_until_idle());
    }
    EXPECT_EQ(m.pool->size(), 3u);
    EXPECT_EQ(m.pool->pending_count(), 3u);
    const auto disconnected = link.disconnected();
    ASSERT_EQ(disconnected.size(), 1u);
    EXPECT_EQ(disconnected[0].first, 1u);
    EXPECT_NE(disconnected[0].second.find("payload"), std::string::npos) << disconnected[0].second;
}

INSTANTIATE_TEST_SUITE_P(InLineAndOnThreads, Gossip, ::testing::Bool());

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
        members[n % 3].driver->on_local_transactions({*h});
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

TEST(ConsensusRecord, MalformedRecordsAreErrorsNotCrashes) {
    consensus::Committee committee;
    committee.chain_id = kChainId;
    const Bytes block = consensus::encode(consensus::genesis_block(committee));
    auto record = [&](auto&& add_fields) {
        rlp::Encoder e;
        e.begin_list().add(BytesView(block));
        add_fields(e);
        e.end_list();
        return e.take();
    };
    // A plain record without a proof decodes.
    auto plain = decode_consensus_record(record([](rlp::Encoder& e) { e.add(BytesView{}); }));
    ASSERT_TRUE(plain) << plain.error().to_string();
    EXPECT_FALSE(plain->proof || plain->following);
    // An epoch's last block must carry the proof its following blocks lead to.
    auto unproven = decode_consensus_record(record([](rlp::Encoder& e) {
        e.add(BytesView{});
        e.begin_list().end_list();
    }));
    ASSERT_FALSE(unproven);
    EXPECT_NE(unproven.error().message.find("carries no commit proof"), std::string::npos);
    // Garbage in each place.
    EXPECT_FALSE(decode_consensus_record(Bytes{0xc3, 0x01, 0x02, 0x03}));
    EXPECT_FALSE(decode_consensus_record(Bytes{}));
    EXPECT_FALSE(decode_consensus_record(record([](rlp::Encoder& e) {
        e.add(BytesView{});
        e.add(uint64_t{7});  // following blocks must be a list
    })));
    EXPECT_FALSE(decode_consensus_record(record([](rlp::Encoder& e) {
        const uint8_t junk[] = {1, 2, 3};
        e.add(BytesView(junk, 3));  // not a commit proof
    })));
}

// ---- Governed committees: the node set of the chain's governance, epoch by epoch ----

// Routes frames between in-process drivers by their name-derived peer ids.
class PeerNet {
  public:
    class Link final : public PeerLink {
      public:
        Link(PeerNet& net, PeerId self) : net_(net), self_(self) {}
        void send(PeerId to, Bytes frame) override { net_.deliver(self_, to, std::move(frame)); }
        void disconnect(PeerId, const std::string& why) override {
            ADD_FAILURE() << "honest peer disconnected: " << why;
        }

      private:
        PeerNet& net_;
        PeerId self_;
    };

    void deliver(PeerId from, PeerId to, Bytes frame) {
        std::lock_guard lock(mu);
        auto it = drivers.find(to);
        if (it != drivers.end() && it->second) it->second->on_frame(from, std::move(frame));
    }

    std::mutex mu;  // guards drivers
    std::map<PeerId, ConsensusDriver*> drivers;
};

struct GovernedNode {
    GovernedNode(std::string n, crypto::PrivateKey k) : name(std::move(n)), key(std::move(k)) {}
    std::string name;
    crypto::PrivateKey key;
    hc::testing::TempDir dir;
    std::unique_ptr<PeerNet::Link> link;
    Member m;
};

// Four nodes a..d in the genesis set, and the set `next` scheduled for the boundary `boundary`
// (as a vote would leave it); every node of both sets is started.
class GovernedNetwork {
  public:
    GovernedNetwork(const std::vector<std::string>& first, const std::vector<std::string>& next,
                    uint64_t boundary) {
        std::set<std::string> names(first.begin(), first.end());
        names.insert(next.begin(), next.end());
        for (const std::string& name : names) {
            auto key = crypto::PrivateKey::generate(crypto::SigAlgo::p256);
            EXPECT_TRUE(key);
            nodes.push_back(std::make_unique<GovernedNode>(name, std::move(*key)));
        }
        auto entry = [&](const std::string& name) {
            return governance::ConsensusNode{name, "org1", node(name).key.public_key().bytes,
                                             "127.0.0.1:1"};
        };
        for (const auto& n : first)
            governance.nodes.push_back(entry(n));
        governance::PendingNodeSet pending{boundary, {}};
        for (const auto& n : next)
            pending.nodes.push_back(entry(n));
        governance.pending_nodes = std::move(pending);
        for (auto& n : nodes)
            open(*n);
    }

    ~GovernedNetwork() { stop_all(); }

    void stop_all() {
        for (auto& n : nodes)
            if (n->m.driver) n->m.driver->stop();
    }

    GovernedNode& node(const std::string& name) {
        for (auto& n : nodes)
            if (n->name == name) return *n;
        throw std::runtime_error("no node " + name);
    }

    // Opens (or reopens, after close()) a node on its directories.
    void open(GovernedNode& n) {
        n.m = Member{};
        chain::ChainConfig config = chain_config();
        governance::GovernanceState g = governance;
        g.params.gas_limit = config.gas_limit;
        config.governance = std::move(g);
        auto chain = chain::Chain::open(rocks(n.dir.path() / "chain"), config);
        ASSERT_TRUE(chain) << chain.error().to_string();
        n.m.chain = std::move(*chain);
        n.m.accounts = std::make_unique<ChainAccounts>(*n.m.chain);
        txpool::Config pool_config;
        pool_config.chain_id = kChainId;
        n.m.pool = std::make_unique<txpool::TxPool>(pool_config, *n.m.accounts);
        n.link = std::make_unique<PeerNet::Link>(net, peer_id_of(n.name));
        auto key = crypto::PrivateKey::from_bytes(crypto::SigAlgo::p256, n.key.raw().view());
        ASSERT_TRUE(key);
        ConsensusSettings settings;
        settings.base_timeout_ms = 300;
        settings.sync_interval_ms = 100;
        n.m.driver =
            std::make_unique<ConsensusDriver>(*n.m.chain, *n.m.pool, n.name, std::move(*key),
                                              *n.link, n.dir.path() / "consensus", settings);
        ASSERT_TRUE(n.m.driver->open());
        {
            std::lock_guard lock(net.mu);
            net.drivers[peer_id_of(n.name)] = n.m.driver.get();
        }
        n.m.driver->start();
    }

    void close(GovernedNode& n) {
        {
            std::lock_guard lock(net.mu);
            net.drivers[peer_id_of(n.name)] = nullptr;
        }
        n.m.driver->stop();
        n.m = Member{};
    }

    // Transfers from dev accounts 0..2 through node `via`, one at a time, until `done`.
    template <typename Pred>
    bool drive(const std::string& via, Pred done) {
        for (int i = 0; i < 600; ++i) {
            if (done()) return true;
            GovernedNode& n = node(via);
            const size_t from = static_cast<size_t>(i % 3);
            auto h = n.m.pool->add(transfer(from, nonces[from], 1));
            if (h) {
                ++nonces[from];
                n.m.driver->on_local_transactions({*h});
            }
            std::this_thread::sleep_for(30ms);
        }
        return done();
    }

    uint64_t min_head() {
        uint64_t h = UINT64_MAX;
        for (auto& n : nodes)
            h = std::min(h, n->m.chain->head_number());
        return h;
    }

    // The validator indices that signed the commit proofs stored in blocks from..to of `name`.
    std::set<ValidatorIndex> signers(const std::string& name, uint64_t from, uint64_t to) {
        std::set<ValidatorIndex> out;
        for (uint64_t b = from; b <= to; ++b) {
            auto raw = node(name).m.chain->consensus_record(b);
            EXPECT_TRUE(raw && *raw);
            if (!raw || !*raw) continue;
            auto record = decode_consensus_record(**raw);
            EXPECT_TRUE(record) << record.error().to_string();
            if (record && record->proof)
                for (const auto& vote : record->proof->qc.votes)
                    out.insert(vote.signer);
        }
        return out;
    }

    void expect_same_chain(uint64_t height) {
        auto reference = nodes[0]->m.chain->hash_by_number(height);
        ASSERT_TRUE(reference && *reference);
        for (auto& n : nodes) {
            auto h = n->m.chain->hash_by_number(height);
            ASSERT_TRUE(h && *h) << n->name;
            EXPECT_EQ(**h, **reference) << n->name << " at block " << height;
        }
    }

    governance::GovernanceState governance;
    PeerNet net;
    std::vector<std::unique_ptr<GovernedNode>> nodes;
    uint64_t nonces[3] = {0, 0, 0};
};

TEST(GovernedConsensus, AnAddedNodeFollowsThenVotesFromTheBoundary) {
    constexpr uint64_t kBoundary = 4;
    GovernedNetwork network({"a", "b", "c", "d"}, {"a", "b", "c", "d", "e"}, kBoundary);
    GovernedNode& e = network.node("e");
    EXPECT_FALSE(e.m.driver->voting());  // not in the genesis set: it follows by sync
    EXPECT_EQ(e.m.driver->epoch(), 0u);

    ASSERT_TRUE(network.drive("a", [&] { return network.min_head() >= kBoundary + 12; }))
        << "heads: a " << network.node("a").m.chain->head_number() << ", e "
        << e.m.chain->head_number();
    for (auto& n : network.nodes) {
        EXPECT_EQ(n->m.driver->epoch(), 1u) << n->name;
        EXPECT_TRUE(n->m.driver->voting()) << n->name;
        auto committee = epoch_committee(*n->m.chain);
        ASSERT_TRUE(committee);
        EXPECT_EQ(committee->committee.size, 5u);
        EXPECT_EQ(committee->committee.start_height, kBoundary);
    }
    // The boundary block's record carries the proof that reaches it; blocks after it are
    // certified by the new committee, e (index 4) among the signers.
    auto boundary_record = network.node("b").m.chain->consensus_record(kBoundary);
    ASSERT_TRUE(boundary_record && *boundary_record);
    auto decoded = decode_consensus_record(**boundary_record);
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_TRUE(decoded->proof.has_value());
    EXPECT_TRUE(decoded->following.has_value());
    ASSERT_TRUE(network.drive("e", [&] {
        return network.signers("a", kBoundary + 1, network.node("a").m.chain->head_number())
            .count(4);
    })) << "e signs no commit certificate after the boundary";

    // A restart in the new epoch resumes it: committee, place and the epoch's own safety state.
    network.close(network.node("c"));
    network.open(network.node("c"));
    EXPECT_EQ(network.node("c").m.driver->epoch(), 1u);
    EXPECT_TRUE(network.node("c").m.driver->voting());
    EXPECT_FALSE(std::filesystem::exists(network.node("c").dir.path() / "consensus" / "safety"))
        << "epoch 0's safety state is gone";
    const uint64_t target = network.node("a").m.chain->head_number() + 6;
    ASSERT_TRUE(network.drive("c", [&] { return network.min_head() >= target; }));
    network.expect_same_chain(target);
    network.stop_all();
    for (auto& n : network.nodes)
        EXPECT_TRUE(n->m.chain->verify()) << n->name;
}

TEST(GovernedConsensus, ARemovedNodeFollowsAndTheRestKeepCommitting) {
    constexpr uint64_t kBoundary = 3;
    GovernedNetwork network({"a", "b", "c", "d"}, {"a", "b", "c"}, kBoundary);
    EXPECT_TRUE(network.node("d").m.driver->voting());

    ASSERT_TRUE(network.drive("d", [&] { return network.min_head() >= kBoundary + 10; }));
    EXPECT_FALSE(network.node("d").m.driver->voting()) << "d left the set at the boundary";
    for (auto& n : network.nodes)
        EXPECT_EQ(n->m.driver->epoch(), 1u) << n->name;
    // The three certify everything after the boundary, and d, now a follower, still passes on
    // the transactions sent through it, and syncs.
    const auto signers =
        network.signers("a", kBoundary + 1, network.node("a").m.chain->head_number());
    EXPECT_EQ(signers, (std::set<ValidatorIndex>{0, 1, 2}));  // n - f = 3 of 3 sign each QC
    network.expect_same_chain(kBoundary + 10);
    network.stop_all();
    for (auto& n : network.nodes)
        EXPECT_TRUE(n->m.chain->verify()) << n->name;
}

}  // namespace
}  // namespace hc::node
