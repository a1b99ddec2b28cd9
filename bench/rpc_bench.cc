// The JSON-RPC front door on the batch a load generator sends: 100 eth_sendRawTransaction
// requests (a 110-byte transaction each, as W1's), read by the plain-batch fast path and by the
// general parser, and dispatched whole to a batched method that does nothing (what is left is
// the dispatcher's own cost per request: parsing, checking, answering).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "rpc/client.h"
#include "rpc/jsonrpc.h"
#include "rpc/plain_batch.h"

namespace {

using hc::rpc::MethodResult;
using nlohmann::json;

std::string w1_like_batch() {
    std::string tx = "0x02f86d82053980843b9aca00843b9aca0082520894";
    while (tx.size() < 2 + 2 * 110)
        tx += "5a";
    std::vector<hc::rpc::Request> requests;
    for (int i = 0; i < 100; ++i)
        requests.push_back({"eth_sendRawTransaction", json::array({tx})});
    return hc::rpc::batch_body(requests, 1000);
}

void BM_ParsePlainBatch(benchmark::State& state) {
    const std::string body = w1_like_batch();
    for (auto _ : state)
        benchmark::DoNotOptimize(hc::rpc::parse_plain_batch(body, 64));
    state.SetItemsProcessed(state.iterations() * 100);
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_ParsePlainBatch);

void BM_ParseGeneral(benchmark::State& state) {
    const std::string body = w1_like_batch();
    for (auto _ : state)
        benchmark::DoNotOptimize(json::parse(body));
    state.SetItemsProcessed(state.iterations() * 100);
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_ParseGeneral);

// The same batch; with arg 1, the first method name is spelt with an escape ("\u006e" for its
// last letter), which the fast path leaves to the general parser: the cost before the fast path.
void BM_DispatchBatch(benchmark::State& state) {
    std::string body = w1_like_batch();
    if (state.range(0) == 1) {
        const std::string name = "eth_sendRawTransaction\"";
        body.replace(body.find(name), name.size(), "eth_sendRawTransactio\\u006e\"");
        state.SetLabel("general parser");
    } else {
        state.SetLabel("plain-batch fast path");
    }
    hc::rpc::Dispatcher dispatcher;
    dispatcher.add_batched(
        "eth_sendRawTransaction", [](std::span<const json* const> params, hc::rpc::Session&) {
            return std::vector<MethodResult>(
                params.size(), json("0x" + std::string(64, '5')));  // a transaction hash's size
        });
    hc::rpc::LocalSession session(false);
    if (dispatcher.handle(body, session).find("error") != std::string::npos)
        state.SkipWithError("the batch was not answered with results");
    for (auto _ : state)
        benchmark::DoNotOptimize(dispatcher.handle(body, session));
    state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_DispatchBatch)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
