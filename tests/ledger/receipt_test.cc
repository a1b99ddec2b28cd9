#include "ledger/receipt.h"

#include <gtest/gtest.h>

#include <bit>
#include <string>

#include "codec/rlp.h"
#include "common/keccak.h"

namespace hc {
namespace {

BytesView sv(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
Address addr(uint8_t fill) {
    Address a;
    a.bytes.fill(fill);
    return a;
}
Hash32 h32(uint8_t fill) {
    Hash32 h;
    h.bytes.fill(fill);
    return h;
}
size_t popcount(const Bloom& b) {
    size_t n = 0;
    for (uint8_t x : b.bits.bytes)
        n += std::popcount(x);
    return n;
}

Receipt sample_receipt(TxType type) {
    Receipt r;
    r.type = type;
    r.status = true;
    r.cumulative_gas_used = 123456;
    r.logs.push_back({addr(0x11), {h32(0xaa), h32(0xbb)}, {1, 2, 3}});
    r.logs.push_back({addr(0x22), {}, {}});
    r.bloom = bloom_of(r.logs);
    return r;
}

// Builds rlp([status, cum, bloom, logs]) from raw parts, for malformed-input tests.
Bytes receipt_with(BytesView status, BytesView bloom, const Bytes& encoded_logs) {
    rlp::Encoder e;
    e.begin_list().add(status).add(uint64_t{21000}).add(bloom).add_raw(encoded_logs).end_list();
    return e.take();
}

// ---- Bloom ----

// Bit positions derived by hand from the Yellow Paper (section 4.3.1, function M3:2048): for each
// of the byte pairs (0,1), (2,3), (4,5) of keccak256(x), the low 11 bits index a bit counted from
// the least significant end of the 2048-bit big-endian bloom.
TEST(Bloom, SetsTheYellowPaperBitPositions) {
    const std::string entry = "honeycomb";
    const Hash32 h = keccak256(sv(entry));
    Bloom b;
    b.add(sv(entry));
    size_t distinct = 0;
    std::array<unsigned, 3> seen{};
    for (size_t i = 0; i < 3; ++i) {
        unsigned v = (h[2 * i] * 256u + h[2 * i + 1]) % 2048u;
        // As a 2048-bit big-endian number, bit v lives in byte 255 - v/8, bit v%8 of it.
        EXPECT_TRUE(b.bits[255 - v / 8] & (1u << (v % 8))) << "bit " << v;
        bool dup = false;
        for (size_t j = 0; j < distinct; ++j)
            dup = dup || seen[j] == v;
        if (!dup) seen[distinct++] = v;
    }
    EXPECT_EQ(popcount(b), distinct);
}

// go-ethereum core/types/bloom9_test.go, TestBloom.
TEST(Bloom, GethPositiveAndNegativeEntries) {
    Bloom b;
    for (const char* s : {"testtest", "test", "hallo", "other"})
        b.add(sv(s));
    for (const char* s : {"testtest", "test", "hallo", "other"})
        EXPECT_TRUE(b.contains(sv(s))) << s;
    for (const char* s : {"tes", "lo"})
        EXPECT_FALSE(b.contains(sv(s))) << s;
}

// go-ethereum core/types/bloom9_test.go, TestBloomExtensively: keccak of the bloom of 100 entries.
TEST(Bloom, GethExtensiveVector) {
    Bloom b;
    for (int i = 0; i < 100; ++i)
        b.add(sv("xxxxxxxxxx data " + std::to_string(i) + " yyyyyyyyyyyyyy"));
    EXPECT_EQ(keccak256(b.bits.view()).hex(),
              "0xc8d3ca65cdb4874300a9e39475508f23ed6da09fdbc487f89a2dcf50b09eb263");
}

// go-ethereum core/types/bloom9_test.go, BenchmarkCreateBloom "small": the bloom of four logs
// whose addresses are 0x..11, 0x..0111, 0x..22 and 0x..0222.
TEST(Bloom, GethCreateBloomVector) {
    auto a = [](std::initializer_list<uint8_t> tail) {
        Address out;
        std::copy(tail.begin(), tail.end(), out.bytes.end() - tail.size());
        return out;
    };
    std::vector<Log> logs = {{a({0x11}), {}, {}},
                             {a({0x01, 0x11}), {}, {}},
                             {a({0x22}), {}, {}},
                             {a({0x02, 0x22}), {}, {}}};
    EXPECT_EQ(keccak256(bloom_of(logs).bits.view()).hex(),
              "0xc384c56ece49458a427c67b90fefe979ebf7104795be65dc398b280f24104949");
}

TEST(Bloom, BloomOfCoversAddressesAndTopicsButNotData) {
    std::vector<Log> logs = {{addr(0x01), {h32(0x02), h32(0x03)}, {0xde, 0xad}}};
    Bloom b = bloom_of(logs);
    EXPECT_TRUE(b.contains(addr(0x01).view()));
    EXPECT_TRUE(b.contains(h32(0x02).view()));
    EXPECT_TRUE(b.contains(h32(0x03).view()));
    Bloom expected;
    expected.add(addr(0x01).view());
    expected.add(h32(0x02).view());
    expected.add(h32(0x03).view());
    EXPECT_EQ(b, expected);  // the data adds nothing
    EXPECT_TRUE(bloom_of({}).is_zero());
}

TEST(Bloom, MergeIsUnion) {
    Bloom a, b;
    a.add(sv("alpha"));
    b.add(sv("beta"));
    Bloom m = a;
    m.merge(b);
    EXPECT_TRUE(m.contains(sv("alpha")));
    EXPECT_TRUE(m.contains(sv("beta")));
    for (size_t i = 0; i < 256; ++i)
        EXPECT_EQ(m.bits[i], a.bits[i] | b.bits[i]);
}

// ---- Receipt encoding ----

// Hand-derived from the EIP-658/EIP-2718 receipt layout: status 1 is 0x01, 21000 is 0x825208,
// the zero bloom is b90100 followed by 256 zero bytes, no logs is c0; the payload is 264 bytes.
TEST(Receipt, EncodingMatchesTheSpecLayout) {
    Receipt r;
    r.status = true;
    r.cumulative_gas_used = 21000;
    const std::string body =
        "0xf90108"
        "01"
        "825208"
        "b90100" +
        std::string(512, '0') + "c0";
    EXPECT_EQ(to_hex(encode_receipt(r)), body);
    r.type = TxType::dynamic_fee;
    EXPECT_EQ(to_hex(encode_receipt(r)), "0x02" + body.substr(2));
    r.status = false;  // zero is the empty string
    r.type = TxType::legacy;
    EXPECT_EQ(to_hex(encode_receipt(r)).substr(0, 10), "0xf9010880");
}

TEST(Receipt, RoundTripsEveryType) {
    for (TxType t : {TxType::legacy, TxType::access_list, TxType::dynamic_fee}) {
        Receipt r = sample_receipt(t);
        Bytes enc = encode_receipt(r);
        auto back = decode_receipt(enc);
        ASSERT_TRUE(back) << back.error().to_string();
        EXPECT_EQ(*back, r);
        EXPECT_EQ(encode_receipt(*back), enc);
    }
    Receipt failed;
    failed.cumulative_gas_used = ~uint64_t{0};
    auto back = decode_receipt(encode_receipt(failed));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, failed);
}

TEST(Receipt, RejectsTruncatedAndTrailingInput) {
    Bytes enc = encode_receipt(sample_receipt(TxType::dynamic_fee));
    for (size_t len = 0; len < enc.size(); ++len)
        EXPECT_FALSE(decode_receipt(BytesView(enc).first(len))) << "length " << len;
    Bytes trailing = enc;
    trailing.push_back(0x00);
    EXPECT_FALSE(decode_receipt(trailing));
}

TEST(Receipt, RejectsUnknownTypesAndStrings) {
    Bytes body = encode_receipt(sample_receipt(TxType::legacy));
    for (uint8_t t : {0x00, 0x03, 0x7f}) {
        Bytes typed = body;
        typed.insert(typed.begin(), t);
        auto r = decode_receipt(typed);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, Errc::unsupported);
    }
    EXPECT_FALSE(decode_receipt(rlp::encode_string(body)));
    EXPECT_FALSE(decode_receipt({}));
}

TEST(Receipt, RejectsBadStatus) {
    const Bytes zero_bloom(256, 0);
    const Bytes no_logs = {0xc0};
    EXPECT_TRUE(decode_receipt(receipt_with(Bytes{0x01}, zero_bloom, no_logs)));
    EXPECT_TRUE(decode_receipt(receipt_with(Bytes{}, zero_bloom, no_logs)));
    EXPECT_FALSE(decode_receipt(receipt_with(Bytes{0x00}, zero_bloom, no_logs)));
    EXPECT_FALSE(decode_receipt(receipt_with(Bytes{0x02}, zero_bloom, no_logs)));
    // A pre-Byzantium intermediate state root.
    EXPECT_FALSE(decode_receipt(receipt_with(h32(0x01).view(), zero_bloom, no_logs)));
}

TEST(Receipt, RejectsWrongFieldsAndSizes) {
    const Bytes no_logs = {0xc0};
    EXPECT_FALSE(decode_receipt(receipt_with(Bytes{0x01}, Bytes(255, 0), no_logs)));
    EXPECT_FALSE(decode_receipt(receipt_with(Bytes{0x01}, Bytes(257, 0), no_logs)));
    // Logs as a string instead of a list.
    EXPECT_FALSE(decode_receipt(receipt_with(Bytes{0x01}, Bytes(256, 0), {0x80})));

    rlp::Encoder three;
    three.begin_list().add(uint64_t{1}).add(uint64_t{21000}).add(Bytes(256, 0)).end_list();
    EXPECT_FALSE(decode_receipt(three.take()));
    rlp::Encoder five;
    five.begin_list().add(uint64_t{1}).add(uint64_t{21000}).add(Bytes(256, 0));
    five.begin_list().end_list().add(uint64_t{0}).end_list();
    EXPECT_FALSE(decode_receipt(five.take()));
}

Bytes logs_of(const Bytes& address, const Bytes& topic, bool topics_as_list = true,
              size_t extra_fields = 0) {
    rlp::Encoder e;
    e.begin_list().begin_list().add(address);
    if (topics_as_list)
        e.begin_list().add(topic).end_list();
    else
        e.add(topic);
    e.add(Bytes{});
    for (size_t i = 0; i < extra_fields; ++i)
        e.add(uint64_t{0});
    e.end_list().end_list();
    return e.take();
}

TEST(Receipt, RejectsMalformedLogs) {
    const Bytes bloom(256, 0);
    const Bytes one = {0x01};
    EXPECT_TRUE(decode_receipt(receipt_with(one, bloom, logs_of(Bytes(20, 1), Bytes(32, 2)))));
    EXPECT_FALSE(decode_receipt(receipt_with(one, bloom, logs_of(Bytes(19, 1), Bytes(32, 2)))));
    EXPECT_FALSE(decode_receipt(receipt_with(one, bloom, logs_of(Bytes(21, 1), Bytes(32, 2)))));
    EXPECT_FALSE(decode_receipt(receipt_with(one, bloom, logs_of(Bytes(20, 1), Bytes(31, 2)))));
    EXPECT_FALSE(
        decode_receipt(receipt_with(one, bloom, logs_of(Bytes(20, 1), Bytes(32, 2), false))));
    EXPECT_FALSE(
        decode_receipt(receipt_with(one, bloom, logs_of(Bytes(20, 1), Bytes(32, 2), true, 1))));
}

TEST(Receipt, RejectsNonCanonicalCumulativeGas) {
    rlp::Encoder e;
    e.begin_list().add(uint64_t{1}).add(Bytes{0x00, 0x01}).add(Bytes(256, 0));
    e.begin_list().end_list().end_list();
    EXPECT_FALSE(decode_receipt(e.take()));
}

TEST(Receipt, GasUsedIsTheCumulativeDifference) {
    std::vector<Receipt> rs(3);
    rs[0].cumulative_gas_used = 21000;
    rs[1].cumulative_gas_used = 21000;
    rs[2].cumulative_gas_used = 80000;
    EXPECT_EQ(receipt_gas_used(rs, 0), 21000u);
    EXPECT_EQ(receipt_gas_used(rs, 1), 0u);
    EXPECT_EQ(receipt_gas_used(rs, 2), 59000u);
}

TEST(ReceiptMeta, RoundTripsAndRejectsBadInput) {
    for (const ReceiptMeta& m : {ReceiptMeta{21000, std::nullopt}, ReceiptMeta{53000, addr(7)},
                                 ReceiptMeta{~uint64_t{0}, addr(0)}}) {
        auto back = decode_receipt_meta(encode_receipt_meta(m));
        ASSERT_TRUE(back) << back.error().to_string();
        EXPECT_EQ(*back, m);
    }
    rlp::Encoder short_addr;
    short_addr.begin_list().add(uint64_t{1}).add(Bytes(19, 1)).end_list();
    EXPECT_FALSE(decode_receipt_meta(short_addr.take()));
    rlp::Encoder three;
    three.begin_list().add(uint64_t{1}).add(Bytes{}).add(Bytes{}).end_list();
    EXPECT_FALSE(decode_receipt_meta(three.take()));
    Bytes trailing = encode_receipt_meta({1, std::nullopt});
    trailing.push_back(0x80);
    EXPECT_FALSE(decode_receipt_meta(trailing));
    EXPECT_FALSE(decode_receipt_meta({}));
}

TEST(Receipt, LogCountReadsHeadersOnly) {
    for (TxType type : {TxType::legacy, TxType::access_list, TxType::dynamic_fee}) {
        Receipt r = sample_receipt(type);
        auto n = receipt_log_count(encode_receipt(r));
        ASSERT_TRUE(n) << n.error().to_string();
        EXPECT_EQ(*n, r.logs.size());
        r.logs.clear();
        EXPECT_EQ(*receipt_log_count(encode_receipt(r)), 0u);
    }
    EXPECT_FALSE(receipt_log_count({}));
    EXPECT_FALSE(receipt_log_count(Bytes{0xc3, 0x01, 0x02, 0x03}));  // three fields, not four
    EXPECT_FALSE(receipt_log_count(Bytes{0x02, 0x80}));              // type byte, then no list
}

}  // namespace
}  // namespace hc
