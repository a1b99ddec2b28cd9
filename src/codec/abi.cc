#include "codec/abi.h"

#include <algorithm>
#include <cstring>

#include "common/keccak.h"

namespace hc::abi {

namespace {

using Word = uint8_t[kWordSize];

void append_word(Bytes& out, const uint256& v) {
    Word w;
    v.store_be32(w);
    out.insert(out.end(), w, w + kWordSize);
}

// Length word, content, and zero padding up to a whole word: bytes and string.
void append_padded(Bytes& out, BytesView content) {
    append_word(out, content.size());
    out.insert(out.end(), content.begin(), content.end());
    out.resize(out.size() + (kWordSize - content.size() % kWordSize) % kWordSize, 0);
}

uint256 word_at(BytesView data, size_t at) noexcept {  // REQUIRES: at + 32 <= data.size()
    return uint256::load_be32(data.data() + at);
}

bool upper_12_bytes_zero(const uint8_t* word) noexcept {
    return std::all_of(word, word + 12, [](uint8_t b) { return b == 0; });
}

// A dynamic value whose offset (relative to `region`) is `offset`: returns where its content
// starts in `region` and its length, checked so that length * unit bytes of content are present.
// The message leaves naming the argument to the caller.
Result<std::pair<size_t, size_t>> locate(BytesView region, const uint256& offset, size_t unit,
                                         std::string_view region_name) {
    const size_t size = region.size();
    const std::string where = std::string(region_name) + " (" + std::to_string(size) + " bytes)";
    if (!offset.fits_uint64() || offset.low64() >= size)
        return make_error(Errc::decode, "offset " + offset.to_hex() + " is beyond " + where);
    const size_t at = static_cast<size_t>(offset.low64());
    if (size - at < kWordSize)
        return make_error(Errc::decode, "offset " + offset.to_hex() +
                                            " leaves no room for the length word in " + where);
    const uint256 length = word_at(region, at);
    const size_t start = at + kWordSize;
    // Dividing (rather than multiplying the length) cannot overflow, whatever the length.
    const size_t fits = (size - start) / unit;
    if (!length.fits_uint64() || length.low64() > fits) {
        std::string msg = "length " + length.to_hex() + " runs past the end of " + where + ": " +
                          std::to_string(size - start) + " bytes follow the length word";
        if (unit > 1) msg += ", room for " + std::to_string(fits) + " elements";
        return make_error(Errc::decode, std::move(msg));
    }
    return std::pair<size_t, size_t>{start, static_cast<size_t>(length.low64())};
}

Result<BytesView> bytes_at(BytesView region, const uint256& offset, std::string_view region_name) {
    HC_ASSIGN_OR_RETURN(auto loc, locate(region, offset, 1, region_name));
    return region.subspan(loc.first, loc.second);
}

}  // namespace

Selector selector(std::string_view signature) noexcept {
    const Hash32 h = keccak256(as_bytes(signature));
    Selector s;
    std::memcpy(s.data(), h.data(), s.size());
    return s;
}

Hash32 event_topic(std::string_view signature) noexcept {
    return keccak256(as_bytes(signature));
}

Hash32 to_topic(const uint256& value) noexcept {
    Hash32 h;
    value.store_be32(h.data());
    return h;
}

Hash32 to_topic(const Address& address) noexcept {
    Hash32 h;
    std::memcpy(h.data() + 12, address.data(), Address::size());
    return h;
}

Result<std::pair<Selector, BytesView>> split_call(BytesView calldata) {
    if (calldata.size() < 4)
        return make_error(Errc::decode, "ABI: calldata of " + std::to_string(calldata.size()) +
                                            " bytes is shorter than the 4-byte function selector");
    Selector s;
    std::memcpy(s.data(), calldata.data(), s.size());
    return std::pair<Selector, BytesView>{s, calldata.subspan(4)};
}

// ---- Encoder ----

Encoder& Encoder::add_uint(const uint256& value) {
    append_word(head_, value);
    return *this;
}

Encoder& Encoder::add_bool(bool value) {
    return add_uint(value ? 1 : 0);
}

Encoder& Encoder::add_address(const Address& address) {
    return add_bytes32(to_topic(address));
}

Encoder& Encoder::add_bytes32(const Hash32& value) {
    head_.insert(head_.end(), value.bytes.begin(), value.bytes.end());
    return *this;
}

void Encoder::begin_dynamic() {
    dynamic_.emplace_back(head_.size(), tail_.size());
    head_.resize(head_.size() + kWordSize, 0);
}

Encoder& Encoder::add_bytes(BytesView value) {
    begin_dynamic();
    append_padded(tail_, value);
    return *this;
}

Encoder& Encoder::add_string(std::string_view value) {
    return add_bytes(as_bytes(value));
}

Encoder& Encoder::add_uint_array(std::span<const uint256> values) {
    begin_dynamic();
    append_word(tail_, values.size());
    for (const uint256& v : values)
        append_word(tail_, v);
    return *this;
}

Encoder& Encoder::add_address_array(std::span<const Address> values) {
    begin_dynamic();
    append_word(tail_, values.size());
    for (const Address& a : values) {
        const Hash32 w = to_topic(a);
        tail_.insert(tail_.end(), w.bytes.begin(), w.bytes.end());
    }
    return *this;
}

Encoder& Encoder::add_string_array(std::span<const std::string> values) {
    begin_dynamic();
    append_word(tail_, values.size());
    // The elements are dynamic themselves: a head of offsets, relative to the start of the
    // array's content (just after its length word), then each element's encoding.
    const size_t content = tail_.size();
    tail_.resize(tail_.size() + values.size() * kWordSize, 0);
    for (size_t i = 0; i < values.size(); ++i) {
        Word w;
        uint256(tail_.size() - content).store_be32(w);
        std::memcpy(tail_.data() + content + i * kWordSize, w, kWordSize);
        append_padded(tail_, as_bytes(values[i]));
    }
    return *this;
}

void Encoder::finish_into(Bytes& out) {
    // Offsets count from the start of the tuple, so each tail position moves by the head size.
    const size_t head_size = head_.size();
    for (const auto& [slot, tail_pos] : dynamic_) {
        Word w;
        uint256(head_size + tail_pos).store_be32(w);
        std::memcpy(head_.data() + slot, w, kWordSize);
    }
    out.reserve(out.size() + head_.size() + tail_.size());
    out.insert(out.end(), head_.begin(), head_.end());
    out.insert(out.end(), tail_.begin(), tail_.end());
    head_.clear();
    tail_.clear();
    dynamic_.clear();
}

Bytes Encoder::finish() {
    Bytes out;
    finish_into(out);
    return out;
}

Bytes Encoder::finish(const Selector& selector) {
    Bytes out(selector.begin(), selector.end());
    finish_into(out);
    return out;
}

// ---- Decoder ----

Error Decoder::fail(size_t index, std::string_view type, const std::string& what) const {
    return make_error(Errc::decode, "ABI: argument " + std::to_string(index + 1) + " (" +
                                        std::string(type) + "): " + what);
}

Result<uint256> Decoder::next_word(std::string_view type) {
    const size_t index = next_++;
    // index < size / 32 keeps index * 32 + 32 within the data without overflow.
    if (index >= data_.size() / kWordSize)
        return fail(index, type,
                    "the data (" + std::to_string(data_.size()) +
                        " bytes) ends before this argument's head slot at bytes " +
                        std::to_string(index * kWordSize) + ".." +
                        std::to_string((index + 1) * kWordSize));
    return word_at(data_, index * kWordSize);
}

Result<uint256> Decoder::read_uint() {
    return next_word("uint256");
}

Result<uint64_t> Decoder::read_uint64() {
    HC_ASSIGN_OR_RETURN(uint256 v, next_word("uint64"));
    if (!v.fits_uint64())
        return fail(next_ - 1, "uint64", "value " + v.to_hex() + " exceeds 2^64-1");
    return v.low64();
}

Result<uint8_t> Decoder::read_uint8() {
    HC_ASSIGN_OR_RETURN(uint256 v, next_word("uint8"));
    if (!v.fits_uint64() || v.low64() > 0xff)
        return fail(next_ - 1, "uint8", "value " + v.to_hex() + " exceeds 255");
    return static_cast<uint8_t>(v.low64());
}

Result<bool> Decoder::read_bool() {
    HC_ASSIGN_OR_RETURN(uint256 v, next_word("bool"));
    if (v > uint256{1}) return fail(next_ - 1, "bool", "value " + v.to_hex() + " is not 0 or 1");
    return v == uint256{1};
}

Result<Address> Decoder::read_address() {
    HC_ASSIGN_OR_RETURN(uint256 v, next_word("address"));
    Hash32 w = to_topic(v);
    if (!upper_12_bytes_zero(w.data()))
        return fail(next_ - 1, "address",
                    "value " + v.to_hex() + " has nonzero bits above the low 20 bytes");
    Address a;
    std::memcpy(a.data(), w.data() + 12, Address::size());
    return a;
}

Result<Hash32> Decoder::read_bytes32() {
    HC_ASSIGN_OR_RETURN(uint256 v, next_word("bytes32"));
    return to_topic(v);
}

Result<BytesView> Decoder::next_bytes(std::string_view type) {
    HC_ASSIGN_OR_RETURN(uint256 offset, next_word(type));
    auto content = bytes_at(data_, offset, "the data");
    if (!content) return fail(next_ - 1, type, content.error().message);
    return *content;
}

Result<Bytes> Decoder::read_bytes() {
    HC_ASSIGN_OR_RETURN(BytesView v, next_bytes("bytes"));
    return Bytes(v.begin(), v.end());
}

Result<std::string> Decoder::read_string() {
    HC_ASSIGN_OR_RETURN(BytesView v, next_bytes("string"));
    return std::string(v.begin(), v.end());
}

Result<std::pair<size_t, size_t>> Decoder::next_array(std::string_view type) {
    HC_ASSIGN_OR_RETURN(uint256 offset, next_word(type));
    auto loc = locate(data_, offset, kWordSize, "the data");
    if (!loc) return fail(next_ - 1, type, loc.error().message);
    return *loc;
}

Result<std::vector<uint256>> Decoder::read_uint_array() {
    HC_ASSIGN_OR_RETURN(auto loc, next_array("uint256[]"));
    std::vector<uint256> out;
    out.reserve(loc.second);  // bounded by the data size / 32 (checked in locate)
    for (size_t i = 0; i < loc.second; ++i)
        out.push_back(word_at(data_, loc.first + i * kWordSize));
    return out;
}

Result<std::vector<Address>> Decoder::read_address_array() {
    HC_ASSIGN_OR_RETURN(auto loc, next_array("address[]"));
    std::vector<Address> out;
    out.reserve(loc.second);
    for (size_t i = 0; i < loc.second; ++i) {
        const uint8_t* w = data_.data() + loc.first + i * kWordSize;
        if (!upper_12_bytes_zero(w))
            return fail(next_ - 1, "address[]",
                        "element [" + std::to_string(i) + "] value " +
                            word_at(data_, loc.first + i * kWordSize).to_hex() +
                            " has nonzero bits above the low 20 bytes");
        Address a;
        std::memcpy(a.data(), w + 12, Address::size());
        out.push_back(a);
    }
    return out;
}

Result<std::vector<std::string>> Decoder::read_string_array() {
    constexpr std::string_view kType = "string[]";
    HC_ASSIGN_OR_RETURN(auto loc, next_array(kType));
    // Element offsets count from the start of the array's content (its first offset word).
    const BytesView content = data_.subspan(loc.first);
    std::vector<std::string> out;
    out.reserve(loc.second);
    size_t total = 0;
    for (size_t i = 0; i < loc.second; ++i) {
        auto element = bytes_at(content, word_at(content, i * kWordSize), "the array's content");
        if (!element)
            return fail(next_ - 1, kType,
                        "element [" + std::to_string(i) + "]: " + element.error().message);
        // Every element fits in the data, but many offsets may point at the same large one;
        // an honest encoding never holds more string bytes than it has, so cap the total.
        total += element->size();
        if (total > data_.size())
            return fail(next_ - 1, kType,
                        "elements up to [" + std::to_string(i) + "] total " +
                            std::to_string(total) + " bytes, more than the data (" +
                            std::to_string(data_.size()) + " bytes) holds: they overlap");
        out.emplace_back(element->begin(), element->end());
    }
    return out;
}

// ---- Error(string) ----

Bytes encode_error(std::string_view reason) {
    return Encoder().add_string(reason).finish(kErrorSelector);
}

std::optional<std::string> decode_error(BytesView data) {
    auto call = split_call(data);
    if (!call || call->first != kErrorSelector) return std::nullopt;
    auto reason = Decoder(call->second).read_string();
    if (!reason) return std::nullopt;
    return std::move(*reason);
}

}  // namespace hc::abi
