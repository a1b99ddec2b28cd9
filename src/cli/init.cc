#include "cli/init.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/address.h"
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

struct OrgMaterial {
    crypto::KeyedCertificate ca;
    crypto::KeyedMemberCertificate admin;  // the organisation's first admin
};

// Validity windows of what one run issues.
struct Validity {
    int64_t not_before = 0;
    int64_t ca_not_after = 0;
    int64_t cert_not_after = 0;
};

Validity validity(int64_t now_option, uint64_t ca_days, uint64_t cert_days) {
    const int64_t now = now_option != 0 ? now_option : static_cast<int64_t>(std::time(nullptr));
    Validity v;
    v.not_before = std::max<int64_t>(0, now - kClockSkewAllowance);
    v.ca_not_after = now + static_cast<int64_t>(ca_days) * kDay;
    v.cert_not_after = std::min(v.ca_not_after, now + static_cast<int64_t>(cert_days) * kDay);
    return v;
}

std::string bare_host(std::string host) {
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    return host;
}

Result<OrgMaterial> make_organisation(const std::string& name, const Validity& v) {
    auto ca = crypto::create_organisation_ca({name, v.not_before, v.ca_not_after});
    if (!ca) return make_error(ca.error().code, "CA of " + name + ": " + ca.error().message);
    auto admin =
        crypto::issue_member_certificate(ca->cert, ca->key,
                                         {name, std::string(crypto::kMemberRoleAdmin),
                                          name + "-admin", v.not_before, v.cert_not_after});
    if (!admin)
        return make_error(admin.error().code,
                          "admin certificate of " + name + ": " + admin.error().message);
    return OrgMaterial{std::move(*ca), std::move(*admin)};
}

Result<NodeMaterial> make_node(const crypto::KeyedCertificate& ca, const std::string& org,
                               const std::string& node_name, const std::string& host,
                               uint16_t p2p_port, const Validity& v) {
    crypto::NodeCertSpec spec{org, node_name, {host}, v.not_before, v.cert_not_after};
    auto tls = crypto::issue_node_certificate(ca.cert, ca.key, spec);
    if (!tls)
        return make_error(tls.error().code,
                          "TLS certificate of " + node_name + ": " + tls.error().message);
    HC_ASSIGN_OR_RETURN(auto consensus, crypto::PrivateKey::generate(crypto::SigAlgo::p256));
    node::Validator validator;
    validator.name = node_name;
    validator.organisation = org;
    validator.consensus_key = consensus.public_key();
    validator.p2p_address = {host, p2p_port};
    return NodeMaterial{std::move(validator), std::move(*tls), std::move(consensus)};
}

// DIR/orgs/<org>/: ca.pem, ca.key, admin.pem, admin.key.
Status write_organisation(const fs::path& dir, const OrgMaterial& org) {
    HC_TRY(make_dir(dir));
    HC_TRY(write_text(dir / "ca.pem", org.ca.cert.to_pem()));
    HC_TRY(crypto::write_private_key_pem(dir / "ca.key", org.ca.key));
    HC_TRY(write_text(dir / "admin.pem", org.admin.cert.to_pem()));
    return crypto::write_member_key(dir / "admin.key", org.admin.private_key);
}

// DIR/nodes/<node>/: tls.pem, tls.key, consensus.key and node.json (`config` with its name,
// data directory, listen address and key paths filled in here).
Result<InitNode> write_node(const fs::path& nodes_dir, const NodeMaterial& n,
                            node::ConsortiumNodeConfig config) {
    const fs::path dir = nodes_dir / n.validator.name;
    HC_TRY(make_dir(dir));
    HC_TRY(write_text(dir / "tls.pem", n.tls.cert.to_pem()));
    HC_TRY(crypto::write_private_key_pem(dir / "tls.key", n.tls.key));
    HC_TRY(crypto::write_consensus_key(dir / "consensus.key", n.consensus_key));
    config.name = n.validator.name;
    config.data_dir = dir / "data";
    config.p2p_listen = n.validator.p2p_address;
    config.tls_cert = dir / "tls.pem";
    config.tls_key = dir / "tls.key";
    config.consensus_key = dir / "consensus.key";
    const fs::path node_json = dir / "node.json";
    HC_TRY(node::save_node_config(node_json, config));
    return InitNode{
        n.validator.name, n.validator.organisation,      dir,
        node_json,        config.p2p_listen.to_string(), config.rpc_address.to_string()};
}

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
    const Validity times = validity(now, o.ca_validity_days, o.cert_validity_days);
    const std::string host = bare_host(o.host);

    // Generate every key and certificate first: a failure leaves the directory untouched.
    node::ConsortiumGenesis genesis;
    genesis.chain_id = o.chain_id;
    genesis.block_gas_limit = o.block_gas_limit;
    genesis.min_gas_price = *uint256::from_string(o.min_gas_price);
    genesis.timestamp = static_cast<uint64_t>(now);
    if (o.open) genesis.governance.permission_mode = governance::PermissionMode::open;
    const uint256 prefund = *uint256::from_string(kDevPrefundWei);
    for (const auto& a : node::kDevAccounts) {
        auto address = parse_address(a.address);
        if (!address)
            return make_error(Errc::internal, "bad dev account " + std::string(a.address));
        genesis.alloc.push_back({*address, prefund});
    }

    std::vector<OrgMaterial> orgs;
    std::vector<NodeMaterial> nodes;
    for (uint64_t org = 0; org < o.orgs; ++org) {
        const std::string name = org_name(org);
        HC_ASSIGN_OR_RETURN(OrgMaterial material, make_organisation(name, times));
        genesis.organisations.push_back({name, material.ca.cert.der()});
        // Each organisation starts with one admin, enrolled and funded in the genesis, so that it
        // can enrol its members and vote from block 1.
        HC_ASSIGN_OR_RETURN(Address admin_address,
                            crypto::secp256k1_address(material.admin.private_key));
        genesis.alloc.push_back({admin_address, prefund});
        genesis.governance.members.push_back({admin_address, name, governance::Role::admin});
        for (uint64_t k = 0; k < o.nodes_per_org; ++k) {
            const std::string node_name = name + "-node" + std::to_string(k + 1);
            HC_ASSIGN_OR_RETURN(
                NodeMaterial n,
                make_node(material.ca, name, node_name, host,
                          static_cast<uint16_t>(o.base_port + nodes.size()), times));
            nodes.push_back(std::move(n));
        }
        orgs.push_back(std::move(material));
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
        HC_TRY(write_organisation(out / "orgs" / org_name(org), orgs[org]));
        summary.organisations.push_back(org_name(org));
    }

    for (size_t i = 0; i < nodes.size(); ++i) {
        node::ConsortiumNodeConfig config;
        config.genesis = summary.genesis;
        config.rpc_address = {host, static_cast<uint16_t>(o.rpc_port + i)};
        for (const auto& peer : nodes)
            if (peer.validator.name != nodes[i].validator.name)
                config.peers.push_back({peer.validator.name, peer.validator.p2p_address});
        HC_ASSIGN_OR_RETURN(InitNode written, write_node(out / "nodes", nodes[i], config));
        summary.nodes.push_back(std::move(written));
    }
    return summary;
}

Result<JoinSummary> run_join(const JoinOptions& o) {
    if (o.org.empty()) return bad_option("--org is required: the new organisation's id");
    HC_TRY(node::check_member_name(o.org));
    if (o.genesis.empty())
        return bad_option("--genesis is required: the consortium's genesis.json");
    if (o.out.empty()) return bad_option("--out is required: the directory to write to");
    if (o.nodes < 1 || o.nodes > kMaxInitNodes)
        return bad_option("--nodes must be 1 to " + std::to_string(kMaxInitNodes));
    HC_TRY(check_port_range("--base-port", o.base_port, o.nodes));
    HC_TRY(check_port_range("--rpc-port", o.rpc_port, o.nodes));
    if (o.base_port < o.rpc_port + o.nodes && o.rpc_port < o.base_port + o.nodes)
        return bad_option(
            "the p2p ports from --base-port and the RPC ports from --rpc-port "
            "overlap; choose others");
    if (!crypto::is_ip_literal(o.host) && !crypto::is_dns_name(o.host))
        return bad_option("--host \"" + o.host + "\" is neither an IP address nor a host name");
    if (o.ca_validity_days < 1 || o.cert_validity_days < 1 || o.ca_validity_days > 100 * 365)
        return bad_option("certificate validity must be 1 day to 100 years");
    std::error_code ec;
    const fs::path genesis_path = fs::absolute(o.genesis, ec).lexically_normal();
    HC_ASSIGN_OR_RETURN(node::ConsortiumGenesis genesis,
                        node::load_consortium_genesis(genesis_path));
    if (genesis.organisation(o.org))
        return bad_option("organisation \"" + o.org + "\" is already in " + genesis_path.string() +
                          "; choose another id");
    const fs::path out = fs::absolute(o.out, ec).lexically_normal();
    if (fs::exists(out, ec) && !fs::is_empty(out, ec))
        return bad_option("--out " + out.string() + " is not empty");

    const Validity times = validity(o.now, o.ca_validity_days, o.cert_validity_days);
    const std::string host = bare_host(o.host);
    HC_ASSIGN_OR_RETURN(OrgMaterial org, make_organisation(o.org, times));
    std::vector<NodeMaterial> nodes;
    for (uint64_t k = 0; k < o.nodes; ++k) {
        const std::string name = o.org + "-node" + std::to_string(k + 1);
        if (genesis.validator_index(name))
            return bad_option("a node called " + name + " is already in the genesis");
        HC_ASSIGN_OR_RETURN(
            NodeMaterial n,
            make_node(org.ca, o.org, name, host, static_cast<uint16_t>(o.base_port + k), times));
        nodes.push_back(std::move(n));
    }

    JoinSummary summary;
    summary.out = out;
    summary.org = o.org;
    HC_TRY(make_dir(out));
    const fs::path org_dir = out / "orgs" / o.org;
    HC_TRY(write_organisation(org_dir, org));
    HC_ASSIGN_OR_RETURN(summary.admin, crypto::secp256k1_address(org.admin.private_key));

    // The votes the consortium takes: the organisation, then each node.
    nlohmann::ordered_json add_org = {{"type", "add_org"},
                                      {"id", o.org},
                                      {"name", o.org_name.empty() ? o.org : o.org_name},
                                      {"ca_certs", {org.ca.cert.to_pem()}}};
    summary.actions.push_back(out / "add_org.json");
    HC_TRY(write_text(summary.actions.back(), add_org.dump(2) + "\n"));

    for (size_t k = 0; k < nodes.size(); ++k) {
        node::ConsortiumNodeConfig config;
        config.genesis = genesis_path;
        config.org_ca = org_dir / "ca.pem";
        config.rpc_address = {host, static_cast<uint16_t>(o.rpc_port + k)};
        // The consortium's genesis nodes, and this organisation's other new ones.
        for (const auto& v : genesis.validators)
            config.peers.push_back({v.name, v.p2p_address});
        for (const auto& peer : nodes)
            if (peer.validator.name != nodes[k].validator.name)
                config.peers.push_back({peer.validator.name, peer.validator.p2p_address});
        HC_ASSIGN_OR_RETURN(InitNode written, write_node(out / "nodes", nodes[k], config));
        nlohmann::ordered_json add_node = {
            {"type", "add_node"},
            {"name", nodes[k].validator.name},
            {"org", o.org},
            {"consensus_key", to_hex(nodes[k].validator.consensus_key.bytes)},
            {"p2p_address", written.p2p_address}};
        summary.actions.push_back(out / ("add_node-" + written.name + ".json"));
        HC_TRY(write_text(summary.actions.back(), add_node.dump(2) + "\n"));
        summary.nodes.push_back(std::move(written));
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
    cmd->add_flag("--open", o.open,
                  "Let anyone transact (permission mode open), not only enrolled members");
    cmd->add_flag("--force", o.force,
                  "Replace genesis.json, orgs/ and nodes/ in a non-empty --out directory");
    return cmd;
}

CLI::App* add_join_command(CLI::App& app, JoinOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "join",
        "Prepare a new organisation for a running consortium: its CA, first admin, nodes, and "
        "the actions to vote on");
    cmd->add_option("--genesis", o.genesis, "The consortium's genesis.json")->required();
    cmd->add_option("--org", o.org, "The new organisation's id, e.g. org5")->required();
    cmd->add_option("--org-name", o.org_name, "Its name for people (default: the id)");
    cmd->add_option("--out", o.out, "Directory to write to (new or empty)")->required();
    cmd->add_option("--nodes", o.nodes, "Consensus nodes of the organisation")
        ->capture_default_str();
    cmd->add_option("--host", o.host, "Host or IP its nodes listen on (also in their certificates)")
        ->capture_default_str();
    cmd->add_option("--base-port", o.base_port, "P2P port of its first node; node k uses +k")
        ->capture_default_str();
    cmd->add_option("--rpc-port", o.rpc_port, "JSON-RPC port of its first node; node k uses +k")
        ->capture_default_str();
    cmd->add_option("--ca-validity-days", o.ca_validity_days, "Lifetime of the CA")
        ->capture_default_str();
    cmd->add_option("--cert-validity-days", o.cert_validity_days,
                    "Lifetime of the admin and node certificates (at most the CA's)")
        ->capture_default_str();
    return cmd;
}

int run_join_command(const JoinOptions& options) {
    auto s = run_join(options);
    if (!s) {
        std::fprintf(stderr, "honeycomb join: %s\n", s.error().message.c_str());
        return 1;
    }
    std::printf("Organisation %s written to %s\n", s->org.c_str(), s->out.string().c_str());
    std::printf("  CA and first admin   orgs/%s/ (admin account %s)\n", s->org.c_str(),
                to_checksum_address(s->admin).c_str());
    for (const auto& n : s->nodes)
        std::printf("  node %-15s p2p %s, rpc %s, config %s\n", n.name.c_str(),
                    n.p2p_address.c_str(), n.rpc_address.c_str(),
                    n.node_json.lexically_relative(s->out).c_str());
    std::printf("\nThe consortium votes on these actions (honeycomb gov propose --action-file):\n");
    for (const auto& a : s->actions)
        std::printf("  %s\n", a.lexically_relative(s->out).c_str());
    std::printf(
        "\nOnce add_org has passed, the admin enrols with its certificate (honeycomb member "
        "enrol --cert orgs/%s/admin.pem). Start each node when its add_node vote has "
        "passed: it syncs, and votes from the epoch boundary on (docs/governance.md).\n",
        s->org.c_str());
    return 0;
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
