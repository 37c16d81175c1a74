#include "present/metrics_view.h"

#include <algorithm>
#include <array>
#include <map>
#include <tuple>
#include <unordered_map>

#include "analyze/listener_pressure.h"
#include "analyze/process_risk.h"
#include "present/metrics_view_families.h"

namespace tcpdoctor {
namespace {

constexpr std::string_view kOther = "other";

// "time_wait": node_exporter's tcpstat spelling of a state.
std::string StateLabel(TcpState s) {
  std::string label(StateName(s));
  for (char& c : label) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return label;
}

// The process label of a listener: its owner's comm, "" when no readable process holds it.
std::string_view ProcessLabel(const ListenerQueue& l) {
  return l.owner_pid != 0 ? std::string_view(l.owner_comm) : std::string_view();
}

// One listener series: the listeners that share its labels (SO_REUSEPORT sockets of one
// program), or with `first` null the "other" series.
struct ListenerSeries {
  const ListenerQueue* first = nullptr;  // gives the labels
  uint64_t accept_queue = 0;
  uint64_t backlog = 0;
  bool backlog_known = false;
  uint64_t syn_recv = 0;

  void Add(const ListenerQueue& l) {
    accept_queue += l.accept_queue;
    syn_recv += l.syn_recv;
    if (l.backlog_known) {
      backlog += l.backlog;
      backlog_known = true;
    }
  }
};

void AddListener(const MetricFamilies& f, std::string_view netns, const ListenerSeries& s) {
  const std::string address = s.first ? s.first->address.ToString() : std::string(kOther);
  const std::string port = s.first ? std::to_string(s.first->port) : std::string(kOther);
  const Label labels[] = {{"netns", netns},
                          {"address", address},
                          {"port", port},
                          {"process", s.first ? ProcessLabel(*s.first) : kOther}};
  f.accept_queue->Add(labels, s.accept_queue);
  if (s.backlog_known) f.accept_queue_max->Add(labels, s.backlog);
  f.syn_recv->Add(labels, s.syn_recv);
}

// Listeners most pressed first (ByPressure); a series ranks as its most pressed listener.
void ListenerMetrics(const MetricFamilies& f, std::string_view netns, const Snapshot& s,
                     size_t top) {
  std::vector<ListenerSeries> shown;
  // The labels as raw bytes (address, family, port, process) -> shown[i]: no formatting for the
  // listeners that end in "other".
  std::unordered_map<std::string, size_t> index;
  ListenerSeries other;
  bool any_other = false;
  for (const ListenerQueue* l : ByPressure(s.listeners)) {
    std::string key(l->address.bytes.begin(), l->address.bytes.end());
    key += static_cast<char>(l->address.family);
    key.append(reinterpret_cast<const char*>(&l->port), sizeof l->port);
    key += ProcessLabel(*l);
    auto it = index.find(key);
    if (it != index.end()) {
      shown[it->second].Add(*l);
    } else if (shown.size() < top) {
      index.emplace(std::move(key), shown.size());
      shown.push_back({l});
      shown.back().Add(*l);
    } else {
      other.Add(*l);
      any_other = true;
    }
  }
  for (const ListenerSeries& series : shown) AddListener(f, netns, series);
  if (any_other) AddListener(f, netns, other);
}

// Destinations come most ports in use first (PortUsageBuilder::Take).
void DestinationMetrics(const MetricFamilies& f, std::string_view netns, const Snapshot& s,
                        size_t top) {
  const auto add = [&](std::string_view local, std::string_view remote, std::string_view port,
                       uint64_t in_use, uint64_t time_wait, uint64_t range) {
    const Label labels[] = {{"netns", netns},
                            {"local_address", local},
                            {"remote_address", remote},
                            {"remote_port", port}};
    f.destination_ports->Add(labels, in_use);
    f.destination_time_wait->Add(labels, time_wait);
    f.destination_range->Add(labels, range);
  };
  const size_t shown = std::min(top, s.destinations.size());
  for (size_t i = 0; i < shown; ++i) {
    const DestinationPorts& d = s.destinations[i];
    add(d.local.ToString(), d.remote.ToString(), std::to_string(d.remote_port), d.in_use,
        d.time_wait, d.range_size);
  }
  if (shown == s.destinations.size()) return;
  uint64_t in_use = 0;
  uint64_t time_wait = 0;
  for (size_t i = shown; i < s.destinations.size(); ++i) {
    in_use += s.destinations[i].in_use;
    time_wait += s.destinations[i].time_wait;
  }
  add(kOther, kOther, kOther, in_use, time_wait, s.destinations[shown].range_size);
}

// TIME_WAIT per listening port, most first (SnapshotBuilder), cut like the listeners.
void ListeningTimeWaitMetrics(const MetricFamilies& f, std::string_view netns, const Snapshot& s,
                              size_t top) {
  const size_t shown = std::min(top, s.listening_time_wait.size());
  for (size_t i = 0; i < shown; ++i) {
    const ListeningPortTimeWait& p = s.listening_time_wait[i];
    f.listener_time_wait->Add({{"netns", netns}, {"port", std::to_string(p.port)}}, p.time_wait);
  }
  if (shown == s.listening_time_wait.size()) return;
  uint64_t rest = 0;
  for (size_t i = shown; i < s.listening_time_wait.size(); ++i) {
    rest += s.listening_time_wait[i].time_wait;
  }
  f.listener_time_wait->Add({{"netns", netns}, {"port", kOther}}, rest);
}

void SocketMetrics(const MetricFamilies& f, std::string_view netns, const Snapshot& s,
                   const MetricsLimits& limits) {
  for (TcpState state : kStatesInOrder) {
    f.tcp_sockets->Add({{"netns", netns}, {"state", StateLabel(state)}}, s.states.Get(state));
  }
  ListenerMetrics(f, netns, s, limits.top_listeners);
  DestinationMetrics(f, netns, s, limits.top_destinations);
  ListeningTimeWaitMetrics(f, netns, s, limits.top_listeners);
}

void ProcessStates(const MetricFamilies& f, std::string_view netns, std::string_view pid,
                   std::string_view comm, const StateCounts& states) {
  for (TcpState state : kStatesInOrder) {
    const uint64_t n = states.Get(state);
    if (n == 0) continue;
    f.process_sockets->Add(
        {{"netns", netns}, {"pid", pid}, {"comm", comm}, {"state", StateLabel(state)}}, n);
  }
  f.process_close_wait->Add({{"netns", netns}, {"pid", pid}, {"comm", comm}},
                            states.Get(TcpState::kCloseWait));
}

// Processes riskiest first (ByRisk, as `tcpdoctor procs`); only when the owner scan ran.
void ProcessMetrics(const MetricFamilies& f, const NamespaceCollection& c, const Snapshot& s,
                    size_t top) {
  if (!s.owners_known) return;
  const std::string_view netns = c.netns;
  f.process_scan_age->Add({{"netns", netns}}, c.process_scan_age_seconds);
  const std::vector<const ProcessSnapshot*> ranked = ByRisk(s.processes);
  const size_t shown = std::min(top, ranked.size());
  for (size_t i = 0; i < shown; ++i) {
    const ProcessInfo& p = ranked[i]->info;
    const std::string pid = std::to_string(p.pid);
    ProcessStates(f, netns, pid, p.comm, ranked[i]->states);
    const Label labels[] = {{"netns", netns}, {"pid", pid}, {"comm", p.comm}};
    f.process_open_fds->Add(labels, p.open_fds);
    if (p.nofile_soft && *p.nofile_soft != kUnlimited) {
      f.process_max_fds->Add(labels, *p.nofile_soft);
    }
  }
  if (shown == ranked.size()) return;
  StateCounts rest;
  for (size_t i = shown; i < ranked.size(); ++i) rest.Merge(ranked[i]->states);
  ProcessStates(f, netns, kOther, kOther, rest);
}

// One series each per namespace: kernel counters, sockstat, file handles and sysctls, absent
// when the kernel or namespace lacks them.
void NamespaceFigureMetrics(const MetricFamilies& f, std::string_view netns, const Snapshot& s) {
  const Label labels[] = {{"netns", netns}};
  for (const CounterFamily& counter : f.counters) {
    if (auto value = s.counters.Get(counter.key)) counter.family->Add(labels, *value);
  }
  if (auto v = s.sockstat.Get("TCP", "orphan")) f.sockstat_orphans->Add(labels, *v);
  if (auto v = s.sockstat.Get("TCP", "tw")) f.sockstat_time_wait->Add(labels, *v);
  if (auto v = s.sockstat.Get("TCP", "mem"); v && s.page_size > 0) {
    f.sockstat_memory->Add(labels, *v * static_cast<uint64_t>(s.page_size));
  }
  if (s.sysctls.file_nr) f.allocated_files->Add(labels, s.sysctls.file_nr->allocated);
  for (const SysctlFamily& sysctl : f.sysctls) {
    if (auto value = sysctl.value(s)) sysctl.family->Add(labels, *value);
  }
}

// The doctor ran unless a collector "doctor" says it failed (it cannot run without a snapshot).
bool DoctorRan(const NamespaceCollection& c) {
  return std::none_of(c.collectors.begin(), c.collectors.end(),
                      [](const CollectorRun& r) { return r.collector == "doctor" && !r.success; });
}

// At most `top` findings per rule in the doctor's order (most severe first); the rest of each
// rule and severity is one subject="other" series with their count.
void FindingMetrics(const MetricFamilies& f, std::string_view netns,
                    const std::vector<Finding>& findings, size_t top) {
  std::map<std::string_view, size_t> shown_per_rule;
  std::vector<std::tuple<std::string_view, Severity, uint64_t>> others;  // in order of first
  std::array<uint64_t, 3> per_severity{};
  for (const Finding& finding : findings) {
    ++per_severity[static_cast<size_t>(finding.severity)];
    const std::string_view severity = SeverityName(finding.severity);
    if (shown_per_rule[finding.id]++ < top) {
      f.finding->Add({{"netns", netns},
                      {"rule", finding.id},
                      {"severity", severity},
                      {"subject", finding.subject}},
                     1);
      continue;
    }
    auto it = std::find_if(others.begin(), others.end(), [&](const auto& o) {
      return std::get<0>(o) == finding.id && std::get<1>(o) == finding.severity;
    });
    if (it == others.end()) {
      others.emplace_back(finding.id, finding.severity, 1);
    } else {
      ++std::get<2>(*it);
    }
  }
  for (const auto& [rule, severity, count] : others) {
    f.finding->Add({{"netns", netns},
                    {"rule", rule},
                    {"severity", SeverityName(severity)},
                    {"subject", kOther}},
                   count);
  }
  for (Severity severity : {Severity::kInfo, Severity::kWarning, Severity::kCritical}) {
    f.findings->Add({{"netns", netns}, {"severity", SeverityName(severity)}},
                    per_severity[static_cast<size_t>(severity)]);
  }
}

// The snapshot's own steps, then the collection's (which win for the same collector: they are the
// exporter's account, e.g. of a step that failed and left no snapshot).
void CollectorMetrics(const MetricFamilies& f, const NamespaceCollection& c) {
  std::vector<const CollectorRun*> runs;
  const auto note = [&runs](const CollectorRun& run) {
    auto it = std::find_if(runs.begin(), runs.end(),
                           [&](const CollectorRun* r) { return r->collector == run.collector; });
    if (it == runs.end()) {
      runs.push_back(&run);
    } else {
      *it = &run;
    }
  };
  if (c.snapshot) {
    for (const CollectorRun& run : c.snapshot->collector_runs) note(run);
  }
  for (const CollectorRun& run : c.collectors) note(run);
  for (const CollectorRun* run : runs) {
    const Label labels[] = {{"netns", c.netns}, {"collector", run->collector}};
    f.collector_success->Add(labels, run->success ? 1 : 0);
    f.collector_duration->Add(labels, run->seconds);
  }
}

}  // namespace

std::string RenderMetrics(const std::vector<NamespaceCollection>& namespaces,
                          const ExporterFacts& exporter, const MetricsLimits& limits) {
  PrometheusText out;
  const MetricFamilies f = DeclareMetricFamilies(out);
  for (const NamespaceCollection& c : namespaces) {
    if (c.snapshot) {
      const Snapshot& s = *c.snapshot;
      SocketMetrics(f, c.netns, s, limits);
      ProcessMetrics(f, c, s, limits.top_processes);
      NamespaceFigureMetrics(f, c.netns, s);
      if (DoctorRan(c)) FindingMetrics(f, c.netns, c.findings, limits.top_findings);
    }
    CollectorMetrics(f, c);
  }
  f.collections->Add({}, exporter.collections);
  f.collection_timestamp->Add({}, exporter.collection_unix_seconds);
  f.build_info->Add({{"version", exporter.version}}, 1);
  return out.Render();
}

}  // namespace tcpdoctor
