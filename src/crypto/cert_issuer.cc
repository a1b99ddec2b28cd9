#include "crypto/cert_issuer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "common/durable_file.h"
#include "common/keccak.h"
#include "crypto/secp256k1.h"

namespace hc::crypto {

namespace {

namespace fs = std::filesystem;

template <auto Fn>
struct Deleter {
    template <typename T>
    void operator()(T* p) const noexcept {
        Fn(p);
    }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using AsnTimePtr = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_clear_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;

// Largest key file read: a P-256 PEM key is ~240 bytes; the cap stops a wrong path (a log, a
// disk image) from being read whole.
constexpr size_t kMaxKeyFileSize = 64 * 1024;

// OpenSSL's reason for the last failure, with the error queue cleared so it cannot leak into
// an unrelated later message.
Error openssl_error(Errc code, const std::string& what) {
    std::string detail;
    if (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        detail = std::string(": ") + buf;
    }
    ERR_clear_error();
    return make_error(code, what + detail);
}

Status check_name(std::string_view what, std::string_view name, size_t max_size) {
    if (name.empty()) return make_error(Errc::invalid_argument, std::string(what) + " is empty");
    if (name.size() > max_size)
        return make_error(Errc::invalid_argument, std::string(what) + " \"" + std::string(name) +
                                                      "\" is longer than " +
                                                      std::to_string(max_size) + " bytes");
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            return make_error(Errc::invalid_argument,
                              std::string(what) + " contains a control character");
    }
    if (name.front() == ' ' || name.back() == ' ')
        return make_error(Errc::invalid_argument, std::string(what) + " \"" + std::string(name) +
                                                      "\" starts or ends with a space");
    return {};
}

Status check_validity_period(int64_t not_before, int64_t not_after) {
    if (not_before < 0 || not_after <= not_before)
        return make_error(Errc::invalid_argument,
                          "certificate validity must satisfy 0 <= not_before < not_after, got " +
                              std::to_string(not_before) + " .. " + std::to_string(not_after));
    return {};
}

// "IP:10.0.0.1" / "DNS:node1.example" (the X509V3 configuration syntax), with the key it is
// deduplicated by: the canonical address text for IPs, the lower-cased name for DNS.
Result<std::pair<std::string, std::string>> san_entry(const std::string& host) {
    unsigned char buf[16];
    char text[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET, host.c_str(), buf) == 1) {
        inet_ntop(AF_INET, buf, text, sizeof text);
        return std::pair{std::string("IP:") + text, std::string("ip ") + text};
    }
    std::string bare = host;
    if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
        bare = bare.substr(1, bare.size() - 2);
    if (inet_pton(AF_INET6, bare.c_str(), buf) == 1) {
        inet_ntop(AF_INET6, buf, text, sizeof text);
        return std::pair{std::string("IP:") + text, std::string("ip ") + text};
    }
    if (!is_dns_name(host))
        return make_error(Errc::invalid_argument,
                          "host \"" + host +
                              "\" is neither an IP address nor a DNS name (letters, digits, '-' "
                              "and '.', labels of 1-63 characters)");
    std::string lower = host;
    for (char& c : lower)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return std::pair{"DNS:" + host, "dns " + lower};
}

Status add_ext(X509* x, X509V3_CTX* ctx, int nid, const std::string& value) {
    ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
    if (!ext) return openssl_error(Errc::internal, "cannot build extension " + value);
    if (X509_add_ext(x, ext.get(), -1) != 1)
        return openssl_error(Errc::internal, "cannot add extension " + value);
    return {};
}

Status set_time(X509* x, int64_t t, bool not_after) {
    AsnTimePtr time(ASN1_TIME_set(nullptr, static_cast<time_t>(t)));
    if (!time)
        return openssl_error(Errc::invalid_argument, "cannot encode time " + std::to_string(t));
    int rc = not_after ? X509_set1_notAfter(x, time.get()) : X509_set1_notBefore(x, time.get());
    if (rc != 1) return openssl_error(Errc::internal, "cannot set certificate validity");
    return {};
}

// 127 random bits, never zero: positive and well under RFC 5280's 20-octet limit.
Status set_random_serial(X509* x) {
    BnPtr bn(BN_new());
    if (!bn || BN_rand(bn.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1)
        return openssl_error(Errc::internal, "cannot draw a random serial number");
    if (BN_is_zero(bn.get())) BN_one(bn.get());
    if (BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x)) == nullptr)
        return openssl_error(Errc::internal, "cannot set the serial number");
    return {};
}

// A subject name: O, then OU when not empty, then CN (the RFC 2253 form lists them reversed).
struct SubjectName {
    std::string organisation;
    std::string unit;
    std::string common_name;
};

Status set_subject(X509* x, const SubjectName& subject) {
    X509_NAME* name = X509_get_subject_name(x);
    const std::pair<const char*, const std::string*> entries[] = {
        {"O", &subject.organisation}, {"OU", &subject.unit}, {"CN", &subject.common_name}};
    for (const auto& [attr, value] : entries) {
        if (value->empty() && std::string_view(attr) == "OU") continue;
        if (X509_NAME_add_entry_by_txt(name, attr, MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(value->c_str()), -1,
                                       -1, 0) != 1)
            return openssl_error(Errc::invalid_argument,
                                 std::string("cannot put ") + attr + "=" + *value + " in a name");
    }
    return {};
}

// A version-3 certificate with a random serial, the validity period, the subject and the subject's
// public key, issued by `issuer_name`; the caller adds extensions and signs it.
Result<X509Ptr> start_certificate(int64_t not_before, int64_t not_after, const SubjectName& subject,
                                  const X509_NAME* issuer_name, EVP_PKEY* subject_key) {
    X509Ptr x(X509_new());
    if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1)
        return openssl_error(Errc::internal, "cannot start a certificate");
    HC_TRY(set_random_serial(x.get()));
    HC_TRY(set_time(x.get(), not_before, false));
    HC_TRY(set_time(x.get(), not_after, true));
    HC_TRY(set_subject(x.get(), subject));
    // A self-signed certificate's issuer is its own subject, set just above.
    if (!issuer_name) issuer_name = X509_get_subject_name(x.get());
    if (X509_set_issuer_name(x.get(), issuer_name) != 1 ||
        X509_set_pubkey(x.get(), subject_key) != 1)
        return openssl_error(Errc::internal, "cannot set the certificate's issuer name or key");
    return x;
}

Result<Certificate> sign_and_parse(X509* x, const PrivateKey& signer) {
    if (X509_sign(x, signer.pkey(), EVP_sha256()) <= 0)
        return openssl_error(Errc::crypto, "cannot sign the certificate");
    int len = i2d_X509(x, nullptr);
    if (len <= 0) return openssl_error(Errc::internal, "cannot encode the certificate");
    Bytes der(static_cast<size_t>(len));
    unsigned char* p = der.data();
    i2d_X509(x, &p);
    return Certificate::from_der(der);
}

// What every certificate an organisation CA issues requires of it: a CA allowed to sign
// certificates, whose key ca_key is, of the same organisation, and valid for the whole of the
// new certificate's validity.
Status check_issuer(const Certificate& ca, const PrivateKey& ca_key,
                    const std::string& organisation, int64_t not_before, int64_t not_after,
                    std::string_view what) {
    if (!ca.is_ca())
        return make_error(
            Errc::invalid_argument,
            "issuer " + ca.subject() + " is not a CA (basicConstraints cA is not set)");
    if (auto ku = ca.key_usage(); ku && !has_all(*ku, KeyUsage::key_cert_sign))
        return make_error(Errc::invalid_argument,
                          "issuer " + ca.subject() + " may not sign certificates (no keyCertSign)");
    HC_TRY(check_key_matches(ca, ca_key));
    if (std::string ca_org = subject_organisation(ca); !ca_org.empty() && ca_org != organisation)
        return make_error(Errc::invalid_argument, "the CA of organisation \"" + ca_org +
                                                      "\" cannot issue a certificate for \"" +
                                                      organisation + "\"");
    if (not_before < ca.not_before() || not_after > ca.not_after())
        return make_error(Errc::invalid_argument,
                          std::string(what) + " validity " + format_utc(not_before) + " .. " +
                              format_utc(not_after) + " must lie within the CA's " +
                              format_utc(ca.not_before()) + " .. " + format_utc(ca.not_after()));
    return {};
}

// A certificate for an end entity (a node or a member) issued by `ca`: basicConstraints critical
// CA:FALSE, keyUsage critical digitalSignature, the given extendedKeyUsage, subjectAltName unless
// `san` is empty, subject and authority key identifiers; signed with ca_key.
Result<Certificate> issue_end_entity(const Certificate& ca, const PrivateKey& ca_key,
                                     int64_t not_before, int64_t not_after,
                                     const SubjectName& subject, EVP_PKEY* subject_key,
                                     const std::string& ext_key_usage, const std::string& san) {
    HC_ASSIGN_OR_RETURN(X509Ptr x,
                        start_certificate(not_before, not_after, subject,
                                          X509_get_subject_name(ca.native()), subject_key));
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca.native(), x.get(), nullptr, nullptr, 0);
    HC_TRY(add_ext(x.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
    HC_TRY(add_ext(x.get(), &ctx, NID_key_usage, "critical,digitalSignature"));
    HC_TRY(add_ext(x.get(), &ctx, NID_ext_key_usage, ext_key_usage));
    if (!san.empty()) HC_TRY(add_ext(x.get(), &ctx, NID_subject_alt_name, san));
    HC_TRY(add_ext(x.get(), &ctx, NID_subject_key_identifier, "hash"));
    HC_TRY(add_ext(x.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
    return sign_and_parse(x.get(), ca_key);
}

// The EC private scalar of pkey as 32 big-endian bytes. The caller wipes `out`.
Status private_scalar(EVP_PKEY* pkey, uint8_t (&out)[kPrivateKeySize]) {
    BIGNUM* raw_bn = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &raw_bn) != 1)
        return openssl_error(Errc::decode, "the key holds no private scalar");
    BnPtr bn(raw_bn);
    if (BN_bn2binpad(bn.get(), out, sizeof out) != static_cast<int>(sizeof out))
        return make_error(Errc::decode, "the private scalar is longer than 32 bytes");
    return {};
}

// The UTF-8 text of the first `nid` entry of the certificate's subject, or "".
std::string subject_entry(const Certificate& cert, int nid) {
    X509_NAME* name = X509_get_subject_name(cert.native());
    int idx = X509_NAME_get_index_by_NID(name, nid, -1);
    if (idx < 0) return {};
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0) {
        ERR_clear_error();
        return {};
    }
    std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
    OPENSSL_free(utf8);
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() &&
           (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// The 32 bytes of a secret written as 64 hex digits with or without "0x"; `key` names it in
// messages ("consensus key"), `secret` says what it holds ("P-256").
Result<Bytes> secret_from_hex(std::string_view body, const std::string& key,
                              const std::string& secret) {
    if (body.starts_with("0x") || body.starts_with("0X")) body.remove_prefix(2);
    if (body.size() != 2 * kPrivateKeySize)
        return make_error(Errc::decode, "a " + key + " is 64 hex digits (a 32-byte " + secret +
                                            " secret, optionally with 0x), got " +
                                            std::to_string(body.size()) + " characters");
    auto raw = from_hex(body);
    if (!raw) return make_error(Errc::decode, key + ": " + raw.error().message);
    return raw;
}

// Writes a secret's text at mode 0600, then wipes the text.
Status write_secret_text(const fs::path& path, std::string text) {
    Status st = write_private_file(path, text);
    OPENSSL_cleanse(text.data(), text.size());
    return st;
}

// Reads a key file and parses it with `parse`, wiping the text; errors name the file.
template <typename Parse>
auto read_secret_file(const fs::path& path, Parse parse) -> decltype(parse(std::string_view())) {
    HC_ASSIGN_OR_RETURN(std::string text, read_small_file(path, kMaxKeyFileSize));
    auto key = parse(std::string_view(text));
    OPENSSL_cleanse(text.data(), text.size());
    if (!key) return make_error(key.error().code, path.string() + ": " + key.error().message);
    return key;
}

// A fresh secp256k1 key pair from OpenSSL's private random generator (as PrivateKey::generate
// draws P-256 keys), with its raw scalar in `raw`. The caller wipes `raw`.
Result<PkeyPtr> generate_secp256k1(uint8_t (&raw)[kPrivateKeySize]) {
    PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"));
    if (!pkey) return openssl_error(Errc::crypto, "cannot generate a secp256k1 key");
    HC_TRY(private_scalar(pkey.get(), raw));
    return pkey;
}

// One certificate from DER or PEM text: DER always opens with a SEQUENCE tag (0x30); anything
// else must hold a PEM block.
Result<Certificate> certificate_from_der_or_pem(BytesView input) {
    if (input.empty()) return make_error(Errc::decode, "the certificate is empty");
    if (input[0] == 0x30) return Certificate::from_der(input);
    std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
    if (text.find("-----BEGIN") == std::string_view::npos)
        return make_error(Errc::decode,
                          "not a certificate: expected DER (starting with byte 0x30) or PEM text "
                          "(-----BEGIN CERTIFICATE-----), got " +
                              std::to_string(input.size()) + " bytes starting with 0x" +
                              to_hex(input.subspan(0, 1), false));
    return Certificate::from_pem(text);
}

// The only `nid` entry of the subject (`attr` names it in messages); absent, repeated or
// undecodable entries are errors, since a member's organisation and role must be unambiguous.
Result<std::string> single_subject_entry(const Certificate& cert, int nid, const char* attr) {
    X509_NAME* name = X509_get_subject_name(cert.native());
    const int first = X509_NAME_get_index_by_NID(name, nid, -1);
    if (first < 0)
        return make_error(Errc::crypto,
                          "certificate " + cert.subject() + " has no " + attr + " in its subject");
    if (X509_NAME_get_index_by_NID(name, nid, first) >= 0)
        return make_error(Errc::crypto, "certificate " + cert.subject() + " has more than one " +
                                            attr + " in its subject");
    std::string value = subject_entry(cert, nid);
    if (value.empty())
        return make_error(Errc::crypto, "certificate " + cert.subject() +
                                            " has an empty or undecodable " + attr +
                                            " in its subject");
    return value;
}

// Wipes a secret on every path out of a scope.
struct Wipe {
    void* data;
    size_t size;
    ~Wipe() { OPENSSL_cleanse(data, size); }
};

bool is_member_role(std::string_view role) {
    return role == kMemberRoleClient || role == kMemberRoleAdmin;
}

}  // namespace

KeyedMemberCertificate::~KeyedMemberCertificate() {
    OPENSSL_cleanse(private_key.data(), private_key.size());
}

std::string subject_organisation(const Certificate& cert) {
    return subject_entry(cert, NID_organizationName);
}

std::string subject_common_name(const Certificate& cert) {
    return subject_entry(cert, NID_commonName);
}

bool is_ip_literal(std::string_view host) {
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host.size() >= INET6_ADDRSTRLEN) return false;
    std::string text(host);
    unsigned char buf[16];
    return inet_pton(AF_INET, text.c_str(), buf) == 1 ||
           inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool is_dns_name(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    size_t label = 0;
    char prev = '.';
    bool all_numeric = true;
    for (char c : host) {
        if (c == '.') {
            if (label == 0 || prev == '-') return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-') {
            if (label == 0 && c == '-') return false;
            if (++label > 63) return false;
            if (c < '0' || c > '9') all_numeric = false;
        } else {
            return false;
        }
        prev = c;
    }
    return label > 0 && prev != '-' && !all_numeric;
}

Result<KeyedCertificate> create_organisation_ca(const CaSpec& spec) {
    HC_TRY(check_name("organisation name", spec.organisation, kMaxOrganisationNameSize));
    HC_TRY(check_validity_period(spec.not_before, spec.not_after));
    HC_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::generate(SigAlgo::p256));

    HC_ASSIGN_OR_RETURN(
        X509Ptr x,
        start_certificate(spec.not_before, spec.not_after,
                          {spec.organisation, "", spec.organisation + " CA"}, nullptr, key.pkey()));

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
    // pathlen:0: an organisation CA signs node and member certificates directly; a
    // sub-CA under it would be an identity the consortium never voted on.
    HC_TRY(add_ext(x.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
    HC_TRY(add_ext(x.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
    HC_TRY(add_ext(x.get(), &ctx, NID_subject_key_identifier, "hash"));
    HC_ASSIGN_OR_RETURN(Certificate cert, sign_and_parse(x.get(), key));
    return KeyedCertificate{std::move(cert), std::move(key)};
}

Result<KeyedCertificate> issue_node_certificate(const Certificate& ca, const PrivateKey& ca_key,
                                                const NodeCertSpec& spec) {
    HC_TRY(check_name("organisation name", spec.organisation, kMaxOrganisationNameSize));
    HC_TRY(check_name("node name", spec.node_name, kMaxNodeNameSize));
    HC_TRY(check_validity_period(spec.not_before, spec.not_after));
    HC_TRY(check_issuer(ca, ca_key, spec.organisation, spec.not_before, spec.not_after,
                        "node certificate"));

    // subjectAltName: localhost first so that a local test network always verifies.
    std::vector<std::string> hosts = {"localhost", "127.0.0.1"};
    hosts.insert(hosts.end(), spec.hosts.begin(), spec.hosts.end());
    std::set<std::string> seen;
    std::string san;
    for (const std::string& host : hosts) {
        HC_ASSIGN_OR_RETURN(auto entry, san_entry(host));
        if (!seen.insert(entry.second).second) continue;
        if (!san.empty()) san += ',';
        san += entry.first;
    }

    HC_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::generate(SigAlgo::p256));
    HC_ASSIGN_OR_RETURN(Certificate cert,
                        issue_end_entity(ca, ca_key, spec.not_before, spec.not_after,
                                         {spec.organisation, "", spec.node_name}, key.pkey(),
                                         "serverAuth,clientAuth", san));
    return KeyedCertificate{std::move(cert), std::move(key)};
}

Result<KeyedMemberCertificate> issue_member_certificate(const Certificate& ca,
                                                        const PrivateKey& ca_key,
                                                        const MemberCertSpec& spec) {
    HC_TRY(check_name("organisation name", spec.organisation, kMaxOrganisationNameSize));
    if (!is_member_role(spec.role))
        return make_error(
            Errc::invalid_argument,
            "member role must be \"client\" or \"admin\", got \"" + spec.role.substr(0, 80) + "\"");
    HC_TRY(check_name("member name", spec.name, kMaxMemberCommonNameSize));
    HC_TRY(check_validity_period(spec.not_before, spec.not_after));
    HC_TRY(check_issuer(ca, ca_key, spec.organisation, spec.not_before, spec.not_after,
                        "member certificate"));

    uint8_t raw[kPrivateKeySize] = {};
    Wipe wipe_raw{raw, sizeof raw};
    HC_ASSIGN_OR_RETURN(PkeyPtr pkey, generate_secp256k1(raw));
    HC_ASSIGN_OR_RETURN(
        Certificate cert,
        issue_end_entity(ca, ca_key, spec.not_before, spec.not_after,
                         {spec.organisation, spec.role, spec.name}, pkey.get(), "clientAuth", ""));
    Hash32 key;
    std::memcpy(key.data(), raw, sizeof raw);
    KeyedMemberCertificate out(std::move(cert), key);
    OPENSSL_cleanse(key.data(), key.size());

    // Transactions are signed with libsecp256k1, not OpenSSL: check that the scalar handed out
    // is the key the certificate certifies, so the member's address is the one it signs as.
    auto derived = secp256k1_public_key(out.private_key);
    const SubjectPublicKey pub = out.cert.public_key();
    if (!derived || pub.key.size() != 1 + derived->size() ||
        !std::equal(derived->begin(), derived->end(), pub.key.begin() + 1))
        return make_error(Errc::internal,
                          "the generated secp256k1 private key does not match its certificate");
    return out;
}

Result<MemberCertificateInfo> verify_member_certificate(BytesView cert_der_or_pem,
                                                        std::span<const Certificate> org_cas,
                                                        int64_t now_unix) {
    auto parsed = certificate_from_der_or_pem(cert_der_or_pem);
    if (!parsed)
        return make_error(parsed.error().code,
                          "member certificate does not parse: " + parsed.error().message);
    const Certificate& cert = *parsed;
    if (org_cas.empty())
        return make_error(
            Errc::invalid_argument,
            "no organisation CA given to verify member certificate " + cert.subject() + " against");
    // The leaf's own dates first, so an expired member certificate is reported with them.
    HC_TRY(check_validity(cert, now_unix));
    // Which CA issued it: its organisation is the only one the certificate may speak for. A CA
    // that did not issue it fails at the name lookup, before any signature check.
    const Certificate* issuer = nullptr;
    for (const Certificate& ca : org_cas) {
        if (verify_chain(cert, {}, std::span(&ca, 1), now_unix)) {
            issuer = &ca;
            break;
        }
    }
    if (!issuer) {
        // Against all of them at once for OpenSSL's reason (an unknown issuer, a bad signature,
        // an expired CA).
        Status st = verify_chain(cert, {}, org_cas, now_unix);
        return make_error(st ? Errc::internal : st.error().code,
                          "member certificate " + cert.subject() + " (issuer " + cert.issuer() +
                              ") does not chain to an organisation CA: " +
                              (st ? std::string("it verifies against the CAs together but no one "
                                                "alone")
                                  : st.error().message));
    }
    if (cert.is_ca())
        return make_error(Errc::crypto, "certificate " + cert.subject() +
                                            " is a CA certificate (basicConstraints cA), not a "
                                            "member certificate; issue one with `honeycomb cert "
                                            "issue`");
    HC_TRY(check_key_usage(cert, KeyUsage::digital_signature));
    const SubjectPublicKey pub = cert.public_key();
    if (pub.algorithm != KeyAlgorithm::secp256k1)
        return make_error(Errc::crypto,
                          "certificate " + cert.subject() + " certifies a " + pub.name +
                              " key, but a member certificate certifies a secp256k1 key (an "
                              "Ethereum account); node TLS certificates cannot act as members");
    if (pub.key.size() != 65 || pub.key[0] != 0x04)
        return make_error(Errc::crypto, "certificate " + cert.subject() +
                                            " holds a malformed secp256k1 public key");

    MemberCertificateInfo info;
    HC_ASSIGN_OR_RETURN(info.organisation, single_subject_entry(cert, NID_organizationName, "O"));
    HC_ASSIGN_OR_RETURN(info.role, single_subject_entry(cert, NID_organizationalUnitName, "OU"));
    HC_ASSIGN_OR_RETURN(info.name, single_subject_entry(cert, NID_commonName, "CN"));
    if (!is_member_role(info.role))
        return make_error(Errc::crypto, "certificate " + cert.subject() + " has role (OU) \"" +
                                            info.role +
                                            "\"; a member's role is \"client\" or \"admin\"");
    if (const std::string ca_org = subject_organisation(*issuer); ca_org != info.organisation)
        return make_error(Errc::crypto, "certificate " + cert.subject() +
                                            " claims organisation \"" + info.organisation +
                                            "\" but was issued by the CA of \"" + ca_org + "\"");
    info.address = address_from_public_key(BytesView(pub.key).subspan(1));
    info.not_before = cert.not_before();
    info.not_after = cert.not_after();
    info.fingerprint = keccak256(cert.der());
    return info;
}

Status check_key_matches(const Certificate& cert, const PrivateKey& key) {
    SubjectPublicKey pub = cert.public_key();
    if (pub.key != key.public_key().bytes)
        return make_error(Errc::crypto, "the private key does not belong to certificate " +
                                            cert.subject() + " (its public key differs)");
    return {};
}

Result<std::string> private_key_to_pem(const PrivateKey& key) {
    if (key.algo() != SigAlgo::p256 || key.pkey() == nullptr)
        return make_error(Errc::unsupported, "only P-256 keys are written as PEM here");
    BioPtr bio(BIO_new(BIO_s_secmem()));
    // With no cipher OpenSSL 3 writes an unencrypted PKCS#8 "PRIVATE KEY" block.
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), key.pkey(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return openssl_error(Errc::internal, "cannot encode the private key as PEM");
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    if (len <= 0 || data == nullptr)
        return make_error(Errc::internal, "cannot encode the private key as PEM");
    return std::string(data, static_cast<size_t>(len));
}

Result<PrivateKey> private_key_from_pem(std::string_view pem) {
    if (pem.size() > kMaxKeyFileSize)
        return make_error(Errc::decode, "private key PEM is larger than " +
                                            std::to_string(kMaxKeyFileSize) + " bytes");
    if (pem.find("ENCRYPTED") != std::string_view::npos)
        return make_error(Errc::unsupported,
                          "the private key is encrypted; store it unencrypted with mode 0600 "
                          "(`openssl pkey -in KEY -out KEY.plain`)");
    if (pem.find("-----BEGIN") == std::string_view::npos)
        return make_error(Errc::decode,
                          "no PEM block found (expected -----BEGIN PRIVATE KEY-----)");
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return openssl_error(Errc::internal, "cannot read the PEM text");
    // A password callback that supplies none: an encrypted key fails instead of prompting.
    auto no_password = [](char*, int, int, void*) -> int { return 0; };
    PkeyPtr pkey(
        PEM_read_bio_PrivateKey_ex(bio.get(), nullptr, no_password, nullptr, nullptr, nullptr));
    if (!pkey) return openssl_error(Errc::decode, "not a valid PEM private key");
    ERR_clear_error();
    char group[64] = {0};
    size_t group_len = 0;
    if (!EVP_PKEY_is_a(pkey.get(), "EC") ||
        EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &group_len) != 1 ||
        (std::string_view(group) != "prime256v1" && std::string_view(group) != "P-256")) {
        ERR_clear_error();
        return make_error(
            Errc::unsupported,
            std::string("expected a P-256 (prime256v1) key, got ") +
                (EVP_PKEY_get0_type_name(pkey.get()) ? EVP_PKEY_get0_type_name(pkey.get())
                                                     : "an unknown type") +
                (group_len ? std::string(" on ") + group : std::string()));
    }
    uint8_t raw[kPrivateKeySize];
    if (Status st = private_scalar(pkey.get(), raw); !st) {
        OPENSSL_cleanse(raw, sizeof raw);
        return make_error(st.error().code, "the PEM key: " + st.error().message);
    }
    auto key = PrivateKey::from_bytes(SigAlgo::p256, BytesView(raw, sizeof raw));
    OPENSSL_cleanse(raw, sizeof raw);
    return key;
}

std::string consensus_key_to_text(const PrivateKey& key) {
    return to_hex(key.raw().view()) + "\n";
}

Result<PrivateKey> consensus_key_from_text(std::string_view text) {
    if (text.size() > kMaxKeyFileSize)
        return make_error(Errc::decode, "consensus key text is larger than " +
                                            std::to_string(kMaxKeyFileSize) + " bytes");
    std::string_view body = trim(text);
    if (body.starts_with("-----BEGIN")) return private_key_from_pem(body);
    HC_ASSIGN_OR_RETURN(Bytes raw, secret_from_hex(body, "consensus key", "P-256"));
    auto key = PrivateKey::from_bytes(SigAlgo::p256, raw);
    OPENSSL_cleanse(raw.data(), raw.size());
    if (!key) return make_error(Errc::decode, "consensus key: " + key.error().message);
    return key;
}

std::string member_key_to_text(const Hash32& key) {
    return to_hex(key.view()) + "\n";
}

Result<Hash32> member_key_from_text(std::string_view text) {
    if (text.size() > kMaxKeyFileSize)
        return make_error(Errc::decode, "member key text is larger than " +
                                            std::to_string(kMaxKeyFileSize) + " bytes");
    HC_ASSIGN_OR_RETURN(Bytes raw, secret_from_hex(trim(text), "member key", "secp256k1"));
    Hash32 key;
    std::memcpy(key.data(), raw.data(), key.size());
    OPENSSL_cleanse(raw.data(), raw.size());
    // secp256k1_public_key rejects zero and scalars not below the curve order.
    if (auto pub = secp256k1_public_key(key); !pub) {
        OPENSSL_cleanse(key.data(), key.size());
        return make_error(Errc::decode, "member key: " + pub.error().message);
    }
    return key;
}

Status write_private_file(const fs::path& path, std::string_view contents) {
    return write_file_durably(path, as_bytes(contents), 0600);
}

Result<std::string> read_small_file(const fs::path& path, size_t max_size) {
    HC_ASSIGN_OR_RETURN(auto bytes, read_file(path, max_size));
    if (!bytes)
        return make_error(Errc::not_found, "cannot read " + path.string() + ": no such file");
    return std::string(bytes->begin(), bytes->end());
}

Status write_consensus_key(const fs::path& path, const PrivateKey& key) {
    if (key.algo() != SigAlgo::p256)
        return make_error(Errc::unsupported, "consensus keys are P-256");
    return write_secret_text(path, consensus_key_to_text(key));
}

Result<PrivateKey> read_consensus_key(const fs::path& path) {
    return read_secret_file(path, consensus_key_from_text);
}

Status write_member_key(const fs::path& path, const Hash32& key) {
    return write_secret_text(path, member_key_to_text(key));
}

Result<Hash32> read_member_key(const fs::path& path) {
    return read_secret_file(path, member_key_from_text);
}

Status write_private_key_pem(const fs::path& path, const PrivateKey& key) {
    HC_ASSIGN_OR_RETURN(std::string pem, private_key_to_pem(key));
    return write_secret_text(path, std::move(pem));
}

Result<PrivateKey> read_private_key_pem(const fs::path& path) {
    return read_secret_file(path, private_key_from_pem);
}

Result<Certificate> read_certificate_pem(const fs::path& path) {
    HC_ASSIGN_OR_RETURN(std::string text, read_small_file(path, kMaxCertificateSize));
    auto cert = Certificate::from_pem(text);
    if (!cert) return make_error(cert.error().code, path.string() + ": " + cert.error().message);
    return cert;
}

Status check_organisation_ca(const Certificate& cert) {
    if (!cert.is_ca() || !cert.is_self_issued())
        return make_error(Errc::crypto,
                          "expected a self-signed CA certificate (cA=TRUE), got " + cert.subject());
    if (auto ku = cert.key_usage(); ku && !has_all(*ku, KeyUsage::key_cert_sign))
        return make_error(Errc::crypto,
                          "the CA certificate may not sign certificates (keyUsage lacks "
                          "keyCertSign)");
    if (Status st = verify_chain(cert, {}, std::span(&cert, 1), cert.not_before()); !st)
        return make_error(Errc::crypto,
                          "the CA certificate does not verify: " + st.error().message);
    return {};
}

}  // namespace hc::crypto
