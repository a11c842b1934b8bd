// The abstract syntax tree of a CEL expression, as the parser produces it and the checker and
// planner consume it. Macros (has, all, exists, exists_one, map, filter, and the two-variable
// forms) are already expanded by the parser into Select(test_only) and Comprehension nodes,
// following the CEL specification's expansion. An Ast is immutable once built and may be shared
// across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace govflow::expr {

// Where a node starts in the source: byte offset, and 1-based line and column (column counts
// Unicode code points, as CEL's own error messages do).
struct SourcePosition {
  int32_t offset = 0;
  int32_t line = 1;
  int32_t column = 1;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// A literal. Bytes are stored raw in `string_value` with is_bytes set.
struct Constant {
  enum class Kind : uint8_t { kNull, kBool, kInt, kUint, kDouble, kString, kBytes };
  Kind kind = Kind::kNull;
  bool bool_value = false;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double double_value = 0;
  std::string string_value;  // string (UTF-8) or bytes (raw)
};

// A bare or qualified name (`x`, or a leading-dot `.x` stored with the dot).
struct Ident {
  std::string name;
};

// `operand.field`; with test_only it is the expansion of `has(operand.field)`.
struct Select {
  ExprPtr operand;
  std::string field;
  bool test_only = false;
};

// A function call. Operators are calls with the spec's internal names:
// _+_ _-_ _*_ _/_ _%_ -_ !_ _==_ _!=_ _<_ _<=_ _>_ _>=_ _&&_ _||_ _?_:_ _[_] @in
// `target` is set for receiver-style calls (`s.size()`), null for global calls (`size(s)`).
struct Call {
  ExprPtr target;
  std::string function;
  std::vector<ExprPtr> args;
};

// `[a, b, ?c]`: optional_indices lists the positions written with `?`.
struct CreateList {
  std::vector<ExprPtr> elements;
  std::vector<int32_t> optional_indices;
};

// `{k: v, ...}` (map) or `Name{field: v, ...}` (message; message_name non-empty).
struct CreateStruct {
  struct Entry {
    int64_t id = 0;
    std::string field;  // message field name (messages only)
    ExprPtr key;        // map key expression (maps only)
    ExprPtr value;
    bool optional = false;  // `?k: v`
  };
  std::string message_name;
  std::vector<Entry> entries;
};

// The single loop form every macro expands to (see the CEL spec, "Macros"):
//   accu_var = accu_init
//   for (iter_var[, iter_var2]) in iter_range:
//     if !loop_condition: break
//     accu_var = loop_step
//   return result
// iter_var2 is empty for one-variable comprehensions. For two-variable forms over a list,
// iter_var is the index and iter_var2 the element; over a map, the key and the value.
struct Comprehension {
  std::string iter_var;
  std::string iter_var2;
  ExprPtr iter_range;
  std::string accu_var;
  ExprPtr accu_init;
  ExprPtr loop_condition;
  ExprPtr loop_step;
  ExprPtr result;
};

// The accumulator variable name the macro expansions use; not a legal identifier in source.
inline constexpr const char* kAccumulatorName = "@result";

struct Expr {
  int64_t id = 0;  // unique within one Ast, > 0
  SourcePosition position;
  std::variant<Constant, Ident, Select, Call, CreateList, CreateStruct, Comprehension> kind;
};

// A parsed expression with the source it came from (kept for error messages).
struct Ast {
  std::string source;
  ExprPtr root;
  int64_t max_id = 0;  // the largest Expr::id in the tree
};

}  // namespace govflow::expr
