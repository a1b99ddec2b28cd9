#include "ledger/transaction.h"

#include <gtest/gtest.h>

#include "crypto/secp256k1.h"

namespace hc {
namespace {

Bytes hex(std::string_view h) {
    return *from_hex(h);
}
Hash32 key(uint8_t fill) {
    Hash32 k;
    k.bytes.fill(fill);
    return k;
}

// The worked example in EIP-155's specification.
TEST(Transaction, Eip155SpecificationExample) {
    Transaction tx;
    tx.chain_id = 1;
    tx.nonce = 9;
    tx.gas_price = uint256(20'000'000'000ULL);
    tx.gas_limit = 21000;
    tx.to = *parse_address("0x3535353535353535353535353535353535353535");
    tx.value = *uint256::from_string("1000000000000000000");
    EXPECT_EQ(signing_hash(tx).hex(),
              "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
    ASSERT_TRUE(sign_transaction(tx, key(0x46)));
    EXPECT_EQ(
        to_hex(encode_transaction(tx)),
        "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
        "8025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f76"
        "1aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83");
    auto sender = recover_sender(tx);
    ASSERT_TRUE(sender);
    EXPECT_EQ(*sender, *crypto::secp256k1_address(key(0x46)));
}

Transaction sample(TxType type) {
    Transaction tx;
    tx.type = type;
    tx.chain_id = 1337;
    tx.nonce = 7;
    tx.gas_limit = 100000;
    tx.to = *parse_address("0x00000000000000000000000000000000000000aa");
    tx.value = uint256(12345);
    tx.data = hex("deadbeef00");
    if (type == TxType::dynamic_fee) {
        tx.max_priority_fee_per_gas = uint256(2);
        tx.max_fee_per_gas = uint256(100);
    } else {
        tx.gas_price = uint256(50);
    }
    if (type != TxType::legacy) {
        Hash32 slot;
        slot[31] = 1;
        tx.access_list = {
            {*parse_address("0x00000000000000000000000000000000000000bb"), {slot, Hash32{}}}};
    }
    return tx;
}

class TransactionTypes : public ::testing::TestWithParam<TxType> {};

TEST_P(TransactionTypes, SignEncodeDecodeRecover) {
    Transaction tx = sample(GetParam());
    ASSERT_TRUE(sign_transaction(tx, key(0x11)));
    Bytes raw = encode_transaction(tx);
    if (GetParam() != TxType::legacy) {
        EXPECT_EQ(raw[0], static_cast<uint8_t>(GetParam()));
    }
    auto back = decode_transaction(raw);
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, tx);
    EXPECT_EQ(transaction_hash(*back), transaction_hash(tx));
    auto sender = validate_transaction(*back, 1337);
    ASSERT_TRUE(sender) << sender.error().to_string();
    EXPECT_EQ(*sender, *crypto::secp256k1_address(key(0x11)));

    // Any change to a signed field changes the recovered sender.
    Transaction tampered = *back;
    tampered.value = uint256(12346);
    auto other = recover_sender(tampered);
    EXPECT_TRUE(!other || *other != *sender);

    // Wrong chain.
    auto wrong_chain = validate_transaction(*back, 1);
    ASSERT_FALSE(wrong_chain);
    EXPECT_NE(wrong_chain.error().message.find("chain id"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, TransactionTypes,
                         ::testing::Values(TxType::legacy, TxType::access_list,
                                           TxType::dynamic_fee));

TEST(Transaction, UnsupportedTypesAreNamed) {
    for (uint8_t type : {3, 4, 5, 0x7f}) {
        Bytes raw = {type, 0xc0};
        auto tx = decode_transaction(raw);
        ASSERT_FALSE(tx);
        EXPECT_EQ(tx.error().code, Errc::unsupported);
        EXPECT_EQ(tx.error().message,
                  "transaction type " + std::to_string(type) + " not supported");
    }
}

TEST(Transaction, MalformedInputIsRejected) {
    EXPECT_FALSE(decode_transaction({}));
    EXPECT_FALSE(decode_transaction(hex("80")));    // RLP string, not a list
    EXPECT_FALSE(decode_transaction(hex("c0")));    // too few fields
    EXPECT_FALSE(decode_transaction(hex("02c0")));  // typed, too few fields
    EXPECT_FALSE(decode_transaction(hex("02")));    // type byte alone
    Bytes big(kMaxTransactionSize + 1, 0xc0);
    auto oversized = decode_transaction(big);
    ASSERT_FALSE(oversized);
    EXPECT_NE(oversized.error().message.find("oversized data"), std::string::npos);

    // A 19-byte recipient.
    Transaction tx = sample(TxType::legacy);
    ASSERT_TRUE(sign_transaction(tx, key(0x11)));
    Bytes raw = encode_transaction(tx);
    auto pos = std::search(raw.begin(), raw.end(), tx.to->bytes.begin(), tx.to->bytes.end());
    ASSERT_NE(pos, raw.end());
    *(pos - 1) = 0x93;                          // header says 19 bytes...
    raw.erase(pos);                             // ...and one byte is gone
    raw[1] = static_cast<uint8_t>(raw[1] - 1);  // fix the outer list length
    auto bad_to = decode_transaction(raw);
    ASSERT_FALSE(bad_to);
    EXPECT_NE(bad_to.error().message.find("20 bytes"), std::string::npos);
}

TEST(Transaction, HighSIsRejected) {
    Transaction tx = sample(TxType::dynamic_fee);
    ASSERT_TRUE(sign_transaction(tx, key(0x22)));
    ASSERT_TRUE(recover_sender(tx));
    // s' = n - s is the same signature's mirror; EIP-2 forbids it.
    Transaction mirrored = tx;
    mirrored.s = crypto::kSecp256k1N - tx.s;
    mirrored.y_parity ^= 1;
    auto r = recover_sender(mirrored);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("EIP-2"), std::string::npos);
}

TEST(Transaction, StatelessRules) {
    Transaction tx = sample(TxType::dynamic_fee);
    tx.max_priority_fee_per_gas = uint256(101);  // above the cap
    ASSERT_TRUE(sign_transaction(tx, key(0x11)));
    EXPECT_FALSE(validate_transaction(tx, 1337));

    tx = sample(TxType::legacy);
    tx.gas_limit = 21000;  // data makes it need more
    ASSERT_TRUE(sign_transaction(tx, key(0x11)));
    auto low = validate_transaction(tx, 1337);
    ASSERT_FALSE(low);
    EXPECT_NE(low.error().message.find("intrinsic gas too low"), std::string::npos);

    tx = sample(TxType::legacy);
    tx.to.reset();
    tx.data.assign(kMaxInitcodeSize + 1, 1);
    tx.gas_limit = 10'000'000;
    ASSERT_TRUE(sign_transaction(tx, key(0x11)));
    auto initcode = validate_transaction(tx, 1337);
    ASSERT_FALSE(initcode);
    EXPECT_NE(initcode.error().message.find("initcode"), std::string::npos);

    tx = sample(TxType::legacy);
    tx.nonce = ~uint64_t{0};
    ASSERT_TRUE(sign_transaction(tx, key(0x11)));
    EXPECT_FALSE(validate_transaction(tx, 1337));
}

TEST(Transaction, IntrinsicGas) {
    Transaction tx;
    tx.to = Address{};
    EXPECT_EQ(intrinsic_gas(tx), 21000u);
    tx.data = hex("0001");
    EXPECT_EQ(intrinsic_gas(tx), 21000u + 4 + 16);
    tx.to.reset();
    tx.data.assign(33, 0);  // two initcode words
    EXPECT_EQ(intrinsic_gas(tx), 53000u + 33 * 4 + 2 * 2);
    tx.to = Address{};
    tx.data.clear();
    tx.access_list = {{Address{}, {Hash32{}, Hash32{}}}};
    EXPECT_EQ(intrinsic_gas(tx), 21000u + 2400 + 2 * 1900);
}

TEST(Transaction, UnprotectedLegacyHasNoChainId) {
    Transaction tx = sample(TxType::legacy);
    tx.chain_id.reset();
    ASSERT_TRUE(sign_transaction(tx, key(0x33)));
    Bytes raw = encode_transaction(tx);
    auto back = decode_transaction(raw);
    ASSERT_TRUE(back);
    EXPECT_FALSE(back->chain_id.has_value());
    EXPECT_TRUE(validate_transaction(*back, 1337));  // replayable across chains, as on Ethereum
}

// Inputs found by `make fuzz` (fuzz_transaction). Each must be rejected, or accepted only if it
// re-encodes to exactly the same bytes.
TEST(TransactionFuzzRegression, MalformedTrailingItemIsRejected) {
    // A valid-looking legacy transaction whose list continues past `s` with a malformed item;
    // the field count once stopped at the malformed item and reported 9.
    Bytes raw =
        hex("f86c098504a817c800825208943535353535353535353535303535323737373737880de0b6b3a764"
            "00008025a028ef613417c800825208d43535353535353535353535353535353535353535880de0b6"
            "b32a6400001aecb703304b3800ccf5bc39d90b3461ef283737966a3b6d83");
    auto tx = decode_transaction(raw);
    ASSERT_FALSE(tx) << "accepted; re-encodes to " << to_hex(encode_transaction(*tx));
    EXPECT_EQ(tx.error().code, Errc::decode);
}

}  // namespace
}  // namespace hc
