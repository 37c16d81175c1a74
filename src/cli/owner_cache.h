// The exporter's owner map across collections. Scanning every /proc/PID/fd costs about 6 µs per
// open fd, in the kernel (4 s at 660,000 socket fds): nothing at each scrape of most hosts, too
// much for a big one. So the first collection scans before its dump, and afterwards the map is
// rescanned in the background, at nice 10, once the collection that finds it older than ten
// times its last scan has been served: a scrape never waits for a rescan, the scans take at
// most about a tenth of the exporter's time, and collections meanwhile use the last map
// (sockets opened since it was scanned have no owner yet; the metrics say how old it is). The
// map is ready before each dump, which then attributes each socket as it passes instead of
// keeping them all.
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
  // A map is rescanned when older than this many times its last scan.
  static constexpr double kAgeToCost = 10;

  OwnerCache(ProcFs proc, WarningSink warn) : proc_(std::move(proc)), warn_(std::move(warn)) {}
  ~OwnerCache();  // waits for a background scan

  // The lookup for one collection, with its map ready: the one a finished background scan
  // made, else the kept one, else (the first time) one scanned now. A failed scan is a warning;
  // the lookup then scans again when asked (and fails the same way, which the collection
  // reports).
  std::unique_ptr<OwnerLookup> ForCollection();
  // After the collection has been served: starts a background rescan if the map is due.
  void AfterCollection();
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
