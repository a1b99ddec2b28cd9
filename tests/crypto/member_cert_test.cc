// Member certificates: an organisation CA certifies a member's secp256k1 (Ethereum) key, and
// verify_member_certificate accepts exactly those, with the member's organisation, role and
// address.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "common/keccak.h"
#include "crypto/cert_issuer.h"
#include "crypto/secp256k1.h"
#include "support/cert_factory.h"
#include "support/temp_dir.h"

namespace hc::crypto {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'800'000'000;  // 2027-01-15
constexpr int64_t kDay = 86400;

KeyedCertificate make_ca(const std::string& org) {
    auto ca = create_organisation_ca({org, kNow - kDay, kNow + 3650 * kDay});
    EXPECT_TRUE(ca.ok()) << (ca.ok() ? "" : ca.error().to_string());
    return std::move(ca).value();
}

MemberCertSpec member_spec(const std::string& org, const std::string& role,
                           const std::string& name) {
    return {org, role, name, kNow - kDay, kNow + 365 * kDay};
}

KeyedMemberCertificate issue(const KeyedCertificate& ca, const MemberCertSpec& spec) {
    auto member = issue_member_certificate(ca.cert, ca.key, spec);
    EXPECT_TRUE(member.ok()) << (member.ok() ? "" : member.error().to_string());
    return std::move(member).value();
}

std::string verify_error(BytesView cert, std::span<const Certificate> cas, int64_t now = kNow) {
    auto r = verify_member_certificate(cert, cas, now);
    return r.ok() ? std::string("(accepted)") : r.error().message;
}

std::vector<Certificate> cas_of(std::initializer_list<const KeyedCertificate*> cas) {
    std::vector<Certificate> out;
    for (const KeyedCertificate* ca : cas)
        out.push_back(ca->cert.clone());
    return out;
}

BytesView text_bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A certificate for `key` under org1's CA with the given subject and keyUsage, made by hand to
// model certificates issue_member_certificate never makes.
Certificate forge(const KeyedCertificate& ca, EVP_PKEY* key, test::Name subject,
                  std::optional<KeyUsage> usage = KeyUsage::digital_signature) {
    test::CertSpec spec;
    spec.subject = std::move(subject);
    spec.serial = 77;
    spec.not_before = kNow - kDay;
    spec.not_after = kNow + kDay;
    spec.key_usage = usage;
    spec.ext_key_usage = ExtKeyUsage::client_auth;
    return test::issue_cert(spec, key, &ca.cert, ca.key.pkey());
}

TEST(MemberCert, IssuedCertificateHasTheMemberProfile) {
    KeyedCertificate ca = make_ca("org1");
    KeyedMemberCertificate m = issue(ca, member_spec("org1", "client", "alice"));
    EXPECT_EQ(m.cert.subject(), "CN=alice,OU=client,O=org1");
    EXPECT_EQ(m.cert.issuer(), "CN=org1 CA,O=org1");
    EXPECT_FALSE(m.cert.is_ca());
    EXPECT_EQ(m.cert.key_usage(), KeyUsage::digital_signature);
    EXPECT_EQ(m.cert.ext_key_usage(), ExtKeyUsage::client_auth);
    EXPECT_EQ(m.cert.not_before(), kNow - kDay);
    EXPECT_EQ(m.cert.not_after(), kNow + 365 * kDay);
    EXPECT_EQ(m.cert.public_key().algorithm, KeyAlgorithm::secp256k1);
    for (int nid : {NID_basic_constraints, NID_key_usage, NID_subject_key_identifier,
                    NID_authority_key_identifier, NID_ext_key_usage})
        EXPECT_GE(X509_get_ext_by_NID(m.cert.native(), nid, -1), 0) << OBJ_nid2sn(nid);
    for (int nid : {NID_basic_constraints, NID_key_usage}) {
        X509_EXTENSION* ext =
            X509_get_ext(m.cert.native(), X509_get_ext_by_NID(m.cert.native(), nid, -1));
        EXPECT_EQ(X509_EXTENSION_get_critical(ext), 1) << OBJ_nid2sn(nid);
    }
    EXPECT_TRUE(verify_chain(m.cert, {}, std::span(&ca.cert, 1), kNow));
    EXPECT_FALSE(m.private_key.is_zero());
    // Two members never share a key.
    KeyedMemberCertificate other = issue(ca, member_spec("org1", "client", "alice"));
    EXPECT_NE(other.private_key, m.private_key);
    EXPECT_NE(other.cert.serial(), m.cert.serial());
}

TEST(MemberCert, IssueAndVerifyRoundTrip) {
    KeyedCertificate ca1 = make_ca("org1");
    KeyedCertificate ca2 = make_ca("org2");
    const auto cas = cas_of({&ca1, &ca2});
    for (const char* role : {"client", "admin"}) {
        KeyedMemberCertificate m = issue(ca2, member_spec("org2", role, "bob"));
        auto info = verify_member_certificate(m.cert.der(), cas, kNow);
        ASSERT_TRUE(info.ok()) << info.error().to_string();
        EXPECT_EQ(info->organisation, "org2");
        EXPECT_EQ(info->role, role);
        EXPECT_EQ(info->name, "bob");
        EXPECT_EQ(info->not_before, kNow - kDay);
        EXPECT_EQ(info->not_after, kNow + 365 * kDay);
        EXPECT_EQ(info->fingerprint, keccak256(m.cert.der()));
        // The certified address is the Ethereum account of the private key handed out...
        auto address = secp256k1_address(m.private_key);
        ASSERT_TRUE(address.ok());
        EXPECT_EQ(info->address, *address);
        // ... and what a signature by that key recovers to.
        const Hash32 digest = keccak256(text_bytes("member transaction"));
        auto sig = secp256k1_sign(digest, m.private_key);
        ASSERT_TRUE(sig.ok());
        EXPECT_EQ(*secp256k1_recover_address(digest, *sig), info->address);

        // PEM input gives the same answer, and so does any order of the CAs.
        const std::string pem = m.cert.to_pem();
        auto from_pem = verify_member_certificate(text_bytes(pem), cas, kNow);
        ASSERT_TRUE(from_pem.ok()) << from_pem.error().to_string();
        EXPECT_EQ(from_pem->address, info->address);
        EXPECT_EQ(from_pem->fingerprint, info->fingerprint);
        const auto reversed = cas_of({&ca2, &ca1});
        auto again = verify_member_certificate(m.cert.der(), reversed, kNow);
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(again->address, info->address);
        EXPECT_EQ(again->organisation, "org2");
    }
}

TEST(MemberCert, CertificateOfAnotherCaIsRejected) {
    KeyedCertificate ca1 = make_ca("org1");
    KeyedCertificate ca2 = make_ca("org2");
    KeyedMemberCertificate m = issue(ca2, member_spec("org2", "client", "mallory"));
    const auto only_org1 = cas_of({&ca1});
    const std::string err = verify_error(m.cert.der(), only_org1);
    EXPECT_THAT(err, HasSubstr("does not chain to an organisation CA"));
    EXPECT_THAT(err, HasSubstr("CN=mallory,OU=client,O=org2"));
    EXPECT_THAT(err, HasSubstr("issuer CN=org2 CA,O=org2"));

    // A CA with org1's name but another key is not org1's CA.
    KeyedCertificate impostor = make_ca("org1");
    KeyedMemberCertificate forged = issue(impostor, member_spec("org1", "admin", "eve"));
    EXPECT_THAT(verify_error(forged.cert.der(), only_org1),
                HasSubstr("does not chain to an organisation CA"));

    EXPECT_THAT(verify_error(m.cert.der(), {}), HasSubstr("no organisation CA given"));
}

TEST(MemberCert, ExpiredAndNotYetValidAreRejectedWithTheDates) {
    KeyedCertificate ca = make_ca("org1");
    KeyedMemberCertificate m = issue(ca, member_spec("org1", "client", "alice"));
    const auto cas = cas_of({&ca});
    const int64_t nb = m.cert.not_before(), na = m.cert.not_after();
    EXPECT_TRUE(verify_member_certificate(m.cert.der(), cas, nb).ok());
    EXPECT_TRUE(verify_member_certificate(m.cert.der(), cas, na - 1).ok());

    const std::string expired = verify_error(m.cert.der(), cas, na);
    EXPECT_THAT(expired, HasSubstr("expired at " + format_utc(na)));
    EXPECT_THAT(expired, HasSubstr("checked at " + format_utc(na)));
    const std::string early = verify_error(m.cert.der(), cas, nb - 1);
    EXPECT_THAT(early, HasSubstr("not valid until " + format_utc(nb)));
    EXPECT_THAT(early, HasSubstr("CN=alice,OU=client,O=org1"));
}

TEST(MemberCert, CaAndNodeCertificatesAreNotMembers) {
    KeyedCertificate ca = make_ca("org1");
    const auto cas = cas_of({&ca});
    EXPECT_THAT(verify_error(ca.cert.der(), cas), HasSubstr("is a CA certificate"));

    auto node = issue_node_certificate(ca.cert, ca.key,
                                       {"org1", "org1-node1", {}, kNow - kDay, kNow + kDay});
    ASSERT_TRUE(node.ok()) << node.error().to_string();
    const std::string err = verify_error(node->cert.der(), cas);
    EXPECT_THAT(err, HasSubstr("certifies a P-256 key"));
    EXPECT_THAT(err, HasSubstr("secp256k1"));
    EXPECT_THAT(err, HasSubstr("CN=org1-node1,O=org1"));
}

TEST(MemberCert, KeyUsageMustIncludeDigitalSignature) {
    KeyedCertificate ca = make_ca("org1");
    const auto cas = cas_of({&ca});
    test::PkeyPtr key = test::make_key(test::KeyKind::secp256k1);
    const test::Name subject = {{"O", "org1"}, {"OU", "client"}, {"CN", "carol"}};

    // The forging itself is sound: with digitalSignature the same certificate is accepted.
    EXPECT_TRUE(verify_member_certificate(forge(ca, key.get(), subject).der(), cas, kNow).ok());

    Certificate no_ku = forge(ca, key.get(), subject, std::nullopt);
    EXPECT_THAT(verify_error(no_ku.der(), cas), HasSubstr("has no keyUsage extension"));
    EXPECT_THAT(verify_error(no_ku.der(), cas), HasSubstr("digitalSignature"));
    Certificate wrong_ku = forge(ca, key.get(), subject, KeyUsage::key_agreement);
    EXPECT_THAT(verify_error(wrong_ku.der(), cas), HasSubstr("lacks keyUsage digitalSignature"));
}

TEST(MemberCert, SubjectMustNameOrganisationRoleAndName) {
    KeyedCertificate ca = make_ca("org1");
    const auto cas = cas_of({&ca});
    test::PkeyPtr key = test::make_key(test::KeyKind::secp256k1);
    auto err = [&](test::Name subject) {
        return verify_error(forge(ca, key.get(), std::move(subject)).der(), cas);
    };
    EXPECT_THAT(err({{"O", "org1"}, {"CN", "carol"}}), HasSubstr("has no OU"));
    EXPECT_THAT(err({{"OU", "client"}, {"CN", "carol"}}), HasSubstr("has no O "));
    EXPECT_THAT(err({{"O", "org1"}, {"OU", "client"}}), HasSubstr("has no CN"));
    EXPECT_THAT(err({{"O", "org1"}, {"OU", "client"}, {"OU", "admin"}, {"CN", "carol"}}),
                HasSubstr("more than one OU"));
    EXPECT_THAT(err({{"O", "org1"}, {"OU", "auditor"}, {"CN", "carol"}}),
                HasSubstr("role (OU) \"auditor\""));
    EXPECT_THAT(err({{"O", "org1"}, {"OU", "Admin"}, {"CN", "carol"}}),
                HasSubstr("\"client\" or \"admin\""));
    // org1's CA cannot make someone a member of org2.
    EXPECT_THAT(err({{"O", "org2"}, {"OU", "admin"}, {"CN", "carol"}}),
                HasSubstr("claims organisation \"org2\" but was issued by the CA of \"org1\""));
}

TEST(MemberCert, GarbageIsRejectedWithoutCrashing) {
    KeyedCertificate ca = make_ca("org1");
    const auto cas = cas_of({&ca});
    EXPECT_THAT(verify_error({}, cas), HasSubstr("empty"));
    EXPECT_THAT(verify_error(text_bytes("hello, world"), cas), HasSubstr("not a certificate"));
    EXPECT_THAT(verify_error(text_bytes("-----BEGIN CERTIFICATE-----\nAAAA\n"), cas),
                HasSubstr("member certificate does not parse"));
    const Bytes big(kMaxCertificateSize + 1, 0x30);
    EXPECT_THAT(verify_error(big, cas), HasSubstr("does not parse"));

    // Every truncation and every single-byte change of a valid certificate is rejected.
    KeyedMemberCertificate m = issue(ca, member_spec("org1", "client", "alice"));
    const Bytes& der = m.cert.der();
    for (size_t n = 0; n < der.size(); ++n)
        EXPECT_FALSE(verify_member_certificate(BytesView(der.data(), n), cas, kNow).ok()) << n;
    for (size_t i = 0; i < der.size(); ++i) {
        Bytes bad = der;
        bad[i] ^= 0x01;
        EXPECT_FALSE(verify_member_certificate(bad, cas, kNow).ok()) << "byte " << i;
    }
}

TEST(MemberCert, RejectsBadIssuanceRequests) {
    KeyedCertificate ca = make_ca("org1");
    auto err = [&](const Certificate& issuer, const PrivateKey& key, MemberCertSpec spec) {
        auto r = issue_member_certificate(issuer, key, spec);
        return r.ok() ? std::string("(issued)") : r.error().message;
    };
    EXPECT_THAT(err(ca.cert, ca.key, member_spec("org1", "auditor", "alice")),
                HasSubstr("member role must be \"client\" or \"admin\", got \"auditor\""));
    EXPECT_THAT(err(ca.cert, ca.key, member_spec("org1", "", "alice")),
                HasSubstr("member role must be"));
    EXPECT_THAT(err(ca.cert, ca.key, member_spec("org1", "client", "")),
                HasSubstr("member name is empty"));
    EXPECT_THAT(err(ca.cert, ca.key, member_spec("org1", "client", std::string(65, 'a'))),
                HasSubstr("longer than 64 bytes"));
    EXPECT_THAT(err(ca.cert, ca.key, member_spec("org2", "client", "alice")),
                HasSubstr("the CA of organisation \"org1\" cannot issue"));
    MemberCertSpec too_long = member_spec("org1", "client", "alice");
    too_long.not_after = ca.cert.not_after() + 1;
    EXPECT_THAT(err(ca.cert, ca.key, too_long), HasSubstr("member certificate validity"));
    KeyedCertificate other = make_ca("org1");
    EXPECT_THAT(err(ca.cert, other.key, member_spec("org1", "client", "alice")),
                HasSubstr("does not belong to certificate"));
    auto node = issue_node_certificate(ca.cert, ca.key,
                                       {"org1", "org1-node1", {}, kNow - kDay, kNow + kDay});
    ASSERT_TRUE(node.ok());
    EXPECT_THAT(err(node->cert, node->key, member_spec("org1", "client", "alice")),
                HasSubstr("is not a CA"));
}

TEST(MemberCert, MemberKeyFileRoundTrip) {
    KeyedCertificate ca = make_ca("org1");
    KeyedMemberCertificate m = issue(ca, member_spec("org1", "admin", "alice"));
    const std::string text = member_key_to_text(m.private_key);
    EXPECT_EQ(text, m.private_key.hex() + "\n");
    EXPECT_EQ(text.size(), 2 + 64 + 1u);
    EXPECT_EQ(text.substr(0, 2), "0x");

    testing::TempDir dir;
    const auto path = dir.path() / "alice.key";
    ASSERT_TRUE(write_member_key(path, m.private_key));
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto back = read_member_key(path);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(*back, m.private_key);

    auto err = [](const std::string& t) {
        auto r = member_key_from_text(t);
        return r.ok() ? std::string("(accepted)") : r.error().message;
    };
    EXPECT_TRUE(member_key_from_text("  " + text.substr(2)).ok());  // without 0x, with spaces
    EXPECT_THAT(err(text.substr(3)), HasSubstr("64 hex digits (a 32-byte secp256k1 secret"));
    EXPECT_THAT(err("0x" + std::string(62, 'a') + "zz"), HasSubstr("member key:"));
    EXPECT_THAT(err(std::string(64, '0')), HasSubstr("member key:"));  // zero
    EXPECT_THAT(err(std::string(64, 'f')), HasSubstr("member key:"));  // >= the curve order
    EXPECT_THAT(read_member_key(dir.path() / "missing.key").error().message,
                HasSubstr("no such file"));
}

}  // namespace
}  // namespace hc::crypto
