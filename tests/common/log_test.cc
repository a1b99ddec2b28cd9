#include "common/log.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

namespace hc::log {
namespace {

std::vector<std::string> g_lines;

void capture(std::string_view line) {
    g_lines.emplace_back(line);
}

TEST(Log, FormatsLogfmtFieldsAfterTimeLevelComponentAndEvent) {
    const std::string line =
        format_line(Level::warn, "network", "peer dropped",
                    {{"peer", "node2"}, {"reason", "frame too large"}, {"bytes", 17000000u}});
    // 2026-11-29T05:50:00.123Z warn network ...
    ASSERT_GT(line.size(), 25u);
    EXPECT_EQ(line[10], 'T');
    EXPECT_EQ(line[23], 'Z');
    EXPECT_EQ(line.substr(24),
              " warn network peer dropped peer=node2 reason=\"frame too large\" bytes=17000000");
    EXPECT_NE(
        format_line(Level::info, "c", "e", {{"q", "say \"hi\"\n"}}).find(R"(q="say \"hi\"\n")"),
        std::string::npos);
    EXPECT_NE(format_line(Level::info, "c", "e", {{"empty", ""}}).find("empty=\"\""),
              std::string::npos);
}

TEST(Log, LinesBelowTheLevelAreDropped) {
    set_sink(&capture);
    g_lines.clear();
    set_level(Level::warn);
    info("consensus", "committed", {{"height", 1}});
    warn("consensus", "timeout", {{"round", 7}});
    error("node", "failed");
    set_level(Level::info);
    set_sink(nullptr);
    ASSERT_EQ(g_lines.size(), 2u);
    EXPECT_NE(g_lines[0].find("warn consensus timeout round=7"), std::string::npos);
    EXPECT_NE(g_lines[1].find("error node failed"), std::string::npos);
}

TEST(Log, ParsesLevelNames) {
    EXPECT_EQ(*parse_level("debug"), Level::debug);
    EXPECT_EQ(*parse_level("off"), Level::off);
    auto bad = parse_level("verbose");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("use trace, debug"), std::string::npos);
}

}  // namespace
}  // namespace hc::log
