// The KvStore contract, checked against both implementations, plus what only RocksStore does:
// persistence, exclusive opening, and clean failures on a bad path.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "storage/kv_store.h"
#include "storage/memory_store.h"
#include "storage/rocks_store.h"
#include "support/temp_dir.h"

namespace hc::storage {
namespace {

namespace fs = std::filesystem;

Bytes b(std::string_view s) {
    return to_bytes(s);
}

using hc::testing::TempDir;

enum class Impl { memory, rocks };

class KvStoreTest : public ::testing::TestWithParam<Impl> {
  protected:
    void SetUp() override {
        if (GetParam() == Impl::memory) {
            store_ = std::make_unique<MemoryStore>();
        } else {
            auto r = RocksStore::open(dir_.path() / "db");
            ASSERT_TRUE(r.ok()) << r.error().to_string();
            store_ = std::move(r).value();
        }
    }

    std::optional<Bytes> get(Column c, std::string_view key) {
        auto r = store_->get(c, as_bytes(key));
        EXPECT_TRUE(r.ok()) << r.error().to_string();
        return r.ok() ? *r : std::nullopt;
    }

    std::vector<std::pair<std::string, std::string>> scan(Column c, std::string_view prefix) {
        std::vector<std::pair<std::string, std::string>> out;
        Status s = store_->for_each_prefix(c, as_bytes(prefix), [&](BytesView k, BytesView v) {
            out.emplace_back(std::string(k.begin(), k.end()), std::string(v.begin(), v.end()));
            return true;
        });
        EXPECT_TRUE(s.ok()) << s.error().to_string();
        return out;
    }

    TempDir dir_;
    std::unique_ptr<KvStore> store_;
};

TEST_P(KvStoreTest, PutGetErase) {
    EXPECT_EQ(get(Column::headers, "k"), std::nullopt);
    ASSERT_TRUE(store_->put(Column::headers, as_bytes("k"), as_bytes("v1")).ok());
    EXPECT_EQ(get(Column::headers, "k"), b("v1"));
    ASSERT_TRUE(store_->put(Column::headers, as_bytes("k"), as_bytes("v2"), /*sync=*/true).ok());
    EXPECT_EQ(get(Column::headers, "k"), b("v2"));
    ASSERT_TRUE(store_->erase(Column::headers, as_bytes("k")).ok());
    EXPECT_EQ(get(Column::headers, "k"), std::nullopt);
    // Erasing what is not there is not an error.
    EXPECT_TRUE(store_->erase(Column::headers, as_bytes("k")).ok());
}

TEST_P(KvStoreTest, ColumnsAreSeparate) {
    WriteBatch batch;
    for (Column c : kAllColumns)
        batch.put(c, as_bytes("same-key"), as_bytes(column_name(c)));
    ASSERT_TRUE(store_->write(batch, false).ok());
    for (Column c : kAllColumns)
        EXPECT_EQ(get(c, "same-key"), b(column_name(c)));

    ASSERT_TRUE(store_->erase(Column::receipts, as_bytes("same-key")).ok());
    EXPECT_EQ(get(Column::receipts, "same-key"), std::nullopt);
    EXPECT_EQ(get(Column::bodies, "same-key"), b("bodies"));
    EXPECT_EQ(scan(Column::receipts, "").size(), 0u);
    EXPECT_EQ(scan(Column::state, "").size(), 1u);
}

TEST_P(KvStoreTest, BatchIsInvisibleUntilWrittenThenFullyVisible) {
    ASSERT_TRUE(store_->put(Column::state, as_bytes("old"), as_bytes("x")).ok());
    WriteBatch batch;
    batch.put(Column::headers, as_bytes("h"), as_bytes("header"));
    batch.put(Column::receipts, as_bytes("h"), as_bytes("receipts"));
    batch.put(Column::index_tx_hash, as_bytes("t"), as_bytes("h"));
    batch.erase(Column::state, as_bytes("old"));

    EXPECT_EQ(get(Column::headers, "h"), std::nullopt);
    EXPECT_EQ(get(Column::receipts, "h"), std::nullopt);
    EXPECT_EQ(get(Column::index_tx_hash, "t"), std::nullopt);
    EXPECT_EQ(get(Column::state, "old"), b("x"));

    ASSERT_TRUE(store_->write(batch, /*sync=*/true).ok());
    EXPECT_EQ(get(Column::headers, "h"), b("header"));
    EXPECT_EQ(get(Column::receipts, "h"), b("receipts"));
    EXPECT_EQ(get(Column::index_tx_hash, "t"), b("h"));
    EXPECT_EQ(get(Column::state, "old"), std::nullopt);
}

TEST_P(KvStoreTest, OpsInABatchApplyInOrder) {
    WriteBatch batch;
    batch.put(Column::meta, as_bytes("a"), as_bytes("1"));
    batch.erase(Column::meta, as_bytes("a"));
    batch.put(Column::meta, as_bytes("b"), as_bytes("1"));
    batch.put(Column::meta, as_bytes("b"), as_bytes("2"));
    ASSERT_TRUE(store_->write(batch, false).ok());
    EXPECT_EQ(get(Column::meta, "a"), std::nullopt);
    EXPECT_EQ(get(Column::meta, "b"), b("2"));
}

TEST_P(KvStoreTest, EmptyBatchIsANoOp) {
    EXPECT_TRUE(store_->write(WriteBatch(), true).ok());
    EXPECT_EQ(scan(Column::meta, "").size(), 0u);
}

TEST_P(KvStoreTest, PrefixIterationInKeyOrder) {
    WriteBatch batch;
    // Inserted out of order; 0xff sorts last (bytewise, unsigned), a prefix before its extensions.
    for (std::string k : {"ab\xff", "abc", "ab", "b", "aa", "ab\x01", "a"}) {
        batch.put(Column::code, as_bytes(k), as_bytes("v" + k));
    }
    ASSERT_TRUE(store_->write(batch, false).ok());

    using KV = std::vector<std::pair<std::string, std::string>>;
    EXPECT_EQ(scan(Column::code, "ab"),
              (KV{{"ab", "vab"}, {"ab\x01", "vab\x01"}, {"abc", "vabc"}, {"ab\xff", "vab\xff"}}));
    EXPECT_EQ(scan(Column::code, "").size(), 7u);
    EXPECT_EQ(scan(Column::code, "")[0].first, "a");
    EXPECT_EQ(scan(Column::code, "c").size(), 0u);
    EXPECT_EQ(scan(Column::headers, "a").size(), 0u);
}

TEST_P(KvStoreTest, PrefixIterationStopsWhenCallbackReturnsFalse) {
    for (std::string k : {"p1", "p2", "p3"}) {
        ASSERT_TRUE(store_->put(Column::bodies, as_bytes(k), as_bytes(k)).ok());
    }
    std::vector<std::string> seen;
    Status s = store_->for_each_prefix(Column::bodies, as_bytes("p"), [&](BytesView k, BytesView) {
        seen.emplace_back(k.begin(), k.end());
        return seen.size() < 2;
    });
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(seen, (std::vector<std::string>{"p1", "p2"}));
}

TEST_P(KvStoreTest, CallbackMayWriteAndSeesAStableView) {
    for (std::string k : {"k1", "k2"}) {
        ASSERT_TRUE(store_->put(Column::state, as_bytes(k), as_bytes("v")).ok());
    }
    int calls = 0;
    Status s = store_->for_each_prefix(Column::state, as_bytes("k"), [&](BytesView, BytesView) {
        ++calls;
        // A write from inside the callback must neither deadlock nor join this iteration.
        EXPECT_TRUE(store_->put(Column::state, as_bytes("k9"), as_bytes("late")).ok());
        return true;
    });
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(get(Column::state, "k9"), b("late"));
}

TEST_P(KvStoreTest, LastReturnsHighestKey) {
    auto empty = store_->last(Column::index_block_number);
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(*empty, std::nullopt);

    // Big-endian numbers sort numerically: 0x0100 (256) above 0x00ff (255).
    const uint8_t n255[] = {0x00, 0xff}, n256[] = {0x01, 0x00}, n1[] = {0x00, 0x01};
    for (auto* k : {n255, n256, n1}) {
        ASSERT_TRUE(store_->put(Column::index_block_number, BytesView(k, 2), as_bytes("h")).ok());
    }
    ASSERT_TRUE(
        store_->put(Column::index_block_hash, as_bytes("\xff\xff\xff"), as_bytes("z")).ok());
    auto last = store_->last(Column::index_block_number);
    ASSERT_TRUE(last.ok());
    ASSERT_TRUE(last->has_value());
    EXPECT_EQ((*last)->first, (Bytes{0x01, 0x00}));
    EXPECT_EQ((*last)->second, b("h"));
}

TEST_P(KvStoreTest, EmptyKeysAndValues) {
    ASSERT_TRUE(store_->put(Column::meta, BytesView(), as_bytes("empty-key")).ok());
    ASSERT_TRUE(store_->put(Column::meta, as_bytes("empty-value"), BytesView()).ok());
    EXPECT_EQ(get(Column::meta, ""), b("empty-key"));
    // Present with an empty value is not the same as absent.
    EXPECT_EQ(get(Column::meta, "empty-value"), Bytes());
    auto scanned = scan(Column::meta, "");
    ASSERT_EQ(scanned.size(), 2u);
    EXPECT_EQ(scanned[0].first, "");  // the empty key sorts first
    ASSERT_TRUE(store_->erase(Column::meta, BytesView()).ok());
    EXPECT_EQ(get(Column::meta, ""), std::nullopt);
}

TEST_P(KvStoreTest, LargeValues) {
    Bytes big(8 << 20);
    std::mt19937 rng(7);
    for (auto& x : big)
        x = static_cast<uint8_t>(rng());
    ASSERT_TRUE(store_->put(Column::code, as_bytes("big"), big, true).ok());
    auto got = store_->get(Column::code, as_bytes("big"));
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(got->has_value());
    EXPECT_TRUE(**got == big);
}

// A reader in another thread sees each batch whole or not at all: both keys are written together
// with the same value, and a consistent scan must never find them different.
TEST_P(KvStoreTest, ConcurrentReaderNeverSeesHalfABatch) {
    constexpr int kWrites = 300;
    std::atomic<bool> done{false};
    std::atomic<int> torn{0};
    std::thread reader([&] {
        while (!done.load()) {
            std::vector<std::string> values;
            Status s = store_->for_each_prefix(Column::state, as_bytes("pair/"),
                                               [&](BytesView, BytesView v) {
                                                   values.emplace_back(v.begin(), v.end());
                                                   return true;
                                               });
            if (!s.ok() || (values.size() == 2 && values[0] != values[1]) || values.size() == 1) {
                ++torn;
            }
        }
    });
    for (int i = 0; i < kWrites; ++i) {
        WriteBatch batch;
        std::string v = std::to_string(i);
        batch.put(Column::state, as_bytes("pair/a"), as_bytes(v));
        batch.put(Column::state, as_bytes("pair/b"), as_bytes(v));
        Status s = store_->write(batch, false);
        EXPECT_TRUE(s.ok());  // not ASSERT: the reader must be joined
        if (!s.ok()) break;
    }
    done = true;
    reader.join();
    EXPECT_EQ(torn.load(), 0);
    EXPECT_EQ(get(Column::state, "pair/b"), b(std::to_string(kWrites - 1)));
}

INSTANTIATE_TEST_SUITE_P(Both, KvStoreTest, ::testing::Values(Impl::memory, Impl::rocks),
                         [](const auto& info) {
                             return info.param == Impl::memory ? "Memory" : "Rocks";
                         });

TEST(WriteBatchTest, CountsOpsAndBytes) {
    WriteBatch batch;
    EXPECT_TRUE(batch.empty());
    batch.put(Column::headers, as_bytes("key"), as_bytes("value"));
    batch.erase(Column::headers, as_bytes("k2"));
    EXPECT_EQ(batch.count(), 2u);
    EXPECT_EQ(batch.byte_size(), 3u + 5u + 2u);
    EXPECT_EQ(batch.ops()[1].kind, WriteBatch::Kind::erase);
    EXPECT_EQ(batch.ops()[1].key, b("k2"));
    batch.clear();
    EXPECT_TRUE(batch.empty());
    EXPECT_EQ(batch.byte_size(), 0u);
}

TEST(ColumnTest, NamesAreDistinct) {
    std::set<std::string> names;
    for (Column c : kAllColumns)
        names.insert(column_name(c));
    EXPECT_EQ(names.size(), kColumnCount);
    EXPECT_EQ(names.count("default"), 0u);  // RocksDB's own family is not one of ours
}

Bytes be32(uint32_t v) {
    return Bytes{uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
}

TEST(RocksStoreTest, DataPersistsAcrossReopen) {
    TempDir dir;
    {
        auto store = RocksStore::open(dir.path() / "db");
        ASSERT_TRUE(store.ok()) << store.error().to_string();
        WriteBatch batch;
        batch.put(Column::headers, as_bytes("h"), as_bytes("header"));
        batch.put(Column::index_block_number, Bytes{0x00, 0x01}, as_bytes("h"));
        ASSERT_TRUE((*store)->write(batch, true).ok());
    }
    auto store = RocksStore::open(dir.path() / "db", RocksOptions{.create_if_missing = false});
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    auto got = (*store)->get(Column::headers, as_bytes("h"));
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, b("header"));
    auto last = (*store)->last(Column::index_block_number);
    ASSERT_TRUE(last.ok());
    ASSERT_TRUE(last->has_value());
    EXPECT_EQ((*last)->first, (Bytes{0x00, 0x01}));
    EXPECT_EQ((*last)->second, b("h"));
}

TEST(RocksStoreTest, AnUnsyncedWriteThenSyncPersistsUnderAnyTableOptions) {
    TempDir dir;
    RocksOptions small;
    small.write_buffer_bytes = size_t{1} << 20;  // flushed to table files within the test
    small.compress = false;
    const Bytes value(4096, 0x5a);
    {
        auto store = RocksStore::open(dir.path() / "db", small);
        ASSERT_TRUE(store.ok()) << store.error().to_string();
        for (uint32_t i = 0; i < 1024; ++i) {
            WriteBatch batch;
            batch.put(Column::bodies, be32(i), value);
            ASSERT_TRUE((*store)->write(batch, false).ok());
        }
        ASSERT_TRUE((*store)->sync().ok());
    }
    auto store = RocksStore::open(dir.path() / "db", RocksOptions{.create_if_missing = false});
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    for (uint32_t i : {0u, 511u, 1023u}) {
        auto got = (*store)->get(Column::bodies, be32(i));
        ASSERT_TRUE(got.ok() && got->has_value()) << i;
        EXPECT_EQ(**got, value);
    }
}

// The state and transaction-index columns hash a key prefix in their memtables (21 and 32 bytes)
// and scan a prefix that long within its bucket, a shorter one in total order. Random keys of
// lengths around those, over few byte values so prefixes collide, written in many batches
// through a small memtable (so reads merge memtables and table files) and across a reopen: every
// lookup and scan must answer what the memory store answers.
TEST(RocksStoreTest, HashedColumnsAnswerEveryScanAndLookupAsTheMemoryStoreDoes) {
    TempDir dir;
    RocksOptions small;
    small.write_buffer_bytes = size_t{64} << 10;
    MemoryStore expected;
    std::mt19937_64 rng(42);
    const size_t lengths[] = {0, 1, 2, 20, 21, 22, 29, 31, 32, 33, 53, 61};
    auto random_key = [&] {
        Bytes key(lengths[rng() % std::size(lengths)]);
        for (auto& byte : key)
            byte = static_cast<uint8_t>("\x00\x01\xff"[rng() % 3]);
        return key;
    };
    const Column columns[] = {Column::state, Column::index_tx_hash, Column::bodies};
    std::vector<std::pair<Column, Bytes>> written;
    auto check = [&](KvStore& store) {
        for (size_t i = 0; i < 400; ++i) {
            const auto& [column, key] = written[rng() % written.size()];
            const Bytes prefix(key.begin(),
                               key.begin() + static_cast<ptrdiff_t>(rng() % (key.size() + 1)));
            std::vector<std::pair<Bytes, Bytes>> want, got;
            auto into = [](auto& out) {
                return [&out](BytesView k, BytesView v) {
                    out.emplace_back(Bytes(k.begin(), k.end()), Bytes(v.begin(), v.end()));
                    return true;
                };
            };
            ASSERT_TRUE(expected.for_each_prefix(column, prefix, into(want)).ok());
            ASSERT_TRUE(store.for_each_prefix(column, prefix, into(got)).ok());
            ASSERT_EQ(got, want) << column_name(column) << " prefix of " << prefix.size();
            auto value = store.get(column, key);
            ASSERT_TRUE(value.ok());
            ASSERT_EQ(*value, *expected.get(column, key));
        }
        for (Column column : columns) {
            auto last = store.last(column);
            ASSERT_TRUE(last.ok());
            ASSERT_EQ(*last, *expected.last(column));
        }
    };
    for (int round = 0; round < 2; ++round) {
        auto store = RocksStore::open(dir.path() / "db", small);
        ASSERT_TRUE(store.ok()) << store.error().to_string();
        for (int b = 0; b < 300; ++b) {
            WriteBatch batch;
            for (int op = 0; op < 20; ++op) {
                const Column column = columns[rng() % std::size(columns)];
                if (!written.empty() && rng() % 4 == 0) {
                    const auto& [c, key] = written[rng() % written.size()];
                    batch.erase(c, key);
                    continue;
                }
                Bytes key = random_key();
                Bytes value(rng() % 300, static_cast<uint8_t>(b));
                batch.put(column, key, value);
                written.emplace_back(column, std::move(key));
            }
            ASSERT_TRUE(expected.write(batch, false).ok());
            ASSERT_TRUE((*store)->write(batch, false).ok());
        }
        check(**store);
    }
    auto reopened = RocksStore::open(dir.path() / "db", small);
    ASSERT_TRUE(reopened.ok()) << reopened.error().to_string();
    check(**reopened);
}

// A database written by a later version may hold column families this one does not know;
// RocksDB refuses to open a database unless every family is named, so open must name them.
TEST(RocksStoreTest, OpensDatabaseWithUnknownColumnFamily) {
    TempDir dir;
    std::string path = (dir.path() / "db").string();
    {
        rocksdb::Options options;
        options.create_if_missing = true;
        rocksdb::DB* raw = nullptr;
        ASSERT_TRUE(rocksdb::DB::Open(options, path, &raw).ok());
        std::unique_ptr<rocksdb::DB> db(raw);
        rocksdb::ColumnFamilyHandle* cf = nullptr;
        ASSERT_TRUE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "future", &cf).ok());
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cf, "k", "v").ok());
        ASSERT_TRUE(db->DestroyColumnFamilyHandle(cf).ok());
        ASSERT_TRUE(db->Close().ok());
    }
    auto store = RocksStore::open(path);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    EXPECT_TRUE((*store)->put(Column::meta, as_bytes("k"), as_bytes("v")).ok());
    EXPECT_EQ(*(*store)->get(Column::meta, as_bytes("k")), b("v"));
}

// Databases written before the state and transaction-index columns hashed their memtables (plain
// skip lists, no prefix extractor) open and read the same: in table files and in the log alike.
TEST(RocksStoreTest, OpensADatabaseWrittenWithPlainMemtables) {
    TempDir dir;
    const std::string path = (dir.path() / "db").string();
    const std::string address(20, '\x07');
    {
        rocksdb::Options options;
        options.create_if_missing = true;
        rocksdb::DB* raw = nullptr;
        ASSERT_TRUE(rocksdb::DB::Open(options, path, &raw).ok());
        std::unique_ptr<rocksdb::DB> db(raw);
        std::vector<rocksdb::ColumnFamilyHandle*> handles;
        for (Column c : {Column::state, Column::index_tx_hash}) {
            rocksdb::ColumnFamilyHandle* cf = nullptr;
            ASSERT_TRUE(
                db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), column_name(c), &cf).ok());
            handles.push_back(cf);
        }
        // Flat record, two history records (one in a table file, one only in the log), a hash.
        ASSERT_TRUE(db->Put({}, handles[0], "a" + address, "now").ok());
        ASSERT_TRUE(
            db->Put({}, handles[0], "h" + address + std::string(7, '\0') + "\x01", "1").ok());
        ASSERT_TRUE(db->Put({}, handles[1], std::string(32, '\x05'), "where").ok());
        ASSERT_TRUE(db->Flush({}, handles).ok());
        ASSERT_TRUE(
            db->Put({}, handles[0], "h" + address + std::string(7, '\0') + "\x02", "2").ok());
        for (auto* h : handles)
            ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
        ASSERT_TRUE(db->Close().ok());
    }
    auto store = RocksStore::open(path);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    auto scan = [&](std::string_view prefix) {
        std::vector<std::string> values;
        EXPECT_TRUE((*store)
                        ->for_each_prefix(Column::state, as_bytes(prefix),
                                          [&](BytesView, BytesView v) {
                                              values.emplace_back(v.begin(), v.end());
                                              return true;
                                          })
                        .ok());
        return values;
    };
    EXPECT_EQ(scan("h" + address), (std::vector<std::string>{"1", "2"}));  // in its bucket
    EXPECT_EQ(scan("a"), (std::vector<std::string>{"now"}));               // in total order
    EXPECT_EQ(scan(""), (std::vector<std::string>{"now", "1", "2"}));
    EXPECT_EQ(*(*store)->get(Column::index_tx_hash, as_bytes(std::string(32, '\x05'))), b("where"));
}

TEST(RocksStoreTest, OpeningTheSameDirectoryTwiceFails) {
    TempDir dir;
    auto first = RocksStore::open(dir.path() / "db");
    ASSERT_TRUE(first.ok()) << first.error().to_string();
    auto second = RocksStore::open(dir.path() / "db");
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, Errc::io);
    EXPECT_NE(second.error().message.find((dir.path() / "db").string()), std::string::npos)
        << second.error().message;
    EXPECT_NE(second.error().message.find("another node running"), std::string::npos)
        << second.error().message;
    // The first handle is unaffected.
    EXPECT_TRUE((*first)->put(Column::meta, as_bytes("k"), as_bytes("v")).ok());
}

TEST(RocksStoreTest, OpeningARegularFileFails) {
    TempDir dir;
    fs::path file = dir.path() / "not-a-dir";
    std::ofstream(file) << "hello";
    auto store = RocksStore::open(file);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, Errc::io);
    EXPECT_NE(store.error().message.find(file.string()), std::string::npos);
    EXPECT_NE(store.error().message.find("not a directory"), std::string::npos);
}

TEST(RocksStoreTest, MissingDatabaseWithoutCreateFails) {
    TempDir dir;
    auto store = RocksStore::open(dir.path() / "absent", RocksOptions{.create_if_missing = false});
    ASSERT_FALSE(store.ok());
    EXPECT_NE(store.error().message.find("absent"), std::string::npos);
    EXPECT_FALSE(fs::exists(dir.path() / "absent" / "CURRENT"));
}

}  // namespace
}  // namespace hc::storage
