// Consensus message decoding must never crash; an accepted message must re-encode canonically.
// Decoded messages are then fed, in sequence, to a replica whose verifier accepts every
// signature, so that the fuzzer reaches the protocol logic as a fully Byzantine peer would.
// Input: repeated [from (1 byte), length (2 bytes, big-endian), message bytes].
#include <cstdlib>

#include "consensus/replica.h"

namespace {

using namespace hc::consensus;

class AnySigner : public Signer {
  public:
    hc::Result<hc::Bytes> sign(const hc::Hash32& digest) override {
        return hc::Bytes(digest.bytes.begin(), digest.bytes.end());
    }
    bool verify(ValidatorIndex, const hc::Hash32&, hc::BytesView) const noexcept override {
        return true;
    }
};

class AnyPayload : public PayloadSource {
  public:
    bool has_pending() override { return true; }
    hc::Bytes take_payload(std::span<const hc::BytesView>) override { return {1, 2, 3}; }
    bool valid(hc::BytesView, std::span<const hc::BytesView>) override { return true; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Config config;
    config.committee.chain_id = 1;
    config.committee.size = 4;
    config.self = 1;
    AnySigner signer;
    AnyPayload payload;
    Replica replica(config, signer, payload, initial_safety_state(config.committee),
                    genesis_block(config.committee));
    uint64_t now = 1000;
    (void)replica.start(now);
    size_t off = 0;
    while (off + 3 <= size) {
        const ValidatorIndex from = data[off] % 5;  // 4: not a validator
        const size_t len = (size_t{data[off + 1]} << 8) | data[off + 2];
        off += 3;
        if (len > size - off) break;
        hc::BytesView in(data + off, len);
        off += len;
        auto m = decode_message(in);
        if (!m) continue;
        if (encode_message(*m) != hc::Bytes(in.begin(), in.end())) std::abort();
        now += 100;
        (void)replica.on_message(from, *m, now);
        if (from == 4) (void)replica.on_timeout(now + 60'000);
    }
    return 0;
}
