// Rule port-exhaustion on constructed snapshots: thresholds and their edges, overrides through
// DoctorSettings (what `--set` uses), the evidence facts, and fixes that fit the destination
// (tcp_tw_reuse only where it would apply, a wider range of different parity, reserved ports
// for listeners in it, IP_BIND_ADDRESS_NO_PORT only when the ports point at bind()).
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "analyze/doctor.h"
#include "analyze/explain_topics.h"
#include "analyze/rules/port_exhaustion.h"
#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::Addr;
using test_util::DoubleFact;
using test_util::FactOf;
using test_util::FindingAbout;
using test_util::HasFact;
using test_util::HealthySnapshot;
using test_util::IntFact;
using test_util::TextFact;

// A snapshot whose ip_local_port_range is `low`..`high`, tcp_tw_reuse `reuse`.
Snapshot WithRange(uint32_t low, uint32_t high, int64_t reuse = 2) {
  Snapshot s = HealthySnapshot();
  s.sysctls.ip_local_port_range = PortRange{low, high};
  s.sysctls.tcp_tw_reuse = reuse;
  s.port_settings = PortBudgetSettings::From(s.sysctls);
  return s;
}

// A destination as PortUsageBuilder would make it from `in_use` sockets, `time_wait` of them
// closed within the last minute.
DestinationPorts Dest(const Snapshot& s, std::string_view local, std::string_view remote,
                      uint16_t port, uint64_t in_use, uint64_t time_wait) {
  DestinationPorts d;
  d.local = Addr(local);
  d.remote = Addr(remote);
  d.remote_port = port;
  d.in_use = in_use;
  d.time_wait = time_wait;
  d.range_size = s.port_settings.RangeSize();
  d.rate_per_second = static_cast<double>(time_wait) / 60;
  const bool loopback = IsLoopback(d.remote) || IsLoopback(d.local);
  d.time_wait_reusable =
      s.port_settings.timestamps &&
      (s.port_settings.tw_reuse == 1 || (s.port_settings.tw_reuse == 2 && loopback));
  const double free = static_cast<double>(d.range_size) - static_cast<double>(in_use - time_wait);
  d.sustainable_rate_per_second =
      free / (d.time_wait_reusable ? s.port_settings.tw_reuse_delay_seconds : 60.0);
  return d;
}

std::string AllFix(const Finding& f) {
  std::string text;
  for (const std::string& step : f.fix) text += step + "\n";
  return text;
}
std::string AllEvidence(const Finding& f) {
  std::string text;
  for (const std::string& line : f.evidence) text += line + "\n";
  return text;
}

constexpr const char* kTo = "10.0.0.1 -> 10.0.0.9:443";

TEST(RulePortExhaustionTest, HealthySnapshotFindsNothing) {
  EXPECT_TRUE(test_util::CheckRule(PortExhaustionRule(), HealthySnapshot()).empty());
}

TEST(RulePortExhaustionTest, ADestinationWithAFewConnectionsFindsNothing) {
  Snapshot s = HealthySnapshot();
  s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 443, 40, 30));
  s.destinations.push_back(Dest(s, "127.0.0.1", "127.0.0.1", 5432, 10, 0));
  EXPECT_TRUE(test_util::CheckRule(PortExhaustionRule(), s).empty());
}

TEST(RulePortExhaustionTest, ThresholdEdges) {
  // A 1000-port range: 499 is below 50 %, 500 is at it, 799 below 80 %, 800 at it.
  for (const auto& [in_use, expected] :
       {std::pair<uint64_t, int>{499, -1}, {500, 1}, {799, 1}, {800, 2}, {1000, 2}}) {
    Snapshot s = WithRange(40000, 40999);
    s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 443, in_use, in_use / 2));
    const auto findings = test_util::CheckRule(PortExhaustionRule(), s);
    if (expected < 0) {
      EXPECT_TRUE(findings.empty()) << in_use;
      continue;
    }
    ASSERT_EQ(findings.size(), 1u) << in_use;
    EXPECT_EQ(static_cast<int>(findings[0].severity), expected) << in_use;
    EXPECT_EQ(findings[0].id, "port-exhaustion");
    EXPECT_EQ(findings[0].subject, kTo);
  }
}

TEST(RulePortExhaustionTest, OverridesMoveTheThresholds) {
  const Rule rule = PortExhaustionRule();
  DoctorSettings settings;
  ASSERT_TRUE(settings.Set("port-exhaustion.warning_percent=10").ok());
  ASSERT_TRUE(settings.Set("port-exhaustion.critical_percent=30").ok());
  Snapshot s = WithRange(40000, 40999);
  s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 443, 99, 0));   // 9.9 %
  s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 444, 100, 0));  // 10 %
  s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 445, 300, 0));  // 30 %
  const auto findings = rule.check(s, settings.For(rule));
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].subject, "10.0.0.1 -> 10.0.0.9:445") << "critical first";
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
  EXPECT_EQ(findings[1].subject, "10.0.0.1 -> 10.0.0.9:444");
  EXPECT_EQ(findings[1].severity, Severity::kWarning);
  EXPECT_TRUE(test_util::CheckRule(rule, s).empty()) << "at the defaults, 30 % is fine";
  EXPECT_FALSE(settings.Set("port-exhaustion.warning_pct=10").ok());
}

TEST(RulePortExhaustionTest, EvidenceFactsAreExact) {
  Snapshot s = WithRange(40000, 40019, 0);  // 20 ports, tcp_tw_reuse off
  s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 443, 17, 12));
  const auto findings = test_util::CheckRule(PortExhaustionRule(), s);
  const Finding* f = FindingAbout(findings, kTo);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kCritical);  // 85 %
  EXPECT_EQ(TextFact(*f, "destination"), kTo);
  EXPECT_EQ(TextFact(*f, "local"), "10.0.0.1");
  EXPECT_EQ(TextFact(*f, "remote"), "10.0.0.9");
  EXPECT_EQ(IntFact(*f, "remote_port"), 443);
  EXPECT_EQ(IntFact(*f, "in_use"), 17);
  EXPECT_EQ(IntFact(*f, "time_wait"), 12);
  EXPECT_DOUBLE_EQ(DoubleFact(*f, "time_wait_percent"), 100.0 * 12 / 17);
  EXPECT_EQ(IntFact(*f, "range_size"), 20);
  EXPECT_EQ(IntFact(*f, "range_low"), 40000);
  EXPECT_EQ(IntFact(*f, "range_high"), 40019);
  EXPECT_EQ(IntFact(*f, "reserved_in_range"), 0);
  EXPECT_DOUBLE_EQ(DoubleFact(*f, "percent_used"), 85.0);
  EXPECT_DOUBLE_EQ(DoubleFact(*f, "new_per_second"), 12.0 / 60);
  // 5 connections are open: 15 ports cycle through 60 s of TIME_WAIT.
  EXPECT_DOUBLE_EQ(DoubleFact(*f, "sustainable_per_second"), 15.0 / 60);
  EXPECT_DOUBLE_EQ(DoubleFact(*f, "headroom_per_second"), 3.0 / 60);
  EXPECT_EQ(IntFact(*f, "tcp_tw_reuse"), 0);
  EXPECT_EQ(IntFact(*f, "time_wait_reusable"), 0);
  EXPECT_EQ(IntFact(*f, "bind_parity_sockets"), 0);
  EXPECT_FALSE(HasFact(*f, "growth_per_second")) << "one sample";
  EXPECT_FALSE(HasFact(*f, "seconds_to_exhaustion"));
  EXPECT_EQ(f->title, "Ephemeral ports toward 10.0.0.9:443 are 85 % used (17 of 20)");
  const std::string evidence = AllEvidence(*f);
  EXPECT_NE(evidence.find("10.0.0.1 -> 10.0.0.9:443: 17 of 20 usable ports in use (85 %), 12 of "
                          "them in TIME_WAIT (71 %)"),
            std::string::npos)
      << evidence;
  EXPECT_NE(evidence.find("ip_local_port_range 40000-40019: 20 usable ports"), std::string::npos)
      << evidence;
  EXPECT_NE(evidence.find("the free ports sustain 0.2/s (each held 60 s in TIME_WAIT), headroom"),
            std::string::npos)
      << evidence;
  EXPECT_NE(f->why.find("EADDRNOTAVAIL"), std::string::npos);
  for (const std::string& topic : f->topics) {
    EXPECT_NE(FindTopic(topic), nullptr) << topic;
  }
}

TEST(RulePortExhaustionTest, GrowthAndTimeToExhaustionWhenSampledTwice) {
  Snapshot s = WithRange(40000, 40999);
  s.interval_seconds = 2;
  DestinationPorts d = Dest(s, "10.0.0.1", "10.0.0.9", 443, 600, 100);
  d.net_growth_per_second = 20;
  d.seconds_to_exhaustion = 20;
  s.destinations.push_back(d);
  const auto findings = test_util::CheckRule(PortExhaustionRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_DOUBLE_EQ(DoubleFact(findings[0], "growth_per_second"), 20);
  EXPECT_DOUBLE_EQ(DoubleFact(findings[0], "seconds_to_exhaustion"), 20);
  EXPECT_NE(AllEvidence(findings[0]).find("all used in 20 s at this pace"), std::string::npos)
      << AllEvidence(findings[0]);
}

TEST(RulePortExhaustionTest, OverBudgetRateIsSaid) {
  Snapshot s = WithRange(40000, 40099, 0);
  // 40 open, 55 in TIME_WAIT within the minute: 60 ports cycle, 1/s sustainable, 0.92/s now.
  DestinationPorts d = Dest(s, "10.0.0.1", "10.0.0.9", 443, 95, 55);
  d.rate_per_second = 2;  // a faster rate measured over a shorter window
  s.destinations.push_back(d);
  const auto findings = test_util::CheckRule(PortExhaustionRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_DOUBLE_EQ(DoubleFact(findings[0], "headroom_per_second"), -1);
  EXPECT_NE(AllEvidence(findings[0]).find("over budget by 1.0/s"), std::string::npos)
      << AllEvidence(findings[0]);
}

TEST(RulePortExhaustionTest, FixesComeApplicationFirstAndTwReuseOnlyWhereItWouldApply) {
  {
    Snapshot s = WithRange(40000, 40019, 0);
    s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 443, 17, 12));
    const auto findings = test_util::CheckRule(PortExhaustionRule(), s);
    ASSERT_EQ(findings.size(), 1u);
    const Finding& f = findings[0];
    ASSERT_GE(f.fix.size(), 4u);
    EXPECT_NE(f.fix[0].find("keep-alive"), std::string::npos) << f.fix[0];
    EXPECT_NE(f.fix[1].find("`sysctl -w net.ipv4.tcp_tw_reuse=1`"), std::string::npos) << f.fix[1];
    EXPECT_NE(f.fix[1].find("`net.ipv4.tcp_tw_reuse = 1` in /etc/sysctl.d/"), std::string::npos)
        << f.fix[1];
    EXPECT_NE(f.fix[1].find("only affects outgoing connections"), std::string::npos) << f.fix[1];
    EXPECT_NE(f.fix[2].find("ip_local_port_range"), std::string::npos) << f.fix[2];
    EXPECT_NE(f.fix[3].find("more destination addresses or ports"), std::string::npos) << f.fix[3];
    EXPECT_EQ(AllFix(f).find("IP_BIND_ADDRESS_NO_PORT"), std::string::npos)
        << "no sign of bind() before connect()";
  }
  {  // tcp_tw_reuse=2 on loopback: it applies already.
    Snapshot s = WithRange(40000, 40019, 2);
    s.destinations.push_back(Dest(s, "127.0.0.1", "127.0.0.2", 5000, 17, 12));
    const auto findings = test_util::CheckRule(PortExhaustionRule(), s);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(AllFix(findings[0]).find("tcp_tw_reuse=1"), std::string::npos) << AllFix(findings[0]);
    EXPECT_EQ(IntFact(findings[0], "time_wait_reusable"), 1);
  }
  {  // tcp_tw_reuse=2 toward another host: it does not.
    Snapshot s = WithRange(40000, 40019, 2);
    s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 443, 17, 12));
    const auto findings = test_util::CheckRule(PortExhaustionRule(), s);
    ASSERT_EQ(findings.size(), 1u);
    const std::string fix = AllFix(findings[0]);
    EXPECT_NE(fix.find("tcp_tw_reuse is 2, loopback only"), std::string::npos) << fix;
    EXPECT_NE(fix.find("`sysctl -w net.ipv4.tcp_tw_reuse=1`"), std::string::npos) << fix;
  }
  {  // tcp_tw_reuse=1 already.
    Snapshot s = WithRange(40000, 40019, 1);
    s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 443, 17, 12));
    const auto findings = test_util::CheckRule(PortExhaustionRule(), s);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(AllFix(findings[0]).find("tcp_tw_reuse=1"), std::string::npos);
  }
  {  // No TIME_WAIT: reuse would not help.
    Snapshot s = WithRange(40000, 40019, 0);
    s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 443, 17, 0));
    const auto findings = test_util::CheckRule(PortExhaustionRule(), s);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(AllFix(findings[0]).find("tcp_tw_reuse"), std::string::npos);
  }
  {  // Reuse on but timestamps off: reuse cannot work, say so.
    Snapshot s = WithRange(40000, 40019, 1);
    s.sysctls.tcp_timestamps = 0;
    s.port_settings = PortBudgetSettings::From(s.sysctls);
    s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 443, 17, 12));
    const auto findings = test_util::CheckRule(PortExhaustionRule(), s);
    ASSERT_EQ(findings.size(), 1u);
    const std::string fix = AllFix(findings[0]);
    EXPECT_NE(fix.find("`sysctl -w net.ipv4.tcp_timestamps=1`"), std::string::npos) << fix;
    EXPECT_EQ(fix.find("tcp_tw_reuse=1"), std::string::npos) << fix;
  }
}

TEST(RulePortExhaustionTest, WiderRangeHasDifferentParityAndReservesListeningPorts) {
  Snapshot s = HealthySnapshot();  // 32768-60999
  s.listeners.push_back(test_util::Listener("0.0.0.0", 11211, 0, 128));
  s.listeners.push_back(test_util::Listener("::", 11211, 0, 128));
  s.listeners.push_back(test_util::Listener("0.0.0.0", 8080, 0, 128));   // below the new range
  s.listeners.push_back(test_util::Listener("0.0.0.0", 50000, 0, 128));  // inside both
  PortSet reserved;
  reserved.Add(PortRange{9000, 9010});
  s.sysctls.ip_local_reserved_ports = reserved;
  s.port_settings = PortBudgetSettings::From(s.sysctls);
  s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 443, 20000, 19000));
  const auto findings = test_util::CheckRule(PortExhaustionRule(), s);
  ASSERT_EQ(findings.size(), 1u);
  const std::string fix = AllFix(findings[0]);
  EXPECT_NE(fix.find("`sysctl -w net.ipv4.ip_local_port_range=\"10000 65535\"`"), std::string::npos)
      << fix;
  EXPECT_NE(fix.find("`net.ipv4.ip_local_port_range = 10000 65535`"), std::string::npos) << fix;
  EXPECT_NE(fix.find("(11211, 50000)"), std::string::npos) << fix;
  EXPECT_NE(fix.find("`sysctl -w net.ipv4.ip_local_reserved_ports=9000-9010,11211,50000`"),
            std::string::npos)
      << fix;

  // Already wide: no widening step.
  Snapshot wide = WithRange(1024, 65535);
  wide.destinations.push_back(Dest(wide, "10.0.0.1", "10.0.0.9", 443, 40000, 39000));
  const auto wide_findings = test_util::CheckRule(PortExhaustionRule(), wide);
  ASSERT_EQ(wide_findings.size(), 1u);
  EXPECT_EQ(AllFix(wide_findings[0]).find("ip_local_port_range"), std::string::npos);

  // An odd start below 10000 becomes even, to differ from 65535.
  Snapshot odd = WithRange(5001, 5100);
  odd.destinations.push_back(Dest(odd, "10.0.0.1", "10.0.0.9", 443, 90, 0));
  const auto odd_findings = test_util::CheckRule(PortExhaustionRule(), odd);
  ASSERT_EQ(odd_findings.size(), 1u);
  EXPECT_NE(AllFix(odd_findings[0]).find("ip_local_port_range=\"5000 65535\""), std::string::npos)
      << AllFix(odd_findings[0]);
}

TEST(RulePortExhaustionTest, BindParityMajoritySuggestsIpBindAddressNoPort) {
  for (const auto& [bind_parity, expected] :
       {std::pair<uint64_t, bool>{0, false}, {9, false}, {10, false}, {11, true}, {20, true}}) {
    Snapshot s = WithRange(40000, 40019, 0);
    DestinationPorts d = Dest(s, "10.0.0.1", "10.0.0.9", 443, 20, 0);
    d.bind_parity = bind_parity;
    s.destinations.push_back(d);
    const auto findings = test_util::CheckRule(PortExhaustionRule(), s);
    ASSERT_EQ(findings.size(), 1u);
    const Finding& f = findings[0];
    EXPECT_EQ(AllFix(f).find("IP_BIND_ADDRESS_NO_PORT") != std::string::npos, expected)
        << bind_parity;
    EXPECT_EQ(AllEvidence(f).find("binds before connecting") != std::string::npos, expected)
        << bind_parity;
    EXPECT_EQ(IntFact(f, "bind_parity_sockets"), static_cast<int64_t>(bind_parity));
    if (expected) {
      EXPECT_NE(f.fix.back().find("IP_BIND_ADDRESS_NO_PORT"), std::string::npos) << "last step";
    }
  }
}

TEST(RulePortExhaustionTest, NeverGivesAdviceKernelFactsForbids) {
  Snapshot s = WithRange(40000, 40019, 0);
  s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 443, 20, 20));
  for (const Finding& f : test_util::CheckRule(PortExhaustionRule(), s)) {
    const std::string text = AllFix(f) + f.why + AllEvidence(f);
    EXPECT_EQ(text.find("tcp_tw_recycle"), std::string::npos);
    EXPECT_EQ(text.find("tcp_fin_timeout"), std::string::npos);
    EXPECT_EQ(text.find("tcp_max_tw_buckets"), std::string::npos);
  }
}

TEST(RulePortExhaustionTest, EachDestinationIsItsOwnFinding) {
  Snapshot s = WithRange(40000, 40019, 0);
  s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 443, 12, 12));  // 60 %
  s.destinations.push_back(Dest(s, "10.0.0.1", "10.0.0.9", 80, 18, 18));   // 90 %
  s.destinations.push_back(Dest(s, "10.0.0.2", "10.0.0.9", 443, 11, 0));   // 55 %
  const auto findings = test_util::CheckRule(PortExhaustionRule(), s);
  ASSERT_EQ(findings.size(), 3u);
  EXPECT_EQ(findings[0].subject, "10.0.0.1 -> 10.0.0.9:80");
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
  EXPECT_EQ(findings[1].subject, "10.0.0.1 -> 10.0.0.9:443");
  EXPECT_EQ(findings[2].subject, "10.0.0.2 -> 10.0.0.9:443");
  EXPECT_EQ(findings[2].severity, Severity::kWarning);
}

}  // namespace
}  // namespace tcpdoctor
