// Runs the real `govflow expr eval` binary: the contract that checks from outside the test suite
// rely on (one line of typed JSON; {"error": ...} and exit code 1 on any error).
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace {

struct CommandOutput {
  std::string out;
  int exit_code = -1;
};

// Single-quotes `arg` for /bin/sh.
std::string ShellQuote(const std::string& arg) {
  std::string quoted = "'";
  for (char c : arg) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

CommandOutput RunGovflow(const std::string& args, const std::string& stdin_text = "") {
  std::string command = std::string(GOVFLOW_BINARY) + " " + args;
  if (!stdin_text.empty()) command = "printf '%s' " + ShellQuote(stdin_text) + " | " + command;
  CommandOutput result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(ExprEvalCommandTest, PrintsIntResultAsTypedJson) {
  auto r = RunGovflow("expr eval " + ShellQuote("2 + 3"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "{\"int\":\"5\"}\n");
}

TEST(ExprEvalCommandTest, PrintsListOfStrings) {
  auto r = RunGovflow("expr eval " + ShellQuote("'a,b'.split(',')"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "{\"list\":[{\"string\":\"a\"},{\"string\":\"b\"}]}\n");
}

TEST(ExprEvalCommandTest, BindsTypedJsonVariables) {
  auto r = RunGovflow("expr eval " + ShellQuote("x + 1u") + " --bindings " +
               ShellQuote(R"({"x": {"uint": "41"}})"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "{\"uint\":\"42\"}\n");
}

TEST(ExprEvalCommandTest, BindsPlainJsonDocumentsWithNumbersAsDoubles) {
  auto r = RunGovflow("expr eval " +
               ShellQuote("double(order.total_price) > 1000.0 && order.qty == 2.0 && "
                          "order.tags.split(', ').exists(t, t == 'wholesale')") +
               " --json-bindings " +
               ShellQuote(R"({"order": {"total_price": "1499.00", "qty": 2, "tags": "b2b, wholesale"}})"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "{\"bool\":true}\n");
}

TEST(ExprEvalCommandTest, ReadsExpressionFromStandardInputWhenDash) {
  auto r = RunGovflow("expr eval -", "\"it's\" + '\"quoted\"'");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "{\"string\":\"it's\\\"quoted\\\"\"}\n");
}

TEST(ExprEvalCommandTest, EvaluationErrorPrintsErrorObjectAndExitsOne) {
  auto r = RunGovflow("expr eval " + ShellQuote("1 / 0"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out.rfind("{\"error\":", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("divide by zero"), std::string::npos) << r.out;
}

TEST(ExprEvalCommandTest, ParseErrorCarriesLineColumnAndCaret) {
  auto r = RunGovflow("expr eval " + ShellQuote("a + )"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("<input>:1:5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("....^"), std::string::npos) << r.out;
}

TEST(ExprEvalCommandTest, MalformedBindingsNameTheOption) {
  auto r = RunGovflow("expr eval x --bindings " + ShellQuote("{bad"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("--bindings"), std::string::npos) << r.out;
}

TEST(ExprEvalCommandTest, MissingExpressionIsAUsageError) {
  auto r = RunGovflow("expr eval 2>/dev/null");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
