// Runs ethereum-tests/GeneralStateTests for the Cancun fork: for every "Cancun" post entry, the
// pre state is built, the transaction selected by the entry's indexes is signed with the
// fixture's key and processed with process_transaction (base fee burnt, as on Ethereum), and the
// resulting state root and the hash of the logs must equal the fixture's. Entries that expect an
// exception must be rejected as invalid transactions.
//
// Blob transactions (type 3) and the KZG point evaluation precompile (0x0a) are out of scope;
// each case skipped for them is listed in state_test_skips.txt and the run fails if the list and
// what it skipped differ. HC_STATE_TESTS_REPORT_ONLY=1 reports without failing.
#include <gtest/gtest.h>

#include <pthread.h>
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "chain/transaction_processor.h"
#include "codec/rlp.h"
#include "common/keccak.h"
#include "support/fixtures.h"

namespace hc {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kFixtureChainId = 1;
constexpr size_t kFailuresShown = 60;
constexpr size_t kWorkerStack = size_t{512} << 20;

const fs::path kSkipFile = fs::path(__FILE__).parent_path() / "state_test_skips.txt";

// The outcome of one post entry.
struct CaseResult {
    std::string id;
    enum class Kind { pass, fail, skip } kind = Kind::pass;
    std::string why;
};

Result<uint256> num(const json& j) {
    if (!j.is_string()) return make_error(Errc::invalid_argument, "not a string: " + j.dump());
    return uint256::from_string(j.get<std::string>());
}

Result<uint64_t> num64(const json& j) {
    HC_ASSIGN_OR_RETURN(uint256 v, num(j));
    if (!v.fits_uint64()) return make_error(Errc::invalid_argument, "above 2^64-1");
    return v.low64();
}

Result<Hash32> word(const json& j) {
    HC_ASSIGN_OR_RETURN(uint256 v, num(j));
    Hash32 h;
    h.bytes = v.to_be();
    return h;
}

Result<Bytes> bytes_of(const json& j) {
    if (!j.is_string()) return make_error(Errc::invalid_argument, "not a string");
    return from_hex(j.get<std::string>());
}

Result<state::StateDiff> pre_state(const json& pre) {
    state::StateDiff d;
    for (const auto& [addr_text, acc] : pre.items()) {
        HC_ASSIGN_OR_RETURN(Address address, parse_address(addr_text));
        state::Account a;
        HC_ASSIGN_OR_RETURN(a.nonce, num64(acc.at("nonce")));
        HC_ASSIGN_OR_RETURN(a.balance, num(acc.at("balance")));
        HC_ASSIGN_OR_RETURN(Bytes code, bytes_of(acc.at("code")));
        if (!code.empty()) {
            a.code_hash = keccak256(code);
            d.code.emplace(a.code_hash, std::move(code));
        }
        d.accounts.emplace(address, a);
        for (const auto& [k, v] : acc.at("storage").items()) {
            HC_ASSIGN_OR_RETURN(Hash32 key, word(json(k)));
            HC_ASSIGN_OR_RETURN(uint256 value, num(v));
            if (!value.is_zero()) d.storage.emplace(state::StorageKey{address, key}, value);
        }
    }
    return d;
}

// The transaction of one post entry, unsigned. Fails for values no transaction can carry.
Result<Transaction> build_tx(const json& t, const json& indexes) {
    Transaction tx;
    const size_t di = indexes.at("data").get<size_t>();
    const size_t gi = indexes.at("gas").get<size_t>();
    const size_t vi = indexes.at("value").get<size_t>();
    HC_ASSIGN_OR_RETURN(tx.nonce, num64(t.at("nonce")));
    HC_ASSIGN_OR_RETURN(tx.gas_limit, num64(t.at("gasLimit").at(gi)));
    HC_ASSIGN_OR_RETURN(tx.value, num(t.at("value").at(vi)));
    HC_ASSIGN_OR_RETURN(tx.data, bytes_of(t.at("data").at(di)));
    const std::string to = t.value("to", std::string());
    if (!to.empty()) {
        HC_ASSIGN_OR_RETURN(Address a, parse_address(to));
        tx.to = a;
    }
    const json* access = nullptr;
    if (t.contains("accessLists") && t.at("accessLists").is_array() &&
        di < t.at("accessLists").size() && !t.at("accessLists")[di].is_null())
        access = &t.at("accessLists")[di];
    if (t.contains("maxFeePerGas")) {
        tx.type = TxType::dynamic_fee;
        HC_ASSIGN_OR_RETURN(tx.max_fee_per_gas, num(t.at("maxFeePerGas")));
        HC_ASSIGN_OR_RETURN(tx.max_priority_fee_per_gas, num(t.at("maxPriorityFeePerGas")));
    } else {
        tx.type = access ? TxType::access_list : TxType::legacy;
        HC_ASSIGN_OR_RETURN(tx.gas_price, num(t.at("gasPrice")));
    }
    tx.chain_id = kFixtureChainId;
    if (access) {
        for (const auto& e : *access) {
            AccessListEntry entry;
            HC_ASSIGN_OR_RETURN(entry.address, parse_address(e.at("address").get<std::string>()));
            for (const auto& k : e.at("storageKeys")) {
                HC_ASSIGN_OR_RETURN(Hash32 key, word(k));
                entry.storage_keys.push_back(key);
            }
            tx.access_list.push_back(std::move(entry));
        }
    }
    return tx;
}

Hash32 logs_hash(const std::vector<Log>& logs) {
    std::vector<Bytes> items;
    for (const Log& log : logs) {
        std::vector<Bytes> topics;
        for (const Hash32& t : log.topics)
            topics.push_back(rlp::encode_string(t.view()));
        items.push_back(rlp::encode_list({rlp::encode_string(log.address.view()),
                                          rlp::encode_list(topics), rlp::encode_string(log.data)}));
    }
    return keccak256(rlp::encode_list(items));
}

// Blob transactions and the point evaluation precompile are the only cases left out.
std::optional<std::string> skip_reason(const json& t) {
    if (t.contains("blobVersionedHashes") || t.contains("maxFeePerBlobGas"))
        return "blob transaction (type 3) not supported";
    return std::nullopt;
}

void run_case(const std::string& base_id, const json& tc, std::vector<CaseResult>& out,
              evm::AnalysisCache& cache);

void run_file(const fs::path& file, const fs::path& root, std::vector<CaseResult>& out,
              evm::AnalysisCache& cache) {
    const std::string file_id = fs::relative(file, root).string();
    std::string why;
    auto doc = test::read_json(file, &why);
    if (!doc) {
        out.push_back({file_id, CaseResult::Kind::fail, why});
        return;
    }
    for (const auto& [name, tc] : doc->items()) {
        const std::string base_id = file_id + ":" + name;
        try {
            run_case(base_id, tc, out, cache);
        } catch (const std::exception& e) {  // a fixture of an unexpected shape
            out.push_back(
                {base_id, CaseResult::Kind::fail, std::string("bad fixture: ") + e.what()});
        }
    }
}

void run_case(const std::string& base_id, const json& tc, std::vector<CaseResult>& out,
              evm::AnalysisCache& cache) {
    if (!tc.contains("post") || !tc.at("post").contains("Cancun")) return;
    const json& t = tc.at("transaction");
    const json& env = tc.at("env");
    const json& posts = tc.at("post").at("Cancun");

    state::WorldState world;
    auto pre = pre_state(tc.at("pre"));
    if (!pre) {
        out.push_back(
            {base_id, CaseResult::Kind::fail, "bad pre state: " + pre.error().to_string()});
        return;
    }
    world.apply(*pre);

    chain::BlockContext block;
    auto coinbase = parse_address(env.at("currentCoinbase").get<std::string>());
    auto number = num64(env.at("currentNumber"));
    auto timestamp = num64(env.at("currentTimestamp"));
    auto gas_limit = num64(env.at("currentGasLimit"));
    auto base_fee = num(env.value("currentBaseFee", json("0x00")));
    auto random = num(env.value("currentRandom", json("0x00")));
    auto excess = num64(env.value("currentExcessBlobGas", json("0x00")));
    if (!coinbase || !number || !timestamp || !gas_limit || !base_fee || !random || !excess) {
        out.push_back({base_id, CaseResult::Kind::fail, "bad env"});
        return;
    }
    block.coinbase = *coinbase;
    block.number = *number;
    block.timestamp = *timestamp;
    block.gas_limit = *gas_limit;
    block.base_fee = *base_fee;
    block.prev_randao = *random;
    block.blob_base_fee = chain::blob_base_fee(*excess);
    block.chain_id = kFixtureChainId;
    block.fee_policy = chain::FeePolicy::burn_base_fee;
    // As in geth's and evmone's state test runners: the hash of block n is keccak256 of n
    // written in decimal.
    block.block_hash = [](uint64_t n) {
        const std::string s = std::to_string(n);
        return keccak256(BytesView(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
    };
    auto key = Hash32::from_hex(t.value("secretKey", std::string()));

    for (const auto& post : posts) {
        const json& idx = post.at("indexes");
        const std::string id = base_id + "[d" + std::to_string(idx.at("data").get<int>()) + ",g" +
                               std::to_string(idx.at("gas").get<int>()) + ",v" +
                               std::to_string(idx.at("value").get<int>()) + "]";
        if (auto reason = skip_reason(t)) {
            out.push_back({id, CaseResult::Kind::skip, *reason});
            continue;
        }
        const bool expect_invalid = post.contains("expectException");
        Result<Transaction> tx = build_tx(t, idx);
        Result<Address> sender = tx ? Result<Address>(Address{}) : Result<Address>(tx.error());
        if (tx) {
            if (!key) {
                sender = key.error();
            } else if (Status s = sign_transaction(*tx, *key); !s) {
                sender = s.error();
            } else {
                sender = validate_transaction(*tx, kFixtureChainId);
            }
        }
        state::StateOverlay overlay(world);
        Result<chain::TxOutcome> outcome =
            sender ? chain::process_transaction(overlay, *tx, *sender, block, 0, &cache)
                   : Result<chain::TxOutcome>(sender.error());
        if (!outcome && outcome.error().code == Errc::unsupported) {
            out.push_back({id, CaseResult::Kind::skip,
                           "KZG point evaluation precompile (0x0a) not supported"});
            continue;
        }
        if (expect_invalid) {
            if (outcome)
                out.push_back(
                    {id, CaseResult::Kind::fail,
                     "accepted, expected " + post.at("expectException").get<std::string>()});
            else
                out.push_back({id, CaseResult::Kind::pass, {}});
            continue;
        }
        if (!outcome) {
            out.push_back({id, CaseResult::Kind::fail,
                           "rejected a valid transaction: " + outcome.error().to_string()});
            continue;
        }
        const state::StateDiff diff = overlay.diff();
        const state::StateDiff reverse = world.apply(diff);
        const Hash32 root = world.root();
        world.apply(reverse);
        const std::string want_root = post.at("hash").get<std::string>();
        const std::string want_logs = post.at("logs").get<std::string>();
        if (root.hex() != want_root) {
            out.push_back({id, CaseResult::Kind::fail,
                           "state root " + root.hex() + " != " + want_root +
                               (outcome->status ? " (tx succeeded" : " (tx failed") +
                               ", gas used " + std::to_string(outcome->gas_used) + ")"});
        } else if (const Hash32 lh = logs_hash(outcome->logs); lh.hex() != want_logs) {
            out.push_back(
                {id, CaseResult::Kind::fail, "logs hash " + lh.hex() + " != " + want_logs});
        } else {
            out.push_back({id, CaseResult::Kind::pass, {}});
        }
    }
}

// "case: reason" lines; '#' starts a comment.
std::map<std::string, std::string> read_skip_file() {
    std::map<std::string, std::string> out;
    std::ifstream in(kSkipFile);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const size_t sep = line.rfind(": ");
        if (sep == std::string::npos) continue;
        out.emplace(line.substr(0, sep), line.substr(sep + 2));
    }
    return out;
}

TEST(StateConformance, Cancun) {
    std::string why;
    auto dir = test::eth_tests_dir("GeneralStateTests", &why);
    if (!dir) GTEST_SKIP() << why;
    const char* report_env = std::getenv("HC_STATE_TESTS_REPORT_ONLY");
    const bool report_only = report_env && std::string(report_env) == "1";

    const std::vector<fs::path> files = test::json_files(*dir);
    std::vector<std::vector<CaseResult>> results(files.size());
    evm::AnalysisCache cache;
    std::atomic<size_t> next{0};
    auto worker = [&] {
        for (size_t i = next++; i < files.size(); i = next++)
            run_file(files[i], *dir, results[i], cache);
    };
    // Nested calls recurse on the machine stack (up to 1024 frames, larger still under the
    // sanitizers), so the workers get a stack well beyond the default 8 MiB.
    const unsigned n_threads = std::max(1u, std::min(2u, std::thread::hardware_concurrency()));
    std::vector<pthread_t> threads;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, kWorkerStack);
    auto trampoline = [](void* arg) -> void* {
        (*static_cast<decltype(worker)*>(arg))();
        return nullptr;
    };
    for (unsigned i = 0; i < n_threads; ++i) {
        pthread_t th;
        if (pthread_create(&th, &attr, trampoline, &worker) == 0) threads.push_back(th);
    }
    pthread_attr_destroy(&attr);
    for (pthread_t th : threads)
        pthread_join(th, nullptr);

    test::Tally tally;
    std::map<std::string, std::string> skipped;
    for (const auto& file_results : results)
        for (const CaseResult& r : file_results) {
            switch (r.kind) {
                case CaseResult::Kind::pass:
                    tally.pass();
                    break;
                case CaseResult::Kind::fail:
                    tally.fail(r.id, r.why);
                    break;
                case CaseResult::Kind::skip:
                    tally.skip(r.id, r.why);
                    skipped.emplace(r.id, r.why);
                    break;
            }
        }

    // The skip file must list exactly what was skipped.
    const std::map<std::string, std::string> listed = read_skip_file();
    std::vector<std::string> unlisted, stale;
    for (const auto& [id, reason] : skipped) {
        auto it = listed.find(id);
        if (it == listed.end() || it->second != reason) unlisted.push_back(id + ": " + reason);
    }
    for (const auto& [id, reason] : listed)
        if (!skipped.count(id)) stale.push_back(id);
    for (const auto& s : unlisted)
        std::cout << "  skipped but not listed so in state_test_skips.txt: " << s << "\n";
    for (const auto& s : stale)
        std::cout << "  in state_test_skips.txt but not skipped: " << s << "\n";

    // Print the first failures only; the full list of thousands helps nobody.
    // HC_STATE_TESTS_SHOW=N prints N instead.
    size_t shown = kFailuresShown;
    if (const char* n = std::getenv("HC_STATE_TESTS_SHOW")) shown = std::strtoull(n, nullptr, 10);
    const size_t total_failures = tally.failures.size();
    if (tally.failures.size() > shown) tally.failures.resize(shown);
    tally.skips.clear();
    std::cout << skipped.size() << " cases skipped (listed in state_test_skips.txt)\n";
    if (total_failures > shown)
        std::cout << "(showing the first " << shown << " of " << total_failures << " failures)\n";
    tally.report("GeneralStateTests");

    if (report_only) return;
    EXPECT_EQ(total_failures, 0u);
    EXPECT_TRUE(unlisted.empty());
    EXPECT_TRUE(stale.empty());
    EXPECT_GT(tally.passed, 0u);
}

}  // namespace
}  // namespace hc
