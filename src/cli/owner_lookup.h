// The owner map, built at most once per run and only if a command needs it: scanning every
// /proc/PID/fd is what makes `ss -p` slow. Namespaces share one scan (socket inodes are unique
// host-wide, and /proc shows every process whatever its network namespace).
#pragma once

#include <chrono>
#include <future>
#include <memory>

#include "core/proc_fs.h"
#include "core/result.h"
#include "core/warning_sink.h"
#include "model/socket_owners.h"

namespace tcpdoctor {

class OwnerLookup {
 public:
  OwnerLookup(ProcFs proc, WarningSink warn) : proc_(std::move(proc)), warn_(std::move(warn)) {}
  // A lookup that answers from a map scanned earlier (the exporter's, see OwnerCache).
  OwnerLookup(ProcFs proc, WarningSink warn, std::shared_ptr<SocketOwners> scanned)
      : proc_(std::move(proc)), warn_(std::move(warn)), owners_(std::move(scanned)) {}
  // Not movable: a scan under way refers to it.
  OwnerLookup(const OwnerLookup&) = delete;
  OwnerLookup& operator=(const OwnerLookup&) = delete;

  // Starts the scan on another thread, so that it runs while the caller dumps sockets: both are
  // kernel-bound, on different data (every fd table; the socket hash), and overlap on two
  // cores. Get() waits for it.
  void Prefetch();
  // Scans on the first call (or waits for Prefetch's scan); warns once if some processes could
  // not be read.
  Result<SocketOwners*> Get();
  // Reads cmdline, user, unit and nofile limits of process `index` if not read yet.
  const ProcessInfo& Details(uint32_t index);
  // The map if it is there without waiting (given, or scanned by an earlier Get()), else null.
  const SocketOwners* AlreadyScanned() const { return owners_.get(); }
  // How long this lookup's own scan took; 0 s if it made none (it was given a map).
  double scan_seconds() const { return scan_seconds_; }

 private:
  Result<SocketOwners> TimedScan();

  ProcFs proc_;
  WarningSink warn_;
  std::shared_ptr<SocketOwners> owners_;
  std::future<Result<SocketOwners>> pending_;
  double scan_seconds_ = 0;
};

}  // namespace tcpdoctor
