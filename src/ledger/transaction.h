// Ethereum transactions: legacy (type 0, with EIP-155), EIP-2930 (type 1) and EIP-1559 (type 2).
// Consortium operations are calls to system contracts, so this is the only transaction format.
#pragma once

#include <optional>
#include <vector>

#include "common/address.h"
#include "common/uint256.h"

namespace hc {

enum class TxType : uint8_t { legacy = 0, access_list = 1, dynamic_fee = 2 };

struct AccessListEntry {
    Address address;
    std::vector<Hash32> storage_keys;
    bool operator==(const AccessListEntry&) const = default;
};
using AccessList = std::vector<AccessListEntry>;

struct Transaction {
    TxType type = TxType::legacy;
    // EIP-155 chain id. Always set for typed transactions; unset for an unprotected legacy one.
    std::optional<uint64_t> chain_id;
    uint64_t nonce = 0;
    uint256 gas_price;                 // types 0 and 1
    uint256 max_priority_fee_per_gas;  // type 2
    uint256 max_fee_per_gas;           // type 2
    uint64_t gas_limit = 0;
    std::optional<Address> to;  // nullopt: contract creation
    uint256 value;
    Bytes data;
    AccessList access_list;  // types 1 and 2
    // Signature. For legacy transactions v is derived from y_parity and chain_id.
    uint8_t y_parity = 0;
    uint256 r;
    uint256 s;

    bool is_create() const noexcept { return !to.has_value(); }
    // The most the sender can pay per gas: gas_price, or max_fee_per_gas for type 2.
    const uint256& fee_cap() const noexcept {
        return type == TxType::dynamic_fee ? max_fee_per_gas : gas_price;
    }
    bool operator==(const Transaction&) const = default;
};

// Largest accepted encoded transaction, so one request cannot make a node decode megabytes.
inline constexpr size_t kMaxTransactionSize = 128 * 1024;

// Decodes the canonical ("network") form: an RLP list for legacy, or type byte || RLP list.
// Rejects non-canonical RLP, wrong field counts and sizes, and types other than 0, 1 and 2
// ("transaction type N not supported"). The signature is only range-checked here.
Result<Transaction> decode_transaction(BytesView raw);

// The canonical encoding; decode_transaction(encode_transaction(tx)) == tx.
Bytes encode_transaction(const Transaction& tx);

// keccak256 of the canonical encoding: the transaction hash clients see.
Hash32 transaction_hash(const Transaction& tx);

// The digest the sender signs (EIP-155 for protected legacy, EIP-2718 typed payloads otherwise).
Hash32 signing_hash(const Transaction& tx);

// Signs tx in place with a secp256k1 private key.
Status sign_transaction(Transaction& tx, const Hash32& private_key);

// Recovers the sender. Fails for an invalid signature (EIP-2 low-s included).
Result<Address> recover_sender(const Transaction& tx);

// Cancun intrinsic gas: 21000 (+32000 for a create), 4/16 per zero/non-zero data byte,
// 2400 per access-list address and 1900 per storage key, and 2 per 32-byte initcode word.
uint64_t intrinsic_gas(const Transaction& tx) noexcept;

// Initcode size limit of EIP-3860.
inline constexpr size_t kMaxInitcodeSize = 49152;

// The checks that need no state, as the Cancun fork defines them: chain id, signature values,
// recoverable sender, nonce below 2^64-1 (EIP-2681), priority fee not above the fee cap,
// gas_limit * fee cap within 256 bits, intrinsic gas, and initcode size.
// Returns the sender on success.
Result<Address> validate_transaction(const Transaction& tx, uint64_t chain_id);
// The same checks but the signature recovery, for a caller that already knows the sender of this
// exact transaction (by its hash, which covers the signature).
Status check_transaction(const Transaction& tx, uint64_t chain_id);

}  // namespace hc
