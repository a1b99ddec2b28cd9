#include "governance/actions.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "crypto/cert_issuer.h"
#include "crypto/signature.h"
#include "crypto/x509.h"

namespace hc::governance {

namespace {

using json = nlohmann::json;

Error invalid(const std::string& field, const std::string& what) {
    return make_error(Errc::invalid_argument, "action: " + field + ": " + what);
}

Error refused(const std::string& what) {
    return make_error(Errc::invalid_argument, what);
}

// A JSON object's fields, each taken once; what is left over is an unknown field.
class Fields {
  public:
    explicit Fields(const json& object) : object_(object) {}

    Result<std::string> text(const char* name, bool required = true) {
        seen_.push_back(name);
        auto it = object_.find(name);
        if (it == object_.end()) {
            if (required) return invalid(name, "missing");
            return std::string();
        }
        if (!it->is_string()) return invalid(name, "expected a string");
        std::string s = it->get<std::string>();
        if (s.empty() && required) return invalid(name, "must not be empty");
        return s;
    }
    Result<std::string> name(const char* field) {
        HC_ASSIGN_OR_RETURN(std::string s, text(field));
        if (s.size() > kMaxNameSize)
            return invalid(field, "longer than " + std::to_string(kMaxNameSize) + " characters");
        for (char c : s)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
                return invalid(field, "\"" + s + "\" may hold only letters, digits, '-', '_', '.'");
        return s;
    }
    Result<Address> address(const char* field) {
        HC_ASSIGN_OR_RETURN(std::string s, text(field));
        auto a = parse_address(s);
        if (!a) return invalid(field, a.error().message);
        return *a;
    }
    Result<std::optional<uint64_t>> number(const char* name) {
        seen_.push_back(name);
        auto it = object_.find(name);
        if (it == object_.end()) return std::optional<uint64_t>();
        if (!it->is_number_unsigned()) return invalid(name, "expected a non-negative integer");
        return std::optional<uint64_t>(it->get<uint64_t>());
    }
    Result<std::vector<std::string>> texts(const char* name) {
        seen_.push_back(name);
        auto it = object_.find(name);
        if (it == object_.end()) return invalid(name, "missing");
        if (!it->is_array() || it->empty())
            return invalid(name, "expected a non-empty array of strings");
        std::vector<std::string> out;
        for (const json& v : *it) {
            if (!v.is_string()) return invalid(name, "expected a non-empty array of strings");
            out.push_back(v.get<std::string>());
        }
        return out;
    }
    Status finish() const {
        for (auto it = object_.begin(); it != object_.end(); ++it)
            if (std::find(seen_.begin(), seen_.end(), it.key()) == seen_.end())
                return invalid(it.key(), "unknown field");
        return {};
    }

  private:
    const json& object_;
    std::vector<std::string> seen_{"type"};
};

Error no_org(const std::string& id, const GovernanceState& state) {
    std::string known;
    for (const Organisation& o : state.orgs)
        known += (known.empty() ? "" : ", ") + o.id;
    return refused("no organisation \"" + id +
                   "\" in the consortium (it has: " + (known.empty() ? "none" : known) + ")");
}

// The node set the next change builds on: the pending one when a change is already scheduled.
const std::vector<ConsensusNode>& upcoming_nodes(const GovernanceState& state) {
    return state.pending_nodes ? state.pending_nodes->nodes : state.nodes;
}

std::string hex_bytes(BytesView b) {
    return to_hex(b);
}

}  // namespace

Result<std::vector<Bytes>> parse_ca_certificates(const std::vector<std::string>& pem_or_der,
                                                 std::string_view org_id) {
    std::vector<Bytes> out;
    for (const std::string& text : pem_or_der) {
        auto cert = text.rfind("-----BEGIN", 0) == 0
                        ? crypto::Certificate::from_pem(text)
                        : crypto::Certificate::from_der(BytesView(
                              reinterpret_cast<const uint8_t*>(text.data()), text.size()));
        if (!cert)
            return invalid("ca_certs", "expected a PEM certificate: " + cert.error().message);
        if (Status st = crypto::check_organisation_ca(*cert); !st)
            return invalid("ca_certs", st.error().message);
        if (const std::string o = crypto::subject_organisation(*cert); o != org_id)
            return invalid("ca_certs", "the CA certificate is for organisation \"" + o +
                                           "\" (its subject's O), not \"" + std::string(org_id) +
                                           "\"");
        out.push_back(cert->der());
    }
    return out;
}

Result<Action> parse_action(std::string_view json_text) {
    if (json_text.size() > kMaxActionSize)
        return invalid("(action)", "larger than " + std::to_string(kMaxActionSize) + " bytes");
    json doc = json::parse(json_text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return invalid("(action)", "expected a JSON object such as {\"type\": \"add_org\", ...}");
    Fields f(doc);
    auto type_it = doc.find("type");
    if (type_it == doc.end() || !type_it->is_string()) return invalid("type", "missing");
    const std::string type = type_it->get<std::string>();
    Action action;
    if (type == "add_org") {
        AddOrg a;
        HC_ASSIGN_OR_RETURN(a.org.id, f.name("id"));
        HC_ASSIGN_OR_RETURN(a.org.name, f.text("name", false));
        if (a.org.name.size() > kMaxNameSize) return invalid("name", "too long");
        HC_ASSIGN_OR_RETURN(auto pems, f.texts("ca_certs"));
        HC_ASSIGN_OR_RETURN(a.org.ca_certs, parse_ca_certificates(pems, a.org.id));
        action = std::move(a);
    } else if (type == "remove_org") {
        RemoveOrg a;
        HC_ASSIGN_OR_RETURN(a.id, f.name("id"));
        action = std::move(a);
    } else if (type == "add_node") {
        AddNode a;
        HC_ASSIGN_OR_RETURN(a.node.name, f.name("name"));
        HC_ASSIGN_OR_RETURN(a.node.org, f.name("org"));
        HC_ASSIGN_OR_RETURN(std::string key_hex, f.text("consensus_key"));
        auto key = from_hex(key_hex);
        if (!key) return invalid("consensus_key", key.error().message);
        if (auto pk = crypto::PublicKey::from_bytes(crypto::SigAlgo::p256, *key); !pk)
            return invalid(
                "consensus_key",
                "expected a 65-byte P-256 public key (0x04 || x || y): " + pk.error().message);
        a.node.consensus_key = std::move(*key);
        HC_ASSIGN_OR_RETURN(a.node.p2p_address, f.text("p2p_address"));
        if (a.node.p2p_address.find(':') == std::string::npos || a.node.p2p_address.size() > 300)
            return invalid("p2p_address", "expected host:port");
        action = std::move(a);
    } else if (type == "remove_node") {
        RemoveNode a;
        HC_ASSIGN_OR_RETURN(a.name, f.name("name"));
        action = std::move(a);
    } else if (type == "set_block_params") {
        SetBlockParams a;
        HC_ASSIGN_OR_RETURN(a.gas_limit, f.number("gas_limit"));
        HC_ASSIGN_OR_RETURN(a.proposal_lifetime_s, f.number("proposal_lifetime_s"));
        HC_ASSIGN_OR_RETURN(a.epoch_blocks, f.number("epoch_blocks"));
        if (!a.gas_limit && !a.proposal_lifetime_s && !a.epoch_blocks)
            return invalid("(action)",
                           "set_block_params needs gas_limit, proposal_lifetime_s or epoch_blocks");
        if (a.gas_limit && (*a.gas_limit < 21000 || *a.gas_limit > (1ull << 40)))
            return invalid("gas_limit", "must be between 21000 and 2^40");
        if (a.proposal_lifetime_s &&
            (*a.proposal_lifetime_s < 1 || *a.proposal_lifetime_s > (1ull << 32)))
            return invalid("proposal_lifetime_s", "must be between 1 and 2^32 seconds");
        if (a.epoch_blocks && (*a.epoch_blocks < 1 || *a.epoch_blocks > 1'000'000))
            return invalid("epoch_blocks", "must be between 1 and 1000000");
        action = a;
    } else if (type == "set_policy") {
        SetPolicy a;
        HC_ASSIGN_OR_RETURN(std::string resource, f.text("resource"));
        auto target = parse_policy_target(resource);
        if (!target) return invalid("resource", target.error().message);
        a.target = *target;
        HC_ASSIGN_OR_RETURN(std::string rule, f.text("rule"));
        auto parsed = parse_rule(rule);
        if (!parsed) return invalid("rule", parsed.error().message);
        a.rule = std::move(*parsed);
        action = std::move(a);
    } else if (type == "freeze" || type == "unfreeze") {
        SetFrozen a;
        HC_ASSIGN_OR_RETURN(a.contract, f.address("contract"));
        a.frozen = type == "freeze";
        action = a;
    } else if (type == "enrol") {
        EnrolMember a;
        HC_ASSIGN_OR_RETURN(a.member, f.address("member"));
        HC_ASSIGN_OR_RETURN(a.org, f.name("org"));
        HC_ASSIGN_OR_RETURN(std::string role, f.text("role"));
        auto r = parse_role(role);
        if (!r) return invalid("role", r.error().message);
        a.role = *r;
        action = std::move(a);
    } else if (type == "revoke") {
        RevokeMember a;
        HC_ASSIGN_OR_RETURN(a.member, f.address("member"));
        action = a;
    } else if (type == "set_permission_mode") {
        SetMode a;
        HC_ASSIGN_OR_RETURN(std::string mode, f.text("mode"));
        auto m = parse_mode(mode);
        if (!m) return invalid("mode", m.error().message);
        a.mode = *m;
        action = a;
    } else {
        return invalid("type",
                       "unknown action \"" + type +
                           "\" (add_org, remove_org, add_node, remove_node, set_block_params, "
                           "set_policy, freeze, unfreeze, enrol, revoke, set_permission_mode)");
    }
    HC_TRY(f.finish());
    return action;
}

std::string action_to_json(const Action& action) {
    json j;
    std::visit(
        [&](const auto& a) {
            using T = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<T, AddOrg>) {
                j["type"] = "add_org";
                j["id"] = a.org.id;
                if (!a.org.name.empty()) j["name"] = a.org.name;
                json cas = json::array();
                for (const Bytes& der : a.org.ca_certs)
                    if (auto c = crypto::Certificate::from_der(der)) cas.push_back(c->to_pem());
                j["ca_certs"] = cas;
            } else if constexpr (std::is_same_v<T, RemoveOrg>) {
                j["type"] = "remove_org";
                j["id"] = a.id;
            } else if constexpr (std::is_same_v<T, AddNode>) {
                j["type"] = "add_node";
                j["name"] = a.node.name;
                j["org"] = a.node.org;
                j["consensus_key"] = hex_bytes(a.node.consensus_key);
                j["p2p_address"] = a.node.p2p_address;
            } else if constexpr (std::is_same_v<T, RemoveNode>) {
                j["type"] = "remove_node";
                j["name"] = a.name;
            } else if constexpr (std::is_same_v<T, SetBlockParams>) {
                j["type"] = "set_block_params";
                if (a.gas_limit) j["gas_limit"] = *a.gas_limit;
                if (a.proposal_lifetime_s) j["proposal_lifetime_s"] = *a.proposal_lifetime_s;
                if (a.epoch_blocks) j["epoch_blocks"] = *a.epoch_blocks;
            } else if constexpr (std::is_same_v<T, SetPolicy>) {
                j["type"] = "set_policy";
                j["resource"] = a.target.contract
                                    ? "call_contract:" + to_checksum_address(*a.target.contract)
                                    : std::string(resource_name(a.target.resource));
                j["rule"] = rule_to_string(a.rule);
            } else if constexpr (std::is_same_v<T, SetFrozen>) {
                j["type"] = a.frozen ? "freeze" : "unfreeze";
                j["contract"] = to_checksum_address(a.contract);
            } else if constexpr (std::is_same_v<T, EnrolMember>) {
                j["type"] = "enrol";
                j["member"] = to_checksum_address(a.member);
                j["org"] = a.org;
                j["role"] = role_name(a.role);
            } else if constexpr (std::is_same_v<T, RevokeMember>) {
                j["type"] = "revoke";
                j["member"] = to_checksum_address(a.member);
            } else if constexpr (std::is_same_v<T, SetMode>) {
                j["type"] = "set_permission_mode";
                j["mode"] = mode_name(a.mode);
            }
        },
        action);
    return j.dump();
}

Resource action_resource(const Action& action) {
    return std::visit(
        [](const auto& a) {
            using T = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<T, AddNode> || std::is_same_v<T, RemoveNode>)
                return Resource::manage_nodes;
            else if constexpr (std::is_same_v<T, EnrolMember> || std::is_same_v<T, RevokeMember>)
                return Resource::manage_members;
            else
                return Resource::change_config;
        },
        action);
}

std::string action_self_org(const Action& action, const GovernanceState& state,
                            std::string_view proposer_org) {
    if (const auto* e = std::get_if<EnrolMember>(&action)) return e->org;
    if (const auto* r = std::get_if<RevokeMember>(&action)) {
        const MemberRecord* m = state.member(r->member);
        return m ? m->org : std::string();
    }
    if (const auto* n = std::get_if<AddNode>(&action)) return n->node.org;
    if (const auto* n = std::get_if<RemoveNode>(&action)) {
        for (const ConsensusNode& node : upcoming_nodes(state))
            if (node.name == n->name) return node.org;
        return {};
    }
    return std::string(proposer_org);
}

Status check_action(const Action& action, const GovernanceState& state) {
    return std::visit(
        [&](const auto& a) -> Status {
            using T = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<T, AddOrg>) {
                if (state.org(a.org.id))
                    return refused("organisation \"" + a.org.id + "\" already exists");
                for (const Organisation& o : state.orgs)
                    for (const Bytes& ca : o.ca_certs)
                        for (const Bytes& mine : a.org.ca_certs)
                            if (ca == mine)
                                return refused("organisation " + o.id +
                                               " already uses that CA certificate");
            } else if constexpr (std::is_same_v<T, RemoveOrg>) {
                if (!state.org(a.id)) return no_org(a.id, state);
                if (state.orgs.size() == 1)
                    return refused("cannot remove the last organisation of the consortium");
                for (const ConsensusNode& n : upcoming_nodes(state))
                    if (n.org == a.id)
                        return refused("organisation " + a.id + " still runs consensus node " +
                                       n.name + ": remove its nodes first");
            } else if constexpr (std::is_same_v<T, AddNode>) {
                if (!state.org(a.node.org)) return no_org(a.node.org, state);
                for (const ConsensusNode& n : upcoming_nodes(state)) {
                    if (n.name == a.node.name)
                        return refused("consensus node " + n.name + " already exists");
                    if (n.consensus_key == a.node.consensus_key)
                        return refused("consensus node " + n.name + " already uses that key");
                }
            } else if constexpr (std::is_same_v<T, RemoveNode>) {
                const auto& nodes = upcoming_nodes(state);
                auto it = std::find_if(nodes.begin(), nodes.end(),
                                       [&](const ConsensusNode& n) { return n.name == a.name; });
                if (it == nodes.end())
                    return refused("no consensus node \"" + a.name + "\" in the node set");
                if (nodes.size() == 1) return refused("cannot remove the last consensus node");
            } else if constexpr (std::is_same_v<T, EnrolMember>) {
                if (!state.org(a.org)) return no_org(a.org, state);
            } else if constexpr (std::is_same_v<T, RevokeMember>) {
                if (!state.member(a.member))
                    return refused(to_checksum_address(a.member) + " is not a member");
            } else if constexpr (std::is_same_v<T, SetPolicy>) {
                for (const std::string& org : a.rule.orgs)
                    if (!state.org(org)) return no_org(org, state);
            } else if constexpr (std::is_same_v<T, SetFrozen>) {
                if (a.frozen && state.frozen.count(a.contract))
                    return refused(to_checksum_address(a.contract) + " is already frozen");
                if (!a.frozen && !state.frozen.count(a.contract))
                    return refused(to_checksum_address(a.contract) + " is not frozen");
            }
            return {};
        },
        action);
}

uint64_t next_epoch_boundary(uint64_t height, uint64_t epoch_blocks) {
    const uint64_t e = std::max<uint64_t>(epoch_blocks, 1);
    uint64_t boundary = (height / e + 1) * e;
    if (boundary < height + 2) boundary += e;
    return boundary;
}

bool activate_pending_nodes(GovernanceState& state, uint64_t height) {
    if (!state.pending_nodes || state.pending_nodes->effective_height > height) return false;
    state.nodes = std::move(state.pending_nodes->nodes);
    state.pending_nodes.reset();
    ++state.epoch;
    state.epoch_start_height = height;
    return true;
}

Status apply_action(const Action& action, GovernanceState& state, uint64_t height) {
    HC_TRY(check_action(action, state));
    std::visit(
        [&](const auto& a) {
            using T = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<T, AddOrg>) {
                state.orgs.push_back(a.org);
            } else if constexpr (std::is_same_v<T, RemoveOrg>) {
                std::erase_if(state.orgs, [&](const Organisation& o) { return o.id == a.id; });
                std::erase_if(state.members, [&](const auto& m) { return m.second.org == a.id; });
            } else if constexpr (std::is_same_v<T, AddNode> || std::is_same_v<T, RemoveNode>) {
                std::vector<ConsensusNode> nodes = upcoming_nodes(state);
                if constexpr (std::is_same_v<T, AddNode>)
                    nodes.push_back(a.node);
                else
                    std::erase_if(nodes, [&](const ConsensusNode& n) { return n.name == a.name; });
                state.pending_nodes = PendingNodeSet{
                    next_epoch_boundary(height, state.params.epoch_blocks), std::move(nodes)};
            } else if constexpr (std::is_same_v<T, SetBlockParams>) {
                if (a.gas_limit) state.params.gas_limit = *a.gas_limit;
                if (a.proposal_lifetime_s)
                    state.params.proposal_lifetime_s = *a.proposal_lifetime_s;
                if (a.epoch_blocks) state.params.epoch_blocks = *a.epoch_blocks;
            } else if constexpr (std::is_same_v<T, SetPolicy>) {
                if (a.target.contract)
                    state.contract_policies[*a.target.contract] = a.rule;
                else
                    state.policies.set(a.target.resource, a.rule);
            } else if constexpr (std::is_same_v<T, SetFrozen>) {
                if (a.frozen)
                    state.frozen.insert(a.contract);
                else
                    state.frozen.erase(a.contract);
            } else if constexpr (std::is_same_v<T, EnrolMember>) {
                state.members[a.member] = MemberRecord{a.org, a.role, Hash32{}};
            } else if constexpr (std::is_same_v<T, RevokeMember>) {
                auto it = state.members.find(a.member);
                if (!it->second.certificate.is_zero())
                    state.revoked_certificates.insert(it->second.certificate);
                state.members.erase(it);
            } else if constexpr (std::is_same_v<T, SetMode>) {
                state.mode = a.mode;
            }
        },
        action);
    return {};
}

}  // namespace hc::governance
