#include "storage/memory_store.h"

#include <algorithm>

namespace hc::storage {
namespace {

size_t index(Column c) noexcept {
    return static_cast<size_t>(c);
}

bool has_prefix(const Bytes& key, BytesView prefix) noexcept {
    return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
}

}  // namespace

Result<std::optional<Bytes>> MemoryStore::get(Column c, BytesView key) const {
    std::lock_guard lock(mu_);
    const Map& m = columns_[index(c)];
    auto it = m.find(key);
    if (it == m.end()) return std::optional<Bytes>();
    return std::optional<Bytes>(it->second);
}

Status MemoryStore::sync() {
    return {};  // nothing outlives the process
}

Status MemoryStore::write(const WriteBatch& batch, bool /*sync*/) {
    // All or nothing: every allocation (a map node per put) happens before the store is touched,
    // so running out of memory part way leaves it as it was. Splicing nodes in cannot fail.
    std::vector<Map::node_type> nodes;
    nodes.reserve(batch.count());
    for (const auto& op : batch.ops()) {
        if (op.kind != WriteBatch::Kind::put) continue;
        Map one;
        one.emplace(op.key, op.value);
        nodes.push_back(one.extract(one.begin()));
    }
    std::lock_guard lock(mu_);
    size_t next = 0;
    for (const auto& op : batch.ops()) {
        Map& m = columns_[index(op.column)];
        if (op.kind == WriteBatch::Kind::erase) {
            if (auto it = m.find(op.key); it != m.end()) m.erase(it);
            continue;
        }
        Map::node_type& node = nodes[next++];
        if (auto it = m.find(op.key); it != m.end()) {
            it->second.swap(node.mapped());
        } else {
            m.insert(std::move(node));
        }
    }
    return {};
}

Status MemoryStore::for_each_prefix(Column c, BytesView prefix, const EntryCallback& fn) const {
    std::vector<std::pair<Bytes, Bytes>> entries;
    {
        std::lock_guard lock(mu_);
        const Map& m = columns_[index(c)];
        for (auto it = m.lower_bound(prefix); it != m.end() && has_prefix(it->first, prefix);
             ++it) {
            entries.emplace_back(it->first, it->second);
        }
    }
    for (const auto& [k, v] : entries) {
        if (!fn(k, v)) break;
    }
    return {};
}

Result<std::optional<std::pair<Bytes, Bytes>>> MemoryStore::last(Column c) const {
    using Entry = std::optional<std::pair<Bytes, Bytes>>;
    std::lock_guard lock(mu_);
    const Map& m = columns_[index(c)];
    if (m.empty()) return Entry();
    return Entry(*m.rbegin());
}

}  // namespace hc::storage
