// A deterministic simulation of the consensus core (consensus/replica.h): n replicas in one
// process, a simulated clock and network, and one seed that drives everything (the committee
// size, the faults, the workload, every delay and drop), so that a failing seed replays exactly.
//
// Faults: random drops, delays (hence reordering) and duplicates; partitions and their healing;
// crashes and restarts from the simulated disk (a crash loses everything not persisted);
// f Byzantine replicas that equivocate as leaders and double-vote. After a heal time all faults
// stop and every crashed replica restarts.
//
// Checked: agreement (one block per height across honest replicas, each ledger linked by parent
// ids, every commit proof verifies), validity (only submitted, well-formed transactions are
// committed, none twice in a ledger), no evidence against an honest replica (so a restarted
// replica never voted or proposed twice in a round), liveness (every submitted transaction
// committed at every honest replica within a bound after the heal) and quiescence (an idle
// network sends nothing).
#pragma once

#include <cstdint>
#include <string>

namespace hc::consensus::sim {

struct Options {
    uint64_t seed = 1;
    uint32_t n = 0;  // 0: drawn from the seed among 1, 4 and 7
    // TEST ONLY: replicas commit on a 1-chain; the checker must report an agreement violation.
    bool one_chain = false;
    bool verbose = false;
    // Print every message sent from this simulated time on (0: none), to debug a seed.
    uint64_t trace_from_ms = 0;
};

struct Outcome {
    bool ok = true;
    bool agreement_violation = false;
    std::string failure;   // what broke, when !ok
    std::string scenario;  // n, faults and workload drawn from the seed
    uint64_t committed_height = 0;
    uint64_t txs = 0;
    uint64_t messages = 0;
    uint64_t evidence = 0;
    uint64_t sim_ms = 0;  // when the run ended, in simulated time
};

Outcome run(const Options& options);

}  // namespace hc::consensus::sim
