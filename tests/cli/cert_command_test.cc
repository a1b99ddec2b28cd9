#include "cli/cert_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <regex>
#include <sstream>

#include "cli/init.h"
#include "crypto/cert_issuer.h"
#include "crypto/secp256k1.h"
#include "node/consortium_config.h"
#include "support/temp_dir.h"

namespace hc::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1'800'000'000;
constexpr int64_t kDay = 86400;

unsigned file_mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
}

std::string read_text(const fs::path& p) {
    auto text = crypto::read_small_file(p, 1 << 20);
    EXPECT_TRUE(text.ok()) << p;
    return text.ok() ? *text : std::string();
}

// A two-organisation network made by `honeycomb init`, as a user would have it.
class CertIssue : public ::testing::Test {
  protected:
    void SetUp() override {
        InitOptions init;
        init.orgs = 2;
        init.nodes_per_org = 1;
        init.out = net_;
        init.base_port = 41300;
        init.rpc_port = 49545;
        init.now = kNow;
        auto summary = run_init(init);
        ASSERT_TRUE(summary.ok()) << summary.error().to_string();
        auto genesis = node::load_consortium_genesis(net_ / "genesis.json");
        ASSERT_TRUE(genesis.ok()) << genesis.error().to_string();
        auto cas = node::organisation_cas(*genesis);
        ASSERT_TRUE(cas.ok()) << cas.error().to_string();
        cas_ = std::move(*cas);
    }

    CertIssueOptions options(const std::string& org, const std::string& role,
                             const std::string& name) const {
        CertIssueOptions o;
        o.org = org;
        o.role = role;
        o.name = name;
        o.dir = net_;
        o.now = kNow;
        return o;
    }

    std::string issue_error(const CertIssueOptions& o) const {
        std::ostringstream out;
        Status st = issue_member(o, out);
        EXPECT_TRUE(out.str().empty()) << "printed on failure: " << out.str();
        return st.ok() ? std::string("(issued)") : st.error().message;
    }

    testing::TempDir dir_;
    const fs::path net_ = dir_.path() / "net";
    std::vector<crypto::Certificate> cas_;
};

TEST_F(CertIssue, WritesACertificateAndKeyTheNetworkAccepts) {
    std::ostringstream printed;
    Status st = issue_member(options("org1", "client", "alice"), printed);
    ASSERT_TRUE(st.ok()) << st.error().to_string();

    const fs::path members = net_ / "orgs" / "org1" / "members";
    const fs::path cert_path = members / "alice.pem";
    const fs::path key_path = members / "alice.key";
    EXPECT_EQ(file_mode(cert_path), 0644u);
    EXPECT_EQ(file_mode(key_path), 0600u);
    EXPECT_EQ(std::distance(fs::directory_iterator(members), fs::directory_iterator()), 2);

    const std::string key_text = read_text(key_path);
    EXPECT_TRUE(std::regex_match(key_text, std::regex("0x[0-9a-f]{64}\n"))) << key_text;
    auto key = crypto::read_member_key(key_path);
    ASSERT_TRUE(key.ok()) << key.error().to_string();

    const std::string pem = read_text(cert_path);
    auto info = crypto::verify_member_certificate(
        {reinterpret_cast<const uint8_t*>(pem.data()), pem.size()}, cas_, kNow);
    ASSERT_TRUE(info.ok()) << info.error().to_string();
    EXPECT_EQ(info->organisation, "org1");
    EXPECT_EQ(info->role, "client");
    EXPECT_EQ(info->name, "alice");
    // The key file holds the key of the certified account.
    EXPECT_EQ(info->address, *crypto::secp256k1_address(*key));
    EXPECT_EQ(info->not_before, kNow - 3600);
    EXPECT_EQ(info->not_after, kNow + 365 * kDay);

    const std::string out = printed.str();
    EXPECT_THAT(out, HasSubstr("Issued a client certificate for alice of org1"));
    EXPECT_THAT(out, HasSubstr(to_checksum_address(info->address)));
    EXPECT_THAT(out, HasSubstr(cert_path.string()));
    EXPECT_THAT(out, HasSubstr(key_path.string()));
    EXPECT_THAT(out, HasSubstr(crypto::format_utc(kNow - 3600) + " .. " +
                               crypto::format_utc(kNow + 365 * kDay)));
    EXPECT_THAT(out, HasSubstr(info->fingerprint.hex()));
}

TEST_F(CertIssue, OutDirectoryAndLifetimeCutToTheCa) {
    CertIssueOptions o = options("org2", "admin", "ops.bot-1");
    o.out = dir_.path() / "elsewhere" / "keys";
    o.days = 100 * 365;  // longer than the CA's 3650 days
    std::ostringstream printed;
    Status st = issue_member(o, printed);
    ASSERT_TRUE(st.ok()) << st.error().to_string();
    auto cert = crypto::read_certificate_pem(o.out / "ops.bot-1.pem");
    ASSERT_TRUE(cert.ok()) << cert.error().to_string();
    EXPECT_EQ(cert->subject(), "CN=ops.bot-1,OU=admin,O=org2");
    EXPECT_EQ(cert->not_after(), cas_[1].not_after());
    EXPECT_TRUE(fs::exists(o.out / "ops.bot-1.key"));
    EXPECT_FALSE(fs::exists(net_ / "orgs" / "org2" / "members"));
}

TEST_F(CertIssue, RefusesToOverwriteEitherFile) {
    std::ostringstream printed;
    ASSERT_TRUE(issue_member(options("org1", "client", "alice"), printed).ok());
    const fs::path members = net_ / "orgs" / "org1" / "members";
    const std::string cert_before = read_text(members / "alice.pem");
    const std::string key_before = read_text(members / "alice.key");

    const std::string err = issue_error(options("org1", "admin", "alice"));
    EXPECT_THAT(err, HasSubstr((members / "alice.pem").string() + " already exists"));
    EXPECT_THAT(err, HasSubstr("refusing to overwrite"));
    EXPECT_EQ(read_text(members / "alice.pem"), cert_before);
    EXPECT_EQ(read_text(members / "alice.key"), key_before);

    // A key left alone without its certificate is not overwritten either.
    fs::remove(members / "alice.pem");
    EXPECT_THAT(issue_error(options("org1", "client", "alice")),
                HasSubstr((members / "alice.key").string() + " already exists"));
    EXPECT_EQ(read_text(members / "alice.key"), key_before);
    EXPECT_FALSE(fs::exists(members / "alice.pem"));
}

TEST_F(CertIssue, BadRequestsSayWhatIsWrongAndWriteNothing) {
    EXPECT_THAT(issue_error(options("org9", "client", "alice")),
                HasSubstr("unknown organisation \"org9\" in " + net_.string() +
                          ": organisations found: org1, org2"));
    EXPECT_THAT(issue_error(options("org1", "auditor", "alice")),
                HasSubstr("--role must be client or admin, got \"auditor\""));
    EXPECT_THAT(issue_error(options("org1", "Client", "alice")), HasSubstr("--role must be"));
    EXPECT_THAT(issue_error(options("org1", "client", "../alice")),
                HasSubstr("--name: expected a name"));
    EXPECT_THAT(issue_error(options("org1", "client", "")), HasSubstr("--name:"));
    EXPECT_THAT(issue_error(options("../org1", "client", "alice")), HasSubstr("--org:"));
    CertIssueOptions zero_days = options("org1", "client", "alice");
    zero_days.days = 0;
    EXPECT_THAT(issue_error(zero_days), HasSubstr("--days must be 1 to"));
    CertIssueOptions no_dir = options("org1", "client", "alice");
    no_dir.dir = dir_.path() / "missing";
    EXPECT_THAT(issue_error(no_dir),
                HasSubstr("network directory " + no_dir.dir.string() + " not found"));
    CertIssueOptions expired = options("org1", "client", "alice");
    expired.now = cas_[0].not_after();
    EXPECT_THAT(issue_error(expired), HasSubstr("the CA of org1 cannot issue now"));
    EXPECT_THAT(issue_error(expired), HasSubstr("expired at"));

    fs::remove(net_ / "orgs" / "org1" / "ca.key");
    EXPECT_THAT(issue_error(options("org1", "client", "alice")),
                HasSubstr("the CA key of org1 is needed to issue"));

    EXPECT_FALSE(fs::exists(net_ / "orgs" / "org1" / "members"));
    EXPECT_FALSE(fs::exists(net_ / "orgs" / "org2" / "members"));
}

TEST(CertCommand, ParsesTheIssueSubcommand) {
    CLI::App app;
    CertIssueOptions o;
    CLI::App* cmd = add_cert_command(app, o);
    const char* argv[] = {"honeycomb", "cert",  "issue",  "--org", "org1",
                          "--role",    "admin", "--name", "bob"};
    app.parse(static_cast<int>(std::size(argv)), argv);
    EXPECT_TRUE(*cmd);
    EXPECT_EQ(o.org, "org1");
    EXPECT_EQ(o.role, "admin");
    EXPECT_EQ(o.name, "bob");
    EXPECT_EQ(o.dir, fs::path("honeycomb-network"));
    EXPECT_TRUE(o.out.empty());
    EXPECT_EQ(o.days, 365u);

    CLI::App bare;
    CertIssueOptions unused;
    add_cert_command(bare, unused);
    const char* no_sub[] = {"honeycomb", "cert"};
    EXPECT_THROW(bare.parse(2, no_sub), CLI::RequiredError);
    CLI::App missing;
    add_cert_command(missing, unused);
    const char* no_name[] = {"honeycomb", "cert", "issue", "--org", "org1", "--role", "client"};
    EXPECT_THROW(missing.parse(static_cast<int>(std::size(no_name)), no_name), CLI::RequiredError);
}

}  // namespace
}  // namespace hc::cli
