// The optional static type checker of CEL: infers a type for every node of a parsed Ast against
// a TypeEnvironment, and reports undeclared names and calls no overload accepts, before any run.
// Semantics follow cel-go's checker (unification with type parameters; dyn is compatible with
// everything). Check() is a pure function: safe to call from many threads on shared inputs.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "expr/ast.h"
#include "expr/declarations.h"
#include "expr/types.h"

namespace govflow::expr {

struct CheckOptions {
  // Name shown in error messages (matches ParseOptions::description).
  std::string description = "<input>";
  // When false (the default, as cel-go), a list or map literal whose elements have unrelated
  // types gets element type dyn. When true, such a literal is an error
  // ("expected type 'int' but found 'string'").
  bool homogeneous_aggregate_literals = false;
};

// What a name or call resolved to.
struct Reference {
  // For an Ident, or a Select chain that names a qualified variable ("a.b.c"): the declared
  // variable name. Empty for comprehension variables and calls.
  std::string variable;
  // For a Call: the ids of every overload that may apply (more than one when arguments are dyn).
  // When a receiver-style call resolved to a qualified global function (math.greatest), the
  // Reference's `function` holds that name.
  std::vector<std::string> overload_ids;
  std::string function;
};

struct CheckedAst {
  const Ast* ast = nullptr;  // not owned; must outlive the CheckedAst
  // The deduced type of every checked node, by Expr::id. Unbound type parameters are dyn. Nodes
  // inside a Select chain that resolved as one qualified variable (`a.b.c`) have no entry of
  // their own: the outermost Select carries the type (and a Reference naming the variable).
  std::unordered_map<int64_t, Type> types;
  // Resolved identifiers (declared variables, including qualified ones) and calls, by Expr::id.
  std::unordered_map<int64_t, Reference> references;
  Type result_type;
};

// Type-checks `ast`. On failure: InvalidArgument whose message lists every error, sorted by
// position, each formatted by FormatSourceError, joined by newlines, e.g.
//   ERROR: <input>:1:1: undeclared reference to 'x' (in container '')
//    | x + 1
//    | ^
Result<CheckedAst> Check(const Ast& ast, const TypeEnvironment& env,
                         const CheckOptions& options = {});

}  // namespace govflow::expr
