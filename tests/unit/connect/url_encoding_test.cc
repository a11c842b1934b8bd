#include "connect/http/url_encoding.h"

#include <gtest/gtest.h>

namespace govflow::connect {
namespace {

TEST(UrlEncodingTest, PercentEncodesEverythingButUnreserved) {
  EXPECT_EQ(PercentEncode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(PercentEncode("a b&c=d'e/f?#%+"), "a%20b%26c%3Dd%27e%2Ff%3F%23%25%2B");
  EXPECT_EQ(PercentEncode("\xc3\xa9"), "%C3%A9");
}

TEST(UrlEncodingTest, FormEncodesPairs) {
  EXPECT_EQ(FormEncode({{"grant_type", "client_credentials"}, {"scope", "a b/.default"}}),
            "grant_type=client_credentials&scope=a%20b%2F.default");
}

TEST(UrlEncodingTest, ODataLiteralDoublesSingleQuotes) {
  EXPECT_EQ(ODataStringLiteral("SO-1001"), "'SO-1001'");
  EXPECT_EQ(ODataStringLiteral("O'Brien''s"), "'O''Brien''''s'");
  EXPECT_EQ(ODataStringLiteral(""), "''");
}

}  // namespace
}  // namespace govflow::connect
