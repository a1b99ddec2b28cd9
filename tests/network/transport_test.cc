// Loopback tests of the P2P transport: real TCP and TLS on 127.0.0.1, certificates made in
// memory. Every wait is for a condition (with a generous bound), never for a fixed time.
#include "network/transport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>

#include <openssl/pem.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include "network/frame.h"
#include "support/cert_factory.h"

namespace hc::network {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using crypto::Certificate;
using test::CertSpec;
using test::PkeyPtr;
using namespace std::chrono_literals;

constexpr auto kWait = 30s;  // bound on every wait: generous, only reached on failure

std::string key_pem(EVP_PKEY* key) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<size_t>(n));
    BIO_free(bio);
    return s;
}

struct Ca {
    PkeyPtr key;
    std::optional<Certificate> cert;
};

struct NodeCreds {
    PkeyPtr key;
    std::optional<Certificate> cert;
    std::string chain_pem;  // leaf + nothing else: each org CA issues its nodes directly
};

// Two organisations' CAs, a CA nobody trusts, and node certificates issued by them.
class Pki {
  public:
    Pki() {
        org1_ = make_ca("org1", 1);
        org2_ = make_ca("org2", 2);
        rogue_ = make_ca("rogue", 3);
    }

    NodeCreds node(const std::string& org, const std::string& name) {
        Ca& ca = org == "org1" ? org1_ : org == "org2" ? org2_ : rogue_;
        NodeCreds n;
        n.key = test::make_key();
        CertSpec spec;
        spec.subject = {{"O", org}, {"CN", name}};
        spec.serial = ++serial_;
        spec.not_before = now_ - test::TestPki::kDay;
        spec.not_after = now_ + 365 * test::TestPki::kDay;
        spec.key_usage = test::kLeafUsage;
        spec.ext_key_usage = crypto::ExtKeyUsage::server_auth | crypto::ExtKeyUsage::client_auth;
        n.cert = test::issue_cert(spec, n.key.get(), &*ca.cert, ca.key.get());
        n.chain_pem = n.cert->to_pem();
        return n;
    }

    std::string trusted() const { return org1_.cert->to_pem() + org2_.cert->to_pem(); }
    std::string rogue_ca() const { return rogue_.cert->to_pem(); }

  private:
    Ca make_ca(const std::string& org, uint64_t serial) {
        Ca ca;
        ca.key = test::make_key();
        CertSpec spec;
        spec.subject = {{"O", org}, {"CN", org + " CA"}};
        spec.serial = serial;
        spec.not_before = now_ - 2 * test::TestPki::kDay;
        spec.not_after = now_ + 730 * test::TestPki::kDay;
        spec.is_ca = true;
        spec.key_usage = test::kCaUsage;
        ca.cert = test::issue_cert(spec, ca.key.get(), nullptr, nullptr);
        return ca;
    }

    int64_t now_ = std::time(nullptr);
    uint64_t serial_ = 100;
    Ca org1_, org2_, rogue_;
};

// Records everything the transport reports, and lets the test wait for it.
class Recorder : public Handler {
  public:
    void on_message(PeerId from, Bytes payload) override {
        std::lock_guard lock(mu_);
        messages_.emplace_back(from, std::string(payload.begin(), payload.end()));
        cv_.notify_all();
    }
    void on_connected(PeerId peer) override {
        std::lock_guard lock(mu_);
        connects_.push_back(peer);
        cv_.notify_all();
    }
    void on_disconnected(PeerId peer, const std::string& why) override {
        std::lock_guard lock(mu_);
        disconnects_.emplace_back(peer, why);
        cv_.notify_all();
    }

    void log(std::string_view line) {
        std::lock_guard lock(mu_);
        logs_.emplace_back(line);
        cv_.notify_all();
    }

    // Waits until `pred` (called under the lock) holds; false after kWait.
    template <typename Pred>
    bool wait(Pred pred) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, kWait, [&] { return pred(); });
    }
    bool wait_message(PeerId from, const std::string& text) {
        return wait([&] {
            return std::count(messages_.begin(), messages_.end(), std::pair{from, text}) > 0;
        });
    }
    bool wait_log(const std::string& a, const std::string& b = "") {
        return wait([&] { return has_log_locked(a, b); });
    }
    bool wait_disconnect(PeerId peer, const std::string& why_part) {
        return wait([&] {
            for (const auto& [p, why] : disconnects_)
                if (p == peer && why.find(why_part) != std::string::npos) return true;
            return false;
        });
    }
    size_t message_count() {
        std::lock_guard lock(mu_);
        return messages_.size();
    }
    size_t connect_count() {
        std::lock_guard lock(mu_);
        return connects_.size();
    }
    std::string all_logs() {
        std::lock_guard lock(mu_);
        std::string s;
        for (const auto& l : logs_)
            s += l + "\n";
        return s;
    }

  private:
    bool has_log_locked(const std::string& a, const std::string& b) const {
        for (const auto& l : logs_)
            if (l.find(a) != std::string::npos && (b.empty() || l.find(b) != std::string::npos))
                return true;
        return false;
    }

    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::pair<PeerId, std::string>> messages_;
    std::vector<PeerId> connects_;
    std::vector<std::pair<PeerId, std::string>> disconnects_;
    std::vector<std::string> logs_;
};

// The genesis node set: certificate fingerprint -> node id.
using NodeSet = std::map<Hash32, PeerId>;

Config make_config(PeerId self, const NodeCreds& creds, const std::string& trusted,
                   std::shared_ptr<const NodeSet> nodes, Recorder& rec) {
    Config c;
    c.self = self;
    c.tls.cert_chain_pem = creds.chain_pem;
    c.tls.private_key_pem = key_pem(creds.key.get());
    c.tls.trusted_cas_pem = trusted;
    c.identify = [nodes](const Certificate& leaf) -> Result<PeerId> {
        auto it = nodes->find(leaf.fingerprint());
        if (it == nodes->end()) {
            return make_error(Errc::not_found,
                              "certificate " + leaf.subject() + " is not in the genesis node set");
        }
        return it->second;
    };
    c.listen_address = "127.0.0.1";
    c.listen_port = 0;
    c.backoff_base = 20ms;
    c.backoff_max = 200ms;
    c.handshake_timeout = 5s;
    c.idle_timeout = 10s;
    c.logger = [&rec](std::string_view line) { rec.log(line); };
    return c;
}

std::unique_ptr<Transport> start_ok(Config c, Handler& h) {
    auto t = Transport::start(std::move(c), h);
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().to_string());
    if (!t.ok()) return nullptr;
    return std::move(t).value();
}

bool connected_to(const Transport& t, PeerId peer) {
    for (const auto& s : t.peers())
        if (s.id == peer) return s.connected;
    return false;
}

// Polls a condition on a transport's state (peers() has no change notification).
template <typename Pred>
bool eventually(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return pred();
}

Bytes msg(const std::string& s) {
    return Bytes(s.begin(), s.end());
}

// A port nothing listens on at the moment (bound, read, released).
uint16_t free_port() {
    net::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

class TransportTest : public ::testing::Test {
  protected:
    Pki pki;
    std::shared_ptr<NodeSet> nodes = std::make_shared<NodeSet>();
    std::vector<NodeCreds> creds;  // index = node id

    void SetUp() override {
        creds.push_back(pki.node("org1", "node0"));
        creds.push_back(pki.node("org1", "node1"));
        creds.push_back(pki.node("org2", "node2"));
        for (PeerId i = 0; i < creds.size(); ++i)
            (*nodes)[creds[i].cert->fingerprint()] = i;
    }

    Config config(PeerId self, Recorder& rec) {
        return make_config(self, creds[self], pki.trusted(), nodes, rec);
    }
};

TEST_F(TransportTest, ThreeNodesOfTwoOrganisationsExchangeMessagesAndBroadcast) {
    Recorder rec[3];
    std::unique_ptr<Transport> t[3];
    // Ports first (listening on 0), then everyone dials everyone: both ends of each pair dial,
    // which exercises the one-link-per-pair rule.
    std::vector<Config> cfgs;
    for (PeerId i = 0; i < 3; ++i)
        cfgs.push_back(config(i, rec[i]));
    std::vector<uint16_t> ports;
    for (PeerId i = 0; i < 3; ++i) {
        cfgs[i].listen_port = free_port();
        ports.push_back(cfgs[i].listen_port);
    }
    for (PeerId i = 0; i < 3; ++i) {
        for (PeerId j = 0; j < 3; ++j)
            if (i != j) cfgs[i].peers.push_back({j, "127.0.0.1", ports[j]});
        t[i] = start_ok(std::move(cfgs[i]), rec[i]);
        ASSERT_TRUE(t[i]);
        EXPECT_EQ(t[i]->port(), ports[i]);
    }
    auto text = [](PeerId i, PeerId j) {
        return "from " + std::to_string(i) + " to " + std::to_string(j);
    };
    for (PeerId i = 0; i < 3; ++i) {
        for (PeerId j = 0; j < 3; ++j) {
            if (i == j) continue;
            ASSERT_TRUE(eventually([&] { return connected_to(*t[i], j); }))
                << i << " -> " << j << "\n"
                << rec[i].all_logs();
        }
    }
    for (PeerId i = 0; i < 3; ++i) {
        for (PeerId j = 0; j < 3; ++j) {
            if (i == j) continue;
            ASSERT_TRUE(t[i]->send(j, msg(text(i, j))));
        }
    }
    for (PeerId i = 0; i < 3; ++i) {
        for (PeerId j = 0; j < 3; ++j) {
            if (i == j) continue;
            EXPECT_TRUE(rec[j].wait_message(i, text(i, j))) << i << " -> " << j;
        }
    }

    EXPECT_EQ(t[2]->broadcast(msg("block 7")), 2u);
    EXPECT_TRUE(rec[0].wait_message(2, "block 7"));
    EXPECT_TRUE(rec[1].wait_message(2, "block 7"));

    // A large message (1 MiB) arrives whole.
    std::string big(1 << 20, 'x');
    ASSERT_TRUE(t[0]->send(2, msg(big)));
    EXPECT_TRUE(rec[2].wait_message(0, big));

    for (auto& s : t[0]->peers()) {
        EXPECT_TRUE(s.connected);
        EXPECT_GE(s.messages_received, 1u);
    }
    for (auto& x : t)
        x->stop();
    // Exactly what was sent arrived, nothing twice.
    EXPECT_EQ(rec[0].message_count(), 3u);
    EXPECT_EQ(rec[1].message_count(), 3u);
    EXPECT_EQ(rec[2].message_count(), 3u);
}

TEST_F(TransportTest, CertificateFromUnknownCaIsRefusedAtTheHandshake) {
    Recorder good_rec, rogue_rec;
    // The identify function would accept the rogue certificate: only the CA check refuses it.
    NodeCreds rogue = pki.node("rogue", "node3");
    (*nodes)[rogue.cert->fingerprint()] = 3;

    auto good = start_ok(config(0, good_rec), good_rec);
    ASSERT_TRUE(good);
    // The rogue node trusts everyone, so the refusal comes from the good node's checks.
    Config rc = make_config(3, rogue, pki.trusted() + pki.rogue_ca(), nodes, rogue_rec);
    rc.peers.push_back({0, "127.0.0.1", good->port()});
    auto bad = start_ok(std::move(rc), rogue_rec);
    ASSERT_TRUE(bad);
    ASSERT_TRUE(bad->send(0, msg("let me in")));

    EXPECT_TRUE(good_rec.wait_log("refused inbound connection", "unable to get local issuer"))
        << good_rec.all_logs();
    // The rogue side is told by the TLS alert.
    EXPECT_TRUE(
        rogue_rec.wait_log("cannot connect: outbound connection to node 0", "alert unknown ca"))
        << rogue_rec.all_logs();
    bad->stop();
    good->stop();
    EXPECT_EQ(good_rec.message_count(), 0u);
    EXPECT_EQ(good_rec.connect_count(), 0u);
    EXPECT_EQ(rogue_rec.connect_count(), 0u);
}

TEST_F(TransportTest, ACaTrustedLaterLetsItsNodesIn) {
    // An organisation that joins the consortium while the node runs: refused until its CA is
    // added, then its node's redial gets through.
    Recorder good_rec, late_rec;
    NodeCreds late = pki.node("rogue", "node3");
    (*nodes)[late.cert->fingerprint()] = 3;
    auto good = start_ok(config(0, good_rec), good_rec);
    ASSERT_TRUE(good);
    Config lc = make_config(3, late, pki.trusted() + pki.rogue_ca(), nodes, late_rec);
    lc.peers.push_back({0, "127.0.0.1", good->port()});
    auto l = start_ok(std::move(lc), late_rec);
    ASSERT_TRUE(l);
    ASSERT_TRUE(l->send(0, msg("after the vote")));
    EXPECT_TRUE(good_rec.wait_log("refused inbound connection", "unable to get local issuer"))
        << good_rec.all_logs();
    EXPECT_EQ(good_rec.message_count(), 0u);

    auto ca = crypto::Certificate::bundle_from_pem(pki.rogue_ca());
    ASSERT_TRUE(ca && ca->size() == 1);
    good->add_trusted_ca(ca->front());
    EXPECT_TRUE(good_rec.wait_message(3, "after the vote")) << good_rec.all_logs();
    l->stop();
    good->stop();
}

TEST_F(TransportTest, DialledPeerWithUnknownCaIsRefused) {
    Recorder good_rec, rogue_rec;
    NodeCreds rogue = pki.node("rogue", "node3");
    (*nodes)[rogue.cert->fingerprint()] = 3;
    auto bad = start_ok(make_config(3, rogue, pki.trusted() + pki.rogue_ca(), nodes, rogue_rec),
                        rogue_rec);
    ASSERT_TRUE(bad);
    Config gc = config(0, good_rec);
    gc.peers.push_back({3, "127.0.0.1", bad->port()});
    auto good = start_ok(std::move(gc), good_rec);
    ASSERT_TRUE(good);
    EXPECT_TRUE(good_rec.wait_log("cannot connect: outbound connection to node 3",
                                  "unable to get local issuer"))
        << good_rec.all_logs();
    good->stop();
    bad->stop();
    EXPECT_EQ(good_rec.connect_count(), 0u);
    EXPECT_EQ(rogue_rec.connect_count(), 0u);
}

TEST_F(TransportTest, KnownCaButUnknownNodeIsRefused) {
    Recorder good_rec, stranger_rec;
    NodeCreds stranger = pki.node("org2", "not-in-genesis");  // valid chain, not in `nodes`
    auto good = start_ok(config(0, good_rec), good_rec);
    ASSERT_TRUE(good);
    // The stranger's own identify knows node 0, so it dials.
    Config sc = make_config(9, stranger, pki.trusted(), nodes, stranger_rec);
    sc.peers.push_back({0, "127.0.0.1", good->port()});
    auto s = start_ok(std::move(sc), stranger_rec);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->send(0, msg("hello?")));
    EXPECT_TRUE(good_rec.wait_log("refused inbound connection", "not a known node"))
        << good_rec.all_logs();
    EXPECT_TRUE(good_rec.wait_log("not-in-genesis", "is not in the genesis node set"));
    EXPECT_TRUE(stranger_rec.wait_log("cannot connect: outbound connection to node 0"))
        << stranger_rec.all_logs();
    s->stop();
    good->stop();
    EXPECT_EQ(good_rec.message_count(), 0u);
    EXPECT_EQ(good_rec.connect_count(), 0u);
    EXPECT_EQ(stranger_rec.connect_count(), 0u);
}

TEST_F(TransportTest, DialledPeerPresentingAnotherNodesCertificateIsRefused) {
    Recorder rec0, rec1;
    auto t1 = start_ok(config(1, rec1), rec1);
    ASSERT_TRUE(t1);
    Config c0 = config(0, rec0);
    c0.peers.push_back({2, "127.0.0.1", t1->port()});  // node 1 listens where 2 should
    auto t0 = start_ok(std::move(c0), rec0);
    ASSERT_TRUE(t0);
    EXPECT_TRUE(rec0.wait_log("dialled node 2 but its certificate", "belongs to node 1"))
        << rec0.all_logs();
    t0->stop();
    t1->stop();
    EXPECT_EQ(rec0.connect_count(), 0u);
}

// A TLS client built by hand, presenting a known node's certificate, to send what a real
// transport never would.
class RawTlsClient {
  public:
    RawTlsClient(const NodeCreds& creds, const std::string& trusted,
                 net::ssl::context::method method = net::ssl::context::tls)
        : ctx_(method) {
        ctx_.use_certificate_chain(net::buffer(creds.chain_pem));
        std::string key = key_pem(creds.key.get());
        ctx_.use_private_key(net::buffer(key), net::ssl::context::pem);
        ctx_.add_certificate_authority(net::buffer(trusted));
        ctx_.set_verify_mode(net::ssl::verify_none);
        stream_.emplace(ioc_, ctx_);  // after the context is complete: SSL_new copies it
    }
    void connect(uint16_t port) {
        stream_->lowest_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
        stream_->handshake(net::ssl::stream_base::client);
    }
    // The handshake's error, or success.
    boost::system::error_code try_connect(uint16_t port) {
        stream_->lowest_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
        boost::system::error_code ec;
        stream_->handshake(net::ssl::stream_base::client, ec);
        return ec;
    }
    void write(const Bytes& b) { net::write(*stream_, net::buffer(b)); }
    // Reads until the server closes; true if it did (rather than keep us hanging).
    bool read_until_closed() {
        boost::system::error_code ec;
        std::vector<uint8_t> buf(4096);
        while (!ec)
            stream_->read_some(net::buffer(buf), ec);
        return true;
    }

  private:
    net::io_context ioc_;
    net::ssl::context ctx_;
    std::optional<net::ssl::stream<tcp::socket>> stream_;
};

TEST_F(TransportTest, GarbageAndOversizedFramesDropOnlyThatConnection) {
    Recorder rec0, rec1;
    auto t0 = start_ok(config(0, rec0), rec0);
    ASSERT_TRUE(t0);
    Config c1 = config(1, rec1);
    c1.max_frame_size = 1024;
    c1.peers.push_back({0, "127.0.0.1", t0->port()});
    auto t1 = start_ok(std::move(c1), rec1);
    ASSERT_TRUE(t1);
    ASSERT_TRUE(eventually([&] { return connected_to(*t0, 1) && connected_to(*t1, 0); }));

    // 1. Random bytes over plain TCP to node 0.
    {
        net::io_context ioc;
        tcp::socket s(ioc);
        s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), t0->port()));
        std::mt19937 rng(42);
        Bytes junk(4096);
        for (auto& b : junk)
            b = static_cast<uint8_t>(rng());
        net::write(s, net::buffer(junk));
        EXPECT_TRUE(
            rec0.wait_log("refused inbound connection from 127.0.0.1", "TLS handshake failed"))
            << rec0.all_logs();
    }

    // 2. Node 2's genuine certificate, a proper hello, then a frame length over node 1's limit.
    {
        RawTlsClient raw(creds[2], pki.trusted());
        raw.connect(t1->port());
        raw.write(encode_frame(FrameKind::hello, Bytes{kProtocolVersion}));
        raw.write(Bytes{0x7f, 0xff, 0xff, 0xff, 0x01});
        EXPECT_TRUE(rec1.wait_disconnect(2, "exceeds the limit of 1024")) << rec1.all_logs();
        EXPECT_TRUE(rec1.wait_log("closed inbound connection from node 2", "malformed frame"));
        raw.read_until_closed();
    }
    // 3. A frame of an unknown kind.
    {
        RawTlsClient raw(creds[2], pki.trusted());
        raw.connect(t1->port());
        raw.write(encode_frame(FrameKind::hello, Bytes{kProtocolVersion}));
        raw.write(Bytes{0, 0, 0, 1, 0x42});
        EXPECT_TRUE(rec1.wait_disconnect(2, "unknown frame kind 66")) << rec1.all_logs();
        raw.read_until_closed();
    }

    // The good pair carries on over the link it had all along.
    ASSERT_TRUE(t0->send(1, msg("still here")));
    ASSERT_TRUE(t1->send(0, msg("me too")));
    EXPECT_TRUE(rec1.wait_message(0, "still here"));
    EXPECT_TRUE(rec0.wait_message(1, "me too"));
    // A message over our own limit is refused at send().
    EXPECT_FALSE(t1->send(0, Bytes(1025, 0)));
    EXPECT_TRUE(t1->send(0, Bytes(1024, 0)));
}

TEST_F(TransportTest, SilentConnectionIsDroppedWhileIdleLinksArePinged) {
    Recorder rec0, rec1;
    Config c0 = config(0, rec0);
    c0.idle_timeout = 2s;
    auto t0 = start_ok(std::move(c0), rec0);
    ASSERT_TRUE(t0);
    Config c1 = config(1, rec1);
    c1.idle_timeout = 2s;
    c1.peers.push_back({0, "127.0.0.1", t0->port()});
    auto t1 = start_ok(std::move(c1), rec1);
    ASSERT_TRUE(t1);
    ASSERT_TRUE(eventually([&] { return connected_to(*t0, 1) && connected_to(*t1, 0); }));

    // A known node that says hello and then nothing: dropped after idle_timeout.
    RawTlsClient raw(creds[2], pki.trusted());
    raw.connect(t0->port());
    raw.write(encode_frame(FrameKind::hello, Bytes{kProtocolVersion}));
    EXPECT_TRUE(rec0.wait_disconnect(2, "nothing received for 2000 ms")) << rec0.all_logs();
    // Meanwhile the real link carried no messages either, but pings kept it up.
    EXPECT_TRUE(connected_to(*t0, 1));
    ASSERT_TRUE(t1->send(0, msg("still up")));
    EXPECT_TRUE(rec0.wait_message(1, "still up"));
    t1->stop();
    t0->stop();
    EXPECT_EQ(rec0.connect_count(), 2u);  // node 1 once, node 2 once
}

TEST_F(TransportTest, Tls12IsRefused) {
    Recorder rec0;
    auto t0 = start_ok(config(0, rec0), rec0);
    ASSERT_TRUE(t0);
    RawTlsClient raw(creds[1], pki.trusted(), net::ssl::context::tlsv12_client);
    EXPECT_TRUE(raw.try_connect(t0->port()));  // an error: no TLS 1.2 handshake completes
    EXPECT_TRUE(rec0.wait_log("refused inbound connection", "TLS handshake failed"))
        << rec0.all_logs();
    t0->stop();
    EXPECT_EQ(rec0.connect_count(), 0u);
}

TEST_F(TransportTest, RestartedPeerIsRedialledAndMessagesFlowAgain) {
    Recorder rec0, rec1, rec0b;
    auto t0 = start_ok(config(0, rec0), rec0);
    ASSERT_TRUE(t0);
    const uint16_t port0 = t0->port();
    Config c1 = config(1, rec1);
    c1.peers.push_back({0, "127.0.0.1", port0});
    auto t1 = start_ok(std::move(c1), rec1);
    ASSERT_TRUE(t1);
    ASSERT_TRUE(t1->send(0, msg("before")));
    ASSERT_TRUE(rec0.wait_message(1, "before"));

    t0->stop();
    t0.reset();
    ASSERT_TRUE(eventually([&] { return !connected_to(*t1, 0); }));
    EXPECT_TRUE(rec1.wait_disconnect(0, "closed by the peer")) << rec1.all_logs();
    // Queued while node 0 is down; delivered once it is back.
    ASSERT_TRUE(t1->send(0, msg("while down")));

    // Node 0 comes back on the same port, dialling nobody: only node 1's redial can reconnect.
    Config c0 = config(0, rec0b);
    c0.listen_port = port0;
    auto t0b = start_ok(std::move(c0), rec0b);
    ASSERT_TRUE(t0b);
    EXPECT_TRUE(rec0b.wait_message(1, "while down")) << rec1.all_logs();
    ASSERT_TRUE(t0b->send(1, msg("after")));
    EXPECT_TRUE(rec1.wait_message(0, "after"));
    EXPECT_GE(rec1.connect_count(), 2u);
}

TEST_F(TransportTest, FullQueueReportsBackpressure) {
    Recorder rec0, rec1;
    const uint16_t port1 = free_port();  // node 1 is not up yet
    Config c0 = config(0, rec0);
    c0.queue_limit_messages = 3;
    c0.queue_limit_bytes = 100;
    c0.peers.push_back({1, "127.0.0.1", port1});
    auto t0 = start_ok(std::move(c0), rec0);
    ASSERT_TRUE(t0);

    EXPECT_TRUE(t0->send(1, msg("one")));
    EXPECT_TRUE(t0->send(1, msg("two")));
    EXPECT_TRUE(t0->send(1, msg("three")));
    EXPECT_FALSE(t0->send(1, msg("four")));  // count limit
    auto st = t0->peers();
    ASSERT_EQ(st.size(), 1u);
    EXPECT_EQ(st[0].queued_messages, 3u);
    EXPECT_EQ(st[0].queued_bytes, 11u);
    EXPECT_FALSE(st[0].connected);
    EXPECT_FALSE(t0->send(7, msg("nobody")));  // unknown peer
    EXPECT_TRUE(rec0.wait_log("cannot connect: outbound connection to node 1"));
    EXPECT_FALSE(t0->peers()[0].last_error.empty());

    // Node 1 comes up: the queue drains in order and sending works again.
    Config c1 = config(1, rec1);
    c1.listen_port = port1;
    auto t1 = start_ok(std::move(c1), rec1);
    ASSERT_TRUE(t1);
    EXPECT_TRUE(rec1.wait_message(0, "three"));
    EXPECT_TRUE(rec1.wait_message(0, "one"));
    EXPECT_TRUE(eventually([&] { return t0->peers()[0].queued_messages == 0; }));
    EXPECT_TRUE(t0->send(1, msg("four")));
    EXPECT_TRUE(rec1.wait_message(0, "four"));
    EXPECT_FALSE(t0->send(1, Bytes(101, 0)));  // over the byte limit on its own
}

TEST_F(TransportTest, NodeCanDropAPeerAndItReconnects) {
    Recorder rec0, rec1;
    auto t0 = start_ok(config(0, rec0), rec0);
    ASSERT_TRUE(t0);
    Config c1 = config(1, rec1);
    c1.peers.push_back({0, "127.0.0.1", t0->port()});
    auto t1 = start_ok(std::move(c1), rec1);
    ASSERT_TRUE(t1);
    ASSERT_TRUE(eventually([&] { return connected_to(*t0, 1); }));

    t0->disconnect(1, "sent a block that does not decode");
    EXPECT_TRUE(rec0.wait_disconnect(1, "sent a block that does not decode"));
    EXPECT_TRUE(rec0.wait_log("closed inbound connection from node 1",
                              "disconnected by this node: sent a block that does not decode"));
    EXPECT_TRUE(rec1.wait_disconnect(0, "closed by the peer"));
    // Node 1 redials; the link comes back.
    ASSERT_TRUE(eventually([&] { return rec0.connect_count() >= 2; }));
    ASSERT_TRUE(t0->send(1, msg("welcome back")));
    EXPECT_TRUE(rec1.wait_message(0, "welcome back"));
}

TEST_F(TransportTest, StopIsCleanWithTrafficInFlight) {
    Recorder rec0, rec1;
    auto t0 = start_ok(config(0, rec0), rec0);
    ASSERT_TRUE(t0);
    Config c1 = config(1, rec1);
    c1.peers.push_back({0, "127.0.0.1", t0->port()});
    auto t1 = start_ok(std::move(c1), rec1);
    ASSERT_TRUE(t1);
    ASSERT_TRUE(eventually([&] { return connected_to(*t1, 0); }));
    for (int i = 0; i < 100; ++i)
        (void)t1->send(0, Bytes(10000, static_cast<uint8_t>(i)));
    t1->stop();
    t1->stop();  // idempotent
    EXPECT_FALSE(t1->send(0, msg("after stop")));
    EXPECT_TRUE(t1->peers().empty());
    t0->stop();
}

TEST_F(TransportTest, ConfigurationErrorsAreReportedNotThrown) {
    Recorder rec;
    struct NullHandler : Handler {
        void on_message(PeerId, Bytes) override {}
    } h;

    Config c = config(0, rec);
    c.tls.private_key_pem = key_pem(creds[1].key.get());
    auto r = Transport::start(c, h);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("does not belong to our certificate"), std::string::npos)
        << r.error().message;

    c = config(0, rec);
    c.tls.trusted_cas_pem = pki.rogue_ca();
    r = Transport::start(c, h);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("does not chain to a trusted CA"), std::string::npos)
        << r.error().message;

    c = config(0, rec);
    c.tls.private_key_pem = "not a key";
    r = Transport::start(c, h);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("private key"), std::string::npos);

    c = config(0, rec);
    c.peers.push_back({0, "127.0.0.1", 1});
    r = Transport::start(c, h);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("our own id"), std::string::npos);

    c = config(0, rec);
    c.listen_address = "not-an-address";
    r = Transport::start(c, h);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_argument);

    c = config(0, rec);
    c.identify = nullptr;
    r = Transport::start(c, h);
    ASSERT_FALSE(r.ok());

    auto files = TlsCredentials::from_files("/nonexistent/cert.pem", "/nonexistent/key.pem",
                                            "/nonexistent/ca.pem");
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.error().code, Errc::io);
    EXPECT_NE(files.error().message.find("cert.pem"), std::string::npos);
}

}  // namespace
}  // namespace hc::network
