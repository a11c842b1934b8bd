#include "expr/types.h"

#include <utility>

namespace govflow::expr {

Type Type::List(Type elem) {
  Type t(TypeKind::kList);
  t.params_.push_back(std::move(elem));
  return t;
}

Type Type::Map(Type key, Type value) {
  Type t(TypeKind::kMap);
  t.params_.push_back(std::move(key));
  t.params_.push_back(std::move(value));
  return t;
}

Type Type::TypeOf(Type type) {
  Type t(TypeKind::kType);
  t.params_.push_back(std::move(type));
  return t;
}

Type Type::Optional(Type value) {
  Type t(TypeKind::kOptional);
  t.params_.push_back(std::move(value));
  return t;
}

Type Type::Param(std::string name) {
  Type t(TypeKind::kParam);
  t.name_ = std::move(name);
  return t;
}

Type Type::Message(std::string name) {
  Type t(TypeKind::kMessage);
  t.name_ = std::move(name);
  return t;
}

Type Type::Opaque(std::string name, std::vector<Type> params) {
  Type t(TypeKind::kOpaque);
  t.name_ = std::move(name);
  t.params_ = std::move(params);
  return t;
}

namespace {

std::string WithParams(std::string name, const std::vector<Type>& params) {
  if (params.empty()) return name;
  name += '(';
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) name += ", ";
    name += TypeName(params[i]);
  }
  name += ')';
  return name;
}

}  // namespace

std::string TypeName(const Type& type) {
  switch (type.kind()) {
    case TypeKind::kDyn: return "dyn";
    case TypeKind::kNull: return "null_type";
    case TypeKind::kBool: return "bool";
    case TypeKind::kInt: return "int";
    case TypeKind::kUint: return "uint";
    case TypeKind::kDouble: return "double";
    case TypeKind::kString: return "string";
    case TypeKind::kBytes: return "bytes";
    case TypeKind::kTimestamp: return "google.protobuf.Timestamp";
    case TypeKind::kDuration: return "google.protobuf.Duration";
    case TypeKind::kList: return WithParams("list", type.params());
    case TypeKind::kMap: return WithParams("map", type.params());
    case TypeKind::kType: return WithParams("type", type.params());
    case TypeKind::kOptional: return WithParams("optional_type", type.params());
    case TypeKind::kParam: return type.name();
    case TypeKind::kMessage: return type.name();
    case TypeKind::kOpaque: return WithParams(type.name(), type.params());
    case TypeKind::kError: return "*error*";
  }
  return "dyn";
}

bool HasTypeParams(const Type& type) {
  if (type.kind() == TypeKind::kParam) return true;
  for (const Type& p : type.params()) {
    if (HasTypeParams(p)) return true;
  }
  return false;
}

}  // namespace govflow::expr
