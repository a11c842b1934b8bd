#include "expr/program.h"

#include <new>

#include "expr/checker.h"
#include "expr/declarations.h"
#include "expr/interpreter.h"
#include "expr/parser.h"

namespace govflow::expr {

void Activation::Set(std::string_view name, Value value) {
  if (name.find('.') != std::string_view::npos) has_qualified_names_ = true;
  uint64_t hash = HashName(name);
  for (Entry& e : entries_) {
    if (e.hash == hash && e.name == name) {
      e.value = std::move(value);
      return;
    }
  }
  entries_.push_back(Entry{hash, std::string(name), std::move(value)});
}

void Activation::Bind(std::string_view name, Value value) {
  // Bound values must own their storage: they outlive the caller's temporaries.
  Set(name, MaterializeValue(value));
}

void Activation::BindJson(std::string_view name, const boost::json::value& doc) {
  Set(name, Value::FromJson(doc));
}

Program::~Program() = default;

Value Program::Evaluate(const Activation& activation, const EvalOptions& options) const {
  // Temporaries live in this stack buffer first; most evaluations never touch the heap.
  alignas(16) char buffer[4096];
  Arena arena(buffer, sizeof buffer);
  // Slots only ever hold borrowed values, so they need no destruction.
  Value* slots = nullptr;
  if (slot_count_ > 0) {
    slots = static_cast<Value*>(
        arena.Allocate(sizeof(Value) * static_cast<size_t>(slot_count_), alignof(Value)));
    for (int i = 0; i < slot_count_; ++i) new (&slots[i]) Value();
  }
  EvalContext ctx;
  ctx.activation = &activation;
  ctx.arena = &arena;
  ctx.slots = slots;
  ctx.budget = options.cost_budget;
  Value result = root_->Eval(ctx);
  if (ctx.budget_exceeded) return Value::Error(kCostBudgetExceeded);
  return MaterializeValue(result);
}

Result<Value> Program::EvaluateToResult(const Activation& activation,
                                        const EvalOptions& options) const {
  Value v = Evaluate(activation, options);
  if (v.is_error()) {
    if (v.error_message() == kCostBudgetExceeded) {
      return ResourceExhausted(std::string(v.error_message()));
    }
    return InvalidArgument(std::string(v.error_message()));
  }
  return v;
}

Result<std::shared_ptr<const Program>> Compile(std::string_view source,
                                               const CompileOptions& options) {
  ParseOptions parse_options;
  parse_options.enable_macros = options.enable_macros;
  parse_options.max_expression_length = options.max_expression_length;
  parse_options.max_nesting_depth = options.max_nesting_depth;
  parse_options.description = options.description;
  GOVFLOW_ASSIGN_OR_RETURN(Ast ast, Parse(source, parse_options));
  if (options.type_env != nullptr) {
    CheckOptions check_options;
    check_options.description = std::string(options.description);
    GOVFLOW_RETURN_IF_ERROR(Check(ast, *options.type_env, check_options).status());
  }
  GOVFLOW_ASSIGN_OR_RETURN(Plan plan, PlanAst(ast, StandardFunctions()));
  std::shared_ptr<Program> program(new Program());
  program->ast_ = std::move(ast);
  program->root_ = std::move(plan.root);
  program->slot_count_ = plan.slot_count;
  return std::shared_ptr<const Program>(std::move(program));
}

Result<Value> EvaluateExpression(std::string_view source, const Activation& activation,
                                 const CompileOptions& compile_options,
                                 const EvalOptions& eval_options) {
  GOVFLOW_ASSIGN_OR_RETURN(auto program, Compile(source, compile_options));
  return program->EvaluateToResult(activation, eval_options);
}

}  // namespace govflow::expr
