// The approval matrix policy (src/governance/policies/approval_matrix.h): parsing with
// file:line:column diagnostics, evaluation (which rows apply, failing closed), the requests it
// makes, and the shipped template.
#include "governance/policies/approval_matrix.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>

namespace govflow::governance::policies {
namespace {

constexpr std::string_view kHeader =
    "apiVersion: govflow/v1\n"
    "kind: ApprovalMatrix\n"
    "metadata: {name: test}\n"
    "spec:\n"
    "  rows:\n";

std::string Matrix(std::string_view rows) {
  return std::string(kHeader) + std::string(rows);
}

std::string ErrorsOf(std::string_view yaml) {
  auto parsed = ParseApprovalMatrix(yaml, "matrix.yaml");
  EXPECT_FALSE(parsed.ok());
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().message();
}

boost::json::value Change(double percent) {
  return boost::json::value{{"sku", "TSHIRT-RED"}, {"percent_change", percent}};
}

std::vector<std::string> RowNames(const std::vector<ApprovalRuleMatch>& matches) {
  std::vector<std::string> out;
  for (const auto& m : matches) out.push_back(m.row->name);
  return out;
}

TEST(ApprovalMatrixTest, ParsesRowsWithRolesQuorumSodAndExpiry) {
  auto m = ParseApprovalMatrix(FallbackApprovalMatrixYaml(), "approval_matrix.yaml");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->name, "approval-matrix-baseline");
  ASSERT_EQ(m->rows.size(), 2u);
  const ApprovalMatrixRow& pricing = m->rows[0];
  EXPECT_EQ(pricing.name, "price-change-beyond-threshold");
  EXPECT_EQ(pricing.applies_to, "price_change");
  EXPECT_EQ(pricing.required_roles, std::vector<std::string>{"pricing_manager"});
  EXPECT_EQ(pricing.quorum, 1);
  EXPECT_EQ(pricing.expires_after, std::optional<std::chrono::seconds>(std::chrono::hours(24)));
  EXPECT_EQ(pricing.on_expiry, ExpiryAction::kEscalate);
  EXPECT_EQ(pricing.escalate_to, std::vector<std::string>{"finance_controller"});
  EXPECT_EQ(pricing.escalation_window, std::chrono::hours(8));
  EXPECT_EQ(pricing.location, (SourceLocation{17, 7}));
  const ApprovalMatrixRow& finance = m->rows[1];
  EXPECT_EQ(finance.required_roles, std::vector<std::string>{"finance_controller"});
  EXPECT_EQ(finance.quorum, 2);
  EXPECT_EQ(finance.approver_not_in_roles, std::vector<std::string>{"operator"});
  EXPECT_EQ(finance.on_expiry, ExpiryAction::kReject);
}

TEST(ApprovalMatrixTest, ShippedTemplateIsTheFallbackMatrix) {
  std::ifstream in(std::string(GOVFLOW_SOURCE_DIR) + "/templates/policies/approval_matrix.yaml");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), FallbackApprovalMatrixYaml());
  EXPECT_EQ(FallbackApprovalMatrix().rows.size(), 2u);
}

TEST(ApprovalMatrixTest, PriceChangesBeyondTheThresholdNeedApprovalOthersDoNot) {
  const ApprovalMatrix& m = FallbackApprovalMatrix();
  EXPECT_TRUE(EvaluateApprovalMatrix(m, "price_change", Change(-19.9)).empty());
  EXPECT_TRUE(EvaluateApprovalMatrix(m, "price_change", Change(29.9)).empty());
  EXPECT_EQ(RowNames(EvaluateApprovalMatrix(m, "price_change", Change(-20.0))),
            std::vector<std::string>{"price-change-beyond-threshold"});
  EXPECT_EQ(RowNames(EvaluateApprovalMatrix(m, "price_change", Change(35.0))),
            std::vector<std::string>{"price-change-beyond-threshold"});
  // A deep cut needs both the pricing manager and two finance controllers.
  EXPECT_EQ(
      RowNames(EvaluateApprovalMatrix(m, "price_change", Change(-60.0))),
      (std::vector<std::string>{"price-change-beyond-threshold", "deep-discount-finance-review"}));
  // Other subject types have no rows here: no approval needed.
  EXPECT_TRUE(EvaluateApprovalMatrix(m, "document_promotion", Change(-60.0)).empty());
}

TEST(ApprovalMatrixTest, AConditionThatCannotBeEvaluatedFailsClosed) {
  const ApprovalMatrix& m = FallbackApprovalMatrix();
  boost::json::value no_percent = {{"sku", "MUG"}};
  auto matches = EvaluateApprovalMatrix(m, "price_change", no_percent);
  ASSERT_EQ(matches.size(), 2u);
  EXPECT_FALSE(matches[0].evaluation_error.empty());
}

TEST(ApprovalMatrixTest, RowWithoutConditionAppliesToEveryChangeOfItsType) {
  auto m = ParseApprovalMatrix(Matrix("    - name: promote\n"
                                      "      applies_to: document_promotion\n"
                                      "      required_roles: [release_manager]\n"),
                               "m.yaml");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(EvaluateApprovalMatrix(*m, "document_promotion", boost::json::object{}).size(), 1u);
  EXPECT_TRUE(EvaluateApprovalMatrix(*m, "price_change", boost::json::object{}).empty());
}

TEST(ApprovalMatrixTest, MakesTheRequestTheRowDescribes) {
  const ApprovalMatrix& m = FallbackApprovalMatrix();
  const TimePoint now(std::chrono::seconds(1'800'000'000));
  ApprovalRequest r = MakeApprovalRequest(m.rows[1], "price_change", Change(-60.0), now);
  EXPECT_EQ(r.subject_type, "price_change");
  EXPECT_EQ(r.required_roles, std::vector<std::string>{"finance_controller"});
  EXPECT_EQ(r.quorum, 2);
  EXPECT_EQ(r.rule, "deep-discount-finance-review");
  EXPECT_EQ(r.excluded_roles, std::vector<std::string>{"operator"});
  EXPECT_EQ(r.expires_at, std::optional<TimePoint>(now + std::chrono::hours(48)));
  EXPECT_EQ(r.on_expiry, ExpiryAction::kReject);
  EXPECT_NE(r.changes_json.find("percent_change"), std::string::npos);
  ApprovalRequest e = MakeApprovalRequest(m.rows[0], "price_change", Change(-25.0), now);
  EXPECT_EQ(e.on_expiry, ExpiryAction::kEscalate);
  EXPECT_EQ(e.escalate_to_roles, std::vector<std::string>{"finance_controller"});
  EXPECT_EQ(e.escalation_window, std::chrono::hours(8));
}

TEST(ApprovalMatrixTest, ReportsCelErrorsAtTheirColumnInTheFile) {
  std::string errors =
      ErrorsOf(Matrix("    - name: bad\n"
                      "      applies_to: price_change\n"
                      "      when: 'change.percent_change <= -20.0 ||'\n"
                      "      required_roles: [pricing_manager]\n"));
  // Line 8 is the `when`; the expression starts at column 14 and its end (where the parser
  // wanted an operand) is column 47, the closing quote.
  EXPECT_TRUE(
      errors.starts_with("matrix.yaml:8:47: row 1 (bad): invalid condition: Syntax "
                         "error: mismatched input '<EOF>'"))
      << errors;
}

TEST(ApprovalMatrixTest, ReportsEveryStructuralProblemWithFileLineColumn) {
  std::string errors =
      ErrorsOf(Matrix("    - name: a\n"                                    // line 6
                      "      applies_to: price_change\n"                   // 7
                      "      required_roles: []\n"                         // 8
                      "      quorum: 0\n"                                  // 9
                      "      colour: red\n"                                // 10
                      "    - name: a\n"                                    // 11
                      "      applies_to: price_change\n"                   // 12
                      "      required_roles: [x]\n"                        // 13
                      "      on_expiry: escalate\n"                        // 14
                      "      expires_after: soon\n"                        // 15
                      "      sod: {requester_cannot_approve: false}\n"));  // 16
  EXPECT_EQ(errors,
            "matrix.yaml:8:23: row 1 (a): 'required_roles' must name at least one role\n"
            "matrix.yaml:9:15: row 1 (a): 'quorum' must be a whole number of at least 1, got '0'\n"
            "matrix.yaml:10:7: unknown field 'colour' in row 1 (a); expected one of name, "
            "applies_to, when, required_roles, quorum, sod, expires_after, on_expiry, "
            "escalate_to, escalation_window\n"
            "matrix.yaml:11:13: row 2: duplicate row name 'a'\n"
            "matrix.yaml:14:18: row 2 (a): 'on_expiry' needs 'expires_after'\n"
            "matrix.yaml:14:18: row 2 (a): on_expiry escalate needs 'escalate_to' roles\n"
            "matrix.yaml:15:22: row 2 (a): 'expires_after' must be a duration such as 30m, 4h "
            "or 2d, got 'soon'\n"
            "matrix.yaml:16:39: row 2 (a) sod: 'requester_cannot_approve' cannot be switched "
            "off: govflow always enforces it");
}

TEST(ApprovalMatrixTest, DocumentValidatorReportsTheSameProblems) {
  DiagnosticList ok;
  ApprovalMatrix::Check(FallbackApprovalMatrixYaml(), ok);
  EXPECT_FALSE(ok.has_errors());
  DiagnosticList bad;
  ApprovalMatrix::Check(Matrix("    - name: a\n"
                               "      applies_to: price_change\n"
                               "      quorum: 0\n"
                               "      required_roles: [x]\n"),
                        bad);
  EXPECT_EQ(bad.Format("m.yaml"),
            "m.yaml:8:15: row 1 (a): 'quorum' must be a whole number of at least 1, got '0'");
}

TEST(ApprovalMatrixTest, ReportsEnvelopeAndYamlSyntaxErrors) {
  EXPECT_EQ(ErrorsOf("apiVersion: govflow/v1\nkind: SeverityPolicy\nspec: {rows: []}\n"),
            "matrix.yaml:2:7: kind must be ApprovalMatrix, got 'SeverityPolicy'");
  std::string syntax = ErrorsOf("apiVersion: govflow/v1\nkind: [unclosed\n");
  EXPECT_TRUE(syntax.starts_with("matrix.yaml:")) << syntax;
  EXPECT_NE(syntax.find("YAML syntax error"), std::string::npos);
}

}  // namespace
}  // namespace govflow::governance::policies
