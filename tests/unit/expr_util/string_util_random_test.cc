// Differential tests: the byte-offset implementations of string_util against a naive model that
// works on a vector of code points, over seeded random strings mixing 1- to 4-byte sequences.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "expr/string_util.h"

namespace govflow::expr::strutil {
namespace {

using CodePoints = std::vector<std::string>;  // one UTF-8 sequence per element

const std::vector<std::string>& Alphabet() {
  static const std::vector<std::string> kAlphabet = {
      "a", "b", " ", "\u00e9", "\u4f60", "\U0001F600", "\u3000", "\t", ","};
  return kAlphabet;
}

CodePoints RandomCodePoints(std::mt19937& rng, size_t max_len) {
  std::uniform_int_distribution<size_t> len(0, max_len);
  std::uniform_int_distribution<size_t> pick(0, Alphabet().size() - 1);
  CodePoints out(len(rng));
  for (auto& cp : out) cp = Alphabet()[pick(rng)];
  return out;
}

std::string Join(const CodePoints& cps, size_t from = 0, size_t to = std::string::npos) {
  std::string out;
  for (size_t i = from; i < std::min(to, cps.size()); ++i) out += cps[i];
  return out;
}

bool MatchesAt(const CodePoints& s, const CodePoints& sub, size_t i) {
  if (i + sub.size() > s.size()) return false;
  for (size_t j = 0; j < sub.size(); ++j) {
    if (s[i + j] != sub[j]) return false;
  }
  return true;
}

int64_t NaiveIndexOf(const CodePoints& s, const CodePoints& sub, size_t start) {
  for (size_t i = start; i + sub.size() <= s.size(); ++i) {
    if (MatchesAt(s, sub, i)) return static_cast<int64_t>(i);
  }
  return -1;
}

int64_t NaiveLastIndexOf(const CodePoints& s, const CodePoints& sub, size_t last) {
  for (int64_t i = static_cast<int64_t>(last); i >= 0; --i) {
    if (MatchesAt(s, sub, static_cast<size_t>(i))) return i;
  }
  return -1;
}

TEST(StringUtilRandom, IndexFunctionsAgreeWithACodePointModel) {
  std::mt19937 rng(20261128);
  for (int iter = 0; iter < 3000; ++iter) {
    CodePoints s = RandomCodePoints(rng, 12);
    CodePoints sub = RandomCodePoints(rng, 2);
    if (sub.empty()) sub.push_back("a");
    const std::string text = Join(s);
    const std::string pattern = Join(sub);
    ASSERT_EQ(CodePointCount(text), static_cast<int64_t>(s.size()));
    for (size_t start = 0; start <= s.size(); ++start) {
      ASSERT_EQ(*IndexOf(text, pattern, static_cast<int64_t>(start)), NaiveIndexOf(s, sub, start))
          << text << " / " << pattern << " from " << start;
      ASSERT_EQ(*LastIndexOf(text, pattern, static_cast<int64_t>(start)),
                NaiveLastIndexOf(s, sub, start))
          << text << " / " << pattern << " up to " << start;
      ASSERT_EQ(*CharAt(text, static_cast<int64_t>(start)),
                start < s.size() ? s[start] : std::string());
      ASSERT_EQ(*Substring(text, static_cast<int64_t>(start)), Join(s, start));
      for (size_t end = start; end <= s.size(); ++end) {
        ASSERT_EQ(*Substring(text, static_cast<int64_t>(start), static_cast<int64_t>(end)),
                  Join(s, start, end));
      }
    }
    ASSERT_EQ(*LastIndexOf(text, pattern),
              s.empty() ? -1 : NaiveLastIndexOf(s, sub, s.size() - 1));
    CodePoints reversed(s.rbegin(), s.rend());
    ASSERT_EQ(Reverse(text), Join(reversed));
  }
}

TEST(StringUtilRandom, SplitAgreesWithACodePointModel) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 3000; ++iter) {
    CodePoints s = RandomCodePoints(rng, 12);
    CodePoints sep = RandomCodePoints(rng, 1);
    if (sep.empty()) sep.push_back(",");
    const std::string text = Join(s);
    // Model: cut at every non-overlapping match, left to right.
    std::vector<std::string> expected;
    size_t piece_start = 0;
    for (size_t i = 0; i < s.size();) {
      if (MatchesAt(s, sep, i)) {
        expected.push_back(Join(s, piece_start, i));
        i += sep.size();
        piece_start = i;
      } else {
        ++i;
      }
    }
    expected.push_back(Join(s, piece_start));
    std::vector<std::string_view> parts;
    Split(text, Join(sep), -1, &parts);
    ASSERT_EQ(std::vector<std::string>(parts.begin(), parts.end()), expected) << text;
    // A limit keeps the first limit-1 pieces and joins the rest back.
    for (int64_t limit = 1; limit <= 4; ++limit) {
      Split(text, Join(sep), limit, &parts);
      size_t keep = std::min<size_t>(static_cast<size_t>(limit), expected.size());
      ASSERT_EQ(parts.size(), keep);
      for (size_t i = 0; i + 1 < keep; ++i) ASSERT_EQ(parts[i], expected[i]);
      std::string rest = expected[keep - 1];
      for (size_t i = keep; i < expected.size(); ++i) rest += Join(sep) + expected[i];
      ASSERT_EQ(parts[keep - 1], rest);
    }
  }
}

TEST(StringUtilRandom, TrimRemovesExactlyTheLeadingAndTrailingSpaces) {
  std::mt19937 rng(99);
  auto is_space = [](const std::string& cp) { return cp == " " || cp == "\u3000" || cp == "\t"; };
  for (int iter = 0; iter < 3000; ++iter) {
    CodePoints s = RandomCodePoints(rng, 10);
    size_t b = 0;
    while (b < s.size() && is_space(s[b])) ++b;
    size_t e = s.size();
    while (e > b && is_space(s[e - 1])) --e;
    ASSERT_EQ(Trim(Join(s)), Join(s, b, e));
  }
}

TEST(StringUtilRandom, FormatDoubleRoundTripsRandomBitPatterns) {
  std::mt19937_64 rng(42);
  for (int iter = 0; iter < 20000; ++iter) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    std::string text = FormatDouble(v);
    Result<double> back = ParseDouble(text);
    ASSERT_TRUE(back.ok()) << text;
    ASSERT_EQ(*back, v) << text;
    ASSERT_EQ(std::signbit(*back), std::signbit(v)) << text;
  }
}

TEST(StringUtilRandom, NeverCrashesOnArbitraryBytes) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> len(0, 16);
  std::vector<std::string_view> parts;
  for (int iter = 0; iter < 5000; ++iter) {
    std::string s(len(rng), '\0');
    for (char& c : s) c = static_cast<char>(byte(rng));
    int64_t n = CodePointCount(s);
    for (int64_t i = 0; i <= n; ++i) {
      ASSERT_TRUE(CharAt(s, i).ok());
      ASSERT_TRUE(Substring(s, i).ok());
    }
    ASSERT_FALSE(CharAt(s, n + 1).ok());
    ASSERT_EQ(static_cast<int64_t>(Reverse(s).size()), static_cast<int64_t>(s.size()));
    ASSERT_LE(Trim(s).size(), s.size());
    ASSERT_TRUE(IsValidUtf8(Quote(s)));
    Split(s, "", -1, &parts);
    ASSERT_EQ(static_cast<int64_t>(parts.size()), n);
    if (IsValidUtf8(s)) {
      ASSERT_EQ(Reverse(Reverse(s)), s);
    }
  }
}

}  // namespace
}  // namespace govflow::expr::strutil
