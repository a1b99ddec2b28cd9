#include "chain/chain.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "chain/evm_host.h"
#include "codec/rlp.h"
#include "common/keccak.h"
#include "crypto/secp256k1.h"
#include "storage/memory_store.h"
#include "storage/rocks_store.h"
#include "support/temp_dir.h"

namespace hc::chain {
namespace {

constexpr uint64_t kChainId = 1337;
const uint256 kGwei = uint256(1'000'000'000);

struct Key {
    Hash32 secret;
    Address address;
};

Key key(uint8_t n) {
    Key k;
    k.secret.bytes[31] = n;
    k.secret.bytes[0] = 0x11;
    k.address = *crypto::secp256k1_address(k.secret);
    return k;
}

Address proposer() {
    Address a;
    a.bytes[0] = 0xfe;
    return a;
}

ChainConfig config_for(std::vector<Key> funded, uint256 base_fee = uint256(1'000'000'000)) {
    ChainConfig c;
    c.chain_id = kChainId;
    c.gas_limit = 1'000'000;
    c.base_fee = base_fee;
    for (const Key& k : funded)
        c.alloc.push_back({k.address, uint256(1'000'000) * kGwei * kGwei});
    return c;
}

BlockTx transfer(const Key& from, const Address& to, uint64_t nonce, uint256 value,
                 TxType type = TxType::dynamic_fee, uint256 fee_cap = uint256(2'000'000'000)) {
    Transaction tx;
    tx.type = type;
    tx.chain_id = kChainId;
    tx.nonce = nonce;
    tx.gas_limit = 21000;
    tx.to = to;
    tx.value = value;
    if (type == TxType::dynamic_fee) {
        tx.max_fee_per_gas = fee_cap;
        tx.max_priority_fee_per_gas = uint256(500'000'000);
    } else {
        tx.gas_price = fee_cap;
    }
    EXPECT_TRUE(sign_transaction(tx, from.secret));
    return BlockTx{tx, transaction_hash(tx), from.address};
}

uint256 total_balance(const Chain& chain, const std::vector<Address>& addresses) {
    uint256 sum;
    for (const Address& a : addresses)
        sum = sum + chain.account(a).balance;
    return sum;
}

// Null (and a failed expectation) when the chain does not open.
std::unique_ptr<Chain> open_on(std::unique_ptr<storage::KvStore> store, const ChainConfig& config) {
    auto chain = Chain::open(std::move(store), config);
    EXPECT_TRUE(chain) << chain.error().to_string();
    return chain ? std::move(*chain) : nullptr;
}

std::unique_ptr<Chain> open_memory(const ChainConfig& config) {
    return open_on(std::make_unique<storage::MemoryStore>(), config);
}

BlockTx send(const Key& from, std::optional<Address> to, uint64_t nonce, Bytes data,
             uint64_t gas = 200'000, uint256 value = 0) {
    BlockTx t = transfer(from, to.value_or(Address{}), nonce, value);
    t.tx.to = to;
    t.tx.data = std::move(data);
    t.tx.gas_limit = gas;
    EXPECT_TRUE(sign_transaction(t.tx, from.secret));
    t.hash = transaction_hash(t.tx);
    return t;
}

Bytes word(uint64_t v) {
    const auto be = uint256(v).to_be();
    return Bytes(be.begin(), be.end());
}

// Init code that deploys `runtime` (under 256 bytes): CODECOPY it to memory and RETURN it.
Bytes deploy_code(const Bytes& runtime) {
    const auto n = static_cast<uint8_t>(runtime.size());
    Bytes code = {0x60, n, 0x60, 10, 0x5f, 0x39, 0x60, n, 0x5f, 0xf3};
    for (uint8_t b : runtime)
        code.push_back(b);
    return code;
}

// A one-slot store. No calldata: returns slot 0. A word v != 0: stores it in slot 0 and logs it
// (LOG1, topic 0xaa). A zero word: reverts with the single byte 0xee.
const Bytes kStore = {
    0x36, 0x15, 0x60, 0x18, 0x57,                          // if calldatasize == 0 goto get
    0x5f, 0x35, 0x80, 0x15, 0x60, 0x21, 0x57,              // v = calldata[0]; if v == 0 goto rev
    0x80, 0x5f, 0x55,                                      // sstore(0, v)
    0x5f, 0x52, 0x60, 0xaa, 0x60, 0x20, 0x5f, 0xa1, 0x00,  // mstore(0, v); log1(0, 32, 0xaa)
    0x5b, 0x5f, 0x54, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3,  // get: return sload(0)
    0x5b, 0x60, 0xee, 0x5f, 0x53, 0x60, 0x01, 0x5f, 0xfd,  // rev: revert(0xee)
};

// Calls itself with calldata depth + 1 and all the gas it may pass on, and returns the depth
// of the first call that failed (ran out of gas, or went past the limit of 1024 nested calls).
const Bytes kRecurse = {
    0x5f, 0x35, 0x60, 0x01, 0x01, 0x5f, 0x52,                    // mstore(0, calldata[0] + 1)
    0x60, 0x20, 0x5f, 0x60, 0x20, 0x5f, 0x5f, 0x30, 0x5a, 0xf1,  // call(gas, self, 0, 0, 32, 0, 32)
    0x50, 0x60, 0x20, 0x5f, 0xf3,                                // return mstore(0..32)
};

// Forwards a 32-byte argument to `target` with all the gas it may pass on, and reverts if that
// call failed: the gas it needs is more than it uses (the 63/64 rule).
Bytes forwarder(const Address& target) {
    Bytes code = {0x5f, 0x35, 0x5f, 0x52, 0x5f, 0x5f, 0x60, 0x20, 0x5f, 0x5f, 0x73};
    for (uint8_t b : target.bytes)
        code.push_back(b);
    for (uint8_t b : {0x5a, 0xf1, 0x15, 0x60, 0x26, 0x57, 0x00, 0x5b, 0x5f, 0x5f, 0xfd})
        code.push_back(b);
    return code;
}

// Deploys code from `from` (next nonce `nonce`) in its own block; returns the address.
Address deploy(Chain& chain, const Key& from, uint64_t nonce, const Bytes& runtime) {
    auto block =
        chain.commit_block({send(from, std::nullopt, nonce, deploy_code(runtime))}, 1, proposer());
    EXPECT_TRUE(block) << block.error().to_string();
    EXPECT_EQ(block->block.transactions.size(), 1u);
    EXPECT_TRUE(block->receipts.receipts.at(0).status);
    return block->receipts.metas.at(0).contract_address.value_or(Address{});
}

TEST(BlockExecution, TransferMovesValueAndPaysTheProposer) {
    Key alice = key(1), bob = key(2);
    auto chain = open_memory(config_for({alice}));
    const uint256 start = chain->account(alice.address).balance;
    const uint256 supply = total_balance(*chain, {alice.address, bob.address, proposer()});

    auto block =
        chain->commit_block({transfer(alice, bob.address, 0, uint256(1000))}, 100, proposer());
    ASSERT_TRUE(block) << block.error().to_string();
    ASSERT_EQ(block->block.transactions.size(), 1u);
    EXPECT_TRUE(block->rejected.empty());
    // Type 2: min(max fee 2 gwei, base fee 1 gwei + tip 0.5 gwei) = 1.5 gwei per gas.
    const uint256 fee = uint256(21000) * uint256(1'500'000'000);
    EXPECT_EQ(chain->account(alice.address).balance, start - uint256(1000) - fee);
    EXPECT_EQ(chain->account(alice.address).nonce, 1u);
    EXPECT_EQ(chain->account(bob.address).balance, uint256(1000));
    EXPECT_EQ(chain->account(proposer()).balance, fee);
    EXPECT_EQ(total_balance(*chain, {alice.address, bob.address, proposer()}), supply);

    const auto& r = block->receipts;
    ASSERT_EQ(r.receipts.size(), 1u);
    EXPECT_TRUE(r.receipts[0].status);
    EXPECT_EQ(r.receipts[0].cumulative_gas_used, 21000u);
    EXPECT_EQ(r.metas[0].gas_used, 21000u);
    EXPECT_EQ(r.senders[0], alice.address);
    EXPECT_EQ(block->block.header.gas_used, 21000u);
    EXPECT_EQ(block->block.header.number, 1u);
    EXPECT_EQ(block->block.header.base_fee_per_gas, uint256(1'000'000'000));
}

TEST(BlockExecution, ZeroMinimumGasPriceRunsFree) {
    Key alice = key(1), bob = key(2);
    auto chain = open_memory(config_for({alice}, uint256(0)));
    const uint256 start = chain->account(alice.address).balance;
    auto block = chain->commit_block(
        {transfer(alice, bob.address, 0, uint256(5), TxType::legacy, uint256(0))}, 1, proposer());
    ASSERT_TRUE(block);
    ASSERT_EQ(block->block.transactions.size(), 1u);
    EXPECT_EQ(chain->account(alice.address).balance, start - uint256(5));
    // No fee, so no empty account is created for the proposer.
    EXPECT_EQ(chain->account(proposer()).balance, uint256(0));
    bool proposer_exists = true;
    chain->read_state([&](const state::WorldState& ws, const BlockHeader&) {
        proposer_exists = ws.account(proposer()).has_value();
    });
    EXPECT_FALSE(proposer_exists);
}

TEST(BlockExecution, InvalidTransactionsAreLeftOutWithEthereumWording) {
    Key alice = key(1), poor = key(9), bob = key(2);
    auto chain = open_memory(config_for({alice}));
    std::vector<BlockTx> txs = {
        transfer(alice, bob.address, 0, uint256(1)),
        transfer(alice, bob.address, 0, uint256(2)),                              // nonce reused
        transfer(alice, bob.address, 5, uint256(3)),                              // gap
        transfer(poor, bob.address, 0, uint256(1)),                               // no funds
        transfer(alice, bob.address, 1, uint256(1), TxType::legacy, uint256(1)),  // below base
    };
    auto block = chain->commit_block(txs, 1, proposer());
    ASSERT_TRUE(block);
    EXPECT_EQ(block->block.transactions.size(), 1u);
    ASSERT_EQ(block->rejected.size(), 4u);
    auto reason = [&](size_t i) { return block->rejected[i].second.message; };
    EXPECT_EQ(reason(0).rfind("nonce too low", 0), 0u) << reason(0);
    EXPECT_EQ(reason(1).rfind("nonce too high", 0), 0u) << reason(1);
    EXPECT_EQ(reason(2).rfind("insufficient funds for gas * price + value", 0), 0u) << reason(2);
    EXPECT_EQ(reason(3).rfind("max fee per gas less than block base fee", 0), 0u) << reason(3);
}

TEST(BlockExecution, BlockGasLimitIsRespected) {
    Key alice = key(1), bob = key(2);
    auto config = config_for({alice});
    config.gas_limit = 50000;  // room for two transfers
    auto chain = open_memory(config);
    std::vector<BlockTx> txs;
    for (uint64_t n = 0; n < 3; ++n)
        txs.push_back(transfer(alice, bob.address, n, uint256(1)));
    auto block = chain->commit_block(txs, 1, proposer());
    ASSERT_TRUE(block);
    EXPECT_EQ(block->block.transactions.size(), 2u);
    ASSERT_EQ(block->rejected.size(), 1u);
    EXPECT_EQ(block->rejected[0].second.message.rfind("gas limit reached", 0), 0u);
}

TEST(Contracts, DeployCallLogAndRevertInBlocks) {
    Key alice = key(1);
    auto chain = open_memory(config_for({alice}));
    auto created =
        chain->commit_block({send(alice, std::nullopt, 0, deploy_code(kStore))}, 1, proposer());
    ASSERT_TRUE(created) << created.error().to_string();
    ASSERT_EQ(created->receipts.receipts.size(), 1u);
    EXPECT_TRUE(created->receipts.receipts[0].status);
    const Address store = create_address(alice.address, 0);
    EXPECT_EQ(created->receipts.metas[0].contract_address, store);
    auto code = chain->code_at(store, 1);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, kStore);

    // A write with a log, and a revert, in one block: the revert is included, fails, and pays.
    auto block = chain->commit_block(
        {send(alice, store, 1, word(5)), send(alice, store, 2, word(0))}, 2, proposer());
    ASSERT_TRUE(block) << block.error().to_string();
    ASSERT_EQ(block->receipts.receipts.size(), 2u);
    const Receipt& wrote = block->receipts.receipts[0];
    EXPECT_TRUE(wrote.status);
    ASSERT_EQ(wrote.logs.size(), 1u);
    EXPECT_EQ(wrote.logs[0].address, store);
    ASSERT_EQ(wrote.logs[0].topics.size(), 1u);
    EXPECT_EQ(wrote.logs[0].topics[0], Hash32(uint256(0xaa).to_be()));
    EXPECT_EQ(wrote.logs[0].data, word(5));
    EXPECT_TRUE(block->block.header.logs_bloom.contains(store.view()));
    EXPECT_FALSE(block->receipts.receipts[1].status);
    EXPECT_TRUE(block->receipts.receipts[1].logs.empty());
    EXPECT_GT(block->receipts.metas[1].gas_used, 21000u);
    EXPECT_EQ(block->block.header.gas_used,
              block->receipts.metas[0].gas_used + block->receipts.metas[1].gas_used);
    auto slot0 = chain->storage_at(store, Hash32{}, 2);
    ASSERT_TRUE(slot0);
    EXPECT_EQ(*slot0, uint256(5));

    LogFilter filter{0, 2, {store}, {}};
    auto logs = chain->logs(filter, 10);
    ASSERT_TRUE(logs);
    ASSERT_EQ(logs->size(), 1u);
    EXPECT_EQ((*logs)[0].tx_hash, block->tx_hashes[0]);
    EXPECT_TRUE(chain->verify());
}

TEST(Chain, OneTransactionsReceiptIsWhatTheWholeBlockDecodesTo) {
    Key alice = key(1), bob = key(2);
    auto chain = open_memory(config_for({alice, bob}));
    const Address store = deploy(*chain, alice, 0, kStore);
    // Logs at indexes 0, (none), 1, (revert), 2: each receipt's first log index counts the logs
    // before it in the block.
    auto block = chain->commit_block(
        {send(alice, store, 1, word(5)), send(bob, store, 0, {}), send(alice, store, 2, word(6)),
         send(bob, store, 1, word(0)), send(alice, store, 3, word(7))},
        2, proposer());
    ASSERT_TRUE(block) << block.error().to_string();
    ASSERT_EQ(block->block.transactions.size(), 5u);
    auto body = chain->body(block->hash);
    auto receipts = chain->receipts(block->hash);
    ASSERT_TRUE(body && *body && receipts && *receipts);
    uint32_t logs_before = 0;
    for (uint32_t i = 0; i < 5; ++i) {
        auto one = chain->transaction_receipt({block->hash, 2, i});
        ASSERT_TRUE(one) << one.error().to_string();
        ASSERT_TRUE(*one) << i;
        EXPECT_EQ((*one)->tx, (**body)[i]) << i;
        EXPECT_EQ((*one)->receipt, (*receipts)->receipts[i]) << i;
        EXPECT_EQ((*one)->meta, (*receipts)->metas[i]) << i;
        EXPECT_EQ((*one)->sender, (*receipts)->senders[i]) << i;
        EXPECT_EQ((*one)->first_log_index, logs_before) << i;
        logs_before += static_cast<uint32_t>((*receipts)->receipts[i].logs.size());
    }
    EXPECT_EQ(logs_before, 3u);
    auto past = chain->transaction_receipt({block->hash, 2, 5});
    ASSERT_FALSE(past);
    EXPECT_NE(past.error().message.find("no transaction 5"), std::string::npos);
    Hash32 unknown;
    unknown.bytes[0] = 0x42;
    auto none = chain->transaction_receipt({unknown, 9, 0});
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
}

TEST(Contracts, KzgPointEvaluationIsLeftOutAsUnsupported) {
    Key alice = key(1);
    auto chain = open_memory(config_for({alice}));
    Address kzg;
    kzg.bytes[19] = 0x0a;
    auto block = chain->commit_block({send(alice, kzg, 0, Bytes(192, 0))}, 1, proposer());
    ASSERT_TRUE(block);
    EXPECT_TRUE(block->block.transactions.empty());
    ASSERT_EQ(block->rejected.size(), 1u);
    EXPECT_EQ(block->rejected[0].second.code, Errc::unsupported);
    EXPECT_NE(block->rejected[0].second.message.find("0x0a"), std::string::npos)
        << block->rejected[0].second.message;
}

TEST(Contracts, NestedCallsReachTheDepthLimitWithoutCrashing) {
    Key alice = key(1);
    auto config = config_for({alice});
    // 63/64 of the gas passes down each level, so 1024 levels need about 10^11 gas.
    config.gas_limit = 200'000'000'000;
    auto chain = open_memory(config);
    const Address recurse = deploy(*chain, alice, 0, kRecurse);

    CallRequest request;
    request.to = recurse;
    auto deep = chain->call(request, 1);
    ASSERT_TRUE(deep) << deep.error().to_string();
    EXPECT_TRUE(deep->status);
    // 1024 calls nested below the transaction's frame ran; the next one failed.
    EXPECT_EQ(deep->output, word(1025));

    // With a usual gas limit the gas runs out first, some hundreds of levels down.
    request.gas = 30'000'000;
    auto shallow = chain->call(request, 1);
    ASSERT_TRUE(shallow);
    const auto depth = uint256::from_be(shallow->output);
    ASSERT_TRUE(depth);
    EXPECT_GT(*depth, uint256(300));
    EXPECT_LT(*depth, uint256(1024));

    // The same in a block.
    auto block = chain->commit_block({send(alice, recurse, 1, {}, 150'000'000'000)}, 2, proposer());
    ASSERT_TRUE(block) << block.error().to_string();
    ASSERT_EQ(block->receipts.receipts.size(), 1u);
    EXPECT_TRUE(block->receipts.receipts[0].status);
    EXPECT_TRUE(chain->verify());
}

TEST(Contracts, CallReadsTheStateOfTheBlockAskedFor) {
    Key alice = key(1);
    auto chain = open_memory(config_for({alice}));
    const Address store = deploy(*chain, alice, 0, kStore);  // block 1: slot 0 is 0
    ASSERT_TRUE(chain->commit_block({send(alice, store, 1, word(5))}, 2, proposer()));
    ASSERT_TRUE(chain->commit_block({send(alice, store, 2, word(9))}, 3, proposer()));

    CallRequest get;
    get.to = store;
    const uint64_t expected[] = {0, 0, 5, 9};
    for (uint64_t n = 1; n <= 3; ++n) {
        auto r = chain->call(get, n);
        ASSERT_TRUE(r) << r.error().to_string();
        EXPECT_TRUE(r->status);
        EXPECT_EQ(r->output, word(expected[n])) << "block " << n;
    }
    auto before = chain->call(get, 0);  // no code yet: nothing runs
    ASSERT_TRUE(before);
    EXPECT_TRUE(before->status);
    EXPECT_TRUE(before->output.empty());
    auto beyond = chain->call(get, 4);
    ASSERT_FALSE(beyond);
    EXPECT_NE(beyond.error().message.find("beyond the head block 3"), std::string::npos);

    // A write in a call changes nothing.
    CallRequest put = get;
    put.data = word(42);
    auto wrote = chain->call(put, 3);
    ASSERT_TRUE(wrote);
    EXPECT_TRUE(wrote->status);
    EXPECT_EQ(wrote->logs.size(), 1u);
    EXPECT_EQ(*chain->storage_at(store, Hash32{}, 3), uint256(9));

    // A revert is an outcome with its data; a request the sender cannot pay for is an error.
    CallRequest revert = get;
    revert.data = word(0);
    auto reverted = chain->call(revert, 3);
    ASSERT_TRUE(reverted);
    EXPECT_FALSE(reverted->status);
    EXPECT_EQ(reverted->evm_status, evm::StatusCode::revert);
    EXPECT_EQ(reverted->output, Bytes{0xee});
    CallRequest rich = get;
    rich.from = key(7).address;
    rich.value = 1;
    auto poor = chain->call(rich, 3);
    ASSERT_FALSE(poor);
    EXPECT_EQ(poor.error().message.rfind("insufficient funds", 0), 0u) << poor.error().message;
}

TEST(Contracts, EstimateGasIsEnoughAndCloseToTheLeast) {
    Key alice = key(1);
    auto chain = open_memory(config_for({alice}));
    const Address store = deploy(*chain, alice, 0, kStore);
    const Address forward = deploy(*chain, alice, 1, forwarder(store));

    CallRequest request;
    request.from = alice.address;
    request.to = forward;
    request.data = word(77);
    auto estimate = chain->estimate_gas(request, 2);
    ASSERT_TRUE(estimate) << estimate.error().to_string();
    ASSERT_TRUE(estimate->gas);
    const uint64_t gas = *estimate->gas;

    // 1.5% less fails; the estimate itself succeeds in a block, using less than it.
    CallRequest tight = request;
    tight.gas = gas * 985 / 1000;
    auto short_run = chain->call(tight, 2);
    ASSERT_TRUE(short_run);
    EXPECT_FALSE(short_run->status);
    auto block = chain->commit_block({send(alice, forward, 2, word(77), gas)}, 3, proposer());
    ASSERT_TRUE(block);
    ASSERT_EQ(block->receipts.receipts.size(), 1u);
    EXPECT_TRUE(block->receipts.receipts[0].status);
    const uint64_t used = block->receipts.metas[0].gas_used;
    EXPECT_LT(used, gas);
    EXPECT_LE(gas, used + used / 2);
    EXPECT_EQ(*chain->storage_at(store, Hash32{}, 3), uint256(77));

    // A call that always reverts has no estimate, but its revert data.
    CallRequest revert = request;
    revert.data = word(0);
    auto failed = chain->estimate_gas(revert, 3);
    ASSERT_TRUE(failed);
    EXPECT_FALSE(failed->gas);
    EXPECT_EQ(failed->failure.evm_status, evm::StatusCode::revert);
    CallRequest direct_revert = revert;
    direct_revert.to = store;
    auto direct = chain->estimate_gas(direct_revert, 3);
    ASSERT_TRUE(direct);
    EXPECT_FALSE(direct->gas);
    EXPECT_EQ(direct->failure.output, Bytes{0xee});
}

TEST(Chain, BlockOriginGoesIntoTheHeaderAndTheConsensusRecordIsStoredWithTheBlock) {
    Key alice = key(1), bob = key(2);
    auto chain = open_memory(config_for({alice}));
    BlockOrigin origin;
    origin.extra_data = Bytes(32, 0xab);
    origin.consensus_record = {1, 2, 3};
    auto b1 =
        chain->commit_block({transfer(alice, bob.address, 0, uint256(1))}, 1, proposer(), origin);
    ASSERT_TRUE(b1) << b1.error().to_string();
    EXPECT_EQ(b1->block.header.extra_data, origin.extra_data);
    auto b2 = chain->commit_block({}, 2, proposer());
    ASSERT_TRUE(b2);
    auto r1 = chain->consensus_record(1);
    ASSERT_TRUE(r1 && *r1);
    EXPECT_EQ(**r1, origin.consensus_record);
    auto r2 = chain->consensus_record(2);
    ASSERT_TRUE(r2);
    EXPECT_FALSE(*r2);
    EXPECT_TRUE(chain->verify());

    origin.extra_data = Bytes(33, 0);
    auto too_long = chain->commit_block({}, 3, proposer(), origin);
    ASSERT_FALSE(too_long);
    EXPECT_NE(too_long.error().message.find("at most 32"), std::string::npos);
    EXPECT_EQ(chain->head_number(), 2u);
}

TEST(Chain, GenesisFundsAccountsAndDependsOnTheChainId) {
    Key alice = key(1);
    auto a = open_memory(config_for({alice}));
    EXPECT_EQ(a->head_number(), 0u);
    EXPECT_EQ(a->head_hash(), a->genesis_hash());
    EXPECT_EQ(a->account(alice.address).balance, uint256(1'000'000) * kGwei * kGwei);
    auto other = config_for({alice});
    other.chain_id = 7;
    auto b = open_memory(other);
    EXPECT_NE(a->genesis_hash(), b->genesis_hash());
    // A consortium's identity (organisations, validators) is part of the genesis too.
    auto consortium = config_for({alice});
    consortium.consortium_id = Hash32{};
    consortium.consortium_id->bytes[0] = 1;
    auto c = open_memory(consortium);
    EXPECT_NE(a->genesis_hash(), c->genesis_hash());
    EXPECT_EQ(c->head().extra_data, Bytes(consortium.consortium_id->bytes.begin(),
                                          consortium.consortium_id->bytes.end()));
}

TEST(Chain, GeneratedGenesisAccountsAreFundedAndPartOfTheIdentity) {
    Key alice = key(1);
    auto plain = open_memory(config_for({alice}));
    auto config = config_for({alice});
    config.generated = {3, uint256(42)};
    auto chain = open_memory(config);
    EXPECT_NE(chain->genesis_hash(), plain->genesis_hash());
    EXPECT_NE(chain->head().state_root, plain->head().state_root);
    for (uint64_t i = 0; i < 3; ++i)
        EXPECT_EQ(chain->account(generated_account(i)).balance, uint256(42)) << i;
    EXPECT_EQ(chain->account(generated_account(3)).balance, uint256(0));
    EXPECT_NE(generated_account(0), generated_account(1));
    // The listed accounts keep their own balances.
    EXPECT_EQ(chain->account(alice.address).balance, uint256(1'000'000) * kGwei * kGwei);
    EXPECT_TRUE(chain->verify());
}

TEST(Chain, StateRootChangesWithStateAndBlocksAreIndexed) {
    Key alice = key(1), bob = key(2);
    auto chain = open_memory(config_for({alice}));
    const Hash32 root0 = chain->head().state_root;
    auto empty = chain->commit_block({}, 5, proposer());
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->block.header.state_root, root0);  // nothing changed
    EXPECT_EQ(empty->block.header.parent_hash, chain->genesis_hash());
    auto b2 = chain->commit_block({transfer(alice, bob.address, 0, uint256(7))}, 3, proposer());
    ASSERT_TRUE(b2);
    EXPECT_NE(b2->block.header.state_root, root0);
    EXPECT_EQ(b2->block.header.timestamp, 5u);  // never earlier than the parent

    auto h2 = chain->hash_by_number(2);
    ASSERT_TRUE(h2 && *h2);
    EXPECT_EQ(**h2, b2->hash);
    auto hdr = chain->header(b2->hash);
    ASSERT_TRUE(hdr && *hdr);
    EXPECT_EQ(**hdr, b2->block.header);
    auto body = chain->body(b2->hash);
    ASSERT_TRUE(body && *body);
    EXPECT_EQ(**body, b2->block.transactions);
    auto loc = chain->find_transaction(b2->tx_hashes[0]);
    ASSERT_TRUE(loc && *loc);
    EXPECT_EQ((*loc)->block_hash, b2->hash);
    EXPECT_EQ((*loc)->block_number, 2u);
    EXPECT_EQ((*loc)->index, 0u);
    auto rs = chain->receipts(b2->hash);
    ASSERT_TRUE(rs && *rs);
    EXPECT_EQ((*rs)->receipts, b2->receipts.receipts);
    EXPECT_EQ(b2->block.header.receipts_root, receipts_root((*rs)->receipts));
    EXPECT_EQ(b2->block.header.transactions_root, transactions_root(**body));
    auto missing = chain->hash_by_number(3);
    ASSERT_TRUE(missing);
    EXPECT_FALSE(*missing);

    // Past-block reads.
    auto bob_at1 = chain->account_at(bob.address, 1);
    ASSERT_TRUE(bob_at1);
    EXPECT_EQ(bob_at1->balance, uint256(0));
    auto bob_at2 = chain->account_at(bob.address, 2);
    ASSERT_TRUE(bob_at2);
    EXPECT_EQ(bob_at2->balance, uint256(7));
    EXPECT_FALSE(chain->account_at(bob.address, 3));
    EXPECT_TRUE(chain->verify());
}

// A MemoryStore whose writes, once armed, wait until the test opens the gate (or fail): a block's
// storage write held in the middle of commit_block.
struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool armed = false;
    bool fail = false;
    bool writing = false;
    bool open = false;

    void wait_until_writing() {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return writing; });
    }
    void let_through() {
        std::lock_guard lock(mu);
        open = true;
        cv.notify_all();
    }
};

class GatedStore final : public storage::KvStore {
  public:
    explicit GatedStore(Gate& gate) : gate_(gate) {}
    Result<std::optional<Bytes>> get(storage::Column c, BytesView key) const override {
        return inner_.get(c, key);
    }
    Status write(const storage::WriteBatch& batch, bool sync) override {
        {
            std::unique_lock lock(gate_.mu);
            if (gate_.armed) {
                if (gate_.fail) return make_error(Errc::io, "the test failed this write");
                gate_.writing = true;
                gate_.cv.notify_all();
                gate_.cv.wait(lock, [&] { return gate_.open; });
            }
        }
        return inner_.write(batch, sync);
    }
    Status sync() override { return inner_.sync(); }
    Status for_each_prefix(storage::Column c, BytesView prefix,
                           const storage::EntryCallback& fn) const override {
        return inner_.for_each_prefix(c, prefix, fn);
    }
    Result<std::optional<std::pair<Bytes, Bytes>>> last(storage::Column c) const override {
        return inner_.last(c);
    }

  private:
    Gate& gate_;
    storage::MemoryStore inner_;
};

// A chain funding alice on a store whose writes the test can hold or fail through `gate`.
class ChainOnAGatedStore : public ::testing::Test {
  protected:
    void SetUp() override {
        opened_ = open_on(std::make_unique<GatedStore>(gate), config_for({alice}));
        ASSERT_TRUE(opened_);
    }

    Key alice = key(1), bob = key(2);
    Gate gate;
    std::unique_ptr<Chain> opened_;  // destroyed before the gate its store refers to
};

TEST_F(ChainOnAGatedStore, WhileABlockIsWrittenThePoolsReadsGoOnAndReadsAtABlockWait) {
    Chain& chain = *opened_;
    gate.armed = true;
    Result<CommittedBlock> committed = make_error(Errc::internal, "not run");
    std::thread committer([&] {
        committed =
            chain.commit_block({transfer(alice, bob.address, 0, uint256(5))}, 1, proposer());
    });
    gate.wait_until_writing();

    // The latest state is already the block's (admission reads it), the head still its parent.
    auto latest = std::async(std::launch::async, [&] { return chain.account(alice.address); });
    if (latest.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
        gate.let_through();  // so that the reader, and the test, can end
        committer.join();
        FAIL() << "the latest state's reader waited for the block's storage write";
    }
    EXPECT_EQ(latest.get().nonce, 1u);
    EXPECT_EQ(chain.head_number(), 0u);
    auto invisible = chain.hash_by_number(1);
    ASSERT_TRUE(invisible);
    EXPECT_FALSE(*invisible) << "block 1 is listed before its records are written";

    // A read at block 0 pairs a state with a block: it waits, then reads block 0's state from the
    // history the write adds (not the latest state, which is block 1's).
    auto at_parent =
        std::async(std::launch::async, [&] { return chain.account_at(alice.address, 0); });
    EXPECT_EQ(at_parent.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout)
        << "account_at answered while the block's history records were not written";
    gate.let_through();
    committer.join();
    ASSERT_TRUE(committed) << committed.error().to_string();
    auto before = at_parent.get();
    ASSERT_TRUE(before) << before.error().to_string();
    EXPECT_EQ(before->nonce, 0u);
    EXPECT_EQ(chain.head_number(), 1u);
    EXPECT_EQ(chain.head_hash(), committed->hash);
    auto after = chain.account_at(alice.address, 1);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->nonce, 1u);
    EXPECT_TRUE(chain.verify());
}

TEST_F(ChainOnAGatedStore, AFailedWriteLeavesTheStateAndTheHeadAsTheyWere) {
    Chain& chain = *opened_;
    const Hash32 root = chain.head().state_root;
    gate.armed = true;
    gate.fail = true;
    auto failed = chain.commit_block({transfer(alice, bob.address, 0, uint256(5))}, 1, proposer());
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message.find("the test failed this write"), std::string::npos);
    EXPECT_EQ(chain.head_number(), 0u);
    EXPECT_EQ(chain.account(alice.address).nonce, 0u);
    EXPECT_EQ(chain.account(bob.address).balance, uint256(0));
    gate.armed = false;
    auto next = chain.commit_block({transfer(alice, bob.address, 0, uint256(5))}, 1, proposer());
    ASSERT_TRUE(next) << next.error().to_string();
    EXPECT_EQ(next->block.header.parent_hash, chain.genesis_hash());
    EXPECT_NE(next->block.header.state_root, root);
    EXPECT_EQ(chain.account(bob.address).balance, uint256(5));
    EXPECT_TRUE(chain.verify());
}

TEST(Chain, RestartContinuesFromTheStoredHeadWithTheSameRoot) {
    hc::testing::TempDir dir;
    Key alice = key(1), bob = key(2);
    auto config = config_for({alice});
    Hash32 head_hash, root;
    {
        auto store = storage::RocksStore::open(dir.path());
        ASSERT_TRUE(store);
        auto chain = Chain::open(std::move(*store), config);
        ASSERT_TRUE(chain) << chain.error().to_string();
        for (uint64_t n = 0; n < 5; ++n) {
            auto b = (*chain)->commit_block({transfer(alice, bob.address, n, uint256(n + 1))},
                                            10 + n, proposer());
            ASSERT_TRUE(b);
        }
        head_hash = (*chain)->head_hash();
        root = (*chain)->head().state_root;
    }
    auto store = storage::RocksStore::open(dir.path());
    ASSERT_TRUE(store);
    auto chain = Chain::open(std::move(*store), config);
    ASSERT_TRUE(chain) << chain.error().to_string();
    EXPECT_EQ((*chain)->head_number(), 5u);
    EXPECT_EQ((*chain)->head_hash(), head_hash);
    EXPECT_EQ((*chain)->head().state_root, root);
    bool same_root = false;
    (*chain)->read_state([&](const state::WorldState& ws, const BlockHeader& head) {
        same_root = const_cast<state::WorldState&>(ws).root() == head.state_root;
    });
    EXPECT_TRUE(same_root);
    EXPECT_EQ((*chain)->account(bob.address).balance, uint256(15));
    EXPECT_EQ((*chain)->account(alice.address).nonce, 5u);
    Status verified = (*chain)->verify();
    EXPECT_TRUE(verified) << verified.error().to_string();
    auto next =
        (*chain)->commit_block({transfer(alice, bob.address, 5, uint256(1))}, 20, proposer());
    ASSERT_TRUE(next);
    EXPECT_EQ(next->block.header.parent_hash, head_hash);
}

TEST(Chain, RefusesAnotherChainsStore) {
    hc::testing::TempDir dir;
    Key alice = key(1);
    {
        auto store = storage::RocksStore::open(dir.path());
        ASSERT_TRUE(store);
        ASSERT_TRUE(Chain::open(std::move(*store), config_for({alice})));
    }
    auto other = config_for({alice});
    other.chain_id = 99;
    auto store = storage::RocksStore::open(dir.path());
    ASSERT_TRUE(store);
    auto chain = Chain::open(std::move(*store), other);
    ASSERT_FALSE(chain);
    EXPECT_NE(chain.error().message.find("the store holds another chain"), std::string::npos);
}

TEST(Chain, RefusesToOpenStateThatDoesNotMatchTheHead) {
    hc::testing::TempDir dir;
    Key alice = key(1), bob = key(2);
    auto config = config_for({alice});
    {
        auto store = storage::RocksStore::open(dir.path());
        ASSERT_TRUE(store);
        auto chain = Chain::open(std::move(*store), config);
        ASSERT_TRUE(chain);
        ASSERT_TRUE(
            (*chain)->commit_block({transfer(alice, bob.address, 0, uint256(1))}, 1, proposer()));
    }
    {
        // Tamper with bob's flat record, as a bad disk or a bug would.
        auto store = storage::RocksStore::open(dir.path());
        ASSERT_TRUE(store);
        Bytes bob_key{'a'};
        bob_key.insert(bob_key.end(), bob.address.bytes.begin(), bob.address.bytes.end());
        rlp::Encoder e;
        e.begin_list().add(uint64_t{0}).add(uint256(1000)).add(state::kEmptyCodeHash.view());
        e.end_list();
        ASSERT_TRUE((*store)->put(storage::Column::state, bob_key, e.take(), true));
    }
    auto store = storage::RocksStore::open(dir.path());
    ASSERT_TRUE(store);
    auto chain = Chain::open(std::move(*store), config);
    ASSERT_FALSE(chain);
    EXPECT_NE(chain.error().message.find("commits to state root"), std::string::npos)
        << chain.error().message;
}

TEST(Logs, FilterMatchesAddressesAndTopicPositions) {
    Log log;
    log.address.bytes[0] = 1;
    Hash32 t0, t1, other;
    t0.bytes[0] = 1;
    t1.bytes[0] = 2;
    other.bytes[0] = 3;
    log.topics = {t0, t1};
    LogFilter f;
    EXPECT_TRUE(log_matches(f, log));
    f.addresses = {Address{}};
    EXPECT_FALSE(log_matches(f, log));
    f.addresses.push_back(log.address);
    EXPECT_TRUE(log_matches(f, log));
    f.topics = {{}, {other, t1}};
    EXPECT_TRUE(log_matches(f, log));
    f.topics = {{t1}};
    EXPECT_FALSE(log_matches(f, log));
    f.topics = {{t0}, {t1}, {other}};  // a third topic the log does not have
    EXPECT_FALSE(log_matches(f, log));
}

}  // namespace
}  // namespace hc::chain
