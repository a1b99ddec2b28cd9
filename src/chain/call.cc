// Chain::call and Chain::estimate_gas: executing a message on a committed state without
// committing anything.
#include <algorithm>
#include <mutex>

#include "chain/chain.h"
#include "chain/governance_store.h"
#include "evm/deep_stack.h"
#include "state/overlay.h"

namespace hc::chain {

namespace {

// The transaction a call request stands for, with gas limit `gas`. The nonce is the sender's, so
// a creation gets the address a transaction sent now would.
Transaction call_transaction(const CallRequest& request, const state::StateOverlay& state,
                             uint64_t gas) {
    Transaction tx;
    tx.type = request.access_list.empty() ? TxType::legacy : TxType::access_list;
    tx.nonce = state.nonce(request.from.value_or(Address{}));
    tx.gas_price = request.gas_price.value_or(uint256{});
    tx.gas_limit = gas;
    tx.to = request.to;
    tx.value = request.value;
    tx.data = request.data;
    tx.access_list = request.access_list;
    return tx;
}

}  // namespace

Result<TxOutcome> Chain::call(const CallRequest& request, uint64_t number) const {
    Result<TxOutcome> outcome = make_error(Errc::internal, "the call did not run");
    HC_TRY(with_state_at(
        number, [&](const state::StateReader& base, const BlockHeader& header) -> Status {
            Status read_error;
            BlockContext block = context_of(header, &read_error);
            HC_ASSIGN_OR_RETURN(auto governance, read_governance(base));
            if (governance) block.governance = &*governance;
            // Without a gas price the call is free, so the base fee must not apply (as in geth).
            if (!request.gas_price) block.base_fee = 0;
            const uint64_t gas = std::min(request.gas.value_or(block.gas_limit), block.gas_limit);
            HC_TRY(evm::run_with_deep_stack([&] {
                state::StateOverlay overlay(base);
                const Transaction tx = call_transaction(request, overlay, gas);
                outcome = process_transaction(overlay, tx, request.from.value_or(Address{}), block,
                                              0, &analyses_, TxChecks::call);
            }));
            return read_error;
        }));
    return outcome;
}

Result<GasEstimate> Chain::estimate_gas(const CallRequest& request, uint64_t number) const {
    GasEstimate estimate;
    HC_TRY(with_state_at(
        number, [&](const state::StateReader& base, const BlockHeader& header) -> Status {
            Status read_error;
            BlockContext block = context_of(header, &read_error);
            HC_ASSIGN_OR_RETURN(auto governance, read_governance(base));
            if (governance) block.governance = &*governance;
            if (!request.gas_price) block.base_fee = 0;
            const Address from = request.from.value_or(Address{});

            // The most gas the request may have: what it asks for, the block's limit, and what the
            // sender can pay for after the value.
            uint64_t hi = std::min(request.gas.value_or(block.gas_limit), block.gas_limit);
            if (request.gas_price && !request.gas_price->is_zero()) {
                state::StateOverlay view(base);
                const uint256 balance = view.balance(from);
                if (balance < request.value)
                    return make_error(Errc::invalid_argument,
                                      "insufficient funds for transfer: address " +
                                          to_checksum_address(from) + " have " + balance.to_dec() +
                                          " want " + request.value.to_dec());
                const uint256 affordable = (balance - request.value) / *request.gas_price;
                if (affordable.fits_uint64()) hi = std::min(hi, affordable.low64());
            }

            Status status;
            auto run = [&](uint64_t gas) -> Result<TxOutcome> {
                state::StateOverlay overlay(base);
                const Transaction tx = call_transaction(request, overlay, gas);
                return process_transaction(overlay, tx, from, block, 0, &analyses_, TxChecks::call);
            };
            HC_TRY(evm::run_with_deep_stack([&] {
                auto first = run(hi);
                if (!first) {
                    status = first.error();
                    return;
                }
                if (!first->status) {
                    estimate.failure = std::move(*first);
                    return;
                }
                // Below the gas consumed before the refund the request cannot succeed, and without
                // nested calls (the 63/64 rule) or the SSTORE stipend check exactly that is enough.
                // Try it, then the usual need of nested calls, then bisect.
                const uint64_t consumed = first->gas_used + first->gas_refund;
                uint64_t lo = consumed - 1;
                for (uint64_t guess : {consumed, (consumed + 2300) * 64 / 63}) {
                    if (guess >= hi || guess <= lo) continue;
                    auto r = run(guess);
                    if (!r) {
                        status = r.error();
                        return;
                    }
                    if (r->status) {
                        hi = guess;
                        break;
                    }
                    lo = guess;
                }
                // Stop within 1.5% of the smallest limit that succeeds: each step is a full
                // execution, and the read lock holds block commits back meanwhile.
                while (lo + 1 < hi && (hi - lo) * 1000 > hi * 15) {
                    const uint64_t mid = lo + (hi - lo) / 2;
                    auto r = run(mid);
                    if (!r) {
                        // A limit under the intrinsic gas is just too low.
                        lo = mid;
                        continue;
                    }
                    if (r->status)
                        hi = mid;
                    else
                        lo = mid;
                }
                estimate.gas = hi;
            }));
            HC_TRY(status);
            return read_error;
        }));
    return estimate;
}

}  // namespace hc::chain
