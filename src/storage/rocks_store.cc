#include "storage/rocks_store.h"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <string>
#include <system_error>

namespace hc::storage {
namespace {

// Never a null pointer, even for an empty view: RocksDB memcpy's from it.
rocksdb::Slice to_slice(BytesView v) noexcept {
    static const char kEmpty = 0;
    if (v.empty()) return rocksdb::Slice(&kEmpty, 0);
    return rocksdb::Slice(reinterpret_cast<const char*>(v.data()), v.size());
}

BytesView to_view(const rocksdb::Slice& s) noexcept {
    return BytesView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

bool starts_with(const rocksdb::Slice& key, BytesView prefix) noexcept {
    return key.starts_with(to_slice(prefix));
}

// "cannot <what> at <path>: <RocksDB's reason>", with a hint where the cause is a common one.
Error rocks_error(const rocksdb::Status& s, const std::string& what,
                  const std::filesystem::path& path) {
    std::string reason = s.ToString();
    Errc code = Errc::io;
    if (s.IsIOError() && reason.find("LOCK") != std::string::npos) {
        // RocksDB holds a lock file while a database is open, per process and across processes.
        reason =
            "lock held by another process or another open handle (is another node running "
            "on this data dir?): " +
            reason;
    } else if (s.IsCorruption()) {
        reason = "the database is corrupt: " + reason;
    } else if (s.IsInvalidArgument() || s.IsNotSupported()) {
        code = Errc::invalid_argument;
    }
    return make_error(code, "cannot " + what + " at " + path.string() + ": " + reason);
}

// The columns written at random keys on every block, whose reads are point lookups or scans of a
// prefix at least this long: the state (a one-byte tag and a 20-byte address lead every key) and
// the transaction index (a 32-byte hash). Their memtable hashes that prefix to a small skiplist
// instead of searching one skiplist of every key, which missed the cache on nearly every level.
// 0: an ordinary skiplist.
size_t hashed_prefix_length(Column c) {
    switch (c) {
        case Column::state:
            return 21;
        case Column::index_tx_hash:
            return 32;
        default:
            return 0;
    }
}

}  // namespace

Result<std::unique_ptr<RocksStore>> RocksStore::open(const std::filesystem::path& path,
                                                     const RocksOptions& options) {
    // RocksDB's own message for this ("Not a directory" from a mkdir) does not say which path.
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_directory(path, ec)) {
        return make_error(Errc::io, "cannot open database at " + path.string() +
                                        ": it exists and is not a directory");
    }

    rocksdb::DBOptions db_options;
    db_options.create_if_missing = options.create_if_missing;
    db_options.create_missing_column_families = true;
    // The hashed memtables below take one writer at a time; the node writes from one thread.
    db_options.allow_concurrent_memtable_write = false;

    // Every family on disk must be named when opening, ours or not; a fresh database has none.
    std::vector<std::string> existing;
    if (!rocksdb::DB::ListColumnFamilies(db_options, path.string(), &existing).ok()) {
        existing.clear();  // no database yet (or unreadable: DB::Open reports why)
    }
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.write_buffer_size = options.write_buffer_bytes;
    if (!options.compress) cf_options.compression = rocksdb::kNoCompression;
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
    for (Column c : kAllColumns) {
        rocksdb::ColumnFamilyOptions column = cf_options;
        if (const size_t length = hashed_prefix_length(c)) {
            // Capped: a shorter key is its own prefix, never read past its end.
            column.prefix_extractor.reset(rocksdb::NewCappedPrefixTransform(length));
            // The bucket array lives in the memtable and counts against its size: a 32nd of it.
            const size_t buckets = std::max<size_t>(1024, options.write_buffer_bytes / 8 / 32);
            column.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(buckets));
        }
        descriptors.emplace_back(column_name(c), column);
    }
    const size_t ours = descriptors.size();
    for (const std::string& name : existing) {
        bool known = name == rocksdb::kDefaultColumnFamilyName;
        for (Column c : kAllColumns)
            known = known || name == column_name(c);
        if (!known) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }

    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(db_options, path.string(), descriptors, &handles, &raw);
    if (!s.ok()) return rocks_error(s, "open database", path);

    std::unique_ptr<RocksStore> store(new RocksStore());
    store->path_ = path;
    store->db_.reset(raw);
    store->default_ = handles[0];
    for (size_t i = 0; i < kColumnCount; ++i)
        store->columns_[i] = handles[1 + i];
    store->foreign_.assign(handles.begin() + static_cast<ptrdiff_t>(ours), handles.end());
    return store;
}

RocksStore::~RocksStore() {
    if (!db_) return;
    for (auto* h : columns_)
        db_->DestroyColumnFamilyHandle(h);
    for (auto* h : foreign_)
        db_->DestroyColumnFamilyHandle(h);
    db_->DestroyColumnFamilyHandle(default_);
    // Every write is already in the WAL, so a failed Close loses nothing; its status has nowhere
    // to go from a destructor.
    (void)db_->Close();
}

Result<std::optional<Bytes>> RocksStore::get(Column c, BytesView key) const {
    rocksdb::PinnableSlice value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), columns_[static_cast<size_t>(c)], to_slice(key), &value);
    if (s.IsNotFound()) return std::optional<Bytes>();
    if (!s.ok())
        return rocks_error(s, std::string("read ") + column_name(c) + " from database", path_);
    BytesView v = to_view(value);
    return std::optional<Bytes>(Bytes(v.begin(), v.end()));
}

Status RocksStore::write(const WriteBatch& batch, bool sync) {
    rocksdb::WriteBatch wb;
    for (const auto& op : batch.ops()) {
        rocksdb::ColumnFamilyHandle* cf = columns_[static_cast<size_t>(op.column)];
        rocksdb::Status s = op.kind == WriteBatch::Kind::put
                                ? wb.Put(cf, to_slice(op.key), to_slice(op.value))
                                : wb.Delete(cf, to_slice(op.key));
        if (!s.ok()) return rocks_error(s, "build a write batch for database", path_);
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    rocksdb::Status s = db_->Write(wo, &wb);
    if (!s.ok()) return rocks_error(s, "write to database", path_);
    return {};
}

Status RocksStore::sync() {
    rocksdb::Status s = db_->SyncWAL();
    if (!s.ok()) return rocks_error(s, "sync the write-ahead log of database", path_);
    return {};
}

Status RocksStore::for_each_prefix(Column c, BytesView prefix, const EntryCallback& fn) const {
    // An iterator reads from an implicit snapshot taken when it is created.
    rocksdb::ReadOptions read;
    // A scan within one hashed prefix stays in its bucket; a shorter one must see every key.
    const size_t hashed = hashed_prefix_length(c);
    if (hashed != 0 && prefix.size() >= hashed) {
        read.prefix_same_as_start = true;
    } else {
        read.total_order_seek = true;
    }
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, columns_[static_cast<size_t>(c)]));
    for (it->Seek(to_slice(prefix)); it->Valid() && starts_with(it->key(), prefix); it->Next()) {
        if (!fn(to_view(it->key()), to_view(it->value()))) break;
    }
    if (!it->status().ok()) {
        return rocks_error(it->status(), std::string("iterate ") + column_name(c) + " in database",
                           path_);
    }
    return {};
}

Result<std::optional<std::pair<Bytes, Bytes>>> RocksStore::last(Column c) const {
    using Entry = std::optional<std::pair<Bytes, Bytes>>;
    rocksdb::ReadOptions read;
    read.total_order_seek = true;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, columns_[static_cast<size_t>(c)]));
    it->SeekToLast();
    if (!it->status().ok()) {
        return rocks_error(it->status(),
                           std::string("read last of ") + column_name(c) + " in database", path_);
    }
    if (!it->Valid()) return Entry();
    BytesView k = to_view(it->key());
    BytesView v = to_view(it->value());
    return Entry(std::pair<Bytes, Bytes>(Bytes(k.begin(), k.end()), Bytes(v.begin(), v.end())));
}

}  // namespace hc::storage
