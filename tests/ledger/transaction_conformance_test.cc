// Runs ethereum-tests/TransactionTests for the Cancun fork: every valid case must decode, pass
// validation and yield the fixture's sender, hash and intrinsic gas; every invalid case must be
// rejected. Cases whose fixture stops before Cancun (all RLP-level rejections, e.g. ttWrongRLP)
// are checked against the newest fork they name, since Cancun keeps those rules.
#include <gtest/gtest.h>

#include "ledger/transaction.h"
#include "support/fixtures.h"

namespace hc {
namespace {

// Newest first.
constexpr const char* kForks[] = {
    "Cancun",         "Shanghai",  "Paris",  "London", "Berlin",    "Istanbul", "ConstantinopleFix",
    "Constantinople", "Byzantium", "EIP158", "EIP150", "Homestead", "Frontier"};
constexpr uint64_t kFixtureChainId = 1;

TEST(TransactionConformance, Cancun) {
    std::string why;
    auto dir = test::eth_tests_dir("TransactionTests", &why);
    if (!dir) GTEST_SKIP() << why;

    test::Tally tally;
    size_t older_fork_cases = 0;
    for (const auto& file : test::json_files(*dir)) {
        const std::string file_id =
            file.parent_path().filename().string() + "/" + file.filename().string();
        auto doc = test::read_json(file, &why);
        if (!doc) {
            tally.skip(file_id, why);
            continue;
        }
        for (const auto& [name, tc] : doc->items()) {
            const std::string id = file_id + ":" + name;
            const auto& results = tc["result"];
            const nlohmann::json* expect = nullptr;
            for (const char* fork : kForks)
                if (results.contains(fork)) {
                    expect = &results[fork];
                    if (std::string(fork) != "Cancun") ++older_fork_cases;
                    break;
                }
            if (!expect) {
                tally.skip(id, "no expectation for any known fork");
                continue;
            }
            auto raw = from_hex(tc["txbytes"].get<std::string>());
            Result<Transaction> tx =
                raw ? decode_transaction(*raw) : Result<Transaction>(raw.error());
            Result<Address> sender =
                tx ? validate_transaction(*tx, kFixtureChainId) : Result<Address>(tx.error());

            if (expect->contains("exception")) {
                if (sender)
                    tally.fail(id,
                               "accepted, expected " + (*expect)["exception"].get<std::string>());
                else
                    tally.pass();
                continue;
            }
            if (!sender) {
                tally.fail(id, "rejected a valid transaction: " + sender.error().to_string());
                continue;
            }
            const auto want_sender = parse_address((*expect)["sender"].get<std::string>());
            const auto want_hash = Hash32::from_hex((*expect)["hash"].get<std::string>());
            const auto want_gas =
                uint256::from_string((*expect)["intrinsicGas"].get<std::string>());
            if (!want_sender || *sender != *want_sender) {
                tally.fail(id, "sender " + sender->hex() +
                                   " != " + (*expect)["sender"].get<std::string>());
            } else if (!want_hash || transaction_hash(*tx) != *want_hash) {
                tally.fail(id, "hash " + transaction_hash(*tx).hex() +
                                   " != " + (*expect)["hash"].get<std::string>());
            } else if (!want_gas || uint256(intrinsic_gas(*tx)) != *want_gas) {
                tally.fail(id, "intrinsic gas " + std::to_string(intrinsic_gas(*tx)) +
                                   " != " + (*expect)["intrinsicGas"].get<std::string>());
            } else if (encode_transaction(*tx) != *raw) {
                tally.fail(id, "re-encoding differs from the canonical input");
            } else {
                tally.pass();
            }
        }
    }
    std::cout
        << "(" << older_fork_cases
        << " cases have no Cancun entry and were checked against the newest fork they name)\n";
    tally.report("TransactionTests");
    EXPECT_EQ(tally.failed, 0u);
    EXPECT_GT(tally.passed, 0u);
}

}  // namespace
}  // namespace hc
