#include "network/transport.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "network/frame.h"

namespace hc::network {

namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxBatch = 64;  // frames gathered into one write
constexpr auto kAcceptRetryDelay = milliseconds(100);

std::string ms_text(milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

// Drains OpenSSL's error queue into one line.
std::string openssl_errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? "unknown OpenSSL error" : out;
}

std::string endpoint_text(const tcp::endpoint& ep) {
    auto addr = ep.address();
    std::string host = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
    return host + ":" + std::to_string(ep.port());
}

std::string subject_of(X509* cert) {
    if (cert == nullptr) return "?";
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio == nullptr) return "?";
    X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
                       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<size_t>(std::max(n, 0L)));
    BIO_free(bio);
    return s;
}

Result<std::string> read_file(const std::filesystem::path& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error(Errc::io, std::string("cannot open the ") + what + " file " +
                                        path.string() + ": check that it exists and is readable");
    }
    std::ostringstream s;
    s << in.rdbuf();
    if (in.bad()) {
        return make_error(Errc::io,
                          std::string("cannot read the ") + what + " file " + path.string());
    }
    return s.str();
}

struct BioFree {
    void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};

// Never prompts for a passphrase (OpenSSL's default callback reads the terminal).
int no_passphrase(char*, int, int, void*) {
    return 0;
}

// One TCP connection, from connect/accept to close. Touched only on the transport's thread.
struct Conn {
    Conn(tcp::socket socket, ssl::context& ctx, size_t max_payload)
        : stream(std::move(socket), ctx), decoder(max_payload), read_buf(kReadChunk) {}

    ssl::stream<tcp::socket> stream;
    uint64_t serial = 0;           // order of creation: the newer of two equal links wins
    bool outbound = false;         // we dialled it
    PeerId expected = 0;           // outbound: the id we dialled
    std::string remote;            // "host:port", for logs
    std::optional<PeerId> peer;    // set once the peer's certificate is verified and identified
    std::string refusal;           // why certificate verification refused the peer
    bool counted_pending = false;  // inbound, counted against max_pending_handshakes

    bool tls_done = false;
    bool established = false;  // the peer's hello arrived
    bool retiring = false;
    bool goodbye_queued = false, goodbye_written = false, goodbye_received = false;
    bool closed = false;

    std::deque<Frame> control;  // hello, ping, goodbye: written before queued messages
    bool writing = false;
    std::vector<std::array<uint8_t, kFrameHeaderSize>> out_headers;
    std::vector<Bytes> out_payloads;
    size_t out_messages = 0;
    bool out_has_goodbye = false;

    Clock::time_point created = Clock::now(), last_recv = created, last_send = created;
    Clock::time_point established_at, retire_deadline;
    FrameDecoder decoder;
    std::vector<uint8_t> read_buf;
};
using ConnPtr = std::shared_ptr<Conn>;

struct Peer {
    PeerId id = 0;
    std::optional<PeerAddress> dial;  // set for the peers we dial
    std::deque<Bytes> queue;
    size_t queued_bytes = 0;
    ConnPtr link;
    std::string link_remote;
    bool reported = false;      // on_connected told, on_disconnected not yet
    bool kick_pending = false;  // a post to write the queue is on its way
    bool dialing = false;
    unsigned attempts = 0;  // consecutive failed dials / drops, for backoff
    Clock::time_point next_dial;
    uint64_t sent = 0, received = 0;
    std::string last_error;
};

}  // namespace

struct Transport::Impl {
    explicit Impl(Config c, Handler& h)
        : cfg(std::move(c)),
          handler(h),
          ctx(ssl::context::tls),
          ioc(std::in_place, 1),
          acceptor(std::in_place, *ioc),
          resolver(std::in_place, *ioc),
          tick_timer(std::in_place, *ioc),
          accept_timer(std::in_place, *ioc),
          rng(std::random_device{}()) {}

    ~Impl() { shutdown(); }

    Config cfg;
    Handler& handler;
    ssl::context ctx;  // before ioc: connections hold SSL objects made from it
    std::optional<net::io_context> ioc;
    // I/O objects of ioc: shutdown() destroys them before it.
    std::optional<tcp::acceptor> acceptor;
    std::optional<tcp::resolver> resolver;
    std::optional<net::steady_timer> tick_timer, accept_timer;
    std::thread thread;
    uint16_t port = 0;
    milliseconds tick_interval{100};

    // Transport thread only.
    std::mt19937_64 rng;
    uint64_t next_serial = 1;
    std::set<ConnPtr> conns;  // every open connection
    size_t pending_inbound = 0;

    mutable std::mutex mu;  // guards peers and stopped
    std::map<PeerId, Peer> peers;
    bool stopped = false;

    std::mutex stop_mu;
    bool joined = false;

    // ---- setup ------------------------------------------------------------------------------

    Status load_tls() {
        SSL_CTX* c = ctx.native_handle();
        if (SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) != 1) {
            return make_error(Errc::internal, "cannot require TLS 1.3: " + openssl_errors());
        }
        // No resumption: every connection proves its certificate afresh.
        SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(c, 0);
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
        // Send exactly the configured chain. By default OpenSSL completes it from the trust
        // store, which would put our own root on the wire for nothing.
        SSL_CTX_set_mode(c, SSL_MODE_NO_AUTO_CHAIN);

        auto chain = crypto::Certificate::bundle_from_pem(cfg.tls.cert_chain_pem);
        if (!chain) {
            return make_error(Errc::invalid_argument,
                              "our TLS certificate chain: " + chain.error().message);
        }
        if (SSL_CTX_use_certificate(c, chain->front().native()) != 1) {
            return make_error(Errc::invalid_argument,
                              "cannot use our TLS certificate: " + openssl_errors());
        }
        for (size_t i = 1; i < chain->size(); ++i) {
            if (SSL_CTX_add1_chain_cert(c, (*chain)[i].native()) != 1) {
                return make_error(Errc::invalid_argument, "cannot use intermediate certificate " +
                                                              std::to_string(i) +
                                                              " of our chain: " + openssl_errors());
            }
        }

        std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(
            cfg.tls.private_key_pem.data(), static_cast<int>(cfg.tls.private_key_pem.size())));
        std::unique_ptr<EVP_PKEY, PkeyFree> key(
            bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
        if (!key) {
            ERR_clear_error();
            return make_error(Errc::invalid_argument,
                              "our TLS private key is not an unencrypted PEM private key");
        }
        if (SSL_CTX_use_PrivateKey(c, key.get()) != 1 || SSL_CTX_check_private_key(c) != 1) {
            ERR_clear_error();
            return make_error(Errc::invalid_argument,
                              "our TLS private key does not belong to our certificate (" +
                                  chain->front().subject() + ")");
        }

        auto cas = crypto::Certificate::bundle_from_pem(cfg.tls.trusted_cas_pem);
        if (!cas) {
            return make_error(Errc::invalid_argument,
                              "trusted CA certificates: " + cas.error().message);
        }
        X509_STORE* store = SSL_CTX_get_cert_store(c);
        for (const auto& ca : *cas) {
            if (X509_STORE_add_cert(store, ca.native()) != 1) {
                ERR_clear_error();  // a duplicate CA is harmless
            }
        }
        // Fail here, with the reason, rather than have every peer refuse us at the handshake.
        std::vector<crypto::Certificate> intermediates;
        for (size_t i = 1; i < chain->size(); ++i)
            intermediates.push_back((*chain)[i].clone());
        auto own = crypto::verify_chain(chain->front(), intermediates, *cas, std::time(nullptr));
        if (!own) {
            return make_error(
                Errc::invalid_argument,
                "our TLS certificate does not chain to a trusted CA: " + own.error().message);
        }
        ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
        return {};
    }

    Status check_config() {
        if (!cfg.identify) {
            return make_error(Errc::invalid_argument,
                              "network config: identify (certificate -> node id) is not set");
        }
        if (cfg.max_frame_size == 0 || cfg.max_frame_size > 0xFFFF'FFFEu) {
            return make_error(Errc::invalid_argument,
                              "network config: max_frame_size must be between 1 and 4294967294");
        }
        if (cfg.queue_limit_messages == 0 || cfg.queue_limit_bytes == 0) {
            return make_error(Errc::invalid_argument,
                              "network config: per-peer queue limits must be positive");
        }
        if (cfg.backoff_base.count() <= 0 || cfg.backoff_max < cfg.backoff_base) {
            return make_error(Errc::invalid_argument,
                              "network config: backoff_base must be positive and not above "
                              "backoff_max");
        }
        if (cfg.handshake_timeout.count() <= 0 || cfg.idle_timeout.count() <= 0) {
            return make_error(
                Errc::invalid_argument,
                "network config: handshake_timeout and idle_timeout must be positive");
        }
        const auto now = Clock::now();
        for (const auto& p : cfg.peers) {
            if (p.id == cfg.self) {
                return make_error(
                    Errc::invalid_argument,
                    "network config: the peers to dial include our own id " + std::to_string(p.id));
            }
            if (p.host.empty() || p.port == 0) {
                return make_error(Errc::invalid_argument, "network config: peer " +
                                                              std::to_string(p.id) +
                                                              " needs a host and a non-zero port");
            }
            Peer peer;
            peer.id = p.id;
            peer.dial = p;
            // The connection to keep is the one the lower id dials: give it a head start.
            peer.next_dial = cfg.self < p.id ? now : now + cfg.backoff_base;
            if (!peers.emplace(p.id, std::move(peer)).second) {
                return make_error(
                    Errc::invalid_argument,
                    "network config: peer " + std::to_string(p.id) + " is listed twice");
            }
        }
        auto shortest =
            std::min({cfg.handshake_timeout / 4, cfg.idle_timeout / 6, cfg.backoff_base});
        tick_interval = std::clamp(shortest, milliseconds(5), milliseconds(500));
        return {};
    }

    Status listen() {
        error_code ec;
        auto address = net::ip::make_address(cfg.listen_address, ec);
        if (ec) {
            return make_error(Errc::invalid_argument, "invalid P2P listen address '" +
                                                          cfg.listen_address +
                                                          "': expected an IPv4 or IPv6 address");
        }
        tcp::endpoint endpoint(address, cfg.listen_port);
        acceptor->open(endpoint.protocol(), ec);
        if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
        if (!ec) acceptor->bind(endpoint, ec);
        if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
        if (ec) {
            return make_error(Errc::io, "cannot listen for peers on " + endpoint_text(endpoint) +
                                            ": " + ec.message());
        }
        port = acceptor->local_endpoint(ec).port();
        return {};
    }

    void run() noexcept {
        for (;;) {
            try {
                ioc->run();
                return;
            } catch (const std::exception& e) {
                log(std::string("exception in the transport thread: ") + e.what());
            } catch (...) {
                log("unknown exception in the transport thread");
            }
        }
    }

    void shutdown() {
        std::lock_guard stop_lock(stop_mu);
        if (joined) return;
        joined = true;
        {
            std::lock_guard lock(mu);
            stopped = true;  // from here on nothing is posted to ioc
        }
        ioc->stop();
        if (thread.joinable()) thread.join();
        std::map<PeerId, Peer> dead;
        {
            std::lock_guard lock(mu);
            dead.swap(peers);
        }
        for (auto& [id, peer] : dead)
            peer.link.reset();
        for (const auto& conn : conns) {
            error_code ignored;
            conn->stream.lowest_layer().close(ignored);
        }
        conns.clear();
        acceptor.reset();
        resolver.reset();
        tick_timer.reset();
        accept_timer.reset();
        ioc.reset();  // destroys pending handlers, and with them the last connections
    }

    // ---- helpers ----------------------------------------------------------------------------

    void log(const std::string& line) noexcept {
        try {
            if (cfg.logger) {
                cfg.logger("network: " + line);
            } else {
                std::cerr << "network: " << line << '\n';
            }
        } catch (...) {
        }
    }

    template <typename F>
    void call_handler(const char* what, F&& f) noexcept {
        try {
            f();
        } catch (const std::exception& e) {
            log(std::string("exception in Handler::") + what + ": " + e.what());
        } catch (...) {
            log(std::string("unknown exception in Handler::") + what);
        }
    }

    // REQUIRES: mu held.
    Peer& peer_entry(PeerId id) {
        auto [it, inserted] = peers.try_emplace(id);
        if (inserted) it->second.id = id;
        return it->second;
    }

    // Exponential backoff with jitter in [d/2, d], so peers that lost each other at the same
    // moment do not redial in lockstep. REQUIRES: mu held.
    void schedule_redial(Peer& peer) {
        if (!peer.dial) return;
        const unsigned shift = std::min(peer.attempts, 30u);
        ++peer.attempts;
        auto d = cfg.backoff_base * (int64_t{1} << shift);
        if (d > cfg.backoff_max || d.count() < 0) d = cfg.backoff_max;
        std::uniform_int_distribution<int64_t> jitter(d.count() / 2, d.count());
        peer.next_dial = Clock::now() + milliseconds(jitter(rng));
    }

    std::string who(const Conn& c) const {
        std::string dir = c.outbound ? "outbound connection to " : "inbound connection from ";
        if (c.peer) return dir + "node " + std::to_string(*c.peer) + " at " + c.remote;
        if (c.outbound) return dir + "node " + std::to_string(c.expected) + " at " + c.remote;
        return dir + c.remote;
    }

    // The preferred link between us and a peer is the one dialled by the lower id; of two
    // dialled by the same side, the newer (the older is likely dead on the other end).
    bool prefer(const Conn& a, const Conn& b) const {
        auto lower_dialled = [&](const Conn& c) {
            PeerId dialler = c.outbound ? cfg.self : *c.peer;
            return dialler == std::min(cfg.self, *c.peer);
        };
        bool pa = lower_dialled(a), pb = lower_dialled(b);
        if (pa != pb) return pa;
        return a.serial > b.serial;
    }

    ConnPtr make_conn(tcp::socket socket, bool outbound) {
        auto conn = std::make_shared<Conn>(std::move(socket), ctx, cfg.max_frame_size);
        conn->serial = next_serial++;
        conn->outbound = outbound;
        conns.insert(conn);
        return conn;
    }

    // ---- timers -----------------------------------------------------------------------------

    void tick() {
        tick_timer->expires_after(tick_interval);
        tick_timer->async_wait([this](error_code ec) {
            if (ec) return;
            on_tick();
            tick();
        });
    }

    void on_tick() {
        const auto now = Clock::now();
        std::vector<ConnPtr> snapshot(conns.begin(), conns.end());
        for (const auto& conn : snapshot) {
            if (conn->closed) continue;
            if (!conn->established) {
                if (now - conn->created > cfg.handshake_timeout) {
                    drop(conn,
                         "no TLS handshake and hello within " + ms_text(cfg.handshake_timeout));
                }
            } else if (conn->retiring) {
                if (now > conn->retire_deadline) {
                    close_conn(conn, "the peer did not finish retiring a spare connection", true);
                }
            } else if (now - conn->last_recv > cfg.idle_timeout) {
                drop(conn, "nothing received for " + ms_text(cfg.idle_timeout));
            } else if (now - conn->last_send >= cfg.idle_timeout / 3 && !conn->writing &&
                       conn->control.empty()) {
                conn->control.push_back(Frame{FrameKind::ping, {}});
                pump(conn);
            }
        }
        std::vector<PeerAddress> to_dial;
        {
            std::lock_guard lock(mu);
            for (auto& [id, peer] : peers) {
                if (peer.dial && !peer.link && !peer.dialing && now >= peer.next_dial) {
                    peer.dialing = true;
                    to_dial.push_back(*peer.dial);
                }
            }
        }
        for (const auto& a : to_dial)
            dial(a);
    }

    // ---- connecting -------------------------------------------------------------------------

    void accept() {
        acceptor->async_accept([this](error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted) return;
            if (ec) {
                // Out of file descriptors, most likely: wait rather than spin.
                log("accepting a peer connection failed: " + ec.message());
                accept_timer->expires_after(kAcceptRetryDelay);
                accept_timer->async_wait([this](error_code ec) {
                    if (!ec) accept();
                });
                return;
            }
            on_accept(std::move(socket));
            accept();
        });
    }

    void on_accept(tcp::socket socket) {
        error_code ec;
        auto remote = socket.remote_endpoint(ec);
        std::string remote_text = ec ? "an unknown address" : endpoint_text(remote);
        if (pending_inbound >= cfg.max_pending_handshakes) {
            log("refused inbound connection from " + remote_text + ": already " +
                std::to_string(pending_inbound) + " handshakes in progress");
            socket.close(ec);
            return;
        }
        socket.set_option(tcp::no_delay(true), ec);
        auto conn = make_conn(std::move(socket), false);
        conn->remote = remote_text;
        conn->counted_pending = true;
        ++pending_inbound;
        handshake(conn, ssl::stream_base::server);
    }

    void dial(const PeerAddress& a) {
        auto conn = make_conn(tcp::socket(*ioc), true);
        conn->expected = a.id;
        conn->remote = a.host + ":" + std::to_string(a.port);
        resolver->async_resolve(
            a.host, std::to_string(a.port),
            [this, conn](error_code ec, const tcp::resolver::results_type& results) {
                if (conn->closed) return;
                if (ec) return drop(conn, "cannot resolve the address: " + ec.message());
                net::async_connect(conn->stream.lowest_layer(), results,
                                   [this, conn](error_code ec, const tcp::endpoint&) {
                                       if (conn->closed) return;
                                       if (ec) return drop(conn, "cannot connect: " + ec.message());
                                       error_code ignored;
                                       conn->stream.lowest_layer().set_option(tcp::no_delay(true),
                                                                              ignored);
                                       handshake(conn, ssl::stream_base::client);
                                   });
            });
    }

    void handshake(const ConnPtr& conn, ssl::stream_base::handshake_type type) {
        Conn* raw = conn.get();  // the callback lives inside conn->stream
        conn->stream.set_verify_callback([this, raw](bool preverified, ssl::verify_context& vc) {
            return verify(*raw, preverified, vc.native_handle());
        });
        conn->stream.async_handshake(type, [this, conn](error_code ec) {
            if (conn->closed) return;
            if (ec) {
                return drop(conn, conn->refusal.empty() ? "TLS handshake failed: " + ec.message()
                                                        : conn->refusal);
            }
            conn->tls_done = true;
            conn->control.push_back(Frame{FrameKind::hello, {kProtocolVersion}});
            pump(conn);
            read(conn);
        });
    }

    // OpenSSL's verdict on each certificate of the peer's chain, root first. The leaf (depth 0)
    // must also be a known node: `identify` decides.
    bool verify(Conn& c, bool preverified, X509_STORE_CTX* sc) noexcept {
        try {
            X509* cert = X509_STORE_CTX_get_current_cert(sc);
            const int depth = X509_STORE_CTX_get_error_depth(sc);
            if (!preverified) {
                if (c.refusal.empty()) {
                    c.refusal = std::string("certificate rejected: ") +
                                X509_verify_cert_error_string(X509_STORE_CTX_get_error(sc)) +
                                " (depth " + std::to_string(depth) + ", subject " +
                                subject_of(cert) + ")";
                }
                return false;
            }
            if (depth != 0) return true;
            int len = cert ? i2d_X509(cert, nullptr) : -1;
            if (len <= 0) {
                c.refusal = "cannot encode the peer's certificate";
                return false;
            }
            Bytes der(static_cast<size_t>(len));
            uint8_t* p = der.data();
            i2d_X509(cert, &p);
            auto leaf = crypto::Certificate::from_der(der);
            if (!leaf) {
                c.refusal = "unusable peer certificate: " + leaf.error().message;
                return false;
            }
            auto id = cfg.identify(*leaf);
            if (!id) {
                c.refusal =
                    "not a known node (subject " + leaf->subject() + "): " + id.error().message;
                return false;
            }
            if (*id == cfg.self) {
                c.refusal = "the peer presents a certificate of our own node id " +
                            std::to_string(*id) + " (subject " + leaf->subject() + ")";
                return false;
            }
            if (c.outbound && *id != c.expected) {
                c.refusal = "dialled node " + std::to_string(c.expected) +
                            " but its certificate (subject " + leaf->subject() +
                            ") belongs to node " + std::to_string(*id);
                return false;
            }
            c.peer = *id;
            return true;
        } catch (const std::exception& e) {
            c.refusal = std::string("identifying the peer failed: ") + e.what();
            return false;
        }
    }

    // ---- reading ----------------------------------------------------------------------------

    void read(const ConnPtr& conn) {
        conn->stream.async_read_some(
            net::buffer(conn->read_buf),
            [this, conn](error_code ec, size_t n) { on_read(conn, ec, n); });
    }

    void on_read(const ConnPtr& conn, error_code ec, size_t n) {
        if (conn->closed) return;
        if (ec) {
            bool eof = ec == net::error::eof || ec == ssl::error::stream_truncated;
            return drop(conn, eof ? "connection closed by the peer" : ec.message());
        }
        conn->last_recv = Clock::now();
        std::vector<Frame> frames;
        Status status = conn->decoder.feed(BytesView(conn->read_buf.data(), n), frames);
        for (auto& frame : frames) {
            on_frame(conn, std::move(frame));
            if (conn->closed) return;
        }
        if (!status) return drop(conn, "malformed frame: " + status.error().message);
        read(conn);
    }

    void on_frame(const ConnPtr& conn, Frame frame) {
        if (conn->goodbye_received) return drop(conn, "protocol violation: frame after goodbye");
        if (!conn->established && frame.kind != FrameKind::hello) {
            return drop(conn, "protocol violation: frame before hello");
        }
        switch (frame.kind) {
            case FrameKind::hello:
                if (conn->established) return drop(conn, "protocol violation: second hello");
                if (frame.payload[0] != kProtocolVersion) {
                    return drop(conn, "the peer speaks protocol version " +
                                          std::to_string(frame.payload[0]) + ", we speak " +
                                          std::to_string(kProtocolVersion));
                }
                return on_established(conn);
            case FrameKind::message: {
                const PeerId from = *conn->peer;
                {
                    std::lock_guard lock(mu);
                    ++peer_entry(from).received;
                }
                call_handler("on_message",
                             [&] { handler.on_message(from, std::move(frame.payload)); });
                return;
            }
            case FrameKind::ping:
                return;
            case FrameKind::goodbye:
                conn->goodbye_received = true;
                if (!conn->retiring) {
                    retire(conn);
                } else {
                    maybe_finish_retire(conn);
                }
                return;
        }
    }

    void on_established(const ConnPtr& conn) {
        conn->established = true;
        conn->established_at = Clock::now();
        if (conn->counted_pending) {
            conn->counted_pending = false;
            --pending_inbound;
        }
        const PeerId id = *conn->peer;
        ConnPtr spare, kept;
        bool connected = false;
        {
            std::lock_guard lock(mu);
            Peer& peer = peer_entry(id);
            if (conn->outbound) peer.dialing = false;
            if (!peer.link || prefer(*conn, *peer.link)) {
                spare = std::exchange(peer.link, conn);
                peer.link_remote = conn->remote;
                peer.last_error.clear();
                connected = !peer.reported;
                peer.reported = true;
            } else {
                spare = conn;
            }
            kept = peer.link;
        }
        if (spare) {
            // Both ends dialled at once: each keeps the same one (see prefer) and retires the
            // other.
            log("two connections with node " + std::to_string(id) + ": keeping the " + who(*kept) +
                ", retiring the " + who(*spare));
            retire(spare);
        }
        if (connected) {
            log("connected to node " + std::to_string(id) + " (" + who(*conn) + ")");
            call_handler("on_connected", [&] { handler.on_connected(id); });
        }
        if (!conn->closed) pump(conn);
    }

    // Stops using a connection for new messages: once what is being written is out, a goodbye
    // follows, and the connection closes when the peer's goodbye has arrived too.
    void retire(const ConnPtr& conn) {
        if (conn->retiring || conn->closed) return;
        conn->retiring = true;
        conn->retire_deadline = Clock::now() + cfg.handshake_timeout;
        {
            std::lock_guard lock(mu);
            Peer& peer = peer_entry(*conn->peer);
            // The peer retired our link: its preferred connection should reach us shortly.
            // on_disconnected waits until this one closes without a replacement.
            if (peer.link == conn) peer.link.reset();
        }
        conn->control.push_back(Frame{FrameKind::goodbye, {}});
        conn->goodbye_queued = true;
        pump(conn);
    }

    void maybe_finish_retire(const ConnPtr& conn) {
        if (conn->retiring && conn->goodbye_written && conn->goodbye_received) {
            close_conn(conn, "spare connection retired", true);
        }
    }

    // ---- writing ----------------------------------------------------------------------------

    void kick(PeerId id) {
        ConnPtr conn;
        {
            std::lock_guard lock(mu);
            auto it = peers.find(id);
            if (it == peers.end()) return;
            it->second.kick_pending = false;
            conn = it->second.link;
        }
        if (conn) pump(conn);
    }

    void pump(const ConnPtr& conn) {
        if (conn->closed || conn->writing || !conn->tls_done) return;
        conn->out_headers.clear();
        conn->out_payloads.clear();
        conn->out_messages = 0;
        conn->out_has_goodbye = false;
        while (!conn->control.empty() && conn->out_payloads.size() < kMaxBatch) {
            Frame& f = conn->control.front();
            conn->out_headers.push_back(frame_header(f.kind, f.payload.size()));
            if (f.kind == FrameKind::goodbye) conn->out_has_goodbye = true;
            conn->out_payloads.push_back(std::move(f.payload));
            conn->control.pop_front();
        }
        if (conn->established && !conn->retiring) {
            std::lock_guard lock(mu);
            auto it = peers.find(*conn->peer);
            if (it != peers.end() && it->second.link == conn) {
                Peer& peer = it->second;
                while (!peer.queue.empty() && conn->out_payloads.size() < kMaxBatch) {
                    Bytes& m = peer.queue.front();
                    peer.queued_bytes -= m.size();
                    conn->out_headers.push_back(frame_header(FrameKind::message, m.size()));
                    conn->out_payloads.push_back(std::move(m));
                    peer.queue.pop_front();
                    ++conn->out_messages;
                }
            }
        }
        if (conn->out_payloads.empty()) return;
        std::vector<net::const_buffer> buffers;
        buffers.reserve(conn->out_payloads.size() * 2);
        for (size_t i = 0; i < conn->out_payloads.size(); ++i) {
            buffers.push_back(net::buffer(conn->out_headers[i]));
            if (!conn->out_payloads[i].empty())
                buffers.push_back(net::buffer(conn->out_payloads[i]));
        }
        conn->writing = true;
        conn->last_send = Clock::now();
        net::async_write(conn->stream, buffers,
                         [this, conn](error_code ec, size_t) { on_write(conn, ec); });
    }

    void on_write(const ConnPtr& conn, error_code ec) {
        conn->writing = false;
        if (conn->closed) return;
        if (ec) return drop(conn, "write failed: " + ec.message());
        if (conn->out_messages > 0) {
            std::lock_guard lock(mu);
            peer_entry(*conn->peer).sent += conn->out_messages;
        }
        conn->out_payloads.clear();
        if (conn->out_has_goodbye) {
            conn->goodbye_written = true;
            maybe_finish_retire(conn);
            if (conn->closed) return;
        }
        pump(conn);
    }

    // ---- closing ----------------------------------------------------------------------------

    void drop(const ConnPtr& conn, const std::string& reason) { close_conn(conn, reason, false); }

    void close_conn(const ConnPtr& conn, const std::string& reason, bool quiet) {
        if (conn->closed) return;
        conn->closed = true;
        error_code ignored;
        conn->stream.lowest_layer().close(ignored);
        conns.erase(conn);
        if (conn->counted_pending) {
            conn->counted_pending = false;
            --pending_inbound;
        }
        if (!conn->established) {
            // A dial that failed, or a peer refused before it was identified.
            if (conn->outbound) {
                std::lock_guard lock(mu);
                Peer& peer = peer_entry(conn->expected);
                peer.dialing = false;
                peer.last_error = reason;
                schedule_redial(peer);
            }
            log((conn->outbound ? "cannot connect: " : "refused ") + who(*conn) + ": " + reason);
            return;
        }
        const PeerId id = *conn->peer;
        bool disconnected = false;
        {
            std::lock_guard lock(mu);
            Peer& peer = peer_entry(id);
            if (peer.link == conn) peer.link.reset();
            if (!peer.link && peer.reported) {
                // Backoff starts afresh only after a link that lasted; one that keeps failing
                // soon after the handshake is redialled ever more slowly.
                if (Clock::now() - conn->established_at >= cfg.backoff_max) peer.attempts = 0;
                peer.reported = false;
                peer.last_error = reason;
                disconnected = true;
                schedule_redial(peer);
            }
        }
        if (!quiet || disconnected) log("closed " + who(*conn) + ": " + reason);
        if (disconnected)
            call_handler("on_disconnected", [&] { handler.on_disconnected(id, reason); });
    }

    void disconnect_now(PeerId id, const std::string& reason) {
        ConnPtr conn;
        {
            std::lock_guard lock(mu);
            auto it = peers.find(id);
            if (it != peers.end()) conn = it->second.link;
        }
        if (conn) {
            drop(conn, "disconnected by this node: " + reason);
        } else {
            log("disconnect of node " + std::to_string(id) + " (" + reason + "): no link to drop");
        }
    }
};

// ---- public interface ---------------------------------------------------------------------------

Result<TlsCredentials> TlsCredentials::from_files(const std::filesystem::path& cert_chain,
                                                  const std::filesystem::path& private_key,
                                                  const std::filesystem::path& trusted_cas) {
    TlsCredentials out;
    HC_ASSIGN_OR_RETURN(out.cert_chain_pem, read_file(cert_chain, "TLS certificate"));
    HC_ASSIGN_OR_RETURN(out.private_key_pem, read_file(private_key, "TLS private key"));
    HC_ASSIGN_OR_RETURN(out.trusted_cas_pem, read_file(trusted_cas, "trusted CA certificates"));
    return out;
}

Transport::Transport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Transport::~Transport() {
    stop();
}

Result<std::unique_ptr<Transport>> Transport::start(Config config, Handler& handler) {
    try {
        auto impl = std::make_unique<Impl>(std::move(config), handler);
        HC_TRY(impl->check_config());
        HC_TRY(impl->load_tls());
        HC_TRY(impl->listen());
        Impl* raw = impl.get();
        net::post(*raw->ioc, [raw] {
            raw->accept();
            raw->on_tick();  // dial at once, without waiting for the first tick
            raw->tick();
        });
        raw->thread = std::thread([raw] { raw->run(); });
        return std::unique_ptr<Transport>(new Transport(std::move(impl)));
    } catch (const std::exception& e) {
        return make_error(Errc::internal,
                          std::string("cannot start the P2P transport: ") + e.what());
    }
}

uint16_t Transport::port() const {
    return impl_->port;
}

bool Transport::send(PeerId peer, Bytes payload) {
    Impl& im = *impl_;
    if (payload.size() > im.cfg.max_frame_size) return false;
    std::lock_guard lock(im.mu);
    if (im.stopped) return false;
    auto it = im.peers.find(peer);
    if (it == im.peers.end()) return false;
    Peer& p = it->second;
    if (p.queue.size() >= im.cfg.queue_limit_messages ||
        p.queued_bytes + payload.size() > im.cfg.queue_limit_bytes) {
        return false;
    }
    p.queued_bytes += payload.size();
    p.queue.push_back(std::move(payload));
    if (p.link && !p.kick_pending) {
        p.kick_pending = true;
        net::post(*im.ioc, [&im, peer] { im.kick(peer); });
    }
    return true;
}

size_t Transport::broadcast(const Bytes& payload) {
    std::vector<PeerId> ids;
    {
        std::lock_guard lock(impl_->mu);
        for (const auto& [id, peer] : impl_->peers)
            ids.push_back(id);
    }
    size_t accepted = 0;
    for (PeerId id : ids)
        accepted += send(id, payload) ? 1 : 0;
    return accepted;
}

void Transport::add_trusted_ca(const crypto::Certificate& ca) {
    // The store locks itself, so handshakes in progress on the transport thread are safe.
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(impl_->ctx.native_handle()), ca.native()) != 1)
        ERR_clear_error();  // already trusted
}

void Transport::disconnect(PeerId peer, std::string reason) {
    Impl& im = *impl_;
    std::lock_guard lock(im.mu);
    if (im.stopped) return;
    net::post(*im.ioc,
              [&im, peer, reason = std::move(reason)] { im.disconnect_now(peer, reason); });
}

std::vector<PeerStatus> Transport::peers() const {
    std::lock_guard lock(impl_->mu);
    std::vector<PeerStatus> out;
    out.reserve(impl_->peers.size());
    for (const auto& [id, p] : impl_->peers) {
        PeerStatus s;
        s.id = id;
        s.connected = p.link != nullptr;
        if (p.link) {
            s.address = p.link_remote;
        } else if (p.dial) {
            s.address = p.dial->host + ":" + std::to_string(p.dial->port);
        }
        s.queued_messages = p.queue.size();
        s.queued_bytes = p.queued_bytes;
        s.messages_sent = p.sent;
        s.messages_received = p.received;
        s.last_error = p.last_error;
        out.push_back(std::move(s));
    }
    return out;
}

void Transport::stop() {
    impl_->shutdown();
}

}  // namespace hc::network
