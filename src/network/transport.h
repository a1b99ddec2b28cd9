// The peer-to-peer transport between consortium nodes: TCP with mutual TLS 1.3, carrying
// length-prefixed frames (network/frame.h).
//
// Who may connect. Both ends present certificates. A peer is accepted only if
//   1. its certificate chains to one of the configured organisation CAs (OpenSSL checks the
//      chain, validity times, and that the leaf may act as a TLS client and server: its
//      extendedKeyUsage must allow serverAuth and clientAuth), and
//   2. Config::identify, given the verified leaf, names it as a known node.
// Either failure aborts the TLS handshake (the peer gets an alert) and is logged with the
// reason. Host names are not checked against the certificate: a node's identity is its
// certificate, mapped to an id by `identify`, not the address it was reached at. A dialled peer
// must present the certificate of the id we dialled.
//
// One link per pair. Each node dials the peers in Config::peers and accepts anyone passing the
// checks above. When two connections come up between the same pair (both dialled at once), both
// ends keep the one dialled by the lower id; between two from the same dialler, the newer. The
// spare is retired with a goodbye frame: each side finishes what it was writing on it, and
// reads until the other's goodbye, so nothing in flight is lost. A dropped link is redialled
// with exponential backoff and jitter (by whichever side has the other in Config::peers); the
// backoff resets only after a link has lasted backoff_max, so a peer that keeps getting dropped
// is redialled ever more slowly.
//
// Messages. send() queues a payload for one peer and returns at once. Each peer's queue is
// bounded (Config::queue_limit_messages / queue_limit_bytes): a full queue makes send() return
// false. Queued messages wait for the next link if the peer is disconnected. Messages are
// delivered in order on one link; a message being written when its link breaks is lost, so the
// layers above must tolerate loss (consensus and sync retransmit). A malformed frame or one over
// Config::max_frame_size drops that connection only, with a log line saying why.
//
// Threading. The transport runs one thread of its own. Handler callbacks run on it, one at a
// time; a slow callback delays all peers' I/O. send(), broadcast(), disconnect() and peers()
// may be called from any thread, including from inside a callback. stop() may be called from
// any thread except the transport's own (not from a callback).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "crypto/x509.h"

namespace hc::network {

using PeerId = uint32_t;

// Receives what arrives from peers. Called on the transport's thread (see above).
class Handler {
  public:
    virtual ~Handler() = default;
    virtual void on_message(PeerId from, Bytes payload) = 0;
    // A link to `peer` is up (after the TLS handshake and the hello exchange).
    virtual void on_connected(PeerId /*peer*/) {}
    // The link to `peer` is gone; `why` is the reason, for logs. Not called by stop().
    virtual void on_disconnected(PeerId /*peer*/, const std::string& /*why*/) {}
};

// This node's TLS credentials, as PEM text (what `honeycomb init` writes).
struct TlsCredentials {
    std::string cert_chain_pem;   // our certificate first, then any intermediates
    std::string private_key_pem;  // its private key (unencrypted PKCS#8 or SEC1)
    std::string trusted_cas_pem;  // every organisation CA certificate we accept peers from

    // Reads the three PEM files. Errors name the file that could not be read.
    static Result<TlsCredentials> from_files(const std::filesystem::path& cert_chain,
                                             const std::filesystem::path& private_key,
                                             const std::filesystem::path& trusted_cas);
};

struct PeerAddress {
    PeerId id = 0;
    std::string host;  // a name or an IP address
    uint16_t port = 0;
};

struct Config {
    PeerId self = 0;  // our own id, as `identify` would name our certificate
    TlsCredentials tls;
    // Maps a peer's verified leaf certificate to its node id, or fails for a certificate that
    // belongs to no known node (the message is logged). Called on the transport's thread during
    // handshakes. Required.
    std::function<Result<PeerId>(const crypto::Certificate& leaf)> identify;

    std::string listen_address = "0.0.0.0";  // an IPv4 or IPv6 address
    uint16_t listen_port = 0;                // 0 picks a free port; see Transport::port()
    std::vector<PeerAddress> peers;          // the peers we dial (others may still dial us)

    size_t max_frame_size = 16 * 1024 * 1024;  // largest message payload, sent or received
    size_t queue_limit_messages = 4096;        // per peer
    size_t queue_limit_bytes = 64 * 1024 * 1024;
    std::chrono::milliseconds backoff_base{100};  // first redial delay, doubled per failure
    std::chrono::milliseconds backoff_max{30'000};
    std::chrono::milliseconds handshake_timeout{10'000};  // TCP connect + TLS + hello
    // A link that receives nothing (not even a ping) for this long is dropped; pings go out
    // after a third of it without other traffic.
    std::chrono::milliseconds idle_timeout{30'000};
    size_t max_pending_handshakes = 256;  // inbound connections not yet identified

    // Receives one line per refusal, drop or other noteworthy event, naming the peer and the
    // reason. Default: written to stderr. Called on the transport's thread.
    std::function<void(std::string_view)> logger;
};

struct PeerStatus {
    PeerId id = 0;
    std::string address;  // "host:port" of the link's remote end, or the configured address
    bool connected = false;
    size_t queued_messages = 0;  // waiting to be written
    size_t queued_bytes = 0;
    uint64_t messages_sent = 0;
    uint64_t messages_received = 0;
    std::string last_error;  // why the last link or dial attempt ended; "" if none
};

class Transport {
  public:
    // Loads the credentials, binds the listen address, starts the thread and begins dialling.
    // Fails with Errc::invalid_argument for unusable configuration (bad PEM, a key that does not
    // match the certificate, our certificate not chaining to a trusted CA, bad listen address,
    // our own id among the peers) and Errc::io when the port cannot be bound.
    // REQUIRES: handler outlives the transport.
    static Result<std::unique_ptr<Transport>> start(Config config, Handler& handler);

    ~Transport();  // stop()
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // The bound listen port (the chosen one when configured with 0).
    uint16_t port() const;

    // Queues `payload` for `peer`. False (and nothing queued) when the peer is unknown (neither
    // configured nor ever connected), the payload exceeds max_frame_size, the peer's queue is
    // full, or the transport is stopped.
    bool send(PeerId peer, Bytes payload);
    // send() to every known peer, connected or not; returns how many accepted it.
    size_t broadcast(const Bytes& payload);
    // Drops the link to `peer` (e.g. it sent something the node could not decode), logging
    // `reason` and reporting it through on_disconnected. The peer is redialled with backoff
    // like after any drop; to keep a node out for good, make `identify` refuse it.
    void disconnect(PeerId peer, std::string reason);

    // Trusts one more CA from now on (an organisation that joined the consortium): peers whose
    // certificates chain to it pass the TLS check, and then `identify` decides. Any thread.
    void add_trusted_ca(const crypto::Certificate& ca);

    // Every known peer, by id.
    std::vector<PeerStatus> peers() const;

    // Closes the listener and every connection and joins the thread. No callback runs after it
    // returns. Idempotent. REQUIRES: not called on the transport's thread.
    void stop();

  private:
    struct Impl;
    explicit Transport(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace hc::network
