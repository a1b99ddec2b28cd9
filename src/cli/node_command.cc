#include "cli/node_command.h"

#include <pthread.h>

#include <cstdio>
#include <ctime>

#include "common/log.h"
#include "consensus/signer.h"
#include "crypto/cert_issuer.h"
#include "network/transport.h"
#include "node/consortium_config.h"
#include "node/epoch.h"
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
    void send(node::PeerId to, Bytes frame) override {
        if (transport) transport->send(to, std::move(frame));
    }
    void disconnect(node::PeerId peer, const std::string& why) override {
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

// Who may connect: a node of the consortium's current node set, or of the set a vote has
// decided on (so that an added node can sync before its epoch starts), with a certificate from
// its organisation's CA as the chain's governance lists it now.
Result<network::PeerId> identify_peer(const chain::Chain& chain, const crypto::Certificate& leaf) {
    const std::string name = crypto::subject_common_name(leaf);
    auto governance = chain.governance();
    if (!governance) return make_error(Errc::internal, "the chain has no governance state");
    const governance::ConsensusNode* node = nullptr;
    for (const auto& n : governance->nodes)
        if (n.name == name) node = &n;
    if (!node && governance->pending_nodes)
        for (const auto& n : governance->pending_nodes->nodes)
            if (n.name == name) node = &n;
    if (!node)
        return make_error(Errc::crypto,
                          "\"" + name + "\" is not a consensus node of this consortium");
    const std::string org = crypto::subject_organisation(leaf);
    if (org != node->org)
        return make_error(Errc::crypto, "certificate of " + name + " names organisation \"" + org +
                                            "\", but the consortium puts it in " + node->org);
    const governance::Organisation* home = governance->org(node->org);
    if (!home) return make_error(Errc::crypto, "organisation " + node->org + " is gone");
    std::vector<crypto::Certificate> cas;
    for (const Bytes& der : home->ca_certs)
        if (auto ca = crypto::Certificate::from_der(der)) cas.push_back(std::move(*ca));
    if (Status s = crypto::verify_chain(leaf, {}, cas, std::time(nullptr)); !s)
        return make_error(Errc::crypto, "certificate of " + name + " is not from a CA of " +
                                            node->org + ": " + s.error().message);
    return node::peer_id_of(name);
}

// Every CA certificate the governance lists, for the TLS layer's first check.
std::vector<crypto::Certificate> governance_cas(const governance::GovernanceState& governance) {
    std::vector<crypto::Certificate> out;
    for (const auto& org : governance.orgs)
        for (const Bytes& der : org.ca_certs)
            if (auto ca = crypto::Certificate::from_der(der)) out.push_back(std::move(*ca));
    return out;
}

}  // namespace

int run_node(const std::filesystem::path& config_path, const sigset_t& signals) {
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    auto identity = node::load_node_identity(config_path, now);
    if (!identity) return fail(identity.error().message);
    const node::ConsortiumGenesis& genesis = identity->genesis;
    const node::ConsortiumNodeConfig& config = identity->config;
    log::set_level(config.log_level);

    TransportLink link;
    ToDriver handler;
    node::NodeConfig node_config;
    node_config.data_dir = config.data_dir;
    node_config.chain = node::to_chain_config(genesis);
    node_config.settings.base_timeout_ms = config.tuning.round_timeout_ms;
    node_config.settings.max_timeout_ms = config.tuning.max_round_timeout_ms;
    node_config.settings.max_block_txs = config.tuning.max_block_txs;
    node_config.settings.gossip_batch_txs = config.tuning.batch_size;
    node_config.settings.gossip_interval_ms = config.tuning.batch_interval_ms;
    node_config.consensus = node::ConsensusSetup{
        config.name, std::make_shared<crypto::PrivateKey>(std::move(identity->consensus_key)),
        &link};
    auto node = node::Node::open(std::move(node_config));
    if (!node) return fail(node.error().to_string());
    handler.driver = &(*node)->driver();
    const chain::Chain& chain = (*node)->chain();

    // The P2P transport: mutual TLS with the organisations' CAs, as the genesis and then the
    // governance list them.
    network::Config net;
    net.self = node::peer_id_of(config.name);
    auto creds =
        network::TlsCredentials::from_files(config.tls_cert, config.tls_key, config.tls_cert);
    if (!creds) return fail(creds.error().message);
    net.tls = std::move(*creds);
    net.tls.trusted_cas_pem.clear();
    for (const auto& ca : identity->trusted_cas)
        net.tls.trusted_cas_pem += ca.to_pem();
    auto governance = chain.governance();
    if (governance)
        for (const auto& ca : governance_cas(*governance))
            net.tls.trusted_cas_pem += ca.to_pem();
    net.identify = [&chain](const crypto::Certificate& leaf) { return identify_peer(chain, leaf); };
    net.listen_address = config.p2p_listen.host;
    net.listen_port = config.p2p_listen.port;
    for (const auto& peer : config.peers)
        net.peers.push_back({node::peer_id_of(peer.name), peer.address.host, peer.address.port});
    net.logger = [](std::string_view line) { log::info("network", std::string(line)); };
    auto started = network::Transport::start(std::move(net), handler);
    if (!started) return fail(started.error().message);
    std::unique_ptr<network::Transport> transport = std::move(*started);
    link.transport = transport.get();
    (*node)->metrics_registry().gauge("hc_peers_connected", "Peers with an open link", [&] {
        size_t up = 0;
        for (const auto& p : transport->peers())
            up += p.connected;
        return double(up);
    });
    // An organisation a vote adds is trusted from the block that adds it.
    (*node)->on_block([&, seen = governance](const chain::CommittedBlock&) mutable {
        auto now_governance = chain.governance();
        if (!now_governance || now_governance == seen) return;
        seen = now_governance;
        for (const auto& ca : governance_cas(*now_governance))
            transport->add_trusted_ca(ca);
    });

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
    const auto& driver = (*node)->driver();
    std::printf("honeycomb node %s (%s in epoch %llu): head block %llu\n", config.name.c_str(),
                driver.voting() ? "validator" : "not in the consensus set yet, following",
                static_cast<unsigned long long>(driver.epoch()),
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
    transport->stop();
    return 0;
}

}  // namespace hc::cli
