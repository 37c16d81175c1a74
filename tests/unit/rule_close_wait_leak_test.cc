// close-wait-leak on constructed snapshots: a process holding CLOSE_WAIT is reported only with
// evidence that the sockets are not closes in progress (age, growth, sheer count), critical near
// its fd limit, and CLOSE_WAIT nobody can be named for is reported apart.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "analyze/doctor.h"
#include "analyze/rules/close_wait_leak.h"
#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::Addr;
using test_util::CheckRule;
using test_util::DoubleFact;
using test_util::FactOf;
using test_util::FindingAbout;
using test_util::HasFact;
using test_util::HealthySnapshot;
using test_util::IntFact;
using test_util::Process;
using test_util::TextFact;

// A process with `close_wait` CLOSE_WAIT sockets from clients of its port 8080, the oldest idle
// for `idle_ms`.
ProcessSnapshot Leaker(uint64_t close_wait, std::optional<uint64_t> idle_ms,
                       uint32_t open_fds = 100, uint64_t soft = 1024) {
  ProcessSnapshot p = Process(4242, "leaky-app", open_fds, soft, 4096);
  p.info.cmdline = "/usr/bin/leaky-app --port 8080";
  p.info.unit = "leaky.service";
  p.info.user = "www";
  p.states.Add(TcpState::kCloseWait, close_wait);
  p.close_wait_idle_ms = idle_ms;
  if (close_wait > 0) {
    p.close_wait_peers = {{Addr("10.0.0.7"), 0, close_wait * 2 / 3},
                          {Addr("10.0.0.8"), 0, close_wait - close_wait * 2 / 3}};
    p.close_wait_local = {{Addr("10.0.0.1"), 8080, close_wait}};
  }
  return p;
}

std::vector<Finding> RunWith(const Snapshot& s,
                             const std::map<std::string, double, std::less<>>& set) {
  const Rule rule = CloseWaitLeakRule();
  std::map<std::string, double, std::less<>> values;
  for (const RuleParam& p : rule.params) values.emplace(std::string(p.key), p.value);
  for (const auto& [k, v] : set) values[k] = v;
  return rule.check(s, RuleSettings(std::move(values)));
}

TEST(CloseWaitLeakRuleTest, HealthySnapshotSaysNothing) {
  Snapshot s = HealthySnapshot();
  s.processes.push_back(Process(10, "nginx"));
  s.processes.push_back(Process(11, "sshd"));
  EXPECT_TRUE(CheckRule(CloseWaitLeakRule(), s).empty());
}

TEST(CloseWaitLeakRuleTest, OldCloseWaitIsAWarningWithEvidence) {
  Snapshot s = HealthySnapshot();
  s.processes.push_back(Leaker(12, 95'000));
  const auto findings = CheckRule(CloseWaitLeakRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.id, "close-wait-leak");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(f.subject, "leaky-app[4242]");
  EXPECT_NE(f.title.find("leaky-app[4242]"), std::string::npos) << f.title;
  EXPECT_EQ(IntFact(f, "pid"), 4242);
  EXPECT_EQ(TextFact(f, "comm"), "leaky-app");
  EXPECT_EQ(TextFact(f, "unit"), "leaky.service");
  EXPECT_EQ(IntFact(f, "close_wait"), 12);
  EXPECT_EQ(IntFact(f, "sockets"), 13);  // one ESTABLISHED too
  EXPECT_EQ(IntFact(f, "close_wait_idle_ms"), 95'000);
  EXPECT_EQ(TextFact(f, "top_peer"), "10.0.0.7");
  EXPECT_EQ(IntFact(f, "top_peer_count"), 8);
  EXPECT_EQ(TextFact(f, "top_local"), "10.0.0.1:8080");
  EXPECT_EQ(IntFact(f, "top_local_port"), 8080);
  EXPECT_EQ(IntFact(f, "top_local_count"), 12);
  EXPECT_EQ(IntFact(f, "open_fds"), 100);
  EXPECT_EQ(IntFact(f, "nofile_soft"), 1024);
  EXPECT_EQ(IntFact(f, "nofile_hard"), 4096);
  EXPECT_NEAR(DoubleFact(f, "fd_percent"), 100.0 * 100 / 1024, 1e-9);
  // One sample: nothing about growth.
  EXPECT_FALSE(HasFact(f, "close_wait_new"));
  const std::string holds =
      "leaky-app[4242] holds 12 sockets in CLOSE_WAIT (`/usr/bin/leaky-app --port 8080`, "
      "leaky.service, user www)";
  const std::vector<std::string> expected = {
      holds,
      "no data received for 95 s on the oldest (tcp_info last receive)",
      "peers: 10.0.0.7 (8), 10.0.0.8 (4)",
      "local: 10.0.0.1:8080 (12)",
      "open fds: 100 of soft nofile 1024 (9.8 %), hard 4096",
  };
  EXPECT_EQ(f.evidence, expected);
  EXPECT_EQ(f.topics, std::vector<std::string>{"CLOSE_WAIT"});
  // Application first; and never a sysctl to shorten CLOSE_WAIT.
  ASSERT_GE(f.fix.size(), 3u);
  EXPECT_NE(f.fix[0].find("close()"), std::string::npos);
  EXPECT_NE(f.fix[1].find("--pid 4242"), std::string::npos) << f.fix[1];
  EXPECT_NE(f.fix[2].find("Not a sysctl matter"), std::string::npos);
  for (const std::string& step : f.fix) EXPECT_EQ(step.find("sysctl -w"), std::string::npos);
  EXPECT_NE(f.fix.back().find("systemctl restart leaky.service"), std::string::npos);
  EXPECT_NE(f.why.find("no timeout"), std::string::npos);
}

TEST(CloseWaitLeakRuleTest, SocketCountEdge) {
  Snapshot s = HealthySnapshot();
  s.processes.push_back(Leaker(9, 95'000));  // just below min_sockets
  EXPECT_TRUE(CheckRule(CloseWaitLeakRule(), s).empty());
  s.processes[0] = Leaker(10, 95'000);  // at it
  EXPECT_EQ(CheckRule(CloseWaitLeakRule(), s).size(), 1u);
}

TEST(CloseWaitLeakRuleTest, IdleAgeEdge) {
  Snapshot s = HealthySnapshot();
  s.processes.push_back(Leaker(20, 29'999));  // young: could be closes in progress
  EXPECT_TRUE(CheckRule(CloseWaitLeakRule(), s).empty());
  s.processes[0].close_wait_idle_ms = 30'000;
  EXPECT_EQ(CheckRule(CloseWaitLeakRule(), s).size(), 1u);
  // Without tcp_info (the /proc/net/tcp source) there is no age.
  s.processes[0].close_wait_idle_ms.reset();
  EXPECT_TRUE(CheckRule(CloseWaitLeakRule(), s).empty());
}

TEST(CloseWaitLeakRuleTest, GrowthOverTheIntervalIsEvidence) {
  Snapshot s = HealthySnapshot();
  s.interval_seconds = 2;
  ProcessSnapshot p = Leaker(15, 3'000);
  p.close_wait_new = 5;  // 10 stayed, 5 came
  s.processes.push_back(p);
  const auto findings = CheckRule(CloseWaitLeakRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(IntFact(f, "close_wait_new"), 5);
  EXPECT_DOUBLE_EQ(DoubleFact(f, "interval_seconds"), 2.0);
  EXPECT_EQ(f.evidence[1],
            "+5 in 2 s (new since the first sample), 10 stayed in CLOSE_WAIT the "
            "whole interval");
}

TEST(CloseWaitLeakRuleTest, ChurnWithoutSurvivorsIsNotALeak) {
  // Every CLOSE_WAIT socket is younger than the interval: a busy server closing promptly.
  Snapshot s = HealthySnapshot();
  s.interval_seconds = 1;
  ProcessSnapshot p = Leaker(15, 3'000);
  p.close_wait_new = 15;
  s.processes.push_back(p);
  EXPECT_TRUE(CheckRule(CloseWaitLeakRule(), s).empty());
  // Nor sockets that stayed while none came (and are young).
  s.processes[0].close_wait_new = 0;
  EXPECT_TRUE(CheckRule(CloseWaitLeakRule(), s).empty());
  // One sample: close_wait_new means nothing.
  s.interval_seconds = 0;
  s.processes[0].close_wait_new = 5;
  EXPECT_TRUE(CheckRule(CloseWaitLeakRule(), s).empty());
}

TEST(CloseWaitLeakRuleTest, GrowthThresholdOverride) {
  Snapshot s = HealthySnapshot();
  s.interval_seconds = 1;
  ProcessSnapshot p = Leaker(15, 3'000);
  p.close_wait_new = 4;
  s.processes.push_back(p);
  EXPECT_TRUE(RunWith(s, {{"min_growth", 5}}).empty());
  EXPECT_EQ(RunWith(s, {{"min_growth", 4}}).size(), 1u);
}

TEST(CloseWaitLeakRuleTest, ManySocketsAloneIsAWarning) {
  Snapshot s = HealthySnapshot();
  s.processes.push_back(Leaker(99, std::nullopt));
  EXPECT_TRUE(CheckRule(CloseWaitLeakRule(), s).empty());
  s.processes[0] = Leaker(100, std::nullopt);
  const auto findings = CheckRule(CloseWaitLeakRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_FALSE(HasFact(findings[0], "close_wait_idle_ms"));
}

TEST(CloseWaitLeakRuleTest, CriticalNearTheFdLimit) {
  Snapshot s = HealthySnapshot();
  s.processes.push_back(Leaker(700, 600'000, 818, 1024));  // 79.9 %
  auto findings = CheckRule(CloseWaitLeakRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  s.processes[0] = Leaker(700, 600'000, 820, 1024);  // 80.1 %
  findings = CheckRule(CloseWaitLeakRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_NE(f.title.find("80 % of its fd limit"), std::string::npos) << f.title;
  EXPECT_NE(f.why.find("EMFILE"), std::string::npos);
  EXPECT_NE(f.fix.back().find("nofile"), std::string::npos);
  // The threshold is the user's.
  EXPECT_EQ(RunWith(s, {{"fd_percent_critical", 90}})[0].severity, Severity::kWarning);
}

TEST(CloseWaitLeakRuleTest, CriticalFromManySockets) {
  Snapshot s = HealthySnapshot();
  s.processes.push_back(Leaker(999, 600'000, 2000, 65536));
  EXPECT_EQ(CheckRule(CloseWaitLeakRule(), s)[0].severity, Severity::kWarning);
  s.processes[0] = Leaker(1000, 600'000, 2000, 65536);
  EXPECT_EQ(CheckRule(CloseWaitLeakRule(), s)[0].severity, Severity::kCritical);
}

TEST(CloseWaitLeakRuleTest, UnknownOrUnlimitedNofileIsNeverCritical) {
  Snapshot s = HealthySnapshot();
  ProcessSnapshot p = Leaker(50, 600'000, 5000);
  p.info.nofile_soft = kUnlimited;
  s.processes.push_back(p);
  auto findings = CheckRule(CloseWaitLeakRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_FALSE(HasFact(findings[0], "fd_percent"));
  EXPECT_EQ(findings[0].evidence.back(), "open fds: 5000 (nofile unlimited)");
  s.processes[0].info.nofile_soft.reset();
  findings = CheckRule(CloseWaitLeakRule(), s);
  EXPECT_EQ(findings[0].evidence.back(), "open fds: 5000 (nofile limit unknown)");
}

TEST(CloseWaitLeakRuleTest, MinSocketsOverride) {
  Snapshot s = HealthySnapshot();
  s.processes.push_back(Leaker(3, 3'600'000));
  EXPECT_TRUE(CheckRule(CloseWaitLeakRule(), s).empty());
  const auto findings = RunWith(s, {{"min_sockets", 3}});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(IntFact(findings[0], "close_wait"), 3);
  EXPECT_TRUE(RunWith(s, {{"min_sockets", 3}, {"min_idle_seconds", 3601}}).empty());
  // As `--set` gives it.
  DoctorSettings settings;
  ASSERT_TRUE(settings.Set("close-wait-leak.min_sockets=3"));
  const Rule rule = CloseWaitLeakRule();
  EXPECT_EQ(rule.check(s, settings.For(rule)).size(), 1u);
}

TEST(CloseWaitLeakRuleTest, OneFindingPerLeakingProcess) {
  Snapshot s = HealthySnapshot();
  s.processes.push_back(Leaker(40, 100'000));
  ProcessSnapshot other = Leaker(12, 100'000);
  other.info.pid = 77;
  other.info.comm = "worker";
  other.info.unit.clear();
  s.processes.push_back(other);
  s.processes.push_back(Process(5, "quiet"));
  const auto findings = CheckRule(CloseWaitLeakRule(), s);
  ASSERT_EQ(findings.size(), 2u);
  ASSERT_NE(FindingAbout(findings, "leaky-app[4242]"), nullptr);
  const Finding* worker = FindingAbout(findings, "worker[77]");
  ASSERT_NE(worker, nullptr);
  EXPECT_FALSE(HasFact(*worker, "unit"));
  EXPECT_NE(worker->fix.back().find("restarting worker"), std::string::npos);
}

TEST(CloseWaitLeakRuleTest, CloseWaitInAcceptQueues) {
  Snapshot s = HealthySnapshot();
  s.close_wait_not_accepted = 9;
  EXPECT_TRUE(CheckRule(CloseWaitLeakRule(), s).empty());
  s.close_wait_not_accepted = 10;
  const auto findings = CheckRule(CloseWaitLeakRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.subject, "accept queues");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(IntFact(f, "close_wait_not_accepted"), 10);
  EXPECT_NE(f.fix[0].find("accept()"), std::string::npos);
}

TEST(CloseWaitLeakRuleTest, CloseWaitOfUnreadableProcesses) {
  Snapshot s = HealthySnapshot();
  s.unreadable_processes = 3;
  s.close_wait_hidden = 9;
  EXPECT_TRUE(CheckRule(CloseWaitLeakRule(), s).empty());
  s.close_wait_hidden = 10;
  auto findings = CheckRule(CloseWaitLeakRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "unreadable processes");
  EXPECT_EQ(findings[0].severity, Severity::kInfo);  // no age or growth known
  EXPECT_EQ(IntFact(findings[0], "close_wait_hidden"), 10);
  EXPECT_EQ(IntFact(findings[0], "unreadable_processes"), 3);
  s.close_wait_hidden = 100;
  findings = CheckRule(CloseWaitLeakRule(), s);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
}

TEST(CloseWaitLeakRuleTest, ParamsHaveMeanings) {
  const Rule rule = CloseWaitLeakRule();
  EXPECT_EQ(rule.id, "close-wait-leak");
  for (const RuleParam& p : rule.params) EXPECT_FALSE(p.meaning.empty()) << p.key;
  const RuleSettings d = rule.Defaults();
  EXPECT_EQ(d.Get("min_sockets"), 10);
  EXPECT_EQ(d.Get("min_idle_seconds"), 30);
  EXPECT_EQ(d.Get("fd_percent_critical"), 80);
}

}  // namespace
}  // namespace tcpdoctor
