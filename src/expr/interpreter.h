// The evaluator's internals: the plan (a tree of PlanNodes built once from an Ast by Plan()),
// the per-evaluation context, and the function registry the standard library fills.
// Plans are immutable after Plan() and evaluated concurrently; an EvalContext belongs to one
// evaluation on one thread. Not a public API: use expr/program.h.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "expr/ast.h"
#include "expr/value.h"

namespace govflow::expr {

class Activation;

// Everything one evaluation needs. Values flowing through the interpreter are borrowed: they
// live in the arena, in the Program's constants or in the Activation, all of which outlive the
// evaluation.
struct EvalContext {
  const Activation* activation = nullptr;
  Arena* arena = nullptr;
  Value* slots = nullptr;  // comprehension and bind variables
  int64_t cost = 0;
  int64_t budget = 0;  // 0 = unlimited
  bool budget_exceeded = false;

  Value Error(std::string_view message) { return arena->NewError(message); }
  // Adds `n` to the cost; false (and budget_exceeded) once the budget is spent.
  bool Charge(int64_t n = 1) {
    cost += n;
    if (budget > 0 && cost > budget) {
      budget_exceeded = true;
      return false;
    }
    return true;
  }
};

inline constexpr std::string_view kCostBudgetExceeded = "cost budget exceeded";

class PlanNode {
 public:
  virtual ~PlanNode() = default;
  virtual Value Eval(EvalContext& ctx) const = 0;
  // Non-null when the node is a constant (for plan-time folding and specialisation).
  virtual const Value* constant() const { return nullptr; }
};

// --- Functions.

// A builtin implementation: `args` are the evaluated arguments (receiver first for
// receiver-style calls), none of them an error. Results must be inline scalars or arena values.
using FunctionImpl = Value (*)(EvalContext& ctx, const Value* args, int nargs);

inline constexpr uint8_t kAnyKind = 255;

inline constexpr int kMaxFixedArity = 4;

struct Overload {
  int arity = 0;  // -1: any number of arguments
  // ValueKind or kAnyKind per argument (first `arity` entries used).
  std::array<uint8_t, kMaxFixedArity> arg_kinds{};
  bool all_any = false;  // every argument accepts any kind
  FunctionImpl impl = nullptr;

  bool Matches(const Value* args, int nargs) const {
    if (all_any || arity < 0) return true;
    for (int i = 0; i < nargs; ++i) {
      uint8_t k = arg_kinds[static_cast<size_t>(i)];
      if (k != kAnyKind && k != static_cast<uint8_t>(args[i].kind())) return false;
    }
    return true;
  }
};

class FunctionRegistry {
 public:
  // Registers `name` over argument kinds (kAnyKind for any type).
  void Add(std::string_view name, std::initializer_list<uint8_t> kinds, FunctionImpl impl);
  void AddVariadic(std::string_view name, FunctionImpl impl);
  // The overloads of `name` applicable to `arity` arguments (pointers stay valid).
  std::vector<const Overload*> Find(std::string_view name, int arity) const;
  bool Has(std::string_view name) const { return by_name_.count(std::string(name)) > 0; }

 private:
  std::unordered_map<std::string, std::vector<Overload>> by_name_;
};

// The standard library, the strings, math and encoders extensions and optionals (built once).
const FunctionRegistry& StandardFunctions();

void RegisterCoreFunctions(FunctionRegistry& registry);
void RegisterTimeFunctions(FunctionRegistry& registry);
void RegisterStringsExtension(FunctionRegistry& registry);
void RegisterMathExtension(FunctionRegistry& registry);

// "no such overload: name(int, string)".
Value NoSuchOverload(EvalContext& ctx, std::string_view name, const Value* args, int nargs);
// The CEL type name used in messages for a value.
std::string_view TypeNameForMessage(const Value& v);

// Shared helpers for function implementations.
Value MakeRegexMatch(EvalContext& ctx, std::string_view text, std::string_view pattern);

// --- Planning.

struct Plan {
  std::unique_ptr<PlanNode> root;
  int slot_count = 0;
};

// Builds the plan; fails only on constructs the evaluator cannot run at all (message literals,
// bad regex literals are left to run time).
Result<Plan> PlanAst(const Ast& ast, const FunctionRegistry& functions);

}  // namespace govflow::expr
