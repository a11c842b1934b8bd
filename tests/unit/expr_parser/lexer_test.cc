#include "expr/lexer.h"

#include <gtest/gtest.h>

namespace govflow::expr {
namespace {

TEST(LexerTest, EndsWithEof) {
  auto tokens = Tokenize("a + 1");
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_EQ(tokens.back().kind, TokenKind::kEof);
}

}  // namespace
}  // namespace govflow::expr
