#include "connect/call_result.h"

#include <gtest/gtest.h>

namespace govflow::connect {
namespace {

TEST(ErrorClassTest, NamesRoundTripForEveryClass) {
  for (ErrorClass c : {ErrorClass::kValidation, ErrorClass::kMasterData, ErrorClass::kAuth,
                       ErrorClass::kNotFound, ErrorClass::kConflict, ErrorClass::kThrottled,
                       ErrorClass::kTransient, ErrorClass::kUnknown}) {
    EXPECT_EQ(ParseErrorClass(ErrorClassName(c)), c) << ErrorClassName(c);
  }
  EXPECT_EQ(ParseErrorClass("nonsense"), std::nullopt);
}

TEST(ErrorClassTest, OnlyThrottledAndTransientAreBlindlyRetryable) {
  EXPECT_TRUE(IsRetryable(ErrorClass::kThrottled));
  EXPECT_TRUE(IsRetryable(ErrorClass::kTransient));
  EXPECT_FALSE(IsRetryable(ErrorClass::kUnknown));
  EXPECT_FALSE(IsRetryable(ErrorClass::kValidation));
  EXPECT_FALSE(IsRetryable(ErrorClass::kMasterData));
  EXPECT_FALSE(IsRetryable(ErrorClass::kAuth));
}

TEST(CallFailureTest, ToStringShowsClassStatusCodeMessageAndWait) {
  CallFailure f{ErrorClass::kThrottled, 429, "Application_TooManyRequests", "slow down",
                std::chrono::milliseconds(2000)};
  EXPECT_EQ(f.ToString(),
            "throttled (429 Application_TooManyRequests): slow down [retry after 2000 ms]");
}

}  // namespace
}  // namespace govflow::connect
