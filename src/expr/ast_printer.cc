#include "expr/ast_printer.h"

#include <charconv>
#include <variant>

namespace govflow::expr {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendHexByte(unsigned char c, std::string& out) {
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

void AppendQuoted(const std::string& value, bool bytes, std::string& out) {
  if (bytes) out += 'b';
  out += '"';
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F || (bytes && c >= 0x80)) {
          AppendHexByte(c, out);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

bool IsPlainIdentifier(const std::string& name) {
  if (name.empty() || name == "in" || name == "true" || name == "false" || name == "null") {
    return false;  // keywords must be quoted to be field names
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(letter || (digit && i > 0))) return false;
  }
  return true;
}

void AppendField(const std::string& name, std::string& out) {
  if (IsPlainIdentifier(name)) {
    out += name;
  } else {
    out += '`';
    out += name;
    out += '`';
  }
}

class Printer {
 public:
  explicit Printer(std::string& out) : out_(out) {}

  void Print(const Expr& e) {
    std::visit([this](const auto& kind) { PrintKind(kind); }, e.kind);
  }

 private:
  void PrintOrNull(const ExprPtr& e) {
    if (e) {
      Print(*e);
    } else {
      out_ += "<null>";
    }
  }

  void PrintKind(const Constant& c) {
    switch (c.kind) {
      case Constant::Kind::kNull:
        out_ += "null";
        break;
      case Constant::Kind::kBool:
        out_ += c.bool_value ? "true" : "false";
        break;
      case Constant::Kind::kInt:
        out_ += std::to_string(c.int_value);
        break;
      case Constant::Kind::kUint:
        out_ += std::to_string(c.uint_value);
        out_ += 'u';
        break;
      case Constant::Kind::kDouble: {
        char buf[64];
        auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), c.double_value);
        std::string text(buf, ec == std::errc() ? ptr : buf);
        if (text.find_first_of(".eEn") == std::string::npos) text += ".0";  // n: inf, nan
        out_ += text;
        break;
      }
      case Constant::Kind::kString:
        AppendQuoted(c.string_value, false, out_);
        break;
      case Constant::Kind::kBytes:
        AppendQuoted(c.string_value, true, out_);
        break;
    }
  }

  void PrintKind(const Ident& ident) { out_ += ident.name; }

  void PrintKind(const Select& select) {
    PrintOrNull(select.operand);
    out_ += '.';
    AppendField(select.field, out_);
    if (select.test_only) out_ += "~test-only";
  }

  void PrintKind(const Call& call) {
    if (call.target) {
      Print(*call.target);
      out_ += '.';
    }
    out_ += call.function;
    out_ += '(';
    for (size_t i = 0; i < call.args.size(); ++i) {
      if (i > 0) out_ += ", ";
      PrintOrNull(call.args[i]);
    }
    out_ += ')';
  }

  void PrintKind(const CreateList& list) {
    out_ += '[';
    for (size_t i = 0; i < list.elements.size(); ++i) {
      if (i > 0) out_ += ", ";
      bool optional = false;
      for (int32_t index : list.optional_indices) {
        if (index == static_cast<int32_t>(i)) optional = true;
      }
      if (optional) out_ += '?';
      PrintOrNull(list.elements[i]);
    }
    out_ += ']';
  }

  void PrintKind(const CreateStruct& s) {
    out_ += s.message_name;
    out_ += '{';
    for (size_t i = 0; i < s.entries.size(); ++i) {
      const CreateStruct::Entry& entry = s.entries[i];
      if (i > 0) out_ += ", ";
      if (entry.optional) out_ += '?';
      if (s.message_name.empty()) {
        PrintOrNull(entry.key);
      } else {
        AppendField(entry.field, out_);
      }
      out_ += ": ";
      PrintOrNull(entry.value);
    }
    out_ += '}';
  }

  void PrintKind(const Comprehension& c) {
    out_ += "__comprehension__(iter_var: ";
    out_ += c.iter_var;
    if (!c.iter_var2.empty()) {
      out_ += ", iter_var2: ";
      out_ += c.iter_var2;
    }
    out_ += ", iter_range: ";
    PrintOrNull(c.iter_range);
    out_ += ", accu_var: ";
    out_ += c.accu_var;
    out_ += ", accu_init: ";
    PrintOrNull(c.accu_init);
    out_ += ", loop_condition: ";
    PrintOrNull(c.loop_condition);
    out_ += ", loop_step: ";
    PrintOrNull(c.loop_step);
    out_ += ", result: ";
    PrintOrNull(c.result);
    out_ += ')';
  }

  std::string& out_;
};

}  // namespace

std::string PrintAst(const Expr& expr) {
  std::string out;
  Printer(out).Print(expr);
  return out;
}

std::string PrintAst(const Ast& ast) {
  return ast.root ? PrintAst(*ast.root) : std::string();
}

}  // namespace govflow::expr
