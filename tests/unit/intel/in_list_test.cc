// The rollup's IN lists take a few fixed lengths (so SQLite's per-connection statement cache
// holds a few texts per query, not one per batch size) and still mean the same set of values.
#include "intel/in_list.h"

#include <gtest/gtest.h>

#include <set>

namespace govflow::intel {
namespace {

TEST(InListTest, BatchesOfOneToFiveHundredUseAtMostTenDistinctLengths) {
  std::set<size_t> lengths;
  for (size_t n = 1; n <= 500; ++n) {
    const size_t length = InListLength(n);
    EXPECT_GE(length, n);
    EXPECT_LT(length, 2 * n);  // never more than twice the values
    lengths.insert(length);
  }
  EXPECT_EQ(lengths, (std::set<size_t>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}));
}

TEST(InListTest, ManyBatchSizesWriteAFewDistinctStatementTexts) {
  std::set<std::string> texts;
  for (size_t n = 1; n <= 500; ++n) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < n; ++i) ids.push_back("run_" + std::to_string(i));
    store::sql::Params params{std::string("acme")};
    texts.insert("SELECT x FROM t WHERE tenant_id = ? AND id IN " + AppendInList(ids, params));
    EXPECT_EQ(params.size(), 1 + InListLength(n));
  }
  EXPECT_LE(texts.size(), 10u);
}

TEST(InListTest, PadsWithTheLastValueSoTheListMatchesTheSameValues) {
  store::sql::Params params{std::string("acme")};
  EXPECT_EQ(AppendInList({"a", "b", "c"}, params), "(?, ?, ?, ?)");
  const store::sql::Params expected{std::string("acme"), std::string("a"), std::string("b"),
                                    std::string("c"), std::string("c")};
  EXPECT_EQ(params, expected);
}

TEST(InListTest, ExactPowersOfTwoAreNotPadded) {
  store::sql::Params params;
  EXPECT_EQ(AppendInList({"a", "b"}, params), "(?, ?)");
  EXPECT_EQ(params.size(), 2u);
  params.clear();
  EXPECT_EQ(AppendInList({"a"}, params), "(?)");
  EXPECT_EQ(params.size(), 1u);
}

}  // namespace
}  // namespace govflow::intel
