// syn-queue-pressure on constructed snapshots: SYN_RECV against what the SYN queue holds
// (backlog + 1; with syncookies off also 3/4 of tcp_max_syn_backlog), TCPReqQFullDrop and
// TCPReqQFullDoCookies rising, severities by syncookies and rate, thresholds and overrides.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "analyze/explain_topics.h"
#include "analyze/rules/syn_queue_pressure.h"
#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::CheckRule;
using test_util::FactOf;
using test_util::FindingAbout;
using test_util::HealthySnapshot;
using test_util::IntFact;
using test_util::Joined;
using test_util::Listener;
using test_util::SetCounter;
using test_util::SettingsWith;
using test_util::TextFact;

ListenerQueue WithSynRecv(ListenerQueue l, uint32_t syn_recv) {
  l.syn_recv = syn_recv;
  return l;
}

TEST(SynQueuePressureRule, HealthyNamespaceSaysNothing) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(WithSynRecv(Listener("0.0.0.0", 80, 0, 511, 10, "nginx"), 3));
  s.listeners.push_back(WithSynRecv(Listener("0.0.0.0", 22, 0, 128, 1, "sshd"), 0));
  EXPECT_TRUE(CheckRule(SynQueuePressureRule(), s).empty());
  SetCounter(s, "TcpExt.TCPReqQFullDrop", 0, 0);
  SetCounter(s, "TcpExt.TCPReqQFullDoCookies", 5, 0);
  SetCounter(s, "TcpExt.SyncookiesSent", 5, 0);
  EXPECT_TRUE(CheckRule(SynQueuePressureRule(), s).empty());
}

TEST(SynQueuePressureRule, FullSynQueueWithCookiesOnIsInformation) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(WithSynRecv(Listener("0.0.0.0", 8000, 0, 8, 42, "srv"), 9));
  const auto findings = CheckRule(SynQueuePressureRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.id, "syn-queue-pressure");
  EXPECT_EQ(f.subject, "0.0.0.0:8000");
  EXPECT_EQ(f.severity, Severity::kInfo);
  EXPECT_EQ(IntFact(f, "syn_recv"), 9);
  EXPECT_EQ(IntFact(f, "syn_queue_limit"), 9) << "listen(8) holds 9";
  EXPECT_EQ(IntFact(f, "full_now"), 1);
  EXPECT_EQ(IntFact(f, "syncookies"), 1);
  EXPECT_EQ(TextFact(f, "comm"), "srv");
  EXPECT_EQ(IntFact(f, "pid"), 42);
  EXPECT_NE(f.title.find("syncookies"), std::string::npos) << f.title;
  const std::string fix = Joined(f.fix);
  EXPECT_NE(fix.find("tcp_max_syn_backlog does not help"), std::string::npos) << fix;
  EXPECT_EQ(fix.find("sysctl -w net.ipv4.tcp_max_syn_backlog"), std::string::npos) << fix;
  EXPECT_EQ(fix.find("sysctl -w net.ipv4.tcp_syncookies"), std::string::npos) << "already on";
}

TEST(SynQueuePressureRule, OneBelowTheLimitIsNotFullAndSmallQueuesNeverNearlyFull) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(WithSynRecv(Listener("0.0.0.0", 8000, 0, 8), 8));  // 8 of 9
  EXPECT_TRUE(CheckRule(SynQueuePressureRule(), s).empty()) << "89 % but fewer than min_syn_recv";
  const Rule rule = SynQueuePressureRule();
  EXPECT_EQ(rule.check(s, SettingsWith(rule, "min_syn_recv", 8)).size(), 1u)
      << "--set min_syn_recv=8";
}

TEST(SynQueuePressureRule, NearPercentIsAThreshold) {
  Snapshot s = HealthySnapshot();
  // 80 of 100 (backlog 99): exactly 80 %.
  s.listeners.push_back(WithSynRecv(Listener("0.0.0.0", 443, 0, 99), 80));
  const Rule rule = SynQueuePressureRule();
  auto findings = CheckRule(rule, s);
  ASSERT_EQ(findings.size(), 1u) << "at 80 %";
  EXPECT_EQ(IntFact(findings[0], "full_now"), 0);
  EXPECT_NE(findings[0].title.find("nearly full"), std::string::npos);
  s.listeners.back().syn_recv = 79;
  EXPECT_TRUE(CheckRule(rule, s).empty()) << "79 %";
  EXPECT_EQ(rule.check(s, SettingsWith(rule, "near_percent", 79)).size(), 1u);
}

TEST(SynQueuePressureRule, CookiesOffMakesPressureAWarningAndDropsByRate) {
  Snapshot s = HealthySnapshot();
  s.sysctls.tcp_syncookies = 0;
  s.listeners.push_back(WithSynRecv(Listener("127.0.0.1", 9000, 0, 8, 5, "app"), 9));
  auto findings = CheckRule(SynQueuePressureRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_NE(findings[0].title.find("dropped"), std::string::npos) << findings[0].title;
  const std::string fix = Joined(findings[0].fix);
  EXPECT_NE(fix.find("sysctl -w net.ipv4.tcp_syncookies=1"), std::string::npos) << fix;
  EXPECT_NE(fix.find("net.ipv4.tcp_syncookies = 1"), std::string::npos) << fix;
  EXPECT_LT(fix.find("listen() backlog"), fix.find("sysctl -w")) << "application first";

  SetCounter(s, "TcpExt.TCPReqQFullDrop", 100, 9, 1.0);
  findings = CheckRule(SynQueuePressureRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning) << "9/s";
  EXPECT_EQ(IntFact(findings[0], "req_q_full_drop"), 9);

  s = HealthySnapshot();
  s.sysctls.tcp_syncookies = 0;
  s.listeners.push_back(WithSynRecv(Listener("127.0.0.1", 9000, 0, 8, 5, "app"), 9));
  SetCounter(s, "TcpExt.TCPReqQFullDrop", 100, 10, 1.0);
  findings = CheckRule(SynQueuePressureRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kCritical) << "10/s";
  const Rule rule = SynQueuePressureRule();
  EXPECT_EQ(rule.check(s, SettingsWith(rule, "critical_per_second", 20))[0].severity,
            Severity::kWarning);
}

TEST(SynQueuePressureRule, MaxSynBacklogLowersTheLimitOnlyWithCookiesOff) {
  Snapshot s = HealthySnapshot();
  s.sysctls.tcp_max_syn_backlog = 64;  // 64 - 16 + 1 = 49 for new peers
  s.listeners.push_back(WithSynRecv(Listener("0.0.0.0", 80, 0, 100), 49));
  // Cookies on: 49 of 101, not near.
  EXPECT_TRUE(CheckRule(SynQueuePressureRule(), s).empty());
  s.sysctls.tcp_syncookies = 0;
  const auto findings = CheckRule(SynQueuePressureRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(IntFact(findings[0], "syn_queue_limit"), 49);
  EXPECT_EQ(IntFact(findings[0], "tcp_max_syn_backlog"), 64);
  EXPECT_EQ(IntFact(findings[0], "full_now"), 1);
  EXPECT_NE(Joined(findings[0].evidence).find("tcp_max_syn_backlog = 64 lowers that to 49"),
            std::string::npos)
      << Joined(findings[0].evidence);
}

TEST(SynQueuePressureRule, CookiesRisingWithoutAFullListenerIsAttributed) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(WithSynRecv(Listener("0.0.0.0", 80, 0, 4096, 10, "nginx"), 30));
  s.listeners.push_back(WithSynRecv(Listener("0.0.0.0", 22, 0, 128, 1, "sshd"), 0));
  SetCounter(s, "TcpExt.TCPReqQFullDoCookies", 500, 50, 1.0);
  SetCounter(s, "TcpExt.SyncookiesSent", 500, 52, 1.0);
  auto findings = CheckRule(SynQueuePressureRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.subject, "0.0.0.0:80") << "the only listener with half-open connections";
  EXPECT_EQ(f.severity, Severity::kInfo) << "50/s < 100/s";
  EXPECT_EQ(IntFact(f, "req_q_full_do_cookies"), 50);
  EXPECT_EQ(IntFact(f, "syncookies_sent"), 52);
  EXPECT_NE(Joined(f.evidence).find("per namespace"), std::string::npos);

  SetCounter(s, "TcpExt.TCPReqQFullDoCookies", 700, 200, 1.0);
  s.deltas.emplace();
  s.deltas->Add(CounterDelta{"TcpExt", "TCPReqQFullDoCookies", DeltaStatus::kKnown, 200});
  findings = CheckRule(SynQueuePressureRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning) << "200/s";
}

TEST(SynQueuePressureRule, CountersGoToTheFullestPressedListenerOnly) {
  Snapshot s = HealthySnapshot();
  s.sysctls.tcp_syncookies = 0;
  s.listeners.push_back(WithSynRecv(Listener("0.0.0.0", 80, 0, 99, 10, "a"), 85));
  s.listeners.push_back(WithSynRecv(Listener("0.0.0.0", 81, 0, 99, 11, "b"), 100));
  SetCounter(s, "TcpExt.TCPReqQFullDrop", 100, 30, 1.0);
  const auto findings = CheckRule(SynQueuePressureRule(), s);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].subject, "0.0.0.0:81") << "fullest first";
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
  EXPECT_EQ(IntFact(findings[0], "req_q_full_drop"), 30);
  EXPECT_EQ(findings[1].subject, "0.0.0.0:80");
  EXPECT_EQ(findings[1].severity, Severity::kWarning);
  EXPECT_TRUE(std::none_of(findings[1].facts.begin(), findings[1].facts.end(),
                           [](const Fact& f) { return f.name == "req_q_full_drop"; }));
}

TEST(SynQueuePressureRule, DropsWithNoListenerToNameUseTheCounter) {
  Snapshot s = HealthySnapshot();
  s.sysctls.tcp_syncookies = 0;
  SetCounter(s, "TcpExt.TCPReqQFullDrop", 100, 3, 1.0);
  const auto findings = CheckRule(SynQueuePressureRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "TCPReqQFullDrop");
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
}

TEST(SynQueuePressureRule, OneSampleHasNoRates) {
  Snapshot s = HealthySnapshot();
  s.sysctls.tcp_syncookies = 0;
  s.listeners.push_back(WithSynRecv(Listener("0.0.0.0", 80, 0, 511), 2));
  EXPECT_TRUE(CheckRule(SynQueuePressureRule(), s).empty());
}

TEST(SynQueuePressureRule, TopicsAreExplainTopics) {
  Snapshot s = HealthySnapshot();
  s.sysctls.tcp_syncookies = 0;
  s.listeners.push_back(WithSynRecv(Listener("0.0.0.0", 80, 0, 8), 9));
  for (const Finding& f : CheckRule(SynQueuePressureRule(), s)) {
    for (const std::string& t : f.topics) EXPECT_NE(FindTopic(t), nullptr) << t;
  }
}

}  // namespace
}  // namespace tcpdoctor
