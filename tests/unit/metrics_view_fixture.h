// Collections for RenderMetrics' tests: a namespace with something in every family of
// docs/metrics.md, a child namespace whose owner scan failed, and one whose snapshot failed.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "present/metrics_view.h"
#include "snapshot_fixture.h"

namespace tcpdoctor::test_util {

using Labels = std::map<std::string, std::string>;

inline ListenerQueue WithSynRecv(ListenerQueue l, uint32_t syn_recv, uint64_t inode) {
  l.syn_recv = syn_recv;
  l.inode = inode;
  return l;
}

inline DestinationPorts Destination(const char* local, const char* remote, uint16_t port,
                                    uint64_t in_use, uint64_t time_wait, uint32_t range = 28232) {
  DestinationPorts d;
  d.local = Addr(local);
  d.remote = Addr(remote);
  d.remote_port = port;
  d.in_use = in_use;
  d.time_wait = time_wait;
  d.range_size = range;
  return d;
}

inline Finding MakeFinding(std::string rule, Severity severity, std::string subject) {
  Finding f;
  f.id = std::move(rule);
  f.severity = severity;
  f.subject = std::move(subject);
  return f;
}

// Every counter of the doc's table, with distinct values; RetransSegs past 2^53.
inline void SetEveryCounter(Snapshot& s) {
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
                        "Tcp.OutRsts",
                        "TcpExt.TCPSynRetrans"};
  uint64_t value = 100;
  for (const char* key : keys) test_util::SetCounter(s, key, value++, 1);
  test_util::SetCounter(s, "Tcp.RetransSegs", 9007199254740993u, 1);
  test_util::SetCounter(s, "Tcp.CurrEstab", 40, 0);  // not exported
}

// How TakeSnapshot's steps went: all well but `failed`.
inline std::vector<CollectorRun> SnapshotRuns(std::string_view failed = "") {
  std::vector<CollectorRun> runs = {{"sysctls", true, 0.001, ""},
                                    {"counters", true, 0.002, ""},
                                    {"sockets", true, 0.25, ""},
                                    {"processes", true, 0.5, ""}};
  for (CollectorRun& r : runs) {
    if (r.collector == failed) r = {r.collector, false, r.seconds, "failed"};
  }
  return runs;
}

inline NamespaceCollection Collected(std::string netns, Snapshot s) {
  NamespaceCollection c;
  c.netns = std::move(netns);
  c.snapshot = std::move(s);
  c.collectors = {{"doctor", true, 0.01, ""}};
  return c;
}

// Namespace "current": something in every family.
inline NamespaceCollection RichCollection() {
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
inline NamespaceCollection BlueCollection() {
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
inline NamespaceCollection FailedCollection() {
  NamespaceCollection c;
  c.netns = "docker:0123456789ab";
  c.collectors = {{"sysctls", true, 0.003, ""}, {"counters", false, 0.004, "no /proc/net/snmp"}};
  return c;
}

inline const ExporterFacts kExporter{"0.1.0", 42, 1767225600.25};

inline MetricsLimits SmallLimits() {
  MetricsLimits limits;
  limits.top_listeners = 2;
  limits.top_destinations = 1;
  limits.top_processes = 3;
  limits.top_findings = 2;
  return limits;
}

}  // namespace tcpdoctor::test_util
