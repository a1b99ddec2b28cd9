#include "crypto/x509.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>

namespace hc::crypto {

void X509Free::operator()(X509* p) const noexcept {
    X509_free(p);
}
void X509CrlFree::operator()(X509_CRL* p) const noexcept {
    X509_CRL_free(p);
}

namespace {

struct BioFree {
    void operator()(BIO* p) const noexcept { BIO_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
struct BnFree {
    void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
struct StoreFree {
    void operator()(X509_STORE* p) const noexcept { X509_STORE_free(p); }
};
struct StoreCtxFree {
    void operator()(X509_STORE_CTX* p) const noexcept { X509_STORE_CTX_free(p); }
};
// Stacks below hold borrowed pointers: free the stack, never its elements.
struct CertStackFree {
    void operator()(STACK_OF(X509) * p) const noexcept { sk_X509_free(p); }
};
struct CrlStackFree {
    void operator()(STACK_OF(X509_CRL) * p) const noexcept { sk_X509_CRL_free(p); }
};
struct OpensslFree {
    void operator()(void* p) const noexcept { OPENSSL_free(p); }
};

// The earliest error on OpenSSL's thread-local queue (the root cause; later entries only say
// "nested asn1 error"), then clears the queue so it does not leak into unrelated calls.
std::string take_openssl_error() {
    unsigned long first = ERR_get_error();
    ERR_clear_error();
    if (first == 0) return "no detail from OpenSSL";
    const char* reason = ERR_reason_error_string(first);
    const char* lib = ERR_lib_error_string(first);
    std::string out = lib ? std::string(lib) + ": " : std::string();
    out += reason ? reason : "error code " + std::to_string(ERR_GET_REASON(first));
    return out;
}

std::string size_text(size_t n) {
    if (n % 1024 == 0) return std::to_string(n / 1024) + " KiB";
    return std::to_string(n) + " bytes";
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// ASN1_TIME (UTCTime or GeneralizedTime, always UTC in certificates) to Unix seconds.
std::optional<int64_t> asn1_time_to_unix(const ASN1_TIME* t) noexcept {
    if (t == nullptr) return std::nullopt;
    std::tm tm{};
    if (ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
    const int64_t days =
        days_from_civil(int64_t{tm.tm_year} + 1900, static_cast<unsigned>(tm.tm_mon + 1),
                        static_cast<unsigned>(tm.tm_mday));
    return days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

std::string name_to_string(const X509_NAME* name) {
    if (name == nullptr) return {};
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio) return {};
    // RFC 2253 order and escaping, but UTF-8 left as is: organisation names need not be ASCII.
    constexpr unsigned long kFlags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
    // Should a string not be what its type claims (d2i already rejects bad UTF-8 and BMP
    // strings), print its bytes, non-ASCII ones escaped as \XX: never a silently empty name.
    constexpr unsigned long kBytesFlags = XN_FLAG_RFC2253 | ASN1_STRFLGS_IGNORE_TYPE;
    if (X509_NAME_print_ex(bio.get(), name, 0, kFlags) < 0) {
        ERR_clear_error();
        bio.reset(BIO_new(BIO_s_mem()));
        if (!bio || X509_NAME_print_ex(bio.get(), name, 0, kBytesFlags) < 0) {
            ERR_clear_error();
            return "<unprintable name>";
        }
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

// One PEM block: its type ("CERTIFICATE") and decoded body.
struct PemBlock {
    std::string type;
    Bytes body;
};

// Reads every PEM block in `text`. Text outside blocks is ignored, as OpenSSL does. Blocks
// with headers (legacy encrypted PEM) are refused rather than decrypted.
Result<std::vector<PemBlock>> read_pem_blocks(std::string_view text, size_t max_size,
                                              const char* what) {
    if (text.size() > max_size)
        return make_error(Errc::invalid_argument,
                          std::string(what) + " PEM text is " + std::to_string(text.size()) +
                              " bytes, over the " + size_text(max_size) + " limit");
    std::vector<PemBlock> blocks;
    if (text.empty()) return blocks;
    ERR_clear_error();
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (!bio) return make_error(Errc::internal, "out of memory reading PEM");
    for (;;) {
        char* name_raw = nullptr;
        char* header_raw = nullptr;
        unsigned char* data_raw = nullptr;
        long len = 0;
        int ok = PEM_read_bio(bio.get(), &name_raw, &header_raw, &data_raw, &len);
        std::unique_ptr<char, OpensslFree> name(name_raw), header(header_raw);
        std::unique_ptr<unsigned char, OpensslFree> data(data_raw);
        if (ok != 1) {
            unsigned long e = ERR_peek_last_error();
            if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
                ERR_clear_error();  // end of input: no further "-----BEGIN" line
                return blocks;
            }
            return make_error(Errc::decode, "malformed PEM block " +
                                                std::to_string(blocks.size() + 1) + ": " +
                                                take_openssl_error());
        }
        if (header && header.get()[0] != '\0')
            return make_error(Errc::unsupported,
                              "PEM block " + std::to_string(blocks.size() + 1) +
                                  " has headers (encrypted or legacy PEM); expected a plain "
                                  "block");
        PemBlock block;
        block.type = name ? name.get() : "";
        if (len > 0) block.body.assign(data.get(), data.get() + len);
        blocks.push_back(std::move(block));
    }
}

// Common strict-DER checks after a d2i_* call consumed [start, p).
template <typename T, typename I2d>
Status check_canonical(const T* obj, const uint8_t* start, const uint8_t* p, size_t size, I2d i2d,
                       Bytes* der_out, const char* what) {
    const size_t used = static_cast<size_t>(p - start);
    if (used != size)
        return make_error(Errc::decode,
                          std::to_string(size - used) + " trailing bytes after the " + what);
    int len = i2d(obj, nullptr);
    if (len <= 0) return make_error(Errc::decode, std::string("cannot re-encode the ") + what);
    der_out->resize(static_cast<size_t>(len));
    unsigned char* out = der_out->data();
    if (i2d(obj, &out) != len)
        return make_error(Errc::internal, std::string("re-encoding the ") + what + " failed");
    // One object, one encoding: a fingerprint or a ledger record must not depend on which of
    // several BER spellings a peer sent.
    if (*der_out != Bytes(start, start + size))
        return make_error(Errc::decode, std::string("the ") + what +
                                            " is not in canonical DER (BER or mis-encoded "
                                            "fields)");
    return {};
}

KeyUsage from_openssl_ku(uint32_t ku) noexcept {
    KeyUsage out = KeyUsage::none;
    const std::pair<uint32_t, KeyUsage> map[] = {
        {KU_DIGITAL_SIGNATURE, KeyUsage::digital_signature},
        {KU_NON_REPUDIATION, KeyUsage::non_repudiation},
        {KU_KEY_ENCIPHERMENT, KeyUsage::key_encipherment},
        {KU_DATA_ENCIPHERMENT, KeyUsage::data_encipherment},
        {KU_KEY_AGREEMENT, KeyUsage::key_agreement},
        {KU_KEY_CERT_SIGN, KeyUsage::key_cert_sign},
        {KU_CRL_SIGN, KeyUsage::crl_sign},
        {KU_ENCIPHER_ONLY, KeyUsage::encipher_only},
        {KU_DECIPHER_ONLY, KeyUsage::decipher_only},
    };
    for (const auto& [bit, usage] : map)
        if (ku & bit) out = out | usage;
    return out;
}

ExtKeyUsage from_openssl_xku(uint32_t xku) noexcept {
    ExtKeyUsage out = ExtKeyUsage::none;
    const std::pair<uint32_t, ExtKeyUsage> map[] = {
        {XKU_SSL_SERVER, ExtKeyUsage::server_auth},
        {XKU_SSL_CLIENT, ExtKeyUsage::client_auth},
        {XKU_CODE_SIGN, ExtKeyUsage::code_signing},
        {XKU_SMIME, ExtKeyUsage::email_protection},
        {XKU_TIMESTAMP, ExtKeyUsage::time_stamping},
        {XKU_OCSP_SIGN, ExtKeyUsage::ocsp_signing},
        {XKU_ANYEKU, ExtKeyUsage::any},
    };
    for (const auto& [bit, usage] : map)
        if (xku & bit) out = out | usage;
    return out;
}

// The DER SubjectPublicKeyInfo, for keys we have no raw form for.
Bytes spki_der(X509* x) {
    X509_PUBKEY* pub = X509_get_X509_PUBKEY(x);
    Bytes out;
    int len = pub ? i2d_X509_PUBKEY(pub, nullptr) : 0;
    if (len <= 0) return out;
    out.resize(static_cast<size_t>(len));
    unsigned char* p = out.data();
    i2d_X509_PUBKEY(pub, &p);
    return out;
}

// Uncompressed SEC1 point 0x04 || X || Y; empty if the parameters are unavailable.
Bytes ec_uncompressed_point(const EVP_PKEY* pk) {
    BIGNUM* x_raw = nullptr;
    BIGNUM* y_raw = nullptr;
    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x_raw);
    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y_raw);
    BnPtr x(x_raw), y(y_raw);
    const int bits = EVP_PKEY_get_bits(pk);
    if (!x || !y || bits <= 0) {
        ERR_clear_error();
        return {};
    }
    const int n = (bits + 7) / 8;
    Bytes out(1 + 2 * static_cast<size_t>(n));
    out[0] = 0x04;
    if (BN_bn2binpad(x.get(), out.data() + 1, n) != n ||
        BN_bn2binpad(y.get(), out.data() + 1 + n, n) != n)
        return {};
    return out;
}

std::string crl_issuer_mismatch(const X509_CRL* crl, const Certificate& issuer) {
    return "CRL issuer " + name_to_string(X509_CRL_get_issuer(crl)) +
           " does not match certificate subject " + issuer.subject();
}

}  // namespace

std::string format_utc(int64_t t) {
    // Hinnant's civil_from_days.
    int64_t days = t / 86400;
    int64_t secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days -= 1;
    }
    const int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m,
                  d, static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                  static_cast<int>(secs % 60));
    return buf;
}

std::string key_usage_names(KeyUsage usage) {
    static constexpr std::pair<KeyUsage, const char*> kNames[] = {
        {KeyUsage::digital_signature, "digitalSignature"},
        {KeyUsage::non_repudiation, "nonRepudiation"},
        {KeyUsage::key_encipherment, "keyEncipherment"},
        {KeyUsage::data_encipherment, "dataEncipherment"},
        {KeyUsage::key_agreement, "keyAgreement"},
        {KeyUsage::key_cert_sign, "keyCertSign"},
        {KeyUsage::crl_sign, "cRLSign"},
        {KeyUsage::encipher_only, "encipherOnly"},
        {KeyUsage::decipher_only, "decipherOnly"},
    };
    std::string out;
    for (const auto& [bit, name] : kNames) {
        if ((usage & bit) == KeyUsage::none) continue;
        if (!out.empty()) out += ',';
        out += name;
    }
    return out;
}

// ---- Certificate ----

Result<Certificate> Certificate::from_der(BytesView der) {
    if (der.empty()) return make_error(Errc::decode, "empty certificate: no bytes given");
    if (der.size() > kMaxCertificateSize)
        return make_error(Errc::invalid_argument, "certificate is " + std::to_string(der.size()) +
                                                      " bytes, over the " +
                                                      size_text(kMaxCertificateSize) + " limit");
    ERR_clear_error();
    const uint8_t* p = der.data();
    Certificate cert;
    cert.x509_.reset(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert.x509_)
        return make_error(Errc::decode, "not a DER X.509 certificate: " + take_openssl_error());
    HC_TRY(check_canonical(cert.x509_.get(), der.data(), p, der.size(), i2d_X509, &cert.der_,
                           "certificate"));
    X509* x = cert.x509_.get();
    // Decodes and caches the extensions; fails if any we rely on (basicConstraints, keyUsage,
    // extendedKeyUsage, key identifiers, ...) is malformed or repeated.
    if (X509_check_purpose(x, -1, 0) != 1) {
        ERR_clear_error();
        return make_error(Errc::decode, "certificate has malformed or duplicate extensions");
    }
    auto nb = asn1_time_to_unix(X509_get0_notBefore(x));
    auto na = asn1_time_to_unix(X509_get0_notAfter(x));
    if (!nb || !na) {
        ERR_clear_error();
        return make_error(Errc::decode, "certificate has a malformed validity time");
    }
    cert.not_before_ = *nb;
    cert.not_after_ = *na;
    unsigned int md_len = 0;
    if (EVP_Digest(cert.der_.data(), cert.der_.size(), cert.fingerprint_.data(), &md_len,
                   EVP_sha256(), nullptr) != 1 ||
        md_len != Hash32::size())
        return make_error(Errc::internal, "SHA-256 of certificate failed: " + take_openssl_error());
    return cert;
}

Result<std::vector<Certificate>> Certificate::bundle_from_pem(std::string_view pem) {
    HC_ASSIGN_OR_RETURN(auto blocks, read_pem_blocks(pem, kMaxPemBundleSize, "certificate"));
    if (blocks.empty())
        return make_error(Errc::decode,
                          "no PEM certificate found (expected \"-----BEGIN CERTIFICATE-----\")");
    std::vector<Certificate> out;
    out.reserve(blocks.size());
    for (size_t i = 0; i < blocks.size(); ++i) {
        if (blocks[i].type != "CERTIFICATE")
            return make_error(Errc::decode, "PEM block " + std::to_string(i + 1) + " is \"" +
                                                blocks[i].type + "\", expected \"CERTIFICATE\"");
        auto cert = from_der(blocks[i].body);
        if (!cert)
            return make_error(cert.error().code, "PEM certificate " + std::to_string(i + 1) + ": " +
                                                     cert.error().message);
        out.push_back(std::move(cert).value());
    }
    return out;
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
    if (pem.size() > kMaxCertificateSize)
        return make_error(Errc::invalid_argument,
                          "certificate PEM text is " + std::to_string(pem.size()) +
                              " bytes, over the " + size_text(kMaxCertificateSize) + " limit");
    HC_ASSIGN_OR_RETURN(auto certs, bundle_from_pem(pem));
    if (certs.size() != 1)
        return make_error(Errc::decode, "expected one PEM certificate, found " +
                                            std::to_string(certs.size()) +
                                            " (use bundle_from_pem for a chain)");
    return std::move(certs[0]);
}

Certificate Certificate::clone() const {
    auto copy = from_der(der_);
    assert(copy.ok());  // it parsed once; only memory exhaustion could fail here
    return std::move(copy).value();
}

std::string Certificate::subject() const {
    return name_to_string(X509_get_subject_name(x509_.get()));
}
std::string Certificate::issuer() const {
    return name_to_string(X509_get_issuer_name(x509_.get()));
}

std::string Certificate::serial() const {
    const ASN1_INTEGER* s = X509_get0_serialNumber(x509_.get());
    // ASN1_INTEGER holds the magnitude big-endian; the sign is in its type.
    const int len = ASN1_STRING_length(s);
    std::string hex =
        len > 0 ? to_hex(BytesView(ASN1_STRING_get0_data(s), static_cast<size_t>(len)), false)
                : std::string("00");
    if (ASN1_STRING_type(s) == V_ASN1_NEG_INTEGER) hex.insert(0, "-");
    return hex;
}

bool Certificate::is_ca() const noexcept {
    return (X509_get_extension_flags(x509_.get()) & EXFLAG_CA) != 0;
}

std::optional<int64_t> Certificate::path_len() const noexcept {
    long n = X509_get_pathlen(x509_.get());
    if (n < 0) return std::nullopt;
    return n;
}

std::optional<KeyUsage> Certificate::key_usage() const noexcept {
    if ((X509_get_extension_flags(x509_.get()) & EXFLAG_KUSAGE) == 0) return std::nullopt;
    return from_openssl_ku(X509_get_key_usage(x509_.get()));
}

std::optional<ExtKeyUsage> Certificate::ext_key_usage() const noexcept {
    if ((X509_get_extension_flags(x509_.get()) & EXFLAG_XKUSAGE) == 0) return std::nullopt;
    return from_openssl_xku(X509_get_extended_key_usage(x509_.get()));
}

bool Certificate::is_self_issued() const noexcept {
    return X509_NAME_cmp(X509_get_subject_name(x509_.get()), X509_get_issuer_name(x509_.get())) ==
           0;
}

SubjectPublicKey Certificate::public_key() const {
    SubjectPublicKey out;
    X509* x = x509_.get();
    const EVP_PKEY* pk = X509_get0_pubkey(x);
    if (pk == nullptr) {
        // An algorithm OpenSSL cannot load: report its OID and the raw SPKI.
        ERR_clear_error();
        const ASN1_OBJECT* oid = nullptr;
        X509_PUBKEY_get0_param(const_cast<ASN1_OBJECT**>(&oid), nullptr, nullptr, nullptr,
                               X509_get_X509_PUBKEY(x));
        char buf[128] = {};
        if (oid) OBJ_obj2txt(buf, sizeof buf, oid, 0);
        out.name = buf[0] ? buf : "unknown";
        out.key = spki_der(x);
        return out;
    }
    if (EVP_PKEY_is_a(pk, "ED25519")) {
        size_t len = 32;
        out.key.resize(len);
        if (EVP_PKEY_get_raw_public_key(pk, out.key.data(), &len) == 1 && len == 32) {
            out.algorithm = KeyAlgorithm::ed25519;
            out.name = "Ed25519";
            return out;
        }
        ERR_clear_error();
    } else if (EVP_PKEY_is_a(pk, "EC") || EVP_PKEY_is_a(pk, "SM2")) {
        char group[80] = {};
        size_t glen = 0;
        if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           &glen) == 1) {
            const std::string_view g(group, glen);
            if (g == "prime256v1" || g == "P-256") {
                out.algorithm = KeyAlgorithm::p256;
                out.name = "P-256";
            } else if (g == "secp256k1") {
                out.algorithm = KeyAlgorithm::secp256k1;
                out.name = "secp256k1";
            } else if (g == "SM2") {
                out.algorithm = KeyAlgorithm::sm2;
                out.name = "SM2";
            } else {
                out.name = "EC " + std::string(g);
            }
            out.key = ec_uncompressed_point(pk);
            if (!out.key.empty()) return out;
        }
        // Explicit curve parameters or an unreadable point: fall back to the SPKI.
        ERR_clear_error();
        out = SubjectPublicKey{};
        out.name = "EC";
    } else if (EVP_PKEY_is_a(pk, "RSA")) {
        out.algorithm = KeyAlgorithm::rsa;
        out.name = "RSA";
    } else {
        const char* n = EVP_PKEY_get0_type_name(pk);
        out.name = n ? n : "unknown";
    }
    out.key = spki_der(x);
    return out;
}

std::string Certificate::to_pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), x509_.get()) != 1) {
        ERR_clear_error();
        return {};
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(len));
}

// ---- Crl ----

Result<Crl> Crl::from_der(BytesView der) {
    if (der.empty()) return make_error(Errc::decode, "empty CRL: no bytes given");
    if (der.size() > kMaxCrlSize)
        return make_error(Errc::invalid_argument, "CRL is " + std::to_string(der.size()) +
                                                      " bytes, over the " + size_text(kMaxCrlSize) +
                                                      " limit");
    ERR_clear_error();
    const uint8_t* p = der.data();
    Crl crl;
    crl.crl_.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
    if (!crl.crl_) return make_error(Errc::decode, "not a DER X.509 CRL: " + take_openssl_error());
    HC_TRY(
        check_canonical(crl.crl_.get(), der.data(), p, der.size(), i2d_X509_CRL, &crl.der_, "CRL"));
    auto tu = asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl.crl_.get()));
    if (!tu) {
        ERR_clear_error();
        return make_error(Errc::decode, "CRL has a malformed thisUpdate time");
    }
    crl.this_update_ = *tu;
    if (const ASN1_TIME* nu = X509_CRL_get0_nextUpdate(crl.crl_.get())) {
        auto t = asn1_time_to_unix(nu);
        if (!t) {
            ERR_clear_error();
            return make_error(Errc::decode, "CRL has a malformed nextUpdate time");
        }
        crl.next_update_ = *t;
    }
    return crl;
}

Result<Crl> Crl::from_pem(std::string_view pem) {
    HC_ASSIGN_OR_RETURN(auto blocks, read_pem_blocks(pem, kMaxCrlSize, "CRL"));
    if (blocks.size() != 1)
        return make_error(Errc::decode,
                          "expected one PEM CRL (\"-----BEGIN X509 CRL-----\"), "
                          "found " +
                              std::to_string(blocks.size()) + " PEM blocks");
    if (blocks[0].type != "X509 CRL")
        return make_error(Errc::decode,
                          "PEM block is \"" + blocks[0].type + "\", expected \"X509 CRL\"");
    return from_der(blocks[0].body);
}

std::string Crl::issuer() const {
    return name_to_string(X509_CRL_get_issuer(crl_.get()));
}

size_t Crl::revoked_count() const noexcept {
    STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl_.get());
    return revoked ? static_cast<size_t>(sk_X509_REVOKED_num(revoked)) : 0;
}

bool Crl::is_revoked(const Certificate& cert) const noexcept {
    X509_REVOKED* entry = nullptr;
    // 1: listed; 2: listed with reason removeFromCRL (i.e. no longer revoked); 0: not listed.
    // OpenSSL also matches the issuer name, so a serial from another CA does not count.
    return X509_CRL_get0_by_cert(crl_.get(), &entry, cert.native()) == 1;
}

Status Crl::verify(const Certificate& issuer) const {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl_.get()), X509_get_subject_name(issuer.native())) != 0)
        return make_error(Errc::crypto, crl_issuer_mismatch(crl_.get(), issuer));
    if (auto ku = issuer.key_usage(); ku && !has_all(*ku, KeyUsage::crl_sign))
        return make_error(Errc::crypto, "certificate " + issuer.subject() +
                                            " may not sign CRLs: its keyUsage lacks cRLSign");
    EVP_PKEY* key = X509_get0_pubkey(issuer.native());
    if (key == nullptr) {
        ERR_clear_error();
        return make_error(Errc::unsupported, "cannot load the public key of " + issuer.subject());
    }
    ERR_clear_error();
    if (X509_CRL_verify(crl_.get(), key) != 1) {
        std::string detail = take_openssl_error();
        return make_error(Errc::crypto, "CRL signature does not verify under the key of " +
                                            issuer.subject() + " (" + detail + ")");
    }
    return {};
}

std::string Crl::to_pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509_CRL(bio.get(), crl_.get()) != 1) {
        ERR_clear_error();
        return {};
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(len));
}

// ---- Checks ----

Status verify_chain(const Certificate& leaf, std::span<const Certificate> intermediates,
                    std::span<const Certificate> trusted_cas, int64_t at_unix_time,
                    std::span<const Crl> crls) {
    if (trusted_cas.empty())
        return make_error(Errc::invalid_argument,
                          "no trusted CA certificates given to verify " + leaf.subject());
    if (at_unix_time < 0 || static_cast<uint64_t>(at_unix_time) >
                                static_cast<uint64_t>(std::numeric_limits<time_t>::max()))
        return make_error(Errc::invalid_argument,
                          "verification time " + std::to_string(at_unix_time) + " is out of range");
    ERR_clear_error();
    // A fresh store with no lookup methods: nothing but `trusted_cas` is trusted (never the
    // system CA directory).
    std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
    std::unique_ptr<STACK_OF(X509), CertStackFree> untrusted(sk_X509_new_null());
    std::unique_ptr<STACK_OF(X509_CRL), CrlStackFree> crl_stack(sk_X509_CRL_new_null());
    std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
    if (!store || !untrusted || !crl_stack || !ctx)
        return make_error(Errc::internal, "out of memory setting up certificate verification");
    for (const Certificate& ca : trusted_cas)
        if (X509_STORE_add_cert(store.get(), ca.native()) != 1)
            return make_error(Errc::internal, "cannot add trusted CA " + ca.subject() + ": " +
                                                  take_openssl_error());
    for (const Certificate& c : intermediates)
        if (sk_X509_push(untrusted.get(), c.native()) <= 0)
            return make_error(Errc::internal, "out of memory adding intermediates");
    for (const Crl& c : crls)
        if (sk_X509_CRL_push(crl_stack.get(), c.native()) <= 0)
            return make_error(Errc::internal, "out of memory adding CRLs");
    if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.native(), untrusted.get()) != 1)
        return make_error(Errc::internal,
                          "cannot initialise certificate verification: " + take_openssl_error());
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    // An explicit time instead of the clock: every node reaches the same verdict.
    X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at_unix_time));
    if (!crls.empty()) {
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK);
        X509_STORE_CTX_set0_crls(ctx.get(), crl_stack.get());
    }
    const int rc = X509_verify_cert(ctx.get());
    if (rc == 1) {
        ERR_clear_error();
        return {};
    }
    const int err = X509_STORE_CTX_get_error(ctx.get());
    const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    X509* at = X509_STORE_CTX_get_current_cert(ctx.get());
    std::string msg = err != X509_V_OK ? X509_verify_cert_error_string(err)
                                       : "verification failed: " + take_openssl_error();
    msg += " (depth " + std::to_string(depth) + ", subject " +
           name_to_string(at ? X509_get_subject_name(at) : X509_get_subject_name(leaf.native())) +
           ")";
    ERR_clear_error();
    return make_error(Errc::crypto, std::move(msg));
}

Status check_validity(const Certificate& cert, int64_t at_unix_time) {
    if (at_unix_time < cert.not_before())
        return make_error(Errc::crypto, "certificate " + cert.subject() + " is not valid until " +
                                            format_utc(cert.not_before()) + " (checked at " +
                                            format_utc(at_unix_time) + ")");
    if (at_unix_time >= cert.not_after())
        return make_error(Errc::crypto, "certificate " + cert.subject() + " expired at " +
                                            format_utc(cert.not_after()) + " (checked at " +
                                            format_utc(at_unix_time) + ")");
    return {};
}

Status check_key_usage(const Certificate& cert, KeyUsage required) {
    auto ku = cert.key_usage();
    if (!ku)
        return make_error(Errc::crypto,
                          "certificate " + cert.subject() +
                              " has no keyUsage extension; required: " + key_usage_names(required));
    if (!has_all(*ku, required)) {
        const auto missing =
            static_cast<KeyUsage>(static_cast<uint32_t>(required) & ~static_cast<uint32_t>(*ku));
        return make_error(Errc::crypto,
                          "certificate " + cert.subject() + " lacks keyUsage " +
                              key_usage_names(missing) + " (it has: " +
                              (*ku == KeyUsage::none ? std::string("none") : key_usage_names(*ku)) +
                              ")");
    }
    return {};
}

}  // namespace hc::crypto
