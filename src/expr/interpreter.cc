#include "expr/interpreter.h"

#include <cassert>
#include <optional>
#include <utility>

#include <re2/re2.h>

#include "expr/program.h"

namespace govflow::expr {

// --- Registry.

void FunctionRegistry::Add(std::string_view name, std::initializer_list<uint8_t> kinds,
                           FunctionImpl impl) {
  Overload o;
  o.arity = static_cast<int>(kinds.size());
  assert(o.arity <= kMaxFixedArity);
  o.all_any = true;
  size_t i = 0;
  for (uint8_t k : kinds) {
    o.arg_kinds[i++] = k;
    if (k != kAnyKind) o.all_any = false;
  }
  o.impl = impl;
  by_name_[std::string(name)].push_back(std::move(o));
}

void FunctionRegistry::AddVariadic(std::string_view name, FunctionImpl impl) {
  Overload o;
  o.arity = -1;
  o.impl = impl;
  by_name_[std::string(name)].push_back(std::move(o));
}

std::vector<const Overload*> FunctionRegistry::Find(std::string_view name, int arity) const {
  std::vector<const Overload*> out;
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return out;
  for (const Overload& o : it->second) {
    if (o.arity == arity || o.arity < 0) out.push_back(&o);
  }
  return out;
}

const FunctionRegistry& StandardFunctions() {
  static const FunctionRegistry* registry = [] {
    auto* r = new FunctionRegistry();
    RegisterCoreFunctions(*r);
    RegisterTimeFunctions(*r);
    RegisterStringsExtension(*r);
    RegisterMathExtension(*r);
    return r;
  }();
  return *registry;
}

std::string_view TypeNameForMessage(const Value& v) { return KindName(v.kind()); }

Value NoSuchOverload(EvalContext& ctx, std::string_view name, const Value* args, int nargs) {
  std::string msg = "no such overload: ";
  msg += name;
  msg += "(";
  for (int i = 0; i < nargs; ++i) {
    if (i) msg += ", ";
    msg += TypeNameForMessage(args[i]);
  }
  msg += ")";
  return ctx.Error(msg);
}

Value MakeRegexMatch(EvalContext& ctx, std::string_view text, std::string_view pattern) {
  RE2 re(re2::StringPiece(pattern.data(), pattern.size()), RE2::Quiet);
  if (!re.ok()) return ctx.Error("invalid regular expression: " + re.error());
  return Value::Bool(RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), re));
}

namespace {

using NodePtr = std::unique_ptr<PlanNode>;

bool IsValidMapKey(const Value& k) {
  switch (k.kind()) {
    case ValueKind::kBool:
    case ValueKind::kInt:
    case ValueKind::kUint:
    case ValueKind::kString: return true;
    default: return false;
  }
}

// --- Nodes.

class ConstNode : public PlanNode {
 public:
  explicit ConstNode(Value v) : value_(std::move(v)) {}
  Value Eval(EvalContext&) const override { return value_.Borrow(); }
  const Value* constant() const override { return &value_; }

 private:
  Value value_;
};

Value Undeclared(EvalContext& ctx, std::string_view name) {
  return ctx.Error("undeclared reference to '" + std::string(name) + "' (in container '')");
}

class IdentNode : public PlanNode {
  // (hash_ is declared after name_: it is computed from it.)
 public:
  explicit IdentNode(std::string name)
      : name_(std::move(name)), hash_(Activation::HashName(name_)) {}
  Value Eval(EvalContext& ctx) const override {
    const Value* v = ctx.activation->Find(name_, hash_);
    if (v == nullptr) return Undeclared(ctx, name_);
    return v->Borrow();
  }

 private:
  std::string name_;
  uint64_t hash_;
};

class LocalNode : public PlanNode {
 public:
  explicit LocalNode(int slot) : slot_(slot) {}
  Value Eval(EvalContext& ctx) const override { return ctx.slots[slot_]; }

 private:
  int slot_;
};

Value SelectField(EvalContext& ctx, const Value& v, std::string_view field, bool test_only) {
  switch (v.kind()) {
    case ValueKind::kError: return v;
    case ValueKind::kMap: {
      Value out;
      bool found = value_internal::BorrowMapFindString(v, field, &out);
      if (test_only) return Value::Bool(found);
      if (!found) return ctx.Error("no such key: '" + std::string(field) + "'");
      return out;
    }
    case ValueKind::kOptional: {
      if (!v.optional_has_value()) return test_only ? Value::Bool(false) : v;
      Value inner = static_cast<const value_internal::OptionalRep*>(v.raw_pointer())->value;
      if (inner.kind() != ValueKind::kMap) {
        return ctx.Error("type '" + std::string(TypeNameForMessage(inner)) +
                         "' does not support field selection");
      }
      Value out;
      bool found = value_internal::BorrowMapFindString(inner, field, &out);
      if (test_only) return Value::Bool(found);
      if (!found) return Value::OptionalNone();
      return ctx.arena->NewOptional(out);
    }
    default:
      return ctx.Error("type '" + std::string(TypeNameForMessage(v)) +
                       "' does not support field selection");
  }
}

class SelectNode : public PlanNode {
 public:
  SelectNode(NodePtr operand, std::string field, bool test_only)
      : operand_(std::move(operand)), field_(std::move(field)), test_only_(test_only) {}
  Value Eval(EvalContext& ctx) const override {
    return SelectField(ctx, operand_->Eval(ctx), field_, test_only_);
  }

 private:
  NodePtr operand_;
  std::string field_;
  bool test_only_;
};

// a.b.c where `a` is not a local: the longest bound prefix ("a.b.c", "a.b", "a") wins.
class QualifiedIdentNode : public PlanNode {
 public:
  QualifiedIdentNode(std::vector<std::string> parts, bool test_only)
      : parts_(std::move(parts)), test_only_(test_only) {
    std::string name;
    for (const std::string& p : parts_) {
      if (!name.empty()) name += ".";
      name += p;
      prefixes_.push_back(name);
      hashes_.push_back(Activation::HashName(name));
    }
    root_hash_ = Activation::HashName(parts_[0]);
  }
  Value Eval(EvalContext& ctx) const override {
    size_t n = parts_.size();
    size_t used = 1;
    const Value* root = nullptr;
    if (ctx.activation->has_qualified_names()) {
      for (size_t k = n; k >= 2; --k) {
        // A has() test on the full name never resolves to the full name itself.
        if (test_only_ && k == n) continue;
        root = ctx.activation->Find(prefixes_[k - 1], hashes_[k - 1]);
        if (root != nullptr) {
          used = k;
          break;
        }
      }
    }
    if (root == nullptr) root = ctx.activation->Find(parts_[0], root_hash_);
    if (root == nullptr) return Undeclared(ctx, prefixes_.back());
    Value v = root->Borrow();
    for (size_t i = used; i < n; ++i) {
      v = SelectField(ctx, v, parts_[i], test_only_ && i == n - 1);
    }
    return v;
  }

 private:
  std::vector<std::string> parts_;
  std::vector<std::string> prefixes_;
  std::vector<uint64_t> hashes_;
  uint64_t root_hash_ = 0;
  bool test_only_;
};

class CallNode : public PlanNode {
 public:
  CallNode(std::string name, std::vector<NodePtr> args, std::vector<const Overload*> overloads)
      : name_(std::move(name)), args_(std::move(args)), overloads_(std::move(overloads)) {}

  Value Eval(EvalContext& ctx) const override {
    constexpr int kInline = 8;
    int n = static_cast<int>(args_.size());
    Value inline_args[kInline];
    Value* vals = inline_args;
    if (n > kInline) {
      vals = static_cast<Value*>(ctx.arena->Allocate(sizeof(Value) * static_cast<size_t>(n),
                                                      alignof(Value)));
      for (int i = 0; i < n; ++i) new (&vals[i]) Value();
    }
    for (int i = 0; i < n; ++i) {
      vals[i] = args_[static_cast<size_t>(i)]->Eval(ctx);
      if (vals[i].is_error()) return vals[i];
    }
    return Dispatch(ctx, name_, overloads_, vals, n);
  }

  static Value Dispatch(EvalContext& ctx, const std::string& name,
                        const std::vector<const Overload*>& overloads, const Value* vals, int n) {
    if (!ctx.Charge()) return ctx.Error(kCostBudgetExceeded);
    for (const Overload* o : overloads) {
      if (o->Matches(vals, n)) return o->impl(ctx, vals, n);
    }
    return NoSuchOverload(ctx, name, vals, n);
  }

 private:
  std::string name_;
  std::vector<NodePtr> args_;
  std::vector<const Overload*> overloads_;
};

// Calls with one to three arguments: no argument array on the heap or loop over it.
template <int N>
class FixedCallNode : public PlanNode {
 public:
  FixedCallNode(std::string name, std::vector<NodePtr> args,
                std::vector<const Overload*> overloads)
      : name_(std::move(name)), overloads_(std::move(overloads)) {
    for (int i = 0; i < N; ++i) args_[static_cast<size_t>(i)] = std::move(args[static_cast<size_t>(i)]);
    if (overloads_.size() == 1) single_ = overloads_[0];
  }

  Value Eval(EvalContext& ctx) const override {
    Value vals[N];
    for (int i = 0; i < N; ++i) {
      vals[i] = args_[static_cast<size_t>(i)]->Eval(ctx);
      if (vals[i].is_error()) return vals[i];
    }
    if (single_ != nullptr) {
      if (!ctx.Charge()) return ctx.Error(kCostBudgetExceeded);
      if (single_->Matches(vals, N)) return single_->impl(ctx, vals, N);
      return NoSuchOverload(ctx, name_, vals, N);
    }
    return CallNode::Dispatch(ctx, name_, overloads_, vals, N);
  }

 private:
  std::string name_;
  std::array<NodePtr, N> args_;
  std::vector<const Overload*> overloads_;
  const Overload* single_ = nullptr;
};

class UnboundFunctionNode : public PlanNode {
 public:
  UnboundFunctionNode(std::string name, std::vector<NodePtr> args)
      : name_(std::move(name)), args_(std::move(args)) {}
  Value Eval(EvalContext& ctx) const override {
    for (const NodePtr& a : args_) {
      Value v = a->Eval(ctx);
      if (v.is_error()) return v;
    }
    return ctx.Error("unbound function: " + name_);
  }

 private:
  std::string name_;
  std::vector<NodePtr> args_;
};

Value LogicOverloadError(EvalContext& ctx, std::string_view op, const Value& a, const Value& b) {
  Value args[2] = {a.Borrow(), b.Borrow()};
  return NoSuchOverload(ctx, op, args, 2);
}

class AndNode : public PlanNode {
 public:
  AndNode(NodePtr l, NodePtr r) : l_(std::move(l)), r_(std::move(r)) {}
  Value Eval(EvalContext& ctx) const override {
    Value a = l_->Eval(ctx);
    if (a.IsBool() && !a.bool_value()) return a;
    Value b = r_->Eval(ctx);
    if (b.IsBool() && !b.bool_value()) return b;
    if (a.IsBool() && b.IsBool()) return Value::Bool(true);
    if (a.is_error()) return a;
    if (b.is_error()) return b;
    return LogicOverloadError(ctx, "_&&_", a, b);
  }

 private:
  NodePtr l_, r_;
};

class OrNode : public PlanNode {
 public:
  OrNode(NodePtr l, NodePtr r) : l_(std::move(l)), r_(std::move(r)) {}
  Value Eval(EvalContext& ctx) const override {
    Value a = l_->Eval(ctx);
    if (a.IsBool() && a.bool_value()) return a;
    Value b = r_->Eval(ctx);
    if (b.IsBool() && b.bool_value()) return b;
    if (a.IsBool() && b.IsBool()) return Value::Bool(false);
    if (a.is_error()) return a;
    if (b.is_error()) return b;
    return LogicOverloadError(ctx, "_||_", a, b);
  }

 private:
  NodePtr l_, r_;
};

class TernaryNode : public PlanNode {
 public:
  TernaryNode(NodePtr c, NodePtr t, NodePtr f)
      : c_(std::move(c)), t_(std::move(t)), f_(std::move(f)) {}
  Value Eval(EvalContext& ctx) const override {
    Value c = c_->Eval(ctx);
    if (c.IsBool()) return c.bool_value() ? t_->Eval(ctx) : f_->Eval(ctx);
    if (c.is_error()) return c;
    return NoSuchOverload(ctx, "_?_:_", &c, 1);
  }

 private:
  NodePtr c_, t_, f_;
};

class NotStrictlyFalseNode : public PlanNode {
 public:
  explicit NotStrictlyFalseNode(NodePtr a) : a_(std::move(a)) {}
  Value Eval(EvalContext& ctx) const override {
    Value v = a_->Eval(ctx);
    return Value::Bool(!(v.IsBool() && !v.bool_value()));
  }

 private:
  NodePtr a_;
};

class CreateListNode : public PlanNode {
 public:
  CreateListNode(std::vector<NodePtr> elems, std::vector<bool> optional)
      : elems_(std::move(elems)), optional_(std::move(optional)) {}
  Value Eval(EvalContext& ctx) const override {
    Value list = ctx.arena->NewList(elems_.size());
    Value* out = Arena::MutableElements(list);
    size_t n = 0;
    for (size_t i = 0; i < elems_.size(); ++i) {
      Value v = elems_[i]->Eval(ctx);
      if (v.is_error()) return v;
      if (optional_[i]) {
        if (v.kind() != ValueKind::kOptional) return NoSuchOverload(ctx, "optional list element", &v, 1);
        if (!v.optional_has_value()) continue;
        v = static_cast<const value_internal::OptionalRep*>(v.raw_pointer())->value.Borrow();
      }
      out[n++] = v;
    }
    if (n != elems_.size()) Arena::TruncateList(list, n);
    return list;
  }

 private:
  std::vector<NodePtr> elems_;
  std::vector<bool> optional_;
};

class CreateMapNode : public PlanNode {
 public:
  struct Entry {
    NodePtr key;
    NodePtr value;
    bool optional = false;
  };
  // keys_known_unique: every key is a distinct valid constant, so no per-insert checks.
  CreateMapNode(std::vector<Entry> entries, bool keys_known_unique)
      : entries_(std::move(entries)), keys_known_unique_(keys_known_unique) {}
  Value Eval(EvalContext& ctx) const override {
    Value map = ctx.arena->NewMap(entries_.size());
    if (keys_known_unique_) {
      for (const Entry& e : entries_) {
        Value v = e.value->Eval(ctx);
        if (v.is_error()) return v;
        if (e.optional) {
          if (v.kind() != ValueKind::kOptional) {
            return NoSuchOverload(ctx, "optional map entry", &v, 1);
          }
          if (!v.optional_has_value()) continue;
          v = static_cast<const value_internal::OptionalRep*>(v.raw_pointer())->value.Borrow();
        }
        Arena::MapAppendUnchecked(map, *e.key->constant(), v);
      }
      return map;
    }
    for (const Entry& e : entries_) {
      Value k = e.key->Eval(ctx);
      if (k.is_error()) return k;
      Value v = e.value->Eval(ctx);
      if (v.is_error()) return v;
      if (!IsValidMapKey(k)) {
        return ctx.Error("unsupported key type: " + std::string(TypeNameForMessage(k)));
      }
      if (e.optional) {
        if (v.kind() != ValueKind::kOptional) return NoSuchOverload(ctx, "optional map entry", &v, 1);
        if (!v.optional_has_value()) continue;
        v = static_cast<const value_internal::OptionalRep*>(v.raw_pointer())->value.Borrow();
      }
      if (!Arena::MapInsert(map, k, v)) {
        return ctx.Error("Failed with repeated key: " + k.DebugString());
      }
    }
    return map;
  }

 private:
  std::vector<Entry> entries_;
  bool keys_known_unique_;
};

// The macro loop. In "append" mode (map/filter/transformList expansions, recognised at plan
// time) the accumulator list grows in place instead of being rebuilt every iteration.
class ComprehensionNode : public PlanNode {
 public:
  struct Spec {
    int iter_slot = -1;
    int iter2_slot = -1;
    int accu_slot = -1;
    NodePtr range, init, cond, step, result;
    // Append mode: step is [filter ?] accu + [element].
    bool append = false;
    NodePtr append_filter;  // may be null
    NodePtr append_element;
  };
  explicit ComprehensionNode(Spec spec) : s_(std::move(spec)) {}

  Value Eval(EvalContext& ctx) const override {
    Value range = s_.range->Eval(ctx);
    if (range.is_error()) return range;
    bool is_list = range.kind() == ValueKind::kList;
    if (!is_list && range.kind() != ValueKind::kMap) {
      return ctx.Error("expression of type '" + std::string(TypeNameForMessage(range)) +
                       "' cannot be range of a comprehension (must be list, map, or dynamic)");
    }
    size_t n = range.size();
    if (s_.append) return EvalAppend(ctx, range, is_list, n);
    ctx.slots[s_.accu_slot] = s_.init->Eval(ctx);
    for (size_t i = 0; i < n; ++i) {
      if (!ctx.Charge()) return ctx.Error(kCostBudgetExceeded);
      BindIteration(ctx, range, is_list, i);
      Value c = s_.cond->Eval(ctx);
      if (c.IsBool() && !c.bool_value()) break;
      ctx.slots[s_.accu_slot] = s_.step->Eval(ctx);
    }
    return s_.result->Eval(ctx);
  }

 private:
  void BindIteration(EvalContext& ctx, const Value& range, bool is_list, size_t i) const {
    if (is_list) {
      if (s_.iter2_slot >= 0) {
        ctx.slots[s_.iter_slot] = Value::Int(static_cast<int64_t>(i));
        ctx.slots[s_.iter2_slot] = value_internal::BorrowListElement(range, i);
      } else {
        ctx.slots[s_.iter_slot] = value_internal::BorrowListElement(range, i);
      }
    } else {
      ctx.slots[s_.iter_slot] = value_internal::BorrowMapKeyAt(range, i);
      if (s_.iter2_slot >= 0) ctx.slots[s_.iter2_slot] = value_internal::BorrowMapValueAt(range, i);
    }
  }

  Value EvalAppend(EvalContext& ctx, const Value& range, bool is_list, size_t n) const {
    Value out = ctx.arena->NewList(n);
    Value* elems = Arena::MutableElements(out);
    size_t count = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!ctx.Charge()) return ctx.Error(kCostBudgetExceeded);
      BindIteration(ctx, range, is_list, i);
      if (s_.append_filter != nullptr) {
        Value f = s_.append_filter->Eval(ctx);
        if (f.is_error()) return f;
        if (!f.IsBool()) return NoSuchOverload(ctx, "_?_:_", &f, 1);
        if (!f.bool_value()) continue;
      }
      Value e = s_.append_element->Eval(ctx);
      if (e.is_error()) return e;
      elems[count++] = e;
    }
    Arena::TruncateList(out, count);
    ctx.slots[s_.accu_slot] = out;
    return s_.result->Eval(ctx);
  }

  Spec s_;
};

// cel.bind(var, init, body).
class BindNode : public PlanNode {
 public:
  BindNode(int slot, NodePtr init, NodePtr body)
      : slot_(slot), init_(std::move(init)), body_(std::move(body)) {}
  Value Eval(EvalContext& ctx) const override {
    ctx.slots[slot_] = init_->Eval(ctx);
    return body_->Eval(ctx);
  }

 private:
  int slot_;
  NodePtr init_, body_;
};

// opt.optMap(x, body) / opt.optFlatMap(x, body).
class OptMapNode : public PlanNode {
 public:
  OptMapNode(NodePtr target, int slot, NodePtr body, bool flat)
      : target_(std::move(target)), slot_(slot), body_(std::move(body)), flat_(flat) {}
  Value Eval(EvalContext& ctx) const override {
    Value t = target_->Eval(ctx);
    if (t.is_error()) return t;
    if (t.kind() != ValueKind::kOptional) {
      return NoSuchOverload(ctx, flat_ ? "optFlatMap" : "optMap", &t, 1);
    }
    if (!t.optional_has_value()) return t;
    ctx.slots[slot_] = static_cast<const value_internal::OptionalRep*>(t.raw_pointer())->value.Borrow();
    Value r = body_->Eval(ctx);
    if (r.is_error()) return r;
    if (flat_) {
      if (r.kind() != ValueKind::kOptional) return NoSuchOverload(ctx, "optFlatMap", &r, 1);
      return r;
    }
    return ctx.arena->NewOptional(r);
  }

 private:
  NodePtr target_;
  int slot_;
  NodePtr body_;
  bool flat_;
};

// s.matches('literal'): the regex is compiled once, at plan time.
class MatchesConstNode : public PlanNode {
 public:
  MatchesConstNode(NodePtr target, const std::string& pattern)
      : target_(std::move(target)), re_(std::make_unique<RE2>(pattern, RE2::Quiet)) {}
  Value Eval(EvalContext& ctx) const override {
    Value s = target_->Eval(ctx);
    if (s.is_error()) return s;
    if (!ctx.Charge()) return ctx.Error(kCostBudgetExceeded);
    if (s.kind() != ValueKind::kString) {
      Value args[2] = {s, Value::StringView(re_->pattern())};
      return NoSuchOverload(ctx, "matches", args, 2);
    }
    if (!re_->ok()) return ctx.Error("invalid regular expression: " + re_->error());
    std::string_view sv = s.string_value();
    return Value::Bool(RE2::PartialMatch(re2::StringPiece(sv.data(), sv.size()), *re_));
  }

 private:
  NodePtr target_;
  std::unique_ptr<RE2> re_;
};

// _==_ and _!=_: no overload dispatch; strings and same-kind scalars compare inline.
class EqualityNode : public PlanNode {
 public:
  EqualityNode(NodePtr l, NodePtr r, bool negate)
      : l_(std::move(l)), r_(std::move(r)), negate_(negate) {}
  Value Eval(EvalContext& ctx) const override {
    Value a = l_->Eval(ctx);
    if (a.is_error()) return a;
    Value b = r_->Eval(ctx);
    if (b.is_error()) return b;
    if (!ctx.Charge()) return ctx.Error(kCostBudgetExceeded);
    bool eq;
    if (a.kind() == ValueKind::kString && b.kind() == ValueKind::kString) {
      eq = a.string_value() == b.string_value();
    } else {
      eq = ValuesEqual(a, b);
    }
    return Value::Bool(eq != negate_);
  }

 private:
  NodePtr l_, r_;
  bool negate_;
};

// x == 'literal' / x != 'literal'.
class EqualsStringConstNode : public PlanNode {
 public:
  EqualsStringConstNode(NodePtr l, NodePtr constant, bool negate)
      : l_(std::move(l)), constant_(std::move(constant)), negate_(negate) {
    literal_ = constant_->constant()->string_value();
  }
  Value Eval(EvalContext& ctx) const override {
    Value a = l_->Eval(ctx);
    if (a.is_error()) return a;
    if (!ctx.Charge()) return ctx.Error(kCostBudgetExceeded);
    // A non-string is never equal to a string.
    bool eq = a.kind() == ValueKind::kString && a.string_value() == literal_;
    return Value::Bool(eq != negate_);
  }

 private:
  NodePtr l_;
  NodePtr constant_;  // owns the literal's storage
  std::string_view literal_;
  bool negate_;
};

// _<_ _<=_ _>_ _>=_ (kOp 0..3).
template <int kOp>
class RelationNode : public PlanNode {
 public:
  RelationNode(NodePtr l, NodePtr r) : l_(std::move(l)), r_(std::move(r)) {}
  Value Eval(EvalContext& ctx) const override {
    Value a = l_->Eval(ctx);
    if (a.is_error()) return a;
    Value b = r_->Eval(ctx);
    if (b.is_error()) return b;
    if (!ctx.Charge()) return ctx.Error(kCostBudgetExceeded);
    int c;
    if (a.kind() == ValueKind::kDouble && b.kind() == ValueKind::kDouble) {
      double x = a.double_value(), y = b.double_value();
      if (x != x || y != y) return Value::Bool(false);
      c = x < y ? -1 : (x > y ? 1 : 0);
    } else if (a.kind() == ValueKind::kInt && b.kind() == ValueKind::kInt) {
      c = a.int_value() < b.int_value() ? -1 : (a.int_value() > b.int_value() ? 1 : 0);
    } else {
      std::optional<int> r = CompareValues(a, b);
      if (!r) {
        static constexpr const char* kNames[] = {"_<_", "_<=_", "_>_", "_>=_"};
        Value args[2] = {a, b};
        return NoSuchOverload(ctx, kNames[kOp], args, 2);
      }
      if (*r == 2) return Value::Bool(false);
      c = *r;
    }
    switch (kOp) {
      case 0: return Value::Bool(c < 0);
      case 1: return Value::Bool(c <= 0);
      case 2: return Value::Bool(c > 0);
      default: return Value::Bool(c >= 0);
    }
  }

 private:
  NodePtr l_, r_;
};

// The all()/exists() expansions run as a direct loop with the expansion's exact semantics:
// the first decisive boolean wins; otherwise the first error (or non-bool) is the result.
class QuantifierNode : public PlanNode {
 public:
  QuantifierNode(bool exists, NodePtr range, int iter_slot, int iter2_slot, NodePtr predicate)
      : exists_(exists),
        range_(std::move(range)),
        iter_slot_(iter_slot),
        iter2_slot_(iter2_slot),
        predicate_(std::move(predicate)) {}

  Value Eval(EvalContext& ctx) const override {
    Value range = range_->Eval(ctx);
    if (range.is_error()) return range;
    bool is_list = range.kind() == ValueKind::kList;
    if (!is_list && range.kind() != ValueKind::kMap) {
      return ctx.Error("expression of type '" + std::string(TypeNameForMessage(range)) +
                       "' cannot be range of a comprehension (must be list, map, or dynamic)");
    }
    size_t n = range.size();
    Value first_error;
    bool have_error = false;
    for (size_t i = 0; i < n; ++i) {
      if (!ctx.Charge()) return ctx.Error(kCostBudgetExceeded);
      if (is_list) {
        if (iter2_slot_ >= 0) {
          ctx.slots[iter_slot_] = Value::Int(static_cast<int64_t>(i));
          ctx.slots[iter2_slot_] = value_internal::BorrowListElement(range, i);
        } else {
          ctx.slots[iter_slot_] = value_internal::BorrowListElement(range, i);
        }
      } else {
        ctx.slots[iter_slot_] = value_internal::BorrowMapKeyAt(range, i);
        if (iter2_slot_ >= 0) ctx.slots[iter2_slot_] = value_internal::BorrowMapValueAt(range, i);
      }
      Value v = predicate_->Eval(ctx);
      if (v.IsBool()) {
        if (v.bool_value() == exists_) return v;
        continue;
      }
      if (!have_error) {
        have_error = true;
        if (v.is_error()) {
          first_error = v;
        } else {
          Value args[2] = {Value::Bool(!exists_), v};
          first_error = NoSuchOverload(ctx, exists_ ? "_||_" : "_&&_", args, 2);
        }
      }
    }
    if (have_error) return first_error;
    return Value::Bool(!exists_);
  }

 private:
  bool exists_;
  NodePtr range_;
  int iter_slot_;
  int iter2_slot_;
  NodePtr predicate_;
};

// cel.@block([b0, b1, ...], result): each binding is evaluated in order into its slot
// (@index0, @index1, ...), then the result.
class BlockNode : public PlanNode {
 public:
  BlockNode(std::vector<int> slots, std::vector<NodePtr> bindings, NodePtr result)
      : slots_(std::move(slots)), bindings_(std::move(bindings)), result_(std::move(result)) {}
  Value Eval(EvalContext& ctx) const override {
    for (size_t i = 0; i < bindings_.size(); ++i) ctx.slots[slots_[i]] = bindings_[i]->Eval(ctx);
    return result_->Eval(ctx);
  }

 private:
  std::vector<int> slots_;
  std::vector<NodePtr> bindings_;
  NodePtr result_;
};

// --- Planner.

bool IsBuiltinTypeName(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type",
      "optional_type", "google.protobuf.Timestamp", "google.protobuf.Duration"};
  for (std::string_view n : kNames) {
    if (n == name) return true;
  }
  return false;
}

class Planner {
 public:
  explicit Planner(const FunctionRegistry& functions) : functions_(functions) {}

  int slot_count() const { return slot_count_; }

  Result<NodePtr> PlanExpr(const Expr& e) {
    return std::visit([&](const auto& k) { return PlanKind(e, k); }, e.kind);
  }

 private:
  int NewSlot() { return slot_count_++; }

  std::optional<int> LookupLocal(std::string_view name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    return std::nullopt;
  }

  // "a.b.c" for an Ident/Select chain whose root is not a local; nullopt otherwise.
  std::optional<std::string> QualifiedName(const Expr& e) const {
    if (const auto* id = std::get_if<Ident>(&e.kind)) {
      if (LookupLocal(id->name)) return std::nullopt;
      return id->name;
    }
    if (const auto* sel = std::get_if<Select>(&e.kind)) {
      if (sel->test_only) return std::nullopt;
      auto base = QualifiedName(*sel->operand);
      if (!base) return std::nullopt;
      return *base + "." + sel->field;
    }
    return std::nullopt;
  }

  Result<NodePtr> PlanKind(const Expr&, const Constant& c) {
    switch (c.kind) {
      case Constant::Kind::kNull: return MakeConst(Value::Null());
      case Constant::Kind::kBool: return MakeConst(Value::Bool(c.bool_value));
      case Constant::Kind::kInt: return MakeConst(Value::Int(c.int_value));
      case Constant::Kind::kUint: return MakeConst(Value::Uint(c.uint_value));
      case Constant::Kind::kDouble: return MakeConst(Value::Double(c.double_value));
      case Constant::Kind::kString: return MakeConst(Value::String(c.string_value));
      case Constant::Kind::kBytes: return MakeConst(Value::Bytes(c.string_value));
    }
    return MakeConst(Value::Null());
  }

  static NodePtr MakeConst(Value v) { return std::make_unique<ConstNode>(std::move(v)); }

  Result<NodePtr> PlanKind(const Expr&, const Ident& id) {
    if (auto slot = LookupLocal(id.name)) return NodePtr(std::make_unique<LocalNode>(*slot));
    std::string_view name = id.name;
    if (!name.empty() && name[0] == '.') name.remove_prefix(1);
    if (IsBuiltinTypeName(name)) return MakeConst(Value::Type(name));
    return NodePtr(std::make_unique<IdentNode>(std::string(name)));
  }

  Result<NodePtr> PlanKind(const Expr&, const Select& sel) {
    // A chain of selects on a non-local identifier: qualified-name resolution.
    std::vector<std::string> parts;
    const Expr* cur = sel.operand.get();
    parts.push_back(sel.field);
    while (true) {
      if (const auto* s = std::get_if<Select>(&cur->kind)) {
        if (s->test_only) break;
        parts.push_back(s->field);
        cur = s->operand.get();
        continue;
      }
      if (const auto* id = std::get_if<Ident>(&cur->kind)) {
        if (!LookupLocal(id->name)) {
          std::string root = id->name;
          if (!root.empty() && root[0] == '.') root.erase(0, 1);
          parts.push_back(root);
          std::reverse(parts.begin(), parts.end());
          return NodePtr(std::make_unique<QualifiedIdentNode>(std::move(parts), sel.test_only));
        }
      }
      break;
    }
    GOVFLOW_ASSIGN_OR_RETURN(NodePtr operand, PlanExpr(*sel.operand));
    if (const Value* c = operand->constant()) {
      return FoldOrNode(std::make_unique<SelectNode>(std::move(operand), sel.field, sel.test_only),
                        c != nullptr);
    }
    return NodePtr(std::make_unique<SelectNode>(std::move(operand), sel.field, sel.test_only));
  }

  // Evaluates a node whose inputs are all constants once, now, and keeps the result.
  NodePtr FoldOrNode(NodePtr node, bool foldable) {
    if (!foldable) return node;
    alignas(16) char buffer[1024];
    Arena arena(buffer, sizeof buffer);
    Activation empty;
    EvalContext ctx;
    ctx.activation = &empty;
    ctx.arena = &arena;
    ctx.slots = nullptr;
    Value v = node->Eval(ctx);
    return MakeConst(MaterializeValue(v));
  }

  Result<std::vector<NodePtr>> PlanArgs(const std::vector<ExprPtr>& args) {
    std::vector<NodePtr> out;
    out.reserve(args.size());
    for (const ExprPtr& a : args) {
      GOVFLOW_ASSIGN_OR_RETURN(NodePtr n, PlanExpr(*a));
      out.push_back(std::move(n));
    }
    return out;
  }

  static bool AllConstant(const std::vector<NodePtr>& nodes) {
    for (const NodePtr& n : nodes) {
      if (n->constant() == nullptr) return false;
    }
    return true;
  }

  Result<NodePtr> PlanKind(const Expr&, const Call& call) {
    const std::string& fn = call.function;
    if (call.target == nullptr) {
      if (fn == "_&&_" && call.args.size() == 2) {
        GOVFLOW_ASSIGN_OR_RETURN(auto args, PlanArgs(call.args));
        return NodePtr(std::make_unique<AndNode>(std::move(args[0]), std::move(args[1])));
      }
      if (fn == "_||_" && call.args.size() == 2) {
        GOVFLOW_ASSIGN_OR_RETURN(auto args, PlanArgs(call.args));
        return NodePtr(std::make_unique<OrNode>(std::move(args[0]), std::move(args[1])));
      }
      if (fn == "_?_:_" && call.args.size() == 3) {
        GOVFLOW_ASSIGN_OR_RETURN(auto args, PlanArgs(call.args));
        return NodePtr(std::make_unique<TernaryNode>(std::move(args[0]), std::move(args[1]),
                                                     std::move(args[2])));
      }
      if ((fn == "@not_strictly_false" || fn == "__not_strictly_false__") &&
          call.args.size() == 1) {
        GOVFLOW_ASSIGN_OR_RETURN(auto args, PlanArgs(call.args));
        return NodePtr(std::make_unique<NotStrictlyFalseNode>(std::move(args[0])));
      }
      if (fn == "cel.bind" && call.args.size() == 3) return PlanBind(call.args);
      if (fn == "cel.@block" && call.args.size() == 2) return PlanBlock(call.args);
      if (call.args.size() == 2 && (fn == "_==_" || fn == "_!=_" || fn == "_<_" ||
                                    fn == "_<=_" || fn == "_>_" || fn == "_>=_")) {
        GOVFLOW_ASSIGN_OR_RETURN(auto args, PlanArgs(call.args));
        bool foldable = AllConstant(args);
        NodePtr node;
        const Value* rhs = args[1]->constant();
        if ((fn == "_==_" || fn == "_!=_") && rhs != nullptr &&
            rhs->kind() == ValueKind::kString && args[0]->constant() == nullptr) {
          node = std::make_unique<EqualsStringConstNode>(std::move(args[0]), std::move(args[1]),
                                                         fn == "_!=_");
        } else if (fn == "_==_" || fn == "_!=_") {
          node = std::make_unique<EqualityNode>(std::move(args[0]), std::move(args[1]),
                                                fn == "_!=_");
        } else if (fn == "_<_") {
          node = std::make_unique<RelationNode<0>>(std::move(args[0]), std::move(args[1]));
        } else if (fn == "_<=_") {
          node = std::make_unique<RelationNode<1>>(std::move(args[0]), std::move(args[1]));
        } else if (fn == "_>_") {
          node = std::make_unique<RelationNode<2>>(std::move(args[0]), std::move(args[1]));
        } else {
          node = std::make_unique<RelationNode<3>>(std::move(args[0]), std::move(args[1]));
        }
        return FoldOrNode(std::move(node), foldable);
      }
      if (fn == "matches" && call.args.size() == 2) {
        if (const auto* c = std::get_if<Constant>(&call.args[1]->kind);
            c != nullptr && c->kind == Constant::Kind::kString) {
          GOVFLOW_ASSIGN_OR_RETURN(NodePtr t, PlanExpr(*call.args[0]));
          return NodePtr(std::make_unique<MatchesConstNode>(std::move(t), c->string_value));
        }
      }
      GOVFLOW_ASSIGN_OR_RETURN(auto args, PlanArgs(call.args));
      return MakeCall(fn, std::move(args));
    }
    // Receiver-style or namespaced call.
    if (auto qn = QualifiedName(*call.target)) {
      std::string full = *qn + "." + fn;
      if (full == "cel.bind" && call.args.size() == 3) return PlanBind(call.args);
      if (functions_.Has(full)) {
        GOVFLOW_ASSIGN_OR_RETURN(auto args, PlanArgs(call.args));
        return MakeCall(full, std::move(args));
      }
    }
    if ((fn == "optMap" || fn == "optFlatMap") && call.args.size() == 2) {
      if (const auto* id = std::get_if<Ident>(&call.args[0]->kind)) {
        GOVFLOW_ASSIGN_OR_RETURN(NodePtr target, PlanExpr(*call.target));
        int slot = NewSlot();
        scopes_.emplace_back(id->name, slot);
        auto body = PlanExpr(*call.args[1]);
        scopes_.pop_back();
        if (!body.ok()) return body.status();
        return NodePtr(std::make_unique<OptMapNode>(std::move(target), slot,
                                                    std::move(body).value(), fn == "optFlatMap"));
      }
    }
    GOVFLOW_ASSIGN_OR_RETURN(NodePtr target, PlanExpr(*call.target));
    if (fn == "matches" && call.args.size() == 1) {
      if (const auto* c = std::get_if<Constant>(&call.args[0]->kind);
          c != nullptr && c->kind == Constant::Kind::kString) {
        return NodePtr(std::make_unique<MatchesConstNode>(std::move(target), c->string_value));
      }
    }
    GOVFLOW_ASSIGN_OR_RETURN(auto rest, PlanArgs(call.args));
    std::vector<NodePtr> args;
    args.reserve(rest.size() + 1);
    args.push_back(std::move(target));
    for (NodePtr& a : rest) args.push_back(std::move(a));
    return MakeCall(fn, std::move(args));
  }

  Result<NodePtr> PlanBlock(const std::vector<ExprPtr>& args) {
    const auto* list = std::get_if<CreateList>(&args[0]->kind);
    if (list == nullptr) return InvalidArgument("cel.block requires a list literal of bindings");
    size_t mark = scopes_.size();
    std::vector<int> slots;
    std::vector<NodePtr> bindings;
    for (size_t i = 0; i < list->elements.size(); ++i) {
      auto b = PlanExpr(*list->elements[i]);
      if (!b.ok()) {
        scopes_.resize(mark);
        return b.status();
      }
      int slot = NewSlot();
      slots.push_back(slot);
      bindings.push_back(std::move(b).value());
      scopes_.emplace_back("@index" + std::to_string(i), slot);
    }
    auto result = PlanExpr(*args[1]);
    scopes_.resize(mark);
    if (!result.ok()) return result.status();
    return NodePtr(std::make_unique<BlockNode>(std::move(slots), std::move(bindings),
                                               std::move(result).value()));
  }

  Result<NodePtr> PlanBind(const std::vector<ExprPtr>& args) {
    const auto* id = std::get_if<Ident>(&args[0]->kind);
    if (id == nullptr) return InvalidArgument("cel.bind() variable name must be a simple identifier");
    GOVFLOW_ASSIGN_OR_RETURN(NodePtr init, PlanExpr(*args[1]));
    int slot = NewSlot();
    scopes_.emplace_back(id->name, slot);
    auto body = PlanExpr(*args[2]);
    scopes_.pop_back();
    if (!body.ok()) return body.status();
    return NodePtr(std::make_unique<BindNode>(slot, std::move(init), std::move(body).value()));
  }

  Result<NodePtr> MakeCall(const std::string& name, std::vector<NodePtr> args) {
    int arity = static_cast<int>(args.size());
    if (!functions_.Has(name)) {
      return NodePtr(std::make_unique<UnboundFunctionNode>(name, std::move(args)));
    }
    std::vector<const Overload*> overloads = functions_.Find(name, arity);
    bool foldable = AllConstant(args);
    NodePtr node;
    switch (arity) {
      case 1:
        node = std::make_unique<FixedCallNode<1>>(name, std::move(args), std::move(overloads));
        break;
      case 2:
        node = std::make_unique<FixedCallNode<2>>(name, std::move(args), std::move(overloads));
        break;
      case 3:
        node = std::make_unique<FixedCallNode<3>>(name, std::move(args), std::move(overloads));
        break;
      default:
        node = std::make_unique<CallNode>(name, std::move(args), std::move(overloads));
        break;
    }
    return FoldOrNode(std::move(node), foldable);
  }

  Result<NodePtr> PlanKind(const Expr&, const CreateList& list) {
    GOVFLOW_ASSIGN_OR_RETURN(auto elems, PlanArgs(list.elements));
    std::vector<bool> optional(elems.size(), false);
    for (int32_t i : list.optional_indices) {
      if (i >= 0 && static_cast<size_t>(i) < optional.size()) optional[static_cast<size_t>(i)] = true;
    }
    bool foldable = AllConstant(elems);
    NodePtr node = std::make_unique<CreateListNode>(std::move(elems), std::move(optional));
    return FoldOrNode(std::move(node), foldable);
  }

  Result<NodePtr> PlanKind(const Expr&, const CreateStruct& s) {
    if (!s.message_name.empty()) {
      return InvalidArgument("message construction is not supported: " + s.message_name);
    }
    std::vector<CreateMapNode::Entry> entries;
    bool foldable = true;
    for (const CreateStruct::Entry& e : s.entries) {
      CreateMapNode::Entry out;
      if (e.key == nullptr) return InvalidArgument("map entry without a key");
      GOVFLOW_ASSIGN_OR_RETURN(out.key, PlanExpr(*e.key));
      GOVFLOW_ASSIGN_OR_RETURN(out.value, PlanExpr(*e.value));
      out.optional = e.optional;
      foldable = foldable && out.key->constant() && out.value->constant();
      entries.push_back(std::move(out));
    }
    bool keys_known_unique = true;
    for (size_t i = 0; i < entries.size() && keys_known_unique; ++i) {
      const Value* k = entries[i].key->constant();
      if (k == nullptr || !IsValidMapKey(*k)) {
        keys_known_unique = false;
        break;
      }
      for (size_t j = 0; j < i; ++j) {
        if (ValuesEqual(*k, *entries[j].key->constant())) keys_known_unique = false;
      }
    }
    NodePtr node = std::make_unique<CreateMapNode>(std::move(entries), keys_known_unique);
    return FoldOrNode(std::move(node), foldable);
  }

  static bool IsIdent(const Expr& e, std::string_view name) {
    const auto* id = std::get_if<Ident>(&e.kind);
    return id != nullptr && id->name == name;
  }

  // `accu + [elem]`: returns elem.
  static const Expr* MatchAppend(const Expr& e, std::string_view accu) {
    const auto* call = std::get_if<Call>(&e.kind);
    if (call == nullptr || call->target != nullptr || call->function != "_+_" ||
        call->args.size() != 2 || !IsIdent(*call->args[0], accu)) {
      return nullptr;
    }
    const auto* list = std::get_if<CreateList>(&call->args[1]->kind);
    if (list == nullptr || list->elements.size() != 1 || !list->optional_indices.empty()) {
      return nullptr;
    }
    return list->elements[0].get();
  }

  static bool IsCall(const Expr& e, std::string_view fn, size_t nargs) {
    const auto* call = std::get_if<Call>(&e.kind);
    return call != nullptr && call->target == nullptr && call->function == fn &&
           call->args.size() == nargs;
  }
  static const Call& AsCall(const Expr& e) { return std::get<Call>(e.kind); }
  static bool IsNotStrictlyFalse(const Expr& e) {
    return IsCall(e, "@not_strictly_false", 1) || IsCall(e, "__not_strictly_false__", 1);
  }

  // The all()/exists() expansions: returns the predicate and sets *exists.
  static const Expr* MatchQuantifier(const Comprehension& c, bool* exists) {
    const auto* init = std::get_if<Constant>(&c.accu_init->kind);
    if (init == nullptr || init->kind != Constant::Kind::kBool ||
        !IsIdent(*c.result, c.accu_var) || !IsNotStrictlyFalse(*c.loop_condition)) {
      return nullptr;
    }
    const Expr& cond_arg = *AsCall(*c.loop_condition).args[0];
    if (init->bool_value) {  // all
      if (!IsIdent(cond_arg, c.accu_var) || !IsCall(*c.loop_step, "_&&_", 2)) return nullptr;
      *exists = false;
    } else {  // exists
      if (!IsCall(cond_arg, "!_", 1) || !IsIdent(*AsCall(cond_arg).args[0], c.accu_var) ||
          !IsCall(*c.loop_step, "_||_", 2)) {
        return nullptr;
      }
      *exists = true;
    }
    const Call& step = AsCall(*c.loop_step);
    if (!IsIdent(*step.args[0], c.accu_var)) return nullptr;
    return step.args[1].get();
  }

  Result<NodePtr> PlanKind(const Expr&, const Comprehension& c) {
    bool exists = false;
    if (const Expr* predicate = MatchQuantifier(c, &exists)) {
      GOVFLOW_ASSIGN_OR_RETURN(NodePtr range, PlanExpr(*c.iter_range));
      int iter_slot = NewSlot();
      int iter2_slot = -1;
      size_t mark = scopes_.size();
      scopes_.emplace_back(c.iter_var, iter_slot);
      if (!c.iter_var2.empty()) {
        iter2_slot = NewSlot();
        scopes_.emplace_back(c.iter_var2, iter2_slot);
      }
      // The accumulator is not visible to user code (its name is not an identifier).
      auto pred = PlanExpr(*predicate);
      scopes_.resize(mark);
      if (!pred.ok()) return pred.status();
      return NodePtr(std::make_unique<QuantifierNode>(exists, std::move(range), iter_slot,
                                                      iter2_slot, std::move(pred).value()));
    }
    ComprehensionNode::Spec spec;
    GOVFLOW_ASSIGN_OR_RETURN(spec.range, PlanExpr(*c.iter_range));
    GOVFLOW_ASSIGN_OR_RETURN(spec.init, PlanExpr(*c.accu_init));
    spec.accu_slot = NewSlot();
    spec.iter_slot = NewSlot();
    size_t scope_mark = scopes_.size();
    scopes_.emplace_back(c.accu_var, spec.accu_slot);
    scopes_.emplace_back(c.iter_var, spec.iter_slot);
    if (!c.iter_var2.empty()) {
      spec.iter2_slot = NewSlot();
      scopes_.emplace_back(c.iter_var2, spec.iter2_slot);
    }
    Status status = PlanLoop(c, &spec);
    // The result sees the accumulator but not the iteration variables.
    scopes_.resize(scope_mark);
    GOVFLOW_RETURN_IF_ERROR(status);
    scopes_.emplace_back(c.accu_var, spec.accu_slot);
    auto result = PlanExpr(*c.result);
    scopes_.resize(scope_mark);
    if (!result.ok()) return result.status();
    spec.result = std::move(result).value();
    return NodePtr(std::make_unique<ComprehensionNode>(std::move(spec)));
  }

  Status PlanLoop(const Comprehension& c, ComprehensionNode::Spec* spec) {
    GOVFLOW_ASSIGN_OR_RETURN(spec->cond, PlanExpr(*c.loop_condition));
    GOVFLOW_ASSIGN_OR_RETURN(spec->step, PlanExpr(*c.loop_step));
    // Append mode: init [] and cond true, step `accu + [e]` or `f ? accu + [e] : accu`.
    const auto* init_list = std::get_if<CreateList>(&c.accu_init->kind);
    const auto* cond = std::get_if<Constant>(&c.loop_condition->kind);
    if (init_list == nullptr || !init_list->elements.empty() || cond == nullptr ||
        cond->kind != Constant::Kind::kBool || !cond->bool_value) {
      return Status::Ok();
    }
    const Expr* element = MatchAppend(*c.loop_step, c.accu_var);
    const Expr* filter = nullptr;
    if (element == nullptr) {
      const auto* call = std::get_if<Call>(&c.loop_step->kind);
      if (call != nullptr && call->target == nullptr && call->function == "_?_:_" &&
          call->args.size() == 3 && IsIdent(*call->args[2], c.accu_var)) {
        element = MatchAppend(*call->args[1], c.accu_var);
        filter = call->args[0].get();
      }
    }
    if (element == nullptr) return Status::Ok();
    spec->append = true;
    GOVFLOW_ASSIGN_OR_RETURN(spec->append_element, PlanExpr(*element));
    if (filter != nullptr) {
      GOVFLOW_ASSIGN_OR_RETURN(spec->append_filter, PlanExpr(*filter));
    }
    return Status::Ok();
  }

  const FunctionRegistry& functions_;
  std::vector<std::pair<std::string, int>> scopes_;
  int slot_count_ = 0;
};

}  // namespace

Result<Plan> PlanAst(const Ast& ast, const FunctionRegistry& functions) {
  if (ast.root == nullptr) return InvalidArgument("empty expression");
  Planner planner(functions);
  GOVFLOW_ASSIGN_OR_RETURN(NodePtr root, planner.PlanExpr(*ast.root));
  Plan plan;
  plan.root = std::move(root);
  plan.slot_count = planner.slot_count();
  return plan;
}

}  // namespace govflow::expr
