#include "codec/rlp.h"

#include <gtest/gtest.h>

namespace hc::rlp {
namespace {

Bytes hex(std::string_view h) {
    return *from_hex(h);
}

TEST(RlpEncode, StringsFollowTheSpec) {
    EXPECT_EQ(encode_string({}), hex("80"));
    EXPECT_EQ(encode_string(hex("00")), hex("00"));
    EXPECT_EQ(encode_string(hex("7f")), hex("7f"));
    EXPECT_EQ(encode_string(hex("80")), hex("8180"));
    EXPECT_EQ(encode_string(as_bytes("dog")), hex("83646f67"));
    Bytes s55(55, 'a'), s56(56, 'a');
    EXPECT_EQ(encode_string(s55)[0], 0xb7);
    EXPECT_EQ(encode_string(s56).size(), 58u);
    EXPECT_EQ(encode_string(s56)[0], 0xb8);
    EXPECT_EQ(encode_string(s56)[1], 56);
    Bytes s1024(1024, 'x');
    auto e = encode_string(s1024);
    EXPECT_EQ(Bytes(e.begin(), e.begin() + 3), hex("b90400"));
}

TEST(RlpEncode, Integers) {
    auto enc = [](uint64_t v) {
        Bytes out;
        append_uint(out, v);
        return out;
    };
    EXPECT_EQ(enc(0), hex("80"));
    EXPECT_EQ(enc(15), hex("0f"));
    EXPECT_EQ(enc(127), hex("7f"));
    EXPECT_EQ(enc(128), hex("8180"));
    EXPECT_EQ(enc(1024), hex("820400"));
    EXPECT_EQ(enc(~0ULL), hex("88ffffffffffffffff"));
    Bytes big;
    append_uint(big, uint256(1, 0, 0, 0));  // 2^192
    EXPECT_EQ(big, hex("9901" + std::string(48, '0')));
}

TEST(RlpEncode, NestedListsWithEncoder) {
    // The "set theoretical representation of three": [ [], [[]], [ [], [[]] ] ]
    Encoder e;
    e.begin_list();
    e.begin_list().end_list();
    e.begin_list().begin_list().end_list().end_list();
    e.begin_list()
        .begin_list()
        .end_list()
        .begin_list()
        .begin_list()
        .end_list()
        .end_list()
        .end_list();
    e.end_list();
    EXPECT_EQ(e.take(), hex("c7c0c1c0c3c0c1c0"));

    Encoder f;
    f.begin_list().add(as_bytes("cat")).add(as_bytes("dog")).end_list();
    EXPECT_EQ(f.take(), hex("c88363617483646f67"));
}

TEST(RlpEncode, LongList) {
    std::vector<Bytes> items(20, encode_string(as_bytes("abc")));
    auto e = encode_list(items);
    EXPECT_EQ(e[0], 0xf8);
    EXPECT_EQ(e[1], 80);
    EXPECT_EQ(e.size(), 82u);
}

TEST(RlpDecode, RoundTripsAndReaders) {
    Encoder e;
    e.begin_list()
        .add(uint64_t{1024})
        .add(as_bytes("hello"))
        .begin_list()
        .add(uint64_t{0})
        .end_list()
        .end_list();
    Bytes enc = e.take();
    auto item = decode(enc);
    ASSERT_TRUE(item);
    ASSERT_TRUE(item->is_list);
    auto r = ListReader::open(*item);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r->count(), 3u);
    EXPECT_EQ(*r->next_uint64(), 1024u);
    auto s = r->next_string();
    ASSERT_TRUE(s);
    EXPECT_EQ(Bytes(s->begin(), s->end()), to_bytes("hello"));
    auto inner = r->next_list();
    ASSERT_TRUE(inner);
    EXPECT_EQ(*inner->next_uint64(), 0u);
    EXPECT_TRUE(inner->finish());
    EXPECT_TRUE(r->finish());
    EXPECT_FALSE(r->next());  // past the end is an error, not a crash
}

struct Rejection {
    const char* hex;
    const char* why;
};

class RlpRejects : public ::testing::TestWithParam<Rejection> {};

TEST_P(RlpRejects, StrictDecoder) {
    auto in = hex(GetParam().hex);
    auto item = decode_deep(in);
    ASSERT_FALSE(item) << GetParam().why;
    EXPECT_EQ(item.error().code, Errc::decode);
    EXPECT_FALSE(item.error().message.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, RlpRejects,
    ::testing::Values(
        Rejection{"", "empty input"}, Rejection{"8100", "single byte below 0x80 with a header"},
        Rejection{"817f", "single byte below 0x80 with a header"},
        Rejection{"b800", "long form for a short string"},
        Rejection{"b80100", "long form for length 1"},
        Rejection{"b90001"
                  "00",
                  "leading zero in the length"},
        Rejection{"f800", "long-form list with zero length"},
        Rejection{"83646f", "truncated string"}, Rejection{"c3010203ff", "trailing byte"},
        Rejection{"c5010203", "list runs past the end"},
        Rejection{"bf0f000000000000021111", "length of a huge size"},
        Rejection{"c28100", "non-canonical item nested in a list"},
        Rejection{"c1", "truncated list"}, Rejection{"ba", "length-of-length runs past the end"}));

TEST(RlpDecode, IntegersAreCanonical) {
    // Items are views: keep each buffer alive while its item is used.
    Bytes leading_zero = hex("820001"), nine_bytes = hex("89010203040506070809");
    Bytes zero_buf = hex("80"), list_buf = hex("c0");
    auto item = decode(leading_zero);
    ASSERT_TRUE(item);
    EXPECT_FALSE(to_uint64(*item));  // leading zero
    EXPECT_FALSE(to_uint256(*item));
    auto nine = decode(nine_bytes);
    ASSERT_TRUE(nine);
    EXPECT_FALSE(to_uint64(*nine));  // more than 64 bits
    auto v = to_uint256(*nine);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->to_be_trimmed(), hex("010203040506070809"));
    auto zero = decode(zero_buf);
    EXPECT_EQ(*to_uint64(*zero), 0u);
    auto list = decode(list_buf);
    EXPECT_FALSE(to_uint64(*list));
    EXPECT_FALSE(to_string(*list));
}

TEST(RlpDecode, DepthLimitStopsDeepNesting) {
    // 100 nested empty lists: c0 wrapped 99 more times.
    Bytes cur = hex("c0");
    for (int i = 0; i < 99; ++i)
        cur = encode_list({cur});
    EXPECT_TRUE(decode_deep(cur, 128));
    auto r = decode_deep(cur, 64);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("depth"), std::string::npos);
}

TEST(RlpDecode, ListReaderReportsTrailingItems) {
    Bytes buf = hex("c3010203");
    auto item = decode(buf);
    auto r = ListReader::open(*item);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r->next_uint64(), 1u);
    auto st = r->finish();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("2 unexpected trailing"), std::string::npos);
}

}  // namespace
}  // namespace hc::rlp

namespace hc::rlp {
namespace {

TEST(RlpSizes, MatchTheEncoder) {
    for (size_t len : {0u, 1u, 2u, 55u, 56u, 255u, 256u, 70000u}) {
        Bytes s(len, 0xaa);
        EXPECT_EQ(encoded_string_size(s), encode_string(s).size()) << len;
        Bytes header;
        append_string_header(header, len);
        EXPECT_EQ(header.size(), header_size(len));
        header.insert(header.end(), s.begin(), s.end());
        if (len != 1) {
            EXPECT_EQ(header, encode_string(s)) << len;
        }
    }
    EXPECT_EQ(encoded_string_size(Bytes{0x05}), 1u);
}

}  // namespace
}  // namespace hc::rlp

namespace hc::rlp {
namespace {

TEST(RlpListReader, MalformedItemIsAnErrorNotAShortCount) {
    // [1, 2, <0x00 wrapped in a one-byte string header: non-canonical>]
    Bytes buf = *from_hex("c401028100");
    auto outer = decode_prefix(buf);
    ASSERT_TRUE(outer);
    ListReader r(outer->payload);
    EXPECT_FALSE(r.count());
    ASSERT_TRUE(r.next());
    ASSERT_TRUE(r.next());
    auto st = r.finish();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::decode);
}

}  // namespace
}  // namespace hc::rlp

namespace hc::rlp {
namespace {

TEST(RlpRecords, DecodeListChecksShapeAndFieldCount) {
    Bytes three = *from_hex("c3010203");
    auto ok = decode_list(three, 3, 1);
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok->next_uint64(), 1u);

    auto wrong_count = decode_list(three, 2, 1);
    ASSERT_FALSE(wrong_count);
    EXPECT_NE(wrong_count.error().message.find("must have 2 fields, got 3"), std::string::npos);

    Bytes str = *from_hex("83010203");
    auto not_list = decode_list(str, 3, 1);
    ASSERT_FALSE(not_list);
    EXPECT_NE(not_list.error().message.find("got a string"), std::string::npos);

    Bytes too_deep = *from_hex("c3c2c101");  // [[[1]]]
    EXPECT_TRUE(decode_list(too_deep, 1, 3));
    EXPECT_FALSE(decode_list(too_deep, 1, 2));

    Bytes nested = *from_hex("c4c20102c0");  // [[1, 2], []]
    auto outer = decode_list(nested, 2, 2);
    ASSERT_TRUE(outer);
    EXPECT_TRUE(expect_fields(outer->next_list(), 2));
    EXPECT_FALSE(expect_fields(outer->next_list(), 1));
}

TEST(RlpRecords, CheckSizeNamesTheRecordAndLimit) {
    Bytes four(4, 0);
    EXPECT_TRUE(check_size(four, 4, "thing"));
    auto over = check_size(four, 3, "thing");
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().code, Errc::invalid_argument);
    EXPECT_EQ(over.error().message, "oversized data: thing of 4 bytes exceeds the 3-byte limit");
}

}  // namespace
}  // namespace hc::rlp
