// The Solidity contract ABI, for the subset of types native system contracts speak: uint256 (and
// uint64/uint8 on decode), bool, address, bytes32, bytes, string, uint256[], address[] and
// string[]. Calldata from wallets and ethers.js is decoded with Decoder; return values, revert
// reasons and event data are built with Encoder.
//
// Decoding treats its input as hostile: every offset and length is checked against the buffer
// (overflow included), array lengths are capped by what the buffer can hold before anything is
// allocated, the strings of a string[] may not add up to more bytes than the data (offsets that
// all point at one large string would otherwise multiply the memory a small input asks for), and
// values with dirty high bits (address, bool, uint8, uint64) are rejected.
// Like Solidity's own decoder it accepts trailing bytes after the arguments and does not look
// at the padding after bytes/string data. Errors name the argument (1-based) and its type:
//   "ABI: argument 2 (string): offset 0x1000 is beyond the data (64 bytes)"
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/address.h"
#include "common/bytes.h"
#include "common/error.h"
#include "common/fixed_bytes.h"
#include "common/uint256.h"

namespace hc::abi {

inline constexpr size_t kWordSize = 32;

using Selector = std::array<uint8_t, 4>;

// Solidity's Error(string) revert: the selector ethers and wallets look for to show a reason.
inline constexpr Selector kErrorSelector = {0x08, 0xc3, 0x79, 0xa0};

// The first four bytes of keccak256 of a canonical signature such as
// "transfer(address,uint256)" (no spaces, no parameter names, uint256 rather than uint).
Selector selector(std::string_view signature) noexcept;
// keccak256 of an event signature such as "Transfer(address,address,uint256)": topic 0 of its
// logs.
Hash32 event_topic(std::string_view signature) noexcept;
// The 32-byte word of a static value, as an indexed event argument appears in a log topic.
Hash32 to_topic(const uint256& value) noexcept;
Hash32 to_topic(const Address& address) noexcept;

// Splits calldata into its selector and the ABI-encoded arguments (a view into `calldata`).
// Fails when calldata is shorter than the 4-byte selector.
Result<std::pair<Selector, BytesView>> split_call(BytesView calldata);

// Builds the encoding of a tuple of arguments: static values in the head, dynamic ones in the
// tail with their offsets (from the start of the tuple) in the head, exactly as Solidity does.
//   Bytes ret = abi::Encoder().add_uint(balance).add_string(name).finish();
class Encoder {
  public:
    Encoder& add_uint(const uint256& value);
    Encoder& add_bool(bool value);
    Encoder& add_address(const Address& address);
    Encoder& add_bytes32(const Hash32& value);
    Encoder& add_bytes(BytesView value);
    Encoder& add_string(std::string_view value);
    Encoder& add_uint_array(std::span<const uint256> values);
    Encoder& add_address_array(std::span<const Address> values);
    Encoder& add_string_array(std::span<const std::string> values);

    // The encoded tuple: a return value or event data. Leaves the Encoder empty, ready for
    // another tuple. (Not &&-qualified so that it ends a chain of add_* calls.)
    Bytes finish();
    // The selector followed by the encoded tuple: calldata, or a revert with a custom error.
    Bytes finish(const Selector& selector);

  private:
    // Writes the head slot of a dynamic value, to hold its offset once the head size is known.
    void begin_dynamic();
    // Appends head and tail to `out` and empties the Encoder.
    void finish_into(Bytes& out);

    Bytes head_;
    Bytes tail_;
    // For each dynamic value: its head slot and where its encoding starts in the tail.
    std::vector<std::pair<size_t, size_t>> dynamic_;
};

// Reads the arguments of a tuple in order, one head slot per read. The data must outlive the
// Decoder; results are copies. After a failed read the Decoder has moved past that slot.
class Decoder {
  public:
    // `args` is the tuple encoding: calldata after the selector, or return data.
    explicit Decoder(BytesView args) noexcept : data_(args) {}

    Result<uint256> read_uint();
    Result<uint64_t> read_uint64();  // fails above 2^64-1
    Result<uint8_t> read_uint8();    // fails above 255
    Result<bool> read_bool();        // only 0 or 1
    Result<Address> read_address();  // the upper 12 bytes of the word must be zero
    Result<Hash32> read_bytes32();
    Result<Bytes> read_bytes();
    // Any bytes are accepted: like Solidity, the ABI does not check that a string is UTF-8.
    Result<std::string> read_string();
    Result<std::vector<uint256>> read_uint_array();
    Result<std::vector<Address>> read_address_array();
    Result<std::vector<std::string>> read_string_array();

    // Head slots read so far (failed reads included).
    size_t arguments_read() const noexcept { return next_; }

  private:
    // The next head slot's word, or an error naming the argument and `type`.
    Result<uint256> next_word(std::string_view type);
    // The content of the next dynamic bytes/string argument, as a view into the data.
    Result<BytesView> next_bytes(std::string_view type);
    // The position just after the length word of the next dynamic array argument, and its
    // length, checked to fit elements of one word each in the data.
    Result<std::pair<size_t, size_t>> next_array(std::string_view type);
    Error fail(size_t index, std::string_view type, const std::string& what) const;

    BytesView data_;
    size_t next_ = 0;  // index of the next head slot
};

// The Error(string) revert payload: selector 0x08c379a0 followed by the encoded reason.
Bytes encode_error(std::string_view reason);
// The reason in an Error(string) payload; nullopt for any other or a malformed payload.
std::optional<std::string> decode_error(BytesView data);

}  // namespace hc::abi
