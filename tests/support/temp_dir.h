// A fresh directory under the system temp dir, removed (with everything in it) on destruction.
#pragma once

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace hc::testing {

class TempDir {
  public:
    TempDir() {
        std::random_device rd;
        std::mt19937_64 rng((uint64_t(rd()) << 32) ^ rd());
        path_ = std::filesystem::temp_directory_path() / ("hc-test-" + std::to_string(rng()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

}  // namespace hc::testing
