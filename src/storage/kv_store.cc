#include "storage/kv_store.h"

namespace hc::storage {

// Implementations index per-column arrays by the enum's value.
static_assert([] {
    for (size_t i = 0; i < kColumnCount; ++i) {
        if (static_cast<size_t>(kAllColumns[i]) != i) return false;
    }
    return true;
}());

const char* column_name(Column c) noexcept {
    switch (c) {
        case Column::meta:
            return "meta";
        case Column::headers:
            return "headers";
        case Column::bodies:
            return "bodies";
        case Column::receipts:
            return "receipts";
        case Column::state:
            return "state";
        case Column::code:
            return "code";
        case Column::index_block_hash:
            return "index_block_hash";
        case Column::index_block_number:
            return "index_block_number";
        case Column::consensus:
            return "consensus";
        case Column::index_tx_hash:
            return "index_tx_hash";
    }
    return "unknown";
}

void WriteBatch::put(Column c, BytesView key, BytesView value) {
    ops_.push_back(
        Op{Kind::put, c, Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end())});
    bytes_ += key.size() + value.size();
}

void WriteBatch::erase(Column c, BytesView key) {
    ops_.push_back(Op{Kind::erase, c, Bytes(key.begin(), key.end()), {}});
    bytes_ += key.size();
}

Status KvStore::put(Column c, BytesView key, BytesView value, bool sync) {
    WriteBatch b;
    b.put(c, key, value);
    return write(b, sync);
}

Status KvStore::erase(Column c, BytesView key, bool sync) {
    WriteBatch b;
    b.erase(c, key);
    return write(b, sync);
}

}  // namespace hc::storage
