// consensus_sim: runs the deterministic consensus simulation (simulator.h) over seeds.
//
//   consensus_sim --seed S            replay one seed exactly, with a summary of its scenario
//   consensus_sim --seeds N           seeds 1..N
//   consensus_sim --start S --count N seeds S..S+N-1
//   --n N          force the committee size (otherwise drawn from the seed among 1, 4, 7)
//   --one-chain    TEST ONLY: run the broken 1-chain commit rule
//   --expect-violation  succeed only if some seed reports an agreement violation (with
//                  --one-chain: shows that the checker catches a broken protocol)
//   --trace-from MS  print every message sent from simulated time MS on
//   --twice        run each seed twice and fail unless both runs are identical
//   -v             print every seed's scenario
// Exit status 0 when every seed passes (or, with --expect-violation, when one is caught).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sim/simulator.h"

namespace {

bool parse_u64(const char* s, uint64_t& out) {
    char* end = nullptr;
    out = std::strtoull(s, &end, 10);
    return s[0] != '\0' && *end == '\0';
}

int usage(const char* argv0) {
    std::fprintf(stderr,
                 "usage: %s [--seed S | --seeds N | --start S --count N] [--n 1|4|7] "
                 "[--one-chain] [--expect-violation] [--twice] [--trace-from MS] [-v]\n",
                 argv0);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t start = 1, count = 1000, n = 0, trace_from = 0;
    bool single = false, one_chain = false, expect_violation = false, verbose = false;
    bool twice = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](uint64_t& out) {
            if (i + 1 >= argc || !parse_u64(argv[++i], out)) std::exit(usage(argv[0]));
        };
        if (a == "--seed") {
            value(start);
            count = 1;
            single = true;
        } else if (a == "--seeds") {
            value(count);
            start = 1;
        } else if (a == "--start") {
            value(start);
        } else if (a == "--count") {
            value(count);
        } else if (a == "--n") {
            value(n);
            if (n == 0 || n > 64) return usage(argv[0]);
        } else if (a == "--one-chain") {
            one_chain = true;
        } else if (a == "--expect-violation") {
            expect_violation = true;
        } else if (a == "--trace-from") {
            value(trace_from);
        } else if (a == "--twice") {
            twice = true;
        } else if (a == "-v") {
            verbose = true;
        } else {
            return usage(argv[0]);
        }
    }

    const auto t0 = std::chrono::steady_clock::now();
    uint64_t failed = 0, caught = 0, by_n[3] = {0, 0, 0}, heights = 0, evidence = 0;
    for (uint64_t seed = start; seed < start + count; ++seed) {
        hc::consensus::sim::Options o;
        o.seed = seed;
        o.n = static_cast<uint32_t>(n);
        o.one_chain = one_chain;
        o.trace_from_ms = trace_from;
        const auto r = hc::consensus::sim::run(o);
        if (twice) {
            // Determinism: the same seed must give the very same run.
            const auto again = hc::consensus::sim::run(o);
            if (again.messages != r.messages || again.sim_ms != r.sim_ms ||
                again.committed_height != r.committed_height || again.failure != r.failure) {
                std::printf("FAILED seed %llu: not deterministic (%llu vs %llu messages)\n",
                            static_cast<unsigned long long>(seed),
                            static_cast<unsigned long long>(r.messages),
                            static_cast<unsigned long long>(again.messages));
                ++failed;
            }
        }
        const uint32_t size = r.scenario.rfind("n=1 ", 0) == 0   ? 0
                              : r.scenario.rfind("n=4 ", 0) == 0 ? 1
                                                                 : 2;
        ++by_n[size];
        heights += r.committed_height;
        evidence += r.evidence;
        if (verbose || single)
            std::printf("seed %llu: %s: %s; height %llu, %llu msgs, %llu evidence, %llu ms\n",
                        static_cast<unsigned long long>(seed), r.ok ? "ok" : "FAIL",
                        r.scenario.c_str(), static_cast<unsigned long long>(r.committed_height),
                        static_cast<unsigned long long>(r.messages),
                        static_cast<unsigned long long>(r.evidence),
                        static_cast<unsigned long long>(r.sim_ms));
        if (r.ok) continue;
        if (r.agreement_violation) ++caught;
        if (expect_violation && r.agreement_violation) {
            std::printf("seed %llu: agreement violation caught as expected: %s\n",
                        static_cast<unsigned long long>(seed), r.failure.c_str());
            break;
        }
        if (expect_violation) continue;
        ++failed;
        std::printf("FAILED seed %llu (%s): %s\n  replay: %s --seed %llu%s%s\n",
                    static_cast<unsigned long long>(seed), r.scenario.c_str(), r.failure.c_str(),
                    argv[0], static_cast<unsigned long long>(seed), n ? " --n " : "",
                    n ? std::to_string(n).c_str() : "");
        if (one_chain) std::printf("  (add --one-chain)\n");
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (expect_violation) {
        std::printf("%s: %s in seeds %llu..%llu (%.2fs)\n", caught ? "ok" : "FAILED",
                    caught ? "the checker caught the broken protocol"
                           : "no agreement violation found: the checker missed a broken protocol",
                    static_cast<unsigned long long>(start),
                    static_cast<unsigned long long>(start + count - 1), secs);
        return caught ? 0 : 1;
    }
    std::printf(
        "%llu/%llu seeds passed (n=1: %llu, n=4: %llu, n=7: %llu; %llu blocks committed, "
        "%llu evidence) in %.2fs\n",
        static_cast<unsigned long long>(count - failed), static_cast<unsigned long long>(count),
        static_cast<unsigned long long>(by_n[0]), static_cast<unsigned long long>(by_n[1]),
        static_cast<unsigned long long>(by_n[2]), static_cast<unsigned long long>(heights),
        static_cast<unsigned long long>(evidence), secs);
    return failed ? 1 : 0;
}
