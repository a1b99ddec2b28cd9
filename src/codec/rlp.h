// RLP (Recursive Length Prefix): the one canonical encoding for everything hashed or signed.
//
// Decoding is strict: exactly one canonical encoding is accepted for each value. Rejected:
// leading zeros in a length, a single byte < 0x80 wrapped in a string header, a long form
// used for a length < 56, lengths running past the input, and trailing bytes.
// Decoding is zero-copy: Items are views into the caller's buffer, which must outlive them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/uint256.h"

namespace hc::rlp {

// ---- Encoding ----

// Appends the encoding of a byte string.
void append_string(Bytes& out, BytesView s);
// Appends an unsigned integer: big-endian with no leading zeros (zero encodes as 0x80).
void append_uint(Bytes& out, uint64_t v);
void append_uint(Bytes& out, const uint256& v);
// Appends a list header for a payload of payload_len bytes (the payload follows).
void append_list_header(Bytes& out, size_t payload_len);
// Appends a string header for a payload of payload_len bytes, for callers that write the payload
// themselves. REQUIRES: not a single byte below 0x80 (which is encoded as itself, headerless).
void append_string_header(Bytes& out, size_t payload_len);
// Sizes without encoding: the header for a payload of this length, and a whole string item.
size_t header_size(size_t payload_len) noexcept;
size_t encoded_string_size(BytesView s) noexcept;

inline Bytes encode_string(BytesView s) {
    Bytes out;
    append_string(out, s);
    return out;
}
// Wraps the concatenation of already-encoded items in a list header.
Bytes encode_list(const std::vector<Bytes>& encoded_items);

// Builds nested structures in one buffer:
//   Encoder e; e.begin_list().add(nonce).add(to).end_list(); Bytes b = e.take();
class Encoder {
  public:
    Encoder& add(BytesView s) {
        append_string(buf_, s);
        return *this;
    }
    Encoder& add(uint64_t v) {
        append_uint(buf_, v);
        return *this;
    }
    Encoder& add(const uint256& v) {
        append_uint(buf_, v);
        return *this;
    }
    Encoder& add_raw(BytesView encoded) {  // an item that is already RLP
        buf_.insert(buf_.end(), encoded.begin(), encoded.end());
        return *this;
    }
    Encoder& begin_list();
    Encoder& end_list();  // REQUIRES: a matching begin_list()
    // REQUIRES: every begin_list() has been closed.
    Bytes take();

  private:
    Bytes buf_;
    std::vector<size_t> open_lists_;  // payload start offsets
};

// ---- Decoding ----

struct Item {
    bool is_list = false;
    BytesView payload;  // string bytes, or the concatenated encodings of the list's items
    BytesView encoded;  // the whole item, header included
};

// Decodes the first item of `in`; trailing bytes are allowed and left for the caller.
Result<Item> decode_prefix(BytesView in);
// Decodes exactly one item: trailing bytes are an error.
Result<Item> decode(BytesView in);
// decode() and then checks every nested item down to max_depth levels (deeper is an error).
Result<Item> decode_deep(BytesView in, size_t max_depth = 64);

// Scalars: a string item with no leading zero byte ("0x00" is invalid; zero is the empty string).
Result<uint64_t> to_uint64(const Item& item);
Result<uint256> to_uint256(const Item& item);
Result<BytesView> to_string(const Item& item);  // fails on a list

// Rejects an encoded record larger than `limit` before any decoding work is spent on it:
// "oversized data: <what> of N bytes exceeds the L-byte limit".
Status check_size(BytesView encoded, size_t limit, std::string_view what);

// Moves a decoded field into `out`, or returns its error with the context and field named:
// "receipt: cumulativeGasUsed: RLP: integer has a leading zero byte".
template <typename T, typename U>
Status read_field(Result<T> r, std::string_view context, std::string_view field, U& out) {
    if (!r)
        return make_error(r.error().code, std::string(context) + ": " + std::string(field) + ": " +
                                              r.error().message);
    out = std::move(*r);
    return {};
}

// Iterates over the items of a list.
class ListReader {
  public:
    // Fails if `item` is not a list.
    static Result<ListReader> open(const Item& item);
    explicit ListReader(BytesView payload) : rest_(payload) {}

    bool done() const noexcept { return rest_.empty(); }
    // Number of remaining items, walking their headers; a malformed item is an error, never a
    // shorter count.
    Result<size_t> count() const;
    Result<Item> next();
    Result<BytesView> next_string();
    Result<uint64_t> next_uint64();
    Result<uint256> next_uint256();
    Result<ListReader> next_list();
    // Errors if anything remains: "list has N unexpected trailing item(s)", or the decode error
    // of a malformed leftover.
    Status finish() const;

  private:
    BytesView rest_;
};

// The shape check every record decoder starts with: `encoded` is exactly one list, canonical down
// to max_depth, holding exactly `fields` items ("list must have 9 fields, got 10").
Result<ListReader> decode_list(BytesView encoded, size_t fields, size_t max_depth);
// The same field-count check for a list nested in a record that was already decoded.
Result<ListReader> expect_fields(Result<ListReader> list, size_t fields);

}  // namespace hc::rlp
