// Locating and reading the official ethereum-tests fixtures for conformance tests.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hc::test {

// The ethereum-tests root: $HONEYCOMB_ETH_TESTS if set, else ../shared/conformance/ethereum-tests
// beside the source tree. nullopt if the folder does not exist.
std::optional<std::filesystem::path> eth_tests_root();

// The folder `sub` under the fixtures root, or nullopt (after printing why) if absent.
// Conformance tests call GTEST_SKIP() with the returned message when this is nullopt.
std::optional<std::filesystem::path> eth_tests_dir(const std::string& sub, std::string* why);

// Every *.json file under dir, recursively, sorted for a stable order.
std::vector<std::filesystem::path> json_files(const std::filesystem::path& dir);

// Parses a JSON file; empty or unparsable files yield nullopt with the reason in *why.
std::optional<nlohmann::json> read_json(const std::filesystem::path& file, std::string* why);

// Running tally printed as "<suite>: N passed, N failed, N skipped (M cases)".
struct Tally {
    size_t passed = 0, failed = 0, skipped = 0;
    std::vector<std::string> failures;  // "case: reason", printed in full
    std::vector<std::string> skips;     // "case: reason"
    void pass() { ++passed; }
    void fail(const std::string& name, const std::string& why);
    void skip(const std::string& name, const std::string& why);
    // Prints every failure and skip, then the summary line.
    void report(const std::string& suite) const;
};

}  // namespace hc::test
