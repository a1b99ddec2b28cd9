// Single-core throughput of the primitives every transaction and vote pays for. Each benchmark
// reports items/s (one item = one hash or one signature operation), which is the ops/s figure
// quoted in docs/performance.md; hashes also report bytes/s.
//
//   make bench        (or: build/release/bench/crypto_bench --benchmark_counters_tabular=true)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/keccak.h"
#include "crypto/hash.h"
#include "crypto/secp256k1.h"
#include "crypto/signature.h"

namespace hc::crypto {
namespace {

template <typename T>
T must(Result<T> r, const char* what) {
    if (!r.ok()) {
        std::fprintf(stderr, "benchmark setup failed: %s: %s\n", what,
                     r.error().to_string().c_str());
        std::abort();
    }
    return std::move(r).value();
}

// ---- Hashes over 32 B (a hash of a hash, a storage key) and 1 KiB (a typical transaction) ----

template <typename HashFn>
void run_hash(benchmark::State& state, HashFn fn) {
    Bytes input(static_cast<size_t>(state.range(0)), 0xa5);
    for (auto _ : state) {
        auto digest = fn(input);
        benchmark::DoNotOptimize(digest);
        input[0] = digest[0];  // a data dependency, so iterations cannot be overlapped away
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Keccak256(benchmark::State& state) {
    run_hash(state, [](BytesView v) { return keccak256(v); });
}
void BM_Sha256(benchmark::State& state) {
    run_hash(state, [](BytesView v) { return sha256(v); });
}
void BM_Sm3(benchmark::State& state) {
    run_hash(state, [](BytesView v) { return sm3(v); });
}
BENCHMARK(BM_Keccak256)->Arg(32)->Arg(1024);
BENCHMARK(BM_Sha256)->Arg(32)->Arg(1024);
BENCHMARK(BM_Sm3)->Arg(32)->Arg(1024);

// ---- secp256k1 public-key recovery: the per-transaction cost of finding the sender ----

void BM_Secp256k1Recover(benchmark::State& state) {
    const Hash32 key = must(Hash32::from_hex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae46"
                                             "8d01a3f362318"),
                            "private key");
    const Hash32 digest = keccak256(as_bytes("a transaction's signing hash"));
    const Secp256k1Signature sig = must(secp256k1_sign(digest, key), "sign");
    for (auto _ : state) {
        auto pub = secp256k1_recover(digest, sig);
        if (!pub.ok()) state.SkipWithError("recovery failed");
        benchmark::DoNotOptimize(pub);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Secp256k1Recover);

// ---- Verification of the identity schemes: consensus votes, certificates, client requests.
// Includes decoding the 32/65-byte public key, as verify() does on every call. ----

void run_verify(benchmark::State& state, SigAlgo algo) {
    const PrivateKey key = must(PrivateKey::generate(algo), "generate");
    const Bytes message(32, 0x42);  // verifiers sign and check hashes, not whole payloads
    const Bytes sig = must(sign(key, message), "sign");
    for (auto _ : state) {
        Status st = verify(key.public_key(), message, sig);
        if (!st.ok()) state.SkipWithError("verification failed");
        benchmark::DoNotOptimize(st);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_P256Verify(benchmark::State& state) {
    run_verify(state, SigAlgo::p256);
}
void BM_Ed25519Verify(benchmark::State& state) {
    run_verify(state, SigAlgo::ed25519);
}
void BM_Sm2Verify(benchmark::State& state) {
    run_verify(state, SigAlgo::sm2);
}
BENCHMARK(BM_P256Verify);
BENCHMARK(BM_Ed25519Verify);
BENCHMARK(BM_Sm2Verify);

}  // namespace
}  // namespace hc::crypto

BENCHMARK_MAIN();
