#include "governance/state.h"

#include <algorithm>

#include "codec/rlp.h"

namespace hc::governance {

namespace {

constexpr uint64_t kVersion = 1;
constexpr size_t kMaxDepth = 8;

Error bad(const std::string& what) {
    return make_error(Errc::decode, "governance state: " + what);
}

std::string as_text(BytesView b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

BytesView text_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

template <size_t N>
Result<FixedBytes<N>> fixed(BytesView b, const char* what) {
    if (b.size() != N)
        return bad(std::string(what) + " must be " + std::to_string(N) + " bytes, got " +
                   std::to_string(b.size()));
    FixedBytes<N> out;
    std::copy(b.begin(), b.end(), out.bytes.begin());
    return out;
}

// Reads the next string field of `list` as text.
Result<std::string> next_text(rlp::ListReader& list) {
    HC_ASSIGN_OR_RETURN(BytesView b, list.next_string());
    return as_text(b);
}

Result<Rule> next_rule(rlp::ListReader& list) {
    HC_ASSIGN_OR_RETURN(std::string text, next_text(list));
    auto rule = parse_rule(text);
    if (!rule) return bad("rule \"" + text + "\": " + rule.error().message);
    return rule;
}

void add_nodes(rlp::Encoder& e, const std::vector<ConsensusNode>& nodes) {
    e.begin_list();
    for (const ConsensusNode& n : nodes) {
        e.begin_list()
            .add(text_bytes(n.name))
            .add(text_bytes(n.org))
            .add(n.consensus_key)
            .add(text_bytes(n.p2p_address))
            .end_list();
    }
    e.end_list();
}

Result<std::vector<ConsensusNode>> read_nodes(rlp::ListReader list) {
    std::vector<ConsensusNode> out;
    while (!list.done()) {
        HC_ASSIGN_OR_RETURN(auto n, list.next_list());
        ConsensusNode node;
        HC_ASSIGN_OR_RETURN(node.name, next_text(n));
        HC_ASSIGN_OR_RETURN(node.org, next_text(n));
        HC_ASSIGN_OR_RETURN(BytesView key, n.next_string());
        node.consensus_key.assign(key.begin(), key.end());
        HC_ASSIGN_OR_RETURN(node.p2p_address, next_text(n));
        HC_TRY(n.finish());
        out.push_back(std::move(node));
    }
    return out;
}

}  // namespace

const char* mode_name(PermissionMode mode) noexcept {
    return mode == PermissionMode::permissioned ? "permissioned" : "open";
}

Result<PermissionMode> parse_mode(std::string_view text) {
    if (text == "permissioned") return PermissionMode::permissioned;
    if (text == "open") return PermissionMode::open;
    return make_error(Errc::invalid_argument, "permission mode \"" + std::string(text) +
                                                  "\": expected permissioned or open");
}

const char* status_name(ProposalStatus status) noexcept {
    switch (status) {
        case ProposalStatus::open:
            return "open";
        case ProposalStatus::executed:
            return "executed";
        case ProposalStatus::expired:
            return "expired";
        case ProposalStatus::failed:
            return "failed";
    }
    return "unknown";
}

const Organisation* GovernanceState::org(std::string_view id) const {
    for (const Organisation& o : orgs)
        if (o.id == id) return &o;
    return nullptr;
}

std::vector<std::string> GovernanceState::org_ids() const {
    std::vector<std::string> ids;
    ids.reserve(orgs.size());
    for (const Organisation& o : orgs)
        ids.push_back(o.id);
    return ids;
}

const MemberRecord* GovernanceState::member(const Address& address) const {
    auto it = members.find(address);
    return it == members.end() ? nullptr : &it->second;
}

Proposal* GovernanceState::proposal(uint64_t id) {
    auto it = std::lower_bound(proposals.begin(), proposals.end(), id,
                               [](const Proposal& p, uint64_t v) { return p.id < v; });
    return it != proposals.end() && it->id == id ? &*it : nullptr;
}

const Proposal* GovernanceState::proposal(uint64_t id) const {
    return const_cast<GovernanceState*>(this)->proposal(id);
}

const Rule& GovernanceState::call_rule(const Address& contract) const {
    auto it = contract_policies.find(contract);
    return it != contract_policies.end() ? it->second : policies.rule(Resource::call_contract);
}

bool GovernanceState::operator==(const GovernanceState& o) const {
    return mode == o.mode && orgs == o.orgs && members == o.members &&
           revoked_certificates == o.revoked_certificates &&
           policies.rules() == o.policies.rules() && contract_policies == o.contract_policies &&
           frozen == o.frozen && nodes == o.nodes && pending_nodes == o.pending_nodes &&
           epoch == o.epoch && epoch_start_height == o.epoch_start_height && params == o.params &&
           next_proposal_id == o.next_proposal_id && proposals == o.proposals;
}

Bytes encode_state(const GovernanceState& s) {
    rlp::Encoder e;
    e.begin_list().add(kVersion).add(static_cast<uint64_t>(s.mode));
    e.begin_list();
    for (const Organisation& o : s.orgs) {
        e.begin_list().add(text_bytes(o.id)).add(text_bytes(o.name)).begin_list();
        for (const Bytes& ca : o.ca_certs)
            e.add(ca);
        e.end_list().end_list();
    }
    e.end_list().begin_list();
    for (const auto& [address, m] : s.members)
        e.begin_list()
            .add(address.view())
            .add(text_bytes(m.org))
            .add(static_cast<uint64_t>(m.role))
            .add(m.certificate.view())
            .end_list();
    e.end_list().begin_list();
    for (const Hash32& c : s.revoked_certificates)
        e.add(c.view());
    e.end_list().begin_list();
    for (const auto& [resource, rule] : s.policies.rules())
        e.begin_list()
            .add(text_bytes(resource_name(resource)))
            .add(text_bytes(rule_to_string(rule)))
            .end_list();
    e.end_list().begin_list();
    for (const auto& [contract, rule] : s.contract_policies)
        e.begin_list().add(contract.view()).add(text_bytes(rule_to_string(rule))).end_list();
    e.end_list().begin_list();
    for (const Address& a : s.frozen)
        e.add(a.view());
    e.end_list();
    add_nodes(e, s.nodes);
    e.begin_list();
    if (s.pending_nodes) {
        e.add(s.pending_nodes->effective_height);
        add_nodes(e, s.pending_nodes->nodes);
    }
    e.end_list();
    e.begin_list().add(s.epoch).add(s.epoch_start_height).end_list();
    e.begin_list()
        .add(s.params.gas_limit)
        .add(s.params.proposal_lifetime_s)
        .add(s.params.epoch_blocks)
        .end_list();
    e.add(s.next_proposal_id);
    e.begin_list();
    for (const Proposal& p : s.proposals) {
        e.begin_list()
            .add(p.id)
            .add(text_bytes(p.action))
            .add(p.proposer.view())
            .add(p.created_block)
            .add(p.expires_at)
            .add(static_cast<uint64_t>(p.status))
            .begin_list();
        for (const Address& v : p.voters)
            e.add(v.view());
        e.end_list().add(text_bytes(p.outcome)).end_list();
    }
    e.end_list().end_list();
    return e.take();
}

Result<GovernanceState> decode_state(BytesView encoded) {
    auto top = rlp::decode_list(encoded, 14, kMaxDepth);
    if (!top) return bad(top.error().message);
    rlp::ListReader& r = *top;
    GovernanceState s;
    HC_ASSIGN_OR_RETURN(uint64_t version, r.next_uint64());
    if (version != kVersion) return bad("unknown version " + std::to_string(version));
    HC_ASSIGN_OR_RETURN(uint64_t mode, r.next_uint64());
    if (mode > 1) return bad("unknown permission mode " + std::to_string(mode));
    s.mode = static_cast<PermissionMode>(mode);

    HC_ASSIGN_OR_RETURN(auto orgs, r.next_list());
    while (!orgs.done()) {
        HC_ASSIGN_OR_RETURN(auto o, orgs.next_list());
        Organisation org;
        HC_ASSIGN_OR_RETURN(org.id, next_text(o));
        HC_ASSIGN_OR_RETURN(org.name, next_text(o));
        HC_ASSIGN_OR_RETURN(auto cas, o.next_list());
        while (!cas.done()) {
            HC_ASSIGN_OR_RETURN(BytesView ca, cas.next_string());
            org.ca_certs.emplace_back(ca.begin(), ca.end());
        }
        HC_TRY(o.finish());
        s.orgs.push_back(std::move(org));
    }
    HC_ASSIGN_OR_RETURN(auto members, r.next_list());
    while (!members.done()) {
        HC_ASSIGN_OR_RETURN(auto m, members.next_list());
        HC_ASSIGN_OR_RETURN(BytesView a, m.next_string());
        HC_ASSIGN_OR_RETURN(Address address, fixed<20>(a, "member address"));
        MemberRecord rec;
        HC_ASSIGN_OR_RETURN(rec.org, next_text(m));
        HC_ASSIGN_OR_RETURN(uint64_t role, m.next_uint64());
        if (role > 2) return bad("unknown role " + std::to_string(role));
        rec.role = static_cast<Role>(role);
        HC_ASSIGN_OR_RETURN(BytesView c, m.next_string());
        HC_ASSIGN_OR_RETURN(rec.certificate, fixed<32>(c, "member certificate"));
        HC_TRY(m.finish());
        s.members.emplace(address, std::move(rec));
    }
    HC_ASSIGN_OR_RETURN(auto revoked, r.next_list());
    while (!revoked.done()) {
        HC_ASSIGN_OR_RETURN(BytesView c, revoked.next_string());
        HC_ASSIGN_OR_RETURN(Hash32 h, fixed<32>(c, "revoked certificate"));
        s.revoked_certificates.insert(h);
    }
    HC_ASSIGN_OR_RETURN(auto policies, r.next_list());
    while (!policies.done()) {
        HC_ASSIGN_OR_RETURN(auto p, policies.next_list());
        HC_ASSIGN_OR_RETURN(std::string resource, next_text(p));
        HC_ASSIGN_OR_RETURN(std::string rule, next_text(p));
        HC_TRY(p.finish());
        if (Status st = s.policies.set(resource, rule); !st) return bad(st.error().message);
    }
    HC_ASSIGN_OR_RETURN(auto contract_policies, r.next_list());
    while (!contract_policies.done()) {
        HC_ASSIGN_OR_RETURN(auto p, contract_policies.next_list());
        HC_ASSIGN_OR_RETURN(BytesView a, p.next_string());
        HC_ASSIGN_OR_RETURN(Address contract, fixed<20>(a, "contract address"));
        HC_ASSIGN_OR_RETURN(Rule rule, next_rule(p));
        HC_TRY(p.finish());
        s.contract_policies.emplace(contract, std::move(rule));
    }
    HC_ASSIGN_OR_RETURN(auto frozen, r.next_list());
    while (!frozen.done()) {
        HC_ASSIGN_OR_RETURN(BytesView a, frozen.next_string());
        HC_ASSIGN_OR_RETURN(Address contract, fixed<20>(a, "frozen contract"));
        s.frozen.insert(contract);
    }
    HC_ASSIGN_OR_RETURN(auto nodes, r.next_list());
    HC_ASSIGN_OR_RETURN(s.nodes, read_nodes(nodes));
    HC_ASSIGN_OR_RETURN(auto pending, r.next_list());
    if (!pending.done()) {
        PendingNodeSet p;
        HC_ASSIGN_OR_RETURN(p.effective_height, pending.next_uint64());
        HC_ASSIGN_OR_RETURN(auto pn, pending.next_list());
        HC_ASSIGN_OR_RETURN(p.nodes, read_nodes(pn));
        HC_TRY(pending.finish());
        s.pending_nodes = std::move(p);
    }
    HC_ASSIGN_OR_RETURN(auto epoch, r.next_list());
    HC_ASSIGN_OR_RETURN(s.epoch, epoch.next_uint64());
    HC_ASSIGN_OR_RETURN(s.epoch_start_height, epoch.next_uint64());
    HC_TRY(epoch.finish());
    HC_ASSIGN_OR_RETURN(auto params, r.next_list());
    HC_ASSIGN_OR_RETURN(s.params.gas_limit, params.next_uint64());
    HC_ASSIGN_OR_RETURN(s.params.proposal_lifetime_s, params.next_uint64());
    HC_ASSIGN_OR_RETURN(s.params.epoch_blocks, params.next_uint64());
    HC_TRY(params.finish());
    HC_ASSIGN_OR_RETURN(s.next_proposal_id, r.next_uint64());
    HC_ASSIGN_OR_RETURN(auto proposals, r.next_list());
    while (!proposals.done()) {
        HC_ASSIGN_OR_RETURN(auto p, proposals.next_list());
        Proposal prop;
        HC_ASSIGN_OR_RETURN(prop.id, p.next_uint64());
        HC_ASSIGN_OR_RETURN(prop.action, next_text(p));
        HC_ASSIGN_OR_RETURN(BytesView a, p.next_string());
        HC_ASSIGN_OR_RETURN(prop.proposer, fixed<20>(a, "proposer"));
        HC_ASSIGN_OR_RETURN(prop.created_block, p.next_uint64());
        HC_ASSIGN_OR_RETURN(prop.expires_at, p.next_uint64());
        HC_ASSIGN_OR_RETURN(uint64_t status, p.next_uint64());
        if (status > 3) return bad("unknown proposal status " + std::to_string(status));
        prop.status = static_cast<ProposalStatus>(status);
        HC_ASSIGN_OR_RETURN(auto voters, p.next_list());
        while (!voters.done()) {
            HC_ASSIGN_OR_RETURN(BytesView v, voters.next_string());
            HC_ASSIGN_OR_RETURN(Address voter, fixed<20>(v, "voter"));
            prop.voters.push_back(voter);
        }
        HC_ASSIGN_OR_RETURN(prop.outcome, next_text(p));
        HC_TRY(p.finish());
        if (!s.proposals.empty() && s.proposals.back().id >= prop.id)
            return bad("proposal ids must ascend");
        s.proposals.push_back(std::move(prop));
    }
    HC_TRY(r.finish());
    return s;
}

Result<PolicyTarget> parse_policy_target(std::string_view text) {
    constexpr std::string_view kCall = "call_contract:";
    PolicyTarget t;
    if (text.substr(0, kCall.size()) == kCall) {
        HC_ASSIGN_OR_RETURN(Address a, parse_address(text.substr(kCall.size())));
        t.contract = a;
        return t;
    }
    HC_ASSIGN_OR_RETURN(t.resource, parse_resource(text));
    return t;
}

}  // namespace hc::governance
