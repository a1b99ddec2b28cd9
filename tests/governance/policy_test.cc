#include "governance/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace hc::governance {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kFourOrgs{"org1", "org2", "org3", "org4"};

Rule rule_of(std::string_view text) {
    auto rule = parse_rule(text);
    EXPECT_TRUE(rule.ok()) << text << ": " << rule.error().to_string();
    return rule.ok() ? *rule : Rule{};
}

Member admin(std::string org) {
    return Member{std::move(org), Role::admin};
}
Member client(std::string org) {
    return Member{std::move(org), Role::client};
}

std::vector<Member> admins_of(int n) {
    std::vector<Member> out;
    for (int i = 0; i < n; ++i)
        out.push_back(admin(kFourOrgs[i]));
    return out;
}

// --- Thresholds over four organisations: every kind, at every approval count. ---

struct ThresholdCase {
    std::string rule;
    size_t required;  // with four eligible organisations
};
void PrintTo(const ThresholdCase& c, std::ostream* os) {
    *os << '"' << c.rule << "\" needs " << c.required;
}

class Threshold : public ::testing::TestWithParam<ThresholdCase> {};

TEST_P(Threshold, PassesExactlyFromTheRequiredCount) {
    const Rule rule = rule_of(GetParam().rule);
    for (int approving = 0; approving <= 4; ++approving) {
        const Evaluation ev = evaluate(rule, kFourOrgs, admins_of(approving));
        EXPECT_EQ(ev.eligible, 4u);
        EXPECT_EQ(ev.approving, static_cast<size_t>(approving));
        EXPECT_EQ(ev.required, GetParam().required);
        EXPECT_EQ(ev.passed, static_cast<size_t>(approving) >= GetParam().required)
            << GetParam().rule << " with " << approving;
        EXPECT_EQ(ev.reason.empty(), ev.passed) << ev.reason;
    }
}

INSTANTIATE_TEST_SUITE_P(Policy, Threshold,
                         ::testing::Values(ThresholdCase{"ANY", 1}, ThresholdCase{"ALL", 4},
                                           ThresholdCase{"MAJORITY", 3}, ThresholdCase{"1", 1},
                                           ThresholdCase{"3", 3}, ThresholdCase{"4", 4},
                                           ThresholdCase{"2/3", 3}, ThresholdCase{"1/2", 2},
                                           ThresholdCase{"3/4", 3}, ThresholdCase{"1/1", 4},
                                           ThresholdCase{"1/3", 2}, ThresholdCase{"2/4", 2}),
                         [](const auto& info) {
                             std::string name;
                             for (char c : info.param.rule)
                                 name += c == '/' ? '_' : c;
                             return "r" + name;
                         });

TEST(Policy, MajorityIsMoreThanHalfForOddAndEvenCounts) {
    const std::vector<std::string> three{"a", "b", "c"};
    const std::vector<std::string> one{"a"};
    const Rule majority = rule_of("MAJORITY");
    EXPECT_EQ(evaluate(majority, three, {}).required, 2u);
    EXPECT_TRUE(evaluate(majority, three, std::vector{admin("a"), admin("c")}).passed);
    EXPECT_FALSE(evaluate(majority, three, std::vector{admin("a")}).passed);
    EXPECT_TRUE(evaluate(majority, one, std::vector{admin("a")}).passed);
}

TEST(Policy, FractionMatchesTheCrossMultipliedInequalityEverywhere) {
    // approving * b >= eligible * a, checked directly for small consortia and fractions.
    for (uint32_t b = 1; b <= 7; ++b) {
        for (uint32_t a = 1; a <= b; ++a) {
            Rule rule;
            rule.kind = Kind::fraction;
            rule.numerator = a;
            rule.denominator = b;
            for (size_t n = 1; n <= 9; ++n) {
                std::vector<std::string> orgs;
                for (size_t i = 0; i < n; ++i)
                    orgs.push_back("o" + std::to_string(i));
                std::vector<Member> approvals;
                for (size_t k = 0; k <= n; ++k) {
                    const Evaluation ev = evaluate(rule, orgs, approvals);
                    EXPECT_EQ(ev.passed, k * b >= n * a)
                        << a << "/" << b << " n=" << n << " k=" << k;
                    if (k < n) approvals.push_back(admin(orgs[k]));
                }
            }
        }
    }
}

TEST(Policy, OneOverOneBehavesAsAll) {
    const Rule all = rule_of("ALL");
    const Rule one = rule_of("1/1");
    for (int k = 0; k <= 4; ++k) {
        EXPECT_EQ(evaluate(all, kFourOrgs, admins_of(k)).passed,
                  evaluate(one, kFourOrgs, admins_of(k)).passed);
        EXPECT_EQ(evaluate(all, kFourOrgs, admins_of(k)).required,
                  evaluate(one, kFourOrgs, admins_of(k)).required);
    }
}

TEST(Policy, ReasonSaysHowManyApprovedAndWhatTheRuleNeeds) {
    const Evaluation ev = evaluate(rule_of("MAJORITY"), kFourOrgs, admins_of(2));
    EXPECT_FALSE(ev.passed);
    EXPECT_EQ(ev.reason, "2 of 4 organisations approved; MAJORITY needs 3");
    EXPECT_EQ(evaluate(rule_of("2/3 roles=admin"), kFourOrgs, admins_of(1)).reason,
              "1 of 4 organisations approved; 2/3 roles=admin needs 3");
}

// --- Counting organisations, not signatures. ---

TEST(Policy, DuplicateApprovalsFromOneMemberCountOnce) {
    const std::vector<Member> approvals(5, admin("org1"));
    const Evaluation ev = evaluate(rule_of("2"), kFourOrgs, approvals);
    EXPECT_EQ(ev.approving, 1u);
    EXPECT_FALSE(ev.passed);
}

TEST(Policy, SeveralMembersOfOneOrganisationCountAsOne) {
    const std::vector<Member> approvals{admin("org1"), client("org1"), Member{"org1", Role::node}};
    const Evaluation ev = evaluate(rule_of("MAJORITY"), kFourOrgs, approvals);
    EXPECT_EQ(ev.approving, 1u);
    EXPECT_FALSE(ev.passed);
}

TEST(Policy, ApprovalsFromOutsideTheConsortiumAreIgnored) {
    const std::vector<Member> approvals{admin("org1"), admin("intruder"), admin("org5")};
    const Evaluation ev = evaluate(rule_of("2"), kFourOrgs, approvals);
    EXPECT_EQ(ev.approving, 1u);
    EXPECT_FALSE(ev.passed);
}

TEST(Policy, ApprovalsFromRolesOutsideRolesAreIgnored) {
    const Rule rule = rule_of("MAJORITY roles=admin");
    const std::vector<Member> clients{client("org1"), client("org2"), client("org3")};
    EXPECT_EQ(evaluate(rule, kFourOrgs, clients).approving, 0u);
    EXPECT_FALSE(evaluate(rule, kFourOrgs, clients).passed);

    std::vector<Member> mixed{client("org1"), admin("org2"), admin("org3"), admin("org4")};
    EXPECT_TRUE(evaluate(rule, kFourOrgs, mixed).passed);
    EXPECT_EQ(evaluate(rule, kFourOrgs, mixed).approving, 3u);
    // Without a roles restriction the client counts too.
    EXPECT_EQ(evaluate(rule_of("MAJORITY"), kFourOrgs, mixed).approving, 4u);
}

TEST(Policy, OrgListNarrowsTheElectorate) {
    const Rule rule = rule_of("ALL orgs=org1,org2");
    const Evaluation partial = evaluate(rule, kFourOrgs, std::vector{admin("org1"), admin("org3")});
    EXPECT_EQ(partial.eligible, 2u);
    EXPECT_EQ(partial.approving, 1u);  // org3 is in the consortium but not in orgs=
    EXPECT_FALSE(partial.passed);
    EXPECT_TRUE(evaluate(rule, kFourOrgs, std::vector{admin("org2"), admin("org1")}).passed);
}

TEST(Policy, OrgListNamingAnOrganisationOutsideTheConsortiumIgnoresIt) {
    const Rule rule = rule_of("ALL orgs=org1,ghost");
    const Evaluation ev = evaluate(rule, kFourOrgs, std::vector{admin("org1"), admin("ghost")});
    EXPECT_EQ(ev.eligible, 1u);
    EXPECT_EQ(ev.approving, 1u);
    EXPECT_TRUE(ev.passed);
}

TEST(Policy, DuplicateConsortiumNamesCountOnce) {
    const std::vector<std::string> orgs{"org1", "org1", "org2"};
    const Evaluation ev = evaluate(rule_of("ALL"), orgs, std::vector{admin("org1"), admin("org2")});
    EXPECT_EQ(ev.eligible, 2u);
    EXPECT_TRUE(ev.passed);
}

// --- Rules that can never pass. ---

TEST(Policy, CountAboveTheEligibleOrganisationsNeverPasses) {
    const Evaluation ev = evaluate(rule_of("5"), kFourOrgs, admins_of(4));
    EXPECT_FALSE(ev.passed);
    EXPECT_EQ(ev.required, 5u);
    EXPECT_EQ(ev.reason, "4 of 4 organisations approved; 5 needs 5, but only 4 are eligible");
}

class ZeroEligible : public ::testing::TestWithParam<std::string> {};

TEST_P(ZeroEligible, DoesNotPassAndSaysWhy) {
    const Rule rule = rule_of(GetParam());
    const Evaluation empty = evaluate(rule, {}, std::vector{admin("org1")});
    EXPECT_FALSE(empty.passed);
    EXPECT_EQ(empty.eligible, 0u);
    EXPECT_THAT(empty.reason, HasSubstr("no eligible organisations: the consortium has none"));

    Rule outside = rule;
    outside.orgs = {"ghost"};
    const Evaluation none = evaluate(outside, kFourOrgs, std::vector{admin("ghost")});
    EXPECT_FALSE(none.passed);
    EXPECT_EQ(none.eligible, 0u);
    EXPECT_EQ(none.approving, 0u);
    EXPECT_THAT(none.reason, HasSubstr("none of orgs=ghost is in the consortium"));
}

INSTANTIATE_TEST_SUITE_P(Policy, ZeroEligible,
                         ::testing::Values("ANY", "ALL", "MAJORITY", "1", "1/2", "1/1"),
                         [](const auto& info) {
                             std::string name;
                             for (char c : info.param)
                                 name += c == '/' ? '_' : c;
                             return "r" + name;
                         });

TEST(Policy, ForbiddenNeverPassesEvenWithEveryoneApproving) {
    std::vector<Member> everyone;
    for (const auto& org : kFourOrgs) {
        for (Role role : {Role::admin, Role::client, Role::node})
            everyone.push_back({org, role});
    }
    const Evaluation ev = evaluate(rule_of("FORBIDDEN"), kFourOrgs, everyone, "org1");
    EXPECT_FALSE(ev.passed);
    EXPECT_EQ(ev.approving, 4u);
    EXPECT_EQ(ev.reason, "FORBIDDEN never passes");
    EXPECT_FALSE(evaluate(Rule{}, kFourOrgs, everyone, "org1").passed);  // the default fails closed
}

TEST(Policy, HandBuiltInvalidRulesFailClosed) {
    Rule zero;
    zero.kind = Kind::m_of_n;
    zero.m = 0;
    EXPECT_FALSE(evaluate(zero, kFourOrgs, {}).passed);
    EXPECT_THAT(evaluate(zero, kFourOrgs, {}).reason, HasSubstr("invalid rule"));

    Rule divide_by_zero;
    divide_by_zero.kind = Kind::fraction;
    divide_by_zero.numerator = 1;
    EXPECT_FALSE(evaluate(divide_by_zero, kFourOrgs, admins_of(4)).passed);
}

// --- SELF. ---

TEST(Policy, SelfPassesOnlyWhenTheRequestersOrganisationApproved) {
    const Rule rule = rule_of("SELF roles=admin");
    const Evaluation own = evaluate(rule, kFourOrgs, std::vector{admin("org2")}, "org2");
    EXPECT_TRUE(own.passed);
    EXPECT_EQ(own.approving, 1u);
    EXPECT_EQ(own.eligible, 1u);
    EXPECT_EQ(own.required, 1u);

    const Evaluation others = evaluate(rule, kFourOrgs, admins_of(4), "org9");
    EXPECT_FALSE(others.passed);
    EXPECT_EQ(others.reason, "the requester's organisation \"org9\" is not in the consortium");

    const Evaluation not_own =
        evaluate(rule, kFourOrgs, std::vector{admin("org1"), admin("org3")}, "org2");
    EXPECT_FALSE(not_own.passed);
    EXPECT_EQ(not_own.reason,
              "the requester's organisation \"org2\" has not approved; SELF roles=admin needs its "
              "approval");

    // A client of the requester's own org is not an admin.
    EXPECT_FALSE(evaluate(rule, kFourOrgs, std::vector{client("org2")}, "org2").passed);
}

TEST(Policy, SelfWithoutARequesterDoesNotPass) {
    const Evaluation ev = evaluate(rule_of("SELF"), kFourOrgs, admins_of(4));
    EXPECT_FALSE(ev.passed);
    EXPECT_THAT(ev.reason, HasSubstr("none was given"));
}

TEST(Policy, SelfRespectsOrgList) {
    const Rule rule = rule_of("SELF orgs=org1");
    EXPECT_TRUE(evaluate(rule, kFourOrgs, std::vector{admin("org1")}, "org1").passed);
    const Evaluation ev = evaluate(rule, kFourOrgs, std::vector{admin("org2")}, "org2");
    EXPECT_FALSE(ev.passed);
    EXPECT_EQ(ev.reason, "the requester's organisation \"org2\" is not in orgs=org1");
}

// --- Text form. ---

class RoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(RoundTrip, CanonicalTextParsesBackToTheSameRule) {
    auto rule = parse_rule(GetParam());
    ASSERT_TRUE(rule.ok()) << rule.error().to_string();
    EXPECT_EQ(rule_to_string(*rule), GetParam());
    auto again = parse_rule(rule_to_string(*rule));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *rule);
}

INSTANTIATE_TEST_SUITE_P(Policy, RoundTrip,
                         ::testing::Values("ANY", "ALL", "MAJORITY", "SELF", "FORBIDDEN", "1", "3",
                                           "4294967295", "2/3", "1/1", "2/4",
                                           "MAJORITY orgs=org1,org2 roles=admin",
                                           "ANY roles=admin,client", "ALL orgs=org1",
                                           "SELF roles=admin,client,node",
                                           "2/3 orgs=Org-A,org_b roles=node"));

TEST(Policy, ParserNormalisesCaseOrderSpacingAndDuplicates) {
    EXPECT_EQ(rule_to_string(rule_of("  majority\troles=ADMIN,Client,admin   orgs=b,a,b ")),
              "MAJORITY orgs=a,b roles=admin,client");
    EXPECT_EQ(rule_of("any"), rule_of("ANY"));
}

struct BadRule {
    std::string text;
    std::string message;
};
void PrintTo(const BadRule& c, std::ostream* os) {
    *os << ::testing::PrintToString(c.text);
}

class ParseError : public ::testing::TestWithParam<BadRule> {};

TEST_P(ParseError, IsInvalidArgumentWithAnActionableMessage) {
    auto rule = parse_rule(GetParam().text);
    ASSERT_FALSE(rule.ok()) << GetParam().text;
    EXPECT_EQ(rule.error().code, Errc::invalid_argument);
    EXPECT_EQ(rule.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Policy, ParseError,
    ::testing::Values(
        BadRule{"MAJ",
                "unknown rule \"MAJ\": expected ANY, ALL, MAJORITY, SELF, FORBIDDEN, a "
                "count like 3 or a fraction like 2/3"},
        BadRule{"",
                "empty rule: expected ANY, ALL, MAJORITY, SELF, FORBIDDEN, a count like 3 or "
                "a fraction like 2/3"},
        BadRule{" \t ",
                "empty rule: expected ANY, ALL, MAJORITY, SELF, FORBIDDEN, a count like 3 "
                "or a fraction like 2/3"},
        BadRule{"0", "count must be at least 1: a count of 0 would pass with no approval"},
        BadRule{"-1",
                "unknown rule \"-1\": expected ANY, ALL, MAJORITY, SELF, FORBIDDEN, a count "
                "like 3 or a fraction like 2/3"},
        BadRule{"4294967296", "count \"4294967296\" is too large (at most 4294967295)"},
        BadRule{"3/2", "fraction 3/2 is more than 1: no number of organisations could reach it"},
        BadRule{"1/0", "fraction denominator must not be 0"},
        BadRule{"0/3", "fraction numerator must be at least 1: 0/3 would pass with no approval"},
        BadRule{"2/", "fraction \"2/\": expected two whole numbers like 2/3"},
        BadRule{"/3", "fraction \"/3\": expected two whole numbers like 2/3"},
        BadRule{"1/2/3", "fraction \"1/2/3\": expected two whole numbers like 2/3"},
        BadRule{"0.5",
                "unknown rule \"0.5\": expected ANY, ALL, MAJORITY, SELF, FORBIDDEN, a "
                "count like 3 or a fraction like 2/3"},
        BadRule{"ANY admin",
                "unexpected \"admin\" after \"ANY\": restrictions look like "
                "orgs=org1,org2 or roles=admin,client"},
        BadRule{
            "ANY role=admin",
            "unknown restriction \"role=admin\": expected orgs=org1,org2 or roles=admin,client"},
        BadRule{"ANY roles=admin roles=client", "roles= given twice in one rule"},
        BadRule{"ANY orgs=a orgs=b", "orgs= given twice in one rule"},
        BadRule{"ANY orgs=", "\"orgs=\" lists nothing: leave it out to allow all"},
        BadRule{"ANY orgs=a,,b",
                "empty organisation name in \"orgs=a,,b\": expected orgs=org1,org2"},
        BadRule{"ANY orgs=a=b", "organisation name \"a=b\" contains '=' or a control character"},
        BadRule{"ANY roles=owner",
                "in roles=: unknown role \"owner\": expected admin, client or "
                "node"},
        BadRule{std::string("ANY orgs=a\x01"),
                "organisation name \"a\\x01\" contains '=' or a control character"}));

TEST(Policy, GarbageNeverCrashesAndEitherFailsOrRoundTrips) {
    const std::vector<std::string> odd{"=",
                                       "==",
                                       "/",
                                       "//",
                                       "ANY =",
                                       "ANY =x",
                                       "ANY orgs",
                                       ",",
                                       "ANY orgs=,",
                                       "ANY roles=,",
                                       std::string(1, '\0'),
                                       std::string("ANY\0x", 5),
                                       "\xff\xfe",
                                       "99999999999999999999",
                                       "1/99999999999999999999",
                                       "ALL orgs=\xc3\xa9t\xc3\xa9",
                                       std::string(10000, 'A'),
                                       std::string(10000, '9'),
                                       "SELF roles=admin roles"};
    std::mt19937 rng(20261129);
    const std::string alphabet = "ANYLMJORIFBDSEorgsle=,/ 0123456789\t\x01\xff";
    std::vector<std::string> inputs = odd;
    for (int i = 0; i < 5000; ++i) {
        std::string s(rng() % 24, ' ');
        for (char& c : s)
            c = alphabet[rng() % alphabet.size()];
        inputs.push_back(s);
    }
    size_t parsed = 0;
    for (const std::string& text : inputs) {
        auto rule = parse_rule(text);
        if (!rule.ok()) {
            EXPECT_FALSE(rule.error().message.empty());
            EXPECT_LE(rule.error().message.size(), 400u);  // long input is quoted in part
            continue;
        }
        ++parsed;
        auto again = parse_rule(rule_to_string(*rule));
        ASSERT_TRUE(again.ok()) << rule_to_string(*rule);
        EXPECT_EQ(*again, *rule);
        (void)evaluate(*rule, kFourOrgs, admins_of(2), "org1");
    }
    EXPECT_GT(parsed, 0u);  // the generator does reach valid rules
}

// --- Roles, resources, the policy set. ---

TEST(Policy, RoleNamesRoundTrip) {
    for (Role role : {Role::admin, Role::client, Role::node}) {
        auto parsed = parse_role(role_name(role));
        ASSERT_TRUE(parsed.ok());
        EXPECT_EQ(*parsed, role);
    }
    EXPECT_EQ(*parse_role("ADMIN"), Role::admin);
    EXPECT_EQ(parse_role("root").error().message,
              "unknown role \"root\": expected admin, client or node");
}

TEST(Policy, ResourceNamesRoundTrip) {
    for (Resource r : {Resource::deploy_contract, Resource::call_contract, Resource::change_config,
                       Resource::manage_members, Resource::manage_nodes}) {
        auto parsed = parse_resource(resource_name(r));
        ASSERT_TRUE(parsed.ok());
        EXPECT_EQ(*parsed, r);
    }
    EXPECT_EQ(parse_resource("deploy").error().message,
              "unknown resource \"deploy\": expected deploy_contract, call_contract, "
              "change_config, manage_members or manage_nodes");
}

TEST(Policy, PolicySetDefaults) {
    const PolicySet set;
    EXPECT_EQ(rule_to_string(set.rule(Resource::deploy_contract)), "ANY roles=admin,client");
    EXPECT_EQ(rule_to_string(set.rule(Resource::call_contract)), "ANY");
    EXPECT_EQ(rule_to_string(set.rule(Resource::change_config)), "MAJORITY roles=admin");
    EXPECT_EQ(rule_to_string(set.rule(Resource::manage_members)), "SELF roles=admin");
    EXPECT_EQ(rule_to_string(set.rule(Resource::manage_nodes)), "MAJORITY roles=admin");
    EXPECT_EQ(set.rules().size(), 5u);

    // A node identity alone cannot deploy; a client can.
    EXPECT_FALSE(evaluate(set.rule(Resource::deploy_contract), kFourOrgs,
                          std::vector{Member{"org1", Role::node}})
                     .passed);
    EXPECT_TRUE(
        evaluate(set.rule(Resource::deploy_contract), kFourOrgs, std::vector{client("org1")})
            .passed);
}

TEST(Policy, PolicySetFromTextChangesOnlyOnSuccess) {
    PolicySet set;
    ASSERT_TRUE(set.set("change_config", "2/3 roles=admin").ok());
    EXPECT_EQ(rule_to_string(set.rule(Resource::change_config)), "2/3 roles=admin");

    const Status bad_rule = set.set("change_config", "MAJ");
    ASSERT_FALSE(bad_rule.ok());
    EXPECT_THAT(bad_rule.error().message, HasSubstr("policy for change_config: unknown rule"));
    EXPECT_EQ(rule_to_string(set.rule(Resource::change_config)), "2/3 roles=admin");

    const Status bad_resource = set.set("configure", "ANY");
    ASSERT_FALSE(bad_resource.ok());
    EXPECT_THAT(bad_resource.error().message, HasSubstr("unknown resource \"configure\""));

    set.set(Resource::call_contract, rule_of("FORBIDDEN"));
    EXPECT_EQ(set.rule(Resource::call_contract).kind, Kind::forbidden);
}

}  // namespace
}  // namespace hc::governance
