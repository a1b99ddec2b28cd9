// The boundary between the EVM interpreter and the world it runs in, in the shape of EVMC (the
// interface evmone and geth's evmc bindings share), so the semantics of every callback are the
// well-documented EVMC ones. The interpreter knows nothing of accounts, storage layout or
// journaling: it asks the Host.
#pragma once

#include <cstdint>
#include <span>

#include "common/address.h"
#include "common/bytes.h"
#include "common/fixed_bytes.h"
#include "common/uint256.h"

namespace hc::evm {

enum class CallKind : uint8_t { call, delegatecall, callcode, staticcall, create, create2 };

// How an execution ended. Everything except success and revert consumes all gas.
enum class StatusCode : uint8_t {
    success,
    revert,
    out_of_gas,
    invalid_instruction,    // the designated INVALID (0xfe)
    undefined_instruction,  // an opcode Cancun does not define
    stack_overflow,
    stack_underflow,
    bad_jump_destination,
    invalid_memory_access,  // RETURNDATACOPY past the return data
    call_depth_exceeded,
    static_mode_violation,
    precompile_failure,
    contract_validation_failure,  // code too large (EIP-170), starts with 0xef (EIP-3541)
    argument_out_of_range,
    insufficient_balance,
    internal_error,
};

const char* status_name(StatusCode status) noexcept;

// A call or create frame (EVMC's evmc_message).
struct Message {
    CallKind kind = CallKind::call;
    bool is_static = false;
    int32_t depth = 0;
    int64_t gas = 0;
    Address recipient;     // the account whose storage and balance the code acts on
    Address sender;        // CALLER
    Address code_address;  // whose code runs (differs from recipient for DELEGATECALL/CALLCODE)
    BytesView input;       // calldata; for creates, empty (the init code is passed as code)
    uint256 value;
    Hash32 create2_salt;
};

struct ExecutionResult {
    StatusCode status = StatusCode::internal_error;
    int64_t gas_left = 0;
    int64_t gas_refund = 0;
    Bytes output;            // return or revert data
    Address create_address;  // for successful creates
};

struct TxContext {
    uint256 gas_price;
    Address origin;
    Address coinbase;
    uint64_t number = 0;
    uint64_t timestamp = 0;
    uint64_t gas_limit = 0;
    uint256 prev_randao;
    uint256 chain_id;
    uint256 base_fee;
    uint256 blob_base_fee;
    std::span<const Hash32> blob_hashes;
};

enum class AccessStatus : uint8_t { cold, warm };

// EVMC's evmc_storage_status: how an SSTORE changes a slot relative to its value at the start of
// the transaction (original), its current value and the new one. The interpreter derives the
// EIP-2200/2929/3529 gas cost and refund from it. X, Y, Z are distinct non-zero values.
enum class StorageStatus : uint8_t {
    assigned,           // any other case: warm access cost only
    added,              // 0 -> 0 -> Z
    deleted,            // X -> X -> 0
    modified,           // X -> X -> Z
    deleted_added,      // X -> 0 -> Z
    modified_deleted,   // X -> Y -> 0
    deleted_restored,   // X -> 0 -> X
    added_deleted,      // 0 -> Y -> 0
    modified_restored,  // X -> Y -> X
};

class Host {
  public:
    virtual ~Host() = default;
    virtual bool account_exists(const Address& address) const noexcept = 0;
    virtual uint256 get_storage(const Address& address, const Hash32& key) const noexcept = 0;
    virtual StorageStatus set_storage(const Address& address, const Hash32& key,
                                      const uint256& value) noexcept = 0;
    virtual uint256 get_balance(const Address& address) const noexcept = 0;
    virtual size_t get_code_size(const Address& address) const noexcept = 0;
    // Zero for an account that does not exist (EIP-1052), keccak of empty for one without code.
    virtual Hash32 get_code_hash(const Address& address) const noexcept = 0;
    // The code of address; valid until the next state-changing call.
    virtual BytesView get_code(const Address& address) const noexcept = 0;
    // Registers address for destruction per EIP-6780 and moves its balance to beneficiary.
    // Returns true the first time in this transaction (for the refund rules of older forks).
    virtual bool selfdestruct(const Address& address, const Address& beneficiary) noexcept = 0;
    // Runs a nested call or create (value transfer, precompiles, snapshots: all the host's).
    virtual ExecutionResult call(const Message& message) noexcept = 0;
    virtual const TxContext& tx_context() const noexcept = 0;
    // The hash of block `number`, or zero outside the last 256 blocks.
    virtual Hash32 get_block_hash(int64_t number) const noexcept = 0;
    virtual void emit_log(const Address& address, BytesView data,
                          std::span<const Hash32> topics) noexcept = 0;
    // Marks the account or slot warm; returns what it was before (EIP-2929).
    virtual AccessStatus access_account(const Address& address) noexcept = 0;
    virtual AccessStatus access_storage(const Address& address, const Hash32& key) noexcept = 0;
    virtual uint256 get_transient_storage(const Address& address,
                                          const Hash32& key) const noexcept = 0;
    virtual void set_transient_storage(const Address& address, const Hash32& key,
                                       const uint256& value) noexcept = 0;
};

}  // namespace hc::evm
