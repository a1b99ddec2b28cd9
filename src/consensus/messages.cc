// Wire encoding of consensus messages (see messages.h).
#include "consensus/messages.h"

#include <string>

#include "codec/rlp.h"
#include "consensus/codec_internal.h"

namespace hc::consensus {
namespace {

enum Kind : uint64_t {
    kProposal = 1,
    kVote = 2,
    kTimeout = 3,
    kSync = 4,
    kBlockRequest = 5,
    kBlockResponse = 6,
};

struct Writer {
    rlp::Encoder& e;
    void operator()(const Proposal& m) {
        e.add(uint64_t{kProposal});
        detail::put_block(e, m.block);
    }
    void operator()(const Vote& m) {
        e.add(uint64_t{kVote});
        detail::put_vote(e, m);
    }
    void operator()(const TimeoutMsg& m) {
        e.add(uint64_t{kTimeout}).begin_list();
        detail::put_timeout(e, m.timeout);
        detail::put_opt_tc(e, m.high_tc);
        e.end_list();
    }
    void operator()(const SyncInfo& m) {
        e.add(uint64_t{kSync}).begin_list();
        detail::put_qc(e, m.high_qc);
        detail::put_opt_tc(e, m.high_tc);
        e.end_list();
    }
    void operator()(const BlockRequest& m) {
        e.add(uint64_t{kBlockRequest}).begin_list().add(m.block_id.view());
        e.add(uint64_t{m.max_blocks}).end_list();
    }
    void operator()(const BlockResponse& m) {
        e.add(uint64_t{kBlockResponse}).begin_list();
        for (const Block& b : m.blocks)
            detail::put_block(e, b);
        e.end_list();
    }
};

Error bad(std::string_view what, const Error& inner) {
    return make_error(Errc::decode, std::string(what) + ": " + inner.message);
}

Result<rlp::ListReader> body_list(rlp::ListReader& r, size_t fields, std::string_view what) {
    auto l = rlp::expect_fields(r.next_list(), fields);
    if (!l) return bad(what, l.error());
    return l;
}

}  // namespace

Bytes encode_message(const Message& message) {
    rlp::Encoder e;
    e.begin_list();
    std::visit(Writer{e}, message);
    return e.end_list().take();
}

Result<Message> decode_message(BytesView in) {
    HC_TRY(rlp::check_size(in, kMaxMessageSize, "consensus message"));
    // Depth: message > body > block > header > qc/tc > signer list > entry.
    auto top = rlp::decode_list(in, 2, 12);
    if (!top) return bad("consensus message", top.error());
    auto kind = top->next_uint64();
    if (!kind) return bad("consensus message: kind", kind.error());
    Message out;
    switch (*kind) {
        case kProposal: {
            HC_ASSIGN_OR_RETURN(Block b, detail::next_block(*top));
            out = Proposal{std::move(b)};
            break;
        }
        case kVote: {
            HC_ASSIGN_OR_RETURN(Vote v, detail::next_vote(*top));
            out = std::move(v);
            break;
        }
        case kTimeout: {
            HC_ASSIGN_OR_RETURN(auto l, body_list(*top, 2, "timeout message"));
            TimeoutMsg m;
            HC_ASSIGN_OR_RETURN(m.timeout, detail::next_timeout(l));
            HC_ASSIGN_OR_RETURN(m.high_tc, detail::next_opt_tc(l));
            out = std::move(m);
            break;
        }
        case kSync: {
            HC_ASSIGN_OR_RETURN(auto l, body_list(*top, 2, "sync message"));
            SyncInfo m;
            HC_ASSIGN_OR_RETURN(m.high_qc, detail::next_qc(l));
            HC_ASSIGN_OR_RETURN(m.high_tc, detail::next_opt_tc(l));
            out = std::move(m);
            break;
        }
        case kBlockRequest: {
            HC_ASSIGN_OR_RETURN(auto l, body_list(*top, 2, "block request"));
            BlockRequest m;
            HC_TRY(rlp::read_field(detail::next_hash(l), "block request", "block_id", m.block_id));
            uint64_t n = 0;
            HC_TRY(rlp::read_field(l.next_uint64(), "block request", "max_blocks", n));
            if (n == 0 || n > kMaxFetchBlocks)
                return make_error(Errc::decode, "block request: max_blocks " + std::to_string(n) +
                                                    " is not in 1.." +
                                                    std::to_string(kMaxFetchBlocks));
            m.max_blocks = static_cast<uint32_t>(n);
            out = m;
            break;
        }
        case kBlockResponse: {
            auto l = top->next_list();
            if (!l) return bad("block response", l.error());
            BlockResponse m;
            while (!l->done()) {
                if (m.blocks.size() >= kMaxFetchBlocks)
                    return make_error(
                        Errc::decode,
                        "block response: more than " + std::to_string(kMaxFetchBlocks) + " blocks");
                HC_ASSIGN_OR_RETURN(Block b, detail::next_block(*l));
                m.blocks.push_back(std::move(b));
            }
            out = std::move(m);
            break;
        }
        default:
            return make_error(Errc::decode,
                              "consensus message: unknown kind " + std::to_string(*kind));
    }
    HC_TRY(top->finish());
    return out;
}

}  // namespace hc::consensus
