// `honeycomb member` and `honeycomb gov`: membership and governance from the command line, as
// transactions to the system contracts (governance/system_contracts.h) through a node's JSON-RPC.
//
//   honeycomb member enrol  --key alice.key --cert alice.pem           self-enrolment
//   honeycomb member enrol  --key admin.key --address 0x.. --org org1 --role client
//   honeycomb member revoke --key admin.key --address 0x..
//   honeycomb member list
//   honeycomb gov propose   --key admin.key --action '{"type":"freeze","contract":"0x.."}'
//   honeycomb gov vote      --key admin.key --id 3
//   honeycomb gov list
//
// Every command takes --rpc URL (default http://127.0.0.1:8545). Keys are member key files as
// `honeycomb cert issue` and `init` write them ("0x" + 64 hex digits). A transaction is first
// estimated, so a refusal (not an admin, already voted, expired, ...) is reported with the
// contract's reason before anything is sent; then it is sent and its receipt awaited.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "common/error.h"

namespace hc::cli {

struct GovOptions {
    std::string rpc = "http://127.0.0.1:8545";
    std::filesystem::path key;
    // member enrol / revoke
    std::filesystem::path cert;
    std::string address;
    std::string org;
    std::string role = "client";
    // gov propose / vote
    std::string action;
    std::filesystem::path action_file;
    uint64_t id = 0;
    // How long to wait for a receipt.
    uint64_t timeout_s = 60;
};

enum class GovVerb { member_enrol, member_revoke, member_list, gov_propose, gov_vote, gov_list };

// Runs one verb, printing what it did (or the listing) to `out`.
Status run_gov(GovVerb verb, const GovOptions& options, std::ostream& out);

// Registers `member` and `gov` with their subcommands on app.
struct GovCommands {
    CLI::App* member = nullptr;
    CLI::App* gov = nullptr;
    // The verb that was parsed, if one of these commands ran.
    std::optional<GovVerb> parsed() const;
    CLI::App* enrol = nullptr;
    CLI::App* revoke = nullptr;
    CLI::App* member_list = nullptr;
    CLI::App* propose = nullptr;
    CLI::App* vote = nullptr;
    CLI::App* gov_list = nullptr;
};
GovCommands add_gov_commands(CLI::App& app, GovOptions& options);

// Runs it from the command line: prints the result, or the error to stderr. Exit code.
int run_gov_command(GovVerb verb, const GovOptions& options);

}  // namespace hc::cli
