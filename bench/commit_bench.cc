// What committing a block costs a node, from execution to the synced RocksDB write
// (Chain::commit_block), for blocks of 1,000 transfers over 10,000 funded accounts, under
// RocksDB options: the memtable size of each column family (MiB) and table-file compression
// (0 or 1). Senders are given, as the pool hands them over, so no signature is recovered here.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "chain/chain.h"
#include "storage/rocks_store.h"

namespace {

using namespace hc;
namespace fs = std::filesystem;

constexpr uint64_t kAccounts = 10'000;
constexpr size_t kBlockTxs = 1'000;

Address account(uint64_t i) {
    Address a;
    a.bytes[0] = 0xaa;
    for (int b = 0; b < 8; ++b)
        a.bytes[12 + b] = static_cast<uint8_t>(i >> (8 * b));
    return a;
}

void BM_CommitBlock(benchmark::State& bench) {
    storage::RocksOptions options;
    options.write_buffer_bytes = static_cast<size_t>(bench.range(0)) << 20;
    options.compress = bench.range(1) != 0;
    const fs::path dir = fs::temp_directory_path() /
                         ("hc-commit-bench-" + std::to_string(::getpid()) + "-" +
                          std::to_string(bench.range(0)) + "-" + std::to_string(bench.range(1)));
    fs::remove_all(dir);
    {
        auto store = storage::RocksStore::open(dir, options);
        if (!store) return bench.SkipWithError(store.error().message.c_str());
        chain::ChainConfig config;
        config.base_fee = uint256(1'000'000'000);
        for (uint64_t i = 0; i < kAccounts; ++i)
            config.alloc.push_back({account(i), uint256(1'000'000'000'000'000'000ULL)});
        auto chain = chain::Chain::open(std::move(*store), config);
        if (!chain) return bench.SkipWithError(chain.error().message.c_str());

        std::vector<uint64_t> nonces(kAccounts, 0);
        std::mt19937_64 rng(7);
        uint64_t block = 0;
        for (auto _ : bench) {
            bench.PauseTiming();
            std::vector<chain::BlockTx> txs;
            for (size_t k = 0; k < kBlockTxs; ++k) {
                const uint64_t from = rng() % kAccounts;
                chain::BlockTx t;
                t.tx.type = TxType::dynamic_fee;
                t.tx.chain_id = config.chain_id;
                t.tx.nonce = nonces[from]++;
                t.tx.max_fee_per_gas = uint256(1'000'000'000);
                t.tx.gas_limit = 21'000;
                t.tx.to = account((from + 1) % kAccounts);
                t.tx.value = uint256(1);
                t.sender = account(from);
                // Random, as real transaction hashes are: their index keys land all over it.
                for (size_t b = 0; b < t.hash.bytes.size(); b += 8) {
                    const uint64_t word = rng();
                    for (size_t i = 0; i < 8; ++i)
                        t.hash.bytes[b + i] = static_cast<uint8_t>(word >> (8 * i));
                }
                txs.push_back(std::move(t));
            }
            ++block;
            bench.ResumeTiming();
            auto committed = (*chain)->commit_block(txs, block, Address{}, chain::BlockOrigin{});
            if (!committed) return bench.SkipWithError(committed.error().message.c_str());
            if (committed->tx_hashes.size() != kBlockTxs)
                return bench.SkipWithError("a transfer was left out of the block");
        }
        bench.counters["tx_per_s"] =
            benchmark::Counter(double(kBlockTxs) * bench.iterations(), benchmark::Counter::kIsRate);
    }
    fs::remove_all(dir);
}
BENCHMARK(BM_CommitBlock)
    ->ArgNames({"memtable_mib", "compress"})
    ->Args({64, 1})
    ->Args({16, 1})
    ->Args({4, 1})
    ->Args({64, 0})
    ->Args({16, 0})
    ->Iterations(300)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()  // RocksDB's flushes and compactions run on its own threads
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
