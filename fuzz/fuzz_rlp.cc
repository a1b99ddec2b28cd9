// RLP decoding must reject or accept any input without crashing, and whatever it accepts must
// re-encode to exactly the same bytes (the decoder admits only canonical encodings).
#include <cstdlib>

#include "codec/rlp.h"

namespace {
hc::Bytes reencode(const hc::rlp::Item& item) {
    if (!item.is_list) return hc::rlp::encode_string(item.payload);
    std::vector<hc::Bytes> items;
    hc::rlp::ListReader reader(item.payload);
    while (!reader.done())
        items.push_back(reencode(*reader.next()));
    return hc::rlp::encode_list(items);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    hc::BytesView in(data, size);
    auto item = hc::rlp::decode_deep(in);
    if (!item) return 0;
    if (reencode(*item) != hc::Bytes(in.begin(), in.end())) std::abort();
    (void)hc::rlp::to_uint64(*item);
    (void)hc::rlp::to_uint256(*item);
    return 0;
}
