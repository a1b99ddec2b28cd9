#include "codec/rlp.h"

#include <cassert>
#include <string>

namespace hc::rlp {

namespace {

// Appends a header: short form (offset + len) below 56, else long form with a big-endian length.
void append_header(Bytes& out, uint8_t offset, size_t len) {
    if (len < 56) {
        out.push_back(static_cast<uint8_t>(offset + len));
        return;
    }
    uint8_t be[8];
    int n = 0;
    for (size_t v = len; v; v >>= 8)
        be[n++] = static_cast<uint8_t>(v);
    out.push_back(static_cast<uint8_t>(offset + 55 + n));
    while (n)
        out.push_back(be[--n]);
}

Error err(std::string msg) {
    return make_error(Errc::decode, "RLP: " + std::move(msg));
}

}  // namespace

void append_string(Bytes& out, BytesView s) {
    if (s.size() == 1 && s[0] < 0x80) {
        out.push_back(s[0]);
        return;
    }
    append_header(out, 0x80, s.size());
    out.insert(out.end(), s.begin(), s.end());
}

void append_uint(Bytes& out, uint64_t v) {
    if (v == 0) {
        out.push_back(0x80);
        return;
    }
    uint8_t be[8];
    int n = 0;
    for (; v; v >>= 8)
        be[n++] = static_cast<uint8_t>(v);
    uint8_t tmp[8];
    for (int i = 0; i < n; ++i)
        tmp[i] = be[n - 1 - i];
    append_string(out, {tmp, static_cast<size_t>(n)});
}

void append_uint(Bytes& out, const uint256& v) {
    auto full = v.to_be();
    unsigned n = v.byte_length();
    append_string(out, {full.data() + 32 - n, n});
}

void append_list_header(Bytes& out, size_t payload_len) {
    append_header(out, 0xc0, payload_len);
}

void append_string_header(Bytes& out, size_t payload_len) {
    append_header(out, 0x80, payload_len);
}

size_t header_size(size_t payload_len) noexcept {
    if (payload_len < 56) return 1;
    size_t n = 0;
    for (; payload_len; payload_len >>= 8)
        ++n;
    return 1 + n;
}

size_t encoded_string_size(BytesView s) noexcept {
    if (s.size() == 1 && s[0] < 0x80) return 1;
    return header_size(s.size()) + s.size();
}

Bytes encode_list(const std::vector<Bytes>& encoded_items) {
    size_t payload = 0;
    for (const auto& i : encoded_items)
        payload += i.size();
    Bytes out;
    out.reserve(payload + 9);
    append_list_header(out, payload);
    for (const auto& i : encoded_items)
        out.insert(out.end(), i.begin(), i.end());
    return out;
}

Encoder& Encoder::begin_list() {
    open_lists_.push_back(buf_.size());
    return *this;
}

Encoder& Encoder::end_list() {
    assert(!open_lists_.empty());
    size_t start = open_lists_.back();
    open_lists_.pop_back();
    Bytes header;
    append_list_header(header, buf_.size() - start);
    buf_.insert(buf_.begin() + static_cast<ptrdiff_t>(start), header.begin(), header.end());
    return *this;
}

Bytes Encoder::take() {
    assert(open_lists_.empty());
    return std::move(buf_);
}

Result<Item> decode_prefix(BytesView in) {
    if (in.empty()) return err("input is empty");
    const uint8_t b = in[0];
    Item item;
    size_t header = 0, len = 0;
    if (b < 0x80) {
        item.payload = in.subspan(0, 1);
        item.encoded = in.subspan(0, 1);
        return item;
    }
    item.is_list = b >= 0xc0;
    const uint8_t base = item.is_list ? 0xc0 : 0x80;
    const char* what = item.is_list ? "list" : "string";
    if (b - base < 56) {
        header = 1;
        len = b - base;
    } else {
        size_t len_of_len = b - base - 55;
        if (in.size() < 1 + len_of_len)
            return err(std::string(what) + " length field runs past the end of the input");
        if (in[1] == 0) return err(std::string(what) + " length has a leading zero byte");
        if (len_of_len > sizeof(size_t)) return err(std::string(what) + " length is too large");
        for (size_t i = 0; i < len_of_len; ++i)
            len = (len << 8) | in[1 + i];
        if (len < 56)
            return err(std::string(what) + " of length " + std::to_string(len) +
                       " uses the long form (non-canonical)");
        header = 1 + len_of_len;
    }
    if (len > in.size() - header)
        return err(std::string(what) + " of length " + std::to_string(len) +
                   " runs past the end of the input (" + std::to_string(in.size() - header) +
                   " bytes left)");
    if (!item.is_list && len == 1 && in[header] < 0x80)
        return err("single byte below 0x80 must not have a string header (non-canonical)");
    item.payload = in.subspan(header, len);
    item.encoded = in.subspan(0, header + len);
    return item;
}

Result<Item> decode(BytesView in) {
    auto item = decode_prefix(in);
    if (!item) return item;
    if (item->encoded.size() != in.size())
        return err(std::to_string(in.size() - item->encoded.size()) +
                   " trailing byte(s) after the item");
    return item;
}

namespace {
Status check_nested(const Item& item, size_t depth_left) {
    if (!item.is_list) return {};
    if (depth_left == 0) return err("nesting exceeds the maximum depth");
    BytesView rest = item.payload;
    while (!rest.empty()) {
        auto child = decode_prefix(rest);
        if (!child) return child.error();
        HC_TRY(check_nested(*child, depth_left - 1));
        rest = rest.subspan(child->encoded.size());
    }
    return {};
}
}  // namespace

Result<Item> decode_deep(BytesView in, size_t max_depth) {
    auto item = decode(in);
    if (!item) return item;
    HC_TRY(check_nested(*item, max_depth));
    return item;
}

Result<BytesView> to_string(const Item& item) {
    if (item.is_list) return err("expected a string, got a list");
    return item.payload;
}

Result<uint64_t> to_uint64(const Item& item) {
    if (item.is_list) return err("expected an integer, got a list");
    if (item.payload.size() > 8)
        return err("integer of " + std::to_string(item.payload.size()) + " bytes exceeds 64 bits");
    if (!item.payload.empty() && item.payload[0] == 0)
        return err("integer has a leading zero byte");
    uint64_t v = 0;
    for (uint8_t b : item.payload)
        v = (v << 8) | b;
    return v;
}

Result<uint256> to_uint256(const Item& item) {
    if (item.is_list) return err("expected an integer, got a list");
    if (item.payload.size() > 32)
        return err("integer of " + std::to_string(item.payload.size()) + " bytes exceeds 256 bits");
    if (!item.payload.empty() && item.payload[0] == 0)
        return err("integer has a leading zero byte");
    return uint256::from_be(item.payload);
}

Result<ListReader> ListReader::open(const Item& item) {
    if (!item.is_list) return err("expected a list, got a string");
    return ListReader(item.payload);
}

Result<size_t> ListReader::count() const {
    size_t n = 0;
    BytesView rest = rest_;
    while (!rest.empty()) {
        auto item = decode_prefix(rest);
        if (!item) return item.error();
        rest = rest.subspan(item->encoded.size());
        ++n;
    }
    return n;
}

Result<Item> ListReader::next() {
    if (rest_.empty()) return err("list has too few items");
    auto item = decode_prefix(rest_);
    if (!item) return item;
    rest_ = rest_.subspan(item->encoded.size());
    return item;
}

Result<BytesView> ListReader::next_string() {
    auto item = next();
    if (!item) return item.error();
    return to_string(*item);
}

Result<uint64_t> ListReader::next_uint64() {
    auto item = next();
    if (!item) return item.error();
    return to_uint64(*item);
}

Result<uint256> ListReader::next_uint256() {
    auto item = next();
    if (!item) return item.error();
    return to_uint256(*item);
}

Result<ListReader> ListReader::next_list() {
    auto item = next();
    if (!item) return item.error();
    return open(*item);
}

Status ListReader::finish() const {
    if (rest_.empty()) return {};
    auto n = count();
    if (!n) return n.error();
    return err("list has " + std::to_string(*n) + " unexpected trailing item(s)");
}

Status check_size(BytesView encoded, size_t limit, std::string_view what) {
    if (encoded.size() <= limit) return {};
    return make_error(Errc::invalid_argument, "oversized data: " + std::string(what) + " of " +
                                                  std::to_string(encoded.size()) +
                                                  " bytes exceeds the " + std::to_string(limit) +
                                                  "-byte limit");
}

Result<ListReader> expect_fields(Result<ListReader> list, size_t fields) {
    if (!list) return list;
    auto n = list->count();
    if (!n) return n.error();
    if (*n != fields)
        return err("list must have " + std::to_string(fields) + " fields, got " +
                   std::to_string(*n));
    return list;
}

Result<ListReader> decode_list(BytesView encoded, size_t fields, size_t max_depth) {
    auto item = decode_deep(encoded, max_depth);
    if (!item) return item.error();
    return expect_fields(ListReader::open(*item), fields);
}

}  // namespace hc::rlp
