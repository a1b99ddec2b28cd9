#include "chain/governance_store.h"

#include <algorithm>

#include "common/keccak.h"
#include "governance/system_contracts.h"

namespace hc::chain {

namespace {

// More than any real consortium's configuration, small enough that a corrupt length cannot make
// a read walk billions of slots.
constexpr uint64_t kMaxStateSize = 16 * 1024 * 1024;

const Bytes kSystemCode = {0xfe};

Hash32 slot(uint64_t index) {
    Hash32 h;
    for (int i = 0; i < 8; ++i)
        h.bytes[31 - i] = static_cast<uint8_t>(index >> (8 * i));
    return h;
}

uint256 word(BytesView chunk) {
    uint8_t buf[32] = {};
    std::copy(chunk.begin(), chunk.end(), buf);
    return uint256::from_be(BytesView(buf, 32)).value();
}

template <typename Storage>
Result<std::optional<governance::GovernanceState>> read_with(Storage&& storage) {
    const uint256 length = storage(slot(0));
    if (length.is_zero()) return std::optional<governance::GovernanceState>();
    if (length > uint256(kMaxStateSize))
        return make_error(Errc::decode, "governance state: stored length is implausible");
    const uint64_t n = length.low64();
    Bytes encoded;
    encoded.reserve(n + 32);
    for (uint64_t i = 0; i * 32 < n; ++i) {
        const auto bytes = storage(slot(i + 1)).to_be();
        encoded.insert(encoded.end(), bytes.begin(), bytes.end());
    }
    encoded.resize(n);
    HC_ASSIGN_OR_RETURN(auto decoded, governance::decode_state(encoded));
    return std::optional<governance::GovernanceState>(std::move(decoded));
}

}  // namespace

Result<std::optional<governance::GovernanceState>> read_governance(
    const state::StateReader& state) {
    const Address& a = governance::governance_address();
    return read_with([&](const Hash32& s) { return state.storage(a, s); });
}

Result<std::optional<governance::GovernanceState>> read_governance(
    const state::StateOverlay& state) {
    const Address& a = governance::governance_address();
    return read_with([&](const Hash32& s) { return state.storage(a, s); });
}

void write_governance(state::StateOverlay& state, const governance::GovernanceState& governance) {
    const Address& a = governance::governance_address();
    const Bytes encoded = governance::encode_state(governance);
    const uint64_t old_length = state.storage(a, slot(0)).low64();
    const uint64_t old_chunks = (std::min(old_length, kMaxStateSize) + 31) / 32;
    const uint64_t chunks = (encoded.size() + 31) / 32;
    state.set_storage(a, slot(0), uint256(encoded.size()));
    for (uint64_t i = 0; i < chunks; ++i) {
        const size_t begin = i * 32;
        const size_t end = std::min(encoded.size(), begin + 32);
        state.set_storage(a, slot(i + 1), word(BytesView(encoded).subspan(begin, end - begin)));
    }
    for (uint64_t i = chunks; i < old_chunks; ++i)
        state.set_storage(a, slot(i + 1), uint256());
}

void add_governance_to_genesis(state::StateDiff& diff,
                               const governance::GovernanceState& governance) {
    const Hash32 code_hash = keccak256(kSystemCode);
    diff.code[code_hash] = kSystemCode;
    for (const Address& a : {governance::governance_address(), governance::membership_address()}) {
        state::Account acc;
        acc.nonce = 1;
        acc.code_hash = code_hash;
        diff.accounts[a] = acc;
    }
    const Address& a = governance::governance_address();
    const Bytes encoded = governance::encode_state(governance);
    diff.storage[{a, slot(0)}] = uint256(encoded.size());
    for (size_t i = 0; i * 32 < encoded.size(); ++i) {
        const size_t end = std::min(encoded.size(), i * 32 + 32);
        diff.storage[{a, slot(i + 1)}] = word(BytesView(encoded).subspan(i * 32, end - i * 32));
    }
}

}  // namespace hc::chain
