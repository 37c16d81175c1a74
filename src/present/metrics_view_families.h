// The metric families of docs/metrics.md, with their HELP texts, declared in the doc's order:
// what RenderMetrics fills for each namespace.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "analyze/snapshot.h"
#include "present/prometheus_text.h"

namespace tcpdoctor {

// A kernel counter exported as is: `key` as KernelCounters::Get takes it ("TcpExt.TW").
struct CounterFamily {
  std::string_view key;
  MetricFamily* family = nullptr;
};

// A sysctl gauge: its value in the snapshot, nullopt when the namespace lacks the key.
struct SysctlFamily {
  std::optional<MetricValue> (*value)(const Snapshot&) = nullptr;
  MetricFamily* family = nullptr;
};

struct MetricFamilies {
  // Sockets.
  MetricFamily* tcp_sockets = nullptr;
  MetricFamily* accept_queue = nullptr;
  MetricFamily* accept_queue_max = nullptr;
  MetricFamily* syn_recv = nullptr;
  MetricFamily* destination_ports = nullptr;
  MetricFamily* destination_time_wait = nullptr;
  MetricFamily* destination_range = nullptr;
  MetricFamily* listener_time_wait = nullptr;
  // Processes.
  MetricFamily* process_sockets = nullptr;
  MetricFamily* process_close_wait = nullptr;
  MetricFamily* process_open_fds = nullptr;
  MetricFamily* process_max_fds = nullptr;
  MetricFamily* process_scan_age = nullptr;
  // Kernel counters, sockstat and file handles.
  std::vector<CounterFamily> counters;
  MetricFamily* sockstat_orphans = nullptr;
  MetricFamily* sockstat_time_wait = nullptr;
  MetricFamily* sockstat_memory = nullptr;
  MetricFamily* allocated_files = nullptr;
  // Sysctls.
  std::vector<SysctlFamily> sysctls;
  // Findings.
  MetricFamily* finding = nullptr;
  MetricFamily* findings = nullptr;
  // The exporter.
  MetricFamily* collector_success = nullptr;
  MetricFamily* collector_duration = nullptr;
  MetricFamily* collections = nullptr;
  MetricFamily* collection_timestamp = nullptr;
  MetricFamily* build_info = nullptr;
};

// Declares every family in `out` (empty ones are not rendered); the pointers live as long as
// `out`.
MetricFamilies DeclareMetricFamilies(PrometheusText& out);

}  // namespace tcpdoctor
