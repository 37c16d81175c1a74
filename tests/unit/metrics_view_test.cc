// RenderMetrics against docs/metrics.md: each family's values and labels for a known snapshot in
// two namespaces (and a third whose snapshot failed), the top-N cuts and their "other" sums, a
// bound on series however long the lists, promtool's verdict, and the doc's tables matching the
// output name for name, type for type and label for label.
#include "present/metrics_view.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

#include "analyze/doctor.h"
#include "exposition.h"
#include "promtool_check.h"
#include "snapshot_fixture.h"

namespace tcpdoctor {
namespace {

using test_util::Addr;
using test_util::Exposition;
using test_util::HealthySnapshot;
using test_util::Listener;
using test_util::ParseExposition;
using test_util::Process;
using Labels = std::map<std::string, std::string>;

ListenerQueue WithSynRecv(ListenerQueue l, uint32_t syn_recv, uint64_t inode) {
  l.syn_recv = syn_recv;
  l.inode = inode;
  return l;
}

DestinationPorts Destination(const char* local, const char* remote, uint16_t port, uint64_t in_use,
                             uint64_t time_wait, uint32_t range = 28232) {
  DestinationPorts d;
  d.local = Addr(local);
  d.remote = Addr(remote);
  d.remote_port = port;
  d.in_use = in_use;
  d.time_wait = time_wait;
  d.range_size = range;
  return d;
}

Finding MakeFinding(std::string rule, Severity severity, std::string subject) {
  Finding f;
  f.id = std::move(rule);
  f.severity = severity;
  f.subject = std::move(subject);
  return f;
}

// Every counter of the doc's table, with distinct values; RetransSegs past 2^53.
void SetEveryCounter(Snapshot& s) {
  const char* keys[] = {"TcpExt.ListenOverflows",
                        "TcpExt.ListenDrops",
                        "TcpExt.TCPReqQFullDrop",
                        "TcpExt.TCPReqQFullDoCookies",
                        "TcpExt.SyncookiesSent",
                        "TcpExt.SyncookiesRecv",
                        "TcpExt.SyncookiesFailed",
                        "TcpExt.TCPTimeWaitOverflow",
                        "TcpExt.TW",
                        "TcpExt.TWRecycled",
                        "TcpExt.TCPAbortOnData",
                        "TcpExt.TCPAbortOnClose",
                        "TcpExt.TCPAbortOnMemory",
                        "TcpExt.TCPAbortOnTimeout",
                        "TcpExt.TCPAbortOnLinger",
                        "TcpExt.TCPMemoryPressures",
                        "Tcp.ActiveOpens",
                        "Tcp.PassiveOpens",
                        "Tcp.AttemptFails",
                        "Tcp.EstabResets",
                        "Tcp.OutRsts"};
  uint64_t value = 100;
  for (const char* key : keys) test_util::SetCounter(s, key, value++, 1);
  test_util::SetCounter(s, "Tcp.RetransSegs", 9007199254740993u, 1);
  test_util::SetCounter(s, "Tcp.CurrEstab", 40, 0);  // not exported
}

// How TakeSnapshot's steps went: all well but `failed`.
std::vector<CollectorRun> SnapshotRuns(std::string_view failed = "") {
  std::vector<CollectorRun> runs = {{"sysctls", true, 0.001, ""},
                                    {"counters", true, 0.002, ""},
                                    {"sockets", true, 0.25, ""},
                                    {"processes", true, 0.5, ""}};
  for (CollectorRun& r : runs) {
    if (r.collector == failed) r = {r.collector, false, r.seconds, "failed"};
  }
  return runs;
}

NamespaceCollection Collected(std::string netns, Snapshot s) {
  NamespaceCollection c;
  c.netns = std::move(netns);
  c.snapshot = std::move(s);
  c.collectors = {{"doctor", true, 0.01, ""}};
  return c;
}

// Namespace "current": something in every family.
NamespaceCollection RichCollection() {
  Snapshot s = HealthySnapshot();
  s.sysctls.tcp_tw_reuse_delay_ms = 1500;
  s.page_size = 4096;
  s.states.Add(TcpState::kEstablished, 40);
  s.states.Add(TcpState::kTimeWait, 11);
  s.states.Add(TcpState::kListen, 4);
  s.states.Add(TcpState::kCloseWait, 2);
  s.states.Add(TcpState::kSynRecv, 3);
  s.listeners = {
      // Two SO_REUSEPORT listeners of nginx: one series.
      WithSynRecv(Listener("0.0.0.0", 80, 3, 511, 100, "nginx"), 2, 11),
      WithSynRecv(Listener("0.0.0.0", 80, 5, 511, 100, "nginx"), 1, 12),
      // Full: first.
      WithSynRecv(Listener("::", 443, 129, 128, 300, "slow"), 0, 13),
      // No readable owner.
      WithSynRecv(Listener("127.0.0.1", 9000, 0, 4096, 0, ""), 0, 14),
  };
  s.destinations = {Destination("10.0.0.1", "10.0.0.9", 5432, 500, 400),
                    Destination("10.0.0.1", "10.0.0.10", 443, 30, 10),
                    Destination("::1", "::1", 8080, 5, 5)};
  s.listening_time_wait = {{80, 7, {}}, {443, 3, {}}, {8443, 1, {}}};
  ProcessSnapshot nginx = Process(100, "nginx", 50, 1024);
  nginx.states.Add(TcpState::kEstablished, 29);  // 30 with Process()'s one
  nginx.states.Add(TcpState::kListen, 2);
  ProcessSnapshot leaker = Process(200, "leaker", 900, 1024);  // 88 %: riskiest
  leaker.states.Add(TcpState::kCloseWait, 2);
  ProcessSnapshot java = Process(300, "java", 10, kUnlimited);
  java.states.Add(TcpState::kEstablished, 4);
  ProcessSnapshot sshd = Process(400, "sshd", 8);
  sshd.info.nofile_soft = std::nullopt;
  s.processes = {nginx, java, leaker, sshd};  // most sockets first, as the snapshot keeps them
  SetEveryCounter(s);
  s.sockstat.lines = {
      {"TCP", {{"inuse", 50}, {"orphan", 3}, {"tw", 11}, {"alloc", 60}, {"mem", 12}}}};
  s.collector_runs = SnapshotRuns();
  NamespaceCollection c = Collected("current", std::move(s));
  // In the doctor's order: most severe first, then by rule.
  c.findings = {MakeFinding("close-wait-leak", Severity::kCritical, "leaker[200]"),
                MakeFinding("close-wait-leak", Severity::kWarning, "a[1]"),
                MakeFinding("port-exhaustion", Severity::kWarning, "10.0.0.1 -> 10.0.0.9:5432"),
                MakeFinding("close-wait-leak", Severity::kWarning, "b[2]"),
                MakeFinding("close-wait-leak", Severity::kInfo, "c[3]")};
  c.process_scan_age_seconds = 2.5;
  return c;
}

// Namespace "blue": a child namespace (no global sysctls), few counters, the owner scan failed.
NamespaceCollection BlueCollection() {
  Snapshot s = HealthySnapshot();
  s.netns_label = "blue";
  s.sysctls.tcp_max_orphans = std::nullopt;
  s.sysctls.tcp_mem = std::nullopt;
  s.sysctls.tcp_tw_reuse_delay_ms = std::nullopt;
  s.owners_known = false;
  s.states.Add(TcpState::kEstablished, 1);
  test_util::SetCounter(s, "TcpExt.ListenOverflows", 7, 0);
  s.collector_runs = SnapshotRuns("processes");
  return Collected("blue", std::move(s));
}

// A container whose snapshot failed at the counters.
NamespaceCollection FailedCollection() {
  NamespaceCollection c;
  c.netns = "docker:0123456789ab";
  c.collectors = {{"sysctls", true, 0.003, ""}, {"counters", false, 0.004, "no /proc/net/snmp"}};
  return c;
}

const ExporterFacts kExporter{"0.1.0", 42, 1767225600.25};

MetricsLimits SmallLimits() {
  MetricsLimits limits;
  limits.top_listeners = 2;
  limits.top_destinations = 1;
  limits.top_processes = 3;
  limits.top_findings = 2;
  return limits;
}

class MetricsViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    text_ = RenderMetrics({RichCollection(), BlueCollection(), FailedCollection()}, kExporter,
                          SmallLimits());
    expo_ = ParseExposition(text_);
  }
  std::string V(const std::string& name, const Labels& labels) const {
    return expo_.Value(name, labels).value_or("absent");
  }
  size_t Count(const std::string& name, const Labels& match = {}) const {
    return expo_.Find(name, match).size();
  }

  std::string text_;
  Exposition expo_;
};

TEST_F(MetricsViewTest, EachFamilyHasOneHelpAndTypeBeforeItsSamplesTogether) {
  ASSERT_FALSE(expo_.samples.empty());
  std::map<std::string, std::pair<size_t, size_t>> span;  // first and last line of samples
  for (const auto& s : expo_.samples) {
    auto [it, fresh] = span.emplace(s.name, std::make_pair(s.line, s.line));
    it->second.second = s.line;
  }
  for (const auto& [name, lines] : span) {
    EXPECT_EQ(expo_.help_lines[name], 1) << name;
    EXPECT_EQ(expo_.type_lines[name], 1) << name;
    EXPECT_FALSE(expo_.help[name].empty()) << name;
    EXPECT_EQ(expo_.type_line[name] + 1, lines.first) << name << ": TYPE not right before";
    EXPECT_EQ(lines.second - lines.first + 1, Count(name)) << name << ": samples interleaved";
  }
  // No family without samples.
  for (const auto& [name, n] : expo_.type_lines) EXPECT_TRUE(span.contains(name)) << name;
  // Several namespaces share one family.
  EXPECT_EQ(Count("tcpdoctor_tcp_sockets", {{"netns", "current"}}), 11u);
  EXPECT_EQ(Count("tcpdoctor_tcp_sockets", {{"netns", "blue"}}), 11u);
}

TEST_F(MetricsViewTest, EverySeriesIsUnique) {
  std::set<std::pair<std::string, Labels>> seen;
  for (const auto& s : expo_.samples) {
    EXPECT_TRUE(seen.insert({s.name, s.labels}).second) << "line " << s.line;
  }
}

TEST_F(MetricsViewTest, SocketStatesEveryOneZerosIncluded) {
  EXPECT_EQ(V("tcpdoctor_tcp_sockets", {{"netns", "current"}, {"state", "established"}}), "40");
  EXPECT_EQ(V("tcpdoctor_tcp_sockets", {{"netns", "current"}, {"state", "time_wait"}}), "11");
  EXPECT_EQ(V("tcpdoctor_tcp_sockets", {{"netns", "current"}, {"state", "syn_recv"}}), "3");
  EXPECT_EQ(V("tcpdoctor_tcp_sockets", {{"netns", "current"}, {"state", "fin_wait1"}}), "0");
  EXPECT_EQ(V("tcpdoctor_tcp_sockets", {{"netns", "blue"}, {"state", "established"}}), "1");
  std::set<std::string> states;
  for (const auto* s : expo_.Find("tcpdoctor_tcp_sockets", {{"netns", "blue"}})) {
    states.insert(s->labels.at("state"));
  }
  EXPECT_EQ(states, (std::set<std::string>{"established", "syn_sent", "syn_recv", "fin_wait1",
                                           "fin_wait2", "time_wait", "close", "close_wait",
                                           "last_ack", "listen", "closing"}));
}

TEST_F(MetricsViewTest, ListenersFullestFirstReuseportMergedRestInOther) {
  const std::string q = "tcpdoctor_listener_accept_queue_connections";
  const std::string max = "tcpdoctor_listener_accept_queue_max_connections";
  const std::string syn = "tcpdoctor_listener_syn_recv_connections";
  const Labels full{{"netns", "current"}, {"address", "::"}, {"port", "443"}, {"process", "slow"}};
  const Labels nginx{
      {"netns", "current"}, {"address", "0.0.0.0"}, {"port", "80"}, {"process", "nginx"}};
  const Labels other{
      {"netns", "current"}, {"address", "other"}, {"port", "other"}, {"process", "other"}};
  EXPECT_EQ(V(q, full), "129");
  EXPECT_EQ(V(max, full), "128");
  EXPECT_EQ(V(syn, full), "0");
  // Both nginx sockets in one series, although the second ranks past the cut.
  EXPECT_EQ(V(q, nginx), "8");
  EXPECT_EQ(V(max, nginx), "1022");
  EXPECT_EQ(V(syn, nginx), "3");
  // The ownerless listener on 9000 is the rest.
  EXPECT_EQ(V(q, other), "0");
  EXPECT_EQ(V(max, other), "4096");
  EXPECT_EQ(V(syn, other), "0");
  EXPECT_EQ(Count(q, {{"netns", "current"}}), 3u);
  // In rank order.
  const auto rows = expo_.Find(q, {{"netns", "current"}});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]->labels.at("port"), "443");
  EXPECT_EQ(rows[1]->labels.at("port"), "80");
  EXPECT_EQ(rows[2]->labels.at("port"), "other");
  EXPECT_EQ(Count(q, {{"netns", "blue"}}), 0u);
}

TEST_F(MetricsViewTest, AListenerWithoutReadableOwnerHasAnEmptyProcess) {
  MetricsLimits all = SmallLimits();
  all.top_listeners = 10;
  const Exposition e = ParseExposition(RenderMetrics({RichCollection()}, kExporter, all));
  EXPECT_EQ(
      e.Value("tcpdoctor_listener_accept_queue_max_connections",
              {{"netns", "current"}, {"address", "127.0.0.1"}, {"port", "9000"}, {"process", ""}}),
      "4096");
  EXPECT_TRUE(e.Find("tcpdoctor_listener_syn_recv_connections", {{"port", "other"}}).empty());
}

TEST_F(MetricsViewTest, BacklogUnknownOnTheProcPathLeavesMaxAbsent) {
  NamespaceCollection c = RichCollection();
  for (ListenerQueue& l : c.snapshot->listeners) l.backlog_known = false;
  const Exposition e = ParseExposition(RenderMetrics({c}, kExporter, SmallLimits()));
  EXPECT_TRUE(e.Find("tcpdoctor_listener_accept_queue_max_connections").empty());
  // Ranked by SYN_RECV then queue length instead: nginx (3 SYN_RECV) first, then ::443.
  const auto rows = e.Find("tcpdoctor_listener_accept_queue_connections");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]->labels.at("port"), "80");
  EXPECT_EQ(rows[1]->labels.at("port"), "443");
  EXPECT_EQ(rows[2]->labels.at("port"), "other");
}

TEST_F(MetricsViewTest, DestinationsMostUsedFirstRestInOther) {
  const Labels top{{"netns", "current"},
                   {"local_address", "10.0.0.1"},
                   {"remote_address", "10.0.0.9"},
                   {"remote_port", "5432"}};
  const Labels other{{"netns", "current"},
                     {"local_address", "other"},
                     {"remote_address", "other"},
                     {"remote_port", "other"}};
  EXPECT_EQ(V("tcpdoctor_destination_ephemeral_ports", top), "500");
  EXPECT_EQ(V("tcpdoctor_destination_time_wait_sockets", top), "400");
  EXPECT_EQ(V("tcpdoctor_destination_port_range_ports", top), "28232");
  EXPECT_EQ(V("tcpdoctor_destination_ephemeral_ports", other), "35");
  EXPECT_EQ(V("tcpdoctor_destination_time_wait_sockets", other), "15");
  EXPECT_EQ(V("tcpdoctor_destination_port_range_ports", other), "28232");
  EXPECT_EQ(Count("tcpdoctor_destination_ephemeral_ports"), 2u);
}

TEST_F(MetricsViewTest, ListeningPortTimeWaitCutLikeListeners) {
  const std::string name = "tcpdoctor_listener_time_wait_sockets";
  EXPECT_EQ(V(name, {{"netns", "current"}, {"port", "80"}}), "7");
  EXPECT_EQ(V(name, {{"netns", "current"}, {"port", "443"}}), "3");
  EXPECT_EQ(V(name, {{"netns", "current"}, {"port", "other"}}), "1");
  EXPECT_EQ(Count(name), 3u);
}

TEST_F(MetricsViewTest, ProcessesRiskiestFirstWithFdFiguresAndOther) {
  const auto who = [](const char* pid, const char* comm) {
    return Labels{{"netns", "current"}, {"pid", pid}, {"comm", comm}};
  };
  const auto in_state = [&](const char* pid, const char* comm, const char* state) {
    Labels l = who(pid, comm);
    l["state"] = state;
    return l;
  };
  // leaker (88 % of nofile) first, then nginx, then java (unlimited), sshd in other.
  const auto rows = expo_.Find("tcpdoctor_process_close_wait_sockets", {{"netns", "current"}});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0]->labels.at("comm"), "leaker");
  EXPECT_EQ(rows[1]->labels.at("comm"), "nginx");
  EXPECT_EQ(rows[2]->labels.at("comm"), "java");
  EXPECT_EQ(rows[3]->labels.at("comm"), "other");
  EXPECT_EQ(V("tcpdoctor_process_close_wait_sockets", who("200", "leaker")), "2");
  EXPECT_EQ(V("tcpdoctor_process_close_wait_sockets", who("100", "nginx")), "0");
  EXPECT_EQ(V("tcpdoctor_process_sockets", in_state("200", "leaker", "close_wait")), "2");
  EXPECT_EQ(V("tcpdoctor_process_sockets", in_state("100", "nginx", "established")), "30");
  EXPECT_EQ(V("tcpdoctor_process_sockets", in_state("100", "nginx", "listen")), "2");
  // States a process has none in are left out.
  EXPECT_EQ(Count("tcpdoctor_process_sockets", who("100", "nginx")), 2u);
  EXPECT_EQ(V("tcpdoctor_process_open_fds", who("200", "leaker")), "900");
  EXPECT_EQ(V("tcpdoctor_process_max_fds", who("200", "leaker")), "1024");
  EXPECT_EQ(V("tcpdoctor_process_open_fds", who("300", "java")), "10");
  EXPECT_EQ(V("tcpdoctor_process_max_fds", who("300", "java")), "absent");  // unlimited
  // The rest: sshd's one socket, no fd figures.
  EXPECT_EQ(V("tcpdoctor_process_sockets", in_state("other", "other", "established")), "1");
  EXPECT_EQ(V("tcpdoctor_process_close_wait_sockets", who("other", "other")), "0");
  EXPECT_EQ(V("tcpdoctor_process_open_fds", who("other", "other")), "absent");
  EXPECT_EQ(V("tcpdoctor_process_scan_age_seconds", {{"netns", "current"}}), "2.5");
  // The owner scan failed in blue: no process series at all.
  for (const char* name : {"tcpdoctor_process_sockets", "tcpdoctor_process_close_wait_sockets",
                           "tcpdoctor_process_scan_age_seconds"}) {
    EXPECT_EQ(Count(name, {{"netns", "blue"}}), 0u) << name;
  }
}

TEST_F(MetricsViewTest, KernelCountersAsTheyAreAbsentWhenMissing) {
  const Labels current{{"netns", "current"}};
  const Labels blue{{"netns", "blue"}};
  EXPECT_EQ(V("tcpdoctor_kernel_listen_overflows_total", current), "100");
  EXPECT_EQ(V("tcpdoctor_kernel_time_wait_total", current), "108");
  EXPECT_EQ(V("tcpdoctor_kernel_out_resets_total", current), "120");
  EXPECT_EQ(V("tcpdoctor_kernel_retransmitted_segments_total", current), "9007199254740993");
  EXPECT_EQ(expo_.type.at("tcpdoctor_kernel_listen_overflows_total"), "counter");
  EXPECT_EQ(V("tcpdoctor_kernel_listen_overflows_total", blue), "7");
  EXPECT_EQ(V("tcpdoctor_kernel_listen_drops_total", blue), "absent");
  // Sockstat and file handles.
  EXPECT_EQ(V("tcpdoctor_sockstat_orphan_sockets", current), "3");
  EXPECT_EQ(V("tcpdoctor_sockstat_time_wait_sockets", current), "11");
  EXPECT_EQ(V("tcpdoctor_sockstat_memory_bytes", current), "49152");  // 12 pages
  EXPECT_EQ(V("tcpdoctor_sockstat_orphan_sockets", blue), "absent");  // no sockstat read
  EXPECT_EQ(V("tcpdoctor_host_allocated_files", current), "412");
}

TEST_F(MetricsViewTest, SysctlsInTheirUnitsAbsentWhereTheNamespaceLacksThem) {
  const Labels current{{"netns", "current"}};
  const Labels blue{{"netns", "blue"}};
  EXPECT_EQ(V("tcpdoctor_sysctl_somaxconn", current), "4096");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_syncookies", current), "1");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_tw_reuse", current), "2");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_tw_reuse_delay_seconds", current), "1.5");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_fin_timeout_seconds", current), "60");
  EXPECT_EQ(V("tcpdoctor_sysctl_ip_local_port_range_first", current), "32768");
  EXPECT_EQ(V("tcpdoctor_sysctl_ip_local_port_range_last", current), "60999");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_mem_pressure_bytes", current), std::to_string(383779LL * 4096));
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_mem_max_bytes", current), std::to_string(575664LL * 4096));
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_max_orphans", current), "131072");
  EXPECT_EQ(V("tcpdoctor_sysctl_fs_file_max", current), "2465610");
  EXPECT_EQ(V("tcpdoctor_sysctl_fs_nr_open", current), "1048576");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_orphan_retries", current), "0");
  // Global keys are missing inside a child namespace; 6.14's reuse delay on older kernels.
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_max_orphans", blue), "absent");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_mem_max_bytes", blue), "absent");
  EXPECT_EQ(V("tcpdoctor_sysctl_tcp_tw_reuse_delay_seconds", blue), "absent");
  EXPECT_EQ(V("tcpdoctor_sysctl_somaxconn", blue), "4096");
}

TEST_F(MetricsViewTest, FindingsTopPerRuleRestCountedPerSeverity) {
  const auto finding = [](const char* rule, const char* severity, const char* subject) {
    return Labels{
        {"netns", "current"}, {"rule", rule}, {"severity", severity}, {"subject", subject}};
  };
  EXPECT_EQ(V("tcpdoctor_finding", finding("close-wait-leak", "critical", "leaker[200]")), "1");
  EXPECT_EQ(V("tcpdoctor_finding", finding("close-wait-leak", "warning", "a[1]")), "1");
  EXPECT_EQ(V("tcpdoctor_finding", finding("close-wait-leak", "warning", "b[2]")), "absent");
  EXPECT_EQ(V("tcpdoctor_finding", finding("close-wait-leak", "warning", "other")), "1");
  EXPECT_EQ(V("tcpdoctor_finding", finding("close-wait-leak", "info", "other")), "1");
  EXPECT_EQ(
      V("tcpdoctor_finding", finding("port-exhaustion", "warning", "10.0.0.1 -> 10.0.0.9:5432")),
      "1");
  EXPECT_EQ(Count("tcpdoctor_finding"), 5u);
  EXPECT_EQ(V("tcpdoctor_findings", {{"netns", "current"}, {"severity", "critical"}}), "1");
  EXPECT_EQ(V("tcpdoctor_findings", {{"netns", "current"}, {"severity", "warning"}}), "3");
  EXPECT_EQ(V("tcpdoctor_findings", {{"netns", "current"}, {"severity", "info"}}), "1");
  // Blue's doctor ran and found nothing: zeros, which say "healthy".
  EXPECT_EQ(V("tcpdoctor_findings", {{"netns", "blue"}, {"severity", "critical"}}), "0");
  EXPECT_EQ(Count("tcpdoctor_findings", {{"netns", "blue"}}), 3u);
  // The failed namespace has no findings figures, not zeros.
  EXPECT_EQ(Count("tcpdoctor_findings", {{"netns", "docker:0123456789ab"}}), 0u);
}

TEST_F(MetricsViewTest, ADoctorThatFailedLeavesNoFindingFigures) {
  NamespaceCollection c = BlueCollection();
  c.collectors = {{"doctor", false, 0.001, "rule crashed"}};
  const Exposition e = ParseExposition(RenderMetrics({c}, kExporter, SmallLimits()));
  EXPECT_TRUE(e.Find("tcpdoctor_findings").empty());
  EXPECT_EQ(
      e.Value("tcpdoctor_scrape_collector_success", {{"netns", "blue"}, {"collector", "doctor"}}),
      "0");
}

TEST_F(MetricsViewTest, CollectorsOfEveryNamespaceAFailedSnapshotIncluded) {
  const auto run = [](const char* netns, const char* collector) {
    return Labels{{"netns", netns}, {"collector", collector}};
  };
  const std::string ok = "tcpdoctor_scrape_collector_success";
  const std::string took = "tcpdoctor_scrape_collector_duration_seconds";
  EXPECT_EQ(V(ok, run("current", "sockets")), "1");
  EXPECT_EQ(V(took, run("current", "sockets")), "0.25");
  EXPECT_EQ(V(ok, run("current", "doctor")), "1");
  EXPECT_EQ(Count(ok, {{"netns", "current"}}), 5u);
  EXPECT_EQ(V(ok, run("blue", "processes")), "0");
  EXPECT_EQ(V(took, run("blue", "processes")), "0.5");
  EXPECT_EQ(V(ok, run("docker:0123456789ab", "sysctls")), "1");
  EXPECT_EQ(V(ok, run("docker:0123456789ab", "counters")), "0");
  EXPECT_EQ(V(took, run("docker:0123456789ab", "counters")), "0.004");
  // The failed namespace has nothing else.
  for (const auto& s : expo_.samples) {
    if (s.labels.count("netns") && s.labels.at("netns") == "docker:0123456789ab") {
      EXPECT_TRUE(s.name.starts_with("tcpdoctor_scrape_collector_")) << s.name;
    }
  }
  // The exporter's account wins over the snapshot's for the same collector.
  NamespaceCollection c = BlueCollection();
  c.collectors.push_back({"processes", true, 0.03, ""});
  const Exposition e = ParseExposition(RenderMetrics({c}, kExporter, SmallLimits()));
  EXPECT_EQ(e.Value(ok, run("blue", "processes")), "1");
  EXPECT_EQ(e.Value(took, run("blue", "processes")), "0.03");
}

TEST_F(MetricsViewTest, ExporterFactsOnceWithoutNetns) {
  EXPECT_EQ(V("tcpdoctor_exporter_collections_total", {}), "42");
  EXPECT_EQ(expo_.type.at("tcpdoctor_exporter_collections_total"), "counter");
  EXPECT_EQ(V("tcpdoctor_exporter_collection_timestamp_seconds", {}), "1767225600.25");
  EXPECT_EQ(V("tcpdoctor_build_info", {{"version", "0.1.0"}}), "1");
  // Even with no namespace at all.
  const Exposition e = ParseExposition(RenderMetrics({}, kExporter, MetricsLimits{}));
  EXPECT_EQ(e.samples.size(), 3u);
}

// 10,000 of every list: at most the top N series per family and netns plus one "other", and the
// series sum exactly what the snapshot holds.
TEST(MetricsViewBoundsTest, LongListsStayBoundedAndOtherSumsTheRest) {
  constexpr uint32_t kMany = 10000;
  Snapshot s = HealthySnapshot();
  uint64_t accept_total = 0, backlog_total = 0, syn_total = 0;
  for (uint32_t i = 0; i < kMany; ++i) {
    ListenerQueue l = Listener(i % 2 ? "10.1.0.1" : "::", static_cast<uint16_t>(i + 1), i % 7,
                               128 + i % 5, static_cast<int32_t>(i + 1), "p" + std::to_string(i));
    l.syn_recv = i % 3;
    accept_total += l.accept_queue;
    backlog_total += l.backlog;
    syn_total += l.syn_recv;
    s.listeners.push_back(l);
  }
  uint64_t in_use_total = 0, time_wait_total = 0, port_tw_total = 0;
  for (uint32_t i = 0; i < kMany; ++i) {
    const std::string remote = "10.2." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    DestinationPorts d = Destination("10.0.0.1", remote.c_str(), 443, 2 * kMany - i, i % 11);
    in_use_total += d.in_use;
    time_wait_total += d.time_wait;
    s.destinations.push_back(d);
    s.listening_time_wait.push_back({static_cast<uint16_t>(i + 1), kMany - i, {}});
    port_tw_total += kMany - i;
  }
  StateCounts process_total;
  for (uint32_t i = 0; i < kMany; ++i) {
    ProcessSnapshot p =
        Process(static_cast<int32_t>(i + 1), "w" + std::to_string(i % 50), i % 1000, 1024);
    p.states.Add(TcpState::kCloseWait, i % 4);
    p.states.Add(TcpState::kTimeWait, i % 3);
    process_total.Merge(p.states);
    s.processes.push_back(p);
  }
  NamespaceCollection c;
  c.netns = "current";
  std::map<std::pair<std::string, Severity>, uint64_t> per_rule_severity;
  for (uint32_t i = 0; i < kMany; ++i) {
    const Rule& rule = AllRules()[i % AllRules().size()];
    const Severity severity = static_cast<Severity>(i % 3);
    c.findings.push_back(MakeFinding(std::string(rule.id), severity, "s" + std::to_string(i)));
    ++per_rule_severity[{std::string(rule.id), severity}];
  }
  std::stable_sort(c.findings.begin(), c.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  c.snapshot = std::move(s);
  std::vector<NamespaceCollection> collections;
  collections.push_back(std::move(c));
  const MetricsLimits limits;  // the defaults

  const auto start = std::chrono::steady_clock::now();
  const std::string text = RenderMetrics(collections, kExporter, limits);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "rendered " << text.size() << " bytes in " << ms << " ms\n";
  const Exposition e = ParseExposition(text);

  const auto others = [&e](const std::string& name, const std::string& label) {
    size_t n = 0;
    for (const auto* sample : e.Find(name)) n += sample->labels.at(label) == "other";
    return n;
  };
  for (const char* name : {"tcpdoctor_listener_accept_queue_connections",
                           "tcpdoctor_listener_accept_queue_max_connections",
                           "tcpdoctor_listener_syn_recv_connections"}) {
    EXPECT_EQ(e.Find(name).size(), limits.top_listeners + 1) << name;
    EXPECT_EQ(others(name, "process"), 1u) << name;
  }
  EXPECT_EQ(e.Sum("tcpdoctor_listener_accept_queue_connections"), accept_total);
  EXPECT_EQ(e.Sum("tcpdoctor_listener_accept_queue_max_connections"), backlog_total);
  EXPECT_EQ(e.Sum("tcpdoctor_listener_syn_recv_connections"), syn_total);
  // The shown ones are the fullest: 6 of 128..132 (+1) beat everything with 5 or less.
  for (const auto* sample : e.Find("tcpdoctor_listener_accept_queue_connections")) {
    if (sample->labels.at("port") != "other") {
      EXPECT_EQ(sample->value, "6");
    }
  }

  for (const char* name :
       {"tcpdoctor_destination_ephemeral_ports", "tcpdoctor_destination_time_wait_sockets",
        "tcpdoctor_destination_port_range_ports"}) {
    EXPECT_EQ(e.Find(name).size(), limits.top_destinations + 1) << name;
    EXPECT_EQ(others(name, "remote_address"), 1u) << name;
  }
  EXPECT_EQ(e.Sum("tcpdoctor_destination_ephemeral_ports"), in_use_total);
  EXPECT_EQ(e.Sum("tcpdoctor_destination_time_wait_sockets"), time_wait_total);
  EXPECT_EQ(e.Value("tcpdoctor_destination_port_range_ports", {{"netns", "current"},
                                                               {"local_address", "other"},
                                                               {"remote_address", "other"},
                                                               {"remote_port", "other"}}),
            "28232");

  EXPECT_EQ(e.Find("tcpdoctor_listener_time_wait_sockets").size(), limits.top_listeners + 1);
  EXPECT_EQ(e.Sum("tcpdoctor_listener_time_wait_sockets"), port_tw_total);

  const std::string cw = "tcpdoctor_process_close_wait_sockets";
  EXPECT_EQ(e.Find(cw).size(), limits.top_processes + 1);
  EXPECT_EQ(e.Sum(cw), process_total.Get(TcpState::kCloseWait));
  EXPECT_LE(e.Find("tcpdoctor_process_sockets").size(), (limits.top_processes + 1) * 11);
  for (TcpState state : kStatesInOrder) {
    std::string label(StateName(state));
    for (char& ch : label) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(e.Sum("tcpdoctor_process_sockets", {{"state", label}}), process_total.Get(state))
        << label;
  }
  EXPECT_EQ(e.Find("tcpdoctor_process_open_fds").size(), limits.top_processes);
  EXPECT_EQ(e.Find("tcpdoctor_process_max_fds").size(), limits.top_processes);

  // Findings: the top per rule, one "other" per rule and severity, and the exact counts.
  std::map<std::string, size_t> shown_per_rule;
  for (const auto* sample : e.Find("tcpdoctor_finding")) {
    const std::string& rule = sample->labels.at("rule");
    if (sample->labels.at("subject") != "other") {
      ++shown_per_rule[rule];
      EXPECT_EQ(sample->value, "1");
    }
  }
  for (const Rule& rule : AllRules()) {
    EXPECT_EQ(shown_per_rule[std::string(rule.id)], limits.top_findings) << rule.id;
  }
  EXPECT_LE(e.Find("tcpdoctor_finding").size(), AllRules().size() * (limits.top_findings + 3));
  for (const auto& [key, count] : per_rule_severity) {
    const std::string severity(SeverityName(key.second));
    EXPECT_EQ(e.Sum("tcpdoctor_finding", {{"rule", key.first}, {"severity", severity}}), count)
        << key.first << " " << severity;
  }
  for (const char* severity : {"info", "warning", "critical"}) {
    const double total = e.Sum("tcpdoctor_finding", {{"severity", severity}});
    EXPECT_EQ(e.Value("tcpdoctor_findings", {{"netns", "current"}, {"severity", severity}}),
              std::to_string(static_cast<uint64_t>(total)));
  }
  // The whole scrape stays small however many sockets, listeners and processes there are.
  EXPECT_LT(e.samples.size(), 400u);
}

// The rendered text of a rich snapshot, with real findings from the doctor and label values that
// need escaping, passes `promtool check metrics` without a lint problem.
TEST(MetricsViewPromtoolTest, PromtoolAcceptsARichScrape) {
  NamespaceCollection rich = RichCollection();
  rich.findings = RunDoctor(*rich.snapshot, DoctorSettings{});
  ASSERT_FALSE(rich.findings.empty());
  rich.snapshot->processes[0].info.comm = "we\"ird\\na\nme\xFF";
  NamespaceCollection odd = BlueCollection();
  odd.netns = "pid:42 (a \"quoted\" \\ name)";
  const std::string text =
      RenderMetrics({rich, odd, FailedCollection()}, kExporter, MetricsLimits{});
  EXPECT_EQ(test_util::PromtoolProblems(text, "rich.prom"), "") << text;
  const Exposition e = ParseExposition(text);
  EXPECT_FALSE(
      e.Find("tcpdoctor_process_open_fds", {{"comm", "we\"ird\\na\nme\xEF\xBF\xBD"}}).empty());
  EXPECT_FALSE(e.Find("tcpdoctor_tcp_sockets", {{"netns", odd.netns}}).empty());
}

struct DocMetric {
  std::string type;
  std::set<std::string> labels;
};

// The metrics of docs/metrics.md's tables: `| `name` | type | labels | ... |`.
std::map<std::string, DocMetric> DocumentedMetrics(std::set<std::string>& mentioned) {
  std::ifstream in(std::string(TCPDOCTOR_FIXTURES) + "/../../docs/metrics.md");
  EXPECT_TRUE(in.good()) << "docs/metrics.md not found";
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string doc = buffer.str();
  const std::regex row(R"(^\| `(tcpdoctor_[a-z0-9_]+)` \| (gauge|counter) \|([^|]*)\|)");
  // Whole names: a prefix such as tcpdoctor_process_* ends in '_'.
  const std::regex name(R"(tcpdoctor_[a-z0-9_]*[a-z0-9])");
  std::map<std::string, DocMetric> metrics;
  std::istringstream lines(doc);
  std::string line;
  while (std::getline(lines, line)) {
    for (auto it = std::sregex_iterator(line.begin(), line.end(), name);
         it != std::sregex_iterator(); ++it) {
      if (line[static_cast<size_t>(it->position() + it->length())] != '_') {
        mentioned.insert(it->str());
      }
    }
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    DocMetric metric{m[2], {}};
    std::stringstream labels(m[3]);
    std::string label;
    while (std::getline(labels, label, ',')) {
      label.erase(0, label.find_first_not_of(' '));
      label.erase(label.find_last_not_of(' ') + 1);
      if (!label.empty()) metric.labels.insert(label);
    }
    EXPECT_TRUE(metrics.emplace(m[1], metric).second) << "documented twice: " << m[1];
  }
  return metrics;
}

TEST(MetricsViewDocTest, TheDocsTablesAndTheOutputNameTheSameMetrics) {
  std::set<std::string> mentioned;
  const std::map<std::string, DocMetric> documented = DocumentedMetrics(mentioned);
  ASSERT_GT(documented.size(), 50u);
  const Exposition e = ParseExposition(RenderMetrics(
      {RichCollection(), BlueCollection(), FailedCollection()}, kExporter, SmallLimits()));
  for (const auto& [name, metric] : documented) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(e.type.contains(name)) << "documented, not rendered";
    EXPECT_EQ(e.type.at(name), metric.type);
    for (const auto* sample : e.Find(name)) {
      std::set<std::string> labels;
      for (const auto& [label, value] : sample->labels) labels.insert(label);
      EXPECT_EQ(labels, metric.labels) << "line " << sample->line;
    }
  }
  for (const auto& [name, type] : e.type) {
    EXPECT_TRUE(documented.contains(name)) << name << ": rendered, not in the doc's tables";
  }
  // Prose names only what the tables define.
  for (const std::string& name : mentioned) {
    EXPECT_TRUE(documented.contains(name)) << name << ": in the doc, in no table";
  }
}

}  // namespace
}  // namespace tcpdoctor
