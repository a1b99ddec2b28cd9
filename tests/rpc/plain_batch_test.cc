#include "rpc/plain_batch.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "rpc/client.h"

namespace hc::rpc {
namespace {

using nlohmann::json;

// What the general parser makes of a body, or a discarded value when it is not JSON.
json general(const std::string& body) {
    return json::parse(body, nullptr, /*allow_exceptions=*/false);
}

TEST(PlainBatch, TakesTheBatchTheLoadGeneratorSends) {
    std::vector<Request> requests;
    for (int i = 0; i < 100; ++i)
        requests.push_back({"eth_sendRawTransaction", json::array({"0x02f87082053980843b9aca00"})});
    const std::string body = batch_body(requests, 4200);
    auto plain = parse_plain_batch(body, 64);
    ASSERT_TRUE(plain) << body.substr(0, 200);
    EXPECT_EQ(*plain, general(body));
    ASSERT_EQ(plain->size(), 100u);
    EXPECT_EQ((*plain)[7]["id"], json(4207u));
    EXPECT_EQ((*plain)[7]["id"].type(), json::value_t::number_unsigned);
}

TEST(PlainBatch, RefusesWhatItDoesNotReadAndTheGeneralParserDecides) {
    const std::vector<std::string> refused = {
        R"([{"id":1,"method":"a\"b"}])",         // an escape
        R"([{"id":1,"method":"\u0061"}])",       // a \u escape
        "[{\"id\":1,\"method\":\"\xc3\xa9\"}]",  // UTF-8 beyond ASCII
        R"([{"id":1.5}])",                       // a fraction
        R"([{"id":1e3}])",                       // an exponent
        R"([{"id":-1}])",                        // a sign
        R"([{"id":01}])",                        // a leading zero
        R"([{"id":10000000000000000000}])",      // 20 digits
        R"([{"params":[{"to":"0x1"}]}])",        // an object in the params
        R"([{"params":[[1]]}])",                 // an array in the params array
        R"([{"params":{"a":1}}])",               // params by name
        R"([])",                                 // an empty batch
        R"({"id":1,"method":"m"})",              // one request, not a batch
        R"([{"id":1}] x)",                       // something after the batch
        R"([{"id":1},])",                        // a trailing comma
        R"([{"id":1})",                          // cut short
        R"([{"id" 1}])",                         // no colon
        R"([{"id":tru}])",                       // a misspelt literal
        R"([1])",                                // not an object
    };
    for (const std::string& body : refused)
        EXPECT_FALSE(parse_plain_batch(body, 64)) << body;
    // Too shallow a limit for array > object > params array: the general parser says so.
    EXPECT_FALSE(parse_plain_batch(R"([{"params":["a"]}])", 2));
    EXPECT_TRUE(parse_plain_batch(R"([{"params":["a"]}])", 3));
}

TEST(PlainBatch, ReadsEveryConstructItTakesAsTheGeneralParserDoes) {
    const std::string body =
        " \n\t[ {\"jsonrpc\" : \"2.0\", \"id\":0,\"method\":\"m\",\"params\":[]} ,"
        "{\"id\":18446744073,\"a\":true,\"b\":false,\"c\":null,\"d\":\"\","
        "\"e\":[\"x\",7,true,false,null],\"id\":9999999999999999999},{}]\r\n";
    auto plain = parse_plain_batch(body, 64);
    ASSERT_TRUE(plain);
    EXPECT_EQ(*plain, general(body));
    EXPECT_EQ(plain->dump(), general(body).dump());
    EXPECT_EQ((*plain)[1]["id"], json(9999999999999999999u)) << "the last of a repeated key wins";
}

// Random bodies from a grammar wider than the plain one, then random edits: every body the fast
// path takes must read exactly as the general parser reads it, and both outcomes must occur.
TEST(PlainBatch, AgreesWithTheGeneralParserOnRandomBodies) {
    std::mt19937_64 rng(20261207);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    const std::vector<std::string> scalars = {"0",
                                              "7",
                                              "42",
                                              "18446744073709551615",
                                              "9999999999999999999",
                                              "1.5",
                                              "-3",
                                              "1e2",
                                              "00",
                                              "true",
                                              "false",
                                              "null",
                                              "\"\"",
                                              "\"0xabcdef\"",
                                              "\"eth_sendRawTransaction\"",
                                              "\"a\\\"b\"",
                                              "\"\\u00e9\"",
                                              "\"2.0\"",
                                              "{}",
                                              "{\"k\":1}",
                                              "[1,[2]]"};
    const std::vector<std::string> keys = {"jsonrpc", "id", "method", "params", "x", "id"};
    const std::vector<std::string> spaces = {"", "", " ", "\n", "\t", " \r\n "};
    auto value = [&] {
        if (pick(3) != 0) return scalars[pick(scalars.size())];
        std::string a = "[";
        for (size_t i = 0, n = pick(4); i < n; ++i)
            a += (i ? "," : "") + spaces[pick(spaces.size())] + scalars[pick(scalars.size())];
        return a + "]";
    };
    size_t taken = 0, refused = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string body = spaces[pick(spaces.size())] + "[";
        for (size_t r = 0, n = 1 + pick(4); r < n; ++r) {
            body += (r ? "," : "") + std::string("{");
            for (size_t m = 0, k = pick(5); m < k; ++m)
                body += (m ? "," : "") + spaces[pick(spaces.size())] + "\"" +
                        keys[pick(keys.size())] + "\"" + spaces[pick(spaces.size())] + ":" +
                        value();
            body += "}";
        }
        body += "]" + spaces[pick(spaces.size())];
        for (size_t e = 0, edits = pick(4) == 0 ? 1 + pick(2) : 0; e < edits && !body.empty();
             ++e) {
            const size_t at = pick(body.size());
            const std::string noise = "[]{},:\"0 a";
            switch (pick(3)) {
                case 0:
                    body.erase(at, 1);
                    break;
                case 1:
                    body.insert(at, 1, noise[pick(noise.size())]);
                    break;
                default:
                    body[at] = noise[pick(noise.size())];
                    break;
            }
        }
        const auto plain = parse_plain_batch(body, 64);
        if (!plain) {
            ++refused;
            continue;
        }
        ++taken;
        const json expected = general(body);
        ASSERT_FALSE(expected.is_discarded()) << "taken, but not JSON: " << body;
        ASSERT_EQ(*plain, expected) << body;
        ASSERT_EQ(plain->dump(), expected.dump()) << body;
    }
    EXPECT_GT(taken, 1500u);
    EXPECT_GT(refused, 5000u);
}

}  // namespace
}  // namespace hc::rpc
