#include "chain/evm_host.h"

#include <cstring>

#include "chain/governance_store.h"
#include "codec/abi.h"
#include "codec/rlp.h"
#include "common/keccak.h"
#include "evm/precompiles.h"
#include "governance/system_contracts.h"

namespace hc::chain {

namespace {

Address address_of_hash(const Hash32& h) {
    Address a;
    std::memcpy(a.bytes.data(), h.bytes.data() + 12, 20);
    return a;
}

evm::ExecutionResult failure(evm::StatusCode status, int64_t gas_left) {
    evm::ExecutionResult r;
    r.status = status;
    r.gas_left = gas_left;
    return r;
}

constexpr int32_t kMaxDepth = 1024;
const Address kPointEvaluation = [] {
    Address a;
    a.bytes[19] = 0x0a;
    return a;
}();
constexpr int64_t kCodeDepositGasPerByte = 200;

}  // namespace

Address create_address(const Address& sender, uint64_t nonce) {
    Bytes payload;
    rlp::append_string(payload, sender.view());
    rlp::append_uint(payload, nonce);
    Bytes out;
    rlp::append_list_header(out, payload.size());
    out.insert(out.end(), payload.begin(), payload.end());
    return address_of_hash(keccak256(out));
}

Address create2_address(const Address& sender, const Hash32& salt, BytesView init_code) {
    Bytes buf;
    buf.reserve(1 + 20 + 32 + 32);
    buf.push_back(0xff);
    buf.insert(buf.end(), sender.bytes.begin(), sender.bytes.end());
    buf.insert(buf.end(), salt.bytes.begin(), salt.bytes.end());
    const Hash32 code_hash = keccak256(init_code);
    buf.insert(buf.end(), code_hash.bytes.begin(), code_hash.bytes.end());
    return address_of_hash(keccak256(buf));
}

EvmHost::EvmHost(state::StateOverlay& state, const evm::TxContext& context, BlockHashFn block_hash,
                 evm::AnalysisCache* cache, const governance::GovernanceState* governance)
    : state_(state),
      context_(context),
      block_hash_(std::move(block_hash)),
      cache_(cache),
      governance_(governance) {}

bool EvmHost::is_empty(const Address& address) const {
    auto a = state_.account(address);
    return !a || (a->nonce == 0 && a->balance.is_zero() && !a->has_code());
}

bool EvmHost::account_exists(const Address& address) const noexcept {
    // Since EIP-161 an empty account counts as absent ("dead").
    return !is_empty(address);
}

uint256 EvmHost::get_storage(const Address& address, const Hash32& key) const noexcept {
    return state_.storage(address, key);
}

evm::StorageStatus EvmHost::set_storage(const Address& address, const Hash32& key,
                                        const uint256& value) noexcept {
    using evm::StorageStatus;
    const uint256 current = state_.storage(address, key);
    auto [it, first_write] = original_.try_emplace({address, key}, current);
    const uint256 original = it->second;
    (void)first_write;
    if (current == value) return StorageStatus::assigned;
    state_.set_storage(address, key, value);
    if (original == current) {
        if (original.is_zero()) return StorageStatus::added;
        if (value.is_zero()) return StorageStatus::deleted;
        return StorageStatus::modified;
    }
    if (!original.is_zero()) {
        if (current.is_zero())
            return value == original ? StorageStatus::deleted_restored
                                     : StorageStatus::deleted_added;
        if (value.is_zero()) return StorageStatus::modified_deleted;
        if (value == original) return StorageStatus::modified_restored;
        return StorageStatus::assigned;
    }
    if (value.is_zero()) return StorageStatus::added_deleted;
    return StorageStatus::assigned;
}

uint256 EvmHost::get_balance(const Address& address) const noexcept {
    return state_.balance(address);
}

size_t EvmHost::get_code_size(const Address& address) const noexcept {
    return state_.code(address).size();
}

Hash32 EvmHost::get_code_hash(const Address& address) const noexcept {
    auto a = state_.account(address);
    if (!a || (a->nonce == 0 && a->balance.is_zero() && !a->has_code())) return Hash32{};
    return a->code_hash;
}

BytesView EvmHost::get_code(const Address& address) const noexcept {
    return state_.code(address);
}

void EvmHost::touch(const Address& address) {
    if (touched_.insert(address).second) journal_.push_back({Undo::Kind::touched, address, {}, {}});
}

void EvmHost::transfer(const Address& from, const Address& to, const uint256& value) {
    // A zero transfer changes nothing but still touches both accounts (EIP-161).
    if (!value.is_zero()) {
        state_.sub_balance(from, value);
        state_.add_balance(to, value);
    }
    touch(from);
    touch(to);
}

bool EvmHost::selfdestruct(const Address& address, const Address& beneficiary) noexcept {
    const uint256 balance = state_.balance(address);
    if (address != beneficiary) {
        transfer(address, beneficiary, balance);
    } else if (created_.count(address) && !balance.is_zero()) {
        // A contract created in this transaction that names itself burns its balance.
        state_.sub_balance(address, balance);
    }
    touch(beneficiary);
    const bool first = destructed_.insert(address).second;
    if (first) journal_.push_back({Undo::Kind::destructed, address, {}, {}});
    return first;
}

Hash32 EvmHost::get_block_hash(int64_t number) const noexcept {
    const int64_t current = static_cast<int64_t>(context_.number);
    if (number < 0 || number >= current || number < current - 256 || !block_hash_) return {};
    return block_hash_(static_cast<uint64_t>(number));
}

void EvmHost::emit_log(const Address& address, BytesView data,
                       std::span<const Hash32> topics) noexcept {
    logs_.push_back(Log{address, std::vector<Hash32>(topics.begin(), topics.end()),
                        Bytes(data.begin(), data.end())});
}

evm::AccessStatus EvmHost::access_account(const Address& address) noexcept {
    if (!warm_accounts_.insert(address).second) return evm::AccessStatus::warm;
    journal_.push_back({Undo::Kind::warm_account, address, {}, {}});
    return evm::AccessStatus::cold;
}

evm::AccessStatus EvmHost::access_storage(const Address& address, const Hash32& key) noexcept {
    if (!warm_slots_.insert({address, key}).second) return evm::AccessStatus::warm;
    journal_.push_back({Undo::Kind::warm_slot, address, key, {}});
    return evm::AccessStatus::cold;
}

uint256 EvmHost::get_transient_storage(const Address& address, const Hash32& key) const noexcept {
    auto it = transient_.find({address, key});
    return it == transient_.end() ? uint256{} : it->second;
}

void EvmHost::set_transient_storage(const Address& address, const Hash32& key,
                                    const uint256& value) noexcept {
    uint256& slot = transient_[{address, key}];
    journal_.push_back({Undo::Kind::transient, address, key, slot});
    slot = value;
}

EvmHost::Snapshot EvmHost::snapshot() const noexcept {
    return {state_.snapshot(), journal_.size(), logs_.size()};
}

void EvmHost::revert_to(const Snapshot& s) {
    state_.revert_to(s.state);
    logs_.resize(s.logs);
    while (journal_.size() > s.journal) {
        const Undo& u = journal_.back();
        switch (u.kind) {
            case Undo::Kind::warm_account:
                warm_accounts_.erase(u.address);
                break;
            case Undo::Kind::warm_slot:
                warm_slots_.erase({u.address, u.key});
                break;
            case Undo::Kind::transient:
                transient_[{u.address, u.key}] = u.value;
                break;
            case Undo::Kind::destructed:
                destructed_.erase(u.address);
                break;
            case Undo::Kind::created:
                created_.erase(u.address);
                break;
            case Undo::Kind::touched:
                touched_.erase(u.address);
                break;
        }
        journal_.pop_back();
    }
}

evm::ExecutionResult EvmHost::run_code(const evm::Message& msg, const Address& code_address,
                                       BytesView code) {
    if (cache_) {
        auto a = state_.account(code_address);
        if (a && a->has_code()) {
            auto analysis = cache_->get(a->code_hash, code);
            return evm::execute(*this, msg, *analysis);
        }
    }
    return evm::execute(*this, msg, code);
}

evm::ExecutionResult EvmHost::call(const evm::Message& msg) noexcept {
    if (msg.depth > kMaxDepth) return failure(evm::StatusCode::call_depth_exceeded, msg.gas);
    if (msg.kind == evm::CallKind::create || msg.kind == evm::CallKind::create2)
        return create_frame(msg);
    return call_frame(msg);
}

evm::ExecutionResult EvmHost::call_frame(const evm::Message& msg) {
    const Snapshot snap = snapshot();
    if (msg.kind == evm::CallKind::call || msg.kind == evm::CallKind::callcode) {
        if (state_.balance(msg.sender) < msg.value)
            return failure(evm::StatusCode::insufficient_balance, msg.gas);
    }
    if (msg.kind == evm::CallKind::call) {
        transfer(msg.sender, msg.recipient, msg.value);
    } else if (msg.kind == evm::CallKind::staticcall) {
        touch(msg.recipient);  // as geth does, for the RIPEMD-160 touch rule
    }

    evm::ExecutionResult result;
    if (governance_ && !governance_->frozen.empty() &&
        (governance_->frozen.count(msg.code_address) || governance_->frozen.count(msg.recipient))) {
        result.status = evm::StatusCode::revert;
        result.gas_left = msg.gas;
        result.output = abi::encode_error(governance::frozen_message(
            governance_->frozen.count(msg.code_address) ? msg.code_address : msg.recipient));
    } else if (governance_ && governance::is_system_contract(msg.code_address)) {
        result = system_call(msg);
    } else if (msg.code_address == kPointEvaluation && !evm::is_precompile(kPointEvaluation)) {
        // Out of scope (a consortium chain carries no blobs). Rather than run it as an empty
        // account (a wrong result), the transaction is marked so that process_transaction
        // rejects it.
        unsupported_ =
            "the KZG point evaluation precompile (0x0a) is not supported: Honeycomb carries no "
            "blob transactions";
        result.status = evm::StatusCode::precompile_failure;
    } else if (evm::is_precompile(msg.code_address)) {
        evm::PrecompileOutput out = evm::run_precompile(msg.code_address, msg.input, msg.gas);
        result.status = out.status;
        result.gas_left = out.status == evm::StatusCode::success ? out.gas_left : 0;
        result.output = std::move(out.output);
    } else {
        BytesView code = state_.code(msg.code_address);
        if (code.empty()) {
            result.status = evm::StatusCode::success;
            result.gas_left = msg.gas;
        } else {
            result = run_code(msg, msg.code_address, code);
        }
    }
    if (result.status != evm::StatusCode::success) {
        revert_to(snap);
        result.gas_refund = 0;
        if (result.status != evm::StatusCode::revert) result.gas_left = 0;
    }
    return result;
}

evm::ExecutionResult EvmHost::system_call(const evm::Message& msg) {
    evm::ExecutionResult result;
    if (msg.kind != evm::CallKind::call && msg.kind != evm::CallKind::staticcall) {
        // A delegated call would act for the caller's caller: a contract could vote or enrol in
        // the name of whoever called it.
        result.status = evm::StatusCode::revert;
        result.gas_left = msg.gas;
        result.output = abi::encode_error(
            "system contracts take plain calls only, not " +
            std::string(msg.kind == evm::CallKind::delegatecall ? "DELEGATECALL" : "CALLCODE"));
        return result;
    }
    auto current = read_governance(state_);
    if (!current || !*current) {
        result.status = evm::StatusCode::revert;
        result.gas_left = msg.gas;
        result.output =
            abi::encode_error("the governance state cannot be read: " +
                              (current ? std::string("none stored") : current.error().message));
        return result;
    }
    governance::SystemCall call;
    call.contract = msg.code_address;
    call.sender = msg.sender;
    call.input = msg.input;
    call.value = msg.value;
    call.is_static = msg.is_static;
    call.block_number = context_.number;
    call.timestamp = context_.timestamp;
    governance::SystemResult r = governance::call_system_contract(**current, call);
    if (msg.gas < 0 || static_cast<uint64_t>(msg.gas) < r.gas) {
        result.status = evm::StatusCode::out_of_gas;
        result.gas_left = 0;
        return result;
    }
    result.gas_left = msg.gas - static_cast<int64_t>(r.gas);
    result.output = std::move(r.output);
    if (!r.success) {
        result.status = evm::StatusCode::revert;
        return result;
    }
    result.status = evm::StatusCode::success;
    if (r.changed) write_governance(state_, **current);
    for (const governance::SystemEvent& e : r.events)
        emit_log(e.contract, e.data, e.topics);
    return result;
}

evm::ExecutionResult EvmHost::create_frame(const evm::Message& msg) {
    if (state_.balance(msg.sender) < msg.value)
        return failure(evm::StatusCode::insufficient_balance, msg.gas);
    const uint64_t nonce = state_.nonce(msg.sender);
    if (nonce == UINT64_MAX) return failure(evm::StatusCode::argument_out_of_range, msg.gas);
    const Bytes init_code(msg.input.begin(), msg.input.end());
    const Address address = msg.kind == evm::CallKind::create
                                ? create_address(msg.sender, nonce)
                                : create2_address(msg.sender, msg.create2_salt, init_code);
    state_.set_nonce(msg.sender, nonce + 1);
    access_account(address);

    // An address with a nonce, code or storage is taken (EIP-684, EIP-7610).
    const auto existing = state_.account(address);
    if ((existing && (existing->nonce != 0 || existing->has_code())) || state_.has_storage(address))
        return failure(evm::StatusCode::out_of_gas, 0);

    const Snapshot snap = snapshot();
    // A new contract keeps any balance sent to its address before.
    state_.put_account(address, state::Account{1, existing ? existing->balance : uint256{},
                                               state::kEmptyCodeHash});
    if (created_.insert(address).second) journal_.push_back({Undo::Kind::created, address, {}, {}});
    transfer(msg.sender, address, msg.value);

    evm::Message frame = msg;
    frame.input = {};
    frame.recipient = address;
    frame.code_address = address;
    evm::ExecutionResult result = evm::execute(*this, frame, init_code);

    if (result.status == evm::StatusCode::success) {
        const Bytes& code = result.output;
        if (code.size() > kMaxCodeSize || (!code.empty() && code[0] == 0xef)) {
            result.status = evm::StatusCode::contract_validation_failure;
        } else {
            const int64_t cost = static_cast<int64_t>(code.size()) * kCodeDepositGasPerByte;
            if (result.gas_left < cost) {
                result.status = evm::StatusCode::out_of_gas;
            } else {
                result.gas_left -= cost;
                if (!code.empty()) state_.set_code(address, code);
                result.output.clear();
                result.create_address = address;
                return result;
            }
        }
    }
    revert_to(snap);
    result.gas_refund = 0;
    if (result.status != evm::StatusCode::revert) {
        result.gas_left = 0;
        result.output.clear();
    }
    return result;
}

void EvmHost::finalize() {
    for (const Address& a : destructed_)
        if (created_.count(a)) state_.delete_account(a);
    for (const Address& a : touched_)
        if (state_.exists(a) && is_empty(a)) state_.delete_account(a);
}

}  // namespace hc::chain
