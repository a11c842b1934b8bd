#include "expr/types.h"

#include <cctype>
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
    case TypeKind::kDyn:
      return "dyn";
    case TypeKind::kNull:
      return "null_type";
    case TypeKind::kBool:
      return "bool";
    case TypeKind::kInt:
      return "int";
    case TypeKind::kUint:
      return "uint";
    case TypeKind::kDouble:
      return "double";
    case TypeKind::kString:
      return "string";
    case TypeKind::kBytes:
      return "bytes";
    case TypeKind::kTimestamp:
      return "google.protobuf.Timestamp";
    case TypeKind::kDuration:
      return "google.protobuf.Duration";
    case TypeKind::kList:
      return WithParams("list", type.params());
    case TypeKind::kMap:
      return WithParams("map", type.params());
    case TypeKind::kType:
      return WithParams("type", type.params());
    case TypeKind::kOptional:
      return WithParams("optional_type", type.params());
    case TypeKind::kParam:
      return type.name();
    case TypeKind::kMessage:
      return type.name();
    case TypeKind::kOpaque:
      return WithParams(type.name(), type.params());
    case TypeKind::kError:
      return "*error*";
  }
  return "dyn";
}

namespace {

class TypeNameParser {
 public:
  explicit TypeNameParser(std::string_view text) : text_(text) {}

  std::optional<Type> ParseAll() {
    std::optional<Type> t = ParseType();
    SkipSpace();
    if (!t || pos_ != text_.size()) return std::nullopt;
    return t;
  }

 private:
  std::optional<Type> ParseType() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                   text_[pos_] == '_' || text_[pos_] == '.')) {
      ++pos_;
    }
    std::string_view name = text_.substr(start, pos_ - start);
    std::vector<Type> params;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '(') {
      ++pos_;
      while (true) {
        std::optional<Type> p = ParseType();
        if (!p) return std::nullopt;
        params.push_back(std::move(*p));
        SkipSpace();
        if (pos_ < text_.size() && text_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < text_.size() && text_[pos_] == ')') {
          ++pos_;
          break;
        }
        return std::nullopt;
      }
    }
    return Build(name, std::move(params));
  }

  static std::optional<Type> Build(std::string_view name, std::vector<Type> params) {
    if (params.empty()) {
      if (name == "int") return Type::Int();
      if (name == "uint") return Type::Uint();
      if (name == "double") return Type::Double();
      if (name == "bool") return Type::Bool();
      if (name == "string") return Type::String();
      if (name == "bytes") return Type::Bytes();
      if (name == "null_type") return Type::Null();
      if (name == "dyn") return Type::Dyn();
      if (name == "type") return Type::TypeType();
      if (name == "timestamp" || name == "google.protobuf.Timestamp") return Type::Timestamp();
      if (name == "duration" || name == "google.protobuf.Duration") return Type::Duration();
      return std::nullopt;
    }
    if (name == "list" && params.size() == 1) return Type::List(std::move(params[0]));
    if (name == "map" && params.size() == 2) {
      return Type::Map(std::move(params[0]), std::move(params[1]));
    }
    if (name == "type" && params.size() == 1) return Type::TypeOf(std::move(params[0]));
    if (name == "optional_type" && params.size() == 1) {
      return Type::Optional(std::move(params[0]));
    }
    return std::nullopt;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<Type> ParseTypeName(std::string_view text) {
  return TypeNameParser(text).ParseAll();
}

bool HasTypeParams(const Type& type) {
  if (type.kind() == TypeKind::kParam) return true;
  for (const Type& p : type.params()) {
    if (HasTypeParams(p)) return true;
  }
  return false;
}

}  // namespace govflow::expr
