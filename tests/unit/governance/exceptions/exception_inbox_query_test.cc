// The inbox queries at scale (issue 5): the bounded total count, the free-text and assignee
// filters, and keyset pages that visit every case exactly once across ties in each sort, for
// unresolved-only lists (the partial indexes of migration 0014) and lists with closed cases.
// Runs on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "governance/exceptions/cases.h"
#include "unit/governance/exceptions/exception_fixture.h"

namespace govflow::governance::exceptions {
namespace {

using testing::ExceptionFixture;

class ExceptionInboxQueryTest : public ExceptionFixture {
 protected:
  void SetUp() override {
    ExceptionFixture::SetUp();
    SeedTenant(tenant_);
  }

  // Every page of `filter` (limit as given) from the first, in order.
  std::vector<CaseView> AllPages(CaseFilter filter) {
    std::vector<CaseView> out;
    for (int guard = 0; guard < 1000; ++guard) {
      auto page = ListCases(*store_, scope_, filter);
      EXPECT_TRUE(page.ok()) << page.status().message();
      if (!page.ok()) return out;
      out.insert(out.end(), page->cases.begin(), page->cases.end());
      if (page->next_cursor.empty()) return out;
      filter.cursor = page->next_cursor;
    }
    ADD_FAILURE() << "pages never ended";
    return out;
  }

  static std::vector<std::string> Ids(const std::vector<CaseView>& cases) {
    std::vector<std::string> ids;
    for (const CaseView& c : cases) ids.push_back(c.exception.id.value());
    return ids;
  }

  const TenantId tenant_{"acme"};
  const TenantScope scope_ = TenantScope::ForSystem(TenantId("acme"), "test");
};

TEST_P(ExceptionInboxQueryTest, CountsEveryMatchingCaseIgnoringTheCursorAndSaysWhenCapped) {
  for (int i = 0; i < 7; ++i) {
    OpenCase(tenant_, Order(i, "10.00", "c"), "post_sales_order", "transient", "timeout");
  }
  CaseFilter f;
  f.unresolved_only = true;
  f.limit = 3;
  f.count_limit = 100;
  auto first = ListCases(*store_, scope_, f);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->cases.size(), 3u);
  ASSERT_TRUE(first->total.has_value());
  EXPECT_EQ(*first->total, 7);
  EXPECT_FALSE(first->total_capped);

  f.cursor = first->next_cursor;
  auto second = ListCases(*store_, scope_, f);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second->total, 7) << "the total counts all pages, not what follows the cursor";

  f.cursor.clear();
  f.count_limit = 5;
  auto capped = ListCases(*store_, scope_, f);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(*capped->total, 5);
  EXPECT_TRUE(capped->total_capped);

  f.count_limit = 7;
  auto exact = ListCases(*store_, scope_, f);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(*exact->total, 7);
  EXPECT_FALSE(exact->total_capped) << "exactly count_limit matches is not more than it";

  f.count_limit = 0;
  auto uncounted = ListCases(*store_, scope_, f);
  ASSERT_TRUE(uncounted.ok());
  EXPECT_FALSE(uncounted->total.has_value());
}

TEST_P(ExceptionInboxQueryTest, FreeTextMatchesMessageRootCauseCustomerIdsAndOrderNumbers) {
  std::set<std::string> sku_cases;
  for (int i = 0; i < 4; ++i) {
    sku_cases.insert(OpenCase(tenant_, Order(i, "10.00", "cust-" + std::to_string(i)),
                              "post_sales_order", "rejected", UnknownSku("SKU-404"))
                         .value());
  }
  const ExceptionCaseId timeout = OpenCase(tenant_, Order(7, "10.00", "vip-77"), "post_sales_order",
                                           "transient", "Gateway timeout after 30 s");
  const ExceptionCaseId percent = OpenCase(tenant_, Order(8, "10.00", "c"), "post_sales_order",
                                           "rejected", "discount of 100% is not allowed");

  CaseFilter f;
  f.unresolved_only = true;
  f.count_limit = 100;
  f.text = "sku-404";  // the message says "SKU-404"
  auto sku = ListCases(*store_, scope_, f);
  ASSERT_TRUE(sku.ok()) << sku.status().message();
  EXPECT_EQ(*sku->total, 4);
  auto ids = Ids(sku->cases);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), sku_cases);

  f.text = "GATEWAY TIMEOUT";
  auto by_message = ListCases(*store_, scope_, f);
  ASSERT_TRUE(by_message.ok());
  ASSERT_EQ(by_message->cases.size(), 1u);
  EXPECT_EQ(by_message->cases[0].exception.id, timeout);

  f.text = "vip-77";  // the customer
  auto by_customer = ListCases(*store_, scope_, f);
  ASSERT_TRUE(by_customer.ok());
  ASSERT_EQ(by_customer->cases.size(), 1u);
  EXPECT_EQ(by_customer->cases[0].exception.id, timeout);

  f.text = timeout.value();  // the case id
  auto by_id = ListCases(*store_, scope_, f);
  ASSERT_TRUE(by_id.ok());
  ASSERT_EQ(by_id->cases.size(), 1u);

  // LIKE wildcards in the text are literal characters.
  f.text = "100%";
  auto literal = ListCases(*store_, scope_, f);
  ASSERT_TRUE(literal.ok());
  ASSERT_EQ(literal->cases.size(), 1u);
  EXPECT_EQ(literal->cases[0].exception.id, percent);
  f.text = "%";
  auto only_percent = ListCases(*store_, scope_, f);
  ASSERT_TRUE(only_percent.ok());
  EXPECT_EQ(*only_percent->total, 1) << "'%' matches only the message containing '%'";
  f.text = "_";
  auto underscore = ListCases(*store_, scope_, f);
  ASSERT_TRUE(underscore.ok());
  // unknown_item:SKU-404 root causes, and ids like exc_..., contain '_'; '_' must not match all.
  for (const CaseView& c : underscore->cases) {
    const bool has = c.exception.message.find('_') != std::string::npos ||
                     c.root_cause_key.find('_') != std::string::npos ||
                     c.customer_key.find('_') != std::string::npos ||
                     c.exception.id.value().find('_') != std::string::npos ||
                     c.exception.run.value().find('_') != std::string::npos;
    EXPECT_TRUE(has) << c.exception.id.value();
  }

  // The order number (the run's business key, "#1007" or "1007") finds the order's case.
  for (const char* number : {"#1007", "1007"}) {
    f.text = number;
    auto by_order = ListCases(*store_, scope_, f);
    ASSERT_TRUE(by_order.ok()) << by_order.status().message();
    ASSERT_EQ(by_order->cases.size(), 1u) << number;
    EXPECT_EQ(by_order->cases[0].exception.id, timeout) << number;
  }

  f.text = "no such thing";
  auto none = ListCases(*store_, scope_, f);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->cases.empty());
  EXPECT_EQ(*none->total, 0);

  f.text = std::string(201, 'x');
  EXPECT_EQ(ListCases(*store_, scope_, f).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(ExceptionInboxQueryTest, KeysetPagesVisitEveryCaseOnceAcrossTiesInEverySort) {
  // Twelve cases opened at the same instant with the same order value: every sort key ties, so
  // only the case-id tie-break orders them. Then three more at later instants with larger values.
  std::vector<std::string> all;
  for (int i = 0; i < 12; ++i) {
    all.push_back(
        OpenCase(tenant_, Order(i, "25.00", "c"), "post_sales_order", "transient", "reset")
            .value());
  }
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(std::chrono::seconds(10));
    all.push_back(OpenCase(tenant_, Order(20 + i, std::to_string(30 + i) + ".00", "c"),
                           "post_sales_order", "transient", "reset")
                      .value());
  }
  // One closed case, and one acknowledged (its deadline moves to the resolve clock).
  const TenantScope actor = TenantScope::ForSystem(tenant_, "ops@example.com");
  ASSERT_TRUE(Resolve(*store_, actor, {ExceptionCaseId(all[3])}, "fixed by hand").ok());
  ASSERT_TRUE(Acknowledge(*store_, actor, {ExceptionCaseId(all[5])}, "").ok());
  std::vector<std::string> unresolved = all;
  unresolved.erase(unresolved.begin() + 3);

  for (CaseSort sort : {CaseSort::kSlaRisk, CaseSort::kBusinessImpact, CaseSort::kOldest}) {
    for (bool unresolved_only : {true, false}) {
      SCOPED_TRACE(::testing::Message()
                   << "sort " << static_cast<int>(sort) << " unresolved_only " << unresolved_only);
      CaseFilter f;
      f.sort = sort;
      f.unresolved_only = unresolved_only;
      f.limit = 4;
      std::vector<CaseView> paged = AllPages(f);
      f.limit = 1000;
      auto whole = ListCases(*store_, scope_, f);
      ASSERT_TRUE(whole.ok()) << whole.status().message();
      // Paging returns exactly the one-page answer, in the same order.
      EXPECT_EQ(Ids(paged), Ids(whole->cases));
      std::vector<std::string> got = Ids(paged);
      std::vector<std::string> want = unresolved_only ? unresolved : all;
      std::sort(got.begin(), got.end());
      std::sort(want.begin(), want.end());
      EXPECT_EQ(got, want);
      // Ties are in case-id order.
      for (size_t i = 1; i < paged.size(); ++i) {
        const CaseView& a = paged[i - 1];
        const CaseView& b = paged[i];
        bool tie = false;
        switch (sort) {
          case CaseSort::kSlaRisk:
            tie = a.next_due_at == b.next_due_at;
            break;
          case CaseSort::kBusinessImpact:
            tie = a.order_value_minor == b.order_value_minor;
            EXPECT_GE(a.order_value_minor, b.order_value_minor);
            break;
          case CaseSort::kOldest:
            tie = a.exception.created_at == b.exception.created_at;
            EXPECT_LE(a.exception.created_at, b.exception.created_at);
            break;
        }
        if (tie) {
          EXPECT_LT(a.exception.id.value(), b.exception.id.value());
        }
      }
    }
  }
  // SLA risk: the acknowledged case waits for its (later) resolve deadline, the closed one last.
  CaseFilter f;
  f.limit = 1000;
  auto everything = ListCases(*store_, scope_, f);
  ASSERT_TRUE(everything.ok());
  EXPECT_EQ(everything->cases.back().exception.id.value(), all[3]);
  EXPECT_EQ(everything->cases[everything->cases.size() - 2].exception.id.value(), all[5]);
}

TEST_P(ExceptionInboxQueryTest, FiltersByAssigneeAndClosedCasesLeaveTheUnresolvedList) {
  std::vector<ExceptionCaseId> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(OpenCase(tenant_, Order(i, "10.00", "c"), "post_sales_order", "transient", "x"));
  }
  const TenantScope actor = TenantScope::ForSystem(tenant_, "lead@example.com");
  ASSERT_TRUE(Assign(*store_, actor, {ids[0], ids[1], ids[2]}, "", "ana@example.com", "").ok());
  ASSERT_TRUE(Resolve(*store_, actor, {ids[2]}, "done").ok());

  CaseFilter f;
  f.assignee = "ana@example.com";
  f.count_limit = 100;
  auto all_states = ListCases(*store_, scope_, f);
  ASSERT_TRUE(all_states.ok());
  EXPECT_EQ(*all_states->total, 3);
  f.unresolved_only = true;
  auto open = ListCases(*store_, scope_, f);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(*open->total, 2);
  for (const CaseView& c : open->cases) {
    EXPECT_EQ(c.assignee, "ana@example.com");
    EXPECT_NE(c.exception.id, ids[2]);
  }
  f = {};
  f.state = CaseState::kResolved;
  f.count_limit = 100;
  auto resolved = ListCases(*store_, scope_, f);
  ASSERT_TRUE(resolved.ok());
  ASSERT_EQ(resolved->cases.size(), 1u);
  EXPECT_EQ(resolved->cases[0].exception.id, ids[2]);
}

TEST_P(ExceptionInboxQueryTest, RejectsACursorWhoseKeyIsNotANumber) {
  OpenCase(tenant_, Order(1, "10.00", "c"), "post_sales_order", "transient", "x");
  CaseFilter f;
  for (const char* bad : {"12abc:exc_1", "nocolon", ":exc_1"}) {
    f.cursor = bad;
    EXPECT_EQ(ListCases(*store_, scope_, f).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(ExceptionInboxQueryTest);

}  // namespace
}  // namespace govflow::governance::exceptions
