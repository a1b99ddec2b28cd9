#include "ledger/transaction.h"

#include "codec/rlp.h"
#include "common/keccak.h"
#include "crypto/secp256k1.h"

namespace hc {

namespace {

Error tx_error(std::string msg) {
    return make_error(Errc::decode, "transaction: " + std::move(msg));
}

// Prefixes a decode error with the field it came from, so "leading zero byte" says where.
template <typename T>
Result<T> field(Result<T> r, const char* name) {
    if (r) return r;
    return tx_error(std::string(name) + ": " + r.error().message);
}

Result<std::optional<Address>> decode_to(rlp::ListReader& list) {
    auto raw = field(list.next_string(), "to");
    if (!raw) return raw.error();
    if (raw->empty()) return std::optional<Address>{};
    if (raw->size() != 20)
        return tx_error("'to' must be 20 bytes or empty, got " + std::to_string(raw->size()));
    return std::optional<Address>{*Address::from_view(*raw)};
}

Result<AccessList> decode_access_list(rlp::ListReader& list) {
    auto entries = field(list.next_list(), "accessList");
    if (!entries) return entries.error();
    AccessList out;
    while (!entries->done()) {
        auto entry = field(entries->next_list(), "accessList entry");
        if (!entry) return entry.error();
        auto addr = field(entry->next_string(), "accessList address");
        if (!addr) return addr.error();
        if (addr->size() != 20)
            return tx_error("access list address must be 20 bytes, got " +
                            std::to_string(addr->size()));
        AccessListEntry e{*Address::from_view(*addr), {}};
        auto keys = field(entry->next_list(), "accessList storage keys");
        if (!keys) return keys.error();
        while (!keys->done()) {
            auto key = field(keys->next_string(), "accessList storage key");
            if (!key) return key.error();
            if (key->size() != 32)
                return tx_error("access list storage key must be 32 bytes, got " +
                                std::to_string(key->size()));
            e.storage_keys.push_back(*Hash32::from_view(*key));
        }
        HC_TRY(field(entry->finish(), "accessList entry"));
        out.push_back(std::move(e));
    }
    return out;
}

void encode_access_list(rlp::Encoder& e, const AccessList& list) {
    e.begin_list();
    for (const auto& entry : list) {
        e.begin_list().add(entry.address.view()).begin_list();
        for (const auto& key : entry.storage_keys)
            e.add(key.view());
        e.end_list().end_list();
    }
    e.end_list();
}

BytesView to_view(const std::optional<Address>& to) {
    return to ? to->view() : BytesView{};
}

// The fields before the signature, in each type's order.
void encode_body(rlp::Encoder& e, const Transaction& tx) {
    switch (tx.type) {
        case TxType::legacy:
            e.add(tx.nonce)
                .add(tx.gas_price)
                .add(tx.gas_limit)
                .add(to_view(tx.to))
                .add(tx.value)
                .add(tx.data);
            break;
        case TxType::access_list:
            e.add(*tx.chain_id)
                .add(tx.nonce)
                .add(tx.gas_price)
                .add(tx.gas_limit)
                .add(to_view(tx.to))
                .add(tx.value)
                .add(tx.data);
            encode_access_list(e, tx.access_list);
            break;
        case TxType::dynamic_fee:
            e.add(*tx.chain_id)
                .add(tx.nonce)
                .add(tx.max_priority_fee_per_gas)
                .add(tx.max_fee_per_gas)
                .add(tx.gas_limit)
                .add(to_view(tx.to))
                .add(tx.value)
                .add(tx.data);
            encode_access_list(e, tx.access_list);
            break;
    }
}

uint256 legacy_v(const Transaction& tx) {
    if (!tx.chain_id) return uint256(27 + tx.y_parity);
    // v = chain_id * 2 + 35 + y_parity; chain_id < 2^64 so this fits easily in 256 bits.
    unsigned __int128 v = static_cast<unsigned __int128>(*tx.chain_id) * 2 + 35 + tx.y_parity;
    return uint256(0, 0, static_cast<uint64_t>(v >> 64), static_cast<uint64_t>(v));
}

// Splits a legacy v into chain id and y parity: 27/28 unprotected, else chain_id*2 + 35/36.
Status split_legacy_v(const uint256& v, Transaction& tx) {
    if (v == uint256(27) || v == uint256(28)) {
        tx.y_parity = static_cast<uint8_t>(v.low64() - 27);
        return {};
    }
    // Only values that round-trip through a 64-bit chain id are meaningful.
    if (v.bit_length() > 65 || (v.words[1] == 0 && v.words[0] < 35))
        return make_error(Errc::crypto, "invalid legacy signature v value " + v.to_hex());
    unsigned __int128 wide = (static_cast<unsigned __int128>(v.words[1]) << 64) | v.words[0];
    unsigned __int128 chain = (wide - 35) / 2;
    if (chain > ~uint64_t{0})
        return make_error(Errc::crypto, "legacy signature v value " + v.to_hex() +
                                            " encodes a chain id above 2^64");
    tx.chain_id = static_cast<uint64_t>(chain);
    tx.y_parity = static_cast<uint8_t>((wide - 35) % 2);
    return {};
}

// Transactions nest at most three lists deep (tx, access list, entry, keys).
constexpr size_t kMaxTxDepth = 4;

// Reads one field into `out`, naming the field in the error.
template <typename T, typename U>
Status read(Result<T> r, const char* name, U& out) {
    return rlp::read_field(std::move(r), "transaction", name, out);
}

// Opens the transaction's list and checks its field count before any field is read.
Result<rlp::ListReader> open_fields(BytesView encoded, const std::string& what, size_t expected) {
    auto list = rlp::decode_list(encoded, expected, kMaxTxDepth);
    if (!list) return tx_error(what + ": " + list.error().message);
    return list;
}

// gasLimit, to, value and data: the same four fields, in this order, in every type.
Status read_call(rlp::ListReader& list, Transaction& tx) {
    HC_TRY(read(list.next_uint64(), "gasLimit", tx.gas_limit));
    auto to = decode_to(list);
    if (!to) return to.error();
    tx.to = *to;
    HC_TRY(read(list.next_uint256(), "value", tx.value));
    auto data = field(list.next_string(), "data");
    if (!data) return data.error();
    tx.data.assign(data->begin(), data->end());
    return {};
}

Result<Transaction> decode_legacy(BytesView raw) {
    auto list = open_fields(raw, "legacy transaction", 9);
    if (!list) return list.error();
    Transaction tx;
    tx.type = TxType::legacy;
    uint256 v;
    HC_TRY(read(list->next_uint64(), "nonce", tx.nonce));
    HC_TRY(read(list->next_uint256(), "gasPrice", tx.gas_price));
    HC_TRY(read_call(*list, tx));
    HC_TRY(read(list->next_uint256(), "v", v));
    HC_TRY(read(list->next_uint256(), "r", tx.r));
    HC_TRY(read(list->next_uint256(), "s", tx.s));
    HC_TRY(split_legacy_v(v, tx));
    return tx;
}

Result<Transaction> decode_typed(TxType type, BytesView payload) {
    const bool dynamic = type == TxType::dynamic_fee;
    auto list =
        open_fields(payload, "type " + std::to_string(static_cast<int>(type)) + " transaction",
                    dynamic ? 12 : 11);
    if (!list) return list.error();
    Transaction tx;
    tx.type = type;
    uint64_t parity = 0;
    HC_TRY(read(list->next_uint64(), "chainId", tx.chain_id));
    HC_TRY(read(list->next_uint64(), "nonce", tx.nonce));
    if (dynamic) {
        HC_TRY(read(list->next_uint256(), "maxPriorityFeePerGas", tx.max_priority_fee_per_gas));
        HC_TRY(read(list->next_uint256(), "maxFeePerGas", tx.max_fee_per_gas));
    } else {
        HC_TRY(read(list->next_uint256(), "gasPrice", tx.gas_price));
    }
    HC_TRY(read_call(*list, tx));
    auto access_list = decode_access_list(*list);
    if (!access_list) return access_list.error();
    tx.access_list = std::move(*access_list);
    HC_TRY(read(list->next_uint64(), "yParity", parity));
    if (parity > 1)
        return make_error(Errc::crypto,
                          "signature yParity must be 0 or 1, got " + std::to_string(parity));
    tx.y_parity = static_cast<uint8_t>(parity);
    HC_TRY(read(list->next_uint256(), "r", tx.r));
    HC_TRY(read(list->next_uint256(), "s", tx.s));
    return tx;
}

}  // namespace

Result<Transaction> decode_transaction(BytesView raw) {
    if (raw.empty()) return tx_error("empty input");
    HC_TRY(rlp::check_size(raw, kMaxTransactionSize, "transaction"));
    const uint8_t first = raw[0];
    if (first >= 0xc0) return decode_legacy(raw);
    if (first >= 0x80)
        return tx_error("expected a transaction (an RLP list or a type byte), got an RLP string");
    if (first == 1 || first == 2) return decode_typed(static_cast<TxType>(first), raw.subspan(1));
    return make_error(Errc::unsupported,
                      "transaction type " + std::to_string(first) + " not supported");
}

Bytes encode_transaction(const Transaction& tx) {
    rlp::Encoder e;
    e.begin_list();
    encode_body(e, tx);
    if (tx.type == TxType::legacy)
        e.add(legacy_v(tx));
    else
        e.add(uint64_t{tx.y_parity});
    e.add(tx.r).add(tx.s).end_list();
    Bytes body = e.take();
    if (tx.type == TxType::legacy) return body;
    Bytes out;
    out.reserve(body.size() + 1);
    out.push_back(static_cast<uint8_t>(tx.type));
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

Hash32 transaction_hash(const Transaction& tx) {
    return keccak256(encode_transaction(tx));
}

Hash32 signing_hash(const Transaction& tx) {
    rlp::Encoder e;
    e.begin_list();
    encode_body(e, tx);
    if (tx.type == TxType::legacy && tx.chain_id)
        e.add(*tx.chain_id).add(uint64_t{0}).add(uint64_t{0});
    e.end_list();
    Bytes body = e.take();
    if (tx.type != TxType::legacy) body.insert(body.begin(), static_cast<uint8_t>(tx.type));
    return keccak256(body);
}

Status sign_transaction(Transaction& tx, const Hash32& private_key) {
    if (tx.type != TxType::legacy && !tx.chain_id)
        return make_error(Errc::invalid_argument,
                          "a typed transaction needs a chain id to be signed");
    auto sig = crypto::secp256k1_sign(signing_hash(tx), private_key);
    if (!sig) return sig.error();
    tx.r = sig->r;
    tx.s = sig->s;
    tx.y_parity = sig->y_parity;
    return {};
}

Result<Address> recover_sender(const Transaction& tx) {
    crypto::Secp256k1Signature sig{tx.r, tx.s, tx.y_parity};
    auto sender = crypto::secp256k1_recover_address(signing_hash(tx), sig, /*require_low_s=*/true);
    if (!sender)
        return make_error(Errc::crypto, "invalid transaction signature: " + sender.error().message);
    return sender;
}

uint64_t intrinsic_gas(const Transaction& tx) noexcept {
    uint64_t gas = tx.is_create() ? 53000 : 21000;
    for (uint8_t b : tx.data)
        gas += b ? 16 : 4;
    for (const auto& entry : tx.access_list)
        gas += 2400 + 1900 * entry.storage_keys.size();
    if (tx.is_create()) gas += 2 * ((tx.data.size() + 31) / 32);
    return gas;
}

Status check_transaction(const Transaction& tx, uint64_t chain_id) {
    if (tx.chain_id && *tx.chain_id != chain_id)
        return make_error(Errc::invalid_argument, "invalid chain id: transaction is for chain " +
                                                      std::to_string(*tx.chain_id) +
                                                      ", this chain is " +
                                                      std::to_string(chain_id));
    if (tx.nonce == ~uint64_t{0})
        return make_error(Errc::invalid_argument, "nonce has max value 2^64-1 (EIP-2681)");
    if (tx.type == TxType::dynamic_fee && tx.max_priority_fee_per_gas > tx.max_fee_per_gas)
        return make_error(Errc::invalid_argument,
                          "max priority fee per gas higher than max fee per gas");
    if (uint256 cost; mul_overflow(tx.fee_cap(), uint256(tx.gas_limit), &cost))
        return make_error(Errc::invalid_argument, "gas limit * gas price overflows 256 bits");
    if (tx.is_create() && tx.data.size() > kMaxInitcodeSize)
        return make_error(Errc::invalid_argument,
                          "max initcode size exceeded: " + std::to_string(tx.data.size()) +
                              " bytes, limit " + std::to_string(kMaxInitcodeSize));
    if (uint64_t need = intrinsic_gas(tx); tx.gas_limit < need)
        return make_error(Errc::invalid_argument, "intrinsic gas too low: gas " +
                                                      std::to_string(tx.gas_limit) +
                                                      ", minimum needed " + std::to_string(need));
    return {};
}

Result<Address> validate_transaction(const Transaction& tx, uint64_t chain_id) {
    HC_TRY(check_transaction(tx, chain_id));
    return recover_sender(tx);
}

}  // namespace hc
