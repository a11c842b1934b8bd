// Parses every expression of the CEL conformance suites (shared/cel-conformance/*.json): each
// case whose expected result is a value must parse. Cases expecting an error only have to parse
// or fail cleanly (their errors are mostly evaluation errors).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "expr/parser.h"

namespace govflow::expr {
namespace {

namespace fs = std::filesystem;

fs::path ConformanceDir() {
  if (const char* env = std::getenv("GOVFLOW_SHARED_DIR"); env != nullptr && *env != '\0') {
    return fs::path(env) / "cel-conformance";
  }
  // ../shared relative to the source tree (this file is tests/unit/expr_parser/ in it).
  return fs::path(__FILE__).parent_path() / ".." / ".." / ".." / ".." / "shared" /
         "cel-conformance";
}

struct Case {
  std::string name;
  std::string expr;
  bool expects_value = false;
  bool disable_macros = false;
  boost::json::value value;  // the expected value, when there is one
};

// Decodes standard base64 (the conformance files' encoding of bytes values).
std::string DecodeBase64(std::string_view in) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char ch : in) {
    int v;
    if (ch >= 'A' && ch <= 'Z') {
      v = ch - 'A';
    } else if (ch >= 'a' && ch <= 'z') {
      v = ch - 'a' + 26;
    } else if (ch >= '0' && ch <= '9') {
      v = ch - '0' + 52;
    } else if (ch == '+') {
      v = 62;
    } else if (ch == '/') {
      v = 63;
    } else {
      continue;  // padding
    }
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// Cases whose expected value disagrees with their own expression in the suite as shipped:
// b''' ? " ' ` ''' expects the bytes " \? ..." (a backslash the source does not contain), while
// the identical string cases expect no backslash. Parsed, but not compared.
bool HasInconsistentExpectation(const std::string& name) {
  return name == "parse.json:bytes_literals/triple_single_quoted_unescaped_punctuation" ||
         name == "parse.json:bytes_literals/triple_double_quoted_unescaped_punctuation";
}

// When `expr` is a single literal and `expected` a scalar value, checks that they agree:
// this is how the string and bytes literal cases of parse.json test the lexer's decoding.
void CheckLiteral(const std::string& name, const Expr& expr, const boost::json::value& expected) {
  const auto* c = std::get_if<Constant>(&expr.kind);
  if (c == nullptr || !expected.is_object()) return;
  const auto& v = expected.as_object();
  if (const auto* s = v.if_contains("string")) {
    ASSERT_EQ(c->kind, Constant::Kind::kString) << name;
    EXPECT_EQ(c->string_value, std::string(s->as_string())) << name;
  } else if (const auto* b = v.if_contains("bytes")) {
    ASSERT_EQ(c->kind, Constant::Kind::kBytes) << name;
    EXPECT_EQ(c->string_value, DecodeBase64(b->as_string())) << name;
  } else if (const auto* i = v.if_contains("int")) {
    ASSERT_EQ(c->kind, Constant::Kind::kInt) << name;
    EXPECT_EQ(std::to_string(c->int_value), std::string(i->as_string())) << name;
  } else if (const auto* u = v.if_contains("uint")) {
    ASSERT_EQ(c->kind, Constant::Kind::kUint) << name;
    EXPECT_EQ(std::to_string(c->uint_value), std::string(u->as_string())) << name;
  } else if (const auto* d = v.if_contains("double"); d != nullptr && d->is_number()) {
    ASSERT_EQ(c->kind, Constant::Kind::kDouble) << name;
    EXPECT_DOUBLE_EQ(c->double_value, d->to_number<double>()) << name;
  } else if (const auto* bl = v.if_contains("bool")) {
    ASSERT_EQ(c->kind, Constant::Kind::kBool) << name;
    EXPECT_EQ(c->bool_value, bl->as_bool()) << name;
  }
}

std::vector<Case> LoadCases(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Case> cases;
  for (const fs::path& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    boost::json::value doc = boost::json::parse(text.str());
    for (const auto& section : doc.at("sections").as_array()) {
      for (const auto& test : section.at("tests").as_array()) {
        const auto& obj = test.as_object();
        Case c;
        c.name = file.filename().string() + ":" + std::string(section.at("name").as_string()) +
                 "/" + std::string(obj.at("name").as_string());
        c.expr = std::string(obj.at("expr").as_string());
        if (const auto* expected = obj.if_contains("expected")) {
          if (const auto* value = expected->as_object().if_contains("value")) {
            c.expects_value = true;
            c.value = *value;
          }
        }
        if (const auto* dm = obj.if_contains("disable_macros")) c.disable_macros = dm->as_bool();
        cases.push_back(std::move(c));
      }
    }
  }
  return cases;
}

TEST(ConformanceParseTest, EveryCaseExpectingAValueParses) {
  const fs::path dir = ConformanceDir();
  if (!fs::is_directory(dir)) {
    GTEST_SKIP() << "CEL conformance cases not found at " << dir
                 << " (set GOVFLOW_SHARED_DIR to the shared/ folder)";
  }
  const std::vector<Case> cases = LoadCases(dir);
  ASSERT_GT(cases.size(), 1000u) << "expected the whole conformance suite in " << dir;
  int parsed = 0;
  int literal_cases = 0;
  for (const Case& c : cases) {
    ParseOptions options;
    options.enable_macros = !c.disable_macros;
    Result<Ast> ast = Parse(c.expr, options);
    if (c.expects_value) {
      EXPECT_TRUE(ast.ok()) << c.name << "\n" << c.expr << "\n" << ast.status().message();
    } else if (!ast.ok()) {
      // A parse failure must still be a well-formed syntax error.
      EXPECT_EQ(ast.status().code(), StatusCode::kInvalidArgument) << c.name;
      EXPECT_EQ(ast.status().message().rfind("ERROR: <input>:", 0), 0u) << c.name;
    }
    if (ast.ok()) {
      ++parsed;
      if (std::holds_alternative<Constant>(ast->root->kind)) ++literal_cases;
      EXPECT_GT(ast->max_id, 0) << c.name;
      if (c.expects_value && !HasInconsistentExpectation(c.name)) {
        CheckLiteral(c.name, *ast->root, c.value);
      }
    }
  }
  EXPECT_GT(parsed, 2000);
  EXPECT_GT(literal_cases, 150);  // the literal cases of parse.json and friends were compared
}

}  // namespace
}  // namespace govflow::expr
