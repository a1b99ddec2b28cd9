#include "state/world_state.h"

#include <cstring>

#include "codec/rlp.h"
#include "common/keccak.h"

namespace hc::state {

namespace {

using storage::Column;

// Flat records in the state column, one tag byte first:
//   'a' address                  -> rlp([nonce, balance, codeHash])
//   's' address slot             -> value, big-endian without leading zeros
//   'h' address block            -> the account record block `block` replaced ("" if absent)
//   'k' address slot block       -> the slot value block `block` replaced ("" if zero)
// Block numbers are 8 bytes big-endian so history sorts by block.
constexpr uint8_t kAccountTag = 'a';
constexpr uint8_t kSlotTag = 's';
constexpr uint8_t kAccountHistoryTag = 'h';
constexpr uint8_t kSlotHistoryTag = 'k';

Bytes account_key(uint8_t tag, const Address& address) {
    Bytes key(1 + 20);
    key[0] = tag;
    std::memcpy(key.data() + 1, address.bytes.data(), 20);
    return key;
}

Bytes slot_key(uint8_t tag, const Address& address, const Hash32& slot) {
    Bytes key(1 + 20 + 32);
    key[0] = tag;
    std::memcpy(key.data() + 1, address.bytes.data(), 20);
    std::memcpy(key.data() + 21, slot.bytes.data(), 32);
    return key;
}

void append_be64(Bytes& out, uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<uint8_t>(v >> shift));
}

uint64_t read_be64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
        v = (v << 8) | p[i];
    return v;
}

Bytes encode_record(const Account& account) {
    rlp::Encoder e;
    e.begin_list().add(account.nonce).add(account.balance).add(account.code_hash.view()).end_list();
    return e.take();
}

Result<Account> decode_record(BytesView raw) {
    auto list = rlp::decode_list(raw, 3, 1);
    if (!list) return make_error(Errc::decode, "state record: " + list.error().message);
    Account a;
    HC_TRY(rlp::read_field(list->next_uint64(), "state record", "nonce", a.nonce));
    HC_TRY(rlp::read_field(list->next_uint256(), "state record", "balance", a.balance));
    BytesView code_hash;
    HC_TRY(rlp::read_field(list->next_string(), "state record", "codeHash", code_hash));
    auto h = Hash32::from_view(code_hash);
    if (!h) return make_error(Errc::decode, "state record: codeHash must be 32 bytes");
    a.code_hash = *h;
    return a;
}

Bytes encode_slot_value(const uint256& value) {
    return rlp::encode_string(value.to_be_trimmed());
}

}  // namespace

size_t WorldState::storage_size(const Address& address) const {
    auto it = accounts_.find(address);
    return it == accounts_.end() || !it->second->storage ? 0 : it->second->storage->slots.size();
}

void WorldState::set_slot(Entry& entry, const Hash32& slot, const uint256& value) {
    if (value.is_zero()) {
        if (!entry.storage) return;
        entry.storage->slots.erase(slot);
        entry.storage->trie.erase(slot.view());
        if (entry.storage->slots.empty()) entry.storage.reset();
    } else {
        if (!entry.storage) entry.storage = std::make_unique<Storage>();
        entry.storage->slots[slot] = value;
        entry.storage->trie.put(slot.view(), encode_slot_value(value));
    }
}

void WorldState::update_account_leaf(const Address& address, Entry& entry) {
    const Hash32 slots_root = entry.storage ? entry.storage->trie.root() : kEmptyTrieRoot;
    account_trie_.put(address.view(), encode_account(entry.account, slots_root));
}

std::optional<Account> WorldState::account(const Address& address) const {
    auto it = accounts_.find(address);
    if (it == accounts_.end()) return std::nullopt;
    return it->second->account;
}

uint256 WorldState::storage(const Address& address, const Hash32& slot) const {
    auto it = accounts_.find(address);
    if (it == accounts_.end() || !it->second->storage) return {};
    const auto& slots = it->second->storage->slots;
    auto s = slots.find(slot);
    return s == slots.end() ? uint256{} : s->second;
}

BytesView WorldState::code(const Hash32& code_hash) const {
    auto it = code_.find(code_hash);
    return it == code_.end() ? BytesView{} : BytesView{it->second};
}

Hash32 WorldState::storage_root(const Address& address) {
    auto it = accounts_.find(address);
    return it == accounts_.end() || !it->second->storage ? kEmptyTrieRoot
                                                         : it->second->storage->trie.root();
}

StateDiff WorldState::apply(const StateDiff& diff) {
    StateDiff reverse;
    std::set<Address> touched;
    auto remember_account = [&](const Address& a) {
        if (reverse.accounts.count(a)) return;
        auto it = accounts_.find(a);
        reverse.accounts[a] =
            it == accounts_.end() ? std::nullopt : std::optional<Account>(it->second->account);
    };
    // Records every slot of an account whose storage is about to go, so the reverse restores it.
    auto remember_all_slots = [&](const Address& a, const Entry& entry) {
        if (!entry.storage) return;
        for (const auto& [slot, value] : entry.storage->slots)
            reverse.storage.try_emplace({a, slot}, value);
    };

    for (const auto& [hash, code] : diff.code)
        code_.try_emplace(hash, code);

    for (const auto& [address, account] : diff.accounts) {
        remember_account(address);
        auto it = accounts_.find(address);
        if (!account) {
            if (it == accounts_.end()) continue;
            remember_all_slots(address, *it->second);
            accounts_.erase(it);
            account_trie_.erase(address.view());
            touched.erase(address);
            continue;
        }
        if (it == accounts_.end()) it = accounts_.emplace(address, std::make_unique<Entry>()).first;
        it->second->account = *account;
        touched.insert(address);
    }
    for (const Address& address : diff.cleared_storage) {
        auto it = accounts_.find(address);
        if (it == accounts_.end()) continue;
        remember_all_slots(address, *it->second);
        it->second->storage.reset();
        touched.insert(address);
    }
    for (const auto& [key, value] : diff.storage) {
        const auto& [address, slot] = key;
        auto it = accounts_.find(address);
        if (it == accounts_.end()) {
            if (value.is_zero()) continue;
            remember_account(address);
            it = accounts_.emplace(address, std::make_unique<Entry>()).first;
        }
        reverse.storage.try_emplace(key, storage(address, slot));
        set_slot(*it->second, slot, value);
        touched.insert(address);
    }
    for (const Address& address : touched)
        update_account_leaf(address, *accounts_.at(address));
    return reverse;
}

void WorldState::persist(const StateDiff& diff, const StateDiff& reverse, uint64_t block_number,
                         storage::WriteBatch& batch) const {
    for (const auto& [hash, code] : diff.code)
        batch.put(Column::code, hash.view(), code);
    for (const auto& [address, old] : reverse.accounts) {
        Bytes key = account_key(kAccountTag, address);
        auto now = account(address);
        if (now)
            batch.put(Column::state, key, encode_record(*now));
        else
            batch.erase(Column::state, key);
        Bytes history = account_key(kAccountHistoryTag, address);
        append_be64(history, block_number);
        batch.put(Column::state, history, old ? encode_record(*old) : Bytes{});
    }
    for (const auto& [key, old] : reverse.storage) {
        const auto& [address, slot] = key;
        Bytes flat = slot_key(kSlotTag, address, slot);
        uint256 now = storage(address, slot);
        if (now.is_zero())
            batch.erase(Column::state, flat);
        else
            batch.put(Column::state, flat, now.to_be_trimmed());
        Bytes history = slot_key(kSlotHistoryTag, address, slot);
        append_be64(history, block_number);
        batch.put(Column::state, history, old.to_be_trimmed());
    }
}

std::map<Address, Account> WorldState::accounts() const {
    std::map<Address, Account> out;
    for (const auto& [address, entry] : accounts_)
        out.emplace(address, entry->account);
    return out;
}

Result<WorldState> WorldState::open(const storage::KvStore& store) {
    WorldState ws;
    Status inner;
    auto fail = [&](std::string message) {
        inner = make_error(Errc::decode, "state store: " + message);
        return false;
    };
    HC_TRY(store.for_each_prefix(
        Column::state, Bytes{kAccountTag}, [&](BytesView key, BytesView value) {
            if (key.size() != 21)
                return fail("account key of " + std::to_string(key.size()) + " bytes, expected 21");
            auto record = decode_record(value);
            if (!record) return fail(record.error().message);
            auto entry = std::make_unique<Entry>();
            entry->account = *record;
            ws.accounts_.emplace(*Address::from_view(key.subspan(1)), std::move(entry));
            return true;
        }));
    HC_TRY(inner);
    HC_TRY(
        store.for_each_prefix(Column::state, Bytes{kSlotTag}, [&](BytesView key, BytesView value) {
            if (key.size() != 53)
                return fail("storage key of " + std::to_string(key.size()) + " bytes, expected 53");
            auto address = *Address::from_view(key.subspan(1, 20));
            auto it = ws.accounts_.find(address);
            if (it == ws.accounts_.end())
                return fail("storage of " + to_checksum_address(address) +
                            ", which has no account record");
            auto v = uint256::from_be(value);
            if (!v || v->is_zero() || value[0] == 0) return fail("malformed storage value");
            ws.set_slot(*it->second, *Hash32::from_view(key.subspan(21)), *v);
            return true;
        }));
    HC_TRY(inner);
    for (auto& [address, entry] : ws.accounts_) {
        const Hash32& h = entry->account.code_hash;
        if (h != kEmptyCodeHash && !ws.code_.count(h)) {
            HC_ASSIGN_OR_RETURN(auto code, store.get(Column::code, h.view()));
            if (!code)
                return make_error(Errc::decode, "state store: code " + h.hex() + " of " +
                                                    to_checksum_address(address) + " is missing");
            ws.code_.emplace(h, std::move(*code));
        }
        ws.update_account_leaf(address, *entry);
    }
    return ws;
}

namespace {

// The value a history key prefix held after block `block`: the value replaced by the first
// change after `block`, or nullopt if nothing changed since (the current value stands).
Result<std::optional<Bytes>> history_value(const storage::KvStore& store, const Bytes& prefix,
                                           uint64_t block, uint64_t head) {
    if (block > head)
        return make_error(Errc::not_found, "block " + std::to_string(block) +
                                               " is beyond the head block " + std::to_string(head));
    std::optional<Bytes> found;
    if (block == head) return found;
    HC_TRY(store.for_each_prefix(Column::state, prefix, [&](BytesView key, BytesView value) {
        if (key.size() != prefix.size() + 8) return true;
        if (read_be64(key.data() + prefix.size()) > block) {
            found = Bytes(value.begin(), value.end());
            return false;
        }
        return true;
    }));
    return found;
}

}  // namespace

Result<std::optional<Account>> account_at(const storage::KvStore& store, const WorldState& state,
                                          const Address& address, uint64_t block, uint64_t head) {
    HC_ASSIGN_OR_RETURN(
        auto old, history_value(store, account_key(kAccountHistoryTag, address), block, head));
    if (!old) return state.account(address);
    if (old->empty()) return std::optional<Account>{};
    HC_ASSIGN_OR_RETURN(Account a, decode_record(*old));
    return std::optional<Account>(a);
}

Result<uint256> storage_at(const storage::KvStore& store, const WorldState& state,
                           const Address& address, const Hash32& slot, uint64_t block,
                           uint64_t head) {
    HC_ASSIGN_OR_RETURN(
        auto old, history_value(store, slot_key(kSlotHistoryTag, address, slot), block, head));
    if (!old) return state.storage(address, slot);
    return uint256::from_be(*old);
}

template <typename T>
T HistoricalState::keep_error(Result<T> r, T fallback) const {
    if (r) return std::move(*r);
    if (status_) status_ = r.error();
    return fallback;
}

std::optional<Account> HistoricalState::account(const Address& address) const {
    return keep_error(account_at(store_, latest_, address, block_, head_),
                      std::optional<Account>{});
}

uint256 HistoricalState::storage(const Address& address, const Hash32& slot) const {
    return keep_error(storage_at(store_, latest_, address, slot, block_, head_), uint256{});
}

size_t HistoricalState::storage_size(const Address& address) const {
    size_t count = latest_.storage_size(address);
    if (block_ >= head_) return count;
    // Start from the latest count and correct it for each slot changed after block_: its value
    // then is the one the first later change replaced. History keys sort by slot, then block.
    const Bytes prefix = account_key(kSlotHistoryTag, address);
    std::optional<Hash32> last_slot;
    Status read =
        store_.for_each_prefix(Column::state, prefix, [&](BytesView key, BytesView value) {
            if (key.size() != prefix.size() + 32 + 8) return true;
            if (read_be64(key.data() + prefix.size() + 32) <= block_) return true;
            Hash32 slot = *Hash32::from_view(key.subspan(prefix.size(), 32));
            if (last_slot == slot) return true;
            last_slot = slot;
            const bool was_set = !value.empty();
            const bool is_set = !latest_.storage(address, slot).is_zero();
            if (was_set && !is_set) ++count;
            if (!was_set && is_set) --count;
            return true;
        });
    if (!read && status_) status_ = read.error();
    return count;
}

}  // namespace hc::state
