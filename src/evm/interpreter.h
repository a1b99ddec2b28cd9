// The Cancun EVM interpreter: one call or create frame at a time, in the style of evmone's
// baseline interpreter (code analysed once for JUMPDESTs, then a tight dispatch loop over the
// bytes). Everything about the world (accounts, storage, nested frames, value transfer) is the
// Host's; this file only executes code and charges gas.
//
// Nested frames: CALL, CALLCODE, DELEGATECALL, STATICCALL, CREATE and CREATE2 build a Message
// and hand it to Host::call(). The interpreter has already charged the caller's side of the
// cost (access, value transfer, new account, memory, EIP-3860 init code words), applied the
// 63/64 rule, added the 2300 stipend for value-carrying calls, and checked the call depth (1024)
// and the caller's balance for the value; a call that fails those checks pushes 0 and never
// reaches the host. Message fields per kind (EVMC conventions):
//   CALL          kind call,         recipient = code_address = target, sender = this account
//   CALLCODE      kind callcode,     recipient = this account, code_address = target
//   DELEGATECALL  kind delegatecall, recipient = this account, sender and value = this frame's
//   STATICCALL    kind staticcall,   is_static = true, recipient = code_address = target
// is_static is inherited by every nested call. Message::gas includes the stipend. The host's
// result: status success pushes 1; gas_left is returned to the caller; gas_refund is added to
// the caller's counter only on success; output becomes the return data buffer.
//
// Messages for CREATE and CREATE2 that the interpreter sends to Host::call() carry the init
// code in Message::input (a view into the caller's memory, valid for the duration of the
// call). The host must run it as code — execute(host, msg_without_input, init_code) — with an
// empty calldata, and does all the rest: nonce, address derivation, collision check, code
// deposit cost, EIP-170/EIP-3541 checks, and sets ExecutionResult::create_address. The
// interpreter pushes create_address when the status is success; it keeps the output as return
// data only when the status is revert.
//
// When execute() is itself given a create message, the code argument is the init code and the
// result's output is the code to deploy; the interpreter does not deploy it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/bytes.h"
#include "common/fixed_bytes.h"
#include "evm/host.h"

namespace hc::evm {

// The code of one contract prepared for execution.
struct CodeAnalysis {
    // The code followed by 33 zero bytes, so that a PUSH32 at the end reads zeros and execution
    // then meets a STOP without bounds checks in the loop.
    Bytes padded_code;
    // Bit i set when byte i is a JUMPDEST opcode (not inside PUSH data).
    std::vector<uint64_t> jumpdest_bitmap;
    size_t code_size = 0;

    bool is_jumpdest(uint64_t pos) const noexcept {
        return pos < code_size && ((jumpdest_bitmap[pos / 64] >> (pos % 64)) & 1) != 0;
    }
};

// Builds the padded code and JUMPDEST map.
CodeAnalysis analyze(BytesView code);

// Runs code for msg. Exceptional halts report gas_left = 0 and gas_refund = 0; a revert keeps
// gas_left but reports no refund. gas_refund is this frame's EIP-3529 refund counter including
// that of successful nested frames; it may be negative inside a frame (clearing a slot and then
// restoring it), and the host caps it at the transaction level.
// REQUIRES: code is analyze() of the code msg runs; msg.gas >= 0.
ExecutionResult execute(Host& host, const Message& msg, const CodeAnalysis& code) noexcept;
// As above, analysing code first (no cache).
ExecutionResult execute(Host& host, const Message& msg, BytesView code) noexcept;

// Analyses shared between executions, keyed by code hash. Thread-safe. Bounded: when it holds
// max_entries analyses it is cleared and starts over (analyses are cheap to redo; this keeps
// the hot path free of LRU bookkeeping). Returned analyses stay valid while held.
class AnalysisCache {
  public:
    explicit AnalysisCache(size_t max_entries = 4096) : max_entries_(max_entries) {}

    // The analysis of code, whose keccak256 is code_hash.
    // REQUIRES: code_hash == keccak256(code).
    std::shared_ptr<const CodeAnalysis> get(const Hash32& code_hash, BytesView code);

    size_t size() const;
    void clear();

  private:
    size_t max_entries_;
    mutable std::mutex mu_;
    std::unordered_map<Hash32, std::shared_ptr<const CodeAnalysis>> entries_;
};

}  // namespace hc::evm
