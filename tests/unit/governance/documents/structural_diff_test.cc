// The structural diff's exact text, named-list matching, reordering, merging over a template
// and the YAML rendering that hands merged documents to validators.
#include "governance/documents/structural_diff.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "base/canonical_json.h"
#include "base/diagnostics.h"
#include "governance/documents/yaml_reader.h"

namespace govflow::governance::documents {
namespace {

boost::json::value Yaml(std::string_view text) {
  DiagnosticList diagnostics;
  auto v = YamlTextToJson(text, diagnostics);
  EXPECT_TRUE(v.has_value()) << diagnostics.Format("test.yaml");
  return v ? *v : boost::json::value();
}

std::string DiffText(std::string_view a, std::string_view b) {
  return FormatDiff(StructuralDiff(Yaml(a), Yaml(b)));
}

TEST(StructuralDiffTest, MatchesNamedStepsByNameAndShowsChangedLeafPaths) {
  const char* v1 = R"(
steps:
  - name: validate
    kind: validate
  - name: post
    kind: call
    call: {retry: {attempts: 3, backoff: 1s}}
vars: {max_lines: 500}
)";
  const char* v2 = R"(
steps:
  - name: validate
    kind: validate
  - name: enrich
    kind: map
  - name: post
    kind: call
    call: {retry: {attempts: 5, backoff: 1s}}
vars: {}
)";
  EXPECT_EQ(DiffText(v1, v2),
            "+ steps[name=enrich]: {\"kind\":\"map\",\"name\":\"enrich\"}\n"
            "~ steps[name=post].call.retry.attempts: 3 -> 5\n"
            "- vars.max_lines: 500\n");
}

TEST(StructuralDiffTest, ReportsReorderedNamedItems) {
  EXPECT_EQ(DiffText("steps: [{name: a}, {name: b}]", "steps: [{name: b}, {name: a}]"),
            "~ steps: order [a, b] -> [b, a]\n");
}

TEST(StructuralDiffTest, ComparesUnnamedListsByIndex) {
  EXPECT_EQ(DiffText("codes: [USD, EUR]", "codes: [USD, GBP, CAD]"),
            "~ codes[1]: \"EUR\" -> \"GBP\"\n"
            "+ codes[2]: \"CAD\"\n");
}

TEST(StructuralDiffTest, MatchesByIdWhenItemsHaveNoName) {
  EXPECT_EQ(DiffText("rows: [{id: r1, quorum: 1}, {id: r2, quorum: 1}]",
                     "rows: [{id: r1, quorum: 1}, {id: r2, quorum: 2}]"),
            "~ rows[id=r2].quorum: 1 -> 2\n");
}

TEST(StructuralDiffTest, QuotesKeysThatAreNotPlainAndShowsTypeChanges) {
  EXPECT_EQ(DiffText("topics: {\"orders/create\": on}", "topics: {\"orders/create\": [1]}"),
            "~ topics[\"orders/create\"]: \"on\" -> [1]\n");
}

TEST(StructuralDiffTest, IdenticalDocumentsHaveNoDifferences) {
  EXPECT_EQ(DiffText("a: 1\nb: [x, y]\n", "{b: [x, y], a: 1}"), "");
}

TEST(StructuralDiffTest, MergeOverTemplateMergesMapsAndNamedListsAndReplacesTheRest) {
  boost::json::value base = Yaml(R"(
metadata: {name: base, description: shared}
decisions:
  - {decision_type: a, min_confidence: 0.9}
rules:
  - {name: one, severity: error}
  - {name: two, severity: error}
codes: [USD, EUR]
)");
  boost::json::value over = Yaml(R"(
metadata: {name: mine}
rules:
  - {name: two, severity: warning}
  - {name: three, severity: error}
codes: [GBP]
)");
  EXPECT_EQ(CanonicalJson(MergeOverTemplate(base, over)), CanonicalJson(Yaml(R"(
metadata: {name: mine, description: shared}
decisions:
  - {decision_type: a, min_confidence: 0.9}
rules:
  - {name: one, severity: error}
  - {name: two, severity: warning}
  - {name: three, severity: error}
codes: [GBP]
)")));
}

TEST(StructuralDiffTest, RenderedYamlReadsBackToTheSameJson) {
  boost::json::value v = Yaml(R"(
apiVersion: govflow/v1
metadata: {name: "x", labels: {}}
steps:
  - name: "quoted: yes"
    condition: 'event.total > 10 && event.name != "a\"b"'
    nested: [[1, 2], [], {}]
    flag: "true"
  - {}
empty_list: []
number: 1.5
nothing: null
"odd key/with slash": 3
)");
  std::string rendered = RenderYaml(v);
  EXPECT_EQ(CanonicalJson(Yaml(rendered)), CanonicalJson(v)) << rendered;
}

}  // namespace
}  // namespace govflow::governance::documents
