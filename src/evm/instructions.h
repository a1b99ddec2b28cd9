// Static data of every Cancun opcode, as one X-macro table: the name, the base gas (charged
// before the instruction runs; dynamic parts such as memory, cold access and copy costs are
// charged by the instruction itself), and the stack items it takes and leaves.
#pragma once

#include <array>
#include <cstdint>

namespace hc::evm {

// X(NAME, opcode, base_gas, stack_in, stack_out)
#define HC_EVM_OPCODES(X)            \
    X(STOP, 0x00, 0, 0, 0)           \
    X(ADD, 0x01, 3, 2, 1)            \
    X(MUL, 0x02, 5, 2, 1)            \
    X(SUB, 0x03, 3, 2, 1)            \
    X(DIV, 0x04, 5, 2, 1)            \
    X(SDIV, 0x05, 5, 2, 1)           \
    X(MOD, 0x06, 5, 2, 1)            \
    X(SMOD, 0x07, 5, 2, 1)           \
    X(ADDMOD, 0x08, 8, 3, 1)         \
    X(MULMOD, 0x09, 8, 3, 1)         \
    X(EXP, 0x0a, 10, 2, 1)           \
    X(SIGNEXTEND, 0x0b, 5, 2, 1)     \
    X(LT, 0x10, 3, 2, 1)             \
    X(GT, 0x11, 3, 2, 1)             \
    X(SLT, 0x12, 3, 2, 1)            \
    X(SGT, 0x13, 3, 2, 1)            \
    X(EQ, 0x14, 3, 2, 1)             \
    X(ISZERO, 0x15, 3, 1, 1)         \
    X(AND, 0x16, 3, 2, 1)            \
    X(OR, 0x17, 3, 2, 1)             \
    X(XOR, 0x18, 3, 2, 1)            \
    X(NOT, 0x19, 3, 1, 1)            \
    X(BYTE, 0x1a, 3, 2, 1)           \
    X(SHL, 0x1b, 3, 2, 1)            \
    X(SHR, 0x1c, 3, 2, 1)            \
    X(SAR, 0x1d, 3, 2, 1)            \
    X(KECCAK256, 0x20, 30, 2, 1)     \
    X(ADDRESS, 0x30, 2, 0, 1)        \
    X(BALANCE, 0x31, 100, 1, 1)      \
    X(ORIGIN, 0x32, 2, 0, 1)         \
    X(CALLER, 0x33, 2, 0, 1)         \
    X(CALLVALUE, 0x34, 2, 0, 1)      \
    X(CALLDATALOAD, 0x35, 3, 1, 1)   \
    X(CALLDATASIZE, 0x36, 2, 0, 1)   \
    X(CALLDATACOPY, 0x37, 3, 3, 0)   \
    X(CODESIZE, 0x38, 2, 0, 1)       \
    X(CODECOPY, 0x39, 3, 3, 0)       \
    X(GASPRICE, 0x3a, 2, 0, 1)       \
    X(EXTCODESIZE, 0x3b, 100, 1, 1)  \
    X(EXTCODECOPY, 0x3c, 100, 4, 0)  \
    X(RETURNDATASIZE, 0x3d, 2, 0, 1) \
    X(RETURNDATACOPY, 0x3e, 3, 3, 0) \
    X(EXTCODEHASH, 0x3f, 100, 1, 1)  \
    X(BLOCKHASH, 0x40, 20, 1, 1)     \
    X(COINBASE, 0x41, 2, 0, 1)       \
    X(TIMESTAMP, 0x42, 2, 0, 1)      \
    X(NUMBER, 0x43, 2, 0, 1)         \
    X(PREVRANDAO, 0x44, 2, 0, 1)     \
    X(GASLIMIT, 0x45, 2, 0, 1)       \
    X(CHAINID, 0x46, 2, 0, 1)        \
    X(SELFBALANCE, 0x47, 5, 0, 1)    \
    X(BASEFEE, 0x48, 2, 0, 1)        \
    X(BLOBHASH, 0x49, 3, 1, 1)       \
    X(BLOBBASEFEE, 0x4a, 2, 0, 1)    \
    X(POP, 0x50, 2, 1, 0)            \
    X(MLOAD, 0x51, 3, 1, 1)          \
    X(MSTORE, 0x52, 3, 2, 0)         \
    X(MSTORE8, 0x53, 3, 2, 0)        \
    X(SLOAD, 0x54, 100, 1, 1)        \
    X(SSTORE, 0x55, 0, 2, 0)         \
    X(JUMP, 0x56, 8, 1, 0)           \
    X(JUMPI, 0x57, 10, 2, 0)         \
    X(PC, 0x58, 2, 0, 1)             \
    X(MSIZE, 0x59, 2, 0, 1)          \
    X(GAS, 0x5a, 2, 0, 1)            \
    X(JUMPDEST, 0x5b, 1, 0, 0)       \
    X(TLOAD, 0x5c, 100, 1, 1)        \
    X(TSTORE, 0x5d, 100, 2, 0)       \
    X(MCOPY, 0x5e, 3, 3, 0)          \
    X(PUSH0, 0x5f, 2, 0, 1)          \
    X(PUSH1, 0x60, 3, 0, 1)          \
    X(PUSH2, 0x61, 3, 0, 1)          \
    X(PUSH3, 0x62, 3, 0, 1)          \
    X(PUSH4, 0x63, 3, 0, 1)          \
    X(PUSH5, 0x64, 3, 0, 1)          \
    X(PUSH6, 0x65, 3, 0, 1)          \
    X(PUSH7, 0x66, 3, 0, 1)          \
    X(PUSH8, 0x67, 3, 0, 1)          \
    X(PUSH9, 0x68, 3, 0, 1)          \
    X(PUSH10, 0x69, 3, 0, 1)         \
    X(PUSH11, 0x6a, 3, 0, 1)         \
    X(PUSH12, 0x6b, 3, 0, 1)         \
    X(PUSH13, 0x6c, 3, 0, 1)         \
    X(PUSH14, 0x6d, 3, 0, 1)         \
    X(PUSH15, 0x6e, 3, 0, 1)         \
    X(PUSH16, 0x6f, 3, 0, 1)         \
    X(PUSH17, 0x70, 3, 0, 1)         \
    X(PUSH18, 0x71, 3, 0, 1)         \
    X(PUSH19, 0x72, 3, 0, 1)         \
    X(PUSH20, 0x73, 3, 0, 1)         \
    X(PUSH21, 0x74, 3, 0, 1)         \
    X(PUSH22, 0x75, 3, 0, 1)         \
    X(PUSH23, 0x76, 3, 0, 1)         \
    X(PUSH24, 0x77, 3, 0, 1)         \
    X(PUSH25, 0x78, 3, 0, 1)         \
    X(PUSH26, 0x79, 3, 0, 1)         \
    X(PUSH27, 0x7a, 3, 0, 1)         \
    X(PUSH28, 0x7b, 3, 0, 1)         \
    X(PUSH29, 0x7c, 3, 0, 1)         \
    X(PUSH30, 0x7d, 3, 0, 1)         \
    X(PUSH31, 0x7e, 3, 0, 1)         \
    X(PUSH32, 0x7f, 3, 0, 1)         \
    X(DUP1, 0x80, 3, 1, 2)           \
    X(DUP2, 0x81, 3, 2, 3)           \
    X(DUP3, 0x82, 3, 3, 4)           \
    X(DUP4, 0x83, 3, 4, 5)           \
    X(DUP5, 0x84, 3, 5, 6)           \
    X(DUP6, 0x85, 3, 6, 7)           \
    X(DUP7, 0x86, 3, 7, 8)           \
    X(DUP8, 0x87, 3, 8, 9)           \
    X(DUP9, 0x88, 3, 9, 10)          \
    X(DUP10, 0x89, 3, 10, 11)        \
    X(DUP11, 0x8a, 3, 11, 12)        \
    X(DUP12, 0x8b, 3, 12, 13)        \
    X(DUP13, 0x8c, 3, 13, 14)        \
    X(DUP14, 0x8d, 3, 14, 15)        \
    X(DUP15, 0x8e, 3, 15, 16)        \
    X(DUP16, 0x8f, 3, 16, 17)        \
    X(SWAP1, 0x90, 3, 2, 2)          \
    X(SWAP2, 0x91, 3, 3, 3)          \
    X(SWAP3, 0x92, 3, 4, 4)          \
    X(SWAP4, 0x93, 3, 5, 5)          \
    X(SWAP5, 0x94, 3, 6, 6)          \
    X(SWAP6, 0x95, 3, 7, 7)          \
    X(SWAP7, 0x96, 3, 8, 8)          \
    X(SWAP8, 0x97, 3, 9, 9)          \
    X(SWAP9, 0x98, 3, 10, 10)        \
    X(SWAP10, 0x99, 3, 11, 11)       \
    X(SWAP11, 0x9a, 3, 12, 12)       \
    X(SWAP12, 0x9b, 3, 13, 13)       \
    X(SWAP13, 0x9c, 3, 14, 14)       \
    X(SWAP14, 0x9d, 3, 15, 15)       \
    X(SWAP15, 0x9e, 3, 16, 16)       \
    X(SWAP16, 0x9f, 3, 17, 17)       \
    X(LOG0, 0xa0, 375, 2, 0)         \
    X(LOG1, 0xa1, 750, 3, 0)         \
    X(LOG2, 0xa2, 1125, 4, 0)        \
    X(LOG3, 0xa3, 1500, 5, 0)        \
    X(LOG4, 0xa4, 1875, 6, 0)        \
    X(CREATE, 0xf0, 32000, 3, 1)     \
    X(CALL, 0xf1, 100, 7, 1)         \
    X(CALLCODE, 0xf2, 100, 7, 1)     \
    X(RETURN, 0xf3, 0, 2, 0)         \
    X(DELEGATECALL, 0xf4, 100, 6, 1) \
    X(CREATE2, 0xf5, 32000, 4, 1)    \
    X(STATICCALL, 0xfa, 100, 6, 1)   \
    X(REVERT, 0xfd, 0, 2, 0)         \
    X(INVALID, 0xfe, 0, 0, 0)        \
    X(SELFDESTRUCT, 0xff, 5000, 1, 0)

enum Opcode : uint8_t {
#define HC_EVM_X(name, code, gas, in, out) OP_##name = code,
    HC_EVM_OPCODES(HC_EVM_X)
#undef HC_EVM_X
};

struct OpcodeInfo {
    const char* name = nullptr;  // nullptr: not defined in Cancun
    int16_t base_gas = 0;
    int8_t stack_in = 0;
    int8_t stack_change = 0;  // stack_out - stack_in
};

inline constexpr std::array<OpcodeInfo, 256> kOpcodeInfo = [] {
    std::array<OpcodeInfo, 256> t{};
#define HC_EVM_X(name, code, gas, in, out) \
    t[code] = OpcodeInfo{#name, gas, in, static_cast<int8_t>((out) - (in))};
    HC_EVM_OPCODES(HC_EVM_X)
#undef HC_EVM_X
    return t;
}();

}  // namespace hc::evm
