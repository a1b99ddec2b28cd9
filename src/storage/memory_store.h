// An in-memory KvStore for tests: one ordered map per column behind a mutex. Nothing persists.
#pragma once

#include <algorithm>
#include <array>
#include <map>
#include <mutex>

#include "storage/kv_store.h"

namespace hc::storage {

class MemoryStore final : public KvStore {
  public:
    MemoryStore() = default;

    Result<std::optional<Bytes>> get(Column c, BytesView key) const override;
    // sync is ignored: there is no stable storage.
    Status write(const WriteBatch& batch, bool sync) override;
    Status sync() override;
    // Copies the matching entries first, so fn runs without the lock held.
    Status for_each_prefix(Column c, BytesView prefix, const EntryCallback& fn) const override;
    Result<std::optional<std::pair<Bytes, Bytes>>> last(Column c) const override;

  private:
    // Bytewise order, as RocksDB's default comparator; transparent so lookups take a BytesView.
    struct BytesLess {
        using is_transparent = void;
        bool operator()(BytesView a, BytesView b) const noexcept {
            return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
        }
    };
    using Map = std::map<Bytes, Bytes, BytesLess>;

    mutable std::mutex mu_;
    std::array<Map, kColumnCount> columns_;  // guarded by mu_
};

}  // namespace hc::storage
