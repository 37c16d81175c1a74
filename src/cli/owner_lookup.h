// The owner map, built at most once per run and only if a command needs it: scanning every
// /proc/PID/fd is what makes `ss -p` slow. Namespaces share one scan (socket inodes are unique
// host-wide, and /proc shows every process whatever its network namespace).
#pragma once

#include <future>
#include <memory>
#include <optional>

#include "core/proc_fs.h"
#include "core/result.h"
#include "core/warning_sink.h"
#include "model/socket_owners.h"

namespace tcpdoctor {

class OwnerLookup {
 public:
  OwnerLookup(ProcFs proc, WarningSink warn) : proc_(std::move(proc)), warn_(std::move(warn)) {}

  // Starts the scan on another thread, so that it runs while the caller dumps sockets: both are
  // kernel-bound, on different data (every fd table; the socket hash), and overlap on two
  // cores. Get() waits for it.
  void Prefetch();
  // Scans on the first call (or waits for Prefetch's scan); warns once if some processes could
  // not be read.
  Result<SocketOwners*> Get();
  // Reads cmdline, user, unit and nofile limits of process `index` if not read yet.
  const ProcessInfo& Details(uint32_t index);

 private:
  ProcFs proc_;
  WarningSink warn_;
  std::optional<SocketOwners> owners_;
  std::future<Result<SocketOwners>> pending_;
};

}  // namespace tcpdoctor
