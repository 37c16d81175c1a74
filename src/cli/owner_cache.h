// The exporter's owner map across collections. Scanning every /proc/PID/fd costs about 6 µs per
// open fd, in the kernel (4 s at 660,000 socket fds): nothing at each scrape of most hosts, too
// much for a big one. So the map is rescanned once it is older than ten times what its last
// scan took (at every collection where a scan takes milliseconds, about every 40 s where it
// takes 4 s), which keeps the scan under a tenth of the exporter's time. A cheap scan runs
// during the collection, alongside the socket dump, so its figures are exact; an expensive one
// runs in the background while collections use the previous map (sockets opened since are not
// attributed), and the metrics say how old it is.
#pragma once

#include <chrono>
#include <future>
#include <memory>

#include "cli/owner_lookup.h"
#include "core/proc_fs.h"
#include "core/warning_sink.h"

namespace tcpdoctor {

class OwnerCache {
 public:
  // Scans at most this long run during a collection; longer ones in the background.
  static constexpr double kForegroundScanSeconds = 0.25;
  // A map is rescanned when older than this many times its last scan.
  static constexpr double kAgeToCost = 10;

  OwnerCache(ProcFs proc, WarningSink warn) : proc_(std::move(proc)), warn_(std::move(warn)) {}
  ~OwnerCache();  // waits for a background scan

  // The lookup for one collection: the kept map when it is fresh enough (or while a
  // background scan replaces it), else one that scans during the collection.
  std::unique_ptr<OwnerLookup> ForCollection();
  // After the collection: keeps the map `lookup` scanned, if it scanned one.
  void Keep(const OwnerLookup& lookup);
  // Seconds since the kept map's scan started; 0 without a map.
  double AgeSeconds() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Scan {
    std::shared_ptr<SocketOwners> owners;
    Clock::time_point started;
    double seconds = 0;
  };

  ProcFs proc_;
  WarningSink warn_;
  Scan kept_;
  std::future<Result<Scan>> background_;
};

}  // namespace tcpdoctor
