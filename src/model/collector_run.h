// How one step of a collection went (the sock_diag dump, the /proc/PID/fd scan, the counters
// ...): for the exporter's per-collector success and duration metrics.
#pragma once

#include <string>

namespace tcpdoctor {

struct CollectorRun {
  std::string collector;  // "sockets", "processes", "counters", "sysctls", "doctor"
  bool success = false;
  double seconds = 0;
  std::string error;  // why it failed, one line; empty on success
};

}  // namespace tcpdoctor
