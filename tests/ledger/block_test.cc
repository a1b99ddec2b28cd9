#include "ledger/block.h"
#include <algorithm>

#include <gtest/gtest.h>

#include <functional>

#include "codec/rlp.h"
#include "common/keccak.h"
#include "trie/trie.h"

namespace hc {
namespace {

Hash32 h32(uint8_t fill) {
    Hash32 h;
    h.bytes.fill(fill);
    return h;
}
Address addr(uint8_t fill) {
    Address a;
    a.bytes.fill(fill);
    return a;
}

BlockHeader sample_header() {
    BlockHeader h;
    h.parent_hash = h32(0x01);
    h.proposer = addr(0x02);
    h.state_root = h32(0x03);
    h.transactions_root = h32(0x04);
    h.receipts_root = h32(0x05);
    h.logs_bloom.add(addr(0x06).view());
    h.number = 7;
    h.gas_limit = 30'000'000;
    h.gas_used = 21000;
    h.timestamp = 1'700'000'000;
    h.extra_data = {0xca, 0xfe};
    h.base_fee_per_gas = uint256(1'000'000'000);
    return h;
}

BlockHeader max_header() {
    BlockHeader h;
    h.parent_hash.bytes.fill(0xff);
    h.proposer.bytes.fill(0xff);
    h.state_root.bytes.fill(0xff);
    h.transactions_root.bytes.fill(0xff);
    h.receipts_root.bytes.fill(0xff);
    h.logs_bloom.bits.bytes.fill(0xff);
    h.number = h.gas_limit = h.gas_used = h.timestamp = ~uint64_t{0};
    h.extra_data.assign(kMaxExtraDataSize, 0xff);
    h.base_fee_per_gas = uint256::max();
    return h;
}

Transaction signed_tx(TxType type, uint64_t nonce) {
    Transaction tx;
    tx.type = type;
    tx.chain_id = 1;
    tx.nonce = nonce;
    // Only the fee fields of the type are encoded, so only they survive a round trip.
    if (type == TxType::dynamic_fee) {
        tx.max_priority_fee_per_gas = uint256(1);
        tx.max_fee_per_gas = uint256(20);
    } else {
        tx.gas_price = uint256(10);
    }
    tx.gas_limit = 50000;
    tx.to = addr(0x35);
    tx.value = uint256(1000);
    tx.data = {0x01, 0x02};
    if (type != TxType::legacy) tx.access_list = {{addr(0x44), {h32(0x55)}}};
    EXPECT_TRUE(sign_transaction(tx, h32(0x46)));
    return tx;
}

// Re-encodes a header's fields with one field list changed, for malformed-input tests.
Bytes header_fields(size_t count, const std::function<void(rlp::Encoder&, size_t)>& field) {
    rlp::Encoder e;
    e.begin_list();
    for (size_t i = 0; i < count; ++i)
        field(e, i);
    e.end_list();
    return e.take();
}
// The valid fields of sample_header(), index by index.
void valid_field(rlp::Encoder& e, size_t i) {
    const BlockHeader h = sample_header();
    switch (i) {
        case 0:
            e.add(h.parent_hash.view());
            break;
        case 1:
            e.add(h.proposer.view());
            break;
        case 2:
            e.add(h.state_root.view());
            break;
        case 3:
            e.add(h.transactions_root.view());
            break;
        case 4:
            e.add(h.receipts_root.view());
            break;
        case 5:
            e.add(h.logs_bloom.bits.view());
            break;
        case 6:
            e.add(h.number);
            break;
        case 7:
            e.add(h.gas_limit);
            break;
        case 8:
            e.add(h.gas_used);
            break;
        case 9:
            e.add(h.timestamp);
            break;
        case 10:
            e.add(h.extra_data);
            break;
        default:
            e.add(h.base_fee_per_gas);
            break;
    }
}

// ---- Header ----

TEST(BlockHeader, FieldHelperMatchesEncoder) {
    EXPECT_EQ(header_fields(12, valid_field), encode_header(sample_header()));
}

TEST(BlockHeader, RoundTripsSampleZeroAndMaxValues) {
    for (const BlockHeader& h : {sample_header(), BlockHeader{}, max_header()}) {
        Bytes enc = encode_header(h);
        auto back = decode_header(enc);
        ASSERT_TRUE(back) << back.error().to_string();
        EXPECT_EQ(*back, h);
        EXPECT_EQ(back->hash(), h.hash());
        EXPECT_EQ(h.hash(), keccak256(enc));
    }
}

TEST(BlockHeader, HashChangesWhenAnyFieldChanges) {
    const Hash32 base = sample_header().hash();
    std::vector<std::function<void(BlockHeader&)>> edits = {
        [](BlockHeader& h) { h.parent_hash[31] ^= 1; },
        [](BlockHeader& h) { h.proposer[0] ^= 1; },
        [](BlockHeader& h) { h.state_root[5] ^= 1; },
        [](BlockHeader& h) { h.transactions_root[0] ^= 1; },
        [](BlockHeader& h) { h.receipts_root[0] ^= 1; },
        [](BlockHeader& h) { h.logs_bloom.bits[100] ^= 1; },
        [](BlockHeader& h) { h.number++; },
        [](BlockHeader& h) { h.gas_limit++; },
        [](BlockHeader& h) { h.gas_used++; },
        [](BlockHeader& h) { h.timestamp++; },
        [](BlockHeader& h) { h.extra_data.push_back(0); },
        [](BlockHeader& h) { h.base_fee_per_gas = h.base_fee_per_gas + uint256(1); },
    };
    // Swapping two equal-sized fields must change the hash too (the order is part of the format).
    edits.push_back([](BlockHeader& h) { std::swap(h.state_root, h.receipts_root); });
    std::vector<Hash32> seen = {base};
    for (size_t i = 0; i < edits.size(); ++i) {
        BlockHeader h = sample_header();
        edits[i](h);
        const Hash32 got = h.hash();
        for (const Hash32& s : seen)
            EXPECT_NE(got, s) << "edit " << i;
        seen.push_back(got);
    }
}

TEST(BlockHeader, RejectsWrongFieldCounts) {
    EXPECT_FALSE(decode_header(header_fields(11, valid_field)));
    EXPECT_FALSE(decode_header(header_fields(13, valid_field)));
    EXPECT_FALSE(decode_header(header_fields(0, valid_field)));
    EXPECT_FALSE(decode_header(rlp::encode_string(encode_header(sample_header()))));
}

TEST(BlockHeader, RejectsWrongFieldSizes) {
    // For each fixed-size field, one byte short and one byte long.
    for (size_t field : {0, 1, 2, 3, 4, 5}) {
        for (int delta : {-1, 1}) {
            auto bad = header_fields(12, [&](rlp::Encoder& e, size_t i) {
                if (i != field) return valid_field(e, i);
                const size_t size = field == 1 ? 20 : field == 5 ? 256 : 32;
                e.add(Bytes(size + delta, 0x01));
            });
            EXPECT_FALSE(decode_header(bad)) << "field " << field << " delta " << delta;
        }
    }
    auto extra = [](size_t n) {
        return header_fields(12, [n](rlp::Encoder& e, size_t i) {
            if (i == 10)
                e.add(Bytes(n, 0x01));
            else
                valid_field(e, i);
        });
    };
    EXPECT_TRUE(decode_header(extra(kMaxExtraDataSize)));
    EXPECT_FALSE(decode_header(extra(kMaxExtraDataSize + 1)));
    // A 9-byte number does not fit 64 bits; a leading zero is not canonical.
    for (Bytes number : {Bytes(9, 0x01), Bytes{0x00, 0x07}}) {
        auto bad = header_fields(12, [&](rlp::Encoder& e, size_t i) {
            if (i == 6)
                e.add(number);
            else
                valid_field(e, i);
        });
        EXPECT_FALSE(decode_header(bad));
    }
    // A list where a hash belongs.
    auto nested = header_fields(12, [](rlp::Encoder& e, size_t i) {
        if (i == 0)
            e.begin_list().end_list();
        else
            valid_field(e, i);
    });
    EXPECT_FALSE(decode_header(nested));
}

TEST(BlockHeader, RejectsTruncatedAndTrailingInput) {
    Bytes enc = encode_header(sample_header());
    for (size_t len = 0; len < enc.size(); ++len)
        EXPECT_FALSE(decode_header(BytesView(enc).first(len))) << "length " << len;
    enc.push_back(0x80);
    EXPECT_FALSE(decode_header(enc));
}

// ---- Block ----

TEST(Block, RoundTripsMixedTransactionTypes) {
    Block b;
    b.header = sample_header();
    b.transactions = {signed_tx(TxType::legacy, 0), signed_tx(TxType::access_list, 1),
                      signed_tx(TxType::dynamic_fee, 2)};
    Bytes enc = encode_block(b);
    auto back = decode_block(enc);
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, b);
    EXPECT_EQ(encode_block(*back), enc);

    Block empty;
    auto back_empty = decode_block(encode_block(empty));
    ASSERT_TRUE(back_empty);
    EXPECT_EQ(*back_empty, empty);
}

TEST(Block, BodyRoundTripsAndMatchesTheBlockEncoding) {
    std::vector<Transaction> txs = {signed_tx(TxType::legacy, 0),
                                    signed_tx(TxType::dynamic_fee, 1)};
    Bytes body = encode_body(txs);
    auto back = decode_body(body);
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, txs);
    // The body is the second item of the block encoding, byte for byte.
    Block b;
    b.header = sample_header();
    b.transactions = txs;
    Bytes block = encode_block(b);
    EXPECT_TRUE(std::search(block.begin(), block.end(), body.begin(), body.end()) != block.end());
    EXPECT_TRUE(std::equal(body.rbegin(), body.rend(), block.rbegin()));
    EXPECT_FALSE(decode_body(Bytes{0x80}));
    Bytes trailing = body;
    trailing.push_back(0x00);
    EXPECT_FALSE(decode_body(trailing));
}

TEST(Block, BodyTransactionHashesAreTheTransactionsHashes) {
    std::vector<Transaction> txs = {signed_tx(TxType::legacy, 0), signed_tx(TxType::dynamic_fee, 1),
                                    signed_tx(TxType::access_list, 2)};
    auto hashes = body_transaction_hashes(encode_body(txs));
    ASSERT_TRUE(hashes) << hashes.error().to_string();
    ASSERT_EQ(hashes->size(), txs.size());
    for (size_t i = 0; i < txs.size(); ++i)
        EXPECT_EQ((*hashes)[i], transaction_hash(txs[i])) << i;
    auto none = body_transaction_hashes(encode_body({}));
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
    EXPECT_FALSE(body_transaction_hashes(Bytes{0x80}));
    EXPECT_FALSE(body_transaction_hashes(Bytes{0xc5, 0x01}));
}

// The body layout: rlp([header, [legacyTxList, rlpString(typedTx), ...]]).
TEST(Block, EncodesTypedTransactionsAsStrings) {
    Block b;
    b.header = sample_header();
    b.transactions = {signed_tx(TxType::legacy, 0), signed_tx(TxType::dynamic_fee, 1)};
    rlp::Encoder e;
    e.begin_list().add_raw(encode_header(b.header)).begin_list();
    e.add_raw(encode_transaction(b.transactions[0])).add(encode_transaction(b.transactions[1]));
    e.end_list().end_list();
    EXPECT_EQ(encode_block(b), e.take());
}

Bytes block_with_txs(const std::vector<Bytes>& encoded_items) {
    rlp::Encoder e;
    e.begin_list().add_raw(encode_header(sample_header())).begin_list();
    for (const auto& item : encoded_items)
        e.add_raw(item);
    e.end_list().end_list();
    return e.take();
}

TEST(Block, RejectsMisframedTransactions) {
    const Bytes legacy = encode_transaction(signed_tx(TxType::legacy, 0));
    const Bytes typed = encode_transaction(signed_tx(TxType::dynamic_fee, 0));
    EXPECT_TRUE(decode_block(block_with_txs({legacy, rlp::encode_string(typed)})));
    // A legacy transaction wrapped in a string.
    EXPECT_FALSE(decode_block(block_with_txs({rlp::encode_string(legacy)})));
    // A typed transaction spliced in without its string header.
    EXPECT_FALSE(decode_block(block_with_txs({typed})));
    // An empty string and an unsupported type byte.
    EXPECT_FALSE(decode_block(block_with_txs({rlp::encode_string({})})));
    Bytes type3 = typed;
    type3[0] = 0x03;
    EXPECT_FALSE(decode_block(block_with_txs({rlp::encode_string(type3)})));
    // A corrupted transaction.
    Bytes bad = legacy;
    bad.back() ^= 0xff;
    bad.push_back(0x00);
    EXPECT_FALSE(decode_block(block_with_txs({bad})));
}

TEST(Block, RejectsWrongShapes) {
    Bytes enc = encode_block(Block{sample_header(), {signed_tx(TxType::legacy, 0)}});
    for (size_t len = 0; len < enc.size(); ++len)
        EXPECT_FALSE(decode_block(BytesView(enc).first(len))) << "length " << len;
    Bytes trailing = enc;
    trailing.push_back(0xc0);
    EXPECT_FALSE(decode_block(trailing));

    const Bytes header = encode_header(sample_header());
    EXPECT_FALSE(decode_block(rlp::encode_list({header})));
    EXPECT_FALSE(decode_block(rlp::encode_list({header, {0xc0}, {0xc0}})));
    // Transactions as a string rather than a list.
    EXPECT_FALSE(decode_block(rlp::encode_list({header, {0x80}})));
    // A bad header inside an otherwise good block.
    EXPECT_FALSE(decode_block(rlp::encode_list({header_fields(11, valid_field), {0xc0}})));
}

// ---- Roots ----

TEST(Roots, EmptyListsGiveTheEmptyTrieRoot) {
    EXPECT_EQ(transactions_root({}), kEmptyTrieRoot);
    EXPECT_EQ(receipts_root({}), kEmptyTrieRoot);
    // keccak256(rlp("")), the well-known empty root.
    EXPECT_EQ(kEmptyTrieRoot.hex(),
              "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
}

// Each value sits at key rlp(index) in a plain (not secure) trie of canonical encodings.
TEST(Roots, AreOrderedTriesOfCanonicalEncodings) {
    std::vector<Transaction> txs;
    std::vector<Receipt> receipts;
    for (uint64_t i = 0; i < 130; ++i) {  // past 127 so indices need multi-byte RLP keys
        txs.push_back(signed_tx(i % 2 ? TxType::dynamic_fee : TxType::legacy, i));
        Receipt r;
        r.type = txs.back().type;
        r.status = i % 3 != 0;
        r.cumulative_gas_used = 21000 * (i + 1);
        receipts.push_back(r);
    }
    trie::Trie tx_trie, receipt_trie;
    for (uint64_t i = 0; i < txs.size(); ++i) {
        Bytes key;
        rlp::append_uint(key, i);
        tx_trie.put(key, encode_transaction(txs[i]));
        receipt_trie.put(key, encode_receipt(receipts[i]));
    }
    EXPECT_EQ(transactions_root(txs), tx_trie.root());
    EXPECT_EQ(receipts_root(receipts), receipt_trie.root());
    // Order matters.
    std::swap(txs[0], txs[1]);
    EXPECT_NE(transactions_root(txs), tx_trie.root());
}

}  // namespace
}  // namespace hc
