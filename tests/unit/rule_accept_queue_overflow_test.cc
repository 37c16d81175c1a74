// accept-queue-overflow on constructed snapshots: a listener full now, ListenOverflows rising
// (attributed to the full listener, the only one, or the fullest), the slow-accept / small
// backlog / somaxconn-cap diagnoses, thresholds and their overrides.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "analyze/rules/accept_queue_overflow.h"
#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::CheckRule;
using test_util::FactOf;
using test_util::FindingAbout;
using test_util::HasFact;
using test_util::HealthySnapshot;
using test_util::IntFact;
using test_util::Joined;
using test_util::Listener;
using test_util::SetCounter;
using test_util::SettingsWith;
using test_util::TextFact;

TEST(AcceptQueueOverflowRule, HealthyNamespaceSaysNothing) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(Listener("0.0.0.0", 80, 0, 511, 100, "nginx"));
  s.listeners.push_back(Listener("127.0.0.1", 5432, 3, 244, 200, "postgres"));
  EXPECT_TRUE(CheckRule(AcceptQueueOverflowRule(), s).empty());
  // Two samples, counters standing still.
  SetCounter(s, "TcpExt.ListenOverflows", 17, 0);
  SetCounter(s, "TcpExt.ListenDrops", 17, 0);
  EXPECT_TRUE(CheckRule(AcceptQueueOverflowRule(), s).empty());
}

TEST(AcceptQueueOverflowRule, QueueAtBacklogIsNotFullButBacklogPlusOneIs) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(Listener("0.0.0.0", 8080, 511, 511, 1234, "java"));
  EXPECT_TRUE(CheckRule(AcceptQueueOverflowRule(), s).empty()) << "511 of 512: room for one more";
  s.listeners.back().accept_queue = 512;
  const auto findings = CheckRule(AcceptQueueOverflowRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.id, "accept-queue-overflow");
  EXPECT_EQ(f.subject, "0.0.0.0:8080");
  EXPECT_EQ(f.severity, Severity::kWarning) << "one sample: full now, no rate";
  EXPECT_NE(f.title.find("java[1234]"), std::string::npos) << f.title;
  EXPECT_EQ(TextFact(f, "comm"), "java");
  EXPECT_EQ(IntFact(f, "pid"), 1234);
  EXPECT_EQ(IntFact(f, "port"), 8080);
  EXPECT_EQ(IntFact(f, "accept_queue"), 512);
  EXPECT_EQ(IntFact(f, "backlog"), 511);
  EXPECT_EQ(IntFact(f, "full_now"), 1);
  EXPECT_EQ(TextFact(f, "cause"), "slow_accept");
  EXPECT_EQ(TextFact(f, "blame"), "full_now");
  EXPECT_FALSE(HasFact(f, "listen_overflows")) << "no rate with one sample";
  EXPECT_NE(f.why.find("accept()"), std::string::npos) << f.why;
  ASSERT_FALSE(f.fix.empty());
  EXPECT_NE(f.fix.front().find("accept faster"), std::string::npos) << "application first";
  EXPECT_NE(f.fix.back().find("tcp_abort_on_overflow"), std::string::npos);
  EXPECT_EQ(Joined(f.fix).find("sysctl -w net.core.somaxconn"), std::string::npos)
      << "not capped: no somaxconn advice\n"
      << Joined(f.fix);
  EXPECT_NE(Joined(f.evidence).find("min(listen() argument, net.core.somaxconn = 4096)"),
            std::string::npos)
      << Joined(f.evidence);
}

TEST(AcceptQueueOverflowRule, SeverityFollowsTheOverflowRate) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(Listener("0.0.0.0", 80, 512, 511, 10, "nginx"));
  SetCounter(s, "TcpExt.ListenOverflows", 1000, 18, 2.0);  // 9/s
  SetCounter(s, "TcpExt.ListenDrops", 1000, 18, 2.0);
  auto findings = CheckRule(AcceptQueueOverflowRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning) << "9/s < 10/s";
  EXPECT_EQ(IntFact(findings[0], "listen_overflows"), 18);
  EXPECT_EQ(IntFact(findings[0], "listen_drops"), 18);
  const Fact* rate = FactOf(findings[0], "listen_overflows_per_second");
  ASSERT_NE(rate, nullptr);
  EXPECT_DOUBLE_EQ(std::get<double>(rate->value), 9.0);
  EXPECT_NE(findings[0].title.find("being dropped"), std::string::npos) << findings[0].title;

  s = HealthySnapshot();
  s.listeners.push_back(Listener("0.0.0.0", 80, 512, 511, 10, "nginx"));
  SetCounter(s, "TcpExt.ListenOverflows", 1000, 20, 2.0);  // 10/s
  findings = CheckRule(AcceptQueueOverflowRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kCritical) << "10/s";

  const Rule rule = AcceptQueueOverflowRule();
  findings = rule.check(s, SettingsWith(rule, "critical_per_second", 11));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning) << "--set critical_per_second=11";
}

TEST(AcceptQueueOverflowRule, RisingCountersWithoutAFullQueueBlameTheOnlyListener) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(Listener("10.0.0.1", 443, 2, 1024, 55, "haproxy"));
  s.listeners.back().samples = 10;
  s.listeners.back().peak_accept_queue = 1025;
  s.listeners.back().samples_full = 3;
  SetCounter(s, "TcpExt.ListenOverflows", 40, 4);
  const auto findings = CheckRule(AcceptQueueOverflowRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.subject, "10.0.0.1:443");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(TextFact(f, "blame"), "only_listener");
  EXPECT_EQ(TextFact(f, "cause"), "bursts") << "it drains between samples";
  EXPECT_EQ(IntFact(f, "full_now"), 0);
  EXPECT_EQ(IntFact(f, "samples_full"), 3);
  EXPECT_EQ(IntFact(f, "peak_accept_queue"), 1025);
  EXPECT_NE(Joined(f.evidence).find("sampled 10 times over 1 s: full in 3, peak 1025"),
            std::string::npos)
      << Joined(f.evidence);
  EXPECT_NE(Joined(f.evidence).find("only listener"), std::string::npos) << Joined(f.evidence);
}

TEST(AcceptQueueOverflowRule, SeveralListenersNoneFullBlameTheFullest) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(Listener("0.0.0.0", 80, 10, 511, 10, "nginx"));
  s.listeners.push_back(Listener("0.0.0.0", 8080, 40, 50, 20, "java"));  // 40/51
  s.listeners.push_back(Listener("127.0.0.1", 6379, 0, 511, 30, "redis-server"));
  for (ListenerQueue& l : s.listeners) {
    l.samples = 5;
    l.peak_accept_queue = l.accept_queue;
  }
  SetCounter(s, "TcpExt.ListenOverflows", 40, 1);
  const auto findings = CheckRule(AcceptQueueOverflowRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.subject, "0.0.0.0:8080");
  EXPECT_EQ(TextFact(f, "blame"), "fullest");
  EXPECT_EQ(TextFact(f, "cause"), "small_backlog") << "50 < 128";
  EXPECT_EQ(TextFact(f, "comm"), "java");
  EXPECT_NE(f.title.find("most likely"), std::string::npos) << f.title;
  EXPECT_NE(Joined(f.evidence).find("of 3 listeners none is full now"), std::string::npos)
      << Joined(f.evidence);
  EXPECT_NE(f.why.find("only 50"), std::string::npos) << f.why;
  EXPECT_NE(f.fix.front().find("larger backlog"), std::string::npos) << Joined(f.fix);
}

TEST(AcceptQueueOverflowRule, MinOverflowsIsAThreshold) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(Listener("0.0.0.0", 80, 1, 511));
  SetCounter(s, "TcpExt.ListenOverflows", 40, 4);
  const Rule rule = AcceptQueueOverflowRule();
  EXPECT_EQ(rule.check(s, SettingsWith(rule, "min_overflows", 4)).size(), 1u) << "at the threshold";
  EXPECT_TRUE(rule.check(s, SettingsWith(rule, "min_overflows", 5)).empty()) << "below it";
  EXPECT_TRUE(rule.check(s, SettingsWith(rule, "min_overflows", 0)).size() == 1u);
  SetCounter(s, "TcpExt.ListenOverflows", 40, 0);
  s.deltas.emplace();
  s.deltas->Add(CounterDelta{"TcpExt", "ListenOverflows", DeltaStatus::kKnown, 0});
  EXPECT_TRUE(rule.check(s, SettingsWith(rule, "min_overflows", 0)).empty()) << "0 never overflows";
}

TEST(AcceptQueueOverflowRule, SomaxconnCapSaysListenMustBeCalledAgain) {
  Snapshot s = HealthySnapshot();
  s.sysctls.somaxconn = 128;
  s.listeners.push_back(Listener("0.0.0.0", 80, 129, 128, 7, "nginx"));
  s.listeners.back().owner_processes = 5;
  SetCounter(s, "TcpExt.ListenOverflows", 300, 30, 1.0);
  const auto findings = CheckRule(AcceptQueueOverflowRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_EQ(TextFact(f, "cause"), "somaxconn_cap");
  EXPECT_EQ(IntFact(f, "capped_by_somaxconn"), 1);
  EXPECT_EQ(IntFact(f, "somaxconn"), 128);
  EXPECT_EQ(IntFact(f, "processes"), 5);
  EXPECT_NE(f.title.find("nginx[7] and 4 more processes"), std::string::npos) << f.title;
  const std::string fix = Joined(f.fix);
  EXPECT_NE(fix.find("sysctl -w net.core.somaxconn=4096"), std::string::npos) << fix;
  EXPECT_NE(fix.find("net.core.somaxconn = 4096"), std::string::npos) << fix;
  EXPECT_NE(fix.find("listen() again"), std::string::npos) << fix;
  EXPECT_LT(fix.find("accept faster"), fix.find("sysctl -w")) << "application first:\n" << fix;
  EXPECT_NE(Joined(f.evidence).find("somaxconn capped it"), std::string::npos);
  EXPECT_NE(f.why.find("min(listen() argument, net.core.somaxconn)"), std::string::npos) << f.why;
}

TEST(AcceptQueueOverflowRule, EveryFullListenerIsNamedAndTheCountersShared) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(Listener("0.0.0.0", 80, 512, 511, 10, "nginx"));
  s.listeners.push_back(Listener("0.0.0.0", 81, 5, 511, 10, "nginx"));
  s.listeners.push_back(Listener("::", 8080, 51, 50, 20, "java"));
  SetCounter(s, "TcpExt.ListenOverflows", 300, 3);
  const auto findings = CheckRule(AcceptQueueOverflowRule(), s);
  ASSERT_EQ(findings.size(), 2u);
  ASSERT_NE(FindingAbout(findings, "0.0.0.0:80"), nullptr);
  const Finding* java = FindingAbout(findings, "[::]:8080");
  ASSERT_NE(java, nullptr);
  EXPECT_EQ(TextFact(*java, "cause"), "small_backlog");
  EXPECT_NE(Joined(java->evidence).find("2 listeners are full now"), std::string::npos);
}

TEST(AcceptQueueOverflowRule, ReuseportListenersGetDistinctSubjects) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(Listener("0.0.0.0", 80, 512, 511, 10, "nginx"));
  s.listeners.back().inode = 111;
  s.listeners.push_back(Listener("0.0.0.0", 80, 512, 511, 11, "nginx"));
  s.listeners.back().inode = 222;
  const auto findings = CheckRule(AcceptQueueOverflowRule(), s);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_NE(FindingAbout(findings, "0.0.0.0:80 (inode 111)"), nullptr);
  EXPECT_NE(FindingAbout(findings, "0.0.0.0:80 (inode 222)"), nullptr);
}

TEST(AcceptQueueOverflowRule, NoListenerLeftStillReportsTheDrops) {
  Snapshot s = HealthySnapshot();
  SetCounter(s, "TcpExt.ListenOverflows", 300, 50);
  const auto findings = CheckRule(AcceptQueueOverflowRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "ListenOverflows");
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
  EXPECT_EQ(TextFact(findings[0], "blame"), "none");
}

TEST(AcceptQueueOverflowRule, UnknownBacklogNeverLooksFull) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(Listener("0.0.0.0", 80, 900, 0));
  s.listeners.back().backlog_known = false;
  EXPECT_TRUE(CheckRule(AcceptQueueOverflowRule(), s).empty());
}

TEST(AcceptQueueOverflowRule, TopicsAreExplainTopics) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(Listener("0.0.0.0", 80, 512, 511));
  const auto findings = CheckRule(AcceptQueueOverflowRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].topics,
            (std::vector<std::string>{"ListenOverflows", "ListenDrops", "net.core.somaxconn",
                                      "net.ipv4.tcp_abort_on_overflow"}));
}

}  // namespace
}  // namespace tcpdoctor
