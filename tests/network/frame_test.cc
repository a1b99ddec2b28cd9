#include "network/frame.h"

#include <gtest/gtest.h>

namespace hc::network {
namespace {

TEST(Frame, HeaderIsBigEndianLengthThenKind) {
    auto h = frame_header(FrameKind::message, 0x010203);
    EXPECT_EQ(h, (std::array<uint8_t, 5>{0x00, 0x01, 0x02, 0x04, 0x01}));
    EXPECT_EQ(encode_frame(FrameKind::ping, {}), (Bytes{0, 0, 0, 1, 2}));
}

TEST(Frame, DecodesFramesSplitAnywhere) {
    Bytes stream;
    std::vector<Frame> expected = {{FrameKind::hello, {kProtocolVersion}},
                                   {FrameKind::message, to_bytes("hello, peer")},
                                   {FrameKind::message, {}},
                                   {FrameKind::ping, {}},
                                   {FrameKind::message, Bytes(1000, 0xab)},
                                   {FrameKind::goodbye, {}}};
    for (const auto& f : expected) {
        auto e = encode_frame(f.kind, f.payload);
        stream.insert(stream.end(), e.begin(), e.end());
    }
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{7}, stream.size()}) {
        FrameDecoder d(1000);
        std::vector<Frame> got;
        for (size_t i = 0; i < stream.size(); i += chunk) {
            size_t n = std::min(chunk, stream.size() - i);
            ASSERT_TRUE(d.feed(BytesView(stream.data() + i, n), got).ok()) << "chunk " << chunk;
        }
        EXPECT_EQ(got, expected) << "chunk " << chunk;
        EXPECT_EQ(d.buffered(), 0u);
    }
}

TEST(Frame, RejectsOversizedLengthBeforeTheBodyArrives) {
    FrameDecoder d(16);
    std::vector<Frame> got;
    auto status = d.feed(Bytes{0xff, 0xff, 0xff, 0xff}, got);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, Errc::decode);
    EXPECT_NE(status.error().message.find("exceeds the limit of 16"), std::string::npos)
        << status.error().message;
    EXPECT_EQ(d.buffered(), 0u);
    // Once failed, the stream cannot be resynchronised: everything after is refused.
    EXPECT_FALSE(d.feed(encode_frame(FrameKind::ping, {}), got).ok());
    EXPECT_TRUE(got.empty());
}

TEST(Frame, AcceptsPayloadExactlyAtTheLimit) {
    FrameDecoder d(16);
    std::vector<Frame> got;
    ASSERT_TRUE(d.feed(encode_frame(FrameKind::message, Bytes(16, 1)), got).ok());
    ASSERT_EQ(got.size(), 1u);
    FrameDecoder d2(16);
    EXPECT_FALSE(d2.feed(encode_frame(FrameKind::message, Bytes(17, 1)), got).ok());
}

TEST(Frame, RejectsMalformedFrames) {
    struct Case {
        Bytes bytes;
        std::string why;
    };
    std::vector<Case> cases = {
        {{0, 0, 0, 0}, "length 0"},
        {{0, 0, 0, 1, 9}, "unknown frame kind 9"},
        {{0, 0, 0, 1, 0}, "hello frame has a 0-byte payload"},
        {{0, 0, 0, 3, 0, 1, 1}, "hello frame has a 2-byte payload"},
        {{0, 0, 0, 2, 2, 0}, "ping frame carries a payload"},
        {{0, 0, 0, 2, 3, 0}, "goodbye frame carries a payload"},
    };
    for (const auto& c : cases) {
        FrameDecoder d(100);
        std::vector<Frame> got;
        auto status = d.feed(c.bytes, got);
        ASSERT_FALSE(status.ok()) << c.why;
        EXPECT_NE(status.error().message.find(c.why), std::string::npos) << status.error().message;
    }
}

TEST(Frame, KeepsGoodFramesBeforeABadOne) {
    Bytes stream = encode_frame(FrameKind::message, to_bytes("ok"));
    stream.insert(stream.end(), {0, 0, 0, 1, 7});
    FrameDecoder d(100);
    std::vector<Frame> got;
    EXPECT_FALSE(d.feed(stream, got).ok());
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].payload, to_bytes("ok"));
}

}  // namespace
}  // namespace hc::network
