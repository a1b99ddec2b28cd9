#include "cli/cert_command.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <span>
#include <vector>

#include "common/durable_file.h"
#include "crypto/cert_issuer.h"
#include "node/consortium_config.h"

namespace hc::cli {

namespace {

namespace fs = std::filesystem;

constexpr int64_t kDay = 86400;
// As with `honeycomb init`: certificates start an hour back, so a node whose clock runs a little
// behind the machine that issued them still accepts them.
constexpr int64_t kClockSkewAllowance = 3600;

Error bad_option(const std::string& message) {
    return make_error(Errc::invalid_argument, message);
}

Status check_options(const CertIssueOptions& o) {
    if (Status st = node::check_member_name(o.org); !st)
        return bad_option("--org: " + st.error().message);
    if (o.role != crypto::kMemberRoleClient && o.role != crypto::kMemberRoleAdmin)
        return bad_option("--role must be client or admin, got \"" + o.role.substr(0, 80) + "\"");
    // The name becomes file names, so it must be what node and organisation names may be.
    if (Status st = node::check_member_name(o.name); !st)
        return bad_option("--name: " + st.error().message);
    if (o.days < 1 || o.days > kMaxMemberCertDays)
        return bad_option("--days must be 1 to " + std::to_string(kMaxMemberCertDays) + ", got " +
                          std::to_string(o.days));
    return {};
}

// The organisations of a network directory: the folders under DIR/orgs holding a ca.pem.
std::vector<std::string> organisations_in(const fs::path& dir) {
    std::vector<std::string> found;
    std::error_code ec;
    for (fs::directory_iterator it(dir / "orgs", ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code exists_ec;
        if (fs::exists(it->path() / "ca.pem", exists_ec))
            found.push_back(it->path().filename().string());
    }
    std::sort(found.begin(), found.end());
    return found;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& item : items)
        out += (out.empty() ? "" : ", ") + item;
    return out;
}

}  // namespace

Status issue_member(const CertIssueOptions& o, std::ostream& out) {
    HC_TRY(check_options(o));
    std::error_code ec;
    if (!fs::is_directory(o.dir, ec))
        return make_error(Errc::not_found, "network directory " + o.dir.string() +
                                               " not found; pass --dir, or make one with "
                                               "`honeycomb init --out " +
                                               o.dir.string() + "`");
    const fs::path org_dir = o.dir / "orgs" / o.org;
    if (!fs::exists(org_dir / "ca.pem", ec)) {
        const std::vector<std::string> orgs = organisations_in(o.dir);
        return make_error(Errc::not_found,
                          "unknown organisation \"" + o.org + "\" in " + o.dir.string() + ": " +
                              (orgs.empty() ? std::string("it has no orgs/<org>/ca.pem at all")
                                            : "organisations found: " + join(orgs)));
    }
    HC_ASSIGN_OR_RETURN(crypto::Certificate ca, crypto::read_certificate_pem(org_dir / "ca.pem"));
    auto ca_key = crypto::read_private_key_pem(org_dir / "ca.key");
    if (!ca_key)
        return make_error(ca_key.error().code, "the CA key of " + o.org + " is needed to issue: " +
                                                   ca_key.error().message);

    const int64_t now = o.now != 0 ? o.now : static_cast<int64_t>(std::time(nullptr));
    if (Status st = crypto::check_validity(ca, now); !st)
        return make_error(Errc::invalid_argument,
                          "the CA of " + o.org + " cannot issue now: " + st.error().message);
    const int64_t not_before = std::max(ca.not_before(), now - kClockSkewAllowance);
    const int64_t not_after = std::min(ca.not_after(), now + static_cast<int64_t>(o.days) * kDay);

    const fs::path out_dir = o.out.empty() ? org_dir / "members" : o.out;
    const fs::path cert_path = out_dir / (o.name + ".pem");
    const fs::path key_path = out_dir / (o.name + ".key");
    for (const fs::path& path : {cert_path, key_path}) {
        // symlink_status: a dangling link is an existing file too.
        if (fs::exists(fs::symlink_status(path, ec)))
            return make_error(Errc::invalid_argument,
                              path.string() +
                                  " already exists; refusing to overwrite it (remove it, or "
                                  "choose another --name or --out)");
    }

    HC_ASSIGN_OR_RETURN(crypto::KeyedMemberCertificate member,
                        crypto::issue_member_certificate(
                            ca, *ca_key, {o.org, o.role, o.name, not_before, not_after}));
    // What is written must be what the nodes accept.
    auto info = crypto::verify_member_certificate(member.cert.der(), std::span(&ca, 1), now);
    if (!info)
        return make_error(Errc::internal,
                          "the issued certificate does not verify: " + info.error().message);

    fs::create_directories(out_dir, ec);
    if (ec) return make_error(Errc::io, "cannot create " + out_dir.string() + ": " + ec.message());
    HC_TRY(crypto::write_member_key(key_path, member.private_key));
    const std::string pem = member.cert.to_pem();
    HC_TRY(write_file_durably(cert_path, as_bytes(pem), 0644));

    out << "Issued " << (o.role == crypto::kMemberRoleAdmin ? "an " : "a ") << o.role
        << " certificate for " << o.name << " of " << o.org << "\n"
        << "  address      " << to_checksum_address(info->address)
        << "  (the member's Ethereum account)\n"
        << "  certificate  " << cert_path.string() << "\n"
        << "  private key  " << key_path.string()
        << "  (mode 0600: the raw secp256k1 key, keep it secret)\n"
        << "  valid        " << crypto::format_utc(info->not_before) << " .. "
        << crypto::format_utc(info->not_after) << "\n"
        << "  fingerprint  " << info->fingerprint.hex() << "  (keccak256 of the DER)\n";
    return {};
}

CLI::App* add_cert_command(CLI::App& app, CertIssueOptions& o) {
    CLI::App* cert = app.add_subcommand("cert", "Member certificates issued by organisation CAs");
    cert->require_subcommand(1, 1);
    CLI::App* issue = cert->add_subcommand(
        "issue",
        "Issue a member certificate and its secp256k1 (Ethereum) key from an organisation's CA");
    issue->add_option("--org", o.org, "Organisation whose CA issues it (DIR/orgs/ORG)")->required();
    issue->add_option("--role", o.role, "The member's role: client or admin")->required();
    issue->add_option("--name", o.name, "The member's name: the certificate's CN and file names")
        ->required();
    issue->add_option("--dir", o.dir, "Network directory made by honeycomb init")
        ->capture_default_str();
    issue->add_option("--out", o.out,
                      "Directory for NAME.pem and NAME.key (default: DIR/orgs/ORG/members)");
    issue->add_option("--days", o.days, "Lifetime in days (at most the CA's remaining one)")
        ->capture_default_str();
    return cert;
}

int run_cert_command(const CertIssueOptions& options) {
    if (Status st = issue_member(options, std::cout); !st) {
        std::fprintf(stderr, "honeycomb cert issue: %s\n", st.error().message.c_str());
        return 1;
    }
    return 0;
}

}  // namespace hc::cli
