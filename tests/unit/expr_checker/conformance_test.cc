// Runs the checker over the cel-spec conformance cases in ../shared/cel-conformance (or
// $GOVFLOW_SHARED_DIR/cel-conformance): the deduced types of type_deduction.json, and, for every
// core-scope case of every suite whose evaluation is expected to succeed, that the expression
// checks and that its deduced type agrees with the kind of the expected value.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "expr/checker.h"
#include "expr/declarations.h"
#include "expr/parser.h"

namespace govflow::expr {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

fs::path ConformanceDir() {
  if (const char* shared = std::getenv("GOVFLOW_SHARED_DIR"); shared != nullptr && *shared) {
    return fs::path(shared) / "cel-conformance";
  }
  return fs::path(GOVFLOW_SOURCE_DIR) / ".." / "shared" / "cel-conformance";
}

std::optional<json::value> LoadSuite(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(buffer.str(), ec);
  if (ec) return std::nullopt;
  return v;
}

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool Flag(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}

// The environment a case declares: its declarations, plus any bound variable it does not
// declare (as dyn, as an unchecked evaluation would see it).
Result<TypeEnvironment> CaseEnvironment(const json::object& test) {
  std::vector<std::string> decls;
  if (const json::value* d = test.if_contains("declarations"); d != nullptr && d->is_array()) {
    for (const json::value& decl : d->as_array()) {
      if (decl.is_string()) decls.emplace_back(decl.as_string());
    }
  }
  GOVFLOW_ASSIGN_OR_RETURN(TypeEnvironment env, ParseDeclarations(decls));
  if (const json::value* b = test.if_contains("bindings"); b != nullptr && b->is_object()) {
    for (const auto& binding : b->as_object()) {
      std::string name(binding.key());
      if (env.FindVariable(name) == nullptr) {
        GOVFLOW_RETURN_IF_ERROR(env.AddVariable(name, Type::Dyn()));
      }
    }
  }
  return env;
}

// Whether a static type admits a conformance value of the given kind ("int", "list", ...).
bool Admits(const Type& type, std::string_view kind) {
  if (type.IsDyn()) return true;
  switch (type.kind()) {
    case TypeKind::kNull:
      return kind == "null";
    case TypeKind::kBool:
      return kind == "bool";
    case TypeKind::kInt:
      return kind == "int";
    case TypeKind::kUint:
      return kind == "uint";
    case TypeKind::kDouble:
      return kind == "double";
    case TypeKind::kString:
      return kind == "string";
    case TypeKind::kBytes:
      return kind == "bytes";
    case TypeKind::kList:
      return kind == "list";
    case TypeKind::kMap:
      return kind == "map";
    case TypeKind::kType:
      return kind == "type";
    case TypeKind::kTimestamp:
      return kind == "timestamp";
    case TypeKind::kDuration:
      return kind == "duration";
    default:
      return false;
  }
}

struct CaseOutcome {
  bool ok = false;
  std::string detail;  // deduced type name, or the error
  Type type;
};

CaseOutcome CheckCase(const json::object& test) {
  CaseOutcome out;
  Result<TypeEnvironment> env = CaseEnvironment(test);
  if (!env.ok()) {
    out.detail = "declarations: " + env.status().message();
    return out;
  }
  ParseOptions parse_options;
  parse_options.enable_macros = !Flag(test, "disable_macros");
  std::string source = Str(test, "expr");
  Result<Ast> ast = Parse(source, parse_options);
  if (!ast.ok()) {
    out.detail = "parse: " + ast.status().message();
    return out;
  }
  Result<CheckedAst> checked = Check(*ast, *env);
  if (!checked.ok()) {
    out.detail = checked.status().message();
    return out;
  }
  out.ok = true;
  out.type = checked->result_type;
  out.detail = TypeName(checked->result_type);
  return out;
}

const char* const kSuites[] = {"basic.json",       "bindings_ext.json", "block_ext.json",
                               "comparisons.json", "conversions.json",  "encoders_ext.json",
                               "fields.json",      "fp_math.json",      "integer_math.json",
                               "lists.json",       "logic.json",        "macros.json",
                               "macros2.json",     "math_ext.json",     "namespace.json",
                               "optionals.json",   "parse.json",        "plumbing.json",
                               "string.json",      "timestamps.json",   "type_deduction.json"};

TEST(CheckerConformanceTest, DeducesTypesOfTypeDeductionSuite) {
  fs::path path = ConformanceDir() / "type_deduction.json";
  std::optional<json::value> suite = LoadSuite(path);
  if (!suite) GTEST_SKIP() << "conformance cases not found at " << path.string();
  int checked = 0;
  for (const json::value& section : suite->at("sections").as_array()) {
    for (const json::value& t : section.at("tests").as_array()) {
      const json::object& test = t.as_object();
      if (Str(test, "scope") != "core" || Str(test, "deduced_type").empty()) continue;
      SCOPED_TRACE(Str(test, "name") + ": " + Str(test, "expr"));
      Result<Type> expected = ParseTypeText(Str(test, "deduced_type"));
      ASSERT_TRUE(expected.ok()) << expected.status().message();
      CaseOutcome outcome = CheckCase(test);
      ASSERT_TRUE(outcome.ok) << outcome.detail;
      EXPECT_EQ(TypeName(outcome.type), TypeName(*expected));
      ++checked;
    }
  }
  EXPECT_GE(checked, 12);
}

TEST(CheckerConformanceTest, ReadsEveryCoreDeclaration) {
  if (!fs::exists(ConformanceDir())) {
    GTEST_SKIP() << "conformance cases not found at " << ConformanceDir().string();
  }
  int declared = 0;
  for (const char* file : kSuites) {
    std::optional<json::value> suite = LoadSuite(ConformanceDir() / file);
    if (!suite) continue;
    for (const json::value& section : suite->at("sections").as_array()) {
      for (const json::value& t : section.at("tests").as_array()) {
        const json::object& test = t.as_object();
        if (Str(test, "scope") != "core" || test.if_contains("declarations") == nullptr) continue;
        Result<TypeEnvironment> env = CaseEnvironment(test);
        EXPECT_TRUE(env.ok()) << file << " " << Str(test, "name") << ": " << env.status().message();
        ++declared;
      }
    }
  }
  EXPECT_GT(declared, 30);
}

TEST(CheckerConformanceTest, ChecksEveryCoreCaseThatEvaluatesToAValue) {
  if (!fs::exists(ConformanceDir())) {
    GTEST_SKIP() << "conformance cases not found at " << ConformanceDir().string();
  }
  int checked = 0;
  std::vector<std::string> failures;
  for (const char* file : kSuites) {
    std::optional<json::value> suite = LoadSuite(ConformanceDir() / file);
    if (!suite) continue;
    for (const json::value& section : suite->at("sections").as_array()) {
      for (const json::value& t : section.at("tests").as_array()) {
        const json::object& test = t.as_object();
        if (Str(test, "scope") != "core" || Flag(test, "disable_check")) continue;
        const json::value* expected = test.if_contains("expected");
        if (expected == nullptr || !expected->is_object()) continue;
        const json::value* value = expected->as_object().if_contains("value");
        if (value == nullptr || !value->is_object() || value->as_object().empty()) continue;
        std::string kind(value->as_object().begin()->key());
        CaseOutcome outcome = CheckCase(test);
        ++checked;
        std::string label = std::string(file) + " " + Str(section.as_object(), "name") + "/" +
                            Str(test, "name") + ": " + Str(test, "expr");
        if (!outcome.ok) {
          failures.push_back(label + "\n  " + outcome.detail);
        } else if (!Admits(outcome.type, kind)) {
          failures.push_back(label + "\n  deduced " + outcome.detail + " for a " + kind + " value");
        }
      }
    }
  }
  std::string report;
  for (const std::string& f : failures) report += f + "\n";
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << checked << " cases:\n" << report;
  EXPECT_GT(checked, 1000);
}

}  // namespace
}  // namespace govflow::expr
