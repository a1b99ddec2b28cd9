#include "ledger/block.h"

#include <string>

#include "codec/rlp.h"
#include "common/keccak.h"
#include "trie/trie.h"

namespace hc {

namespace {

Error header_error(std::string msg) {
    return make_error(Errc::decode, "block header: " + std::move(msg));
}
Error block_error(std::string msg) {
    return make_error(Errc::decode, "block: " + std::move(msg));
}

// Reads one field into `out`, naming the field in the error.
template <typename T, typename U>
Status read(Result<T> r, const char* name, U& out) {
    return rlp::read_field(std::move(r), "block header", name, out);
}

// A fixed-size byte field: exactly N bytes.
template <size_t N>
Status read_fixed(rlp::ListReader& list, const char* name, FixedBytes<N>& out) {
    BytesView raw;
    HC_TRY(read(list.next_string(), name, raw));
    if (raw.size() != N)
        return header_error(std::string(name) + " must be " + std::to_string(N) + " bytes, got " +
                            std::to_string(raw.size()));
    out = *FixedBytes<N>::from_view(raw);
    return {};
}

constexpr size_t kHeaderFields = 12;

void encode_header_to(rlp::Encoder& e, const BlockHeader& h) {
    e.begin_list()
        .add(h.parent_hash.view())
        .add(h.proposer.view())
        .add(h.state_root.view())
        .add(h.transactions_root.view())
        .add(h.receipts_root.view())
        .add(h.logs_bloom.bits.view())
        .add(h.number)
        .add(h.gas_limit)
        .add(h.gas_used)
        .add(h.timestamp)
        .add(h.extra_data)
        .add(h.base_fee_per_gas)
        .end_list();
}

}  // namespace

Hash32 BlockHeader::hash() const {
    return keccak256(encode_header(*this));
}

Bytes encode_header(const BlockHeader& header) {
    rlp::Encoder e;
    encode_header_to(e, header);
    return e.take();
}

Result<BlockHeader> decode_header(BytesView raw) {
    auto list = rlp::decode_list(raw, kHeaderFields, 1);
    if (!list) return header_error(list.error().message);
    BlockHeader h;
    HC_TRY(read_fixed(*list, "parentHash", h.parent_hash));
    HC_TRY(read_fixed(*list, "proposer", h.proposer));
    HC_TRY(read_fixed(*list, "stateRoot", h.state_root));
    HC_TRY(read_fixed(*list, "transactionsRoot", h.transactions_root));
    HC_TRY(read_fixed(*list, "receiptsRoot", h.receipts_root));
    HC_TRY(read_fixed(*list, "logsBloom", h.logs_bloom.bits));
    HC_TRY(read(list->next_uint64(), "number", h.number));
    HC_TRY(read(list->next_uint64(), "gasLimit", h.gas_limit));
    HC_TRY(read(list->next_uint64(), "gasUsed", h.gas_used));
    HC_TRY(read(list->next_uint64(), "timestamp", h.timestamp));
    BytesView extra;
    HC_TRY(read(list->next_string(), "extraData", extra));
    if (extra.size() > kMaxExtraDataSize)
        return header_error("extraData of " + std::to_string(extra.size()) + " bytes exceeds the " +
                            std::to_string(kMaxExtraDataSize) + "-byte limit");
    h.extra_data.assign(extra.begin(), extra.end());
    HC_TRY(read(list->next_uint256(), "baseFeePerGas", h.base_fee_per_gas));
    return h;
}

namespace {

void append_transactions(rlp::Encoder& e, const std::vector<Transaction>& transactions) {
    e.begin_list();
    for (const auto& tx : transactions) {
        Bytes enc = encode_transaction(tx);
        if (tx.type == TxType::legacy)
            e.add_raw(enc);
        else
            e.add(enc);  // typed: wrapped in an RLP string
    }
    e.end_list();
}

// One item of a body's transaction list.
Result<Transaction> body_transaction(const rlp::Item& tx_item, size_t index) {
    BytesView enc = tx_item.encoded;
    if (!tx_item.is_list) {
        // A typed transaction: the string holds type || payload, never a legacy list.
        enc = tx_item.payload;
        if (enc.empty() || enc[0] >= 0x80)
            return block_error("transaction " + std::to_string(index) +
                               ": an RLP string must hold a typed transaction");
    }
    auto tx = decode_transaction(enc);
    if (!tx)
        return Error{tx.error().code,
                     "block: transaction " + std::to_string(index) + ": " + tx.error().message};
    return tx;
}

Status read_transactions(rlp::ListReader txs, std::vector<Transaction>& out) {
    while (!txs.done()) {
        auto tx_item = txs.next();
        if (!tx_item) return block_error(tx_item.error().message);
        HC_ASSIGN_OR_RETURN(Transaction tx, body_transaction(*tx_item, out.size()));
        out.push_back(std::move(tx));
    }
    return {};
}

}  // namespace

Bytes encode_block(const Block& block) {
    rlp::Encoder e;
    e.begin_list();
    encode_header_to(e, block.header);
    append_transactions(e, block.transactions);
    e.end_list();
    return e.take();
}

Bytes encode_body(const std::vector<Transaction>& transactions) {
    rlp::Encoder e;
    append_transactions(e, transactions);
    return e.take();
}

Result<std::vector<Transaction>> decode_body(BytesView raw) {
    HC_TRY(rlp::check_size(raw, kMaxBlockSize, "block body"));
    auto item = rlp::decode_deep(raw, 2);
    if (!item) return block_error(item.error().message);
    auto txs = rlp::ListReader::open(*item);
    if (!txs) return block_error("transactions: " + txs.error().message);
    std::vector<Transaction> out;
    HC_TRY(read_transactions(*txs, out));
    return out;
}

Result<Transaction> decode_body_transaction(BytesView raw, size_t index) {
    HC_TRY(rlp::check_size(raw, kMaxBlockSize, "block body"));
    auto item = rlp::decode(raw);
    if (!item) return block_error(item.error().message);
    auto txs = rlp::ListReader::open(*item);
    if (!txs) return block_error("transactions: " + txs.error().message);
    for (size_t i = 0;; ++i) {
        if (txs->done())
            return make_error(Errc::not_found, "block: no transaction " + std::to_string(index) +
                                                   " (the body holds " + std::to_string(i) + ")");
        auto tx_item = txs->next();
        if (!tx_item) return block_error(tx_item.error().message);
        if (i == index) return body_transaction(*tx_item, index);
    }
}

Result<std::vector<Hash32>> body_transaction_hashes(BytesView raw) {
    HC_TRY(rlp::check_size(raw, kMaxBlockSize, "block body"));
    auto item = rlp::decode(raw);
    if (!item) return block_error(item.error().message);
    auto txs = rlp::ListReader::open(*item);
    if (!txs) return block_error("transactions: " + txs.error().message);
    std::vector<Hash32> out;
    while (!txs->done()) {
        auto tx_item = txs->next();
        if (!tx_item) return block_error(tx_item.error().message);
        // A legacy transaction is its list; a typed one's string holds type || payload.
        out.push_back(keccak256(tx_item->is_list ? tx_item->encoded : tx_item->payload));
    }
    return out;
}

Result<Block> decode_block(BytesView raw) {
    HC_TRY(rlp::check_size(raw, kMaxBlockSize, "block"));
    // Block, transaction list, legacy transaction: deeper levels are checked per transaction.
    auto list = rlp::decode_list(raw, 2, 3);
    if (!list) return block_error(list.error().message);
    Block block;
    auto header_item = list->next();
    if (!header_item) return block_error(header_item.error().message);
    auto header = decode_header(header_item->encoded);
    if (!header) return header.error();
    block.header = std::move(*header);
    auto txs = list->next_list();
    if (!txs) return block_error("transactions: " + txs.error().message);
    HC_TRY(read_transactions(*txs, block.transactions));
    return block;
}

Hash32 transactions_root(const std::vector<Transaction>& transactions) {
    std::vector<Bytes> values;
    values.reserve(transactions.size());
    for (const auto& tx : transactions)
        values.push_back(encode_transaction(tx));
    return trie::ordered_trie_root(values);
}

Hash32 receipts_root(const std::vector<Receipt>& receipts) {
    std::vector<Bytes> values;
    values.reserve(receipts.size());
    for (const auto& r : receipts)
        values.push_back(encode_receipt(r));
    return trie::ordered_trie_root(values);
}

}  // namespace hc
