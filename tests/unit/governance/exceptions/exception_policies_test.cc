// The exception policies parse with file:line:column diagnostics and evaluate as documented:
// severity (CEL conditions, first match wins), ownership (process and error class -> team), SLA
// targets per severity, escalation chains.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "governance/policies/escalation.h"
#include "governance/policies/ownership.h"
#include "governance/policies/severity.h"
#include "governance/policies/sla.h"

namespace govflow::governance::policies {
namespace {

constexpr std::string_view kSeverity = R"(apiVersion: govflow/v1
kind: SeverityPolicy
metadata: {name: baseline}
spec:
  default: P3
  rules:
    - name: big-order-blocked
      when: 'impact.order_value >= 1000.0 && exception.category == "master_data"'
      severity: P1
    - name: any-master-data
      when: exception.category == "master_data"
      severity: P2
    - name: vip
      when: event.customer.tags.contains("vip")
      severity: P2
)";

ExceptionFacts Facts(std::string category, int64_t value_minor) {
  ExceptionFacts f;
  f.process = "order-capture";
  f.error_class = "rejected";
  f.category = std::move(category);
  f.order_value_minor = value_minor;
  f.currency = "EUR";
  return f;
}

TEST(SeverityPolicyTest, FirstMatchingRuleGivesTheSeverityElseTheDefault) {
  auto policy = ParseSeverityPolicy(kSeverity, "severity.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status().message();
  std::string rule;
  EXPECT_EQ(policy->Classify(Facts("master_data", 150000), &rule), Severity::kP1);
  EXPECT_EQ(rule, "big-order-blocked");
  EXPECT_EQ(policy->Classify(Facts("master_data", 99999), &rule), Severity::kP2);
  EXPECT_EQ(rule, "any-master-data");
  // The vip rule reads a field the event lacks: an evaluation error counts as false.
  EXPECT_EQ(policy->Classify(Facts("connectivity", 150000), &rule), Severity::kP3);
  EXPECT_EQ(rule, "");
  boost::json::value event = boost::json::parse(R"({"customer":{"tags":"vip, wholesale"}})");
  ExceptionFacts f = Facts("connectivity", 100);
  f.event = &event;
  EXPECT_EQ(policy->Classify(f, &rule), Severity::kP2);
  EXPECT_EQ(rule, "vip");
}

TEST(SeverityPolicyTest, ReportsBadSeverityAndCelErrorsAtTheirFileLineColumn) {
  constexpr std::string_view kBad = R"(apiVersion: govflow/v1
kind: SeverityPolicy
metadata: {name: bad}
spec:
  default: P9
  rules:
    - name: broken
      when: exception.category == 
      severity: P1
    - name: unknown-field
      when: "true"
      severity: urgent
      colour: red
)";
  auto policy = ParseSeverityPolicy(kBad, "severity.yaml");
  ASSERT_FALSE(policy.ok());
  const std::string& m = policy.status().message();
  EXPECT_NE(m.find("severity.yaml:5:12: spec: 'default' must be one of P1, P2, P3, P4, got 'P9'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("severity.yaml:8:"), std::string::npos) << m;
  EXPECT_NE(m.find("rule 1: invalid condition"), std::string::npos) << m;
  EXPECT_NE(m.find("severity.yaml:12:17: rule 2: 'severity' must be one of P1, P2, P3, P4, got "
                   "'urgent'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("severity.yaml:13:7: unknown field 'colour' in rule 2"), std::string::npos) << m;
}

TEST(SeverityPolicyTest, RejectsAnotherKind) {
  auto policy =
      ParseSeverityPolicy("apiVersion: govflow/v1\nkind: SlaPolicy\nspec: {}\n", "x.yaml");
  ASSERT_FALSE(policy.ok());
  EXPECT_NE(
      policy.status().message().find("x.yaml:2:7: kind must be SeverityPolicy, got 'SlaPolicy'"),
      std::string::npos)
      << policy.status().message();
}

TEST(OwnershipMapTest, RoutesByProcessAndErrorClassFirstMatchWins) {
  auto map = ParseOwnershipMap(R"(apiVersion: govflow/v1
kind: OwnershipMap
metadata: {name: baseline}
spec:
  default_team: integration-support
  rules:
    - process: order-capture
      error_classes: [rejected, not_found]
      categories: [master_data]
      team: master-data
    - process: order-capture
      team: order-desk
    - error_class: auth
      team: platform
)",
                               "ownership.yaml");
  ASSERT_TRUE(map.ok()) << map.status().message();
  EXPECT_EQ(map->OwnerOf(Facts("master_data", 0)), "master-data");
  EXPECT_EQ(map->OwnerOf(Facts("remote_rejection", 0)), "order-desk");
  ExceptionFacts other = Facts("credentials", 0);
  other.process = "invoicing";
  other.error_class = "auth";
  EXPECT_EQ(map->OwnerOf(other), "platform");
  other.error_class = "timeout";
  EXPECT_EQ(map->OwnerOf(other), "integration-support");
}

TEST(OwnershipMapTest, ReportsUnknownErrorClassAndMissingTeam) {
  auto map = ParseOwnershipMap(R"(apiVersion: govflow/v1
kind: OwnershipMap
spec:
  default_team: ops
  rules:
    - process: order-capture
      error_classes: [rejectd]
)",
                               "ownership.yaml");
  ASSERT_FALSE(map.ok());
  const std::string& m = map.status().message();
  EXPECT_NE(m.find("ownership.yaml:6:7: rule 1: missing field 'team'"), std::string::npos) << m;
  EXPECT_NE(m.find("ownership.yaml:7:22: rule 1: unknown error class 'rejectd'"), std::string::npos)
      << m;
}

TEST(SlaPolicyTest, ParsesTargetsPerSeverity) {
  auto sla = ParseSlaPolicy(R"(apiVersion: govflow/v1
kind: SlaPolicy
spec:
  targets:
    P1: {acknowledge: 15m, resolve: 4h}
    P2: {acknowledge: 1h, resolve: 8h}
    P3: {acknowledge: 4h, resolve: 2d}
    P4: {acknowledge: 1d, resolve: 5d}
)",
                            "sla.yaml");
  ASSERT_TRUE(sla.ok()) << sla.status().message();
  EXPECT_EQ(sla->For(Severity::kP1).acknowledge, std::chrono::minutes(15));
  EXPECT_EQ(sla->For(Severity::kP1).resolve, std::chrono::hours(4));
  EXPECT_EQ(sla->For(Severity::kP3).resolve, std::chrono::hours(48));
  EXPECT_EQ(sla->For(Severity::kP4).acknowledge, std::chrono::hours(24));
}

TEST(SlaPolicyTest, ReportsBadDurationMissingSeverityAndResolveBeforeAcknowledge) {
  auto sla = ParseSlaPolicy(R"(apiVersion: govflow/v1
kind: SlaPolicy
spec:
  targets:
    P1: {acknowledge: 15 minutes, resolve: 4h}
    P2: {acknowledge: 2h, resolve: 1h}
    P3: {acknowledge: 4h, resolve: 2d}
)",
                            "sla.yaml");
  ASSERT_FALSE(sla.ok());
  const std::string& m = sla.status().message();
  EXPECT_NE(m.find("sla.yaml:5:23: target P1: 'acknowledge' must be a duration such as 30s, 15m, "
                   "4h or 2d, got '15 minutes'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("sla.yaml:6:36: target P2: 'resolve' (1h) is shorter than 'acknowledge' (2h)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("sla.yaml:5:5: targets: missing P4"), std::string::npos) << m;
}

TEST(EscalationPolicyTest, PicksTheFirstChainForSeverityAndTeamAndRoundTripsItsSnapshot) {
  auto policy = ParseEscalationPolicy(R"(apiVersion: govflow/v1
kind: EscalationPolicy
spec:
  chains:
    - name: urgent
      severities: [P1, P2]
      levels:
        - after: 0m
          notify:
            - webhook: https://ops.example.com/hook
        - after: 30m
          notify:
            - email: duty@example.com
    - name: master-data
      teams: [master-data]
      levels:
        - after: 1h
          notify: [{email: md-lead@example.com}]
)",
                                      "escalation.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status().message();
  const EscalationChain* c = policy->ChainFor(Severity::kP1, "master-data");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "urgent");
  c = policy->ChainFor(Severity::kP3, "master-data");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "master-data");
  EXPECT_EQ(policy->ChainFor(Severity::kP3, "order-desk"), nullptr);
  auto back = EscalationChainFromJson(EscalationChainToJson(policy->chains[0]));
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->levels.size(), 2u);
  EXPECT_EQ(back->levels[1].after, std::chrono::minutes(30));
  EXPECT_EQ(back->levels[1].notify[0].address, "duty@example.com");
}

TEST(EscalationPolicyTest, ReportsUnknownChannelsAndLevelsOutOfOrder) {
  auto policy = ParseEscalationPolicy(R"(apiVersion: govflow/v1
kind: EscalationPolicy
spec:
  chains:
    - name: c
      levels:
        - after: 30m
          notify: [{pager: "123"}]
        - after: 10m
          notify: [{webhook: "ftp://x"}]
)",
                                      "escalation.yaml");
  ASSERT_FALSE(policy.ok());
  const std::string& m = policy.status().message();
  EXPECT_NE(m.find("escalation.yaml:8:21: chain 'c' level 1: unknown channel 'pager'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("escalation.yaml:9:18: chain 'c' level 2: 'after' must be later"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("escalation.yaml:10:30: chain 'c' level 2: webhook must be an http:// or "
                   "https:// URL"),
            std::string::npos)
      << m;
}

std::string Template(const std::string& name) {
  std::ifstream in(std::string(GOVFLOW_SOURCE_DIR) + "/templates/policies/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ShippedTemplatesTest, TheBaselinePoliciesParse) {
  auto severity = ParseSeverityPolicy(Template("severity.yaml"), "severity.yaml");
  ASSERT_TRUE(severity.ok()) << severity.status().message();
  ExceptionFacts f = Facts("master_data", 100);
  EXPECT_EQ(severity->Classify(f), Severity::kP2);
  auto ownership = ParseOwnershipMap(Template("ownership.yaml"), "ownership.yaml");
  ASSERT_TRUE(ownership.ok()) << ownership.status().message();
  EXPECT_EQ(ownership->OwnerOf(f), "master-data");
  auto sla = ParseSlaPolicy(Template("sla.yaml"), "sla.yaml");
  ASSERT_TRUE(sla.ok()) << sla.status().message();
  EXPECT_EQ(sla->For(Severity::kP2).acknowledge,
            FallbackSlaPolicy().For(Severity::kP2).acknowledge);
  auto escalation = ParseEscalationPolicy(Template("escalation.yaml"), "escalation.yaml");
  ASSERT_TRUE(escalation.ok()) << escalation.status().message();
  ASSERT_NE(escalation->ChainFor(Severity::kP4, "order-desk"), nullptr);
  EXPECT_EQ(escalation->ChainFor(Severity::kP1, "x")->name, "urgent");
}

}  // namespace
}  // namespace govflow::governance::policies
