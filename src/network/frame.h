// Framing of the peer-to-peer stream. Inside the TLS stream every unit is a frame:
//
//   length (4 bytes, big-endian) | kind (1 byte) | payload (length - 1 bytes)
//
// `length` counts the kind byte and the payload, so it is never 0. Kinds:
//   hello    first frame each side sends on a connection; payload: one byte, kProtocolVersion.
//            A connection carries messages only after the peer's hello has arrived, which
//            proves the peer accepted our certificate too (in TLS 1.3 the client finishes its
//            handshake before the server has checked the client's certificate).
//   message  an application payload, handed to Handler::on_message.
//   ping     empty; keeps an idle connection from timing out.
//   goodbye  empty; "I will send nothing more on this connection". Used to retire the spare of
//            two connections between the same pair of nodes without losing what is in flight.
// Anything else (length 0, an unknown kind, a payload over the limit, a hello or goodbye with
// the wrong payload) is malformed: the connection that carried it is dropped.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"

namespace hc::network {

inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr size_t kFrameHeaderSize = 5;  // length + kind

enum class FrameKind : uint8_t { hello = 0, message = 1, ping = 2, goodbye = 3 };

struct Frame {
    FrameKind kind = FrameKind::message;
    Bytes payload;
    bool operator==(const Frame&) const = default;
};

// The 5 header bytes of a frame whose payload has `payload_size` bytes.
// REQUIRES: payload_size < 2^32 - 1.
std::array<uint8_t, kFrameHeaderSize> frame_header(FrameKind kind, size_t payload_size) noexcept;

// Header and payload in one buffer.
Bytes encode_frame(FrameKind kind, BytesView payload);

// Cuts a byte stream into frames, however it arrives split. Rejects a frame as soon as its
// header shows it is malformed or too large, before buffering its body, so a peer cannot make
// us allocate more than max_payload + kFrameHeaderSize bytes.
class FrameDecoder {
  public:
    explicit FrameDecoder(size_t max_payload) : max_payload_(max_payload) {}

    // Appends `data` and moves every complete frame into `out`. On a malformed frame returns
    // Errc::decode saying why (frames before it are still in `out`); the decoder then refuses
    // all further input, since the stream can no longer be cut reliably.
    Status feed(BytesView data, std::vector<Frame>& out);

    // Bytes held towards an incomplete frame.
    size_t buffered() const noexcept { return buf_.size(); }

  private:
    size_t max_payload_;
    Bytes buf_;
    bool failed_ = false;
};

}  // namespace hc::network
