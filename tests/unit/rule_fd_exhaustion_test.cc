// fd-exhaustion on constructed snapshots: a process's open fds against its soft nofile limit
// (80 % warning, 95 % critical), the CLOSE_WAIT share that makes the limit a symptom, the fixes
// for a service, a container and a plain process, and the host's fs.file-nr against fs.file-max.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "analyze/doctor.h"
#include "analyze/rules/fd_exhaustion.h"
#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::CheckRule;
using test_util::DoubleFact;
using test_util::FactOf;
using test_util::FindingAbout;
using test_util::HealthySnapshot;
using test_util::IntFact;
using test_util::Process;
using test_util::TextFact;

bool Mentions(const std::vector<std::string>& lines, std::string_view text) {
  for (const std::string& l : lines) {
    if (l.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(FdExhaustionRuleTest, HealthySnapshotSaysNothing) {
  Snapshot s = HealthySnapshot();
  s.processes.push_back(Process(10, "nginx", 40, 1024));
  s.processes.push_back(Process(11, "java", 3000, 65536));
  EXPECT_TRUE(CheckRule(FdExhaustionRule(), s).empty());
}

TEST(FdExhaustionRuleTest, ThresholdEdges) {
  Snapshot s = HealthySnapshot();
  s.processes.push_back(Process(10, "app", 799, 1000));  // 79.9 %
  EXPECT_TRUE(CheckRule(FdExhaustionRule(), s).empty());
  s.processes[0] = Process(10, "app", 800, 1000);  // 80 %
  auto findings = CheckRule(FdExhaustionRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  s.processes[0] = Process(10, "app", 949, 1000);  // 94.9 %
  EXPECT_EQ(CheckRule(FdExhaustionRule(), s)[0].severity, Severity::kWarning);
  s.processes[0] = Process(10, "app", 950, 1000);  // 95 %
  EXPECT_EQ(CheckRule(FdExhaustionRule(), s)[0].severity, Severity::kCritical);
  s.processes[0] = Process(10, "app", 1200, 1000);  // over: the limit was lowered under it
  EXPECT_EQ(CheckRule(FdExhaustionRule(), s)[0].severity, Severity::kCritical);
}

TEST(FdExhaustionRuleTest, EvidenceAndFactsOfAPlainProcess) {
  Snapshot s = HealthySnapshot();
  ProcessSnapshot p = Process(321, "fd-hog", 1000, 1024, 4096);
  p.info.cmdline = "/opt/hog/bin/hog -c x";
  p.info.user = "hog";
  p.states.Add(TcpState::kListen, 1);
  p.states.Add(TcpState::kCloseWait, 100);
  s.processes.push_back(p);
  const auto findings = CheckRule(FdExhaustionRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.id, "fd-exhaustion");
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_EQ(f.subject, "fd-hog[321]");
  EXPECT_EQ(f.title, "fd-hog[321] is at 98 % of its open-file limit (1000 of 1024)");
  EXPECT_EQ(IntFact(f, "pid"), 321);
  EXPECT_EQ(TextFact(f, "comm"), "fd-hog");
  EXPECT_EQ(IntFact(f, "open_fds"), 1000);
  EXPECT_EQ(IntFact(f, "nofile_soft"), 1024);
  EXPECT_EQ(IntFact(f, "nofile_hard"), 4096);
  EXPECT_NEAR(DoubleFact(f, "fd_percent"), 100.0 * 1000 / 1024, 1e-9);
  EXPECT_EQ(IntFact(f, "sockets"), 102);
  EXPECT_EQ(IntFact(f, "close_wait"), 100);
  EXPECT_NEAR(DoubleFact(f, "close_wait_percent_of_fds"), 10.0, 1e-9);
  const std::vector<std::string> evidence = {
      "open fds: 1000 of soft nofile 1024 (98 %), 24 left; hard limit 4096",
      "fd-hog[321]: `/opt/hog/bin/hog -c x`, user hog",
      "TCP sockets here: 102, of which 100 in CLOSE_WAIT (10 % of its fds)",
  };
  EXPECT_EQ(f.evidence, evidence);
  // CLOSE_WAIT is 10 %: not called the cause.
  EXPECT_EQ(f.why.find("symptom"), std::string::npos);
  EXPECT_NE(f.why.find("EMFILE"), std::string::npos);
  EXPECT_NE(f.fix[0].find("/proc/321/fd"), std::string::npos) << f.fix[0];
  EXPECT_TRUE(Mentions(f.fix, "`ulimit -n 65536`"));
  // Soft below hard: the soft limit can go up to the hard one at once.
  EXPECT_TRUE(Mentions(f.fix, "`prlimit --pid 321 --nofile=4096:4096`"));
  EXPECT_TRUE(Mentions(f.fix, "fs.nr_open (1048576 here)"));
  EXPECT_EQ(f.topics, (std::vector<std::string>{"CLOSE_WAIT", "fs.nr_open"}));
}

TEST(FdExhaustionRuleTest, MostlyCloseWaitPointsAtTheLeak) {
  Snapshot s = HealthySnapshot();
  ProcessSnapshot p = Process(55, "leaker", 980, 1024, 1024);
  p.info.unit = "leaker.service";
  p.states.Add(TcpState::kCloseWait, 490);  // 50 % of its fds
  s.processes.push_back(p);
  auto findings = CheckRule(FdExhaustionRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_NE(f.title.find("mostly CLOSE_WAIT"), std::string::npos) << f.title;
  EXPECT_NE(f.why.find("symptom"), std::string::npos);
  EXPECT_NE(f.fix[0].find("close-wait-leak"), std::string::npos);
  EXPECT_EQ(TextFact(f, "unit"), "leaker.service");
  // A service: LimitNOFILE in its unit; soft == hard: prlimit with a new pair.
  EXPECT_TRUE(Mentions(f.fix, "`systemctl edit leaker.service`, add `LimitNOFILE=65536:65536`"));
  EXPECT_TRUE(Mentions(f.fix, "`prlimit --pid 55 --nofile=65536:65536`"));
  // Just below the share.
  s.processes[0].states = StateCounts{};
  s.processes[0].states.Add(TcpState::kCloseWait, 489);
  findings = CheckRule(FdExhaustionRule(), s);
  EXPECT_EQ(findings[0].fix[0].find("close-wait-leak"), std::string::npos);
  // The share is the user's.
  DoctorSettings settings;
  ASSERT_TRUE(settings.Set("fd-exhaustion.close_wait_share_percent=40"));
  const Rule rule = FdExhaustionRule();
  findings = rule.check(s, settings.For(rule));
  EXPECT_NE(findings[0].fix[0].find("close-wait-leak"), std::string::npos);
}

TEST(FdExhaustionRuleTest, ContainerAndNrOpenCap) {
  Snapshot s = HealthySnapshot();
  s.sysctls.nr_open = 100000;
  ProcessSnapshot p = Process(9, "db", 60000, 60000, 60000);
  p.info.unit = "docker:0123456789ab";
  s.processes.push_back(p);
  const auto findings = CheckRule(FdExhaustionRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  // Double would pass fs.nr_open: the suggestion stops there, and says how to go beyond.
  EXPECT_TRUE(Mentions(f.fix, "`docker run --ulimit nofile=100000:100000`"));
  EXPECT_TRUE(Mentions(f.fix, "`sysctl -w fs.nr_open=200000`"));
  EXPECT_TRUE(Mentions(f.fix, "`fs.nr_open = 200000` in /etc/sysctl.d/"));
}

TEST(FdExhaustionRuleTest, UnknownOrUnlimitedLimitSaysNothing) {
  Snapshot s = HealthySnapshot();
  ProcessSnapshot p = Process(9, "x", 5000, 1024);
  p.info.nofile_soft = kUnlimited;
  s.processes.push_back(p);
  EXPECT_TRUE(CheckRule(FdExhaustionRule(), s).empty());
  s.processes[0].info.nofile_soft.reset();
  EXPECT_TRUE(CheckRule(FdExhaustionRule(), s).empty());
}

TEST(FdExhaustionRuleTest, ThresholdOverrides) {
  Snapshot s = HealthySnapshot();
  s.processes.push_back(Process(10, "app", 700, 1000));
  DoctorSettings settings;
  ASSERT_TRUE(settings.Set("fd-exhaustion.warning_percent=70"));
  const Rule rule = FdExhaustionRule();
  auto findings = rule.check(s, settings.For(rule));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  ASSERT_TRUE(settings.Set("fd-exhaustion.critical_percent=70"));
  findings = rule.check(s, settings.For(rule));
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
}

TEST(FdExhaustionRuleTest, HostFileTable) {
  Snapshot s = HealthySnapshot();
  s.sysctls.file_max = 100000;
  s.sysctls.file_nr = FileNr{79999, 0, 100000};
  EXPECT_TRUE(CheckRule(FdExhaustionRule(), s).empty());
  s.sysctls.file_nr->allocated = 80000;
  auto findings = CheckRule(FdExhaustionRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.subject, "fs.file-max");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(IntFact(f, "file_handles"), 80000);
  EXPECT_EQ(IntFact(f, "file_max"), 100000);
  EXPECT_NEAR(DoubleFact(f, "file_percent"), 80.0, 1e-9);
  EXPECT_EQ(f.evidence[0], "fs.file-nr: 80000 file handles allocated of fs.file-max 100000 (80 %)");
  EXPECT_TRUE(Mentions(f.fix, "`sysctl -w fs.file-max=200000`"));
  EXPECT_TRUE(Mentions(f.fix, "`fs.file-max = 200000` in /etc/sysctl.d/"));
  EXPECT_EQ(f.topics, std::vector<std::string>{"fs.file-max"});
  s.sysctls.file_nr->allocated = 95000;
  EXPECT_EQ(CheckRule(FdExhaustionRule(), s)[0].severity, Severity::kCritical);
  // systemd sets fs.file-max to LONG_MAX: never near.
  s.sysctls.file_max = std::numeric_limits<int64_t>::max();
  EXPECT_TRUE(CheckRule(FdExhaustionRule(), s).empty());
  // Not readable: nothing.
  s.sysctls.file_nr.reset();
  s.sysctls.file_max.reset();
  EXPECT_TRUE(CheckRule(FdExhaustionRule(), s).empty());
}

TEST(FdExhaustionRuleTest, OneFindingPerProcess) {
  Snapshot s = HealthySnapshot();
  s.processes.push_back(Process(1, "a", 90, 100));
  s.processes.push_back(Process(2, "b", 99, 100));
  s.processes.push_back(Process(3, "c", 10, 100));
  const auto findings = CheckRule(FdExhaustionRule(), s);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(FindingAbout(findings, "a[1]")->severity, Severity::kWarning);
  EXPECT_EQ(FindingAbout(findings, "b[2]")->severity, Severity::kCritical);
  EXPECT_EQ(FindingAbout(findings, "c[3]"), nullptr);
}

}  // namespace
}  // namespace tcpdoctor
