// Rule server-active-close on constructed snapshots: TIME_WAIT on a listening port is info from
// info_sockets, a warning when it is a large share of tcp_max_tw_buckets; the evidence names
// the port, the listener's process and the clients; the text says it costs no ports and that
// tcp_tw_reuse does not apply.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "analyze/doctor.h"
#include "analyze/explain_topics.h"
#include "analyze/rules/server_active_close.h"
#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::Addr;
using test_util::DoubleFact;
using test_util::FactOf;
using test_util::FindingAbout;
using test_util::HealthySnapshot;
using test_util::IntFact;
using test_util::Joined;
using test_util::Listener;
using test_util::TextFact;

ListeningPortTimeWait PortTimeWait(uint16_t port, uint64_t time_wait,
                                   std::vector<EndpointCount> peers = {}) {
  ListeningPortTimeWait p;
  p.port = port;
  p.time_wait = time_wait;
  p.peers = std::move(peers);
  return p;
}

// A web server on port 80 (nginx, pid 1234, with 4 workers) and `time_wait` of its accepted
// connections in TIME_WAIT.
Snapshot WebServer(uint64_t time_wait) {
  Snapshot s = HealthySnapshot();
  ListenerQueue l = Listener("0.0.0.0", 80, 0, 511, 1234, "nginx");
  l.owner_processes = 5;
  s.listeners.push_back(l);
  s.listeners.push_back(Listener("0.0.0.0", 22, 0, 128, 500, "sshd"));
  s.listening_time_wait.push_back(PortTimeWait(
      80, time_wait,
      {{Addr("10.0.0.5"), 0, time_wait * 3 / 4}, {Addr("10.0.0.6"), 0, time_wait / 4}}));
  s.states.Add(TcpState::kTimeWait, time_wait + 10);
  return s;
}

TEST(RuleServerActiveCloseTest, HealthySnapshotFindsNothing) {
  EXPECT_TRUE(test_util::CheckRule(ServerActiveCloseRule(), HealthySnapshot()).empty());
}

TEST(RuleServerActiveCloseTest, AFewTimeWaitOnAListeningPortFindNothing) {
  EXPECT_TRUE(test_util::CheckRule(ServerActiveCloseRule(), WebServer(50)).empty());
}

TEST(RuleServerActiveCloseTest, ThresholdEdges) {
  EXPECT_TRUE(test_util::CheckRule(ServerActiveCloseRule(), WebServer(999)).empty());
  auto findings = test_util::CheckRule(ServerActiveCloseRule(), WebServer(1000));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kInfo);
  // 25 % of 131072 is 32768.
  findings = test_util::CheckRule(ServerActiveCloseRule(), WebServer(32767));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kInfo);
  findings = test_util::CheckRule(ServerActiveCloseRule(), WebServer(32768));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
}

TEST(RuleServerActiveCloseTest, WarningScalesWithTcpMaxTwBuckets) {
  Snapshot s = WebServer(1100);
  s.sysctls.tcp_max_tw_buckets = 4096;  // a small host: 1100 is 27 % of it
  auto findings = test_util::CheckRule(ServerActiveCloseRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_NE(Joined(findings[0].fix).find("`sysctl -w net.ipv4.tcp_max_tw_buckets=8192`"),
            std::string::npos)
      << Joined(findings[0].fix);
  // Unknown limit: no warning, still info.
  s.sysctls.tcp_max_tw_buckets.reset();
  findings = test_util::CheckRule(ServerActiveCloseRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kInfo);
  EXPECT_EQ(Joined(findings[0].fix).find("tcp_max_tw_buckets="), std::string::npos);
}

TEST(RuleServerActiveCloseTest, OverridesMoveTheThresholds) {
  const Rule rule = ServerActiveCloseRule();
  DoctorSettings settings;
  ASSERT_TRUE(settings.Set("server-active-close.info_sockets=10").ok());
  ASSERT_TRUE(settings.Set("server-active-close.warning_percent=0.01").ok());
  EXPECT_TRUE(rule.check(WebServer(9), settings.For(rule)).empty());
  auto findings = rule.check(WebServer(10), settings.For(rule));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kInfo);  // 10 is 0.0076 % of 131072
  findings = rule.check(WebServer(14), settings.For(rule));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);  // 14 is 0.0107 %
}

TEST(RuleServerActiveCloseTest, EvidenceFactsAreExact) {
  const auto findings = test_util::CheckRule(ServerActiveCloseRule(), WebServer(1800));
  const Finding* f = FindingAbout(findings, "port 80");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->id, "server-active-close");
  EXPECT_EQ(f->title,
            "Port 80 (nginx[1234] +4) closes its connections first: 1800 TIME_WAIT "
            "sockets");
  EXPECT_EQ(IntFact(*f, "port"), 80);
  EXPECT_EQ(IntFact(*f, "time_wait"), 1800);
  EXPECT_DOUBLE_EQ(DoubleFact(*f, "closes_per_second"), 30.0);
  EXPECT_EQ(TextFact(*f, "comm"), "nginx");
  EXPECT_EQ(IntFact(*f, "pid"), 1234);
  EXPECT_EQ(TextFact(*f, "top_client"), "10.0.0.5");
  EXPECT_EQ(IntFact(*f, "top_client_time_wait"), 1350);
  EXPECT_EQ(IntFact(*f, "namespace_time_wait"), 1810);
  EXPECT_EQ(IntFact(*f, "tcp_max_tw_buckets"), 131072);
  EXPECT_DOUBLE_EQ(DoubleFact(*f, "tw_buckets_percent"), 100.0 * 1800 / 131072);
  const std::string evidence = Joined(f->evidence);
  EXPECT_NE(evidence.find("Port 80 of nginx[1234] +4: 1800 TIME_WAIT sockets, left by about "
                          "30/s connections this server closed first"),
            std::string::npos)
      << evidence;
  EXPECT_NE(evidence.find("Clients: 10.0.0.5 (1350), 10.0.0.6 (450)"), std::string::npos)
      << evidence;
  EXPECT_NE(evidence.find("1.4 % of tcp_max_tw_buckets (131072)"), std::string::npos) << evidence;
  for (const std::string& topic : f->topics) EXPECT_NE(FindTopic(topic), nullptr) << topic;
}

TEST(RuleServerActiveCloseTest, SaysMemoryNotPortsAndNoSysctlShortcut) {
  const auto findings = test_util::CheckRule(ServerActiveCloseRule(), WebServer(2000));
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_NE(f.why.find("no ports"), std::string::npos) << f.why;
  EXPECT_NE(Joined(f.evidence).find("Cost: memory only"), std::string::npos);
  ASSERT_GE(f.fix.size(), 2u);
  EXPECT_NE(f.fix[0].find("keep-alive"), std::string::npos) << f.fix[0];
  const std::string last = f.fix.back();
  EXPECT_NE(last.find("tcp_tw_reuse only affects outgoing connect()"), std::string::npos);
  EXPECT_NE(last.find("tcp_fin_timeout does not shorten TIME_WAIT"), std::string::npos);
  EXPECT_NE(last.find("tcp_tw_recycle was removed in Linux 4.12"), std::string::npos);
  // No command sets any of them.
  const std::string fix = Joined(f.fix);
  EXPECT_EQ(fix.find("sysctl -w"), std::string::npos) << "info: nothing to tune";
  EXPECT_EQ(fix.find("tcp_tw_reuse="), std::string::npos);
  EXPECT_EQ(fix.find("tcp_fin_timeout="), std::string::npos);
}

TEST(RuleServerActiveCloseTest, UnknownOwnerAndOnePortPerFinding) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(Listener("0.0.0.0", 8080, 0, 128, 0, ""));
  s.listening_time_wait.push_back(PortTimeWait(8080, 5000));
  s.listening_time_wait.push_back(PortTimeWait(443, 1200));
  s.listening_time_wait.push_back(PortTimeWait(25, 10));
  const auto findings = test_util::CheckRule(ServerActiveCloseRule(), s);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].subject, "port 8080");
  EXPECT_EQ(findings[0].title, "Port 8080 closes its connections first: 5000 TIME_WAIT sockets");
  EXPECT_EQ(TextFact(findings[0], "comm"), "");
  EXPECT_EQ(IntFact(findings[0], "pid"), 0);
  EXPECT_EQ(TextFact(findings[0], "top_client"), "");
  EXPECT_EQ(findings[1].subject, "port 443");
}

}  // namespace
}  // namespace tcpdoctor
