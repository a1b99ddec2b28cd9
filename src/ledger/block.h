// Block headers and blocks.
//
// The header is our own canonical RLP list, Ethereum-like in field order but without the
// proof-of-work and beacon fields (ommers hash, difficulty, mix hash, nonce, withdrawals, blob
// gas) that mean nothing under consortium consensus:
//   rlp([parentHash, proposer, stateRoot, transactionsRoot, receiptsRoot, logsBloom, number,
//        gasLimit, gasUsed, timestamp, extraData, baseFeePerGas])
// so header hashes are not Ethereum block hashes. The transactions and receipts roots are
// Ethereum-compatible (ordered tries of the canonical encodings).
#pragma once

#include <vector>

#include "common/address.h"
#include "common/uint256.h"
#include "ledger/receipt.h"
#include "ledger/transaction.h"

namespace hc {

// As Ethereum's limit: room for a client tag or a small commitment, not for data.
inline constexpr size_t kMaxExtraDataSize = 32;

struct BlockHeader {
    Hash32 parent_hash;
    Address proposer;  // Ethereum's coinbase: the validator that proposed the block
    Hash32 state_root;
    Hash32 transactions_root;
    Hash32 receipts_root;
    Bloom logs_bloom;
    uint64_t number = 0;
    uint64_t gas_limit = 0;
    uint64_t gas_used = 0;
    uint64_t timestamp = 0;  // seconds since the Unix epoch
    Bytes extra_data;        // at most kMaxExtraDataSize bytes
    uint256 base_fee_per_gas;

    // keccak256 of encode_header(*this).
    Hash32 hash() const;
    bool operator==(const BlockHeader&) const = default;
};

// REQUIRES: header.extra_data.size() <= kMaxExtraDataSize (else the encoding would not decode).
Bytes encode_header(const BlockHeader& header);
// Strict: non-canonical RLP, a field count other than 12, wrong field sizes, extra data over
// kMaxExtraDataSize and trailing bytes are errors.
Result<BlockHeader> decode_header(BytesView raw);

struct Block {
    BlockHeader header;
    std::vector<Transaction> transactions;
    bool operator==(const Block&) const = default;
};

// Largest accepted encoded block, so one message cannot make a node decode without bound.
inline constexpr size_t kMaxBlockSize = 16 * 1024 * 1024;

// rlp([header, [tx...]]) with each transaction in its canonical encoding: a legacy one as its RLP
// list, a typed one as an RLP string holding type || payload, as in Ethereum block bodies.
// REQUIRES: the header's extra data is within kMaxExtraDataSize.
Bytes encode_block(const Block& block);
// Strict inverse of encode_block; each transaction is checked as decode_transaction checks it.
// A typed transaction given as a list, or a legacy one wrapped in a string, is an error.
// Does not check that the header's roots match the body (that is validation, not decoding).
Result<Block> decode_block(BytesView raw);

// A block body: the transaction list alone, rlp([tx...]) encoded as in encode_block, for stores
// that keep headers and bodies apart. decode_body is its strict inverse.
Bytes encode_body(const std::vector<Transaction>& transactions);
Result<std::vector<Transaction>> decode_body(BytesView raw);
// Transaction `index` of an encoded body, decoding only that one (the others are skipped by
// their RLP headers). Errors: a malformed body or transaction, or an index past the end.
Result<Transaction> decode_body_transaction(BytesView raw, size_t index);
// The hashes of an encoded body's transactions, hashed from their encodings without decoding
// them (a body listing a block's transactions for eth_getBlockByNumber does not need them).
// REQUIRES: raw came from encode_body (canonical encodings). Errors: a malformed body.
Result<std::vector<Hash32>> body_transaction_hashes(BytesView raw);

// Ordered-trie roots over the canonical encodings, as Ethereum computes them. Empty lists give
// kEmptyTrieRoot.
Hash32 transactions_root(const std::vector<Transaction>& transactions);
Hash32 receipts_root(const std::vector<Receipt>& receipts);

}  // namespace hc
