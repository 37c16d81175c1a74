// The owner map, built at most once per run and only if a command needs it: scanning every
// /proc/PID/fd is what makes `ss -p` slow. Namespaces share one scan (socket inodes are unique
// host-wide, and /proc shows every process whatever its network namespace).
#pragma once

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

  // Scans on the first call; warns once if some processes could not be read.
  Result<SocketOwners*> Get();
  // Reads cmdline, user, unit and nofile limits of process `index` if not read yet.
  const ProcessInfo& Details(uint32_t index);

 private:
  ProcFs proc_;
  WarningSink warn_;
  std::optional<SocketOwners> owners_;
};

}  // namespace tcpdoctor
