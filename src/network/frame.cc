#include "network/frame.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace hc::network {

std::array<uint8_t, kFrameHeaderSize> frame_header(FrameKind kind, size_t payload_size) noexcept {
    const auto length = static_cast<uint32_t>(payload_size + 1);
    return {static_cast<uint8_t>(length >> 24), static_cast<uint8_t>(length >> 16),
            static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length),
            static_cast<uint8_t>(kind)};
}

Bytes encode_frame(FrameKind kind, BytesView payload) {
    auto header = frame_header(kind, payload.size());
    Bytes out(kFrameHeaderSize + payload.size());
    std::copy(header.begin(), header.end(), out.begin());
    if (!payload.empty())
        std::memcpy(out.data() + kFrameHeaderSize, payload.data(), payload.size());
    return out;
}

namespace {

Status check_payload(FrameKind kind, BytesView payload) {
    switch (kind) {
        case FrameKind::hello:
            if (payload.size() != 1) {
                return make_error(Errc::decode, "hello frame has a " +
                                                    std::to_string(payload.size()) +
                                                    "-byte payload, expected 1");
            }
            return {};
        case FrameKind::ping:
        case FrameKind::goodbye:
            if (!payload.empty()) {
                return make_error(Errc::decode,
                                  std::string(kind == FrameKind::ping ? "ping" : "goodbye") +
                                      " frame carries a payload");
            }
            return {};
        case FrameKind::message:
            return {};
    }
    return make_error(Errc::internal, "unreachable frame kind");
}

}  // namespace

Status FrameDecoder::feed(BytesView data, std::vector<Frame>& out) {
    if (failed_) return make_error(Errc::decode, "stream already rejected as malformed");
    buf_.insert(buf_.end(), data.begin(), data.end());
    size_t pos = 0;
    Status status;
    while (buf_.size() - pos >= 4) {
        const uint8_t* p = buf_.data() + pos;
        const uint64_t length = (uint64_t{p[0]} << 24) | (uint64_t{p[1]} << 16) |
                                (uint64_t{p[2]} << 8) | uint64_t{p[3]};
        if (length == 0) {
            status = make_error(Errc::decode, "frame of length 0 (every frame has a kind byte)");
            break;
        }
        if (length - 1 > max_payload_) {
            status = make_error(Errc::decode, "frame of " + std::to_string(length - 1) +
                                                  " payload bytes exceeds the limit of " +
                                                  std::to_string(max_payload_));
            break;
        }
        if (buf_.size() - pos < 5) break;
        const uint8_t kind = p[4];
        if (kind > static_cast<uint8_t>(FrameKind::goodbye)) {
            status = make_error(Errc::decode, "unknown frame kind " + std::to_string(kind));
            break;
        }
        if (buf_.size() - pos < 4 + length) break;
        Frame frame;
        frame.kind = static_cast<FrameKind>(kind);
        frame.payload.assign(p + kFrameHeaderSize, p + 4 + length);
        status = check_payload(frame.kind, frame.payload);
        if (!status) break;
        out.push_back(std::move(frame));
        pos += 4 + length;
    }
    if (!status) {
        failed_ = true;
        buf_.clear();
        buf_.shrink_to_fit();
        return status;
    }
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos));
    return {};
}

}  // namespace hc::network
