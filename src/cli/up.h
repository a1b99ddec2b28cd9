// `honeycomb up`: a local consortium network on this machine, one process per node.
//
//   honeycomb up --orgs 4 --dir ./honeycomb-network
//
// creates the network in DIR with `honeycomb init` when DIR has no genesis.json yet (otherwise
// reuses it, so a second `up` continues the same chain), starts `honeycomb node` for every node
// under a Supervisor (restarted with backoff if one exits; output in DIR/nodes/<node>/node.log),
// prints each node's JSON-RPC endpoint, and stops them all on SIGINT or SIGTERM. With --demo it
// also runs the demo of cli/demo.h against the nodes once they answer, printing its report while
// the network keeps running; a failed demo is reported and leaves the network up.
#pragma once

#include <CLI/CLI.hpp>
#include <csignal>
#include <filesystem>
#include <string>

namespace hc::cli {

struct UpOptions {
    uint64_t orgs = 4;
    uint64_t nodes_per_org = 1;
    std::filesystem::path dir = "honeycomb-network";
    uint64_t base_port = 30300;
    uint64_t rpc_port = 8545;
    bool demo = false;
    bool open = false;  // init's --open
};

CLI::App* add_up_command(CLI::App& app, UpOptions& options);
// `self` is this executable's path (the nodes run it); `signals` are blocked already.
int run_up(const UpOptions& options, const std::string& self, const sigset_t& signals);

}  // namespace hc::cli
