// Canonical encodings, strict decoders and digests of the consensus values (see types.h).
#include "consensus/types.h"

#include <algorithm>
#include <string>

#include "codec/rlp.h"
#include "common/keccak.h"
#include "consensus/codec_internal.h"

namespace hc::consensus {
namespace {

// Deep enough for a message holding a block holding a header holding a TC entry; anything
// nested further is malformed.
constexpr size_t kMaxDepth = 10;

Error bad(std::string_view what, const Error& inner) {
    return make_error(Errc::decode, std::string(what) + ": " + inner.message);
}
Error bad(std::string_view what, std::string_view why) {
    return make_error(Errc::decode, std::string(what) + ": " + std::string(why));
}

// Every value below is written as a list; these helpers add its fields in place.
void put_qc(rlp::Encoder& e, const QuorumCert& qc) {
    e.begin_list().add(qc.round).add(qc.block_id.view()).begin_list();
    for (const PartialSig& v : qc.votes)
        e.begin_list().add(v.signer).add(v.signature).end_list();
    e.end_list().end_list();
}
void put_tc(rlp::Encoder& e, const TimeoutCert& tc) {
    e.begin_list().add(tc.round);
    put_qc(e, tc.high_qc);
    e.begin_list();
    for (const auto& x : tc.entries)
        e.begin_list().add(x.signer).add(x.high_qc_round).add(x.signature).end_list();
    e.end_list().end_list();
}
void put_opt_tc(rlp::Encoder& e, const std::optional<TimeoutCert>& tc) {
    e.begin_list();
    if (tc) put_tc(e, *tc);
    e.end_list();
}
// The header fields that the id covers (all but the signature), without the enclosing list.
void put_header_fields(rlp::Encoder& e, const BlockHeader& h) {
    e.add(h.round).add(h.height).add(h.parent_id.view());
    put_qc(e, h.qc);
    put_opt_tc(e, h.tc);
    e.add(h.author).add(h.timestamp_ms).add(h.payload_hash.view());
}
void put_header(rlp::Encoder& e, const BlockHeader& h) {
    e.begin_list();
    put_header_fields(e, h);
    e.add(h.signature).end_list();
}
void put_timeout(rlp::Encoder& e, const Timeout& t) {
    e.begin_list().add(t.round);
    put_qc(e, t.high_qc);
    e.add(t.author).add(t.signature).end_list();
}

Result<Hash32> read_hash(rlp::ListReader& r) {
    auto s = r.next_string();
    if (!s) return s.error();
    return Hash32::from_view(*s);
}
Result<ValidatorIndex> read_index(rlp::ListReader& r) {
    auto v = r.next_uint64();
    if (!v) return v.error();
    if (*v >= kMaxValidators)
        return make_error(Errc::decode, "validator index " + std::to_string(*v) + " exceeds " +
                                            std::to_string(kMaxValidators - 1));
    return static_cast<ValidatorIndex>(*v);
}
Result<Bytes> read_sig(rlp::ListReader& r) {
    auto s = r.next_string();
    if (!s) return s.error();
    if (s->size() > kMaxSignatureSize)
        return make_error(Errc::decode, "signature of " + std::to_string(s->size()) +
                                            " bytes exceeds " + std::to_string(kMaxSignatureSize));
    return Bytes(s->begin(), s->end());
}

Result<QuorumCert> read_qc(rlp::ListReader r) {
    QuorumCert qc;
    HC_TRY(rlp::read_field(r.next_uint64(), "qc", "round", qc.round));
    HC_TRY(rlp::read_field(read_hash(r), "qc", "block_id", qc.block_id));
    auto votes = r.next_list();
    if (!votes) return bad("qc: votes", votes.error());
    while (!votes->done()) {
        if (qc.votes.size() >= kMaxValidators) return bad("qc", "too many votes");
        auto v = rlp::expect_fields(votes->next_list(), 2);
        if (!v) return bad("qc: vote", v.error());
        PartialSig p;
        HC_TRY(rlp::read_field(read_index(*v), "qc vote", "signer", p.signer));
        HC_TRY(rlp::read_field(read_sig(*v), "qc vote", "signature", p.signature));
        qc.votes.push_back(std::move(p));
    }
    HC_TRY(r.finish());
    return qc;
}
Result<QuorumCert> next_qc(rlp::ListReader& r) {
    auto l = rlp::expect_fields(r.next_list(), 3);
    if (!l) return bad("qc", l.error());
    return read_qc(*l);
}

Result<TimeoutCert> read_tc(rlp::ListReader r) {
    TimeoutCert tc;
    HC_TRY(rlp::read_field(r.next_uint64(), "tc", "round", tc.round));
    HC_ASSIGN_OR_RETURN(tc.high_qc, next_qc(r));
    auto entries = r.next_list();
    if (!entries) return bad("tc: entries", entries.error());
    while (!entries->done()) {
        if (tc.entries.size() >= kMaxValidators) return bad("tc", "too many entries");
        auto x = rlp::expect_fields(entries->next_list(), 3);
        if (!x) return bad("tc: entry", x.error());
        TimeoutCert::Entry e;
        HC_TRY(rlp::read_field(read_index(*x), "tc entry", "signer", e.signer));
        HC_TRY(rlp::read_field(x->next_uint64(), "tc entry", "high_qc_round", e.high_qc_round));
        HC_TRY(rlp::read_field(read_sig(*x), "tc entry", "signature", e.signature));
        tc.entries.push_back(std::move(e));
    }
    HC_TRY(r.finish());
    return tc;
}
Result<std::optional<TimeoutCert>> next_opt_tc(rlp::ListReader& r) {
    auto l = r.next_list();
    if (!l) return bad("optional tc", l.error());
    if (l->done()) return std::optional<TimeoutCert>();
    auto inner = rlp::expect_fields(l->next_list(), 3);
    if (!inner) return bad("tc", inner.error());
    auto tc = read_tc(*inner);
    if (!tc) return tc.error();
    if (!l->done()) return bad("optional tc", "more than one item");
    return std::optional<TimeoutCert>(std::move(*tc));
}

Result<BlockHeader> read_header(rlp::ListReader r) {
    BlockHeader h;
    HC_TRY(rlp::read_field(r.next_uint64(), "header", "round", h.round));
    HC_TRY(rlp::read_field(r.next_uint64(), "header", "height", h.height));
    HC_TRY(rlp::read_field(read_hash(r), "header", "parent_id", h.parent_id));
    HC_ASSIGN_OR_RETURN(h.qc, next_qc(r));
    HC_ASSIGN_OR_RETURN(h.tc, next_opt_tc(r));
    HC_TRY(rlp::read_field(read_index(r), "header", "author", h.author));
    HC_TRY(rlp::read_field(r.next_uint64(), "header", "timestamp_ms", h.timestamp_ms));
    HC_TRY(rlp::read_field(read_hash(r), "header", "payload_hash", h.payload_hash));
    HC_TRY(rlp::read_field(read_sig(r), "header", "signature", h.signature));
    HC_TRY(r.finish());
    return h;
}
Result<BlockHeader> next_header(rlp::ListReader& r) {
    auto l = rlp::expect_fields(r.next_list(), 9);
    if (!l) return bad("header", l.error());
    return read_header(*l);
}

Result<Timeout> read_timeout(rlp::ListReader r) {
    Timeout t;
    HC_TRY(rlp::read_field(r.next_uint64(), "timeout", "round", t.round));
    HC_ASSIGN_OR_RETURN(t.high_qc, next_qc(r));
    HC_TRY(rlp::read_field(read_index(r), "timeout", "author", t.author));
    HC_TRY(rlp::read_field(read_sig(r), "timeout", "signature", t.signature));
    HC_TRY(r.finish());
    return t;
}

// Opens `in` as one canonical list of `fields` items, bounded in size and depth.
Result<rlp::ListReader> open(BytesView in, size_t fields, std::string_view what) {
    HC_TRY(rlp::check_size(in, kMaxMessageSize, what));
    auto l = rlp::decode_list(in, fields, kMaxDepth);
    if (!l) return bad(what, l.error());
    return l;
}

}  // namespace

// ---- Internal helpers shared with messages.cc ----
namespace detail {
void put_block(rlp::Encoder& e, const Block& b) {
    e.begin_list();
    put_header(e, b.header);
    e.add(b.payload).end_list();
}
void put_vote(rlp::Encoder& e, const Vote& v) {
    e.begin_list().add(v.round).add(v.block_id.view()).add(v.voter).add(v.signature).end_list();
}
void put_timeout(rlp::Encoder& e, const Timeout& t) {
    consensus::put_timeout(e, t);
}
void put_qc(rlp::Encoder& e, const QuorumCert& qc) {
    consensus::put_qc(e, qc);
}
void put_opt_tc(rlp::Encoder& e, const std::optional<TimeoutCert>& tc) {
    consensus::put_opt_tc(e, tc);
}

Result<Block> read_block(rlp::ListReader r) {
    Block b;
    HC_ASSIGN_OR_RETURN(b.header, next_header(r));
    auto payload = r.next_string();
    if (!payload) return bad("block: payload", payload.error());
    if (payload->size() > kMaxPayloadSize) return bad("block", "payload exceeds the size limit");
    b.payload.assign(payload->begin(), payload->end());
    HC_TRY(r.finish());
    return b;
}
Result<Block> next_block(rlp::ListReader& r) {
    auto l = rlp::expect_fields(r.next_list(), 2);
    if (!l) return bad("block", l.error());
    return read_block(*l);
}
Result<Vote> read_vote(rlp::ListReader r) {
    Vote v;
    HC_TRY(rlp::read_field(r.next_uint64(), "vote", "round", v.round));
    HC_TRY(rlp::read_field(read_hash(r), "vote", "block_id", v.block_id));
    HC_TRY(rlp::read_field(read_index(r), "vote", "voter", v.voter));
    HC_TRY(rlp::read_field(read_sig(r), "vote", "signature", v.signature));
    HC_TRY(r.finish());
    return v;
}
Result<Vote> next_vote(rlp::ListReader& r) {
    auto l = rlp::expect_fields(r.next_list(), 4);
    if (!l) return bad("vote", l.error());
    return read_vote(*l);
}
Result<Timeout> next_timeout(rlp::ListReader& r) {
    auto l = rlp::expect_fields(r.next_list(), 4);
    if (!l) return bad("timeout", l.error());
    return read_timeout(*l);
}
Result<QuorumCert> next_qc(rlp::ListReader& r) {
    return consensus::next_qc(r);
}
Result<std::optional<TimeoutCert>> next_opt_tc(rlp::ListReader& r) {
    return consensus::next_opt_tc(r);
}
Result<Hash32> next_hash(rlp::ListReader& r) {
    return read_hash(r);
}
}  // namespace detail

Round TimeoutCert::max_high_qc_round() const noexcept {
    Round m = 0;
    for (const auto& e : entries)
        m = std::max(m, e.high_qc_round);
    return m;
}

BlockId BlockHeader::id() const {
    rlp::Encoder e;
    e.begin_list();
    put_header_fields(e, *this);
    e.end_list();
    return keccak256(e.take());
}

BlockId Committee::genesis_id() const {
    return genesis_block(*this).id();
}

Block genesis_block(const Committee& committee) {
    Block b;
    // What goes where a parent would be makes every chain, and every epoch, its own genesis.
    rlp::Encoder e;
    if (committee.epoch == 0) {
        e.begin_list().add(as_bytes("honeycomb/consensus/genesis")).add(committee.chain_id);
    } else {
        e.begin_list()
            .add(as_bytes("honeycomb/consensus/epoch"))
            .add(committee.chain_id)
            .add(committee.epoch)
            .add(committee.epoch_parent.view());
    }
    b.header.parent_id = keccak256(e.end_list().take());
    b.header.height = committee.start_height;
    b.header.payload_hash = kEmptyKeccak;
    return b;
}

QuorumCert genesis_qc(const Committee& committee) {
    QuorumCert qc;
    qc.block_id = committee.genesis_id();
    return qc;
}

Hash32 proposal_digest(const Committee& c, const BlockId& id) {
    rlp::Encoder e;
    e.begin_list().add(as_bytes("honeycomb/consensus/proposal/v2")).add(c.chain_id).add(c.epoch);
    e.add(id.view());
    return keccak256(e.end_list().take());
}
Hash32 vote_digest(const Committee& c, Round round, const BlockId& id) {
    rlp::Encoder e;
    e.begin_list().add(as_bytes("honeycomb/consensus/vote/v2")).add(c.chain_id).add(c.epoch);
    e.add(round);
    e.add(id.view());
    return keccak256(e.end_list().take());
}
Hash32 timeout_digest(const Committee& c, Round round, Round high_qc_round) {
    rlp::Encoder e;
    e.begin_list().add(as_bytes("honeycomb/consensus/timeout/v2")).add(c.chain_id).add(c.epoch);
    e.add(round);
    e.add(high_qc_round);
    return keccak256(e.end_list().take());
}

Bytes encode(const QuorumCert& qc) {
    rlp::Encoder e;
    put_qc(e, qc);
    return e.take();
}
Bytes encode(const TimeoutCert& tc) {
    rlp::Encoder e;
    put_tc(e, tc);
    return e.take();
}
Bytes encode(const BlockHeader& header) {
    rlp::Encoder e;
    put_header(e, header);
    return e.take();
}
Bytes encode(const Block& block) {
    rlp::Encoder e;
    detail::put_block(e, block);
    return e.take();
}
Bytes encode(const Vote& vote) {
    rlp::Encoder e;
    detail::put_vote(e, vote);
    return e.take();
}
Bytes encode(const Timeout& timeout) {
    rlp::Encoder e;
    put_timeout(e, timeout);
    return e.take();
}
Bytes encode(const SafetyState& s) {
    rlp::Encoder e;
    e.begin_list().add(s.last_voted_round);
    put_qc(e, s.high_qc);
    put_opt_tc(e, s.high_tc);
    e.begin_list();
    if (s.last_timeout) put_timeout(e, *s.last_timeout);
    e.end_list().end_list();
    return e.take();
}
Bytes encode(const CommitProof& p) {
    rlp::Encoder e;
    e.begin_list();
    put_header(e, p.child);
    put_qc(e, p.qc);
    return e.end_list().take();
}

Result<QuorumCert> decode_qc(BytesView in) {
    HC_ASSIGN_OR_RETURN(auto r, open(in, 3, "qc"));
    return read_qc(r);
}
Result<TimeoutCert> decode_tc(BytesView in) {
    HC_ASSIGN_OR_RETURN(auto r, open(in, 3, "tc"));
    return read_tc(r);
}
Result<BlockHeader> decode_header(BytesView in) {
    HC_ASSIGN_OR_RETURN(auto r, open(in, 9, "header"));
    return read_header(r);
}
Result<Block> decode_block(BytesView in) {
    HC_ASSIGN_OR_RETURN(auto r, open(in, 2, "block"));
    return detail::read_block(r);
}
Result<Vote> decode_vote(BytesView in) {
    HC_ASSIGN_OR_RETURN(auto r, open(in, 4, "vote"));
    return detail::read_vote(r);
}
Result<Timeout> decode_timeout(BytesView in) {
    HC_ASSIGN_OR_RETURN(auto r, open(in, 4, "timeout"));
    return read_timeout(r);
}
Result<SafetyState> decode_safety_state(BytesView in) {
    HC_ASSIGN_OR_RETURN(auto r, open(in, 4, "safety state"));
    SafetyState s;
    HC_TRY(
        rlp::read_field(r.next_uint64(), "safety state", "last_voted_round", s.last_voted_round));
    HC_ASSIGN_OR_RETURN(s.high_qc, next_qc(r));
    HC_ASSIGN_OR_RETURN(s.high_tc, next_opt_tc(r));
    auto t = r.next_list();
    if (!t) return bad("safety state: last_timeout", t.error());
    if (!t->done()) {
        HC_ASSIGN_OR_RETURN(s.last_timeout, detail::next_timeout(*t));
        HC_TRY(t->finish());
    }
    HC_TRY(r.finish());
    return s;
}
Result<CommitProof> decode_commit_proof(BytesView in) {
    HC_ASSIGN_OR_RETURN(auto r, open(in, 2, "commit proof"));
    CommitProof p;
    HC_ASSIGN_OR_RETURN(p.child, next_header(r));
    HC_ASSIGN_OR_RETURN(p.qc, next_qc(r));
    HC_TRY(r.finish());
    return p;
}

}  // namespace hc::consensus
