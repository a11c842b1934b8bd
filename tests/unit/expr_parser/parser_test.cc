#include "expr/parser.h"

#include <gtest/gtest.h>

#include "expr/ast_printer.h"

namespace govflow::expr {
namespace {

TEST(ParserTest, ParsesAddition) {
  auto ast = Parse("a + 1");
  ASSERT_TRUE(ast.ok()) << ast.status().message();
  EXPECT_EQ(PrintAst(*ast), "_+_(a, 1)");
}

}  // namespace
}  // namespace govflow::expr
