// A fast, deterministic stand-in for P-256 in tests and the simulator: validator i's signature of
// a digest is keccak256(key_i || digest), with key_i derived from a seed. Anyone holding the seed
// can forge, which is fine where every party is simulated.
#pragma once

#include <vector>

#include "codec/rlp.h"
#include "common/keccak.h"
#include "consensus/signer.h"

namespace hc::consensus::testing {

inline Hash32 fake_key(uint64_t seed, ValidatorIndex i) {
    rlp::Encoder e;
    e.begin_list().add(as_bytes("fake consensus key")).add(seed).add(uint64_t{i}).end_list();
    return keccak256(e.take());
}

inline Bytes fake_sign(const Hash32& key, const Hash32& digest) {
    Bytes in(key.bytes.begin(), key.bytes.end());
    in.insert(in.end(), digest.bytes.begin(), digest.bytes.end());
    Hash32 h = keccak256(in);
    return Bytes(h.bytes.begin(), h.bytes.end());
}

class FakeSigner : public Signer {
  public:
    FakeSigner(ValidatorIndex self, uint32_t n, uint64_t seed = 0) : self_(self) {
        for (ValidatorIndex i = 0; i < n; ++i)
            keys_.push_back(fake_key(seed, i));
    }
    Result<Bytes> sign(const Hash32& digest) override { return fake_sign(keys_[self_], digest); }
    bool verify(ValidatorIndex v, const Hash32& digest, BytesView sig) const noexcept override {
        if (v >= keys_.size() || sig.size() != 32) return false;
        Bytes expect = fake_sign(keys_[v], digest);
        return std::equal(expect.begin(), expect.end(), sig.begin());
    }
    // Signs as any validator: what a test needs to build others' messages.
    Bytes sign_as(ValidatorIndex v, const Hash32& digest) const {
        return fake_sign(keys_[v], digest);
    }

  private:
    ValidatorIndex self_;
    std::vector<Hash32> keys_;
};

}  // namespace hc::consensus::testing
