// The system contracts: native code at fixed addresses that reads and changes the governance
// state. Ethereum clients call them like any contract (their Solidity interfaces and JSON ABIs
// are in contracts/system/); the chain routes calls to these addresses here instead of the EVM.
//
//   Governance  0x0000000000000000000000000000000000001000   propose(string), vote(uint256), ...
//   Membership  0x0000000000000000000000000000000000001001   enrol(bytes), enrolMember(...), ...
//
// Deterministic: a call's result depends only on the state and the call (the block time stands
// in for "now" in certificate checks and proposal expiry).
#pragma once

#include <string>
#include <vector>

#include "common/uint256.h"
#include "governance/state.h"

namespace hc::governance {

const Address& governance_address();
const Address& membership_address();
bool is_system_contract(const Address& address);

// Gas a system call costs: reads are cheap, changes cost like a few storage writes plus a charge
// per byte of calldata, since what a change carries (an action, a certificate) stays in the
// state.
inline constexpr uint64_t kSystemReadGas = 5'000;
inline constexpr uint64_t kSystemWriteGas = 100'000;
inline constexpr uint64_t kSystemWriteGasPerByte = 64;

struct SystemCall {
    Address contract;
    Address sender;
    BytesView input;
    uint256 value;
    bool is_static = false;  // a STATICCALL or an eth_call-style read
    uint64_t block_number = 0;
    uint64_t timestamp = 0;  // Unix seconds
};

struct SystemEvent {
    Address contract;
    std::vector<Hash32> topics;
    Bytes data;
};

struct SystemResult {
    bool success = false;
    Bytes output;  // ABI-encoded return values, or an Error(string) revert payload
    std::vector<SystemEvent> events;
    bool changed = false;  // the state was changed (only when success)
    uint64_t gas = 0;      // what the call costs
};

// Runs `call` against `state`. On failure `state` is unchanged and `output` holds the reason.
SystemResult call_system_contract(GovernanceState& state, const SystemCall& call);

// What a transaction may do under `state`, checked by the pool at admission and again when a
// block executes it. In permissioned mode: the sender is an enrolled member (except a
// self-enrolment, Membership.enrol), a contract creation passes deploy_contract, and a call to
// a contract (`to` with code) passes its call policy. Errors read like
// "sender is not a member of the consortium".
Status check_transaction_permission(const GovernanceState& state, const Address& sender,
                                    const std::optional<Address>& to, BytesView input,
                                    bool to_has_code);

// The revert message for a call to a frozen contract.
std::string frozen_message(const Address& contract);

}  // namespace hc::governance
