// Certificate and CRL parsing must reject or accept arbitrary bytes without crashing, and every
// accessor of an accepted certificate must be safe to call.
#include <string_view>

#include "crypto/x509.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    hc::BytesView in(data, size);
    if (auto cert = hc::crypto::Certificate::from_der(in)) {
        (void)cert->subject();
        (void)cert->issuer();
        (void)cert->serial();
        (void)cert->is_ca();
        (void)cert->path_len();
        (void)cert->key_usage();
        (void)cert->ext_key_usage();
        (void)cert->is_self_issued();
        (void)cert->public_key();
        (void)cert->to_pem();
        (void)hc::crypto::check_validity(*cert, 1'700'000'000);
        (void)hc::crypto::verify_chain(
            *cert, {}, std::span<const hc::crypto::Certificate>(&*cert, 1), 1'700'000'000);
    }
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)hc::crypto::Certificate::bundle_from_pem(text);
    (void)hc::crypto::Crl::from_der(in);
    return 0;
}
