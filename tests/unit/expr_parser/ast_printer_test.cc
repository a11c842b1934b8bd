#include "expr/ast_printer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "expr/parser.h"

namespace govflow::expr {
namespace {

ExprPtr ConstantExpr(Constant c) {
  auto e = std::make_unique<Expr>();
  e->id = 1;
  e->kind = std::move(c);
  return e;
}

std::string PrintDouble(double d) {
  Constant c;
  c.kind = Constant::Kind::kDouble;
  c.double_value = d;
  return PrintAst(*ConstantExpr(c));
}

TEST(AstPrinterTest, PrintsDoublesSoThatTheyStayDoubles) {
  EXPECT_EQ(PrintDouble(1), "1.0");
  EXPECT_EQ(PrintDouble(-0.0), "-0.0");
  EXPECT_EQ(PrintDouble(0.1), "0.1");
  EXPECT_EQ(PrintDouble(1e300), "1e+300");
  EXPECT_EQ(PrintDouble(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(PrintDouble(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(PrintDouble(std::nan("")), "nan");
}

TEST(AstPrinterTest, EscapesStringsAndBytes) {
  Constant s;
  s.kind = Constant::Kind::kString;
  s.string_value = std::string("a\"b\\c\n\t\r\x01\x7f\xc3\xa9", 12);
  EXPECT_EQ(PrintAst(*ConstantExpr(s)), "\"a\\\"b\\\\c\\n\\t\\r\\x01\\x7f\xc3\xa9\"");
  Constant b;
  b.kind = Constant::Kind::kBytes;
  b.string_value = std::string(
      "\x00\xff"
      "a\"",
      4);
  EXPECT_EQ(PrintAst(*ConstantExpr(b)), "b\"\\x00\\xffa\\\"\"");
}

TEST(AstPrinterTest, QuotesFieldNamesThatAreNotPlainIdentifiers) {
  Result<Ast> ast = Parse("a.`b-c`.`in`.d + Msg{`x.y`: 1, null_ok: 2}.e");
  ASSERT_TRUE(ast.ok()) << ast.status().message();
  EXPECT_EQ(PrintAst(*ast), "_+_(a.`b-c`.`in`.d, Msg{`x.y`: 1, null_ok: 2}.e)");
}

TEST(AstPrinterTest, PrintsEveryNodeKind) {
  Result<Ast> ast = Parse(
      "[null, true, 1, 2u, 1.5, 'x', b'y', .n, a.b, has(a.c), f(1), t.g(), [?o], {?k: v}, "
      "M{f: 1}, m.all(k, v, v)]");
  ASSERT_TRUE(ast.ok()) << ast.status().message();
  EXPECT_EQ(PrintAst(*ast),
            "[null, true, 1, 2u, 1.5, \"x\", b\"y\", .n, a.b, a.c~test-only, f(1), t.g(), [?o], "
            "{?k: v}, M{f: 1}, __comprehension__(iter_var: k, iter_var2: v, iter_range: m, "
            "accu_var: @result, accu_init: true, loop_condition: @not_strictly_false(@result), "
            "loop_step: _&&_(@result, v), result: @result)]");
}

TEST(AstPrinterTest, PrintsAnEmptyAstAsEmptyText) {
  EXPECT_EQ(PrintAst(Ast{}), "");
}

}  // namespace
}  // namespace govflow::expr
