#include "cli/gov_command.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "codec/abi.h"
#include "crypto/cert_issuer.h"
#include "crypto/secp256k1.h"
#include "governance/actions.h"
#include "governance/system_contracts.h"
#include "ledger/transaction.h"
#include "rpc/client.h"

namespace hc::cli {

namespace {

using json = nlohmann::json;

Error bad(const std::string& what) {
    return make_error(Errc::invalid_argument, what);
}

Result<std::string> read_text(const std::filesystem::path& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return make_error(Errc::io, std::string("cannot read the ") + what + " " + path.string());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

Result<uint256> quantity(const json& v, const char* what) {
    if (!v.is_string()) return make_error(Errc::decode, std::string(what) + ": not a quantity");
    auto q = uint256::from_string(v.get<std::string>());
    if (!q) return make_error(Errc::decode, std::string(what) + ": " + q.error().message);
    return *q;
}

// One member's key and the node it talks to.
class Sender {
  public:
    static Result<Sender> open(const GovOptions& o) {
        if (o.key.empty()) return bad("--key is required: the member key file that signs");
        HC_ASSIGN_OR_RETURN(Hash32 key, crypto::read_member_key(o.key));
        HC_ASSIGN_OR_RETURN(Address from, crypto::secp256k1_address(key));
        HC_ASSIGN_OR_RETURN(rpc::Endpoint endpoint, rpc::parse_http_url(o.rpc));
        return Sender(key, from, endpoint, o.timeout_s);
    }

    const Address& address() const { return from_; }

    // Estimates (which reports a refusal with its reason), signs, sends and waits for the
    // receipt; fails unless the transaction succeeded.
    Result<json> transact(const Address& to, const Bytes& data, std::ostream& out) {
        const std::string from_hex = to_checksum_address(from_);
        const json request = {
            {"from", from_hex}, {"to", to_checksum_address(to)}, {"data", to_hex(data)}};
        auto estimate = client_->call("eth_estimateGas", json::array({request}));
        if (!estimate) return bad("refused: " + estimate.error().message);
        HC_ASSIGN_OR_RETURN(uint64_t gas, rpc::quantity_u64(*estimate));
        HC_ASSIGN_OR_RETURN(json chain_id, client_->call("eth_chainId"));
        HC_ASSIGN_OR_RETURN(json nonce, client_->call("eth_getTransactionCount",
                                                      json::array({from_hex, "pending"})));
        HC_ASSIGN_OR_RETURN(json price, client_->call("eth_gasPrice"));
        Transaction tx;
        tx.type = TxType::legacy;
        HC_ASSIGN_OR_RETURN(tx.chain_id, rpc::quantity_u64(chain_id));
        HC_ASSIGN_OR_RETURN(tx.nonce, rpc::quantity_u64(nonce));
        HC_ASSIGN_OR_RETURN(tx.gas_price, quantity(price, "eth_gasPrice"));
        tx.gas_limit = gas + gas / 4;  // headroom: the state may move before it runs
        tx.to = to;
        tx.data = data;
        HC_TRY(sign_transaction(tx, key_));
        HC_ASSIGN_OR_RETURN(
            json hash,
            client_->call("eth_sendRawTransaction", json::array({to_hex(encode_transaction(tx))})));
        out << "sent " << hash.get<std::string>() << " from " << from_hex << "\n";
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s_);
        for (;;) {
            HC_ASSIGN_OR_RETURN(json receipt,
                                client_->call("eth_getTransactionReceipt", json::array({hash})));
            if (!receipt.is_null()) {
                HC_ASSIGN_OR_RETURN(uint64_t status,
                                    rpc::quantity_u64(receipt.value("status", json())));
                HC_ASSIGN_OR_RETURN(uint64_t block,
                                    rpc::quantity_u64(receipt.value("blockNumber", json())));
                if (status != 1)
                    return bad("the transaction failed in block " + std::to_string(block) +
                               " (the state changed after the estimate; run it again to see why)");
                out << "committed in block " << block << "\n";
                return receipt;
            }
            if (std::chrono::steady_clock::now() >= deadline)
                return make_error(Errc::io, "no receipt within " + std::to_string(timeout_s_) +
                                                " s: is the network committing blocks?");
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

  private:
    Sender(const Hash32& key, const Address& from, const rpc::Endpoint& endpoint,
           uint64_t timeout_s)
        : key_(key),
          from_(from),
          client_(std::make_unique<rpc::Client>(endpoint)),
          timeout_s_(timeout_s) {}

    Hash32 key_;
    Address from_;
    std::unique_ptr<rpc::Client> client_;  // not movable itself
    uint64_t timeout_s_;
};

Result<json> read_only(const GovOptions& o, const char* method) {
    HC_ASSIGN_OR_RETURN(rpc::Endpoint endpoint, rpc::parse_http_url(o.rpc));
    rpc::Client client(endpoint);
    return client.call(method);
}

Status enrol(const GovOptions& o, std::ostream& out) {
    HC_ASSIGN_OR_RETURN(Sender sender, Sender::open(o));
    if (!o.cert.empty()) {
        if (!o.address.empty() || !o.org.empty())
            return bad(
                "--cert enrols the key's own account; --address and --org are for an "
                "admin enrolling someone else");
        HC_ASSIGN_OR_RETURN(std::string pem, read_text(o.cert, "certificate"));
        auto cert = crypto::Certificate::from_pem(pem);
        if (!cert) return bad(o.cert.string() + ": " + cert.error().message);
        const Bytes data =
            abi::Encoder().add_bytes(cert->der()).finish(abi::selector("enrol(bytes)"));
        HC_TRY(sender.transact(governance::membership_address(), data, out));
        out << "enrolled " << to_checksum_address(sender.address()) << " with " << o.cert.string()
            << "\n";
        return {};
    }
    if (o.address.empty() || o.org.empty())
        return bad("give --cert (self-enrolment) or --address and --org (an admin enrolling)");
    HC_ASSIGN_OR_RETURN(Address member, parse_address(o.address));
    HC_TRY(governance::parse_role(o.role));
    const Bytes data =
        abi::Encoder().add_address(member).add_string(o.org).add_string(o.role).finish(
            abi::selector("enrolMember(address,string,string)"));
    HC_TRY(sender.transact(governance::membership_address(), data, out));
    out << "enrolled " << to_checksum_address(member) << " as a " << o.role << " of " << o.org
        << "\n";
    return {};
}

Status revoke(const GovOptions& o, std::ostream& out) {
    if (o.address.empty()) return bad("--address is required: the member to revoke");
    HC_ASSIGN_OR_RETURN(Address member, parse_address(o.address));
    HC_ASSIGN_OR_RETURN(Sender sender, Sender::open(o));
    const Bytes data = abi::Encoder().add_address(member).finish(abi::selector("revoke(address)"));
    HC_TRY(sender.transact(governance::membership_address(), data, out));
    out << "revoked " << to_checksum_address(member) << "\n";
    return {};
}

Status propose(const GovOptions& o, std::ostream& out) {
    std::string text = o.action;
    if (!o.action_file.empty()) {
        if (!text.empty()) return bad("give --action or --action-file, not both");
        HC_ASSIGN_OR_RETURN(text, read_text(o.action_file, "action file"));
    }
    if (text.empty())
        return bad("--action is required: the action as JSON (see docs/governance.md)");
    // Checked here too, so a typo is caught without a round trip.
    HC_ASSIGN_OR_RETURN(governance::Action action, governance::parse_action(text));
    HC_ASSIGN_OR_RETURN(Sender sender, Sender::open(o));
    const Bytes data = abi::Encoder()
                           .add_string(governance::action_to_json(action))
                           .finish(abi::selector("propose(string)"));
    HC_ASSIGN_OR_RETURN(json receipt, sender.transact(governance::governance_address(), data, out));
    const std::string proposed = abi::event_topic("Proposed(uint256,address,string)").hex();
    const std::string executed = abi::event_topic("Executed(uint256)").hex();
    for (const json& log : receipt.value("logs", json::array())) {
        const json topics = log.value("topics", json::array());
        if (topics.size() < 2) continue;
        const std::string topic = topics[0].get<std::string>();
        if (topic == proposed) {
            HC_ASSIGN_OR_RETURN(uint256 id, quantity(topics[1], "proposal id"));
            out << "proposal " << id.to_dec() << " made; the other organisations' admins vote with "
                << "`honeycomb gov vote --id " << id.to_dec() << "`\n";
        } else if (topic == executed) {
            out << "it already had the votes it needs: executed\n";
        }
    }
    return {};
}

Status vote(const GovOptions& o, std::ostream& out) {
    if (o.id == 0) return bad("--id is required: the proposal to vote for (see `gov list`)");
    HC_ASSIGN_OR_RETURN(Sender sender, Sender::open(o));
    const Bytes data =
        abi::Encoder().add_uint(uint256(o.id)).finish(abi::selector("vote(uint256)"));
    HC_ASSIGN_OR_RETURN(json receipt, sender.transact(governance::governance_address(), data, out));
    const std::string executed = abi::event_topic("Executed(uint256)").hex();
    const std::string failed = abi::event_topic("ProposalFailed(uint256,string)").hex();
    bool done = false;
    for (const json& log : receipt.value("logs", json::array())) {
        const json topics = log.value("topics", json::array());
        if (topics.empty()) continue;
        if (topics[0] == executed) {
            out << "proposal " << o.id << " reached its threshold and was executed\n";
            done = true;
        } else if (topics[0] == failed) {
            out << "proposal " << o.id
                << " reached its threshold but could not apply (see `gov list`)\n";
            done = true;
        }
    }
    if (!done) out << "vote counted; proposal " << o.id << " still needs more votes\n";
    return {};
}

Status list_members(const GovOptions& o, std::ostream& out) {
    HC_ASSIGN_OR_RETURN(json members, read_only(o, "honeycomb_members"));
    out << members.size() << " member(s)\n";
    for (const json& m : members)
        out << "  " << m.value("address", "") << "  " << m.value("organisation", "") << "  "
            << m.value("role", "")
            << (m.value("certificate", json()).is_null() ? "" : "  (certificate)") << "\n";
    return {};
}

Status list_proposals(const GovOptions& o, std::ostream& out) {
    HC_ASSIGN_OR_RETURN(json proposals, read_only(o, "honeycomb_proposals"));
    out << proposals.size() << " proposal(s)\n";
    for (const json& p : proposals) {
        out << "  #" << p.value("id", 0) << "  " << p.value("status", "") << "  by "
            << p.value("proposer", "") << "  votes " << p.value("voters", json::array()).size()
            << "\n    " << p.value("action", json()).dump() << "\n";
        if (!p.value("outcome", "").empty())
            out << "    outcome: " << p.value("outcome", "") << "\n";
    }
    return {};
}

}  // namespace

Status run_gov(GovVerb verb, const GovOptions& options, std::ostream& out) {
    switch (verb) {
        case GovVerb::member_enrol:
            return enrol(options, out);
        case GovVerb::member_revoke:
            return revoke(options, out);
        case GovVerb::member_list:
            return list_members(options, out);
        case GovVerb::gov_propose:
            return propose(options, out);
        case GovVerb::gov_vote:
            return vote(options, out);
        case GovVerb::gov_list:
            return list_proposals(options, out);
    }
    return make_error(Errc::internal, "unknown verb");
}

std::optional<GovVerb> GovCommands::parsed() const {
    if (enrol && *enrol) return GovVerb::member_enrol;
    if (revoke && *revoke) return GovVerb::member_revoke;
    if (member_list && *member_list) return GovVerb::member_list;
    if (propose && *propose) return GovVerb::gov_propose;
    if (vote && *vote) return GovVerb::gov_vote;
    if (gov_list && *gov_list) return GovVerb::gov_list;
    return std::nullopt;
}

GovCommands add_gov_commands(CLI::App& app, GovOptions& o) {
    GovCommands c;
    auto rpc = [&](CLI::App* cmd) {
        cmd->add_option("--rpc", o.rpc, "A node's JSON-RPC URL")->capture_default_str();
    };
    auto key = [&](CLI::App* cmd, const char* what) { cmd->add_option("--key", o.key, what); };
    c.member = app.add_subcommand("member", "Consortium members: enrol, revoke, list");
    c.member->require_subcommand(1, 1);
    c.enrol = c.member->add_subcommand(
        "enrol", "Enrol the key's account with its certificate, or (an admin) enrol an address");
    rpc(c.enrol);
    key(c.enrol, "Member key file: the account that sends (and, with --cert, enrols)");
    c.enrol->add_option("--cert", o.cert, "The member certificate (PEM) for self-enrolment");
    c.enrol->add_option("--address", o.address, "An address an admin enrols directly");
    c.enrol->add_option("--org", o.org, "The organisation it joins");
    c.enrol->add_option("--role", o.role, "client or admin")->capture_default_str();
    c.revoke = c.member->add_subcommand("revoke", "An admin revokes a member of its organisation");
    rpc(c.revoke);
    key(c.revoke, "The admin's key file");
    c.revoke->add_option("--address", o.address, "The member to revoke");
    c.member_list = c.member->add_subcommand("list", "List the consortium's members");
    rpc(c.member_list);

    c.gov = app.add_subcommand("gov", "Governance: propose, vote, list proposals");
    c.gov->require_subcommand(1, 1);
    c.propose = c.gov->add_subcommand("propose", "Propose an action (an admin's vote is included)");
    rpc(c.propose);
    key(c.propose, "The admin's key file");
    c.propose->add_option("--action", o.action, "The action as JSON (docs/governance.md)");
    c.propose->add_option("--action-file", o.action_file, "A file holding the action's JSON");
    c.vote = c.gov->add_subcommand("vote", "Vote for a proposal");
    rpc(c.vote);
    key(c.vote, "The admin's key file");
    c.vote->add_option("--id", o.id, "The proposal's id");
    c.gov_list = c.gov->add_subcommand("list", "List proposals with their status and votes");
    rpc(c.gov_list);
    for (CLI::App* cmd : {c.enrol, c.revoke, c.member_list, c.propose, c.vote, c.gov_list})
        cmd->add_option("--timeout", o.timeout_s, "Seconds to wait for a receipt")
            ->capture_default_str();
    return c;
}

int run_gov_command(GovVerb verb, const GovOptions& options) {
    if (Status st = run_gov(verb, options, std::cout); !st) {
        std::fprintf(stderr, "honeycomb: %s\n", st.error().message.c_str());
        return 1;
    }
    return 0;
}

}  // namespace hc::cli
