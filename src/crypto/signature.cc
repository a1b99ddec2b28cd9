#include "crypto/signature.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <bit>
#include <cstring>
#include <string>

namespace hc::crypto {

namespace {

template <auto Free>
struct Deleter {
    template <typename T>
    void operator()(T* p) const noexcept {
        Free(p);
    }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_clear_free>>;
using PointPtr = std::unique_ptr<EC_POINT, Deleter<EC_POINT_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;

// What differs between the two short-Weierstrass schemes.
struct EcCurve {
    const char* name;     // for messages
    const char* keytype;  // OpenSSL key-management name
    const char* group;    // OpenSSL group name
    int nid;
    const char* digest;  // the digest the scheme signs with
    uint8_t order[32];   // n, big-endian
};

const EcCurve kP256{"P-256",
                    "EC",
                    "prime256v1",
                    NID_X9_62_prime256v1,
                    "SHA2-256",
                    {0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
                     0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17,
                     0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51}};
// GB/T 32918.5-2017, the recommended 256-bit curve.
const EcCurve kSm2{
    "SM2", "SM2", "SM2", NID_sm2, "SM3", {0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF,
                                          0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                          0x72, 0x03, 0xDF, 0x6B, 0x21, 0xC6, 0x05, 0x2B,
                                          0x53, 0xBB, 0xF4, 0x09, 0x39, 0xD5, 0x41, 0x23}};

const EcCurve& ec_curve(SigAlgo algo) noexcept {
    return algo == SigAlgo::sm2 ? kSm2 : kP256;
}

bool is_known(SigAlgo algo) noexcept {
    return algo == SigAlgo::p256 || algo == SigAlgo::ed25519 || algo == SigAlgo::sm2;
}

// Takes the first queued OpenSSL error into the message and empties the thread's error queue,
// so a failure here never leaks into an unrelated later ERR_get_error() (e.g. in TLS code).
Error openssl_error(Errc code, std::string what) {
    unsigned long e = ERR_get_error();
    if (e != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof(buf));
        what += " (";
        what += buf;
        what += ")";
    }
    ERR_clear_error();
    return make_error(code, std::move(what));
}

// 1 <= v < n, for a 32-byte big-endian v.
bool scalar_in_range(const uint8_t* v, const uint8_t* n) noexcept {
    bool zero = true;
    for (size_t i = 0; i < 32; ++i)
        zero &= v[i] == 0;
    return !zero && std::memcmp(v, n, 32) < 0;
}

// SM2 signing divides by (1 + d), so d = n-1 is not a usable key (GB/T 32918.1, 6.1).
bool is_order_minus_one(const uint8_t* v, const uint8_t* n) noexcept {
    uint8_t n1[32];
    std::memcpy(n1, n, 32);
    n1[31] -= 1;  // the last byte of both orders is odd: no borrow
    return std::memcmp(v, n1, 32) == 0;
}

const EC_GROUP* ec_group(const EcCurve& curve) noexcept {
    // Created once and shared read-only across threads; never freed on purpose.
    static const EC_GROUP* p256 = EC_GROUP_new_by_curve_name(kP256.nid);
    static const EC_GROUP* sm2 = EC_GROUP_new_by_curve_name(kSm2.nid);
    return &curve == &kSm2 ? sm2 : p256;
}

// The uncompressed public point d·G.
Result<Bytes> ec_public_from_private(const EcCurve& curve, const uint8_t* d) {
    const EC_GROUP* group = ec_group(curve);
    if (group == nullptr) return openssl_error(Errc::internal, std::string(curve.name) + " group");
    BnPtr scalar(BN_secure_new());
    PointPtr point(EC_POINT_new(group));
    if (!scalar || !point || BN_bin2bn(d, 32, scalar.get()) == nullptr)
        return openssl_error(Errc::internal, "out of memory deriving a public key");
    BN_set_flags(scalar.get(), BN_FLG_CONSTTIME);
    Bytes out(65);
    if (EC_POINT_mul(group, point.get(), scalar.get(), nullptr, nullptr, nullptr) != 1 ||
        EC_POINT_point2oct(group, point.get(), POINT_CONVERSION_UNCOMPRESSED, out.data(),
                           out.size(), nullptr) != out.size())
        return openssl_error(Errc::internal,
                             std::string("cannot derive the ") + curve.name + " public key");
    return out;
}

// An OpenSSL key pair from the scalar and its (derived, uncompressed) public point.
Result<PkeyPtr> ec_keypair(const EcCurve& curve, BytesView pub, const uint8_t* priv) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, curve.keytype, nullptr));
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1)
        return openssl_error(Errc::internal, std::string("OpenSSL has no ") + curve.name);
    // OSSL_PARAM integers are in native byte order.
    uint8_t priv_native[32];
    OSSL_PARAM params[4];
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                   const_cast<char*>(curve.group), 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                    const_cast<uint8_t*>(pub.data()), pub.size());
    for (size_t i = 0; i < 32; ++i)
        priv_native[i] = std::endian::native == std::endian::little ? priv[31 - i] : priv[i];
    params[n++] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, priv_native, 32);
    params[n] = OSSL_PARAM_construct_end();
    EVP_PKEY* raw = nullptr;
    int rc = EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params);
    OPENSSL_cleanse(priv_native, sizeof(priv_native));
    if (rc != 1 || raw == nullptr)
        return openssl_error(Errc::internal,
                             std::string("cannot create the ") + curve.name + " key pair");
    return PkeyPtr(raw);
}

// A key holding only the curve's domain parameters, to be copied for each public key: copying
// it and setting the point costs a quarter or less of building the key from parameters (which
// recreates the group by name each time). One per thread: no EVP_PKEY is shared across threads.
Result<PkeyPtr> ec_public_pkey(const EcCurve& curve, BytesView pub) {
    struct Templates {
        PkeyPtr p256, sm2;
    };
    thread_local Templates templates;
    PkeyPtr& tmpl = &curve == &kSm2 ? templates.sm2 : templates.p256;
    if (!tmpl) {
        PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, curve.keytype, nullptr));
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                                const_cast<char*>(curve.group), 0),
                               OSSL_PARAM_construct_end()};
        EVP_PKEY* raw = nullptr;
        if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
            EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEY_PARAMETERS, params) != 1)
            return openssl_error(Errc::internal, std::string("OpenSSL has no ") + curve.name);
        tmpl.reset(raw);
    }
    PkeyPtr pkey(EVP_PKEY_dup(tmpl.get()));
    if (!pkey) return openssl_error(Errc::internal, "out of memory");
    // Decoding checks that the point is on the curve.
    if (EVP_PKEY_set1_encoded_public_key(pkey.get(), pub.data(), pub.size()) != 1)
        return openssl_error(Errc::invalid_argument,
                             std::string(curve.name) + " public key is not a point on the curve");
    return pkey;
}

Status check_public_encoding(SigAlgo algo, BytesView encoded) {
    if (!is_known(algo)) return make_error(Errc::invalid_argument, "unknown signature algorithm");
    if (encoded.size() != public_key_size(algo))
        return make_error(Errc::invalid_argument,
                          std::string(sig_algo_name(algo)) + " public key must be " +
                              std::to_string(public_key_size(algo)) + " bytes, got " +
                              std::to_string(encoded.size()));
    if (algo != SigAlgo::ed25519 && encoded[0] != 0x04)
        return make_error(Errc::invalid_argument,
                          std::string(sig_algo_name(algo)) +
                              " public key must be an uncompressed point (first byte 0x04)");
    return {};
}

// Appends a DER INTEGER holding a 32-byte big-endian value that is known to be non-zero.
void append_der_integer(uint8_t* out, size_t& pos, const uint8_t* v) noexcept {
    size_t skip = 0;
    while (skip < 31 && v[skip] == 0)
        ++skip;
    bool pad = (v[skip] & 0x80) != 0;  // keep the INTEGER positive
    size_t len = 32 - skip + (pad ? 1 : 0);
    out[pos++] = 0x02;
    out[pos++] = static_cast<uint8_t>(len);
    if (pad) out[pos++] = 0x00;
    std::memcpy(out + pos, v + skip, 32 - skip);
    pos += 32 - skip;
}

// r || s -> DER Ecdsa-Sig-Value, which OpenSSL's ECDSA and SM2 verifiers take. At most
// 2 + 2 * (2 + 33) = 72 bytes, so every length fits the short form.
size_t raw_to_der(const uint8_t* rs, uint8_t (&der)[72]) noexcept {
    size_t pos = 2;
    append_der_integer(der, pos, rs);
    append_der_integer(der, pos, rs + 32);
    der[0] = 0x30;
    der[1] = static_cast<uint8_t>(pos - 2);
    return pos;
}

Result<Bytes> der_to_raw(const uint8_t* der, size_t len) {
    const unsigned char* p = der;
    EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
    if (!sig) return openssl_error(Errc::internal, "OpenSSL produced an unparsable signature");
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    Bytes out(kSignatureSize);
    if (BN_bn2binpad(r, out.data(), 32) != 32 || BN_bn2binpad(s, out.data() + 32, 32) != 32)
        return openssl_error(Errc::internal, "OpenSSL produced an oversized signature");
    return out;
}

// The SM2 distinguishing ID must be set on the operation context after DigestSign/VerifyInit:
// OpenSSL 3.0 refuses it as an init parameter, and computes Z from it (and the public key)
// when the first message byte is hashed.
bool set_sm2_id(EVP_PKEY_CTX* pctx) noexcept {
    return EVP_PKEY_CTX_set1_id(pctx, kSm2DefaultId.data(), kSm2DefaultId.size()) == 1;
}

// EVP wants a non-null pointer even for an empty message on some paths.
const uint8_t* data_or_empty(BytesView v) noexcept {
    static const uint8_t kEmpty = 0;
    return v.empty() ? &kEmpty : v.data();
}

}  // namespace

const char* sig_algo_name(SigAlgo algo) noexcept {
    switch (algo) {
        case SigAlgo::p256:
            return "p256";
        case SigAlgo::ed25519:
            return "ed25519";
        case SigAlgo::sm2:
            return "sm2";
    }
    return "unknown";
}

Result<SigAlgo> parse_sig_algo(std::string_view name) {
    for (SigAlgo a : {SigAlgo::p256, SigAlgo::ed25519, SigAlgo::sm2})
        if (name == sig_algo_name(a)) return a;
    return make_error(Errc::invalid_argument, "unknown signature algorithm \"" + std::string(name) +
                                                  "\" (expected p256, ed25519 or sm2)");
}

Result<PublicKey> PublicKey::from_bytes(SigAlgo algo, BytesView encoded) {
    HC_TRY(check_public_encoding(algo, encoded));
    if (algo != SigAlgo::ed25519) HC_TRY(ec_public_pkey(ec_curve(algo), encoded));
    return PublicKey{algo, Bytes(encoded.begin(), encoded.end())};
}

void PrivateKey::PkeyDeleter::operator()(EVP_PKEY* p) const noexcept {
    EVP_PKEY_free(p);
}

PrivateKey::PrivateKey(SigAlgo algo, std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey, BytesView raw,
                       PublicKey public_key) noexcept
    : algo_(algo), pkey_(std::move(pkey)), public_key_(std::move(public_key)) {
    std::memcpy(raw_.data(), raw.data(), raw_.size());  // REQUIRES: raw.size() == 32
}

PrivateKey::PrivateKey(PrivateKey&& other) noexcept
    : algo_(other.algo_),
      pkey_(std::move(other.pkey_)),
      raw_(other.raw_),
      public_key_(std::move(other.public_key_)) {
    OPENSSL_cleanse(other.raw_.data(), other.raw_.size());
}

PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept {
    if (this != &other) {
        algo_ = other.algo_;
        pkey_ = std::move(other.pkey_);
        raw_ = other.raw_;
        public_key_ = std::move(other.public_key_);
        OPENSSL_cleanse(other.raw_.data(), other.raw_.size());
    }
    return *this;
}

PrivateKey::~PrivateKey() {
    OPENSSL_cleanse(raw_.data(), raw_.size());
}

Result<PrivateKey> PrivateKey::from_bytes(SigAlgo algo, BytesView raw) {
    if (!is_known(algo)) return make_error(Errc::invalid_argument, "unknown signature algorithm");
    if (raw.size() != kPrivateKeySize)
        return make_error(Errc::invalid_argument, std::string(sig_algo_name(algo)) +
                                                      " private key must be 32 bytes, got " +
                                                      std::to_string(raw.size()));
    if (algo == SigAlgo::ed25519) {
        std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey(
            EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, raw.data(), raw.size()));
        Bytes pub(32);
        size_t len = pub.size();
        if (!pkey || EVP_PKEY_get_raw_public_key(pkey.get(), pub.data(), &len) != 1 || len != 32)
            return openssl_error(Errc::internal, "cannot create an Ed25519 key");
        return PrivateKey(algo, std::move(pkey), raw, PublicKey{algo, std::move(pub)});
    }

    const EcCurve& curve = ec_curve(algo);
    if (!scalar_in_range(raw.data(), curve.order) ||
        (algo == SigAlgo::sm2 && is_order_minus_one(raw.data(), curve.order)))
        return make_error(Errc::invalid_argument, std::string(curve.name) +
                                                      " private key is zero or not below the "
                                                      "curve order");
    HC_ASSIGN_OR_RETURN(Bytes pub, ec_public_from_private(curve, raw.data()));
    HC_ASSIGN_OR_RETURN(PkeyPtr pkey, ec_keypair(curve, pub, raw.data()));
    return PrivateKey(algo, std::unique_ptr<EVP_PKEY, PkeyDeleter>(pkey.release()), raw,
                      PublicKey{algo, std::move(pub)});
}

Result<PrivateKey> PrivateKey::generate(SigAlgo algo) {
    if (!is_known(algo)) return make_error(Errc::invalid_argument, "unknown signature algorithm");
    // Any 32 bytes are an Ed25519 seed; for the curves, a uniform scalar is drawn by rejection
    // (a draw at or above n has probability below 2^-32).
    uint8_t buf[kPrivateKeySize];
    for (int attempt = 0; attempt < 64; ++attempt) {
        if (RAND_priv_bytes(buf, sizeof(buf)) != 1)
            return openssl_error(Errc::internal, "the random generator failed");
        auto key = from_bytes(algo, BytesView(buf, sizeof(buf)));
        OPENSSL_cleanse(buf, sizeof(buf));
        if (key || key.error().code != Errc::invalid_argument) return key;
    }
    return make_error(Errc::internal, "the random generator keeps producing invalid scalars");
}

Result<Bytes> sign(const PrivateKey& key, BytesView message) {
    if (key.pkey() == nullptr)
        return make_error(Errc::invalid_argument, "signing with a moved-from private key");
    MdCtxPtr mctx(EVP_MD_CTX_new());
    if (!mctx) return openssl_error(Errc::internal, "out of memory");
    const char* digest = key.algo() == SigAlgo::ed25519 ? nullptr : ec_curve(key.algo()).digest;
    EVP_PKEY_CTX* pctx = nullptr;  // owned by mctx
    if (EVP_DigestSignInit_ex(mctx.get(), &pctx, digest, nullptr, nullptr, key.pkey(), nullptr) !=
            1 ||
        (key.algo() == SigAlgo::sm2 && !set_sm2_id(pctx)))
        return openssl_error(Errc::internal, std::string("cannot start a ") +
                                                 sig_algo_name(key.algo()) + " signature");
    uint8_t buf[128];  // DER for the curves (at most 72 bytes), raw 64 bytes for Ed25519
    size_t len = key.algo() == SigAlgo::ed25519 ? kSignatureSize : sizeof(buf);
    if (EVP_DigestSign(mctx.get(), buf, &len, data_or_empty(message), message.size()) != 1)
        return openssl_error(Errc::internal,
                             std::string(sig_algo_name(key.algo())) + " signing failed");
    if (key.algo() == SigAlgo::ed25519) {
        if (len != kSignatureSize)
            return make_error(Errc::internal, "Ed25519 signature of unexpected length");
        return Bytes(buf, buf + len);
    }
    return der_to_raw(buf, len);
}

Status verify(const PublicKey& key, BytesView message, BytesView signature) noexcept {
    HC_TRY(check_public_encoding(key.algo, key.bytes));
    const char* name = sig_algo_name(key.algo);
    if (signature.size() != kSignatureSize)
        return make_error(Errc::invalid_argument, std::string(name) + " signature must be 64 " +
                                                      "bytes, got " +
                                                      std::to_string(signature.size()));
    PkeyPtr pkey;
    const char* digest = nullptr;
    uint8_t der[72];
    const uint8_t* sig = signature.data();
    size_t sig_len = signature.size();

    if (key.algo == SigAlgo::ed25519) {
        pkey.reset(EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, key.bytes.data(),
                                                  key.bytes.size()));
        if (!pkey) return openssl_error(Errc::invalid_argument, "unusable Ed25519 public key");
    } else {
        const EcCurve& curve = ec_curve(key.algo);
        if (!scalar_in_range(signature.data(), curve.order) ||
            !scalar_in_range(signature.data() + 32, curve.order))
            return make_error(Errc::crypto,
                              std::string(curve.name) + " signature has r or s outside [1, n-1]");
        HC_ASSIGN_OR_RETURN(pkey, ec_public_pkey(curve, key.bytes));
        digest = curve.digest;
        sig_len = raw_to_der(signature.data(), der);
        sig = der;
    }

    MdCtxPtr mctx(EVP_MD_CTX_new());
    if (!mctx) return openssl_error(Errc::internal, "out of memory");
    EVP_PKEY_CTX* pctx = nullptr;  // owned by mctx
    if (EVP_DigestVerifyInit_ex(mctx.get(), &pctx, digest, nullptr, nullptr, pkey.get(), nullptr) !=
            1 ||
        (key.algo == SigAlgo::sm2 && !set_sm2_id(pctx)))
        return openssl_error(Errc::internal,
                             std::string("cannot start a ") + name + " verification");
    int rc = EVP_DigestVerify(mctx.get(), sig, sig_len, data_or_empty(message), message.size());
    if (rc != 1) {
        ERR_clear_error();
        return make_error(Errc::crypto, std::string(name) + " signature does not verify");
    }
    return {};
}

}  // namespace hc::crypto
