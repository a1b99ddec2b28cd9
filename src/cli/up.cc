#include "cli/up.h"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <thread>

#include "cli/demo.h"
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
    cmd->add_flag("--open", o.open,
                  "Let anyone transact, not only enrolled members (when created; benchmarks)");
    cmd->add_flag("--demo", o.demo,
                  "Once the nodes answer, send transfers and use a Solidity contract over "
                  "JSON-RPC, printing what happened; the network then keeps running");
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
        init.open = o.open;
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
    DemoOptions demo;
    demo.chain_id = genesis->chain_id;
    for (const auto& v : genesis->validators) {
        const auto node_dir = o.dir / "nodes" / v.name;
        const auto config_path = node_dir / "node.json";
        auto config = node::load_node_config(config_path);
        if (!config) return fail(config.error().message);
        programs.push_back(Program{
            v.name, {self, "node", "--config", config_path.string()}, node_dir / "node.log"});
        endpoints.push_back(v.name + "  http://" + config->rpc_address.to_string() + "  log " +
                            (node_dir / "node.log").string());
        demo.rpc_urls.push_back("http://" + config->rpc_address.to_string());
        demo.names.push_back(v.name);
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

    // The demo runs beside the supervision loop, which must keep restarting nodes and noticing
    // Ctrl-C meanwhile. It inherits the blocked signals, so they still reach sigtimedwait here.
    std::atomic<bool> stop_demo = false;
    std::thread demo_thread;
    if (o.demo) {
        demo.cancel = &stop_demo;
        demo.print = [](const std::string& line) {
            std::printf("demo: %s\n", line.c_str());
            std::fflush(stdout);
        };
        demo_thread = std::thread([&demo, &stop_demo] {
            std::printf("\ndemo: waiting for the nodes to answer JSON-RPC\n");
            auto done = run_demo(demo);
            if (done)
                std::printf(
                    "demo finished: %zu transfers committed, Counter at %s reads %llu, "
                    "every node has block %llu (%s)\n",
                    done->transfer_hashes.size(), done->contract_address.c_str(),
                    static_cast<unsigned long long>(done->counter_value),
                    static_cast<unsigned long long>(done->common_height),
                    done->common_hash.c_str());
            else if (stop_demo)
                std::printf("demo stopped by Ctrl-C\n");
            else
                std::printf("demo failed: %s\nThe network keeps running; Ctrl-C stops it.\n",
                            done.error().message.c_str());
            std::fflush(stdout);
        });
    }

    const timespec tick{0, 200'000'000};
    for (;;) {
        const int sig = sigtimedwait(&signals, nullptr, &tick);
        if (sig == SIGINT || sig == SIGTERM) break;
        supervisor.poll();
    }
    // An unfinished demo stops at its next wait, at most one JSON-RPC timeout from now.
    stop_demo = true;
    if (demo_thread.joinable()) demo_thread.join();
    std::printf("\nstopping the network\n");
    supervisor.stop();
    return 0;
}

}  // namespace hc::cli
