// The public face of govflow's CEL: compile an expression once into an immutable Program, then
// evaluate it many times against an Activation (variable bindings, JSON documents read in place).
// A Program is immutable and may be evaluated from any number of threads at once; an Activation
// is not synchronised (one per evaluation or per thread, or shared read-only once built).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "base/status.h"
#include "expr/ast.h"
#include "expr/value.h"

namespace govflow::expr {

class TypeEnvironment;  // declarations for the static type checker (expr/declarations.h)
class PlanNode;

struct CompileOptions {
  // When set, the expression is type-checked against these declarations (build them with
  // TypeEnvironment::Standard() plus AddVariable) and every check error fails Compile, with
  // the checker's formatted messages. Must outlive the Compile call only.
  const TypeEnvironment* type_env = nullptr;
  // When false, has/all/exists/map/filter/... are ordinary calls (cel-spec disable_macros).
  bool enable_macros = true;
  // Longest accepted source, deepest nesting (forwarded to the parser).
  size_t max_expression_length = 100'000;
  int max_nesting_depth = 250;
  // Name used in error messages.
  std::string_view description = "<input>";
};

struct EvalOptions {
  // Upper bound on the work of one evaluation: each function call and each comprehension
  // iteration costs 1. Past it the result is the error "cost budget exceeded". 0 = unlimited.
  int64_t cost_budget = 0;
};

// Names bound to values for one evaluation. Bound values are kept (owned copies); JSON documents
// are bound by reference and must outlive every evaluation that uses this Activation.
class Activation {
 public:
  Activation() = default;
  void Bind(std::string_view name, Value value);
  // Binds `doc` (viewed in place, never copied) under `name`.
  void BindJson(std::string_view name, const boost::json::value& doc);
  // Borrowed pointer to a bound value, or null.
  const Value* Find(std::string_view name) const { return Find(name, HashName(name)); }
  // Same with the name's HashName precomputed (the evaluator hashes names at plan time).
  const Value* Find(std::string_view name, uint64_t hash) const {
    for (const Entry& e : entries_) {
      if (e.hash == hash && e.name == name) return &e.value;
    }
    return nullptr;
  }
  // True when some bound name contains a dot ("a.b"), so qualified names need longest-prefix
  // resolution.
  bool has_qualified_names() const { return has_qualified_names_; }

  static uint64_t HashName(std::string_view name) {
    uint64_t h = 14695981039346656037ull;  // FNV-1a
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
    return h;
  }

 private:
  void Set(std::string_view name, Value value);
  // A flat list: activations hold a handful of names, where a scan of hashes beats hashing
  // into buckets.
  struct Entry {
    uint64_t hash;
    std::string name;
    Value value;
  };
  std::vector<Entry> entries_;
  bool has_qualified_names_ = false;
};

// A compiled expression. Immutable; Evaluate is thread-safe.
class Program {
 public:
  ~Program();
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  // The result, which is an error Value when evaluation fails (no such overload, division by
  // zero, missing key, cost budget exceeded, ...). Results may view JSON documents of the
  // Activation (lists, maps, strings read in place): keep them alive, or DeepCopy the result.
  Value Evaluate(const Activation& activation, const EvalOptions& options = {}) const;
  // Same, with an evaluation error as an InvalidArgument Status (ResourceExhausted for the cost
  // budget).
  Result<Value> EvaluateToResult(const Activation& activation,
                                 const EvalOptions& options = {}) const;

  const std::string& source() const { return ast_.source; }
  const Ast& ast() const { return ast_; }

 private:
  friend Result<std::shared_ptr<const Program>> Compile(std::string_view, const CompileOptions&);
  Program() = default;
  Ast ast_;
  std::unique_ptr<PlanNode> root_;
  int slot_count_ = 0;
};

// Parses `source`, type-checks it when options.type_env is set, and plans it. Errors are the
// parser's or checker's formatted messages ("ERROR: <input>:1:5: ...").
Result<std::shared_ptr<const Program>> Compile(std::string_view source,
                                               const CompileOptions& options = {});

// Compile + evaluate once (convenience for tests and one-off evaluations).
Result<Value> EvaluateExpression(std::string_view source, const Activation& activation,
                                 const CompileOptions& compile_options = {},
                                 const EvalOptions& eval_options = {});

}  // namespace govflow::expr
