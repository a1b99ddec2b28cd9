// Logs, the 2048-bit logs bloom, and transaction receipts in Ethereum's consensus encoding, so
// receipts roots match what Ethereum tooling computes.
#pragma once

#include <optional>
#include <vector>

#include "common/address.h"
#include "ledger/transaction.h"

namespace hc {

struct Log {
    Address address;
    std::vector<Hash32> topics;
    Bytes data;
    bool operator==(const Log&) const = default;
};

// The logs bloom of the Yellow Paper (section 4.3.1): each entry sets three of 2048 bits, taken
// from the low 11 bits of the first three big-endian byte pairs of its keccak256. Bit k is
// counted from the least significant end of the big-endian 256-byte array.
struct Bloom {
    FixedBytes<256> bits;

    void add(BytesView entry) noexcept;
    // True if entry was added; may also be true for entries that were not (false positive).
    bool contains(BytesView entry) const noexcept;
    void merge(const Bloom& other) noexcept;
    bool is_zero() const noexcept { return bits.is_zero(); }
    bool operator==(const Bloom&) const = default;
};

// The bloom of a set of logs: every log's address and each of its topics (not the data).
Bloom bloom_of(const std::vector<Log>& logs) noexcept;

// The consensus receipt (EIP-658 status form). Per-transaction gas used and the created contract
// address are not in it: Ethereum does not hash them into the receipts root. Gas used is the
// difference of consecutive cumulative_gas_used values (receipt_gas_used), and the contract
// address is kept beside the receipt in ReceiptMeta, which an index may store.
struct Receipt {
    TxType type = TxType::legacy;
    bool status = false;  // true: the transaction succeeded
    uint64_t cumulative_gas_used = 0;
    Bloom bloom;  // bloom_of(logs) for a well-formed receipt; kept as decoded, not recomputed
    std::vector<Log> logs;
    bool operator==(const Receipt&) const = default;
};

// What a receipt leaves out. Not consensus data: nothing hashes it into a root.
struct ReceiptMeta {
    uint64_t gas_used = 0;
    std::optional<Address> contract_address;  // set for a successful contract creation
    bool operator==(const ReceiptMeta&) const = default;
};

// Largest accepted encoded receipt, so one input cannot make a node decode megabytes.
inline constexpr size_t kMaxReceiptSize = 4 * 1024 * 1024;

// EIP-2718 consensus encoding: rlp([status, cumulativeGasUsed, bloom, logs]) for legacy, and
// type byte || that list for types 1 and 2. Each log is rlp([address, [topics...], data]).
Bytes encode_receipt(const Receipt& receipt);
// Strict inverse of encode_receipt: rejects non-canonical RLP, a status other than 0 or 1 (and
// so pre-Byzantium state roots), wrong field counts and sizes, unknown types and trailing bytes.
Result<Receipt> decode_receipt(BytesView raw);
// The number of logs of an encoded receipt, reading RLP headers only (for a log's index in its
// block without decoding the receipts before it).
Result<size_t> receipt_log_count(BytesView raw);

// Gas used by transaction i of a block: its cumulative gas minus the previous receipt's.
// REQUIRES: i < receipts.size() and cumulative gas non-decreasing up to i.
uint64_t receipt_gas_used(const std::vector<Receipt>& receipts, size_t i) noexcept;

// rlp([gasUsed, contractAddress or ""]): a storage format of our own.
Bytes encode_receipt_meta(const ReceiptMeta& meta);
Result<ReceiptMeta> decode_receipt_meta(BytesView raw);

}  // namespace hc
