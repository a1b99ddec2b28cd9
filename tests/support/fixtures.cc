#include "support/fixtures.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace hc::test {

namespace fs = std::filesystem;

namespace {
// $HONEYCOMB_ETH_TESTS when set, else the shared/ folder beside the source tree.
fs::path eth_tests_location() {
    if (const char* env = std::getenv("HONEYCOMB_ETH_TESTS"); env && *env) return env;
    return HC_DEFAULT_ETH_TESTS;
}
}  // namespace

std::optional<fs::path> eth_tests_root() {
    fs::path root = eth_tests_location();
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return std::nullopt;
    return fs::canonical(root, ec);
}

std::optional<fs::path> eth_tests_dir(const std::string& sub, std::string* why) {
    auto root = eth_tests_root();
    if (!root) {
        *why = "ethereum-tests fixtures not found at " + eth_tests_location().string() +
               " (set HONEYCOMB_ETH_TESTS to their folder); skipping " + sub + " conformance";
        return std::nullopt;
    }
    fs::path dir = *root / sub;
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
        *why = dir.string() + " does not exist; skipping " + sub + " conformance";
        return std::nullopt;
    }
    return dir;
}

std::vector<fs::path> json_files(const fs::path& dir) {
    std::vector<fs::path> out;
    if (fs::is_regular_file(dir)) return {dir};
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<nlohmann::json> read_json(const fs::path& file, std::string* why) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        *why = "cannot open " + file.string();
        return std::nullopt;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    if (text.empty()) {
        *why = "fixture file is empty";
        return std::nullopt;
    }
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        *why = "fixture file is not valid JSON";
        return std::nullopt;
    }
    return j;
}

void Tally::fail(const std::string& name, const std::string& why) {
    ++failed;
    failures.push_back(name + ": " + why);
}

void Tally::skip(const std::string& name, const std::string& why) {
    ++skipped;
    skips.push_back(name + ": " + why);
}

void Tally::report(const std::string& suite) const {
    for (const auto& s : skips)
        std::cout << "  SKIP " << s << "\n";
    for (const auto& f : failures)
        std::cout << "  FAIL " << f << "\n";
    std::cout << suite << ": " << passed << " passed, " << failed << " failed, " << skipped
              << " skipped (" << passed + failed + skipped << " cases)" << std::endl;
}

}  // namespace hc::test
