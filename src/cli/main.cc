// honeycomb: the single binary.
//   honeycomb dev      a one-node development chain with JSON-RPC (HTTP and WebSocket)
//   honeycomb verify   replays a data directory's chain from genesis and checks every root
//   honeycomb init     generates a local consortium network (CAs, keys, genesis, node configs)
//   honeycomb join     prepares an organisation joining a running consortium
//   honeycomb bench    load generator for any Ethereum JSON-RPC endpoint (cli/bench.h)
//   honeycomb node     runs one validator of a consortium network from its node.json
//   honeycomb up       runs a local consortium network, one supervised process per node
//   honeycomb cert     issues member certificates (secp256k1 accounts) from organisation CAs
//   honeycomb member   enrols, revokes and lists consortium members (system contract calls)
//   honeycomb gov      proposes, votes on and lists governance proposals
#include <pthread.h>
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "cli/bench.h"
#include "cli/cert_command.h"
#include "cli/demo.h"
#include "cli/gov_command.h"
#include "cli/init.h"
#include "cli/node_command.h"
#include "cli/up.h"
#include "node/dev_accounts.h"
#include "node/eth_api.h"
#include "node/genesis_file.h"
#include "node/node.h"
#include "rpc/server.h"
#include "storage/rocks_store.h"

#ifdef HC_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace {

using namespace hc;
namespace fs = std::filesystem;

constexpr const char* kVersion = "0.1.0";

// Which malloc the process runs on: --version says it, so a build that lost jemalloc shows.
std::string allocator_name() {
#ifdef HC_JEMALLOC
    const char* version = nullptr;
    size_t size = sizeof(version);
    if (mallctl("version", &version, &size, nullptr, 0) == 0 && version != nullptr)
        return std::string("jemalloc ") + version;
    return "jemalloc";
#else
    return "the C library's malloc";
#endif
}

int fail(const std::string& message) {
    std::fprintf(stderr, "honeycomb: %s\n", message.c_str());
    return 1;
}

// "127.0.0.1:8545" -> host and port.
Result<std::pair<std::string, uint16_t>> parse_endpoint(const std::string& text) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
        return make_error(
            Errc::invalid_argument,
            "--rpc-addr must be host:port, e.g. 127.0.0.1:8545, got \"" + text + "\"");
    std::string host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    unsigned long port = 0;
    try {
        size_t used = 0;
        port = std::stoul(text.substr(colon + 1), &used);
        if (used != text.size() - colon - 1) throw std::invalid_argument("trailing");
    } catch (...) {
        port = 70000;
    }
    if (port > 65535)
        return make_error(Errc::invalid_argument, "--rpc-addr: bad port in \"" + text + "\"");
    return std::pair{host, static_cast<uint16_t>(port)};
}

struct DevOptions {
    std::string data_dir = "./honeycomb-data";
    uint64_t chain_id = 1337;
    std::string rpc_addr = "127.0.0.1:8545";
    std::string min_gas_price = "1000000000";
    uint64_t block_gas_limit = 30'000'000;
    uint64_t max_block_txs = 5000;
    std::string prefund = "10000000000000000000000";  // 10,000 ether in wei
    uint64_t genesis_accounts = 0;
    std::string coinbase = "0x0000000000000000000000000000000000000000";
    std::vector<std::string> cors;
    size_t rpc_threads = rpc::ServerConfig{}.threads;
    size_t max_connections = 512;
    size_t max_body_bytes = 5 * 1024 * 1024;
    size_t max_batch = 1000;
    size_t max_subscriptions = 128;
    size_t txpool_capacity = 8192;
    uint32_t price_bump = 10;
    bool demo = false;
    bool quiet = false;
};

// Blocks SIGINT and SIGTERM in this thread and every thread it starts, so that only the
// sigwait() in main sees them.
sigset_t block_shutdown_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

// This executable's path, for starting more of itself.
std::string self_path(const char* argv0) {
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(argv0) : p.string();
}

void print_dev_accounts(const uint256& balance) {
    std::printf("Development accounts (each funded with %s wei):\n", balance.to_dec().c_str());
    for (size_t i = 0; i < node::kDevAccounts.size(); ++i)
        std::printf("  (%zu) %s  key %s\n", i, std::string(node::kDevAccounts[i].address).c_str(),
                    std::string(node::kDevAccounts[i].private_key).c_str());
    std::printf(
        "WARNING: these keys are public. Anyone can spend from these accounts on any chain\n"
        "         that funds them. Use them for local development only.\n\n");
}

int run_dev(const DevOptions& o) {
    auto endpoint = parse_endpoint(o.rpc_addr);
    if (!endpoint) return fail(endpoint.error().message);
    auto min_gas_price = uint256::from_string(o.min_gas_price);
    auto prefund = uint256::from_string(o.prefund);
    auto coinbase = parse_address(o.coinbase);
    if (!min_gas_price) return fail("--min-gas-price: " + min_gas_price.error().message);
    if (!prefund) return fail("--prefund: " + prefund.error().message);
    if (!coinbase) return fail("--coinbase: " + coinbase.error().message);

    std::error_code ec;
    fs::create_directories(o.data_dir, ec);
    if (ec) return fail("cannot create data directory " + o.data_dir + ": " + ec.message());
    const fs::path genesis_path = fs::path(o.data_dir) / "genesis.json";

    chain::ChainConfig chain_config;
    if (fs::exists(genesis_path)) {
        auto stored = node::read_genesis_file(genesis_path);
        if (!stored) return fail(stored.error().message);
        if (stored->chain_id != o.chain_id)
            return fail("data directory " + o.data_dir + " holds chain id " +
                        std::to_string(stored->chain_id) + ", not " + std::to_string(o.chain_id) +
                        "; pass --chain-id " + std::to_string(stored->chain_id) +
                        " or use another --data-dir");
        chain_config = std::move(*stored);
    } else {
        chain_config.chain_id = o.chain_id;
        chain_config.gas_limit = o.block_gas_limit;
        chain_config.base_fee = *min_gas_price;
        chain_config.genesis_timestamp = static_cast<uint64_t>(std::time(nullptr));
        for (const auto& a : node::kDevAccounts)
            chain_config.alloc.push_back({*parse_address(a.address), *prefund});
        chain_config.generated = {o.genesis_accounts, *prefund};
        chain_config.governance = node::dev_governance(chain_config);
        if (auto st = node::write_genesis_file(genesis_path, chain_config); !st)
            return fail(st.error().message);
    }

    node::NodeConfig config;
    config.data_dir = o.data_dir;
    config.chain = chain_config;
    config.pool.capacity = o.txpool_capacity;
    config.pool.price_bump_percent = o.price_bump;
    config.settings.max_block_txs = o.max_block_txs;
    config.coinbase = *coinbase;

    sigset_t signals = block_shutdown_signals();
    auto node = node::Node::open(config);
    if (!node) return fail(node.error().to_string());

    node::EthApiConfig api_config;
    api_config.client_version = std::string("honeycomb/v") + kVersion;
    node::EthApi api(**node, api_config);
    rpc::Limits limits;
    limits.max_body_bytes = o.max_body_bytes;
    limits.max_batch = o.max_batch;
    limits.max_connections = o.max_connections;
    limits.max_subscriptions_per_connection = o.max_subscriptions;
    rpc::Dispatcher dispatcher(limits);
    api.register_methods(dispatcher);

    if (!o.quiet) {
        (*node)->on_block([](const chain::CommittedBlock& b) {
            std::printf(
                "block %llu committed: %zu transactions, %llu gas, hash %s\n",
                static_cast<unsigned long long>(b.block.header.number), b.block.transactions.size(),
                static_cast<unsigned long long>(b.block.header.gas_used), b.hash.hex().c_str());
            std::fflush(stdout);
        });
    }

    rpc::ServerConfig server_config;
    server_config.address = endpoint->first;
    server_config.port = endpoint->second;
    server_config.threads = o.rpc_threads;
    server_config.limits = limits;
    server_config.cors_origins = o.cors;
    server_config.metrics = [&node = **node] { return node.metrics().render(); };
    server_config.logger = [](std::string_view line) {
        std::fprintf(stderr, "rpc: %.*s\n", static_cast<int>(line.size()), line.data());
    };
    auto server = rpc::Server::start(server_config, dispatcher);
    if (!server) return fail(server.error().message);

    const BlockHeader head = (*node)->chain().head();
    std::printf("honeycomb dev v%s: chain id %llu, data in %s\n", kVersion,
                static_cast<unsigned long long>(chain_config.chain_id), o.data_dir.c_str());
    std::printf("head block %llu (%s)\n", static_cast<unsigned long long>(head.number),
                (*node)->chain().head_hash().hex().c_str());
    std::printf("minimum gas price %s wei, block gas limit %llu\n\n",
                chain_config.base_fee.to_dec().c_str(),
                static_cast<unsigned long long>(chain_config.gas_limit));
    if (!chain_config.alloc.empty()) print_dev_accounts(chain_config.alloc[0].balance);
    std::printf("JSON-RPC listening on http://%s:%u and ws://%s:%u\n", endpoint->first.c_str(),
                (*server)->port(), endpoint->first.c_str(), (*server)->port());
    std::fflush(stdout);

    (*node)->start();
    if (o.demo) {
        // The same demo `honeycomb up --demo` runs, over this node's own JSON-RPC.
        cli::DemoOptions demo;
        demo.rpc_urls = {"http://" + endpoint->first + ":" + std::to_string((*server)->port())};
        demo.names = {"dev"};
        demo.chain_id = chain_config.chain_id;
        demo.print = [](const std::string& line) {
            std::printf("demo: %s\n", line.c_str());
            std::fflush(stdout);
        };
        if (auto done = cli::run_demo(demo); !done)
            std::printf("demo failed: %s\n", done.error().message.c_str());
    }

    int sig = 0;
    sigwait(&signals, &sig);
    std::printf("\n%s received: shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    (*server)->stop();
    (*node)->stop();
    std::printf("stopped at block %llu\n",
                static_cast<unsigned long long>((*node)->chain().head_number()));
    return 0;
}

int run_verify(const std::string& data_dir) {
    const fs::path genesis_path = fs::path(data_dir) / "genesis.json";
    auto config = node::read_genesis_file(genesis_path);
    if (!config) return fail(config.error().message);
    auto store = storage::RocksStore::open(fs::path(data_dir) / "chain",
                                           storage::RocksOptions{.create_if_missing = false});
    if (!store) return fail(store.error().to_string());
    auto chain = chain::Chain::open(std::move(*store), *config);
    if (!chain) return fail(chain.error().to_string());
    const uint64_t head = (*chain)->head_number();
    if (Status st = (*chain)->verify(); !st) return fail("verify failed: " + st.error().message);
    std::printf("verified %llu blocks: replay from genesis reproduces state root %s\n",
                static_cast<unsigned long long>(head), (*chain)->head().state_root.hex().c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Honeycomb: a high-performance consortium blockchain."};
    app.set_version_flag("--version", std::string("honeycomb ") + kVersion +
                                          " (memory allocator: " + allocator_name() + ")");
    app.require_subcommand(0, 1);

    DevOptions dev;
    CLI::App* dev_cmd = app.add_subcommand(
        "dev", "Run a one-node development chain with funded accounts and JSON-RPC");
    dev_cmd->add_option("--data-dir", dev.data_dir, "Where the chain is kept")
        ->capture_default_str();
    dev_cmd->add_option("--chain-id", dev.chain_id, "EIP-155 chain id")->capture_default_str();
    dev_cmd->add_option("--rpc-addr", dev.rpc_addr, "JSON-RPC HTTP and WebSocket endpoint")
        ->capture_default_str();
    dev_cmd
        ->add_option("--min-gas-price", dev.min_gas_price,
                     "Minimum gas price in wei, also the constant base fee; 0 runs free "
                     "(fixed when the chain is created)")
        ->capture_default_str();
    dev_cmd
        ->add_option("--block-gas-limit", dev.block_gas_limit,
                     "Gas per block (fixed when the chain is created)")
        ->capture_default_str();
    dev_cmd->add_option("--max-block-txs", dev.max_block_txs, "Transactions per block")
        ->capture_default_str();
    dev_cmd
        ->add_option("--prefund", dev.prefund,
                     "Wei given to each development account (when the chain is created)")
        ->capture_default_str();
    dev_cmd
        ->add_option("--genesis-accounts", dev.genesis_accounts,
                     "Generated accounts funded like the development accounts (when the chain is "
                     "created): a state of realistic size for measurements")
        ->capture_default_str();
    dev_cmd->add_option("--coinbase", dev.coinbase, "Address that receives transaction fees")
        ->capture_default_str();
    dev_cmd->add_option("--rpc-cors", dev.cors,
                        "Browser origins allowed to call the RPC (\"*\" for any)");
    dev_cmd->add_option("--rpc-threads", dev.rpc_threads, "RPC worker threads")
        ->capture_default_str();
    dev_cmd->add_option("--rpc-max-connections", dev.max_connections, "Open RPC connections")
        ->capture_default_str();
    dev_cmd->add_option("--rpc-max-body", dev.max_body_bytes, "Bytes per request or message")
        ->capture_default_str();
    dev_cmd->add_option("--rpc-max-batch", dev.max_batch, "Requests per batch")
        ->capture_default_str();
    dev_cmd
        ->add_option("--rpc-max-subscriptions", dev.max_subscriptions,
                     "Subscriptions per WebSocket connection")
        ->capture_default_str();
    dev_cmd->add_option("--txpool-capacity", dev.txpool_capacity, "Transactions the pool holds")
        ->capture_default_str();
    dev_cmd
        ->add_option("--price-bump", dev.price_bump,
                     "Percent a replacement transaction must raise the fee by")
        ->capture_default_str();
    dev_cmd->add_flag("--demo", dev.demo,
                      "Send transfers and use a Solidity contract over JSON-RPC after starting");
    dev_cmd->add_flag("--quiet", dev.quiet, "Do not print each committed block");

    std::string verify_dir = "./honeycomb-data";
    CLI::App* verify_cmd = app.add_subcommand(
        "verify", "Replay a data directory's chain from genesis and check every block");
    verify_cmd->add_option("--data-dir", verify_dir, "The data directory to check")
        ->capture_default_str();

    cli::InitOptions init;
    CLI::App* init_cmd = cli::add_init_command(app, init);
    cli::JoinOptions join;
    CLI::App* join_cmd = cli::add_join_command(app, join);
    cli::BenchOptions bench;
    CLI::App* bench_cmd = cli::add_bench_command(app, bench);

    std::string node_config;
    CLI::App* node_cmd = app.add_subcommand(
        "node", "Run one validator of a consortium network (see honeycomb init)");
    node_cmd->add_option("--config", node_config, "The node's node.json")->required();

    cli::UpOptions up;
    CLI::App* up_cmd = cli::add_up_command(app, up);

    cli::CertIssueOptions cert_issue;
    CLI::App* cert_cmd = cli::add_cert_command(app, cert_issue);

    cli::GovOptions gov;
    cli::GovCommands gov_cmds = cli::add_gov_commands(app, gov);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (*dev_cmd) return run_dev(dev);
    if (*verify_cmd) return run_verify(verify_dir);
    if (*init_cmd) return cli::run_init_command(init);
    if (*join_cmd) return cli::run_join_command(join);
    if (*bench_cmd) return cli::run_bench_command(bench);
    if (*node_cmd) return cli::run_node(node_config, block_shutdown_signals());
    if (*up_cmd) return cli::run_up(up, self_path(argv[0]), block_shutdown_signals());
    if (*cert_cmd) return cli::run_cert_command(cert_issue);
    if (auto verb = gov_cmds.parsed()) return cli::run_gov_command(*verb, gov);
    std::cout << app.help();
    return 0;
}
