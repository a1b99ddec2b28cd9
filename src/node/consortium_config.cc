#include "node/consortium_config.h"

#include "common/log.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "codec/rlp.h"
#include "common/keccak.h"
#include "crypto/cert_issuer.h"

namespace hc::node {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// ---- Reading JSON with paths in every message ----

class Reader {
  public:
    explicit Reader(std::string_view source) : source_(source) {}

    Error fail(const std::string& path, const std::string& message) const {
        return make_error(Errc::decode, std::string(source_) + ": " +
                                            (path.empty() ? "" : path + ": ") + message);
    }

    // Parses text into a JSON object, rejecting syntax errors (with their position), duplicate
    // keys (nlohmann keeps the last one silently, which would hide a typo'd override) and a
    // top level that is not an object.
    Result<json> parse(std::string_view text, size_t max_size) const {
        if (text.size() > max_size)
            return fail("", "larger than " + std::to_string(max_size) + " bytes");
        std::vector<std::set<std::string>> keys;
        std::optional<std::string> duplicate;
        json::parser_callback_t cb = [&](int, json::parse_event_t event, json& parsed) {
            if (event == json::parse_event_t::object_start) {
                keys.emplace_back();
            } else if (event == json::parse_event_t::object_end) {
                if (!keys.empty()) keys.pop_back();
            } else if (event == json::parse_event_t::key && !keys.empty() && parsed.is_string()) {
                if (!keys.back().insert(parsed.get<std::string>()).second && !duplicate)
                    duplicate = parsed.get<std::string>();
            }
            return true;
        };
        json j;
        try {
            j = json::parse(text.begin(), text.end(), cb);
        } catch (const json::exception& e) {
            // "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
            std::string what = e.what();
            if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
            return fail("", "not valid JSON: " + what);
        }
        if (duplicate) return fail("", "duplicate key \"" + *duplicate + "\"");
        if (!j.is_object()) return fail("", "expected a JSON object at the top level");
        return j;
    }

    // Checks that `obj` is an object holding only `allowed` keys. Unknown keys are reported
    // before missing ones, since a misspelt field shows up as both.
    Status object(const json& obj, const std::string& path,
                  std::initializer_list<std::string_view> allowed) const {
        if (!obj.is_object()) return fail(path, "expected an object, got " + type_of(obj));
        for (const auto& [key, value] : obj.items()) {
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
            std::string names;
            for (std::string_view a : allowed)
                names += (names.empty() ? "" : ", ") + std::string(a);
            return fail(join(path, key), "unknown field (expected one of: " + names + ")");
        }
        return {};
    }

    Result<const json*> required(const json& obj, const std::string& path,
                                 const std::string& key) const {
        auto it = obj.find(key);
        if (it == obj.end()) return fail(join(path, key), "missing (required)");
        return &*it;
    }

    static const json* optional(const json& obj, const std::string& key) {
        auto it = obj.find(key);
        return it == obj.end() ? nullptr : &*it;
    }

    Result<std::string> string(const json& v, const std::string& path) const {
        if (!v.is_string()) return fail(path, "expected a string, got " + type_of(v));
        return v.get<std::string>();
    }

    // A JSON integer >= 0, or a decimal or 0x-hex string that fits in 64 bits.
    Result<uint64_t> u64(const json& v, const std::string& path) const {
        if (v.is_number_unsigned()) return v.get<uint64_t>();
        if (v.is_number_integer())
            return fail(path, "expected a non-negative integer, got " + v.dump());
        if (v.is_string()) {
            auto n = uint256::from_string(v.get<std::string>());
            if (!n) return fail(path, n.error().message);
            if (!n->fits_uint64()) return fail(path, "value does not fit in 64 bits");
            return n->low64();
        }
        return fail(path, "expected a non-negative integer, got " + type_of(v));
    }

    Result<uint64_t> u64_in(const json& v, const std::string& path, uint64_t lo,
                            uint64_t hi) const {
        HC_ASSIGN_OR_RETURN(uint64_t n, u64(v, path));
        if (n < lo || n > hi)
            return fail(path, "must be between " + std::to_string(lo) + " and " +
                                  std::to_string(hi) + ", got " + std::to_string(n));
        return n;
    }

    // An amount in wei: a decimal or 0x-hex string (exact at any size), or a JSON integer.
    Result<uint256> amount(const json& v, const std::string& path) const {
        if (v.is_number_unsigned()) return uint256(v.get<uint64_t>());
        if (v.is_string()) {
            auto n = uint256::from_string(v.get<std::string>());
            if (!n)
                return fail(path,
                            "expected an amount in wei (decimal or 0x-hex): " + n.error().message);
            return *n;
        }
        return fail(path, "expected an amount in wei as a decimal or 0x-hex string, got " +
                              (v.is_number() ? v.dump() : type_of(v)));
    }

    Result<NetAddress> address(const json& v, const std::string& path) const {
        HC_ASSIGN_OR_RETURN(std::string text, string(v, path));
        auto a = parse_net_address(text);
        if (!a) return fail(path, a.error().message);
        return a;
    }

    Result<std::string> name(const json& v, const std::string& path) const {
        HC_ASSIGN_OR_RETURN(std::string text, string(v, path));
        if (Status st = check_member_name(text); !st) return fail(path, st.error().message);
        return text;
    }

    Result<fs::path> path_value(const json& v, const std::string& path,
                                const fs::path& base_dir) const {
        HC_ASSIGN_OR_RETURN(std::string text, string(v, path));
        if (text.empty()) return fail(path, "expected a path, got an empty string");
        if (text.find('\0') != std::string::npos) return fail(path, "path contains a NUL byte");
        fs::path p(text);
        if (p.is_relative()) p = base_dir / p;
        return p.lexically_normal();
    }

    static std::string join(const std::string& path, const std::string& key) {
        return path.empty() ? key : path + "." + key;
    }
    static std::string index(const std::string& path, size_t i) {
        return path + "[" + std::to_string(i) + "]";
    }

  private:
    static std::string type_of(const json& v) {
        if (v.is_number()) return "a number";
        if (v.is_null()) return "null";
        if (v.is_boolean()) return "a boolean";
        if (v.is_string()) return "a string";
        if (v.is_array()) return "an array";
        return "an object";
    }

    std::string_view source_;
};

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

// Text files that hold nothing secret (genesis.json, node.json), written to a temporary file
// and renamed, so a crash never leaves half a file.
Status write_public_file(const fs::path& path, const std::string& text) {
    fs::path tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
        out << text;
        out.flush();
        if (!out) return make_error(Errc::io, "cannot write " + tmp.string());
    }
    std::error_code ec;
    fs::permissions(tmp, fs::perms(0644), ec);
    fs::rename(tmp, path, ec);
    if (ec) return make_error(Errc::io, "cannot rename " + tmp.string() + ": " + ec.message());
    return {};
}

// The alloc in address order: the order of a JSON object's keys carries no meaning.
std::vector<chain::GenesisAccount> sorted_alloc(std::vector<chain::GenesisAccount> alloc) {
    std::sort(alloc.begin(), alloc.end(),
              [](const auto& a, const auto& b) { return a.address < b.address; });
    return alloc;
}

std::string path_for_json(const fs::path& p, const fs::path& base_dir) {
    if (p.is_absolute() == base_dir.is_absolute() && !base_dir.empty()) {
        fs::path rel = p.lexically_relative(base_dir);
        if (!rel.empty()) return rel.generic_string();
    }
    return p.generic_string();
}

}  // namespace

// ---- Addresses and names ----

std::string NetAddress::to_string() const {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

Result<NetAddress> parse_net_address(std::string_view text) {
    auto bad = [&](const std::string& why) {
        return make_error(Errc::invalid_argument,
                          "expected host:port (e.g. 10.0.0.5:30300 or [::1]:30300), got \"" +
                              std::string(text.substr(0, 300)) + "\": " + why);
    };
    if (text.size() > 300) return bad("too long");
    std::string_view host, port;
    if (text.starts_with("[")) {
        auto close = text.find("]:");
        if (close == std::string_view::npos) return bad("an IPv6 host needs \"]:port\" after it");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        if (host.find(':') == std::string_view::npos || !crypto::is_ip_literal(host))
            return bad("\"" + std::string(host) + "\" in brackets is not an IPv6 address");
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return bad("no port");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
            return bad("write IPv6 addresses in brackets, e.g. [::1]:30300");
        if (host.empty()) return bad("no host");
        if (!crypto::is_ip_literal(host) && !crypto::is_dns_name(host))
            return bad("\"" + std::string(host) + "\" is neither an IPv4 address nor a host name");
    }
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return bad("the port must be a number from 1 to 65535");
    unsigned long n = std::stoul(std::string(port));
    if (n == 0 || n > 65535) return bad("the port must be a number from 1 to 65535");
    return NetAddress{std::string(host), static_cast<uint16_t>(n)};
}

Status check_member_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxMemberNameSize ||
        !std::all_of(name.begin(), name.end(), is_name_char) || name.front() == '.' ||
        name.front() == '_' || name.front() == '-')
        return make_error(Errc::invalid_argument,
                          "expected a name of 1-" + std::to_string(kMaxMemberNameSize) +
                              " letters, digits, '.', '_' or '-' starting with a letter or "
                              "digit, got \"" +
                              std::string(name.substr(0, 80)) + "\"");
    return {};
}

// ---- Genesis ----

bool ConsortiumGenesis::operator==(const ConsortiumGenesis& o) const {
    if (alloc.size() != o.alloc.size()) return false;
    auto a = sorted_alloc(alloc), b = sorted_alloc(o.alloc);
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].address != b[i].address || a[i].balance != b[i].balance) return false;
    return chain_id == o.chain_id && block_gas_limit == o.block_gas_limit &&
           min_gas_price == o.min_gas_price && timestamp == o.timestamp &&
           organisations == o.organisations && validators == o.validators &&
           governance == o.governance;
}

std::optional<size_t> ConsortiumGenesis::validator_index(std::string_view name) const {
    for (size_t i = 0; i < validators.size(); ++i)
        if (validators[i].name == name) return i;
    return std::nullopt;
}

const Organisation* ConsortiumGenesis::organisation(std::string_view name) const {
    for (const auto& o : organisations)
        if (o.name == name) return &o;
    return nullptr;
}

Result<ConsortiumGenesis> parse_consortium_genesis(std::string_view text, std::string_view source) {
    Reader r(source);
    HC_ASSIGN_OR_RETURN(json j, r.parse(text, kMaxGenesisFileSize));
    HC_TRY(r.object(j, "",
                    {"chain_id", "block_gas_limit", "min_gas_price", "timestamp", "alloc",
                     "organisations", "validators", "governance"}));
    ConsortiumGenesis g;
    const json* v;
    HC_ASSIGN_OR_RETURN(v, r.required(j, "", "chain_id"));
    HC_ASSIGN_OR_RETURN(g.chain_id,
                        r.u64_in(*v, "chain_id", 1, std::numeric_limits<uint64_t>::max()));
    HC_ASSIGN_OR_RETURN(v, r.required(j, "", "block_gas_limit"));
    // A block must hold at least one plain transfer (21000 gas).
    HC_ASSIGN_OR_RETURN(g.block_gas_limit, r.u64_in(*v, "block_gas_limit", 21000,
                                                    std::numeric_limits<int64_t>::max()));
    HC_ASSIGN_OR_RETURN(v, r.required(j, "", "min_gas_price"));
    HC_ASSIGN_OR_RETURN(g.min_gas_price, r.amount(*v, "min_gas_price"));
    HC_ASSIGN_OR_RETURN(v, r.required(j, "", "timestamp"));
    HC_ASSIGN_OR_RETURN(g.timestamp,
                        r.u64_in(*v, "timestamp", 0, std::numeric_limits<int64_t>::max()));

    HC_ASSIGN_OR_RETURN(v, r.required(j, "", "alloc"));
    if (!v->is_object())
        return r.fail("alloc", "expected an object mapping addresses to {\"balance\": ...}");
    std::map<Address, std::string> seen_accounts;
    for (const auto& [key, entry] : v->items()) {
        const std::string path = "alloc." + key;
        auto address = parse_address(key);
        if (!address) return r.fail(path, address.error().message);
        if (auto [it, fresh] = seen_accounts.emplace(*address, key); !fresh)
            return r.fail(path, "the same account as alloc." + it->second);
        HC_TRY(r.object(entry, path, {"balance"}));
        const json* balance;
        HC_ASSIGN_OR_RETURN(balance, r.required(entry, path, "balance"));
        chain::GenesisAccount account;
        account.address = *address;
        HC_ASSIGN_OR_RETURN(account.balance, r.amount(*balance, path + ".balance"));
        g.alloc.push_back(account);
    }
    g.alloc = sorted_alloc(std::move(g.alloc));

    HC_ASSIGN_OR_RETURN(v, r.required(j, "", "organisations"));
    if (!v->is_array() || v->empty())
        return r.fail("organisations", "expected a non-empty array of {name, ca_cert}");
    std::set<Hash32> seen_cas;
    for (size_t i = 0; i < v->size(); ++i) {
        const std::string path = Reader::index("organisations", i);
        const json& o = (*v)[i];
        HC_TRY(r.object(o, path, {"name", "ca_cert"}));
        Organisation org;
        const json* f;
        HC_ASSIGN_OR_RETURN(f, r.required(o, path, "name"));
        HC_ASSIGN_OR_RETURN(org.name, r.name(*f, path + ".name"));
        if (g.organisation(org.name))
            return r.fail(path + ".name", "organisation \"" + org.name + "\" is listed twice");
        HC_ASSIGN_OR_RETURN(f, r.required(o, path, "ca_cert"));
        HC_ASSIGN_OR_RETURN(std::string pem, r.string(*f, path + ".ca_cert"));
        auto cert = crypto::Certificate::from_pem(pem);
        if (!cert)
            return r.fail(path + ".ca_cert",
                          "expected a PEM CA certificate: " + cert.error().message);
        if (Status st = crypto::check_organisation_ca(*cert); !st)
            return r.fail(path + ".ca_cert", st.error().message);
        if (!seen_cas.insert(cert->fingerprint()).second)
            return r.fail(path + ".ca_cert", "the same CA certificate as another organisation");
        org.ca_cert_der = cert->der();
        g.organisations.push_back(std::move(org));
    }

    HC_ASSIGN_OR_RETURN(v, r.required(j, "", "validators"));
    if (!v->is_array() || v->empty())
        return r.fail("validators",
                      "expected a non-empty array of {name, organisation, consensus_public_key, "
                      "p2p_address}");
    for (size_t i = 0; i < v->size(); ++i) {
        const std::string path = Reader::index("validators", i);
        const json& o = (*v)[i];
        HC_TRY(r.object(o, path, {"name", "organisation", "consensus_public_key", "p2p_address"}));
        Validator val;
        const json* f;
        HC_ASSIGN_OR_RETURN(f, r.required(o, path, "name"));
        HC_ASSIGN_OR_RETURN(val.name, r.name(*f, path + ".name"));
        if (auto k = g.validator_index(val.name))
            return r.fail(path + ".name", "validator \"" + val.name + "\" is already validators[" +
                                              std::to_string(*k) + "]");
        HC_ASSIGN_OR_RETURN(f, r.required(o, path, "organisation"));
        HC_ASSIGN_OR_RETURN(val.organisation, r.string(*f, path + ".organisation"));
        if (!g.organisation(val.organisation)) {
            std::string have;
            for (const auto& org : g.organisations)
                have += (have.empty() ? "" : ", ") + org.name;
            return r.fail(path + ".organisation", "no organisation \"" + val.organisation +
                                                      "\" in organisations (have: " + have + ")");
        }
        HC_ASSIGN_OR_RETURN(f, r.required(o, path, "consensus_public_key"));
        HC_ASSIGN_OR_RETURN(std::string key_hex, r.string(*f, path + ".consensus_public_key"));
        auto key_bytes = from_hex(key_hex);
        if (!key_bytes)
            return r.fail(path + ".consensus_public_key",
                          "expected 65-byte hex P-256 public key (0x04 || x || y): " +
                              key_bytes.error().message);
        auto key = crypto::PublicKey::from_bytes(crypto::SigAlgo::p256, *key_bytes);
        if (!key)
            return r.fail(
                path + ".consensus_public_key",
                "expected 65-byte hex P-256 public key (0x04 || x || y): " + key.error().message);
        val.consensus_key = std::move(*key);
        HC_ASSIGN_OR_RETURN(f, r.required(o, path, "p2p_address"));
        HC_ASSIGN_OR_RETURN(val.p2p_address, r.address(*f, path + ".p2p_address"));
        for (size_t k = 0; k < g.validators.size(); ++k) {
            if (g.validators[k].consensus_key == val.consensus_key)
                return r.fail(path + ".consensus_public_key",
                              "the same key as validators[" + std::to_string(k) +
                                  "]: every validator needs its own consensus key");
            if (g.validators[k].p2p_address == val.p2p_address)
                return r.fail(path + ".p2p_address",
                              "the same address as validators[" + std::to_string(k) + "]");
        }
        g.validators.push_back(std::move(val));
    }

    if (const auto it = j.find("governance"); it != j.end()) {
        const json& gov = *it;
        HC_TRY(r.object(
            gov, "governance",
            {"permission_mode", "members", "policies", "proposal_lifetime_s", "epoch_blocks"}));
        GenesisGovernance& out = g.governance;
        if (const auto m = gov.find("permission_mode"); m != gov.end()) {
            HC_ASSIGN_OR_RETURN(std::string mode, r.string(*m, "governance.permission_mode"));
            auto parsed = governance::parse_mode(mode);
            if (!parsed) return r.fail("governance.permission_mode", parsed.error().message);
            out.permission_mode = *parsed;
        }
        if (const auto m = gov.find("members"); m != gov.end()) {
            if (!m->is_array())
                return r.fail("governance.members",
                              "expected an array of {address, organisation, role}");
            for (size_t i = 0; i < m->size(); ++i) {
                const std::string path = Reader::index("governance.members", i);
                const json& o = (*m)[i];
                HC_TRY(r.object(o, path, {"address", "organisation", "role"}));
                GenesisMember member;
                const json* f;
                HC_ASSIGN_OR_RETURN(f, r.required(o, path, "address"));
                HC_ASSIGN_OR_RETURN(std::string address, r.string(*f, path + ".address"));
                auto parsed = parse_address(address);
                if (!parsed) return r.fail(path + ".address", parsed.error().message);
                member.address = *parsed;
                for (const GenesisMember& other : out.members)
                    if (other.address == member.address)
                        return r.fail(path + ".address", "listed twice");
                HC_ASSIGN_OR_RETURN(f, r.required(o, path, "organisation"));
                HC_ASSIGN_OR_RETURN(member.organisation, r.string(*f, path + ".organisation"));
                if (!g.organisation(member.organisation))
                    return r.fail(path + ".organisation",
                                  "no organisation \"" + member.organisation + "\"");
                HC_ASSIGN_OR_RETURN(f, r.required(o, path, "role"));
                HC_ASSIGN_OR_RETURN(std::string role, r.string(*f, path + ".role"));
                auto parsed_role = governance::parse_role(role);
                if (!parsed_role) return r.fail(path + ".role", parsed_role.error().message);
                member.role = *parsed_role;
                out.members.push_back(std::move(member));
            }
        }
        if (const auto m = gov.find("policies"); m != gov.end()) {
            if (!m->is_object())
                return r.fail("governance.policies", "expected an object of resource: rule");
            for (const auto& [resource, rule] : m->items()) {
                const std::string path = "governance.policies." + resource;
                HC_ASSIGN_OR_RETURN(std::string text, r.string(rule, path));
                if (Status st = out.policies.set(resource, text); !st)
                    return r.fail(path, st.error().message);
            }
        }
        if (const auto m = gov.find("proposal_lifetime_s"); m != gov.end()) {
            HC_ASSIGN_OR_RETURN(out.proposal_lifetime_s,
                                r.u64_in(*m, "governance.proposal_lifetime_s", 1, 1ull << 32));
        }
        if (const auto m = gov.find("epoch_blocks"); m != gov.end()) {
            HC_ASSIGN_OR_RETURN(out.epoch_blocks,
                                r.u64_in(*m, "governance.epoch_blocks", 1, 1'000'000));
        }
    }
    return g;
}

std::string consortium_genesis_to_json(const ConsortiumGenesis& g) {
    nlohmann::ordered_json alloc = nlohmann::ordered_json::object();
    for (const auto& a : sorted_alloc(g.alloc))
        alloc[to_checksum_address(a.address)] = {{"balance", a.balance.to_dec()}};
    json orgs = json::array();
    for (const auto& o : g.organisations) {
        auto cert = crypto::Certificate::from_der(o.ca_cert_der);
        orgs.push_back({{"name", o.name}, {"ca_cert", cert ? cert->to_pem() : std::string()}});
    }
    json validators = json::array();
    for (const auto& v : g.validators)
        validators.push_back({{"name", v.name},
                              {"organisation", v.organisation},
                              {"consensus_public_key", to_hex(v.consensus_key.bytes)},
                              {"p2p_address", v.p2p_address.to_string()}});
    // ordered_json keeps the fields in the order people read them in.
    nlohmann::ordered_json out;
    out["chain_id"] = g.chain_id;
    out["block_gas_limit"] = g.block_gas_limit;
    out["min_gas_price"] = g.min_gas_price.to_dec();
    out["timestamp"] = g.timestamp;
    out["alloc"] = alloc;
    out["organisations"] = orgs;
    out["validators"] = validators;
    nlohmann::ordered_json gov;
    gov["permission_mode"] = governance::mode_name(g.governance.permission_mode);
    json members = json::array();
    for (const GenesisMember& m : g.governance.members)
        members.push_back({{"address", to_checksum_address(m.address)},
                           {"organisation", m.organisation},
                           {"role", governance::role_name(m.role)}});
    gov["members"] = members;
    nlohmann::ordered_json policies = nlohmann::ordered_json::object();
    for (const auto& [resource, rule] : g.governance.policies.rules())
        policies[governance::resource_name(resource)] = governance::rule_to_string(rule);
    gov["policies"] = policies;
    gov["proposal_lifetime_s"] = g.governance.proposal_lifetime_s;
    gov["epoch_blocks"] = g.governance.epoch_blocks;
    out["governance"] = gov;
    return out.dump(2) + "\n";
}

Result<ConsortiumGenesis> load_consortium_genesis(const fs::path& path) {
    HC_ASSIGN_OR_RETURN(std::string text, crypto::read_small_file(path, kMaxGenesisFileSize));
    return parse_consortium_genesis(text, path.string());
}

Status save_consortium_genesis(const fs::path& path, const ConsortiumGenesis& genesis) {
    return write_public_file(path, consortium_genesis_to_json(genesis));
}

Result<std::vector<crypto::Certificate>> organisation_cas(const ConsortiumGenesis& genesis) {
    std::vector<crypto::Certificate> out;
    for (const auto& o : genesis.organisations) {
        auto cert = crypto::Certificate::from_der(o.ca_cert_der);
        if (!cert)
            return make_error(cert.error().code,
                              "CA certificate of " + o.name + ": " + cert.error().message);
        out.push_back(std::move(*cert));
    }
    return out;
}

chain::ChainConfig to_chain_config(const ConsortiumGenesis& genesis) {
    chain::ChainConfig c;
    c.chain_id = genesis.chain_id;
    c.gas_limit = genesis.block_gas_limit;
    c.base_fee = genesis.min_gas_price;
    c.genesis_timestamp = genesis.timestamp;
    c.alloc = genesis.alloc;
    c.consortium_id = consortium_id(genesis);
    c.governance = initial_governance(genesis);
    return c;
}

governance::GovernanceState initial_governance(const ConsortiumGenesis& genesis) {
    governance::GovernanceState s;
    s.mode = genesis.governance.permission_mode;
    for (const auto& o : genesis.organisations)
        s.orgs.push_back({o.name, o.name, {o.ca_cert_der}});
    for (const GenesisMember& m : genesis.governance.members)
        s.members[m.address] = {m.organisation, m.role, Hash32{}};
    s.policies = genesis.governance.policies;
    for (const auto& v : genesis.validators)
        s.nodes.push_back(
            {v.name, v.organisation, v.consensus_key.bytes, v.p2p_address.to_string()});
    s.params.gas_limit = genesis.block_gas_limit;
    s.params.proposal_lifetime_s = genesis.governance.proposal_lifetime_s;
    s.params.epoch_blocks = genesis.governance.epoch_blocks;
    return s;
}

Hash32 consortium_id(const ConsortiumGenesis& g) {
    rlp::Encoder e;
    e.begin_list();
    e.add(as_bytes("honeycomb consortium v1"));
    e.add(g.chain_id).add(g.block_gas_limit).add(g.min_gas_price).add(g.timestamp);
    e.begin_list();
    for (const auto& a : sorted_alloc(g.alloc))
        e.begin_list().add(a.address.view()).add(a.balance).end_list();
    e.end_list();
    e.begin_list();
    for (const auto& o : g.organisations)
        e.begin_list().add(as_bytes(o.name)).add(o.ca_cert_der).end_list();
    e.end_list();
    e.begin_list();
    for (const auto& v : g.validators)
        e.begin_list()
            .add(as_bytes(v.name))
            .add(as_bytes(v.organisation))
            .add(v.consensus_key.bytes)
            .add(as_bytes(v.p2p_address.to_string()))
            .end_list();
    e.end_list();
    e.add(governance::encode_state(initial_governance(g)));
    e.end_list();
    return keccak256(e.take());
}

// ---- Node configuration ----

Result<ConsortiumNodeConfig> parse_node_config(std::string_view text, const fs::path& base_dir,
                                               std::string_view source) {
    Reader r(source);
    HC_ASSIGN_OR_RETURN(json j, r.parse(text, kMaxNodeConfigFileSize));
    HC_TRY(r.object(j, "",
                    {"name", "genesis", "data_dir", "p2p_listen", "rpc_address", "peers",
                     "tls_cert", "tls_key", "consensus_key", "org_ca", "log_level", "tuning"}));
    ConsortiumNodeConfig c;
    const json* v;
    HC_ASSIGN_OR_RETURN(v, r.required(j, "", "name"));
    HC_ASSIGN_OR_RETURN(c.name, r.name(*v, "name"));
    auto path_field = [&](const char* key, fs::path& out) -> Status {
        const json* f;
        HC_ASSIGN_OR_RETURN(f, r.required(j, "", key));
        HC_ASSIGN_OR_RETURN(out, r.path_value(*f, key, base_dir));
        return {};
    };
    HC_TRY(path_field("genesis", c.genesis));
    HC_TRY(path_field("data_dir", c.data_dir));
    HC_ASSIGN_OR_RETURN(v, r.required(j, "", "p2p_listen"));
    HC_ASSIGN_OR_RETURN(c.p2p_listen, r.address(*v, "p2p_listen"));
    HC_ASSIGN_OR_RETURN(v, r.required(j, "", "rpc_address"));
    HC_ASSIGN_OR_RETURN(c.rpc_address, r.address(*v, "rpc_address"));
    if (c.rpc_address.port == c.p2p_listen.port && c.rpc_address.host == c.p2p_listen.host)
        return r.fail("rpc_address", "the same address as p2p_listen");
    HC_TRY(path_field("tls_cert", c.tls_cert));
    HC_TRY(path_field("tls_key", c.tls_key));
    HC_TRY(path_field("consensus_key", c.consensus_key));
    if (const json* f = Reader::optional(j, "org_ca")) {
        fs::path ca;
        HC_ASSIGN_OR_RETURN(ca, r.path_value(*f, "org_ca", base_dir));
        c.org_ca = std::move(ca);
    }

    if (const json* peers = Reader::optional(j, "peers")) {
        if (!peers->is_array()) return r.fail("peers", "expected an array of {name, address}");
        for (size_t i = 0; i < peers->size(); ++i) {
            const std::string path = Reader::index("peers", i);
            const json& o = (*peers)[i];
            HC_TRY(r.object(o, path, {"name", "address"}));
            Peer p;
            const json* f;
            HC_ASSIGN_OR_RETURN(f, r.required(o, path, "name"));
            HC_ASSIGN_OR_RETURN(p.name, r.name(*f, path + ".name"));
            if (p.name == c.name)
                return r.fail(path + ".name", "a node is not its own peer; remove this entry");
            HC_ASSIGN_OR_RETURN(f, r.required(o, path, "address"));
            HC_ASSIGN_OR_RETURN(p.address, r.address(*f, path + ".address"));
            for (size_t k = 0; k < c.peers.size(); ++k) {
                if (c.peers[k].name == p.name)
                    return r.fail(path + ".name", "peer \"" + p.name + "\" is already peers[" +
                                                      std::to_string(k) + "]");
                if (c.peers[k].address == p.address)
                    return r.fail(path + ".address",
                                  "the same address as peers[" + std::to_string(k) + "]");
            }
            c.peers.push_back(std::move(p));
        }
    }
    if (const json* level = Reader::optional(j, "log_level")) {
        HC_ASSIGN_OR_RETURN(std::string name, r.string(*level, "log_level"));
        auto l = log::parse_level(name);
        if (!l) return r.fail("log_level", l.error().message);
        c.log_level = *l;
    }
    if (const json* t = Reader::optional(j, "tuning")) {
        HC_TRY(r.object(*t, "tuning",
                        {"max_block_txs", "batch_size", "batch_interval_ms", "round_timeout_ms",
                         "max_round_timeout_ms"}));
        auto field = [&](const char* key, uint64_t lo, uint64_t hi, uint64_t& out) -> Status {
            if (const json* f = Reader::optional(*t, key)) {
                HC_ASSIGN_OR_RETURN(out, r.u64_in(*f, std::string("tuning.") + key, lo, hi));
            }
            return {};
        };
        HC_TRY(field("max_block_txs", 1, 1'000'000, c.tuning.max_block_txs));
        HC_TRY(field("batch_size", 1, 100'000, c.tuning.batch_size));
        HC_TRY(field("batch_interval_ms", 1, 10'000, c.tuning.batch_interval_ms));
        HC_TRY(field("round_timeout_ms", 10, 600'000, c.tuning.round_timeout_ms));
        HC_TRY(field("max_round_timeout_ms", 10, 3'600'000, c.tuning.max_round_timeout_ms));
        if (c.tuning.max_round_timeout_ms < c.tuning.round_timeout_ms)
            return r.fail("tuning.max_round_timeout_ms",
                          "must be at least tuning.round_timeout_ms (" +
                              std::to_string(c.tuning.round_timeout_ms) + ")");
    }
    return c;
}

std::string node_config_to_json(const ConsortiumNodeConfig& c, const fs::path& base_dir) {
    nlohmann::ordered_json peers = nlohmann::ordered_json::array();
    for (const auto& p : c.peers)
        peers.push_back({{"name", p.name}, {"address", p.address.to_string()}});
    nlohmann::ordered_json out;
    out["name"] = c.name;
    out["genesis"] = path_for_json(c.genesis, base_dir);
    out["data_dir"] = path_for_json(c.data_dir, base_dir);
    out["p2p_listen"] = c.p2p_listen.to_string();
    out["rpc_address"] = c.rpc_address.to_string();
    out["peers"] = peers;
    out["tls_cert"] = path_for_json(c.tls_cert, base_dir);
    out["tls_key"] = path_for_json(c.tls_key, base_dir);
    out["consensus_key"] = path_for_json(c.consensus_key, base_dir);
    if (c.org_ca) out["org_ca"] = path_for_json(*c.org_ca, base_dir);
    out["log_level"] = log::level_name(c.log_level);
    out["tuning"] = {{"max_block_txs", c.tuning.max_block_txs},
                     {"batch_size", c.tuning.batch_size},
                     {"batch_interval_ms", c.tuning.batch_interval_ms},
                     {"round_timeout_ms", c.tuning.round_timeout_ms},
                     {"max_round_timeout_ms", c.tuning.max_round_timeout_ms}};
    return out.dump(2) + "\n";
}

Result<ConsortiumNodeConfig> load_node_config(const fs::path& path) {
    HC_ASSIGN_OR_RETURN(std::string text, crypto::read_small_file(path, kMaxNodeConfigFileSize));
    return parse_node_config(text, path.parent_path(), path.string());
}

Status save_node_config(const fs::path& path, const ConsortiumNodeConfig& config) {
    return write_public_file(path, node_config_to_json(config, path.parent_path()));
}

Status check_node_in_genesis(const ConsortiumNodeConfig& config, const ConsortiumGenesis& genesis) {
    auto list = [&] {
        std::string names;
        for (const auto& v : genesis.validators)
            names += (names.empty() ? "" : ", ") + v.name;
        return names;
    };
    if (!genesis.validator_index(config.name))
        return make_error(Errc::invalid_argument,
                          "node \"" + config.name + "\" is not a validator in " +
                              config.genesis.string() + " (validators: " + list() + ")");
    for (size_t i = 0; i < config.peers.size(); ++i)
        if (!genesis.validator_index(config.peers[i].name))
            return make_error(Errc::invalid_argument,
                              "peers[" + std::to_string(i) + "].name: \"" + config.peers[i].name +
                                  "\" is not a validator in " + config.genesis.string() +
                                  " (validators: " + list() + ")");
    return {};
}

Result<NodeIdentity> load_node_identity(const fs::path& node_json, int64_t now_unix) {
    HC_ASSIGN_OR_RETURN(ConsortiumNodeConfig config, load_node_config(node_json));
    HC_ASSIGN_OR_RETURN(ConsortiumGenesis genesis, load_consortium_genesis(config.genesis));
    const std::optional<size_t> index = genesis.validator_index(config.name);
    // A node of the genesis is checked against it in full. Any other node is one a vote adds
    // later: the chain checks its consensus key and organisation when it gets there.
    if (index)
        if (Status st = check_node_in_genesis(config, genesis); !st)
            return make_error(st.error().code, node_json.string() + ": " + st.error().message);

    HC_ASSIGN_OR_RETURN(crypto::PrivateKey consensus_key,
                        crypto::read_consensus_key(config.consensus_key));
    if (index && consensus_key.public_key() != genesis.validators[*index].consensus_key)
        return make_error(Errc::crypto,
                          config.consensus_key.string() + " is not the consensus key that " +
                              config.genesis.string() + " lists for " + config.name +
                              " (validators[" + std::to_string(*index) + "].consensus_public_key)");

    HC_ASSIGN_OR_RETURN(crypto::Certificate tls_cert,
                        crypto::read_certificate_pem(config.tls_cert));
    HC_ASSIGN_OR_RETURN(crypto::PrivateKey tls_key, crypto::read_private_key_pem(config.tls_key));
    if (Status st = crypto::check_key_matches(tls_cert, tls_key); !st)
        return make_error(st.error().code, config.tls_key.string() + " does not belong to " +
                                               config.tls_cert.string() + ": " +
                                               st.error().message);
    if (std::string cn = crypto::subject_common_name(tls_cert); cn != config.name)
        return make_error(Errc::crypto, config.tls_cert.string() + " was issued to \"" + cn +
                                            "\", not to this node \"" + config.name + "\"");

    HC_ASSIGN_OR_RETURN(std::vector<crypto::Certificate> cas, organisation_cas(genesis));
    const std::string organisation =
        index ? genesis.validators[*index].organisation : crypto::subject_organisation(tls_cert);
    std::optional<crypto::Certificate> home;
    for (size_t i = 0; i < genesis.organisations.size(); ++i)
        if (genesis.organisations[i].name == organisation) home = cas[i].clone();
    if (config.org_ca) {
        HC_ASSIGN_OR_RETURN(crypto::Certificate ca, crypto::read_certificate_pem(*config.org_ca));
        if (home && home->der() != ca.der())
            return make_error(Errc::invalid_argument,
                              config.org_ca->string() + " is not the CA certificate that " +
                                  config.genesis.string() + " lists for organisation " +
                                  organisation + "; remove org_ca from " + node_json.string());
        if (!home) cas.push_back(ca.clone());
        home = std::move(ca);
    }
    if (!home)
        return make_error(Errc::invalid_argument,
                          node_json.string() + ": node \"" + config.name +
                              "\" is not a validator in " + config.genesis.string() +
                              ", and its organisation \"" + organisation +
                              "\" is not in it either: set \"org_ca\" to the organisation's CA "
                              "certificate (the node joins once votes add the organisation and "
                              "the node)");
    if (Status st = crypto::verify_chain(tls_cert, {}, std::span(&*home, 1), now_unix); !st)
        return make_error(st.error().code, config.tls_cert.string() +
                                               " does not verify against "
                                               "the CA of organisation " +
                                               organisation + ": " + st.error().message);
    return NodeIdentity{
        std::move(config),   std::move(genesis), index,         std::move(consensus_key),
        std::move(tls_cert), std::move(tls_key), std::move(cas)};
}

}  // namespace hc::node
