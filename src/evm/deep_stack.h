// Running EVM execution where 1024 nested calls fit. Each nested call recurses through
// Host::call and execute on the native stack, which at full depth needs more than a default
// thread stack (8 MiB, and much more under sanitizers).
#pragma once

#include <cstddef>
#include <functional>

#include "common/error.h"

namespace hc::evm {

// Stack reserved for one execution thread. Only the pages a run touches are backed by memory.
inline constexpr size_t kDeepStackBytes = size_t{256} << 20;

// Runs fn on a thread with kDeepStackBytes of stack and waits for it. Fails, without running fn,
// if the system cannot start such a thread.
Status run_with_deep_stack(const std::function<void()>& fn);

}  // namespace hc::evm
