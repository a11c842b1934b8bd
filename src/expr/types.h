// Static CEL types as the type checker sees them: primitives, dyn, list(T), map(K, V), type(T),
// optional_type(T), type parameters, named message/opaque types and the error type.
// Type is a plain value (copyable, comparable); no shared state, so any thread may use any copy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace govflow::expr {

enum class TypeKind : uint8_t {
  kDyn,   // any value; assignable to and from every type
  kNull,  // null_type
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kTimestamp,  // google.protobuf.Timestamp
  kDuration,   // google.protobuf.Duration
  kList,       // params: {elem}
  kMap,        // params: {key, value}
  kType,       // type(T): params {T}, or the bare `type` with no params
  kOptional,   // optional_type(T): params {T}
  kParam,      // a type parameter (name), bound by unification
  kMessage,    // a named message type (name) whose fields the checker does not know: fields are dyn
  kOpaque,     // a named abstract type (name) with optional params
  kError,      // the type of an expression that failed to check; assignable to everything
};

class Type {
 public:
  Type() = default;  // dyn

  static Type Dyn() { return Type(TypeKind::kDyn); }
  static Type Null() { return Type(TypeKind::kNull); }
  static Type Bool() { return Type(TypeKind::kBool); }
  static Type Int() { return Type(TypeKind::kInt); }
  static Type Uint() { return Type(TypeKind::kUint); }
  static Type Double() { return Type(TypeKind::kDouble); }
  static Type String() { return Type(TypeKind::kString); }
  static Type Bytes() { return Type(TypeKind::kBytes); }
  static Type Timestamp() { return Type(TypeKind::kTimestamp); }
  static Type Duration() { return Type(TypeKind::kDuration); }
  static Type Error() { return Type(TypeKind::kError); }
  static Type List(Type elem);
  static Type Map(Type key, Type value);
  // type(T): the type of a type value whose value is T.
  static Type TypeOf(Type type);
  // The bare `type` (type of any type value).
  static Type TypeType() { return Type(TypeKind::kType); }
  static Type Optional(Type value);
  static Type Param(std::string name);
  static Type Message(std::string name);
  static Type Opaque(std::string name, std::vector<Type> params = {});

  TypeKind kind() const { return kind_; }
  const std::vector<Type>& params() const { return params_; }
  // The name of a type parameter, message or opaque type; empty otherwise.
  const std::string& name() const { return name_; }

  bool IsDyn() const { return kind_ == TypeKind::kDyn; }
  bool IsDynOrError() const { return kind_ == TypeKind::kDyn || kind_ == TypeKind::kError; }
  // The element type of a list, the value type of a map or optional; undefined for others.
  const Type& elem() const { return params_.back(); }

  bool operator==(const Type& other) const = default;

 private:
  explicit Type(TypeKind kind) : kind_(kind) {}

  TypeKind kind_ = TypeKind::kDyn;
  std::vector<Type> params_;
  std::string name_;
};

// The type's name as cel-go prints it in messages: "int", "list(int)", "map(string, dyn)",
// "google.protobuf.Timestamp", "type(int)", "optional_type(string)", "null_type", "*error*".
std::string TypeName(const Type& type);

// Parses a type written as a policy author declares it, the inverse of TypeName: "int", "uint",
// "double", "bool", "string", "bytes", "null_type", "dyn", "list(T)", "map(K, V)", "type(T)",
// "optional_type(T)", "timestamp" or "google.protobuf.Timestamp", "duration" or
// "google.protobuf.Duration". Whitespace around names and commas is ignored. Returns nullopt
// for anything else (callers turn that into their own error naming the declaration).
std::optional<Type> ParseTypeName(std::string_view text);

// True when `type` mentions a type parameter anywhere.
bool HasTypeParams(const Type& type);

}  // namespace govflow::expr
