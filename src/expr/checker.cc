#include "expr/checker.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "expr/parser.h"

namespace govflow::expr {
namespace {

// Type-parameter bindings, by parameter name. Overload parameters are renamed to fresh
// "_varN" names at each call site, so names never collide across instantiations.
using Mapping = std::unordered_map<std::string, Type>;

Type Rebuild(const Type& t, std::vector<Type> params) {
  switch (t.kind()) {
    case TypeKind::kList:
      return Type::List(std::move(params[0]));
    case TypeKind::kMap:
      return Type::Map(std::move(params[0]), std::move(params[1]));
    case TypeKind::kType:
      return Type::TypeOf(std::move(params[0]));
    case TypeKind::kOptional:
      return Type::Optional(std::move(params[0]));
    case TypeKind::kOpaque:
      return Type::Opaque(t.name(), std::move(params));
    default:
      return t;
  }
}

// Replaces bound type parameters by their bindings; unbound ones become dyn when
// `params_to_dyn`.
Type Substitute(const Mapping& m, const Type& t, bool params_to_dyn) {
  if (t.kind() == TypeKind::kParam) {
    auto it = m.find(t.name());
    if (it != m.end()) return Substitute(m, it->second, params_to_dyn);
    return params_to_dyn ? Type::Dyn() : t;
  }
  if (t.params().empty()) return t;
  std::vector<Type> params;
  params.reserve(t.params().size());
  for (const Type& p : t.params()) params.push_back(Substitute(m, p, params_to_dyn));
  return Rebuild(t, std::move(params));
}

// Renames an overload's type parameters ("A") to fresh names for one call site.
Type Rename(const Type& t, const std::unordered_map<std::string, Type>& fresh) {
  if (t.kind() == TypeKind::kParam) {
    auto it = fresh.find(t.name());
    return it == fresh.end() ? t : it->second;
  }
  if (t.params().empty()) return t;
  std::vector<Type> params;
  for (const Type& p : t.params()) params.push_back(Rename(p, fresh));
  return Rebuild(t, std::move(params));
}

void CollectParams(const Type& t, std::vector<std::string>& out) {
  if (t.kind() == TypeKind::kParam) {
    if (std::find(out.begin(), out.end(), t.name()) == out.end()) out.push_back(t.name());
    return;
  }
  for (const Type& p : t.params()) CollectParams(p, out);
}

// True when `t1` is dyn or a type parameter, or no more specific than `t2` (cel-go's
// isEqualOrLessSpecific).
bool IsEqualOrLessSpecific(const Type& t1, const Type& t2) {
  if (t1.IsDyn() || t1.kind() == TypeKind::kParam) return true;
  if (t2.IsDyn() || t2.kind() == TypeKind::kParam) return false;
  if (t1.kind() != t2.kind()) return false;
  switch (t1.kind()) {
    case TypeKind::kList:
    case TypeKind::kMap:
    case TypeKind::kOptional:
    case TypeKind::kOpaque:
    case TypeKind::kType:
      if (t1.name() != t2.name() || t1.params().size() != t2.params().size()) return false;
      for (size_t i = 0; i < t1.params().size(); ++i) {
        if (!IsEqualOrLessSpecific(t1.params()[i], t2.params()[i])) return false;
      }
      return true;
    default:
      return t1 == t2;
  }
}

const Type& MostGeneral(const Type& a, const Type& b) {
  return IsEqualOrLessSpecific(a, b) ? a : b;
}

// True when type parameter `param` does not occur in `within` (following bindings).
bool NotReferencedIn(const Mapping& m, const Type& param, const Type& within) {
  if (param == within) return false;
  if (within.kind() == TypeKind::kParam) {
    auto it = m.find(within.name());
    if (it == m.end()) return true;
    return NotReferencedIn(m, param, it->second);
  }
  for (const Type& p : within.params()) {
    if (!NotReferencedIn(m, param, p)) return false;
  }
  return true;
}

bool IsNullable(const Type& t) {
  return t.kind() == TypeKind::kNull || t.kind() == TypeKind::kMessage;
}

bool InternalIsAssignable(Mapping& m, const Type& t1, const Type& t2);

// Whether `t1` may stand for type parameter `t2`; binds t2 when it is free. `has_sub` tells
// whether t2 was bound already.
bool IsValidTypeSubstitution(Mapping& m, const Type& t1, const Type& t2, bool& has_sub) {
  has_sub = false;
  if (t1 == t2) {
    has_sub = true;
    return true;
  }
  auto it = m.find(t2.name());
  if (it != m.end()) {
    has_sub = true;
    Type sub = it->second;
    if (t1 == sub) return true;
    if (InternalIsAssignable(m, t1, sub)) {
      Type general = MostGeneral(t1, sub);
      if (NotReferencedIn(m, t2, general)) m[t2.name()] = std::move(general);
      return true;
    }
    return false;
  }
  if (NotReferencedIn(m, t2, t1)) {
    m[t2.name()] = t1;
    return true;
  }
  return false;
}

// cel-go's internalIsAssignable: may `t1` be used where `t2` is expected (symmetric for dyn and
// type parameters), extending `m` with the bindings that makes it so.
bool InternalIsAssignable(Mapping& m, const Type& t1, const Type& t2) {
  if (t2.kind() == TypeKind::kParam) {
    bool has_sub = false;
    if (IsValidTypeSubstitution(m, t1, t2, has_sub)) return true;
    if (has_sub) return false;
  }
  if (t1.kind() == TypeKind::kParam) {
    bool has_sub = false;
    return IsValidTypeSubstitution(m, t2, t1, has_sub);
  }
  if (t1.IsDynOrError() || t2.IsDynOrError()) return true;
  if (t1.kind() == TypeKind::kNull) return IsNullable(t2);
  if (t2.kind() == TypeKind::kNull) return IsNullable(t1);
  switch (t1.kind()) {
    case TypeKind::kType:
      return t2.kind() == TypeKind::kType;
    case TypeKind::kList:
    case TypeKind::kMap:
    case TypeKind::kOptional:
    case TypeKind::kOpaque:
      if (t1.kind() != t2.kind() || t1.name() != t2.name() ||
          t1.params().size() != t2.params().size()) {
        return false;
      }
      for (size_t i = 0; i < t1.params().size(); ++i) {
        if (!InternalIsAssignable(m, t1.params()[i], t2.params()[i])) return false;
      }
      return true;
    default:
      return t1.kind() == t2.kind() && t1.name() == t2.name();
  }
}

struct CheckError {
  SourcePosition position;
  std::string message;
};

// Builds a dotted name from an Ident/Select chain ("a.b.c"); nullopt for anything else.
std::optional<std::string> QualifiedName(const Expr& e) {
  if (const auto* ident = std::get_if<Ident>(&e.kind)) return ident->name;
  if (const auto* sel = std::get_if<Select>(&e.kind)) {
    if (sel->test_only || sel->operand == nullptr) return std::nullopt;
    std::optional<std::string> operand = QualifiedName(*sel->operand);
    if (!operand) return std::nullopt;
    return *operand + "." + sel->field;
  }
  return std::nullopt;
}

std::string RootName(const std::string& qualified) {
  return qualified.substr(0, qualified.find('.'));
}

std::optional<Type> TypeIdentifier(std::string_view name) {
  if (!name.empty() && name.front() == '.') name.remove_prefix(1);
  if (name == "int") return Type::TypeOf(Type::Int());
  if (name == "uint") return Type::TypeOf(Type::Uint());
  if (name == "double") return Type::TypeOf(Type::Double());
  if (name == "bool") return Type::TypeOf(Type::Bool());
  if (name == "string") return Type::TypeOf(Type::String());
  if (name == "bytes") return Type::TypeOf(Type::Bytes());
  if (name == "null_type") return Type::TypeOf(Type::Null());
  if (name == "dyn") return Type::TypeOf(Type::Dyn());
  if (name == "type") return Type::TypeOf(Type::TypeType());
  if (name == "list") return Type::TypeOf(Type::List(Type::Dyn()));
  if (name == "map") return Type::TypeOf(Type::Map(Type::Dyn(), Type::Dyn()));
  if (name == "optional_type") return Type::TypeOf(Type::Optional(Type::Dyn()));
  if (name == "google.protobuf.Timestamp") return Type::TypeOf(Type::Timestamp());
  if (name == "google.protobuf.Duration") return Type::TypeOf(Type::Duration());
  return std::nullopt;
}

bool IsNumericOrDyn(const Type& t) {
  switch (t.kind()) {
    case TypeKind::kInt:
    case TypeKind::kUint:
    case TypeKind::kDouble:
    case TypeKind::kDyn:
    case TypeKind::kError:
    case TypeKind::kParam:
      return true;
    default:
      return false;
  }
}

class Checker {
 public:
  Checker(const Ast& ast, const TypeEnvironment& env, const CheckOptions& options)
      : ast_(ast), env_(env), options_(options) {}

  Result<CheckedAst> Run() {
    if (ast_.root == nullptr) return InvalidArgument("cannot check an empty expression");
    CheckExpr(*ast_.root);
    if (!errors_.empty()) {
      std::stable_sort(errors_.begin(), errors_.end(),
                       [](const CheckError& a, const CheckError& b) {
                         return a.position.offset < b.position.offset;
                       });
      std::string message;
      for (const CheckError& err : errors_) {
        if (!message.empty()) message += '\n';
        message += FormatSourceError(ast_.source, options_.description, err.position, err.message);
      }
      return InvalidArgument(std::move(message));
    }
    CheckedAst checked;
    checked.ast = &ast_;
    for (auto& [id, type] : types_) checked.types.emplace(id, Substitute(mapping_, type, true));
    checked.references = std::move(references_);
    checked.result_type = checked.types[ast_.root->id];
    return checked;
  }

 private:
  void SetType(const Expr& e, Type t) { types_[e.id] = std::move(t); }
  Type GetType(const Expr& e) const {
    auto it = types_.find(e.id);
    return it == types_.end() ? Type::Error() : it->second;
  }
  Type Resolved(const Expr& e) const { return Substitute(mapping_, GetType(e), false); }

  void Report(const Expr& e, std::string message) {
    errors_.push_back(CheckError{e.position, std::move(message)});
  }
  void ReportUndeclared(const Expr& e, const std::string& name) {
    Report(e, "undeclared reference to '" + name + "' (in container '')");
  }
  void ReportMismatch(const Expr& e, const Type& expected, const Type& actual) {
    Report(e, "expected type '" + TypeName(Substitute(mapping_, expected, true)) + "' but found '" +
                  TypeName(Substitute(mapping_, actual, true)) + "'");
  }

  // Tries the assignment on a copy of the bindings and keeps them only when it succeeds.
  bool IsAssignable(const Type& t1, const Type& t2) {
    Mapping copy = mapping_;
    if (!InternalIsAssignable(copy, t1, t2)) return false;
    mapping_ = std::move(copy);
    return true;
  }
  bool IsAssignableList(const std::vector<Type>& l1, const std::vector<Type>& l2) {
    if (l1.size() != l2.size()) return false;
    Mapping copy = mapping_;
    for (size_t i = 0; i < l1.size(); ++i) {
      if (!InternalIsAssignable(copy, l1[i], l2[i])) return false;
    }
    mapping_ = std::move(copy);
    return true;
  }

  Type NewTypeVar() { return Type::Param("_var" + std::to_string(next_var_++)); }

  // A declared variable or type name, outside comprehension scopes.
  std::optional<Type> LookupGlobal(std::string_view name) const {
    if (!name.empty() && name.front() == '.') name.remove_prefix(1);
    if (const Type* t = env_.FindVariable(name)) return *t;
    return TypeIdentifier(name);
  }
  const Type* LookupLocal(std::string_view name) const {
    if (!name.empty() && name.front() == '.') return nullptr;  // leading dot: root scope only
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto found = it->find(std::string(name));
      if (found != it->end()) return &found->second;
    }
    return nullptr;
  }

  void CheckExpr(const Expr& e) {
    std::visit([&](const auto& node) { CheckNode(e, node); }, e.kind);
  }

  void CheckNode(const Expr& e, const Constant& c) {
    switch (c.kind) {
      case Constant::Kind::kNull:
        SetType(e, Type::Null());
        break;
      case Constant::Kind::kBool:
        SetType(e, Type::Bool());
        break;
      case Constant::Kind::kInt:
        SetType(e, Type::Int());
        break;
      case Constant::Kind::kUint:
        SetType(e, Type::Uint());
        break;
      case Constant::Kind::kDouble:
        SetType(e, Type::Double());
        break;
      case Constant::Kind::kString:
        SetType(e, Type::String());
        break;
      case Constant::Kind::kBytes:
        SetType(e, Type::Bytes());
        break;
    }
  }

  void CheckNode(const Expr& e, const Ident& ident) {
    if (const Type* local = LookupLocal(ident.name)) {
      SetType(e, *local);
      return;
    }
    std::string_view plain = ident.name;
    if (!plain.empty() && plain.front() == '.') plain.remove_prefix(1);
    if (std::optional<Type> global = LookupGlobal(plain)) {
      SetType(e, *global);
      if (env_.FindVariable(plain)) references_[e.id].variable = std::string(plain);
      return;
    }
    ReportUndeclared(e, ident.name);
    SetType(e, Type::Error());
  }

  void CheckNode(const Expr& e, const Select& sel) {
    // A chain such as `a.b.c` may name a qualified variable; the longest declared prefix wins.
    if (!sel.test_only) {
      if (std::optional<std::string> name = QualifiedName(e)) {
        if (LookupLocal(RootName(*name)) == nullptr) {
          std::string_view plain = *name;
          if (!plain.empty() && plain.front() == '.') plain.remove_prefix(1);
          if (std::optional<Type> global = LookupGlobal(plain)) {
            SetType(e, *global);
            if (env_.FindVariable(plain)) references_[e.id].variable = std::string(plain);
            return;
          }
        }
      }
    }
    CheckExpr(*sel.operand);
    Type result = FieldSelection(e, Resolved(*sel.operand), /*optional=*/false);
    SetType(e, sel.test_only ? Type::Bool() : std::move(result));
  }

  // The type of `operand.field` for an operand of type `operand_type` (unwrapping optionals:
  // selecting on an optional yields an optional).
  Type FieldSelection(const Expr& e, const Type& operand_type, bool force_optional) {
    Type target = operand_type;
    bool is_optional = force_optional;
    if (target.kind() == TypeKind::kOptional) {
      is_optional = true;
      target = Type(target.elem());  // copy first: elem() refers into target
    }
    Type result;
    switch (target.kind()) {
      case TypeKind::kMap:
        result = target.params()[1];
        break;
      case TypeKind::kParam:
        IsAssignable(Type::Dyn(), target);
        result = Type::Dyn();
        break;
      case TypeKind::kMessage:
      case TypeKind::kDyn:
      case TypeKind::kError:
        result = Type::Dyn();
        break;
      default:
        Report(e, "type '" + TypeName(Substitute(mapping_, target, true)) +
                      "' does not support field selection");
        result = Type::Error();
        break;
    }
    return is_optional ? Type::Optional(std::move(result)) : result;
  }

  void CheckNode(const Expr& e, const Call& call) {
    std::string function = call.function;
    bool member = call.target != nullptr;
    // `math.greatest(...)` parses as a call on target `math`: a qualified global function.
    if (member) {
      if (std::optional<std::string> qualifier = QualifiedName(*call.target)) {
        std::string candidate = *qualifier + "." + call.function;
        if (!candidate.empty() && candidate.front() == '.') candidate.erase(0, 1);
        if (LookupLocal(RootName(*qualifier)) == nullptr && env_.FindFunction(candidate)) {
          function = std::move(candidate);
          member = false;
        }
      }
    }
    if (function == "cel.@block" && !member && call.args.size() == 2 &&
        std::holds_alternative<CreateList>(call.args[0]->kind)) {
      CheckBlock(e, call);
      return;
    }
    if ((function == "optMap" || function == "optFlatMap") && member && call.args.size() == 2 &&
        std::holds_alternative<Ident>(call.args[0]->kind)) {
      CheckOptionalMap(e, call, function == "optFlatMap");
      return;
    }
    std::vector<Type> arg_types;
    if (member) {
      CheckExpr(*call.target);
      arg_types.push_back(GetType(*call.target));
    }
    for (const ExprPtr& arg : call.args) {
      CheckExpr(*arg);
      arg_types.push_back(GetType(*arg));
    }

    if (function == "_?._" && !member && call.args.size() == 2) {
      // Optional field selection `a.?b`: the field name is a string constant.
      SetType(e, FieldSelection(e, Resolved(*call.args[0]), /*force_optional=*/true));
      return;
    }

    const std::vector<FunctionOverload>* overloads = env_.FindFunction(function);
    if (overloads == nullptr) {
      ReportUndeclared(e, function);
      SetType(e, Type::Error());
      return;
    }
    if ((function == "math.greatest" || function == "math.least") && !member &&
        arg_types.size() > 2) {
      SetType(e, CheckVariadicNumeric(e, function, arg_types));
      return;
    }

    std::optional<Type> result;
    Reference ref;
    for (const FunctionOverload& overload : *overloads) {
      if (overload.member != member) continue;
      if (overload.params.size() != arg_types.size()) continue;
      std::vector<std::string> names;
      for (const Type& p : overload.params) CollectParams(p, names);
      CollectParams(overload.result, names);
      std::unordered_map<std::string, Type> fresh;
      for (const std::string& n : names) fresh.emplace(n, NewTypeVar());
      std::vector<Type> params;
      for (const Type& p : overload.params) params.push_back(Rename(p, fresh));
      Type overload_result = Rename(overload.result, fresh);
      if (!IsAssignableList(arg_types, params)) continue;
      ref.overload_ids.push_back(overload.id);
      Type fn_result = Substitute(mapping_, overload_result, false);
      if (!result) {
        result = std::move(fn_result);
      } else if (!result->IsDyn() && !(*result == fn_result)) {
        result = Type::Dyn();
      }
    }
    if (!result) {
      ReportNoMatchingOverload(e, function, arg_types, member);
      SetType(e, Type::Error());
      return;
    }
    if (function != call.function) ref.function = function;
    references_[e.id] = std::move(ref);
    SetType(e, std::move(*result));
  }

  // opt.optMap(v, f) and opt.optFlatMap(v, f): the optional macros, which the parser leaves as
  // calls. `v` is bound to the optional's value type while `f` is checked; optMap wraps f's type
  // in an optional, optFlatMap requires f to be an optional already.
  void CheckOptionalMap(const Expr& e, const Call& call, bool flat) {
    CheckExpr(*call.target);
    Type target = Resolved(*call.target);
    Type value_type = NewTypeVar();
    if (!IsAssignable(Type::Optional(value_type), target)) {
      ReportNoMatchingOverload(e, call.function, {GetType(*call.target), Type::Dyn(), Type::Dyn()},
                               /*member=*/true);
      value_type = Type::Error();
    }
    const std::string& var = std::get<Ident>(call.args[0]->kind).name;
    scopes_.push_back({{var, value_type}});
    CheckExpr(*call.args[0]);
    CheckExpr(*call.args[1]);
    scopes_.pop_back();
    Type body = GetType(*call.args[1]);
    if (!flat) {
      SetType(e, Type::Optional(body));
      return;
    }
    Type result = NewTypeVar();
    if (!IsAssignable(Type::Optional(result), body)) {
      ReportMismatch(*call.args[1], Type::Optional(Type::Dyn()), body);
      result = Type::Error();
    }
    SetType(e, Type::Optional(result));
  }

  // cel.@block([b0, b1, ...], result): binding i is visible as @index<i> to later bindings and
  // to the result.
  void CheckBlock(const Expr& e, const Call& call) {
    const Expr& bindings = *call.args[0];
    const auto& list = std::get<CreateList>(bindings.kind);
    scopes_.emplace_back();
    for (size_t i = 0; i < list.elements.size(); ++i) {
      CheckExpr(*list.elements[i]);
      scopes_.back()["@index" + std::to_string(i)] = GetType(*list.elements[i]);
    }
    SetType(bindings, Type::List(Type::Dyn()));
    CheckExpr(*call.args[1]);
    scopes_.pop_back();
    SetType(e, GetType(*call.args[1]));
  }

  void ReportNoMatchingOverload(const Expr& e, const std::string& function,
                                const std::vector<Type>& arg_types, bool member) {
    std::string signature;
    size_t first = 0;
    if (member && !arg_types.empty()) {
      signature = TypeName(Substitute(mapping_, arg_types[0], true)) + ".";
      first = 1;
    }
    signature += '(';
    for (size_t i = first; i < arg_types.size(); ++i) {
      if (i > first) signature += ", ";
      signature += TypeName(Substitute(mapping_, arg_types[i], true));
    }
    signature += ')';
    Report(e, "found no matching overload for '" + function + "' applied to '" + signature + "'");
  }

  // math.greatest / math.least with three or more numeric arguments.
  Type CheckVariadicNumeric(const Expr& e, const std::string& function,
                            const std::vector<Type>& arg_types) {
    std::optional<Type> common;
    for (const Type& raw : arg_types) {
      Type t = Substitute(mapping_, raw, false);
      if (!IsNumericOrDyn(t)) {
        ReportNoMatchingOverload(e, function, arg_types, false);
        return Type::Error();
      }
      if (!common) {
        common = t;
      } else if (!(*common == t)) {
        common = Type::Dyn();
      }
    }
    references_[e.id].overload_ids.push_back(function + "_variadic");
    return common->kind() == TypeKind::kParam ? Type::Dyn() : *common;
  }

  // cel-go's joinTypes: the element type of an aggregate literal so far.
  Type JoinTypes(const Expr& e, const std::optional<Type>& previous, const Type& current) {
    if (!previous) return current;
    if (IsAssignable(*previous, current)) return MostGeneral(*previous, current);
    if (!options_.homogeneous_aggregate_literals) return Type::Dyn();
    ReportMismatch(e, *previous, current);
    return Type::Error();
  }

  // The type of an element written with `?`: it must be an optional, whose value type counts.
  Type UnwrapOptionalElement(const Expr& e, const Type& t) {
    Type resolved = Substitute(mapping_, t, false);
    if (resolved.kind() == TypeKind::kOptional) return resolved.elem();
    Type var = NewTypeVar();
    if (IsAssignable(Type::Optional(var), resolved)) return var;
    ReportMismatch(e, Type::Optional(Type::Dyn()), resolved);
    return Type::Error();
  }

  void CheckNode(const Expr& e, const CreateList& list) {
    std::optional<Type> elem;
    for (size_t i = 0; i < list.elements.size(); ++i) {
      const Expr& element = *list.elements[i];
      CheckExpr(element);
      Type t = GetType(element);
      if (std::find(list.optional_indices.begin(), list.optional_indices.end(),
                    static_cast<int32_t>(i)) != list.optional_indices.end()) {
        t = UnwrapOptionalElement(element, t);
      }
      elem = JoinTypes(element, elem, t);
    }
    SetType(e, Type::List(elem ? *elem : NewTypeVar()));
  }

  void CheckNode(const Expr& e, const CreateStruct& create) {
    if (!create.message_name.empty()) {
      for (const CreateStruct::Entry& entry : create.entries) {
        if (entry.value) CheckExpr(*entry.value);
      }
      ReportUndeclared(e, create.message_name);
      SetType(e, Type::Error());
      return;
    }
    std::optional<Type> key_type;
    std::optional<Type> value_type;
    for (const CreateStruct::Entry& entry : create.entries) {
      if (entry.key == nullptr || entry.value == nullptr) continue;
      CheckExpr(*entry.key);
      key_type = JoinTypes(*entry.key, key_type, GetType(*entry.key));
      CheckExpr(*entry.value);
      Type v = GetType(*entry.value);
      if (entry.optional) v = UnwrapOptionalElement(*entry.value, v);
      value_type = JoinTypes(*entry.value, value_type, v);
    }
    SetType(
        e, Type::Map(key_type ? *key_type : NewTypeVar(), value_type ? *value_type : NewTypeVar()));
  }

  void CheckNode(const Expr& e, const Comprehension& comp) {
    CheckExpr(*comp.iter_range);
    CheckExpr(*comp.accu_init);
    Type accu_type = GetType(*comp.accu_init);
    Type range_type = Resolved(*comp.iter_range);
    bool two_vars = !comp.iter_var2.empty();
    Type var_type;
    Type var2_type;
    switch (range_type.kind()) {
      case TypeKind::kList:
        var_type = range_type.elem();
        if (two_vars) {
          var2_type = var_type;
          var_type = Type::Int();
        }
        break;
      case TypeKind::kMap:
        var_type = range_type.params()[0];
        if (two_vars) var2_type = range_type.params()[1];
        break;
      case TypeKind::kDyn:
      case TypeKind::kError:
      case TypeKind::kParam:
        IsAssignable(Type::Dyn(), range_type);
        var_type = Type::Dyn();
        var2_type = Type::Dyn();
        break;
      default:
        Report(*comp.iter_range, "expression of type '" +
                                     TypeName(Substitute(mapping_, range_type, true)) +
                                     "' cannot be range of a comprehension (must be list, map, "
                                     "or dynamic)");
        var_type = Type::Error();
        var2_type = Type::Error();
        break;
    }
    scopes_.push_back({{comp.accu_var, accu_type}});
    scopes_.push_back({{comp.iter_var, var_type}});
    if (two_vars) scopes_.back()[comp.iter_var2] = var2_type;
    CheckExpr(*comp.loop_condition);
    AssertType(*comp.loop_condition, Type::Bool());
    CheckExpr(*comp.loop_step);
    AssertType(*comp.loop_step, accu_type);
    scopes_.pop_back();
    CheckExpr(*comp.result);
    scopes_.pop_back();
    SetType(e, Resolved(*comp.result));
  }

  void AssertType(const Expr& e, const Type& expected) {
    Type actual = GetType(e);
    if (!IsAssignable(expected, actual)) ReportMismatch(e, expected, actual);
  }

  const Ast& ast_;
  const TypeEnvironment& env_;
  const CheckOptions& options_;
  Mapping mapping_;
  std::unordered_map<int64_t, Type> types_;
  std::unordered_map<int64_t, Reference> references_;
  std::vector<std::unordered_map<std::string, Type>> scopes_;
  std::vector<CheckError> errors_;
  int next_var_ = 0;
};

}  // namespace

Result<CheckedAst> Check(const Ast& ast, const TypeEnvironment& env, const CheckOptions& options) {
  return Checker(ast, env, options).Run();
}

}  // namespace govflow::expr
