// `honeycomb node --config FILE`: one validator of a consortium network, as `honeycomb init`
// configured it: consensus with its peers over mutual TLS, the ledger, the pool, and the
// Ethereum JSON-RPC API with /metrics on its RPC address. Runs until SIGINT or SIGTERM.
#pragma once

#include <csignal>
#include <filesystem>

#include "common/error.h"

namespace hc::cli {

// Returns the process exit code; errors are printed with what to fix. `signals` are the
// shutdown signals, already blocked in every thread (the caller waits for them with sigwait).
int run_node(const std::filesystem::path& config_path, const sigset_t& signals);

}  // namespace hc::cli
