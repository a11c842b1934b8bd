#include "sim/fault_spec.h"

#include <gtest/gtest.h>

#include "sim/loopback_target.h"

namespace govflow::sim {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(FaultSpecTest, ParsesTheContractExample) {
  auto spec = FaultSpec::Parse("error=0.05,throttle=0.02,timeout=0.01,latency=2ms..40ms");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_DOUBLE_EQ(spec->error, 0.05);
  EXPECT_DOUBLE_EQ(spec->throttle, 0.02);
  EXPECT_DOUBLE_EQ(spec->timeout, 0.01);
  EXPECT_EQ(spec->latency_min, microseconds(2000));
  EXPECT_EQ(spec->latency_max, microseconds(40000));
}

TEST(FaultSpecTest, EmptySpecMeansNoFaults) {
  auto spec = FaultSpec::Parse("");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->error + spec->throttle + spec->timeout, 0.0);
  EXPECT_EQ(spec->latency_max.count(), 0);
}

TEST(FaultSpecTest, ParsesDataFaultsAndTimeoutTuning) {
  auto spec = FaultSpec::Parse(
      "unknown_item=0.1, blocked_customer=0.2,timeout_hold=1.5s,timeout_after_create=1,"
      "throttle_burst=3,retry_after=2,latency=250us");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_DOUBLE_EQ(spec->unknown_item, 0.1);
  EXPECT_DOUBLE_EQ(spec->blocked_customer, 0.2);
  EXPECT_EQ(spec->timeout_hold, milliseconds(1500));
  EXPECT_DOUBLE_EQ(spec->timeout_after_create, 1.0);
  EXPECT_EQ(spec->throttle_burst, 3);
  EXPECT_EQ(spec->retry_after_seconds, 2);
  EXPECT_EQ(spec->latency_min, microseconds(250));
  EXPECT_EQ(spec->latency_max, microseconds(250));
}

TEST(FaultSpecTest, RejectsUnknownKeyNamingIt) {
  auto spec = FaultSpec::Parse("error=0.1,explode=0.5");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("'explode'"), std::string::npos);
}

TEST(FaultSpecTest, RejectsProbabilityOutsideUnitInterval) {
  EXPECT_FALSE(FaultSpec::Parse("error=1.5").ok());
  EXPECT_FALSE(FaultSpec::Parse("error=-0.1").ok());
  EXPECT_FALSE(FaultSpec::Parse("error=abc").ok());
  EXPECT_FALSE(FaultSpec::Parse("error=0.6,throttle=0.6").ok());
}

TEST(FaultSpecTest, RejectsInvertedLatencyRangeAndBadUnits) {
  EXPECT_FALSE(FaultSpec::Parse("latency=40ms..2ms").ok());
  EXPECT_FALSE(FaultSpec::Parse("latency=2parsecs").ok());
}

TEST(FaultSpecTest, RoundTripsThroughToString) {
  auto spec = FaultSpec::Parse("error=0.05,throttle=0.02,timeout=0.01,latency=2ms..40ms");
  ASSERT_TRUE(spec.ok());
  auto again = FaultSpec::Parse(spec->ToString());
  ASSERT_TRUE(again.ok()) << spec->ToString();
  EXPECT_EQ(again->ToString(), spec->ToString());
}

TEST(LoopbackTargetTest, AcceptsLoopbackHosts) {
  auto a = ParseLoopbackTarget("http://127.0.0.1:8080/hooks/acme/shop");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  EXPECT_EQ(a->target, "/hooks/acme/shop");
  auto b = ParseLoopbackTarget("http://localhost:9/x?y=1");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "127.0.0.1");
  EXPECT_EQ(b->target, "/x?y=1");
  auto c = ParseLoopbackTarget("http://[::1]:7000");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->target, "/");
  EXPECT_EQ(c->host_header, "[::1]:7000");
  EXPECT_TRUE(ParseLoopbackTarget("http://127.8.9.10:1/").ok());
}

TEST(LoopbackTargetTest, RefusesAnyOtherHost) {
  for (const char* url : {"http://10.0.0.1:80/", "http://example.com/hooks", "http://8.8.8.8/",
                          "https://127.0.0.1/", "http://user@127.0.0.1/", "http://128.0.0.1/",
                          "http://127.0.0.1:/x", "http://127.0.0.1:99999/"}) {
    EXPECT_FALSE(ParseLoopbackTarget(url).ok()) << url;
  }
}

}  // namespace
}  // namespace govflow::sim
