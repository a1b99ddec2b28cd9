// The BN254 (alt_bn128) curve operations behind the EVM precompiles 0x06-0x08 (EIP-196, EIP-197,
// gas per EIP-1108). Points use the EIP-196/197 encodings: 32-byte big-endian coordinates, the
// point at infinity as all zeros, G2 coordinates in Fp2 as (imaginary, real).
//
// Implementation: Fp in 4x64-bit Montgomery form, the towers Fp2 = Fp[u]/(u^2+1),
// Fp6 = Fp2[v]/(v^3-(9+u)), Fp12 = Fp6[w]/(w^2-v), Jacobian scalar multiplication and the optimal
// ate pairing with affine Miller-loop steps on the D-type twist. Written for clarity and
// correctness rather than speed; no secret data passes through it, so it is not constant-time.
#pragma once

#include <array>
#include <optional>

#include "common/bytes.h"

namespace hc::evm::bn254 {

using G1Bytes = std::array<uint8_t, 64>;

// Sum of two G1 points. REQUIRES: input.size() == 128 (callers right-pad with zeros).
// Nullopt when a coordinate is >= p or a point is not on the curve.
std::optional<G1Bytes> g1_add(BytesView input) noexcept;

// Point times a 256-bit scalar (not reduced). REQUIRES: input.size() == 96.
// Nullopt when the point is invalid.
std::optional<G1Bytes> g1_mul(BytesView input) noexcept;

enum class PairingResult { one, not_one, invalid_input, internal_error };

// Whether the product of e(P_i, Q_i) over the 192-byte pairs in input is one (one for empty
// input). REQUIRES: input.size() % 192 == 0. invalid_input when a point is invalid, including a G2
// point outside the order-r subgroup; internal_error only if the one-time setup of the
// final-exponentiation constants could not allocate memory.
PairingResult pairing_check(BytesView input) noexcept;

}  // namespace hc::evm::bn254
