#include "txpool/sender_cache.h"

namespace hc::txpool {

std::optional<Address> SenderCache::find(const Hash32& hash) const {
    std::lock_guard lock(mu_);
    auto it = senders_.find(hash);
    if (it == senders_.end()) return std::nullopt;
    return it->second;
}

void SenderCache::insert(const Hash32& hash, const Address& sender) {
    if (capacity_ == 0) return;
    std::lock_guard lock(mu_);
    if (!senders_.emplace(hash, sender).second) return;
    order_.push_back(hash);
    if (order_.size() > capacity_) {
        senders_.erase(order_.front());
        order_.pop_front();
    }
}

size_t SenderCache::size() const {
    std::lock_guard lock(mu_);
    return senders_.size();
}

}  // namespace hc::txpool
