#include "expr/checker.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "expr/parser.h"

namespace govflow::expr {

void PrintTo(const Type& type, std::ostream* os) {
  *os << TypeName(type);
}

namespace {

// A parsed and checked expression; keeps the Ast alive for the CheckedAst's pointer.
struct Checked {
  Ast ast;
  Result<CheckedAst> result = Status(StatusCode::kInternal, "not checked");
};

std::unique_ptr<Checked> CheckSource(std::string_view source, const TypeEnvironment& env,
                                     const CheckOptions& options = {}) {
  auto checked = std::make_unique<Checked>();
  Result<Ast> ast = Parse(source);
  if (!ast.ok()) {
    checked->result = ast.status();
    return checked;
  }
  checked->ast = std::move(ast).value();
  checked->result = Check(checked->ast, env, options);
  return checked;
}

// The deduced type's name, or the error message when checking fails.
std::string Deduce(std::string_view source, const TypeEnvironment& env,
                   const CheckOptions& options = {}) {
  std::unique_ptr<Checked> checked = CheckSource(source, env, options);
  if (!checked->result.ok()) return checked->result.status().message();
  return TypeName(checked->result->result_type);
}

class CheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = TypeEnvironment::Standard();
    ASSERT_TRUE(env_.AddVariable("order", Type::Map(Type::String(), Type::Dyn())).ok());
    ASSERT_TRUE(env_.AddVariable("change", Type::Map(Type::String(), Type::Double())).ok());
    ASSERT_TRUE(env_.AddVariable("threshold", Type::Double()).ok());
    ASSERT_TRUE(env_.AddVariable("n", Type::Int()).ok());
    ASSERT_TRUE(env_.AddVariable("names", Type::List(Type::String())).ok());
    ASSERT_TRUE(env_.AddVariable("payload", Type::Dyn()).ok());
    ASSERT_TRUE(env_.AddVariable("a.b.c", Type::String()).ok());
  }
  std::string Deduce(std::string_view source, const CheckOptions& options = {}) {
    return expr::Deduce(source, env_, options);
  }
  TypeEnvironment env_;
};

TEST_F(CheckerTest, DeducesLiteralTypes) {
  EXPECT_EQ(Deduce("true"), "bool");
  EXPECT_EQ(Deduce("42"), "int");
  EXPECT_EQ(Deduce("42u"), "uint");
  EXPECT_EQ(Deduce("0.5"), "double");
  EXPECT_EQ(Deduce("'s'"), "string");
  EXPECT_EQ(Deduce("b's'"), "bytes");
  EXPECT_EQ(Deduce("null"), "null_type");
}

TEST_F(CheckerTest, ReportsUndeclaredReferenceWithCaret) {
  EXPECT_EQ(Deduce("x + 1"),
            "ERROR: <input>:1:1: undeclared reference to 'x' (in container '')\n"
            " | x + 1\n"
            " | ^");
  EXPECT_EQ(Deduce("ordr.total > 1.0"),
            "ERROR: <input>:1:1: undeclared reference to 'ordr' (in container '')\n"
            " | ordr.total > 1.0\n"
            " | ^");
}

TEST_F(CheckerTest, ReportsUndeclaredFunction) {
  EXPECT_EQ(Deduce("frobnicate(1)"),
            "ERROR: <input>:1:11: undeclared reference to 'frobnicate' (in container '')\n"
            " | frobnicate(1)\n"
            " | ..........^");
}

TEST_F(CheckerTest, ReportsNoMatchingOverloadWithArgumentTypes) {
  EXPECT_EQ(Deduce("n + 'a'"),
            "ERROR: <input>:1:3: found no matching overload for '_+_' applied to '(int, string)'\n"
            " | n + 'a'\n"
            " | ..^");
}

TEST_F(CheckerTest, ReportsMemberOverloadMismatchWithReceiverType) {
  EXPECT_EQ(Deduce("'abc'.startsWith(1)"),
            "ERROR: <input>:1:17: found no matching overload for 'startsWith' applied to "
            "'string.(int)'\n"
            " | 'abc'.startsWith(1)\n"
            " | ................^");
}

TEST_F(CheckerTest, ReportsEveryErrorInSourceOrder) {
  std::string message = Deduce("y + 1 == z");
  EXPECT_EQ(message,
            "ERROR: <input>:1:1: undeclared reference to 'y' (in container '')\n"
            " | y + 1 == z\n"
            " | ^\n"
            "ERROR: <input>:1:10: undeclared reference to 'z' (in container '')\n"
            " | y + 1 == z\n"
            " | .........^");
}

TEST_F(CheckerTest, ErrorsAreInvalidArgument) {
  std::unique_ptr<Checked> checked = CheckSource("x", env_);
  EXPECT_EQ(checked->result.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CheckerTest, AcceptsOrderPolicyOverJsonTypedVariable) {
  EXPECT_EQ(Deduce("double(order.total_price) > 1000.0 && "
                   "order.tags.split(', ').exists(t, t == 'wholesale')"),
            "bool");
  EXPECT_EQ(Deduce("order.items.all(i, i.quantity > 0 && has(i.sku))"), "bool");
  EXPECT_EQ(Deduce("order['customer']['email']"), "dyn");
}

TEST_F(CheckerTest, RejectsComparingDoubleFieldWithString) {
  EXPECT_EQ(Deduce("change.new_price < 'x'"),
            "ERROR: <input>:1:18: found no matching overload for '_<_' applied to "
            "'(double, string)'\n"
            " | change.new_price < 'x'\n"
            " | .................^");
  EXPECT_EQ(Deduce("(change.new_price - change.old_price) / change.old_price < -0.3"), "bool");
  EXPECT_EQ(Deduce("change.new_price > threshold"), "bool");
}

TEST_F(CheckerTest, ComparesNumbersAcrossKinds) {
  EXPECT_EQ(Deduce("n < 2.5"), "bool");
  EXPECT_EQ(Deduce("1u >= n"), "bool");
}

TEST_F(CheckerTest, InfersListAndMapLiteralTypes) {
  EXPECT_EQ(Deduce("[1, 2]"), "list(int)");
  EXPECT_EQ(Deduce("[]"), "list(dyn)");
  EXPECT_EQ(Deduce("{}"), "map(dyn, dyn)");
  EXPECT_EQ(Deduce("{'a': [1], 'b': []}"), "map(string, list(int))");
  EXPECT_EQ(Deduce("[[], [1]]"), "list(list(int))");
  EXPECT_EQ(Deduce("[1, dyn(2)]"), "list(dyn)");
  EXPECT_EQ(Deduce("[[], [[]], [[[]]]]"), "list(list(list(list(dyn))))");
}

TEST_F(CheckerTest, HeterogeneousLiteralsBecomeDynByDefault) {
  EXPECT_EQ(Deduce("[1, 'a']"), "list(dyn)");
  EXPECT_EQ(Deduce("{'a': 1, 2: 'b'}"), "map(dyn, dyn)");
}

TEST_F(CheckerTest, HomogeneousOptionRejectsMixedElementTypes) {
  CheckOptions options;
  options.homogeneous_aggregate_literals = true;
  EXPECT_EQ(Deduce("[1, 'a']", options),
            "ERROR: <input>:1:5: expected type 'int' but found 'string'\n"
            " | [1, 'a']\n"
            " | ....^");
  EXPECT_EQ(Deduce("[1, 2]", options), "list(int)");
}

TEST_F(CheckerTest, IndexesListsAndMaps) {
  EXPECT_EQ(Deduce("['foo'][0]"), "string");
  EXPECT_EQ(Deduce("{'abc': 123}['abc']"), "int");
  EXPECT_EQ(Deduce("names[n]"), "string");
  EXPECT_EQ(Deduce("payload[0].x"), "dyn");
  EXPECT_NE(Deduce("names['a']")
                .find("found no matching overload for '_[_]' applied to "
                      "'(list(string), string)'"),
            std::string::npos);
}

TEST_F(CheckerTest, TypesComprehensionVariablesFromTheirRange) {
  EXPECT_EQ(Deduce("[1, 2].map(x, x * 2)"), "list(int)");
  EXPECT_EQ(Deduce("names.map(s, s.size())"), "list(int)");
  EXPECT_EQ(Deduce("{'a': 1.5}.map(k, k)"), "list(string)");
  EXPECT_EQ(Deduce("[1, 2].filter(x, x > 1)"), "list(int)");
  EXPECT_EQ(Deduce("[1, 2].exists_one(x, x > 1)"), "bool");
  EXPECT_EQ(Deduce("payload.map(x, x)"), "list(dyn)");
  EXPECT_NE(Deduce("names.all(s, s > 1)")
                .find("found no matching overload for '_>_' applied "
                      "to '(string, int)'"),
            std::string::npos);
}

TEST_F(CheckerTest, TypesNestedComprehensions) {
  EXPECT_EQ(Deduce("[[1], [2, 3]].map(l, l.map(x, x > 1))"), "list(list(bool))");
  EXPECT_EQ(Deduce("[['a']].map(l, l.filter(s, s.startsWith('a')).map(s, size(s)))"),
            "list(list(int))");
  EXPECT_EQ(Deduce("[1, 2].all(x, [3].exists(y, x < y))"), "bool");
}

TEST_F(CheckerTest, TypesTwoVariableComprehensions) {
  EXPECT_EQ(Deduce("['a'].transformList(i, v, i + size(v))"), "list(int)");
  EXPECT_EQ(Deduce("{'a': 1}.transformMap(k, v, v * 2)"), "map(string, int)");
  EXPECT_EQ(Deduce("{'a': 1}.all(k, v, k.size() > v)"), "bool");
}

TEST_F(CheckerTest, RejectsNonIterableComprehensionRange) {
  EXPECT_EQ(Deduce("n.all(x, x > 0)"),
            "ERROR: <input>:1:1: expression of type 'int' cannot be range of a comprehension "
            "(must be list, map, or dynamic)\n"
            " | n.all(x, x > 0)\n"
            " | ^");
}

TEST_F(CheckerTest, DeducesTypeValues) {
  EXPECT_EQ(Deduce("int"), "type(int)");
  EXPECT_EQ(Deduce("type(1)"), "type(int)");
  EXPECT_EQ(Deduce("type(names)"), "type(list(string))");
  EXPECT_EQ(Deduce("type(1) == int"), "bool");
  EXPECT_EQ(Deduce("type(n) == string"), "bool");
  EXPECT_EQ(Deduce("dyn(1)"), "dyn");
  EXPECT_EQ(Deduce("type"), "type(type)");
}

TEST_F(CheckerTest, ConditionalRequiresCompatibleBranches) {
  EXPECT_EQ(Deduce("n > 1 ? 'a' : 'b'"), "string");
  EXPECT_EQ(Deduce("true ? 1 : dyn('a')"), "dyn");
  EXPECT_NE(Deduce("true ? 1 : 'a'")
                .find("found no matching overload for '_?_:_' applied to "
                      "'(bool, int, string)'"),
            std::string::npos);
}

TEST_F(CheckerTest, ResolvesQualifiedVariableNames) {
  EXPECT_EQ(Deduce("a.b.c"), "string");
  EXPECT_EQ(Deduce("a.b.c.size()"), "int");
  std::unique_ptr<Checked> checked = CheckSource("a.b.c", env_);
  ASSERT_TRUE(checked->result.ok());
  EXPECT_EQ(checked->result->references.at(checked->ast.root->id).variable, "a.b.c");
}

TEST_F(CheckerTest, RecordsOverloadsAndNodeTypes) {
  std::unique_ptr<Checked> checked = CheckSource("n + 1", env_);
  ASSERT_TRUE(checked->result.ok()) << checked->result.status().message();
  const CheckedAst& result = *checked->result;
  EXPECT_EQ(result.ast, &checked->ast);
  EXPECT_EQ(result.references.at(checked->ast.root->id).overload_ids,
            std::vector<std::string>{"add_int64"});
  for (const auto& [id, type] : result.types) EXPECT_EQ(type, Type::Int()) << id;
  EXPECT_EQ(result.types.size(), 3u);

  // With a dyn operand every overload may apply: all are recorded.
  std::unique_ptr<Checked> dyn = CheckSource("payload + payload", env_);
  ASSERT_TRUE(dyn->result.ok());
  EXPECT_GT(dyn->result->references.at(dyn->ast.root->id).overload_ids.size(), 1u);
  EXPECT_EQ(dyn->result->result_type, Type::Dyn());
}

TEST_F(CheckerTest, SelectingOnScalarIsAnError) {
  EXPECT_EQ(Deduce("n.x"),
            "ERROR: <input>:1:2: type 'int' does not support field selection\n"
            " | n.x\n"
            " | .^");
  EXPECT_EQ(Deduce("has(order.x)"), "bool");
}

TEST_F(CheckerTest, TypesStringsExtension) {
  EXPECT_EQ(Deduce("'a,b'.split(',').join('-')"), "string");
  EXPECT_EQ(Deduce("'abc'.charAt(1) + 'x'.upperAscii() + ' y '.trim()"), "string");
  EXPECT_EQ(Deduce("'abc'.indexOf('b') + 'abc'.lastIndexOf('c', 2)"), "int");
  EXPECT_EQ(Deduce("'%s-%d'.format(['a', 1])"), "string");
  EXPECT_EQ(Deduce("strings.quote('a')"), "string");
  EXPECT_EQ(Deduce("'abc'.substring(1, 2).reverse()"), "string");
}

TEST_F(CheckerTest, TypesMathExtension) {
  EXPECT_EQ(Deduce("math.greatest(1, 2, 3)"), "int");
  EXPECT_EQ(Deduce("math.least(1.5, 2.0)"), "double");
  EXPECT_EQ(Deduce("math.greatest(1, 2.0)"), "dyn");
  EXPECT_EQ(Deduce("math.greatest([1u, 2u])"), "uint");
  EXPECT_EQ(Deduce("math.abs(-3) + math.bitAnd(1, 3)"), "int");
  EXPECT_EQ(Deduce("math.isNaN(math.ceil(1.2))"), "bool");
  EXPECT_NE(Deduce("math.greatest('a', 1, 2)")
                .find("found no matching overload for 'math.greatest' applied to "
                      "'(string, int, int)'"),
            std::string::npos);
}

TEST_F(CheckerTest, TypesTimestampsAndDurations) {
  EXPECT_EQ(Deduce("timestamp('2024-01-01T00:00:00Z').getHours('Europe/Paris')"), "int");
  EXPECT_EQ(Deduce("timestamp('2024-01-01T00:00:00Z') - timestamp('2023-01-01T00:00:00Z')"),
            "google.protobuf.Duration");
  EXPECT_EQ(Deduce("timestamp('2024-01-01T00:00:00Z') + duration('1h') > "
                   "timestamp('2024-01-01T00:00:00Z')"),
            "bool");
  EXPECT_EQ(Deduce("duration('90m').getMinutes()"), "int");
}

TEST_F(CheckerTest, TypesOptionals) {
  EXPECT_EQ(Deduce("optional.of(1)"), "optional_type(int)");
  EXPECT_EQ(Deduce("optional.none()"), "optional_type(dyn)");
  EXPECT_EQ(Deduce("[optional.none(), optional.of(1)]"), "list(optional_type(int))");
  EXPECT_EQ(Deduce("[optional.of(1), optional.of(dyn(1))]"), "list(optional_type(dyn))");
  EXPECT_EQ(Deduce("true ? optional.of(dyn(1)) : optional.of(1)"), "optional_type(dyn)");
  EXPECT_EQ(Deduce("{'a': 1}.?a"), "optional_type(int)");
  EXPECT_EQ(Deduce("{'a': 1}.?a.orValue(2)"), "int");
  EXPECT_EQ(Deduce("[1, ?optional.of(2)]"), "list(int)");
  EXPECT_EQ(Deduce("names[?0]"), "optional_type(string)");
  // Regression (found by ASan): selecting on an optional unwrapped it through a dangling ref.
  EXPECT_EQ(Deduce("optional.of({'a': 1}).a"), "optional_type(int)");
  EXPECT_EQ(Deduce("{'a': {'b': 'x'}}.?a.?b"), "optional_type(string)");
}

TEST_F(CheckerTest, TypesOptionalMapMacros) {
  EXPECT_EQ(Deduce("optional.of(42).optMap(y, y + 1)"), "optional_type(int)");
  EXPECT_EQ(Deduce("optional.of(42).optMap(y, string(y)).value()"), "string");
  EXPECT_EQ(Deduce("{'key': {'subkey': 'v'}}.?key.optFlatMap(k, k.?subkey)"),
            "optional_type(string)");
  EXPECT_NE(Deduce("optional.of(42).optMap(y, y + 'a')").find("'_+_' applied to '(int, string)'"),
            std::string::npos);
}

// The cel-spec type_deduction cases marked check_only that need no protobuf messages.
TEST_F(CheckerTest, UnifiesNestedEmptyListsWhateverTheirOrder) {
  EXPECT_EQ(Deduce("[[], [[]], [[[]]], [[[[]]]]]"), "list(list(list(list(list(dyn)))))");
  EXPECT_EQ(Deduce("[[[[[]]]], [], [[[]]]]"), "list(list(list(list(list(dyn)))))");
  EXPECT_EQ(Deduce("([].map(x, x))[0].foo"), "dyn");
  EXPECT_EQ(Deduce("[optional.of(1), optional.none()]"), "list(optional_type(int))");
  EXPECT_EQ(Deduce("[optional.of(dyn(1)), optional.of(1)]"), "list(optional_type(dyn))");
}

TEST_F(CheckerTest, InstantiatesTypeParametersAfreshAtEachCall) {
  ASSERT_TRUE(env_.AddFunctionOverload(
                      "wrap", {"wrap_a", false, {Type::Param("A")}, Type::List(Type::Param("A"))})
                  .ok());
  EXPECT_EQ(Deduce("wrap(1)"), "list(int)");
  EXPECT_EQ(Deduce("wrap(1)[0] + 1"), "int");
  EXPECT_EQ(Deduce("[wrap(1), wrap('a')]"), "list(dyn)");
  EXPECT_NE(Deduce("wrap(1)[0] + wrap('a')[0]").find("'_+_' applied to '(int, string)'"),
            std::string::npos);
}

TEST_F(CheckerTest, TypesBlocks) {
  EXPECT_EQ(Deduce("cel.block([1, cel.index(0) + 1], cel.index(1) * 2)"), "int");
  EXPECT_EQ(Deduce("cel.block(['a'], [cel.index(0)])"), "list(string)");
}

TEST_F(CheckerTest, AcceptsDeclarationsFromProtobufText) {
  Result<TypeEnvironment> env = ParseDeclarations({
      R"(name: "event" ident { type { message_type: "google.protobuf.Struct" } })",
      R"(name: "limits" ident { type { map_type { key_type { primitive: STRING } value_type { primitive: DOUBLE } } } })",
  });
  ASSERT_TRUE(env.ok()) << env.status().message();
  EXPECT_EQ(expr::Deduce("event.amount > limits['max']", *env), "bool");
  EXPECT_EQ(expr::Deduce("limits.max", *env), "double");
}

TEST_F(CheckerTest, TypesBindings) {
  EXPECT_EQ(Deduce("cel.bind(x, 1, x + 1)"), "int");
  EXPECT_EQ(Deduce("cel.bind(s, 'a', [s, s])"), "list(string)");
}

TEST_F(CheckerTest, ComprehensionVariablesShadowDeclarations) {
  EXPECT_EQ(Deduce("names.exists(n, n == 'a')"), "bool");
  EXPECT_EQ(Deduce("[1].map(a, a + 1)"), "list(int)");
}

TEST_F(CheckerTest, MessageConstructionIsUndeclared) {
  EXPECT_NE(Deduce("Order{id: 1}").find("undeclared reference to 'Order' (in container '')"),
            std::string::npos);
}

TEST_F(CheckerTest, EnvironmentIsSharedAcrossChecks) {
  // The same environment checks many expressions; nothing carries over between them.
  EXPECT_EQ(Deduce("[].map(x, x)"), "list(dyn)");
  EXPECT_EQ(Deduce("[1].map(x, x)"), "list(int)");
  EXPECT_EQ(Deduce("[].map(x, x)"), "list(dyn)");
}

TEST_F(CheckerTest, ChecksConcurrentlyAgainstOneSharedEnvironment) {
  const TypeEnvironment& env = env_;
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&env, &wrong, t] {
      for (int i = 0; i < 50; ++i) {
        if (expr::Deduce("order.items.map(i, double(i.price) * 2.0)", env) != "list(double)") {
          ++wrong[t];
        }
        if (expr::Deduce("n + 'a'", env).find("no matching overload") == std::string::npos) {
          ++wrong[t];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace govflow::expr
