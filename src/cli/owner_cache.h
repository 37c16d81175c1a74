// The exporter's owner map across collections. Scanning every /proc/PID/fd costs about 6 µs per
// open fd, in the kernel (4 s at 660,000 socket fds): nothing at each scrape of most hosts, too
// much for a big one. So the map is rescanned once it is older than ten times what its last
// scan took (at every collection where a scan takes milliseconds, about every 40 s where it
// takes 4 s), which keeps the scan under a tenth of the exporter's time. A cheap scan (and the
// first one) runs at the start of the collection, so its figures are exact; an expensive one
// runs in the background while collections use the previous map (sockets opened since are not
// attributed), and the metrics say how old it is. Either way the map is ready before the dump,
// which then attributes each socket as it passes instead of keeping them all.
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

  // The lookup for one collection, with its map ready: the kept one when it is fresh enough (or
  // while a background scan replaces it), else scanned now. A failed scan is a warning; the
  // lookup then scans again when asked (and fails the same way, which the collection reports).
  std::unique_ptr<OwnerLookup> ForCollection();
  // Seconds since the kept map's scan started; 0 without a map.
  double AgeSeconds() const;
  // How long the scan the last ForCollection() made itself took; 0 if it made none.
  double foreground_seconds() const { return foreground_seconds_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Scan {
    std::shared_ptr<SocketOwners> owners;
    Clock::time_point started;
    double seconds = 0;
  };

  static Result<Scan> ScanNow(const ProcFs& proc);

  ProcFs proc_;
  WarningSink warn_;
  Scan kept_;
  double foreground_seconds_ = 0;
  std::future<Result<Scan>> background_;
};

}  // namespace tcpdoctor
