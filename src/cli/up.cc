#include "cli/up.h"

#include <cstdio>
#include <ctime>

#include "cli/init.h"
#include "cli/supervisor.h"
#include "node/consortium_config.h"

namespace hc::cli {

CLI::App* add_up_command(CLI::App& app, UpOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "up", "Run a local consortium network: one process per node, stopped with Ctrl-C");
    cmd->add_option("--orgs", o.orgs, "Organisations (when the network is created)")
        ->capture_default_str();
    cmd->add_option("--nodes-per-org", o.nodes_per_org, "Nodes per organisation (when created)")
        ->capture_default_str();
    cmd->add_option("--dir", o.dir, "The network's directory (created if it has no genesis.json)")
        ->capture_default_str();
    cmd->add_option("--base-port", o.base_port, "First P2P port (when created)")
        ->capture_default_str();
    cmd->add_option("--rpc-port", o.rpc_port, "First JSON-RPC port (when created)")
        ->capture_default_str();
    return cmd;
}

int run_up(const UpOptions& o, const std::string& self, const sigset_t& signals) {
    auto fail = [](const std::string& m) {
        std::fprintf(stderr, "honeycomb up: %s\n", m.c_str());
        return 1;
    };
    const std::filesystem::path genesis_path = o.dir / "genesis.json";
    if (!std::filesystem::exists(genesis_path)) {
        InitOptions init;
        init.orgs = o.orgs;
        init.nodes_per_org = o.nodes_per_org;
        init.out = o.dir;
        init.base_port = o.base_port;
        init.rpc_port = o.rpc_port;
        auto made = run_init(init);
        if (!made) return fail(made.error().message);
        std::printf("created a network of %zu nodes in %s\n", made->nodes.size(),
                    o.dir.string().c_str());
    } else {
        std::printf("reusing the network in %s\n", o.dir.string().c_str());
    }
    auto genesis = node::load_consortium_genesis(genesis_path);
    if (!genesis) return fail(genesis.error().message);

    std::vector<Program> programs;
    std::vector<std::string> endpoints;
    for (const auto& v : genesis->validators) {
        const auto node_dir = o.dir / "nodes" / v.name;
        const auto config_path = node_dir / "node.json";
        auto config = node::load_node_config(config_path);
        if (!config) return fail(config.error().message);
        programs.push_back(Program{
            v.name, {self, "node", "--config", config_path.string()}, node_dir / "node.log"});
        endpoints.push_back(v.name + "  http://" + config->rpc_address.to_string() + "  log " +
                            (node_dir / "node.log").string());
    }
    SupervisorConfig sup;
    sup.on_event = [](const std::string& e) {
        std::printf("%s\n", e.c_str());
        std::fflush(stdout);
    };
    Supervisor supervisor(std::move(programs), sup);
    if (Status s = supervisor.start(); !s) return fail(s.error().message);
    std::printf("\nconsortium network up (chain id %llu), JSON-RPC endpoints:\n",
                static_cast<unsigned long long>(genesis->chain_id));
    for (const auto& e : endpoints)
        std::printf("  %s\n", e.c_str());
    std::printf("Ctrl-C stops every node.\n");
    std::fflush(stdout);

    const timespec tick{0, 200'000'000};
    for (;;) {
        const int sig = sigtimedwait(&signals, nullptr, &tick);
        if (sig == SIGINT || sig == SIGTERM) break;
        supervisor.poll();
    }
    std::printf("\nstopping the network\n");
    supervisor.stop();
    return 0;
}

}  // namespace hc::cli
