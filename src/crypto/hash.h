// Message digests other than Keccak-256 (which lives in common/keccak.h): SHA-256, RIPEMD-160
// and SM3, all computed by OpenSSL 3.
//
// These never fail on any input. If OpenSSL cannot provide an algorithm at all (a broken
// installation or a provider configuration without it), the process aborts on first use with a
// message naming the algorithm: there is no sensible way to continue without a hash.
#pragma once

#include "common/fixed_bytes.h"

namespace hc::crypto {

Hash32 sha256(BytesView data) noexcept;

// RIPEMD-160, for Bitcoin-style addresses and the EVM precompile at 0x03.
FixedBytes<20> ripemd160(BytesView data) noexcept;

// SM3 (GB/T 32905-2016), the Chinese national-standard hash used with SM2.
Hash32 sm3(BytesView data) noexcept;

}  // namespace hc::crypto
