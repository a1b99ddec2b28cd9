#include "common/error.h"

namespace hc {

const char* errc_name(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_argument:
            return "invalid argument";
        case Errc::decode:
            return "decode";
        case Errc::unsupported:
            return "unsupported";
        case Errc::crypto:
            return "crypto";
        case Errc::permission_denied:
            return "permission denied";
        case Errc::not_found:
            return "not found";
        case Errc::io:
            return "io";
        case Errc::internal:
            return "internal";
    }
    return "unknown";
}

}  // namespace hc
