// The governance system contracts take calldata from anyone: no input may crash them, and a call
// that fails must leave the state as it was. The same bytes also go to the state decoder and the
// action parser, which read what the chain stores and what proposals carry.
// Input: [selector of the target (1 byte): bit 0 Membership/Governance, bit 1 static call,
//         bits 2-3 which member sends] calldata...
#include <cstdlib>

#include "governance/actions.h"
#include "governance/system_contracts.h"

namespace {

using namespace hc;
using namespace hc::governance;

Address account(uint8_t n) {
    Address a;
    a.bytes[19] = n;
    return a;
}

GovernanceState make_state() {
    GovernanceState s;
    s.mode = PermissionMode::permissioned;
    for (uint8_t i = 1; i <= 3; ++i) {
        const std::string id = "org" + std::to_string(i);
        s.orgs.push_back({id, id, {}});
        s.members[account(i)] = {id, Role::admin, Hash32{}};
        s.members[account(static_cast<uint8_t>(10 + i))] = {id, Role::client, Hash32{}};
        s.nodes.push_back({id + "-node1", id, Bytes(65, i), "127.0.0.1:3030" + std::to_string(i)});
    }
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const BytesView input(data, size);
    (void)decode_state(input);
    (void)parse_action(std::string_view(reinterpret_cast<const char*>(data), size));
    if (size == 0) return 0;

    static const GovernanceState initial = make_state();
    GovernanceState state = initial;
    SystemCall call;
    call.contract = (data[0] & 1) ? membership_address() : governance_address();
    call.is_static = (data[0] & 2) != 0;
    const uint8_t who = (data[0] >> 2) & 3;
    call.sender = who == 3 ? account(99) : account(static_cast<uint8_t>(1 + who));
    call.input = input.subspan(1);
    call.block_number = 7;
    call.timestamp = 1'700'000'000;
    const SystemResult r = call_system_contract(state, call);
    if (!r.success && !(state == initial)) std::abort();  // a failed call changed the state
    if (r.success && !r.changed && !(state == initial)) std::abort();
    if (r.changed) {
        auto back = decode_state(encode_state(state));
        if (!back || !(*back == state)) std::abort();  // what is stored must read back
    }
    return 0;
}
