// The senders a node recovered lately, by transaction hash, so that it recovers each
// transaction's signer once however the transaction reaches it: by RPC, by gossip, inside a
// proposal to vote on, or in a block to execute (the paths race in a network: a proposal can
// carry a transaction before its gossip arrives). The hash covers the signature, so a hit is
// the sender of exactly that transaction.
//
// Bounded: past `capacity` entries the oldest is forgotten (it is recovered again if it comes
// back). Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "common/address.h"
#include "common/fixed_bytes.h"

namespace hc::txpool {

class SenderCache {
  public:
    explicit SenderCache(size_t capacity = size_t{1} << 16) : capacity_(capacity) {}

    std::optional<Address> find(const Hash32& hash) const;
    void insert(const Hash32& hash, const Address& sender);
    size_t size() const;

  private:
    const size_t capacity_;
    mutable std::mutex mu_;
    std::unordered_map<Hash32, Address> senders_;
    std::deque<Hash32> order_;  // oldest first
};

}  // namespace hc::txpool
