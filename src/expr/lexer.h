// The CEL lexer: turns source text into tokens with decoded literal values and source positions.
// Internal to the parser (parser.cc), exposed for its tests. A Lexer is single-use and not
// thread-safe; Tokenize() is a pure function and safe to call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "expr/ast.h"

namespace govflow::expr {

enum class TokenKind : uint8_t {
  kEof,
  kError,  // a lexical error; `text` holds the message (without the "Syntax error: " prefix)
  kIdent,  // letters, digits, '_'; includes reserved words, which the parser rejects where needed
  kQuotedIdent,  // `a-b.c` in backticks; `text` holds the name without the backticks
  kInt,          // `magnitude` holds the value; the sign is applied by the parser
  kUint,
  kDouble,
  kString,  // `text` holds the decoded UTF-8 value
  kBytes,   // `text` holds the decoded raw bytes
  kTrue,
  kFalse,
  kNull,
  kIn,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kLBrace,
  kRBrace,
  kDot,
  kComma,
  kColon,
  kQuestion,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kBang,
  kEqEq,
  kNotEq,
  kLess,
  kLessEq,
  kGreater,
  kGreaterEq,
  kAndAnd,
  kOrOr,
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  // Byte offsets of the token's source text [begin, end). For kError, `begin` and `position` are
  // where the error is, which may be inside the failed token (e.g. a bad escape).
  int32_t begin = 0;
  int32_t end = 0;
  SourcePosition position;  // of `begin`
  // kInt / kUint: the literal's value. int_overflow: it does not fit in 64 bits (for kDouble:
  // it is beyond the range of a double).
  uint64_t magnitude = 0;
  bool int_overflow = false;
  double double_value = 0;  // kDouble
  // kString / kBytes: decoded value; kQuotedIdent: the name; kError: the message.
  // Empty for kIdent (its name is the source text [begin, end)).
  std::string text;
};

// Splits `source` into tokens. The result always ends with exactly one kEof or one kError token
// (lexing stops at the first lexical error, so the parser reports whichever error comes first
// in the text). Skips whitespace (space, \t, \n, \r, \f) and `//` comments. Bytes that are not
// valid UTF-8 are an error wherever they appear.
std::vector<Token> Tokenize(std::string_view source);

// A short human-readable name of a token kind, as used in error messages ("')'", "<EOF>").
std::string_view TokenKindSpelling(TokenKind kind);

// True for the words CEL reserves (as, break, const, ...), which may not be used as identifiers
// in expressions (they are allowed as field names and receiver function names).
bool IsReservedWord(std::string_view word);

}  // namespace govflow::expr
