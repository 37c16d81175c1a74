// One collection of the exporter: every namespace it covers (the current one, --netns, or
// --all-netns listed anew each time: containers come and go), each snapshot taken as the
// checkup takes it, the doctor's findings on it, rendered as Prometheus text. The previous
// collection of each namespace is the earlier sample of the next, so rates and CLOSE_WAIT
// growth cover the time between scrapes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "analyze/doctor.h"
#include "cli/checkup_snapshot.h"
#include "cli/command.h"
#include "cli/owner_cache.h"
#include "present/metrics_view.h"

namespace tcpdoctor {

class MetricsCollection {
 public:
  MetricsCollection(GlobalOptions options, MetricsLimits limits, WarningSink warn);

  // Collects and renders, then gives freed memory back and lets a due owner rescan start. Not
  // reentrant: the exporter's ScrapeCache calls it once at a time.
  std::string Collect();

 private:
  std::string CollectAndRender();
  NamespaceCollection CollectNamespace(const std::string& label, uint64_t key,
                                       const GlobalOptions& options, OwnerLookup& owners);

  GlobalOptions options_;
  MetricsLimits limits_;
  WarningSink warn_;
  DoctorSettings doctor_;
  OwnerCache owners_;
  // Per namespace (by inode; 0 for the one we run in), the last collection's sample.
  std::map<uint64_t, EarlierSample> earlier_;
  uint64_t collections_ = 0;
};

}  // namespace tcpdoctor
