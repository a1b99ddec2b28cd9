// Governance policies: who must approve an action before the consortium accepts it, in the spirit
// of ChainMaker's resource policies and Fabric's endorsement policies. Pure evaluation: no I/O, no
// chain access; the caller supplies the consortium's organisations and the verified approvals.
//
// A rule counts organisations, not signatures:
//  - The eligible organisations are the consortium's organisations, intersected with the rule's
//    `orgs` when that is non-empty. An org in `orgs` that is not in the consortium is ignored.
//  - An approval counts only when its member's organisation is eligible and its role is in the
//    rule's `roles` (any role when `roles` is empty).
//  - An organisation approves when at least one of its counting members approved: duplicate
//    approvals from one member, or approvals from several members of one organisation, count as
//    one organisation.
//
// Kinds, with E eligible and A approving organisations:
//   ANY       A >= 1
//   ALL       A == E
//   MAJORITY  A > E/2, i.e. A >= floor(E/2) + 1
//   m         A >= m (M_OF_N; m > E can never pass)
//   a/b       A*b >= E*a (FRACTION, 0 < a <= b; 1/1 behaves as ALL)
//   SELF      the requester's own organisation is eligible and approved
//   FORBIDDEN never passes
// With E == 0 no kind passes: an empty electorate must not wave actions through.
//
// Text form, for genesis/config files and CLI arguments (see parse_rule):
//   KIND [orgs=ORG,ORG...] [roles=ROLE,ROLE...]
// e.g. "MAJORITY", "3", "2/3 roles=admin", "ANY orgs=org1,org2 roles=admin,client".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"

namespace hc::governance {

enum class Role { admin, client, node };

// "admin", "client", "node".
const char* role_name(Role role) noexcept;
// Case-insensitive; an error lists the valid names.
Result<Role> parse_role(std::string_view text);

// Who approved: a member of an organisation acting in a role. The caller has already verified the
// signature or vote and mapped the signer's certificate to this identity.
struct Member {
    std::string org;
    Role role = Role::client;
    bool operator==(const Member&) const = default;
};

enum class Kind { any, all, majority, self, forbidden, m_of_n, fraction };

struct Rule {
    // Default-constructed rules fail closed.
    Kind kind = Kind::forbidden;
    uint32_t m = 0;                           // M_OF_N only: at least 1
    uint32_t numerator = 0;                   // FRACTION only: 0 < numerator <= denominator
    uint32_t denominator = 0;                 // FRACTION only
    std::set<std::string, std::less<>> orgs;  // empty: every consortium organisation
    std::set<Role> roles;                     // empty: every role

    bool operator==(const Rule&) const = default;
};

// Parses the text form above. Kinds and role names are case-insensitive; organisation names are
// taken as written and must not contain whitespace, ',' or '='. Tokens are separated by spaces or
// tabs; each of orgs= and roles= may appear once. Every malformed input is an invalid_argument
// error that says what was expected.
Result<Rule> parse_rule(std::string_view text);

// The canonical text form: parse_rule(rule_to_string(r)) == r for every rule parse_rule returns.
std::string rule_to_string(const Rule& rule);

struct Evaluation {
    bool passed = false;
    size_t approving = 0;  // eligible organisations with a counting approval
    size_t eligible = 0;   // for SELF: 1 when the requester's organisation is eligible, else 0
    size_t required = 0;   // approving organisations needed; 0 for FORBIDDEN
    std::string reason;    // empty when passed; else why not, for a person to read
};

// `consortium_orgs`: the consortium's organisation names (duplicates are counted once).
// `requester_org`: the organisation of whoever asks for the action; only SELF looks at it, and
// empty means none was given.
Evaluation evaluate(const Rule& rule, std::span<const std::string> consortium_orgs,
                    std::span<const Member> approvals, std::string_view requester_org = {});

enum class Resource { deploy_contract, call_contract, change_config, manage_members, manage_nodes };

// "deploy_contract", "call_contract", "change_config", "manage_members", "manage_nodes".
const char* resource_name(Resource resource) noexcept;
Result<Resource> parse_resource(std::string_view text);

// The rule for each resource. The defaults, chosen so that a fresh consortium is usable and no one
// organisation can change shared state alone:
//   deploy_contract  ANY roles=admin,client   any organisation's admins or clients deploy
//   call_contract    ANY                      anyone in the consortium may call
//   change_config    MAJORITY roles=admin     chain parameters are shared: most orgs' admins
//   manage_members   SELF roles=admin         an org's admin manages its own org's members
//   manage_nodes     MAJORITY roles=admin     validators affect everyone: most orgs' admins
class PolicySet {
  public:
    PolicySet();  // the defaults above

    const Rule& rule(Resource resource) const;
    void set(Resource resource, Rule rule);
    // For config files: both names in text form, e.g. set("change_config", "2/3 roles=admin").
    // On error nothing changes.
    Status set(std::string_view resource, std::string_view rule_text);

    const std::map<Resource, Rule>& rules() const { return rules_; }

  private:
    std::map<Resource, Rule> rules_;
};

}  // namespace hc::governance
