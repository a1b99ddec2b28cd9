#include "evm/interpreter.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/keccak.h"
#include "evm/instructions.h"

namespace hc::evm {
namespace {

Address addr(uint8_t last) {
    Address a;
    a[19] = last;
    return a;
}
Hash32 slot(uint8_t last) {
    Hash32 h;
    h[31] = last;
    return h;
}
Bytes hex(const std::string& s) {
    auto r = from_hex(s);
    EXPECT_TRUE(r.ok()) << s;
    return r.ok() ? *r : Bytes{};
}

const Address kSelf = addr(0xaa);
const Address kCaller = addr(0xbb);
const Address kOther = addr(0xcc);

// A Host over maps, recording what the interpreter asks of it. Storage keeps the value at the
// start of the transaction beside the current one so that set_storage reports EVMC statuses.
class MockHost final : public Host {
  public:
    struct Slot {
        uint256 original, current;
    };
    struct Log {
        Address address;
        Bytes data;
        std::vector<Hash32> topics;
    };
    struct Call {
        Message msg;
        Bytes input;
    };

    std::map<Address, std::map<Hash32, Slot>> storage;
    std::map<Address, std::map<Hash32, uint256>> transient;
    std::map<Address, uint256> balances;
    std::map<Address, Bytes> codes;
    std::set<Address> existing;
    std::set<Address> warm_accounts;
    std::set<std::pair<Address, Hash32>> warm_slots;
    std::vector<Log> logs;
    std::vector<Call> calls;
    std::vector<std::pair<Address, Address>> selfdestructs;
    std::vector<Hash32> blob_hashes;
    ExecutionResult call_result{StatusCode::success, 0, 0, {}, {}};
    bool call_returns_all_gas = true;
    TxContext context;

    bool account_exists(const Address& a) const noexcept override {
        return existing.count(a) != 0 || balances.count(a) != 0 || codes.count(a) != 0;
    }
    uint256 get_storage(const Address& a, const Hash32& k) const noexcept override {
        auto it = storage.find(a);
        if (it == storage.end()) return {};
        auto jt = it->second.find(k);
        return jt == it->second.end() ? uint256{} : jt->second.current;
    }
    StorageStatus set_storage(const Address& a, const Hash32& k,
                              const uint256& v) noexcept override {
        Slot& s = storage[a][k];
        const uint256 original = s.original, current = s.current;
        s.current = v;
        if (current == v) return StorageStatus::assigned;
        if (original == current) {
            if (original.is_zero()) return StorageStatus::added;
            return v.is_zero() ? StorageStatus::deleted : StorageStatus::modified;
        }
        if (!original.is_zero()) {
            if (current.is_zero())
                return v == original ? StorageStatus::deleted_restored
                                     : StorageStatus::deleted_added;
            if (v.is_zero()) return StorageStatus::modified_deleted;
            if (v == original) return StorageStatus::modified_restored;
            return StorageStatus::assigned;
        }
        return v.is_zero() ? StorageStatus::added_deleted : StorageStatus::assigned;
    }
    uint256 get_balance(const Address& a) const noexcept override {
        auto it = balances.find(a);
        return it == balances.end() ? uint256{} : it->second;
    }
    size_t get_code_size(const Address& a) const noexcept override { return get_code(a).size(); }
    Hash32 get_code_hash(const Address& a) const noexcept override {
        if (!account_exists(a)) return {};
        return keccak256(get_code(a));
    }
    BytesView get_code(const Address& a) const noexcept override {
        auto it = codes.find(a);
        return it == codes.end() ? BytesView{} : BytesView(it->second);
    }
    bool selfdestruct(const Address& a, const Address& b) noexcept override {
        selfdestructs.emplace_back(a, b);
        return true;
    }
    ExecutionResult call(const Message& m) noexcept override {
        calls.push_back({m, Bytes(m.input.begin(), m.input.end())});
        ExecutionResult r = call_result;
        if (call_returns_all_gas) r.gas_left = m.gas;
        return r;
    }
    const TxContext& tx_context() const noexcept override { return context; }
    Hash32 get_block_hash(int64_t number) const noexcept override {
        Hash32 h;
        h[0] = 0xbb;
        h[31] = static_cast<uint8_t>(number);
        return h;
    }
    void emit_log(const Address& a, BytesView data,
                  std::span<const Hash32> topics) noexcept override {
        logs.push_back({a, Bytes(data.begin(), data.end()), {topics.begin(), topics.end()}});
    }
    AccessStatus access_account(const Address& a) noexcept override {
        return warm_accounts.insert(a).second ? AccessStatus::cold : AccessStatus::warm;
    }
    AccessStatus access_storage(const Address& a, const Hash32& k) noexcept override {
        return warm_slots.insert({a, k}).second ? AccessStatus::cold : AccessStatus::warm;
    }
    uint256 get_transient_storage(const Address& a, const Hash32& k) const noexcept override {
        auto it = transient.find(a);
        if (it == transient.end()) return {};
        auto jt = it->second.find(k);
        return jt == it->second.end() ? uint256{} : jt->second;
    }
    void set_transient_storage(const Address& a, const Hash32& k,
                               const uint256& v) noexcept override {
        transient[a][k] = v;
    }
};

// Code suffix that returns the top stack item as 32 bytes: PUSH0 MSTORE PUSH1 32 PUSH0 RETURN.
const std::string kReturnTop = "5f5260205ff3";

struct Runner {
    MockHost host;
    Bytes input;
    bool is_static = false;
    int32_t depth = 0;
    CallKind kind = CallKind::call;

    ExecutionResult run(const std::string& code_hex, int64_t gas = 1'000'000) {
        Message m;
        m.kind = kind;
        m.is_static = is_static;
        m.depth = depth;
        m.gas = gas;
        m.recipient = kSelf;
        m.sender = kCaller;
        m.code_address = kSelf;
        m.input = input;
        m.value = 7;
        const Bytes code = hex(code_hex);
        return execute(host, m, BytesView(code));
    }
};

uint256 output_word(const ExecutionResult& r) {
    EXPECT_EQ(r.output.size(), 32u);
    return r.output.size() == 32 ? uint256::load_be32(r.output.data()) : uint256{};
}

uint256 word(const std::string& s) {
    return *uint256::from_string(s);
}

const std::string kMax = std::string(64, 'f');

// ---- Arithmetic, comparison, bitwise ----

struct ValueCase {
    const char* name;
    std::string code;  // leaves one item on the stack
    std::string expected;
};

class ValueTest : public ::testing::TestWithParam<ValueCase> {};

TEST_P(ValueTest, TopOfStack) {
    Runner r;
    r.input = hex("0102030405");
    ExecutionResult res = r.run(GetParam().code + kReturnTop);
    ASSERT_EQ(res.status, StatusCode::success) << status_name(res.status);
    EXPECT_EQ(output_word(res), word(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    Ops, ValueTest,
    ::testing::Values(
        ValueCase{"add_wraps",
                  "6001"
                  "7f" +
                      kMax + "01",
                  "0"},
        ValueCase{"sub_order",
                  "6001"
                  "6000"
                  "03",
                  "0x" + kMax},
        ValueCase{"sub",
                  "6003"
                  "600a"
                  "03",
                  "7"},
        ValueCase{"mul_wraps",
                  "6002"
                  "7f" +
                      kMax + "02",
                  "0x" + kMax.substr(1) + "e"},
        ValueCase{"div",
                  "6003"
                  "600a"
                  "04",
                  "3"},
        ValueCase{"div_by_zero",
                  "6000"
                  "6005"
                  "04",
                  "0"},
        ValueCase{"sdiv_min_by_minus_one", "7f" + kMax + "7f8" + std::string(63, '0') + "05",
                  "0x8" + std::string(63, '0')},
        ValueCase{"sdiv_negative",
                  "6002"
                  "7f" +
                      kMax.substr(1) +
                      "8"
                      "05",
                  "0x" + kMax.substr(1) + "c"},
        ValueCase{"mod",
                  "6003"
                  "600a"
                  "06",
                  "1"},
        ValueCase{"mod_by_zero",
                  "6000"
                  "600a"
                  "06",
                  "0"},
        ValueCase{"smod_negative",
                  "6003"
                  "7f" +
                      kMax.substr(2) +
                      "f8"
                      "07",
                  "0x" + kMax.substr(1) + "e"},
        ValueCase{"addmod_carry",
                  "6003"
                  "6002"
                  "7f" +
                      kMax + "08",
                  "2"},
        ValueCase{"addmod_zero_modulus",
                  "6000"
                  "6002"
                  "6003"
                  "08",
                  "0"},
        ValueCase{"mulmod_wide",
                  "600c"
                  "7f" +
                      kMax + "7f" + kMax + "09",
                  "9"},
        ValueCase{"exp",
                  "60ff"
                  "6002"
                  "0a",
                  "0x8" + std::string(63, '0')},
        ValueCase{"exp_zero_zero",
                  "5f"
                  "5f"
                  "0a",
                  "1"},
        ValueCase{"signextend_negative",
                  "60ff"
                  "6000"
                  "0b",
                  "0x" + kMax},
        ValueCase{"signextend_positive",
                  "607f"
                  "6000"
                  "0b",
                  "0x7f"},
        ValueCase{"signextend_big_index",
                  "60ff"
                  "6020"
                  "0b",
                  "0xff"},
        ValueCase{"lt",
                  "6002"
                  "6001"
                  "10",
                  "1"},
        ValueCase{"gt",
                  "6002"
                  "6001"
                  "11",
                  "0"},
        ValueCase{"slt_negative",
                  "6000"
                  "7f" +
                      kMax + "12",
                  "1"},
        ValueCase{"sgt_negative",
                  "6000"
                  "7f" +
                      kMax + "13",
                  "0"},
        ValueCase{"eq",
                  "602a"
                  "602a"
                  "14",
                  "1"},
        ValueCase{"iszero",
                  "5f"
                  "15",
                  "1"},
        ValueCase{"and",
                  "600f"
                  "603c"
                  "16",
                  "0x0c"},
        ValueCase{"or",
                  "600f"
                  "6030"
                  "17",
                  "0x3f"},
        ValueCase{"xor",
                  "600f"
                  "603c"
                  "18",
                  "0x33"},
        ValueCase{"not",
                  "5f"
                  "19",
                  "0x" + kMax},
        ValueCase{"byte_last",
                  "611234"
                  "601f"
                  "1a",
                  "0x34"},
        ValueCase{"byte_out_of_range",
                  "611234"
                  "6020"
                  "1a",
                  "0"},
        ValueCase{"shl",
                  "6001"
                  "60ff"
                  "1b",
                  "0x8" + std::string(63, '0')},
        ValueCase{"shl_256",
                  "6001"
                  "610100"
                  "1b",
                  "0"},
        ValueCase{"shr",
                  "7f8" + std::string(63, '0') +
                      "60ff"
                      "1c",
                  "1"},
        ValueCase{"sar_negative",
                  "7f8" + std::string(63, '0') +
                      "60ff"
                      "1d",
                  "0x" + kMax},
        ValueCase{"sar_negative_huge_shift",
                  "7f8" + std::string(63, '0') +
                      "610100"
                      "1d",
                  "0x" + kMax},
        ValueCase{"sar_positive_huge_shift",
                  "607f"
                  "610100"
                  "1d",
                  "0"},
        ValueCase{"push0", "5f", "0"}, ValueCase{"push32", "7f" + kMax, "0x" + kMax},
        ValueCase{"dup2",
                  "6001"
                  "6002"
                  "81",
                  "1"},
        ValueCase{"swap2",
                  "6001"
                  "6002"
                  "6003"
                  "91",
                  "1"},
        ValueCase{"calldataload_padded",
                  "6002"
                  "35",
                  "0x030405" + std::string(58, '0')},
        ValueCase{"calldataload_past_end",
                  "6010"
                  "35",
                  "0"},
        ValueCase{"calldataload_huge_offset", "7f" + kMax + "35", "0"},
        ValueCase{"calldatasize", "36", "5"}, ValueCase{"callvalue", "34", "7"},
        ValueCase{"caller", "33", "0xbb"}, ValueCase{"address", "30", "0xaa"},
        ValueCase{"codesize", "38", "7"},
        ValueCase{"pc",
                  "5f50"
                  "58",
                  "2"},
        ValueCase{"keccak_empty", "5f5f20",
                  "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"},
        ValueCase{"msize_after_mstore8",
                  "6001"
                  "6020"
                  "53"
                  "59",
                  "0x40"},
        ValueCase{"returndatasize_initially_zero", "3d", "0"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Interpreter, PushAtEndOfCodeReadsZeros) {
    Runner r;
    // PUSH2 with one byte of data: the missing byte reads as zero (0x1200), then STOP.
    ExecutionResult res = r.run(
        "61"
        "12");
    EXPECT_EQ(res.status, StatusCode::success);
    EXPECT_EQ(res.gas_left, 1'000'000 - 3);
}

TEST(Interpreter, GasOfSimpleSequenceAndExp) {
    Runner r;
    // PUSH1 PUSH1 EXP with a one-byte exponent: 3 + 3 + 10 + 50.
    ExecutionResult res = r.run(
        "60ff"
        "6002"
        "0a",
        1000);
    ASSERT_EQ(res.status, StatusCode::success);
    EXPECT_EQ(res.gas_left, 1000 - 66);
    // Two-byte exponent.
    res = r.run(
        "610100"
        "6002"
        "0a",
        1000);
    EXPECT_EQ(res.gas_left, 1000 - 116);
}

TEST(Interpreter, EnvironmentFromTxContext) {
    Runner r;
    r.host.context.chain_id = 1337;
    r.host.context.number = 300;
    r.host.context.timestamp = 99;
    r.host.context.base_fee = 12;
    r.host.context.blob_base_fee = 13;
    r.host.context.origin = addr(0x42);
    r.host.blob_hashes = {slot(1), slot(2)};
    r.host.context.blob_hashes = r.host.blob_hashes;
    EXPECT_EQ(output_word(r.run("46" + kReturnTop)), uint256{1337});
    EXPECT_EQ(output_word(r.run("43" + kReturnTop)), uint256{300});
    EXPECT_EQ(output_word(r.run("42" + kReturnTop)), uint256{99});
    EXPECT_EQ(output_word(r.run("48" + kReturnTop)), uint256{12});
    EXPECT_EQ(output_word(r.run("4a" + kReturnTop)), uint256{13});
    EXPECT_EQ(output_word(r.run("32" + kReturnTop)), uint256{0x42});
    EXPECT_EQ(output_word(r.run("6001"
                                "49" +
                                kReturnTop)),
              uint256{2});
    EXPECT_EQ(output_word(r.run("6002"
                                "49" +
                                kReturnTop)),
              uint256{});
    EXPECT_EQ(output_word(r.run("7f" + kMax + "49" + kReturnTop)), uint256{});
    // BLOCKHASH: only the 256 blocks before the current one.
    EXPECT_EQ(output_word(r.run("61012b"
                                "40" +
                                kReturnTop)),
              uint256::load_be32(r.host.get_block_hash(299).data()));
    EXPECT_EQ(output_word(r.run("602c"
                                "40" +
                                kReturnTop)),
              uint256::load_be32(r.host.get_block_hash(44).data()));
    EXPECT_EQ(output_word(r.run("602b"
                                "40" +
                                kReturnTop)),
              uint256{});
    EXPECT_EQ(output_word(r.run("61012c"
                                "40" +
                                kReturnTop)),
              uint256{});
}

TEST(Interpreter, BalanceWarmAndCold) {
    Runner r;
    r.host.balances[kOther] = 555;
    const std::string code = "73" + to_hex(kOther.view(), false) + "31";
    ExecutionResult cold = r.run(code, 10'000);
    ASSERT_EQ(cold.status, StatusCode::success);
    EXPECT_EQ(cold.gas_left, 10'000 - 3 - 2600);
    ExecutionResult warm = r.run(code, 10'000);
    EXPECT_EQ(warm.gas_left, 10'000 - 3 - 100);
    EXPECT_EQ(output_word(r.run(code + kReturnTop)), uint256{555});
}

TEST(Interpreter, ExtcodeOps) {
    Runner r;
    r.host.codes[kOther] = hex("6001600201");
    const std::string a = "73" + to_hex(kOther.view(), false);
    EXPECT_EQ(output_word(r.run(a + "3b" + kReturnTop)), uint256{5});
    EXPECT_EQ(output_word(r.run(a + "3f" + kReturnTop)),
              uint256::load_be32(keccak256(r.host.codes[kOther]).data()));
    EXPECT_EQ(output_word(r.run("73" + to_hex(addr(0x77).view(), false) + "3f" + kReturnTop)),
              uint256{});
    // EXTCODECOPY(addr, mem 0, code offset 1, size 6): bytes 1..5 then a zero, then MLOAD 0.
    ExecutionResult res = r.run(
        "6006"
        "6001"
        "5f" +
        a +
        "3c"
        "5f51" +
        kReturnTop);
    EXPECT_EQ(output_word(res), word("0x0160020100" + std::string(54, '0')));
}

TEST(Interpreter, CopyOpsZeroFillPastEnd) {
    Runner r;
    r.input = hex("aabb");
    // CALLDATACOPY(mem 0, offset 1, size 3) then MLOAD 0.
    EXPECT_EQ(output_word(r.run("6003"
                                "6001"
                                "5f"
                                "37"
                                "5f51" +
                                kReturnTop)),
              word("0xbb" + std::string(62, '0')));
    // CODECOPY(mem 0, offset 0, size 2): the code starts 60 02.
    EXPECT_EQ(output_word(r.run("6002"
                                "5f"
                                "5f"
                                "39"
                                "5f51" +
                                kReturnTop)),
              word("0x6002" + std::string(60, '0')));
    // CALLDATACOPY from a huge offset copies zeros.
    EXPECT_EQ(output_word(r.run("6020"
                                "7f" +
                                kMax +
                                "5f"
                                "37"
                                "5f51" +
                                kReturnTop)),
              uint256{});
}

// ---- Memory ----

TEST(Interpreter, MemoryExpansionGas) {
    Runner r;
    // MSTORE at 0: 3 + 3 + 3 + 3 (one word).
    EXPECT_EQ(r.run("6001"
                    "5f"
                    "52",
                    100)
                  .gas_left,
              100 - 2 - 3 - 3 - 3);
    // MSTORE8 at 1023: 32 words cost 3*32 + 32*32/512 = 98.
    EXPECT_EQ(r.run("6001"
                    "6103ff"
                    "53",
                    1000)
                  .gas_left,
              1000 - 3 - 3 - 3 - 98);
    // A second MSTORE to the same word costs no expansion.
    EXPECT_EQ(r.run("6001"
                    "5f"
                    "52"
                    "6001"
                    "5f"
                    "52",
                    100)
                  .gas_left,
              100 - 11 - 8);
    // Expanding in two steps costs the same as in one: words 1 then 1024 (3*1024 + 2048).
    EXPECT_EQ(r.run("5f"
                    "5f"
                    "52"
                    "5f"
                    "617fe0"
                    "52",
                    100'000)
                  .gas_left,
              100'000 - 2 - 2 - 3 - 2 - 3 - 3 - (3 * 1024 + 1024 * 1024 / 512));
}

class HugeMemoryTest : public ::testing::TestWithParam<std::string> {};

TEST_P(HugeMemoryTest, OutOfGasNotCrash) {
    Runner r;
    ExecutionResult res = r.run(GetParam(), 1'000'000);
    EXPECT_EQ(res.status, StatusCode::out_of_gas);
    EXPECT_EQ(res.gas_left, 0);
}

INSTANTIATE_TEST_SUITE_P(Offsets, HugeMemoryTest,
                         ::testing::Values("6001"
                                           "7f" +
                                               kMax + "52",  // MSTORE at 2^256-1
                                           "5f"
                                           "67ffffffffffffffe0"
                                           "51",  // MLOAD near 2^64
                                           "6001"
                                           "640100000000"
                                           "53",  // MSTORE8 beyond 2^32
                                           "7f" + kMax +
                                               "5f"
                                               "20",  // KECCAK256 huge size
                                           "7f" + kMax +
                                               "5f"
                                               "5f"
                                               "37",  // CALLDATACOPY huge size
                                           "6020"
                                           "5f"
                                           "7f" +
                                               kMax + "5e",  // MCOPY huge destination
                                           "640100000000"
                                           "5f"
                                           "f3",                                // RETURN 4 GiB
                                           "7f" + kMax + "7f" + kMax + "a0"));  // LOG0 huge

TEST(Interpreter, ZeroSizeIgnoresOffset) {
    Runner r;
    // KECCAK256 and RETURN of size zero at a huge offset: no expansion, no failure.
    ExecutionResult res = r.run(
        "5f"
        "7f" +
            kMax +
            "20"
            "50"
            "5f"
            "7f" +
            kMax + "f3",
        1000);
    EXPECT_EQ(res.status, StatusCode::success);
    EXPECT_TRUE(res.output.empty());
}

TEST(Interpreter, McopyOverlapForwardAndBackward) {
    Runner r;
    std::string pattern;
    for (int i = 1; i <= 32; ++i)
        pattern += to_hex(Bytes{static_cast<uint8_t>(i)}, false);
    // MSTORE pattern at 0; MCOPY(dst 1, src 0, size 31); MLOAD 0.
    ExecutionResult fwd = r.run("7f" + pattern +
                                "5f52"
                                "601f"
                                "5f"
                                "6001"
                                "5e"
                                "5f51" +
                                kReturnTop);
    ASSERT_EQ(fwd.status, StatusCode::success);
    EXPECT_EQ(output_word(fwd), word("0x01" + pattern.substr(0, 62)));
    // MCOPY(dst 0, src 1, size 31).
    ExecutionResult back = r.run("7f" + pattern +
                                 "5f52"
                                 "601f"
                                 "6001"
                                 "5f"
                                 "5e"
                                 "5f51" +
                                 kReturnTop);
    EXPECT_EQ(output_word(back), word("0x" + pattern.substr(2) + "20"));
    // Gas: 3 + 3 per word, no expansion inside memory already paid for.
    ExecutionResult gas = r.run(
        "5f5f52"
        "6020"
        "5f"
        "5f"
        "5e",
        1000);
    EXPECT_EQ(gas.gas_left, 1000 - (2 + 2 + 3 + 3) - (3 + 2 + 2) - (3 + 3));
    // Expanding: MCOPY(dst 32, src 0, size 32) pays for the second word.
    ExecutionResult grow = r.run(
        "6020"
        "5f"
        "6020"
        "5e",
        1000);
    EXPECT_EQ(grow.gas_left, 1000 - (3 + 2 + 3) - (3 + 3) - 6);
}

// ---- Flow, stack, gas, undefined instructions ----

struct StatusCase {
    const char* name;
    std::string code;
    StatusCode expected;
};

class StatusTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(StatusTest, Halts) {
    Runner r;
    ExecutionResult res = r.run(GetParam().code, 100'000);
    EXPECT_EQ(res.status, GetParam().expected)
        << status_name(res.status) << " want " << status_name(GetParam().expected);
    if (res.status != StatusCode::success && res.status != StatusCode::revert) {
        EXPECT_EQ(res.gas_left, 0);
        EXPECT_EQ(res.gas_refund, 0);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, StatusTest,
    ::testing::Values(StatusCase{"jump_to_jumpdest",
                                 "6004"
                                 "56"
                                 "fe"
                                 "5b"
                                 "00",
                                 StatusCode::success},
                      StatusCase{"jump_to_non_jumpdest",
                                 "6003"
                                 "56"
                                 "00",
                                 StatusCode::bad_jump_destination},
                      StatusCase{"jump_into_push_data",
                                 "6004"
                                 "56"
                                 "605b"
                                 "00",
                                 StatusCode::bad_jump_destination},
                      StatusCase{"jump_past_end",
                                 "6064"
                                 "56",
                                 StatusCode::bad_jump_destination},
                      StatusCase{"jump_huge", "7f" + kMax + "56", StatusCode::bad_jump_destination},
                      StatusCase{"jumpi_taken",
                                 "6001"
                                 "6007"
                                 "57"
                                 "fe"
                                 "fe"
                                 "5b",
                                 StatusCode::success},
                      StatusCase{"jumpi_not_taken_ignores_dest",
                                 "5f"
                                 "60ff"
                                 "57"
                                 "00",
                                 StatusCode::success},
                      StatusCase{"jumpi_bad",
                                 "6001"
                                 "6005"
                                 "57"
                                 "00"
                                 "00",
                                 StatusCode::bad_jump_destination},
                      StatusCase{"stack_underflow", "01", StatusCode::stack_underflow},
                      StatusCase{"stack_underflow_dup",
                                 "5f"
                                 "81",
                                 StatusCode::stack_underflow},
                      StatusCase{"stack_underflow_swap",
                                 "5f"
                                 "90",
                                 StatusCode::stack_underflow},
                      StatusCase{"stack_1024_ok",
                                 [] {
                                     std::string s;
                                     for (int i = 0; i < 1024; ++i)
                                         s += "5f";
                                     return s;
                                 }(),
                                 StatusCode::success},
                      StatusCase{"stack_overflow",
                                 [] {
                                     std::string s;
                                     for (int i = 0; i < 1025; ++i)
                                         s += "5f";
                                     return s;
                                 }(),
                                 StatusCode::stack_overflow},
                      StatusCase{"undefined_0c", "0c", StatusCode::undefined_instruction},
                      StatusCase{"undefined_ef", "ef", StatusCode::undefined_instruction},
                      StatusCase{"undefined_f6", "f6", StatusCode::undefined_instruction},
                      StatusCase{"invalid_fe", "fe", StatusCode::invalid_instruction},
                      StatusCase{"revert", "5f5ffd", StatusCode::revert},
                      StatusCase{"returndatacopy_empty_buffer",
                                 "6001"
                                 "5f"
                                 "5f"
                                 "3e",
                                 StatusCode::invalid_memory_access},
                      StatusCase{"returndatacopy_offset_past_end_size_zero",
                                 "5f"
                                 "6001"
                                 "5f"
                                 "3e",
                                 StatusCode::invalid_memory_access},
                      StatusCase{"returndatacopy_zero_ok",
                                 "5f"
                                 "5f"
                                 "5f"
                                 "3e",
                                 StatusCode::success},
                      StatusCase{"out_of_gas_loop",
                                 "5b"
                                 "5f"
                                 "56",
                                 StatusCode::out_of_gas}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Interpreter, OutOfGasExactBoundary) {
    Runner r;
    EXPECT_EQ(r.run("6001"
                    "6001"
                    "01",
                    9)
                  .status,
              StatusCode::success);
    EXPECT_EQ(r.run("6001"
                    "6001"
                    "01",
                    9)
                  .gas_left,
              0);
    ExecutionResult res = r.run(
        "6001"
        "6001"
        "01",
        8);
    EXPECT_EQ(res.status, StatusCode::out_of_gas);
    EXPECT_EQ(res.gas_left, 0);
}

TEST(Interpreter, RevertKeepsGasAndOutput) {
    Runner r;
    ExecutionResult res = r.run(
        "602a"
        "5f"
        "52"
        "6020"
        "5f"
        "fd",
        1000);
    EXPECT_EQ(res.status, StatusCode::revert);
    EXPECT_EQ(res.gas_left, 1000 - 3 - 2 - 3 - 3 - 3 - 2);
    EXPECT_EQ(output_word(res), uint256{42});
}

TEST(Interpreter, GasOpcodeReportsRemainingAfterItsOwnCost) {
    Runner r;
    EXPECT_EQ(output_word(r.run("5a" + kReturnTop, 1000)), uint256{998});
}

// ---- Storage ----

TEST(Interpreter, SloadColdThenWarm) {
    Runner r;
    r.host.storage[kSelf][slot(1)] = {5, 5};
    ExecutionResult res = r.run(
        "6001"
        "54"
        "6001"
        "54",
        10'000);
    ASSERT_EQ(res.status, StatusCode::success);
    EXPECT_EQ(res.gas_left, 10'000 - 3 - 2100 - 3 - 100);
    EXPECT_EQ(output_word(r.run("6001"
                                "54" +
                                kReturnTop)),
              uint256{5});
}

struct SstoreCase {
    std::string code;
    int64_t gas_used;
    int64_t refund;
    uint8_t original;
};

class SstoreTest : public ::testing::TestWithParam<SstoreCase> {};

// The EIP-3529 test table (slot 0 already warm, as the EIP assumes).
TEST_P(SstoreTest, Eip3529Table) {
    Runner r;
    const SstoreCase& c = GetParam();
    r.host.storage[kSelf][slot(0)] = {c.original, c.original};
    r.host.warm_slots.insert({kSelf, slot(0)});
    ExecutionResult res = r.run(c.code, 100'000);
    ASSERT_EQ(res.status, StatusCode::success);
    EXPECT_EQ(100'000 - res.gas_left, c.gas_used);
    EXPECT_EQ(res.gas_refund, c.refund);
}

INSTANTIATE_TEST_SUITE_P(
    Eip3529, SstoreTest,
    ::testing::Values(SstoreCase{"60006000556000600055", 212, 0, 0},
                      SstoreCase{"60006000556001600055", 20112, 0, 0},
                      SstoreCase{"60016000556000600055", 20112, 19900, 0},
                      SstoreCase{"60016000556002600055", 20112, 0, 0},
                      SstoreCase{"60016000556001600055", 20112, 0, 0},
                      SstoreCase{"60006000556000600055", 3012, 4800, 1},
                      SstoreCase{"60006000556001600055", 3012, 2800, 1},
                      SstoreCase{"60006000556002600055", 3012, 0, 1},
                      SstoreCase{"60026000556000600055", 3012, 4800, 1},
                      SstoreCase{"60026000556003600055", 3012, 0, 1},
                      SstoreCase{"60026000556001600055", 3012, 2800, 1},
                      SstoreCase{"60026000556002600055", 3012, 0, 1},
                      SstoreCase{"60016000556000600055", 3012, 4800, 1},
                      SstoreCase{"60016000556002600055", 3012, 0, 1},
                      SstoreCase{"60016000556001600055", 212, 0, 1},
                      SstoreCase{"600160005560006000556001600055", 40118, 19900, 0},
                      SstoreCase{"600060005560016000556000600055", 5918, 7600, 1}));

TEST(Interpreter, SstoreColdSlotAddsAccessCost) {
    Runner r;
    ExecutionResult res = r.run(
        "6001"
        "6000"
        "55",
        100'000);
    ASSERT_EQ(res.status, StatusCode::success);
    EXPECT_EQ(100'000 - res.gas_left, 6 + 2100 + 20000);
    EXPECT_EQ(r.host.get_storage(kSelf, slot(0)), uint256{1});
}

TEST(Interpreter, SstoreSentry) {
    Runner r;
    r.host.warm_slots.insert({kSelf, slot(0)});
    r.host.storage[kSelf][slot(0)] = {1, 1};
    // After the two pushes exactly 2300 remain: fails even though the store would cost 100.
    ExecutionResult res = r.run(
        "6001"
        "6000"
        "55",
        2306);
    EXPECT_EQ(res.status, StatusCode::out_of_gas);
    EXPECT_EQ(res.gas_left, 0);
    res = r.run(
        "6001"
        "6000"
        "55",
        2307);
    EXPECT_EQ(res.status, StatusCode::success);
    EXPECT_EQ(res.gas_left, 2307 - 6 - 100);
}

TEST(Interpreter, TransientStorage) {
    Runner r;
    // TSTORE(key 1, value 42) then TLOAD(1).
    ExecutionResult res = r.run(
        "602a"
        "6001"
        "5d"
        "6001"
        "5c" +
            kReturnTop,
        10'000);
    ASSERT_EQ(res.status, StatusCode::success);
    EXPECT_EQ(output_word(res), uint256{42});
    EXPECT_EQ(r.host.get_transient_storage(kSelf, slot(1)), uint256{42});
    EXPECT_EQ(r.run("602a"
                    "6001"
                    "5d"
                    "6001"
                    "5c",
                    1000)
                  .gas_left,
              1000 - 3 - 3 - 100 - 3 - 100);
}

// ---- Static mode ----

class StaticTest : public ::testing::TestWithParam<std::string> {};

TEST_P(StaticTest, Violation) {
    Runner r;
    r.is_static = true;
    r.host.balances[kSelf] = 100;
    ExecutionResult res = r.run(GetParam(), 100'000);
    EXPECT_EQ(res.status, StatusCode::static_mode_violation);
    EXPECT_EQ(res.gas_left, 0);
    EXPECT_TRUE(r.host.calls.empty());
    EXPECT_TRUE(r.host.logs.empty());
    EXPECT_TRUE(r.host.selfdestructs.empty());
}

INSTANTIATE_TEST_SUITE_P(Ops, StaticTest,
                         ::testing::Values("6001"
                                           "5f"
                                           "55",  // SSTORE
                                           "6001"
                                           "5f"
                                           "5d",  // TSTORE
                                           "5f5f"
                                           "a0",  // LOG0
                                           "5f5f5f5f5f5f"
                                           "a4",  // LOG4
                                           "5f5f5f"
                                           "f0",  // CREATE
                                           "5f5f5f5f"
                                           "f5",  // CREATE2
                                           "60cc"
                                           "ff",  // SELFDESTRUCT
                                           "5f5f5f5f"
                                           "6001"
                                           "60cc"
                                           "5a"
                                           "f1"  // CALL value
                                           ));

TEST(Interpreter, StaticAllowsReadsAndValuelessCalls) {
    Runner r;
    r.is_static = true;
    ExecutionResult res = r.run(
        "5f5f5f5f5f"
        "60cc"
        "5a"
        "f1"
        "6001"
        "54"
        "6001"
        "5c",
        100'000);
    EXPECT_EQ(res.status, StatusCode::success);
    ASSERT_EQ(r.host.calls.size(), 1u);
    EXPECT_TRUE(r.host.calls[0].msg.is_static);
}

// ---- Calls ----

std::string call_code(const std::string& op, const std::string& value_push,
                      const std::string& gas_push, const Address& to) {
    // out size, out offset, in size, in offset [, value], address, gas, op.
    return "5f5f5f5f" + value_push + "73" + to_hex(to.view(), false) + gas_push + op;
}

TEST(Interpreter, CallAllButOne64th) {
    Runner r;
    r.host.existing.insert(kOther);
    r.host.warm_accounts.insert(kOther);
    ExecutionResult res = r.run(call_code("f1", "5f", "7f" + kMax, kOther), 100'000);
    ASSERT_EQ(res.status, StatusCode::success);
    ASSERT_EQ(r.host.calls.size(), 1u);
    const int64_t before = 100'000 - (4 * 2 + 2 + 3 + 3) - 100;
    EXPECT_EQ(r.host.calls[0].msg.gas, before - before / 64);
    EXPECT_EQ(res.gas_left, before);  // the mock returns all the gas it was given
    const Message& m = r.host.calls[0].msg;
    EXPECT_EQ(m.kind, CallKind::call);
    EXPECT_EQ(m.recipient, kOther);
    EXPECT_EQ(m.code_address, kOther);
    EXPECT_EQ(m.sender, kSelf);
    EXPECT_EQ(m.depth, 1);
    EXPECT_FALSE(m.is_static);
}

TEST(Interpreter, CallRequestedGasBelowCap) {
    Runner r;
    r.host.existing.insert(kOther);
    ExecutionResult res = r.run(call_code("f1", "5f", "61c350", kOther), 100'000);
    ASSERT_EQ(r.host.calls.size(), 1u);
    EXPECT_EQ(r.host.calls[0].msg.gas, 50'000);
    // Cold account: 2600.
    EXPECT_EQ(res.gas_left, 100'000 - 16 - 2600);
}

TEST(Interpreter, CallWithValueStipendAndGasAccounting) {
    Runner r;
    r.host.existing.insert(kOther);
    r.host.warm_accounts.insert(kOther);
    r.host.balances[kSelf] = 10;
    r.host.call_returns_all_gas = false;  // the callee uses everything
    ExecutionResult res = r.run(call_code("f1", "6001", "7f" + kMax, kOther), 100'000);
    ASSERT_EQ(res.status, StatusCode::success);
    ASSERT_EQ(r.host.calls.size(), 1u);
    const int64_t before = 100'000 - (4 * 2 + 3 + 3 + 3) - 100 - 9000;
    const int64_t passed = before - before / 64;
    EXPECT_EQ(r.host.calls[0].msg.gas, passed + 2300);
    EXPECT_EQ(r.host.calls[0].msg.value, uint256{1});
    EXPECT_EQ(res.gas_left, before - passed);
}

TEST(Interpreter, CallValueToNewAccount) {
    Runner r;
    r.host.warm_accounts.insert(kOther);
    r.host.balances[kSelf] = 10;
    ExecutionResult res = r.run(call_code("f1", "6001", "5f", kOther), 100'000);
    ASSERT_EQ(res.status, StatusCode::success);
    ASSERT_EQ(r.host.calls.size(), 1u);
    EXPECT_EQ(r.host.calls[0].msg.gas, 2300);
    // The stipend comes back with the callee's unused gas.
    EXPECT_EQ(res.gas_left, 100'000 - 16 - 100 - 9000 - 25000 + 2300);
}

TEST(Interpreter, CallInsufficientBalanceFailsWithoutCallingHost) {
    Runner r;
    r.host.existing.insert(kOther);
    r.host.warm_accounts.insert(kOther);
    ExecutionResult res = r.run(call_code("f1", "6001", "7f" + kMax, kOther) + kReturnTop, 100'000);
    ASSERT_EQ(res.status, StatusCode::success);
    EXPECT_TRUE(r.host.calls.empty());
    EXPECT_EQ(output_word(res), uint256{});
    // Only the value-transfer and access costs, less the stipend, are spent.
    EXPECT_EQ(res.gas_left, 100'000 - 17 - 100 - 9000 + 2300 - 13);
}

TEST(Interpreter, CallDepthLimit) {
    Runner r;
    r.depth = 1024;
    r.host.existing.insert(kOther);
    ExecutionResult res = r.run(call_code("f1", "5f", "5a", kOther) + kReturnTop, 100'000);
    ASSERT_EQ(res.status, StatusCode::success);
    EXPECT_TRUE(r.host.calls.empty());
    EXPECT_EQ(output_word(res), uint256{});
}

TEST(Interpreter, CallResultAndOutputCopy) {
    Runner r;
    r.host.existing.insert(kOther);
    r.host.call_result.output = hex("11223344");
    // CALL with out offset 0, out size 2; then return MLOAD 0.
    std::string code =
        "6002"
        "5f"
        "5f"
        "5f"
        "5f"
        "73" +
        to_hex(kOther.view(), false) + "5a" +
        "f1"
        "50"
        "5f51" +
        kReturnTop;
    ExecutionResult res = r.run(code, 100'000);
    ASSERT_EQ(res.status, StatusCode::success);
    EXPECT_EQ(output_word(res), word("0x1122" + std::string(60, '0')));
    // RETURNDATASIZE and RETURNDATACOPY within and past the buffer.
    const std::string call = "5f5f5f5f5f73" + to_hex(kOther.view(), false) + "5af150";
    EXPECT_EQ(output_word(r.run(call + "3d" + kReturnTop)), uint256{4});
    EXPECT_EQ(r.run(call + "6004"
                           "5f"
                           "5f"
                           "3e")
                  .status,
              StatusCode::success);
    EXPECT_EQ(r.run(call + "6003"
                           "6001"
                           "5f"
                           "3e")
                  .status,
              StatusCode::success);
    EXPECT_EQ(r.run(call + "6004"
                           "6001"
                           "5f"
                           "3e")
                  .status,
              StatusCode::invalid_memory_access);
    EXPECT_EQ(r.run(call + "6005"
                           "5f"
                           "5f"
                           "3e")
                  .status,
              StatusCode::invalid_memory_access);
}

TEST(Interpreter, FailedCallPushesZeroAndKeepsRevertData) {
    Runner r;
    r.host.existing.insert(kOther);
    r.host.call_result.status = StatusCode::revert;
    r.host.call_result.output = hex("abcd");
    const std::string call = "5f5f5f5f5f73" + to_hex(kOther.view(), false) + "5af1";
    EXPECT_EQ(output_word(r.run(call + kReturnTop)), uint256{});
    EXPECT_EQ(output_word(r.run(call + "3d" + kReturnTop)), uint256{2});
}

TEST(Interpreter, DelegateAndStaticCallMessages) {
    Runner r;
    r.host.existing.insert(kOther);
    // DELEGATECALL: out size, out offset, in size, in offset, address, gas.
    ASSERT_EQ(r.run("5f5f5f5f73" + to_hex(kOther.view(), false) + "5af4").status,
              StatusCode::success);
    ASSERT_EQ(r.run("5f5f5f5f73" + to_hex(kOther.view(), false) + "5afa").status,
              StatusCode::success);
    // CALLCODE with a value the caller cannot afford: not made.
    ASSERT_EQ(r.run(call_code("f2", "6003", "5a", kOther)).status, StatusCode::success);
    ASSERT_EQ(r.host.calls.size(), 2u);
    const Message& d = r.host.calls[0].msg;
    EXPECT_EQ(d.kind, CallKind::delegatecall);
    EXPECT_EQ(d.recipient, kSelf);
    EXPECT_EQ(d.sender, kCaller);
    EXPECT_EQ(d.code_address, kOther);
    EXPECT_EQ(d.value, uint256{7});
    const Message& s = r.host.calls[1].msg;
    EXPECT_EQ(s.kind, CallKind::staticcall);
    EXPECT_TRUE(s.is_static);
    EXPECT_EQ(s.recipient, kOther);
    EXPECT_EQ(s.sender, kSelf);
    r.host.balances[kSelf] = 3;
    ASSERT_EQ(r.run(call_code("f2", "6003", "5a", kOther)).status, StatusCode::success);
    ASSERT_EQ(r.host.calls.size(), 3u);
    const Message& c = r.host.calls[2].msg;
    EXPECT_EQ(c.kind, CallKind::callcode);
    EXPECT_EQ(c.recipient, kSelf);
    EXPECT_EQ(c.sender, kSelf);
    EXPECT_EQ(c.code_address, kOther);
    EXPECT_EQ(c.value, uint256{3});
}

TEST(Interpreter, CallInputFromMemory) {
    Runner r;
    r.host.existing.insert(kOther);
    // MSTORE 0x1122 at 0; CALL with in offset 30, in size 2.
    ExecutionResult res = r.run(
        "611122"
        "5f"
        "52"
        "5f5f"
        "6002"
        "601e"
        "5f"
        "73" +
        to_hex(kOther.view(), false) +
        "5a"
        "f1");
    ASSERT_EQ(res.status, StatusCode::success);
    ASSERT_EQ(r.host.calls.size(), 1u);
    EXPECT_EQ(r.host.calls[0].input, hex("1122"));
}

// ---- Creates ----

TEST(Interpreter, Create2MessageFields) {
    Runner r;
    r.host.balances[kSelf] = 100;
    r.host.call_result.create_address = addr(0xdd);
    // MSTORE 0x600160005500 right-aligned at word 0 (bytes 26..31).
    // CREATE2(value 5, offset 26, size 6, salt 0x42).
    const std::string code =
        "65600160005500"
        "5f"
        "52"
        "6042"
        "6006"
        "601a"
        "6005"
        "f5";
    ExecutionResult res = r.run(code + kReturnTop, 200'000);
    ASSERT_EQ(res.status, StatusCode::success);
    EXPECT_EQ(output_word(res), uint256{0xdd});
    ASSERT_EQ(r.host.calls.size(), 1u);
    const Message& m = r.host.calls[0].msg;
    EXPECT_EQ(m.kind, CallKind::create2);
    EXPECT_EQ(r.host.calls[0].input, hex("600160005500"));
    EXPECT_EQ(m.create2_salt, slot(0x42));
    EXPECT_EQ(m.sender, kSelf);
    EXPECT_EQ(m.value, uint256{5});
    EXPECT_EQ(m.depth, 1);
    EXPECT_FALSE(m.is_static);
    const int64_t before = 200'000 - (3 + 2 + 3 + 3) - (3 * 4) - 32000 - 8;  // 8: one word
    EXPECT_EQ(m.gas, before - before / 64);
}

TEST(Interpreter, CreateGasAndFailure) {
    Runner r;
    r.host.call_result.status = StatusCode::revert;
    r.host.call_result.output = hex("beef");
    // CREATE(value 0, offset 0, size 64): 2 gas per init code word, memory for two words.
    ExecutionResult res = r.run(
        "6040"
        "5f"
        "5f"
        "f0" +
            std::string("3d") + kReturnTop,
        100'000);
    ASSERT_EQ(res.status, StatusCode::success);
    EXPECT_EQ(output_word(res), uint256{2});  // revert data kept as return data
    ASSERT_EQ(r.host.calls.size(), 1u);
    EXPECT_EQ(r.host.calls[0].msg.kind, CallKind::create);
    EXPECT_EQ(r.host.calls[0].input.size(), 64u);
    const int64_t before = 100'000 - 7 - 6 - 32000 - 4;
    EXPECT_EQ(r.host.calls[0].msg.gas, before - before / 64);
}

TEST(Interpreter, CreateInitcodeLimitAndBalance) {
    Runner r;
    // 49153 bytes of init code: exceptional halt.
    ExecutionResult res = r.run(
        "62"
        "00c001"
        "5f"
        "5f"
        "f0",
        10'000'000);
    EXPECT_EQ(res.status, StatusCode::out_of_gas);
    EXPECT_TRUE(r.host.calls.empty());
    // 49152 is fine.
    res = r.run(
        "62"
        "00c000"
        "5f"
        "5f"
        "f0",
        10'000'000);
    EXPECT_EQ(res.status, StatusCode::success);
    EXPECT_EQ(r.host.calls.size(), 1u);
    // Value the creator does not have: pushes 0, host not called.
    res = r.run(
        "5f"
        "5f"
        "6001"
        "f0" +
            kReturnTop,
        100'000);
    EXPECT_EQ(output_word(res), uint256{});
    EXPECT_EQ(r.host.calls.size(), 1u);
}

// ---- Logs and selfdestruct ----

TEST(Interpreter, LogTopicsDataAndGas) {
    Runner r;
    // MSTORE 0xabcd at 0; LOG2(offset 30, size 2, topic1 7, topic2 9).
    ExecutionResult res = r.run(
        "61abcd"
        "5f"
        "52"
        "6009"
        "6007"
        "6002"
        "601e"
        "a2",
        10'000);
    ASSERT_EQ(res.status, StatusCode::success);
    ASSERT_EQ(r.host.logs.size(), 1u);
    EXPECT_EQ(r.host.logs[0].address, kSelf);
    EXPECT_EQ(r.host.logs[0].data, hex("abcd"));
    ASSERT_EQ(r.host.logs[0].topics.size(), 2u);
    EXPECT_EQ(r.host.logs[0].topics[0], slot(7));
    EXPECT_EQ(r.host.logs[0].topics[1], slot(9));
    EXPECT_EQ(res.gas_left, 10'000 - (3 + 2 + 3 + 3) - 12 - (375 + 2 * 375 + 8 * 2));
}

TEST(Interpreter, SelfdestructCallsHostAndCharges) {
    Runner r;
    r.host.balances[kSelf] = 1;
    ExecutionResult res = r.run("73" + to_hex(kOther.view(), false) +
                                    "ff"
                                    "fe",
                                100'000);
    ASSERT_EQ(res.status, StatusCode::success);
    ASSERT_EQ(r.host.selfdestructs.size(), 1u);
    EXPECT_EQ(r.host.selfdestructs[0].first, kSelf);
    EXPECT_EQ(r.host.selfdestructs[0].second, kOther);
    EXPECT_EQ(res.gas_left, 100'000 - 3 - 5000 - 2600 - 25000);
    // Warm, existing beneficiary.
    r.host.existing.insert(kOther);
    res = r.run("73" + to_hex(kOther.view(), false) + "ff", 100'000);
    EXPECT_EQ(res.gas_left, 100'000 - 3 - 5000);
}

// ---- Analysis ----

TEST(Analysis, JumpdestsSkipPushData) {
    const Bytes code = hex("5b605b5b7f" + std::string(64, '0') + "5b5b");
    CodeAnalysis a = analyze(code);
    EXPECT_EQ(a.code_size, code.size());
    EXPECT_EQ(a.padded_code.size(), code.size() + 33);
    EXPECT_TRUE(a.is_jumpdest(0));
    EXPECT_FALSE(a.is_jumpdest(2));
    EXPECT_TRUE(a.is_jumpdest(3));
    EXPECT_FALSE(a.is_jumpdest(36));  // last byte of the PUSH32 data
    EXPECT_TRUE(a.is_jumpdest(37));
    EXPECT_TRUE(a.is_jumpdest(38));
    EXPECT_FALSE(a.is_jumpdest(39));
    EXPECT_FALSE(a.is_jumpdest(1000));
}

TEST(Analysis, CacheSharesAndBounds) {
    AnalysisCache cache(2);
    const Bytes c1 = hex("5b00"), c2 = hex("6001"), c3 = hex("00");
    auto a1 = cache.get(keccak256(c1), c1);
    auto again = cache.get(keccak256(c1), c1);
    EXPECT_EQ(a1.get(), again.get());
    EXPECT_TRUE(a1->is_jumpdest(0));
    cache.get(keccak256(c2), c2);
    EXPECT_EQ(cache.size(), 2u);
    cache.get(keccak256(c3), c3);
    EXPECT_EQ(cache.size(), 1u);      // cleared when full
    EXPECT_TRUE(a1->is_jumpdest(0));  // still valid while held
}

TEST(Opcodes, TableMatchesCancun) {
    int defined = 0;
    for (const OpcodeInfo& i : kOpcodeInfo)
        defined += i.name != nullptr;
    EXPECT_EQ(defined, 149);
    EXPECT_STREQ(kOpcodeInfo[0x5f].name, "PUSH0");
    EXPECT_EQ(kOpcodeInfo[0x5e].base_gas, 3);
    EXPECT_EQ(kOpcodeInfo[0xf1].stack_in, 7);
    EXPECT_EQ(kOpcodeInfo[0x9f].stack_in, 17);
    EXPECT_EQ(kOpcodeInfo[0x8f].stack_change, 1);
    EXPECT_EQ(kOpcodeInfo[0x0c].name, nullptr);
}

TEST(Interpreter, StatusNames) {
    EXPECT_STREQ(status_name(StatusCode::out_of_gas), "out of gas");
    EXPECT_STREQ(status_name(StatusCode::success), "success");
}

}  // namespace
}  // namespace hc::evm
