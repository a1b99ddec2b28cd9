#include "evm/deep_stack.h"

#include <pthread.h>

#include <cstring>
#include <string>

namespace hc::evm {

namespace {

void* trampoline(void* arg) {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
}

}  // namespace

Status run_with_deep_stack(const std::function<void()>& fn) {
    pthread_attr_t attr;
    if (int e = pthread_attr_init(&attr); e != 0)
        return make_error(Errc::internal, std::string("pthread_attr_init: ") + std::strerror(e));
    int e = pthread_attr_setstacksize(&attr, kDeepStackBytes);
    pthread_t thread;
    if (e == 0)
        e = pthread_create(&thread, &attr, trampoline, const_cast<std::function<void()>*>(&fn));
    pthread_attr_destroy(&attr);
    if (e != 0)
        return make_error(Errc::internal,
                          "cannot start an execution thread with a " +
                              std::to_string(kDeepStackBytes >> 20) +
                              " MiB stack: " + std::strerror(e) +
                              "; check the memory limits (ulimit -v) of the node's process");
    pthread_join(thread, nullptr);
    return {};
}

}  // namespace hc::evm
