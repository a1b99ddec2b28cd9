#include "node/genesis_file.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace hc::node {

Status write_genesis_file(const std::filesystem::path& path, const chain::ChainConfig& config) {
    nlohmann::json alloc = nlohmann::json::object();
    for (const auto& a : config.alloc)
        alloc[to_checksum_address(a.address)] = {{"balance", a.balance.to_hex()}};
    nlohmann::json j = {{"chainId", config.chain_id},
                        {"gasLimit", uint256(config.gas_limit).to_hex()},
                        {"baseFee", config.base_fee.to_hex()},
                        {"timestamp", uint256(config.genesis_timestamp).to_hex()},
                        {"alloc", alloc}};
    if (config.generated.count > 0)
        j["generatedAccounts"] = {{"count", config.generated.count},
                                  {"balance", config.generated.balance.to_hex()}};
    // Written to a temporary name and renamed, so a crash never leaves half a file.
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << j.dump(2) << "\n";
        out.flush();
        if (!out) return make_error(Errc::io, "cannot write " + tmp.string());
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) return make_error(Errc::io, "cannot rename " + tmp.string() + ": " + ec.message());
    return {};
}

Result<chain::ChainConfig> read_genesis_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) return make_error(Errc::not_found, "cannot read " + path.string());
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str(), nullptr, false);
    auto bad = [&](const std::string& what) {
        return make_error(Errc::decode, path.string() + ": " + what);
    };
    if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
    auto quantity = [&](const char* key) -> Result<uint256> {
        if (!j.contains(key) || !j[key].is_string())
            return bad(std::string(key) + " must be a hex string");
        auto v = uint256::from_string(j[key].get<std::string>());
        if (!v) return bad(std::string(key) + ": " + v.error().message);
        return *v;
    };
    chain::ChainConfig c;
    if (!j.contains("chainId") || !j["chainId"].is_number_unsigned())
        return bad("chainId must be a positive integer");
    c.chain_id = j["chainId"].get<uint64_t>();
    HC_ASSIGN_OR_RETURN(uint256 gas_limit, quantity("gasLimit"));
    HC_ASSIGN_OR_RETURN(c.base_fee, quantity("baseFee"));
    HC_ASSIGN_OR_RETURN(uint256 timestamp, quantity("timestamp"));
    if (!gas_limit.fits_uint64() || !timestamp.fits_uint64())
        return bad("gasLimit and timestamp must fit in 64 bits");
    c.gas_limit = gas_limit.low64();
    c.genesis_timestamp = timestamp.low64();
    if (!j.contains("alloc") || !j["alloc"].is_object()) return bad("alloc must be an object");
    for (const auto& [addr, entry] : j["alloc"].items()) {
        auto a = parse_address(addr);
        if (!a) return bad("alloc: " + a.error().message);
        if (!entry.is_object() || !entry.contains("balance") || !entry["balance"].is_string())
            return bad("alloc " + addr + ": balance must be a hex string");
        auto balance = uint256::from_string(entry["balance"].get<std::string>());
        if (!balance) return bad("alloc " + addr + ": " + balance.error().message);
        c.alloc.push_back({*a, *balance});
    }
    if (j.contains("generatedAccounts")) {
        const auto& g = j["generatedAccounts"];
        if (!g.is_object() || !g.contains("count") || !g["count"].is_number_unsigned() ||
            !g.contains("balance") || !g["balance"].is_string())
            return bad(
                "generatedAccounts must be {\"count\": a positive integer, \"balance\": a hex "
                "string}");
        auto balance = uint256::from_string(g["balance"].get<std::string>());
        if (!balance) return bad("generatedAccounts balance: " + balance.error().message);
        c.generated = {g["count"].get<uint64_t>(), *balance};
    }
    c.governance = dev_governance(c);
    return c;
}

governance::GovernanceState dev_governance(const chain::ChainConfig& config) {
    governance::GovernanceState g;
    g.mode = governance::PermissionMode::open;
    g.params.gas_limit = config.gas_limit;
    return g;
}

}  // namespace hc::node
