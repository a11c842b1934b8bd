// Retention rules: parsing, file:line:column diagnostics, and which rule decides a record.
#include "governance/policies/retention_rules.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

namespace govflow::governance {
namespace {

using std::chrono::hours;

std::string Errors(std::string_view yaml) {
  auto r = ParseRetentionRules(yaml, "retention.yaml");
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

TEST(RetentionRulesTest, ParsesTheShippedBaselineTemplate) {
  std::ifstream in(std::string(GOVFLOW_SOURCE_DIR) + "/templates/policies/retention.yaml");
  ASSERT_TRUE(in) << "templates/policies/retention.yaml";
  std::stringstream text;
  text << in.rdbuf();
  auto rules = ParseRetentionRules(text.str(), "retention.yaml");
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  ASSERT_EQ(rules->rules.size(), 5u);
  const RetentionRule* payload = rules->For(DataClass::kPayloadBodies).at(0);
  EXPECT_EQ(payload->name, "payload-bodies");
  EXPECT_EQ(payload->keep_for, hours(24 * 90));
  EXPECT_EQ(payload->action, RetentionAction::kRedact);
  EXPECT_EQ(rules->For(DataClass::kRunHistory).at(0)->keep_for, hours(24 * 400));
  EXPECT_EQ(rules->For(DataClass::kExceptionCases).at(0)->keep_for, hours(24 * 365 * 2));
  EXPECT_EQ(rules->For(DataClass::kAudit).at(0)->keep_for, hours(24 * 365 * 7));
  EXPECT_EQ(rules->For(DataClass::kMetrics).at(0)->action, RetentionAction::kPurge);
  EXPECT_EQ(rules->content_hash.size(), 64u);
}

TEST(RetentionRulesTest, NamesUnnamedRulesByClassAndOrdinal) {
  auto rules = ParseRetentionRules(R"(rules:
  - {data: payload_bodies, keep_for: 30d, action: purge}
  - {data: payload_bodies, keep_for: 1w, action: redact}
)",
                                   "r.yaml");
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  EXPECT_EQ(rules->rules[0].name, "payload_bodies#1");
  EXPECT_EQ(rules->rules[1].name, "payload_bodies#2");
  EXPECT_EQ(rules->rules[1].keep_for, hours(24 * 7));
}

TEST(RetentionRulesTest, RejectsUnknownDataClassAtItsLineAndColumn) {
  EXPECT_EQ(Errors("rules:\n  - data: payloads\n    keep_for: 90d\n    action: purge\n"),
            "retention.yaml:2:11: rule 1: unknown data class 'payloads' (expected one of: "
            "payload_bodies, run_history, exception_cases, audit, metrics)");
}

TEST(RetentionRulesTest, RejectsABadDurationAndReportsEveryProblemAtOnce) {
  EXPECT_EQ(Errors("rules:\n  - data: run_history\n    keep_for: 90 days\n    action: purge\n"
                   "  - data: audit\n    keep_for: 7y\n    action: shred\n"),
            "retention.yaml:3:15: rule 1 (run_history): 'keep_for': invalid duration '90 days' "
            "(expected a positive whole number of h, d, w or y, e.g. 90d)\n"
            "retention.yaml:7:13: rule 2 (audit): 'action': expected purge or redact, got "
            "'shred'");
}

TEST(RetentionRulesTest, AllowsRedactForPayloadBodiesOnly) {
  EXPECT_EQ(Errors("rules:\n  - data: run_history\n    keep_for: 1y\n    action: redact\n"),
            "retention.yaml:4:13: rule 1 (run_history): 'action': redact applies to "
            "payload_bodies only; use purge");
}

TEST(RetentionRulesTest, RejectsConditionsOnTheAuditClass) {
  EXPECT_EQ(Errors("rules:\n  - data: audit\n    keep_for: 7y\n    action: purge\n"
                   "    when: record.state == 'x'\n"),
            "retention.yaml:5:11: rule 1 (audit): 'when' is not allowed for audit (the audit "
            "chain is purged as a whole prefix)");
}

TEST(RetentionRulesTest, RejectsMissingFieldsAndUnknownFields) {
  EXPECT_EQ(Errors("rules:\n  - data: audit\n    keep: 7y\n"),
            "retention.yaml:2:5: rule 1: missing required field 'keep_for'\n"
            "retention.yaml:2:5: rule 1: missing required field 'action'\n"
            "retention.yaml:3:5: rule 1: unknown field 'keep' (expected one of: name, data, "
            "when, keep_for, action)");
}

TEST(RetentionRulesTest, PointsACelErrorAtItsColumnInTheFile) {
  // "record.state = 'x'" has a single '=' at column 14 of the expression, which starts at
  // column 11 of line 5.
  std::string e = Errors(
      "rules:\n  - data: exception_cases\n    keep_for: 1y\n"
      "    action: purge\n    when: record.state = 'x'\n");
  EXPECT_TRUE(e.starts_with("retention.yaml:5:24: rule 1 (exception_cases): 'when': ")) << e;
}

TEST(RetentionRulesTest, RejectsConditionsOverUndeclaredVariables) {
  std::string e = Errors(
      "rules:\n  - data: exception_cases\n    keep_for: 1y\n"
      "    action: purge\n    when: payload.total > 100\n");
  EXPECT_TRUE(e.starts_with("retention.yaml:5:11: rule 1 (exception_cases): 'when': ")) << e;
  EXPECT_NE(e.find("payload"), std::string::npos) << e;
}

TEST(RetentionRulesTest, RejectsASecondAuditRule) {
  EXPECT_EQ(Errors("rules:\n  - {data: audit, keep_for: 7y, action: purge}\n"
                   "  - {data: audit, keep_for: 8y, action: purge}\n"),
            "retention.yaml:3:5: only one rule for audit is allowed (first at line 2)");
}

TEST(RetentionRulesTest, ReportsYamlSyntaxErrorsWithTheirPosition) {
  std::string e = Errors("rules:\n  - data: [audit\n");
  EXPECT_TRUE(e.starts_with("retention.yaml:3:1: YAML syntax error")) << e;
}

TEST(RetentionRulesTest, ParsesAndFormatsDurations) {
  EXPECT_EQ(ParseRetentionDuration("36h"), hours(36));
  EXPECT_EQ(ParseRetentionDuration("90d"), hours(24 * 90));
  EXPECT_EQ(ParseRetentionDuration("2w"), hours(24 * 14));
  EXPECT_EQ(ParseRetentionDuration("7y"), hours(24 * 365 * 7));
  EXPECT_FALSE(ParseRetentionDuration("0d"));
  EXPECT_FALSE(ParseRetentionDuration("-1d"));
  EXPECT_FALSE(ParseRetentionDuration("1.5d"));
  EXPECT_FALSE(ParseRetentionDuration("d"));
  EXPECT_FALSE(ParseRetentionDuration("10m"));
  EXPECT_FALSE(ParseRetentionDuration("99999999y"));
  EXPECT_EQ(FormatRetentionDuration(hours(24 * 90)), "90d");
  EXPECT_EQ(FormatRetentionDuration(hours(24 * 365 * 2)), "2y");
  EXPECT_EQ(FormatRetentionDuration(hours(24 * 14)), "2w");
  EXPECT_EQ(FormatRetentionDuration(hours(36)), "36h");
}

TEST(RetentionRulesTest, FirstMatchingRuleDecidesAndUnmatchedRecordsAreKept) {
  auto rules = ParseRetentionRules(R"(rules:
  - name: invoices
    data: payload_bodies
    when: record.workflow == "invoicing"
    keep_for: 10y
    action: redact
  - name: orders
    data: payload_bodies
    when: record.source != "effect"
    keep_for: 90d
    action: redact
)",
                                   "r.yaml");
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  auto rec = [](std::string source, std::string workflow) {
    return boost::json::value{{"source", source}, {"workflow", workflow}};
  };
  EXPECT_EQ(rules->Decide(DataClass::kPayloadBodies, rec("run", "invoicing"))->name, "invoices");
  EXPECT_EQ(rules->Decide(DataClass::kPayloadBodies, rec("run", "order-capture"))->name, "orders");
  EXPECT_EQ(rules->Decide(DataClass::kPayloadBodies, rec("effect", "order-capture")), nullptr);
  EXPECT_EQ(rules->Decide(DataClass::kRunHistory, rec("run", "order-capture")), nullptr);
}

TEST(RetentionRulesTest, AConditionThatCannotBeEvaluatedKeepsTheRecord) {
  // The first rule's condition fails on a record without "workflow": the broader second rule
  // must not decide it instead (that would purge a record a stricter rule may protect).
  auto rules = ParseRetentionRules(R"(rules:
  - {data: payload_bodies, when: 'record.workflow == "invoicing"', keep_for: 10y, action: redact}
  - {data: payload_bodies, keep_for: 90d, action: redact}
)",
                                   "r.yaml");
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  bool error = false;
  EXPECT_EQ(rules->Decide(DataClass::kPayloadBodies, boost::json::value{{"source", "run"}}, &error),
            nullptr);
  EXPECT_TRUE(error);
}

TEST(RetentionRulesTest, CheckRetentionRulesReportsIntoADiagnosticList) {
  DiagnosticList diagnostics;
  CheckRetentionRules("rules:\n  - {data: nope, keep_for: 1d, action: purge}\n", diagnostics);
  ASSERT_TRUE(diagnostics.has_errors());
  EXPECT_EQ(diagnostics.Sorted().at(0).location, (SourceLocation{2, 12}));
}

}  // namespace
}  // namespace govflow::governance
