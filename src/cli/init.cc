#include "cli/init.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "crypto/cert_issuer.h"
#include "crypto/secp256k1.h"
#include "node/consortium_config.h"
#include "node/dev_accounts.h"

namespace hc::cli {

namespace {

namespace fs = std::filesystem;

constexpr int64_t kDay = 86400;
// Certificates start an hour back, so a node whose clock runs a little behind the machine that
// ran init still accepts them.
constexpr int64_t kClockSkewAllowance = 3600;
// 10000 ether in wei, what `honeycomb dev` gives each development account.
constexpr const char* kDevPrefundWei = "10000000000000000000000";

Error bad_option(const std::string& message) {
    return make_error(Errc::invalid_argument, message);
}

Status check_port_range(const char* option, uint64_t first, uint64_t count) {
    if (first < 1 || first + count - 1 > 65535)
        return bad_option(std::string(option) + " " + std::to_string(first) + " gives ports " +
                          std::to_string(first) + ".." + std::to_string(first + count - 1) +
                          " for " + std::to_string(count) +
                          " nodes; they must lie within 1..65535");
    return {};
}

Status check_options(const InitOptions& o) {
    if (o.orgs < 1) return bad_option("--orgs must be at least 1");
    if (o.nodes_per_org < 1) return bad_option("--nodes-per-org must be at least 1");
    if (o.orgs > kMaxInitNodes || o.nodes_per_org > kMaxInitNodes ||
        o.orgs * o.nodes_per_org > kMaxInitNodes)
        return bad_option("--orgs times --nodes-per-org must be at most " +
                          std::to_string(kMaxInitNodes));
    if (o.out.empty())
        return bad_option("--out is required: the directory to write the network to");
    const uint64_t n = o.orgs * o.nodes_per_org;
    HC_TRY(check_port_range("--base-port", o.base_port, n));
    HC_TRY(check_port_range("--rpc-port", o.rpc_port, n));
    if (o.base_port < o.rpc_port + n && o.rpc_port < o.base_port + n)
        return bad_option("p2p ports " + std::to_string(o.base_port) + ".." +
                          std::to_string(o.base_port + n - 1) + " and RPC ports " +
                          std::to_string(o.rpc_port) + ".." + std::to_string(o.rpc_port + n - 1) +
                          " overlap; choose another --base-port or --rpc-port");
    if (o.chain_id < 1) return bad_option("--chain-id must be at least 1");
    if (!crypto::is_ip_literal(o.host) && !crypto::is_dns_name(o.host))
        return bad_option("--host \"" + o.host + "\" is neither an IP address nor a host name");
    if (o.block_gas_limit < 21000) return bad_option("--block-gas-limit must be at least 21000");
    if (auto price = uint256::from_string(o.min_gas_price); !price)
        return bad_option("--min-gas-price: " + price.error().message);
    if (o.ca_validity_days < 1 || o.cert_validity_days < 1 || o.ca_validity_days > 100 * 365)
        return bad_option("certificate validity must be 1 day to 100 years");
    return {};
}

std::string org_name(uint64_t i) {
    return "org" + std::to_string(i + 1);
}

Status write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << text;
    out.flush();
    if (!out) return make_error(Errc::io, "cannot write " + path.string());
    return {};
}

Status make_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_error(Errc::io, "cannot create " + dir.string() + ": " + ec.message());
    return {};
}

// Everything generated, before any of it is written.
struct NodeMaterial {
    node::Validator validator;
    crypto::KeyedCertificate tls;
    crypto::PrivateKey consensus_key;
};

}  // namespace

Result<InitSummary> run_init(const InitOptions& o) {
    HC_TRY(check_options(o));
    std::error_code ec;
    const fs::path out = fs::absolute(o.out, ec).lexically_normal();
    if (ec) return make_error(Errc::io, "cannot resolve " + o.out.string() + ": " + ec.message());
    if (fs::exists(out, ec)) {
        if (!fs::is_directory(out, ec))
            return bad_option("--out " + out.string() + " exists and is not a directory");
        if (!fs::is_empty(out, ec) && !o.force)
            return bad_option("--out " + out.string() +
                              " is not empty; pass --force to replace its genesis.json, orgs/ "
                              "and nodes/ (node data under nodes/ is deleted; other files stay)");
    }

    const int64_t now = o.now != 0 ? o.now : static_cast<int64_t>(std::time(nullptr));
    const int64_t not_before = std::max<int64_t>(0, now - kClockSkewAllowance);
    const int64_t ca_not_after = now + static_cast<int64_t>(o.ca_validity_days) * kDay;
    const int64_t cert_not_after =
        std::min(ca_not_after, now + static_cast<int64_t>(o.cert_validity_days) * kDay);
    std::string host = o.host;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);

    // Generate every key and certificate first: a failure leaves the directory untouched.
    node::ConsortiumGenesis genesis;
    genesis.chain_id = o.chain_id;
    genesis.block_gas_limit = o.block_gas_limit;
    genesis.min_gas_price = *uint256::from_string(o.min_gas_price);
    genesis.timestamp = static_cast<uint64_t>(now);
    const uint256 prefund = *uint256::from_string(kDevPrefundWei);
    for (const auto& a : node::kDevAccounts) {
        auto address = parse_address(a.address);
        if (!address)
            return make_error(Errc::internal, "bad dev account " + std::string(a.address));
        genesis.alloc.push_back({*address, prefund});
    }

    std::vector<crypto::KeyedCertificate> cas;
    std::vector<crypto::KeyedMemberCertificate> admins;
    std::vector<NodeMaterial> nodes;
    for (uint64_t org = 0; org < o.orgs; ++org) {
        const std::string name = org_name(org);
        auto ca = crypto::create_organisation_ca({name, not_before, ca_not_after});
        if (!ca) return make_error(ca.error().code, "CA of " + name + ": " + ca.error().message);
        genesis.organisations.push_back({name, ca->cert.der()});
        // Each organisation starts with one admin, enrolled and funded in the genesis, so that it
        // can enrol its members and vote from block 1.
        auto admin =
            crypto::issue_member_certificate(ca->cert, ca->key,
                                             {name, std::string(crypto::kMemberRoleAdmin),
                                              name + "-admin", not_before, cert_not_after});
        if (!admin)
            return make_error(admin.error().code,
                              "admin certificate of " + name + ": " + admin.error().message);
        HC_ASSIGN_OR_RETURN(Address admin_address, crypto::secp256k1_address(admin->private_key));
        genesis.alloc.push_back({admin_address, prefund});
        genesis.governance.members.push_back({admin_address, name, governance::Role::admin});
        admins.push_back(std::move(*admin));
        for (uint64_t k = 0; k < o.nodes_per_org; ++k) {
            const std::string node_name = name + "-node" + std::to_string(k + 1);
            crypto::NodeCertSpec spec{name, node_name, {host}, not_before, cert_not_after};
            auto tls = crypto::issue_node_certificate(ca->cert, ca->key, spec);
            if (!tls)
                return make_error(tls.error().code,
                                  "TLS certificate of " + node_name + ": " + tls.error().message);
            auto consensus = crypto::PrivateKey::generate(crypto::SigAlgo::p256);
            if (!consensus) return consensus.error();
            node::Validator v;
            v.name = node_name;
            v.organisation = name;
            v.consensus_key = consensus->public_key();
            v.p2p_address = {host, static_cast<uint16_t>(o.base_port + nodes.size())};
            nodes.push_back({std::move(v), std::move(*tls), std::move(*consensus)});
        }
        cas.push_back(std::move(*ca));
    }
    for (const auto& n : nodes)
        genesis.validators.push_back(n.validator);
    // The development accounts, prefunded above for a local network, are its clients too: spread
    // over the organisations, so the demo and load tests run on a permissioned chain.
    for (size_t i = 0; i < node::kDevAccounts.size(); ++i)
        genesis.governance.members.push_back(
            {node::dev_address(i), org_name(i % o.orgs), governance::Role::client});

    // What init writes must load: check the genesis through the same parser the nodes use.
    const std::string genesis_text = node::consortium_genesis_to_json(genesis);
    if (auto reparsed = node::parse_consortium_genesis(genesis_text); !reparsed)
        return make_error(Errc::internal,
                          "generated genesis does not load: " + reparsed.error().message);

    if (o.force) {
        for (const char* part : {"genesis.json", "orgs", "nodes"}) {
            fs::remove_all(out / part, ec);
            if (ec)
                return make_error(Errc::io,
                                  "cannot remove " + (out / part).string() + ": " + ec.message());
        }
    }

    InitSummary summary;
    summary.out = out;
    summary.genesis = out / "genesis.json";
    summary.consortium_id = node::consortium_id(genesis);
    summary.chain_id = genesis.chain_id;
    HC_TRY(make_dir(out));
    HC_TRY(node::save_consortium_genesis(summary.genesis, genesis));

    for (uint64_t org = 0; org < o.orgs; ++org) {
        const fs::path dir = out / "orgs" / org_name(org);
        HC_TRY(make_dir(dir));
        HC_TRY(write_text(dir / "ca.pem", cas[org].cert.to_pem()));
        HC_TRY(crypto::write_private_key_pem(dir / "ca.key", cas[org].key));
        HC_TRY(write_text(dir / "admin.pem", admins[org].cert.to_pem()));
        HC_TRY(crypto::write_member_key(dir / "admin.key", admins[org].private_key));
        summary.organisations.push_back(org_name(org));
    }

    for (size_t i = 0; i < nodes.size(); ++i) {
        const NodeMaterial& n = nodes[i];
        const fs::path dir = out / "nodes" / n.validator.name;
        HC_TRY(make_dir(dir));
        HC_TRY(write_text(dir / "tls.pem", n.tls.cert.to_pem()));
        HC_TRY(crypto::write_private_key_pem(dir / "tls.key", n.tls.key));
        HC_TRY(crypto::write_consensus_key(dir / "consensus.key", n.consensus_key));

        node::ConsortiumNodeConfig config;
        config.name = n.validator.name;
        config.genesis = summary.genesis;
        config.data_dir = dir / "data";
        config.p2p_listen = n.validator.p2p_address;
        config.rpc_address = {host, static_cast<uint16_t>(o.rpc_port + i)};
        for (const auto& peer : nodes)
            if (peer.validator.name != n.validator.name)
                config.peers.push_back({peer.validator.name, peer.validator.p2p_address});
        config.tls_cert = dir / "tls.pem";
        config.tls_key = dir / "tls.key";
        config.consensus_key = dir / "consensus.key";
        const fs::path node_json = dir / "node.json";
        HC_TRY(node::save_node_config(node_json, config));

        summary.nodes.push_back({n.validator.name, n.validator.organisation, dir, node_json,
                                 config.p2p_listen.to_string(), config.rpc_address.to_string()});
    }
    return summary;
}

std::string format_init_summary(const InitSummary& s) {
    std::ostringstream out;
    out << "Consortium network written to " << s.out.string() << "\n";
    out << "  chain id " << s.chain_id << ", consortium id " << s.consortium_id.hex() << "\n";
    out << "  genesis        " << s.genesis.string() << "\n";
    out << "  organisations  ";
    for (size_t i = 0; i < s.organisations.size(); ++i)
        out << (i ? ", " : "") << s.organisations[i];
    out << "  (CA in orgs/<org>/ca.pem, key ca.key)\n\n";
    size_t width = 4;
    for (const auto& n : s.nodes)
        width = std::max(width, n.name.size());
    char line[512];
    std::snprintf(line, sizeof line, "  %-5s %-*s  %-21s  %-21s  %s\n", "index",
                  static_cast<int>(width), "node", "p2p", "rpc (http, ws)", "config");
    out << line;
    for (size_t i = 0; i < s.nodes.size(); ++i) {
        const auto& n = s.nodes[i];
        std::snprintf(line, sizeof line, "  %-5zu %-*s  %-21s  %-21s  %s\n", i,
                      static_cast<int>(width), n.name.c_str(), n.p2p_address.c_str(),
                      n.rpc_address.c_str(), n.node_json.lexically_relative(s.out).c_str());
        out << line;
    }
    out << "\nEach node directory holds node.json, tls.pem, tls.key and consensus.key; keys are\n"
           "mode 0600. The ten development accounts of `honeycomb dev` are funded with 10000\n"
           "ether each: their keys are public, so use this network for local testing only.\n";
    return out.str();
}

CLI::App* add_init_command(CLI::App& app, InitOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "init",
        "Generate a local consortium network: CAs, node certificates, keys, genesis "
        "and node configs");
    cmd->add_option("--orgs", o.orgs, "Number of organisations (org1..orgN), each with its CA")
        ->required();
    cmd->add_option("--nodes-per-org", o.nodes_per_org, "Validator nodes per organisation")
        ->capture_default_str();
    cmd->add_option("--out", o.out, "Directory to write the network to")->required();
    cmd->add_option("--base-port", o.base_port, "P2P port of validator 0; validator i uses +i")
        ->capture_default_str();
    cmd->add_option("--rpc-port", o.rpc_port, "JSON-RPC port of validator 0; validator i uses +i")
        ->capture_default_str();
    cmd->add_option("--chain-id", o.chain_id, "EIP-155 chain id")->capture_default_str();
    cmd->add_option("--host", o.host,
                    "Host or IP the nodes listen on and reach each other by (also put in their "
                    "TLS certificates)")
        ->capture_default_str();
    cmd->add_option("--min-gas-price", o.min_gas_price,
                    "Minimum gas price in wei, also the constant base fee; 0 runs free")
        ->capture_default_str();
    cmd->add_option("--block-gas-limit", o.block_gas_limit, "Gas per block")->capture_default_str();
    cmd->add_option("--ca-validity-days", o.ca_validity_days, "Lifetime of each organisation CA")
        ->capture_default_str();
    cmd->add_option("--cert-validity-days", o.cert_validity_days,
                    "Lifetime of each node TLS certificate (at most the CA's)")
        ->capture_default_str();
    cmd->add_flag("--force", o.force,
                  "Replace genesis.json, orgs/ and nodes/ in a non-empty --out directory");
    return cmd;
}

int run_init_command(const InitOptions& options) {
    auto summary = run_init(options);
    if (!summary) {
        std::fprintf(stderr, "honeycomb init: %s\n", summary.error().message.c_str());
        return 1;
    }
    std::fputs(format_init_summary(*summary).c_str(), stdout);
    return 0;
}

}  // namespace hc::cli
