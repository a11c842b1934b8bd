#include "expr/parser.h"

#include <gtest/gtest.h>

#include <chrono>
#include <climits>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "expr/ast_printer.h"

namespace govflow::expr {
namespace {

// The printed tree of `source`, or the error message prefixed with "error: ".
std::string P(std::string_view source, bool macros = true) {
  ParseOptions options;
  options.enable_macros = macros;
  Result<Ast> ast = Parse(source, options);
  if (!ast.ok()) return "error: " + ast.status().message();
  return PrintAst(*ast);
}

// The error message of a failing parse ("" when it parses).
std::string Error(std::string_view source, const ParseOptions& options = {}) {
  Result<Ast> ast = Parse(source, options);
  if (ast.ok()) return "";
  return ast.status().message();
}

const Constant& RootConstant(const Ast& ast) {
  return std::get<Constant>(ast.root->kind);
}

struct PrintCase {
  const char* source;
  const char* printed;
};

class PrecedenceTest : public ::testing::TestWithParam<PrintCase> {};

TEST_P(PrecedenceTest, BuildsTheExpectedTree) {
  EXPECT_EQ(P(GetParam().source), GetParam().printed) << GetParam().source;
}

INSTANTIATE_TEST_SUITE_P(
    Operators, PrecedenceTest,
    ::testing::Values(
        PrintCase{"a + b * c", "_+_(a, _*_(b, c))"}, PrintCase{"(a + b) * c", "_*_(_+_(a, b), c)"},
        PrintCase{"a - b - c", "_-_(_-_(a, b), c)"},
        PrintCase{"a / b % c * d", "_*_(_%_(_/_(a, b), c), d)"},
        PrintCase{"a + b < c * d", "_<_(_+_(a, b), _*_(c, d))"},
        PrintCase{"a < b == c", "_==_(_<_(a, b), c)"},
        PrintCase{"a in b != c", "_!=_(@in(a, b), c)"},
        PrintCase{"a <= b && c >= d", "_&&_(_<=_(a, b), _>=_(c, d))"},
        PrintCase{"a > b || c", "_||_(_>_(a, b), c)"},
        PrintCase{"a && b || c && d", "_||_(_&&_(a, b), _&&_(c, d))"},
        PrintCase{"a || b && c", "_||_(a, _&&_(b, c))"},
        PrintCase{"a || b || c", "_||_(_||_(a, b), c)"},
        // Long && / || chains are balanced as cel-go balances them.
        PrintCase{"a && b && c && d && e", "_&&_(_&&_(_&&_(a, b), c), _&&_(d, e))"},
        PrintCase{"a ? b : c", "_?_:_(a, b, c)"},
        PrintCase{"a ? b : c ? d : e", "_?_:_(a, b, _?_:_(c, d, e))"},
        PrintCase{"a ? (b ? c : d) : e", "_?_:_(a, _?_:_(b, c, d), e)"},
        PrintCase{"a || b ? c && d : e + f", "_?_:_(_||_(a, b), _&&_(c, d), _+_(e, f))"},
        PrintCase{"!a", "!_(a)"}, PrintCase{"!!a", "!_(!_(a))"}, PrintCase{"--a", "-_(-_(a))"},
        PrintCase{"-a.b", "-_(a.b)"}, PrintCase{"!a && b", "_&&_(!_(a), b)"},
        PrintCase{"-a * b", "_*_(-_(a), b)"}, PrintCase{"a - -b", "_-_(a, -_(b))"},
        PrintCase{"a.b.c", "a.b.c"}, PrintCase{"a.b(c).d[e]", "_[_](a.b(c).d, e)"},
        PrintCase{"a[b][c]", "_[_](_[_](a, b), c)"}, PrintCase{"f(a).g(b)", "f(a).g(b)"},
        PrintCase{"size(a) + a.size()", "_+_(size(a), a.size())"},
        PrintCase{"a.b.c(d)", "a.b.c(d)"}, PrintCase{"(a)", "a"},
        PrintCase{"((a + b))", "_+_(a, b)"}, PrintCase{"x in [1, 2]", "@in(x, [1, 2])"},
        PrintCase{"a.as + a.if()", "_+_(a.as, a.if())"}));

TEST(ParserTest, FoldsTheSignIntoNumericLiterals) {
  Result<Ast> ast = Parse("-9223372036854775808");
  ASSERT_TRUE(ast.ok()) << ast.status().message();
  EXPECT_EQ(RootConstant(*ast).kind, Constant::Kind::kInt);
  EXPECT_EQ(RootConstant(*ast).int_value, INT64_MIN);
  EXPECT_EQ(P("-1"), "-1");
  EXPECT_EQ(P("- 1"), "-1");
  EXPECT_EQ(P("-1.5"), "-1.5");
  EXPECT_EQ(P("--1"), "-_(-1)");
  EXPECT_EQ(P("-(1)"), "-_(1)");
  EXPECT_EQ(P("-1u"), "-_(1u)");  // uint literals have no sign
  EXPECT_EQ(P("!-1"), "!_(-1)");
  EXPECT_EQ(P("1 - 1"), "_-_(1, 1)");
  EXPECT_EQ(P("-0x10"), "-16");
  EXPECT_EQ(P("-0x8000000000000000"), "-9223372036854775808");
}

TEST(ParserTest, RejectsIntegerLiteralsThatOverflow) {
  EXPECT_EQ(Error("9223372036854775808"),
            "ERROR: <input>:1:1: invalid int literal\n"
            " | 9223372036854775808\n"
            " | ^");
  EXPECT_EQ(Error("1 + -9223372036854775809"),
            "ERROR: <input>:1:5: invalid int literal\n"
            " | 1 + -9223372036854775809\n"
            " | ....^");
  EXPECT_EQ(Error("0x8000000000000000"),
            "ERROR: <input>:1:1: invalid int literal\n"
            " | 0x8000000000000000\n"
            " | ^");
  EXPECT_EQ(Error("18446744073709551616u"),
            "ERROR: <input>:1:1: invalid uint literal\n"
            " | 18446744073709551616u\n"
            " | ^");
  EXPECT_EQ(P("9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(P("18446744073709551615u"), "18446744073709551615u");
  EXPECT_EQ(P("0xFFFFFFFFFFFFFFFFu"), "18446744073709551615u");
}

TEST(ParserTest, ParsesEveryLiteralForm) {
  EXPECT_EQ(P("null"), "null");
  EXPECT_EQ(P("true"), "true");
  EXPECT_EQ(P("false"), "false");
  EXPECT_EQ(P("42"), "42");
  EXPECT_EQ(P("0x2A"), "42");
  EXPECT_EQ(P("42u"), "42u");
  EXPECT_EQ(P("0x2AU"), "42u");
  EXPECT_EQ(P("1.0"), "1.0");
  EXPECT_EQ(P("1e3"), "1000.0");
  EXPECT_EQ(P(".5"), "0.5");
  EXPECT_EQ(P("1.5e-3"), "0.0015");
  EXPECT_EQ(P("'a'"), "\"a\"");
  EXPECT_EQ(P("\"a\\tb\""), "\"a\\tb\"");
  EXPECT_EQ(P("'''multi\nline'''"), "\"multi\\nline\"");
  EXPECT_EQ(P("r'\\d+'"), "\"\\\\d+\"");
  EXPECT_EQ(P("b'\\xff\\000'"), "b\"\\xff\\x00\"");
  EXPECT_EQ(P("br'\\x'"), "b\"\\\\x\"");

  Result<Ast> ast = Parse("b'\\377\\u00e9'");
  ASSERT_TRUE(ast.ok());
  EXPECT_EQ(RootConstant(*ast).kind, Constant::Kind::kBytes);
  EXPECT_EQ(RootConstant(*ast).string_value, "\xff\xc3\xa9");
  ast = Parse("'\\377'");
  ASSERT_TRUE(ast.ok());
  EXPECT_EQ(RootConstant(*ast).kind, Constant::Kind::kString);
  EXPECT_EQ(RootConstant(*ast).string_value, "\xc3\xbf");
  ast = Parse("0.1");
  ASSERT_TRUE(ast.ok());
  EXPECT_EQ(RootConstant(*ast).double_value, 0.1);
}

TEST(ParserTest, ParsesAggregates) {
  EXPECT_EQ(P("[]"), "[]");
  EXPECT_EQ(P("[1, 2, 3,]"), "[1, 2, 3]");
  EXPECT_EQ(P("{}"), "{}");
  EXPECT_EQ(P("{'a': 1, 2: [b],}"), "{\"a\": 1, 2: [b]}");
  EXPECT_EQ(P("Msg{}"), "Msg{}");
  EXPECT_EQ(P("Msg{a: 1, b: x + 1,}"), "Msg{a: 1, b: _+_(x, 1)}");
  EXPECT_EQ(P("pkg.sub.Msg{a: 1}.a"), "pkg.sub.Msg{a: 1}.a");
  EXPECT_EQ(P(".pkg.Msg{a: 1}"), ".pkg.Msg{a: 1}");
  EXPECT_EQ(P("Msg{as: 1, `in`: 2, `with-dash`: 3}"), "Msg{as: 1, `in`: 2, `with-dash`: 3}");
  EXPECT_EQ(P("f(a, b,)"), "f(a, b)");
  EXPECT_EQ(P("x.f(a,)"), "x.f(a)");
  EXPECT_EQ(P("f()"), "f()");
}

TEST(ParserTest, ParsesLeadingDotNames) {
  EXPECT_EQ(P(".x"), ".x");
  EXPECT_EQ(P(".x.y"), ".x.y");
  EXPECT_EQ(P(".f(1)"), ".f(1)");
}

TEST(ParserTest, ParsesQuotedFieldSelection) {
  EXPECT_EQ(P("m.`content-type`"), "m.`content-type`");
  EXPECT_EQ(P("has(m.`a.b`)"), "m.`a.b`~test-only");
  EXPECT_EQ(P("m.?`x-y`"), "_?._(m, \"x-y\")");
}

TEST(ParserTest, ParsesOptionalSyntax) {
  EXPECT_EQ(P("a.?b"), "_?._(a, \"b\")");
  EXPECT_EQ(P("a.?b.c"), "_?._(a, \"b\").c");
  EXPECT_EQ(P("a[?b]"), "_[?_](a, b)");
  EXPECT_EQ(P("a[?'k'].?x"), "_?._(_[?_](a, \"k\"), \"x\")");
  EXPECT_EQ(P("[?a, b, ?c]"), "[?a, b, ?c]");
  EXPECT_EQ(P("{?'k': v, 'j': w}"), "{?\"k\": v, \"j\": w}");
  EXPECT_EQ(P("Msg{?f: v}"), "Msg{?f: v}");

  Result<Ast> ast = Parse("[?a, b, ?c]");
  ASSERT_TRUE(ast.ok());
  EXPECT_EQ(std::get<CreateList>(ast->root->kind).optional_indices, (std::vector<int32_t>{0, 2}));
  ast = Parse("{?'k': v, 'j': w}");
  ASSERT_TRUE(ast.ok());
  const auto& map = std::get<CreateStruct>(ast->root->kind);
  ASSERT_EQ(map.entries.size(), 2u);
  EXPECT_TRUE(map.entries[0].optional);
  EXPECT_FALSE(map.entries[1].optional);
  EXPECT_TRUE(map.message_name.empty());
}

TEST(ParserTest, RejectsReservedWordsAsIdentifiers) {
  for (const char* word :
       {"as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
        "loop", "package", "namespace", "return", "var", "void", "while"}) {
    const std::string message = Error(std::string(word) + " + 1");
    EXPECT_EQ(
        message.rfind("ERROR: <input>:1:1: reserved identifier: " + std::string(word) + "\n", 0),
        0u)
        << message;
    EXPECT_NE(Error(std::string("f(") + word + ")"), "") << word;
    EXPECT_NE(Error(std::string(word) + "(1)"), "") << word;
    // Allowed as selected fields, receiver functions and message fields.
    EXPECT_EQ(Error(std::string("a.") + word), "") << word;
    EXPECT_EQ(Error(std::string("a.") + word + "()"), "") << word;
    EXPECT_EQ(Error(std::string("Msg{") + word + ": 1}"), "") << word;
  }
  EXPECT_EQ(Error("if"),
            "ERROR: <input>:1:1: reserved identifier: if\n"
            " | if\n"
            " | ^");
}

TEST(ParserTest, KeywordsNeedQuotingAsFields) {
  EXPECT_NE(Error("a.in"), "");
  EXPECT_NE(Error("a.true"), "");
  EXPECT_EQ(P("a.`in`"), "a.`in`");
  EXPECT_NE(Error("in"), "");
  EXPECT_NE(Error("null(1)"), "");
}

TEST(ParserTest, ExpandsHasToATestOnlySelect) {
  Result<Ast> ast = Parse("has(a.b.c)");
  ASSERT_TRUE(ast.ok()) << ast.status().message();
  const auto& select = std::get<Select>(ast->root->kind);
  EXPECT_TRUE(select.test_only);
  EXPECT_EQ(select.field, "c");
  EXPECT_EQ(PrintAst(*select.operand), "a.b");
  EXPECT_EQ(Error("has(a)"),
            "ERROR: <input>:1:5: invalid argument to has() macro\n"
            " | has(a)\n"
            " | ....^");
  EXPECT_NE(Error("has(a.?b)"), "");
  EXPECT_NE(Error("has(a[0])"), "");
  EXPECT_NE(Error("has(has(a.b))"), "");
  EXPECT_EQ(P("has(a.b, c)"), "has(a.b, c)");  // not the macro's arity
  EXPECT_EQ(P("x.has(a.b)"), "x.has(a.b)");    // has is global only
}

TEST(ParserTest, ExpandsOneVariableComprehensions) {
  EXPECT_EQ(P("e.all(x, p)"),
            "__comprehension__(iter_var: x, iter_range: e, accu_var: @result, accu_init: true, "
            "loop_condition: @not_strictly_false(@result), loop_step: _&&_(@result, p), "
            "result: @result)");
  EXPECT_EQ(P("e.exists(x, p)"),
            "__comprehension__(iter_var: x, iter_range: e, accu_var: @result, accu_init: false, "
            "loop_condition: @not_strictly_false(!_(@result)), loop_step: _||_(@result, p), "
            "result: @result)");
  EXPECT_EQ(P("e.exists_one(x, p)"),
            "__comprehension__(iter_var: x, iter_range: e, accu_var: @result, accu_init: 0, "
            "loop_condition: true, loop_step: _?_:_(p, _+_(@result, 1), @result), "
            "result: _==_(@result, 1))");
  EXPECT_EQ(P("e.map(x, f)"),
            "__comprehension__(iter_var: x, iter_range: e, accu_var: @result, accu_init: [], "
            "loop_condition: true, loop_step: _+_(@result, [f]), result: @result)");
  EXPECT_EQ(P("e.map(x, p, f)"),
            "__comprehension__(iter_var: x, iter_range: e, accu_var: @result, accu_init: [], "
            "loop_condition: true, loop_step: _?_:_(p, _+_(@result, [f]), @result), "
            "result: @result)");
  EXPECT_EQ(P("e.filter(x, p)"),
            "__comprehension__(iter_var: x, iter_range: e, accu_var: @result, accu_init: [], "
            "loop_condition: true, loop_step: _?_:_(p, _+_(@result, [x]), @result), "
            "result: @result)");
}

TEST(ParserTest, ExpandsTwoVariableComprehensions) {
  EXPECT_EQ(P("e.all(k, v, p)"),
            "__comprehension__(iter_var: k, iter_var2: v, iter_range: e, accu_var: @result, "
            "accu_init: true, loop_condition: @not_strictly_false(@result), "
            "loop_step: _&&_(@result, p), result: @result)");
  EXPECT_EQ(P("e.exists(k, v, p)"),
            "__comprehension__(iter_var: k, iter_var2: v, iter_range: e, accu_var: @result, "
            "accu_init: false, loop_condition: @not_strictly_false(!_(@result)), "
            "loop_step: _||_(@result, p), result: @result)");
  const std::string exists_one =
      "__comprehension__(iter_var: k, iter_var2: v, iter_range: e, accu_var: @result, "
      "accu_init: 0, loop_condition: true, loop_step: _?_:_(p, _+_(@result, 1), @result), "
      "result: _==_(@result, 1))";
  EXPECT_EQ(P("e.existsOne(k, v, p)"), exists_one);
  EXPECT_EQ(P("e.exists_one(k, v, p)"), exists_one);
  EXPECT_EQ(P("e.transformList(i, v, f)"),
            "__comprehension__(iter_var: i, iter_var2: v, iter_range: e, accu_var: @result, "
            "accu_init: [], loop_condition: true, loop_step: _+_(@result, [f]), "
            "result: @result)");
  EXPECT_EQ(P("e.transformList(i, v, p, f)"),
            "__comprehension__(iter_var: i, iter_var2: v, iter_range: e, accu_var: @result, "
            "accu_init: [], loop_condition: true, "
            "loop_step: _?_:_(p, _+_(@result, [f]), @result), result: @result)");
  EXPECT_EQ(P("e.transformMap(k, v, f)"),
            "__comprehension__(iter_var: k, iter_var2: v, iter_range: e, accu_var: @result, "
            "accu_init: {}, loop_condition: true, "
            "loop_step: cel.@mapInsert(@result, k, f), result: @result)");
  EXPECT_EQ(P("e.transformMap(k, v, p, f)"),
            "__comprehension__(iter_var: k, iter_var2: v, iter_range: e, accu_var: @result, "
            "accu_init: {}, loop_condition: true, "
            "loop_step: _?_:_(p, cel.@mapInsert(@result, k, f), @result), result: @result)");
  EXPECT_EQ(P("e.transformMapEntry(k, v, f)"),
            "__comprehension__(iter_var: k, iter_var2: v, iter_range: e, accu_var: @result, "
            "accu_init: {}, loop_condition: true, "
            "loop_step: cel.@mapInsert(@result, f), result: @result)");
}

TEST(ParserTest, ExpandsBindAndBlock) {
  EXPECT_EQ(P("cel.bind(x, 1, x + x)"),
            "__comprehension__(iter_var: #unused, iter_range: [], accu_var: x, accu_init: 1, "
            "loop_condition: false, loop_step: x, result: _+_(x, x))");
  EXPECT_EQ(P("cel.block([1, cel.index(0) + 1], cel.index(1))"),
            "cel.@block([1, _+_(@index0, 1)], @index1)");
  EXPECT_EQ(P("[1].exists(cel.iterVar(0, 1), cel.iterVar(0, 1) > cel.accuVar(2, 3))"),
            "__comprehension__(iter_var: @it:0:1, iter_range: [1], accu_var: @result, "
            "accu_init: false, loop_condition: @not_strictly_false(!_(@result)), "
            "loop_step: _||_(@result, _>_(@it:0:1, @ac:2:3)), result: @result)");
  EXPECT_NE(Error("cel.bind(x.y, 1, 2)"), "");
  EXPECT_NE(Error("cel.index(-1)"), "");
  EXPECT_NE(Error("cel.block(1, 2)"), "");
  EXPECT_EQ(P("other.bind(x, 1, x)"), "other.bind(x, 1, x)");
}

TEST(ParserTest, NestsMacros) {
  EXPECT_EQ(P("a.all(x, x.exists(y, y))"),
            "__comprehension__(iter_var: x, iter_range: a, accu_var: @result, accu_init: true, "
            "loop_condition: @not_strictly_false(@result), loop_step: _&&_(@result, "
            "__comprehension__(iter_var: y, iter_range: x, accu_var: @result, accu_init: false, "
            "loop_condition: @not_strictly_false(!_(@result)), loop_step: _||_(@result, y), "
            "result: @result)), result: @result)");
}

TEST(ParserTest, RejectsMacroVariablesThatAreNotSimpleNames) {
  const char* sources[] = {
      "e.all(x.y, p)",         "e.exists(1, p)",           "e.exists_one(f(x), p)",
      "e.map(.x, f)",          "e.map(x.y, p, f)",         "e.filter([x], p)",
      "e.all(k, v.w, p)",      "e.transformList(1, v, f)", "e.transformMap(k, 2, p, f)",
      "e.existsOne(a.b, v, p)"};
  for (const char* source : sources) {
    EXPECT_NE(Error(source).find(": argument must be a simple name\n"), std::string::npos)
        << source << ": " << Error(source);
  }
  EXPECT_EQ(Error("[1].all(x.y, true)"),
            "ERROR: <input>:1:10: argument must be a simple name\n"
            " | [1].all(x.y, true)\n"
            " | .........^");
  EXPECT_NE(Error("e.all(k, k, p)").find("duplicate variable name: k"), std::string::npos);
}

TEST(ParserTest, LeavesMacroNamesAsCallsWithOtherArityOrWhenDisabled) {
  EXPECT_EQ(P("all(x, p)"), "all(x, p)");
  EXPECT_EQ(P("e.all(x)"), "e.all(x)");
  EXPECT_EQ(P("e.map(a, b, c, d)"), "e.map(a, b, c, d)");
  EXPECT_EQ(P("e.filter(a, b, c)"), "e.filter(a, b, c)");
  EXPECT_EQ(P("has(a.b)", false), "has(a.b)");
  EXPECT_EQ(P("e.all(x, p)", false), "e.all(x, p)");
  EXPECT_EQ(P("e.all(x.y, p)", false), "e.all(x.y, p)");
  EXPECT_EQ(P("cel.bind(x, 1, x)", false), "cel.bind(x, 1, x)");
}

TEST(ParserTest, FormatsSyntaxErrorsLikeCelGo) {
  EXPECT_EQ(Error("a + )"),
            "ERROR: <input>:1:5: Syntax error: mismatched input ')' expecting {'[', '{', '(', "
            "'.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, "
            "IDENTIFIER}\n"
            " | a + )\n"
            " | ....^");
  EXPECT_EQ(Error("a b"),
            "ERROR: <input>:1:3: Syntax error: extraneous input 'b' expecting <EOF>\n"
            " | a b\n"
            " | ..^");
  EXPECT_EQ(Error("(a"),
            "ERROR: <input>:1:3: Syntax error: mismatched input '<EOF>' expecting ')'\n"
            " | (a\n"
            " | ..^");
  EXPECT_EQ(Error("a ? b"),
            "ERROR: <input>:1:6: Syntax error: mismatched input '<EOF>' expecting ':'\n"
            " | a ? b\n"
            " | .....^");
  EXPECT_EQ(Error("a.+"),
            "ERROR: <input>:1:3: Syntax error: mismatched input '+' expecting {IDENTIFIER, "
            "ESC_IDENTIFIER}\n"
            " | a.+\n"
            " | ..^");
  // As in the CEL grammar, the middle of a conditional is not itself a conditional.
  EXPECT_EQ(Error("a ? b ? c : d : e"),
            "ERROR: <input>:1:7: Syntax error: mismatched input '?' expecting ':'\n"
            " | a ? b ? c : d : e\n"
            " | ......^");
  EXPECT_EQ(Error("{1 2}"),
            "ERROR: <input>:1:4: Syntax error: mismatched input '2' expecting ':'\n"
            " | {1 2}\n"
            " | ...^");
  EXPECT_EQ(Error("a = b"),
            "ERROR: <input>:1:3: Syntax error: token recognition error at: '='\n"
            " | a = b\n"
            " | ..^");
  EXPECT_EQ(Error(""),
            "ERROR: <input>:1:1: Syntax error: mismatched input '<EOF>' expecting {'[', '{', "
            "'(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, "
            "BYTES, IDENTIFIER}\n"
            " | \n"
            " | ^");
}

// The cases below are worded exactly as cel-go's parser tests expect them.
TEST(ParserTest, MatchesCelGoErrorTexts) {
  EXPECT_EQ(Error("0xFFFFFFFFFFFFFFFFF"),
            "ERROR: <input>:1:1: invalid int literal\n"
            " | 0xFFFFFFFFFFFFFFFFF\n"
            " | ^");
  EXPECT_EQ(Error("0xFFFFFFFFFFFFFFFFFu"),
            "ERROR: <input>:1:1: invalid uint literal\n"
            " | 0xFFFFFFFFFFFFFFFFFu\n"
            " | ^");
  EXPECT_EQ(Error("1.99e90000009"),
            "ERROR: <input>:1:1: invalid double literal\n"
            " | 1.99e90000009\n"
            " | ^");
  EXPECT_EQ(Error("-1e999"),
            "ERROR: <input>:1:1: invalid double literal\n"
            " | -1e999\n"
            " | ^");
  EXPECT_EQ(Error("1 + 2\n3 +"),
            "ERROR: <input>:2:1: Syntax error: mismatched input '3' expecting <EOF>\n"
            " | 3 +\n"
            " | ^");
  EXPECT_EQ(Error("TestAllTypes(){}"),
            "ERROR: <input>:1:15: Syntax error: mismatched input '{' expecting <EOF>\n"
            " | TestAllTypes(){}\n"
            " | ..............^");
  EXPECT_EQ(Error("1.all(2, 3)"),
            "ERROR: <input>:1:7: argument must be a simple name\n"
            " | 1.all(2, 3)\n"
            " | ......^");
  EXPECT_EQ(Error("{1:305 2:569}"),
            "ERROR: <input>:1:8: Syntax error: mismatched input '2' expecting {'}', ','}\n"
            " | {1:305 2:569}\n"
            " | .......^");
  EXPECT_EQ(Error("1 + +").rfind(
                "ERROR: <input>:1:5: Syntax error: mismatched input '+' expecting {'[', '{', '(', "
                "'.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, "
                "BYTES, IDENTIFIER}\n",
                0),
            0u);
  EXPECT_EQ(Error("as"),
            "ERROR: <input>:1:1: reserved identifier: as\n"
            " | as\n"
            " | ^");
}

TEST(ParserTest, SaysExtraneousWhenDroppingOneTokenWouldFit) {
  EXPECT_EQ(Error("f(a b)").rfind(
                "ERROR: <input>:1:5: Syntax error: extraneous input 'b' expecting {')', ','}", 0),
            0u);
  EXPECT_EQ(Error("[1 2 3]").rfind(
                "ERROR: <input>:1:4: Syntax error: mismatched input '2' expecting {']', ','}", 0),
            0u);
  EXPECT_EQ(Error("a + * b").rfind(
                "ERROR: <input>:1:5: Syntax error: extraneous input '*' expecting {'['", 0),
            0u);
  EXPECT_EQ(Error("(a b)").rfind(
                "ERROR: <input>:1:4: Syntax error: extraneous input 'b' expecting ')'", 0),
            0u);
}

TEST(ParserTest, ReportsTheLineAndCodePointColumnOfErrors) {
  EXPECT_EQ(Error("'caf\xc3\xa9' + \n  x +\n  )"),
            "ERROR: <input>:3:3: Syntax error: mismatched input ')' expecting {'[', '{', '(', "
            "'.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, "
            "IDENTIFIER}\n"
            " |   )\n"
            " | ..^");
  EXPECT_EQ(Error("'\xc3\xa9\xc3\xa9' ~"),
            "ERROR: <input>:1:6: Syntax error: token recognition error at: '~'\n"
            " | '\xc3\xa9\xc3\xa9' ~\n"
            " | .....^");
  // Tabs are shown as spaces so that the caret lines up.
  EXPECT_EQ(Error("\ta ="),
            "ERROR: <input>:1:4: Syntax error: token recognition error at: '='\n"
            " |  a =\n"
            " | ...^");
}

TEST(ParserTest, ReportsLexicalErrorsAtTheirPosition) {
  EXPECT_EQ(Error("x + 'ab\\qc'"),
            "ERROR: <input>:1:8: Syntax error: invalid escape sequence '\\q'\n"
            " | x + 'ab\\qc'\n"
            " | .......^");
  EXPECT_EQ(Error("'\\uD800'"),
            "ERROR: <input>:1:2: Syntax error: invalid unicode code point in escape sequence\n"
            " | '\\uD800'\n"
            " | .^");
  EXPECT_EQ(Error("x + 'abc"),
            "ERROR: <input>:1:5: Syntax error: unterminated string literal\n"
            " | x + 'abc\n"
            " | ....^");
  // A syntax error before a lexical error is the one reported.
  EXPECT_EQ(Error(") 'abc").rfind("ERROR: <input>:1:1: Syntax error: mismatched input ')'", 0), 0u);
}

TEST(ParserTest, ShowsBytesThatAreNotUtf8AsReplacementCharacters) {
  // The syntax error comes first; the bad byte later on the line must not leak into the message.
  EXPECT_EQ(Error("a + ) '\xff'"),
            "ERROR: <input>:1:5: Syntax error: mismatched input ')' expecting {'[', '{', '(', "
            "'.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, "
            "IDENTIFIER}\n"
            " | a + ) '\xEF\xBF\xBD'\n"
            " | ....^");
  EXPECT_EQ(Error("x + '\xff'"),
            "ERROR: <input>:1:6: Syntax error: invalid UTF-8 in source\n"
            " | x + '\xEF\xBF\xBD'\n"
            " | .....^");
}

TEST(ParserTest, UsesTheDescriptionInErrors) {
  ParseOptions options;
  options.description = "policy.yaml#rule";
  EXPECT_EQ(Error("1 +", options),
            "ERROR: policy.yaml#rule:1:4: Syntax error: mismatched input '<EOF>' expecting {'[', "
            "'{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, "
            "STRING, BYTES, IDENTIFIER}\n"
            " | 1 +\n"
            " | ...^");
}

TEST(ParserTest, FormatSourceErrorCountsCodePointsAndClampsTheCaret) {
  EXPECT_EQ(FormatSourceError("ab\ncd", "<input>", SourcePosition{4, 2, 2}, "boom"),
            "ERROR: <input>:2:2: boom\n | cd\n | .^");
  EXPECT_EQ(FormatSourceError("ab", "<input>", SourcePosition{0, 1, 9}, "boom"),
            "ERROR: <input>:1:9: boom\n | ab\n | ..^");
  EXPECT_EQ(FormatSourceError("ab", "<input>", SourcePosition{0, 5, 1}, "boom"),
            "ERROR: <input>:5:1: boom");
}

TEST(ParserTest, ShortensSnippetsOfVeryLongLines) {
  const std::string source = std::string(1000, 'a') + " +";
  const std::string message = Error(source);
  EXPECT_EQ(message.rfind("ERROR: <input>:1:1003: Syntax error: mismatched input '<EOF>'", 0), 0u);
  EXPECT_LT(message.size(), 600u);
  const size_t caret_line = message.rfind("\n | ");
  ASSERT_NE(caret_line, std::string::npos);
  const size_t snippet_line = message.rfind("\n | ", caret_line - 1);
  const std::string snippet = message.substr(snippet_line + 4, caret_line - snippet_line - 4);
  const std::string caret = message.substr(caret_line + 4);
  EXPECT_EQ(snippet.substr(0, 3), "...");
  // The caret sits under the end of the shown text, where the input ended.
  EXPECT_EQ(caret.size(), snippet.size() + 1);
  EXPECT_EQ(caret.back(), '^');
  // A long token is abbreviated when quoted.
  const std::string long_ident = std::string(300, 'x');
  EXPECT_NE(Error("a " + long_ident).find("input '" + std::string(40, 'x') + "...'"),
            std::string::npos);
}

TEST(ParserTest, RejectsExpressionsLongerThanTheLimit) {
  ParseOptions options;
  options.max_expression_length = 10;
  Result<Ast> ast = Parse("a + b + c + d", options);
  ASSERT_FALSE(ast.ok());
  EXPECT_EQ(ast.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ast.status().message(), "expression is 13 bytes, longer than the limit of 10");
  EXPECT_TRUE(Parse("a + b + c", options).ok());
}

// Every deep input fails cleanly with ResourceExhausted, never by exhausting the stack.
TEST(ParserTest, StopsDeepNestingWithResourceExhausted) {
  const std::vector<std::string> prefixes = {
      "(",  "-",  "!",         "[",        "{1:",     "{",  "f(",
      "a[", "[?", "x.all(y, ", "a ? b : ", "Msg{f: ", "-(", "!("};
  for (const std::string& prefix : prefixes) {
    std::string source;
    for (int i = 0; i < 100000 / static_cast<int>(prefix.size()); ++i) source += prefix;
    Result<Ast> ast = Parse(source);
    ASSERT_FALSE(ast.ok()) << prefix;
    EXPECT_EQ(ast.status().code(), StatusCode::kResourceExhausted) << prefix;
    EXPECT_NE(ast.status().message().find("expression nesting exceeds the limit of 250"),
              std::string::npos)
        << prefix << ": " << ast.status().message().substr(0, 200);
  }
  // Flat but deep trees (left-associative chains, member chains) are limited too.
  for (const char* unit : {"1 + ", "a.b", "a[0]", "x < "}) {
    std::string source = "a";
    for (int i = 0; i < 30000; ++i) source += unit;
    source += "1";
    Result<Ast> ast = Parse(source);
    ASSERT_FALSE(ast.ok()) << unit;
    EXPECT_EQ(ast.status().code(), StatusCode::kResourceExhausted) << unit;
  }
}

TEST(ParserTest, AcceptsNestingUpToTheLimit) {
  ParseOptions options;
  options.max_nesting_depth = 50;
  const std::string ok = std::string(49, '(') + "1" + std::string(49, ')');
  EXPECT_TRUE(Parse(ok, options).ok()) << Error(ok, options);
  const std::string deep = std::string(51, '(') + "1" + std::string(51, ')');
  Result<Ast> ast = Parse(deep, options);
  ASSERT_FALSE(ast.ok());
  EXPECT_EQ(ast.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ast.status().message().rfind(
                "ERROR: <input>:1:51: expression nesting exceeds the limit of 50\n", 0),
            0u)
      << ast.status().message();
  // Long || chains are balanced, so they stay well inside the limit.
  std::string chain = "a0";
  for (int i = 1; i < 2000; ++i) chain += " || a" + std::to_string(i);
  EXPECT_TRUE(Parse(chain, options).ok());
}

TEST(ParserTest, CapsARaisedDepthLimitToStaySafe) {
  ParseOptions options;
  options.max_nesting_depth = 1'000'000;
  for (const std::string prefix :
       {"(", "[", "{1:", "f(", "Msg{f: ", "a[", "x.all(y, ", "-(", "a ? b : "}) {
    std::string source;
    for (int i = 0; i < 5000; ++i) source += prefix;
    Result<Ast> ast = Parse(source, options);
    ASSERT_FALSE(ast.ok()) << prefix;
    EXPECT_EQ(ast.status().code(), StatusCode::kResourceExhausted) << prefix;
    EXPECT_NE(ast.status().message().find("limit of 1000"), std::string::npos) << prefix;
  }
}

void CollectIds(const Expr& e, std::vector<int64_t>& ids, std::vector<const Expr*>& nodes);

void CollectChild(const ExprPtr& e, std::vector<int64_t>& ids, std::vector<const Expr*>& nodes) {
  if (e) CollectIds(*e, ids, nodes);
}

void CollectIds(const Expr& e, std::vector<int64_t>& ids, std::vector<const Expr*>& nodes) {
  ids.push_back(e.id);
  nodes.push_back(&e);
  if (const auto* s = std::get_if<Select>(&e.kind)) CollectChild(s->operand, ids, nodes);
  if (const auto* c = std::get_if<Call>(&e.kind)) {
    CollectChild(c->target, ids, nodes);
    for (const ExprPtr& a : c->args) CollectChild(a, ids, nodes);
  }
  if (const auto* l = std::get_if<CreateList>(&e.kind)) {
    for (const ExprPtr& a : l->elements) CollectChild(a, ids, nodes);
  }
  if (const auto* s = std::get_if<CreateStruct>(&e.kind)) {
    for (const auto& entry : s->entries) {
      ids.push_back(entry.id);
      CollectChild(entry.key, ids, nodes);
      CollectChild(entry.value, ids, nodes);
    }
  }
  if (const auto* c = std::get_if<Comprehension>(&e.kind)) {
    CollectChild(c->iter_range, ids, nodes);
    CollectChild(c->accu_init, ids, nodes);
    CollectChild(c->loop_condition, ids, nodes);
    CollectChild(c->loop_step, ids, nodes);
    CollectChild(c->result, ids, nodes);
  }
}

TEST(ParserTest, GivesEveryNodeAUniquePositiveIdAndAPosition) {
  const std::string source =
      "a.b[0] + f(x, {'k': Msg{f: 1}}) > 2 && [1, 2].exists(e, e == 1)\n  || has(m.n) ? -1 : 2u";
  Result<Ast> ast = Parse(source);
  ASSERT_TRUE(ast.ok()) << ast.status().message();
  std::vector<int64_t> ids;
  std::vector<const Expr*> nodes;
  CollectIds(*ast->root, ids, nodes);
  std::set<int64_t> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
  EXPECT_GT(*unique.begin(), 0);
  EXPECT_EQ(*unique.rbegin(), ast->max_id);
  EXPECT_EQ(ast->source, source);
  for (const Expr* e : nodes) {
    EXPECT_GE(e->position.offset, 0);
    EXPECT_LT(e->position.offset, static_cast<int32_t>(source.size()));
    EXPECT_GE(e->position.line, 1);
    EXPECT_GE(e->position.column, 1);
  }
}

TEST(ParserTest, PositionsNodesAtTheirOperatorOrStart) {
  Result<Ast> ast = Parse("ab + c.d\n  * f(x)");
  ASSERT_TRUE(ast.ok());
  const Expr& add = *ast->root;
  EXPECT_EQ(add.position.column, 4);  // at '+'
  const auto& call = std::get<Call>(add.kind);
  EXPECT_EQ(call.args[0]->position.column, 1);  // `ab`
  const Expr& mul = *call.args[1];
  EXPECT_EQ(mul.position.line, 2);
  EXPECT_EQ(mul.position.column, 3);  // at '*'
  EXPECT_EQ(mul.position.offset, 11);
  const auto& mul_call = std::get<Call>(mul.kind);
  EXPECT_EQ(mul_call.args[0]->position.column, 7);  // the '.' of c.d
  EXPECT_EQ(mul_call.args[1]->position.column, 6);  // the '(' of f(x)
}

TEST(ParserTest, ParsesTheSpecsWhitespaceAndCommentForms) {
  EXPECT_EQ(P("[// c\n.// c\ncel.// c\nexpr// c\n{// c\nf// c\n:// c\n1// c\n}// c\n]"),
            "[.cel.expr{f: 1}]");
  EXPECT_EQ(P("a\r+\fb\t"), "_+_(a, b)");
}

// Random token soup must always come back as a value or a clean error.
TEST(ParserTest, NeverCrashesOnRandomInput) {
  const std::vector<std::string> pieces = {
      "a",   "b.c",       "(",   ")",        "[",    "]",    "{",    "}",    ".",
      ",",   ":",         "?",   "+",        "-",    "*",    "/",    "%",    "!",
      "==",  "!=",        "<",   "<=",       ">",    ">=",   "&&",   "||",   "in",
      "1",   "2u",        "3.",  "'s'",      "b'x",  "r'",   "'''",  "\\",   "`q`",
      "has", "all",       "map", "x",        "cel",  "bind", "null", "true", "-9223372036854775808",
      " ",   "\n",        "//",  "\xc3\xa9", "\xff", "0x",   "1e",   "?.",   "[?",
      "{?",  "exists_one"};
  std::mt19937 rng(12345);
  for (int round = 0; round < 20000; ++round) {
    std::string source;
    const int length = static_cast<int>(rng() % 24);
    for (int i = 0; i < length; ++i) source += pieces[rng() % pieces.size()];
    Result<Ast> ast = Parse(source);
    if (ast.ok()) {
      ASSERT_NE(ast->root, nullptr) << source;
      EXPECT_FALSE(PrintAst(*ast).empty()) << source;
    } else {
      ASSERT_TRUE(ast.status().code() == StatusCode::kInvalidArgument ||
                  ast.status().code() == StatusCode::kResourceExhausted)
          << source;
      EXPECT_EQ(ast.status().message().rfind("ERROR: <input>:", 0), 0u) << source;
    }
  }
}

TEST(ParserTest, ParsesATypicalPolicyExpressionInMicroseconds) {
  const std::string source =
      "order.total > 1000.0 && order.currency in ['EUR', 'USD'] && "
      "order.lines.all(l, l.quantity > 0 && l.sku.startsWith('SKU-')) && "
      "!(order.customer.tags.exists(t, t == 'blocked')) ? 'approve' : 'review'";
  ASSERT_GT(source.size(), 190u);
  ASSERT_TRUE(Parse(source).ok());
  constexpr int kRounds = 2000;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) {
    Result<Ast> ast = Parse(source);
    ASSERT_TRUE(ast.ok());
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const double micros =
      std::chrono::duration<double, std::micro>(elapsed).count() / static_cast<double>(kRounds);
  std::cout << "parse of a " << source.size() << "-byte expression: " << micros << " us\n";
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)
  // Generous, for a loaded machine; an optimised build takes a few microseconds.
  EXPECT_LT(micros, 100.0);
#endif
}

}  // namespace
}  // namespace govflow::expr
