#include "chain/executor.h"

#include <string>

#include "chain/transaction_processor.h"

namespace hc::chain {

namespace {

// The precompiled contracts of Cancun live at 0x01..0x0a.
bool is_precompile(const Address& a) {
    for (size_t i = 0; i + 1 < a.bytes.size(); ++i)
        if (a.bytes[i] != 0) return false;
    return a.bytes[19] >= 1 && a.bytes[19] <= 0x0a;
}

}  // namespace

uint256 effective_gas_price(const Transaction& tx, const uint256& base_fee) noexcept {
    if (tx.type != TxType::dynamic_fee) return tx.gas_price;
    uint256 with_tip = base_fee + tx.max_priority_fee_per_gas;
    return with_tip < tx.max_fee_per_gas ? with_tip : tx.max_fee_per_gas;
}

Status check_no_code_needed(const state::StateOverlay& state, const Transaction& tx) {
    if (tx.is_create())
        return make_error(Errc::unsupported,
                          "contract creation is not supported yet: this node has no EVM, so it "
                          "accepts value transfers only");
    if (is_precompile(*tx.to))
        return make_error(Errc::unsupported, "calls to precompiled contract " +
                                                 to_checksum_address(*tx.to) +
                                                 " are not supported yet: this node has no EVM");
    if (!state.code(*tx.to).empty())
        return make_error(Errc::unsupported, "calls to contract " + to_checksum_address(*tx.to) +
                                                 " are not supported yet: this node has no EVM");
    return {};
}

Status check_transaction(const state::StateOverlay& state, const Transaction& tx,
                         const Address& sender, const BlockEnv& env, uint64_t block_gas_used) {
    // The Cancun validity rules live in one place, the EVM state transition.
    BlockContext block;
    block.number = env.number;
    block.timestamp = env.timestamp;
    block.gas_limit = env.gas_limit;
    block.coinbase = env.proposer;
    block.base_fee = env.base_fee;
    block.chain_id = env.chain_id;
    block.fee_policy = FeePolicy::pay_all_to_coinbase;
    return check_transaction_state(state, tx, sender, block, block_gas_used);
}

Result<ExecutedTx> execute_transaction(state::StateOverlay& state, const Transaction& tx,
                                       const Address& sender, const BlockEnv& env,
                                       uint64_t block_gas_used) {
    HC_TRY(check_transaction(state, tx, sender, env, block_gas_used));
    HC_TRY(check_no_code_needed(state, tx));

    const uint256 price = effective_gas_price(tx, env.base_fee);
    // A transfer uses exactly its intrinsic gas; the unused rest is never charged.
    const uint64_t gas_used = intrinsic_gas(tx);
    const uint256 fee = uint256(gas_used) * price;

    state.set_nonce(sender, tx.nonce + 1);
    state.sub_balance(sender, fee + tx.value);
    // Zero amounts create no account: an empty account is never left behind (EIP-161).
    if (!tx.value.is_zero()) state.add_balance(*tx.to, tx.value);
    if (!fee.is_zero()) state.add_balance(env.proposer, fee);

    ExecutedTx out;
    out.receipt.type = tx.type;
    out.receipt.status = true;
    out.receipt.cumulative_gas_used = block_gas_used + gas_used;
    out.meta.gas_used = gas_used;
    return out;
}

}  // namespace hc::chain
