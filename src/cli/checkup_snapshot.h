// Taking the doctor's Snapshot of one namespace, in two samples whose spacing the caller
// chooses: the checkup sleeps -i seconds between them, the lab runs its scenario, the exporter
// uses the previous scrape. Shared by every front end that runs the doctor.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "analyze/snapshot.h"
#include "cli/owner_lookup.h"
#include "cli/session.h"
#include "core/result.h"
#include "core/warning_sink.h"
#include "model/counters.h"

namespace tcpdoctor {

// The first sample: the counters and which sockets are in CLOSE_WAIT (to tell new ones from
// old, and since when they are), and when it was taken.
struct EarlierSample {
  KernelCounters counters;
  std::vector<CloseWaitSeen> close_wait;  // sorted by inode
  std::chrono::steady_clock::time_point taken;
};

// Seconds on the steady clock since `start`: how long a collector took.
double SecondsSince(std::chrono::steady_clock::time_point start);

// Reads the counters and dumps the CLOSE_WAIT sockets now. Warns about missing counter files.
Result<EarlierSample> TakeEarlierSample(Session& session, const WarningSink& warn);

// The same figures from a finished snapshot, so that it can be the next one's earlier sample.
EarlierSample AsEarlierSample(const Snapshot& snapshot);

struct SnapshotOptions {
  std::string netns_label = "current";
  // Ask the kernel for tcp_info, for how long each CLOSE_WAIT socket has received nothing.
  // Without it (the exporter: 10-15 % less per dump, for a figure of 3 % of the sockets) that
  // age is how long the earlier samples have seen the socket in CLOSE_WAIT: a lower bound,
  // unknown for sockets new since the last sample.
  bool tcp_info = true;
  // Audit the sysctl files (/etc/sysctl.d ...) under this root; empty: do not. They apply to
  // the host's namespace at boot, so only a checkup of that namespace reads them.
  std::string sysctl_root;
};

// The snapshot now: sysctls, counters (with deltas since `earlier` when given), one dump with
// tcp_info while `owners` scans /proc/*/fd on other threads, sockstat, and the sysctl files.
// An owner scan that fails is a warning: the rules about processes are then skipped.
Result<Snapshot> TakeSnapshot(Session& session, OwnerLookup& owners, const EarlierSample* earlier,
                              const SnapshotOptions& options, const WarningSink& warn);

}  // namespace tcpdoctor
