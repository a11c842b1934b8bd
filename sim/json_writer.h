// JsonWriter: appends compact JSON to a std::string without building a DOM, for the simulators'
// hot paths (an order body or a salesOrder response per request). The caller keeps the structure
// well formed; the writer handles commas and string escaping. Not thread-safe (a value type).
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace govflow::sim {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject() {
    Sep();
    out_->push_back('{');
    first_ = true;
  }
  void EndObject() {
    out_->push_back('}');
    first_ = false;
  }
  void BeginArray() {
    Sep();
    out_->push_back('[');
    first_ = true;
  }
  void EndArray() {
    out_->push_back(']');
    first_ = false;
  }

  // Writes `"key":`; the next value call completes the member.
  void Key(std::string_view key) {
    Sep();
    Quote(key);
    out_->push_back(':');
    first_ = true;  // the value that follows takes no comma
  }
  void String(std::string_view s) {
    Sep();
    Quote(s);
  }
  void Int(int64_t v) {
    Sep();
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_->append(buf, r.ptr);
  }
  // Shortest representation that round-trips; integral values print without a fraction.
  void Double(double v) {
    Sep();
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_->append(buf, r.ptr);
  }
  void Bool(bool v) {
    Sep();
    out_->append(v ? "true" : "false");
  }
  void Null() {
    Sep();
    out_->append("null");
  }
  // Appends already-serialised JSON as one value.
  void Raw(std::string_view json) {
    Sep();
    out_->append(json);
  }

  // Member shorthands.
  void Member(std::string_view k, std::string_view v) {
    Key(k);
    String(v);
  }
  void Member(std::string_view k, const char* v) {
    Key(k);
    String(v);
  }
  void Member(std::string_view k, int64_t v) {
    Key(k);
    Int(v);
  }
  void Member(std::string_view k, int v) {
    Key(k);
    Int(v);
  }
  void Member(std::string_view k, uint64_t v) {
    Key(k);
    Int(static_cast<int64_t>(v));
  }
  void Member(std::string_view k, double v) {
    Key(k);
    Double(v);
  }
  void Member(std::string_view k, bool v) {
    Key(k);
    Bool(v);
  }
  void NullMember(std::string_view k) {
    Key(k);
    Null();
  }

 private:
  void Sep() {
    if (!first_) out_->push_back(',');
    first_ = false;
  }
  void Quote(std::string_view s) {
    out_->push_back('"');
    size_t run = 0;  // start of the pending run of characters that need no escape
    for (size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_->append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"':
          out_->append("\\\"");
          break;
        case '\\':
          out_->append("\\\\");
          break;
        case '\n':
          out_->append("\\n");
          break;
        case '\r':
          out_->append("\\r");
          break;
        case '\t':
          out_->append("\\t");
          break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          out_->append("\\u00");
          out_->push_back(kHex[c >> 4]);
          out_->push_back(kHex[c & 0xf]);
        }
      }
    }
    out_->append(s.data() + run, s.size() - run);
    out_->push_back('"');
  }

  std::string* out_;
  bool first_ = true;
};

}  // namespace govflow::sim
