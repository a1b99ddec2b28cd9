#include "governance/system_contracts.h"

#include <algorithm>

#include "codec/abi.h"
#include "crypto/cert_issuer.h"
#include "crypto/x509.h"
#include "governance/actions.h"

namespace hc::governance {

namespace {

Address fixed_address(uint16_t low) {
    Address a;
    a.bytes[18] = static_cast<uint8_t>(low >> 8);
    a.bytes[19] = static_cast<uint8_t>(low);
    return a;
}

// One entry of a contract's function table.
struct Function {
    const char* signature;
    bool changes_state;
};

// Function signatures, as Solidity spells them; the selectors come from these.
namespace fn {
constexpr Function propose{"propose(string)", true};
constexpr Function vote{"vote(uint256)", true};
constexpr Function proposal_count{"proposalCount()", false};
constexpr Function proposal{"proposal(uint256)", false};
constexpr Function organisations{"organisations()", false};
constexpr Function consensus_nodes{"consensusNodes()", false};
constexpr Function policy{"policy(string)", false};
constexpr Function is_frozen{"isFrozen(address)", false};
constexpr Function permission_mode{"permissionMode()", false};
constexpr Function enrol{"enrol(bytes)", true};
constexpr Function enrol_member{"enrolMember(address,string,string)", true};
constexpr Function revoke{"revoke(address)", true};
constexpr Function is_member{"isMember(address)", false};
constexpr Function member_of{"memberOf(address)", false};
constexpr Function members{"members()", false};
}  // namespace fn

constexpr Function kGovernanceFunctions[] = {
    fn::propose,         fn::vote,   fn::proposal_count, fn::proposal,        fn::organisations,
    fn::consensus_nodes, fn::policy, fn::is_frozen,      fn::permission_mode,
};
constexpr Function kMembershipFunctions[] = {
    fn::enrol, fn::enrol_member, fn::revoke, fn::is_member, fn::member_of, fn::members,
};

bool is(const abi::Selector& s, const Function& f) {
    return s == abi::selector(f.signature);
}

// Thrown nowhere: a revert travels as a value through Result.
Error revert(std::string reason) {
    return make_error(Errc::invalid_argument, std::move(reason));
}

std::string who(const Address& a) {
    return to_checksum_address(a);
}

std::string describe(const MemberRecord* m) {
    if (!m) return "not a member";
    return std::string("a ") + role_name(m->role) + " of " + m->org;
}

Result<const MemberRecord*> require_admin(const GovernanceState& s, const Address& sender,
                                          const char* what) {
    const MemberRecord* m = s.member(sender);
    if (!m || m->role != Role::admin)
        return revert(std::string("only organisation admins can ") + what + ": " + who(sender) +
                      " is " + describe(m));
    return m;
}

// Counts a proposal's votes against its policy and applies it once they suffice.
void settle(GovernanceState& s, Proposal& p, const Action& action, const SystemCall& call,
            std::vector<SystemEvent>& events) {
    std::vector<Member> approvals;
    for (const Address& v : p.voters)
        if (const MemberRecord* m = s.member(v)) approvals.push_back({m->org, m->role});
    const MemberRecord* proposer = s.member(p.proposer);
    const std::vector<std::string> orgs = s.org_ids();
    const Evaluation e =
        evaluate(s.policies.rule(action_resource(action)), orgs, approvals,
                 action_self_org(action, s, proposer ? proposer->org : std::string()));
    if (!e.passed) return;
    const uint64_t id = p.id;
    if (Status st = apply_action(action, s, call.block_number); !st) {
        Proposal* again = s.proposal(id);
        again->status = ProposalStatus::failed;
        again->outcome = st.error().message;
        events.push_back(
            {call.contract,
             {abi::event_topic("ProposalFailed(uint256,string)"), abi::to_topic(uint256(id))},
             abi::Encoder().add_string(st.error().message).finish()});
        return;
    }
    // apply_action may have reallocated nothing in proposals, but look it up again to be plain.
    Proposal* done = s.proposal(id);
    done->status = ProposalStatus::executed;
    events.push_back(
        {call.contract, {abi::event_topic("Executed(uint256)"), abi::to_topic(uint256(id))}, {}});
}

ProposalStatus status_at(const Proposal& p, uint64_t timestamp) {
    if (p.status == ProposalStatus::open && timestamp >= p.expires_at)
        return ProposalStatus::expired;
    return p.status;
}

Result<Bytes> governance_call(GovernanceState& s, const SystemCall& call, const abi::Selector& sel,
                              abi::Decoder& args, std::vector<SystemEvent>& events) {
    if (is(sel, fn::propose)) {
        HC_ASSIGN_OR_RETURN(std::string text, args.read_string());
        HC_TRY(require_admin(s, call.sender, "propose"));
        auto action = parse_action(text);
        if (!action) return revert(action.error().message);
        if (Status st = check_action(*action, s); !st) return revert(st.error().message);
        Proposal p;
        p.id = s.next_proposal_id++;
        p.action = action_to_json(*action);
        p.proposer = call.sender;
        p.created_block = call.block_number;
        p.expires_at = call.timestamp + s.params.proposal_lifetime_s;
        p.voters.push_back(call.sender);
        s.proposals.push_back(p);
        events.push_back({call.contract,
                          {abi::event_topic("Proposed(uint256,address,string)"),
                           abi::to_topic(uint256(p.id)), abi::to_topic(call.sender)},
                          abi::Encoder().add_string(p.action).finish()});
        settle(s, s.proposals.back(), *action, call, events);
        return abi::Encoder().add_uint(uint256(p.id)).finish();
    }
    if (is(sel, fn::vote)) {
        HC_ASSIGN_OR_RETURN(uint64_t id, args.read_uint64());
        HC_TRY(require_admin(s, call.sender, "vote"));
        Proposal* p = s.proposal(id);
        if (!p) return revert("no proposal " + std::to_string(id));
        const ProposalStatus status = status_at(*p, call.timestamp);
        if (status == ProposalStatus::expired)
            return revert("proposal " + std::to_string(id) + " expired at " +
                          crypto::format_utc(static_cast<int64_t>(p->expires_at)));
        if (status != ProposalStatus::open)
            return revert("proposal " + std::to_string(id) + " is already " + status_name(status));
        if (std::find(p->voters.begin(), p->voters.end(), call.sender) != p->voters.end())
            return revert(who(call.sender) + " already voted for proposal " + std::to_string(id));
        p->voters.push_back(call.sender);
        events.push_back({call.contract,
                          {abi::event_topic("Voted(uint256,address)"), abi::to_topic(uint256(id)),
                           abi::to_topic(call.sender)},
                          {}});
        auto action = parse_action(p->action);
        if (!action)
            return revert("proposal " + std::to_string(id) + ": " + action.error().message);
        settle(s, *p, *action, call, events);
        return Bytes{};
    }
    if (is(sel, fn::proposal_count))
        return abi::Encoder().add_uint(uint256(s.next_proposal_id - 1)).finish();
    if (is(sel, fn::proposal)) {
        HC_ASSIGN_OR_RETURN(uint64_t id, args.read_uint64());
        const Proposal* p = s.proposal(id);
        if (!p) return revert("no proposal " + std::to_string(id));
        return abi::Encoder()
            .add_string(p->action)
            .add_address(p->proposer)
            .add_uint(uint256(p->expires_at))
            .add_uint(uint256(static_cast<uint64_t>(status_at(*p, call.timestamp))))
            .add_address_array(p->voters)
            .add_string(p->outcome)
            .finish();
    }
    if (is(sel, fn::organisations)) {
        std::vector<std::string> ids, names;
        for (const Organisation& o : s.orgs) {
            ids.push_back(o.id);
            names.push_back(o.name);
        }
        return abi::Encoder().add_string_array(ids).add_string_array(names).finish();
    }
    if (is(sel, fn::consensus_nodes)) {
        std::vector<std::string> names, orgs;
        for (const ConsensusNode& n : s.nodes) {
            names.push_back(n.name);
            orgs.push_back(n.org);
        }
        return abi::Encoder()
            .add_string_array(names)
            .add_string_array(orgs)
            .add_uint(uint256(s.epoch))
            .finish();
    }
    if (is(sel, fn::policy)) {
        HC_ASSIGN_OR_RETURN(std::string resource, args.read_string());
        auto target = parse_policy_target(resource);
        if (!target) return revert(target.error().message);
        const Rule& rule =
            target->contract ? s.call_rule(*target->contract) : s.policies.rule(target->resource);
        return abi::Encoder().add_string(rule_to_string(rule)).finish();
    }
    if (is(sel, fn::is_frozen)) {
        HC_ASSIGN_OR_RETURN(Address a, args.read_address());
        return abi::Encoder().add_bool(s.frozen.count(a) > 0).finish();
    }
    if (is(sel, fn::permission_mode)) return abi::Encoder().add_string(mode_name(s.mode)).finish();
    return revert("Governance: unknown function selector " + to_hex(sel));
}

// Whether `sender` may manage the members of `org` on its own (the manage_members policy with
// the sender's sole approval).
Status check_member_manager(const GovernanceState& s, const Address& sender,
                            const std::string& org) {
    const MemberRecord* m = s.member(sender);
    std::vector<Member> approvals;
    if (m) approvals.push_back({m->org, m->role});
    const std::vector<std::string> orgs = s.org_ids();
    const Evaluation e = evaluate(s.policies.rule(Resource::manage_members), orgs, approvals, org);
    if (!e.passed)
        return revert(who(sender) + " (" + describe(m) + ") may not manage the members of " + org +
                      ": " + e.reason + " (policy manage_members: " +
                      rule_to_string(s.policies.rule(Resource::manage_members)) +
                      "); propose an enrol or revoke action instead");
    return {};
}

void enrolled_event(const SystemCall& call, const Address& member, const MemberRecord& rec,
                    std::vector<SystemEvent>& events) {
    events.push_back(
        {call.contract,
         {abi::event_topic("MemberEnrolled(address,string,string)"), abi::to_topic(member)},
         abi::Encoder().add_string(rec.org).add_string(role_name(rec.role)).finish()});
}

Result<Bytes> membership_call(GovernanceState& s, const SystemCall& call, const abi::Selector& sel,
                              abi::Decoder& args, std::vector<SystemEvent>& events) {
    if (is(sel, fn::enrol)) {
        HC_ASSIGN_OR_RETURN(Bytes cert_bytes, args.read_bytes());
        const std::string_view text(reinterpret_cast<const char*>(cert_bytes.data()),
                                    cert_bytes.size());
        auto cert = text.find("-----BEGIN") != std::string_view::npos
                        ? crypto::Certificate::from_pem(text)
                        : crypto::Certificate::from_der(cert_bytes);
        if (!cert) return revert("enrol: not a certificate: " + cert.error().message);
        const std::string org_id = crypto::subject_organisation(*cert);
        const Organisation* org = s.org(org_id);
        if (!org)
            return revert("enrol: the certificate's organisation \"" + org_id +
                          "\" is not in the consortium");
        std::vector<crypto::Certificate> cas;
        for (const Bytes& der : org->ca_certs)
            if (auto ca = crypto::Certificate::from_der(der)) cas.push_back(std::move(*ca));
        auto info = crypto::verify_member_certificate(cert->der(), cas,
                                                      static_cast<int64_t>(call.timestamp));
        if (!info) return revert("enrol: " + info.error().message);
        if (info->address != call.sender)
            return revert("enrol: the certificate is for " + who(info->address) +
                          ", not the sender " + who(call.sender));
        if (s.revoked_certificates.count(info->fingerprint))
            return revert("enrol: this certificate was revoked");
        auto role = parse_role(info->role);
        if (!role) return revert("enrol: " + role.error().message);
        MemberRecord rec{org->id, *role, info->fingerprint};
        s.members[call.sender] = rec;
        enrolled_event(call, call.sender, rec, events);
        return Bytes{};
    }
    if (is(sel, fn::enrol_member)) {
        HC_ASSIGN_OR_RETURN(Address member, args.read_address());
        HC_ASSIGN_OR_RETURN(std::string org, args.read_string());
        HC_ASSIGN_OR_RETURN(std::string role_text, args.read_string());
        auto role = parse_role(role_text);
        if (!role) return revert("enrolMember: " + role.error().message);
        const EnrolMember action{member, org, *role};
        if (Status st = check_action(action, s); !st) return revert(st.error().message);
        HC_TRY(check_member_manager(s, call.sender, org));
        HC_TRY(apply_action(action, s, call.block_number));
        enrolled_event(call, member, s.members.at(member), events);
        return Bytes{};
    }
    if (is(sel, fn::revoke)) {
        HC_ASSIGN_OR_RETURN(Address member, args.read_address());
        const MemberRecord* m = s.member(member);
        if (!m) return revert("revoke: " + who(member) + " is not a member");
        const std::string org = m->org;
        HC_TRY(check_member_manager(s, call.sender, org));
        HC_TRY(apply_action(RevokeMember{member}, s, call.block_number));
        events.push_back(
            {call.contract,
             {abi::event_topic("MemberRevoked(address,string)"), abi::to_topic(member)},
             abi::Encoder().add_string(org).finish()});
        return Bytes{};
    }
    if (is(sel, fn::is_member)) {
        HC_ASSIGN_OR_RETURN(Address a, args.read_address());
        return abi::Encoder().add_bool(s.member(a) != nullptr).finish();
    }
    if (is(sel, fn::member_of)) {
        HC_ASSIGN_OR_RETURN(Address a, args.read_address());
        const MemberRecord* m = s.member(a);
        return abi::Encoder()
            .add_bool(m != nullptr)
            .add_string(m ? m->org : "")
            .add_string(m ? role_name(m->role) : "")
            .finish();
    }
    if (is(sel, fn::members)) {
        std::vector<Address> all;
        for (const auto& [a, m] : s.members)
            all.push_back(a);
        return abi::Encoder().add_address_array(all).finish();
    }
    return revert("Membership: unknown function selector " + to_hex(sel));
}

const Function* find_function(const Address& contract, const abi::Selector& sel) {
    std::span<const Function> table = contract == governance_address()
                                          ? std::span<const Function>(kGovernanceFunctions)
                                          : std::span<const Function>(kMembershipFunctions);
    for (const Function& f : table)
        if (is(sel, f)) return &f;
    return nullptr;
}

}  // namespace

const Address& governance_address() {
    static const Address a = fixed_address(0x1000);
    return a;
}

const Address& membership_address() {
    static const Address a = fixed_address(0x1001);
    return a;
}

bool is_system_contract(const Address& address) {
    return address == governance_address() || address == membership_address();
}

std::string frozen_message(const Address& contract) {
    return "contract " + who(contract) +
           " is frozen by consortium governance; calls fail until a vote unfreezes it";
}

SystemResult call_system_contract(GovernanceState& state, const SystemCall& call) {
    SystemResult result;
    result.gas = kSystemReadGas;
    const char* name = call.contract == governance_address() ? "Governance" : "Membership";
    auto fail = [&](const std::string& reason) {
        result.success = false;
        result.output = abi::encode_error(reason);
        result.events.clear();
        return result;
    };
    auto parts = abi::split_call(call.input);
    if (!parts) return fail(std::string(name) + ": " + parts.error().message);
    const Function* f = find_function(call.contract, parts->first);
    if (f && f->changes_state) {
        result.gas = kSystemWriteGas + kSystemWriteGasPerByte * call.input.size();
        if (call.is_static)
            return fail(std::string(name) + "." + f->signature +
                        " changes state and cannot run in a static call");
    }
    if (!call.value.is_zero()) return fail(std::string(name) + " does not accept value");
    // A change runs on a copy, kept only if it succeeds; a read runs on the state itself.
    GovernanceState scratch;
    GovernanceState* target = &state;
    if (f && f->changes_state) {
        scratch = state;
        target = &scratch;
    }
    abi::Decoder args(parts->second);
    auto out = call.contract == governance_address()
                   ? governance_call(*target, call, parts->first, args, result.events)
                   : membership_call(*target, call, parts->first, args, result.events);
    if (!out) return fail(out.error().message);
    result.success = true;
    result.output = std::move(*out);
    result.changed = f && f->changes_state;
    if (result.changed) state = std::move(scratch);
    return result;
}

Status check_transaction_permission(const GovernanceState& state, const Address& sender,
                                    const std::optional<Address>& to, BytesView input,
                                    bool to_has_code) {
    if (state.mode == PermissionMode::open) return {};
    const MemberRecord* m = state.member(sender);
    if (!m) {
        // Becoming a member is the one thing a non-member may do.
        if (to && *to == membership_address() && input.size() >= 4 &&
            std::equal(input.begin(), input.begin() + 4,
                       abi::selector(fn::enrol.signature).begin()))
            return {};
        return make_error(Errc::permission_denied, "sender is not a member of the consortium");
    }
    // A plain transfer, the common case, needs nothing more.
    if (to && (!to_has_code || is_system_contract(*to))) return {};
    const std::vector<std::string> orgs = state.org_ids();
    const std::vector<Member> approval{{m->org, m->role}};
    if (!to) {
        const Rule& rule = state.policies.rule(Resource::deploy_contract);
        const Evaluation e = evaluate(rule, orgs, approval, m->org);
        if (!e.passed)
            return make_error(Errc::permission_denied,
                              "sender may not deploy contracts (" + describe(m) +
                                  "; policy deploy_contract: " + rule_to_string(rule) + ")");
    } else {
        const Rule& rule = state.call_rule(*to);
        const Evaluation e = evaluate(rule, orgs, approval, m->org);
        if (!e.passed)
            return make_error(Errc::permission_denied,
                              "sender may not call " + who(*to) + " (" + describe(m) +
                                  "; policy: " + rule_to_string(rule) + ")");
    }
    return {};
}

}  // namespace hc::governance
