#include "state/overlay.h"

#include <cassert>

#include "common/keccak.h"

namespace hc::state {

std::optional<Account> StateOverlay::account(const Address& address) const {
    auto it = accounts_.find(address);
    if (it != accounts_.end()) return it->second;
    return base_.account(address);
}

uint64_t StateOverlay::nonce(const Address& address) const {
    auto a = account(address);
    return a ? a->nonce : 0;
}

uint256 StateOverlay::balance(const Address& address) const {
    auto a = account(address);
    return a ? a->balance : uint256{};
}

bool StateOverlay::storage_dropped(const Address& address) const {
    if (cleared_.count(address)) return true;
    auto it = accounts_.find(address);
    return it != accounts_.end() && !it->second;
}

uint256 StateOverlay::storage(const Address& address, const Hash32& slot) const {
    auto it = storage_.find({address, slot});
    if (it != storage_.end()) return it->second;
    if (storage_dropped(address)) return {};
    return base_.storage(address, slot);
}

bool StateOverlay::has_storage(const Address& address) const {
    const bool dropped = storage_dropped(address);
    size_t zeroed = 0;  // non-zero base slots this overlay sets to zero
    for (auto it = storage_.lower_bound({address, Hash32{}});
         it != storage_.end() && it->first.first == address; ++it) {
        if (!it->second.is_zero()) return true;
        if (!dropped && !base_.storage(address, it->first.second).is_zero()) ++zeroed;
    }
    return !dropped && base_.storage_size(address) > zeroed;
}

BytesView StateOverlay::code(const Address& address) const {
    auto a = account(address);
    if (!a || !a->has_code()) return {};
    auto it = code_.find(a->code_hash);
    if (it != code_.end()) return it->second;
    return base_.code(a->code_hash);
}

void StateOverlay::journal_account(const Address& address) {
    Undo u{Undo::Kind::account, address, {}, false, std::nullopt, {}};
    auto it = accounts_.find(address);
    if (it != accounts_.end()) {
        u.had_entry = true;
        u.account = it->second;
    }
    journal_.push_back(std::move(u));
}

void StateOverlay::journal_slot(const Address& address, const Hash32& slot) {
    Undo u{Undo::Kind::slot, address, slot, false, std::nullopt, {}};
    auto it = storage_.find({address, slot});
    if (it != storage_.end()) {
        u.had_entry = true;
        u.value = it->second;
    }
    journal_.push_back(std::move(u));
}

void StateOverlay::put_account(const Address& address, const Account& account) {
    journal_account(address);
    accounts_[address] = account;
}

void StateOverlay::delete_account(const Address& address) {
    // Drop the overlay's own slots for the account first, each undoable.
    for (auto it = storage_.lower_bound({address, Hash32{}});
         it != storage_.end() && it->first.first == address;) {
        journal_slot(address, it->first.second);
        it = storage_.erase(it);
    }
    if (!cleared_.count(address)) {
        journal_.push_back({Undo::Kind::cleared, address, {}, false, std::nullopt, {}});
        cleared_.insert(address);
    }
    journal_account(address);
    accounts_[address] = std::nullopt;
}

void StateOverlay::set_storage(const Address& address, const Hash32& slot, const uint256& value) {
    journal_slot(address, slot);
    storage_[{address, slot}] = value;
}

void StateOverlay::set_code(const Address& address, Bytes code) {
    Hash32 hash = keccak256(code);
    if (!code_.count(hash)) {
        journal_.push_back({Undo::Kind::code, address, hash, false, std::nullopt, {}});
        code_.emplace(hash, std::move(code));
    }
    Account a = account(address).value_or(Account{});
    a.code_hash = hash;
    put_account(address, a);
}

void StateOverlay::add_balance(const Address& address, const uint256& amount) {
    Account a = account(address).value_or(Account{});
    a.balance = a.balance + amount;
    put_account(address, a);
}

void StateOverlay::sub_balance(const Address& address, const uint256& amount) {
    Account a = account(address).value_or(Account{});
    assert(a.balance >= amount);
    a.balance = a.balance - amount;
    put_account(address, a);
}

void StateOverlay::set_nonce(const Address& address, uint64_t nonce) {
    Account a = account(address).value_or(Account{});
    a.nonce = nonce;
    put_account(address, a);
}

void StateOverlay::revert_to(size_t id) {
    assert(id <= journal_.size());
    while (journal_.size() > id) {
        Undo& u = journal_.back();
        switch (u.kind) {
            case Undo::Kind::account:
                if (u.had_entry)
                    accounts_[u.address] = u.account;
                else
                    accounts_.erase(u.address);
                break;
            case Undo::Kind::slot:
                if (u.had_entry)
                    storage_[{u.address, u.key}] = u.value;
                else
                    storage_.erase({u.address, u.key});
                break;
            case Undo::Kind::cleared:
                cleared_.erase(u.address);
                break;
            case Undo::Kind::code:
                code_.erase(u.key);
                break;
        }
        journal_.pop_back();
    }
}

StateDiff StateOverlay::diff() const {
    StateDiff d;
    for (const auto& [address, account] : accounts_) {
        // An account written back to its base value is no change, unless its storage was dropped.
        if (!cleared_.count(address) && account == base_.account(address)) continue;
        d.accounts.emplace(address, account);
    }
    for (const Address& a : cleared_) {
        auto it = accounts_.find(a);
        if (it != accounts_.end() && it->second) d.cleared_storage.insert(a);
    }
    for (const auto& [key, value] : storage_) {
        auto it = accounts_.find(key.first);
        if (it != accounts_.end() && !it->second) continue;  // the account is gone
        // A slot written back to its base value is no change, unless the base storage is dropped.
        if (!storage_dropped(key.first) && base_.storage(key.first, key.second) == value) continue;
        d.storage.emplace(key, value);
    }
    d.code = code_;
    return d;
}

}  // namespace hc::state
