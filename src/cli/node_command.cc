#include "cli/node_command.h"

#include <pthread.h>

#include <cstdio>
#include <ctime>

#include "common/log.h"
#include "consensus/signer.h"
#include "crypto/cert_issuer.h"
#include "network/transport.h"
#include "node/consortium_config.h"
#include "node/eth_api.h"
#include "node/node.h"
#include "rpc/server.h"

namespace hc::cli {

namespace {

int fail(const std::string& message) {
    std::fprintf(stderr, "honeycomb node: %s\n", message.c_str());
    return 1;
}

// Sends the driver's frames through the transport.
class TransportLink final : public node::PeerLink {
  public:
    void send(node::ValidatorIndex to, Bytes frame) override {
        if (transport) transport->send(to, std::move(frame));
    }
    void broadcast(Bytes frame) override {
        if (transport) transport->broadcast(frame);
    }
    void disconnect(node::ValidatorIndex peer, const std::string& why) override {
        if (transport) transport->disconnect(peer, why);
    }
    network::Transport* transport = nullptr;
};

// Hands what peers send to the node's consensus driver.
class ToDriver final : public network::Handler {
  public:
    void on_message(network::PeerId from, Bytes payload) override {
        if (driver) driver->on_frame(from, std::move(payload));
    }
    void on_connected(network::PeerId peer) override {
        log::info("network", "peer connected", {{"peer", peer}});
    }
    void on_disconnected(network::PeerId peer, const std::string& why) override {
        log::info("network", "peer disconnected", {{"peer", peer}, {"reason", why}});
    }
    node::ConsensusDriver* driver = nullptr;
};

}  // namespace

int run_node(const std::filesystem::path& config_path, const sigset_t& signals) {
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    auto identity = node::load_node_identity(config_path, now);
    if (!identity) return fail(identity.error().message);
    const node::ConsortiumGenesis& genesis = identity->genesis;
    const node::ConsortiumNodeConfig& config = identity->config;
    log::set_level(config.log_level);

    // Consensus identity.
    std::vector<crypto::PublicKey> keys;
    std::vector<node::ValidatorInfo> validators;
    for (const auto& v : genesis.validators) {
        keys.push_back(v.consensus_key);
        validators.push_back({v.consensus_key, node::validator_address(v.consensus_key)});
    }
    consensus::P256Signer signer(std::move(identity->consensus_key), keys);
    TransportLink link;
    ToDriver handler;

    node::NodeConfig node_config;
    node_config.data_dir = config.data_dir;
    node_config.chain = node::to_chain_config(genesis);
    node::ConsensusSetup setup;
    setup.committee.chain_id = genesis.chain_id;
    setup.committee.size = static_cast<uint32_t>(genesis.validators.size());
    setup.self = static_cast<node::ValidatorIndex>(identity->validator_index);
    setup.validators = validators;
    setup.signer = &signer;
    setup.link = genesis.validators.size() > 1 ? &link : nullptr;
    node_config.settings.base_timeout_ms = config.tuning.round_timeout_ms;
    node_config.settings.max_timeout_ms = config.tuning.max_round_timeout_ms;
    node_config.settings.max_block_txs = config.tuning.max_block_txs;
    node_config.settings.gossip_batch_txs = config.tuning.batch_size;
    node_config.settings.gossip_interval_ms = config.tuning.batch_interval_ms;
    node_config.consensus = setup;
    auto node = node::Node::open(node_config);
    if (!node) return fail(node.error().to_string());
    handler.driver = &(*node)->driver();

    // The P2P transport: mutual TLS with the organisations' CAs from the genesis.
    std::unique_ptr<network::Transport> transport;
    if (genesis.validators.size() > 1) {
        network::Config net;
        net.self = setup.self;
        auto creds =
            network::TlsCredentials::from_files(config.tls_cert, config.tls_key, config.tls_cert);
        if (!creds) return fail(creds.error().message);
        net.tls = std::move(*creds);
        net.tls.trusted_cas_pem.clear();
        for (const auto& ca : identity->trusted_cas)
            net.tls.trusted_cas_pem += ca.to_pem();
        net.identify = [&genesis](const crypto::Certificate& leaf) -> Result<network::PeerId> {
            const std::string name = crypto::subject_common_name(leaf);
            auto index = genesis.validator_index(name);
            if (!index)
                return make_error(Errc::crypto,
                                  "\"" + name + "\" is not a validator of this consortium");
            const auto& v = genesis.validators[*index];
            const std::string org = crypto::subject_organisation(leaf);
            if (org != v.organisation)
                return make_error(Errc::crypto,
                                  "certificate of " + v.name + " names organisation \"" + org +
                                      "\", but the genesis puts it in " + v.organisation);
            const auto* home = genesis.organisation(v.organisation);
            auto ca = home ? crypto::Certificate::from_der(home->ca_cert_der)
                           : Result<crypto::Certificate>(make_error(Errc::internal, "no CA"));
            if (!ca) return ca.error();
            const crypto::Certificate trusted[] = {std::move(*ca)};
            if (Status s = crypto::verify_chain(leaf, {}, trusted, std::time(nullptr)); !s)
                return make_error(Errc::crypto, "certificate of " + v.name +
                                                    " is not from the CA of " + v.organisation +
                                                    ": " + s.error().message);
            return static_cast<network::PeerId>(*index);
        };
        net.listen_address = config.p2p_listen.host;
        net.listen_port = config.p2p_listen.port;
        for (const auto& peer : config.peers) {
            auto index = genesis.validator_index(peer.name);
            if (!index) return fail("peer " + peer.name + " is not a validator");
            net.peers.push_back(
                {static_cast<network::PeerId>(*index), peer.address.host, peer.address.port});
        }
        net.logger = [](std::string_view line) { log::info("network", std::string(line)); };
        auto started = network::Transport::start(std::move(net), handler);
        if (!started) return fail(started.error().message);
        transport = std::move(*started);
        link.transport = transport.get();
        (*node)->metrics_registry().gauge("hc_peers_connected", "Peers with an open link", [&] {
            size_t up = 0;
            for (const auto& p : transport->peers())
                up += p.connected;
            return double(up);
        });
    }

    // JSON-RPC and /metrics.
    node::EthApiConfig api_config;
    api_config.client_version = "honeycomb/node";
    node::EthApi api(**node, api_config);
    rpc::Limits limits;
    rpc::Dispatcher dispatcher(limits);
    api.register_methods(dispatcher);
    rpc::ServerConfig server_config;
    server_config.address = config.rpc_address.host;
    server_config.port = config.rpc_address.port;
    server_config.limits = limits;
    server_config.metrics = [&n = **node] { return n.metrics().render(); };
    server_config.logger = [](std::string_view line) { log::warn("rpc", std::string(line)); };
    auto server = rpc::Server::start(server_config, dispatcher);
    if (!server) return fail(server.error().message);

    (*node)->on_block([](const chain::CommittedBlock& b) {
        log::info("node", "block committed",
                  {{"number", b.block.header.number},
                   {"txs", b.block.transactions.size()},
                   {"hash", b.hash.hex()}});
    });
    (*node)->start();
    std::printf("honeycomb node %s (validator %zu of %zu): head block %llu\n", config.name.c_str(),
                identity->validator_index, genesis.validators.size(),
                static_cast<unsigned long long>((*node)->chain().head_number()));
    std::printf("JSON-RPC listening on http://%s:%u and ws://%s:%u\n",
                config.rpc_address.host.c_str(), (*server)->port(), config.rpc_address.host.c_str(),
                (*server)->port());
    std::fflush(stdout);

    int sig = 0;
    sigwait(&signals, &sig);
    log::info("node", "shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
    (*server)->stop();
    (*node)->stop();
    if (transport) transport->stop();
    return 0;
}

}  // namespace hc::cli
