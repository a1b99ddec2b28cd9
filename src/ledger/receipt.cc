#include "ledger/receipt.h"

#include <string>

#include "codec/rlp.h"
#include "common/keccak.h"

namespace hc {

namespace {

Error receipt_error(std::string msg) {
    return make_error(Errc::decode, "receipt: " + std::move(msg));
}

// Reads one field into `out`, naming the field in the error.
template <typename T, typename U>
Status read(Result<T> r, const char* name, U& out) {
    return rlp::read_field(std::move(r), "receipt", name, out);
}

// The three bit positions of an entry: low 11 bits of byte pairs (0,1), (2,3), (4,5) of keccak.
template <typename F>
void for_each_bloom_bit(BytesView entry, F&& f) noexcept {
    const Hash32 h = keccak256(entry);
    for (size_t i = 0; i < 6; i += 2) {
        const unsigned bit = ((unsigned{h[i]} << 8) | h[i + 1]) & 2047u;
        // Bit 0 is the least significant bit of the last byte.
        f(255 - bit / 8, static_cast<uint8_t>(1u << (bit % 8)));
    }
}

void encode_log(rlp::Encoder& e, const Log& log) {
    e.begin_list().add(log.address.view()).begin_list();
    for (const auto& topic : log.topics)
        e.add(topic.view());
    e.end_list().add(log.data).end_list();
}

Result<Log> decode_log(rlp::ListReader& logs) {
    auto fields = rlp::expect_fields(logs.next_list(), 3);
    if (!fields) return receipt_error("log: " + fields.error().message);
    Log log;
    BytesView addr;
    HC_TRY(read(fields->next_string(), "log address", addr));
    if (addr.size() != 20)
        return receipt_error("log address must be 20 bytes, got " + std::to_string(addr.size()));
    log.address = *Address::from_view(addr);
    auto topics = fields->next_list();
    if (!topics) return receipt_error("log topics: " + topics.error().message);
    while (!topics->done()) {
        BytesView topic;
        HC_TRY(read(topics->next_string(), "log topic", topic));
        if (topic.size() != 32)
            return receipt_error("log topic must be 32 bytes, got " + std::to_string(topic.size()));
        log.topics.push_back(*Hash32::from_view(topic));
    }
    BytesView data;
    HC_TRY(read(fields->next_string(), "log data", data));
    log.data.assign(data.begin(), data.end());
    return log;
}

// Receipts nest four lists deep: receipt, logs, log, topics.
constexpr size_t kMaxReceiptDepth = 4;

Result<Receipt> decode_body(TxType type, BytesView body) {
    auto list = rlp::decode_list(body, 4, kMaxReceiptDepth);
    if (!list) return receipt_error(list.error().message);
    Receipt r;
    r.type = type;
    BytesView status;
    HC_TRY(read(list->next_string(), "status", status));
    // EIP-658: 0 is the empty string, 1 is 0x01. A 32-byte pre-Byzantium state root is refused.
    if (status.size() > 1 || (status.size() == 1 && status[0] != 1))
        return receipt_error("status must be 0 or 1 (EIP-658), got " + to_hex(status));
    r.status = status.size() == 1;
    HC_TRY(read(list->next_uint64(), "cumulativeGasUsed", r.cumulative_gas_used));
    BytesView bloom;
    HC_TRY(read(list->next_string(), "logsBloom", bloom));
    if (bloom.size() != 256)
        return receipt_error("logsBloom must be 256 bytes, got " + std::to_string(bloom.size()));
    r.bloom.bits = *FixedBytes<256>::from_view(bloom);
    auto logs = list->next_list();
    if (!logs) return receipt_error("logs: " + logs.error().message);
    while (!logs->done()) {
        auto log = decode_log(*logs);
        if (!log) return log.error();
        r.logs.push_back(std::move(*log));
    }
    return r;
}

}  // namespace

void Bloom::add(BytesView entry) noexcept {
    for_each_bloom_bit(entry, [this](size_t byte, uint8_t mask) { bits[byte] |= mask; });
}

bool Bloom::contains(BytesView entry) const noexcept {
    bool all = true;
    for_each_bloom_bit(entry, [&](size_t byte, uint8_t mask) { all = all && (bits[byte] & mask); });
    return all;
}

void Bloom::merge(const Bloom& other) noexcept {
    for (size_t i = 0; i < bits.size(); ++i)
        bits[i] |= other.bits[i];
}

Bloom bloom_of(const std::vector<Log>& logs) noexcept {
    Bloom b;
    for (const auto& log : logs) {
        b.add(log.address.view());
        for (const auto& topic : log.topics)
            b.add(topic.view());
    }
    return b;
}

Bytes encode_receipt(const Receipt& receipt) {
    rlp::Encoder e;
    if (receipt.type != TxType::legacy) e.add_raw(Bytes{static_cast<uint8_t>(receipt.type)});
    e.begin_list()
        .add(uint64_t{receipt.status ? 1u : 0u})
        .add(receipt.cumulative_gas_used)
        .add(receipt.bloom.bits.view())
        .begin_list();
    for (const auto& log : receipt.logs)
        encode_log(e, log);
    e.end_list().end_list();
    return e.take();
}

Result<Receipt> decode_receipt(BytesView raw) {
    if (raw.empty()) return receipt_error("empty input");
    HC_TRY(rlp::check_size(raw, kMaxReceiptSize, "receipt"));
    const uint8_t first = raw[0];
    if (first >= 0xc0) return decode_body(TxType::legacy, raw);
    if (first >= 0x80)
        return receipt_error("expected a receipt (an RLP list or a type byte), got an RLP string");
    if (first == 1 || first == 2) return decode_body(static_cast<TxType>(first), raw.subspan(1));
    return make_error(Errc::unsupported,
                      "receipt type " + std::to_string(first) + " not supported");
}

Result<size_t> receipt_log_count(BytesView raw) {
    if (raw.empty()) return receipt_error("empty input");
    if (raw[0] < 0x80) raw = raw.subspan(1);  // the type byte of a typed receipt
    auto item = rlp::decode(raw);             // headers only: the logs are not walked
    if (!item) return receipt_error(item.error().message);
    auto list = rlp::expect_fields(rlp::ListReader::open(*item), 4);
    if (!list) return receipt_error(list.error().message);
    for (int skip = 0; skip < 3; ++skip)
        if (auto f = list->next(); !f) return receipt_error(f.error().message);
    auto logs = list->next_list();
    if (!logs) return receipt_error("logs: " + logs.error().message);
    return logs->count();
}

uint64_t receipt_gas_used(const std::vector<Receipt>& receipts, size_t i) noexcept {
    const uint64_t before = i == 0 ? 0 : receipts[i - 1].cumulative_gas_used;
    return receipts[i].cumulative_gas_used - before;
}

Bytes encode_receipt_meta(const ReceiptMeta& meta) {
    rlp::Encoder e;
    e.begin_list()
        .add(meta.gas_used)
        .add(meta.contract_address ? meta.contract_address->view() : BytesView{})
        .end_list();
    return e.take();
}

Result<ReceiptMeta> decode_receipt_meta(BytesView raw) {
    auto list = rlp::decode_list(raw, 2, 1);
    if (!list) return receipt_error("meta: " + list.error().message);
    ReceiptMeta meta;
    HC_TRY(read(list->next_uint64(), "gasUsed", meta.gas_used));
    BytesView addr;
    HC_TRY(read(list->next_string(), "contractAddress", addr));
    if (!addr.empty()) {
        if (addr.size() != 20)
            return receipt_error("contractAddress must be 20 bytes or empty, got " +
                                 std::to_string(addr.size()));
        meta.contract_address = *Address::from_view(addr);
    }
    return meta;
}

}  // namespace hc
