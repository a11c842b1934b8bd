// The CEL strings extension (cel-go ext/strings.go): charAt, indexOf, lastIndexOf, lowerAscii,
// upperAscii, replace, split, join, substring, trim, format, quote, reverse. Results that are
// parts of their input are views (no copy) where the input's storage allows it.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "expr/interpreter.h"
#include "expr/string_util.h"

namespace govflow::expr {
namespace {

constexpr uint8_t kInt = static_cast<uint8_t>(ValueKind::kInt);
constexpr uint8_t kString = static_cast<uint8_t>(ValueKind::kString);
constexpr uint8_t kList = static_cast<uint8_t>(ValueKind::kList);

// A view of `part` (which lies inside src's bytes) with src's lifetime class: JSON/static
// views stay views; anything else is marked arena-scoped so a result gets copied out.
Value SubView(const Value& src, std::string_view part) {
  if (part.empty()) return Value::StringView("");
  auto storage = src.storage() == value_internal::kStatic ? value_internal::kStatic
                                                          : value_internal::kArenaStr;
  return Value::FromRep(ValueKind::kString, storage, part.data(),
                        static_cast<uint32_t>(part.size()), false);
}

Value StatusError(EvalContext& ctx, const Status& s) { return ctx.Error(s.message()); }

Value CharAt(EvalContext& ctx, const Value* a, int) {
  auto r = strutil::CharAt(a[0].string_value(), a[1].int_value());
  if (!r.ok()) return StatusError(ctx, r.status());
  return SubView(a[0], *r);
}
Value IndexOf(EvalContext& ctx, const Value* a, int n) {
  auto r = strutil::IndexOf(a[0].string_value(), a[1].string_value(),
                            n > 2 ? a[2].int_value() : 0);
  if (!r.ok()) return StatusError(ctx, r.status());
  return Value::Int(*r);
}
Value LastIndexOf(EvalContext& ctx, const Value* a, int n) {
  auto r = n > 2 ? strutil::LastIndexOf(a[0].string_value(), a[1].string_value(), a[2].int_value())
                 : strutil::LastIndexOf(a[0].string_value(), a[1].string_value());
  if (!r.ok()) return StatusError(ctx, r.status());
  return Value::Int(*r);
}
Value LowerAscii(EvalContext& ctx, const Value* a, int) {
  return ctx.arena->NewString(strutil::LowerAscii(a[0].string_value()));
}
Value UpperAscii(EvalContext& ctx, const Value* a, int) {
  return ctx.arena->NewString(strutil::UpperAscii(a[0].string_value()));
}
Value Replace(EvalContext& ctx, const Value* a, int n) {
  return ctx.arena->NewString(strutil::Replace(a[0].string_value(), a[1].string_value(),
                                               a[2].string_value(), n > 3 ? a[3].int_value() : -1));
}
Value Split(EvalContext& ctx, const Value* a, int n) {
  std::string_view str = a[0].string_value(), sep = a[1].string_value();
  int64_t limit = n > 2 ? a[2].int_value() : -1;
  if (!sep.empty() && limit < 0) {
    // The common case, in one pass and without any heap vector: part boundaries go to a small
    // stack array, then straight into an arena list.
    constexpr size_t kMaxInline = 32;
    uint32_t ends[kMaxInline];  // end offset of each part but the last (left uninitialised)
    size_t count = 0;
    const char* data = str.data();
    const size_t size = str.size();
    const char first = sep[0];
    const size_t m = sep.size();
    bool overflow = false;
    for (size_t i = 0; i + m <= size;) {
      if (data[i] == first && std::memcmp(data + i, sep.data(), m) == 0) {
        if (count == kMaxInline - 1) {
          overflow = true;
          break;
        }
        ends[count++] = static_cast<uint32_t>(i);
        i += m;
      } else {
        ++i;
      }
    }
    if (!overflow) {
      Value list = ctx.arena->NewList(count + 1);
      Value* out = Arena::MutableElements(list);
      size_t start = 0;
      for (size_t i = 0; i < count; ++i) {
        out[i] = SubView(a[0], std::string_view(data + start, ends[i] - start));
        start = ends[i] + m;
      }
      out[count] = SubView(a[0], std::string_view(data + start, size - start));
      return list;
    }
    // Many parts: count, then fill.
    count = 1;
    for (size_t pos = str.find(sep); pos != std::string_view::npos;
         pos = str.find(sep, pos + sep.size())) {
      ++count;
    }
    Value list = ctx.arena->NewList(count);
    Value* out = Arena::MutableElements(list);
    size_t start = 0;
    for (size_t i = 0; i + 1 < count; ++i) {
      size_t pos = str.find(sep, start);
      out[i] = SubView(a[0], str.substr(start, pos - start));
      start = pos + sep.size();
    }
    out[count - 1] = SubView(a[0], str.substr(start));
    return list;
  }
  // Reused per thread so that steady-state splitting allocates nothing.
  thread_local std::vector<std::string_view> parts;
  strutil::Split(a[0].string_value(), a[1].string_value(), n > 2 ? a[2].int_value() : -1, &parts);
  Value list = ctx.arena->NewList(parts.size());
  Value* out = Arena::MutableElements(list);
  for (size_t i = 0; i < parts.size(); ++i) out[i] = SubView(a[0], parts[i]);
  return list;
}
Value Join(EvalContext& ctx, const Value* a, int n) {
  const Value& list = a[0];
  std::string_view sep = n > 1 ? a[1].string_value() : std::string_view();
  size_t count = list.size();
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    Value e = value_internal::BorrowListElement(list, i);
    if (e.kind() != ValueKind::kString) return NoSuchOverload(ctx, "join", a, n);
    total += e.string_value().size() + (i ? sep.size() : 0);
  }
  if (total == 0) return Value::StringView("");
  char* p = static_cast<char*>(ctx.arena->Allocate(total, 1));
  size_t off = 0;
  for (size_t i = 0; i < count; ++i) {
    if (i) {
      std::copy(sep.begin(), sep.end(), p + off);
      off += sep.size();
    }
    std::string_view s = value_internal::BorrowListElement(list, i).string_value();
    std::copy(s.begin(), s.end(), p + off);
    off += s.size();
  }
  return Value::FromRep(ValueKind::kString, value_internal::kArenaStr, p,
                        static_cast<uint32_t>(total), false);
}
Value Substring(EvalContext& ctx, const Value* a, int n) {
  auto r = n > 2 ? strutil::Substring(a[0].string_value(), a[1].int_value(), a[2].int_value())
                 : strutil::Substring(a[0].string_value(), a[1].int_value());
  if (!r.ok()) return StatusError(ctx, r.status());
  return SubView(a[0], *r);
}
Value Trim(EvalContext&, const Value* a, int) {
  return SubView(a[0], strutil::Trim(a[0].string_value()));
}
Value Quote(EvalContext& ctx, const Value* a, int) {
  return ctx.arena->NewString(strutil::Quote(a[0].string_value()));
}
Value Reverse(EvalContext& ctx, const Value* a, int) {
  return ctx.arena->NewString(strutil::Reverse(a[0].string_value()));
}

// --- format.

Status AppendAsString(const Value& v, std::string* out, bool nested);

Status AppendAsString(const Value& v, std::string* out, bool nested) {
  switch (v.kind()) {
    case ValueKind::kNull: *out += "null"; return Status::Ok();
    case ValueKind::kBool: *out += v.bool_value() ? "true" : "false"; return Status::Ok();
    case ValueKind::kInt: *out += std::to_string(v.int_value()); return Status::Ok();
    case ValueKind::kUint: *out += std::to_string(v.uint_value()); return Status::Ok();
    case ValueKind::kDouble: *out += strutil::FormatDouble(v.double_value()); return Status::Ok();
    case ValueKind::kString:
      if (nested) {
        *out += strutil::Quote(v.string_value());
      } else {
        *out += v.string_value();
      }
      return Status::Ok();
    case ValueKind::kBytes:
      if (nested) {
        out->push_back('b');
        out->append(strutil::Quote(v.string_value()));
      } else {
        *out += v.string_value();
      }
      return Status::Ok();
    case ValueKind::kTimestamp:
      *out += timeutil::FormatTimestamp(v.timestamp_value());
      return Status::Ok();
    case ValueKind::kDuration:
      *out += timeutil::FormatDuration(v.duration_value());
      return Status::Ok();
    case ValueKind::kType: *out += v.type_name(); return Status::Ok();
    case ValueKind::kList: {
      *out += "[";
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) *out += ", ";
        GOVFLOW_RETURN_IF_ERROR(AppendAsString(value_internal::BorrowListElement(v, i), out, true));
      }
      *out += "]";
      return Status::Ok();
    }
    case ValueKind::kMap: {
      std::vector<std::pair<std::string, std::string>> entries;
      for (size_t i = 0; i < v.size(); ++i) {
        std::string k, val;
        GOVFLOW_RETURN_IF_ERROR(AppendAsString(value_internal::BorrowMapKeyAt(v, i), &k, true));
        GOVFLOW_RETURN_IF_ERROR(AppendAsString(value_internal::BorrowMapValueAt(v, i), &val, true));
        entries.emplace_back(std::move(k), std::move(val));
      }
      std::sort(entries.begin(), entries.end());
      *out += "{";
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i) *out += ", ";
        *out += entries[i].first + ": " + entries[i].second;
      }
      *out += "}";
      return Status::Ok();
    }
    case ValueKind::kOptional:
      if (!v.optional_has_value()) {
        *out += "optional.none()";
        return Status::Ok();
      }
      *out += "optional.of(";
      GOVFLOW_RETURN_IF_ERROR(AppendAsString(v.optional_value(), out, true));
      *out += ")";
      return Status::Ok();
    case ValueKind::kError: return InvalidArgument(std::string(v.error_message()));
  }
  return Status::Ok();
}

Status FormatOne(char verb, int precision, const Value& v, std::string* out) {
  switch (verb) {
    case 's': return AppendAsString(v, out, false);
    case 'd':
      if (v.kind() == ValueKind::kInt) {
        *out += std::to_string(v.int_value());
      } else if (v.kind() == ValueKind::kUint) {
        *out += std::to_string(v.uint_value());
      } else if (v.kind() == ValueKind::kDouble && !std::isfinite(v.double_value())) {
        *out += strutil::FormatDouble(v.double_value());
      } else {
        return InvalidArgument("error during formatting: decimal clause can only be used on "
                               "integers, was given " + std::string(KindName(v.kind())));
      }
      return Status::Ok();
    case 'f':
    case 'e': {
      double d;
      if (v.kind() == ValueKind::kDouble) {
        d = v.double_value();
      } else if (v.kind() == ValueKind::kInt) {
        d = static_cast<double>(v.int_value());
      } else if (v.kind() == ValueKind::kUint) {
        d = static_cast<double>(v.uint_value());
      } else {
        return InvalidArgument(std::string("error during formatting: ") +
                               (verb == 'f' ? "fixed-point" : "scientific") +
                               " clause can only be used on doubles, was given " +
                               std::string(KindName(v.kind())));
      }
      *out += verb == 'f' ? strutil::FormatFixed(d, precision < 0 ? 6 : precision)
                          : strutil::FormatScientific(d, precision < 0 ? 6 : precision);
      return Status::Ok();
    }
    case 'b':
    case 'o':
    case 'x':
    case 'X': {
      int base = verb == 'b' ? 2 : (verb == 'o' ? 8 : 16);
      bool upper = verb == 'X';
      if (v.kind() == ValueKind::kInt) {
        *out += strutil::FormatIntBase(v.int_value(), base, upper);
      } else if (v.kind() == ValueKind::kUint) {
        *out += strutil::FormatUintBase(v.uint_value(), base, upper);
      } else if (verb == 'b' && v.kind() == ValueKind::kBool) {
        *out += v.bool_value() ? "1" : "0";
      } else if (base == 16 &&
                 (v.kind() == ValueKind::kString || v.kind() == ValueKind::kBytes)) {
        *out += strutil::FormatBytesHex(v.string_value(), upper);
      } else {
        return InvalidArgument("error during formatting: only integers" +
                               std::string(base == 16 ? ", byte buffers, and strings" : "") +
                               " can be formatted as " +
                               (base == 2 ? "binary" : base == 8 ? "octal" : "hex") +
                               ", was given " + std::string(KindName(v.kind())));
      }
      return Status::Ok();
    }
    default:
      return InvalidArgument(std::string("could not parse formatting clause: unrecognized "
                                         "formatting clause \"") + verb + "\"");
  }
}

Value Format(EvalContext& ctx, const Value* a, int) {
  std::string_view fmt = a[0].string_value();
  const Value& args = a[1];
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 1 >= fmt.size()) return ctx.Error("could not parse formatting clause: unexpected end");
    char verb = fmt[++i];
    if (verb == '%') {
      out.push_back('%');
      continue;
    }
    int precision = -1;
    if (verb == '.') {
      precision = 0;
      ++i;
      while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
        precision = precision * 10 + (fmt[i] - '0');
        ++i;
      }
      if (i >= fmt.size()) return ctx.Error("could not parse formatting clause: unexpected end");
      verb = fmt[i];
    }
    if (next >= args.size()) {
      return ctx.Error("index " + std::to_string(next) + " out of range");
    }
    Status s = FormatOne(verb, precision, value_internal::BorrowListElement(args, next++), &out);
    if (!s.ok()) return ctx.Error(s.message());
  }
  return ctx.arena->NewString(out);
}

}  // namespace

void RegisterStringsExtension(FunctionRegistry& r) {
  r.Add("charAt", {kString, kInt}, CharAt);
  r.Add("indexOf", {kString, kString}, IndexOf);
  r.Add("indexOf", {kString, kString, kInt}, IndexOf);
  r.Add("lastIndexOf", {kString, kString}, LastIndexOf);
  r.Add("lastIndexOf", {kString, kString, kInt}, LastIndexOf);
  r.Add("lowerAscii", {kString}, LowerAscii);
  r.Add("upperAscii", {kString}, UpperAscii);
  r.Add("replace", {kString, kString, kString}, Replace);
  r.Add("replace", {kString, kString, kString, kInt}, Replace);
  r.Add("split", {kString, kString}, Split);
  r.Add("split", {kString, kString, kInt}, Split);
  r.Add("join", {kList}, Join);
  r.Add("join", {kList, kString}, Join);
  r.Add("substring", {kString, kInt}, Substring);
  r.Add("substring", {kString, kInt, kInt}, Substring);
  r.Add("trim", {kString}, Trim);
  r.Add("format", {kString, kList}, Format);
  r.Add("strings.quote", {kString}, Quote);
  r.Add("quote", {kString}, Quote);
  r.Add("reverse", {kString}, Reverse);
}

}  // namespace govflow::expr
