// The Prometheus exposition of what the exporter collected: every metric of docs/metrics.md,
// per network namespace, with the lists (listeners, destinations, processes, findings) cut to a
// top N and the rest summed into one "other" series, so that no label grows with the host.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "analyze/snapshot.h"
#include "model/collector_run.h"
#include "model/finding.h"

namespace tcpdoctor {

// One namespace's collection.
struct NamespaceCollection {
  std::string netns;  // the netns label, unique in a scrape: "current", a name, "docker:0123..."
  std::optional<Snapshot> snapshot;  // nullopt when it could not be taken (see collectors)
  std::vector<Finding> findings;     // RunDoctor's on `snapshot`, in its order (most severe first)
  // Steps the snapshot does not record: "doctor", and those of a snapshot that failed. Rendered
  // after snapshot->collector_runs, replacing a step of the same name.
  std::vector<CollectorRun> collectors;
  // How old the process figures in `snapshot` are (the fd scan may run less often).
  double process_scan_age_seconds = 0;
};

struct MetricsLimits {
  size_t top_listeners = 20;
  size_t top_destinations = 10;
  size_t top_processes = 10;
  size_t top_findings = 5;  // per rule
};

struct ExporterFacts {
  std::string version;
  uint64_t collections = 0;            // collections made since start
  double collection_unix_seconds = 0;  // when the collection shown was made
};

// The text exposition format 0.0.4: HELP and TYPE once per metric, then its series, for every
// namespace in turn. Work grows with the lists in the snapshots (listeners, processes,
// destinations, findings: sorted once), never with sockets; output with the limits.
std::string RenderMetrics(const std::vector<NamespaceCollection>& namespaces,
                          const ExporterFacts& exporter, const MetricsLimits& limits);

}  // namespace tcpdoctor
