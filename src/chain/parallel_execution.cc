#include "chain/parallel_execution.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "chain/governance_store.h"
#include "evm/deep_stack.h"
#include "governance/actions.h"
#include "governance/system_contracts.h"
#include "state/overlay.h"

namespace hc::chain {

namespace {

// ---- Locations and values of the multi-version memory ----

enum class LocKind : uint8_t {
    account,      // an account's nonce, balance and code hash (absent: no account)
    slot,         // one storage slot
    reset,        // the account's whole storage dropped (deleted, or deleted and created again)
    storage_any,  // written with every slot write and reset: what the storage size depends on
};

struct Location {
    LocKind kind = LocKind::account;
    Address address;
    Hash32 slot;
    bool operator==(const Location&) const = default;
};

struct LocationHash {
    size_t operator()(const Location& l) const noexcept {
        size_t h = std::hash<Address>{}(l.address);
        if (l.kind == LocKind::slot) h ^= std::hash<Hash32>{}(l.slot) * 0x9e3779b97f4a7c15ULL;
        return h + static_cast<size_t>(l.kind);
    }
};

struct Value {
    std::optional<state::Account> account;  // LocKind::account
    uint256 word;                           // LocKind::slot
};

// Where a read came from: the base state, or the write of (txn, incarnation).
struct Origin {
    bool base = true;
    uint32_t txn = 0;
    uint32_t incarnation = 0;
    bool operator==(const Origin&) const = default;
};

struct ReadResult {
    enum class Kind : uint8_t { base, version, estimate } kind = Kind::base;
    Origin origin;
    Value value;
};

using ReadSet = std::vector<std::pair<Location, Origin>>;
using WriteSet = std::vector<std::pair<Location, Value>>;

class MvMemory {
  public:
    explicit MvMemory(size_t txs) : last_written_(txs) {}

    // The write of the highest transaction below txn at loc.
    ReadResult read(const Location& loc, uint32_t txn) {
        Shard& s = shard(loc);
        std::lock_guard lock(s.mu);
        ReadResult r;
        auto it = s.data.find(loc);
        if (it == s.data.end()) return r;
        auto v = it->second.lower_bound(txn);
        if (v == it->second.begin()) return r;
        --v;
        r.origin = {false, v->first, v->second.incarnation};
        r.kind = v->second.estimate ? ReadResult::Kind::estimate : ReadResult::Kind::version;
        if (!v->second.estimate) r.value = v->second.value;
        return r;
    }

    // Publishes the writes of (txn, incarnation), removing what its previous incarnation wrote
    // elsewhere. Returns whether it wrote a location the previous incarnation did not.
    bool record(uint32_t txn, uint32_t incarnation, WriteSet writes) {
        std::vector<Location> written;
        written.reserve(writes.size());
        for (auto& [loc, value] : writes) {
            Shard& s = shard(loc);
            std::lock_guard lock(s.mu);
            s.data[loc][txn] = Cell{incarnation, false, std::move(value)};
            written.push_back(loc);
        }
        std::unordered_set<Location, LocationHash> now(written.begin(), written.end());
        std::unordered_set<Location, LocationHash> before(last_written_[txn].begin(),
                                                          last_written_[txn].end());
        bool wrote_new = false;
        for (const Location& loc : written)
            if (!before.count(loc)) wrote_new = true;
        for (const Location& loc : last_written_[txn]) {
            if (now.count(loc)) continue;
            Shard& s = shard(loc);
            std::lock_guard lock(s.mu);
            auto it = s.data.find(loc);
            if (it != s.data.end()) it->second.erase(txn);
        }
        last_written_[txn] = std::move(written);
        return wrote_new;
    }

    // Marks txn's writes as about to change, so readers wait for its next incarnation.
    void convert_writes_to_estimates(uint32_t txn) {
        for (const Location& loc : last_written_[txn]) {
            Shard& s = shard(loc);
            std::lock_guard lock(s.mu);
            s.data[loc][txn].estimate = true;
        }
    }

    bool validate(uint32_t txn, const ReadSet& reads) {
        for (const auto& [loc, origin] : reads) {
            ReadResult now = read(loc, txn);
            if (now.kind == ReadResult::Kind::estimate) return false;
            if ((now.kind == ReadResult::Kind::base) != origin.base) return false;
            if (!origin.base && now.origin != origin) return false;
        }
        return true;
    }

  private:
    struct Cell {
        uint32_t incarnation = 0;
        bool estimate = false;
        Value value;
    };
    struct Shard {
        std::mutex mu;
        std::unordered_map<Location, std::map<uint32_t, Cell>, LocationHash> data;
    };
    Shard& shard(const Location& loc) { return shards_[LocationHash{}(loc) % shards_.size()]; }

    std::array<Shard, 64> shards_;
    // Touched only by the one thread executing or aborting that transaction at a time.
    std::vector<std::vector<Location>> last_written_;
};

// Code is content-addressed: whichever incarnation stored it, the bytes for a hash are the same,
// so it needs no versions. Node-based, so views into it stay valid.
class CodeStore {
  public:
    void add(const Hash32& hash, const Bytes& code) {
        std::lock_guard lock(mu_);
        code_.try_emplace(hash, code);
    }
    std::optional<BytesView> find(const Hash32& hash) const {
        std::lock_guard lock(mu_);
        auto it = code_.find(hash);
        if (it == code_.end()) return std::nullopt;
        return BytesView(it->second);
    }

  private:
    mutable std::mutex mu_;
    std::map<Hash32, Bytes> code_;
};

// The state before transaction txn as one incarnation sees it: the multi-version memory's
// writes of lower transactions over the base. Records where each read came from, and returns the
// first answer again on repeated reads so that the incarnation sees one value per location.
class VersionedView final : public state::StateReader {
  public:
    VersionedView(const state::StateReader& base, MvMemory& mv, const CodeStore& codes,
                  const Address& coinbase, uint32_t txn)
        : base_(base), mv_(mv), codes_(codes), coinbase_(coinbase), txn_(txn) {}

    std::optional<state::Account> account(const Address& address) const override {
        // The coinbase only takes fees here (anything else falls back), kept as deltas.
        if (address == coinbase_) return base_.account(address);
        auto cached = accounts_.find(address);
        if (cached != accounts_.end()) return cached->second;
        ReadResult r = read({LocKind::account, address, {}});
        auto value = r.kind == ReadResult::Kind::version ? r.value.account : base_.account(address);
        accounts_.emplace(address, value);
        return value;
    }

    uint256 storage(const Address& address, const Hash32& slot) const override {
        auto cached = slots_.find({address, slot});
        if (cached != slots_.end()) return cached->second;
        ReadResult s = read({LocKind::slot, address, slot});
        ReadResult reset = read({LocKind::reset, address, {}});
        uint256 value;
        const bool slot_written = s.kind == ReadResult::Kind::version;
        const bool reset_written = reset.kind == ReadResult::Kind::version;
        // Within one transaction a slot write after a reset survives it, hence >= for equal ones.
        if (slot_written && (!reset_written || s.origin.txn >= reset.origin.txn))
            value = s.value.word;
        else if (!reset_written)
            value = base_.storage(address, slot);
        slots_.emplace(state::StorageKey{address, slot}, value);
        return value;
    }

    size_t storage_size(const Address& address) const override {
        ReadResult r = read({LocKind::storage_any, address, {}});
        // Counting slots across versions is not modelled; such a block runs in order.
        if (r.kind == ReadResult::Kind::version) needs_fallback_ = true;
        return base_.storage_size(address);
    }

    BytesView code(const Hash32& code_hash) const override {
        if (auto c = codes_.find(code_hash)) return *c;
        return base_.code(code_hash);
    }

    std::optional<uint32_t> blocked_on() const { return blocked_on_; }
    bool needs_fallback() const { return needs_fallback_; }
    ReadSet take_reads() {
        return ReadSet(std::make_move_iterator(reads_.begin()),
                       std::make_move_iterator(reads_.end()));
    }

  private:
    ReadResult read(const Location& loc) const {
        ReadResult r = mv_.read(loc, txn_);
        if (r.kind == ReadResult::Kind::estimate) {
            // The incarnation is thrown away; it runs on with base values to its end.
            if (!blocked_on_) blocked_on_ = r.origin.txn;
            r.kind = ReadResult::Kind::base;
            return r;
        }
        reads_.try_emplace(loc, r.kind == ReadResult::Kind::base ? Origin{} : r.origin);
        return r;
    }

    const state::StateReader& base_;
    MvMemory& mv_;
    const CodeStore& codes_;
    Address coinbase_;
    uint32_t txn_;
    mutable std::unordered_map<Location, Origin, LocationHash> reads_;
    mutable std::unordered_map<Address, std::optional<state::Account>> accounts_;
    mutable std::map<state::StorageKey, uint256> slots_;
    mutable std::optional<uint32_t> blocked_on_;
    mutable bool needs_fallback_ = false;
};

// ---- The collaborative scheduler of the paper (Algorithm 4/5) ----

enum class TaskKind : uint8_t { none, execute, validate };
struct Task {
    TaskKind kind = TaskKind::none;
    uint32_t txn = 0;
    uint32_t incarnation = 0;
};

class Scheduler {
  public:
    explicit Scheduler(uint32_t n) : n_(n), txs_(n) {}

    bool done() const { return done_.load(); }

    Task next_task() {
        if (validation_idx_.load() < execution_idx_.load()) {
            if (auto t = next_version_to_validate(); t.kind != TaskKind::none) return t;
        } else {
            if (auto t = next_version_to_execute(); t.kind != TaskKind::none) return t;
        }
        return {};
    }

    // Whether txn's incarnation must stop until blocking has run again; false: it already has.
    bool add_dependency(uint32_t txn, uint32_t blocking) {
        {
            std::lock_guard lock_blocking(txs_[blocking].mu);
            if (txs_[blocking].status == Status::executed) return false;
            std::lock_guard lock_txn(txs_[txn].mu);  // blocking < txn: a fixed lock order
            txs_[txn].status = Status::aborting;
            txs_[blocking].dependents.push_back(txn);
        }
        active_tasks_.fetch_sub(1);
        return true;
    }

    Task finish_execution(uint32_t txn, uint32_t incarnation, bool wrote_new_location) {
        std::vector<uint32_t> dependents;
        {
            std::lock_guard lock(txs_[txn].mu);
            txs_[txn].status = Status::executed;
            dependents.swap(txs_[txn].dependents);
        }
        resume(dependents);
        if (validation_idx_.load() > txn) {
            if (wrote_new_location)
                decrease(validation_idx_, txn);
            else
                return {TaskKind::validate, txn, incarnation};
        }
        active_tasks_.fetch_sub(1);
        return {};
    }

    bool try_validation_abort(uint32_t txn, uint32_t incarnation) {
        std::lock_guard lock(txs_[txn].mu);
        if (txs_[txn].incarnation != incarnation || txs_[txn].status != Status::executed)
            return false;
        txs_[txn].status = Status::aborting;
        return true;
    }

    Task finish_validation(uint32_t txn, bool aborted) {
        if (aborted) {
            set_ready(txn);
            decrease(validation_idx_, txn + 1);
            if (execution_idx_.load() > txn)
                if (auto t = try_incarnate(txn); t.kind != TaskKind::none) return t;
        }
        active_tasks_.fetch_sub(1);
        return {};
    }

  private:
    enum class Status : uint8_t { ready, executing, executed, aborting };
    struct TxState {
        std::mutex mu;
        uint32_t incarnation = 0;
        Status status = Status::ready;
        std::vector<uint32_t> dependents;
    };

    void decrease(std::atomic<uint32_t>& idx, uint32_t target) {
        uint32_t cur = idx.load();
        while (cur > target && !idx.compare_exchange_weak(cur, target)) {
        }
        decrease_cnt_.fetch_add(1);
    }

    void check_done() {
        const uint64_t observed = decrease_cnt_.load();
        if (std::min(execution_idx_.load(), validation_idx_.load()) >= n_ &&
            active_tasks_.load() == 0 && observed == decrease_cnt_.load())
            done_.store(true);
    }

    // Leaves active_tasks_ to the caller.
    Task try_incarnate(uint32_t txn) {
        if (txn >= n_) return {};
        std::lock_guard lock(txs_[txn].mu);
        if (txs_[txn].status != Status::ready) return {};
        txs_[txn].status = Status::executing;
        return {TaskKind::execute, txn, txs_[txn].incarnation};
    }

    Task next_version_to_execute() {
        if (execution_idx_.load() >= n_) {
            check_done();
            return {};
        }
        active_tasks_.fetch_add(1);
        Task t = try_incarnate(execution_idx_.fetch_add(1));
        if (t.kind == TaskKind::none) active_tasks_.fetch_sub(1);
        return t;
    }

    Task next_version_to_validate() {
        if (validation_idx_.load() >= n_) {
            check_done();
            return {};
        }
        active_tasks_.fetch_add(1);
        const uint32_t txn = validation_idx_.fetch_add(1);
        if (txn < n_) {
            std::lock_guard lock(txs_[txn].mu);
            if (txs_[txn].status == Status::executed)
                return {TaskKind::validate, txn, txs_[txn].incarnation};
        }
        active_tasks_.fetch_sub(1);
        return {};
    }

    void set_ready(uint32_t txn) {
        std::lock_guard lock(txs_[txn].mu);
        ++txs_[txn].incarnation;
        txs_[txn].status = Status::ready;
    }

    void resume(const std::vector<uint32_t>& dependents) {
        if (dependents.empty()) return;
        for (uint32_t d : dependents)
            set_ready(d);
        decrease(execution_idx_, *std::min_element(dependents.begin(), dependents.end()));
    }

    const uint32_t n_;
    std::vector<TxState> txs_;
    std::atomic<uint32_t> execution_idx_{0};
    std::atomic<uint32_t> validation_idx_{0};
    std::atomic<uint64_t> decrease_cnt_{0};
    std::atomic<int64_t> active_tasks_{0};
    std::atomic<bool> done_{false};
};

// ---- Executing one incarnation ----

// What the last incarnation of a transaction produced.
struct TxResult {
    std::optional<Error> rejected;  // invalid at its turn, as execute_block would say
    TxOutcome outcome;
    state::StateDiff diff;  // without the coinbase
    uint256 coinbase_fee;   // what it credited the coinbase
    bool pays_coinbase = false;
    std::string fallback;  // why the block must run in order instead, if it must
};

// Whether code may reach an account other than its own by address: only then could it observe
// the coinbase (or a system contract) beyond the fee. PUSH data is skipped.
bool reaches_other_accounts(BytesView code) {
    for (size_t pc = 0; pc < code.size(); ++pc) {
        const uint8_t op = code[pc];
        if (op >= 0x60 && op <= 0x7f) {  // PUSH1..PUSH32
            pc += op - 0x5f;
            continue;
        }
        switch (op) {
            case 0x31:  // BALANCE
            case 0x3b:  // EXTCODESIZE
            case 0x3c:  // EXTCODECOPY
            case 0x3f:  // EXTCODEHASH
            case 0xf0:  // CREATE
            case 0xf1:  // CALL
            case 0xf2:  // CALLCODE
            case 0xf4:  // DELEGATECALL
            case 0xf5:  // CREATE2
            case 0xfa:  // STATICCALL
            case 0xff:  // SELFDESTRUCT
                return true;
            default:
                break;
        }
    }
    return false;
}

struct Shared {
    const state::StateReader& base;
    const BlockContext& env;
    const std::vector<BlockTx>& txs;
    evm::AnalysisCache* cache;
    const BeforeExecution& before_execution;
    MvMemory mv;
    CodeStore codes;
    Scheduler scheduler;
    std::vector<TxResult> results;
    std::vector<std::shared_ptr<const ReadSet>> read_sets;
    std::unique_ptr<std::mutex[]> read_set_mu;
    std::atomic<uint64_t> executions{0};
    std::atomic<uint64_t> aborts{0};

    Shared(const state::StateReader& b, const BlockContext& e, const std::vector<BlockTx>& t,
           evm::AnalysisCache* c, const BeforeExecution& before)
        : base(b),
          env(e),
          txs(t),
          cache(c),
          before_execution(before),
          mv(t.size()),
          scheduler(static_cast<uint32_t>(t.size())),
          results(t.size()),
          read_sets(t.size()),
          read_set_mu(new std::mutex[t.size()]) {}
};

struct Incarnation {
    std::optional<uint32_t> blocked_on;
    ReadSet reads;
    WriteSet writes;
};

// Runs transaction txn once on the versioned view, as execute_block's loop body does. What
// makes the block run in order is noted in the result, not acted on: a speculative incarnation
// may see a state that never was, and only the final, validated incarnations count.
Incarnation execute(Shared& sh, uint32_t txn) {
    if (sh.before_execution) sh.before_execution(txn);
    sh.executions.fetch_add(1);
    const BlockTx& t = sh.txs[txn];
    const Address& coinbase = sh.env.coinbase;
    VersionedView view(sh.base, sh.mv, sh.codes, coinbase, txn);
    state::StateOverlay overlay(view);
    Incarnation inc;
    TxResult result;

    const BytesView code = t.tx.to ? overlay.code(*t.tx.to) : BytesView(t.tx.data);
    Status allowed;
    if (reaches_other_accounts(code)) {
        result.fallback = "transaction " + t.hash.hex() +
                          " runs code that can reach other accounts (calls, balance or code "
                          "reads, creations, self-destruction)";
    } else {
        if (sh.env.governance &&
            sh.env.governance->mode == governance::PermissionMode::permissioned)
            allowed = governance::check_transaction_permission(
                *sh.env.governance, t.sender, t.tx.to, t.tx.data, t.tx.to && !code.empty());
        if (!allowed) {
            result.rejected = allowed.error();
        } else {
            // The gas used before it is left at 0: the sum of all gas limits fits in the block
            // (or the block runs in order), so the block gas check cannot fail whatever ran
            // before.
            auto outcome = process_transaction(overlay, t.tx, t.sender, sh.env, 0, sh.cache);
            if (!outcome) {
                result.rejected = outcome.error();
            } else {
                result.outcome = std::move(*outcome);
                result.diff = overlay.diff();
            }
        }
    }
    inc.blocked_on = view.blocked_on();
    if (inc.blocked_on) return inc;
    if (view.needs_fallback())
        result.fallback = "transaction " + t.hash.hex() +
                          " checks the storage of an account an earlier transaction wrote";
    if (!result.rejected &&
        std::any_of(result.outcome.logs.begin(), result.outcome.logs.end(),
                    [](const Log& l) { return governance::is_system_contract(l.address); }))
        result.fallback = "transaction " + t.hash.hex() + " changed the governance state";

    // The writes, with the coinbase's balance increase taken out as the fee.
    state::StateDiff& d = result.diff;
    if (auto cb = d.accounts.find(coinbase); cb != d.accounts.end()) {
        const state::Account before = sh.base.account(coinbase).value_or(state::Account{});
        if (!cb->second || cb->second->nonce != before.nonce ||
            cb->second->code_hash != before.code_hash || cb->second->balance < before.balance ||
            d.cleared_storage.count(coinbase)) {
            result.fallback =
                "transaction " + t.hash.hex() + " changes the coinbase other than by its fee";
        } else {
            result.coinbase_fee = cb->second->balance - before.balance;
            result.pays_coinbase = true;
        }
        d.accounts.erase(cb);
    }
    for (const auto& [hash, bytes] : d.code)
        sh.codes.add(hash, bytes);
    for (const auto& [address, account] : d.accounts) {
        inc.writes.push_back({{LocKind::account, address, {}}, Value{account, {}}});
        if (!account) {
            inc.writes.push_back({{LocKind::reset, address, {}}, {}});
            inc.writes.push_back({{LocKind::storage_any, address, {}}, {}});
        }
    }
    for (const Address& address : d.cleared_storage) {
        inc.writes.push_back({{LocKind::reset, address, {}}, {}});
        inc.writes.push_back({{LocKind::storage_any, address, {}}, {}});
    }
    std::set<Address> storage_written;
    for (const auto& [key, value] : d.storage) {
        inc.writes.push_back({{LocKind::slot, key.first, key.second}, Value{std::nullopt, value}});
        storage_written.insert(key.first);
    }
    for (const Address& address : storage_written)
        if (!d.cleared_storage.count(address))
            inc.writes.push_back({{LocKind::storage_any, address, {}}, {}});
    inc.reads = view.take_reads();
    sh.results[txn] = std::move(result);
    return inc;
}

Task try_execute(Shared& sh, Task task) {
    for (;;) {
        Incarnation inc = execute(sh, task.txn);
        if (inc.blocked_on) {
            sh.aborts.fetch_add(1);
            if (sh.scheduler.add_dependency(task.txn, *inc.blocked_on)) return {};
            continue;  // the blocking transaction finished meanwhile: run again now
        }
        {
            std::lock_guard lock(sh.read_set_mu[task.txn]);
            sh.read_sets[task.txn] = std::make_shared<const ReadSet>(std::move(inc.reads));
        }
        const bool wrote_new = sh.mv.record(task.txn, task.incarnation, std::move(inc.writes));
        return sh.scheduler.finish_execution(task.txn, task.incarnation, wrote_new);
    }
}

Task validate(Shared& sh, Task task) {
    std::shared_ptr<const ReadSet> reads;
    {
        std::lock_guard lock(sh.read_set_mu[task.txn]);
        reads = sh.read_sets[task.txn];
    }
    const bool valid = reads && sh.mv.validate(task.txn, *reads);
    const bool aborted = !valid && sh.scheduler.try_validation_abort(task.txn, task.incarnation);
    if (aborted) {
        sh.aborts.fetch_add(1);
        sh.mv.convert_writes_to_estimates(task.txn);
    }
    return sh.scheduler.finish_validation(task.txn, aborted);
}

void worker(Shared& sh) {
    Task task;
    while (!sh.scheduler.done()) {
        if (task.kind == TaskKind::execute)
            task = try_execute(sh, task);
        else if (task.kind == TaskKind::validate)
            task = validate(sh, task);
        if (task.kind == TaskKind::none) {
            task = sh.scheduler.next_task();
            // Nothing to do until another worker finishes a task: leave it the CPU.
            if (task.kind == TaskKind::none) std::this_thread::yield();
        }
    }
}

// Why the block must run in order, or empty.
std::string fallback_reason(const state::StateReader& base, const BlockContext& env,
                            const std::vector<BlockTx>& txs) {
    if (txs.size() >= std::numeric_limits<uint32_t>::max()) return "too many transactions";
    unsigned __int128 gas = 0;
    for (const BlockTx& t : txs)
        gas += t.tx.gas_limit;
    if (gas > env.gas_limit)
        return "the transactions' gas limits add up to more than the block gas limit";
    const auto coinbase = base.account(env.coinbase);
    if (coinbase && coinbase->has_code()) return "the coinbase has code";
    if (coinbase && coinbase->nonce == 0 && coinbase->balance.is_zero())
        return "the coinbase exists but is empty";
    for (const BlockTx& t : txs) {
        if (t.sender == env.coinbase || (t.tx.to && *t.tx.to == env.coinbase))
            return "transaction " + t.hash.hex() + " is from or to the coinbase";
        if (t.tx.to && governance::is_system_contract(*t.tx.to))
            return "transaction " + t.hash.hex() + " calls a system contract";
    }
    return {};
}

}  // namespace

Result<BlockExecution> execute_block_parallel(const state::StateReader& base,
                                              const BlockContext& block,
                                              const std::vector<BlockTx>& txs, unsigned threads,
                                              evm::AnalysisCache* cache, ParallelStats* stats,
                                              const BeforeExecution& before_execution) {
    if (threads == 0)
        return make_error(Errc::invalid_argument,
                          "parallel block execution needs at least one worker thread");
    ParallelStats local;
    ParallelStats& st = stats ? *stats : local;
    st = {};
    auto sequential = [&](std::string reason) {
        st.parallel = false;
        st.fallback_reason = std::move(reason);
        return execute_block(base, block, txs, cache);
    };

    // The governance as execute_block sets it up (read once: no transaction may change it).
    std::optional<governance::GovernanceState> gov;
    {
        state::StateOverlay probe(base);
        HC_ASSIGN_OR_RETURN(gov, read_governance(probe));
    }
    BlockContext env = block;
    if (gov) {
        governance::GovernanceState activated = *gov;
        if (governance::activate_pending_nodes(activated, block.number))
            return sequential("a pending node set activates in this block");
        env.governance = &*gov;
    }
    if (std::string reason = fallback_reason(base, env, txs); !reason.empty())
        return sequential(std::move(reason));
    // BLOCKHASH reads may come from several threads; the caller's function need not be
    // thread-safe.
    std::mutex block_hash_mu;
    if (block.block_hash)
        env.block_hash = [&block_hash_mu, &block](uint64_t number) {
            std::lock_guard lock(block_hash_mu);
            return block.block_hash(number);
        };

    Shared sh(base, env, txs, cache, before_execution);
    std::atomic<unsigned> ran{0};
    auto run = [&] {
        ran.fetch_add(1);
        worker(sh);
    };
    // More workers than transactions would only wait.
    threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(txs.size(), 1)));
    std::vector<std::thread> helpers;
    for (unsigned i = 0; i + 1 < threads; ++i) {
        try {
            // A helper whose deep stack cannot start leaves its share to the others.
            helpers.emplace_back([&] { (void)evm::run_with_deep_stack(run); });
        } catch (const std::system_error&) {
            break;  // no more threads to be had: the ones started finish the block
        }
    }
    Status own = evm::run_with_deep_stack(run);
    for (std::thread& h : helpers)
        h.join();
    // Any one worker finishes the block alone, so only none starting is a failure.
    if (ran.load() == 0) {
        HC_TRY(own);
        return make_error(Errc::internal, "no worker thread could start");
    }
    st.executions = sh.executions.load();
    st.aborts = sh.aborts.load();
    if (!txs.empty() && !sh.scheduler.done())
        return make_error(Errc::internal, "parallel execution ended before the block was done");

    // In order: receipts, rejections, the coinbase's fees and the merged state change.
    BlockExecution out;
    state::StateOverlay merged(base);
    uint256 fees;
    bool coinbase_paid = false;
    std::map<Hash32, Bytes> code;
    for (const TxResult& r : sh.results)
        if (!r.fallback.empty()) return sequential(r.fallback);
    for (size_t i = 0; i < txs.size(); ++i) {
        const BlockTx& t = txs[i];
        TxResult& r = sh.results[i];
        if (r.rejected) {
            out.rejected.emplace_back(t.hash, *r.rejected);
            continue;
        }
        out.gas_used += r.outcome.gas_used;
        Receipt receipt;
        receipt.type = t.tx.type;
        receipt.status = r.outcome.status;
        receipt.cumulative_gas_used = out.gas_used;
        receipt.logs = std::move(r.outcome.logs);
        receipt.bloom = bloom_of(receipt.logs);
        out.bloom.merge(receipt.bloom);
        out.receipts.receipts.push_back(std::move(receipt));
        out.receipts.metas.push_back({r.outcome.gas_used, r.outcome.contract_address});
        out.receipts.senders.push_back(t.sender);
        out.included.push_back(t);

        const state::StateDiff& d = r.diff;
        for (const Address& a : d.cleared_storage)
            merged.delete_account(a);
        for (const auto& [address, account] : d.accounts) {
            if (account)
                merged.put_account(address, *account);
            else
                merged.delete_account(address);
        }
        for (const auto& [key, value] : d.storage)
            merged.set_storage(key.first, key.second, value);
        for (const auto& [hash, bytes] : d.code)
            code.try_emplace(hash, bytes);
        if (r.pays_coinbase) {
            fees = fees + r.coinbase_fee;
            coinbase_paid = true;
        }
    }
    if (coinbase_paid) {
        state::Account cb = base.account(block.coinbase).value_or(state::Account{});
        cb.balance = cb.balance + fees;
        merged.put_account(block.coinbase, cb);
    }
    out.diff = merged.diff();
    out.diff.code = std::move(code);
    st.parallel = true;
    return out;
}

}  // namespace hc::chain
