// The world the EVM runs in during one transaction: an evm::Host over a StateOverlay, with the
// per-transaction state Cancun keeps beside the accounts (EIP-2929 warm sets, EIP-1153 transient
// storage, logs, EIP-6780 created and destructed accounts, EIP-161 touched accounts). Every piece
// of it is journaled, so a failed frame undoes its state writes, warm marks, transient writes and
// logs together (EVMC semantics, as in evmone's host and geth's StateDB).
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "evm/host.h"
#include "evm/interpreter.h"
#include "governance/state.h"
#include "ledger/receipt.h"
#include "state/overlay.h"

namespace hc::chain {

// Maximum code size of a deployed contract (EIP-170).
inline constexpr size_t kMaxCodeSize = 24576;

// The address of a contract created by `sender` with account nonce `nonce`:
// keccak256(rlp([sender, nonce]))[12:].
Address create_address(const Address& sender, uint64_t nonce);
// The CREATE2 address: keccak256(0xff ++ sender ++ salt ++ keccak256(init_code))[12:].
Address create2_address(const Address& sender, const Hash32& salt, BytesView init_code);

// The hash of block `number`; the host calls it only for the 256 blocks before the current one.
using BlockHashFn = std::function<Hash32(uint64_t number)>;

class EvmHost final : public evm::Host {
  public:
    // REQUIRES: state and cache (if given) outlive the host. One host per transaction.
    // governance (if given) routes calls to the system contracts and refuses calls to frozen
    // contracts.
    EvmHost(state::StateOverlay& state, const evm::TxContext& context, BlockHashFn block_hash,
            evm::AnalysisCache* cache = nullptr,
            const governance::GovernanceState* governance = nullptr);

    // evm::Host
    bool account_exists(const Address& address) const noexcept override;
    uint256 get_storage(const Address& address, const Hash32& key) const noexcept override;
    evm::StorageStatus set_storage(const Address& address, const Hash32& key,
                                   const uint256& value) noexcept override;
    uint256 get_balance(const Address& address) const noexcept override;
    size_t get_code_size(const Address& address) const noexcept override;
    Hash32 get_code_hash(const Address& address) const noexcept override;
    BytesView get_code(const Address& address) const noexcept override;
    bool selfdestruct(const Address& address, const Address& beneficiary) noexcept override;
    evm::ExecutionResult call(const evm::Message& message) noexcept override;
    const evm::TxContext& tx_context() const noexcept override { return context_; }
    Hash32 get_block_hash(int64_t number) const noexcept override;
    void emit_log(const Address& address, BytesView data,
                  std::span<const Hash32> topics) noexcept override;
    evm::AccessStatus access_account(const Address& address) noexcept override;
    evm::AccessStatus access_storage(const Address& address, const Hash32& key) noexcept override;
    uint256 get_transient_storage(const Address& address,
                                  const Hash32& key) const noexcept override;
    void set_transient_storage(const Address& address, const Hash32& key,
                               const uint256& value) noexcept override;

    // Marks an account touched: if it is empty at the end of the transaction it is deleted
    // (EIP-161). Balance changes made through the host touch their accounts already.
    void touch(const Address& address);
    // Ends the transaction: deletes the accounts destructed in it (EIP-6780) and the touched
    // accounts left empty (EIP-161).
    void finalize();
    // The logs of the frames that did not revert, in order.
    const std::vector<Log>& logs() const noexcept { return logs_; }
    // Non-empty when execution reached something this node does not implement (the KZG point
    // evaluation precompile); the transaction's result is then unknown and must not be used.
    const std::string& unsupported() const noexcept { return unsupported_; }

  private:
    struct SlotHash {
        size_t operator()(const state::StorageKey& k) const noexcept {
            return std::hash<Address>{}(k.first) ^ (std::hash<Hash32>{}(k.second) * 31);
        }
    };
    struct Undo {
        enum class Kind : uint8_t {
            warm_account,
            warm_slot,
            transient,
            destructed,
            created,
            touched
        };
        Kind kind;
        Address address;
        Hash32 key;
        uint256 value;  // transient: the previous value
    };
    struct Snapshot {
        size_t state;
        size_t journal;
        size_t logs;
    };
    Snapshot snapshot() const noexcept;
    void revert_to(const Snapshot& s);
    evm::ExecutionResult call_frame(const evm::Message& msg);
    evm::ExecutionResult create_frame(const evm::Message& msg);
    evm::ExecutionResult system_call(const evm::Message& msg);
    evm::ExecutionResult run_code(const evm::Message& msg, const Address& code_address,
                                  BytesView code);
    bool is_empty(const Address& address) const;
    void transfer(const Address& from, const Address& to, const uint256& value);

    state::StateOverlay& state_;
    evm::TxContext context_;
    BlockHashFn block_hash_;
    evm::AnalysisCache* cache_;
    const governance::GovernanceState* governance_;

    std::unordered_set<Address> warm_accounts_;
    std::unordered_set<state::StorageKey, SlotHash> warm_slots_;
    std::unordered_map<state::StorageKey, uint256, SlotHash> transient_;
    // The value of each slot written in this transaction as it was when the transaction started.
    std::unordered_map<state::StorageKey, uint256, SlotHash> original_;
    std::unordered_set<Address> destructed_;
    std::unordered_set<Address> created_;
    std::unordered_set<Address> touched_;
    std::vector<Log> logs_;
    std::vector<Undo> journal_;
    std::string unsupported_;
};

}  // namespace hc::chain
