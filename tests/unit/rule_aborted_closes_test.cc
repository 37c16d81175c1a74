// aborted-closes on constructed snapshots: TCPAbortOnData and TCPAbortOnClose increases over
// the interval, with a count floor and a rate for the warning; nothing with one sample.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "analyze/doctor.h"
#include "analyze/rules/aborted_closes.h"
#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::CheckRule;
using test_util::DoubleFact;
using test_util::FactOf;
using test_util::FindingAbout;
using test_util::HealthySnapshot;
using test_util::IntFact;
using test_util::SetCounter;
using test_util::TextFact;

TEST(AbortedClosesRuleTest, HealthySnapshotSaysNothing) {
  Snapshot s = HealthySnapshot();
  EXPECT_TRUE(CheckRule(AbortedClosesRule(), s).empty());
  // Two samples, counters steady or with a few resets.
  SetCounter(s, "TcpExt.TCPAbortOnData", 5000, 3, 1);
  SetCounter(s, "TcpExt.TCPAbortOnClose", 40, 0, 1);
  EXPECT_TRUE(CheckRule(AbortedClosesRule(), s).empty());
}

TEST(AbortedClosesRuleTest, OneSampleSaysNothing) {
  Snapshot s = HealthySnapshot();
  SetCounter(s, "TcpExt.TCPAbortOnData", 5000, 500, 1);
  s.interval_seconds = 0;  // no rates
  EXPECT_TRUE(CheckRule(AbortedClosesRule(), s).empty());
  s.deltas.reset();
  s.interval_seconds = 1;
  EXPECT_TRUE(CheckRule(AbortedClosesRule(), s).empty());
}

TEST(AbortedClosesRuleTest, LingerZeroClosesAreAWarningWithEvidence) {
  Snapshot s = HealthySnapshot();
  SetCounter(s, "TcpExt.TCPAbortOnData", 1000, 40, 2);
  SetCounter(s, "Tcp.OutRsts", 2000, 45, 2);
  const auto findings = CheckRule(AbortedClosesRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.id, "aborted-closes");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(f.subject, "TCPAbortOnData");
  EXPECT_EQ(f.title, "Connections closed with an RST: TCPAbortOnData +40 in 2 s (20/s)");
  EXPECT_EQ(TextFact(f, "counter"), "TCPAbortOnData");
  EXPECT_EQ(IntFact(f, "increase"), 40);
  EXPECT_DOUBLE_EQ(DoubleFact(f, "per_second"), 20.0);
  EXPECT_DOUBLE_EQ(DoubleFact(f, "interval_seconds"), 2.0);
  ASSERT_EQ(f.evidence.size(), 3u);
  EXPECT_EQ(f.evidence[0],
            "TcpExt.TCPAbortOnData rose by 40 in 2 s: 20/s connections reset instead of closed");
  EXPECT_EQ(f.evidence[1], "RSTs sent (Tcp.OutRsts) over the same interval: +45");
  EXPECT_NE(f.evidence[2].find("per network namespace"), std::string::npos);
  // kernel-facts §5: SO_LINGER {on, 0} counts TCPAbortOnData (not TCPAbortOnLinger).
  EXPECT_NE(f.why.find("SO_LINGER {on, 0}"), std::string::npos);
  EXPECT_EQ(f.why.find("TCPAbortOnLinger"), std::string::npos);
  ASSERT_FALSE(f.fix.empty());
  EXPECT_NE(f.fix[0].find("SO_LINGER"), std::string::npos);
  for (const std::string& step : f.fix) EXPECT_EQ(step.find("sysctl -w"), std::string::npos);
  EXPECT_EQ(f.topics, std::vector<std::string>{"TCPAbortOnData"});
}

TEST(AbortedClosesRuleTest, UnreadDataCloses) {
  Snapshot s = HealthySnapshot();
  SetCounter(s, "TcpExt.TCPAbortOnClose", 100, 12, 1);
  const auto findings = CheckRule(AbortedClosesRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.subject, "TCPAbortOnClose");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(IntFact(f, "increase"), 12);
  EXPECT_NE(f.why.find("unread"), std::string::npos) << f.why;
  EXPECT_NE(f.fix[0].find("EOF"), std::string::npos);
  EXPECT_EQ(f.topics, std::vector<std::string>{"TCPAbortOnClose"});
  // No Tcp.OutRsts delta known: that line is left out.
  EXPECT_EQ(f.evidence.size(), 2u);
}

TEST(AbortedClosesRuleTest, BothCountersGiveTwoFindings) {
  Snapshot s = HealthySnapshot();
  SetCounter(s, "TcpExt.TCPAbortOnData", 100, 20, 2);
  SetCounter(s, "TcpExt.TCPAbortOnClose", 100, 15, 2);
  const auto findings = CheckRule(AbortedClosesRule(), s);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(IntFact(*FindingAbout(findings, "TCPAbortOnData"), "increase"), 20);
  EXPECT_EQ(IntFact(*FindingAbout(findings, "TCPAbortOnClose"), "increase"), 15);
}

TEST(AbortedClosesRuleTest, CountAndRateEdges) {
  Snapshot s = HealthySnapshot();
  SetCounter(s, "TcpExt.TCPAbortOnData", 100, 9, 1);  // below min_aborts
  EXPECT_TRUE(CheckRule(AbortedClosesRule(), s).empty());
  SetCounter(s, "TcpExt.TCPAbortOnData", 100, 10, 1);  // at it, 10/s
  auto findings = CheckRule(AbortedClosesRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  // Over a long interval: 59 in 60 s is below 1/s: info; 60 is 1/s: warning.
  s = HealthySnapshot();
  SetCounter(s, "TcpExt.TCPAbortOnData", 100, 59, 60);
  findings = CheckRule(AbortedClosesRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kInfo);
  s = HealthySnapshot();
  SetCounter(s, "TcpExt.TCPAbortOnData", 100, 60, 60);
  EXPECT_EQ(CheckRule(AbortedClosesRule(), s)[0].severity, Severity::kWarning);
}

TEST(AbortedClosesRuleTest, CounterThatWentBackwardsSaysNothing) {
  Snapshot s = HealthySnapshot();
  s.interval_seconds = 1;
  s.deltas.emplace();
  s.deltas->Add(CounterDelta{"TcpExt", "TCPAbortOnData", DeltaStatus::kWentBackwards, 0});
  s.deltas->Add(CounterDelta{"TcpExt", "TCPAbortOnClose", DeltaStatus::kNew, 0});
  EXPECT_TRUE(CheckRule(AbortedClosesRule(), s).empty());
}

TEST(AbortedClosesRuleTest, Overrides) {
  Snapshot s = HealthySnapshot();
  SetCounter(s, "TcpExt.TCPAbortOnClose", 100, 3, 1);
  const Rule rule = AbortedClosesRule();
  DoctorSettings settings;
  ASSERT_TRUE(settings.Set("aborted-closes.min_aborts=3"));
  auto findings = rule.check(s, settings.For(rule));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  ASSERT_TRUE(settings.Set("aborted-closes.warning_rate=5"));
  findings = rule.check(s, settings.For(rule));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kInfo);
}

}  // namespace
}  // namespace tcpdoctor
