// The persistent KvStore: an embedded RocksDB database, one column family per Column.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <vector>

#include "storage/kv_store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace hc::storage {

struct RocksOptions {
    // Create the directory and database when there is none; otherwise a missing one is an error.
    bool create_if_missing = true;
    // Memtable size of each column family (RocksDB's default: 64 MiB). Every committed key is
    // inserted into a skip list this large before it is flushed; bench/commit_bench measures
    // what the size does to a block's commit.
    size_t write_buffer_bytes = size_t{64} << 20;
    // Snappy-compress table files (RocksDB's default) or store them as they are.
    bool compress = true;
};

class RocksStore final : public KvStore {
  public:
    // Opens (creating as needed) the database in directory path, and any missing column
    // families. Fails with Errc::io, naming the path, if another process (or another RocksStore
    // in this one) has it open, or if path is not a directory.
    static Result<std::unique_ptr<RocksStore>> open(const std::filesystem::path& path,
                                                    const RocksOptions& options = {});
    ~RocksStore() override;

    Result<std::optional<Bytes>> get(Column c, BytesView key) const override;
    Status write(const WriteBatch& batch, bool sync) override;
    Status sync() override;
    Status for_each_prefix(Column c, BytesView prefix, const EntryCallback& fn) const override;
    Result<std::optional<std::pair<Bytes, Bytes>>> last(Column c) const override;

    const std::filesystem::path& path() const noexcept { return path_; }

  private:
    RocksStore() = default;

    std::filesystem::path path_;
    std::unique_ptr<rocksdb::DB> db_;
    std::array<rocksdb::ColumnFamilyHandle*, kColumnCount> columns_{};  // destroyed before db_
    // Families found on disk that are not ours (from a newer version): open, so that RocksDB
    // lets us open the database, but unused.
    std::vector<rocksdb::ColumnFamilyHandle*> foreign_;
    rocksdb::ColumnFamilyHandle* default_ = nullptr;
};

}  // namespace hc::storage
