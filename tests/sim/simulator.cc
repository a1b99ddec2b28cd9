// The deterministic consensus simulation (see simulator.h).
//
// Determinism: one xoshiro256** stream seeded from the seed drives every choice; events are
// ordered by (time, sequence number); the replicas keep only ordered containers. Nothing reads
// a real clock, a hash table's iteration order or an address.
#include "sim/simulator.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <sstream>
#include <vector>

#include "codec/rlp.h"
#include "common/keccak.h"
#include "consensus/replica.h"
#include "sim/fake_signer.h"

namespace hc::consensus::sim {
namespace {

using testing::FakeSigner;

class Rng {
  public:
    explicit Rng(uint64_t seed) {
        for (auto& w : s_) {
            seed += 0x9e3779b97f4a7c15ull;
            uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            w = z ^ (z >> 31);
        }
    }
    uint64_t next() {
        const uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    // Uniform in [lo, hi] (the modulo bias is irrelevant here).
    uint64_t range(uint64_t lo, uint64_t hi) { return lo + next() % (hi - lo + 1); }
    bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

  private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t s_[4];
};

// ---- Transactions: 8-byte id || 8-byte tag; the tag makes forged ones detectable ----
constexpr size_t kTxSize = 16;
constexpr size_t kMaxBatch = 8;

Bytes tx_bytes(uint64_t seed, uint64_t id, bool forged = false) {
    Bytes out(kTxSize);
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<uint8_t>(id >> (56 - 8 * i));
    // A keyed mix, not a MAC: the simulated Byzantine replicas only ever flip it.
    uint64_t tag = (seed ^ 0x5851f42d4c957f2dull) + id * 0x9e3779b97f4a7c15ull;
    tag = (tag ^ (tag >> 30)) * 0xbf58476d1ce4e5b9ull;
    tag = (tag ^ (tag >> 27)) * 0x94d049bb133111ebull;
    tag ^= tag >> 31;
    if (forged) tag = ~tag;
    for (int i = 0; i < 8; ++i)
        out[8 + i] = static_cast<uint8_t>(tag >> (56 - 8 * i));
    return out;
}

// The tx ids of a payload, or nullopt when it is malformed or holds a forged tx.
std::optional<std::vector<uint64_t>> parse_payload(uint64_t seed, BytesView p) {
    if (p.size() % kTxSize) return std::nullopt;
    std::vector<uint64_t> ids;
    for (size_t off = 0; off < p.size(); off += kTxSize) {
        uint64_t id = 0;
        for (int i = 0; i < 8; ++i)
            id = (id << 8) | p[off + i];
        Bytes expect = tx_bytes(seed, id);
        if (!std::equal(expect.begin(), expect.end(), p.begin() + off)) return std::nullopt;
        ids.push_back(id);
    }
    return ids;
}

// The driver's pool: transactions received and not yet committed at this replica.
class Pool : public PayloadSource {
  public:
    Pool(uint64_t seed, const std::set<uint64_t>& committed) : seed_(seed), committed_(committed) {}

    bool has_pending() override { return !pending_.empty(); }
    NewPayload take_payload(std::span<const HashedPayload> exclude) override {
        std::set<uint64_t> ex = ids(exclude);
        Bytes out;
        size_t n = 0;
        for (uint64_t id : pending_) {
            if (ex.count(id)) continue;
            Bytes tx = tx_bytes(seed_, id);
            out.insert(out.end(), tx.begin(), tx.end());
            if (++n == kMaxBatch) break;
        }
        const Hash32 hash = keccak256(out);
        return {std::move(out), hash};
    }
    bool valid(const HashedPayload& payload, std::span<const HashedPayload> exclude) override {
        auto got = parse_payload(seed_, payload.bytes);
        if (!got) return false;
        std::set<uint64_t> seen = ids(exclude);
        for (uint64_t id : *got)
            if (committed_.count(id) || !seen.insert(id).second) return false;
        return true;
    }

    void add(uint64_t id) {
        if (!committed_.count(id)) pending_.insert(id);
    }
    void remove(uint64_t id) { pending_.erase(id); }

  private:
    std::set<uint64_t> ids(std::span<const HashedPayload> payloads) const {
        std::set<uint64_t> out;
        for (const HashedPayload& p : payloads)
            if (auto got = parse_payload(seed_, p.bytes)) out.insert(got->begin(), got->end());
        return out;
    }

    uint64_t seed_;
    const std::set<uint64_t>& committed_;
    std::set<uint64_t> pending_;
};

struct Disk {
    std::optional<Bytes> safety;      // encoded SafetyState
    std::optional<Block> tip;         // last committed block
    std::vector<BlockId> ledger;      // committed ids by height-1
    std::map<BlockId, Block> blocks;  // persisted blocks above the tip
    std::set<uint64_t> committed_txs;
};

struct Node {
    ValidatorIndex index = 0;
    bool byzantine = false;
    std::unique_ptr<FakeSigner> signer;
    std::unique_ptr<Pool> pool;
    std::unique_ptr<Replica> replica;  // null while crashed
    Disk disk;
    uint64_t incarnation = 0;
    uint64_t timer_gen = 0;
};

struct Event {
    uint64_t time = 0;
    uint64_t seq = 0;
    std::function<void()> fire;
};
struct Later {
    bool operator()(const Event& a, const Event& b) const {
        return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
};

bool genuine(const Evidence& e, const Verifier& verifier, const Committee& c);

class Simulation {
  public:
    explicit Simulation(const Options& o) : opt_(o), rng_(o.seed) {}

    Outcome run();

  private:
    void at(uint64_t time, std::function<void()> f) {
        events_.push(Event{time, seq_++, std::move(f)});
    }
    void fail(std::string why, bool agreement = false) {
        if (!out_.ok) return;
        out_.ok = false;
        out_.agreement_violation = agreement;
        std::ostringstream s;
        s << "t=" << now_ << "ms: " << why;
        out_.failure = s.str();
    }
    bool faulty_time() const { return now_ < heal_ms_; }
    Config config_for(ValidatorIndex i) const {
        Config c;
        c.committee = committee_;
        c.self = i;
        c.base_timeout_ms = 1000;
        c.max_timeout_ms = 8000;
        c.unsafe_one_chain_commit = opt_.one_chain;
        return c;
    }

    void start_node(Node& node);
    void crash(Node& node);
    void apply(Node& node, std::vector<Action> actions);
    void on_commit(Node& node, const Commit& c);
    void transmit(ValidatorIndex from, ValidatorIndex to, const Message& m);
    void byzantine_send(Node& node, ValidatorIndex to, const Message& m);
    void byzantine_broadcast(Node& node, const Message& m);
    void deliver(ValidatorIndex from, ValidatorIndex to, Bytes wire);
    void submit(uint64_t id, ValidatorIndex to);
    bool all_committed() const;

    Options opt_;
    Rng rng_;
    Committee committee_;
    std::vector<Node> nodes_;
    std::priority_queue<Event, std::vector<Event>, Later> events_;
    uint64_t seq_ = 0;
    uint64_t now_ = 0;
    Outcome out_;

    // Faults (active before heal_ms_).
    double drop_ = 0, dup_ = 0;
    uint64_t max_delay_ = 50;
    std::vector<int> side_;  // partition side per node; all 0 when healed
    uint64_t heal_ms_ = 0;

    // Workload and checker state.
    std::set<uint64_t> submitted_;
    std::map<uint64_t, BlockId> agreed_;  // height -> the first id committed there
    uint64_t last_send_ms_ = 0;
};

void Simulation::start_node(Node& node) {
    SafetyState safety = initial_safety_state(committee_);
    if (node.disk.safety) {
        auto s = decode_safety_state(*node.disk.safety);
        if (!s)
            return fail("replica " + std::to_string(node.index) +
                        ": persisted safety state does not decode: " + s.error().to_string());
        safety = std::move(*s);
    }
    Block tip = node.disk.tip ? *node.disk.tip : genesis_block(committee_);
    std::vector<Block> blocks;
    for (const auto& [id, b] : node.disk.blocks)
        blocks.push_back(b);
    node.pool = std::make_unique<Pool>(opt_.seed, node.disk.committed_txs);
    for (uint64_t id : submitted_)
        node.pool->add(id);  // the mempool resyncs from peers
    node.replica = std::make_unique<Replica>(config_for(node.index), *node.signer, *node.pool,
                                             std::move(safety), std::move(tip), std::move(blocks));
    ++node.incarnation;
    apply(node, node.replica->start(now_));
}

void Simulation::crash(Node& node) {
    node.replica.reset();
    node.pool.reset();
    ++node.incarnation;
}

void Simulation::apply(Node& node, std::vector<Action> actions) {
    const ValidatorIndex self = node.index;
    for (Action& a : actions) {
        if (!node.replica) return;
        if (auto* p = std::get_if<Persist>(&a)) {
            node.disk.safety = encode(p->state);
            for (const Block& b : p->blocks) {
                // Through the codec, as a real block store would.
                auto back = decode_block(encode(b));
                if (!back) return fail("a persisted block does not decode");
                node.disk.blocks.emplace(b.id(), std::move(*back));
            }
        } else if (auto* s = std::get_if<Send>(&a)) {
            if (node.byzantine)
                byzantine_send(node, s->to, s->message);
            else
                transmit(self, s->to, s->message);
        } else if (auto* b = std::get_if<Broadcast>(&a)) {
            if (node.byzantine) {
                byzantine_broadcast(node, b->message);
            } else {
                for (ValidatorIndex to = 0; to < committee_.size; ++to)
                    if (to != self) transmit(self, to, b->message);
            }
        } else if (auto* c = std::get_if<Commit>(&a)) {
            on_commit(node, *c);
        } else if (auto* t = std::get_if<SetTimer>(&a)) {
            const uint64_t gen = ++node.timer_gen, inc = node.incarnation;
            at(std::max(t->deadline_ms, now_), [this, &node, gen, inc] {
                if (!node.replica || node.incarnation != inc || node.timer_gen != gen) return;
                apply(node, node.replica->on_timeout(now_));
            });
        } else if (auto* e = std::get_if<Evidence>(&a)) {
            ++out_.evidence;
            if (!genuine(*e, *node.signer, committee_))
                return fail("replica " + std::to_string(self) + " reported evidence that does " +
                            "not show two conflicting messages signed by one validator");
            if (!nodes_[e->offender].byzantine)
                fail("replica " + std::to_string(self) + " reported evidence against honest " +
                     "replica " + std::to_string(e->offender) + " in round " +
                     std::to_string(e->round));
        }
    }
}

// Two messages of one kind, for one round, signed by the offender, and different.
bool genuine(const Evidence& e, const Verifier& verifier, const Committee& c) {
    const auto* p1 = std::get_if<Proposal>(&e.first);
    const auto* p2 = std::get_if<Proposal>(&e.second);
    if (p1 && p2) {
        const BlockHeader &a = p1->block.header, &b = p2->block.header;
        return a.author == e.offender && b.author == e.offender && a.round == e.round &&
               b.round == e.round && a.id() != b.id() && verify_header_signature(a, c, verifier) &&
               verify_header_signature(b, c, verifier);
    }
    const auto* v1 = std::get_if<Vote>(&e.first);
    const auto* v2 = std::get_if<Vote>(&e.second);
    return v1 && v2 && v1->voter == e.offender && v2->voter == e.offender && v1->round == e.round &&
           v2->round == e.round && v1->block_id != v2->block_id && verify_vote(*v1, c, verifier) &&
           verify_vote(*v2, c, verifier);
}

void Simulation::on_commit(Node& node, const Commit& c) {
    const std::string who = "replica " + std::to_string(node.index);
    if (!opt_.one_chain) {
        auto proved = verify_commit_proof(c.proof, committee_, *node.signer);
        if (!proved) return fail(who + ": commit proof rejected: " + proved.error().to_string());
        if (*proved != c.blocks.back().id()) return fail(who + ": commit proof for another block");
    }
    for (const Block& b : c.blocks) {
        const BlockId id = b.id();
        const BlockId prev = node.disk.tip ? node.disk.tip->id() : committee_.genesis_id();
        const uint64_t height = committee_.start_height + node.disk.ledger.size() + 1;
        if (!node.byzantine) {
            if (b.header.height != height || b.header.parent_id != prev)
                return fail(
                    who + " committed a block at height " + std::to_string(b.header.height) +
                        " that does not extend its ledger of height " + std::to_string(height - 1),
                    true);
            auto [it, first] = agreed_.emplace(height, id);
            if (!first && it->second != id)
                return fail("agreement violated at height " + std::to_string(height) + ": " + who +
                                " committed " + id.hex().substr(0, 18) + ", another honest " +
                                "replica committed " + it->second.hex().substr(0, 18),
                            true);
            auto txs = parse_payload(opt_.seed, b.payload);
            if (!txs) return fail(who + " committed a block with an invalid payload");
            for (uint64_t tx : *txs) {
                if (!submitted_.count(tx))
                    return fail(who + " committed tx " + std::to_string(tx) + " never submitted");
                if (node.disk.committed_txs.count(tx))
                    return fail(who + " committed tx " + std::to_string(tx) + " twice");
            }
        }
        node.disk.ledger.push_back(id);
        node.disk.tip = b;
        if (auto txs = parse_payload(opt_.seed, b.payload)) {
            for (uint64_t tx : *txs) {
                node.disk.committed_txs.insert(tx);
                if (node.pool) node.pool->remove(tx);
            }
        }
        out_.committed_height =
            std::max<uint64_t>(out_.committed_height, height - committee_.start_height);
    }
    const uint64_t tip_height = committee_.start_height + node.disk.ledger.size();
    std::erase_if(node.disk.blocks,
                  [&](const auto& kv) { return kv.second.header.height <= tip_height; });
}

void Simulation::transmit(ValidatorIndex from, ValidatorIndex to, const Message& m) {
    ++out_.messages;
    last_send_ms_ = now_;
    if (opt_.trace_from_ms && now_ >= opt_.trace_from_ms) {
        static const char* kNames[] = {"proposal", "vote",          "timeout",
                                       "sync",     "block-request", "block-response"};
        std::printf("t=%llu %u->%u %s\n", static_cast<unsigned long long>(now_), from, to,
                    kNames[m.index()]);
        if (const auto* t = std::get_if<TimeoutMsg>(&m))
            std::printf("    timeout round %llu hqc %llu\n",
                        static_cast<unsigned long long>(t->timeout.round),
                        static_cast<unsigned long long>(t->timeout.high_qc.round));
        if (const auto* r = std::get_if<BlockRequest>(&m))
            std::printf("    request %s\n", r->block_id.hex().c_str());
    }
    Bytes wire = encode_message(m);
    if (faulty_time()) {
        if (side_[from] != side_[to] || rng_.chance(drop_)) return;
        if (rng_.chance(dup_)) {
            at(now_ + rng_.range(1, max_delay_),
               [this, from, to, wire] { deliver(from, to, wire); });
        }
    }
    at(now_ + rng_.range(1, max_delay_),
       [this, from, to, wire = std::move(wire)] { deliver(from, to, wire); });
}

void Simulation::deliver(ValidatorIndex from, ValidatorIndex to, Bytes wire) {
    Node& node = nodes_[to];
    if (!node.replica) return;
    auto m = decode_message(wire);
    if (!m) return fail("a message encoded by a replica does not decode: " + m.error().to_string());
    apply(node, node.replica->on_message(from, *m, now_));
}

// A Byzantine replica runs the honest core, but every vote it sends may come with a second vote
// for another block of the same round.
void Simulation::byzantine_send(Node& node, ValidatorIndex to, const Message& m) {
    transmit(node.index, to, m);
    const auto* v = std::get_if<Vote>(&m);
    if (!v || !rng_.chance(0.5)) return;
    Vote other = *v;
    other.block_id[0] ^= 0x5a;
    other.signature =
        node.signer->sign_as(node.index, vote_digest(committee_, other.round, other.block_id));
    transmit(node.index, to, other);
}

// ... and every proposal it broadcasts is split: one block to some peers, a conflicting one
// (another timestamp, or a forged transaction that honest replicas must refuse) to the others.
void Simulation::byzantine_broadcast(Node& node, const Message& m) {
    const auto* p = std::get_if<Proposal>(&m);
    if (!p) {
        for (ValidatorIndex to = 0; to < committee_.size; ++to)
            if (to != node.index) transmit(node.index, to, m);
        return;
    }
    Block other = p->block;
    if (rng_.chance(0.5)) {
        other.header.timestamp_ms += 1;
    } else {
        Bytes forged = tx_bytes(opt_.seed, 1'000'000 + rng_.range(0, 1000), true);
        other.payload.insert(other.payload.end(), forged.begin(), forged.end());
        other.header.payload_hash = keccak256(other.payload);
    }
    other.header.signature =
        node.signer->sign_as(node.index, proposal_digest(committee_, other.header.id()));
    ValidatorIndex both = static_cast<ValidatorIndex>(rng_.range(0, committee_.size - 1));
    for (ValidatorIndex to = 0; to < committee_.size; ++to) {
        if (to == node.index) continue;
        const bool first = rng_.chance(0.5);
        transmit(node.index, to, Proposal{first ? p->block : other});
        if (to == both) transmit(node.index, to, Proposal{first ? other : p->block});
    }
}

void Simulation::submit(uint64_t id, ValidatorIndex to) {
    submitted_.insert(id);
    out_.txs = submitted_.size();
    auto give = [this, id](ValidatorIndex i) {
        Node& node = nodes_[i];
        if (!node.replica) return;  // it resyncs the pool on restart
        node.pool->add(id);
        apply(node, node.replica->on_payload_available(now_));
    };
    give(to);
    // Batch gossip: reliable (a mempool retries), but delayed.
    for (ValidatorIndex i = 0; i < committee_.size; ++i)
        if (i != to) at(now_ + rng_.range(1, 2 * max_delay_), [give, i] { give(i); });
}

bool Simulation::all_committed() const {
    for (const Node& node : nodes_) {
        if (node.byzantine) continue;
        for (uint64_t id : submitted_)
            if (!node.disk.committed_txs.count(id)) return false;
    }
    return true;
}

Outcome Simulation::run() {
    static const uint32_t kSizes[] = {1, 4, 7};
    const uint32_t n = opt_.n ? opt_.n : kSizes[rng_.range(0, 2)];
    committee_.chain_id = 1000 + opt_.seed;
    committee_.size = n;
    // A third of the seeds run a later epoch's committee: its chain starts above block 0, after
    // the previous epoch's last block.
    if (rng_.chance(1.0 / 3)) {
        committee_.epoch = rng_.range(1, 9);
        committee_.start_height = rng_.range(1, 5000);
        committee_.epoch_parent.bytes[0] = static_cast<uint8_t>(opt_.seed);
        committee_.epoch_parent.bytes[31] = 0xe0;
    }
    const uint32_t f = committee_.max_faulty();
    const uint32_t byzantine = (f > 0 && rng_.chance(0.4)) ? f : 0;
    nodes_.resize(n);
    side_.assign(n, 0);
    for (ValidatorIndex i = 0; i < n; ++i) {
        nodes_[i].index = i;
        nodes_[i].signer = std::make_unique<FakeSigner>(i, n, opt_.seed);
    }
    // The Byzantine replicas are the last ones, so their leader turns come in every rotation.
    for (uint32_t k = 0; k < byzantine; ++k)
        nodes_[n - 1 - k].byzantine = true;

    constexpr uint64_t kWorkloadMs = 20'000;
    drop_ = rng_.chance(0.7) ? static_cast<double>(rng_.range(1, 15)) / 100 : 0;
    dup_ = rng_.chance(0.5) ? 0.05 : 0;
    max_delay_ = rng_.range(5, 300);
    heal_ms_ = kWorkloadMs;

    std::ostringstream sc;
    sc << "n=" << n << " byzantine=" << byzantine << " drop=" << drop_ << " dup=" << dup_
       << " max_delay=" << max_delay_ << "ms";

    // Partitions: a random split for a while, then healed.
    int partitions = n > 1 && rng_.chance(0.5) ? static_cast<int>(rng_.range(1, 3)) : 0;
    for (int k = 0; k < partitions; ++k) {
        const uint64_t start = rng_.range(0, kWorkloadMs - 1000);
        const uint64_t len = rng_.range(500, 8000);
        std::vector<int> sides(n);
        for (auto& s : sides)
            s = static_cast<int>(rng_.range(0, 1));
        at(start, [this, sides] { side_ = sides; });
        at(start + len, [this] { std::fill(side_.begin(), side_.end(), 0); });
        heal_ms_ = std::max(heal_ms_, start + len);
    }
    // Crashes of honest replicas (any of them, even all: safety must hold regardless).
    int crashes = rng_.chance(0.5) ? static_cast<int>(rng_.range(1, 3)) : 0;
    for (int k = 0; k < crashes; ++k) {
        const ValidatorIndex who = static_cast<ValidatorIndex>(rng_.range(0, n - 1));
        if (nodes_[who].byzantine) continue;
        const uint64_t start = rng_.range(0, kWorkloadMs - 1000);
        const uint64_t len = rng_.range(100, 6000);
        at(start, [this, who] {
            if (nodes_[who].replica) crash(nodes_[who]);
        });
        at(start + len, [this, who] {
            if (!nodes_[who].replica) start_node(nodes_[who]);
        });
        heal_ms_ = std::max(heal_ms_, start + len);
    }
    // At the heal, every fault stops.
    at(heal_ms_, [this] {
        std::fill(side_.begin(), side_.end(), 0);
        for (Node& node : nodes_)
            if (!node.replica) start_node(node);
    });
    sc << " partitions=" << partitions << " crashes=" << crashes << " heal=" << heal_ms_ << "ms";

    // Workload: transactions to random replicas during the workload window.
    const uint64_t txs = rng_.range(10, 80);
    for (uint64_t id = 1; id <= txs; ++id) {
        const uint64_t when = rng_.range(0, kWorkloadMs);
        const ValidatorIndex to = static_cast<ValidatorIndex>(rng_.range(0, n - 1));
        at(when, [this, id, to] { submit(id, to); });
    }
    sc << " txs=" << txs;
    if (committee_.epoch != 0)
        sc << " epoch=" << committee_.epoch << " from height " << committee_.start_height;
    out_.scenario = sc.str();

    for (Node& node : nodes_)
        start_node(node);

    constexpr uint64_t kLivenessMs = 120'000;  // after the heal
    constexpr uint64_t kQuietMs = 30'000;      // watched for silence once all is committed
    const uint64_t deadline = heal_ms_ + kLivenessMs;
    std::optional<uint64_t> done_at;
    while (!events_.empty() && out_.ok) {
        Event e = events_.top();
        if (done_at && e.time > *done_at + kQuietMs) break;
        if (e.time > deadline) break;
        events_.pop();
        now_ = e.time;
        e.fire();
        if (!done_at && now_ >= heal_ms_ && submitted_.size() == txs && all_committed())
            done_at = now_;
    }
    out_.sim_ms = now_;
    if (!out_.ok) return out_;
    if (!done_at) {
        std::ostringstream s;
        s << "liveness: not every transaction committed at every honest replica within "
          << kLivenessMs << "ms after the heal at " << heal_ms_ << "ms;";
        for (const Node& node : nodes_)
            if (!node.byzantine)
                s << " r" << node.index << ":" << node.disk.committed_txs.size() << "/"
                  << submitted_.size() << "@round"
                  << (node.replica ? node.replica->current_round() : 0);
        fail(s.str());
    } else if (last_send_ms_ > *done_at + kQuietMs / 2) {
        fail("quiescence: messages still sent at " + std::to_string(last_send_ms_) +
             "ms, long after everything committed at " + std::to_string(*done_at) + "ms");
    }
    return out_;
}

}  // namespace

Outcome run(const Options& options) {
    return Simulation(options).run();
}

}  // namespace hc::consensus::sim
