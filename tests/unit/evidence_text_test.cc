#include "analyze/rules/evidence_text.h"

#include <gtest/gtest.h>

namespace tcpdoctor {
namespace {

TEST(EvidenceTextTest, DurationsKeepADecimalOnlyWhenShortAndNotWhole) {
  EXPECT_EQ(DurationText(0.5), "0.5 s");
  EXPECT_EQ(DurationText(0.04), "0 s");
  EXPECT_EQ(DurationText(1.0003), "1 s");  // a 1 s sampling interval that overran a little
  EXPECT_EQ(DurationText(2.5), "2.5 s");
  EXPECT_EQ(DurationText(9.96), "10 s");
  EXPECT_EQ(DurationText(12.4), "12 s");
  EXPECT_EQ(DurationText(119), "119 s");
  EXPECT_EQ(DurationText(600), "10 min");
  EXPECT_EQ(DurationText(3 * 3600), "3.0 h");
  EXPECT_EQ(DurationText(3 * 86400), "3.0 days");
}

TEST(EvidenceTextTest, RatesAndPercentsKeepADecimalBelowTen) {
  EXPECT_EQ(RateText(0.26), "0.3/s");
  EXPECT_EQ(RateText(12.6), "13/s");
  EXPECT_EQ(PercentText(7.26), "7.3 %");
  EXPECT_EQ(PercentText(85.0), "85 %");
}

}  // namespace
}  // namespace tcpdoctor
