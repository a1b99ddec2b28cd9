#include "txpool/txpool.h"

#include <algorithm>
#include <iterator>
#include <unordered_map>
#include <utility>

#include "common/keccak.h"

namespace hc::txpool {

namespace {

// Every transaction's intrinsic gas, so the least any pooled transaction asks for: a block with
// less left is full.
constexpr uint64_t kTxGas = 21'000;
// pending_block gives up after this many candidates in a row that do not fit in the gas left:
// without a bound, a block of 70,000-gas transactions (428 fill 30,000,000 gas and leave 40,000)
// visited every pooled sender, under the pool's lock, for each proposal.
constexpr size_t kMaxMisfitsInARow = 64;

Error reject(std::string message) {
    return make_error(Errc::invalid_argument, std::move(message));
}

const uint256& tip_cap_of(const Transaction& tx) {
    return tx.type == TxType::dynamic_fee ? tx.max_priority_fee_per_gas : tx.gas_price;
}

// old * (100 + percent) / 100 without overflowing 256 bits; saturates at 2^256-1.
uint256 bumped(const uint256& old, uint32_t percent) {
    const uint256 factor = uint256(uint64_t{100} + percent);
    const DivRem qr = divrem(old, uint256(100));
    uint256 high, low, sum;
    if (mul_overflow(qr.quot, factor, &high)) return uint256::max();
    low = qr.rem * factor / uint256(100);  // rem < 100, so this cannot overflow
    if (add_overflow(high, low, &sum)) return uint256::max();
    return sum;
}

// Higher effective tip pays more; on equal tips, the higher fee cap.
bool pays_more(const uint256& tip_a, const uint256& cap_a, const uint256& tip_b,
               const uint256& cap_b) {
    if (tip_a != tip_b) return tip_a > tip_b;
    return cap_a > cap_b;
}

// Maps a validate_transaction failure to the wording Ethereum clients use. Its own messages
// already start with "invalid chain id", "intrinsic gas too low", "max priority fee per gas
// higher than max fee per gas", ...; a signature that does not recover is "invalid sender".
Error map_validation_error(const Error& e) {
    if (e.code == Errc::crypto) return reject("invalid sender: " + e.message);
    return reject(e.message);
}

}  // namespace

// The better first: std::*_heap and the heads' set agree on it.
bool TxPool::HeadOrder::operator()(const Entry* a, const Entry* b) const {
    if (a->effective_tip != b->effective_tip) return a->effective_tip > b->effective_tip;
    return a->ptx.arrival < b->ptx.arrival;
}

bool TxPool::EvictOrder::operator()(const Entry* a, const Entry* b) const {
    if (a->effective_tip != b->effective_tip) return a->effective_tip < b->effective_tip;
    if (a->fee_cap != b->fee_cap) return a->fee_cap < b->fee_cap;
    return a->ptx.arrival > b->ptx.arrival;
}

TxPool::TxPool(Config config, const AccountReader& state)
    : config_(std::move(config)), state_(state) {}

Result<Hash32> TxPool::add(BytesView raw) {
    return std::move(add_batch(std::span<const BytesView>(&raw, 1)).front());
}

Result<TxPool::Candidate> TxPool::decode_candidate(BytesView raw) const {
    if (raw.size() > kMaxTransactionSize)
        return reject("oversized data: transaction is " + std::to_string(raw.size()) +
                      " bytes, limit " + std::to_string(kMaxTransactionSize));
    auto decoded = decode_transaction(raw);
    if (!decoded) {
        if (decoded.error().code == Errc::unsupported)
            return make_error(Errc::unsupported,
                              "transaction type not supported: " + decoded.error().message);
        return reject("invalid transaction: " + decoded.error().message);
    }
    // The decoder accepts only the canonical encoding: this is transaction_hash(tx) without
    // encoding the transaction again.
    const Hash32 hash = keccak256(raw);
    return Candidate{std::move(*decoded), hash, Address{}, raw};
}

Status TxPool::check_candidate(Candidate& c) {
    const Transaction& tx = c.tx;
    // Not pooled (the caller checked), so only the cache can know the sender.
    if (Status checked = check_transaction(tx, config_.chain_id); !checked)
        return map_validation_error(checked.error());
    auto sender = recover_once(tx, c.hash);
    if (!sender) return map_validation_error(sender.error());
    c.sender = *sender;
    if (Status allowed = state_.permits(tx, c.sender); !allowed) return allowed.error();

    if (tx.gas_limit > config_.block_gas_limit)
        return reject("exceeds block gas limit: gas " + std::to_string(tx.gas_limit) +
                      ", block gas limit " + std::to_string(config_.block_gas_limit));

    // The gas price the transaction pays in a block is min(fee cap, base fee + tip cap); both it
    // and the fee cap must reach the floor.
    const uint256 floor = std::max(config_.base_fee, config_.min_gas_price);
    const uint256& fee_cap = tx.fee_cap();
    if (fee_cap < floor)
        return reject("transaction underpriced: fee cap " + fee_cap.to_dec() +
                      " wei is below the minimum gas price " + floor.to_dec() + " wei");
    uint256 with_tip;
    if (!add_overflow(config_.base_fee, tip_cap_of(tx), &with_tip) && with_tip < floor)
        return reject("transaction underpriced: tip cap " + tip_cap_of(tx).to_dec() +
                      " wei gives an effective gas price of " + with_tip.to_dec() +
                      " wei, below the minimum gas price " + floor.to_dec() + " wei");
    return {};
}

std::vector<Result<Hash32>> TxPool::add_batch(std::span<const BytesView> raws) {
    std::vector<Result<Hash32>> out;
    out.reserve(raws.size());
    std::vector<Candidate> candidates;
    std::vector<size_t> slot;  // candidates[i] answers out[slot[i]]
    candidates.reserve(raws.size());
    for (BytesView raw : raws) {
        auto c = decode_candidate(raw);
        if (!c) {
            out.emplace_back(c.error());
            continue;
        }
        slot.push_back(out.size());
        out.emplace_back(c->hash);
        candidates.push_back(std::move(*c));
    }
    // Cheap before the signature recoveries below; checked again under the lock.
    {
        std::lock_guard lock(mu_);
        for (size_t i = 0; i < candidates.size(); ++i)
            if (by_hash_.contains(candidates[i].hash)) out[slot[i]] = reject("already known");
    }
    std::vector<size_t> checked;  // indexes into candidates that passed the stateless checks
    checked.reserve(candidates.size());
    for (size_t i = 0; i < candidates.size(); ++i) {
        if (!out[slot[i]]) continue;
        if (Status s = check_candidate(candidates[i]); !s) {
            out[slot[i]] = s.error();
            continue;
        }
        checked.push_back(i);
    }
    if (checked.empty()) return out;

    std::vector<Hash32> admitted;
    admitted.reserve(checked.size());
    std::function<void(const Hash32&)> listener;
    std::unordered_map<Address, AccountState> accounts;
    for (;;) {
        const uint64_t seen = epoch_.load(std::memory_order_acquire);
        // Read without holding mu_: the chain may take its own locks in there.
        accounts.clear();
        for (size_t i : checked) {
            const Address& sender = candidates[i].sender;
            if (!accounts.contains(sender)) accounts.emplace(sender, state_.account(sender));
        }
        std::lock_guard lock(mu_);
        // A block committed while we read: the accounts may be stale, so read them again.
        if (epoch_.load(std::memory_order_relaxed) != seen) continue;
        for (size_t i : checked) {
            Candidate& c = candidates[i];
            auto result = admit(std::move(c.tx), c.raw, c.hash, c.sender, accounts.at(c.sender));
            if (result) admitted.push_back(c.hash);
            out[slot[i]] = std::move(result);
        }
        listener = listener_;
        break;
    }
    if (listener)
        for (const Hash32& hash : admitted)
            listener(hash);
    return out;
}

Result<Hash32> TxPool::admit(Transaction tx, BytesView raw, const Hash32& hash,
                             const Address& sender, const AccountState& account) {
    if (by_hash_.contains(hash)) return reject("already known");

    auto it = senders_.find(sender);
    uint64_t account_nonce = account.nonce;
    if (it != senders_.end()) {
        // Never move a sender backwards: a concurrent admission may have synced newer state.
        if (account.nonce >= it->second.base_nonce) {
            if (!sync_sender(it, account)) it = senders_.end();
        } else {
            account_nonce = it->second.base_nonce;
        }
    }

    if (tx.nonce < account_nonce)
        return reject("nonce too low: address " + to_checksum_address(sender) + ", tx nonce " +
                      std::to_string(tx.nonce) + ", account nonce " +
                      std::to_string(account_nonce));
    if (tx.nonce - account_nonce > config_.max_nonce_gap)
        return reject("nonce too high: address " + to_checksum_address(sender) + ", tx nonce " +
                      std::to_string(tx.nonce) + ", account nonce " +
                      std::to_string(account_nonce) + ", at most " +
                      std::to_string(config_.max_nonce_gap) + " ahead is accepted");

    Entry entry;
    entry.fee_cap = tx.fee_cap();
    entry.tip_cap = tip_cap_of(tx);
    // Admission guarantees fee cap >= base fee, so the subtraction cannot wrap.
    entry.effective_tip = std::min(entry.tip_cap, entry.fee_cap - config_.base_fee);
    uint256 gas_cost;
    // validate_transaction rejected a gas_limit * fee cap that overflows.
    (void)mul_overflow(entry.fee_cap, uint256(tx.gas_limit), &gas_cost);
    const bool cost_overflows = add_overflow(gas_cost, tx.value, &entry.cost);

    const Entry* replaced = nullptr;
    uint256 spent;  // cost of the sender's pooled transactions that stay
    if (it != senders_.end()) {
        Sender& s = it->second;
        spent = s.total_cost;
        if (auto old = s.txs.find(tx.nonce); old != s.txs.end()) {
            replaced = &old->second;
            const uint256 need_cap = bumped(replaced->fee_cap, config_.price_bump_percent);
            const uint256 need_tip = bumped(replaced->tip_cap, config_.price_bump_percent);
            if (entry.fee_cap < need_cap || entry.tip_cap < need_tip)
                return reject("replacement transaction underpriced: fee cap " +
                              entry.fee_cap.to_dec() + " and tip cap " + entry.tip_cap.to_dec() +
                              " must be at least " + need_cap.to_dec() + " and " +
                              need_tip.to_dec() + " (a " +
                              std::to_string(config_.price_bump_percent) +
                              "% bump over the pooled transaction with nonce " +
                              std::to_string(tx.nonce) + ")");
            spent -= replaced->cost;
        } else if (s.txs.size() >= config_.max_per_sender) {
            return reject("account has too many pending transactions: " +
                          to_checksum_address(sender) + " holds " + std::to_string(s.txs.size()) +
                          ", limit " + std::to_string(config_.max_per_sender));
        }
    } else if (config_.max_per_sender == 0) {
        return reject("account has too many pending transactions: " + to_checksum_address(sender) +
                      " holds 0, limit 0");
    }

    uint256 need;
    if (cost_overflows || add_overflow(spent, entry.cost, &need))
        return reject("insufficient funds for gas * price + value: address " +
                      to_checksum_address(sender) + " have " + account.balance.to_dec() +
                      " want more than " + uint256::max().to_dec());
    if (account.balance < need)
        return reject("insufficient funds for gas * price + value: address " +
                      to_checksum_address(sender) + " have " + account.balance.to_dec() + " want " +
                      need.to_dec());

    const uint64_t nonce = tx.nonce;
    entry.ptx.tx = std::move(tx);
    entry.ptx.hash = hash;
    entry.ptx.sender = sender;
    entry.ptx.raw.assign(raw.begin(), raw.end());
    entry.ptx.arrival = next_arrival_;

    if (!replaced) {
        while (by_hash_.size() >= config_.capacity) {
            if (!evict_for(entry))
                return reject("txpool is full: it holds " + std::to_string(by_hash_.size()) +
                              " transactions and none that could be evicted pays less than " +
                              "this one");
        }
        // Eviction may have erased the sender.
        it = senders_.find(sender);
    }
    if (it == senders_.end()) {
        it = senders_.try_emplace(sender).first;
        it->second.base_nonce = account_nonce;
    }

    Sender& s = it->second;
    untrack(s);
    if (auto old = s.txs.find(nonce); old != s.txs.end()) remove_entry(s, old);
    ++next_arrival_;
    auto [pos, inserted] = s.txs.emplace(nonce, std::move(entry));
    (void)inserted;
    by_hash_.emplace(hash, &pos->second);
    s.total_cost += pos->second.cost;
    recount(s);
    track(s);
    return hash;
}

bool TxPool::evict_for(const Entry& incoming) {
    const Address& sender = incoming.ptx.sender;
    const uint64_t nonce = incoming.ptx.tx.nonce;
    for (auto* tails : {&queued_tails_, &pending_tails_}) {
        for (const Entry* victim : *tails) {
            // Evicting the newcomer's own predecessor would only open a gap in front of it.
            if (victim->ptx.sender == sender && victim->ptx.tx.nonce < nonce) continue;
            // The set is ordered cheapest first: if this one is not cheaper, none in it is.
            if (!pays_more(incoming.effective_tip, incoming.fee_cap, victim->effective_tip,
                           victim->fee_cap))
                break;
            auto it = senders_.find(victim->ptx.sender);
            Sender& s = it->second;
            untrack(s);
            remove_entry(s, std::prev(s.txs.end()));
            recount(s);
            track(s);
            erase_if_empty(it);
            return true;
        }
    }
    return false;
}

void TxPool::remove_entry(Sender& s, std::map<uint64_t, Entry>::iterator e) {
    by_hash_.erase(e->second.ptx.hash);
    s.total_cost -= e->second.cost;
    s.txs.erase(e);
}

void TxPool::recount(Sender& s) {
    pending_total_ -= s.pending;
    size_t run = 0;
    for (auto it = s.txs.find(s.base_nonce); it != s.txs.end() && it->first == s.base_nonce + run;
         ++it)
        ++run;
    s.pending = run;
    pending_total_ += run;
}

void TxPool::untrack(Sender& s) {
    if (s.tracked_tail) {
        (s.tail_pending ? pending_tails_ : queued_tails_).erase(s.tracked_tail);
        s.tracked_tail = nullptr;
    }
    if (s.tracked_head) {
        heads_.erase(s.tracked_head);
        s.tracked_head = nullptr;
    }
}

void TxPool::track(Sender& s) {
    if (s.txs.empty()) return;
    const auto& [nonce, entry] = *s.txs.rbegin();
    s.tracked_tail = &entry;
    s.tail_pending = nonce - s.base_nonce < s.pending;
    (s.tail_pending ? pending_tails_ : queued_tails_).insert(&entry);
    if (s.pending > 0) {
        s.tracked_head = &s.txs.find(s.base_nonce)->second;
        heads_.insert(s.tracked_head);
    }
}

void TxPool::erase_if_empty(SenderMap::iterator it) {
    if (!it->second.txs.empty()) return;
    // Nothing to untrack or uncount: an empty sender has no tail and a zero pending run.
    senders_.erase(it);
}

bool TxPool::sync_sender(SenderMap::iterator it, const AccountState& account) {
    Sender& s = it->second;
    untrack(s);
    const uint64_t base = std::max(account.nonce, s.base_nonce);
    // Executed (or otherwise outdated) nonces.
    while (!s.txs.empty() && s.txs.begin()->first < base)
        remove_entry(s, s.txs.begin());
    // The first transaction that makes the running total exceed the balance, and all after it:
    // keeping any of them would let the sender's pooled transactions overcommit the account.
    uint256 running;
    auto cut = s.txs.begin();
    for (; cut != s.txs.end(); ++cut)
        if (add_overflow(running, cut->second.cost, &running) || running > account.balance) break;
    while (cut != s.txs.end())
        remove_entry(s, cut++);
    s.base_nonce = base;
    recount(s);
    track(s);
    if (s.txs.empty()) {
        erase_if_empty(it);
        return false;
    }
    return true;
}

void TxPool::on_block_committed() {
    sync_after_commit(std::nullopt);
}

void TxPool::on_block_committed(std::span<const Address> senders) {
    sync_after_commit(senders);
}

void TxPool::sync_after_commit(std::optional<std::span<const Address>> only) {
    std::vector<Address> addresses;
    {
        std::lock_guard lock(mu_);
        // Any account read that began before this point may predate the commit.
        epoch_.fetch_add(1, std::memory_order_acq_rel);
        if (only) {
            for (const Address& address : *only)
                if (senders_.contains(address)) addresses.push_back(address);
            std::sort(addresses.begin(), addresses.end());  // a sender of many transactions
            addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
        } else {
            addresses.reserve(senders_.size());
            for (const auto& [address, s] : senders_)
                addresses.push_back(address);
        }
    }
    std::vector<AccountState> accounts;
    accounts.reserve(addresses.size());
    for (const Address& address : addresses)
        accounts.push_back(state_.account(address));

    std::lock_guard lock(mu_);
    for (size_t i = 0; i < addresses.size(); ++i) {
        auto it = senders_.find(addresses[i]);
        if (it == senders_.end()) continue;
        // An admission since the snapshot synced this sender with state at least as new.
        if (accounts[i].nonce < it->second.base_nonce) continue;
        sync_sender(it, accounts[i]);
    }
}

std::vector<PooledTx> TxPool::pending_block(uint64_t max_gas, size_t max_count,
                                            const std::unordered_set<Hash32>& skip) const {
    struct Cursor {
        std::map<uint64_t, Entry>::const_iterator it;
        size_t left;  // transactions of this sender's run still to offer, this one included
    };
    // std::*_heap keep the largest on top: "less" is "worse" here.
    auto worse = [](const Cursor& a, const Cursor& b) {
        return HeadOrder{}(&b.it->second, &a.it->second);
    };

    std::lock_guard lock(mu_);
    // Senders whose run has begun are merged, by a heap, with the heads of the others, which
    // heads_ keeps in order: a block costs O(block log block), not O(senders).
    std::vector<Cursor> started;
    auto next_head = heads_.begin();
    std::vector<PooledTx> out;
    uint64_t gas_used = 0;
    size_t misfits = 0;  // in a row
    while (out.size() < max_count && max_gas - gas_used >= kTxGas && misfits < kMaxMisfitsInARow) {
        Cursor c;
        if (next_head != heads_.end() &&
            (started.empty() || HeadOrder{}(*next_head, &started.front().it->second))) {
            const Entry* head = *next_head++;
            const Sender& s = senders_.find(head->ptx.sender)->second;
            c = {s.txs.find(s.base_nonce), s.pending};
        } else if (!started.empty()) {
            std::pop_heap(started.begin(), started.end(), worse);
            c = started.back();
            started.pop_back();
        } else {
            break;
        }
        const PooledTx& ptx = c.it->second.ptx;
        if (skip.empty() || !skip.contains(ptx.hash)) {
            // Does not fit: the rest of this sender's run cannot go without it.
            if (ptx.tx.gas_limit > max_gas - gas_used) {
                // One too large for any block (the limit was lowered after its admission) says
                // nothing about the room left: counted, enough of them would starve every block.
                if (ptx.tx.gas_limit <= max_gas) ++misfits;
                continue;
            }
            misfits = 0;
            gas_used += ptx.tx.gas_limit;
            out.push_back(ptx);
        }
        if (--c.left > 0) {
            ++c.it;
            started.push_back(c);
            std::push_heap(started.begin(), started.end(), worse);
        }
    }
    return out;
}

uint64_t TxPool::pending_nonce(const Address& sender) const {
    const AccountState account = state_.account(sender);
    std::lock_guard lock(mu_);
    auto it = senders_.find(sender);
    if (it == senders_.end()) return account.nonce;
    const Sender& s = it->second;
    uint64_t next = std::max(account.nonce, s.base_nonce);
    for (auto tx = s.txs.find(next); tx != s.txs.end() && tx->first == next; ++tx)
        ++next;
    return next;
}

bool TxPool::remove(const Hash32& hash) {
    std::lock_guard lock(mu_);
    auto found = by_hash_.find(hash);
    if (found == by_hash_.end()) return false;
    const PooledTx& ptx = found->second->ptx;
    auto it = senders_.find(ptx.sender);
    auto entry = it->second.txs.find(ptx.tx.nonce);
    untrack(it->second);
    remove_entry(it->second, entry);
    recount(it->second);
    track(it->second);
    erase_if_empty(it);
    return true;
}

std::optional<PooledTx> TxPool::get(const Hash32& hash) const {
    std::lock_guard lock(mu_);
    auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) return std::nullopt;
    return it->second->ptx;
}

std::vector<Bytes> TxPool::raws(std::span<const Hash32> hashes) const {
    std::vector<Bytes> out;
    out.reserve(hashes.size());
    std::lock_guard lock(mu_);
    for (const Hash32& hash : hashes)
        if (auto it = by_hash_.find(hash); it != by_hash_.end()) out.push_back(it->second->ptx.raw);
    return out;
}

std::optional<Address> TxPool::sender(const Hash32& hash) const {
    std::lock_guard lock(mu_);
    auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) return std::nullopt;
    return it->second->ptx.sender;
}

Result<Address> TxPool::checked_sender(const Transaction& tx, const Hash32& hash) {
    HC_TRY(check_transaction(tx, config_.chain_id));
    if (auto pooled = sender(hash)) return *pooled;
    return recover_once(tx, hash);
}

Result<Address> TxPool::recover_once(const Transaction& tx, const Hash32& hash) {
    if (auto known = recovered_.find(hash)) return *known;
    HC_ASSIGN_OR_RETURN(const Address recovered, recover_sender(tx));
    recovered_.insert(hash, recovered);
    return recovered;
}

bool TxPool::contains(const Hash32& hash) const {
    std::lock_guard lock(mu_);
    return by_hash_.contains(hash);
}

size_t TxPool::size() const {
    std::lock_guard lock(mu_);
    return by_hash_.size();
}

size_t TxPool::pending_count() const {
    std::lock_guard lock(mu_);
    return pending_total_;
}

size_t TxPool::queued_count() const {
    std::lock_guard lock(mu_);
    return by_hash_.size() - pending_total_;
}

void TxPool::set_listener(std::function<void(const Hash32&)> on_new) {
    std::lock_guard lock(mu_);
    listener_ = std::move(on_new);
}

}  // namespace hc::txpool
