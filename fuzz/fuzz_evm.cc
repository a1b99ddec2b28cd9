// The interpreter must halt on any bytecode, within its gas, without crashing or reading out of
// bounds. The first input byte gives the calldata length (mod 64), the next bytes the calldata,
// and the rest is the code. Nested calls and creates run the same code a few levels deep, so
// return data, memory copies and gas accounting across frames are exercised too.
#include <cstdlib>
#include <unordered_map>

#include "common/keccak.h"
#include "evm/interpreter.h"

namespace {

using namespace hc;
using namespace hc::evm;

constexpr int64_t kGasCap = 1'000'000;
constexpr int32_t kMaxNesting = 4;

class FuzzHost final : public Host {
  public:
    explicit FuzzHost(const CodeAnalysis& code) : code_(code) {}

    bool account_exists(const Address& a) const noexcept override { return a[19] & 1; }
    uint256 get_storage(const Address&, const Hash32& k) const noexcept override {
        auto it = storage_.find(k);
        return it == storage_.end() ? uint256{} : it->second;
    }
    StorageStatus set_storage(const Address&, const Hash32& k, const uint256& v) noexcept override {
        uint256& cur = storage_[k];
        const bool was_zero = cur.is_zero();
        cur = v;
        if (was_zero && !v.is_zero()) return StorageStatus::added;
        if (!was_zero && v.is_zero()) return StorageStatus::deleted;
        return StorageStatus::assigned;
    }
    uint256 get_balance(const Address& a) const noexcept override { return uint256{a[19]}; }
    size_t get_code_size(const Address&) const noexcept override { return code_.code_size; }
    Hash32 get_code_hash(const Address&) const noexcept override { return kEmptyKeccak; }
    BytesView get_code(const Address&) const noexcept override {
        return {code_.padded_code.data(), code_.code_size};
    }
    bool selfdestruct(const Address&, const Address&) noexcept override { return true; }
    ExecutionResult call(const Message& m) noexcept override {
        if (m.depth > kMaxNesting) {
            ExecutionResult r;
            r.status = StatusCode::success;
            r.gas_left = m.gas;
            return r;
        }
        if (m.kind == CallKind::create || m.kind == CallKind::create2) {
            Message inner = m;
            inner.input = {};
            ExecutionResult r = execute(*this, inner, m.input);
            if (r.status == StatusCode::success) {
                r.create_address[19] = 0x42;
                r.output.clear();
            }
            return r;
        }
        return execute(*this, m, code_);
    }
    const TxContext& tx_context() const noexcept override { return context_; }
    Hash32 get_block_hash(int64_t n) const noexcept override {
        Hash32 h;
        h[31] = static_cast<uint8_t>(n);
        return h;
    }
    void emit_log(const Address&, BytesView data,
                  std::span<const Hash32> topics) noexcept override {
        // Touch every byte so that a bad view would be caught by the sanitizers.
        for (uint8_t b : data)
            sink_ ^= b;
        for (const Hash32& t : topics)
            sink_ ^= t[0];
    }
    AccessStatus access_account(const Address& a) noexcept override {
        return a[0] & 1 ? AccessStatus::cold : AccessStatus::warm;
    }
    AccessStatus access_storage(const Address&, const Hash32& k) noexcept override {
        return k[31] & 1 ? AccessStatus::cold : AccessStatus::warm;
    }
    uint256 get_transient_storage(const Address&, const Hash32& k) const noexcept override {
        auto it = transient_.find(k);
        return it == transient_.end() ? uint256{} : it->second;
    }
    void set_transient_storage(const Address&, const Hash32& k,
                               const uint256& v) noexcept override {
        transient_[k] = v;
    }

  private:
    const CodeAnalysis& code_;
    std::unordered_map<Hash32, uint256> storage_;
    std::unordered_map<Hash32, uint256> transient_;
    TxContext context_;
    uint8_t sink_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const size_t calldata_size = std::min<size_t>(data[0] % 64, size - 1);
    const BytesView calldata(data + 1, calldata_size);
    const BytesView code(data + 1 + calldata_size, size - 1 - calldata_size);
    const CodeAnalysis analysis = analyze(code);
    FuzzHost host(analysis);
    Message msg;
    msg.gas = kGasCap;
    msg.input = calldata;
    msg.recipient[19] = 0xff;
    msg.value = 1;
    const ExecutionResult r = execute(host, msg, analysis);
    if (r.gas_left < 0 || r.gas_left > kGasCap) std::abort();
    if (r.status != StatusCode::success && r.status != StatusCode::revert && r.gas_left != 0)
        std::abort();
    return 0;
}
