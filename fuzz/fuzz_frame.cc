// P2P frame decoding must reject or accept any byte stream without crashing, however it is cut
// into reads, and every frame it accepts must re-encode to exactly the bytes it came from.
#include <algorithm>
#include <cstdlib>

#include "network/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    // First byte: the read size to cut the rest into (1..256); second: the payload limit.
    const size_t chunk = size_t{data[0]} + 1;
    const size_t max_payload = size_t{data[1]} * 64;
    hc::BytesView in(data + 2, size - 2);

    hc::network::FrameDecoder decoder(max_payload);
    std::vector<hc::network::Frame> frames;
    bool failed = false;
    for (size_t i = 0; i < in.size() && !failed; i += chunk) {
        failed = !decoder.feed(in.subspan(i, std::min(chunk, in.size() - i)), frames);
    }
    hc::Bytes again;
    for (const auto& f : frames) {
        if (f.payload.size() > max_payload) std::abort();
        auto e = hc::network::encode_frame(f.kind, f.payload);
        again.insert(again.end(), e.begin(), e.end());
    }
    // What was decoded is a prefix of the input; the rest is buffered (or was rejected).
    if (again.size() > in.size() || !std::equal(again.begin(), again.end(), in.begin())) {
        std::abort();
    }
    if (!failed && again.size() + decoder.buffered() != in.size()) std::abort();
    return 0;
}
