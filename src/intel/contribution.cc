#include "intel/contribution.h"

#include <boost/json.hpp>
#include <charconv>
#include <exception>

namespace govflow::intel {
namespace json = boost::json;

namespace {

// A JSON string literal as boost::json's serializer writes it: '"' and '\' escaped, control
// characters as \b \t \n \f \r or \u00xx (lowercase hex), every other byte as it is.
void AppendQuoted(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += '\\';
      switch (c) {
        case '\b':
          out += 'b';
          break;
        case '\t':
          out += 't';
          break;
        case '\n':
          out += 'n';
          break;
        case '\f':
          out += 'f';
          break;
        case '\r':
          out += 'r';
          break;
        default:
          out += "u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
      }
    } else {
      out += ch;
    }
  }
  out += '"';
}

void AppendInt(int64_t v, std::string& out) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// The full parse: any JSON text, with the reading earlier versions had.
std::optional<Contribution> FromJsonDom(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  try {
    Contribution out;
    const json::array& d = v.at("d").as_array();
    out.dims = {std::string(d.at(0).as_string()), std::string(d.at(1).as_string()),
                std::string(d.at(2).as_string()), std::string(d.at(3).as_string())};
    for (const json::value& e : v.at("c").as_array()) {
      out.counts.emplace_back(static_cast<int>(e.as_array().at(0).to_number<int64_t>()),
                              e.as_array().at(1).to_number<int64_t>());
    }
    if (const json::value* l = v.as_object().if_contains("l")) {
      out.latency.emplace(l->as_array().at(0).to_number<int64_t>(),
                          l->as_array().at(1).to_number<int64_t>());
    }
    if (const json::value* o = v.as_object().if_contains("o")) {
      out.open_severity = std::string(o->as_string());
    }
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Reads exactly the form ContributionToJson writes for strings of printable ASCII without '"'
// or '\'; anything else makes it give up (false), and the caller falls back to the full parse.
// Where it succeeds the text is valid JSON with one member of each name, so the full parse
// would give the same contribution.
class CanonicalReader {
 public:
  explicit CanonicalReader(std::string_view text) : p_(text.data()), end_(p_ + text.size()) {}

  bool Read(Contribution& out) {
    if (!Literal("{\"d\":[") || !String(out.dims.process) || !Literal(",") ||
        !String(out.dims.brand) || !Literal(",") || !String(out.dims.channel) || !Literal(",") ||
        !String(out.dims.sku_category) || !Literal("],\"c\":[")) {
      return false;
    }
    if (!Peek(']')) {
      while (true) {
        int64_t counter = 0, at = 0;
        if (!Literal("[") || !Int(counter) || !Literal(",") || !Int(at) || !Literal("]")) {
          return false;
        }
        out.counts.emplace_back(static_cast<int>(counter), at);
        if (!Peek(',')) break;
        ++p_;
      }
    }
    if (!Literal("]")) return false;
    if (Literal(",\"l\":[")) {
      int64_t at = 0, us = 0;
      if (!Int(at) || !Literal(",") || !Int(us) || !Literal("]")) return false;
      out.latency.emplace(at, us);
    }
    if (Literal(",\"o\":")) {
      if (!String(out.open_severity)) return false;
    }
    return Literal("}") && p_ == end_;
  }

 private:
  bool Peek(char c) const { return p_ != end_ && *p_ == c; }

  bool Literal(std::string_view s) {
    if (static_cast<size_t>(end_ - p_) < s.size() || std::string_view(p_, s.size()) != s) {
      return false;
    }
    p_ += s.size();
    return true;
  }

  bool String(std::string& out) {
    if (!Peek('"')) return false;
    const char* start = ++p_;
    while (p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out.assign(start, p_);
        ++p_;
        return true;
      }
      if (c == '\\' || c < 0x20 || c >= 0x7f) return false;  // escapes, UTF-8: full parse
      ++p_;
    }
    return false;
  }

  // An integer as JSON writes one that fits int64 comfortably: -?(0|[1-9][0-9]{0,17}).
  bool Int(int64_t& out) {
    const char* start = p_;
    if (Peek('-')) ++p_;
    const char* digits = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    const ptrdiff_t n = p_ - digits;
    if (n == 0 || n > 18 || (n > 1 && *digits == '0')) return false;
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    const auto [ptr, ec] = std::from_chars(start, p_, out);
    return ec == std::errc() && ptr == p_;
  }

  const char* p_;
  const char* end_;
};

}  // namespace

std::string ContributionToJson(const Contribution& c) {
  std::string out;
  out.reserve(96 + c.counts.size() * 24);
  out += "{\"d\":[";
  AppendQuoted(c.dims.process, out);
  out += ',';
  AppendQuoted(c.dims.brand, out);
  out += ',';
  AppendQuoted(c.dims.channel, out);
  out += ',';
  AppendQuoted(c.dims.sku_category, out);
  out += "],\"c\":[";
  for (size_t i = 0; i < c.counts.size(); ++i) {
    if (i > 0) out += ',';
    out += '[';
    AppendInt(c.counts[i].first, out);
    out += ',';
    AppendInt(c.counts[i].second, out);
    out += ']';
  }
  out += ']';
  if (c.latency) {
    out += ",\"l\":[";
    AppendInt(c.latency->first, out);
    out += ',';
    AppendInt(c.latency->second, out);
    out += ']';
  }
  if (!c.open_severity.empty()) {
    out += ",\"o\":";
    AppendQuoted(c.open_severity, out);
  }
  out += '}';
  return out;
}

std::optional<Contribution> ContributionFromJson(std::string_view text) {
  Contribution c;
  if (CanonicalReader(text).Read(c)) return c;
  return FromJsonDom(text);
}

}  // namespace govflow::intel
