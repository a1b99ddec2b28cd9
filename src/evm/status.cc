#include "evm/host.h"

namespace hc::evm {

const char* status_name(StatusCode status) noexcept {
    switch (status) {
        case StatusCode::success:
            return "success";
        case StatusCode::revert:
            return "revert";
        case StatusCode::out_of_gas:
            return "out of gas";
        case StatusCode::invalid_instruction:
            return "invalid instruction";
        case StatusCode::undefined_instruction:
            return "undefined instruction";
        case StatusCode::stack_overflow:
            return "stack overflow";
        case StatusCode::stack_underflow:
            return "stack underflow";
        case StatusCode::bad_jump_destination:
            return "bad jump destination";
        case StatusCode::invalid_memory_access:
            return "invalid memory access";
        case StatusCode::call_depth_exceeded:
            return "call depth exceeded";
        case StatusCode::static_mode_violation:
            return "static mode violation";
        case StatusCode::precompile_failure:
            return "precompile failure";
        case StatusCode::contract_validation_failure:
            return "contract validation failure";
        case StatusCode::argument_out_of_range:
            return "argument out of range";
        case StatusCode::insufficient_balance:
            return "insufficient balance";
        case StatusCode::internal_error:
            return "internal error";
    }
    return "unknown status";
}

}  // namespace hc::evm
