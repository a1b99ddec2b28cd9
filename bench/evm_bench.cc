// The interpreter on the standard EVM benchmark set, with evmone-bench's "execute" settings: code
// analysis outside the timed loop, a mocked host, a CALL with gas INT64_MAX. After the Google
// Benchmark table it prints each input's time beside evmone's baseline interpreter (from
// EVMONE-HERE.md in the benchmark folder) and the geometric mean of the ratios over
// benchmarks/main, the figure the 2x target is stated in.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <unordered_map>

#include "common/keccak.h"
#include "evm/interpreter.h"

namespace {

using namespace hc;
namespace fs = std::filesystem;

// Storage, balances and logs in maps; everything warm, calls answered with success and no output.
class BenchHost final : public evm::Host {
  public:
    bool account_exists(const Address&) const noexcept override { return true; }
    uint256 get_storage(const Address&, const Hash32& key) const noexcept override {
        auto it = storage_.find(key);
        return it == storage_.end() ? uint256{} : it->second;
    }
    evm::StorageStatus set_storage(const Address&, const Hash32& key,
                                   const uint256& value) noexcept override {
        storage_[key] = value;
        return evm::StorageStatus::assigned;
    }
    uint256 get_balance(const Address&) const noexcept override { return {}; }
    size_t get_code_size(const Address&) const noexcept override { return 0; }
    Hash32 get_code_hash(const Address&) const noexcept override { return {}; }
    BytesView get_code(const Address&) const noexcept override { return {}; }
    bool selfdestruct(const Address&, const Address&) noexcept override { return false; }
    evm::ExecutionResult call(const evm::Message& m) noexcept override {
        return {evm::StatusCode::success, m.gas, 0, {}, {}};
    }
    const evm::TxContext& tx_context() const noexcept override { return context_; }
    Hash32 get_block_hash(int64_t) const noexcept override { return {}; }
    void emit_log(const Address&, BytesView, std::span<const Hash32>) noexcept override {}
    evm::AccessStatus access_account(const Address&) noexcept override {
        return evm::AccessStatus::warm;
    }
    evm::AccessStatus access_storage(const Address&, const Hash32&) noexcept override {
        return evm::AccessStatus::warm;
    }
    uint256 get_transient_storage(const Address&, const Hash32&) const noexcept override {
        return {};
    }
    void set_transient_storage(const Address&, const Hash32&, const uint256&) noexcept override {}

  private:
    std::unordered_map<Hash32, uint256> storage_;
    evm::TxContext context_;
};

struct Case {
    std::string name;  // "main/swap_math/spent"
    std::shared_ptr<evm::CodeAnalysis> code;
    Bytes input;
};

fs::path benchmarks_dir() {
    if (const char* env = std::getenv("HONEYCOMB_EVM_BENCHMARKS")) return env;
    return HC_DEFAULT_EVM_BENCHMARKS;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<Case> load_cases(const fs::path& root) {
    std::vector<Case> cases;
    for (const char* group : {"main", "micro"}) {
        const fs::path dir = root / "flat" / group;
        if (!fs::is_directory(dir)) continue;
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(dir))
            if (e.path().string().ends_with(".code.hex")) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const fs::path& code_path : files) {
            std::string stem = code_path.filename().string();
            stem = stem.substr(0, stem.size() - std::string(".code.hex").size());
            std::string hex = read_text(code_path);
            while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back())))
                hex.pop_back();
            auto code = from_hex(hex);
            if (!code) {
                std::fprintf(stderr, "evm_bench: %s: %s\n", code_path.c_str(),
                             code.error().message.c_str());
                std::exit(1);
            }
            auto analysis = std::make_shared<evm::CodeAnalysis>(evm::analyze(*code));
            std::ifstream inputs(dir / (stem + ".inputs.tsv"));
            std::string line;
            while (std::getline(inputs, line)) {
                auto tab = line.find('\t');
                if (tab == std::string::npos) continue;
                auto input = from_hex(line.substr(tab + 1));
                if (!input) continue;
                cases.push_back({std::string(group) + "/" + stem + "/" + line.substr(0, tab),
                                 analysis, std::move(*input)});
            }
        }
    }
    return cases;
}

// "| main/blake2b_huff/empty | 13,984 | 12.5 µs | ..." -> seconds per execution.
std::map<std::string, double> evmone_baseline(const fs::path& root) {
    std::map<std::string, double> out;
    std::ifstream in(root / "EVMONE-HERE.md");
    std::string line;
    const std::regex row(
        R"(^\|\s*((?:main|micro)/\S+)\s*\|\s*[\d,]+\s*\|\s*([\d.]+)\s*(µs|ms|ns|s)\s*\|)");
    std::smatch m;
    while (std::getline(in, line)) {
        if (!std::regex_search(line, m, row)) continue;
        double v = std::stod(m[2]);
        const std::string unit = m[3];
        double scale = unit == "ns" ? 1e-9 : unit == "ms" ? 1e-3 : unit == "s" ? 1.0 : 1e-6;
        out[m[1]] = v * scale;
    }
    return out;
}

void run_case(benchmark::State& state, const Case* c) {
    BenchHost host;
    evm::Message msg;
    msg.kind = evm::CallKind::call;
    msg.gas = std::numeric_limits<int64_t>::max();
    msg.input = c->input;
    msg.recipient.bytes[19] = 0xbe;
    int64_t gas_used = 0;
    for (auto _ : state) {
        evm::ExecutionResult r = evm::execute(host, msg, *c->code);
        if (r.status != evm::StatusCode::success) {
            state.SkipWithError(evm::status_name(r.status));
            break;
        }
        gas_used = msg.gas - r.gas_left;
        benchmark::DoNotOptimize(r.output.data());
    }
    state.counters["gas_used"] = double(gas_used);
    state.counters["gas_rate"] =
        benchmark::Counter(double(gas_used) * state.iterations(), benchmark::Counter::kIsRate);
}

// Keeps each run's time per iteration for the comparison table.
class Collector : public benchmark::ConsoleReporter {
  public:
    std::map<std::string, double> seconds;
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& r : runs)
            if (!r.error_occurred && r.iterations > 0)
                seconds[r.benchmark_name()] = r.real_accumulated_time / double(r.iterations);
        ConsoleReporter::ReportRuns(runs);
    }
};

}  // namespace

int main(int argc, char** argv) {
    const fs::path root = benchmarks_dir();
    std::vector<Case> cases = load_cases(root);
    if (cases.empty()) {
        std::printf(
            "evm_bench: no benchmarks found under %s (set HONEYCOMB_EVM_BENCHMARKS); "
            "skipping\n",
            root.c_str());
        return 0;
    }
    for (const Case& c : cases)
        benchmark::RegisterBenchmark(c.name.c_str(), run_case, &c);
    benchmark::Initialize(&argc, argv);
    Collector collector;
    benchmark::RunSpecifiedBenchmarks(&collector);

    auto baseline = evmone_baseline(root);
    std::printf("\n%-45s %12s %12s %8s\n", "benchmark/input", "honeycomb", "evmone", "ratio");
    double log_sum = 0;
    int n = 0;
    for (const auto& [name, secs] : collector.seconds) {
        auto it = baseline.find(name);
        if (it == baseline.end()) {
            std::printf("%-45s %10.2f µs %12s %8s\n", name.c_str(), secs * 1e6, "-", "-");
            continue;
        }
        double ratio = secs / it->second;
        std::printf("%-45s %10.2f µs %9.2f µs %7.2fx\n", name.c_str(), secs * 1e6, it->second * 1e6,
                    ratio);
        if (name.rfind("main/", 0) == 0) {
            log_sum += std::log(ratio);
            ++n;
        }
    }
    if (n > 0)
        std::printf(
            "\ngeometric mean of time ratios over benchmarks/main (%d inputs): %.2fx "
            "evmone baseline (target: at most 2x)\n",
            n, std::exp(log_sum / n));
    return 0;
}
