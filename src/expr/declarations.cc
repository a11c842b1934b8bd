#include "expr/declarations.h"

#include <cassert>
#include <cctype>
#include <utility>

namespace govflow::expr {

Status TypeEnvironment::AddVariable(std::string name, Type type) {
  if (name.empty()) return InvalidArgument("variable name is empty");
  if (name.front() == '.') name.erase(0, 1);
  auto [it, inserted] = variables_.emplace(std::move(name), std::move(type));
  if (!inserted) return AlreadyExists("variable '" + it->first + "' is already declared");
  return Status::Ok();
}

Status TypeEnvironment::AddFunctionOverload(std::string function, FunctionOverload overload) {
  if (function.empty()) return InvalidArgument("function name is empty");
  if (overload.member && overload.params.empty()) {
    return InvalidArgument("member overload '" + overload.id + "' of '" + function +
                           "' has no receiver parameter");
  }
  std::vector<FunctionOverload>& overloads = functions_[function];
  for (const FunctionOverload& existing : overloads) {
    if (existing.id == overload.id) {
      return AlreadyExists("overload '" + overload.id + "' of '" + function + "' exists already");
    }
  }
  overloads.push_back(std::move(overload));
  return Status::Ok();
}

const Type* TypeEnvironment::FindVariable(std::string_view name) const {
  auto it = variables_.find(name);
  return it == variables_.end() ? nullptr : &it->second;
}

const std::vector<FunctionOverload>* TypeEnvironment::FindFunction(std::string_view name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : &it->second;
}

namespace {

// Adds overloads of the standard library; every id is unique by construction, so a failure is
// a programming error in this table.
class StandardBuilder {
 public:
  explicit StandardBuilder(TypeEnvironment& env) : env_(env) {}

  void Global(const std::string& fn, std::string id, std::vector<Type> params, Type result) {
    Add(fn, FunctionOverload{std::move(id), false, std::move(params), std::move(result)});
  }
  void Member(const std::string& fn, std::string id, std::vector<Type> params, Type result) {
    Add(fn, FunctionOverload{std::move(id), true, std::move(params), std::move(result)});
  }

 private:
  void Add(const std::string& fn, FunctionOverload overload) {
    Status s = env_.AddFunctionOverload(fn, std::move(overload));
    (void)s;
    assert(s.ok() && "duplicate overload in the standard environment table");
  }
  TypeEnvironment& env_;
};

void AddStandardFunctions(TypeEnvironment& env) {
  StandardBuilder b(env);
  const Type kI = Type::Int(), kU = Type::Uint(), kD = Type::Double(), kS = Type::String();
  const Type kB = Type::Bool(), kY = Type::Bytes(), kT = Type::Timestamp(), kDu = Type::Duration(),
             kDyn = Type::Dyn();
  const Type kA = Type::Param("A"), kB2 = Type::Param("B");
  const Type kListA = Type::List(kA), kMapAB = Type::Map(kA, kB2);

  // Arithmetic.
  b.Global("_+_", "add_int64", {kI, kI}, kI);
  b.Global("_+_", "add_uint64", {kU, kU}, kU);
  b.Global("_+_", "add_double", {kD, kD}, kD);
  b.Global("_+_", "add_string", {kS, kS}, kS);
  b.Global("_+_", "add_bytes", {kY, kY}, kY);
  b.Global("_+_", "add_list", {kListA, kListA}, kListA);
  b.Global("_+_", "add_timestamp_duration", {kT, kDu}, kT);
  b.Global("_+_", "add_duration_timestamp", {kDu, kT}, kT);
  b.Global("_+_", "add_duration_duration", {kDu, kDu}, kDu);
  b.Global("_-_", "subtract_int64", {kI, kI}, kI);
  b.Global("_-_", "subtract_uint64", {kU, kU}, kU);
  b.Global("_-_", "subtract_double", {kD, kD}, kD);
  b.Global("_-_", "subtract_timestamp_timestamp", {kT, kT}, kDu);
  b.Global("_-_", "subtract_timestamp_duration", {kT, kDu}, kT);
  b.Global("_-_", "subtract_duration_duration", {kDu, kDu}, kDu);
  for (const char* op : {"_*_", "_/_"}) {
    std::string base = std::string(op) == "_*_" ? "multiply" : "divide";
    b.Global(op, base + "_int64", {kI, kI}, kI);
    b.Global(op, base + "_uint64", {kU, kU}, kU);
    b.Global(op, base + "_double", {kD, kD}, kD);
  }
  b.Global("_%_", "modulo_int64", {kI, kI}, kI);
  b.Global("_%_", "modulo_uint64", {kU, kU}, kU);
  b.Global("-_", "negate_int64", {kI}, kI);
  b.Global("-_", "negate_double", {kD}, kD);
  b.Global("-_", "negate_duration", {kDu}, kDu);  // govflow's interpreter supports it

  // Logic.
  b.Global("!_", "logical_not", {kB}, kB);
  b.Global("_&&_", "logical_and", {kB, kB}, kB);
  b.Global("_||_", "logical_or", {kB, kB}, kB);
  b.Global("_?_:_", "conditional", {kB, kA, kA}, kA);
  b.Global("@not_strictly_false", "not_strictly_false", {kB}, kB);
  b.Global("__not_strictly_false__", "not_strictly_false", {kB}, kB);

  // Equality and ordering (including CEL's heterogeneous numeric comparisons).
  b.Global("_==_", "equals", {kA, kA}, kB);
  b.Global("_!=_", "not_equals", {kA, kA}, kB);
  const std::pair<const char*, const char*> kOrderOps[] = {
      {"_<_", "less"}, {"_<=_", "less_equals"}, {"_>_", "greater"}, {"_>=_", "greater_equals"}};
  const std::pair<const char*, Type> kOrdered[] = {
      {"bool", kB},   {"int64", kI}, {"uint64", kU},    {"double", kD},
      {"string", kS}, {"bytes", kY}, {"timestamp", kT}, {"duration", kDu}};
  const std::pair<const char*, Type> kNumeric[] = {{"int64", kI}, {"uint64", kU}, {"double", kD}};
  for (const auto& [op, base] : kOrderOps) {
    for (const auto& [name, t] : kOrdered) {
      b.Global(op, std::string(base) + "_" + name, {t, t}, kB);
    }
    for (const auto& [ln, lt] : kNumeric) {
      for (const auto& [rn, rt] : kNumeric) {
        if (lt == rt) continue;
        b.Global(op, std::string(base) + "_" + ln + "_" + rn, {lt, rt}, kB);
      }
    }
  }

  // Indexing and membership.
  b.Global("_[_]", "index_list", {kListA, kI}, kA);
  b.Global("_[_]", "index_map", {kMapAB, kA}, kB2);
  b.Global("@in", "in_list", {kA, kListA}, kB);
  b.Global("@in", "in_map", {kA, kMapAB}, kB);

  // Size.
  b.Global("size", "size_string", {kS}, kI);
  b.Global("size", "size_bytes", {kY}, kI);
  b.Global("size", "size_list", {kListA}, kI);
  b.Global("size", "size_map", {kMapAB}, kI);
  b.Member("size", "string_size", {kS}, kI);
  b.Member("size", "bytes_size", {kY}, kI);
  b.Member("size", "list_size", {kListA}, kI);
  b.Member("size", "map_size", {kMapAB}, kI);

  // Conversions.
  b.Global("int", "int64_to_int64", {kI}, kI);
  b.Global("int", "uint64_to_int64", {kU}, kI);
  b.Global("int", "double_to_int64", {kD}, kI);
  b.Global("int", "string_to_int64", {kS}, kI);
  b.Global("int", "timestamp_to_int64", {kT}, kI);
  b.Global("uint", "uint64_to_uint64", {kU}, kU);
  b.Global("uint", "int64_to_uint64", {kI}, kU);
  b.Global("uint", "double_to_uint64", {kD}, kU);
  b.Global("uint", "string_to_uint64", {kS}, kU);
  b.Global("double", "double_to_double", {kD}, kD);
  b.Global("double", "int64_to_double", {kI}, kD);
  b.Global("double", "uint64_to_double", {kU}, kD);
  b.Global("double", "string_to_double", {kS}, kD);
  b.Global("string", "string_to_string", {kS}, kS);
  b.Global("string", "int64_to_string", {kI}, kS);
  b.Global("string", "uint64_to_string", {kU}, kS);
  b.Global("string", "double_to_string", {kD}, kS);
  b.Global("string", "bool_to_string", {kB}, kS);
  b.Global("string", "bytes_to_string", {kY}, kS);
  b.Global("string", "timestamp_to_string", {kT}, kS);
  b.Global("string", "duration_to_string", {kDu}, kS);
  b.Global("bytes", "bytes_to_bytes", {kY}, kY);
  b.Global("bytes", "string_to_bytes", {kS}, kY);
  b.Global("bool", "bool_to_bool", {kB}, kB);
  b.Global("bool", "string_to_bool", {kS}, kB);
  b.Global("dyn", "to_dyn", {kA}, kDyn);
  b.Global("type", "type", {kA}, Type::TypeOf(kA));
  b.Global("timestamp", "timestamp_to_timestamp", {kT}, kT);
  b.Global("timestamp", "string_to_timestamp", {kS}, kT);
  b.Global("timestamp", "int64_to_timestamp", {kI}, kT);
  b.Global("duration", "duration_to_duration", {kDu}, kDu);
  b.Global("duration", "string_to_duration", {kS}, kDu);

  // Strings.
  b.Member("contains", "contains_string", {kS, kS}, kB);
  b.Member("endsWith", "ends_with_string", {kS, kS}, kB);
  b.Member("startsWith", "starts_with_string", {kS, kS}, kB);
  b.Member("matches", "matches_string", {kS, kS}, kB);
  b.Global("matches", "matches", {kS, kS}, kB);

  // Timestamp and duration accessors; the optional string argument is a time zone.
  for (const char* fn :
       {"getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate", "getDayOfWeek",
        "getHours", "getMinutes", "getSeconds", "getMilliseconds"}) {
    std::string id = std::string("timestamp_to_") + fn;
    b.Member(fn, id, {kT}, kI);
    b.Member(fn, id + "_with_tz", {kT, kS}, kI);
  }
  for (const char* fn : {"getHours", "getMinutes", "getSeconds", "getMilliseconds"}) {
    b.Member(fn, std::string("duration_to_") + fn, {kDu}, kI);
  }

  // Strings extension.
  b.Member("charAt", "string_char_at_int", {kS, kI}, kS);
  b.Member("indexOf", "string_index_of_string", {kS, kS}, kI);
  b.Member("indexOf", "string_index_of_string_int", {kS, kS, kI}, kI);
  b.Member("lastIndexOf", "string_last_index_of_string", {kS, kS}, kI);
  b.Member("lastIndexOf", "string_last_index_of_string_int", {kS, kS, kI}, kI);
  b.Member("lowerAscii", "string_lower_ascii", {kS}, kS);
  b.Member("upperAscii", "string_upper_ascii", {kS}, kS);
  b.Member("replace", "string_replace_string_string", {kS, kS, kS}, kS);
  b.Member("replace", "string_replace_string_string_int", {kS, kS, kS, kI}, kS);
  b.Member("split", "string_split_string", {kS, kS}, Type::List(kS));
  b.Member("split", "string_split_string_int", {kS, kS, kI}, Type::List(kS));
  b.Member("substring", "string_substring_int", {kS, kI}, kS);
  b.Member("substring", "string_substring_int_int", {kS, kI, kI}, kS);
  b.Member("trim", "string_trim", {kS}, kS);
  b.Member("format", "string_format", {kS, Type::List(kDyn)}, kS);
  b.Member("reverse", "string_reverse", {kS}, kS);
  b.Member("join", "list_join", {Type::List(kS)}, kS);
  b.Member("join", "list_join_string", {Type::List(kS), kS}, kS);
  b.Global("strings.quote", "strings_quote", {kS}, kS);

  // Math extension. math.greatest / math.least with three or more arguments are checked by the
  // checker itself (they are variadic).
  for (const char* fn : {"math.greatest", "math.least"}) {
    std::string base = std::string(fn) == "math.greatest" ? "math_greatest" : "math_least";
    for (const auto& [n, t] : kNumeric) {
      b.Global(fn, base + "_" + n, {t}, t);
      b.Global(fn, base + "_list_" + n, {Type::List(t)}, t);
      for (const auto& [n2, t2] : kNumeric) {
        b.Global(fn, base + "_" + n + "_" + n2, {t, t2}, t == t2 ? t : kDyn);
      }
    }
  }
  for (const char* fn : {"math.ceil", "math.floor", "math.round", "math.trunc"}) {
    b.Global(fn, std::string(fn) + "_double", {kD}, kD);
  }
  for (const char* fn : {"math.abs", "math.sign"}) {
    for (const auto& [n, t] : kNumeric) b.Global(fn, std::string(fn) + "_" + n, {t}, t);
  }
  for (const auto& [n, t] : kNumeric) b.Global("math.sqrt", std::string("math.sqrt_") + n, {t}, kD);
  for (const char* fn : {"math.isNaN", "math.isInf", "math.isFinite"}) {
    b.Global(fn, std::string(fn) + "_double", {kD}, kB);
  }
  for (const char* fn : {"math.bitAnd", "math.bitOr", "math.bitXor"}) {
    b.Global(fn, std::string(fn) + "_int_int", {kI, kI}, kI);
    b.Global(fn, std::string(fn) + "_uint_uint", {kU, kU}, kU);
  }
  b.Global("math.bitNot", "math.bitNot_int", {kI}, kI);
  b.Global("math.bitNot", "math.bitNot_uint", {kU}, kU);
  for (const char* fn : {"math.bitShiftLeft", "math.bitShiftRight"}) {
    b.Global(fn, std::string(fn) + "_int_int", {kI, kI}, kI);
    b.Global(fn, std::string(fn) + "_uint_int", {kU, kI}, kU);
  }

  // Helpers the parser's macro expansions call (transformMap, transformMapEntry).
  b.Global("cel.@mapInsert", "cel_mapInsert_key_value", {kMapAB, kA, kB2}, kMapAB);
  b.Global("cel.@mapInsert", "cel_mapInsert_map", {kMapAB, kMapAB}, kMapAB);

  // Encoders extension.
  b.Global("base64.encode", "base64_encode_bytes", {kY}, kS);
  b.Global("base64.decode", "base64_decode_string", {kS}, kY);

  // Optional values.
  const Type kOptA = Type::Optional(kA);
  b.Global("optional.of", "optional_of", {kA}, kOptA);
  b.Global("optional.ofNonZeroValue", "optional_ofNonZeroValue", {kA}, kOptA);
  b.Global("optional.none", "optional_none", {}, kOptA);
  b.Member("value", "optional_value", {kOptA}, kA);
  b.Member("hasValue", "optional_hasValue", {kOptA}, kB);
  b.Member("or", "optional_or_optional", {kOptA, kOptA}, kOptA);
  b.Member("orValue", "optional_orValue_value", {kOptA, kA}, kA);
  b.Global("_[?_]", "list_optindex_optional_int", {kListA, kI}, kOptA);
  b.Global("_[?_]", "map_optindex_optional_value", {kMapAB, kA}, Type::Optional(kB2));
  b.Global("_[?_]", "optional_list_optindex_optional_int", {Type::Optional(kListA), kI}, kOptA);
  b.Global("_[?_]", "optional_map_optindex_optional_value", {Type::Optional(kMapAB), kA},
           Type::Optional(kB2));
  b.Global("_[_]", "optional_list_index_int", {Type::Optional(kListA), kI}, kOptA);
  b.Global("_[_]", "optional_map_index_value", {Type::Optional(kMapAB), kA}, Type::Optional(kB2));
}

// ---- protobuf text format, just enough for cel-spec Decl and Type messages ----

struct TextField {
  std::string name;
  bool is_message = false;
  std::string scalar;  // unquoted string or bare token
  std::vector<TextField> children;
};

class TextParser {
 public:
  explicit TextParser(std::string_view text) : text_(text) {}

  Result<std::vector<TextField>> ParseAll() {
    GOVFLOW_ASSIGN_OR_RETURN(std::vector<TextField> fields, ParseFields());
    SkipSpace();
    if (pos_ < text_.size()) return Error("unexpected '" + std::string(1, text_[pos_]) + "'");
    return fields;
  }

 private:
  Result<std::vector<TextField>> ParseFields() {
    std::vector<TextField> fields;
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] == '}' || text_[pos_] == '>') return fields;
      TextField field;
      field.name = Token();
      if (field.name.empty()) return Error("expected a field name");
      SkipSpace();
      bool colon = false;
      if (pos_ < text_.size() && text_[pos_] == ':') {
        colon = true;
        ++pos_;
        SkipSpace();
      }
      if (pos_ < text_.size() && (text_[pos_] == '{' || text_[pos_] == '<')) {
        char close = text_[pos_] == '{' ? '}' : '>';
        ++pos_;
        GOVFLOW_ASSIGN_OR_RETURN(field.children, ParseFields());
        SkipSpace();
        if (pos_ >= text_.size() || text_[pos_] != close) {
          return Error("expected '" + std::string(1, close) + "'");
        }
        ++pos_;
        field.is_message = true;
      } else {
        if (!colon) return Error("expected ':' after '" + field.name + "'");
        if (pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '\'')) {
          GOVFLOW_ASSIGN_OR_RETURN(field.scalar, QuotedString());
        } else {
          field.scalar = Token();
          if (field.scalar.empty()) return Error("expected a value for '" + field.name + "'");
        }
      }
      SkipSpace();
      if (pos_ < text_.size() && (text_[pos_] == ',' || text_[pos_] == ';')) ++pos_;
      fields.push_back(std::move(field));
    }
  }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      if (std::isspace(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      } else if (text_[pos_] == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        return;
      }
    }
  }

  std::string Token() {
    size_t start = pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
          c == '+' || c == '[' || c == ']' || c == '/') {
        ++pos_;
      } else {
        break;
      }
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  Result<std::string> QuotedString() {
    char quote = text_[pos_++];
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_++];
      if (c == '\\' && pos_ < text_.size()) {
        char e = text_[pos_++];
        switch (e) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          default:
            out += e;
            break;
        }
      } else {
        out += c;
      }
    }
    if (pos_ >= text_.size()) return Error("unterminated string");
    ++pos_;
    return out;
  }

  Status Error(const std::string& what) const {
    return InvalidArgument("text format: " + what + " at offset " + std::to_string(pos_));
  }

  std::string_view text_;
  size_t pos_ = 0;
};

const TextField* FindField(const std::vector<TextField>& fields, std::string_view name) {
  for (const TextField& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Type MessageTypeByName(const std::string& name) {
  std::string_view n = name;
  if (!n.empty() && n.front() == '.') n.remove_prefix(1);
  if (n == "google.protobuf.Timestamp") return Type::Timestamp();
  if (n == "google.protobuf.Duration") return Type::Duration();
  if (n == "google.protobuf.Struct") return Type::Map(Type::String(), Type::Dyn());
  if (n == "google.protobuf.ListValue") return Type::List(Type::Dyn());
  if (n == "google.protobuf.Value" || n == "google.protobuf.Any") return Type::Dyn();
  if (n.starts_with("google.protobuf.") && n.ends_with("Value")) return Type::Dyn();  // wrappers
  return Type::Message(std::string(n));
}

Result<Type> TypeFromFields(const std::vector<TextField>& fields);

Result<Type> TypeFromField(const TextField* field, std::string_view what) {
  if (field == nullptr || !field->is_message) {
    return InvalidArgument("type: missing '" + std::string(what) + "'");
  }
  return TypeFromFields(field->children);
}

Result<Type> TypeFromFields(const std::vector<TextField>& fields) {
  if (fields.size() != 1) {
    if (fields.empty()) return InvalidArgument("type: empty Type message");
    return InvalidArgument("type: more than one kind in a Type message");
  }
  const TextField& f = fields.front();
  if (f.name == "primitive") {
    if (f.scalar == "BOOL") return Type::Bool();
    if (f.scalar == "INT64") return Type::Int();
    if (f.scalar == "UINT64") return Type::Uint();
    if (f.scalar == "DOUBLE") return Type::Double();
    if (f.scalar == "STRING") return Type::String();
    if (f.scalar == "BYTES") return Type::Bytes();
    return InvalidArgument("type: unknown primitive '" + f.scalar + "'");
  }
  if (f.name == "wrapper") return Type::Dyn();  // a JSON engine has no nullable wrappers
  if (f.name == "well_known") {
    if (f.scalar == "TIMESTAMP") return Type::Timestamp();
    if (f.scalar == "DURATION") return Type::Duration();
    if (f.scalar == "ANY") return Type::Dyn();
    return InvalidArgument("type: unknown well_known '" + f.scalar + "'");
  }
  if (f.name == "null") return Type::Null();
  if (f.name == "dyn") return Type::Dyn();
  if (f.name == "error") return Type::Error();
  if (f.name == "type_param") return Type::Param(f.scalar);
  if (f.name == "message_type") return MessageTypeByName(f.scalar);
  if (f.name == "list_type" && f.is_message) {
    GOVFLOW_ASSIGN_OR_RETURN(
        Type elem, TypeFromField(FindField(f.children, "elem_type"), "list_type.elem_type"));
    return Type::List(std::move(elem));
  }
  if (f.name == "map_type" && f.is_message) {
    GOVFLOW_ASSIGN_OR_RETURN(Type key,
                             TypeFromField(FindField(f.children, "key_type"), "map_type.key_type"));
    GOVFLOW_ASSIGN_OR_RETURN(
        Type value, TypeFromField(FindField(f.children, "value_type"), "map_type.value_type"));
    return Type::Map(std::move(key), std::move(value));
  }
  if (f.name == "type" && f.is_message) {
    if (f.children.empty()) return Type::TypeType();
    GOVFLOW_ASSIGN_OR_RETURN(Type inner, TypeFromFields(f.children));
    return Type::TypeOf(std::move(inner));
  }
  if (f.name == "abstract_type" && f.is_message) {
    const TextField* name = FindField(f.children, "name");
    if (name == nullptr) return InvalidArgument("type: abstract_type without a name");
    std::vector<Type> params;
    for (const TextField& c : f.children) {
      if (c.name != "parameter_types") continue;
      GOVFLOW_ASSIGN_OR_RETURN(Type p, TypeFromFields(c.children));
      params.push_back(std::move(p));
    }
    if (name->scalar == "optional_type" && params.size() == 1) {
      return Type::Optional(std::move(params.front()));
    }
    return Type::Opaque(name->scalar, std::move(params));
  }
  return InvalidArgument("type: unsupported kind '" + f.name + "'");
}

Status AddDecl(const std::vector<TextField>& fields, TypeEnvironment& env) {
  const TextField* name = FindField(fields, "name");
  if (name == nullptr || name->is_message || name->scalar.empty()) {
    return InvalidArgument("declaration without a name");
  }
  if (const TextField* ident = FindField(fields, "ident"); ident != nullptr) {
    GOVFLOW_ASSIGN_OR_RETURN(Type type,
                             TypeFromField(FindField(ident->children, "type"), "ident.type"));
    return env.AddVariable(name->scalar, std::move(type));
  }
  if (const TextField* function = FindField(fields, "function"); function != nullptr) {
    for (const TextField& o : function->children) {
      if (o.name != "overloads") continue;
      FunctionOverload overload;
      if (const TextField* id = FindField(o.children, "overload_id")) overload.id = id->scalar;
      if (const TextField* inst = FindField(o.children, "is_instance_function")) {
        overload.member = inst->scalar == "true";
      }
      for (const TextField& p : o.children) {
        if (p.name != "params") continue;
        GOVFLOW_ASSIGN_OR_RETURN(Type t, TypeFromFields(p.children));
        overload.params.push_back(std::move(t));
      }
      if (const TextField* r = FindField(o.children, "result_type")) {
        GOVFLOW_ASSIGN_OR_RETURN(overload.result, TypeFromFields(r->children));
      }
      if (overload.id.empty())
        overload.id = name->scalar + "_" + std::to_string(overload.params.size());
      GOVFLOW_RETURN_IF_ERROR(env.AddFunctionOverload(name->scalar, std::move(overload)));
    }
    return Status::Ok();
  }
  return InvalidArgument("declaration of '" + name->scalar + "' is neither ident nor function");
}

}  // namespace

TypeEnvironment TypeEnvironment::Standard() {
  // Built once (thread-safe static initialisation) and copied: callers extend their copy.
  static const TypeEnvironment* const kStandard = [] {
    auto* env = new TypeEnvironment();
    AddStandardFunctions(*env);
    return env;
  }();
  return *kStandard;
}

Result<Type> ParseTypeText(std::string_view text) {
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<TextField> fields, TextParser(text).ParseAll());
  return TypeFromFields(fields);
}

Result<TypeEnvironment> ParseDeclarations(const std::vector<std::string>& decls) {
  TypeEnvironment env = TypeEnvironment::Standard();
  for (const std::string& decl : decls) {
    Result<std::vector<TextField>> fields = TextParser(decl).ParseAll();
    Status status = fields.ok() ? AddDecl(*fields, env) : fields.status();
    if (!status.ok()) {
      return Status(status.code() == StatusCode::kAlreadyExists ? status.code()
                                                                : StatusCode::kInvalidArgument,
                    "declaration '" + decl + "': " + status.message());
    }
  }
  return env;
}

}  // namespace govflow::expr
