// The consortium's governed configuration: organisations, members, policies, the consensus node
// set, block parameters, frozen contracts and proposals. It starts in the genesis and is then
// changed only by the system contracts (system_contracts.h), so every node holds the same value
// at every height: it lives in the world state (chain/governance_store.h) and the state root
// commits to it.
//
// Encoding (canonical RLP, see encode_state):
//   rlp([version=1, mode, [org...], [member...], [revoked cert...], [[resource, rule]...],
//        [[contract, rule]...], [frozen...], [node...], pending, [epoch, epoch_start_height],
//        [gas_limit, proposal_lifetime_s, epoch_blocks], next_proposal_id, [proposal...]])
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/address.h"
#include "common/bytes.h"
#include "common/error.h"
#include "common/fixed_bytes.h"
#include "governance/policy.h"

namespace hc::governance {

enum class PermissionMode : uint8_t {
    permissioned,  // only enrolled members transact; policies apply to deploys and calls
    open,          // anyone transacts (the development chain); governance still works
};
const char* mode_name(PermissionMode mode) noexcept;
Result<PermissionMode> parse_mode(std::string_view text);

struct Organisation {
    std::string id;               // short, as in certificates' O field: "org1"
    std::string name;             // for people: "Haidian District Office"
    std::vector<Bytes> ca_certs;  // DER, at least one
    bool operator==(const Organisation&) const = default;
};

struct MemberRecord {
    std::string org;
    Role role = Role::client;
    Hash32 certificate;  // keccak256 of the DER it enrolled with; zero when an admin enrolled it
    bool operator==(const MemberRecord&) const = default;
};

struct ConsensusNode {
    std::string name;
    std::string org;
    Bytes consensus_key;      // P-256, 65-byte uncompressed SEC1
    std::string p2p_address;  // host:port
    bool operator==(const ConsensusNode&) const = default;
};

// A node set decided by a vote that takes over at an epoch boundary.
struct PendingNodeSet {
    // The epoch boundary: the block whose execution switches the state to this set (the last
    // block the old set produces; the new one produces those after it).
    uint64_t effective_height = 0;
    std::vector<ConsensusNode> nodes;
    bool operator==(const PendingNodeSet&) const = default;
};

struct BlockParams {
    uint64_t gas_limit = 30'000'000;
    uint64_t proposal_lifetime_s = 7 * 24 * 3600;
    uint64_t epoch_blocks = 20;  // node-set changes take effect at multiples of this height
    bool operator==(const BlockParams&) const = default;
};

enum class ProposalStatus : uint8_t { open = 0, executed = 1, expired = 2, failed = 3 };
const char* status_name(ProposalStatus status) noexcept;

struct Proposal {
    uint64_t id = 0;
    std::string action;  // JSON text (actions.h)
    Address proposer;
    uint64_t created_block = 0;
    uint64_t expires_at = 0;  // Unix seconds (block time); no vote counts after it
    ProposalStatus status = ProposalStatus::open;
    std::vector<Address> voters;  // in voting order, each once; the proposer first
    std::string outcome;          // why it failed, when it did
    bool operator==(const Proposal&) const = default;
};

struct GovernanceState {
    PermissionMode mode = PermissionMode::open;
    std::vector<Organisation> orgs;
    std::map<Address, MemberRecord> members;
    std::set<Hash32> revoked_certificates;
    PolicySet policies;
    std::map<Address, Rule> contract_policies;  // who may call that contract (call_contract)
    std::set<Address> frozen;
    std::vector<ConsensusNode> nodes;  // the consensus set in index order
    std::optional<PendingNodeSet> pending_nodes;
    uint64_t epoch = 0;
    // The block whose execution started this epoch (its last block of the previous one): the
    // consensus committee of epoch > 0 continues the chain after it.
    uint64_t epoch_start_height = 0;
    BlockParams params;
    uint64_t next_proposal_id = 1;
    std::vector<Proposal> proposals;  // ascending ids

    const Organisation* org(std::string_view id) const;
    std::vector<std::string> org_ids() const;
    const MemberRecord* member(const Address& address) const;
    Proposal* proposal(uint64_t id);
    const Proposal* proposal(uint64_t id) const;
    // The rule that governs calls to `contract`: its own, else the call_contract policy.
    const Rule& call_rule(const Address& contract) const;

    bool operator==(const GovernanceState&) const;
};

Bytes encode_state(const GovernanceState& state);
Result<GovernanceState> decode_state(BytesView encoded);

// The text form of a resource in set_policy actions and RPC answers: a Resource name, or
// "call_contract:0x<address>" for one contract's allowlist.
struct PolicyTarget {
    Resource resource = Resource::call_contract;
    std::optional<Address> contract;
};
Result<PolicyTarget> parse_policy_target(std::string_view text);

}  // namespace hc::governance
