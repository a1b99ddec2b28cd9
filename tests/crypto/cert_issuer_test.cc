#include "crypto/cert_issuer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "support/cert_factory.h"
#include "support/temp_dir.h"

namespace hc::crypto {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kNow = 1'800'000'000;  // 2027-01-15
constexpr int64_t kDay = 86400;

KeyedCertificate make_ca(const std::string& org) {
    auto ca = create_organisation_ca({org, kNow - kDay, kNow + 3650 * kDay});
    EXPECT_TRUE(ca.ok()) << (ca.ok() ? "" : ca.error().to_string());
    return std::move(ca).value();
}

NodeCertSpec node_spec(const std::string& org, const std::string& name) {
    return {org, name, {"node1.example.org", "10.1.2.3", "::1"}, kNow - kDay, kNow + 365 * kDay};
}

unsigned file_mode(const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 0777;
}

std::string pem_of(EVP_PKEY* key) {
    BIO* bio = BIO_new(BIO_s_mem());
    EXPECT_EQ(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr), 1);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(len));
    BIO_free(bio);
    return out;
}

TEST(CertIssuer, OrganisationCaHasTheCaProfile) {
    KeyedCertificate ca = make_ca("org1");
    EXPECT_EQ(ca.cert.subject(), "CN=org1 CA,O=org1");
    EXPECT_TRUE(ca.cert.is_self_issued());
    EXPECT_TRUE(ca.cert.is_ca());
    EXPECT_EQ(ca.cert.path_len(), 0);
    EXPECT_EQ(ca.cert.key_usage(), KeyUsage::key_cert_sign | KeyUsage::crl_sign);
    EXPECT_EQ(ca.cert.not_before(), kNow - kDay);
    EXPECT_EQ(ca.cert.not_after(), kNow + 3650 * kDay);
    EXPECT_EQ(ca.cert.public_key().algorithm, KeyAlgorithm::p256);
    EXPECT_TRUE(check_key_matches(ca.cert, ca.key).ok());
    EXPECT_EQ(subject_organisation(ca.cert), "org1");
    EXPECT_EQ(subject_common_name(ca.cert), "org1 CA");
    Status st = verify_chain(ca.cert, {}, std::span(&ca.cert, 1), kNow);
    EXPECT_TRUE(st.ok()) << st.error().to_string();

    // Serial numbers are random: two CAs of one organisation never share one.
    KeyedCertificate again = make_ca("org1");
    EXPECT_NE(ca.cert.serial(), again.cert.serial());
    EXPECT_GE(ca.cert.serial().size(), 16u);
}

TEST(CertIssuer, NodeCertificateHasTheTlsProfileAndVerifies) {
    KeyedCertificate ca = make_ca("org1");
    auto node = issue_node_certificate(ca.cert, ca.key, node_spec("org1", "org1-node1"));
    ASSERT_TRUE(node.ok()) << node.error().to_string();
    const Certificate& cert = node->cert;
    EXPECT_EQ(cert.subject(), "CN=org1-node1,O=org1");
    EXPECT_EQ(cert.issuer(), ca.cert.subject());
    EXPECT_FALSE(cert.is_ca());
    EXPECT_EQ(cert.key_usage(), KeyUsage::digital_signature);
    EXPECT_EQ(cert.ext_key_usage(), ExtKeyUsage::server_auth | ExtKeyUsage::client_auth);
    EXPECT_EQ(cert.public_key().key, node->key.public_key().bytes);
    EXPECT_TRUE(check_key_matches(cert, node->key).ok());
    EXPECT_FALSE(check_key_matches(cert, ca.key).ok());

    // subjectAltName: localhost and 127.0.0.1 always, then the given hosts.
    EXPECT_EQ(X509_check_host(cert.native(), "localhost", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_ip_asc(cert.native(), "127.0.0.1", 0), 1);
    EXPECT_EQ(X509_check_host(cert.native(), "node1.example.org", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_ip_asc(cert.native(), "10.1.2.3", 0), 1);
    EXPECT_EQ(X509_check_ip_asc(cert.native(), "::1", 0), 1);
    EXPECT_EQ(X509_check_host(cert.native(), "node2.example.org", 0, 0, nullptr), 0);
    EXPECT_EQ(X509_check_ip_asc(cert.native(), "10.1.2.4", 0), 0);

    Status st = verify_chain(cert, {}, std::span(&ca.cert, 1), kNow);
    EXPECT_TRUE(st.ok()) << st.error().to_string();
    EXPECT_TRUE(check_key_usage(cert, KeyUsage::digital_signature).ok());
    // Expired after its notAfter, like any certificate.
    EXPECT_FALSE(verify_chain(cert, {}, std::span(&ca.cert, 1), kNow + 400 * kDay).ok());
}

TEST(CertIssuer, CertificateFromAnotherOrganisationFailsAgainstTheWrongCa) {
    KeyedCertificate org1 = make_ca("org1");
    KeyedCertificate org2 = make_ca("org2");
    auto node = issue_node_certificate(org2.cert, org2.key, node_spec("org2", "org2-node1"));
    ASSERT_TRUE(node.ok()) << node.error().to_string();
    EXPECT_TRUE(verify_chain(node->cert, {}, std::span(&org2.cert, 1), kNow).ok());
    Status st = verify_chain(node->cert, {}, std::span(&org1.cert, 1), kNow);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, Errc::crypto);
    EXPECT_THAT(st.error().message, HasSubstr("CN=org2-node1,O=org2"));

    // A CA with org2's name but another key is a different CA: still no chain.
    KeyedCertificate impostor = make_ca("org2");
    EXPECT_FALSE(verify_chain(node->cert, {}, std::span(&impostor.cert, 1), kNow).ok());
}

TEST(CertIssuer, RejectsBadIssuanceRequests) {
    KeyedCertificate ca = make_ca("org1");
    KeyedCertificate other = make_ca("org2");
    auto node = issue_node_certificate(ca.cert, ca.key, node_spec("org1", "n1"));
    ASSERT_TRUE(node.ok());

    auto err = [](const Result<KeyedCertificate>& r) {
        return r.ok() ? std::string("(succeeded)") : r.error().message;
    };
    // The CA's key must be the CA certificate's.
    EXPECT_THAT(err(issue_node_certificate(ca.cert, other.key, node_spec("org1", "n2"))),
                HasSubstr("does not belong to certificate CN=org1 CA,O=org1"));
    // A node certificate cannot issue certificates.
    EXPECT_THAT(err(issue_node_certificate(node->cert, node->key, node_spec("org1", "n2"))),
                HasSubstr("is not a CA"));
    // org1's CA does not issue org2's nodes.
    EXPECT_THAT(err(issue_node_certificate(ca.cert, ca.key, node_spec("org2", "n2"))),
                HasSubstr("the CA of organisation \"org1\" cannot issue"));
    NodeCertSpec too_long = node_spec("org1", "n2");
    too_long.not_after = ca.cert.not_after() + 1;
    EXPECT_THAT(err(issue_node_certificate(ca.cert, ca.key, too_long)),
                HasSubstr("must lie within the CA's"));
    NodeCertSpec reversed = node_spec("org1", "n2");
    reversed.not_after = reversed.not_before;
    EXPECT_THAT(err(issue_node_certificate(ca.cert, ca.key, reversed)),
                HasSubstr("not_before < not_after"));
    NodeCertSpec bad_host = node_spec("org1", "n2");
    bad_host.hosts = {"bad host!"};
    EXPECT_THAT(err(issue_node_certificate(ca.cert, ca.key, bad_host)),
                HasSubstr("host \"bad host!\" is neither an IP address nor a DNS name"));
    bad_host.hosts = {"999.1.2.3"};
    EXPECT_THAT(err(issue_node_certificate(ca.cert, ca.key, bad_host)),
                HasSubstr("neither an IP address nor a DNS name"));
    EXPECT_THAT(err(issue_node_certificate(ca.cert, ca.key, node_spec("org1", ""))),
                HasSubstr("node name is empty"));
    EXPECT_THAT(err(create_organisation_ca({std::string(62, 'x'), kNow, kNow + kDay})),
                HasSubstr("longer than 61 bytes"));
    EXPECT_THAT(err(create_organisation_ca({"org\n1", kNow, kNow + kDay})),
                HasSubstr("control character"));
}

TEST(CertIssuer, PrivateKeyPemRoundTrip) {
    KeyedCertificate ca = make_ca("org1");
    auto pem = private_key_to_pem(ca.key);
    ASSERT_TRUE(pem.ok()) << pem.error().to_string();
    EXPECT_THAT(*pem, StartsWith("-----BEGIN PRIVATE KEY-----\n"));
    auto back = private_key_from_pem(*pem);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(back->raw(), ca.key.raw());
    EXPECT_TRUE(check_key_matches(ca.cert, *back).ok());

    // Signatures by the reloaded key verify under the certificate's key.
    const Bytes msg = to_bytes("vote for block 7");
    auto sig = sign(*back, msg);
    ASSERT_TRUE(sig.ok());
    auto cert_key = PublicKey::from_bytes(SigAlgo::p256, ca.cert.public_key().key);
    ASSERT_TRUE(cert_key.ok());
    EXPECT_TRUE(verify(*cert_key, msg, *sig).ok());
}

TEST(CertIssuer, PrivateKeyPemRejectsWhatIsNotAPlainP256Key) {
    auto err = [](std::string_view text) {
        auto r = private_key_from_pem(text);
        return r.ok() ? std::string("(succeeded)") : r.error().message;
    };
    EXPECT_THAT(err(""), HasSubstr("no PEM block found"));
    EXPECT_THAT(err("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
                HasSubstr("not a valid PEM private key"));
    EXPECT_THAT(err("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"), HasSubstr("encrypted"));
    EXPECT_THAT(err(pem_of(test::make_key(test::KeyKind::ed25519).get())),
                HasSubstr("expected a P-256 (prime256v1) key, got ED25519"));
    EXPECT_THAT(err(pem_of(test::make_key(test::KeyKind::secp256k1).get())),
                HasSubstr("expected a P-256 (prime256v1) key, got EC on secp256k1"));
    // A P-256 key made by plain OpenSSL (not by PrivateKey) loads.
    EXPECT_EQ(err(pem_of(test::make_key(test::KeyKind::p256).get())), "(succeeded)");
}

TEST(CertIssuer, ConsensusKeyFileRoundTripSignsAndVerifies) {
    testing::TempDir dir;
    auto key = PrivateKey::generate(SigAlgo::p256);
    ASSERT_TRUE(key.ok());
    const auto path = dir.path() / "consensus.key";
    ASSERT_TRUE(write_consensus_key(path, *key).ok());
    EXPECT_EQ(file_mode(path), 0600u);

    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, to_hex(key->raw().view()) + "\n");
    EXPECT_EQ(text.size(), 2 + 64 + 1u);

    auto back = read_consensus_key(path);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(back->raw(), key->raw());
    EXPECT_EQ(back->public_key(), key->public_key());
    const Bytes msg = to_bytes("proposal");
    auto sig = sign(*back, msg);
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(verify(key->public_key(), msg, *sig).ok());
    auto other = PrivateKey::generate(SigAlgo::p256);
    EXPECT_FALSE(verify(other->public_key(), msg, *sig).ok());
}

TEST(CertIssuer, ConsensusKeyTextForms) {
    auto key = PrivateKey::generate(SigAlgo::p256);
    ASSERT_TRUE(key.ok());
    const std::string bare = to_hex(key->raw().view(), false);
    for (const std::string& form : {bare, "0x" + bare, "  0x" + bare + "\r\n\n"}) {
        auto back = consensus_key_from_text(form);
        ASSERT_TRUE(back.ok()) << form << ": " << back.error().to_string();
        EXPECT_EQ(back->raw(), key->raw());
    }
    auto pem = private_key_to_pem(*key);
    ASSERT_TRUE(pem.ok());
    auto from_pem = consensus_key_from_text(*pem);
    ASSERT_TRUE(from_pem.ok()) << from_pem.error().to_string();
    EXPECT_EQ(from_pem->raw(), key->raw());

    auto err = [](std::string_view text) {
        auto r = consensus_key_from_text(text);
        return r.ok() ? std::string("(succeeded)") : r.error().message;
    };
    EXPECT_THAT(err(bare.substr(2)), HasSubstr("64 hex digits"));
    EXPECT_THAT(err("zz" + bare.substr(2)), HasSubstr("consensus key:"));
    EXPECT_THAT(err(std::string(64, '0')), HasSubstr("consensus key:"));  // zero scalar
    EXPECT_THAT(err(std::string(64, 'f')), HasSubstr("consensus key:"));  // >= the group order
}

TEST(CertIssuer, PrivateFilesAreWrittenWithMode0600) {
    testing::TempDir dir;
    const auto path = dir.path() / "secret";
    { std::ofstream(path) << "old"; }
    ::chmod(path.c_str(), 0644);
    ASSERT_TRUE(write_private_file(path, "new").ok());
    EXPECT_EQ(file_mode(path), 0600u);
    auto text = read_small_file(path, 100);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(*text, "new");
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "secret.tmp"));

    auto missing = read_small_file(dir.path() / "nope", 100);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, Errc::not_found);
    EXPECT_THAT(read_small_file(path, 2).error().message, HasSubstr("more than the 2 allowed"));
    EXPECT_FALSE(write_private_file(dir.path() / "no-such-dir" / "k", "x").ok());
}

TEST(CertIssuer, HostNames) {
    EXPECT_TRUE(is_ip_literal("127.0.0.1"));
    EXPECT_TRUE(is_ip_literal("::1"));
    EXPECT_TRUE(is_ip_literal("[fe80::1]"));
    EXPECT_FALSE(is_ip_literal("256.0.0.1"));
    EXPECT_FALSE(is_ip_literal("localhost"));
    EXPECT_TRUE(is_dns_name("localhost"));
    EXPECT_TRUE(is_dns_name("node-1.org1.example"));
    EXPECT_FALSE(is_dns_name("-node"));
    EXPECT_FALSE(is_dns_name("node-"));
    EXPECT_FALSE(is_dns_name("a..b"));
    EXPECT_FALSE(is_dns_name("a_b"));
    EXPECT_FALSE(is_dns_name("1.2.3.4"));  // digits and dots only: an IPv4 literal or a typo
    EXPECT_FALSE(is_dns_name(std::string(64, 'a')));
    EXPECT_FALSE(is_dns_name(""));
}

}  // namespace
}  // namespace hc::crypto
