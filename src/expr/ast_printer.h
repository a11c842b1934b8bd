// A debug printer: renders an Ast as one deterministic line of text (operators in their
// internal call form, e.g. `_+_(a, 1)`), for tests, fuzzers and diagnostics. Not CEL source:
// the output is meant for reading and comparing, not for re-parsing. Pure functions,
// thread-safe.
#pragma once

#include <string>

#include "expr/ast.h"

namespace govflow::expr {

// Renders one expression tree:
//   constants   null true 42 42u 1.5 "text" b"\x00\xff"
//   ident       x  .x
//   select      a.f   a.`weird-name`   has(a.f) as a.f~test-only
//   call        f(a, b)   target.f(a)   _+_(a, 1)
//   list        [a, ?b]
//   map         {k: v, ?k2: v2}    message  Name{field: v, ?opt: w}
//   comprehension
//     __comprehension__(iter_var: x[, iter_var2: y], iter_range: R, accu_var: @result,
//                       accu_init: I, loop_condition: C, loop_step: S, result: E)
std::string PrintAst(const Expr& expr);

// Same, for a whole Ast ("" when it has no root).
std::string PrintAst(const Ast& ast);

}  // namespace govflow::expr
