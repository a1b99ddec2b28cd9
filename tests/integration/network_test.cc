// Fault tests of a real 4-organisation network: `honeycomb init` makes it, four `honeycomb node`
// processes run it on loopback over mutual TLS, and the test drives them over JSON-RPC.
//   1. under load, every node reaches the same blocks, head hash and state root;
//   2. kill -9 of one node: commits continue; restarted, it catches up to the same head;
//   3. two of four stopped: nothing commits and nothing forks; restarted, progress resumes and
//      every receipt a client saw is still there, in the same block;
//   4. a node whose certificate comes from an unknown CA is refused at the handshake;
//   5. random bytes and an oversized frame header on the P2P port get the connection dropped,
//      and the network keeps committing.
// HONEYCOMB_BIN overrides the binary under test.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <random>
#include <thread>

#include "crypto/cert_issuer.h"
#include "ledger/transaction.h"
#include "network/transport.h"
#include "node/dev_accounts.h"
#include "rpc/client.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

#ifndef HC_HONEYCOMB_BIN
#define HC_HONEYCOMB_BIN "honeycomb"
#endif

namespace hc::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr uint64_t kChainId = 1337;
constexpr size_t kNodes = 4;
const char* const kNames[kNodes] = {"org1-node1", "org2-node1", "org3-node1", "org4-node1"};

std::string raw_transfer(size_t from, uint64_t nonce, uint64_t value) {
    Transaction tx;
    tx.chain_id = kChainId;
    tx.nonce = nonce;
    tx.gas_limit = 21000;
    tx.gas_price = uint256(1'000'000'000);
    tx.to = node::dev_address(9);
    tx.value = uint256(value);
    EXPECT_TRUE(sign_transaction(tx, node::dev_key(from)));
    return to_hex(encode_transaction(tx));
}

// Waits (with a generous bound, never asserting on time) until pred holds.
template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds bound = 60s) {
    const auto end = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return pred();
}

class Network : public ::testing::Test {
  protected:
    void SetUp() override {
        bin_ = honeycomb_binary(HC_HONEYCOMB_BIN);
        // One range for both, so the P2P and JSON-RPC ports cannot overlap.
        auto base = find_free_port_range(2 * kNodes);
        ASSERT_TRUE(base) << base.error().to_string();
        p2p_base_ = *base;
        rpc_base_ = static_cast<uint16_t>(*base + kNodes);
        auto init = ChildProcess::spawn(
            bin_,
            {"init", "--orgs", "4", "--out", (dir_.path() / "net").string(), "--base-port",
             std::to_string(p2p_base_), "--rpc-port", std::to_string(rpc_base_)},
            dir_.path() / "init.log");
        ASSERT_TRUE(init) << init.error().to_string();
        auto code = (*init)->wait(60s);
        ASSERT_TRUE(code && *code == 0) << read_file_tail(dir_.path() / "init.log");
        for (size_t i = 0; i < kNodes; ++i) {
            clients_.push_back(std::make_unique<rpc::Client>(
                rpc::Endpoint{"127.0.0.1", static_cast<uint16_t>(rpc_base_ + i)}, 5s));
            start(i);
        }
        for (size_t i = 0; i < kNodes; ++i)
            ASSERT_TRUE(eventually([&] { return head(i).has_value(); })) << logs(i);
    }

    void TearDown() override {
        if (HasFailure())
            for (size_t i = 0; i < kNodes; ++i)
                std::fprintf(stderr, "--- %s ---\n%s\n", kNames[i], logs(i).c_str());
    }

    std::filesystem::path node_dir(size_t i) const {
        return dir_.path() / "net" / "nodes" / kNames[i];
    }
    std::string logs(size_t i) const { return read_file_tail(node_dir(i) / "node.log", 3000); }

    void start(size_t i) {
        auto p =
            ChildProcess::spawn(bin_, {"node", "--config", (node_dir(i) / "node.json").string()},
                                node_dir(i) / "node.log");
        ASSERT_TRUE(p) << p.error().to_string();
        if (procs_.size() <= i) procs_.resize(kNodes);
        procs_[i] = std::move(*p);
    }
    void kill9(size_t i) {
        ASSERT_TRUE(procs_[i]->signal(SIGKILL));
        ASSERT_TRUE(procs_[i]->wait(30s));
    }
    void stop(size_t i) {
        ASSERT_TRUE(procs_[i]->signal(SIGTERM));
        auto code = procs_[i]->wait(60s);
        ASSERT_TRUE(code) << logs(i);
        EXPECT_EQ(*code, 0) << describe_exit(*code) << "\n" << logs(i);
    }

    std::optional<uint64_t> head(size_t i) {
        auto r = clients_[i]->call("eth_blockNumber");
        if (!r) {
            clients_[i]->disconnect();
            return std::nullopt;
        }
        auto n = rpc::quantity_u64(*r);
        return n ? std::optional<uint64_t>(*n) : std::nullopt;
    }
    std::optional<json> block(size_t i, uint64_t n) {
        auto r = clients_[i]->call("eth_getBlockByNumber", {rpc::quantity_hex(n), false});
        if (!r || r->is_null()) return std::nullopt;
        return *r;
    }
    // Sends transfers from `sender`, round-robin over `via`; returns their hashes.
    std::vector<std::string> send(size_t sender, uint64_t& nonce, size_t count,
                                  const std::vector<size_t>& via) {
        std::vector<std::string> hashes;
        for (size_t k = 0; k < count; ++k) {
            auto r = clients_[via[k % via.size()]]->call("eth_sendRawTransaction",
                                                         {raw_transfer(sender, nonce++, 1)});
            EXPECT_TRUE(r) << r.error().to_string();
            if (r) hashes.push_back(r->get<std::string>());
        }
        return hashes;
    }
    // The receipt's (block number, block hash) at node i, if it has one.
    std::optional<std::pair<uint64_t, std::string>> receipt(size_t i, const std::string& hash) {
        auto r = clients_[i]->call("eth_getTransactionReceipt", {hash});
        if (!r || r->is_null()) return std::nullopt;
        return std::pair{*rpc::quantity_u64((*r)["blockNumber"]),
                         (*r)["blockHash"].get<std::string>()};
    }
    bool all_committed(const std::vector<std::string>& hashes, const std::vector<size_t>& at) {
        for (size_t i : at)
            for (const auto& h : hashes)
                if (!receipt(i, h)) return false;
        return true;
    }
    // The nodes in `at` have the same block at every height up to the lowest head among them.
    void expect_same_chain(const std::vector<size_t>& at) {
        uint64_t common = UINT64_MAX;
        for (size_t i : at)
            common = std::min(common, head(i).value_or(0));
        ASSERT_GT(common, 0u);
        for (uint64_t n = 1; n <= common; ++n) {
            auto reference = block(at[0], n);
            ASSERT_TRUE(reference);
            for (size_t i : at) {
                auto b = block(i, n);
                ASSERT_TRUE(b);
                EXPECT_EQ((*b)["hash"], (*reference)["hash"]) << kNames[i] << " at " << n;
                EXPECT_EQ((*b)["stateRoot"], (*reference)["stateRoot"]) << kNames[i] << " at " << n;
            }
        }
    }

    TempDir dir_;
    std::filesystem::path bin_;
    uint16_t p2p_base_ = 0, rpc_base_ = 0;
    std::vector<std::unique_ptr<ChildProcess>> procs_;
    std::vector<std::unique_ptr<rpc::Client>> clients_;
};

TEST_F(Network, AgreesUnderLoadSurvivesCrashesAndHaltsWithoutQuorum) {
    const std::vector<size_t> all = {0, 1, 2, 3};
    // 1. Load through every node; all nodes end on the same chain.
    std::vector<uint64_t> nonces(4, 0);
    std::vector<std::string> seen;
    for (size_t s = 0; s < 4; ++s) {
        auto h = send(s, nonces[s], 25, all);
        seen.insert(seen.end(), h.begin(), h.end());
    }
    ASSERT_TRUE(eventually([&] { return all_committed(seen, all); })) << "load not committed";
    ASSERT_TRUE(eventually([&] {
        auto h0 = head(0);
        for (size_t i : all)
            if (head(i) != h0) return false;
        return true;
    }));
    expect_same_chain(all);

    // 2. kill -9 one node: the other three keep committing; restarted, it catches up.
    kill9(3);
    auto more = send(0, nonces[0], 20, {0, 1, 2});
    ASSERT_TRUE(eventually([&] { return all_committed(more, {0, 1, 2}); }));
    seen.insert(seen.end(), more.begin(), more.end());
    start(3);
    ASSERT_TRUE(eventually([&] { return all_committed(more, {3}); })) << "node 4 did not catch up";
    expect_same_chain(all);

    // 3. Two of four down: no quorum, so nothing commits and nothing forks.
    std::map<std::string, std::pair<uint64_t, std::string>> where;
    for (const auto& h : seen)
        where[h] = *receipt(0, h);
    stop(2);
    stop(3);
    const uint64_t halted = *head(0);
    auto stuck = send(1, nonces[1], 5, {0, 1});
    std::this_thread::sleep_for(3s);  // time for several rounds to time out
    EXPECT_EQ(head(0), halted);
    EXPECT_EQ(head(1), halted);
    for (const auto& h : stuck)
        EXPECT_FALSE(receipt(0, h)) << "committed without a quorum";
    start(2);
    start(3);
    ASSERT_TRUE(eventually([&] { return all_committed(stuck, all); })) << "progress did not resume";
    for (const auto& [h, at] : where)
        for (size_t i : all)
            EXPECT_EQ(receipt(i, h), at) << h << " at " << kNames[i];
    expect_same_chain(all);
}

TEST_F(Network, RefusesUnknownCaAndSurvivesGarbageOnThePeerPort) {
    // 4. A node with a certificate from a CA outside the genesis.
    const int64_t now = std::time(nullptr);
    auto rogue_ca = crypto::create_organisation_ca({"org2", now - 60, now + 3600});
    ASSERT_TRUE(rogue_ca) << rogue_ca.error().to_string();
    // Posing as a real node of a real organisation, but issued by a CA outside the genesis.
    auto leaf = crypto::issue_node_certificate(rogue_ca->cert, rogue_ca->key,
                                               {"org2", "org2-node1", {}, now - 60, now + 3600});
    ASSERT_TRUE(leaf) << leaf.error().to_string();

    struct Silent final : network::Handler {
        void on_message(network::PeerId, Bytes) override { ++messages; }
        void on_connected(network::PeerId) override { ++connects; }
        std::atomic<int> messages{0}, connects{0};
    } handler;
    network::Config rogue;
    rogue.self = 1;
    rogue.tls.cert_chain_pem = leaf->cert.to_pem();
    rogue.tls.private_key_pem = *crypto::private_key_to_pem(leaf->key);
    // It trusts the real CAs too, so the refusal is the network's, not its own.
    rogue.tls.trusted_cas_pem = rogue_ca->cert.to_pem();
    for (const char* org : {"org1", "org2", "org3", "org4"}) {
        auto ca = crypto::read_certificate_pem(dir_.path() / "net" / "orgs" / org / "ca.pem");
        ASSERT_TRUE(ca) << ca.error().to_string();
        rogue.tls.trusted_cas_pem += ca->to_pem();
    }
    rogue.identify = [](const crypto::Certificate&) -> Result<network::PeerId> { return 0; };
    rogue.listen_address = "127.0.0.1";
    rogue.peers = {{0, "127.0.0.1", p2p_base_}};
    rogue.logger = [](std::string_view) {};
    auto t = network::Transport::start(std::move(rogue), handler);
    ASSERT_TRUE(t) << t.error().to_string();
    ASSERT_TRUE(
        eventually([&] { return logs(0).find("certificate rejected") != std::string::npos; }, 20s))
        << "node 1 did not log the refusal";
    (*t)->stop();
    EXPECT_EQ(handler.connects.load(), 0);
    EXPECT_EQ(handler.messages.load(), 0);

    // 5. Garbage on the P2P port: random bytes, then a frame header announcing 2 GiB.
    auto garbage = [&](const Bytes& bytes) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(p2p_base_);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
        timeval tv{20, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[4096];
        ssize_t n;
        while ((n = ::read(fd, buf, sizeof buf)) > 0) {
        }
        ::close(fd);
        return n;  // 0: the node closed it; -1 would be our timeout
    };
    std::mt19937 rng(7);
    Bytes random(4096);
    for (auto& b : random)
        b = static_cast<uint8_t>(rng());
    EXPECT_EQ(garbage(random), 0);
    EXPECT_EQ(garbage(Bytes{0x80, 0, 0, 0, 1}), 0);

    uint64_t nonce = 0;
    auto after = send(5, nonce, 3, {0});
    ASSERT_TRUE(eventually([&] {
        return all_committed(after, {0, 1, 2, 3});
    })) << "the network stopped committing";
}

}  // namespace
}  // namespace hc::testing
