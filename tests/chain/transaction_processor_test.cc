#include "chain/transaction_processor.h"

#include <gtest/gtest.h>

#include "common/keccak.h"

namespace hc::chain {
namespace {

using evm::StorageStatus;

Address addr(uint8_t last, uint8_t first = 0) {
    Address a;
    a.bytes[0] = first;
    a.bytes[19] = last;
    return a;
}
Hash32 slot(uint8_t n) {
    Hash32 h;
    h.bytes[31] = n;
    return h;
}

const Address kSender = addr(0x01, 0xaa);
const Address kCoinbase = addr(0x02, 0xcc);
const Address kContract = addr(0x03, 0xbb);
const uint256 kEther = uint256(1'000'000'000) * uint256(1'000'000'000);

BlockContext block(FeePolicy policy = FeePolicy::burn_base_fee) {
    BlockContext b;
    b.number = 10;
    b.timestamp = 1000;
    b.gas_limit = 30'000'000;
    b.coinbase = kCoinbase;
    b.base_fee = 10;
    b.fee_policy = policy;
    return b;
}

Transaction tx_to(const Address& to, uint64_t gas = 100'000, uint256 value = 0) {
    Transaction tx;
    tx.type = TxType::dynamic_fee;
    tx.chain_id = 1;
    tx.to = to;
    tx.gas_limit = gas;
    tx.value = value;
    tx.max_fee_per_gas = 20;
    tx.max_priority_fee_per_gas = 2;
    return tx;
}

// A world with a funded sender and, at kContract, the given code.
struct World {
    state::WorldState base;
    explicit World(Bytes code = {}) {
        state::StateDiff d;
        d.accounts[kSender] = state::Account{0, kEther, state::kEmptyCodeHash};
        if (!code.empty()) {
            const Hash32 h = keccak256(code);
            d.accounts[kContract] = state::Account{1, 0, h};
            d.code[h] = code;
        }
        d.storage[{kContract, slot(1)}] = 5;
        base.apply(d);
    }
};

TEST(CreateAddress, KnownVectors) {
    const Address sender = *parse_address("0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0");
    EXPECT_EQ(create_address(sender, 0),
              *parse_address("0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d"));
    EXPECT_EQ(create_address(sender, 1),
              *parse_address("0x343c43a37d37dff08ae8c4a11544c718abb4fcf8"));
    // EIP-1014, example 0.
    const Bytes init{0x00};
    EXPECT_EQ(create2_address(Address{}, Hash32{}, init),
              *parse_address("0x4d1a2e2bb4f88f0250f26ffff098b0b30b26bf38"));
}

TEST(EvmHost, StorageStatusFollowsOriginalCurrentAndNew) {
    World w;
    state::StateOverlay overlay(w.base);
    EvmHost host(overlay, evm::TxContext{}, nullptr);
    // Slot 0 starts at zero.
    EXPECT_EQ(host.set_storage(kContract, slot(0), 1), StorageStatus::added);
    EXPECT_EQ(host.set_storage(kContract, slot(0), 2), StorageStatus::assigned);
    EXPECT_EQ(host.set_storage(kContract, slot(0), 0), StorageStatus::added_deleted);
    // Slot 1 starts at 5.
    EXPECT_EQ(host.set_storage(kContract, slot(1), 5), StorageStatus::assigned);
    EXPECT_EQ(host.set_storage(kContract, slot(1), 0), StorageStatus::deleted);
    EXPECT_EQ(host.set_storage(kContract, slot(1), 7), StorageStatus::deleted_added);
    EXPECT_EQ(host.set_storage(kContract, slot(1), 0), StorageStatus::modified_deleted);
    EXPECT_EQ(host.set_storage(kContract, slot(1), 5), StorageStatus::deleted_restored);
    EXPECT_EQ(host.set_storage(kContract, slot(1), 6), StorageStatus::modified);
    EXPECT_EQ(host.set_storage(kContract, slot(1), 5), StorageStatus::modified_restored);
}

TEST(EvmHost, WarmSetsAndTransientStorage) {
    World w;
    state::StateOverlay overlay(w.base);
    EvmHost host(overlay, evm::TxContext{}, nullptr);
    EXPECT_EQ(host.access_account(kContract), evm::AccessStatus::cold);
    EXPECT_EQ(host.access_account(kContract), evm::AccessStatus::warm);
    EXPECT_EQ(host.access_storage(kContract, slot(3)), evm::AccessStatus::cold);
    EXPECT_EQ(host.access_storage(kContract, slot(3)), evm::AccessStatus::warm);
    host.set_transient_storage(kContract, slot(3), 9);
    EXPECT_EQ(host.get_transient_storage(kContract, slot(3)), uint256(9));
    EXPECT_EQ(host.get_transient_storage(kSender, slot(3)), uint256(0));
}

TEST(EvmHost, BlockHashOnlyForThePrevious256Blocks) {
    World w;
    state::StateOverlay overlay(w.base);
    evm::TxContext ctx;
    ctx.number = 300;
    EvmHost host(overlay, ctx, [](uint64_t n) { return slot(static_cast<uint8_t>(n)); });
    EXPECT_EQ(host.get_block_hash(299), slot(299 % 256));
    EXPECT_EQ(host.get_block_hash(44), slot(44));
    EXPECT_EQ(host.get_block_hash(43), Hash32{});
    EXPECT_EQ(host.get_block_hash(300), Hash32{});
}

TEST(ProcessTransaction, TransferBurnsBaseFeeAndPaysTip) {
    World w;
    state::StateOverlay overlay(w.base);
    auto out = process_transaction(overlay, tx_to(addr(0x44), 21000, 7), kSender, block());
    ASSERT_TRUE(out) << out.error().to_string();
    EXPECT_TRUE(out->status);
    EXPECT_EQ(out->gas_used, 21000u);
    EXPECT_EQ(overlay.balance(addr(0x44)), uint256(7));
    // Effective price min(20, 10 + 2) = 12: 10 burnt, 2 to the coinbase.
    EXPECT_EQ(overlay.balance(kCoinbase), uint256(21000 * 2));
    EXPECT_EQ(overlay.balance(kSender), kEther - uint256(21000 * 12) - uint256(7));
    EXPECT_EQ(overlay.nonce(kSender), 1u);
}

TEST(ProcessTransaction, ConsortiumPolicyPaysTheWholeFee) {
    World w;
    state::StateOverlay overlay(w.base);
    auto out = process_transaction(overlay, tx_to(addr(0x44), 21000), kSender,
                                   block(FeePolicy::pay_all_to_coinbase));
    ASSERT_TRUE(out);
    EXPECT_EQ(overlay.balance(kCoinbase), uint256(21000 * 12));
    // The zero-value transfer left no empty account behind (EIP-161).
    EXPECT_FALSE(overlay.exists(addr(0x44)));
}

TEST(ProcessTransaction, ContractStoresAndLogs) {
    // PUSH1 1 PUSH1 0 SSTORE PUSH1 0 PUSH1 0 LOG0 STOP
    World w(Bytes{0x60, 0x01, 0x60, 0x00, 0x55, 0x60, 0x00, 0x60, 0x00, 0xa0, 0x00});
    state::StateOverlay overlay(w.base);
    auto out = process_transaction(overlay, tx_to(kContract), kSender, block());
    ASSERT_TRUE(out) << out.error().to_string();
    EXPECT_TRUE(out->status);
    EXPECT_EQ(overlay.storage(kContract, slot(0)), uint256(1));
    ASSERT_EQ(out->logs.size(), 1u);
    EXPECT_EQ(out->logs[0].address, kContract);
    // 21000 + 3 + 3 + (20000 + 2100 cold) + 3 + 3 + 375.
    EXPECT_EQ(out->gas_used, 43487u);
}

TEST(ProcessTransaction, RevertUndoesStorageButKeepsNonceAndFee) {
    // PUSH1 1 PUSH1 0 SSTORE PUSH1 0 PUSH1 0 REVERT
    World w(Bytes{0x60, 0x01, 0x60, 0x00, 0x55, 0x60, 0x00, 0x60, 0x00, 0xfd});
    state::StateOverlay overlay(w.base);
    auto out = process_transaction(overlay, tx_to(kContract), kSender, block());
    ASSERT_TRUE(out);
    EXPECT_FALSE(out->status);
    EXPECT_EQ(overlay.storage(kContract, slot(0)), uint256(0));
    EXPECT_EQ(overlay.nonce(kSender), 1u);
    EXPECT_GT(out->gas_used, 21000u);
    EXPECT_TRUE(out->logs.empty());
}

TEST(ProcessTransaction, CreateDeploysCodeAtTheDerivedAddress) {
    World w;
    state::StateOverlay overlay(w.base);
    Transaction tx = tx_to(Address{}, 200'000);
    tx.to.reset();
    // Returns the one-byte code 0xfe: PUSH1 0xfe PUSH1 0 MSTORE8 PUSH1 1 PUSH1 0 RETURN
    tx.data = {0x60, 0xfe, 0x60, 0x00, 0x53, 0x60, 0x01, 0x60, 0x00, 0xf3};
    auto out = process_transaction(overlay, tx, kSender, block());
    ASSERT_TRUE(out) << out.error().to_string();
    ASSERT_TRUE(out->status);
    const Address created = create_address(kSender, 0);
    ASSERT_EQ(out->contract_address, created);
    EXPECT_EQ(Bytes(overlay.code(created).begin(), overlay.code(created).end()), Bytes{0xfe});
    EXPECT_EQ(overlay.nonce(created), 1u);
    EXPECT_EQ(overlay.nonce(kSender), 1u);
}

TEST(ProcessTransaction, InvalidTransactionsChangeNothing) {
    World w(Bytes{0x00});
    state::StateOverlay overlay(w.base);
    Transaction tx = tx_to(addr(0x44), 21000);
    tx.nonce = 3;
    auto r = process_transaction(overlay, tx, kSender, block());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("nonce too high"), std::string::npos);

    tx.nonce = 0;
    tx.value = kEther;
    r = process_transaction(overlay, tx, kSender, block());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("insufficient funds for gas * price + value"),
              std::string::npos);

    Transaction from_contract = tx_to(addr(0x44), 21000);
    from_contract.nonce = 1;  // the contract's nonce
    r = process_transaction(overlay, from_contract, kContract, block());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("sender not an eoa"), std::string::npos);

    r = process_transaction(overlay, tx_to(addr(0x44), 20999), kSender, block());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("intrinsic gas too low"), std::string::npos);

    Transaction low = tx_to(addr(0x44), 21000);
    low.max_fee_per_gas = 9;
    low.max_priority_fee_per_gas = 1;
    r = process_transaction(overlay, low, kSender, block());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("max fee per gas less than block base fee"),
              std::string::npos);
    EXPECT_TRUE(overlay.diff().empty());
}

TEST(ProcessTransaction, PointEvaluationPrecompileIsReportedNotGuessed) {
    World w;
    state::StateOverlay overlay(w.base);
    auto r = process_transaction(overlay, tx_to(addr(0x0a)), kSender, block());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::unsupported);
    EXPECT_TRUE(overlay.diff().empty());
}

TEST(StateOverlay, HasStorageSeesBaseAndOverlayWrites) {
    World w;
    state::StateOverlay overlay(w.base);
    EXPECT_TRUE(overlay.has_storage(kContract));
    EXPECT_FALSE(overlay.has_storage(kSender));
    overlay.set_storage(kContract, slot(1), 0);
    EXPECT_FALSE(overlay.has_storage(kContract));
    overlay.set_storage(kSender, slot(2), 3);
    EXPECT_TRUE(overlay.has_storage(kSender));
}

}  // namespace
}  // namespace hc::chain
