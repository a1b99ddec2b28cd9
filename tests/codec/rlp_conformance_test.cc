// Runs every case of ethereum-tests/RLPTests: VALID/plain cases must encode to "out" and decode
// back to the same structure; INVALID cases must be rejected by the strict decoder.
#include <gtest/gtest.h>

#include "codec/rlp.h"
#include "support/fixtures.h"

namespace hc {
namespace {

using nlohmann::json;

// Big-endian bytes of a decimal of any length (fixtures include 2^256, beyond uint256).
Bytes decimal_to_bytes(const std::string& digits) {
    Bytes be;  // big-endian magnitude, multiplied by 10 and incremented per digit
    for (char c : digits) {
        int carry = c - '0';
        for (auto it = be.rbegin(); it != be.rend(); ++it) {
            int v = *it * 10 + carry;
            *it = static_cast<uint8_t>(v & 0xff);
            carry = v >> 8;
        }
        while (carry) {
            be.insert(be.begin(), static_cast<uint8_t>(carry & 0xff));
            carry >>= 8;
        }
    }
    return be;
}

// Encodes a fixture "in" value: strings are raw bytes ("#digits" is a big integer), numbers are
// integers, arrays are lists.
Result<Bytes> encode_fixture(const json& in) {
    Bytes out;
    if (in.is_string()) {
        const auto& s = in.get_ref<const std::string&>();
        if (!s.empty() && s[0] == '#') {
            rlp::append_string(out, decimal_to_bytes(s.substr(1)));
        } else {
            rlp::append_string(out, as_bytes(s));
        }
    } else if (in.is_number_unsigned() || in.is_number_integer()) {
        rlp::append_uint(out, in.get<uint64_t>());
    } else if (in.is_array()) {
        std::vector<Bytes> items;
        for (const auto& e : in) {
            auto item = encode_fixture(e);
            if (!item) return item;
            items.push_back(std::move(*item));
        }
        return rlp::encode_list(items);
    } else {
        return make_error(Errc::invalid_argument, "unsupported fixture value " + in.dump());
    }
    return out;
}

// Re-encodes a decoded item from its parts, so a decode/encode round trip is checked.
Bytes reencode(const rlp::Item& item) {
    if (!item.is_list) return rlp::encode_string(item.payload);
    std::vector<Bytes> items;
    rlp::ListReader reader(item.payload);
    while (!reader.done())
        items.push_back(reencode(*reader.next()));
    return rlp::encode_list(items);
}

TEST(RlpConformance, AllFixtures) {
    std::string why;
    auto dir = test::eth_tests_dir("RLPTests", &why);
    if (!dir) GTEST_SKIP() << why;

    test::Tally tally;
    for (const auto& file : test::json_files(*dir)) {
        auto doc = test::read_json(file, &why);
        if (!doc) {
            tally.skip(file.filename().string(), why);
            continue;
        }
        for (const auto& [name, tc] : doc->items()) {
            const std::string id = file.filename().string() + "/" + name;
            auto out = from_hex(tc["out"].get<std::string>());
            if (!out) {
                tally.fail(id, "bad hex in fixture: " + out.error().message);
                continue;
            }
            const auto& in = tc["in"];
            const bool invalid = in.is_string() && in.get<std::string>() == "INVALID";
            const bool valid_only = in.is_string() && in.get<std::string>() == "VALID";
            auto decoded = rlp::decode_deep(*out);
            if (invalid) {
                if (decoded)
                    tally.fail(id, "malformed input was accepted");
                else
                    tally.pass();
                continue;
            }
            if (!decoded) {
                tally.fail(id, "valid input rejected: " + decoded.error().message);
                continue;
            }
            if (reencode(*decoded) != *out) {
                tally.fail(id, "decode/encode round trip differs");
                continue;
            }
            if (!valid_only) {
                auto encoded = encode_fixture(in);
                if (!encoded) {
                    tally.fail(id, encoded.error().message);
                    continue;
                }
                if (*encoded != *out) {
                    tally.fail(id, "encoded " + to_hex(*encoded) + ", expected " + to_hex(*out));
                    continue;
                }
            }
            tally.pass();
        }
    }
    tally.report("RLPTests");
    EXPECT_EQ(tally.failed, 0u);
    EXPECT_GT(tally.passed, 0u);
}

}  // namespace
}  // namespace hc
