#include "expr/lexer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <system_error>

namespace govflow::expr {
namespace {

bool IsDigit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool IsHexDigit(unsigned char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int HexValue(unsigned char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
bool IsIdentStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsIdentPart(unsigned char c) {
  return IsIdentStart(c) || IsDigit(c);
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid UTF-8
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto c0 = static_cast<unsigned char>(s[i]);
  if (c0 < 0x80) return 1;
  size_t len;
  uint32_t min_cp;
  uint32_t cp;
  if ((c0 & 0xE0) == 0xC0) {
    len = 2, min_cp = 0x80, cp = c0 & 0x1F;
  } else if ((c0 & 0xF0) == 0xE0) {
    len = 3, min_cp = 0x800, cp = c0 & 0x0F;
  } else if ((c0 & 0xF8) == 0xF0) {
    len = 4, min_cp = 0x10000, cp = c0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

constexpr std::array<std::string_view, 17> kReservedWords = {
    "as",  "break", "const",   "continue",  "else",   "for", "function", "if",   "import",
    "let", "loop",  "package", "namespace", "return", "var", "void",     "while"};

class Lexer {
 public:
  explicit Lexer(std::string_view source) : src_(source) {}

  std::vector<Token> Run() {
    std::vector<Token> tokens;
    tokens.reserve(src_.size() / 4 + 2);
    for (;;) {
      Token& token = tokens.emplace_back();  // filled in place: no moves of the token
      if (!SkipSpaceAndComments(token)) return tokens;
      token.begin = static_cast<int32_t>(pos_);
      token.position = PositionAt(pos_);
      if (pos_ >= src_.size()) {
        token.kind = TokenKind::kEof;
        token.end = token.begin;
        return tokens;
      }
      LexOne(token);
      token.end = static_cast<int32_t>(pos_);
      if (token.kind == TokenKind::kError) return tokens;
    }
  }

 private:
  unsigned char Peek(size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? static_cast<unsigned char>(src_[pos_ + ahead]) : 0;
  }
  bool AtEnd(size_t ahead = 0) const { return pos_ + ahead >= src_.size(); }

  // Line and column of `offset`, advancing a cursor that only moves forward in the common case
  // so that positions for all tokens cost O(n) in total.
  SourcePosition PositionAt(size_t offset) {
    if (offset < track_offset_) {
      track_offset_ = 0;
      track_line_ = 1;
      track_column_ = 1;
    }
    offset = std::min(offset, src_.size());
    for (const char* p = src_.data() + track_offset_; track_offset_ < offset;
         ++p, ++track_offset_) {
      const auto c = static_cast<unsigned char>(*p);
      if (c == '\n') {
        ++track_line_;
        track_column_ = 1;
      } else {
        track_column_ += (c & 0xC0) != 0x80 ? 1 : 0;  // continuation bytes add no column
      }
    }
    return SourcePosition{static_cast<int32_t>(offset), track_line_, track_column_};
  }

  // Turns `token` into an error located at byte `at` (which may lie inside the token).
  void Fail(Token& token, size_t at, std::string message) {
    token.kind = TokenKind::kError;
    token.begin = static_cast<int32_t>(at);
    token.position = PositionAt(at);
    token.text = std::move(message);
  }

  // At a byte >= 0x80 where UTF-8 text may appear (string literals, comments): the length of its
  // sequence, or 0 after failing `token` when the bytes are not valid UTF-8.
  size_t CheckUtf8(Token& token) {
    const size_t len = Utf8SequenceLength(src_, pos_);
    if (len == 0) Fail(token, pos_, "invalid UTF-8 in source");
    return len;
  }

  // Returns false (with `token` failed) on invalid UTF-8 inside a comment.
  bool SkipSpaceAndComments(Token& token) {
    while (!AtEnd()) {
      const unsigned char c = Peek();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        ++pos_;
      } else if (c == '/' && Peek(1) == '/') {
        while (!AtEnd() && Peek() != '\n') {
          if (Peek() < 0x80) {
            ++pos_;
            continue;
          }
          const size_t len = CheckUtf8(token);
          if (len == 0) return false;
          pos_ += len;
        }
      } else {
        return true;
      }
    }
    return true;
  }

  void LexOne(Token& token) {
    const unsigned char c = Peek();
    if (IsIdentStart(c)) return LexIdentOrPrefixedString(token);
    if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) return LexNumber(token);
    switch (c) {
      case '"':
      case '\'':
        return LexString(token, /*raw=*/false, /*bytes=*/false);
      case '`':
        return LexQuotedIdent(token);
      case '(':
        return Single(token, TokenKind::kLParen);
      case ')':
        return Single(token, TokenKind::kRParen);
      case '[':
        return Single(token, TokenKind::kLBracket);
      case ']':
        return Single(token, TokenKind::kRBracket);
      case '{':
        return Single(token, TokenKind::kLBrace);
      case '}':
        return Single(token, TokenKind::kRBrace);
      case '.':
        return Single(token, TokenKind::kDot);
      case ',':
        return Single(token, TokenKind::kComma);
      case ':':
        return Single(token, TokenKind::kColon);
      case '?':
        return Single(token, TokenKind::kQuestion);
      case '+':
        return Single(token, TokenKind::kPlus);
      case '-':
        return Single(token, TokenKind::kMinus);
      case '*':
        return Single(token, TokenKind::kStar);
      case '/':
        return Single(token, TokenKind::kSlash);
      case '%':
        return Single(token, TokenKind::kPercent);
      case '!':
        if (Peek(1) == '=') return Double(token, TokenKind::kNotEq);
        return Single(token, TokenKind::kBang);
      case '=':
        if (Peek(1) == '=') return Double(token, TokenKind::kEqEq);
        break;
      case '<':
        if (Peek(1) == '=') return Double(token, TokenKind::kLessEq);
        return Single(token, TokenKind::kLess);
      case '>':
        if (Peek(1) == '=') return Double(token, TokenKind::kGreaterEq);
        return Single(token, TokenKind::kGreater);
      case '&':
        if (Peek(1) == '&') return Double(token, TokenKind::kAndAnd);
        break;
      case '|':
        if (Peek(1) == '|') return Double(token, TokenKind::kOrOr);
        break;
      default:
        break;
    }
    if (c >= 0x80 && CheckUtf8(token) == 0) return;
    const size_t len = Utf8SequenceLength(src_, pos_);
    std::string message = "token recognition error at: '";
    message.append(src_.substr(pos_, len));
    message.push_back('\'');
    Fail(token, pos_, std::move(message));
    pos_ += len;
  }

  void Single(Token& token, TokenKind kind) {
    token.kind = kind;
    pos_ += 1;
  }
  void Double(Token& token, TokenKind kind) {
    token.kind = kind;
    pos_ += 2;
  }

  void LexIdentOrPrefixedString(Token& token) {
    const size_t start = pos_;
    while (!AtEnd() && IsIdentPart(Peek())) ++pos_;
    const std::string_view word = src_.substr(start, pos_ - start);
    const unsigned char next = Peek();
    if ((next == '"' || next == '\'') && word.size() <= 2) {
      bool raw = false;
      bool bytes = false;
      bool prefix = true;
      for (char ch : word) {
        if ((ch == 'r' || ch == 'R') && !raw) {
          raw = true;
        } else if ((ch == 'b' || ch == 'B') && !bytes) {
          bytes = true;
        } else {
          prefix = false;
        }
      }
      if (prefix) return LexString(token, raw, bytes);
    }
    if (word == "true") {
      token.kind = TokenKind::kTrue;
    } else if (word == "false") {
      token.kind = TokenKind::kFalse;
    } else if (word == "null") {
      token.kind = TokenKind::kNull;
    } else if (word == "in") {
      token.kind = TokenKind::kIn;
    } else {
      token.kind = TokenKind::kIdent;
    }
  }

  void LexQuotedIdent(Token& token) {
    const size_t start = pos_;
    ++pos_;  // opening backtick
    while (!AtEnd() && Peek() != '`') {
      const unsigned char c = Peek();
      if (!(IsIdentPart(c) || c == '.' || c == '-' || c == '/' || c == ' ')) {
        return Fail(token, pos_, "invalid character in quoted identifier");
      }
      ++pos_;
    }
    if (AtEnd()) return Fail(token, start, "unterminated quoted identifier");
    if (pos_ == start + 1) return Fail(token, start, "empty quoted identifier");
    token.kind = TokenKind::kQuotedIdent;
    token.text.assign(src_.substr(start + 1, pos_ - start - 1));
    ++pos_;  // closing backtick
  }

  void LexNumber(Token& token) {
    const size_t start = pos_;
    if (Peek() == '0' && (Peek(1) == 'x' || Peek(1) == 'X') && IsHexDigit(Peek(2))) {
      pos_ += 2;
      uint64_t value = 0;
      bool overflow = false;
      while (!AtEnd() && IsHexDigit(Peek())) {
        if (value > (UINT64_MAX >> 4)) overflow = true;
        value = (value << 4) | static_cast<uint64_t>(HexValue(Peek()));
        ++pos_;
      }
      return FinishInteger(token, value, overflow);
    }
    bool is_double = false;
    while (!AtEnd() && IsDigit(Peek())) ++pos_;
    if (Peek() == '.' && IsDigit(Peek(1))) {
      is_double = true;
      ++pos_;
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      size_t k = 1;
      if (Peek(k) == '+' || Peek(k) == '-') ++k;
      if (IsDigit(Peek(k))) {
        is_double = true;
        pos_ += k;
        while (!AtEnd() && IsDigit(Peek())) ++pos_;
      }
    }
    if (is_double) {
      token.kind = TokenKind::kDouble;
      const char* first = src_.data() + start;
      const char* last = src_.data() + pos_;
      double value = 0;
      auto [ptr, ec] = std::from_chars(first, last, value);
      if (ec == std::errc::result_out_of_range) {
        // Underflow rounds to zero (as strtod and Go's ParseFloat do); overflow is flagged for
        // the parser to report, as an out-of-range int is.
        const std::string_view text(first, static_cast<size_t>(last - first));
        const size_t e = text.find_first_of("eE");
        if (e != std::string_view::npos && e + 1 < text.size() && text[e + 1] == '-') {
          token.double_value = 0.0;
        } else {
          token.int_overflow = true;
        }
        return;
      }
      if (ec != std::errc() || ptr != last) return Fail(token, start, "invalid double literal");
      if (std::isinf(value)) token.int_overflow = true;  // some exponents overflow without ERANGE
      token.double_value = value;
      return;
    }
    uint64_t value = 0;
    bool overflow = false;
    for (size_t i = start; i < pos_; ++i) {
      const auto digit = static_cast<uint64_t>(src_[i] - '0');
      if (value > (UINT64_MAX - digit) / 10) overflow = true;
      value = value * 10 + digit;
    }
    FinishInteger(token, value, overflow);
  }

  void FinishInteger(Token& token, uint64_t value, bool overflow) {
    token.magnitude = value;
    token.int_overflow = overflow;
    if (Peek() == 'u' || Peek() == 'U') {
      ++pos_;
      token.kind = TokenKind::kUint;
    } else {
      token.kind = TokenKind::kInt;
    }
  }

  // At the opening quote (any r/b prefix already consumed).
  void LexString(Token& token, bool raw, bool bytes) {
    token.kind = bytes ? TokenKind::kBytes : TokenKind::kString;
    const unsigned char quote = Peek();
    const bool triple = Peek(1) == quote && Peek(2) == quote;
    pos_ += triple ? 3 : 1;
    std::string& out = token.text;
    for (;;) {
      if (AtEnd()) {
        return Fail(token, static_cast<size_t>(token.begin),
                    bytes ? "unterminated bytes literal" : "unterminated string literal");
      }
      const unsigned char c = Peek();
      if (c == quote) {
        if (!triple) {
          ++pos_;
          return;
        }
        if (Peek(1) == quote && Peek(2) == quote) {
          pos_ += 3;
          return;
        }
      }
      if (!triple && (c == '\n' || c == '\r')) {
        return Fail(token, static_cast<size_t>(token.begin),
                    bytes ? "unterminated bytes literal" : "unterminated string literal");
      }
      if (c == '\\' && !raw) {
        if (!LexEscape(token, bytes)) return;
        continue;
      }
      if (c >= 0x80) {
        const size_t len = CheckUtf8(token);
        if (len == 0) return;
        out.append(src_.substr(pos_, len));
        pos_ += len;
        continue;
      }
      out.push_back(static_cast<char>(c));
      ++pos_;
    }
  }

  // At a backslash inside a non-raw literal. Appends the decoded value; on error marks the token
  // failed and returns false.
  bool LexEscape(Token& token, bool bytes) {
    const size_t at = pos_;
    std::string& out = token.text;
    if (AtEnd(1)) {
      Fail(token, static_cast<size_t>(token.begin),
           bytes ? "unterminated bytes literal" : "unterminated string literal");
      return false;
    }
    const unsigned char e = Peek(1);
    char simple = 0;
    switch (e) {
      case 'a':
        simple = '\a';
        break;
      case 'b':
        simple = '\b';
        break;
      case 'f':
        simple = '\f';
        break;
      case 'n':
        simple = '\n';
        break;
      case 'r':
        simple = '\r';
        break;
      case 't':
        simple = '\t';
        break;
      case 'v':
        simple = '\v';
        break;
      case '"':
        simple = '"';
        break;
      case '\'':
        simple = '\'';
        break;
      case '\\':
        simple = '\\';
        break;
      case '?':
        simple = '?';
        break;
      case '`':
        simple = '`';
        break;
      default:
        break;
    }
    if (simple != 0) {
      out.push_back(simple);
      pos_ += 2;
      return true;
    }
    if (e == 'x' || e == 'X') {
      if (!IsHexDigit(Peek(2)) || !IsHexDigit(Peek(3))) {
        Fail(token, at, "invalid \\x escape: expected two hex digits");
        return false;
      }
      const uint32_t v = static_cast<uint32_t>(HexValue(Peek(2)) * 16 + HexValue(Peek(3)));
      AppendByteOrCodePoint(v, bytes, out);
      pos_ += 4;
      return true;
    }
    if (e >= '0' && e <= '7') {
      const unsigned char d1 = Peek(2);
      const unsigned char d2 = Peek(3);
      if (e > '3' || d1 < '0' || d1 > '7' || d2 < '0' || d2 > '7') {
        Fail(token, at, "invalid octal escape: expected three octal digits \\000 to \\377");
        return false;
      }
      const uint32_t v = static_cast<uint32_t>((e - '0') * 64 + (d1 - '0') * 8 + (d2 - '0'));
      AppendByteOrCodePoint(v, bytes, out);
      pos_ += 4;
      return true;
    }
    if (e == 'u' || e == 'U') {
      const size_t digits = e == 'u' ? 4 : 8;
      uint32_t cp = 0;
      for (size_t k = 0; k < digits; ++k) {
        const unsigned char h = Peek(2 + k);
        if (!IsHexDigit(h)) {
          Fail(token, at,
               e == 'u' ? "invalid \\u escape: expected four hex digits"
                        : "invalid \\U escape: expected eight hex digits");
          return false;
        }
        if (cp > 0x10FFFF) continue;  // already invalid; keep scanning digits without overflow
        cp = cp * 16 + static_cast<uint32_t>(HexValue(h));
      }
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        Fail(token, at, "invalid unicode code point in escape sequence");
        return false;
      }
      AppendUtf8(cp, out);
      pos_ += 2 + digits;
      return true;
    }
    if (e >= 0x80 && Utf8SequenceLength(src_, pos_ + 1) == 0) {
      Fail(token, pos_ + 1, "invalid UTF-8 in source");
      return false;
    }
    std::string message = "invalid escape sequence '\\";
    const size_t len = Utf8SequenceLength(src_, pos_ + 1);
    message.append(src_.substr(pos_ + 1, len == 0 ? 1 : len));
    message.push_back('\'');
    Fail(token, at, std::move(message));
    return false;
  }

  static void AppendByteOrCodePoint(uint32_t v, bool bytes, std::string& out) {
    if (bytes) {
      out.push_back(static_cast<char>(v));
    } else {
      AppendUtf8(v, out);
    }
  }

  std::string_view src_;
  size_t pos_ = 0;
  size_t track_offset_ = 0;
  int32_t track_line_ = 1;
  int32_t track_column_ = 1;
};

}  // namespace

std::vector<Token> Tokenize(std::string_view source) {
  return Lexer(source).Run();
}

std::string_view TokenKindSpelling(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEof:
      return "<EOF>";
    case TokenKind::kError:
      return "<error>";
    case TokenKind::kIdent:
      return "IDENTIFIER";
    case TokenKind::kQuotedIdent:
      return "ESC_IDENTIFIER";
    case TokenKind::kInt:
      return "NUM_INT";
    case TokenKind::kUint:
      return "NUM_UINT";
    case TokenKind::kDouble:
      return "NUM_FLOAT";
    case TokenKind::kString:
      return "STRING";
    case TokenKind::kBytes:
      return "BYTES";
    case TokenKind::kTrue:
      return "'true'";
    case TokenKind::kFalse:
      return "'false'";
    case TokenKind::kNull:
      return "'null'";
    case TokenKind::kIn:
      return "'in'";
    case TokenKind::kLParen:
      return "'('";
    case TokenKind::kRParen:
      return "')'";
    case TokenKind::kLBracket:
      return "'['";
    case TokenKind::kRBracket:
      return "']'";
    case TokenKind::kLBrace:
      return "'{'";
    case TokenKind::kRBrace:
      return "'}'";
    case TokenKind::kDot:
      return "'.'";
    case TokenKind::kComma:
      return "','";
    case TokenKind::kColon:
      return "':'";
    case TokenKind::kQuestion:
      return "'?'";
    case TokenKind::kPlus:
      return "'+'";
    case TokenKind::kMinus:
      return "'-'";
    case TokenKind::kStar:
      return "'*'";
    case TokenKind::kSlash:
      return "'/'";
    case TokenKind::kPercent:
      return "'%'";
    case TokenKind::kBang:
      return "'!'";
    case TokenKind::kEqEq:
      return "'=='";
    case TokenKind::kNotEq:
      return "'!='";
    case TokenKind::kLess:
      return "'<'";
    case TokenKind::kLessEq:
      return "'<='";
    case TokenKind::kGreater:
      return "'>'";
    case TokenKind::kGreaterEq:
      return "'>='";
    case TokenKind::kAndAnd:
      return "'&&'";
    case TokenKind::kOrOr:
      return "'||'";
  }
  return "?";
}

bool IsReservedWord(std::string_view word) {
  if (word.size() < 2 || word.size() > 9 || word[0] < 'a' || word[0] > 'w') return false;
  for (std::string_view r : kReservedWords) {
    if (r == word) return true;
  }
  return false;
}

}  // namespace govflow::expr
