#include "evm/interpreter.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "common/keccak.h"
#include "evm/instructions.h"

namespace hc::evm {
namespace {

constexpr int kStackLimit = 1024;
constexpr int32_t kCallDepthLimit = 1024;
// Offsets and sizes above this are out of gas long before they could be paid for; bounding them
// keeps every size computation within 64 bits.
constexpr uint64_t kMaxBufferSize = 0xffffffff;
constexpr uint64_t kMaxInitcodeSize = 0xc000;  // EIP-3860

// EIP-2929.
constexpr int64_t kColdAccountExtra = 2500;  // 2600 cold minus the 100 warm base
constexpr int64_t kColdSloadExtra = 2000;    // 2100 cold minus the 100 warm base
constexpr int64_t kColdSloadCost = 2100;
constexpr int64_t kColdAccountCost = 2600;
// CALL.
constexpr int64_t kCallValueCost = 9000;
constexpr int64_t kNewAccountCost = 25000;
constexpr int64_t kCallStipend = 2300;
constexpr int64_t kSelfdestructNewAccountCost = 25000;

// SSTORE cost (warm part) and refund per StorageStatus, EIP-2200 as amended by EIP-2929 and
// EIP-3529 (the table evmone uses for Cancun).
struct SstoreCost {
    int64_t gas;
    int64_t refund;
};
constexpr SstoreCost sstore_cost(StorageStatus s) noexcept {
    switch (s) {
        case StorageStatus::assigned:
            return {100, 0};
        case StorageStatus::added:
            return {20000, 0};
        case StorageStatus::deleted:
            return {2900, 4800};
        case StorageStatus::modified:
            return {2900, 0};
        case StorageStatus::deleted_added:
            return {100, -4800};
        case StorageStatus::modified_deleted:
            return {100, 4800};
        case StorageStatus::deleted_restored:
            return {100, -4800 + 2800};
        case StorageStatus::added_deleted:
            return {100, 19900};
        case StorageStatus::modified_restored:
            return {100, 2800};
    }
    return {100, 0};
}

inline uint256 to_word(const Address& a) noexcept {
    uint8_t buf[32] = {};
    std::memcpy(buf + 12, a.data(), 20);
    return uint256::load_be32(buf);
}
inline uint256 to_word(const Hash32& h) noexcept {
    return uint256::load_be32(h.data());
}
inline Address to_address(const uint256& w) noexcept {
    uint8_t buf[32];
    w.store_be32(buf);
    Address a;
    std::memcpy(a.data(), buf + 12, 20);
    return a;
}
inline Hash32 to_hash(const uint256& w) noexcept {
    Hash32 h;
    w.store_be32(h.data());
    return h;
}

// Big-endian 32-byte load and store, inline here because MLOAD, MSTORE and PUSH run them on the
// hot path.
inline uint256 load_word(const uint8_t* p) noexcept {
    uint256 r;
    for (int i = 0; i < 4; ++i) {
        uint64_t w;
        std::memcpy(&w, p + 8 * (3 - i), 8);
        r.words[i] = __builtin_bswap64(w);
    }
    return r;
}
inline void store_word(uint8_t* p, const uint256& v) noexcept {
    for (int i = 0; i < 4; ++i) {
        const uint64_t w = __builtin_bswap64(v.words[i]);
        std::memcpy(p + 8 * (3 - i), &w, 8);
    }
}

constexpr uint64_t num_words(uint64_t size) noexcept {
    return (size + 31) / 32;
}
constexpr int64_t memory_cost(uint64_t words) noexcept {
    return static_cast<int64_t>(3 * words + words * words / 512);
}

// The per-frame working set, reused across executions on a thread so that a call allocates
// nothing once the thread has run a frame at that nesting level.
struct Frame {
    uint256 stack[kStackLimit];
    Bytes memory;
    Bytes return_data;
};

class FramePool {
  public:
    std::unique_ptr<Frame> acquire() {
        if (free_.empty()) return std::make_unique<Frame>();
        std::unique_ptr<Frame> f = std::move(free_.back());
        free_.pop_back();
        return f;
    }
    void release(std::unique_ptr<Frame> f) noexcept {
        constexpr size_t kKeep = 1 << 20;  // do not hold on to huge buffers
        f->memory.clear();
        f->return_data.clear();
        if (f->memory.capacity() > kKeep) Bytes().swap(f->memory);
        if (f->return_data.capacity() > kKeep) Bytes().swap(f->return_data);
        try {
            free_.push_back(std::move(f));
        } catch (...) {  // dropping the frame is fine
        }
    }

  private:
    std::vector<std::unique_ptr<Frame>> free_;
};

thread_local FramePool t_pool;

struct FrameLease {
    std::unique_ptr<Frame> frame;
    ~FrameLease() {
        if (frame) t_pool.release(std::move(frame));
    }
};

// Grows memory to cover new_size bytes, charging the expansion. False: out of gas.
[[gnu::noinline]] bool grow_memory(Bytes& mem, int64_t& gas, uint64_t new_size) noexcept {
    const uint64_t new_words = num_words(new_size);
    const uint64_t cur_words = mem.size() / 32;
    gas -= memory_cost(new_words) - memory_cost(cur_words);
    if (gas < 0) return false;
    try {
        mem.resize(new_words * 32);
    } catch (...) {
        return false;
    }
    return true;
}

// Validates a memory range taken from the stack and expands memory to cover it. A zero size
// touches nothing whatever the offset. False: out of gas.
inline bool check_memory(Bytes& mem, int64_t& gas, const uint256& offset, const uint256& size,
                         uint64_t& off, uint64_t& sz) noexcept {
    if (size.is_zero()) {
        off = 0;
        sz = 0;
        return true;
    }
    if (!offset.fits_uint64() || !size.fits_uint64() || offset.low64() > kMaxBufferSize ||
        size.low64() > kMaxBufferSize)
        return false;
    off = offset.low64();
    sz = size.low64();
    const uint64_t end = off + sz;
    return end <= mem.size() || grow_memory(mem, gas, end);
}

// check_memory for a fixed, non-zero length (MLOAD, MSTORE, MSTORE8).
inline bool check_memory_fixed(Bytes& mem, int64_t& gas, const uint256& offset, uint64_t len,
                               uint64_t& off) noexcept {
    if (!offset.fits_uint64() || offset.low64() > kMaxBufferSize) return false;
    off = offset.low64();
    const uint64_t end = off + len;
    return end <= mem.size() || grow_memory(mem, gas, end);
}

// Copies src[src_off, src_off + sz) to dst, zero-filling past the end of src.
inline void copy_padded(uint8_t* dst, BytesView src, const uint256& src_off, uint64_t sz) noexcept {
    const uint64_t start =
        src_off.fits_uint64() && src_off.low64() < src.size() ? src_off.low64() : src.size();
    const uint64_t n = std::min<uint64_t>(sz, src.size() - start);
    if (n) std::memcpy(dst, src.data() + start, n);
    if (sz > n) std::memset(dst + n, 0, sz - n);
}

ExecutionResult failure(StatusCode status) noexcept {
    ExecutionResult r;
    r.status = status;
    r.gas_left = 0;
    r.gas_refund = 0;
    return r;
}

}  // namespace

CodeAnalysis analyze(BytesView code) {
    CodeAnalysis a;
    a.code_size = code.size();
    a.padded_code.resize(code.size() + 33);
    if (!code.empty()) std::memcpy(a.padded_code.data(), code.data(), code.size());
    a.jumpdest_bitmap.assign(code.size() / 64 + 1, 0);
    for (size_t i = 0; i < code.size(); ++i) {
        const uint8_t op = code[i];
        if (op == OP_JUMPDEST)
            a.jumpdest_bitmap[i / 64] |= uint64_t{1} << (i % 64);
        else if (op >= OP_PUSH1 && op <= OP_PUSH32)
            i += op - OP_PUSH0;
    }
    return a;
}

ExecutionResult execute(Host& host, const Message& msg, BytesView code) noexcept {
    try {
        const CodeAnalysis analysis = analyze(code);
        return execute(host, msg, analysis);
    } catch (...) {
        return failure(StatusCode::internal_error);
    }
}

ExecutionResult execute(Host& host, const Message& msg, const CodeAnalysis& code) noexcept {
    FrameLease lease;
    try {
        lease.frame = t_pool.acquire();
    } catch (...) {
        return failure(StatusCode::internal_error);
    }
    Frame& f = *lease.frame;
    Bytes& mem = f.memory;

    int64_t gas = msg.gas;
    int64_t refund = 0;
    // A create frame runs its init code with no calldata, whatever the message carries.
    const BytesView calldata =
        msg.kind == CallKind::create || msg.kind == CallKind::create2 ? BytesView() : msg.input;
    uint256* const bottom = f.stack;
    uint256* top = bottom;  // one past the top item
    const uint8_t* const code_begin = code.padded_code.data();
    const uint8_t* pc = code_begin;
    StatusCode status = StatusCode::success;
    uint64_t off = 0, sz = 0;
    ExecutionResult result;

#define HC_FAIL(code_)    \
    do {                  \
        status = (code_); \
        goto exceptional; \
    } while (0)
#define HC_CHARGE(amount)                                           \
    do {                                                            \
        if ((gas -= (amount)) < 0) HC_FAIL(StatusCode::out_of_gas); \
    } while (0)
#define HC_MEMORY(offset_, size_) \
    if (!check_memory(mem, gas, (offset_), (size_), off, sz)) HC_FAIL(StatusCode::out_of_gas)
#define HC_BINARY(expr)             \
    {                               \
        const uint256& a = top[-1]; \
        const uint256& b = top[-2]; \
        top[-2] = (expr);           \
        --top;                      \
        ++pc;                       \
        continue;                   \
    }

    for (;;) {
        const uint8_t op = *pc;
        const OpcodeInfo& info = kOpcodeInfo[op];
        if (info.name == nullptr) HC_FAIL(StatusCode::undefined_instruction);
        {
            const auto height = top - bottom;
            if (height < info.stack_in) HC_FAIL(StatusCode::stack_underflow);
            if (height + info.stack_change > kStackLimit) HC_FAIL(StatusCode::stack_overflow);
        }
        HC_CHARGE(info.base_gas);

        switch (op) {
            case OP_STOP:
                goto done;
            case OP_ADD:
                HC_BINARY(a + b)
            case OP_MUL:
                HC_BINARY(a * b)
            case OP_SUB:
                HC_BINARY(a - b)
            case OP_DIV:
                HC_BINARY(a / b)
            case OP_SDIV:
                HC_BINARY(sdiv(a, b))
            case OP_MOD:
                HC_BINARY(a % b)
            case OP_SMOD:
                HC_BINARY(smod(a, b))
            case OP_ADDMOD:
                top[-3] = addmod(top[-1], top[-2], top[-3]);
                top -= 2;
                break;
            case OP_MULMOD:
                top[-3] = mulmod(top[-1], top[-2], top[-3]);
                top -= 2;
                break;
            case OP_EXP: {
                HC_CHARGE(50 * static_cast<int64_t>(top[-2].byte_length()));
                top[-2] = exp(top[-1], top[-2]);
                --top;
                break;
            }
            case OP_SIGNEXTEND:
                HC_BINARY(signextend(a, b))
            case OP_LT:
                HC_BINARY(uint256{a < b})
            case OP_GT:
                HC_BINARY(uint256{a > b})
            case OP_SLT:
                HC_BINARY(uint256{slt(a, b)})
            case OP_SGT:
                HC_BINARY(uint256{sgt(a, b)})
            case OP_EQ:
                HC_BINARY(uint256{a == b})
            case OP_ISZERO:
                top[-1] = uint256{top[-1].is_zero()};
                break;
            case OP_AND:
                HC_BINARY(a & b)
            case OP_OR:
                HC_BINARY(a | b)
            case OP_XOR:
                HC_BINARY(a ^ b)
            case OP_NOT:
                top[-1] = ~top[-1];
                break;
            case OP_BYTE:
                HC_BINARY(byte_at(a, b))
            case OP_SHL:
                HC_BINARY(b << a)
            case OP_SHR:
                HC_BINARY(b >> a)
            case OP_SAR:
                HC_BINARY(sar(b, a))

            case OP_KECCAK256: {
                HC_MEMORY(top[-1], top[-2]);
                HC_CHARGE(6 * static_cast<int64_t>(num_words(sz)));
                const Hash32 h = keccak256(BytesView(mem.data() + off, sz));
                top[-2] = to_word(h);
                --top;
                break;
            }

            case OP_ADDRESS:
                *top++ = to_word(msg.recipient);
                break;
            case OP_BALANCE: {
                const Address a = to_address(top[-1]);
                if (host.access_account(a) == AccessStatus::cold) HC_CHARGE(kColdAccountExtra);
                top[-1] = host.get_balance(a);
                break;
            }
            case OP_ORIGIN:
                *top++ = to_word(host.tx_context().origin);
                break;
            case OP_CALLER:
                *top++ = to_word(msg.sender);
                break;
            case OP_CALLVALUE:
                *top++ = msg.value;
                break;
            case OP_CALLDATALOAD: {
                uint8_t buf[32];
                copy_padded(buf, calldata, top[-1], 32);
                top[-1] = load_word(buf);
                break;
            }
            case OP_CALLDATASIZE:
                *top++ = uint256{calldata.size()};
                break;
            case OP_CALLDATACOPY:
            case OP_CODECOPY: {
                HC_MEMORY(top[-1], top[-3]);
                HC_CHARGE(3 * static_cast<int64_t>(num_words(sz)));
                if (sz) {
                    const BytesView src = op == OP_CALLDATACOPY
                                              ? calldata
                                              : BytesView(code.padded_code.data(), code.code_size);
                    copy_padded(mem.data() + off, src, top[-2], sz);
                }
                top -= 3;
                break;
            }
            case OP_CODESIZE:
                *top++ = uint256{code.code_size};
                break;
            case OP_GASPRICE:
                *top++ = host.tx_context().gas_price;
                break;
            case OP_EXTCODESIZE: {
                const Address a = to_address(top[-1]);
                if (host.access_account(a) == AccessStatus::cold) HC_CHARGE(kColdAccountExtra);
                top[-1] = uint256{host.get_code_size(a)};
                break;
            }
            case OP_EXTCODECOPY: {
                const Address a = to_address(top[-1]);
                HC_MEMORY(top[-2], top[-4]);
                HC_CHARGE(3 * static_cast<int64_t>(num_words(sz)));
                if (host.access_account(a) == AccessStatus::cold) HC_CHARGE(kColdAccountExtra);
                if (sz) copy_padded(mem.data() + off, host.get_code(a), top[-3], sz);
                top -= 4;
                break;
            }
            case OP_RETURNDATASIZE:
                *top++ = uint256{f.return_data.size()};
                break;
            case OP_RETURNDATACOPY: {
                HC_MEMORY(top[-1], top[-3]);
                const uint256& src = top[-2];
                if (!src.fits_uint64() || src.low64() > f.return_data.size() ||
                    f.return_data.size() - src.low64() < top[-3])
                    HC_FAIL(StatusCode::invalid_memory_access);
                HC_CHARGE(3 * static_cast<int64_t>(num_words(sz)));
                if (sz) std::memcpy(mem.data() + off, f.return_data.data() + src.low64(), sz);
                top -= 3;
                break;
            }
            case OP_EXTCODEHASH: {
                const Address a = to_address(top[-1]);
                if (host.access_account(a) == AccessStatus::cold) HC_CHARGE(kColdAccountExtra);
                top[-1] = to_word(host.get_code_hash(a));
                break;
            }

            case OP_BLOCKHASH: {
                const uint64_t current = host.tx_context().number;
                const uint64_t lower = current > 256 ? current - 256 : 0;
                const uint256& n = top[-1];
                if (n.fits_uint64() && n.low64() < current && n.low64() >= lower &&
                    n.low64() <= static_cast<uint64_t>(INT64_MAX))
                    top[-1] = to_word(host.get_block_hash(static_cast<int64_t>(n.low64())));
                else
                    top[-1] = uint256{};
                break;
            }
            case OP_COINBASE:
                *top++ = to_word(host.tx_context().coinbase);
                break;
            case OP_TIMESTAMP:
                *top++ = uint256{host.tx_context().timestamp};
                break;
            case OP_NUMBER:
                *top++ = uint256{host.tx_context().number};
                break;
            case OP_PREVRANDAO:
                *top++ = host.tx_context().prev_randao;
                break;
            case OP_GASLIMIT:
                *top++ = uint256{host.tx_context().gas_limit};
                break;
            case OP_CHAINID:
                *top++ = host.tx_context().chain_id;
                break;
            case OP_SELFBALANCE:
                *top++ = host.get_balance(msg.recipient);
                break;
            case OP_BASEFEE:
                *top++ = host.tx_context().base_fee;
                break;
            case OP_BLOBHASH: {
                const std::span<const Hash32> hashes = host.tx_context().blob_hashes;
                const uint256& i = top[-1];
                top[-1] = i.fits_uint64() && i.low64() < hashes.size() ? to_word(hashes[i.low64()])
                                                                       : uint256{};
                break;
            }
            case OP_BLOBBASEFEE:
                *top++ = host.tx_context().blob_base_fee;
                break;

            case OP_POP:
                --top;
                break;
            case OP_MLOAD:
                if (!check_memory_fixed(mem, gas, top[-1], 32, off))
                    HC_FAIL(StatusCode::out_of_gas);
                top[-1] = load_word(mem.data() + off);
                break;
            case OP_MSTORE:
                if (!check_memory_fixed(mem, gas, top[-1], 32, off))
                    HC_FAIL(StatusCode::out_of_gas);
                store_word(mem.data() + off, top[-2]);
                top -= 2;
                break;
            case OP_MSTORE8:
                if (!check_memory_fixed(mem, gas, top[-1], 1, off)) HC_FAIL(StatusCode::out_of_gas);
                mem[off] = static_cast<uint8_t>(top[-2].low64());
                top -= 2;
                break;
            case OP_SLOAD: {
                const Hash32 key = to_hash(top[-1]);
                if (host.access_storage(msg.recipient, key) == AccessStatus::cold)
                    HC_CHARGE(kColdSloadExtra);
                top[-1] = host.get_storage(msg.recipient, key);
                break;
            }
            case OP_SSTORE: {
                if (msg.is_static) HC_FAIL(StatusCode::static_mode_violation);
                if (gas <= kCallStipend) HC_FAIL(StatusCode::out_of_gas);  // EIP-2200 sentry
                const Hash32 key = to_hash(top[-1]);
                const int64_t cold = host.access_storage(msg.recipient, key) == AccessStatus::cold
                                         ? kColdSloadCost
                                         : 0;
                const SstoreCost c = sstore_cost(host.set_storage(msg.recipient, key, top[-2]));
                HC_CHARGE(cold + c.gas);
                refund += c.refund;
                top -= 2;
                break;
            }
            case OP_JUMP: {
                const uint256& dest = top[-1];
                if (!dest.fits_uint64() || !code.is_jumpdest(dest.low64()))
                    HC_FAIL(StatusCode::bad_jump_destination);
                pc = code_begin + dest.low64();
                --top;
                continue;
            }
            case OP_JUMPI: {
                if (!top[-2].is_zero()) {
                    const uint256& dest = top[-1];
                    if (!dest.fits_uint64() || !code.is_jumpdest(dest.low64()))
                        HC_FAIL(StatusCode::bad_jump_destination);
                    pc = code_begin + dest.low64();
                    top -= 2;
                    continue;
                }
                top -= 2;
                break;
            }
            case OP_PC:
                *top++ = uint256{static_cast<uint64_t>(pc - code_begin)};
                break;
            case OP_MSIZE:
                *top++ = uint256{mem.size()};
                break;
            case OP_GAS:
                *top++ = uint256{static_cast<uint64_t>(gas)};
                break;
            case OP_JUMPDEST:
                break;
            case OP_TLOAD:
                top[-1] = host.get_transient_storage(msg.recipient, to_hash(top[-1]));
                break;
            case OP_TSTORE:
                if (msg.is_static) HC_FAIL(StatusCode::static_mode_violation);
                host.set_transient_storage(msg.recipient, to_hash(top[-1]), top[-2]);
                top -= 2;
                break;
            case OP_MCOPY: {
                const uint256& dst = top[-1];
                const uint256& src = top[-2];
                HC_MEMORY(dst > src ? dst : src, top[-3]);
                HC_CHARGE(3 * static_cast<int64_t>(num_words(sz)));
                if (sz) std::memmove(mem.data() + dst.low64(), mem.data() + src.low64(), sz);
                top -= 3;
                break;
            }
            case OP_PUSH0:
                *top++ = uint256{};
                break;
            case OP_PUSH1:
                *top++ = uint256{pc[1]};
                pc += 2;
                continue;
            case OP_PUSH2 ... OP_PUSH8: {
                // Fixed-size reads past the immediate are safe: a PUSH is real code, and the
                // padding leaves 33 bytes after the last code byte.
                const unsigned n = op - OP_PUSH0;
                uint64_t w;
                std::memcpy(&w, pc + 1, 8);
                *top++ = uint256{__builtin_bswap64(w) >> (64 - 8 * n)};
                pc += n + 1;
                continue;
            }
            case OP_PUSH9 ... OP_PUSH32: {
                const unsigned n = op - OP_PUSH0;
                *top++ = load_word(pc + 1) >> (8 * (32 - n));
                pc += n + 1;
                continue;
            }
            case OP_DUP1 ... OP_DUP16: {
                const int n = op - OP_DUP1 + 1;
                *top = top[-n];
                ++top;
                break;
            }
            case OP_SWAP1 ... OP_SWAP16: {
                const int n = op - OP_SWAP1 + 1;
                std::swap(top[-1], top[-1 - n]);
                break;
            }
            case OP_LOG0 ... OP_LOG4: {
                if (msg.is_static) HC_FAIL(StatusCode::static_mode_violation);
                const int n = op - OP_LOG0;
                HC_MEMORY(top[-1], top[-2]);
                HC_CHARGE(8 * static_cast<int64_t>(sz));
                Hash32 topics[4];
                for (int i = 0; i < n; ++i)
                    topics[i] = to_hash(top[-3 - i]);
                host.emit_log(msg.recipient, BytesView(mem.data() + off, sz),
                              std::span<const Hash32>(topics, static_cast<size_t>(n)));
                top -= 2 + n;
                break;
            }

            case OP_CREATE:
            case OP_CREATE2: {
                if (msg.is_static) HC_FAIL(StatusCode::static_mode_violation);
                const bool is_create2 = op == OP_CREATE2;
                const uint256 endowment = top[-1];
                const uint256 init_off = top[-2];
                const uint256 init_size = top[-3];
                Hash32 salt{};
                if (is_create2) salt = to_hash(top[-4]);
                top -= is_create2 ? 3 : 2;
                top[-1] = uint256{};
                f.return_data.clear();
                HC_MEMORY(init_off, init_size);
                if (sz > kMaxInitcodeSize) HC_FAIL(StatusCode::out_of_gas);
                HC_CHARGE((is_create2 ? 8 : 2) * static_cast<int64_t>(num_words(sz)));
                if (msg.depth >= kCallDepthLimit) break;
                if (!endowment.is_zero() && host.get_balance(msg.recipient) < endowment) break;

                Message m;
                m.kind = is_create2 ? CallKind::create2 : CallKind::create;
                m.is_static = false;
                m.depth = msg.depth + 1;
                m.gas = gas - gas / 64;
                m.sender = msg.recipient;
                m.value = endowment;
                m.input = sz ? BytesView(mem.data() + off, sz) : BytesView();
                m.create2_salt = salt;
                ExecutionResult r = host.call(m);
                gas -= m.gas - r.gas_left;
                if (r.status == StatusCode::success) refund += r.gas_refund;
                if (r.status == StatusCode::success) top[-1] = to_word(r.create_address);
                if (r.status == StatusCode::revert) f.return_data = std::move(r.output);
                break;
            }

            case OP_CALL:
            case OP_CALLCODE:
            case OP_DELEGATECALL:
            case OP_STATICCALL: {
                const bool has_value_arg = op == OP_CALL || op == OP_CALLCODE;
                const uint256 requested = top[-1];
                const Address dst = to_address(top[-2]);
                const uint256 value = has_value_arg ? top[-3] : uint256{};
                const uint256* args = has_value_arg ? top - 4 : top - 3;
                const uint256 in_off = args[0], in_size = args[-1];
                const uint256 out_off = args[-2], out_size = args[-3];
                top -= has_value_arg ? 6 : 5;
                top[-1] = uint256{};
                f.return_data.clear();
                const bool has_value = !value.is_zero();

                if (host.access_account(dst) == AccessStatus::cold) HC_CHARGE(kColdAccountExtra);
                uint64_t in_o = 0, in_s = 0;
                HC_MEMORY(in_off, in_size);
                in_o = off;
                in_s = sz;
                HC_MEMORY(out_off, out_size);
                const uint64_t out_o = off, out_s = sz;

                Message m;
                m.depth = msg.depth + 1;
                m.code_address = dst;
                m.input = in_s ? BytesView(mem.data() + in_o, in_s) : BytesView();
                switch (op) {
                    case OP_CALL:
                        m.kind = CallKind::call;
                        m.is_static = msg.is_static;
                        m.recipient = dst;
                        m.sender = msg.recipient;
                        m.value = value;
                        break;
                    case OP_CALLCODE:
                        m.kind = CallKind::callcode;
                        m.is_static = msg.is_static;
                        m.recipient = msg.recipient;
                        m.sender = msg.recipient;
                        m.value = value;
                        break;
                    case OP_DELEGATECALL:
                        m.kind = CallKind::delegatecall;
                        m.is_static = msg.is_static;
                        m.recipient = msg.recipient;
                        m.sender = msg.sender;
                        m.value = msg.value;
                        break;
                    default:
                        m.kind = CallKind::staticcall;
                        m.is_static = true;
                        m.recipient = dst;
                        m.sender = msg.recipient;
                        break;
                }

                int64_t cost = has_value ? kCallValueCost : 0;
                if (op == OP_CALL && has_value) {
                    if (msg.is_static) HC_FAIL(StatusCode::static_mode_violation);
                    if (!host.account_exists(dst)) cost += kNewAccountCost;
                }
                HC_CHARGE(cost);

                m.gas = requested.fits_uint64() && requested.low64() <= INT64_MAX
                            ? static_cast<int64_t>(requested.low64())
                            : INT64_MAX;
                m.gas = std::min(m.gas, gas - gas / 64);
                if (has_value) {
                    m.gas += kCallStipend;
                    gas += kCallStipend;
                }
                if (msg.depth >= kCallDepthLimit) break;
                if (has_value && host.get_balance(msg.recipient) < value) break;

                ExecutionResult r = host.call(m);
                top[-1] = uint256{r.status == StatusCode::success};
                gas -= m.gas - r.gas_left;
                if (r.status == StatusCode::success) refund += r.gas_refund;
                f.return_data = std::move(r.output);
                if (const uint64_t n = std::min<uint64_t>(out_s, f.return_data.size()); n)
                    std::memcpy(mem.data() + out_o, f.return_data.data(), n);
                break;
            }

            case OP_RETURN:
            case OP_REVERT: {
                HC_MEMORY(top[-1], top[-2]);
                try {
                    result.output.assign(mem.data() + off, mem.data() + off + sz);
                } catch (...) {
                    HC_FAIL(StatusCode::internal_error);
                }
                if (op == OP_REVERT) {
                    result.status = StatusCode::revert;
                    result.gas_left = gas;
                    result.gas_refund = 0;
                    return result;
                }
                goto done;
            }
            case OP_INVALID:
                HC_FAIL(StatusCode::invalid_instruction);
            case OP_SELFDESTRUCT: {
                if (msg.is_static) HC_FAIL(StatusCode::static_mode_violation);
                const Address beneficiary = to_address(top[-1]);
                if (host.access_account(beneficiary) == AccessStatus::cold)
                    HC_CHARGE(kColdAccountCost);
                if (!host.get_balance(msg.recipient).is_zero() && !host.account_exists(beneficiary))
                    HC_CHARGE(kSelfdestructNewAccountCost);
                host.selfdestruct(msg.recipient, beneficiary);
                goto done;
            }
            default:
                HC_FAIL(StatusCode::undefined_instruction);
        }
        ++pc;
    }

#undef HC_BINARY
#undef HC_MEMORY
#undef HC_CHARGE
#undef HC_FAIL

done:
    result.status = StatusCode::success;
    result.gas_left = gas;
    result.gas_refund = refund;
    return result;

exceptional:
    return failure(status);
}

std::shared_ptr<const CodeAnalysis> AnalysisCache::get(const Hash32& code_hash, BytesView code) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (auto it = entries_.find(code_hash); it != entries_.end()) return it->second;
    }
    // Analyse outside the lock; a concurrent miss on the same code does the work twice, harmlessly.
    auto analysis = std::make_shared<const CodeAnalysis>(analyze(code));
    std::lock_guard<std::mutex> lock(mu_);
    if (entries_.size() >= max_entries_) entries_.clear();
    auto [it, inserted] = entries_.emplace(code_hash, std::move(analysis));
    return it->second;
}

size_t AnalysisCache::size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.size();
}

void AnalysisCache::clear() {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.clear();
}

}  // namespace hc::evm
