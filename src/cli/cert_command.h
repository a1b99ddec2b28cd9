// `honeycomb cert issue`: a certificate for a consortium member (a person or an application),
// issued by its organisation's CA from a network directory made by `honeycomb init`.
//
//   honeycomb cert issue --org org1 --role client --name alice [--dir ./net]
//
// writes, with DIR/orgs/<org>/ca.pem and ca.key as the issuer:
//
//   OUT/<name>.pem   the member certificate (subject O=<org>, OU=<role>, CN=<name>), mode 0644
//   OUT/<name>.key   its secp256k1 private key, one line "0x" + 64 hex digits, mode 0600: the
//                    member's Ethereum account key, which wallets such as ethers.js import
//
// where OUT defaults to DIR/orgs/<org>/members. Existing files are never overwritten.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>

#include "common/error.h"

namespace hc::cli {

struct CertIssueOptions {
    std::string org;
    std::string role;  // "client" or "admin"
    std::string name;  // a name as node::check_member_name allows: it names the files
    std::filesystem::path dir = "honeycomb-network";
    std::filesystem::path out;  // empty: DIR/orgs/<org>/members
    uint64_t days = 365;        // cut short to the CA's own expiry
    // The time the certificate starts from; 0 means now. Tests pin it.
    int64_t now = 0;
};

// Longest member certificate lifetime --days accepts.
inline constexpr uint64_t kMaxMemberCertDays = 100 * 365;

// Issues the member certificate and key, writes both files and prints the member's address, the
// files and the validity to `out`. Writes nothing when any check fails.
Status issue_member(const CertIssueOptions& options, std::ostream& out);

// Registers `cert` (with its subcommand `issue`) on app, filling `options` when parsed.
CLI::App* add_cert_command(CLI::App& app, CertIssueOptions& options);
// Runs it from the command line: prints the result, or the error to stderr. Exit code.
int run_cert_command(const CertIssueOptions& options);

}  // namespace hc::cli
