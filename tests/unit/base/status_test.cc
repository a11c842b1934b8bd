#include "base/status.h"

#include <gtest/gtest.h>

namespace govflow {
namespace {

Result<int> ParsePositive(int x) {
  if (x <= 0) return InvalidArgument("must be positive");
  return x;
}

Result<int> Doubled(int x) {
  GOVFLOW_ASSIGN_OR_RETURN(int v, ParsePositive(x));
  return v * 2;
}

TEST(StatusTest, OkStatusPrintsOk) { EXPECT_EQ(Status::Ok().ToString(), "OK"); }

TEST(StatusTest, ErrorStatusPrintsCodeAndMessage) {
  EXPECT_EQ(InvalidArgument("bad field").ToString(), "INVALID_ARGUMENT: bad field");
}

TEST(ResultTest, AssignOrReturnPropagatesTheError) {
  auto r = Doubled(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "must be positive");
}

TEST(ResultTest, AssignOrReturnBindsTheValue) {
  auto r = Doubled(21);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
}

}  // namespace
}  // namespace govflow
