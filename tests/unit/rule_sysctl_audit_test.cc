// sysctl-audit on constructed snapshots: live values that hurt given what the snapshot shows
// (somaxconn capping overflowing listeners, syncookies off, tcp_tw_reuse=0 with a busy
// destination, lowered tcp_max_tw_buckets, tcp_abort_on_overflow, timestamps off) and sysctl
// files (tcp_tw_recycle, keys this kernel lacks, tcp_fin_timeout believed to shorten
// TIME_WAIT, tcp_max_syn_backlog believed to size the SYN queue).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "analyze/explain_topics.h"
#include "analyze/rules/sysctl_audit.h"
#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::Addr;
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

Snapshot::ConfiguredSysctl Setting(std::string key, std::string value, int line,
                                   std::string comment = "", bool exists = true,
                                   std::string file = "/etc/sysctl.conf") {
  Snapshot::ConfiguredSysctl c;
  c.setting.key = std::move(key);
  c.setting.value = std::move(value);
  c.setting.file = std::move(file);
  c.setting.line = line;
  c.setting.comment = std::move(comment);
  c.exists = exists;
  return c;
}

// A destination using `in_use` of the default 28232 ports.
DestinationPorts Destination(uint64_t in_use, uint64_t time_wait) {
  DestinationPorts d;
  d.local = Addr("10.0.0.1");
  d.remote = Addr("10.0.0.2");
  d.remote_port = 3306;
  d.in_use = in_use;
  d.time_wait = time_wait;
  d.range_size = 28232;
  return d;
}

TEST(SysctlAuditRule, HealthyNamespaceSaysNothing) {
  Snapshot s = HealthySnapshot();
  s.listeners.push_back(Listener("0.0.0.0", 80, 0, 511));
  s.destinations.push_back(Destination(14000, 13000));  // 49.6 %, but tw_reuse is 2
  s.sysctl_config.push_back(Setting("net.ipv4.tcp_fin_timeout", "30", 3, "orphans go sooner"));
  s.sysctl_config.push_back(Setting("net.core.somaxconn", "4096", 4));
  s.sysctl_config.push_back(Setting("net.bridge.bridge-nf-call-iptables", "1", 5, "", false));
  s.sysctl_config.push_back(Setting("net.ipv4.tcp_max_syn_backlog", "8192", 7));
  EXPECT_TRUE(CheckRule(SysctlAuditRule(), s).empty());
}

TEST(SysctlAuditRule, SomaxconnCappingAnOverflowingListenerIsAWarning) {
  Snapshot s = HealthySnapshot();
  s.sysctls.somaxconn = 128;
  s.listeners.push_back(Listener("0.0.0.0", 80, 129, 128, 7, "nginx"));
  s.listeners.push_back(Listener("0.0.0.0", 22, 0, 128, 1, "sshd"));
  auto findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.subject, "net.core.somaxconn");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(IntFact(f, "somaxconn"), 128);
  EXPECT_EQ(IntFact(f, "capped_listeners"), 2);
  EXPECT_EQ(IntFact(f, "overflowing_listeners"), 1);
  EXPECT_EQ(TextFact(f, "listener"), "0.0.0.0:80");
  EXPECT_EQ(TextFact(f, "comm"), "nginx");
  EXPECT_NE(Joined(f.fix).find("sysctl -w net.core.somaxconn=4096"), std::string::npos);
  EXPECT_NE(Joined(f.fix).find("listen() again"), std::string::npos);

  // Capped but calm: information, since 128 is below the 5.4+ default.
  s.listeners[0].accept_queue = 3;
  findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kInfo);
  // At the default, a capped calm listener is nothing to report.
  s.sysctls.somaxconn = 4096;
  for (ListenerQueue& l : s.listeners) l.backlog = 4096;
  EXPECT_TRUE(CheckRule(SysctlAuditRule(), s).empty());
}

TEST(SysctlAuditRule, SyncookiesOffIsInformationThenAWarningUnderPressure) {
  Snapshot s = HealthySnapshot();
  s.sysctls.tcp_syncookies = 0;
  EXPECT_TRUE(CheckRule(SysctlAuditRule(), s).empty()) << "no listener: nothing at stake";
  s.listeners.push_back(Listener("0.0.0.0", 80, 0, 511));
  auto findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "net.ipv4.tcp_syncookies");
  EXPECT_EQ(findings[0].severity, Severity::kInfo);
  EXPECT_EQ(IntFact(findings[0], "listeners"), 1);
  EXPECT_NE(Joined(findings[0].fix).find("sysctl -w net.ipv4.tcp_syncookies=1"), std::string::npos);
  SetCounter(s, "TcpExt.TCPReqQFullDrop", 9, 2);
  findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_EQ(IntFact(findings[0], "req_q_full_drop"), 2);
}

TEST(SysctlAuditRule, TwReuseOffWithABusyDestination) {
  Snapshot s = HealthySnapshot();
  s.sysctls.tcp_tw_reuse = 0;
  s.destinations.push_back(Destination(14115, 14000));  // 49.996 %
  EXPECT_TRUE(CheckRule(SysctlAuditRule(), s).empty());
  s.destinations[0].in_use = 14116;  // 50.0 %
  auto findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.subject, "net.ipv4.tcp_tw_reuse");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(TextFact(f, "destination"), "10.0.0.2:3306");
  EXPECT_EQ(IntFact(f, "ports_in_use"), 14116);
  EXPECT_EQ(IntFact(f, "time_wait"), 14000);
  EXPECT_EQ(IntFact(f, "range_size"), 28232);
  EXPECT_NE(Joined(f.fix).find("sysctl -w net.ipv4.tcp_tw_reuse=1"), std::string::npos);
  EXPECT_NE(f.why.find("never a server's inbound"), std::string::npos) << f.why;
  const Rule rule = SysctlAuditRule();
  s.destinations[0].in_use = 8470;  // 30 %
  EXPECT_EQ(rule.check(s, SettingsWith(rule, "tw_reuse_destination_percent", 30)).size(), 1u);
}

TEST(SysctlAuditRule, LoweredTwBucketsAgainstTcpMaxOrphans) {
  Snapshot s = HealthySnapshot();  // both 131072
  s.sysctls.tcp_max_tw_buckets = 5000;
  s.states.Add(TcpState::kTimeWait, 1000);
  auto findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "net.ipv4.tcp_max_tw_buckets");
  EXPECT_EQ(findings[0].severity, Severity::kInfo);
  EXPECT_EQ(IntFact(findings[0], "tcp_max_tw_buckets"), 5000);
  EXPECT_NE(Joined(findings[0].fix).find("sysctl -w net.ipv4.tcp_max_tw_buckets=131072"),
            std::string::npos)
      << Joined(findings[0].fix);
  // TIME_WAIT at 80 % of it: a warning.
  s.states.Add(TcpState::kTimeWait, 3000);
  findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  // Set in a file: named there.
  s.sysctl_config.push_back(Setting("net.ipv4.tcp_max_tw_buckets", "5000", 12, "fewer TIME_WAIT"));
  findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(TextFact(findings[0], "file"), "/etc/sysctl.conf");
  EXPECT_EQ(IntFact(findings[0], "line"), 12);
  EXPECT_NE(Joined(findings[0].evidence).find("set in /etc/sysctl.conf:12"), std::string::npos);
  // Equal to tcp_max_orphans: the default, nothing to say.
  s = HealthySnapshot();
  s.sysctls.tcp_max_tw_buckets = 131072;
  EXPECT_TRUE(CheckRule(SysctlAuditRule(), s).empty());
}

TEST(SysctlAuditRule, LoweredTwBucketsInAChildNamespaceUsesTheFloor) {
  Snapshot s = HealthySnapshot();
  s.sysctls.tcp_max_orphans.reset();
  s.sysctls.tcp_mem.reset();
  s.sysctls.tcp_max_tw_buckets = 4096;
  EXPECT_TRUE(CheckRule(SysctlAuditRule(), s).empty()) << "at the floor";
  s.sysctls.tcp_max_tw_buckets = 4095;
  auto findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "net.ipv4.tcp_max_tw_buckets");
  const Rule rule = SysctlAuditRule();
  EXPECT_TRUE(rule.check(s, SettingsWith(rule, "tw_buckets_floor", 1000)).empty());
  // TCPTimeWaitOverflow rising: a warning.
  SetCounter(s, "TcpExt.TCPTimeWaitOverflow", 10, 3);
  findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
}

TEST(SysctlAuditRule, TwBucketsLoweredOnlyInAFileIsNamedByFileAndLine) {
  Snapshot s = HealthySnapshot();
  s.sysctl_config.push_back(
      Setting("net.ipv4.tcp_max_tw_buckets", "6000", 9, "", true, "/etc/sysctl.d/60-net.conf"));
  const auto findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "/etc/sysctl.d/60-net.conf:9");
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_EQ(TextFact(findings[0], "key"), "net.ipv4.tcp_max_tw_buckets");
}

TEST(SysctlAuditRule, AbortOnOverflowAndTimestamps) {
  Snapshot s = HealthySnapshot();
  s.sysctls.tcp_abort_on_overflow = 1;
  s.sysctls.tcp_timestamps = 0;
  auto findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 2u);
  const Finding* abort = FindingAbout(findings, "net.ipv4.tcp_abort_on_overflow");
  ASSERT_NE(abort, nullptr);
  EXPECT_EQ(abort->severity, Severity::kInfo);
  EXPECT_NE(Joined(abort->fix).find("sysctl -w net.ipv4.tcp_abort_on_overflow=0"),
            std::string::npos);
  const Finding* ts = FindingAbout(findings, "net.ipv4.tcp_timestamps");
  ASSERT_NE(ts, nullptr);
  EXPECT_EQ(ts->severity, Severity::kInfo);
  EXPECT_NE(ts->title.find("tcp_tw_reuse"), std::string::npos);

  SetCounter(s, "TcpExt.ListenOverflows", 10, 2);
  s.destinations.push_back(Destination(20000, 19000));
  findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(FindingAbout(findings, "net.ipv4.tcp_abort_on_overflow")->severity, Severity::kWarning);
  EXPECT_EQ(FindingAbout(findings, "net.ipv4.tcp_timestamps")->severity, Severity::kWarning);
}

TEST(SysctlAuditRule, TwRecycleInAFileIsAWarningWithFileAndLine) {
  Snapshot s = HealthySnapshot();
  s.sysctl_config.push_back(
      Setting("net.ipv4.tcp_tw_recycle", "1", 14, "fast TIME_WAIT recycling", false));
  auto findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.subject, "/etc/sysctl.conf:14");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(TextFact(f, "key"), "net.ipv4.tcp_tw_recycle");
  EXPECT_EQ(TextFact(f, "file"), "/etc/sysctl.conf");
  EXPECT_EQ(IntFact(f, "line"), 14);
  EXPECT_EQ(TextFact(f, "value"), "1");
  EXPECT_NE(f.why.find("4.12"), std::string::npos);
  EXPECT_NE(f.why.find("NAT"), std::string::npos);
  EXPECT_NE(Joined(f.evidence).find("Couldn't write"), std::string::npos);
  EXPECT_EQ(Joined(f.fix).find("sysctl -w net.ipv4.tcp_tw_recycle"), std::string::npos);

  // "-net.ipv4.tcp_tw_recycle = 1": systemd ignores the failure; still a dead line.
  s.sysctl_config[0].setting.ignore_failure = true;
  findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kInfo);

  // An old kernel that still has it, turned on: NAT clients lose SYNs.
  s.sysctl_config[0].exists = true;
  findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_NE(findings[0].title.find("turns on"), std::string::npos);
  s.sysctl_config[0].setting.value = "0";
  EXPECT_TRUE(CheckRule(SysctlAuditRule(), s).empty());
}

TEST(SysctlAuditRule, OnlyTheEffectiveSettingCounts) {
  Snapshot s = HealthySnapshot();
  s.sysctl_config.push_back(
      Setting("net.ipv4.tcp_tw_recycle", "1", 3, "", false, "/etc/sysctl.d/10-old.conf"));
  s.sysctl_config.push_back(Setting("net.ipv4.tcp_tw_recycle", "1", 8, "", false));
  const auto findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "/etc/sysctl.conf:8");
}

TEST(SysctlAuditRule, MissingTcpKeysButNotModuleKeysOrGlobalsInAChildNamespace) {
  Snapshot s = HealthySnapshot();
  s.sysctl_config.push_back(Setting("net.ipv4.tcp_low_latency", "1", 2, "", false));
  s.sysctl_config.push_back(Setting("net.netfilter.nf_conntrack_max", "1000000", 3, "", false));
  s.sysctl_config.push_back(Setting("net.core.netdev_max_backlog", "5000", 4, "", false));
  s.sysctl_config.push_back(Setting("net.ipv4.tcp_frto_response", "2", 5, "", false));
  s.sysctl_config.back().setting.ignore_failure = true;  // "-net.ipv4.tcp_frto_response = 2"
  auto findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_NE(FindingAbout(findings, "/etc/sysctl.conf:2"), nullptr);
  EXPECT_NE(FindingAbout(findings, "/etc/sysctl.conf:4"), nullptr);
  EXPECT_EQ(findings[0].severity, Severity::kInfo);
  // In a child namespace (no tcp_max_orphans) global keys are absent for a reason.
  s.sysctls.tcp_max_orphans.reset();
  findings = CheckRule(SysctlAuditRule(), s);
  EXPECT_TRUE(findings.empty()) << findings.size() << " " << findings[0].subject;
}

TEST(SysctlAuditRule, FinTimeoutCommentedAsTimeWait) {
  for (const std::string comment : {"reduce TIME_WAIT", "shorter time wait", "TIME-WAIT",
                                    "faster timewait recycling", "减少TIME_WAIT"}) {
    Snapshot s = HealthySnapshot();
    s.sysctl_config.push_back(Setting("net.ipv4.tcp_fin_timeout", "10", 6, comment));
    const auto findings = CheckRule(SysctlAuditRule(), s);
    ASSERT_EQ(findings.size(), 1u) << comment;
    const Finding& f = findings[0];
    EXPECT_EQ(f.subject, "/etc/sysctl.conf:6");
    EXPECT_EQ(f.severity, Severity::kInfo);
    EXPECT_EQ(TextFact(f, "key"), "net.ipv4.tcp_fin_timeout");
    EXPECT_NE(f.title.find("does not shorten TIME_WAIT (fixed at 60 s)"), std::string::npos);
    EXPECT_EQ(Joined(f.fix).find("sysctl -w net.ipv4.tcp_fin_timeout"), std::string::npos);
  }
  // With TIME_WAIT using up a destination's ports, the mistake matters: a warning.
  Snapshot s = HealthySnapshot();
  s.sysctl_config.push_back(Setting("net.ipv4.tcp_fin_timeout", "10", 6, "reduce TIME_WAIT"));
  s.destinations.push_back(Destination(20000, 19000));
  const auto findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
}

TEST(SysctlAuditRule, MaxSynBacklogCommentedAsSynQueueWithCookiesOn) {
  Snapshot s = HealthySnapshot();
  s.sysctl_config.push_back(
      Setting("net.ipv4.tcp_max_syn_backlog", "65536", 7, "larger SYN queue against floods"));
  auto findings = CheckRule(SysctlAuditRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "/etc/sysctl.conf:7");
  EXPECT_EQ(findings[0].severity, Severity::kInfo);
  s.sysctls.tcp_syncookies = 0;
  findings = CheckRule(SysctlAuditRule(), s);
  EXPECT_TRUE(findings.empty()) << "with cookies off it does size what new peers get";
}

TEST(SysctlAuditRule, NothingContradictsKernelFacts) {
  Snapshot s = HealthySnapshot();
  s.sysctls.somaxconn = 128;
  s.sysctls.tcp_syncookies = 0;
  s.sysctls.tcp_tw_reuse = 0;
  s.sysctls.tcp_timestamps = 0;
  s.sysctls.tcp_abort_on_overflow = 1;
  s.sysctls.tcp_max_tw_buckets = 1000;
  s.listeners.push_back(Listener("0.0.0.0", 80, 129, 128));
  s.destinations.push_back(Destination(20000, 19000));
  s.sysctl_config.push_back(Setting("net.ipv4.tcp_tw_recycle", "1", 1, "", false));
  s.sysctl_config.push_back(Setting("net.ipv4.tcp_fin_timeout", "10", 3, "TIME_WAIT"));
  const auto findings = CheckRule(SysctlAuditRule(), s);
  EXPECT_EQ(findings.size(), 8u);
  for (const Finding& f : findings) {
    const std::string fix = Joined(f.fix);
    EXPECT_EQ(fix.find("tcp_tw_recycle=1"), std::string::npos) << fix;
    EXPECT_EQ(fix.find("tcp_fin_timeout="), std::string::npos) << fix;
    EXPECT_EQ(fix.find("tcp_max_syn_backlog="), std::string::npos) << fix;
    for (const std::string& t : f.topics) EXPECT_NE(FindTopic(t), nullptr) << t;
  }
}

}  // namespace
}  // namespace tcpdoctor
