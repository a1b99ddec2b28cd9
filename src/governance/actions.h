// What a governance proposal asks for, as JSON text (what propose(string) takes, what the
// proposal list shows, what `honeycomb gov propose` builds):
//
//   {"type": "add_org", "id": "org5", "name": "Org Five", "ca_certs": ["-----BEGIN CERT..."]}
//   {"type": "remove_org", "id": "org5"}
//   {"type": "add_node", "name": "org5-node1", "org": "org5", "consensus_key": "0x04...",
//    "p2p_address": "127.0.0.1:30304"}
//   {"type": "remove_node", "name": "org4-node1"}
//   {"type": "set_block_params", "gas_limit": 30000000, "proposal_lifetime_s": 86400,
//    "epoch_blocks": 20}                                            (each field optional)
//   {"type": "set_policy", "resource": "deploy_contract", "rule": "ANY roles=admin"}
//   {"type": "set_policy", "resource": "call_contract:0xAbC...", "rule": "ANY orgs=org1"}
//   {"type": "freeze", "contract": "0x..."}     {"type": "unfreeze", "contract": "0x..."}
//   {"type": "enrol", "member": "0x...", "org": "org1", "role": "client"}
//   {"type": "revoke", "member": "0x..."}
//   {"type": "set_permission_mode", "mode": "open"}
//
// Parsing is strict (unknown fields, wrong types, bad values are errors naming the field), and
// an action is checked against the state both when proposed and when applied.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "governance/state.h"

namespace hc::governance {

struct AddOrg {
    Organisation org;
};
struct RemoveOrg {
    std::string id;
};
struct AddNode {
    ConsensusNode node;
};
struct RemoveNode {
    std::string name;
};
struct SetBlockParams {
    std::optional<uint64_t> gas_limit;
    std::optional<uint64_t> proposal_lifetime_s;
    std::optional<uint64_t> epoch_blocks;
};
struct SetPolicy {
    PolicyTarget target;
    Rule rule;
};
struct SetFrozen {
    Address contract;
    bool frozen = true;
};
struct EnrolMember {
    Address member;
    std::string org;
    Role role = Role::client;
};
struct RevokeMember {
    Address member;
};
struct SetMode {
    PermissionMode mode = PermissionMode::permissioned;
};

using Action = std::variant<AddOrg, RemoveOrg, AddNode, RemoveNode, SetBlockParams, SetPolicy,
                            SetFrozen, EnrolMember, RevokeMember, SetMode>;

// Bounds on what one action may carry.
inline constexpr size_t kMaxActionSize = 64 * 1024;
inline constexpr size_t kMaxNameSize = 128;

Result<Action> parse_action(std::string_view json_text);
// Canonical JSON (keys sorted, no spaces): parse_action(action_to_json(a)) gives a back.
std::string action_to_json(const Action& action);

// The policy that decides the action.
Resource action_resource(const Action& action);
// The organisation SELF means for the action: the member's for enrol/revoke, the node's for node
// changes, else the proposer's.
std::string action_self_org(const Action& action, const GovernanceState& state,
                            std::string_view proposer_org);

// Whether the action can apply to `state` now ("organisation org5 already exists").
Status check_action(const Action& action, const GovernanceState& state);
// Applies it at block `height` (node-set changes are scheduled for the next epoch boundary).
// On error `state` is unchanged.
Status apply_action(const Action& action, GovernanceState& state, uint64_t height);

// The first height of the next epoch after block `height`: the next multiple of epoch_blocks
// that leaves at least one full block between the decision and the switch.
uint64_t next_epoch_boundary(uint64_t height, uint64_t epoch_blocks);

// Switches to the pending node set when block `height` is its first block. Returns whether it did.
bool activate_pending_nodes(GovernanceState& state, uint64_t height);

// An organisation's CA certificates from PEM or DER: each a CA allowed to sign certificates, whose
// subject's organisation (O) is `org_id` (member certificates name their organisation by it).
Result<std::vector<Bytes>> parse_ca_certificates(const std::vector<std::string>& pem_or_der,
                                                 std::string_view org_id);

}  // namespace hc::governance
