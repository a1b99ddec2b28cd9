#include "governance/policy.h"

#include <array>
#include <charconv>
#include <vector>

namespace hc::governance {
namespace {

constexpr std::string_view kExpectedKinds =
    "expected ANY, ALL, MAJORITY, SELF, FORBIDDEN, a count like 3 or a fraction like 2/3";

constexpr std::array<std::pair<Kind, std::string_view>, 5> kKindNames{{
    {Kind::any, "ANY"},
    {Kind::all, "ALL"},
    {Kind::majority, "MAJORITY"},
    {Kind::self, "SELF"},
    {Kind::forbidden, "FORBIDDEN"},
}};

constexpr std::array<Resource, 5> kResources{Resource::deploy_contract, Resource::call_contract,
                                             Resource::change_config, Resource::manage_members,
                                             Resource::manage_nodes};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char to_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (to_lower(a[i]) != to_lower(b[i])) return false;
    }
    return true;
}

// Messages quote what the user wrote; garbage input must still make a readable, bounded message.
std::string quote(std::string_view text) {
    constexpr size_t kMax = 64;
    std::string out = "\"";
    for (size_t i = 0; i < text.size() && i < kMax; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
            constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (text.size() > kMax) out += "...";
    return out + "\"";
}

std::vector<std::string_view> split(std::string_view text, bool (*is_sep)(char)) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || is_sep(text[i])) {
            parts.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    return parts;
}

bool all_digits(std::string_view text) {
    if (text.empty()) return false;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

Result<uint32_t> parse_number(std::string_view text, std::string_view what) {
    if (!all_digits(text)) {
        return make_error(Errc::invalid_argument,
                          std::string(what) + " " + quote(text) + " is not a whole number");
    }
    uint32_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return make_error(Errc::invalid_argument, std::string(what) + " " + quote(text) +
                                                      " is too large (at most 4294967295)");
    }
    return value;
}

// One check for parsed and hand-built rules, so evaluate() fails closed on the latter too.
Status validate(const Rule& rule) {
    if (rule.kind == Kind::m_of_n && rule.m == 0) {
        return make_error(Errc::invalid_argument,
                          "count must be at least 1: a count of 0 would pass with no approval");
    }
    if (rule.kind == Kind::fraction) {
        if (rule.denominator == 0) {
            return make_error(Errc::invalid_argument, "fraction denominator must not be 0");
        }
        if (rule.numerator == 0) {
            return make_error(Errc::invalid_argument, "fraction numerator must be at least 1: 0/" +
                                                          std::to_string(rule.denominator) +
                                                          " would pass with no approval");
        }
        if (rule.numerator > rule.denominator) {
            return make_error(Errc::invalid_argument,
                              "fraction " + std::to_string(rule.numerator) + "/" +
                                  std::to_string(rule.denominator) +
                                  " is more than 1: no number of organisations could reach it");
        }
    }
    return {};
}

Result<Rule> parse_kind(std::string_view token) {
    Rule rule;
    if (const size_t slash = token.find('/'); slash != std::string_view::npos) {
        const std::string_view num = token.substr(0, slash);
        const std::string_view den = token.substr(slash + 1);
        if (!all_digits(num) || !all_digits(den)) {
            return make_error(Errc::invalid_argument,
                              "fraction " + quote(token) + ": expected two whole numbers like 2/3");
        }
        HC_ASSIGN_OR_RETURN(rule.numerator, parse_number(num, "fraction numerator"));
        HC_ASSIGN_OR_RETURN(rule.denominator, parse_number(den, "fraction denominator"));
        rule.kind = Kind::fraction;
        return rule;
    }
    if (all_digits(token)) {
        HC_ASSIGN_OR_RETURN(rule.m, parse_number(token, "count"));
        rule.kind = Kind::m_of_n;
        return rule;
    }
    for (const auto& [kind, name] : kKindNames) {
        if (iequals(token, name)) {
            rule.kind = kind;
            return rule;
        }
    }
    return make_error(Errc::invalid_argument,
                      "unknown rule " + quote(token) + ": " + std::string(kExpectedKinds));
}

bool is_comma(char c) {
    return c == ',';
}

Status parse_orgs(std::string_view value, Rule& rule) {
    for (std::string_view org : split(value, is_comma)) {
        if (org.empty()) {
            return make_error(Errc::invalid_argument, "empty organisation name in " +
                                                          quote("orgs=" + std::string(value)) +
                                                          ": expected orgs=org1,org2");
        }
        for (char c : org) {
            const auto u = static_cast<unsigned char>(c);
            if (c == '=' || u < 0x20 || u == 0x7f) {
                return make_error(
                    Errc::invalid_argument,
                    "organisation name " + quote(org) + " contains '=' or a control character");
            }
        }
        rule.orgs.emplace(org);
    }
    return {};
}

Status parse_roles(std::string_view value, Rule& rule) {
    for (std::string_view name : split(value, is_comma)) {
        auto role = parse_role(name);
        if (!role) {
            return make_error(Errc::invalid_argument, "in roles=: " + role.error().message);
        }
        rule.roles.insert(*role);
    }
    return {};
}

std::string join_orgs(const Rule& rule) {
    std::string out;
    for (const std::string& org : rule.orgs) {
        if (!out.empty()) out += ',';
        out += org;
    }
    return out;
}

std::string organisations(size_t n) {
    return std::to_string(n) + (n == 1 ? " organisation" : " organisations");
}

}  // namespace

const char* role_name(Role role) noexcept {
    switch (role) {
        case Role::admin:
            return "admin";
        case Role::client:
            return "client";
        case Role::node:
            return "node";
    }
    return "unknown";
}

Result<Role> parse_role(std::string_view text) {
    for (Role role : {Role::admin, Role::client, Role::node}) {
        if (iequals(text, role_name(role))) return role;
    }
    return make_error(Errc::invalid_argument,
                      "unknown role " + quote(text) + ": expected admin, client or node");
}

Result<Rule> parse_rule(std::string_view text) {
    std::vector<std::string_view> tokens;
    for (std::string_view token : split(text, is_space)) {
        if (!token.empty()) tokens.push_back(token);
    }
    if (tokens.empty()) {
        return make_error(Errc::invalid_argument, "empty rule: " + std::string(kExpectedKinds));
    }
    HC_ASSIGN_OR_RETURN(Rule rule, parse_kind(tokens[0]));
    bool seen_orgs = false;
    bool seen_roles = false;
    for (size_t i = 1; i < tokens.size(); ++i) {
        const std::string_view token = tokens[i];
        const size_t eq = token.find('=');
        if (eq == std::string_view::npos) {
            return make_error(Errc::invalid_argument,
                              "unexpected " + quote(token) + " after " + quote(tokens[0]) +
                                  ": restrictions look like orgs=org1,org2 or roles=admin,client");
        }
        const std::string_view key = token.substr(0, eq);
        const std::string_view value = token.substr(eq + 1);
        bool* seen = iequals(key, "orgs")    ? &seen_orgs
                     : iequals(key, "roles") ? &seen_roles
                                             : nullptr;
        if (seen == nullptr) {
            return make_error(Errc::invalid_argument,
                              "unknown restriction " + quote(token) +
                                  ": expected orgs=org1,org2 or roles=admin,client");
        }
        if (*seen) {
            return make_error(
                Errc::invalid_argument,
                std::string(seen == &seen_orgs ? "orgs" : "roles") + "= given twice in one rule");
        }
        *seen = true;
        if (value.empty()) {
            return make_error(Errc::invalid_argument,
                              quote(token) + " lists nothing: leave it out to allow all");
        }
        HC_TRY(seen == &seen_orgs ? parse_orgs(value, rule) : parse_roles(value, rule));
    }
    HC_TRY(validate(rule));
    return rule;
}

std::string rule_to_string(const Rule& rule) {
    std::string out;
    switch (rule.kind) {
        case Kind::m_of_n:
            out = std::to_string(rule.m);
            break;
        case Kind::fraction:
            out = std::to_string(rule.numerator) + "/" + std::to_string(rule.denominator);
            break;
        default:
            for (const auto& [kind, name] : kKindNames) {
                if (kind == rule.kind) out = name;
            }
    }
    if (!rule.orgs.empty()) out += " orgs=" + join_orgs(rule);
    if (!rule.roles.empty()) {
        out += " roles=";
        bool first = true;
        for (Role role : rule.roles) {
            if (!first) out += ',';
            out += role_name(role);
            first = false;
        }
    }
    return out;
}

Evaluation evaluate(const Rule& rule, std::span<const std::string> consortium_orgs,
                    std::span<const Member> approvals, std::string_view requester_org) {
    Evaluation ev;
    const std::string name = rule_to_string(rule);
    if (auto valid = validate(rule); !valid) {
        ev.reason = "invalid rule " + quote(name) + ": " + valid.error().message;
        return ev;
    }

    std::set<std::string_view> consortium(consortium_orgs.begin(), consortium_orgs.end());
    std::set<std::string_view> eligible;
    for (std::string_view org : consortium) {
        if (rule.orgs.empty() || rule.orgs.contains(org)) eligible.insert(org);
    }
    // A set of organisations: repeated approvals from one member or one org count once.
    std::set<std::string_view> approving;
    for (const Member& member : approvals) {
        if (eligible.contains(member.org) &&
            (rule.roles.empty() || rule.roles.contains(member.role))) {
            approving.insert(member.org);
        }
    }

    if (rule.kind == Kind::forbidden) {
        ev.eligible = eligible.size();
        ev.approving = approving.size();
        ev.reason = "FORBIDDEN never passes";
        return ev;
    }

    if (rule.kind == Kind::self) {
        ev.required = 1;
        if (requester_org.empty()) {
            ev.reason = name + " needs the requester's organisation, and none was given";
            return ev;
        }
        ev.eligible = eligible.contains(requester_org) ? 1 : 0;
        ev.approving = approving.contains(requester_org) ? 1 : 0;
        if (ev.eligible == 0) {
            ev.reason = "the requester's organisation " + quote(requester_org) + " is not " +
                        (consortium.contains(requester_org) ? "in orgs=" + join_orgs(rule)
                                                            : std::string("in the consortium"));
        } else if (ev.approving == 0) {
            ev.reason = "the requester's organisation " + quote(requester_org) +
                        " has not approved; " + name + " needs its approval";
        } else {
            ev.passed = true;
        }
        return ev;
    }

    const size_t e = eligible.size();
    ev.eligible = e;
    ev.approving = approving.size();
    switch (rule.kind) {
        case Kind::any:
            ev.required = 1;
            break;
        case Kind::all:
            ev.required = e;
            break;
        case Kind::majority:
            ev.required = e / 2 + 1;
            break;
        case Kind::m_of_n:
            ev.required = rule.m;
            break;
        case Kind::fraction: {
            // ceil(e * a / b), split so that no product can overflow.
            const uint64_t a = rule.numerator;
            const uint64_t b = rule.denominator;
            ev.required = (e / b) * a + ((e % b) * a + b - 1) / b;
            break;
        }
        default:
            break;
    }
    if (e == 0) {
        ev.reason =
            "no eligible organisations: " +
            (consortium.empty() ? std::string("the consortium has none")
                                : "none of orgs=" + join_orgs(rule) + " is in the consortium") +
            "; " + name + " cannot pass";
        return ev;
    }
    ev.passed = ev.approving >= ev.required;
    if (!ev.passed) {
        ev.reason = std::to_string(ev.approving) + " of " + organisations(e) + " approved; " +
                    name + " needs " + std::to_string(ev.required);
        if (ev.required > e) ev.reason += ", but only " + std::to_string(e) + " are eligible";
    }
    return ev;
}

const char* resource_name(Resource resource) noexcept {
    switch (resource) {
        case Resource::deploy_contract:
            return "deploy_contract";
        case Resource::call_contract:
            return "call_contract";
        case Resource::change_config:
            return "change_config";
        case Resource::manage_members:
            return "manage_members";
        case Resource::manage_nodes:
            return "manage_nodes";
    }
    return "unknown";
}

Result<Resource> parse_resource(std::string_view text) {
    for (Resource resource : kResources) {
        if (text == resource_name(resource)) return resource;
    }
    return make_error(Errc::invalid_argument,
                      "unknown resource " + quote(text) +
                          ": expected deploy_contract, call_contract, change_config, "
                          "manage_members or manage_nodes");
}

PolicySet::PolicySet() {
    const auto rule = [](Kind kind, std::set<Role> roles) {
        Rule r;
        r.kind = kind;
        r.roles = std::move(roles);
        return r;
    };
    rules_[Resource::deploy_contract] = rule(Kind::any, {Role::admin, Role::client});
    rules_[Resource::call_contract] = rule(Kind::any, {});
    rules_[Resource::change_config] = rule(Kind::majority, {Role::admin});
    rules_[Resource::manage_members] = rule(Kind::self, {Role::admin});
    rules_[Resource::manage_nodes] = rule(Kind::majority, {Role::admin});
}

const Rule& PolicySet::rule(Resource resource) const {
    // The constructor fills every resource, and set() only replaces.
    return rules_.at(resource);
}

void PolicySet::set(Resource resource, Rule rule) {
    rules_[resource] = std::move(rule);
}

Status PolicySet::set(std::string_view resource, std::string_view rule_text) {
    HC_ASSIGN_OR_RETURN(Resource r, parse_resource(resource));
    auto rule = parse_rule(rule_text);
    if (!rule) {
        return make_error(Errc::invalid_argument, std::string("policy for ") + resource_name(r) +
                                                      ": " + rule.error().message);
    }
    set(r, std::move(*rule));
    return {};
}

}  // namespace hc::governance
