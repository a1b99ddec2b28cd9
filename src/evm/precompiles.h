// The precompiled contracts of the Cancun fork at addresses 0x01..0x09: ecrecover, SHA-256,
// RIPEMD-160, identity, modexp (EIP-198, gas per EIP-2565), BN254 add/mul/pairing (EIP-196/197,
// gas per EIP-1108) and BLAKE2b F (EIP-152).
//
// 0x0a, the KZG point evaluation of EIP-4844, is deliberately not a precompile here: it exists
// only to verify blob commitments, and a consortium chain carries no blob transactions, so
// is_precompile() returns false for it and a call there behaves as a call to an empty account.
#pragma once

#include <cstdint>

#include "common/address.h"
#include "common/bytes.h"
#include "evm/host.h"

namespace hc::evm {

// True for addresses 0x01 through 0x09.
bool is_precompile(const Address& a) noexcept;

struct PrecompileOutput {
    StatusCode status = StatusCode::internal_error;
    int64_t gas_left = 0;
    Bytes output;
};

// Runs the precompile at a with the given input and gas. The cost is computed first: if it exceeds
// gas the result is {out_of_gas, 0, {}}; input the specification rejects gives
// {precompile_failure, 0, {}}; otherwise {success, gas - cost, output}. ecrecover never fails:
// an unrecoverable signature yields success with empty output. An address that is not a
// precompile yields internal_error.
PrecompileOutput run_precompile(const Address& a, BytesView input, int64_t gas) noexcept;

}  // namespace hc::evm
