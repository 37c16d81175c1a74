// close-pileup on constructed snapshots: FIN_WAIT2 held by a process (no timeout) versus
// orphaned (tcp_fin_timeout), LAST_ACK / FIN_WAIT1 / CLOSING piles, orphans against
// tcp_max_orphans and TCP memory against tcp_mem (both global: skipped in a child namespace),
// TCPAbortOnMemory, thresholds and overrides.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "analyze/explain_topics.h"
#include "analyze/rules/close_pileup.h"
#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::Addr;
using test_util::CheckRule;
using test_util::DoubleFact;
using test_util::FactOf;
using test_util::FindingAbout;
using test_util::HealthySnapshot;
using test_util::IntFact;
using test_util::Joined;
using test_util::Process;
using test_util::SetCounter;
using test_util::SettingsWith;
using test_util::TextFact;

std::string AllText(const Finding& f) {
  return f.title + "\n" + Joined(f.evidence) + f.why + "\n" + Joined(f.fix);
}

void SetSockstat(Snapshot& s, uint64_t orphan, uint64_t mem) {
  SockstatLine tcp;
  tcp.protocol = "TCP";
  tcp.fields = {{"inuse", 10}, {"orphan", orphan}, {"tw", 0}, {"alloc", 12}, {"mem", mem}};
  s.sockstat.lines = {tcp};
}

// `n` FIN_WAIT2 sockets held by `p` (also counted in the namespace's states).
void HoldFinWait2(Snapshot& s, ProcessSnapshot p, uint64_t n) {
  p.states.Add(TcpState::kFinWait2, n);
  s.states.Add(TcpState::kFinWait2, n);
  s.processes.push_back(std::move(p));
}

TEST(ClosePileupRule, HealthyNamespaceSaysNothing) {
  Snapshot s = HealthySnapshot();
  s.states.Add(TcpState::kEstablished, 40);
  s.states.Add(TcpState::kFinWait2, 3);
  s.states.Add(TcpState::kLastAck, 2);
  s.fin_wait2_orphaned = 3;
  SetSockstat(s, 5, 30);
  EXPECT_TRUE(CheckRule(ClosePileupRule(), s).empty());
}

TEST(ClosePileupRule, OwnedFinWait2IsNamedByProcessWithPeers) {
  Snapshot s = HealthySnapshot();
  HoldFinWait2(s, Process(4321, "uploader"), 120);
  s.states.Add(TcpState::kFinWait2, 7);  // orphans too
  s.fin_wait2_orphaned = 7;
  s.fin_wait2_peers = {{Addr("10.0.0.9"), 0, 110}, {Addr("10.0.0.8"), 0, 17}};
  const auto findings = CheckRule(ClosePileupRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.id, "close-pileup");
  EXPECT_EQ(f.subject, "uploader[4321]");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(TextFact(f, "comm"), "uploader");
  EXPECT_EQ(IntFact(f, "pid"), 4321);
  EXPECT_EQ(IntFact(f, "fin_wait2"), 120);
  EXPECT_EQ(IntFact(f, "fin_wait2_owned"), 120);
  EXPECT_EQ(IntFact(f, "fin_wait2_orphaned"), 7);
  EXPECT_EQ(TextFact(f, "top_peer"), "10.0.0.9");
  EXPECT_EQ(IntFact(f, "top_peer_sockets"), 110);
  EXPECT_NE(Joined(f.evidence).find("10.0.0.9 (110), 10.0.0.8 (17)"), std::string::npos);
  EXPECT_NE(f.why.find("no timeout"), std::string::npos) << f.why;
  EXPECT_EQ(AllText(f).find("sysctl -w"), std::string::npos)
      << "owned FIN_WAIT2 is not a sysctl matter:\n"
      << AllText(f);
}

TEST(ClosePileupRule, OwnedThresholdEdgeAndOverride) {
  Snapshot s = HealthySnapshot();
  HoldFinWait2(s, Process(10, "a"), 99);
  const Rule rule = ClosePileupRule();
  EXPECT_TRUE(CheckRule(rule, s).empty()) << "99 < 100";
  s = HealthySnapshot();
  HoldFinWait2(s, Process(10, "a"), 100);
  EXPECT_EQ(CheckRule(rule, s).size(), 1u) << "100";
  s = HealthySnapshot();
  HoldFinWait2(s, Process(10, "a"), 5);
  const auto findings = rule.check(s, SettingsWith(rule, "fin_wait2_owned_min", 5));
  ASSERT_EQ(findings.size(), 1u) << "--set fin_wait2_owned_min=5";
  EXPECT_EQ(IntFact(findings[0], "fin_wait2"), 5);
}

TEST(ClosePileupRule, OwnedSpreadOverProcessesIsOneNamespaceFinding) {
  Snapshot s = HealthySnapshot();
  HoldFinWait2(s, Process(10, "a"), 60);
  HoldFinWait2(s, Process(11, "b"), 50);
  const auto findings = CheckRule(ClosePileupRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "FIN_WAIT2");
  EXPECT_EQ(IntFact(findings[0], "fin_wait2"), 110);
  EXPECT_NE(Joined(findings[0].evidence).find("a[10] (60), b[11] (50)"), std::string::npos)
      << Joined(findings[0].evidence);
}

TEST(ClosePileupRule, OrphanedFinWait2IsInformationAndNeverAboutTimeWait) {
  Snapshot s = HealthySnapshot();
  s.states.Add(TcpState::kFinWait2, 1200);
  s.fin_wait2_orphaned = 1200;
  s.fin_wait2_peers = {{Addr("192.0.2.1"), 0, 1200}};
  const auto findings = CheckRule(ClosePileupRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.subject, "FIN_WAIT2 (orphaned)");
  EXPECT_EQ(f.severity, Severity::kInfo);
  EXPECT_EQ(IntFact(f, "fin_wait2_orphaned"), 1200);
  EXPECT_EQ(IntFact(f, "tcp_fin_timeout"), 60);
  EXPECT_NE(Joined(f.evidence).find("at least 1200 closes a minute"), std::string::npos)
      << Joined(f.evidence);
  const std::string fix = Joined(f.fix);
  EXPECT_NE(fix.find("sysctl -w net.ipv4.tcp_fin_timeout=30"), std::string::npos) << fix;
  EXPECT_NE(fix.find("not TIME_WAIT"), std::string::npos) << fix;
  // With tcp_fin_timeout already short, no shorter one is suggested.
  s.sysctls.tcp_fin_timeout_s = 15;
  const auto short_timeout = CheckRule(ClosePileupRule(), s);
  ASSERT_EQ(short_timeout.size(), 1u);
  EXPECT_NE(Joined(short_timeout[0].evidence).find("at least 4800 closes a minute"),
            std::string::npos);
  EXPECT_EQ(Joined(short_timeout[0].fix).find("sysctl -w"), std::string::npos);
  s.states = StateCounts{};
  s.states.Add(TcpState::kFinWait2, 999);
  s.fin_wait2_orphaned = 999;
  EXPECT_TRUE(CheckRule(ClosePileupRule(), s).empty()) << "999 < 1000";
}

TEST(ClosePileupRule, LastAckPileUpNamesThePeers) {
  Snapshot s = HealthySnapshot();
  s.states.Add(TcpState::kLastAck, 100);
  s.last_ack_peers = {{Addr("198.51.100.7"), 0, 100}};
  auto findings = CheckRule(ClosePileupRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.subject, "LAST_ACK");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(IntFact(f, "sockets"), 100);
  EXPECT_EQ(TextFact(f, "top_peer"), "198.51.100.7");
  EXPECT_EQ(IntFact(f, "tcp_orphan_retries"), 0);
  EXPECT_NE(Joined(f.evidence).find("0 means 8"), std::string::npos);
  EXPECT_NE(f.why.find("peer is gone"), std::string::npos);
  s.states = StateCounts{};
  s.states.Add(TcpState::kLastAck, 99);
  EXPECT_TRUE(CheckRule(ClosePileupRule(), s).empty());
  const Rule rule = ClosePileupRule();
  EXPECT_EQ(rule.check(s, SettingsWith(rule, "unacked_fin_min", 99)).size(), 1u);
}

TEST(ClosePileupRule, FinWait1AndClosingEachHaveAFinding) {
  Snapshot s = HealthySnapshot();
  s.states.Add(TcpState::kFinWait1, 150);
  s.states.Add(TcpState::kClosing, 100);
  const auto findings = CheckRule(ClosePileupRule(), s);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_NE(FindingAbout(findings, "FIN_WAIT1"), nullptr);
  EXPECT_NE(FindingAbout(findings, "CLOSING"), nullptr);
}

TEST(ClosePileupRule, OrphansAgainstTcpMaxOrphans) {
  Snapshot s = HealthySnapshot();
  s.sysctls.tcp_max_orphans = 4000;
  SetSockstat(s, 999, 10);
  EXPECT_TRUE(CheckRule(ClosePileupRule(), s).empty()) << "24.98 %";
  SetSockstat(s, 1000, 10);
  auto findings = CheckRule(ClosePileupRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "orphans");
  EXPECT_EQ(findings[0].severity, Severity::kWarning) << "25 %: the kernel may act at 1/4";
  EXPECT_EQ(IntFact(findings[0], "orphans"), 1000);
  EXPECT_EQ(IntFact(findings[0], "tcp_max_orphans"), 4000);
  EXPECT_DOUBLE_EQ(DoubleFact(findings[0], "orphans_percent"), 25.0);
  EXPECT_NE(findings[0].why.find("1/2 or 1/4"), std::string::npos);
  SetSockstat(s, 2000, 10);
  findings = CheckRule(ClosePileupRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kCritical) << "50 %";
  const Rule rule = ClosePileupRule();
  EXPECT_EQ(rule.check(s, SettingsWith(rule, "orphans_critical_percent", 60))[0].severity,
            Severity::kWarning);
}

TEST(ClosePileupRule, GlobalPartsAreSkippedInAChildNamespace) {
  Snapshot s = HealthySnapshot();
  s.sysctls.tcp_max_orphans.reset();
  s.sysctls.tcp_mem.reset();
  s.sysctls.missing = {"net.ipv4.tcp_max_orphans", "net.ipv4.tcp_mem"};
  SetSockstat(s, 1000000, 100000000);
  EXPECT_TRUE(CheckRule(ClosePileupRule(), s).empty());
}

TEST(ClosePileupRule, TcpMemoryAgainstPressureAndMax) {
  Snapshot s = HealthySnapshot();  // tcp_mem 287832 383779 575664
  SetSockstat(s, 0, 345000);       // 89.9 % of pressure
  EXPECT_TRUE(CheckRule(ClosePileupRule(), s).empty());
  SetSockstat(s, 0, 345402);  // 90.0 % of pressure
  auto findings = CheckRule(ClosePileupRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "tcp_mem");
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_EQ(IntFact(findings[0], "mem_pages"), 345402);
  EXPECT_EQ(IntFact(findings[0], "tcp_mem_pressure"), 383779);
  EXPECT_NE(findings[0].title.find("near the pressure threshold"), std::string::npos);
  SetSockstat(s, 0, 518098);  // 90.0 % of max
  findings = CheckRule(ClosePileupRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
  EXPECT_NE(findings[0].title.find("under pressure"), std::string::npos);
}

TEST(ClosePileupRule, AbortOnMemoryIsCritical) {
  Snapshot s = HealthySnapshot();
  SetSockstat(s, 3, 20);
  SetCounter(s, "TcpExt.TCPAbortOnMemory", 12, 4);
  auto findings = CheckRule(ClosePileupRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "TCPAbortOnMemory");
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
  EXPECT_EQ(IntFact(findings[0], "abort_on_memory"), 4);
  // With orphans already reported, it goes into that finding.
  s.sysctls.tcp_max_orphans = 40;
  SetSockstat(s, 10, 20);
  findings = CheckRule(ClosePileupRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "orphans");
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
  EXPECT_EQ(IntFact(findings[0], "abort_on_memory"), 4);
}

TEST(ClosePileupRule, NoAdviceShortensTimeWait) {
  Snapshot s = HealthySnapshot();
  HoldFinWait2(s, Process(1, "a"), 200);
  s.states.Add(TcpState::kFinWait2, 2000);
  s.fin_wait2_orphaned = 2000;
  s.states.Add(TcpState::kLastAck, 300);
  s.sysctls.tcp_max_orphans = 100;
  SetSockstat(s, 90, 500000);
  const auto findings = CheckRule(ClosePileupRule(), s);
  EXPECT_EQ(findings.size(), 5u);
  for (const Finding& f : findings) {
    const std::string text = AllText(f);
    EXPECT_EQ(text.find("shorten TIME_WAIT"), std::string::npos) << text;
    EXPECT_EQ(text.find("tcp_max_tw_buckets="), std::string::npos) << text;
    for (const std::string& t : f.topics) EXPECT_NE(FindTopic(t), nullptr) << t;
  }
}

}  // namespace
}  // namespace tcpdoctor
