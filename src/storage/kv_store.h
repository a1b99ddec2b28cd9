// The key-value layer under the block store, the state store and the indexes: a fixed set of
// columns (one RocksDB column family each), point reads, ordered iteration, and atomic batches.
//
// Keys within a column are ordered bytewise (unsigned, lexicographic; a prefix sorts before its
// extensions), the same in every implementation, so "highest key" and prefix scans agree.
// Every KvStore method may be called from several threads at once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"

namespace hc::storage {

// The kinds of data kept apart. The list is part of the on-disk format: append only, never
// renumber or rename (the names are RocksDB column family names).
enum class Column : uint8_t {
    meta,                // node bookkeeping: schema version, head block, chain config
    headers,             // block hash -> encoded block header
    bodies,              // block hash -> encoded block body (transactions)
    receipts,            // block hash -> encoded receipts of the block's transactions
    state,               // flat account and slot records and their history (state/world_state.cc)
    code,                // code hash -> contract bytecode
    index_block_hash,    // block hash -> block number
    index_block_number,  // big-endian block number -> canonical block hash
    index_tx_hash,       // transaction hash -> block hash and index within the block
    consensus,           // big-endian block number -> the consensus record that committed it
};

inline constexpr size_t kColumnCount = 10;
inline constexpr std::array<Column, kColumnCount> kAllColumns = {
    Column::meta,          Column::headers,   Column::bodies,           Column::receipts,
    Column::state,         Column::code,      Column::index_block_hash, Column::index_block_number,
    Column::index_tx_hash, Column::consensus,
};

// "headers", "index_tx_hash", ...: the column family name, also used in error messages.
const char* column_name(Column c) noexcept;

// A list of puts and erases across columns, applied in order and all-or-nothing by
// KvStore::write. A plain value: building one touches no store.
class WriteBatch {
  public:
    enum class Kind : uint8_t { put, erase };
    struct Op {
        Kind kind;
        Column column;
        Bytes key;
        Bytes value;  // empty for erase
    };

    void put(Column c, BytesView key, BytesView value);
    void erase(Column c, BytesView key);
    void clear() noexcept {
        ops_.clear();
        bytes_ = 0;
    }

    const std::vector<Op>& ops() const noexcept { return ops_; }
    size_t count() const noexcept { return ops_.size(); }
    bool empty() const noexcept { return ops_.empty(); }
    // Sum of the key and value sizes of every op: for callers that cap the size of a batch.
    size_t byte_size() const noexcept { return bytes_; }

  private:
    std::vector<Op> ops_;
    size_t bytes_ = 0;
};

// Called per entry in key order; returns false to stop early. The views are valid only during
// the call.
using EntryCallback = std::function<bool(BytesView key, BytesView value)>;

// Two implementations (RocksStore, MemoryStore) are the reason this is a virtual interface.
class KvStore {
  public:
    virtual ~KvStore() = default;

    // The value stored under key, or nullopt if there is none.
    virtual Result<std::optional<Bytes>> get(Column c, BytesView key) const = 0;

    // Applies every op of batch, or none of them. With sync, the write is on stable storage
    // (the write-ahead log fsynced) before this returns; without it a crash of the machine
    // (not of the process) may lose the most recent writes.
    virtual Status write(const WriteBatch& batch, bool sync) = 0;

    // Puts every write made so far on stable storage, as write(batch, true) does for its batch.
    // Lets a writer apply a batch quickly (write(batch, false)) while readers wait on it, and
    // wait for the disk after letting them go.
    virtual Status sync() = 0;

    // Calls fn for every entry of column c whose key starts with prefix (all entries for an
    // empty prefix), in key order, over a consistent view taken at the start. fn may call this
    // store, but does not see writes made after the iteration started.
    virtual Status for_each_prefix(Column c, BytesView prefix, const EntryCallback& fn) const = 0;

    // The entry with the highest key in column c, or nullopt if the column is empty.
    virtual Result<std::optional<std::pair<Bytes, Bytes>>> last(Column c) const = 0;

    // Convenience wrappers for a single-op write.
    Status put(Column c, BytesView key, BytesView value, bool sync = false);
    Status erase(Column c, BytesView key, bool sync = false);

  protected:
    KvStore() = default;
    KvStore(const KvStore&) = delete;
    KvStore& operator=(const KvStore&) = delete;
};

}  // namespace hc::storage
