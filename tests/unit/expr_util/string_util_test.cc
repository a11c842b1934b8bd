#include "expr/string_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace govflow::expr::strutil {
namespace {

using ::std::string_view_literals::operator""sv;

std::vector<std::string> SplitToStrings(std::string_view s, std::string_view sep, int64_t limit) {
  std::vector<std::string_view> parts;
  Split(s, sep, limit, &parts);
  return std::vector<std::string>(parts.begin(), parts.end());
}

using Parts = std::vector<std::string>;

// --- UTF-8 basics.

TEST(Utf8, CountsCodePointsNotBytes) {
  EXPECT_EQ(CodePointCount(""), 0);
  EXPECT_EQ(CodePointCount("four"), 4);
  EXPECT_EQ(CodePointCount("\u00ff"), 1);
  EXPECT_EQ(CodePointCount("\u03c0\u03ad\u03bd\u03c4\u03b5"), 5);  // πέντε
  EXPECT_EQ(CodePointCount("\u4f60\u597d"), 2);                       // 你好
  EXPECT_EQ(CodePointCount("\U0001F431\U0001F600\U0001F61B"), 3);    // 🐱😀😛
  EXPECT_EQ(CodePointCount("a\xff" "b"), 3);  // an invalid byte counts as one
}

TEST(Utf8, ValidatesStrictly) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("h\u00e9llo \u4f60\u597d \U0001F600"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xbf"));
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  EXPECT_TRUE(IsValidUtf8("a\0b"sv));
  EXPECT_FALSE(IsValidUtf8("\x00\xff"sv));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe4\xbd"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
}

// --- strings extension.

TEST(CharAt, IndexesByCodePointAndAllowsTheEnd) {
  EXPECT_EQ(*CharAt("h\u00e9llo", 1), "\u00e9");
  EXPECT_EQ(*CharAt("h\u00e9llo", 2), "l");
  EXPECT_EQ(*CharAt("h\u00e9llo", 5), "");
  EXPECT_EQ(*CharAt("\u4f60\U0001F600x", 1), "\U0001F600");
  Result<std::string_view> r = CharAt("h\u00e9llo", 6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "index out of range: 6");
  EXPECT_EQ(CharAt("abc", -1).status().message(), "index out of range: -1");
}

TEST(IndexOf, FindsByCodePointFromAnOffset) {
  EXPECT_EQ(*IndexOf("hello mellow", "ello"), 1);
  EXPECT_EQ(*IndexOf("hello mellow", "ello", 2), 7);
  EXPECT_EQ(*IndexOf("hello mellow", "jello"), -1);
  EXPECT_EQ(*IndexOf("\u4f60\u597d\u4e16\u754c\u4f60\u597d", "\u4f60\u597d", 1), 4);
  EXPECT_EQ(*IndexOf("\U0001F600a\U0001F600a", "a", 2), 3);
  EXPECT_EQ(*IndexOf("caf\u00e9 ol\u00e9", "\u00e9"), 3);
  EXPECT_EQ(*IndexOf("abc", ""), 0);
  EXPECT_EQ(*IndexOf("abc", "", 2), 2);
  EXPECT_EQ(*IndexOf("abc", "c", 3), -1);
  EXPECT_EQ(*IndexOf("", "a"), -1);
  EXPECT_EQ(IndexOf("abc", "c", 4).status().message(), "index out of range: 4");
  EXPECT_EQ(IndexOf("abc", "c", -1).status().message(), "index out of range: -1");
}

TEST(LastIndexOf, FindsTheLastStartNotAfterTheOffset) {
  EXPECT_EQ(*LastIndexOf("hello mellow", "ello"), 7);
  EXPECT_EQ(*LastIndexOf("hello mellow", "ello", 6), 1);
  EXPECT_EQ(*LastIndexOf("hello mellow", "ello", 7), 7);
  EXPECT_EQ(*LastIndexOf("hello mellow", "ello", 0), -1);
  EXPECT_EQ(*LastIndexOf("abc", ""), 3);
  EXPECT_EQ(*LastIndexOf("abc", "", 1), 1);
  EXPECT_EQ(*LastIndexOf("\u4f60\u597d\u4f60\u597d", "\u4f60\u597d"), 2);
  EXPECT_EQ(*LastIndexOf("\u4f60\u597d\u4f60\u597d", "\u4f60\u597d", 1), 0);
  EXPECT_EQ(*LastIndexOf("", "a"), -1);
  EXPECT_EQ(*LastIndexOf("abcabc", "bc", 100 - 100 + 6), 4);
  EXPECT_EQ(LastIndexOf("abc", "a", 4).status().message(), "index out of range: 4");
  EXPECT_EQ(LastIndexOf("abc", "a", -1).status().message(), "index out of range: -1");
}

TEST(AsciiCase, ChangesOnlyAsciiLetters) {
  EXPECT_EQ(LowerAscii("TacoCat \u00c9T\u00c6"), "tacocat \u00c9t\u00c6");
  EXPECT_EQ(UpperAscii("tacoCat xyz \u00e9"), "TACOCAT XYZ \u00e9");
  EXPECT_EQ(LowerAscii(""), "");
}

TEST(Replace, ReplacesAllOrUpToALimit) {
  EXPECT_EQ(Replace("hello hello", "he", "we"), "wello wello");
  EXPECT_EQ(Replace("hello hello", "he", "we", 1), "wello hello");
  EXPECT_EQ(Replace("hello hello", "he", "we", 0), "hello hello");
  EXPECT_EQ(Replace("hello hello", "he", "we", -1), "wello wello");
  EXPECT_EQ(Replace("hello", "x", "y"), "hello");
  EXPECT_EQ(Replace("\u4f60\u597d\u4f60\u597d", "\u597d", "\u4eec"), "\u4f60\u4eec\u4f60\u4eec");
  EXPECT_EQ(Replace("aaa", "a", ""), "");
}

TEST(Replace, EmptyPatternMatchesBetweenCodePointsAsGoDoes) {
  EXPECT_EQ(Replace("abc", "", "-"), "-a-b-c-");
  EXPECT_EQ(Replace("\u00e9\u4f60", "", "-"), "-\u00e9-\u4f60-");
  EXPECT_EQ(Replace("abc", "", "-", 2), "-a-bc");
  EXPECT_EQ(Replace("", "", "-"), "-");
}

TEST(Split, HonoursLimits) {
  EXPECT_EQ(SplitToStrings("hello hello hello", " ", -1), (Parts{"hello", "hello", "hello"}));
  EXPECT_EQ(SplitToStrings("hello hello hello", " ", 0), Parts{});
  EXPECT_EQ(SplitToStrings("hello hello hello", " ", 1), (Parts{"hello hello hello"}));
  EXPECT_EQ(SplitToStrings("hello hello hello", " ", 2), (Parts{"hello", "hello hello"}));
  EXPECT_EQ(SplitToStrings("hello hello hello", " ", 5), (Parts{"hello", "hello", "hello"}));
  EXPECT_EQ(SplitToStrings("a,b,,c,", ",", -1), (Parts{"a", "b", "", "c", ""}));
  EXPECT_EQ(SplitToStrings("", ",", -1), (Parts{""}));
  EXPECT_EQ(SplitToStrings("a--b--c", "--", -1), (Parts{"a", "b", "c"}));
}

TEST(Split, EmptySeparatorSplitsIntoCodePoints) {
  EXPECT_EQ(SplitToStrings("\u4f60\u597d\U0001F600", "", -1),
            (Parts{"\u4f60", "\u597d", "\U0001F600"}));
  EXPECT_EQ(SplitToStrings("abc", "", 2), (Parts{"a", "bc"}));
  EXPECT_EQ(SplitToStrings("", "", -1), Parts{});
}

TEST(Split, ReturnsViewsIntoTheInputAndClearsTheOutput) {
  std::string s = "x,y";
  std::vector<std::string_view> parts = {"stale"};
  Split(s, ",", -1, &parts);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].data(), s.data());
  EXPECT_EQ(parts[1].data(), s.data() + 2);
}

TEST(Substring, SlicesByCodePoint) {
  EXPECT_EQ(*Substring("tacocat", 4), "cat");
  EXPECT_EQ(*Substring("tacocat", 7), "");
  EXPECT_EQ(*Substring("tacocat", 0, 4), "taco");
  EXPECT_EQ(*Substring("tacocat", 3, 3), "");
  EXPECT_EQ(*Substring("\u4f60\u597d\u4e16\u754c", 1, 3), "\u597d\u4e16");
  EXPECT_EQ(*Substring("ta\u00e9\U0001F600s", 2), "\u00e9\U0001F600s");
}

TEST(Substring, ReportsCelGoErrors) {
  EXPECT_EQ(Substring("tacocat", 8).status().message(), "index out of range: 8");
  EXPECT_EQ(Substring("tacocat", -1).status().message(), "index out of range: -1");
  EXPECT_EQ(Substring("tacocat", 4, 2).status().message(),
            "invalid substring range. start: 4, end: 2");
  EXPECT_EQ(Substring("tacocat", 0, 8).status().message(), "index out of range: 8");
  EXPECT_EQ(Substring("tacocat", -1, 2).status().message(), "index out of range: -1");
}

TEST(Trim, StripsUnicodeWhiteSpaceFromBothEnds) {
  EXPECT_EQ(Trim("  \ttrim\n  "), "trim");
  EXPECT_EQ(Trim("\u00a0\u3000\u2003 hello world \u2028\u0085\u205f"), "hello world");
  EXPECT_EQ(Trim("\v\f\r"), "");
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Trim("\u200bhi\u200b"), "\u200bhi\u200b");  // zero-width space is not White_Space
  EXPECT_EQ(Trim("\ufeffhi"), "\ufeffhi");
  EXPECT_EQ(Trim(" \xff "), "\xff");
}

TEST(Quote, EscapesLikeCelStringLiterals) {
  EXPECT_EQ(Quote("first\nsecond"), "\"first\\nsecond\"");
  EXPECT_EQ(Quote("bell\a\b\f\r\t\v"), "\"bell\\a\\b\\f\\r\\t\\v\"");
  EXPECT_EQ(Quote("back\\slash \"quoted\""), "\"back\\\\slash \\\"quoted\\\"\"");
  EXPECT_EQ(Quote("\u4f60\u597d \U0001F600"), "\"\u4f60\u597d \U0001F600\"");
  EXPECT_EQ(Quote(""), "\"\"");
  EXPECT_EQ(Quote("bad \xff byte"), "\"bad \xef\xbf\xbd byte\"");  // U+FFFD
}

TEST(Reverse, ReversesCodePoints) {
  EXPECT_EQ(Reverse("gums"), "smug");
  EXPECT_EQ(Reverse("\u4f60\u597d\U0001F600"), "\U0001F600\u597d\u4f60");
  EXPECT_EQ(Reverse("caf\u00e9"), "\u00e9fac");
  EXPECT_EQ(Reverse(""), "");
}

// --- Number conversions.

TEST(ParseInt, ParsesDecimalWithSign) {
  EXPECT_EQ(*ParseInt("987"), 987);
  EXPECT_EQ(*ParseInt("-5"), -5);
  EXPECT_EQ(*ParseInt("+7"), 7);
  EXPECT_EQ(*ParseInt("0"), 0);
  EXPECT_EQ(*ParseInt("007"), 7);
  EXPECT_EQ(*ParseInt("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(*ParseInt("-9223372036854775808"), std::numeric_limits<int64_t>::min());
}

TEST(ParseInt, RejectsOverflowAndGarbage) {
  for (std::string_view s : {"9223372036854775808", "-9223372036854775809",
                             "99999999999999999999999999"}) {
    Result<int64_t> r = ParseInt(s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_NE(r.status().message().find("range"), std::string::npos) << r.status().ToString();
  }
  for (std::string_view s : {"", "-", "+", "abc", " 1", "1 ", "1.0", "0x10", "1e3", "--1"}) {
    Result<int64_t> r = ParseInt(s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_NE(r.status().message().find("invalid syntax"), std::string::npos);
  }
}

TEST(ParseInt, ClipsHugeInputsInErrorMessages) {
  std::string huge(100000, '7');
  huge += "\u4f60";
  Result<int64_t> r = ParseInt(huge);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.status().message().size(), 200u);
  EXPECT_TRUE(IsValidUtf8(r.status().message()));
}

TEST(ParseUint, ParsesUnsignedAndRejectsSigns) {
  EXPECT_EQ(*ParseUint("300"), 300u);
  EXPECT_EQ(*ParseUint("18446744073709551615"), std::numeric_limits<uint64_t>::max());
  EXPECT_NE(ParseUint("18446744073709551616").status().message().find("range"), std::string::npos);
  EXPECT_FALSE(ParseUint("-1").ok());
  EXPECT_FALSE(ParseUint("+1").ok());
  EXPECT_FALSE(ParseUint("").ok());
  EXPECT_FALSE(ParseUint("1u").ok());
}

TEST(ParseDouble, ParsesConformanceInputs) {
  EXPECT_EQ(*ParseDouble("0"), 0.0);
  EXPECT_EQ(*ParseDouble("123"), 123.0);
  EXPECT_EQ(*ParseDouble("123.456"), 123.456);
  EXPECT_EQ(*ParseDouble("-987.654"), -987.654);
  EXPECT_EQ(*ParseDouble("6.02214e23"), 6.02214e23);
  EXPECT_EQ(*ParseDouble("1.38e-23"), 1.38e-23);
  EXPECT_EQ(*ParseDouble("-84.32e7"), -843200000.0);
  EXPECT_EQ(*ParseDouble("-5.43e-21"), -5.43e-21);
  EXPECT_EQ(*ParseDouble("1.5e3"), 1500.0);
  EXPECT_EQ(*ParseDouble("+1.5E3"), 1500.0);
  EXPECT_EQ(*ParseDouble(".5"), 0.5);
  EXPECT_EQ(*ParseDouble("5."), 5.0);
  double neg_zero = *ParseDouble("-0.0");
  EXPECT_EQ(neg_zero, 0.0);
  EXPECT_TRUE(std::signbit(neg_zero));
}

TEST(ParseDouble, ParsesSpecialValues) {
  EXPECT_TRUE(std::isnan(*ParseDouble("NaN")));
  EXPECT_TRUE(std::isnan(*ParseDouble("nan")));
  EXPECT_EQ(*ParseDouble("Infinity"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*ParseDouble("-Infinity"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(*ParseDouble("inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*ParseDouble("+Inf"), std::numeric_limits<double>::infinity());
}

TEST(ParseDouble, ParsesGoHexadecimalFloats) {
  EXPECT_EQ(*ParseDouble("0x1p-2"), 0.25);
  EXPECT_EQ(*ParseDouble("0x1.8p1"), 3.0);
  EXPECT_EQ(*ParseDouble("-0X10P+0"), -16.0);
  EXPECT_NE(ParseDouble("0x1p2000").status().message().find("range"), std::string::npos);
}

TEST(ParseDouble, RejectsOverflowAndGarbageButNotUnderflow) {
  EXPECT_NE(ParseDouble("1e400").status().message().find("range"), std::string::npos);
  EXPECT_NE(ParseDouble("-1e400").status().message().find("range"), std::string::npos);
  EXPECT_EQ(*ParseDouble("1e-400"), 0.0);
  for (std::string_view s : {"", "-", "abc", "1.5x", " 1", "1 ", "1e", "nan(1)", "-nan", "infin",
                             "1,5", "0x10", "0x1p", "0xp3", "0x1.2.3p1", "0x1g1p1"}) {
    EXPECT_FALSE(ParseDouble(s).ok()) << s;
  }
}

TEST(FormatDouble, MatchesGoShortestGFormat) {
  EXPECT_EQ(FormatDouble(123.456), "123.456");
  EXPECT_EQ(FormatDouble(-4.5e-3), "-0.0045");
  EXPECT_EQ(FormatDouble(1.5), "1.5");
  EXPECT_EQ(FormatDouble(1.0), "1");
  EXPECT_EQ(FormatDouble(0.0), "0");
  EXPECT_EQ(FormatDouble(-0.0), "-0");
  EXPECT_EQ(FormatDouble(1e20), "1e+20");
  EXPECT_EQ(FormatDouble(1e6), "1e+06");
  EXPECT_EQ(FormatDouble(999999.0), "999999");
  EXPECT_EQ(FormatDouble(123456.0), "123456");
  EXPECT_EQ(FormatDouble(1234567.0), "1.234567e+06");
  EXPECT_EQ(FormatDouble(0.0001), "0.0001");
  EXPECT_EQ(FormatDouble(0.00001), "1e-05");
  EXPECT_EQ(FormatDouble(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatDouble(9223372036854775807.0), "9.223372036854776e+18");
  EXPECT_EQ(FormatDouble(5e-324), "5e-324");
  EXPECT_EQ(FormatDouble(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(FormatDouble(std::nan("")), "NaN");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(FormatDouble, RoundTripsThroughParseDouble) {
  for (double v : {123.456, -4.5e-3, 1e20, 1e6, 0.1, 1.0 / 3.0, 6.02214e23, 1.38e-23, 5e-324,
                   2.2250738585072014e-308, 1.7976931348623157e308, -987.654, 36028797018963968.0}) {
    Result<double> back = ParseDouble(FormatDouble(v));
    ASSERT_TRUE(back.ok()) << FormatDouble(v);
    EXPECT_EQ(*back, v) << FormatDouble(v);
  }
}

// --- strings.format helpers.

TEST(FormatFixed, FormatsWithPrecisionAndSpellsSpecials) {
  EXPECT_EQ(FormatFixed(3.14159, 2), "3.14");
  EXPECT_EQ(FormatFixed(1.0, 6), "1.000000");
  EXPECT_EQ(FormatFixed(1.0), "1.000000");
  EXPECT_EQ(FormatFixed(1.2345, 3), "1.234");  // 1.2345 is just below ...45 in binary
  EXPECT_EQ(FormatFixed(2.5, 0), "2");         // ties to even, as Go and printf do
  EXPECT_EQ(FormatFixed(-0.0, 1), "-0.0");
  EXPECT_EQ(FormatFixed(1e20, 1), "100000000000000000000.0");
  EXPECT_EQ(FormatFixed(std::nan(""), 3), "NaN");
  EXPECT_EQ(FormatFixed(std::numeric_limits<double>::infinity(), 3), "Infinity");
  EXPECT_EQ(FormatFixed(-std::numeric_limits<double>::infinity(), 3), "-Infinity");
}

TEST(FormatScientific, FormatsLikeGoPercentE) {
  EXPECT_EQ(FormatScientific(1052.032911275, 6), "1.052033e+03");
  EXPECT_EQ(FormatScientific(1052.032911275), "1.052033e+03");
  EXPECT_EQ(FormatScientific(0.0, 2), "0.00e+00");
  EXPECT_EQ(FormatScientific(1e100, 1), "1.0e+100");
  EXPECT_EQ(FormatScientific(-1.5e-7, 3), "-1.500e-07");
  EXPECT_EQ(FormatScientific(std::nan(""), 3), "NaN");
  EXPECT_EQ(FormatScientific(-std::numeric_limits<double>::infinity(), 3), "-Infinity");
}

TEST(FormatIntBase, FormatsBinaryOctalDecimalHex) {
  EXPECT_EQ(FormatIntBase(255, 16, false), "ff");
  EXPECT_EQ(FormatIntBase(255, 16, true), "FF");
  EXPECT_EQ(FormatIntBase(-255, 16, false), "-ff");
  EXPECT_EQ(FormatIntBase(5, 2, false), "101");
  EXPECT_EQ(FormatIntBase(-5, 2, false), "-101");
  EXPECT_EQ(FormatIntBase(8, 8, false), "10");
  EXPECT_EQ(FormatIntBase(0, 2, false), "0");
  EXPECT_EQ(FormatIntBase(-42, 10, false), "-42");
  EXPECT_EQ(FormatIntBase(std::numeric_limits<int64_t>::min(), 16, false), "-8000000000000000");
  EXPECT_EQ(FormatUintBase(std::numeric_limits<uint64_t>::max(), 16, true), "FFFFFFFFFFFFFFFF");
  EXPECT_EQ(FormatUintBase(std::numeric_limits<uint64_t>::max(), 10, false),
            "18446744073709551615");
  EXPECT_EQ(FormatUintBase(6, 2, false), "110");
}

TEST(FormatBytesHex, PrintsTwoDigitsPerByte) {
  EXPECT_EQ(FormatBytesHex("\x00\xffhi"sv, false), "00ff6869");
  EXPECT_EQ(FormatBytesHex("\x00\xffhi"sv, true), "00FF6869");
  EXPECT_EQ(FormatBytesHex("", false), "");
}

}  // namespace
}  // namespace govflow::expr::strutil
