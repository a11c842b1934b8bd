#include "expr/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace govflow::expr {
namespace {

std::vector<TokenKind> Kinds(std::string_view source) {
  std::vector<TokenKind> kinds;
  for (const Token& t : Tokenize(source)) kinds.push_back(t.kind);
  return kinds;
}

// The single token of `source` (which must lex to one token and EOF, or to an error).
Token One(std::string_view source) {
  std::vector<Token> tokens = Tokenize(source);
  EXPECT_FALSE(tokens.empty());
  if (tokens.size() == 1) return tokens[0];  // an error as the first token
  EXPECT_EQ(tokens.size(), 2u) << source;
  EXPECT_EQ(tokens[1].kind, TokenKind::kEof) << source;
  return tokens[0];
}

std::string DecodedString(std::string_view source) {
  Token t = One(source);
  EXPECT_EQ(t.kind, TokenKind::kString) << source << ": " << t.text;
  return t.text;
}

std::string DecodedBytes(std::string_view source) {
  Token t = One(source);
  EXPECT_EQ(t.kind, TokenKind::kBytes) << source << ": " << t.text;
  return t.text;
}

std::string LexError(std::string_view source) {
  std::vector<Token> tokens = Tokenize(source);
  EXPECT_EQ(tokens.back().kind, TokenKind::kError) << source;
  return tokens.back().text;
}

TEST(LexerTest, EndsWithExactlyOneEof) {
  EXPECT_EQ(Kinds(""), std::vector<TokenKind>{TokenKind::kEof});
  EXPECT_EQ(Kinds("  \t\r\n\f "), std::vector<TokenKind>{TokenKind::kEof});
  EXPECT_EQ(Kinds("a + 1").back(), TokenKind::kEof);
}

TEST(LexerTest, LexesEveryPunctuator) {
  using K = TokenKind;
  EXPECT_EQ(Kinds("( ) [ ] { } . , : ? + - * / % ! == != < <= > >= && ||"),
            (std::vector<K>{K::kLParen,  K::kRParen,    K::kLBracket, K::kRBracket, K::kLBrace,
                            K::kRBrace,  K::kDot,       K::kComma,    K::kColon,    K::kQuestion,
                            K::kPlus,    K::kMinus,     K::kStar,     K::kSlash,    K::kPercent,
                            K::kBang,    K::kEqEq,      K::kNotEq,    K::kLess,     K::kLessEq,
                            K::kGreater, K::kGreaterEq, K::kAndAnd,   K::kOrOr,     K::kEof}));
  // No whitespace needed between operators.
  EXPECT_EQ(Kinds("a<=b"), (std::vector<K>{K::kIdent, K::kLessEq, K::kIdent, K::kEof}));
  EXPECT_EQ(Kinds("a.?b"), (std::vector<K>{K::kIdent, K::kDot, K::kQuestion, K::kIdent, K::kEof}));
}

TEST(LexerTest, RejectsLoneAssignmentAmpersandAndPipe) {
  EXPECT_EQ(LexError("a = b"), "token recognition error at: '='");
  EXPECT_EQ(LexError("a & b"), "token recognition error at: '&'");
  EXPECT_EQ(LexError("a | b"), "token recognition error at: '|'");
  EXPECT_EQ(LexError("a # b"), "token recognition error at: '#'");
  EXPECT_EQ(LexError("a \xc3\xa9"), "token recognition error at: '\xc3\xa9'");
}

TEST(LexerTest, KeywordsAreTokensAndReservedWordsAreIdentifiers) {
  using K = TokenKind;
  EXPECT_EQ(Kinds("true false null in"),
            (std::vector<K>{K::kTrue, K::kFalse, K::kNull, K::kIn, K::kEof}));
  EXPECT_EQ(One("while").kind, K::kIdent);
  EXPECT_EQ(One("inx").kind, K::kIdent);
  EXPECT_EQ(One("_a1").kind, K::kIdent);
  for (const char* word :
       {"as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
        "loop", "package", "namespace", "return", "var", "void", "while"}) {
    EXPECT_TRUE(IsReservedWord(word)) << word;
  }
  EXPECT_FALSE(IsReservedWord("in"));
  EXPECT_FALSE(IsReservedWord("asx"));
  EXPECT_FALSE(IsReservedWord(""));
}

TEST(LexerTest, SkipsLineComments) {
  using K = TokenKind;
  EXPECT_EQ(Kinds("a // comment ) ]\n+ b // trailing"),
            (std::vector<K>{K::kIdent, K::kPlus, K::kIdent, K::kEof}));
  EXPECT_EQ(Kinds("//only"), std::vector<K>{K::kEof});
  // A single slash is division.
  EXPECT_EQ(Kinds("a / b"), (std::vector<K>{K::kIdent, K::kSlash, K::kIdent, K::kEof}));
}

TEST(LexerTest, LexesIntegerLiterals) {
  Token t = One("123");
  EXPECT_EQ(t.kind, TokenKind::kInt);
  EXPECT_EQ(t.magnitude, 123u);
  t = One("0x1F");
  EXPECT_EQ(t.kind, TokenKind::kInt);
  EXPECT_EQ(t.magnitude, 31u);
  t = One("0XfF");
  EXPECT_EQ(t.magnitude, 255u);
  t = One("9223372036854775808");  // fits the magnitude; the parser decides about the sign
  EXPECT_EQ(t.kind, TokenKind::kInt);
  EXPECT_FALSE(t.int_overflow);
  EXPECT_EQ(t.magnitude, 9223372036854775808u);
  t = One("18446744073709551616");
  EXPECT_TRUE(t.int_overflow);
  t = One("0x10000000000000000");
  EXPECT_TRUE(t.int_overflow);
}

TEST(LexerTest, LexesUnsignedLiterals) {
  Token t = One("123u");
  EXPECT_EQ(t.kind, TokenKind::kUint);
  EXPECT_EQ(t.magnitude, 123u);
  t = One("0x1Fu");
  EXPECT_EQ(t.kind, TokenKind::kUint);
  EXPECT_EQ(t.magnitude, 31u);
  t = One("7U");
  EXPECT_EQ(t.kind, TokenKind::kUint);
  t = One("18446744073709551615u");
  EXPECT_FALSE(t.int_overflow);
  EXPECT_EQ(t.magnitude, 18446744073709551615u);
  EXPECT_TRUE(One("18446744073709551616u").int_overflow);
}

TEST(LexerTest, LexesDoubleLiterals) {
  struct Case {
    const char* text;
    double value;
  };
  for (const Case& c :
       {Case{"1.0", 1.0}, Case{"1e3", 1000.0}, Case{".5", 0.5}, Case{"1.5e-3", 0.0015},
        Case{"2E+2", 200.0}, Case{"0.0", 0.0}, Case{"1e-400", 0.0}}) {
    Token t = One(c.text);
    EXPECT_EQ(t.kind, TokenKind::kDouble) << c.text;
    EXPECT_DOUBLE_EQ(t.double_value, c.value) << c.text;
  }
  EXPECT_TRUE(One("1e400").int_overflow);  // reported by the parser
  EXPECT_FALSE(One("1e-400").int_overflow);
  // `1.` is an int followed by a dot (the grammar requires digits after the point), and an
  // exponent without digits is not part of the number.
  EXPECT_EQ(Kinds("1.")[0], TokenKind::kInt);
  EXPECT_EQ(Kinds("1e")[0], TokenKind::kInt);
  EXPECT_EQ(Kinds("1e")[1], TokenKind::kIdent);
}

TEST(LexerTest, DecodesQuotedStrings) {
  EXPECT_EQ(DecodedString("'hello'"), "hello");
  EXPECT_EQ(DecodedString("\"hello\""), "hello");
  EXPECT_EQ(DecodedString("'say \"hi\"'"), "say \"hi\"");
  EXPECT_EQ(DecodedString("''"), "");
  EXPECT_EQ(DecodedString("'caf\xc3\xa9'"), "caf\xc3\xa9");
}

TEST(LexerTest, DecodesTripleQuotedStringsSpanningLines) {
  EXPECT_EQ(DecodedString("'''a\nb'''"), "a\nb");
  EXPECT_EQ(DecodedString("\"\"\"it's \"quoted\" \"\"\""), "it's \"quoted\" ");
  EXPECT_EQ(DecodedString("'''x''y'''"), "x''y");
  EXPECT_EQ(DecodedString("''''''"), "");
}

TEST(LexerTest, DecodesEveryEscape) {
  EXPECT_EQ(DecodedString(R"('\a\b\f\n\r\t\v')"), "\a\b\f\n\r\t\v");
  EXPECT_EQ(DecodedString(R"('\\\'\"\`\?')"), "\\'\"`?");
  EXPECT_EQ(DecodedString(R"('\101\060\000')"), std::string("A0\0", 3));
  EXPECT_EQ(DecodedString(R"('\x41\X4a')"), "AJ");
  EXPECT_EQ(DecodedString(R"('\u00e9\u20AC')"), "\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(DecodedString(R"('\U0001F62C')"), "\xf0\x9f\x98\xac");
  // In strings \x and octal escapes denote code points, so \xff is U+00FF in UTF-8.
  EXPECT_EQ(DecodedString(R"('\xff\377')"), "\xc3\xbf\xc3\xbf");
}

TEST(LexerTest, DecodesBytesEscapesAsRawBytes) {
  EXPECT_EQ(DecodedBytes(R"(b'\xff\000\377')"), std::string("\xff\0\xff", 3));
  EXPECT_EQ(DecodedBytes(R"(B"abc")"), "abc");
  EXPECT_EQ(DecodedBytes(R"(b'\u00e9')"), "\xc3\xa9");  // \u is UTF-8 encoded in bytes
  EXPECT_EQ(DecodedBytes("b'\xc3\xa9'"), "\xc3\xa9");
  EXPECT_EQ(DecodedBytes("b'''a\nb'''"), "a\nb");
}

TEST(LexerTest, KeepsRawStringsVerbatim) {
  EXPECT_EQ(DecodedString(R"(r'\n\x41')"), R"(\n\x41)");
  EXPECT_EQ(DecodedString(R"(R"\'")"), R"(\')");
  EXPECT_EQ(DecodedString("r'''a\\'\nb'''"), "a\\'\nb");
  EXPECT_EQ(DecodedBytes(R"(rb'\xff')"), R"(\xff)");
  EXPECT_EQ(DecodedBytes(R"(BR'\n')"), R"(\n)");
  EXPECT_EQ(DecodedBytes(R"(bR"\u0000")"), R"(\u0000)");
  EXPECT_EQ(DecodedBytes(R"(Rb'x')"), "x");
}

TEST(LexerTest, TreatsOtherPrefixesAsIdentifiers) {
  using K = TokenKind;
  EXPECT_EQ(Kinds("x'a'"), (std::vector<K>{K::kIdent, K::kString, K::kEof}));
  EXPECT_EQ(Kinds("rr'a'"), (std::vector<K>{K::kIdent, K::kString, K::kEof}));
  EXPECT_EQ(Kinds("bb'a'"), (std::vector<K>{K::kIdent, K::kString, K::kEof}));
  EXPECT_EQ(Kinds("r"), (std::vector<K>{K::kIdent, K::kEof}));
}

TEST(LexerTest, RejectsInvalidEscapes) {
  EXPECT_EQ(LexError(R"('\q')"), "invalid escape sequence '\\q'");
  EXPECT_EQ(LexError(R"('\x4')"), "invalid \\x escape: expected two hex digits");
  EXPECT_EQ(LexError(R"('\400')"),
            "invalid octal escape: expected three octal digits \\000 to \\377");
  EXPECT_EQ(LexError(R"('\08')"),
            "invalid octal escape: expected three octal digits \\000 to \\377");
  EXPECT_EQ(LexError(R"('\u12')"), "invalid \\u escape: expected four hex digits");
  EXPECT_EQ(LexError(R"('\U0001F6')"), "invalid \\U escape: expected eight hex digits");
}

TEST(LexerTest, RejectsSurrogatesAndCodePointsBeyondUnicode) {
  EXPECT_EQ(LexError(R"('\uD800')"), "invalid unicode code point in escape sequence");
  EXPECT_EQ(LexError(R"('\udfff')"), "invalid unicode code point in escape sequence");
  EXPECT_EQ(LexError(R"('\U00110000')"), "invalid unicode code point in escape sequence");
  EXPECT_EQ(LexError(R"('\UFFFFFFFF')"), "invalid unicode code point in escape sequence");
  EXPECT_EQ(LexError(R"(b'\uD800')"), "invalid unicode code point in escape sequence");
  EXPECT_EQ(DecodedString(R"('\U0010FFFF')"), "\xf4\x8f\xbf\xbf");
}

TEST(LexerTest, RejectsUnterminatedLiterals) {
  EXPECT_EQ(LexError("'abc"), "unterminated string literal");
  EXPECT_EQ(LexError("'abc\ndef'"), "unterminated string literal");
  EXPECT_EQ(LexError("'abc\rdef'"), "unterminated string literal");
  EXPECT_EQ(LexError("'''abc''"), "unterminated string literal");
  EXPECT_EQ(LexError("'abc\\"), "unterminated string literal");
  EXPECT_EQ(LexError("b'abc"), "unterminated bytes literal");
  EXPECT_EQ(LexError("r'abc"), "unterminated string literal");
  EXPECT_EQ(DecodedString("r'abc\\'"), "abc\\");  // a raw backslash does not escape the quote
}

TEST(LexerTest, LexesQuotedIdentifiers) {
  Token t = One("`content-type`");
  EXPECT_EQ(t.kind, TokenKind::kQuotedIdent);
  EXPECT_EQ(t.text, "content-type");
  EXPECT_EQ(One("`a.b/c d_1`").text, "a.b/c d_1");
  EXPECT_EQ(LexError("`a+b`"), "invalid character in quoted identifier");
  EXPECT_EQ(LexError("`abc"), "unterminated quoted identifier");
  EXPECT_EQ(LexError("``"), "empty quoted identifier");
}

TEST(LexerTest, RejectsInvalidUtf8) {
  std::vector<Token> tokens = Tokenize("'a\xff'");
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].kind, TokenKind::kError);
  EXPECT_EQ(tokens[0].text, "invalid UTF-8 in source");
  EXPECT_EQ(tokens[0].position.offset, 2);
  EXPECT_EQ(LexError("\xed\xa0\x80"), "invalid UTF-8 in source");  // an encoded surrogate
  EXPECT_EQ(LexError("\xc0\xaf"), "invalid UTF-8 in source");      // overlong
  EXPECT_EQ(LexError("\xe2\x82"), "invalid UTF-8 in source");      // truncated
  EXPECT_EQ(LexError("a // comment \xff\n+ b"), "invalid UTF-8 in source");
  EXPECT_EQ(LexError("r'\xfe'"), "invalid UTF-8 in source");
  EXPECT_EQ(LexError("b'\x80'"), "invalid UTF-8 in source");  // raw bytes must use escapes
  EXPECT_EQ(LexError("'\\\xff'"), "invalid UTF-8 in source");
  EXPECT_EQ(LexError("'''\xc3'''"), "invalid UTF-8 in source");
}

TEST(LexerTest, RecordsLinesAndCodePointColumns) {
  std::vector<Token> tokens = Tokenize("a +\n  'caf\xc3\xa9' + b\n\n  c");
  ASSERT_EQ(tokens.size(), 7u);
  EXPECT_EQ(tokens[0].position.line, 1);
  EXPECT_EQ(tokens[0].position.column, 1);
  EXPECT_EQ(tokens[1].position.column, 3);
  EXPECT_EQ(tokens[2].position.line, 2);
  EXPECT_EQ(tokens[2].position.column, 3);
  EXPECT_EQ(tokens[2].position.offset, 6);
  // The 'é' is two bytes but one column.
  EXPECT_EQ(tokens[3].position.column, 10);
  EXPECT_EQ(tokens[3].position.offset, 14);
  EXPECT_EQ(tokens[4].position.column, 12);
  EXPECT_EQ(tokens[5].position.line, 4);
  EXPECT_EQ(tokens[5].position.column, 3);
  EXPECT_EQ(tokens[6].kind, TokenKind::kEof);
}

TEST(LexerTest, StopsAtTheFirstError) {
  std::vector<Token> tokens = Tokenize("a + # + 'unterminated");
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[2].kind, TokenKind::kError);
  EXPECT_EQ(tokens[2].position.column, 5);
}

}  // namespace
}  // namespace govflow::expr
