// What the Ethereum-compatible state root costs per block: a world state of N accounts, and a
// block that changes K of them (a transfer touches two accounts), timed from applying the diff
// through the new root. Also the cost of rebuilding the state from the store at startup, and of
// looking addresses up in an ordered map.
#include <benchmark/benchmark.h>

#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "state/world_state.h"
#include "storage/memory_store.h"

namespace {

using namespace hc;

Address address_of(uint64_t i) {
    Address a;
    for (int b = 0; b < 8; ++b)
        a.bytes[12 + b] = static_cast<uint8_t>(i >> (8 * b));
    a.bytes[0] = 0xaa;
    return a;
}

state::WorldState make_state(uint64_t accounts) {
    state::WorldState ws;
    state::StateDiff genesis;
    for (uint64_t i = 0; i < accounts; ++i)
        genesis.accounts[address_of(i)] = state::Account{0, uint256(1'000'000'000), {}};
    ws.apply(genesis);
    ws.root();
    return ws;
}

// Arguments: accounts in the state, accounts changed per block.
void BM_BlockStateRoot(benchmark::State& bench) {
    const uint64_t accounts = bench.range(0);
    const uint64_t changed = bench.range(1);
    state::WorldState ws = make_state(accounts);
    std::mt19937_64 rng(42);
    uint64_t round = 0;
    for (auto _ : bench) {
        bench.PauseTiming();
        state::StateDiff diff;
        for (uint64_t i = 0; i < changed; ++i)
            diff.accounts[address_of(rng() % accounts)] =
                state::Account{++round, uint256(round), state::kEmptyCodeHash};
        bench.ResumeTiming();
        ws.apply(diff);
        benchmark::DoNotOptimize(ws.root());
    }
    bench.counters["accounts_changed_per_s"] =
        benchmark::Counter(double(changed) * bench.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BlockStateRoot)
    ->Args({10'000, 2'000})
    ->Args({100'000, 2'000})
    ->Args({1'000'000, 2'000})
    ->Args({1'000'000, 20'000})
    ->Unit(benchmark::kMillisecond);

// Startup: rebuilding tries and root from the flat records.
void BM_OpenState(benchmark::State& bench) {
    const uint64_t accounts = bench.range(0);
    storage::MemoryStore store;
    {
        state::WorldState ws;
        state::StateDiff genesis;
        for (uint64_t i = 0; i < accounts; ++i)
            genesis.accounts[address_of(i)] = state::Account{0, uint256(1), state::kEmptyCodeHash};
        state::StateDiff reverse = ws.apply(genesis);
        storage::WriteBatch batch;
        ws.persist(genesis, reverse, 0, batch);
        if (!store.write(batch, false)) bench.SkipWithError("write failed");
    }
    for (auto _ : bench) {
        auto ws = state::WorldState::open(store);
        if (!ws) bench.SkipWithError("open failed");
        benchmark::DoNotOptimize(ws->root());
    }
}
BENCHMARK(BM_OpenState)->Arg(100'000)->Unit(benchmark::kMillisecond);

// An ordered map of 10,000 random addresses (as the execution overlay and the state diff keep
// them), every key looked up: with Address's own order (a word at a time), and with memcmp's.
struct MemcmpOrder {
    bool operator()(const Address& a, const Address& b) const {
        return std::memcmp(a.data(), b.data(), Address::size()) < 0;
    }
};
template <typename Less>
void BM_AddressMapFind(benchmark::State& bench) {
    std::mt19937_64 rng(7);
    std::vector<Address> keys(10'000);
    for (Address& k : keys)
        for (uint8_t& b : k.bytes)
            b = static_cast<uint8_t>(rng());
    std::map<Address, size_t, Less> map;
    for (size_t i = 0; i < keys.size(); ++i)
        map.emplace(keys[i], i);
    for (auto _ : bench)
        for (const Address& k : keys)
            benchmark::DoNotOptimize(map.find(k));
    bench.SetItemsProcessed(bench.iterations() * static_cast<int64_t>(keys.size()));
}
BENCHMARK(BM_AddressMapFind<std::less<Address>>)->Name("BM_AddressMapFind/word_order");
BENCHMARK(BM_AddressMapFind<MemcmpOrder>)->Name("BM_AddressMapFind/memcmp_order");

}  // namespace

BENCHMARK_MAIN();
