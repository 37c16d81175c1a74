// The pure parts of the lab's client bursts: a client's result as the line a helper sends the
// lab, latency summaries, and the SYN retransmit tally.
#include <gtest/gtest.h>

#include "lab/client_burst.h"

namespace tcpdoctor {
namespace {

TEST(LabClientBurstTest, ResultSurvivesItsLine) {
  BurstResult r;
  r.connected = true;
  r.answered = false;
  r.connect_ms = 1006.25;
  r.answer_ms = 0;
  r.syn_retransmits = 2;
  r.error = "closed early";
  const std::string line = r.ToLine();
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto back = BurstResult::FromLine(line);
  ASSERT_TRUE(back.has_value()) << line;
  EXPECT_TRUE(back->connected);
  EXPECT_FALSE(back->answered);
  EXPECT_DOUBLE_EQ(back->connect_ms, 1006.25);
  EXPECT_EQ(back->syn_retransmits, 2u);
  EXPECT_EQ(back->error, "closed early");

  BurstResult plain;
  plain.answered = plain.connected = true;
  plain.answer_ms = 12.5;
  const auto again = BurstResult::FromLine(plain.ToLine());
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->answered);
  EXPECT_DOUBLE_EQ(again->answer_ms, 12.5);
  EXPECT_EQ(again->error, "");
}

TEST(LabClientBurstTest, OtherLinesAreNotResults) {
  EXPECT_FALSE(BurstResult::FromLine("end").has_value());
  EXPECT_FALSE(BurstResult::FromLine("port=8080 accepted=3").has_value());
  EXPECT_FALSE(BurstResult::FromLine("burst connected").has_value());
}

TEST(LabClientBurstTest, LatencySummaryCountsBetweenSynRetransmits) {
  const LatencySummary s = LatencySummary::Of({1500, 20, 1010, 999.9, 3000, 7200});
  EXPECT_EQ(s.count, 6u);
  EXPECT_DOUBLE_EQ(s.median_ms, (1010 + 1500) / 2.0);  // an even count: the middle two
  EXPECT_DOUBLE_EQ(s.max_ms, 7200);
  EXPECT_EQ(s.buckets, (std::array<uint64_t, 4>{2, 2, 1, 1}));
  EXPECT_EQ(s.Text(),
            "median 1.25 s, max 7.20 s; under 1 s: 2, 1-3 s: 2, 3-7 s: 1, 7 s or more: 1");
  EXPECT_DOUBLE_EQ(LatencySummary::Of({5, 1, 3}).median_ms, 3);
  EXPECT_EQ(LatencySummary::Of({}).Text(), "none");
}

TEST(LabClientBurstTest, SynRetransmitsByCount) {
  std::vector<BurstResult> results(4);
  results[1].syn_retransmits = 1;
  results[2].syn_retransmits = 1;
  results[3].syn_retransmits = 3;
  EXPECT_EQ(SynRetransmitsText(results), "none: 1, once: 2, 3 times: 1");
  EXPECT_EQ(SynRetransmitsText({}), "no clients");
}

}  // namespace
}  // namespace tcpdoctor
