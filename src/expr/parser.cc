// Recursive-descent parser for the CEL grammar (cel-spec langdef.md), with macro expansion.
//
// Depth is bounded twice: by the recursion of ParseExpr (parentheses, brackets, arguments) and by
// the depth of the tree being built (operators, member chains), both against
// ParseOptions::max_nesting_depth, capped at kHardNestingCap so that neither the parser nor the
// recursive consumers of the Ast (destructor, checker, interpreter) can exhaust the stack.
#include "expr/parser.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "expr/lexer.h"

namespace govflow::expr {
namespace {

// Keeps a function's locals out of its caller's frame (see ParsePrimary).
#define GOVFLOW_PARSER_NOINLINE __attribute__((noinline))

constexpr int kHardNestingCap = 1000;
// Longest snippet line shown whole in an error message; longer lines are shown as a window
// around the column so that messages stay small for huge one-line inputs.
constexpr size_t kMaxSnippetCodePoints = 200;
constexpr size_t kSnippetContext = 80;
// Longest token text quoted in "mismatched input '...'".
constexpr size_t kMaxQuotedToken = 40;

constexpr const char kExpectingExpression[] =
    "{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, "
    "STRING, BYTES, IDENTIFIER}";

// Byte length of the UTF-8 sequence at s[i] judged from its lead byte, clamped to the input; an
// invalid lead byte counts as one byte.
size_t CodePointLength(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t len = 1;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
  }
  for (size_t k = 1; k < len; ++k) {
    if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  }
  return len;
}

// Truncates `text` to at most `max` code points, adding "..." when cut.
std::string Abbreviate(std::string_view text, size_t max) {
  size_t i = 0;
  size_t count = 0;
  while (i < text.size() && count < max) {
    i += CodePointLength(text, i);
    ++count;
  }
  std::string out(text.substr(0, i));
  if (i < text.size()) out += "...";
  return out;
}

// A subtree and its depth (1 for a leaf). A null `expr` means an error has been recorded.
struct Node {
  ExprPtr expr;
  int depth = 0;
};

class Parser {
 public:
  Parser(std::string_view source, const ParseOptions& options)
      : source_(source),
        options_(options),
        max_depth_(std::clamp(options.max_nesting_depth, 1, kHardNestingCap)) {}

  Result<Ast> Run() {
    tokens_ = Tokenize(source_);
    Node root = ParseExpr();
    if (root.expr && !At(TokenKind::kEof)) {
      ExpectedToken(TokenKind::kEof);
      root.expr.reset();
    }
    if (!root.expr) {
      if (error_.ok()) return Internal("parser failed without reporting an error");
      return std::move(error_);
    }
    Ast ast;
    ast.source = std::string(source_);
    ast.root = std::move(root.expr);
    ast.max_id = next_id_;
    return ast;
  }

 private:
  // ---- tokens and errors ----

  const Token& Cur() const { return tokens_[index_]; }
  const Token& Ahead(size_t k) const { return tokens_[std::min(index_ + k, tokens_.size() - 1)]; }
  bool At(TokenKind kind) const { return Cur().kind == kind; }
  // Never moves past the final kEof / kError token.
  void Advance() {
    if (index_ + 1 < tokens_.size()) ++index_;
  }
  std::string_view TokenText(const Token& t) const {
    return source_.substr(static_cast<size_t>(t.begin), static_cast<size_t>(t.end - t.begin));
  }

  // A grammar or token error: "Syntax error: <what>", as cel-go words them.
  GOVFLOW_PARSER_NOINLINE void SyntaxError(const SourcePosition& position, std::string_view what) {
    std::string message = "Syntax error: ";
    message.append(what);
    ReportError(position, message);
  }

  // An error in well-formed syntax (a literal out of range, a reserved word, a macro's
  // arguments), reported without the "Syntax error: " prefix, as cel-go does.
  GOVFLOW_PARSER_NOINLINE void ReportError(const SourcePosition& position,
                                           std::string_view message) {
    if (!error_.ok()) return;  // keep the first
    error_ = InvalidArgument(FormatSourceError(source_, options_.description, position, message));
  }

  GOVFLOW_PARSER_NOINLINE void LimitError(const SourcePosition& position) {
    if (!error_.ok()) return;
    error_ = ResourceExhausted(
        FormatSourceError(source_, options_.description, position,
                          "expression nesting exceeds the limit of " + std::to_string(max_depth_)));
  }

  static bool CanStartExpression(TokenKind kind) {
    switch (kind) {
      case TokenKind::kLBracket:
      case TokenKind::kLBrace:
      case TokenKind::kLParen:
      case TokenKind::kDot:
      case TokenKind::kMinus:
      case TokenKind::kBang:
      case TokenKind::kTrue:
      case TokenKind::kFalse:
      case TokenKind::kNull:
      case TokenKind::kDouble:
      case TokenKind::kInt:
      case TokenKind::kUint:
      case TokenKind::kString:
      case TokenKind::kBytes:
      case TokenKind::kIdent:
        return true;
      default:
        return false;
    }
  }

  // Reports the current token as unexpected (or its lexical error, when it is one). Worded as
  // ANTLR (and so cel-go) words it: "extraneous input" when the token after it fits
  // (`next_fits`: dropping the one token would let the parse go on), else "mismatched input".
  GOVFLOW_PARSER_NOINLINE void Unexpected(std::string_view expecting, bool next_fits) {
    const Token& t = Cur();
    if (t.kind == TokenKind::kError) {
      SyntaxError(t.position, t.text);
      return;
    }
    std::string what;
    if (t.kind == TokenKind::kEof) {
      what = "mismatched input '<EOF>";
    } else {
      what = next_fits ? "extraneous input '" : "mismatched input '";
      what += Abbreviate(TokenText(t), kMaxQuotedToken);
    }
    what += "' expecting ";
    what.append(expecting);
    SyntaxError(t.position, what);
  }

  static bool IsName(TokenKind kind) {
    return kind == TokenKind::kIdent || kind == TokenKind::kQuotedIdent;
  }

  void ExpectedExpression() { Unexpected(kExpectingExpression, CanStartExpression(Ahead(1).kind)); }

  // Expected exactly `kind` (or, with `alternative`, one of two kinds).
  GOVFLOW_PARSER_NOINLINE void ExpectedToken(TokenKind kind,
                                             TokenKind alternative = TokenKind::kError) {
    std::string spelling;
    if (alternative == TokenKind::kError) {
      spelling = TokenKindSpelling(kind);
    } else {
      spelling = "{";
      spelling.append(TokenKindSpelling(kind));
      spelling += ", ";
      spelling.append(TokenKindSpelling(alternative));
      spelling += "}";
    }
    const TokenKind next = Ahead(1).kind;
    Unexpected(spelling, next == kind || (alternative != TokenKind::kError && next == alternative));
  }

  bool Expect(TokenKind kind) {
    if (At(kind)) {
      Advance();
      return true;
    }
    ExpectedToken(kind);
    return false;
  }

  // After an element of a list, map, message or argument list: ',' or the closing `close`.
  bool ExpectClose(TokenKind close) {
    if (At(close)) {
      Advance();
      return true;
    }
    ExpectedToken(close, TokenKind::kComma);
    return false;
  }

  // ---- node construction ----

  ExprPtr NewExpr(const SourcePosition& position) {
    auto e = std::make_unique<Expr>();
    e->id = ++next_id_;
    e->position = position;
    return e;
  }

  // Wraps a finished node, enforcing the depth limit.
  GOVFLOW_PARSER_NOINLINE Node Finish(ExprPtr e, int depth) {
    if (depth > max_depth_) {
      LimitError(e->position);
      return {};
    }
    return Node{std::move(e), depth};
  }

  GOVFLOW_PARSER_NOINLINE ExprPtr NewIdent(const SourcePosition& position, std::string name) {
    ExprPtr e = NewExpr(position);
    e->kind = Ident{std::move(name)};
    return e;
  }

  GOVFLOW_PARSER_NOINLINE ExprPtr NewBool(const SourcePosition& position, bool value) {
    ExprPtr e = NewExpr(position);
    Constant c;
    c.kind = Constant::Kind::kBool;
    c.bool_value = value;
    e->kind = std::move(c);
    return e;
  }

  GOVFLOW_PARSER_NOINLINE ExprPtr NewInt(const SourcePosition& position, int64_t value) {
    ExprPtr e = NewExpr(position);
    Constant c;
    c.kind = Constant::Kind::kInt;
    c.int_value = value;
    e->kind = std::move(c);
    return e;
  }

  GOVFLOW_PARSER_NOINLINE ExprPtr NewCall(const SourcePosition& position, std::string function,
                                          ExprPtr target, std::vector<ExprPtr> args) {
    ExprPtr e = NewExpr(position);
    e->kind = Call{std::move(target), std::move(function), std::move(args)};
    return e;
  }

  GOVFLOW_PARSER_NOINLINE ExprPtr NewCall(const SourcePosition& position, std::string function,
                                          ExprPtr a) {
    std::vector<ExprPtr> args;
    args.push_back(std::move(a));
    return NewCall(position, std::move(function), nullptr, std::move(args));
  }

  GOVFLOW_PARSER_NOINLINE ExprPtr NewCall(const SourcePosition& position, std::string function,
                                          ExprPtr a, ExprPtr b) {
    std::vector<ExprPtr> args;
    args.reserve(2);
    args.push_back(std::move(a));
    args.push_back(std::move(b));
    return NewCall(position, std::move(function), nullptr, std::move(args));
  }

  GOVFLOW_PARSER_NOINLINE ExprPtr NewCall(const SourcePosition& position, std::string function,
                                          ExprPtr a, ExprPtr b, ExprPtr c) {
    std::vector<ExprPtr> args;
    args.reserve(3);
    args.push_back(std::move(a));
    args.push_back(std::move(b));
    args.push_back(std::move(c));
    return NewCall(position, std::move(function), nullptr, std::move(args));
  }

  GOVFLOW_PARSER_NOINLINE Node Binary(const SourcePosition& position, const char* function,
                                      Node lhs, Node rhs) {
    const int depth = 1 + std::max(lhs.depth, rhs.depth);
    return Finish(NewCall(position, function, std::move(lhs.expr), std::move(rhs.expr)), depth);
  }

  // ---- grammar ----

  // expr: conditionalOr ('?' conditionalOr ':' expr)?
  Node ParseExpr() {
    if (++recursion_ > max_depth_) {
      LimitError(Cur().position);
      return {};
    }
    Node result = ParseConditional();
    --recursion_;
    return result;
  }

  Node ParseConditional() {
    Node cond = ParseBinary(1);
    if (!cond.expr || !At(TokenKind::kQuestion)) return cond;
    const SourcePosition position = Cur().position;
    Advance();
    Node then_branch = ParseBinary(1);
    if (!then_branch.expr) return {};
    if (!Expect(TokenKind::kColon)) return {};
    Node else_branch = ParseExpr();
    if (!else_branch.expr) return {};
    const int depth = 1 + std::max({cond.depth, then_branch.depth, else_branch.depth});
    return Finish(NewCall(position, "_?_:_", std::move(cond.expr), std::move(then_branch.expr),
                          std::move(else_branch.expr)),
                  depth);
  }

  // Binary operator precedence, loosest first; 0 for tokens that are not binary operators.
  static int Precedence(TokenKind kind) {
    switch (kind) {
      case TokenKind::kOrOr:
        return 1;
      case TokenKind::kAndAnd:
        return 2;
      case TokenKind::kLess:
      case TokenKind::kLessEq:
      case TokenKind::kGreater:
      case TokenKind::kGreaterEq:
      case TokenKind::kEqEq:
      case TokenKind::kNotEq:
      case TokenKind::kIn:
        return 3;
      case TokenKind::kPlus:
      case TokenKind::kMinus:
        return 4;
      case TokenKind::kStar:
      case TokenKind::kSlash:
      case TokenKind::kPercent:
        return 5;
      default:
        return 0;
    }
  }

  static const char* BinaryFunction(TokenKind kind) {
    switch (kind) {
      case TokenKind::kLess:
        return "_<_";
      case TokenKind::kLessEq:
        return "_<=_";
      case TokenKind::kGreater:
        return "_>_";
      case TokenKind::kGreaterEq:
        return "_>=_";
      case TokenKind::kEqEq:
        return "_==_";
      case TokenKind::kNotEq:
        return "_!=_";
      case TokenKind::kIn:
        return "@in";
      case TokenKind::kPlus:
        return "_+_";
      case TokenKind::kMinus:
        return "_-_";
      case TokenKind::kStar:
        return "_*_";
      case TokenKind::kSlash:
        return "_/_";
      case TokenKind::kPercent:
        return "_%_";
      default:
        return "";
    }
  }

  // Precedence climbing over the left-associative binary operators: a flat expression is parsed
  // in one frame, and recursion is bounded by the number of precedence levels.
  Node ParseBinary(int min_precedence) {
    Node lhs = ParseUnary();
    while (lhs.expr) {
      const int precedence = Precedence(Cur().kind);
      if (precedence == 0 || precedence < min_precedence) break;
      if (precedence <= 2) {
        lhs = ParseLogicalChain(std::move(lhs), precedence);
        continue;
      }
      lhs = ParseBinaryOperand(std::move(lhs), precedence);
    }
    return lhs;
  }

  // At a binary operator of `precedence`: parses its right operand and combines.
  GOVFLOW_PARSER_NOINLINE Node ParseBinaryOperand(Node lhs, int precedence) {
    const TokenKind op = Cur().kind;
    const SourcePosition position = Cur().position;
    Advance();
    Node rhs = ParseBinary(precedence + 1);
    if (!rhs.expr) return {};
    return Binary(position, BinaryFunction(op), std::move(lhs), std::move(rhs));
  }

  // Chains of || and && are built as balanced trees (as cel-go does), so that long
  // conjunctions stay shallow.
  GOVFLOW_PARSER_NOINLINE Node ParseLogicalChain(Node first, int precedence) {
    const TokenKind op = precedence == 1 ? TokenKind::kOrOr : TokenKind::kAndAnd;
    const char* function = precedence == 1 ? "_||_" : "_&&_";
    std::vector<Node> terms;
    std::vector<SourcePosition> ops;
    terms.push_back(std::move(first));
    while (At(op)) {
      ops.push_back(Cur().position);
      Advance();
      Node next = ParseBinary(precedence + 1);
      if (!next.expr) return {};
      terms.push_back(std::move(next));
    }
    return Balance(function, terms, ops, 0, ops.size() - 1);
  }

  GOVFLOW_PARSER_NOINLINE Node Balance(const char* function, std::vector<Node>& terms,
                                       const std::vector<SourcePosition>& ops, size_t lo,
                                       size_t hi) {
    const size_t mid = (lo + hi + 1) / 2;
    Node left = mid == lo ? std::move(terms[mid]) : Balance(function, terms, ops, lo, mid - 1);
    if (!left.expr) return {};
    Node right = mid == hi ? std::move(terms[mid + 1]) : Balance(function, terms, ops, mid + 1, hi);
    if (!right.expr) return {};
    return Binary(ops[mid], function, std::move(left), std::move(right));
  }

  // unary: member | ('!' | '-')+ member. Iterative, so that long runs of operators cannot
  // recurse. A '-' directly before a numeric literal is part of the literal (as in the CEL
  // grammar), which is how -9223372036854775808 denotes INT64_MIN.
  Node ParseUnary() {
    if (!At(TokenKind::kBang) && !At(TokenKind::kMinus)) return ParseMember(false);
    return ParseUnaryOperators();
  }

  GOVFLOW_PARSER_NOINLINE Node ParseUnaryOperators() {
    std::vector<std::pair<bool, SourcePosition>> ops;  // (is_not, position)
    while (At(TokenKind::kBang) || At(TokenKind::kMinus)) {
      ops.emplace_back(At(TokenKind::kBang), Cur().position);
      if (static_cast<int>(ops.size()) > max_depth_) {
        LimitError(Cur().position);
        return {};
      }
      Advance();
    }
    bool negate_literal = false;
    if (!ops.back().first && (At(TokenKind::kInt) || At(TokenKind::kDouble))) {
      negate_literal = true;
      ops.pop_back();
    }
    Node operand = ParseMember(negate_literal);
    for (auto it = ops.rbegin(); operand.expr && it != ops.rend(); ++it) {
      const int depth = operand.depth + 1;
      operand =
          Finish(NewCall(it->second, it->first ? "!_" : "-_", std::move(operand.expr)), depth);
    }
    return operand;
  }

  // member: primary ('.' '?'? IDENT ('(' args ')')? | '[' '?'? expr ']')*
  Node ParseMember(bool negate_literal) {
    Node node = negate_literal ? ParseNegativeLiteral() : ParsePrimary();
    while (node.expr) {
      if (At(TokenKind::kDot)) {
        node = ParseSelectSuffix(std::move(node));
      } else if (At(TokenKind::kLBracket)) {
        node = ParseIndexSuffix(std::move(node));
      } else {
        break;
      }
    }
    return node;
  }

  // At '.': `.field`, `.?field`, `.method(args)`.
  GOVFLOW_PARSER_NOINLINE Node ParseSelectSuffix(Node operand) {
    const SourcePosition dot = Cur().position;
    Advance();
    bool optional = false;
    if (At(TokenKind::kQuestion)) {
      optional = true;
      Advance();
    }
    if (!At(TokenKind::kIdent) && !At(TokenKind::kQuotedIdent)) {
      Unexpected("{IDENTIFIER, ESC_IDENTIFIER}", IsName(Ahead(1).kind));
      return {};
    }
    const bool quoted = At(TokenKind::kQuotedIdent);
    std::string field = quoted ? std::move(tokens_[index_].text) : std::string(TokenText(Cur()));
    Advance();
    if (!quoted && !optional && At(TokenKind::kLParen)) {
      return ParseCallRest(std::move(operand), std::move(field));
    }
    const int depth = operand.depth + 1;
    if (optional) {
      ExprPtr name = NewExpr(dot);
      Constant c;
      c.kind = Constant::Kind::kString;
      c.string_value = std::move(field);
      name->kind = std::move(c);
      return Finish(NewCall(dot, "_?._", std::move(operand.expr), std::move(name)), depth);
    }
    ExprPtr e = NewExpr(dot);
    e->kind = Select{std::move(operand.expr), std::move(field), false};
    return Finish(std::move(e), depth);
  }

  // At '[': `[index]`, `[?index]`.
  GOVFLOW_PARSER_NOINLINE Node ParseIndexSuffix(Node operand) {
    const SourcePosition open = Cur().position;
    Advance();
    bool optional = false;
    if (At(TokenKind::kQuestion)) {
      optional = true;
      Advance();
    }
    Node index = ParseExpr();
    if (!index.expr) return {};
    if (!Expect(TokenKind::kRBracket)) return {};
    return Binary(open, optional ? "_[?_]" : "_[_]", std::move(operand), std::move(index));
  }

  GOVFLOW_PARSER_NOINLINE Node ParseNegativeLiteral() {
    const Token& t = Cur();
    // The position of the literal is that of its '-' sign, one token back.
    const SourcePosition position = tokens_[index_ - 1].position;
    if (t.int_overflow ||
        (t.kind == TokenKind::kInt && t.magnitude > static_cast<uint64_t>(INT64_MAX) + 1)) {
      ReportError(position,
                  t.kind == TokenKind::kInt ? "invalid int literal" : "invalid double literal");
      return {};
    }
    ExprPtr e = NewExpr(position);
    Constant c;
    if (t.kind == TokenKind::kInt) {
      c.kind = Constant::Kind::kInt;
      c.int_value = static_cast<int64_t>(0 - t.magnitude);  // wraps to INT64_MIN for 2^63
    } else {
      c.kind = Constant::Kind::kDouble;
      c.double_value = -t.double_value;
    }
    e->kind = std::move(c);
    Advance();
    return Node{std::move(e), 1};
  }

  // After `target.name` with the current token '('.
  GOVFLOW_PARSER_NOINLINE Node ParseCallRest(Node target, std::string name) {
    const SourcePosition open = Cur().position;
    std::vector<Node> args;
    if (!ParseArgs(args)) return {};
    return MakeCall(open, std::move(target), std::move(name), std::move(args));
  }

  // '(' [expr (',' expr)* ','?] ')'
  GOVFLOW_PARSER_NOINLINE bool ParseArgs(std::vector<Node>& args) {
    if (!Expect(TokenKind::kLParen)) return false;
    while (!At(TokenKind::kRParen)) {
      Node arg = ParseExpr();
      if (!arg.expr) return false;
      args.push_back(std::move(arg));
      if (!At(TokenKind::kComma)) break;
      Advance();
    }
    return ExpectClose(TokenKind::kRParen);
  }

  // Dispatches on the first token. Kept small: every alternative is its own (non-inlined)
  // function, so that only the frame of the one taken sits on the recursion path.
  Node ParsePrimary() {
    switch (Cur().kind) {
      case TokenKind::kDot:
      case TokenKind::kIdent:
        return ParseIdentOrCallOrMessage();
      case TokenKind::kLParen:
        return ParseParenthesized();
      case TokenKind::kLBracket:
        return ParseList();
      case TokenKind::kLBrace:
        return ParseMap();
      case TokenKind::kInt:
        return ParseIntLiteral();
      case TokenKind::kUint:
        return Literal(Constant::Kind::kUint);
      case TokenKind::kDouble:
        return Literal(Constant::Kind::kDouble);
      case TokenKind::kString:
        return Literal(Constant::Kind::kString);
      case TokenKind::kBytes:
        return Literal(Constant::Kind::kBytes);
      case TokenKind::kTrue:
      case TokenKind::kFalse:
        return Literal(Constant::Kind::kBool);
      case TokenKind::kNull:
        return Literal(Constant::Kind::kNull);
      default:
        ExpectedExpression();
        return {};
    }
  }

  GOVFLOW_PARSER_NOINLINE Node ParseParenthesized() {
    Advance();
    Node inner = ParseExpr();
    if (!inner.expr) return {};
    if (!Expect(TokenKind::kRParen)) return {};
    return inner;
  }

  GOVFLOW_PARSER_NOINLINE Node ParseIntLiteral() {
    const Token& t = Cur();
    if (t.int_overflow || t.magnitude > static_cast<uint64_t>(INT64_MAX)) {
      ReportError(t.position, "invalid int literal");
      return {};
    }
    ExprPtr e = NewInt(t.position, static_cast<int64_t>(t.magnitude));
    Advance();
    return Node{std::move(e), 1};
  }

  GOVFLOW_PARSER_NOINLINE Node Literal(Constant::Kind kind) {
    Token& t = tokens_[index_];
    if (t.int_overflow) {  // set for out-of-range uint and double literals
      ReportError(t.position, kind == Constant::Kind::kUint ? "invalid uint literal"
                                                            : "invalid double literal");
      return {};
    }
    ExprPtr e = NewExpr(t.position);
    Constant c;
    c.kind = kind;
    switch (kind) {
      case Constant::Kind::kBool:
        c.bool_value = t.kind == TokenKind::kTrue;
        break;
      case Constant::Kind::kUint:
        c.uint_value = t.magnitude;
        break;
      case Constant::Kind::kDouble:
        c.double_value = t.double_value;
        break;
      case Constant::Kind::kString:
      case Constant::Kind::kBytes:
        c.string_value = std::move(t.text);
        break;
      default:
        break;
    }
    e->kind = std::move(c);
    Advance();
    return Node{std::move(e), 1};
  }

  // '.'? IDENT ('(' args ')')?  |  '.'? IDENT ('.' IDENT)* '{' fieldInits '}'
  GOVFLOW_PARSER_NOINLINE Node ParseIdentOrCallOrMessage() {
    const SourcePosition start = Cur().position;
    std::string name;
    if (At(TokenKind::kDot)) {
      name = ".";
      Advance();
      if (!At(TokenKind::kIdent)) {
        Unexpected("IDENTIFIER", Ahead(1).kind == TokenKind::kIdent);
        return {};
      }
    }
    // A dotted name followed by '{' is a message construction.
    size_t k = 0;
    while (Ahead(k + 1).kind == TokenKind::kDot && Ahead(k + 2).kind == TokenKind::kIdent) k += 2;
    if (Ahead(k + 1).kind == TokenKind::kLBrace) {
      for (size_t i = 0; i <= k; ++i) {
        name.append(TokenText(Cur()));
        Advance();
      }
      return ParseMessage(std::move(name));
    }
    const std::string_view word = TokenText(Cur());
    if (IsReservedWord(word)) {
      ReportError(Cur().position, "reserved identifier: " + std::string(word));
      return {};
    }
    name.append(word);
    Advance();
    if (At(TokenKind::kLParen)) {
      const SourcePosition open = Cur().position;
      std::vector<Node> args;
      if (!ParseArgs(args)) return {};
      return MakeCall(open, Node{}, std::move(name), std::move(args));
    }
    return Node{NewIdent(start, std::move(name)), 1};
  }

  // '[' [ '?'? expr (',' '?'? expr)* ] ','? ']'
  GOVFLOW_PARSER_NOINLINE Node ParseList() {
    const SourcePosition open = Cur().position;
    Advance();
    CreateList list;
    int depth = 0;
    while (!At(TokenKind::kRBracket)) {
      if (At(TokenKind::kComma) && list.elements.empty()) {  // `[,]` as the grammar allows
        Advance();
        break;
      }
      if (At(TokenKind::kQuestion)) {
        list.optional_indices.push_back(static_cast<int32_t>(list.elements.size()));
        Advance();
      }
      Node element = ParseExpr();
      if (!element.expr) return {};
      depth = std::max(depth, element.depth);
      list.elements.push_back(std::move(element.expr));
      if (!At(TokenKind::kComma)) break;
      Advance();
    }
    if (!ExpectClose(TokenKind::kRBracket)) return {};
    ExprPtr e = NewExpr(open);
    e->kind = std::move(list);
    return Finish(std::move(e), depth + 1);
  }

  // '{' [ '?'? expr ':' expr (',' ...)* ] ','? '}'
  GOVFLOW_PARSER_NOINLINE Node ParseMap() {
    const SourcePosition open = Cur().position;
    Advance();
    CreateStruct map;
    int depth = 0;
    while (!At(TokenKind::kRBrace)) {
      if (At(TokenKind::kComma) && map.entries.empty()) {
        Advance();
        break;
      }
      CreateStruct::Entry entry;
      if (At(TokenKind::kQuestion)) {
        entry.optional = true;
        Advance();
      }
      Node key = ParseExpr();
      if (!key.expr) return {};
      entry.id = ++next_id_;
      if (!Expect(TokenKind::kColon)) return {};
      Node value = ParseExpr();
      if (!value.expr) return {};
      depth = std::max({depth, key.depth, value.depth});
      entry.key = std::move(key.expr);
      entry.value = std::move(value.expr);
      map.entries.push_back(std::move(entry));
      if (!At(TokenKind::kComma)) break;
      Advance();
    }
    if (!ExpectClose(TokenKind::kRBrace)) return {};
    ExprPtr e = NewExpr(open);
    e->kind = std::move(map);
    return Finish(std::move(e), depth + 1);
  }

  // At '{' after a message name: [ '?'? field ':' expr (',' ...)* ] ','? '}'
  GOVFLOW_PARSER_NOINLINE Node ParseMessage(std::string name) {
    const SourcePosition open = Cur().position;
    Advance();
    CreateStruct message;
    message.message_name = std::move(name);
    int depth = 0;
    while (!At(TokenKind::kRBrace)) {
      if (At(TokenKind::kComma) && message.entries.empty()) {
        Advance();
        break;
      }
      CreateStruct::Entry entry;
      if (At(TokenKind::kQuestion)) {
        entry.optional = true;
        Advance();
      }
      if (At(TokenKind::kIdent)) {
        entry.field = std::string(TokenText(Cur()));
      } else if (At(TokenKind::kQuotedIdent)) {
        entry.field = std::move(tokens_[index_].text);
      } else {
        Unexpected("{IDENTIFIER, ESC_IDENTIFIER}", IsName(Ahead(1).kind));
        return {};
      }
      Advance();
      entry.id = ++next_id_;
      if (!Expect(TokenKind::kColon)) return {};
      Node value = ParseExpr();
      if (!value.expr) return {};
      depth = std::max(depth, value.depth);
      entry.value = std::move(value.expr);
      message.entries.push_back(std::move(entry));
      if (!At(TokenKind::kComma)) break;
      Advance();
    }
    if (!ExpectClose(TokenKind::kRBrace)) return {};
    ExprPtr e = NewExpr(open);
    e->kind = std::move(message);
    return Finish(std::move(e), depth + 1);
  }

  // ---- calls and macros ----

  // A global (target.expr == null) or receiver call, expanded when it is a macro.
  GOVFLOW_PARSER_NOINLINE Node MakeCall(const SourcePosition& position, Node target,
                                        std::string name, std::vector<Node> args) {
    if (options_.enable_macros) {
      bool expanded = false;
      Node macro = TryExpandMacro(position, target, name, args, expanded);
      if (expanded || !error_.ok()) return macro;
    }
    int depth = target.expr ? target.depth : 0;
    std::vector<ExprPtr> arg_exprs;
    arg_exprs.reserve(args.size());
    for (Node& arg : args) {
      depth = std::max(depth, arg.depth);
      arg_exprs.push_back(std::move(arg.expr));
    }
    return Finish(NewCall(position, std::move(name), std::move(target.expr), std::move(arg_exprs)),
                  depth + 1);
  }

  static bool IsIdentNamed(const Node& node, std::string_view name) {
    if (!node.expr) return false;
    const auto* ident = std::get_if<Ident>(&node.expr->kind);
    return ident != nullptr && ident->name == name;
  }

  // The name of a macro's variable argument, or an error when it is not a simple identifier.
  GOVFLOW_PARSER_NOINLINE bool VariableName(const Node& arg, std::string& name) {
    const auto* ident = std::get_if<Ident>(&arg.expr->kind);
    if (ident == nullptr || ident->name.empty() || ident->name[0] == '.') {
      ReportError(arg.expr->position, "argument must be a simple name");
      return false;
    }
    name = ident->name;
    return true;
  }

  ExprPtr Accu(const SourcePosition& position) { return NewIdent(position, kAccumulatorName); }

  ExprPtr NewEmptyList(const SourcePosition& position) {
    ExprPtr e = NewExpr(position);
    e->kind = CreateList{};
    return e;
  }

  ExprPtr NewList1(const SourcePosition& position, ExprPtr element) {
    ExprPtr e = NewExpr(position);
    CreateList list;
    list.elements.push_back(std::move(element));
    e->kind = std::move(list);
    return e;
  }

  GOVFLOW_PARSER_NOINLINE Node NewComprehension(const SourcePosition& position, int depth,
                                                std::string iter_var, std::string iter_var2,
                                                ExprPtr range, std::string accu_var, ExprPtr init,
                                                ExprPtr condition, ExprPtr step, ExprPtr result) {
    ExprPtr e = NewExpr(position);
    Comprehension c;
    c.iter_var = std::move(iter_var);
    c.iter_var2 = std::move(iter_var2);
    c.iter_range = std::move(range);
    c.accu_var = std::move(accu_var);
    c.accu_init = std::move(init);
    c.loop_condition = std::move(condition);
    c.loop_step = std::move(step);
    c.result = std::move(result);
    e->kind = std::move(c);
    return Finish(std::move(e), depth);
  }

  enum class Quantifier { kAll, kExists, kExistsOne };

  // Sets `expanded` when `name` with these arguments is a macro; returns the expansion (or a
  // null Node with the error recorded when the macro's arguments are invalid).
  GOVFLOW_PARSER_NOINLINE Node TryExpandMacro(const SourcePosition& pos, Node& target,
                                              const std::string& name, std::vector<Node>& args,
                                              bool& expanded) {
    const size_t n = args.size();
    expanded = true;
    if (!target.expr) {
      if (name == "has" && n == 1) return ExpandHas(pos, std::move(args[0]));
      expanded = false;
      return {};
    }
    if (IsIdentNamed(target, "cel")) {
      if (name == "bind" && n == 3) return ExpandBind(pos, args);
      if (name == "block" && n == 2) return ExpandBlock(pos, args);
      if (name == "index" && n == 1) return ExpandBlockIndex(pos, args);
      if ((name == "iterVar" || name == "accuVar") && n == 2) {
        return ExpandBlockVariable(pos, name == "iterVar" ? "@it:" : "@ac:", args);
      }
    }
    if (n == 2) {
      if (name == "all") return ExpandQuantifier(pos, Quantifier::kAll, target, args);
      if (name == "exists") return ExpandQuantifier(pos, Quantifier::kExists, target, args);
      if (name == "exists_one") {
        return ExpandQuantifier(pos, Quantifier::kExistsOne, target, args);
      }
      if (name == "map") return ExpandMap(pos, target, args);
      if (name == "filter") return ExpandFilter(pos, target, args);
    } else if (n == 3) {
      if (name == "all") return ExpandQuantifier(pos, Quantifier::kAll, target, args);
      if (name == "exists") return ExpandQuantifier(pos, Quantifier::kExists, target, args);
      if (name == "exists_one" || name == "existsOne") {
        return ExpandQuantifier(pos, Quantifier::kExistsOne, target, args);
      }
      if (name == "map") return ExpandMap(pos, target, args);
      if (name == "transformList") return ExpandTransformList(pos, target, args);
      if (name == "transformMap") return ExpandTransformMap(pos, target, args, false);
      if (name == "transformMapEntry") return ExpandTransformMap(pos, target, args, true);
    } else if (n == 4) {
      if (name == "transformList") return ExpandTransformList(pos, target, args);
      if (name == "transformMap") return ExpandTransformMap(pos, target, args, false);
      if (name == "transformMapEntry") return ExpandTransformMap(pos, target, args, true);
    }
    expanded = false;
    return {};
  }

  // has(a.b) -> Select(a, b, test_only)
  GOVFLOW_PARSER_NOINLINE Node ExpandHas(const SourcePosition& pos, Node arg) {
    auto* select = std::get_if<Select>(&arg.expr->kind);
    if (select == nullptr || select->test_only) {
      ReportError(arg.expr->position, "invalid argument to has() macro");
      return {};
    }
    ExprPtr e = NewExpr(pos);
    e->kind = Select{std::move(select->operand), std::move(select->field), true};
    return Finish(std::move(e), arg.depth);
  }

  // Reads the one or two variable names of a comprehension macro (all but the last
  // `body_args` arguments) and checks that they are distinct.
  GOVFLOW_PARSER_NOINLINE bool MacroVariables(const std::vector<Node>& args, size_t count,
                                              std::string& v1, std::string& v2) {
    if (!VariableName(args[0], v1)) return false;
    if (count == 2) {
      if (!VariableName(args[1], v2)) return false;
      if (v1 == v2) {
        ReportError(args[1].expr->position, "duplicate variable name: " + v2);
        return false;
      }
    }
    return true;
  }

  // all / exists / exists_one with one variable (2 args) or two variables (3 args).
  GOVFLOW_PARSER_NOINLINE Node ExpandQuantifier(const SourcePosition& pos, Quantifier kind,
                                                Node& target, std::vector<Node>& args) {
    const size_t vars = args.size() - 1;
    std::string v1;
    std::string v2;
    if (!MacroVariables(args, vars, v1, v2)) return {};
    Node& predicate = args.back();
    const int depth = 1 + std::max(target.depth, predicate.depth + 3);
    ExprPtr init;
    ExprPtr condition;
    ExprPtr step;
    ExprPtr result;
    switch (kind) {
      case Quantifier::kAll:
        init = NewBool(pos, true);
        condition = NewCall(pos, "@not_strictly_false", Accu(pos));
        step = NewCall(pos, "_&&_", Accu(pos), std::move(predicate.expr));
        result = Accu(pos);
        break;
      case Quantifier::kExists:
        init = NewBool(pos, false);
        condition = NewCall(pos, "@not_strictly_false", NewCall(pos, "!_", Accu(pos)));
        step = NewCall(pos, "_||_", Accu(pos), std::move(predicate.expr));
        result = Accu(pos);
        break;
      case Quantifier::kExistsOne:
        init = NewInt(pos, 0);
        condition = NewBool(pos, true);
        step = NewCall(pos, "_?_:_", std::move(predicate.expr),
                       NewCall(pos, "_+_", Accu(pos), NewInt(pos, 1)), Accu(pos));
        result = NewCall(pos, "_==_", Accu(pos), NewInt(pos, 1));
        break;
    }
    return NewComprehension(pos, depth, std::move(v1), std::move(v2), std::move(target.expr),
                            kAccumulatorName, std::move(init), std::move(condition),
                            std::move(step), std::move(result));
  }

  // e.map(x, f) and e.map(x, p, f)
  GOVFLOW_PARSER_NOINLINE Node ExpandMap(const SourcePosition& pos, Node& target,
                                         std::vector<Node>& args) {
    std::string v;
    std::string unused;
    if (!MacroVariables(args, 1, v, unused)) return {};
    const bool filtered = args.size() == 3;
    Node& fn = args.back();
    int depth = fn.depth + 4;
    ExprPtr step = NewCall(pos, "_+_", Accu(pos), NewList1(pos, std::move(fn.expr)));
    if (filtered) {
      depth = std::max(depth, args[1].depth + 2);
      step = NewCall(pos, "_?_:_", std::move(args[1].expr), std::move(step), Accu(pos));
    }
    return NewComprehension(pos, 1 + std::max(target.depth, depth), std::move(v), "",
                            std::move(target.expr), kAccumulatorName, NewEmptyList(pos),
                            NewBool(pos, true), std::move(step), Accu(pos));
  }

  // e.filter(x, p)
  GOVFLOW_PARSER_NOINLINE Node ExpandFilter(const SourcePosition& pos, Node& target,
                                            std::vector<Node>& args) {
    std::string v;
    std::string unused;
    if (!MacroVariables(args, 1, v, unused)) return {};
    const int depth = 1 + std::max(target.depth, args[1].depth + 4);
    ExprPtr element = NewIdent(args[0].expr->position, v);
    ExprPtr step =
        NewCall(pos, "_?_:_", std::move(args[1].expr),
                NewCall(pos, "_+_", Accu(pos), NewList1(pos, std::move(element))), Accu(pos));
    return NewComprehension(pos, depth, std::move(v), "", std::move(target.expr), kAccumulatorName,
                            NewEmptyList(pos), NewBool(pos, true), std::move(step), Accu(pos));
  }

  // e.transformList(i, v, f) and e.transformList(i, v, p, f)
  GOVFLOW_PARSER_NOINLINE Node ExpandTransformList(const SourcePosition& pos, Node& target,
                                                   std::vector<Node>& args) {
    std::string v1;
    std::string v2;
    if (!MacroVariables(args, 2, v1, v2)) return {};
    const bool filtered = args.size() == 4;
    Node& fn = args.back();
    int depth = fn.depth + 4;
    ExprPtr step = NewCall(pos, "_+_", Accu(pos), NewList1(pos, std::move(fn.expr)));
    if (filtered) {
      depth = std::max(depth, args[2].depth + 2);
      step = NewCall(pos, "_?_:_", std::move(args[2].expr), std::move(step), Accu(pos));
    }
    return NewComprehension(pos, 1 + std::max(target.depth, depth), std::move(v1), std::move(v2),
                            std::move(target.expr), kAccumulatorName, NewEmptyList(pos),
                            NewBool(pos, true), std::move(step), Accu(pos));
  }

  // e.transformMap(k, v, f), e.transformMap(k, v, p, f): step cel.@mapInsert(@result, k, f).
  // e.transformMapEntry(k, v, f), (k, v, p, f): step cel.@mapInsert(@result, f), where f
  // yields a one-entry map.
  GOVFLOW_PARSER_NOINLINE Node ExpandTransformMap(const SourcePosition& pos, Node& target,
                                                  std::vector<Node>& args, bool entry) {
    std::string v1;
    std::string v2;
    if (!MacroVariables(args, 2, v1, v2)) return {};
    const bool filtered = args.size() == 4;
    Node& fn = args.back();
    int depth = fn.depth + 3;
    ExprPtr step;
    if (entry) {
      step = NewCall(pos, "cel.@mapInsert", Accu(pos), std::move(fn.expr));
    } else {
      step = NewCall(pos, "cel.@mapInsert", Accu(pos), NewIdent(args[0].expr->position, v1),
                     std::move(fn.expr));
    }
    if (filtered) {
      depth = std::max(depth, args[2].depth + 2);
      step = NewCall(pos, "_?_:_", std::move(args[2].expr), std::move(step), Accu(pos));
    }
    ExprPtr init = NewExpr(pos);
    init->kind = CreateStruct{};
    return NewComprehension(pos, 1 + std::max(target.depth, depth), std::move(v1), std::move(v2),
                            std::move(target.expr), kAccumulatorName, std::move(init),
                            NewBool(pos, true), std::move(step), Accu(pos));
  }

  // cel.bind(var, init, result): a comprehension over an empty list whose accumulator is `var`.
  GOVFLOW_PARSER_NOINLINE Node ExpandBind(const SourcePosition& pos, std::vector<Node>& args) {
    std::string var;
    std::string unused;
    if (!MacroVariables(args, 1, var, unused)) return {};
    const int depth = 1 + std::max(args[1].depth, args[2].depth);
    ExprPtr step = NewIdent(args[0].expr->position, var);
    return NewComprehension(pos, depth, "#unused", "", NewEmptyList(pos), var,
                            std::move(args[1].expr), NewBool(pos, false), std::move(step),
                            std::move(args[2].expr));
  }

  // cel.block([bindings...], result) -> cel.@block([...], result)
  GOVFLOW_PARSER_NOINLINE Node ExpandBlock(const SourcePosition& pos, std::vector<Node>& args) {
    if (!std::holds_alternative<CreateList>(args[0].expr->kind)) {
      ReportError(args[0].expr->position, "cel.block requires the first arg to be a list literal");
      return {};
    }
    const int depth = 1 + std::max(args[0].depth, args[1].depth);
    return Finish(NewCall(pos, "cel.@block", std::move(args[0].expr), std::move(args[1].expr)),
                  depth);
  }

  static bool NonNegativeIntLiteral(const Node& node, int64_t& value) {
    const auto* c = std::get_if<Constant>(&node.expr->kind);
    if (c == nullptr || c->kind != Constant::Kind::kInt || c->int_value < 0) return false;
    value = c->int_value;
    return true;
  }

  // cel.index(N) -> @indexN
  GOVFLOW_PARSER_NOINLINE Node ExpandBlockIndex(const SourcePosition& pos,
                                                std::vector<Node>& args) {
    int64_t index = 0;
    if (!NonNegativeIntLiteral(args[0], index)) {
      ReportError(args[0].expr->position,
                  "cel.index requires a single non-negative int constant arg");
      return {};
    }
    return Node{NewIdent(pos, "@index" + std::to_string(index)), 1};
  }

  // cel.iterVar(N, M) -> @it:N:M, cel.accuVar(N, M) -> @ac:N:M
  GOVFLOW_PARSER_NOINLINE Node ExpandBlockVariable(const SourcePosition& pos, const char* prefix,
                                                   std::vector<Node>& args) {
    int64_t depth = 0;
    int64_t unique = 0;
    if (!NonNegativeIntLiteral(args[0], depth) || !NonNegativeIntLiteral(args[1], unique)) {
      ReportError(pos, std::string(prefix[1] == 'i' ? "cel.iterVar" : "cel.accuVar") +
                           " requires two non-negative int constant args");
      return {};
    }
    return Node{NewIdent(pos, prefix + std::to_string(depth) + ":" + std::to_string(unique)), 1};
  }

  std::string_view source_;
  const ParseOptions& options_;
  const int max_depth_;
  std::vector<Token> tokens_;
  size_t index_ = 0;
  int64_t next_id_ = 0;
  int recursion_ = 0;
  Status error_;
};

}  // namespace

Result<Ast> Parse(std::string_view source, const ParseOptions& options) {
  // Offsets are 32-bit in SourcePosition, which bounds the input whatever the option says.
  const size_t limit = std::min(options.max_expression_length, static_cast<size_t>(INT32_MAX));
  if (source.size() > limit) {
    return ResourceExhausted("expression is " + std::to_string(source.size()) +
                             " bytes, longer than the limit of " + std::to_string(limit));
  }
  return Parser(source, options).Run();
}

std::string FormatSourceError(std::string_view source, std::string_view description,
                              const SourcePosition& position, std::string_view message) {
  std::string out = "ERROR: ";
  out.append(description);
  out += ':';
  out += std::to_string(position.line);
  out += ':';
  out += std::to_string(position.column);
  out += ": ";
  out.append(message);

  // Find the line; without it (a position past the text) there is no snippet.
  if (position.line < 1) return out;
  size_t start = 0;
  for (int32_t line = 1; line < position.line; ++line) {
    const size_t nl = source.find('\n', start);
    if (nl == std::string_view::npos) return out;
    start = nl + 1;
  }
  size_t end = source.find('\n', start);
  if (end == std::string_view::npos) end = source.size();
  const std::string_view line = source.substr(start, end - start);

  // Code point boundaries of the line.
  std::vector<size_t> bounds;
  for (size_t i = 0; i < line.size(); i += CodePointLength(line, i)) bounds.push_back(i);
  bounds.push_back(line.size());
  const size_t count = bounds.size() - 1;
  const size_t column = position.column > 1 ? static_cast<size_t>(position.column - 1) : 0;
  const size_t caret = std::min(column, count);

  size_t first = 0;
  size_t last = count;
  if (count > kMaxSnippetCodePoints) {
    first = caret > kSnippetContext ? caret - kSnippetContext : 0;
    last = std::min(count, first + 2 * kSnippetContext);
  }
  out += "\n | ";
  if (first > 0) out += "...";
  for (size_t k = first; k < last; ++k) {
    const size_t at = bounds[k];
    const auto ch = static_cast<unsigned char>(line[at]);
    if (ch == '\t' || ch == '\r') {
      out += ' ';
    } else if (ch >= 0x80 && bounds[k + 1] - at == 1) {
      out += "\xEF\xBF\xBD";  // not UTF-8: shown as U+FFFD so the message stays valid text
    } else {
      out.append(line.substr(at, bounds[k + 1] - at));
    }
  }
  if (last < count) out += "...";
  out += "\n | ";
  out.append((first > 0 ? 3 : 0) + (caret - first), '.');
  out += '^';
  return out;
}

}  // namespace govflow::expr

#undef GOVFLOW_PARSER_NOINLINE
