// What a CEL expression may refer to when it is type-checked: declared variables and the
// function overloads (CEL's standard library plus the strings, math and encoders extensions).
// Build a TypeEnvironment once (Standard() then AddVariable...), then treat it as immutable:
// const methods are safe to call from many threads at once.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "expr/types.h"

namespace govflow::expr {

// One signature of a function. For a member (receiver-style) overload, params[0] is the
// receiver's type. Type parameters (Type::Param) are scoped to the overload: each call site
// instantiates them afresh.
struct FunctionOverload {
  std::string id;  // e.g. "add_int64"; unique within a function
  bool member = false;
  std::vector<Type> params;
  Type result;
};

class TypeEnvironment {
 public:
  // No variables and no functions.
  TypeEnvironment() = default;

  // CEL's standard functions and operators with every overload, the strings, math and
  // encoders (base64) extensions, optional values and the timestamp/duration accessors.
  static TypeEnvironment Standard();

  // Declares a variable (a dotted name such as "a.b" declares a qualified identifier).
  // AlreadyExists when `name` is declared already; InvalidArgument when it is empty.
  Status AddVariable(std::string name, Type type);

  // Adds an overload to `function` (created when new). AlreadyExists when the overload id is
  // taken for that function; InvalidArgument for an empty name or a member overload without
  // a receiver parameter.
  Status AddFunctionOverload(std::string function, FunctionOverload overload);

  // nullptr when not declared. Pointers stay valid while the environment is not modified.
  const Type* FindVariable(std::string_view name) const;
  const std::vector<FunctionOverload>* FindFunction(std::string_view name) const;

 private:
  std::map<std::string, Type, std::less<>> variables_;
  std::map<std::string, std::vector<FunctionOverload>, std::less<>> functions_;
};

// Parses one cel-spec `Type` message in protobuf text format, e.g. "primitive: INT64",
// "list_type { elem_type { primitive: STRING } }", "map_type { key_type {...} value_type {...} }",
// "well_known: TIMESTAMP", "message_type: \"google.protobuf.Duration\"", "null: NULL_VALUE",
// "dyn {}", "type { primitive: INT64 }", "type_param: \"A\"", "error {}",
// "abstract_type { name: \"optional_type\" parameter_types { primitive: INT64 } }".
// Well-known JSON messages map to what a JSON engine holds: Struct -> map(string, dyn),
// Value/Any -> dyn, ListValue -> list(dyn); wrapper types (Int64Value, ...) are dyn.
Result<Type> ParseTypeText(std::string_view text);

// Builds Standard() plus the given cel-spec `Decl` messages in protobuf text format, as used in
// the conformance files' "declarations" arrays:
//   name: "x" ident { type { primitive: INT64 } }
//   name: "f" function { overloads { overload_id: "f_int" params { primitive: INT64 }
//                                    result_type { primitive: BOOL } is_instance_function: false }
//                                    }
// InvalidArgument naming the offending declaration when one cannot be read.
Result<TypeEnvironment> ParseDeclarations(const std::vector<std::string>& decls);

}  // namespace govflow::expr
