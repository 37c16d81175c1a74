#include "cli/metrics_collection.h"

#include <malloc.h>

#include <chrono>
#include <set>
#include <sstream>

#include "cli/netns_targets.h"

namespace tcpdoctor {
MetricsCollection::MetricsCollection(GlobalOptions options, MetricsLimits limits, WarningSink warn)
    : options_(std::move(options)),
      limits_(limits),
      warn_(std::move(warn)),
      owners_(ProcFs(options_.proc_root), warn_) {}

std::string MetricsCollection::Collect() {
  std::string text = CollectAndRender();
  // The collection's memory is freed by now: hand it back to the kernel before a rescan
  // starts, or the rescan's map would pile up on top of it (the exporter's peak RSS).
  malloc_trim(0);
  owners_.AfterCollection();
  return text;
}

std::string MetricsCollection::CollectAndRender() {
  ++collections_;
  ExporterFacts facts;
  facts.version = TCPDOCTOR_VERSION;
  facts.collections = collections_;
  facts.collection_unix_seconds =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();

  std::unique_ptr<OwnerLookup> owners = owners_.ForCollection();
  std::ostringstream unused;  // namespace listing prints nothing but warnings
  CommandIo io{unused, warn_, *owners};
  std::vector<NamespaceCollection> namespaces;
  std::set<uint64_t> seen;
  auto targets = ResolveTargets(options_, io);
  if (!targets) {
    warn_(targets.error().ToString());
  } else {
    for (const NetnsTarget& target : *targets) {
      const uint64_t key = options_.all_netns ? target.entry.inode : 0;
      seen.insert(key);
      namespaces.push_back(
          CollectNamespace(target.label, key, OptionsFor(target, options_), *owners));
    }
  }
  // Forget namespaces that are gone, so that --all-netns does not grow with every container
  // that ever lived.
  std::erase_if(earlier_, [&seen](const auto& entry) { return !seen.contains(entry.first); });
  return RenderMetrics(namespaces, facts, limits_);
}

NamespaceCollection MetricsCollection::CollectNamespace(const std::string& label, uint64_t key,
                                                        const GlobalOptions& options,
                                                        OwnerLookup& owners) {
  NamespaceCollection out;
  out.netns = label;
  std::ostringstream unused;
  CommandIo io{unused, warn_, owners};
  SnapshotOptions snapshot_options;
  snapshot_options.netns_label = label;
  snapshot_options.tcp_info = false;  // CLOSE_WAIT ages come from the earlier collections
  auto session = Session::Open(options, io);
  const auto earlier = earlier_.find(key);
  auto snapshot = session ? TakeSnapshot(**session, owners,
                                         earlier == earlier_.end() ? nullptr : &earlier->second,
                                         snapshot_options, warn_)
                          : Result<Snapshot>(session.TakeError());
  if (!snapshot) {
    // Nothing of this namespace was collected this time: every collector says so.
    const std::string why = snapshot.error().ToString();
    warn_("network namespace " + label + ": " + why);
    for (const char* collector : {"sysctls", "counters", "sockets", "processes", "doctor"}) {
      out.collectors.push_back({collector, false, 0, why});
    }
    return out;
  }
  const auto start = std::chrono::steady_clock::now();
  out.findings = RunDoctor(*snapshot, doctor_);
  out.collectors = snapshot->collector_runs;
  // The fd scan is shared by every namespace of the collection: each counts it.
  for (CollectorRun& run : out.collectors) {
    if (run.collector == "processes") run.seconds += owners_.foreground_seconds();
  }
  out.collectors.push_back({"doctor", true, SecondsSince(start), ""});
  out.process_scan_age_seconds = owners_.AgeSeconds();
  earlier_[key] = AsEarlierSample(*snapshot);
  out.snapshot = std::move(*snapshot);
  return out;
}

}  // namespace tcpdoctor
