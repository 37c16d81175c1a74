// Rule time-wait-overflow on constructed snapshots: TCPTimeWaitOverflow rising over the
// interval (warning, critical above a rate) or timewait minisockets at tcp_max_tw_buckets
// (warning); one sample says nothing about the counter; the fix raises the limit, never lowers
// it.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "analyze/doctor.h"
#include "analyze/explain_topics.h"
#include "analyze/rules/time_wait_overflow.h"
#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::Addr;
using test_util::DoubleFact;
using test_util::FactOf;
using test_util::HasFact;
using test_util::HealthySnapshot;
using test_util::IntFact;
using test_util::Joined;
using test_util::SetCounter;

// `time_wait` TIME_WAIT sockets in the dump, `tw` timewait minisockets in sockstat, limit
// `limit`.
Snapshot WithTimeWait(uint64_t time_wait, uint64_t tw, int64_t limit) {
  Snapshot s = HealthySnapshot();
  s.sysctls.tcp_max_tw_buckets = limit;
  s.states.Add(TcpState::kTimeWait, time_wait);
  s.states.Add(TcpState::kEstablished, 4);
  s.sockstat.lines.push_back(SockstatLine{"TCP", {{"inuse", 6}, {"orphan", 0}, {"tw", tw}}});
  return s;
}

TEST(RuleTimeWaitOverflowTest, HealthySnapshotFindsNothing) {
  EXPECT_TRUE(test_util::CheckRule(TimeWaitOverflowRule(), HealthySnapshot()).empty());
  Snapshot s = WithTimeWait(300, 300, 131072);
  SetCounter(s, "TcpExt.TCPTimeWaitOverflow", 0, 0);
  EXPECT_TRUE(test_util::CheckRule(TimeWaitOverflowRule(), s).empty());
}

TEST(RuleTimeWaitOverflowTest, OneSampleWithAnOldCountSaysNothing) {
  Snapshot s = WithTimeWait(10, 10, 131072);
  s.counters.Set(Counter{"TcpExt", "TCPTimeWaitOverflow", 5000, false});  // from long ago
  EXPECT_TRUE(test_util::CheckRule(TimeWaitOverflowRule(), s).empty());
}

TEST(RuleTimeWaitOverflowTest, RisingCounterIsAWarningAndFastIsCritical) {
  Snapshot s = WithTimeWait(5, 5, 5);
  SetCounter(s, "TcpExt.TCPTimeWaitOverflow", 7, 7, 2);
  auto findings = test_util::CheckRule(TimeWaitOverflowRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.id, "time-wait-overflow");
  EXPECT_EQ(f.subject, "tcp_max_tw_buckets");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(f.title, "7 closes skipped TIME_WAIT in 2.0 s: tcp_max_tw_buckets (5) is reached");
  EXPECT_EQ(IntFact(f, "time_wait"), 5);
  EXPECT_EQ(IntFact(f, "tw_minisockets"), 5);
  EXPECT_EQ(IntFact(f, "tcp_max_tw_buckets"), 5);
  EXPECT_DOUBLE_EQ(DoubleFact(f, "percent_of_limit"), 100);
  EXPECT_EQ(IntFact(f, "overflow_increase"), 7);
  EXPECT_DOUBLE_EQ(DoubleFact(f, "overflow_per_second"), 3.5);
  // A minute of closes: 5/60 + 3.5 per second, times 60 s and a 25 % margin -> 269 -> 512.
  EXPECT_EQ(IntFact(f, "suggested_max_tw_buckets"), 512);
  const std::string evidence = Joined(f.evidence);
  EXPECT_NE(evidence.find("TCPTimeWaitOverflow: +7 in 2.0 s (3.5/s)"), std::string::npos)
      << evidence;
  EXPECT_NE(evidence.find("tcp_max_tw_buckets 5 (100 % used)"), std::string::npos) << evidence;
  EXPECT_NE(evidence.find("logs nothing"), std::string::npos) << evidence;
  for (const std::string& topic : f.topics) EXPECT_NE(FindTopic(topic), nullptr) << topic;

  s.deltas.reset();
  SetCounter(s, "TcpExt.TCPTimeWaitOverflow", 207, 200, 2);  // 100/s
  findings = test_util::CheckRule(TimeWaitOverflowRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kCritical);

  s.deltas.reset();
  SetCounter(s, "TcpExt.TCPTimeWaitOverflow", 206, 199, 2);  // 99.5/s
  findings = test_util::CheckRule(TimeWaitOverflowRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
}

TEST(RuleTimeWaitOverflowTest, AtTheLimitWithoutRatesIsAWarning) {
  // 90 % of 1000 is 900; sockstat's tw (with FIN_WAIT2 minisockets) is what the kernel checks.
  EXPECT_TRUE(test_util::CheckRule(TimeWaitOverflowRule(), WithTimeWait(899, 899, 1000)).empty());
  auto findings = test_util::CheckRule(TimeWaitOverflowRule(), WithTimeWait(890, 900, 1000));
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(f.title, "TIME_WAIT at 90 % of tcp_max_tw_buckets (900 of 1000)");
  EXPECT_EQ(IntFact(f, "time_wait"), 890);
  EXPECT_EQ(IntFact(f, "tw_minisockets"), 900);
  EXPECT_DOUBLE_EQ(DoubleFact(f, "percent_of_limit"), 90);
  EXPECT_FALSE(HasFact(f, "overflow_increase")) << "one sample";
  // A minute of closes at 900/60 per second with a 25 % margin: 1125 -> 2048, over 2 x 1000.
  EXPECT_EQ(IntFact(f, "suggested_max_tw_buckets"), 2048);
  // Without sockstat the dump's TIME_WAIT count decides.
  Snapshot s = WithTimeWait(950, 0, 1000);
  s.sockstat.lines.clear();
  findings = test_util::CheckRule(TimeWaitOverflowRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_FALSE(HasFact(findings[0], "tw_minisockets"));
  EXPECT_DOUBLE_EQ(DoubleFact(findings[0], "percent_of_limit"), 95);
  // Two samples, no overflow, near the limit: still a warning.
  Snapshot sampled = WithTimeWait(950, 950, 1000);
  SetCounter(sampled, "TcpExt.TCPTimeWaitOverflow", 3, 0);
  findings = test_util::CheckRule(TimeWaitOverflowRule(), sampled);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_EQ(IntFact(findings[0], "overflow_increase"), 0);
}

TEST(RuleTimeWaitOverflowTest, OverridesMoveTheThresholds) {
  const Rule rule = TimeWaitOverflowRule();
  DoctorSettings settings;
  ASSERT_TRUE(settings.Set("time-wait-overflow.min_overflows=10").ok());
  ASSERT_TRUE(settings.Set("time-wait-overflow.critical_per_second=4").ok());
  ASSERT_TRUE(settings.Set("time-wait-overflow.warning_percent=50").ok());
  Snapshot s = WithTimeWait(10, 10, 1000);
  SetCounter(s, "TcpExt.TCPTimeWaitOverflow", 9, 9, 2);
  EXPECT_TRUE(rule.check(s, settings.For(rule)).empty()) << "9 < min_overflows";
  s.deltas.reset();
  SetCounter(s, "TcpExt.TCPTimeWaitOverflow", 10, 10, 2);
  auto findings = rule.check(s, settings.For(rule));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kCritical) << "5/s >= 4/s";
  findings = rule.check(WithTimeWait(500, 500, 1000), settings.For(rule));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_TRUE(rule.check(WithTimeWait(499, 499, 1000), settings.For(rule)).empty());
}

TEST(RuleTimeWaitOverflowTest, FixRaisesTheLimitAndNeverLowersIt) {
  Snapshot s = WithTimeWait(131072, 131072, 131072);
  SetCounter(s, "TcpExt.TCPTimeWaitOverflow", 50, 50, 1);
  ListeningPortTimeWait port;
  port.port = 80;
  port.time_wait = 100000;
  s.listening_time_wait.push_back(port);
  DestinationPorts d;
  d.local = Addr("10.0.0.1");
  d.remote = Addr("10.0.0.9");
  d.remote_port = 443;
  d.in_use = 20000;
  d.time_wait = 20000;
  s.destinations.push_back(d);
  const auto findings = test_util::CheckRule(TimeWaitOverflowRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(IntFact(f, "suggested_max_tw_buckets"), 262144);
  EXPECT_NE(Joined(f.evidence)
                .find("Most TIME_WAIT: listening port 80 (100000, connections this "
                      "server closed first); toward 10.0.0.9:443 (20000, "
                      "connections this client closed first)"),
            std::string::npos)
      << Joined(f.evidence);
  ASSERT_EQ(f.fix.size(), 3u);
  EXPECT_NE(f.fix[0].find("keep-alive"), std::string::npos) << f.fix[0];
  EXPECT_NE(f.fix[1].find("`sysctl -w net.ipv4.tcp_max_tw_buckets=262144`"), std::string::npos)
      << f.fix[1];
  EXPECT_NE(f.fix[1].find("`net.ipv4.tcp_max_tw_buckets = 262144` in /etc/sysctl.d/"),
            std::string::npos)
      << f.fix[1];
  EXPECT_NE(f.fix[1].find("never lower it"), std::string::npos);
  EXPECT_EQ(Joined(f.fix).find("tcp_fin_timeout="), std::string::npos);
  EXPECT_EQ(Joined(f.fix).find("tcp_tw_recycle="), std::string::npos);
  EXPECT_NE(f.why.find("RSTs"), std::string::npos);
}

}  // namespace
}  // namespace tcpdoctor
