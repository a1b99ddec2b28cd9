#include "chain/transaction_processor.h"

#include <string>

namespace hc::chain {

namespace {

Error invalid(std::string message) {
    return make_error(Errc::invalid_argument, std::move(message));
}

// Every precompiled contract address of Cancun (0x01..0x0a) is warm from the start (EIP-2929).
constexpr uint8_t kLastPrecompile = 0x0a;

}  // namespace

uint256 effective_gas_price(const Transaction& tx, const uint256& base_fee) noexcept {
    if (tx.type != TxType::dynamic_fee) return tx.gas_price;
    uint256 with_tip = base_fee + tx.max_priority_fee_per_gas;
    return with_tip < tx.max_fee_per_gas ? with_tip : tx.max_fee_per_gas;
}

uint256 blob_base_fee(uint64_t excess_blob_gas) noexcept {
    // fake_exponential(MIN_BLOB_BASE_FEE = 1, excess, BLOB_BASE_FEE_UPDATE_FRACTION) of EIP-4844.
    const uint256 factor = 1, denominator = 3338477, numerator = excess_blob_gas;
    uint256 output = 0;
    uint256 accum = factor * denominator;
    for (uint64_t i = 1; !accum.is_zero(); ++i) {
        output = output + accum;
        accum = (accum * numerator) / (denominator * uint256(i));
    }
    return output / denominator;
}

Status check_transaction_state(const state::StateOverlay& state, const Transaction& tx,
                               const Address& sender, const BlockContext& block,
                               uint64_t block_gas_used, TxChecks checks) {
    const auto account = state.account(sender);
    const uint64_t nonce = account ? account->nonce : 0;
    const bool call = checks == TxChecks::call;
    if (tx.nonce < nonce && !call)
        return invalid("nonce too low: address " + to_checksum_address(sender) +
                       ", tx: " + std::to_string(tx.nonce) + " state: " + std::to_string(nonce));
    if (tx.nonce > nonce && !call)
        return invalid("nonce too high: address " + to_checksum_address(sender) +
                       ", tx: " + std::to_string(tx.nonce) + " state: " + std::to_string(nonce));
    if (nonce == UINT64_MAX)
        return invalid("nonce has max value: address " + to_checksum_address(sender));
    if (account && account->has_code() && !call)
        return invalid("sender not an eoa: address " + to_checksum_address(sender) +
                       ", codehash: " + account->code_hash.hex());
    if (tx.fee_cap() < block.base_fee)
        return invalid("max fee per gas less than block base fee: address " +
                       to_checksum_address(sender) + ", maxFeePerGas: " + tx.fee_cap().to_dec() +
                       ", baseFee: " + block.base_fee.to_dec());
    if (tx.type == TxType::dynamic_fee && tx.max_priority_fee_per_gas > tx.max_fee_per_gas)
        return invalid("max priority fee per gas higher than max fee per gas: address " +
                       to_checksum_address(sender));
    uint256 max_gas_cost;
    uint256 want;
    const bool overflow = mul_overflow(uint256(tx.gas_limit), tx.fee_cap(), &max_gas_cost) ||
                          add_overflow(max_gas_cost, tx.value, &want);
    const uint256 have = account ? account->balance : uint256{};
    if (overflow || have < want)
        return invalid("insufficient funds for gas * price + value: address " +
                       to_checksum_address(sender) + " have " + have.to_dec() + " want " +
                       (overflow ? std::string("more than 2^256") : want.to_dec()));
    if (block_gas_used > block.gas_limit || tx.gas_limit > block.gas_limit - block_gas_used)
        return invalid("gas limit reached: the transaction's gas limit " +
                       std::to_string(tx.gas_limit) + " exceeds the gas left in the block");
    const uint64_t intrinsic = intrinsic_gas(tx);
    if (tx.gas_limit < intrinsic)
        return invalid("intrinsic gas too low: have " + std::to_string(tx.gas_limit) + ", want " +
                       std::to_string(intrinsic));
    if (tx.is_create() && tx.data.size() > kMaxInitcodeSize)
        return invalid("max initcode size exceeded: code size " + std::to_string(tx.data.size()) +
                       " limit " + std::to_string(kMaxInitcodeSize));
    return {};
}

Result<TxOutcome> process_transaction(state::StateOverlay& state, const Transaction& tx,
                                      const Address& sender, const BlockContext& block,
                                      uint64_t block_gas_used, evm::AnalysisCache* cache,
                                      TxChecks checks) {
    HC_TRY(check_transaction_state(state, tx, sender, block, block_gas_used, checks));

    const uint256 price = effective_gas_price(tx, block.base_fee);
    const uint64_t intrinsic = intrinsic_gas(tx);

    evm::TxContext context;
    context.gas_price = price;
    context.origin = sender;
    context.coinbase = block.coinbase;
    context.number = block.number;
    context.timestamp = block.timestamp;
    context.gas_limit = block.gas_limit;
    context.prev_randao = block.prev_randao;
    context.chain_id = block.chain_id;
    context.base_fee = block.base_fee;
    context.blob_base_fee = block.blob_base_fee;
    EvmHost host(state, context, block.block_hash, cache, block.governance);

    const size_t start = state.snapshot();
    // Buy the gas; a call bumps the nonce here, a creation in the create frame (whose address
    // derives from the nonce before the bump).
    state.sub_balance(sender, uint256(tx.gas_limit) * price);
    if (!tx.is_create()) state.set_nonce(sender, tx.nonce + 1);

    // Warm from the start (EIP-2929, EIP-3651): sender, recipient, coinbase, precompiles, and
    // the access list.
    host.access_account(sender);
    if (tx.to) host.access_account(*tx.to);
    host.access_account(block.coinbase);
    for (uint8_t i = 1; i <= kLastPrecompile; ++i) {
        Address p;
        p.bytes[19] = i;
        host.access_account(p);
    }
    for (const auto& entry : tx.access_list) {
        host.access_account(entry.address);
        for (const auto& key : entry.storage_keys)
            host.access_storage(entry.address, key);
    }

    evm::Message msg;
    msg.kind = tx.is_create() ? evm::CallKind::create : evm::CallKind::call;
    msg.depth = 0;
    msg.gas = static_cast<int64_t>(tx.gas_limit - intrinsic);
    msg.sender = sender;
    msg.recipient = tx.to.value_or(Address{});
    msg.code_address = msg.recipient;
    msg.input = tx.data;
    msg.value = tx.value;
    evm::ExecutionResult result = host.call(msg);
    if (!host.unsupported().empty()) {
        state.revert_to(start);
        return make_error(Errc::unsupported, host.unsupported());
    }

    TxOutcome out;
    out.status = result.status == evm::StatusCode::success;
    out.evm_status = result.status;
    uint64_t gas_used = tx.gas_limit - static_cast<uint64_t>(result.gas_left);
    if (out.status && result.gas_refund > 0) {
        out.gas_refund = std::min<uint64_t>(static_cast<uint64_t>(result.gas_refund),
                                            gas_used / 5);  // EIP-3529
        gas_used -= out.gas_refund;
    }
    out.gas_used = gas_used;
    if (out.status && tx.is_create()) out.contract_address = result.create_address;
    out.output = std::move(result.output);

    const uint64_t gas_left = tx.gas_limit - gas_used;
    if (gas_left > 0) state.add_balance(sender, uint256(gas_left) * price);
    const uint256 coinbase_price =
        block.fee_policy == FeePolicy::burn_base_fee ? price - block.base_fee : price;
    const uint256 fee = uint256(gas_used) * coinbase_price;
    if (!fee.is_zero()) state.add_balance(block.coinbase, fee);
    host.touch(block.coinbase);

    host.finalize();
    out.logs = host.logs();
    return out;
}

}  // namespace hc::chain
