// Block execution in order (execute_block) against Block-STM (execute_block_parallel) on the
// same blocks, in transactions per second:
//   W1         independent transfers: distinct senders to distinct receivers, no conflicts;
//   contended  the same with every tenth transaction a call of a counter contract that adds one
//              to a single storage slot, so those calls conflict with each other.
// The second argument is the number of worker threads (0: execute_block).
#include <benchmark/benchmark.h>

#include "chain/parallel_execution.h"
#include "common/keccak.h"

namespace {

using namespace hc;

constexpr uint64_t kChainId = 1337;
constexpr size_t kBlockTxs = 2'000;

Address address_of(uint8_t tag, uint64_t i) {
    Address a;
    a.bytes[0] = tag;
    for (int b = 0; b < 8; ++b)
        a.bytes[12 + b] = static_cast<uint8_t>(i >> (8 * b));
    return a;
}

struct Block {
    state::WorldState base;
    chain::BlockContext context;
    std::vector<chain::BlockTx> txs;
};

Block make_block(bool contended) {
    static const Bytes kCounter = *from_hex("60015460010160015500");  // slot 1 += 1
    const Address counter = address_of(0xcc, 0);
    Block b;
    state::StateDiff genesis;
    state::Account c;
    c.nonce = 1;
    c.code_hash = keccak256(kCounter);
    genesis.accounts[counter] = c;
    genesis.code[c.code_hash] = kCounter;
    for (size_t i = 0; i < kBlockTxs; ++i) {
        state::Account a;
        a.balance = uint256(1'000'000'000'000'000'000ULL);
        genesis.accounts[address_of(0xaa, i)] = a;
    }
    b.base.apply(genesis);
    b.context.number = 1;
    b.context.gas_limit = 1'000'000'000;
    b.context.chain_id = kChainId;
    b.context.base_fee = uint256(1'000'000'000);
    b.context.fee_policy = chain::FeePolicy::pay_all_to_coinbase;
    b.context.coinbase = address_of(0xfe, 0);
    for (size_t i = 0; i < kBlockTxs; ++i) {
        Transaction tx;
        tx.type = TxType::legacy;
        tx.chain_id = kChainId;
        tx.gas_price = uint256(1'000'000'000);
        if (contended && i % 10 == 0) {
            tx.to = counter;
            tx.gas_limit = 60'000;
        } else {
            tx.to = address_of(0xbb, i);
            tx.value = uint256(1000);
            tx.gas_limit = 21'000;
        }
        Hash32 h;
        h.bytes[24] = static_cast<uint8_t>(i >> 8);
        h.bytes[31] = static_cast<uint8_t>(i);
        b.txs.push_back({tx, h, address_of(0xaa, i)});
    }
    return b;
}

// Arguments: contended (0/1), worker threads (0: in order).
void BM_ExecuteBlock(benchmark::State& bench) {
    const Block block = make_block(bench.range(0) != 0);
    const unsigned threads = static_cast<unsigned>(bench.range(1));
    evm::AnalysisCache cache;
    for (auto _ : bench) {
        chain::ParallelStats stats;
        auto r = threads == 0 ? chain::execute_block(block.base, block.context, block.txs, &cache)
                              : chain::execute_block_parallel(block.base, block.context, block.txs,
                                                              threads, &cache, &stats);
        if (!r || (threads != 0 && !stats.parallel)) {
            bench.SkipWithError(r ? stats.fallback_reason.c_str() : "execution failed");
            return;
        }
        benchmark::DoNotOptimize(r->gas_used);
    }
    bench.counters["tx_per_s"] =
        benchmark::Counter(double(kBlockTxs) * bench.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ExecuteBlock)
    ->ArgsProduct({{0, 1}, {0, 1, 2, 4, 8}})
    ->ArgNames({"contended", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
