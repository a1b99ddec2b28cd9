#include "codec/abi.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>

namespace hc::abi {
namespace {

// Expected encodings are written word by word, as the Solidity ABI specification lists them.
// W: a number, left-padded to one word. R: bytes, right-padded to one word.
std::string W(std::string_view hex) {
    return std::string(64 - hex.size(), '0') + std::string(hex);
}
std::string R(std::string_view hex) {
    return std::string(hex) + std::string(64 - hex.size(), '0');
}
Bytes hex(std::string_view h) {
    auto b = from_hex(h);
    EXPECT_TRUE(b.ok()) << h;
    return b.ok() ? *b : Bytes{};
}
Address addr(std::string_view h) {
    return *Address::from_hex(h);
}
std::string sel_hex(const Selector& s) {
    return to_hex(BytesView(s.data(), s.size()), false);
}

// ---- Selectors and topics ----

struct SelectorCase {
    const char* signature;
    const char* expected;
};

class AbiSelector : public ::testing::TestWithParam<SelectorCase> {};

TEST_P(AbiSelector, IsTheFirstFourBytesOfTheKeccak) {
    EXPECT_EQ(sel_hex(selector(GetParam().signature)), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Abi, AbiSelector,
                         ::testing::Values(SelectorCase{"transfer(address,uint256)", "a9059cbb"},
                                           SelectorCase{"balanceOf(address)", "70a08231"},
                                           SelectorCase{"Error(string)", "08c379a0"},
                                           SelectorCase{"Panic(uint256)", "4e487b71"},
                                           // The examples of the Solidity ABI specification.
                                           SelectorCase{"baz(uint32,bool)", "cdcd77c0"},
                                           SelectorCase{"sam(bytes,bool,uint256[])", "a5643bf2"},
                                           SelectorCase{"f(uint256,uint32[],bytes10,bytes)",
                                                        "8be65246"},
                                           SelectorCase{"g(uint256[][],string[])", "2289b18c"}));

TEST(AbiSelectorConstant, ErrorSelectorMatchesItsSignature) {
    EXPECT_EQ(selector("Error(string)"), kErrorSelector);
}

TEST(AbiEventTopic, IsTheWholeKeccakOfTheSignature) {
    EXPECT_EQ(event_topic("Transfer(address,address,uint256)").hex(),
              "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    EXPECT_EQ(event_topic("Approval(address,address,uint256)").hex(),
              "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925");
}

TEST(AbiEventTopic, IndexedValuesAreLeftPaddedWords) {
    EXPECT_EQ(to_topic(addr("0x1111111111111111111111111111111111111122")).hex(),
              "0x" + W("1111111111111111111111111111111111111122"));
    EXPECT_EQ(to_topic(uint256(0x2a)).hex(), "0x" + W("2a"));
    EXPECT_EQ(to_topic(uint256::max()).hex(), "0x" + std::string(64, 'f'));
}

TEST(AbiSplitCall, SeparatesSelectorAndArguments) {
    const Bytes data = hex("a9059cbb" + W("01"));
    auto call = split_call(data);
    ASSERT_TRUE(call.ok()) << call.error().to_string();
    EXPECT_EQ(sel_hex(call->first), "a9059cbb");
    EXPECT_EQ(Bytes(call->second.begin(), call->second.end()), hex(W("01")));

    auto bare = split_call(hex("a9059cbb"));
    ASSERT_TRUE(bare.ok());
    EXPECT_TRUE(bare->second.empty());
}

TEST(AbiSplitCall, RejectsCalldataShorterThanASelector) {
    for (size_t n = 0; n < 4; ++n) {
        auto r = split_call(Bytes(n, 0xaa));
        ASSERT_FALSE(r.ok()) << n;
        EXPECT_EQ(r.error().message, "ABI: calldata of " + std::to_string(n) +
                                         " bytes is shorter than the 4-byte function selector");
    }
}

// ---- Known encodings, checked in both directions ----

struct KnownCase {
    const char* name;
    std::function<Bytes()> encode;
    std::string expected;                    // hex, no prefix
    std::function<void(BytesView)> decodes;  // asserts the decoded values
};

void PrintTo(const KnownCase& c, std::ostream* os) {
    *os << c.name;
}

class AbiKnownEncoding : public ::testing::TestWithParam<KnownCase> {};

TEST_P(AbiKnownEncoding, EncodesAsSolidityDoes) {
    EXPECT_EQ(to_hex(GetParam().encode(), false), GetParam().expected);
}

TEST_P(AbiKnownEncoding, DecodesBackToTheValues) {
    const Bytes data = hex(GetParam().expected);
    GetParam().decodes(data);
}

const std::vector<KnownCase>& known_cases() {
    static const std::vector<KnownCase> cases = {
        {"ErrorStringNope", [] { return encode_error("nope"); },
         "08c379a0" + W("20") + W("04") + R("6e6f7065"),
         [](BytesView data) { EXPECT_EQ(decode_error(data), "nope"); }},
        {"StringArrayOfAandBC",
         [] {
             const std::vector<std::string> v = {"a", "bc"};
             return Encoder().add_string_array(v).finish();
         },
         W("20") + W("02") + W("40") + W("80") + W("01") + R("61") + W("02") + R("6263"),
         [](BytesView data) {
             Decoder d(data);
             auto v = d.read_string_array();
             ASSERT_TRUE(v.ok()) << v.error().to_string();
             EXPECT_EQ(*v, (std::vector<std::string>{"a", "bc"}));
         }},
        // The string[] argument of the specification's g example: ["one", "two", "three"].
        {"SpecStringArrayOneTwoThree",
         [] {
             const std::vector<std::string> v = {"one", "two", "three"};
             return Encoder().add_string_array(v).finish();
         },
         W("20") + W("03") + W("60") + W("a0") + W("e0") + W("03") + R("6f6e65") + W("03") +
             R("74776f") + W("05") + R("7468726565"),
         [](BytesView data) {
             auto v = Decoder(data).read_string_array();
             ASSERT_TRUE(v.ok()) << v.error().to_string();
             EXPECT_EQ(*v, (std::vector<std::string>{"one", "two", "three"}));
         }},
        // The specification's sam("dave", true, [1, 2, 3]).
        {"SpecSam",
         [] {
             const std::vector<uint256> v = {1, 2, 3};
             return Encoder()
                 .add_bytes(as_bytes("dave"))
                 .add_bool(true)
                 .add_uint_array(v)
                 .finish(selector("sam(bytes,bool,uint256[])"));
         },
         "a5643bf2" + W("60") + W("01") + W("a0") + W("04") + R("64617665") + W("03") + W("01") +
             W("02") + W("03"),
         [](BytesView data) {
             auto call = split_call(data);
             ASSERT_TRUE(call.ok());
             Decoder d(call->second);
             auto b = d.read_bytes();
             auto flag = d.read_bool();
             auto arr = d.read_uint_array();
             ASSERT_TRUE(b.ok() && flag.ok() && arr.ok());
             EXPECT_EQ(*b, to_bytes("dave"));
             EXPECT_TRUE(*flag);
             EXPECT_EQ(*arr, (std::vector<uint256>{1, 2, 3}));
         }},
        // The specification's f(0x123, [0x456, 0x789], "1234567890", "Hello, world!"): uint32[]
        // encodes as uint256[] does and bytes10 as a right-padded bytes32.
        {"SpecF",
         [] {
             const std::vector<uint256> v = {0x456, 0x789};
             return Encoder()
                 .add_uint(0x123)
                 .add_uint_array(v)
                 .add_bytes32(*Hash32::from_hex(R("31323334353637383930")))
                 .add_string("Hello, world!")
                 .finish(selector("f(uint256,uint32[],bytes10,bytes)"));
         },
         "8be65246" + W("123") + W("80") + R("31323334353637383930") + W("e0") + W("02") +
             W("456") + W("789") + W("0d") + R("48656c6c6f2c20776f726c6421"),
         [](BytesView data) {
             Decoder d(data.subspan(4));
             auto a = d.read_uint();
             auto arr = d.read_uint_array();
             auto b10 = d.read_bytes32();
             auto s = d.read_string();
             ASSERT_TRUE(a.ok() && arr.ok() && b10.ok() && s.ok());
             EXPECT_EQ(*a, uint256(0x123));
             EXPECT_EQ(*arr, (std::vector<uint256>{0x456, 0x789}));
             EXPECT_EQ(b10->hex(), "0x" + R("31323334353637383930"));
             EXPECT_EQ(*s, "Hello, world!");
         }},
        // (address[], uint256, string): a dynamic array ahead of a static value and a string.
        {"AddressArrayUintString",
         [] {
             const std::vector<Address> v = {addr("0x00000000000000000000000000000000000000aa"),
                                             addr("0x1111111111111111111111111111111111111111")};
             return Encoder().add_address_array(v).add_uint(42).add_string("hi").finish();
         },
         W("60") + W("2a") + W("c0") + W("02") + W("aa") +
             W("1111111111111111111111111111111111111111") + W("02") + R("6869"),
         [](BytesView data) {
             Decoder d(data);
             auto v = d.read_address_array();
             auto n = d.read_uint64();
             auto s = d.read_string();
             ASSERT_TRUE(v.ok() && n.ok() && s.ok());
             ASSERT_EQ(v->size(), 2u);
             EXPECT_EQ((*v)[0], addr("0x00000000000000000000000000000000000000aa"));
             EXPECT_EQ((*v)[1], addr("0x1111111111111111111111111111111111111111"));
             EXPECT_EQ(*n, 42u);
             EXPECT_EQ(*s, "hi");
             EXPECT_EQ(d.arguments_read(), 3u);
         }},
        // Static values only: everything in the head, nothing in the tail.
        {"StaticTuple",
         [] {
             return Encoder()
                 .add_address(addr("0xdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef"))
                 .add_bool(false)
                 .add_uint(uint256::max())
                 .finish(selector("transfer(address,uint256)"));
         },
         "a9059cbb" + W("deadbeefdeadbeefdeadbeefdeadbeefdeadbeef") + W("0") + std::string(64, 'f'),
         [](BytesView data) {
             Decoder d(data.subspan(4));
             auto a = d.read_address();
             auto b = d.read_bool();
             auto u = d.read_uint();
             ASSERT_TRUE(a.ok() && b.ok() && u.ok());
             EXPECT_EQ(*a, addr("0xdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef"));
             EXPECT_FALSE(*b);
             EXPECT_EQ(*u, uint256::max());
         }},
        // Empty dynamic values: a length word of zero and no content.
        {"EmptyDynamicValues",
         [] {
             return Encoder()
                 .add_string("")
                 .add_string_array(std::span<const std::string>{})
                 .add_bytes({})
                 .finish();
         },
         W("60") + W("80") + W("a0") + W("0") + W("0") + W("0"),
         [](BytesView data) {
             Decoder d(data);
             auto s = d.read_string();
             auto arr = d.read_string_array();
             auto b = d.read_bytes();
             ASSERT_TRUE(s.ok() && arr.ok() && b.ok());
             EXPECT_TRUE(s->empty());
             EXPECT_TRUE(arr->empty());
             EXPECT_TRUE(b->empty());
         }},
    };
    return cases;
}

INSTANTIATE_TEST_SUITE_P(Abi, AbiKnownEncoding, ::testing::ValuesIn(known_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- Round trips ----

// Parameterised suites are instantiated under the prefix "Abi" so that --gtest_filter='Abi*'
// selects them with the rest.

// Strings of every length around the word boundary, and bytes that are not UTF-8.
const std::vector<std::string>& sample_strings() {
    static const std::vector<std::string> v = {"",
                                               "x",
                                               std::string(31, 'a'),
                                               std::string(32, 'b'),
                                               std::string(33, 'c'),
                                               std::string(1000, 'd'),
                                               std::string("\0\xff\xfe nul and invalid UTF-8", 25)};
    return v;
}

TEST(AbiRoundTrip, EveryTypeInOneTuple) {
    const std::vector<Address> addrs = {addr("0x00000000000000000000000000000000000000ff"),
                                        addr("0xffffffffffffffffffffffffffffffffffffffff"),
                                        Address{}};
    const std::vector<uint256> uints = {0, 1, uint256::max(), uint256(1, 2, 3, 4)};
    const Hash32 h = event_topic("anything");
    const Bytes blob = hex("00ff00ff");

    const Bytes data = Encoder()
                           .add_uint(uint256(1, 0, 0, 0))
                           .add_string_array(sample_strings())
                           .add_uint(~uint64_t{0})
                           .add_uint(255)
                           .add_bool(true)
                           .add_address_array(addrs)
                           .add_address(addrs[1])
                           .add_bytes(blob)
                           .add_bytes32(h)
                           .add_uint_array(uints)
                           .add_string(sample_strings().back())
                           .finish();

    Decoder d(data);
    auto u256 = d.read_uint();
    auto strs = d.read_string_array();
    auto u64 = d.read_uint64();
    auto u8 = d.read_uint8();
    auto flag = d.read_bool();
    auto as = d.read_address_array();
    auto a = d.read_address();
    auto b = d.read_bytes();
    auto b32 = d.read_bytes32();
    auto us = d.read_uint_array();
    auto s = d.read_string();
    for (const Error* e : {u256.ok() ? nullptr : &u256.error(), strs.ok() ? nullptr : &strs.error(),
                           u64.ok() ? nullptr : &u64.error(), u8.ok() ? nullptr : &u8.error(),
                           flag.ok() ? nullptr : &flag.error(), as.ok() ? nullptr : &as.error(),
                           a.ok() ? nullptr : &a.error(), b.ok() ? nullptr : &b.error(),
                           b32.ok() ? nullptr : &b32.error(), us.ok() ? nullptr : &us.error(),
                           s.ok() ? nullptr : &s.error()})
        ASSERT_EQ(e, nullptr) << e->to_string();
    EXPECT_EQ(*u256, uint256(1, 0, 0, 0));
    EXPECT_EQ(*strs, sample_strings());
    EXPECT_EQ(*u64, ~uint64_t{0});
    EXPECT_EQ(*u8, 255);
    EXPECT_TRUE(*flag);
    EXPECT_EQ(*as, addrs);
    EXPECT_EQ(*a, addrs[1]);
    EXPECT_EQ(*b, blob);
    EXPECT_EQ(*b32, h);
    EXPECT_EQ(*us, uints);
    EXPECT_EQ(*s, sample_strings().back());
    EXPECT_EQ(d.arguments_read(), 11u);
    // The Decoder cannot tell the head from the tail, but it never reads past the data.
    Decoder past(BytesView(data).first(11 * 32));
    for (int i = 0; i < 11; ++i)
        ASSERT_TRUE(past.read_uint().ok());
    EXPECT_FALSE(past.read_uint().ok());
}

class AbiStringRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(AbiStringRoundTrip, StringBytesAndErrorReason) {
    const std::string& s = GetParam();
    const Bytes enc = Encoder().add_string(s).add_bytes(as_bytes(s)).finish();
    // Head, then for each value a length word and the content padded to whole words.
    const size_t padded = (s.size() + 31) / 32 * 32;
    EXPECT_EQ(enc.size(), 64 + 2 * (32 + padded));
    Decoder d(enc);
    auto str = d.read_string();
    auto bytes = d.read_bytes();
    ASSERT_TRUE(str.ok() && bytes.ok());
    EXPECT_EQ(*str, s);
    EXPECT_EQ(*bytes, to_bytes(s));
    EXPECT_EQ(decode_error(encode_error(s)), s);
}

INSTANTIATE_TEST_SUITE_P(Abi, AbiStringRoundTrip, ::testing::ValuesIn(sample_strings()));

TEST(AbiDecode, TrailingBytesAreTolerated) {
    // Solidity ignores calldata beyond the arguments, and so do we.
    Bytes data = hex(W("07") + W("ffff"));
    Decoder d(data);
    auto v = d.read_uint8();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, 7);
}

TEST(AbiDecode, MissingPaddingAfterTheLastStringIsTolerated) {
    // Solidity's decoder checks that the content is present, not its padding.
    const Bytes data = hex(W("20") + W("02") + "6869");
    auto s = Decoder(data).read_string();
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    EXPECT_EQ(*s, "hi");
}

TEST(AbiDecode, EveryTruncationBeforeTheContentEndsIsAnError) {
    const std::vector<Address> v = {addr("0x00000000000000000000000000000000000000aa")};
    const Bytes full = Encoder().add_address_array(v).add_uint(42).add_string("hi").finish();
    // The last 30 bytes are the padding after "hi", which the decoder does not require.
    const size_t needed = full.size() - 30;
    for (size_t n = 0; n <= full.size(); ++n) {
        Decoder d(BytesView(full).first(n));
        const bool ok = d.read_address_array().ok() & d.read_uint().ok() & d.read_string().ok();
        EXPECT_EQ(ok, n >= needed) << "prefix of " << n << " bytes";
    }
}

// ---- Malformed input: each an error with a message naming the problem ----

struct MalformedCase {
    const char* name;
    std::string data;  // hex
    std::function<Status(Decoder&)> read;
    std::string message;  // expected in the error message
};

void PrintTo(const MalformedCase& c, std::ostream* os) {
    *os << c.name << ": " << c.data;
}

template <typename T>
Status drop(Result<T> r) {
    if (!r) return r.error();
    return {};
}

class AbiMalformed : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(AbiMalformed, IsAnErrorNamingTheProblem) {
    const Bytes data = hex(GetParam().data);
    Decoder d(data);
    const Status s = GetParam().read(d);
    ASSERT_FALSE(s.ok()) << "decoded without error";
    EXPECT_EQ(s.error().code, Errc::decode);
    EXPECT_NE(s.error().message.find(GetParam().message), std::string::npos) << s.error().message;
}

const std::string k2_255 = "8" + std::string(63, '0');  // 2^255
const std::string k2_64 = "10000000000000000";          // 2^64

auto read_uint_then(std::function<Status(Decoder&)> next) {
    return [next](Decoder& d) -> Status {
        HC_TRY(d.read_uint());
        return next(d);
    };
}

const std::vector<MalformedCase>& malformed_cases() {
    static const std::vector<MalformedCase> cases = {
        {"EmptyData", "", [](Decoder& d) { return drop(d.read_uint()); },
         "ABI: argument 1 (uint256): the data (0 bytes) ends before this argument's head slot at "
         "bytes 0..32"},
        {"HalfAWord", W("01").substr(0, 62), [](Decoder& d) { return drop(d.read_address()); },
         "argument 1 (address): the data (31 bytes) ends"},
        {"SecondSlotTruncated", W("01") + "00",
         read_uint_then([](Decoder& d) { return drop(d.read_bool()); }),
         "ABI: argument 2 (bool): the data (33 bytes) ends before this argument's head slot at "
         "bytes 32..64"},
        {"StringOffsetBeyondData", W("01") + W("1000"),
         read_uint_then([](Decoder& d) { return drop(d.read_string()); }),
         "ABI: argument 2 (string): offset 0x1000 is beyond the data (64 bytes)"},
        {"StringOffsetHuge", W(k2_255), [](Decoder& d) { return drop(d.read_string()); },
         "argument 1 (string): offset 0x" + k2_255 + " is beyond the data (32 bytes)"},
        {"OffsetLeavesNoRoomForLength", W("30") + W("0"),
         [](Decoder& d) { return drop(d.read_bytes()); },
         "argument 1 (bytes): offset 0x30 leaves no room for the length word in the data (64 "
         "bytes)"},
        {"StringLengthHuge", W("20") + W(k2_255) + R("61"),
         [](Decoder& d) { return drop(d.read_string()); },
         "argument 1 (string): length 0x" + k2_255 +
             " runs past the end of the data (96 bytes): 32 bytes follow the length word"},
        {"StringLengthOneTooMany", W("20") + W("21") + R("61"),
         [](Decoder& d) { return drop(d.read_string()); }, "length 0x21 runs past the end"},
        {"BytesContentTruncated", W("20") + W("05") + "6162",
         [](Decoder& d) { return drop(d.read_bytes()); },
         "argument 1 (bytes): length 0x5 runs past the end of the data (66 bytes): 2 bytes "
         "follow"},
        {"AddressDirtyLowestUpperByte", W("01" + std::string(40, '1')),
         [](Decoder& d) { return drop(d.read_address()); },
         "argument 1 (address): value 0x1" + std::string(40, '1') +
             " has nonzero bits above the low 20 bytes"},
        {"AddressDirtyTopBit", W(k2_255), [](Decoder& d) { return drop(d.read_address()); },
         "has nonzero bits above the low 20 bytes"},
        {"BoolTwo", W("02"), [](Decoder& d) { return drop(d.read_bool()); },
         "ABI: argument 1 (bool): value 0x2 is not 0 or 1"},
        {"BoolHighBit", W(k2_255), [](Decoder& d) { return drop(d.read_bool()); }, "is not 0 or 1"},
        {"Uint64Overflow", W(k2_64), [](Decoder& d) { return drop(d.read_uint64()); },
         "ABI: argument 1 (uint64): value 0x10000000000000000 exceeds 2^64-1"},
        {"Uint8Overflow", W("100"), [](Decoder& d) { return drop(d.read_uint8()); },
         "ABI: argument 1 (uint8): value 0x100 exceeds 255"},
        {"Uint8HighBits", W(k2_255 + ""), [](Decoder& d) { return drop(d.read_uint8()); },
         "exceeds 255"},
        {"AddressArrayLongerThanData", W("20") + W("03") + W("01") + W("02"),
         [](Decoder& d) { return drop(d.read_address_array()); },
         "ABI: argument 1 (address[]): length 0x3 runs past the end of the data (128 bytes): 64 "
         "bytes follow the length word, room for 2 elements"},
        {"AddressArrayLengthHuge", W("20") + W(k2_255),
         [](Decoder& d) { return drop(d.read_address_array()); }, "length 0x" + k2_255},
        // 2^59 elements of 32 bytes would wrap a 64-bit byte count to zero.
        {"UintArrayLengthWrapsWhenMultiplied", W("20") + W("800000000000000"),
         [](Decoder& d) { return drop(d.read_uint_array()); },
         "argument 1 (uint256[]): length 0x800000000000000 runs past the end"},
        {"AddressArrayDirtyElement", W("20") + W("02") + W("aa") + W("ff" + std::string(40, '0')),
         [](Decoder& d) { return drop(d.read_address_array()); },
         "argument 1 (address[]): element [1] value 0xff" + std::string(40, '0') +
             " has nonzero bits above the low 20 bytes"},
        {"StringArrayLongerThanData", W("20") + W("05") + W("20"),
         [](Decoder& d) { return drop(d.read_string_array()); },
         "argument 1 (string[]): length 0x5 runs past the end of the data (96 bytes)"},
        {"StringArrayElementOffsetBeyondContent", W("20") + W("01") + W("1000"),
         [](Decoder& d) { return drop(d.read_string_array()); },
         "ABI: argument 1 (string[]): element [0]: offset 0x1000 is beyond the array's content "
         "(32 bytes)"},
        {"StringArrayElementLengthHuge", W("20") + W("01") + W("20") + W(k2_255),
         [](Decoder& d) { return drop(d.read_string_array()); },
         "element [0]: length 0x" + k2_255 + " runs past the end of the array's content"},
        // Many elements pointing at one large string would multiply the memory the data asks
        // for; an honest encoding never holds more string bytes than its own size.
        {"StringArrayElementsAliasOneLargeString",
         W("20") + W("04") + W("80") + W("80") + W("80") + W("80") + W("60") + R("61") + R("62") +
             R("63"),
         [](Decoder& d) { return drop(d.read_string_array()); },
         "argument 1 (string[]): elements up to [3] total 384 bytes, more than the data (320 "
         "bytes) holds: they overlap"},
    };
    return cases;
}

INSTANTIATE_TEST_SUITE_P(Abi, AbiMalformed, ::testing::ValuesIn(malformed_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(AbiDecodeError, RejectsWhatIsNotAnErrorString) {
    EXPECT_EQ(decode_error({}), std::nullopt);
    EXPECT_EQ(decode_error(hex("08c379")), std::nullopt);
    EXPECT_EQ(decode_error(hex("08c379a0")), std::nullopt);  // no argument
    // Panic(uint256) is a revert too, but carries no reason string.
    EXPECT_EQ(decode_error(hex("4e487b71" + W("11"))), std::nullopt);
    // The right selector with a truncated string.
    EXPECT_EQ(decode_error(hex("08c379a0" + W("20") + W("40") + R("61"))), std::nullopt);
    // A custom error with a string argument is not Error(string).
    const Bytes custom = Encoder().add_string("nope").finish(selector("Denied(string)"));
    EXPECT_EQ(decode_error(custom), std::nullopt);
}

// Random corruption of a valid encoding: every read either succeeds or returns an error, and
// nothing it returns is larger than the data it came from.
TEST(AbiDecode, CorruptedEncodingsNeverCrash) {
    const std::vector<std::string> strs = {"alpha", "", std::string(40, 'z')};
    const std::vector<Address> addrs = {addr("0x1111111111111111111111111111111111111111")};
    const std::vector<uint256> uints = {5, 6};
    const Bytes valid = Encoder()
                            .add_string_array(strs)
                            .add_address_array(addrs)
                            .add_uint_array(uints)
                            .add_bytes(as_bytes("payload"))
                            .add_string("s")
                            .add_bool(true)
                            .finish();
    std::mt19937 rng(20240611);
    size_t decoded = 0;
    for (int round = 0; round < 5000; ++round) {
        Bytes data = valid;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            const size_t at = rng() % data.size();
            switch (rng() % 3) {
                case 0:
                    data[at] = static_cast<uint8_t>(rng());
                    break;
                case 1:
                    data[at] = 0xff;
                    break;
                default:
                    data.resize(at);
                    break;
            }
            if (data.empty()) break;
        }
        Decoder d(data);
        size_t total = 0;
        if (auto r = d.read_string_array()) {
            for (const auto& s : *r)
                total += s.size();
            ++decoded;
        }
        if (auto r = d.read_address_array()) total += r->size() * 20;
        if (auto r = d.read_uint_array()) total += r->size() * 32;
        if (auto r = d.read_bytes()) total += r->size();
        if (auto r = d.read_string()) total += r->size();
        (void)d.read_bool();
        EXPECT_LE(total, 2 * data.size());
    }
    EXPECT_GT(decoded, 0u);  // the corruption left some inputs decodable
}

}  // namespace
}  // namespace hc::abi
