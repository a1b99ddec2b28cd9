#include "common/durable_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/temp_dir.h"

namespace hc {
namespace {

TEST(DurableFile, WritesReplacesAndReadsBack) {
    hc::testing::TempDir dir;
    const auto path = dir.path() / "safety";
    auto missing = read_file(path);
    ASSERT_TRUE(missing);
    EXPECT_FALSE(*missing);

    ASSERT_TRUE(write_file_durably(path, Bytes{1, 2, 3}));
    ASSERT_TRUE(write_file_durably(path, Bytes{4, 5}));
    auto back = read_file(path);
    ASSERT_TRUE(back && *back);
    EXPECT_EQ(**back, (Bytes{4, 5}));
    EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(DurableFile, ErrorsNameTheFile) {
    hc::testing::TempDir dir;
    auto no_dir = write_file_durably(dir.path() / "absent" / "f", Bytes{1});
    ASSERT_FALSE(no_dir);
    EXPECT_NE(no_dir.error().message.find("absent"), std::string::npos);
    ASSERT_TRUE(write_file_durably(dir.path() / "big", Bytes(100, 7)));
    auto too_big = read_file(dir.path() / "big", 10);
    ASSERT_FALSE(too_big);
    EXPECT_NE(too_big.error().message.find("more than the 10"), std::string::npos);
}

}  // namespace
}  // namespace hc
